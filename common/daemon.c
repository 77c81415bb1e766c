/* The daemon skeleton: flags, logging, bus, pid file, readiness, idle
 * timeout and signals, shared by every daemon's main(). */
#include "daemon.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "config.h"
#include "fileutil.h"
#include "log.h"
#include "macros.h"

/* How long the loop may keep running after an exit was asked for, waiting
 * for the daemon's own handles to close, before they are closed for it. */
#define DAEMON_EXIT_GRACE_MS 2000

/* The readiness pipe of -d carries this on success, else the error text. */
#define DAEMON_READY_TOKEN "READY\n"

enum {
    OPT_VERSION = 256,
    OPT_SYSTEM,
    OPT_SESSION,
    OPT_BUS,
    OPT_ROOT,
};

static const struct option daemon_long_options[] = {
    { "daemon", no_argument, NULL, 'd' },
    { "config", required_argument, NULL, 'f' },
    { "pid-file", required_argument, NULL, 'p' },
    { "timeout", required_argument, NULL, 't' },
    { "verbose", no_argument, NULL, 'v' },
    { "listen", no_argument, NULL, 'l' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { "system", no_argument, NULL, OPT_SYSTEM },
    { "session", no_argument, NULL, OPT_SESSION },
    { "bus", required_argument, NULL, OPT_BUS },
    { "root", required_argument, NULL, OPT_ROOT },
    { NULL, 0, NULL, 0 },
};

void
daemon_options_clear(DaemonOptions *opts)
{
    if (!opts)
        return;
    free(opts->config_file);
    free(opts->pid_file);
    free(opts->bus_address);
    free(opts->root);
    memset(opts, 0, sizeof(*opts));
}

void
daemon_print_usage(const DaemonSpec *spec, FILE *f)
{
    fprintf(f,
            "Usage: %s [OPTIONS]\n"
            "\n"
            "Options:\n"
            "  -h, --help              display this help and exit\n"
            "  -d, --daemon            run in the background; return once the bus name is owned\n"
            "  -f, --config FILE       configuration file (default: <root>/etc/libvirt/%s)\n",
            spec->name, spec->conf_name ? spec->conf_name : "");
    if (spec->has_listen)
        fprintf(f, "  -l, --listen            listen for TCP connections\n");
    fprintf(f,
            "  -p, --pid-file FILE     write the process id to FILE once ready\n"
            "  -t, --timeout SECONDS   exit after SECONDS without activity\n"
            "  -v, --verbose           log debug messages\n"
            "      --version           print the version and exit\n"
            "      --system            connect to the system bus (the default)\n"
            "      --session           connect to the session bus\n"
            "      --bus ADDRESS       connect to the bus at ADDRESS\n"
            "      --root DIR          keep every file under DIR (default: /)\n");
}

/* "/a//b/" -> "/a//b", "///" -> "/". */
static char *
normalize_root(const char *dir)
{
    size_t len = strlen(dir);

    while (len > 1 && dir[len - 1] == '/')
        len--;
    return xstrndup(dir, len);
}

static int
parse_timeout(const char *s, unsigned *ret, Error *error)
{
    unsigned long v;
    char *end;

    errno = 0;
    if (!*s || *s < '0' || *s > '9')
        goto bad;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end || v > UINT_MAX / 1000)
        goto bad;
    *ret = (unsigned) v;
    return 0;
bad:
    return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                     "invalid timeout '%s': expected a number of seconds", s);
}

int
daemon_parse_args(const DaemonSpec *spec, int argc, char **argv, DaemonOptions *ret,
                  Error *error)
{
    auto_cleanup(daemon_options_clear) DaemonOptions opts = { 0 };
    const char *root = "/";
    int c, r;

    memset(ret, 0, sizeof(*ret));
    opts.bus_kind = BUS_KIND_SYSTEM;
    opts.action = DAEMON_ACTION_RUN;

    /* optind = 0 makes glibc start over, so this can run more than once. */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":df:p:t:vlh", daemon_long_options, NULL)) != -1) {
        switch (c) {
        case 'd':
            opts.daemonize = true;
            break;
        case 'f':
            free(opts.config_file);
            opts.config_file = xstrdup(optarg);
            break;
        case 'p':
            free(opts.pid_file);
            opts.pid_file = xstrdup(optarg);
            break;
        case 't':
            r = parse_timeout(optarg, &opts.timeout, error);
            if (r < 0)
                return r;
            break;
        case 'v':
            opts.verbose = true;
            break;
        case 'l':
            if (!spec->has_listen)
                return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unknown option '%s'",
                                 strncmp(argv[optind - 1], "--", 2) == 0 ? argv[optind - 1]
                                                                         : "-l");
            opts.listen = true;
            break;
        case 'h':
            opts.action = DAEMON_ACTION_HELP;
            break;
        case OPT_VERSION:
            opts.action = DAEMON_ACTION_VERSION;
            break;
        case OPT_SYSTEM:
            opts.bus_kind = BUS_KIND_SYSTEM;
            break;
        case OPT_SESSION:
            opts.bus_kind = BUS_KIND_SESSION;
            break;
        case OPT_BUS:
            if (!*optarg)
                return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                                 "option '--bus' needs a non-empty address");
            opts.bus_kind = BUS_KIND_ADDRESS;
            free(opts.bus_address);
            opts.bus_address = xstrdup(optarg);
            break;
        case OPT_ROOT:
            root = optarg;
            break;
        case ':':
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "option '%s' needs a value", argv[optind - 1]);
        case '?':
        default:
            if (optopt && optopt < 256)
                return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                                 "unknown option '-%c'", optopt);
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unexpected argument '%s'", argv[optind]);
    if (root[0] != '/')
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "root directory '%s' must be an absolute path", root);
    opts.root = normalize_root(root);

    *ret = opts;
    memset(&opts, 0, sizeof(opts));
    return 0;
}

char *
daemon_path_join(const char *root, const char *path)
{
    if (!root || STREQ(root, "/") || !*root)
        return xstrdup(path);
    while (*path == '/')
        path++;
    return xasprintf("%s/%s", root, path);
}

char *
daemon_path(const Daemon *d, const char *path)
{
    return daemon_path_join(d->root, path);
}

void
daemon_note_activity(Daemon *d)
{
    d->last_activity = uv_now(d->loop);
}

/* ---- readiness, for -d ---- */

static void
daemon_report_ready(Daemon *d, const char *failure)
{
    const char *msg = failure ? failure : DAEMON_READY_TOKEN;
    size_t len = strlen(msg), done = 0;

    if (d->ready_fd < 0)
        return;
    while (done < len) {
        ssize_t n = write(d->ready_fd, msg + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += n;
    }
    close(d->ready_fd);
    d->ready_fd = -1;
}

/* Logs a startup failure once and hands it to the waiting parent of -d. */
static int
daemon_fail(Daemon *d, const Error *error, int r)
{
    const char *msg = error->message ? error->message : strerror(-r);

    log_error("%s", msg);
    daemon_report_ready(d, msg);
    return 1;
}

/* The parent side of -d: waits for the child to own its name (or fail).
 * Returns the exit code for the parent. */
static int
daemon_wait_ready(const DaemonSpec *spec, pid_t pid, int fd)
{
    char buf[4096];
    size_t len = 0;
    int status;

    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += n;
        if (len == sizeof(buf) - 1)
            break;
    }
    close(fd);
    buf[len] = '\0';
    if (STREQ(buf, DAEMON_READY_TOKEN))
        return 0;
    if (len > 0) {
        fprintf(stderr, "%s: %s\n", spec->name, buf);
        return 1;
    }
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
        fprintf(stderr, "%s: the daemon exited with status %d before it was ready\n", spec->name,
                WEXITSTATUS(status));
    else
        fprintf(stderr, "%s: the daemon died before it was ready\n", spec->name);
    return 1;
}

/* Forks. Returns -1 in the child (which goes on), or the parent's exit
 * code. */
static int
daemon_fork(Daemon *d)
{
    int pipefd[2], fd;
    char *log_dir, *log_path;
    pid_t pid;

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        fprintf(stderr, "%s: cannot create a pipe: %s\n", d->spec->name, strerror(errno));
        return 1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: cannot fork: %s\n", d->spec->name, strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return 1;
    }
    if (pid > 0) {
        close(pipefd[1]);
        return daemon_wait_ready(d->spec, pid, pipefd[0]);
    }

    close(pipefd[0]);
    d->ready_fd = pipefd[1];
    setsid();
    if (chdir("/") < 0)
        log_warn("cannot change to folder '/': %s", strerror(errno));
    /* Nothing may hold the caller's stdout or stderr open: a caller that
     * captures them would wait for us forever. Logs go to a file under the
     * root instead. */
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    log_dir = daemon_path(d, "/var/log/libvirt");
    log_path = xasprintf("%s/%s.log", log_dir, d->spec->name);
    if (mkdir_p(log_dir, 0755, NULL) >= 0) {
        fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
    free(log_dir);
    free(log_path);
    return -1;
}

/* ---- pid file ---- */

static bool
same_program(pid_t pid)
{
    char path[64], theirs[64] = "", ours[64] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
    f = fopen(path, "re");
    if (!f)
        return false;
    if (!fgets(theirs, sizeof(theirs), f))
        theirs[0] = '\0';
    fclose(f);
    f = fopen("/proc/self/comm", "re");
    if (!f)
        return false;
    if (!fgets(ours, sizeof(ours), f))
        ours[0] = '\0';
    fclose(f);
    return theirs[0] && STREQ(theirs, ours);
}

static bool
process_is_zombie(pid_t pid)
{
    char path[64], buf[512];
    char *p;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    f = fopen(path, "re");
    if (!f)
        return false;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

static int
pid_file_check(const char *path, Error *error)
{
    auto_cleanup(free_ptr) char *text = NULL;
    size_t len;
    char *end;
    long pid;
    int r;

    r = file_read_all(path, 64, &text, &len, NULL);
    if (r < 0)
        return 0;  /* absent or unreadable: nothing runs there */
    errno = 0;
    pid = strtol(text, &end, 10);
    if (errno != 0 || end == text || pid <= 0 || pid > INT_MAX || (*end && *end != '\n'))
        return 0;
    if (pid == getpid())
        return 0;
    if (kill((pid_t) pid, 0) < 0 && errno != EPERM)
        return 0;
    /* A zombie is no daemon: where PID 1 reaps late (containers), a daemon
     * killed a moment ago still answers kill(0). */
    if (process_is_zombie((pid_t) pid))
        return 0;
    if (!same_program((pid_t) pid))
        return 0;
    return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                     "pid file '%s' names process %ld, which is still running", path, pid);
}

static int
pid_file_write(Daemon *d, Error *error)
{
    auto_cleanup(free_ptr) char *dir = NULL;
    char text[32];
    char *slash;
    int r;

    dir = xstrdup(d->pid_file);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        r = mkdir_p(dir, 0755, error);
        if (r < 0)
            return r;
    }
    snprintf(text, sizeof(text), "%d\n", (int) getpid());
    r = file_write_atomic(d->pid_file, text, strlen(text), 0644, error);
    if (r < 0)
        return r;
    d->pid_file_written = true;
    return 0;
}

static void
pid_file_remove(Daemon *d)
{
    if (!d->pid_file_written)
        return;
    d->pid_file_written = false;
    if (unlink(d->pid_file) < 0 && errno != ENOENT)
        log_warn("cannot remove pid file '%s': %s", d->pid_file, strerror(errno));
}

/* ---- running and stopping ---- */

typedef struct DaemonPrivate {
    uv_timer_t grace_timer;
    bool initialized;  /* init() succeeded: stop() may run */
    bool ready;        /* the name is ours */
} DaemonPrivate;

static DaemonPrivate daemon_private;

static void
noop_close_cb(uv_handle_t *h)
{
}

static void
grace_cb(uv_timer_t *t)
{
    Daemon *d = t->data;

    log_warn("some handles were still open %d ms after the exit began; closing them",
             DAEMON_EXIT_GRACE_MS);
    uv_stop(d->loop);
}

static void
close_if_open(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, noop_close_cb);
}

static void
walk_close_cb(uv_handle_t *h, void *arg)
{
    close_if_open(h);
}

static void
daemon_begin_exit(Daemon *d, int code)
{
    if (d->quitting)
        return;
    d->quitting = true;
    d->exit_code = code;

    if (daemon_private.initialized && d->spec->stop)
        d->spec->stop(d);
    pid_file_remove(d);

    /* The bus stays open (its name owned) until the loop has ended; what
     * stop() queued is flushed then. */
    bus_loop_detach(d->bus_loop);
    d->bus_loop = NULL;
    close_if_open((uv_handle_t *) &d->idle_timer);
    close_if_open((uv_handle_t *) &d->sig_term);
    close_if_open((uv_handle_t *) &d->sig_int);
    close_if_open((uv_handle_t *) &d->sig_hup);

    uv_timer_init(d->loop, &daemon_private.grace_timer);
    daemon_private.grace_timer.data = d;
    uv_timer_start(&daemon_private.grace_timer, grace_cb, DAEMON_EXIT_GRACE_MS, 0);
    /* The grace timer alone does not keep the loop running. */
    uv_unref((uv_handle_t *) &daemon_private.grace_timer);
}

void
daemon_quit(Daemon *d)
{
    daemon_begin_exit(d, d->exit_code);
}

static void
idle_cb(uv_timer_t *t)
{
    Daemon *d = t->data;
    uint64_t now = uv_now(d->loop), limit = (uint64_t) d->timeout * 1000;

    if (d->quitting)
        return;
    /* While busy, the countdown starts over: the daemon exits between one
     * and two timeouts after it stops being busy. */
    if (d->spec->busy && d->spec->busy(d))
        d->last_activity = now;
    if (now - d->last_activity >= limit) {
        log_info("exiting after %u seconds without activity", d->timeout);
        daemon_begin_exit(d, 0);
        return;
    }
    uv_timer_start(&d->idle_timer, idle_cb, limit - (now - d->last_activity), 0);
}

static int
activity_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    Daemon *d = userdata;
    uint8_t type;

    if (sd_bus_message_get_type(m, &type) >= 0 && type == SD_BUS_MESSAGE_METHOD_CALL)
        daemon_note_activity(d);
    return 0;
}

static void
signal_cb(uv_signal_t *h, int signum)
{
    Daemon *d = h->data;

    if (signum == SIGHUP) {
        log_info("received SIGHUP: reserved, ignored");
        return;
    }
    log_info("received %s: exiting", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    daemon_begin_exit(d, 0);
}

static void
on_bus_disconnect(void *userdata)
{
    Daemon *d = userdata;
    Error error = ERROR_INIT;

    if (d->quitting)
        return;
    if (!daemon_private.ready) {
        error_set(&error, -ENOTCONN, VIR_ERR_DBUS_SERVICE,
                  "the bus closed the connection before name '%s' was acquired",
                  d->spec->bus_name);
        daemon_fail(d, &error, -ENOTCONN);
        error_clear(&error);
    } else {
        log_error("lost the connection to the bus: exiting");
    }
    daemon_begin_exit(d, 1);
}

static int
request_name_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    Daemon *d = userdata;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    const sd_bus_error *e;
    uint32_t code = 0;
    int r;

    if (d->quitting)
        return 1;
    e = sd_bus_message_get_error(m);
    if (e) {
        r = error_set(&error, -EACCES, VIR_ERR_DBUS_SERVICE, "cannot acquire bus name '%s': %s",
                      d->spec->bus_name, e->message ? e->message : e->name);
        goto fail;
    }
    r = sd_bus_message_read(m, "u", &code);
    if (r < 0) {
        error_set_errno(&error, r, VIR_ERR_DBUS_SERVICE,
                        "cannot read the reply to the request for bus name '%s'",
                        d->spec->bus_name);
        goto fail;
    }
    /* 1: primary owner; 4: already ours. 3 (exists) and 2 (queued, which
     * DO_NOT_QUEUE rules out) mean someone else has it. */
    if (code != 1 && code != 4) {
        r = error_set(&error, -EEXIST, VIR_ERR_DBUS_SERVICE,
                      "name '%s' is already owned by another process", d->spec->bus_name);
        goto fail;
    }

    if (d->pid_file) {
        r = pid_file_write(d, &error);
        if (r < 0)
            goto fail;
    }
    daemon_private.ready = true;
    log_info("ready: owning bus name '%s'", d->spec->bus_name);
    daemon_report_ready(d, NULL);
    sd_notify(0, "READY=1");
    if (d->spec->ready)
        d->spec->ready(d);
    /* Loading (definitions, devices, capabilities) leaves freed heap behind
     * that an idle daemon need not keep. */
    malloc_trim(0);
    if (d->timeout > 0 && !d->quitting) {
        daemon_note_activity(d);
        uv_timer_start(&d->idle_timer, idle_cb, (uint64_t) d->timeout * 1000, 0);
    }
    return 1;

fail:
    daemon_fail(d, &error, r);
    daemon_begin_exit(d, 1);
    return 1;
}

/* Turns a relative path from the command line into an absolute one: -d
 * changes to "/". */
static char *
absolute_path(const char *path)
{
    char cwd[PATH_MAX];

    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return xstrdup(path);
    return xasprintf("%s/%s", cwd, path);
}

static int
daemon_load_conf(Daemon *d, const DaemonOptions *opts, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    auto_cleanup(free_ptr) char *rel = NULL;
    Error local = ERROR_INIT;
    int r;

    if (opts->config_file)
        return conf_parse_file(opts->config_file, &d->conf, error);
    if (!d->spec->conf_name) {
        d->conf = conf_new_empty();
        return 0;
    }
    rel = xasprintf("/etc/libvirt/%s", d->spec->conf_name);
    path = daemon_path(d, rel);
    r = conf_parse_file(path, &d->conf, &local);
    if (r == -ENOENT) {
        error_clear(&local);
        log_debug("no configuration file '%s': using defaults", path);
        d->conf = conf_new_empty();
        return 0;
    }
    error_move(error, &local);
    return r;
}

static int
daemon_run(Daemon *d, const DaemonOptions *opts)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    int r;

    r = process_set_subreaper();
    if (r < 0)
        log_warn("cannot become a child subreaper: %s", strerror(-r));

    d->loop = uv_default_loop();
    uv_timer_init(d->loop, &d->idle_timer);
    d->idle_timer.data = d;
    uv_signal_init(d->loop, &d->sig_term);
    uv_signal_init(d->loop, &d->sig_int);
    uv_signal_init(d->loop, &d->sig_hup);
    d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
    uv_signal_start(&d->sig_term, signal_cb, SIGTERM);
    uv_signal_start(&d->sig_int, signal_cb, SIGINT);
    uv_signal_start(&d->sig_hup, signal_cb, SIGHUP);

    r = bus_open(opts->bus_kind, opts->bus_address, d->spec->name, &d->bus, &error);
    if (r >= 0)
        r = bus_loop_attach(d->bus, d->loop, on_bus_disconnect, d, &d->bus_loop, &error);
    if (r >= 0) {
        r = sd_bus_add_filter(d->bus, NULL, activity_filter, d);
        if (r < 0)
            error_set_errno(&error, r, VIR_ERR_INTERNAL_ERROR, "cannot add a bus filter");
    }
    if (r >= 0 && d->spec->init) {
        r = d->spec->init(d, &error);
        if (r >= 0)
            daemon_private.initialized = true;
    }
    if (r >= 0) {
        r = sd_bus_request_name_async(d->bus, NULL, d->spec->bus_name, 0, request_name_cb, d);
        if (r < 0)
            error_set_errno(&error, r, VIR_ERR_DBUS_SERVICE, "cannot request bus name '%s'",
                            d->spec->bus_name);
    }
    if (r < 0) {
        daemon_fail(d, &error, r);
        daemon_begin_exit(d, 1);
    }

    uv_run(d->loop, UV_RUN_DEFAULT);

    /* Either everything closed, or the grace timer stopped the loop: close
     * whatever is left so the loop can be closed. */
    uv_walk(d->loop, walk_close_cb, NULL);
    uv_run(d->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(d->loop) < 0)
        log_debug("the loop still had handles at exit");

    if (d->bus) {
        sd_bus_flush_close_unref(d->bus);
        d->bus = NULL;
    }
    return d->exit_code;
}

int
daemon_main(const DaemonSpec *spec, int argc, char **argv)
{
    auto_cleanup(daemon_options_clear) DaemonOptions opts = { 0 };
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    Daemon d = { 0 };
    int r, code;

    signal(SIGPIPE, SIG_IGN);
    log_set_ident(spec->name);

    r = daemon_parse_args(spec, argc, argv, &opts, &error);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", spec->name, error.message);
        daemon_print_usage(spec, stderr);
        return 1;
    }
    if (opts.action == DAEMON_ACTION_HELP) {
        daemon_print_usage(spec, stdout);
        return 0;
    }
    if (opts.action == DAEMON_ACTION_VERSION) {
        printf("%s (virtstack) %s\n", spec->name, PACKAGE_VERSION);
        return 0;
    }
    log_set_level(opts.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

    d.spec = spec;
    d.root = steal_ptr(opts.root);
    d.listen = opts.listen;
    d.timeout = opts.timeout;
    d.verbose = opts.verbose;
    d.ready_fd = -1;
    d.exit_code = 0;
    memset(&daemon_private, 0, sizeof(daemon_private));
    if (opts.pid_file)
        d.pid_file = absolute_path(opts.pid_file);
    if (opts.config_file) {
        char *abs = absolute_path(opts.config_file);

        free(opts.config_file);
        opts.config_file = abs;
    }

    code = 1;
    r = mkdir_p(d.root, 0755, &error);
    if (r >= 0)
        r = daemon_load_conf(&d, &opts, &error);
    if (r >= 0 && d.pid_file)
        r = pid_file_check(d.pid_file, &error);
    if (r < 0) {
        log_error("%s", error.message ? error.message : strerror(-r));
        goto out;
    }

    if (opts.daemonize) {
        code = daemon_fork(&d);
        if (code >= 0)
            goto out;  /* the parent */
    }

    code = daemon_run(&d, &opts);
    pid_file_remove(&d);
    if (d.ready_fd >= 0)
        daemon_report_ready(&d, "the daemon exited before it was ready");

out:
    conf_free(d.conf);
    free(d.root);
    free(d.pid_file);
    return code;
}
