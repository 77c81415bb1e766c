/* virtqemud: domains, run by QEMU, served on org.libvirt.qemu. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "daemon.h"
#include "log.h"
#include "qemu_bus.h"

static QemuBus qemu_bus;
static gid_t *qemu_groups;

/* A user as qemu.conf names it: a name, or "+N" for a number. */
static int
parse_user(const char *s, uid_t *ret_uid, gid_t *ret_gid, char **ret_name, Error *error)
{
    struct passwd *pw;
    char *end;

    if (s[0] == '+') {
        unsigned long n;

        errno = 0;
        n = strtoul(s + 1, &end, 10);
        if (errno || end == s + 1 || *end || n >= (uid_t) -1)
            return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                             "Failed to parse user '%s' in virtqemud.conf", s);
        pw = getpwuid((uid_t) n);
        *ret_uid = (uid_t) n;
        *ret_gid = pw ? pw->pw_gid : (gid_t) n;
        *ret_name = pw ? xstrdup(pw->pw_name) : NULL;
        return 0;
    }
    pw = getpwnam(s);
    if (!pw)
        return error_set(error, -ENOENT, VIR_ERR_CONF_SYNTAX,
                         "Failed to parse user '%s' in virtqemud.conf: no such user", s);
    *ret_uid = pw->pw_uid;
    *ret_gid = pw->pw_gid;
    *ret_name = xstrdup(pw->pw_name);
    return 0;
}

static int
parse_group(const char *s, gid_t *ret_gid, Error *error)
{
    struct group *gr;
    char *end;

    if (s[0] == '+') {
        unsigned long n;

        errno = 0;
        n = strtoul(s + 1, &end, 10);
        if (errno || end == s + 1 || *end || n >= (gid_t) -1)
            return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                             "Failed to parse group '%s' in virtqemud.conf", s);
        *ret_gid = (gid_t) n;
        return 0;
    }
    gr = getgrnam(s);
    if (!gr)
        return error_set(error, -ENOENT, VIR_ERR_CONF_SYNTAX,
                         "Failed to parse group '%s' in virtqemud.conf: no such group", s);
    *ret_gid = gr->gr_gid;
    return 0;
}

/* user, group and dynamic_ownership of virtqemud.conf, as in qemu.conf. */
static int
read_dac_config(const Conf *conf, QemuDriverConfig *cfg, Error *error)
{
    const char *user = "root", *group = "root";
    auto_cleanup(free_ptr) char *name = NULL;
    bool dynamic = true;
    uid_t uid = 0;
    gid_t user_gid = 0, gid = 0;
    int r;

    r = conf_get_string(conf, "user", &user, error);
    if (r >= 0)
        r = conf_get_string(conf, "group", &group, error);
    if (r >= 0)
        r = conf_get_bool(conf, "dynamic_ownership", &dynamic, error);
    if (r >= 0)
        r = parse_user(user, &uid, &user_gid, &name, error);
    if (r >= 0)
        r = parse_group(group, &gid, error);
    if (r < 0)
        return r;
    cfg->user = uid;
    cfg->group = gid;
    cfg->dynamic_ownership = dynamic;
    /* The user's own groups, as libvirt gives them to QEMU (kvm for
     * /dev/kvm, say), with the configured group. */
    {
        int n = 16;
        bool have = false;

        for (;;) {
            qemu_groups = xrealloc(qemu_groups, (n + 1) * sizeof(gid_t));
            if (!name) {
                qemu_groups[0] = user_gid;
                n = 1;
                break;
            }
            if (getgrouplist(name, user_gid, qemu_groups, &n) >= 0)
                break;
            n *= 2;
        }
        for (int i = 0; i < n; i++)
            have = have || qemu_groups[i] == gid;
        if (!have)
            qemu_groups[n++] = gid;
        cfg->groups = qemu_groups;
        cfg->n_groups = n;
    }
    if (uid != 0)
        log_info("QEMU runs as uid:gid %u:%u%s", (unsigned) uid, (unsigned) gid,
                 dynamic ? ", with dynamic ownership" : "");
    return 0;
}

static int
qemud_init(Daemon *d, Error *error)
{
    QemuDriverConfig cfg = {
        .root = d->root,
        .loop = d->loop,
        .bus = d->bus,
        .hooks = qemu_bus_hooks,
        .hooks_userdata = &qemu_bus,
    };
    int r;

    r = read_dac_config(d->conf, &cfg, error);
    if (r < 0)
        return r;
    qemu_bus.bus = d->bus;
    r = qemu_bus_register(&qemu_bus, error);
    if (r < 0)
        return r;
    /* Loading reconnects to running guests; nobody can listen yet, so the
     * objects it finds are not announced one by one. */
    r = qemu_driver_new(&cfg, &qemu_bus.drv, error);
    if (r < 0)
        return r;
    qemu_bus.announce = true;
    d->userdata = &qemu_bus;
    return 0;
}

static void
qemud_ready(Daemon *d)
{
    qemu_driver_autostart(qemu_bus.drv);
}

static bool
qemud_busy(Daemon *d)
{
    return qemu_bus.drv && qemu_driver_has_active(qemu_bus.drv);
}

static void
qemud_stop(Daemon *d)
{
    /* Guests outlive the daemon: only our side of them is closed. */
    qemu_driver_free(steal_ptr(qemu_bus.drv));
    free(steal_ptr(qemu_groups));
}

static const DaemonSpec qemud_spec = {
    .name = "virtqemud",
    .bus_name = "org.libvirt.qemu",
    .conf_name = "virtqemud.conf",
    .init = qemud_init,
    .ready = qemud_ready,
    .busy = qemud_busy,
    .stop = qemud_stop,
};

int
main(int argc, char **argv)
{
    return daemon_main(&qemud_spec, argc, argv);
}
