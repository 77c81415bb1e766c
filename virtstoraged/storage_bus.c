/* virtstoraged on D-Bus: the storage part of org.libvirt.Connect and
 * org.virtstack.Storage on /org/libvirt/QEMU with the ObjectManager,
 * org.libvirt.StoragePool on each pool, org.libvirt.StorageVol and
 * org.virtstack.StorageVolStream on each volume (api/org.virtstack.Storage.xml).
 * Handlers decode, call the driver and reply; signals go out through the
 * driver's hooks before the reply. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bus_object.h"
#include "bus_util.h"
#include "storage_bus.h"

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

static int
reply_path(sd_bus_message *m, sd_bus_error *bus_error, const char *path, Error *error, int r)
{
    if (r < 0)
        return bus_reply_error(bus_error, error, r);
    return sd_bus_reply_method_return(m, "o", path);
}

/* ---- hooks --------------------------------------------------------------- */

static void
hook_pool_added(StoragePool *pool, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_object_added(sb->bus, pool->bus_path);
}

static void
hook_pool_removed(StoragePool *pool, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_object_removed(sb->bus, pool->bus_path);
}

static void
hook_pool_event(StoragePool *pool, StoragePoolEvent event, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_signal(sb->bus, STORAGE_BUS_PATH, CONNECT_IFACE, "StoragePoolEvent", "oii",
                       pool->bus_path, (int32_t) event, (int32_t) 0);
}

static void
hook_pool_changed(StoragePool *pool, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_properties_changed(sb->bus, pool->bus_path, POOL_IFACE, "Active", "Autostart",
                                   "Persistent", NULL);
}

static void
hook_pool_refreshed(StoragePool *pool, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_signal(sb->bus, pool->bus_path, POOL_IFACE, "Refresh", NULL);
}

static void
hook_vol_added(StorageVol *vol, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_object_added(sb->bus, vol->bus_path);
}

static void
hook_vol_removed(StorageVol *vol, void *userdata)
{
    StorageBus *sb = userdata;

    sd_bus_emit_object_removed(sb->bus, vol->bus_path);
}

const StorageHooks storage_bus_hooks = {
    .pool_added = hook_pool_added,
    .pool_removed = hook_pool_removed,
    .pool_event = hook_pool_event,
    .pool_changed = hook_pool_changed,
    .pool_refreshed = hook_pool_refreshed,
    .vol_added = hook_vol_added,
    .vol_removed = hook_vol_removed,
};

/* ---- asynchronous replies ------------------------------------------------ */

typedef struct BusCall {
    sd_bus_message *m;
    bool reply_path;
} BusCall;

static BusCall *
call_new(sd_bus_message *m, bool reply_path)
{
    BusCall *call = xcalloc(1, sizeof(*call));

    call->m = sd_bus_message_ref(m);
    call->reply_path = reply_path;
    return call;
}

static void
call_free(BusCall *call)
{
    sd_bus_message_unref(call->m);
    free(call);
}

/* The client may have gone meanwhile: the bus then drops the reply. */
static void
call_done(StorageVol *vol, const Error *error, void *userdata)
{
    BusCall *call = userdata;

    if (error)
        bus_reply_method_error(call->m, error, -EIO);
    else if (call->reply_path) {
        sd_bus_reply_method_return(call->m, "o", vol->bus_path);
    } else {
        sd_bus_reply_method_return(call->m, NULL);
    }
    call_free(call);
}

/* ---- org.libvirt.Connect ------------------------------------------------- */

static int
bus_pool_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    StorageBus *sb = userdata;
    Error error = ERROR_INIT;
    StoragePool *pool = NULL;
    const char *xml;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "su", &xml, &flags);
    if (r < 0)
        return r;
    r = storage_pool_create_xml(sb->drv, xml, flags, &pool, &error);
    return reply_path(m, bus_error, pool ? pool->bus_path : NULL, &error, r);
}

static int
bus_pool_define_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    StorageBus *sb = userdata;
    Error error = ERROR_INIT;
    StoragePool *pool = NULL;
    const char *xml;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "su", &xml, &flags);
    if (r < 0)
        return r;
    r = storage_pool_define(sb->drv, xml, flags, &pool, &error);
    return reply_path(m, bus_error, pool ? pool->bus_path : NULL, &error, r);
}

BUS_LOOKUP_METHOD(bus_pool_lookup_name, StorageBus, StoragePool, "s", const char *,
                  storage_pool_lookup_name, bus_path)
BUS_LOOKUP_METHOD(bus_pool_lookup_uuid, StorageBus, StoragePool, "s", const char *,
                  storage_pool_lookup_uuid, bus_path)
BUS_LOOKUP_METHOD(bus_vol_lookup_key, StorageBus, StorageVol, "s", const char *,
                  storage_vol_lookup_key, bus_path)
BUS_LOOKUP_METHOD(bus_vol_lookup_path, StorageBus, StorageVol, "s", const char *,
                  storage_vol_lookup_path, bus_path)
BUS_LIST_METHOD(bus_list_pools, StorageBus, StoragePool, storage_pool_list, bus_path)

static int
bus_resolve_volume(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    StorageBus *sb = userdata;
    Error error = ERROR_INIT;
    const char *pool, *vol, *path = NULL, *format = NULL;
    int r;

    r = sd_bus_message_read(m, "ss", &pool, &vol);
    if (r < 0)
        return r;
    r = storage_vol_resolve(sb->drv, pool, vol, &path, &format, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "ss", path, format);
}

static int
bus_find_pool_sources(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    const char *type, *spec;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "ssu", &type, &spec, &flags)) < 0)
        return r;
    r = storage_find_pool_sources(type, flags, &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

static int
bus_pool_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    r = storage_pool_capabilities(flags, &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

/* In the order of libvirt-dbus's org.libvirt.Connect.xml. */
static const sd_bus_vtable connect_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("FindStoragePoolSources",
                            SD_BUS_ARGS("s", type, "s", srcSpec, "u", flags),
                            SD_BUS_RESULT("s", storagePoolSources), bus_find_pool_sources,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ListStoragePools", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("ao", storagePools), bus_list_pools,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StoragePoolCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                            SD_BUS_RESULT("o", storagePool), bus_pool_create_xml,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StoragePoolDefineXML", SD_BUS_ARGS("s", xml, "u", flags),
                            SD_BUS_RESULT("o", storagePool), bus_pool_define_xml,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StoragePoolLookupByName", SD_BUS_ARGS("s", name),
                            SD_BUS_RESULT("o", storagePool), bus_pool_lookup_name,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StoragePoolLookupByUUID", SD_BUS_ARGS("s", uuid),
                            SD_BUS_RESULT("o", storagePool), bus_pool_lookup_uuid,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StorageVolLookupByKey", SD_BUS_ARGS("s", key),
                            SD_BUS_RESULT("o", storageVol), bus_vol_lookup_key,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StorageVolLookupByPath", SD_BUS_ARGS("s", path),
                            SD_BUS_RESULT("o", storageVol), bus_vol_lookup_path,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("StoragePoolEvent",
                            SD_BUS_ARGS("o", storagePool, "i", event, "i", detail), 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable storage_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("GetStoragePoolCapabilities", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("s", capabilities), bus_pool_capabilities,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ResolveVolume", SD_BUS_ARGS("s", pool, "s", volume),
                            SD_BUS_RESULT("s", path, "s", format), bus_resolve_volume,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* ---- org.libvirt.StoragePool --------------------------------------------- */

BUS_FIND_CALLBACK(find_pool, StorageBus, storage_pool_find_by_path)
BUS_ENUMERATE_CALLBACK(enumerate_pools, StorageBus, storage_driver_count, storage_driver_nth,
                       bus_path)

static int
pool_prop_get(sd_bus *bus, const char *path, const char *interface, const char *property,
              sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    StoragePool *pool = userdata;
    char uuid[UUID_STRING_LEN];

    if (STREQ(property, "Active"))
        return sd_bus_message_append(reply, "b", pool->active);
    if (STREQ(property, "Autostart"))
        return sd_bus_message_append(reply, "b", pool->autostart);
    if (STREQ(property, "Name"))
        return sd_bus_message_append(reply, "s", pool->def->name);
    if (STREQ(property, "Persistent"))
        return sd_bus_message_append(reply, "b", pool->persistent);
    return sd_bus_message_append(reply, "s", uuid_format(&pool->def->uuid, uuid));
}

static int
pool_prop_set_autostart(sd_bus *bus, const char *path, const char *interface,
                        const char *property, sd_bus_message *value, void *userdata,
                        sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int on, r;

    r = sd_bus_message_read(value, "b", &on);
    if (r < 0)
        return r;
    r = storage_pool_set_autostart(userdata, on, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return 0;
}

typedef int (*PoolFlagsOp)(StoragePool *pool, unsigned flags, Error *error);

static int
run_pool_flags_op(sd_bus_message *m, StoragePool *pool, PoolFlagsOp op, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = op(pool, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_pool_build(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_pool_flags_op(m, userdata, storage_pool_build, bus_error);
}

static int
bus_pool_create(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_pool_flags_op(m, userdata, storage_pool_start, bus_error);
}

static int
bus_pool_delete(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_pool_flags_op(m, userdata, storage_pool_delete, bus_error);
}

static int
bus_pool_refresh(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_pool_flags_op(m, userdata, storage_pool_refresh, bus_error);
}

static int
bus_pool_destroy(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int r = storage_pool_destroy(userdata, &error);

    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_pool_undefine(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int r = storage_pool_undefine(userdata, &error);

    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_pool_get_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint64_t cap, alloc, avail;
    int state, r;

    r = storage_pool_get_info(userdata, &state, &cap, &alloc, &avail, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "(ittt)", (int32_t) state, cap, alloc, avail);
}

static int
bus_pool_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = storage_pool_get_xml(userdata, flags, &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

static int
bus_pool_list_vols(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) StorageVol **list = NULL;
    auto_cleanup(free_ptr) char **paths = NULL;
    uint32_t flags;
    size_t n;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = storage_vol_list(userdata, flags, &list, &n, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    paths = xcalloc(n + 1, sizeof(*paths));
    for (size_t i = 0; i < n; i++)
        paths[i] = list[i]->bus_path;
    return bus_reply_paths(m, paths, n);
}

static int
start_vol_create(sd_bus_message *m, StoragePool *pool, const char *xml, StorageVol *src,
                 uint32_t flags, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusCall *call = call_new(m, true);
    int r;

    r = storage_vol_create(pool, xml, src, flags, call_done, call, &error);
    if (r < 0) {
        call_free(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static int
bus_vol_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    const char *xml;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "su", &xml, &flags);
    if (r < 0)
        return r;
    return start_vol_create(m, userdata, xml, NULL, flags, bus_error);
}

static int
bus_vol_create_xml_from(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    StoragePool *pool = userdata;
    Error error = ERROR_INIT;
    StorageVol *src = NULL;
    const char *xml, *key;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "ssu", &xml, &key, &flags);
    if (r < 0)
        return r;
    r = storage_vol_lookup_key(pool->drv, key, &src, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return start_vol_create(m, pool, xml, src, flags, bus_error);
}

static int
bus_pool_vol_lookup_name(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    StorageVol *vol = NULL;
    const char *name;
    int r;

    r = sd_bus_message_read(m, "s", &name);
    if (r < 0)
        return r;
    r = storage_vol_lookup_name(userdata, name, &vol, &error);
    return reply_path(m, bus_error, vol ? vol->bus_path : NULL, &error, r);
}

/* In the order of libvirt-dbus's org.libvirt.StoragePool.xml. */
static const sd_bus_vtable pool_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Active", "b", pool_prop_get, 0, EMITS),
    SD_BUS_WRITABLE_PROPERTY("Autostart", "b", pool_prop_get, pool_prop_set_autostart, 0, EMITS),
    SD_BUS_PROPERTY("Name", "s", pool_prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Persistent", "b", pool_prop_get, 0, EMITS),
    SD_BUS_PROPERTY("UUID", "s", pool_prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_ARGS("Build", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_pool_build,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_pool_create,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_pool_delete,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_pool_destroy,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetInfo", SD_BUS_NO_ARGS, SD_BUS_RESULT("(ittt)", info),
                            bus_pool_get_info, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                            bus_pool_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ListStorageVolumes", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("ao", storageVols), bus_pool_list_vols,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Refresh", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT,
                            bus_pool_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StorageVolCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                            SD_BUS_RESULT("o", storageVol), bus_vol_create_xml,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StorageVolCreateXMLFrom",
                            SD_BUS_ARGS("s", xml, "s", key, "u", flags),
                            SD_BUS_RESULT("o", storageVol), bus_vol_create_xml_from,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StorageVolLookupByName", SD_BUS_ARGS("s", name),
                            SD_BUS_RESULT("o", storageVol), bus_pool_vol_lookup_name,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_pool_undefine,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL("Refresh", "", 0),
    SD_BUS_VTABLE_END,
};

/* ---- org.libvirt.StorageVol and org.virtstack.StorageVolStream ----------- */

BUS_FIND_CALLBACK(find_vol, StorageBus, storage_vol_find_by_path)

static int
enumerate_vols(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
               sd_bus_error *bus_error)
{
    StorageBus *sb = userdata;
    char **nodes = NULL;

    for (size_t i = 0; i < storage_driver_count(sb->drv); i++) {
        StoragePool *pool = storage_driver_nth(sb->drv, i);

        for (size_t k = 0; pool->active && k < storage_pool_vol_count(pool); k++)
            if (!storage_pool_vol_nth(pool, k)->building)
                strv_push(&nodes, xstrdup(storage_pool_vol_nth(pool, k)->bus_path));
    }
    if (!nodes)
        nodes = xcalloc(1, sizeof(*nodes));
    *ret_nodes = nodes;
    return 0;
}

static int
vol_prop_get(sd_bus *bus, const char *path, const char *interface, const char *property,
             sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    StorageVol *vol = userdata;

    if (STREQ(property, "Name"))
        return sd_bus_message_append(reply, "s", vol->def->name);
    if (STREQ(property, "Key"))
        return sd_bus_message_append(reply, "s", vol->def->key);
    return sd_bus_message_append(reply, "s", vol->def->target_path);
}

static int
bus_vol_delete(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = storage_vol_delete(userdata, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_vol_get_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint64_t cap, alloc;
    uint32_t flags;
    int type, r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = storage_vol_get_info(userdata, flags, &type, &cap, &alloc, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "(itt)", (int32_t) type, cap, alloc);
}

static int
bus_vol_get_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = storage_vol_get_xml(userdata, flags, &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

static int
bus_vol_resize(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusCall *call;
    uint64_t capacity;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "tu", &capacity, &flags);
    if (r < 0)
        return r;
    call = call_new(m, false);
    r = storage_vol_resize(userdata, capacity, flags, call_done, call, &error);
    if (r < 0) {
        call_free(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static int
bus_vol_wipe(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusCall *call;
    uint32_t pattern, flags;
    int r;

    r = sd_bus_message_read(m, "uu", &pattern, &flags);
    if (r < 0)
        return r;
    call = call_new(m, false);
    r = storage_vol_wipe(userdata, pattern, flags, call_done, call, &error);
    if (r < 0) {
        call_free(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

typedef int (*StreamOp)(StorageVol *vol, uint64_t offset, uint64_t length, unsigned flags,
                        int *ret_fd, Error *error);

static int
run_stream(sd_bus_message *m, StorageVol *vol, StreamOp op, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(close_fdp) int fd = -1;
    uint64_t offset, length;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "ttu", &offset, &length, &flags);
    if (r < 0)
        return r;
    r = op(vol, offset, length, flags, &fd, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    /* The reply holds a duplicate; ours closes here. */
    return sd_bus_reply_method_return(m, "h", fd);
}

static int
bus_vol_upload(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_stream(m, userdata, storage_vol_upload, bus_error);
}

static int
bus_vol_download(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_stream(m, userdata, storage_vol_download, bus_error);
}

/* In the order of libvirt-dbus's org.libvirt.StorageVol.xml. */
static const sd_bus_vtable vol_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Name", "s", vol_prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Key", "s", vol_prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Path", "s", vol_prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_vol_delete,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetInfo", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(itt)", info),
                            bus_vol_get_info, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                            bus_vol_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Resize", SD_BUS_ARGS("t", capacity, "u", flags), SD_BUS_NO_RESULT,
                            bus_vol_resize, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Wipe", SD_BUS_ARGS("u", pattern, "u", flags), SD_BUS_NO_RESULT,
                            bus_vol_wipe, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable vol_stream_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("Upload", SD_BUS_ARGS("t", offset, "t", length, "u", flags),
                            SD_BUS_RESULT("h", fd), bus_vol_upload, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Download", SD_BUS_ARGS("t", offset, "t", length, "u", flags),
                            SD_BUS_RESULT("h", fd), bus_vol_download,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int
storage_bus_register(StorageBus *sb, Error *error)
{
    int r;

    r = sd_bus_add_object_vtable(sb->bus, NULL, STORAGE_BUS_PATH, CONNECT_IFACE, connect_vtable,
                                 sb);
    if (r >= 0)
        r = sd_bus_add_object_vtable(sb->bus, NULL, STORAGE_BUS_PATH, STORAGE_IFACE,
                                     storage_vtable, sb);
    if (r >= 0)
        r = sd_bus_add_object_manager(sb->bus, NULL, STORAGE_BUS_PATH);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(sb->bus, NULL, STORAGE_BUS_POOL_PREFIX, POOL_IFACE,
                                       pool_vtable, find_pool, sb);
    if (r >= 0)
        r = sd_bus_add_node_enumerator(sb->bus, NULL, STORAGE_BUS_POOL_PREFIX, enumerate_pools,
                                       sb);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(sb->bus, NULL, STORAGE_BUS_VOL_PREFIX, VOL_IFACE,
                                       vol_vtable, find_vol, sb);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(sb->bus, NULL, STORAGE_BUS_VOL_PREFIX, VOL_STREAM_IFACE,
                                       vol_stream_vtable, find_vol, sb);
    if (r >= 0)
        r = sd_bus_add_node_enumerator(sb->bus, NULL, STORAGE_BUS_VOL_PREFIX, enumerate_vols,
                                       sb);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot register the storage objects on the bus");
    return 0;
}

/* What this file serves, for the contract test. */
const BusInterfaceSpec storage_bus_interfaces[] = {
    { CONNECT_IFACE, connect_vtable },
    { STORAGE_IFACE, storage_vtable },
    { POOL_IFACE, pool_vtable },
    { VOL_IFACE, vol_vtable },
    { VOL_STREAM_IFACE, vol_stream_vtable },
    { NULL, NULL },
};
