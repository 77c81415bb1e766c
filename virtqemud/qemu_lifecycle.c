/* What a guest's power off, reboot and crash do (<on_poweroff>,
 * <on_reboot>, <on_crash>), changed with virDomainSetLifecycleAction, and
 * told to QEMU: it runs with -no-shutdown, so virtqemud decides on a power
 * off or a crash itself; a guest's reboot is QEMU's to do unless it is to
 * destroy the guest, which QMP set-action turns into a shutdown (as
 * libvirt does with QEMU's set-action). */
#include <errno.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"

/* libvirt's virDomainLifecycleAction numbers to ours. */
static const DomainLifecycleAction api_actions[] = {
    [DOMAIN_LIFECYCLE_ACTION_DESTROY] = DOMAIN_LIFECYCLE_DESTROY,
    [DOMAIN_LIFECYCLE_ACTION_RESTART] = DOMAIN_LIFECYCLE_RESTART,
    [DOMAIN_LIFECYCLE_ACTION_RESTART_RENAME] = DOMAIN_LIFECYCLE_RENAME_RESTART,
    [DOMAIN_LIFECYCLE_ACTION_PRESERVE] = DOMAIN_LIFECYCLE_PRESERVE,
    [DOMAIN_LIFECYCLE_ACTION_COREDUMP_DESTROY] = DOMAIN_LIFECYCLE_COREDUMP_DESTROY,
    [DOMAIN_LIFECYCLE_ACTION_COREDUMP_RESTART] = DOMAIN_LIFECYCLE_COREDUMP_RESTART,
};

static DomainLifecycleAction *
field(DomainDef *def, unsigned type)
{
    return type == DOMAIN_LIFECYCLE_POWEROFF ? &def->on_poweroff
           : type == DOMAIN_LIFECYCLE_REBOOT ? &def->on_reboot : &def->on_crash;
}

/* libvirt's qemuValidateLifecycleAction on @def with @type set to @a. */
static int
validate(const DomainDef *def, unsigned type, DomainLifecycleAction a, Error *error)
{
    DomainLifecycleAction off = def->on_poweroff, reboot = def->on_reboot, crash = def->on_crash;

    *(type == DOMAIN_LIFECYCLE_POWEROFF ? &off : type == DOMAIN_LIFECYCLE_REBOOT ? &reboot
                                                                                  : &crash) = a;
    if (off == DOMAIN_LIFECYCLE_RENAME_RESTART || reboot == DOMAIN_LIFECYCLE_RENAME_RESTART ||
        crash == DOMAIN_LIFECYCLE_RENAME_RESTART)
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                         "unsupported configuration: qemu driver doesn't support the "
                         "'rename-restart' action for 'on_reboot'/'on_poweroff'/'on_crash'");
    if (off == DOMAIN_LIFECYCLE_PRESERVE || reboot == DOMAIN_LIFECYCLE_PRESERVE)
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                         "unsupported configuration: qemu driver doesn't support the "
                         "'preserve' action for 'on_reboot'/'on_poweroff'");
    if (off == DOMAIN_LIFECYCLE_RESTART && reboot == DOMAIN_LIFECYCLE_DESTROY)
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED, "%s",
                         "unsupported configuration: qemu driver doesn't support 'onReboot' set "
                         "to 'destroy and 'onPoweroff' set to 'reboot'");
    return 0;
}

json_t *
qemu_lifecycle_reboot_action(const DomainDef *def)
{
    /* A reboot that destroys the guest is a shutdown for QEMU, which
     * virtqemud then obeys with <on_reboot>; else QEMU resets. */
    return json_pack("{s:s}", "reboot",
                     def->on_reboot == DOMAIN_LIFECYCLE_DESTROY ? "shutdown" : "reset");
}

typedef struct LifecycleCall {
    Domain *dom;
    unsigned type;
    DomainLifecycleAction action;
    DomainDef *config;   /* the persistent definition with the change, or NULL */
} LifecycleCall;

static void
lifecycle_done(LifecycleCall *call, const Error *error)
{
    Domain *dom = call->dom;

    if (!error && dom->live)
        *field(dom->live, call->type) = call->action;
    qemu_hotplug_finish(dom, &call->config, NULL, error);
    domain_def_free(call->config);
    free(call);
}

static void
set_action_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    lifecycle_done(userdata, error);
}

int
qemu_domain_set_lifecycle_action(Domain *dom, unsigned type, unsigned action, unsigned flags,
                                 DomainDoneCb cb, void *userdata, Error *error)
{
    static const char *const types[] = { "poweroff", "reboot", "crash" };
    static const char *const actions[] = { "destroy", "restart", "rename-restart", "preserve",
                                           "coredump-destroy", "coredump-restart" };
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    DomainLifecycleAction a;
    LifecycleCall *call;
    int r;

    if (flags & ~(unsigned) (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetLifecycleAction",
                         flags & ~(unsigned) (DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG));
    if (type >= ARRAY_SIZE(types))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: invalid lifecycle type '%u'", type);
    if (action >= ARRAY_SIZE(actions))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: invalid lifecycle action '%u'", action);
    if (type != DOMAIN_LIFECYCLE_CRASH && (action == DOMAIN_LIFECYCLE_ACTION_COREDUMP_DESTROY ||
                                          action == DOMAIN_LIFECYCLE_ACTION_COREDUMP_RESTART))
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: Lifecycle event '%s' doesn't support '%s' "
                         "action", types[type], actions[action]);
    a = api_actions[action];
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    if ((r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if ((flags & DOMAIN_AFFECT_LIVE) && (r = validate(dom->live, type, a, error)) < 0)
        return r;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        if ((r = validate(dom->def, type, a, error)) < 0)
            return r;
        config = domain_def_copy(dom->def);
        *field(config, type) = a;
    }
    if (!(flags & DOMAIN_AFFECT_LIVE)) {
        r = qemu_hotplug_save_config(dom, &config, error);
        if (r >= 0 && cb)
            cb(dom, NULL, userdata);
        return r;
    }
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->type = type;
    call->action = a;
    call->config = steal_ptr(config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    if (type != DOMAIN_LIFECYCLE_REBOOT || dom->live->on_reboot == a) {
        lifecycle_done(call, NULL);
        return 0;
    }
    {
        DomainDef probe = *dom->live;
        probe.on_reboot = a;
        r = qmp_command(dom->monitor.conn, "set-action", qemu_lifecycle_reboot_action(&probe),
                        set_action_reply, call, error);
    }
    if (r < 0) {
        domain_def_free(call->config);
        free(call);
        qemu_job_cancel(dom);
    }
    return r;
}
