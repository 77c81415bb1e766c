/* Pools: the driver's list, definitions on disk, and the pool lifecycle
 * (define, build, start, refresh, stop, delete, undefine, autostart). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fileutil.h"
#include "list_filter.h"
#include "log.h"
#include "object_path.h"
#include "state_store.h"
#include "storage_driver.h"

#define POOL_BUS_PREFIX "/org/libvirt/QEMU/storagepool"

OBJ_LIST_KEY_STR(pool_key_name, StoragePool, o->def->name)
OBJ_LIST_KEY_UUID(pool_key_uuid, StoragePool, &o->def->uuid)
OBJ_LIST_KEY_STR(pool_key_path, StoragePool, o->bus_path)

static const ObjListKind storage_pool_kind = {
    .name = pool_key_name,
    .uuid = pool_key_uuid,
    .path = pool_key_path,
};

/* A pool's volumes by name, and all the driver's by key. */
OBJ_LIST_KEY_STR(vol_key_name, StorageVol, o->def->name)
OBJ_LIST_KEY_STR(vol_key_key, StorageVol, o->def->key)
OBJ_LIST_KEY_STR(vol_key_path, StorageVol, o->bus_path)

static const ObjListKind pool_vols_kind = {
    .name = vol_key_name,
    .path = vol_key_path,
};

static const ObjListKind driver_vols_kind = {
    .name = vol_key_key,
    .path = vol_key_path,
};

/* ---- the list ------------------------------------------------------------ */

size_t
storage_driver_count(StorageDriver *drv)
{
    return obj_list_count(&drv->pools);
}

StoragePool *
storage_driver_nth(StorageDriver *drv, size_t i)
{
    return obj_list_nth(&drv->pools, i);
}

static StoragePool *
pool_new(StorageDriver *drv, StoragePoolDef *def)
{
    StoragePool *pool = xcalloc(1, sizeof(*pool));

    pool->drv = drv;
    pool->def = def;
    pool->bus_path = object_path_from_uuid(POOL_BUS_PREFIX, &def->uuid);
    obj_list_init(&pool->vols, &pool_vols_kind);
    obj_list_add(&drv->pools, pool);
    return pool;
}

static void
pool_free(StoragePool *pool)
{
    if (!pool)
        return;
    storage_pool_drop_vols(pool, false);
    obj_list_clear(&pool->vols);
    storage_pool_def_free(pool->def);
    storage_pool_def_free(pool->next_def);
    free(pool->bus_path);
    free(pool);
}

/* Takes @pool out of the list, announces it and frees it. */
static void
pool_remove(StoragePool *pool)
{
    StorageDriver *drv = pool->drv;

    obj_list_remove(&drv->pools, pool);
    STORAGE_HOOK(drv, pool_removed, pool);
    pool_free(pool);
}

static StoragePool *
find_name(StorageDriver *drv, const char *name)
{
    return obj_list_find_name(&drv->pools, name);
}

static StoragePool *
find_uuid(StorageDriver *drv, const Uuid *uuid)
{
    return obj_list_find_uuid(&drv->pools, uuid);
}

int
storage_pool_lookup_name(StorageDriver *drv, const char *name, StoragePool **ret, Error *error)
{
    StoragePool *pool = find_name(drv, name);

    if (!pool)
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_POOL,
                         "Storage pool not found: no storage pool with matching name '%s'",
                         name);
    *ret = pool;
    return 0;
}

int
storage_pool_lookup_uuid(StorageDriver *drv, const char *uuid, StoragePool **ret, Error *error)
{
    StoragePool *pool = NULL;
    Uuid u;

    if (uuid_parse(uuid, &u) == 0)
        pool = find_uuid(drv, &u);
    if (!pool)
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_POOL,
                         "Storage pool not found: no storage pool with matching uuid '%s'",
                         uuid);
    *ret = pool;
    return 0;
}

StoragePool *
storage_pool_find_by_path(StorageDriver *drv, const char *bus_path)
{
    return obj_list_find_path(&drv->pools, bus_path);
}

static bool
pool_matches(StoragePool *pool, unsigned flags)
{
    /* Every pool here is a dir pool. */
    return list_filter_pool(flags, pool->active, pool->persistent, pool->autostart,
                            LIST_POOLS_DIR);
}

int
storage_pool_list(StorageDriver *drv, unsigned flags, StoragePool ***ret, size_t *ret_n,
                  Error *error)
{
    StoragePool **list;
    size_t n = 0;

    if (flags & ~LIST_POOLS_KNOWN)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function ListStoragePools",
                         flags & ~LIST_POOLS_KNOWN);
    list = xcalloc(storage_driver_count(drv) + 1, sizeof(*list));
    for (size_t i = 0; i < storage_driver_count(drv); i++)
        if (pool_matches(storage_driver_nth(drv, i), flags))
            list[n++] = storage_driver_nth(drv, i);
    *ret = list;
    *ret_n = n;
    return 0;
}

int
storage_pool_check_active(StoragePool *pool, Error *error)
{
    if (!pool->active)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "storage pool '%s' is not active", pool->def->name);
    return 0;
}

static int
check_no_jobs(StoragePool *pool, Error *error)
{
    for (size_t i = 0; pool->jobs && i < storage_pool_vol_count(pool); i++)
        storage_stream_settle(storage_pool_vol_nth(pool, i));
    if (pool->jobs)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "storage pool '%s' has asynchronous jobs running", pool->def->name);
    return 0;
}

static int
check_flags(unsigned flags, unsigned allowed, const char *func, Error *error)
{
    if (flags & ~allowed)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", flags & ~allowed, func);
    return 0;
}

/* ---- definitions --------------------------------------------------------- */

/* Two pools on one folder: refused, as libvirt does, also when the two paths
 * differ but are the same folder (a link). */
static int
check_duplicate_target(StorageDriver *drv, const StoragePoolDef *def, Error *error)
{
    struct stat a, b;
    bool have_a = stat(def->target_path, &a) == 0;

    for (size_t i = 0; i < storage_driver_count(drv); i++) {
        StoragePool *other = storage_driver_nth(drv, i);
        const StoragePoolDef *odefs[2] = { other->def, other->next_def };

        /* The pool this definition is of (same name) is no conflict. */
        if (STREQ(other->def->name, def->name))
            continue;
        for (size_t k = 0; k < 2; k++) {
            const StoragePoolDef *o = odefs[k];

            if (!o)
                continue;
            if (STREQ(o->target_path, def->target_path) ||
                (have_a && stat(o->target_path, &b) == 0 && a.st_dev == b.st_dev &&
                 a.st_ino == b.st_ino))
                return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                                 "operation failed: Storage source conflict with pool: '%s'",
                                 other->def->name);
        }
    }
    return 0;
}

/* Finds the pool @def replaces (same name and uuid) or checks it is new. */
static int
check_new_def(StorageDriver *drv, const StoragePoolDef *def, StoragePool **ret_existing,
              Error *error)
{
    StoragePool *by_name = find_name(drv, def->name);
    StoragePool *by_uuid = find_uuid(drv, &def->uuid);
    char uuid[UUID_STRING_LEN];
    int r;

    /* libvirt's order and words: the name, the folder, then the uuid. */
    if (by_name && !uuid_equal(&by_name->def->uuid, &def->uuid))
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                         "operation failed: pool '%s' already exists with uuid %s", def->name,
                         uuid_format(&by_name->def->uuid, uuid));
    r = check_duplicate_target(drv, def, error);
    if (r < 0)
        return r;
    if (by_uuid && !by_name)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                         "operation failed: pool '%s' is already defined with uuid %s",
                         by_uuid->def->name, uuid_format(&def->uuid, uuid));
    *ret_existing = by_name;
    return 0;
}

static int
save_config(StorageDriver *drv, const StoragePoolDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *xml = storage_pool_def_format(def);

    return state_store_save(drv->config, def->name, xml, error);
}

static int
save_state(StoragePool *pool, Error *error)
{
    auto_cleanup(free_ptr) char *xml = storage_pool_def_format(pool->def);

    return state_store_save(pool->drv->state, pool->def->name, xml, error);
}

int
storage_pool_define(StorageDriver *drv, const char *xml, unsigned flags, StoragePool **ret,
                    Error *error)
{
    auto_cleanup(storage_pool_def_freep) StoragePoolDef *def = NULL;
    StoragePool *pool = NULL;
    int r;

    r = check_flags(flags, 0, "StoragePoolDefineXML", error);
    if (r >= 0)
        r = storage_pool_def_parse(xml, &def, error);
    if (r >= 0)
        r = check_new_def(drv, def, &pool, error);
    if (r < 0)
        return r;
    /* Written first: a pool the caller was told about is on disk. */
    r = save_config(drv, def, error);
    if (r < 0)
        return r;

    if (!pool) {
        pool = pool_new(drv, steal_ptr(def));
        pool->persistent = true;
        STORAGE_HOOK(drv, pool_added, pool);
    } else if (pool->active) {
        storage_pool_def_free(pool->next_def);
        pool->next_def = steal_ptr(def);
        pool->persistent = true;
    } else {
        storage_pool_def_free(pool->def);
        pool->def = steal_ptr(def);
        pool->persistent = true;
    }
    STORAGE_HOOK(drv, pool_changed, pool);
    STORAGE_HOOK(drv, pool_event, pool, STORAGE_POOL_EVENT_DEFINED);
    *ret = pool;
    return 0;
}

/* ---- build, start, stop -------------------------------------------------- */

static int
apply_perms(const char *path, const StoragePerms *perms, mode_t default_mode, Error *error)
{
    mode_t mode = perms->mode >= 0 ? (mode_t) perms->mode : default_mode;

    if ((perms->uid >= 0 || perms->gid >= 0) &&
        chown(path, perms->uid >= 0 ? (uid_t) perms->uid : (uid_t) -1,
              perms->gid >= 0 ? (gid_t) perms->gid : (gid_t) -1) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot set owner of '%s'", path);
    if (chmod(path, mode) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot set mode of '%s' to %04o", path, (unsigned) mode);
    return 0;
}

/* libvirt's dir pools get 0711 unless the XML says otherwise. */
#define POOL_DIR_MODE 0711

static int
pool_build(StoragePool *pool, const StoragePoolDef *def, unsigned flags, Error *error)
{
    const char *path = def->target_path;
    auto_cleanup(free_ptr) char *parent = xstrdup(path);
    struct stat st;
    int r;

    if ((flags & STORAGE_POOL_BUILD_OVERWRITE) && (flags & STORAGE_POOL_BUILD_NO_OVERWRITE))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "overwrite and no overwrite flags are mutually exclusive");
    if (lstat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return error_set(error, -ENOTDIR, VIR_ERR_OPERATION_INVALID,
                             "cannot build storage pool '%s': target path '%s' exists and "
                             "is not a folder", def->name, path);
        if (flags & STORAGE_POOL_BUILD_NO_OVERWRITE)
            return error_set(error, -EEXIST, VIR_ERR_STORAGE_POOL_BUILT,
                             "storage pool already built: folder '%s' already exists", path);
    } else {
        *strrchr(parent, '/') = '\0';
        if (*parent) {
            r = mkdir_p(parent, 0755, error);
            if (r < 0)
                return r;
        }
        if (mkdir(path, POOL_DIR_MODE) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot create folder '%s' of storage pool '%s'", path,
                                   def->name);
    }
    return apply_perms(path, &def->perms, POOL_DIR_MODE, error);
}

int
storage_pool_build(StoragePool *pool, unsigned flags, Error *error)
{
    int r;

    r = check_flags(flags, STORAGE_POOL_BUILD_OVERWRITE | STORAGE_POOL_BUILD_NO_OVERWRITE,
                    "Build", error);
    if (r < 0)
        return r;
    if (pool->active)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "storage pool '%s' is already active", pool->def->name);
    return pool_build(pool, pool->def, flags, error);
}

static int
check_target(const StoragePoolDef *def, Error *error)
{
    struct stat st;

    if (stat(def->target_path, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_OPERATION_INVALID,
                               "cannot open target path '%s' of storage pool '%s'",
                               def->target_path, def->name);
    if (!S_ISDIR(st.st_mode))
        return error_set(error, -ENOTDIR, VIR_ERR_OPERATION_INVALID,
                         "target path '%s' of storage pool '%s' is not a folder",
                         def->target_path, def->name);
    return 0;
}

static void
update_fs(StoragePool *pool)
{
    struct statvfs sv;

    if (!pool->active || statvfs(pool->def->target_path, &sv) < 0)
        return;
    pool->def->capacity = (unsigned long long) sv.f_frsize * sv.f_blocks;
    pool->def->available = (unsigned long long) sv.f_frsize * sv.f_bavail;
    pool->def->allocation = (unsigned long long) sv.f_frsize * (sv.f_blocks - sv.f_bfree);
}

/* Marks @pool active and lists its volumes; undone on failure. */
static int
pool_activate(StoragePool *pool, Error *error)
{
    int r;

    r = check_target(pool->def, error);
    if (r < 0)
        return r;
    pool->active = true;
    update_fs(pool);
    r = storage_pool_scan(pool, pool->drv->announce, error);
    if (r >= 0)
        r = save_state(pool, error);
    if (r < 0) {
        storage_pool_drop_vols(pool, pool->drv->announce);
        pool->active = false;
    }
    return r;
}

int
storage_pool_start(StoragePool *pool, unsigned flags, Error *error)
{
    unsigned build = flags & (STORAGE_POOL_CREATE_WITH_BUILD |
                              STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE |
                              STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE);
    int r;

    r = check_flags(flags, 7, "Create", error);
    if (r < 0)
        return r;
    if (pool->active)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "storage pool '%s' is already active", pool->def->name);
    if (build) {
        unsigned bflags = 0;

        if (flags & STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE)
            bflags |= STORAGE_POOL_BUILD_OVERWRITE;
        if (flags & STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE)
            bflags |= STORAGE_POOL_BUILD_NO_OVERWRITE;
        r = pool_build(pool, pool->def, bflags, error);
        if (r < 0)
            return r;
    }
    r = pool_activate(pool, error);
    if (r < 0)
        return r;
    STORAGE_HOOK(pool->drv, pool_changed, pool);
    STORAGE_HOOK(pool->drv, pool_event, pool, STORAGE_POOL_EVENT_STARTED);
    return 0;
}

int
storage_pool_create_xml(StorageDriver *drv, const char *xml, unsigned flags, StoragePool **ret,
                        Error *error)
{
    auto_cleanup(storage_pool_def_freep) StoragePoolDef *def = NULL;
    StoragePool *existing = NULL, *pool;
    bool announce = drv->announce;
    int r;

    r = check_flags(flags, 7, "StoragePoolCreateXML", error);
    if (r >= 0)
        r = storage_pool_def_parse(xml, &def, error);
    if (r >= 0)
        r = check_new_def(drv, def, &existing, error);
    if (r < 0)
        return r;
    if (existing && existing->active)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: pool is already active as '%s'",
                         def->name);
    if (existing) {
        /* As libvirt: an inactive definition of the same name and uuid is
         * started with the given XML as its live definition; the persistent
         * one comes back when the pool stops. */
        StoragePoolDef *persistent = existing->def;

        existing->next_def = persistent;
        existing->def = steal_ptr(def);
        r = storage_pool_start(existing, flags, error);
        if (r < 0) {
            storage_pool_def_free(existing->def);
            existing->def = steal_ptr(existing->next_def);
            return r;
        }
        *ret = existing;
        return 0;
    }

    /* Quiet until it works: a failed create leaves nothing, not even a
     * signal about an object that came and went. */
    pool = pool_new(drv, steal_ptr(def));
    drv->announce = false;
    r = storage_pool_start(pool, flags, error);
    drv->announce = announce;
    if (r < 0) {
        drv->announce = false;
        pool_remove(pool);
        drv->announce = announce;
        return r;
    }
    STORAGE_HOOK(drv, pool_added, pool);
    for (size_t i = 0; i < storage_pool_vol_count(pool); i++)
        STORAGE_HOOK(drv, vol_added, storage_pool_vol_nth(pool, i));
    STORAGE_HOOK(drv, pool_event, pool, STORAGE_POOL_EVENT_STARTED);
    *ret = pool;
    return 0;
}

int
storage_pool_destroy(StoragePool *pool, Error *error)
{
    StorageDriver *drv = pool->drv;
    int r;

    r = storage_pool_check_active(pool, error);
    if (r >= 0)
        r = check_no_jobs(pool, error);
    if (r < 0)
        return r;
    storage_pool_drop_vols(pool, true);
    pool->active = false;
    state_store_remove(drv->state, pool->def->name, NULL);
    if (pool->next_def) {
        storage_pool_def_free(pool->def);
        pool->def = steal_ptr(pool->next_def);
    }
    STORAGE_HOOK(drv, pool_changed, pool);
    STORAGE_HOOK(drv, pool_event, pool, STORAGE_POOL_EVENT_STOPPED);
    if (!pool->persistent)
        pool_remove(pool);
    return 0;
}

int
storage_pool_delete(StoragePool *pool, unsigned flags, Error *error)
{
    const char *path = pool->def->target_path;
    struct stat st;
    int r;

    r = check_flags(flags, 0, "Delete", error);
    if (r < 0)
        return r;
    if (pool->active)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "storage pool '%s' is still active", pool->def->name);
    if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode))
        return error_set(error, -ENOTDIR, VIR_ERR_OPERATION_INVALID,
                         "target path '%s' of storage pool '%s' is not a folder", path,
                         pool->def->name);
    r = rmdir_if_empty(path);
    if (r == -ENOTEMPTY)
        return error_set(error, r, VIR_ERR_OPERATION_INVALID,
                         "cannot delete storage pool '%s': folder '%s' is not empty",
                         pool->def->name, path);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot remove folder '%s' of storage pool '%s'", path,
                               pool->def->name);
    STORAGE_HOOK(pool->drv, pool_event, pool, STORAGE_POOL_EVENT_DELETED);
    return 0;
}

int
storage_pool_undefine(StoragePool *pool, Error *error)
{
    StorageDriver *drv = pool->drv;
    int r;

    /* A transient pool is always active: refused here too, as in libvirt. */
    if (pool->active)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: storage pool '%s' is still active",
                         pool->def->name);
    r = state_store_remove(drv->config, pool->def->name, error);
    if (r < 0)
        return r;
    pool->persistent = false;
    STORAGE_HOOK(drv, pool_event, pool, STORAGE_POOL_EVENT_UNDEFINED);
    pool_remove(pool);
    return 0;
}

int
storage_pool_refresh(StoragePool *pool, unsigned flags, Error *error)
{
    int r;

    r = check_flags(flags, 0, "Refresh", error);
    if (r >= 0)
        r = storage_pool_check_active(pool, error);
    if (r >= 0)
        r = check_no_jobs(pool, error);
    if (r < 0)
        return r;
    r = check_target(pool->def, error);
    if (r < 0) {
        /* The folder is gone: libvirt stops the pool. */
        Error ignored = ERROR_INIT;
        storage_pool_destroy(pool, &ignored);
        error_clear(&ignored);
        return r;
    }
    update_fs(pool);
    r = storage_pool_scan(pool, true, error);
    if (r < 0)
        return r;
    STORAGE_HOOK(pool->drv, pool_refreshed, pool);
    return 0;
}

int
storage_pool_set_autostart(StoragePool *pool, bool on, Error *error)
{
    int r;

    /* libvirt's words: a transient pool has no configuration file. */
    if (!pool->persistent)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: pool has no config file");
    if (pool->autostart == on)
        return 0;
    r = state_store_set_autostart(pool->drv->config, pool->def->name, on, error);
    if (r < 0)
        return r;
    pool->autostart = on;
    STORAGE_HOOK(pool->drv, pool_changed, pool);
    return 0;
}

int
storage_pool_get_info(StoragePool *pool, int *ret_state, uint64_t *ret_capacity,
                      uint64_t *ret_allocation, uint64_t *ret_available, Error *error)
{
    update_fs(pool);
    *ret_state = pool->active ? STORAGE_POOL_STATE_RUNNING : STORAGE_POOL_STATE_INACTIVE;
    *ret_capacity = pool->active ? pool->def->capacity : 0;
    *ret_allocation = pool->active ? pool->def->allocation : 0;
    *ret_available = pool->active ? pool->def->available : 0;
    return 0;
}

int
storage_pool_get_xml(StoragePool *pool, unsigned flags, char **ret_xml, Error *error)
{
    int r;

    r = check_flags(flags, STORAGE_XML_INACTIVE, "GetXMLDesc", error);
    if (r < 0)
        return r;
    update_fs(pool);
    if ((flags & STORAGE_XML_INACTIVE) && pool->next_def)
        *ret_xml = storage_pool_def_format(pool->next_def);
    else
        *ret_xml = storage_pool_def_format(pool->def);
    return 0;
}

/* ---- the driver ---------------------------------------------------------- */

static void
load_pools(StorageDriver *drv)
{
    auto_cleanup(strv_freep) char **names = NULL;
    Error error = ERROR_INIT;

    if (state_store_list(drv->config, &names, &error) < 0) {
        log_warn("%s", error.message);
        error_clear(&error);
    }
    for (size_t i = 0; names && names[i]; i++) {
        auto_cleanup(free_ptr) char *xml = NULL;
        StoragePoolDef *def = NULL;
        StoragePool *pool;

        if (state_store_load(drv->config, names[i], &xml, &error) < 0 ||
            storage_pool_def_parse(xml, &def, &error) < 0 ||
            (!STREQ(def->name, names[i]) &&
             error_set(&error, -EINVAL, VIR_ERR_XML_ERROR, "pool name '%s' does not match "
                       "its file name", def->name) < 0) ||
            find_name(drv, def->name) || find_uuid(drv, &def->uuid)) {
            log_warn("skipping storage pool definition '%s': %s", names[i],
                     error.message ? error.message : "duplicate");
            error_clear(&error);
            storage_pool_def_free(def);
            continue;
        }
        pool = pool_new(drv, def);
        pool->persistent = true;
        pool->autostart = state_store_get_autostart(drv->config, def->name);
    }
    strv_free(steal_ptr(names));

    /* The pools that were active: the live definition wins. */
    if (state_store_list(drv->state, &names, &error) < 0) {
        log_warn("%s", error.message);
        error_clear(&error);
    }
    for (size_t i = 0; names && names[i]; i++) {
        auto_cleanup(free_ptr) char *xml = NULL;
        StoragePoolDef *def = NULL;
        StoragePool *pool;

        if (state_store_load(drv->state, names[i], &xml, &error) < 0 ||
            storage_pool_def_parse(xml, &def, &error) < 0) {
            log_warn("dropping the state of storage pool '%s': %s", names[i], error.message);
            error_clear(&error);
            state_store_remove(drv->state, names[i], NULL);
            continue;
        }
        pool = find_name(drv, def->name);
        if (pool && !uuid_equal(&pool->def->uuid, &def->uuid)) {
            storage_pool_def_free(def);
            state_store_remove(drv->state, names[i], NULL);
            continue;
        }
        if (pool) {
            pool->next_def = pool->def;
            pool->def = def;
        } else {
            pool = pool_new(drv, def);
        }
        if (pool_activate(pool, &error) < 0) {
            log_warn("storage pool '%s' is no longer active: %s", def->name, error.message);
            error_clear(&error);
            state_store_remove(drv->state, def->name, NULL);
            if (pool->next_def) {
                storage_pool_def_free(pool->def);
                pool->def = steal_ptr(pool->next_def);
            }
            if (!pool->persistent)
                pool_remove(pool);
        }
    }
}

int
storage_driver_new(const StorageDriverConfig *cfg, StorageDriver **ret, Error *error)
{
    StorageDriver *drv = xcalloc(1, sizeof(*drv));
    auto_cleanup(free_ptr) char *config_dir = path_join(cfg->root, "/etc/libvirt/storage");
    auto_cleanup(free_ptr) char *state_dir = path_join(cfg->root, "/run/libvirt/storage");
    int r;

    obj_list_init(&drv->pools, &storage_pool_kind);
    obj_list_init(&drv->vols, &driver_vols_kind);
    drv->loop = cfg->loop;
    drv->root = xstrdup(cfg->root);
    drv->hooks = cfg->hooks;
    drv->hooks_userdata = cfg->hooks_userdata;
    r = state_store_open(config_dir, &drv->config, error);
    if (r >= 0)
        r = state_store_open(state_dir, &drv->state, error);
    if (r < 0) {
        storage_driver_free(drv);
        return r;
    }
    load_pools(drv);
    drv->announce = true;
    *ret = drv;
    return 0;
}

void
storage_driver_autostart(StorageDriver *drv)
{
    for (size_t i = 0; i < storage_driver_count(drv); i++) {
        StoragePool *pool = storage_driver_nth(drv, i);
        Error error = ERROR_INIT;

        if (pool->active || !pool->autostart)
            continue;
        if (storage_pool_start(pool, 0, &error) < 0)
            log_warn("cannot autostart storage pool '%s': %s", pool->def->name, error.message);
        error_clear(&error);
    }
}

bool
storage_driver_busy(StorageDriver *drv)
{
    return drv->jobs > 0;
}

void
storage_driver_free(StorageDriver *drv)
{
    if (!drv)
        return;
    drv->announce = false;
    for (size_t i = 0; i < storage_driver_count(drv); i++)
        pool_free(storage_driver_nth(drv, i));
    obj_list_clear(&drv->pools);
    obj_list_clear(&drv->vols);
    state_store_free(drv->config);
    state_store_free(drv->state);
    free(drv->root);
    free(drv);
}
