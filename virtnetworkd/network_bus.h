/* virtnetworkd on D-Bus. */
#pragma once

#include "bus_util.h"

#include <systemd/sd-bus.h>

#include "network_driver.h"

#define NETWORK_BUS_PATH "/org/libvirt/QEMU"
#define NETWORK_BUS_PREFIX "/org/libvirt/QEMU/network"
#define CONNECT_IFACE "org.libvirt.Connect"
#define NETWORK_IFACE "org.libvirt.Network"
/* Beyond libvirt-dbus: ports for virtqemud's guests, on each network object:
 *   PortCreate(s domain_uuid, s domain_name, s mac) -> (s port_uuid, s bridge, u mtu)
 *   PortDelete(s port_uuid) */
#define NETWORK_PORTS_IFACE "org.virtstack.NetworkPorts"

typedef struct NetworkBus {
    sd_bus *bus;          /* borrowed from the daemon */
    NetworkDriver *drv;   /* owned by main.c */
} NetworkBus;

extern const NetworkDriverHooks network_bus_hooks;

/* Registers the connection object, the network objects and the ObjectManager. */
int network_bus_register(NetworkBus *nb, Error *error);

/* The interfaces served, each with its vtable (tests/test_bus_contract.c). */
extern const BusInterfaceSpec network_bus_interfaces[];
