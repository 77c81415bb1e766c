/* network_def: round trips over tests/data/network_def, failure cases,
 * conflicts and updates.
 *
 * NAME.xml is parsed and formatted and compared with NAME.out.xml (or with
 * itself when there is no .out.xml); the output must parse and format to
 * itself again. A failing case NAME.xml has NAME.err: the code, a newline,
 * the message. REGENERATE=1 rewrites expected files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "network_def.h"
#include "test_util.h"

#define DATA_DIR TEST_DATA_DIR "/network_def"

static void
rt_pin_uuid(void *def)
{
    uuid_parse("00000000-0000-4000-8000-000000000001", &((NetworkDef *) def)->uuid);
}

RT_DEFINE_OPS(network_ops, NetworkDef, network_def_parse(xml, def, error),
              network_def_format(d, 0), network_def_free, .dir = DATA_DIR,
              .fail_prefix = "fail-");
/* For a definition without a UUID: the generated one is pinned. */
RT_DEFINE_OPS(network_ops_pinned, NetworkDef, network_def_parse(xml, def, error),
              network_def_format(d, 0), network_def_free, .dir = DATA_DIR,
              .pin = rt_pin_uuid);

static void
test_round_trip(const char *name, bool pin_uuid)
{
    rt_round_trip(pin_uuid ? &network_ops_pinned : &network_ops, name);
}

static void
test_parse_fails(const char *name, int code)
{
    rt_parse_fails(&network_ops, name, code);
}

static NetworkDef *
parse_ok(const char *xml)
{
    Error error = ERROR_INIT;
    NetworkDef *def = NULL;

    if (network_def_parse(xml, &def, &error) < 0)
        TEST_FAIL("parse failed: %s", error.message);
    error_clear(&error);
    return def;
}

static void
test_conflicts(void)
{
    auto_cleanup(network_def_freep) NetworkDef *a = parse_ok(
        "<network><name>a</name><bridge name='virbr5'/>"
        "<ip address='10.1.0.1' prefix='16'/></network>");
    auto_cleanup(network_def_freep) NetworkDef *b = parse_ok(
        "<network><name>b</name><bridge name='virbr5'/></network>");
    auto_cleanup(network_def_freep) NetworkDef *c = parse_ok(
        "<network><name>c</name><bridge name='virbr6'/>"
        "<ip address='10.1.2.1' netmask='255.255.255.0'/></network>");
    auto_cleanup(network_def_freep) NetworkDef *d = parse_ok(
        "<network><name>d</name><bridge name='virbr7'/>"
        "<ip address='10.2.0.1' prefix='16'/><ip family='ipv6' address='fd00::1' prefix='64'/>"
        "</network>");
    Error error = ERROR_INIT;

    CHECK_INT_EQ(network_def_check_conflict(b, a, &error), -EEXIST);
    CHECK_STR_EQ(error.message, "internal error: bridge name 'virbr5' already in use.");
    CHECK_INT_EQ(error.code, VIR_ERR_INTERNAL_ERROR);
    error_clear(&error);
    CHECK_INT_EQ(network_def_check_conflict(c, a, &error), -EEXIST);
    CHECK_STR_EQ(error.message, "IP subnet '10.1.2.0/24' of network 'c' overlaps IP subnet "
                 "'10.1.0.0/16' of network 'a'");
    error_clear(&error);
    CHECK_INT_EQ(network_def_check_conflict(a, c, &error), -EEXIST);
    error_clear(&error);
    CHECK_INT_EQ(network_def_check_conflict(d, a, &error), 0);
    CHECK_INT_EQ(network_def_check_conflict(d, c, &error), 0);
    /* A network never conflicts with itself (a redefinition). */
    CHECK_INT_EQ(network_def_check_conflict(a, a, &error), 0);
    CHECK(!error_is_set(&error));
}

static void
check_update(NetworkDef *def, unsigned cmd, unsigned section, int idx, const char *xml,
             const char *expect_error)
{
    Error error = ERROR_INIT;
    int r = network_def_update(def, cmd, section, idx, xml, &error);

    if (expect_error) {
        CHECK(r < 0);
        CHECK_STR_EQ(error.message, expect_error);
    } else {
        if (r < 0)
            TEST_FAIL("update '%s' failed: %s", xml, error.message);
    }
    error_clear(&error);
}

static void
test_update(void)
{
    auto_cleanup(free_ptr) char *in = test_read_file(DATA_DIR "/update-base.xml");
    auto_cleanup(network_def_freep) NetworkDef *def = parse_ok(in);
    auto_cleanup(free_ptr) char *out = NULL;

    if (!def)
        return;
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1,
                 "<host mac='52:54:00:00:00:02' name='b' ip='10.123.45.12'/>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_FIRST, NETWORK_SECTION_IP_DHCP_HOST, 0,
                 "<host mac='52:54:00:00:00:03' name='c' ip='10.123.45.13'/>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1,
                 "<host mac='52:54:00:00:00:02' name='x' ip='10.123.45.99'/>",
                 "there is an existing dhcp host entry in network 'upd' that matches "
                 "\"<host mac='52:54:00:00:00:02' name='x' ip='10.123.45.99'/>\"");
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1,
                 "<host mac='52:54:00:00:00:09' ip='10.99.0.1'/>",
                 "IP address '10.99.0.1' of dhcp host entry is not in network 'upd' subnet "
                 "'10.123.45.0/24'");
    check_update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_IP_DHCP_HOST, -1,
                 "<host mac='52:54:00:00:00:01' name='a2' ip='10.123.45.21'/>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_IP_DHCP_HOST, -1,
                 "<host mac='52:54:00:00:00:77' ip='10.123.45.77'/>",
                 "couldn't locate an existing dhcp host entry with "
                 "\"<host mac='52:54:00:00:00:77' ip='10.123.45.77'/>\" in network 'upd'");
    check_update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_IP_DHCP_HOST, -1,
                 "<host mac='52:54:00:00:00:03' name='c' ip='10.123.45.13'/>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, 5,
                 "<host mac='52:54:00:00:00:05'/>",
                 "couldn't update dhcp host entry - no <ip> element found at index 5 in "
                 "network 'upd'");
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                 "<host ip='10.123.45.50'><hostname>web</hostname></host>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                 "<host ip='10.123.45.50'><hostname>web2</hostname></host>",
                 "there is already at least one DNS HOST record with a matching field in "
                 "network upd");
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_FIRST, NETWORK_SECTION_DNS_HOST, -1,
                 "<host ip='10.123.45.51'><hostname>db</hostname></host>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_MODIFY, NETWORK_SECTION_DNS_HOST, -1,
                 "<host ip='10.123.45.51'><hostname>db</hostname></host>",
                 "DNS HOST records cannot be modified, only added or deleted");
    check_update(def, NETWORK_UPDATE_COMMAND_DELETE, NETWORK_SECTION_DNS_HOST, -1,
                 "<host ip='10.123.45.9'><hostname>old</hostname></host>", NULL);
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_IP_DHCP_RANGE, -1,
                 "<range start='10.123.45.2' end='10.123.45.3'/>",
                 "can't update unrecognized section of network (5)");
    check_update(def, 9, NETWORK_SECTION_DNS_HOST, -1, "<host/>",
                 "unrecognized network update command code 9");
    check_update(def, NETWORK_UPDATE_COMMAND_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                 "<host ip='10.1.1.1'><hostname>x", "network_update_xml:1: Premature end "
                 "of data in tag hostname line 1\n<host ip='10.1.1.1'><hostname>x\n"
                 "-------------------------------^");

    out = network_def_format(def, 2);
    test_compare_file("update", DATA_DIR "/update-result.xml", out);
}

static void
test_defaults(void)
{
    auto_cleanup(network_def_freep) NetworkDef *def = parse_ok(
        "<network><name>n</name><forward mode='nat'/></network>");
    auto_cleanup(network_def_freep) NetworkDef *br = parse_ok(
        "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/></network>");

    CHECK(def->mac == NULL);
    network_def_fill_defaults(def);
    CHECK(def->mac && strncmp(def->mac, "52:54:00:", 9) == 0 && strlen(def->mac) == 17);
    CHECK(network_def_owns_bridge(def));
    network_def_fill_defaults(br);
    CHECK(br->mac == NULL);
    CHECK(!network_def_owns_bridge(br));
}

int
main(void)
{

    test_round_trip("seed-network-default", false);
    test_round_trip("nat-full", false);
    test_round_trip("route", false);
    test_round_trip("bandwidth", false);
    test_round_trip("isolated", false);
    test_round_trip("open", false);
    test_round_trip("host-bridge", false);
    test_round_trip("minimal", false);
    test_round_trip("defaults", false);
    test_round_trip("generated-uuid", true);

    test_parse_fails("not-well-formed", VIR_ERR_XML_DETAIL);
    test_parse_fails("missing-name", VIR_ERR_NO_NAME);
    test_parse_fails("name-slash", VIR_ERR_XML_DETAIL);
    test_parse_fails("name-dotdot", VIR_ERR_XML_DETAIL);
    test_parse_fails("bad-uuid", VIR_ERR_INTERNAL_ERROR);
    test_parse_fails("bad-forward", VIR_ERR_CONFIG_UNSUPPORTED);
    test_parse_fails("bad-bridge-name", VIR_ERR_XML_ERROR);
    test_parse_fails("bad-mac", VIR_ERR_XML_ERROR);
    test_parse_fails("multicast-mac", VIR_ERR_XML_ERROR);
    test_parse_fails("bad-address", VIR_ERR_XML_ERROR);
    test_parse_fails("netmask-and-prefix", VIR_ERR_XML_ERROR);
    test_parse_fails("bad-netmask", VIR_ERR_XML_ERROR);
    test_parse_fails("range-outside", VIR_ERR_CONFIG_UNSUPPORTED);
    test_parse_fails("range-reversed", VIR_ERR_CONFIG_UNSUPPORTED);
    test_parse_fails("host-outside", VIR_ERR_CONFIG_UNSUPPORTED);
    test_parse_fails("host-no-mac-name", VIR_ERR_XML_ERROR);
    test_parse_fails("bad-prefix", VIR_ERR_XML_ERROR);
    test_parse_fails("family-mismatch", VIR_ERR_XML_ERROR);
    test_parse_fails("bridge-mode-with-ip", VIR_ERR_XML_ERROR);
    test_parse_fails("bridge-mode-no-name", VIR_ERR_XML_ERROR);
    test_parse_fails("nat-port-reversed", VIR_ERR_XML_ERROR);
    test_parse_fails("mtu-small", VIR_ERR_XML_ERROR);
    test_parse_fails("dns-host-no-hostname", VIR_ERR_XML_DETAIL);
    test_parse_fails("doctype", VIR_ERR_XML_ERROR);
    test_parse_fails("wrong-root", VIR_ERR_XML_ERROR);

    test_conflicts();
    test_update();
    test_defaults();
    return test_result();
}
