/* org.libvirt.Connect on /org/libvirt/QEMU, the events and the ObjectManager. */
#include <stddef.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bus_object.h"
#include "bus_util.h"
#include "config.h"
#include "log.h"
#include "node_info.h"
#include "qemu_bus.h"
#include "qemu_capabilities.h"
#include "typed_params.h"

/* ---- asynchronous replies ---------------------------------------------- */

typedef struct BusCall {
    sd_bus_message *m;
    ReplyKind kind;
} BusCall;

void *
qemu_bus_call_new(sd_bus_message *m, ReplyKind kind)
{
    BusCall *call = xcalloc(1, sizeof(*call));

    call->m = sd_bus_message_ref(m);
    call->kind = kind;
    return call;
}

/* The call failed before it began: no reply was sent for it. */
void
qemu_bus_call_cancel(void *userdata)
{
    BusCall *call = userdata;

    sd_bus_message_unref(call->m);
    free(call);
}

int
qemu_bus_call_started(void *call, int r, Error *error, sd_bus_error *bus_error)
{
    if (r >= 0)
        return 1;
    qemu_bus_call_cancel(call);
    return bus_reply_error(bus_error, error, r);
}

/* The client may have gone away meanwhile: the reply is then dropped by the
 * bus, which is all there is to do. */
void
qemu_bus_call_done(Domain *dom, const Error *error, void *userdata)
{
    BusCall *call = userdata;

    if (error)
        bus_reply_method_error(call->m, error, -EIO);
    else if (call->kind == REPLY_PATH) {
        sd_bus_reply_method_return(call->m, "o", dom->path);
    } else {
        sd_bus_reply_method_return(call->m, NULL);
    }
    sd_bus_message_unref(call->m);
    free(call);
}

/* ---- hooks: the driver's news become signals ---------------------------- */

/* What a client last heard of a domain's properties; only what changed is
 * announced again. */
static void
domain_announced_now(const Domain *dom, DomainAnnounced *a)
{
    const DomainDef *def = dom->live ? dom->live : dom->def;

    a->valid = true;
    a->active = qemu_domain_is_active(dom);
    a->persistent = dom->persistent;
    a->autostart = dom->autostart;
    a->updated = dom->updated;
    a->id = dom->id;
    a->state = dom->state;
    a->reason = dom->reason;
    a->pid = dom->proc.pid > 0 ? (uint32_t) dom->proc.pid : 0;
    a->vcpus = def->vcpus_current ? def->vcpus_current : def->vcpus;
    a->max_memory = def->memory_kib;
    a->memory = dom->live ? dom->monitor.balloon_kib : def->current_memory_kib;
}

static void
emit_domain_properties(QemuBus *qb, Domain *dom)
{
    DomainAnnounced now, *was = &dom->announced;
    const char *domain_props[8], *state_props[8];
    size_t nd = 0, ns = 0;

    domain_announced_now(dom, &now);
#define CHANGED(field) (!was->valid || was->field != now.field)
    if (CHANGED(active))
        domain_props[nd++] = "Active";
    if (CHANGED(id))
        domain_props[nd++] = "Id";
    if (CHANGED(persistent))
        domain_props[nd++] = "Persistent";
    if (CHANGED(autostart))
        domain_props[nd++] = "Autostart";
    if (CHANGED(updated))
        domain_props[nd++] = "Updated";
    if (CHANGED(state))
        state_props[ns++] = "State";
    if (CHANGED(reason))
        state_props[ns++] = "Reason";
    if (CHANGED(pid))
        state_props[ns++] = "Pid";
    if (CHANGED(vcpus))
        state_props[ns++] = "Vcpus";
    if (CHANGED(max_memory))
        state_props[ns++] = "MaxMemory";
    if (CHANGED(memory))
        state_props[ns++] = "Memory";
#undef CHANGED
    domain_props[nd] = NULL;
    state_props[ns] = NULL;
    *was = now;
    if (nd)
        sd_bus_emit_properties_changed_strv(qb->bus, dom->path, DOMAIN_IFACE,
                                            (char **) domain_props);
    if (ns)
        sd_bus_emit_properties_changed_strv(qb->bus, dom->path, DOMAIN_STATE_IFACE,
                                            (char **) state_props);
}

static void
hook_added(Domain *dom, void *userdata)
{
    QemuBus *qb = userdata;

    domain_announced_now(dom, &dom->announced);
    if (qb->announce)
        sd_bus_emit_object_added(qb->bus, dom->path);
}

static void
hook_removed(Domain *dom, void *userdata)
{
    QemuBus *qb = userdata;

    if (qb->announce)
        sd_bus_emit_object_removed(qb->bus, dom->path);
}

static void
hook_event(Domain *dom, int event, int detail, void *userdata)
{
    QemuBus *qb = userdata;

    if (!qb->announce)
        return;
    /* An inactive domain that is undefined vanishes next (InterfacesRemoved):
     * what its properties became is news to nobody. */
    if (!(event == DOMAIN_EVENT_UNDEFINED && !qemu_domain_is_active(dom)))
        emit_domain_properties(qb, dom);
    sd_bus_emit_signal(qb->bus, QEMU_BUS_PATH, CONNECT_IFACE, "DomainEvent", "oii", dom->path,
                       event, detail);
}

static void
hook_changed(Domain *dom, void *userdata)
{
    QemuBus *qb = userdata;

    if (qb->announce)
        emit_domain_properties(qb, dom);
}

static void
hook_rebooted(Domain *dom, void *userdata)
{
    QemuBus *qb = userdata;

    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, "Reboot", NULL);
}

static void
hook_balloon(Domain *dom, uint64_t actual_kib, void *userdata)
{
    QemuBus *qb = userdata;

    if (!qb->announce)
        return;
    emit_domain_properties(qb, dom);
    sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, "BalloonChange", "t", actual_kib);
}

static void
hook_device(Domain *dom, int event_id, const char *alias, void *userdata)
{
    QemuBus *qb = userdata;
    const char *member = event_id == DOMAIN_EVENT_ID_DEVICE_ADDED ? "DeviceAdded"
                         : event_id == DOMAIN_EVENT_ID_DEVICE_REMOVED ? "DeviceRemoved"
                         : "DeviceRemovalFailed";

    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, member, "s", alias);
}

static void
hook_tray(Domain *dom, const char *alias, int reason, void *userdata)
{
    QemuBus *qb = userdata;

    /* libvirt-dbus's TrayChange: libvirt's reason number. */
    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, "TrayChange", "si", alias,
                           (int32_t) reason);
}

static void
hook_metadata(Domain *dom, int type, const char *nsuri, void *userdata)
{
    QemuBus *qb = userdata;

    /* libvirt-dbus's MetadataChange: "" for a title or description. */
    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, "MetadataChange", "is",
                           (int32_t) type, str_or_empty(nsuri));
}

static void
hook_tunable(Domain *dom, const TypedParams *tp, void *userdata)
{
    QemuBus *qb = userdata;
    sd_bus_message *m = NULL;

    /* libvirt-dbus's Tunable: the changed parameters, a{sv}. */
    if (qb->announce &&
        sd_bus_message_new_signal(qb->bus, &m, dom->path, DOMAIN_IFACE, "Tunable") >= 0 &&
        typed_params_write(m, tp) >= 0)
        sd_bus_send(qb->bus, m, NULL);
    sd_bus_message_unref(m);
}

static void
hook_renamed(Domain *dom, void *userdata)
{
    QemuBus *qb = userdata;

    if (qb->announce)
        sd_bus_emit_properties_changed(qb->bus, dom->path, DOMAIN_IFACE, "Name", NULL);
}

static void
hook_monitor_event(Domain *dom, const char *name, int64_t seconds, unsigned micros,
                   const char *details, void *userdata)
{
    QemuBus *qb = userdata;

    /* "" for an event without data. */
    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_STATE_IFACE, "MonitorEvent", "sxus", name,
                           seconds, (uint32_t) micros, str_or_empty(details));
}

static void
hook_pm(Domain *dom, int event_id, void *userdata)
{
    QemuBus *qb = userdata;
    const char *member = event_id == DOMAIN_EVENT_ID_PMWAKEUP ? "PMWakeup"
                         : event_id == DOMAIN_EVENT_ID_PMSUSPEND_DISK ? "PMSuspendDisk"
                                                                       : "PMSuspend";

    /* libvirt-dbus's signals; libvirt's reason is always 0. */
    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, member, "i", (int32_t) 0);
}

static void
hook_agent(Domain *dom, int state, int reason, void *userdata)
{
    QemuBus *qb = userdata;

    /* libvirt-dbus's AgentEvent: libvirt's state and reason numbers. */
    if (qb->announce)
        sd_bus_emit_signal(qb->bus, dom->path, DOMAIN_IFACE, "AgentEvent", "ii",
                           (int32_t) state, (int32_t) reason);
}

const QemuDriverHooks qemu_bus_hooks = {
    .domain_added = hook_added,
    .domain_removed = hook_removed,
    .domain_event = hook_event,
    .domain_changed = hook_changed,
    .domain_rebooted = hook_rebooted,
    .balloon_changed = hook_balloon,
    .device_event = hook_device,
    .tray_changed = hook_tray,
    .metadata_changed = hook_metadata,
    .tunable_changed = hook_tunable,
    .agent_lifecycle = hook_agent,
    .domain_renamed = hook_renamed,
    .monitor_event = hook_monitor_event,
    .pm_event = hook_pm,
};

/* ---- methods ----------------------------------------------------------- */

static int
bus_define_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    QemuBus *qb = userdata;
    Error error = ERROR_INIT;
    const char *xml;
    Domain *dom;
    int r;

    r = sd_bus_message_read(m, "s", &xml);
    if (r < 0)
        return r;
    r = qemu_driver_define(qb->drv, xml, &dom, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "o", dom->path);
}

static int
bus_create_xml(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    QemuBus *qb = userdata;
    Error error = ERROR_INIT;
    const char *xml;
    uint32_t flags;
    Domain *dom;
    void *call;
    int r;

    r = sd_bus_message_read(m, "su", &xml, &flags);
    if (r < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_PATH);
    r = qemu_process_create_xml(qb->drv, xml, flags, qemu_bus_call_done, call, &dom, &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

BUS_LOOKUP_METHOD(bus_lookup_by_name, QemuBus, Domain, "s", const char *, qemu_driver_lookup_name,
                  path)
BUS_LOOKUP_METHOD(bus_lookup_by_uuid, QemuBus, Domain, "s", const char *, qemu_driver_lookup_uuid,
                  path)
BUS_LOOKUP_METHOD(bus_lookup_by_id, QemuBus, Domain, "i", int32_t, qemu_driver_lookup_id, path)
BUS_LIST_METHOD(bus_list_domains, QemuBus, Domain, qemu_driver_list, path)

/* Capabilities wait for the probe that runs off the loop at startup. */
typedef struct CapsCall {
    sd_bus_message *m;
    char *emulator, *arch, *machine, *virttype;
    bool domain;
} CapsCall;

static void
caps_ready(QemuDriver *drv, const QemuHostCaps *caps, const Error *caps_error, void *userdata)
{
    CapsCall *call = userdata;
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    int r = 0;

    if (!caps) {
        error_set(&error, -EIO, caps_error ? caps_error->code : VIR_ERR_INTERNAL_ERROR, "%s",
                  caps_error ? caps_error->message : "no capabilities");
        r = -EIO;
    } else if (call->domain) {
        r = qemu_caps_format_domain_capabilities(caps, call->emulator, call->arch,
                                                 call->machine, call->virttype, &xml, &error);
    } else {
        uid_t user;
        gid_t group;

        qemu_driver_qemu_ids(drv, &user, &group);
        xml = qemu_caps_format_capabilities(caps, user, group);
    }
    if (r < 0) {
        bus_reply_method_error(call->m, &error, r);
    } else {
        sd_bus_reply_method_return(call->m, "s", xml);
    }
    error_clear(&error);
    sd_bus_message_unref(call->m);
    free(call->emulator);
    free(call->arch);
    free(call->machine);
    free(call->virttype);
    free(call);
}

static char *
empty_to_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static int
bus_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    QemuBus *qb = userdata;
    CapsCall *call = xcalloc(1, sizeof(*call));

    call->m = sd_bus_message_ref(m);
    qemu_driver_get_caps(qb->drv, caps_ready, call);
    return 1;
}

static int
bus_get_domain_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    QemuBus *qb = userdata;
    const char *emulator, *arch, *machine, *virttype;
    uint32_t flags;
    CapsCall *call;
    int r;

    r = sd_bus_message_read(m, "ssssu", &emulator, &arch, &machine, &virttype, &flags);
    if (r < 0)
        return r;
    if (flags)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function GetDomainCapabilities",
                                 flags);
    call = xcalloc(1, sizeof(*call));
    call->m = sd_bus_message_ref(m);
    call->domain = true;
    call->emulator = empty_to_null(emulator);
    call->arch = empty_to_null(arch);
    call->machine = empty_to_null(machine);
    call->virttype = empty_to_null(virttype);
    qemu_driver_get_caps(qb->drv, caps_ready, call);
    return 1;
}

static int
bus_get_sysinfo(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *xml = NULL;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    if (flags)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function GetSysinfo", flags);
    r = node_get_sysinfo_xml("/", &xml, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", xml);
}

static int
reply_stats(sd_bus_message *m, NodeStat *stats, size_t n)
{
    sd_bus_message *reply = NULL;
    int r;

    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "{st}");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = sd_bus_message_append(reply, "{st}", stats[i].field, stats[i].value);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

typedef int (*NodeStatsFn)(const char *sysroot, int which, NodeStat **ret_stats, size_t *ret_n,
                           Error *error);

/* NodeGetCPUStats(cpuNum, flags) and NodeGetMemoryStats(cellNum, flags). */
static int
reply_node_stats(sd_bus_message *m, NodeStatsFn fn, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) NodeStat *stats = NULL;
    int32_t which;
    uint32_t flags;
    size_t n;
    int r;

    r = sd_bus_message_read(m, "iu", &which, &flags);
    if (r < 0)
        return r;
    r = fn("/", which, &stats, &n, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return reply_stats(m, stats, n);
}

static int
bus_node_cpu_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return reply_node_stats(m, node_get_cpu_stats, bus_error);
}

static int
bus_node_memory_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return reply_node_stats(m, node_get_memory_stats, bus_error);
}

static int
bus_node_free_memory(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint64_t bytes;
    int r;

    r = node_get_free_memory("/", &bytes, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "t", bytes);
}

/* ---- properties -------------------------------------------------------- */

static int
prop_hostname(sd_bus *bus, const char *path, const char *interface, const char *property,
              sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    char name[256] = "";

    gethostname(name, sizeof(name) - 1);
    return sd_bus_message_append(reply, "s", name);
}

static int
prop_version(sd_bus *bus, const char *path, const char *interface, const char *property,
             sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    QemuBus *qb = userdata;

    return sd_bus_message_append(reply, "t", qemu_driver_qemu_version(qb->drv));
}

static int
prop_lib_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                 sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "t", (uint64_t) PACKAGE_VERSION_NUMBER);
}

static int
prop_false(sd_bus *bus, const char *path, const char *interface, const char *property,
           sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "b", 0);
}

static int
prop_true(sd_bus *bus, const char *path, const char *interface, const char *property,
          sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    return sd_bus_message_append(reply, "b", 1);
}

/* In the order of api/org.libvirt.Connect.xml. */
static int
bus_xml_to_native(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    QemuBus *qb = userdata;
    Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *native = NULL;
    const char *format, *xml;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "ssu", &format, &xml, &flags)) < 0)
        return r;
    r = qemu_driver_xml_to_native(qb->drv, format, xml, flags, &native, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "s", native);
}

static const sd_bus_vtable driver_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("DomainXMLToNative", SD_BUS_ARGS("s", format, "s", xml, "u", flags),
                            SD_BUS_RESULT("s", native), bus_xml_to_native,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable connect_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Encrypted", "b", prop_false, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Hostname", "s", prop_hostname, 0, 0),
    SD_BUS_PROPERTY("LibVersion", "t", prop_lib_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    /* A local bus is as secure as libvirt's unix socket. */
    SD_BUS_PROPERTY("Secure", "b", prop_true, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Version", "t", prop_version, 0, 0),
    SD_BUS_METHOD_WITH_ARGS("DomainCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                            SD_BUS_RESULT("o", domain), bus_create_xml,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DomainDefineXML", SD_BUS_ARGS("s", xml), SD_BUS_RESULT("o", domain),
                            bus_define_xml, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DomainLookupByID", SD_BUS_ARGS("i", id), SD_BUS_RESULT("o", domain),
                            bus_lookup_by_id, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DomainLookupByName", SD_BUS_ARGS("s", name),
                            SD_BUS_RESULT("o", domain), bus_lookup_by_name,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DomainLookupByUUID", SD_BUS_ARGS("s", uuid),
                            SD_BUS_RESULT("o", domain), bus_lookup_by_uuid,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", capabilities),
                            bus_get_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetDomainCapabilities",
                            SD_BUS_ARGS("s", emulatorbin, "s", arch, "s", machine, "s", virttype,
                                        "u", flags),
                            SD_BUS_RESULT("s", domCapabilities), bus_get_domain_capabilities,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetSysinfo", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", sysinfo),
                            bus_get_sysinfo, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ListDomains", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", domains),
                            bus_list_domains, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NodeGetCPUStats", SD_BUS_ARGS("i", cpuNum, "u", flags),
                            SD_BUS_RESULT("a{st}", cpuStats), bus_node_cpu_stats,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NodeGetFreeMemory", SD_BUS_NO_ARGS, SD_BUS_RESULT("t", freemem),
                            bus_node_free_memory, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("NodeGetMemoryStats", SD_BUS_ARGS("i", cellNum, "u", flags),
                            SD_BUS_RESULT("a{st}", stats), bus_node_memory_stats,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("DomainEvent", SD_BUS_ARGS("o", domain, "i", event, "i", detail), 0),
    SD_BUS_VTABLE_END,
};

int
qemu_bus_register(QemuBus *qb, Error *error)
{
    int r;

    r = sd_bus_add_object_vtable(qb->bus, NULL, QEMU_BUS_PATH, CONNECT_IFACE, connect_vtable,
                                 qb);
    if (r >= 0)
        r = sd_bus_add_object_vtable(qb->bus, NULL, QEMU_BUS_PATH, "org.virtstack.QemuDriver",
                                     driver_vtable, qb);
    if (r >= 0)
        r = sd_bus_add_object_manager(qb->bus, NULL, QEMU_BUS_PATH);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot register %s on the bus", QEMU_BUS_PATH);
    return qemu_domain_bus_register(qb, error);
}

/* What this file serves, for the contract test. */
const BusInterfaceSpec qemu_connect_bus_interfaces[] = {
    { CONNECT_IFACE, connect_vtable },
    { "org.virtstack.QemuDriver", driver_vtable },
    { NULL, NULL },
};
