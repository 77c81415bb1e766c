/* Devices plugged into and out of a guest: libvirt's AttachDeviceFlags,
 * DetachDeviceFlags and DetachDeviceAlias, on the running guest (LIVE), its
 * persistent definition (CONFIG) or both.
 *
 * A live attach is a MODIFY job: the disk's two block nodes (blockdev-add),
 * then the device (device_add); a step that fails takes back the ones
 * before it. A live detach asks QEMU to unplug (device_del) and waits up to
 * libvirt's 5 seconds for the guest to let go (DEVICE_DELETED); the device
 * leaves the live definition only then, with DEVICE_REMOVED, whether or not
 * the call still waits (as libvirt, a detach that timed out has succeeded:
 * the guest may still release the device later). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"

/* libvirt's QEMU_UNPLUG_TIMEOUT for x86. */
#define UNPLUG_TIMEOUT_MS 5000

/* ---- which definitions a call changes ---------------------------------- */

int
qemu_domain_read_flags(unsigned *flags, unsigned known, const char *fn, Error *error)
{
    if (*flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", *flags & ~known, fn);
    *flags &= ~(unsigned) TYPED_PARAM_STRING_OKAY;
    if ((*flags & DOMAIN_AFFECT_LIVE) && (*flags & DOMAIN_AFFECT_CONFIG))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Flags 'VIR_DOMAIN_AFFECT_LIVE' and "
                         "'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive");
    return 0;
}

int
qemu_domain_affect(const Domain *dom, unsigned *flags, Error *error)
{
    bool active = qemu_domain_is_active(dom);

    if (!(*flags & (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG)))
        *flags |= active ? DOMAIN_AFFECT_LIVE : DOMAIN_AFFECT_CONFIG;
    if ((*flags & DOMAIN_AFFECT_LIVE) && !active)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if ((*flags & DOMAIN_AFFECT_CONFIG) && !dom->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: transient domains do not have "
                         "any persistent config");
    return 0;
}

static int
check_flags(unsigned flags, const char *function, Error *error)
{
    unsigned unknown = flags & ~(unsigned) (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG);

    if (unknown)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", unknown, function);
    return 0;
}

static ssize_t
disk_index(const DomainDef *def, const char *target)
{
    for (size_t i = 0; i < def->n_disks; i++)
        if (STREQ_NULL(def->disks[i].target_dev, target))
            return (ssize_t) i;
    return -1;
}

static void
disk_move(DomainDisk *to, DomainDisk *from)
{
    *to = *from;
    memset(from, 0, sizeof(*from));
}

/* Removes disk @i of @def (its memory too). */
static void
disk_remove(DomainDef *def, size_t i)
{
    DomainDef *one = xcalloc(1, sizeof(*one));

    one->disks = xcalloc(1, sizeof(*one->disks));
    one->n_disks = 1;
    disk_move(&one->disks[0], &def->disks[i]);
    memmove(&def->disks[i], &def->disks[i + 1], (def->n_disks - i - 1) * sizeof(*def->disks));
    def->n_disks--;
    domain_def_free(one);
}

int
qemu_hotplug_want_disk(const DomainDef *dev, const char *type, const char *what, Error *error)
{
    if (dev->n_disks == 1 && domain_def_device_count(dev) == 1)
        return 0;
    return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                     "%s of device '%s' is not supported", what, type);
}

typedef enum {
    KIND_DISK,
    KIND_NET,
    KIND_CONTROLLER,
    KIND_INPUT,
    KIND_HOSTDEV,
    KIND_WATCHDOG,
    KIND_SERIAL,
    KIND_MEMORY,
} DeviceKind;

/* What @dev's one device is, among those that can be plugged here. */
static int
device_kind(const DomainDef *dev, const char *type, const char *what, Error *error)
{
    if (domain_def_device_count(dev) == 1) {
        if (dev->n_nets == 1)
            return KIND_NET;
        if (dev->n_controllers == 1)
            return KIND_CONTROLLER;
        if (dev->n_inputs == 1)
            return KIND_INPUT;
        if (dev->n_hostdevs == 1)
            return KIND_HOSTDEV;
        if (dev->watchdog)
            return KIND_WATCHDOG;
        if (dev->n_serials == 1)
            return KIND_SERIAL;
        if (dev->n_memories == 1)
            return KIND_MEMORY;
    }
    return qemu_hotplug_want_disk(dev, type, what, error) < 0 ? -EOPNOTSUPP : KIND_DISK;
}

/* The persistent definition with @dev's disk (taken from @dev) added: a new
 * definition, not saved yet. */
static int
config_with_disk(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    DomainDisk *d = &dev->disks[0];
    int r;

    if (disk_index(def, d->target_dev) >= 0)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: target %s already exists",
                         d->target_dev);
    disk_move(ARRAY_APPEND(def->disks, def->n_disks), &dev->disks[0]);
    r = qemu_hotplug_prepare(def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

int
qemu_hotplug_save_config(Domain *dom, DomainDef **def, Error *error)
{
    int r = qemu_driver_save_config(dom->drv, *def, error);

    if (r < 0)
        return r;
    domain_def_free(dom->def);
    dom->def = steal_ptr(*def);
    qemu_driver_emit_changed(dom);
    return 0;
}

void
qemu_hotplug_disk_replace(DomainDef *def, size_t i, DomainDef *dev)
{
    DomainDef *one = xcalloc(1, sizeof(*one));

    one->disks = xcalloc(1, sizeof(*one->disks));
    one->n_disks = 1;
    disk_move(&one->disks[0], &def->disks[i]);
    disk_move(&def->disks[i], &dev->disks[0]);
    domain_def_free(one);
}

int
qemu_hotplug_prepare(DomainDef *def, Error *error)
{
    int r = qemu_domain_post_parse(def, error);

    return r < 0 ? r : qemu_domain_assign_addresses(def, error);
}

unsigned
qemu_hotplug_next_alias(const char *prefix, const char *alias, unsigned next)
{
    size_t n = strlen(prefix);
    char *end;
    unsigned long v;

    if (!alias || strncmp(alias, prefix, n) != 0 || !isdigit((unsigned char) alias[n]))
        return next;
    v = strtoul(alias + n, &end, 10);
    return *end == '\0' && v >= next && v < UINT_MAX ? (unsigned) v + 1 : next;
}

void
qemu_hotplug_finish(Domain *dom, DomainDef **config, const char *added, const Error *error)
{
    Error save_error = ERROR_INIT;

    if (!error) {
        qemu_status_save(dom);
        if (*config && qemu_hotplug_save_config(dom, config, &save_error) < 0)
            error = &save_error;
        /* The guest has the device, whatever became of the persistent side. */
        if (added)
            qemu_driver_emit_device(dom, DOMAIN_EVENT_ID_DEVICE_ADDED, added);
    }
    qemu_job_end(dom, error);
    error_clear(&save_error);
}

uv_timer_t *
qemu_hotplug_timer(Domain *dom)
{
    if (!dom->hotplug.timer) {
        dom->hotplug.timer = xcalloc(1, sizeof(*dom->hotplug.timer));
        uv_timer_init(dom->drv->loop, dom->hotplug.timer);
        dom->hotplug.timer->data = dom;
    }
    return dom->hotplug.timer;
}

/* ---- live attach ------------------------------------------------------- */

typedef struct AttachCall {
    Domain *dom;
    DomainDef *cand;     /* the live definition with the new disk, at its end */
    DomainDef *config;   /* with CONFIG: the persistent definition to save */
    json_t *storage, *format, *device;
    int step;            /* how many of the three are in QEMU */
    int pending;         /* replies still to come */
    Error error;
} AttachCall;

static void
attach_call_free(AttachCall *call)
{
    domain_def_free(call->cand);
    domain_def_free(call->config);
    json_decref(call->storage);
    json_decref(call->format);
    json_decref(call->device);
    error_clear(&call->error);
    free(call);
}

static void attach_step(AttachCall *call);

int
qemu_hotplug_nodes_del(Domain *dom, unsigned index, QmpReplyCb cb, void *userdata)
{
    if (!index || !dom->monitor.conn)
        return -ENOENT;
    /* Format node first: it holds the storage node. */
    qmp_command(dom->monitor.conn, "blockdev-del",
                json_pack("{s:o}", "node-name", json_sprintf("libvirt-%u-format", index)), NULL,
                NULL, NULL);
    return qmp_command(dom->monitor.conn, "blockdev-del",
                       json_pack("{s:o}", "node-name",
                                 json_sprintf("libvirt-%u-storage", index)),
                       cb, userdata, NULL);
}

static void
attach_finish(AttachCall *call)
{
    Domain *dom = call->dom;
    DomainDisk *d = &call->cand->disks[call->cand->n_disks - 1];
    const Error *result = NULL;

    if (call->error.code) {
        /* Back out what QEMU has (a node not added is refused harmlessly). */
        if (call->step >= 1)
            qemu_hotplug_nodes_del(dom, d->source_index, NULL, NULL);
        qemu_dac_restore_path(dom, d->source);
        result = &call->error;
    } else {
        auto_cleanup(free_ptr) char *alias = xstrdup(d->alias);

        disk_move(ARRAY_APPEND(dom->live->disks, dom->live->n_disks), d);
        call->cand->n_disks--;
        qemu_hotplug_finish(dom, &call->config, alias, NULL);
        attach_call_free(call);
        return;
    }
    qemu_job_end(dom, result);
    attach_call_free(call);
}

/* QMP answers in order: the first refusal is the one reported (the
 * commands after it fail for want of what it would have made). */
static void
attach_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    AttachCall *call = userdata;

    if (error && !call->error.code)
        error_set(&call->error, -EIO, error->code, "%s", error->message);
    else if (!error && !call->error.code)
        call->step++;
    if (--call->pending == 0)
        attach_finish(call);
}

/* The disk's nodes and its device, sent at once. */
static void
attach_step(AttachCall *call)
{
    Domain *dom = call->dom;
    static const char *const commands[] = { "blockdev-add", "blockdev-add", "device_add" };
    json_t *args[] = { call->storage, call->format, call->device };

    call->pending = 1;
    for (int i = 0; i < 3 && dom->monitor.conn; i++) {
        /* An empty drive has no nodes. */
        if (!args[i])
            continue;
        call->pending++;
        if (qmp_command(dom->monitor.conn, commands[i], json_incref(args[i]), attach_reply, call,
                        NULL) < 0) {
            call->pending--;
            if (!call->error.code)
                error_set(&call->error, -EIO, VIR_ERR_OPERATION_FAILED,
                          "operation failed: domain is no longer running");
            break;
        }
    }
    if (!dom->monitor.conn && !call->error.code)
        error_set(&call->error, -EIO, VIR_ERR_OPERATION_FAILED,
                  "operation failed: domain is no longer running");
    if (--call->pending == 0)
        attach_finish(call);
}

/* The disk of @dev (a file or a block device by now) in a copy of the live
 * definition, with its alias, nodes and device: *@ret, ready to plug. */
static int
attach_disk_build(Domain *dom, DomainDef *dev, DomainDef **config, AttachCall **ret,
                  Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    DomainDisk *nd;
    AttachCall *call;
    size_t n_controllers;
    int r;

    if (!dom->live || !dom->monitor.conn)
        return error_set(error, -EIO, VIR_ERR_OPERATION_FAILED,
                         "operation failed: domain is no longer running");
    /* The live definition with the disk: its address and alias as at start;
     * what it needs beyond that (a new controller) is not plugged here. */
    cand = domain_def_copy(dom->live);
    n_controllers = cand->n_controllers;
    nd = ARRAY_APPEND(cand->disks, cand->n_disks);
    disk_move(nd, &dev->disks[0]);
    free(steal_ptr(nd->alias));
    nd->source_index = 0;
    r = qemu_hotplug_prepare(cand, error);
    if (r < 0)
        return r;
    if (cand->n_controllers != n_controllers)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: disk '%s' needs a controller the guest "
                         "does not have; attach the controller first", nd->target_dev);
    nd->alias = qemu_disk_alias(nd);
    if (nd->source)
        nd->source_index = qemu_disk_next_source_index(cand);

    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    r = qemu_command_build_disk(cand, cand->n_disks - 1, NULL, &call->storage, &call->format,
                                &call->device, error);
    if (r >= 0)
        r = qemu_dac_set_disk(dom, nd, nd->source, error);
    if (r < 0) {
        attach_call_free(call);
        return r;
    }
    call->cand = steal_ptr(cand);
    call->config = steal_ptr(*config);
    *ret = call;
    return 0;
}


typedef struct VolumeAttach {
    DomainDef *dev, *config;
} VolumeAttach;

static void
volume_ready(Domain *dom, const char *path, const char *format, const Error *error,
             void *userdata)
{
    VolumeAttach *va = userdata;
    Error build_error = ERROR_INIT;
    AttachCall *call;

    if (error) {
        qemu_job_end(dom, error);
    } else {
        qemu_volume_apply(&va->dev->disks[0], path, format);
        if (attach_disk_build(dom, va->dev, &va->config, &call, &build_error) < 0)
            qemu_job_end(dom, &build_error);
        else
            attach_step(call);
    }
    error_clear(&build_error);
    domain_def_free(va->dev);
    domain_def_free(va->config);
    free(va);
}

static int
attach_disk_live(Domain *dom, DomainDef **devp, DomainDef **config, DomainDoneCb cb,
                 void *userdata, Error *error)
{
    DomainDef *dev = *devp;
    DomainDisk *d = &dev->disks[0];
    AttachCall *call;
    ssize_t other;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (d->device == DISK_DEVICE_FLOPPY)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: floppy device hotplug isn't supported");
    if (d->target_bus != DISK_BUS_VIRTIO && d->target_bus != DISK_BUS_SCSI &&
        d->target_bus != DISK_BUS_USB)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: disk bus '%s' cannot be hotplugged.",
                         disk_bus_to_string(d->target_bus));
    if (d->type == DISK_TYPE_NETWORK)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: live attach of a disk of type '%s'",
                         disk_type_to_string(d->type));
    other = disk_index(dom->live, d->target_dev);
    if (other >= 0)
        return error_set(error, -EEXIST, VIR_ERR_XML_ERROR,
                         "XML error: target '%s' duplicated for disk sources '%s' and '%s'",
                         d->target_dev, str_or_empty(dom->live->disks[other].source),
                         str_or_empty(d->source));
    if (d->type == DISK_TYPE_VOLUME) {
        /* The volume's file first, from virtstoraged, under the job. */
        VolumeAttach *va = xcalloc(1, sizeof(*va));

        qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
        if (!qemu_volume_resolve(dom, d, volume_ready, va, error)) {
            free(va);
            qemu_job_cancel(dom);
            return -EIO;
        }
        va->dev = steal_ptr(*devp);
        va->config = steal_ptr(*config);
        return 0;
    }
    r = attach_disk_build(dom, dev, config, &call, error);
    if (r < 0)
        return r;
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    attach_step(call);
    return 0;
}

int
qemu_domain_attach_device(Domain *dom, const char *xml, unsigned flags, DomainDoneCb cb,
                          void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *dev = NULL;
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    const char *type;
    int r;

    if ((r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = check_flags(flags, "qemuDomainAttachDeviceLiveAndConfig", error)) < 0)
        return r;
    /* As libvirt, each definition gets a device of its own parse. */
    if (flags & DOMAIN_AFFECT_CONFIG) {
        if ((r = domain_device_parse(xml, &dev, &type, error)) < 0 ||
            (r = device_kind(dev, type, "persistent attach", error)) < 0 ||
            (r = r == KIND_NET ? qemu_hotplug_net_config_attach(dom, dev, &config, error)
                 : r == KIND_DISK ? config_with_disk(dom, dev, &config, error)
                 : r == KIND_HOSTDEV ? qemu_hotplug_hostdev_config_attach(dom, dev, &config, error)
                 : r == KIND_WATCHDOG ? qemu_hotplug_watchdog_config_attach(dom, dev, &config,
                                                                           error)
                 : r == KIND_SERIAL ? qemu_hotplug_serial_config_attach(dom, dev, &config, error)
                 : r == KIND_MEMORY ? qemu_hotplug_memory_config_attach(dom, dev, &config, error)
                 : qemu_hotplug_simple_config_attach(dom, dev, &config, error)) < 0)
            return r;
        domain_def_free(steal_ptr(dev));
    }
    if (flags & DOMAIN_AFFECT_LIVE) {
        if ((r = domain_device_parse(xml, &dev, &type, error)) < 0 ||
            (r = device_kind(dev, type, "live attach", error)) < 0)
            return r;
        if (r == KIND_NET)
            return qemu_hotplug_net_attach_live(dom, dev, &config, cb, userdata, error);
        if (r == KIND_HOSTDEV)
            return qemu_hotplug_hostdev_attach_live(dom, dev, &config, cb, userdata, error);
        if (r == KIND_WATCHDOG)
            return qemu_hotplug_watchdog_attach_live(dom, dev, &config, cb, userdata, error);
        if (r == KIND_SERIAL)
            return qemu_hotplug_serial_attach_live(dom, dev, &config, cb, userdata, error);
        if (r == KIND_MEMORY)
            return qemu_hotplug_memory_attach_live(dom, dev, &config, cb, userdata, error);
        if (r != KIND_DISK)
            return qemu_hotplug_simple_attach_live(dom, dev, &config, cb, userdata, error);
        return attach_disk_live(dom, &dev, &config, cb, userdata, error);
    }
    r = qemu_hotplug_save_config(dom, &config, error);
    if (r >= 0 && cb)
        cb(dom, NULL, userdata);
    return r;
}

/* ---- live detach ------------------------------------------------------- */

static void unplug_wait_end(Domain *dom, const Error *error);

/* The disk's nodes are closed (its image written out): it leaves the live
 * definition, and DEVICE_REMOVED is announced. */
static void
disk_removed(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;

    for (size_t i = 0; live && i < live->n_disks; i++) {
        if (!STREQ_NULL(live->disks[i].alias, alias))
            continue;
        qemu_dac_restore_path(dom, live->disks[i].source);
        disk_remove(live, i);
        break;
    }
    qemu_hotplug_removed(dom, alias);
}

void
qemu_hotplug_removed(Domain *dom, const char *alias)
{
    qemu_status_save(dom);
    qemu_driver_emit_device(dom, DOMAIN_EVENT_ID_DEVICE_REMOVED, alias);
    if (STREQ_NULL(dom->hotplug.unplug_alias, alias))
        unplug_wait_end(dom, NULL);
}

typedef struct RemoveCall {
    Domain *dom;
    char *alias;
} RemoveCall;

static void
nodes_deleted(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    RemoveCall *call = userdata;

    if (error)
        log_warn("domain '%s': the block nodes of %s stay: %s", call->dom->def->name,
                 call->alias, error->message);
    if (!call->dom->removed && call->dom->live)
        disk_removed(call->dom, call->alias);
    domain_unref(call->dom);
    free(call->alias);
    free(call);
}

/* The guest let go of device @alias (QMP DEVICE_DELETED): a disk's block
 * nodes go first, as libvirt, so that its image is closed when the removal
 * is announced. */
static void
device_removed(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;

    if (qemu_hotplug_net_removed(dom, alias) || qemu_hotplug_simple_removed(dom, alias) ||
        qemu_hotplug_hostdev_removed(dom, alias) || qemu_hotplug_serial_removed(dom, alias) ||
        qemu_hotplug_memory_removed(dom, alias))
        return;
    for (size_t i = 0; live && i < live->n_disks; i++) {
        DomainDisk *d = &live->disks[i];
        RemoveCall *call;

        if (!STREQ_NULL(d->alias, alias))
            continue;
        call = xcalloc(1, sizeof(*call));
        call->dom = dom;
        call->alias = xstrdup(alias);
        domain_ref(dom);
        if (qemu_hotplug_nodes_del(dom, d->source_index, nodes_deleted, call) < 0)
            nodes_deleted(dom->monitor.conn, NULL, NULL, call);
        return;
    }
    if (STREQ_NULL(dom->hotplug.unplug_alias, alias))
        unplug_wait_end(dom, NULL);
}

static void
unplug_wait_end(Domain *dom, const Error *error)
{
    DomainHotplug *h = &dom->hotplug;
    QemuUnplugCb cb = steal_ptr(h->unplug_cb);

    if (!h->unplug_alias)
        return;
    free(steal_ptr(h->unplug_alias));
    uv_timer_stop(h->timer);
    if (cb) {
        cb(dom, error, false, steal_ptr(h->unplug_data));
    } else if (h->waiting) {
        h->waiting = false;
        qemu_job_end(dom, error);
    }
}

static void
unplug_timeout(uv_timer_t *t)
{
    Domain *dom = t->data;
    QemuUnplugCb cb = steal_ptr(dom->hotplug.unplug_cb);

    log_debug("domain '%s': %s not released within %d ms", dom->def->name,
              dom->hotplug.unplug_alias, UNPLUG_TIMEOUT_MS);
    if (cb) {
        free(steal_ptr(dom->hotplug.unplug_alias));
        cb(dom, NULL, true, steal_ptr(dom->hotplug.unplug_data));
        return;
    }
    /* As libvirt: the request stands, the call has succeeded. */
    unplug_wait_end(dom, NULL);
}

void
qemu_hotplug_unplug_wait(Domain *dom, const char *alias, QemuUnplugCb cb, void *userdata)
{
    free(dom->hotplug.unplug_alias);
    dom->hotplug.unplug_alias = xstrdup(alias);
    dom->hotplug.unplug_cb = cb;
    dom->hotplug.unplug_data = userdata;
    uv_timer_start(qemu_hotplug_timer(dom), unplug_timeout, UNPLUG_TIMEOUT_MS, 0);
}

void
qemu_hotplug_unplug_cancel(Domain *dom)
{
    free(steal_ptr(dom->hotplug.unplug_alias));
    dom->hotplug.unplug_cb = NULL;
    dom->hotplug.unplug_data = NULL;
    if (dom->hotplug.timer)
        uv_timer_stop(dom->hotplug.timer);
}

typedef struct DetachCall {
    Domain *dom;
    DomainDef *config;
    bool wait;
} DetachCall;

static void
detach_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    DetachCall *call = userdata;
    Domain *dom = call->dom;
    Error save_error = ERROR_INIT;

    if (!error && call->config && qemu_hotplug_save_config(dom, &call->config, &save_error) < 0)
        error = &save_error;
    if (error || !call->wait) {
        free(steal_ptr(dom->hotplug.unplug_alias));
        qemu_job_end(dom, error);
    } else if (dom->hotplug.unplug_alias) {
        dom->hotplug.waiting = true;
        uv_timer_start(dom->hotplug.timer, unplug_timeout, UNPLUG_TIMEOUT_MS, 0);
    } else {
        qemu_job_end(dom, NULL); /* DEVICE_DELETED came with the reply */
    }
    error_clear(&save_error);
    domain_def_free(call->config);
    free(call);
}

static int
detach_live(Domain *dom, const char *alias, bool wait, DomainDef **config, DomainDoneCb cb,
            void *userdata, Error *error)
{
    DetachCall *call;
    int r;

    qemu_hotplug_timer(dom);
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->wait = wait;
    call->config = steal_ptr(*config);
    free(dom->hotplug.unplug_alias);
    dom->hotplug.unplug_alias = xstrdup(alias);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "device_del", json_pack("{s:s}", "id", alias),
                    detach_reply, call, error);
    if (r < 0) {
        free(steal_ptr(dom->hotplug.unplug_alias));
        domain_def_free(call->config);
        free(call);
        qemu_job_cancel(dom);
    }
    return r;
}

/* What QEMU can unplug of a disk. */
static int
disk_unpluggable(const DomainDisk *d, Error *error)
{
    if (d->device != DISK_DEVICE_DISK)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: disk device type '%s' cannot be detached",
                         disk_device_to_string(d->device));
    if (d->target_bus != DISK_BUS_VIRTIO && d->target_bus != DISK_BUS_SCSI &&
        d->target_bus != DISK_BUS_USB)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: This type of disk cannot be hot unplugged");
    return 0;
}

/* The disk of @def named by @target (from the XML) or else by @alias, or a
 * refusal in libvirt's words (which differ between the @live and the
 * persistent definition). */
static ssize_t
find_disk(const DomainDef *def, bool live, const char *target, const char *alias,
          Error *error)
{
    for (size_t k = 0; k < def->n_disks; k++)
        if (target ? STREQ_NULL(def->disks[k].target_dev, target)
                   : STREQ_NULL(def->disks[k].alias, alias))
            return (ssize_t) k;
    if (target && live)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: disk %s not found", target);
    if (target)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: no target device %s", target);
    return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                     "internal error: no device found with alias %s", alias);
}

/* The device of @def that @dev's one device (or else @alias) names, and
 * its kind; or libvirt's refusal. */
static ssize_t
find_device(const DomainDef *def, bool live, DomainDef *dev, const char *alias,
            DeviceKind *kind, Error *error)
{
    bool controller;
    ssize_t i;

    *kind = KIND_DISK;
    if (dev && dev->n_nets == 1) {
        *kind = KIND_NET;
        return qemu_hotplug_net_find(def, &dev->nets[0], error);
    }
    if (dev && dev->n_hostdevs == 1) {
        *kind = KIND_HOSTDEV;
        return qemu_hotplug_hostdev_find(def, &dev->hostdevs[0], error);
    }
    if (dev && dev->watchdog) {
        *kind = KIND_WATCHDOG;
        return qemu_hotplug_watchdog_find(def, live, dev->watchdog, error);
    }
    if (dev && dev->n_serials == 1) {
        *kind = KIND_SERIAL;
        return qemu_hotplug_serial_find(def, &dev->serials[0], error);
    }
    if (dev && dev->n_memories == 1) {
        *kind = KIND_MEMORY;
        return qemu_hotplug_memory_find(def, live, &dev->memories[0], error);
    }
    if (dev && (dev->n_controllers == 1 || dev->n_inputs == 1)) {
        i = qemu_hotplug_simple_find(def, live, dev, &controller, error);
        *kind = controller ? KIND_CONTROLLER : KIND_INPUT;
        return i;
    }
    if (dev)
        return find_disk(def, live, dev->disks[0].target_dev, NULL, error);
    for (size_t k = 0; k < def->n_nets; k++)
        if (STREQ_NULL(def->nets[k].alias, alias)) {
            *kind = KIND_NET;
            return (ssize_t) k;
        }
    for (size_t k = 0; k < def->n_controllers; k++)
        if (STREQ_NULL(def->controllers[k].alias, alias)) {
            *kind = KIND_CONTROLLER;
            return (ssize_t) k;
        }
    for (size_t k = 0; k < def->n_inputs; k++)
        if (STREQ_NULL(def->inputs[k].alias, alias)) {
            *kind = KIND_INPUT;
            return (ssize_t) k;
        }
    for (size_t k = 0; k < def->n_hostdevs; k++)
        if (STREQ_NULL(def->hostdevs[k].alias, alias)) {
            *kind = KIND_HOSTDEV;
            return (ssize_t) k;
        }
    for (size_t k = 0; k < def->n_serials; k++)
        if (STREQ_NULL(def->serials[k].alias, alias)) {
            *kind = KIND_SERIAL;
            return (ssize_t) k;
        }
    for (size_t k = 0; k < def->n_memories; k++)
        if (STREQ_NULL(def->memories[k].alias, alias)) {
            *kind = KIND_MEMORY;
            return (ssize_t) k;
        }
    if (def->watchdog && STREQ_NULL(def->watchdog->alias, alias)) {
        *kind = KIND_WATCHDOG;
        return live && def->watchdog->model != WATCHDOG_I6300ESB
                   ? error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                               "Operation not supported: hot unplug of watchdog of model %s is "
                               "not supported", watchdog_model_to_string(def->watchdog->model))
                   : 0;
    }
    return find_disk(def, live, NULL, alias, error);
}

static const char *
device_alias(const DomainDef *def, DeviceKind kind, size_t i)
{
    switch (kind) {
    case KIND_NET:
        return def->nets[i].alias;
    case KIND_CONTROLLER:
        return def->controllers[i].alias;
    case KIND_INPUT:
        return def->inputs[i].alias;
    case KIND_HOSTDEV:
        return def->hostdevs[i].alias;
    case KIND_WATCHDOG:
        return def->watchdog->alias;
    case KIND_SERIAL:
        return def->serials[i].alias;
    case KIND_MEMORY:
        return def->memories[i].alias;
    default:
        return def->disks[i].alias;
    }
}

/* Detaches @dev's one device or @alias. */
static int
detach(Domain *dom, DomainDef *dev, const char *alias, unsigned flags, DomainDoneCb cb,
       void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    DeviceKind kind;
    ssize_t i;
    int r;

    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        i = find_device(config, false, dev, alias, &kind, error);
        if (i < 0)
            return (int) i;
        if (kind == KIND_NET)
            domain_def_remove_net(config, (size_t) i);
        else if (kind == KIND_DISK)
            disk_remove(config, (size_t) i);
        else if (kind == KIND_HOSTDEV)
            qemu_hotplug_hostdev_remove(config, (size_t) i);
        else if (kind == KIND_WATCHDOG)
            qemu_hotplug_watchdog_remove(config);
        else if (kind == KIND_SERIAL)
            qemu_hotplug_serial_remove(config, (size_t) i);
        else if (kind == KIND_MEMORY)
            qemu_hotplug_memory_remove(config, (size_t) i);
        else
            qemu_hotplug_simple_remove(config, kind == KIND_CONTROLLER, (size_t) i);
    }
    if (flags & DOMAIN_AFFECT_LIVE) {
        i = find_device(dom->live, true, dev, alias, &kind, error);
        if (i < 0)
            return (int) i;
        if ((r = qemu_job_check_active(dom, error)) < 0 ||
            (r = qemu_job_check_idle(dom, error)) < 0 ||
            (kind == KIND_DISK && (r = disk_unpluggable(&dom->live->disks[i], error)) < 0))
            return r;
        if (kind == KIND_MEMORY) {
            free(dom->hotplug.module_unplug);
            dom->hotplug.module_unplug = xstrdup(device_alias(dom->live, kind, (size_t) i));
        }
        return detach_live(dom, device_alias(dom->live, kind, (size_t) i), dev != NULL,
                           &config, cb, userdata, error);
    }
    r = qemu_hotplug_save_config(dom, &config, error);
    if (r >= 0 && cb)
        cb(dom, NULL, userdata);
    return r;
}

int
qemu_domain_detach_device(Domain *dom, const char *xml, unsigned flags, DomainDoneCb cb,
                          void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *dev = NULL;
    const char *type;
    int r;

    if ((r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = check_flags(flags, "qemuDomainDetachDeviceLiveAndConfig", error)) < 0 ||
        (r = domain_device_parse(xml, &dev, &type, error)) < 0 ||
        (r = device_kind(dev, type, (flags & DOMAIN_AFFECT_LIVE) ? "live detach"
                                                                 : "persistent detach",
                         error)) < 0)
        return r;
    return detach(dom, dev, NULL, flags, cb, userdata, error);
}

int
qemu_domain_detach_device_alias(Domain *dom, const char *alias, unsigned flags,
                                DomainDoneCb cb, void *userdata, Error *error)
{
    int r;

    if ((r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = check_flags(flags, "qemuDomainDetachDeviceAliasLiveAndConfig", error)) < 0)
        return r;
    return detach(dom, NULL, alias, flags, cb, userdata, error);
}

/* ---- QEMU's word ------------------------------------------------------- */

void
qemu_hotplug_device_deleted(Domain *dom, json_t *data)
{
    const char *alias = json_string_value(json_object_get(data, "device"));
    const char *path = json_string_value(json_object_get(data, "path"));
    char vcpu[32];
    unsigned id;
    int end = 0;

    /* A part of a device (a virtio backend): its device follows. But QEMU
     * 7.2 announces an unplugged vCPU only by its local APIC, a part. */
    if (!alias && path &&
        sscanf(path, "/machine/peripheral/vcpu%u/lapic%n", &id, &end) == 1 &&
        path[end] == '\0') {
        snprintf(vcpu, sizeof(vcpu), "vcpu%u", id);
        alias = vcpu;
    }
    if (!alias)
        return;
    device_removed(dom, alias);
}

void
qemu_hotplug_refused(Domain *dom, const char *alias)
{
    Error error = ERROR_INIT;

    qemu_driver_emit_device(dom, DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED, alias);
    if (STREQ_NULL(dom->hotplug.unplug_alias, alias)) {
        error_set(&error, -EIO, VIR_ERR_OPERATION_FAILED,
                  "operation failed: unplug of device was rejected by the guest");
        unplug_wait_end(dom, &error);
        error_clear(&error);
    }
}

void
qemu_hotplug_unplug_refused(Domain *dom, json_t *data)
{
    const char *alias = json_string_value(json_object_get(data, "device"));

    if (alias)
        qemu_hotplug_refused(dom, alias);
}

/* Which of the devices a guest can let go of are still in QEMU: the ones
 * whose DEVICE_DELETED came while nobody listened are removed now. */
static void
peripherals_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    DomainDef *live = dom->live;
    size_t n_gone = 0, idx;
    auto_cleanup(free_ptr) char **gone = NULL;
    json_t *item;

    if (error || !json_is_array(ret) || !live || dom->removed) {
        domain_unref(dom);
        return;
    }
    gone = xcalloc(live->n_disks + live->n_nets + 1, sizeof(*gone));
    for (size_t i = 0; i < live->n_disks + live->n_nets; i++) {
        bool is_disk = i < live->n_disks;
        const char *alias = is_disk ? live->disks[i].alias : live->nets[i - live->n_disks].alias;
        bool present = false;

        if (!alias || (is_disk && disk_unpluggable(&live->disks[i], NULL) < 0))
            continue;
        json_array_foreach(ret, idx, item)
            if (STREQ_NULL(json_string_value(json_object_get(item, "name")), alias))
                present = true;
        if (!present)
            gone[n_gone++] = (char *) alias;
    }
    /* device_removed() changes the arrays the aliases live in: copies. */
    for (size_t i = 0; i < n_gone; i++)
        gone[i] = xstrdup(gone[i]);
    for (size_t i = 0; i < n_gone; i++) {
        log_info("domain '%s': %s was unplugged while virtqemud was away", dom->def->name,
                 gone[i]);
        device_removed(dom, gone[i]);
        free(gone[i]);
    }
    domain_unref(dom);
}

void
qemu_hotplug_reconnect(Domain *dom)
{
    domain_ref(dom);
    if (qmp_command(dom->monitor.conn, "qom-list",
                    json_pack("{s:s}", "path", "/machine/peripheral"), peripherals_listed, dom,
                    NULL) < 0)
        domain_unref(dom);
}

static void
timer_closed(uv_handle_t *h)
{
    free(h);
}

void
qemu_hotplug_clear(Domain *dom)
{
    Error error = ERROR_INIT;

    if (dom->hotplug.unplug_alias) {
        error_set(&error, -EIO, VIR_ERR_OPERATION_FAILED,
                  "operation failed: domain is no longer running");
        unplug_wait_end(dom, &error);
        error_clear(&error);
    }
    qemu_media_clear(dom);
    free(steal_ptr(dom->hotplug.module_unplug));
    if (dom->hotplug.timer)
        uv_close((uv_handle_t *) steal_ptr(dom->hotplug.timer), timer_closed);
}
