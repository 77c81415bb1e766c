/* virConnectDomainXMLToNative: the QEMU command line a definition would
 * start with, made as a start makes it (post-parse, addresses, aliases)
 * but with nothing of the host's taken: no tap, no port, no folder; the
 * monitor and pid file are where a domain with id -1 would have them. */
#include <errno.h>
#include <string.h>

#include "fileutil.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"

int
qemu_driver_xml_to_native(QemuDriver *drv, const char *format, const char *xml,
                          unsigned flags, char **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(strv_freep) char **argv = NULL, **env = NULL;
    auto_cleanup(free_ptr) char *dir = NULL, *monitor = NULL, *pidfile = NULL;
    auto_cleanup(free_ptr) int *vnc = NULL;
    QemuCommandContext ctx = { .monitor_fd = -1, .pretend = true };
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuConnectDomainXMLToNative",
                         flags);
    if (!STREQ(format, "qemu-argv"))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: unsupported config type %s", format);
    if ((r = qemu_driver_parse(drv, xml, &def, error)) < 0)
        return r;
    qemu_domain_assign_aliases(def);
    dir = xasprintf("%s/domain--1", drv->run_dir);
    monitor = xasprintf("%s/monitor.sock", dir);
    pidfile = xasprintf("%s/qemu.pid", dir);
    /* An automatic VNC port is the first one, as libvirt pretends. */
    vnc = xcalloc(def->n_graphics + 1, sizeof(*vnc));
    for (size_t i = 0; i < def->n_graphics; i++)
        vnc[i] = def->graphics[i].autoport || def->graphics[i].port < 0 ? 5900
                                                                        : def->graphics[i].port;
    ctx.monitor_path = monitor;
    ctx.pidfile = pidfile;
    ctx.channel_dir = dir;
    ctx.kvm_available = drv->kvm;
    ctx.vnc_ports = vnc;
    if ((r = qemu_command_build(def, &ctx, &argv, &env, error)) < 0)
        return r;
    *ret = qemu_command_to_string(argv, env);
    return 0;
}
