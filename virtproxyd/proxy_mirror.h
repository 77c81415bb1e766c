/* The mirror: a copy of every object the daemons publish, so that lookups,
 * lists, state and info are answered without a D-Bus round trip.
 *
 * One MirrorService per daemon (org.libvirt.qemu, .network, .storage,
 * .nodedev). It is filled by ObjectManager.GetManagedObjects on
 * /org/libvirt/QEMU when the service's name gets an owner (at start, and on
 * NameOwnerChanged), and kept current by InterfacesAdded, InterfacesRemoved
 * and PropertiesChanged. The daemons emit those signals before they reply
 * to the call that caused them, and a bus connection delivers one sender's
 * messages in order, so after a write's reply the mirror is current.
 *
 * Only basic-typed properties are kept (b, y, n, q, i, u, x, t, d, s, o);
 * others are skipped. Runs on the loop thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "error.h"

#define MIRROR_ROOT_PATH "/org/libvirt/QEMU"

typedef enum {
    MIRROR_SVC_QEMU,
    MIRROR_SVC_NETWORK,
    MIRROR_SVC_STORAGE,
    MIRROR_SVC_NODEDEV,
    _MIRROR_SVC_MAX,
} MirrorServiceId;

typedef struct Mirror Mirror;
typedef struct MirrorService MirrorService;

typedef struct MirrorProp {
    char *name;
    char type;                 /* D-Bus type code */
    union {
        int64_t i;             /* b y n q i u x (u kept as its unsigned value) */
        uint64_t t;
        double d;
        char *s;               /* s o */
    } v;
} MirrorProp;

/* An entry of a service's key index (see mirror_find_by_name()). */
typedef struct MirrorKey MirrorKey;

/* The properties the key index covers, per interface. */
typedef enum {
    MIRROR_KEY_NAME,           /* "Name", a string */
    MIRROR_KEY_ID,             /* "Id", an integer; -1 (or 0xffffffff) is not indexed */
    _MIRROR_KEY_MAX,
} MirrorKeyKind;

typedef struct MirrorIface {
    char *name;
    MirrorProp *props;
    size_t n_props;
    MirrorKey *keys[_MIRROR_KEY_MAX]; /* this interface's entries in the key index */
} MirrorIface;

typedef struct MirrorObject {
    char *path;
    MirrorIface *ifaces;
    size_t n_ifaces;
    MirrorService *svc;       /* borrowed */
    struct MirrorObject *hnext; /* hash chain */
    bool has_uuid;            /* the path ends in a uuid (mirror_path_uuid) */
    uint8_t uuid[16];         /* ... this one */
} MirrorObject;

struct MirrorService {
    MirrorServiceId id;
    const char *bus_name;     /* "org.libvirt.qemu" */
    const char *daemon_name;  /* "virtqemud" */
    char *owner;              /* the unique name, NULL while absent */
    bool synced;              /* GetManagedObjects answered for this owner */
    MirrorObject **objs;      /* in arrival order */
    size_t n_objs, cap_objs;
    MirrorObject **hash;      /* by path */
    size_t n_hash;
    MirrorKey **keys;         /* by (interface, Name) and (interface, Id) */
    size_t n_keys_hash, n_keys;
    sd_bus_slot *gmo_slot;
    /* Other signals of the new owner before the objects came: their objects
     * may not be mirrored yet, so they are passed on after the sync. */
    sd_bus_message **early;
    size_t n_early;
    Mirror *mirror;           /* borrowed */
};

/* Called for every other signal from a service's daemon (DomainEvent, ...),
 * after the mirror has applied anything it carries. */
typedef void (*MirrorSignalFn)(MirrorService *svc, sd_bus_message *m, void *userdata);
/* Called when a service's owner appears (synced) or vanishes. May be NULL. */
typedef void (*MirrorOwnerFn)(MirrorService *svc, bool present, void *userdata);

/* Adds the match rules (synchronously: call before the loop runs) and asks
 * every service for its objects. */
int mirror_new(sd_bus *bus, MirrorSignalFn signal_fn, MirrorOwnerFn owner_fn, void *userdata,
               Mirror **ret, Error *error);
void mirror_free(Mirror *m);

MirrorService *mirror_service(Mirror *m, MirrorServiceId id);
/* NULL when absent. */
MirrorObject *mirror_find(MirrorService *svc, const char *path);
/* The object whose interface @iface has the property Name equal to @name,
 * or whose @iface has Id equal to @id (an active domain's): hash lookups, no
 * allocation. NULL when none (if two objects share a name, either). */
MirrorObject *mirror_find_by_name(MirrorService *svc, const char *iface, const char *name);
MirrorObject *mirror_find_by_id(MirrorService *svc, const char *iface, int64_t id);
/* The object at "/org/libvirt/QEMU/@kind/_<uuid>", without allocating. */
MirrorObject *mirror_find_uuid(MirrorService *svc, const char *kind, const uint8_t uuid[16]);
/* The service whose owner is @sender (a unique name), or NULL. */
MirrorService *mirror_service_by_sender(Mirror *m, const char *sender);

const MirrorProp *mirror_prop(const MirrorObject *obj, const char *iface, const char *name);
bool mirror_has_iface(const MirrorObject *obj, const char *iface);
/* Typed getters: @def when the property is missing or of another type. */
const char *mirror_get_str(const MirrorObject *obj, const char *iface, const char *name,
                           const char *def);
int64_t mirror_get_int(const MirrorObject *obj, const char *iface, const char *name, int64_t def);
uint64_t mirror_get_u64(const MirrorObject *obj, const char *iface, const char *name,
                        uint64_t def);
bool mirror_get_bool(const MirrorObject *obj, const char *iface, const char *name, bool def);

/* Applies a{sa{sv}} (one object's interfaces) from @msg: used for
 * GetManagedObjects and InterfacesAdded; exposed for tests. */
int mirror_apply_interfaces(MirrorService *svc, const char *path, sd_bus_message *msg);
/* Applies PropertiesChanged's "sa{sv}as" body. */
int mirror_apply_properties_changed(MirrorService *svc, const char *path, sd_bus_message *msg);
void mirror_remove_interfaces(MirrorService *svc, const char *path, char **ifaces);
void mirror_service_clear(MirrorService *svc);

/* Object paths: "/org/libvirt/QEMU/domain/_<uuid with - as _>". */
char *mirror_domain_path(const uint8_t uuid[16]);
/* The same for any @kind ("domain", "network", ...) into @buf; -ENAMETOOLONG
 * if @kind does not fit. */
#define MIRROR_PATH_MAX 128
int mirror_uuid_path(const char *kind, const uint8_t uuid[16], char buf[MIRROR_PATH_MAX]);
/* The uuid (16 bytes) in a domain, network or pool path; -EINVAL if none. */
int mirror_path_uuid(const char *path, uint8_t ret_uuid[16]);
bool mirror_path_has_prefix(const char *path, const char *kind /* "domain" */);
