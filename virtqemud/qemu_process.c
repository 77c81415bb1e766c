/* QEMU processes: start, watch, stop, and reconnect after a daemon restart.
 *
 * A start: checks, a listening QMP socket made here and inherited by QEMU (so
 * our connect() succeeds at once, no retry loop), QEMU spawned paused (-S) in
 * its own session with its output in the domain's log, the few QMP queries
 * the driver needs pipelined behind qmp_capabilities, then "cont". The exit of
 * QEMU is learnt from its pidfd, never by polling. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_address.h"
#include "qemu_capabilities.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_monitor.h"
#include "state_store.h"
#include "xml_util.h"

#define DESTROY_GRACE_MS 3000
#define LOG_TAIL_BYTES 1024

static const QmpCallbacks monitor_callbacks;
static void destroy_end(Domain *dom);

/* ---- jobs -------------------------------------------------------------- */

static int
job_begin(Domain *dom, DomainJob job, DomainDoneCb cb, void *userdata)
{
    dom->job = job;
    if (cb) {
        DomainWaiter *w = xcalloc(1, sizeof(*w));
        w->cb = cb;
        w->userdata = userdata;
        w->next = dom->waiters;
        dom->waiters = w;
    }
    domain_ref(dom);
    return 0;
}

/* Ends the job: every waiter hears the outcome, then the job's reference goes. */
static void
job_end(Domain *dom, const Error *error)
{
    DomainWaiter *w = steal_ptr(dom->waiters);

    dom->job = DOMAIN_JOB_NONE;
    while (w) {
        DomainWaiter *next = w->next;
        w->cb(dom, error, w->userdata);
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
    job_end(dom, error);
}

static int
check_active(Domain *dom, Error *error)
{
    if (!qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if (!dom->mon)
        return error_set(error, -EIO, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: monitor of domain '%s' is not "
                         "connected", dom->def->name);
    return 0;
}

static int
check_no_job(Domain *dom, Error *error)
{
    static const char *const names[] = { "none", "start", "destroy", "modify" };

    if (dom->destroying)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain '%s' is being destroyed",
                         dom->def->name);
    if (dom->job != DOMAIN_JOB_NONE)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain '%s' has a %s job in "
                         "progress", dom->def->name, names[dom->job]);
    return 0;
}

static int
modify_command(Domain *dom, const char *cmd, json_t *args, ModifyDone done, DomainDoneCb cb,
               void *userdata, Error *error)
{
    ModifyCall *call;
    int r;

    r = check_active(dom, error);
    if (r >= 0)
        r = check_no_job(dom, error);
    if (r < 0) {
        json_decref(args);
        return r;
    }
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->done = done;
    job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->mon, cmd, args, modify_reply, call, error);
    if (r < 0) {
        free(call);
        dom->job = DOMAIN_JOB_NONE;
        free(steal_ptr(dom->waiters));
        domain_unref(dom);
    }
    return r;
}

/* ---- status file ------------------------------------------------------- */

static const char *
state_to_string(DomainState s)
{
    static const char *const names[] = { "nostate", "running", "blocked", "paused",
                                         "shutdown", "shutoff", "crashed", "pmsuspended" };
    return (unsigned) s < ARRAY_SIZE(names) ? names[s] : "nostate";
}

static int
state_from_string(const char *s)
{
    static const char *const names[] = { "nostate", "running", "blocked", "paused",
                                         "shutdown", "shutoff", "crashed", "pmsuspended" };
    for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
        if (strcmp(names[i], s) == 0)
            return (int) i;
    return -1;
}

/* <domstatus> as libvirt keeps it in /run/libvirt/qemu/NAME.xml: the state,
 * the process, the monitor, and the running definition. */
void
qemu_process_save_status(Domain *dom)
{
    auto_cleanup(free_ptr) char *domxml = NULL, *xml = NULL;
    XmlWriter w = XML_WRITER_INIT;
    Error error = ERROR_INIT;

    if (!dom->live)
        return;
    xml_writer_start(&w, "domstatus");
    xml_writer_attr(&w, "state", state_to_string(dom->state));
    xml_writer_attrf(&w, "reason", "%d", dom->reason);
    xml_writer_attrf(&w, "pid", "%d", (int) dom->pid);
    xml_writer_attrf(&w, "id", "%d", dom->id);
    xml_writer_attrf(&w, "balloon", "%" PRIu64, dom->balloon_kib);
    xml_writer_start(&w, "monitor");
    xml_writer_attr(&w, "path", dom->monitor_path);
    xml_writer_end(&w);
    if (dom->log_path) {
        xml_writer_start(&w, "log");
        xml_writer_attr(&w, "path", dom->log_path);
        xml_writer_end(&w);
    }
    xml_writer_start(&w, "vcpus");
    for (size_t i = 0; i < dom->n_vcpu_tids; i++) {
        xml_writer_start(&w, "vcpu");
        xml_writer_attrf(&w, "id", "%zu", i);
        xml_writer_attrf(&w, "pid", "%" PRId64, dom->vcpu_tids[i]);
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    /* Ports to give back, even after a restart of ours. */
    xml_writer_start(&w, "ports");
    for (size_t i = 0; i < dom->n_ports; i++) {
        if (!dom->port_ids[i])
            continue;
        xml_writer_start(&w, "port");
        xml_writer_attrf(&w, "interface", "%zu", i);
        xml_writer_attr(&w, "network", dom->port_nets[i]);
        xml_writer_attr(&w, "uuid", dom->port_ids[i]);
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    domxml = domain_def_format(dom->live, dom->id, DOMAIN_DEF_FORMAT_SECURE);
    xml_writer_raw(&w, domxml);
    xml_writer_end(&w);
    xml = xml_writer_steal(&w);
    if (state_store_save(dom->drv->status, dom->def->name, xml, &error) < 0) {
        log_error("cannot save the status of domain '%s': %s", dom->def->name, error.message);
        error_clear(&error);
    }
}

/* The domain's runtime folder holds its monitor and the unix sockets QEMU
 * made for channels without a path; it goes with the guest. */
static void
remove_domain_dir(const char *monitor_path)
{
    auto_cleanup(free_ptr) char *dir = xstrdup(monitor_path);
    char *slash = strrchr(dir, '/');
    DIR *d;
    struct dirent *e;

    if (!slash)
        return;
    *slash = '\0';
    d = opendir(dir);
    if (!d)
        return;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

static void
remove_runtime_files(Domain *dom)
{
    QemuDriver *drv = dom->drv;
    auto_cleanup(free_ptr) char *pidfile = NULL;

    state_store_remove(drv->status, dom->def->name, NULL);
    if (dom->monitor_path)
        remove_domain_dir(dom->monitor_path);
    pidfile = xasprintf("%s/%s.pid", drv->run_dir, dom->def->name);
    unlink(pidfile);
}

/* ---- log --------------------------------------------------------------- */

/* The end of QEMU's log from @offset on, for an error message. */
static char *
log_tail(const char *path, off_t offset)
{
    auto_cleanup(close_fdp) int fd = -1;
    char buf[LOG_TAIL_BYTES + 1];
    struct stat st;
    off_t from;
    ssize_t n;
    char *p, *end;

    if (!path)
        return xstrdup("");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return xstrdup("");
    from = st.st_size - LOG_TAIL_BYTES > offset ? st.st_size - LOG_TAIL_BYTES : offset;
    n = pread(fd, buf, LOG_TAIL_BYTES, from);
    if (n <= 0)
        return xstrdup("");
    buf[n] = '\0';
    p = buf;
    /* Leave out our own "starting up" lines and trailing blanks. */
    if (from > offset) {
        char *nl = strchr(p, '\n');
        if (nl)
            p = nl + 1;
    }
    end = p + strlen(p);
    while (end > p && (end[-1] == '\n' || end[-1] == ' '))
        *--end = '\0';
    return xstrdup(p);
}

/* ---- stopping ---------------------------------------------------------- */

static void
kill_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void
stop_kill_timer(Domain *dom)
{
    if (dom->kill_timer) {
        uv_timer_stop(dom->kill_timer);
        uv_close((uv_handle_t *) dom->kill_timer, kill_timer_closed);
        dom->kill_timer = NULL;
    }
}

void
qemu_process_detach(Domain *dom)
{
    stop_kill_timer(dom);
    if (dom->watch) {
        child_watch_free(dom->watch);
        dom->watch = NULL;
    }
    if (dom->mon) {
        qmp_conn_free(dom->mon);
        dom->mon = NULL;
    }
    if (dom->pidfd >= 0) {
        close(dom->pidfd);
        dom->pidfd = -1;
    }
}

/* QEMU is gone: record why, tell everyone, forget the runtime state. */
static void
process_stopped(Domain *dom, int reason, int event_detail, bool emit)
{
    QemuDriver *drv = dom->drv;

    dom->pid = 0; /* reaped: the number may be reused from now on */
    qemu_process_detach(dom);
    qemu_resources_release(dom);
    qemu_resources_clear(dom);
    remove_runtime_files(dom);
    dom->id = -1;
    dom->state = DOMAIN_STATE_SHUTOFF;
    dom->reason = reason;
    dom->shutdown_requested = false;
    dom->fake_reboot = false;
    dom->stop_reason = 0;
    free(steal_ptr(dom->vcpu_tids));
    dom->n_vcpu_tids = 0;
    domain_def_free(steal_ptr(dom->live));
    dom->updated = false;
    if (emit)
        qemu_driver_emit_event(dom, DOMAIN_EVENT_STOPPED, event_detail);
    else
        qemu_driver_emit_changed(dom);
    if (!dom->persistent && !dom->removed)
        qemu_driver_remove(drv, dom);
}

static void
process_exited(ChildWatch *w, pid_t pid, int status, void *userdata)
{
    Domain *dom = userdata;
    Error error = ERROR_INIT;

    domain_ref(dom);
    dom->watch = NULL; /* freed below; the callback may free its own watch */
    child_watch_free(w);
    log_debug("QEMU of domain '%s' (pid %d) exited, status %d", dom->def->name, (int) pid,
              status);

    if (dom->job == DOMAIN_JOB_START) {
        auto_cleanup(free_ptr) char *tail = log_tail(dom->log_path, dom->log_offset);
        if (dom->stop_reason == DOMAIN_SHUTOFF_DESTROYED)
            error_set(&error, -ECANCELED, VIR_ERR_OPERATION_ABORTED,
                      "domain '%s' was destroyed while it was starting", dom->def->name);
        else if (error_is_set(&dom->start_error))
            error_move(&error, &dom->start_error);
        else
            error_set(&error, -EIO, VIR_ERR_INTERNAL_ERROR,
                      "internal error: QEMU of domain '%s' exited while starting: %s",
                      dom->def->name, tail[0] ? tail : "(no output)");
        process_stopped(dom, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED, false);
        job_end(dom, &error);
        error_clear(&error);
    } else {
        int reason = DOMAIN_SHUTOFF_CRASHED, detail = DOMAIN_EVENT_STOPPED_FAILED;
        if (dom->stop_reason == DOMAIN_SHUTOFF_DESTROYED) {
            reason = DOMAIN_SHUTOFF_DESTROYED;
            detail = DOMAIN_EVENT_STOPPED_DESTROYED;
        } else if (dom->stop_reason == DOMAIN_SHUTOFF_CRASHED) {
            detail = DOMAIN_EVENT_STOPPED_CRASHED;
        } else if (dom->shutdown_requested) {
            reason = DOMAIN_SHUTOFF_SHUTDOWN;
            detail = DOMAIN_EVENT_STOPPED_SHUTDOWN;
        }
        process_stopped(dom, reason, detail, true);
    }
    destroy_end(dom);
    domain_unref(dom);
}

static void
kill_timer_fired(uv_timer_t *t)
{
    Domain *dom = t->data;

    log_warn("QEMU of domain '%s' ignored SIGTERM; sending SIGKILL", dom->def->name);
    process_kill(dom->pid, dom->pidfd, SIGKILL);
}

/* SIGTERM now, SIGKILL after a grace period; the exit arrives by the pidfd. */
static void
process_terminate(Domain *dom, bool graceful)
{
    process_kill(dom->pid, dom->pidfd, SIGTERM);
    if (graceful || dom->kill_timer)
        return;
    dom->kill_timer = xcalloc(1, sizeof(*dom->kill_timer));
    uv_timer_init(dom->drv->loop, dom->kill_timer);
    dom->kill_timer->data = dom;
    uv_timer_start(dom->kill_timer, kill_timer_fired, DESTROY_GRACE_MS, 0);
}

int
qemu_domain_destroy(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    DomainWaiter *w;

    /* VIR_DOMAIN_DESTROY_GRACEFUL = 1: no SIGKILL. */
    if (flags & ~1u)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Destroy", flags & ~1u);
    if (!qemu_domain_is_active(dom) || dom->pid <= 0)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    /* Not a job: it may cut any job short (a start fails, a QMP command gets
     * an error when the monitor closes). Its waiters hear of the exit. */
    if (!dom->destroying) {
        dom->destroying = true;
        domain_ref(dom);
    }
    if (cb) {
        w = xcalloc(1, sizeof(*w));
        w->cb = cb;
        w->userdata = userdata;
        w->next = dom->destroy_waiters;
        dom->destroy_waiters = w;
    }
    dom->stop_reason = DOMAIN_SHUTOFF_DESTROYED;
    process_terminate(dom, flags & 1);
    return 0;
}

static void
destroy_end(Domain *dom)
{
    DomainWaiter *w = steal_ptr(dom->destroy_waiters);

    if (!dom->destroying)
        return;
    dom->destroying = false;
    while (w) {
        DomainWaiter *next = w->next;
        w->cb(dom, NULL, w->userdata);
        free(w);
        w = next;
    }
    domain_unref(dom);
}

/* ---- events from QEMU -------------------------------------------------- */

static void
set_state(Domain *dom, DomainState state, int reason)
{
    dom->state = state;
    dom->reason = reason;
}

static void
fake_reboot_done(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (!dom->removed && qemu_domain_is_active(dom) && !error) {
        set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_BOOTED);
        qemu_process_save_status(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
    }
    domain_unref(dom);
}

/* The guest asked to power off (or the host pressed the button and the guest
 * obeyed). QEMU runs with -no-shutdown, so it waits for our decision. */
static void
handle_shutdown(Domain *dom, json_t *data)
{
    json_t *guest = data ? json_object_get(data, "guest") : NULL;
    const char *reason = data ? json_string_value(json_object_get(data, "reason")) : NULL;
    bool guest_reset = reason && strcmp(reason, "guest-reset") == 0;
    DomainLifecycleAction action;
    int detail = DOMAIN_EVENT_SHUTDOWN_FINISHED;

    if (guest)
        detail = json_is_true(guest) ? DOMAIN_EVENT_SHUTDOWN_GUEST : DOMAIN_EVENT_SHUTDOWN_HOST;
    action = guest_reset ? dom->live->on_reboot : dom->live->on_poweroff;
    if (dom->fake_reboot)
        action = DOMAIN_LIFECYCLE_RESTART;

    set_state(dom, DOMAIN_STATE_SHUTDOWN, 0);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_SHUTDOWN, detail);

    switch (action) {
    case DOMAIN_LIFECYCLE_RESTART:
    case DOMAIN_LIFECYCLE_RENAME_RESTART:
    case DOMAIN_LIFECYCLE_COREDUMP_RESTART:
        /* libvirt's fake reboot: reset and run again in the same process. */
        dom->fake_reboot = false;
        domain_ref(dom);
        qmp_command(dom->mon, "system_reset", NULL, NULL, NULL, NULL);
        if (qmp_command(dom->mon, "cont", NULL, fake_reboot_done, dom, NULL) < 0)
            domain_unref(dom);
        break;
    case DOMAIN_LIFECYCLE_PRESERVE:
        set_state(dom, DOMAIN_STATE_SHUTDOWN, 0);
        qemu_process_save_status(dom);
        break;
    default:
        dom->shutdown_requested = true;
        process_terminate(dom, false);
        break;
    }
}

static void
monitor_event(QmpConn *c, const char *name, json_t *data, void *userdata)
{
    Domain *dom = userdata;

    log_debug("domain '%s': QMP event %s", dom->def->name, name);
    if (!dom->live)
        return;
    if (strcmp(name, "SHUTDOWN") == 0) {
        /* Our own SIGTERM (destroy, or after a guest shutdown) makes QEMU
         * say SHUTDOWN again: that one is not news. */
        if (dom->destroying || dom->stop_reason ||
            (dom->shutdown_requested && dom->state == DOMAIN_STATE_SHUTDOWN))
            return;
        handle_shutdown(dom, data);
    } else if (strcmp(name, "RESET") == 0) {
        if (dom->drv->cfg.hooks.domain_rebooted)
            dom->drv->cfg.hooks.domain_rebooted(dom, dom->drv->cfg.hooks_userdata);
    } else if (strcmp(name, "STOP") == 0) {
        /* Our own suspend sets the state itself when QEMU replies. */
        if (dom->job == DOMAIN_JOB_NONE && dom->state == DOMAIN_STATE_RUNNING) {
            set_state(dom, DOMAIN_STATE_PAUSED, 0);
            qemu_process_save_status(dom);
            qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        }
    } else if (strcmp(name, "RESUME") == 0) {
        if (dom->job == DOMAIN_JOB_NONE && dom->state == DOMAIN_STATE_PAUSED) {
            set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_UNPAUSED);
            qemu_process_save_status(dom);
            qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        }
    } else if (strcmp(name, "GUEST_PANICKED") == 0) {
        set_state(dom, DOMAIN_STATE_CRASHED, DOMAIN_CRASHED_PANICKED);
        qemu_process_save_status(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_CRASHED, DOMAIN_EVENT_CRASHED_PANICKED);
        if (dom->live->on_crash == DOMAIN_LIFECYCLE_DESTROY ||
            dom->live->on_crash == DOMAIN_LIFECYCLE_COREDUMP_DESTROY) {
            dom->stop_reason = DOMAIN_SHUTOFF_CRASHED;
            process_terminate(dom, false);
        }
    } else if (strcmp(name, "BALLOON_CHANGE") == 0) {
        json_t *actual = data ? json_object_get(data, "actual") : NULL;
        if (json_is_integer(actual)) {
            dom->balloon_kib = (uint64_t) json_integer_value(actual) / 1024;
            if (dom->drv->cfg.hooks.balloon_changed)
                dom->drv->cfg.hooks.balloon_changed(dom, dom->balloon_kib,
                                                    dom->drv->cfg.hooks_userdata);
        }
    }
}

static void
monitor_closed(QmpConn *c, void *userdata)
{
    Domain *dom = userdata;

    /* QEMU is exiting, or will be told to: its pidfd says when it is gone. */
    if (dom->mon == c) {
        qmp_conn_free(c);
        dom->mon = NULL;
    }
    if (dom->pid > 0 && dom->job != DOMAIN_JOB_DESTROY && !dom->shutdown_requested)
        log_debug("monitor of domain '%s' closed", dom->def->name);
}

static const QmpCallbacks monitor_callbacks = {
    .event = monitor_event,
    .closed = monitor_closed,
};

/* ---- starting ---------------------------------------------------------- */

static void
start_fail(Domain *dom, const Error *error)
{
    /* Kill QEMU; the start job ends with @error when its exit is seen. */
    if (!error_is_set(&dom->start_error))
        error_set(&dom->start_error, -EIO, error->code, "%s", error->message);
    if (dom->pid > 0) {
        dom->stop_reason = DOMAIN_SHUTOFF_FAILED;
        process_kill(dom->pid, dom->pidfd, SIGKILL);
    }
}

static void
start_chardev_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    char **labels = NULL, **ptys = NULL;
    int n;

    if (error) {
        start_fail(dom, error);
        return;
    }
    n = qmp_parse_chardev_ptys(ret, &labels, &ptys);
    for (int i = 0; i < n; i++) {
        /* Labels are "char" + the device alias: charserial0, charconsole0. */
        const char *alias = labels[i] + (strncmp(labels[i], "char", 4) == 0 ? 4 : 0);
        DomainChr *lists[] = { dom->live->serials, dom->live->consoles, dom->live->channels };
        size_t counts[] = { dom->live->n_serials, dom->live->n_consoles, dom->live->n_channels };
        for (size_t l = 0; l < 3; l++) {
            for (size_t k = 0; k < counts[l]; k++) {
                DomainChr *chr = &lists[l][k];
                if (chr->type != CHR_TYPE_PTY || !chr->alias || strcmp(chr->alias, alias) != 0)
                    continue;
                free(chr->source_path);
                chr->source_path = xstrdup(ptys[i]);
            }
        }
    }
    /* A console that is the first serial shows the same pty. */
    for (size_t k = 0; k < dom->live->n_consoles; k++) {
        DomainChr *con = &dom->live->consoles[k];
        if (con->type == CHR_TYPE_PTY && !con->source_path && dom->live->n_serials > 0 &&
            dom->live->serials[0].type == CHR_TYPE_PTY && dom->live->serials[0].source_path)
            con->source_path = xstrdup(dom->live->serials[0].source_path);
    }
    qmp_strv_free(labels);
    qmp_strv_free(ptys);
}

static void
start_cpus_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    QmpVcpu *vcpus = NULL;
    size_t n = 0;

    if (error) {
        start_fail(dom, error);
        return;
    }
    if (qmp_parse_cpus_fast(ret, &vcpus, &n, NULL) < 0)
        return;
    free(dom->vcpu_tids);
    dom->vcpu_tids = xcalloc(n, sizeof(*dom->vcpu_tids));
    dom->n_vcpu_tids = n;
    for (size_t i = 0; i < n; i++)
        dom->vcpu_tids[i] = vcpus[i].thread_id;
    qmp_vcpus_free(vcpus, n);
}

static void
start_done(Domain *dom)
{
    uint64_t elapsed = uv_now(dom->drv->loop) - dom->start_begin_ms;

    log_debug("domain '%s' started in %" PRIu64 " ms", dom->def->name, elapsed);
    dom->balloon_kib = dom->live->current_memory_kib;
    qemu_process_save_status(dom);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_BOOTED);
    if (dom->state == DOMAIN_STATE_PAUSED)
        qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
    job_end(dom, NULL);
}

static void
start_cont_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (error || error_is_set(&dom->start_error)) {
        start_fail(dom, error ? error : &dom->start_error);
        return;
    }
    set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_BOOTED);
    start_done(dom);
}

static void
start_status_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    /* Start paused: the last query's reply ends the start. */
    if (error || error_is_set(&dom->start_error)) {
        start_fail(dom, error ? error : &dom->start_error);
        return;
    }
    set_state(dom, DOMAIN_STATE_PAUSED, DOMAIN_PAUSED_USER);
    start_done(dom);
}

static void
start_monitor_ready(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    if (error)
        start_fail(userdata, error);
}

static bool
domain_has_pty(const DomainDef *def)
{
    for (size_t i = 0; i < def->n_serials; i++)
        if (def->serials[i].type == CHR_TYPE_PTY)
            return true;
    for (size_t i = 0; i < def->n_consoles; i++)
        if (def->consoles[i].type == CHR_TYPE_PTY)
            return true;
    for (size_t i = 0; i < def->n_channels; i++)
        if (def->channels[i].type == CHR_TYPE_PTY)
            return true;
    return false;
}

/* A listening socket for QMP at @path, inherited by QEMU. */
static int
monitor_listen(const char *path, int *ret_fd, Error *error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    auto_cleanup(close_fdp) int fd = -1;

    if (strlen(path) >= sizeof(sa.sun_path))
        return error_set(error, -ENAMETOOLONG, VIR_ERR_INTERNAL_ERROR,
                         "monitor socket path '%s' is too long", path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot create socket");
    unlink(path);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot listen on monitor socket '%s'", path);
    *ret_fd = steal_fd(fd);
    return 0;
}

/* A free TCP port for VNC from 5900 up on @listen, as libvirt's autoport. */
static int
vnc_free_port(const char *listen_addr)
{
    for (int port = 5900; port < 65535; port++) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int fd, one = 1, r;

        if (!listen_addr || inet_pton(AF_INET, listen_addr, &sa.sin_addr) != 1)
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        close(fd);
        if (r == 0)
            return port;
    }
    return -1;
}

/* What libvirt checks before it runs QEMU, each with the missing piece named. */
static int
start_checks(Domain *dom, const DomainDef *def, const QemuHostCaps *caps, Error *error)
{
    const QemuEmulator *emu;

    if (!def->emulator || access(def->emulator, X_OK) < 0)
        return error_set_errno(error, -ENOENT, VIR_ERR_SYSTEM_ERROR,
                               "Cannot check QEMU binary %s",
                               def->emulator ? def->emulator : "(none)");
    if (def->virt_type == DOMAIN_VIRT_KVM && !dom->drv->kvm)
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: domain '%s' requires KVM, but /dev/kvm "
                         "is not usable on this host", def->name);
    emu = caps ? qemu_caps_find_emulator(caps, def->emulator, NULL) : NULL;
    if (emu && def->os_machine && !qemu_emulator_find_machine(emu, def->os_machine))
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: Emulator '%s' does not support machine "
                         "type '%s'", def->emulator, def->os_machine);
    for (size_t i = 0; i < def->n_disks; i++) {
        const DomainDisk *disk = &def->disks[i];
        if (disk->type == DISK_TYPE_VOLUME)
            return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: disk '%s' uses storage pool '%s', "
                             "but no storage daemon is available",
                             disk->target_dev ? disk->target_dev : "?",
                             disk->source_pool ? disk->source_pool : "");
        if ((disk->type == DISK_TYPE_FILE || disk->type == DISK_TYPE_BLOCK) && disk->source &&
            access(disk->source, F_OK) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "Cannot access storage file '%s'", disk->source);
    }
    for (const char *k = def->os_kernel; k; k = NULL)
        if (access(k, R_OK) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "Cannot access kernel '%s'", k);
    for (const char *k = def->os_initrd; k; k = NULL)
        if (access(k, R_OK) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "Cannot access initrd '%s'", k);
    return 0;
}

/* Everything up to QEMU running paused with its monitor connecting. On
 * failure nothing is left behind: no process, no file. */
static int
start_spawn(Domain *dom, DomainDef *live, Error *error)
{
    QemuDriver *drv = dom->drv;
    auto_cleanup(close_fdp) int mon_fd = -1, log_fd = -1;
    auto_cleanup(free_ptr) int *vnc_ports = NULL;
    auto_cleanup(free_ptr) char *pidfile = NULL, *cmdline = NULL, *header = NULL;
    auto_cleanup(free_ptr) char *domain_dir = NULL;
    auto_cleanup(free_ptr) int *keep = NULL;
    size_t n_keep = 0;
    auto_cleanup(strv_freep) char **argv = NULL, **extra_env = NULL, **env = NULL;
    QemuCommandContext ctx = { .monitor_fd = -1 };
    ChildSpec spec = { 0 };
    struct stat st;
    int r;

    domain_dir = xasprintf("%s/domain-%d", drv->run_dir, dom->id);
    dom->monitor_path = xasprintf("%s/monitor.sock", domain_dir);
    remove_domain_dir(dom->monitor_path); /* a stale one from a crash */
    if (mkdir(domain_dir, 0700) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot create folder '%s'", domain_dir);
    dom->log_path = xasprintf("%s/%s.log", drv->log_dir, live->name);
    pidfile = xasprintf("%s/%s.pid", drv->run_dir, live->name);

    vnc_ports = xcalloc(live->n_graphics + 1, sizeof(int));
    for (size_t i = 0; i < live->n_graphics; i++) {
        DomainGraphics *g = &live->graphics[i];
        vnc_ports[i] = g->port;
        if (g->type && strcmp(g->type, "vnc") == 0 && (g->autoport || g->port < 0)) {
            vnc_ports[i] = vnc_free_port(g->listen);
            if (vnc_ports[i] < 0)
                return error_set(error, -EADDRINUSE, VIR_ERR_INTERNAL_ERROR,
                                 "Unable to find an unused port for VNC");
            g->port = vnc_ports[i];
        }
    }

    r = monitor_listen(dom->monitor_path, &mon_fd, error);
    if (r < 0)
        return r;
    ctx.monitor_path = dom->monitor_path;
    ctx.monitor_fd = mon_fd;
    ctx.pidfile = pidfile;
    ctx.log_path = dom->log_path;
    ctx.channel_dir = domain_dir;
    ctx.kvm_available = drv->kvm;
    ctx.vnc_ports = vnc_ports;
    ctx.net_fds = dom->net_fds;
    r = qemu_command_build(live, &ctx, &argv, &extra_env, error);
    if (r < 0)
        goto fail;

    log_fd = open(dom->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        r = error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open log file '%s'",
                            dom->log_path);
        goto fail;
    }
    cmdline = qemu_command_to_string(argv, extra_env);
    header = xasprintf("starting up: %s\n", cmdline);
    if (write(log_fd, header, strlen(header)) < 0)
        log_debug("cannot write to '%s'", dom->log_path);
    dom->log_offset = fstat(log_fd, &st) == 0 ? st.st_size : 0;

    /* libvirt gives QEMU a small, fixed environment. */
    strv_push(&env, xstrdup("LC_ALL=C"));
    strv_push(&env, xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    strv_push(&env, xasprintf("HOME=%s", drv->run_dir));
    for (char **e = extra_env; e && *e; e++)
        strv_push(&env, xstrdup(*e));

    spec.argv = (const char *const *) argv;
    spec.env = (const char *const *) env;
    spec.stdin_fd = -1;
    spec.stdout_fd = log_fd;
    spec.stderr_fd = log_fd;
    keep = xcalloc(dom->n_ports + 1, sizeof(int));
    keep[n_keep++] = mon_fd;
    for (size_t i = 0; i < dom->n_ports; i++)
        if (dom->net_fds[i] >= 0)
            keep[n_keep++] = dom->net_fds[i];
    spec.keep_fds = keep;
    spec.n_keep_fds = n_keep;
    spec.new_session = true;
    r = child_spawn(&spec, &dom->pid, &dom->pidfd, error);
    if (r < 0)
        goto fail;
    log_debug("domain '%s': QEMU pid %d", live->name, (int) dom->pid);

    r = child_watch_new(drv->loop, dom->pid, dom->pidfd, process_exited, dom, &dom->watch, error);
    if (r < 0) {
        dom->pidfd = -1; /* the watch took it, even on failure */
        process_kill(dom->pid, -1, SIGKILL);
        waitpid(dom->pid, NULL, 0);
        dom->pid = 0;
        goto fail;
    }
    dom->pidfd = dup(dom->pidfd); /* ours, for signals; the watch keeps its own */
    return 0;

fail:
    remove_domain_dir(dom->monitor_path);
    return r;
}

/* A start that cannot go on: give back what was borrowed, forget the live
 * definition, and tell the waiters. */
static void
start_abort(Domain *dom, const Error *error)
{
    QemuDriver *drv = dom->drv;

    qemu_resources_release(dom);
    qemu_resources_clear(dom);
    domain_def_free(steal_ptr(dom->live));
    free(steal_ptr(dom->monitor_path));
    if (!dom->persistent && !dom->removed)
        qemu_driver_remove(drv, dom);
    job_end(dom, error);
}

static void
start_with_resources(Domain *dom, const Error *res_error)
{
    QemuDriver *drv = dom->drv;
    Error error = ERROR_INIT;
    bool paused = dom->start_paused;
    int r;

    if (res_error) {
        start_abort(dom, res_error);
        return;
    }
    r = start_checks(dom, dom->live, drv->caps, &error);
    if (r < 0)
        goto fail;
    dom->id = drv->next_id++;
    r = start_spawn(dom, dom->live, &error);
    qemu_resources_close_fds(dom); /* QEMU has its own copies now */
    if (r < 0) {
        dom->id = -1;
        goto fail;
    }
    set_state(dom, DOMAIN_STATE_PAUSED, DOMAIN_PAUSED_STARTING_UP);
    qemu_driver_emit_changed(dom);

    r = qmp_conn_connect(drv->loop, dom->monitor_path, &monitor_callbacks, dom,
                         start_monitor_ready, &dom->mon, &error);
    if (r < 0) {
        start_fail(dom, &error);
        error_clear(&error);
        return;
    }
    /* Pipelined: QMP answers in order, so the last reply ends the start. */
    if (domain_has_pty(dom->live))
        qmp_command(dom->mon, "query-chardev", NULL, start_chardev_reply, dom, NULL);
    qmp_command(dom->mon, "query-cpus-fast", NULL, start_cpus_reply, dom, NULL);
    if (paused)
        qmp_command(dom->mon, "query-status", NULL, start_status_reply, dom, NULL);
    else
        qmp_command(dom->mon, "cont", NULL, start_cont_reply, dom, NULL);
    return;

fail:
    start_abort(dom, &error);
    error_clear(&error);
}

static void
start_with_caps(QemuDriver *drv, const QemuHostCaps *caps, const Error *caps_error,
                void *userdata)
{
    Domain *dom = userdata;
    Error error = ERROR_INIT;

    if (dom->removed) {
        error_set(&error, -ENOENT, VIR_ERR_NO_DOMAIN, "domain was undefined while starting");
        start_abort(dom, &error);
        error_clear(&error);
        return;
    }
    qemu_resources_acquire(dom, start_with_resources);
}

/* Starts @dom's definition. The job ends when QEMU runs (or failed). */
static int
process_start(Domain *dom, bool paused, DomainDoneCb cb, void *userdata, Error *error)
{
    DomainDef *live;

    if (qemu_domain_is_active(dom))
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is already running");
    if (check_no_job(dom, error) < 0)
        return -EBUSY;
    live = domain_def_copy(dom->def);
    qemu_domain_assign_aliases(live);
    dom->live = live;
    dom->start_paused = paused;
    dom->stop_reason = 0;
    dom->shutdown_requested = false;
    dom->fake_reboot = false;
    dom->start_begin_ms = uv_now(dom->drv->loop);
    error_clear(&dom->start_error);
    job_begin(dom, DOMAIN_JOB_START, cb, userdata);
    qemu_driver_get_caps(dom->drv, start_with_caps, dom);
    return 0;
}

int
qemu_domain_start(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    /* VIR_DOMAIN_START_PAUSED = 1; AUTODESTROY, BYPASS_CACHE, FORCE_BOOT and
     * VALIDATE change nothing here. */
    if (flags & ~0x1fu)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Create", flags & ~0x1fu);
    return process_start(dom, flags & 1, cb, userdata, error);
}

int
qemu_driver_create_xml(QemuDriver *drv, const char *xml, unsigned flags, DomainDoneCb cb,
                       void *userdata, Domain **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    Domain *dom;
    int r;

    if (flags & ~0x1fu)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function DomainCreateXML",
                         flags & ~0x1fu);
    r = qemu_driver_parse(drv, xml, &def, error);
    if (r < 0)
        return r;
    r = qemu_driver_check_duplicate(drv, def, &dom, error);
    if (r < 0)
        return r;
    if (dom) {
        if (qemu_domain_is_active(dom) || dom->job != DOMAIN_JOB_NONE)
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: domain '%s' is already "
                             "active", def->name);
        /* libvirt starts the given definition; the persistent one stays. */
        r = process_start(dom, flags & 1, cb, userdata, error);
        if (r < 0)
            return r;
        domain_def_free(dom->live);
        dom->live = steal_ptr(def);
        qemu_domain_assign_aliases(dom->live);
        *ret = dom;
        return 0;
    }
    dom = qemu_domain_new(drv, steal_ptr(def));
    dom->persistent = false;
    qemu_driver_add(drv, dom);
    r = process_start(dom, flags & 1, cb, userdata, error);
    if (r < 0) {
        qemu_driver_remove(drv, dom);
        return r;
    }
    *ret = dom;
    return 0;
}

/* ---- lifecycle through QMP --------------------------------------------- */

static void
suspend_done(Domain *dom)
{
    set_state(dom, DOMAIN_STATE_PAUSED, DOMAIN_PAUSED_USER);
    qemu_process_save_status(dom);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
}

int
qemu_domain_suspend(Domain *dom, DomainDoneCb cb, void *userdata, Error *error)
{
    int r = check_active(dom, error);

    if (r < 0)
        return r;
    if (dom->state == DOMAIN_STATE_PAUSED) {
        /* libvirt: suspending a paused domain succeeds and changes nothing. */
        if (check_no_job(dom, error) < 0)
            return -EBUSY;
        job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
        job_end(dom, NULL);
        return 0;
    }
    return modify_command(dom, "stop", NULL, suspend_done, cb, userdata, error);
}

static void
resume_done(Domain *dom)
{
    set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_UNPAUSED);
    qemu_process_save_status(dom);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
}

int
qemu_domain_resume(Domain *dom, DomainDoneCb cb, void *userdata, Error *error)
{
    int r = check_active(dom, error);

    if (r < 0)
        return r;
    if (dom->state == DOMAIN_STATE_RUNNING)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is already running");
    if (dom->state != DOMAIN_STATE_PAUSED)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not paused");
    return modify_command(dom, "cont", NULL, resume_done, cb, userdata, error);
}

static void
shutdown_sent(Domain *dom)
{
    dom->shutdown_requested = true;
}

int
qemu_domain_shutdown(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                     Error *error)
{
    /* VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN = 1 is what we do; 0 picks it. */
    if (flags & ~1u)
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: only the ACPI power button shutdown "
                         "method is supported (flags 0x%x)", flags);
    return modify_command(dom, "system_powerdown", NULL, shutdown_sent, cb, userdata, error);
}

static void
reboot_sent(Domain *dom)
{
    dom->fake_reboot = true;
}

int
qemu_domain_reboot(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    if (flags & ~1u)
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: only the ACPI power button reboot method "
                         "is supported (flags 0x%x)", flags);
    return modify_command(dom, "system_powerdown", NULL, reboot_sent, cb, userdata, error);
}

int
qemu_domain_reset(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Reset", flags);
    return modify_command(dom, "system_reset", NULL, NULL, cb, userdata, error);
}

static void
set_memory_done(Domain *dom)
{
    dom->live->current_memory_kib = dom->pending_memory_kib;
    dom->balloon_kib = dom->pending_memory_kib;
    qemu_process_save_status(dom);
}

int
qemu_domain_set_memory(Domain *dom, uint64_t kib, unsigned flags, DomainDoneCb cb,
                       void *userdata, Error *error)
{
    /* virDomainMemoryModFlags: LIVE 1, CONFIG 2, MEM_MAXIMUM 4. */
    bool live, config;
    int r;

    if (flags & ~7u)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function SetMemory", flags & ~7u);
    live = (flags & 1) || (!(flags & 2) && qemu_domain_is_active(dom));
    config = (flags & 2) || (!(flags & 1) && !qemu_domain_is_active(dom));
    if (live && !qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if (config && !dom->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: transient domains do not have "
                         "any persistent config");
    if (flags & 4) {
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
        if (cb)
            cb(dom, NULL, userdata);
        return 0;
    }
    dom->pending_memory_kib = kib;
    return modify_command(dom, "balloon", json_pack("{s:I}", "value", (json_int_t) kib * 1024),
                          set_memory_done, cb, userdata, error);
}

/* ---- /proc readings ---------------------------------------------------- */

static int
read_proc_stat_times(const char *path, uint64_t *ret_user, uint64_t *ret_sys)
{
    char buf[1024], *p;
    unsigned long long utime, stime;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -EIO;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return -EIO;
    long hz = sysconf(_SC_CLK_TCK);
    *ret_user = utime * (1000000000ull / (uint64_t) hz);
    *ret_sys = stime * (1000000000ull / (uint64_t) hz);
    return 0;
}

uint64_t
qemu_domain_cpu_time(const Domain *dom, uint64_t *ret_user, uint64_t *ret_system)
{
    char path[64];
    uint64_t u = 0, s = 0;

    if (dom->pid > 0) {
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) dom->pid);
        read_proc_stat_times(path, &u, &s);
    }
    if (ret_user)
        *ret_user = u;
    if (ret_system)
        *ret_system = s;
    return u + s;
}

uint64_t
qemu_domain_vcpu_time(const Domain *dom, size_t i)
{
    char path[96];
    uint64_t u = 0, s = 0;

    if (dom->pid <= 0 || i >= dom->n_vcpu_tids || dom->vcpu_tids[i] <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/task/%" PRId64 "/stat", (int) dom->pid,
             dom->vcpu_tids[i]);
    if (read_proc_stat_times(path, &u, &s) < 0)
        return 0;
    return u + s;
}

uint64_t
qemu_domain_rss_kib(const Domain *dom)
{
    char path[64], line[256];
    unsigned long long kib = 0;
    FILE *f;

    if (dom->pid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int) dom->pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* ---- reconnect after a daemon restart ---------------------------------- */

static void
reconnect_status_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    bool running = false;
    auto_cleanup(free_ptr) char *status = NULL;

    if (error || qmp_parse_status(ret, &status, &running, NULL) < 0)
        return;
    /* The guest may have changed state while nobody watched. */
    if (running && dom->state != DOMAIN_STATE_RUNNING) {
        set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        qemu_process_save_status(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
    } else if (!running && dom->state == DOMAIN_STATE_RUNNING) {
        if (status && strcmp(status, "shutdown") == 0) {
            /* It powered off while we were away: finish what on_poweroff says. */
            handle_shutdown(dom, NULL);
            return;
        }
        set_state(dom, DOMAIN_STATE_PAUSED, 0);
        qemu_process_save_status(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
    }
}

/* Is @pid still the QEMU of domain @name (and not a recycled pid)? */
static bool
pid_is_qemu_of(pid_t pid, const char *name)
{
    char path[64], buf[8192];
    ssize_t n;
    int fd;
    auto_cleanup(free_ptr) char *want = xasprintf("guest=%s", name);
    auto_cleanup(free_ptr) char *escaped = qemu_escape_option(name);
    auto_cleanup(free_ptr) char *want2 = xasprintf("guest=%s", escaped);

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    for (char *p = buf; p < buf + n; p += strlen(p) + 1)
        if (strncmp(p, want, strlen(want)) == 0 || strncmp(p, want2, strlen(want2)) == 0)
            return true;
    return false;
}

static void
reconnect_one(QemuDriver *drv, const char *name)
{
    auto_cleanup(free_ptr) char *xml = NULL, *state = NULL, *pid_s = NULL, *id_s = NULL;
    auto_cleanup(free_ptr) char *reason_s = NULL, *mon = NULL, *logp = NULL, *balloon = NULL;
    auto_cleanup(free_ptr) char *domxml = NULL;
    auto_cleanup(domain_def_freep) DomainDef *live = NULL;
    Error error = ERROR_INIT;
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    xmlNode *root, *node;
    Domain *dom;
    pid_t pid;
    int pidfd, r;

    if (state_store_load(drv->status, name, &xml, &error) < 0)
        goto gone;
    if (xml_parse_document(xml, 32 * 1024 * 1024, "domstatus", &doc, &error) < 0)
        goto gone;
    root = xmlDocGetRootElement(doc);
    state = xml_prop(root, "state");
    reason_s = xml_prop(root, "reason");
    pid_s = xml_prop(root, "pid");
    id_s = xml_prop(root, "id");
    balloon = xml_prop(root, "balloon");
    if ((node = xml_child(root, "monitor")))
        mon = xml_prop(node, "path");
    if ((node = xml_child(root, "log")))
        logp = xml_prop(node, "path");
    node = xml_child(root, "domain");
    if (!node || !pid_s || !id_s || !mon)
        goto gone;
    domxml = xml_node_xml(node);
    if (domain_def_parse(domxml, &live, &error) < 0)
        goto gone;

    pid = (pid_t) atoi(pid_s);
    if (pid <= 0 || !pid_is_qemu_of(pid, live->name))
        goto gone;
    pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        goto gone;

    dom = qemu_driver_find_by_name(drv, live->name);
    if (dom && !uuid_equal(&dom->def->uuid, &live->uuid)) {
        log_error("running domain '%s' has another uuid than its definition; leaving it",
                  live->name);
        close(pidfd);
        goto out;
    }
    if (!dom) {
        dom = qemu_domain_new(drv, domain_def_copy(live));
        dom->persistent = false;
        qemu_driver_add(drv, dom);
    }
    dom->live = steal_ptr(live);
    dom->id = atoi(id_s);
    dom->pid = pid;
    dom->pidfd = pidfd;
    dom->state = state_from_string(state) > 0 ? state_from_string(state) : DOMAIN_STATE_RUNNING;
    dom->reason = reason_s ? atoi(reason_s) : 0;
    dom->balloon_kib = balloon ? strtoull(balloon, NULL, 10) : dom->live->current_memory_kib;
    dom->monitor_path = steal_ptr(mon);
    dom->log_path = logp && *logp ? steal_ptr(logp) : NULL;
    if (dom->def != dom->live && dom->persistent) {
        auto_cleanup(free_ptr) char *a = domain_def_format(dom->def, -1, DOMAIN_DEF_FORMAT_INACTIVE);
        auto_cleanup(free_ptr) char *b = domain_def_format(dom->live, -1, DOMAIN_DEF_FORMAT_INACTIVE);
        dom->updated = strcmp(a, b) != 0;
    }
    for (xmlNodePtr v = (node = xml_child(root, "vcpus")) ? node->children : NULL; v; v = v->next) {
        auto_cleanup(free_ptr) char *tid = NULL;
        if (v->type != XML_ELEMENT_NODE || !(tid = xml_prop(v, "pid")))
            continue;
        dom->vcpu_tids = xrealloc(dom->vcpu_tids, (dom->n_vcpu_tids + 1) * sizeof(int64_t));
        dom->vcpu_tids[dom->n_vcpu_tids++] = strtoll(tid, NULL, 10);
    }
    if (dom->id >= drv->next_id)
        drv->next_id = dom->id + 1;
    dom->n_ports = dom->live->n_nets;
    dom->net_fds = xcalloc(dom->n_ports + 1, sizeof(int));
    dom->port_ids = xcalloc(dom->n_ports + 1, sizeof(char *));
    dom->port_nets = xcalloc(dom->n_ports + 1, sizeof(char *));
    for (size_t i = 0; i < dom->n_ports; i++)
        dom->net_fds[i] = -1;
    for (xmlNode *p = (node = xml_child(root, "ports")) ? node->children : NULL; p; p = p->next) {
        auto_cleanup(free_ptr) char *idx = NULL;
        size_t i;
        if (!xml_node_is(p, "port") || !(idx = xml_prop(p, "interface")))
            continue;
        i = strtoul(idx, NULL, 10);
        if (i >= dom->n_ports || dom->port_ids[i])
            continue;
        dom->port_ids[i] = xml_prop(p, "uuid");
        dom->port_nets[i] = xml_prop(p, "network");
    }

    r = child_watch_new(drv->loop, pid, dup(pidfd), process_exited, dom, &dom->watch, &error);
    if (r < 0)
        log_error("cannot watch QEMU of domain '%s': %s", dom->def->name, error.message);
    error_clear(&error);
    r = qmp_conn_connect(drv->loop, dom->monitor_path, &monitor_callbacks, dom, NULL, &dom->mon,
                         &error);
    if (r < 0) {
        log_error("cannot reconnect to the monitor of domain '%s': %s", dom->def->name,
                  error.message);
        error_clear(&error);
    } else {
        qmp_command(dom->mon, "query-status", NULL, reconnect_status_reply, dom, NULL);
    }
    log_info("reconnected to domain '%s' (id %d, pid %d)", dom->def->name, dom->id, (int) pid);
    goto out;

gone:
    /* The guest ended while we were away: forget its runtime state. */
    log_info("domain '%s' is no longer running%s%s", name, error.message ? ": " : "",
             error.message ? error.message : "");
    state_store_remove(drv->status, name, NULL);
    if (mon)
        remove_domain_dir(mon);
    if ((dom = qemu_driver_find_by_name(drv, name)))
        dom->reason = DOMAIN_SHUTOFF_UNKNOWN;
out:
    error_clear(&error);
}

void
qemu_process_reconnect_all(QemuDriver *drv)
{
    auto_cleanup(strv_freep) char **names = NULL;
    Error error = ERROR_INIT;

    if (state_store_list(drv->status, &names, &error) < 0) {
        log_error("cannot list running domains: %s", error.message);
        error_clear(&error);
        return;
    }
    for (char **n = names; *n; n++)
        reconnect_one(drv, *n);
}
