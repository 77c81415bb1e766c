/* sd-bus on libuv, against a private dbus-daemon started here; and the
 * daemon skeleton (flags, paths, and daemon_main() in a forked child). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus_loop.h"
#include "config.h"
#include "daemon.h"
#include "fileutil.h"
#include "test_util.h"

#define TEST_NAME "org.test.Server"
#define TEST_PATH "/org/test"
#define TEST_IFACE "org.test.Server"

static uv_loop_t loop;
static char tmpdir[] = "/tmp/test-bus-loop-XXXXXX";
static char bus_address[700];
static pid_t bus_pid = -1;
static bool guard_fired;

/* Runs the loop until @cond holds, or fails after 20 s (a guard, not a
 * sleep: every wait here ends on an event). */
#define RUN_UNTIL(cond) do { \
        uv_timer_t guard_; \
        uv_timer_init(&loop, &guard_); \
        guard_fired = false; \
        uv_timer_start(&guard_, guard_cb, 20000, 0); \
        while (!(cond) && !guard_fired) \
            uv_run(&loop, UV_RUN_ONCE); \
        if (!(cond)) \
            TEST_FAIL("timed out waiting for %s", #cond); \
        uv_close((uv_handle_t *) &guard_, NULL); \
        uv_run(&loop, UV_RUN_NOWAIT); \
    } while (0)

static void
guard_cb(uv_timer_t *t)
{
    guard_fired = true;
}

static int
start_dbus_daemon(void)
{
    char conf[600], line[600];
    int pipefd[2];
    FILE *f;
    ssize_t n;
    size_t len = 0;

    snprintf(conf, sizeof(conf), "%s/bus.conf", tmpdir);
    f = fopen(conf, "w");
    if (!f)
        return -errno;
    fprintf(f,
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
            "<busconfig>\n"
            "  <type>session</type>\n"
            "  <listen>unix:path=%s/bus</listen>\n"
            "  <auth>EXTERNAL</auth>\n"
            "  <policy context=\"default\">\n"
            "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
            "    <allow eavesdrop=\"true\"/>\n"
            "    <allow own=\"*\"/>\n"
            "  </policy>\n"
            "  <limit name=\"max_replies_per_connection\">100000</limit>\n"
            "</busconfig>\n", tmpdir);
    fclose(f);

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    bus_pid = fork();
    if (bus_pid < 0)
        return -errno;
    if (bus_pid == 0) {
        char conf_arg[700], fd_arg[32];

        snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s", conf);
        dup2(pipefd[1], 3);
        snprintf(fd_arg, sizeof(fd_arg), "--print-address=3");
        execlp("dbus-daemon", "dbus-daemon", conf_arg, "--nofork", fd_arg, (char *) NULL);
        _exit(127);
    }
    close(pipefd[1]);
    /* The address is printed once the daemon listens. */
    while (len < sizeof(line) - 1 && (n = read(pipefd[0], line + len, sizeof(line) - 1 - len)) > 0) {
        len += n;
        if (memchr(line, '\n', len))
            break;
    }
    close(pipefd[0]);
    line[len] = '\0';
    if (!strchr(line, '\n'))
        return -EIO;
    *strchr(line, '\n') = '\0';
    snprintf(bus_address, sizeof(bus_address), "%s", line);
    return 0;
}

static void
stop_dbus_daemon(void)
{
    int status;

    if (bus_pid <= 0)
        return;
    kill(bus_pid, SIGTERM);
    waitpid(bus_pid, &status, 0);
    bus_pid = -1;
}

/* ---- the server side ---- */

typedef struct DelayedReply {
    uv_timer_t timer;
    sd_bus_message *m;
    uint32_t value;
} DelayedReply;

static sd_bus_message *never_answered[8];
static unsigned n_never_answered;

static void
delayed_close_cb(uv_handle_t *h)
{
    free(h->data);
}

static void
delayed_reply_cb(uv_timer_t *t)
{
    DelayedReply *dr = t->data;
    int r;

    r = sd_bus_reply_method_return(dr->m, "u", dr->value + 1);
    if (r < 0)
        TEST_FAIL("cannot reply: %s", strerror(-r));
    sd_bus_message_unref(dr->m);
    uv_close((uv_handle_t *) t, delayed_close_cb);
}

/* Delayed(u ms, u value) -> (u value+1), answered from a uv_timer. */
static int
method_delayed(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    DelayedReply *dr;
    uint32_t ms, value;
    int r;

    r = sd_bus_message_read(m, "uu", &ms, &value);
    if (r < 0)
        return r;
    dr = calloc(1, sizeof(*dr));
    dr->m = sd_bus_message_ref(m);
    dr->value = value;
    dr->timer.data = dr;
    uv_timer_init(&loop, &dr->timer);
    uv_timer_start(&dr->timer, delayed_reply_cb, ms, 0);
    return 1;
}

static int
method_echo(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    const char *s;
    int r;

    r = sd_bus_message_read(m, "s", &s);
    if (r < 0)
        return r;
    return sd_bus_reply_method_return(m, "s", s);
}

static int
method_never(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    if (n_never_answered < ARRAY_SIZE(never_answered))
        never_answered[n_never_answered++] = sd_bus_message_ref(m);
    return 1;
}

static const sd_bus_vtable server_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Delayed", "uu", "u", method_delayed, 0),
    SD_BUS_METHOD("Echo", "s", "s", method_echo, 0),
    SD_BUS_METHOD("Never", "", "", method_never, 0),
    SD_BUS_SIGNAL("Ping", "s", 0),
    SD_BUS_VTABLE_END
};

/* ---- the client side ---- */

static int name_acquired;
static int delayed_replies;
static uint32_t delayed_last;
static int echo_replies;
static int echo_bad;
static int match_installed;
static int pings;
static char ping_text[64];
static int never_error;
static char never_error_name[128];
static int disconnects[2];

static int
request_name_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    uint32_t code = 0;

    if (sd_bus_message_is_method_error(m, NULL))
        TEST_FAIL("RequestName failed: %s", sd_bus_message_get_error(m)->message);
    else if (sd_bus_message_read(m, "u", &code) < 0 || code != 1)
        TEST_FAIL("RequestName returned %u", code);
    name_acquired = 1;
    return 1;
}

static int
delayed_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    uint32_t v = 0;

    if (sd_bus_message_is_method_error(m, NULL))
        TEST_FAIL("Delayed failed: %s", sd_bus_message_get_error(m)->message);
    else if (sd_bus_message_read(m, "u", &v) < 0)
        TEST_FAIL("cannot read Delayed reply");
    delayed_last = v;
    delayed_replies++;
    return 1;
}

static int
echo_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *s = NULL;

    if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "s", &s) < 0 ||
        !STREQ(s, (const char *) userdata))
        echo_bad++;
    echo_replies++;
    return 1;
}

static int
match_installed_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    if (sd_bus_message_is_method_error(m, NULL))
        TEST_FAIL("AddMatch failed: %s", sd_bus_message_get_error(m)->message);
    match_installed = 1;
    return 1;
}

static int
ping_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *s = NULL;

    if (sd_bus_message_read(m, "s", &s) >= 0)
        snprintf(ping_text, sizeof(ping_text), "%s", s);
    pings++;
    return 0;
}

static int
never_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const sd_bus_error *e = sd_bus_message_get_error(m);

    if (e)
        snprintf(never_error_name, sizeof(never_error_name), "%s", e->name);
    never_error = 1;
    return 1;
}

static void
on_disconnect(void *userdata)
{
    disconnects[(intptr_t) userdata]++;
}

static void
test_bus_loop(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    sd_bus *server = NULL, *client = NULL;
    BusLoop *server_loop = NULL, *client_loop = NULL;
    sd_bus_message *call = NULL;
    char *big;
    static char numbers[1000][16];
    int r, i;

    r = bus_open(BUS_KIND_ADDRESS, "unix:path=/nonexistent/bus", "nothing", &server, &error);
    CHECK(r < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_DBUS_SERVICE);
    CHECK(error.message && strstr(error.message, "'unix:path=/nonexistent/bus'"));
    error_clear(&error);

    r = bus_open(BUS_KIND_ADDRESS, bus_address, "server", &server, &error);
    CHECK_INT_EQ(r, 0);
    r = bus_open(BUS_KIND_ADDRESS, bus_address, "client", &client, &error);
    CHECK_INT_EQ(r, 0);
    if (!server || !client)
        return;
    r = bus_loop_attach(server, &loop, on_disconnect, (void *) 0, &server_loop, &error);
    CHECK_INT_EQ(r, 0);
    r = bus_loop_attach(client, &loop, on_disconnect, (void *) 1, &client_loop, &error);
    CHECK_INT_EQ(r, 0);

    r = sd_bus_add_object_vtable(server, NULL, TEST_PATH, TEST_IFACE, server_vtable, NULL);
    CHECK_INT_EQ(r, 0);
    r = sd_bus_request_name_async(server, NULL, TEST_NAME, 0, request_name_cb, NULL);
    CHECK(r >= 0);
    RUN_UNTIL(name_acquired);

    /* A reply sent from a uv_timer callback reaches the caller. */
    r = sd_bus_call_method_async(client, NULL, TEST_NAME, TEST_PATH, TEST_IFACE, "Delayed",
                                 delayed_cb, NULL, "uu", 50, 41);
    CHECK(r >= 0);
    RUN_UNTIL(delayed_replies == 1);
    CHECK_INT_EQ(delayed_last, 42);

    /* A signal emitted on one connection reaches the other's match. */
    r = sd_bus_match_signal_async(client, NULL, NULL, TEST_PATH, TEST_IFACE, "Ping",
                                  ping_cb, match_installed_cb, NULL);
    CHECK(r >= 0);
    RUN_UNTIL(match_installed);
    r = sd_bus_emit_signal(server, TEST_PATH, TEST_IFACE, "Ping", "s", "hello");
    CHECK(r >= 0);
    RUN_UNTIL(pings == 1);
    CHECK_STR_EQ(ping_text, "hello");

    /* Many calls in flight, some answered at once and some from timers. */
    for (i = 0; i < 1000; i++) {
        snprintf(numbers[i], sizeof(numbers[i]), "n%d", i);
        r = sd_bus_call_method_async(client, NULL, TEST_NAME, TEST_PATH, TEST_IFACE, "Echo",
                                     echo_cb, numbers[i], "s", numbers[i]);
        if (r < 0)
            TEST_FAIL("call %d: %s", i, strerror(-r));
        if (i % 10 == 0) {
            r = sd_bus_call_method_async(client, NULL, TEST_NAME, TEST_PATH, TEST_IFACE,
                                         "Delayed", delayed_cb, NULL, "uu", i % 7, i);
            if (r < 0)
                TEST_FAIL("delayed call %d: %s", i, strerror(-r));
        }
    }
    RUN_UNTIL(echo_replies == 1000 && delayed_replies == 101);
    CHECK_INT_EQ(echo_bad, 0);

    /* A message larger than the socket buffers is written out across
     * several wakeups (POLLOUT). */
    big = malloc(8 << 20);
    memset(big, 'x', (8 << 20) - 1);
    big[(8 << 20) - 1] = '\0';
    echo_replies = 0;
    r = sd_bus_call_method_async(client, NULL, TEST_NAME, TEST_PATH, TEST_IFACE, "Echo",
                                 echo_cb, big, "s", big);
    CHECK(r >= 0);
    RUN_UNTIL(echo_replies == 1);
    CHECK_INT_EQ(echo_bad, 0);
    free(big);

    /* sd-bus's own deadline (the call timeout) fires through the uv_timer. */
    r = sd_bus_message_new_method_call(client, &call, TEST_NAME, TEST_PATH, TEST_IFACE, "Never");
    CHECK(r >= 0);
    r = sd_bus_call_async(client, NULL, call, never_cb, NULL, 100 * 1000);
    CHECK(r >= 0);
    sd_bus_message_unref(call);
    RUN_UNTIL(never_error);
    CHECK_STR_EQ(never_error_name, SD_BUS_ERROR_NO_REPLY);  /* sd-bus's name for a timeout */
    CHECK_INT_EQ(n_never_answered, 1);
    for (i = 0; i < (int) n_never_answered; i++)
        sd_bus_message_unref(never_answered[i]);

    /* Losing the bus runs on_disconnect on both connections. */
    CHECK_INT_EQ(disconnects[0] + disconnects[1], 0);
    stop_dbus_daemon();
    RUN_UNTIL(disconnects[0] == 1 && disconnects[1] == 1);

    bus_loop_detach(server_loop);
    bus_loop_detach(client_loop);
    uv_run(&loop, UV_RUN_DEFAULT);  /* returns once every handle is closed */
    sd_bus_flush_close_unref(server);
    sd_bus_flush_close_unref(client);
}

/* ---- daemon.c ---- */

static const DaemonSpec plain_spec = { .name = "testd", .bus_name = "org.test.Daemon",
                                       .conf_name = "testd.conf" };
static const DaemonSpec listen_spec = { .name = "testd", .bus_name = "org.test.Daemon",
                                        .conf_name = "testd.conf", .has_listen = true };

static int
parse(const DaemonSpec *spec, DaemonOptions *opts, Error *error, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;

    argv[argc++] = (char *) "testd";
    va_start(ap, error);
    while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
        argc++;
    va_end(ap);
    argv[argc] = NULL;
    return daemon_parse_args(spec, argc, argv, opts, error);
}

#define CHECK_PARSE_FAILS(spec, msg, ...) do { \
        auto_cleanup(error_clear) Error e_ = ERROR_INIT; \
        DaemonOptions o_; \
        CHECK_INT_EQ(parse(spec, &o_, &e_, __VA_ARGS__, NULL), -EINVAL); \
        CHECK_INT_EQ(e_.code, VIR_ERR_INVALID_ARG); \
        CHECK_STR_EQ(e_.message, msg); \
    } while (0)

static void
test_parse_args(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    DaemonOptions o;
    char *p;

    CHECK_INT_EQ(parse(&plain_spec, &o, &error, NULL), 0);
    CHECK_INT_EQ(o.action, DAEMON_ACTION_RUN);
    CHECK_INT_EQ(o.bus_kind, BUS_KIND_SYSTEM);
    CHECK_STR_EQ(o.root, "/");
    CHECK(!o.daemonize && !o.verbose && !o.listen && o.timeout == 0);
    CHECK(!o.config_file && !o.pid_file && !o.bus_address);
    daemon_options_clear(&o);

    CHECK_INT_EQ(parse(&plain_spec, &o, &error, "-d", "-f", "x.conf", "--pid-file=/run/x.pid",
                       "-t", "30", "-v", "--bus", "unix:path=/x/bus", "--root", "/tmp/r//",
                       NULL), 0);
    CHECK(o.daemonize && o.verbose && !o.listen);
    CHECK_STR_EQ(o.config_file, "x.conf");
    CHECK_STR_EQ(o.pid_file, "/run/x.pid");
    CHECK_INT_EQ(o.timeout, 30);
    CHECK_INT_EQ(o.bus_kind, BUS_KIND_ADDRESS);
    CHECK_STR_EQ(o.bus_address, "unix:path=/x/bus");
    CHECK_STR_EQ(o.root, "/tmp/r");
    daemon_options_clear(&o);

    CHECK_INT_EQ(parse(&plain_spec, &o, &error, "--session", "-vd", "--root=///", NULL), 0);
    CHECK_INT_EQ(o.bus_kind, BUS_KIND_SESSION);
    CHECK(o.daemonize && o.verbose);
    CHECK_STR_EQ(o.root, "/");
    daemon_options_clear(&o);

    CHECK_INT_EQ(parse(&listen_spec, &o, &error, "-l", NULL), 0);
    CHECK(o.listen);
    daemon_options_clear(&o);
    CHECK_INT_EQ(parse(&listen_spec, &o, &error, "--listen", "--system", NULL), 0);
    CHECK(o.listen);
    CHECK_INT_EQ(o.bus_kind, BUS_KIND_SYSTEM);
    daemon_options_clear(&o);

    CHECK_INT_EQ(parse(&plain_spec, &o, &error, "--version", NULL), 0);
    CHECK_INT_EQ(o.action, DAEMON_ACTION_VERSION);
    daemon_options_clear(&o);
    CHECK_INT_EQ(parse(&plain_spec, &o, &error, "-h", NULL), 0);
    CHECK_INT_EQ(o.action, DAEMON_ACTION_HELP);
    daemon_options_clear(&o);
    CHECK(!error_is_set(&error));

    CHECK_PARSE_FAILS(&plain_spec, "unknown option '-l'", "-l");
    CHECK_PARSE_FAILS(&plain_spec, "unknown option '--listen'", "--listen");
    CHECK_PARSE_FAILS(&plain_spec, "unknown option '--bogus'", "--bogus");
    CHECK_PARSE_FAILS(&plain_spec, "unknown option '-x'", "-x");
    CHECK_PARSE_FAILS(&plain_spec, "option '-t' needs a value", "-t");
    CHECK_PARSE_FAILS(&plain_spec, "option '--config' needs a value", "--config");
    CHECK_PARSE_FAILS(&plain_spec, "invalid timeout 'abc': expected a number of seconds",
                      "-t", "abc");
    CHECK_PARSE_FAILS(&plain_spec, "invalid timeout '-5': expected a number of seconds",
                      "--timeout=-5");
    CHECK_PARSE_FAILS(&plain_spec, "root directory 'tmp/r' must be an absolute path",
                      "--root", "tmp/r");
    CHECK_PARSE_FAILS(&plain_spec, "unexpected argument 'extra'", "-v", "extra");
    CHECK_PARSE_FAILS(&plain_spec, "option '--bus' needs a non-empty address", "--bus=");

    CHECK_STR_EQ(p = daemon_path_join("/", "/etc/libvirt/qemu"), "/etc/libvirt/qemu");
    free(p);
    CHECK_STR_EQ(p = daemon_path_join("/tmp/r", "/etc/libvirt/qemu"), "/tmp/r/etc/libvirt/qemu");
    free(p);
    {
        Daemon d = { .root = (char *) "/tmp/r" };

        CHECK_STR_EQ(p = daemon_path(&d, "/run/libvirt"), "/tmp/r/run/libvirt");
        free(p);
    }
}

/* The test daemon, run by daemon_main() in a forked child. */

typedef struct TestDaemon {
    uv_timer_t timer;  /* a handle of the daemon's own, closed by stop() */
} TestDaemon;

static int
testd_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Daemon *d = userdata;
    const char *greeting = "none";
    auto_cleanup(free_ptr) char *info = NULL;

    conf_get_string(d->conf, "greeting", &greeting, NULL);
    info = xasprintf("%s|%s|%d|%u", d->root, greeting, d->listen, d->timeout);
    return sd_bus_reply_method_return(m, "s", info);
}

static int
testd_quit(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    int r = sd_bus_reply_method_return(m, NULL);

    daemon_quit(userdata);
    return r;
}

static const sd_bus_vtable testd_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Info", "", "s", testd_info, 0),
    SD_BUS_METHOD("Quit", "", "", testd_quit, 0),
    SD_BUS_VTABLE_END
};

static void
testd_timer_cb(uv_timer_t *t)
{
}

static int
testd_init(Daemon *d, Error *error)
{
    TestDaemon *td;
    bool fail = false;
    int r;

    r = conf_get_bool(d->conf, "fail_init", &fail, error);
    if (r < 0)
        return r;
    if (fail)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "test daemon asked to fail in '%s'", d->root);
    r = sd_bus_add_object_vtable(d->bus, NULL, "/org/test/Daemon", "org.test.Daemon",
                                 testd_vtable, d);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot add the object");
    td = xcalloc(1, sizeof(*td));
    uv_timer_init(d->loop, &td->timer);
    td->timer.data = td;
    uv_timer_start(&td->timer, testd_timer_cb, 3600 * 1000, 3600 * 1000);
    d->userdata = td;
    return 0;
}

static void
testd_close_cb(uv_handle_t *h)
{
    free(h->data);
}

static void
testd_stop(Daemon *d)
{
    TestDaemon *td = d->userdata;
    auto_cleanup(free_ptr) char *marker = daemon_path(d, "/stopped");

    file_write_atomic(marker, "stopped\n", 8, 0644, NULL);
    uv_close((uv_handle_t *) &td->timer, testd_close_cb);
}

static const DaemonSpec testd_spec = {
    .name = "testd",
    .bus_name = "org.test.Daemon",
    .conf_name = "testd.conf",
    .init = testd_init,
    .stop = testd_stop,
};

static char droot[600], pid_path[700], out_path[700], marker_path[700], conf_path[700];
static int owner_appeared, owner_vanished;
static int info_replies, quit_replies;
static char info_text[800];

static int
owner_changed_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *name, *old_owner, *new_owner;

    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
        return 0;
    if (STREQ(name, "org.test.Daemon")) {
        if (*new_owner)
            owner_appeared++;
        else
            owner_vanished++;
    }
    return 0;
}

static int
info_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    const char *s = "";

    if (sd_bus_message_is_method_error(m, NULL))
        TEST_FAIL("Info failed: %s", sd_bus_message_get_error(m)->message);
    else
        sd_bus_message_read(m, "s", &s);
    snprintf(info_text, sizeof(info_text), "%s", s);
    info_replies++;
    return 1;
}

static int
quit_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    if (sd_bus_message_is_method_error(m, NULL))
        TEST_FAIL("Quit failed: %s", sd_bus_message_get_error(m)->message);
    quit_replies++;
    return 1;
}

/* Runs daemon_main(@argv) in a child with stdout and stderr in out_path. */
static pid_t
start_testd(char **argv)
{
    pid_t pid;
    int argc = 0, fd;

    while (argv[argc])
        argc++;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        fd = daemon_main(&testd_spec, argc, argv);
        fflush(stdout);
        _exit(fd);
    }
    return pid;
}

static int
wait_exit(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *
read_text(const char *path)
{
    char *data = NULL;
    size_t len;

    if (file_read_all(path, 1 << 20, &data, &len, NULL) < 0)
        return xstrdup("");
    return data;
}

#define CHECK_OUTPUT_HAS(text) do { \
        auto_cleanup(free_ptr) char *o_ = read_text(out_path); \
        if (!strstr(o_, text)) \
            TEST_FAIL("output lacks \"%s\": %s", text, o_); \
    } while (0)

static void
test_daemon_main(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    sd_bus *client = NULL;
    BusLoop *client_loop = NULL;
    char bus_arg[800];
    char *text;
    pid_t pid, daemon_pid;
    int r;

    snprintf(droot, sizeof(droot), "%s/root", tmpdir);
    snprintf(pid_path, sizeof(pid_path), "%s/run/testd.pid", droot);
    snprintf(out_path, sizeof(out_path), "%s/out", tmpdir);
    snprintf(marker_path, sizeof(marker_path), "%s/stopped", droot);
    snprintf(conf_path, sizeof(conf_path), "%s/etc/libvirt/testd.conf", droot);
    snprintf(bus_arg, sizeof(bus_arg), "--bus=%s", bus_address);

    /* Grandchildren (the -d daemons) become ours when their parent exits. */
    CHECK_INT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);

    r = bus_open(BUS_KIND_ADDRESS, bus_address, "test-client", &client, &error);
    CHECK_INT_EQ(r, 0);
    if (r < 0)
        return;
    bus_loop_attach(client, &loop, NULL, NULL, &client_loop, &error);
    match_installed = 0;
    r = sd_bus_match_signal_async(client, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                  "org.freedesktop.DBus", "NameOwnerChanged", owner_changed_cb,
                                  match_installed_cb, NULL);
    CHECK(r >= 0);
    RUN_UNTIL(match_installed);

    /* --version and a bad flag. */
    pid = start_testd((char *[]) { "testd", "--version", NULL });
    CHECK_INT_EQ(wait_exit(pid), 0);
    text = read_text(out_path);
    CHECK_STR_EQ(text, "testd (virtstack) " PACKAGE_VERSION "\n");
    free(text);
    pid = start_testd((char *[]) { "testd", "--nope", NULL });
    CHECK_INT_EQ(wait_exit(pid), 1);
    CHECK_OUTPUT_HAS("testd: unknown option '--nope'");
    CHECK_OUTPUT_HAS("Usage: testd [OPTIONS]");

    /* -d returns once the name is owned: the root and the config under it
     * are used, the pid file is written. */
    CHECK_INT_EQ(mkdir_p(droot, 0755, NULL), 0);
    CHECK_INT_EQ(mkdir_p(droot, 0755, NULL), 0);
    {
        auto_cleanup(free_ptr) char *dir = xasprintf("%s/etc/libvirt", droot);

        CHECK_INT_EQ(mkdir_p(dir, 0755, NULL), 0);
    }
    CHECK_INT_EQ(file_write_atomic(conf_path, "greeting = \"hi there\"\n", 22, 0644, NULL), 0);
    pid = start_testd((char *[]) { "testd", "-d", bus_arg, "--root", droot, "-p", pid_path,
                                   NULL });
    CHECK_INT_EQ(wait_exit(pid), 0);
    text = read_text(pid_path);
    daemon_pid = atoi(text);
    free(text);
    CHECK(daemon_pid > 0 && kill(daemon_pid, 0) == 0);
    r = sd_bus_call_method_async(client, NULL, "org.test.Daemon", "/org/test/Daemon",
                                 "org.test.Daemon", "Info", info_cb, NULL, "");
    CHECK(r >= 0);
    RUN_UNTIL(info_replies == 1);
    {
        auto_cleanup(free_ptr) char *expect = xasprintf("%s|hi there|0|0", droot);

        CHECK_STR_EQ(info_text, expect);
    }

    /* A second instance: the name is taken. */
    pid = start_testd((char *[]) { "testd", "-d", bus_arg, "--root", droot, NULL });
    CHECK_INT_EQ(wait_exit(pid), 1);
    CHECK_OUTPUT_HAS("testd: name 'org.test.Daemon' is already owned by another process");
    /* ... and the pid file names a live testd. */
    pid = start_testd((char *[]) { "testd", "-d", bus_arg, "--root", droot, "-p", pid_path,
                                   NULL });
    CHECK_INT_EQ(wait_exit(pid), 1);
    CHECK_OUTPUT_HAS("which is still running");
    CHECK(file_exists(pid_path));

    /* daemon_quit() from a method: stop() runs, the pid file goes, then
     * the name. */
    r = sd_bus_call_method_async(client, NULL, "org.test.Daemon", "/org/test/Daemon",
                                 "org.test.Daemon", "Quit", quit_cb, NULL, "");
    CHECK(r >= 0);
    RUN_UNTIL(quit_replies == 1 && owner_vanished == 1);
    CHECK(!file_exists(pid_path));
    CHECK(file_exists(marker_path));
    CHECK_INT_EQ(wait_exit(daemon_pid), 0);
    unlink(marker_path);

    /* init() failing: -d reports its message. */
    CHECK_INT_EQ(file_write_atomic(conf_path, "fail_init = 1\n", 14, 0644, NULL), 0);
    pid = start_testd((char *[]) { "testd", "-d", bus_arg, "--root", droot, NULL });
    CHECK_INT_EQ(wait_exit(pid), 1);
    {
        auto_cleanup(free_ptr) char *expect =
            xasprintf("testd: test daemon asked to fail in '%s'", droot);

        CHECK_OUTPUT_HAS(expect);
    }
    CHECK(!file_exists(marker_path));
    unlink(conf_path);

    /* The idle timeout, in the foreground; -f names the config. */
    CHECK_INT_EQ(file_write_atomic(out_path, "", 0, 0644, NULL), 0);
    {
        auto_cleanup(free_ptr) char *other = xasprintf("%s/other.conf", tmpdir);

        CHECK_INT_EQ(file_write_atomic(other, "greeting = 'other'\n", 19, 0644, NULL), 0);
        pid = start_testd((char *[]) { "testd", bus_arg, "--root", droot, "-t", "1", "-f",
                                       other, NULL });
    }
    RUN_UNTIL(owner_appeared == 2);
    r = sd_bus_call_method_async(client, NULL, "org.test.Daemon", "/org/test/Daemon",
                                 "org.test.Daemon", "Info", info_cb, NULL, "");
    RUN_UNTIL(info_replies == 2);
    {
        auto_cleanup(free_ptr) char *expect = xasprintf("%s|other|0|1", droot);

        CHECK_STR_EQ(info_text, expect);
    }
    RUN_UNTIL(owner_vanished == 2);
    CHECK_INT_EQ(wait_exit(pid), 0);
    CHECK(file_exists(marker_path));
    unlink(marker_path);
    CHECK_OUTPUT_HAS("exiting after 1 seconds without activity");

    /* SIGTERM. */
    pid = start_testd((char *[]) { "testd", bus_arg, "--root", droot, NULL });
    RUN_UNTIL(owner_appeared == 3);
    kill(pid, SIGTERM);
    RUN_UNTIL(owner_vanished == 3);
    CHECK_INT_EQ(wait_exit(pid), 0);
    CHECK(file_exists(marker_path));
    unlink(marker_path);

    /* Losing the bus: exit status 1. */
    pid = start_testd((char *[]) { "testd", bus_arg, "--root", droot, NULL });
    RUN_UNTIL(owner_appeared == 4);
    bus_loop_detach(client_loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    sd_bus_flush_close_unref(client);
    stop_dbus_daemon();
    CHECK_INT_EQ(wait_exit(pid), 1);
    CHECK_OUTPUT_HAS("lost the connection to the bus");
    CHECK(file_exists(marker_path));
}

int
main(void)
{
    int r;

    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    uv_loop_init(&loop);

    r = start_dbus_daemon();
    if (r < 0) {
        fprintf(stderr, "cannot start dbus-daemon: %s\n", strerror(-r));
        return 1;
    }
    test_bus_loop();
    stop_dbus_daemon();
    test_parse_args();

    r = start_dbus_daemon();
    if (r < 0) {
        fprintf(stderr, "cannot start dbus-daemon: %s\n", strerror(-r));
        return 1;
    }
    test_daemon_main();
    stop_dbus_daemon();

    CHECK_INT_EQ(uv_loop_close(&loop), 0);
    {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            TEST_FAIL("cannot remove %s", tmpdir);
    }
    return test_result();
}
