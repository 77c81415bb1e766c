/* virDomainGetGuestInfo: what the guest agent tells of users, the OS, the
 * time zone, the hostname, filesystems, disks and interfaces, as libvirt's
 * typed parameters ("user.0.name", "os.id", "fs.1.mountpoint", ...).
 *
 * All the commands are queued at once; the agent answers them in order.
 * Asked for every type (types 0), a command this qemu-ga lacks is skipped,
 * as libvirt skips it; asked for by name, it is an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qemu_driver_priv.h"
#include "typed_params.h"

/* virDomainGuestInfoTypes: bit INFO_x is libvirt's type. */
typedef enum {
    INFO_USERS,
    INFO_OS,
    INFO_TIMEZONE,
    INFO_HOSTNAME,
    INFO_FILESYSTEM,
    INFO_DISKS,
    INFO_INTERFACES,
    _INFO_MAX,
} InfoType;

_Static_assert(DOMAIN_GUEST_INFO_USERS == 1 << INFO_USERS &&
               DOMAIN_GUEST_INFO_HOSTNAME == 1 << INFO_HOSTNAME &&
               DOMAIN_GUEST_INFO_INTERFACES == 1 << INFO_INTERFACES, "virDomainGuestInfoTypes");

/* qemu-ga's command for each type, in libvirt's order */
static const char *const info_commands[_INFO_MAX] = {
    "guest-get-users", "guest-get-osinfo", "guest-get-timezone", "guest-get-host-name",
    "guest-get-fsinfo", "guest-get-disks", "guest-network-get-interfaces",
};

typedef struct GuestInfo {
    Domain *dom;                  /* a reference */
    bool all;                     /* types 0: skip what the agent lacks */
    json_t *replies[_INFO_MAX];   /* each type's "return" */
    unsigned pending;
    Error error;                  /* the first failure */
    GuestInfoCb cb;
    void *userdata;
} GuestInfo;

typedef struct InfoCall {
    GuestInfo *gi;
    InfoType type;
} InfoCall;

/* ---- the parameters ------------------------------------------------------- */

static void
add_str(TypedParams *tp, const char *field, json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    if (v)
        typed_params_add_string(tp, field, v);
}

static void
users_params(TypedParams *tp, json_t *ret)
{
    size_t i;
    json_t *u;
    char f[64];

    typed_params_add_uint(tp, "user.count", (uint32_t) json_array_size(ret));
    json_array_foreach(ret, i, u) {
        json_t *t = json_object_get(u, "login-time");
        snprintf(f, sizeof(f), "user.%zu.name", i);
        add_str(tp, f, u, "user");
        snprintf(f, sizeof(f), "user.%zu.domain", i);
        add_str(tp, f, u, "domain");
        if (json_is_number(t)) {
            snprintf(f, sizeof(f), "user.%zu.login-time", i);
            typed_params_add_ullong(tp, f, (uint64_t) (json_number_value(t) * 1000));
        }
    }
}

static void
os_params(TypedParams *tp, json_t *ret)
{
    static const char *const keys[][2] = {
        { "os.id", "id" },
        { "os.name", "name" },
        { "os.pretty-name", "pretty-name" },
        { "os.version", "version" },
        { "os.version-id", "version-id" },
        { "os.kernel-release", "kernel-release" },
        { "os.kernel-version", "kernel-version" },
        { "os.machine", "machine" },
        { "os.variant", "variant" },
        { "os.variant-id", "variant-id" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        add_str(tp, keys[i][0], ret, keys[i][1]);
}

static void
timezone_params(TypedParams *tp, json_t *ret)
{
    add_str(tp, "timezone.name", ret, "zone");
    if (json_is_integer(json_object_get(ret, "offset")))
        typed_params_add_int(tp, "timezone.offset",
                             (int32_t) json_integer_value(json_object_get(ret, "offset")));
}

static void
fs_params(TypedParams *tp, const Domain *dom, json_t *ret)
{
    size_t i, j;
    json_t *fs, *disk;
    char f[96];

    typed_params_add_uint(tp, "fs.count", (uint32_t) json_array_size(ret));
    json_array_foreach(ret, i, fs) {
        json_t *disks = json_object_get(fs, "disk");
        snprintf(f, sizeof(f), "fs.%zu.mountpoint", i);
        add_str(tp, f, fs, "mountpoint");
        snprintf(f, sizeof(f), "fs.%zu.name", i);
        add_str(tp, f, fs, "name");
        snprintf(f, sizeof(f), "fs.%zu.fstype", i);
        add_str(tp, f, fs, "type");
        if (json_is_integer(json_object_get(fs, "total-bytes"))) {
            snprintf(f, sizeof(f), "fs.%zu.total-bytes", i);
            typed_params_add_ullong(tp, f, json_integer_value(json_object_get(fs, "total-bytes")));
        }
        if (json_is_integer(json_object_get(fs, "used-bytes"))) {
            snprintf(f, sizeof(f), "fs.%zu.used-bytes", i);
            typed_params_add_ullong(tp, f, json_integer_value(json_object_get(fs, "used-bytes")));
        }
        snprintf(f, sizeof(f), "fs.%zu.disk.count", i);
        typed_params_add_uint(tp, f, (uint32_t) json_array_size(disks));
        json_array_foreach(disks, j, disk) {
            const char *target = qemu_agent_disk_target(dom, disk);
            if (target) {
                snprintf(f, sizeof(f), "fs.%zu.disk.%zu.alias", i, j);
                typed_params_add_string(tp, f, target);
            }
            snprintf(f, sizeof(f), "fs.%zu.disk.%zu.serial", i, j);
            add_str(tp, f, disk, "serial");
            snprintf(f, sizeof(f), "fs.%zu.disk.%zu.device", i, j);
            add_str(tp, f, disk, "dev");
        }
    }
}

static void
disks_params(TypedParams *tp, const Domain *dom, json_t *ret)
{
    size_t i, j;
    json_t *d, *dep;
    char f[96];

    typed_params_add_uint(tp, "disk.count", (uint32_t) json_array_size(ret));
    json_array_foreach(ret, i, d) {
        json_t *deps = json_object_get(d, "dependencies");
        json_t *addr = json_object_get(d, "address");
        snprintf(f, sizeof(f), "disk.%zu.name", i);
        add_str(tp, f, d, "name");
        snprintf(f, sizeof(f), "disk.%zu.partition", i);
        typed_params_add_bool(tp, f, json_is_true(json_object_get(d, "partition")));
        snprintf(f, sizeof(f), "disk.%zu.dependency.count", i);
        typed_params_add_uint(tp, f, (uint32_t) json_array_size(deps));
        json_array_foreach(deps, j, dep) {
            if (json_is_string(dep)) {
                snprintf(f, sizeof(f), "disk.%zu.dependency.%zu.name", i, j);
                typed_params_add_string(tp, f, json_string_value(dep));
            }
        }
        if (addr) {
            const char *target = qemu_agent_disk_target(dom, addr);
            snprintf(f, sizeof(f), "disk.%zu.serial", i);
            add_str(tp, f, addr, "serial");
            if (target) {
                snprintf(f, sizeof(f), "disk.%zu.alias", i);
                typed_params_add_string(tp, f, target);
            }
        }
        snprintf(f, sizeof(f), "disk.%zu.guest_alias", i);
        add_str(tp, f, d, "alias");
    }
}

static void
if_params(TypedParams *tp, json_t *ret)
{
    size_t i, j;
    json_t *iface, *ip;
    char f[96];

    typed_params_add_uint(tp, "if.count", (uint32_t) json_array_size(ret));
    json_array_foreach(ret, i, iface) {
        json_t *ips = json_object_get(iface, "ip-addresses");
        snprintf(f, sizeof(f), "if.%zu.name", i);
        add_str(tp, f, iface, "name");
        snprintf(f, sizeof(f), "if.%zu.hwaddr", i);
        add_str(tp, f, iface, "hardware-address");
        snprintf(f, sizeof(f), "if.%zu.addr.count", i);
        typed_params_add_uint(tp, f, (uint32_t) json_array_size(ips));
        json_array_foreach(ips, j, ip) {
            snprintf(f, sizeof(f), "if.%zu.addr.%zu.type", i, j);
            add_str(tp, f, ip, "ip-address-type");
            snprintf(f, sizeof(f), "if.%zu.addr.%zu.addr", i, j);
            add_str(tp, f, ip, "ip-address");
            if (json_is_integer(json_object_get(ip, "prefix"))) {
                snprintf(f, sizeof(f), "if.%zu.addr.%zu.prefix", i, j);
                typed_params_add_uint(tp, f,
                                      (uint32_t) json_integer_value(json_object_get(ip, "prefix")));
            }
        }
    }
}

/* ---- the calls ------------------------------------------------------------ */

static void
info_finish(GuestInfo *gi)
{
    TypedParams tp = { 0 };
    json_t **r = gi->replies;

    if (!error_is_set(&gi->error)) {
        if (r[INFO_USERS])
            users_params(&tp, r[INFO_USERS]);
        if (r[INFO_OS])
            os_params(&tp, r[INFO_OS]);
        if (r[INFO_TIMEZONE])
            timezone_params(&tp, r[INFO_TIMEZONE]);
        if (r[INFO_HOSTNAME])
            add_str(&tp, "hostname", r[INFO_HOSTNAME], "host-name");
        if (r[INFO_FILESYSTEM])
            fs_params(&tp, gi->dom, r[INFO_FILESYSTEM]);
        if (r[INFO_DISKS])
            disks_params(&tp, gi->dom, r[INFO_DISKS]);
        if (r[INFO_INTERFACES])
            if_params(&tp, r[INFO_INTERFACES]);
    }
    gi->cb(gi->dom, error_is_set(&gi->error) ? NULL : &tp,
           error_is_set(&gi->error) ? &gi->error : NULL, gi->userdata);
    typed_params_clear(&tp);
    for (size_t i = 0; i < _INFO_MAX; i++)
        json_decref(r[i]);
    error_clear(&gi->error);
    domain_unref(gi->dom);
    free(gi);
}

static void
info_reply(Domain *dom, json_t *reply, const Error *error, void *userdata)
{
    InfoCall *ic = userdata;
    GuestInfo *gi = ic->gi;
    const char *klass = reply ? json_string_value(json_object_get(
                                    json_object_get(reply, "error"), "class")) : NULL;
    bool missing = klass && (STREQ(klass, "CommandNotFound") || STREQ(klass, "CommandDisabled"));

    if (error && !(missing && gi->all)) {
        if (!error_is_set(&gi->error))
            error_set(&gi->error, -EIO, error->code, "%s", error->message);
    } else if (!error) {
        json_t *ret = json_object_get(reply, "return");
        gi->replies[ic->type] = json_incref(ret);
    }
    free(ic);
    if (--gi->pending == 0)
        info_finish(gi);
}

int
qemu_domain_get_guest_info(Domain *dom, unsigned types, unsigned flags, GuestInfoCb cb,
                           void *userdata, Error *error)
{
    const unsigned known = (1u << _INFO_MAX) - 1;
    GuestInfo *gi;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetGuestInfo", flags);
    if (types & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetGuestInfo",
                         types & ~known);
    r = qemu_agent_available(dom, error);
    if (r < 0)
        return r;
    gi = xcalloc(1, sizeof(*gi));
    domain_ref(dom);
    gi->dom = dom;
    gi->all = types == 0;
    gi->cb = cb;
    gi->userdata = userdata;
    gi->pending = 1;   /* until all are queued */
    for (int t = 0; t < _INFO_MAX; t++) {
        InfoCall *ic;
        Error qerr = ERROR_INIT;

        if (!gi->all && !(types & (1u << t)))
            continue;
        ic = xcalloc(1, sizeof(*ic));
        ic->gi = gi;
        ic->type = t;
        gi->pending++;
        if (qemu_agent_command(dom, info_commands[t], NULL, info_reply, ic, &qerr) < 0) {
            gi->pending--;
            free(ic);
            if (!error_is_set(&gi->error))
                error_set(&gi->error, -EIO, qerr.code, "%s", qerr.message);
            error_clear(&qerr);
        }
    }
    if (--gi->pending == 0)
        info_finish(gi);
    return 0;
}
