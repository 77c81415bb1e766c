/* domain_def_parse(): libvirt's <domain> XML into a DomainDef.
 *
 * Follows libvirt's domain_conf.c: unknown elements are ignored, defaults are
 * filled in where libvirt fills them (currentMemory, vcpu count, lifecycle
 * actions, disk bus from the target name, input bus), and live-only data
 * (aliases, pty paths, VNC port, interface target, id) is read too so a
 * driver can reload its status XML. */
#include "domain_def.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "domain_def_parse_priv.h"
#include "xml_util.h"

#define QEMU_NS_URI "http://libvirt.org/schemas/domain/qemu/1.0"

/* Attribute @attr of <@elem> as one of an enumeration's values; absent
 * gives @absent (or, when @absent < 0, @missing as the error). libvirt's
 * error for a value it does not know. */
static int
parse_enum_prop(const xmlNode *node, const char *attr, int (*from_string)(const char *),
                int absent, const char *missing, int *ret, Error *error)
{
    auto_cleanup(free_ptr) char *v = xml_prop(node, attr);
    int e;

    if (!v) {
        if (absent < 0)
            return xml_error(error, "%s", missing);
        *ret = absent;
        return 0;
    }
    e = from_string(v);
    if (e < 0)
        return xml_error(error, "Invalid value for attribute '%s' in element '%s': '%s'.", attr,
                         (const char *) node->name, v);
    *ret = e;
    return 0;
}

/* An optional attribute libvirt refuses as CONFIG_UNSUPPORTED when unknown,
 * with its sentence "@what '<value>'@tail"; *ret keeps its value when the
 * attribute is absent. */
static int
parse_enum_unsupported(const xmlNode *node, const char *attr, int (*from_string)(const char *),
                       const char *what, const char *tail, int *ret, Error *error)
{
    auto_cleanup(free_ptr) char *v = xml_prop(node, attr);
    int e;

    if (!v)
        return 0;
    e = from_string(v);
    if (e < 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: %s '%s'%s", what, v, tail);
    *ret = e;
    return 0;
}

/* Grows a (ptr, count) array by one zeroed element and returns it. */
static void
strv_append(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(char *));
    (*v)[(*n)++] = s;
}

int
parse_uint_content(const xmlNode *node, const char *what, unsigned long long max,
                   unsigned long long *ret, Error *error)
{
    auto_cleanup(free_ptr) char *text = xml_content(node);

    if (xml_parse_ull(text, 10, max, ret) < 0)
        return xml_error(error, "invalid value '%s' for element <%s>", text, what);
    return 0;
}

int
parse_int_content(const xmlNode *node, const char *what, long long min, long long max,
                  long long *ret, Error *error)
{
    auto_cleanup(free_ptr) char *text = xml_content(node);

    if (xml_parse_ll(text, 10, min, max, ret) < 0)
        return xml_error(error, "invalid value '%s' for element <%s>", text, what);
    return 0;
}

static int
parse_address(const xmlNode *dev, DeviceAddress *a, Error *error)
{
    xmlNode *node = xml_child(dev, "address");
    auto_cleanup(free_ptr) char *type = NULL;
    bool multi;
    int t, r;

    a->multifunction = -1;
    if (!node)
        return 0;
    type = xml_prop(node, "type");
    if (!type)
        return xml_error(error, "No type specified for device address");
    t = device_address_type_from_string(type);
    if (t <= 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: unknown address type '%s'", type);
    a->type = t;

    switch (a->type) {
    case DEVICE_ADDRESS_PCI:
        if ((r = xml_prop_uint(node, "domain", 0, UINT_MAX, &a->domain, error)) < 0 ||
            (r = xml_prop_uint(node, "bus", 0, UINT_MAX, &a->bus, error)) < 0 ||
            (r = xml_prop_uint(node, "slot", 0, UINT_MAX, &a->slot, error)) < 0 ||
            (r = xml_prop_uint(node, "function", 0, UINT_MAX, &a->function, error)) < 0)
            return r;
        r = xml_prop_bool(node, "multifunction", &multi, error);
        if (r < 0)
            return r;
        if (r > 0)
            a->multifunction = multi;
        break;
    case DEVICE_ADDRESS_DRIVE:
        if ((r = xml_prop_uint(node, "controller", 10, UINT_MAX, &a->controller, error)) < 0 ||
            (r = xml_prop_uint(node, "bus", 10, UINT_MAX, &a->bus, error)) < 0 ||
            (r = xml_prop_uint(node, "target", 10, UINT_MAX, &a->target, error)) < 0 ||
            (r = xml_prop_uint(node, "unit", 10, UINT_MAX, &a->unit, error)) < 0)
            return r;
        break;
    case DEVICE_ADDRESS_VIRTIO_SERIAL:
        if ((r = xml_prop_uint(node, "controller", 10, UINT_MAX, &a->controller, error)) < 0 ||
            (r = xml_prop_uint(node, "bus", 10, UINT_MAX, &a->bus, error)) < 0 ||
            (r = xml_prop_uint(node, "port", 10, UINT_MAX, &a->port, error)) < 0)
            return r;
        break;
    case DEVICE_ADDRESS_USB:
        if ((r = xml_prop_uint(node, "bus", 10, UINT_MAX, &a->bus, error)) < 0)
            return r;
        a->usb_port = xml_prop(node, "port");
        if (a->usb_port && !*a->usb_port)
            return xml_error(error, "invalid value '' for attribute 'port' of element <address>");
        break;
    case DEVICE_ADDRESS_ISA:
        if ((r = xml_prop_uint(node, "iobase", 0, UINT_MAX, &a->iobase, error)) < 0 ||
            (r = xml_prop_uint(node, "irq", 0, UINT_MAX, &a->irq, error)) < 0)
            return r;
        break;
    case DEVICE_ADDRESS_DIMM: {
        auto_cleanup(free_ptr) char *base = xml_prop(node, "base");
        unsigned long long v;

        if ((r = xml_prop_uint(node, "slot", 10, UINT_MAX, &a->slot, error)) < 0)
            return r;
        if (base) {
            if (xml_parse_ull(base, 0, ULLONG_MAX, &v) < 0)
                return xml_error(error, "Invalid value for attribute 'base' in element "
                                        "'address': '%s'.", base);
            a->base = v;
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

static char *
parse_alias(const xmlNode *dev)
{
    return xml_prop(xml_child(dev, "alias"), "name");
}

static int
parse_boot_order(const xmlNode *dev, int *ret, Error *error)
{
    xmlNode *boot = xml_child(dev, "boot");
    auto_cleanup(free_ptr) char *order = NULL;
    long long v;

    if (!boot)
        return 0;
    order = xml_prop(boot, "order");
    if (!order)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: missing boot order attribute");
    if (xml_parse_ll(order, 10, 1, INT_MAX, &v) < 0)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: incorrect boot order '%s', expecting positive integer",
                         order);
    *ret = (int) v;
    return 0;
}

/* <hostdev mode='subsystem' type='pci' managed='yes'>
 *   <source><address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/></source>
 * </hostdev> */
/* libvirt's virDomainHostdevSubsysUSBDefParseXML. */
static int
parse_usb_hostdev(const xmlNode *node, DomainHostdev *h, Error *error)
{
    xmlNode *source = xml_child(node, "source");
    xmlNode *vendor = source ? xml_child(source, "vendor") : NULL;
    xmlNode *product = source ? xml_child(source, "product") : NULL;
    xmlNode *addr = source ? xml_child(source, "address") : NULL;
    bool managed;
    int r;

    h->type = HOSTDEV_USB;
    r = xml_prop_bool(node, "managed", &managed, error);
    if (r < 0)
        return r;
    h->managed = r > 0 && managed;
    if (!source)
        return xml_error(error, "Missing <source> element in hostdev device");
    h->startup_policy = xml_prop(source, "startupPolicy");
    if (vendor) {
        if ((r = xml_prop_uint(vendor, "id", 0, UINT_MAX, &h->usb_vendor, error)) < 0)
            return r;
        if (r == 0 || h->usb_vendor == 0)
            return xml_error(error, "Missing required attribute 'id' in element 'vendor'");
        if (!product)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: missing product");
    }
    if (product) {
        if ((r = xml_prop_uint(product, "id", 0, UINT_MAX, &h->usb_product, error)) < 0)
            return r;
        if (r == 0)
            return xml_error(error, "Missing required attribute 'id' in element 'product'");
        if (!vendor)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: missing vendor");
    }
    if (addr) {
        if ((r = xml_prop_uint(addr, "bus", 0, UINT_MAX, &h->usb_bus, error)) < 0)
            return r;
        if (r == 0)
            return xml_error(error, "Missing required attribute 'bus' in element 'address'");
        if ((r = xml_prop_uint(addr, "device", 0, UINT_MAX, &h->usb_device, error)) < 0)
            return r;
        if (r == 0)
            return xml_error(error, "Missing required attribute 'device' in element 'address'");
    }
    r = parse_boot_order(node, &h->boot_order, error);
    if (r < 0)
        return r;
    h->alias = parse_alias(node);
    return parse_address(node, &h->address, error);
}

static int
parse_hostdev(const xmlNode *node, DomainHostdev *h, Error *error)
{
    auto_cleanup(free_ptr) char *mode = xml_prop(node, "mode");
    auto_cleanup(free_ptr) char *type = xml_prop(node, "type");
    xmlNode *source = xml_child(node, "source");
    xmlNode *addr = source ? xml_child(source, "address") : NULL;
    DeviceAddress *a = &h->source;
    bool managed;
    int r;

    if (!type)
        return xml_error(error, "missing type in hostdev");
    if ((!mode || STREQ(mode, "subsystem")) && STREQ(type, "usb"))
        return parse_usb_hostdev(node, h, error);
    if ((mode && strcmp(mode, "subsystem") != 0) || strcmp(type, "pci") != 0) {
        /* Kept as text, written the way libvirt writes it. */
        XmlWriter w = XML_WRITER_INIT;
        xml_writer_node(&w, node);
        h->raw_xml = xml_writer_steal(&w);
        xml_writer_clear(&w);
        return 0;
    }
    r = xml_prop_bool(node, "managed", &managed, error);
    if (r < 0)
        return r;
    h->managed = r > 0 && managed;
    if (!addr)
        return xml_error(error, "Missing <source> element in hostdev device");
    a->type = DEVICE_ADDRESS_PCI;
    a->multifunction = -1;
    if ((r = xml_prop_uint(addr, "domain", 0, 0xffff, &a->domain, error)) < 0 ||
        (r = xml_prop_uint(addr, "bus", 0, 0xff, &a->bus, error)) < 0 ||
        (r = xml_prop_uint(addr, "slot", 0, 0x1f, &a->slot, error)) < 0 ||
        (r = xml_prop_uint(addr, "function", 0, 7, &a->function, error)) < 0)
        return r;
    if (!xmlHasProp(addr, (const xmlChar *) "bus") || !xmlHasProp(addr, (const xmlChar *) "slot"))
        return xml_error(error, "PCI hostdev source address needs bus and slot");
    r = parse_boot_order(node, &h->boot_order, error);
    if (r < 0)
        return r;
    h->alias = parse_alias(node);
    return parse_address(node, &h->address, error);
}

static DiskBus
disk_bus_from_target(const char *dev)
{
    if (!dev)
        return DISK_BUS_NONE;
    if (strncmp(dev, "hd", 2) == 0)
        return DISK_BUS_IDE;
    if (strncmp(dev, "sd", 2) == 0)
        return DISK_BUS_SCSI;
    if (strncmp(dev, "vd", 2) == 0)
        return DISK_BUS_VIRTIO;
    if (strncmp(dev, "fd", 2) == 0)
        return DISK_BUS_FDC;
    return DISK_BUS_NONE;
}

static int
parse_disk(const xmlNode *node, DomainDisk *d, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(node, "type");
    auto_cleanup(free_ptr) char *device = xml_prop(node, "device");
    auto_cleanup(free_ptr) char *bus = NULL;
    xmlNode *n;
    int v, r;

    if (type) {
        if ((v = disk_type_from_string(type)) < 0)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: unknown disk type '%s'", type);
        d->type = v;
    }
    if (device) {
        if ((v = disk_device_from_string(device)) < 0)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: unknown disk device '%s'", device);
        d->device = v;
    }
    if ((n = xml_child(node, "driver"))) {
        d->driver_name = xml_prop(n, "name");
        d->driver_type = xml_prop(n, "type");
        int cache = DISK_CACHE_UNSET, io = DISK_IO_UNSET, discard = DISK_DISCARD_UNSET;

        if ((r = parse_enum_prop(n, "cache", disk_cache_from_string, DISK_CACHE_UNSET, NULL,
                                 &cache, error)) < 0 ||
            (r = parse_enum_prop(n, "io", disk_io_from_string, DISK_IO_UNSET, NULL, &io,
                                 error)) < 0 ||
            (r = parse_enum_prop(n, "discard", disk_discard_from_string, DISK_DISCARD_UNSET,
                                 NULL, &discard, error)) < 0)
            return r;
        d->driver_cache = cache;
        d->driver_io = io;
        d->driver_discard = discard;
        if ((r = xml_prop_uint(n, "iothread", 10, UINT_MAX, &d->driver_iothread, error)) < 0)
            return r;
    }
    if ((n = xml_child(node, "source"))) {
        r = xml_prop_uint(n, "index", 10, INT_MAX, &d->source_index, error);
        if (r < 0)
            return r;
        switch (d->type) {
        case DISK_TYPE_FILE:
            d->source = xml_prop(n, "file");
            break;
        case DISK_TYPE_BLOCK:
            d->source = xml_prop(n, "dev");
            break;
        case DISK_TYPE_VOLUME:
            d->source_pool = xml_prop(n, "pool");
            d->source_volume = xml_prop(n, "volume");
            break;
        case DISK_TYPE_NETWORK: {
            xmlNode *host = xml_child(n, "host");

            d->source_protocol = xml_prop(n, "protocol");
            d->source = xml_prop(n, "name");
            d->source_host_name = xml_prop(host, "name");
            d->source_host_port = xml_prop(host, "port");
            break;
        }
        default:
            break;
        }
    }
    if ((n = xml_child(node, "target"))) {
        auto_cleanup(free_ptr) char *tray = xml_prop(n, "tray");

        d->target_dev = xml_prop(n, "dev");
        bus = xml_prop(n, "bus");
        if (tray && !STREQ(tray, "open") && !STREQ(tray, "closed"))
            return xml_error(error, "Invalid value for attribute 'tray' in element 'target': "
                             "'%s'.", tray);
        d->tray_open = STREQ_NULL(tray, "open");
    }
    if ((n = xml_child(node, "iotune"))) {
        for (size_t i = 0; i < _IOTUNE_MAX; i++) {
            xmlNode *e = xml_child(n, disk_iotune_names[i]);
            unsigned long long u;

            if (!e)
                continue;
            if ((r = parse_uint_content(e, disk_iotune_names[i], ULLONG_MAX, &u, error)) < 0)
                return r;
            d->iotune.v[i] = u;
        }
        d->iotune.group_name = xml_child_content(n, "group_name");
    }
    if (!d->target_dev)
        return error_set(error, -EINVAL, VIR_ERR_NO_TARGET,
                         "missing target information for device %s",
                         d->source ? d->source : "(no source)");
    if (bus) {
        if ((v = disk_bus_from_string(bus)) <= 0)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: unknown disk bus type '%s'", bus);
        d->target_bus = v;
    } else {
        /* As libvirt: the bus follows from the target name. */
        d->target_bus = disk_bus_from_target(d->target_dev);
        if (d->target_bus == DISK_BUS_NONE)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: Invalid harddisk device name: %s", d->target_dev);
    }
    d->readonly = xml_child(node, "readonly") != NULL;
    d->shareable = xml_child(node, "shareable") != NULL;
    d->serial = xml_child_content(node, "serial");
    r = parse_boot_order(node, &d->boot_order, error);
    if (r < 0)
        return r;
    d->alias = parse_alias(node);
    return parse_address(node, &d->address, error);
}

static int
parse_controller(const xmlNode *node, DomainController *c, Error *error)
{
    xmlNode *master;
    unsigned v;
    int r;

    auto_cleanup(free_ptr) char *type = xml_prop(node, "type");
    auto_cleanup(free_ptr) char *model = xml_prop(node, "model");
    int t = type ? controller_type_from_string(type) : CONTROLLER_IDE;

    if (t < 0)
        return xml_error(error, "Invalid value for attribute 'type' in element 'controller': "
                                "'%s'.", type);
    c->type = t;
    if (model) {
        int m = controller_model_from_string(c->type, model);
        if (m < 0)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: Unknown model type '%s'", model);
        c->model = m;
    }
    c->master_startport = -1;
    if ((r = xml_prop_int(node, "index", 0, INT_MAX, &c->index, error)) < 0 ||
        (r = xml_prop_int(node, "ports", 0, INT_MAX, &c->ports, error)) < 0 ||
        (r = xml_prop_int(node, "vectors", 0, INT_MAX, &c->vectors, error)) < 0)
        return r;
    if ((master = xml_child(node, "master"))) {
        r = xml_prop_uint(master, "startport", 10, INT_MAX, &v, error);
        if (r < 0)
            return r;
        if (r > 0)
            c->master_startport = (int) v;
    }
    c->alias = parse_alias(node);
    return parse_address(node, &c->address, error);
}

static int
parse_net(const xmlNode *node, DomainNet *n, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(node, "type");
    auto_cleanup(free_ptr) char *mac = NULL;
    xmlNode *c;
    int v, r;

    if (!type)
        return xml_error(error, "missing interface type");
    if ((v = net_type_from_string(type)) < 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: interface type '%s' is not supported",
                         type);
    n->type = v;
    mac = xml_prop(xml_child(node, "mac"), "address");
    if (mac) {
        if (domain_net_parse_mac(mac, n->mac) < 0)
            return xml_error(error, "unable to parse mac address '%s'", mac);
    } else {
        domain_net_generate_mac(n->mac);
        n->mac_generated = true;
    }
    if ((c = xml_child(node, "source"))) {
        if (n->type == NET_TYPE_NETWORK)
            n->source = xml_prop(c, "network");
        else if (n->type == NET_TYPE_BRIDGE)
            n->source = xml_prop(c, "bridge");
    }
    if (n->type == NET_TYPE_NETWORK && !n->source)
        return xml_error(error, "No <source> 'network' attribute specified with <interface "
                                "type='network'/>");
    if (n->type == NET_TYPE_BRIDGE && !n->source)
        return xml_error(error, "No <source> 'bridge' attribute specified with <interface "
                                "type='bridge'/>");
    r = bandwidth_parse(node, n->type == NET_TYPE_NETWORK, &n->bandwidth, error);
    if (r < 0)
        return r;
    n->target_dev = xml_prop(xml_child(node, "target"), "dev");
    {
        auto_cleanup(free_ptr) char *model = xml_prop(xml_child(node, "model"), "type");
        r = domain_net_set_model(n, model, error);
        if (r < 0)
            return r;
    }
    n->link_state = xml_prop(xml_child(node, "link"), "state");
    if (n->link_state && !STREQ(n->link_state, "up") && !STREQ(n->link_state, "down"))
        return xml_error(error, "unknown interface link state '%s'", n->link_state);
    if ((c = xml_child(node, "mtu"))) {
        r = xml_prop_uint(c, "size", 10, 65535, &n->mtu, error);
        if (r < 0)
            return r;
    }
    r = parse_boot_order(node, &n->boot_order, error);
    if (r < 0)
        return r;
    n->alias = parse_alias(node);
    return parse_address(node, &n->address, error);
}

static int
parse_chr(const xmlNode *node, ChrDevice device, DomainChr *c, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(node, "type");
    xmlNode *n;
    int v, r;

    c->device = device;
    c->target_port = -1;
    if (type) {
        if ((v = chr_type_from_string(type)) < 0)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: character device type '%s' is "
                             "not supported", type);
        c->type = v;
    } else {
        c->type = CHR_TYPE_PTY;
    }
    if ((n = xml_child(node, "source"))) {
        bool append;

        c->source_path = xml_prop(n, "path");
        int mode = CHR_MODE_UNSET;

        r = parse_enum_prop(n, "mode", chr_source_mode_from_string, CHR_MODE_UNSET, NULL, &mode,
                            error);
        if (r < 0)
            return r;
        c->source_mode = mode;
        c->source_host = xml_prop(n, "host");
        c->source_service = xml_prop(n, "service");
        r = xml_prop_bool(n, "append", &append, error);
        if (r < 0)
            return r;
        c->append = r > 0 && append;
    }
    if (!c->source_path && c->type == CHR_TYPE_PTY)
        c->source_path = xml_prop(node, "tty");
    c->protocol = xml_prop(xml_child(node, "protocol"), "type");
    if ((n = xml_child(node, "target"))) {
        int target = CHR_TARGET_UNSET;

        r = parse_enum_unsupported(n, "type", chr_target_type_from_string,
                                   "unknown target type", " specified for character device",
                                   &target, error);
        if (r < 0)
            return r;
        c->target_type = target;
        c->target_name = xml_prop(n, "name");
        r = xml_prop_int(n, "port", 0, INT_MAX, &c->target_port, error);
        if (r < 0)
            return r;
        if (device == CHR_DEVICE_CHANNEL && target == CHR_TARGET_VIRTIO) {
            auto_cleanup(free_ptr) char *state = xml_prop(n, "state");
            if (state && STREQ(state, "connected"))
                c->target_state = CHR_STATE_CONNECTED;
            else if (state && STREQ(state, "disconnected"))
                c->target_state = CHR_STATE_DISCONNECTED;
            else if (state && !STREQ(state, "default"))
                return xml_error(error, "Invalid channel state value '%s'", state);
        }
    }
    if ((c->type == CHR_TYPE_FILE || c->type == CHR_TYPE_UNIX) && !c->source_path &&
        device != CHR_DEVICE_CHANNEL)
        return xml_error(error, "Missing source path attribute for char device");
    c->alias = parse_alias(node);
    return parse_address(node, &c->address, error);
}

static int
parse_graphics(const xmlNode *node, DomainGraphics *g, Error *error)
{
    bool autoport;
    int r;

    int type;

    r = parse_enum_prop(node, "type", graphics_type_from_string, -1,
                        "missing graphics device type", &type, error);
    if (r < 0)
        return r;
    g->type = type;
    g->port = -1;
    if (g->type == GRAPHICS_VNC || g->type == GRAPHICS_SPICE) {
        r = xml_prop_int(node, "port", -1, 65535, &g->port, error);
        if (r < 0)
            return r;
        /* No port, or libvirt's legacy port='-1', means autoport. */
        if (r == 0 || g->port == -1) {
            g->port = -1;
            g->autoport = true;
        }
        r = xml_prop_bool(node, "autoport", &autoport, error);
        if (r < 0)
            return r;
        if (r > 0)
            g->autoport = autoport;
        g->listen = xml_prop(node, "listen");
        xml_foreach_child(c, node) {
            auto_cleanup(free_ptr) char *ltype = NULL;

            if (!xml_node_is(c, "listen"))
                continue;
            ltype = xml_prop(c, "type");
            if (!g->listen && ltype && STREQ(ltype, "address"))
                g->listen = xml_prop(c, "address");
            break;
        }
        g->passwd = xml_prop(node, "passwd");
        g->keymap = xml_prop(node, "keymap");
    } else if (g->type == GRAPHICS_SDL) {
        g->display = xml_prop(node, "display");
    }
    return 0;
}

/* A yes/no attribute into -1 (absent), 0 or 1. */
int
parse_tristate(const xmlNode *node, const char *name, int *ret, Error *error)
{
    bool v;
    int r = xml_prop_bool(node, name, &v, error);

    if (r < 0)
        return r;
    *ret = r > 0 ? v : -1;
    return 0;
}

/* libvirt's virDomainMemoryDefParseXML for model 'dimm'. */
static int
parse_memory_device(const xmlNode *c, DomainDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *model = xml_prop(c, "model");
    xmlNode *source = xml_child(c, "source");
    xmlNode *target = xml_child(c, "target");
    xmlNode *n;
    DomainMemoryDevice *m;
    unsigned long long kib;
    int r;

    if (!model)
        return xml_error(error, "Missing required attribute 'model' in element 'memory'");
    if (!STREQ(model, "dimm"))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: memory model '%s' is not supported; "
                         "only 'dimm' is", model);
    m = ARRAY_APPEND(def->memories, def->n_memories);
    m->discard = -1;
    m->target_node = -1;
    m->access = xml_prop(c, "access");
    if ((r = parse_tristate(c, "discard", &m->discard, error)) < 0)
        return r;
    if (source) {
        m->source_nodemask = xml_child_content(source, "nodemask");
        if ((n = xml_child(source, "pagesize"))) {
            if ((r = xml_parse_memory(n, "./source/pagesize", &kib, error)) < 0)
                return r;
            m->source_pagesize_kib = kib;
        }
    }
    if (!target)
        return xml_error(error, "missing <target> element for <memory> device");
    if (!(n = xml_child(target, "size")))
        return xml_error(error, "missing element or attribute './size'");
    if ((r = xml_parse_memory(n, "./size", &kib, error)) < 0)
        return r;
    m->size_kib = kib;
    if ((n = xml_child(target, "node"))) {
        auto_cleanup(free_ptr) char *node = xml_content(n);
        long long v;

        if (xml_parse_ll(node, 10, 0, INT_MAX, &v) < 0)
            return xml_error(error, "invalid value of memory device node");
        m->target_node = (int) v;
    }
    m->alias = parse_alias(c);
    r = parse_address(c, &m->address, error);
    if (r < 0)
        return r;
    if (m->address.type != DEVICE_ADDRESS_NONE && m->address.type != DEVICE_ADDRESS_DIMM)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: only 'dimm' addresses are supported for "
                         "the pc-dimm device");
    return 0;
}

static int
parse_device(const xmlNode *c, DomainDef *def, Error *error)
{
    int r = 0;

    if (xml_node_is(c, "emulator")) {
        free(def->emulator);
        def->emulator = xml_content(c);
    } else if (xml_node_is(c, "disk")) {
        r = parse_disk(c, ARRAY_APPEND(def->disks, def->n_disks), error);
    } else if (xml_node_is(c, "controller")) {
        r = parse_controller(c, ARRAY_APPEND(def->controllers, def->n_controllers), error);
    } else if (xml_node_is(c, "interface")) {
        r = parse_net(c, ARRAY_APPEND(def->nets, def->n_nets), error);
    } else if (xml_node_is(c, "serial")) {
        r = parse_chr(c, CHR_DEVICE_SERIAL, ARRAY_APPEND(def->serials, def->n_serials),
                      error);
    } else if (xml_node_is(c, "console")) {
        r = parse_chr(c, CHR_DEVICE_CONSOLE, ARRAY_APPEND(def->consoles, def->n_consoles),
                      error);
    } else if (xml_node_is(c, "channel")) {
        r = parse_chr(c, CHR_DEVICE_CHANNEL, ARRAY_APPEND(def->channels, def->n_channels),
                      error);
    } else if (xml_node_is(c, "input")) {
        DomainInput *in = ARRAY_APPEND(def->inputs, def->n_inputs);
        int type, bus;

        r = parse_enum_prop(c, "type", input_type_from_string, -1,
                            "missing input device type", &type, error);
        if (r >= 0)
            r = parse_enum_prop(c, "bus", input_bus_from_string, INPUT_BUS_DEFAULT, NULL,
                                &bus, error);
        if (r < 0)
            return r;
        in->type = type;
        /* libvirt's default on x86 */
        in->bus = bus != INPUT_BUS_DEFAULT ? bus
                  : type == INPUT_TABLET ? INPUT_BUS_USB : INPUT_BUS_PS2;
        in->alias = parse_alias(c);
        r = parse_address(c, &in->address, error);
    } else if (xml_node_is(c, "graphics")) {
        r = parse_graphics(c, ARRAY_APPEND(def->graphics, def->n_graphics), error);
    } else if (xml_node_is(c, "video")) {
        DomainVideo *v = ARRAY_APPEND(def->videos, def->n_videos);
        xmlNode *model = xml_child(c, "model");

        if (model) {
            int m;

            r = parse_enum_prop(model, "type", video_model_from_string, VIDEO_DEFAULT,
                                NULL, &m, error);
            if (r < 0)
                return r;
            v->model = m;
            if ((r = xml_prop_uint(model, "ram", 10, UINT_MAX, &v->ram, error)) < 0 ||
                (r = xml_prop_uint(model, "vram", 10, UINT_MAX, &v->vram, error)) < 0 ||
                (r = xml_prop_uint(model, "vgamem", 10, UINT_MAX, &v->vgamem, error)) < 0 ||
                (r = xml_prop_uint(model, "heads", 10, UINT_MAX, &v->heads, error)) < 0 ||
                (r = xml_prop_bool(model, "primary", &v->primary, error)) < 0)
                return r;
        }
        v->alias = parse_alias(c);
        r = parse_address(c, &v->address, error);
    } else if (xml_node_is(c, "sound")) {
        DomainSound *s = ARRAY_APPEND(def->sounds, def->n_sounds);
        int m;

        r = parse_enum_prop(c, "model", sound_model_from_string, -1, "missing sound model",
                            &m, error);
        if (r < 0)
            return r;
        s->model = m;
        s->alias = parse_alias(c);
        r = parse_address(c, &s->address, error);
    } else if (xml_node_is(c, "watchdog")) {
        auto_cleanup(free_ptr) char *model = xml_prop(c, "model");
        auto_cleanup(free_ptr) char *action = xml_prop(c, "action");
        DomainWatchdog *w;
        int v;

        /* libvirt 9.0 keeps one: a second one is refused at validation. */
        if (def->watchdog)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "XML error: only one watchdog device is supported");
        if (!model)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: watchdog must contain model name");
        if ((v = watchdog_model_from_string(model)) < 0)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: unknown watchdog model '%s'", model);
        w = def->watchdog = xcalloc(1, sizeof(*w));
        w->model = v;
        if (action && (v = watchdog_action_from_string(action)) < 0)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: unknown watchdog action '%s'", action);
        w->action = action ? v : WATCHDOG_ACTION_RESET;
        w->alias = parse_alias(c);
        r = parse_address(c, &w->address, error);
    } else if (xml_node_is(c, "hostdev")) {
        r = parse_hostdev(c, ARRAY_APPEND(def->hostdevs, def->n_hostdevs), error);
    } else if (xml_node_is(c, "redirdev")) {
        DomainRedirdev *rd = ARRAY_APPEND(def->redirdevs, def->n_redirdevs);

        rd->bus = xml_prop(c, "bus");
        rd->type = xml_prop(c, "type");
        rd->alias = parse_alias(c);
        r = parse_address(c, &rd->address, error);
    } else if (xml_node_is(c, "memory")) {
        r = parse_memory_device(c, def, error);
    } else if (xml_node_is(c, "memballoon")) {
        DomainMemballoon *m = &def->memballoon;
        xmlNode *stats = xml_child(c, "stats");

        int model;

        if (m->model != MEMBALLOON_ABSENT) /* only the first one counts */
            return 0;
        r = parse_enum_prop(c, "model", memballoon_model_from_string, -1,
                            "balloon memory must contain model name", &model, error);
        if (r < 0)
            return r;
        m->model = model;
        m->alias = parse_alias(c);
        m->stats_period = -1;
        if (stats) {
            r = xml_prop_int(stats, "period", 0, INT_MAX, &m->stats_period, error);
            if (r < 0)
                return r;
        }
        r = parse_address(c, &m->address, error);
    }
    /* Anything else is ignored, like libvirt drops what it does not know. */
    return r;
}

static int
parse_devices(const xmlNode *devices, DomainDef *def, Error *error)
{
    xml_foreach_child(c, devices) {
        int r = parse_device(c, def, error);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
parse_cpu(const xmlNode *node, DomainCpu *cpu, Error *error)
{
    int mode = CPU_MODE_CUSTOM; /* libvirt: a <cpu> without mode is custom */
    xmlNode *n;
    int r;

    r = parse_enum_unsupported(node, "mode", cpu_mode_from_string, "Invalid mode attribute", "",
                               &mode, error);
    if (r < 0)
        return r;
    cpu->mode = mode;
    cpu->match = xml_prop(node, "match");
    cpu->check = xml_prop(node, "check");
    cpu->migratable = xml_prop(node, "migratable");
    if ((n = xml_child(node, "model"))) {
        cpu->model = xml_content(n);
        cpu->model_fallback = xml_prop(n, "fallback");
    }
    cpu->vendor = xml_child_content(node, "vendor");
    if ((n = xml_child(node, "topology"))) {
        if ((r = xml_prop_uint(n, "sockets", 10, UINT_MAX, &cpu->sockets, error)) < 0 ||
            (r = xml_prop_uint(n, "dies", 10, UINT_MAX, &cpu->dies, error)) < 0 ||
            (r = xml_prop_uint(n, "cores", 10, UINT_MAX, &cpu->cores, error)) < 0 ||
            (r = xml_prop_uint(n, "threads", 10, UINT_MAX, &cpu->threads, error)) < 0)
            return r;
    }
    xml_foreach_child(c, node) {
        DomainCpuFeature *f;

        if (!xml_node_is(c, "feature"))
            continue;
        f = ARRAY_APPEND(cpu->features, cpu->n_features);
        f->name = xml_prop(c, "name");
        f->policy = xml_prop(c, "policy");
        if (!f->name)
            return xml_error(error, "missing CPU feature name");
    }
    if ((n = xml_child(node, "numa")))
        return parse_numa(n, cpu, error);
    return 0;
}

static int
parse_os(const xmlNode *os, DomainDef *def, Error *error)
{
    xmlNode *n;

    def->os_firmware = xml_prop(os, "firmware");
    if ((n = xml_child(os, "type"))) {
        def->os_type = xml_content(n);
        def->os_arch = xml_prop(n, "arch");
        def->os_machine = xml_prop(n, "machine");
    }
    if ((n = xml_child(os, "loader"))) {
        def->os_loader = xml_content(n);
        if (!*def->os_loader) {
            free(def->os_loader);
            def->os_loader = NULL;
        }
        def->os_loader_readonly = xml_prop(n, "readonly");
        def->os_loader_type = xml_prop(n, "type");
    }
    def->os_nvram = xml_child_content(os, "nvram");
    def->os_kernel = xml_child_content(os, "kernel");
    def->os_initrd = xml_child_content(os, "initrd");
    def->os_cmdline = xml_child_content(os, "cmdline");
    def->os_dtb = xml_child_content(os, "dtb");
    xml_foreach_child(c, os) {
        char *dev;

        if (!xml_node_is(c, "boot"))
            continue;
        dev = xml_prop(c, "dev");
        if (!dev)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: missing boot device");
        if (!STREQ(dev, "hd") && !STREQ(dev, "cdrom") && !STREQ(dev, "network") &&
            !STREQ(dev, "fd")) {
            error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                      "internal error: unknown boot device '%s'", dev);
            free(dev);
            return -EINVAL;
        }
        strv_append(&def->os_boot_devs, &def->n_os_boot_devs, dev);
    }
    if ((n = xml_child(os, "bootmenu"))) {
        bool enable = false;
        int r = xml_prop_bool(n, "enable", &enable, error);

        if (r < 0)
            return r;
        def->os_bootmenu = enable;
    }
    return 0;
}

/* libvirt's virDomainFeature order, which its formatter follows. */
static const char *const feature_order[] = {
    "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "xen",
    "pvspinlock", "capabilities", "pmu", "vmport", "gic", "smm", "ioapic", "hpt",
    "htm", "nested-hv", "msrs", "ccf-assist", "cfpc", "sbbc", "ibs", "tcg", "async-teardown",
};

static size_t
feature_rank(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(feature_order); i++)
        if (STREQ(feature_order[i], name))
            return i;
    return ARRAY_SIZE(feature_order);
}

static void
parse_features(xmlNode *node, DomainDef *def)
{
    XmlWriter extra = XML_WRITER_INIT;

    xml_foreach_child(c, node) {
        bool simple = !c->ns && !c->properties;

        xml_foreach_child(cc, c) {
            simple = false;
            (void) cc;
            break;
        }
        if (simple) {
            char *name = xstrdup((const char *) c->name);
            size_t i;

            /* Keep libvirt's order, whatever order the XML had. */
            strv_append(&def->features, &def->n_features, name);
            for (i = def->n_features - 1; i > 0 &&
                 feature_rank(def->features[i - 1]) > feature_rank(name); i--)
                def->features[i] = def->features[i - 1];
            def->features[i] = name;
        } else {
            /* Kept as text, written the way libvirt writes these. */
            xml_writer_node(&extra, c);
        }
    }
    if (extra.len)
        def->features_extra_xml = xml_writer_steal(&extra);
    xml_writer_clear(&extra);
}

static int
parse_clock(const xmlNode *node, DomainDef *def, Error *error)
{
    int offset = CLOCK_OFFSET_UTC;
    int r;

    r = parse_enum_unsupported(node, "offset", clock_offset_from_string,
                               "unknown clock offset", "", &offset, error);
    if (r < 0)
        return r;
    def->clock_offset = offset;
    def->clock_adjustment = xml_prop(node, "adjustment");
    def->clock_basis = xml_prop(node, "basis");
    xml_foreach_child(c, node) {
        DomainTimer *t;
        bool present;

        if (!xml_node_is(c, "timer"))
            continue;
        t = ARRAY_APPEND(def->timers, def->n_timers);
        t->present = -1;
        t->name = xml_prop(c, "name");
        if (!t->name)
            return xml_error(error, "missing timer name");
        t->tickpolicy = xml_prop(c, "tickpolicy");
        t->track = xml_prop(c, "track");
        r = xml_prop_bool(c, "present", &present, error);
        if (r < 0)
            return r;
        if (r > 0)
            t->present = present;
    }
    return 0;
}

static int
parse_lifecycle(const xmlNode *root, const char *name, DomainLifecycleAction dflt,
                DomainLifecycleAction *ret, Error *error)
{
    auto_cleanup(free_ptr) char *text = xml_child_content(root, name);
    int v;

    *ret = dflt;
    if (!text)
        return 0;
    if ((v = domain_lifecycle_action_from_string(text)) < 0)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: unknown %s action: '%s'", name, text);
    *ret = v;
    return 0;
}

static int
parse_pm(const xmlNode *node, DomainDef *def, Error *error)
{
    static const char *const names[] = { "suspend-to-mem", "suspend-to-disk" };
    int *fields[] = { &def->pm_suspend_to_mem, &def->pm_suspend_to_disk };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        xmlNode *n = xml_child(node, names[i]);
        bool enabled;
        int r;

        if (!n)
            continue;
        r = xml_prop_bool(n, "enabled", &enabled, error);
        if (r < 0)
            return r;
        if (r > 0)
            *fields[i] = enabled;
    }
    return 0;
}

static bool
node_in_ns(const xmlNode *node, const char *uri, const char *name)
{
    return node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           STREQ((const char *) node->ns->href, uri) && STREQ((const char *) node->name, name);
}

static int
parse_qemu_commandline(const xmlNode *node, DomainDef *def, Error *error)
{
    xml_foreach_child(c, node) {
        if (node_in_ns(c, QEMU_NS_URI, "arg")) {
            char *v = xml_prop(c, "value");

            if (!v)
                return xml_error(error, "No qemu command-line argument specified");
            strv_append(&def->qemu_args, &def->n_qemu_args, v);
        } else if (node_in_ns(c, QEMU_NS_URI, "env")) {
            DomainQemuEnv *e = ARRAY_APPEND(def->qemu_envs, def->n_qemu_envs);

            e->name = xml_prop(c, "name");
            e->value = xml_prop(c, "value");
            if (!e->name || !*e->name)
                return xml_error(error, "No qemu environment name specified");
            /* libvirt's rule for the name: [A-Za-z_][A-Za-z0-9_]* */
            for (const char *p = e->name; *p; p++)
                if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                      (p != e->name && *p >= '0' && *p <= '9')))
                    return xml_error(error, "Invalid environment name '%s', it must begin "
                                            "with a letter or underscore", e->name);
        }
    }
    return 0;
}

/* <vcpus>: which vCPUs were plugged in while running (enabled and
 * hotpluggable); the rest of the list follows from <vcpu current>. */
static void
parse_vcpus(const xmlNode *node, DomainDef *def)
{
    for (const xmlNode *v = node ? node->children : NULL; v; v = v->next) {
        auto_cleanup(free_ptr) char *enabled = NULL, *hot = NULL;
        unsigned id;

        if (!xml_node_is(v, "vcpu") || xml_prop_uint(v, "id", 10, UINT_MAX, &id, NULL) <= 0 ||
            id >= def->vcpus)
            continue;
        enabled = xml_prop(v, "enabled");
        hot = xml_prop(v, "hotpluggable");
        if (!STREQ_NULL(enabled, "yes") || !STREQ_NULL(hot, "yes"))
            continue;
        if (!def->vcpu_hotplugged)
            def->vcpu_hotplugged = xcalloc(def->vcpus, 1);
        def->vcpu_hotplugged[id] = 1;
    }
}

static int
parse_vcpu(const xmlNode *node, DomainDef *def, Error *error)
{
    unsigned long long n;
    unsigned cur;
    int r;

    def->vcpus = 1;
    def->vcpus_current = 0;
    if (!node) {
        def->vcpus_current = 1;
        return 0;
    }
    r = parse_uint_content(node, "vcpu", UINT_MAX, &n, error);
    if (r < 0)
        return r;
    def->vcpus = (unsigned) n;
    def->vcpu_placement = xml_prop(node, "placement");
    if (def->vcpu_placement && !STREQ(def->vcpu_placement, "static") &&
        !STREQ(def->vcpu_placement, "auto"))
        return xml_error(error, "Unsupported CPU placement mode '%s'", def->vcpu_placement);
    def->vcpu_cpuset = xml_prop(node, "cpuset");
    r = xml_prop_uint(node, "current", 10, UINT_MAX, &cur, error);
    if (r < 0)
        return r;
    def->vcpus_current = r > 0 ? cur : def->vcpus;
    return 0;
}

static int
parse_memory(xmlNode *root, DomainDef *def, Error *error)
{
    xmlNode *n;
    unsigned long long kib;
    int r;

    if ((n = xml_child(root, "memory"))) {
        r = xml_parse_memory(n, "./memory[1]", &kib, error);
        if (r < 0)
            return r;
        def->memory_kib = kib;
    }
    if ((n = xml_child(root, "currentMemory"))) {
        r = xml_parse_memory(n, "./currentMemory[1]", &kib, error);
        if (r < 0)
            return r;
        def->current_memory_kib = kib;
    }
    if ((n = xml_child(root, "maxMemory"))) {
        r = xml_parse_memory(n, "./maxMemory[1]", &kib, error);
        if (r < 0)
            return r;
        def->max_memory_kib = kib;
        r = xml_prop_uint(n, "slots", 10, UINT_MAX, &def->max_memory_slots, error);
        if (r < 0)
            return r;
    }
    return 0;
}

/* libvirt's virDomainDefPostParseMemory: with NUMA cells the total is
 * theirs plus the memory devices'; without, the devices must fit in it. */
static int
memory_post_parse(DomainDef *def, Error *error)
{
    uint64_t cells = 0, devices = 0;

    for (size_t i = 0; i < def->cpu.n_cells; i++)
        cells += def->cpu.cells[i].memory_kib;
    for (size_t i = 0; i < def->n_memories; i++)
        devices += def->memories[i].size_kib;
    if (cells)
        def->memory_kib = cells + devices;
    else if (devices > def->memory_kib)
        return xml_error(error, "Total size of memory devices exceeds the total memory size");
    if (def->memory_kib && def->memory_kib == devices)
        return xml_error(error, "Memory size must be specified via <memory> or in the <numa> "
                                "configuration");
    /* A balloon above the total (or none) is the total. */
    if (def->current_memory_kib == 0 || def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
    if ((def->max_memory_kib != 0) != (def->max_memory_slots != 0))
        return xml_error(error, "both maximum memory size and memory slot count must be "
                                "specified");
    return 0;
}

static int
parse_root(xmlNode *root, DomainDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(root, "type");
    auto_cleanup(free_ptr) char *id = xml_prop(root, "id");
    auto_cleanup(free_ptr) char *uuid = NULL;
    xmlNode *n;
    long long v;
    int r;

    if (!type)
        return xml_error(error, "Missing required attribute 'type' in element 'domain'");
    r = domain_virt_type_from_string(type);
    if (r < 0) {
        static const char *const known[] = {
            "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv", "vbox", "phyp",
            "parallels", "bhyve", "vz", "kqemu", "ldom", "vserver", "ch",
        };

        for (size_t i = 0; i < ARRAY_SIZE(known); i++)
            if (STREQ(type, known[i]))
                return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                                 "unsupported configuration: domain type '%s' is not "
                                 "supported by the QEMU driver, use 'qemu' or 'kvm'", type);
        return xml_error(error, "Invalid value for attribute 'type' in element 'domain': '%s'.",
                         type);
    }
    def->virt_type = r;
    def->id = -1;
    if (id) {
        if (xml_parse_ll(id, 10, -1, INT_MAX, &v) < 0)
            return xml_error(error, "invalid domain id '%s'", id);
        def->id = (int) v;
    }

    def->name = xml_child_content(root, "name");
    if (!def->name)
        return error_set(error, -EINVAL, VIR_ERR_NO_NAME, "missing name information");
    uuid = xml_child_content(root, "uuid");
    if (uuid) {
        if (uuid_parse(uuid, &def->uuid) < 0)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: malformed uuid element '%s'", uuid);
    } else {
        uuid_generate(&def->uuid);
        def->uuid_generated = true;
    }
    def->title = xml_child_content(root, "title");
    if (def->title && strchr(def->title, '\n'))
        return xml_error(error, "Domain title can't contain newlines");
    def->description = xml_child_content(root, "description");
    if ((n = xml_child(root, "metadata")))
        def->metadata = xml_inner_xml(n);

    r = parse_memory(root, def, error);
    if (r < 0)
        return r;
    if ((n = xml_child(root, "memtune")) && (r = parse_memtune(n, &def->memtune, error)) < 0)
        return r;
    if ((n = xml_child(root, "blkiotune")) &&
        (r = parse_blkiotune(n, &def->blkiotune, error)) < 0)
        return r;
    if ((n = xml_child(root, "numatune")) && (r = parse_numatune(n, &def->numatune, error)) < 0)
        return r;
    r = parse_vcpu(xml_child(root, "vcpu"), def, error);
    if (r < 0)
        return r;
    if ((r = parse_iothreads(root, def, error)) < 0)
        return r;
    parse_vcpus(xml_child(root, "vcpus"), def);
    if ((n = xml_child(root, "cputune")) && (r = parse_cputune(n, &def->cputune, error)) < 0)
        return r;
    if ((n = xml_child(root, "cpu")) && (r = parse_cpu(n, &def->cpu, error)) < 0)
        return r;
    if ((n = xml_child(root, "os")) && (r = parse_os(n, def, error)) < 0)
        return r;
    if ((n = xml_child(root, "features")))
        parse_features(n, def);
    if ((n = xml_child(root, "clock")) && (r = parse_clock(n, def, error)) < 0)
        return r;
    if ((r = parse_lifecycle(root, "on_poweroff", DOMAIN_LIFECYCLE_DESTROY, &def->on_poweroff,
                             error)) < 0 ||
        (r = parse_lifecycle(root, "on_reboot", DOMAIN_LIFECYCLE_RESTART, &def->on_reboot,
                             error)) < 0 ||
        (r = parse_lifecycle(root, "on_crash", DOMAIN_LIFECYCLE_DESTROY, &def->on_crash,
                             error)) < 0)
        return r;
    def->pm_suspend_to_mem = -1;
    def->pm_suspend_to_disk = -1;
    if ((n = xml_child(root, "pm")) && (r = parse_pm(n, def, error)) < 0)
        return r;
    if ((n = xml_child(root, "perf")) && (r = parse_perf(n, def, error)) < 0)
        return r;
    def->memballoon.stats_period = -1;
    def->memballoon.address.multifunction = -1;
    if ((n = xml_child(root, "devices")) && (r = parse_devices(n, def, error)) < 0)
        return r;
    if ((r = memory_post_parse(def, error)) < 0)
        return r;
    xml_foreach_child(c, root) {
        if (node_in_ns(c, QEMU_NS_URI, "commandline")) {
            r = parse_qemu_commandline(c, def, error);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int
domain_def_parse_flags(const char *xml, unsigned flags, DomainDef **ret_def, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    int r;

    r = xml_parse_document(xml, DOMAIN_DEF_MAX_XML_BYTES, "domain", &doc, error);
    if (r < 0)
        return r;
    def = xcalloc(1, sizeof(*def));
    r = parse_root(xmlDocGetRootElement(doc), def, error);
    if (r < 0)
        return r;
    if (!(flags & DOMAIN_DEF_PARSE_SKIP_VALIDATE)) {
        r = domain_def_validate(def, error);
        if (r < 0)
            return r;
    }
    *ret_def = steal_ptr(def);
    return 0;
}

int
domain_def_parse(const char *xml, DomainDef **ret_def, Error *error)
{
    return domain_def_parse_flags(xml, 0, ret_def, error);
}

/* libvirt's virDomainDeviceType names, by element (serial, console,
 * channel and parallel are all "chr"). */
static const char *
device_type_name(const char *element)
{
    static const char *const names[][2] = {
        { "disk", "disk" }, { "lease", "lease" }, { "filesystem", "filesystem" },
        { "interface", "interface" }, { "input", "input" }, { "sound", "sound" },
        { "video", "video" }, { "hostdev", "hostdev" }, { "watchdog", "watchdog" },
        { "controller", "controller" }, { "graphics", "graphics" }, { "hub", "hub" },
        { "redirdev", "redirdev" }, { "smartcard", "smartcard" }, { "serial", "chr" },
        { "console", "chr" }, { "channel", "chr" }, { "parallel", "chr" },
        { "memballoon", "memballoon" }, { "nvram", "nvram" }, { "rng", "rng" },
        { "shmem", "shmem" }, { "tpm", "tpm" }, { "panic", "panic" }, { "memory", "memory" },
        { "iommu", "iommu" }, { "vsock", "vsock" }, { "audio", "audio" },
        { "crypto", "crypto" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (STREQ(element, names[i][0]))
            return names[i][1];
    return NULL;
}

int
domain_device_parse(const char *xml, DomainDef **ret_devs, const char **ret_type,
                    Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    const xmlNode *root;
    const char *type;
    int r;

    r = xml_parse_document_as(xml, DOMAIN_DEF_MAX_XML_BYTES, NULL, "(device_definition)", &doc,
                              error);
    if (r < 0)
        return r;
    root = xmlDocGetRootElement(doc);
    type = device_type_name((const char *) root->name);
    if (!type)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: unknown device type '%s'",
                         (const char *) root->name);
    def = xcalloc(1, sizeof(*def));
    def->memballoon.stats_period = -1;
    def->memballoon.address.multifunction = -1;
    r = parse_device(root, def, error);
    if (r < 0)
        return r;
    /* A controller without an index takes the first free one where it goes. */
    if (def->n_controllers == 1 && !xmlHasProp(root, (const xmlChar *) "index"))
        def->controllers[0].index = -1;
    /* As libvirt, the device is validated alone before it meets a domain. */
    for (size_t i = 0; i < def->n_disks; i++)
        if ((r = domain_disk_validate(&def->disks[i], error)) < 0)
            return r;
    *ret_type = type;
    *ret_devs = steal_ptr(def);
    return 0;
}
