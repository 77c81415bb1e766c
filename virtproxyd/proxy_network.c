/* Networks: routed to org.libvirt.network (virtnetworkd), with lookups,
 * lists, autostart, activity, persistence and the bridge name answered from
 * the mirror of its org.libvirt.Network objects; definitions, XML, updates
 * and DHCP leases come from virtnetworkd. Network ports (virNetworkPort*)
 * are virtqemud's business with virtnetworkd and are not offered: they
 * answer NO_SUPPORT (a missing ProcDef). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "uuid.h"

#define NET_IFACE "org.libvirt.Network"

static void
network_from_object(const MirrorObject *obj, void *wire)
{
    remote_nonnull_network *ret = wire;

    ret->name = xstrdup(mirror_get_str(obj, NET_IFACE, "Name", ""));
    mirror_path_uuid(obj->path, (uint8_t *) ret->uuid);
}

static bool
network_matches(const MirrorObject *obj, unsigned flags)
{
    return list_filter_network(flags, mirror_get_bool(obj, NET_IFACE, "Active", false),
                               mirror_get_bool(obj, NET_IFACE, "Persistent", false),
                               mirror_get_bool(obj, NET_IFACE, "Autostart", false));
}

static const ProxyKind network_kind = {
    .svc = MIRROR_SVC_NETWORK,
    .iface = NET_IFACE,
    .path_kind = "network",
    .title = "Network",
    .noun = "network",
    .wire_noun = "network",
    .no_object = VIR_ERR_NO_NETWORK,
    .list_max = REMOTE_NETWORK_LIST_MAX,
    .list_max_name = "REMOTE_NETWORK_LIST_MAX",
    .list_flags = (NETWORK_LIST_NO_AUTOSTART << 1) - 1, /* every list flag */
    .list_all_api = "virConnectListAllNetworks",
    .wire_size = sizeof(remote_nonnull_network),
    .to_wire = network_from_object,
    .matches = network_matches,
};

/* The args of every per-network procedure begin with the network. */
static int
args_network(Call *call, void *args, MirrorObject **ret, Error *error)
{
    return proxy_kind_find(call, &network_kind, args, ret, error);
}

static int
h_get_bridge_name(Call *call, void *args, void *ret, Error *error)
{
    MirrorObject *obj;
    const char *bridge;
    int r = args_network(call, args, &obj, error);

    if (r < 0)
        return r;
    bridge = mirror_get_str(obj, NET_IFACE, "BridgeName", NULL);
    if (!bridge || !*bridge)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "network '%s' does not have a bridge name.",
                         mirror_get_str(obj, NET_IFACE, "Name", ""));
    ((remote_network_get_bridge_name_ret *) ret)->name = xstrdup(bridge);
    return 0;
}

/* ---- calls to virtnetworkd ---------------------------------------------- */

static int
path_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_NETWORK);
    MirrorObject *obj;
    const char *path;
    int r;

    r = sd_bus_message_read_basic(reply, 'o', &path);
    if (r < 0)
        return r;
    obj = mirror_find(svc, path);
    if (!obj)
        return error_set(error, -ENOENT, VIR_ERR_NO_NETWORK,
                         "Network not found: '%s' vanished before it could be answered", path);
    network_from_object(obj, ret);
    return 0;
}

static int
connect_xml_call(Call *call, const char *member, const char *xml, Error *error)
{
    MirrorService *svc = proxy_kind_present(call, &network_kind, error);

    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect", member, path_reply,
                          error, "s", xml);
}

static int
h_define_xml(Call *call, void *args, void *ret, Error *error)
{
    return connect_xml_call(call, "NetworkDefineXML",
                            ((remote_network_define_xml_args *) args)->xml, error);
}

static int
h_define_xml_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_network_define_xml_flags_args *args = args_;

    /* VALIDATE: virtnetworkd always validates. */
    if (args->flags & ~(unsigned) NETWORK_DEFINE_VALIDATE)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNetworkDefineXMLFlags",
                         args->flags & ~(unsigned) NETWORK_DEFINE_VALIDATE);
    return connect_xml_call(call, "NetworkDefineXML", args->xml, error);
}

static int
h_create_xml(Call *call, void *args, void *ret, Error *error)
{
    return connect_xml_call(call, "NetworkCreateXML",
                            ((remote_network_create_xml_args *) args)->xml, error);
}

static int
h_create_xml_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_network_create_xml_flags_args *args = args_;

    /* VALIDATE: virtnetworkd always validates. */
    if (args->flags & ~(unsigned) NETWORK_CREATE_VALIDATE)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNetworkCreateXMLFlags",
                         args->flags & ~(unsigned) NETWORK_CREATE_VALIDATE);
    return connect_xml_call(call, "NetworkCreateXML", args->xml, error);
}

static int
net_call(Call *call, void *args, const char *member, BusReplyFn fn, Error *error)
{
    MirrorObject *obj;
    int r = args_network(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, NET_IFACE, member, fn, error, NULL);
}

static int
h_create(Call *call, void *args, void *ret, Error *error)
{
    return net_call(call, args, "Create", NULL, error);
}

static int
h_destroy(Call *call, void *args, void *ret, Error *error)
{
    return net_call(call, args, "Destroy", NULL, error);
}

static int
h_undefine(Call *call, void *args, void *ret, Error *error)
{
    return net_call(call, args, "Undefine", NULL, error);
}

static int
h_get_xml_desc(Call *call, void *args_, void *ret, Error *error)
{
    remote_network_get_xml_desc_args *args = args_;
    MirrorObject *obj;
    int r = args_network(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, NET_IFACE, "GetXMLDesc", proxy_string_reply,
                          error, "u", args->flags);
}

static int
h_set_autostart(Call *call, void *args_, void *ret, Error *error)
{
    remote_network_set_autostart_args *args = args_;
    MirrorObject *obj;
    int r = args_network(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, "org.freedesktop.DBus.Properties", "Set",
                          NULL, error, "ssv", NET_IFACE, "Autostart", "b", args->autostart != 0);
}

static int
h_update(Call *call, void *args_, void *ret, Error *error)
{
    remote_network_update_args *args = args_;
    MirrorObject *obj;
    int r = args_network(call, args, &obj, error);

    if (r < 0)
        return r;
    /* The client sends command and section in their documented order
     * (feature NETWORK_UPDATE_HAS_CORRECT_ORDER is answered 1), which is
     * also libvirt-dbus's. */
    return proxy_bus_call(call, obj->svc, obj->path, NET_IFACE, "Update", NULL, error, "uuisu",
                          args->command, args->section, args->parentIndex, args->xml,
                          args->flags);
}


static int
leases_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_network_get_dhcp_leases_args *args = call->args;
    remote_network_get_dhcp_leases_ret *ret = ret_;
    remote_network_dhcp_lease *leases = NULL;
    size_t n = 0, cap = 0;
    int r;

    r = sd_bus_message_enter_container(reply, 'a', "(sxisssuss)");
    if (r < 0)
        return r;
    for (;;) {
        const char *iface, *mac, *iaid, *ip, *hostname, *clientid;
        int64_t expiry;
        int32_t type;
        uint32_t prefix;
        remote_network_dhcp_lease *l;

        r = sd_bus_message_read(reply, "(sxisssuss)", &iface, &expiry, &type, &mac, &iaid, &ip,
                                &prefix, &hostname, &clientid);
        if (r <= 0)
            break;
        if (n >= REMOTE_NETWORK_DHCP_LEASES_MAX) {
            r = error_set(error, -E2BIG, VIR_ERR_INTERNAL_ERROR,
                          "Number of leases is %zu, which exceeds max limit: %d", n + 1,
                          REMOTE_NETWORK_DHCP_LEASES_MAX);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            leases = xrealloc(leases, cap * sizeof(*leases));
        }
        l = &leases[n++];
        memset(l, 0, sizeof(*l));
        l->iface = xstrdup(iface);
        l->expirytime = expiry;
        l->type = type;
        l->mac = proxy_opt_string(mac);
        l->iaid = proxy_opt_string(iaid);
        l->ipaddr = xstrdup(ip);
        l->prefix = prefix;
        l->hostname = proxy_opt_string(hostname);
        l->clientid = proxy_opt_string(clientid);
    }
    ret->ret = n;
    if (r >= 0 && args->need_results) {
        ret->leases.leases_val = leases;
        ret->leases.leases_len = n;
        return sd_bus_message_exit_container(reply);
    }
    /* Only the count was asked for (or reading failed): drop the list. */
    for (size_t i = 0; i < n; i++)
        xdr_free((xdrproc_t) xdr_remote_network_dhcp_lease, (char *) &leases[i]);
    free(leases);
    return r < 0 ? r : sd_bus_message_exit_container(reply);
}

static int
h_get_dhcp_leases(Call *call, void *args_, void *ret, Error *error)
{
    remote_network_get_dhcp_leases_args *args = args_;
    MirrorObject *obj;
    int r = args_network(call, args, &obj, error);

    if (r < 0)
        return r;
    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNetworkGetDHCPLeases",
                         args->flags);
    return proxy_bus_call(call, obj->svc, obj->path, NET_IFACE, "GetDHCPLeases", leases_reply,
                          error, "su", args->mac ? *args->mac : "", args->flags);
}

const ProcDef network_procs[] = {
    PROC_LIST_ALL(REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS, connect_list_all_networks,
                  &network_kind),
    PROC_LIST_NAMES(REMOTE_PROC_CONNECT_LIST_NETWORKS, connect_list_networks, &network_kind,
                    PROP_ACTIVE),
    PROC_LIST_NAMES(REMOTE_PROC_CONNECT_LIST_DEFINED_NETWORKS, connect_list_defined_networks,
                    &network_kind, PROP_INACTIVE),
    PROC_COUNT(REMOTE_PROC_CONNECT_NUM_OF_NETWORKS, connect_num_of_networks, &network_kind,
               PROP_ACTIVE),
    PROC_COUNT(REMOTE_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS, connect_num_of_defined_networks,
               &network_kind, PROP_INACTIVE),
    PROC_LOOKUP_BY_NAME(REMOTE_PROC_NETWORK_LOOKUP_BY_NAME, network_lookup_by_name,
                        &network_kind),
    PROC_LOOKUP_BY_UUID(REMOTE_PROC_NETWORK_LOOKUP_BY_UUID, network_lookup_by_uuid,
                        &network_kind),
    PROC_GET_BOOL(REMOTE_PROC_NETWORK_GET_AUTOSTART, network_get_autostart, &network_kind,
                  PROP_AUTOSTART),
    PROC_GET_BOOL(REMOTE_PROC_NETWORK_IS_ACTIVE, network_is_active, &network_kind, PROP_ACTIVE),
    PROC_GET_BOOL(REMOTE_PROC_NETWORK_IS_PERSISTENT, network_is_persistent, &network_kind,
                  PROP_PERSISTENT),
    PROC_AR(REMOTE_PROC_NETWORK_DEFINE_XML, network_define_xml, h_define_xml),
    PROC_AR(REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS, network_define_xml_flags, h_define_xml_flags),
    PROC_AR(REMOTE_PROC_NETWORK_CREATE_XML, network_create_xml, h_create_xml),
    PROC_A(REMOTE_PROC_NETWORK_CREATE, network_create, h_create),
    PROC_A(REMOTE_PROC_NETWORK_DESTROY, network_destroy, h_destroy),
    PROC_A(REMOTE_PROC_NETWORK_UNDEFINE, network_undefine, h_undefine),
    PROC_AR(REMOTE_PROC_NETWORK_GET_XML_DESC, network_get_xml_desc, h_get_xml_desc),
    PROC_AR(REMOTE_PROC_NETWORK_GET_BRIDGE_NAME, network_get_bridge_name, h_get_bridge_name),
    PROC_A(REMOTE_PROC_NETWORK_SET_AUTOSTART, network_set_autostart, h_set_autostart),
    PROC_AR(REMOTE_PROC_NETWORK_CREATE_XML_FLAGS, network_create_xml_flags, h_create_xml_flags),
    PROC_A(REMOTE_PROC_NETWORK_UPDATE, network_update, h_update),
    PROC_AR(REMOTE_PROC_NETWORK_GET_DHCP_LEASES, network_get_dhcp_leases, h_get_dhcp_leases),
    { 0 },
};
