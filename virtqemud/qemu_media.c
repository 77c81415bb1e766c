/* Removable media: libvirt's UpdateDeviceFlags for disks (virsh
 * change-media, update-device), and the trays QEMU reports.
 *
 * With CONFIG the disk of the persistent definition is replaced by the one
 * given. With LIVE only the medium of a cdrom may change, in a MODIFY job
 * that does what libvirt's qemuDomainChangeMediaBlockdev does: open the
 * tray (and, unless FORCE, wait up to 5 s for QEMU to say it is open: the
 * guest may hold it locked), remove the medium and close its block nodes,
 * add the new medium's nodes and insert it, close the tray. Every tray move
 * QEMU reports (DEVICE_TRAY_MOVED, ours or the guest's) is kept in the live
 * definition (<target tray='open'>) and raises TRAY_CHANGE. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"

/* libvirt's CHANGE_MEDIA_TIMEOUT */
#define TRAY_OPEN_TIMEOUT_MS 5000

#define KNOWN_FLAGS (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | DOMAIN_DEVICE_MODIFY_FORCE)

typedef enum {
    STEP_OPEN_TRAY,
    STEP_WAIT_TRAY,   /* waits for DEVICE_TRAY_MOVED, not for a reply */
    STEP_REMOVE,
    STEP_ADD_STORAGE,
    STEP_ADD_FORMAT,
    STEP_INSERT,
    STEP_CLOSE_TRAY,
    STEP_DONE,
} MediaStep;

typedef struct MediaCall {
    Domain *dom;
    char *alias;        /* the drive's device id */
    char *target;
    bool force;
    DomainDef *dev;     /* its one disk, as given: the new source, or none */
    DomainDisk *disk;   /* that disk */
    unsigned index;     /* the new medium's node number, 0 when empty */
    json_t *storage, *format;
    MediaStep step;
    bool nodes_added;
    DomainDef *config;  /* with CONFIG: the persistent definition to save */
    Error error;
} MediaCall;

static void media_step(MediaCall *call);

static void
media_call_free(MediaCall *call)
{
    free(call->alias);
    free(call->target);
    domain_def_free(call->dev);
    json_decref(call->storage);
    json_decref(call->format);
    domain_def_free(call->config);
    error_clear(&call->error);
    free(call);
}

static DomainDisk *
live_disk(Domain *dom, const char *alias)
{
    for (size_t i = 0; dom->live && i < dom->live->n_disks; i++)
        if (STREQ_NULL(dom->live->disks[i].alias, alias))
            return &dom->live->disks[i];
    return NULL;
}

static void
media_finish(MediaCall *call)
{
    Domain *dom = call->dom;
    DomainDisk *d = live_disk(dom, call->alias);
    const Error *result = NULL;

    if (call->error.code || !d) {
        if (!call->error.code)
            error_set(&call->error, -EIO, VIR_ERR_OPERATION_FAILED,
                      "operation failed: domain is no longer running");
        if (call->nodes_added)
            qemu_hotplug_nodes_del(dom, call->index, NULL, NULL);
        qemu_dac_restore_path(dom, call->disk->source);
        result = &call->error;
    } else {
        /* The old medium is out of QEMU: its image goes back to its owner. */
        qemu_dac_restore_path(dom, d->source);
        free(d->source);
        d->source = steal_ptr(call->disk->source);
        free(d->driver_type);
        d->driver_type = steal_ptr(call->disk->driver_type);
        if (d->source)
            d->type = call->disk->type;
        d->source_index = call->index;
        qemu_hotplug_finish(dom, &call->config, NULL, NULL);
        media_call_free(call);
        return;
    }
    qemu_job_end(dom, result);
    media_call_free(call);
}

static void
media_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    MediaCall *call = userdata;

    if (error) {
        error_set(&call->error, -EIO, error->code, "%s", error->message);
        media_finish(call);
        return;
    }
    if (call->step == STEP_ADD_STORAGE)
        call->nodes_added = true;
    call->step++;
    media_step(call);
}

static void
tray_timeout(uv_timer_t *t)
{
    Domain *dom = t->data;
    MediaCall *call = dom->hotplug.media_wait;

    if (!call)
        return;
    dom->hotplug.media_wait = NULL;
    error_set(&call->error, -ETIMEDOUT, VIR_ERR_OPERATION_FAILED,
              "operation failed: timed out waiting to open tray of '%s'", call->target);
    media_finish(call);
}

static void
media_step(MediaCall *call)
{
    Domain *dom = call->dom;
    DomainDisk *d = live_disk(dom, call->alias);
    const char *command = NULL;
    json_t *args = NULL;

    if (!dom->monitor.conn || !d) {
        media_finish(call);
        return;
    }
    switch (call->step) {
    case STEP_OPEN_TRAY:
        if (d->tray_open) {
            call->step = STEP_REMOVE;
            media_step(call);
            return;
        }
        command = "blockdev-open-tray";
        args = json_pack("{s:s,s:b}", "id", call->alias, "force", call->force);
        break;
    case STEP_WAIT_TRAY:
        /* QEMU may have reported the move before its reply; a floppy drive
         * has no tray to report on. */
        if (d->tray_open || call->force || d->device == DISK_DEVICE_FLOPPY) {
            call->step = STEP_REMOVE;
            media_step(call);
            return;
        }
        dom->hotplug.media_wait = call;
        uv_timer_start(qemu_hotplug_timer(dom), tray_timeout, TRAY_OPEN_TIMEOUT_MS, 0);
        return;
    case STEP_REMOVE:
        command = "blockdev-remove-medium";
        args = json_pack("{s:s}", "id", call->alias);
        /* The old medium's nodes close after it is out (QEMU runs commands
         * in order); a failure to close them leaves only a stale node. */
        break;
    case STEP_ADD_STORAGE:
        qemu_hotplug_nodes_del(dom, d->source_index, NULL, NULL);
        if (!call->storage) {
            call->step = STEP_CLOSE_TRAY;
            media_step(call);
            return;
        }
        command = "blockdev-add";
        args = json_incref(call->storage);
        break;
    case STEP_ADD_FORMAT:
        command = "blockdev-add";
        args = json_incref(call->format);
        break;
    case STEP_INSERT:
        command = "blockdev-insert-medium";
        args = json_pack("{s:s,s:o}", "id", call->alias, "node-name",
                         json_sprintf("libvirt-%u-format", call->index));
        break;
    case STEP_CLOSE_TRAY:
        command = "blockdev-close-tray";
        args = json_pack("{s:s}", "id", call->alias);
        break;
    case STEP_DONE:
        media_finish(call);
        return;
    }
    if (qmp_command(dom->monitor.conn, command, args, media_reply, call, &call->error) < 0)
        media_finish(call);
}

/* libvirt's qemuDomainDiskChangeSupported, for the fields a disk has here:
 * an update may change the medium, nothing of the drive. A field the new
 * XML leaves out (false, 0, NULL) is not compared where libvirt does not. */
static int
check_same_drive(const DomainDisk *n, const DomainDisk *o, Error *error)
{
    const char *field = NULL;

    if (n->device != o->device)
        field = "device";
    else if (n->target_bus != o->target_bus)
        field = "bus";
    else if (n->tray_open && n->tray_open != o->tray_open)
        field = "tray";
    else if (n->serial && !STREQ_NULL(n->serial, o->serial))
        field = "serial";
    else if (n->driver_cache && n->driver_cache != o->driver_cache)
        field = "cache";
    else if (n->driver_io && n->driver_io != o->driver_io)
        field = "io";
    else if (n->address.type != DEVICE_ADDRESS_NONE &&
             !domain_device_address_equal(&n->address, &o->address))
        field = "address";
    else if (n->boot_order && n->boot_order != o->boot_order)
        field = "boot order";
    else if (n->driver_discard && n->driver_discard != o->driver_discard)
        field = "discard";
    else if (n->readonly && n->readonly != o->readonly)
        field = "readonly";
    else if (n->shareable && n->shareable != o->shareable)
        field = "shared";
    if (field)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: cannot modify field '%s' of the disk",
                         field);
    return 0;
}

static int
change_media_live(Domain *dom, DomainDef **dev, bool force, DomainDef **config,
                  DomainDoneCb cb, void *userdata, Error *error)
{
    DomainDisk *n = &(*dev)->disks[0], *o = NULL;
    MediaCall *call;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    for (size_t i = 0; i < dom->live->n_disks; i++)
        if (STREQ_NULL(dom->live->disks[i].target_dev, n->target_dev))
            o = &dom->live->disks[i];
    if (!o)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "internal error: disk '%s' not found", n->target_dev);
    if ((r = check_same_drive(n, o, error)) < 0)
        return r;
    if (STREQ_NULL(n->source, o->source)) {
        /* Nothing QEMU holds changes (libvirt updates the startup policy). */
        if (*config && (r = qemu_hotplug_save_config(dom, config, error)) < 0)
            return r;
        if (cb)
            cb(dom, NULL, userdata);
        return 0;
    }
    if (o->device != DISK_DEVICE_CDROM && o->device != DISK_DEVICE_FLOPPY)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: disk source can be changed only in "
                         "removable drives");
    if (n->source && (n->type == DISK_TYPE_VOLUME || n->type == DISK_TYPE_NETWORK))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: live change to a medium of type '%s'",
                         disk_type_to_string(n->type));

    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->alias = xstrdup(o->alias);
    call->target = xstrdup(o->target_dev);
    call->force = force;
    call->dev = steal_ptr(*dev);
    call->disk = n;
    if (call->disk->source) {
        DomainDisk nd = *o;

        call->index = qemu_disk_next_source_index(dom->live);
        /* The drive's own settings (cache, io) with the new image. */
        nd.source = call->disk->source;
        nd.type = call->disk->type;
        nd.driver_type = call->disk->driver_type;
        nd.source_index = call->index;
        qemu_disk_blockdevs(&nd, nd.source, &call->storage, &call->format);
        r = qemu_dac_set_disk(dom, &nd, nd.source, error);
        if (r < 0) {
            media_call_free(call);
            return r;
        }
    }
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    media_step(call);
    return 0;
}

/* The persistent definition with its disk @dev->disks[0].target_dev
 * replaced by @dev's. */
static int
config_with_update(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    const DomainDisk *n = &dev->disks[0];
    ssize_t pos = -1;
    int r;

    for (size_t i = 0; i < def->n_disks; i++)
        if (STREQ_NULL(def->disks[i].target_dev, n->target_dev))
            pos = (ssize_t) i;
    if (pos < 0)
        return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                         "invalid argument: target %s doesn't exist.", n->target_dev);
    qemu_hotplug_disk_replace(def, (size_t) pos, dev);
    r = qemu_hotplug_prepare(def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

int
qemu_domain_update_device(Domain *dom, const char *xml, unsigned flags, DomainDoneCb cb,
                          void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *dev = NULL;
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    bool force = flags & DOMAIN_DEVICE_MODIFY_FORCE;
    const char *type;
    int r;

    if (flags & ~(unsigned) KNOWN_FLAGS)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainUpdateDeviceFlags",
                         flags & ~(unsigned) KNOWN_FLAGS);
    flags &= ~(unsigned) DOMAIN_DEVICE_MODIFY_FORCE;
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    if ((r = domain_device_parse(xml, &dev, &type, error)) < 0)
        return r;
    if (dev->n_nets == 1 && domain_def_device_count(dev) == 1)
        return qemu_hotplug_net_update(dom, dev, flags, cb, userdata, error);
    domain_def_free(steal_ptr(dev));
    if (flags & DOMAIN_AFFECT_CONFIG) {
        if ((r = domain_device_parse(xml, &dev, &type, error)) < 0 ||
            (r = qemu_hotplug_want_disk(dev, type, "persistent update", error)) < 0 ||
            (r = config_with_update(dom, dev, &config, error)) < 0)
            return r;
        domain_def_free(steal_ptr(dev));
    }
    if (flags & DOMAIN_AFFECT_LIVE) {
        if ((r = domain_device_parse(xml, &dev, &type, error)) < 0 ||
            (r = qemu_hotplug_want_disk(dev, type, "live update", error)) < 0)
            return r;
        return change_media_live(dom, &dev, force, &config, cb, userdata, error);
    }
    r = qemu_hotplug_save_config(dom, &config, error);
    if (r >= 0 && cb)
        cb(dom, NULL, userdata);
    return r;
}

void
qemu_media_tray_moved(Domain *dom, json_t *data)
{
    const char *id = json_string_value(json_object_get(data, "id"));
    bool open = json_is_true(json_object_get(data, "tray-open"));
    MediaCall *call = dom->hotplug.media_wait;
    DomainDisk *d = id ? live_disk(dom, id) : NULL;

    if (!d) {
        log_debug("domain '%s': tray of '%s' moved, which is no disk here", dom->def->name,
                  str_or_empty(id));
        return;
    }
    d->tray_open = open;
    qemu_status_save(dom);
    qemu_driver_emit_tray(dom, d->alias,
                          open ? DOMAIN_EVENT_TRAY_CHANGE_OPEN : DOMAIN_EVENT_TRAY_CHANGE_CLOSE);
    if (open && call && STREQ(call->alias, d->alias)) {
        dom->hotplug.media_wait = NULL;
        uv_timer_stop(dom->hotplug.timer);
        call->step = STEP_REMOVE;
        media_step(call);
    }
}

void
qemu_media_clear(Domain *dom)
{
    MediaCall *call = steal_ptr(dom->hotplug.media_wait);

    if (!call)
        return;
    if (dom->hotplug.timer)
        uv_timer_stop(dom->hotplug.timer);
    media_finish(call);
}
