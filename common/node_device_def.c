/* Node device XML: libvirt's virNodeDeviceDefFormat() and a parser for what
 * it writes. */
#include <errno.h>
#include <string.h>

#include "fileutil.h"
#include "node_device_def.h"
#include "virt_constants.h"
#include "xml_util.h"

#define NODE_DEVICE_XML_MAX (1024 * 1024)

static const char *const cap_names[_NODE_DEV_CAP_MAX] = {
    [NODE_DEV_CAP_SYSTEM] = "system",
    [NODE_DEV_CAP_PCI] = "pci",
    [NODE_DEV_CAP_USB_DEV] = "usb_device",
    [NODE_DEV_CAP_USB_INTERFACE] = "usb",
    [NODE_DEV_CAP_NET] = "net",
    [NODE_DEV_CAP_SCSI_HOST] = "scsi_host",
    [NODE_DEV_CAP_SCSI_TARGET] = "scsi_target",
    [NODE_DEV_CAP_SCSI] = "scsi",
    [NODE_DEV_CAP_STORAGE] = "storage",
};

static const char *const link_names[_NODE_DEV_LINK_MAX] = {
    "", "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up",
};

const char *
node_dev_cap_type_to_string(NodeDevCapType type)
{
    if ((unsigned) type >= _NODE_DEV_CAP_MAX)
        return NULL;
    return cap_names[type];
}

int
node_dev_cap_type_from_string(const char *s)
{
    for (int i = 0; s && i < _NODE_DEV_CAP_MAX; i++)
        if (STREQ(cap_names[i], s))
            return i;
    return -1;
}

uint32_t
node_dev_cap_flag(NodeDevCapType type)
{
    return 1u << type;
}

const char *
node_dev_link_state_to_string(NodeDevLinkState state)
{
    if ((unsigned) state >= _NODE_DEV_LINK_MAX)
        return NULL;
    return link_names[state];
}

int
node_dev_link_state_from_string(const char *s)
{
    for (int i = 0; s && i < _NODE_DEV_LINK_MAX; i++)
        if (STREQ(link_names[i], s))
            return i;
    return -1;
}

NodeDeviceDef *
node_device_def_new(void)
{
    return xcalloc(1, sizeof(NodeDeviceDef));
}

static void
cap_clear(NodeDevCap *cap)
{
    switch (cap->type) {
    case NODE_DEV_CAP_SYSTEM:
        free(cap->system.product);
        free(cap->system.hw_vendor);
        free(cap->system.hw_version);
        free(cap->system.hw_serial);
        free(cap->system.fw_vendor);
        free(cap->system.fw_version);
        free(cap->system.fw_release_date);
        break;
    case NODE_DEV_CAP_PCI:
        free(cap->pci.product_name);
        free(cap->pci.vendor_name);
        free(cap->pci.iommu_members);
        break;
    case NODE_DEV_CAP_USB_DEV:
        free(cap->usb_dev.product_name);
        free(cap->usb_dev.vendor_name);
        break;
    case NODE_DEV_CAP_USB_INTERFACE:
        free(cap->usb_if.description);
        break;
    case NODE_DEV_CAP_NET:
        free(cap->net.ifname);
        free(cap->net.address);
        strv_free(cap->net.features);
        break;
    case NODE_DEV_CAP_SCSI_HOST:
        break;
    case NODE_DEV_CAP_SCSI_TARGET:
        free(cap->scsi_target.name);
        break;
    case NODE_DEV_CAP_SCSI:
        free(cap->scsi.type);
        break;
    case NODE_DEV_CAP_STORAGE:
        free(cap->storage.block);
        free(cap->storage.bus);
        free(cap->storage.drive_type);
        free(cap->storage.model);
        free(cap->storage.vendor);
        free(cap->storage.serial);
        free(cap->storage.media_label);
        break;
    case _NODE_DEV_CAP_MAX:
        break;
    }
}

void
node_device_def_free(NodeDeviceDef *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->sysfs_path);
    free(def->devnode);
    strv_free(def->devlinks);
    free(def->parent);
    free(def->driver);
    for (size_t i = 0; i < def->n_caps; i++)
        cap_clear(&def->caps[i]);
    free(def->caps);
    free(def);
}

NodeDevCap *
node_device_def_add_cap(NodeDeviceDef *def, NodeDevCapType type)
{
    NodeDevCap *cap;

    def->caps = xrealloc(def->caps, (def->n_caps + 1) * sizeof(*def->caps));
    cap = &def->caps[def->n_caps++];
    memset(cap, 0, sizeof(*cap));
    cap->type = type;
    if (type == NODE_DEV_CAP_PCI) {
        cap->pci.klass = -1;
        cap->pci.iommu_group = -1;
        cap->pci.numa_node = -1;
    } else if (type == NODE_DEV_CAP_SCSI_HOST) {
        cap->scsi_host.unique_id = -1;
    }
    return cap;
}

NodeDevCap *
node_device_def_get_cap(const NodeDeviceDef *def, NodeDevCapType type)
{
    for (size_t i = 0; i < def->n_caps; i++)
        if (def->caps[i].type == type)
            return &def->caps[i];
    return NULL;
}

bool
node_device_def_matches(const NodeDeviceDef *def, uint32_t flags)
{
    /* Every host device is active. */
    const uint32_t by_state = (uint32_t) NODEDEV_LIST_ACTIVE | NODEDEV_LIST_INACTIVE;
    uint32_t caps = flags & ~by_state;

    if (!list_flags_pair_ok(flags, (uint32_t) NODEDEV_LIST_ACTIVE, NODEDEV_LIST_INACTIVE, true))
        return false;
    if (!caps)
        return true;
    for (size_t i = 0; i < def->n_caps; i++)
        if (caps & node_dev_cap_flag(def->caps[i].type))
            return true;
    return false;
}

char *
node_device_make_name(const char *subsystem, const char *sysname, const char *extra)
{
    char *name = extra ? xasprintf("%s_%s_%s", subsystem, sysname, extra)
                       : xasprintf("%s_%s", subsystem, sysname);

    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    return name;
}

/* ---- format ------------------------------------------------------------ */

static void
format_id_name(XmlWriter *w, const char *elem, unsigned id, const char *name)
{
    xml_writer_start(w, elem);
    xml_writer_attrf(w, "id", "0x%.4x", id);
    if (name)
        xml_writer_text(w, name);
    xml_writer_end(w);
}

static void
format_uint(XmlWriter *w, const char *elem, unsigned long long v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%llu", v);
    xml_writer_element_text(w, elem, buf);
}

static void
format_pci_address(XmlWriter *w, const NodeDevPciAddress *a)
{
    xml_writer_start(w, "address");
    xml_writer_attrf(w, "domain", "0x%.4x", a->domain);
    xml_writer_attrf(w, "bus", "0x%.2x", a->bus);
    xml_writer_attrf(w, "slot", "0x%.2x", a->slot);
    xml_writer_attrf(w, "function", "0x%.1x", a->function);
    xml_writer_end(w);
}

static void
format_cap(XmlWriter *w, const NodeDevCap *cap)
{
    char buf[64];

    xml_writer_start(w, "capability");
    xml_writer_attr(w, "type", cap_names[cap->type]);
    switch (cap->type) {
    case NODE_DEV_CAP_SYSTEM:
        xml_writer_element_text(w, "product", cap->system.product);
        xml_writer_start(w, "hardware");
        xml_writer_element_text(w, "vendor", cap->system.hw_vendor);
        xml_writer_element_text(w, "version", cap->system.hw_version);
        xml_writer_element_text(w, "serial", cap->system.hw_serial);
        xml_writer_element_text(w, "uuid", uuid_format(&cap->system.hw_uuid, buf));
        xml_writer_end(w);
        xml_writer_start(w, "firmware");
        xml_writer_element_text(w, "vendor", cap->system.fw_vendor);
        xml_writer_element_text(w, "version", cap->system.fw_version);
        xml_writer_element_text(w, "release_date", cap->system.fw_release_date);
        xml_writer_end(w);
        break;
    case NODE_DEV_CAP_PCI:
        if (cap->pci.klass >= 0) {
            snprintf(buf, sizeof(buf), "0x%.6x", (unsigned) cap->pci.klass);
            xml_writer_element_text(w, "class", buf);
        }
        format_uint(w, "domain", cap->pci.addr.domain);
        format_uint(w, "bus", cap->pci.addr.bus);
        format_uint(w, "slot", cap->pci.addr.slot);
        format_uint(w, "function", cap->pci.addr.function);
        format_id_name(w, "product", cap->pci.product_id, cap->pci.product_name);
        format_id_name(w, "vendor", cap->pci.vendor_id, cap->pci.vendor_name);
        if (cap->pci.iommu_group >= 0) {
            xml_writer_start(w, "iommuGroup");
            xml_writer_attrf(w, "number", "%d", cap->pci.iommu_group);
            for (size_t i = 0; i < cap->pci.n_iommu_members; i++)
                format_pci_address(w, &cap->pci.iommu_members[i]);
            xml_writer_end(w);
        }
        if (cap->pci.numa_node >= 0) {
            xml_writer_start(w, "numa");
            xml_writer_attrf(w, "node", "%d", cap->pci.numa_node);
            xml_writer_end(w);
        }
        break;
    case NODE_DEV_CAP_USB_DEV:
        format_uint(w, "bus", cap->usb_dev.bus);
        format_uint(w, "device", cap->usb_dev.device);
        format_id_name(w, "product", cap->usb_dev.product_id, cap->usb_dev.product_name);
        format_id_name(w, "vendor", cap->usb_dev.vendor_id, cap->usb_dev.vendor_name);
        break;
    case NODE_DEV_CAP_USB_INTERFACE:
        format_uint(w, "number", cap->usb_if.number);
        format_uint(w, "class", cap->usb_if.klass);
        format_uint(w, "subclass", cap->usb_if.subclass);
        format_uint(w, "protocol", cap->usb_if.protocol);
        xml_writer_element_text(w, "description", cap->usb_if.description);
        break;
    case NODE_DEV_CAP_NET:
        xml_writer_element_text(w, "interface", cap->net.ifname);
        xml_writer_element_text(w, "address", cap->net.address);
        if (cap->net.speed || cap->net.state) {
            xml_writer_start(w, "link");
            if (cap->net.speed)
                xml_writer_attrf(w, "speed", "%u", cap->net.speed);
            if (cap->net.state)
                xml_writer_attr(w, "state", link_names[cap->net.state]);
            xml_writer_end(w);
        }
        for (char **f = cap->net.features; f && *f; f++) {
            xml_writer_start(w, "feature");
            xml_writer_attr(w, "name", *f);
            xml_writer_end(w);
        }
        xml_writer_start(w, "capability");
        xml_writer_attr(w, "type", cap->net.wireless ? "80211" : "80203");
        xml_writer_end(w);
        break;
    case NODE_DEV_CAP_SCSI_HOST:
        format_uint(w, "host", cap->scsi_host.host);
        if (cap->scsi_host.unique_id >= 0)
            format_uint(w, "unique_id", cap->scsi_host.unique_id);
        break;
    case NODE_DEV_CAP_SCSI_TARGET:
        xml_writer_element_text(w, "target", cap->scsi_target.name);
        break;
    case NODE_DEV_CAP_SCSI:
        format_uint(w, "host", cap->scsi.host);
        format_uint(w, "bus", cap->scsi.bus);
        format_uint(w, "target", cap->scsi.target);
        format_uint(w, "lun", cap->scsi.lun);
        xml_writer_element_text(w, "type", cap->scsi.type);
        break;
    case NODE_DEV_CAP_STORAGE:
        xml_writer_element_text(w, "block", cap->storage.block);
        xml_writer_element_text(w, "bus", cap->storage.bus);
        xml_writer_element_text(w, "drive_type", cap->storage.drive_type);
        xml_writer_element_text(w, "model", cap->storage.model);
        xml_writer_element_text(w, "vendor", cap->storage.vendor);
        xml_writer_element_text(w, "serial", cap->storage.serial);
        if (cap->storage.removable) {
            xml_writer_start(w, "capability");
            xml_writer_attr(w, "type", "removable");
            format_uint(w, "media_available", cap->storage.media_available);
            format_uint(w, "media_size", cap->storage.size);
            xml_writer_element_text(w, "media_label", cap->storage.media_label);
        } else {
            format_uint(w, "size", cap->storage.size);
        }
        if (cap->storage.logical_block_size)
            format_uint(w, "logical_block_size", cap->storage.logical_block_size);
        if (cap->storage.num_blocks)
            format_uint(w, "num_blocks", cap->storage.num_blocks);
        if (cap->storage.removable)
            xml_writer_end(w);
        if (cap->storage.hotpluggable) {
            xml_writer_start(w, "capability");
            xml_writer_attr(w, "type", "hotpluggable");
            xml_writer_end(w);
        }
        break;
    case _NODE_DEV_CAP_MAX:
        break;
    }
    xml_writer_end(w);
}

char *
node_device_def_format(const NodeDeviceDef *def)
{
    XmlWriter w = XML_WRITER_INIT;

    xml_writer_start(&w, "device");
    xml_writer_element_text(&w, "name", def->name);
    xml_writer_element_text(&w, "path", def->sysfs_path);
    if (def->devnode) {
        xml_writer_start(&w, "devnode");
        xml_writer_attr(&w, "type", "dev");
        xml_writer_text(&w, def->devnode);
        xml_writer_end(&w);
    }
    for (char **l = def->devlinks; l && *l; l++) {
        xml_writer_start(&w, "devnode");
        xml_writer_attr(&w, "type", "link");
        xml_writer_text(&w, *l);
        xml_writer_end(&w);
    }
    xml_writer_element_text(&w, "parent", def->parent);
    if (def->driver) {
        xml_writer_start(&w, "driver");
        xml_writer_element_text(&w, "name", def->driver);
        xml_writer_end(&w);
    }
    for (size_t i = 0; i < def->n_caps; i++)
        format_cap(&w, &def->caps[i]);
    xml_writer_end(&w);
    return xml_writer_steal(&w);
}

/* ---- parse ------------------------------------------------------------- */

typedef struct ParseCtx {
    const char *devname; /* for messages */
    Error *error;
} ParseCtx;

/* Unsigned number in the text of child @elem (@base 0 accepts 0x..). Missing:
 * -ENODATA when @required, else 0 with *ret untouched. */
static int
child_uint(ParseCtx *ctx, const xmlNode *node, const char *elem, int base, unsigned long long max,
           bool required, unsigned long long *ret)
{
    auto_cleanup(free_ptr) char *s = xml_child_content(node, elem);

    if (!s) {
        if (!required)
            return 0;
        return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                         "missing %s for '%s'", elem, ctx->devname);
    }
    if (xml_parse_ull(s, base, max, ret) < 0)
        return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                         "invalid %s '%s' for '%s'", elem, s, ctx->devname);
    return 1;
}

static int
child_uint_u(ParseCtx *ctx, const xmlNode *node, const char *elem, bool required, unsigned *ret)
{
    unsigned long long v;
    int r = child_uint(ctx, node, elem, 0, UINT32_MAX, required, &v);

    if (r > 0)
        *ret = v;
    return r;
}

static int
parse_id_name(ParseCtx *ctx, const xmlNode *node, const char *elem, unsigned *ret_id,
              char **ret_name)
{
    xmlNode *n = xml_child(node, elem);
    auto_cleanup(free_ptr) char *id = NULL;
    unsigned long long v;

    if (!n)
        return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                         "missing %s ID for '%s'", elem, ctx->devname);
    id = xml_prop(n, "id");
    if (!id || xml_parse_ull(id, 0, 0xffff, &v) < 0)
        return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                         "invalid %s ID supplied for '%s'", elem, ctx->devname);
    *ret_id = v;
    *ret_name = xml_content(n);
    if (*ret_name && !**ret_name) {
        free(*ret_name);
        *ret_name = NULL;
    }
    return 0;
}

static int
parse_pci_address(ParseCtx *ctx, const xmlNode *n, NodeDevPciAddress *a)
{
    unsigned v[4];
    static const char *const names[] = { "domain", "bus", "slot", "function" };
    static const unsigned max[] = { 0xffff, 0xff, 0x1f, 7 };

    for (int i = 0; i < 4; i++) {
        int r = xml_prop_uint(n, names[i], 16, max[i], &v[i], ctx->error);
        if (r < 0)
            return r;
        if (r == 0)
            return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                             "missing %s in PCI address of '%s'", names[i], ctx->devname);
    }
    *a = (NodeDevPciAddress) { v[0], v[1], v[2], v[3] };
    return 0;
}

static int
parse_system(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    xmlNode *hw = xml_child(node, "hardware"), *fw = xml_child(node, "firmware");

    cap->system.product = xml_child_content(node, "product");
    if (hw) {
        auto_cleanup(free_ptr) char *uuid = xml_child_content(hw, "uuid");

        cap->system.hw_vendor = xml_child_content(hw, "vendor");
        cap->system.hw_version = xml_child_content(hw, "version");
        cap->system.hw_serial = xml_child_content(hw, "serial");
        if (uuid && uuid_parse(uuid, &cap->system.hw_uuid) < 0)
            return error_set(ctx->error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "malformed uuid element for '%s'", ctx->devname);
    }
    if (fw) {
        cap->system.fw_vendor = xml_child_content(fw, "vendor");
        cap->system.fw_version = xml_child_content(fw, "version");
        cap->system.fw_release_date = xml_child_content(fw, "release_date");
    }
    return 0;
}

static int
parse_pci(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    unsigned long long v;
    xmlNode *group, *numa;
    int r;

    r = child_uint(ctx, node, "class", 0, 0xffffff, false, &v);
    if (r < 0)
        return r;
    if (r > 0)
        cap->pci.klass = v;
    if ((r = child_uint_u(ctx, node, "domain", true, &cap->pci.addr.domain)) < 0 ||
        (r = child_uint_u(ctx, node, "bus", true, &cap->pci.addr.bus)) < 0 ||
        (r = child_uint_u(ctx, node, "slot", true, &cap->pci.addr.slot)) < 0 ||
        (r = child_uint_u(ctx, node, "function", true, &cap->pci.addr.function)) < 0)
        return r;
    r = parse_id_name(ctx, node, "product", &cap->pci.product_id, &cap->pci.product_name);
    if (r >= 0)
        r = parse_id_name(ctx, node, "vendor", &cap->pci.vendor_id, &cap->pci.vendor_name);
    if (r < 0)
        return r;
    group = xml_child(node, "iommuGroup");
    if (group) {
        unsigned num;

        r = xml_prop_uint(group, "number", 10, INT32_MAX, &num, ctx->error);
        if (r < 0)
            return r;
        if (r == 0)
            return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                             "missing iommuGroup number attribute for '%s'", ctx->devname);
        cap->pci.iommu_group = num;
        xml_foreach_child(a, group) {
            if (!xml_node_is(a, "address"))
                continue;
            cap->pci.iommu_members = xrealloc(cap->pci.iommu_members,
                                              (cap->pci.n_iommu_members + 1) *
                                              sizeof(NodeDevPciAddress));
            r = parse_pci_address(ctx, a, &cap->pci.iommu_members[cap->pci.n_iommu_members]);
            if (r < 0)
                return r;
            cap->pci.n_iommu_members++;
        }
    }
    numa = xml_child(node, "numa");
    if (numa) {
        unsigned n;

        r = xml_prop_uint(numa, "node", 10, INT32_MAX, &n, ctx->error);
        if (r < 0)
            return r;
        if (r > 0)
            cap->pci.numa_node = n;
    }
    return 0;
}

static int
parse_usb_dev(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    int r;

    if ((r = child_uint_u(ctx, node, "bus", true, &cap->usb_dev.bus)) < 0 ||
        (r = child_uint_u(ctx, node, "device", true, &cap->usb_dev.device)) < 0)
        return r;
    r = parse_id_name(ctx, node, "product", &cap->usb_dev.product_id,
                      &cap->usb_dev.product_name);
    if (r >= 0)
        r = parse_id_name(ctx, node, "vendor", &cap->usb_dev.vendor_id,
                          &cap->usb_dev.vendor_name);
    return r;
}

static int
parse_usb_if(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    int r;

    if ((r = child_uint_u(ctx, node, "number", true, &cap->usb_if.number)) < 0 ||
        (r = child_uint_u(ctx, node, "class", true, &cap->usb_if.klass)) < 0 ||
        (r = child_uint_u(ctx, node, "subclass", true, &cap->usb_if.subclass)) < 0 ||
        (r = child_uint_u(ctx, node, "protocol", true, &cap->usb_if.protocol)) < 0)
        return r;
    cap->usb_if.description = xml_child_content(node, "description");
    return 0;
}

static int
parse_net(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    xmlNode *lnk = xml_child(node, "link");
    int r;

    cap->net.ifname = xml_child_content(node, "interface");
    if (!cap->net.ifname)
        return error_set(ctx->error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "no network interface supplied for '%s'", ctx->devname);
    cap->net.address = xml_child_content(node, "address");
    if (lnk) {
        auto_cleanup(free_ptr) char *state = xml_prop(lnk, "state");

        r = xml_prop_uint(lnk, "speed", 10, UINT32_MAX, &cap->net.speed, ctx->error);
        if (r < 0)
            return r;
        if (state) {
            int s = node_dev_link_state_from_string(state);
            if (s <= 0)
                return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "unknown link state '%s'", state);
            cap->net.state = s;
        }
    }
    xml_foreach_child(c, node) {
        if (xml_node_is(c, "feature")) {
            char *name = xml_prop(c, "name");
            if (!name)
                return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "missing network device feature name");
            strv_push(&cap->net.features, name);
        } else if (xml_node_is(c, "capability")) {
            auto_cleanup(free_ptr) char *type = xml_prop(c, "type");
            if (!STREQ_NULL(type, "80203") && !STREQ_NULL(type, "80211"))
                return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "invalid network type supplied for '%s'", ctx->devname);
            cap->net.wireless = STREQ(type, "80211");
        }
    }
    return 0;
}

static int
parse_scsi_host(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    unsigned long long v;
    int r;

    r = child_uint_u(ctx, node, "host", true, &cap->scsi_host.host);
    if (r < 0)
        return r;
    r = child_uint(ctx, node, "unique_id", 10, INT32_MAX, false, &v);
    if (r > 0)
        cap->scsi_host.unique_id = v;
    return r < 0 ? r : 0;
}

static int
parse_scsi(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    int r;

    if ((r = child_uint_u(ctx, node, "host", true, &cap->scsi.host)) < 0 ||
        (r = child_uint_u(ctx, node, "bus", true, &cap->scsi.bus)) < 0 ||
        (r = child_uint_u(ctx, node, "target", true, &cap->scsi.target)) < 0 ||
        (r = child_uint_u(ctx, node, "lun", true, &cap->scsi.lun)) < 0)
        return r;
    cap->scsi.type = xml_child_content(node, "type");
    return 0;
}

static int
parse_storage(ParseCtx *ctx, const xmlNode *node, NodeDevCap *cap)
{
    const xmlNode *sizes = node;
    unsigned long long v;
    int r;

    cap->storage.block = xml_child_content(node, "block");
    if (!cap->storage.block)
        return error_set(ctx->error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "no block device path supplied for '%s'", ctx->devname);
    cap->storage.bus = xml_child_content(node, "bus");
    cap->storage.drive_type = xml_child_content(node, "drive_type");
    cap->storage.model = xml_child_content(node, "model");
    cap->storage.vendor = xml_child_content(node, "vendor");
    cap->storage.serial = xml_child_content(node, "serial");
    xml_foreach_child(c, node) {
        auto_cleanup(free_ptr) char *type = NULL;

        if (!xml_node_is(c, "capability"))
            continue;
        type = xml_prop(c, "type");
        if (STREQ_NULL(type, "hotpluggable")) {
            cap->storage.hotpluggable = true;
        } else if (STREQ_NULL(type, "removable")) {
            cap->storage.removable = true;
            sizes = c;
            r = child_uint(ctx, c, "media_available", 10, 1, false, &v);
            if (r < 0)
                return r;
            cap->storage.media_available = r > 0 && v;
            r = child_uint(ctx, c, "media_size", 10, UINT64_MAX, false, &v);
            if (r < 0)
                return r;
            if (r > 0)
                cap->storage.size = v;
            cap->storage.media_label = xml_child_content(c, "media_label");
        } else {
            return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                             "unknown storage capability type '%s' for '%s'",
                             type ? type : "", ctx->devname);
        }
    }
    if (!cap->storage.removable) {
        r = child_uint(ctx, node, "size", 10, UINT64_MAX, false, &v);
        if (r < 0)
            return r;
        if (r > 0)
            cap->storage.size = v;
    }
    r = child_uint(ctx, sizes, "logical_block_size", 10, UINT64_MAX, false, &v);
    if (r < 0)
        return r;
    if (r > 0)
        cap->storage.logical_block_size = v;
    r = child_uint(ctx, sizes, "num_blocks", 10, UINT64_MAX, false, &v);
    if (r < 0)
        return r;
    if (r > 0)
        cap->storage.num_blocks = v;
    return 0;
}

static int
parse_cap(ParseCtx *ctx, const xmlNode *node, NodeDeviceDef *def)
{
    auto_cleanup(free_ptr) char *type = xml_prop(node, "type");
    NodeDevCap *cap;
    int t;

    if (!type)
        return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                         "missing capability type for '%s'", ctx->devname);
    t = node_dev_cap_type_from_string(type);
    if (t < 0)
        return error_set(ctx->error, -EINVAL, VIR_ERR_XML_ERROR,
                         "unknown capability type '%s'", type);
    cap = node_device_def_add_cap(def, t);
    switch (cap->type) {
    case NODE_DEV_CAP_SYSTEM:
        return parse_system(ctx, node, cap);
    case NODE_DEV_CAP_PCI:
        return parse_pci(ctx, node, cap);
    case NODE_DEV_CAP_USB_DEV:
        return parse_usb_dev(ctx, node, cap);
    case NODE_DEV_CAP_USB_INTERFACE:
        return parse_usb_if(ctx, node, cap);
    case NODE_DEV_CAP_NET:
        return parse_net(ctx, node, cap);
    case NODE_DEV_CAP_SCSI_HOST:
        return parse_scsi_host(ctx, node, cap);
    case NODE_DEV_CAP_SCSI_TARGET:
        cap->scsi_target.name = xml_child_content(node, "target");
        if (!cap->scsi_target.name)
            return error_set(ctx->error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "no target name supplied for '%s'", ctx->devname);
        return 0;
    case NODE_DEV_CAP_SCSI:
        return parse_scsi(ctx, node, cap);
    case NODE_DEV_CAP_STORAGE:
        return parse_storage(ctx, node, cap);
    case _NODE_DEV_CAP_MAX:
        break;
    }
    return -EINVAL;
}

int
node_device_def_parse(const char *xml, NodeDeviceDef **ret_def, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(node_device_def_freep) NodeDeviceDef *def = NULL;
    ParseCtx ctx = { .error = error };
    xmlNode *root, *driver;
    int r;

    r = xml_parse_document(xml, NODE_DEVICE_XML_MAX, "device", &doc, error);
    if (r < 0)
        return r;
    root = xmlDocGetRootElement(doc);
    def = node_device_def_new();
    def->name = xml_child_content(root, "name");
    ctx.devname = def->name ? def->name : "new device";
    def->sysfs_path = xml_child_content(root, "path");
    def->parent = xml_child_content(root, "parent");
    driver = xml_child(root, "driver");
    if (driver)
        def->driver = xml_child_content(driver, "name");
    xml_foreach_child(c, root) {
        if (xml_node_is(c, "devnode")) {
            auto_cleanup(free_ptr) char *type = xml_prop(c, "type");

            if (STREQ_NULL(type, "dev")) {
                free(def->devnode);
                def->devnode = xml_content(c);
            } else if (STREQ_NULL(type, "link")) {
                strv_push(&def->devlinks, xml_content(c));
            } else {
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "unknown devnode type '%s'", type ? type : "");
            }
        } else if (xml_node_is(c, "capability")) {
            r = parse_cap(&ctx, c, def);
            if (r < 0)
                return r;
        }
    }
    if (def->n_caps == 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "no device capabilities for '%s'", ctx.devname);

    *ret_def = steal_ptr(def);
    return 0;
}
