/* Node devices: routed to org.libvirt.nodedev (virtnodedevd). Lookups,
 * unfiltered lists, parents, and the activity, persistence and autostart
 * of a device are answered from the mirror of its org.libvirt.NodeDevice
 * objects (Name, Parent); lists filtered by capability, capabilities, XML,
 * detach, re-attach and reset go to virtnodedevd.
 *
 * A device is found by its name through the mirror's name index. Devices
 * that virtnodedevd enumerates from the host are all active, transient and
 * without autostart (libvirt's udev devices are the same). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "proxy.h"

#define NODEDEV_IFACE "org.libvirt.NodeDevice"


/* virNodeDevCapType's names, in the order of the list flags' bits. */
static const char *const cap_names[] = {
    "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi",
    "storage", "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw",
    "css", "vdpa", "ap_card", "ap_queue", "ap_matrix", "vpd",
};

static const char *
dev_name(const MirrorObject *obj)
{
    return mirror_get_str(obj, NODEDEV_IFACE, "Name", "");
}

static bool
is_nodedev(const MirrorObject *obj)
{
    return mirror_has_iface(obj, NODEDEV_IFACE);
}

static void
dev_from_object(const MirrorObject *obj, void *wire)
{
    ((remote_nonnull_node_device *) wire)->name = xstrdup(dev_name(obj));
}

/* Without capabilities (virtnodedevd filters those): every device is
 * active, so INACTIVE alone lists none. */
static bool
dev_matches(const MirrorObject *obj, unsigned flags)
{
    return (flags & (NODEDEV_LIST_INACTIVE | (unsigned) NODEDEV_LIST_ACTIVE)) !=
           NODEDEV_LIST_INACTIVE;
}

static const ProxyKind nodedev_kind = {
    .svc = MIRROR_SVC_NODEDEV,
    .iface = NODEDEV_IFACE,
    .title = "Node device",
    .noun = "node device",
    .wire_noun = "node_device",
    .no_object = VIR_ERR_NO_NODE_DEVICE,
    .always_active = true,
    .list_max = REMOTE_NODE_DEVICE_LIST_MAX,
    .list_max_name = "REMOTE_NODE_DEVICE_LIST_MAX",
    .list_flags = NODEDEV_LIST_KNOWN,
    .list_all_api = "virConnectListAllNodeDevices",
    .wire_size = sizeof(remote_nonnull_node_device),
    .to_wire = dev_from_object,
    .matches = dev_matches,
};

static MirrorService *
nodedev_present(Call *call, Error *error)
{
    return proxy_kind_present(call, &nodedev_kind, error);
}

/* The args of every per-device procedure begin with the device's name. */
static int
args_dev(Call *call, void *args, MirrorObject **ret, Error *error)
{
    return proxy_kind_find(call, &nodedev_kind, args, ret, error);
}

/* The list flag of a capability name; 0 for a name libvirt does not know
 * (which then matches no device, as in libvirt). */
static uint32_t
cap_flag(const char *cap)
{
    for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
        if (STREQ(cap, cap_names[i]))
            return 1u << i;
    return 0;
}

/* ---- answered from the mirror ------------------------------------------- */

/* Every mirrored device, in arrival order (the enumeration's: parents
 * first). Returns the count; fills @names (malloc'd) up to @max when
 * non-NULL. */
static size_t
mirror_names(MirrorService *svc, char **names, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < svc->n_objs && n < max; i++) {
        if (!is_nodedev(svc->objs[i]))
            continue;
        if (names)
            names[n] = xstrdup(dev_name(svc->objs[i]));
        n++;
    }
    return n;
}

static int
h_get_parent(Call *call, void *args, void *ret_, Error *error)
{
    remote_node_device_get_parent_ret *ret = ret_;
    MirrorObject *obj;
    const char *parent;
    int r = args_dev(call, args, &obj, error);

    if (r < 0)
        return r;
    /* "computer" has none: NULL, as libvirt sends it. */
    parent = mirror_get_str(obj, NODEDEV_IFACE, "Parent", "");
    if (*parent) {
        ret->parentName = xmalloc(sizeof(*ret->parentName));
        *ret->parentName = xstrdup(parent);
    }
    return 0;
}

/* ---- lists -------------------------------------------------------------- */

/* The reply of ListNodeDevices: the mirrored names of its paths, at most
 * @max of them (a device not mirrored yet is left out). */
static int
read_paths(Call *call, sd_bus_message *reply, size_t max, char ***ret_names, size_t *ret_n)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_NODEDEV);
    char **names = NULL;
    size_t n = 0, cap = 0;
    const char *path;
    int r;

    r = sd_bus_message_enter_container(reply, 'a', "o");
    if (r < 0)
        return r;
    while ((r = sd_bus_message_read_basic(reply, 'o', &path)) > 0) {
        MirrorObject *obj = mirror_find(svc, path);
        if (!obj || !is_nodedev(obj) || n >= max)
            continue;
        if (ret_names) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                names = xrealloc(names, (cap + 1) * sizeof(*names));
            }
            names[n] = xstrdup(dev_name(obj));
        }
        n++;
    }
    if (r >= 0)
        r = sd_bus_message_exit_container(reply);
    if (r < 0) {
        for (size_t i = 0; i < n && names; i++)
            free(names[i]);
        free(names);
        return r;
    }
    if (ret_names)
        *ret_names = names;
    *ret_n = n;
    return 0;
}

static int
list_all_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_connect_list_all_node_devices_args *args = call->args;
    remote_connect_list_all_node_devices_ret *ret = ret_;
    char **names = NULL;
    size_t n = 0;
    int r;

    r = read_paths(call, reply, REMOTE_NODE_DEVICE_LIST_MAX, args->need_results ? &names : NULL,
                   &n);
    if (r < 0)
        return r;
    if (args->need_results) {
        ret->devices.devices_val = xcalloc(n + 1, sizeof(remote_nonnull_node_device));
        for (size_t i = 0; i < n; i++)
            ret->devices.devices_val[i].name = names[i];
        ret->devices.devices_len = n;
    }
    free(names);
    ret->ret = n;
    return 0;
}

/* Capabilities are not mirrored: a list filtered by them is virtnodedevd's. */
static int
h_list_all(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_list_all_node_devices_args *args = args_;
    MirrorService *svc;

    if (!(args->flags & NODEDEV_LIST_CAPS) || (args->flags & ~NODEDEV_LIST_KNOWN))
        return proxy_kind_list_all(call, args_, ret_, error);
    svc = nodedev_present(call, error);
    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect", "ListNodeDevices",
                          list_all_reply, error, "u", args->flags);
}

static int
num_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    size_t n = 0;
    int r = read_paths(call, reply, REMOTE_NODE_DEVICE_LIST_MAX, NULL, &n);

    if (r >= 0)
        ((remote_node_num_of_devices_ret *) ret)->num = n;
    return r;
}

static int
h_num_of_devices(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_num_of_devices_args *args = args_;
    remote_node_num_of_devices_ret *ret = ret_;
    MirrorService *svc;
    uint32_t flag;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeNumOfDevices",
                         args->flags);
    svc = nodedev_present(call, error);
    if (!svc)
        return -ENOTCONN;
    if (!args->cap) {
        ret->num = mirror_names(svc, NULL, REMOTE_NODE_DEVICE_LIST_MAX);
        return 0;
    }
    flag = cap_flag(*args->cap);
    if (!flag) {
        ret->num = 0;
        return 0;
    }
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect", "ListNodeDevices",
                          num_reply, error, "u", flag);
}

static int
list_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_node_list_devices_args *args = call->args;
    remote_node_list_devices_ret *ret = ret_;
    char **names = NULL;
    size_t n = 0;
    int r = read_paths(call, reply, args->maxnames, &names, &n);

    if (r < 0)
        return r;
    ret->names.names_val = names ? names : xcalloc(1, sizeof(char *));
    ret->names.names_len = n;
    return 0;
}

static int
h_list_devices(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_list_devices_args *args = args_;
    remote_node_list_devices_ret *ret = ret_;
    MirrorService *svc;
    uint32_t flag;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeListDevices",
                         args->flags);
    if (args->maxnames < 0 || args->maxnames > REMOTE_NODE_DEVICE_LIST_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxnames > REMOTE_NODE_DEVICE_LIST_MAX");
    svc = nodedev_present(call, error);
    if (!svc)
        return -ENOTCONN;
    flag = args->cap ? cap_flag(*args->cap) : 0;
    if (args->cap && !flag) {
        ret->names.names_val = xcalloc(1, sizeof(char *));
        return 0;
    }
    if (flag)
        return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect",
                              "ListNodeDevices", list_reply, error, "u", flag);
    ret->names.names_val = xcalloc(args->maxnames + 1, sizeof(char *));
    ret->names.names_len = mirror_names(svc, ret->names.names_val, args->maxnames);
    return 0;
}

/* ---- calls to virtnodedevd ---------------------------------------------- */

static int
caps_reply(Call *call, sd_bus_message *reply, char ***ret_caps, size_t *ret_n, Error *error)
{
    char **caps = NULL;
    int r = sd_bus_message_read_strv(reply, &caps);

    if (r < 0)
        return r;
    *ret_n = 0;
    while (caps && caps[*ret_n])
        (*ret_n)++;
    if (*ret_n > REMOTE_NODE_DEVICE_CAPS_LIST_MAX) {
        strv_free(caps);
        return error_set(error, -E2BIG, VIR_ERR_INTERNAL_ERROR,
                         "Too many capabilities '%zu' for limit '%d'", *ret_n,
                         REMOTE_NODE_DEVICE_CAPS_LIST_MAX);
    }
    *ret_caps = caps ? caps : xcalloc(1, sizeof(char *));
    return 0;
}

static int
num_caps_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    auto_cleanup(strv_freep) char **caps = NULL;
    size_t n;
    int r = caps_reply(call, reply, &caps, &n, error);

    if (r >= 0)
        ((remote_node_device_num_of_caps_ret *) ret)->num = n;
    return r;
}

static int
list_caps_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_node_device_list_caps_args *args = call->args;
    remote_node_device_list_caps_ret *ret = ret_;
    char **caps = NULL;
    size_t n;
    int r = caps_reply(call, reply, &caps, &n, error);

    if (r < 0)
        return r;
    /* As many as the client has room for, like libvirt. */
    while (n > (size_t) args->maxnames)
        free(caps[--n]);
    caps[n] = NULL;
    ret->names.names_val = caps;
    ret->names.names_len = n;
    return 0;
}

/* A call without arguments on the device the args name. */
static int
dev_call(Call *call, void *args, const char *member, BusReplyFn fn, Error *error)
{
    MirrorObject *obj;
    int r = args_dev(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, NODEDEV_IFACE, member, fn, error, NULL);
}

/* Detach(driverName, flags): "" is the default driver (vfio). */
static int
detach_call(Call *call, void *args, const char *driver, uint32_t flags, Error *error)
{
    MirrorObject *obj;
    int r = args_dev(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, NODEDEV_IFACE, "Detach", NULL, error, "su",
                          driver, flags);
}

static int
h_num_of_caps(Call *call, void *args, void *ret, Error *error)
{
    return dev_call(call, args, "ListCaps", num_caps_reply, error);
}

static int
h_list_caps(Call *call, void *args_, void *ret, Error *error)
{
    remote_node_device_list_caps_args *args = args_;

    if (args->maxnames < 0 || args->maxnames > REMOTE_NODE_DEVICE_CAPS_LIST_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxnames > REMOTE_NODE_DEVICE_CAPS_LIST_MAX");
    return dev_call(call, args, "ListCaps", list_caps_reply, error);
}

static int
h_get_xml_desc(Call *call, void *args_, void *ret, Error *error)
{
    remote_node_device_get_xml_desc_args *args = args_;
    MirrorObject *obj;
    int r = args_dev(call, args, &obj, error);

    if (r < 0)
        return r;
    return proxy_bus_call(call, obj->svc, obj->path, NODEDEV_IFACE, "GetXMLDesc",
                          proxy_string_reply, error, "u", args->flags);
}

static int
h_dettach(Call *call, void *args, void *ret, Error *error)
{
    /* virNodeDeviceDettach: the default driver (vfio). */
    return detach_call(call, args, "", 0, error);
}

static int
h_detach_flags(Call *call, void *args_, void *ret, Error *error)
{
    remote_node_device_detach_flags_args *args = args_;

    return detach_call(call, args, args->driverName ? *args->driverName : "", args->flags,
                       error);
}

static int
h_reattach(Call *call, void *args, void *ret, Error *error)
{
    return dev_call(call, args, "ReAttach", NULL, error);
}

static int
h_reset(Call *call, void *args, void *ret, Error *error)
{
    return dev_call(call, args, "Reset", NULL, error);
}

static int
h_destroy(Call *call, void *args, void *ret, Error *error)
{
    return dev_call(call, args, "Destroy", NULL, error);
}

/* A device path in a reply: its mirrored name. */
static int
dev_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    MirrorService *svc = mirror_service(call_proxy(call)->mirror, MIRROR_SVC_NODEDEV);
    MirrorObject *obj;
    const char *path;
    int r = sd_bus_message_read_basic(reply, 'o', &path);

    if (r < 0)
        return r;
    obj = mirror_find(svc, path);
    if (!obj || !is_nodedev(obj))
        return error_set(error, -ENOENT, VIR_ERR_NO_NODE_DEVICE,
                         "Node device not found: '%s' vanished before it could be answered",
                         path);
    ((remote_nonnull_node_device *) ret)->name = xstrdup(dev_name(obj));
    return 0;
}

static int
h_lookup_scsi_host_by_wwn(Call *call, void *args_, void *ret, Error *error)
{
    remote_node_device_lookup_scsi_host_by_wwn_args *args = args_;
    MirrorService *svc = nodedev_present(call, error);

    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect",
                          "NodeDeviceLookupSCSIHostByWWN", dev_reply, error, "ssu", args->wwnn,
                          args->wwpn, args->flags);
}

static int
h_create_xml(Call *call, void *args_, void *ret, Error *error)
{
    remote_node_device_create_xml_args *args = args_;
    MirrorService *svc = nodedev_present(call, error);

    if (!svc)
        return -ENOTCONN;
    return proxy_bus_call(call, svc, MIRROR_ROOT_PATH, "org.libvirt.Connect",
                          "NodeDeviceCreateXML", dev_reply, error, "su", args->xml_desc,
                          args->flags);
}

const ProcDef nodedev_procs[] = {
    PROC_KIND(REMOTE_PROC_CONNECT_LIST_ALL_NODE_DEVICES, connect_list_all_node_devices, h_list_all,
              &nodedev_kind, 0),
    PROC_AR(REMOTE_PROC_NODE_NUM_OF_DEVICES, node_num_of_devices, h_num_of_devices),
    PROC_AR(REMOTE_PROC_NODE_LIST_DEVICES, node_list_devices, h_list_devices),
    PROC_LOOKUP_BY_NAME(REMOTE_PROC_NODE_DEVICE_LOOKUP_BY_NAME, node_device_lookup_by_name,
                        &nodedev_kind),
    PROC_AR(REMOTE_PROC_NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN, node_device_lookup_scsi_host_by_wwn,
            h_lookup_scsi_host_by_wwn),
    PROC_AR(REMOTE_PROC_NODE_DEVICE_GET_XML_DESC, node_device_get_xml_desc, h_get_xml_desc),
    PROC_AR(REMOTE_PROC_NODE_DEVICE_GET_PARENT, node_device_get_parent, h_get_parent),
    PROC_AR(REMOTE_PROC_NODE_DEVICE_NUM_OF_CAPS, node_device_num_of_caps, h_num_of_caps),
    PROC_AR(REMOTE_PROC_NODE_DEVICE_LIST_CAPS, node_device_list_caps, h_list_caps),
    PROC_GET_BOOL(REMOTE_PROC_NODE_DEVICE_IS_ACTIVE, node_device_is_active, &nodedev_kind,
                  PROP_ACTIVE),
    PROC_GET_BOOL(REMOTE_PROC_NODE_DEVICE_IS_PERSISTENT, node_device_is_persistent,
                  &nodedev_kind, PROP_PERSISTENT),
    PROC_GET_BOOL(REMOTE_PROC_NODE_DEVICE_GET_AUTOSTART, node_device_get_autostart,
                  &nodedev_kind, PROP_AUTOSTART),
    PROC_A(REMOTE_PROC_NODE_DEVICE_DETTACH, node_device_dettach, h_dettach),
    PROC_A(REMOTE_PROC_NODE_DEVICE_DETACH_FLAGS, node_device_detach_flags, h_detach_flags),
    PROC_A(REMOTE_PROC_NODE_DEVICE_RE_ATTACH, node_device_re_attach, h_reattach),
    PROC_A(REMOTE_PROC_NODE_DEVICE_RESET, node_device_reset, h_reset),
    PROC_AR(REMOTE_PROC_NODE_DEVICE_CREATE_XML, node_device_create_xml, h_create_xml),
    PROC_A(REMOTE_PROC_NODE_DEVICE_DESTROY, node_device_destroy, h_destroy),
    { 0 },
};
