/* Metadata and tuning: each procedure is one call to virtqemud's
 * org.libvirt.Domain with libvirt-dbus's signature; typed parameters travel
 * as a{sv} (proxy_params.c). libvirt-dbus has no NULL string: "" stands for
 * it, as libvirt-dbus reads it. */
#include <errno.h>
#include <string.h>

#include "proxy.h"

#define DOM_IFACE "org.libvirt.Domain"

/* ---- metadata, title and description ----------------------------------- */

static int
h_set_metadata(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_metadata_args *args = args_;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "SetMetadata", NULL, error,
                          "isssu", args->type, proxy_opt_str(args->metadata),
                          proxy_opt_str(args->key), proxy_opt_str(args->uri), args->flags);
}

static int
metadata_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_metadata_ret *ret = ret_;
    const char *s;
    int r = sd_bus_message_read(reply, "s", &s);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the metadata of a domain");
    ret->metadata = xstrdup(s);
    return 0;
}

static int
h_get_metadata(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_metadata_args *args = args_;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetMetadata", metadata_reply,
                          error, "isu", args->type, proxy_opt_str(args->uri), args->flags);
}

/* ---- typed parameters ------------------------------------------------- */

/* Set*([device,] a{sv}, flags). */
static int
params_set(Call *call, void *args, const char *member, const char *dev,
           const remote_typed_param *p, u_int n, unsigned flags, Error *error)
{
    sd_bus_message *m = NULL;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r >= 0)
        r = proxy_bus_new_call(call, obj->svc, obj->path, DOM_IFACE, member, &m, error);
    if (r < 0)
        return r;
    if (dev)
        r = sd_bus_message_append(m, "s", dev);
    if (r >= 0)
        r = proxy_params_append(m, p, n);
    if (r >= 0)
        r = sd_bus_message_append(m, "u", flags);
    if (r < 0)
        r = error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot build the call %s",
                            member);
    else
        r = proxy_bus_send(call, obj->svc, m, NULL, error);
    sd_bus_message_unref(m);
    return r;
}

/* Get*([device,] flags) after libvirtd's bound on @nparams. */
static int
params_get(Call *call, void *args, const char *member, const char *dev, int nparams, int max,
           unsigned flags, BusReplyFn fn, Error *error)
{
    MirrorObject *obj;
    int r;

    if (nparams < 0 || nparams > max)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR, "nparams too large");
    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    if (dev)
        return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error, "su",
                              dev, flags);
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error, "u", flags);
}

/* ---- the scheduler ------------------------------------------------------ */

static int
scheduler_type_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_scheduler_type_ret *ret = ret_;
    const char *type;
    int32_t nparams;
    int r = sd_bus_message_read(reply, "v", "(si)", &type, &nparams);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the scheduler type");
    ret->type = xstrdup(type);
    ret->nparams = nparams;
    return 0;
}

static int
h_get_scheduler_type(Call *call, void *args, void *ret, Error *error)
{
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, "org.freedesktop.DBus.Properties", "Get",
                          scheduler_type_reply, error, "ss", DOM_IFACE, "SchedulerType");
}

/* The old call has no flags: CURRENT, and no strings. */
static int
scheduler_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_scheduler_parameters_args *args = call->args;
    remote_domain_get_scheduler_parameters_ret *ret = ret_;

    return proxy_params_reply(reply, args->nparams, 0, &ret->params.params_val,
                              &ret->params.params_len, NULL, error);
}

static int
h_get_scheduler_parameters(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_scheduler_parameters_args *args = args_;

    return params_get(call, args, "GetSchedulerParameters", NULL, args->nparams,
                      REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX, 0, scheduler_reply, error);
}

static int
scheduler_flags_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_scheduler_parameters_flags_args *args = call->args;
    remote_domain_get_scheduler_parameters_flags_ret *ret = ret_;

    return proxy_params_reply(reply, args->nparams, args->flags, &ret->params.params_val,
                              &ret->params.params_len, NULL, error);
}

static int
h_get_scheduler_parameters_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_scheduler_parameters_flags_args *args = args_;

    return params_get(call, args, "GetSchedulerParameters", NULL, args->nparams,
                      REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX, args->flags,
                      scheduler_flags_reply, error);
}

static int
h_set_scheduler_parameters(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_scheduler_parameters_args *args = args_;

    return params_set(call, args, "SetSchedulerParameters", NULL, args->params.params_val,
                      args->params.params_len, 0, error);
}

static int
h_set_scheduler_parameters_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_scheduler_parameters_flags_args *args = args_;

    return params_set(call, args, "SetSchedulerParameters", NULL, args->params.params_val,
                      args->params.params_len, args->flags, error);
}

/* ---- pinning: libvirt's byte maps, libvirt-dbus's "ab" ------------------ */


/* PinVcpu(vcpu, map, flags), or PinEmulator(map, flags) when @vcpu < 0. */
static int
pin_call(Call *call, void *args, long vcpu, const char *map, u_int len, unsigned flags,
         Error *error)
{
    sd_bus_message *m = NULL;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r >= 0)
        r = proxy_bus_new_call(call, obj->svc, obj->path, DOM_IFACE,
                               vcpu >= 0 ? "PinVcpu" : "PinEmulator", &m, error);
    if (r < 0)
        return r;
    if (vcpu >= 0)
        r = sd_bus_message_append(m, "u", (uint32_t) vcpu);
    if (r >= 0)
        r = proxy_append_cpumap(m, map, len);
    if (r >= 0)
        r = sd_bus_message_append(m, "u", flags);
    if (r < 0)
        r = error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot build a pinning call");
    else
        r = proxy_bus_send(call, obj->svc, m, NULL, error);
    sd_bus_message_unref(m);
    return r;
}

static int
h_pin_vcpu(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_pin_vcpu_args *args = args_;

    return pin_call(call, args, args->vcpu, args->cpumap.cpumap_val, args->cpumap.cpumap_len,
                    DOMAIN_AFFECT_LIVE, error);
}

static int
h_pin_vcpu_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_pin_vcpu_flags_args *args = args_;

    return pin_call(call, args, args->vcpu, args->cpumap.cpumap_val, args->cpumap.cpumap_len,
                    args->flags, error);
}

static int
h_pin_emulator(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_pin_emulator_args *args = args_;

    return pin_call(call, args, -1, args->cpumap.cpumap_val, args->cpumap.cpumap_len,
                    args->flags, error);
}

static int
emulator_pin_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_emulator_pin_info_args *args = call->args;
    remote_domain_get_emulator_pin_info_ret *ret = ret_;
    size_t maplen = (size_t) args->maplen;
    int r;

    ret->cpumaps.cpumaps_len = (u_int) maplen;
    ret->cpumaps.cpumaps_val = xcalloc(maplen + 1, 1);
    r = proxy_read_cpumap(reply, ret->cpumaps.cpumaps_val, maplen);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the emulator's pinning");
    ret->ret = 1;
    return 0;
}

static int
h_get_emulator_pin_info(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_emulator_pin_info_args *args = args_;
    MirrorObject *obj;
    int r;

    if (args->maplen < 1 || args->maplen > REMOTE_CPUMAPS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "maplen > REMOTE_CPUMAPS_MAX");
    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetEmulatorPinInfo",
                          emulator_pin_reply, error, "u", args->flags);
}

/* ---- IOThreads ----------------------------------------------------------- */

static int
iothread_call(Call *call, void *args, const char *member, unsigned id, unsigned flags,
              Error *error)
{
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, NULL, error, "uu", id,
                          flags);
}

static int
h_add_iothread(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_add_iothread_args *args = args_;

    return iothread_call(call, args, "AddIOThread", args->iothread_id, args->flags, error);
}

static int
h_del_iothread(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_del_iothread_args *args = args_;

    return iothread_call(call, args, "DelIOThread", args->iothread_id, args->flags, error);
}

static int
h_pin_iothread(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_pin_iothread_args *args = args_;
    sd_bus_message *m = NULL;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r >= 0)
        r = proxy_bus_new_call(call, obj->svc, obj->path, DOM_IFACE, "PinIOThread", &m, error);
    if (r < 0)
        return r;
    r = sd_bus_message_append(m, "u", args->iothreads_id);
    if (r >= 0)
        r = proxy_append_cpumap(m, args->cpumap.cpumap_val, args->cpumap.cpumap_len);
    if (r >= 0)
        r = sd_bus_message_append(m, "u", args->flags);
    if (r < 0)
        r = error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot build a pinning call");
    else
        r = proxy_bus_send(call, obj->svc, m, NULL, error);
    sd_bus_message_unref(m);
    return r;
}

/* a(uab) into libvirt's rows: each an id and a byte map as long as the
 * host's CPUs need. */
static int
iothread_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_iothread_info_ret *ret = ret_;
    remote_domain_iothread_info *rows = NULL;
    size_t n = 0;
    int r = sd_bus_message_enter_container(reply, 'a', "(uab)");

    while (r > 0 && (r = sd_bus_message_enter_container(reply, 'r', "uab")) > 0) {
        remote_domain_iothread_info *row;
        uint32_t id;
        int on;
        u_int c = 0;

        rows = xrealloc(rows, (n + 1) * sizeof(*rows));
        row = &rows[n++];
        memset(row, 0, sizeof(*row));
        r = sd_bus_message_read(reply, "u", &id);
        row->iothread_id = id;
        if (r >= 0)
            r = sd_bus_message_enter_container(reply, 'a', "b");
        while (r > 0 && (r = sd_bus_message_read(reply, "b", &on)) > 0) {
            if (c / 8 >= row->cpumap.cpumap_len) {
                row->cpumap.cpumap_val = xrealloc(row->cpumap.cpumap_val, c / 8 + 1);
                row->cpumap.cpumap_val[c / 8] = 0;
                row->cpumap.cpumap_len = c / 8 + 1;
            }
            if (on)
                row->cpumap.cpumap_val[c / 8] |= (char) (1 << (c % 8));
            c++;
        }
        if (r >= 0)
            r = sd_bus_message_exit_container(reply);
        if (r >= 0)
            r = sd_bus_message_exit_container(reply);
        if (r >= 0)
            r = 1;
    }
    ret->info.info_val = rows;
    ret->info.info_len = (u_int) n;
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the IOThreads");
    ret->ret = (u_int) n;
    return 0;
}

static int
h_get_iothread_info(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_iothread_info_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetIOThreadInfo",
                          iothread_info_reply, error, "u", args->flags);
}

/* ---- memory, block I/O and NUMA parameters: one shape ------------------ */

/* The reply of a Get* procedure whose ret holds the list and its count. */
#define NPARAMS_REPLY(fn, name) \
    static int \
    fn(Call *call, sd_bus_message *reply, void *ret_, Error *error) \
    { \
        remote_domain_get_##name##_args *args = call->args; \
        remote_domain_get_##name##_ret *ret = ret_; \
        return proxy_params_reply(reply, args->nparams, args->flags, &ret->params.params_val, \
                                  &ret->params.params_len, &ret->nparams, error); \
    }

/* Get*Parameters(nparams, flags) -> (params, nparams) and
 * Set*Parameters(params, flags) of one libvirt-dbus method pair. */
#define PARAMS_PROCS(name, member, max) \
    NPARAMS_REPLY(get_##name##_reply, name##_parameters) \
    static int \
    h_get_##name(Call *call, void *args_, void *ret, Error *error) \
    { \
        remote_domain_get_##name##_parameters_args *args = args_; \
        return params_get(call, args, "Get" member, NULL, args->nparams, max, args->flags, \
                          get_##name##_reply, error); \
    } \
    static int \
    h_set_##name(Call *call, void *args_, void *ret, Error *error) \
    { \
        remote_domain_set_##name##_parameters_args *args = args_; \
        return params_set(call, args, "Set" member, NULL, args->params.params_val, \
                          args->params.params_len, args->flags, error); \
    }

/* A disk's I/O limits: the disk's name first. */
NPARAMS_REPLY(block_io_tune_reply, block_io_tune)

static int
h_get_block_io_tune(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_block_io_tune_args *args = args_;

    return params_get(call, args, "GetBlockIOTune", proxy_opt_str(args->disk), args->nparams,
                      REMOTE_DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX, args->flags,
                      block_io_tune_reply, error);
}

static int
h_set_block_io_tune(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_block_io_tune_args *args = args_;

    return params_set(call, args, "SetBlockIOTune", args->disk, args->params.params_val,
                      args->params.params_len, args->flags, error);
}

/* An interface's bandwidth: the device's name first. */
NPARAMS_REPLY(interface_reply, interface_parameters)

static int
h_get_interface_parameters(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_interface_parameters_args *args = args_;

    return params_get(call, args, "GetInterfaceParameters", args->device, args->nparams,
                      REMOTE_DOMAIN_INTERFACE_PARAMETERS_MAX, args->flags, interface_reply,
                      error);
}

static int
h_set_interface_parameters(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_interface_parameters_args *args = args_;

    return params_set(call, args, "SetInterfaceParameters", args->device,
                      args->params.params_val, args->params.params_len, args->flags, error);
}

/* Perf events: every one in the reply, no count asked first. */
static int
perf_events_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_perf_events_args *args = call->args;
    remote_domain_get_perf_events_ret *ret = ret_;

    return proxy_params_reply(reply, REMOTE_DOMAIN_PERF_EVENTS_MAX, args->flags,
                              &ret->params.params_val, &ret->params.params_len, NULL, error);
}

static int
h_get_perf_events(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_perf_events_args *args = args_;

    return params_get(call, args, "GetPerfEvents", NULL, 0, 0, args->flags, perf_events_reply,
                      error);
}

static int
h_set_perf_events(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_perf_events_args *args = args_;

    return params_set(call, args, "SetPerfEvents", NULL, args->params.params_val,
                      args->params.params_len, args->flags, error);
}

PARAMS_PROCS(memory, "MemoryParameters", REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX)
PARAMS_PROCS(blkio, "BlockIOParameters", REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX)
PARAMS_PROCS(numa, "NumaParameters", REMOTE_DOMAIN_NUMA_PARAMETERS_MAX)

const ProcDef tuning_procs[] = {
    PROC_AR(REMOTE_PROC_DOMAIN_GET_SCHEDULER_TYPE, domain_get_scheduler_type,
            h_get_scheduler_type),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS, domain_get_scheduler_parameters,
            h_get_scheduler_parameters),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS,
            domain_get_scheduler_parameters_flags, h_get_scheduler_parameters_flags),
    PROC_A(REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS, domain_set_scheduler_parameters,
           h_set_scheduler_parameters),
    PROC_A(REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS,
           domain_set_scheduler_parameters_flags, h_set_scheduler_parameters_flags),
    PROC_A(REMOTE_PROC_DOMAIN_SET_METADATA, domain_set_metadata, h_set_metadata),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_METADATA, domain_get_metadata, h_get_metadata),
    PROC_A(REMOTE_PROC_DOMAIN_PIN_VCPU, domain_pin_vcpu, h_pin_vcpu),
    PROC_A(REMOTE_PROC_DOMAIN_PIN_VCPU_FLAGS, domain_pin_vcpu_flags, h_pin_vcpu_flags),
    PROC_A(REMOTE_PROC_DOMAIN_PIN_EMULATOR, domain_pin_emulator, h_pin_emulator),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_EMULATOR_PIN_INFO, domain_get_emulator_pin_info,
            h_get_emulator_pin_info),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_BLOCK_IO_TUNE, domain_get_block_io_tune, h_get_block_io_tune),
    PROC_A(REMOTE_PROC_DOMAIN_SET_BLOCK_IO_TUNE, domain_set_block_io_tune, h_set_block_io_tune),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_INTERFACE_PARAMETERS, domain_get_interface_parameters,
            h_get_interface_parameters),
    PROC_A(REMOTE_PROC_DOMAIN_SET_INTERFACE_PARAMETERS, domain_set_interface_parameters,
           h_set_interface_parameters),
    PROC_A(REMOTE_PROC_DOMAIN_ADD_IOTHREAD, domain_add_iothread, h_add_iothread),
    PROC_A(REMOTE_PROC_DOMAIN_DEL_IOTHREAD, domain_del_iothread, h_del_iothread),
    PROC_A(REMOTE_PROC_DOMAIN_PIN_IOTHREAD, domain_pin_iothread, h_pin_iothread),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_IOTHREAD_INFO, domain_get_iothread_info,
            h_get_iothread_info),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_MEMORY_PARAMETERS, domain_get_memory_parameters, h_get_memory),
    PROC_A(REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS, domain_set_memory_parameters, h_set_memory),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_BLKIO_PARAMETERS, domain_get_blkio_parameters, h_get_blkio),
    PROC_A(REMOTE_PROC_DOMAIN_SET_BLKIO_PARAMETERS, domain_set_blkio_parameters, h_set_blkio),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_NUMA_PARAMETERS, domain_get_numa_parameters, h_get_numa),
    PROC_A(REMOTE_PROC_DOMAIN_SET_NUMA_PARAMETERS, domain_set_numa_parameters, h_set_numa),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_PERF_EVENTS, domain_get_perf_events, h_get_perf_events),
    PROC_A(REMOTE_PROC_DOMAIN_SET_PERF_EVENTS, domain_set_perf_events, h_set_perf_events),
    { 0 },
};
