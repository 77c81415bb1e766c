/* The QMP monitor client. See qemu_monitor.h for the contract.
 *
 * The socket is watched with uv_poll and read and written with nonblocking
 * recv()/sendmsg(), which lets a command carry a file descriptor
 * (SCM_RIGHTS) in the same sendmsg as its first byte.
 *
 * Lifetime: the struct lives until both the owner has called qmp_conn_free()
 * and the uv_poll handle's close callback has run, so a callback may free the
 * connection while a read is being dispatched: the dispatcher checks
 * c->closed after every callback and stops. */
#include "qemu_monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "macros.h"
#include "virt_constants.h"

#define QMP_READ_CHUNK (64 * 1024)

typedef enum {
    QMP_STATE_GREETING,  /* waiting for {"QMP": ...} */
    QMP_STATE_CAPS,      /* qmp_capabilities sent, waiting for its reply */
    QMP_STATE_READY,
} QmpState;

typedef struct QmpCmd QmpCmd;
struct QmpCmd {
    QmpCmd *next;
    char *id;
    char *name;
    char *line;          /* the serialized command with "\r\n" */
    size_t len, off;     /* bytes of @line, bytes already sent */
    int fd;              /* our duplicate for SCM_RIGHTS, -1 if none */
    bool is_caps;
    bool secret;         /* its arguments carry a password: never logged */
    bool raw;            /* the callback gets the whole reply, errors too */
    QmpReplyCb cb;
    void *userdata;
};

typedef struct QmpQueue {
    QmpCmd *head, *tail;
} QmpQueue;

struct QmpConn {
    uv_poll_t poll;
    uv_loop_t *loop;        /* borrowed */
    int fd;
    int poll_events;        /* what poll is currently started with */
    QmpCallbacks cbs;
    void *userdata;
    QmpReplyCb ready;
    bool ready_done;        /* @ready ran (or will never run) */
    QmpState state;
    json_t *greeting;       /* the "QMP" member, owned */

    char *buf;              /* bytes read, not yet a whole line */
    size_t buf_len, buf_cap;
    size_t buf_scanned;     /* bytes of @buf known to hold no '\n' */

    QmpQueue to_send;       /* in order; the head may be partly sent */
    QmpQueue sent;          /* waiting for a reply */
    uint64_t next_id;

    bool closed;            /* no more I/O, no more callbacks */
    bool free_requested;    /* the owner called qmp_conn_free() */
    bool handle_closed;     /* the uv_poll close callback ran */
};

static void
queue_push(QmpQueue *q, QmpCmd *cmd)
{
    cmd->next = NULL;
    if (q->tail)
        q->tail->next = cmd;
    else
        q->head = cmd;
    q->tail = cmd;
}

static void
queue_push_front(QmpQueue *q, QmpCmd *cmd)
{
    cmd->next = q->head;
    q->head = cmd;
    if (!q->tail)
        q->tail = cmd;
}

static QmpCmd *
queue_pop(QmpQueue *q)
{
    QmpCmd *cmd = q->head;

    if (cmd) {
        q->head = cmd->next;
        if (!q->head)
            q->tail = NULL;
        cmd->next = NULL;
    }
    return cmd;
}

static QmpCmd *
queue_take_id(QmpQueue *q, const char *id)
{
    QmpCmd *prev = NULL;

    for (QmpCmd *cmd = q->head; cmd; prev = cmd, cmd = cmd->next) {
        if (!STREQ(cmd->id, id))
            continue;
        if (prev)
            prev->next = cmd->next;
        else
            q->head = cmd->next;
        if (q->tail == cmd)
            q->tail = prev;
        cmd->next = NULL;
        return cmd;
    }
    return NULL;
}

static void
cmd_free(QmpCmd *cmd)
{
    if (!cmd)
        return;
    if (cmd->fd >= 0)
        close(cmd->fd);
    free(cmd->id);
    free(cmd->name);
    free(cmd->line);
    free(cmd);
}

static void
conn_destroy(QmpConn *c)
{
    QmpCmd *cmd;

    while ((cmd = queue_pop(&c->to_send)))
        cmd_free(cmd);
    while ((cmd = queue_pop(&c->sent)))
        cmd_free(cmd);
    json_decref(c->greeting);
    free(c->buf);
    free(c);
}

static void
on_handle_closed(uv_handle_t *handle)
{
    QmpConn *c = handle->data;

    c->handle_closed = true;
    if (c->free_requested)
        conn_destroy(c);
}

/* Stops all I/O and fails everything pending with "QEMU monitor was closed".
 * Calls the closed callback when @notify and the owner has not freed us. */
static void
conn_shutdown(QmpConn *c, const char *why, bool notify)
{
    Error err = ERROR_INIT;
    QmpCmd *cmd;

    if (c->closed)
        return;
    c->closed = true;
    log_debug("QMP monitor fd %d closed: %s", c->fd, why);

    /* uv_close() stops polling at once, so the fd can be closed right after
     * without another fd reusing its number confusing epoll. */
    uv_close((uv_handle_t *) &c->poll, on_handle_closed);
    close(c->fd);
    c->fd = -1;

    error_set(&err, -EIO, VIR_ERR_OPERATION_FAILED, "QEMU monitor was closed");

    if (!c->ready_done) {
        c->ready_done = true;
        if (c->ready)
            c->ready(c, NULL, &err, c->userdata);
    }
    /* Those sent first are the oldest. */
    while ((cmd = queue_pop(&c->sent)) || (cmd = queue_pop(&c->to_send))) {
        if (cmd->cb)
            cmd->cb(c, NULL, &err, cmd->userdata);
        cmd_free(cmd);
    }
    error_clear(&err);

    if (notify && !c->free_requested && c->cbs.closed)
        c->cbs.closed(c, c->userdata);
}

static bool
conn_can_write(const QmpConn *c)
{
    const QmpCmd *head = c->to_send.head;

    if (!head || c->closed)
        return false;
    switch (c->state) {
    case QMP_STATE_GREETING:
        return false;
    case QMP_STATE_CAPS:
        /* Only qmp_capabilities until it succeeds. */
        return head->is_caps;
    case QMP_STATE_READY:
        return true;
    }
    return false;
}

static void on_poll(uv_poll_t *handle, int status, int events);

static void
conn_update_poll(QmpConn *c)
{
    int events = UV_READABLE;
    int r;

    if (c->closed)
        return;
    if (conn_can_write(c))
        events |= UV_WRITABLE;
    if (events == c->poll_events)
        return;
    r = uv_poll_start(&c->poll, events, on_poll);
    if (r < 0) {
        conn_shutdown(c, uv_strerror(r), true);
        return;
    }
    c->poll_events = events;
}

static void conn_drain_and_close(QmpConn *c, const char *why);

/* Sends as much of the queue as the socket takes. Returns <0 after shutting
 * the connection down. */
static int
conn_write(QmpConn *c)
{
    while (conn_can_write(c)) {
        QmpCmd *cmd = c->to_send.head;
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct iovec iov = {
            .iov_base = cmd->line + cmd->off,
            .iov_len = cmd->len - cmd->off,
        };
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
        };
        ssize_t n;

        if (cmd->fd >= 0 && cmd->off == 0) {
            struct cmsghdr *cmsg;

            memset(&control, 0, sizeof(control));
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof(control.buf);
            cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(cmsg), &cmd->fd, sizeof(int));
        }

        n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return 0;
            conn_drain_and_close(c, strerror(errno));
            return -EIO;
        }
        if (n > 0 && cmd->fd >= 0) {
            /* The kernel holds its own reference now. */
            close(cmd->fd);
            cmd->fd = -1;
        }
        cmd->off += (size_t) n;
        if (cmd->off < cmd->len)
            return 0;

        if (cmd->secret) {
            log_debug("QMP send: %s (arguments withheld: they carry a secret)", cmd->name);
            explicit_bzero(cmd->line, cmd->len);
        } else {
            log_debug("QMP send: %.*s", (int) cmd->len - 2, cmd->line);
        }
        queue_pop(&c->to_send);
        free(steal_ptr(cmd->line));
        queue_push(&c->sent, cmd);
    }
    return 0;
}

static int conn_read(QmpConn *c);

/* The socket failed, but what QEMU sent before closing (its last events,
 * the reply to "quit") is still queued: read it all, up to the end of file
 * or the error, then close. */
static void
conn_drain_and_close(QmpConn *c, const char *why)
{
    while (!c->closed && conn_read(c) > 0)
        ;
    if (!c->closed)
        conn_shutdown(c, why, true);
}

static void
conn_protocol_error(QmpConn *c, const char *what)
{
    log_debug("QMP protocol error: %s", what);
    conn_shutdown(c, what, true);
}

static void
dispatch_event(QmpConn *c, json_t *msg)
{
    const char *name = json_string_value(json_object_get(msg, "event"));

    if (!name) {
        conn_protocol_error(c, "event name is not a string");
        return;
    }
    if (c->cbs.event)
        c->cbs.event(c, name, json_object_get(msg, "data"), c->userdata);
}

static void
dispatch_reply(QmpConn *c, json_t *msg)
{
    const char *id = json_string_value(json_object_get(msg, "id"));
    json_t *ret = json_object_get(msg, "return");
    json_t *err = json_object_get(msg, "error");
    Error error = ERROR_INIT;
    QmpCmd *cmd;

    if (!id) {
        conn_protocol_error(c, "reply without a known id");
        return;
    }
    cmd = queue_take_id(&c->sent, id);
    if (!cmd) {
        conn_protocol_error(c, "reply with an unknown id");
        return;
    }
    if (err) {
        const char *desc = json_string_value(json_object_get(err, "desc"));

        error_set(&error, -EIO, VIR_ERR_INTERNAL_ERROR,
                  "internal error: unable to execute QEMU command '%s': %s",
                  cmd->name, desc ? desc : "unknown error");
        ret = NULL;
    } else if (!ret) {
        cmd_free(cmd);
        conn_protocol_error(c, "reply without return or error");
        return;
    }

    if (cmd->is_caps) {
        bool failed = error_is_set(&error);

        if (!failed)
            c->state = QMP_STATE_READY;
        c->ready_done = true;
        if (c->ready)
            c->ready(c, failed ? NULL : c->greeting, failed ? &error : NULL, c->userdata);
        if (failed)
            conn_shutdown(c, "qmp_capabilities failed", true);
        else
            conn_update_poll(c);
    } else if (cmd->cb && cmd->raw) {
        cmd->cb(c, msg, NULL, cmd->userdata);
    } else if (cmd->cb) {
        cmd->cb(c, ret, error_is_set(&error) ? &error : NULL, cmd->userdata);
    }
    error_clear(&error);
    cmd_free(cmd);
}

static void
dispatch_greeting(QmpConn *c, json_t *msg)
{
    QmpCmd *cmd;

    if (c->state != QMP_STATE_GREETING) {
        conn_protocol_error(c, "unexpected second greeting");
        return;
    }
    c->greeting = json_incref(json_object_get(msg, "QMP"));
    cmd = xcalloc(1, sizeof(*cmd));
    cmd->fd = -1;
    cmd->is_caps = true;
    cmd->id = xasprintf("libvirt-%" PRIu64, ++c->next_id);
    cmd->name = xstrdup("qmp_capabilities");
    cmd->line = xasprintf("{\"execute\":\"qmp_capabilities\",\"id\":\"%s\"}\r\n", cmd->id);
    cmd->len = strlen(cmd->line);
    queue_push_front(&c->to_send, cmd);
    c->state = QMP_STATE_CAPS;
    conn_update_poll(c);
}

static void
dispatch_line(QmpConn *c, const char *line, size_t len)
{
    json_error_t jerr;
    json_t *msg;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return;

    log_debug("QMP recv: %.*s", (int) (len > 1024 ? 1024 : len), line);
    msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg && json_error_code(&jerr) == json_error_numeric_overflow) {
        /* QEMU prints uint64 values that jansson's json_int_t (int64)
         * cannot hold; rather than drop the monitor, read every number of
         * this one message as a double. */
        msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    }
    if (!msg || !json_is_object(msg)) {
        json_decref(msg);
        conn_protocol_error(c, "message from QEMU is not a JSON object");
        return;
    }

    if (json_object_get(msg, "QMP"))
        dispatch_greeting(c, msg);
    else if (c->state == QMP_STATE_GREETING)
        conn_protocol_error(c, "message before the QMP greeting");
    else if (json_object_get(msg, "event"))
        dispatch_event(c, msg);
    else if (json_object_get(msg, "return") || json_object_get(msg, "error"))
        dispatch_reply(c, msg);
    else
        conn_protocol_error(c, "message from QEMU is neither a reply nor an event");
    json_decref(msg);
}

/* Dispatches every complete line in the buffer, then keeps the remainder. */
static void
conn_process_buffer(QmpConn *c)
{
    size_t start = 0;

    while (!c->closed) {
        char *nl = memchr(c->buf + c->buf_scanned, '\n', c->buf_len - c->buf_scanned);
        size_t end;

        if (!nl) {
            c->buf_scanned = c->buf_len;
            break;
        }
        end = (size_t) (nl - c->buf);
        if (end - start > QMP_MESSAGE_MAX) {
            conn_protocol_error(c, "message from QEMU is too long");
            return;
        }
        c->buf_scanned = end + 1;
        dispatch_line(c, c->buf + start, end - start);
        start = end + 1;
    }
    if (c->closed)
        return;

    if (start > 0) {
        memmove(c->buf, c->buf + start, c->buf_len - start);
        c->buf_len -= start;
        c->buf_scanned -= start;
    }
    if (c->buf_len > QMP_MESSAGE_MAX)
        conn_protocol_error(c, "message from QEMU is too long");
}

/* Returns 1 if there may be more to read, 0 if not (or closed). */
static int
conn_read(QmpConn *c)
{
    /* A bounded number of reads per wakeup keeps one chatty monitor from
     * starving the rest of the loop. */
    for (int i = 0; i < 16 && !c->closed; i++) {
        ssize_t n;

        if (c->buf_cap - c->buf_len < QMP_READ_CHUNK) {
            c->buf_cap = c->buf_cap * 2 > c->buf_len + QMP_READ_CHUNK ?
                         c->buf_cap * 2 : c->buf_len + QMP_READ_CHUNK;
            c->buf = xrealloc(c->buf, c->buf_cap);
        }
        n = recv(c->fd, c->buf + c->buf_len, c->buf_cap - c->buf_len, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            conn_shutdown(c, strerror(errno), true);
            return 0;
        }
        if (n == 0) {
            conn_shutdown(c, "end of file", true);
            return 0;
        }
        c->buf_len += (size_t) n;
        conn_process_buffer(c);
    }
    return c->closed ? 0 : 1;
}

static void
on_poll(uv_poll_t *handle, int status, int events)
{
    QmpConn *c = handle->data;

    if (c->closed)
        return;
    if (status < 0) {
        /* libuv reports POLLERR (a peer that closed with data unread, say)
         * as an error. */
        conn_drain_and_close(c, uv_strerror(status));
        return;
    }
    if (events & UV_WRITABLE) {
        if (conn_write(c) < 0)
            return;
    }
    if (events & (UV_READABLE | UV_DISCONNECT))
        conn_read(c);
    conn_update_poll(c);
}

int
qmp_conn_new(uv_loop_t *loop, int fd, const QmpCallbacks *cbs, void *userdata,
             QmpReplyCb ready, QmpConn **ret, Error *error)
{
    QmpConn *c;
    int flags, r;

    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        r = -errno;
        close(fd);
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot set up the QEMU monitor socket");
    }

    c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->fd = fd;
    if (cbs)
        c->cbs = *cbs;
    c->userdata = userdata;
    c->ready = ready;
    c->state = QMP_STATE_GREETING;

    r = uv_poll_init(loop, &c->poll, fd);
    if (r < 0) {
        close(fd);
        free(c);
        return error_set(error, r, VIR_ERR_INTERNAL_ERROR,
                         "cannot watch the QEMU monitor socket: %s", uv_strerror(r));
    }
    c->poll.data = c;
    r = uv_poll_start(&c->poll, UV_READABLE, on_poll);
    if (r < 0) {
        /* Not yet started: close quietly, the close callback frees. */
        c->closed = true;
        c->free_requested = true;
        c->ready_done = true;
        uv_close((uv_handle_t *) &c->poll, on_handle_closed);
        close(fd);
        return error_set(error, r, VIR_ERR_INTERNAL_ERROR,
                         "cannot watch the QEMU monitor socket: %s", uv_strerror(r));
    }
    c->poll_events = UV_READABLE;

    *ret = c;
    return 0;
}

int
qmp_conn_connect(uv_loop_t *loop, const char *path, const QmpCallbacks *cbs, void *userdata,
                 QmpReplyCb ready, QmpConn **ret, Error *error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd, r;

    if (strlen(path) >= sizeof(addr.sun_path))
        return error_set(error, -ENAMETOOLONG, VIR_ERR_INTERNAL_ERROR,
                         "monitor socket path '%s' is too long", path);
    memcpy(addr.sun_path, path, strlen(path) + 1);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_INTERNAL_ERROR,
                               "cannot create a socket for monitor '%s'", path);
    /* A unix socket connects at once or fails; nonblocking, a full listen
     * backlog fails with EAGAIN instead of blocking the loop. */
    if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
        r = -errno;
        close(fd);
        return error_set_errno(error, r, VIR_ERR_OPERATION_FAILED,
                               "failed to connect to monitor socket '%s'", path);
    }
    return qmp_conn_new(loop, fd, cbs, userdata, ready, ret, error);
}

static int
conn_queue(QmpConn *c, const char *name, json_t *arguments, int fd, QmpReplyCb cb,
           void *userdata, Error *error)
{
    QmpCmd *cmd;
    json_t *obj;
    char *text;
    int dupfd = -1;

    if (!c || c->closed) {
        json_decref(arguments);
        return error_set(error, -ENOTCONN, VIR_ERR_OPERATION_FAILED,
                         "cannot execute QEMU command '%s': QEMU monitor was closed", name);
    }
    if (fd >= 0) {
        dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dupfd < 0) {
            json_decref(arguments);
            return error_set_errno(error, -errno, VIR_ERR_INTERNAL_ERROR,
                                   "cannot duplicate fd %d for QEMU command '%s'", fd, name);
        }
    }

    cmd = xcalloc(1, sizeof(*cmd));
    cmd->fd = dupfd;
    cmd->id = xasprintf("libvirt-%" PRIu64, ++c->next_id);
    cmd->name = xstrdup(name);
    cmd->secret = strcmp(name, "set_password") == 0;
    cmd->cb = cb;
    cmd->userdata = userdata;

    obj = json_object();
    json_object_set_new(obj, "execute", json_string(name));
    if (arguments)
        json_object_set_new(obj, "arguments", arguments);
    json_object_set_new(obj, "id", json_string(cmd->id));
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!text)
        abort();
    cmd->line = xasprintf("%s\r\n", text);
    cmd->len = strlen(cmd->line);
    free(text);

    queue_push(&c->to_send, cmd);
    conn_update_poll(c);
    return 0;
}

int
qmp_command(QmpConn *c, const char *name, json_t *arguments, QmpReplyCb cb, void *userdata,
            Error *error)
{
    return conn_queue(c, name, arguments, -1, cb, userdata, error);
}

int
qmp_command_raw(QmpConn *c, const char *name, json_t *arguments, QmpReplyCb cb, void *userdata,
                Error *error)
{
    int r = conn_queue(c, name, arguments, -1, cb, userdata, error);

    if (r >= 0)
        c->to_send.tail->raw = true;
    return r;
}

int
qmp_command_with_fd(QmpConn *c, const char *name, json_t *arguments, int fd, QmpReplyCb cb,
                    void *userdata, Error *error)
{
    if (fd < 0) {
        json_decref(arguments);
        return error_set(error, -EBADF, VIR_ERR_INTERNAL_ERROR,
                         "invalid fd %d for QEMU command '%s'", fd, name);
    }
    return conn_queue(c, name, arguments, fd, cb, userdata, error);
}

void
qmp_conn_free(QmpConn *c)
{
    if (!c || c->free_requested)
        return;
    c->free_requested = true;
    conn_shutdown(c, "closed by its owner", false);
    if (c->handle_closed)
        conn_destroy(c);
}

bool
qmp_conn_is_ready(const QmpConn *c)
{
    return c && !c->closed && c->state == QMP_STATE_READY;
}

/* Reply helpers. */

void
qmp_strv_free(char **strv)
{
    if (!strv)
        return;
    for (char **s = strv; *s; s++)
        free(*s);
    free(strv);
}

void
qmp_vcpus_free(QmpVcpu *vcpus, size_t n)
{
    if (!vcpus)
        return;
    for (size_t i = 0; i < n; i++)
        free(vcpus[i].qom_path);
    free(vcpus);
}

int
qmp_parse_status(json_t *ret, char **ret_status, bool *ret_running, Error *error)
{
    const char *status = json_string_value(json_object_get(ret, "status"));
    json_t *running = json_object_get(ret, "running");

    if (!status || !json_is_boolean(running))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "query-status reply was missing 'status' or 'running'");
    if (ret_status)
        *ret_status = xstrdup(status);
    if (ret_running)
        *ret_running = json_is_true(running);
    return 0;
}

int
qmp_parse_chardev_ptys(json_t *ret, char ***ret_labels, char ***ret_ptys)
{
    char **labels, **ptys;
    size_t n = 0, i;
    json_t *entry;

    if (!json_is_array(ret))
        return -EINVAL;
    labels = xcalloc(json_array_size(ret) + 1, sizeof(char *));
    ptys = xcalloc(json_array_size(ret) + 1, sizeof(char *));
    json_array_foreach(ret, i, entry) {
        const char *label = json_string_value(json_object_get(entry, "label"));
        const char *filename = json_string_value(json_object_get(entry, "filename"));

        if (!label || !filename || strncmp(filename, "pty:", 4) != 0)
            continue;
        labels[n] = xstrdup(label);
        ptys[n] = xstrdup(filename + 4);
        n++;
    }
    *ret_labels = labels;
    *ret_ptys = ptys;
    return (int) n;
}

int
qmp_parse_balloon(json_t *ret, uint64_t *ret_actual_bytes, Error *error)
{
    json_t *actual = json_object_get(ret, "actual");

    if (!json_is_integer(actual) || json_integer_value(actual) < 0)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "query-balloon reply was missing balloon data");
    *ret_actual_bytes = (uint64_t) json_integer_value(actual);
    return 0;
}

/* A count or size: an integer, or a whole real below 2^64 when the message
 * held a number too big for an integer and was read with reals. */
static bool
json_get_u64(json_t *v, uint64_t *ret)
{
    double d;

    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *ret = (uint64_t) json_integer_value(v);
        return true;
    }
    if (!json_is_real(v))
        return false;
    d = json_real_value(v);
    if (!(d >= 0 && d < 18446744073709551616.0) || d != (double) (uint64_t) d)
        return false;
    *ret = (uint64_t) d;
    return true;
}

size_t
qmp_parse_guest_stats(json_t *ret, QmpMemoryStat *stats, size_t max)
{
    static const struct {
        const char *key;   /* in "stats", or the top level for last-update */
        int tag;
        unsigned divisor;
    } fields[] = {
        { "stat-swap-in", DOMAIN_MEMORY_STAT_SWAP_IN, 1024 },
        { "stat-swap-out", DOMAIN_MEMORY_STAT_SWAP_OUT, 1024 },
        { "stat-major-faults", DOMAIN_MEMORY_STAT_MAJOR_FAULT, 1 },
        { "stat-minor-faults", DOMAIN_MEMORY_STAT_MINOR_FAULT, 1 },
        { "stat-free-memory", DOMAIN_MEMORY_STAT_UNUSED, 1024 },
        { "stat-total-memory", DOMAIN_MEMORY_STAT_AVAILABLE, 1024 },
        { "stat-available-memory", DOMAIN_MEMORY_STAT_USABLE, 1024 },
        { "last-update", DOMAIN_MEMORY_STAT_LAST_UPDATE, 1 },
        { "stat-disk-caches", DOMAIN_MEMORY_STAT_DISK_CACHES, 1024 },
        { "stat-htlb-pgalloc", DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC, 1 },
        { "stat-htlb-pgfail", DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL, 1 },
    };
    json_t *guest = json_object_get(ret, "stats");
    size_t n = 0;

    if (!json_is_object(guest))
        return 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && n < max; i++) {
        json_t *from = fields[i].tag == DOMAIN_MEMORY_STAT_LAST_UPDATE ? ret : guest;
        uint64_t v;

        /* Not collected: QEMU sends 2^64-1 (2^64 once read as a real). */
        if (!json_get_u64(json_object_get(from, fields[i].key), &v))
            continue;
        stats[n].tag = fields[i].tag;
        stats[n].value = v / fields[i].divisor;
        n++;
    }
    return n;
}

int
qmp_parse_blockstats(json_t *ret, const char *node_name, QmpBlockStats *stats)
{
    size_t i;
    json_t *entry;

    if (!json_is_array(ret))
        return 0;
    json_array_foreach(ret, i, entry) {
        const char *node = json_string_value(json_object_get(entry, "node-name"));
        json_t *st = json_object_get(entry, "stats");
        const struct {
            const char *key;
            uint64_t *value;
        } fields[] = {
            { "rd_bytes", &stats->rd_bytes },
            { "wr_bytes", &stats->wr_bytes },
            { "rd_operations", &stats->rd_operations },
            { "wr_operations", &stats->wr_operations },
            { "flush_operations", &stats->flush_operations },
            { "rd_total_time_ns", &stats->rd_total_time_ns },
            { "wr_total_time_ns", &stats->wr_total_time_ns },
            { "flush_total_time_ns", &stats->flush_total_time_ns },
        };

        if (!node || strcmp(node, node_name) != 0 || !json_is_object(st))
            continue;
        memset(stats, 0, sizeof(*stats));
        for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
            if (!json_get_u64(json_object_get(st, fields[k].key), fields[k].value))
                *fields[k].value = 0;
        st = json_object_get(json_object_get(entry, "parent"), "stats");
        if (!json_get_u64(json_object_get(st, "wr_highest_offset"), &stats->wr_highest_offset))
            stats->wr_highest_offset = 0;
        return 1;
    }
    return 0;
}

uint64_t
qmp_parse_node_virtual_size(json_t *ret, const char *node_name)
{
    size_t i;
    json_t *entry;
    uint64_t size = 0;

    json_array_foreach(ret, i, entry) {
        const char *node = json_string_value(json_object_get(entry, "node-name"));
        if (node && strcmp(node, node_name) == 0 &&
            json_get_u64(json_object_get(json_object_get(entry, "image"), "virtual-size"), &size))
            return size;
    }
    return 0;
}

int
qmp_parse_cpus_fast(json_t *ret, QmpVcpu **ret_vcpus, size_t *ret_n, Error *error)
{
    QmpVcpu *vcpus;
    size_t n, i;
    json_t *entry;

    if (!json_is_array(ret))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "query-cpus-fast reply was not an array");
    n = json_array_size(ret);
    vcpus = xcalloc(n ? n : 1, sizeof(*vcpus));
    json_array_foreach(ret, i, entry) {
        json_t *index = json_object_get(entry, "cpu-index");
        json_t *tid = json_object_get(entry, "thread-id");
        const char *qom = json_string_value(json_object_get(entry, "qom-path"));

        if (!json_is_integer(index)) {
            qmp_vcpus_free(vcpus, n);
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "query-cpus-fast reply entry %zu was missing 'cpu-index'", i);
        }
        vcpus[i].cpu_index = (int) json_integer_value(index);
        vcpus[i].thread_id = json_is_integer(tid) ? json_integer_value(tid) : -1;
        vcpus[i].qom_path = qom ? xstrdup(qom) : NULL;
    }
    *ret_vcpus = vcpus;
    *ret_n = n;
    return 0;
}

int
qmp_parse_vnc(json_t *ret, int *ret_port, Error *error)
{
    json_t *enabled = json_object_get(ret, "enabled");
    const char *service = json_string_value(json_object_get(ret, "service"));
    const char *family = json_string_value(json_object_get(ret, "family"));
    char *end;
    long port;

    if (!json_is_boolean(enabled))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "query-vnc reply was missing 'enabled'");
    if (!json_is_true(enabled) || !service || (family && STREQ(family, "unix"))) {
        *ret_port = -1;
        return 0;
    }
    errno = 0;
    port = strtol(service, &end, 10);
    if (errno != 0 || end == service || *end || port < 0 || port > 65535)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "query-vnc reply has an invalid port '%s'", service);
    *ret_port = (int) port;
    return 0;
}
