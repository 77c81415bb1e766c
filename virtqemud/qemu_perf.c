/* Perf events counting a guest's QEMU, as libvirt's virperf.c: one
 * perf_event_open() per enabled <perf> event on QEMU's pid (inherited by
 * the threads it makes afterwards), opened at start and again after a
 * daemon restart, read for the "perf" statistics group (perf.NAME), and
 * switched live with virDomainSetPerfEvents. Hardware counters need a
 * PMU, the cmt/mbmt/mbml ones Intel's intel_cqm: where the host has none,
 * enabling them is refused with the kernel's word. */
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_perf.h"

static const struct {
    uint32_t type;
    uint64_t config;
} attrs[_PERF_EVENT_MAX] = {
    /* cmt, mbmt, mbml: intel_cqm's dynamic type, never found here */
    [PERF_CPU_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
    [PERF_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
    [PERF_CACHE_REFERENCES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
    [PERF_CACHE_MISSES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
    [PERF_BRANCH_INSTRUCTIONS] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
    [PERF_BRANCH_MISSES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
    [PERF_BUS_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
    [PERF_STALLED_CYCLES_FRONTEND] = { PERF_TYPE_HARDWARE,
                                       PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
    [PERF_STALLED_CYCLES_BACKEND] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
    [PERF_REF_CPU_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
    [PERF_CPU_CLOCK] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
    [PERF_TASK_CLOCK] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
    [PERF_PAGE_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
    [PERF_CONTEXT_SWITCHES] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
    [PERF_CPU_MIGRATIONS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
    [PERF_PAGE_FAULTS_MIN] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
    [PERF_PAGE_FAULTS_MAJ] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
    [PERF_ALIGNMENT_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS },
    [PERF_EMULATION_FAULTS] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS },
};

static bool
is_rdt(PerfEvent e)
{
    return e == PERF_CMT || e == PERF_MBMT || e == PERF_MBML;
}

static int
enable(Domain *dom, PerfEvent e, Error *error)
{
    struct perf_event_attr attr;
    int fd;

    if (dom->perf_fds[e] >= 0)
        return 0;
    if (is_rdt(e))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: unable to enable host cpu perf event for %s",
                         perf_event_to_string(e));
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.inherit = 1;
    attr.disabled = 1;
    attr.type = attrs[e].type;
    attr.config = attrs[e].config;
    fd = (int) syscall(__NR_perf_event_open, &attr, dom->proc.pid, -1, -1,
                       PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "unable to open host cpu perf event for %s",
                               perf_event_to_string(e));
    if (ioctl(fd, PERF_EVENT_IOC_ENABLE) < 0) {
        int err = errno;

        close(fd);
        return error_set_errno(error, -err, VIR_ERR_SYSTEM_ERROR,
                               "unable to enable host cpu perf event for %s",
                               perf_event_to_string(e));
    }
    dom->perf_fds[e] = fd;
    return 0;
}

static void
disable(Domain *dom, PerfEvent e)
{
    if (dom->perf_fds[e] < 0)
        return;
    close(dom->perf_fds[e]);
    dom->perf_fds[e] = -1;
}

int
qemu_perf_start(Domain *dom, Error *error)
{
    for (size_t e = 0; e < _PERF_EVENT_MAX; e++) {
        int r;

        if (dom->live->perf_events[e] == PERF_YES && (r = enable(dom, e, error)) < 0) {
            qemu_perf_stop(dom);
            return r;
        }
    }
    return 0;
}

void
qemu_perf_reconnect(Domain *dom)
{
    Error error = ERROR_INIT;

    if (qemu_perf_start(dom, &error) < 0) {
        log_warn("domain '%s': perf events stay off: %s", dom->def->name, error.message);
        error_clear(&error);
    }
}

void
qemu_perf_stop(Domain *dom)
{
    for (size_t e = 0; e < _PERF_EVENT_MAX; e++)
        disable(dom, e);
}

void
qemu_perf_stats(Domain *dom, TypedParams *tp)
{
    for (size_t e = 0; e < _PERF_EVENT_MAX; e++) {
        uint64_t value;
        char field[48];

        if (dom->perf_fds[e] < 0 ||
            read(dom->perf_fds[e], &value, sizeof(value)) != (ssize_t) sizeof(value))
            continue;
        snprintf(field, sizeof(field), "perf.%s", perf_event_to_string(e));
        typed_params_add_ullong(tp, field, value);
    }
}

int
qemu_domain_get_perf_events(Domain *dom, unsigned flags, TypedParams *ret, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | TYPED_PARAM_STRING_OKAY;
    bool live;
    int r;

    if ((r = qemu_domain_read_flags(&flags, known, "qemuDomainGetPerfEvents", error)) < 0 ||
        (r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    live = flags & DOMAIN_AFFECT_LIVE;
    for (size_t e = 0; e < _PERF_EVENT_MAX; e++)
        typed_params_add_bool(ret, perf_event_to_string(e),
                              live ? dom->perf_fds[e] >= 0
                                   : dom->def->perf_events[e] == PERF_YES);
    return 0;
}

int
qemu_domain_set_perf_events(Domain *dom, const TypedParams *tp, unsigned flags, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    TypedParamSpec spec[_PERF_EVENT_MAX];
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    int r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetPerfEvents",
                         flags & ~known);
    for (size_t e = 0; e < _PERF_EVENT_MAX; e++)
        spec[e] = (TypedParamSpec) { perf_event_to_string(e), TYPED_PARAM_BOOLEAN };
    if ((r = typed_params_validate(tp, spec, _PERF_EVENT_MAX, error)) < 0 ||
        (r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    r = 0;
    if (flags & DOMAIN_AFFECT_LIVE) {
        /* As libvirt: in order, each change kept up to a refusal. */
        for (size_t i = 0; i < tp->n; i++) {
            int e = perf_event_from_string(tp->p[i].field);

            if (!tp->p[i].v.b)
                disable(dom, e);
            else if ((r = enable(dom, e, error)) < 0)
                break;
            dom->live->perf_events[e] = tp->p[i].v.b ? PERF_YES : PERF_NO;
        }
        qemu_status_save(dom);
        if (r < 0)
            return r;
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        for (size_t i = 0; i < tp->n; i++)
            config->perf_events[perf_event_from_string(tp->p[i].field)] =
                tp->p[i].v.b ? PERF_YES : PERF_NO;
        r = qemu_hotplug_save_config(dom, &config, error);
    }
    return r < 0 ? r : 0;
}
