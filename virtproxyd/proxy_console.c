/* A domain's console, channels, screen and keys: OpenConsole, OpenChannel
 * and Screenshot are streams over the descriptor virtqemud answers with
 * (org.virtstack.DomainState); SendKey and InjectNMI are libvirt-dbus's
 * calls on org.libvirt.Domain. */
#include <errno.h>

#include "proxy.h"

#define DOM_IFACE "org.libvirt.Domain"
#define STATE_IFACE "org.virtstack.DomainState"

/* ---- streams ------------------------------------------------------------- */

static int
duplex_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    return proxy_stream_from_reply(call, reply, PROXY_STREAM_DUPLEX, error);
}

static int
h_open_console(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_open_console_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "OpenConsole", duplex_reply,
                          error, "su", proxy_opt_str(args->dev_name), args->flags);
}

static int
h_open_channel(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_open_channel_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "OpenChannel", duplex_reply,
                          error, "su", proxy_opt_str(args->name), args->flags);
}

static int
screenshot_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_screenshot_ret *ret = ret_;
    const char *mime;
    int r = sd_bus_message_read_basic(reply, 's', &mime);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the screenshot's type");
    ret->mime = proxy_opt_string(mime);
    return proxy_stream_from_reply(call, reply, PROXY_STREAM_DOWNLOAD, error);
}

static int
h_screenshot(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_screenshot_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "Screenshot",
                          screenshot_reply, error, "uu", args->screen, args->flags);
}

/* ---- keys and the NMI ---------------------------------------------------- */

static int
h_send_key(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_send_key_args *args = args_;
    sd_bus_message *m = NULL;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    r = proxy_bus_new_call(call, obj->svc, obj->path, DOM_IFACE, "SendKey", &m, error);
    if (r < 0)
        return r;
    if ((r = sd_bus_message_append(m, "uu", args->codeset, args->holdtime)) < 0 ||
        (r = sd_bus_message_append_array(m, 'u', args->keycodes.keycodes_val,
                                         args->keycodes.keycodes_len * sizeof(uint32_t))) < 0 ||
        (r = sd_bus_message_append(m, "u", args->flags)) < 0)
        r = error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "%s", "cannot build SendKey");
    else
        r = proxy_bus_send(call, obj->svc, m, NULL, error);
    sd_bus_message_unref(m);
    return r;
}

static int
h_inject_nmi(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_inject_nmi_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "InjectNMI", NULL, error, "u",
                          args->flags);
}

const ProcDef console_procs[] = {
    PROC_A(REMOTE_PROC_DOMAIN_OPEN_CONSOLE, domain_open_console, h_open_console),
    PROC_A(REMOTE_PROC_DOMAIN_OPEN_CHANNEL, domain_open_channel, h_open_channel),
    PROC_AR(REMOTE_PROC_DOMAIN_SCREENSHOT, domain_screenshot, h_screenshot),
    PROC_A(REMOTE_PROC_DOMAIN_SEND_KEY, domain_send_key, h_send_key),
    PROC_A(REMOTE_PROC_DOMAIN_INJECT_NMI, domain_inject_nmi, h_inject_nmi),
    { 0 },
};
