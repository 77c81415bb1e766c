/* libvirt's SetVcpusFlags: the vCPU count of the persistent definition
 * (current, or with MAXIMUM the maximum) and of the running guest.
 *
 * A guest starts with <vcpu current> vCPUs (-smp N,maxcpus=M) and can have
 * up to M. Plugging one is device_add of the CPU type and socket/core/
 * thread QEMU lists for that vCPU (query-hotpluggable-cpus), with the id
 * "vcpuN" as libvirt names it; only those can be unplugged again
 * (device_del, then DEVICE_DELETED within libvirt's 5 s, or the call
 * fails). vCPUs go in from the lowest free id and come out from the
 * highest, one at a time, in one MODIFY job, so the online ones are always
 * 0..current-1; the thread ids are read again at the end. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_monitor.h"

#define KNOWN_FLAGS (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | DOMAIN_VCPU_MAXIMUM | \
                     DOMAIN_VCPU_GUEST | DOMAIN_VCPU_HOTPLUGGABLE)

typedef struct VcpuCall {
    Domain *dom;
    unsigned target;
    DomainDef *config;   /* with CONFIG: the persistent definition to save */
    json_t *slots;       /* query-hotpluggable-cpus, indexed by vCPU id */
    Error error;
} VcpuCall;

static void vcpu_step(VcpuCall *call);

static unsigned
current_vcpus(const DomainDef *def)
{
    return def->vcpus_current ? def->vcpus_current : def->vcpus;
}

static void
vcpu_call_end(VcpuCall *call)
{
    Domain *dom = call->dom;

    qemu_hotplug_finish(dom, &call->config, NULL, call->error.code ? &call->error : NULL);
    qemu_driver_emit_changed(dom);
    domain_def_free(call->config);
    json_decref(call->slots);
    error_clear(&call->error);
    free(call);
}

/* The vCPU threads again, by vCPU id, for the stats and the pinning. */
static void
cpus_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    VcpuCall *call = userdata;
    Domain *dom = call->dom;
    QmpVcpu *vcpus = NULL;
    size_t n = 0, max = 0;

    if (!error && qmp_parse_cpus_fast(ret, &vcpus, &n, NULL) >= 0) {
        for (size_t i = 0; i < n; i++)
            if (vcpus[i].cpu_index >= 0 && (size_t) vcpus[i].cpu_index + 1 > max)
                max = (size_t) vcpus[i].cpu_index + 1;
        free(dom->monitor.vcpu_tids);
        dom->monitor.vcpu_tids = xcalloc(max + 1, sizeof(*dom->monitor.vcpu_tids));
        dom->monitor.n_vcpu_tids = max;
        for (size_t i = 0; i < n; i++)
            if (vcpus[i].cpu_index >= 0)
                dom->monitor.vcpu_tids[vcpus[i].cpu_index] = vcpus[i].thread_id;
        qmp_vcpus_free(vcpus, n);
        qemu_cpuacct_vcpus(dom); /* a plugged vCPU's time of its own */
    }
    vcpu_call_end(call);
}

static void
vcpu_done(VcpuCall *call)
{
    Domain *dom = call->dom;

    if (!dom->monitor.conn ||
        qmp_command(dom->monitor.conn, "query-cpus-fast", NULL, cpus_listed, call, NULL) < 0)
        vcpu_call_end(call);
}

static void
vcpu_fail(VcpuCall *call, const Error *error)
{
    error_set(&call->error, -EIO, error->code, "%s", error->message);
    vcpu_done(call);
}

static void
plugged(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    VcpuCall *call = userdata;
    DomainDef *live = call->dom->live;
    unsigned id = current_vcpus(live);

    if (error) {
        vcpu_fail(call, error);
        return;
    }
    if (!live->vcpu_hotplugged)
        live->vcpu_hotplugged = xcalloc(live->vcpus, 1);
    live->vcpu_hotplugged[id] = 1;
    live->vcpus_current = id + 1;
    qemu_status_save(call->dom);
    vcpu_step(call);
}

static void
unplugged(Domain *dom, const Error *error, bool timed_out, void *userdata)
{
    VcpuCall *call = userdata;
    DomainDef *live = dom->live;
    unsigned id;

    if (error || !live) {
        Error gone = ERROR_INIT;
        error_set(&gone, -EIO, VIR_ERR_OPERATION_FAILED,
                  "operation failed: domain is no longer running");
        vcpu_fail(call, error ? error : &gone);
        error_clear(&gone);
        return;
    }
    if (timed_out) {
        error_set(&call->error, -ETIMEDOUT, VIR_ERR_OPERATION_TIMEOUT,
                  "Timed out during operation: vcpu unplug request timed out. Unplug result "
                  "must be manually inspected in the domain");
        vcpu_done(call);
        return;
    }
    id = current_vcpus(live) - 1;
    live->vcpu_hotplugged[id] = 0;
    live->vcpus_current = id;
    qemu_status_save(dom);
    vcpu_step(call);
}

static void
unplug_sent(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    VcpuCall *call = userdata;

    if (!error)
        return; /* unplugged() goes on */
    qemu_hotplug_unplug_cancel(call->dom);
    vcpu_fail(call, error);
}

/* query-hotpluggable-cpus, one entry per vCPU, in QEMU's id order (by
 * socket, die, core, thread, as libvirt numbers them). */
static int
slot_cmp(const void *a, const void *b)
{
    static const char *const keys[] = { "socket-id", "die-id", "core-id", "thread-id" };
    json_t *pa = json_object_get(*(json_t *const *) a, "props");
    json_t *pb = json_object_get(*(json_t *const *) b, "props");

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        json_int_t x = json_integer_value(json_object_get(pa, keys[i]));
        json_int_t y = json_integer_value(json_object_get(pb, keys[i]));
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static void
slots_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    VcpuCall *call = userdata;
    size_t n = json_is_array(ret) ? json_array_size(ret) : 0;
    json_t **items;

    if (error) {
        vcpu_fail(call, error);
        return;
    }
    items = xcalloc(n + 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(ret, i);
    qsort(items, n, sizeof(*items), slot_cmp);
    call->slots = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(call->slots, items[i]);
    free(items);
    vcpu_step(call);
}

static void
vcpu_step(VcpuCall *call)
{
    Domain *dom = call->dom;
    unsigned cur = current_vcpus(dom->live);
    char alias[32];
    int r;

    if (!dom->monitor.conn) {
        error_set(&call->error, -EIO, VIR_ERR_OPERATION_FAILED,
                  "operation failed: domain is no longer running");
        vcpu_done(call);
        return;
    }
    if (cur == call->target) {
        vcpu_done(call);
        return;
    }
    if (cur < call->target) {
        json_t *slot = json_array_get(call->slots, cur), *args;

        if (!slot || json_object_get(slot, "qom-path")) {
            error_set(&call->error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                      "internal error: QEMU has no free slot for vcpu %u", cur);
            vcpu_done(call);
            return;
        }
        snprintf(alias, sizeof(alias), "vcpu%u", cur);
        args = json_deep_copy(json_object_get(slot, "props"));
        json_object_del(args, "node-id");
        json_object_set_new(args, "driver", json_copy(json_object_get(slot, "type")));
        json_object_set_new(args, "id", json_string(alias));
        r = qmp_command(dom->monitor.conn, "device_add", args, plugged, call, &call->error);
    } else {
        snprintf(alias, sizeof(alias), "vcpu%u", cur - 1);
        qemu_hotplug_unplug_wait(dom, alias, unplugged, call);
        r = qmp_command(dom->monitor.conn, "device_del", json_pack("{s:s}", "id", alias),
                        unplug_sent, call, &call->error);
        if (r < 0)
            qemu_hotplug_unplug_cancel(dom);
    }
    if (r < 0)
        vcpu_done(call);
}

static int
set_live(Domain *dom, unsigned n, DomainDef **config, DomainDoneCb cb, void *userdata,
         Error *error)
{
    DomainDef *live = dom->live;
    unsigned cur = current_vcpus(live);
    VcpuCall *call;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (n > live->vcpus)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: requested vcpus is greater than max allowable "
                         "vcpus for the live domain: %u > %u", n, live->vcpus);
    /* Only what was plugged can go. */
    if (n < cur && cur - n > domain_def_vcpus_hotplugged(live))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: failed to find appropriate hotpluggable "
                         "vcpus to reach the desired target vcpu count");
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->target = n;
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    if (n > cur) {
        if (qmp_command(dom->monitor.conn, "query-hotpluggable-cpus", NULL, slots_listed, call,
                        &call->error) < 0)
            vcpu_done(call);
    } else {
        vcpu_step(call);
    }
    return 0;
}

/* The persistent definition with @n vCPUs (or @n as the maximum). */
static int
config_with(Domain *dom, unsigned n, bool maximum, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);

    if (maximum) {
        const DomainCpu *t = &def->cpu;
        if ((t->sockets || t->cores || t->threads) &&
            (t->sockets ? t->sockets : 1) * (t->dies ? t->dies : 1) *
            (t->cores ? t->cores : 1) * (t->threads ? t->threads : 1) != n)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: CPU topology doesn't match the desired vcpu "
                             "count");
        if (n > DOMAIN_DEF_MAX_VCPUS)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: requested vcpus is greater than max "
                             "allowable vcpus for the persistent domain: %u > %d", n,
                             DOMAIN_DEF_MAX_VCPUS);
        /* As libvirt: the new ones are offline, the current count stays. */
        def->vcpus_current = current_vcpus(def) > n ? n : current_vcpus(def);
        def->vcpus = n;
    } else {
        if (n > def->vcpus)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: requested vcpus is greater than max "
                             "allowable vcpus for the persistent domain: %u > %u", n,
                             def->vcpus);
        def->vcpus_current = n;
    }
    *ret = steal_ptr(def);
    return 0;
}

int
qemu_domain_set_vcpus(Domain *dom, unsigned n, unsigned flags, DomainDoneCb cb,
                      void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    bool maximum = flags & DOMAIN_VCPU_MAXIMUM;
    int r;

    if (flags & ~(unsigned) KNOWN_FLAGS)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetVcpusFlags",
                         flags & ~(unsigned) KNOWN_FLAGS);
    if (n == 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: nvcpus in virDomainSetVcpusFlags must not be zero");
    if (flags & DOMAIN_VCPU_GUEST)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: QEMU guest agent is not configured");
    /* HOTPLUGGABLE marks the vCPUs of the persistent definition in libvirt;
     * without a <vcpus> list there, every vCPU above current is so. */
    flags &= DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    if (maximum && (flags & DOMAIN_AFFECT_LIVE))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: maximum vcpu count of a live domain can't "
                         "be modified");
    if ((flags & DOMAIN_AFFECT_CONFIG) && (r = config_with(dom, n, maximum, &config, error)) < 0)
        return r;
    if (flags & DOMAIN_AFFECT_LIVE)
        return set_live(dom, n, &config, cb, userdata, error);
    r = qemu_hotplug_save_config(dom, &config, error);
    if (r >= 0 && cb)
        cb(dom, NULL, userdata);
    return r;
}
