/* Devices that are one -device and nothing else, plugged into and out of a
 * running guest: SCSI controllers (the only controllers libvirt 9.0
 * hotplugs), USB and virtio input devices, and PCI host devices (a managed
 * one is first taken from its host driver by virtnodedevd, and given back
 * after its removal). qemu_hotplug.c dispatches here; the attach is one
 * device_add, the detach its device_del and DEVICE_DELETED. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hostdev_usb.h"
#include "qemu_hotplug.h"

/* ---- moving devices between definitions --------------------------------- */

static void
move_controller(DomainDef *to, DomainDef *from, size_t i)
{
    *ARRAY_APPEND(to->controllers, to->n_controllers) = from->controllers[i];
    memmove(&from->controllers[i], &from->controllers[i + 1],
            (from->n_controllers - i - 1) * sizeof(*from->controllers));
    from->n_controllers--;
}

static void
move_input(DomainDef *to, DomainDef *from, size_t i)
{
    *ARRAY_APPEND(to->inputs, to->n_inputs) = from->inputs[i];
    memmove(&from->inputs[i], &from->inputs[i + 1], (from->n_inputs - i - 1) * sizeof(*from->inputs));
    from->n_inputs--;
}

/* Takes device @i (a controller or an input) out of @def and frees it. */
static void
remove_device(DomainDef *def, bool controller, size_t i)
{
    DomainDef *gone = xcalloc(1, sizeof(*gone));

    if (controller)
        move_controller(gone, def, i);
    else
        move_input(gone, def, i);
    domain_def_free(gone);
}

static ssize_t
find_controller(const DomainDef *def, ControllerType type, int index)
{
    for (size_t i = 0; i < def->n_controllers; i++)
        if (def->controllers[i].type == type && def->controllers[i].index == index)
            return (ssize_t) i;
    return -1;
}

static int
unused_index(const DomainDef *def, ControllerType type)
{
    int index = 0;

    while (find_controller(def, type, index) >= 0)
        index++;
    return index;
}

/* libvirt's virDomainInputDefEquals: type, bus, and the address if given. */
static ssize_t
find_input(const DomainDef *def, const DomainInput *in)
{
    for (size_t i = 0; i < def->n_inputs; i++) {
        const DomainInput *o = &def->inputs[i];
        if (o->type == in->type && o->bus == in->bus &&
            (in->address.type == DEVICE_ADDRESS_NONE ||
             domain_device_address_equal(&o->address, &in->address)))
            return (ssize_t) i;
    }
    return -1;
}

/* ---- attach ------------------------------------------------------------ */

typedef struct SimpleCall {
    Domain *dom;
    DomainDef *cand;     /* the live definition with the device at its end */
    bool controller;
    char *alias;
    DomainDef *config;
} SimpleCall;

static void
simple_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    SimpleCall *call = userdata;
    Domain *dom = call->dom;

    if (!error && dom->live) {
        if (call->controller)
            move_controller(dom->live, call->cand, call->cand->n_controllers - 1);
        else
            move_input(dom->live, call->cand, call->cand->n_inputs - 1);
        qemu_hotplug_finish(dom, &call->config, call->alias, NULL);
    } else {
        Error failed = ERROR_INIT;
        if (error)
            error_set(&failed, -EIO, error->code, "%s", error->message);
        else
            error_set(&failed, -EIO, VIR_ERR_OPERATION_FAILED,
                      "operation failed: domain is no longer running");
        qemu_job_end(dom, &failed);
        error_clear(&failed);
    }
    domain_def_free(call->cand);
    domain_def_free(call->config);
    free(call->alias);
    free(call);
}

static char *
next_input_alias(const DomainDef *def)
{
    unsigned next = 0;

    for (size_t i = 0; i < def->n_inputs; i++)
        next = qemu_hotplug_next_alias("input", def->inputs[i].alias, next);
    return xasprintf("input%u", next);
}

int
qemu_hotplug_simple_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                DomainDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    bool controller = dev->n_controllers == 1;
    json_t *device = NULL;
    SimpleCall *call;
    char **alias;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (controller) {
        DomainController *ctl = &dev->controllers[0];

        if (ctl->type != CONTROLLER_SCSI)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                             "Operation not supported: '%s' controller cannot be hot plugged.",
                             controller_type_to_string(ctl->type));
        if (ctl->index < 0)
            ctl->index = unused_index(dom->live, ctl->type);
        if (find_controller(dom->live, ctl->type, ctl->index) >= 0)
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                             "operation failed: target %s:%d already exists",
                             controller_type_to_string(ctl->type), ctl->index);
    } else if (dev->inputs[0].bus != INPUT_BUS_USB && dev->inputs[0].bus != INPUT_BUS_VIRTIO) {
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: input device on bus '%s' cannot be hot "
                         "plugged.", input_bus_to_string(dev->inputs[0].bus));
    }
    cand = domain_def_copy(dom->live);
    if (controller)
        move_controller(cand, dev, 0);
    else
        move_input(cand, dev, 0);
    r = qemu_hotplug_prepare(cand, error);
    if (r < 0)
        return r;
    if (controller) {
        DomainController *ctl = &cand->controllers[cand->n_controllers - 1];
        alias = &ctl->alias;
        free(*alias);
        *alias = qemu_controller_alias(cand, ctl);
    } else {
        alias = &cand->inputs[cand->n_inputs - 1].alias;
        free(*alias);
        *alias = next_input_alias(dom->live);
    }
    r = qemu_command_build_device(cand, *alias, &device, error);
    if (r < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->controller = controller;
    call->alias = xstrdup(*alias);
    call->cand = steal_ptr(cand);
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "device_add", device, simple_added, call, error);
    if (r < 0) {
        domain_def_free(call->cand);
        domain_def_free(call->config);
        free(call->alias);
        free(call);
        qemu_job_cancel(dom);
    }
    return r;
}

int
qemu_hotplug_simple_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    int r;

    if (dev->n_controllers == 1) {
        DomainController *ctl = &dev->controllers[0];

        if (ctl->index >= 0 && find_controller(def, ctl->type, ctl->index) >= 0)
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: controller index='%d' "
                             "already exists", ctl->index);
        if (ctl->index < 0)
            ctl->index = unused_index(def, ctl->type);
        move_controller(def, dev, 0);
    } else {
        move_input(def, dev, 0);
    }
    r = qemu_hotplug_prepare(def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

/* ---- detach ------------------------------------------------------------ */

/* A disk on SCSI controller @index keeps it (qemuDomainControllerIsBusy). */
static bool
controller_busy(const DomainDef *def, const DomainController *ctl)
{
    for (size_t i = 0; i < def->n_disks; i++)
        if (def->disks[i].target_bus == DISK_BUS_SCSI &&
            (int) def->disks[i].address.controller == ctl->index)
            return true;
    return false;
}

ssize_t
qemu_hotplug_simple_find(const DomainDef *def, bool live, const DomainDef *dev,
                         bool *controller, Error *error)
{
    ssize_t i;

    *controller = dev->n_controllers == 1;
    if (*controller) {
        const DomainController *ctl = &dev->controllers[0];

        if (live && ctl->type != CONTROLLER_SCSI)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                             "Operation not supported: '%s' controller cannot be hot "
                             "unplugged.", controller_type_to_string(ctl->type));
        i = find_controller(def, ctl->type, ctl->index < 0 ? 0 : ctl->index);
        if (i < 0 && live)
            return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                             "device not found: controller %s:%d not found",
                             controller_type_to_string(ctl->type), ctl->index);
        if (i < 0)
            return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                             "device not found: device not present in domain configuration");
        if (live && controller_busy(def, &def->controllers[i]))
            return error_set(error, -EBUSY, VIR_ERR_OPERATION_FAILED,
                             "operation failed: device cannot be detached: device is busy");
        return i;
    }
    i = find_input(def, &dev->inputs[0]);
    if (i < 0)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: matching input device not found");
    if (live && def->inputs[i].bus != INPUT_BUS_USB && def->inputs[i].bus != INPUT_BUS_VIRTIO)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: input device on bus '%s' cannot be "
                         "detached", input_bus_to_string(def->inputs[i].bus));
    return i;
}

void
qemu_hotplug_simple_remove(DomainDef *def, bool controller, size_t i)
{
    remove_device(def, controller, i);
}

bool
qemu_hotplug_simple_removed(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;

    if (live && live->watchdog && STREQ_NULL(live->watchdog->alias, alias)) {
        qemu_hotplug_watchdog_remove(live);
        qemu_hotplug_removed(dom, alias);
        return true;
    }

    for (size_t i = 0; live && i < live->n_controllers + live->n_inputs; i++) {
        bool controller = i < live->n_controllers;
        size_t k = controller ? i : i - live->n_controllers;
        const char *a = controller ? live->controllers[k].alias : live->inputs[k].alias;

        if (!STREQ_NULL(a, alias))
            continue;
        remove_device(live, controller, k);
        qemu_hotplug_removed(dom, alias);
        return true;
    }
    return false;
}

/* ---- PCI host devices --------------------------------------------------- */

static void
move_hostdev(DomainDef *to, DomainDef *from, size_t i)
{
    *ARRAY_APPEND(to->hostdevs, to->n_hostdevs) = from->hostdevs[i];
    memmove(&from->hostdevs[i], &from->hostdevs[i + 1],
            (from->n_hostdevs - i - 1) * sizeof(*from->hostdevs));
    from->n_hostdevs--;
}

typedef struct HostdevCall {
    Domain *dom;
    DomainDef *cand;     /* the live definition with the device at its end */
    DomainDef *config;
    json_t *device;
    char *path;          /* the node device virtnodedevd detached, or NULL */
} HostdevCall;

static void
hostdev_call_free(HostdevCall *call)
{
    domain_def_free(call->cand);
    domain_def_free(call->config);
    json_decref(call->device);
    free(call->path);
    free(call);
}

static void
hostdev_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    HostdevCall *call = userdata;
    Domain *dom = call->dom;
    Error failed = ERROR_INIT;

    if (!error && dom->live) {
        size_t n = dom->live->n_hostdevs;
        auto_cleanup(free_ptr) char *alias =
            xstrdup(call->cand->hostdevs[call->cand->n_hostdevs - 1].alias);

        /* Its node device joins the live definition's at the same index. */
        dom->res.hostdev_paths = xrealloc(dom->res.hostdev_paths,
                                          (n + 2) * sizeof(*dom->res.hostdev_paths));
        for (size_t i = dom->res.n_hostdev_paths; i < n; i++)
            dom->res.hostdev_paths[i] = NULL;
        dom->res.hostdev_paths[n] = steal_ptr(call->path);
        dom->res.n_hostdev_paths = n + 1;
        move_hostdev(dom->live, call->cand, call->cand->n_hostdevs - 1);
        qemu_hotplug_finish(dom, &call->config, alias, NULL);
    } else {
        if (error)
            error_set(&failed, -EIO, error->code, "%s", error->message);
        else
            error_set(&failed, -EIO, VIR_ERR_OPERATION_FAILED,
                      "operation failed: domain is no longer running");
        qemu_hostdev_reattach(dom, call->path);
        qemu_job_end(dom, &failed);
        error_clear(&failed);
    }
    hostdev_call_free(call);
}

static void
hostdev_plug(HostdevCall *call)
{
    Domain *dom = call->dom;
    Error error = ERROR_INIT;

    if (!dom->monitor.conn ||
        qmp_command(dom->monitor.conn, "device_add", json_incref(call->device), hostdev_added,
                    call, &error) < 0) {
        if (!error.code)
            error_set(&error, -EIO, VIR_ERR_OPERATION_FAILED,
                      "operation failed: domain is no longer running");
        qemu_hostdev_reattach(dom, call->path);
        qemu_job_end(dom, &error);
        error_clear(&error);
        hostdev_call_free(call);
    }
}

static void
hostdev_ready(Domain *dom, const char *path, const Error *error, void *userdata)
{
    HostdevCall *call = userdata;

    if (error) {
        qemu_job_end(dom, error);
        hostdev_call_free(call);
        return;
    }
    call->path = xstrdup(path);
    hostdev_plug(call);
}

static char *
next_hostdev_alias(const DomainDef *def)
{
    unsigned next = 0;

    for (size_t i = 0; i < def->n_hostdevs; i++)
        next = qemu_hotplug_next_alias("hostdev", def->hostdevs[i].alias, next);
    return xasprintf("hostdev%u", next);
}

int
qemu_hotplug_hostdev_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                 DomainDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    DomainHostdev *h;
    HostdevCall *call;
    json_t *device = NULL;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (dev->hostdevs[0].raw_xml)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: only PCI and USB host devices can be "
                         "given to a guest");
    /* A USB device is looked for on the host first, as libvirt does. */
    if (dev->hostdevs[0].type == HOSTDEV_USB &&
        ((r = qemu_usb_find(NULL, &dev->hostdevs[0], error)) < 0 ||
         (r = qemu_dac_set_device(dom, dev->hostdevs[0].usb_dev_path, "USB device", error)) < 0))
        return r;
    cand = domain_def_copy(dom->live);
    move_hostdev(cand, dev, 0);
    r = qemu_hotplug_prepare(cand, error);
    if (r < 0)
        return r;
    h = &cand->hostdevs[cand->n_hostdevs - 1];
    free(h->alias);
    h->alias = next_hostdev_alias(dom->live);
    r = qemu_command_build_device(cand, h->alias, &device, error);
    if (r < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->device = device;
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    if (h->managed && h->type == HOSTDEV_PCI) {
        if (!qemu_hostdev_detach(dom, h, hostdev_ready, call, error)) {
            hostdev_call_free(call);
            qemu_job_cancel(dom);
            return -EIO;
        }
        call->cand = steal_ptr(cand);
        return 0;
    }
    call->cand = steal_ptr(cand);
    hostdev_plug(call);
    return 0;
}

int
qemu_hotplug_hostdev_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    int r;

    if (!dev->hostdevs[0].raw_xml && qemu_hotplug_hostdev_find(def, &dev->hostdevs[0], NULL) >= 0)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: device is already in the domain "
                         "configuration");
    move_hostdev(def, dev, 0);
    r = qemu_hotplug_prepare(def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

/* libvirt's virDomainHostdevMatchSubsysUSB: by the host address when @h
 * has one, else by vendor and product. */
static bool
usb_match(const DomainHostdev *h, const DomainHostdev *o)
{
    if (h->usb_bus && h->usb_device)
        return h->usb_bus == o->usb_bus && h->usb_device == o->usb_device;
    return h->usb_vendor == o->usb_vendor && h->usb_product == o->usb_product;
}

/* libvirt's virDomainHostdevFind: the host's PCI address, or the USB
 * device. */
ssize_t
qemu_hotplug_hostdev_find(const DomainDef *def, const DomainHostdev *h, Error *error)
{
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        const DomainHostdev *o = &def->hostdevs[i];

        if (o->raw_xml || h->raw_xml || o->type != h->type)
            continue;
        if (h->type == HOSTDEV_USB ? usb_match(h, o)
                                   : domain_device_address_equal(&o->source, &h->source))
            return (ssize_t) i;
    }
    if (h->type == HOSTDEV_USB && h->usb_bus && h->usb_device)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: host usb device %03u.%03u not found", h->usb_bus,
                         h->usb_device);
    if (h->type == HOSTDEV_USB)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: host usb device vendor=0x%.4x product=0x%.4x not "
                         "found", h->usb_vendor, h->usb_product);
    return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                     "device not found: host pci device %.4x:%.2x:%.2x.%.1x not found",
                     h->source.domain, h->source.bus, h->source.slot, h->source.function);
}

void
qemu_hotplug_hostdev_remove(DomainDef *def, size_t i)
{
    DomainDef *gone = xcalloc(1, sizeof(*gone));

    move_hostdev(gone, def, i);
    domain_def_free(gone);
}

bool
qemu_hotplug_hostdev_removed(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;
    size_t n = dom->res.n_hostdev_paths;

    for (size_t i = 0; live && i < live->n_hostdevs; i++) {
        if (!STREQ_NULL(live->hostdevs[i].alias, alias))
            continue;
        if (i < n) {
            qemu_hostdev_reattach(dom, dom->res.hostdev_paths[i]);
            free(dom->res.hostdev_paths[i]);
            memmove(&dom->res.hostdev_paths[i], &dom->res.hostdev_paths[i + 1],
                    (n - i - 1) * sizeof(*dom->res.hostdev_paths));
            dom->res.n_hostdev_paths = n - 1;
        }
        qemu_hotplug_hostdev_remove(live, i);
        qemu_hotplug_removed(dom, alias);
        return true;
    }
    return false;
}

/* ---- the watchdog: one i6300esb, plugged with its action set first ------ */

typedef struct WatchdogCall {
    Domain *dom;
    DomainWatchdog *watchdog; /* the new one, address and alias set */
    json_t *device;           /* its device_add arguments */
    DomainDef *config;
} WatchdogCall;

static void
watchdog_call_free(WatchdogCall *call)
{
    /* the device's own memory, as a definition frees it */
    if (call->watchdog) {
        DomainDef *gone = xcalloc(1, sizeof(*gone));
        gone->watchdog = steal_ptr(call->watchdog);
        domain_def_free(gone);
    }
    json_decref(call->device);
    domain_def_free(call->config);
    free(call);
}

static void
watchdog_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    WatchdogCall *call = userdata;
    Domain *dom = call->dom;
    const char *alias = call->watchdog->alias;

    if (!error && dom->live) {
        char *added = xstrdup(alias);
        dom->live->watchdog = steal_ptr(call->watchdog);
        qemu_hotplug_finish(dom, &call->config, added, NULL);
        free(added);
    } else {
        Error failed = ERROR_INIT;
        error_set(&failed, -EIO, error ? error->code : VIR_ERR_OPERATION_FAILED, "%s",
                  error ? error->message : "operation failed: domain is no longer running");
        qemu_job_end(dom, &failed);
        error_clear(&failed);
    }
    watchdog_call_free(call);
}

static void
watchdog_action_set(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    WatchdogCall *call = userdata;
    Error failed = ERROR_INIT;

    if (error || !call->dom->live) {
        watchdog_added(c, NULL, error, call);
        return;
    }
    if (qmp_command(call->dom->monitor.conn, "device_add", steal_ptr(call->device),
                    watchdog_added, call, &failed) < 0) {
        watchdog_added(c, NULL, &failed, call);
        error_clear(&failed);
    }
}

int
qemu_hotplug_watchdog_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                  DomainDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    json_t *device = NULL;
    WatchdogCall *call;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (dom->live->watchdog)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain already has a watchdog");
    if (dev->watchdog->model != WATCHDOG_I6300ESB)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: hotplug of watchdog of model %s is not "
                         "supported", watchdog_model_to_string(dev->watchdog->model));
    /* Its address as the start would give it. */
    cand = domain_def_copy(dom->live);
    cand->watchdog = steal_ptr(dev->watchdog);
    if ((r = qemu_hotplug_prepare(cand, error)) < 0)
        return r;
    free(cand->watchdog->alias);
    cand->watchdog->alias = xstrdup("watchdog0");
    /* The device's arguments, as the command line has them. */
    if ((r = qemu_command_build_device(cand, "watchdog0", &device, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->device = device;
    call->watchdog = steal_ptr(cand->watchdog);
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "set-action",
                    json_pack("{s:s}", "watchdog", qemu_watchdog_action(call->watchdog->action)),
                    watchdog_action_set, call, error);
    if (r < 0) {
        watchdog_call_free(call);
        qemu_job_cancel(dom);
    }
    return r;
}

int
qemu_hotplug_watchdog_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    int r;

    if (def->watchdog)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain already has a watchdog");
    def->watchdog = steal_ptr(dev->watchdog);
    if ((r = qemu_hotplug_prepare(def, error)) < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

int
qemu_hotplug_watchdog_find(const DomainDef *def, bool live, const DomainWatchdog *w,
                           Error *error)
{
    const DomainWatchdog *have = def->watchdog;

    if (!have)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: watchdog device not present in domain "
                         "configuration");
    /* One watchdog at most: the caller's must be it (an address left out
     * matches any). */
    if (have->model != w->model || have->action != w->action ||
        (w->address.type != DEVICE_ADDRESS_NONE &&
         !domain_device_address_equal(&have->address, &w->address)))
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: model '%s' watchdog device not present in domain "
                         "configuration", watchdog_model_to_string(have->model));
    if (live && have->model != WATCHDOG_I6300ESB)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: hot unplug of watchdog of model %s is not "
                         "supported", watchdog_model_to_string(have->model));
    return 0;
}

void
qemu_hotplug_watchdog_remove(DomainDef *def)
{
    DomainDef *gone = xcalloc(1, sizeof(*gone));

    gone->watchdog = steal_ptr(def->watchdog);
    domain_def_free(gone);
}
