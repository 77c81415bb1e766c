/* virtstoraged: directory storage pools and their volumes, served on
 * org.libvirt.storage. */
#include "daemon.h"
#include "log.h"
#include "storage_bus.h"

static StorageBus storage_bus;

static int
storaged_init(Daemon *d, Error *error)
{
    StorageDriverConfig cfg = {
        .root = d->root,
        .loop = d->loop,
        .hooks = &storage_bus_hooks,
        .hooks_userdata = &storage_bus,
    };
    int r;

    storage_bus.bus = d->bus;
    /* The objects are found through the driver: it exists before the bus
     * can route a call (the name is requested after init). */
    r = storage_driver_new(&cfg, &storage_bus.drv, error);
    if (r < 0)
        return r;
    r = storage_bus_register(&storage_bus, error);
    if (r < 0)
        return r;
    d->userdata = &storage_bus;
    return 0;
}

static void
storaged_ready(Daemon *d)
{
    storage_driver_autostart(storage_bus.drv);
}

static bool
storaged_busy(Daemon *d)
{
    return storage_bus.drv && storage_driver_busy(storage_bus.drv);
}

static void
storaged_stop(Daemon *d)
{
    /* Jobs still on the worker pool would touch the driver when done: the
     * loop stops before they could, and the process exits after this. */
    if (!storage_driver_busy(storage_bus.drv))
        storage_driver_free(steal_ptr(storage_bus.drv));
}

static const DaemonSpec storaged_spec = {
    .name = "virtstoraged",
    .bus_name = "org.libvirt.storage",
    .conf_name = "virtstoraged.conf",
    .init = storaged_init,
    .ready = storaged_ready,
    .busy = storaged_busy,
    .stop = storaged_stop,
};

int
main(int argc, char **argv)
{
    return daemon_main(&storaged_spec, argc, argv);
}
