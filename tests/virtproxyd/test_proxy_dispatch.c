/* The dispatcher's refusals before any handler runs, in libvirt's order,
 * for each kind of procedure: served or not, reading or writing, callable
 * before CONNECT_OPEN or not; and the table of libvirt's procedures (names,
 * read-only class) against the procedures served. */
#include <errno.h>

#include "proxy.h"
#include "test_util.h"

static RpcHeader
call_header(int proc)
{
    RpcHeader h = {
        .prog = REMOTE_PROGRAM,
        .vers = REMOTE_PROTOCOL_VERSION,
        .proc = proc,
        .type = REMOTE_MESSAGE_CALL,
        .serial = 1,
        .status = REMOTE_MESSAGE_OK,
    };
    return h;
}

/* The code and message of a refusal, or 0 and "" when let through. */
static int
check(RpcHeader h, size_t nfds, bool opened, bool readonly, const char *want_msg)
{
    Error error = ERROR_INIT;
    const ProcDef *def = NULL;
    int r = dispatch_check(&h, nfds, opened, readonly, &def, &error);
    int code = r < 0 ? error.code : 0;

    if (r < 0) {
        CHECK(def == NULL);
        if (want_msg)
            CHECK_STR_EQ(error.message, want_msg);
    } else {
        CHECK(def != NULL && def->proc == h.proc && def->handler != NULL);
    }
    error_clear(&error);
    return code;
}

static void
test_order(void)
{
    RpcHeader h;

    /* Headers no client sends. */
    h = call_header(REMOTE_PROC_DOMAIN_GET_STATE);
    h.prog = 0x20008087;
    CHECK_INT_EQ(check(h, 0, true, false, NULL), VIR_ERR_RPC);
    h = call_header(REMOTE_PROC_DOMAIN_GET_STATE);
    h.vers = 2;
    CHECK_INT_EQ(check(h, 0, true, false, NULL), VIR_ERR_RPC);
    h = call_header(REMOTE_PROC_DOMAIN_GET_STATE);
    h.status = REMOTE_MESSAGE_ERROR;
    CHECK_INT_EQ(check(h, 0, true, false, "Unexpected message status 1"), VIR_ERR_RPC);
    h = call_header(REMOTE_PROC_DOMAIN_GET_STATE);
    h.type = REMOTE_MESSAGE_CALL_WITH_FDS;
    CHECK_INT_EQ(check(h, 1, true, false, NULL), VIR_ERR_RPC);

    /* A procedure libvirt does not have: unknown, even before opening. */
    CHECK_INT_EQ(check(call_header(9999), 0, false, true, "unknown procedure: 9999"),
                 VIR_ERR_RPC);
    /* Before CONNECT_OPEN only the open, auth and feature calls pass. */
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_GET_STATE), 0, false, false,
                       "connection not open"), VIR_ERR_INTERNAL_ERROR);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_AUTH_LIST), 0, false, false, NULL), 0);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_CONNECT_OPEN), 0, false, true, NULL), 0);
    /* Not open comes before read-only, as in libvirtd. */
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_CREATE), 0, false, true, NULL),
                 VIR_ERR_INTERNAL_ERROR);

    /* A read-only client: what writes is refused as such, served or not;
     * a read not served is "not supported". */
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_CREATE), 0, true, true,
                       "operation forbidden: read only access prevents virDomainCreate"),
                 VIR_ERR_OPERATION_DENIED);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_ATTACH_DEVICE), 0, true, true,
                       "operation forbidden: read only access prevents "
                       "virDomainAttachDevice"), VIR_ERR_OPERATION_DENIED);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_SNAPSHOT_NUM), 0, true, true,
                       "this function is not supported by the connection driver: "
                       "virDomainSnapshotNum"), VIR_ERR_NO_SUPPORT);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_GET_STATE), 0, true, true, NULL), 0);
    /* A read-write client: what is served passes. */
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_CREATE), 0, true, false, NULL), 0);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_ATTACH_DEVICE), 0, true, false, NULL),
                 0);
    CHECK_INT_EQ(check(call_header(REMOTE_PROC_DOMAIN_SAVE), 0, true, false,
                       "this function is not supported by the connection driver: "
                       "virDomainSave"), VIR_ERR_NO_SUPPORT);
}

/* Every served procedure is one libvirt has, and a read-only client may
 * call each one that reads; libvirt's count of writing procedures holds. */
static void
test_tables(void)
{
    int known = 0, writes = 0, served = 0;

    for (int proc = 1; proc < 512; proc++) {
        const ProcDef *def = dispatch_find(proc);

        if (proxy_proc_api_name(proc)) {
            known++;
            writes += proxy_proc_writes(proc);
        }
        if (!def)
            continue;
        served++;
        if (!proxy_proc_api_name(proc))
            TEST_FAIL("procedure %d is served but is not libvirt's", proc);
        CHECK_INT_EQ(def->proc, proc);
    }
    CHECK_INT_EQ(known, 443);
    CHECK_INT_EQ(writes, 197);
    CHECK(proxy_proc_writes(REMOTE_PROC_DOMAIN_SET_PERF_EVENTS));
    CHECK(served > 150);
    /* Names are libvirt's, casing included. */
    CHECK_STR_EQ(proxy_proc_api_name(REMOTE_PROC_DOMAIN_GET_STATE), "virDomainGetState");
    CHECK_STR_EQ(proxy_proc_api_name(REMOTE_PROC_DOMAIN_INJECT_NMI), "virDomainInjectNMI");
    CHECK(proxy_proc_api_name(0) == NULL && proxy_proc_api_name(-1) == NULL &&
          proxy_proc_api_name(100000) == NULL);
    CHECK(!proxy_proc_writes(REMOTE_PROC_DOMAIN_GET_XML_DESC));
    CHECK(proxy_proc_writes(REMOTE_PROC_NODE_DEVICE_GET_AUTOSTART));
}

/* Every row answered by a shared handler names its kind and the property
 * its handler reads, and the kind is complete. */
static void
test_kind_rows(void)
{
    size_t rows = 0;

    for (int proc = 1; proc < 512; proc++) {
        const ProcDef *def = dispatch_find(proc);
        bool counts, bools, other;

        if (!def)
            continue;
        counts = def->handler == proxy_kind_list_names || def->handler == proxy_kind_count;
        bools = def->handler == proxy_kind_get_bool;
        other = def->handler == proxy_kind_lookup_by_name ||
                def->handler == proxy_kind_lookup_by_uuid || def->handler == proxy_kind_list_all;
        if (!counts && !bools && !other)
            continue;
        rows++;
        CHECK(def->kind != NULL);
        if (!def->kind)
            continue;
        CHECK(def->kind->iface && def->kind->title && def->kind->noun && def->kind->wire_noun);
        CHECK(def->kind->to_wire && def->kind->wire_size && def->kind->list_max > 0);
        CHECK(def->kind->list_max_name && def->kind->list_all_api && def->kind->list_flags);
        CHECK(def->kind->no_object > 0);
        if (counts)
            CHECK(def->prop == PROP_ACTIVE || def->prop == PROP_INACTIVE);
        if (bools)
            CHECK(def->prop == PROP_ACTIVE || def->prop == PROP_PERSISTENT ||
                  def->prop == PROP_AUTOSTART);
        if (def->handler == proxy_kind_lookup_by_uuid)
            CHECK(def->kind->path_kind != NULL);
    }
    /* Lookups, lists, counts and booleans of domains, networks, pools and
     * node devices (whose ListAll asks virtnodedevd for capabilities): 33. */
    CHECK(rows == 33);
}

int
main(void)
{
    test_order();
    test_tables();
    test_kind_rows();
    return test_result();
}
