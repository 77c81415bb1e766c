/* Lifecycle operations that are one QMP command each: suspend, resume,
 * shutdown and reboot by ACPI, reset, and the balloon. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_monitor.h"
#include "state_store.h"
#include "xml_util.h"

/* ---- lifecycle through QMP --------------------------------------------- */

static void
suspend_done(Domain *dom)
{
    qemu_domain_set_state(dom, DOMAIN_STATE_PAUSED, DOMAIN_PAUSED_USER);
    qemu_status_save(dom);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
}

int
qemu_domain_suspend(Domain *dom, DomainDoneCb cb, void *userdata, Error *error)
{
    int r = qemu_job_check_active(dom, error);

    if (r < 0)
        return r;
    if (dom->state == DOMAIN_STATE_PAUSED) {
        /* libvirt: suspending a paused domain succeeds and changes nothing. */
        if (qemu_job_check_idle(dom, error) < 0)
            return -EBUSY;
        qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
        qemu_job_end(dom, NULL);
        return 0;
    }
    return qemu_job_modify(dom, "stop", NULL, suspend_done, cb, userdata, error);
}

static void
resume_done(Domain *dom)
{
    qemu_domain_set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_UNPAUSED);
    qemu_status_save(dom);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
}

int
qemu_domain_resume(Domain *dom, DomainDoneCb cb, void *userdata, Error *error)
{
    int r = qemu_job_check_active(dom, error);

    if (r < 0)
        return r;
    if (dom->state == DOMAIN_STATE_RUNNING)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is already running");
    if (dom->state != DOMAIN_STATE_PAUSED)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not paused");
    return qemu_job_modify(dom, "cont", NULL, resume_done, cb, userdata, error);
}

static void
shutdown_sent(Domain *dom)
{
    dom->proc.shutdown_requested = true;
}

/* ---- shutdown and reboot: the ACPI power button, or the guest agent ---- */

typedef struct AgentPower {
    bool reboot;
    bool acpi_after;   /* both methods asked: ACPI if the agent fails */
    DomainDoneCb cb;
    void *userdata;
} AgentPower;

static void
reboot_sent(Domain *dom)
{
    dom->proc.fake_reboot = true;
}

static void
agent_power_sent(Domain *dom, json_t *reply, const Error *error, void *userdata)
{
    AgentPower *p = userdata;
    Error again = ERROR_INIT;

    if (error && p->acpi_after &&
        qemu_job_modify(dom, "system_powerdown", NULL, p->reboot ? reboot_sent : shutdown_sent,
                        p->cb, p->userdata, &again) >= 0) {
        free(p);
        return;
    }
    if (!error && !p->reboot)
        dom->proc.shutdown_requested = true;
    p->cb(dom, error ? (error_is_set(&again) ? &again : error) : NULL, p->userdata);
    error_clear(&again);
    free(p);
}

/* libvirt's choice: the agent when asked for, or by default when it is
 * connected; ACPI when asked for, by default without an agent, and after
 * an agent that failed when both were asked for. guest-shutdown has no
 * reply: the guest's own power off or reset follows. */
static int
power_request(Domain *dom, bool reboot, unsigned flags, DomainDoneCb cb, void *userdata,
              Error *error)
{
    bool acpi = flags & DOMAIN_SHUTDOWN_FLAG_ACPI_POWER_BTN;
    bool agent = (flags & DOMAIN_SHUTDOWN_FLAG_GUEST_AGENT) || (!flags && dom->agent);
    AgentPower *p;
    int r;

    if (!agent)
        return qemu_job_modify(dom, "system_powerdown", NULL,
                               reboot ? reboot_sent : shutdown_sent, cb, userdata, error);
    p = xcalloc(1, sizeof(*p));
    p->reboot = reboot;
    p->acpi_after = acpi;
    p->cb = cb;
    p->userdata = userdata;
    r = qemu_agent_command_text(
        dom,
        reboot ? "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"reboot\"}}"
               : "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":\"powerdown\"}}",
        AGENT_TIMEOUT_NOWAIT, agent_power_sent, p, error);
    if (r < 0) {
        free(p);
        if (acpi) {
            error_clear(error);
            return qemu_job_modify(dom, "system_powerdown", NULL,
                                   reboot ? reboot_sent : shutdown_sent, cb, userdata, error);
        }
    }
    return r;
}

_Static_assert((int) DOMAIN_SHUTDOWN_FLAG_ACPI_POWER_BTN == (int) DOMAIN_REBOOT_ACPI_POWER_BTN &&
               (int) DOMAIN_SHUTDOWN_FLAG_GUEST_AGENT == (int) DOMAIN_REBOOT_GUEST_AGENT,
               "virDomainShutdownFlagValues and virDomainRebootFlagValues");

int
qemu_domain_shutdown(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                     Error *error)
{
    const unsigned known = DOMAIN_SHUTDOWN_FLAG_ACPI_POWER_BTN | DOMAIN_SHUTDOWN_FLAG_GUEST_AGENT;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: only the ACPI power button and guest agent "
                         "shutdown methods are supported (flags 0x%x)", flags);
    return power_request(dom, false, flags, cb, userdata, error);
}

int
qemu_domain_reboot(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    const unsigned known = DOMAIN_REBOOT_ACPI_POWER_BTN | DOMAIN_REBOOT_GUEST_AGENT;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: only the ACPI power button and guest agent "
                         "reboot methods are supported (flags 0x%x)", flags);
    return power_request(dom, true, flags, cb, userdata, error);
}

int
qemu_domain_reset(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Reset", flags);
    return qemu_job_modify(dom, "system_reset", NULL, NULL, cb, userdata, error);
}


/* libvirt's memory flags are its modification flags. */
_Static_assert((int) DOMAIN_MEM_LIVE == (int) DOMAIN_AFFECT_LIVE &&
               (int) DOMAIN_MEM_CONFIG == (int) DOMAIN_AFFECT_CONFIG,
               "virDomainMemoryModFlags");

int
qemu_domain_set_memory(Domain *dom, uint64_t kib, unsigned flags, DomainDoneCb cb,
                       void *userdata, Error *error)
{
    const unsigned known = DOMAIN_MEM_LIVE | DOMAIN_MEM_CONFIG | DOMAIN_MEM_MAXIMUM;
    unsigned affect;
    bool live, config;
    int r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function SetMemory", flags & ~known);
    affect = flags & (DOMAIN_MEM_LIVE | DOMAIN_MEM_CONFIG);
    r = qemu_domain_affect(dom, &affect, error);
    if (r < 0)
        return r;
    live = affect & DOMAIN_MEM_LIVE;
    config = affect & DOMAIN_MEM_CONFIG;
    if (flags & DOMAIN_MEM_MAXIMUM) {
        if (live)
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: cannot resize the maximum "
                             "memory on an active domain");
        if (kib == 0)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: memory size must be greater than 0");
        /* The cells' sizes make the total: this call cannot say which. */
        if (dom->def->cpu.n_cells)
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: initial memory size of a "
                             "domain with NUMA nodes cannot be modified with this API");
        if (dom->def->max_memory_kib && dom->def->max_memory_kib < kib)
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: cannot set initial memory size "
                             "greater than the maximum memory size");
        dom->def->memory_kib = kib;
        if (dom->def->current_memory_kib > kib)
            dom->def->current_memory_kib = kib;
        r = qemu_driver_save_config(dom->drv, dom->def, error);
        if (r < 0)
            return r;
        qemu_driver_emit_changed(dom);
        if (cb)
            cb(dom, NULL, userdata);
        return 0;
    }
    if (kib == 0 || kib > (live ? dom->live : dom->def)->memory_kib)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: cannot set memory higher than max memory");
    if (config) {
        uint64_t old = dom->def->current_memory_kib;
        dom->def->current_memory_kib = kib;
        r = qemu_driver_save_config(dom->drv, dom->def, error);
        if (r < 0) {
            dom->def->current_memory_kib = old;
            return r;
        }
    }
    if (!live) {
        qemu_driver_emit_changed(dom);
        if (cb)
            cb(dom, NULL, userdata);
        return 0;
    }
    /* The guest's current memory follows the balloon as QEMU reports it
     * (BALLOON_CHANGE), as in libvirt: the target is not what it has. */
    return qemu_job_modify(dom, "balloon", json_pack("{s:I}", "value", (json_int_t) kib * 1024),
                          NULL, cb, userdata, error);
}


/* ---- the balloon's statistics period ----------------------------------- */

typedef struct PeriodCall {
    Domain *dom;
    int period;
    DomainDef *config;
} PeriodCall;

static void
period_set(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    PeriodCall *call = userdata;
    Domain *dom = call->dom;
    Error failed = ERROR_INIT;

    if (error) {
        log_debug("domain '%s': qom-set guest-stats-polling-interval: %s", dom->def->name,
                  error->message);
        error_set(&failed, -EIO, VIR_ERR_OPERATION_INVALID,
                  "Requested operation is not valid: unable to set balloon driver collection "
                  "period");
    } else if (dom->live) {
        dom->live->memballoon.stats_period = call->period;
    }
    qemu_hotplug_finish(dom, &call->config, NULL, failed.code ? &failed : NULL);
    domain_def_free(call->config);
    error_clear(&failed);
    free(call);
}

int
qemu_balloon_set_period(Domain *dom, int period, QmpReplyCb cb, void *userdata, Error *error)
{
    auto_cleanup(free_ptr) char *qom =
        xasprintf("/machine/peripheral/%s", str_or_empty(dom->live->memballoon.alias));

    return qmp_command(dom->monitor.conn, "qom-set",
                       json_pack("{s:s,s:s,s:i}", "path", qom, "property",
                                 "guest-stats-polling-interval", "value", period),
                       cb, userdata, error);
}

static bool
has_balloon(const DomainDef *def)
{
    return def->memballoon.model != MEMBALLOON_ABSENT && def->memballoon.model != MEMBALLOON_NONE;
}

int
qemu_domain_set_memory_stats_period(Domain *dom, int period, unsigned flags, DomainDoneCb cb,
                                    void *userdata, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    PeriodCall *call;
    int r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetMemoryStatsPeriod",
                         flags & ~known);
    if (period < 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: period in virDomainSetMemoryStatsPeriod must be "
                         "non-negative");
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    if (((flags & DOMAIN_AFFECT_LIVE) && !has_balloon(dom->live)) ||
        ((flags & DOMAIN_AFFECT_CONFIG) && !has_balloon(dom->def)))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: No memory balloon device configured, can not set the "
                         "collection period");
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        config->memballoon.stats_period = period;
    }
    if (!(flags & DOMAIN_AFFECT_LIVE)) {
        r = qemu_hotplug_save_config(dom, &config, error);
        if (r >= 0 && cb)
            cb(dom, NULL, userdata);
        return r;
    }
    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->period = period;
    call->config = steal_ptr(config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qemu_balloon_set_period(dom, period, period_set, call, error);
    if (r < 0) {
        domain_def_free(call->config);
        free(call);
        qemu_job_cancel(dom);
    }
    return r;
}
