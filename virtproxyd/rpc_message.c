/* The libvirt RPC message layer: framing, payload codec, reply/error/event/
 * stream/keepalive encoders. See rpc_message.h. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_message.h"

/* Growth step of a message buffer: a peer that announces a large frame gets
 * memory only as fast as it sends bytes. */
#define RPC_BUF_STEP 65536u

struct RpcDecoder {
    size_t max;                         /* header + payload */
    uint8_t prefix[RPC_LEN_WORD + RPC_HEADER_LEN];
    size_t prefix_have;
    uint32_t length;                    /* whole frame, once the length word is in */
    uint8_t *body;
    size_t body_cap;
    size_t body_have;
    size_t body_need;
};

static inline uint32_t
get_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

void
rpc_message_free(RpcMessage *m)
{
    if (!m)
        return;
    free(m->body);
    free(m);
}

RpcDecoder *
rpc_decoder_new(size_t max_message)
{
    RpcDecoder *d = xcalloc(1, sizeof(*d));

    d->max = max_message ? max_message : RPC_MESSAGE_MAX;
    return d;
}

static void
decoder_reset(RpcDecoder *d)
{
    free(d->body);
    d->body = NULL;
    d->body_cap = d->body_have = d->body_need = 0;
    d->prefix_have = 0;
    d->length = 0;
}

void
rpc_decoder_free(RpcDecoder *d)
{
    if (!d)
        return;
    free(d->body);
    free(d);
}

bool
rpc_decoder_is_idle(const RpcDecoder *d)
{
    return d->prefix_have == 0;
}

/* Checks the length word, before anything is allocated for the frame. */
static int
decoder_check_length(RpcDecoder *d, Error *error)
{
    uint32_t len = get_be32(d->prefix);

    if (len < RPC_LEN_WORD + RPC_HEADER_LEN)
        return error_set(error, -EBADMSG, VIR_ERR_RPC,
                         "RPC message length %u is below the minimum of %u bytes",
                         len, RPC_LEN_WORD + RPC_HEADER_LEN);
    if (len - RPC_LEN_WORD > d->max)
        return error_set(error, -EMSGSIZE, VIR_ERR_RPC,
                         "RPC message length %u exceeds the maximum of %zu bytes",
                         len, d->max + RPC_LEN_WORD);
    d->length = len;
    d->body_need = len - RPC_LEN_WORD - RPC_HEADER_LEN;
    return 0;
}

/* Turns the complete frame held by @d into a message and resets @d. */
static int
decoder_finish(RpcDecoder *d, RpcMessage **ret_msg, Error *error)
{
    auto_cleanup(rpc_message_freep) RpcMessage *m = xcalloc(1, sizeof(*m));
    const uint8_t *h = d->prefix + RPC_LEN_WORD;

    m->header.prog = get_be32(h);
    m->header.vers = get_be32(h + 4);
    m->header.proc = (int32_t) get_be32(h + 8);
    m->header.type = (int32_t) get_be32(h + 12);
    m->header.serial = get_be32(h + 16);
    m->header.status = (int32_t) get_be32(h + 20);
    m->body = steal_ptr(d->body);
    m->body_len = d->body_have;
    decoder_reset(d);

    if (m->header.type == REMOTE_MESSAGE_CALL_WITH_FDS ||
        m->header.type == REMOTE_MESSAGE_REPLY_WITH_FDS) {
        if (m->body_len < 4)
            return error_set(error, -EBADMSG, VIR_ERR_RPC,
                             "RPC message of type %d has no file descriptor count",
                             m->header.type);
        m->nfds = get_be32(m->body);
        if (m->nfds > REMOTE_MESSAGE_NUM_FDS_MAX)
            return error_set(error, -EBADMSG, VIR_ERR_RPC,
                             "RPC message carries %u file descriptors, over the limit of %u",
                             m->nfds, REMOTE_MESSAGE_NUM_FDS_MAX);
        m->body_len -= 4;
        memmove(m->body, m->body + 4, m->body_len);
    }
    if (m->body_len == 0) {
        free(m->body);
        m->body = NULL;
    }
    *ret_msg = steal_ptr(m);
    return 1;
}

int
rpc_decoder_feed(RpcDecoder *d, const void *data, size_t len, size_t *ret_consumed,
                 RpcMessage **ret_msg, Error *error)
{
    const uint8_t *p = data;
    size_t used = 0;
    int r;

    *ret_consumed = 0;
    while (used < len) {
        if (d->prefix_have < sizeof(d->prefix)) {
            size_t n = sizeof(d->prefix) - d->prefix_have;
            bool had_length = d->prefix_have >= RPC_LEN_WORD;

            if (!had_length)
                n = RPC_LEN_WORD - d->prefix_have;
            if (n > len - used)
                n = len - used;
            memcpy(d->prefix + d->prefix_have, p + used, n);
            d->prefix_have += n;
            used += n;
            *ret_consumed = used;
            if (!had_length && d->prefix_have == RPC_LEN_WORD) {
                r = decoder_check_length(d, error);
                if (r < 0) {
                    decoder_reset(d);
                    return r;
                }
            }
            if (d->prefix_have == sizeof(d->prefix) && d->body_need == 0)
                return decoder_finish(d, ret_msg, error);
            continue;
        }

        size_t n = d->body_need - d->body_have;
        if (n > len - used)
            n = len - used;
        if (d->body_have + n > d->body_cap) {
            size_t cap = d->body_cap * 2;

            if (cap < RPC_BUF_STEP)
                cap = RPC_BUF_STEP;
            if (cap < d->body_have + n)
                cap = d->body_have + n;
            if (cap > d->body_need)
                cap = d->body_need;
            d->body = xrealloc(d->body, cap);
            d->body_cap = cap;
        }
        memcpy(d->body + d->body_have, p + used, n);
        d->body_have += n;
        used += n;
        *ret_consumed = used;
        if (d->body_have == d->body_need)
            return decoder_finish(d, ret_msg, error);
    }
    return 0;
}

int
rpc_check_from_client(const RpcHeader *h, Error *error)
{
    bool ok;

    if (h->status < REMOTE_MESSAGE_OK || h->status > REMOTE_MESSAGE_CONTINUE)
        return error_set(error, -EPROTO, VIR_ERR_RPC, "RPC message status %d is not valid",
                         h->status);
    switch (h->prog) {
    case REMOTE_PROGRAM:
        if (h->vers != REMOTE_PROTOCOL_VERSION)
            return error_set(error, -EPROTO, VIR_ERR_RPC,
                             "RPC program %#x version %u is not served", h->prog, h->vers);
        ok = h->type == REMOTE_MESSAGE_CALL || h->type == REMOTE_MESSAGE_CALL_WITH_FDS ||
             h->type == REMOTE_MESSAGE_STREAM || h->type == REMOTE_MESSAGE_STREAM_HOLE;
        break;
    case KEEPALIVE_PROGRAM:
        if (h->vers != KEEPALIVE_PROTOCOL_VERSION)
            return error_set(error, -EPROTO, VIR_ERR_RPC,
                             "RPC program %#x version %u is not served", h->prog, h->vers);
        if (h->proc != KEEPALIVE_PROC_PING && h->proc != KEEPALIVE_PROC_PONG)
            return error_set(error, -EPROTO, VIR_ERR_RPC,
                             "keepalive procedure %d is not valid", h->proc);
        ok = h->type == REMOTE_MESSAGE_MESSAGE;
        break;
    case RPC_QEMU_PROGRAM:
    case RPC_LXC_PROGRAM:
        ok = h->type == REMOTE_MESSAGE_CALL;
        break;
    default:
        return error_set(error, -EPROTO, VIR_ERR_RPC, "RPC program %#x is not served",
                         h->prog);
    }
    if (!ok)
        return error_set(error, -EPROTO, VIR_ERR_RPC,
                         "RPC message type %d is not valid from a client for program %#x",
                         h->type, h->prog);
    return 0;
}

int
rpc_message_parse(const void *frame, size_t len, size_t max_message, RpcMessage **ret_msg,
                  Error *error)
{
    auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(max_message);
    RpcMessage *m = NULL;
    size_t used;
    int r;

    r = rpc_decoder_feed(d, frame, len, &used, &m, error);
    if (r < 0)
        return r;
    if (r == 0)
        return error_set(error, -EBADMSG, VIR_ERR_RPC,
                         "RPC message is truncated: %zu bytes of a longer frame", len);
    if (used != len) {
        rpc_message_free(m);
        return error_set(error, -EBADMSG, VIR_ERR_RPC,
                         "RPC message is followed by %zu unexpected bytes", len - used);
    }
    *ret_msg = m;
    return 0;
}

/* ---- Lengths checked against the bytes left ----------------------------
 *
 * rpcgen's routines call libtirpc's xdr_string(), xdr_bytes() and
 * xdr_array(), which allocate what a length word announces (up to the bound
 * in the .x: 4 MiB for a string, 16384 domains for a list) before they read
 * a single byte of it. A 36-byte frame could make the daemon allocate
 * megabytes. These three functions stand in for libtirpc's (the executable's
 * definition wins over the library's): while rpc_message_decode_body() runs,
 * they peek at the length word and refuse one that claims more than the
 * message still holds (a string or opaque needs its bytes, an array element
 * at least one 4-byte XDR unit), so memory follows the bytes received; a
 * string with a NUL inside is refused too. Any
 * other stream (encoding, freeing, another decoder) goes straight to
 * libtirpc's own function. */

typedef bool_t (*XdrStringFn)(XDR *, char **, u_int);
typedef bool_t (*XdrBytesFn)(XDR *, char **, u_int *, u_int);
typedef bool_t (*XdrArrayFn)(XDR *, char **, u_int *, u_int, u_int, xdrproc_t);

static __thread XDR *bounded_xdrs;
static __thread const uint8_t *bounded_base;
static __thread size_t bounded_len;

static void *
libtirpc_symbol(const char *name)
{
    void *fn = dlsym(RTLD_NEXT, name);

    if (!fn)
        abort();  /* libtirpc is linked: cannot happen */
    return fn;
}

/* The length word at the stream's position and how many bytes follow it;
 * false when @xdrs is not the decode in progress (no check applies). */
static bool
bounded_peek(XDR *xdrs, uint32_t *ret_len, size_t *ret_left)
{
    size_t pos;

    if (xdrs != bounded_xdrs || xdrs->x_op != XDR_DECODE)
        return false;
    pos = xdr_getpos(xdrs);
    if (pos > bounded_len || bounded_len - pos < 4) {
        /* No length word at all: libtirpc fails on it without allocating. */
        *ret_len = 0;
        *ret_left = 0;
        return true;
    }
    *ret_len = get_be32(bounded_base + pos);
    *ret_left = bounded_len - pos - 4;
    return true;
}

bool_t
xdr_string(XDR *xdrs, char **cpp, u_int maxsize)
{
    static XdrStringFn real;
    uint32_t len;
    size_t left;

    if (!real)
        real = (XdrStringFn) libtirpc_symbol("xdr_string");
    if (bounded_peek(xdrs, &len, &left)) {
        if (len > maxsize || len > left)
            return FALSE;
        /* A NUL inside would silently cut the string short ("a\0b" read
         * as "a"): no client sends one (found by fuzz_rpc_decoder). */
        if (memchr(bounded_base + xdr_getpos(xdrs) + 4, '\0', len))
            return FALSE;
    }
    return real(xdrs, cpp, maxsize);
}

bool_t
xdr_bytes(XDR *xdrs, char **cpp, u_int *sizep, u_int maxsize)
{
    static XdrBytesFn real;
    uint32_t len;
    size_t left;

    if (!real)
        real = (XdrBytesFn) libtirpc_symbol("xdr_bytes");
    if (bounded_peek(xdrs, &len, &left) && (len > maxsize || len > left))
        return FALSE;
    return real(xdrs, cpp, sizep, maxsize);
}

bool_t
xdr_array(XDR *xdrs, char **addrp, u_int *sizep, u_int maxsize, u_int elsize,
          xdrproc_t elproc)
{
    static XdrArrayFn real;
    uint32_t count;
    size_t left;

    if (!real)
        real = (XdrArrayFn) libtirpc_symbol("xdr_array");
    if (bounded_peek(xdrs, &count, &left) && (count > maxsize || count > left / 4))
        return FALSE;
    return real(xdrs, addrp, sizep, maxsize, elsize, elproc);
}

int
rpc_message_decode_body(const RpcMessage *m, xdrproc_t proc, void *ret_args, Error *error)
{
    static uint8_t empty[4];
    uint8_t *base = m->body ? m->body : empty;
    XDR *outer_xdrs = bounded_xdrs;
    const uint8_t *outer_base = bounded_base;
    size_t outer_len = bounded_len;
    XDR xdrs;
    bool ok;

    xdrmem_create(&xdrs, (char *) base, m->body_len, XDR_DECODE);
    bounded_xdrs = &xdrs;
    bounded_base = base;
    bounded_len = m->body_len;
    ok = proc(&xdrs, ret_args, 0) && xdr_getpos(&xdrs) == m->body_len;
    bounded_xdrs = outer_xdrs;
    bounded_base = outer_base;
    bounded_len = outer_len;
    xdr_destroy(&xdrs);
    if (!ok) {
        xdr_free(proc, ret_args);
        return error_set(error, -EBADMSG, VIR_ERR_RPC, "Unable to decode message payload");
    }
    return 0;
}

static void
put_header(uint8_t *p, uint32_t length, const RpcHeader *h)
{
    put_be32(p, length);
    put_be32(p + 4, h->prog);
    put_be32(p + 8, h->vers);
    put_be32(p + 12, (uint32_t) h->proc);
    put_be32(p + 16, (uint32_t) h->type);
    put_be32(p + 20, h->serial);
    put_be32(p + 24, (uint32_t) h->status);
}

int
rpc_encode(const RpcHeader *hdr, xdrproc_t proc, const void *body, void **ret_buf,
           size_t *ret_len, Error *error)
{
    const size_t head = RPC_LEN_WORD + RPC_HEADER_LEN;
    auto_cleanup(free_ptr) uint8_t *buf = NULL;
    unsigned long size = 0;
    XDR xdrs;
    bool ok;

    if (proc) {
        size = xdr_sizeof(proc, (void *) body);
        if (size > RPC_PAYLOAD_MAX)
            return error_set(error, -EMSGSIZE, VIR_ERR_RPC,
                             "RPC payload of %lu bytes for procedure %d exceeds the maximum "
                             "of %zu bytes", size, hdr->proc, RPC_PAYLOAD_MAX);
    }
    buf = xmalloc(head + size);
    put_header(buf, head + size, hdr);
    if (proc) {
        xdrmem_create(&xdrs, (char *) buf + head, size, XDR_ENCODE);
        ok = proc(&xdrs, (void *) body, 0) && xdr_getpos(&xdrs) == size;
        xdr_destroy(&xdrs);
        if (!ok)
            return error_set(error, -EINVAL, VIR_ERR_RPC,
                             "Unable to encode the payload of procedure %d", hdr->proc);
    }
    *ret_len = head + size;
    *ret_buf = steal_ptr(buf);
    return 0;
}

int
rpc_encode_reply(const RpcHeader *call, xdrproc_t proc, const void *ret, void **ret_buf,
                 size_t *ret_len, Error *error)
{
    RpcHeader h = *call;

    h.type = REMOTE_MESSAGE_REPLY;
    h.status = REMOTE_MESSAGE_OK;
    return rpc_encode(&h, proc, ret, ret_buf, ret_len, error);
}

/* Procedure families, from libvirt 9.0's procedure names. */
static const uint16_t network_procs[] = {
    36, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 52, 152, 153, 283, 291, 313,
    314, 315, 341, 404, 405, 406, 407, 408, 409, 410, 432, 437,
};
static const uint16_t storage_procs[] = {
    71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92,
    93, 94, 95, 96, 97, 98, 99, 100, 125, 154, 155, 165, 208, 209, 259, 260, 281, 282, 368,
    369, 370, 373, 378, 391, 403,
};
static const uint16_t nodedev_procs[] = {
    111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 123, 124, 285, 297, 301, 374, 375, 376,
    377, 428, 429, 430, 433, 434, 435, 436,
};
/* Connection, node, interface, secret and nwfilter procedures (those whose
 * libvirt name holds neither "domain" nor one of the families above); any
 * other procedure is a domain call. */
static const uint16_t connect_procs[] = {
    1, 2, 3, 4, 5, 6, 7, 59, 60, 66, 67, 68, 69, 70, 101, 102, 110, 122, 126, 127, 128, 129,
    130, 131, 132, 133, 134, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 149,
    156, 157, 158, 162, 175, 176, 177, 178, 179, 180, 181, 203, 220, 221, 222, 227, 228,
    250, 284, 286, 287, 288, 289, 293, 312, 340, 347, 360, 361, 362, 380, 381, 382, 383,
    393, 394, 395, 397, 398, 399, 400, 401, 419, 431,
};

static bool
in_list(const uint16_t *list, size_t n, int proc)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == proc)
            return true;
    return false;
}

int
rpc_error_domain(uint32_t prog, int proc, int code)
{
    bool api = code == VIR_ERR_OPERATION_DENIED || code == VIR_ERR_NO_SUPPORT;

    if (prog != REMOTE_PROGRAM || code == VIR_ERR_RPC)
        return VIR_FROM_RPC;
    if (in_list(network_procs, ARRAY_SIZE(network_procs), proc))
        return VIR_FROM_NETWORK;
    if (in_list(storage_procs, ARRAY_SIZE(storage_procs), proc))
        return VIR_FROM_STORAGE;
    if (in_list(nodedev_procs, ARRAY_SIZE(nodedev_procs), proc))
        return VIR_FROM_NODEDEV;
    if (in_list(connect_procs, ARRAY_SIZE(connect_procs), proc))
        return api ? VIR_FROM_NONE : VIR_FROM_QEMU;
    return api ? VIR_FROM_DOMAIN : VIR_FROM_QEMU;
}

int
rpc_encode_error_domain(const RpcHeader *call, const Error *err, int domain, void **ret_buf,
                        size_t *ret_len)
{
    auto_cleanup(free_ptr) char *message = NULL;
    auto_cleanup(free_ptr) char *str1 = NULL;
    auto_cleanup(free_ptr) char *str2 = NULL;
    RpcHeader h = *call;
    remote_error e = { 0 };
    const char *colon;
    int r;

    if (err && err->code != VIR_ERR_OK && err->message) {
        e.code = err->code;
        message = xstrndup(err->message, REMOTE_STRING_MAX);
        e.domain = domain >= 0 ? domain : rpc_error_domain(call->prog, call->proc, e.code);
    } else {
        e.code = VIR_ERR_INTERNAL_ERROR;
        message = xstrdup("Library function returned error but did not set virError");
        e.domain = VIR_FROM_RPC;
    }
    /* libvirt's str1 is the format of the message, str2 its detail:
     * "Domain not found: %s" and "no domain with matching name 'x'". */
    colon = strstr(message, ": ");
    if (colon && strlen(message) < REMOTE_STRING_MAX - 2) {
        str1 = xasprintf("%.*s: %%s", (int) (colon - message), message);
        str2 = xstrdup(colon + 2);
    } else {
        str1 = xstrdup(message);
    }
    e.message = &message;
    e.level = REMOTE_ERR_ERROR;
    e.str1 = &str1;
    e.str2 = str2 ? &str2 : NULL;
    e.int1 = -1;
    e.int2 = -1;

    h.type = call->type == REMOTE_MESSAGE_STREAM ? REMOTE_MESSAGE_STREAM : REMOTE_MESSAGE_REPLY;
    h.status = REMOTE_MESSAGE_ERROR;
    r = rpc_encode(&h, (xdrproc_t) xdr_remote_error, &e, ret_buf, ret_len, NULL);
    if (r < 0)
        abort();  /* every field is bounded: cannot happen */
    return 0;
}

int
rpc_encode_error(const RpcHeader *call, const Error *err, void **ret_buf, size_t *ret_len)
{
    return rpc_encode_error_domain(call, err, -1, ret_buf, ret_len);
}

int
rpc_encode_event(uint32_t prog, int proc, xdrproc_t proc_fn, const void *msg, void **ret_buf,
                 size_t *ret_len, Error *error)
{
    RpcHeader h = {
        .prog = prog,
        .vers = REMOTE_PROTOCOL_VERSION,
        .proc = proc,
        .type = REMOTE_MESSAGE_MESSAGE,
        .serial = 0,
        .status = REMOTE_MESSAGE_OK,
    };

    return rpc_encode(&h, proc_fn, msg, ret_buf, ret_len, error);
}

int
rpc_encode_stream(const RpcHeader *call, int status, const void *data, size_t len,
                  void **ret_buf, size_t *ret_len)
{
    const size_t head = RPC_LEN_WORD + RPC_HEADER_LEN;
    RpcHeader h = *call;
    uint8_t *buf;

    if (len > RPC_PAYLOAD_MAX)
        return -EMSGSIZE;
    if (status != REMOTE_MESSAGE_CONTINUE)
        len = 0;
    h.type = REMOTE_MESSAGE_STREAM;
    h.status = status;
    buf = xmalloc(head + len);
    put_header(buf, head + len, &h);
    if (len)
        memcpy(buf + head, data, len);
    *ret_buf = buf;
    *ret_len = head + len;
    return 0;
}

int
rpc_encode_stream_hole(const RpcHeader *call, int64_t length, void **ret_buf, size_t *ret_len)
{
    RpcHeader h = *call;
    remote_stream_hole hole = { .length = length, .flags = 0 };

    h.type = REMOTE_MESSAGE_STREAM_HOLE;
    h.status = REMOTE_MESSAGE_CONTINUE;
    return rpc_encode(&h, (xdrproc_t) xdr_remote_stream_hole, &hole, ret_buf, ret_len, NULL);
}

int
rpc_decode_stream_hole(const RpcMessage *m, int64_t *ret_length, Error *error)
{
    remote_stream_hole hole = { 0 };
    int r;

    r = rpc_message_decode_body(m, (xdrproc_t) xdr_remote_stream_hole, &hole, error);
    if (r < 0)
        return r;
    if (hole.length < 0)
        return error_set(error, -EBADMSG, VIR_ERR_RPC,
                         "stream hole length %lld is negative", (long long) hole.length);
    *ret_length = hole.length;
    return 0;
}

int
rpc_encode_keepalive(int proc, void **ret_buf, size_t *ret_len)
{
    RpcHeader h = {
        .prog = KEEPALIVE_PROGRAM,
        .vers = KEEPALIVE_PROTOCOL_VERSION,
        .proc = proc,
        .type = REMOTE_MESSAGE_MESSAGE,
        .serial = 0,
        .status = REMOTE_MESSAGE_OK,
    };

    return rpc_encode(&h, NULL, NULL, ret_buf, ret_len, NULL);
}
