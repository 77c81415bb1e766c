/* The guest agent: qemu-ga in the guest, on the virtio channel named
 * org.qemu.guest_agent.0, whose unix socket QEMU listens on.
 *
 * As libvirt does, virtqemud connects only while the guest has the port
 * open (QEMU's VSERPORT_CHANGE, or query-chardev's frontend-open after a
 * restart), and closes on the guest's close: what was written to a closed
 * port would otherwise reach the next agent. Each change of the state is
 * libvirt's AGENT_LIFECYCLE event, and the state is in the live XML
 * (<target state='connected'/>), so a restart tells only what changed.
 *
 * One command at a time, in order; the others wait in the queue. Before a
 * command, unless already in sync, a guest-sync with a fresh id: replies
 * that do not carry that id are left-overs of commands that timed out and
 * are dropped. The sync waits at most 5 seconds (libvirt's
 * QEMU_AGENT_WAIT_TIME), so a hung agent answers with libvirt's
 * agent-unresponsive error; the command itself waits as the caller's
 * timeout says (-2 for ever, -1 the default, 0 not at all). No domain job
 * is taken: the agent blocks nothing but other agent calls. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_monitor.h"

#define AGENT_WAIT_SECONDS 5       /* QEMU_AGENT_WAIT_TIME */
#define AGENT_LINE_MAX (16u << 20) /* a reply longer than this is an error */

typedef struct AgentCall {
    struct AgentCall *next;
    char *text;          /* the command, one JSON line */
    char *name;          /* its "execute", for messages */
    int timeout;         /* seconds, or AGENT_TIMEOUT_BLOCK / _DEFAULT / _NOWAIT */
    AgentReplyCb cb;
    void *userdata;
} AgentCall;

struct QemuAgent {
    Domain *dom;         /* borrowed: the domain closes its agent first */
    int fd;
    uv_poll_t poll;
    uv_timer_t timer;
    unsigned open_handles;
    bool closing;
    char *rbuf;          /* what was read and is not a whole line yet */
    size_t rlen;
    char *wbuf;          /* what is still to be written */
    size_t wlen, woff;
    bool in_sync;
    uint64_t sync_id;    /* the id of the guest-sync in flight, 0 if none */
    bool waiting;        /* the head's command is sent, its reply awaited */
    AgentCall *head, *tail;
};

static uint64_t next_sync_id;

static void agent_poll(uv_poll_t *p, int status, int events);
static void agent_next(QemuAgent *a);

/* ---- calls -------------------------------------------------------------- */

static void
call_free(AgentCall *c)
{
    free(c->text);
    free(c->name);
    free(c);
}

/* Ends the head call with @ret or @error and moves on. */
static void
call_finish(QemuAgent *a, json_t *ret, const Error *error)
{
    AgentCall *c = a->head;

    if (!c)
        return;
    a->head = c->next;
    if (!a->head)
        a->tail = NULL;
    a->waiting = false;
    a->sync_id = 0;
    uv_timer_stop(&a->timer);
    c->cb(a->dom, ret, error, c->userdata);
    call_free(c);
    if (!a->closing)
        agent_next(a);
}

static void
call_fail(QemuAgent *a, int code, const char *msg)
{
    Error error = ERROR_INIT;

    error_set(&error, -EIO, code, "%s", msg);
    call_finish(a, NULL, &error);
    error_clear(&error);
}

/* ---- the socket --------------------------------------------------------- */

static void
agent_handle_closed(uv_handle_t *h)
{
    QemuAgent *a = h->data;

    if (--a->open_handles)
        return;
    close(a->fd);
    free(a->rbuf);
    free(a->wbuf);
    free(a);
}

/* Closes the connection; the calls still queued fail with libvirt's
 * "disappeared" error. */
static void
agent_close(QemuAgent *a)
{
    if (a->closing)
        return;
    a->closing = true;
    if (a->dom->agent == a)
        a->dom->agent = NULL;
    while (a->head)
        call_fail(a, VIR_ERR_AGENT_UNRESPONSIVE,
                  "Guest agent is not responding: Guest agent disappeared while executing "
                  "command");
    uv_close((uv_handle_t *) &a->poll, agent_handle_closed);
    uv_close((uv_handle_t *) &a->timer, agent_handle_closed);
}

static void
agent_arm(QemuAgent *a)
{
    if (!a->closing)
        uv_poll_start(&a->poll, UV_READABLE | (a->woff < a->wlen ? UV_WRITABLE : 0), agent_poll);
}

static void
agent_write(QemuAgent *a, const char *text)
{
    size_t n = strlen(text);

    if (a->woff == a->wlen)
        a->woff = a->wlen = 0;
    a->wbuf = xrealloc(a->wbuf, a->wlen + n + 1);
    memcpy(a->wbuf + a->wlen, text, n);
    a->wbuf[a->wlen + n] = '\n';
    a->wlen += n + 1;
    agent_arm(a);
}

static void
timer_fired(uv_timer_t *t)
{
    QemuAgent *a = t->data;

    /* What it answers later belongs to nobody: the next call syncs again. */
    a->in_sync = false;
    call_fail(a, VIR_ERR_AGENT_UNRESPONSIVE,
              "Guest agent is not responding: Guest agent not available for now");
}

static void
timer_start(QemuAgent *a, int seconds)
{
    if (seconds > 0)
        uv_timer_start(&a->timer, timer_fired, (uint64_t) seconds * 1000, 0);
}

/* Sends the head's sync or command, when nothing is in flight. */
static void
agent_next(QemuAgent *a)
{
    AgentCall *c = a->head;
    int wait;

    if (!c || a->waiting || a->sync_id)
        return;
    if (!a->in_sync) {
        char buf[96];

        /* A shorter agent timeout than the default bounds the sync too. */
        wait = c->timeout > 0 && c->timeout < AGENT_WAIT_SECONDS ? c->timeout
                                                                 : AGENT_WAIT_SECONDS;
        a->sync_id = ++next_sync_id;
        snprintf(buf, sizeof(buf), "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":%llu}}",
                 (unsigned long long) a->sync_id);
        agent_write(a, buf);
        timer_start(a, wait);
        return;
    }
    agent_write(a, c->text);
    if (c->timeout == AGENT_TIMEOUT_NOWAIT) {
        /* Its reply, when it comes, is dropped by the next sync. */
        a->in_sync = false;
        call_finish(a, NULL, NULL);
        return;
    }
    a->waiting = true;
    timer_start(a, c->timeout == AGENT_TIMEOUT_DEFAULT ? AGENT_WAIT_SECONDS : c->timeout);
}

static void
agent_line(QemuAgent *a, const char *line)
{
    json_t *msg = json_loads(line, JSON_DECODE_ANY, NULL);
    json_t *ret = msg ? json_object_get(msg, "return") : NULL;
    json_t *err = msg ? json_object_get(msg, "error") : NULL;

    if (!json_is_object(msg)) {
        log_debug("domain '%s': agent sent '%s'", a->dom->def->name, line);
    } else if (a->sync_id) {
        if (json_is_integer(ret) && (uint64_t) json_integer_value(ret) == a->sync_id) {
            a->sync_id = 0;
            a->in_sync = true;
            uv_timer_stop(&a->timer);
            agent_next(a);
        }
    } else if (a->waiting && (ret || err)) {
        AgentCall *c = a->head;
        Error error = ERROR_INIT;

        if (err) {
            const char *desc = json_string_value(json_object_get(err, "desc"));
            const char *klass = json_string_value(json_object_get(err, "class"));
            error_set(&error, -EIO, VIR_ERR_INTERNAL_ERROR,
                      "internal error: unable to execute QEMU agent command '%s': %s", c->name,
                      desc ? desc : klass ? klass : "unknown QEMU command error");
            call_finish(a, msg, &error);
            error_clear(&error);
        } else {
            call_finish(a, msg, NULL);
        }
    }
    json_decref(msg);
}

static bool
agent_read(QemuAgent *a)
{
    char buf[65536];
    ssize_t n;
    char *start, *nl;

    do
        n = read(a->fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
    if (n <= 0)
        return false;
    if (a->rlen + (size_t) n > AGENT_LINE_MAX) {
        log_error("domain '%s': the agent's reply is over %u bytes", a->dom->def->name,
                  AGENT_LINE_MAX);
        return false;
    }
    a->rbuf = xrealloc(a->rbuf, a->rlen + (size_t) n + 1);
    memcpy(a->rbuf + a->rlen, buf, (size_t) n);
    a->rlen += (size_t) n;
    a->rbuf[a->rlen] = '\0';
    start = a->rbuf;
    /* qemu-ga's 0xff sync delimiters are not JSON: skipped. */
    while (!a->closing && (nl = memchr(start, '\n', a->rlen - (size_t) (start - a->rbuf)))) {
        *nl = '\0';
        while (*start == '\xff')
            start++;
        if (*start)
            agent_line(a, start);
        start = nl + 1;
    }
    if (a->closing)
        return true;
    a->rlen -= (size_t) (start - a->rbuf);
    memmove(a->rbuf, start, a->rlen);
    return true;
}

static void
agent_poll(uv_poll_t *p, int status, int events)
{
    QemuAgent *a = p->data;
    bool ok = status >= 0;

    if (a->closing)
        return;
    while (ok && (events & UV_WRITABLE) && a->woff < a->wlen) {
        ssize_t n = send(a->fd, a->wbuf + a->woff, a->wlen - a->woff, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            ok = false;
        else
            a->woff += (size_t) n;
    }
    if (ok && (events & UV_READABLE))
        ok = agent_read(a);
    if (!ok) {
        log_info("domain '%s': the guest agent's socket closed", a->dom->def->name);
        agent_close(a);
        return;
    }
    agent_arm(a);
}

static void
agent_open(Domain *dom, const DomainChr *chr)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    QemuAgent *a;
    int fd;

    if (dom->agent || !chr->source_path || strlen(chr->source_path) >= sizeof(sa.sun_path))
        return;
    strcpy(sa.sun_path, chr->source_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        log_error("domain '%s': cannot connect to the guest agent's socket '%s': %s",
                  dom->def->name, chr->source_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    a = xcalloc(1, sizeof(*a));
    a->dom = dom;
    a->fd = fd;
    uv_poll_init(dom->drv->loop, &a->poll, fd);
    uv_timer_init(dom->drv->loop, &a->timer);
    a->poll.data = a->timer.data = a;
    a->open_handles = 2;
    dom->agent = a;
    agent_arm(a);
    log_debug("domain '%s': connected to the guest agent", dom->def->name);
}

/* ---- the channel's state ------------------------------------------------ */

DomainChr *
qemu_agent_channel(const DomainDef *def)
{
    for (size_t i = 0; def && i < def->n_channels; i++) {
        DomainChr *c = &def->channels[i];
        if (c->type == CHR_TYPE_UNIX && c->target_type == CHR_TARGET_VIRTIO && c->target_name &&
            STREQ(c->target_name, AGENT_CHANNEL_NAME))
            return c;
    }
    return NULL;
}

/* The guest opened or closed the agent's port: connect or close, and tell. */
static void
agent_state(Domain *dom, DomainChr *chr, int state, int reason)
{
    bool changed = chr->target_state != state;

    chr->target_state = state;
    if (state == CHR_STATE_CONNECTED)
        agent_open(dom, chr);
    else if (dom->agent)
        agent_close(dom->agent);
    if (reason == AGENT_LIFECYCLE_REASON_DOMAIN_STARTED) {
        /* The start's own status save, right after, records the state. */
        qemu_driver_emit_agent_lifecycle(dom, state, reason);
        return;
    }
    if (!changed)
        return;
    qemu_status_save(dom);
    qemu_driver_emit_agent_lifecycle(dom, state, reason);
}

void
qemu_agent_started(Domain *dom)
{
    DomainChr *chr = qemu_agent_channel(dom->live);

    /* As libvirt at a start: the port is closed until the guest's agent runs. */
    if (chr)
        agent_state(dom, chr, CHR_STATE_DISCONNECTED, AGENT_LIFECYCLE_REASON_DOMAIN_STARTED);
}

void
qemu_agent_serial_changed(Domain *dom, json_t *data)
{
    const char *id = json_string_value(json_object_get(data, "id"));
    json_t *open = json_object_get(data, "open");
    DomainChr *chr = qemu_agent_channel(dom->live);

    if (!id || !json_is_boolean(open))
        return;
    for (size_t i = 0; i < dom->live->n_channels; i++) {
        DomainChr *c = &dom->live->channels[i];
        if (!c->alias || !STREQ(c->alias, id) || c->target_type != CHR_TARGET_VIRTIO)
            continue;
        if (c == chr) {
            agent_state(dom, c, json_is_true(open) ? CHR_STATE_CONNECTED : CHR_STATE_DISCONNECTED,
                        AGENT_LIFECYCLE_REASON_CHANNEL);
        } else {
            c->target_state = json_is_true(open) ? CHR_STATE_CONNECTED : CHR_STATE_DISCONNECTED;
            qemu_status_save(dom);
        }
    }
}

static void
chardev_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    DomainChr *chr = error || !dom->live ? NULL : qemu_agent_channel(dom->live);
    size_t i;
    json_t *dev;

    if (chr && chr->alias) {
        json_array_foreach(ret, i, dev) {
            const char *label = json_string_value(json_object_get(dev, "label"));
            json_t *open = json_object_get(dev, "frontend-open");
            if (label && strncmp(label, "char", 4) == 0 && STREQ(label + 4, chr->alias) &&
                json_is_boolean(open))
                agent_state(dom, chr,
                            json_is_true(open) ? CHR_STATE_CONNECTED : CHR_STATE_DISCONNECTED,
                            AGENT_LIFECYCLE_REASON_CHANNEL);
        }
    }
    domain_unref(dom);
}

void
qemu_agent_reconnect(Domain *dom)
{
    /* The port may have opened or closed while we were away. */
    if (!qemu_agent_channel(dom->live) || !dom->monitor.conn)
        return;
    domain_ref(dom);
    if (qmp_command(dom->monitor.conn, "query-chardev", NULL, chardev_reply, dom, NULL) < 0)
        domain_unref(dom);
}

void
qemu_agent_detach(Domain *dom)
{
    if (dom->agent)
        agent_close(dom->agent);
}

/* ---- calls from the driver ---------------------------------------------- */

int
qemu_agent_available(Domain *dom, Error *error)
{
    if (!qemu_domain_is_active(dom) || !dom->live || dom->state != DOMAIN_STATE_RUNNING)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if (!qemu_agent_channel(dom->live))
        return error_set(error, -ENOTSUP, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: QEMU guest agent is not configured");
    if (!dom->agent)
        return error_set(error, -EAGAIN, VIR_ERR_AGENT_UNRESPONSIVE,
                         "Guest agent is not responding: QEMU guest agent is not connected");
    return 0;
}

int
qemu_agent_command_text(Domain *dom, const char *text, int timeout, AgentReplyCb cb,
                        void *userdata, Error *error)
{
    QemuAgent *a;
    AgentCall *c;
    json_t *cmd;
    const char *name;
    int r = qemu_agent_available(dom, error);

    if (r < 0)
        return r;
    if (timeout < AGENT_TIMEOUT_BLOCK)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: guest agent timeout '%d' is less than the minimum "
                         "'%d'", timeout, AGENT_TIMEOUT_BLOCK);
    cmd = json_loads(text, 0, NULL);
    if (!json_is_object(cmd)) {
        json_decref(cmd);
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: cannot parse json %s", text);
    }
    name = json_string_value(json_object_get(cmd, "execute"));
    a = dom->agent;
    c = xcalloc(1, sizeof(*c));
    /* One line: qemu-ga reads a command per line. */
    c->text = json_dumps(cmd, JSON_COMPACT);
    c->name = xstrdup(name ? name : "<unknown>");
    c->timeout = timeout;
    c->cb = cb;
    c->userdata = userdata;
    json_decref(cmd);
    if (a->tail)
        a->tail->next = c;
    else
        a->head = c;
    a->tail = c;
    agent_next(a);
    return 0;
}

int
qemu_agent_command(Domain *dom, const char *execute, json_t *args, AgentReplyCb cb,
                   void *userdata, Error *error)
{
    json_t *cmd = json_pack("{s:s}", "execute", execute);
    char *text;
    int r;

    if (args)
        json_object_set_new(cmd, "arguments", args);
    text = json_dumps(cmd, JSON_COMPACT);
    json_decref(cmd);
    r = qemu_agent_command_text(dom, text, dom->agent_timeout, cb, userdata, error);
    free(text);
    return r;
}
