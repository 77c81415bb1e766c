/* Streams: libvirt stream messages <-> a file descriptor from a daemon
 * (volume upload and download, a domain's console, channel or screenshot).
 *
 * The fd is one end of a socketpair whose other end virtstoraged serves
 * (api/org.virtstack.Storage.xml):
 *   download: 8-byte big-endian length N, N bytes, then "OK\n" or
 *             "ERROR <code> <message>\n", then EOF;
 *   upload:   we write the data, shutdown(SHUT_WR), then read the same
 *             status line and EOF; closing the fd early aborts.
 *   duplex:   raw bytes both ways (a console or channel from virtqemud,
 *             api/org.virtstack.DomainState.xml), no framing; EOF is the
 *             end of the device's data.
 * On the client side (libvirt's remote_daemon_stream.c behaviour): after
 * the opening call's reply, a download sends STREAM CONTINUE packets, an
 * empty CONTINUE for the end of data, and answers the client's finish (OK)
 * with an empty OK; an upload takes CONTINUE packets until the client's OK,
 * then answers OK once the daemon said "OK\n", or a STREAM ERROR carrying
 * the daemon's code and message. A duplex stream does both at once: the
 * fd's EOF is an empty CONTINUE, and the client's OK is answered at once.
 * A client abort (STREAM ERROR) closes the fd and is confirmed with an
 * empty OK. A failure mid-stream is a STREAM ERROR and the stream is
 * forgotten; later packets for it are dropped.
 *
 * Everything runs on the loop: the fd is nonblocking and watched by a
 * uv_poll. Flow control both ways: a download stops reading the fd while
 * more than STREAM_HIGH_WATER bytes wait to be written to the client; an
 * upload writes straight to the fd and queues only what the fd does not
 * take, and stops reading the client's socket while more than
 * STREAM_HIGH_WATER bytes are queued. A uv_check handle notices, once per
 * loop iteration, a client write queue that drained and a client that hung
 * up (its fd is then closed: virtstoraged sees the transfer end early).
 *
 * Pausing the client's socket: proxy_client.c has no pause API of its own
 * beyond the calls-in-flight limit, so the stream stops the uv stream
 * itself and restarts it with the alloc and read callbacks it saw the
 * client's stream use (uv_stream_t's public alloc_cb/read_cb). A call that
 * finishes meanwhile may restart reading; the next packet pauses it again,
 * so what is queued stays bounded by the high water mark plus one read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proxy.h"

#define STREAM_HIGH_WATER (1024u * 1024)
#define STREAM_LOW_WATER (256u * 1024)
#define STATUS_LINE_MAX 1024

typedef enum {
    STREAM_LENGTH,   /* download: reading the 8-byte length */
    STREAM_DATA,     /* data flows */
    STREAM_STATUS,   /* reading the status line and the EOF after it */
    STREAM_FINISHED, /* download, duplex: end of data sent, waiting for the client's OK */
} StreamState;

typedef struct Chunk {
    struct Chunk *next;
    size_t len, off;
    uint8_t data[];
} Chunk;

typedef struct ProxyStream ProxyStream;

struct ProxyStream {
    uv_poll_t poll;
    uv_check_t check;
    unsigned open_handles;  /* freed when both handles are closed */
    ProxyStream *prev, *next;
    Client *client;         /* a reference */
    RpcHeader hdr;          /* the opening call's prog, vers, proc, serial */
    int fd;                 /* closed after the poll handle */
    ProxyStreamDir dir;
    StreamState state;
    int events;             /* what the poll waits for now */
    bool ended;             /* out of the list: nothing more happens */
    /* download */
    uint8_t lenbuf[8];
    size_t lenlen;
    uint64_t left;          /* data bytes still to come from the fd */
    uint8_t *buf;           /* RPC_STREAM_CHUNK bytes */
    bool throttled;         /* fd reading stopped: the client's queue is full */
    /* upload */
    Chunk *head, *tail;
    size_t queued;
    bool finishing;         /* the client sent OK: shut down once all is written */
    bool failed;            /* the daemon stopped taking data: its line says why */
    bool pauses_client;
    /* the daemon's status line */
    char line[STATUS_LINE_MAX];
    size_t linelen;
    bool line_done;
};

static ProxyStream *streams;
static uv_alloc_cb client_alloc_cb;
static uv_read_cb client_read_cb;

/* ---- the client's socket ------------------------------------------------ */

static void
remember_client_callbacks(Client *c)
{
    if (!c->closed && c->h.stream.read_cb) {
        client_alloc_cb = c->h.stream.alloc_cb;
        client_read_cb = c->h.stream.read_cb;
    }
}

static void
client_pause(ProxyStream *s)
{
    Client *c = s->client;

    remember_client_callbacks(c);
    s->pauses_client = true;
    if (c->reading && !c->closed && client_read_cb) {
        uv_read_stop(&c->h.stream);
        c->reading = false;
    }
}

static void
client_resume(ProxyStream *s)
{
    Client *c = s->client;

    if (!s->pauses_client)
        return;
    s->pauses_client = false;
    if (c->closed || c->reading || !client_read_cb ||
        c->in_flight >= c->proxy->cfg.max_client_requests)
        return;  /* call_finish restarts it */
    if (uv_read_start(&c->h.stream, client_alloc_cb, client_read_cb) == 0)
        c->reading = true;
}

static size_t
client_queue(const ProxyStream *s)
{
    return s->client->closed ? 0 : uv_stream_get_write_queue_size(&s->client->h.stream);
}

/* ---- sending ------------------------------------------------------------ */

static void
send_packet(ProxyStream *s, int status, const void *data, size_t len)
{
    void *buf = NULL;
    size_t blen = 0;

    if (rpc_encode_stream(&s->hdr, status, data, len, &buf, &blen) >= 0)
        client_send_frame(s->client, buf, blen);
}

static void
send_error(ProxyStream *s, const Error *error)
{
    RpcHeader h = s->hdr;
    void *buf = NULL;
    size_t len = 0;

    h.type = REMOTE_MESSAGE_STREAM;
    if (rpc_encode_error(&h, error, &buf, &len) >= 0)
        client_send_frame(s->client, buf, len);
}

/* ---- the end ------------------------------------------------------------ */

static void
stream_free(ProxyStream *s)
{
    while (s->head) {
        Chunk *ch = s->head;
        s->head = ch->next;
        free(ch);
    }
    free(s->buf);
    client_unref(s->client);
    free(s);
}

static void
on_handle_closed(uv_handle_t *h)
{
    ProxyStream *s = h->data;

    if (h == (uv_handle_t *) &s->poll && s->fd >= 0) {
        /* Only now: libuv forgets the fd when the poll handle closes. */
        close(s->fd);
        s->fd = -1;
    }
    if (--s->open_handles == 0)
        stream_free(s);
}

/* Forgets the stream: out of the list, the client reads again, the fd is
 * closed (an unfinished transfer is aborted for virtstoraged). */
static void
stream_end(ProxyStream *s)
{
    if (s->ended)
        return;
    s->ended = true;
    if (s->prev)
        s->prev->next = s->next;
    else
        streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    client_resume(s);
    uv_close((uv_handle_t *) &s->poll, on_handle_closed);
    uv_close((uv_handle_t *) &s->check, on_handle_closed);
}

static void
stream_fail(ProxyStream *s, const Error *error)
{
    log_info("client %u: stream of procedure %d (serial %u) failed: %s", s->client->id,
             s->hdr.proc, s->hdr.serial, error->message);
    send_error(s, error);
    stream_end(s);
}

static void
fail_errno(ProxyStream *s, int r, const char *what)
{
    Error error = ERROR_INIT;

    error_set_errno(&error, r, VIR_ERR_SYSTEM_ERROR, "cannot %s the stream", what);
    stream_fail(s, &error);
    error_clear(&error);
}

static void on_poll(uv_poll_t *p, int status, int events);

/* What the poll waits for while data flows: the fd's data unless a
 * duplex stream ended or is throttled, and room for what is queued. */
static int
wanted_events(const ProxyStream *s)
{
    int events = s->head ? UV_WRITABLE : 0;

    if (s->dir != PROXY_STREAM_DUPLEX || (s->state == STREAM_DATA && !s->throttled))
        events |= UV_READABLE;
    return events;
}

static void
set_events(ProxyStream *s, int events)
{
    if (s->ended || events == s->events)
        return;
    s->events = events;
    if (events)
        uv_poll_start(&s->poll, events, on_poll);
    else
        uv_poll_stop(&s->poll);
}

/* ---- the status line ---------------------------------------------------- */

/* Reads what the daemon sends after the data. Returns 1 once the line and
 * the EOF after it are in, 0 when the fd has nothing more for now, or a
 * negative errno with @error. */
static int
read_status(ProxyStream *s, Error *error)
{
    char tmp[256];

    for (;;) {
        ssize_t n = read(s->fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno != ECONNRESET)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "%s",
                                   "cannot read the status of the stream");
        if (n <= 0) {
            if (!s->line_done)
                return error_set(error, -EPIPE, VIR_ERR_RPC, "%s",
                                 "stream had unexpected termination");
            return 1;
        }
        for (ssize_t i = 0; i < n && !s->line_done; i++) {
            if (tmp[i] == '\n')
                s->line_done = true;
            else if (s->linelen < sizeof(s->line) - 1)
                s->line[s->linelen++] = tmp[i];
            else
                return error_set(error, -EPROTO, VIR_ERR_RPC, "%s",
                                 "the status of the stream is too long");
        }
    }
}

/* 0 for "OK", else a negative errno with @error from "ERROR <code> <msg>". */
static int
parse_status(ProxyStream *s, Error *error)
{
    char *end;
    long code;

    s->line[s->linelen] = '\0';
    if (STREQ(s->line, "OK"))
        return 0;
    if (strncmp(s->line, "ERROR ", 6) != 0)
        return error_set(error, -EPROTO, VIR_ERR_RPC,
                         "unexpected status '%s' from the stream", s->line);
    code = strtol(s->line + 6, &end, 10);
    if (end == s->line + 6 || code <= 0 || code > 1000)
        code = VIR_ERR_INTERNAL_ERROR;
    while (*end == ' ')
        end++;
    return error_set(error, -EIO, (int) code, "%s",
                     *end ? end : "the stream failed");
}

/* The status is complete: the end of a download's data or an upload's
 * answer. */
static void
status_done(ProxyStream *s)
{
    Error error = ERROR_INIT;
    int r = parse_status(s, &error);

    if (r >= 0 && s->dir == PROXY_STREAM_UPLOAD && !s->finishing)
        r = error_set(&error, -EPROTO, VIR_ERR_RPC, "%s",
                      "the stream ended before the client finished");
    if (r < 0) {
        stream_fail(s, &error);
    } else if (s->dir == PROXY_STREAM_DOWNLOAD) {
        send_packet(s, REMOTE_MESSAGE_CONTINUE, NULL, 0);   /* end of data */
        s->state = STREAM_FINISHED;
        set_events(s, 0);
    } else {
        send_packet(s, REMOTE_MESSAGE_OK, NULL, 0);          /* finish confirmed */
        stream_end(s);
    }
    error_clear(&error);
}

static void
poll_status(ProxyStream *s)
{
    Error error = ERROR_INIT;
    int r = read_status(s, &error);

    if (r < 0)
        stream_fail(s, &error);
    else if (r > 0)
        status_done(s);
    error_clear(&error);
}

/* ---- download: fd -> client --------------------------------------------- */

static void
download_read(ProxyStream *s)
{
    while (!s->ended) {
        if (s->state == STREAM_LENGTH) {
            ssize_t n = read(s->fd, s->lenbuf + s->lenlen, sizeof(s->lenbuf) - s->lenlen);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (n <= 0) {
                Error error = ERROR_INIT;
                error_set(&error, -EPIPE, VIR_ERR_RPC, "%s", "stream had unexpected termination");
                stream_fail(s, &error);
                error_clear(&error);
                return;
            }
            s->lenlen += n;
            if (s->lenlen == sizeof(s->lenbuf)) {
                s->left = 0;
                for (size_t i = 0; i < sizeof(s->lenbuf); i++)
                    s->left = (s->left << 8) | s->lenbuf[i];
                s->state = s->left ? STREAM_DATA : STREAM_STATUS;
            }
        } else if (s->state == STREAM_DATA) {
            size_t want = s->left < RPC_STREAM_CHUNK ? (size_t) s->left : RPC_STREAM_CHUNK;
            size_t got = 0;
            bool blocked = false;
            ssize_t n = 0;

            if (client_queue(s) > STREAM_HIGH_WATER) {
                s->throttled = true;
                set_events(s, 0);
                return;
            }
            while (got < want) {
                n = read(s->fd, s->buf + got, want - got);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                got += n;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                blocked = true;
            if (got) {
                send_packet(s, REMOTE_MESSAGE_CONTINUE, s->buf, got);
                s->left -= got;
                if (s->left == 0)
                    s->state = STREAM_STATUS;
            }
            if (got < want && !blocked) {
                /* EOF or an error before the announced length. */
                if (n < 0)
                    fail_errno(s, -errno, "read");
                else {
                    Error error = ERROR_INIT;
                    error_set(&error, -EPIPE, VIR_ERR_RPC, "%s",
                              "stream had unexpected termination");
                    stream_fail(s, &error);
                    error_clear(&error);
                }
                return;
            }
            if (blocked)
                return;
        } else if (s->state == STREAM_STATUS) {
            poll_status(s);
            return;
        } else {
            return;
        }
    }
}

/* ---- upload: client -> fd ----------------------------------------------- */

static void
upload_shutdown(ProxyStream *s)
{
    if (shutdown(s->fd, SHUT_WR) < 0) {
        fail_errno(s, -errno, "finish");
        return;
    }
    s->state = STREAM_STATUS;
    set_events(s, UV_READABLE);
}

/* The daemon refused more data: drop what is queued. Its status line
 * says why. */
static void
upload_drop(ProxyStream *s)
{
    s->failed = true;
    while (s->head) {
        Chunk *ch = s->head;
        s->head = ch->next;
        free(ch);
    }
    s->tail = NULL;
    s->queued = 0;
    client_resume(s);
}

static void
upload_refused(ProxyStream *s)
{
    upload_drop(s);
    set_events(s, UV_READABLE);
}

/* A duplex stream's device has no more data (or took no more): the end of
 * data for the client, whose OK or abort ends the stream. */
static void
duplex_eof(ProxyStream *s)
{
    upload_drop(s);
    send_packet(s, REMOTE_MESSAGE_CONTINUE, NULL, 0);
    s->state = STREAM_FINISHED;
    set_events(s, 0);
}

/* Writes @len bytes; returns how many the fd took (0 when full), or a
 * negative errno. */
static ssize_t
write_some(ProxyStream *s, const uint8_t *data, size_t len)
{
    for (;;) {
        ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return -errno;
    }
}

static bool
write_failed(ProxyStream *s, ssize_t r)
{
    if (r >= 0)
        return false;
    if ((r == -EPIPE || r == -ECONNRESET) && s->dir == PROXY_STREAM_DUPLEX)
        duplex_eof(s);
    else if (r == -EPIPE || r == -ECONNRESET)
        upload_refused(s);
    else
        fail_errno(s, (int) r, "write to");
    return true;
}

static void
upload_flush(ProxyStream *s)
{
    while (s->head && !s->ended && !s->failed) {
        Chunk *ch = s->head;
        ssize_t n = write_some(s, ch->data + ch->off, ch->len - ch->off);
        if (write_failed(s, n))
            return;
        if (n == 0)
            break;
        ch->off += n;
        s->queued -= n;
        if (ch->off == ch->len) {
            s->head = ch->next;
            if (!s->head)
                s->tail = NULL;
            free(ch);
        }
    }
    if (s->ended || s->failed)
        return;
    if (s->queued < STREAM_LOW_WATER)
        client_resume(s);
    if (!s->head && s->finishing)
        upload_shutdown(s);
    else
        set_events(s, wanted_events(s));
}

static void
upload_data(ProxyStream *s, const uint8_t *data, size_t len)
{
    ssize_t n = 0;
    Chunk *ch;

    /* Data after the client's OK, or after the daemon refused: dropped. */
    if (s->state != STREAM_DATA || s->finishing || s->failed || len == 0)
        return;
    if (!s->head) {
        n = write_some(s, data, len);
        if (write_failed(s, n))
            return;
        if ((size_t) n == len)
            return;
    }
    ch = xmalloc(sizeof(*ch) + len - n);
    ch->next = NULL;
    ch->len = len - n;
    ch->off = 0;
    memcpy(ch->data, data + n, len - n);
    if (s->tail)
        s->tail->next = ch;
    else
        s->head = ch;
    s->tail = ch;
    s->queued += ch->len;
    set_events(s, wanted_events(s));
    if (s->queued > STREAM_HIGH_WATER)
        client_pause(s);
}

/* ---- duplex: fd -> client, beside upload's client -> fd ------------------ */

static void
duplex_read(ProxyStream *s)
{
    while (!s->ended && s->state == STREAM_DATA) {
        ssize_t n;

        if (client_queue(s) > STREAM_HIGH_WATER) {
            s->throttled = true;
            set_events(s, wanted_events(s));
            return;
        }
        n = read(s->fd, s->buf, RPC_STREAM_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0 && errno != ECONNRESET) {
            fail_errno(s, -errno, "read");
            return;
        }
        if (n <= 0) {
            duplex_eof(s);
            return;
        }
        send_packet(s, REMOTE_MESSAGE_CONTINUE, s->buf, (size_t) n);
    }
}

/* ---- events ------------------------------------------------------------- */

static void
on_poll(uv_poll_t *p, int status, int events)
{
    ProxyStream *s = p->data;

    if (s->ended)
        return;
    if (status < 0) {
        /* POLLERR: the daemon closed its end with our data unread (it
         * refused more), and libuv stopped the handle. What it wrote before
         * closing is still there to read. */
        Error error = ERROR_INIT;
        int r;

        s->events = 0;
        if (s->dir == PROXY_STREAM_DUPLEX) {
            duplex_eof(s);
            return;
        }
        if (s->dir == PROXY_STREAM_UPLOAD)
            upload_drop(s);
        r = s->dir == PROXY_STREAM_UPLOAD || s->state == STREAM_STATUS ?
            read_status(s, &error) : 0;
        if (r > 0) {
            status_done(s);
        } else {
            if (r == 0)
                error_set(&error, -EPIPE, VIR_ERR_RPC, "%s", "stream had unexpected termination");
            stream_fail(s, &error);
        }
        error_clear(&error);
        return;
    }
    if (s->dir == PROXY_STREAM_DOWNLOAD) {
        download_read(s);
        return;
    }
    if ((events & UV_WRITABLE) && !s->failed)
        upload_flush(s);
    if (!s->ended && (events & UV_READABLE) && s->dir == PROXY_STREAM_DUPLEX)
        duplex_read(s);
    else if (!s->ended && (events & UV_READABLE))
        poll_status(s);  /* early: the daemon refused; late: its answer */
}

static void
on_check(uv_check_t *h)
{
    ProxyStream *s = h->data;

    if (s->ended)
        return;
    if (s->client->closed) {
        log_debug("client %u: hung up during the stream of serial %u", s->client->id,
                  s->hdr.serial);
        stream_end(s);
        return;
    }
    if (s->throttled && client_queue(s) < STREAM_LOW_WATER) {
        s->throttled = false;
        set_events(s, wanted_events(s));
    }
}

int
proxy_stream_open(Call *call, int fd, ProxyStreamDir dir, Error *error)
{
    Client *c = call->client;
    Proxy *proxy = c->proxy;
    ProxyStream *s;
    int flags, r;

    if (c->closed) {
        close(fd);
        return error_set(error, -ECONNRESET, VIR_ERR_RPC, "%s",
                         "the client hung up before its stream opened");
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        r = -errno;
        close(fd);
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR, "%s",
                               "cannot make the stream nonblocking");
    }
    s = xcalloc(1, sizeof(*s));
    r = uv_poll_init(proxy->loop, &s->poll, fd);
    if (r < 0) {
        close(fd);
        free(s);
        return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                         "cannot watch the stream: %s", uv_strerror(r));
    }
    s->poll.data = s;
    uv_check_init(proxy->loop, &s->check);
    s->check.data = s;
    uv_check_start(&s->check, on_check);
    s->open_handles = 2;
    s->fd = fd;
    s->client = client_ref(c);
    s->hdr = call->hdr;
    s->hdr.type = REMOTE_MESSAGE_STREAM;
    s->dir = dir;
    remember_client_callbacks(c);
    s->next = streams;
    if (streams)
        streams->prev = s;
    streams = s;
    if (dir != PROXY_STREAM_UPLOAD)
        s->buf = xmalloc(RPC_STREAM_CHUNK);
    if (dir == PROXY_STREAM_DOWNLOAD) {
        s->state = STREAM_LENGTH;
    } else {
        s->state = STREAM_DATA;
    }
    /* An upload watches for an early status line (the daemon refused). */
    set_events(s, UV_READABLE);
    log_debug("client %u: stream for procedure %d serial %u open", c->id, s->hdr.proc,
              s->hdr.serial);
    return 0;
}

int
proxy_stream_from_reply(Call *call, sd_bus_message *reply, ProxyStreamDir dir, Error *error)
{
    int fd, copy, r;

    r = sd_bus_message_read_basic(reply, 'h', &fd);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "%s", "cannot read the stream's descriptor");
    /* The message owns its fd; the stream gets its own. */
    copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "%s",
                               "cannot take the stream's descriptor");
    return proxy_stream_open(call, copy, dir, error);
}

static ProxyStream *
stream_find(Client *c, const RpcHeader *h)
{
    for (ProxyStream *s = streams; s; s = s->next)
        if (s->client == c && s->hdr.proc == h->proc && s->hdr.serial == h->serial &&
            s->hdr.prog == h->prog && s->hdr.vers == h->vers)
            return s;
    return NULL;
}

void
proxy_stream_packet(Client *c, const RpcMessage *msg)
{
    ProxyStream *s;

    remember_client_callbacks(c);
    s = stream_find(c, &msg->header);
    if (!s)
        return;
    if (msg->header.type == REMOTE_MESSAGE_STREAM_HOLE) {
        /* Sparse streams are refused when opened: a hole here is the
         * client's error. libvirtd drops such a client; the stream is
         * enough. */
        Error error = ERROR_INIT;
        error_set(&error, -EPROTO, VIR_ERR_RPC, "%s", "Unexpected stream hole");
        stream_fail(s, &error);
        error_clear(&error);
        return;
    }
    switch (msg->header.status) {
    case REMOTE_MESSAGE_CONTINUE:
        if (s->dir != PROXY_STREAM_DOWNLOAD)
            upload_data(s, msg->body, msg->body_len);
        return;
    case REMOTE_MESSAGE_OK:
        if (s->dir != PROXY_STREAM_UPLOAD) {
            /* A download or duplex stream finished (or left early: the fd
             * closes). */
            send_packet(s, REMOTE_MESSAGE_OK, NULL, 0);
            stream_end(s);
            return;
        }
        /* An upload the daemon refused answers with its error once the
         * status line is in. */
        s->finishing = true;
        if (!s->failed && !s->head && s->state == STREAM_DATA)
            upload_shutdown(s);
        return;
    default:
        /* Abort: closing the fd tells the daemon; confirmed with OK. */
        send_packet(s, REMOTE_MESSAGE_OK, NULL, 0);
        stream_end(s);
        return;
    }
}
