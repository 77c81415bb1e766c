/* virtnodedevd on D-Bus: the node device part of org.libvirt.Connect on
 * /org/libvirt/QEMU (with the ObjectManager), and one org.libvirt.NodeDevice
 * object per device at /org/libvirt/QEMU/nodedev/<escaped name>. The
 * handlers decode, call the driver and reply. */
#pragma once

#include "bus_util.h"

#include <systemd/sd-bus.h>

#include "nodedev_driver.h"

#define NODEDEV_BUS_PATH "/org/libvirt/QEMU"
#define NODEDEV_CONNECT_IFACE "org.libvirt.Connect"
#define NODEDEV_IFACE "org.libvirt.NodeDevice"
/* Beyond libvirt-dbus: the bound driver as a property, so a client hears a
 * detach or re-attach through PropertiesChanged. */
#define NODEDEV_DRIVER_IFACE "org.virtstack.NodeDeviceDriver"

typedef struct NodedevBus {
    sd_bus *bus;          /* borrowed from the daemon */
    NodeDevDriver *drv;   /* owned by the daemon */
} NodedevBus;

/* Hooks for the driver: object added/removed, NodeDeviceEvent, and
 * PropertiesChanged; userdata is the NodedevBus. */
extern const NodeDevHooks nodedev_bus_hooks;

/* Registers the connection object, the device objects and the ObjectManager. */
int nodedev_bus_register(NodedevBus *nb, Error *error);

/* The interfaces served, each with its vtable (tests/test_bus_contract.c). */
extern const BusInterfaceSpec nodedev_bus_interfaces[];
