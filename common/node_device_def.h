/* Node device definitions: libvirt's <device> XML (nodedev-dumpxml), parse
 * and format.
 *
 * A device has a name (libvirt's naming: "computer", "pci_0000_00_1f_2",
 * "net_eth0_52_54_00_12_34_56", ...), a sysfs path, a parent's name, a driver
 * and one or more capabilities. The format follows libvirt's
 * virNodeDeviceDefFormat() element by element, so that virsh prints the same
 * text; parse accepts what format writes (round trip) and what
 * NodeDeviceCreateXML would be given. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "uuid.h"

/* libvirt's virNodeDevCapType, in its order (the names are its strings). */
typedef enum {
    NODE_DEV_CAP_SYSTEM,
    NODE_DEV_CAP_PCI,
    NODE_DEV_CAP_USB_DEV,
    NODE_DEV_CAP_USB_INTERFACE,
    NODE_DEV_CAP_NET,
    NODE_DEV_CAP_SCSI_HOST,
    NODE_DEV_CAP_SCSI_TARGET,
    NODE_DEV_CAP_SCSI,
    NODE_DEV_CAP_STORAGE,
    _NODE_DEV_CAP_MAX,
} NodeDevCapType;

/* "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target",
 * "scsi", "storage"; NULL when out of range. */
const char *node_dev_cap_type_to_string(NodeDevCapType type);
/* -1 when unknown. */
int node_dev_cap_type_from_string(const char *s);
/* libvirt's VIR_CONNECT_LIST_NODE_DEVICES_CAP_* bit for @type (1 << type:
 * libvirt numbers the flags in the same order). */
uint32_t node_dev_cap_flag(NodeDevCapType type);

/* virNetDevIfState, "unknown" .. "up"; 0 = not known (nothing written). */
typedef enum {
    NODE_DEV_LINK_NONE,
    NODE_DEV_LINK_UNKNOWN,
    NODE_DEV_LINK_NOTPRESENT,
    NODE_DEV_LINK_DOWN,
    NODE_DEV_LINK_LOWERLAYERDOWN,
    NODE_DEV_LINK_TESTING,
    NODE_DEV_LINK_DORMANT,
    NODE_DEV_LINK_UP,
    _NODE_DEV_LINK_MAX,
} NodeDevLinkState;

const char *node_dev_link_state_to_string(NodeDevLinkState state);
/* -1 when unknown; "" is NODE_DEV_LINK_NONE. */
int node_dev_link_state_from_string(const char *s);

typedef struct NodeDevPciAddress {
    unsigned domain, bus, slot, function;
} NodeDevPciAddress;

typedef struct NodeDevCap {
    NodeDevCapType type;
    union {
        struct {
            char *product;          /* DMI product_name */
            char *hw_vendor, *hw_version, *hw_serial;
            Uuid hw_uuid;           /* zero when unknown, written as zeros (libvirt) */
            char *fw_vendor, *fw_version, *fw_release_date;
        } system;
        struct {
            int klass;              /* 24 bits; -1 = unknown (not written) */
            NodeDevPciAddress addr;
            unsigned product_id, vendor_id;
            char *product_name, *vendor_name; /* NULL: <product id='..'/> */
            int iommu_group;        /* -1 = none */
            NodeDevPciAddress *iommu_members;
            size_t n_iommu_members;
            int numa_node;          /* -1 = none */
        } pci;
        struct {
            unsigned bus, device;
            unsigned product_id, vendor_id;
            char *product_name, *vendor_name;
        } usb_dev;
        struct {
            unsigned number, klass, subclass, protocol;
            char *description;
        } usb_if;
        struct {
            char *ifname;
            char *address;          /* MAC, may be NULL */
            NodeDevLinkState state;
            unsigned speed;         /* Mbit/s; 0 = unknown (not written) */
            char **features;        /* strv, may be NULL */
            bool wireless;          /* <capability type='80211'/>, else 80203 */
        } net;
        struct {
            unsigned host;
            int unique_id;          /* -1 = none */
        } scsi_host;
        struct {
            char *name;             /* "target0:0:0" */
        } scsi_target;
        struct {
            unsigned host, bus, target, lun;
            char *type;             /* "disk", "cdrom", ...; may be NULL */
        } scsi;
        struct {
            char *block;            /* "/dev/vda" */
            char *bus, *drive_type, *model, *vendor, *serial;
            bool removable, media_available, hotpluggable;
            uint64_t size;          /* bytes (removable: media_size) */
            char *media_label;
            uint64_t logical_block_size, num_blocks;
        } storage;
    };
} NodeDevCap;

typedef struct NodeDeviceDef {
    char *name;
    char *sysfs_path;   /* <path>, NULL for "computer" */
    char *devnode;      /* <devnode type='dev'>, may be NULL */
    char **devlinks;    /* <devnode type='link'>, strv, may be NULL */
    char *parent;       /* NULL for "computer" */
    char *driver;       /* NULL when no driver is bound */
    NodeDevCap *caps;
    size_t n_caps;
} NodeDeviceDef;

NodeDeviceDef *node_device_def_new(void);
void node_device_def_free(NodeDeviceDef *def);
DEFINE_FREEP(NodeDeviceDef, node_device_def_free)

/* Appends a zeroed capability of @type (pci klass, iommu_group, numa_node
 * and scsi_host unique_id set to -1) and returns it; borrowed, valid until
 * the next add. */
NodeDevCap *node_device_def_add_cap(NodeDeviceDef *def, NodeDevCapType type);
/* The first capability of @type, or NULL. Borrowed. */
NodeDevCap *node_device_def_get_cap(const NodeDeviceDef *def, NodeDevCapType type);
/* True when the device has a capability matching VIR_CONNECT_LIST_NODE_DEVICES_CAP_*
 * @flags (0 matches every device). */
bool node_device_def_matches(const NodeDeviceDef *def, uint32_t flags);

/* libvirt's XML, as virsh nodedev-dumpxml prints it (ends with a newline).
 * New string. */
char *node_device_def_format(const NodeDeviceDef *def);
/* Parses <device>. <name> may be absent (a device given to NodeDeviceCreateXML
 * is named by the host). Errors, all VIR_ERR_XML_ERROR with libvirt's
 * sentences: malformed XML, "unknown capability type 'x'", "no capabilities
 * for device 'x'", a missing or bad number ("invalid PCI bus ID supplied for
 * 'pci_0000_00_1f_2'"). */
int node_device_def_parse(const char *xml, NodeDeviceDef **ret_def, Error *error);

/* libvirt's naming (udevGenerateDeviceName): "<subsystem>_<sysname>[_<extra>]"
 * with every byte that is not an ASCII letter or digit replaced by '_'.
 * @extra may be NULL. New string. */
char *node_device_make_name(const char *subsystem, const char *sysname, const char *extra);
