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

int
qemu_domain_shutdown(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                     Error *error)
{
    /* The ACPI power button is what we do; the default picks it. */
    if (flags & ~(unsigned) DOMAIN_SHUTDOWN_FLAG_ACPI_POWER_BTN)
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: only the ACPI power button shutdown "
                         "method is supported (flags 0x%x)", flags);
    return qemu_job_modify(dom, "system_powerdown", NULL, shutdown_sent, cb, userdata, error);
}

static void
reboot_sent(Domain *dom)
{
    dom->proc.fake_reboot = true;
}

int
qemu_domain_reboot(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    if (flags & ~(unsigned) DOMAIN_REBOOT_ACPI_POWER_BTN)
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: only the ACPI power button reboot method "
                         "is supported (flags 0x%x)", flags);
    return qemu_job_modify(dom, "system_powerdown", NULL, reboot_sent, cb, userdata, error);
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

