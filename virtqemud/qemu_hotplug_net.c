/* Network interfaces plugged into and out of a running guest (the disk's
 * counterpart in qemu_hotplug.c, which dispatches here).
 *
 * A live attach is a MODIFY job: for type='network' a port from
 * virtnetworkd (its bridge), for type='network' and 'bridge' a tap on the
 * bridge made here and handed to QEMU (getfd over the monitor socket), then
 * netdev_add and device_add; a step that fails takes back the ones before.
 * The detach is the disk's (device_del, DEVICE_DELETED), then netdev_del
 * and the port goes back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"

typedef enum {
    NET_STEP_PORT,     /* waits for virtnetworkd */
    NET_STEP_GETFD,
    NET_STEP_NETDEV,
    NET_STEP_DEVICE,
    NET_STEP_LINK,
    NET_STEP_DONE,
} NetStep;

typedef struct NetAttachCall {
    Domain *dom;
    DomainDef *cand;     /* the live definition with the new interface at its end */
    DomainDef *config;   /* with CONFIG: the persistent definition to save */
    QemuPortCall *port;
    char *port_net, *port_id;
    int fd;              /* the tap, until QEMU has it */
    json_t *device;
    NetStep step;
    bool netdev_added, fd_sent;
    Error error;
} NetAttachCall;

static void net_step(NetAttachCall *call);

static DomainNet *
new_net(NetAttachCall *call)
{
    return &call->cand->nets[call->cand->n_nets - 1];
}

static void
net_call_free(NetAttachCall *call)
{
    qemu_port_cancel(call->port);
    if (call->fd >= 0)
        close(call->fd);
    free(call->port_net);
    free(call->port_id);
    domain_def_free(call->cand);
    domain_def_free(call->config);
    json_decref(call->device);
    error_clear(&call->error);
    free(call);
}

static void
net_finish(NetAttachCall *call)
{
    Domain *dom = call->dom;
    DomainNet *net = new_net(call);
    const Error *result = NULL;

    if (!call->error.code && !dom->monitor.conn)
        error_set(&call->error, -EIO, VIR_ERR_OPERATION_FAILED,
                  "operation failed: domain is no longer running");
    if (call->error.code) {
        if (dom->monitor.conn && call->netdev_added)
            qmp_command(dom->monitor.conn, "netdev_del",
                        json_pack("{s:o}", "id", json_sprintf("host%s", net->alias)), NULL,
                        NULL, NULL);
        else if (dom->monitor.conn && call->fd_sent)
            qmp_command(dom->monitor.conn, "closefd",
                        json_pack("{s:o}", "fdname", json_sprintf("fd-%s", net->alias)),
                        NULL, NULL, NULL);
        qemu_port_delete(dom, call->port_net, call->port_id);
        result = &call->error;
    } else {
        size_t n = dom->res.n_ports;
        char *alias = xstrdup(net->alias);

        /* The interface and what it borrowed join the live definition at the
         * same index. */
        dom->res.net_fds = xrealloc(dom->res.net_fds, (n + 2) * sizeof(int));
        dom->res.port_ids = xrealloc(dom->res.port_ids, (n + 2) * sizeof(char *));
        dom->res.port_nets = xrealloc(dom->res.port_nets, (n + 2) * sizeof(char *));
        dom->res.net_fds[n] = -1;
        dom->res.port_ids[n] = steal_ptr(call->port_id);
        dom->res.port_nets[n] = steal_ptr(call->port_net);
        dom->res.n_ports = n + 1;
        domain_def_move_net(dom->live, call->cand, call->cand->n_nets - 1);
        qemu_hotplug_finish(dom, &call->config, alias, NULL);
        free(alias);
        net_call_free(call);
        return;
    }
    qemu_job_end(dom, result);
    net_call_free(call);
}

static void
net_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    NetAttachCall *call = userdata;

    if (error) {
        error_set(&call->error, -EIO, error->code, "%s", error->message);
        net_finish(call);
        return;
    }
    if (call->step == NET_STEP_GETFD) {
        call->fd_sent = true;
        close(call->fd); /* QEMU has its own now */
        call->fd = -1;
    } else if (call->step == NET_STEP_NETDEV) {
        call->netdev_added = true;
    }
    call->step++;
    net_step(call);
}

static void
port_ready(Domain *dom, const char *network_path, const char *port_id, const char *bridge,
           unsigned mtu, const Error *error, void *userdata)
{
    NetAttachCall *call = userdata;
    DomainNet *net = new_net(call);
    char *name;

    call->port = NULL;
    if (error) {
        error_set(&call->error, -EIO, error->code, "%s", error->message);
        net_finish(call);
        return;
    }
    call->port_net = xstrdup(network_path);
    call->port_id = xstrdup(port_id);
    if (qemu_tap_attach(net, bridge, mtu, &name, &call->fd, &call->error) < 0) {
        net_finish(call);
        return;
    }
    free(net->target_dev);
    net->target_dev = name;
    call->step = NET_STEP_GETFD;
    net_step(call);
}

static void
net_step(NetAttachCall *call)
{
    Domain *dom = call->dom;
    DomainNet *net = new_net(call);
    QmpConn *mon = dom->monitor.conn;
    int r = 0;

    if (!mon) {
        net_finish(call);
        return;
    }
    switch (call->step) {
    case NET_STEP_PORT:
        return; /* port_ready goes on */
    case NET_STEP_GETFD:
        if (call->fd < 0) {
            call->step = NET_STEP_NETDEV;
            net_step(call);
            return;
        }
        r = qmp_command_with_fd(mon, "getfd",
                                json_pack("{s:o}", "fdname", json_sprintf("fd-%s", net->alias)),
                                call->fd, net_reply, call, &call->error);
        break;
    case NET_STEP_NETDEV:
        if (net->type == NET_TYPE_USER)
            r = qmp_command(mon, "netdev_add",
                            json_pack("{s:s,s:o}", "type", "user", "id",
                                      json_sprintf("host%s", net->alias)),
                            net_reply, call, &call->error);
        else
            r = qmp_command(mon, "netdev_add",
                            json_pack("{s:s,s:o,s:o}", "type", "tap", "fd",
                                      json_sprintf("fd-%s", net->alias), "id",
                                      json_sprintf("host%s", net->alias)),
                            net_reply, call, &call->error);
        break;
    case NET_STEP_DEVICE:
        r = qmp_command(mon, "device_add", json_incref(call->device), net_reply, call,
                        &call->error);
        break;
    case NET_STEP_LINK:
        /* <link state='down'/>, as at start. */
        if (!STREQ_NULL(net->link_state, "down")) {
            call->step = NET_STEP_DONE;
            net_step(call);
            return;
        }
        r = qmp_command(mon, "set_link", json_pack("{s:s,s:b}", "name", net->alias, "up", 0),
                        net_reply, call, &call->error);
        break;
    case NET_STEP_DONE:
        net_finish(call);
        return;
    }
    if (r < 0)
        net_finish(call);
}

/* libvirt's qemuAssignDeviceNetAlias: one past the highest netN. */
static char *
next_net_alias(const DomainDef *def)
{
    unsigned next = 0;

    for (size_t i = 0; i < def->n_nets; i++)
        next = qemu_hotplug_next_alias("net", def->nets[i].alias, next);
    return xasprintf("net%u", next);
}

int
qemu_hotplug_net_attach_live(Domain *dom, DomainDef *dev, DomainDef **config, DomainDoneCb cb,
                             void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    NetAttachCall *call;
    DomainNet *net;
    size_t n_controllers;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (dev->nets[0].type != NET_TYPE_USER && dev->nets[0].type != NET_TYPE_BRIDGE &&
        dev->nets[0].type != NET_TYPE_NETWORK)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: hotplug of interface type of %s is not "
                         "implemented yet", net_type_to_string(dev->nets[0].type));
    cand = domain_def_copy(dom->live);
    n_controllers = cand->n_controllers;
    domain_def_move_net(cand, dev, 0);
    net = &cand->nets[cand->n_nets - 1];
    free(steal_ptr(net->alias));
    free(steal_ptr(net->target_dev)); /* ours to name, as at start */
    r = qemu_hotplug_prepare(cand, error);
    if (r < 0)
        return r;
    if (cand->n_controllers != n_controllers)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: interface %s needs a controller the guest "
                         "does not have; attach the controller first", net->mac);
    net = &cand->nets[cand->n_nets - 1];
    net->alias = next_net_alias(dom->live);

    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->fd = -1;
    r = qemu_command_build_net(cand, cand->n_nets - 1, &call->device, error);
    if (r >= 0 && net->type == NET_TYPE_BRIDGE) {
        char *name;
        r = qemu_tap_attach(net, net->source, 0, &name, &call->fd, error);
        if (r >= 0) {
            free(net->target_dev);
            net->target_dev = name;
        }
    }
    if (r < 0) {
        net_call_free(call);
        return r;
    }
    call->cand = steal_ptr(cand);
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    if (net->type == NET_TYPE_NETWORK) {
        call->step = NET_STEP_PORT;
        call->port = qemu_port_create(dom, net, port_ready, call, &call->error);
        if (!call->port)
            net_finish(call);
        return 0;
    }
    call->step = NET_STEP_GETFD;
    net_step(call);
    return 0;
}

/* ---- the persistent definition and the detach -------------------------- */

ssize_t
qemu_hotplug_net_find(const DomainDef *def, const DomainNet *net, Error *error)
{
    bool by_mac = !net->mac_generated;
    bool by_pci = net->address.type == DEVICE_ADDRESS_PCI;
    ssize_t match = -1;

    for (size_t i = 0; i < def->n_nets; i++) {
        const DomainNet *n = &def->nets[i];

        if (by_mac && strcasecmp(n->mac, net->mac) != 0)
            continue;
        if (by_pci && !domain_device_address_equal(&n->address, &net->address))
            continue;
        if (net->alias && n->alias && !STREQ(net->alias, n->alias))
            continue;
        if (match >= 0)
            return by_mac ? error_set(error, -EINVAL, VIR_ERR_OPERATION_FAILED,
                                      "operation failed: multiple devices matching MAC "
                                      "address %s found", net->mac)
                          : error_set(error, -EINVAL, VIR_ERR_OPERATION_FAILED,
                                      "operation failed: multiple matching devices found");
        match = (ssize_t) i;
    }
    if (match >= 0)
        return match;
    if (by_pci)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: no device found at address '%04x:%02x:%02x.%x' "
                         "matching MAC address '%s' and alias '%s'", net->address.domain,
                         net->address.bus, net->address.slot, net->address.function,
                         by_mac ? net->mac : "(<null>)", net->alias ? net->alias : "(<null>)");
    return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                     "device not found: no device found at address '(<null>)' matching MAC "
                     "address '%s' and alias '%s'", by_mac ? net->mac : "(<null>)",
                     net->alias ? net->alias : "(<null>)");
}

int
qemu_hotplug_net_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    int r;

    /* As libvirt 9.0, a MAC already there is no reason to refuse. */
    domain_def_move_net(def, dev, 0);
    r = qemu_hotplug_prepare(def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

typedef struct NetRemoveCall {
    Domain *dom;
    char *alias;
} NetRemoveCall;

static void
net_gone(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;

    for (size_t i = 0; live && i < live->n_nets; i++) {
        size_t n = dom->res.n_ports;

        if (!STREQ_NULL(live->nets[i].alias, alias))
            continue;
        if (i < n) {
            qemu_port_delete(dom, dom->res.port_nets[i], dom->res.port_ids[i]);
            free(dom->res.port_nets[i]);
            free(dom->res.port_ids[i]);
            if (dom->res.net_fds[i] >= 0)
                close(dom->res.net_fds[i]);
            memmove(&dom->res.port_nets[i], &dom->res.port_nets[i + 1],
                    (n - i - 1) * sizeof(char *));
            memmove(&dom->res.port_ids[i], &dom->res.port_ids[i + 1],
                    (n - i - 1) * sizeof(char *));
            memmove(&dom->res.net_fds[i], &dom->res.net_fds[i + 1], (n - i - 1) * sizeof(int));
            dom->res.n_ports = n - 1;
        }
        domain_def_remove_net(live, i);
        break;
    }
    qemu_hotplug_removed(dom, alias);
}

static void
netdev_deleted(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    NetRemoveCall *call = userdata;

    if (error)
        log_warn("domain '%s': the backend of %s stays: %s", call->dom->def->name,
                 call->alias, error->message);
    if (!call->dom->removed && call->dom->live)
        net_gone(call->dom, call->alias);
    domain_unref(call->dom);
    free(call->alias);
    free(call);
}

bool
qemu_hotplug_net_removed(Domain *dom, const char *alias)
{
    NetRemoveCall *call;

    for (size_t i = 0; dom->live && i < dom->live->n_nets; i++) {
        if (!STREQ_NULL(dom->live->nets[i].alias, alias))
            continue;
        if (!dom->monitor.conn) {
            net_gone(dom, alias);
            return true;
        }
        call = xcalloc(1, sizeof(*call));
        call->dom = dom;
        call->alias = xstrdup(alias);
        domain_ref(dom);
        if (qmp_command(dom->monitor.conn, "netdev_del",
                        json_pack("{s:o}", "id", json_sprintf("host%s", alias)), netdev_deleted,
                        call, NULL) < 0)
            netdev_deleted(dom->monitor.conn, NULL, NULL, call);
        return true;
    }
    return false;
}

/* ---- update: the link state ------------------------------------------- */

typedef struct LinkCall {
    Domain *dom;
    size_t net;          /* in the live definition */
    bool down;
    DomainDef *config;   /* the persistent definition with the change, or NULL */
} LinkCall;

static void
link_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    LinkCall *call = userdata;
    Domain *dom = call->dom;

    if (!error && dom->live && call->net < dom->live->n_nets) {
        DomainNet *n = &dom->live->nets[call->net];
        free(n->link_state);
        n->link_state = call->down ? xstrdup("down") : NULL;
    }
    qemu_hotplug_finish(dom, &call->config, NULL, error);
    domain_def_free(call->config);
    free(call);
}

/* What an update may change here: the link state. Anything else that
 * differs is refused (libvirt's model message for the model). */
static int
net_update_check(const DomainNet *cur, const DomainNet *n, Error *error)
{
    if (cur->model != n->model || !STREQ_NULL(cur->model_name, n->model_name))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_NO_SUPPORT,
                         "this function is not supported by the connection driver: cannot "
                         "modify network device model from %s to %s",
                         str_or_empty(net_model_name(cur)), str_or_empty(net_model_name(n)));
    if (cur->type != n->type || !STREQ_NULL(cur->source, n->source))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: unable to change config on '%s' network "
                         "type", net_type_to_string(cur->type));
    return 0;
}

int
qemu_hotplug_net_update(Domain *dom, DomainDef *dev, unsigned flags, DomainDoneCb cb,
                        void *userdata, Error *error)
{
    const DomainNet *n = &dev->nets[0];
    bool down = STREQ_NULL(n->link_state, "down");
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    LinkCall *call;
    ssize_t live_i = -1, cfg_i;
    int r;

    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        if ((cfg_i = qemu_hotplug_net_find(config, n, error)) < 0)
            return (int) cfg_i;
        if ((r = net_update_check(&config->nets[cfg_i], n, error)) < 0)
            return r;
        free(config->nets[cfg_i].link_state);
        config->nets[cfg_i].link_state = down ? xstrdup("down") : NULL;
    }
    if (!(flags & DOMAIN_AFFECT_LIVE)) {
        r = qemu_hotplug_save_config(dom, &config, error);
        if (r >= 0 && cb)
            cb(dom, NULL, userdata);
        return r;
    }
    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if ((live_i = qemu_hotplug_net_find(dom->live, n, error)) < 0)
        return (int) live_i;
    if ((r = net_update_check(&dom->live->nets[live_i], n, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->net = (size_t) live_i;
    call->down = down;
    call->config = steal_ptr(config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "set_link",
                    json_pack("{s:s,s:b}", "name", dom->live->nets[live_i].alias, "up", !down),
                    link_reply, call, error);
    if (r < 0) {
        domain_def_free(call->config);
        free(call);
        qemu_job_cancel(dom);
    }
    return r;
}
