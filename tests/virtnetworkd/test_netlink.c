/* netlink and tap: real links, in a network namespace of the test's own
 * (unshare(CLONE_NEWNET)), so the host's network is never touched. Skipped
 * (77) when namespaces cannot be made (not root). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "netlink.h"
#include "tap.h"
#include "test_util.h"

static char *
run_ip(const char *args)
{
    char cmd[256];
    static char out[8192];
    size_t n;
    FILE *f;

    snprintf(cmd, sizeof(cmd), "ip %s 2>&1", args);
    f = popen(cmd, "r");
    if (!f)
        return NULL;
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    pclose(f);
    return out;
}

static void
test_names(void)
{
    CHECK(netlink_ifname_valid("virbr0"));
    CHECK(netlink_ifname_valid("a-b_c.d"));
    CHECK(!netlink_ifname_valid(""));
    CHECK(!netlink_ifname_valid("0123456789abcdef"));
    CHECK(!netlink_ifname_valid("a/b"));
    CHECK(!netlink_ifname_valid(".."));
    CHECK(!netlink_ifname_valid("a b"));
    CHECK(!netlink_ifname_valid(NULL));
}

static void
test_bridge(void)
{
    Error error = ERROR_INIT;
    uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, got[6];
    uint8_t a4[4] = { 10, 123, 45, 1 };
    struct in6_addr a6;
    unsigned mtu = 0;
    char *out, *master = NULL;
    int idx;

    CHECK(!netlink_link_exists("tbr0"));
    CHECK_INT_EQ(netlink_link_index("tbr0", &error), -ENODEV);
    CHECK(!error_is_set(&error));

    CHECK_INT_EQ(netlink_bridge_create("tbr0", true, 2000, mac, 1400, &error), 0);
    CHECK(!error_is_set(&error));
    CHECK(netlink_link_exists("tbr0"));
    idx = netlink_link_index("tbr0", &error);
    CHECK(idx > 0);

    /* A second one with the same name: the kernel's reason, naming it. */
    CHECK_INT_EQ(netlink_bridge_create("tbr0", false, 0, NULL, 0, &error), -EEXIST);
    CHECK_STR_EQ(error.message, "cannot create bridge 'tbr0': File exists");
    CHECK_INT_EQ(error.code, VIR_ERR_SYSTEM_ERROR);
    error_clear(&error);

    CHECK_INT_EQ(netlink_link_get("tbr0", &mtu, got, &error), 0);
    CHECK_INT_EQ(mtu, 1400);
    CHECK(memcmp(got, mac, 6) == 0);

    mac[5] = 0x57;
    CHECK_INT_EQ(netlink_link_set_mac("tbr0", mac, &error), 0);
    CHECK_INT_EQ(netlink_link_set_mtu("tbr0", 1300, &error), 0);
    CHECK_INT_EQ(netlink_link_get("tbr0", &mtu, got, &error), 0);
    CHECK_INT_EQ(mtu, 1300);
    CHECK(memcmp(got, mac, 6) == 0);

    out = run_ip("-d link show tbr0");
    CHECK(strstr(out, "stp_state 1") != NULL);
    CHECK(strstr(out, "forward_delay 200") != NULL);

    CHECK_INT_EQ(netlink_link_set_up("tbr0", true, &error), 0);
    CHECK_INT_EQ(netlink_addr_add("tbr0", AF_INET, a4, 24, &error), 0);
    inet_pton(AF_INET6, "fd00:123:45::1", &a6);
    CHECK_INT_EQ(netlink_addr_add("tbr0", AF_INET6, &a6, 64, &error), 0);
    CHECK(!error_is_set(&error));
    CHECK_INT_EQ(netlink_addr_add("tbr0", AF_INET, a4, 24, &error), -EEXIST);
    CHECK_STR_EQ(error.message, "cannot add address '10.123.45.1/24' to interface 'tbr0': "
                 "File exists");
    error_clear(&error);
    out = run_ip("addr show tbr0");
    CHECK(strstr(out, "inet 10.123.45.1/24 brd 10.123.45.255") != NULL);
    CHECK(strstr(out, "inet6 fd00:123:45::1/64") != NULL);
    CHECK(strstr(out, "UP") != NULL);

    /* A tap attached to the bridge. */
    {
        char *name = NULL;
        int fd = -1, fl;

        CHECK_INT_EQ(tap_create("ttap%d", &name, &fd, &error), 0);
        CHECK(!error_is_set(&error));
        CHECK_STR_EQ(name, "ttap0");
        fl = fcntl(fd, F_GETFD);
        CHECK(fl >= 0 && (fl & FD_CLOEXEC));
        CHECK_INT_EQ(netlink_link_set_master(name, "tbr0", &error), 0);
        CHECK_INT_EQ(netlink_link_set_up(name, true, &error), 0);
        CHECK_INT_EQ(netlink_link_get_master(name, &master, &error), 0);
        CHECK_STR_EQ(master, "tbr0");
        free(master);
        out = run_ip("-d link show ttap0");
        CHECK(strstr(out, "tun type tap") != NULL);
        CHECK(strstr(out, "vnet_hdr on") != NULL);
        CHECK_INT_EQ(netlink_link_set_master(name, NULL, &error), 0);
        CHECK_INT_EQ(netlink_link_get_master(name, &master, &error), 0);
        CHECK(master == NULL);
        CHECK_INT_EQ(netlink_link_set_master(name, "nobr", &error), -ENODEV);
        CHECK_STR_EQ(error.message, "cannot attach interface 'ttap0' to bridge 'nobr': "
                     "No such device");
        error_clear(&error);
        /* Not persistent: closing the fd removes it. */
        close(fd);
        CHECK(!netlink_link_exists(name));
        free(name);
    }

    CHECK_INT_EQ(netlink_link_delete("tbr0", &error), 0);
    CHECK(!netlink_link_exists("tbr0"));
    CHECK_INT_EQ(netlink_link_delete("tbr0", &error), -ENODEV);
    CHECK_STR_EQ(error.message, "cannot delete interface 'tbr0': No such device");
    error_clear(&error);

    CHECK_INT_EQ(netlink_link_set_up("bad/name", true, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "invalid interface name 'bad/name'");
    error_clear(&error);
}

int
main(void)
{
    test_names();
    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "cannot make a network namespace: %s\n", strerror(errno));
        return 77;
    }
    test_bridge();
    return test_result();
}
