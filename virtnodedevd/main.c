/* virtnodedevd: the host's devices, read through sd-device, served on
 * org.libvirt.nodedev. */
#include "daemon.h"
#include "log.h"
#include "nodedev_bus.h"

static NodedevBus nodedev_bus;

static int
nodedevd_init(Daemon *d, Error *error)
{
    NodeDevDriverConfig cfg = {
        .loop = d->loop,
        .sysfs = "/sys",
        .hooks = nodedev_bus_hooks,
        .hooks_userdata = &nodedev_bus,
    };
    int r;

    nodedev_bus.bus = d->bus;
    r = nodedev_driver_new(&cfg, &nodedev_bus.drv, error);
    if (r < 0)
        return r;
    r = nodedev_bus_register(&nodedev_bus, error);
    if (r < 0)
        return r;
    d->userdata = &nodedev_bus;
    return 0;
}

static void
nodedevd_stop(Daemon *d)
{
    nodedev_driver_free(steal_ptr(nodedev_bus.drv));
}

static const DaemonSpec nodedevd_spec = {
    .name = "virtnodedevd",
    .bus_name = "org.libvirt.nodedev",
    .conf_name = "virtnodedevd.conf",
    .init = nodedevd_init,
    .stop = nodedevd_stop,
};

int
main(int argc, char **argv)
{
    return daemon_main(&nodedevd_spec, argc, argv);
}
