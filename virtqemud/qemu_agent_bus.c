/* The guest agent's calls on the bus: libvirt-dbus's FSFreeze, FSThaw,
 * FSTrim, GetFSInfo, GetHostname, GetTime, SetTime, InterfaceAddresses and
 * SetUserPassword on org.libvirt.Domain; QemuAgentCommand,
 * AgentSetResponseTimeout, GetGuestInfo and QemuMonitorCommand (the
 * monitor, beside the agent) on org.virtstack.DomainState (libvirt-dbus
 * has none of them). Each reply is built from qemu-ga's "return". */
#include <errno.h>
#include <string.h>

#include "fileutil.h"
#include "qemu_bus.h"
#include "typed_params.h"

/* Appends the reply's values from @ret; a negative errno with @error when
 * qemu-ga's answer lacks what libvirt needs. */
typedef int (*ReplyBuilder)(sd_bus_message *reply, Domain *dom, json_t *ret, Error *error);

typedef struct BusAgentCall {
    sd_bus_message *m;
    ReplyBuilder build;
} BusAgentCall;

static void
agent_done(Domain *dom, json_t *ret, const Error *error, void *userdata)
{
    BusAgentCall *c = userdata;
    sd_bus_message *reply = NULL;
    Error bad = ERROR_INIT;
    int r;

    if (error) {
        bus_reply_method_error(c->m, error, -EIO);
    } else {
        r = sd_bus_message_new_method_return(c->m, &reply);
        if (r >= 0 && c->build)
            r = c->build(reply, dom, ret, &bad);
        if (r >= 0)
            sd_bus_send(NULL, reply, NULL);
        else
            bus_reply_method_error(c->m, error_is_set(&bad) ? &bad : NULL, r);
    }
    error_clear(&bad);
    sd_bus_message_unref(reply);
    sd_bus_message_unref(c->m);
    free(c);
}

static BusAgentCall *
call_new(sd_bus_message *m, ReplyBuilder build)
{
    BusAgentCall *c = xcalloc(1, sizeof(*c));

    c->m = sd_bus_message_ref(m);
    c->build = build;
    return c;
}

/* After the driver call: 1 (answered later, or already), or its error. */
static int
call_started(BusAgentCall *c, int r, Error *error, sd_bus_error *bus_error)
{
    if (r >= 0)
        return 1;
    sd_bus_message_unref(c->m);
    free(c);
    return bus_reply_error(bus_error, error, r);
}

/* ---- reply builders ----------------------------------------------------- */

static int
build_hostname(sd_bus_message *reply, Domain *dom, json_t *ret, Error *error)
{
    const char *name = json_string_value(json_object_get(ret, "host-name"));

    if (!name)
        return error_set(error, -EPROTO, VIR_ERR_INTERNAL_ERROR, "%s",
                         "internal error: 'host-name' missing in guest-get-host-name reply");
    return sd_bus_message_append(reply, "s", name);
}

static int
build_time(sd_bus_message *reply, Domain *dom, json_t *ret, Error *error)
{
    json_int_t ns = json_integer_value(ret);

    return sd_bus_message_append(reply, "(tu)", (uint64_t) (ns / 1000000000),
                                 (uint32_t) (ns % 1000000000));
}

static int
build_count(sd_bus_message *reply, Domain *dom, json_t *ret, Error *error)
{
    return sd_bus_message_append(reply, "u", (uint32_t) json_integer_value(ret));
}

static int
build_fsinfo(sd_bus_message *reply, Domain *dom, json_t *ret, Error *error)
{
    size_t i, j;
    json_t *fs, *disk;
    int r = sd_bus_message_open_container(reply, 'a', "(sssas)");

    json_array_foreach(ret, i, fs) {
        const char *mount = json_string_value(json_object_get(fs, "mountpoint"));
        const char *name = json_string_value(json_object_get(fs, "name"));
        const char *type = json_string_value(json_object_get(fs, "type"));

        if (!mount || !name || !type)
            return error_set(error, -EPROTO, VIR_ERR_INTERNAL_ERROR, "%s",
                             "internal error: Malformed guest-get-fsinfo data array");
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'r', "sssas");
        if (r >= 0)
            r = sd_bus_message_append(reply, "sss", mount, name, type);
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'a', "s");
        json_array_foreach(json_object_get(fs, "disk"), j, disk) {
            const char *target = qemu_agent_disk_target(dom, disk);
            if (target && r >= 0)
                r = sd_bus_message_append(reply, "s", target);
        }
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int
build_interfaces(sd_bus_message *reply, Domain *dom, json_t *ret, Error *error)
{
    size_t i, j;
    json_t *iface, *ip;
    int r = sd_bus_message_open_container(reply, 'a', "(ssa(isu))");

    json_array_foreach(ret, i, iface) {
        const char *name = json_string_value(json_object_get(iface, "name"));
        const char *hw = json_string_value(json_object_get(iface, "hardware-address"));

        if (!name)
            return error_set(error, -EPROTO, VIR_ERR_INTERNAL_ERROR, "%s",
                             "internal error: qemu agent didn't provide 'name' field");
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'r', "ssa(isu)");
        if (r >= 0)
            r = sd_bus_message_append(reply, "ss", name, hw ? hw : "");
        if (r >= 0)
            r = sd_bus_message_open_container(reply, 'a', "(isu)");
        json_array_foreach(json_object_get(iface, "ip-addresses"), j, ip) {
            const char *type = json_string_value(json_object_get(ip, "ip-address-type"));
            const char *addr = json_string_value(json_object_get(ip, "ip-address"));
            json_t *prefix = json_object_get(ip, "prefix");

            /* libvirt: VIR_IP_ADDR_TYPE_IPV4 0, _IPV6 1. */
            if (type && addr && json_is_integer(prefix) && r >= 0)
                r = sd_bus_message_append(reply, "(isu)", STREQ(type, "ipv6") ? 1 : 0, addr,
                                          (uint32_t) json_integer_value(prefix));
        }
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
        if (r >= 0)
            r = sd_bus_message_close_container(reply);
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* A call whose only argument is its flags. */
typedef int (*FlagsCall)(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                         Error *error);

static int
flags_call(sd_bus_message *m, Domain *dom, sd_bus_error *bus_error, FlagsCall fn,
           ReplyBuilder build)
{
    Error error = ERROR_INIT;
    BusAgentCall *c;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    c = call_new(m, build);
    return call_started(c, fn(dom, flags, agent_done, c, &error), &error, bus_error);
}

/* ---- handlers ----------------------------------------------------------- */

int
qemu_bus_get_hostname(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return flags_call(m, userdata, bus_error, qemu_domain_get_hostname, build_hostname);
}

int
qemu_bus_get_time(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return flags_call(m, userdata, bus_error, qemu_domain_get_time, build_time);
}

int
qemu_bus_set_time(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusAgentCall *c;
    uint64_t seconds;
    uint32_t nseconds, flags;
    int r;

    if ((r = sd_bus_message_read(m, "tuu", &seconds, &nseconds, &flags)) < 0)
        return r;
    c = call_new(m, NULL);
    return call_started(c,
                        qemu_domain_set_time(userdata, seconds > INT64_MAX ? -1 : (int64_t)seconds,
                                             nseconds, flags, agent_done, c, &error),
                        &error, bus_error);
}

int
qemu_bus_set_user_password(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusAgentCall *c;
    const char *user, *password;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "ssu", &user, &password, &flags)) < 0)
        return r;
    c = call_new(m, NULL);
    return call_started(c, qemu_domain_set_user_password(userdata, user, password, flags,
                                                         agent_done, c, &error),
                        &error, bus_error);
}

static int
fs_freeze(sd_bus_message *m, void *userdata, sd_bus_error *bus_error, bool thaw)
{
    Error error = ERROR_INIT;
    auto_cleanup(strv_freep) char **mounts = NULL;
    BusAgentCall *c;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read_strv(m, &mounts)) < 0 ||
        (r = sd_bus_message_read(m, "u", &flags)) < 0)
        return r;
    c = call_new(m, build_count);
    return call_started(c, qemu_domain_fs_freeze(userdata, thaw, (const char *const *) mounts,
                                                 strv_length(mounts), flags, agent_done, c,
                                                 &error),
                        &error, bus_error);
}

int
qemu_bus_fs_freeze(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return fs_freeze(m, userdata, bus_error, false);
}

int
qemu_bus_fs_thaw(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return fs_freeze(m, userdata, bus_error, true);
}

int
qemu_bus_fs_trim(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusAgentCall *c;
    const char *mount;
    uint64_t minimum;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "stu", &mount, &minimum, &flags)) < 0)
        return r;
    c = call_new(m, NULL);
    /* libvirt-dbus: "" is no mount point. */
    return call_started(c, qemu_domain_fs_trim(userdata, *mount ? mount : NULL, minimum, flags,
                                               agent_done, c, &error),
                        &error, bus_error);
}

int
qemu_bus_get_fsinfo(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    return flags_call(m, userdata, bus_error, qemu_domain_get_fsinfo, build_fsinfo);
}

int
qemu_bus_interface_addresses(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    BusAgentCall *c;
    uint32_t source, flags;
    int r;

    if ((r = sd_bus_message_read(m, "uu", &source, &flags)) < 0)
        return r;
    c = call_new(m, build_interfaces);
    return call_started(c, qemu_domain_interface_addresses(userdata, source, flags, agent_done,
                                                           c, &error),
                        &error, bus_error);
}

static void
guest_info_done(Domain *dom, const TypedParams *tp, const Error *error, void *userdata)
{
    sd_bus_message *m = userdata;
    sd_bus_message *reply = NULL;
    int r;

    if (error) {
        bus_reply_method_error(m, error, -EIO);
    } else {
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
            r = typed_params_write(reply, tp);
        if (r >= 0)
            sd_bus_send(NULL, reply, NULL);
        else
            bus_reply_method_error(m, NULL, r);
    }
    sd_bus_message_unref(reply);
    sd_bus_message_unref(m);
}

int
qemu_bus_get_guest_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    uint32_t types, flags;
    int r;

    if ((r = sd_bus_message_read(m, "uu", &types, &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_get_guest_info(userdata, types, flags, guest_info_done, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

static void
agent_text_done(Domain *dom, const char *text, const Error *error, void *userdata)
{
    sd_bus_message *m = userdata;

    if (error)
        bus_reply_method_error(m, error, -EIO);
    else
        sd_bus_reply_method_return(m, "s", text ? text : "");
    sd_bus_message_unref(m);
}

int
qemu_bus_agent_command(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *cmd;
    int32_t timeout;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "siu", &cmd, &timeout, &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_agent_command(userdata, cmd, timeout, flags, agent_text_done, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_monitor_command(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    const char *cmd;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "su", &cmd, &flags)) < 0)
        return r;
    sd_bus_message_ref(m);
    r = qemu_domain_monitor_command(userdata, cmd, flags, agent_text_done, m, &error);
    if (r < 0) {
        sd_bus_message_unref(m);
        return bus_reply_error(bus_error, &error, r);
    }
    return 1;
}

int
qemu_bus_agent_set_response_timeout(sd_bus_message *m, void *userdata, sd_bus_error *bus_error)
{
    Error error = ERROR_INIT;
    int32_t timeout;
    uint32_t flags;
    int r;

    if ((r = sd_bus_message_read(m, "iu", &timeout, &flags)) < 0)
        return r;
    r = qemu_domain_agent_set_timeout(userdata, timeout, flags, &error);
    if (r < 0)
        return bus_reply_error(bus_error, &error, r);
    return sd_bus_reply_method_return(m, "");
}
