/* org.libvirt.Domain's metadata and tuning methods, with libvirt-dbus's
 * signatures (the vtable in qemu_domain_bus.c lists them). As libvirt-dbus
 * does, an empty string stands for libvirt's NULL argument. */
#include <errno.h>

#include "bus_util.h"
#include "qemu_bus.h"

static const char *
null_if_empty(const char *s)
{
    return s && *s ? s : NULL;
}

int
qemu_bus_set_metadata(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *metadata, *key, *uri;
    int32_t type;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "isssu", &type, &metadata, &key, &uri, &flags);
    if (r < 0)
        return r;
    r = qemu_domain_set_metadata(userdata, type, null_if_empty(metadata), null_if_empty(key),
                                 null_if_empty(uri), flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

int
qemu_bus_get_metadata(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    auto_cleanup(free_ptr) char *text = NULL;
    Error error = ERROR_INIT;
    const char *uri;
    int32_t type;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "isu", &type, &uri, &flags);
    if (r < 0)
        return r;
    r = qemu_domain_get_metadata(userdata, type, null_if_empty(uri), flags, &text, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", text);
}
