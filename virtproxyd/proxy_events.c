/* Event registrations of each client, and the daemons' event signals turned
 * into RPC event messages.
 *
 * A libvirt client keeps one server registration per event id and filters
 * locally; the callback id we hand out is what it uses to find its own
 * callbacks, so it is unique per connection and sent back verbatim. The
 * events with a signal behind them are the lifecycle ones, BALLOON_CHANGE,
 * TRAY_CHANGE, METADATA_CHANGE, AGENT_LIFECYCLE and the three device
 * events; registrations for other event ids are
 * accepted (as libvirt does) and simply never fire. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "log.h"
#include "proxy.h"

static void domain_monitor_event(Proxy *proxy, MirrorService *svc, sd_bus_message *m);

/* The largest virDomainEventID of libvirt 9.0. */
#define DOMAIN_EVENT_ID_LAST DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE

static int
add_reg(Client *c, int family, int event_id, const char *filter_path)
{
    EventReg *reg;

    c->events = xrealloc(c->events, (c->n_events + 1) * sizeof(*c->events));
    reg = &c->events[c->n_events++];
    memset(reg, 0, sizeof(*reg));
    reg->family = family;
    reg->event_id = event_id;
    reg->callback_id = family == EVENT_FAMILY_DOMAIN_LEGACY ? -1 : c->next_callback_id++;
    reg->has_filter = filter_path != NULL;
    reg->filter_path = filter_path ? xstrdup(filter_path) : NULL;
    return reg->callback_id;
}

static void
remove_reg_at(Client *c, size_t i)
{
    free(c->events[i].filter_path);
    free(c->events[i].event_name);
    if (c->events[i].event_regex) {
        regfree(c->events[i].event_regex);
        free(c->events[i].event_regex);
    }
    memmove(&c->events[i], &c->events[i + 1], (c->n_events - i - 1) * sizeof(*c->events));
    c->n_events--;
}

static int
remove_reg(Client *c, int family, int callback_id, Error *error)
{
    for (size_t i = 0; i < c->n_events; i++)
        if (c->events[i].family == family && c->events[i].callback_id == callback_id) {
            remove_reg_at(c, i);
            return 0;
        }
    return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                     "callback ID %d not registered", callback_id);
}

void
proxy_events_client_gone(Client *c)
{
    while (c->n_events)
        remove_reg_at(c, c->n_events - 1);
    free(c->events);
    c->events = NULL;
}

/* ---- registration calls ------------------------------------------------- */

static int
h_domain_register_any(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_domain_event_callback_register_any_args *args = args_;
    remote_connect_domain_event_callback_register_any_ret *ret = ret_;
    auto_cleanup(free_ptr) char *path = NULL;

    if (args->eventID < 0 || args->eventID > DOMAIN_EVENT_ID_LAST)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unsupported event ID %d",
                         args->eventID);
    if (args->dom)
        path = mirror_domain_path((const uint8_t *) args->dom->uuid);
    ret->callbackID = add_reg(call->client, EVENT_FAMILY_DOMAIN, args->eventID, path);
    return 0;
}

static int
h_domain_deregister_any(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_domain_event_callback_deregister_any_args *args = args_;

    return remove_reg(call->client, EVENT_FAMILY_DOMAIN, args->callbackID, error);
}

static int
legacy_remove(Client *c, int event_id)
{
    for (size_t i = 0; i < c->n_events; i++)
        if (c->events[i].family == EVENT_FAMILY_DOMAIN_LEGACY &&
            c->events[i].event_id == event_id) {
            remove_reg_at(c, i);
            return 0;
        }
    return -ENOENT;
}

static int
h_domain_register(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_domain_event_register_ret *ret = ret_;

    legacy_remove(call->client, DOMAIN_EVENT_ID_LIFECYCLE);
    add_reg(call->client, EVENT_FAMILY_DOMAIN_LEGACY, DOMAIN_EVENT_ID_LIFECYCLE, NULL);
    ret->cb_registered = 1;
    return 0;
}

static int
h_domain_deregister(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_domain_event_deregister_ret *ret = ret_;

    if (legacy_remove(call->client, DOMAIN_EVENT_ID_LIFECYCLE) < 0)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "domain event %d not registered", DOMAIN_EVENT_ID_LIFECYCLE);
    ret->cb_registered = 0;
    return 0;
}

static int
h_domain_register_any_legacy(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_domain_event_register_any_args *args = args_;

    if (args->eventID < 0 || args->eventID > DOMAIN_EVENT_ID_LAST)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unsupported event ID %d",
                         args->eventID);
    legacy_remove(call->client, args->eventID); /* registering twice replaces */
    add_reg(call->client, EVENT_FAMILY_DOMAIN_LEGACY, args->eventID, NULL);
    return 0;
}

static int
h_domain_deregister_any_legacy(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_domain_event_deregister_any_args *args = args_;

    if (legacy_remove(call->client, args->eventID) < 0)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "domain event %d not registered", args->eventID);
    return 0;
}

static char *
uuid_path(const char *kind, const char uuid[16])
{
    const uint8_t *u = (const uint8_t *) uuid;

    return xasprintf(MIRROR_ROOT_PATH "/%s/_%02x%02x%02x%02x_%02x%02x_%02x%02x_%02x%02x_"
                     "%02x%02x%02x%02x%02x%02x", kind, u[0], u[1], u[2], u[3], u[4], u[5],
                     u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int
h_network_register(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_network_event_register_any_args *args = args_;
    remote_connect_network_event_register_any_ret *ret = ret_;
    auto_cleanup(free_ptr) char *path = args->net ? uuid_path("network", args->net->uuid) : NULL;

    if (args->eventID != 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unsupported event ID %d",
                         args->eventID);
    ret->callbackID = add_reg(call->client, EVENT_FAMILY_NETWORK, args->eventID, path);
    return 0;
}

static int
h_network_deregister(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_network_event_deregister_any_args *args = args_;

    return remove_reg(call->client, EVENT_FAMILY_NETWORK, args->callbackID, error);
}

static int
h_pool_register(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_storage_pool_event_register_any_args *args = args_;
    remote_connect_storage_pool_event_register_any_ret *ret = ret_;
    auto_cleanup(free_ptr) char *path =
        args->pool ? uuid_path("storagepool", args->pool->uuid) : NULL;

    if (args->eventID < 0 || args->eventID > 1)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unsupported event ID %d",
                         args->eventID);
    ret->callbackID = add_reg(call->client, EVENT_FAMILY_POOL, args->eventID, path);
    return 0;
}

static int
h_pool_deregister(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_storage_pool_event_deregister_any_args *args = args_;

    return remove_reg(call->client, EVENT_FAMILY_POOL, args->callbackID, error);
}

static int
h_nodedev_register(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_node_device_event_register_any_args *args = args_;
    remote_connect_node_device_event_register_any_ret *ret = ret_;
    auto_cleanup(free_ptr) char *name = args->dev ? xstrdup(args->dev->name) : NULL;

    if (args->eventID < 0 || args->eventID > 1)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unsupported event ID %d",
                         args->eventID);
    /* Node devices are filtered by name (their paths are not derived from
     * a uuid): the filter holds the name. */
    ret->callbackID = add_reg(call->client, EVENT_FAMILY_NODEDEV, args->eventID, name);
    return 0;
}

static int
h_nodedev_deregister(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_node_device_event_deregister_any_args *args = args_;

    return remove_reg(call->client, EVENT_FAMILY_NODEDEV, args->callbackID, error);
}

/* ---- signals into messages ---------------------------------------------- */

static void
domain_lifecycle(Proxy *proxy, MirrorService *svc, const char *path, int event, int detail)
{
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_lifecycle_msg msg;

    if (!obj) {
        log_debug("lifecycle event %d for %s, which is not mirrored", event, path);
        return;
    }
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.msg.dom);
    msg.msg.event = event;
    msg.msg.detail = detail;
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != DOMAIN_EVENT_ID_LIFECYCLE ||
                (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            if (reg->family == EVENT_FAMILY_DOMAIN) {
                msg.callbackID = reg->callback_id;
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                                  (xdrproc_t) xdr_remote_domain_event_callback_lifecycle_msg,
                                  &msg);
            } else if (reg->family == EVENT_FAMILY_DOMAIN_LEGACY) {
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE,
                                  (xdrproc_t) xdr_remote_domain_event_lifecycle_msg, &msg.msg);
            }
        }
    }
    xdr_free((xdrproc_t) xdr_remote_domain_event_lifecycle_msg, (char *) &msg.msg);
}

/* The guest's balloon reached @actual KiB (org.libvirt.Domain.BalloonChange). */
static void
domain_balloon(Proxy *proxy, MirrorService *svc, const char *path, uint64_t actual)
{
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_balloon_change_msg msg;

    if (!obj)
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.msg.dom);
    msg.msg.actual = actual;
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != DOMAIN_EVENT_ID_BALLOON_CHANGE ||
                (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            if (reg->family == EVENT_FAMILY_DOMAIN) {
                msg.callbackID = reg->callback_id;
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE,
                                  (xdrproc_t) xdr_remote_domain_event_callback_balloon_change_msg,
                                  &msg);
            } else if (reg->family == EVENT_FAMILY_DOMAIN_LEGACY) {
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_BALLOON_CHANGE,
                                  (xdrproc_t) xdr_remote_domain_event_balloon_change_msg,
                                  &msg.msg);
            }
        }
    }
    xdr_free((xdrproc_t) xdr_remote_domain_event_balloon_change_msg, (char *) &msg.msg);
}

/* A device signal of org.libvirt.Domain (DeviceAdded, DeviceRemoved,
 * DeviceRemovalFailed) for @alias. Only DEVICE_REMOVED has a legacy
 * message; libvirtd sends the other two to callback registrations only. */
static void
domain_device(Proxy *proxy, MirrorService *svc, const char *path, int event_id,
              const char *alias)
{
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_device_removed_msg msg;

    if (!obj)
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.msg.dom);
    msg.msg.devAlias = xstrdup(alias);
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != event_id ||
                (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            if (reg->family == EVENT_FAMILY_DOMAIN_LEGACY) {
                if (event_id == DOMAIN_EVENT_ID_DEVICE_REMOVED)
                    client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_DEVICE_REMOVED,
                                      (xdrproc_t) xdr_remote_domain_event_device_removed_msg,
                                      &msg.msg);
                continue;
            }
            if (reg->family != EVENT_FAMILY_DOMAIN)
                continue;
            msg.callbackID = reg->callback_id;
            if (event_id == DOMAIN_EVENT_ID_DEVICE_REMOVED) {
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
                                  (xdrproc_t) xdr_remote_domain_event_callback_device_removed_msg,
                                  &msg);
            } else {
                /* added and removal_failed: {callbackID, dom, devAlias}, flat */
                remote_domain_event_callback_device_added_msg flat = {
                    .callbackID = reg->callback_id,
                    .dom = msg.msg.dom,
                    .devAlias = msg.msg.devAlias,
                };
                if (event_id == DOMAIN_EVENT_ID_DEVICE_ADDED)
                    client_send_event(
                        c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_ADDED,
                        (xdrproc_t) xdr_remote_domain_event_callback_device_added_msg, &flat);
                else
                    client_send_event(
                        c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED,
                        (xdrproc_t) xdr_remote_domain_event_callback_device_removal_failed_msg,
                        &flat);
            }
        }
    }
    xdr_free((xdrproc_t) xdr_remote_domain_event_device_removed_msg, (char *) &msg.msg);
}

/* A cdrom's tray moved (org.libvirt.Domain.TrayChange, libvirt's reason). */
static void
domain_tray(Proxy *proxy, MirrorService *svc, const char *path, const char *alias,
            int reason)
{
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_tray_change_msg msg;

    if (!obj)
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.msg.dom);
    msg.msg.devAlias = xstrdup(alias);
    msg.msg.reason = reason;
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != DOMAIN_EVENT_ID_TRAY_CHANGE ||
                (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            if (reg->family == EVENT_FAMILY_DOMAIN) {
                msg.callbackID = reg->callback_id;
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TRAY_CHANGE,
                                  (xdrproc_t) xdr_remote_domain_event_callback_tray_change_msg,
                                  &msg);
            } else if (reg->family == EVENT_FAMILY_DOMAIN_LEGACY) {
                client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_TRAY_CHANGE,
                                  (xdrproc_t) xdr_remote_domain_event_tray_change_msg,
                                  &msg.msg);
            }
        }
    }
    xdr_free((xdrproc_t) xdr_remote_domain_event_tray_change_msg, (char *) &msg.msg);
}

/* PMSUSPEND, PMWAKEUP or PMSUSPEND_DISK (org.libvirt.Domain.PMSuspend,
 * PMWakeup, PMSuspendDisk): the three messages have one shape. */
static void
domain_pm(Proxy *proxy, MirrorService *svc, const char *path, int event_id, int reason)
{
    static const struct {
        int event_id, callback_proc, legacy_proc;
    } procs[] = {
        { DOMAIN_EVENT_ID_PMSUSPEND, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_PMSUSPEND,
          REMOTE_PROC_DOMAIN_EVENT_PMSUSPEND },
        { DOMAIN_EVENT_ID_PMWAKEUP, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_PMWAKEUP,
          REMOTE_PROC_DOMAIN_EVENT_PMWAKEUP },
        { DOMAIN_EVENT_ID_PMSUSPEND_DISK, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK,
          REMOTE_PROC_DOMAIN_EVENT_PMSUSPEND_DISK },
    };
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_pmsuspend_msg msg;
    size_t k;

    for (k = 0; k < ARRAY_SIZE(procs) && procs[k].event_id != event_id; k++)
        ;
    if (!obj || k == ARRAY_SIZE(procs))
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.msg.dom);
    msg.reason = reason;
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != event_id || (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            if (reg->family == EVENT_FAMILY_DOMAIN) {
                msg.callbackID = reg->callback_id;
                client_send_event(c, procs[k].callback_proc,
                                  (xdrproc_t) xdr_remote_domain_event_callback_pmsuspend_msg,
                                  &msg);
            } else if (reg->family == EVENT_FAMILY_DOMAIN_LEGACY) {
                client_send_event(c, procs[k].legacy_proc,
                                  (xdrproc_t) xdr_remote_domain_event_pmsuspend_msg, &msg.msg);
            }
        }
    }
    xdr_free((xdrproc_t) xdr_remote_domain_event_pmsuspend_msg, (char *) &msg.msg);
}

/* Sends @msg, whose callbackID is *@cbid, to every callback registration
 * of @event_id that the domain at @path passes. */
static void
send_callback_event(Proxy *proxy, const char *path, int event_id, int proc, xdrproc_t xproc,
                    void *msg, int *cbid)
{
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != event_id || reg->family != EVENT_FAMILY_DOMAIN ||
                (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            *cbid = reg->callback_id;
            client_send_event(c, proc, xproc, msg);
        }
    }
}

/* The guest agent's port opened or closed (AgentEvent). libvirt has no
 * legacy message for it. */
static void
domain_agent(Proxy *proxy, MirrorService *svc, const char *path, int state, int reason)
{
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_agent_lifecycle_msg msg;

    if (!obj)
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.dom);
    msg.state = state;
    msg.reason = reason;
    send_callback_event(proxy, path, DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                        REMOTE_PROC_DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE,
                        (xdrproc_t) xdr_remote_domain_event_callback_agent_lifecycle_msg, &msg,
                        &msg.callbackID);
    xdr_free((xdrproc_t) xdr_remote_domain_event_callback_agent_lifecycle_msg, (char *) &msg);
}

/* SetMetadata changed a title, description or element (MetadataChange,
 * "" for no namespace). libvirt has no legacy message for it. */
static void
domain_metadata(Proxy *proxy, MirrorService *svc, const char *path, int type, const char *nsuri)
{
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_metadata_change_msg msg;

    if (!obj)
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.dom);
    msg.type = type;
    if (*nsuri) {
        msg.nsuri = xmalloc(sizeof(*msg.nsuri));
        *msg.nsuri = xstrdup(nsuri);
    }
    send_callback_event(proxy, path, DOMAIN_EVENT_ID_METADATA_CHANGE,
                        REMOTE_PROC_DOMAIN_EVENT_CALLBACK_METADATA_CHANGE,
                        (xdrproc_t) xdr_remote_domain_event_callback_metadata_change_msg, &msg,
                        &msg.callbackID);
    xdr_free((xdrproc_t) xdr_remote_domain_event_callback_metadata_change_msg, (char *) &msg);
}

/* Networks and pools are {name, uuid}: the same wire shape, so one sender
 * serves both (the msg structs differ only in their type names). */
static void
named_lifecycle(Proxy *proxy, MirrorService *svc, int family, const char *iface,
                const char *path, int event, int detail)
{
    MirrorObject *obj = mirror_find(svc, path);
    const char *name = obj ? mirror_get_str(obj, iface, "Name", NULL) : NULL;

    if (!name) {
        log_debug("lifecycle event %d for %s, which is not mirrored", event, path);
        return;
    }
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->family != family || reg->event_id != 0)
                continue;
            if (family == EVENT_FAMILY_NETWORK) {
                remote_network_event_lifecycle_msg msg = {
                    .callbackID = reg->callback_id,
                    .net.name = (char *) name,
                    .event = event,
                    .detail = detail,
                };
                if (reg->has_filter && !STREQ(reg->filter_path, path))
                    continue;
                mirror_path_uuid(path, (uint8_t *) msg.net.uuid);
                client_send_event(c, REMOTE_PROC_NETWORK_EVENT_LIFECYCLE,
                                  (xdrproc_t) xdr_remote_network_event_lifecycle_msg, &msg);
            } else {
                remote_storage_pool_event_lifecycle_msg msg = {
                    .callbackID = reg->callback_id,
                    .pool.name = (char *) name,
                    .event = event,
                    .detail = detail,
                };
                if (reg->has_filter && !STREQ(reg->filter_path, path))
                    continue;
                mirror_path_uuid(path, (uint8_t *) msg.pool.uuid);
                client_send_event(c, REMOTE_PROC_STORAGE_POOL_EVENT_LIFECYCLE,
                                  (xdrproc_t) xdr_remote_storage_pool_event_lifecycle_msg,
                                  &msg);
            }
        }
    }
}

/* ---- node device events ------------------------------------------------- */

/* virtnodedevd's NodeDeviceEvent numbers: CREATED..UNDEFINED are libvirt's
 * lifecycle events (event id 0); UPDATED is libvirt's separate UPDATE event
 * (event id 1), a message without event or detail. */
#define NODEDEV_EVENT_LAST_LIFECYCLE NODEDEV_EVENT_UNDEFINED

static void
nodedev_event(Proxy *proxy, MirrorService *svc, const char *path, int event, int detail)
{
    MirrorObject *obj = mirror_find(svc, path);
    const char *name = obj ? mirror_get_str(obj, "org.libvirt.NodeDevice", "Name", NULL) : NULL;
    int event_id;

    if (event >= 0 && event <= NODEDEV_EVENT_LAST_LIFECYCLE)
        event_id = NODEDEV_EVENT_ID_LIFECYCLE;
    else if (event == NODEDEV_EVENT_UPDATED)
        event_id = NODEDEV_EVENT_ID_UPDATE;
    else
        return;
    if (!name) {
        log_debug("node device event %d for %s, which is not mirrored", event, path);
        return;
    }
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->family != EVENT_FAMILY_NODEDEV || reg->event_id != event_id ||
                (reg->has_filter && !STREQ(reg->filter_path, name)))
                continue;
            if (event_id == NODEDEV_EVENT_ID_LIFECYCLE) {
                remote_node_device_event_lifecycle_msg msg = {
                    .callbackID = reg->callback_id,
                    .dev.name = (char *) name,
                    .event = event,
                    .detail = detail,
                };
                client_send_event(c, REMOTE_PROC_NODE_DEVICE_EVENT_LIFECYCLE,
                                  (xdrproc_t) xdr_remote_node_device_event_lifecycle_msg, &msg);
            } else {
                remote_node_device_event_update_msg msg = {
                    .callbackID = reg->callback_id,
                    .dev.name = (char *) name,
                };
                client_send_event(c, REMOTE_PROC_NODE_DEVICE_EVENT_UPDATE,
                                  (xdrproc_t) xdr_remote_node_device_event_update_msg, &msg);
            }
        }
    }
}

/* A live tuning change (Tunable, a{sv}). Callback only, as in
 * libvirt. */
static void
domain_tunable(Proxy *proxy, MirrorService *svc, sd_bus_message *m)
{
    const char *path = sd_bus_message_get_path(m);
    MirrorObject *obj = mirror_find(svc, path);
    remote_domain_event_callback_tunable_msg msg;

    if (!obj)
        return;
    memset(&msg, 0, sizeof(msg));
    if (proxy_params_read(m, &msg.params.params_val, &msg.params.params_len) < 0)
        return;
    proxy_domain_from_object(obj, &msg.dom);
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->event_id != DOMAIN_EVENT_ID_TUNABLE || reg->family != EVENT_FAMILY_DOMAIN ||
                (reg->has_filter && !STREQ(reg->filter_path, path)))
                continue;
            msg.callbackID = reg->callback_id;
            client_send_event(c, REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TUNABLE,
                              (xdrproc_t) xdr_remote_domain_event_callback_tunable_msg, &msg);
        }
    }
    xdr_free((xdrproc_t) xdr_remote_domain_event_callback_tunable_msg, (char *) &msg);
}

void
proxy_events_signal(MirrorService *svc, sd_bus_message *m, void *userdata)
{
    Proxy *proxy = userdata;
    const char *member = sd_bus_message_get_member(m);
    const char *path;
    int32_t event, detail = 0;

    /* A pool's Refresh signal is on the pool object, not on Connect. */
    if (svc->id == MIRROR_SVC_STORAGE)
        proxy_storage_signal(svc, m, userdata);
    if (svc->id == MIRROR_SVC_QEMU &&
        sd_bus_message_is_signal(m, "org.virtstack.DomainState", "MonitorEvent")) {
        domain_monitor_event(proxy, svc, m);
        return;
    }
    if (svc->id == MIRROR_SVC_QEMU && sd_bus_message_is_signal(m, "org.libvirt.Domain",
                                                               "BalloonChange")) {
        uint64_t actual;
        if (sd_bus_message_read(m, "t", &actual) >= 0)
            domain_balloon(proxy, svc, sd_bus_message_get_path(m), actual);
        return;
    }
    if (svc->id == MIRROR_SVC_QEMU && sd_bus_message_is_signal(m, "org.libvirt.Domain", NULL)) {
        static const struct {
            const char *member;
            int event_id;
        } device_signals[] = {
            { "DeviceAdded", DOMAIN_EVENT_ID_DEVICE_ADDED },
            { "DeviceRemoved", DOMAIN_EVENT_ID_DEVICE_REMOVED },
            { "DeviceRemovalFailed", DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED },
        };
        const char *alias, *nsuri;
        int32_t reason, type;
        if (STREQ(member, "Tunable"))
            domain_tunable(proxy, svc, m);
        if ((STREQ(member, "PMSuspend") || STREQ(member, "PMWakeup") ||
             STREQ(member, "PMSuspendDisk")) && sd_bus_message_read(m, "i", &reason) >= 0)
            domain_pm(proxy, svc, sd_bus_message_get_path(m),
                      STREQ(member, "PMSuspend") ? DOMAIN_EVENT_ID_PMSUSPEND
                      : STREQ(member, "PMWakeup") ? DOMAIN_EVENT_ID_PMWAKEUP
                                                  : DOMAIN_EVENT_ID_PMSUSPEND_DISK, reason);
        if (STREQ(member, "AgentEvent") && sd_bus_message_read(m, "ii", &type, &reason) >= 0)
            domain_agent(proxy, svc, sd_bus_message_get_path(m), type, reason);
        if (STREQ(member, "MetadataChange") && sd_bus_message_read(m, "is", &type, &nsuri) >= 0)
            domain_metadata(proxy, svc, sd_bus_message_get_path(m), type, nsuri);
        if (STREQ(member, "TrayChange") && sd_bus_message_read(m, "si", &alias, &reason) >= 0)
            domain_tray(proxy, svc, sd_bus_message_get_path(m), alias, reason);
        for (size_t i = 0; i < ARRAY_SIZE(device_signals); i++)
            if (STREQ(member, device_signals[i].member) &&
                sd_bus_message_read(m, "s", &alias) >= 0)
                domain_device(proxy, svc, sd_bus_message_get_path(m),
                              device_signals[i].event_id, alias);
        return;
    }
    if (!sd_bus_message_is_signal(m, "org.libvirt.Connect", NULL))
        return;
    if (STREQ(member, "NetworkEvent")) {
        if (sd_bus_message_read(m, "oi", &path, &event) < 0)
            return;
    } else if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0) {
        return;
    }
    if (svc->id == MIRROR_SVC_QEMU && STREQ(member, "DomainEvent"))
        domain_lifecycle(proxy, svc, path, event, detail);
    else if (svc->id == MIRROR_SVC_NETWORK && STREQ(member, "NetworkEvent"))
        named_lifecycle(proxy, svc, EVENT_FAMILY_NETWORK, "org.libvirt.Network", path, event, 0);
    else if (svc->id == MIRROR_SVC_STORAGE && STREQ(member, "StoragePoolEvent"))
        named_lifecycle(proxy, svc, EVENT_FAMILY_POOL, "org.libvirt.StoragePool", path, event,
                        detail);
    else if (svc->id == MIRROR_SVC_NODEDEV && STREQ(member, "NodeDeviceEvent"))
        nodedev_event(proxy, svc, path, event, detail);
}

/* ---- libvirt-qemu's monitor events -------------------------------------- */

static int
h_qemu_monitor_register(Call *call, void *args_, void *ret_, Error *error)
{
    qemu_connect_domain_monitor_event_register_args *args = args_;
    qemu_connect_domain_monitor_event_register_ret *ret = ret_;
    const unsigned known = QEMU_MONITOR_EVENT_REGISTER_REGEX | QEMU_MONITOR_EVENT_REGISTER_NOCASE;
    auto_cleanup(free_ptr) char *path = NULL;
    regex_t *re = NULL;
    EventReg *reg;
    int id, r;

    if (args->flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function "
                         "qemuConnectDomainQemuMonitorEventRegister", args->flags & ~known);
    if (args->event && (args->flags & QEMU_MONITOR_EVENT_REGISTER_REGEX)) {
        int cflags = REG_EXTENDED | REG_NOSUB |
                     (args->flags & QEMU_MONITOR_EVENT_REGISTER_NOCASE ? REG_ICASE : 0);
        char msg[256];

        re = xcalloc(1, sizeof(*re));
        if ((r = regcomp(re, *args->event, cflags)) != 0) {
            regerror(r, re, msg, sizeof(msg));
            free(re);
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: failed to compile regex '%s': %s", *args->event,
                             msg);
        }
    }
    if (args->dom)
        path = mirror_domain_path((const uint8_t *) args->dom->uuid);
    id = add_reg(call->client, EVENT_FAMILY_QEMU_MONITOR, -1, path);
    reg = &call->client->events[call->client->n_events - 1];
    reg->event_name = args->event ? xstrdup(*args->event) : NULL;
    reg->event_regex = re;
    reg->nocase = args->flags & QEMU_MONITOR_EVENT_REGISTER_NOCASE;
    ret->callbackID = id;
    return 0;
}

static int
h_qemu_monitor_deregister(Call *call, void *args_, void *ret, Error *error)
{
    qemu_connect_domain_monitor_event_deregister_args *args = args_;

    return remove_reg(call->client, EVENT_FAMILY_QEMU_MONITOR, args->callbackID, error);
}

static bool
monitor_event_wanted(const EventReg *reg, const char *event)
{
    if (!reg->event_name)
        return true;
    if (reg->event_regex)
        return regexec(reg->event_regex, event, 0, NULL, 0) == 0;
    return reg->nocase ? strcasecmp(reg->event_name, event) == 0
                       : STREQ(reg->event_name, event);
}

/* A QMP event of a guest (org.virtstack.DomainState.MonitorEvent). */
static void
domain_monitor_event(Proxy *proxy, MirrorService *svc, sd_bus_message *m)
{
    const char *path = sd_bus_message_get_path(m);
    MirrorObject *obj = mirror_find(svc, path);
    qemu_domain_monitor_event_msg msg;
    const char *event, *details;
    int64_t seconds;
    uint32_t micros;

    if (!obj || sd_bus_message_read(m, "sxus", &event, &seconds, &micros, &details) < 0)
        return;
    memset(&msg, 0, sizeof(msg));
    proxy_domain_from_object(obj, &msg.dom);
    msg.event = xstrdup(event);
    msg.seconds = seconds;
    msg.micros = micros;
    msg.details = proxy_opt_string(details);
    for (Client *c = proxy->clients; c; c = c->next) {
        for (size_t i = 0; i < c->n_events; i++) {
            EventReg *reg = &c->events[i];
            if (reg->family != EVENT_FAMILY_QEMU_MONITOR ||
                (reg->has_filter && !STREQ(reg->filter_path, path)) ||
                !monitor_event_wanted(reg, event))
                continue;
            msg.callbackID = reg->callback_id;
            client_send_event_prog(c, RPC_QEMU_PROGRAM, QEMU_PROC_DOMAIN_MONITOR_EVENT,
                                   (xdrproc_t) xdr_qemu_domain_monitor_event_msg, &msg);
        }
    }
    xdr_free((xdrproc_t) xdr_qemu_domain_monitor_event_msg, (char *) &msg);
}

const ProcDef qemu_event_procs[] = {
    { .proc = QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER,
      .args_proc = (xdrproc_t) xdr_qemu_connect_domain_monitor_event_register_args,
      .args_size = sizeof(qemu_connect_domain_monitor_event_register_args),
      .ret_proc = (xdrproc_t) xdr_qemu_connect_domain_monitor_event_register_ret,
      .ret_size = sizeof(qemu_connect_domain_monitor_event_register_ret),
      .handler = h_qemu_monitor_register },
    { .proc = QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER,
      .args_proc = (xdrproc_t) xdr_qemu_connect_domain_monitor_event_deregister_args,
      .args_size = sizeof(qemu_connect_domain_monitor_event_deregister_args),
      .handler = h_qemu_monitor_deregister },
    { 0 },
};

const ProcDef event_procs[] = {
    PROC_AR(REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
            connect_domain_event_callback_register_any, h_domain_register_any),
    PROC_A(REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY,
           connect_domain_event_callback_deregister_any, h_domain_deregister_any),
    PROC_R(REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER, connect_domain_event_register,
           h_domain_register),
    PROC_R(REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER, connect_domain_event_deregister,
           h_domain_deregister),
    PROC_A(REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY, connect_domain_event_register_any,
           h_domain_register_any_legacy),
    PROC_A(REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY,
           connect_domain_event_deregister_any, h_domain_deregister_any_legacy),
    PROC_AR(REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, connect_network_event_register_any,
            h_network_register),
    PROC_A(REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY,
           connect_network_event_deregister_any, h_network_deregister),
    PROC_AR(REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY,
            connect_storage_pool_event_register_any, h_pool_register),
    PROC_A(REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY,
           connect_storage_pool_event_deregister_any, h_pool_deregister),
    PROC_AR(REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY,
            connect_node_device_event_register_any, h_nodedev_register),
    PROC_A(REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY,
           connect_node_device_event_deregister_any, h_nodedev_deregister),
    { 0 },
};
