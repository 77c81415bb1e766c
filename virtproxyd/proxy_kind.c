/* The procedures every object kind shares, answered from the mirror: lookup
 * by name and by UUID, ConnectListAll*, the name lists and counts of active
 * and inactive objects, and the boolean properties (IsActive, IsPersistent,
 * GetAutostart). Each is one handler driven by the row's ProxyKind (what
 * the kind is called, where its objects live, how one goes on the wire) and
 * its ProcProp; a kind's file only lists the rows (PROC_KIND_*).
 *
 * The handlers read the XDR structs rpcgen made through the generic shapes
 * below; the static assertions at the end hold them to every struct a row
 * uses, so a protocol change fails the build rather than the wire. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "uuid.h"

/* The wire handle of a kind named by UUID: name first, then uuid. */
typedef struct {
    char *name;
    char uuid[REMOTE_UUID_BUFLEN];
} WireNamed;

typedef struct {
    int need_results;
    u_int flags;
} ListAllArgs;

typedef struct {
    struct {
        u_int len;
        void *val;
    } objs;
    u_int ret;
} ListAllRet;

typedef struct {
    int maxnames;
} ListNamesArgs;

typedef struct {
    struct {
        u_int len;
        char **val;
    } names;
} ListNamesRet;

MirrorService *
proxy_kind_present(Call *call, const ProxyKind *kind, Error *error)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, kind->svc);

    if (!svc->owner) {
        proxy_error_absent(svc, error);
        return NULL;
    }
    return svc;
}

static bool
kind_is(const ProxyKind *kind, const MirrorObject *obj)
{
    return mirror_has_iface(obj, kind->iface);
}

static bool
kind_active(const ProxyKind *kind, const MirrorObject *obj)
{
    return mirror_get_bool(obj, kind->iface, "Active", kind->always_active);
}

static int
error_no_name(const ProxyKind *kind, const char *name, Error *error)
{
    return error_set(error, -ENOENT, kind->no_object,
                     "%s not found: no %s with matching name '%s'", kind->title, kind->noun,
                     name);
}

static MirrorObject *
find_uuid(const ProxyKind *kind, MirrorService *svc, const char uuid[REMOTE_UUID_BUFLEN])
{
    MirrorObject *obj = mirror_find_uuid(svc, kind->path_kind, (const uint8_t *) uuid);

    return obj && kind_is(kind, obj) ? obj : NULL;
}

int
proxy_kind_find(Call *call, const ProxyKind *kind, const void *wire, MirrorObject **ret,
                Error *error)
{
    const WireNamed *w = wire;
    MirrorService *svc = proxy_kind_present(call, kind, error);
    char uuid[UUID_STRING_LEN];

    if (!svc)
        return -ENOTCONN;
    if (!kind->path_kind) {
        /* Named by its name alone (a node device). */
        *ret = mirror_find_by_name(svc, kind->iface, w->name);
        return *ret ? 0 : error_no_name(kind, w->name, error);
    }
    *ret = find_uuid(kind, svc, w->uuid);
    if (!*ret)
        return error_set(error, -ENOENT, kind->no_object,
                         "%s not found: no %s with matching uuid '%s' (%s)", kind->title,
                         kind->noun, uuid_format((const Uuid *) w->uuid, uuid), w->name);
    return 0;
}

static const ProxyKind *
row_kind(const Call *call)
{
    return call->def->kind;
}

int
proxy_kind_lookup_by_name(Call *call, void *args, void *ret, Error *error)
{
    const ProxyKind *kind = row_kind(call);
    const char *name = *(char **) args;
    MirrorService *svc = proxy_kind_present(call, kind, error);
    MirrorObject *obj;

    if (!svc)
        return -ENOTCONN;
    obj = mirror_find_by_name(svc, kind->iface, name);
    if (!obj)
        return error_no_name(kind, name, error);
    kind->to_wire(obj, ret);
    return 0;
}

int
proxy_kind_lookup_by_uuid(Call *call, void *args, void *ret, Error *error)
{
    const ProxyKind *kind = row_kind(call);
    const char *uuid = args; /* remote_uuid, the args' only member */
    MirrorService *svc = proxy_kind_present(call, kind, error);
    char text[UUID_STRING_LEN];
    MirrorObject *obj;

    if (!svc)
        return -ENOTCONN;
    obj = find_uuid(kind, svc, uuid);
    if (!obj)
        return error_set(error, -ENOENT, kind->no_object,
                         "%s not found: no %s with matching uuid '%s'", kind->title, kind->noun,
                         uuid_format((const Uuid *) uuid, text));
    kind->to_wire(obj, ret);
    return 0;
}

int
proxy_kind_list_all(Call *call, void *args_, void *ret_, Error *error)
{
    const ProxyKind *kind = row_kind(call);
    const ListAllArgs *args = args_;
    ListAllRet *ret = ret_;
    MirrorService *svc;
    size_t n = 0;

    if (args->flags & ~kind->list_flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", args->flags & ~kind->list_flags,
                         kind->list_all_api);
    svc = proxy_kind_present(call, kind, error);
    if (!svc)
        return -ENOTCONN;
    if (args->need_results)
        ret->objs.val = xcalloc(svc->n_objs + 1, kind->wire_size);
    for (size_t i = 0; i < svc->n_objs; i++) {
        MirrorObject *obj = svc->objs[i];
        if (!kind_is(kind, obj) || (kind->matches && !kind->matches(obj, args->flags)))
            continue;
        if (n >= (size_t) kind->list_max)
            return error_set(error, -E2BIG, VIR_ERR_INTERNAL_ERROR,
                             "Too many %ss '%zu' for limit '%d'", kind->wire_noun, n + 1,
                             kind->list_max);
        if (args->need_results)
            kind->to_wire(obj, (char *) ret->objs.val + n * kind->wire_size);
        n++;
    }
    ret->objs.len = args->need_results ? n : 0;
    ret->ret = n;
    return 0;
}

/* ListNetworks and ListDefinedNetworks, the same for pools, and
 * ListDefinedDomains: the names of the active or the inactive objects. */
int
proxy_kind_list_names(Call *call, void *args_, void *ret_, Error *error)
{
    const ProxyKind *kind = row_kind(call);
    const ListNamesArgs *args = args_;
    ListNamesRet *ret = ret_;
    bool active = call->def->prop == PROP_ACTIVE;
    MirrorService *svc;
    size_t n = 0;

    if (args->maxnames < 0 || args->maxnames > kind->list_max)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "maxnames > %s", kind->list_max_name);
    svc = proxy_kind_present(call, kind, error);
    if (!svc)
        return -ENOTCONN;
    ret->names.val = xcalloc(args->maxnames + 1, sizeof(char *));
    for (size_t i = 0; i < svc->n_objs && n < (size_t) args->maxnames; i++) {
        MirrorObject *obj = svc->objs[i];
        if (kind_is(kind, obj) && kind_active(kind, obj) == active)
            ret->names.val[n++] = xstrdup(mirror_get_str(obj, kind->iface, "Name", ""));
    }
    ret->names.len = n;
    return 0;
}

int
proxy_kind_count(Call *call, void *args, void *ret, Error *error)
{
    const ProxyKind *kind = row_kind(call);
    bool active = call->def->prop == PROP_ACTIVE;
    MirrorService *svc = proxy_kind_present(call, kind, error);
    int n = 0;

    if (!svc)
        return -ENOTCONN;
    for (size_t i = 0; i < svc->n_objs; i++)
        if (kind_is(kind, svc->objs[i]) && kind_active(kind, svc->objs[i]) == active)
            n++;
    *(int *) ret = n;
    return 0;
}

/* IsActive, IsPersistent, GetAutostart: args begin with the object, the
 * ret is one int. A kind whose objects do not publish the property answers
 * what libvirt answers for it (node devices: active, transient, no
 * autostart). */
int
proxy_kind_get_bool(Call *call, void *args, void *ret, Error *error)
{
    static const char *const names[] = {
        [PROP_ACTIVE] = "Active",
        [PROP_PERSISTENT] = "Persistent",
        [PROP_AUTOSTART] = "Autostart",
    };
    const ProxyKind *kind = row_kind(call);
    ProcProp prop = call->def->prop;
    MirrorObject *obj;
    int r = proxy_kind_find(call, kind, args, &obj, error);

    if (r < 0)
        return r;
    *(int *) ret = mirror_get_bool(obj, kind->iface, names[prop],
                                   prop == PROP_ACTIVE && kind->always_active);
    return 0;
}

/* The shapes above, held to each struct a row reads through them. */
#define SAME_MEMBER(a, ma, b, mb) \
    _Static_assert(offsetof(a, ma) == offsetof(b, mb) && \
                   sizeof(((a *) 0)->ma) == sizeof(((b *) 0)->mb), #a "." #ma)
#define LIST_ALL_SHAPE(name, member) \
    SAME_MEMBER(remote_##name##_args, need_results, ListAllArgs, need_results); \
    SAME_MEMBER(remote_##name##_args, flags, ListAllArgs, flags); \
    SAME_MEMBER(remote_##name##_ret, member.member##_len, ListAllRet, objs.len); \
    SAME_MEMBER(remote_##name##_ret, member.member##_val, ListAllRet, objs.val); \
    SAME_MEMBER(remote_##name##_ret, ret, ListAllRet, ret)
#define LIST_NAMES_SHAPE(name) \
    SAME_MEMBER(remote_##name##_args, maxnames, ListNamesArgs, maxnames); \
    SAME_MEMBER(remote_##name##_ret, names.names_len, ListNamesRet, names.len); \
    SAME_MEMBER(remote_##name##_ret, names.names_val, ListNamesRet, names.val)
#define NAMED_SHAPE(type) \
    SAME_MEMBER(type, name, WireNamed, name); \
    SAME_MEMBER(type, uuid, WireNamed, uuid)

LIST_ALL_SHAPE(connect_list_all_domains, domains);
LIST_ALL_SHAPE(connect_list_all_networks, nets);
LIST_ALL_SHAPE(connect_list_all_storage_pools, pools);
LIST_ALL_SHAPE(connect_list_all_node_devices, devices);
LIST_NAMES_SHAPE(connect_list_defined_domains);
LIST_NAMES_SHAPE(connect_list_networks);
LIST_NAMES_SHAPE(connect_list_defined_networks);
LIST_NAMES_SHAPE(connect_list_storage_pools);
LIST_NAMES_SHAPE(connect_list_defined_storage_pools);
NAMED_SHAPE(remote_nonnull_domain);
NAMED_SHAPE(remote_nonnull_network);
NAMED_SHAPE(remote_nonnull_storage_pool);
SAME_MEMBER(remote_nonnull_node_device, name, WireNamed, name);
