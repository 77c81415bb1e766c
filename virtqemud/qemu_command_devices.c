/* The command line's disks, interfaces and character devices (serial
 * ports, channels, consoles), and the pieces of them that live changes
 * reuse: a disk's block nodes and -device, an interface's -device. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "fileutil.h"
#include "qemu_address.h"
#include "qemu_command_priv.h"

/* ---- disks ---- */

/* What each cache mode means to QEMU's block layer. */
typedef struct CacheMode {
    bool set, direct, no_flush, write_cache;
} CacheMode;

static const CacheMode cache_modes[_DISK_CACHE_MAX] = {
    [DISK_CACHE_NONE] = { true, true, false, true },
    [DISK_CACHE_WRITEBACK] = { true, false, false, true },
    [DISK_CACHE_WRITETHROUGH] = { true, false, false, false },
    [DISK_CACHE_DIRECTSYNC] = { true, true, false, false },
    [DISK_CACHE_UNSAFE] = { true, false, true, true },
};

static void
cache_props(json_t *node, const CacheMode *cache)
{
    if (cache)
        json_object_set_new(node, "cache", json_pack("{s:b,s:b}", "direct", cache->direct,
                                                     "no-flush", cache->no_flush));
}

void
qemu_disk_blockdevs(const DomainDisk *d, const char *path, json_t **ret_storage,
                    json_t **ret_format)
{
    const CacheMode *cache = cache_modes[d->driver_cache].set ? &cache_modes[d->driver_cache]
                                                              : NULL;
    bool cdrom = d->device == DISK_DEVICE_CDROM;
    const char *proto = "file";
    json_t *storage, *format;
    struct stat st;

    if (d->type == DISK_TYPE_BLOCK
        || (d->type == DISK_TYPE_VOLUME && stat(path, &st) == 0 && S_ISBLK(st.st_mode)))
        proto = cdrom ? "host_cdrom" : "host_device";
    storage = json_pack("{s:s,s:s}", "driver", proto, "filename", path);
    if (d->driver_io == DISK_IO_NATIVE || d->driver_io == DISK_IO_URING)
        json_object_set_new(storage, "aio", json_string(d->driver_io == DISK_IO_NATIVE
                                                        ? "native" : "io_uring"));
    json_object_set_new(storage, "node-name", json_sprintf("libvirt-%u-storage",
                                                           d->source_index));
    cache_props(storage, cache);
    json_object_set_new(storage, "auto-read-only", json_true());
    json_object_set_new(storage, "discard", json_string("unmap"));

    format = json_pack("{s:o,s:b}", "node-name",
                       json_sprintf("libvirt-%u-format", d->source_index), "read-only",
                       d->readonly || cdrom);
    cache_props(format, cache);
    if (d->driver_discard == DISK_DISCARD_UNMAP)
        json_object_set_new(format, "discard", json_string("unmap"));
    json_object_set_new(format, "driver", json_string(d->driver_type ? d->driver_type : "raw"));
    json_object_set_new(format, "file", json_sprintf("libvirt-%u-storage", d->source_index));
    *ret_storage = storage;
    *ret_format = format;
}

int
build_disk(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, size_t i, int bootindex,
           Error *error)
{
    const DomainDisk *d = &def->disks[i];
    const char *target = d->target_dev ? d->target_dev : "";
    const char *path = d->source;
    const CacheMode *cache = NULL;
    const char *drive = "";
    const char *dev_extra = "";
    const char *addr;
    bool cdrom = d->device == DISK_DEVICE_CDROM;
    int r;

    r = need_alias(d->alias, "disk", error);
    if (r < 0)
        return r;
    if (ctx->disk_paths && ctx->disk_paths[i])
        path = ctx->disk_paths[i];
    else if (d->type == DISK_TYPE_VOLUME)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "volume '%s' in pool '%s' of disk '%s' was not resolved to a path",
                         d->source_volume ? d->source_volume : "",
                         d->source_pool ? d->source_pool : "", target);
    if (!path && !cdrom && d->device != DISK_DEVICE_FLOPPY)
        return error_set(error, -EINVAL, VIR_ERR_NO_SOURCE,
                         "disk '%s' has no source", target);

    if (cache_modes[d->driver_cache].set)
        cache = &cache_modes[d->driver_cache];
    if (d->readonly && !cdrom && (d->target_bus == DISK_BUS_IDE || d->target_bus == DISK_BUS_SATA))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "readonly ide disks are not supported");
    /* A writable disk shared between guests: QEMU must let another process
     * write the image (share-rw), and only a raw image can be shared so. */
    if (d->shareable && !d->readonly && !cdrom && d->driver_type && !STREQ(d->driver_type, "raw"))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "shared access for disk '%s' requires use of supported storage format",
                         target);

    if (path) {
        json_t *storage, *format;

        if (!d->source_index)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "disk '%s' has no node index: qemu_domain_assign_aliases() was "
                             "not called", target);
        qemu_disk_blockdevs(d, path, &storage, &format);
        cmd_json(c, "-blockdev", storage);
        cmd_json(c, "-blockdev", format);
        drive = scratch_printf(c, ",drive=libvirt-%u-format", d->source_index);
    }

    dev_extra = scratch_printf(c, "%s%s,id=%s%s%s%s%s", drive,
                  d->driver_iothread ? scratch_printf(c, ",iothread=iothread%u",
                                                      d->driver_iothread) : "",
                  d->alias,
                  bootindex > 0 ? scratch_printf(c, ",bootindex=%d", bootindex) : "",
                  cache ? (cache->write_cache ? ",write-cache=on" : ",write-cache=off") : "",
                  d->serial ? scratch_printf(c, ",serial=%s", opt_escape(c, d->serial)) : "",
                  d->shareable && !d->readonly && !cdrom ? ",share-rw=on" : "");

    switch (d->target_bus) {
    case DISK_BUS_VIRTIO: /* a virtio cdrom was refused at validation */
        r = pci_addr(c, def, &d->address, &addr, error);
        if (r < 0)
            return r;
        cmd_opt(c, "-device", "virtio-blk-pci%s%s", addr, dev_extra);
        break;
    case DISK_BUS_IDE:
    case DISK_BUS_SATA: {
        bool sata = d->target_bus == DISK_BUS_SATA;
        const char *ctl = controller_id(c, def, sata ? CONTROLLER_SATA : CONTROLLER_IDE,
                                        d->address.controller);

        if (!ctl || (!sata && qemu_machine_is_q35(def)))
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             sata ? "no SATA controller for disk '%s'"
                                  : "IDE controllers are unsupported for this QEMU binary or "
                                    "machine type (disk '%s')", target);
        if (sata)
            cmd_opt(c, "-device", "%s,bus=%s.%u%s", cdrom ? "ide-cd" : "ide-hd", ctl,
                    d->address.unit, dev_extra);
        else
            cmd_opt(c, "-device", "%s,bus=%s.%u,unit=%u%s", cdrom ? "ide-cd" : "ide-hd", ctl,
                    d->address.bus, d->address.unit, dev_extra);
        break;
    }
    case DISK_BUS_SCSI: {
        const DomainController *ctl = find_controller(def, CONTROLLER_SCSI,
                                                      d->address.controller);

        if (!ctl || !ctl->alias)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "no SCSI controller for disk '%s'", target);
        if (ctl->model == CONTROLLER_MODEL_VIRTIO_SCSI)
            cmd_opt(c, "-device", "%s,bus=%s.0,channel=%u,scsi-id=%u,lun=%u,"
                    "device_id=drive-%s%s", cdrom ? "scsi-cd" : "scsi-hd", ctl->alias,
                    d->address.bus, d->address.target, d->address.unit, d->alias, dev_extra);
        else
            cmd_opt(c, "-device", "%s,bus=%s.%u,scsi-id=%u%s", cdrom ? "scsi-cd" : "scsi-hd",
                    ctl->alias, d->address.bus, d->address.unit, dev_extra);
        break;
    }
    case DISK_BUS_USB:
        cmd_opt(c, "-device", "usb-storage,bus=usb.0%s%s", dev_extra,
                d->readonly ? ",removable=off" : "");
        break;
    case DISK_BUS_FDC:
        if (qemu_machine_is_q35(def))
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "floppy disk '%s' is not supported on machine '%s'", target,
                             def->os_machine);
        /* As libvirt: the boot order on the controller, the drive a
         * device of its own with an id (its medium changes by it). */
        if (bootindex > 0)
            cmd_opt(c, "-global", "isa-fdc.bootindex%c=%d", d->address.unit ? 'B' : 'A',
                    bootindex);
        cmd_opt(c, "-device", "floppy,unit=%u%s,id=%s", d->address.unit, drive, d->alias);
        break;
    default:
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "disk bus of disk '%s' is not supported", target);
    }
    return 0;
}

int
qemu_command_build_disk(const DomainDef *def, size_t i, const char *path,
                        json_t **ret_storage, json_t **ret_format, json_t **ret_device,
                        Error *error)
{
    auto_cleanup(free_ptr) const char **paths = xcalloc(def->n_disks, sizeof(*paths));
    QemuCommandContext ctx = { .monitor_fd = -1, .disk_paths = paths };
    Cmd c = { 0 };
    int r;

    paths[i] = path;
    *ret_storage = *ret_format = *ret_device = NULL;
    r = build_disk(&c, def, &ctx, i, def->disks[i].boot_order, error);
    for (size_t a = 0; r >= 0 && a + 1 < c.n; a += 2) {
        if (STREQ(c.argv[a], "-blockdev"))
            *(*ret_storage ? ret_format : ret_storage) = json_loads(c.argv[a + 1], 0, NULL);
        else if (STREQ(c.argv[a], "-device"))
            *ret_device = qemu_option_to_json(c.argv[a + 1], "driver");
    }
    cmd_clear(&c);
    if (r >= 0 && !*ret_device)
        r = error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                      "disk bus '%s' cannot be hotplugged.",
                      disk_bus_to_string(def->disks[i].target_bus));
    if (r < 0) {
        json_decref(*ret_storage);
        json_decref(*ret_format);
        json_decref(*ret_device);
        *ret_storage = *ret_format = *ret_device = NULL;
    }
    return r;
}

/* ---- interfaces ---- */

static const char *
net_device_name(const DomainNet *net)
{
    switch (net->model) {
    case NET_MODEL_UNKNOWN:
        /* libvirt's default for x86; a model it does not know is the device. */
        return net->model_name ? net->model_name : "rtl8139";
    case NET_MODEL_VIRTIO:
        return "virtio-net-pci";
    default:
        return net_model_name(net);
    }
}

int
build_net(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, size_t i, int bootindex,
          Error *error)
{
    const DomainNet *net = &def->nets[i];
    const char *addr;
    int r;

    r = need_alias(net->alias, "interface", error);
    if (r < 0)
        return r;
    r = pci_addr(c, def, &net->address, &addr, error);
    if (r < 0)
        return r;

    if (net->type == NET_TYPE_USER) {
        cmd_opt(c, "-netdev", "user,id=host%s", net->alias);
    } else if (ctx->pretend) {
        cmd_opt(c, "-netdev", "tap,id=host%s", net->alias);
    } else {
        int fd = ctx->net_fds ? ctx->net_fds[i] : -1;

        if (fd < 0)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "interface type '%s' needs a tap device", net_type_name(net->type));
        cmd_opt(c, "-netdev", "tap,fd=%d,id=host%s", fd, net->alias);
    }
    /* <link state='down'/> is not a device property: the driver sets it
     * with QMP set_link before the guest runs, as libvirt does. */
    cmd_opt(c, "-device", "%s,netdev=host%s,id=%s,mac=%s%s%s%s",
            opt_escape(c, net_device_name(net)), net->alias, net->alias, net->mac,
            net->mtu && net->model == NET_MODEL_VIRTIO
            ? scratch_printf(c, ",host_mtu=%u", net->mtu) : "",
            addr,
            bootindex > 0 ? scratch_printf(c, ",bootindex=%d", bootindex) : "");
    return 0;
}

int
qemu_command_build_net(const DomainDef *def, size_t i, json_t **ret_device, Error *error)
{
    /* Any fd number: only the -device half is used, -netdev is QMP's own. */
    auto_cleanup(free_ptr) int *fds = xcalloc(def->n_nets, sizeof(*fds));
    QemuCommandContext ctx = { .monitor_fd = -1, .net_fds = fds };
    Cmd c = { 0 };
    int r;

    *ret_device = NULL;
    r = build_net(&c, def, &ctx, i, def->nets[i].boot_order, error);
    for (size_t a = 0; r >= 0 && a + 1 < c.n; a += 2)
        if (STREQ(c.argv[a], "-device"))
            *ret_device = qemu_option_to_json(c.argv[a + 1], "driver");
    cmd_clear(&c);
    return r;
}

/* ---- character devices ---- */

static int
build_chardev(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, const DomainChr *chr,
              Error *error)
{
    const char *id = scratch_printf(c, "char%s", chr->alias);
    bool server;

    switch (chr->type) {
    case CHR_TYPE_PTY:
        cmd_opt(c, "-chardev", "pty,id=%s", id);
        return 0;
    case CHR_TYPE_NULL:
        cmd_opt(c, "-chardev", "null,id=%s", id);
        return 0;
    case CHR_TYPE_FILE:
        if (!chr->source_path)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "file character device '%s' has no path", chr->alias);
        cmd_opt(c, "-chardev", "file,id=%s,path=%s%s", id, opt_escape(c, chr->source_path),
                chr->append ? ",append=on" : "");
        return 0;
    case CHR_TYPE_UNIX: {
        const char *path = chr->source_path;

        server = chr->source_mode != CHR_MODE_CONNECT;
        if (!path) {
            /* libvirt makes one per channel under its channel folder. */
            if (chr->device != CHR_DEVICE_CHANNEL || !ctx->channel_dir)
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "unix character device '%s' has no path", chr->alias);
            path = scratch_printf(c, "%s/%s", ctx->channel_dir,
                     chr->target_name ? chr->target_name : chr->alias);
            server = true;
        }
        cmd_opt(c, "-chardev", "socket,id=%s,path=%s%s", id, opt_escape(c, path),
                server ? ",server=on,wait=off" : "");
        return 0;
    }
    case CHR_TYPE_TCP:
        server = chr->source_mode == CHR_MODE_BIND;
        if (!chr->source_service)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "tcp character device '%s' has no service", chr->alias);
        cmd_opt(c, "-chardev", "socket,id=%s,host=%s,port=%s%s", id,
                opt_escape(c, chr->source_host ? chr->source_host : "127.0.0.1"),
                opt_escape(c, chr->source_service), server ? ",server=on,wait=off" : "");
        return 0;
    default:
        break;
    }
    (void) def;
    return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                     "character device type '%s' is not supported", chr_type_name(chr->type));
}

/* Serial port @i's -device. */
int
build_serial_device(Cmd *c, const DomainDef *def, size_t i, Error *error)
{
    const DomainChr *s = &def->serials[i];
    const char *addr;
    int r;

    switch (s->target_type) {
    case CHR_TARGET_UNSET:
    case CHR_TARGET_ISA_SERIAL:
    case CHR_TARGET_SERIAL:
        cmd_opt(c, "-device", "isa-serial,chardev=char%s,id=%s,index=%d", s->alias, s->alias,
                s->target_port >= 0 ? s->target_port : (int) i);
        return 0;
    case CHR_TARGET_PCI_SERIAL:
        r = pci_addr(c, def, &s->address, &addr, error);
        if (r < 0)
            return r;
        cmd_opt(c, "-device", "pci-serial,chardev=char%s,id=%s%s", s->alias, s->alias, addr);
        return 0;
    case CHR_TARGET_USB_SERIAL:
        cmd_opt(c, "-device", "usb-serial,chardev=char%s,id=%s", s->alias, s->alias);
        return 0;
    default:
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "serial target type '%s' is not supported",
                         chr_target_type_to_string(s->target_type));
    }
}

static const char *
virtio_serial_bus(Cmd *c, const DomainDef *def, const DomainChr *chr)
{
    const char *ctl = controller_id(c, def, CONTROLLER_VIRTIO_SERIAL, chr->address.controller);

    return ctl ? scratch_printf(c, "%s.%u", ctl, chr->address.bus) : NULL;
}

int
build_chrs(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, Error *error)
{
    int r;

    for (size_t i = 0; i < def->n_serials; i++) {
        const DomainChr *s = &def->serials[i];

        r = need_alias(s->alias, "serial", error);
        if (r >= 0)
            r = build_chardev(c, def, ctx, s, error);
        if (r >= 0)
            r = build_serial_device(c, def, i, error);
        if (r < 0)
            return r;
    }

    for (size_t i = 0; i < def->n_channels; i++) {
        const DomainChr *ch = &def->channels[i];
        const char *bus;

        r = need_alias(ch->alias, "channel", error);
        if (r < 0)
            return r;
        if (ch->target_type != CHR_TARGET_VIRTIO)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "channel target type '%s' is not supported",
                             str_or_empty(chr_target_type_to_string(ch->target_type)));
        bus = virtio_serial_bus(c, def, ch);
        if (!bus || ch->address.type != DEVICE_ADDRESS_VIRTIO_SERIAL)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "channel '%s' has no virtio-serial controller", ch->alias);
        r = build_chardev(c, def, ctx, ch, error);
        if (r < 0)
            return r;
        cmd_opt(c, "-device", "virtserialport,bus=%s,nr=%u,chardev=char%s,id=%s%s", bus,
                ch->address.port, ch->alias, ch->alias,
                ch->target_name ? scratch_printf(c, ",name=%s", opt_escape(c, ch->target_name))
                                : "");
    }

    for (size_t i = 0; i < def->n_consoles; i++) {
        const DomainChr *con = &def->consoles[i];
        const char *bus;

        /* Console 0 on a serial target is serial 0: nothing more to add. */
        if (con->target_type == CHR_TARGET_SERIAL && i == 0 && def->n_serials > 0)
            continue;
        r = need_alias(con->alias, "console", error);
        if (r < 0)
            return r;
        if (con->target_type != CHR_TARGET_VIRTIO)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "console target type '%s' is not supported",
                             str_or_empty(chr_target_type_to_string(con->target_type)));
        bus = virtio_serial_bus(c, def, con);
        if (!bus || con->address.type != DEVICE_ADDRESS_VIRTIO_SERIAL)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "console '%s' has no virtio-serial controller", con->alias);
        r = build_chardev(c, def, ctx, con, error);
        if (r < 0)
            return r;
        cmd_opt(c, "-device", "virtconsole,bus=%s,nr=%u,chardev=char%s,id=%s", bus,
                con->address.port, con->alias, con->alias);
    }
    return 0;
}
