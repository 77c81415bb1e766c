/* virtproxyd.conf: libvirtd.conf's keys for listeners, auth and limits. */
#pragma once

#include <stdbool.h>

#include "conf.h"
#include "error.h"

typedef struct ProxyConfig {
    bool listen_tcp;            /* listen_tcp, default 0 */
    unsigned tcp_port;          /* tcp_port, default 16509 */
    char *listen_addr;          /* listen_addr, default "127.0.0.1" */
    char *unix_sock_dir;        /* unix_sock_dir, default <root>/run/libvirt */
    char *unix_sock_group;      /* unix_sock_group, NULL: keep root's group */
    unsigned unix_sock_ro_perms; /* "0777" */
    unsigned unix_sock_rw_perms; /* "0700" */
    char *auth_unix_ro;         /* "none" unless set */
    char *auth_unix_rw;         /* "none" unless set */
    char *auth_tcp;             /* "sasl", libvirt's default */
    unsigned max_clients;       /* 5000 */
    int keepalive_interval;     /* 5; -1 = never ping */
    unsigned keepalive_count;   /* 5 */
    unsigned max_client_requests; /* 5 calls in flight per client */
} ProxyConfig;

/* Reads @conf (unknown keys are ignored, as are max_workers and the other
 * thread pool keys: the proxy has no thread pool). A relative unix_sock_dir
 * or one given in the file is taken under @root, like every path here.
 * Refuses an auth setting that is not implemented, rather than let clients
 * in unauthenticated: unix sockets accept "none" only (polkit and sasl are
 * not implemented); TCP, when @listen_tcp_wanted (-l given and listen_tcp
 * = 1), needs auth_tcp = "none" because libvirt's default is "sasl".
 * Errors: VIR_ERR_CONF_SYNTAX for a bad value, VIR_ERR_CONFIG_UNSUPPORTED for
 * an auth setting that is not implemented. */
int proxy_config_load(const Conf *conf, const char *root, bool listen_flag, ProxyConfig *ret,
                      Error *error);
void proxy_config_clear(ProxyConfig *cfg);
