/* Jobs: one lifecycle operation at a time per domain, and the waiters
 * that hear how it ended. */
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
#include "qemu_monitor.h"
#include "state_store.h"
#include "xml_util.h"

/* ---- jobs -------------------------------------------------------------- */

int
qemu_job_begin(Domain *dom, DomainJob job, DomainDoneCb cb, void *userdata)
{
    dom->job.kind = job;
    dom->job.begin_ms = uv_now(dom->drv->loop);
    if (cb) {
        DomainWaiter *w = xcalloc(1, sizeof(*w));
        w->cb = cb;
        w->userdata = userdata;
        w->next = dom->job.waiters;
        dom->job.waiters = w;
    }
    domain_ref(dom);
    return 0;
}

/* Ends the job: every waiter hears the outcome, then the job's reference goes. */
void
qemu_job_end(Domain *dom, const Error *error)
{
    DomainWaiter *w = steal_ptr(dom->job.waiters);

    dom->job.kind = DOMAIN_JOB_NONE;
    while (w) {
        DomainWaiter *next = w->next;
        w->cb(dom, error, w->userdata);
        free(w);
        w = next;
    }
    domain_unref(dom);
}

/* Undoes qemu_job_begin() for a job that never started: nobody hears of it
 * (the caller reports its own failure). */
void
qemu_job_cancel(Domain *dom)
{
    DomainWaiter *w = steal_ptr(dom->job.waiters);

    dom->job.kind = DOMAIN_JOB_NONE;
    while (w) {
        DomainWaiter *next = w->next;
        free(w);
        w = next;
    }
    domain_unref(dom);
}

/* A QMP command whose only follow-up is ending a MODIFY job. */
typedef void (*ModifyDone)(Domain *dom);

typedef struct ModifyCall {
    Domain *dom;
    ModifyDone done;
} ModifyCall;

static void
modify_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    ModifyCall *call = userdata;
    Domain *dom = call->dom;

    if (!error && call->done)
        call->done(dom);
    free(call);
    qemu_job_end(dom, error);
}

int
qemu_job_check_active(Domain *dom, Error *error)
{
    if (!qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if (!dom->monitor.conn)
        return error_set(error, -EIO, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: monitor of domain '%s' is not "
                         "connected", dom->def->name);
    return 0;
}

int
qemu_job_check_idle(Domain *dom, Error *error)
{
    static const char *const names[] = { "none", "start", "destroy", "modify" };

    if (dom->job.destroying)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain '%s' is being destroyed",
                         dom->def->name);
    if (dom->job.kind != DOMAIN_JOB_NONE)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain '%s' has a %s job in "
                         "progress", dom->def->name, names[dom->job.kind]);
    return 0;
}

int
qemu_job_modify(Domain *dom, const char *cmd, json_t *args, ModifyDone done, DomainDoneCb cb,
               void *userdata, Error *error)
{
    ModifyCall *call;
    int r;

    r = qemu_job_check_active(dom, error);
    if (r >= 0)
        r = qemu_job_check_idle(dom, error);
    if (r < 0) {
        json_decref(args);
        return r;
    }
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->done = done;
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, cmd, args, modify_reply, call, error);
    if (r < 0) {
        free(call);
        qemu_job_cancel(dom);
    }
    return r;
}

