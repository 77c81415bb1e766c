/* Storage pools and volumes: routed to org.libvirt.storage (virtstoraged).
 *
 * Lookups, lists, activity, persistence, autostart and volume paths are
 * answered from the mirror of its org.libvirt.StoragePool and
 * org.libvirt.StorageVol objects; everything else (define, build, start,
 * info, XML, volume creation, resize, wipe, upload, download...) is a D-Bus
 * call on the pool or volume object.
 *
 * The mirror does not say which pool a volume belongs to (libvirt-dbus's
 * StorageVol has no such property), while libvirt's volume handle carries
 * the pool's name. Where the client did not name the pool (lookup by key or
 * by path) every active pool is asked StorageVolLookupByName(the volume's
 * name) at once, and the pool that answers with the volume's object is the
 * one: a directory holds each file once and two pools never share one. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "list_filter.h"
#include "log.h"
#include "object_path.h"
#include "proxy.h"
#include "uuid.h"

#define POOL_IFACE "org.libvirt.StoragePool"
#define VOL_IFACE "org.libvirt.StorageVol"
#define VOL_STREAM_IFACE "org.virtstack.StorageVolStream"
#define CONNECT_IFACE "org.libvirt.Connect"

/* SPARSE_STREAM, the same bit for uploads and downloads. */
#define VOL_STREAM_SPARSE STORAGE_VOL_UPLOAD_SPARSE_STREAM

static bool
is_pool(const MirrorObject *obj)
{
    return mirror_has_iface(obj, POOL_IFACE);
}

static bool
is_vol(const MirrorObject *obj)
{
    return mirror_has_iface(obj, VOL_IFACE);
}

static const char *
pool_name(const MirrorObject *obj)
{
    return mirror_get_str(obj, POOL_IFACE, "Name", "");
}

static bool
pool_active(const MirrorObject *obj)
{
    return mirror_get_bool(obj, POOL_IFACE, "Active", false);
}

static void
pool_from_object(const MirrorObject *obj, void *wire)
{
    remote_nonnull_storage_pool *ret = wire;

    ret->name = xstrdup(pool_name(obj));
    mirror_path_uuid(obj->path, (uint8_t *) ret->uuid);
}

static void
vol_from_object(const MirrorObject *obj, const char *pool, remote_nonnull_storage_vol *ret)
{
    ret->pool = xstrdup(pool);
    ret->name = xstrdup(mirror_get_str(obj, VOL_IFACE, "Name", ""));
    ret->key = xstrdup(mirror_get_str(obj, VOL_IFACE, "Key", ""));
}

static bool
pool_matches(const MirrorObject *obj, unsigned flags)
{
    /* Every pool here is a dir pool. */
    return list_filter_pool(flags, pool_active(obj),
                            mirror_get_bool(obj, POOL_IFACE, "Persistent", false),
                            mirror_get_bool(obj, POOL_IFACE, "Autostart", false), LIST_POOLS_DIR);
}

static const ProxyKind pool_kind = {
    .svc = MIRROR_SVC_STORAGE,
    .iface = POOL_IFACE,
    .path_kind = "storagepool",
    .title = "Storage pool",
    .noun = "storage pool",
    .wire_noun = "storage_pool",
    .no_object = VIR_ERR_NO_STORAGE_POOL,
    .list_max = REMOTE_STORAGE_POOL_LIST_MAX,
    .list_max_name = "REMOTE_STORAGE_POOL_LIST_MAX",
    .list_flags = LIST_POOLS_KNOWN,
    .list_all_api = "virConnectListAllStoragePools",
    .wire_size = sizeof(remote_nonnull_storage_pool),
    .to_wire = pool_from_object,
    .matches = pool_matches,
};

static MirrorService *
storage_present(Call *call, Error *error)
{
    return proxy_kind_present(call, &pool_kind, error);
}

/* The args of every per-pool procedure begin with the pool. */
static int
args_pool(Call *call, const void *args, MirrorObject **ret, Error *error)
{
    return proxy_kind_find(call, &pool_kind, args, ret, error);
}

static MirrorObject *
pool_by_name(MirrorService *svc, const char *name)
{
    return mirror_find_by_name(svc, POOL_IFACE, name);
}

static MirrorObject *
vol_by_key(MirrorService *svc, const char *key)
{
    auto_cleanup(free_ptr) char *path =
        object_path_from_name(MIRROR_ROOT_PATH "/storagevol", key);
    MirrorObject *obj = mirror_find(svc, path);

    return obj && is_vol(obj) ? obj : NULL;
}

static int
error_no_pool_name(Error *error, const char *name)
{
    return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_POOL,
                     "Storage pool not found: no storage pool with matching name '%s'", name);
}

static int
error_not_active(Error *error, const char *name)
{
    return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                     "Requested operation is not valid: storage pool '%s' is not active", name);
}

/* The args of every per-volume procedure begin with the volume; like
 * libvirt's driver: its pool by name, active, then the volume in it. */
static int
args_vol(Call *call, const void *args, MirrorObject **ret, Error *error)
{
    const remote_nonnull_storage_vol *vol = args;
    MirrorService *svc = storage_present(call, error);
    MirrorObject *pool;

    if (!svc)
        return -ENOTCONN;
    pool = pool_by_name(svc, vol->pool);
    if (!pool)
        return error_no_pool_name(error, vol->pool);
    if (!pool_active(pool))
        return error_not_active(error, vol->pool);
    *ret = vol_by_key(svc, vol->key);
    if (!*ret)
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                         "Storage volume not found: no storage vol with matching name '%s'",
                         vol->name);
    return 0;
}

/* libvirt answers from the pool name the volume handle carries. */
static int
h_pool_lookup_by_volume(Call *call, void *args_, void *ret_, Error *error)
{
    remote_storage_pool_lookup_by_volume_args *args = args_;
    remote_storage_pool_lookup_by_volume_ret *ret = ret_;
    MirrorService *svc = storage_present(call, error);
    MirrorObject *obj;

    if (!svc)
        return -ENOTCONN;
    obj = pool_by_name(svc, args->vol.pool);
    if (!obj)
        return error_no_pool_name(error, args->vol.pool);
    pool_from_object(obj, &ret->pool);
    return 0;
}

/* ---- the driver's capabilities and source discovery -------------------- */

static int
h_pool_capabilities(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_get_storage_pool_capabilities_args *args = args_;
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_STORAGE);

    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.virtstack.Storage",
                          "GetStoragePoolCapabilities", proxy_string_reply, error, "u",
                          args->flags);
}

static int
h_find_pool_sources(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_find_storage_pool_sources_args *args = args_;
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_STORAGE);

    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect",
                          "FindStoragePoolSources", proxy_string_reply, error, "ssu", args->type,
                          proxy_opt_str(args->srcSpec), args->flags);
}

/* ---- pools through virtstoraged ----------------------------------------- */

static int
pool_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_STORAGE);
    MirrorObject *obj;
    const char *path;
    int r;

    r = sd_bus_message_read_basic(reply, 'o', &path);
    if (r < 0)
        return r;
    obj = mirror_find(svc, path);
    if (!obj || !is_pool(obj))
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_POOL,
                         "Storage pool not found: '%s' vanished before it could be answered",
                         path);
    pool_from_object(obj, ret);
    return 0;
}

static int
pool_xml_call(Call *call, const char *member, const char *xml, unsigned flags, Error *error)
{
    MirrorService *svc = storage_present(call, error);

    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, CONNECT_IFACE, member, pool_reply, error,
                          "su", xml, (uint32_t) flags);
}

static int
h_pool_define_xml(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_pool_define_xml_args *args = args_;

    return pool_xml_call(call, "StoragePoolDefineXML", args->xml, args->flags, error);
}

static int
h_pool_create_xml(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_pool_create_xml_args *args = args_;

    return pool_xml_call(call, "StoragePoolCreateXML", args->xml, args->flags, error);
}

/* A pool method taking only flags (Build, Create, Delete, Refresh), or
 * nothing (Destroy, Undefine: @flags < 0). */
static int
pool_call(Call *call, void *args, const char *member, long flags, Error *error)
{
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    if (flags < 0)
        return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, member, NULL, error, NULL);
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, member, NULL, error, "u",
                          (uint32_t) flags);
}

static int
h_pool_build(Call *call, void *args, void *ret, Error *error)
{
    return pool_call(call, args, "Build", ((remote_storage_pool_build_args *) args)->flags,
                     error);
}

static int
h_pool_create(Call *call, void *args, void *ret, Error *error)
{
    return pool_call(call, args, "Create", ((remote_storage_pool_create_args *) args)->flags,
                     error);
}

static int
h_pool_delete(Call *call, void *args, void *ret, Error *error)
{
    return pool_call(call, args, "Delete", ((remote_storage_pool_delete_args *) args)->flags,
                     error);
}

static int
h_pool_refresh(Call *call, void *args, void *ret, Error *error)
{
    return pool_call(call, args, "Refresh", ((remote_storage_pool_refresh_args *) args)->flags,
                     error);
}

static int
h_pool_destroy(Call *call, void *args, void *ret, Error *error)
{
    return pool_call(call, args, "Destroy", -1, error);
}

static int
h_pool_undefine(Call *call, void *args, void *ret, Error *error)
{
    return pool_call(call, args, "Undefine", -1, error);
}

static int
pool_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_storage_pool_get_info_ret *ret = ret_;
    uint64_t cap, alloc, avail;
    int32_t state;
    int r;

    r = sd_bus_message_read(reply, "(ittt)", &state, &cap, &alloc, &avail);
    if (r < 0)
        return r;
    ret->state = state;
    ret->capacity = cap;
    ret->allocation = alloc;
    ret->available = avail;
    return 0;
}

static int
h_pool_get_info(Call *call, void *args, void *ret, Error *error)
{
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, "GetInfo", pool_info_reply,
                          error, NULL);
}

static int
h_pool_get_xml_desc(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_pool_get_xml_desc_args *args = args_;
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, "GetXMLDesc", proxy_string_reply,
                          error, "u", args->flags);
}

static int
h_pool_set_autostart(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_pool_set_autostart_args *args = args_;
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, "org.freedesktop.DBus.Properties", "Set",
                          NULL, error, "ssv", POOL_IFACE, "Autostart", "b",
                          args->autostart != 0);
}

/* ---- the volumes of a pool ---------------------------------------------- */

/* The volume objects of a ListStorageVolumes reply, in its order; those the
 * mirror does not hold (gone meanwhile) are skipped. */
static int
read_vol_objects(Call *call, sd_bus_message *reply, MirrorObject ***ret, size_t *ret_n)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_STORAGE);
    auto_cleanup(free_ptr) MirrorObject **objs = NULL;
    size_t n = 0, cap = 0;
    const char *path;
    int r;

    r = sd_bus_message_enter_container(reply, 'a', "o");
    while (r >= 0 && (r = sd_bus_message_read_basic(reply, 'o', &path)) > 0) {
        MirrorObject *obj = mirror_find(svc, path);
        if (!obj || !is_vol(obj))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            objs = xrealloc(objs, cap * sizeof(*objs));
        }
        objs[n++] = obj;
    }
    if (r < 0)
        return r;
    *ret = steal_ptr(objs);
    *ret_n = n;
    return 0;
}

static int
list_all_vols_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_storage_pool_list_all_volumes_args *args = call->args;
    remote_storage_pool_list_all_volumes_ret *ret = ret_;
    auto_cleanup(free_ptr) MirrorObject **objs = NULL;
    size_t n = 0;
    int r;

    r = read_vol_objects(call, reply, &objs, &n);
    if (r < 0)
        return r;
    if (n > REMOTE_STORAGE_VOL_LIST_MAX)
        n = REMOTE_STORAGE_VOL_LIST_MAX;
    if (args->need_results) {
        ret->vols.vols_val = xcalloc(n + 1, sizeof(remote_nonnull_storage_vol));
        for (size_t i = 0; i < n; i++)
            vol_from_object(objs[i], args->pool.name, &ret->vols.vols_val[i]);
        ret->vols.vols_len = n;
    }
    ret->ret = n;
    return 0;
}

static int
num_of_vols_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_storage_pool_num_of_volumes_ret *ret = ret_;
    auto_cleanup(free_ptr) MirrorObject **objs = NULL;
    size_t n = 0;
    int r;

    r = read_vol_objects(call, reply, &objs, &n);
    if (r < 0)
        return r;
    ret->num = n;
    return 0;
}

static int
list_vols_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_storage_pool_list_volumes_args *args = call->args;
    remote_storage_pool_list_volumes_ret *ret = ret_;
    auto_cleanup(free_ptr) MirrorObject **objs = NULL;
    size_t n = 0;
    int r;

    r = read_vol_objects(call, reply, &objs, &n);
    if (r < 0)
        return r;
    if (n > (size_t) args->maxnames)
        n = args->maxnames;
    ret->names.names_val = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        ret->names.names_val[i] = xstrdup(mirror_get_str(objs[i], VOL_IFACE, "Name", ""));
    ret->names.names_len = n;
    return 0;
}

static int
list_vols_call(Call *call, void *args, BusReplyFn fn, unsigned flags, Error *error)
{
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, "ListStorageVolumes", fn,
                          error, "u", (uint32_t) flags);
}

static int
h_pool_list_all_volumes(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_pool_list_all_volumes_args *args = args_;

    /* No flags are defined for virStoragePoolListAllVolumes. */
    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virStoragePoolListAllVolumes",
                         args->flags);
    return list_vols_call(call, args, list_all_vols_reply, 0, error);
}

static int
h_pool_num_of_volumes(Call *call, void *args, void *ret, Error *error)
{
    return list_vols_call(call, args, num_of_vols_reply, 0, error);
}

static int
h_pool_list_volumes(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_pool_list_volumes_args *args = args_;

    if (args->maxnames < 0 || args->maxnames > REMOTE_STORAGE_VOL_LIST_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxnames > REMOTE_STORAGE_VOL_LIST_MAX");
    return list_vols_call(call, args, list_vols_reply, 0, error);
}

/* ---- volumes ------------------------------------------------------------ */

/* A reply holding a volume's object path, to a call whose args begin with
 * the pool (create, create from, lookup by name). */
static int
vol_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_STORAGE);
    const remote_nonnull_storage_pool *pool = call->args;
    MirrorObject *obj;
    const char *path;
    int r;

    r = sd_bus_message_read_basic(reply, 'o', &path);
    if (r < 0)
        return r;
    obj = mirror_find(svc, path);
    if (!obj || !is_vol(obj))
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                         "Storage volume not found: '%s' vanished before it could be answered",
                         path);
    vol_from_object(obj, pool->name, ret);
    return 0;
}

static int
h_vol_lookup_by_name(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_lookup_by_name_args *args = args_;
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, "StorageVolLookupByName",
                          vol_reply, error, "s", args->name);
}

static int
h_vol_create_xml(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_create_xml_args *args = args_;
    MirrorObject *obj;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, "StorageVolCreateXML",
                          vol_reply, error, "su", args->xml, args->flags);
}

static int
h_vol_create_xml_from(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_create_xml_from_args *args = args_;
    MirrorObject *obj, *src;
    int r = args_pool(call, args, &obj, error);

    if (r < 0)
        return r;
    r = args_vol(call, &args->clonevol, &src, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, POOL_IFACE, "StorageVolCreateXMLFrom",
                          vol_reply, error, "ssu", args->xml,
                          mirror_get_str(src, VOL_IFACE, "Key", args->clonevol.key),
                          args->flags);
}

/* Lookups by key and by path: which active pool holds the volume. */
typedef struct PoolQuery {
    Call *call;
    remote_nonnull_storage_vol *ret;
    char *vol_path;         /* the volume's object path */
    char *name, *key;       /* the volume's */
    char *what;             /* for the error: "key /p/v" */
    char *found;            /* the pool's name */
    size_t pending;
} PoolQuery;

typedef struct PoolAsk {
    PoolQuery *q;
    char *pool;
} PoolAsk;

static void
pool_query_done(PoolQuery *q)
{
    Error error = ERROR_INIT;
    int r = 0;

    if (q->found) {
        q->ret->pool = xstrdup(q->found);
        q->ret->name = xstrdup(q->name);
        q->ret->key = xstrdup(q->key);
    } else {
        r = error_set(&error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                      "Storage volume not found: no storage vol with matching %s", q->what);
    }
    call_finish(q->call, r, &error);
    error_clear(&error);
    free(q->vol_path);
    free(q->name);
    free(q->key);
    free(q->what);
    free(q->found);
    free(q);
}

static int
on_pool_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    PoolAsk *ask = userdata;
    PoolQuery *q = ask->q;
    const char *path;

    if (!sd_bus_message_is_method_error(reply, NULL) &&
        sd_bus_message_read_basic(reply, 'o', &path) > 0 && STREQ(path, q->vol_path) &&
        !q->found)
        q->found = steal_ptr(ask->pool);
    free(ask->pool);
    free(ask);
    if (--q->pending == 0)
        pool_query_done(q);
    return 0;
}

/* Answers @call (whose ret is a remote_nonnull_storage_vol) with the volume
 * @vol and the pool that holds it. Returns 1 (answered later) or an error. */
static int
find_vol_pool(Call *call, MirrorObject *vol, const char *what, Error *error)
{
    MirrorService *svc = vol->svc;
    Proxy *proxy = call_proxy(call);
    PoolQuery *q = xcalloc(1, sizeof(*q));
    const char *name = mirror_get_str(vol, VOL_IFACE, "Name", "");

    q->call = call;
    q->ret = call->ret;
    q->vol_path = xstrdup(vol->path);
    q->name = xstrdup(name);
    q->key = xstrdup(mirror_get_str(vol, VOL_IFACE, "Key", ""));
    q->what = xstrdup(what);
    q->pending = 1; /* ours, dropped below: no early finish */
    for (size_t i = 0; i < svc->n_objs; i++) {
        MirrorObject *pool = svc->objs[i];
        PoolAsk *ask;
        int r;

        if (!is_pool(pool) || !pool_active(pool))
            continue;
        ask = xcalloc(1, sizeof(*ask));
        ask->q = q;
        ask->pool = xstrdup(pool_name(pool));
        r = sd_bus_call_method_async(proxy->bus, NULL, svc->bus_name, pool->path, POOL_IFACE,
                                     "StorageVolLookupByName", on_pool_answer, ask, "s", name);
        if (r < 0) {
            log_warn("cannot ask pool %s for volume '%s': %s", pool->path, name, strerror(-r));
            free(ask->pool);
            free(ask);
            continue;
        }
        q->pending++;
    }
    if (--q->pending == 0)
        pool_query_done(q);
    return 1;
}

static int
h_vol_lookup_by_key(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_lookup_by_key_args *args = args_;
    MirrorService *svc = storage_present(call, error);
    auto_cleanup(free_ptr) char *what = NULL;
    MirrorObject *obj;

    if (!svc)
        return -ENOTCONN;
    obj = vol_by_key(svc, args->key);
    if (!obj)
        return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                         "Storage volume not found: no storage vol with matching key %s",
                         args->key);
    what = xasprintf("key %s", args->key);
    return find_vol_pool(call, obj, what, error);
}

/* libvirt's virFileSanitizePath: "//" becomes "/" and a trailing "/" goes
 * (a leading "//" stays, as POSIX allows). */
static char *
sanitize_path(const char *path)
{
    char *clean = xstrdup(path);
    size_t j = 0;

    for (size_t i = 0; clean[i]; i++) {
        if (clean[i] == '/' && clean[i + 1] == '/' && i > 0)
            continue;
        clean[j++] = clean[i];
    }
    clean[j] = '\0';
    while (j > 1 && clean[j - 1] == '/')
        clean[--j] = '\0';
    return clean;
}

static int
h_vol_lookup_by_path(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_lookup_by_path_args *args = args_;
    MirrorService *svc = storage_present(call, error);
    auto_cleanup(free_ptr) char *clean = NULL;
    auto_cleanup(free_ptr) char *what = NULL;

    if (!svc)
        return -ENOTCONN;
    clean = sanitize_path(args->path);
    if (STREQ(clean, args->path))
        what = xasprintf("path '%s'", args->path);
    else
        what = xasprintf("path '%s' (%s)", args->path, clean);
    for (size_t i = 0; i < svc->n_objs; i++) {
        MirrorObject *obj = svc->objs[i];
        const char *p = mirror_get_str(obj, VOL_IFACE, "Path", NULL);
        if (p && STREQ(p, clean))
            return find_vol_pool(call, obj, what, error);
    }
    return error_set(error, -ENOENT, VIR_ERR_NO_STORAGE_VOL,
                     "Storage volume not found: no storage vol with matching %s", what);
}

static int
h_vol_get_path(Call *call, void *args, void *ret, Error *error)
{
    MirrorObject *obj;
    int r = args_vol(call, args, &obj, error);

    if (r >= 0)
        ((remote_storage_vol_get_path_ret *) ret)->name =
            xstrdup(mirror_get_str(obj, VOL_IFACE, "Path", ""));
    return r;
}

static int
vol_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_storage_vol_get_info_ret *ret = ret_;
    uint64_t cap, alloc;
    int32_t type;
    int r;

    r = sd_bus_message_read(reply, "(itt)", &type, &cap, &alloc);
    if (r < 0)
        return r;
    ret->type = type;
    ret->capacity = cap;
    ret->allocation = alloc;
    return 0;
}

static int
vol_call(Call *call, void *args, const char *iface, const char *member, BusReplyFn fn,
         Error *error, const char *types, uint64_t a, uint32_t b)
{
    MirrorObject *obj;
    int r = args_vol(call, args, &obj, error);

    if (r < 0)
        return r;
    /* Every volume method takes "u", "tu" or "uu". */
    if (STREQ(types, "u"))
        return proxy_bus_call(call, obj->svc, obj->path, iface, member, fn, error, types,
                              (uint32_t) a);
    if (STREQ(types, "tu"))
        return proxy_bus_call(call, obj->svc, obj->path, iface, member, fn, error, types, a, b);
    return proxy_bus_call(call, obj->svc, obj->path, iface, member, fn, error, types,
                          (uint32_t) a, b);
}

static int
h_vol_get_info(Call *call, void *args, void *ret, Error *error)
{
    return vol_call(call, args, VOL_IFACE, "GetInfo", vol_info_reply, error, "u", 0, 0);
}

static int
h_vol_get_info_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_get_info_flags_args *args = args_;

    /* The two replies have the same layout. */
    return vol_call(call, args, VOL_IFACE, "GetInfo", vol_info_reply, error, "u", args->flags,
                    0);
}

static int
h_vol_get_xml_desc(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_get_xml_desc_args *args = args_;

    return vol_call(call, args, VOL_IFACE, "GetXMLDesc", proxy_string_reply, error, "u",
                    args->flags, 0);
}

static int
h_vol_delete(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_delete_args *args = args_;

    return vol_call(call, args, VOL_IFACE, "Delete", NULL, error, "u", args->flags, 0);
}

static int
h_vol_wipe(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_wipe_args *args = args_;

    /* VIR_STORAGE_VOL_WIPE_ALG_ZERO is 0. */
    return vol_call(call, args, VOL_IFACE, "Wipe", NULL, error, "uu", 0, args->flags);
}

static int
h_vol_wipe_pattern(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_wipe_pattern_args *args = args_;

    return vol_call(call, args, VOL_IFACE, "Wipe", NULL, error, "uu", args->algorithm,
                    args->flags);
}

static int
h_vol_resize(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_resize_args *args = args_;

    return vol_call(call, args, VOL_IFACE, "Resize", NULL, error, "tu", args->capacity,
                    args->flags);
}

/* ---- upload and download: a stream over virtstoraged's fd --------------- */

static int
upload_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    return proxy_stream_from_reply(call, reply, PROXY_STREAM_UPLOAD, error);
}

static int
download_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    return proxy_stream_from_reply(call, reply, PROXY_STREAM_DOWNLOAD, error);
}

static int
h_vol_upload(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_upload_args *args = args_;
    MirrorObject *obj;
    int r;

    /* Sparse streams (holes) are not supported: refused as a driver
     * without them refuses the flag. */
    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virStorageVolUpload",
                         args->flags);
    r = args_vol(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, VOL_STREAM_IFACE, "Upload", upload_reply,
                          error, "ttu", (uint64_t) args->offset, (uint64_t) args->length,
                          (uint32_t) 0);
}

static int
h_vol_download(Call *call, void *args_, void *ret, Error *error)
{
    remote_storage_vol_download_args *args = args_;
    MirrorObject *obj;
    int r;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virStorageVolDownload",
                         args->flags);
    r = args_vol(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, VOL_STREAM_IFACE, "Download",
                          download_reply, error, "ttu", (uint64_t) args->offset,
                          (uint64_t) args->length, (uint32_t) 0);
}

/* ---- refresh events ----------------------------------------------------- */

void
proxy_storage_signal(MirrorService *svc, sd_bus_message *m, void *userdata)
{
    Proxy *proxy = userdata;
    const char *path = sd_bus_message_get_path(m);
    remote_storage_pool_event_refresh_msg msg;
    MirrorObject *obj;

    if (svc->id != MIRROR_SVC_STORAGE || !sd_bus_message_is_signal(m, POOL_IFACE, "Refresh"))
        return;
    obj = path ? mirror_find(svc, path) : NULL;
    if (!obj || !is_pool(obj)) {
        log_debug("refresh event for %s, which is not mirrored", path ? path : "?");
        return;
    }
    memset(&msg, 0, sizeof(msg));
    msg.pool.name = (char *) pool_name(obj);
    mirror_path_uuid(obj->path, (uint8_t *) msg.pool.uuid);
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->family != EVENT_FAMILY_POOL ||
                reg->event_id != STORAGE_POOL_EVENT_ID_REFRESH ||
                (reg->has_filter && !STREQ(reg->filter_path, obj->path)))
                continue;
            msg.callbackID = reg->callback_id;
            client_send_event(c, REMOTE_PROC_STORAGE_POOL_EVENT_REFRESH,
                              (xdrproc_t) xdr_remote_storage_pool_event_refresh_msg, &msg);
        }
    }
}

const ProcDef storage_procs[] = {
    PROC_AR(REMOTE_PROC_CONNECT_GET_STORAGE_POOL_CAPABILITIES,
            connect_get_storage_pool_capabilities, h_pool_capabilities),
    PROC_AR(REMOTE_PROC_CONNECT_FIND_STORAGE_POOL_SOURCES, connect_find_storage_pool_sources,
            h_find_pool_sources),
    PROC_LIST_ALL(REMOTE_PROC_CONNECT_LIST_ALL_STORAGE_POOLS, connect_list_all_storage_pools,
                  &pool_kind),
    PROC_LIST_NAMES(REMOTE_PROC_CONNECT_LIST_STORAGE_POOLS, connect_list_storage_pools,
                    &pool_kind, PROP_ACTIVE),
    PROC_LIST_NAMES(REMOTE_PROC_CONNECT_LIST_DEFINED_STORAGE_POOLS,
                    connect_list_defined_storage_pools, &pool_kind, PROP_INACTIVE),
    PROC_COUNT(REMOTE_PROC_CONNECT_NUM_OF_STORAGE_POOLS, connect_num_of_storage_pools,
               &pool_kind, PROP_ACTIVE),
    PROC_COUNT(REMOTE_PROC_CONNECT_NUM_OF_DEFINED_STORAGE_POOLS,
               connect_num_of_defined_storage_pools, &pool_kind, PROP_INACTIVE),
    PROC_LOOKUP_BY_NAME(REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, storage_pool_lookup_by_name,
                        &pool_kind),
    PROC_LOOKUP_BY_UUID(REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_UUID, storage_pool_lookup_by_uuid,
                        &pool_kind),
    PROC_GET_BOOL(REMOTE_PROC_STORAGE_POOL_GET_AUTOSTART, storage_pool_get_autostart,
                  &pool_kind, PROP_AUTOSTART),
    PROC_GET_BOOL(REMOTE_PROC_STORAGE_POOL_IS_ACTIVE, storage_pool_is_active, &pool_kind,
                  PROP_ACTIVE),
    PROC_GET_BOOL(REMOTE_PROC_STORAGE_POOL_IS_PERSISTENT, storage_pool_is_persistent,
                  &pool_kind, PROP_PERSISTENT),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_VOLUME, storage_pool_lookup_by_volume,
            h_pool_lookup_by_volume),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_DEFINE_XML, storage_pool_define_xml, h_pool_define_xml),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_CREATE_XML, storage_pool_create_xml, h_pool_create_xml),
    PROC_A(REMOTE_PROC_STORAGE_POOL_BUILD, storage_pool_build, h_pool_build),
    PROC_A(REMOTE_PROC_STORAGE_POOL_CREATE, storage_pool_create, h_pool_create),
    PROC_A(REMOTE_PROC_STORAGE_POOL_DESTROY, storage_pool_destroy, h_pool_destroy),
    PROC_A(REMOTE_PROC_STORAGE_POOL_DELETE, storage_pool_delete, h_pool_delete),
    PROC_A(REMOTE_PROC_STORAGE_POOL_UNDEFINE, storage_pool_undefine, h_pool_undefine),
    PROC_A(REMOTE_PROC_STORAGE_POOL_REFRESH, storage_pool_refresh, h_pool_refresh),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_GET_INFO, storage_pool_get_info, h_pool_get_info),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_GET_XML_DESC, storage_pool_get_xml_desc,
            h_pool_get_xml_desc),
    PROC_A(REMOTE_PROC_STORAGE_POOL_SET_AUTOSTART, storage_pool_set_autostart,
           h_pool_set_autostart),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_LIST_ALL_VOLUMES, storage_pool_list_all_volumes,
            h_pool_list_all_volumes),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_NUM_OF_VOLUMES, storage_pool_num_of_volumes,
            h_pool_num_of_volumes),
    PROC_AR(REMOTE_PROC_STORAGE_POOL_LIST_VOLUMES, storage_pool_list_volumes,
            h_pool_list_volumes),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_NAME, storage_vol_lookup_by_name,
            h_vol_lookup_by_name),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_KEY, storage_vol_lookup_by_key,
            h_vol_lookup_by_key),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_PATH, storage_vol_lookup_by_path,
            h_vol_lookup_by_path),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_CREATE_XML, storage_vol_create_xml, h_vol_create_xml),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_CREATE_XML_FROM, storage_vol_create_xml_from,
            h_vol_create_xml_from),
    PROC_A(REMOTE_PROC_STORAGE_VOL_DELETE, storage_vol_delete, h_vol_delete),
    PROC_A(REMOTE_PROC_STORAGE_VOL_WIPE, storage_vol_wipe, h_vol_wipe),
    PROC_A(REMOTE_PROC_STORAGE_VOL_WIPE_PATTERN, storage_vol_wipe_pattern, h_vol_wipe_pattern),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_GET_INFO, storage_vol_get_info, h_vol_get_info),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_GET_INFO_FLAGS, storage_vol_get_info_flags,
            h_vol_get_info_flags),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_GET_XML_DESC, storage_vol_get_xml_desc, h_vol_get_xml_desc),
    PROC_AR(REMOTE_PROC_STORAGE_VOL_GET_PATH, storage_vol_get_path, h_vol_get_path),
    PROC_A(REMOTE_PROC_STORAGE_VOL_RESIZE, storage_vol_resize, h_vol_resize),
    PROC_A(REMOTE_PROC_STORAGE_VOL_UPLOAD, storage_vol_upload, h_vol_upload),
    PROC_A(REMOTE_PROC_STORAGE_VOL_DOWNLOAD, storage_vol_download, h_vol_download),
    { 0 },
};
