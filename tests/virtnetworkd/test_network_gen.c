/* network_dnsmasq and network_nft: the generated dnsmasq configuration,
 * hosts files and nftables rulesets of tests/data/network_def networks,
 * compared with tests/data/network_dnsmasq and tests/data/network_nft
 * (REGENERATE=1 rewrites them), and lease file parsing. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "network_def.h"
#include "network_dnsmasq.h"
#include "network_nft.h"
#include "test_util.h"

static NetworkDef *
load(const char *name)
{
    auto_cleanup(free_ptr) char *path = xasprintf(TEST_DATA_DIR "/network_def/%s.xml", name);
    auto_cleanup(free_ptr) char *xml = test_read_file(path);
    Error error = ERROR_INIT;
    NetworkDef *def = NULL;

    if (!xml || network_def_parse(xml, &def, &error) < 0)
        TEST_FAIL("%s: %s", name, error.message ? error.message : "cannot read");
    error_clear(&error);
    return def;
}

static void
test_generate(const char *name)
{
    auto_cleanup(network_def_freep) NetworkDef *def = load(name);
    DnsmasqPaths paths = {
        .conf = "/R/var/lib/libvirt/dnsmasq/NET.conf",
        .hostsfile = "/R/var/lib/libvirt/dnsmasq/NET.hostsfile",
        .addnhosts = "/R/var/lib/libvirt/dnsmasq/NET.addnhosts",
        .leasefile = "/R/var/lib/libvirt/dnsmasq/NET.leases",
        .pidfile = "/R/run/libvirt/network/NET.pid",
    };

    if (!def)
        return;
    if (network_dnsmasq_needed(def)) {
        auto_cleanup(free_ptr) char *conf = network_dnsmasq_conf(def, &paths);
        auto_cleanup(free_ptr) char *hosts = network_dnsmasq_hostsfile(def);
        auto_cleanup(free_ptr) char *addn = network_dnsmasq_addnhosts(def);
        auto_cleanup(free_ptr) char *p1 = xasprintf(TEST_DATA_DIR "/network_dnsmasq/%s.conf",
                                                    name);
        auto_cleanup(free_ptr) char *p2 = xasprintf(TEST_DATA_DIR
                                                    "/network_dnsmasq/%s.hostsfile", name);
        auto_cleanup(free_ptr) char *p3 = xasprintf(TEST_DATA_DIR
                                                    "/network_dnsmasq/%s.addnhosts", name);
        test_compare_file(name, p1, conf);
        test_compare_file(name, p2, hosts);
        test_compare_file(name, p3, addn);
    }
    if (network_nft_needed(def) && def->bridge) {
        auto_cleanup(free_ptr) char *add = network_nft_add_rules(def);
        auto_cleanup(free_ptr) char *del = network_nft_delete_rules(def, true);
        auto_cleanup(free_ptr) char *p1 = xasprintf(TEST_DATA_DIR "/network_nft/%s.add.nft",
                                                    name);
        auto_cleanup(free_ptr) char *p2 = xasprintf(TEST_DATA_DIR
                                                    "/network_nft/%s.delete.nft", name);
        test_compare_file(name, p1, add);
        test_compare_file(name, p2, del);
    }
}

static void
test_needed(void)
{
    auto_cleanup(network_def_freep) NetworkDef *open_net = load("open");
    auto_cleanup(network_def_freep) NetworkDef *br = load("host-bridge");
    auto_cleanup(network_def_freep) NetworkDef *iso = load("isolated");
    auto_cleanup(network_def_freep) NetworkDef *min = load("minimal");

    CHECK(!network_nft_needed(open_net));
    CHECK(network_dnsmasq_needed(open_net));
    CHECK(!network_nft_needed(br));
    CHECK(!network_dnsmasq_needed(br));
    CHECK(network_nft_needed(iso));
    CHECK(!network_dnsmasq_needed(min));
}

static void
test_leases(void)
{
    auto_cleanup(network_def_freep) NetworkDef *def = load("nat-full");
    const char *text =
        "1700000100 52:54:00:00:00:01 10.123.45.11 one 01:52:54:00:00:00:01\n"
        "1600000000 52:54:00:00:00:02 10.123.45.150 expired *\n"
        "0 52:54:00:00:00:03 10.123.45.151 * *\n"
        "duid 00:01:00:01:2c:aa:bb:cc:52:54:00:00:00:09\n"
        "1700000200 1234 fd00:123:45::150 six 00:03:00:01:00:16:3e:11:22:33\n"
        "garbage line\n";
    NetworkLease *l = NULL;
    size_t n = 0;

    if (!def)
        return;
    CHECK_INT_EQ(network_dnsmasq_parse_leases(def, text, NULL, 1650000000, &l, &n), 0);
    CHECK_INT_EQ(n, 3);
    if (n == 3) {
        CHECK_STR_EQ(l[0].iface, "virbr7");
        CHECK_INT_EQ(l[0].expiry, 1700000100);
        CHECK_INT_EQ(l[0].type, 0);
        CHECK_STR_EQ(l[0].mac, "52:54:00:00:00:01");
        CHECK_STR_EQ(l[0].ip, "10.123.45.11");
        CHECK_INT_EQ(l[0].prefix, 24);
        CHECK_STR_EQ(l[0].hostname, "one");
        CHECK_STR_EQ(l[0].clientid, "01:52:54:00:00:00:01");
        CHECK_STR_EQ(l[1].hostname, "");
        CHECK_INT_EQ(l[1].expiry, 0);
        CHECK_INT_EQ(l[2].type, 1);
        CHECK_STR_EQ(l[2].iaid, "1234");
        CHECK_STR_EQ(l[2].mac, "");
        CHECK_INT_EQ(l[2].prefix, 64);
    }
    network_leases_free(l, n);
    CHECK_INT_EQ(network_dnsmasq_parse_leases(def, text, "52:54:00:00:00:03", 1650000000, &l,
                                              &n), 0);
    CHECK_INT_EQ(n, 1);
    if (n == 1)
        CHECK_STR_EQ(l[0].ip, "10.123.45.151");
    network_leases_free(l, n);
}

int
main(void)
{
    test_generate("seed-network-default");
    test_generate("nat-full");
    test_generate("route");
    test_generate("isolated");
    test_generate("open");
    test_generate("update-base");
    test_needed();
    test_leases();
    return test_result();
}
