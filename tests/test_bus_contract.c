/* The contract: every vtable the daemons register against the interface
 * XML in api/. Every method, property and signal served is declared there
 * with the same signature and argument names, and everything declared is
 * served: by the one daemon that owns an object interface, and for
 * org.libvirt.Connect by one of the daemons (each serves its part). */
#include <stdbool.h>
#include <string.h>

#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <systemd/sd-bus.h>

#include "bus_util.h"
#include "network_bus.h"
#include "nodedev_bus.h"
#include "qemu_bus.h"
#include "storage_bus.h"
#include "test_util.h"

typedef struct Daemon {
    const char *name;
    const BusInterfaceSpec *const *tables;
} Daemon;

static const BusInterfaceSpec *const qemu_tables[] = {
    qemu_connect_bus_interfaces, qemu_domain_bus_interfaces, NULL,
};
static const BusInterfaceSpec *const network_tables[] = { network_bus_interfaces, NULL };
static const BusInterfaceSpec *const storage_tables[] = { storage_bus_interfaces, NULL };
static const BusInterfaceSpec *const nodedev_tables[] = { nodedev_bus_interfaces, NULL };

static const Daemon daemons[] = {
    { "virtqemud", qemu_tables },
    { "virtnetworkd", network_tables },
    { "virtstoraged", storage_tables },
    { "virtnodedevd", nodedev_tables },
};

/* The interface files of api/, kept open. */
static xmlDoc *docs[64];
static size_t n_docs;

static void
load_api(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    CHECK(d != NULL);
    if (!d)
        return;
    while ((e = readdir(d)) && n_docs < ARRAY_SIZE(docs)) {
        size_t len = strlen(e->d_name);
        auto_cleanup(free_ptr) char *path = NULL;

        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        path = xasprintf("%s/%s", dir, e->d_name);
        docs[n_docs] = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
        if (!docs[n_docs])
            TEST_FAIL("cannot parse %s", path);
        else
            n_docs++;
    }
    closedir(d);
}

static bool
node_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0;
}

static char *
prop(const xmlNode *n, const char *name)
{
    return (char *) xmlGetProp(n, (const xmlChar *) name);
}

static xmlNode *
find_interface(const char *iface)
{
    for (size_t i = 0; i < n_docs; i++)
        for (xmlNode *n = xmlDocGetRootElement(docs[i])->children; n; n = n->next) {
            auto_cleanup(free_ptr) char *name = node_is(n, "interface") ? prop(n, "name") : NULL;
            if (name && strcmp(name, iface) == 0)
                return n;
        }
    return NULL;
}

static xmlNode *
find_member(xmlNode *iface, const char *kind, const char *member)
{
    for (xmlNode *n = iface->children; n; n = n->next) {
        auto_cleanup(free_ptr) char *name = node_is(n, kind) ? prop(n, "name") : NULL;
        if (name && strcmp(name, member) == 0)
            return n;
    }
    return NULL;
}

/* The signature and the NUL-separated argument names of @member's args in
 * @direction ("in", "out", or NULL for a signal's), as sd-bus keeps them. */
static void
member_args(xmlNode *member, const char *direction, char *sig, size_t sigsz, char *names,
            size_t namesz, size_t *ret_names_len)
{
    size_t s = 0, nl = 0;

    sig[0] = '\0';
    for (xmlNode *a = member->children; a; a = a->next) {
        auto_cleanup(free_ptr) char *type = NULL, *name = NULL, *dir = NULL;

        if (!node_is(a, "arg"))
            continue;
        type = prop(a, "type");
        name = prop(a, "name");
        dir = prop(a, "direction");
        if (direction && strcmp(dir ? dir : "in", direction) != 0)
            continue;
        s += snprintf(sig + s, sigsz - s, "%s", type ? type : "");
        if (name && nl + strlen(name) + 1 < namesz) {
            memcpy(names + nl, name, strlen(name) + 1);
            nl += strlen(name) + 1;
        }
    }
    *ret_names_len = nl;
}

/* sd-bus takes NULL for an empty signature. */
static const char *
sig_of(const char *s)
{
    return s ? s : "";
}

static size_t
names_len(const char *names)
{
    size_t n = 0;

    /* sd-bus's names: "a\0b\0" with an empty string after the last. */
    while (names && names[n])
        n += strlen(names + n) + 1;
    return n;
}

/* Marks what a vtable serves in @served (a member a line "kind:name"). */
static void
check_vtable(const char *daemon, const char *iface_name, const sd_bus_vtable *vt,
             char ***served)
{
    xmlNode *iface = find_interface(iface_name);

    if (!iface) {
        TEST_FAIL("%s serves %s, which no file in api/ declares", daemon, iface_name);
        return;
    }
    for (const sd_bus_vtable *v = vt; v->type != _SD_BUS_VTABLE_END; v++) {
        char sig[512], names[1024], rsig[512];
        size_t nl = 0, rnl = 0;
        xmlNode *m;

        switch (v->type) {
        case _SD_BUS_VTABLE_METHOD:
            m = find_member(iface, "method", v->x.method.member);
            strv_push(served, xasprintf("method:%s", v->x.method.member));
            if (!m) {
                TEST_FAIL("%s: %s.%s is served but not in api/", daemon, iface_name,
                          v->x.method.member);
                break;
            }
            member_args(m, "in", sig, sizeof(sig), names, sizeof(names), &nl);
            member_args(m, "out", rsig, sizeof(rsig), names + nl, sizeof(names) - nl, &rnl);
            if (strcmp(sig, sig_of(v->x.method.signature)) != 0 ||
                strcmp(rsig, sig_of(v->x.method.result)) != 0)
                TEST_FAIL("%s: %s.%s is (%s) -> (%s) in the vtable, (%s) -> (%s) in api/",
                          daemon, iface_name, v->x.method.member,
                          sig_of(v->x.method.signature), sig_of(v->x.method.result), sig,
                          rsig);
            if (names_len(v->x.method.names) != nl + rnl ||
                memcmp(v->x.method.names, names, nl + rnl) != 0)
                TEST_FAIL("%s: %s.%s has other argument names in the vtable than in api/",
                          daemon, iface_name, v->x.method.member);
            break;
        case _SD_BUS_VTABLE_SIGNAL:
            m = find_member(iface, "signal", v->x.signal.member);
            strv_push(served, xasprintf("signal:%s", v->x.signal.member));
            if (!m) {
                TEST_FAIL("%s: signal %s.%s is emitted but not in api/", daemon, iface_name,
                          v->x.signal.member);
                break;
            }
            member_args(m, NULL, sig, sizeof(sig), names, sizeof(names), &nl);
            if (strcmp(sig, sig_of(v->x.signal.signature)) != 0)
                TEST_FAIL("%s: signal %s.%s is (%s) in the vtable, (%s) in api/", daemon,
                          iface_name, v->x.signal.member, sig_of(v->x.signal.signature), sig);
            if (names_len(v->x.signal.names) != nl ||
                memcmp(v->x.signal.names, names, nl) != 0)
                TEST_FAIL("%s: signal %s.%s has other argument names than in api/", daemon,
                          iface_name, v->x.signal.member);
            break;
        case _SD_BUS_VTABLE_PROPERTY:
        case _SD_BUS_VTABLE_WRITABLE_PROPERTY: {
            auto_cleanup(free_ptr) char *type = NULL, *access = NULL;
            const char *want = v->type == _SD_BUS_VTABLE_PROPERTY ? "read" : "readwrite";

            m = find_member(iface, "property", v->x.property.member);
            strv_push(served, xasprintf("property:%s", v->x.property.member));
            if (!m) {
                TEST_FAIL("%s: property %s.%s is served but not in api/", daemon, iface_name,
                          v->x.property.member);
                break;
            }
            type = prop(m, "type");
            access = prop(m, "access");
            if (!type || strcmp(type, v->x.property.signature) != 0)
                TEST_FAIL("%s: property %s.%s is '%s' in the vtable, '%s' in api/", daemon,
                          iface_name, v->x.property.member, v->x.property.signature,
                          type ? type : "");
            if (!access || strcmp(access, want) != 0)
                TEST_FAIL("%s: property %s.%s is %s in the vtable, %s in api/", daemon,
                          iface_name, v->x.property.member, want, access ? access : "");
            break;
        }
        default:
            break;
        }
    }
}

/* Everything @iface_name declares must be in @served. */
static void
check_declared_served(const char *who, const char *iface_name, char **served)
{
    xmlNode *iface = find_interface(iface_name);

    for (xmlNode *n = iface ? iface->children : NULL; n; n = n->next) {
        auto_cleanup(free_ptr) char *name = NULL, *key = NULL;
        bool found = false;

        if (!node_is(n, "method") && !node_is(n, "signal") && !node_is(n, "property"))
            continue;
        name = prop(n, "name");
        key = xasprintf("%s:%s", (const char *) n->name, name);
        for (char **s = served; s && *s && !found; s++)
            found = strcmp(*s, key) == 0;
        if (!found)
            TEST_FAIL("%s %s.%s is declared in api/ but %s does not serve it",
                      (const char *) n->name, iface_name, name, who);
    }
}

int
main(void)
{
    auto_cleanup(free_ptr) char *api = xasprintf("%s/api", getenv("SRCDIR") ?: ".");
    auto_cleanup(strv_freep) char **connect_served = NULL;
    size_t n_ifaces = 0;

    load_api(api);
    CHECK(n_docs > 0);
    for (size_t d = 0; d < ARRAY_SIZE(daemons); d++) {
        for (const BusInterfaceSpec *const *t = daemons[d].tables; *t; t++) {
            for (const BusInterfaceSpec *i = *t; i->name; i++) {
                auto_cleanup(strv_freep) char **served = NULL;
                bool connect = strcmp(i->name, "org.libvirt.Connect") == 0;

                check_vtable(daemons[d].name, i->name, i->vtable,
                             connect ? &connect_served : &served);
                if (!connect)
                    check_declared_served(daemons[d].name, i->name, served);
                n_ifaces++;
            }
        }
    }
    check_declared_served("no daemon", "org.libvirt.Connect", connect_served);
    CHECK(n_ifaces >= 13);
    for (size_t i = 0; i < n_docs; i++)
        xmlFreeDoc(docs[i]);
    return test_result();
}
