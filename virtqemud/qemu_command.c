/* From a DomainDef to QEMU's argument vector, the way libvirt 9 writes it for
 * QEMU 7.2 (Debian 12), in QEMU's key=value option syntax (-blockdev in
 * JSON, as libvirt writes it and as blockdev-add takes it).
 *
 * Order of the options follows libvirt's qemuBuildCommandLine(): name, -S,
 * machine, accel, cpu, firmware, memory, smp, uuid, display, defaults,
 * monitor, clock, pm, boot, kernel, controllers, disks, interfaces, serial,
 * channels, consoles, input, audio, graphics, video, sound, balloon, -msg,
 * then qemu:commandline. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "fileutil.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_command_argv.h"
#include "qemu_command_priv.h"
#include "qemu_memory.h"

/* ---- lookups ---- */

const DomainController *
find_controller(const DomainDef *def, ControllerType type, unsigned index)
{
    for (size_t i = 0; i < def->n_controllers; i++)
        if (def->controllers[i].type == type && def->controllers[i].index == (int) index)
            return &def->controllers[i];
    return NULL;
}

/* The alias QEMU knows controller (@type, @index) by. */
const char *
controller_id(Cmd *c, const DomainDef *def, ControllerType type, unsigned index)
{
    const DomainController *ctl = find_controller(def, type, index);
    char *alias;

    if (!ctl)
        return NULL;
    if (ctl->alias)
        return ctl->alias;
    alias = qemu_controller_alias(def, ctl);
    c->tmp = xrealloc(c->tmp, (c->n_tmp + 1) * sizeof(char *));
    c->tmp[c->n_tmp++] = alias;
    return alias;
}

/* ",bus=pci.0,addr=0x3" for a PCI address; "" without one. */
int
pci_addr(Cmd *c, const DomainDef *def, const DeviceAddress *a, const char **ret, Error *error)
{
    const char *bus, *multi;

    if (a->type != DEVICE_ADDRESS_PCI) {
        *ret = "";
        return 0;
    }
    bus = controller_id(c, def, CONTROLLER_PCI, a->bus);
    if (!bus)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "no PCI controller with index '%u' for address %04x:%02x:%02x.%x",
                         a->bus, a->domain, a->bus, a->slot, a->function);
    multi = a->multifunction == 1 ? ",multifunction=on" : "";
    if (a->function)
        *ret = scratch_printf(c, ",bus=%s%s,addr=0x%x.0x%x", bus, multi, a->slot, a->function);
    else
        *ret = scratch_printf(c, ",bus=%s%s,addr=0x%x", bus, multi, a->slot);
    return 0;
}

int
need_alias(const char *alias, const char *what, Error *error)
{
    if (alias)
        return 0;
    return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                     "%s has no alias: qemu_domain_assign_aliases() was not called", what);
}

static bool
has_feature(const DomainDef *def, const char *name)
{
    for (size_t i = 0; i < def->n_features; i++)
        if (STREQ_NULL(def->features[i], name))
            return true;
    return false;
}

static const DomainTimer *
find_timer(const DomainDef *def, const char *name)
{
    for (size_t i = 0; i < def->n_timers; i++)
        if (STREQ_NULL(def->timers[i].name, name))
            return &def->timers[i];
    return NULL;
}

const char *
chr_type_name(ChrType t)
{
    static const char *const names[] = {
        [CHR_TYPE_PTY] = "pty", [CHR_TYPE_FILE] = "file", [CHR_TYPE_UNIX] = "unix",
        [CHR_TYPE_NULL] = "null", [CHR_TYPE_STDIO] = "stdio", [CHR_TYPE_TCP] = "tcp",
        [CHR_TYPE_SPICEVMC] = "spicevmc",
    };
    return (size_t) t < ARRAY_SIZE(names) ? names[t] : "unknown";
}

const char *
net_type_name(NetType t)
{
    static const char *const names[] = {
        [NET_TYPE_USER] = "user", [NET_TYPE_NETWORK] = "network",
        [NET_TYPE_BRIDGE] = "bridge", [NET_TYPE_ETHERNET] = "ethernet",
    };
    return (size_t) t < ARRAY_SIZE(names) ? names[t] : "unknown";
}

/* ---- what cannot start, refused before anything is built ---- */

static int
check_supported(const DomainDef *def, const QemuCommandContext *ctx, Error *error)
{
    size_t n_vnc = 0;

    if (def->virt_type == DOMAIN_VIRT_KVM && !ctx->kvm_available)
        /* libvirt's text, word for word: virsh users know it. */
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "Domain requires KVM, but it is not available. Check that "
                         "virtualization is enabled in the host BIOS, and host configuration "
                         "is setup to load the kvm modules.");
    for (size_t i = 0; i < def->n_graphics; i++) {
        if (def->graphics[i].type != GRAPHICS_VNC)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "graphics type '%s' is not supported",
                             graphics_type_to_string(def->graphics[i].type));
        if (++n_vnc > 1)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "only one graphics device of type 'vnc' is supported");
    }
    for (size_t i = 0; i < def->n_disks; i++) {
        const DomainDisk *d = &def->disks[i];

        if (d->type == DISK_TYPE_NETWORK)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "network disk '%s' is not supported",
                             d->target_dev ? d->target_dev : "");
        if (d->device == DISK_DEVICE_LUN)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "disk device 'lun' of disk '%s' is not supported",
                             d->target_dev ? d->target_dev : "");
    }
    for (int pass = 0; pass < 3; pass++) {
        const DomainChr *list = pass == 0 ? def->serials
                              : pass == 1 ? def->channels : def->consoles;
        size_t n = pass == 0 ? def->n_serials : pass == 1 ? def->n_channels : def->n_consoles;

        for (size_t i = 0; i < n; i++) {
            const DomainChr *chr = &list[i];

            if (chr->type == CHR_TYPE_SPICEVMC)
                return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                                 "spicevmc channel '%s' is not supported without spice "
                                 "graphics, which this driver does not provide",
                                 chr->target_name ? chr->target_name : "");
            if (chr->type == CHR_TYPE_STDIO)
                return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                                 "character device type 'stdio' is not supported");
        }
    }
    for (size_t i = 0; i < def->n_redirdevs; i++)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "redirdev of type '%s' is not supported",
                         def->redirdevs[i].type ? def->redirdevs[i].type : "");
    return 0;
}

/* ---- general options ---- */

static int
build_cpu(Cmd *c, const DomainDef *def, Error *error)
{
    const DomainCpu *cpu = &def->cpu;
    bool kvm = def->virt_type == DOMAIN_VIRT_KVM;
    const char *model;
    size_t len;
    char *s;

    switch (cpu->mode) {
    case CPU_MODE_NONE:
        return 0;
    case CPU_MODE_HOST_PASSTHROUGH:
    case CPU_MODE_HOST_MODEL:
        /* TCG has no host CPU to pass through; libvirt refuses, we give the
         * guest TCG's "max" model, everything TCG can emulate. */
        model = kvm ? "host" : "max";
        break;
    case CPU_MODE_MAXIMUM:
        model = "max";
        break;
    case CPU_MODE_CUSTOM:
    default:
        if (!cpu->model) {
            if (cpu->n_features == 0)
                return 0;
            model = "qemu64";
        } else {
            model = cpu->model;
        }
        break;
    }

    s = xstrdup(opt_escape(c, model));
    len = strlen(s);
    for (size_t i = 0; i < cpu->n_features; i++) {
        const DomainCpuFeature *f = &cpu->features[i];
        const char *on;
        const char *name = opt_escape(c, f->name);

        if (!f->policy || STREQ(f->policy, "require") || STREQ(f->policy, "force")
            || STREQ(f->policy, "optional"))
            on = "on";
        else if (STREQ(f->policy, "disable") || STREQ(f->policy, "forbid"))
            on = "off";
        else
            return free(s), error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                                      "CPU feature policy '%s' is not supported", f->policy);
        s = xrealloc(s, len + strlen(name) + strlen(on) + 3);
        len += (size_t) sprintf(s + len, ",%s=%s", name, on);
    }
    cmd_add(c, "-cpu");
    cmd_take(c, s);
    return 0;
}

static void
build_smp(Cmd *c, const DomainDef *def)
{
    unsigned max = def->vcpus ? def->vcpus : 1;
    unsigned cur = def->vcpus_current ? def->vcpus_current : max;
    unsigned sockets = max, cores = 1, threads = 1, dies = 1;

    if (def->cpu.sockets || def->cpu.cores || def->cpu.threads) {
        sockets = def->cpu.sockets ? def->cpu.sockets : 1;
        cores = def->cpu.cores ? def->cpu.cores : 1;
        threads = def->cpu.threads ? def->cpu.threads : 1;
        dies = def->cpu.dies ? def->cpu.dies : 1;
    }
    cmd_opt(c, "-smp", "%u%s,sockets=%u%s,cores=%u,threads=%u", cur,
            cur != max ? scratch_printf(c, ",maxcpus=%u", max) : "", sockets,
            dies > 1 ? scratch_printf(c, ",dies=%u", dies) : "", cores, threads);
}

static int
build_firmware(Cmd *c, const DomainDef *def, Error *error)
{
    if (!def->os_loader) {
        if (def->os_firmware && !STREQ(def->os_firmware, "bios"))
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "firmware autoselection '%s' is not supported", def->os_firmware);
        return 0;
    }
    if (STREQ_NULL(def->os_loader_type, "pflash")) {
        cmd_opt(c, "-drive", "file=%s,if=pflash,format=raw,unit=0%s", opt_escape(c, def->os_loader),
                STREQ_NULL(def->os_loader_readonly, "yes") ? ",readonly=on" : "");
        if (def->os_nvram)
            cmd_opt(c, "-drive", "file=%s,if=pflash,format=raw,unit=1",
                    opt_escape(c, def->os_nvram));
    } else {
        cmd_opt(c, "-bios", "%s", def->os_loader);
    }
    return 0;
}

static void
build_clock(Cmd *c, const DomainDef *def)
{
    const DomainTimer *rtc = find_timer(def, "rtc");
    const DomainTimer *pit = find_timer(def, "pit");
    const DomainTimer *hpet = find_timer(def, "hpet");
    const char *base = "utc";

    if (def->clock_offset == CLOCK_OFFSET_LOCALTIME) {
        base = "localtime";
    } else if (def->clock_offset == CLOCK_OFFSET_VARIABLE) {
        /* The guest's clock runs @adjustment seconds off its basis. */
        time_t now = time(NULL) + (def->clock_adjustment ? atoll(def->clock_adjustment) : 0);
        struct tm tm;

        if (STREQ_NULL(def->clock_basis, "localtime"))
            localtime_r(&now, &tm);
        else
            gmtime_r(&now, &tm);
        base = scratch_printf(c, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    cmd_opt(c, "-rtc", "base=%s%s", base,
            rtc && STREQ_NULL(rtc->tickpolicy, "catchup") ? ",driftfix=slew" : "");

    if (pit && pit->tickpolicy) {
        if (STREQ(pit->tickpolicy, "delay"))
            cmd_opt(c, "-global", "kvm-pit.lost_tick_policy=delay");
        else if (STREQ(pit->tickpolicy, "discard"))
            cmd_opt(c, "-global", "kvm-pit.lost_tick_policy=discard");
    }
    if (hpet && hpet->present == 0)
        cmd_add(c, "-no-hpet");
}

static void
build_pm(Cmd *c, const DomainDef *def)
{
    const char *dev = qemu_machine_is_q35(def) ? "ICH9-LPC" : "PIIX4_PM";

    cmd_add(c, "-no-shutdown");
    if (def->pm_suspend_to_mem >= 0)
        cmd_opt(c, "-global", "%s.disable_s3=%d", dev, def->pm_suspend_to_mem ? 0 : 1);
    if (def->pm_suspend_to_disk >= 0)
        cmd_opt(c, "-global", "%s.disable_s4=%d", dev, def->pm_suspend_to_disk ? 0 : 1);
}

/* bootindex per disk and interface: from per-device <boot order>, or else
 * from <os><boot dev> (the first device of each kind), as libvirt does. */
static void
compute_boot(const DomainDef *def, int *disk_boot, int *net_boot)
{
    bool per_device = false;
    static const char *const default_devs[] = { "hd" };
    const char *const *devs = (const char *const *) def->os_boot_devs;
    size_t n_devs = def->n_os_boot_devs;

    for (size_t i = 0; i < def->n_disks; i++) {
        disk_boot[i] = def->disks[i].boot_order;
        per_device |= def->disks[i].boot_order > 0;
    }
    for (size_t i = 0; i < def->n_nets; i++) {
        net_boot[i] = def->nets[i].boot_order;
        per_device |= def->nets[i].boot_order > 0;
    }
    for (size_t i = 0; i < def->n_hostdevs; i++)
        per_device |= def->hostdevs[i].boot_order > 0;
    if (per_device)
        return;
    if (n_devs == 0 && !def->os_kernel) {
        devs = default_devs;
        n_devs = 1;
    }
    for (size_t j = 0; j < n_devs; j++) {
        DiskDevice want;

        if (STREQ_NULL(devs[j], "network")) {
            if (def->n_nets > 0 && net_boot[0] == 0)
                net_boot[0] = (int) j + 1;
            continue;
        }
        if (STREQ_NULL(devs[j], "hd"))
            want = DISK_DEVICE_DISK;
        else if (STREQ_NULL(devs[j], "cdrom"))
            want = DISK_DEVICE_CDROM;
        else if (STREQ_NULL(devs[j], "fd"))
            want = DISK_DEVICE_FLOPPY;
        else
            continue;
        for (size_t i = 0; i < def->n_disks; i++) {
            if (def->disks[i].device == want) {
                if (disk_boot[i] == 0)
                    disk_boot[i] = (int) j + 1;
                break;
            }
        }
    }
}

/* ---- controllers ---- */

static const char *
usb_device_name(ControllerModel model)
{
    static const char *const devices[_CONTROLLER_MODEL_MAX] = {
        [CONTROLLER_MODEL_PIIX3_UHCI] = "piix3-usb-uhci",
        [CONTROLLER_MODEL_PIIX4_UHCI] = "piix4-usb-uhci",
        [CONTROLLER_MODEL_EHCI] = "usb-ehci",
        [CONTROLLER_MODEL_ICH9_EHCI1] = "ich9-usb-ehci1",
        [CONTROLLER_MODEL_ICH9_UHCI1] = "ich9-usb-uhci1",
        [CONTROLLER_MODEL_ICH9_UHCI2] = "ich9-usb-uhci2",
        [CONTROLLER_MODEL_ICH9_UHCI3] = "ich9-usb-uhci3",
        [CONTROLLER_MODEL_NEC_XHCI] = "nec-usb-xhci",
        [CONTROLLER_MODEL_QEMU_XHCI] = "qemu-xhci",
    };
    return (size_t) model < ARRAY_SIZE(devices) ? devices[model] : NULL;
}

static int
build_controller(Cmd *c, const DomainDef *def, const DomainController *ctl, Error *error)
{
    const char *addr;
    const char *model = controller_model_to_string(ctl->model);
    int r;

    if (qemu_controller_is_builtin(def, ctl))
        return 0;
    if (ctl->type == CONTROLLER_USB && ctl->model == CONTROLLER_MODEL_USB_NONE)
        return 0;
    r = need_alias(ctl->alias, "controller", error);
    if (r < 0)
        return r;
    r = pci_addr(c, def, &ctl->address, &addr, error);
    if (r < 0)
        return r;

    switch (ctl->type) {
    case CONTROLLER_PCI:
        if (ctl->model == CONTROLLER_MODEL_PCI_BRIDGE)
            cmd_opt(c, "-device", "pci-bridge,chassis_nr=%d,id=%s%s", ctl->index, ctl->alias,
                    addr);
        else if (ctl->model == CONTROLLER_MODEL_PCIE_ROOT_PORT)
            cmd_opt(c, "-device", "pcie-root-port,port=0x%x,chassis=%d,id=%s%s",
                    0x10 + ctl->index - 1, ctl->index, ctl->alias, addr);
        else
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "PCI controller model '%s' is not supported", model ? model : "");
        break;
    case CONTROLLER_USB: {
        const char *dev = usb_device_name(ctl->model);

        if (!dev)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "USB controller model '%s' is not supported", model ? model : "");
        if (ctl->master_startport >= 0) {
            /* A UHCI companion of the EHCI controller with the same index. */
            const char *master = NULL;

            for (size_t i = 0; i < def->n_controllers; i++) {
                const DomainController *o = &def->controllers[i];

                if (o->type == CONTROLLER_USB && o->index == ctl->index
                    && o->master_startport < 0 && o->alias)
                    master = o->alias;
            }
            if (!master)
                master = ctl->alias;
            cmd_opt(c, "-device", "%s,masterbus=%s.0,firstport=%d%s", dev, master,
                    ctl->master_startport, addr);
        } else if (STREQ(dev, "qemu-xhci") || STREQ(dev, "nec-usb-xhci")) {
            cmd_opt(c, "-device", "%s,p2=15,p3=15,id=%s%s", dev, ctl->alias, addr);
        } else {
            cmd_opt(c, "-device", "%s,id=%s%s", dev, ctl->alias, addr);
        }
        break;
    }
    case CONTROLLER_SCSI: {
        const char *dev;

        if (ctl->model == CONTROLLER_MODEL_LSILOGIC)
            dev = "lsi";
        else if (ctl->model == CONTROLLER_MODEL_VIRTIO_SCSI)
            dev = "virtio-scsi-pci";
        else
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "SCSI controller model '%s' is not supported", model ? model : "");
        cmd_opt(c, "-device", "%s,id=%s%s", dev, ctl->alias, addr);
        break;
    }
    case CONTROLLER_SATA:
        cmd_opt(c, "-device", "ahci,id=%s%s", ctl->alias, addr);
        break;
    case CONTROLLER_VIRTIO_SERIAL:
        cmd_opt(c, "-device", "virtio-serial-pci,id=%s%s%s%s", ctl->alias,
                ctl->ports > 0 ? scratch_printf(c, ",max_ports=%d", ctl->ports) : "",
                ctl->vectors > 0 ? scratch_printf(c, ",vectors=%d", ctl->vectors) : "", addr);
        break;
    case CONTROLLER_IDE:
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         qemu_machine_is_q35(def)
                         ? "IDE controllers are unsupported for this QEMU binary or machine type"
                         : "only one IDE controller is supported");
    default:
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "controller type '%s' is not supported",
                         controller_type_to_string(ctl->type));
    }
    return 0;
}

static int
build_controllers(Cmd *c, const DomainDef *def, Error *error)
{
    /* libvirt's order of controller types on the command line. */
    static const ControllerType order[] = { CONTROLLER_PCI, CONTROLLER_USB, CONTROLLER_SCSI,
                                            CONTROLLER_IDE, CONTROLLER_SATA, CONTROLLER_FDC,
                                            CONTROLLER_VIRTIO_SERIAL };
    int r;

    for (size_t i = 0; i < def->n_controllers; i++) {
        bool known = false;

        for (size_t t = 0; t < ARRAY_SIZE(order); t++)
            known |= def->controllers[i].type == order[t];
        if (!known)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "controller type '%s' is not supported",
                             controller_type_to_string(def->controllers[i].type));
    }
    for (size_t t = 0; t < ARRAY_SIZE(order); t++) {
        for (size_t i = 0; i < def->n_controllers; i++) {
            if (def->controllers[i].type != order[t])
                continue;
            r = build_controller(c, def, &def->controllers[i], error);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* ---- input, audio, graphics, video, sound, balloon ---- */

static int
build_inputs(Cmd *c, const DomainDef *def, Error *error)
{
    for (size_t i = 0; i < def->n_inputs; i++) {
        /* QEMU's devices: [bus][type] */
        static const char *const devices[_INPUT_BUS_MAX][_INPUT_TYPE_MAX] = {
            [INPUT_BUS_USB] = { [INPUT_TABLET] = "usb-tablet", [INPUT_MOUSE] = "usb-mouse",
                                [INPUT_KEYBOARD] = "usb-kbd" },
            [INPUT_BUS_VIRTIO] = { [INPUT_TABLET] = "virtio-tablet-pci",
                                   [INPUT_MOUSE] = "virtio-mouse-pci",
                                   [INPUT_KEYBOARD] = "virtio-keyboard-pci" },
        };
        const DomainInput *in = &def->inputs[i];
        const char *type = input_type_to_string(in->type);
        const char *dev = devices[in->bus][in->type];
        const char *addr;
        int r;

        if (in->bus == INPUT_BUS_PS2)
            continue; /* the i8042 of the machine */
        r = need_alias(in->alias, "input", error);
        if (r < 0)
            return r;
        if (in->bus == INPUT_BUS_USB) {
            if (dev) {
                const char *usb = controller_id(c, def, CONTROLLER_USB, 0);

                if (!usb ||
                    find_controller(def, CONTROLLER_USB, 0)->model == CONTROLLER_MODEL_USB_NONE)
                    return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                                     "USB input '%s' needs a USB controller", type);
                cmd_opt(c, "-device", "%s,id=%s,bus=%s.0%s", dev, in->alias, usb,
                        in->address.type == DEVICE_ADDRESS_USB && in->address.usb_port
                        ? scratch_printf(c, ",port=%s", opt_escape(c, in->address.usb_port)) : "");
                continue;
            }
        } else if (in->bus == INPUT_BUS_VIRTIO) {
            if (dev) {
                r = pci_addr(c, def, &in->address, &addr, error);
                if (r < 0)
                    return r;
                cmd_opt(c, "-device", "%s,id=%s%s", dev, in->alias, addr);
                continue;
            }
        }
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "input '%s' on bus '%s' is not supported", type,
                         input_bus_to_string(in->bus));
    }
    return 0;
}

static int build_hostdevs(Cmd *c, const DomainDef *def, Error *error);

static int build_watchdog(Cmd *c, const DomainDef *def, Error *error);

static int build_memory_devices(Cmd *c, const DomainDef *def, Error *error);

int
qemu_command_build_device(const DomainDef *def, const char *alias, json_t **ret_device,
                          Error *error)
{
    auto_cleanup(free_ptr) char *id = xasprintf("id=%s", alias);
    Cmd c = { 0 };
    int r;

    *ret_device = NULL;
    r = build_controllers(&c, def, error);
    if (r >= 0)
        r = build_inputs(&c, def, error);
    if (r >= 0)
        r = build_hostdevs(&c, def, error);
    if (r >= 0)
        r = build_watchdog(&c, def, error);
    if (r >= 0)
        r = build_memory_devices(&c, def, error);
    for (size_t i = 0; r >= 0 && i < def->n_serials; i++)
        if (STREQ_NULL(def->serials[i].alias, alias))
            r = build_serial_device(&c, def, i, error);
    for (size_t a = 0; r >= 0 && a + 1 < c.n && !*ret_device; a += 2) {
        const char *opt = c.argv[a + 1], *p = strstr(opt, id);

        /* "...,id=ALIAS," or at the end: not a longer alias */
        if (STREQ(c.argv[a], "-device") && p && p > opt && p[-1] == ',' &&
            (p[strlen(id)] == ',' || p[strlen(id)] == '\0'))
            *ret_device = qemu_option_to_json(opt, "driver");
    }
    cmd_clear(&c);
    if (r >= 0 && !*ret_device)
        r = error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                      "internal error: no device with id '%s' on the command line", alias);
    return r;
}

static bool
needs_audio(const DomainDef *def)
{
    return def->n_sounds > 0 || def->n_graphics > 0;
}

static int
build_graphics(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, Error *error)
{
    for (size_t i = 0; i < def->n_graphics; i++) {
        const DomainGraphics *g = &def->graphics[i];
        const char *listen = g->listen ? g->listen : "127.0.0.1";
        int port = ctx->vnc_ports && ctx->vnc_ports[i] > 0 ? ctx->vnc_ports[i] : g->port;

        if (port < 5900 || port > 65535)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "VNC port '%d' is out of range (5900 to 65535)", port);
        /* An IPv6 address is written in brackets. */
        cmd_opt(c, "-vnc", "%s%s%s:%d%s,audiodev=audio1", strchr(listen, ':') ? "[" : "",
                opt_escape(c, listen), strchr(listen, ':') ? "]" : "", port - 5900,
                /* The driver sets the password over QMP; until then none works. */
                g->passwd ? ",password=on" : "");
        if (g->keymap)
            cmd_opt(c, "-k", "%s", g->keymap);
    }
    return 0;
}

static int
build_videos(Cmd *c, const DomainDef *def, Error *error)
{
    for (size_t i = 0; i < def->n_videos; i++) {
        const DomainVideo *v = &def->videos[i];
        VideoModel model = v->model == VIDEO_DEFAULT ? VIDEO_CIRRUS : v->model;
        const char *addr;
        bool primary = i == 0;
        int r;

        if (model == VIDEO_NONE)
            continue;
        r = need_alias(v->alias, "video", error);
        if (r >= 0)
            r = pci_addr(c, def, &v->address, &addr, error);
        if (r < 0)
            return r;
        if (model == VIDEO_CIRRUS && primary) {
            cmd_opt(c, "-device", "cirrus-vga,id=%s%s", v->alias, addr);
        } else if (model == VIDEO_VGA && primary) {
            cmd_opt(c, "-device", "VGA,id=%s%s%s", v->alias,
                    v->vram ? scratch_printf(c, ",vgamem_mb=%u", v->vram / 1024) : "", addr);
        } else if (model == VIDEO_QXL) {
            cmd_opt(c, "-device", "%s,id=%s,max_outputs=%u,ram_size=%" PRIu64 ",vram_size=%"
                    PRIu64 ",vram64_size_mb=0,vgamem_mb=%u%s", primary ? "qxl-vga" : "qxl",
                    v->alias, v->heads ? v->heads : 1,
                    (uint64_t) (v->ram ? v->ram : 65536) * 1024,
                    (uint64_t) (v->vram ? v->vram : 65536) * 1024,
                    (v->vgamem ? v->vgamem : 16384) / 1024, addr);
        } else if (model == VIDEO_VIRTIO) {
            cmd_opt(c, "-device", "%s,id=%s,max_outputs=%u%s",
                    primary ? "virtio-vga" : "virtio-gpu-pci", v->alias,
                    v->heads ? v->heads : 1, addr);
        } else if (model == VIDEO_BOCHS) {
            cmd_opt(c, "-device", "bochs-display,id=%s%s%s", v->alias,
                    v->vgamem ? scratch_printf(c, ",vgamem=%u", v->vgamem * 1024) : "", addr);
        } else if (model == VIDEO_VMVGA && primary) {
            cmd_opt(c, "-device", "vmware-svga,id=%s%s%s", v->alias,
                    v->vram ? scratch_printf(c, ",vgamem_mb=%u", v->vram / 1024) : "", addr);
        } else {
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "video type '%s' is not supported%s", video_model_to_string(model),
                             primary ? "" : " as a secondary device");
        }
    }
    return 0;
}

/* A host USB device (found at start, qemu_hostdev_usb.c) on the guest's
 * USB controller; one that is missing (startupPolicy='optional') is a
 * usb-host without a device, as libvirt leaves it. */
static int
build_usb_hostdev(Cmd *c, const DomainDef *def, const DomainHostdev *h, Error *error)
{
    const char *usb = controller_id(c, def, CONTROLLER_USB, 0);

    if (!usb || find_controller(def, CONTROLLER_USB, 0)->model == CONTROLLER_MODEL_USB_NONE)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: USB host device '%s' needs a USB "
                         "controller", h->alias);
    cmd_opt(c, "-device", "usb-host,%sid=%s,bus=%s.0%s%s",
            h->usb_dev_path ? scratch_printf(c, "hostdevice=%s,", h->usb_dev_path) : "",
            h->alias, usb,
            h->address.type == DEVICE_ADDRESS_USB && h->address.usb_port
            ? scratch_printf(c, ",port=%s", opt_escape(c, h->address.usb_port)) : "",
            h->boot_order > 0 ? scratch_printf(c, ",bootindex=%d", h->boot_order) : "");
    return 0;
}

/* A host PCI function through vfio-pci; virtnodedevd has bound it to
 * vfio-pci before QEMU starts (managed) or the administrator has. */
static int
build_hostdevs(Cmd *c, const DomainDef *def, Error *error)
{
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        const DomainHostdev *h = &def->hostdevs[i];
        const char *addr;
        int r;

        if (h->raw_xml)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: only PCI and USB host devices can "
                             "be given to a guest");
        r = need_alias(h->alias, "hostdev", error);
        if (r >= 0 && h->type == HOSTDEV_USB) {
            r = build_usb_hostdev(c, def, h, error);
            if (r < 0)
                return r;
            continue;
        }
        if (r >= 0)
            r = pci_addr(c, def, &h->address, &addr, error);
        if (r < 0)
            return r;
        cmd_opt(c, "-device", "vfio-pci,host=%04x:%02x:%02x.%x,id=%s%s%s", h->source.domain,
                h->source.bus, h->source.slot, h->source.function, h->alias,
                h->boot_order > 0 ? scratch_printf(c, ",bootindex=%d", h->boot_order) : "", addr);
    }
    return 0;
}

static int
build_sounds(Cmd *c, const DomainDef *def, Error *error)
{
    for (size_t i = 0; i < def->n_sounds; i++) {
        const DomainSound *s = &def->sounds[i];
        const char *addr;
        int r;

        r = need_alias(s->alias, "sound", error);
        if (r >= 0)
            r = pci_addr(c, def, &s->address, &addr, error);
        if (r < 0)
            return r;
        switch (s->model) {
        case SOUND_ICH6:
        case SOUND_ICH7:
        case SOUND_ICH9:
            cmd_opt(c, "-device", "%s,id=%s%s",
                    s->model == SOUND_ICH9 ? "ich9-intel-hda" : "intel-hda", s->alias, addr);
            cmd_opt(c, "-device", "hda-duplex,id=%s-codec0,bus=%s.0,cad=0,audiodev=audio1",
                    s->alias, s->alias);
            break;
        case SOUND_AC97:
            cmd_opt(c, "-device", "AC97,id=%s,audiodev=audio1%s", s->alias, addr);
            break;
        case SOUND_ES1370:
            cmd_opt(c, "-device", "ES1370,id=%s,audiodev=audio1%s", s->alias, addr);
            break;
        default:
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "sound model '%s' is not supported",
                             sound_model_to_string(s->model));
        }
    }
    return 0;
}

static int
build_balloon(Cmd *c, const DomainDef *def, Error *error)
{
    const DomainMemballoon *b = &def->memballoon;
    const char *addr;
    int r;

    if (b->model == MEMBALLOON_ABSENT || b->model == MEMBALLOON_NONE)
        return 0;
    if (b->model != MEMBALLOON_VIRTIO)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "memballoon model '%s' is not supported",
                         memballoon_model_to_string(b->model));
    r = need_alias(b->alias, "memballoon", error);
    if (r >= 0)
        r = pci_addr(c, def, &b->address, &addr, error);
    if (r < 0)
        return r;
    cmd_opt(c, "-device", "virtio-balloon-pci,id=%s%s", b->alias, addr);
    return 0;
}

/* QEMU has no "dump": libvirt pauses the guest and dumps it itself. */
const char *
qemu_watchdog_action(WatchdogAction a)
{
    return a == WATCHDOG_ACTION_DUMP ? "pause" : watchdog_action_to_string(a);
}

static int
build_watchdog(Cmd *c, const DomainDef *def, Error *error)
{
    const DomainWatchdog *w = def->watchdog;
    const char *addr = "";
    int r;

    if (!w)
        return 0;
    if (w->model == WATCHDOG_DIAG288)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: diag288 model of watchdog can go only on "
                         "s390 guests");
    r = need_alias(w->alias, "watchdog", error);
    if (r >= 0 && w->model == WATCHDOG_I6300ESB)
        r = pci_addr(c, def, &w->address, &addr, error);
    if (r < 0)
        return r;
    cmd_opt(c, "-device", "%s,id=%s%s", watchdog_model_to_string(w->model), w->alias, addr);
    cmd_opt(c, "-action", "watchdog=%s", qemu_watchdog_action(w->action));
    return 0;
}

/* ---- memory ---- */

/* ",cpus=A-B" for each range of @set: -numa takes one range per cpus=. */
static char *
numa_cpus(const cpu_set_t *set)
{
    char *s = xstrdup("");

    for (int a = 0; a < CPU_SETSIZE; a++) {
        int b = a;
        char *next;

        if (!CPU_ISSET(a, set))
            continue;
        while (b + 1 < CPU_SETSIZE && CPU_ISSET(b + 1, set))
            b++;
        next = b == a ? xasprintf("%s,cpus=%d", s, a) : xasprintf("%s,cpus=%d-%d", s, a, b);
        free(s);
        s = next;
        a = b;
    }
    return s;
}

/* A backend and -numa node per NUMA cell, as libvirt for machine types
 * that have no "mem=" for -numa any more (-m has the initial memory, the
 * cells' total; the rest is in modules). */
static int
build_numa(Cmd *c, const DomainDef *def, Error *error)
{
    bool any_cpus = false;

    for (size_t i = 0; i < def->cpu.n_cells; i++) {
        const DomainNumaCell *cell = &def->cpu.cells[i];
        auto_cleanup(free_ptr) char *id = xasprintf("ram-node%zu", i);
        auto_cleanup(free_ptr) char *cpus = NULL;
        json_t *backend;
        cpu_set_t set;

        CPU_ZERO(&set);
        if (cell->cpus && cpuset_parse(cell->cpus, &set, error) < 0)
            return -EINVAL;
        backend = qemu_memory_backend(id, cell->memory_kib, NULL, cell->mem_access,
                                      cell->discard, error);
        if (!backend)
            return -EINVAL;
        cmd_json(c, "-object", backend);
        cpus = numa_cpus(&set);
        any_cpus = any_cpus || *cpus;
        cmd_opt(c, "-numa", "node,nodeid=%zu%s,memdev=%s", i, cpus, id);
    }
    if (def->cpu.n_cells && !any_cpus)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: At least one NUMA node has to have CPUs");
    return 0;
}

/* A backend "memALIAS" and a pc-dimm per module. */
static int
build_memory_devices(Cmd *c, const DomainDef *def, Error *error)
{
    for (size_t i = 0; i < def->n_memories; i++) {
        const DomainMemoryDevice *m = &def->memories[i];
        auto_cleanup(free_ptr) char *memdev = NULL;
        json_t *backend;
        int r = need_alias(m->alias, "memory device", error);

        if (r >= 0)
            r = qemu_memory_check_supported(m, error);
        if (r < 0)
            return r;
        if (m->address.type != DEVICE_ADDRESS_DIMM)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: memory device '%s' has no slot: "
                             "qemu_memory_prepare() was not called", m->alias);
        memdev = xasprintf("mem%s", m->alias);
        backend = qemu_memory_backend(memdev, m->size_kib, m->source_nodemask, m->access,
                                      m->discard, error);
        if (!backend)
            return -EINVAL;
        cmd_json(c, "-object", backend);
        cmd_opt(c, "-device", "pc-dimm,%smemdev=%s,id=%s,slot=%u%s",
                m->target_node >= 0 ? scratch_printf(c, "node=%d,", m->target_node) : "",
                memdev, m->alias, m->address.slot,
                m->address.base ? scratch_printf(c, ",addr=%" PRIu64, m->address.base) : "");
    }
    return 0;
}

/* ---- the whole command ---- */

static int
build(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, Error *error)
{
    char uuid[UUID_STRING_LEN];
    auto_cleanup(free_ptr) int *disk_boot = xcalloc(def->n_disks + 1, sizeof(int));
    auto_cleanup(free_ptr) int *net_boot = xcalloc(def->n_nets + 1, sizeof(int));
    int r;

    if (!def->emulator)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "domain '%s' has no emulator: qemu_domain_post_parse() was not called",
                         def->name);
    cmd_add(c, def->emulator);
    cmd_opt(c, "-name", "guest=%s,debug-threads=on", opt_escape(c, def->name));
    cmd_add(c, "-S");

    cmd_opt(c, "-machine", "%s,usb=off,dump-guest-core=off",
            opt_escape(c, def->os_machine ? def->os_machine : "pc"));
    cmd_opt(c, "-accel", "%s", def->virt_type == DOMAIN_VIRT_KVM ? "kvm" : "tcg");
    r = build_cpu(c, def, error);
    if (r >= 0)
        r = build_firmware(c, def, error);
    if (r < 0)
        return r;

    cmd_opt(c, "-m", "size=%" PRIu64 "k%s", domain_def_memory_initial(def),
            def->max_memory_kib ? scratch_printf(c, ",slots=%u,maxmem=%" PRIu64 "k",
                                                 def->max_memory_slots,
                                                 def->max_memory_kib) : "");
    build_smp(c, def);
    for (size_t i = 0; i < def->n_iothreads; i++)
        cmd_opt(c, "-object", "iothread,id=iothread%u", def->iothread_ids[i]);
    r = build_numa(c, def, error);
    if (r >= 0)
        r = build_memory_devices(c, def, error);
    if (r < 0)
        return r;
    cmd_opt(c, "-uuid", "%s", uuid_format(&def->uuid, uuid));
    if (def->n_graphics == 0)
        cmd_opt(c, "-display", "none");
    cmd_add(c, "-no-user-config");
    cmd_add(c, "-nodefaults");

    if (ctx->monitor_fd >= 0)
        cmd_opt(c, "-chardev", "socket,id=charmonitor,fd=%d,server=on,wait=off", ctx->monitor_fd);
    else if (ctx->monitor_path)
        cmd_opt(c, "-chardev", "socket,id=charmonitor,path=%s,server=on,wait=off",
                opt_escape(c, ctx->monitor_path));
    else
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "no monitor socket for domain '%s'", def->name);
    cmd_opt(c, "-mon", "chardev=charmonitor,id=monitor,mode=control");
    if (ctx->pidfile)
        cmd_opt(c, "-pidfile", "%s", ctx->pidfile);

    build_clock(c, def);
    build_pm(c, def);
    if (!has_feature(def, "acpi"))
        cmd_add(c, "-no-acpi");

    cmd_opt(c, "-boot", "%sstrict=on", def->os_bootmenu ? "menu=on," : "");
    /* -kernel, -initrd, -append and -dtb take their value whole: no escaping. */
    if (def->os_kernel)
        cmd_opt(c, "-kernel", "%s", def->os_kernel);
    if (def->os_initrd)
        cmd_opt(c, "-initrd", "%s", def->os_initrd);
    if (def->os_cmdline)
        cmd_opt(c, "-append", "%s", def->os_cmdline);
    if (def->os_dtb)
        cmd_opt(c, "-dtb", "%s", def->os_dtb);

    r = build_controllers(c, def, error);
    if (r < 0)
        return r;

    compute_boot(def, disk_boot, net_boot);
    for (size_t i = 0; i < def->n_disks; i++) {
        r = build_disk(c, def, ctx, i, disk_boot[i], error);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < def->n_nets; i++) {
        r = build_net(c, def, ctx, i, net_boot[i], error);
        if (r < 0)
            return r;
    }
    r = build_chrs(c, def, ctx, error);
    if (r >= 0)
        r = build_inputs(c, def, error);
    if (r < 0)
        return r;
    if (needs_audio(def))
        cmd_opt(c, "-audiodev", "id=audio1,driver=none");
    r = build_graphics(c, def, ctx, error);
    if (r >= 0)
        r = build_videos(c, def, error);
    if (r >= 0)
        r = build_sounds(c, def, error);
    if (r >= 0)
        r = build_hostdevs(c, def, error);
    if (r >= 0)
        r = build_watchdog(c, def, error);
    if (r >= 0)
        r = build_balloon(c, def, error);
    if (r < 0)
        return r;
    /* libvirt's default seccomp filter (qemu.conf seccomp_sandbox = 1): no
     * obsolete system calls, no privilege changes, no new processes, no
     * changes to scheduling or affinity (virtqemud does those from outside). */
    cmd_opt(c, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
            "resourcecontrol=deny");
    cmd_opt(c, "-msg", "timestamp=on");

    for (size_t i = 0; i < def->n_qemu_args; i++)
        cmd_add(c, def->qemu_args[i]);
    return 0;
}

int
qemu_command_build(const DomainDef *def, const QemuCommandContext *ctx, char ***ret_argv,
                   char ***ret_env, Error *error)
{
    auto_cleanup(cmd_clear) Cmd c = { 0 };
    char **env;
    int r;

    r = check_supported(def, ctx, error);
    if (r < 0)
        return r;
    r = build(&c, def, ctx, error);
    if (r < 0)
        return r;

    env = xcalloc(def->n_qemu_envs + 1, sizeof(char *));
    for (size_t i = 0; i < def->n_qemu_envs; i++)
        env[i] = xasprintf("%s=%s", def->qemu_envs[i].name,
                           def->qemu_envs[i].value ? def->qemu_envs[i].value : "");
    *ret_argv = steal_ptr(c.argv);
    *ret_env = env;
    return 0;
}
