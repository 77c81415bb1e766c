/* The handshake, the connection calls and the node calls. The host facts
 * (node info, memory, CPU stats, sysinfo) are read here from the host, which
 * is the daemons' host too; what belongs to QEMU (version, capabilities)
 * comes from virtqemud. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "cpu_map.h"
#include "fileutil.h"
#include "log.h"
#include "node_info.h"
#include "proxy.h"
#include "typed_params.h"

#define DEFAULT_URI "qemu:///system"

/* virDrvFeature */
enum {
    FEATURE_TYPED_PARAM_STRING = 9,
    FEATURE_PROGRAM_KEEPALIVE = 10,
    FEATURE_REMOTE_EVENT_CALLBACK = 14,
    FEATURE_REMOTE_CLOSE_CALLBACK = 15,
    FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER = 16,
};

static MirrorService *
qemu_svc(Call *call)
{
    return mirror_service(call_proxy(call)->mirror, MIRROR_SVC_QEMU);
}

int
proxy_bus_read_variant(sd_bus_message *reply, char type, void *ret)
{
    char sig[2] = { type, 0 };
    int r;

    r = sd_bus_message_enter_container(reply, 'v', sig);
    if (r < 0)
        return r;
    r = sd_bus_message_read_basic(reply, type, ret);
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(reply);
}

/* ---- handshake ---------------------------------------------------------- */

static int
h_auth_list(Call *call, void *args, void *ret_, Error *error)
{
    remote_auth_list_ret *ret = ret_;

    ret->types.types_len = 1;
    ret->types.types_val = xcalloc(1, sizeof(remote_auth_type));
    ret->types.types_val[0] = REMOTE_AUTH_NONE;
    return 0;
}

static int
h_supports_feature(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_supports_feature_args *args = args_;
    remote_connect_supports_feature_ret *ret = ret_;

    switch (args->feature) {
    case FEATURE_PROGRAM_KEEPALIVE:
        ret->supported = 1;
        /* As libvirtd: the client asking is what starts our pings. */
        client_start_keepalive(call->client);
        break;
    case FEATURE_TYPED_PARAM_STRING:
    case FEATURE_REMOTE_EVENT_CALLBACK:
    case FEATURE_REMOTE_CLOSE_CALLBACK:
    case FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER:
        if (!call->client->opened)
            return error_set(error, -ENOTCONN, VIR_ERR_INTERNAL_ERROR,
                             "hypervisor connection not open");
        ret->supported = 1;
        break;
    default:
        if (!call->client->opened)
            return error_set(error, -ENOTCONN, VIR_ERR_INTERNAL_ERROR,
                             "hypervisor connection not open");
        ret->supported = 0; /* migration, FD passing: not here */
        break;
    }
    return 0;
}

/* Which URIs this endpoint serves: qemu:///system (with or without a query),
 * or none at all (the client then asks for ours). */
static int
check_uri(const char *uri, Error *error)
{
    size_t n;

    if (!uri || !*uri)
        return 0;
    n = strcspn(uri, "?");
    if (n == strlen(DEFAULT_URI) && strncmp(uri, DEFAULT_URI, n) == 0)
        return 0;
    if (strncmp(uri, "qemu:///", 8) == 0)
        /* What virtqemud running as root says for qemu:///session. */
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "unexpected QEMU URI path '%.*s', try qemu:///system",
                         (int) (n - 7), uri + 7);
    return error_set(error, -EINVAL, VIR_ERR_NO_CONNECT,
                     "no connection driver available for %.*s", (int) n, uri);
}

static int
h_open(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_open_args *args = args_;
    Client *c = call->client;
    int r;

    if (c->opened)
        return error_set(error, -EALREADY, VIR_ERR_INTERNAL_ERROR, "connection already open");
    r = check_uri(args->name ? *args->name : NULL, error);
    if (r < 0)
        return r;
    if (args->flags & ~(unsigned) CONNECT_RO)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virConnectOpen",
                         args->flags & ~(unsigned) CONNECT_RO);
    if (args->flags & CONNECT_RO)
        c->readonly = true;
    c->opened = true;
    log_debug("client %u: connection open%s", c->id, c->readonly ? " (read-only)" : "");
    return 0;
}

static int
h_close(Call *call, void *args, void *ret, Error *error)
{
    /* libvirtd's delayed close: the reply goes out, then the connection. */
    call->client->close_after_flush = true;
    return 0;
}

static int
h_close_callback(Call *call, void *args, void *ret, Error *error)
{
    call->client->close_cb = call->hdr.proc == REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK;
    return 0;
}

/* ---- connection --------------------------------------------------------- */

static int
h_get_type(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_get_type_ret *ret = ret_;

    ret->type = xstrdup("QEMU");
    return 0;
}

static int
version_reply(Call *call, sd_bus_message *reply, void *ret_, Error *error)
{
    remote_connect_get_version_ret *ret = ret_;
    uint64_t v;
    int r;

    r = proxy_bus_read_variant(reply, 't', &v);
    if (r < 0)
        return r;
    ret->hv_ver = v;
    return 0;
}

static int
h_get_version(Call *call, void *args, void *ret, Error *error)
{
    return proxy_bus_call(call, qemu_svc(call), MIRROR_ROOT_PATH,
                          "org.freedesktop.DBus.Properties", "Get", version_reply, error, "ss",
                          "org.libvirt.Connect", "Version");
}

static int
h_get_lib_version(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_get_lib_version_ret *ret = ret_;

    ret->lib_ver = PACKAGE_VERSION_NUMBER;
    return 0;
}

static int
h_get_hostname(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_get_hostname_ret *ret = ret_;
    char name[256] = "";

    if (gethostname(name, sizeof(name) - 1) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot get the host name");
    ret->hostname = xstrdup(name);
    return 0;
}

static int
h_get_uri(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_get_uri_ret *ret = ret_;

    ret->uri = xstrdup(DEFAULT_URI);
    return 0;
}

static int
h_get_capabilities(Call *call, void *args, void *ret, Error *error)
{
    return proxy_bus_call(call, qemu_svc(call), MIRROR_ROOT_PATH, "org.libvirt.Connect",
                          "GetCapabilities", proxy_string_reply, error, NULL);
}

static int
h_xml_to_native(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_domain_xml_to_native_args *args = args_;

    return proxy_bus_call(call, qemu_svc(call), MIRROR_ROOT_PATH, "org.virtstack.QemuDriver",
                          "DomainXMLToNative", proxy_string_reply, error, "ssu", args->nativeFormat,
                          args->domainXml, args->flags);
}

static int
h_get_domain_capabilities(Call *call, void *args_, void *ret, Error *error)
{
    remote_connect_get_domain_capabilities_args *args = args_;

    return proxy_bus_call(call, qemu_svc(call), MIRROR_ROOT_PATH, "org.libvirt.Connect",
                          "GetDomainCapabilities", proxy_string_reply, error, "ssssu",
                          proxy_opt_str(args->emulatorbin), proxy_opt_str(args->arch),
                          proxy_opt_str(args->machine), proxy_opt_str(args->virttype), args->flags);
}

static int
h_get_sysinfo(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_get_sysinfo_args *args = args_;
    remote_connect_get_sysinfo_ret *ret = ret_;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virConnectGetSysinfo",
                         args->flags);
    return node_get_sysinfo_xml("/", &ret->sysinfo, error);
}

/* libvirt's QEMU driver: 16 for "qemu" (TCG) or no type, KVM's own limit for
 * "kvm". */
static int
h_get_max_vcpus(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_get_max_vcpus_args *args = args_;
    remote_connect_get_max_vcpus_ret *ret = ret_;
    const char *type = args->type ? *args->type : NULL;
    int fd, n;

    if (!type || strcasecmp(type, "qemu") == 0) {
        ret->max_vcpus = 16;
        return 0;
    }
    if (strcasecmp(type, "kvm") != 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unknown type '%s'", type);
    fd = open("/dev/kvm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "Unable to open %s",
                               "/dev/kvm");
    n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (n <= 0)
        n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    close(fd);
    ret->max_vcpus = n > 0 ? n : 4;
    return 0;
}

static int
h_is_secure(Call *call, void *args, void *ret_, Error *error)
{
    remote_connect_is_secure_ret *ret = ret_;

    /* A unix socket is local; plain TCP is neither secure nor encrypted. */
    ret->secure = !call->client->tcp;
    return 0;
}

/* ---- node --------------------------------------------------------------- */

static int
h_node_get_cpu_map(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_get_cpu_map_args *args = args_;
    remote_node_get_cpu_map_ret *ret = ret_;
    auto_cleanup(free_ptr) bool *map = NULL;
    size_t ncpus = 0;
    unsigned online = 0;
    int r;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeGetCPUMap", args->flags);
    r = node_get_cpu_map("/", &map, &ncpus, &online, error);
    if (r < 0)
        return r;
    if (args->need_map) {
        ret->cpumap.cpumap_len = (u_int) ((ncpus + 7) / 8);
        ret->cpumap.cpumap_val = xcalloc(ret->cpumap.cpumap_len + 1, 1);
        for (size_t c = 0; c < ncpus; c++)
            if (map[c])
                ret->cpumap.cpumap_val[c / 8] |= (char) (1 << (c % 8));
    }
    if (args->need_online)
        ret->online = online;
    ret->ret = (int) ncpus;
    return 0;
}

static int
h_node_get_info(Call *call, void *args, void *ret_, Error *error)
{
    remote_node_get_info_ret *ret = ret_;
    NodeInfo info;
    int r;

    r = node_get_info("/", &info, error);
    if (r < 0)
        return r;
    memset(ret->model, 0, sizeof(ret->model));
    memcpy(ret->model, info.model, strnlen(info.model, sizeof(ret->model) - 1));
    ret->memory = info.memory_kib;
    ret->cpus = info.cpus;
    ret->mhz = info.mhz;
    ret->nodes = info.nodes;
    ret->sockets = info.sockets;
    ret->cores = info.cores;
    ret->threads = info.threads;
    return 0;
}

static int
h_node_free_memory(Call *call, void *args, void *ret_, Error *error)
{
    remote_node_get_free_memory_ret *ret = ret_;
    uint64_t bytes;
    int r;

    r = node_get_free_memory("/", &bytes, error);
    if (r < 0)
        return r;
    ret->freeMem = bytes;
    return 0;
}

static int
h_node_cells_free_memory(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_get_cells_free_memory_args *args = args_;
    remote_node_get_cells_free_memory_ret *ret = ret_;
    auto_cleanup(free_ptr) uint64_t *cells = NULL;
    size_t n, out = 0;
    int r;

    if (args->maxcells < 0 || args->maxcells > REMOTE_NODE_MAX_CELLS)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "maxCells > REMOTE_NODE_MAX_CELLS");
    r = node_get_cells_free_memory("/", &cells, &n, error);
    if (r < 0)
        return r;
    if (args->startCell < 0 || (size_t) args->startCell >= n)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "start cell %d out of range (0-%zu)", args->startCell, n - 1);
    ret->cells.cells_val = xcalloc(args->maxcells + 1, sizeof(uint64_t));
    for (size_t i = args->startCell; i < n && out < (size_t) args->maxcells; i++)
        ret->cells.cells_val[out++] = cells[i];
    ret->cells.cells_len = out;
    return 0;
}

static int
h_get_cpu_model_names(Call *call, void *args_, void *ret_, Error *error)
{
    remote_connect_get_cpu_model_names_args *args = args_;
    remote_connect_get_cpu_model_names_ret *ret = ret_;
    char **models = NULL;
    size_t n;
    int r;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuConnectGetCPUModelNames",
                         args->flags);
    r = cpu_map_models(CPU_MAP_DIR, args->arch, &models, error);
    if (r < 0)
        return r;
    n = strv_length(models);
    if (n > REMOTE_CONNECT_CPU_MODELS_MAX) {
        strv_free(models);
        return error_set(error, -E2BIG, VIR_ERR_RPC, "Too many CPU models '%zu' for limit '%d'",
                         n, REMOTE_CONNECT_CPU_MODELS_MAX);
    }
    if (args->need_results) {
        ret->models.models_val = models;
        ret->models.models_len = (u_int) n;
    } else {
        strv_free(models);
    }
    ret->ret = (int) n;
    return 0;
}

/* ---- node-memory-tune: KSM's knobs, as libvirt's virHostMem*Parameters -- */

#define KSM_DIR "/sys/kernel/mm/ksm"

/* libvirt's parameters, in its order; the settable ones are unsigned ints. */
static const struct {
    const char *field, *file;
    bool settable;
} ksm_params[] = {
    { "shm_pages_to_scan", "pages_to_scan", true },
    { "shm_sleep_millisecs", "sleep_millisecs", true },
    { "shm_pages_shared", "pages_shared", false },
    { "shm_pages_sharing", "pages_sharing", false },
    { "shm_pages_unshared", "pages_unshared", false },
    { "shm_pages_volatile", "pages_volatile", false },
    { "shm_full_scans", "full_scans", false },
    { "shm_merge_across_nodes", "merge_across_nodes", true },
};

static int
h_node_get_memory_parameters(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_get_memory_parameters_args *args = args_;
    remote_node_get_memory_parameters_ret *ret = ret_;
    const unsigned string_okay = TYPED_PARAM_STRING_OKAY;
    u_int n = 0;

    if (args->flags & ~string_okay)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virHostMemGetParameters",
                         args->flags & ~string_okay);
    if (args->nparams < 0 || args->nparams > REMOTE_NODE_MEMORY_PARAMETERS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "nparams too large");
    if (args->nparams == 0) {
        ret->nparams = (int) ARRAY_SIZE(ksm_params);
        return 0;
    }
    ret->params.params_val = xcalloc(ARRAY_SIZE(ksm_params), sizeof(remote_typed_param));
    for (size_t i = 0; i < ARRAY_SIZE(ksm_params) && i < (size_t) args->nparams; i++) {
        auto_cleanup(free_ptr) char *path = xasprintf(KSM_DIR "/%s", ksm_params[i].file);
        auto_cleanup(free_ptr) char *text = NULL;
        remote_typed_param *p;
        size_t len;
        Error ignore = ERROR_INIT;

        /* A knob this kernel lacks is left out, as libvirt leaves it. */
        if (file_read_all(path, 4096, &text, &len, &ignore) < 0) {
            error_clear(&ignore);
            continue;
        }
        p = &ret->params.params_val[n++];
        p->field = xstrdup(ksm_params[i].field);
        if (ksm_params[i].settable) {
            p->value.type = TYPED_PARAM_UINT;
            p->value.remote_typed_param_value_u.ui = (u_int) strtoul(text, NULL, 10);
        } else {
            p->value.type = TYPED_PARAM_ULLONG;
            p->value.remote_typed_param_value_u.ul = strtoull(text, NULL, 10);
        }
    }
    ret->params.params_len = n;
    ret->nparams = (int) n;
    return 0;
}

static int
h_node_set_memory_parameters(Call *call, void *args_, void *ret, Error *error)
{
    remote_node_set_memory_parameters_args *args = args_;
    const remote_typed_param *params = args->params.params_val;
    u_int n = args->params.params_len;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virHostMemSetParameters",
                         args->flags);
    /* libvirt's order: every parameter checked, then the kernel asked, then
     * the writes. */
    for (u_int i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < ARRAY_SIZE(ksm_params); k++)
            if (ksm_params[k].settable && STREQ(ksm_params[k].field, params[i].field))
                break;
        if (k == ARRAY_SIZE(ksm_params))
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: parameter '%s' not supported", params[i].field);
        if (params[i].value.type != TYPED_PARAM_UINT)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: invalid type '%s' for parameter '%s', expected "
                             "'uint'", typed_param_type_name(params[i].value.type),
                             params[i].field);
    }
    for (u_int i = 0; i < n; i++) {
        auto_cleanup(free_ptr) char *path = xasprintf(KSM_DIR "/%s",
                                                      strchr(params[i].field, '_') + 1);
        if (access(path, F_OK) < 0)
            return error_set(error, -ENOENT, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: Parameter '%s' is not supported "
                             "by this kernel", params[i].field);
    }
    for (u_int i = 0; i < n; i++) {
        auto_cleanup(free_ptr) char *path = xasprintf(KSM_DIR "/%s",
                                                      strchr(params[i].field, '_') + 1);
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 || dprintf(fd, "%u", params[i].value.remote_typed_param_value_u.ui) < 0) {
            int r = -errno;
            if (fd >= 0)
                close(fd);
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR, "failed to set %s",
                                   params[i].field);
        }
        close(fd);
    }
    return 0;
}

static int
h_node_get_free_pages(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_get_free_pages_args *args = args_;
    remote_node_get_free_pages_ret *ret = ret_;
    uint64_t *counts = NULL;
    size_t n = 0;
    int r;

    if ((uint64_t) args->pages.pages_len * args->cellCount > REMOTE_NODE_MAX_CELLS)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "the result won't fit into REMOTE_NODE_MAX_CELLS");
    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeGetFreePages", args->flags);
    r = node_get_free_pages("/", args->pages.pages_val, args->pages.pages_len, args->startCell,
                            args->cellCount, &counts, &n, error);
    if (r < 0)
        return r;
    ret->counts.counts_val = counts;
    ret->counts.counts_len = (u_int) n;
    return 0;
}

static int
h_node_alloc_pages(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_alloc_pages_args *args = args_;
    remote_node_alloc_pages_ret *ret = ret_;
    int r;

    if (args->flags & ~(unsigned) NODE_ALLOC_PAGES_SET)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeAllocPages",
                         args->flags & ~(unsigned) NODE_ALLOC_PAGES_SET);
    if (args->pageSizes.pageSizes_len != args->pageCounts.pageCounts_len)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s",
                         "the page sizes and counts are not of the same length");
    r = node_alloc_pages("/", args->pageSizes.pageSizes_val,
                         (const uint64_t *) args->pageCounts.pageCounts_val,
                         args->pageSizes.pageSizes_len, args->startCell, args->cellCount,
                         !(args->flags & NODE_ALLOC_PAGES_SET), error);
    if (r < 0)
        return r;
    ret->ret = r;
    return 0;
}

typedef int (*NodeStatsFn)(const char *sysroot, int which, NodeStat **ret, size_t *ret_n,
                           Error *error);

/* The counted getters' protocol: nparams 0 asks how many. */
static int
node_stats(int nparams, int which, NodeStatsFn fn, remote_node_get_cpu_stats **ret_params,
           u_int *ret_len, int *ret_nparams, Error *error)
{
    auto_cleanup(free_ptr) NodeStat *stats = NULL;
    size_t n;
    int r;

    if (nparams < 0 || nparams > REMOTE_NODE_CPU_STATS_MAX)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "%s", "nparams too large");
    r = fn("/", which, &stats, &n, error);
    if (r < 0)
        return r;
    if (nparams == 0) {
        *ret_nparams = n;
        return 0;
    }
    if ((size_t) nparams > n)
        nparams = n;
    *ret_params = xcalloc(nparams + 1, sizeof(**ret_params));
    for (int i = 0; i < nparams; i++) {
        (*ret_params)[i].field = xstrdup(stats[i].field);
        (*ret_params)[i].value = stats[i].value;
    }
    *ret_len = nparams;
    *ret_nparams = nparams;
    return 0;
}

static int
h_node_cpu_stats(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_get_cpu_stats_args *args = args_;
    remote_node_get_cpu_stats_ret *ret = ret_;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeGetCPUStats", args->flags);
    return node_stats(args->nparams, args->cpuNum, node_get_cpu_stats, &ret->params.params_val,
                      &ret->params.params_len, &ret->nparams, error);
}

static int
h_node_memory_stats(Call *call, void *args_, void *ret_, Error *error)
{
    remote_node_get_memory_stats_args *args = args_;
    remote_node_get_memory_stats_ret *ret = ret_;

    if (args->flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function virNodeGetMemoryStats",
                         args->flags);
    /* The two stats structs are the same shape ({field, value}). */
    return node_stats(args->nparams, args->cellNum, node_get_memory_stats,
                      (remote_node_get_cpu_stats **) &ret->params.params_val,
                      &ret->params.params_len, &ret->nparams, error);
}

static int
h_node_security_model(Call *call, void *args, void *ret_, Error *error)
{
    remote_node_get_security_model_ret *ret = ret_;

    /* No security driver: an empty model, so that virsh dominfo does not ask
     * for labels. The trailing NUL is counted, as libvirtd sends it. */
    ret->model.model_len = 1;
    ret->model.model_val = xcalloc(1, 1);
    ret->doi.doi_len = 1;
    ret->doi.doi_val = xcalloc(1, 1);
    return 0;
}

const ProcDef connect_procs[] = {
    PROC_R_BEFORE_OPEN(REMOTE_PROC_AUTH_LIST, auth_list, h_auth_list),
    PROC_AR_BEFORE_OPEN(REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, connect_supports_feature,
                        h_supports_feature),
    PROC_A_BEFORE_OPEN(REMOTE_PROC_CONNECT_OPEN, connect_open, h_open),
    PROC_0_BEFORE_OPEN(REMOTE_PROC_CONNECT_CLOSE, h_close),
    PROC_0(REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, h_close_callback),
    PROC_0(REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, h_close_callback),
    PROC_R(REMOTE_PROC_CONNECT_GET_TYPE, connect_get_type, h_get_type),
    PROC_R(REMOTE_PROC_CONNECT_GET_VERSION, connect_get_version, h_get_version),
    PROC_R(REMOTE_PROC_CONNECT_GET_LIB_VERSION, connect_get_lib_version, h_get_lib_version),
    PROC_R(REMOTE_PROC_CONNECT_GET_HOSTNAME, connect_get_hostname, h_get_hostname),
    PROC_R(REMOTE_PROC_CONNECT_GET_URI, connect_get_uri, h_get_uri),
    PROC_R(REMOTE_PROC_CONNECT_GET_CAPABILITIES, connect_get_capabilities, h_get_capabilities),
    PROC_AR(REMOTE_PROC_CONNECT_DOMAIN_XML_TO_NATIVE, connect_domain_xml_to_native,
            h_xml_to_native),
    PROC_AR(REMOTE_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, connect_get_domain_capabilities,
            h_get_domain_capabilities),
    PROC_AR(REMOTE_PROC_CONNECT_GET_SYSINFO, connect_get_sysinfo, h_get_sysinfo),
    PROC_AR(REMOTE_PROC_CONNECT_GET_MAX_VCPUS, connect_get_max_vcpus, h_get_max_vcpus),
    PROC_R(REMOTE_PROC_CONNECT_IS_SECURE, connect_is_secure, h_is_secure),
    PROC_R(REMOTE_PROC_NODE_GET_INFO, node_get_info, h_node_get_info),
    PROC_AR(REMOTE_PROC_NODE_GET_CPU_MAP, node_get_cpu_map, h_node_get_cpu_map),
    PROC_R(REMOTE_PROC_NODE_GET_FREE_MEMORY, node_get_free_memory, h_node_free_memory),
    PROC_AR(REMOTE_PROC_NODE_GET_CELLS_FREE_MEMORY, node_get_cells_free_memory,
            h_node_cells_free_memory),
    PROC_AR(REMOTE_PROC_NODE_GET_CPU_STATS, node_get_cpu_stats, h_node_cpu_stats),
    PROC_AR(REMOTE_PROC_NODE_GET_FREE_PAGES, node_get_free_pages, h_node_get_free_pages),
    PROC_AR(REMOTE_PROC_NODE_GET_MEMORY_PARAMETERS, node_get_memory_parameters,
            h_node_get_memory_parameters),
    PROC_A(REMOTE_PROC_NODE_SET_MEMORY_PARAMETERS, node_set_memory_parameters,
           h_node_set_memory_parameters),
    PROC_AR(REMOTE_PROC_CONNECT_GET_CPU_MODEL_NAMES, connect_get_cpu_model_names,
            h_get_cpu_model_names),
    PROC_AR(REMOTE_PROC_NODE_ALLOC_PAGES, node_alloc_pages, h_node_alloc_pages),
    PROC_AR(REMOTE_PROC_NODE_GET_MEMORY_STATS, node_get_memory_stats, h_node_memory_stats),
    PROC_R(REMOTE_PROC_NODE_GET_SECURITY_MODEL, node_get_security_model, h_node_security_model),
    { 0 },
};
