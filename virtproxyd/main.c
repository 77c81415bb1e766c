/* virtproxyd: the libvirt RPC endpoint (libvirt-sock, libvirt-sock-ro, TCP)
 * in front of the daemons on D-Bus, and on org.libvirt the libvirt-dbus
 * facade that routes every D-Bus call and signal to and from its owner. */
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"
#include "dbus_facade.h"
#include "log.h"
#include "proxy.h"

static Proxy proxy;
static DbusFacade *facade;

static void
on_owner(MirrorService *svc, bool present, void *userdata)
{
    log_debug("%s is %s", svc->bus_name, present ? "mirrored" : "gone");
}

static int
proxyd_init(Daemon *d, Error *error)
{
    int r;

    proxy.daemon = d;
    proxy.loop = d->loop;
    proxy.bus = d->bus;
    r = proxy_config_load(d->conf, d->root, d->listen, &proxy.cfg, error);
    if (r < 0)
        return r;
    r = mirror_new(d->bus, proxy_events_signal, on_owner, &proxy, &proxy.mirror, error);
    if (r < 0)
        return r;
    r = dbus_facade_new(d->bus, d->loop, &facade, error);
    if (r < 0)
        return r;
    /* Listeners come last: a client that connects finds the mirror on its
     * way. They exist before the name is requested, so "-d returned" means
     * the sockets are there. */
    r = proxy_listen(&proxy, error);
    if (r < 0)
        return r;
    d->userdata = &proxy;
    return 0;
}

static bool
proxyd_busy(Daemon *d)
{
    return proxy.n_clients > 0;
}

static void
proxyd_stop(Daemon *d)
{
    dbus_facade_free(steal_ptr(facade));
    proxy.stopping = true;
    if (proxy.spin.data)
        uv_close((uv_handle_t *) &proxy.spin, NULL);
    proxy_close_listeners(&proxy);
    while (proxy.clients)
        client_close(proxy.clients, NULL);
}

static const DaemonSpec proxyd_spec = {
    .name = "virtproxyd",
    .bus_name = "org.libvirt",
    .conf_name = "virtproxyd.conf",
    .has_listen = true,
    .init = proxyd_init,
    .busy = proxyd_busy,
    .stop = proxyd_stop,
};

int
main(int argc, char **argv)
{
    int r = daemon_main(&proxyd_spec, argc, argv);

    mirror_free(proxy.mirror);
    proxy_config_clear(&proxy.cfg);
    return r;
}
