/* The guest agent's procedures, each one call to virtqemud: libvirt-dbus's
 * methods on org.libvirt.Domain, and on org.virtstack.DomainState what
 * libvirt-dbus lacks (AgentSetResponseTimeout, GetGuestInfo, and the QEMU
 * program's virDomainQemuAgentCommand and virDomainQemuMonitorCommand). */
#include <errno.h>
#include <string.h>

#include "fileutil.h"
#include "proxy.h"

#define DOM_IFACE "org.libvirt.Domain"
#define STATE_IFACE "org.virtstack.DomainState"

static int
bad_reply(Error *error, int r, const char *what)
{
    return error_set_errno(error, r, VIR_ERR_RPC, "cannot read %s from virtqemud", what);
}

/* ---- hostname and time -------------------------------------------------- */

static int
hostname_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_hostname_ret *ret = ret_;
    const char *name;
    int r = sd_bus_message_read(reply, "s", &name);

    if (r < 0)
        return bad_reply(error, r, "the hostname");
    ret->hostname = xstrdup(name);
    return 0;
}

static int
h_get_hostname(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_hostname_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetHostname", hostname_reply,
                          error, "u", args->flags);
}

static int
time_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_time_ret *ret = ret_;
    uint64_t seconds;
    uint32_t nseconds;
    int r = sd_bus_message_read(reply, "(tu)", &seconds, &nseconds);

    if (r < 0)
        return bad_reply(error, r, "the time");
    ret->seconds = (int64_t) seconds;
    ret->nseconds = nseconds;
    return 0;
}

static int
h_get_time(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_time_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetTime", time_reply, error,
                          "u", args->flags);
}

static int
h_set_time(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_time_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    if (args->seconds < 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Time '%lld' is too big for guest agent",
                         (long long) args->seconds);
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "SetTime", NULL, error, "tuu",
                          (uint64_t) args->seconds, args->nseconds, args->flags);
}

static int
h_set_user_password(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_user_password_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "SetUserPassword", NULL, error,
                          "ssu", proxy_opt_str(args->user), proxy_opt_str(args->password),
                          args->flags);
}

/* ---- filesystems -------------------------------------------------------- */

static int
freeze_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    /* remote_domain_fsfreeze_ret and _fsthaw_ret are both { int filesystems; }. */
    remote_domain_fsfreeze_ret *ret = ret_;
    uint32_t n;
    int r = sd_bus_message_read(reply, "u", &n);

    if (r < 0)
        return bad_reply(error, r, "the count of filesystems");
    ret->filesystems = (int) n;
    return 0;
}

static int
freeze_call(Call *call, remote_nonnull_domain *dom, const char *member, char **mounts,
            u_int n, unsigned flags, Error *error)
{
    sd_bus_message *m = NULL;
    MirrorObject *obj;
    int r = proxy_domain_find(call, dom, &obj, error);

    if (r < 0)
        return r;
    r = proxy_bus_new_call(call, obj->svc, obj->path, DOM_IFACE, member, &m, error);
    if (r < 0)
        return r;
    r = sd_bus_message_open_container(m, 'a', "s");
    for (u_int i = 0; r >= 0 && i < n; i++)
        r = sd_bus_message_append(m, "s", mounts[i]);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    if (r >= 0)
        r = sd_bus_message_append(m, "u", flags);
    if (r < 0)
        r = error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot build %s", member);
    else
        r = proxy_bus_send(call, obj->svc, m, freeze_reply, error);
    sd_bus_message_unref(m);
    return r;
}

static int
h_fsfreeze(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_fsfreeze_args *args = args_;

    return freeze_call(call, &args->dom, "FSFreeze", args->mountpoints.mountpoints_val,
                       args->mountpoints.mountpoints_len, args->flags, error);
}

static int
h_fsthaw(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_fsthaw_args *args = args_;

    return freeze_call(call, &args->dom, "FSThaw", args->mountpoints.mountpoints_val,
                       args->mountpoints.mountpoints_len, args->flags, error);
}

static int
h_fstrim(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_fstrim_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "FSTrim", NULL, error, "stu",
                          proxy_opt_str(args->mountPoint), (uint64_t) args->minimum,
                          args->flags);
}

static int
fsinfo_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_fsinfo_ret *ret = ret_;
    const char *mount, *name, *type;
    int r = sd_bus_message_enter_container(reply, 'a', "(sssas)");

    while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "sssas")) > 0) {
        remote_domain_fsinfo *fs;
        char **aliases = NULL;

        if ((r = sd_bus_message_read(reply, "sss", &mount, &name, &type)) < 0 ||
            (r = sd_bus_message_read_strv(reply, &aliases)) < 0 ||
            (r = sd_bus_message_exit_container(reply)) < 0)
            break;
        if (ret->info.info_len >= REMOTE_DOMAIN_FSINFO_MAX) {
            strv_free(aliases);
            continue;
        }
        ret->info.info_val = xrealloc(ret->info.info_val,
                                      (ret->info.info_len + 1) * sizeof(*ret->info.info_val));
        fs = &ret->info.info_val[ret->info.info_len++];
        memset(fs, 0, sizeof(*fs));
        fs->mountpoint = xstrdup(mount);
        fs->name = xstrdup(name);
        fs->fstype = xstrdup(type);
        fs->dev_aliases.dev_aliases_len = (u_int) strv_length(aliases);
        fs->dev_aliases.dev_aliases_val = aliases;
    }
    if (r < 0)
        return bad_reply(error, r, "the filesystems");
    ret->ret = ret->info.info_len;
    return 0;
}

static int
h_get_fsinfo(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_fsinfo_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "GetFSInfo", fsinfo_reply,
                          error, "u", args->flags);
}

/* ---- interface addresses ------------------------------------------------ */

static int
ifaces_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_interface_addresses_ret *ret = ret_;
    const char *name, *hw, *addr;
    int32_t type;
    uint32_t prefix;
    int r = sd_bus_message_enter_container(reply, 'a', "(ssa(isu))");

    while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssa(isu)")) > 0) {
        remote_domain_interface *iface;

        if ((r = sd_bus_message_read(reply, "ss", &name, &hw)) < 0 ||
            (r = sd_bus_message_enter_container(reply, 'a', "(isu)")) < 0)
            break;
        ret->ifaces.ifaces_val = xrealloc(
            ret->ifaces.ifaces_val, (ret->ifaces.ifaces_len + 1) * sizeof(*ret->ifaces.ifaces_val));
        iface = &ret->ifaces.ifaces_val[ret->ifaces.ifaces_len++];
        memset(iface, 0, sizeof(*iface));
        iface->name = xstrdup(name);
        iface->hwaddr = proxy_opt_string(hw);
        while ((r = sd_bus_message_read(reply, "(isu)", &type, &addr, &prefix)) > 0) {
            remote_domain_ip_addr *ip;
            iface->addrs.addrs_val =
                xrealloc(iface->addrs.addrs_val,
                         (iface->addrs.addrs_len + 1) * sizeof(*iface->addrs.addrs_val));
            ip = &iface->addrs.addrs_val[iface->addrs.addrs_len++];
            ip->type = type;
            ip->addr = xstrdup(addr);
            ip->prefix = prefix;
        }
        if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0 ||
            (r = sd_bus_message_exit_container(reply)) < 0)
            break;
    }
    if (r < 0)
        return bad_reply(error, r, "the interfaces");
    return 0;
}

static int
h_interface_addresses(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_interface_addresses_args *args = args_;
    MirrorObject *obj;
    int r;

    /* As libvirt: asking the agent is not for a read-only client. */
    if (call->client->readonly && args->source == INTERFACE_ADDRESSES_SRC_AGENT)
        return proxy_error_read_only(error, "virDomainInterfaceAddresses");
    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "InterfaceAddresses",
                          ifaces_reply, error, "uu", args->source, args->flags);
}

/* ---- guest info --------------------------------------------------------- */

static int
guest_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_guest_info_ret *ret = ret_;
    int r = proxy_params_read(reply, &ret->params.params_val, &ret->params.params_len);

    if (r < 0)
        return bad_reply(error, r, "the guest's information");
    return 0;
}

static int
h_get_guest_info(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_guest_info_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "GetGuestInfo",
                          guest_info_reply, error, "uu", args->types, args->flags);
}

/* ---- the agent itself --------------------------------------------------- */

static int
h_agent_set_response_timeout(Call *call, void *args_, void *ret_, Error *error)
{
    remote_domain_agent_set_response_timeout_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    /* The reply's result is 0: its struct starts zeroed. */
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "AgentSetResponseTimeout",
                          NULL, error, "iu", args->timeout, args->flags);
}

static int
agent_command_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    qemu_domain_agent_command_ret *ret = ret_;
    const char *text;
    int r = sd_bus_message_read(reply, "s", &text);

    if (r < 0)
        return bad_reply(error, r, "the agent's reply");
    ret->result = proxy_opt_string(text);   /* none when it did not wait */
    return 0;
}

static int
h_qemu_agent_command(Call *call, void *args_, void *ret, Error *error)
{
    qemu_domain_agent_command_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "QemuAgentCommand",
                          agent_command_reply, error, "siu", args->cmd, args->timeout,
                          args->flags);
}

const ProcDef agent_procs[] = {
    PROC_AR(REMOTE_PROC_DOMAIN_GET_HOSTNAME, domain_get_hostname, h_get_hostname),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_TIME, domain_get_time, h_get_time),
    PROC_A(REMOTE_PROC_DOMAIN_SET_TIME, domain_set_time, h_set_time),
    PROC_A(REMOTE_PROC_DOMAIN_SET_USER_PASSWORD, domain_set_user_password, h_set_user_password),
    PROC_AR(REMOTE_PROC_DOMAIN_FSFREEZE, domain_fsfreeze, h_fsfreeze),
    PROC_AR(REMOTE_PROC_DOMAIN_FSTHAW, domain_fsthaw, h_fsthaw),
    PROC_A(REMOTE_PROC_DOMAIN_FSTRIM, domain_fstrim, h_fstrim),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_FSINFO, domain_get_fsinfo, h_get_fsinfo),
    PROC_AR(REMOTE_PROC_DOMAIN_INTERFACE_ADDRESSES, domain_interface_addresses,
            h_interface_addresses),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_GUEST_INFO, domain_get_guest_info, h_get_guest_info),
    PROC_AR(REMOTE_PROC_DOMAIN_AGENT_SET_RESPONSE_TIMEOUT, domain_agent_set_response_timeout,
            h_agent_set_response_timeout),
    { 0 },
};

static int
monitor_command_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    qemu_domain_monitor_command_ret *ret = ret_;
    const char *text;
    int r = sd_bus_message_read(reply, "s", &text);

    if (r < 0)
        return bad_reply(error, r, "QEMU's reply");
    ret->result = xstrdup(text);
    return 0;
}

static int
h_qemu_monitor_command(Call *call, void *args_, void *ret, Error *error)
{
    qemu_domain_monitor_command_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "QemuMonitorCommand",
                          monitor_command_reply, error, "su", args->cmd, args->flags);
}

/* The QEMU program (libvirt-qemu): its own procedure numbers. */
const ProcDef qemu_procs[] = {
    { .proc = QEMU_PROC_DOMAIN_MONITOR_COMMAND,
      .args_proc = (xdrproc_t) xdr_qemu_domain_monitor_command_args,
      .args_size = sizeof(qemu_domain_monitor_command_args),
      .ret_proc = (xdrproc_t) xdr_qemu_domain_monitor_command_ret,
      .ret_size = sizeof(qemu_domain_monitor_command_ret),
      .handler = h_qemu_monitor_command },
    { .proc = QEMU_PROC_DOMAIN_AGENT_COMMAND,
      .args_proc = (xdrproc_t) xdr_qemu_domain_agent_command_args,
      .args_size = sizeof(qemu_domain_agent_command_args),
      .ret_proc = (xdrproc_t) xdr_qemu_domain_agent_command_ret,
      .ret_size = sizeof(qemu_domain_agent_command_ret),
      .handler = h_qemu_agent_command },
    { 0 },
};
