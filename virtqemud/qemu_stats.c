/* What a running guest uses: CPU time, vCPU threads and RSS from /proc, and
 * memory statistics from the balloon. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_monitor.h"
#include "state_store.h"
#include "xml_util.h"

/* ---- /proc readings ---------------------------------------------------- */

static int
read_proc_stat_times(const char *path, uint64_t *ret_user, uint64_t *ret_sys)
{
    char buf[1024], *p;
    unsigned long long utime, stime;
    ssize_t n = file_read_small(path, buf, sizeof(buf));

    if (n < 0)
        return (int) n;
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return -EIO;
    long hz = sysconf(_SC_CLK_TCK);
    *ret_user = utime * (1000000000ull / (uint64_t) hz);
    *ret_sys = stime * (1000000000ull / (uint64_t) hz);
    return 0;
}

uint64_t
qemu_domain_cpu_time(const Domain *dom, uint64_t *ret_user, uint64_t *ret_system)
{
    char path[64];
    uint64_t u = 0, s = 0;

    if (dom->proc.pid > 0) {
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) dom->proc.pid);
        read_proc_stat_times(path, &u, &s);
    }
    if (ret_user)
        *ret_user = u;
    if (ret_system)
        *ret_system = s;
    return u + s;
}

uint64_t
qemu_domain_vcpu_time(const Domain *dom, size_t i)
{
    char path[96];
    uint64_t u = 0, s = 0;

    if (dom->proc.pid <= 0 || i >= dom->monitor.n_vcpu_tids || dom->monitor.vcpu_tids[i] <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/task/%" PRId64 "/stat", (int) dom->proc.pid,
             dom->monitor.vcpu_tids[i]);
    if (read_proc_stat_times(path, &u, &s) < 0)
        return 0;
    return u + s;
}

uint64_t
qemu_domain_rss_kib(const Domain *dom)
{
    char path[64], line[256];
    unsigned long long kib = 0;
    FILE *f;

    if (dom->proc.pid <= 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/%d/status", (int) dom->proc.pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}


/* ---- queries ----------------------------------------------------------------- */

/* The state of a query of a running guest, @size bytes whose first member
 * is the Domain (a reference, taken here); NULL with @error when the
 * guest does not run. */
static void *
query_call_new(Domain *dom, size_t size, Error *error)
{
    Domain **call;

    if (qemu_job_check_active(dom, error) < 0)
        return NULL;
    call = xcalloc(1, size);
    *call = dom;
    domain_ref(dom);
    return call;
}

/* ---- vCPUs ----------------------------------------------------------------- */

/* Field @field (1-based, as proc(5) numbers them) of a /proc stat line,
 * counted after the command name, which may hold spaces. */
static int
proc_stat_field(const char *line, int field, unsigned long long *ret)
{
    const char *p = strrchr(line, ')');

    if (!p || field < 3)
        return -EIO;
    p++;
    for (int i = 3; i <= field; i++) {
        char *end;

        while (*p == ' ')
            p++;
        if (!*p)
            return -EIO;
        if (i == field) {
            *ret = strtoull(p, &end, 10);
            return end == p ? -EIO : 0;
        }
        p = strchr(p, ' ');
        if (!p)
            return -EIO;
    }
    return -EIO;
}

int
qemu_domain_get_vcpu_info(Domain *dom, size_t ncpus, VcpuInfo **ret_info, bool **ret_maps,
                          size_t *ret_n, Error *error)
{
    const DomainDef *def = dom->live ? dom->live : dom->def;
    size_t n = def->vcpus_current ? def->vcpus_current : def->vcpus;
    VcpuInfo *info;
    bool *maps;

    if (!qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "cannot retrieve vcpu information for inactive domain");
    info = xcalloc(n ? n : 1, sizeof(*info));
    maps = xcalloc(n * ncpus + 1, sizeof(*maps));
    for (size_t i = 0; i < n; i++) {
        pid_t tid = i < dom->monitor.n_vcpu_tids ? (pid_t) dom->monitor.vcpu_tids[i] : 0;
        char path[96], line[1024];
        unsigned long long cpu;
        cpu_set_t set;

        info[i].state = VCPU_STATE_RUNNING;
        info[i].cpu_time = qemu_domain_vcpu_time(dom, i);
        info[i].cpu = -1;
        if (tid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int) dom->proc.pid, (int) tid);
        if (file_read_small(path, line, sizeof(line)) > 0 &&
            proc_stat_field(line, 39, &cpu) == 0)
            info[i].cpu = (int) cpu;
        CPU_ZERO(&set);
        if (sched_getaffinity(tid, sizeof(set), &set) == 0)
            for (size_t c = 0; c < ncpus && c < CPU_SETSIZE; c++)
                maps[i * ncpus + c] = CPU_ISSET(c, &set);
    }
    *ret_info = info;
    *ret_maps = maps;
    *ret_n = n;
    return 0;
}

/* ---- memory statistics ------------------------------------------------------ */

typedef struct MemoryStatsCall {
    Domain *dom;             /* a reference */
    MemoryStatsCb cb;
    void *userdata;
    QmpMemoryStat stats[DOMAIN_MEMORY_STAT_NR];
    size_t n;
} MemoryStatsCall;

static void
memory_stats_finish(MemoryStatsCall *call)
{
    Domain *dom = call->dom;
    Error error = ERROR_INIT;

    if (!qemu_domain_is_active(dom)) {
        error_set(&error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                  "Requested operation is not valid: domain is not running");
        call->cb(dom, NULL, 0, &error, call->userdata);
        error_clear(&error);
    } else {
        if (call->n < DOMAIN_MEMORY_STAT_NR) {
            call->stats[call->n].tag = DOMAIN_MEMORY_STAT_RSS;
            call->stats[call->n++].value = qemu_domain_rss_kib(dom);
        }
        call->cb(dom, call->stats, call->n, NULL, call->userdata);
    }
    domain_unref(dom);
    free(call);
}

/* What the guest told the balloon; a failure only leaves them out. */
static void
guest_stats_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    MemoryStatsCall *call = userdata;

    if (!error)
        call->n += qmp_parse_guest_stats(ret, call->stats + call->n,
                                         DOMAIN_MEMORY_STAT_NR - call->n);
    memory_stats_finish(call);
}

static void
balloon_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    MemoryStatsCall *call = userdata;
    Domain *dom = call->dom;
    uint64_t bytes;
    char *qom;
    int r;

    if (error || qmp_parse_balloon(ret, &bytes, NULL) < 0 || !dom->monitor.conn || !dom->live ||
        !dom->live->memballoon.alias) {
        memory_stats_finish(call);
        return;
    }
    call->stats[call->n].tag = DOMAIN_MEMORY_STAT_ACTUAL_BALLOON;
    call->stats[call->n++].value = bytes / 1024;
    qom = xasprintf("/machine/peripheral/%s", dom->live->memballoon.alias);
    r = qmp_command(dom->monitor.conn, "qom-get",
                    json_pack("{s:s,s:s}", "path", qom, "property", "guest-stats"),
                    guest_stats_reply, call, NULL);
    free(qom);
    if (r < 0)
        memory_stats_finish(call);
}

int
qemu_domain_memory_stats(Domain *dom, MemoryStatsCb cb, void *userdata, Error *error)
{
    MemoryStatsCall *call = query_call_new(dom, sizeof(*call), error);
    int r;

    if (!call)
        return -EINVAL;
    call->cb = cb;
    call->userdata = userdata;
    if (!dom->live || dom->live->memballoon.model != MEMBALLOON_VIRTIO) {
        /* No balloon: the RSS alone, as libvirt answers. */
        memory_stats_finish(call);
        return 0;
    }
    r = qmp_command(dom->monitor.conn, "query-balloon", NULL, balloon_reply, call, NULL);
    if (r < 0)
        memory_stats_finish(call);
    return 0;
}

/* ---- interfaces ------------------------------------------------------------ */

static int
read_sys_counter(const char *ifname, const char *name, uint64_t *ret)
{
    char path[160], buf[32];
    unsigned long long v;
    ssize_t n;

    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
    n = file_read_small(path, buf, sizeof(buf));
    if (n < 0)
        return (int) n;
    if (sscanf(buf, "%llu", &v) != 1)
        return -EIO;
    *ret = v;
    return 0;
}

int
qemu_domain_net_stats(const Domain *dom, size_t i, NetStats *stats)
{
    const DomainNet *net;
    /* The host's counters, stored the other way round: what the tap
     * receives the guest sent. */
    const struct {
        const char *name;
        uint64_t *value;
    } fields[] = {
        { "tx_bytes", &stats->rx_bytes }, { "tx_packets", &stats->rx_packets },
        { "tx_errors", &stats->rx_errs }, { "tx_dropped", &stats->rx_drop },
        { "rx_bytes", &stats->tx_bytes }, { "rx_packets", &stats->tx_packets },
        { "rx_errors", &stats->tx_errs }, { "rx_dropped", &stats->tx_drop },
    };

    if (!dom->live || i >= dom->live->n_nets)
        return -ENOENT;
    net = &dom->live->nets[i];
    if (!net->target_dev || strchr(net->target_dev, '/') || net->target_dev[0] == '.')
        return -ENOENT;
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        int r = read_sys_counter(net->target_dev, fields[k].name, fields[k].value);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- disks ------------------------------------------------------------------ */

typedef struct BlockStatsCall {
    Domain *dom;             /* a reference */
    BlockStatsCb cb;
    void *userdata;
    json_t *blockstats;      /* the first reply, until the second */
    bool nodes_asked;        /* query-named-block-nodes follows, for new sizes */
} BlockStatsCall;

/* The size of a disk's host file or block device, or 0. */
uint64_t
qemu_disk_physical(const DomainDisk *d)
{
    struct stat st;
    uint64_t size = 0;
    int fd;

    if (!d->source || (d->type != DISK_TYPE_FILE && d->type != DISK_TYPE_BLOCK &&
                       d->type != DISK_TYPE_VOLUME))
        return 0;
    if (stat(d->source, &st) < 0)
        return 0;
    if (!S_ISBLK(st.st_mode))
        return (uint64_t) st.st_size;
    fd = open(d->source, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        off_t end = lseek(fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t) end : 0;
        close(fd);
    }
    return size;
}

static uint64_t *
cached_capacity(Domain *dom, unsigned node)
{
    for (size_t i = 0; i < dom->monitor.n_capacities; i++)
        if (dom->monitor.capacities[i].node == node)
            return &dom->monitor.capacities[i].capacity;
    return NULL;
}

/* Every disk with an image has its size known. */
static bool
capacities_known(Domain *dom)
{
    for (size_t i = 0; dom->live && i < dom->live->n_disks; i++)
        if (dom->live->disks[i].source_index &&
            !cached_capacity(dom, dom->live->disks[i].source_index))
            return false;
    return true;
}

static void
block_stats_finish(BlockStatsCall *call, json_t *nodes)
{
    Domain *dom = call->dom;
    size_t n = dom->live ? dom->live->n_disks : 0;
    QmpBlockStats *stats = xcalloc(n + 1, sizeof(*stats));
    bool *found = xcalloc(n + 1, sizeof(*found));

    for (size_t i = 0; call->blockstats && i < n; i++) {
        /* Disk i's root node, as the command line names it. */
        const DomainDisk *d = &dom->live->disks[i];
        uint64_t *cap;
        char node[48];

        snprintf(node, sizeof(node), "libvirt-%u-format", d->source_index);
        found[i] = qmp_parse_blockstats(call->blockstats, node, &stats[i]) == 1;
        if (!found[i])
            continue;
        if (!(cap = cached_capacity(dom, d->source_index)) && nodes) {
            struct DiskCapacity *c = ARRAY_APPEND(dom->monitor.capacities,
                                                   dom->monitor.n_capacities);
            c->node = d->source_index;
            c->capacity = qmp_parse_node_virtual_size(nodes, node);
            cap = &c->capacity;
        }
        stats[i].capacity = cap ? *cap : 0;
        stats[i].physical = qemu_disk_physical(d);
    }
    call->cb(dom, stats, found, n, call->userdata);
    free(stats);
    free(found);
    json_decref(call->blockstats);
    domain_unref(dom);
    free(call);
}

static void
named_nodes_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    block_stats_finish(userdata, error ? NULL : ret);
}

static void
blockstats_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    BlockStatsCall *call = userdata;

    if (!error)
        call->blockstats = json_incref(ret);
    /* With every size known, nothing more is asked. */
    if (!call->nodes_asked)
        block_stats_finish(call, NULL);
}

int
qemu_domain_block_stats(Domain *dom, BlockStatsCb cb, void *userdata, Error *error)
{
    BlockStatsCall *call = query_call_new(dom, sizeof(*call), error);
    int r;

    if (!call)
        return -EINVAL;
    call->cb = cb;
    call->userdata = userdata;
    call->nodes_asked = !capacities_known(dom);
    r = qmp_command(dom->monitor.conn, "query-blockstats", NULL, blockstats_reply, call, error);
    if (r >= 0 && call->nodes_asked)
        r = qmp_command(dom->monitor.conn, "query-named-block-nodes",
                        json_pack("{s:b}", "flat", 1), named_nodes_reply, call, error);
    if (r < 0) {
        domain_unref(dom);
        free(call);
    }
    return r;
}
