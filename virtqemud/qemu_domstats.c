/* Statistics of one running guest that libvirt has calls of their own
 * for: virDomainGetCPUStats (the domain's cpuacct cgroup, which QEMU joins
 * at start), virDomainGetDiskErrors (QMP query-block's io-status) and
 * virDomainGetJobInfo / GetJobStats (no job here runs in the background:
 * libvirt's answer then is VIR_DOMAIN_JOB_NONE). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_monitor.h"
#include "typed_params.h"

/* ---- CPU ------------------------------------------------------------------ */

void
qemu_cpuacct_start(Domain *dom)
{
    auto_cleanup(free_ptr) char *dir = NULL;
    Error error = ERROR_INIT;
    bool v2;

    /* The per-CPU accounting needs its own group; a host without one only
     * loses GetCPUStats' per-CPU rows. */
    if (qemu_cgroup_domain(dom, "cpuacct", true, &dir, &v2, &error) < 0 && error_is_set(&error))
        log_debug("domain '%s': no cpuacct group: %s", dom->def->name, error.message);
    error_clear(&error);
}

void
qemu_cpuacct_vcpus(Domain *dom)
{
    auto_cleanup(free_ptr) char *dir = NULL;
    Error error = ERROR_INIT;
    bool v2;

    /* As libvirt's vcpuN groups: what each vCPU thread spent on each host
     * CPU (GetCPUStats' vcpu_time). */
    if (qemu_cgroup_domain(dom, "cpuacct", false, &dir, &v2, &error) < 0 || v2) {
        error_clear(&error);
        return;
    }
    for (size_t i = 0; i < dom->monitor.n_vcpu_tids; i++) {
        auto_cleanup(free_ptr) char *child = xasprintf("%s/vcpu%zu", dir, i);

        if (!dom->monitor.vcpu_tids[i]) /* unplugged */
            continue;
        if (qemu_cgroup_mkdir(child, &error) < 0 ||
            qemu_cgroup_move(child, "tasks", dom->monitor.vcpu_tids[i], &error) < 0) {
            log_debug("domain '%s': vCPU %zu keeps no time of its own: %s", dom->def->name, i,
                      error.message);
            error_clear(&error);
        }
    }
}

/* Adds the numbers of "cpuacct.usage_percpu" in @dir into @sums (@n). */
static void
add_percpu(const char *dir, uint64_t *sums, size_t n)
{
    auto_cleanup(free_ptr) char *text = NULL;
    char *p;

    if (qemu_cgroup_read(dir, "cpuacct.usage_percpu", &text, NULL) < 0)
        return;
    p = text;
    for (size_t c = 0; c < n; c++) {
        char *end;
        unsigned long long ns = strtoull(p, &end, 10);

        if (end == p)
            break;
        sums[c] += ns;
        p = end;
    }
}

int
qemu_domain_get_cpu_stats(Domain *dom, int start_cpu, unsigned ncpus, unsigned flags,
                          TypedParams **ret_rows, size_t *ret_n, Error *error)
{
    auto_cleanup(free_ptr) char *dir = NULL, *text = NULL;
    auto_cleanup(free_ptr) uint64_t *vcpu = NULL;
    TypedParams *rows;
    long total = sysconf(_SC_NPROCESSORS_CONF);
    bool v2;
    int r;

    if (flags & ~(unsigned) TYPED_PARAM_STRING_OKAY)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetCPUStats",
                         flags & ~(unsigned) TYPED_PARAM_STRING_OKAY);
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    if (start_cpu == -1) {
        uint64_t user, sys, all = qemu_domain_cpu_time(dom, &user, &sys);

        rows = xcalloc(1, sizeof(*rows));
        typed_params_add_ullong(&rows[0], "cpu_time", all);
        typed_params_add_ullong(&rows[0], "user_time", user);
        typed_params_add_ullong(&rows[0], "system_time", sys);
        *ret_rows = rows;
        *ret_n = 1;
        return 0;
    }
    if (start_cpu < 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: start_cpu %d is negative", start_cpu);
    if (total < 1)
        total = 1;
    if (start_cpu >= total)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: start_cpu %d larger than maximum of %ld",
                         start_cpu, total - 1);
    r = qemu_cgroup_domain(dom, "cpuacct", false, &dir, &v2, error);
    /* The vCPUs' groups before their parent's: vcpu_time <= cpu_time. */
    vcpu = xcalloc((size_t) total, sizeof(*vcpu));
    for (size_t v = 0; r >= 0 && !v2 && v < dom->monitor.n_vcpu_tids; v++) {
        auto_cleanup(free_ptr) char *child = xasprintf("%s/vcpu%zu", dir, v);

        add_percpu(child, vcpu, (size_t) total);
    }
    if (r < 0 || v2 || (r = qemu_cgroup_read(dir, "cpuacct.usage_percpu", &text, error)) < 0) {
        error_clear(error);
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: cgroup CPUACCT controller is not "
                         "mounted");
    }
    {
        size_t n = (size_t) total - (size_t) start_cpu, i = 0;
        char *p = text;

        if (ncpus < n)
            n = ncpus;
        rows = xcalloc(n + 1, sizeof(*rows));
        for (long c = 0; c < start_cpu + (long) n; c++) {
            char *end;
            unsigned long long ns = strtoull(p, &end, 10);

            p = end == p ? p : end;
            if (c < start_cpu)
                continue;
            typed_params_add_ullong(&rows[i], "cpu_time", ns);
            typed_params_add_ullong(&rows[i++], "vcpu_time", vcpu[c]);
        }
        *ret_rows = rows;
        *ret_n = n;
    }
    return 0;
}

/* ---- disk errors ----------------------------------------------------------- */

typedef struct DiskErrorsCall {
    Domain *dom;
    DiskErrorsCb cb;
    void *userdata;
} DiskErrorsCall;

static void
query_block_done(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    DiskErrorsCall *call = userdata;
    Domain *dom = call->dom;
    DiskError *errs = NULL;
    size_t n = 0, i;
    json_t *dev;

    if (error) {
        call->cb(dom, NULL, 0, error, call->userdata);
        free(call);
        return;
    }
    json_array_foreach(ret, i, dev) {
        const char *status = json_string_value(json_object_get(dev, "io-status"));
        const char *qdev = json_string_value(json_object_get(dev, "qdev"));
        const DomainDisk *d = NULL;

        if (!status || STREQ(status, "ok") || !qdev || !dom->live)
            continue;
        for (size_t k = 0; k < dom->live->n_disks && !d; k++) {
            const char *alias = dom->live->disks[k].alias;
            size_t len = alias ? strlen(alias) : 0;
            const char *rest = strncmp(qdev, "/machine/peripheral/", 20) == 0 ? qdev + 20 : qdev;
            if (alias && strncmp(rest, alias, len) == 0 && (rest[len] == '\0' || rest[len] == '/'))
                d = &dom->live->disks[k];
        }
        if (!d)
            continue;
        errs = xrealloc(errs, (n + 1) * sizeof(*errs));
        errs[n].disk = d->source ? d->source : d->target_dev;
        errs[n].code = STREQ(status, "nospace") ? DOMAIN_DISK_ERROR_NO_SPACE
                                                : DOMAIN_DISK_ERROR_UNSPEC;
        n++;
    }
    call->cb(dom, errs, n, NULL, call->userdata);
    free(errs);
    free(call);
}

int
qemu_domain_get_disk_errors(Domain *dom, unsigned flags, DiskErrorsCb cb, void *userdata,
                            Error *error)
{
    DiskErrorsCall *call;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetDiskErrors", flags);
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->cb = cb;
    call->userdata = userdata;
    r = qmp_command(dom->monitor.conn, "query-block", NULL, query_block_done, call, error);
    if (r < 0)
        free(call);
    return r;
}

/* ---- jobs ------------------------------------------------------------------ */

int
qemu_domain_get_job_stats(Domain *dom, unsigned flags, int *ret_type, TypedParams *ret,
                          Error *error)
{
    const unsigned known = DOMAIN_JOB_STATS_COMPLETED | DOMAIN_JOB_STATS_KEEP_COMPLETED;
    int r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetJobStats",
                         flags & ~known);
    if ((flags & DOMAIN_JOB_STATS_KEEP_COMPLETED) && !(flags & DOMAIN_JOB_STATS_COMPLETED))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Flag VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED requires "
                         "VIR_DOMAIN_JOB_STATS_COMPLETED");
    /* A completed job's statistics are asked of any domain; the current
     * job's of a running one. Start, destroy and the QMP changes are not
     * libvirt's background jobs: there is none to report. */
    if (!(flags & DOMAIN_JOB_STATS_COMPLETED) && (r = qemu_job_check_active(dom, error)) < 0)
        return r;
    (void) ret;
    *ret_type = DOMAIN_JOB_TYPE_NONE;
    return 0;
}

/* ---- the iothread and dirtyrate groups of GetStats ------------------------- */

typedef struct ExtraCall {
    Domain *dom;
    unsigned pending;
    TypedParams tp;
    ExtraStatsCb cb;
    void *userdata;
} ExtraCall;

static void
extra_step_done(ExtraCall *call)
{
    if (--call->pending)
        return;
    call->cb(call->dom, &call->tp, call->userdata);
    typed_params_clear(&call->tp);
    domain_unref(call->dom);
    free(call);
}

/* libvirt's iothread group: the count, and each IOThread's polling. None
 * at all for a guest without IOThreads, as libvirt does. */
static void
iothreads_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    ExtraCall *call = userdata;
    size_t i, n = json_is_array(ret) ? json_array_size(ret) : 0;
    json_t *t;

    if (!error && n) {
        typed_params_add_uint(&call->tp, "iothread.count", (uint32_t) n);
        json_array_foreach(ret, i, t) {
            const char *id = json_string_value(json_object_get(t, "id"));
            char key[64];
            unsigned num;

            if (!id || sscanf(id, "iothread%u", &num) != 1 ||
                !json_object_get(t, "poll-max-ns"))
                continue;
            snprintf(key, sizeof(key), "iothread.%u.poll-max-ns", num);
            typed_params_add_ullong(&call->tp, key,
                                    (uint64_t) json_integer_value(json_object_get(t, "poll-max-ns")));
            snprintf(key, sizeof(key), "iothread.%u.poll-grow", num);
            typed_params_add_uint(&call->tp, key,
                                  (uint32_t) json_integer_value(json_object_get(t, "poll-grow")));
            snprintf(key, sizeof(key), "iothread.%u.poll-shrink", num);
            typed_params_add_uint(&call->tp, key,
                                  (uint32_t) json_integer_value(json_object_get(t, "poll-shrink")));
        }
    }
    extra_step_done(call);
}

/* virDomainDirtyRateStatus, from QMP's DirtyRateStatus. */
static int
dirtyrate_status(const char *s)
{
    return STREQ_NULL(s, "measuring") ? 1 : STREQ_NULL(s, "measured") ? 2 : 0;
}

static void
dirtyrate_got(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    ExtraCall *call = userdata;

    if (!error && json_is_object(ret)) {
        int status = dirtyrate_status(json_string_value(json_object_get(ret, "status")));
        const char *mode = json_string_value(json_object_get(ret, "mode"));

        typed_params_add_int(&call->tp, "dirtyrate.calc_status", status);
        typed_params_add_llong(&call->tp, "dirtyrate.calc_start_time",
                               json_integer_value(json_object_get(ret, "start-time")));
        typed_params_add_int(&call->tp, "dirtyrate.calc_period",
                             (int32_t) json_integer_value(json_object_get(ret, "calc-time")));
        typed_params_add_string(&call->tp, "dirtyrate.calc_mode",
                                mode ? mode : "page-sampling");
        if (status == 2)
            typed_params_add_llong(&call->tp, "dirtyrate.megabytes_per_second",
                                   json_integer_value(json_object_get(ret, "dirty-rate")));
    }
    extra_step_done(call);
}

int
qemu_domain_extra_stats(Domain *dom, bool iothreads, bool dirtyrate, ExtraStatsCb cb,
                        void *userdata, Error *error)
{
    ExtraCall *call;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->cb = cb;
    call->userdata = userdata;
    call->pending = 1; /* this function's own, released at the end */
    domain_ref(dom);
    /* A guest without IOThreads has none to report: no need to ask. */
    if (iothreads && dom->live->n_iothreads &&
        qmp_command(dom->monitor.conn, "query-iothreads", NULL, iothreads_listed, call, NULL) >= 0)
        call->pending++;
    if (dirtyrate &&
        qmp_command(dom->monitor.conn, "query-dirty-rate", NULL, dirtyrate_got, call, NULL) >= 0)
        call->pending++;
    extra_step_done(call);
    return 0;
}

/* ---- virDomainStartDirtyRateCalc -------------------------------------------- */

int
qemu_domain_start_dirty_rate_calc(Domain *dom, int seconds, unsigned flags, DomainDoneCb cb,
                                  void *userdata, Error *error)
{
    /* VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP and _DIRTY_RING */
    const unsigned bitmap = 1u << 0, ring = 1u << 1;
    json_t *args;
    int r;

    if (flags & ~(bitmap | ring))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainStartDirtyRateCalc",
                         flags & ~(bitmap | ring));
    if ((flags & bitmap) && (flags & ring))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Flags 'VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP' and "
                         "'VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING' are mutually exclusive");
    if (seconds < 1 || seconds > 60)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: seconds=%d is invalid, please choose value "
                         "within [1, 60].", seconds);
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    /* The dirty ring is KVM's; a TCG guest has none. */
    if ((flags & ring) && dom->live->virt_type != DOMAIN_VIRT_KVM)
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: dirty-ring calculation mode requires "
                         "dirty-ring feature enabled.");
    args = json_pack("{s:I,s:s}", "calc-time", (json_int_t) seconds, "mode",
                     flags & bitmap ? "dirty-bitmap" : flags & ring ? "dirty-ring"
                                                                   : "page-sampling");
    return qemu_job_modify(dom, "calc-dirty-rate", args, NULL, cb, userdata, error);
}
