/* DomainDef: enum tables, free, copy and the define-time rules
 * (domain_def_validate()). Parsing is in domain_def_parse.c, formatting in
 * domain_def_format.c. */
#include "domain_def.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static int
table_lookup(const char *const *table, size_t n, const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (table[i] && STREQ(table[i], s))
            return (int) i;
    return -1;
}

#define TABLE_TO_STRING(table, v) \
    (((size_t) (v) < ARRAY_SIZE(table)) ? (table)[(v)] : NULL)

static const char *const lifecycle_names[] = {
    [DOMAIN_LIFECYCLE_DESTROY] = "destroy",
    [DOMAIN_LIFECYCLE_RESTART] = "restart",
    [DOMAIN_LIFECYCLE_PRESERVE] = "preserve",
    [DOMAIN_LIFECYCLE_RENAME_RESTART] = "rename-restart",
    [DOMAIN_LIFECYCLE_COREDUMP_DESTROY] = "coredump-destroy",
    [DOMAIN_LIFECYCLE_COREDUMP_RESTART] = "coredump-restart",
};

static const char *const virt_type_names[] = {
    [DOMAIN_VIRT_QEMU] = "qemu",
    [DOMAIN_VIRT_KVM] = "kvm",
};

static const char *const disk_bus_names[] = {
    [DISK_BUS_NONE] = NULL,
    [DISK_BUS_VIRTIO] = "virtio",
    [DISK_BUS_IDE] = "ide",
    [DISK_BUS_SCSI] = "scsi",
    [DISK_BUS_SATA] = "sata",
    [DISK_BUS_USB] = "usb",
    [DISK_BUS_FDC] = "fdc",
};

static const char *const disk_type_names[] = {
    [DISK_TYPE_FILE] = "file",
    [DISK_TYPE_BLOCK] = "block",
    [DISK_TYPE_VOLUME] = "volume",
    [DISK_TYPE_NETWORK] = "network",
};

static const char *const disk_device_names[] = {
    [DISK_DEVICE_DISK] = "disk",
    [DISK_DEVICE_CDROM] = "cdrom",
    [DISK_DEVICE_FLOPPY] = "floppy",
    [DISK_DEVICE_LUN] = "lun",
};

static const char *const net_type_names[] = {
    [NET_TYPE_USER] = "user",
    [NET_TYPE_NETWORK] = "network",
    [NET_TYPE_BRIDGE] = "bridge",
    [NET_TYPE_ETHERNET] = "ethernet",
};

static const char *const chr_type_names[] = {
    [CHR_TYPE_PTY] = "pty",
    [CHR_TYPE_FILE] = "file",
    [CHR_TYPE_UNIX] = "unix",
    [CHR_TYPE_NULL] = "null",
    [CHR_TYPE_STDIO] = "stdio",
    [CHR_TYPE_TCP] = "tcp",
    [CHR_TYPE_SPICEVMC] = "spicevmc",
};

static const char *const controller_type_names[] = {
    [CONTROLLER_IDE] = "ide",
    [CONTROLLER_FDC] = "fdc",
    [CONTROLLER_SCSI] = "scsi",
    [CONTROLLER_SATA] = "sata",
    [CONTROLLER_VIRTIO_SERIAL] = "virtio-serial",
    [CONTROLLER_CCID] = "ccid",
    [CONTROLLER_USB] = "usb",
    [CONTROLLER_PCI] = "pci",
    [CONTROLLER_XENBUS] = "xenbus",
    [CONTROLLER_ISA] = "isa",
};

static const char *const net_model_names[] = {
    [NET_MODEL_UNKNOWN] = NULL,
    [NET_MODEL_NETFRONT] = "netfront",
    [NET_MODEL_RTL8139] = "rtl8139",
    [NET_MODEL_VIRTIO] = "virtio",
    [NET_MODEL_E1000] = "e1000",
    [NET_MODEL_E1000E] = "e1000e",
    [NET_MODEL_VIRTIO_TRANSITIONAL] = "virtio-transitional",
    [NET_MODEL_VIRTIO_NON_TRANSITIONAL] = "virtio-non-transitional",
    [NET_MODEL_USB_NET] = "usb-net",
    [NET_MODEL_SPAPR_VLAN] = "spapr-vlan",
    [NET_MODEL_LAN9118] = "lan9118",
    [NET_MODEL_SCM91C111] = "scm91c111",
    [NET_MODEL_VLANCE] = "vlance",
    [NET_MODEL_VMXNET] = "vmxnet",
    [NET_MODEL_VMXNET2] = "vmxnet2",
    [NET_MODEL_VMXNET3] = "vmxnet3",
    [NET_MODEL_AM79C970A] = "Am79C970A",
    [NET_MODEL_AM79C973] = "Am79C973",
    [NET_MODEL_82540EM] = "82540EM",
    [NET_MODEL_82545EM] = "82545EM",
    [NET_MODEL_82543GC] = "82543GC",
};

const char *
net_model_name(const DomainNet *n)
{
    return n->model == NET_MODEL_UNKNOWN ? n->model_name : TABLE_TO_STRING(net_model_names,
                                                                             n->model);
}

int
domain_net_set_model(DomainNet *n, const char *name, Error *error)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789_-";

    free(steal_ptr(n->model_name));
    n->model = NET_MODEL_UNKNOWN;
    if (!name)
        return 0;
    /* libvirt matches a known name in any case and keeps another as given. */
    for (size_t i = 1; i < ARRAY_SIZE(net_model_names); i++) {
        if (strcasecmp(net_model_names[i], name) == 0) {
            n->model = i;
            return 0;
        }
    }
    if (strspn(name, allowed) < strlen(name))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Model name contains invalid characters");
    n->model_name = xstrdup(name);
    return 0;
}

static const char *const input_type_names[] = {
    [INPUT_MOUSE] = "mouse",
    [INPUT_TABLET] = "tablet",
    [INPUT_KEYBOARD] = "keyboard",
    [INPUT_PASSTHROUGH] = "passthrough",
    [INPUT_EVDEV] = "evdev",
};

static const char *const input_bus_names[] = {
    [INPUT_BUS_DEFAULT] = NULL,
    [INPUT_BUS_PS2] = "ps2",
    [INPUT_BUS_USB] = "usb",
    [INPUT_BUS_XEN] = "xen",
    [INPUT_BUS_PARALLELS] = "parallels",
    [INPUT_BUS_VIRTIO] = "virtio",
    [INPUT_BUS_NONE] = "none",
};

static const char *const graphics_type_names[] = {
    [GRAPHICS_SDL] = "sdl",
    [GRAPHICS_VNC] = "vnc",
    [GRAPHICS_RDP] = "rdp",
    [GRAPHICS_DESKTOP] = "desktop",
    [GRAPHICS_SPICE] = "spice",
    [GRAPHICS_EGL_HEADLESS] = "egl-headless",
    [GRAPHICS_DBUS] = "dbus",
};

static const char *const video_model_names[] = {
    [VIDEO_DEFAULT] = "default",
    [VIDEO_VGA] = "vga",
    [VIDEO_CIRRUS] = "cirrus",
    [VIDEO_VMVGA] = "vmvga",
    [VIDEO_XEN] = "xen",
    [VIDEO_VBOX] = "vbox",
    [VIDEO_QXL] = "qxl",
    [VIDEO_PARALLELS] = "parallels",
    [VIDEO_VIRTIO] = "virtio",
    [VIDEO_GOP] = "gop",
    [VIDEO_NONE] = "none",
    [VIDEO_BOCHS] = "bochs",
    [VIDEO_RAMFB] = "ramfb",
};

static const char *const sound_model_names[] = {
    [SOUND_SB16] = "sb16",
    [SOUND_ES1370] = "es1370",
    [SOUND_PCSPK] = "pcspk",
    [SOUND_AC97] = "ac97",
    [SOUND_ICH6] = "ich6",
    [SOUND_ICH9] = "ich9",
    [SOUND_USB] = "usb",
    [SOUND_ICH7] = "ich7",
};

static const char *const watchdog_model_names[] = {
    [WATCHDOG_I6300ESB] = "i6300esb",
    [WATCHDOG_IB700] = "ib700",
    [WATCHDOG_DIAG288] = "diag288",
};

static const char *const perf_event_names[] = {
    "cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
    "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
    "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
    "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj",
    "alignment_faults", "emulation_faults",
};

static const char *const watchdog_action_names[] = {
    [WATCHDOG_ACTION_RESET] = "reset",
    [WATCHDOG_ACTION_SHUTDOWN] = "shutdown",
    [WATCHDOG_ACTION_POWEROFF] = "poweroff",
    [WATCHDOG_ACTION_PAUSE] = "pause",
    [WATCHDOG_ACTION_DUMP] = "dump",
    [WATCHDOG_ACTION_NONE] = "none",
    [WATCHDOG_ACTION_INJECT_NMI] = "inject-nmi",
};

static const char *const memballoon_model_names[] = {
    [MEMBALLOON_ABSENT] = NULL,
    [MEMBALLOON_VIRTIO] = "virtio",
    [MEMBALLOON_XEN] = "xen",
    [MEMBALLOON_NONE] = "none",
    [MEMBALLOON_VIRTIO_TRANSITIONAL] = "virtio-transitional",
    [MEMBALLOON_VIRTIO_NON_TRANSITIONAL] = "virtio-non-transitional",
};

static const struct {
    ControllerType type;
    const char *name;
} controller_models[] = {
    [CONTROLLER_MODEL_PCI_ROOT] = { CONTROLLER_PCI, "pci-root" },
    [CONTROLLER_MODEL_PCIE_ROOT] = { CONTROLLER_PCI, "pcie-root" },
    [CONTROLLER_MODEL_PCI_BRIDGE] = { CONTROLLER_PCI, "pci-bridge" },
    [CONTROLLER_MODEL_DMI_TO_PCI_BRIDGE] = { CONTROLLER_PCI, "dmi-to-pci-bridge" },
    [CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE] = { CONTROLLER_PCI, "pcie-to-pci-bridge" },
    [CONTROLLER_MODEL_PCIE_ROOT_PORT] = { CONTROLLER_PCI, "pcie-root-port" },
    [CONTROLLER_MODEL_PCIE_SWITCH_UPSTREAM_PORT] = { CONTROLLER_PCI, "pcie-switch-upstream-port" },
    [CONTROLLER_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT] = { CONTROLLER_PCI,
                                                       "pcie-switch-downstream-port" },
    [CONTROLLER_MODEL_PCI_EXPANDER_BUS] = { CONTROLLER_PCI, "pci-expander-bus" },
    [CONTROLLER_MODEL_PCIE_EXPANDER_BUS] = { CONTROLLER_PCI, "pcie-expander-bus" },
    [CONTROLLER_MODEL_SCSI_AUTO] = { CONTROLLER_SCSI, "auto" },
    [CONTROLLER_MODEL_BUSLOGIC] = { CONTROLLER_SCSI, "buslogic" },
    [CONTROLLER_MODEL_LSILOGIC] = { CONTROLLER_SCSI, "lsilogic" },
    [CONTROLLER_MODEL_LSISAS1068] = { CONTROLLER_SCSI, "lsisas1068" },
    [CONTROLLER_MODEL_VMPVSCSI] = { CONTROLLER_SCSI, "vmpvscsi" },
    [CONTROLLER_MODEL_IBMVSCSI] = { CONTROLLER_SCSI, "ibmvscsi" },
    [CONTROLLER_MODEL_VIRTIO_SCSI] = { CONTROLLER_SCSI, "virtio-scsi" },
    [CONTROLLER_MODEL_LSISAS1078] = { CONTROLLER_SCSI, "lsisas1078" },
    [CONTROLLER_MODEL_SCSI_VIRTIO_TRANSITIONAL] = { CONTROLLER_SCSI, "virtio-transitional" },
    [CONTROLLER_MODEL_SCSI_VIRTIO_NON_TRANSITIONAL] = { CONTROLLER_SCSI,
                                                        "virtio-non-transitional" },
    [CONTROLLER_MODEL_NCR53C90] = { CONTROLLER_SCSI, "ncr53c90" },
    [CONTROLLER_MODEL_DC390] = { CONTROLLER_SCSI, "dc390" },
    [CONTROLLER_MODEL_AM53C974] = { CONTROLLER_SCSI, "am53c974" },
    [CONTROLLER_MODEL_PIIX3_UHCI] = { CONTROLLER_USB, "piix3-uhci" },
    [CONTROLLER_MODEL_PIIX4_UHCI] = { CONTROLLER_USB, "piix4-uhci" },
    [CONTROLLER_MODEL_EHCI] = { CONTROLLER_USB, "ehci" },
    [CONTROLLER_MODEL_ICH9_EHCI1] = { CONTROLLER_USB, "ich9-ehci1" },
    [CONTROLLER_MODEL_ICH9_UHCI1] = { CONTROLLER_USB, "ich9-uhci1" },
    [CONTROLLER_MODEL_ICH9_UHCI2] = { CONTROLLER_USB, "ich9-uhci2" },
    [CONTROLLER_MODEL_ICH9_UHCI3] = { CONTROLLER_USB, "ich9-uhci3" },
    [CONTROLLER_MODEL_VT82C686B_UHCI] = { CONTROLLER_USB, "vt82c686b-uhci" },
    [CONTROLLER_MODEL_PCI_OHCI] = { CONTROLLER_USB, "pci-ohci" },
    [CONTROLLER_MODEL_NEC_XHCI] = { CONTROLLER_USB, "nec-xhci" },
    [CONTROLLER_MODEL_QUSB1] = { CONTROLLER_USB, "qusb1" },
    [CONTROLLER_MODEL_QUSB2] = { CONTROLLER_USB, "qusb2" },
    [CONTROLLER_MODEL_QEMU_XHCI] = { CONTROLLER_USB, "qemu-xhci" },
    [CONTROLLER_MODEL_USB_NONE] = { CONTROLLER_USB, "none" },
    [CONTROLLER_MODEL_PIIX3] = { CONTROLLER_IDE, "piix3" },
    [CONTROLLER_MODEL_PIIX4] = { CONTROLLER_IDE, "piix4" },
    [CONTROLLER_MODEL_ICH6] = { CONTROLLER_IDE, "ich6" },
    [CONTROLLER_MODEL_VIRTIO_SERIAL_VIRTIO] = { CONTROLLER_VIRTIO_SERIAL, "virtio" },
    [CONTROLLER_MODEL_VIRTIO_SERIAL_TRANSITIONAL] = { CONTROLLER_VIRTIO_SERIAL,
                                                      "virtio-transitional" },
    [CONTROLLER_MODEL_VIRTIO_SERIAL_NON_TRANSITIONAL] = { CONTROLLER_VIRTIO_SERIAL,
                                                          "virtio-non-transitional" },
};

const char *
controller_model_to_string(ControllerModel m)
{
    return (size_t) m < ARRAY_SIZE(controller_models) ? controller_models[m].name : NULL;
}

int
controller_model_from_string(ControllerType type, const char *s)
{
    for (size_t i = 1; s && i < ARRAY_SIZE(controller_models); i++)
        if (controller_models[i].type == type && STREQ(controller_models[i].name, s))
            return (int) i;
    return -1;
}

static const char *const chr_device_names[] = {
    [CHR_DEVICE_SERIAL] = "serial",
    [CHR_DEVICE_CONSOLE] = "console",
    [CHR_DEVICE_CHANNEL] = "channel",
    [CHR_DEVICE_PARALLEL] = "parallel",
};

static const char *const chr_target_names[] = {
    [CHR_TARGET_ISA_SERIAL] = "isa-serial",
    [CHR_TARGET_USB_SERIAL] = "usb-serial",
    [CHR_TARGET_PCI_SERIAL] = "pci-serial",
    [CHR_TARGET_SPAPR_VIO_SERIAL] = "spapr-vio-serial",
    [CHR_TARGET_SYSTEM_SERIAL] = "system-serial",
    [CHR_TARGET_SCLP_SERIAL] = "sclp-serial",
    [CHR_TARGET_ISA_DEBUG] = "isa-debug",
    [CHR_TARGET_SERIAL] = "serial",
    [CHR_TARGET_XEN] = "xen",
    [CHR_TARGET_UML] = "uml",
    [CHR_TARGET_LXC] = "lxc",
    [CHR_TARGET_OPENVZ] = "openvz",
    [CHR_TARGET_SCLP] = "sclp",
    [CHR_TARGET_SCLPLM] = "sclplm",
    [CHR_TARGET_VIRTIO] = "virtio",
    [CHR_TARGET_GUESTFWD] = "guestfwd",
};

static const char *const chr_mode_names[] = {
    [CHR_MODE_BIND] = "bind",
    [CHR_MODE_CONNECT] = "connect",
};

static const char *const disk_cache_names[] = {
    [DISK_CACHE_DEFAULT] = "default",
    [DISK_CACHE_NONE] = "none",
    [DISK_CACHE_WRITETHROUGH] = "writethrough",
    [DISK_CACHE_WRITEBACK] = "writeback",
    [DISK_CACHE_DIRECTSYNC] = "directsync",
    [DISK_CACHE_UNSAFE] = "unsafe",
};

static const char *const disk_io_names[] = {
    [DISK_IO_THREADS] = "threads",
    [DISK_IO_NATIVE] = "native",
    [DISK_IO_URING] = "io_uring",
};

static const char *const disk_discard_names[] = {
    [DISK_DISCARD_UNMAP] = "unmap",
    [DISK_DISCARD_IGNORE] = "ignore",
};

static const char *const cpu_mode_names[] = {
    [CPU_MODE_CUSTOM] = "custom",
    [CPU_MODE_HOST_MODEL] = "host-model",
    [CPU_MODE_HOST_PASSTHROUGH] = "host-passthrough",
    [CPU_MODE_MAXIMUM] = "maximum",
};

static const char *const clock_offset_names[] = {
    [CLOCK_OFFSET_UTC] = "utc",
    [CLOCK_OFFSET_LOCALTIME] = "localtime",
    [CLOCK_OFFSET_VARIABLE] = "variable",
    [CLOCK_OFFSET_TIMEZONE] = "timezone",
    [CLOCK_OFFSET_ABSOLUTE] = "absolute",
};

static const char *const address_type_names[] = {
    [DEVICE_ADDRESS_NONE] = NULL,
    [DEVICE_ADDRESS_PCI] = "pci",
    [DEVICE_ADDRESS_DRIVE] = "drive",
    [DEVICE_ADDRESS_VIRTIO_SERIAL] = "virtio-serial",
    [DEVICE_ADDRESS_USB] = "usb",
    [DEVICE_ADDRESS_ISA] = "isa",
    [DEVICE_ADDRESS_DIMM] = "dimm",
};

/* An enumeration's to-string and from-string, from its table of names. */
#define ENUM_STRINGS(prefix, type, table) \
    const char *prefix##_to_string(type v) \
    { \
        return TABLE_TO_STRING(table, v); \
    } \
    int prefix##_from_string(const char *s) \
    { \
        return table_lookup(table, ARRAY_SIZE(table), s); \
    }

ENUM_STRINGS(domain_lifecycle_action, DomainLifecycleAction, lifecycle_names)
ENUM_STRINGS(domain_virt_type, DomainVirtType, virt_type_names)
ENUM_STRINGS(disk_bus, DiskBus, disk_bus_names)
ENUM_STRINGS(controller_type, ControllerType, controller_type_names)
ENUM_STRINGS(input_type, InputType, input_type_names)
ENUM_STRINGS(input_bus, InputBus, input_bus_names)
ENUM_STRINGS(graphics_type, GraphicsType, graphics_type_names)
ENUM_STRINGS(video_model, VideoModel, video_model_names)
ENUM_STRINGS(watchdog_model, WatchdogModel, watchdog_model_names)
ENUM_STRINGS(watchdog_action, WatchdogAction, watchdog_action_names)
ENUM_STRINGS(perf_event, PerfEvent, perf_event_names)
ENUM_STRINGS(sound_model, SoundModel, sound_model_names)
ENUM_STRINGS(memballoon_model, MemballoonModel, memballoon_model_names)
ENUM_STRINGS(disk_type, DiskType, disk_type_names)
ENUM_STRINGS(disk_device, DiskDevice, disk_device_names)
ENUM_STRINGS(net_type, NetType, net_type_names)
ENUM_STRINGS(chr_type, ChrType, chr_type_names)
ENUM_STRINGS(device_address_type, DeviceAddressType, address_type_names)
ENUM_STRINGS(chr_target_type, ChrTargetType, chr_target_names)
ENUM_STRINGS(chr_source_mode, ChrSourceMode, chr_mode_names)
ENUM_STRINGS(disk_cache, DiskCache, disk_cache_names)
ENUM_STRINGS(disk_io, DiskIo, disk_io_names)
ENUM_STRINGS(disk_discard, DiskDiscard, disk_discard_names)
ENUM_STRINGS(cpu_mode, CpuMode, cpu_mode_names)
ENUM_STRINGS(clock_offset, ClockOffset, clock_offset_names)

const char *
chr_device_to_string(ChrDevice d)
{
    return TABLE_TO_STRING(chr_device_names, d);
}

void
domain_net_generate_mac(char mac[static 18])
{
    uint8_t b[3];

    if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
        abort();
    snprintf(mac, 18, "52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
}

int
domain_net_parse_mac(const char *s, char ret_mac[static 18])
{
    unsigned b[6];
    const char *p = s;

    if (!s)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        int digits = 0;

        b[i] = 0;
        while (digits < 2 && *p && strchr("0123456789abcdefABCDEF", *p)) {
            char c = *p++;

            b[i] = b[i] * 16 + (unsigned) (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            digits++;
        }
        if (digits == 0)
            return -EINVAL;
        if (i < 5) {
            if (*p != ':' && *p != '-')
                return -EINVAL;
            p++;
        }
    }
    if (*p)
        return -EINVAL;
    snprintf(ret_mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    return 0;
}

bool
domain_def_name_is_valid(const char *name)
{
    size_t len;

    if (!name || !*name)
        return false;
    len = strlen(name);
    if (len > DOMAIN_DEF_MAX_NAME)
        return false;
    if (STREQ(name, ".") || STREQ(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || (unsigned char) *p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Validation. */

static int
validate_address(const DeviceAddress *a, Error *error)
{
    if (a->type != DEVICE_ADDRESS_PCI)
        return 0;
    /* libvirt's virPCIDeviceAddressIsValid(addr, true). */
    if (a->domain > 0xFFFF)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: Invalid PCI address domain='0x%x', must be <= 0xFFFF",
                         a->domain);
    if (a->bus > 0xFF)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: Invalid PCI address bus='0x%x', must be <= 0xFF", a->bus);
    if (a->slot > 0x1F)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: Invalid PCI address slot='0x%x', must be <= 0x1F", a->slot);
    if (a->function > 7)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: Invalid PCI address function='0x%x', must be <= 7",
                         a->function);
    return 0;
}

static int
validate_boot_order(int order, int *seen_orders, size_t *n_seen, Error *error)
{
    if (order <= 0)
        return 0;
    for (size_t i = 0; i < *n_seen; i++)
        if (seen_orders[i] == order)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "XML error: boot order '%d' used for more than one device", order);
    seen_orders[(*n_seen)++] = order;
    return 0;
}

bool
domain_device_address_equal(const DeviceAddress *a, const DeviceAddress *b)
{
    return a->type == b->type && a->domain == b->domain && a->bus == b->bus &&
           a->slot == b->slot && a->function == b->function &&
           a->controller == b->controller && a->target == b->target && a->unit == b->unit &&
           a->port == b->port && STREQ_NULL(a->usb_port, b->usb_port) &&
           a->iobase == b->iobase && a->irq == b->irq && a->base == b->base;
}

int
domain_disk_validate(const DomainDisk *d, Error *error)
{
    /* libvirt's QEMU validation: a virtio disk has no tray. */
    if (d->device == DISK_DEVICE_CDROM && d->target_bus == DISK_BUS_VIRTIO)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: disk type of '%s' does not support "
                         "ejectable media", str_or_empty(d->target_dev));
    return 0;
}

static int
validate_devices(const DomainDef *def, Error *error)
{
    auto_cleanup(free_ptr) int *orders =
        xcalloc(def->n_disks + def->n_nets + def->n_hostdevs + 1, sizeof(int));
    size_t n_orders = 0;
    bool any_boot = false;
    int r;

    for (size_t i = 0; i < def->n_disks; i++) {
        const DomainDisk *d = &def->disks[i];

        if (!d->target_dev || !*d->target_dev)
            return error_set(error, -EINVAL, VIR_ERR_NO_TARGET,
                             "missing target information for device %s",
                             d->source ? d->source : "(no source)");
        for (size_t j = 0; j < i; j++)
            if (STREQ(def->disks[j].target_dev, d->target_dev))
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "XML error: target '%s' duplicated for disk sources '%s' and '%s'",
                                 d->target_dev,
                                 def->disks[j].source ? def->disks[j].source : "",
                                 d->source ? d->source : "");
        r = domain_disk_validate(d, error);
        if (r < 0)
            return r;
        r = validate_boot_order(d->boot_order, orders, &n_orders, error);
        if (r < 0)
            return r;
        any_boot |= d->boot_order > 0;
        r = validate_address(&d->address, error);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < def->n_nets; i++) {
        const DomainNet *n = &def->nets[i];
        char mac[18];

        if (domain_net_parse_mac(n->mac, mac) < 0)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "XML error: unable to parse mac address '%s'", n->mac);
        if (strtoul(mac, NULL, 16) & 1)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "XML error: expected unicast mac address, found multicast '%s'",
                             n->mac);
        r = validate_boot_order(n->boot_order, orders, &n_orders, error);
        if (r < 0)
            return r;
        any_boot |= n->boot_order > 0;
        r = validate_address(&n->address, error);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        const DomainHostdev *h = &def->hostdevs[i];
        if (h->raw_xml)
            continue;
        r = validate_boot_order(h->boot_order, orders, &n_orders, error);
        if (r < 0)
            return r;
        any_boot |= h->boot_order > 0;
        if (h->type == HOSTDEV_USB)
            continue;
        for (size_t j = 0; j < i; j++)
            if (!def->hostdevs[j].raw_xml && def->hostdevs[j].type == HOSTDEV_PCI &&
                def->hostdevs[j].source.domain == h->source.domain &&
                def->hostdevs[j].source.bus == h->source.bus &&
                def->hostdevs[j].source.slot == h->source.slot &&
                def->hostdevs[j].source.function == h->source.function)
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "XML error: host PCI device %04x:%02x:%02x.%x is given twice",
                                 h->source.domain, h->source.bus, h->source.slot,
                                 h->source.function);
    }
    if (any_boot && def->n_os_boot_devs > 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: per-device boot elements cannot be used together with "
                         "os/boot elements");

#define CHECK_ADDRESSES(arr, n) \
    for (size_t i = 0; i < (n); i++) { \
        r = validate_address(&(arr)[i].address, error); \
        if (r < 0) \
            return r; \
    }
    CHECK_ADDRESSES(def->controllers, def->n_controllers);
    CHECK_ADDRESSES(def->serials, def->n_serials);
    CHECK_ADDRESSES(def->consoles, def->n_consoles);
    CHECK_ADDRESSES(def->channels, def->n_channels);
    CHECK_ADDRESSES(def->inputs, def->n_inputs);
    CHECK_ADDRESSES(def->videos, def->n_videos);
    CHECK_ADDRESSES(def->sounds, def->n_sounds);
    CHECK_ADDRESSES(def->redirdevs, def->n_redirdevs);
    CHECK_ADDRESSES(def->hostdevs, def->n_hostdevs);
    if (def->watchdog)
        CHECK_ADDRESSES(def->watchdog, 1);
#undef CHECK_ADDRESSES
    return validate_address(&def->memballoon.address, error);
}

ssize_t
domain_def_find_disk(const DomainDef *def, const char *path)
{
    for (size_t i = 0; i < def->n_disks; i++)
        if (STREQ_NULL(def->disks[i].target_dev, path) || STREQ_NULL(def->disks[i].source, path))
            return (ssize_t) i;
    return -1;
}

bool
domain_def_has_iothread(const DomainDef *def, unsigned id)
{
    for (size_t i = 0; i < def->n_iothreads; i++)
        if (def->iothread_ids[i] == id)
            return true;
    return false;
}

int
domain_def_validate(const DomainDef *def, Error *error)
{
    int r;

    if (!def->name)
        return error_set(error, -EINVAL, VIR_ERR_NO_NAME, "missing name information");
    if (!domain_def_name_is_valid(def->name)) {
        if (strlen(def->name) > DOMAIN_DEF_MAX_NAME)
            return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                             "domain name is longer than %d bytes (%zu)", DOMAIN_DEF_MAX_NAME,
                             strlen(def->name));
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "invalid domain name '%s': it must not be empty, '.' or '..', "
                         "nor contain '/' or control characters", def->name);
    }
    if ((unsigned) def->virt_type >= _DOMAIN_VIRT_MAX)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: invalid virt type %d", def->virt_type);
    if (!def->os_type)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: an os <type> must be specified");
    if (!STREQ(def->os_type, "hvm"))
        return error_set(error, -EINVAL, VIR_ERR_OS_TYPE, "unknown OS type '%s'", def->os_type);
    if (def->memory_kib == 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: Memory size must be specified via <memory> or in the "
                         "<numa> configuration");
    if (def->current_memory_kib > def->memory_kib)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: current memory %llu KiB is larger than memory %llu KiB",
                         (unsigned long long) def->current_memory_kib,
                         (unsigned long long) def->memory_kib);
    if (def->max_memory_kib && def->max_memory_kib < def->memory_kib)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: maximum memory size must be equal or greater than the "
                         "actual memory size");
    if (def->vcpus == 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: Domain requires at least 1 vCPU");
    if (def->vcpus > DOMAIN_DEF_MAX_VCPUS)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: Maximum CPUs greater than the limit %d",
                         DOMAIN_DEF_MAX_VCPUS);
    if (def->vcpus_current == 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: current vcpus count must be at least 1");
    if (def->vcpus_current > def->vcpus)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: maxvcpus must not be less than current vcpus "
                         "(%u < %u)", def->vcpus, def->vcpus_current);
    for (size_t i = 0; i < def->cputune.n_vcpupins; i++)
        if (def->cputune.vcpupins[i].vcpu >= def->vcpus)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "XML error: vcpupin vcpu id '%u' is out of range of the %u vcpus",
                             def->cputune.vcpupins[i].vcpu, def->vcpus);
    for (size_t i = 0; i < def->n_disks; i++) {
        const DomainDisk *d = &def->disks[i];

        if (!d->driver_iothread)
            continue;
        if (d->target_bus != DISK_BUS_VIRTIO)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: IOThreads not available for bus %s "
                             "target %s", disk_bus_to_string(d->target_bus),
                             str_or_empty(d->target_dev));
        if (!domain_def_has_iothread(def, d->driver_iothread))
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: Disk iothread '%u' not defined in "
                             "iothreadid", d->driver_iothread);
    }
    for (size_t i = 0; i < def->cputune.n_iothreadpins; i++)
        if (!domain_def_has_iothread(def, def->cputune.iothreadpins[i].id))
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "XML error: Cannot find iothread '%u' of iothreadpin",
                             def->cputune.iothreadpins[i].id);
    if ((r = domain_numa_validate(def, error)) < 0)
        return r;
    for (size_t i = 0; i < def->n_memories; i++)
        if ((r = domain_memory_device_validate(def, &def->memories[i], error)) < 0)
            return r;
    if ((unsigned) def->on_poweroff >= _DOMAIN_LIFECYCLE_MAX ||
        (unsigned) def->on_reboot >= _DOMAIN_LIFECYCLE_MAX ||
        (unsigned) def->on_crash >= _DOMAIN_LIFECYCLE_MAX)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "XML error: invalid lifecycle action");
    return validate_devices(def, error);
}

/* Free. */

static void
address_clear(DeviceAddress *a)
{
    free(a->usb_port);
}

static void
disk_clear(DomainDisk *d)
{
    free(d->driver_name);
    free(d->driver_type);
    free(d->source);
    free(d->source_pool);
    free(d->source_volume);
    free(d->source_protocol);
    free(d->source_host_name);
    free(d->source_host_port);
    free(d->target_dev);
    free(d->serial);
    free(d->iotune.group_name);
    address_clear(&d->address);
    free(d->alias);
}

static void
net_clear(DomainNet *n)
{
    free(n->source);
    free(n->model_name);
    free(n->target_dev);
    free(n->link_state);
    address_clear(&n->address);
    free(n->alias);
}

unsigned
domain_def_vcpus_hotplugged(const DomainDef *def)
{
    unsigned n = 0;

    for (unsigned i = 0; def->vcpu_hotplugged && i < def->vcpus; i++)
        n += def->vcpu_hotplugged[i];
    return n;
}

void
domain_def_move_net(DomainDef *to, DomainDef *from, size_t i)
{
    *ARRAY_APPEND(to->nets, to->n_nets) = from->nets[i];
    memmove(&from->nets[i], &from->nets[i + 1], (from->n_nets - i - 1) * sizeof(*from->nets));
    from->n_nets--;
}

void
domain_def_remove_net(DomainDef *def, size_t i)
{
    net_clear(&def->nets[i]);
    memmove(&def->nets[i], &def->nets[i + 1], (def->n_nets - i - 1) * sizeof(*def->nets));
    def->n_nets--;
}

static void
chr_clear(DomainChr *c)
{
    free(c->source_path);
    free(c->source_host);
    free(c->source_service);
    free(c->target_name);
    free(c->protocol);
    address_clear(&c->address);
    free(c->alias);
}

static void
strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void
domain_def_free(DomainDef *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->title);
    free(def->description);
    free(def->metadata);
    free(def->vcpu_placement);
    free(def->vcpu_hotplugged);
    free(def->vcpu_cpuset);
    for (size_t i = 0; i < def->cputune.n_vcpupins; i++)
        free(def->cputune.vcpupins[i].cpuset);
    free(def->cputune.vcpupins);
    free(def->cputune.emulatorpin);
    for (size_t i = 0; i < def->blkiotune.n_devices; i++)
        free(def->blkiotune.devices[i].path);
    free(def->blkiotune.devices);
    for (size_t i = 0; i < def->cputune.n_iothreadpins; i++)
        free(def->cputune.iothreadpins[i].cpuset);
    free(def->cputune.iothreadpins);
    free(def->iothread_ids);
    free(def->numatune.mode);
    free(def->numatune.nodeset);
    free(def->numatune.placement);
    free(def->cpu.match);
    free(def->cpu.check);
    free(def->cpu.migratable);
    free(def->cpu.model);
    free(def->cpu.model_fallback);
    free(def->cpu.vendor);
    for (size_t i = 0; i < def->cpu.n_features; i++) {
        free(def->cpu.features[i].policy);
        free(def->cpu.features[i].name);
    }
    free(def->cpu.features);
    for (size_t i = 0; i < def->cpu.n_cells; i++) {
        free(def->cpu.cells[i].cpus);
        free(def->cpu.cells[i].mem_access);
    }
    free(def->cpu.cells);
    for (size_t i = 0; i < def->n_memories; i++)
        domain_memory_device_clear(&def->memories[i]);
    free(def->memories);
    free(def->os_type);
    free(def->os_arch);
    free(def->os_machine);
    strv_free(def->os_boot_devs, def->n_os_boot_devs);
    free(def->os_kernel);
    free(def->os_initrd);
    free(def->os_cmdline);
    free(def->os_dtb);
    free(def->os_loader);
    free(def->os_loader_readonly);
    free(def->os_loader_type);
    free(def->os_nvram);
    free(def->os_firmware);
    strv_free(def->features, def->n_features);
    free(def->features_extra_xml);
    free(def->clock_adjustment);
    free(def->clock_basis);
    for (size_t i = 0; i < def->n_timers; i++) {
        free(def->timers[i].name);
        free(def->timers[i].tickpolicy);
        free(def->timers[i].track);
    }
    free(def->timers);
    free(def->emulator);
    for (size_t i = 0; i < def->n_disks; i++)
        disk_clear(&def->disks[i]);
    free(def->disks);
    for (size_t i = 0; i < def->n_controllers; i++) {
        address_clear(&def->controllers[i].address);
        free(def->controllers[i].alias);
    }
    free(def->controllers);
    for (size_t i = 0; i < def->n_nets; i++)
        net_clear(&def->nets[i]);
    free(def->nets);
    for (size_t i = 0; i < def->n_serials; i++)
        chr_clear(&def->serials[i]);
    free(def->serials);
    for (size_t i = 0; i < def->n_consoles; i++)
        chr_clear(&def->consoles[i]);
    free(def->consoles);
    for (size_t i = 0; i < def->n_channels; i++)
        chr_clear(&def->channels[i]);
    free(def->channels);
    for (size_t i = 0; i < def->n_inputs; i++) {
        address_clear(&def->inputs[i].address);
        free(def->inputs[i].alias);
    }
    free(def->inputs);
    for (size_t i = 0; i < def->n_graphics; i++) {
        DomainGraphics *g = &def->graphics[i];

        free(g->listen);
        free(g->passwd);
        free(g->keymap);
        free(g->display);
    }
    free(def->graphics);
    for (size_t i = 0; i < def->n_videos; i++) {
        address_clear(&def->videos[i].address);
        free(def->videos[i].alias);
    }
    free(def->videos);
    for (size_t i = 0; i < def->n_sounds; i++) {
        address_clear(&def->sounds[i].address);
        free(def->sounds[i].alias);
    }
    free(def->sounds);
    if (def->watchdog) {
        address_clear(&def->watchdog->address);
        free(def->watchdog->alias);
        free(def->watchdog);
    }
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        free(def->hostdevs[i].raw_xml);
        free(def->hostdevs[i].startup_policy);
        free(def->hostdevs[i].usb_dev_path);
        address_clear(&def->hostdevs[i].source);
        address_clear(&def->hostdevs[i].address);
        free(def->hostdevs[i].alias);
    }
    free(def->hostdevs);
    for (size_t i = 0; i < def->n_redirdevs; i++) {
        free(def->redirdevs[i].bus);
        free(def->redirdevs[i].type);
        address_clear(&def->redirdevs[i].address);
        free(def->redirdevs[i].alias);
    }
    free(def->redirdevs);
    address_clear(&def->memballoon.address);
    free(def->memballoon.alias);
    strv_free(def->qemu_args, def->n_qemu_args);
    for (size_t i = 0; i < def->n_qemu_envs; i++) {
        free(def->qemu_envs[i].name);
        free(def->qemu_envs[i].value);
    }
    free(def->qemu_envs);
    free(def);
}

/* As libvirt's virDomainDefCopy: through the XML, which the round-trip
 * tests keep lossless. Costs a format and a parse. */
size_t
domain_def_device_count(const DomainDef *def)
{
    return def->n_disks + def->n_controllers + def->n_nets + def->n_serials + def->n_consoles +
           def->n_channels + def->n_inputs + def->n_graphics + def->n_videos + def->n_sounds +
           def->n_redirdevs + def->n_hostdevs + def->n_memories + (def->watchdog ? 1 : 0) +
           (def->memballoon.model != MEMBALLOON_ABSENT ? 1 : 0);
}

DomainDef *
domain_def_copy(const DomainDef *def)
{
    auto_cleanup(free_ptr) char *xml = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    DomainDef *copy = NULL;

    if (!def)
        return NULL;
    xml = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_SECURE);
    if (domain_def_parse_flags(xml, DOMAIN_DEF_PARSE_SKIP_VALIDATE, &copy, &error) < 0) {
        fprintf(stderr, "domain_def_copy: cannot parse formatted definition: %s\n%s\n",
                error.message, xml);
        abort();
    }
    copy->id = def->id;
    copy->uuid_generated = def->uuid_generated;
    for (size_t i = 0; i < copy->n_nets && i < def->n_nets; i++)
        copy->nets[i].mac_generated = def->nets[i].mac_generated;
    return copy;
}

const char *const disk_iotune_names[_IOTUNE_MAX] = {
    "total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
    "total_iops_sec", "read_iops_sec", "write_iops_sec",
    "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max",
    "total_iops_sec_max", "read_iops_sec_max", "write_iops_sec_max",
    "size_iops_sec",
    "total_bytes_sec_max_length", "read_bytes_sec_max_length", "write_bytes_sec_max_length",
    "total_iops_sec_max_length", "read_iops_sec_max_length", "write_iops_sec_max_length",
};

bool
disk_iotune_is_set(const DiskIotune *t)
{
    for (size_t i = 0; i < _IOTUNE_MAX; i++)
        if (t->v[i])
            return true;
    return t->group_name != NULL;
}
