/* Statistics procedures with calls of their own: block info, CPU stats,
 * disk errors and job info, each one call to virtqemud (GetBlockInfo and
 * GetCPUStats on org.virtstack.DomainState, which libvirt-dbus lacks). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proxy.h"

#define DOM_IFACE "org.libvirt.Domain"
#define STATE_IFACE "org.virtstack.DomainState"

/* ---- virDomainGetBlockInfo -------------------------------------------- */

static int
block_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_block_info_ret *ret = ret_;
    uint64_t cap, alloc, phys;
    int r = sd_bus_message_read(reply, "(ttt)", &cap, &alloc, &phys);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read a disk's sizes");
    ret->capacity = cap;
    ret->allocation = alloc;
    ret->physical = phys;
    return 0;
}

static int
h_get_block_info(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_block_info_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "GetBlockInfo",
                          block_info_reply, error, "su", args->path, args->flags);
}

/* ---- virDomainGetCPUStats ----------------------------------------------- */

/* libvirtd's answer: with nparams 0, how many values a CPU has (or, with
 * ncpus 0 too, how many CPUs the host has); else per CPU its first
 * nparams values, all CPUs' in one list, nparams telling the stride. */
static int
cpu_stats_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_cpu_stats_args *args = call->args;
    remote_domain_get_cpu_stats_ret *ret = ret_;
    remote_typed_param *all = NULL;
    size_t n_all = 0, ncpu = 0;
    int stride = 0, r;

    r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
    while (r > 0 && !sd_bus_message_at_end(reply, false)) {
        remote_typed_param *p = NULL;
        u_int n = 0;

        r = proxy_params_read(reply, &p, &n);
        if (r < 0)
            break;
        r = sd_bus_message_exit_container(reply);
        if (ncpu == 0)
            stride = (int) n;
        if (args->nparams > 0) {
            u_int keep = n < args->nparams ? n : args->nparams;
            all = xrealloc(all, (n_all + keep + 1) * sizeof(*all));
            memcpy(all + n_all, p, keep * sizeof(*p));
            for (u_int k = keep; k < n; k++)
                xdr_free((xdrproc_t) xdr_remote_typed_param, &p[k]);
            free(p);
            n_all += keep;
        } else {
            proxy_params_free(p, n);
        }
        ncpu++;
        if (r >= 0)
            r = 1;
    }
    if (r < 0) {
        proxy_params_free(all, n_all);
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the CPU statistics");
    }
    if (args->nparams == 0) {
        ret->nparams = args->ncpus == 0 ? (int) ncpu : stride;
        return 0;
    }
    if (n_all > REMOTE_DOMAIN_GET_CPU_STATS_MAX) {
        proxy_params_free(all, n_all);
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "too many CPU statistics");
    }
    ret->params.params_val = all;
    ret->params.params_len = (u_int) n_all;
    ret->nparams = (u_int) stride < args->nparams ? stride : (int) args->nparams;
    return 0;
}

static int
h_get_cpu_stats(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_cpu_stats_args *args = args_;
    MirrorObject *obj;
    int r;

    if (args->nparams > REMOTE_NODE_CPU_STATS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR, "nparams too large");
    if (args->ncpus > REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR, "ncpus too large");
    if ((r = proxy_domain_find(call, args, &obj, error)) < 0)
        return r;
    /* The host's CPU count is the length of the list from CPU 0. */
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "GetCPUStats",
                          cpu_stats_reply, error, "iuu",
                          args->ncpus == 0 && args->nparams == 0 ? 0 : args->start_cpu,
                          args->ncpus == 0 ? UINT32_MAX
                                           : args->ncpus,
                          args->flags);
}

/* ---- virDomainGetDiskErrors ----------------------------------------------- */

static int
disk_errors_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_disk_errors_args *args = call->args;
    remote_domain_get_disk_errors_ret *ret = ret_;
    size_t n = 0;
    const char *disk;
    int32_t code;
    int r;

    ret->errors.errors_val = xcalloc(args->maxerrors + 1, sizeof(remote_domain_disk_error));
    r = sd_bus_message_enter_container(reply, 'a', "(si)");
    while (r > 0 && (r = sd_bus_message_read(reply, "(si)", &disk, &code)) > 0) {
        if (n < args->maxerrors) {
            ret->errors.errors_val[n].disk = xstrdup(disk);
            ret->errors.errors_val[n].error = code;
            ret->errors.errors_len = (u_int) n + 1;
        }
        n++;
    }
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the disk errors");
    /* With no room, the count: how many an answer may hold. */
    ret->nerrors = args->maxerrors ? (int) ret->errors.errors_len : (int) n;
    return 0;
}

static int
h_get_disk_errors(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_disk_errors_args *args = args_;
    MirrorObject *obj;
    int r;

    if (args->maxerrors > REMOTE_DOMAIN_DISK_ERRORS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR, "maxerrors too large");
    if ((r = proxy_domain_find(call, args, &obj, error)) < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetDiskErrors",
                          disk_errors_reply, error, "u", args->flags);
}

/* ---- jobs ------------------------------------------------------------------ */

static int
job_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_job_info_ret *ret = ret_;
    int32_t type;
    uint64_t v[11];
    int r = sd_bus_message_read(reply, "(ittttttttttt)", &type, &v[0], &v[1], &v[2], &v[3],
                                &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the job info");
    ret->type = type;
    ret->timeElapsed = v[0];
    ret->timeRemaining = v[1];
    ret->dataTotal = v[2];
    ret->dataProcessed = v[3];
    ret->dataRemaining = v[4];
    ret->memTotal = v[5];
    ret->memProcessed = v[6];
    ret->memRemaining = v[7];
    ret->fileTotal = v[8];
    ret->fileProcessed = v[9];
    ret->fileRemaining = v[10];
    return 0;
}

static int
h_get_job_info(Call *call, void *args, void *ret, Error *error)
{
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetJobInfo", job_info_reply,
                          error, NULL);
}

static int
job_stats_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_job_stats_ret *ret = ret_;
    int32_t type;
    int r = sd_bus_message_enter_container(reply, 'r', "ia{sv}");

    if (r >= 0)
        r = sd_bus_message_read(reply, "i", &type);
    if (r >= 0)
        r = proxy_params_read(reply, &ret->params.params_val, &ret->params.params_len);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the job statistics");
    ret->type = type;
    return 0;
}

static int
h_get_job_stats(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_job_stats_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetJobStats", job_stats_reply,
                          error, "u", args->flags);
}

/* ---- virDomainStartDirtyRateCalc ------------------------------------------ */

static int
h_start_dirty_rate_calc(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_start_dirty_rate_calc_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "StartDirtyRateCalc", NULL,
                          error, "iu", args->seconds, args->flags);
}

const ProcDef stats_procs[] = {
    PROC_A(REMOTE_PROC_DOMAIN_START_DIRTY_RATE_CALC, domain_start_dirty_rate_calc,
           h_start_dirty_rate_calc),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_BLOCK_INFO, domain_get_block_info, h_get_block_info),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_CPU_STATS, domain_get_cpu_stats, h_get_cpu_stats),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_DISK_ERRORS, domain_get_disk_errors, h_get_disk_errors),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_JOB_INFO, domain_get_job_info, h_get_job_info),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_JOB_STATS, domain_get_job_stats, h_get_job_stats),
    { 0 },
};
