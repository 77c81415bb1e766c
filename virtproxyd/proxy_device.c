/* Live devices: attach, detach, update and detach-by-alias, each one call to
 * virtqemud. The old entry points (virDomainAttachDevice,
 * virDomainDetachDevice) are the flags ones with VIR_DOMAIN_AFFECT_LIVE, as
 * in libvirt's QEMU driver. The events they raise (DEVICE_ADDED,
 * DEVICE_REMOVED, DEVICE_REMOVAL_FAILED) come back as signals and are sent
 * from proxy_events.c. */
#include <errno.h>

#include "proxy.h"

#define DOM_IFACE "org.libvirt.Domain"
#define STATE_IFACE "org.virtstack.DomainState"

/* Every procedure here is (domain, string, flags) on the wire. */
static int
device_call(Call *call, void *args, const char *iface, const char *member, const char *s,
            unsigned flags, Error *error)
{
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, iface, member, NULL, error, "su", s,
                          flags);
}

static int
h_attach_device(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_attach_device_args *args = args_;

    return device_call(call, args, DOM_IFACE, "AttachDevice", args->xml, DOMAIN_AFFECT_LIVE,
                       error);
}

static int
h_attach_device_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_attach_device_flags_args *args = args_;

    return device_call(call, args, DOM_IFACE, "AttachDevice", args->xml, args->flags, error);
}

static int
h_detach_device(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_detach_device_args *args = args_;

    return device_call(call, args, DOM_IFACE, "DetachDevice", args->xml, DOMAIN_AFFECT_LIVE,
                       error);
}

static int
h_detach_device_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_detach_device_flags_args *args = args_;

    return device_call(call, args, DOM_IFACE, "DetachDevice", args->xml, args->flags, error);
}

static int
h_update_device_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_update_device_flags_args *args = args_;

    return device_call(call, args, DOM_IFACE, "UpdateDevice", args->xml, args->flags, error);
}

static int
h_detach_device_alias(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_detach_device_alias_args *args = args_;

    /* libvirt-dbus has no DetachDeviceAlias: it is virtqemud's own. */
    return device_call(call, args, STATE_IFACE, "DetachDeviceAlias", args->alias, args->flags,
                       error);
}

const ProcDef device_procs[] = {
    PROC_A(REMOTE_PROC_DOMAIN_ATTACH_DEVICE, domain_attach_device, h_attach_device),
    PROC_A(REMOTE_PROC_DOMAIN_ATTACH_DEVICE_FLAGS, domain_attach_device_flags,
           h_attach_device_flags),
    PROC_A(REMOTE_PROC_DOMAIN_DETACH_DEVICE, domain_detach_device, h_detach_device),
    PROC_A(REMOTE_PROC_DOMAIN_DETACH_DEVICE_FLAGS, domain_detach_device_flags,
           h_detach_device_flags),
    PROC_A(REMOTE_PROC_DOMAIN_UPDATE_DEVICE_FLAGS, domain_update_device_flags,
           h_update_device_flags),
    PROC_A(REMOTE_PROC_DOMAIN_DETACH_DEVICE_ALIAS, domain_detach_device_alias,
           h_detach_device_alias),
    { 0 },
};
