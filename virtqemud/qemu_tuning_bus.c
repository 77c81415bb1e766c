/* org.libvirt.Domain's metadata and tuning methods, with libvirt-dbus's
 * signatures (the vtable in qemu_domain_bus.c lists them). As libvirt-dbus
 * does, an empty string stands for libvirt's NULL argument. */
#include <errno.h>
#include <unistd.h>

#include "bus_util.h"
#include "qemu_bus.h"
#include "typed_params.h"

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

/* ---- typed parameters: Get*(u) -> a{sv}, Set*(a{sv}, u) ---------------- */

typedef int (*GetParamsFn)(Domain *dom, unsigned flags, TypedParams *ret, Error *error);
typedef int (*SetParamsFn)(Domain *dom, const TypedParams *tp, unsigned flags, Error *error);

static int
reply_params(sd_bus_message *m, const TypedParams *tp)
{
    sd_bus_message *reply = NULL;
    int r = sd_bus_message_new_method_return(m, &reply);

    if (r >= 0)
        r = typed_params_write(reply, tp);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

static int
get_params(sd_bus_message *m, Domain *dom, GetParamsFn fn, sd_bus_error *bus_error)
{
    TypedParams tp = { 0 };
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = fn(dom, flags, &tp, &error);
    if (r >= 0)
        r = reply_params(m, &tp);
    else
        r = bus_reply_error(bus_error, &error, r);
    typed_params_clear(&tp);
    return r;
}

static int
set_params(sd_bus_message *m, Domain *dom, SetParamsFn fn, sd_bus_error *bus_error)
{
    TypedParams tp = { 0 };
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    r = typed_params_read(m, &tp, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_read(m, "u", &flags);
    if (r >= 0)
        r = fn(dom, &tp, flags, &error);
    typed_params_clear(&tp);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

/* The Get and Set handlers of one parameter family. */
#define PARAMS_HANDLERS(name, get_fn, set_fn) \
    int \
    qemu_bus_get_##name##_parameters(sd_bus_message *m, void *userdata, \
                                     sd_bus_error *bus_error) \
    { \
        return get_params(m, userdata, get_fn, bus_error); \
    } \
    int \
    qemu_bus_set_##name##_parameters(sd_bus_message *m, void *userdata, \
                                     sd_bus_error *bus_error) \
    { \
        return set_params(m, userdata, set_fn, bus_error); \
    }

PARAMS_HANDLERS(scheduler, qemu_domain_get_scheduler_params, qemu_domain_set_scheduler_params)
PARAMS_HANDLERS(memory, qemu_domain_get_memory_params, qemu_domain_set_memory_params)
PARAMS_HANDLERS(blkio, qemu_domain_get_blkio_params, qemu_domain_set_blkio_params)
PARAMS_HANDLERS(numa, qemu_domain_get_numa_params, qemu_domain_set_numa_params)
PARAMS_HANDLERS(perf, qemu_domain_get_perf_events, qemu_domain_set_perf_events)

/* ---- pinning: a host CPU map is "ab" ------------------------------------ */


int
qemu_bus_pin_vcpu(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    auto_cleanup(free_ptr) bool *map = NULL;
    Error error = ERROR_INIT;
    uint32_t vcpu, flags;
    size_t n = 0;
    int r;

    if ((r = sd_bus_message_read(m, "u", &vcpu)) < 0 || (r = bus_read_bools(m, &map, &n)) < 0 ||
        (r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    r = qemu_domain_pin_vcpu(userdata, vcpu, map, n, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

int
qemu_bus_pin_emulator(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    auto_cleanup(free_ptr) bool *map = NULL;
    Error error = ERROR_INIT;
    uint32_t flags;
    size_t n = 0;
    int r;

    if ((r = bus_read_bools(m, &map, &n)) < 0 || (r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    r = qemu_domain_pin_emulator(userdata, map, n, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

int
qemu_bus_get_emulator_pin_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    long ncpus = sysconf(_SC_NPROCESSORS_CONF);
    auto_cleanup(free_ptr) bool *map = NULL;
    sd_bus_message *reply = NULL;
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    if (ncpus < 1)
        ncpus = 1;
    r = qemu_domain_get_emulator_pin_info(userdata, flags, (size_t) ncpus, &map, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = bus_append_bools(reply, map, (size_t) ncpus);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

/* ---- a disk's I/O limits: asynchronous (QMP) ---------------------------- */

static void
iotune_got(Domain *dom, const TypedParams *tp, const Error *error, void *userdata)
{
    sd_bus_message *m = userdata;

    if (error)
        bus_reply_method_error(m, error, -EIO);
    else
        reply_params(m, tp);
    sd_bus_message_unref(m);
}

int
qemu_bus_get_block_iotune(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *disk;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &disk, &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_get_block_iotune(userdata, disk, flags, iotune_got, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

/* Set*(s device, a{sv}, u), answered when the change is done. */
typedef int (*SetParamsOfFn)(Domain *dom, const char *device, const TypedParams *tp,
                             unsigned flags, DomainDoneCb cb, void *userdata, Error *error);

static int
set_params_of(sd_bus_message *m, Domain *dom, SetParamsOfFn fn, sd_bus_error *bus_error)
{
    TypedParams tp = { 0 };
    Error error = ERROR_INIT;
    const char *device;
    uint32_t flags;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "s", &device)) < 0)
        return r;
    if ((r = typed_params_read(m, &tp, &error)) < 0)
        return bus_reply_error(bus_error, &error, r);
    if ((r = sd_bus_message_read(m, "u", &flags)) < 0) {
        typed_params_clear(&tp);
        return r;
    }
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = fn(dom, device, &tp, flags, qemu_bus_call_done, call, &error);
    typed_params_clear(&tp);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_set_block_iotune(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return set_params_of(m, userdata, qemu_domain_set_block_iotune, bus_error);
}

/* ---- an interface's bandwidth: set is asynchronous (tc) ---------------- */

int
qemu_bus_get_interface_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    TypedParams tp = { 0 };
    Error error = ERROR_INIT;
    const char *device;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &device, &flags)) < 0)
        return r;
    r = qemu_domain_get_interface_params(userdata, device, flags, &tp, &error);
    if (r >= 0)
        r = reply_params(m, &tp);
    else
        r = bus_reply_error(bus_error, &error, r);
    typed_params_clear(&tp);
    return r;
}

int
qemu_bus_set_interface_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return set_params_of(m, userdata, qemu_domain_set_interface_params, bus_error);
}

/* ---- IOThreads: asynchronous (QMP) ------------------------------------- */

typedef int (*IOThreadOp)(Domain *dom, unsigned id, unsigned flags, DomainDoneCb cb,
                          void *userdata, Error *error);

static int
iothread_op(sd_bus_message *m, Domain *dom, IOThreadOp op, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t id, flags;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "uu", &id, &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = op(dom, id, flags, qemu_bus_call_done, call, &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_add_iothread(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return iothread_op(m, userdata, qemu_domain_add_iothread, bus_error);
}

int
qemu_bus_del_iothread(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return iothread_op(m, userdata, qemu_domain_del_iothread, bus_error);
}

int
qemu_bus_pin_iothread(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    auto_cleanup(free_ptr) bool *map = NULL;
    Error error = ERROR_INIT;
    uint32_t id, flags;
    size_t n = 0;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "u", &id)) < 0 || (r = bus_read_bools(m, &map, &n)) < 0 ||
        (r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_pin_iothread(userdata, id, map, n, flags, qemu_bus_call_done, call, &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static void
iothread_info_got(Domain *dom, const IOThreadInfo *info, size_t n, const Error *error,
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
        r = sd_bus_message_open_container(reply, 'a', "(uab)");
    for (size_t i = 0; r >= 0 && i < n; i++) {
        r = sd_bus_message_open_container(reply, 'r', "uab");
        if (r >= 0)
            r = sd_bus_message_append(reply, "u", info[i].id);
        if (r >= 0)
            r = bus_append_bools(reply, info[i].map, info[i].ncpus);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    }
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(m);
}

int
qemu_bus_get_iothread_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_get_iothread_info(userdata, flags, iothread_info_got, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}
