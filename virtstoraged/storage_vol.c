/* Volumes: the files of a pool's folder, probed (raw or qcow2), and the jobs
 * that change them (create, clone, wipe, resize) on libuv's worker pool.
 *
 * A job's worker touches only its own copies of paths and sizes; the loop
 * marks the volume busy before and updates it after. Every file is opened
 * with O_NOFOLLOW and volumes are only regular files directly in the pool's
 * folder, so a link planted in the folder never leads a job outside it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "object_path.h"
#include "storage_driver.h"

#define VOL_BUS_PREFIX "/org/libvirt/QEMU/storagevol"
#define QEMU_IMG "qemu-img"
#define VOL_FILE_MODE 0600

/* ---- probing ------------------------------------------------------------- */

typedef struct Probe {
    StorageVolFormat format;
    uint64_t capacity, allocation, physical;
    char *backing_path;      /* absolute, or NULL */
    int backing_format;      /* StorageVolFormat, or -1 when the image does not say */
} Probe;

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
    return (uint64_t) be32(p) << 32 | be32(p + 4);
}

/* The qcow2 header (QEMU's docs/interop/qcow2.txt): size at 24, backing
 * file name at offset/size 8/16, and the backing format in the header
 * extension 0xe2792aca. */
static void
probe_qcow2(int fd, const uint8_t *hdr, const char *path, Probe *p)
{
    uint32_t version = be32(hdr + 4);
    uint64_t bo = be64(hdr + 8);
    uint32_t bs = be32(hdr + 16);
    uint32_t hlen = version >= 3 ? be32(hdr + 100) : 72;
    uint8_t ext[4096];
    ssize_t n;

    p->format = STORAGE_VOL_FORMAT_QCOW2;
    p->capacity = be64(hdr + 24);
    if (bo && bs && bs < PATH_MAX) {
        char name[PATH_MAX];

        if (pread(fd, name, bs, (off_t) bo) == (ssize_t) bs) {
            name[bs] = '\0';
            if (name[0] == '/') {
                p->backing_path = xstrdup(name);
            } else {
                /* Relative to the image's folder, as QEMU reads it. */
                auto_cleanup(free_ptr) char *dir = xstrdup(path);
                *strrchr(dir, '/') = '\0';
                p->backing_path = xasprintf("%s/%s", dir, name);
            }
        }
    }
    if (hlen < 72 || hlen > 65536)
        return;
    n = pread(fd, ext, sizeof(ext), hlen);
    for (ssize_t off = 0; off + 8 <= n;) {
        uint32_t type = be32(ext + off), len = be32(ext + off + 4);

        if (type == 0 || off + 8 + (ssize_t) len > n)
            break;
        if (type == 0xe2792acaU) {
            char fmt[32];
            size_t l = len < sizeof(fmt) - 1 ? len : sizeof(fmt) - 1;

            memcpy(fmt, ext + off + 8, l);
            fmt[l] = '\0';
            p->backing_format = storage_vol_format_from_string(fmt);
        }
        off += 8 + ((len + 7) & ~7U);
    }
}

/* Reads what a file is. Errors: the file cannot be opened or is not a
 * regular file. Thread-safe. */
static int
probe_file(const char *path, Probe *p, Error *error)
{
    auto_cleanup(close_fdp) int fd = -1;
    uint8_t hdr[512];
    struct stat st;
    ssize_t n;

    *p = (Probe) { .backing_format = -1 };
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open volume '%s'",
                               path);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "volume '%s' is not a regular file", path);
    p->physical = st.st_size;
    p->allocation = (uint64_t) st.st_blocks * 512;
    p->capacity = st.st_size;
    p->format = STORAGE_VOL_FORMAT_RAW;
    n = pread(fd, hdr, sizeof(hdr), 0);
    if (n >= 104 && memcmp(hdr, "QFI\xfb", 4) == 0)
        probe_qcow2(fd, hdr, path, p);
    return 0;
}

static void
apply_probe(StorageVolDef *def, Probe *p)
{
    def->format = p->format;
    def->capacity = p->capacity;
    def->allocation = p->allocation;
    def->physical = p->physical;
    free(def->backing_path);
    def->backing_path = steal_ptr(p->backing_path);
    def->has_backing_format = p->backing_format >= 0;
    def->backing_format = p->backing_format >= 0 ? p->backing_format : STORAGE_VOL_FORMAT_RAW;
}

int
storage_vol_probe(StorageVol *vol, Error *error)
{
    struct stat st;
    Probe p;
    int r;

    r = probe_file(vol->def->target_path, &p, error);
    if (r < 0)
        return r;
    if (stat(vol->def->target_path, &st) == 0) {
        vol->def->perms.mode = st.st_mode & 07777;
        vol->def->perms.uid = st.st_uid;
        vol->def->perms.gid = st.st_gid;
    }
    apply_probe(vol->def, &p);
    return 0;
}

/* ---- the pool's list ----------------------------------------------------- */

void
storage_vol_free(StorageVol *vol)
{
    if (!vol)
        return;
    storage_vol_def_free(vol->def);
    free(vol->bus_path);
    free(vol);
}

/* Adds a volume named @def->name to @pool; sets its key and path. */
static StorageVol *
vol_add(StoragePool *pool, StorageVolDef *def)
{
    StorageVol *vol = xcalloc(1, sizeof(*vol));
    vol->pool = pool;
    vol->def = def;
    free(def->target_path);
    free(def->key);
    def->target_path = xasprintf("%s/%s", pool->def->target_path, def->name);
    def->key = xstrdup(def->target_path);
    vol->bus_path = object_path_from_name(VOL_BUS_PREFIX, def->key);
    obj_list_add(&pool->vols, vol);
    obj_list_add(&pool->drv->vols, vol);
    return vol;
}

/* Takes @vol out of its pool, announces it (unless building) and frees it. */
static void
vol_remove(StorageVol *vol, bool announce)
{
    StoragePool *pool = vol->pool;

    obj_list_remove(&pool->vols, vol);
    obj_list_remove(&pool->drv->vols, vol);
    if (announce && !vol->building)
        STORAGE_HOOK(pool->drv, vol_removed, vol);
    storage_vol_free(vol);
}

void
storage_pool_drop_vols(StoragePool *pool, bool announce)
{
    while (storage_pool_vol_count(pool))
        vol_remove(storage_pool_vol_nth(pool, storage_pool_vol_count(pool) - 1), announce);
}

static StorageVol *
find_in_pool(StoragePool *pool, const char *name)
{
    return obj_list_find_name(&pool->vols, name);
}

/* Hidden files and our own temporaries are not volumes. */
static bool
scan_wanted(int dfd, const char *name)
{
    struct stat st;

    if (name[0] == '.')
        return false;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    return S_ISREG(st.st_mode);
}

int
storage_pool_scan(StoragePool *pool, bool announce, Error *error)
{
    StorageDriver *drv = pool->drv;
    auto_cleanup(strv_freep) char **names = NULL;
    DIR *dir;
    struct dirent *de;

    dir = opendir(pool->def->target_path);
    if (!dir)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot open folder '%s' of storage pool '%s'",
                               pool->def->target_path, pool->def->name);
    while ((de = readdir(dir)))
        if (scan_wanted(dirfd(dir), de->d_name))
            strv_push(&names, xstrdup(de->d_name));
    closedir(dir);
    if (names)
        strv_sort(names);

    /* Gone: the files removed by hand. A volume being built stays. */
    for (size_t i = storage_pool_vol_count(pool); i-- > 0;) {
        StorageVol *vol = storage_pool_vol_nth(pool, i);

        if (!vol->building && !vol->busy && !vol->readers &&
            !strv_contains(names, vol->def->name))
            vol_remove(vol, announce);
    }
    for (size_t i = 0; names && names[i]; i++) {
        StorageVol *vol = find_in_pool(pool, names[i]);
        Error perr = ERROR_INIT;

        if (vol) {
            if (!vol->building && !vol->busy)
                storage_vol_probe(vol, NULL);
            continue;
        }
        {
            StorageVolDef *def = xcalloc(1, sizeof(*def));

            def->name = xstrdup(names[i]);
            def->perms = (StoragePerms) STORAGE_PERMS_INIT;
            vol = vol_add(pool, def);
        }
        if (storage_vol_probe(vol, &perr) < 0) {
            /* Vanished meanwhile or unreadable: not a volume. */
            log_debug("skipping '%s': %s", vol->def->target_path, perr.message);
            error_clear(&perr);
            vol_remove(vol, false);
            continue;
        }
        if (announce)
            STORAGE_HOOK(drv, vol_added, vol);
    }
    return 0;
}

/* ---- lookups ------------------------------------------------------------- */

static bool
visible(const StorageVol *vol)
{
    return vol->pool->active && !vol->building;
}

int
storage_vol_lookup_name(StoragePool *pool, const char *name, StorageVol **ret, Error *error)
{
    StorageVol *vol;
    int r = storage_pool_check_active(pool, error);

    if (r < 0)
        return r;
    vol = find_in_pool(pool, name);
    if (!vol || !visible(vol))
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                         "Storage volume not found: no storage vol with matching name '%s'",
                         name);
    *ret = vol;
    return 0;
}

static StorageVol *
find_key(StorageDriver *drv, const char *key)
{
    StorageVol *vol = obj_list_find_name(&drv->vols, key);

    return vol && vol->pool->active && visible(vol) ? vol : NULL;
}

int
storage_vol_lookup_key(StorageDriver *drv, const char *key, StorageVol **ret, Error *error)
{
    StorageVol *vol = find_key(drv, key);

    if (!vol)
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                         "Storage volume not found: no storage vol with matching key %s", key);
    *ret = vol;
    return 0;
}

int
storage_vol_lookup_path(StorageDriver *drv, const char *path, StorageVol **ret, Error *error)
{
    auto_cleanup(free_ptr) char *clean = storage_path_clean(path);
    auto_cleanup(free_ptr) char *real = NULL;
    StorageVol *vol = clean ? find_key(drv, clean) : NULL;

    /* Through a link or another spelling of the same folder. */
    if (!vol && (real = realpath(path, NULL))) {
        for (size_t i = 0; !vol && i < storage_driver_count(drv); i++) {
            StoragePool *pool = storage_driver_nth(drv, i);
            auto_cleanup(free_ptr) char *pdir = NULL;
            const char *slash = strrchr(real, '/');

            if (!pool->active || !(pdir = realpath(pool->def->target_path, NULL)))
                continue;
            if ((size_t) (slash - real) == strlen(pdir) && strncmp(real, pdir, slash - real) == 0) {
                StorageVol *v = find_in_pool(pool, slash + 1);
                if (v && visible(v))
                    vol = v;
            }
        }
    }
    if (!vol)
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                         "Storage volume not found: no storage vol with matching path '%s'",
                         path);
    *ret = vol;
    return 0;
}

StorageVol *
storage_vol_find_by_path(StorageDriver *drv, const char *bus_path)
{
    StorageVol *vol = obj_list_find_path(&drv->vols, bus_path);

    return vol && visible(vol) ? vol : NULL;
}

int
storage_vol_resolve(StorageDriver *drv, const char *pool_name, const char *vol_name,
                    const char **ret_path, const char **ret_format, Error *error)
{
    StoragePool *pool;
    StorageVol *vol;
    int r;

    r = storage_pool_lookup_name(drv, pool_name, &pool, error);
    if (r >= 0)
        r = storage_vol_lookup_name(pool, vol_name, &vol, error);
    if (r < 0)
        return r;
    *ret_path = vol->def->target_path;
    *ret_format = storage_vol_format_to_string(vol->def->format);
    return 0;
}

static int
cmp_vol(const void *a, const void *b)
{
    return strcmp((*(StorageVol *const *) a)->def->name, (*(StorageVol *const *) b)->def->name);
}

int
storage_vol_list(StoragePool *pool, unsigned flags, StorageVol ***ret, size_t *ret_n,
                 Error *error)
{
    StorageVol **list;
    size_t n = 0;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function ListStorageVolumes", flags);
    r = storage_pool_check_active(pool, error);
    if (r < 0)
        return r;
    list = xcalloc(storage_pool_vol_count(pool) + 1, sizeof(*list));
    for (size_t i = 0; i < storage_pool_vol_count(pool); i++)
        if (visible(storage_pool_vol_nth(pool, i)))
            list[n++] = storage_pool_vol_nth(pool, i);
    qsort(list, n, sizeof(*list), cmp_vol);
    *ret = list;
    *ret_n = n;
    return 0;
}

/* ---- busy ---------------------------------------------------------------- */

static int
check_idle(StorageVol *vol, bool as_source, Error *error)
{
    storage_stream_settle(vol);
    if (vol->busy || vol->building || (!as_source && vol->readers))
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "storage volume '%s' is busy with another operation", vol->def->name);
    return 0;
}

int
storage_vol_begin_busy(StorageVol *vol, const char *what, Error *error)
{
    int r = storage_pool_check_active(vol->pool, error);

    if (r >= 0)
        r = check_idle(vol, false, error);
    if (r < 0)
        return r;
    vol->busy = what;
    vol->pool->jobs++;
    vol->pool->drv->jobs++;
    return 0;
}

void
storage_vol_end_busy(StorageVol *vol)
{
    vol->busy = NULL;
    vol->pool->jobs--;
    vol->pool->drv->jobs--;
    storage_vol_probe(vol, NULL);
}

/* ---- helpers for the workers --------------------------------------------- */

/* Runs qemu-img with @argv (argv[0] is QEMU_IMG) and waits; its stderr goes
 * into the error message. Blocking: workers only. */
static int
run_qemu_img(const char *const *argv, Error *error)
{
    auto_cleanup(close_fdp) int errfd = memfd_create("qemu-img-stderr", MFD_CLOEXEC);
    ChildSpec spec = {
        .argv = argv,
        .stdin_fd = -1,
        .stdout_fd = -1,
        .stderr_fd = errfd,
    };
    char msg[1024] = "";
    pid_t pid;
    int status, r;
    ssize_t n;

    if (errfd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot run %s", QEMU_IMG);
    r = child_spawn(&spec, &pid, NULL, error);
    if (r < 0)
        return r;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot wait for %s",
                                   QEMU_IMG);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    n = pread(errfd, msg, sizeof(msg) - 1, 0);
    msg[n > 0 ? n : 0] = '\0';
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    for (char *c = msg; *c; c++)
        if (*c == '\n')
            *c = ' ';
    return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR, "%s %s failed: %s", QEMU_IMG, argv[1],
                     *msg ? msg : "no message");
}

static int
apply_perms(const char *path, const StoragePerms *perms, Error *error)
{
    mode_t mode = perms->mode >= 0 ? (mode_t) perms->mode : VOL_FILE_MODE;

    if ((perms->uid >= 0 || perms->gid >= 0) &&
        lchown(path, perms->uid >= 0 ? (uid_t) perms->uid : (uid_t) -1,
               perms->gid >= 0 ? (gid_t) perms->gid : (gid_t) -1) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot set owner of volume '%s'", path);
    if (chmod(path, mode) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot set mode of volume '%s'", path);
    return 0;
}

#define ZERO_CHUNK (1024 * 1024)

/* Writes zeros over [0, @len) of @fd. */
static int
write_zeros(int fd, uint64_t len, const char *path, Error *error)
{
    auto_cleanup(free_ptr) char *buf = xcalloc(1, ZERO_CHUNK);
    uint64_t off = 0;

    while (off < len) {
        size_t n = len - off < ZERO_CHUNK ? (size_t) (len - off) : ZERO_CHUNK;
        ssize_t w = pwrite(fd, buf, n, (off_t) off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return error_set_errno(error, w < 0 ? -errno : -EIO, VIR_ERR_SYSTEM_ERROR,
                                   "cannot wipe volume '%s'", path);
        off += w;
    }
    if (fdatasync(fd) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot wipe volume '%s'",
                               path);
    return 0;
}

/* True when [@from, @to) of @fd holds only zeros (holes or zero bytes). */
static int
tail_is_zero(int fd, uint64_t from, uint64_t to, bool *ret, Error *error)
{
    auto_cleanup(free_ptr) char *buf = xmalloc(ZERO_CHUNK);
    off_t pos = (off_t) from;

    while ((uint64_t) pos < to) {
        off_t data = lseek(fd, pos, SEEK_DATA), hole;

        if (data < 0 || (uint64_t) data >= to)
            break;
        hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || (uint64_t) hole > to)
            hole = (off_t) to;
        for (off_t o = data; o < hole;) {
            size_t n = hole - o < ZERO_CHUNK ? (size_t) (hole - o) : ZERO_CHUNK;
            ssize_t rd = pread(fd, buf, n, o);

            if (rd <= 0)
                return error_set_errno(error, rd < 0 ? -errno : -EIO, VIR_ERR_SYSTEM_ERROR,
                                       "cannot read volume");
            for (ssize_t i = 0; i < rd; i++) {
                if (buf[i]) {
                    *ret = false;
                    return 0;
                }
            }
            o += rd;
        }
        pos = hole;
    }
    *ret = true;
    return 0;
}

/* ---- jobs ---------------------------------------------------------------- */

typedef enum {
    JOB_CREATE,
    JOB_CLONE,
    JOB_WIPE,
    JOB_RESIZE,
} JobKind;

typedef struct VolJob {
    uv_work_t work;
    JobKind kind;
    StorageVol *vol;          /* borrowed: busy (or building) until the job ends */
    StorageVol *src;          /* clone source, borrowed: its readers count holds it */
    /* The worker's own copies. */
    char *path;
    StorageVolFormat format;
    uint64_t capacity, allocation, old_capacity;
    bool prealloc_metadata;
    char *backing_path;
    int backing_format;
    char *src_path;
    StorageVolFormat src_format;
    StoragePerms perms;
    unsigned flags;
    /* The result. */
    int r;
    Error error;
    StorageVolDoneCb cb;
    void *userdata;
} VolJob;

static int
qemu_img_create(VolJob *job, Error *error)
{
    auto_cleanup(free_ptr) char *size = xasprintf("%" PRIu64, job->capacity);
    const char *argv[16];
    size_t n = 0;

    argv[n++] = QEMU_IMG;
    argv[n++] = "create";
    argv[n++] = "-q";
    argv[n++] = "-f";
    argv[n++] = "qcow2";
    if (job->prealloc_metadata) {
        argv[n++] = "-o";
        argv[n++] = "preallocation=metadata";
    }
    if (job->backing_path) {
        argv[n++] = "-b";
        argv[n++] = job->backing_path;
        argv[n++] = "-F";
        argv[n++] = storage_vol_format_to_string(job->backing_format);
    }
    argv[n++] = job->path;
    argv[n++] = size;
    argv[n] = NULL;
    return run_qemu_img(argv, error);
}

static int
work_create(VolJob *job, Error *error)
{
    auto_cleanup(close_fdp) int fd = -1;
    int r;

    fd = open(job->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, VOL_FILE_MODE);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot create volume '%s'", job->path);
    /* From here on the file is ours: removed again on failure. */
    if (job->kind == JOB_CLONE) {
        const char *argv[] = {
            QEMU_IMG, "convert", "-q", "-f", storage_vol_format_to_string(job->src_format),
            "-O", storage_vol_format_to_string(job->format), job->src_path, job->path, NULL,
        };
        r = run_qemu_img(argv, error);
        if (r >= 0 && job->capacity > job->old_capacity) {
            auto_cleanup(free_ptr) char *size = xasprintf("%" PRIu64, job->capacity);
            const char *rargv[] = {
                QEMU_IMG, "resize", "-q", "-f", storage_vol_format_to_string(job->format),
                job->path, size, NULL,
            };
            r = run_qemu_img(rargv, error);
        }
    } else if (job->format == STORAGE_VOL_FORMAT_QCOW2) {
        if (job->backing_path && job->backing_format < 0) {
            Probe p;
            r = probe_file(job->backing_path, &p, error);
            if (r < 0)
                goto out;
            free(p.backing_path);
            job->backing_format = p.format;
        }
        r = qemu_img_create(job, error);
    } else {
        r = 0;
        if (job->allocation) {
            r = posix_fallocate(fd, 0, (off_t) job->allocation);
            if (r)
                r = error_set_errno(error, -r, VIR_ERR_SYSTEM_ERROR,
                                    "cannot allocate %" PRIu64 " bytes for volume '%s'",
                                    job->allocation, job->path);
        }
        if (r >= 0 && ftruncate(fd, (off_t) job->capacity) < 0)
            r = error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                "cannot set the size of volume '%s'", job->path);
        if (r >= 0 && fsync(fd) < 0)
            r = error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                "cannot write volume '%s'", job->path);
    }
    if (r >= 0)
        r = apply_perms(job->path, &job->perms, error);
out:
    if (r < 0)
        unlink(job->path);
    return r;
}

static int
work_wipe(VolJob *job, Error *error)
{
    auto_cleanup(close_fdp) int fd = -1;
    struct stat st;
    int r;

    fd = open(job->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open volume '%s'",
                               job->path);
    r = write_zeros(fd, st.st_size, job->path, error);
    if (r < 0 || job->format != STORAGE_VOL_FORMAT_QCOW2)
        return r;
    /* A zeroed qcow2 file is no image: make it an empty one again, with the
     * same size and backing store (libvirt does the same). */
    if (ftruncate(fd, 0) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot wipe volume '%s'",
                               job->path);
    if (job->backing_format < 0)
        job->backing_format = STORAGE_VOL_FORMAT_RAW;
    return qemu_img_create(job, error);
}

static int
work_resize(VolJob *job, Error *error)
{
    auto_cleanup(close_fdp) int fd = -1;
    bool zero = true;
    int r;

    if (job->format == STORAGE_VOL_FORMAT_QCOW2) {
        auto_cleanup(free_ptr) char *size = xasprintf("%" PRIu64, job->capacity);
        const char *argv[] = { QEMU_IMG, "resize", "-q", "-f", "qcow2", job->path, size, NULL };

        return run_qemu_img(argv, error);
    }
    fd = open(job->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open volume '%s'",
                               job->path);
    if (job->capacity < job->old_capacity) {
        /* Only when nothing but zeros would be cut off. */
        r = tail_is_zero(fd, job->capacity, job->old_capacity, &zero, error);
        if (r < 0)
            return r;
        if (!zero)
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                             "cannot shrink volume '%s' to %" PRIu64 " bytes: it holds data "
                             "past that size", job->path, job->capacity);
    }
    if (ftruncate(fd, (off_t) job->capacity) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot resize volume '%s'", job->path);
    if ((job->flags & STORAGE_VOL_RESIZE_ALLOCATE) && job->capacity > job->old_capacity) {
        r = posix_fallocate(fd, (off_t) job->old_capacity,
                            (off_t) (job->capacity - job->old_capacity));
        if (r)
            return error_set_errno(error, -r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot allocate space for volume '%s'", job->path);
    }
    if (fsync(fd) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot resize volume '%s'",
                               job->path);
    return 0;
}

/* On a worker thread. */
static void
job_work(uv_work_t *w)
{
    VolJob *job = w->data;

    switch (job->kind) {
    case JOB_CREATE:
    case JOB_CLONE:
        job->r = work_create(job, &job->error);
        break;
    case JOB_WIPE:
        job->r = work_wipe(job, &job->error);
        break;
    case JOB_RESIZE:
        job->r = work_resize(job, &job->error);
        break;
    }
}

static void
job_free(VolJob *job)
{
    free(job->path);
    free(job->backing_path);
    free(job->src_path);
    error_clear(&job->error);
    free(job);
}

/* Back on the loop. */
static void
job_done(uv_work_t *w, int status)
{
    VolJob *job = w->data;
    StorageVol *vol = job->vol;
    StoragePool *pool = vol->pool;
    StorageDriver *drv = pool->drv;
    Error *err = job->r < 0 ? &job->error : NULL;

    pool->jobs--;
    drv->jobs--;
    if (job->src)
        job->src->readers--;
    if (job->kind == JOB_CREATE || job->kind == JOB_CLONE) {
        if (err) {
            vol_remove(vol, false);
            vol = NULL;
        } else {
            vol->building = false;
            storage_vol_probe(vol, NULL);
            STORAGE_HOOK(drv, vol_added, vol);
        }
    } else {
        vol->busy = NULL;
        storage_vol_probe(vol, NULL);
    }
    if (err && !error_is_set(err))
        error_set(err, job->r, VIR_ERR_INTERNAL_ERROR, "volume job failed");
    job->cb(vol, err, job->userdata);
    job_free(job);
}

static int
job_queue(VolJob *job, Error *error)
{
    StoragePool *pool = job->vol->pool;
    int r;

    job->work.data = job;
    r = uv_queue_work(pool->drv->loop, &job->work, job_work, job_done);
    if (r < 0)
        return error_set(error, r, VIR_ERR_INTERNAL_ERROR, "cannot queue a volume job: %s",
                         uv_strerror(r));
    pool->jobs++;
    pool->drv->jobs++;
    if (job->src)
        job->src->readers++;
    return 0;
}

static VolJob *
job_new(JobKind kind, StorageVol *vol, StorageVolDoneCb cb, void *userdata)
{
    VolJob *job = xcalloc(1, sizeof(*job));

    job->kind = kind;
    job->vol = vol;
    job->cb = cb;
    job->userdata = userdata;
    job->path = xstrdup(vol->def->target_path);
    job->format = vol->def->format;
    job->capacity = vol->def->capacity;
    job->allocation = vol->def->allocation;
    job->old_capacity = vol->def->capacity;
    job->backing_path = vol->def->backing_path ? xstrdup(vol->def->backing_path) : NULL;
    job->backing_format = vol->def->has_backing_format ? (int) vol->def->backing_format : -1;
    job->perms = vol->def->perms;
    return job;
}

int
storage_vol_create(StoragePool *pool, const char *xml, StorageVol *src, unsigned flags,
                   StorageVolDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(storage_vol_def_freep) StorageVolDef *def = NULL;
    auto_cleanup(free_ptr) char *path = NULL;
    StorageVol *vol;
    VolJob *job;
    struct stat st;
    int r;

    if (flags & ~STORAGE_VOL_CREATE_PREALLOC_METADATA)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s",
                         flags & ~STORAGE_VOL_CREATE_PREALLOC_METADATA,
                         src ? "StorageVolCreateXMLFrom" : "StorageVolCreateXML");
    r = storage_pool_check_active(pool, error);
    if (r >= 0)
        r = storage_vol_def_parse(xml, src ? STORAGE_VOL_DEF_PARSE_NO_CAPACITY : 0, &def, error);
    if (r >= 0)
        r = storage_vol_name_check(def->name, error);
    if (r >= 0 && src)
        r = check_idle(src, true, error);
    if (r < 0)
        return r;
    if (find_in_pool(pool, def->name))
        return error_set(error, -EEXIST, VIR_ERR_STORAGE_VOL_EXIST,
                         "storage volume '%s' exists already", def->name);
    path = xasprintf("%s/%s", pool->def->target_path, def->name);
    if (lstat(path, &st) == 0)
        return error_set(error, -EEXIST, VIR_ERR_STORAGE_VOL_EXIST,
                         "storage volume '%s' exists already: '%s' is in the pool's folder",
                         def->name, path);
    if (src) {
        if (!def->has_format)
            def->format = src->def->format;
        if (!def->has_capacity || def->capacity < src->def->capacity)
            def->capacity = src->def->capacity;
        if (def->backing_path)
            return error_set(error, -EINVAL, VIR_ERR_NO_SUPPORT,
                             "a backing store cannot be given to a clone of volume '%s'",
                             src->def->name);
    }
    if (def->backing_path && def->format == STORAGE_VOL_FORMAT_RAW)
        return error_set(error, -EINVAL, VIR_ERR_NO_SUPPORT,
                         "backing storage not supported for raw volumes");
    if (def->backing_path && stat(def->backing_path, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_OPERATION_INVALID,
                               "backing store '%s' of volume '%s' cannot be used",
                               def->backing_path, def->name);
    if ((flags & STORAGE_VOL_CREATE_PREALLOC_METADATA) && def->format != STORAGE_VOL_FORMAT_QCOW2)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_UNSUPPORTED,
                         "metadata preallocation only available with qcow2");
    if (def->allocation > def->capacity || !def->has_allocation)
        def->allocation = def->capacity;

    vol = vol_add(pool, steal_ptr(def));
    vol->building = true;
    job = job_new(src ? JOB_CLONE : JOB_CREATE, vol, cb, userdata);
    job->prealloc_metadata = flags & STORAGE_VOL_CREATE_PREALLOC_METADATA;
    if (src) {
        job->src = src;
        job->src_path = xstrdup(src->def->target_path);
        job->src_format = src->def->format;
        job->old_capacity = src->def->capacity;
    }
    r = job_queue(job, error);
    if (r < 0) {
        job_free(job);
        vol_remove(vol, false);
    }
    return r;
}

int
storage_vol_wipe(StorageVol *vol, unsigned algorithm, unsigned flags, StorageVolDoneCb cb,
                 void *userdata, Error *error)
{
    VolJob *job;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Wipe", flags);
    if (algorithm != STORAGE_VOL_WIPE_ALG_ZERO)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported wipe algorithm %u", algorithm);
    r = storage_pool_check_active(vol->pool, error);
    if (r >= 0)
        r = check_idle(vol, false, error);
    if (r < 0)
        return r;
    job = job_new(JOB_WIPE, vol, cb, userdata);
    r = job_queue(job, error);
    if (r < 0) {
        job_free(job);
        return r;
    }
    vol->busy = "wipe";
    return 0;
}

int
storage_vol_resize(StorageVol *vol, uint64_t capacity, unsigned flags, StorageVolDoneCb cb,
                   void *userdata, Error *error)
{
    uint64_t cur = vol->def->capacity, target = capacity;
    VolJob *job;
    int r;

    if (flags & ~(STORAGE_VOL_RESIZE_ALLOCATE | STORAGE_VOL_RESIZE_DELTA |
                  STORAGE_VOL_RESIZE_SHRINK))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Resize",
                         flags & ~(unsigned) (STORAGE_VOL_RESIZE_ALLOCATE |
                                              STORAGE_VOL_RESIZE_DELTA |
                                              STORAGE_VOL_RESIZE_SHRINK));
    r = storage_pool_check_active(vol->pool, error);
    if (r >= 0)
        r = check_idle(vol, false, error);
    if (r >= 0)
        r = storage_vol_probe(vol, error);
    if (r < 0)
        return r;
    cur = vol->def->capacity;
    if (flags & STORAGE_VOL_RESIZE_DELTA) {
        if (flags & STORAGE_VOL_RESIZE_SHRINK) {
            if (capacity > cur)
                return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                                 "cannot shrink volume '%s' below zero", vol->def->name);
            target = cur - capacity;
        } else {
            if (capacity > STORAGE_VOL_SIZE_MAX - cur)
                return error_set(error, -ERANGE, VIR_ERR_OVERFLOW,
                                 "new capacity of volume '%s' is too large", vol->def->name);
            target = cur + capacity;
        }
    }
    if (target > STORAGE_VOL_SIZE_MAX)
        return error_set(error, -ERANGE, VIR_ERR_OVERFLOW,
                         "capacity %" PRIu64 " of volume '%s' is too large", target,
                         vol->def->name);
    if (target < cur && !(flags & STORAGE_VOL_RESIZE_SHRINK))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "Can't shrink capacity below current capacity unless shrink flag "
                         "explicitly specified");
    if (target < cur && vol->def->format == STORAGE_VOL_FORMAT_QCOW2)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_UNSUPPORTED,
                         "shrinking qcow2 volume '%s' is not supported: the data past the "
                         "new size cannot be checked", vol->def->name);
    if ((flags & STORAGE_VOL_RESIZE_ALLOCATE) && vol->def->format != STORAGE_VOL_FORMAT_RAW)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_UNSUPPORTED,
                         "preallocate is only supported for raw type volume");
    job = job_new(JOB_RESIZE, vol, cb, userdata);
    job->capacity = target;
    job->old_capacity = cur;
    job->flags = flags;
    r = job_queue(job, error);
    if (r < 0) {
        job_free(job);
        return r;
    }
    vol->busy = "resize";
    return 0;
}

int
storage_vol_delete(StorageVol *vol, unsigned flags, Error *error)
{
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Delete", flags);
    r = storage_pool_check_active(vol->pool, error);
    if (r >= 0)
        r = check_idle(vol, false, error);
    if (r < 0)
        return r;
    if (unlink(vol->def->target_path) < 0 && errno != ENOENT)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot remove volume '%s'", vol->def->target_path);
    vol_remove(vol, true);
    return 0;
}

int
storage_vol_get_info(StorageVol *vol, unsigned flags, int *ret_type, uint64_t *ret_capacity,
                     uint64_t *ret_allocation, Error *error)
{
    if (flags & ~STORAGE_VOL_GET_PHYSICAL)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function GetInfo", flags);
    if (!vol->busy)
        storage_vol_probe(vol, NULL);
    *ret_type = 0; /* VIR_STORAGE_VOL_FILE */
    *ret_capacity = vol->def->capacity;
    *ret_allocation = (flags & STORAGE_VOL_GET_PHYSICAL) ? vol->def->physical
                                                         : vol->def->allocation;
    return 0;
}

int
storage_vol_get_xml(StorageVol *vol, unsigned flags, char **ret_xml, Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function GetXMLDesc", flags);
    if (!vol->busy)
        storage_vol_probe(vol, NULL);
    *ret_xml = storage_vol_def_format(vol->def);
    return 0;
}
