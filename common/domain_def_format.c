/* domain_def_format(): a DomainDef as libvirt writes it, element for element
 * in the order of domain_conf.c's virDomainDefFormatInternal(), two spaces
 * per level and single-quoted attributes. */
#include "domain_def.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xml_util.h"

#define QEMU_NS_URI "http://libvirt.org/schemas/domain/qemu/1.0"

static void
format_address(XmlWriter *w, const DeviceAddress *a)
{
    if (a->type == DEVICE_ADDRESS_NONE)
        return;
    xml_writer_start(w, "address");
    xml_writer_attr(w, "type", device_address_type_to_string(a->type));
    switch (a->type) {
    case DEVICE_ADDRESS_PCI:
        xml_writer_attrf(w, "domain", "0x%04x", a->domain);
        xml_writer_attrf(w, "bus", "0x%02x", a->bus);
        xml_writer_attrf(w, "slot", "0x%02x", a->slot);
        xml_writer_attrf(w, "function", "0x%x", a->function);
        if (a->multifunction >= 0)
            xml_writer_attr(w, "multifunction", a->multifunction ? "on" : "off");
        break;
    case DEVICE_ADDRESS_DRIVE:
        xml_writer_attrf(w, "controller", "%u", a->controller);
        xml_writer_attrf(w, "bus", "%u", a->bus);
        xml_writer_attrf(w, "target", "%u", a->target);
        xml_writer_attrf(w, "unit", "%u", a->unit);
        break;
    case DEVICE_ADDRESS_VIRTIO_SERIAL:
        xml_writer_attrf(w, "controller", "%u", a->controller);
        xml_writer_attrf(w, "bus", "%u", a->bus);
        xml_writer_attrf(w, "port", "%u", a->port);
        break;
    case DEVICE_ADDRESS_USB:
        xml_writer_attrf(w, "bus", "%u", a->bus);
        xml_writer_attr(w, "port", a->usb_port);
        break;
    case DEVICE_ADDRESS_ISA:
        if (a->iobase)
            xml_writer_attrf(w, "iobase", "0x%x", a->iobase);
        if (a->irq)
            xml_writer_attrf(w, "irq", "0x%x", a->irq);
        break;
    case DEVICE_ADDRESS_DIMM:
        xml_writer_attrf(w, "slot", "%u", a->slot);
        if (a->base)
            xml_writer_attrf(w, "base", "0x%" PRIx64, a->base);
        break;
    default:
        break;
    }
    xml_writer_end(w);
}

/* libvirt's virDomainDeviceInfoFormat: boot order, alias, address. */
static void
format_info(XmlWriter *w, int boot_order, const char *alias, const DeviceAddress *a,
            unsigned flags)
{
    if (boot_order > 0) {
        xml_writer_start(w, "boot");
        xml_writer_attrf(w, "order", "%d", boot_order);
        xml_writer_end(w);
    }
    if (alias && !(flags & DOMAIN_DEF_FORMAT_INACTIVE)) {
        xml_writer_start(w, "alias");
        xml_writer_attr(w, "name", alias);
        xml_writer_end(w);
    }
    format_address(w, a);
}

static void
format_memory(XmlWriter *w, const char *name, uint64_t kib, unsigned slots)
{
    xml_writer_start(w, name);
    if (slots)
        xml_writer_attrf(w, "slots", "%u", slots);
    xml_writer_attr(w, "unit", "KiB");
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, kib);
    xml_writer_text(w, buf);
    xml_writer_end(w);
}

static void
format_cputune(XmlWriter *w, const DomainCputune *t)
{
    char buf[32];

    if (!t->n_vcpupins && !t->emulatorpin && !t->n_iothreadpins && !t->shares && !t->period && !t->has_quota &&
        !t->global_period && !t->has_global_quota && !t->emulator_period &&
        !t->has_emulator_quota && !t->iothread_period && !t->has_iothread_quota)
        return; /* libvirt leaves out an empty <cputune/> */
    xml_writer_start(w, "cputune");
#define NUM(name, fmt, v) do { \
        snprintf(buf, sizeof(buf), fmt, v); \
        xml_writer_element_text(w, name, buf); \
    } while (0)
    if (t->shares)
        NUM("shares", "%" PRIu64, t->shares);
    if (t->period)
        NUM("period", "%" PRIu64, t->period);
    if (t->has_quota)
        NUM("quota", "%" PRId64, t->quota);
    if (t->global_period)
        NUM("global_period", "%" PRIu64, t->global_period);
    if (t->has_global_quota)
        NUM("global_quota", "%" PRId64, t->global_quota);
    if (t->emulator_period)
        NUM("emulator_period", "%" PRIu64, t->emulator_period);
    if (t->has_emulator_quota)
        NUM("emulator_quota", "%" PRId64, t->emulator_quota);
    if (t->iothread_period)
        NUM("iothread_period", "%" PRIu64, t->iothread_period);
    if (t->has_iothread_quota)
        NUM("iothread_quota", "%" PRId64, t->iothread_quota);
#undef NUM
    for (size_t i = 0; i < t->n_vcpupins; i++) {
        xml_writer_start(w, "vcpupin");
        xml_writer_attrf(w, "vcpu", "%u", t->vcpupins[i].vcpu);
        xml_writer_attr(w, "cpuset", t->vcpupins[i].cpuset);
        xml_writer_end(w);
    }
    if (t->emulatorpin) {
        xml_writer_start(w, "emulatorpin");
        xml_writer_attr(w, "cpuset", t->emulatorpin);
        xml_writer_end(w);
    }
    for (size_t i = 0; i < t->n_iothreadpins; i++) {
        xml_writer_start(w, "iothreadpin");
        xml_writer_attrf(w, "iothread", "%u", t->iothreadpins[i].id);
        xml_writer_attr(w, "cpuset", t->iothreadpins[i].cpuset);
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

static void
format_tune_number(XmlWriter *w, const char *name, uint64_t v)
{
    char buf[32];

    if (!v)
        return;
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    xml_writer_element_text(w, name, buf);
}

static void
format_blkiotune(XmlWriter *w, const DomainBlkiotune *t)
{
    if (!t->weight && !t->n_devices)
        return;
    xml_writer_start(w, "blkiotune");
    format_tune_number(w, "weight", t->weight);
    for (size_t i = 0; i < t->n_devices; i++) {
        const DomainBlkioDevice *d = &t->devices[i];

        /* libvirt drops a device with nothing set */
        if (!d->weight && !d->read_iops && !d->write_iops && !d->read_bytes && !d->write_bytes)
            continue;
        xml_writer_start(w, "device");
        xml_writer_element_text(w, "path", d->path);
        format_tune_number(w, "weight", d->weight);
        format_tune_number(w, "read_iops_sec", d->read_iops);
        format_tune_number(w, "write_iops_sec", d->write_iops);
        format_tune_number(w, "read_bytes_sec", d->read_bytes);
        format_tune_number(w, "write_bytes_sec", d->write_bytes);
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

static void
format_memtune(XmlWriter *w, const DomainMemtune *t)
{
    if (!t->hard_limit && !t->soft_limit && !t->min_guarantee && !t->swap_hard_limit)
        return;
    xml_writer_start(w, "memtune");
    if (t->hard_limit)
        format_memory(w, "hard_limit", t->hard_limit, 0);
    if (t->soft_limit)
        format_memory(w, "soft_limit", t->soft_limit, 0);
    if (t->min_guarantee)
        format_memory(w, "min_guarantee", t->min_guarantee, 0);
    if (t->swap_hard_limit)
        format_memory(w, "swap_hard_limit", t->swap_hard_limit, 0);
    xml_writer_end(w);
}

static void
format_numatune(XmlWriter *w, const DomainNumatune *t)
{
    if (!t->mode)
        return;
    xml_writer_start(w, "numatune");
    xml_writer_start(w, "memory");
    xml_writer_attr(w, "mode", t->mode);
    if (STREQ_NULL(t->placement, "auto"))
        xml_writer_attr(w, "placement", "auto");
    else
        xml_writer_attr(w, "nodeset", t->nodeset);
    xml_writer_end(w);
    xml_writer_end(w);
}

static void
format_os(XmlWriter *w, const DomainDef *def)
{
    xml_writer_start(w, "os");
    xml_writer_attr(w, "firmware", def->os_firmware);
    xml_writer_start(w, "type");
    xml_writer_attr(w, "arch", def->os_arch);
    xml_writer_attr(w, "machine", def->os_machine);
    xml_writer_text(w, def->os_type ? def->os_type : "hvm");
    xml_writer_end(w);
    if (def->os_loader || def->os_loader_readonly || def->os_loader_type) {
        xml_writer_start(w, "loader");
        xml_writer_attr(w, "readonly", def->os_loader_readonly);
        xml_writer_attr(w, "type", def->os_loader_type);
        if (def->os_loader)
            xml_writer_text(w, def->os_loader);
        xml_writer_end(w);
    }
    xml_writer_element_text(w, "nvram", def->os_nvram);
    xml_writer_element_text(w, "kernel", def->os_kernel);
    xml_writer_element_text(w, "initrd", def->os_initrd);
    xml_writer_element_text(w, "cmdline", def->os_cmdline);
    xml_writer_element_text(w, "dtb", def->os_dtb);
    for (size_t i = 0; i < def->n_os_boot_devs; i++) {
        xml_writer_start(w, "boot");
        xml_writer_attr(w, "dev", def->os_boot_devs[i]);
        xml_writer_end(w);
    }
    if (def->os_bootmenu) {
        xml_writer_start(w, "bootmenu");
        xml_writer_attr(w, "enable", "yes");
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

static void
format_tristate(XmlWriter *w, const char *name, int v)
{
    if (v >= 0)
        xml_writer_attr(w, name, v ? "yes" : "no");
}

static void
format_numa(XmlWriter *w, const DomainCpu *cpu)
{
    if (!cpu->n_cells)
        return;
    xml_writer_start(w, "numa");
    for (size_t i = 0; i < cpu->n_cells; i++) {
        const DomainNumaCell *cell = &cpu->cells[i];

        xml_writer_start(w, "cell");
        xml_writer_attrf(w, "id", "%zu", i);
        xml_writer_attr(w, "cpus", cell->cpus);
        xml_writer_attrf(w, "memory", "%" PRIu64, cell->memory_kib);
        xml_writer_attr(w, "unit", "KiB");
        xml_writer_attr(w, "memAccess", cell->mem_access);
        format_tristate(w, "discard", cell->discard);
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

static void
format_perf(XmlWriter *w, const DomainDef *def)
{
    bool any = false;

    for (size_t i = 0; i < _PERF_EVENT_MAX; i++)
        any = any || def->perf_events[i] != PERF_ABSENT;
    if (!any)
        return;
    xml_writer_start(w, "perf");
    for (size_t i = 0; i < _PERF_EVENT_MAX; i++) {
        if (def->perf_events[i] == PERF_ABSENT)
            continue;
        xml_writer_start(w, "event");
        xml_writer_attr(w, "name", perf_event_to_string(i));
        xml_writer_attr(w, "enabled", def->perf_events[i] == PERF_YES ? "yes" : "no");
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

static void
format_cpu(XmlWriter *w, const DomainCpu *cpu)
{
    bool has_topology = cpu->sockets || cpu->dies || cpu->cores || cpu->threads;

    if (!cpu->mode)
        return;
    xml_writer_start(w, "cpu");
    /* As libvirt: no attributes for a <cpu> of only topology or NUMA. */
    if (cpu->mode != CPU_MODE_CUSTOM || cpu->model) {
        xml_writer_attr(w, "mode", cpu_mode_to_string(cpu->mode));
        xml_writer_attr(w, "match", cpu->match);
        xml_writer_attr(w, "check", cpu->check);
        xml_writer_attr(w, "migratable", cpu->migratable);
    }
    if (cpu->model) {
        xml_writer_start(w, "model");
        xml_writer_attr(w, "fallback", cpu->model_fallback);
        xml_writer_text(w, cpu->model);
        xml_writer_end(w);
    }
    xml_writer_element_text(w, "vendor", cpu->vendor);
    if (has_topology) {
        xml_writer_start(w, "topology");
        if (cpu->sockets)
            xml_writer_attrf(w, "sockets", "%u", cpu->sockets);
        if (cpu->dies)
            xml_writer_attrf(w, "dies", "%u", cpu->dies);
        if (cpu->cores)
            xml_writer_attrf(w, "cores", "%u", cpu->cores);
        if (cpu->threads)
            xml_writer_attrf(w, "threads", "%u", cpu->threads);
        xml_writer_end(w);
    }
    for (size_t i = 0; i < cpu->n_features; i++) {
        xml_writer_start(w, "feature");
        xml_writer_attr(w, "policy", cpu->features[i].policy);
        xml_writer_attr(w, "name", cpu->features[i].name);
        xml_writer_end(w);
    }
    format_numa(w, cpu);
    xml_writer_end(w);
}

static void
format_clock(XmlWriter *w, const DomainDef *def)
{
    xml_writer_start(w, "clock");
    xml_writer_attr(w, "offset", clock_offset_to_string(def->clock_offset));
    xml_writer_attr(w, "adjustment", def->clock_adjustment);
    xml_writer_attr(w, "basis", def->clock_basis);
    for (size_t i = 0; i < def->n_timers; i++) {
        const DomainTimer *t = &def->timers[i];

        xml_writer_start(w, "timer");
        xml_writer_attr(w, "name", t->name);
        if (t->present >= 0)
            xml_writer_attr(w, "present", t->present ? "yes" : "no");
        xml_writer_attr(w, "tickpolicy", t->tickpolicy);
        xml_writer_attr(w, "track", t->track);
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

/* libvirt's live <source index='N'>: the number in the disk's block node
 * names (libvirt-N-storage, libvirt-N-format). */
static void
format_source_index(XmlWriter *w, const DomainDisk *d, unsigned flags)
{
    if (d->source_index > 0 && !(flags & DOMAIN_DEF_FORMAT_INACTIVE))
        xml_writer_attrf(w, "index", "%u", d->source_index);
}

static void
format_disk(XmlWriter *w, const DomainDisk *d, unsigned flags)
{
    xml_writer_start(w, "disk");
    xml_writer_attr(w, "type", disk_type_to_string(d->type));
    xml_writer_attr(w, "device", disk_device_to_string(d->device));
    if (d->driver_name || d->driver_type || d->driver_cache || d->driver_io ||
        d->driver_discard || d->driver_iothread) {
        xml_writer_start(w, "driver");
        xml_writer_attr(w, "name", d->driver_name);
        xml_writer_attr(w, "type", d->driver_type);
        xml_writer_attr(w, "cache", disk_cache_to_string(d->driver_cache));
        xml_writer_attr(w, "io", disk_io_to_string(d->driver_io));
        xml_writer_attr(w, "discard", disk_discard_to_string(d->driver_discard));
        if (d->driver_iothread)
            xml_writer_attrf(w, "iothread", "%u", d->driver_iothread);
        xml_writer_end(w);
    }
    switch (d->type) {
    case DISK_TYPE_FILE:
    case DISK_TYPE_BLOCK:
        if (d->source) {
            xml_writer_start(w, "source");
            xml_writer_attr(w, d->type == DISK_TYPE_FILE ? "file" : "dev", d->source);
            format_source_index(w, d, flags);
            xml_writer_end(w);
        }
        break;
    case DISK_TYPE_VOLUME:
        if (d->source_pool || d->source_volume) {
            xml_writer_start(w, "source");
            xml_writer_attr(w, "pool", d->source_pool);
            xml_writer_attr(w, "volume", d->source_volume);
            format_source_index(w, d, flags);
            xml_writer_end(w);
        }
        break;
    case DISK_TYPE_NETWORK:
        if (d->source_protocol || d->source) {
            xml_writer_start(w, "source");
            xml_writer_attr(w, "protocol", d->source_protocol);
            xml_writer_attr(w, "name", d->source);
            if (d->source_host_name || d->source_host_port) {
                xml_writer_start(w, "host");
                xml_writer_attr(w, "name", d->source_host_name);
                xml_writer_attr(w, "port", d->source_host_port);
                xml_writer_end(w);
            }
            xml_writer_end(w);
        }
        break;
    default:
        break;
    }
    xml_writer_start(w, "target");
    xml_writer_attr(w, "dev", d->target_dev);
    xml_writer_attr(w, "bus", disk_bus_to_string(d->target_bus));
    if (d->tray_open && (d->device == DISK_DEVICE_CDROM || d->device == DISK_DEVICE_FLOPPY))
        xml_writer_attr(w, "tray", "open");
    xml_writer_end(w);
    if (disk_iotune_is_set(&d->iotune)) {
        xml_writer_start(w, "iotune");
        for (size_t i = 0; i < _IOTUNE_MAX; i++) {
            char buf[32];
            /* libvirt writes the group after size_iops_sec */
            if (i == IOTUNE_TOTAL_BYTES_MAX_LENGTH)
                xml_writer_element_text(w, "group_name", d->iotune.group_name);
            if (!d->iotune.v[i])
                continue;
            snprintf(buf, sizeof(buf), "%" PRIu64, d->iotune.v[i]);
            xml_writer_element_text(w, disk_iotune_names[i], buf);
        }
        xml_writer_end(w);
    }
    if (d->readonly) {
        xml_writer_start(w, "readonly");
        xml_writer_end(w);
    }
    if (d->shareable) {
        xml_writer_start(w, "shareable");
        xml_writer_end(w);
    }
    xml_writer_element_text(w, "serial", d->serial);
    format_info(w, d->boot_order, d->alias, &d->address, flags);
    xml_writer_end(w);
}

static void
format_controller(XmlWriter *w, const DomainController *c, unsigned flags)
{
    xml_writer_start(w, "controller");
    xml_writer_attr(w, "type", controller_type_to_string(c->type));
    xml_writer_attrf(w, "index", "%d", c->index);
    xml_writer_attr(w, "model", controller_model_to_string(c->model));
    if (c->ports)
        xml_writer_attrf(w, "ports", "%d", c->ports);
    if (c->vectors)
        xml_writer_attrf(w, "vectors", "%d", c->vectors);
    if (c->master_startport >= 0) {
        xml_writer_start(w, "master");
        xml_writer_attrf(w, "startport", "%d", c->master_startport);
        xml_writer_end(w);
    }
    format_info(w, 0, c->alias, &c->address, flags);
    xml_writer_end(w);
}

static void
format_net(XmlWriter *w, const DomainNet *n, unsigned flags)
{
    xml_writer_start(w, "interface");
    xml_writer_attr(w, "type", net_type_to_string(n->type));
    xml_writer_start(w, "mac");
    xml_writer_attr(w, "address", n->mac);
    xml_writer_end(w);
    if (n->source && (n->type == NET_TYPE_NETWORK || n->type == NET_TYPE_BRIDGE)) {
        xml_writer_start(w, "source");
        xml_writer_attr(w, n->type == NET_TYPE_NETWORK ? "network" : "bridge", n->source);
        xml_writer_end(w);
    }
    bandwidth_format(w, &n->bandwidth);
    /* libvirt keeps a user-chosen target dev of an ethernet interface in the
     * inactive XML; any other is chosen at start. */
    if (n->target_dev &&
        (!(flags & DOMAIN_DEF_FORMAT_INACTIVE) || n->type == NET_TYPE_ETHERNET)) {
        xml_writer_start(w, "target");
        xml_writer_attr(w, "dev", n->target_dev);
        xml_writer_end(w);
    }
    if (net_model_name(n)) {
        xml_writer_start(w, "model");
        xml_writer_attr(w, "type", net_model_name(n));
        xml_writer_end(w);
    }
    if (n->link_state) {
        xml_writer_start(w, "link");
        xml_writer_attr(w, "state", n->link_state);
        xml_writer_end(w);
    }
    if (n->mtu) {
        xml_writer_start(w, "mtu");
        xml_writer_attrf(w, "size", "%u", n->mtu);
        xml_writer_end(w);
    }
    format_info(w, n->boot_order, n->alias, &n->address, flags);
    xml_writer_end(w);
}

static void
format_chr(XmlWriter *w, const DomainChr *c, unsigned flags)
{
    bool live = !(flags & DOMAIN_DEF_FORMAT_INACTIVE);
    const char *name = chr_device_to_string(c->device);

    xml_writer_start(w, name);
    xml_writer_attr(w, "type", chr_type_to_string(c->type));
    if (c->type == CHR_TYPE_PTY) {
        /* The pty path exists only while the guest runs. */
        if (live && c->source_path) {
            xml_writer_attr(w, "tty", c->source_path);
            xml_writer_start(w, "source");
            xml_writer_attr(w, "path", c->source_path);
            xml_writer_end(w);
        }
    } else if (c->source_path || c->source_mode || c->source_host || c->source_service) {
        xml_writer_start(w, "source");
        xml_writer_attr(w, "mode", chr_source_mode_to_string(c->source_mode));
        xml_writer_attr(w, "host", c->source_host);
        xml_writer_attr(w, "service", c->source_service);
        xml_writer_attr(w, "path", c->source_path);
        if (c->append)
            xml_writer_attr(w, "append", "on");
        xml_writer_end(w);
    }
    if (c->protocol) {
        xml_writer_start(w, "protocol");
        xml_writer_attr(w, "type", c->protocol);
        xml_writer_end(w);
    }
    if (c->target_type || c->target_port >= 0 || c->target_name) {
        xml_writer_start(w, "target");
        xml_writer_attr(w, "type", chr_target_type_to_string(c->target_type));
        xml_writer_attr(w, "name", c->target_name);
        if (c->target_state && !(flags & DOMAIN_DEF_FORMAT_INACTIVE))
            xml_writer_attr(w, "state", c->target_state == CHR_STATE_CONNECTED ? "connected"
                                                                               : "disconnected");
        if (c->target_port >= 0)
            xml_writer_attrf(w, "port", "%d", c->target_port);
        xml_writer_end(w);
    }
    format_info(w, 0, c->alias, &c->address, flags);
    xml_writer_end(w);
}

static void
format_graphics(XmlWriter *w, const DomainGraphics *g, unsigned flags)
{
    bool inactive = flags & DOMAIN_DEF_FORMAT_INACTIVE;

    xml_writer_start(w, "graphics");
    xml_writer_attr(w, "type", graphics_type_to_string(g->type));
    if (g->type == GRAPHICS_VNC || g->type == GRAPHICS_SPICE) {
        /* As libvirt: an automatic port is only known while running. */
        if (g->port > 0 && (!g->autoport || !inactive))
            xml_writer_attrf(w, "port", "%d", g->port);
        else if (g->autoport)
            xml_writer_attr(w, "port", "-1");
        xml_writer_attr(w, "autoport", g->autoport ? "yes" : "no");
        xml_writer_attr(w, "listen", g->listen);
        xml_writer_attr(w, "keymap", g->keymap);
        if (g->passwd && (flags & DOMAIN_DEF_FORMAT_SECURE))
            xml_writer_attr(w, "passwd", g->passwd);
        if (g->listen) {
            xml_writer_start(w, "listen");
            xml_writer_attr(w, "type", "address");
            xml_writer_attr(w, "address", g->listen);
            xml_writer_end(w);
        }
    } else if (g->type == GRAPHICS_SDL) {
        xml_writer_attr(w, "display", g->display);
    }
    xml_writer_end(w);
}

static void
format_devices(XmlWriter *w, const DomainDef *def, unsigned flags)
{
    xml_writer_start(w, "devices");
    xml_writer_element_text(w, "emulator", def->emulator);
    for (size_t i = 0; i < def->n_disks; i++)
        format_disk(w, &def->disks[i], flags);
    for (size_t i = 0; i < def->n_controllers; i++)
        format_controller(w, &def->controllers[i], flags);
    for (size_t i = 0; i < def->n_nets; i++)
        format_net(w, &def->nets[i], flags);
    for (size_t i = 0; i < def->n_serials; i++)
        format_chr(w, &def->serials[i], flags);
    for (size_t i = 0; i < def->n_consoles; i++)
        format_chr(w, &def->consoles[i], flags);
    for (size_t i = 0; i < def->n_channels; i++)
        format_chr(w, &def->channels[i], flags);
    for (size_t i = 0; i < def->n_inputs; i++) {
        const DomainInput *in = &def->inputs[i];

        xml_writer_start(w, "input");
        xml_writer_attr(w, "type", input_type_to_string(in->type));
        xml_writer_attr(w, "bus", input_bus_to_string(in->bus));
        format_info(w, 0, in->alias, &in->address, flags);
        xml_writer_end(w);
    }
    for (size_t i = 0; i < def->n_graphics; i++)
        format_graphics(w, &def->graphics[i], flags);
    for (size_t i = 0; i < def->n_sounds; i++) {
        const DomainSound *s = &def->sounds[i];

        xml_writer_start(w, "sound");
        xml_writer_attr(w, "model", sound_model_to_string(s->model));
        format_info(w, 0, s->alias, &s->address, flags);
        xml_writer_end(w);
    }
    for (size_t i = 0; i < def->n_videos; i++) {
        const DomainVideo *v = &def->videos[i];

        xml_writer_start(w, "video");
        if (v->model != VIDEO_DEFAULT || v->ram || v->vram || v->vgamem || v->heads ||
            v->primary) {
            xml_writer_start(w, "model");
            if (v->model != VIDEO_DEFAULT)
                xml_writer_attr(w, "type", video_model_to_string(v->model));
            if (v->ram)
                xml_writer_attrf(w, "ram", "%u", v->ram);
            if (v->vram)
                xml_writer_attrf(w, "vram", "%u", v->vram);
            if (v->vgamem)
                xml_writer_attrf(w, "vgamem", "%u", v->vgamem);
            if (v->heads)
                xml_writer_attrf(w, "heads", "%u", v->heads);
            if (v->primary)
                xml_writer_attr(w, "primary", "yes");
            xml_writer_end(w);
        }
        format_info(w, 0, v->alias, &v->address, flags);
        xml_writer_end(w);
    }
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        const DomainHostdev *h = &def->hostdevs[i];

        if (h->raw_xml) {
            xml_writer_raw(w, h->raw_xml);
            continue;
        }
        xml_writer_start(w, "hostdev");
        xml_writer_attr(w, "mode", "subsystem");
        xml_writer_attr(w, "type", h->type == HOSTDEV_USB ? "usb" : "pci");
        xml_writer_attr(w, "managed", h->managed ? "yes" : "no");
        xml_writer_start(w, "source");
        if (h->type == HOSTDEV_USB) {
            xml_writer_attr(w, "startupPolicy", h->startup_policy);
            if (h->usb_vendor) {
                xml_writer_start(w, "vendor");
                xml_writer_attrf(w, "id", "0x%.4x", h->usb_vendor);
                xml_writer_end(w);
                xml_writer_start(w, "product");
                xml_writer_attrf(w, "id", "0x%.4x", h->usb_product);
                xml_writer_end(w);
            }
            if (h->usb_bus || h->usb_device) {
                xml_writer_start(w, "address");
                xml_writer_attrf(w, "bus", "%u", h->usb_bus);
                xml_writer_attrf(w, "device", "%u", h->usb_device);
                xml_writer_end(w);
            }
            xml_writer_end(w);
            format_info(w, h->boot_order, h->alias, &h->address, flags);
            xml_writer_end(w);
            continue;
        }
        xml_writer_start(w, "address");
        xml_writer_attrf(w, "domain", "0x%04x", h->source.domain);
        xml_writer_attrf(w, "bus", "0x%02x", h->source.bus);
        xml_writer_attrf(w, "slot", "0x%02x", h->source.slot);
        xml_writer_attrf(w, "function", "0x%x", h->source.function);
        xml_writer_end(w);
        xml_writer_end(w);
        format_info(w, h->boot_order, h->alias, &h->address, flags);
        xml_writer_end(w);
    }
    for (size_t i = 0; i < def->n_redirdevs; i++) {
        const DomainRedirdev *rd = &def->redirdevs[i];

        xml_writer_start(w, "redirdev");
        xml_writer_attr(w, "bus", rd->bus);
        xml_writer_attr(w, "type", rd->type);
        format_info(w, 0, rd->alias, &rd->address, flags);
        xml_writer_end(w);
    }
    if (def->watchdog) {
        xml_writer_start(w, "watchdog");
        xml_writer_attr(w, "model", watchdog_model_to_string(def->watchdog->model));
        xml_writer_attr(w, "action", watchdog_action_to_string(def->watchdog->action));
        format_info(w, 0, def->watchdog->alias, &def->watchdog->address, flags);
        xml_writer_end(w);
    }
    if (def->memballoon.model != MEMBALLOON_ABSENT) {
        const DomainMemballoon *m = &def->memballoon;

        xml_writer_start(w, "memballoon");
        xml_writer_attr(w, "model", memballoon_model_to_string(m->model));
        format_info(w, 0, m->alias, &m->address, flags);
        if (m->stats_period >= 0) {
            xml_writer_start(w, "stats");
            xml_writer_attrf(w, "period", "%d", m->stats_period);
            xml_writer_end(w);
        }
        xml_writer_end(w);
    }
    for (size_t i = 0; i < def->n_memories; i++) {
        const DomainMemoryDevice *m = &def->memories[i];

        xml_writer_start(w, "memory");
        xml_writer_attr(w, "model", "dimm");
        xml_writer_attr(w, "access", m->access);
        format_tristate(w, "discard", m->discard);
        if (m->source_nodemask || m->source_pagesize_kib) {
            xml_writer_start(w, "source");
            xml_writer_element_text(w, "nodemask", m->source_nodemask);
            if (m->source_pagesize_kib)
                format_memory(w, "pagesize", m->source_pagesize_kib, 0);
            xml_writer_end(w);
        }
        xml_writer_start(w, "target");
        format_memory(w, "size", m->size_kib, 0);
        if (m->target_node >= 0) {
            char node[16];

            snprintf(node, sizeof(node), "%d", m->target_node);
            xml_writer_element_text(w, "node", node);
        }
        xml_writer_end(w);
        format_info(w, 0, m->alias, &m->address, flags);
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

char *
domain_def_format(const DomainDef *def, int id, unsigned flags)
{
    XmlWriter w = XML_WRITER_INIT;
    char uuid[UUID_STRING_LEN];
    char buf[32];
    bool qemu_ns = def->n_qemu_args > 0 || def->n_qemu_envs > 0;

    xml_writer_start(&w, "domain");
    xml_writer_attr(&w, "type", domain_virt_type_to_string(def->virt_type));
    if (id >= 0 && !(flags & DOMAIN_DEF_FORMAT_INACTIVE))
        xml_writer_attrf(&w, "id", "%d", id);
    if (qemu_ns)
        xml_writer_attr(&w, "xmlns:qemu", QEMU_NS_URI);
    xml_writer_element_text(&w, "name", def->name);
    xml_writer_element_text(&w, "uuid", uuid_format(&def->uuid, uuid));
    xml_writer_element_text(&w, "title", def->title);
    xml_writer_element_text(&w, "description", def->description);
    if (def->metadata) {
        xml_writer_start(&w, "metadata");
        xml_writer_raw(&w, def->metadata);
        xml_writer_end(&w);
    }
    if (def->max_memory_kib)
        format_memory(&w, "maxMemory", def->max_memory_kib, def->max_memory_slots);
    format_memory(&w, "memory", def->memory_kib, 0);
    format_memory(&w, "currentMemory",
                  def->current_memory_kib ? def->current_memory_kib : def->memory_kib, 0);
    format_blkiotune(&w, &def->blkiotune);
    format_memtune(&w, &def->memtune);

    xml_writer_start(&w, "vcpu");
    xml_writer_attr(&w, "placement", def->vcpu_placement ? def->vcpu_placement : "static");
    xml_writer_attr(&w, "cpuset", def->vcpu_cpuset);
    if (def->vcpus_current && def->vcpus_current != def->vcpus)
        xml_writer_attrf(&w, "current", "%u", def->vcpus_current);
    snprintf(buf, sizeof(buf), "%u", def->vcpus);
    xml_writer_text(&w, buf);
    xml_writer_end(&w);
    if (def->vcpu_hotplugged && !(flags & DOMAIN_DEF_FORMAT_INACTIVE)) {
        /* As libvirt once a vCPU was plugged: every vCPU, in id order. */
        unsigned cur = def->vcpus_current ? def->vcpus_current : def->vcpus, order = 0;

        xml_writer_start(&w, "vcpus");
        for (unsigned i = 0; i < def->vcpus; i++) {
            bool on = def->vcpu_hotplugged[i] || i < cur - domain_def_vcpus_hotplugged(def);

            xml_writer_start(&w, "vcpu");
            xml_writer_attrf(&w, "id", "%u", i);
            xml_writer_attr(&w, "enabled", on ? "yes" : "no");
            xml_writer_attr(&w, "hotpluggable", on && !def->vcpu_hotplugged[i] ? "no" : "yes");
            if (on)
                xml_writer_attrf(&w, "order", "%u", ++order);
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }

    if (def->n_iothreads) {
        snprintf(buf, sizeof(buf), "%zu", def->n_iothreads);
        xml_writer_element_text(&w, "iothreads", buf);
    }
    if (def->iothread_ids_listed) {
        xml_writer_start(&w, "iothreadids");
        for (size_t i = 0; i < def->n_iothreads; i++) {
            xml_writer_start(&w, "iothread");
            xml_writer_attrf(&w, "id", "%u", def->iothread_ids[i]);
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }
    format_cputune(&w, &def->cputune);
    format_numatune(&w, &def->numatune);
    format_os(&w, def);
    if (def->n_features || def->features_extra_xml) {
        xml_writer_start(&w, "features");
        for (size_t i = 0; i < def->n_features; i++) {
            xml_writer_start(&w, def->features[i]);
            xml_writer_end(&w);
        }
        xml_writer_raw(&w, def->features_extra_xml);
        xml_writer_end(&w);
    }
    format_cpu(&w, &def->cpu);
    format_clock(&w, def);
    xml_writer_element_text(&w, "on_poweroff", domain_lifecycle_action_to_string(def->on_poweroff));
    xml_writer_element_text(&w, "on_reboot", domain_lifecycle_action_to_string(def->on_reboot));
    xml_writer_element_text(&w, "on_crash", domain_lifecycle_action_to_string(def->on_crash));
    if (def->pm_suspend_to_mem >= 0 || def->pm_suspend_to_disk >= 0) {
        xml_writer_start(&w, "pm");
        if (def->pm_suspend_to_mem >= 0) {
            xml_writer_start(&w, "suspend-to-mem");
            xml_writer_attr(&w, "enabled", def->pm_suspend_to_mem ? "yes" : "no");
            xml_writer_end(&w);
        }
        if (def->pm_suspend_to_disk >= 0) {
            xml_writer_start(&w, "suspend-to-disk");
            xml_writer_attr(&w, "enabled", def->pm_suspend_to_disk ? "yes" : "no");
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }
    format_perf(&w, def);
    format_devices(&w, def, flags);
    if (qemu_ns) {
        xml_writer_start(&w, "qemu:commandline");
        for (size_t i = 0; i < def->n_qemu_args; i++) {
            xml_writer_start(&w, "qemu:arg");
            xml_writer_attr(&w, "value", def->qemu_args[i]);
            xml_writer_end(&w);
        }
        for (size_t i = 0; i < def->n_qemu_envs; i++) {
            xml_writer_start(&w, "qemu:env");
            xml_writer_attr(&w, "name", def->qemu_envs[i].name);
            xml_writer_attr(&w, "value", def->qemu_envs[i].value);
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    return xml_writer_steal(&w);
}
