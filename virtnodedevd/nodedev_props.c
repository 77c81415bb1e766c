/* Host device -> props -> node device definition, following libvirt's udev
 * backend (node_device_udev.c) rule by rule, on sd-device. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "nodedev_props.h"
#include "xml_util.h"

void
node_dev_props_clear(NodeDevProps *p)
{
    strv_free(p->kv);
    p->kv = NULL;
}

static ssize_t
props_find(const NodeDevProps *p, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; p->kv && p->kv[i]; i++)
        if (strncmp(p->kv[i], key, klen) == 0 && p->kv[i][klen] == '=')
            return i;
    return -1;
}

void
node_dev_props_set(NodeDevProps *p, const char *key, const char *value)
{
    ssize_t i = props_find(p, key);

    if (i >= 0) {
        free(p->kv[i]);
        if (value) {
            p->kv[i] = xasprintf("%s=%s", key, value);
        } else {
            size_t n = strv_length(p->kv);
            memmove(&p->kv[i], &p->kv[i + 1], (n - i) * sizeof(char *));
        }
        return;
    }
    if (value)
        strv_push(&p->kv, xasprintf("%s=%s", key, value));
}

const char *
node_dev_props_get(const NodeDevProps *p, const char *key)
{
    ssize_t i = props_find(p, key);

    return i >= 0 ? p->kv[i] + strlen(key) + 1 : NULL;
}

char *
node_dev_props_format(const NodeDevProps *p)
{
    size_t len = 0;
    char *s, *q;

    for (size_t i = 0; p->kv && p->kv[i]; i++)
        len += strlen(p->kv[i]) + 1;
    s = q = xmalloc(len + 1);
    for (size_t i = 0; p->kv && p->kv[i]; i++)
        q = stpcpy(stpcpy(q, p->kv[i]), "\n");
    *q = '\0';
    return s;
}

int
node_dev_props_parse(const char *text, NodeDevProps *ret, Error *error)
{
    NodeDevProps p = { NULL };
    unsigned line = 0;

    while (*text) {
        const char *end = strchrnul(text, '\n');
        auto_cleanup(free_ptr) char *l = xstrndup(text, end - text);
        char *eq;

        line++;
        text = *end ? end + 1 : end;
        if (!*l || l[0] == '#')
            continue;
        eq = strchr(l, '=');
        if (!eq) {
            node_dev_props_clear(&p);
            return error_set(error, -EINVAL, VIR_ERR_PARSE_FAILED,
                             "line %u of device properties has no '=': '%s'", line, l);
        }
        *eq = '\0';
        node_dev_props_set(&p, l, eq + 1);
    }
    *ret = p;
    return 0;
}

/* ---- reading sd-device ---------------------------------------------------- */

/* Sets @key to sysattr @attr without its trailing newline, when readable. */
static void
copy_attr(NodeDevProps *p, sd_device *dev, const char *attr, const char *key)
{
    const char *v = NULL;

    if (sd_device_get_sysattr_value(dev, attr, &v) >= 0 && v) {
        auto_cleanup(free_ptr) char *s = xstrdup(v);
        size_t n = strlen(s);

        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
            s[--n] = '\0';
        node_dev_props_set(p, key, s);
    }
}

static void
set_attr(NodeDevProps *p, sd_device *dev, const char *attr)
{
    auto_cleanup(free_ptr) char *key = xasprintf("A:%s", attr);

    copy_attr(p, dev, attr, key);
}

static void
copy_prop(NodeDevProps *p, sd_device *dev, const char *name)
{
    const char *v = NULL;
    auto_cleanup(free_ptr) char *key = NULL;

    if (sd_device_get_property_value(dev, name, &v) < 0 || !v)
        return;
    key = xasprintf("E:%s", name);
    node_dev_props_set(p, key, v);
}

/* The names of the vendor and model from the pci.ids / usb.ids database:
 * udev's hwdb builtin puts them in the device's properties; without udevd
 * (or before it ran) the same lookup is done here on the modalias. */
static void
hwdb_names(NodeDevProps *p, sd_hwdb *hwdb, const char *modalias)
{
    static const char *const keys[] = { "ID_VENDOR_FROM_DATABASE", "ID_MODEL_FROM_DATABASE" };

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        auto_cleanup(free_ptr) char *key = xasprintf("E:%s", keys[i]);
        const char *v = NULL;

        if (node_dev_props_get(p, key) || !hwdb || !modalias)
            continue;
        if (sd_hwdb_get(hwdb, modalias, keys[i], &v) >= 0 && v)
            node_dev_props_set(p, key, v);
    }
}

static void
read_iommu_group(NodeDevProps *p, const char *syspath)
{
    auto_cleanup(free_ptr) char *link = xasprintf("%s/iommu_group", syspath);
    auto_cleanup(free_ptr) char *devs = xasprintf("%s/iommu_group/devices", syspath);
    auto_cleanup(strv_freep) char **members = NULL;
    char target[PATH_MAX];
    ssize_t n;
    DIR *d;
    struct dirent *de;
    size_t len = 0;
    char *list, *q;

    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return;
    target[n] = '\0';
    node_dev_props_set(p, "IOMMU_GROUP", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
    d = opendir(devs);
    if (!d)
        return;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strv_push(&members, xstrdup(de->d_name));
    closedir(d);
    if (!members)
        return;
    strv_sort(members);
    for (size_t i = 0; members[i]; i++)
        len += strlen(members[i]) + 1;
    list = q = xmalloc(len + 1);
    for (size_t i = 0; members[i]; i++)
        q = stpcpy(stpcpy(q, i ? " " : ""), members[i]);
    node_dev_props_set(p, "IOMMU_MEMBERS", list);
    free(list);
}

typedef enum {
    KIND_NONE,
    KIND_PCI,
    KIND_USB_DEV,
    KIND_USB_IF,
    KIND_NET,
    KIND_SCSI_HOST,
    KIND_SCSI_TARGET,
    KIND_SCSI,
    KIND_STORAGE,
} Kind;

/* libvirt's udevGetDeviceType. */
static Kind
props_kind(const NodeDevProps *p)
{
    const char *devtype = node_dev_props_get(p, "DEVTYPE");
    const char *subsystem = node_dev_props_get(p, "SUBSYSTEM");

    if (STREQ_NULL(devtype, "usb_device"))
        return KIND_USB_DEV;
    if (STREQ_NULL(devtype, "usb_interface"))
        return KIND_USB_IF;
    if (STREQ_NULL(devtype, "scsi_host"))
        return KIND_SCSI_HOST;
    if (STREQ_NULL(devtype, "scsi_target"))
        return KIND_SCSI_TARGET;
    if (STREQ_NULL(devtype, "scsi_device"))
        return KIND_SCSI;
    if (STREQ_NULL(devtype, "disk") && STREQ_NULL(subsystem, "block"))
        return KIND_STORAGE;
    if (STREQ_NULL(devtype, "wlan"))
        return KIND_NET;
    if (node_dev_props_get(p, "E:PCI_CLASS"))
        return KIND_PCI;
    if (STREQ_NULL(subsystem, "net") && node_dev_props_get(p, "E:INTERFACE"))
        return KIND_NET;
    return KIND_NONE;
}

int
node_dev_props_from_device(sd_device *dev, sd_hwdb *hwdb, NodeDevProps *ret)
{
    NodeDevProps p = { NULL };
    const char *syspath = NULL, *subsystem = NULL, *devtype = NULL, *sysname = NULL;
    const char *driver = NULL, *devname = NULL;
    sd_device *parent = NULL;
    int r;

    r = sd_device_get_syspath(dev, &syspath);
    if (r < 0)
        return r;
    (void) sd_device_get_subsystem(dev, &subsystem);
    (void) sd_device_get_devtype(dev, &devtype);
    (void) sd_device_get_sysname(dev, &sysname);
    (void) sd_device_get_driver(dev, &driver);
    (void) sd_device_get_devname(dev, &devname);
    node_dev_props_set(&p, "SYSPATH", syspath);
    node_dev_props_set(&p, "SUBSYSTEM", subsystem);
    node_dev_props_set(&p, "DEVTYPE", devtype);
    node_dev_props_set(&p, "SYSNAME", sysname);
    node_dev_props_set(&p, "DRIVER", driver);
    node_dev_props_set(&p, "DEVNAME", devname);
    copy_prop(&p, dev, "PCI_CLASS");
    copy_prop(&p, dev, "INTERFACE");

    switch (props_kind(&p)) {
    case KIND_NONE:
        node_dev_props_clear(&p);
        return 0;
    case KIND_PCI: {
        const char *modalias = NULL;

        copy_prop(&p, dev, "PCI_ID");
        copy_prop(&p, dev, "PCI_SLOT_NAME");
        copy_prop(&p, dev, "MODALIAS");
        copy_prop(&p, dev, "ID_VENDOR_FROM_DATABASE");
        copy_prop(&p, dev, "ID_MODEL_FROM_DATABASE");
        set_attr(&p, dev, "numa_node");
        (void) sd_device_get_property_value(dev, "MODALIAS", &modalias);
        hwdb_names(&p, hwdb, modalias);
        read_iommu_group(&p, syspath);
        break;
    }
    case KIND_USB_DEV: {
        const char *vid = NULL, *pid = NULL;

        set_attr(&p, dev, "busnum");
        set_attr(&p, dev, "devnum");
        set_attr(&p, dev, "idVendor");
        set_attr(&p, dev, "idProduct");
        set_attr(&p, dev, "manufacturer");
        set_attr(&p, dev, "product");
        copy_prop(&p, dev, "ID_VENDOR_FROM_DATABASE");
        copy_prop(&p, dev, "ID_MODEL_FROM_DATABASE");
        vid = node_dev_props_get(&p, "A:idVendor");
        pid = node_dev_props_get(&p, "A:idProduct");
        if (vid && pid) {
            auto_cleanup(free_ptr) char *alias = xasprintf("usb:v%sp%s*", vid, pid);
            /* hwdb keys are upper case hex, like the kernel's modalias. */
            for (char *c = alias + 4; *c; c++)
                if (*c >= 'a' && *c <= 'f')
                    *c -= 'a' - 'A';
            hwdb_names(&p, hwdb, alias);
        }
        break;
    }
    case KIND_USB_IF:
        set_attr(&p, dev, "bInterfaceNumber");
        set_attr(&p, dev, "bInterfaceClass");
        set_attr(&p, dev, "bInterfaceSubClass");
        set_attr(&p, dev, "bInterfaceProtocol");
        set_attr(&p, dev, "interface");
        break;
    case KIND_NET:
        set_attr(&p, dev, "address");
        set_attr(&p, dev, "operstate");
        set_attr(&p, dev, "speed");
        break;
    case KIND_SCSI_HOST: {
        auto_cleanup(free_ptr) char *attr = xasprintf("scsi_host/%s/unique_id", sysname);

        copy_attr(&p, dev, attr, "A:unique_id");
        break;
    }
    case KIND_SCSI_TARGET:
        break;
    case KIND_SCSI:
        set_attr(&p, dev, "type");
        break;
    case KIND_STORAGE:
        copy_prop(&p, dev, "ID_BUS");
        copy_prop(&p, dev, "ID_TYPE");
        copy_prop(&p, dev, "ID_SERIAL");
        copy_prop(&p, dev, "ID_MODEL");
        copy_prop(&p, dev, "ID_VENDOR");
        copy_prop(&p, dev, "ID_CDROM");
        copy_prop(&p, dev, "ID_DRIVE_FLOPPY");
        set_attr(&p, dev, "size");
        set_attr(&p, dev, "queue/logical_block_size");
        set_attr(&p, dev, "removable");
        set_attr(&p, dev, "serial");
        /* The bus, when udev did not say: the first ancestor's subsystem
         * that is a disk bus, and a SCSI disk's peripheral type. */
        for (sd_device *a = dev; sd_device_get_parent(a, &parent) >= 0; a = parent) {
            const char *sub = NULL;

            if (sd_device_get_subsystem(parent, &sub) < 0 || !sub)
                continue;
            if (STREQ(sub, "scsi") && !node_dev_props_get(&p, "A:device/type")) {
                const char *t = NULL;
                if (sd_device_get_sysattr_value(parent, "type", &t) >= 0 && t)
                    copy_attr(&p, parent, "type", "A:device/type");
                /* SCSI inquiry strings, as udev's ID_VENDOR/ID_MODEL. */
                copy_attr(&p, parent, "vendor", "A:device/vendor");
                copy_attr(&p, parent, "model", "A:device/model");
            }
            if (STREQ(sub, "virtio") || STREQ(sub, "scsi") || STREQ(sub, "usb") ||
                STREQ(sub, "ata") || STREQ(sub, "nvme") || STREQ(sub, "xen")) {
                node_dev_props_set(&p, "PARENT_BUS", sub);
                break;
            }
        }
        break;
    }
    *ret = p;
    return 1;
}

void
node_dev_props_computer(const char *sysfs, NodeDevProps *ret)
{
    static const char *const attrs[] = {
        "product_name", "sys_vendor", "product_version", "product_serial", "product_uuid",
        "bios_vendor", "bios_version", "bios_date",
    };
    auto_cleanup(free_ptr) char *dir = xasprintf("%s/devices/virtual/dmi/id", sysfs);
    NodeDevProps p = { NULL };

    node_dev_props_set(&p, "SUBSYSTEM", "dmi");
    for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
        auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", dir, attrs[i]);
        auto_cleanup(free_ptr) char *data = NULL;
        auto_cleanup(free_ptr) char *key = NULL;
        size_t len;

        if (file_read_all(path, 4096, &data, &len, NULL) < 0)
            continue;
        while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
            data[--len] = '\0';
        key = xasprintf("A:%s", attrs[i]);
        node_dev_props_set(&p, key, data);
    }
    *ret = p;
}

/* ---- props -> definition ----------------------------------------------- */

static int
get_uint(const NodeDevProps *p, const char *key, int base, unsigned *ret)
{
    const char *s = node_dev_props_get(p, key);
    unsigned long long v;

    if (!s || xml_parse_ull(s, base, UINT32_MAX, &v) < 0)
        return -EINVAL;
    *ret = v;
    return 0;
}

static char *
dup_nonempty(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static int
bad_props(const NodeDevProps *p, const char *what, Error *error)
{
    const char *path = node_dev_props_get(p, "SYSPATH");

    return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                     "failed to read the %s of device '%s'", what, path ? path : "?");
}

static int
parse_pci_slot_name(const char *s, NodeDevPciAddress *a)
{
    unsigned d, b, sl, f;
    char end;

    if (!s || sscanf(s, "%x:%x:%x.%x%c", &d, &b, &sl, &f, &end) != 4)
        return -EINVAL;
    *a = (NodeDevPciAddress) { d, b, sl, f };
    return 0;
}

static int
to_pci(const NodeDevProps *p, NodeDeviceDef *def, Error *error)
{
    NodeDevCap *cap = node_device_def_add_cap(def, NODE_DEV_CAP_PCI);
    const char *id = node_dev_props_get(p, "E:PCI_ID");
    const char *members = node_dev_props_get(p, "IOMMU_MEMBERS");
    unsigned klass, vid, pid, group;
    int numa;
    const char *numa_s = node_dev_props_get(p, "A:numa_node");

    if (get_uint(p, "E:PCI_CLASS", 16, &klass) < 0)
        return bad_props(p, "PCI class", error);
    cap->pci.klass = klass & 0xffffff;
    if (!id || sscanf(id, "%x:%x", &vid, &pid) != 2)
        return bad_props(p, "PCI ID", error);
    cap->pci.vendor_id = vid;
    cap->pci.product_id = pid;
    if (parse_pci_slot_name(node_dev_props_get(p, "E:PCI_SLOT_NAME"), &cap->pci.addr) < 0)
        return bad_props(p, "PCI address", error);
    cap->pci.vendor_name = dup_nonempty(node_dev_props_get(p, "E:ID_VENDOR_FROM_DATABASE"));
    cap->pci.product_name = dup_nonempty(node_dev_props_get(p, "E:ID_MODEL_FROM_DATABASE"));
    if (numa_s && sscanf(numa_s, "%d", &numa) == 1 && numa >= 0)
        cap->pci.numa_node = numa;
    if (get_uint(p, "IOMMU_GROUP", 10, &group) == 0) {
        cap->pci.iommu_group = group;
        while (members && *members) {
            NodeDevPciAddress a;
            const char *sp = strchrnul(members, ' ');
            auto_cleanup(free_ptr) char *one = xstrndup(members, sp - members);

            if (parse_pci_slot_name(one, &a) == 0) {
                cap->pci.iommu_members = xrealloc(cap->pci.iommu_members,
                                                  (cap->pci.n_iommu_members + 1) * sizeof(a));
                cap->pci.iommu_members[cap->pci.n_iommu_members++] = a;
            }
            members = *sp ? sp + 1 : sp;
        }
    }
    def->name = node_device_make_name("pci", node_dev_props_get(p, "SYSNAME"), NULL);
    return 0;
}

static int
to_usb_dev(const NodeDevProps *p, NodeDeviceDef *def, Error *error)
{
    NodeDevCap *cap = node_device_def_add_cap(def, NODE_DEV_CAP_USB_DEV);
    const char *vn = node_dev_props_get(p, "E:ID_VENDOR_FROM_DATABASE");
    const char *pn = node_dev_props_get(p, "E:ID_MODEL_FROM_DATABASE");

    if (get_uint(p, "A:busnum", 10, &cap->usb_dev.bus) < 0 ||
        get_uint(p, "A:devnum", 10, &cap->usb_dev.device) < 0 ||
        get_uint(p, "A:idVendor", 16, &cap->usb_dev.vendor_id) < 0 ||
        get_uint(p, "A:idProduct", 16, &cap->usb_dev.product_id) < 0)
        return bad_props(p, "USB identifiers", error);
    /* libvirt falls back on the device's own strings. */
    cap->usb_dev.vendor_name = dup_nonempty(vn ? vn : node_dev_props_get(p, "A:manufacturer"));
    cap->usb_dev.product_name = dup_nonempty(pn ? pn : node_dev_props_get(p, "A:product"));
    def->name = node_device_make_name("usb", node_dev_props_get(p, "SYSNAME"), NULL);
    return 0;
}

static int
to_usb_if(const NodeDevProps *p, NodeDeviceDef *def, Error *error)
{
    NodeDevCap *cap = node_device_def_add_cap(def, NODE_DEV_CAP_USB_INTERFACE);

    if (get_uint(p, "A:bInterfaceNumber", 16, &cap->usb_if.number) < 0 ||
        get_uint(p, "A:bInterfaceClass", 16, &cap->usb_if.klass) < 0 ||
        get_uint(p, "A:bInterfaceSubClass", 16, &cap->usb_if.subclass) < 0 ||
        get_uint(p, "A:bInterfaceProtocol", 16, &cap->usb_if.protocol) < 0)
        return bad_props(p, "USB interface identifiers", error);
    cap->usb_if.description = dup_nonempty(node_dev_props_get(p, "A:interface"));
    def->name = node_device_make_name("usb", node_dev_props_get(p, "SYSNAME"), NULL);
    return 0;
}

static int
to_net(const NodeDevProps *p, NodeDeviceDef *def, Error *error)
{
    NodeDevCap *cap = node_device_def_add_cap(def, NODE_DEV_CAP_NET);
    const char *ifname = node_dev_props_get(p, "E:INTERFACE");
    const char *state = node_dev_props_get(p, "A:operstate");
    unsigned speed;
    int s;

    if (!ifname)
        return bad_props(p, "interface name", error);
    cap->net.ifname = xstrdup(ifname);
    cap->net.address = dup_nonempty(node_dev_props_get(p, "A:address"));
    cap->net.wireless = STREQ_NULL(node_dev_props_get(p, "DEVTYPE"), "wlan");
    s = state ? node_dev_link_state_from_string(state) : -1;
    cap->net.state = s > 0 ? s : NODE_DEV_LINK_UNKNOWN;
    /* The kernel reports -1 (or nothing) while the speed is unknown, and a
     * stale value on a link that is not up: libvirt shows none then. */
    if (cap->net.state == NODE_DEV_LINK_UP &&
        get_uint(p, "A:speed", 10, &speed) == 0 && speed != UINT32_MAX)
        cap->net.speed = speed;
    def->name = node_device_make_name("net", ifname, cap->net.address);
    return 0;
}

static int
scsi_numbers(const char *s, unsigned *v, int n)
{
    char *end;

    for (int i = 0; i < n; i++) {
        unsigned long x = strtoul(s, &end, 10);

        if (end == s || (i < n - 1 && *end != ':') || (i == n - 1 && *end))
            return -EINVAL;
        v[i] = x;
        s = end + 1;
    }
    return 0;
}

static const char *
scsi_type_name(unsigned type)
{
    /* libvirt's udevGetSCSIType */
    switch (type) {
    case 0x00: return "disk";
    case 0x01: return "tape";
    case 0x03: return "processor";
    case 0x04: return "worm";
    case 0x05: return "cdrom";
    case 0x06: return "scanner";
    case 0x07: return "mod";
    case 0x08: return "changer";
    case 0x0c: return "raid";
    case 0x0d: return "enclosure";
    default: return NULL;
    }
}

static int
to_scsi(const NodeDevProps *p, NodeDeviceDef *def, Kind kind, Error *error)
{
    const char *sysname = node_dev_props_get(p, "SYSNAME");
    NodeDevCap *cap;
    unsigned v[4], type;

    if (!sysname)
        return bad_props(p, "name", error);
    if (kind == KIND_SCSI_HOST) {
        cap = node_device_def_add_cap(def, NODE_DEV_CAP_SCSI_HOST);
        if (sscanf(sysname, "host%u", &cap->scsi_host.host) != 1)
            return bad_props(p, "SCSI host number", error);
        if (get_uint(p, "A:unique_id", 10, &v[0]) == 0)
            cap->scsi_host.unique_id = v[0];
    } else if (kind == KIND_SCSI_TARGET) {
        cap = node_device_def_add_cap(def, NODE_DEV_CAP_SCSI_TARGET);
        cap->scsi_target.name = xstrdup(sysname);
    } else {
        cap = node_device_def_add_cap(def, NODE_DEV_CAP_SCSI);
        if (scsi_numbers(sysname, v, 4) < 0)
            return bad_props(p, "SCSI address", error);
        cap->scsi.host = v[0];
        cap->scsi.bus = v[1];
        cap->scsi.target = v[2];
        cap->scsi.lun = v[3];
        if (get_uint(p, "A:type", 10, &type) == 0 && scsi_type_name(type))
            cap->scsi.type = xstrdup(scsi_type_name(type));
    }
    def->name = node_device_make_name("scsi", sysname, NULL);
    return 0;
}

static int
to_storage(const NodeDevProps *p, NodeDeviceDef *def, Error *error)
{
    const char *devname = node_dev_props_get(p, "DEVNAME");
    const char *type = node_dev_props_get(p, "E:ID_TYPE");
    const char *serial = node_dev_props_get(p, "E:ID_SERIAL");
    const char *bus = node_dev_props_get(p, "E:ID_BUS");
    const char *model = node_dev_props_get(p, "E:ID_MODEL");
    const char *vendor = node_dev_props_get(p, "E:ID_VENDOR");
    auto_cleanup(free_ptr) char *dev = NULL;
    unsigned removable = 0, scsi_type;
    unsigned long long sectors = 0, lbs = 512;
    const char *s;
    NodeDevCap *cap;

    if (!devname)
        return error_set(error, -ENODEV, VIR_ERR_NO_NODE_DEVICE, "no devnode for '%s'",
                         node_dev_props_get(p, "SYSPATH"));
    dev = devname[0] == '/' ? xstrdup(devname) : xasprintf("/dev/%s", devname);
    /* libvirt's rules for the drive type: udev's ID_TYPE, its floppy and CD
     * flags, then a guess from the name; a disk of no known type (loop,
     * zram) is not a node device. Without udev, a SCSI peripheral type
     * stands for ID_TYPE. */
    if (!type || STREQ(type, "generic")) {
        if (STREQ_NULL(node_dev_props_get(p, "E:ID_DRIVE_FLOPPY"), "1"))
            type = "floppy";
        else if (STREQ_NULL(node_dev_props_get(p, "E:ID_CDROM"), "1"))
            type = "cd";
        else if (strncmp(dev, "/dev/vd", 7) == 0 || strncmp(dev, "/dev/xvd", 8) == 0)
            type = "disk";
        else if (get_uint(p, "A:device/type", 10, &scsi_type) == 0)
            type = scsi_type == 0 ? "disk" : scsi_type == 5 ? "cd" : NULL;
        else if (strncmp(dev, "/dev/nvme", 9) == 0)
            type = "disk";
        else
            type = NULL;
    }
    if (!type)
        return error_set(error, -ENODEV, VIR_ERR_NO_NODE_DEVICE,
                         "could not determine the storage type of '%s'", dev);
    if (!serial)
        serial = node_dev_props_get(p, "A:serial");
    if (!bus)
        bus = node_dev_props_get(p, "PARENT_BUS");
    if (!model)
        model = node_dev_props_get(p, "A:device/model");
    if (!vendor)
        vendor = node_dev_props_get(p, "A:device/vendor");

    cap = node_device_def_add_cap(def, NODE_DEV_CAP_STORAGE);
    cap->storage.block = xstrdup(dev);
    cap->storage.drive_type = xstrdup(type);
    cap->storage.bus = dup_nonempty(bus);
    cap->storage.serial = dup_nonempty(serial);
    cap->storage.model = dup_nonempty(model);
    cap->storage.vendor = dup_nonempty(vendor);
    s = node_dev_props_get(p, "A:size");
    if (s && xml_parse_ull(s, 10, UINT64_MAX / 512, &sectors) < 0)
        return bad_props(p, "size", error);
    s = node_dev_props_get(p, "A:queue/logical_block_size");
    if (s && (xml_parse_ull(s, 10, UINT32_MAX, &lbs) < 0 || lbs == 0))
        return bad_props(p, "logical block size", error);
    /* sysfs counts 512-byte sectors whatever the block size. */
    cap->storage.size = sectors * 512;
    cap->storage.logical_block_size = lbs;
    cap->storage.num_blocks = cap->storage.size / lbs;
    (void) get_uint(p, "A:removable", 10, &removable);
    if (removable || STREQ(type, "cd") || STREQ(type, "floppy")) {
        cap->storage.removable = true;
        cap->storage.media_available = cap->storage.size > 0;
    }
    def->devnode = xstrdup(dev);
    def->name = node_device_make_name("block", node_dev_props_get(p, "SYSNAME"),
                                      cap->storage.serial);
    return 0;
}

static void
to_computer(const NodeDevProps *p, NodeDeviceDef *def)
{
    NodeDevCap *cap = node_device_def_add_cap(def, NODE_DEV_CAP_SYSTEM);
    const char *uuid = node_dev_props_get(p, "A:product_uuid");

    def->name = xstrdup("computer");
    cap->system.product = dup_nonempty(node_dev_props_get(p, "A:product_name"));
    cap->system.hw_vendor = dup_nonempty(node_dev_props_get(p, "A:sys_vendor"));
    cap->system.hw_version = dup_nonempty(node_dev_props_get(p, "A:product_version"));
    cap->system.hw_serial = dup_nonempty(node_dev_props_get(p, "A:product_serial"));
    if (uuid)
        (void) uuid_parse(uuid, &cap->system.hw_uuid);
    cap->system.fw_vendor = dup_nonempty(node_dev_props_get(p, "A:bios_vendor"));
    cap->system.fw_version = dup_nonempty(node_dev_props_get(p, "A:bios_version"));
    cap->system.fw_release_date = dup_nonempty(node_dev_props_get(p, "A:bios_date"));
}

int
node_dev_props_to_def(const NodeDevProps *p, NodeDeviceDef **ret_def, Error *error)
{
    auto_cleanup(node_device_def_freep) NodeDeviceDef *def = node_device_def_new();
    Kind kind = props_kind(p);
    int r = 0;

    if (STREQ_NULL(node_dev_props_get(p, "SUBSYSTEM"), "dmi")) {
        to_computer(p, def);
        *ret_def = steal_ptr(def);
        return 0;
    }
    switch (kind) {
    case KIND_NONE:
        return error_set(error, -ENODEV, VIR_ERR_NO_NODE_DEVICE,
                         "device '%s' is not a node device",
                         node_dev_props_get(p, "SYSPATH"));
    case KIND_PCI:
        r = to_pci(p, def, error);
        break;
    case KIND_USB_DEV:
        r = to_usb_dev(p, def, error);
        break;
    case KIND_USB_IF:
        r = to_usb_if(p, def, error);
        break;
    case KIND_NET:
        r = to_net(p, def, error);
        break;
    case KIND_SCSI_HOST:
    case KIND_SCSI_TARGET:
    case KIND_SCSI:
        r = to_scsi(p, def, kind, error);
        break;
    case KIND_STORAGE:
        r = to_storage(p, def, error);
        break;
    }
    if (r < 0)
        return r;
    def->sysfs_path = xstrdup(node_dev_props_get(p, "SYSPATH"));
    def->parent = xstrdup(node_dev_props_get(p, "PARENT") ?: "computer");
    def->driver = dup_nonempty(node_dev_props_get(p, "DRIVER"));
    *ret_def = steal_ptr(def);
    return 0;
}
