/* sd-bus on libuv, against a private dbus-daemon started here; and the
 * daemon skeleton (flags, paths, and daemon_main() in a forked child). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus_loop.h"
#include "daemon.h"
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

    CHECK_INT_EQ(uv_loop_close(&loop), 0);
    {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            TEST_FAIL("cannot remove %s", tmpdir);
    }
    return test_result();
}
