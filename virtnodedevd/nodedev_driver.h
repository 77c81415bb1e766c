/* virtnodedevd's device table: every host device libvirt would list, read
 * through sd-device at start and kept current from the kernel's uevents;
 * PCI passthrough (detach to vfio-pci, re-attach, reset).
 *
 * Everything runs on the daemon's libuv loop, except the sysfs writes of
 * detach/re-attach/reset, which run in libuv's worker pool (an unbind can
 * wait on the driver) and complete on the loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"
#include "node_device_def.h"
#include "virt_constants.h"

#define NODEDEV_BUS_PREFIX "/org/libvirt/QEMU/nodedev"


typedef struct NodeDev {
    char *name;         /* the def's name, owned */
    char *path;         /* D-Bus object path, owned */
    char *syspath;      /* NULL for "computer" */
    NodeDeviceDef *def; /* owned; replaced on updates */
    char *orig_driver;  /* while detached by us: the driver to give it back to */
    bool busy;          /* a detach/re-attach/reset is running */
} NodeDev;

typedef struct NodeDevDriver NodeDevDriver;

typedef struct NodeDevHooks {
    /* After the device is in the table (not called for the devices found at
     * start). */
    void (*added)(NodeDev *dev, void *userdata);
    /* Before the device leaves the table and is freed. */
    void (*removed)(NodeDev *dev, void *userdata);
    /* After dev->def changed (driver bound or unbound, attributes). */
    void (*updated)(NodeDev *dev, void *userdata);
} NodeDevHooks;

typedef struct NodeDevDriverConfig {
    uv_loop_t *loop;    /* NULL: no uevent monitor (a one-shot snapshot) */
    const char *sysfs;  /* "/sys"; where DMI, IOMMU groups and PCI drivers are read */
    NodeDevHooks hooks;
    void *hooks_userdata;
} NodeDevDriverConfig;

/* Opens the uevent socket first (so nothing between enumeration and
 * monitoring is lost), then enumerates every device. */
int nodedev_driver_new(const NodeDevDriverConfig *cfg, NodeDevDriver **ret, Error *error);
/* Closes the monitor; the memory goes from its close callback, so the loop
 * must run once more. Accepts NULL. */
void nodedev_driver_free(NodeDevDriver *drv);

/* Borrowed, valid until the device is removed (a hook tells). */
int nodedev_driver_lookup_name(NodeDevDriver *drv, const char *name, NodeDev **ret,
                               Error *error);
int nodedev_driver_lookup_path(NodeDevDriver *drv, const char *path, NodeDev **ret,
                               Error *error);
/* No fc_host support: always VIR_ERR_NO_NODE_DEVICE, libvirt's message. */
int nodedev_driver_lookup_scsi_host_by_wwn(NodeDevDriver *drv, const char *wwnn,
                                           const char *wwpn, NodeDev **ret, Error *error);
/* Devices matching VIR_CONNECT_LIST_NODE_DEVICES_CAP_* @flags, in table
 * order (parents before children). *ret is a new array of borrowed
 * pointers. */
int nodedev_driver_list(NodeDevDriver *drv, uint32_t flags, NodeDev ***ret, size_t *ret_n,
                        Error *error);
/* The devices, in the order found (for the bus layer's enumeration). */
size_t nodedev_driver_count(NodeDevDriver *drv);
NodeDev *nodedev_driver_nth(NodeDevDriver *drv, size_t i);

/* Re-reads the device from sysfs first (link state and speed, driver, like
 * libvirt's virNodeDeviceUpdateCaps), then formats it. New string. */
int nodedev_driver_get_xml(NodeDevDriver *drv, NodeDev *dev, uint32_t flags, char **ret_xml,
                           Error *error);
/* The capability names, as ListCaps (virNodeDeviceListCaps). New strv. */
char **nodedev_driver_list_caps(NodeDev *dev);

/* Completion of an asynchronous call: @error is NULL on success; @dev is
 * NULL when the device vanished meanwhile. */
typedef void (*NodeDevDoneCb)(NodeDev *dev, const Error *error, void *userdata);

/* virNodeDeviceDetachFlags: binds a PCI device to vfio-pci, remembering its
 * driver. @driver_name "" or "vfio". Checks run at once and fail without
 * calling @cb (nothing changed): not a PCI device (VIR_ERR_INVALID_ARG), no
 * IOMMU ("VFIO device assignment is currently not supported on this
 * system", VIR_ERR_CONFIG_UNSUPPORTED), another job running
 * (VIR_ERR_OPERATION_INVALID). Returns 0 when @cb will be called, 1 when
 * there was nothing to do (already on vfio-pci; @cb not called). */
int nodedev_driver_detach(NodeDevDriver *drv, NodeDev *dev, const char *driver_name,
                          uint32_t flags, NodeDevDoneCb cb, void *userdata, Error *error);
/* virNodeDeviceReAttach: gives the device back to the driver it had before
 * (or lets the kernel probe one). 1 (and no @cb) when it is not on a stub
 * driver. */
int nodedev_driver_reattach(NodeDevDriver *drv, NodeDev *dev, NodeDevDoneCb cb,
                            void *userdata, Error *error);
/* virNodeDeviceReset: the function reset through sysfs 'reset'. Refused
 * while a host driver other than vfio-pci/pci-stub holds the device, and
 * when the device has no reset method. */
int nodedev_driver_reset(NodeDevDriver *drv, NodeDev *dev, NodeDevDoneCb cb, void *userdata,
                         Error *error);

