/* virtproxyd.conf: libvirtd.conf's keys for listeners, auth and limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "proxy_conf.h"

static int
get_string(const Conf *conf, const char *key, const char *def, char **ret, Error *error)
{
    const char *v = def;
    int r;

    r = conf_get_string(conf, key, &v, error);
    if (r < 0)
        return r;
    *ret = v ? xstrdup(v) : NULL;
    return 0;
}

/* "0777" as libvirt writes it: an octal string. */
static int
get_perms(const Conf *conf, const char *key, unsigned def, unsigned *ret, Error *error)
{
    const char *v = NULL;
    char *end;
    unsigned long p;
    int r;

    r = conf_get_string(conf, key, &v, error);
    if (r < 0)
        return r;
    if (!v) {
        *ret = def;
        return 0;
    }
    errno = 0;
    p = strtoul(v, &end, 8);
    if (errno || end == v || *end || p > 07777)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "configuration value '%s' for '%s' is not an octal mode", v, key);
    *ret = p;
    return 0;
}

static int
check_unix_auth(const char *key, const char *value, Error *error)
{
    if (STREQ(value, "none"))
        return 0;
    return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                     "%s = '%s' is not supported by virtproxyd (only 'none' is implemented, "
                     "with the socket permissions as the only access control)", key, value);
}

/* libvirtd.conf writes the port as a string (tcp_port = "16509"); a bare
 * number is taken too. */
static int
get_port(const Conf *conf, unsigned *ret, Error *error)
{
    Error as_string = ERROR_INIT;
    const char *s = NULL;
    char *end;
    unsigned long v;

    if (conf_get_string(conf, "tcp_port", &s, &as_string) < 0) {
        error_clear(&as_string);
        return conf_get_uint(conf, "tcp_port", ret, error);
    }
    if (!s)
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > 65535)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "configuration value 'tcp_port' must be a port number, not '%s'", s);
    *ret = (unsigned) v;
    return 0;
}

int
proxy_config_load(const Conf *conf, const char *root, bool listen_flag, ProxyConfig *ret,
                  Error *error)
{
    ProxyConfig cfg = {
        .tcp_port = 16509,
        .unix_sock_ro_perms = 0777,
        .unix_sock_rw_perms = 0700,
        .max_clients = 5000,
        .keepalive_interval = 5,
        .keepalive_count = 5,
        .max_client_requests = 5,
    };
    long long ka = 5;
    auto_cleanup(free_ptr) char *dir = NULL;
    int r;

    r = conf_get_bool(conf, "listen_tcp", &cfg.listen_tcp, error);
    if (r >= 0)
        r = get_port(conf, &cfg.tcp_port, error);
    if (r >= 0 && (cfg.tcp_port == 0 || cfg.tcp_port > 65535))
        r = error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                      "configuration value 'tcp_port' must be between 1 and 65535, not '%u'",
                      cfg.tcp_port);
    if (r >= 0)
        r = get_string(conf, "listen_addr", "127.0.0.1", &cfg.listen_addr, error);
    if (r >= 0)
        r = get_string(conf, "unix_sock_dir", NULL, &dir, error);
    if (r >= 0)
        r = get_string(conf, "unix_sock_group", NULL, &cfg.unix_sock_group, error);
    if (r >= 0)
        r = get_perms(conf, "unix_sock_ro_perms", 0777, &cfg.unix_sock_ro_perms, error);
    if (r >= 0)
        r = get_perms(conf, "unix_sock_rw_perms", 0700, &cfg.unix_sock_rw_perms, error);
    if (r >= 0)
        r = get_string(conf, "auth_unix_ro", "none", &cfg.auth_unix_ro, error);
    if (r >= 0)
        r = get_string(conf, "auth_unix_rw", "none", &cfg.auth_unix_rw, error);
    if (r >= 0)
        r = get_string(conf, "auth_tcp", "sasl", &cfg.auth_tcp, error);
    if (r >= 0)
        r = conf_get_uint(conf, "max_clients", &cfg.max_clients, error);
    if (r >= 0)
        r = conf_get_int(conf, "keepalive_interval", &ka, error);
    if (r >= 0)
        r = conf_get_uint(conf, "keepalive_count", &cfg.keepalive_count, error);
    if (r >= 0)
        r = conf_get_uint(conf, "max_client_requests", &cfg.max_client_requests, error);
    if (r >= 0 && (ka < -1 || ka > 3600))
        r = error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                      "configuration value 'keepalive_interval' must be between -1 and 3600, "
                      "not '%lld'", ka);
    if (r >= 0 && cfg.max_clients == 0)
        r = error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                      "configuration value 'max_clients' must be at least 1");
    if (r >= 0 && cfg.max_client_requests == 0)
        cfg.max_client_requests = 1;
    if (r >= 0)
        r = check_unix_auth("auth_unix_rw", cfg.auth_unix_rw, error);
    if (r >= 0)
        r = check_unix_auth("auth_unix_ro", cfg.auth_unix_ro, error);
    if (r >= 0 && listen_flag && cfg.listen_tcp && !STREQ(cfg.auth_tcp, "none"))
        r = error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                      "auth_tcp = '%s' is not supported by virtproxyd: set auth_tcp = \"none\" "
                      "to accept TCP clients without authentication, or do not listen on TCP",
                      cfg.auth_tcp);
    if (r < 0) {
        proxy_config_clear(&cfg);
        return r;
    }
    cfg.keepalive_interval = ka;
    cfg.unix_sock_dir = daemon_path_join(root, dir ? dir : "/run/libvirt");
    *ret = cfg;
    return 0;
}

void
proxy_config_clear(ProxyConfig *cfg)
{
    free(cfg->listen_addr);
    free(cfg->unix_sock_dir);
    free(cfg->unix_sock_group);
    free(cfg->auth_unix_ro);
    free(cfg->auth_unix_rw);
    free(cfg->auth_tcp);
    memset(cfg, 0, sizeof(*cfg));
}
