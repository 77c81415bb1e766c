/* The guest's console, channels, screen and keys on the bus: SendKey and
 * InjectNMI with libvirt-dbus's signatures on org.libvirt.Domain;
 * OpenConsole, OpenChannel and Screenshot on org.virtstack.DomainState,
 * each answering with a file descriptor (libvirt-dbus has none of them). */
#include <errno.h>
#include <unistd.h>

#include "qemu_bus.h"

static int
reply_fd(sd_bus_message *m, int fd, sd_bus_error *bus_error)
{
    int r = sd_bus_reply_method_return(m, "h", fd);   /* sd-bus sends a copy */

    close(fd);
    return r;
}

int
qemu_bus_open_console(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *dev;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &dev, &flags)) < 0)
        return r;
    r = qemu_domain_open_console(userdata, *dev ? dev : NULL, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return reply_fd(m, r, bus_error);
}

int
qemu_bus_open_channel(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *name;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &name, &flags)) < 0)
        return r;
    r = qemu_domain_open_channel(userdata, *name ? name : NULL, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return reply_fd(m, r, bus_error);
}

static void
screenshot_done(Domain *dom, const char *mime, int fd, const Error *error, void *userdata)
{
    sd_bus_message *m = userdata;

    if (error) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        error_to_bus(error, -EIO, &e);
        sd_bus_reply_method_error(m, &e);
        sd_bus_error_free(&e);
    } else {
        sd_bus_reply_method_return(m, "sh", mime, fd);
        close(fd);
    }
    sd_bus_message_unref(m);
}

int
qemu_bus_screenshot(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t screen, flags;
    int r;

    if ((r = sd_bus_message_read(m, "uu", &screen, &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_screenshot(userdata, screen, flags, screenshot_done, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_send_key(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t codeset, holdtime, flags;
    const uint32_t *codes;
    size_t size;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "uu", &codeset, &holdtime)) < 0 ||
        (r = sd_bus_message_read_array(m, 'u', (const void **) &codes, &size)) < 0 ||
        (r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_send_key(userdata, codeset, holdtime, codes, size / sizeof(*codes), flags,
                             qemu_bus_call_done, call, &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

int
qemu_bus_inject_nmi(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_inject_nmi(userdata, flags, qemu_bus_call_done, call, &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}
