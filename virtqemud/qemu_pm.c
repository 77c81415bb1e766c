/* The guest's own power management: dompmsuspend asks the guest agent to
 * suspend to RAM or disk (qemu-ga's guest-suspend-*, which answers
 * nothing), QEMU says it happened (SUSPEND, SUSPEND_DISK), and dompmwakeup
 * is QMP system_wakeup (WAKEUP). Each becomes libvirt's state and events:
 * PMSUSPENDED with PMSUSPEND or PMSUSPEND_DISK, then RUNNING (WAKEUP) with
 * PMWAKEUP. */
#include <errno.h>

#include "qemu_driver_priv.h"

typedef struct PmCall {
    DomainDoneCb cb;
    void *userdata;
} PmCall;

static void
suspend_sent(Domain *dom, json_t *reply, const Error *error, void *userdata)
{
    PmCall *call = userdata;

    if (call->cb)
        call->cb(dom, error, call->userdata);
    free(call);
}

int
qemu_domain_pm_suspend(Domain *dom, unsigned target, uint64_t duration, unsigned flags,
                       DomainDoneCb cb, void *userdata, Error *error)
{
    static const char *const commands[] = {
        [NODE_SUSPEND_TARGET_MEM] = "{\"execute\":\"guest-suspend-ram\"}",
        [NODE_SUSPEND_TARGET_DISK] = "{\"execute\":\"guest-suspend-disk\"}",
        [NODE_SUSPEND_TARGET_HYBRID] = "{\"execute\":\"guest-suspend-hybrid\"}",
    };
    PmCall *call;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainPMSuspendForDuration",
                         flags);
    if (duration)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "%s",
                         "invalid argument: Duration not supported. Use 0 for now");
    if (target > NODE_SUSPEND_TARGET_HYBRID)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Unknown suspend target: %u", target);
    if ((r = qemu_agent_available(dom, error)) < 0)
        return r;
    if (target != NODE_SUSPEND_TARGET_DISK && dom->live->pm_suspend_to_mem == 0)
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED, "%s",
                         "Operation not supported: S3 state is disabled for this domain");
    if (target != NODE_SUSPEND_TARGET_MEM && dom->live->pm_suspend_to_disk == 0)
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED, "%s",
                         "Operation not supported: S4 state is disabled for this domain");
    call = xcalloc(1, sizeof(*call));
    call->cb = cb;
    call->userdata = userdata;
    /* No answer comes: QEMU's SUSPEND event tells. */
    r = qemu_agent_command_text(dom, commands[target], AGENT_TIMEOUT_NOWAIT, suspend_sent, call,
                                error);
    if (r < 0)
        free(call);
    return r;
}

int
qemu_domain_pm_wakeup(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                      Error *error)
{
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainPMWakeup", flags);
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    if (dom->state != DOMAIN_STATE_PMSUSPENDED)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID, "%s",
                         "Requested operation is not valid: Unable to wake up domain which is "
                         "not suspended");
    return qemu_job_modify(dom, "system_wakeup", NULL, NULL, cb, userdata, error);
}

void
qemu_pm_event(Domain *dom, const char *name)
{
    QemuDriver *drv = dom->drv;
    bool disk = STREQ(name, "SUSPEND_DISK");

    if (STREQ(name, "WAKEUP")) {
        if (dom->state != DOMAIN_STATE_PMSUSPENDED)
            return;
        qemu_domain_set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_WAKEUP);
        qemu_status_save(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_WAKEUP);
        if (drv->cfg.hooks.pm_event)
            drv->cfg.hooks.pm_event(dom, DOMAIN_EVENT_ID_PMWAKEUP, drv->cfg.hooks_userdata);
        return;
    }
    qemu_domain_set_state(dom, DOMAIN_STATE_PMSUSPENDED, 0);
    qemu_status_save(dom);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_PMSUSPENDED,
                           disk ? DOMAIN_EVENT_PMSUSPENDED_DISK : DOMAIN_EVENT_PMSUSPENDED_MEMORY);
    if (drv->cfg.hooks.pm_event)
        drv->cfg.hooks.pm_event(dom, disk ? DOMAIN_EVENT_ID_PMSUSPEND_DISK
                                          : DOMAIN_EVENT_ID_PMSUSPEND, drv->cfg.hooks_userdata);
}
