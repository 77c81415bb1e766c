/* Metadata and tuning: each procedure is one call to virtqemud's
 * org.libvirt.Domain with libvirt-dbus's signature; typed parameters travel
 * as a{sv} (proxy_params.c). libvirt-dbus has no NULL string: "" stands for
 * it, as libvirt-dbus reads it. */
#include <errno.h>

#include "proxy.h"

#define DOM_IFACE "org.libvirt.Domain"

static const char *
opt_str(remote_string s)
{
    return s ? *s : "";
}

/* ---- metadata, title and description ----------------------------------- */

static int
h_set_metadata(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_metadata_args *args = args_;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "SetMetadata", NULL, error,
                          "isssu", args->type, opt_str(args->metadata), opt_str(args->key),
                          opt_str(args->uri), args->flags);
}

static int
metadata_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_metadata_ret *ret = ret_;
    const char *s;
    int r = sd_bus_message_read(reply, "s", &s);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the metadata of a domain");
    ret->metadata = xstrdup(s);
    return 0;
}

static int
h_get_metadata(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_metadata_args *args = args_;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetMetadata", metadata_reply,
                          error, "isu", args->type, opt_str(args->uri), args->flags);
}

const ProcDef tuning_procs[] = {
    PROC_A(REMOTE_PROC_DOMAIN_SET_METADATA, domain_set_metadata, h_set_metadata),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_METADATA, domain_get_metadata, h_get_metadata),
    { 0 },
};
