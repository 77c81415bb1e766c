/* libvirt's calls answered by the guest agent: each checks its arguments
 * as libvirt does, sends its qemu-ga command, and gives its caller the
 * reply's "return" member once it has the shape libvirt expects. The ARP
 * source of interface addresses is the host's own table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "qemu_driver_priv.h"

/* The shape of a "return" a call expects. */
typedef enum {
    RET_ANY,
    RET_OBJECT,
    RET_ARRAY,
    RET_INTEGER,
} RetShape;

typedef struct AgentCallCtx {
    RetShape shape;
    AgentResultCb cb;
    void *userdata;
} AgentCallCtx;

static void
checked_reply(Domain *dom, json_t *reply, const Error *error, void *userdata)
{
    AgentCallCtx *ctx = userdata;
    json_t *ret = reply ? json_object_get(reply, "return") : NULL;
    Error bad = ERROR_INIT;
    bool ok = error || !reply;

    if (!ok) {
        switch (ctx->shape) {
        case RET_OBJECT: ok = json_is_object(ret); break;
        case RET_ARRAY: ok = json_is_array(ret); break;
        case RET_INTEGER: ok = json_is_integer(ret); break;
        default: ok = true; break;
        }
        if (!ok)
            error_set(&bad, -EPROTO, VIR_ERR_INTERNAL_ERROR, "%s",
                      "internal error: malformed return value");
    }
    ctx->cb(dom, ok ? ret : NULL, ok ? error : &bad, ctx->userdata);
    error_clear(&bad);
    free(ctx);
}

static int
agent_call(Domain *dom, const char *execute, json_t *args, RetShape shape, AgentResultCb cb,
           void *userdata, Error *error)
{
    AgentCallCtx *ctx = xcalloc(1, sizeof(*ctx));
    int r;

    ctx->shape = shape;
    ctx->cb = cb;
    ctx->userdata = userdata;
    r = qemu_agent_command(dom, execute, args, checked_reply, ctx, error);
    if (r < 0)
        free(ctx);
    return r;
}

static int
no_flags(unsigned flags, const char *function, Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", flags, function);
    return 0;
}

/* ---- passthrough -------------------------------------------------------- */

typedef struct TextCtx {
    DomainTextCb cb;
    void *userdata;
} TextCtx;

static void
text_reply(Domain *dom, json_t *reply, const Error *error, void *userdata)
{
    TextCtx *ctx = userdata;
    char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;

    ctx->cb(dom, text, error, ctx->userdata);
    free(text);
    free(ctx);
}

int
qemu_domain_agent_command(Domain *dom, const char *cmd, int timeout, unsigned flags,
                          DomainTextCb cb, void *userdata, Error *error)
{
    TextCtx *ctx;
    int r = no_flags(flags, "qemuDomainQemuAgentCommand", error);

    if (r < 0)
        return r;
    ctx = xcalloc(1, sizeof(*ctx));
    ctx->cb = cb;
    ctx->userdata = userdata;
    r = qemu_agent_command_text(dom, cmd, timeout, text_reply, ctx, error);
    if (r < 0) {
        free(ctx);
        return r;
    }
    /* As libvirt: a command to the agent taints the domain. */
    qemu_domain_taint(dom, DOMAIN_TAINT_CUSTOM_GA_COMMAND);
    return 0;
}

int
qemu_domain_agent_set_timeout(Domain *dom, int timeout, unsigned flags, Error *error)
{
    int r = no_flags(flags, "qemuDomainAgentSetResponseTimeout", error);

    if (r < 0)
        return r;
    if (timeout < AGENT_TIMEOUT_BLOCK)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: guest agent timeout '%d' is less than the minimum "
                         "'%d'", timeout, AGENT_TIMEOUT_BLOCK);
    if (!qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    dom->agent_timeout = timeout;
    qemu_status_save(dom);   /* kept across a restart, as libvirt keeps it */
    return 0;
}

/* ---- hostname, time, password ------------------------------------------- */

static int lease_interfaces(Domain *dom, AgentResultCb cb, void *userdata);

typedef struct HostnameLease {
    AgentResultCb cb;
    void *userdata;
} HostnameLease;

/* The first hostname a lease of the domain's interfaces carries. */
static void
hostname_leases(Domain *dom, json_t *ifaces, const Error *error, void *userdata)
{
    HostnameLease *hl = userdata;
    const char *name = NULL;
    size_t i;
    json_t *iface;
    Error none = ERROR_INIT;

    json_array_foreach(ifaces, i, iface) {
        if (!name)
            name = json_string_value(json_object_get(iface, "lease-hostname"));
    }
    if (name) {
        json_t *ret = json_pack("{s:s}", "host-name", name);
        hl->cb(dom, ret, NULL, hl->userdata);
        json_decref(ret);
    } else {
        error_set(&none, -ENOENT, VIR_ERR_NO_HOSTNAME,
                  "no hostname found: no hostname found for domain %s", dom->def->name);
        hl->cb(dom, NULL, &none, hl->userdata);
        error_clear(&none);
    }
    free(hl);
}

int
qemu_domain_get_hostname(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                         Error *error)
{
    const unsigned known = DOMAIN_GET_HOSTNAME_LEASE | DOMAIN_GET_HOSTNAME_AGENT;
    HostnameLease *hl;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetHostname",
                         flags & ~known);
    if ((flags & known) == known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "%s",
                         "invalid argument: Flags 'VIR_DOMAIN_GET_HOSTNAME_LEASE' and "
                         "'VIR_DOMAIN_GET_HOSTNAME_AGENT' are mutually exclusive");
    if (!(flags & DOMAIN_GET_HOSTNAME_LEASE))
        return agent_call(dom, "guest-get-host-name", NULL, RET_OBJECT, cb, userdata, error);
    if (!qemu_domain_is_active(dom) || !dom->live)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    hl = xcalloc(1, sizeof(*hl));
    hl->cb = cb;
    hl->userdata = userdata;
    return lease_interfaces(dom, hostname_leases, hl);
}

int
qemu_domain_get_time(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                     Error *error)
{
    int r = no_flags(flags, "qemuDomainGetTime", error);

    if (r < 0)
        return r;
    return agent_call(dom, "guest-get-time", NULL, RET_INTEGER, cb, userdata, error);
}

int
qemu_domain_set_time(Domain *dom, int64_t seconds, unsigned nseconds, unsigned flags,
                     AgentResultCb cb, void *userdata, Error *error)
{
    json_t *args = NULL;

    if (flags & ~(unsigned) DOMAIN_TIME_SYNC)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetTime",
                         flags & ~(unsigned) DOMAIN_TIME_SYNC);
    if (!(flags & DOMAIN_TIME_SYNC)) {
        /* Nanoseconds since the epoch must fit QEMU's int. */
        if (seconds > INT64_MAX / 1000000000 || seconds < 0)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: Time '%lld' is too big for guest agent",
                             (long long) seconds);
        args = json_pack("{s:I}", "time", (json_int_t) (seconds * 1000000000 + nseconds));
    }
    return agent_call(dom, "guest-set-time", args, RET_ANY, cb, userdata, error);
}

int
qemu_domain_set_user_password(Domain *dom, const char *user, const char *password,
                              unsigned flags, AgentResultCb cb, void *userdata, Error *error)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(password), o = 0;
    auto_cleanup(free_ptr) char *enc = xmalloc(4 * ((n + 2) / 3) + 1);
    json_t *args;
    int r;

    if (flags & ~(unsigned) DOMAIN_PASSWORD_ENCRYPTED)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetUserPassword",
                         flags & ~(unsigned) DOMAIN_PASSWORD_ENCRYPTED);
    /* qemu-ga takes the password in base64; it is never logged. */
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t) (uint8_t) password[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t) (uint8_t) password[i + 1] << 8;
        if (i + 2 < n)
            v |= (uint8_t) password[i + 2];
        enc[o++] = b64[(v >> 18) & 63];
        enc[o++] = b64[(v >> 12) & 63];
        enc[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        enc[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    enc[o] = '\0';
    args = json_pack("{s:s,s:s,s:b}", "username", user, "password", enc, "crypted",
                     (flags & DOMAIN_PASSWORD_ENCRYPTED) != 0);
    r = agent_call(dom, "guest-set-user-password", args, RET_ANY, cb, userdata, error);
    memset(enc, 0, o);
    return r;
}

/* ---- filesystems ---------------------------------------------------------- */

int
qemu_domain_fs_freeze(Domain *dom, bool thaw, const char *const *mounts, size_t n,
                      unsigned flags, AgentResultCb cb, void *userdata, Error *error)
{
    json_t *args = NULL, *list;
    int r = no_flags(flags, thaw ? "qemuDomainFSThaw" : "qemuDomainFSFreeze", error);

    if (r < 0)
        return r;
    if (thaw && n)
        /* qemu-ga thaws all or nothing. */
        return error_set(error, -ENOTSUP, VIR_ERR_ARGUMENT_UNSUPPORTED, "%s",
                         "argument unsupported: specifying mountpoints is not supported");
    if (thaw)
        return agent_call(dom, "guest-fsfreeze-thaw", NULL, RET_INTEGER, cb, userdata, error);
    if (!n)
        return agent_call(dom, "guest-fsfreeze-freeze", NULL, RET_INTEGER, cb, userdata, error);
    list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(mounts[i]));
    args = json_pack("{s:o}", "mountpoints", list);
    return agent_call(dom, "guest-fsfreeze-freeze-list", args, RET_INTEGER, cb, userdata, error);
}

int
qemu_domain_fs_trim(Domain *dom, const char *mountpoint, uint64_t minimum, unsigned flags,
                    AgentResultCb cb, void *userdata, Error *error)
{
    int r = no_flags(flags, "qemuDomainFSTrim", error);

    if (r < 0)
        return r;
    if (mountpoint)
        return error_set(error, -ENOTSUP, VIR_ERR_ARGUMENT_UNSUPPORTED, "%s",
                         "argument unsupported: Specifying mount point is not supported for "
                         "now");
    return agent_call(dom, "guest-fstrim", json_pack("{s:I}", "minimum", (json_int_t) minimum),
                      RET_ANY, cb, userdata, error);
}

int
qemu_domain_get_fsinfo(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                       Error *error)
{
    int r = no_flags(flags, "qemuDomainGetFSInfo", error);

    if (r < 0)
        return r;
    return agent_call(dom, "guest-get-fsinfo", NULL, RET_ARRAY, cb, userdata, error);
}

/* The target of the domain's disk that the agent's disk entry names: by
 * serial, else by its PCI address (libvirt's qemuAgentFSInfoToPublic). */
const char *
qemu_agent_disk_target(const Domain *dom, json_t *disk)
{
    const DomainDef *live = dom->live;
    const char *serial = json_string_value(json_object_get(disk, "serial"));
    json_t *pci = json_object_get(disk, "pci-controller");

    for (size_t i = 0; live && i < live->n_disks; i++) {
        const DomainDisk *d = &live->disks[i];
        if (serial && d->serial && STREQ(serial, d->serial))
            return d->target_dev;
    }
    for (size_t i = 0; live && pci && i < live->n_disks; i++) {
        const DomainDisk *d = &live->disks[i];
        const DeviceAddress *a = &d->address;
        if (a->type == DEVICE_ADDRESS_PCI &&
            a->domain == json_integer_value(json_object_get(pci, "domain")) &&
            a->bus == json_integer_value(json_object_get(pci, "bus")) &&
            a->slot == json_integer_value(json_object_get(pci, "slot")) &&
            a->function == json_integer_value(json_object_get(pci, "function")))
            return d->target_dev;
    }
    return NULL;
}

/* ---- interface addresses ------------------------------------------------ */

/* The host's ARP table, as libvirt's virArpTableGet reads it: the IPv4
 * addresses of the domain's interfaces, each under its host-side name.
 * Returns an agent-shaped array (name, hardware-address, ip-addresses). */
static json_t *
arp_interfaces(const Domain *dom)
{
    json_t *list = json_array();
    FILE *f = fopen("/proc/net/arp", "re");
    char line[512];
    const DomainDef *live = dom->live;

    if (!f)
        return list;
    for (size_t i = 0; live && i < live->n_nets; i++) {
        const DomainNet *net = &live->nets[i];
        json_t *addrs = json_array();
        const char *mac = net->mac;

        rewind(f);
        while (fgets(line, sizeof(line), f)) {
            char ip[64], hw[64], flags[16];
            if (sscanf(line, "%63s %*s %15s %63s", ip, flags, hw) == 3 &&
                strcasecmp(hw, mac) == 0 && strcmp(flags, "0x0") != 0)
                json_array_append_new(addrs, json_pack("{s:s,s:s,s:i}", "ip-address-type",
                                                       "ipv4", "ip-address", ip, "prefix", 0));
        }
        if (json_array_size(addrs))
            json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "name",
                                                  str_or_empty(net->target_dev),
                                                  "hardware-address", mac, "ip-addresses",
                                                  addrs));
        else
            json_decref(addrs);
    }
    fclose(f);
    return list;
}

/* The lease source: virtnetworkd's DHCP leases of each interface on one of
 * its networks, asked of all networks at once. */
typedef struct LeaseQuery {
    Domain *dom;           /* a reference */
    json_t *list;          /* agent-shaped, one entry per interface with leases */
    unsigned pending;
    AgentResultCb cb;
    void *userdata;
} LeaseQuery;

typedef struct LeaseCall {
    LeaseQuery *q;
    size_t net;
} LeaseCall;

static void
lease_done(LeaseQuery *q)
{
    if (--q->pending)
        return;
    q->cb(q->dom, q->list, NULL, q->userdata);
    json_decref(q->list);
    domain_unref(q->dom);
    free(q);
}

static int
leases_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
    LeaseCall *lc = userdata;
    LeaseQuery *q = lc->q;
    const DomainNet *net = q->dom->live && lc->net < q->dom->live->n_nets
                               ? &q->dom->live->nets[lc->net] : NULL;
    json_t *addrs = json_array();
    const char *lease_host = NULL;
    const char *iface, *mac, *iaid, *ip, *host, *client;
    int64_t expiry;
    int32_t type;
    uint32_t prefix;

    if (!sd_bus_message_is_method_error(m, NULL) &&
        sd_bus_message_enter_container(m, 'a', "(sxisssuss)") > 0) {
        while (sd_bus_message_read(m, "(sxisssuss)", &iface, &expiry, &type, &mac, &iaid, &ip,
                                   &prefix, &host, &client) > 0) {
            json_array_append_new(addrs, json_pack("{s:s,s:s,s:i}", "ip-address-type",
                                                   type == 1 ? "ipv6" : "ipv4", "ip-address", ip,
                                                   "prefix", (int) prefix));
            if (*host && !lease_host)
                lease_host = host;
        }
    }
    if (net && json_array_size(addrs)) {
        json_t *entry = json_pack("{s:s,s:s,s:O}", "name", str_or_empty(net->target_dev),
                                  "hardware-address", net->mac, "ip-addresses", addrs);
        /* For virDomainGetHostname's lease source. */
        if (lease_host)
            json_object_set_new(entry, "lease-hostname", json_string(lease_host));
        json_array_append_new(q->list, entry);
    }
    json_decref(addrs);
    free(lc);
    lease_done(q);
    return 0;
}

static int
lease_interfaces(Domain *dom, AgentResultCb cb, void *userdata)
{
    LeaseQuery *q = xcalloc(1, sizeof(*q));

    domain_ref(dom);
    q->dom = dom;
    q->list = json_array();
    q->cb = cb;
    q->userdata = userdata;
    q->pending = 1;   /* until every call is sent */
    for (size_t i = 0; i < dom->live->n_nets && i < dom->res.n_ports; i++) {
        LeaseCall *lc;
        if (dom->live->nets[i].type != NET_TYPE_NETWORK || !dom->res.port_nets[i])
            continue;
        lc = xcalloc(1, sizeof(*lc));
        lc->q = q;
        lc->net = i;
        if (sd_bus_call_method_async(dom->drv->cfg.bus, NULL, "org.libvirt.network",
                                     dom->res.port_nets[i], "org.libvirt.Network",
                                     "GetDHCPLeases", leases_reply, lc, "su",
                                     dom->live->nets[i].mac, 0) < 0)
            free(lc);
        else
            q->pending++;
    }
    /* The last reply, or this when there was none to ask, answers. */
    lease_done(q);
    return 0;
}

int
qemu_domain_interface_addresses(Domain *dom, unsigned source, unsigned flags,
                                AgentResultCb cb, void *userdata, Error *error)
{
    int r = no_flags(flags, "qemuDomainInterfaceAddresses", error);

    if (r < 0)
        return r;
    if (!qemu_domain_is_active(dom) || !dom->live)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    switch (source) {
    case INTERFACE_ADDRESSES_SRC_LEASE:
        return lease_interfaces(dom, cb, userdata);
    case INTERFACE_ADDRESSES_SRC_AGENT:
        return agent_call(dom, "guest-network-get-interfaces", NULL, RET_ARRAY, cb, userdata,
                          error);
    case INTERFACE_ADDRESSES_SRC_ARP: {
        json_t *list = arp_interfaces(dom);
        cb(dom, list, NULL, userdata);
        json_decref(list);
        return 0;
    }
    default:
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: Unknown IP address data source %d", source);
    }
}
