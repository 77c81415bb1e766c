/* Listeners: libvirt-sock (read-write), libvirt-sock-ro (read-only), TCP
 * with -l, or whatever systemd passed (socket activation). */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "fileutil.h"
#include "log.h"
#include "proxy.h"

static void
on_refused_closed(uv_handle_t *h)
{
    free(h->data);
}

static void
on_connection(uv_stream_t *server, int status)
{
    Listener *l = server->data;
    Proxy *proxy = l->proxy;
    Client *c;
    int r;

    if (status < 0) {
        log_warn("cannot accept a connection: %s", uv_strerror(status));
        return;
    }
    c = client_new(proxy, l->readonly, l->tcp);
    if (l->tcp)
        r = uv_tcp_init(proxy->loop, &c->h.tcp);
    else
        r = uv_pipe_init(proxy->loop, &c->h.pipe, 0);
    if (r < 0) {
        free(c);
        return;
    }
    c->h.handle.data = c;
    r = uv_accept(server, &c->h.stream);
    if (r >= 0 && proxy->n_clients >= proxy->cfg.max_clients) {
        log_warn("client refused: max_clients (%u) reached", proxy->cfg.max_clients);
        r = -EMFILE;
    }
    if (r >= 0 && proxy->stopping)
        r = -ESHUTDOWN;
    if (r < 0) {
        /* Not in the client list: closing drops the only reference. */
        c->closed = true;
        uv_close(&c->h.handle, on_refused_closed);
        return;
    }
    if (l->tcp)
        uv_tcp_nodelay(&c->h.tcp, 1);
    log_debug("client %u connected on %s%s", c->id, l->tcp ? "tcp" : "unix",
              l->readonly ? " (read-only)" : "");
    client_start(proxy, c);
}

static Listener *
listener_new(Proxy *proxy, bool readonly, bool tcp)
{
    Listener *l = xcalloc(1, sizeof(*l));

    l->proxy = proxy;
    l->readonly = readonly;
    l->tcp = tcp;
    return l;
}

static void
listener_add(Proxy *proxy, Listener *l)
{
    l->h.handle.data = l;
    proxy->listeners[proxy->n_listeners++] = l;
}

static int
listen_unix(Proxy *proxy, const char *name, bool readonly, unsigned mode, Error *error)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", proxy->cfg.unix_sock_dir, name);
    Listener *l;
    int r;

    r = mkdir_p(proxy->cfg.unix_sock_dir, 0755, error);
    if (r < 0)
        return r;
    /* A socket file left by a daemon that died: nobody listens on it. */
    if (unlink(path) < 0 && errno != ENOENT)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot remove the old socket '%s'", path);
    l = listener_new(proxy, readonly, false);
    uv_pipe_init(proxy->loop, &l->h.pipe, 0);
    listener_add(proxy, l);
    r = uv_pipe_bind(&l->h.pipe, path);
    if (r < 0)
        return error_set(error, r, VIR_ERR_SYSTEM_ERROR, "cannot bind the socket '%s': %s",
                         path, uv_strerror(r));
    l->path = xstrdup(path);
    if (chmod(path, mode) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot set the permissions of '%s'", path);
    if (proxy->cfg.unix_sock_group) {
        struct group *g = getgrnam(proxy->cfg.unix_sock_group);
        if (!g)
            return error_set(error, -ENOENT, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unix_sock_group '%s' is not a group on this host",
                             proxy->cfg.unix_sock_group);
        if (chown(path, -1, g->gr_gid) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot give '%s' to group '%s'", path,
                                   proxy->cfg.unix_sock_group);
    }
    r = uv_listen(&l->h.stream, 128, on_connection);
    if (r < 0)
        return error_set(error, r, VIR_ERR_SYSTEM_ERROR, "cannot listen on '%s': %s", path,
                         uv_strerror(r));
    log_info("listening on %s%s", path, readonly ? " (read-only)" : "");
    return 0;
}

static int
listen_tcp(Proxy *proxy, Error *error)
{
    const char *addr = proxy->cfg.listen_addr;
    struct sockaddr_storage ss;
    Listener *l;
    int r;

    if (strchr(addr, ':'))
        r = uv_ip6_addr(addr, proxy->cfg.tcp_port, (struct sockaddr_in6 *) &ss);
    else
        r = uv_ip4_addr(addr, proxy->cfg.tcp_port, (struct sockaddr_in *) &ss);
    if (r < 0)
        return error_set(error, r, VIR_ERR_CONF_SYNTAX,
                         "listen_addr '%s' is not an IP address", addr);
    l = listener_new(proxy, false, true);
    uv_tcp_init(proxy->loop, &l->h.tcp);
    listener_add(proxy, l);
    r = uv_tcp_bind(&l->h.tcp, (struct sockaddr *) &ss, 0);
    if (r >= 0)
        r = uv_listen(&l->h.stream, 128, on_connection);
    if (r < 0)
        return error_set(error, r, VIR_ERR_SYSTEM_ERROR, "cannot listen on %s:%u: %s", addr,
                         proxy->cfg.tcp_port, uv_strerror(r));
    log_info("listening on tcp %s:%u", addr, proxy->cfg.tcp_port);
    return 0;
}

/* The sockets systemd passed: by name (the .socket unit's name, as libvirt's
 * units are called) or else by position: rw, ro, tcp. */
static int
listen_activated(Proxy *proxy, int n, char **names, Error *error)
{
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        const char *name = names ? names[i] : NULL;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        bool tcp, readonly;
        Listener *l;
        int r;

        if (getsockname(fd, (struct sockaddr *) &ss, &sl) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot inspect the activated socket %d", fd);
        tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
        if (name && STREQ(name, "virtproxyd-ro.socket"))
            readonly = true;
        else if (name && (STREQ(name, "virtproxyd.socket") ||
                          STREQ(name, "virtproxyd-tcp.socket")))
            readonly = false;
        else
            readonly = !tcp && i == 1;
        l = listener_new(proxy, readonly, tcp);
        if (tcp) {
            uv_tcp_init(proxy->loop, &l->h.tcp);
            r = uv_tcp_open(&l->h.tcp, fd);
        } else {
            uv_pipe_init(proxy->loop, &l->h.pipe, 0);
            r = uv_pipe_open(&l->h.pipe, fd);
        }
        listener_add(proxy, l);
        if (r >= 0)
            r = uv_listen(&l->h.stream, 128, on_connection);
        if (r < 0)
            return error_set(error, r, VIR_ERR_SYSTEM_ERROR,
                             "cannot listen on the activated socket %d (%s): %s", fd,
                             name ? name : "unnamed", uv_strerror(r));
        log_info("listening on activated socket %d (%s)%s", fd, name ? name : "unnamed",
                 readonly ? " (read-only)" : "");
        if (proxy->n_listeners == ARRAY_SIZE(proxy->listeners))
            break;
    }
    return 0;
}

int
proxy_listen(Proxy *proxy, Error *error)
{
    char **names = NULL;
    int n, r;

    n = sd_listen_fds_with_names(true, &names);
    if (n > 0) {
        r = listen_activated(proxy, n, names, error);
        for (int i = 0; names && i < n; i++)
            free(names[i]);
        free(names);
        return r;
    }
    r = listen_unix(proxy, "libvirt-sock", false, proxy->cfg.unix_sock_rw_perms, error);
    if (r >= 0)
        r = listen_unix(proxy, "libvirt-sock-ro", true, proxy->cfg.unix_sock_ro_perms, error);
    if (r >= 0 && proxy->daemon->listen && proxy->cfg.listen_tcp)
        r = listen_tcp(proxy, error);
    return r;
}

static void
on_listener_closed(uv_handle_t *h)
{
    Listener *l = h->data;

    free(l->path);
    free(l);
}

void
proxy_close_listeners(Proxy *proxy)
{
    for (size_t i = 0; i < proxy->n_listeners; i++) {
        Listener *l = proxy->listeners[i];
        if (l->path)
            unlink(l->path);
        uv_close(&l->h.handle, on_listener_closed);
    }
    proxy->n_listeners = 0;
}
