/* The mirror of the daemons' objects (see proxy_mirror.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macros.h"
#include "object_path.h"
#include "proxy_mirror.h"

struct Mirror {
    sd_bus *bus;                  /* a reference */
    MirrorService services[_MIRROR_SVC_MAX];
    MirrorSignalFn signal_fn;
    MirrorOwnerFn owner_fn;
    void *userdata;
    sd_bus_slot *slots[8];
    size_t n_slots;
};

static const struct {
    const char *bus_name;
    const char *daemon_name;
} service_names[_MIRROR_SVC_MAX] = {
    [MIRROR_SVC_QEMU] = { "org.libvirt.qemu", "virtqemud" },
    [MIRROR_SVC_NETWORK] = { "org.libvirt.network", "virtnetworkd" },
    [MIRROR_SVC_STORAGE] = { "org.libvirt.storage", "virtstoraged" },
    [MIRROR_SVC_NODEDEV] = { "org.libvirt.nodedev", "virtnodedevd" },
};

/* ---- objects ------------------------------------------------------------ */

static size_t
hash_str(const char *s)
{
    size_t h = 14695981039346656037ULL;

    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 1099511628211ULL;
    return h;
}

/* ---- the key index: (interface, Name) and (interface, Id) -> object ----- */

struct MirrorKey {
    MirrorObject *obj;        /* borrowed */
    const char *iface;        /* borrowed: the MirrorIface's name */
    MirrorKeyKind kind;
    char *value;              /* the name, or the id in decimal */
    size_t hash;
    MirrorKey *next;
};

static const char *const key_props[_MIRROR_KEY_MAX] = {
    [MIRROR_KEY_NAME] = "Name",
    [MIRROR_KEY_ID] = "Id",
};

static size_t
key_hash(const char *iface, MirrorKeyKind kind, const char *value)
{
    return hash_str(iface) * 31 + hash_str(value) * 7 + kind;
}

static void
keys_rebuild(MirrorService *svc, size_t n)
{
    MirrorKey **old = svc->keys;
    size_t n_old = svc->n_keys_hash;

    svc->keys = xcalloc(n, sizeof(*svc->keys));
    svc->n_keys_hash = n;
    for (size_t i = 0; i < n_old; i++)
        for (MirrorKey *k = old[i], *next; k; k = next) {
            next = k->next;
            k->next = svc->keys[k->hash % n];
            svc->keys[k->hash % n] = k;
        }
    free(old);
}

static MirrorKey *
key_add(MirrorService *svc, MirrorObject *obj, const char *iface, MirrorKeyKind kind,
        const char *value)
{
    MirrorKey *k = xcalloc(1, sizeof(*k));

    k->obj = obj;
    k->iface = iface;
    k->kind = kind;
    k->value = xstrdup(value);
    k->hash = key_hash(iface, kind, value);
    if (++svc->n_keys > svc->n_keys_hash)
        keys_rebuild(svc, svc->n_keys * 2 + 61);
    k->next = svc->keys[k->hash % svc->n_keys_hash];
    svc->keys[k->hash % svc->n_keys_hash] = k;
    return k;
}

static void
key_remove(MirrorService *svc, MirrorKey *k)
{
    for (MirrorKey **pp = &svc->keys[k->hash % svc->n_keys_hash]; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    svc->n_keys--;
    free(k->value);
    free(k);
}

static MirrorKey *
key_find(MirrorService *svc, const char *iface, MirrorKeyKind kind, const char *value)
{
    size_t h;

    if (!svc->n_keys_hash)
        return NULL;
    h = key_hash(iface, kind, value);
    for (MirrorKey *k = svc->keys[h % svc->n_keys_hash]; k; k = k->next)
        if (k->hash == h && k->kind == kind && STREQ(k->value, value) && STREQ(k->iface, iface))
            return k;
    return NULL;
}

/* The value @ifc's key property @kind is indexed under, or NULL. */
static const char *
key_value(const MirrorIface *ifc, MirrorKeyKind kind, char buf[32])
{
    for (size_t i = 0; i < ifc->n_props; i++) {
        const MirrorProp *p = &ifc->props[i];
        if (!STREQ(p->name, key_props[kind]))
            continue;
        if (kind == MIRROR_KEY_NAME)
            return p->type == 's' ? p->v.s : NULL;
        if (!strchr("ynqiux", p->type) || p->v.i == -1 ||
            (p->type == 'u' && p->v.i == UINT32_MAX))
            return NULL;
        snprintf(buf, 32, "%" PRId64, p->v.i);
        return buf;
    }
    return NULL;
}

/* Brings @ifc's entries in the key index in line with its properties. */
static void
keys_sync(MirrorService *svc, MirrorObject *obj, MirrorIface *ifc)
{
    for (size_t kind = 0; kind < _MIRROR_KEY_MAX; kind++) {
        char buf[32];
        const char *v = key_value(ifc, kind, buf);
        MirrorKey *k = ifc->keys[kind];

        if (k && v && STREQ(k->value, v))
            continue;
        if (k)
            key_remove(svc, k);
        ifc->keys[kind] = v ? key_add(svc, obj, ifc->name, kind, v) : NULL;
    }
}

static void
keys_drop(MirrorService *svc, MirrorIface *ifc)
{
    for (size_t kind = 0; kind < _MIRROR_KEY_MAX; kind++)
        if (ifc->keys[kind]) {
            key_remove(svc, ifc->keys[kind]);
            ifc->keys[kind] = NULL;
        }
}

MirrorObject *
mirror_find_by_name(MirrorService *svc, const char *iface, const char *name)
{
    MirrorKey *k = key_find(svc, iface, MIRROR_KEY_NAME, name);

    return k ? k->obj : NULL;
}

MirrorObject *
mirror_find_by_id(MirrorService *svc, const char *iface, int64_t id)
{
    char buf[32];
    MirrorKey *k;

    snprintf(buf, sizeof(buf), "%" PRId64, id);
    k = key_find(svc, iface, MIRROR_KEY_ID, buf);
    return k ? k->obj : NULL;
}

static void
prop_clear(MirrorProp *p)
{
    free(p->name);
    if (p->type == 's' || p->type == 'o')
        free(p->v.s);
}

static void
iface_clear(MirrorService *svc, MirrorIface *ifc)
{
    keys_drop(svc, ifc);
    for (size_t i = 0; i < ifc->n_props; i++)
        prop_clear(&ifc->props[i]);
    free(ifc->props);
    free(ifc->name);
}

static void
object_free(MirrorService *svc, MirrorObject *obj)
{
    for (size_t i = 0; i < obj->n_ifaces; i++)
        iface_clear(svc, &obj->ifaces[i]);
    free(obj->ifaces);
    free(obj->path);
    free(obj);
}

static void
hash_rebuild(MirrorService *svc, size_t n)
{
    free(svc->hash);
    svc->n_hash = n;
    svc->hash = xcalloc(n, sizeof(*svc->hash));
    for (size_t i = 0; i < svc->n_objs; i++) {
        MirrorObject *o = svc->objs[i];
        size_t h = hash_str(o->path) % n;
        o->hnext = svc->hash[h];
        svc->hash[h] = o;
    }
}

MirrorObject *
mirror_find(MirrorService *svc, const char *path)
{
    if (!svc->n_hash)
        return NULL;
    for (MirrorObject *o = svc->hash[hash_str(path) % svc->n_hash]; o; o = o->hnext)
        if (STREQ(o->path, path))
            return o;
    return NULL;
}

static MirrorObject *
object_get(MirrorService *svc, const char *path)
{
    MirrorObject *obj = mirror_find(svc, path);
    size_t h;

    if (obj)
        return obj;
    obj = xcalloc(1, sizeof(*obj));
    obj->path = xstrdup(path);
    obj->svc = svc;
    obj->has_uuid = mirror_path_uuid(path, obj->uuid) == 0;
    if (svc->n_objs == svc->cap_objs) {
        svc->cap_objs = svc->cap_objs ? svc->cap_objs * 2 : 64;
        svc->objs = xrealloc(svc->objs, svc->cap_objs * sizeof(*svc->objs));
    }
    svc->objs[svc->n_objs++] = obj;
    if (svc->n_objs > svc->n_hash) {
        hash_rebuild(svc, svc->n_objs * 2 + 61);
        return obj;
    }
    h = hash_str(path) % svc->n_hash;
    obj->hnext = svc->hash[h];
    svc->hash[h] = obj;
    return obj;
}

static void
object_remove(MirrorService *svc, MirrorObject *obj)
{
    size_t h = hash_str(obj->path) % svc->n_hash;

    for (MirrorObject **pp = &svc->hash[h]; *pp; pp = &(*pp)->hnext)
        if (*pp == obj) {
            *pp = obj->hnext;
            break;
        }
    for (size_t i = 0; i < svc->n_objs; i++)
        if (svc->objs[i] == obj) {
            memmove(&svc->objs[i], &svc->objs[i + 1], (svc->n_objs - i - 1) * sizeof(obj));
            svc->n_objs--;
            break;
        }
    object_free(svc, obj);
}

void
mirror_service_clear(MirrorService *svc)
{
    for (size_t i = 0; i < svc->n_objs; i++)
        object_free(svc, svc->objs[i]);
    free(svc->objs);
    free(svc->hash);
    free(svc->keys);
    svc->objs = NULL;
    svc->hash = NULL;
    svc->keys = NULL;
    svc->n_objs = svc->cap_objs = svc->n_hash = 0;
    svc->n_keys = svc->n_keys_hash = 0;
}

static MirrorIface *
iface_find(const MirrorObject *obj, const char *name)
{
    for (size_t i = 0; i < obj->n_ifaces; i++)
        if (STREQ(obj->ifaces[i].name, name))
            return &obj->ifaces[i];
    return NULL;
}

static MirrorIface *
iface_get(MirrorObject *obj, const char *name)
{
    MirrorIface *ifc = iface_find(obj, name);

    if (ifc)
        return ifc;
    obj->ifaces = xrealloc(obj->ifaces, (obj->n_ifaces + 1) * sizeof(*obj->ifaces));
    ifc = &obj->ifaces[obj->n_ifaces++];
    memset(ifc, 0, sizeof(*ifc));
    ifc->name = xstrdup(name);
    return ifc;
}

static MirrorProp *
prop_get(MirrorIface *ifc, const char *name)
{
    MirrorProp *p;

    for (size_t i = 0; i < ifc->n_props; i++)
        if (STREQ(ifc->props[i].name, name))
            return &ifc->props[i];
    ifc->props = xrealloc(ifc->props, (ifc->n_props + 1) * sizeof(*ifc->props));
    p = &ifc->props[ifc->n_props++];
    memset(p, 0, sizeof(*p));
    p->name = xstrdup(name);
    p->type = 0;
    return p;
}

/* Reads one "v" into @p; a non-basic variant is skipped and leaves @p typed 0. */
static int
read_variant(sd_bus_message *msg, MirrorProp *p)
{
    const char *contents;
    char type;
    int r;

    r = sd_bus_message_peek_type(msg, &type, &contents);
    if (r < 0)
        return r;
    if (type != SD_BUS_TYPE_VARIANT || strlen(contents) != 1 ||
        !strchr("bynqiuxtdso", contents[0]))
        return sd_bus_message_skip(msg, "v");
    r = sd_bus_message_enter_container(msg, 'v', contents);
    if (r < 0)
        return r;
    if (p->type == 's' || p->type == 'o')
        free(p->v.s);
    p->type = contents[0];
    switch (contents[0]) {
    case 'b': { int v; r = sd_bus_message_read_basic(msg, 'b', &v); p->v.i = !!v; break; }
    case 'y': { uint8_t v; r = sd_bus_message_read_basic(msg, 'y', &v); p->v.i = v; break; }
    case 'n': { int16_t v; r = sd_bus_message_read_basic(msg, 'n', &v); p->v.i = v; break; }
    case 'q': { uint16_t v; r = sd_bus_message_read_basic(msg, 'q', &v); p->v.i = v; break; }
    case 'i': { int32_t v; r = sd_bus_message_read_basic(msg, 'i', &v); p->v.i = v; break; }
    case 'u': { uint32_t v; r = sd_bus_message_read_basic(msg, 'u', &v); p->v.i = v; break; }
    case 'x': { int64_t v; r = sd_bus_message_read_basic(msg, 'x', &v); p->v.i = v; break; }
    case 't': { uint64_t v; r = sd_bus_message_read_basic(msg, 't', &v); p->v.t = v; break; }
    case 'd': { double v; r = sd_bus_message_read_basic(msg, 'd', &v); p->v.d = v; break; }
    default: {
        const char *v = NULL;
        r = sd_bus_message_read_basic(msg, contents[0], &v);
        p->v.s = xstrdup(v ? v : "");
        break;
    }
    }
    if (r < 0) {
        p->type = 0;
        return r;
    }
    return sd_bus_message_exit_container(msg);
}

/* a{sv} into @ifc */
static int
read_props(sd_bus_message *msg, MirrorIface *ifc)
{
    int r;

    r = sd_bus_message_enter_container(msg, 'a', "{sv}");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
        const char *name;
        r = sd_bus_message_read_basic(msg, 's', &name);
        if (r < 0)
            return r;
        r = read_variant(msg, prop_get(ifc, name));
        if (r < 0)
            return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
            return r;
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(msg);
}

int
mirror_apply_interfaces(MirrorService *svc, const char *path, sd_bus_message *msg)
{
    MirrorObject *obj = object_get(svc, path);
    int r;

    r = sd_bus_message_enter_container(msg, 'a', "{sa{sv}}");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_enter_container(msg, 'e', "sa{sv}")) > 0) {
        const char *name;
        r = sd_bus_message_read_basic(msg, 's', &name);
        if (r < 0)
            return r;
        MirrorIface *ifc = iface_get(obj, name);
        r = read_props(msg, ifc);
        keys_sync(svc, obj, ifc);
        if (r < 0)
            return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
            return r;
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(msg);
}

int
mirror_apply_properties_changed(MirrorService *svc, const char *path, sd_bus_message *msg)
{
    MirrorObject *obj = mirror_find(svc, path);
    MirrorIface *ifc;
    const char *iface;
    int r;

    if (!obj)
        return 0; /* not one of the objects we mirror (or not yet announced) */
    r = sd_bus_message_read_basic(msg, 's', &iface);
    if (r < 0)
        return r;
    ifc = iface_get(obj, iface);
    r = read_props(msg, ifc);
    keys_sync(svc, obj, ifc);
    if (r < 0)
        return r;
    /* Invalidated properties (EMITS_INVALIDATION) carry no value: forget them
     * so that a reader falls back to asking the owner. The daemons here emit
     * values, so this list is normally empty. */
    r = sd_bus_message_enter_container(msg, 'a', "s");
    if (r < 0)
        return r;
    while (true) {
        const char *name;
        r = sd_bus_message_read_basic(msg, 's', &name);
        if (r <= 0)
            break;
        for (size_t i = 0; i < ifc->n_props; i++)
            if (STREQ(ifc->props[i].name, name)) {
                prop_clear(&ifc->props[i]);
                memmove(&ifc->props[i], &ifc->props[i + 1],
                        (ifc->n_props - i - 1) * sizeof(*ifc->props));
                ifc->n_props--;
                keys_sync(svc, obj, ifc);
                break;
            }
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(msg);
}

void
mirror_remove_interfaces(MirrorService *svc, const char *path, char **ifaces)
{
    MirrorObject *obj = mirror_find(svc, path);

    if (!obj)
        return;
    /* sd_bus_emit_object_removed() lists the standard interfaces too: the
     * object is gone, whatever else the list says (a daemon that already
     * dropped the object from its tables sends only those). */
    for (char **i = ifaces; i && *i; i++)
        if (STREQ(*i, "org.freedesktop.DBus.Properties")) {
            object_remove(svc, obj);
            return;
        }
    for (char **i = ifaces; i && *i; i++) {
        MirrorIface *ifc = iface_find(obj, *i);
        if (!ifc)
            continue;
        iface_clear(svc, ifc);
        memmove(ifc, ifc + 1, (obj->n_ifaces - (ifc - obj->ifaces) - 1) * sizeof(*ifc));
        obj->n_ifaces--;
    }
    if (obj->n_ifaces == 0)
        object_remove(svc, obj);
}

/* ---- getters ------------------------------------------------------------ */

const MirrorProp *
mirror_prop(const MirrorObject *obj, const char *iface, const char *name)
{
    MirrorIface *ifc = obj ? iface_find(obj, iface) : NULL;

    for (size_t i = 0; ifc && i < ifc->n_props; i++)
        if (STREQ(ifc->props[i].name, name))
            return ifc->props[i].type ? &ifc->props[i] : NULL;
    return NULL;
}

bool
mirror_has_iface(const MirrorObject *obj, const char *iface)
{
    return iface_find(obj, iface) != NULL;
}

const char *
mirror_get_str(const MirrorObject *obj, const char *iface, const char *name, const char *def)
{
    const MirrorProp *p = mirror_prop(obj, iface, name);

    return p && (p->type == 's' || p->type == 'o') ? p->v.s : def;
}

int64_t
mirror_get_int(const MirrorObject *obj, const char *iface, const char *name, int64_t def)
{
    const MirrorProp *p = mirror_prop(obj, iface, name);

    if (!p || p->type == 's' || p->type == 'o' || p->type == 'd')
        return def;
    return p->type == 't' ? (int64_t) p->v.t : p->v.i;
}

uint64_t
mirror_get_u64(const MirrorObject *obj, const char *iface, const char *name, uint64_t def)
{
    const MirrorProp *p = mirror_prop(obj, iface, name);

    if (!p || p->type == 's' || p->type == 'o' || p->type == 'd')
        return def;
    return p->type == 't' ? p->v.t : (uint64_t) p->v.i;
}

bool
mirror_get_bool(const MirrorObject *obj, const char *iface, const char *name, bool def)
{
    const MirrorProp *p = mirror_prop(obj, iface, name);

    return p && p->type == 'b' ? p->v.i != 0 : def;
}

/* ---- paths -------------------------------------------------------------- */

char *
mirror_domain_path(const uint8_t uuid[16])
{
    return object_path_from_uuid(MIRROR_ROOT_PATH "/domain", (const Uuid *) uuid);
}

int
mirror_uuid_path(const char *kind, const uint8_t uuid[16], char buf[MIRROR_PATH_MAX])
{
    char prefix[MIRROR_PATH_MAX];

    if ((size_t) snprintf(prefix, sizeof(prefix), MIRROR_ROOT_PATH "/%s", kind) >= sizeof(prefix))
        return -ENAMETOOLONG;
    return object_path_uuid_into(prefix, (const Uuid *) uuid, buf, MIRROR_PATH_MAX);
}

MirrorObject *
mirror_find_uuid(MirrorService *svc, const char *kind, const uint8_t uuid[16])
{
    char path[MIRROR_PATH_MAX];

    if (mirror_uuid_path(kind, uuid, path) < 0)
        return NULL;
    return mirror_find(svc, path);
}

int
mirror_path_uuid(const char *path, uint8_t ret_uuid[16])
{
    Uuid uuid;
    int r = object_path_to_uuid(path, &uuid);

    if (r >= 0)
        memcpy(ret_uuid, uuid.bytes, 16);
    return r;
}

bool
mirror_path_has_prefix(const char *path, const char *kind)
{
    size_t lr = strlen(MIRROR_ROOT_PATH), lk = strlen(kind);

    return strncmp(path, MIRROR_ROOT_PATH "/", lr + 1) == 0 &&
           strncmp(path + lr + 1, kind, lk) == 0 && path[lr + 1 + lk] == '/';
}

/* ---- the bus side ------------------------------------------------------- */

MirrorService *
mirror_service(Mirror *m, MirrorServiceId id)
{
    return &m->services[id];
}

MirrorService *
mirror_service_by_sender(Mirror *m, const char *sender)
{
    if (!sender)
        return NULL;
    for (size_t i = 0; i < _MIRROR_SVC_MAX; i++)
        if (m->services[i].owner && STREQ(m->services[i].owner, sender))
            return &m->services[i];
    return NULL;
}

/* A daemon that floods signals while we load its objects loses the
 * oldest: the bound is far above what a restart sends. */
#define EARLY_SIGNALS_MAX 4096

static void
early_drop(MirrorService *svc)
{
    for (size_t i = 0; i < svc->n_early; i++)
        sd_bus_message_unref(svc->early[i]);
    free(steal_ptr(svc->early));
    svc->n_early = 0;
}

static void
early_keep(MirrorService *svc, sd_bus_message *msg)
{
    if (svc->n_early == EARLY_SIGNALS_MAX) {
        sd_bus_message_unref(svc->early[0]);
        memmove(&svc->early[0], &svc->early[1], (svc->n_early - 1) * sizeof(*svc->early));
        svc->n_early--;
    }
    *ARRAY_APPEND(svc->early, svc->n_early) = sd_bus_message_ref(msg);
}

static void
early_replay(MirrorService *svc)
{
    Mirror *m = svc->mirror;
    sd_bus_message **early = steal_ptr(svc->early);
    size_t n = svc->n_early;

    svc->n_early = 0;
    for (size_t i = 0; i < n; i++) {
        if (m->signal_fn)
            m->signal_fn(svc, early[i], m->userdata);
        sd_bus_message_unref(early[i]);
    }
    free(early);
}

static int
gmo_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    MirrorService *svc = userdata;
    Mirror *m = svc->mirror;
    const sd_bus_error *e = sd_bus_message_get_error(reply);
    int r;

    svc->gmo_slot = sd_bus_slot_unref(svc->gmo_slot);
    if (e) {
        /* Not running (yet): NameOwnerChanged will tell us when it is. */
        log_debug("%s: no objects from %s: %s", svc->daemon_name, svc->bus_name, e->message);
        return 0;
    }
    free(svc->owner);
    svc->owner = xstrdup(sd_bus_message_get_sender(reply));
    mirror_service_clear(svc);
    r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
    while (r > 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
        const char *path;
        r = sd_bus_message_read_basic(reply, 'o', &path);
        if (r >= 0)
            r = mirror_apply_interfaces(svc, path, reply);
        if (r >= 0)
            r = sd_bus_message_exit_container(reply);
    }
    if (r < 0) {
        log_warn("cannot read the objects of %s: %s", svc->bus_name, strerror(-r));
        return 0;
    }
    svc->synced = true;
    log_info("mirroring %zu objects of %s (%s)", svc->n_objs, svc->bus_name, svc->owner);
    if (m->owner_fn)
        m->owner_fn(svc, true, m->userdata);
    early_replay(svc);
    return 0;
}

static void
request_objects(MirrorService *svc)
{
    int r;

    svc->gmo_slot = sd_bus_slot_unref(svc->gmo_slot);
    r = sd_bus_call_method_async(svc->mirror->bus, &svc->gmo_slot, svc->bus_name,
                                 MIRROR_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                                 "GetManagedObjects", gmo_reply, svc, NULL);
    if (r < 0)
        log_warn("cannot ask %s for its objects: %s", svc->bus_name, strerror(-r));
}

static int
on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
    Mirror *m = userdata;
    const char *name, *old_owner, *new_owner;

    if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
        return 0;
    for (size_t i = 0; i < _MIRROR_SVC_MAX; i++) {
        MirrorService *svc = &m->services[i];
        if (!STREQ(name, svc->bus_name))
            continue;
        if (svc->owner) {
            log_info("%s left the bus (%s)", svc->daemon_name, svc->bus_name);
            free(steal_ptr(svc->owner));
            svc->synced = false;
            early_drop(svc);
            mirror_service_clear(svc);
            if (m->owner_fn)
                m->owner_fn(svc, false, m->userdata);
        }
        if (*new_owner) {
            /* Signals from the new owner apply from now on; the objects it
             * had before are in the GetManagedObjects reply, which comes
             * after them. */
            svc->owner = xstrdup(new_owner);
            request_objects(svc);
        }
    }
    return 0;
}

static int
on_signal(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error)
{
    Mirror *m = userdata;
    MirrorService *svc = mirror_service_by_sender(m, sd_bus_message_get_sender(msg));
    const char *iface = sd_bus_message_get_interface(msg);
    const char *member = sd_bus_message_get_member(msg);
    int r = 0;

    if (!svc || !iface || !member)
        return 0;
    if (STREQ(iface, "org.freedesktop.DBus.ObjectManager") && STREQ(member, "InterfacesAdded")) {
        const char *path;
        r = sd_bus_message_read_basic(msg, 'o', &path);
        if (r >= 0)
            r = mirror_apply_interfaces(svc, path, msg);
    } else if (STREQ(iface, "org.freedesktop.DBus.ObjectManager") &&
               STREQ(member, "InterfacesRemoved")) {
        const char *path;
        char **ifaces = NULL;
        r = sd_bus_message_read_basic(msg, 'o', &path);
        if (r >= 0)
            r = sd_bus_message_read_strv(msg, &ifaces);
        if (r >= 0)
            mirror_remove_interfaces(svc, path, ifaces);
        for (char **i = ifaces; i && *i; i++)
            free(*i);
        free(ifaces);
    } else if (STREQ(iface, "org.freedesktop.DBus.Properties") &&
               STREQ(member, "PropertiesChanged")) {
        r = mirror_apply_properties_changed(svc, sd_bus_message_get_path(msg), msg);
    } else if (!svc->synced) {
        early_keep(svc, msg);
    } else if (m->signal_fn) {
        m->signal_fn(svc, msg, m->userdata);
    }
    if (r < 0)
        log_warn("cannot apply %s.%s from %s: %s", iface, member, svc->bus_name, strerror(-r));
    return 0;
}

int
mirror_new(sd_bus *bus, MirrorSignalFn signal_fn, MirrorOwnerFn owner_fn, void *userdata,
           Mirror **ret, Error *error)
{
    Mirror *m = xcalloc(1, sizeof(*m));
    int r;

    m->bus = sd_bus_ref(bus);
    m->signal_fn = signal_fn;
    m->owner_fn = owner_fn;
    m->userdata = userdata;
    for (size_t i = 0; i < _MIRROR_SVC_MAX; i++) {
        m->services[i].id = i;
        m->services[i].bus_name = service_names[i].bus_name;
        m->services[i].daemon_name = service_names[i].daemon_name;
        m->services[i].mirror = m;
    }
    /* The daemons' signals, whoever sends them: the sender is matched
     * against each service's unique name here, since a well-known sender
     * in a match rule would be resolved only once. */
    r = sd_bus_add_match(bus, &m->slots[m->n_slots++],
                         "type='signal',path_namespace='" MIRROR_ROOT_PATH "'", on_signal, m);
    if (r >= 0)
        r = sd_bus_match_signal(bus, &m->slots[m->n_slots++], "org.freedesktop.DBus",
                                "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                "NameOwnerChanged", on_name_owner_changed, m);
    if (r < 0) {
        mirror_free(m);
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot subscribe to the daemons' signals");
    }
    for (size_t i = 0; i < _MIRROR_SVC_MAX; i++)
        request_objects(&m->services[i]);
    *ret = m;
    return 0;
}

void
mirror_free(Mirror *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_slots; i++)
        sd_bus_slot_unref(m->slots[i]);
    for (size_t i = 0; i < _MIRROR_SVC_MAX; i++) {
        sd_bus_slot_unref(m->services[i].gmo_slot);
        early_drop(&m->services[i]);
        mirror_service_clear(&m->services[i]);
        free(m->services[i].owner);
    }
    sd_bus_unref(m->bus);
    free(m);
}
