/* What libvirt does to a domain definition for x86 QEMU: defaults, implicit
 * devices, addresses and aliases. Matches libvirt 9's choices for the pc
 * (i440fx) and q35 machines; devices on q35 go straight onto pcie.0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qemu_address.h"

/* ---- small helpers ---- */

static void
set_str(char **field, const char *value)
{
    if (STREQ_NULL(*field, value))
        return;
    free(*field);
    *field = value ? xstrdup(value) : NULL;
}

static bool
str_prefix(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
qemu_machine_is_q35(const DomainDef *def)
{
    const char *m = def->os_machine;

    return m && (STREQ(m, "q35") || str_prefix(m, "pc-q35"));
}

/* libvirt's virDiskNameToIndex: "vda" -> 0, "sdz" -> 25, "hdaa" -> 26. */
int
qemu_disk_name_to_index(const char *name)
{
    static const char *const prefixes[] = { "fd", "hd", "vd", "sd", "xvd", "ubd", "ub" };
    const char *p = NULL;
    int idx = 0;

    if (!name)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        if (str_prefix(name, prefixes[i])) {
            p = name + strlen(prefixes[i]);
            break;
        }
    }
    if (!p || !*p)
        return -1;
    for (int i = 0; *p; p++, i++) {
        if (*p < 'a' || *p > 'z' || idx > 100000)
            return -1;
        idx = (idx + (i < 1 ? 0 : 1)) * 26 + (*p - 'a');
    }
    return idx;
}

static DomainController *
controller_find(DomainDef *def, ControllerType type, int index)
{
    for (size_t i = 0; i < def->n_controllers; i++)
        if (def->controllers[i].type == type && def->controllers[i].index == index)
            return &def->controllers[i];
    return NULL;
}

static DomainController *
controller_add(DomainDef *def, ControllerType type, int index, ControllerModel model)
{
    DomainController *c;

    def->controllers = xrealloc(def->controllers,
                                (def->n_controllers + 1) * sizeof(*def->controllers));
    c = &def->controllers[def->n_controllers++];
    memset(c, 0, sizeof(*c));
    c->type = type;
    c->index = index;
    c->model = model;
    c->master_startport = -1;
    c->address.multifunction = -1;
    return c;
}

static void
controller_ensure(DomainDef *def, ControllerType type, int index, ControllerModel model)
{
    DomainController *c = controller_find(def, type, index);

    if (!c)
        controller_add(def, type, index, model);
    else if (c->model == CONTROLLER_MODEL_DEFAULT)
        c->model = model;
}

static bool
chr_is_virtio(const DomainChr *c)
{
    return c->target_type == CHR_TARGET_VIRTIO;
}

static void
chr_copy_source(DomainChr *to, const DomainChr *from)
{
    to->type = from->type;
    set_str(&to->source_path, from->source_path);
    to->source_mode = from->source_mode;
    set_str(&to->source_host, from->source_host);
    set_str(&to->source_service, from->source_service);
    to->append = from->append;
}

/* ---- post parse ---- */

static int
post_parse_disks(DomainDef *def, bool q35, Error *error)
{
    for (size_t i = 0; i < def->n_disks; i++) {
        DomainDisk *d = &def->disks[i];
        int idx = qemu_disk_name_to_index(d->target_dev);

        if (d->target_bus == DISK_BUS_NONE) {
            if (str_prefix(d->target_dev, "vd"))
                d->target_bus = DISK_BUS_VIRTIO;
            else if (str_prefix(d->target_dev, "sd"))
                d->target_bus = DISK_BUS_SCSI;
            else if (str_prefix(d->target_dev, "hd"))
                d->target_bus = DISK_BUS_IDE;
            else if (str_prefix(d->target_dev, "fd"))
                d->target_bus = DISK_BUS_FDC;
            else if (str_prefix(d->target_dev, "ub"))
                d->target_bus = DISK_BUS_USB;
            else
                return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                                 "cannot infer the bus of disk target '%s'",
                                 d->target_dev ? d->target_dev : "");
        }

        if (d->address.type != DEVICE_ADDRESS_NONE)
            continue;
        switch (d->target_bus) {
        case DISK_BUS_IDE:
        case DISK_BUS_SATA:
        case DISK_BUS_SCSI:
        case DISK_BUS_FDC:
            if (idx < 0)
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "invalid disk target name '%s'",
                                 d->target_dev ? d->target_dev : "");
            d->address.type = DEVICE_ADDRESS_DRIVE;
            d->address.multifunction = -1;
            if (d->target_bus == DISK_BUS_IDE) {
                d->address.controller = idx / 4;
                d->address.bus = (idx % 4) / 2;
                d->address.unit = idx % 2;
            } else if (d->target_bus == DISK_BUS_SATA) {
                d->address.controller = idx / 6;
                d->address.unit = idx % 6;
            } else if (d->target_bus == DISK_BUS_SCSI) {
                d->address.controller = idx / 7;
                d->address.unit = idx % 7;
            } else {
                d->address.unit = idx;
            }
            break;
        default:
            break;
        }
    }

    /* Controllers the disks sit on, as libvirt adds them. */
    for (size_t i = 0; i < def->n_disks; i++) {
        DomainDisk *d = &def->disks[i];

        if (d->address.type != DEVICE_ADDRESS_DRIVE)
            continue;
        if (d->target_bus == DISK_BUS_SCSI)
            controller_ensure(def, CONTROLLER_SCSI, d->address.controller,
                              CONTROLLER_MODEL_LSILOGIC);
        else if (d->target_bus == DISK_BUS_SATA)
            controller_ensure(def, CONTROLLER_SATA, d->address.controller,
                              CONTROLLER_MODEL_DEFAULT);
        else if (d->target_bus == DISK_BUS_IDE && !q35)
            controller_ensure(def, CONTROLLER_IDE, d->address.controller,
                              CONTROLLER_MODEL_DEFAULT);
    }
    return 0;
}

static void
post_parse_chrs(DomainDef *def)
{
    /* Serial ports: port and target type as libvirt writes them. */
    for (size_t i = 0; i < def->n_serials; i++) {
        DomainChr *s = &def->serials[i];

        if (s->target_port < 0)
            s->target_port = (int) i;
        if (!s->target_type)
            s->target_type = CHR_TARGET_ISA_SERIAL;
    }

    if (def->n_consoles > 0) {
        DomainChr *con = &def->consoles[0];

        if (!con->target_type)
            con->target_type = CHR_TARGET_SERIAL;
        if (con->target_port < 0)
            con->target_port = 0;
        if (con->target_type == CHR_TARGET_SERIAL) {
            if (def->n_serials == 0) {
                DomainChr *s;

                def->serials = xcalloc(1, sizeof(*def->serials));
                def->n_serials = 1;
                s = &def->serials[0];
                s->device = CHR_DEVICE_SERIAL;
                s->target_port = 0;
                s->target_type = CHR_TARGET_ISA_SERIAL;
                s->address.multifunction = -1;
                chr_copy_source(s, con);
            } else {
                /* The console is serial 0 seen a second time. */
                chr_copy_source(con, &def->serials[0]);
            }
        }
    }
    for (size_t i = 1; i < def->n_consoles; i++) {
        DomainChr *con = &def->consoles[i];

        if (!con->target_type)
            con->target_type = CHR_TARGET_VIRTIO;
        if (con->target_port < 0)
            con->target_port = (int) i;
    }
}

static void
inputs_ensure(DomainDef *def, InputType type, InputBus bus)
{
    for (size_t i = 0; i < def->n_inputs; i++)
        if (def->inputs[i].type == type && def->inputs[i].bus == bus)
            return;
    def->inputs = xrealloc(def->inputs, (def->n_inputs + 1) * sizeof(*def->inputs));
    memset(&def->inputs[def->n_inputs], 0, sizeof(def->inputs[0]));
    def->inputs[def->n_inputs].type = type;
    def->inputs[def->n_inputs].bus = bus;
    def->inputs[def->n_inputs].address.multifunction = -1;
    def->n_inputs++;
}

static void
post_parse_video(DomainDef *def)
{
    if (def->n_graphics > 0 && def->n_videos == 0) {
        def->videos = xcalloc(1, sizeof(*def->videos));
        def->n_videos = 1;
        def->videos[0].address.multifunction = -1;
    }
    for (size_t i = 0; i < def->n_videos; i++) {
        DomainVideo *v = &def->videos[i];

        /* libvirt 9's default for x86 is still cirrus. */
        if (v->model == VIDEO_DEFAULT)
            v->model = VIDEO_CIRRUS;
        if (v->model == VIDEO_NONE)
            continue;
        if (i == 0)
            v->primary = true;
        if (v->model == VIDEO_QXL) {
            if (!v->vram)
                v->vram = 65536;
            if (!v->ram)
                v->ram = 65536;
            if (!v->vgamem)
                v->vgamem = 16384;
        } else if (v->model == VIDEO_CIRRUS || v->model == VIDEO_VGA
                   || v->model == VIDEO_VMVGA) {
            if (!v->vram)
                v->vram = 16384;
        }
        if (!v->heads)
            v->heads = 1;
    }
}

int
qemu_domain_post_parse(DomainDef *def, Error *error)
{
    bool q35;
    int r;

    if (!def->os_type)
        def->os_type = xstrdup("hvm");
    if (!STREQ(def->os_type, "hvm"))
        return error_set(error, -EINVAL, VIR_ERR_OS_TYPE,
                         "no guest options available for os type '%s'", def->os_type);
    if (!def->os_arch)
        def->os_arch = xstrdup("x86_64");
    if (!STREQ(def->os_arch, "x86_64") && !STREQ(def->os_arch, "i686"))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "No guest options available for arch '%s'", def->os_arch);
    if (!def->os_machine)
        def->os_machine = xstrdup("pc");
    if (!def->emulator)
        def->emulator = xstrdup(STREQ(def->os_arch, "i686") ? "/usr/bin/qemu-system-i386"
                                                             : "/usr/bin/qemu-system-x86_64");
    q35 = qemu_machine_is_q35(def);

    r = post_parse_disks(def, q35, error);
    if (r < 0)
        return r;

    /* Implicit controllers, as libvirt adds them for x86. */
    controller_ensure(def, CONTROLLER_PCI, 0,
                      q35 ? CONTROLLER_MODEL_PCIE_ROOT : CONTROLLER_MODEL_PCI_ROOT);
    if (!controller_find(def, CONTROLLER_USB, 0))
        controller_add(def, CONTROLLER_USB, 0,
                       q35 ? CONTROLLER_MODEL_QEMU_XHCI : CONTROLLER_MODEL_PIIX3_UHCI);
    for (size_t i = 0; i < def->n_controllers; i++) {
        DomainController *c = &def->controllers[i];

        if (c->model != CONTROLLER_MODEL_DEFAULT)
            continue;
        switch (c->type) {
        case CONTROLLER_USB:
            c->model = q35 ? CONTROLLER_MODEL_QEMU_XHCI : CONTROLLER_MODEL_PIIX3_UHCI;
            break;
        case CONTROLLER_SCSI:
            c->model = CONTROLLER_MODEL_LSILOGIC;
            break;
        case CONTROLLER_PCI:
            if (c->index > 0)
                c->model = q35 ? CONTROLLER_MODEL_PCIE_ROOT_PORT : CONTROLLER_MODEL_PCI_BRIDGE;
            break;
        default:
            break;
        }
    }
    controller_ensure(def, q35 ? CONTROLLER_SATA : CONTROLLER_IDE, 0, CONTROLLER_MODEL_DEFAULT);

    post_parse_chrs(def);
    for (size_t i = 0; i < def->n_channels; i++)
        if (chr_is_virtio(&def->channels[i]))
            controller_ensure(def, CONTROLLER_VIRTIO_SERIAL, 0, CONTROLLER_MODEL_DEFAULT);
    for (size_t i = 0; i < def->n_consoles; i++)
        if (chr_is_virtio(&def->consoles[i]))
            controller_ensure(def, CONTROLLER_VIRTIO_SERIAL, 0, CONTROLLER_MODEL_DEFAULT);

    if (def->memballoon.model == MEMBALLOON_ABSENT)
        def->memballoon.model = MEMBALLOON_VIRTIO;
    if (def->n_graphics > 0) {
        inputs_ensure(def, INPUT_MOUSE, INPUT_BUS_PS2);
        inputs_ensure(def, INPUT_KEYBOARD, INPUT_BUS_PS2);
    }
    post_parse_video(def);
    return 0;
}

/* ---- PCI addresses ---- */

#define PCI_SLOTS 32
#define PCI_MAX_BUSES 256

typedef struct PciBusMap {
    unsigned n_buses;
    uint8_t used[PCI_MAX_BUSES][PCI_SLOTS]; /* bit per function */
} PciBusMap;

static int
pci_mark(PciBusMap *m, const DeviceAddress *a, Error *error)
{
    if (a->bus >= PCI_MAX_BUSES || a->slot >= PCI_SLOTS || a->function > 7 || a->domain != 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "PCI address %04x:%02x:%02x.%x is out of range",
                         a->domain, a->bus, a->slot, a->function);
    if (a->bus >= m->n_buses)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "PCI address %04x:%02x:%02x.%x is on bus %u, which has no controller",
                         a->domain, a->bus, a->slot, a->function, a->bus);
    if (m->used[a->bus][a->slot] & (1u << a->function))
        return error_set(error, -EEXIST, VIR_ERR_XML_ERROR,
                         "Attempted double use of PCI Address %04x:%02x:%02x.%x",
                         a->domain, a->bus, a->slot, a->function);
    m->used[a->bus][a->slot] |= 1u << a->function;
    return 0;
}

static void
pci_set(DeviceAddress *a, unsigned slot, unsigned function)
{
    a->type = DEVICE_ADDRESS_PCI;
    a->domain = 0;
    a->bus = 0;
    a->slot = slot;
    a->function = function;
    a->multifunction = -1;
}

static int
pci_next_slot(PciBusMap *m, bool q35, DeviceAddress *a, Error *error)
{
    for (unsigned slot = 1; slot < PCI_SLOTS; slot++) {
        if (q35 && slot == 0x1f)
            continue;
        if (m->used[0][slot] == 0) {
            pci_set(a, slot, 0);
            m->used[0][slot] = 0xff;
            return 0;
        }
    }
    return error_set(error, -ENOSPC, VIR_ERR_INTERNAL_ERROR, "No more available PCI slots");
}

static bool
controller_needs_pci(const DomainController *c)
{
    switch (c->type) {
    case CONTROLLER_PCI:
        return c->model != CONTROLLER_MODEL_PCI_ROOT && c->model != CONTROLLER_MODEL_PCIE_ROOT;
    case CONTROLLER_USB:
        return c->model != CONTROLLER_MODEL_USB_NONE;
    case CONTROLLER_SCSI:
    case CONTROLLER_SATA:
    case CONTROLLER_VIRTIO_SERIAL:
        return true;
    default:
        return false;
    }
}

/* The controller QEMU builds into the machine: IDE on pc, SATA 0 on q35. */
bool
qemu_controller_is_builtin(const DomainDef *def, const DomainController *c)
{
    bool q35 = qemu_machine_is_q35(def);

    switch (c->type) {
    case CONTROLLER_PCI:
        return c->model == CONTROLLER_MODEL_PCI_ROOT || c->model == CONTROLLER_MODEL_PCIE_ROOT;
    case CONTROLLER_IDE:
        return !q35 && c->index == 0;
    case CONTROLLER_SATA:
        return q35 && c->index == 0;
    case CONTROLLER_FDC:
        return true;
    default:
        return false;
    }
}

static bool
sound_needs_pci(const DomainSound *s)
{
    return s->model != SOUND_PCSPK && s->model != SOUND_SB16;
}

static bool
input_needs_pci(const DomainInput *in)
{
    return in->bus == INPUT_BUS_VIRTIO;
}

static bool
video_needs_pci(const DomainVideo *v)
{
    return v->model != VIDEO_NONE && v->model != VIDEO_RAMFB;
}

static bool
balloon_needs_pci(const DomainDef *def)
{
    return def->memballoon.model == MEMBALLOON_VIRTIO;
}

static int
ehci_companion_function(ControllerModel model)
{
    switch (model) {
    case CONTROLLER_MODEL_ICH9_EHCI1:
        return 7;
    case CONTROLLER_MODEL_ICH9_UHCI1:
        return 0;
    case CONTROLLER_MODEL_ICH9_UHCI2:
        return 1;
    case CONTROLLER_MODEL_ICH9_UHCI3:
        return 2;
    default:
        return -1;
    }
}

static int
assign_usb_controller(DomainDef *def, PciBusMap *m, bool q35, DomainController *c, Error *error)
{
    int fn = ehci_companion_function(c->model);
    int r;

    if (fn < 0)
        return pci_next_slot(m, q35, &c->address, error);

    /* An EHCI controller and its UHCI companions (same index) share a slot. */
    for (size_t i = 0; i < def->n_controllers; i++) {
        DomainController *o = &def->controllers[i];

        if (o == c || o->type != CONTROLLER_USB || o->index != c->index
            || o->address.type != DEVICE_ADDRESS_PCI || ehci_companion_function(o->model) < 0)
            continue;
        pci_set(&c->address, o->address.slot, (unsigned) fn);
        c->address.bus = o->address.bus;
        if (fn == 0)
            c->address.multifunction = 1;
        return 0; /* the slot is already ours */
    }
    r = pci_next_slot(m, q35, &c->address, error);
    if (r < 0)
        return r;
    c->address.function = (unsigned) fn;
    if (fn == 0)
        c->address.multifunction = 1;
    return 0;
}

static int
assign_pci(DomainDef *def, Error *error)
{
    auto_cleanup(free_ptr) PciBusMap *m = xcalloc(1, sizeof(PciBusMap));
    bool q35 = qemu_machine_is_q35(def);
    DeviceAddress fixed;
    DomainVideo *primary = NULL;
    int r;

    m->n_buses = 1;
    for (size_t i = 0; i < def->n_controllers; i++) {
        DomainController *c = &def->controllers[i];

        if (c->type == CONTROLLER_PCI && c->index >= 0 && (unsigned) c->index >= m->n_buses
            && c->index < PCI_MAX_BUSES)
            m->n_buses = (unsigned) c->index + 1;
    }

    /* The host bridge, and the PIIX3 (pc) or ICH9 LPC/SMBus (q35) functions. */
    pci_set(&fixed, 0, 0);
    pci_mark(m, &fixed, NULL);
    if (!q35) {
        pci_set(&fixed, 1, 0);
        pci_mark(m, &fixed, NULL);
        pci_set(&fixed, 1, 3);
        pci_mark(m, &fixed, NULL);
    } else {
        pci_set(&fixed, 0x1f, 0);
        pci_mark(m, &fixed, NULL);
        pci_set(&fixed, 0x1f, 3);
        pci_mark(m, &fixed, NULL);
    }

    /* Built-in controllers sit where the chipset puts them. */
    for (size_t i = 0; i < def->n_controllers; i++) {
        DomainController *c = &def->controllers[i];

        if (c->address.type != DEVICE_ADDRESS_NONE)
            continue;
        if (!q35 && c->index == 0 && c->type == CONTROLLER_IDE)
            pci_set(&c->address, 1, 1);
        else if (!q35 && c->index == 0 && c->type == CONTROLLER_USB
                 && c->model == CONTROLLER_MODEL_PIIX3_UHCI)
            pci_set(&c->address, 1, 2);
        else if (q35 && c->index == 0 && c->type == CONTROLLER_SATA)
            pci_set(&c->address, 0x1f, 2);
    }

    /* Everything the XML placed. */
#define MARK(addr) do { \
        if ((addr).type == DEVICE_ADDRESS_PCI) { \
            r = pci_mark(m, &(addr), error); \
            if (r < 0) \
                return r; \
        } \
    } while (0)
    for (size_t i = 0; i < def->n_controllers; i++)
        MARK(def->controllers[i].address);
    for (size_t i = 0; i < def->n_nets; i++)
        MARK(def->nets[i].address);
    for (size_t i = 0; i < def->n_sounds; i++)
        MARK(def->sounds[i].address);
    for (size_t i = 0; i < def->n_hostdevs; i++)
        MARK(def->hostdevs[i].address);
    for (size_t i = 0; i < def->n_disks; i++)
        MARK(def->disks[i].address);
    MARK(def->memballoon.address);
    if (def->watchdog)
        MARK(def->watchdog->address);
    for (size_t i = 0; i < def->n_videos; i++)
        MARK(def->videos[i].address);
    for (size_t i = 0; i < def->n_inputs; i++)
        MARK(def->inputs[i].address);
    for (size_t i = 0; i < def->n_serials; i++)
        MARK(def->serials[i].address);
#undef MARK

    /* The rest of the chipset slot, and the primary video's slot (kept free
     * even without video, as libvirt does). */
    if (!q35)
        m->used[0][1] = 0xff;
    else
        m->used[0][0x1f] = 0xff;
    if (def->n_videos > 0 && video_needs_pci(&def->videos[0]))
        primary = &def->videos[0];
    {
        unsigned vslot = q35 ? 1 : 2;

        if (primary && primary->address.type == DEVICE_ADDRESS_NONE && m->used[0][vslot] == 0)
            pci_set(&primary->address, vslot, 0);
        m->used[0][vslot] = 0xff;
    }
    for (unsigned b = 0; b < m->n_buses; b++)
        for (unsigned s = 0; s < PCI_SLOTS; s++)
            if (m->used[b][s])
                m->used[b][s] = 0xff;

    /* libvirt's order: PCI controllers, interfaces, sound, other
     * controllers, virtio disks, balloon, video, virtio input. */
    for (size_t i = 0; i < def->n_controllers; i++) {
        DomainController *c = &def->controllers[i];

        if (c->type == CONTROLLER_PCI && controller_needs_pci(c)
            && c->address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &c->address, error);
            if (r < 0)
                return r;
        }
    }
    for (size_t i = 0; i < def->n_nets; i++) {
        if (def->nets[i].address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &def->nets[i].address, error);
            if (r < 0)
                return r;
        }
    }
    for (size_t i = 0; i < def->n_sounds; i++) {
        if (sound_needs_pci(&def->sounds[i])
            && def->sounds[i].address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &def->sounds[i].address, error);
            if (r < 0)
                return r;
        }
    }
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        if (!def->hostdevs[i].raw_xml && def->hostdevs[i].type == HOSTDEV_PCI &&
            def->hostdevs[i].address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &def->hostdevs[i].address, error);
            if (r < 0)
                return r;
        }
    }
    for (size_t i = 0; i < def->n_controllers; i++) {
        DomainController *c = &def->controllers[i];

        if (c->type == CONTROLLER_PCI || !controller_needs_pci(c)
            || c->address.type != DEVICE_ADDRESS_NONE)
            continue;
        if (c->type == CONTROLLER_USB)
            r = assign_usb_controller(def, m, q35, c, error);
        else
            r = pci_next_slot(m, q35, &c->address, error);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < def->n_disks; i++) {
        DomainDisk *d = &def->disks[i];

        if (d->target_bus == DISK_BUS_VIRTIO && d->address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &d->address, error);
            if (r < 0)
                return r;
        }
    }
    if (balloon_needs_pci(def) && def->memballoon.address.type == DEVICE_ADDRESS_NONE) {
        r = pci_next_slot(m, q35, &def->memballoon.address, error);
        if (r < 0)
            return r;
    }
    /* libvirt's next: an i6300esb watchdog (ib700 is ISA). */
    if (def->watchdog && def->watchdog->model == WATCHDOG_I6300ESB &&
        def->watchdog->address.type == DEVICE_ADDRESS_NONE) {
        r = pci_next_slot(m, q35, &def->watchdog->address, error);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < def->n_videos; i++) {
        if (video_needs_pci(&def->videos[i])
            && def->videos[i].address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &def->videos[i].address, error);
            if (r < 0)
                return r;
        }
    }
    for (size_t i = 0; i < def->n_inputs; i++) {
        if (input_needs_pci(&def->inputs[i])
            && def->inputs[i].address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &def->inputs[i].address, error);
            if (r < 0)
                return r;
        }
    }
    /* libvirt's last: serial ports on a PCI card. */
    for (size_t i = 0; i < def->n_serials; i++) {
        if (def->serials[i].target_type == CHR_TARGET_PCI_SERIAL &&
            def->serials[i].address.type == DEVICE_ADDRESS_NONE) {
            r = pci_next_slot(m, q35, &def->serials[i].address, error);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* ---- virtio-serial ports ---- */

static int
assign_virtio_serial_one(DomainChr *c, uint8_t *used, size_t n_used, bool console,
                         Error *error)
{
    if (!chr_is_virtio(c))
        return 0;
    if (c->address.type == DEVICE_ADDRESS_VIRTIO_SERIAL)
        return 0;
    for (unsigned port = console ? 0 : 1; port < n_used; port++) {
        if (!used[port]) {
            used[port] = 1;
            c->address.type = DEVICE_ADDRESS_VIRTIO_SERIAL;
            c->address.controller = 0;
            c->address.bus = 0;
            c->address.port = port;
            c->address.multifunction = -1;
            return 0;
        }
    }
    return error_set(error, -ENOSPC, VIR_ERR_XML_ERROR,
                     "no free port on virtio-serial controller 0");
}

static int
assign_virtio_serial(DomainDef *def, Error *error)
{
    uint8_t used[32] = { 0 };
    int r;

    /* Only controller 0 bus 0 is tracked; explicit ports elsewhere are kept. */
    for (int pass = 0; pass < 2; pass++) {
        DomainChr *list = pass ? def->channels : def->consoles;
        size_t n = pass ? def->n_channels : def->n_consoles;

        for (size_t i = 0; i < n; i++) {
            DeviceAddress *a = &list[i].address;

            if (a->type != DEVICE_ADDRESS_VIRTIO_SERIAL || a->controller != 0 || a->bus != 0
                || a->port >= ARRAY_SIZE(used))
                continue;
            if (used[a->port])
                return error_set(error, -EEXIST, VIR_ERR_XML_ERROR,
                                 "virtio serial port %u on controller %u is already occupied",
                                 a->port, a->controller);
            used[a->port] = 1;
        }
    }
    for (size_t i = 0; i < def->n_consoles; i++) {
        r = assign_virtio_serial_one(&def->consoles[i], used, ARRAY_SIZE(used), true, error);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < def->n_channels; i++) {
        r = assign_virtio_serial_one(&def->channels[i], used, ARRAY_SIZE(used), false, error);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- USB ports ---- */

static unsigned
usb_controller_ports(const DomainController *c)
{
    if (c->ports > 0)
        return (unsigned) c->ports;
    switch (c->model) {
    case CONTROLLER_MODEL_ICH9_EHCI1:
    case CONTROLLER_MODEL_EHCI:
        return 6;
    case CONTROLLER_MODEL_QEMU_XHCI:
    case CONTROLLER_MODEL_NEC_XHCI:
        return 15;
    default: /* the UHCI models */
        return 2;
    }
}

static void
assign_usb(DomainDef *def)
{
    DomainController *c = controller_find(def, CONTROLLER_USB, 0);
    bool used[32] = { false };
    unsigned n_ports;

    if (!c || c->model == CONTROLLER_MODEL_USB_NONE)
        return;
    n_ports = usb_controller_ports(c);
    if (n_ports >= ARRAY_SIZE(used))
        n_ports = ARRAY_SIZE(used) - 1;

    /* The USB inputs and host devices, in that order, as libvirt. */
    auto_cleanup(free_ptr) DeviceAddress **addrs =
        xcalloc(def->n_inputs + def->n_hostdevs + 1, sizeof(*addrs));
    size_t n = 0;

    for (size_t i = 0; i < def->n_inputs; i++)
        if (def->inputs[i].bus == INPUT_BUS_USB)
            addrs[n++] = &def->inputs[i].address;
    for (size_t i = 0; i < def->n_hostdevs; i++)
        if (!def->hostdevs[i].raw_xml && def->hostdevs[i].type == HOSTDEV_USB)
            addrs[n++] = &def->hostdevs[i].address;
    for (size_t i = 0; i < n; i++) {
        unsigned p;

        if (addrs[i]->type == DEVICE_ADDRESS_USB && addrs[i]->usb_port &&
            sscanf(addrs[i]->usb_port, "%u", &p) == 1 && p < ARRAY_SIZE(used))
            used[p] = true;
    }
    for (size_t i = 0; i < n; i++) {
        DeviceAddress *a = addrs[i];

        if (a->type != DEVICE_ADDRESS_NONE)
            continue;
        for (unsigned p = 1; p <= n_ports; p++) {
            if (!used[p]) {
                used[p] = true;
                a->type = DEVICE_ADDRESS_USB;
                a->bus = 0;
                a->usb_port = xasprintf("%u", p);
                a->multifunction = -1;
                break;
            }
        }
    }
}

int
qemu_domain_assign_addresses(DomainDef *def, Error *error)
{
    int r;

    r = assign_pci(def, error);
    if (r < 0)
        return r;
    r = assign_virtio_serial(def, error);
    if (r < 0)
        return r;
    assign_usb(def);
    return 0;
}

/* ---- aliases ---- */

static void
alias_set(char **alias, char *value)
{
    /* User aliases ("ua-...") are the user's; everything else is ours. */
    if (*alias && str_prefix(*alias, "ua-")) {
        free(value);
        return;
    }
    free(*alias);
    *alias = value;
}

char *
qemu_controller_alias(const DomainDef *def, const DomainController *c)
{
    switch (c->type) {
    case CONTROLLER_PCI:
        if (c->index == 0)
            return xstrdup(c->model == CONTROLLER_MODEL_PCIE_ROOT ? "pcie.0" : "pci.0");
        return xasprintf("pci.%d", c->index);
    case CONTROLLER_USB:
        return c->index == 0 ? xstrdup("usb") : xasprintf("usb%d", c->index);
    case CONTROLLER_IDE:
        return c->index == 0 ? xstrdup("ide") : xasprintf("ide%d", c->index);
    case CONTROLLER_SATA:
        return (c->index == 0 && qemu_machine_is_q35(def)) ? xstrdup("ide")
                                                           : xasprintf("sata%d", c->index);
    default:
        return xasprintf("%s%d", controller_type_to_string(c->type), c->index);
    }
}

char *
qemu_disk_alias(const DomainDisk *d)
{
    const DeviceAddress *a = &d->address;
    int idx = qemu_disk_name_to_index(d->target_dev);

    switch (d->target_bus) {
    case DISK_BUS_IDE:
        return xasprintf("ide%u-%u-%u", a->controller, a->bus, a->unit);
    case DISK_BUS_SATA:
        return xasprintf("sata%u-%u-%u", a->controller, a->bus, a->unit);
    case DISK_BUS_SCSI:
        return xasprintf("scsi%u-%u-%u-%u", a->controller, a->bus, a->target, a->unit);
    case DISK_BUS_FDC:
        return xasprintf("fdc0-0-%u", a->unit);
    case DISK_BUS_USB:
        return xasprintf("usb-disk%d", idx < 0 ? 0 : idx);
    case DISK_BUS_VIRTIO:
    default:
        return xasprintf("virtio-disk%d", idx < 0 ? 0 : idx);
    }
}

static bool
disk_has_source(const DomainDisk *d)
{
    return d->source || d->source_volume;
}

unsigned
qemu_disk_next_source_index(const DomainDef *def)
{
    unsigned max = 0;

    for (size_t i = 0; i < def->n_disks; i++)
        if (def->disks[i].source_index > max)
            max = def->disks[i].source_index;
    return max + 1;
}

void
qemu_domain_assign_aliases(DomainDef *def)
{
    for (size_t i = 0; i < def->n_disks; i++) {
        DomainDisk *d = &def->disks[i];

        alias_set(&d->alias, qemu_disk_alias(d));
        if (!d->source_index && disk_has_source(d))
            d->source_index = qemu_disk_next_source_index(def);
    }
    for (size_t i = 0; i < def->n_controllers; i++)
        alias_set(&def->controllers[i].alias, qemu_controller_alias(def, &def->controllers[i]));
    for (size_t i = 0; i < def->n_nets; i++)
        alias_set(&def->nets[i].alias, xasprintf("net%zu", i));
    for (size_t i = 0; i < def->n_serials; i++)
        alias_set(&def->serials[i].alias, xasprintf("serial%zu", i));
    for (size_t i = 0; i < def->n_consoles; i++) {
        /* Console 0 on a serial target is serial 0, named as such. */
        if (i == 0 && def->consoles[0].target_type == CHR_TARGET_SERIAL && def->n_serials > 0)
            alias_set(&def->consoles[i].alias, xstrdup("serial0"));
        else
            alias_set(&def->consoles[i].alias, xasprintf("console%zu", i));
    }
    for (size_t i = 0; i < def->n_channels; i++)
        alias_set(&def->channels[i].alias, xasprintf("channel%zu", i));
    for (size_t i = 0; i < def->n_inputs; i++)
        alias_set(&def->inputs[i].alias, xasprintf("input%zu", i));
    for (size_t i = 0; i < def->n_videos; i++)
        alias_set(&def->videos[i].alias, xasprintf("video%zu", i));
    for (size_t i = 0; i < def->n_sounds; i++)
        alias_set(&def->sounds[i].alias, xasprintf("sound%zu", i));
    for (size_t i = 0; i < def->n_hostdevs; i++)
        alias_set(&def->hostdevs[i].alias, xasprintf("hostdev%zu", i));
    if (def->watchdog)
        alias_set(&def->watchdog->alias, xstrdup("watchdog0"));
    for (size_t i = 0; i < def->n_memories; i++)
        alias_set(&def->memories[i].alias, xasprintf("dimm%zu", i));
    if (def->memballoon.model != MEMBALLOON_ABSENT && def->memballoon.model != MEMBALLOON_NONE)
        alias_set(&def->memballoon.alias, xstrdup("balloon0"));
}
