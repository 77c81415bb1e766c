/* org.libvirt.Domain on /org/libvirt/QEMU/domain/_<uuid>, one object per
 * domain, found through a fallback vtable and listed by a node enumerator
 * (which is also what ObjectManager's GetManagedObjects walks). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus_object.h"
#include "bus_util.h"
#include "qemu_bus.h"
#include "list_filter.h"
#include "qemu_hotplug.h"
#include "qemu_perf.h"
#include "typed_params.h"

BUS_FIND_CALLBACK(find_domain, QemuBus, qemu_driver_find_by_path)
BUS_ENUMERATE_CALLBACK(enumerate_domains, QemuBus, qemu_driver_count, qemu_driver_nth, path)

/* ---- lifecycle: asynchronous, the reply comes when the job ends --------- */

typedef int (*FlagsOp)(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                       Error *error);

static int
run_flags_op(sd_bus_message *m, Domain *dom, FlagsOp op, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    void *call;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = op(dom, flags, qemu_bus_call_done, call, &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static int
bus_create(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_flags_op(m, userdata, qemu_domain_start, bus_error);
}

static int
bus_destroy(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_flags_op(m, userdata, qemu_domain_destroy, bus_error);
}

static int
bus_shutdown(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_flags_op(m, userdata, qemu_domain_shutdown, bus_error);
}

static int
bus_reboot(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_flags_op(m, userdata, qemu_domain_reboot, bus_error);
}

static int
bus_reset(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_flags_op(m, userdata, qemu_domain_reset, bus_error);
}

typedef int (*PlainOp)(Domain *dom, DomainDoneCb cb, void *userdata, Error *error);

static int
run_plain_op(sd_bus_message *m, Domain *dom, PlainOp op, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    void *call = qemu_bus_call_new(m, REPLY_EMPTY);
    int r;

    r = op(dom, qemu_bus_call_done, call, &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static int
bus_suspend(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_plain_op(m, userdata, qemu_domain_suspend, bus_error);
}

static int
bus_resume(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_plain_op(m, userdata, qemu_domain_resume, bus_error);
}

static int
bus_set_memory(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint64_t kib;
    uint32_t flags;
    void *call;
    int r;

    r = sd_bus_message_read(m, "tu", &kib, &flags);
    if (r < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_set_memory(userdata, kib, flags, qemu_bus_call_done, call, &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

typedef int (*StringOp)(Domain *dom, const char *s, unsigned flags, DomainDoneCb cb,
                        void *userdata, Error *error);

static int
run_string_op(sd_bus_message *m, Domain *dom, StringOp op, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *s;
    uint32_t flags;
    void *call;
    int r;

    r = sd_bus_message_read(m, "su", &s, &flags);
    if (r < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = op(dom, s, flags, qemu_bus_call_done, call, &error);
    if (r < 0) {
        qemu_bus_call_cancel(call);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static int
bus_attach_device(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_string_op(m, userdata, qemu_domain_attach_device, bus_error);
}

static int
bus_detach_device(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_string_op(m, userdata, qemu_domain_detach_device, bus_error);
}

static int
bus_set_vcpus(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t n, flags;
    void *call;
    int r;

    r = sd_bus_message_read(m, "uu", &n, &flags);
    if (r < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_set_vcpus(userdata, n, flags, qemu_bus_call_done, call, &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

static int
bus_set_memory_stats_period(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int32_t period;
    uint32_t flags;
    void *call;
    int r;

    r = sd_bus_message_read(m, "iu", &period, &flags);
    if (r < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_set_memory_stats_period(userdata, period, flags, qemu_bus_call_done, call,
                                            &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

static int
bus_update_device(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_string_op(m, userdata, qemu_domain_update_device, bus_error);
}

static int
bus_detach_device_alias(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return run_string_op(m, userdata, qemu_domain_detach_device_alias, bus_error);
}

/* ---- synchronous ------------------------------------------------------- */

static int
bus_undefine(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = qemu_domain_undefine(userdata, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

static int
bus_set_lifecycle_action(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t type, action, flags;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "uuu", &type, &action, &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_set_lifecycle_action(userdata, type, action, flags, qemu_bus_call_done, call,
                                         &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

static int
bus_pm_suspend(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t target, flags;
    uint64_t duration;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "utu", &target, &duration, &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_pm_suspend(userdata, target, duration, flags, qemu_bus_call_done, call, &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

static int
bus_pm_wakeup(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    void *call;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    call = qemu_bus_call_new(m, REPLY_EMPTY);
    r = qemu_domain_pm_wakeup(userdata, flags, qemu_bus_call_done, call, &error);
    return qemu_bus_call_started(call, r, &error, bus_error);
}

static int
bus_rename(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *name;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &name, &flags)) < 0)
        return r;
    r = qemu_domain_rename(userdata, name, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, NULL);
}

/* The flags that may reveal secrets (VNC and SPICE passwords): libvirt
 * refuses them on a read-only connection. */
#define XML_FLAGS_SECRET (DOMAIN_XML_SECURE | DOMAIN_XML_MIGRATABLE)
#define XML_FLAGS_KNOWN (DOMAIN_XML_SECURE | DOMAIN_XML_INACTIVE | DOMAIN_XML_UPDATE_CPU | \
                         DOMAIN_XML_MIGRATABLE)
#define VCPU_FLAGS_KNOWN \
    (DOMAIN_VCPU_LIVE | DOMAIN_VCPU_CONFIG | DOMAIN_VCPU_MAXIMUM | DOMAIN_VCPU_GUEST)

static int
reply_xml_desc(sd_bus_message *m, Domain *dom, uint32_t flags)
{
    auto_cleanup(free_ptr) char *xml = qemu_domain_get_xml(dom, flags);

    return sd_bus_reply_method_return(m, "s", xml);
}

/* The caller of a GetXMLDesc with secret-revealing flags is known: the
 * domain is looked up again, since it may have gone while the bus driver
 * answered. */
static void
xml_desc_caller_known(sd_bus_message *m, int64_t uid, void *userdata)
{
    Domain *dom = qemu_driver_find_by_path(userdata, sd_bus_message_get_path(m));
    uint32_t flags;

    sd_bus_message_rewind(m, true);
    if (sd_bus_message_read(m, "u", &flags) < 0)
        return;
    if (!bus_uid_is_privileged(uid))
        sd_bus_reply_method_errorf(m, ERROR_BUS_PREFIX "OperationDenied",
                                   "operation forbidden: virDomainGetXMLDesc with secure flag");
    else if (!dom)
        sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.",
                                   sd_bus_message_get_path(m));
    else
        reply_xml_desc(m, dom, flags);
}

static int
bus_get_xml_desc(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Domain *dom = userdata;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    if (flags & ~XML_FLAGS_KNOWN)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function GetXMLDesc",
                                 flags & ~XML_FLAGS_KNOWN);
    if (!(flags & XML_FLAGS_SECRET))
        return reply_xml_desc(m, dom, flags);
    /* The bus policy lets anyone call GetXMLDesc; only a caller who may
     * change the domain sees its secrets. */
    r = bus_query_caller_uid(m, xml_desc_caller_known, dom->drv, NULL);
    if (r < 0)
        return sd_bus_error_set(bus_error, ERROR_BUS_PREFIX "OperationDenied",
                                "operation forbidden: cannot tell who calls GetXMLDesc");
    return 1;
}

static int
bus_get_state(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    uint32_t flags;
    int state, reason, r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    qemu_domain_get_state(userdata, &state, &reason);
    return sd_bus_reply_method_return(m, "(ii)", state, reason);
}

static int
bus_get_control_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    unsigned state, details;
    uint64_t ms;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    r = qemu_domain_get_control_info(userdata, flags, &state, &details, &ms, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "(uut)", (uint32_t) state, (uint32_t) details, ms);
}

static int
bus_get_vcpus(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Domain *dom = userdata;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    if (flags & ~VCPU_FLAGS_KNOWN)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function GetVcpus",
                                 flags & ~VCPU_FLAGS_KNOWN);
    if (flags & DOMAIN_VCPU_GUEST) {
        /* The count the guest agent reports, in libvirt's order of checks. */
        Error error = ERROR_INIT;

        if (!qemu_domain_is_active(dom))
            return sd_bus_error_set(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                    "invalid argument: vCPU count provided by the guest agent "
                                    "can only be requested for live domains");
        r = qemu_domain_agent_available(dom, &error);
        return bus_reply_error(bus_error, &error, r);
    }
    if ((flags & DOMAIN_VCPU_LIVE) && !qemu_domain_is_active(dom))
        return sd_bus_error_set(bus_error, ERROR_BUS_PREFIX "OperationInvalid",
                                "Requested operation is not valid: domain is not running");
    return sd_bus_reply_method_return(m, "u", qemu_domain_get_vcpus(dom, flags));
}

/* One array of booleans per vCPU, one boolean per host CPU (libvirt-dbus's
 * shape of virDomainGetVcpuPinInfo). */
static int
bus_get_vcpu_pin_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    long ncpus = sysconf(_SC_NPROCESSORS_CONF);
    auto_cleanup(free_ptr) bool *maps = NULL;
    Error error = ERROR_INIT;
    sd_bus_message *reply = NULL;
    size_t nvcpus = 0;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    if (ncpus < 1)
        ncpus = 1;
    r = qemu_domain_get_vcpu_pin_info(userdata, flags, (size_t) ncpus, &maps, &nvcpus, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "ab");
    for (size_t v = 0; r >= 0 && v < nvcpus; v++)
        r = bus_append_bools(reply, &maps[v * (size_t) ncpus], (size_t) ncpus);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

static void
memory_stats_done(Domain *dom, const QmpMemoryStat *stats, size_t n, const Error *error,
                  void *userdata)
{
    sd_bus_message *m = userdata, *reply = NULL;
    int r;

    if (error) {
        bus_reply_method_error(m, error, -EIO);
        sd_bus_message_unref(m);
        return;
    }
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "{it}");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = sd_bus_message_append(reply, "{it}", stats[i].tag, stats[i].value);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    if (r < 0)
        sd_bus_reply_method_errno(m, r, NULL);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(m);
}

/* Asynchronous: the balloon is asked (query-balloon, then the guest's
 * statistics), and the reply comes with its answer. */
static int
bus_memory_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t flags;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    if (flags)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function MemoryStats", flags);
    sd_bus_message_ref(m);
    r = qemu_domain_memory_stats(userdata, memory_stats_done, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

/* virDomainGetVcpus: per running vCPU its number, state, CPU time, the host
 * CPU it last ran on and its affinity (a boolean per host CPU). */
static int
bus_get_vcpu_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    long ncpus = sysconf(_SC_NPROCESSORS_CONF);
    auto_cleanup(free_ptr) VcpuInfo *info = NULL;
    auto_cleanup(free_ptr) bool *maps = NULL;
    Error error = ERROR_INIT;
    sd_bus_message *reply = NULL;
    uint32_t flags;
    size_t n;
    int r;

    r = sd_bus_message_read(m, "u", &flags);
    if (r < 0)
        return r;
    if (flags)
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InvalidArg",
                                 "unsupported flags (0x%x) in function GetVcpuInfo", flags);
    if (ncpus < 1)
        ncpus = 1;
    r = qemu_domain_get_vcpu_info(userdata, (size_t) ncpus, &info, &maps, &n, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "(uitiab)");
    for (size_t i = 0; r >= 0 && i < n; i++) {
        r = sd_bus_message_open_container(reply, 'r', "uitiab");
        if (r >= 0)
            r = sd_bus_message_append(reply, "uiti", (uint32_t) i, info[i].state,
                                      info[i].cpu_time, info[i].cpu);
        if (r >= 0)
            r = bus_append_bools(reply, &maps[i * (size_t) ncpus], (size_t) ncpus);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    }
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

static int
append_stat(sd_bus_message *reply, const char *key, const char *type, ...)
{
    va_list ap;
    int r;

    r = sd_bus_message_open_container(reply, 'e', "sv");
    if (r >= 0)
        r = sd_bus_message_append(reply, "s", key);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'v', type);
    if (r >= 0) {
        va_start(ap, type);
        r = sd_bus_message_appendv(reply, type, ap);
        va_end(ap);
    }
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    return r;
}

static int
append_net_stats(sd_bus_message *reply, Domain *dom)
{
    const DomainDef *def = dom->live;
    int r = append_stat(reply, "net.count", "u", (uint32_t) def->n_nets);

    for (size_t i = 0; r >= 0 && i < def->n_nets; i++) {
        const char *names[] = { "rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
                                "tx.bytes", "tx.pkts", "tx.errs", "tx.drop" };
        NetStats ns;
        uint64_t values[8];
        char key[64];

        if (!def->nets[i].target_dev)
            continue;
        snprintf(key, sizeof(key), "net.%zu.name", i);
        r = append_stat(reply, key, "s", def->nets[i].target_dev);
        /* Counters the host does not give are left out, as libvirt does. */
        if (r < 0 || qemu_domain_net_stats(dom, i, &ns) < 0)
            continue;
        memcpy(values, (uint64_t[]) { ns.rx_bytes, ns.rx_packets, ns.rx_errs, ns.rx_drop,
                                      ns.tx_bytes, ns.tx_packets, ns.tx_errs, ns.tx_drop },
               sizeof(values));
        for (size_t k = 0; r >= 0 && k < 8; k++) {
            snprintf(key, sizeof(key), "net.%zu.%s", i, names[k]);
            r = append_stat(reply, key, "t", values[k]);
        }
    }
    return r;
}

static int
append_block_stats(sd_bus_message *reply, const DomainDef *def, const QmpBlockStats *bs,
                   const bool *found, size_t nbs)
{
    int r = append_stat(reply, "block.count", "u", (uint32_t) def->n_disks);

    for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
        const DomainDisk *d = &def->disks[i];
        char key[64];

        snprintf(key, sizeof(key), "block.%zu.name", i);
        r = append_stat(reply, key, "s", d->target_dev ? d->target_dev : "");
        if (r >= 0 && d->source) {
            snprintf(key, sizeof(key), "block.%zu.path", i);
            r = append_stat(reply, key, "s", d->source);
        }
        if (r >= 0 && i < nbs && found[i]) {
            const char *names[] = { "rd.reqs", "rd.bytes", "rd.times", "wr.reqs",
                                    "wr.bytes", "wr.times", "fl.reqs", "fl.times" };
            const uint64_t values[] = {
                bs[i].rd_operations, bs[i].rd_bytes, bs[i].rd_total_time_ns,
                bs[i].wr_operations, bs[i].wr_bytes, bs[i].wr_total_time_ns,
                bs[i].flush_operations, bs[i].flush_total_time_ns,
            };
            for (size_t k = 0; r >= 0 && k < 8; k++) {
                snprintf(key, sizeof(key), "block.%zu.%s", i, names[k]);
                r = append_stat(reply, key, "t", values[k]);
            }
        }
        /* The sizes, as libvirt gives them: QEMU's for a running guest
         * (what it wrote up to, the virtual size, the host file), the
         * image's own for a shut-off one. */
        if (r >= 0 && (nbs ? i < nbs && found[i] : d->source != NULL)) {
            uint64_t v[3];
            const char *names[] = { "allocation", "capacity", "physical" };

            if (nbs) {
                v[0] = bs[i].wr_highest_offset;
                v[1] = bs[i].capacity;
                v[2] = bs[i].physical;
            } else {
                qemu_disk_image_sizes(d, &v[1], &v[0], &v[2]);
            }
            for (size_t k = 0; r >= 0 && k < 3; k++) {
                if (k && !v[k])
                    continue;
                snprintf(key, sizeof(key), "block.%zu.%s", i, names[k]);
                r = append_stat(reply, key, "t", v[k]);
            }
        }
    }
    return r;
}

/* The records of libvirt's stats groups in @stats, in libvirt's order;
 * @bs: the disks' counters when the guest runs (may be NULL). */
static int
send_stats(sd_bus_message *m, Domain *dom, uint32_t stats, const QmpBlockStats *bs,
           const bool *found, size_t nbs, const TypedParams *extra)
{
    const DomainDef *def = dom->live ? dom->live : dom->def;
    sd_bus_message *reply = NULL;
    bool active = qemu_domain_is_active(dom);
    int r;

    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
    if (r >= 0 && (stats & DOMAIN_STATS_STATE)) {
        r = append_stat(reply, "state.state", "i", (int32_t) dom->state);
        if (r >= 0)
            r = append_stat(reply, "state.reason", "i", (int32_t) dom->reason);
    }
    if (r >= 0 && (stats & DOMAIN_STATS_CPU_TOTAL) && active) {
        uint64_t user, sys, total = qemu_domain_cpu_time(dom, &user, &sys);
        r = append_stat(reply, "cpu.time", "t", total);
        if (r >= 0)
            r = append_stat(reply, "cpu.user", "t", user);
        if (r >= 0)
            r = append_stat(reply, "cpu.system", "t", sys);
    }
    if (r >= 0 && (stats & DOMAIN_STATS_BALLOON)) {
        r = append_stat(reply, "balloon.current", "t",
                        active ? dom->monitor.balloon_kib : def->current_memory_kib);
        if (r >= 0)
            r = append_stat(reply, "balloon.maximum", "t", def->memory_kib);
        if (r >= 0 && active)
            r = append_stat(reply, "balloon.rss", "t", qemu_domain_rss_kib(dom));
    }
    if (r >= 0 && (stats & DOMAIN_STATS_VCPU)) {
        unsigned current = def->vcpus_current ? def->vcpus_current : def->vcpus;
        r = append_stat(reply, "vcpu.current", "u", current);
        if (r >= 0)
            r = append_stat(reply, "vcpu.maximum", "u", def->vcpus);
        for (size_t i = 0; r >= 0 && active && i < current; i++) {
            char key[48];
            snprintf(key, sizeof(key), "vcpu.%zu.state", i);
            r = append_stat(reply, key, "i", VCPU_STATE_RUNNING);
            if (r >= 0) {
                snprintf(key, sizeof(key), "vcpu.%zu.time", i);
                r = append_stat(reply, key, "t", qemu_domain_vcpu_time(dom, i));
            }
        }
    }
    if (r >= 0 && (stats & DOMAIN_STATS_INTERFACE) && active)
        r = append_net_stats(reply, dom);
    if (r >= 0 && (stats & DOMAIN_STATS_BLOCK))
        r = append_block_stats(reply, def, bs, found, bs ? nbs : 0);
    /* iothread and dirtyrate, from QEMU, in libvirt's order */
    if (r >= 0 && extra)
        r = typed_params_write_entries(reply, extra);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

typedef struct StatsCall {
    sd_bus_message *m;
    uint32_t stats;
    unsigned pending;    /* QEMU's answers still awaited, and the handler's own */
    QmpBlockStats *bs;   /* the disks' counters, once QEMU gave them */
    bool *found;
    size_t nbs;
    TypedParams extra;   /* the iothread and dirtyrate groups */
} StatsCall;

static void
stats_call_step(Domain *dom, StatsCall *call)
{
    int r;

    if (--call->pending)
        return;
    if ((call->stats & DOMAIN_STATS_PERF) && qemu_domain_is_active(dom))
        qemu_perf_stats(dom, &call->extra);
    r = send_stats(call->m, dom, call->stats, call->bs, call->found, call->nbs, &call->extra);
    if (r < 0)
        sd_bus_reply_method_errno(call->m, r, NULL);
    sd_bus_message_unref(call->m);
    free(call->bs);
    free(call->found);
    typed_params_clear(&call->extra);
    free(call);
}

static void
extra_stats_done(Domain *dom, TypedParams *tp, void *userdata)
{
    StatsCall *call = userdata;

    call->extra = *tp;
    *tp = (TypedParams) { 0 };
    stats_call_step(dom, call);
}

static void
block_stats_done(Domain *dom, const QmpBlockStats *bs, const bool *found, size_t n,
                 void *userdata)
{
    StatsCall *call = userdata;

    call->bs = xcalloc(n + 1, sizeof(*bs));
    call->found = xcalloc(n + 1, sizeof(*found));
    memcpy(call->bs, bs, n * sizeof(*bs));
    memcpy(call->found, found, n * sizeof(*found));
    call->nbs = n;
    stats_call_step(dom, call);
}

/* Synchronous, but for what a running guest's QEMU is asked first, all at
 * once: the disks' counters, the IOThreads, the dirty rate. */
static int
bus_get_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Domain *dom = userdata;
    bool ask = qemu_domain_is_active(dom) && dom->monitor.conn;
    Error error = ERROR_INIT;
    StatsCall *call;
    uint32_t stats, flags;
    int r;

    r = sd_bus_message_read(m, "uu", &stats, &flags);
    if (r < 0)
        return r;
    if ((r = domain_stats_supported(&stats, flags, &error)) < 0)
        return bus_reply_error(bus_error, &error, r);
    call = xcalloc(1, sizeof(*call));
    call->m = sd_bus_message_ref(m);
    call->stats = stats;
    call->pending = 1;
    if (ask && (stats & DOMAIN_STATS_BLOCK)) {
        call->pending++;
        if (qemu_domain_block_stats(dom, block_stats_done, call, &error) < 0)
            call->pending--;
        error_clear(&error);
    }
    if (ask && (stats & (DOMAIN_STATS_IOTHREAD | DOMAIN_STATS_DIRTYRATE))) {
        call->pending++;
        if (qemu_domain_extra_stats(dom, stats & DOMAIN_STATS_IOTHREAD,
                                    stats & DOMAIN_STATS_DIRTYRATE, extra_stats_done, call,
                                    &error) < 0)
            call->pending--;
        error_clear(&error);
    }
    stats_call_step(dom, call);
    return 1;
}

/* ---- properties -------------------------------------------------------- */

static int
prop_get(sd_bus *bus, const char *path, const char *interface, const char *property,
         sd_bus_message *reply, void *userdata, sd_bus_error *bus_error)
{
    Domain *dom = userdata;
    char uuid[UUID_STRING_LEN];

    if (strcmp(property, "Name") == 0)
        return sd_bus_message_append(reply, "s", dom->def->name);
    if (strcmp(property, "UUID") == 0)
        return sd_bus_message_append(reply, "s", uuid_format(&dom->def->uuid, uuid));
    if (strcmp(property, "Id") == 0)
        return sd_bus_message_append(reply, "u", (uint32_t) dom->id); /* -1 inactive */
    if (strcmp(property, "Active") == 0)
        return sd_bus_message_append(reply, "b", qemu_domain_is_active(dom));
    if (strcmp(property, "Persistent") == 0)
        return sd_bus_message_append(reply, "b", dom->persistent);
    if (strcmp(property, "Autostart") == 0)
        return sd_bus_message_append(reply, "b", dom->autostart);
    if (strcmp(property, "OSType") == 0)
        return sd_bus_message_append(reply, "s", dom->def->os_type ? dom->def->os_type : "hvm");
    /* libvirt's answer where the cpu controller has CFS bandwidth, as here:
     * the POSIX scheduler with its nine parameters (shares, and vcpu,
     * emulator, global and iothread period and quota), active or not. */
    if (strcmp(property, "SchedulerType") == 0)
        return sd_bus_message_append(reply, "(si)", "posix", 9);
    if (strcmp(property, "Updated") == 0)
        return sd_bus_message_append(reply, "b", dom->updated);
    if (strcmp(property, "State") == 0)
        return sd_bus_message_append(reply, "i", (int32_t) dom->state);
    if (strcmp(property, "Reason") == 0)
        return sd_bus_message_append(reply, "i", (int32_t) dom->reason);
    if (strcmp(property, "Pid") == 0)
        return sd_bus_message_append(reply, "u", dom->proc.pid > 0 ? (uint32_t) dom->proc.pid : 0);
    if (strcmp(property, "Vcpus") == 0)
        return sd_bus_message_append(reply, "u", qemu_domain_get_vcpus(dom, 0));
    if (strcmp(property, "MaxMemory") == 0)
        return sd_bus_message_append(reply, "t", (dom->live ? dom->live : dom->def)->memory_kib);
    if (strcmp(property, "Memory") == 0)
        return sd_bus_message_append(reply, "t", dom->live ? dom->monitor.balloon_kib
                                                            : dom->def->current_memory_kib);
    return -ENOENT;
}

static int
prop_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                   sd_bus_message *value, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int autostart, r;

    r = sd_bus_message_read(value, "b", &autostart);
    if (r < 0)
        return r;
    r = qemu_domain_set_autostart(userdata, autostart, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return 0;
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

/* In the order of api/org.libvirt.Domain.xml. */
static const sd_bus_vtable domain_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Active", "b", prop_get, 0, EMITS),
    SD_BUS_WRITABLE_PROPERTY("Autostart", "b", prop_get, prop_set_autostart, 0, EMITS),
    SD_BUS_PROPERTY("Id", "u", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("Name", "s", prop_get, 0, EMITS), /* virDomainRename */
    SD_BUS_PROPERTY("OSType", "s", prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Persistent", "b", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("SchedulerType", "(si)", prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Updated", "b", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("UUID", "s", prop_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD_WITH_ARGS("AddIOThread", SD_BUS_ARGS("u", iothreadId, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_add_iothread, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("AttachDevice", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_NO_RESULT,
                            bus_attach_device, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_create,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_destroy,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DelIOThread", SD_BUS_ARGS("u", iothreadId, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_del_iothread, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DetachDevice", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_NO_RESULT,
                            bus_detach_device, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("FSFreeze", SD_BUS_ARGS("as", mountpoints, "u", flags),
                            SD_BUS_RESULT("u", frozenFilesystems), qemu_bus_fs_freeze,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("FSThaw", SD_BUS_ARGS("as", mountpoints, "u", flags),
                            SD_BUS_RESULT("u", thawedFilesystems), qemu_bus_fs_thaw,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("FSTrim", SD_BUS_ARGS("s", mountpoint, "t", minimum, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_fs_trim, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetControlInfo", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("(uut)", controlInfo), bus_get_control_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetBlockIOParameters", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a{sv}", BlkioParameters), qemu_bus_get_blkio_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetFSInfo", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("a(sssas)", fsInfo),
                            qemu_bus_get_fsinfo, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetHostname", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", hostname),
                            qemu_bus_get_hostname, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetInterfaceParameters", SD_BUS_ARGS("s", device, "u", flags),
                            SD_BUS_RESULT("a{sv}", interfaceParameters),
                            qemu_bus_get_interface_parameters, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetIOThreadInfo", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a(uab)", ioThreadInfo), qemu_bus_get_iothread_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetJobInfo", SD_BUS_NO_ARGS, SD_BUS_RESULT("(ittttttttttt)", jobInfo),
                            qemu_bus_get_job_info, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetJobStats", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("(ia{sv})", stats), qemu_bus_get_job_stats,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetMemoryParameters", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a{sv}", memoryParameters),
                            qemu_bus_get_memory_parameters, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetPerfEvents", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a{sv}", perfEvents), qemu_bus_get_perf_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetNumaParameters", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a{sv}", numaParameters), qemu_bus_get_numa_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetBlockIOTune", SD_BUS_ARGS("s", disk, "u", flags),
                            SD_BUS_RESULT("a{sv}", blockIOTune), qemu_bus_get_block_iotune,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetDiskErrors", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a(si)", diskErrors), qemu_bus_get_disk_errors,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetEmulatorPinInfo", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("ab", cpumap), qemu_bus_get_emulator_pin_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetMetadata", SD_BUS_ARGS("i", type, "s", uri, "u", flags),
                            SD_BUS_RESULT("s", metadata), qemu_bus_get_metadata,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetSchedulerParameters", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a{sv}", SchedulerParameters),
                            qemu_bus_get_scheduler_parameters, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetState", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(ii)", state),
                            bus_get_state, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_ARGS("u", stats, "u", flags),
                            SD_BUS_RESULT("a{sv}", records), bus_get_stats,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetTime", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(tu)", time),
                            qemu_bus_get_time, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetVcpuPinInfo", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("aab", vcpuPinInfo), bus_get_vcpu_pin_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetVcpus", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("u", vcpus),
                            bus_get_vcpus, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                            bus_get_xml_desc, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("InjectNMI", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT,
                            qemu_bus_inject_nmi, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("InterfaceAddresses", SD_BUS_ARGS("u", source, "u", flags),
                            SD_BUS_RESULT("a(ssa(isu))", ifaces), qemu_bus_interface_addresses,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("MemoryStats", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("a{it}", stats),
                            bus_memory_stats, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("PinEmulator", SD_BUS_ARGS("ab", cpumap, "u", flags), SD_BUS_NO_RESULT,
                            qemu_bus_pin_emulator, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("PinIOThread", SD_BUS_ARGS("u", iothreadId, "ab", cpumap, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_pin_iothread, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("PinVcpu", SD_BUS_ARGS("u", vcpu, "ab", cpumap, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_pin_vcpu, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("PMWakeup", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_pm_wakeup,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Reboot", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_reboot,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Rename", SD_BUS_ARGS("s", name, "u", flags), SD_BUS_NO_RESULT,
                            bus_rename, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Reset", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_reset,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_resume,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SendKey",
                            SD_BUS_ARGS("u", codeset, "u", holdtime, "au", keycodes, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_send_key, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetMemory", SD_BUS_ARGS("t", memory, "u", flags), SD_BUS_NO_RESULT,
                            bus_set_memory, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetMemoryStatsPeriod", SD_BUS_ARGS("i", period, "u", flags),
                            SD_BUS_NO_RESULT, bus_set_memory_stats_period,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetBlockIOParameters", SD_BUS_ARGS("a{sv}", params, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_blkio_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetBlockIOTune", SD_BUS_ARGS("s", disk, "a{sv}", params, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_block_iotune,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetInterfaceParameters",
                            SD_BUS_ARGS("s", device, "a{sv}", params, "u", flags), SD_BUS_NO_RESULT,
                            qemu_bus_set_interface_parameters, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetMemoryParameters", SD_BUS_ARGS("a{sv}", params, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_memory_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetNumaParameters", SD_BUS_ARGS("a{sv}", params, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_numa_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetPerfEvents", SD_BUS_ARGS("a{sv}", params, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_perf_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetMetadata",
                            SD_BUS_ARGS("i", type, "s", metadata, "s", key, "s", uri, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_metadata, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetSchedulerParameters", SD_BUS_ARGS("a{sv}", params, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_scheduler_parameters,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetTime", SD_BUS_ARGS("t", seconds, "u", nseconds, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_time, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetUserPassword", SD_BUS_ARGS("s", user, "s", password, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_set_user_password,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetVcpus", SD_BUS_ARGS("u", vcpus, "u", flags), SD_BUS_NO_RESULT,
                            bus_set_vcpus, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Shutdown", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_shutdown,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Suspend", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, bus_suspend,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, bus_undefine,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("UpdateDevice", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_NO_RESULT,
                            bus_update_device, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("BalloonChange", SD_BUS_ARGS("t", actual), 0),
    SD_BUS_SIGNAL_WITH_ARGS("DeviceAdded", SD_BUS_ARGS("s", device), 0),
    SD_BUS_SIGNAL_WITH_ARGS("DeviceRemovalFailed", SD_BUS_ARGS("s", device), 0),
    SD_BUS_SIGNAL_WITH_ARGS("AgentEvent", SD_BUS_ARGS("i", state, "i", reason), 0),
    SD_BUS_SIGNAL_WITH_ARGS("DeviceRemoved", SD_BUS_ARGS("s", device), 0),
    SD_BUS_SIGNAL_WITH_ARGS("MetadataChange", SD_BUS_ARGS("i", type, "s", nsuri), 0),
    SD_BUS_SIGNAL_WITH_ARGS("Tunable", SD_BUS_ARGS("a{sv}", params), 0),
    SD_BUS_SIGNAL_WITH_ARGS("PMSuspend", SD_BUS_ARGS("i", reason), 0),
    SD_BUS_SIGNAL_WITH_ARGS("PMSuspendDisk", SD_BUS_ARGS("i", reason), 0),
    SD_BUS_SIGNAL_WITH_ARGS("PMWakeup", SD_BUS_ARGS("i", reason), 0),
    SD_BUS_SIGNAL("Reboot", "", 0),
    SD_BUS_SIGNAL_WITH_ARGS("TrayChange", SD_BUS_ARGS("s", device, "i", reason), 0),
    SD_BUS_VTABLE_END,
};

static const sd_bus_vtable domain_state_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("State", "i", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("Reason", "i", prop_get, 0, EMITS),
    /* For a client on this host (virtproxyd): the QEMU process, whose CPU
     * time /proc tells without asking us, and what virDomainGetInfo needs. */
    SD_BUS_PROPERTY("Pid", "u", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("Vcpus", "u", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("MaxMemory", "t", prop_get, 0, EMITS),
    SD_BUS_PROPERTY("Memory", "t", prop_get, 0, EMITS),
    SD_BUS_SIGNAL_WITH_ARGS("MonitorEvent",
                            SD_BUS_ARGS("s", event, "x", seconds, "u", micros, "s", details), 0),
    SD_BUS_METHOD_WITH_ARGS("AgentSetResponseTimeout", SD_BUS_ARGS("i", timeout, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_agent_set_response_timeout,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("DetachDeviceAlias", SD_BUS_ARGS("s", alias, "u", flags),
                            SD_BUS_NO_RESULT, bus_detach_device_alias, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetBlockInfo", SD_BUS_ARGS("s", path, "u", flags),
                            SD_BUS_RESULT("(ttt)", info), qemu_bus_get_block_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetCPUStats", SD_BUS_ARGS("i", start_cpu, "u", ncpus, "u", flags),
                            SD_BUS_RESULT("aa{sv}", stats), qemu_bus_get_cpu_stats,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetGuestInfo", SD_BUS_ARGS("u", types, "u", flags),
                            SD_BUS_RESULT("a{sv}", info), qemu_bus_get_guest_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetVcpuInfo", SD_BUS_ARGS("u", flags),
                            SD_BUS_RESULT("a(uitiab)", vcpus), bus_get_vcpu_info,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("OpenChannel", SD_BUS_ARGS("s", name, "u", flags),
                            SD_BUS_RESULT("h", fd), qemu_bus_open_channel,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("OpenConsole", SD_BUS_ARGS("s", dev_name, "u", flags),
                            SD_BUS_RESULT("h", fd), qemu_bus_open_console,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("PMSuspendForDuration",
                            SD_BUS_ARGS("u", target, "t", duration, "u", flags), SD_BUS_NO_RESULT,
                            bus_pm_suspend, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("QemuAgentCommand", SD_BUS_ARGS("s", cmd, "i", timeout, "u", flags),
                            SD_BUS_RESULT("s", result), qemu_bus_agent_command,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("QemuMonitorCommand", SD_BUS_ARGS("s", cmd, "u", flags),
                            SD_BUS_RESULT("s", result), qemu_bus_monitor_command,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Screenshot", SD_BUS_ARGS("u", screen, "u", flags),
                            SD_BUS_RESULT("s", mime, "h", fd), qemu_bus_screenshot,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetLifecycleAction", SD_BUS_ARGS("u", type, "u", action, "u", flags),
                            SD_BUS_NO_RESULT, bus_set_lifecycle_action, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("StartDirtyRateCalc", SD_BUS_ARGS("i", seconds, "u", flags),
                            SD_BUS_NO_RESULT, qemu_bus_start_dirty_rate_calc,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int
qemu_domain_bus_register(QemuBus *qb, Error *error)
{
    int r;

    r = sd_bus_add_fallback_vtable(qb->bus, NULL, QEMU_BUS_DOMAIN_PREFIX, DOMAIN_IFACE,
                                   domain_vtable, find_domain, qb);
    if (r >= 0)
        r = sd_bus_add_fallback_vtable(qb->bus, NULL, QEMU_BUS_DOMAIN_PREFIX,
                                       DOMAIN_STATE_IFACE, domain_state_vtable, find_domain, qb);
    if (r >= 0)
        r = sd_bus_add_node_enumerator(qb->bus, NULL, QEMU_BUS_DOMAIN_PREFIX, enumerate_domains,
                                       qb);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot register the domain objects on the bus");
    return 0;
}

/* What this file serves, for the contract test. */
const BusInterfaceSpec qemu_domain_bus_interfaces[] = {
    { DOMAIN_IFACE, domain_vtable },
    { DOMAIN_STATE_IFACE, domain_state_vtable },
    { NULL, NULL },
};
