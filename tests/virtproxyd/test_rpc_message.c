/* The RPC message layer: framing, limits, codec round trips, and the wire
 * bytes of remote-protocol.md's examples. */
#include <errno.h>
#include <malloc.h>

#include "rpc_message.h"
#include "test_util.h"

static const RpcHeader call_hdr = {
    .prog = REMOTE_PROGRAM, .vers = REMOTE_PROTOCOL_VERSION, .proc = REMOTE_PROC_CONNECT_OPEN,
    .type = REMOTE_MESSAGE_CALL, .serial = 7, .status = REMOTE_MESSAGE_OK,
};

static size_t
hex_to_bytes(const char *hex, uint8_t *out)
{
    size_t n = 0;

    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        sscanf(hex, "%2hhx", &out[n++]);
        hex += 2;
    }
    return n;
}

static void
check_bytes(const char *what, const void *got, size_t got_len, const char *hex)
{
    uint8_t want[512];
    size_t n = hex_to_bytes(hex, want);

    if (got_len != n || memcmp(got, want, n) != 0) {
        TEST_FAIL("%s: %zu bytes differ from the expected %zu", what, got_len, n);
        for (size_t i = 0; i < got_len; i++)
            fprintf(stderr, "%02x%s", ((const uint8_t *) got)[i], i % 4 == 3 ? " " : "");
        fputc('\n', stderr);
    }
}

/* Encodes @body with @proc alone (no header) and compares with @hex. */
static void
check_payload(const char *what, xdrproc_t proc, const void *body, const char *hex)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    size_t len = 0;
    int r;

    r = rpc_encode(&call_hdr, proc, body, &buf, &len, NULL);
    CHECK_INT_EQ(r, 0);
    if (r == 0)
        check_bytes(what, (uint8_t *) buf + 28, len - 28, hex);
}

static void
test_doc_examples(void)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    size_t len;

    CHECK_INT_EQ(rpc_encode_keepalive(KEEPALIVE_PROC_PONG, &buf, &len), 0);
    check_bytes("PONG", buf, len, "0000001c 6b656570 00000001 00000002 00000002 00000000 00000000");
    free(steal_ptr(buf));
    CHECK_INT_EQ(rpc_encode_keepalive(KEEPALIVE_PROC_PING, &buf, &len), 0);
    check_bytes("PING", buf, len, "0000001c 6b656570 00000001 00000001 00000002 00000000 00000000");

    /* The error example of section 1.5. */
    char *no = (char *) "no";
    remote_error e = { .code = 42, .domain = 10, .message = &no, .level = 2 };
    check_payload("remote_error", (xdrproc_t) xdr_remote_error, &e,
                  "0000002a 0000000a 00000001 00000002 6e6f0000 00000002 00000000 00000000 "
                  "00000000 00000000 00000000 00000000 00000000");

    char *uri = (char *) "qemu:///system";
    remote_connect_open_args open = { .name = &uri, .flags = 0 };
    check_payload("connect_open", (xdrproc_t) xdr_remote_connect_open_args, &open,
                  "00000001 0000000e 71656d75 3a2f2f2f 73797374 656d0000 00000000");
    remote_connect_open_args open_ro = { .name = NULL, .flags = 1 };
    check_payload("connect_open RO", (xdrproc_t) xdr_remote_connect_open_args, &open_ro,
                  "00000000 00000001");

    remote_nonnull_domain d = { .name = (char *) "vm1", .id = -1 };
    for (int i = 0; i < 16; i++)
        d.uuid[i] = i;
    check_payload("nonnull_domain", (xdrproc_t) xdr_remote_nonnull_domain, &d,
                  "00000003 766d3100 00010203 04050607 08090a0b 0c0d0e0f ffffffff");

    /* Chars and shorts are whole words; a fixed char[32] is 32 words. */
    remote_domain_get_info_ret info = { .state = 1, .maxMem = 2, .memory = 3, .nrVirtCpu = 4,
                                        .cpuTime = 5 };
    check_payload("domain_get_info_ret", (xdrproc_t) xdr_remote_domain_get_info_ret, &info,
                  "00000001 00000000 00000002 00000000 00000003 00000004 00000000 00000005");
    remote_node_get_info_ret ni = { .model = "x86_64", .memory = 1 };
    auto_cleanup(free_ptr) void *nbuf = NULL;
    CHECK_INT_EQ(rpc_encode(&call_hdr, (xdrproc_t) xdr_remote_node_get_info_ret, &ni, &nbuf,
                            &len, NULL), 0);
    CHECK_INT_EQ(len, 28 + 32 * 4 + 8 + 6 * 4);
    check_bytes("node model", (uint8_t *) nbuf + 28, 12, "00000078 00000038 00000036");
}

static void
frame(uint8_t *out, size_t *len, const RpcHeader *h, const void *body, size_t body_len)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    size_t n;

    CHECK_INT_EQ(rpc_encode_stream(h, REMOTE_MESSAGE_CONTINUE, body, body_len, &buf, &n), 0);
    memcpy(out, buf, n);
    *len = n;
}

static void
test_framing(void)
{
    static uint8_t big[200000];
    uint8_t *stream = xmalloc(300000);
    size_t lens[3], total = 0;
    RpcHeader h = call_hdr;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = i * 7;
    h.serial = 1;
    frame(stream, &lens[0], &h, "abcd", 4);
    h.serial = 2;
    frame(stream + lens[0], &lens[1], &h, NULL, 0);
    h.serial = 3;
    frame(stream + lens[0] + lens[1], &lens[2], &h, big, sizeof(big));
    total = lens[0] + lens[1] + lens[2];

    /* Chunk sizes: byte by byte, a few odd sizes, everything at once. */
    static const size_t chunks[] = { 1, 3, 5, 27, 29, 4096, 300000 };
    for (size_t c = 0; c < ARRAY_SIZE(chunks); c++) {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(0);
        size_t off = 0;
        int got = 0;

        while (off < total) {
            size_t n = total - off < chunks[c] ? total - off : chunks[c];
            size_t fed = 0;

            while (fed < n) {
                RpcMessage *m = NULL;
                size_t used;
                int r = rpc_decoder_feed(d, stream + off + fed, n - fed, &used, &m, NULL);

                CHECK(r >= 0);
                if (r < 0)
                    return;
                CHECK(r == 1 || used == n - fed);
                fed += used;
                if (r == 1) {
                    got++;
                    CHECK_INT_EQ(m->header.serial, got);
                    CHECK_INT_EQ(m->header.type, REMOTE_MESSAGE_STREAM);
                    CHECK_INT_EQ(m->header.status, REMOTE_MESSAGE_CONTINUE);
                    CHECK_INT_EQ(m->header.prog, REMOTE_PROGRAM);
                    CHECK_INT_EQ(m->header.proc, REMOTE_PROC_CONNECT_OPEN);
                    if (got == 1)
                        CHECK(m->body_len == 4 && memcmp(m->body, "abcd", 4) == 0);
                    if (got == 2)
                        CHECK(m->body_len == 0 && m->body == NULL);
                    if (got == 3)
                        CHECK(m->body_len == sizeof(big) && memcmp(m->body, big, sizeof(big)) == 0);
                    rpc_message_free(m);
                }
            }
            off += n;
        }
        CHECK_INT_EQ(got, 3);
        CHECK(rpc_decoder_is_idle(d));
    }
    free(stream);
}

static size_t
heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static void
test_limits(void)
{
    Error error = ERROR_INIT;
    RpcMessage *m = NULL;
    size_t used, before;
    int r;

    /* A length of 4 GiB: refused from the length word, nothing allocated. */
    {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(0);
        uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0, 0 };

        before = heap_in_use();
        r = rpc_decoder_feed(d, huge, sizeof(huge), &used, &m, &error);
        CHECK_INT_EQ(r, -EMSGSIZE);
        CHECK(heap_in_use() - before < 4096);
        CHECK_INT_EQ(error.code, VIR_ERR_RPC);
        CHECK_STR_EQ(error.message,
                     "RPC message length 4294967295 exceeds the maximum of 33554436 bytes");
        CHECK_INT_EQ(used, 4);
        error_clear(&error);
    }
    /* One byte over the limit, and the limit itself. */
    {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(1000);
        uint8_t over[4] = { 0, 0, 0x03, 0xed };  /* 1005 = 4 + 1001 */
        uint8_t at[28] = { 0, 0, 0x03, 0xec };   /* 1004 = 4 + 1000 */

        CHECK_INT_EQ(rpc_decoder_feed(d, over, 4, &used, &m, &error), -EMSGSIZE);
        error_clear(&error);
        CHECK_INT_EQ(rpc_decoder_feed(d, at, sizeof(at), &used, &m, &error), 0);
        CHECK(!rpc_decoder_is_idle(d));
    }
    /* The maximum announced but 28 bytes sent: memory follows the bytes. */
    {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(0);
        uint8_t max[40] = { 0x02, 0x00, 0x00, 0x04 };  /* 32 MiB + 4 */

        before = heap_in_use();
        CHECK_INT_EQ(rpc_decoder_feed(d, max, sizeof(max), &used, &m, &error), 0);
        CHECK_INT_EQ(used, sizeof(max));
        CHECK(heap_in_use() - before < 200000);
    }
    /* Under the minimum of 28. */
    {
        auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(0);
        uint8_t small[4] = { 0, 0, 0, 27 };

        CHECK_INT_EQ(rpc_decoder_feed(d, small, 4, &used, &m, &error), -EBADMSG);
        CHECK_STR_EQ(error.message, "RPC message length 27 is below the minimum of 28 bytes");
        error_clear(&error);
    }
    /* Too many file descriptors announced. */
    {
        uint8_t f[32] = { 0, 0, 0, 32, 0x20, 0x00, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 1,
                          0, 0, 0, REMOTE_MESSAGE_CALL_WITH_FDS, 0, 0, 0, 0, 0, 0, 0, 0,
                          0, 0, 0, 33 };

        CHECK_INT_EQ(rpc_message_parse(f, sizeof(f), 0, &m, &error), -EBADMSG);
        error_clear(&error);
        f[31] = 2;
        CHECK_INT_EQ(rpc_message_parse(f, sizeof(f), 0, &m, &error), 0);
        CHECK_INT_EQ(m->nfds, 2);
        CHECK_INT_EQ(m->body_len, 0);
        rpc_message_free(m);
    }
}

/* A REPLY frame with @body_hex as payload, parsed into a message. */
static RpcMessage *
message_with_body(const char *body_hex)
{
    uint8_t body[512];
    size_t n = hex_to_bytes(body_hex, body);
    auto_cleanup(free_ptr) void *buf = NULL;
    size_t len;
    RpcMessage *m = NULL;

    CHECK_INT_EQ(rpc_encode_stream(&call_hdr, REMOTE_MESSAGE_CONTINUE, body, n, &buf, &len), 0);
    CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
    return m;
}

static void
test_bounds(void)
{
    Error error = ERROR_INIT;

    /* 16385 domains announced, over REMOTE_DOMAIN_LIST_MAX. */
    {
        auto_cleanup(rpc_message_freep) RpcMessage *m = message_with_body("00004001 00000000");
        remote_connect_list_all_domains_ret ret = { 0 };
        size_t before = heap_in_use();

        CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_connect_list_all_domains_ret,
                                             &ret, &error), -EBADMSG);
        CHECK_STR_EQ(error.message, "Unable to decode message payload");
        CHECK(heap_in_use() - before < 4096);
        CHECK(ret.domains.domains_val == NULL);
        error_clear(&error);
    }
    /* 21 auth types, over REMOTE_AUTH_TYPE_LIST_MAX; 20 is fine. */
    {
        char hex[256] = "00000015";
        for (int i = 0; i < 21; i++)
            strcat(hex, " 00000000");
        auto_cleanup(rpc_message_freep) RpcMessage *m = message_with_body(hex);
        remote_auth_list_ret ret = { 0 };

        CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_auth_list_ret, &ret,
                                             &error), -EBADMSG);
        error_clear(&error);
        hex[7] = '4';
        hex[strlen(hex) - 9] = '\0';
        auto_cleanup(rpc_message_freep) RpcMessage *m2 = message_with_body(hex);
        CHECK_INT_EQ(rpc_message_decode_body(m2, (xdrproc_t) xdr_remote_auth_list_ret, &ret,
                                             &error), 0);
        CHECK_INT_EQ(ret.types.types_len, 20);
        xdr_free((xdrproc_t) xdr_remote_auth_list_ret, &ret);
    }
    /* A string longer than REMOTE_STRING_MAX (4 MiB + 1 announced). */
    {
        auto_cleanup(rpc_message_freep) RpcMessage *m = message_with_body("00400001 61616161");
        remote_domain_lookup_by_name_args args = { 0 };
        size_t before = heap_in_use();

        CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_domain_lookup_by_name_args,
                                             &args, &error), -EBADMSG);
        CHECK(heap_in_use() - before < 4096);
        error_clear(&error);
    }
    /* Opaque over its bound (cpumap<2048>). */
    {
        auto_cleanup(rpc_message_freep) RpcMessage *m =
            message_with_body("00000801 00000000 00000000");
        remote_node_get_cpu_map_ret ret = { 0 };

        CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_node_get_cpu_map_ret,
                                             &ret, &error), -EBADMSG);
        error_clear(&error);
    }
    /* Bytes left over after the payload. */
    {
        auto_cleanup(rpc_message_freep) RpcMessage *m = message_with_body("00000001 00000002");
        remote_connect_supports_feature_args args = { 0 };

        CHECK_INT_EQ(rpc_message_decode_body(m,
                     (xdrproc_t) xdr_remote_connect_supports_feature_args, &args, &error),
                     -EBADMSG);
        error_clear(&error);
    }
    /* A truncated payload: half a string, then nothing leaks (valgrind/asan). */
    {
        auto_cleanup(rpc_message_freep) RpcMessage *m = message_with_body("00000002 00000008 6161");
        remote_connect_list_defined_domains_ret ret = { 0 };

        CHECK_INT_EQ(rpc_message_decode_body(m,
                     (xdrproc_t) xdr_remote_connect_list_defined_domains_ret, &ret, &error),
                     -EBADMSG);
        CHECK(ret.names.names_val == NULL);
        error_clear(&error);
    }
    /* The encoder refuses an array over its bound too. */
    {
        remote_auth_type types[21] = { 0 };
        remote_auth_list_ret ret = { .types = { 21, types } };
        void *buf = NULL;
        size_t len;

        CHECK(rpc_encode_reply(&call_hdr, (xdrproc_t) xdr_remote_auth_list_ret, &ret, &buf,
                               &len, &error) < 0);
        CHECK(buf == NULL);
        error_clear(&error);
    }
}

/* Encodes @in as a reply, parses the frame and decodes it into @out. */
static void
round_trip(xdrproc_t proc, const void *in, void *out)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    auto_cleanup(rpc_message_freep) RpcMessage *m = NULL;
    size_t len;

    CHECK_INT_EQ(rpc_encode_reply(&call_hdr, proc, in, &buf, &len, NULL), 0);
    CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
    if (!m)
        return;
    CHECK_INT_EQ(m->header.type, REMOTE_MESSAGE_REPLY);
    CHECK_INT_EQ(m->header.status, REMOTE_MESSAGE_OK);
    CHECK_INT_EQ(m->header.serial, call_hdr.serial);
    CHECK_INT_EQ(m->header.proc, call_hdr.proc);
    CHECK_INT_EQ(rpc_message_decode_body(m, proc, out, NULL), 0);
}

static void
test_round_trips(void)
{
    /* Domains. */
    remote_nonnull_domain doms[2] = {
        { .name = (char *) "vm1", .uuid = { 1, 2, 3 }, .id = 4 },
        { .name = (char *) "another-domain", .uuid = { [15] = 0xff }, .id = -1 },
    };
    remote_connect_list_all_domains_ret ld = { .domains = { 2, doms }, .ret = 2 }, ld2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_connect_list_all_domains_ret, &ld, &ld2);
    CHECK_INT_EQ(ld2.domains.domains_len, 2);
    CHECK_INT_EQ(ld2.ret, 2);
    if (ld2.domains.domains_len == 2) {
        CHECK_STR_EQ(ld2.domains.domains_val[1].name, "another-domain");
        CHECK_INT_EQ(ld2.domains.domains_val[1].id, -1);
        CHECK_INT_EQ((uint8_t) ld2.domains.domains_val[1].uuid[15], 0xff);
        CHECK_INT_EQ(ld2.domains.domains_val[0].uuid[2], 3);
    }
    xdr_free((xdrproc_t) xdr_remote_connect_list_all_domains_ret, &ld2);

    remote_domain_get_info_ret gi = { 5, 1048576, 524288, 2, 123456789012ULL }, gi2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_domain_get_info_ret, &gi, &gi2);
    CHECK(gi2.state == 5 && gi2.maxMem == 1048576 && gi2.memory == 524288 &&
          gi2.nrVirtCpu == 2 && gi2.cpuTime == 123456789012ULL);

    /* Typed parameters: every arm of the union. */
    remote_typed_param tp[7] = {
        { (char *) "i", { REMOTE_TYPED_PARAM_INT, .remote_typed_param_value_u.i = -5 } },
        { (char *) "ui", { REMOTE_TYPED_PARAM_UINT, .remote_typed_param_value_u.ui = 5 } },
        { (char *) "l", { REMOTE_TYPED_PARAM_LLONG, .remote_typed_param_value_u.l = -(1LL << 40) } },
        { (char *) "ul", { REMOTE_TYPED_PARAM_ULLONG, .remote_typed_param_value_u.ul = 1ULL << 63 } },
        { (char *) "d", { REMOTE_TYPED_PARAM_DOUBLE, .remote_typed_param_value_u.d = 0.25 } },
        { (char *) "b", { REMOTE_TYPED_PARAM_BOOLEAN, .remote_typed_param_value_u.b = 1 } },
        { (char *) "s", { REMOTE_TYPED_PARAM_STRING, .remote_typed_param_value_u.s = (char *) "str" } },
    };
    remote_domain_stats_record rec = { doms[0], { 7, tp } };
    remote_connect_get_all_domain_stats_ret st = { { 1, &rec } }, st2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_connect_get_all_domain_stats_ret, &st, &st2);
    if (st2.retStats.retStats_len == 1 && st2.retStats.retStats_val[0].params.params_len == 7) {
        remote_typed_param *p = st2.retStats.retStats_val[0].params.params_val;
        CHECK_INT_EQ(p[0].value.remote_typed_param_value_u.i, -5);
        CHECK_INT_EQ(p[1].value.remote_typed_param_value_u.ui, 5);
        CHECK(p[2].value.remote_typed_param_value_u.l == -(1LL << 40));
        CHECK(p[3].value.remote_typed_param_value_u.ul == 1ULL << 63);
        CHECK(p[4].value.remote_typed_param_value_u.d == 0.25);
        CHECK_INT_EQ(p[5].value.remote_typed_param_value_u.b, 1);
        CHECK_STR_EQ(p[6].value.remote_typed_param_value_u.s, "str");
        CHECK_STR_EQ(p[6].field, "s");
        CHECK_INT_EQ(p[6].value.type, REMOTE_TYPED_PARAM_STRING);
    } else {
        TEST_FAIL("domain stats did not round trip");
    }
    xdr_free((xdrproc_t) xdr_remote_connect_get_all_domain_stats_ret, &st2);
    /* An unknown typed parameter type is refused. */
    tp[0].value.type = 8;
    void *buf = NULL;
    size_t len;
    CHECK(rpc_encode_reply(&call_hdr, (xdrproc_t) xdr_remote_connect_get_all_domain_stats_ret,
                           &st, &buf, &len, NULL) < 0);

    /* Networks. */
    char *mac = (char *) "52:54:00:00:00:01", *host = (char *) "guest";
    remote_network_dhcp_lease lease = {
        .iface = (char *) "virbr0", .expirytime = 1700000000, .type = 0, .mac = &mac,
        .ipaddr = (char *) "192.168.122.10", .prefix = 24, .hostname = &host,
    };
    remote_network_get_dhcp_leases_ret dl = { { 1, &lease }, 1 }, dl2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_network_get_dhcp_leases_ret, &dl, &dl2);
    if (dl2.leases.leases_len == 1) {
        remote_network_dhcp_lease *l = dl2.leases.leases_val;
        CHECK_STR_EQ(*l->mac, mac);
        CHECK(l->iaid == NULL && l->clientid == NULL);
        CHECK_STR_EQ(*l->hostname, "guest");
        CHECK_INT_EQ(l->prefix, 24);
        CHECK_INT_EQ(l->expirytime, 1700000000);
    }
    xdr_free((xdrproc_t) xdr_remote_network_get_dhcp_leases_ret, &dl2);

    remote_nonnull_network net = { (char *) "default", { 9 } };
    remote_network_event_lifecycle_msg ne = { 3, net, 2, 0 }, ne2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_network_event_lifecycle_msg, &ne, &ne2);
    CHECK_STR_EQ(ne2.net.name, "default");
    CHECK_INT_EQ(ne2.callbackID, 3);
    CHECK_INT_EQ(ne2.event, 2);
    xdr_free((xdrproc_t) xdr_remote_network_event_lifecycle_msg, &ne2);

    /* Storage pools and volumes. */
    remote_storage_pool_get_info_ret pi = { 2, 1ULL << 40, 1ULL << 30, 1ULL << 39 }, pi2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_storage_pool_get_info_ret, &pi, &pi2);
    CHECK(pi2.state == 2 && pi2.capacity == 1ULL << 40 && pi2.allocation == 1ULL << 30 &&
          pi2.available == 1ULL << 39);
    remote_nonnull_storage_vol vols[1] = {
        { (char *) "pool", (char *) "disk.qcow2", (char *) "/var/lib/x/disk.qcow2" },
    };
    remote_storage_pool_list_all_volumes_ret lv = { { 1, vols }, 1 }, lv2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_storage_pool_list_all_volumes_ret, &lv, &lv2);
    if (lv2.vols.vols_len == 1) {
        CHECK_STR_EQ(lv2.vols.vols_val[0].pool, "pool");
        CHECK_STR_EQ(lv2.vols.vols_val[0].key, "/var/lib/x/disk.qcow2");
    }
    xdr_free((xdrproc_t) xdr_remote_storage_pool_list_all_volumes_ret, &lv2);
    remote_storage_vol_get_info_ret vi = { 1, 10485760, 4096 }, vi2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_storage_vol_get_info_ret, &vi, &vi2);
    CHECK(vi2.type == 1 && vi2.capacity == 10485760 && vi2.allocation == 4096);

    /* Node devices. */
    char *caps[2] = { (char *) "pci", (char *) "net" };
    remote_node_device_list_caps_ret lc = { { 2, caps } }, lc2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_node_device_list_caps_ret, &lc, &lc2);
    if (lc2.names.names_len == 2)
        CHECK_STR_EQ(lc2.names.names_val[1], "net");
    xdr_free((xdrproc_t) xdr_remote_node_device_list_caps_ret, &lc2);
    remote_node_device_get_parent_ret gp = { NULL }, gp2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_node_device_get_parent_ret, &gp, &gp2);
    CHECK(gp2.parentName == NULL);

    /* Node. */
    remote_node_get_info_ret ni = { "x86_64", 8 << 20, 2, 2400, 1, 1, 2, 1 }, ni2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_node_get_info_ret, &ni, &ni2);
    CHECK(strcmp(ni2.model, "x86_64") == 0 && ni2.memory == 8 << 20 && ni2.cpus == 2 &&
          ni2.mhz == 2400 && ni2.nodes == 1 && ni2.sockets == 1 && ni2.cores == 2 &&
          ni2.threads == 1);
    char model[] = "none", doi[] = "0";
    remote_node_get_security_model_ret sm = { { 5, model }, { 2, doi } }, sm2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_node_get_security_model_ret, &sm, &sm2);
    CHECK(sm2.model.model_len == 5 && memcmp(sm2.model.model_val, "none", 5) == 0);
    xdr_free((xdrproc_t) xdr_remote_node_get_security_model_ret, &sm2);

    /* Domain events. */
    remote_domain_event_callback_lifecycle_msg ev = { 1, { doms[0], 2, 0 } }, ev2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_domain_event_callback_lifecycle_msg, &ev, &ev2);
    CHECK_INT_EQ(ev2.callbackID, 1);
    CHECK_STR_EQ(ev2.msg.dom.name, "vm1");
    CHECK_INT_EQ(ev2.msg.event, 2);
    xdr_free((xdrproc_t) xdr_remote_domain_event_callback_lifecycle_msg, &ev2);
    remote_connect_domain_event_callback_register_any_args ra = { 0, NULL }, ra2 = { 0 };
    round_trip((xdrproc_t) xdr_remote_connect_domain_event_callback_register_any_args, &ra, &ra2);
    CHECK(ra2.dom == NULL);
}

static void
test_error_encoding(void)
{
    Error err = ERROR_INIT;
    RpcHeader h = call_hdr;
    auto_cleanup(free_ptr) void *buf = NULL;
    auto_cleanup(rpc_message_freep) RpcMessage *m = NULL;
    remote_error e = { 0 };
    size_t len;

    h.proc = REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME;
    error_set(&err, -ENOENT, VIR_ERR_NO_DOMAIN,
              "Domain not found: no domain with matching name '%s'", "vm1");
    CHECK_INT_EQ(rpc_encode_error(&h, &err, &buf, &len), 0);
    CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
    CHECK_INT_EQ(m->header.type, REMOTE_MESSAGE_REPLY);
    CHECK_INT_EQ(m->header.status, REMOTE_MESSAGE_ERROR);
    CHECK_INT_EQ(m->header.serial, 7);
    CHECK_INT_EQ(m->header.proc, REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME);
    CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_error, &e, NULL), 0);
    CHECK_INT_EQ(e.code, 42);
    CHECK_INT_EQ(e.domain, VIR_FROM_QEMU);
    CHECK_INT_EQ(e.level, 2);
    CHECK_STR_EQ(*e.message, "Domain not found: no domain with matching name 'vm1'");
    CHECK_STR_EQ(*e.str1, "Domain not found: %s");
    CHECK_STR_EQ(*e.str2, "no domain with matching name 'vm1'");
    CHECK(e.str3 == NULL && e.dom == NULL && e.net == NULL);
    CHECK_INT_EQ(e.int1, -1);
    CHECK_INT_EQ(e.int2, -1);
    xdr_free((xdrproc_t) xdr_remote_error, &e);
    error_clear(&err);
    free(steal_ptr(buf));
    rpc_message_free(steal_ptr(m));

    /* An unset error, on a stream: libvirt's fallback, type STREAM. */
    h.type = REMOTE_MESSAGE_STREAM;
    h.status = REMOTE_MESSAGE_CONTINUE;
    CHECK_INT_EQ(rpc_encode_error(&h, &err, &buf, &len), 0);
    CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
    CHECK_INT_EQ(m->header.type, REMOTE_MESSAGE_STREAM);
    CHECK_INT_EQ(m->header.status, REMOTE_MESSAGE_ERROR);
    CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_error, &e, NULL), 0);
    CHECK_INT_EQ(e.code, VIR_ERR_INTERNAL_ERROR);
    CHECK_INT_EQ(e.domain, VIR_FROM_RPC);
    CHECK_STR_EQ(*e.message, "Library function returned error but did not set virError");
    CHECK(e.str2 == NULL);
    xdr_free((xdrproc_t) xdr_remote_error, &e);

    /* Error domains per family. */
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_DOMAIN_CREATE,
                                  VIR_ERR_OPERATION_DENIED), VIR_FROM_DOMAIN);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS,
                                  VIR_ERR_NO_SUPPORT), VIR_FROM_DOMAIN);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_NETWORK_CREATE,
                                  VIR_ERR_OPERATION_DENIED), VIR_FROM_NETWORK);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_NETWORK_LOOKUP_BY_NAME,
                                  VIR_ERR_NO_NETWORK), VIR_FROM_NETWORK);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_STORAGE_VOL_UPLOAD,
                                  VIR_ERR_OPERATION_DENIED), VIR_FROM_STORAGE);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_NODE_DEVICE_DETACH_FLAGS,
                                  VIR_ERR_OPERATION_DENIED), VIR_FROM_NODEDEV);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_HOSTNAME,
                                  VIR_ERR_NO_SUPPORT), VIR_FROM_NONE);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, REMOTE_PROC_CONNECT_GET_HOSTNAME,
                                  VIR_ERR_INTERNAL_ERROR), VIR_FROM_QEMU);
    CHECK_INT_EQ(rpc_error_domain(REMOTE_PROGRAM, 9999, VIR_ERR_RPC), VIR_FROM_RPC);
    CHECK_INT_EQ(rpc_error_domain(KEEPALIVE_PROGRAM, 1, VIR_ERR_INTERNAL_ERROR), VIR_FROM_RPC);
}

static void
test_events_and_streams(void)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    auto_cleanup(rpc_message_freep) RpcMessage *m = NULL;
    RpcHeader h = call_hdr;
    remote_domain_event_callback_lifecycle_msg ev = {
        .callbackID = 1, .msg = { { (char *) "vm1", { 0 }, 1 }, 2, 0 },
    };
    size_t len;
    int64_t hole;

    CHECK_INT_EQ(rpc_encode_event(REMOTE_PROGRAM, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                                  (xdrproc_t) xdr_remote_domain_event_callback_lifecycle_msg,
                                  &ev, &buf, &len, NULL), 0);
    CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
    CHECK_INT_EQ(m->header.type, REMOTE_MESSAGE_MESSAGE);
    CHECK_INT_EQ(m->header.serial, 0);
    CHECK_INT_EQ(m->header.proc, 318);
    CHECK_INT_EQ(m->header.prog, REMOTE_PROGRAM);
    CHECK_INT_EQ(m->header.vers, 1);
    free(steal_ptr(buf));
    rpc_message_free(steal_ptr(m));

    h.proc = REMOTE_PROC_STORAGE_VOL_DOWNLOAD;
    h.serial = 12;
    CHECK_INT_EQ(rpc_encode_stream(&h, REMOTE_MESSAGE_CONTINUE, "data", 4, &buf, &len), 0);
    check_bytes("stream data", buf, len,
                "00000020 20008086 00000001 000000d1 00000003 0000000c 00000002 64617461");
    free(steal_ptr(buf));
    CHECK_INT_EQ(rpc_encode_stream(&h, REMOTE_MESSAGE_OK, NULL, 0, &buf, &len), 0);
    check_bytes("stream finish", buf, len,
                "0000001c 20008086 00000001 000000d1 00000003 0000000c 00000000");
    free(steal_ptr(buf));
    CHECK_INT_EQ(rpc_encode_stream(&h, REMOTE_MESSAGE_CONTINUE, NULL, RPC_PAYLOAD_MAX + 1, &buf,
                                   &len), -EMSGSIZE);

    CHECK_INT_EQ(rpc_encode_stream_hole(&h, 1 << 20, &buf, &len), 0);
    check_bytes("stream hole", buf, len,
                "00000028 20008086 00000001 000000d1 00000006 0000000c 00000002 "
                "00000000 00100000 00000000");
    CHECK_INT_EQ(rpc_message_parse(buf, len, 0, &m, NULL), 0);
    CHECK_INT_EQ(rpc_decode_stream_hole(m, &hole, NULL), 0);
    CHECK_INT_EQ(hole, 1 << 20);
}

int
main(void)
{
    test_doc_examples();
    test_framing();
    test_limits();
    test_bounds();
    test_round_trips();
    test_error_encoding();
    test_events_and_streams();
    return test_result();
}
