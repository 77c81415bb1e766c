/* QEMU as an unprivileged user, libvirt's DAC model.
 *
 * With virtqemud.conf's user and group other than root, QEMU runs as them.
 * Before it starts, every file of the definition it opens must be reachable
 * by that user; with dynamic_ownership each such file is chowned to
 * user:group and its former owner kept (in memory and in the status XML, so
 * that a restarted virtqemud can give it back) until the guest stops. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "qemu_driver_priv.h"

typedef enum {
    DAC_DISK,   /* chowned unless world-readable under /boot or /usr */
    DAC_OUTPUT, /* a file QEMU writes: made here first, then chowned */
    DAC_BOOT,   /* kernel, initrd, firmware: chowned unless world-readable */
} DacKind;

typedef struct DacPath {
    const char *path;
    const char *what;
    DacKind kind;
    bool writable;
} DacPath;

bool
qemu_dac_enabled(const QemuDriver *drv)
{
    return drv->cfg.user != 0;
}

static bool
in_groups(const QemuDriver *drv, gid_t gid)
{
    if (gid == drv->cfg.group)
        return true;
    for (size_t i = 0; i < drv->cfg.n_groups; i++)
        if (drv->cfg.groups[i] == gid)
            return true;
    return false;
}

/* May the user do @mode (R_OK, W_OK, X_OK bits) on what @st describes? As
 * the kernel decides without ACLs. */
static bool
allowed_as(const QemuDriver *drv, const struct stat *st, int mode)
{
    unsigned shift = 0;

    if (st->st_uid == drv->cfg.user)
        shift = 6;
    else if (in_groups(drv, st->st_gid))
        shift = 3;
    return (((st->st_mode >> shift) & 7) & mode) == (unsigned) mode;
}

static bool
path_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static void
add_path(DacPath **list, size_t *n, const char *path, const char *what, DacKind kind,
         bool writable)
{
    if (!path || path[0] != '/')
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i].path, path) == 0)
            return;
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = (DacPath) { path, what, kind, writable };
}

static void
add_chrs(DacPath **list, size_t *n, const DomainChr *chrs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (chrs[i].type == CHR_TYPE_FILE)
            add_path(list, n, chrs[i].source_path, "file", DAC_OUTPUT, true);
}

/* Every file of @def that QEMU opens by path. */
static DacPath *
collect_paths(const DomainDef *def, size_t *ret_n)
{
    DacPath *list = NULL;
    size_t n = 0;

    for (size_t i = 0; i < def->n_disks; i++) {
        const DomainDisk *d = &def->disks[i];
        if (d->type == DISK_TYPE_FILE || d->type == DISK_TYPE_BLOCK)
            add_path(&list, &n, d->source, "storage file", DAC_DISK, !d->readonly);
    }
    add_chrs(&list, &n, def->serials, def->n_serials);
    add_chrs(&list, &n, def->consoles, def->n_consoles);
    add_chrs(&list, &n, def->channels, def->n_channels);
    for (size_t i = 0; i < def->n_hostdevs; i++)
        add_path(&list, &n, def->hostdevs[i].usb_dev_path, "USB device", DAC_DISK, true);
    add_path(&list, &n, def->os_kernel, "kernel", DAC_BOOT, false);
    add_path(&list, &n, def->os_initrd, "initrd", DAC_BOOT, false);
    add_path(&list, &n, def->os_dtb, "dtb", DAC_BOOT, false);
    add_path(&list, &n, def->os_loader, "loader", DAC_BOOT,
             def->os_loader_readonly && strcmp(def->os_loader_readonly, "no") == 0);
    add_path(&list, &n, def->os_nvram, "nvram", DAC_BOOT, true);
    *ret_n = n;
    return list;
}

/* Is @p chowned (with dynamic_ownership), given what it is now? */
static bool
wants_chown(const DacPath *p, const struct stat *st)
{
    bool world_readable = (st->st_mode & S_IROTH) && !p->writable;

    switch (p->kind) {
    case DAC_DISK:
        return !(world_readable && (path_under(p->path, "/boot") || path_under(p->path, "/usr")));
    case DAC_BOOT:
        return !world_readable;
    default:
        return true;
    }
}

static int
access_error(const QemuDriver *drv, const DacPath *p, int err, Error *error)
{
    return error_set_errno(error, -err, VIR_ERR_SYSTEM_ERROR,
                           "Cannot access %s '%s' (as uid:gid %u:%u)", p->what, p->path,
                           (unsigned) drv->cfg.user, (unsigned) drv->cfg.group);
}

/* Can the user reach @p (search every folder on the way), and use it as
 * QEMU will when it is not chowned? Nothing is changed here. */
static int
check_path(const QemuDriver *drv, const DacPath *p, Error *error)
{
    struct stat st;

    /* Each folder on the way, "/" first. */
    for (size_t i = 0; p->path[i]; i++) {
        auto_cleanup(free_ptr) char *dir = NULL;

        if (p->path[i] != '/')
            continue;
        dir = i == 0 ? xstrdup("/") : xstrndup(p->path, i);
        if (stat(dir, &st) < 0)
            return access_error(drv, p, errno, error);
        if (!S_ISDIR(st.st_mode))
            return access_error(drv, p, ENOTDIR, error);
        if (!allowed_as(drv, &st, X_OK))
            return access_error(drv, p, EACCES, error);
    }
    if (stat(p->path, &st) < 0) {
        if (errno == ENOENT && p->kind == DAC_OUTPUT)
            return 0; /* made by us before QEMU runs */
        return access_error(drv, p, errno, error);
    }
    if (drv->cfg.dynamic_ownership && wants_chown(p, &st))
        return 0;
    if (!allowed_as(drv, &st, R_OK | (p->writable ? W_OK : 0)))
        return access_error(drv, p, EACCES, error);
    return 0;
}

static void restore_list(const char *name, DacOwner *owners, size_t n);

static int
chown_path(Domain *dom, const DacPath *p, Error *error)
{
    const QemuDriver *drv = dom->drv;
    struct stat st;

    if (p->kind == DAC_OUTPUT) {
        int fd = open(p->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

        if (fd < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot create file '%s'", p->path);
        close(fd);
    }
    if (stat(p->path, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "Cannot access %s '%s'", p->what, p->path);
    if (!wants_chown(p, &st) || (st.st_uid == drv->cfg.user && st.st_gid == drv->cfg.group))
        return 0;
    /* Recorded first: a failed chown changed nothing, and restoring it is
     * harmless. */
    dom->res.dac_owners = xrealloc(dom->res.dac_owners,
                                   (dom->res.n_dac_owners + 1) * sizeof(DacOwner));
    dom->res.dac_owners[dom->res.n_dac_owners++] =
        (DacOwner) { xstrdup(p->path), st.st_uid, st.st_gid };
    if (chown(p->path, drv->cfg.user, drv->cfg.group) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot change the owner of '%s' to %u:%u", p->path,
                               (unsigned) drv->cfg.user, (unsigned) drv->cfg.group);
    log_debug("domain '%s': '%s' now owned by %u:%u (was %u:%u)", dom->def->name, p->path,
              (unsigned) drv->cfg.user, (unsigned) drv->cfg.group, (unsigned) st.st_uid,
              (unsigned) st.st_gid);
    return 0;
}

int
qemu_dac_set_all(Domain *dom, Error *error)
{
    const QemuDriver *drv = dom->drv;
    auto_cleanup(free_ptr) DacPath *paths = NULL;
    size_t n = 0;
    int r;

    qemu_dac_restore_all(dom); /* nothing should be left; never twice */
    if (!qemu_dac_enabled(drv))
        return 0;
    paths = collect_paths(dom->live, &n);
    for (size_t i = 0; i < n; i++) {
        r = check_path(drv, &paths[i], error);
        if (r < 0)
            return r;
    }
    if (!drv->cfg.dynamic_ownership)
        return 0;
    for (size_t i = 0; i < n; i++) {
        r = chown_path(dom, &paths[i], error);
        if (r < 0) {
            qemu_dac_restore_all(dom);
            return r;
        }
    }
    return 0;
}

static int
set_one(Domain *dom, const DacPath p, Error *error)
{
    const QemuDriver *drv = dom->drv;
    const char *path = p.path;
    int r;

    if (!qemu_dac_enabled(drv) || !path || path[0] != '/')
        return 0;
    r = check_path(drv, &p, error);
    if (r < 0 || !drv->cfg.dynamic_ownership)
        return r;
    for (size_t i = 0; i < dom->res.n_dac_owners; i++)
        if (STREQ(dom->res.dac_owners[i].path, path))
            return 0; /* already QEMU's */
    r = chown_path(dom, &p, error);
    if (r < 0)
        qemu_dac_restore_path(dom, path);
    return r;
}

int
qemu_dac_set_disk(Domain *dom, const DomainDisk *d, const char *path, Error *error)
{
    return set_one(dom, (DacPath) { path, "storage file", DAC_DISK,
                                    !d->readonly && d->device != DISK_DEVICE_CDROM }, error);
}

int
qemu_dac_set_device(Domain *dom, const char *path, const char *what, Error *error)
{
    return set_one(dom, (DacPath) { path, what, DAC_DISK, true }, error);
}

void
qemu_dac_restore_path(Domain *dom, const char *path)
{
    for (size_t i = 0; path && i < dom->res.n_dac_owners; i++) {
        DacOwner *o = &dom->res.dac_owners[i], *one;

        if (!STREQ(o->path, path))
            continue;
        one = xmalloc(sizeof(*one));
        *one = *o;
        restore_list(dom->def->name, one, 1);
        memmove(o, o + 1, (dom->res.n_dac_owners - i - 1) * sizeof(*o));
        dom->res.n_dac_owners--;
        return;
    }
}

static void
restore_list(const char *name, DacOwner *owners, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        if (chown(owners[i].path, owners[i].uid, owners[i].gid) < 0 && errno != ENOENT)
            log_warn("domain '%s': cannot give '%s' back to %u:%u: %s", name, owners[i].path,
                     (unsigned) owners[i].uid, (unsigned) owners[i].gid, strerror(errno));
        free(owners[i].path);
    }
    free(owners);
}

void
qemu_dac_restore_all(Domain *dom)
{
    restore_list(dom->def->name, steal_ptr(dom->res.dac_owners), dom->res.n_dac_owners);
    dom->res.n_dac_owners = 0;
}

void
qemu_dac_clear(Domain *dom)
{
    for (size_t i = 0; i < dom->res.n_dac_owners; i++)
        free(dom->res.dac_owners[i].path);
    free(steal_ptr(dom->res.dac_owners));
    dom->res.n_dac_owners = 0;
}

void
qemu_dac_format(const Domain *dom, XmlWriter *w)
{
    if (dom->res.n_dac_owners == 0)
        return;
    xml_writer_start(w, "dac");
    for (size_t i = 0; i < dom->res.n_dac_owners; i++) {
        xml_writer_start(w, "file");
        xml_writer_attr(w, "path", dom->res.dac_owners[i].path);
        xml_writer_attrf(w, "uid", "%u", (unsigned) dom->res.dac_owners[i].uid);
        xml_writer_attrf(w, "gid", "%u", (unsigned) dom->res.dac_owners[i].gid);
        xml_writer_end(w);
    }
    xml_writer_end(w);
}

static DacOwner *
parse_list(xmlNode *root, size_t *ret_n)
{
    xmlNode *dac = root ? xml_child(root, "dac") : NULL;
    DacOwner *owners = NULL;
    size_t n = 0;

    for (xmlNode *f = dac ? dac->children : NULL; f; f = f->next) {
        auto_cleanup(free_ptr) char *path = NULL, *uid = NULL, *gid = NULL;
        unsigned long long u, g;

        if (!xml_node_is(f, "file"))
            continue;
        path = xml_prop(f, "path");
        uid = xml_prop(f, "uid");
        gid = xml_prop(f, "gid");
        if (!path || path[0] != '/' || !uid || !gid || xml_parse_ull(uid, 10, (uid_t) -2, &u) < 0 ||
            xml_parse_ull(gid, 10, (gid_t) -2, &g) < 0)
            continue;
        owners = xrealloc(owners, (n + 1) * sizeof(*owners));
        owners[n++] = (DacOwner) { steal_ptr(path), (uid_t) u, (gid_t) g };
    }
    *ret_n = n;
    return owners;
}

void
qemu_dac_parse(Domain *dom, xmlNode *status_root)
{
    qemu_dac_clear(dom);
    dom->res.dac_owners = parse_list(status_root, &dom->res.n_dac_owners);
}

void
qemu_dac_restore_status(xmlNode *status_root)
{
    size_t n = 0;
    DacOwner *owners = parse_list(status_root, &n);
    auto_cleanup(free_ptr) char *name = NULL;
    xmlNode *dom = status_root ? xml_child(status_root, "domain") : NULL;

    name = dom ? xml_child_content(dom, "name") : NULL;
    restore_list(name ? name : "?", owners, n);
}
