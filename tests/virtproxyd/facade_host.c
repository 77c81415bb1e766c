/* Hosts the D-Bus facade (virtproxyd/dbus_facade.c) on its own, owning
 * org.libvirt, for tests/virtproxyd/test_dbus_facade.py: the daemon skeleton
 * (-d, --bus, --root, -p) around dbus_facade_new() and dbus_facade_free(),
 * as virtproxyd does. */
#include "daemon.h"
#include "dbus_facade.h"

static DbusFacade *facade;

static int
host_init(Daemon *d, Error *error)
{
    return dbus_facade_new(d->bus, d->loop, &facade, error);
}

static void
host_stop(Daemon *d)
{
    dbus_facade_free(steal_ptr(facade));
}

static const DaemonSpec host_spec = {
    .name = "facade_host",
    .bus_name = "org.libvirt",
    .init = host_init,
    .stop = host_stop,
};

int
main(int argc, char **argv)
{
    return daemon_main(&host_spec, argc, argv);
}
