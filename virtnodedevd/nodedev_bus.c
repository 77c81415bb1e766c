/* org.libvirt.Connect (node devices) and org.libvirt.NodeDevice. */
#include <stddef.h>
#include <errno.h>
#include <string.h>

#include "bus_object.h"
#include "bus_util.h"
#include "fileutil.h"
#include "node_device_def.h"
#include "nodedev_bus.h"

/* ---- hooks: the driver's news become signals --------------------------- */

static void
hook_added(NodeDev *dev, void *userdata)
{
    NodedevBus *nb = userdata;

    sd_bus_emit_object_added(nb->bus, dev->path);
    sd_bus_emit_signal(nb->bus, NODEDEV_BUS_PATH, NODEDEV_CONNECT_IFACE, "NodeDeviceEvent",
                       "oii", dev->path, NODEDEV_EVENT_CREATED, 0);
}

static void
hook_removed(NodeDev *dev, void *userdata)
{
    NodedevBus *nb = userdata;

    /* While the object still answers, so InterfacesRemoved lists its
     * interfaces. */
    sd_bus_emit_signal(nb->bus, NODEDEV_BUS_PATH, NODEDEV_CONNECT_IFACE, "NodeDeviceEvent",
                       "oii", dev->path, NODEDEV_EVENT_DELETED, 0);
    sd_bus_emit_object_removed(nb->bus, dev->path);
}

static void
hook_updated(NodeDev *dev, void *userdata)
{
    NodedevBus *nb = userdata;

    sd_bus_emit_properties_changed(nb->bus, dev->path, NODEDEV_DRIVER_IFACE, "Driver", NULL);
    sd_bus_emit_signal(nb->bus, NODEDEV_BUS_PATH, NODEDEV_CONNECT_IFACE, "NodeDeviceEvent",
                       "oii", dev->path, NODEDEV_EVENT_UPDATED, 0);
}

const NodeDevHooks nodedev_bus_hooks = {
    .added = hook_added,
    .removed = hook_removed,
    .updated = hook_updated,
};

/* ---- org.libvirt.Connect ------------------------------------------------ */

BUS_LIST_METHOD(bus_list_node_devices, NodedevBus, NodeDev, nodedev_driver_list, path)

static int
bus_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(node_device_def_freep) NodeDeviceDef *def = NULL;
    const char *xml;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "su", &xml, &flags);
    if (r < 0)
        return r;
    if (flags)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function NodeDeviceCreateXML",
                                 flags);
    r = node_device_def_parse(xml, &def, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    /* libvirt creates only vHBAs (fc_host) and mediated devices: neither
     * exists here. */
    error_set(&error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED, "Unsupported device type");
    return bus_reply_error(bus_error, &error, -ENOTSUP);
}

BUS_LOOKUP_METHOD(bus_lookup_by_name, NodedevBus, NodeDev, "s", const char *,
                  nodedev_driver_lookup_name, path)

static int
bus_lookup_scsi_host(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    NodeDev *dev;
    const char *wwnn, *wwpn;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "ssu", &wwnn, &wwpn, &flags);
    if (r < 0)
        return r;
    r = nodedev_driver_lookup_scsi_host_by_wwn(nb->drv, wwnn, wwpn, &dev, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "o", dev->path);
}

/* In the order of libvirt-dbus's org.libvirt.Connect.xml. */
static const sd_bus_vtable connect_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("ListNodeDevices", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("ao", devs), bus_list_node_devices,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NodeDeviceCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                            SD_BUS_RESULT("o", dev), bus_create_xml, 0),
    SD_BUS_METHOD_WITH_ARGS("NodeDeviceLookupByName", SD_BUS_ARGS("s", name),
                            SD_BUS_RESULT("o", dev), bus_lookup_by_name,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NodeDeviceLookupSCSIHostByWWN",
                            SD_BUS_ARGS("s", wwnn, "s", wwpn, "u", flags),
                            SD_BUS_RESULT("o", dev), bus_lookup_scsi_host,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("NodeDeviceEvent", SD_BUS_ARGS("o", dev, "i", event, "i", detail),
                            0),
    SD_BUS_VTABLE_END,
};

/* ---- org.libvirt.NodeDevice ---------------------------------------------- */

static int
find_dev(sd_bus *bus, const char *path, const char *interface, void *userdata,
         void **ret_found, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    NodeDev *dev;

    if (nodedev_driver_lookup_path(nb->drv, path, &dev, NULL) < 0)
        return 0;
    *ret_found = nb;
    return 1;
}

BUS_ENUMERATE_CALLBACK(enumerate_devs, NodedevBus, nodedev_driver_count, nodedev_driver_nth,
                       path)

/* The device the message is for; the fallback's find made sure it exists. */
static int
msg_dev(NodedevBus *nb, const char *path, NodeDev **ret, Error *error)
{
    return nodedev_driver_lookup_path(nb->drv, path, ret, error);
}

static int
prop_name(sd_bus *bus, const char *path, const char *interface, const char *property,
          sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    NodeDev *dev;
    int r = msg_dev(userdata, path, &dev, &error);

    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    if (STREQ(property, "Name"))
        return sd_bus_message_append(reply, "s", dev->name);
    if (STREQ(property, "Parent"))
        return sd_bus_message_append(reply, "s", dev->def->parent ? dev->def->parent : "");
    return sd_bus_message_append(reply, "s", dev->def->driver ? dev->def->driver : "");
}

static int
bus_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    NodeDev *dev;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = msg_dev(nb, sd_bus_message_get_path(m), &dev, &error);
    if (r >= 0)
        r = nodedev_driver_get_xml(nb->drv, dev, flags, &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

static int
bus_list_caps(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    auto_cleanup(strv_freep) char **caps = NULL;
    sd_bus_message *reply = NULL;
    NodeDev *dev;
    int r;

    r = msg_dev(nb, sd_bus_message_get_path(m), &dev, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    caps = nodedev_driver_list_caps(dev);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_append_strv(reply, caps);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

static int
bus_destroy(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    NodeDev *dev;
    int r;

    r = msg_dev(nb, sd_bus_message_get_path(m), &dev, &error);
    if (r >= 0)
        r = error_set(&error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED,
                      "Unsupported device type");
    return bus_reply_error(bus_error, &error, r);
}

/* The reply to Detach/ReAttach/Reset once the sysfs work is done. */
static void
op_done(NodeDev *dev, const Error *error, void *userdata)
{
    sd_bus_message *m = userdata;

    if (error)
        bus_reply_method_error(m, error, -EIO);
    else {
        sd_bus_reply_method_return(m, NULL);
    }
    sd_bus_message_unref(m);
}

/* 0: @cb will reply; 1: done at once; negative: refused. */
static int
finish_op(sd_bus_message *m, sd_bus_error *bus_error, Error *error, int r)
{
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, error, r);
    }
    if (r > 0) {
        r = sd_bus_reply_method_return(m, NULL);
        sd_bus_message_unref(m);
        return r;
    }
    return 1;
}

static int
bus_detach(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    const char *driver_name;
    NodeDev *dev;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "su", &driver_name, &flags);
    if (r < 0)
        return r;
    r = msg_dev(nb, sd_bus_message_get_path(m), &dev, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    sd_bus_message_ref(m);
    r = nodedev_driver_detach(nb->drv, dev, driver_name, flags, op_done, m, &error);
    return finish_op(m, bus_error, &error, r);
}

static int
bus_reattach(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    NodeDev *dev;
    int r;

    r = msg_dev(nb, sd_bus_message_get_path(m), &dev, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    sd_bus_message_ref(m);
    r = nodedev_driver_reattach(nb->drv, dev, op_done, m, &error);
    return finish_op(m, bus_error, &error, r);
}

static int
bus_reset(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    NodedevBus *nb = userdata;
    Error error = ERROR_INIT;
    NodeDev *dev;
    int r;

    r = msg_dev(nb, sd_bus_message_get_path(m), &dev, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    sd_bus_message_ref(m);
    r = nodedev_driver_reset(nb->drv, dev, op_done, m, &error);
    return finish_op(m, bus_error, &error, r);
}

/* In the order of libvirt-dbus's org.libvirt.NodeDevice.xml. */
static const sd_bus_vtable nodedev_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Name", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Parent", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_destroy, 0),
    SD_BUS_METHOD_WITH_ARGS("Detach", SD_BUS_ARGS("s", driverName, "u", flags),
                            SD_BUS_NO_RESULT, bus_detach, 0),
    SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                            bus_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ListCaps", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", names),
                            bus_list_caps, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ReAttach", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_reattach, 0),
    SD_BUS_METHOD_WITH_ARGS("Reset", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_reset, 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable driver_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Driver", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_VTABLE_END,
};

int
nodedev_bus_register(NodedevBus *nb, Error *error)
{
    int r;

    r = sd_bus_add_object_vtable(nb->bus, NULL, NODEDEV_BUS_PATH, NODEDEV_CONNECT_IFACE,
                                 connect_vtable, nb);
    if (r >= 0)
        r = sd_bus_add_object_manager(nb->bus, NULL, NODEDEV_BUS_PATH);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(nb->bus, NULL, NODEDEV_BUS_PREFIX, NODEDEV_IFACE,
                                       nodedev_vtable, find_dev, nb);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(nb->bus, NULL, NODEDEV_BUS_PREFIX, NODEDEV_DRIVER_IFACE,
                                       driver_vtable, find_dev, nb);
    if (r >= 0)
        r = sd_bus_add_node_enumerator(nb->bus, NULL, NODEDEV_BUS_PREFIX, enumerate_devs, nb);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot register the node device objects on the bus");
    return 0;
}

/* What this file serves, for the contract test. */
const BusInterfaceSpec nodedev_bus_interfaces[] = {
    { NODEDEV_CONNECT_IFACE, connect_vtable },
    { NODEDEV_IFACE, nodedev_vtable },
    { NODEDEV_DRIVER_IFACE, driver_vtable },
    { NULL, NULL },
};
