/* A client connection: reading and framing, writing, keepalive, and the end
 * of a call (its reply). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxy.h"
#include "rpc_message.h"

#define READ_CHUNK 65536
/* A client that does not read its replies and events is cut off rather than
 * let the proxy's memory grow without bound. */
#define MAX_WRITE_QUEUE (64u * 1024 * 1024)

static unsigned next_client_id = 1;

typedef struct WriteReq {
    uv_write_t req;
    Client *client;  /* a reference */
    uint8_t *buf;
} WriteReq;

Client *
client_new(Proxy *proxy, bool readonly, bool tcp)
{
    Client *c = xcalloc(1, sizeof(*c));

    c->proxy = proxy;
    c->refs = 1; /* the stream handle's */
    c->readonly = readonly;
    c->ro_socket = readonly;
    c->tcp = tcp;
    c->id = next_client_id++;
    c->next_callback_id = 1;
    return c;
}

Client *
client_ref(Client *c)
{
    c->refs++;
    return c;
}

void
client_unref(Client *c)
{
    if (!c || --c->refs > 0)
        return;
    rpc_decoder_free(c->decoder);
    proxy_events_client_gone(c);
    free(c->rbuf);
    free(c);
}

static void
on_handle_closed(uv_handle_t *h)
{
    client_unref(h->data);
}

static void
on_timer_closed(uv_handle_t *h)
{
    client_unref(h->data);
}

void
client_close(Client *c, const char *why)
{
    Proxy *proxy = c->proxy;

    if (c->closed)
        return;
    c->closed = true;
    if (why)
        log_info("client %u: closing: %s", c->id, why);
    else
        log_debug("client %u: closed", c->id);
    /* Out of the server's list: events stop now. */
    if (c->prev)
        c->prev->next = c->next;
    else
        proxy->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    proxy->n_clients--;
    proxy_events_client_gone(c);
    uv_close(&c->h.handle, on_handle_closed);
    if (c->ka_timer.data) {
        uv_close((uv_handle_t *) &c->ka_timer, on_timer_closed);
    }
}

/* ---- writing ------------------------------------------------------------ */

static void
on_written(uv_write_t *req, int status)
{
    WriteReq *w = (WriteReq *) req;
    Client *c = w->client;

    free(w->buf);
    free(w);
    c->pending_writes--;
    if (status < 0 && !c->closed)
        client_close(c, uv_strerror(status));
    else if (c->close_after_flush && c->pending_writes == 0)
        client_close(c, NULL);
    client_unref(c);
}

int
client_send_frame(Client *c, void *buf, size_t len)
{
    WriteReq *w;
    uv_buf_t b;
    int r;

    if (c->closed) {
        free(buf);
        return 0;
    }
    if (uv_stream_get_write_queue_size(&c->h.stream) > MAX_WRITE_QUEUE) {
        free(buf);
        client_close(c, "the client does not read what it is sent");
        return -ENOBUFS;
    }
    b = uv_buf_init((char *) buf, len);
    /* Most replies fit the socket at once: writing them now saves libuv's
     * queueing and an epoll_ctl per reply (about 10% of a small call's
     * cost). What does not fit is queued behind, in order. */
    if (c->pending_writes == 0) {
        r = uv_try_write(&c->h.stream, &b, 1);
        if (r == (int) len) {
            free(buf);
            if (c->close_after_flush)
                client_close(c, NULL);
            return 0;
        }
        if (r < 0 && r != UV_EAGAIN) {
            free(buf);
            client_close(c, uv_strerror(r));
            return r;
        }
        if (r > 0) {
            b.base += r;
            b.len -= (size_t) r;
        }
    }
    w = xcalloc(1, sizeof(*w));
    w->client = client_ref(c);
    w->buf = buf;
    r = uv_write(&w->req, &c->h.stream, &b, 1, on_written);
    if (r < 0) {
        free(w->buf);
        free(w);
        client_unref(c);
        client_close(c, uv_strerror(r));
        return r;
    }
    c->pending_writes++;
    return 0;
}

/* How long the loop keeps polling after a reply. A client that sends its
 * next call within this time finds us awake: on a virtual machine a
 * sleeping CPU's wakeup costs more than the whole call. The idle handle
 * makes uv_run poll with a zero timeout while it is active. */
#define PROXY_SPIN_NS (40 * 1000)

static void
spin_idle(uv_idle_t *h)
{
    Proxy *proxy = h->data;

    if (uv_hrtime() >= proxy->spin_until)
        uv_idle_stop(h);
}

void
proxy_spin_kick(Proxy *proxy)
{
    if (proxy->stopping)
        return;
    if (!proxy->spin.data) {
        uv_idle_init(proxy->loop, &proxy->spin);
        proxy->spin.data = proxy;
    }
    proxy->spin_until = uv_hrtime() + PROXY_SPIN_NS;
    if (!uv_is_active((uv_handle_t *) &proxy->spin))
        uv_idle_start(&proxy->spin, spin_idle);
}

void
client_close_after_flush(Client *c)
{
    c->close_after_flush = true;
    if (c->pending_writes == 0)
        client_close(c, NULL);
}

void
client_send_event(Client *c, int proc, xdrproc_t xproc, void *msg)
{
    client_send_event_prog(c, REMOTE_PROGRAM, proc, xproc, msg);
}

void
client_send_event_prog(Client *c, uint32_t prog, int proc, xdrproc_t xproc, void *msg)
{
    Error error = ERROR_INIT;
    void *buf = NULL;
    size_t len = 0;

    if (c->closed)
        return;
    if (rpc_encode_event(prog, proc, xproc, msg, &buf, &len, &error) < 0) {
        log_warn("client %u: cannot encode event %d: %s", c->id, proc, error.message);
        error_clear(&error);
        return;
    }
    client_send_frame(c, buf, len);
}

static void
send_keepalive(Client *c, int proc)
{
    void *buf = NULL;
    size_t len = 0;

    if (!c->closed && rpc_encode_keepalive(proc, &buf, &len) >= 0)
        client_send_frame(c, buf, len);
}

/* ---- the end of a call -------------------------------------------------- */

static void
resume_reading(Client *c);

void
call_finish(Call *call, int r, Error *error)
{
    Client *c = call->client;
    void *buf = NULL;
    size_t len = 0;

    if (!c->closed) {
        Error e2 = ERROR_INIT;
        if (r >= 0)
            r = rpc_encode_reply(&call->hdr, call->def->ret_proc, call->ret, &buf, &len, &e2);
        if (r < 0 && error_is_set(&e2)) {
            /* A reply too big for the protocol: the client gets an error
             * instead of a message it would refuse. */
            log_warn("client %u: cannot encode the reply to procedure %d: %s", c->id,
                     call->hdr.proc, e2.message);
            error = &e2;
        }
        if (r < 0)
            r = rpc_encode_error(&call->hdr, error, &buf, &len);
        if (r >= 0)
            client_send_frame(c, buf, len);
        error_clear(&e2);
        /* Awake for the client's next call; not while a call waits on a
         * daemon, whose CPU that polling would take. */
        proxy_spin_kick(c->proxy);
    }
    if (call->args && call->def->args_proc)
        xdr_free(call->def->args_proc, call->args);
    if (call->ret && call->def->ret_proc)
        xdr_free(call->def->ret_proc, call->ret);
    free(call->args);
    free(call->ret);
    free(call);
    c->in_flight--;
    resume_reading(c);
    client_unref(c);
}

/* ---- keepalive ---------------------------------------------------------- */

static void
on_keepalive(uv_timer_t *t)
{
    Client *c = t->data;
    Proxy *proxy = c->proxy;

    if (c->closed)
        return;
    /* keepalive_count pings unanswered: closed (keepalive_count + 1) *
     * keepalive_interval seconds after the client last spoke, as libvirtd. */
    if (c->ka_missed >= proxy->cfg.keepalive_count) {
        client_close(c, "no keepalive answer");
        return;
    }
    c->ka_missed++;
    send_keepalive(c, KEEPALIVE_PROC_PING);
}

void
client_start_keepalive(Client *c)
{
    Proxy *proxy = c->proxy;
    uint64_t ms;

    if (c->keepalive || c->closed || proxy->cfg.keepalive_interval <= 0)
        return;
    c->keepalive = true;
    uv_timer_init(proxy->loop, &c->ka_timer);
    c->ka_timer.data = client_ref(c);
    ms = (uint64_t) proxy->cfg.keepalive_interval * 1000;
    uv_timer_start(&c->ka_timer, on_keepalive, ms, ms);
}

/* ---- reading ------------------------------------------------------------ */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    Client *c = h->data;

    if (!c->rbuf)
        c->rbuf = xmalloc(READ_CHUNK);
    *buf = uv_buf_init((char *) c->rbuf, READ_CHUNK);
}

/* One whole message from the client. A header no client of the protocol
 * sends (another program, version or type) costs the client its
 * connection, as libvirtd drops it: the stream can no longer be trusted. */
static void
handle_message(Client *c, const RpcMessage *msg)
{
    Error error = ERROR_INIT;

    if (rpc_check_from_client(&msg->header, &error) < 0) {
        client_close(c, error.message);
        error_clear(&error);
        return;
    }
    c->ka_missed = 0;
    if (msg->header.prog == KEEPALIVE_PROGRAM) {
        if (msg->header.proc == KEEPALIVE_PROC_PING)
            send_keepalive(c, KEEPALIVE_PROC_PONG);
        return;
    }
    switch (msg->header.type) {
    case REMOTE_MESSAGE_CALL:
    case REMOTE_MESSAGE_CALL_WITH_FDS:
        dispatch_call(c, msg);
        return;
    case REMOTE_MESSAGE_STREAM:
    case REMOTE_MESSAGE_STREAM_HOLE:
        /* proxy_stream.c; a packet for no open stream is dropped there,
         * as libvirtd does. */
        proxy_stream_packet(c, msg);
        return;
    default:
        return;
    }
}

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    Client *c = s->data;
    const uint8_t *p = (const uint8_t *) buf->base;
    size_t left = nread > 0 ? (size_t) nread : 0;

    if (nread < 0) {
        client_close(c, nread == UV_EOF ? NULL : uv_strerror(nread));
        return;
    }
    client_ref(c);
    while (left > 0 && !c->closed) {
        Error error = ERROR_INIT;
        RpcMessage *msg = NULL;
        size_t used = 0;
        int r;

        r = rpc_decoder_feed(c->decoder, p, left, &used, &msg, &error);
        if (r < 0) {
            /* A bad length, program, version or type: this client only. */
            client_close(c, error.message);
            error_clear(&error);
            break;
        }
        p += used;
        left -= used;
        if (r > 0) {
            handle_message(c, msg);
            rpc_message_free(msg);
        }
    }
    client_unref(c);
}

static void
resume_reading(Client *c)
{
    if (c->closed || c->reading || c->in_flight >= c->proxy->cfg.max_client_requests)
        return;
    if (uv_read_start(&c->h.stream, on_alloc, on_read) == 0)
        c->reading = true;
}

void
client_pause_if_busy(Client *c)
{
    if (c->reading && c->in_flight >= c->proxy->cfg.max_client_requests) {
        uv_read_stop(&c->h.stream);
        c->reading = false;
    }
}

void
client_start(Proxy *proxy, Client *c)
{
    c->h.handle.data = c;
    c->next = proxy->clients;
    if (proxy->clients)
        proxy->clients->prev = c;
    proxy->clients = c;
    proxy->n_clients++;
    c->decoder = rpc_decoder_new(0);
    resume_reading(c);
    if (!c->reading)
        client_close(c, "cannot read from the connection");
}
