/* virtnetworkd on D-Bus: the Network* part of org.libvirt.Connect on
 * /org/libvirt/QEMU with the NetworkEvent signal and the ObjectManager, and
 * per network /org/libvirt/QEMU/network/_<uuid> with org.libvirt.Network
 * (libvirt-dbus's signatures) and org.virtstack.NetworkPorts (ports for
 * virtqemud). Handlers decode, call the driver and reply. */
#include "bus_object.h"
#include "bus_util.h"
#include "network_bus.h"

#include <stddef.h>
#include <errno.h>
#include <string.h>

#include "log.h"

/* ---- hooks -------------------------------------------------------------- */

static void
hook_added(Network *net, void *userdata)
{
    NetworkBus *nb = userdata;

    sd_bus_emit_object_added(nb->bus, net->path);
}

static void
hook_removed(Network *net, void *userdata)
{
    NetworkBus *nb = userdata;

    sd_bus_emit_object_removed(nb->bus, net->path);
}

static void
hook_event(Network *net, int event, void *userdata)
{
    NetworkBus *nb = userdata;

    sd_bus_emit_properties_changed(nb->bus, net->path, NETWORK_IFACE, "Active", "Autostart",
                                   "BridgeName", "Persistent", NULL);
    sd_bus_emit_signal(nb->bus, NETWORK_BUS_PATH, CONNECT_IFACE, "NetworkEvent", "oi",
                       net->path, event);
}

static void
hook_changed(Network *net, void *userdata)
{
    NetworkBus *nb = userdata;

    sd_bus_emit_properties_changed(nb->bus, net->path, NETWORK_IFACE, "Autostart", NULL);
}

const NetworkDriverHooks network_bus_hooks = {
    .added = hook_added,
    .removed = hook_removed,
    .event = hook_event,
    .changed = hook_changed,
};

/* ---- org.libvirt.Connect ------------------------------------------------ */

static int
reply_network(sd_bus_message *m, sd_bus_error *bus_error, Network *net, Error *error, int r)
{
    if (r < 0)
        return bus_reply_error(bus_error, error, r);
    return sd_bus_reply_method_return(m, "o", net->path);
}

static int
bus_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NetworkBus *nb = userdata;
    Error error = ERROR_INIT;
    Network *net = NULL;
    const char *xml;
    int r;

    r = sd_bus_message_read(m, "s", &xml);
    if (r < 0)
        return r;
    r = network_driver_create_xml(nb->drv, xml, &net, &error);
    return reply_network(m, bus_error, net, &error, r);
}

static int
bus_define_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NetworkBus *nb = userdata;
    Error error = ERROR_INIT;
    Network *net = NULL;
    const char *xml;
    int r;

    r = sd_bus_message_read(m, "s", &xml);
    if (r < 0)
        return r;
    r = network_driver_define(nb->drv, xml, &net, &error);
    return reply_network(m, bus_error, net, &error, r);
}

BUS_LOOKUP_METHOD(bus_lookup_by_name, NetworkBus, Network, "s", const char *,
                  network_driver_lookup_name, path)
BUS_LOOKUP_METHOD(bus_lookup_by_uuid, NetworkBus, Network, "s", const char *,
                  network_driver_lookup_uuid, path)
BUS_LIST_METHOD(bus_list_networks, NetworkBus, Network, network_driver_list, path)

/* In the order of libvirt-dbus's org.libvirt.Connect.xml. */
static const sd_bus_vtable connect_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("ListNetworks", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("ao", networks), bus_list_networks,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NetworkCreateXML", SD_BUS_ARGS("s", xml),
                            SD_BUS_RESULT("o", network), bus_create_xml,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NetworkDefineXML", SD_BUS_ARGS("s", xml),
                            SD_BUS_RESULT("o", network), bus_define_xml,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NetworkLookupByName", SD_BUS_ARGS("s", name),
                            SD_BUS_RESULT("o", network), bus_lookup_by_name,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NetworkLookupByUUID", SD_BUS_ARGS("s", uuid),
                            SD_BUS_RESULT("o", network), bus_lookup_by_uuid,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("NetworkEvent", SD_BUS_ARGS("o", network, "i", event), 0),
    SD_BUS_VTABLE_END,
};

/* ---- org.libvirt.Network ------------------------------------------------ */

static int
find_network(sd_bus *bus, const char *path, const char *interface, void *userdata,
             void **ret_found, sd_bus_error *bus_error)
{
    NetworkBus *nb = userdata;
    Network *net = network_driver_find_by_path(nb->drv, path);

    if (!net)
        return 0;
    *ret_found = net;
    return 1;
}

static int
enumerate_networks(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                   sd_bus_error *bus_error)
{
    NetworkBus *nb = userdata;
    size_t n = network_driver_count(nb->drv);
    char **nodes = xcalloc(n + 1, sizeof(*nodes));

    for (size_t i = 0; i < n; i++)
        nodes[i] = xstrdup(network_driver_nth(nb->drv, i)->path);
    *ret_nodes = nodes;
    return 0;
}

static int
bus_create(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int r = network_start(userdata, &error);

    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_destroy(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int r = network_destroy(userdata, &error);

    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_undefine(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int r = network_undefine(userdata, &error);

    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_get_dhcp_leases(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    NetworkLease *leases = NULL;
    sd_bus_message *reply = NULL;
    const char *mac;
    uint32_t flags;
    size_t n = 0;
    int r;

    r = sd_bus_message_read(m, "su", &mac, &flags);
    if (r < 0)
        return r;
    if (flags)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function GetDHCPLeases", flags);
    r = network_get_leases(userdata, *mac ? mac : NULL, &leases, &n, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "(sxisssuss)");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = sd_bus_message_append(reply, "(sxisssuss)", leases[i].iface, leases[i].expiry,
                                  leases[i].type, leases[i].mac, leases[i].iaid, leases[i].ip,
                                  leases[i].prefix, leases[i].hostname, leases[i].clientid);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    network_leases_free(leases, n);
    return r;
}

static int
bus_get_xml_desc(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = network_get_xml(userdata, flags, &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

static int
bus_update(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t command, section, flags;
    int32_t parent_index;
    const char *xml;
    int r;

    r = sd_bus_message_read(m, "uuisu", &command, &section, &parent_index, &xml, &flags);
    if (r < 0)
        return r;
    r = network_update(userdata, command, section, parent_index, xml, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
prop_active(sd_bus *bus, const char *path, const char *interface, const char *property,
            sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "b", ((Network *) userdata)->active);
}

static int
prop_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
               sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "b", network_get_autostart(userdata));
}

static int
prop_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                   sd_bus_message *value, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int on, r;

    r = sd_bus_message_read(value, "b", &on);
    if (r < 0)
        return r;
    r = network_set_autostart(userdata, on, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return 0;
}

static int
prop_bridge_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                 sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    const char *br = network_bridge_name(userdata);

    return sd_bus_message_append(reply, "s", br ? br : "");
}

static int
prop_name(sd_bus *bus, const char *path, const char *interface, const char *property,
          sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "s", ((Network *) userdata)->def->name);
}

static int
prop_persistent(sd_bus *bus, const char *path, const char *interface, const char *property,
                sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "b", ((Network *) userdata)->persistent);
}

static int
prop_uuid(sd_bus *bus, const char *path, const char *interface, const char *property,
          sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    char buf[UUID_STRING_LEN];

    return sd_bus_message_append(reply, "s",
                                 uuid_format(&((Network *) userdata)->def->uuid, buf));
}

/* In the order of libvirt-dbus's org.libvirt.Network.xml; BridgeName is
 * newer libvirt-dbus's (virNetworkGetBridgeName). */
static const sd_bus_vtable network_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Active", "b", prop_active, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_WRITABLE_PROPERTY("Autostart", "b", prop_autostart, prop_set_autostart, 0,
                             SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE | SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("BridgeName", "s", prop_bridge_name, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Name", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Persistent", "b", prop_persistent, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("UUID", "s", prop_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_create,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_destroy,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetDHCPLeases", SD_BUS_ARGS("s", mac, "u", flags),
                            SD_BUS_RESULT("a(sxisssuss)", leases), bus_get_dhcp_leases,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                            bus_get_xml_desc, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_undefine,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Update",
                            SD_BUS_ARGS("u", command, "u", section, "i", parentIndex, "s", xml,
                                        "u", flags),
                            SD_BUS_NO_RESULT, bus_update, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* ---- org.virtstack.NetworkPorts ----------------------------------------- */

static int
bus_port_create(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *domain_uuid, *domain_name, *mac, *bridge = NULL;
    NetworkPort *port = NULL;
    char uuid[UUID_STRING_LEN];
    unsigned mtu = 0;
    uint64_t floor;
    int r;

    r = sd_bus_message_read(m, "ssst", &domain_uuid, &domain_name, &mac, &floor);
    if (r < 0)
        return r;
    r = network_port_create(userdata, domain_uuid, domain_name, mac, floor, &port, &bridge,
                            &mtu, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "ssu", uuid_format(&port->uuid, uuid), bridge,
                                      (uint32_t) mtu);
}

static int
bus_port_delete(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *uuid;
    int r;

    r = sd_bus_message_read(m, "s", &uuid);
    if (r < 0)
        return r;
    r = network_port_delete(userdata, uuid, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_port_set_floor(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *uuid;
    uint64_t floor;
    int r;

    r = sd_bus_message_read(m, "st", &uuid, &floor);
    if (r < 0)
        return r;
    r = network_port_set_floor(userdata, uuid, floor, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable ports_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("PortCreate",
                            SD_BUS_ARGS("s", domain_uuid, "s", domain_name, "s", mac, "t",
                                        floor),
                            SD_BUS_RESULT("s", port_uuid, "s", bridge, "u", mtu),
                            bus_port_create, 0),
    SD_BUS_METHOD_WITH_ARGS("PortDelete", SD_BUS_ARGS("s", port_uuid), SD_BUS_NO_RESULT,
                            bus_port_delete, 0),
    SD_BUS_METHOD_WITH_ARGS("PortSetFloor", SD_BUS_ARGS("s", port_uuid, "t", floor),
                            SD_BUS_NO_RESULT, bus_port_set_floor, 0),
    SD_BUS_VTABLE_END,
};

int
network_bus_register(NetworkBus *nb, Error *error)
{
    int r;

    r = sd_bus_add_object_vtable(nb->bus, NULL, NETWORK_BUS_PATH, CONNECT_IFACE,
                                 connect_vtable, nb);
    if (r >= 0)
        r = sd_bus_add_object_manager(nb->bus, NULL, NETWORK_BUS_PATH);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(nb->bus, NULL, NETWORK_BUS_PREFIX, NETWORK_IFACE,
                                       network_vtable, find_network, nb);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(nb->bus, NULL, NETWORK_BUS_PREFIX, NETWORK_PORTS_IFACE,
                                       ports_vtable, find_network, nb);
    if (r >= 0)
        r = sd_bus_add_node_enumerator(nb->bus, NULL, NETWORK_BUS_PREFIX, enumerate_networks,
                                       nb);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot register %s on the bus", NETWORK_BUS_PATH);
    return 0;
}

/* What this file serves, for the contract test. */
const BusInterfaceSpec network_bus_interfaces[] = {
    { CONNECT_IFACE, connect_vtable },
    { NETWORK_IFACE, network_vtable },
    { NETWORK_PORTS_IFACE, ports_vtable },
    { NULL, NULL },
};
