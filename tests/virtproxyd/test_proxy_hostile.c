/* Hostile input to the RPC message layer, decoder side: lengths, headers
 * no client sends, garbage, a peer that stops mid-frame, and length words
 * that claim more than the message holds (which must not make rpcgen's code
 * allocate what they announce). The same cases against the running daemon
 * are in test_proxy_hostile.py. */
#include <errno.h>
#include <malloc.h>

#include "rpc_message.h"
#include "test_util.h"

static size_t
heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* A frame: the header words and @body (@body_len bytes). Returns its length. */
static size_t
make_frame(uint8_t *out, uint32_t prog, uint32_t vers, int32_t proc, int32_t type,
           int32_t status, const uint8_t *body, size_t body_len)
{
    put_be32(out, 28 + body_len);
    put_be32(out + 4, prog);
    put_be32(out + 8, vers);
    put_be32(out + 12, (uint32_t) proc);
    put_be32(out + 16, (uint32_t) type);
    put_be32(out + 20, 1);
    put_be32(out + 24, (uint32_t) status);
    if (body_len)
        memcpy(out + 28, body, body_len);
    return 28 + body_len;
}

static int
check_header(uint32_t prog, uint32_t vers, int32_t proc, int32_t type, int32_t status)
{
    RpcHeader h = { .prog = prog, .vers = vers, .proc = proc, .type = type, .status = status };
    Error error = ERROR_INIT;
    int r = rpc_check_from_client(&h, &error);

    if (r < 0) {
        CHECK_INT_EQ(error.code, VIR_ERR_RPC);
        CHECK(error.message != NULL);
    } else {
        CHECK(!error_is_set(&error));
    }
    error_clear(&error);
    return r;
}

static void
test_headers(void)
{
    /* What clients send. */
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_CALL, 0), 0);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_CALL_WITH_FDS, 0), 0);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 209, REMOTE_MESSAGE_STREAM, 2), 0);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 209, REMOTE_MESSAGE_STREAM_HOLE, 2), 0);
    CHECK_INT_EQ(check_header(KEEPALIVE_PROGRAM, 1, KEEPALIVE_PROC_PING,
                              REMOTE_MESSAGE_MESSAGE, 0), 0);
    CHECK_INT_EQ(check_header(KEEPALIVE_PROGRAM, 1, KEEPALIVE_PROC_PONG,
                              REMOTE_MESSAGE_MESSAGE, 0), 0);
    CHECK_INT_EQ(check_header(RPC_QEMU_PROGRAM, 1, 1, REMOTE_MESSAGE_CALL, 0), 0);
    /* A bad program, version, type, keepalive procedure or status. */
    CHECK_INT_EQ(check_header(0x12345678, 1, 1, REMOTE_MESSAGE_CALL, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 2, 1, REMOTE_MESSAGE_CALL, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 0, 1, REMOTE_MESSAGE_CALL, 0), -EPROTO);
    CHECK_INT_EQ(check_header(KEEPALIVE_PROGRAM, 2, 1, REMOTE_MESSAGE_MESSAGE, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_REPLY, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_MESSAGE, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_REPLY_WITH_FDS, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, 7, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, -1, 0), -EPROTO);
    CHECK_INT_EQ(check_header(KEEPALIVE_PROGRAM, 1, 3, REMOTE_MESSAGE_MESSAGE, 0), -EPROTO);
    CHECK_INT_EQ(check_header(KEEPALIVE_PROGRAM, 1, 1, REMOTE_MESSAGE_CALL, 0), -EPROTO);
    CHECK_INT_EQ(check_header(RPC_QEMU_PROGRAM, 1, 1, REMOTE_MESSAGE_STREAM, 0), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_CALL, 3), -EPROTO);
    CHECK_INT_EQ(check_header(REMOTE_PROGRAM, 1, 1, REMOTE_MESSAGE_CALL, -1), -EPROTO);
}

/* Every length word below 28 and a few above the maximum: refused from the
 * word alone, nothing buffered, nothing allocated. */
static void
test_lengths(void)
{
    static const uint32_t bad[] = { 0, 1, 4, 8, 27, 33554437, 0x7fffffff, 0x80000000,
                                    0xffffffff };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(0);
        Error error = ERROR_INIT;
        RpcMessage *m = NULL;
        uint8_t word[8] = { 0 };
        size_t used = 0, before = heap_in_use();
        int r;

        put_be32(word, bad[i]);
        r = rpc_decoder_feed(d, word, sizeof(word), &used, &m, &error);
        CHECK(r == -EBADMSG || r == -EMSGSIZE);
        CHECK_INT_EQ(used, 4);
        CHECK(m == NULL);
        CHECK_INT_EQ(error.code, VIR_ERR_RPC);
        CHECK(heap_in_use() - before < 1024);
        error_clear(&error);
    }
}

/* Random bytes: the decoder either refuses them or yields messages, never
 * crashes, and a refused stream stays refused for what it already got. */
static void
test_garbage(void)
{
    uint32_t seed = 12345;

    for (int round = 0; round < 2000; round++) {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(4096);
        uint8_t buf[256];
        size_t len = 1 + round % sizeof(buf), off = 0;

        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245 + 12345;
            buf[i] = seed >> 16;
        }
        /* Half the rounds carry a plausible length word. */
        if (round % 2 && len >= 4)
            put_be32(buf, 28 + (seed >> 8) % 64);
        while (off < len) {
            Error error = ERROR_INIT;
            RpcMessage *m = NULL;
            size_t used = 0;
            int r = rpc_decoder_feed(d, buf + off, len - off, &used, &m, &error);

            if (r < 0) {
                CHECK(error_is_set(&error));
                error_clear(&error);
                break;
            }
            CHECK(used > 0 && used <= len - off);
            off += used;
            if (r > 0) {
                Error e2 = ERROR_INIT;
                remote_connect_open_args args = { 0 };

                rpc_check_from_client(&m->header, &e2);
                error_clear(&e2);
                if (rpc_message_decode_body(m, (xdrproc_t) xdr_remote_connect_open_args, &args,
                                            &e2) == 0)
                    xdr_free((xdrproc_t) xdr_remote_connect_open_args, (char *) &args);
                error_clear(&e2);
                rpc_message_free(m);
            }
        }
    }
}

/* A peer announcing a frame and stopping: its buffer follows the bytes sent,
 * the decoder is not idle (EOF now is not clean), and freeing it frees all. */
static void
test_mid_frame(void)
{
    size_t before = heap_in_use();

    for (int i = 0; i < 100; i++) {
        RpcDecoder *d = rpc_decoder_new(0);
        uint8_t frame[4 + 24 + 1000] = { 0 };
        RpcMessage *m = NULL;
        size_t used = 0;

        put_be32(frame, 1 << 24);  /* 16 MiB announced */
        CHECK_INT_EQ(rpc_decoder_feed(d, frame, sizeof(frame), &used, &m, NULL), 0);
        CHECK_INT_EQ(used, sizeof(frame));
        CHECK(!rpc_decoder_is_idle(d));
        CHECK(heap_in_use() - before < 200000);
        rpc_decoder_free(d);
    }
    CHECK(heap_in_use() - before < 4096);
}

/* ---- length words beyond the bytes left ------------------------------------
 * Each probe runs rpcgen's routine, then records the heap: libtirpc's
 * xdr_string/xdr_array leave what they allocated in the struct when the
 * read that follows fails, so without the check the probe sees megabytes. */

static size_t probe_peak;

/* libtirpc allocates with calloc() (its mem_alloc) and, in newer versions,
 * frees a string whose bytes do not follow before returning: the largest
 * calloc() is recorded here to see that too. Not under AddressSanitizer,
 * which owns calloc. */
#if defined(__SANITIZE_ADDRESS__)
# define HAVE_CALLOC_PROBE 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define HAVE_CALLOC_PROBE 0
# endif
#endif
#ifndef HAVE_CALLOC_PROBE
# define HAVE_CALLOC_PROBE 1
#endif

static size_t largest_calloc;

#if HAVE_CALLOC_PROBE
extern void *__libc_calloc(size_t n, size_t size);

void *
calloc(size_t n, size_t size)
{
    if (n && size && n * size > largest_calloc)
        largest_calloc = n * size;
    return __libc_calloc(n, size);
}
#endif

static void
probe(void)
{
    size_t now = heap_in_use();

    if (now > probe_peak)
        probe_peak = now;
}

static bool_t
probe_lookup_by_name(XDR *xdrs, remote_domain_lookup_by_name_args *a)
{
    bool_t ok = xdr_remote_domain_lookup_by_name_args(xdrs, a);

    probe();
    return ok;
}

static bool_t
probe_list_all_domains(XDR *xdrs, remote_connect_list_all_domains_ret *a)
{
    bool_t ok = xdr_remote_connect_list_all_domains_ret(xdrs, a);

    probe();
    return ok;
}

static bool_t
probe_cpu_map(XDR *xdrs, remote_node_get_cpu_map_ret *a)
{
    bool_t ok = xdr_remote_node_get_cpu_map_ret(xdrs, a);

    probe();
    return ok;
}

/* A CALL frame with @body, parsed. */
static RpcMessage *
call_with_body(const uint8_t *body, size_t len)
{
    uint8_t frame[28 + 64];
    RpcMessage *m = NULL;
    size_t n = make_frame(frame, REMOTE_PROGRAM, 1, 23, REMOTE_MESSAGE_CALL, 0, body, len);

    CHECK_INT_EQ(rpc_message_parse(frame, n, 0, &m, NULL), 0);
    return m;
}

/* Decodes @body with @proc into a zeroed @size-byte struct: the result, and
 * the heap growth the probe saw. */
static int
decode_probed(const uint8_t *body, size_t len, xdrproc_t proc, size_t size, size_t *ret_growth)
{
    auto_cleanup(rpc_message_freep) RpcMessage *m = call_with_body(body, len);
    auto_cleanup(free_ptr) void *args = xcalloc(1, size);
    Error error = ERROR_INIT;
    size_t before;
    int r;

    before = heap_in_use();
    probe_peak = before;
    largest_calloc = 0;
    r = rpc_message_decode_body(m, proc, args, &error);
    if (r < 0)
        CHECK_STR_EQ(error.message, "Unable to decode message payload");
    else
        xdr_free(proc, args);
    error_clear(&error);
    *ret_growth = probe_peak - before;
    if (largest_calloc > *ret_growth)
        *ret_growth = largest_calloc;
    CHECK(heap_in_use() - before < 1024);
    return r;
}

static void
test_lengths_vs_bytes_left(void)
{
    size_t growth;

    /* A string of REMOTE_STRING_MAX (4 MiB, within the bound) announced
     * with 4 bytes behind it. */
    {
        uint8_t body[8] = { 0x00, 0x40, 0x00, 0x00, 'a', 'b', 'c', 'd' };

        CHECK_INT_EQ(decode_probed(body, sizeof(body), (xdrproc_t) probe_lookup_by_name,
                                   sizeof(remote_domain_lookup_by_name_args), &growth),
                     -EBADMSG);
        CHECK(growth < 4096);
        /* A string one byte longer than what is there. */
        put_be32(body, 5);
        CHECK_INT_EQ(decode_probed(body, sizeof(body), (xdrproc_t) probe_lookup_by_name,
                                   sizeof(remote_domain_lookup_by_name_args), &growth),
                     -EBADMSG);
    }
    /* A string with a NUL inside is refused, not cut short (what the
     * fuzzer found first). */
    {
        uint8_t body[8] = { 0, 0, 0, 4, 'a', 0, 'b', 'c' };

        CHECK_INT_EQ(decode_probed(body, sizeof(body), (xdrproc_t) probe_lookup_by_name,
                                   sizeof(remote_domain_lookup_by_name_args), &growth),
                     -EBADMSG);
    }
    /* The string that is all there decodes. */
    {
        uint8_t body[8] = { 0, 0, 0, 4, 'a', 'b', 'c', 'd' };
        auto_cleanup(rpc_message_freep) RpcMessage *m = call_with_body(body, sizeof(body));
        remote_domain_lookup_by_name_args args = { 0 };

        CHECK_INT_EQ(rpc_message_decode_body(m,
                                             (xdrproc_t) xdr_remote_domain_lookup_by_name_args,
                                             &args, NULL), 0);
        CHECK_STR_EQ(args.name, "abcd");
        xdr_free((xdrproc_t) xdr_remote_domain_lookup_by_name_args, (char *) &args);
    }
    /* REMOTE_DOMAIN_LIST_MAX (16384) domains announced in 8 bytes. */
    {
        uint8_t body[8] = { 0x00, 0x00, 0x40, 0x00, 0, 0, 0, 0 };

        CHECK_INT_EQ(decode_probed(body, sizeof(body), (xdrproc_t) probe_list_all_domains,
                                   sizeof(remote_connect_list_all_domains_ret), &growth),
                     -EBADMSG);
        CHECK(growth < 4096);
    }
    /* An opaque cpumap of 2048 bytes (its bound) announced, 8 present. */
    {
        uint8_t body[16] = { 0, 0, 0x08, 0x00 };

        CHECK_INT_EQ(decode_probed(body, sizeof(body), (xdrproc_t) probe_cpu_map,
                                   sizeof(remote_node_get_cpu_map_ret), &growth), -EBADMSG);
        CHECK(growth < 1024);
    }
    /* One empty domain list (count 0) and ret 0: fine. */
    {
        uint8_t body[8] = { 0 };

        CHECK_INT_EQ(decode_probed(body, sizeof(body), (xdrproc_t) probe_list_all_domains,
                                   sizeof(remote_connect_list_all_domains_ret), &growth), 0);
    }
    /* Outside a decode (encoding and freeing) nothing is refused: a value
     * with a 1000-byte string encodes and decodes back. */
    {
        auto_cleanup(free_ptr) char *name = xmalloc(1001);
        remote_domain_lookup_by_name_args a = { .name = name }, b = { 0 };
        RpcHeader h = { .prog = REMOTE_PROGRAM, .vers = 1, .proc = 23 };
        auto_cleanup(free_ptr) void *buf = NULL;
        RpcMessage *m = NULL;
        size_t len;

        memset(name, 'x', 1000);
        name[1000] = '\0';
        CHECK_INT_EQ(rpc_encode(&h, (xdrproc_t) xdr_remote_domain_lookup_by_name_args, &a,
                                &buf, &len, NULL), 0);
        CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
        CHECK_INT_EQ(rpc_message_decode_body(m,
                                             (xdrproc_t) xdr_remote_domain_lookup_by_name_args,
                                             &b, NULL), 0);
        CHECK_STR_EQ(b.name, name);
        xdr_free((xdrproc_t) xdr_remote_domain_lookup_by_name_args, (char *) &b);
        rpc_message_free(m);
    }
}

int
main(void)
{
    /* The probe itself works: a 1 MiB calloc is seen. */
    if (HAVE_CALLOC_PROBE) {
        volatile size_t size = 1 << 20;
        void *volatile p = calloc(1, size);

        CHECK(largest_calloc >= 1 << 20);
        free(p);
    }
    test_headers();
    test_lengths();
    test_garbage();
    test_mid_frame();
    test_lengths_vs_bytes_left();
    return test_result();
}
