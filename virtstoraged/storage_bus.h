/* virtstoraged on D-Bus (api/org.virtstack.Storage.xml lists the objects and
 * interfaces). The handlers decode, call the driver, and reply. */
#pragma once

#include "bus_util.h"

#include <systemd/sd-bus.h>

#include "fileutil.h"
#include "storage_driver.h"

#define STORAGE_BUS_PATH "/org/libvirt/QEMU"
#define STORAGE_BUS_POOL_PREFIX "/org/libvirt/QEMU/storagepool"
#define STORAGE_BUS_VOL_PREFIX "/org/libvirt/QEMU/storagevol"
#define CONNECT_IFACE "org.libvirt.Connect"
#define POOL_IFACE "org.libvirt.StoragePool"
#define VOL_IFACE "org.libvirt.StorageVol"
#define STORAGE_IFACE "org.virtstack.Storage"
#define VOL_STREAM_IFACE "org.virtstack.StorageVolStream"

typedef struct StorageBus {
    sd_bus *bus;           /* borrowed from the daemon */
    StorageDriver *drv;    /* borrowed */
} StorageBus;

/* The hooks the driver calls; userdata is the StorageBus. */
extern const StorageHooks storage_bus_hooks;

/* Registers /org/libvirt/QEMU, the pool and volume objects, the ObjectManager. */
int storage_bus_register(StorageBus *sb, Error *error);

/* The interfaces served, each with its vtable (tests/test_bus_contract.c). */
extern const BusInterfaceSpec storage_bus_interfaces[];
