/* Domain procedures. Lookups, lists, state, autostart, persistence and
 * activity are answered from the mirror; everything else is a call to
 * virtqemud (org.libvirt.qemu). get_info and max memory come from the
 * mirror too (org.virtstack.DomainState, and /proc for the CPU time); vcpu
 * info, memory stats and domain stats take a GetStats round trip. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"
#include "list_filter.h"
#include "log.h"
#include "proxy.h"
#include "uuid.h"

#define DOM_IFACE "org.libvirt.Domain"
#define STATE_IFACE "org.virtstack.DomainState"


static MirrorService *
qemu(Proxy *proxy)
{
    return mirror_service(proxy->mirror, MIRROR_SVC_QEMU);
}

/* virtqemud's service, or NULL with the "not running" error. */
static MirrorService *
qemu_present(Proxy *proxy, Error *error)
{
    MirrorService *svc = qemu(proxy);

    if (!svc->owner) {
        proxy_error_absent(svc, error);
        return NULL;
    }
    return svc;
}

static bool
is_domain(const MirrorObject *obj)
{
    return mirror_has_iface(obj, DOM_IFACE);
}

static bool
dom_active(const MirrorObject *obj)
{
    return mirror_get_bool(obj, DOM_IFACE, "Active", false);
}

static int
dom_id(const MirrorObject *obj)
{
    return dom_active(obj) ? (int32_t) (uint32_t) mirror_get_int(obj, DOM_IFACE, "Id", -1) : -1;
}

static int
dom_state(const MirrorObject *obj, int *reason)
{
    if (reason)
        *reason = mirror_get_int(obj, STATE_IFACE, "Reason", 0);
    return mirror_get_int(obj, STATE_IFACE, "State",
                          dom_active(obj) ? DOMAIN_STATE_RUNNING : DOMAIN_STATE_SHUTOFF);
}

void
proxy_domain_from_object(const MirrorObject *obj, void *wire)
{
    remote_nonnull_domain *ret = wire;

    ret->name = xstrdup(mirror_get_str(obj, DOM_IFACE, "Name", ""));
    if (obj->has_uuid)
        memcpy(ret->uuid, obj->uuid, sizeof(ret->uuid));
    else
        mirror_path_uuid(obj->path, (uint8_t *) ret->uuid);
    ret->id = dom_id(obj);
}

/* virConnectListAllDomainsFlags */
#define LIST_KNOWN_FLAGS ((LIST_DOMAINS_NO_CHECKPOINT << 1) - 1u)

static bool
domain_matches(const MirrorObject *obj, unsigned flags)
{
    /* No managed save images, snapshots or checkpoints exist here. */
    const DomainListFacts facts = {
        .active = dom_active(obj),
        .persistent = mirror_get_bool(obj, DOM_IFACE, "Persistent", false),
        .autostart = mirror_get_bool(obj, DOM_IFACE, "Autostart", false),
        .state = dom_state(obj, NULL),
    };

    return list_filter_domain(flags, &facts);
}

static const ProxyKind domain_kind = {
    .svc = MIRROR_SVC_QEMU,
    .iface = DOM_IFACE,
    .path_kind = "domain",
    .title = "Domain",
    .noun = "domain",
    .wire_noun = "domain",
    .no_object = VIR_ERR_NO_DOMAIN,
    .list_max = REMOTE_DOMAIN_LIST_MAX,
    .list_max_name = "REMOTE_DOMAIN_LIST_MAX",
    .list_flags = LIST_KNOWN_FLAGS,
    .list_all_api = "virConnectListAllDomains",
    .wire_size = sizeof(remote_nonnull_domain),
    .to_wire = proxy_domain_from_object,
    .matches = domain_matches,
};

int
proxy_domain_find(Call *call, void *args, MirrorObject **ret, Error *error)
{
    return proxy_kind_find(call, &domain_kind, args, ret, error);
}

/* ---- lookups and lists (mirror only) ------------------------------------ */

static int
h_lookup_by_id(Call *call, void *args_, void *ret_, Error *error)
{
    remote_domain_lookup_by_id_args *args = args_;
    remote_domain_lookup_by_id_ret *ret = ret_;
    MirrorService *svc;
    MirrorObject *obj;

    svc = qemu_present(call_proxy(call), error);
    if (!svc)
        return -ENOTCONN;
    obj = args->id >= 0 ? mirror_find_by_id(svc, DOM_IFACE, args->id) : NULL;
    if (obj && dom_active(obj)) {
        proxy_domain_from_object(obj, &ret->dom);
        return 0;
    }
    return error_set(error, -ENOENT, VIR_ERR_NO_DOMAIN,
                     "Domain not found: no domain with matching id %d", args->id);
}

static int
h_list_domains(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_list_domains_args *args = args_;
    remote_connect_list_domains_ret *ret = ret_;
    MirrorService *svc;
    size_t n = 0;

    if (args->maxids < 0 || args->maxids > REMOTE_DOMAIN_LIST_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "maxids > REMOTE_DOMAIN_LIST_MAX");
    svc = qemu_present(call_proxy(call), error);
    if (!svc)
        return -ENOTCONN;
    ret->ids.ids_val = xcalloc(args->maxids + 1, sizeof(int));
    for (size_t i = 0; i < svc->n_objs && n < (size_t) args->maxids; i++)
        if (is_domain(svc->objs[i]) && dom_active(svc->objs[i]))
            ret->ids.ids_val[n++] = dom_id(svc->objs[i]);
    ret->ids.ids_len = n;
    return 0;
}

static int
h_get_state(Call *call, void *args_, void *ret_, Error *error)
{
    remote_domain_get_state_args *args = args_;
    remote_domain_get_state_ret *ret = ret_;
    MirrorObject *obj;
    int r;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virDomainGetState", args->flags);
    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    ret->state = dom_state(obj, &ret->reason);
    return 0;
}

static int
h_get_os_type(Call *call, void *args, void *ret_, Error *error)
{
    remote_domain_get_os_type_ret *ret = ret_;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    ret->type = xstrdup(mirror_get_str(obj, DOM_IFACE, "OSType", "hvm"));
    return 0;
}

static int
h_has_managed_save(Call *call, void *args, void *ret_, Error *error)
{
    remote_domain_has_managed_save_image_ret *ret = ret_;
    MirrorObject *obj;

    ret->result = 0; /* no managed save here */
    return proxy_domain_find(call, args, &obj, error);
}

static int
h_get_security_label(Call *call, void *args, void *ret_, Error *error)
{
    remote_domain_get_security_label_ret *ret = ret_;
    MirrorObject *obj;

    ret->label.label_len = 1;
    ret->label.label_val = xcalloc(1, 1);
    ret->enforcing = 0;
    return proxy_domain_find(call, args, &obj, error);
}

static int
h_get_messages(Call *call, void *args, void *ret_, Error *error)
{
    MirrorObject *obj;

    return proxy_domain_find(call, args, &obj, error); /* no taint or deprecation messages */
}

/* ---- calls to virtqemud ------------------------------------------------- */

/* A reply "o" naming a domain: the ret struct begins with the domain, which
 * the mirror already holds (the daemon announced it before replying). */
static int
path_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    MirrorObject *obj;
    const char *path;
    int r;

    r = sd_bus_message_read_basic(reply, 'o', &path);
    if (r < 0)
        return r;
    obj = mirror_find(qemu(call_proxy(call)), path);
    if (!obj)
        return error_set(error, -ENOENT, VIR_ERR_NO_DOMAIN,
                         "Domain not found: '%s' vanished before it could be answered", path);
    proxy_domain_from_object(obj, ret);
    return 0;
}

/* The ret struct is the args' domain, as it is now (e.g. with its new id). */
static int
same_domain_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, call->args, &obj, error);
    if (r < 0)
        return r;
    proxy_domain_from_object(obj, ret);
    return 0;
}

static int
dom_call(Call *call, void *args, const char *member, BusReplyFn fn, Error *error,
         const char *types, ...)
{
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    if (!types)
        return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error, NULL);
    /* Every per-domain D-Bus method here takes at most one flags word, or a
     * number and flags: the shapes are spelled out. */
    {
        va_list ap;
        va_start(ap, types);
        if (STREQ(types, "u")) {
            uint32_t a = va_arg(ap, uint32_t);
            va_end(ap);
            return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error,
                                  "u", a);
        }
        if (STREQ(types, "uu")) {
            uint32_t a = va_arg(ap, uint32_t), b = va_arg(ap, uint32_t);
            va_end(ap);
            return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error,
                                  "uu", a, b);
        }
        if (STREQ(types, "iu")) {
            int32_t a = va_arg(ap, int32_t);
            uint32_t b = va_arg(ap, uint32_t);
            va_end(ap);
            return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error,
                                  "iu", a, b);
        }
        if (STREQ(types, "tu")) {
            uint64_t a = va_arg(ap, uint64_t);
            uint32_t b = va_arg(ap, uint32_t);
            va_end(ap);
            return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, member, fn, error,
                                  "tu", a, b);
        }
        va_end(ap);
    }
    return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR, "bad call signature '%s'", types);
}

static int
h_define_xml(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_define_xml_args *args = args_;
    MirrorService *svc;

    svc = qemu_present(call_proxy(call), error);
    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect", "DomainDefineXML",
                          path_reply, error, "s", args->xml);
}

static int
h_define_xml_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_define_xml_flags_args *args = args_;
    MirrorService *svc;

    /* VALIDATE: virtqemud always validates. */
    if (args->flags & ~(unsigned) DOMAIN_DEFINE_VALIDATE)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virDomainDefineXMLFlags",
                         args->flags & ~(unsigned) DOMAIN_DEFINE_VALIDATE);
    svc = qemu_present(call_proxy(call), error);
    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect", "DomainDefineXML",
                          path_reply, error, "s", args->xml);
}

static int
h_create_xml(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_create_xml_args *args = args_;
    MirrorService *svc;

    svc = qemu_present(call_proxy(call), error);
    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect", "DomainCreateXML",
                          path_reply, error, "su", args->xml_desc, args->flags);
}

static int
h_undefine(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "Undefine", NULL, error, "u", 0);
}

static int
h_rename(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_rename_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    /* The reply's retcode is 0: its struct starts zeroed. */
    return proxy_bus_call(call, obj->svc, obj->path, DOM_IFACE, "Rename", NULL, error, "su",
                          proxy_opt_str(args->new_name), args->flags);
}

static int
h_set_lifecycle_action(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_lifecycle_action_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, "org.virtstack.DomainState",
                          "SetLifecycleAction", NULL, error, "uuu", args->type, args->action,
                          args->flags);
}

static int
h_pm_suspend(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_pm_suspend_for_duration_args *args = args_;
    MirrorObject *obj;
    int r = proxy_domain_find(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, "org.virtstack.DomainState",
                          "PMSuspendForDuration", NULL, error, "utu", args->target,
                          (uint64_t) args->duration, args->flags);
}

static int
h_pm_wakeup(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_pm_wakeup_args *args = args_;

    return dom_call(call, args, "PMWakeup", NULL, error, "u", args->flags);
}

static int
h_undefine_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_undefine_flags_args *args = args_;

    return dom_call(call, args, "Undefine", NULL, error, "u", args->flags);
}

static int
h_create(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "Create", NULL, error, "u", 0);
}

static int
h_create_with_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_create_with_flags_args *args = args_;

    return dom_call(call, args, "Create", same_domain_reply, error, "u", args->flags);
}

static int
h_destroy(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "Destroy", NULL, error, "u", 0);
}

static int
h_destroy_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_destroy_flags_args *args = args_;

    return dom_call(call, args, "Destroy", NULL, error, "u", args->flags);
}

static int
h_shutdown(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "Shutdown", NULL, error, "u", 0);
}

static int
h_shutdown_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_shutdown_flags_args *args = args_;

    return dom_call(call, args, "Shutdown", NULL, error, "u", args->flags);
}

static int
h_reboot(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_reboot_args *args = args_;

    return dom_call(call, args, "Reboot", NULL, error, "u", args->flags);
}

static int
h_reset(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_reset_args *args = args_;

    return dom_call(call, args, "Reset", NULL, error, "u", args->flags);
}

static int
h_suspend(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "Suspend", NULL, error, NULL);
}

static int
h_resume(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "Resume", NULL, error, NULL);
}

static int
h_get_xml_desc(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_xml_desc_args *args = args_;

    /* SECURE and MIGRATABLE may reveal secrets. */
    if (call->client->readonly && (args->flags & (DOMAIN_XML_SECURE | DOMAIN_XML_MIGRATABLE)))
        return error_set(error, -EPERM, VIR_ERR_OPERATION_DENIED,
                         "operation forbidden: virDomainGetXMLDesc with secure flag");
    return dom_call(call, args, "GetXMLDesc", proxy_string_reply, error, "u", args->flags);
}

static int
h_set_autostart(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_autostart_args *args = args_;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, "org.freedesktop.DBus.Properties", "Set",
                          NULL, error, "ssv", DOM_IFACE, "Autostart", "b", args->autostart != 0);
}

static int
int_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    uint32_t n;
    int r;

    r = sd_bus_message_read_basic(reply, 'u', &n);
    if (r < 0)
        return r;
    *(int *) ret = n;
    return 0;
}

static int
h_get_vcpus_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_vcpus_flags_args *args = args_;

    /* GUEST asks the guest agent. */
    if (call->client->readonly && (args->flags & DOMAIN_VCPU_GUEST))
        return proxy_error_read_only(error, "virDomainGetVcpusFlags with guest flag");
    return dom_call(call, args, "GetVcpus", int_reply, error, "u", args->flags);
}

static int
h_get_max_vcpus(Call *call, void *args, void *ret, Error *error)
{
    /* VIR_DOMAIN_VCPU_MAXIMUM of the current definition (live or config). */
    return dom_call(call, args, "GetVcpus", int_reply, error, "u", 4);
}

static int
control_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_control_info_ret *ret = ret_;
    uint32_t state, details;
    uint64_t ms;
    int r;

    r = sd_bus_message_read(reply, "(uut)", &state, &details, &ms);
    if (r < 0)
        return r;
    ret->state = state;
    ret->details = details;
    ret->stateTime = ms;
    return 0;
}

static int
h_get_control_info(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_control_info_args *args = args_;

    return dom_call(call, args, "GetControlInfo", control_info_reply, error, "u", args->flags);
}

static int
h_set_vcpus(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_vcpus_args *args = args_;

    /* virDomainSetVcpus is SetVcpusFlags with VIR_DOMAIN_AFFECT_LIVE. */
    return dom_call(call, args, "SetVcpus", NULL, error, "uu", args->nvcpus,
                    (uint32_t) DOMAIN_AFFECT_LIVE);
}

static int
h_set_vcpus_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_vcpus_flags_args *args = args_;

    return dom_call(call, args, "SetVcpus", NULL, error, "uu", args->nvcpus, args->flags);
}

static int
h_set_memory_stats_period(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_memory_stats_period_args *args = args_;

    return dom_call(call, args, "SetMemoryStatsPeriod", NULL, error, "iu", args->period,
                    args->flags);
}

static int
h_set_memory(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_memory_args *args = args_;

    /* virDomainSetMemory is SetMemoryFlags with VIR_DOMAIN_AFFECT_LIVE. */
    return dom_call(call, args, "SetMemory", NULL, error, "tu", (uint64_t) args->memory, 1);
}

static int
h_set_max_memory(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_max_memory_args *args = args_;

    /* ... and SetMaxMemory is VIR_DOMAIN_MEM_MAXIMUM (4). */
    return dom_call(call, args, "SetMemory", NULL, error, "tu", (uint64_t) args->memory, 4);
}

static int
h_set_memory_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_set_memory_flags_args *args = args_;

    return dom_call(call, args, "SetMemory", NULL, error, "tu", (uint64_t) args->memory,
                    args->flags);
}

static int
memory_stats_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_memory_stats_args *args = call->args;
    remote_domain_memory_stats_ret *ret = ret_;
    size_t n = 0;
    int r;

    ret->stats.stats_val = xcalloc(args->maxStats + 1, sizeof(remote_domain_memory_stat));
    r = sd_bus_message_enter_container(reply, 'a', "{it}");
    while (r > 0 && n < args->maxStats) {
        int32_t tag;
        uint64_t val;
        r = sd_bus_message_read(reply, "{it}", &tag, &val);
        if (r > 0) {
            ret->stats.stats_val[n].tag = tag;
            ret->stats.stats_val[n].val = val;
            n++;
        }
    }
    ret->stats.stats_len = n;
    return r < 0 ? r : 0;
}

static int
h_memory_stats(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_memory_stats_args *args = args_;

    if (args->maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX");
    return dom_call(call, args, "MemoryStats", memory_stats_reply, error, "u", args->flags);
}

/* ---- GetStats ----------------------------------------------------------- */

static int
info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_info_ret *ret = ret_;
    remote_typed_param *p = NULL;
    u_int n = 0;
    int r;

    r = proxy_params_read(reply, &p, &n);
    if (r < 0)
        return r;
    ret->state = proxy_param_u64(p, n, "state.state", DOMAIN_STATE_NOSTATE);
    ret->maxMem = proxy_param_u64(p, n, "balloon.maximum", 0);
    ret->memory = proxy_param_u64(p, n, "balloon.current", ret->maxMem);
    ret->nrVirtCpu = proxy_param_u64(p, n, "vcpu.current", 0);
    ret->cpuTime = proxy_param_u64(p, n, "cpu.time", 0);
    proxy_params_free(p, n);
    return 0;
}

/* The CPU time of process @pid (user + system, all its threads) in ns, from
 * /proc/PID/stat, as virtqemud's GetStats reads it; 0 when unreadable. */
static uint64_t
proc_cpu_time(uint32_t pid)
{
    static uint64_t ns_per_tick;
    char path[32], buf[1024];
    unsigned long long utime, stime;
    const char *p;
    ssize_t n;

    if (!ns_per_tick) {
        long hz = sysconf(_SC_CLK_TCK);
        ns_per_tick = 1000000000ull / (uint64_t) (hz > 0 ? hz : 100);
    }
    snprintf(path, sizeof(path), "/proc/%u/stat", pid);
    n = file_read_small(path, buf, sizeof(buf));
    if (n < 0)
        return 0;
    /* "pid (comm) state ppid ...": comm may hold anything, so fields are
     * counted from its closing parenthesis; utime and stime are the 14th and
     * 15th fields, the 12th and 13th after the state. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return 0;
    return (utime + stime) * ns_per_tick;
}

/* virDomainGetInfo from the mirror: virtqemud publishes State, Vcpus,
 * MaxMemory, Memory and the QEMU Pid on org.virtstack.DomainState, and the
 * CPU time is read from /proc/PID/stat here. This assumes virtproxyd runs on
 * the same host (and PID namespace) as virtqemud, as the stack is deployed;
 * a Pid of 0 (inactive) gives a CPU time of 0. A virtqemud that does not
 * publish those properties is asked with GetStats. */
static int
h_get_info(Call *call, void *args, void *ret_, Error *error)
{
    remote_domain_get_info_ret *ret = ret_;
    MirrorObject *obj;
    uint32_t pid;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    if (!mirror_prop(obj, STATE_IFACE, "MaxMemory") || !mirror_prop(obj, STATE_IFACE, "Vcpus"))
        return dom_call(call, args, "GetStats", info_reply, error, "uu",
                        DOMAIN_STATS_STATE | DOMAIN_STATS_CPU_TOTAL | DOMAIN_STATS_BALLOON |
                        DOMAIN_STATS_VCPU, 0);
    ret->state = dom_state(obj, NULL);
    ret->maxMem = mirror_get_u64(obj, STATE_IFACE, "MaxMemory", 0);
    ret->memory = mirror_get_u64(obj, STATE_IFACE, "Memory", ret->maxMem);
    ret->nrVirtCpu = mirror_get_u64(obj, STATE_IFACE, "Vcpus", 0);
    pid = mirror_get_u64(obj, STATE_IFACE, "Pid", 0);
    ret->cpuTime = pid && dom_active(obj) ? proc_cpu_time(pid) : 0;
    return 0;
}

static int
max_memory_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_max_memory_ret *ret = ret_;
    remote_typed_param *p = NULL;
    u_int n = 0;
    int r;

    r = proxy_params_read(reply, &p, &n);
    if (r < 0)
        return r;
    ret->memory = proxy_param_u64(p, n, "balloon.maximum", 0);
    proxy_params_free(p, n);
    return 0;
}

static int
h_get_max_memory(Call *call, void *args, void *ret_, Error *error)
{
    remote_domain_get_max_memory_ret *ret = ret_;
    const MirrorProp *p;
    MirrorObject *obj;
    int r;

    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    p = mirror_prop(obj, STATE_IFACE, "MaxMemory");
    if (p) {
        ret->memory = mirror_get_u64(obj, STATE_IFACE, "MaxMemory", 0);
        return 0;
    }
    return dom_call(call, args, "GetStats", max_memory_reply, error, "uu", DOMAIN_STATS_BALLOON, 0);
}

/* ---- disk and interface statistics: GetStats' block and net groups ---- */

enum { BS_RD_REQS, BS_RD_BYTES, BS_RD_TIMES, BS_WR_REQS, BS_WR_BYTES, BS_WR_TIMES,
       BS_FL_REQS, BS_FL_TIMES, BS_COUNT };

static int
check_stats_active(const remote_typed_param *p, size_t n, Error *error)
{
    if (proxy_param_u64(p, n, "state.state", DOMAIN_STATE_SHUTOFF) == DOMAIN_STATE_SHUTOFF)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    return 0;
}

/* The counters of the disk named @path (its target or its source), or of
 * all disks added up when @path is empty, as libvirt gathers them. */
static int
block_stats_gather(sd_bus_message *reply, const char *path, uint64_t out[BS_COUNT],
                   Error *error)
{
    static const char *const keys[BS_COUNT] = { "rd.reqs", "rd.bytes", "rd.times", "wr.reqs",
                                                "wr.bytes", "wr.times", "fl.reqs", "fl.times" };
    remote_typed_param *p = NULL;
    u_int n = 0;
    size_t count;
    bool matched = false;
    char key[64];
    int r;

    r = proxy_params_read(reply, &p, &n);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the statistics of a domain");
    memset(out, 0, sizeof(uint64_t) * BS_COUNT);
    r = check_stats_active(p, n, error);
    count = proxy_param_u64(p, n, "block.count", 0);
    for (size_t i = 0; r >= 0 && i < count; i++) {
        const char *name, *src;

        snprintf(key, sizeof(key), "block.%zu.name", i);
        name = proxy_param_str(p, n, key);
        snprintf(key, sizeof(key), "block.%zu.path", i);
        src = proxy_param_str(p, n, key);
        if (*path && !STREQ_NULL(name, path) && !STREQ_NULL(src, path))
            continue;
        matched = true;
        snprintf(key, sizeof(key), "block.%zu.rd.reqs", i);
        if (!proxy_param_find(p, n, key)) {
            if (*path)
                r = error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                              "internal error: cannot find statistics for device '%s'",
                              name ? name : path);
            continue;
        }
        for (size_t k = 0; k < BS_COUNT; k++) {
            snprintf(key, sizeof(key), "block.%zu.%s", i, keys[k]);
            out[k] += proxy_param_u64(p, n, key, 0);
        }
        if (*path)
            break;
    }
    if (r >= 0 && *path && !matched)
        r = error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "invalid argument: invalid path: %s",
                      path);
    proxy_params_free(p, n);
    return r;
}

static int
block_stats_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_block_stats_args *args = call->args;
    remote_domain_block_stats_ret *ret = ret_;
    uint64_t s[BS_COUNT];
    int r = block_stats_gather(reply, args->path, s, error);

    if (r < 0)
        return r;
    ret->rd_req = (int64_t) s[BS_RD_REQS];
    ret->rd_bytes = (int64_t) s[BS_RD_BYTES];
    ret->wr_req = (int64_t) s[BS_WR_REQS];
    ret->wr_bytes = (int64_t) s[BS_WR_BYTES];
    ret->errs = -1; /* QEMU does not count errors */
    return 0;
}

static int
h_block_stats(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "GetStats", block_stats_reply, error, "uu",
                    DOMAIN_STATS_STATE | DOMAIN_STATS_BLOCK, 0);
}

/* virDomainBlockStatsFlags: libvirt's typed fields in its order; asked
 * with nparams 0, how many there are. */
static int
block_stats_flags_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    static const struct {
        const char *field;
        int stat;
    } fields[] = {
        { "wr_bytes", BS_WR_BYTES }, { "wr_operations", BS_WR_REQS },
        { "rd_bytes", BS_RD_BYTES }, { "rd_operations", BS_RD_REQS },
        { "flush_operations", BS_FL_REQS }, { "wr_total_times", BS_WR_TIMES },
        { "rd_total_times", BS_RD_TIMES }, { "flush_total_times", BS_FL_TIMES },
    };
    const size_t nfields = sizeof(fields) / sizeof(fields[0]);
    remote_domain_block_stats_flags_args *args = call->args;
    remote_domain_block_stats_flags_ret *ret = ret_;
    size_t want = (size_t) args->nparams < nfields ? (size_t) args->nparams : nfields;
    uint64_t s[BS_COUNT];
    int r = block_stats_gather(reply, args->path, s, error);

    if (r < 0)
        return r;
    if (args->nparams == 0) {
        ret->nparams = (int) nfields;
        return 0;
    }
    ret->params.params_val = xcalloc(want + 1, sizeof(remote_typed_param));
    for (size_t i = 0; i < want; i++) {
        remote_typed_param *tp = &ret->params.params_val[i];
        tp->field = xstrdup(fields[i].field);
        tp->value.type = REMOTE_TYPED_PARAM_LLONG;
        tp->value.remote_typed_param_value_u.l = (int64_t) s[fields[i].stat];
    }
    ret->params.params_len = (u_int) want;
    ret->nparams = (int) want;
    return 0;
}

static int
h_block_stats_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_block_stats_flags_args *args = args_;

    if (args->nparams < 0 || args->nparams > REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "nparams too large");
    if (args->flags & ~(unsigned) TYPED_PARAM_STRING_OKAY)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainBlockStatsFlags",
                         args->flags & ~(unsigned) TYPED_PARAM_STRING_OKAY);
    return dom_call(call, args, "GetStats", block_stats_flags_reply, error, "uu",
                    DOMAIN_STATS_STATE | DOMAIN_STATS_BLOCK, 0);
}

/* virDomainInterfaceStats of the interface whose host device is @device. */
static int
interface_stats_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    static const char *const keys[] = { "rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
                                        "tx.bytes", "tx.pkts", "tx.errs", "tx.drop" };
    remote_domain_interface_stats_args *args = call->args;
    remote_domain_interface_stats_ret *ret = ret_;
    int64_t *out[] = { &ret->rx_bytes, &ret->rx_packets, &ret->rx_errs, &ret->rx_drop,
                       &ret->tx_bytes, &ret->tx_packets, &ret->tx_errs, &ret->tx_drop };
    remote_typed_param *p = NULL;
    u_int n = 0;
    size_t count;
    char key[64];
    int r;

    r = proxy_params_read(reply, &p, &n);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the statistics of a domain");
    r = check_stats_active(p, n, error);
    count = proxy_param_u64(p, n, "net.count", 0);
    for (size_t i = 0; r >= 0 && i < count; i++) {
        snprintf(key, sizeof(key), "net.%zu.name", i);
        if (!STREQ_NULL(proxy_param_str(p, n, key), args->device))
            continue;
        snprintf(key, sizeof(key), "net.%zu.rx.bytes", i);
        if (!proxy_param_find(p, n, key)) {
            r = error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                          "internal error: /proc/net/dev: Interface not found");
            break;
        }
        for (size_t k = 0; k < 8; k++) {
            snprintf(key, sizeof(key), "net.%zu.%s", i, keys[k]);
            *out[k] = (int64_t) proxy_param_u64(p, n, key, 0);
        }
        proxy_params_free(p, n);
        return 0;
    }
    if (r >= 0)
        r = error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                      "invalid argument: '%s' is not a known interface", args->device);
    proxy_params_free(p, n);
    return r;
}

static int
h_interface_stats(Call *call, void *args, void *ret, Error *error)
{
    return dom_call(call, args, "GetStats", interface_stats_reply, error, "uu",
                    DOMAIN_STATS_STATE | DOMAIN_STATS_INTERFACE, 0);
}

/* virDomainGetVcpus from org.virtstack.DomainState.GetVcpuInfo: a row
 * (number, state, CPU time, host CPU, affinity) per running vCPU; the
 * affinity fills @maplen bytes a vCPU of the cpumaps. */
static int
vcpus_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_vcpus_args *args = call->args;
    remote_domain_get_vcpus_ret *ret = ret_;
    size_t maplen = (size_t) args->maplen, max = (size_t) args->maxinfo, n = 0;
    int r;

    ret->info.info_val = xcalloc(max + 1, sizeof(remote_vcpu_info));
    if (maplen > 0) {
        ret->cpumaps.cpumaps_len = (u_int) (max * maplen);
        ret->cpumaps.cpumaps_val = xcalloc(max * maplen + 1, 1);
    }
    r = sd_bus_message_enter_container(reply, 'a', "(uitiab)");
    while (r > 0 && (r = sd_bus_message_enter_container(reply, 'r', "uitiab")) > 0) {
        remote_vcpu_info vi = { 0 };
        uint32_t number;
        int32_t state, cpu;
        uint64_t time;

        r = sd_bus_message_read(reply, "uiti", &number, &state, &time, &cpu);
        if (r >= 0)
            r = proxy_read_cpumap(reply, n < max && maplen ? &ret->cpumaps.cpumaps_val[n * maplen]
                                                             : NULL, maplen);
        if (r >= 0)
            r = sd_bus_message_exit_container(reply);
        if (r >= 0 && n < max) {
            vi.number = number;
            vi.state = state;
            vi.cpu_time = time;
            vi.cpu = cpu;
            ret->info.info_val[n++] = vi;
        }
        if (r >= 0)
            r = 1;
    }
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the vCPUs of a domain");
    ret->info.info_len = (u_int) n;
    return 0;
}

/* libvirt's cpumaps: @ncpumaps rows of @maplen bytes, bit c of row v set
 * when vCPU v may run on host CPU c; num is how many rows are filled. */
static int
vcpu_pin_info_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_domain_get_vcpu_pin_info_args *args = call->args;
    remote_domain_get_vcpu_pin_info_ret *ret = ret_;
    size_t maplen = (size_t) args->maplen;
    int v = 0, r;

    ret->cpumaps.cpumaps_len = (u_int) ((size_t) args->ncpumaps * maplen);
    ret->cpumaps.cpumaps_val = xcalloc(ret->cpumaps.cpumaps_len + 1, 1);
    r = sd_bus_message_enter_container(reply, 'a', "ab");
    while (r > 0 && !sd_bus_message_at_end(reply, false)) {
        r = proxy_read_cpumap(reply, v < args->ncpumaps ? &ret->cpumaps.cpumaps_val[v * maplen]
                                                        : NULL, maplen);
        if (r >= 0) {
            v++;
            r = 1;
        }
    }
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read the vCPU pinning of a domain");
    ret->num = v < args->ncpumaps ? v : args->ncpumaps;
    return 0;
}

static int
h_get_vcpu_pin_info(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_vcpu_pin_info_args *args = args_;

    if (args->ncpumaps < 1 || args->ncpumaps > REMOTE_VCPUINFO_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "ncpumaps > REMOTE_VCPUINFO_MAX");
    if (args->maplen < 1 || (size_t) args->ncpumaps * args->maplen > REMOTE_CPUMAPS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxinfo * maplen > REMOTE_CPUMAPS_MAX");
    return dom_call(call, args, "GetVcpuPinInfo", vcpu_pin_info_reply, error, "u", args->flags);
}

static int
h_get_vcpus(Call *call, void *args_, void *ret, Error *error)
{
    remote_domain_get_vcpus_args *args = args_;
    MirrorObject *obj;
    int r;

    if (args->maxinfo < 0 || args->maxinfo > REMOTE_VCPUINFO_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "maxinfo > REMOTE_VCPUINFO_MAX");
    if (args->maplen < 0 ||
        (args->maplen > 0 && (size_t) args->maxinfo * args->maplen > REMOTE_CPUMAPS_MAX))
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxinfo * maplen > REMOTE_CPUMAPS_MAX");
    r = proxy_domain_find(call, args, &obj, error);
    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, STATE_IFACE, "GetVcpuInfo", vcpus_reply,
                          error, "u", 0);
}

/* ---- connect get all domain stats: one GetStats per domain -------------- */

/* At most this many GetStats wait for their reply at once: a bus limits
 * the replies a connection may have pending (the system bus to 128), and
 * a call over the limit is refused, not queued. */
#define STATS_WINDOW 32

typedef struct StatsJob {
    Call *call;
    sd_bus *bus;
    char *bus_name;
    char **paths;                 /* the domains' objects, in order */
    remote_nonnull_domain *doms;  /* and their names for the records */
    size_t n_doms, next;          /* how many; the next to ask */
    unsigned stats;
    remote_domain_stats_record *recs;
    size_t n;        /* records filled */
    size_t pending;  /* calls not answered */
} StatsJob;

typedef struct StatsOne {
    StatsJob *job;
    remote_nonnull_domain dom;
} StatsOne;

static void
stats_job_done(StatsJob *job)
{
    remote_connect_get_all_domain_stats_ret *ret = job->call->ret;

    ret->retStats.retStats_val = job->recs;
    ret->retStats.retStats_len = job->n;
    call_finish(job->call, 0, NULL);
    for (size_t i = 0; i < job->n_doms; i++) {
        free(job->paths[i]);
        xdr_free((xdrproc_t) xdr_remote_nonnull_domain, &job->doms[i]);
    }
    free(job->paths);
    free(job->doms);
    free(job->bus_name);
    free(job);
}

static int stats_one_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

/* Asks the next domains, up to the window; the job ends with its last
 * answer. */
static void
stats_job_send(StatsJob *job)
{
    while (job->next < job->n_doms && job->pending < STATS_WINDOW) {
        size_t i = job->next++;
        StatsOne *one = xcalloc(1, sizeof(*one));
        int r;

        one->job = job;
        one->dom = job->doms[i];
        memset(&job->doms[i], 0, sizeof(job->doms[i]));
        job->pending++;
        r = sd_bus_call_method_async(job->bus, NULL, job->bus_name, job->paths[i], DOM_IFACE,
                                     "GetStats", stats_one_reply, one, "uu", job->stats, 0);
        if (r < 0) {
            xdr_free((xdrproc_t) xdr_remote_nonnull_domain, &one->dom);
            free(one);
            job->pending--;
        }
    }
    if (job->pending == 0)
        stats_job_done(job);
}

static int
stats_one_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    StatsOne *one = userdata;
    StatsJob *job = one->job;

    if (!sd_bus_message_is_method_error(reply, NULL)) {
        remote_domain_stats_record *rec = &job->recs[job->n];
        if (proxy_params_read(reply, &rec->params.params_val, &rec->params.params_len) >= 0) {
            rec->dom = one->dom;
            memset(&one->dom, 0, sizeof(one->dom));
            job->n++;
        }
    }
    /* A domain that vanished meanwhile is left out, as libvirt does. */
    xdr_free((xdrproc_t) xdr_remote_nonnull_domain, &one->dom);
    free(one);
    job->pending--;
    stats_job_send(job);
    return 0;
}

static int
h_get_all_domain_stats(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_get_all_domain_stats_args *args = args_;
    /* The stats call's filter flags are the list's, bit for bit. */
    const unsigned by_kind = DOMAIN_STATS_FLAG_ACTIVE | DOMAIN_STATS_FLAG_INACTIVE |
                             DOMAIN_STATS_FLAG_PERSISTENT | DOMAIN_STATS_FLAG_TRANSIENT |
                             DOMAIN_STATS_FLAG_RUNNING | DOMAIN_STATS_FLAG_PAUSED |
                             DOMAIN_STATS_FLAG_SHUTOFF | DOMAIN_STATS_FLAG_OTHER;
    Proxy *proxy = call_proxy(call);
    MirrorService *svc;
    MirrorObject **objs;
    size_t n = 0;
    StatsJob *job;
    unsigned stats = args->stats;
    int r;

    if ((r = domain_stats_supported(&stats, args->flags, error)) < 0)
        return r;
    svc = qemu_present(proxy, error);
    if (!svc)
        return -ENOTCONN;
    objs = xcalloc(svc->n_objs + args->doms.doms_len + 1, sizeof(*objs));
    if (args->doms.doms_len) {
        for (u_int i = 0; i < args->doms.doms_len; i++) {
            r = proxy_kind_find(call, &domain_kind, &args->doms.doms_val[i], &objs[n], error);
            if (r < 0) {
                free(objs);
                return r;
            }
            n++;
        }
    } else {
        for (size_t i = 0; i < svc->n_objs; i++)
            if (is_domain(svc->objs[i]) && domain_matches(svc->objs[i], args->flags & by_kind))
                objs[n++] = svc->objs[i];
    }
    if (n == 0) {
        free(objs);
        return 0;
    }
    if (stats == DOMAIN_STATS_STATE) {
        /* The mirror knows every domain's state: no round trip at all. */
        remote_connect_get_all_domain_stats_ret *ret = ret_;
        remote_domain_stats_record *recs = xcalloc(n, sizeof(*recs));

        for (size_t i = 0; i < n; i++) {
            remote_typed_param *p = xcalloc(2, sizeof(*p));
            int reason, state = dom_state(objs[i], &reason);

            proxy_domain_from_object(objs[i], &recs[i].dom);
            p[0].field = xstrdup("state.state");
            p[0].value.type = REMOTE_TYPED_PARAM_INT;
            p[0].value.remote_typed_param_value_u.i = state;
            p[1].field = xstrdup("state.reason");
            p[1].value.type = REMOTE_TYPED_PARAM_INT;
            p[1].value.remote_typed_param_value_u.i = reason;
            recs[i].params.params_val = p;
            recs[i].params.params_len = 2;
        }
        ret->retStats.retStats_val = recs;
        ret->retStats.retStats_len = n;
        free(objs);
        return 0;
    }
    job = xcalloc(1, sizeof(*job));
    job->call = call;
    job->bus = proxy->bus;
    job->bus_name = xstrdup(svc->bus_name);
    job->stats = stats;
    job->recs = xcalloc(n, sizeof(*job->recs));
    job->paths = xcalloc(n, sizeof(*job->paths));
    job->doms = xcalloc(n, sizeof(*job->doms));
    job->n_doms = n;
    for (size_t i = 0; i < n; i++) {
        job->paths[i] = xstrdup(objs[i]->path);
        proxy_domain_from_object(objs[i], &job->doms[i]);
    }
    free(objs);
    stats_job_send(job);
    return 1;
}

const ProcDef domain_procs[] = {
    PROC_LIST_ALL(REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, connect_list_all_domains, &domain_kind),
    PROC_LIST_NAMES(REMOTE_PROC_CONNECT_LIST_DEFINED_DOMAINS, connect_list_defined_domains,
                    &domain_kind, PROP_INACTIVE),
    PROC_COUNT(REMOTE_PROC_CONNECT_NUM_OF_DOMAINS, connect_num_of_domains, &domain_kind,
               PROP_ACTIVE),
    PROC_COUNT(REMOTE_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, connect_num_of_defined_domains,
               &domain_kind, PROP_INACTIVE),
    PROC_LOOKUP_BY_NAME(REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, domain_lookup_by_name, &domain_kind),
    PROC_LOOKUP_BY_UUID(REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, domain_lookup_by_uuid, &domain_kind),
    PROC_GET_BOOL(REMOTE_PROC_DOMAIN_GET_AUTOSTART, domain_get_autostart, &domain_kind,
                  PROP_AUTOSTART),
    PROC_GET_BOOL(REMOTE_PROC_DOMAIN_IS_ACTIVE, domain_is_active, &domain_kind, PROP_ACTIVE),
    PROC_GET_BOOL(REMOTE_PROC_DOMAIN_IS_PERSISTENT, domain_is_persistent, &domain_kind,
                  PROP_PERSISTENT),
    PROC_AR(REMOTE_PROC_CONNECT_LIST_DOMAINS, connect_list_domains, h_list_domains),
    PROC_AR(REMOTE_PROC_DOMAIN_LOOKUP_BY_ID, domain_lookup_by_id, h_lookup_by_id),
    PROC_AR(REMOTE_PROC_DOMAIN_DEFINE_XML, domain_define_xml, h_define_xml),
    PROC_AR(REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS, domain_define_xml_flags, h_define_xml_flags),
    PROC_A(REMOTE_PROC_DOMAIN_UNDEFINE, domain_undefine, h_undefine),
    PROC_A(REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS, domain_undefine_flags, h_undefine_flags),
    PROC_AR(REMOTE_PROC_DOMAIN_RENAME, domain_rename, h_rename),
    PROC_A(REMOTE_PROC_DOMAIN_PM_SUSPEND_FOR_DURATION, domain_pm_suspend_for_duration,
           h_pm_suspend),
    PROC_A(REMOTE_PROC_DOMAIN_PM_WAKEUP, domain_pm_wakeup, h_pm_wakeup),
    PROC_A(REMOTE_PROC_DOMAIN_SET_LIFECYCLE_ACTION, domain_set_lifecycle_action,
           h_set_lifecycle_action),
    PROC_A(REMOTE_PROC_DOMAIN_CREATE, domain_create, h_create),
    PROC_AR(REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS, domain_create_with_flags, h_create_with_flags),
    PROC_AR(REMOTE_PROC_DOMAIN_CREATE_XML, domain_create_xml, h_create_xml),
    PROC_A(REMOTE_PROC_DOMAIN_DESTROY, domain_destroy, h_destroy),
    PROC_A(REMOTE_PROC_DOMAIN_DESTROY_FLAGS, domain_destroy_flags, h_destroy_flags),
    PROC_A(REMOTE_PROC_DOMAIN_SHUTDOWN, domain_shutdown, h_shutdown),
    PROC_A(REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS, domain_shutdown_flags, h_shutdown_flags),
    PROC_A(REMOTE_PROC_DOMAIN_REBOOT, domain_reboot, h_reboot),
    PROC_A(REMOTE_PROC_DOMAIN_RESET, domain_reset, h_reset),
    PROC_A(REMOTE_PROC_DOMAIN_SUSPEND, domain_suspend, h_suspend),
    PROC_A(REMOTE_PROC_DOMAIN_RESUME, domain_resume, h_resume),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_INFO, domain_get_info, h_get_info),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_STATE, domain_get_state, h_get_state),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_XML_DESC, domain_get_xml_desc, h_get_xml_desc),
    PROC_A(REMOTE_PROC_DOMAIN_SET_AUTOSTART, domain_set_autostart, h_set_autostart),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_OS_TYPE, domain_get_os_type, h_get_os_type),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_VCPUS, domain_get_vcpus, h_get_vcpus),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS, domain_get_vcpus_flags, h_get_vcpus_flags),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_VCPU_PIN_INFO, domain_get_vcpu_pin_info, h_get_vcpu_pin_info),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_MAX_VCPUS, domain_get_max_vcpus, h_get_max_vcpus),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_MAX_MEMORY, domain_get_max_memory, h_get_max_memory),
    PROC_A(REMOTE_PROC_DOMAIN_SET_MAX_MEMORY, domain_set_max_memory, h_set_max_memory),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_CONTROL_INFO, domain_get_control_info, h_get_control_info),
    PROC_A(REMOTE_PROC_DOMAIN_SET_VCPUS, domain_set_vcpus, h_set_vcpus),
    PROC_A(REMOTE_PROC_DOMAIN_SET_VCPUS_FLAGS, domain_set_vcpus_flags, h_set_vcpus_flags),
    PROC_A(REMOTE_PROC_DOMAIN_SET_MEMORY, domain_set_memory, h_set_memory),
    PROC_A(REMOTE_PROC_DOMAIN_SET_MEMORY_FLAGS, domain_set_memory_flags, h_set_memory_flags),
    PROC_A(REMOTE_PROC_DOMAIN_SET_MEMORY_STATS_PERIOD, domain_set_memory_stats_period,
           h_set_memory_stats_period),
    PROC_AR(REMOTE_PROC_DOMAIN_MEMORY_STATS, domain_memory_stats, h_memory_stats),
    PROC_AR(REMOTE_PROC_DOMAIN_BLOCK_STATS, domain_block_stats, h_block_stats),
    PROC_AR(REMOTE_PROC_DOMAIN_BLOCK_STATS_FLAGS, domain_block_stats_flags, h_block_stats_flags),
    PROC_AR(REMOTE_PROC_DOMAIN_INTERFACE_STATS, domain_interface_stats, h_interface_stats),
    PROC_AR(REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, domain_has_managed_save_image,
            h_has_managed_save),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL, domain_get_security_label,
            h_get_security_label),
    PROC_AR(REMOTE_PROC_DOMAIN_GET_MESSAGES, domain_get_messages, h_get_messages),
    PROC_AR(REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS, connect_get_all_domain_stats,
            h_get_all_domain_stats),
    { 0 },
};
