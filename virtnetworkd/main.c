/* virtnetworkd: virtual networks (bridge, dnsmasq, nftables), served on
 * org.libvirt.network. */
#include "daemon.h"
#include "log.h"
#include "network_bus.h"

static NetworkBus network_bus;

static int
networkd_init(Daemon *d, Error *error)
{
    NetworkDriverConfig cfg = {
        .root = d->root,
        .loop = d->loop,
        .hooks = &network_bus_hooks,
        .hooks_userdata = &network_bus,
    };
    int r;

    network_bus.bus = d->bus;
    r = network_bus_register(&network_bus, error);
    if (r < 0)
        return r;
    /* Loading adopts running networks; nobody listens yet, so nothing is
     * announced until the driver exists. */
    r = network_driver_new(&cfg, &network_bus.drv, error);
    if (r < 0)
        return r;
    d->userdata = &network_bus;
    return 0;
}

static void
networkd_ready(Daemon *d)
{
    network_driver_autostart(network_bus.drv);
}

static bool
networkd_busy(Daemon *d)
{
    return network_bus.drv && network_driver_has_active(network_bus.drv);
}

static void
networkd_stop(Daemon *d)
{
    /* Networks outlive the daemon: bridges, rules and dnsmasq stay. */
    network_driver_free(steal_ptr(network_bus.drv));
}

static const DaemonSpec networkd_spec = {
    .name = "virtnetworkd",
    .bus_name = "org.libvirt.network",
    .conf_name = "virtnetworkd.conf",
    .init = networkd_init,
    .ready = networkd_ready,
    .busy = networkd_busy,
    .stop = networkd_stop,
};

int
main(int argc, char **argv)
{
    return daemon_main(&networkd_spec, argc, argv);
}
