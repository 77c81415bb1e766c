/* virtproxyd.conf: defaults, values, and the auth settings that make the
 * daemon refuse to start; plus the mirror's object path helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "proxy_conf.h"
#include "proxy_mirror.h"

static int
load(const char *text, bool listen, ProxyConfig *cfg, Error *error)
{
    Conf *conf = NULL;
    int r;

    r = conf_parse_string(text, "virtproxyd.conf", &conf, error);
    if (r < 0)
        return r;
    r = proxy_config_load(conf, "/tmp/root", listen, cfg, error);
    conf_free(conf);
    return r;
}

static void
test_defaults(void)
{
    ProxyConfig cfg;
    Error error = ERROR_INIT;

    CHECK_INT_EQ(load("", true, &cfg, &error), 0);
    CHECK(!cfg.listen_tcp);
    CHECK_INT_EQ(cfg.tcp_port, 16509);
    CHECK_STR_EQ(cfg.listen_addr, "127.0.0.1");
    CHECK_STR_EQ(cfg.unix_sock_dir, "/tmp/root/run/libvirt");
    CHECK_INT_EQ(cfg.unix_sock_ro_perms, 0777);
    CHECK_INT_EQ(cfg.unix_sock_rw_perms, 0700);
    CHECK_INT_EQ(cfg.max_clients, 5000);
    CHECK_INT_EQ(cfg.keepalive_interval, 5);
    CHECK_INT_EQ(cfg.keepalive_count, 5);
    CHECK_INT_EQ(cfg.max_client_requests, 5);
    CHECK_STR_EQ(cfg.auth_tcp, "sasl");
    proxy_config_clear(&cfg);
}

static void
test_values(void)
{
    ProxyConfig cfg;
    Error error = ERROR_INIT;

    CHECK_INT_EQ(load("listen_tcp = 1\ntcp_port = 16600\nlisten_addr = \"::1\"\n"
                      "unix_sock_dir = \"/run/x\"\nunix_sock_ro_perms = \"0770\"\n"
                      "unix_sock_rw_perms = \"0600\"\nauth_tcp = \"none\"\n"
                      "max_clients = 7\nkeepalive_interval = -1\nmax_workers = 3\n",
                      true, &cfg, &error), 0);
    CHECK(cfg.listen_tcp);
    CHECK_INT_EQ(cfg.tcp_port, 16600);
    CHECK_STR_EQ(cfg.listen_addr, "::1");
    CHECK_STR_EQ(cfg.unix_sock_dir, "/tmp/root/run/x");
    CHECK_INT_EQ(cfg.unix_sock_ro_perms, 0770);
    CHECK_INT_EQ(cfg.unix_sock_rw_perms, 0600);
    CHECK_INT_EQ(cfg.max_clients, 7);
    CHECK_INT_EQ(cfg.keepalive_interval, -1);
    proxy_config_clear(&cfg);
}

static void
test_refused(void)
{
    ProxyConfig cfg;
    Error error = ERROR_INIT;

    /* libvirt's default auth_tcp is sasl: listening on TCP needs "none". */
    CHECK_INT_EQ(load("listen_tcp = 1\n", true, &cfg, &error), -ENOTSUP);
    CHECK_INT_EQ(error.code, VIR_ERR_CONFIG_UNSUPPORTED);
    CHECK(error.message && strstr(error.message, "auth_tcp = 'sasl' is not supported"));
    error_clear(&error);
    /* Not listening (no -l): auth_tcp does not matter. */
    CHECK_INT_EQ(load("listen_tcp = 1\n", false, &cfg, &error), 0);
    proxy_config_clear(&cfg);
    CHECK_INT_EQ(load("auth_unix_rw = \"polkit\"\n", false, &cfg, &error), -ENOTSUP);
    CHECK(error.message && strstr(error.message, "auth_unix_rw = 'polkit'"));
    error_clear(&error);
    CHECK_INT_EQ(load("auth_unix_ro = \"sasl\"\n", false, &cfg, &error), -ENOTSUP);
    error_clear(&error);
    CHECK_INT_EQ(load("unix_sock_rw_perms = \"rw\"\n", false, &cfg, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_CONF_SYNTAX);
    error_clear(&error);
    CHECK_INT_EQ(load("tcp_port = 70000\n", false, &cfg, &error), -EINVAL);
    error_clear(&error);
    CHECK_INT_EQ(load("tcp_port = \"16x\"\n", false, &cfg, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_CONF_SYNTAX);
    error_clear(&error);
    /* libvirtd.conf's own form: the port as a string. */
    CHECK_INT_EQ(load("tcp_port = \"16700\"\n", false, &cfg, &error), 0);
    CHECK_INT_EQ(cfg.tcp_port, 16700);
    proxy_config_clear(&cfg);
    CHECK_INT_EQ(load("max_clients = 0\n", false, &cfg, &error), -EINVAL);
    error_clear(&error);
}

static void
test_paths(void)
{
    const uint8_t uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                               0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
    uint8_t back[16];
    char *path = mirror_domain_path(uuid);

    CHECK_STR_EQ(path, "/org/libvirt/QEMU/domain/_12345678_9abc_def0_0123_456789abcdef");
    CHECK_INT_EQ(mirror_path_uuid(path, back), 0);
    CHECK(memcmp(uuid, back, 16) == 0);
    CHECK(mirror_path_has_prefix(path, "domain"));
    CHECK(!mirror_path_has_prefix(path, "network"));
    CHECK_INT_EQ(mirror_path_uuid("/org/libvirt/QEMU/domain/_12", back), -EINVAL);
    CHECK_INT_EQ(mirror_path_uuid("/org/libvirt/QEMU", back), -EINVAL);
    free(path);
}

int
main(void)
{
    test_defaults();
    test_values();
    test_refused();
    test_paths();
    return test_result();
}
