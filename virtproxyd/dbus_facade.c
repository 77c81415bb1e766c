/* The D-Bus facade: org.libvirt routed to the daemon that owns each call,
 * object and signal. See dbus_facade.h for what is routed where. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include <libxml/tree.h>

#include "bus_util.h"
#include "dbus_facade.h"
#include "fileutil.h"
#include "log.h"
#include "macros.h"
#include "virt_constants.h"
#include "xml_util.h"

#define ROOT_PATH "/org/libvirt/QEMU"
#define CONNECT_IFACE "org.libvirt.Connect"
#define PROPS_IFACE "org.freedesktop.DBus.Properties"
#define OM_IFACE "org.freedesktop.DBus.ObjectManager"
#define INTRO_IFACE "org.freedesktop.DBus.Introspectable"
#define DBUS_NAME "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"

/* The owners answer or fail on their own (a daemon that dies gives NoReply
 * at once); this only bounds a hung one, and is above any sane client's
 * timeout. */
#define FORWARD_TIMEOUT_USEC (600ULL * 1000 * 1000)
#define INTROSPECT_MAX_BYTES (16u * 1024 * 1024)

#define INTROSPECT_DOCTYPE \
    "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n" \
    "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"

typedef enum {
    OWNER_QEMU,
    OWNER_NETWORK,
    OWNER_STORAGE,
    OWNER_NODEDEV,
    _OWNER_MAX,
    OWNER_NONE = -1,        /* no daemon of ours serves it (secrets, ...) */
    OWNER_NO_OBJECT = -2,   /* no such object */
    OWNER_NO_INTERFACE = -3 /* no such interface on /org/libvirt/QEMU */
} OwnerId;

typedef enum {
    OWNER_UNKNOWN, /* GetNameOwner not answered yet */
    OWNER_PRESENT,
    OWNER_ABSENT,
} OwnerState;

typedef struct Owner {
    DbusFacade *f;
    const char *name;   /* "org.libvirt.qemu" */
    const char *daemon; /* "virtqemud" */
    OwnerState state;
    char *unique;       /* its unique name while present */
    char **root_ifaces; /* the interfaces it declares on /org/libvirt/QEMU */
    char **connect_methods; /* its org.libvirt.Connect methods, once introspected */
    bool intro_known;   /* root_ifaces and connect_methods are its own words */
    sd_bus_slot *name_slot;   /* GetNameOwner in flight */
    sd_bus_slot *intro_slot;  /* Introspect of its root in flight */
    sd_bus_slot *signal_slot; /* the match rule for its signals */
} Owner;

typedef enum {
    CALL_FORWARD,         /* one owner, reply relayed */
    CALL_MANAGED_OBJECTS, /* every owner, replies merged */
    CALL_INTROSPECT_ROOT, /* every owner, XML merged */
} CallKind;

typedef struct Call Call;

typedef struct SubCall {
    Call *call;
    sd_bus_slot *slot;
    sd_bus_message *reply;
} SubCall;

struct Call {
    DbusFacade *f;
    Call *prev, *next;
    CallKind kind;
    OwnerId owner;          /* CALL_FORWARD */
    sd_bus_message *m;      /* the caller's call */
    sd_bus_slot *creds_slot;
    SubCall subs[_OWNER_MAX];
    unsigned pending;
};

struct DbusFacade {
    sd_bus *bus;
    uv_loop_t *loop; /* borrowed */
    sd_bus_slot *fallback_slot;
    sd_bus_slot *filter_slot;
    sd_bus_slot *noc_slot;
    Owner owners[_OWNER_MAX];
    Call *calls;
};

static const struct {
    const char *name;
    const char *daemon;
} owner_names[_OWNER_MAX] = {
    [OWNER_QEMU] = { "org.libvirt.qemu", "virtqemud" },
    [OWNER_NETWORK] = { "org.libvirt.network", "virtnetworkd" },
    [OWNER_STORAGE] = { "org.libvirt.storage", "virtstoraged" },
    [OWNER_NODEDEV] = { "org.libvirt.nodedev", "virtnodedevd" },
};

/* ---- routing tables -------------------------------------------------- */

/* org.libvirt.Connect members by prefix, first match wins (NodeDevice
 * before Node). A member not listed goes to virtqemud. */
static const struct {
    const char *prefix;
    OwnerId owner;
} connect_routes[] = {
    { "NodeDevice", OWNER_NODEDEV },
    { "ListNodeDevices", OWNER_NODEDEV },
    { "Node", OWNER_QEMU },
    { "Domain", OWNER_QEMU },
    { "ListDomains", OWNER_QEMU },
    { "GetAllDomainStats", OWNER_QEMU },
    { "GetCapabilities", OWNER_QEMU },
    { "GetDomainCapabilities", OWNER_QEMU },
    { "GetSysinfo", OWNER_QEMU },
    { "GetCPUModelNames", OWNER_QEMU },
    { "BaselineCPU", OWNER_QEMU },
    { "CompareCPU", OWNER_QEMU },
    { "Network", OWNER_NETWORK },
    { "ListNetworks", OWNER_NETWORK },
    { "StoragePool", OWNER_STORAGE },
    { "StorageVol", OWNER_STORAGE },
    { "ListStoragePools", OWNER_STORAGE },
    { "FindStoragePoolSources", OWNER_STORAGE },
    { "Interface", OWNER_NONE },
    { "ListInterfaces", OWNER_NONE },
    { "NWFilter", OWNER_NONE },
    { "ListNWFilters", OWNER_NONE },
    { "Secret", OWNER_NONE },
    { "ListSecrets", OWNER_NONE },
};

/* The first path segment below /org/libvirt/QEMU (libvirt-dbus's scheme). */
static const struct {
    const char *segment;
    OwnerId owner;
} path_routes[] = {
    { "domain", OWNER_QEMU },
    { "domainsnapshot", OWNER_QEMU },
    { "network", OWNER_NETWORK },
    { "storagepool", OWNER_STORAGE },
    { "storagevol", OWNER_STORAGE },
    { "nodedev", OWNER_NODEDEV },
    { "interface", OWNER_NONE },
    { "nwfilter", OWNER_NONE },
    { "secret", OWNER_NONE },
};

/* Our own interfaces on /org/libvirt/QEMU, by name, for an owner that has
 * not told us yet (its introspection is learned when it appears). */
static const struct {
    const char *prefix;
    OwnerId owner;
} iface_routes[] = {
    { "org.virtstack.Network", OWNER_NETWORK },
    { "org.virtstack.Storage", OWNER_STORAGE },
    { "org.virtstack.NodeDev", OWNER_NODEDEV },
    { "org.virtstack.Domain", OWNER_QEMU },
    { "org.virtstack.Qemu", OWNER_QEMU },
};

/* What a caller other than root may call: the methods annotated
 * org.virtstack.ReadOnly in the api/ files, as the daemons' bus policy allows
 * them (read_only_methods.h is generated from the same annotations).
 * Anything else changes something and is forwarded only for root. Domain
 * and DomainSnapshot GetXMLDesc are listed but checked for
 * VIR_DOMAIN_XML_SECURE too (method_is_read_only). */
#include "read_only_methods.h"

/* SECURE (the same bit as VIR_DOMAIN_SNAPSHOT_XML_SECURE) and MIGRATABLE:
 * libvirt refuses both on a read-only connection. */
#define XML_FLAGS_SECRET (DOMAIN_XML_SECURE | DOMAIN_XML_MIGRATABLE)

static bool
method_is_read_only(sd_bus_message *m)
{
    const char *iface = sd_bus_message_get_interface(m);
    const char *member = sd_bus_message_get_member(m);
    size_t ilen;
    bool found = false;

    /* A call without an interface is ambiguous: treat it as a change. */
    if (!iface || !member)
        return false;
    ilen = strlen(iface);
    for (size_t i = 0; i < ARRAY_SIZE(read_only_methods) && !found; i++) {
        const char *e = read_only_methods[i];
        found = strncmp(e, iface, ilen) == 0 && e[ilen] == '.' && STREQ(e + ilen + 1, member);
    }
    if (!found)
        return false;

    if (STREQ(member, "GetXMLDesc") &&
        (STREQ(iface, "org.libvirt.Domain") || STREQ(iface, "org.libvirt.DomainSnapshot"))) {
        uint32_t flags = 0;
        int r;

        r = sd_bus_message_read(m, "u", &flags);
        sd_bus_message_rewind(m, true);
        /* A malformed call goes to the owner, who refuses it; the flag that
         * reveals secrets needs root. */
        if (r > 0 && (flags & XML_FLAGS_SECRET))
            return false;
    }
    return true;
}

static bool
is_prefix(const char *prefix, const char *s)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The owner of a Connect member by the table; once that owner's
 * introspection is known, only if it really serves the member (a method
 * nobody serves yet gets libvirt's "not supported", not a daemon's unknown
 * method). */
static OwnerId
route_connect_member(DbusFacade *f, const char *member)
{
    OwnerId o = OWNER_QEMU;

    for (size_t i = 0; i < ARRAY_SIZE(connect_routes); i++)
        if (is_prefix(connect_routes[i].prefix, member)) {
            o = connect_routes[i].owner;
            break;
        }
    if (o >= 0 && o < _OWNER_MAX && f->owners[o].intro_known &&
        !strv_contains(f->owners[o].connect_methods, member))
        return OWNER_NONE;
    return o;
}

static OwnerId
route_path(const char *path)
{
    const char *seg = path + strlen(ROOT_PATH);
    size_t len;

    if (*seg != '/')
        return OWNER_NO_OBJECT;
    seg++;
    len = strcspn(seg, "/");
    for (size_t i = 0; i < ARRAY_SIZE(path_routes); i++)
        if (strlen(path_routes[i].segment) == len && strncmp(seg, path_routes[i].segment, len) == 0)
            return path_routes[i].owner;
    return OWNER_NO_OBJECT;
}

static OwnerId
route_root_iface(DbusFacade *f, const char *iface)
{
    if (STREQ(iface, CONNECT_IFACE) || iface[0] == '\0')
        return OWNER_QEMU;
    for (int o = 0; o < _OWNER_MAX; o++)
        if (strv_contains(f->owners[o].root_ifaces, iface))
            return o;
    for (size_t i = 0; i < ARRAY_SIZE(iface_routes); i++)
        if (is_prefix(iface_routes[i].prefix, iface))
            return iface_routes[i].owner;
    return OWNER_NO_INTERFACE;
}

/* Where a method call goes. Reads (and rewinds) the first argument of a
 * Properties call on the root. */
static OwnerId
route_call(DbusFacade *f, sd_bus_message *m, CallKind *ret_kind)
{
    const char *path = sd_bus_message_get_path(m);
    const char *iface = sd_bus_message_get_interface(m);
    const char *member = sd_bus_message_get_member(m);

    *ret_kind = CALL_FORWARD;
    if (!STREQ(path, ROOT_PATH))
        return route_path(path);

    if (iface && STREQ(iface, OM_IFACE) && STREQ(member, "GetManagedObjects")) {
        *ret_kind = CALL_MANAGED_OBJECTS;
        return OWNER_QEMU;
    }
    if (iface && STREQ(iface, INTRO_IFACE) && STREQ(member, "Introspect")) {
        *ret_kind = CALL_INTROSPECT_ROOT;
        return OWNER_QEMU;
    }
    if (iface && STREQ(iface, PROPS_IFACE)) {
        const char *target = NULL;
        OwnerId o;

        if (sd_bus_message_read(m, "s", &target) <= 0)
            target = CONNECT_IFACE; /* malformed: virtqemud says so */
        o = route_root_iface(f, target);
        sd_bus_message_rewind(m, true);
        return o;
    }
    if (!iface || STREQ(iface, CONNECT_IFACE))
        return route_connect_member(f, member);
    return route_root_iface(f, iface);
}

/* ---- calls in flight --------------------------------------------------- */

static Call *
call_new(DbusFacade *f, sd_bus_message *m, CallKind kind, OwnerId owner)
{
    Call *call = xcalloc(1, sizeof(*call));

    call->f = f;
    call->kind = kind;
    call->owner = owner;
    call->m = sd_bus_message_ref(m);
    for (int o = 0; o < _OWNER_MAX; o++)
        call->subs[o].call = call;
    call->next = f->calls;
    if (f->calls)
        f->calls->prev = call;
    f->calls = call;
    return call;
}

static void
call_free(Call *call)
{
    if (!call)
        return;
    if (call->prev)
        call->prev->next = call->next;
    else
        call->f->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    sd_bus_slot_unref(call->creds_slot);
    for (int o = 0; o < _OWNER_MAX; o++) {
        sd_bus_slot_unref(call->subs[o].slot);
        sd_bus_message_unref(call->subs[o].reply);
    }
    sd_bus_message_unref(call->m);
    free(call);
}

static void
reply_error(sd_bus_message *m, int code, const char *fmt, ...) _printf_(3, 4);

static void
reply_error(sd_bus_message *m, int code, const char *fmt, ...)
{
    auto_cleanup(free_ptr) char *name = NULL;
    auto_cleanup(free_ptr) char *msg = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        abort();
    name = xasprintf(ERROR_BUS_PREFIX "%s", error_code_to_name(code));
    r = sd_bus_reply_method_errorf(m, name, "%s", msg);
    if (r < 0)
        log_debug("dbus_facade: cannot send the error reply '%s': %s", msg, strerror(-r));
}

static void
reply_no_owner(sd_bus_message *m, const Owner *o)
{
    reply_error(m, VIR_ERR_NO_CONNECT, "%s is not running (%s has no owner)", o->daemon, o->name);
}

static bool
is_no_owner_error(const sd_bus_error *e)
{
    return sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
           sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN);
}

/* Sends @m's body (or nothing when @m is NULL) as @iface.@member on @path
 * to owner @o; @cb gets the reply. */
static int
forward(DbusFacade *f, OwnerId o, sd_bus_message *m, const char *path, const char *iface,
        const char *member, sd_bus_message_handler_t cb, void *userdata, sd_bus_slot **ret_slot)
{
    sd_bus_message *fwd = NULL;
    int r;

    r = sd_bus_message_new_method_call(f->bus, &fwd, f->owners[o].name, path, iface, member);
    if (r < 0)
        return r;
    r = sd_bus_message_set_auto_start(fwd, 0);
    if (r >= 0 && m) {
        r = sd_bus_message_rewind(m, true);
        if (r >= 0)
            r = sd_bus_message_copy(fwd, m, true);
    }
    if (r >= 0)
        r = sd_bus_call_async(f->bus, ret_slot, fwd, cb, userdata, FORWARD_TIMEOUT_USEC);
    sd_bus_message_unref(fwd);
    return r;
}

/* The owner's reply, or its error with the same name and message, to the
 * caller. */
static void
relay_reply(DbusFacade *f, sd_bus_message *m, const Owner *o, sd_bus_message *reply)
{
    sd_bus_message *out = NULL;
    int r;

    if (sd_bus_message_is_method_error(reply, NULL)) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (is_no_owner_error(e))
            reply_no_owner(m, o);
        else
            sd_bus_reply_method_error(m, e);
        return;
    }
    r = sd_bus_message_new_method_return(m, &out);
    if (r >= 0)
        r = sd_bus_message_rewind(reply, true);
    if (r >= 0)
        r = sd_bus_message_copy(out, reply, true);
    if (r >= 0)
        r = sd_bus_send(f->bus, out, NULL);
    sd_bus_message_unref(out);
    if (r < 0)
        reply_error(m, VIR_ERR_INTERNAL_ERROR, "cannot relay the reply of %s to %s.%s: %s",
                    o->name, sd_bus_message_get_interface(m), sd_bus_message_get_member(m),
                    strerror(-r));
}

static int
forward_reply_cb(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    SubCall *sub = userdata;
    Call *call = sub->call;

    sub->slot = sd_bus_slot_unref(sub->slot);
    relay_reply(call->f, call->m, &call->f->owners[call->owner], reply);
    call_free(call);
    return 0;
}

/* ---- merged answers on /org/libvirt/QEMU -------------------------------- */

static bool
reply_ok(const SubCall *sub)
{
    return sub->reply && !sd_bus_message_is_method_error(sub->reply, NULL);
}

static int
managed_objects_merge(Call *call, sd_bus_message **ret)
{
    sd_bus_message *out = NULL;
    bool root_seen = false;
    int r;

    r = sd_bus_message_new_method_return(call->m, &out);
    if (r >= 0)
        r = sd_bus_message_open_container(out, 'a', "{oa{sa{sv}}}");
    for (int o = 0; o < _OWNER_MAX && r >= 0; o++) {
        sd_bus_message *in = call->subs[o].reply;

        if (!reply_ok(&call->subs[o]))
            continue;
        r = sd_bus_message_rewind(in, true);
        if (r >= 0)
            r = sd_bus_message_enter_container(in, 'a', "{oa{sa{sv}}}");
        if (r <= 0)
            continue; /* not what ObjectManager answers: ignored */
        while ((r = sd_bus_message_enter_container(in, 'e', "oa{sa{sv}}")) > 0) {
            const char *path;

            r = sd_bus_message_read(in, "o", &path);
            if (r < 0)
                break;
            /* Object paths are disjoint by owner; the root alone could come
             * from several, and is listed once. */
            if (STREQ(path, ROOT_PATH) && root_seen) {
                r = sd_bus_message_skip(in, "a{sa{sv}}");
            } else {
                root_seen = root_seen || STREQ(path, ROOT_PATH);
                r = sd_bus_message_open_container(out, 'e', "oa{sa{sv}}");
                if (r >= 0)
                    r = sd_bus_message_append(out, "o", path);
                if (r >= 0)
                    r = sd_bus_message_copy(out, in, false);
                if (r >= 0)
                    r = sd_bus_message_close_container(out);
            }
            if (r >= 0)
                r = sd_bus_message_exit_container(in);
            if (r < 0)
                break;
        }
        if (r >= 0)
            r = sd_bus_message_exit_container(in);
    }
    if (r >= 0)
        r = sd_bus_message_close_container(out);
    if (r < 0) {
        sd_bus_message_unref(out);
        return r;
    }
    *ret = out;
    return 0;
}

static xmlNode *
xml_find_named(xmlNode *parent, const xmlChar *elem, const char *name)
{
    xml_foreach_child(c, parent) {
        auto_cleanup(free_ptr) char *n = NULL;

        if (!xmlStrEqual(c->name, elem))
            continue;
        n = xml_prop(c, "name");
        if (STREQ_NULL(n, name))
            return c;
    }
    return NULL;
}

/* Parses an introspection document (its DOCTYPE, which xml_parse_document
 * refuses, skipped). */
static int
introspect_parse(const char *xml, xmlDoc **ret_doc, Error *error)
{
    const char *start = strstr(xml, "<node");

    if (!start)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "introspection data has no <node> element");
    return xml_parse_document(start, INTROSPECT_MAX_BYTES, "node", ret_doc, error);
}

/* Adds @src's interfaces and child nodes to @dst; an interface present in
 * both gets the members it lacks. */
static void
introspect_merge_node(xmlNode *dst, xmlNode *src)
{
    xml_foreach_child(c, src) {
        auto_cleanup(free_ptr) char *name = xml_prop(c, "name");
        xmlNode *have;

        if (!name || (!xml_node_is(c, "interface") && !xml_node_is(c, "node")))
            continue;
        have = xml_find_named(dst, c->name, name);
        if (!have) {
            xmlAddChild(dst, xmlDocCopyNode(c, dst->doc, 1));
            continue;
        }
        if (!xml_node_is(c, "interface"))
            continue;
        xml_foreach_child(mc, c) {
            auto_cleanup(free_ptr) char *mname = xml_prop(mc, "name");

            if (mname && !xml_find_named(have, mc->name, mname))
                xmlAddChild(have, xmlDocCopyNode(mc, dst->doc, 1));
        }
    }
}

static char *
introspect_format(xmlDoc *doc)
{
    xmlBuffer *buf = xmlBufferCreate();
    char *s;

    xmlNodeDump(buf, doc, xmlDocGetRootElement(doc), 0, 1);
    s = xasprintf("%s%s\n", INTROSPECT_DOCTYPE, (const char *) xmlBufferContent(buf));
    xmlBufferFree(buf);
    return s;
}

static int
introspect_merge(Call *call, sd_bus_message **ret)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *out = xmlNewDoc(BAD_CAST "1.0");
    auto_cleanup(free_ptr) char *text = NULL;
    xmlNode *root = xmlNewDocNode(out, NULL, BAD_CAST "node", NULL);

    xmlDocSetRootElement(out, root);
    for (int o = 0; o < _OWNER_MAX; o++) {
        auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
        auto_cleanup(error_clear) Error error = ERROR_INIT;
        const char *xml;

        if (!reply_ok(&call->subs[o]))
            continue;
        if (sd_bus_message_rewind(call->subs[o].reply, true) < 0 ||
            sd_bus_message_read(call->subs[o].reply, "s", &xml) <= 0)
            continue;
        if (introspect_parse(xml, &doc, &error) < 0) {
            log_warn("dbus_facade: ignoring the introspection of %s: %s",
                     call->f->owners[o].name, error.message);
            continue;
        }
        introspect_merge_node(root, xmlDocGetRootElement(doc));
    }
    text = introspect_format(out);
    return sd_bus_message_new_method_return(call->m, ret) < 0
               ? -ENOMEM
               : sd_bus_message_append(*ret, "s", text);
}

static void
fanout_done(Call *call)
{
    sd_bus_message *out = NULL;
    int r;

    if (call->kind == CALL_MANAGED_OBJECTS)
        r = managed_objects_merge(call, &out);
    else
        r = introspect_merge(call, &out);
    if (r >= 0)
        r = sd_bus_send(call->f->bus, out, NULL);
    sd_bus_message_unref(out);
    if (r < 0)
        reply_error(call->m, VIR_ERR_INTERNAL_ERROR,
                    "cannot merge the daemons' answers to %s.%s: %s",
                    sd_bus_message_get_interface(call->m), sd_bus_message_get_member(call->m),
                    strerror(-r));
}

static int
fanout_reply_cb(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    SubCall *sub = userdata;
    Call *call = sub->call;

    sub->slot = sd_bus_slot_unref(sub->slot);
    sub->reply = sd_bus_message_ref(reply);
    if (--call->pending == 0) {
        fanout_done(call);
        call_free(call);
    }
    return 0;
}

/* ---- starting a call ---------------------------------------------------- */

static void
call_start(Call *call)
{
    DbusFacade *f = call->f;
    sd_bus_message *m = call->m;
    int r;

    if (call->kind == CALL_FORWARD) {
        Owner *o = &f->owners[call->owner];

        if (o->state == OWNER_ABSENT) {
            reply_no_owner(m, o);
            call_free(call);
            return;
        }
        r = forward(f, call->owner, m, sd_bus_message_get_path(m),
                    sd_bus_message_get_interface(m), sd_bus_message_get_member(m),
                    forward_reply_cb, &call->subs[call->owner], &call->subs[call->owner].slot);
        if (r < 0) {
            reply_error(m, VIR_ERR_INTERNAL_ERROR, "cannot forward %s.%s to %s: %s",
                        sd_bus_message_get_interface(m), sd_bus_message_get_member(m), o->name,
                        strerror(-r));
            call_free(call);
        }
        return;
    }

    for (int o = 0; o < _OWNER_MAX; o++) {
        if (f->owners[o].state == OWNER_ABSENT)
            continue;
        r = forward(f, o, NULL, ROOT_PATH, sd_bus_message_get_interface(m),
                    sd_bus_message_get_member(m), fanout_reply_cb, &call->subs[o],
                    &call->subs[o].slot);
        if (r < 0)
            log_debug("dbus_facade: cannot ask %s: %s", f->owners[o].name, strerror(-r));
        else
            call->pending++;
    }
    if (call->pending == 0) {
        fanout_done(call);
        call_free(call);
    }
}

static void
call_authorize(Call *call, uid_t uid)
{
    if (bus_uid_is_privileged(uid)) {
        call_start(call);
        return;
    }
    reply_error(call->m, VIR_ERR_OPERATION_DENIED,
                "operation forbidden: read only access prevents %s.%s (uid %u is not root)",
                sd_bus_message_get_interface(call->m) ?: "(no interface)",
                sd_bus_message_get_member(call->m), (unsigned) uid);
    call_free(call);
}

static void
caller_known(sd_bus_message *m, int64_t uid, void *userdata)
{
    Call *call = userdata;

    if (uid < 0) {
        reply_error(call->m, VIR_ERR_OPERATION_DENIED,
                    "operation forbidden: cannot tell who calls %s.%s",
                    sd_bus_message_get_interface(call->m) ?: "(no interface)",
                    sd_bus_message_get_member(call->m));
        call_free(call);
        return;
    }
    call_authorize(call, (uid_t) uid);
}

static void
call_check_caller(Call *call)
{
    int r = bus_query_caller_uid(call->m, caller_known, call, &call->creds_slot);

    if (r < 0)
        caller_known(call->m, r, call);
}

static int
facade_method_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    DbusFacade *f = userdata;
    const char *iface = sd_bus_message_get_interface(m);
    const char *member = sd_bus_message_get_member(m);
    CallKind kind;
    OwnerId owner;
    Call *call;

    owner = route_call(f, m, &kind);
    switch (owner) {
    case OWNER_NONE:
        reply_error(m, VIR_ERR_NO_SUPPORT,
                    "this function is not supported by the connection driver: %s.%s",
                    iface ?: "(no interface)", member);
        return 1;
    case OWNER_NO_OBJECT:
        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.",
                                 sd_bus_message_get_path(m));
    case OWNER_NO_INTERFACE:
        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                 "Unknown interface '%s' on object '%s'.", iface ?: "",
                                 sd_bus_message_get_path(m));
    default:
        break;
    }

    call = call_new(f, m, kind, owner);
    if (method_is_read_only(m))
        call_start(call);
    else
        call_check_caller(call);
    return 1;
}

/* ---- owners and their signals ------------------------------------------ */

static int
owner_intro_cb(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    Owner *o = userdata;
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    char **ifaces = NULL;
    const char *xml;

    o->intro_slot = sd_bus_slot_unref(o->intro_slot);
    if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "s", &xml) <= 0)
        return 0;
    if (introspect_parse(xml, &doc, &error) < 0) {
        log_warn("dbus_facade: cannot read the interfaces of %s: %s", o->name, error.message);
        return 0;
    }
    strv_free(steal_ptr(o->connect_methods));
    xml_foreach_child(c, xmlDocGetRootElement(doc)) {
        char *name;

        if (!xml_node_is(c, "interface"))
            continue;
        name = xml_prop(c, "name");
        if (!name)
            continue;
        if (STREQ(name, CONNECT_IFACE)) {
            free(name);
            xml_foreach_child(m, c) {
                char *method = xml_node_is(m, "method") ? xml_prop(m, "name") : NULL;

                if (method)
                    strv_push(&o->connect_methods, method);
            }
            if (!o->connect_methods)
                o->connect_methods = xcalloc(1, sizeof(char *));
        } else if (is_prefix("org.freedesktop.DBus.", name)) {
            free(name);
        } else {
            strv_push(&ifaces, name);
        }
    }
    strv_free(o->root_ifaces);
    o->root_ifaces = ifaces;
    o->intro_known = true;
    return 0;
}

static void
owner_set(DbusFacade *f, Owner *o, const char *unique)
{
    int r;

    free(o->unique);
    o->unique = unique ? xstrdup(unique) : NULL;
    o->state = unique ? OWNER_PRESENT : OWNER_ABSENT;
    o->intro_slot = sd_bus_slot_unref(o->intro_slot);
    o->intro_known = false;
    log_debug("dbus_facade: %s is %s%s", o->name, unique ? "owned by " : "gone",
              unique ? unique : "");
    if (!unique)
        return;
    /* Learn its own interfaces on the root, to route them. */
    r = sd_bus_call_method_async(f->bus, &o->intro_slot, o->name, ROOT_PATH, INTRO_IFACE,
                                 "Introspect", owner_intro_cb, o, NULL);
    if (r < 0)
        log_debug("dbus_facade: cannot introspect %s: %s", o->name, strerror(-r));
}

static Owner *
owner_by_name(DbusFacade *f, const char *name)
{
    for (int o = 0; o < _OWNER_MAX; o++)
        if (STREQ(f->owners[o].name, name))
            return &f->owners[o];
    return NULL;
}

static int
name_owner_changed_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    DbusFacade *f = userdata;
    const char *name, *old_owner, *new_owner;
    Owner *o;

    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) <= 0)
        return 0;
    o = owner_by_name(f, name);
    if (o)
        owner_set(f, o, new_owner[0] ? new_owner : NULL);
    return 0;
}

static int
get_name_owner_cb(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    Owner *o = userdata;
    const char *unique = NULL;

    o->name_slot = sd_bus_slot_unref(o->name_slot);
    /* NameHasNoOwner, or any failure: absent until NameOwnerChanged says
     * otherwise. */
    if (!sd_bus_message_is_method_error(reply, NULL) &&
        sd_bus_message_read(reply, "s", &unique) <= 0)
        unique = NULL;
    owner_set(o->f, o, unique);
    return 0;
}

static int
noop_match_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    return 0;
}

/* Every signal an owner emits on /org/libvirt/QEMU or below is emitted
 * again from our connection, unchanged. This runs as a filter, on the unique
 * name of the current owner, so it does not depend on how sd-bus matches
 * well-known names locally. */
static int
signal_filter_cb(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    DbusFacade *f = userdata;
    const char *sender, *path;
    sd_bus_message *out = NULL;
    uint8_t type;
    bool ours = false;
    int r;

    if (sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_SIGNAL)
        return 0;
    sender = sd_bus_message_get_sender(m);
    path = sd_bus_message_get_path(m);
    if (!sender || !path || !sd_bus_message_get_interface(m))
        return 0;
    for (int o = 0; o < _OWNER_MAX && !ours; o++)
        ours = STREQ_NULL(f->owners[o].unique, sender);
    if (!ours || !(STREQ(path, ROOT_PATH) || is_prefix(ROOT_PATH "/", path)))
        return 0;

    r = sd_bus_message_new_signal(f->bus, &out, path, sd_bus_message_get_interface(m),
                                  sd_bus_message_get_member(m));
    if (r >= 0)
        r = sd_bus_message_rewind(m, true);
    if (r >= 0)
        r = sd_bus_message_copy(out, m, true);
    if (r >= 0)
        r = sd_bus_send(f->bus, out, NULL);
    sd_bus_message_unref(out);
    if (r < 0)
        log_warn("dbus_facade: cannot re-emit %s.%s on %s: %s", sd_bus_message_get_interface(m),
                 sd_bus_message_get_member(m), path, strerror(-r));
    sd_bus_message_rewind(m, true);
    return 0;
}

/* ---- life cycle --------------------------------------------------------- */

int
dbus_facade_new(sd_bus *bus, uv_loop_t *loop, DbusFacade **ret, Error *error)
{
    auto_cleanup(dbus_facade_freep) DbusFacade *f = xcalloc(1, sizeof(*f));
    int r;

    f->bus = sd_bus_ref(bus);
    f->loop = loop;
    for (int o = 0; o < _OWNER_MAX; o++) {
        f->owners[o].f = f;
        f->owners[o].name = owner_names[o].name;
        f->owners[o].daemon = owner_names[o].daemon;
        f->owners[o].state = OWNER_UNKNOWN;
    }

    /* Owners first: the NameOwnerChanged rule is installed before the
     * GetNameOwner questions, so no change falls between them. */
    r = sd_bus_add_match_async(bus, &f->noc_slot,
                               "type='signal',sender='" DBUS_NAME "',path='" DBUS_PATH "',"
                               "interface='" DBUS_NAME "',member='NameOwnerChanged',"
                               "arg0namespace='org.libvirt'",
                               name_owner_changed_cb, NULL, f);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                               "cannot watch the owners of the org.libvirt.* names");
    for (int o = 0; o < _OWNER_MAX; o++) {
        Owner *ow = &f->owners[o];
        auto_cleanup(free_ptr) char *rule = xasprintf(
            "type='signal',sender='%s',path_namespace='" ROOT_PATH "'", ow->name);

        r = sd_bus_add_match_async(bus, &ow->signal_slot, rule, noop_match_cb, NULL, f);
        if (r < 0)
            return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                                   "cannot subscribe to the signals of %s", ow->name);
        r = sd_bus_call_method_async(bus, &ow->name_slot, DBUS_NAME, DBUS_PATH, DBUS_NAME,
                                     "GetNameOwner", get_name_owner_cb, ow, "s", ow->name);
        if (r < 0)
            return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                                   "cannot ask for the owner of %s", ow->name);
    }
    r = sd_bus_add_filter(bus, &f->filter_slot, signal_filter_cb, f);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                               "cannot install the signal filter of the D-Bus facade");
    r = sd_bus_add_fallback(bus, &f->fallback_slot, ROOT_PATH, facade_method_cb, f);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                               "cannot serve '%s' on the bus", ROOT_PATH);

    *ret = steal_ptr(f);
    return 0;
}

void
dbus_facade_free(DbusFacade *f)
{
    if (!f)
        return;
    while (f->calls)
        call_free(f->calls);
    sd_bus_slot_unref(f->fallback_slot);
    sd_bus_slot_unref(f->filter_slot);
    sd_bus_slot_unref(f->noc_slot);
    for (int o = 0; o < _OWNER_MAX; o++) {
        Owner *ow = &f->owners[o];

        sd_bus_slot_unref(ow->name_slot);
        sd_bus_slot_unref(ow->intro_slot);
        sd_bus_slot_unref(ow->signal_slot);
        strv_free(ow->root_ifaces);
        strv_free(ow->connect_methods);
        free(ow->unique);
    }
    sd_bus_unref(f->bus);
    free(f);
}
