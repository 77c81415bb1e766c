/* What virtnodedevd knows of one host device before it becomes a node
 * device definition: a flat, ordered list of KEY=VALUE strings read from
 * sd-device (and the hwdb), so that the same conversion runs on a live
 * device and on a recorded one (tests/data/node_device_def/NAME.props).
 *
 * Keys:
 *   SYSPATH, SUBSYSTEM, DEVTYPE, SYSNAME, DRIVER, DEVNAME  sd-device's values
 *   PARENT            the node device name of the nearest ancestor that is a
 *                     node device ("computer" when none), set by the caller
 *   E:<name>          a device property (uevent and udev database), plus
 *                     ID_VENDOR_FROM_DATABASE / ID_MODEL_FROM_DATABASE from
 *                     the hwdb when udev did not put them there
 *   A:<attr>          a sysfs attribute, read once (only those used)
 *   IOMMU_GROUP       the group number, IOMMU_MEMBERS its PCI addresses
 *                     separated by spaces
 * The computer itself is SUBSYSTEM=dmi with the DMI attributes, present or
 * not. */
#pragma once

#include <systemd/sd-device.h>
#include <systemd/sd-hwdb.h>

#include "error.h"
#include "node_device_def.h"

typedef struct NodeDevProps {
    char **kv; /* strv of "KEY=VALUE" */
} NodeDevProps;

void node_dev_props_clear(NodeDevProps *p);
/* Sets @key (replacing); NULL @value removes it. */
void node_dev_props_set(NodeDevProps *p, const char *key, const char *value);
/* Borrowed, NULL when absent. */
const char *node_dev_props_get(const NodeDevProps *p, const char *key);

/* Reads @dev: the keys above except PARENT. @hwdb may be NULL (no names
 * looked up). Returns 1 when the device is a node device (libvirt's
 * udevGetDeviceType knows its type), 0 when it is not (and @ret is left
 * empty), negative errno on failure. */
int node_dev_props_from_device(sd_device *dev, sd_hwdb *hwdb, NodeDevProps *ret);
/* The computer: DMI attributes from <sysfs>/devices/virtual/dmi/id. */
void node_dev_props_computer(const char *sysfs, NodeDevProps *ret);

/* Text form: one KEY=VALUE a line (values hold no newline). New string. */
char *node_dev_props_format(const NodeDevProps *p);
int node_dev_props_parse(const char *text, NodeDevProps *ret, Error *error);

/* The node device the props describe (libvirt's udev backend rules: names,
 * capability, fields). Returns 0, or -ENODEV with VIR_ERR_NO_NODE_DEVICE when
 * the props are not a node device libvirt would list (e.g. a loop disk,
 * whose drive type is unknown). */
int node_dev_props_to_def(const NodeDevProps *p, NodeDeviceDef **ret_def, Error *error);
