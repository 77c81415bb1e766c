/* What a guest borrows from the other daemons while it runs: volumes that
 * virtstoraged resolves into a path and a format, and ports on virtnetworkd's
 * networks, with the tap devices we make and attach to their bridges, and
 * host PCI devices that virtnodedevd detaches from their driver for us.
 *
 * Acquisition runs step by step on the loop (each D-Bus call is asynchronous);
 * release is best effort and never waits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"
#include "netlink.h"
#include "qemu_driver_priv.h"
#include "tap.h"

#define STORAGE_BUS "org.libvirt.storage"
#define NETWORK_BUS "org.libvirt.network"
#define NODEDEV_BUS "org.libvirt.nodedev"
#define ROOT_PATH "/org/libvirt/QEMU"

static void acquire_next(Domain *dom);

/* A D-Bus error from another daemon, in words that name the daemon when it is
 * simply not there. */
static int
bus_call_error(const sd_bus_error *be, const char *daemon, const char *what, Error *error)
{
    if (sd_bus_error_has_name(be, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
        sd_bus_error_has_name(be, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
        sd_bus_error_has_name(be, SD_BUS_ERROR_NO_REPLY) ||
        sd_bus_error_has_name(be, SD_BUS_ERROR_DISCONNECTED))
        return error_set(error, -ENOTCONN, VIR_ERR_OPERATION_FAILED,
                         "%s: %s is not running", what, daemon);
    return error_from_bus(error, be);
}

static void
acquire_fail(Domain *dom, const Error *error)
{
    QemuResourcesCb cb = steal_ptr(dom->res.res_cb);

    qemu_resources_release(dom);
    cb(dom, error);
}

/* ---- volumes ----------------------------------------------------------- */

struct QemuVolumeCall {
    Domain *dom;         /* a reference */
    sd_bus_slot *slot;
    char *what;          /* for the error: "cannot resolve volume ..." */
    QemuVolumeCb cb;
    void *userdata;
};

void
qemu_volume_cancel(QemuVolumeCall *call)
{
    if (!call)
        return;
    sd_bus_slot_unref(call->slot);
    domain_unref(call->dom);
    free(call->what);
    free(call);
}

static int
volume_resolved(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    QemuVolumeCall *call = userdata;
    Error error = ERROR_INIT;
    const char *path = NULL, *format = NULL;

    call->slot = sd_bus_slot_unref(call->slot);
    if (sd_bus_message_is_method_error(reply, NULL))
        bus_call_error(sd_bus_message_get_error(reply), "virtstoraged", call->what, &error);
    else if (sd_bus_message_read(reply, "ss", &path, &format) < 0)
        error_set(&error, -EBADMSG, VIR_ERR_INTERNAL_ERROR, "%s: bad reply", call->what);
    call->cb(call->dom, error.code ? NULL : path, format, error.code ? &error : NULL,
             call->userdata);
    error_clear(&error);
    qemu_volume_cancel(call); /* done: only the memory is left */
    return 0;
}

QemuVolumeCall *
qemu_volume_resolve(Domain *dom, const DomainDisk *disk, QemuVolumeCb cb, void *userdata,
                    Error *error)
{
    QemuVolumeCall *call = xcalloc(1, sizeof(*call));
    int r;

    domain_ref(dom);
    call->dom = dom;
    call->cb = cb;
    call->userdata = userdata;
    call->what = xasprintf("cannot resolve volume '%s' of pool '%s' for disk '%s'",
                           str_or_empty(disk->source_volume), str_or_empty(disk->source_pool),
                           disk->target_dev ? disk->target_dev : "?");
    r = sd_bus_call_method_async(dom->drv->cfg.bus, &call->slot, STORAGE_BUS, ROOT_PATH,
                                 "org.virtstack.Storage", "ResolveVolume", volume_resolved,
                                 call, "ss", str_or_empty(disk->source_pool),
                                 str_or_empty(disk->source_volume));
    if (r < 0) {
        error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                        "cannot ask virtstoraged for volume '%s'",
                        str_or_empty(disk->source_volume));
        qemu_volume_cancel(call);
        return NULL;
    }
    return call;
}

void
qemu_volume_apply(DomainDisk *disk, const char *path, const char *format)
{
    /* The running definition names the file itself: the live XML shows it. */
    disk->type = strncmp(path, "/dev/", 5) == 0 ? DISK_TYPE_BLOCK : DISK_TYPE_FILE;
    free(disk->source);
    disk->source = xstrdup(path);
    if (!disk->driver_type && format && *format)
        disk->driver_type = xstrdup(format);
}

static void
start_volume_done(Domain *dom, const char *path, const char *format, const Error *error,
                  void *userdata)
{
    dom->res.res_volume = NULL;
    if (error) {
        acquire_fail(dom, error);
        return;
    }
    qemu_volume_apply(&dom->live->disks[dom->res.res_disk], path, format);
    dom->res.res_disk++;
    acquire_next(dom);
}

/* ---- network ports ----------------------------------------------------- */

int
qemu_tap_attach(const DomainNet *net, const char *bridge, unsigned mtu, char **ret_name,
                int *ret_fd, Error *error)
{
    auto_cleanup(free_ptr) char *name = NULL;
    uint8_t mac[6];
    int fd = -1, r;

    r = tap_create(net->target_dev ? net->target_dev : "vnet%d", &name, &fd, error);
    if (r < 0)
        return r;
    if (mtu == 0 && net->mtu)
        mtu = net->mtu;
    /* As libvirt: the tap gets the guest's MAC with 0xfe first, so that the
     * bridge never takes the guest's own address as its own. */
    if (sscanf(net->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
               &mac[4], &mac[5]) == 6) {
        mac[0] = 0xfe;
        r = netlink_link_set_mac(name, mac, error);
    }
    if (r >= 0 && mtu)
        r = netlink_link_set_mtu(name, mtu, error);
    if (r >= 0)
        r = netlink_link_set_master(name, bridge, error);
    if (r >= 0)
        r = netlink_link_set_up(name, true, error);
    if (r < 0) {
        close(fd);
        return r;
    }
    *ret_name = steal_ptr(name);
    *ret_fd = fd;
    return 0;
}

/* A port being asked for: NetworkLookupByName, then PortCreate. */
struct QemuPortCall {
    Domain *dom;         /* a reference */
    sd_bus_slot *slot;
    char *mac, *network;
    uint64_t floor;
    char *network_path;  /* once found */
    QemuPortCb cb;
    void *userdata;
};

void
qemu_port_cancel(QemuPortCall *call)
{
    if (!call)
        return;
    sd_bus_slot_unref(call->slot);
    domain_unref(call->dom);
    free(call->mac);
    free(call->network);
    free(call->network_path);
    free(call);
}

static void
port_done(QemuPortCall *call, const char *port, const char *bridge, unsigned mtu,
          const sd_bus_error *be, int r)
{
    Error error = ERROR_INIT;

    call->slot = sd_bus_slot_unref(call->slot);
    if (be || r < 0) {
        auto_cleanup(free_ptr) char *what =
            xasprintf("cannot connect interface %s of domain '%s' to network '%s'", call->mac,
                      call->dom->def->name, call->network);
        if (be)
            bus_call_error(be, "virtnetworkd", what, &error);
        else
            error_set_errno(&error, r, VIR_ERR_INTERNAL_ERROR, "%s", what);
    }
    call->cb(call->dom, call->network_path, port, bridge, mtu, error.code ? &error : NULL,
             call->userdata);
    error_clear(&error);
    qemu_port_cancel(call); /* done: only the memory is left */
}

static int
port_created(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    QemuPortCall *call = userdata;
    const char *port, *bridge;
    uint32_t mtu;

    if (sd_bus_message_is_method_error(reply, NULL))
        port_done(call, NULL, NULL, 0, sd_bus_message_get_error(reply), 0);
    else if (sd_bus_message_read(reply, "ssu", &port, &bridge, &mtu) < 0)
        port_done(call, NULL, NULL, 0, NULL, -EBADMSG);
    else
        port_done(call, port, bridge, mtu, NULL, 0);
    return 0;
}

static int
network_found(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    QemuPortCall *call = userdata;
    Domain *dom = call->dom;
    char uuid[UUID_STRING_LEN];
    const char *path;
    int r;

    call->slot = sd_bus_slot_unref(call->slot);
    if (sd_bus_message_is_method_error(reply, NULL)) {
        port_done(call, NULL, NULL, 0, sd_bus_message_get_error(reply), 0);
        return 0;
    }
    r = sd_bus_message_read(reply, "o", &path);
    if (r >= 0) {
        call->network_path = xstrdup(path);
        r = sd_bus_call_method_async(dom->drv->cfg.bus, &call->slot, NETWORK_BUS, path,
                                     "org.virtstack.NetworkPorts", "PortCreate", port_created,
                                     call, "ssst", uuid_format(&dom->def->uuid, uuid),
                                     dom->def->name, call->mac, call->floor);
    }
    if (r < 0)
        port_done(call, NULL, NULL, 0, NULL, r);
    return 0;
}

QemuPortCall *
qemu_port_create(Domain *dom, const DomainNet *net, QemuPortCb cb, void *userdata,
                 Error *error)
{
    QemuPortCall *call = xcalloc(1, sizeof(*call));
    int r;

    domain_ref(dom);
    call->dom = dom;
    call->mac = xstrdup(net->mac);
    call->network = xstrdup(str_or_empty(net->source));
    call->floor = bandwidth_has_floor(&net->bandwidth) ? net->bandwidth.in.floor : 0;
    call->cb = cb;
    call->userdata = userdata;
    r = sd_bus_call_method_async(dom->drv->cfg.bus, &call->slot, NETWORK_BUS, ROOT_PATH,
                                 "org.libvirt.Connect", "NetworkLookupByName", network_found,
                                 call, "s", call->network);
    if (r < 0) {
        error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                        "cannot ask virtnetworkd for network '%s'", call->network);
        qemu_port_cancel(call);
        return NULL;
    }
    return call;
}

typedef struct FloorCall {
    Domain *dom;
    DomainDoneCb cb;
    void *userdata;
} FloorCall;

static int
floor_set(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    FloorCall *call = userdata;
    Error error = ERROR_INIT;

    if (sd_bus_message_is_method_error(reply, NULL))
        bus_call_error(sd_bus_message_get_error(reply), "virtnetworkd",
                       "cannot change the port's floor", &error);
    call->cb(call->dom, error.code ? &error : NULL, call->userdata);
    error_clear(&error);
    domain_unref(call->dom);
    free(call);
    return 0;
}

int
qemu_port_set_floor(Domain *dom, size_t net, uint64_t floor, DomainDoneCb cb, void *userdata,
                    Error *error)
{
    FloorCall *call;
    int r;

    if (net >= dom->res.n_ports || !dom->res.port_ids[net] || !dom->res.port_nets[net])
        return error_set(error, -ENOENT, VIR_ERR_OPERATION_FAILED,
                         "operation failed: interface %zu has no network port", net);
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->cb = cb;
    call->userdata = userdata;
    domain_ref(dom);
    r = sd_bus_call_method_async(dom->drv->cfg.bus, NULL, NETWORK_BUS, dom->res.port_nets[net],
                                 "org.virtstack.NetworkPorts", "PortSetFloor", floor_set, call,
                                 "st", dom->res.port_ids[net], floor);
    if (r < 0) {
        domain_unref(dom);
        free(call);
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot ask virtnetworkd for the port's floor");
    }
    return 0;
}

void
qemu_port_delete(Domain *dom, const char *network_path, const char *port_id)
{
    if (!network_path || !port_id)
        return;
    /* Fire and forget: a virtnetworkd that is away drops the port when it
     * finds the guest gone. */
    sd_bus_call_method_async(dom->drv->cfg.bus, NULL, NETWORK_BUS, network_path,
                             "org.virtstack.NetworkPorts", "PortDelete", NULL, NULL, "s",
                             port_id);
}

/* A start's tap on @bridge for interface res_net. */
static int
start_tap(Domain *dom, const char *bridge, unsigned mtu, Error *error)
{
    DomainNet *net = &dom->live->nets[dom->res.res_net];
    char *name;
    int r;

    r = qemu_tap_attach(net, bridge, mtu, &name, &dom->res.net_fds[dom->res.res_net], error);
    if (r < 0)
        return r;
    free(net->target_dev);
    net->target_dev = name;
    return 0;
}

static void
start_port_done(Domain *dom, const char *network_path, const char *port, const char *bridge,
                unsigned mtu, const Error *error, void *userdata)
{
    size_t i = dom->res.res_net;
    Error tap_error = ERROR_INIT;

    dom->res.res_port = NULL;
    if (error) {
        acquire_fail(dom, error);
        return;
    }
    dom->res.port_nets[i] = xstrdup(network_path);
    dom->res.port_ids[i] = xstrdup(port);
    if (start_tap(dom, bridge, mtu, &tap_error) < 0) {
        acquire_fail(dom, &tap_error);
        error_clear(&tap_error);
        return;
    }
    dom->res.res_net++;
    acquire_next(dom);
}

/* ---- host devices ------------------------------------------------------ */

/* A PCI device taken from its host driver: NodeDeviceLookupByName, then
 * Detach to vfio. */
struct QemuHostdevCall {
    Domain *dom;         /* a reference */
    sd_bus_slot *slot;
    char *what;          /* "%04x:%02x:%02x.%x for domain '...'" */
    char *path;          /* the node device, once found */
    QemuHostdevCb cb;
    void *userdata;
};

void
qemu_hostdev_cancel(QemuHostdevCall *call)
{
    if (!call)
        return;
    sd_bus_slot_unref(call->slot);
    domain_unref(call->dom);
    free(call->what);
    free(call->path);
    free(call);
}

static void
hostdev_done(QemuHostdevCall *call, const char *verb, const sd_bus_error *be, int r)
{
    Error error = ERROR_INIT;

    call->slot = sd_bus_slot_unref(call->slot);
    if (be || r < 0) {
        auto_cleanup(free_ptr) char *what = xasprintf("cannot %s host device %s", verb,
                                                      call->what);
        if (be)
            bus_call_error(be, "virtnodedevd", what, &error);
        else
            error_set_errno(&error, r, VIR_ERR_INTERNAL_ERROR, "%s", what);
    }
    call->cb(call->dom, error.code ? NULL : call->path, error.code ? &error : NULL,
             call->userdata);
    error_clear(&error);
    qemu_hostdev_cancel(call); /* done: only the memory is left */
}

static int
hostdev_detached(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    QemuHostdevCall *call = userdata;

    hostdev_done(call, "detach",
                 sd_bus_message_is_method_error(reply, NULL) ? sd_bus_message_get_error(reply)
                                                              : NULL, 0);
    return 0;
}

static int
hostdev_found(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    QemuHostdevCall *call = userdata;
    const char *path;
    int r;

    call->slot = sd_bus_slot_unref(call->slot);
    if (sd_bus_message_is_method_error(reply, NULL)) {
        hostdev_done(call, "find", sd_bus_message_get_error(reply), 0);
        return 0;
    }
    r = sd_bus_message_read(reply, "o", &path);
    if (r >= 0) {
        call->path = xstrdup(path);
        r = sd_bus_call_method_async(call->dom->drv->cfg.bus, &call->slot, NODEDEV_BUS, path,
                                     "org.libvirt.NodeDevice", "Detach", hostdev_detached,
                                     call, "su", "vfio", 0);
    }
    if (r < 0)
        hostdev_done(call, "detach", NULL, r);
    return 0;
}

QemuHostdevCall *
qemu_hostdev_detach(Domain *dom, const DomainHostdev *h, QemuHostdevCb cb, void *userdata,
                    Error *error)
{
    QemuHostdevCall *call = xcalloc(1, sizeof(*call));
    char name[64];
    int r;

    /* libvirt's node device name for a PCI function. */
    snprintf(name, sizeof(name), "pci_%04x_%02x_%02x_%x", h->source.domain, h->source.bus,
             h->source.slot, h->source.function);
    domain_ref(dom);
    call->dom = dom;
    call->cb = cb;
    call->userdata = userdata;
    call->what = xasprintf("%04x:%02x:%02x.%x for domain '%s'", h->source.domain,
                           h->source.bus, h->source.slot, h->source.function, dom->def->name);
    r = sd_bus_call_method_async(dom->drv->cfg.bus, &call->slot, NODEDEV_BUS, ROOT_PATH,
                                 "org.libvirt.Connect", "NodeDeviceLookupByName",
                                 hostdev_found, call, "s", name);
    if (r < 0) {
        error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                        "cannot ask virtnodedevd for host device '%s'", name);
        qemu_hostdev_cancel(call);
        return NULL;
    }
    return call;
}

void
qemu_hostdev_reattach(Domain *dom, const char *path)
{
    /* The host gets its device back once QEMU no longer holds it. */
    if (path)
        sd_bus_call_method_async(dom->drv->cfg.bus, NULL, NODEDEV_BUS, path,
                                 "org.libvirt.NodeDevice", "ReAttach", NULL, NULL, NULL);
}

static void
start_hostdev_done(Domain *dom, const char *path, const Error *error, void *userdata)
{
    dom->res.res_hostdev_call = NULL;
    if (error) {
        acquire_fail(dom, error);
        return;
    }
    dom->res.hostdev_paths[dom->res.res_hostdev] = xstrdup(path);
    dom->res.res_hostdev++;
    acquire_next(dom);
}

/* ---- the steps --------------------------------------------------------- */

static void
acquire_next(Domain *dom)
{
    DomainDef *def = dom->live;
    Error error = ERROR_INIT;
    QemuResourcesCb cb;

    for (; dom->res.res_disk < def->n_disks; dom->res.res_disk++) {
        DomainDisk *disk = &def->disks[dom->res.res_disk];
        if (disk->type != DISK_TYPE_VOLUME)
            continue;
        dom->res.res_volume = qemu_volume_resolve(dom, disk, start_volume_done, NULL, &error);
        if (!dom->res.res_volume) {
            acquire_fail(dom, &error);
            error_clear(&error);
        }
        return;
    }
    for (; dom->res.res_net < def->n_nets; dom->res.res_net++) {
        DomainNet *net = &def->nets[dom->res.res_net];

        if (net->type == NET_TYPE_BRIDGE) {
            if (start_tap(dom, net->source, 0, &error) < 0) {
                acquire_fail(dom, &error);
                error_clear(&error);
                return;
            }
            continue;
        }
        if (net->type != NET_TYPE_NETWORK)
            continue;
        dom->res.res_port = qemu_port_create(dom, net, start_port_done, NULL, &error);
        if (!dom->res.res_port) {
            acquire_fail(dom, &error);
            error_clear(&error);
        }
        return;
    }
    for (; dom->res.res_hostdev < def->n_hostdevs; dom->res.res_hostdev++) {
        DomainHostdev *h = &def->hostdevs[dom->res.res_hostdev];

        if (h->raw_xml || h->type != HOSTDEV_PCI || !h->managed)
            continue;
        dom->res.res_hostdev_call = qemu_hostdev_detach(dom, h, start_hostdev_done, NULL,
                                                        &error);
        if (!dom->res.res_hostdev_call) {
            acquire_fail(dom, &error);
            error_clear(&error);
        }
        return;
    }
    cb = steal_ptr(dom->res.res_cb);
    cb(dom, NULL);
}

void
qemu_resources_acquire(Domain *dom, QemuResourcesCb cb)
{
    size_t n = dom->live->n_nets;

    qemu_resources_clear(dom);
    dom->res.n_ports = n;
    dom->res.net_fds = xcalloc(n + 1, sizeof(int));
    for (size_t i = 0; i < n; i++)
        dom->res.net_fds[i] = -1;
    dom->res.port_ids = xcalloc(n + 1, sizeof(char *));
    dom->res.port_nets = xcalloc(n + 1, sizeof(char *));
    dom->res.n_hostdev_paths = dom->live->n_hostdevs;
    dom->res.hostdev_paths = xcalloc(dom->res.n_hostdev_paths + 1, sizeof(char *));
    dom->res.res_cb = cb;
    dom->res.res_disk = 0;
    dom->res.res_net = 0;
    dom->res.res_hostdev = 0;
    acquire_next(dom);
}

/* QEMU holds the taps now (or failed to start): our copies go. */
void
qemu_resources_close_fds(Domain *dom)
{
    for (size_t i = 0; dom->res.net_fds && i < dom->res.n_ports; i++) {
        if (dom->res.net_fds[i] >= 0)
            close(dom->res.net_fds[i]);
        dom->res.net_fds[i] = -1;
    }
}

/* Gives the ports back. The taps vanish with the last fd (QEMU's). */
void
qemu_resources_release(Domain *dom)
{
    qemu_resources_close_fds(dom);
    qemu_port_cancel(steal_ptr(dom->res.res_port));
    qemu_volume_cancel(steal_ptr(dom->res.res_volume));
    for (size_t i = 0; dom->res.port_ids && i < dom->res.n_ports; i++) {
        if (dom->res.port_nets)
            qemu_port_delete(dom, dom->res.port_nets[i], dom->res.port_ids[i]);
        free(steal_ptr(dom->res.port_ids[i]));
    }
    qemu_hostdev_cancel(steal_ptr(dom->res.res_hostdev_call));
    for (size_t i = 0; dom->res.hostdev_paths && i < dom->res.n_hostdev_paths; i++) {
        qemu_hostdev_reattach(dom, dom->res.hostdev_paths[i]);
        free(steal_ptr(dom->res.hostdev_paths[i]));
    }
}

void
qemu_resources_clear(Domain *dom)
{
    qemu_resources_close_fds(dom);
    qemu_port_cancel(steal_ptr(dom->res.res_port));
    qemu_volume_cancel(steal_ptr(dom->res.res_volume));
    qemu_hostdev_cancel(steal_ptr(dom->res.res_hostdev_call));
    for (size_t i = 0; i < dom->res.n_ports; i++) {
        if (dom->res.port_ids)
            free(dom->res.port_ids[i]);
        if (dom->res.port_nets)
            free(dom->res.port_nets[i]);
    }
    for (size_t i = 0; dom->res.hostdev_paths && i < dom->res.n_hostdev_paths; i++)
        free(dom->res.hostdev_paths[i]);
    free(steal_ptr(dom->res.hostdev_paths));
    dom->res.n_hostdev_paths = 0;
    free(steal_ptr(dom->res.net_fds));
    free(steal_ptr(dom->res.port_ids));
    free(steal_ptr(dom->res.port_nets));
    dom->res.n_ports = 0;
}
