/* The statistics calls of one domain on the bus: libvirt-dbus's
 * GetDiskErrors, GetJobInfo and GetJobStats on org.libvirt.Domain, and on
 * org.virtstack.DomainState what libvirt-dbus has none for: GetBlockInfo
 * and GetCPUStats. */
#include <errno.h>

#include "bus_util.h"
#include "qemu_bus.h"
#include "typed_params.h"

static void
block_info_got(Domain *dom, uint64_t capacity, uint64_t allocation, uint64_t physical,
               const Error *error, void *userdata)
{
    sd_bus_message *m = userdata;

    if (error)
        bus_reply_method_error(m, error, -EIO);
    else
        sd_bus_reply_method_return(m, "(ttt)", capacity, allocation, physical);
    sd_bus_message_unref(m);
}

int
qemu_bus_get_block_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *path;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &path, &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_get_block_info(userdata, path, flags, block_info_got, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_get_cpu_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    TypedParams *rows = NULL;
    sd_bus_message *reply = NULL;
    Error error = ERROR_INIT;
    int32_t start;
    uint32_t ncpus, flags;
    size_t n = 0;
    int r;

    if ((r = sd_bus_message_read(m, "iuu", &start, &ncpus, &flags)) < 0)
        return r;
    r = qemu_domain_get_cpu_stats(userdata, start, ncpus, flags, &rows, &n, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = typed_params_write(reply, &rows[i]);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    for (size_t i = 0; i < n; i++)
        typed_params_clear(&rows[i]);
    free(rows);
    return r;
}

static void
disk_errors_got(Domain *dom, const DiskError *errs, size_t n, const Error *error,
                void *userdata)
{
    sd_bus_message *m = userdata, *reply = NULL;
    int r;

    if (error) {
        bus_reply_method_error(m, error, -EIO);
        sd_bus_message_unref(m);
        return;
    }
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "(si)");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = sd_bus_message_append(reply, "(si)", errs[i].disk, (int32_t) errs[i].code);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(m);
}

int
qemu_bus_get_disk_errors(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_get_disk_errors(userdata, flags, disk_errors_got, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_get_job_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    TypedParams tp = { 0 };
    Error error = ERROR_INIT;
    int type, r;

    r = qemu_domain_get_job_stats(userdata, 0, &type, &tp, &error);
    typed_params_clear(&tp);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    /* virDomainJobInfo: the type, then times, data, memory and files. */
    return sd_bus_reply_method_return(m, "(ittttttttttt)", (int32_t) type, (uint64_t) 0,
                                      (uint64_t) 0, (uint64_t) 0, (uint64_t) 0, (uint64_t) 0,
                                      (uint64_t) 0, (uint64_t) 0, (uint64_t) 0, (uint64_t) 0,
                                      (uint64_t) 0, (uint64_t) 0);
}

int
qemu_bus_get_job_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    TypedParams tp = { 0 };
    sd_bus_message *reply = NULL;
    Error error = ERROR_INIT;
    uint32_t flags;
    int type, r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    r = qemu_domain_get_job_stats(userdata, flags, &type, &tp, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'r', "ia{sv}");
    if (r >= 0)
        r = sd_bus_message_append(reply, "i", (int32_t) type);
    if (r >= 0)
        r = typed_params_write(reply, &tp);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    typed_params_clear(&tp);
    return r;
}

int
qemu_bus_start_dirty_rate_calc(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int32_t seconds;
    uint32_t flags;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "iu", &seconds, &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_start_dirty_rate_calc(userdata, seconds, flags, qemu_bus_call_done, call,
                                          &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}
