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
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_address.h"
#include "qemu_capabilities.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hostdev_usb.h"
#include "qemu_hotplug.h"
#include "qemu_memory.h"
#include "qemu_monitor.h"
#include "qemu_perf.h"
#include "state_store.h"
#include "xml_util.h"

#define DESTROY_GRACE_MS 3000
/* AUTODESTROY, BYPASS_CACHE, FORCE_BOOT and VALIDATE change nothing here. */
#define START_FLAGS_KNOWN (DOMAIN_START_PAUSED | DOMAIN_START_AUTODESTROY | \
                           DOMAIN_START_BYPASS_CACHE | DOMAIN_START_FORCE_BOOT | \
                           DOMAIN_START_VALIDATE)
#define LOG_TAIL_BYTES 1024

static void destroy_end(Domain *dom);

/* The integration tests kill virtqemud at named moments of a start
 * (VIRTQEMUD_TEST_CRASH_AT=moment) and check that the restarted daemon
 * recovers the guest; nothing sets it otherwise. */
static void
crash_point(const char *moment)
{
    static const char *want;
    static bool read;

    if (!read) {
        want = getenv("VIRTQEMUD_TEST_CRASH_AT");
        read = true;
    }
    if (want && strcmp(want, moment) == 0)
        raise(SIGKILL);
}

/* The domain's runtime folder holds its monitor and the unix sockets QEMU
 * made for channels without a path; it goes with the guest. */
void
qemu_process_remove_domain_dir(const char *monitor_path)
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
    if (dom->monitor.path)
        qemu_process_remove_domain_dir(dom->monitor.path);
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
    if (dom->proc.kill_timer) {
        uv_timer_stop(dom->proc.kill_timer);
        uv_close((uv_handle_t *) dom->proc.kill_timer, kill_timer_closed);
        dom->proc.kill_timer = NULL;
    }
}

void
qemu_process_detach(Domain *dom)
{
    stop_kill_timer(dom);
    qemu_hotplug_clear(dom);
    qemu_console_close_all(dom);
    qemu_agent_detach(dom);
    if (dom->proc.watch) {
        child_watch_free(dom->proc.watch);
        dom->proc.watch = NULL;
    }
    if (dom->monitor.conn) {
        qmp_conn_free(dom->monitor.conn);
        dom->monitor.conn = NULL;
    }
    if (dom->proc.pidfd >= 0) {
        close(dom->proc.pidfd);
        dom->proc.pidfd = -1;
    }
}

/* QEMU is gone: record why, tell everyone, forget the runtime state. */
static void
process_stopped(Domain *dom, int reason, int event_detail, bool emit)
{
    QemuDriver *drv = dom->drv;

    dom->proc.pid = 0; /* reaped: the number may be reused from now on */
    qemu_process_detach(dom);
    qemu_resources_release(dom);
    qemu_resources_clear(dom);
    qemu_cputune_cleanup(dom);
    qemu_perf_stop(dom);
    qemu_dac_restore_all(dom);
    remove_runtime_files(dom);
    qemu_driver_set_id(dom, -1);
    dom->state = DOMAIN_STATE_SHUTOFF;
    dom->reason = reason;
    dom->proc.shutdown_requested = false;
    dom->proc.fake_reboot = false;
    dom->proc.stop_reason = 0;
    free(steal_ptr(dom->monitor.vcpu_tids));
    dom->monitor.n_vcpu_tids = 0;
    free(steal_ptr(dom->monitor.capacities));
    dom->monitor.n_capacities = 0;
    domain_def_free(steal_ptr(dom->live));
    dom->updated = false;
    if (emit)
        qemu_driver_emit_event(dom, DOMAIN_EVENT_STOPPED, event_detail);
    else
        qemu_driver_emit_changed(dom);
    if (!dom->persistent && !dom->removed)
        qemu_driver_remove(drv, dom);
}

void
qemu_process_exited(ChildWatch *w, pid_t pid, int status, void *userdata)
{
    Domain *dom = userdata;
    Error error = ERROR_INIT;

    domain_ref(dom);
    dom->proc.watch = NULL; /* freed below; the callback may free its own watch */
    child_watch_free(w);
    log_debug("QEMU of domain '%s' (pid %d) exited, status %d", dom->def->name, (int) pid,
              status);

    if (dom->job.kind == DOMAIN_JOB_START) {
        auto_cleanup(free_ptr) char *tail = log_tail(dom->proc.log_path, dom->proc.log_offset);
        if (dom->proc.stop_reason == DOMAIN_SHUTOFF_DESTROYED)
            error_set(&error, -ECANCELED, VIR_ERR_OPERATION_ABORTED,
                      "domain '%s' was destroyed while it was starting", dom->def->name);
        /* Killed by us: our reason. Exited by itself (a bad option, a
         * missing file): QEMU's own words, even if our side first saw only
         * its monitor close. */
        else if (error_is_set(&dom->job.start_error) && !(status >= 0 && WIFEXITED(status)))
            error_move(&error, &dom->job.start_error);
        else
            error_set(&error, -EIO, VIR_ERR_INTERNAL_ERROR,
                      "internal error: QEMU of domain '%s' exited while starting: %s",
                      dom->def->name, tail[0] ? tail : "(no output)");
        /* The caller of a start hears of its failure; after a crash of
         * ours nobody waits, so everyone hears of it as an event. */
        if (dom->job.start_recovered)
            log_warn("domain '%s': the start cut short by a crash failed: %s", dom->def->name,
                     error.message);
        bool recovered = dom->job.start_recovered;

        dom->job.start_recovered = false;
        process_stopped(dom, DOMAIN_SHUTOFF_FAILED,
                        dom->proc.stop_reason == DOMAIN_SHUTOFF_DESTROYED
                            ? DOMAIN_EVENT_STOPPED_DESTROYED : DOMAIN_EVENT_STOPPED_FAILED,
                        recovered);
        qemu_job_end(dom, &error);
        error_clear(&error);
    } else {
        int reason = DOMAIN_SHUTOFF_CRASHED, detail = DOMAIN_EVENT_STOPPED_FAILED;
        if (dom->proc.stop_reason == DOMAIN_SHUTOFF_DESTROYED) {
            reason = DOMAIN_SHUTOFF_DESTROYED;
            detail = DOMAIN_EVENT_STOPPED_DESTROYED;
        } else if (dom->proc.stop_reason == DOMAIN_SHUTOFF_CRASHED) {
            detail = DOMAIN_EVENT_STOPPED_CRASHED;
        } else if (dom->proc.shutdown_requested) {
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
    process_kill(dom->proc.pid, dom->proc.pidfd, SIGKILL);
}

/* SIGTERM now, SIGKILL after a grace period; the exit arrives by the pidfd. */
void
qemu_process_terminate(Domain *dom, bool graceful)
{
    process_kill(dom->proc.pid, dom->proc.pidfd, SIGTERM);
    if (graceful || dom->proc.kill_timer)
        return;
    dom->proc.kill_timer = xcalloc(1, sizeof(*dom->proc.kill_timer));
    uv_timer_init(dom->drv->loop, dom->proc.kill_timer);
    dom->proc.kill_timer->data = dom;
    uv_timer_start(dom->proc.kill_timer, kill_timer_fired, DESTROY_GRACE_MS, 0);
}

int
qemu_domain_destroy(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    DomainWaiter *w;

    /* GRACEFUL: no SIGKILL. */
    if (flags & ~(unsigned) DOMAIN_DESTROY_GRACEFUL)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Destroy",
                         flags & ~(unsigned) DOMAIN_DESTROY_GRACEFUL);
    if (!qemu_domain_is_active(dom) || dom->proc.pid <= 0)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    /* Not a job: it may cut any job short (a start fails, a QMP command gets
     * an error when the monitor closes). Its waiters hear of the exit. */
    if (!dom->job.destroying) {
        dom->job.destroying = true;
        domain_ref(dom);
    }
    if (cb) {
        w = xcalloc(1, sizeof(*w));
        w->cb = cb;
        w->userdata = userdata;
        w->next = dom->job.destroy_waiters;
        dom->job.destroy_waiters = w;
    }
    dom->proc.stop_reason = DOMAIN_SHUTOFF_DESTROYED;
    qemu_process_terminate(dom, flags & DOMAIN_DESTROY_GRACEFUL);
    return 0;
}

static void
destroy_end(Domain *dom)
{
    DomainWaiter *w = steal_ptr(dom->job.destroy_waiters);

    if (!dom->job.destroying)
        return;
    dom->job.destroying = false;
    while (w) {
        DomainWaiter *next = w->next;
        w->cb(dom, NULL, w->userdata);
        free(w);
        w = next;
    }
    domain_unref(dom);
}

/* ---- events from QEMU -------------------------------------------------- */

void
qemu_domain_set_state(Domain *dom, DomainState state, int reason)
{
    dom->state = state;
    dom->reason = reason;
}

static void
fake_reboot_done(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (!dom->removed && qemu_domain_is_active(dom) && !error) {
        qemu_domain_set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_BOOTED);
        qemu_status_save(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
    }
    domain_unref(dom);
}

/* The guest asked to power off (or the host pressed the button and the guest
 * obeyed). QEMU runs with -no-shutdown, so it waits for our decision. */
void
qemu_process_handle_shutdown(Domain *dom, json_t *data)
{
    json_t *guest = data ? json_object_get(data, "guest") : NULL;
    const char *reason = data ? json_string_value(json_object_get(data, "reason")) : NULL;
    bool guest_reset = reason && strcmp(reason, "guest-reset") == 0;
    DomainLifecycleAction action;
    int detail = DOMAIN_EVENT_SHUTDOWN_FINISHED;

    if (guest)
        detail = json_is_true(guest) ? DOMAIN_EVENT_SHUTDOWN_GUEST : DOMAIN_EVENT_SHUTDOWN_HOST;
    action = guest_reset ? dom->live->on_reboot : dom->live->on_poweroff;
    if (dom->proc.fake_reboot)
        action = DOMAIN_LIFECYCLE_RESTART;

    qemu_domain_set_state(dom, DOMAIN_STATE_SHUTDOWN, 0);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_SHUTDOWN, detail);

    switch (action) {
    case DOMAIN_LIFECYCLE_RESTART:
    case DOMAIN_LIFECYCLE_RENAME_RESTART:
    case DOMAIN_LIFECYCLE_COREDUMP_RESTART:
        /* libvirt's fake reboot: reset and run again in the same process. */
        dom->proc.fake_reboot = false;
        domain_ref(dom);
        qmp_command(dom->monitor.conn, "system_reset", NULL, NULL, NULL, NULL);
        if (qmp_command(dom->monitor.conn, "cont", NULL, fake_reboot_done, dom, NULL) < 0)
            domain_unref(dom);
        break;
    case DOMAIN_LIFECYCLE_PRESERVE:
        qemu_domain_set_state(dom, DOMAIN_STATE_SHUTDOWN, 0);
        qemu_status_save(dom);
        break;
    default:
        dom->proc.shutdown_requested = true;
        qemu_process_terminate(dom, false);
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
    if (dom->drv->cfg.hooks.monitor_event) {
        struct timespec now;
        char *details = data ? json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

        clock_gettime(CLOCK_REALTIME, &now);
        dom->drv->cfg.hooks.monitor_event(dom, name, now.tv_sec, (unsigned) (now.tv_nsec / 1000),
                                          details, dom->drv->cfg.hooks_userdata);
        free(details);
    }
    if (strcmp(name, "SHUTDOWN") == 0) {
        /* Our own SIGTERM (destroy, or after a guest shutdown) makes QEMU
         * say SHUTDOWN again: that one is not news. */
        if (dom->job.destroying || dom->proc.stop_reason ||
            (dom->proc.shutdown_requested && dom->state == DOMAIN_STATE_SHUTDOWN))
            return;
        qemu_process_handle_shutdown(dom, data);
    } else if (strcmp(name, "RESET") == 0) {
        if (dom->drv->cfg.hooks.domain_rebooted)
            dom->drv->cfg.hooks.domain_rebooted(dom, dom->drv->cfg.hooks_userdata);
    } else if (strcmp(name, "STOP") == 0) {
        /* Our own suspend sets the state itself when QEMU replies. */
        if (dom->job.kind == DOMAIN_JOB_NONE && dom->state == DOMAIN_STATE_RUNNING) {
            qemu_domain_set_state(dom, DOMAIN_STATE_PAUSED, 0);
            qemu_status_save(dom);
            qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        }
    } else if (strcmp(name, "RESUME") == 0) {
        if (dom->job.kind == DOMAIN_JOB_NONE && dom->state == DOMAIN_STATE_PAUSED) {
            qemu_domain_set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_UNPAUSED);
            qemu_status_save(dom);
            qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        }
    } else if (strcmp(name, "GUEST_PANICKED") == 0) {
        qemu_domain_set_state(dom, DOMAIN_STATE_CRASHED, DOMAIN_CRASHED_PANICKED);
        qemu_status_save(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_CRASHED, DOMAIN_EVENT_CRASHED_PANICKED);
        if (dom->live->on_crash == DOMAIN_LIFECYCLE_DESTROY ||
            dom->live->on_crash == DOMAIN_LIFECYCLE_COREDUMP_DESTROY) {
            dom->proc.stop_reason = DOMAIN_SHUTOFF_CRASHED;
            qemu_process_terminate(dom, false);
        }
    } else if (strcmp(name, "SUSPEND") == 0 || strcmp(name, "SUSPEND_DISK") == 0 ||
               strcmp(name, "WAKEUP") == 0) {
        qemu_pm_event(dom, name);
    } else if (strcmp(name, "VSERPORT_CHANGE") == 0) {
        qemu_agent_serial_changed(dom, data);
    } else if (strcmp(name, "DEVICE_DELETED") == 0) {
        qemu_hotplug_device_deleted(dom, data);
    } else if (strcmp(name, "DEVICE_TRAY_MOVED") == 0) {
        qemu_media_tray_moved(dom, data);
    } else if (strcmp(name, "DEVICE_UNPLUG_GUEST_ERROR") == 0) {
        qemu_hotplug_unplug_refused(dom, data);
    } else if (strcmp(name, "ACPI_DEVICE_OST") == 0) {
        qemu_hotplug_memory_ost(dom, data);
    } else if (strcmp(name, "BALLOON_CHANGE") == 0) {
        json_t *actual = data ? json_object_get(data, "actual") : NULL;
        if (json_is_integer(actual)) {
            dom->monitor.balloon_kib = (uint64_t) json_integer_value(actual) / 1024;
            dom->live->current_memory_kib = dom->monitor.balloon_kib;
            qemu_status_save(dom);
            if (dom->drv->cfg.hooks.balloon_changed)
                dom->drv->cfg.hooks.balloon_changed(dom, dom->monitor.balloon_kib,
                                                    dom->drv->cfg.hooks_userdata);
        }
    }
}

static void
monitor_closed(QmpConn *c, void *userdata)
{
    Domain *dom = userdata;

    /* QEMU is exiting, or will be told to: its pidfd says when it is gone. */
    if (dom->monitor.conn == c) {
        qmp_conn_free(c);
        dom->monitor.conn = NULL;
    }
    if (dom->proc.pid > 0 && dom->job.kind != DOMAIN_JOB_DESTROY && !dom->proc.shutdown_requested)
        log_debug("monitor of domain '%s' closed", dom->def->name);
}

const QmpCallbacks qemu_monitor_callbacks = {
    .event = monitor_event,
    .closed = monitor_closed,
};

/* ---- starting ---------------------------------------------------------- */

void
qemu_process_start_failed(Domain *dom, const Error *error)
{
    /* Kill QEMU; the start job ends with @error when its exit is seen. */
    if (!error_is_set(&dom->job.start_error))
        error_set(&dom->job.start_error, -EIO, error->code, "%s", error->message);
    if (dom->proc.pid > 0) {
        /* A destroy under way stays the reason: the monitor closes or a
         * reply fails because of it. */
        if (dom->proc.stop_reason != DOMAIN_SHUTOFF_DESTROYED)
            dom->proc.stop_reason = DOMAIN_SHUTOFF_FAILED;
        process_kill(dom->proc.pid, dom->proc.pidfd, SIGKILL);
    }
}

static void
start_chardev_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    char **labels = NULL, **ptys = NULL;
    int n;

    if (error) {
        qemu_process_start_failed(dom, error);
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
set_password_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (error && error->code)
        log_warn("domain '%s': cannot set its VNC password: %s", dom->def->name,
                 error->message);
}

/* A graphics password set before the vCPUs run, as libvirt does; a failure
 * shows in the log and leaves the display locked (password=on), never open. */
static void
start_set_passwords(Domain *dom)
{
    for (size_t i = 0; i < dom->live->n_graphics; i++) {
        const DomainGraphics *g = &dom->live->graphics[i];

        if (g->passwd && g->type == GRAPHICS_VNC)
            qmp_command(dom->monitor.conn, "set_password",
                        json_pack("{s:s, s:s}", "protocol", "vnc", "password", g->passwd),
                        set_password_reply, dom, NULL);
    }
}

static void start_cont_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata);
static void start_status_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata);

/* The last step of a start: run the vCPUs, or report a paused start. */
void
qemu_process_start_continue(Domain *dom)
{
    if (!dom->monitor.conn)
        return;
    /* As libvirt: the balloon polls the guest's statistics every <stats
     * period> seconds. */
    if (dom->live->memballoon.stats_period > 0 && dom->live->memballoon.alias)
        qemu_balloon_set_period(dom, dom->live->memballoon.stats_period, NULL, NULL, NULL);
    /* A guest's reboot that is to destroy it: QEMU shuts down instead. */
    if (dom->live->on_reboot == DOMAIN_LIFECYCLE_DESTROY)
        qmp_command(dom->monitor.conn, "set-action", qemu_lifecycle_reboot_action(dom->live),
                    NULL, NULL, NULL);
    crash_point("cont");
    if (dom->job.start_paused)
        qmp_command(dom->monitor.conn, "query-status", NULL, start_status_reply, dom, NULL);
    else
        qmp_command(dom->monitor.conn, "cont", NULL, start_cont_reply, dom, NULL);
}

static void
start_cpus_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    QmpVcpu *vcpus = NULL;
    Error parse_error = ERROR_INIT;
    size_t n = 0;

    crash_point("cpus");

    if (error) {
        qemu_process_start_failed(dom, error);
        return;
    }
    if (qmp_parse_cpus_fast(ret, &vcpus, &n, &parse_error) < 0) {
        qemu_process_start_failed(dom, &parse_error);
        error_clear(&parse_error);
        return;
    }
    free(dom->monitor.vcpu_tids);
    dom->monitor.vcpu_tids = xcalloc(n, sizeof(*dom->monitor.vcpu_tids));
    dom->monitor.n_vcpu_tids = n;
    for (size_t i = 0; i < n; i++)
        dom->monitor.vcpu_tids[i] = vcpus[i].thread_id;
    qmp_vcpus_free(vcpus, n);
    qemu_cpuacct_vcpus(dom);
    if (dom->proc.tune_pending) {
        /* Pinned and in its cgroups before a vCPU runs; then on. */
        Error tune_error = ERROR_INIT;
        dom->proc.tune_pending = false;
        if (qemu_cputune_apply(dom, &tune_error) < 0 ||
            (qemu_iftune_needed(dom->live) && qemu_iftune_start(dom, &tune_error) < 0)) {
            qemu_process_start_failed(dom, &tune_error);
            error_clear(&tune_error);
            return;
        }
        /* tc runs in the worker pool; the start goes on when it is done. */
        if (!qemu_iftune_needed(dom->live))
            qemu_process_start_continue(dom);
    }
}

static void
start_done(Domain *dom)
{
    uint64_t elapsed = uv_now(dom->drv->loop) - dom->proc.start_begin_ms;

    log_debug("domain '%s' started in %" PRIu64 " ms", dom->def->name, elapsed);
    dom->monitor.balloon_kib = dom->live->current_memory_kib;
    dom->job.start_recovered = false;
    /* The event before the status that ends the start: a crash between the
     * two makes the restart finish the start again and repeat the event,
     * rather than leave nobody told. */
    qemu_driver_emit_event(dom, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_BOOTED);
    if (dom->state == DOMAIN_STATE_PAUSED)
        qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
    qemu_agent_started(dom);
    crash_point("started");
    qemu_status_save(dom);
    crash_point("saved");
    qemu_job_end(dom, NULL);
    crash_point("replied");
}

static void
start_cont_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    crash_point("resumed");
    if (error || error_is_set(&dom->job.start_error)) {
        qemu_process_start_failed(dom, error ? error : &dom->job.start_error);
        return;
    }
    qemu_domain_set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_BOOTED);
    start_done(dom);
}

static void
start_status_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    /* Start paused: the last query's reply ends the start. */
    if (error || error_is_set(&dom->job.start_error)) {
        qemu_process_start_failed(dom, error ? error : &dom->job.start_error);
        return;
    }
    qemu_domain_set_state(dom, DOMAIN_STATE_PAUSED, DOMAIN_PAUSED_USER);
    start_done(dom);
}

static void
start_monitor_ready(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    if (error)
        qemu_process_start_failed(userdata, error);
    else
        crash_point("qmp");
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

/* In the parent, between fork and exec: the status file names the process
 * before it can become QEMU, so a restart after a crash at any later moment
 * finds it (the state is already paused, reason starting-up: an unfinished
 * start). */
static int
start_forked(pid_t pid, void *userdata)
{
    Domain *dom = userdata;
    int r;

    crash_point("fork");
    dom->proc.pid = pid;
    r = process_start_time(pid, &dom->proc.start_ticks);
    if (r < 0)
        return r;
    r = qemu_status_save(dom);
    if (r < 0)
        return r;
    crash_point("status");
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
    free(dom->monitor.path);
    dom->monitor.path = xasprintf("%s/monitor.sock", domain_dir);
    qemu_process_remove_domain_dir(dom->monitor.path); /* a stale one from a crash */
    if (mkdir(domain_dir, 0700) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot create folder '%s'", domain_dir);
    dom->proc.log_path = xasprintf("%s/%s.log", drv->log_dir, live->name);
    if (qemu_dac_enabled(drv)) {
        /* QEMU makes its channel sockets and writes its pid file here as the
         * user; the monitor is our fd and the log our fd. */
        if (chown(domain_dir, drv->cfg.user, drv->cfg.group) < 0) {
            r = error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                "cannot change the owner of '%s' to %u:%u", domain_dir,
                                (unsigned) drv->cfg.user, (unsigned) drv->cfg.group);
            rmdir(domain_dir);
            return r;
        }
        pidfile = xasprintf("%s/qemu.pid", domain_dir);
    } else {
        pidfile = xasprintf("%s/%s.pid", drv->run_dir, live->name);
    }

    vnc_ports = xcalloc(live->n_graphics + 1, sizeof(int));
    for (size_t i = 0; i < live->n_graphics; i++) {
        DomainGraphics *g = &live->graphics[i];
        vnc_ports[i] = g->port;
        if (g->type == GRAPHICS_VNC && (g->autoport || g->port < 0)) {
            vnc_ports[i] = vnc_free_port(g->listen);
            if (vnc_ports[i] < 0)
                return error_set(error, -EADDRINUSE, VIR_ERR_INTERNAL_ERROR,
                                 "Unable to find an unused port for VNC");
            g->port = vnc_ports[i];
        }
    }

    /* A unix channel without a path gets one here, shown in the live XML
     * (libvirt's channel target folder). */
    for (size_t i = 0; i < live->n_channels; i++) {
        DomainChr *ch = &live->channels[i];
        if (ch->type == CHR_TYPE_UNIX && !ch->source_path) {
            ch->source_path = xasprintf("%s/%s", domain_dir,
                                        ch->target_name ? ch->target_name : ch->alias);
            ch->source_mode = CHR_MODE_BIND;
        }
    }

    r = monitor_listen(dom->monitor.path, &mon_fd, error);
    if (r < 0)
        return r;
    ctx.monitor_path = dom->monitor.path;
    ctx.monitor_fd = mon_fd;
    ctx.pidfile = pidfile;
    ctx.log_path = dom->proc.log_path;
    ctx.channel_dir = domain_dir;
    ctx.kvm_available = drv->kvm;
    ctx.vnc_ports = vnc_ports;
    ctx.net_fds = dom->res.net_fds;
    r = qemu_command_build(live, &ctx, &argv, &extra_env, error);
    if (r < 0)
        goto fail;

    log_fd = open(dom->proc.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        r = error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open log file '%s'",
                            dom->proc.log_path);
        goto fail;
    }
    cmdline = qemu_command_to_string(argv, extra_env);
    header = xasprintf("starting up: %s\n", cmdline);
    if (write(log_fd, header, strlen(header)) < 0)
        log_debug("cannot write to '%s'", dom->proc.log_path);
    dom->proc.log_offset = fstat(log_fd, &st) == 0 ? st.st_size : 0;

    /* libvirt gives QEMU a small, fixed environment. */
    strv_push(&env, xstrdup("LC_ALL=C"));
    strv_push(&env, xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    strv_push(&env, xasprintf("HOME=%s", qemu_dac_enabled(drv) ? domain_dir : drv->run_dir));
    for (char **e = extra_env; e && *e; e++)
        strv_push(&env, xstrdup(*e));

    spec.argv = (const char *const *) argv;
    spec.env = (const char *const *) env;
    spec.stdin_fd = -1;
    spec.stdout_fd = log_fd;
    spec.stderr_fd = log_fd;
    keep = xcalloc(dom->res.n_ports + 1, sizeof(int));
    keep[n_keep++] = mon_fd;
    for (size_t i = 0; i < dom->res.n_ports; i++)
        if (dom->res.net_fds[i] >= 0)
            keep[n_keep++] = dom->res.net_fds[i];
    spec.keep_fds = keep;
    spec.n_keep_fds = n_keep;
    spec.new_session = true;
    if (qemu_dac_enabled(drv)) {
        spec.set_ids = true;
        spec.uid = drv->cfg.user;
        spec.gid = drv->cfg.group;
        spec.groups = drv->cfg.groups;
        spec.n_groups = drv->cfg.n_groups;
    }
    spec.forked = start_forked;
    spec.forked_userdata = dom;
    r = child_spawn(&spec, &dom->proc.pid, &dom->proc.pidfd, error);
    if (r < 0) {
        dom->proc.pid = 0;
        state_store_remove(drv->status, dom->def->name, NULL);
        goto fail;
    }
    crash_point("exec");
    log_debug("domain '%s': QEMU pid %d", live->name, (int) dom->proc.pid);

    r = child_watch_new(drv->loop, dom->proc.pid, dom->proc.pidfd, qemu_process_exited, dom,
                        &dom->proc.watch, error);
    if (r < 0) {
        dom->proc.pidfd = -1; /* the watch took it, even on failure */
        process_kill(dom->proc.pid, -1, SIGKILL);
        waitpid(dom->proc.pid, NULL, 0);
        dom->proc.pid = 0;
        goto fail;
    }
    dom->proc.pidfd = dup(dom->proc.pidfd); /* ours, for signals; the watch keeps its own */
    return 0;

fail:
    qemu_process_remove_domain_dir(dom->monitor.path);
    return r;
}

/* From QEMU's monitor on, the steps of a start, pipelined: QMP answers in
 * order, so the last reply ends the start. With pinning or cgroups, "cont"
 * waits for the vCPU threads to be placed. Passwords go by QMP, never on
 * QEMU's command line. Also what finishes a start that a crash of ours cut
 * short, once QEMU is found again. */
static int
start_monitor(Domain *dom, Error *error)
{
    int r;

    r = qmp_conn_connect(dom->drv->loop, dom->monitor.path, &qemu_monitor_callbacks, dom,
                         start_monitor_ready, &dom->monitor.conn, error);
    if (r >= 0)
        r = qemu_perf_start(dom, error);
    if (r < 0)
        return r;
    crash_point("monitor");
    start_set_passwords(dom);
    if (domain_has_pty(dom->live))
        qmp_command(dom->monitor.conn, "query-chardev", NULL, start_chardev_reply, dom, NULL);
    qemu_iotune_start(dom);
    qemu_cpuacct_start(dom);
    qemu_iothreads_start(dom);
    qemu_memory_start(dom);
    dom->proc.tune_pending = qemu_cputune_needed(dom->live);
    qmp_command(dom->monitor.conn, "query-cpus-fast", NULL, start_cpus_reply, dom, NULL);
    if (!dom->proc.tune_pending)
        qemu_process_start_continue(dom);
    return 0;
}

void
qemu_process_resume_start(Domain *dom)
{
    Error error = ERROR_INIT;

    log_info("domain '%s': finishing the start that was cut short (QEMU pid %d)",
             dom->def->name, (int) dom->proc.pid);
    dom->job.start_recovered = true;
    dom->proc.start_begin_ms = uv_now(dom->drv->loop);
    qemu_job_begin(dom, DOMAIN_JOB_START, NULL, NULL);
    if (start_monitor(dom, &error) < 0) {
        log_warn("domain '%s': %s", dom->def->name, error.message);
        qemu_process_start_failed(dom, &error);
    }
    error_clear(&error);
}

static void
lost_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void
lost_timer_fired(uv_timer_t *t)
{
    Domain *dom = t->data;

    uv_close((uv_handle_t *) t, lost_timer_closed);
    if (dom->live && dom->proc.pid == 0 && !dom->removed)
        process_stopped(dom, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED, true);
    domain_unref(dom);
}

void
qemu_process_start_lost(Domain *dom)
{
    uv_timer_t *t = xcalloc(1, sizeof(*t));

    domain_ref(dom);
    uv_timer_init(dom->drv->loop, t);
    t->data = dom;
    uv_timer_start(t, lost_timer_fired, 0, 0);
}

/* A start that cannot go on: give back what was borrowed, forget the live
 * definition, and tell the waiters. */
static void
start_abort(Domain *dom, const Error *error)
{
    QemuDriver *drv = dom->drv;

    qemu_resources_release(dom);
    qemu_resources_clear(dom);
    qemu_dac_restore_all(dom);
    domain_def_free(steal_ptr(dom->live));
    free(steal_ptr(dom->monitor.path));
    if (!dom->persistent && !dom->removed)
        qemu_driver_remove(drv, dom);
    qemu_job_end(dom, error);
}

static void
start_with_resources(Domain *dom, const Error *res_error)
{
    QemuDriver *drv = dom->drv;
    Error error = ERROR_INIT;
    DomainState prev_state;
    int prev_reason, r;

    if (res_error) {
        start_abort(dom, res_error);
        return;
    }
    r = qemu_memory_prepare(dom->live, &error);
    if (r >= 0)
        r = qemu_usb_find_all(NULL, dom->live, &error);
    if (r >= 0)
        r = start_checks(dom, dom->live, drv->caps, &error);
    if (r >= 0)
        r = qemu_dac_set_all(dom, &error);
    if (r < 0)
        goto fail;
    qemu_driver_set_id(dom, drv->next_id++);
    /* From here on a crash of ours leaves something to clean up (ports,
     * owners, soon a process): the status file says what. */
    prev_state = dom->state;
    prev_reason = dom->reason;
    dom->monitor.path = xasprintf("%s/domain-%d/monitor.sock", drv->run_dir, dom->id);
    qemu_domain_set_state(dom, DOMAIN_STATE_PAUSED, DOMAIN_PAUSED_STARTING_UP);
    r = qemu_status_save(dom);
    if (r < 0)
        error_set_errno(&error, r, VIR_ERR_OPERATION_FAILED,
                        "cannot save the status of domain '%s'", dom->def->name);
    else
        r = start_spawn(dom, dom->live, &error);
    qemu_resources_close_fds(dom); /* QEMU has its own copies now */
    if (r < 0) {
        state_store_remove(drv->status, dom->def->name, NULL);
        qemu_domain_set_state(dom, prev_state, prev_reason);
        qemu_driver_set_id(dom, -1);
        goto fail;
    }
    qemu_driver_emit_changed(dom);
    r = start_monitor(dom, &error);
    if (r < 0) {
        qemu_process_start_failed(dom, &error);
        error_clear(&error);
    }
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
    if (qemu_job_check_idle(dom, error) < 0)
        return -EBUSY;
    live = domain_def_copy(dom->def);
    qemu_domain_assign_aliases(live);
    dom->live = live;
    /* -smp starts current vCPUs: none of them is a plugged one. */
    free(steal_ptr(live->vcpu_hotplugged));
    dom->job.start_paused = paused;
    dom->proc.stop_reason = 0;
    dom->proc.shutdown_requested = false;
    dom->proc.fake_reboot = false;
    dom->proc.taints = 0;
    dom->proc.start_begin_ms = uv_now(dom->drv->loop);
    error_clear(&dom->job.start_error);
    qemu_job_begin(dom, DOMAIN_JOB_START, cb, userdata);
    qemu_driver_get_caps(dom->drv, start_with_caps, dom);
    return 0;
}

int
qemu_domain_start(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    if (flags & ~START_FLAGS_KNOWN)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Create",
                         flags & ~START_FLAGS_KNOWN);
    return process_start(dom, flags & DOMAIN_START_PAUSED, cb, userdata, error);
}

int
qemu_process_create_xml(QemuDriver *drv, const char *xml, unsigned flags, DomainDoneCb cb,
                       void *userdata, Domain **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    Domain *dom;
    int r;

    if (flags & ~START_FLAGS_KNOWN)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function DomainCreateXML",
                         flags & ~START_FLAGS_KNOWN);
    r = qemu_driver_parse(drv, xml, &def, error);
    if (r < 0)
        return r;
    r = qemu_driver_check_duplicate(drv, def, &dom, error);
    if (r < 0)
        return r;
    if (dom) {
        if (qemu_domain_is_active(dom) || dom->job.kind != DOMAIN_JOB_NONE)
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: domain '%s' is already "
                             "active", def->name);
        /* libvirt starts the given definition; the persistent one stays. */
        r = process_start(dom, flags & DOMAIN_START_PAUSED, cb, userdata, error);
        if (r < 0)
            return r;
        domain_def_free(dom->live);
        dom->live = steal_ptr(def);
        qemu_domain_assign_aliases(dom->live);
        free(steal_ptr(dom->live->vcpu_hotplugged));
        *ret = dom;
        return 0;
    }
    dom = qemu_domain_new(drv, steal_ptr(def));
    dom->persistent = false;
    qemu_driver_add(drv, dom);
    r = process_start(dom, flags & DOMAIN_START_PAUSED, cb, userdata, error);
    if (r < 0) {
        qemu_driver_remove(drv, dom);
        return r;
    }
    *ret = dom;
    return 0;
}

