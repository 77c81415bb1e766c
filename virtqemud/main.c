/* virtqemud: domains, run by QEMU, served on org.libvirt.qemu. */
#include "daemon.h"
#include "log.h"
#include "qemu_bus.h"

static QemuBus qemu_bus;

static int
qemud_init(Daemon *d, Error *error)
{
    QemuDriverConfig cfg = {
        .root = d->root,
        .loop = d->loop,
        .bus = d->bus,
        .hooks = qemu_bus_hooks,
        .hooks_userdata = &qemu_bus,
    };
    int r;

    qemu_bus.bus = d->bus;
    r = qemu_bus_register(&qemu_bus, error);
    if (r < 0)
        return r;
    /* Loading reconnects to running guests; nobody can listen yet, so the
     * objects it finds are not announced one by one. */
    r = qemu_driver_new(&cfg, &qemu_bus.drv, error);
    if (r < 0)
        return r;
    qemu_bus.announce = true;
    d->userdata = &qemu_bus;
    return 0;
}

static void
qemud_ready(Daemon *d)
{
    qemu_driver_autostart(qemu_bus.drv);
}

static bool
qemud_busy(Daemon *d)
{
    return qemu_bus.drv && qemu_driver_has_active(qemu_bus.drv);
}

static void
qemud_stop(Daemon *d)
{
    /* Guests outlive the daemon: only our side of them is closed. */
    qemu_driver_free(steal_ptr(qemu_bus.drv));
}

static const DaemonSpec qemud_spec = {
    .name = "virtqemud",
    .bus_name = "org.libvirt.qemu",
    .conf_name = "virtqemud.conf",
    .init = qemud_init,
    .ready = qemud_ready,
    .busy = qemud_busy,
    .stop = qemud_stop,
};

int
main(int argc, char **argv)
{
    return daemon_main(&qemud_spec, argc, argv);
}
