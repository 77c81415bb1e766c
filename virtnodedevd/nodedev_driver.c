/* The device table, the uevent monitor and PCI passthrough. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-device.h>
#include <systemd/sd-hwdb.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "nodedev_driver.h"
#include "nodedev_props.h"
#include "obj_list.h"
#include "object_path.h"

struct NodeDevDriver {
    uv_loop_t *loop;
    char *sysfs;
    NodeDevHooks hooks;
    void *hooks_userdata;
    sd_hwdb *hwdb;      /* while enumerating: the mapped hardware database, else NULL */
    ObjList devs;       /* in the order found */
    int uevent_fd;
    uv_poll_t poll;
    bool poll_started;
};

OBJ_LIST_KEY_STR(dev_key_name, NodeDev, o->name)
OBJ_LIST_KEY_STR(dev_key_path, NodeDev, o->path)

static const ObjListKind nodedev_kind = {
    .name = dev_key_name,
    .path = dev_key_path,
};

/* ---- the table --------------------------------------------------------- */

static void
nodedev_free(NodeDev *dev)
{
    if (!dev)
        return;
    free(dev->name);
    free(dev->path);
    free(dev->syspath);
    node_device_def_free(dev->def);
    free(dev->orig_driver);
    free(dev);
}

static NodeDev *
find_syspath(NodeDevDriver *drv, const char *syspath)
{
    for (size_t i = 0; i < obj_list_count(&drv->devs); i++) {
        NodeDev *dev = obj_list_nth(&drv->devs, i);

        if (STREQ_NULL(dev->syspath, syspath))
            return dev;
    }
    return NULL;
}

static NodeDev *
find_name(NodeDevDriver *drv, const char *name)
{
    return obj_list_find_name(&drv->devs, name);
}

/* The nearest ancestor (by sysfs path) that is a node device. */
static const char *
parent_name(NodeDevDriver *drv, const char *syspath)
{
    auto_cleanup(free_ptr) char *p = xstrdup(syspath);
    char *slash;

    while ((slash = strrchr(p, '/')) && slash > p) {
        NodeDev *a;

        *slash = '\0';
        a = find_syspath(drv, p);
        if (a)
            return a->name;
    }
    return "computer";
}

/* Reads the device at @syspath into a definition; 0 (and NULL) when it is
 * not a node device or is gone. */
static int
read_device(NodeDevDriver *drv, const char *syspath, NodeDeviceDef **ret, Error *error)
{
    sd_device *dev = NULL;
    NodeDevProps props = { NULL };
    int r;

    *ret = NULL;
    r = sd_device_new_from_syspath(&dev, syspath);
    if (r < 0)
        return 0;
    /* A device that comes later maps the database for itself: kept mapped,
     * its pages would stay in our memory for good. */
    if (!drv->hwdb) {
        sd_hwdb *hwdb = NULL;

        if (sd_hwdb_new(&hwdb) < 0)
            hwdb = NULL;
        r = node_dev_props_from_device(dev, hwdb, &props);
        sd_hwdb_unref(hwdb);
    } else {
        r = node_dev_props_from_device(dev, drv->hwdb, &props);
    }
    sd_device_unref(dev);
    if (r <= 0)
        return r;
    node_dev_props_set(&props, "PARENT", parent_name(drv, syspath));
    r = node_dev_props_to_def(&props, ret, error);
    node_dev_props_clear(&props);
    if (r == -ENODEV) {
        log_debug("%s: %s", syspath, error ? error->message : "not a node device");
        error_clear(error);
        return 0;
    }
    return r;
}

static NodeDev *
insert(NodeDevDriver *drv, NodeDeviceDef *def)
{
    NodeDev *dev = xcalloc(1, sizeof(*dev));
    dev->name = xstrdup(def->name);
    dev->path = object_path_from_name(NODEDEV_BUS_PREFIX, def->name);
    dev->syspath = def->sysfs_path ? xstrdup(def->sysfs_path) : NULL;
    dev->def = def;
    obj_list_add(&drv->devs, dev);
    return dev;
}

static void
remove_dev(NodeDevDriver *drv, NodeDev *dev)
{
    if (obj_list_find_path(&drv->devs, dev->path) != dev)
        return;
    if (drv->hooks.removed)
        drv->hooks.removed(dev, drv->hooks_userdata);
    obj_list_remove(&drv->devs, dev);
    nodedev_free(dev);
}

static int
cmp_syspath_len(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *) a), lb = strlen(*(char *const *) b);

    return la < lb ? -1 : la > lb ? 1 : strcmp(*(char *const *) a, *(char *const *) b);
}

static int
enumerate(NodeDevDriver *drv, Error *error)
{
    sd_device_enumerator *e = NULL;
    auto_cleanup(strv_freep) char **paths = NULL;
    NodeDevProps cprops = { NULL };
    NodeDeviceDef *def = NULL;
    int r;

    node_dev_props_computer(drv->sysfs, &cprops);
    r = node_dev_props_to_def(&cprops, &def, error);
    node_dev_props_clear(&cprops);
    if (r < 0)
        return r;
    insert(drv, def);

    r = sd_device_enumerator_new(&e);
    /* Without udevd nothing is "initialized": take every device. */
    if (r >= 0)
        r = sd_device_enumerator_allow_uninitialized(e);
    if (r < 0) {
        sd_device_enumerator_unref(e);
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot enumerate the host's devices");
    }
    for (sd_device *d = sd_device_enumerator_get_device_first(e); d;
         d = sd_device_enumerator_get_device_next(e)) {
        const char *sp;

        if (sd_device_get_syspath(d, &sp) >= 0)
            strv_push(&paths, xstrdup(sp));
    }
    sd_device_enumerator_unref(e);
    if (!paths)
        return 0;
    /* Ancestors first, so that each device finds its parent. */
    qsort(paths, strv_length(paths), sizeof(char *), cmp_syspath_len);
    for (size_t i = 0; paths[i]; i++) {
        r = read_device(drv, paths[i], &def, error);
        if (r < 0) {
            log_warn("skipping %s: %s", paths[i], error->message);
            error_clear(error);
            continue;
        }
        if (def && find_name(drv, def->name)) {
            log_warn("skipping %s: a device named '%s' exists", paths[i], def->name);
            node_device_def_free(def);
            continue;
        }
        if (def)
            insert(drv, def);
    }
    return 0;
}

/* ---- uevents ------------------------------------------------------------ */

static bool
defs_equal(const NodeDeviceDef *a, const NodeDeviceDef *b)
{
    auto_cleanup(free_ptr) char *xa = node_device_def_format(a);
    auto_cleanup(free_ptr) char *xb = node_device_def_format(b);

    return STREQ(xa, xb);
}

static void
device_added_or_changed(NodeDevDriver *drv, const char *syspath)
{
    Error error = ERROR_INIT;
    NodeDeviceDef *def = NULL;
    NodeDev *dev = find_syspath(drv, syspath);
    int r;

    r = read_device(drv, syspath, &def, &error);
    if (r < 0) {
        log_warn("cannot read device %s: %s", syspath, error.message);
        error_clear(&error);
        return;
    }
    if (dev && def && STREQ(dev->name, def->name)) {
        if (defs_equal(dev->def, def)) {
            node_device_def_free(def);
            return;
        }
        node_device_def_free(dev->def);
        dev->def = def;
        if (drv->hooks.updated)
            drv->hooks.updated(dev, drv->hooks_userdata);
        return;
    }
    /* A new device, or one whose name changed (a new MAC address). */
    if (dev)
        remove_dev(drv, dev);
    if (!def)
        return;
    if (find_name(drv, def->name)) {
        log_warn("ignoring %s: a device named '%s' exists", syspath, def->name);
        node_device_def_free(def);
        return;
    }
    dev = insert(drv, def);
    if (drv->hooks.added)
        drv->hooks.added(dev, drv->hooks_userdata);
}

static void
device_removed(NodeDevDriver *drv, const char *syspath)
{
    NodeDev *dev = find_syspath(drv, syspath);

    if (dev)
        remove_dev(drv, dev);
}

/* One kernel uevent: "ACTION@DEVPATH\0KEY=VALUE\0...". */
static void
handle_uevent(NodeDevDriver *drv, const char *buf, size_t len)
{
    const char *action = NULL, *devpath = NULL, *devpath_old = NULL;
    auto_cleanup(free_ptr) char *syspath = NULL;
    size_t off = strnlen(buf, len) + 1;

    if (off >= len || !strchr(buf, '@'))
        return;
    while (off < len) {
        const char *kv = buf + off;
        size_t l = strnlen(kv, len - off);

        if (strncmp(kv, "ACTION=", 7) == 0)
            action = kv + 7;
        else if (strncmp(kv, "DEVPATH=", 8) == 0)
            devpath = kv + 8;
        else if (strncmp(kv, "DEVPATH_OLD=", 12) == 0)
            devpath_old = kv + 12;
        off += l + 1;
    }
    if (!action || !devpath)
        return;
    syspath = xasprintf("%s%s", drv->sysfs, devpath);
    log_debug("uevent %s %s", action, syspath);
    if (STREQ(action, "remove")) {
        device_removed(drv, syspath);
    } else if (STREQ(action, "move")) {
        if (devpath_old) {
            auto_cleanup(free_ptr) char *old = xasprintf("%s%s", drv->sysfs, devpath_old);
            device_removed(drv, old);
        }
        device_added_or_changed(drv, syspath);
    } else {
        /* add, change, bind, unbind, online, offline */
        device_added_or_changed(drv, syspath);
    }
}

static void
on_uevent(uv_poll_t *handle, int status, int events)
{
    NodeDevDriver *drv = handle->data;
    char buf[16384];

    for (;;) {
        struct sockaddr_nl sa;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
                              .msg_iovlen = 1 };
        ssize_t n = recvmsg(drv->uevent_fd, &msg, MSG_DONTWAIT);

        if (n < 0) {
            if (errno == ENOBUFS) {
                /* Events were lost: the table may be stale. */
                log_warn("uevent socket overrun; some device changes were missed");
                continue;
            }
            return;
        }
        /* Only the kernel speaks on its group; anything else is ignored. */
        if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC))
            continue;
        buf[n] = '\0';
        handle_uevent(drv, buf, n);
    }
}

/* sd_device_monitor (libsystemd 252) only listens to udevd's group, and
 * offers no public way to choose the kernel's: there is no udevd here, so
 * the kernel's uevents are read directly and each device is then read
 * through sd_device_new_from_syspath(). */
static int
open_uevent_socket(Error *error)
{
    struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 /* kernel */ };
    int fd, size = 4 * 1024 * 1024;

    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot open the kernel's uevent socket");
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        int r = -errno;
        close(fd);
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot bind the kernel's uevent socket");
    }
    return fd;
}

int
nodedev_driver_new(const NodeDevDriverConfig *cfg, NodeDevDriver **ret, Error *error)
{
    NodeDevDriver *drv = xcalloc(1, sizeof(*drv));
    int r;

    obj_list_init(&drv->devs, &nodedev_kind);
    drv->loop = cfg->loop;
    drv->sysfs = xstrdup(cfg->sysfs ? cfg->sysfs : "/sys");
    drv->hooks = cfg->hooks;
    drv->hooks_userdata = cfg->hooks_userdata;
    drv->uevent_fd = -1;
    if (sd_hwdb_new(&drv->hwdb) < 0)
        drv->hwdb = NULL;
    if (drv->loop) {
        r = open_uevent_socket(error);
        if (r < 0)
            goto fail;
        drv->uevent_fd = r;
    }
    r = enumerate(drv, error);
    drv->hwdb = sd_hwdb_unref(drv->hwdb);
    if (r < 0)
        goto fail;
    if (drv->loop) {
        r = uv_poll_init(drv->loop, &drv->poll, drv->uevent_fd);
        if (r < 0) {
            error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR, "cannot watch the uevent socket: %s",
                      uv_strerror(r));
            r = -EIO;
            goto fail;
        }
        drv->poll.data = drv;
        drv->poll_started = true;
        uv_poll_start(&drv->poll, UV_READABLE, on_uevent);
    }
    *ret = drv;
    return 0;

fail:
    nodedev_driver_free(drv);
    return r;
}

static void
driver_release(NodeDevDriver *drv)
{
    for (size_t i = 0; i < obj_list_count(&drv->devs); i++)
        nodedev_free(obj_list_nth(&drv->devs, i));
    obj_list_clear(&drv->devs);
    if (drv->uevent_fd >= 0)
        close(drv->uevent_fd);
    sd_hwdb_unref(drv->hwdb);
    free(drv->sysfs);
    free(drv);
}

static void
on_poll_closed(uv_handle_t *h)
{
    driver_release(h->data);
}

void
nodedev_driver_free(NodeDevDriver *drv)
{
    if (!drv)
        return;
    if (drv->poll_started)
        uv_close((uv_handle_t *) &drv->poll, on_poll_closed);
    else
        driver_release(drv);
}

/* ---- queries ------------------------------------------------------------ */

int
nodedev_driver_lookup_name(NodeDevDriver *drv, const char *name, NodeDev **ret, Error *error)
{
    NodeDev *dev = find_name(drv, name);

    if (!dev)
        return error_set(error, -ENOENT, VIR_ERR_NO_NODE_DEVICE,
                         "Node device not found: no node device with matching name '%s'",
                         name);
    *ret = dev;
    return 0;
}

int
nodedev_driver_lookup_path(NodeDevDriver *drv, const char *path, NodeDev **ret, Error *error)
{
    NodeDev *dev = obj_list_find_path(&drv->devs, path);

    if (dev) {
        *ret = dev;
        return 0;
    }
    return error_set(error, -ENOENT, VIR_ERR_NO_NODE_DEVICE,
                     "Node device not found: no node device at '%s'", path ? path : "");
}

int
nodedev_driver_lookup_scsi_host_by_wwn(NodeDevDriver *drv, const char *wwnn, const char *wwpn,
                                       NodeDev **ret, Error *error)
{
    return error_set(error, -ENOENT, VIR_ERR_NO_NODE_DEVICE,
                     "Node device not found: no node device for SCSI host with matching "
                     "wwnn '%s' and wwpn '%s'", wwnn, wwpn);
}

int
nodedev_driver_list(NodeDevDriver *drv, uint32_t flags, NodeDev ***ret, size_t *ret_n,
                    Error *error)
{
    const uint32_t known = NODEDEV_LIST_KNOWN;
    NodeDev **list;
    size_t n = 0;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function ListNodeDevices", flags & ~known);
    list = xcalloc(obj_list_count(&drv->devs) + 1, sizeof(*list));
    for (size_t i = 0; i < obj_list_count(&drv->devs); i++)
        if (node_device_def_matches(((NodeDev *) obj_list_nth(&drv->devs, i))->def, flags))
            list[n++] = obj_list_nth(&drv->devs, i);
    *ret = list;
    *ret_n = n;
    return 0;
}

size_t
nodedev_driver_count(NodeDevDriver *drv)
{
    return obj_list_count(&drv->devs);
}

NodeDev *
nodedev_driver_nth(NodeDevDriver *drv, size_t i)
{
    return obj_list_nth(&drv->devs, i);
}

int
nodedev_driver_get_xml(NodeDevDriver *drv, NodeDev *dev, uint32_t flags, char **ret_xml,
                       Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function GetXMLDesc", flags);
    if (dev->syspath) {
        Error e = ERROR_INIT;
        NodeDeviceDef *def = NULL;

        /* A device that vanished meanwhile keeps its last known state until
         * its remove uevent arrives. */
        if (read_device(drv, dev->syspath, &def, &e) >= 0 && def && STREQ(def->name, dev->name)) {
            if (!defs_equal(def, dev->def)) {
                node_device_def_free(dev->def);
                dev->def = steal_ptr(def);
                if (drv->hooks.updated)
                    drv->hooks.updated(dev, drv->hooks_userdata);
            }
        }
        node_device_def_free(def);
        error_clear(&e);
    }
    *ret_xml = node_device_def_format(dev->def);
    return 0;
}

char **
nodedev_driver_list_caps(NodeDev *dev)
{
    char **caps = NULL;

    for (size_t i = 0; i < dev->def->n_caps; i++)
        strv_push(&caps, xstrdup(node_dev_cap_type_to_string(dev->def->caps[i].type)));
    if (!caps)
        caps = xcalloc(1, sizeof(char *));
    return caps;
}

/* ---- passthrough ------------------------------------------------------- */

typedef enum {
    JOB_DETACH,
    JOB_REATTACH,
    JOB_RESET,
} JobKind;

typedef struct Job {
    uv_work_t work;
    NodeDevDriver *drv;
    JobKind kind;
    char *sysfs;
    char *addr;           /* "0000:00:1f.2" */
    char *syspath;
    char *orig_driver;    /* detach: found in the worker; reattach: to restore */
    Error error;
    int r;
    NodeDevDoneCb cb;
    void *userdata;
} Job;

static const char *
pci_addr(NodeDev *dev, char buf[static 16], Error *error)
{
    NodeDevCap *cap = node_device_def_get_cap(dev->def, NODE_DEV_CAP_PCI);

    if (!cap || !dev->syspath) {
        error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "device %s is not a PCI device",
                  dev->name);
        return NULL;
    }
    snprintf(buf, 16, "%.4x:%.2x:%.2x.%.1x", cap->pci.addr.domain & 0xffff,
             cap->pci.addr.bus & 0xff, cap->pci.addr.slot & 0x1f, cap->pci.addr.function & 7);
    return buf;
}

/* The driver bound to @syspath, or NULL. New string. */
static char *
current_driver(const char *syspath)
{
    auto_cleanup(free_ptr) char *link = xasprintf("%s/driver", syspath);
    char target[4096];
    ssize_t n = readlink(link, target, sizeof(target) - 1);

    if (n < 0)
        return NULL;
    target[n] = '\0';
    return xstrdup(strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

static bool
is_stub(const char *driver)
{
    return STREQ_NULL(driver, "vfio-pci") || STREQ_NULL(driver, "pci-stub");
}

/* libvirt's virHostdevHostSupportsPassthroughVFIO: IOMMU groups exist (or
 * VFIO's no-IOMMU mode is on) and /dev/vfio/vfio is there. */
static bool
host_supports_vfio(const char *sysfs)
{
    auto_cleanup(free_ptr) char *groups = xasprintf("%s/kernel/iommu_groups", sysfs);
    auto_cleanup(free_ptr) char *noiommu =
        xasprintf("%s/module/vfio/parameters/enable_unsafe_noiommu_mode", sysfs);
    auto_cleanup(free_ptr) char *v = NULL;
    bool any = false;
    size_t len;
    DIR *d = opendir(groups);
    struct dirent *de;

    if (d) {
        while ((de = readdir(d)))
            if (de->d_name[0] != '.')
                any = true;
        closedir(d);
    }
    if (!any && file_read_all(noiommu, 16, &v, &len, NULL) == 0 && v[0] == 'Y')
        any = true;
    return any && access("/dev/vfio/vfio", F_OK) == 0;
}

static int
sysfs_write(const char *path, const char *value, Error *error)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "Failed to write '%s' to '%s'", value, path);
    n = write(fd, value, strlen(value));
    if (n < 0) {
        int r = -errno;
        close(fd);
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "Failed to write '%s' to '%s'", value, path);
    }
    close(fd);
    return 0;
}

/* Worker thread: only the job's own strings are touched. */
static void
job_detach(Job *job)
{
    auto_cleanup(free_ptr) char *override = xasprintf("%s/driver_override", job->syspath);
    auto_cleanup(free_ptr) char *unbind = xasprintf("%s/driver/unbind", job->syspath);
    auto_cleanup(free_ptr) char *probe = xasprintf("%s/bus/pci/drivers_probe", job->sysfs);
    auto_cleanup(free_ptr) char *vfio = xasprintf("%s/bus/pci/drivers/vfio-pci", job->sysfs);
    auto_cleanup(free_ptr) char *now = NULL;
    int r;

    if (access(vfio, F_OK) < 0) {
        const char *argv[] = { "/sbin/modprobe", "vfio-pci", NULL };
        auto_cleanup(free_ptr) char *out = NULL;

        int status;

        (void) child_run_capture(argv, 65536, &out, &status, NULL);
        if (access(vfio, F_OK) < 0) {
            job->r = error_set(&job->error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                               "Failed to load PCI driver module vfio-pci");
            return;
        }
    }
    job->orig_driver = current_driver(job->syspath);
    r = sysfs_write(override, "vfio-pci", &job->error);
    if (r >= 0 && job->orig_driver)
        r = sysfs_write(unbind, job->addr, &job->error);
    if (r >= 0)
        r = sysfs_write(probe, job->addr, &job->error);
    now = current_driver(job->syspath);
    if (r >= 0 && !STREQ_NULL(now, "vfio-pci"))
        r = error_set(&job->error, -EIO, VIR_ERR_INTERNAL_ERROR,
                      "Failed to bind PCI device '%s' to vfio-pci", job->addr);
    if (r < 0) {
        /* Give it back as it was. */
        (void) sysfs_write(override, "\n", NULL);
        if (!STREQ_NULL(now, job->orig_driver)) {
            if (now) {
                auto_cleanup(free_ptr) char *u = xasprintf("%s/driver/unbind", job->syspath);
                (void) sysfs_write(u, job->addr, NULL);
            }
            (void) sysfs_write(probe, job->addr, NULL);
        }
    }
    job->r = r;
}

static void
job_reattach(Job *job)
{
    auto_cleanup(free_ptr) char *override = xasprintf("%s/driver_override", job->syspath);
    auto_cleanup(free_ptr) char *unbind = xasprintf("%s/driver/unbind", job->syspath);
    auto_cleanup(free_ptr) char *probe = xasprintf("%s/bus/pci/drivers_probe", job->sysfs);
    auto_cleanup(free_ptr) char *now = NULL;
    int r;

    r = sysfs_write(override, "\n", &job->error);
    if (r >= 0)
        r = sysfs_write(unbind, job->addr, &job->error);
    if (r >= 0)
        r = sysfs_write(probe, job->addr, &job->error);
    now = current_driver(job->syspath);
    if (r >= 0 && job->orig_driver && !STREQ_NULL(now, job->orig_driver)) {
        auto_cleanup(free_ptr) char *bind =
            xasprintf("%s/bus/pci/drivers/%s/bind", job->sysfs, job->orig_driver);
        r = sysfs_write(bind, job->addr, &job->error);
    }
    job->r = r;
}

static void
job_reset(Job *job)
{
    auto_cleanup(free_ptr) char *reset = xasprintf("%s/reset", job->syspath);

    job->r = sysfs_write(reset, "1", &job->error);
    if (job->r < 0) {
        error_clear(&job->error);
        job->r = error_set_errno(&job->error, -errno ? -errno : -EIO, VIR_ERR_INTERNAL_ERROR,
                                 "Unable to reset PCI device %s", job->addr);
    }
}

static void
job_work(uv_work_t *w)
{
    Job *job = w->data;

    switch (job->kind) {
    case JOB_DETACH:
        job_detach(job);
        break;
    case JOB_REATTACH:
        job_reattach(job);
        break;
    case JOB_RESET:
        job_reset(job);
        break;
    }
}

static void
job_after(uv_work_t *w, int status)
{
    Job *job = w->data;
    /* The device may have gone meanwhile (its remove uevent). */
    NodeDev *dev = find_syspath(job->drv, job->syspath);

    if (dev)
        dev->busy = false;
    if (dev && job->r >= 0) {
        if (job->kind == JOB_DETACH) {
            free(dev->orig_driver);
            dev->orig_driver = steal_ptr(job->orig_driver);
        } else if (job->kind == JOB_REATTACH) {
            free(dev->orig_driver);
            dev->orig_driver = NULL;
        }
    }
    /* The bind/unbind uevents update the table too; this makes the reply
     * see the new driver whatever order they come in. */
    device_added_or_changed(job->drv, job->syspath);
    dev = find_syspath(job->drv, job->syspath);
    job->cb(dev, job->r < 0 ? &job->error : NULL, job->userdata);
    error_clear(&job->error);
    free(job->sysfs);
    free(job->addr);
    free(job->syspath);
    free(job->orig_driver);
    free(job);
}

static int
job_start(NodeDevDriver *drv, NodeDev *dev, JobKind kind, const char *addr, NodeDevDoneCb cb,
          void *userdata, Error *error)
{
    Job *job;
    int r;

    if (!drv->loop)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "device %s cannot be changed without an event loop", dev->name);
    job = xcalloc(1, sizeof(*job));
    job->drv = drv;
    job->kind = kind;
    job->sysfs = xstrdup(drv->sysfs);
    job->addr = xstrdup(addr);
    job->syspath = xstrdup(dev->syspath);
    job->orig_driver = dev->orig_driver ? xstrdup(dev->orig_driver) : NULL;
    job->cb = cb;
    job->userdata = userdata;
    job->work.data = job;
    r = uv_queue_work(drv->loop, &job->work, job_work, job_after);
    if (r < 0) {
        free(job->sysfs);
        free(job->addr);
        free(job->syspath);
        free(job->orig_driver);
        free(job);
        return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR, "cannot queue work: %s",
                         uv_strerror(r));
    }
    dev->busy = true;
    return 0;
}

static int
check_idle(NodeDev *dev, Error *error)
{
    if (dev->busy)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "device %s has another operation in progress", dev->name);
    return 0;
}

int
nodedev_driver_detach(NodeDevDriver *drv, NodeDev *dev, const char *driver_name, uint32_t flags,
                      NodeDevDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(free_ptr) char *now = NULL;
    char buf[16];
    const char *addr;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Detach", flags);
    if (driver_name && *driver_name && !STREQ(driver_name, "vfio"))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unknown driver name '%s'",
                         driver_name);
    addr = pci_addr(dev, buf, error);
    if (!addr)
        return -EINVAL;
    r = check_idle(dev, error);
    if (r < 0)
        return r;
    if (!host_supports_vfio(drv->sysfs))
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: VFIO device assignment is currently not "
                         "supported on this system");
    now = current_driver(dev->syspath);
    if (STREQ_NULL(now, "vfio-pci"))
        return 1;
    return job_start(drv, dev, JOB_DETACH, addr, cb, userdata, error);
}

int
nodedev_driver_reattach(NodeDevDriver *drv, NodeDev *dev, NodeDevDoneCb cb, void *userdata,
                        Error *error)
{
    auto_cleanup(free_ptr) char *now = NULL;
    char buf[16];
    const char *addr;
    int r;

    addr = pci_addr(dev, buf, error);
    if (!addr)
        return -EINVAL;
    r = check_idle(dev, error);
    if (r < 0)
        return r;
    now = current_driver(dev->syspath);
    /* libvirt leaves a device that is not on a stub driver alone. */
    if (!is_stub(now))
        return 1;
    return job_start(drv, dev, JOB_REATTACH, addr, cb, userdata, error);
}

int
nodedev_driver_reset(NodeDevDriver *drv, NodeDev *dev, NodeDevDoneCb cb, void *userdata,
                     Error *error)
{
    auto_cleanup(free_ptr) char *now = NULL;
    auto_cleanup(free_ptr) char *reset = NULL;
    char buf[16];
    const char *addr;
    int r;

    addr = pci_addr(dev, buf, error);
    if (!addr)
        return -EINVAL;
    r = check_idle(dev, error);
    if (r < 0)
        return r;
    now = current_driver(dev->syspath);
    /* Resetting a function under a live host driver pulls the device from
     * under it (the host's own disk or network): only a detached (or
     * driverless) device is reset. */
    if (now && !is_stub(now))
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "PCI device %s is in use by driver '%s'; detach it first",
                         addr, now);
    reset = xasprintf("%s/reset", dev->syspath);
    if (access(reset, F_OK) < 0)
        return error_set(error, -ENOTSUP, VIR_ERR_INTERNAL_ERROR,
                         "Unable to reset PCI device %s: no FLR, PM reset or bus reset "
                         "available", addr);
    return job_start(drv, dev, JOB_RESET, addr, cb, userdata, error);
}
