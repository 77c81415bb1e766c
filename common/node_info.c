/* node_info: the host as libvirt shows it, read from /proc and /sys below a
 * root prefix.
 *
 * Matches libvirt's virHostCPUGetInfoPopulateLinux, virHostCPUGetStatsLinux,
 * virHostMemGetStats and virSysinfoFormat in what they print; the data comes
 * from files only (no dmidecode), so sysinfo holds what /sys/class/dmi/id and
 * /proc/cpuinfo have. */
#include "node_info.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "macros.h"

#define NODE_FILE_MAX (4 * 1024 * 1024)

/* ---- small helpers ---- */

static char *
sysroot_path(const char *sysroot, const char *rel)
{
    if (!sysroot || !*sysroot)
        sysroot = "/";
    size_t n = strlen(sysroot);
    while (*rel == '/')
        rel++;
    if (n > 0 && sysroot[n - 1] == '/')
        return xasprintf("%s%s", sysroot, rel);
    return xasprintf("%s/%s", sysroot, rel);
}

/* Reads a whole (small, possibly unseekable) file. -errno on failure, no
 * Error set: callers decide whether a missing file matters. */
static int
read_file(const char *path, char **ret)
{
    auto_cleanup(close_fdp) int fd = -1;
    auto_cleanup(free_ptr) char *buf = NULL;
    size_t len = 0, cap = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (;;) {
        if (cap - len < 4096) {
            if (cap >= NODE_FILE_MAX)
                return -EFBIG;
            cap = cap ? cap * 2 : 8192;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t k = read(fd, buf + len, cap - len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (k == 0)
            break;
        len += (size_t) k;
    }
    if (!buf)
        buf = xmalloc(1);
    buf[len] = '\0';
    *ret = steal_ptr(buf);
    return 0;
}

static int
read_sys(const char *sysroot, const char *rel, char **ret)
{
    auto_cleanup(free_ptr) char *path = sysroot_path(sysroot, rel);
    return read_file(path, ret);
}

static int
read_sys_required(const char *sysroot, const char *rel, char **ret, Error *error)
{
    auto_cleanup(free_ptr) char *path = sysroot_path(sysroot, rel);
    int r = read_file(path, ret);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR,
                               "cannot read '%s'", path);
    return 0;
}

static char *
strip(char *s)
{
    while (isspace((unsigned char) *s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char) s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A sysfs value, stripped; NULL when missing or empty. */
static char *
read_sys_value(const char *sysroot, const char *rel)
{
    auto_cleanup(free_ptr) char *data = NULL;
    if (read_sys(sysroot, rel, &data) < 0)
        return NULL;
    char *v = strip(data);
    if (!*v)
        return NULL;
    return xstrdup(v);
}

static int
read_sys_int(const char *sysroot, const char *rel, long long *ret)
{
    auto_cleanup(free_ptr) char *v = read_sys_value(sysroot, rel);
    char *end;
    if (!v)
        return -ENOENT;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return -EINVAL;
    *ret = x;
    return 0;
}

/* "0-3,8,10-11" into a sorted list of ids. */
static int
parse_cpulist(const char *s, unsigned **ret, size_t *ret_n)
{
    auto_cleanup(free_ptr) unsigned *ids = NULL;
    size_t n = 0, cap = 0;
    const char *p = s;

    while (*p && isspace((unsigned char) *p))
        p++;
    while (*p && !isspace((unsigned char) *p)) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b;
        if (end == p)
            return -EINVAL;
        p = end;
        b = a;
        if (*p == '-') {
            p++;
            b = strtoul(p, &end, 10);
            if (end == p || b < a || b - a > 65536)
                return -EINVAL;
            p = end;
        }
        for (unsigned long i = a; i <= b; i++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                ids = xrealloc(ids, cap * sizeof(*ids));
            }
            ids[n++] = (unsigned) i;
        }
        if (*p == ',')
            p++;
        else if (*p && !isspace((unsigned char) *p))
            return -EINVAL;
    }
    *ret = steal_ptr(ids);
    *ret_n = n;
    return 0;
}

/* The value (in kB) of "KEY: N kB" in a meminfo file; node files prefix each
 * line with "Node N ". */
static bool
meminfo_get(const char *data, const char *key, uint64_t *ret)
{
    size_t klen = strlen(key);
    for (const char *line = data; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *p = line;
        if (strncmp(p, "Node ", 5) == 0) {
            p += 5;
            while (isdigit((unsigned char) *p))
                p++;
            while (*p == ' ')
                p++;
        }
        if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
            *ret = strtoull(p + klen + 1, NULL, 10);
            return true;
        }
    }
    return false;
}

/* ---- /proc/cpuinfo ---- */

typedef struct CpuinfoProc {
    char *vendor_id, *model_name, *flags, *microcode;
    long family, model, stepping, physical_id, core_id, phys_bits;
    double mhz;
} CpuinfoProc;

static void
cpuinfo_free(CpuinfoProc *procs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(procs[i].vendor_id);
        free(procs[i].model_name);
        free(procs[i].flags);
        free(procs[i].microcode);
    }
    free(procs);
}

/* Parses every "processor" block. A file without one yields zero entries. */
static int
cpuinfo_parse(const char *sysroot, CpuinfoProc **ret, size_t *ret_n, Error *error)
{
    auto_cleanup(free_ptr) char *data = NULL;
    CpuinfoProc *procs = NULL;
    size_t n = 0;
    int r;

    r = read_sys_required(sysroot, "proc/cpuinfo", &data, error);
    if (r < 0)
        return r;

    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *key = strip(line), *val = strip(colon + 1);
        if (STREQ(key, "processor")) {
            procs = xrealloc(procs, (n + 1) * sizeof(*procs));
            procs[n] = (CpuinfoProc) { .family = -1, .model = -1, .stepping = -1,
                                       .physical_id = -1, .core_id = -1 };
            n++;
            continue;
        }
        if (n == 0)
            continue;
        CpuinfoProc *p = &procs[n - 1];
        if (STREQ(key, "vendor_id") && !p->vendor_id)
            p->vendor_id = xstrdup(val);
        else if (STREQ(key, "model name") && !p->model_name)
            p->model_name = xstrdup(val);
        else if (STREQ(key, "flags") && !p->flags)
            p->flags = xstrdup(val);
        else if (STREQ(key, "microcode") && !p->microcode)
            p->microcode = xstrdup(val);
        else if (STREQ(key, "cpu family"))
            p->family = strtol(val, NULL, 10);
        else if (STREQ(key, "model"))
            p->model = strtol(val, NULL, 10);
        else if (STREQ(key, "stepping"))
            p->stepping = strtol(val, NULL, 10);
        else if (STREQ(key, "physical id"))
            p->physical_id = strtol(val, NULL, 10);
        else if (STREQ(key, "core id"))
            p->core_id = strtol(val, NULL, 10);
        else if (STREQ(key, "cpu MHz"))
            p->mhz = strtod(val, NULL);
        else if (STREQ(key, "address sizes"))
            p->phys_bits = strtol(val, NULL, 10);
    }

    *ret = procs;
    *ret_n = n;
    return 0;
}

/* uname's machine: the arch of this host, whatever @sysroot holds. */
static void
host_arch(char *buf, size_t size)
{
    struct utsname uts;
    if (uname(&uts) < 0)
        snprintf(buf, size, "x86_64");
    else
        snprintf(buf, size, "%.31s", uts.machine);
}

/* Online CPU ids: /sys/devices/system/cpu/online, else as many as cpuinfo
 * lists. */
static int
online_cpus(const char *sysroot, unsigned **ret, size_t *ret_n, Error *error)
{
    auto_cleanup(free_ptr) char *data = NULL;

    if (read_sys(sysroot, "sys/devices/system/cpu/online", &data) == 0 &&
        parse_cpulist(data, ret, ret_n) == 0 && *ret_n > 0)
        return 0;

    CpuinfoProc *procs = NULL;
    size_t n = 0;
    int r = cpuinfo_parse(sysroot, &procs, &n, error);
    if (r < 0)
        return r;
    cpuinfo_free(procs, n);
    if (n == 0)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "no CPUs found in '/proc/cpuinfo' below '%s'", sysroot);
    unsigned *ids = xcalloc(n, sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = (unsigned) i;
    *ret = ids;
    *ret_n = n;
    return 0;
}

int
node_get_cpu_map(const char *sysroot, bool **ret_map, size_t *ret_ncpus, unsigned *ret_online,
                 Error *error)
{
    auto_cleanup(free_ptr) char *data = NULL;
    auto_cleanup(free_ptr) unsigned *present = NULL, *online = NULL;
    size_t n_present = 0, n_online = 0, ncpus = 0;
    bool *map;
    int r;

    r = online_cpus(sysroot, &online, &n_online, error);
    if (r < 0)
        return r;
    if (read_sys(sysroot, "sys/devices/system/cpu/present", &data) == 0 &&
        parse_cpulist(data, &present, &n_present) == 0)
        for (size_t i = 0; i < n_present; i++)
            if (present[i] + 1 > ncpus)
                ncpus = present[i] + 1;
    for (size_t i = 0; i < n_online; i++)
        if (online[i] + 1 > ncpus)
            ncpus = online[i] + 1;
    map = xcalloc(ncpus + 1, sizeof(bool));
    for (size_t i = 0; i < n_online; i++)
        map[online[i]] = true;
    *ret_map = map;
    *ret_ncpus = ncpus;
    *ret_online = (unsigned) n_online;
    return 0;
}

static bool
cpu_is_online(const unsigned *online, size_t n, unsigned id)
{
    for (size_t i = 0; i < n; i++)
        if (online[i] == id)
            return true;
    return false;
}

static int
cpu_topo_int(const char *sysroot, unsigned cpu, const char *name)
{
    auto_cleanup(free_ptr) char *rel =
        xasprintf("sys/devices/system/cpu/cpu%u/topology/%s", cpu, name);
    long long v;
    if (read_sys_int(sysroot, rel, &v) < 0 || v < 0 || v > INT32_MAX)
        return -1;
    return (int) v;
}

/* ---- cells ---- */

static int
cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
    return x < y ? -1 : x > y;
}

static void
cell_fill_topology(const char *sysroot, NodeCell *c)
{
    c->cpu_socket_ids = xcalloc(c->n_cpus, sizeof(int));
    c->cpu_die_ids = xcalloc(c->n_cpus, sizeof(int));
    c->cpu_core_ids = xcalloc(c->n_cpus, sizeof(int));
    c->cpu_siblings = xcalloc(c->n_cpus, sizeof(char *));
    for (size_t i = 0; i < c->n_cpus; i++) {
        unsigned id = c->cpus[i];
        c->cpu_socket_ids[i] = cpu_topo_int(sysroot, id, "physical_package_id");
        c->cpu_die_ids[i] = cpu_topo_int(sysroot, id, "die_id");
        c->cpu_core_ids[i] = cpu_topo_int(sysroot, id, "core_id");
        auto_cleanup(free_ptr) char *rel =
            xasprintf("sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", id);
        c->cpu_siblings[i] = read_sys_value(sysroot, rel);
    }
}

void
node_cells_free(NodeCell *cells, size_t n)
{
    if (!cells)
        return;
    for (size_t i = 0; i < n; i++) {
        free(cells[i].cpus);
        free(cells[i].cpu_socket_ids);
        free(cells[i].cpu_die_ids);
        free(cells[i].cpu_core_ids);
        if (cells[i].cpu_siblings)
            for (size_t j = 0; j < cells[i].n_cpus; j++)
                free(cells[i].cpu_siblings[j]);
        free(cells[i].cpu_siblings);
    }
    free(cells);
}

/* The node ids present, sorted; -ENOENT when the kernel has no NUMA sysfs. */
static int
node_ids(const char *sysroot, unsigned **ret, size_t *ret_n)
{
    auto_cleanup(free_ptr) char *path = sysroot_path(sysroot, "sys/devices/system/node");
    DIR *d = opendir(path);
    unsigned *ids = NULL;
    size_t n = 0;
    struct dirent *de;

    if (!d)
        return -errno;
    while ((de = readdir(d))) {
        char *end;
        if (strncmp(de->d_name, "node", 4) != 0 || !isdigit((unsigned char) de->d_name[4]))
            continue;
        unsigned long id = strtoul(de->d_name + 4, &end, 10);
        if (*end || id > 65535)
            continue;
        ids = xrealloc(ids, (n + 1) * sizeof(*ids));
        ids[n++] = (unsigned) id;
    }
    closedir(d);
    if (n == 0) {
        free(ids);
        return -ENOENT;
    }
    qsort(ids, n, sizeof(*ids), cmp_unsigned);
    *ret = ids;
    *ret_n = n;
    return 0;
}

int
node_get_cells(const char *sysroot, NodeCell **ret_cells, size_t *ret_n, Error *error)
{
    auto_cleanup(free_ptr) unsigned *ids = NULL;
    size_t n_ids = 0;
    NodeCell *cells;
    int r;

    if (node_ids(sysroot, &ids, &n_ids) < 0) {
        /* No NUMA sysfs: one cell with every CPU and all memory, as libvirt. */
        auto_cleanup(free_ptr) char *meminfo = NULL;
        uint64_t total = 0;

        r = read_sys_required(sysroot, "proc/meminfo", &meminfo, error);
        if (r < 0)
            return r;
        meminfo_get(meminfo, "MemTotal", &total);
        cells = xcalloc(1, sizeof(*cells));
        cells[0].memory_kib = total;
        r = online_cpus(sysroot, &cells[0].cpus, &cells[0].n_cpus, error);
        if (r < 0) {
            node_cells_free(cells, 1);
            return r;
        }
        cell_fill_topology(sysroot, &cells[0]);
        *ret_cells = cells;
        *ret_n = 1;
        return 0;
    }

    cells = xcalloc(n_ids, sizeof(*cells));
    for (size_t i = 0; i < n_ids; i++) {
        NodeCell *c = &cells[i];
        auto_cleanup(free_ptr) char *cpulist = NULL;
        auto_cleanup(free_ptr) char *meminfo = NULL;
        auto_cleanup(free_ptr) char *rel = NULL;

        c->id = ids[i];
        free(rel);
        rel = xasprintf("sys/devices/system/node/node%u/meminfo", c->id);
        if (read_sys(sysroot, rel, &meminfo) == 0)
            meminfo_get(meminfo, "MemTotal", &c->memory_kib);
        free(rel);
        rel = xasprintf("sys/devices/system/node/node%u/cpulist", c->id);
        if (read_sys(sysroot, rel, &cpulist) == 0 &&
            parse_cpulist(cpulist, &c->cpus, &c->n_cpus) < 0) {
            node_cells_free(cells, n_ids);
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "cannot parse CPU list '%s' of NUMA node %u",
                             strip(cpulist), c->id);
        }
        cell_fill_topology(sysroot, c);
    }
    *ret_cells = cells;
    *ret_n = n_ids;
    return 0;
}

/* ---- node_get_info ---- */

typedef struct TopoKey {
    int socket, die, core;
} TopoKey;

int
node_get_info(const char *sysroot, NodeInfo *ret, Error *error)
{
    NodeCell *cells = NULL;
    size_t n_cells = 0;
    auto_cleanup(free_ptr) unsigned *online = NULL;
    size_t n_online = 0;
    auto_cleanup(free_ptr) char *meminfo = NULL;
    NodeInfo info = { 0 };
    CpuinfoProc *procs = NULL;
    size_t n_procs = 0;
    int r;

    r = read_sys_required(sysroot, "proc/meminfo", &meminfo, error);
    if (r < 0)
        return r;
    if (!meminfo_get(meminfo, "MemTotal", &info.memory_kib))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "no 'MemTotal' in '/proc/meminfo' below '%s'", sysroot);

    r = cpuinfo_parse(sysroot, &procs, &n_procs, error);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n_procs && !info.mhz; i++)
        info.mhz = (unsigned) procs[i].mhz;
    cpuinfo_free(procs, n_procs);
    if (!info.mhz) {
        long long khz;
        if (read_sys_int(sysroot, "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq",
                         &khz) == 0 && khz > 0)
            info.mhz = (unsigned) (khz / 1000);
    }

    host_arch(info.model, sizeof(info.model));

    r = online_cpus(sysroot, &online, &n_online, error);
    if (r < 0)
        return r;
    info.cpus = (unsigned) n_online;

    r = node_get_cells(sysroot, &cells, &n_cells, error);
    if (r < 0)
        return r;

    /* As libvirt (virHostMemGetInfo): with NUMA the memory is the nodes'
     * MemTotal added up, which a guest's own NUMA layout can make smaller
     * than /proc/meminfo's; without, one cell holds /proc/meminfo's. */
    {
        uint64_t sum = 0;

        for (size_t c = 0; c < n_cells; c++)
            sum += cells[c].memory_kib;
        if (sum > 0)
            info.memory_kib = sum;
    }

    /* As libvirt: per node, count sockets; per socket, cores; per core,
     * threads; keep the largest of each. Only online CPUs count. */
    info.nodes = (unsigned) n_cells;
    for (size_t c = 0; c < n_cells; c++) {
        const NodeCell *cell = &cells[c];
        auto_cleanup(free_ptr) TopoKey *keys = xcalloc(cell->n_cpus, sizeof(TopoKey));
        auto_cleanup(free_ptr) unsigned *key_threads = xcalloc(cell->n_cpus, sizeof(unsigned));
        size_t n_keys = 0;
        auto_cleanup(free_ptr) int *sockets = xcalloc(cell->n_cpus, sizeof(int));
        size_t n_sockets = 0;

        for (size_t i = 0; i < cell->n_cpus; i++) {
            if (!cpu_is_online(online, n_online, cell->cpus[i]))
                continue;
            TopoKey k = { cell->cpu_socket_ids[i], cell->cpu_die_ids[i],
                          cell->cpu_core_ids[i] };
            if (k.core < 0)
                k.core = (int) cell->cpus[i];
            size_t j;
            for (j = 0; j < n_keys; j++)
                if (keys[j].socket == k.socket && keys[j].die == k.die && keys[j].core == k.core)
                    break;
            if (j == n_keys)
                keys[n_keys++] = k;
            key_threads[j]++;
            for (j = 0; j < n_sockets; j++)
                if (sockets[j] == k.socket)
                    break;
            if (j == n_sockets)
                sockets[n_sockets++] = k.socket;
        }
        if (n_sockets > info.sockets)
            info.sockets = (unsigned) n_sockets;
        for (size_t s = 0; s < n_sockets; s++) {
            unsigned cores = 0;
            for (size_t j = 0; j < n_keys; j++)
                if (keys[j].socket == sockets[s])
                    cores++;
            if (cores > info.cores)
                info.cores = cores;
        }
        for (size_t j = 0; j < n_keys; j++)
            if (key_threads[j] > info.threads)
                info.threads = key_threads[j];
    }
    node_cells_free(cells, n_cells);

    /* libvirt's fallback when the topology does not multiply out (offline
     * CPUs, asymmetric nodes): report all CPUs as cores of one socket. */
    if (!info.nodes || !info.sockets || !info.cores || !info.threads ||
        info.nodes * info.sockets * info.cores * info.threads != info.cpus) {
        info.nodes = 1;
        info.sockets = 1;
        info.cores = info.cpus;
        info.threads = 1;
    }

    *ret = info;
    return 0;
}

/* ---- CPU and memory stats ---- */

int
node_get_cpu_stats(const char *sysroot, int cpu_num, NodeStat **ret_stats, size_t *ret_n,
                   Error *error)
{
    auto_cleanup(free_ptr) char *data = NULL;
    char want[32];
    int r;

    r = read_sys_required(sysroot, "proc/stat", &data, error);
    if (r < 0)
        return r;
    if (cpu_num < -1)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "Invalid cpuNum in virHostCPUGetStatsLinux");
    if (cpu_num == -1)
        snprintf(want, sizeof(want), "cpu");
    else
        snprintf(want, sizeof(want), "cpu%d", cpu_num);

    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0)
        hz = 100;
    uint64_t tick_ns = 1000000000ULL / (uint64_t) hz;

    for (char *line = data; line && *line; ) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t wl = strlen(want);
        if (strncmp(line, want, wl) == 0 && line[wl] == ' ') {
            unsigned long long v[8] = { 0 };
            int k = sscanf(line + wl, "%llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            if (k < 4)
                return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                                 "cannot parse line '%s' of '/proc/stat'", line);
            /* user nice system idle iowait irq softirq steal */
            NodeStat *s = xcalloc(4, sizeof(*s));
            snprintf(s[0].field, sizeof(s[0].field), "kernel");
            s[0].value = (v[2] + v[5] + v[6]) * tick_ns;
            snprintf(s[1].field, sizeof(s[1].field), "user");
            s[1].value = (v[0] + v[1]) * tick_ns;
            snprintf(s[2].field, sizeof(s[2].field), "idle");
            s[2].value = v[3] * tick_ns;
            snprintf(s[3].field, sizeof(s[3].field), "iowait");
            s[3].value = v[4] * tick_ns;
            *ret_stats = s;
            *ret_n = 4;
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    /* libvirt's wording for a CPU that is not there. */
    return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                     "Invalid cpuNum in virHostCPUGetStatsLinux");
}

int
node_get_memory_stats(const char *sysroot, int cell, NodeStat **ret_stats, size_t *ret_n,
                      Error *error)
{
    auto_cleanup(free_ptr) char *data = NULL;
    static const struct { const char *key, *field; } keys[] = {
        { "MemTotal", "total" }, { "MemFree", "free" },
        { "Buffers", "buffers" }, { "Cached", "cached" },
    };
    int r;

    if (cell == -1) {
        r = read_sys_required(sysroot, "proc/meminfo", &data, error);
        if (r < 0)
            return r;
    } else {
        auto_cleanup(free_ptr) unsigned *ids = NULL;
        size_t n_ids = 0;
        int max_node = 0;
        bool found = false;

        if (node_ids(sysroot, &ids, &n_ids) == 0) {
            max_node = (int) ids[n_ids - 1];
            for (size_t i = 0; i < n_ids; i++)
                found |= cell >= 0 && ids[i] == (unsigned) cell;
        } else {
            found = cell == 0;
        }
        if (!found)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "cellNum in virHostMemGetStats must be less than or equal to %d",
                             max_node);
        if (n_ids > 0) {
            auto_cleanup(free_ptr) char *rel =
                xasprintf("sys/devices/system/node/node%d/meminfo", cell);
            r = read_sys_required(sysroot, rel, &data, error);
        } else {
            r = read_sys_required(sysroot, "proc/meminfo", &data, error);
        }
        if (r < 0)
            return r;
    }

    NodeStat *stats = xcalloc(ARRAY_SIZE(keys), sizeof(*stats));
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        uint64_t v;
        /* A cell has no Buffers or Cached line: libvirt gives total and free. */
        if (cell != -1 && i >= 2)
            break;
        if (!meminfo_get(data, keys[i].key, &v))
            continue;
        snprintf(stats[n].field, sizeof(stats[n].field), "%s", keys[i].field);
        stats[n].value = v;
        n++;
    }
    if (n == 0) {
        free(stats);
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "no memory statistics found for cell %d", cell);
    }
    *ret_stats = stats;
    *ret_n = n;
    return 0;
}

int
node_get_free_memory(const char *sysroot, uint64_t *ret_bytes, Error *error)
{
    auto_cleanup(free_ptr) char *data = NULL;
    uint64_t kib;
    int r;

    r = read_sys_required(sysroot, "proc/meminfo", &data, error);
    if (r < 0)
        return r;
    if (!meminfo_get(data, "MemFree", &kib))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "no 'MemFree' in '/proc/meminfo' below '%s'", sysroot);
    *ret_bytes = kib * 1024;
    return 0;
}

int
node_get_cells_free_memory(const char *sysroot, uint64_t **ret_free, size_t *ret_n,
                           Error *error)
{
    auto_cleanup(free_ptr) unsigned *ids = NULL;
    size_t n_ids = 0;

    if (node_ids(sysroot, &ids, &n_ids) < 0) {
        uint64_t bytes;
        int r = node_get_free_memory(sysroot, &bytes, error);
        if (r < 0)
            return r;
        uint64_t *v = xcalloc(1, sizeof(*v));
        v[0] = bytes;
        *ret_free = v;
        *ret_n = 1;
        return 0;
    }

    /* Indexed by cell id; a hole in the numbering reads as 0. */
    size_t n = ids[n_ids - 1] + 1;
    uint64_t *v = xcalloc(n, sizeof(*v));
    for (size_t i = 0; i < n_ids; i++) {
        auto_cleanup(free_ptr) char *rel =
            xasprintf("sys/devices/system/node/node%u/meminfo", ids[i]);
        auto_cleanup(free_ptr) char *data = NULL;
        uint64_t kib = 0;
        int r = read_sys_required(sysroot, rel, &data, error);
        if (r < 0) {
            free(v);
            return r;
        }
        meminfo_get(data, "MemFree", &kib);
        v[ids[i]] = kib * 1024;
    }
    *ret_free = v;
    *ret_n = n;
    return 0;
}

/* ---- pages ---- */

/* Free pages of @size KiB in @cell (-1: the whole host), as libvirt's
 * virNumaGetPageInfo counts them: the system page size from the free
 * memory, a huge page size from its pool in sysfs. */
static int
cell_free_pages(const char *sysroot, int cell, unsigned size, uint64_t *ret, Error *error)
{
    long page = sysconf(_SC_PAGESIZE);
    auto_cleanup(free_ptr) char *rel = NULL, *data = NULL;
    uint64_t kib = 0;
    int r;

    if (page > 0 && size == (unsigned) (page / 1024)) {
        if (cell < 0) {
            r = node_get_free_memory(sysroot, &kib, error);
            if (r < 0)
                return r;
            *ret = kib / (uint64_t) page;   /* node_get_free_memory gives bytes */
            return 0;
        }
        rel = xasprintf("sys/devices/system/node/node%d/meminfo", cell);
        if ((r = read_sys_required(sysroot, rel, &data, error)) < 0)
            return r;
        meminfo_get(data, "MemFree", &kib);
        *ret = kib * 1024 / (uint64_t) page;
        return 0;
    }
    rel = cell < 0 ? xasprintf("sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages", size)
                   : xasprintf("sys/devices/system/node/node%d/hugepages/hugepages-%ukB/"
                               "free_hugepages", cell, size);
    if (read_sys(sysroot, rel, &data) < 0) {
        auto_cleanup(free_ptr) char *node = xasprintf("sys/devices/system/node/node%d", cell);
        auto_cleanup(free_ptr) char *path = sysroot_path(sysroot, node);
        if (cell >= 0 && access(path, F_OK) < 0)
            return error_set(error, -ENOENT, VIR_ERR_OPERATION_FAILED,
                             "operation failed: NUMA node %d is not available", cell);
        return cell < 0 ? error_set(error, -ENOENT, VIR_ERR_OPERATION_FAILED,
                                    "operation failed: page size %u is not available", size)
                        : error_set(error, -ENOENT, VIR_ERR_OPERATION_FAILED,
                                    "operation failed: page size %u is not available on node "
                                    "%d", size, cell);
    }
    *ret = strtoull(strip(data), NULL, 10);
    return 0;
}

/* The cells from *@start (at most @count) to *@ret_last, as libvirt's
 * virHostMemGetFreePages walks them: without NUMA in sysfs the host is one
 * cell, read as a whole (-1). */
static int
cell_range(const char *sysroot, int *start, unsigned count, int *ret_last, Error *error)
{
    auto_cleanup(free_ptr) unsigned *ids = NULL;
    size_t n_ids = 0;
    int last;

    if (node_ids(sysroot, &ids, &n_ids) < 0 || n_ids == 0) {
        last = 0;
        if (*start == 0 && count == 1)
            *start = -1;
    } else {
        last = (int) ids[n_ids - 1];
    }
    if (*start > last)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: start cell %d out of range (0-%d)", *start, last);
    if ((int64_t) *start + count - 1 < last)
        last = *start + (int) count - 1;
    *ret_last = last;
    return 0;
}

int
node_get_free_pages(const char *sysroot, const unsigned *sizes, size_t n_sizes, int start,
                    unsigned count, uint64_t **ret, size_t *ret_n, Error *error)
{
    auto_cleanup(free_ptr) uint64_t *v = NULL;
    size_t n = 0;
    int last, r;

    if ((r = cell_range(sysroot, &start, count, &last, error)) < 0)
        return r;
    v = xcalloc((size_t) (last - start + 1) * n_sizes + 1, sizeof(*v));
    for (int cell = start; cell <= last; cell++)
        for (size_t i = 0; i < n_sizes; i++)
            if ((r = cell_free_pages(sysroot, cell, sizes[i], &v[n++], error)) < 0)
                return r;
    if (!n)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR, "%s",
                         "internal error: no suitable info found");
    *ret = steal_ptr(v);
    *ret_n = n;
    return 0;
}

/* A huge page pool's size, as libvirt's virNumaSetPagePoolSize sets it:
 * @count more pages (@add) or @count in all, then read back. */
static int
cell_set_pool(const char *sysroot, int cell, unsigned size, uint64_t count, bool add,
              Error *error)
{
    long page = sysconf(_SC_PAGESIZE);
    auto_cleanup(free_ptr) char *rel = NULL, *data = NULL, *path = NULL;
    uint64_t cur;
    char *end;
    int fd, r;

    if (page > 0 && size == (unsigned) (page / 1024))
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED, "%s",
                         "Operation not supported: system pages pool can't be modified");
    rel = cell < 0 ? xasprintf("sys/kernel/mm/hugepages/hugepages-%ukB/nr_hugepages", size)
                   : xasprintf("sys/devices/system/node/node%d/hugepages/hugepages-%ukB/"
                               "nr_hugepages", cell, size);
    path = sysroot_path(sysroot, rel);
    if (read_sys(sysroot, rel, &data) < 0) {
        uint64_t unused;
        /* The free count's path gives libvirt's message for what is missing. */
        r = cell_free_pages(sysroot, cell, size, &unused, error);
        return r < 0 ? r : error_set_errno(error, -EIO, VIR_ERR_SYSTEM_ERROR,
                                           "cannot read '%s'", path);
    }
    cur = strtoull(data, &end, 10);
    if (end == data || *end != '\n')
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_FAILED,
                         "operation failed: invalid number '%s' in '%s'", data, path);
    if (add ? count == 0 : cur == count)
        return 0;   /* nothing to do */
    if (add)
        count += cur;
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || dprintf(fd, "%" PRIu64, count) < 0) {
        r = -errno;
        if (fd >= 0)
            close(fd);
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR, "Unable to write to: %s", path);
    }
    close(fd);
    free(steal_ptr(data));
    if (read_sys(sysroot, rel, &data) < 0)
        return error_set_errno(error, -EIO, VIR_ERR_SYSTEM_ERROR, "cannot read '%s'", path);
    cur = strtoull(data, NULL, 10);
    if (cur != count)
        return error_set(error, -ENOMEM, VIR_ERR_OPERATION_FAILED,
                         "operation failed: Unable to allocate %" PRIu64 " pages. Allocated "
                         "only %" PRIu64, count, cur);
    return 0;
}

int
node_alloc_pages(const char *sysroot, const unsigned *sizes, const uint64_t *counts,
                 size_t n_sizes, int start, unsigned count, bool add, Error *error)
{
    int last, r, n = 0;

    if ((r = cell_range(sysroot, &start, count, &last, error)) < 0)
        return r;
    for (int cell = start; cell <= last; cell++)
        for (size_t i = 0; i < n_sizes; i++, n++)
            if ((r = cell_set_pool(sysroot, cell, sizes[i], counts[i], add, error)) < 0)
                return r;
    return n;
}

/* ---- sysinfo ---- */

typedef struct Buf {
    char *s;
    size_t len, cap;
} Buf;

static void _printf_(2, 3)
buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *t;
    if (vasprintf(&t, fmt, ap) < 0)
        abort();
    va_end(ap);
    size_t n = strlen(t);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, t, n + 1);
    b->len += n;
    free(t);
}

static char *
xml_escape(const char *s)
{
    Buf b = { 0 };
    buf_printf(&b, "%s", "");
    for (; *s; s++) {
        switch (*s) {
        case '<': buf_printf(&b, "&lt;"); break;
        case '>': buf_printf(&b, "&gt;"); break;
        case '&': buf_printf(&b, "&amp;"); break;
        case '\'': buf_printf(&b, "&apos;"); break;
        case '"': buf_printf(&b, "&quot;"); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            if ((unsigned char) *s < 0x20 && *s != '\t' && *s != '\n')
                buf_printf(&b, " ");
            else
                buf_printf(&b, "%c", *s);
        }
    }
    return b.s;
}

typedef struct DmiEntry {
    const char *file, *name;
} DmiEntry;

/* Writes <TAG> with the entries that exist; nothing when none does. */
static void
sysinfo_section(Buf *b, const char *sysroot, const char *tag, const DmiEntry *entries,
                size_t n)
{
    bool opened = false;
    for (size_t i = 0; i < n; i++) {
        auto_cleanup(free_ptr) char *rel = xasprintf("sys/class/dmi/id/%s", entries[i].file);
        auto_cleanup(free_ptr) char *v = read_sys_value(sysroot, rel);
        if (!v)
            continue;
        auto_cleanup(free_ptr) char *e = xml_escape(v);
        if (!opened) {
            buf_printf(b, "  <%s>\n", tag);
            opened = true;
        }
        buf_printf(b, "    <entry name='%s'>%s</entry>\n", entries[i].name, e);
    }
    if (opened)
        buf_printf(b, "  </%s>\n", tag);
}

static const char *
vendor_long_name(const char *vendor_id)
{
    /* What dmidecode prints as the processor manufacturer. */
    if (!vendor_id)
        return NULL;
    if (STREQ(vendor_id, "GenuineIntel"))
        return "Intel(R) Corporation";
    if (STREQ(vendor_id, "AuthenticAMD"))
        return "Advanced Micro Devices, Inc.";
    if (STREQ(vendor_id, "HygonGenuine"))
        return "Chengdu Hygon IC Design Co., Ltd.";
    return vendor_id;
}

int
node_get_sysinfo_xml(const char *sysroot, char **ret_xml, Error *error)
{
    static const DmiEntry bios[] = {
        { "bios_vendor", "vendor" }, { "bios_version", "version" },
        { "bios_date", "date" }, { "bios_release", "release" },
    };
    static const DmiEntry system[] = {
        { "sys_vendor", "manufacturer" }, { "product_name", "product" },
        { "product_version", "version" }, { "product_serial", "serial" },
        { "product_uuid", "uuid" }, { "product_sku", "sku" },
        { "product_family", "family" },
    };
    static const DmiEntry board[] = {
        { "board_vendor", "manufacturer" }, { "board_name", "product" },
        { "board_version", "version" }, { "board_serial", "serial" },
        { "board_asset_tag", "asset" },
    };
    static const DmiEntry chassis[] = {
        { "chassis_vendor", "manufacturer" }, { "chassis_version", "version" },
        { "chassis_serial", "serial" }, { "chassis_asset_tag", "asset" },
    };
    CpuinfoProc *procs = NULL;
    size_t n_procs = 0;
    Buf b = { 0 };
    int r;

    r = cpuinfo_parse(sysroot, &procs, &n_procs, error);
    if (r < 0)
        return r;

    buf_printf(&b, "<sysinfo type='smbios'>\n");
    sysinfo_section(&b, sysroot, "bios", bios, ARRAY_SIZE(bios));
    sysinfo_section(&b, sysroot, "system", system, ARRAY_SIZE(system));
    sysinfo_section(&b, sysroot, "baseBoard", board, ARRAY_SIZE(board));
    sysinfo_section(&b, sysroot, "chassis", chassis, ARRAY_SIZE(chassis));

    /* One <processor> per socket, as SMBIOS type 4 has one per socket. */
    long seen[256];
    size_t n_seen = 0;
    for (size_t i = 0; i < n_procs; i++) {
        const CpuinfoProc *p = &procs[i];
        size_t j;
        for (j = 0; j < n_seen; j++)
            if (seen[j] == p->physical_id)
                break;
        if (j < n_seen || n_seen == ARRAY_SIZE(seen))
            continue;
        seen[n_seen++] = p->physical_id;

        buf_printf(&b, "  <processor>\n");
        if (p->physical_id >= 0)
            buf_printf(&b, "    <entry name='socket_destination'>CPU %ld</entry>\n",
                       p->physical_id);
        buf_printf(&b, "    <entry name='type'>Central Processor</entry>\n");
        const char *manu = vendor_long_name(p->vendor_id);
        if (manu) {
            auto_cleanup(free_ptr) char *e = xml_escape(manu);
            buf_printf(&b, "    <entry name='manufacturer'>%s</entry>\n", e);
        }
        if (p->family >= 0 && p->model >= 0 && p->stepping >= 0)
            buf_printf(&b, "    <entry name='signature'>Family %ld, Model %ld, "
                       "Stepping %ld</entry>\n", p->family, p->model, p->stepping);
        if (p->model_name) {
            auto_cleanup(free_ptr) char *e = xml_escape(p->model_name);
            buf_printf(&b, "    <entry name='version'>%s</entry>\n", e);
        }
        if (p->mhz > 0)
            buf_printf(&b, "    <entry name='max_speed'>%u MHz</entry>\n", (unsigned) p->mhz);
        buf_printf(&b, "    <entry name='status'>Populated, Enabled</entry>\n");
        buf_printf(&b, "  </processor>\n");
    }
    cpuinfo_free(procs, n_procs);
    buf_printf(&b, "</sysinfo>\n");

    *ret_xml = b.s;
    return 0;
}

/* ---- host CPU ---- */

/* cpuinfo flag -> libvirt feature name (x86_features.xml). Flags the kernel
 * synthesizes (constant_tsc, rep_good, ...) and unknown ones are dropped. A
 * NULL libvirt name means "same as the flag". */
static const struct { const char *flag, *name; } x86_flags[] = {
    { "fpu", NULL }, { "vme", NULL }, { "de", NULL }, { "pse", NULL }, { "tsc", NULL },
    { "msr", NULL }, { "pae", NULL }, { "mce", NULL }, { "cx8", NULL }, { "apic", NULL },
    { "sep", NULL }, { "mtrr", NULL }, { "pge", NULL }, { "mca", NULL }, { "cmov", NULL },
    { "pat", NULL }, { "pse36", NULL }, { "pn", NULL }, { "clflush", NULL },
    { "dts", "ds" }, { "acpi", NULL }, { "mmx", NULL }, { "fxsr", NULL }, { "sse", NULL },
    { "sse2", NULL }, { "ss", NULL }, { "ht", NULL }, { "tm", NULL }, { "ia64", NULL },
    { "pbe", NULL },
    { "pni", NULL }, { "pclmulqdq", NULL }, { "dtes64", NULL }, { "monitor", NULL },
    { "ds_cpl", NULL }, { "vmx", NULL }, { "smx", NULL }, { "est", NULL }, { "tm2", NULL },
    { "ssse3", NULL }, { "cid", NULL }, { "fma", NULL }, { "cx16", NULL }, { "xtpr", NULL },
    { "pdcm", NULL }, { "pcid", NULL }, { "dca", NULL }, { "sse4_1", "sse4.1" },
    { "sse4_2", "sse4.2" }, { "x2apic", NULL }, { "movbe", NULL }, { "popcnt", NULL },
    { "tsc_deadline_timer", "tsc-deadline" }, { "aes", NULL }, { "xsave", NULL },
    { "osxsave", NULL }, { "avx", NULL }, { "f16c", NULL }, { "rdrand", NULL },
    { "hypervisor", NULL },
    { "syscall", NULL }, { "nx", NULL }, { "mmxext", NULL }, { "fxsr_opt", NULL },
    { "pdpe1gb", NULL }, { "rdtscp", NULL }, { "lm", NULL }, { "3dnowext", NULL },
    { "3dnow", NULL },
    { "lahf_lm", NULL }, { "cmp_legacy", NULL }, { "svm", NULL }, { "extapic", NULL },
    { "cr8_legacy", "cr8legacy" }, { "abm", NULL }, { "sse4a", NULL },
    { "misalignsse", NULL }, { "3dnowprefetch", NULL }, { "osvw", NULL }, { "ibs", NULL },
    { "xop", NULL }, { "skinit", NULL }, { "wdt", NULL }, { "lwp", NULL }, { "fma4", NULL },
    { "tce", NULL }, { "nodeid_msr", NULL }, { "tbm", NULL }, { "topoext", NULL },
    { "perfctr_core", NULL }, { "perfctr_nb", NULL },
    { "fsgsbase", NULL }, { "tsc_adjust", NULL }, { "sgx", NULL }, { "bmi1", NULL },
    { "hle", NULL }, { "avx2", NULL }, { "smep", NULL }, { "bmi2", NULL }, { "erms", NULL },
    { "invpcid", NULL }, { "rtm", NULL }, { "cqm", "cmt" }, { "mpx", NULL },
    { "avx512f", NULL }, { "avx512dq", NULL }, { "rdseed", NULL }, { "adx", NULL },
    { "smap", NULL }, { "avx512ifma", NULL }, { "pcommit", NULL }, { "clflushopt", NULL },
    { "clwb", NULL }, { "intel_pt", "intel-pt" }, { "avx512pf", NULL }, { "avx512er", NULL },
    { "avx512cd", NULL }, { "sha_ni", "sha-ni" }, { "avx512bw", NULL }, { "avx512vl", NULL },
    { "avx512vbmi", NULL }, { "umip", NULL }, { "pku", NULL }, { "ospke", NULL },
    { "waitpkg", NULL }, { "avx512_vbmi2", "avx512-vbmi2" }, { "gfni", NULL },
    { "vaes", NULL }, { "vpclmulqdq", NULL }, { "avx512_vnni", "avx512vnni" },
    { "avx512_bitalg", "avx512bitalg" }, { "avx512_vpopcntdq", "avx512-vpopcntdq" },
    { "la57", NULL }, { "rdpid", NULL }, { "sgx_lc", "sgxlc" }, { "cldemote", NULL },
    { "movdiri", NULL }, { "movdir64b", NULL },
    { "avx512_4vnniw", "avx512-4vnniw" }, { "avx512_4fmaps", "avx512-4fmaps" },
    { "fsrm", NULL }, { "avx512_vp2intersect", "avx512-vp2intersect" },
    { "md_clear", "md-clear" }, { "serialize", NULL }, { "tsxldtrk", "tsx-ldtrk" },
    { "arch_lbr", "arch-lbr" }, { "amx_bf16", "amx-bf16" }, { "avx512_fp16", "avx512-fp16" },
    { "amx_tile", "amx-tile" }, { "amx_int8", "amx-int8" },
    { "flush_l1d", "flush-l1d" }, { "arch_capabilities", "arch-capabilities" },
    { "core_capabilities", "core-capability" },
    { "avx_vnni", "avx-vnni" }, { "avx512_bf16", "avx512-bf16" },
    { "xsaveopt", NULL }, { "xsavec", NULL }, { "xgetbv1", NULL }, { "xsaves", NULL },
    { "clzero", NULL }, { "xsaveerptr", NULL }, { "wbnoinvd", NULL }, { "amd_ssbd", "amd-ssbd" },
    { "virt_ssbd", "virt-ssbd" }, { "amd_ppin", NULL },
    { "arat", NULL }, { "nonstop_tsc", "invtsc" },
    { "npt", NULL }, { "lbrv", NULL }, { "svm_lock", "svm-lock" },
    { "nrip_save", "nrip-save" }, { "tsc_scale", "tsc-scale" },
    { "vmcb_clean", "vmcb-clean" }, { "flushbyasid", NULL },
    { "decodeassists", NULL }, { "pausefilter", "pause-filter" },
    { "pfthreshold", NULL }, { "avic", NULL }, { "v_vmsave_vmload", "v-vmsave-vmload" },
    { "vgif", NULL }, { "succor", NULL }, { "lfence_always_serializing", NULL },
};

/* Speculation-control flags whose libvirt name depends on the vendor: the
 * kernel shows "ibrs" for Intel's spec-ctrl and AMD's amd-ibrs alike. */
static const char *
vendor_flag_name(const char *flag, bool amd)
{
    if (STREQ(flag, "ibrs"))
        return amd ? "amd-ibrs" : "spec-ctrl";
    if (STREQ(flag, "stibp"))
        return amd ? "amd-stibp" : "stibp";
    if (STREQ(flag, "ssbd"))
        return amd ? "amd-ssbd" : "ssbd";
    if (STREQ(flag, "ibpb"))
        return amd ? "ibpb" : NULL; /* Intel's IBPB is part of spec-ctrl */
    return NULL;
}

static const char *
flag_to_feature(const char *flag, bool amd)
{
    const char *v = vendor_flag_name(flag, amd);
    if (v)
        return v;
    for (size_t i = 0; i < ARRAY_SIZE(x86_flags); i++)
        if (STREQ(x86_flags[i].flag, flag))
            return x86_flags[i].name ? x86_flags[i].name : x86_flags[i].flag;
    return NULL;
}

/* Newest first: the first model QEMU knows wins. Keyed on the CPUID
 * signature; families and models from the vendors' documentation. */
typedef struct ModelRule {
    const char *vendor;
    unsigned family;
    unsigned models[12];    /* 0-terminated; {0} matches every model */
    const char *chain[6];   /* candidates, best first */
    unsigned min_stepping;  /* Skylake-SP, Cascade Lake and Cooper Lake share model 85 */
} ModelRule;

static const ModelRule model_rules[] = {
    { "Intel", 6, { 0x8f, 0xcf }, { "SapphireRapids", "Cooperlake", "Cascadelake-Server",
                                    "Skylake-Server-IBRS", "Skylake-Server" } },
    { "Intel", 6, { 0x6a, 0x6c }, { "Icelake-Server", "Cascadelake-Server",
                                    "Skylake-Server-IBRS", "Skylake-Server" } },
    { "Intel", 6, { 0x7d, 0x7e, 0x8c, 0x8d, 0x97, 0x9a, 0xb7, 0xba, 0xbf },
      { "Icelake-Client", "Skylake-Client-IBRS", "Skylake-Client" } },
    { "Intel", 6, { 0x55 }, { "Cooperlake", "Cascadelake-Server", "Skylake-Server-IBRS",
                              "Skylake-Server" }, 10 },
    { "Intel", 6, { 0x55 }, { "Cascadelake-Server", "Skylake-Server-IBRS", "Skylake-Server" },
      5 },
    { "Intel", 6, { 0x55 }, { "Skylake-Server-IBRS", "Skylake-Server" } },
    { "Intel", 6, { 0x4e, 0x5e, 0x8e, 0x9e, 0xa5, 0xa6 },
      { "Skylake-Client-IBRS", "Skylake-Client" } },
    { "Intel", 6, { 0x3d, 0x47, 0x4f, 0x56 }, { "Broadwell-IBRS", "Broadwell" } },
    { "Intel", 6, { 0x3c, 0x3f, 0x45, 0x46 }, { "Haswell-IBRS", "Haswell" } },
    { "Intel", 6, { 0x3a, 0x3e }, { "IvyBridge-IBRS", "IvyBridge" } },
    { "Intel", 6, { 0x2a, 0x2d }, { "SandyBridge-IBRS", "SandyBridge" } },
    { "Intel", 6, { 0x25, 0x2c, 0x2f }, { "Westmere-IBRS", "Westmere" } },
    { "Intel", 6, { 0x1a, 0x1e, 0x1f, 0x2e }, { "Nehalem-IBRS", "Nehalem" } },
    { "Intel", 6, { 0x17, 0x1d }, { "Penryn" } },
    { "Intel", 6, { 0x0f, 0x16 }, { "Conroe" } },
    { "Intel", 6, { 0x5f }, { "Denverton" } },
    { "Intel", 6, { 0x86 }, { "Snowridge" } },
    { "AMD", 0x19, { 0x10, 0x11, 0x18, 0x90, 0xa0 },
      { "EPYC-Genoa", "EPYC-Milan", "EPYC-Rome", "EPYC" } },
    { "AMD", 0x19, { 0 }, { "EPYC-Milan", "EPYC-Rome", "EPYC" } },
    { "AMD", 0x17, { 0x31, 0x47, 0x60, 0x68, 0x71, 0x90, 0xa0 }, { "EPYC-Rome", "EPYC" } },
    { "AMD", 0x17, { 0 }, { "EPYC-IBPB", "EPYC" } },
    { "AMD", 0x15, { 0x02, 0x10, 0x13 }, { "Opteron_G5", "Opteron_G4" } },
    { "AMD", 0x15, { 0 }, { "Opteron_G4" } },
    { "AMD", 0x10, { 0 }, { "Opteron_G3" } },
    { "Hygon", 0x18, { 0 }, { "Dhyana" } },
};

static bool
model_available(const char *name, const char *const *available)
{
    if (!available)
        return true;
    for (size_t i = 0; available[i]; i++)
        if (STREQ(available[i], name))
            return true;
    return false;
}

void
host_cpu_pick_model(HostCpu *cpu, const char *const *available)
{
    const char *pick = NULL;

    if (!cpu)
        return;
    if (cpu->vendor && cpu->arch && (STREQ(cpu->arch, "x86_64") || STREQ(cpu->arch, "i686"))) {
        for (size_t i = 0; i < ARRAY_SIZE(model_rules) && !pick; i++) {
            const ModelRule *rule = &model_rules[i];
            bool match = false;
            if (!STREQ(rule->vendor, cpu->vendor) || rule->family != cpu->family ||
                cpu->stepping < rule->min_stepping)
                continue;
            if (rule->models[0] == 0)
                match = true;
            for (size_t m = 0; m < ARRAY_SIZE(rule->models) && rule->models[m]; m++)
                match |= rule->models[m] == cpu->model_number;
            if (!match)
                continue;
            for (size_t c = 0; c < ARRAY_SIZE(rule->chain) && rule->chain[c] && !pick; c++)
                if (model_available(rule->chain[c], available))
                    pick = rule->chain[c];
        }
        if (!pick)
            pick = STREQ(cpu->arch, "x86_64") ? "qemu64" : "qemu32";
    } else if (!pick) {
        /* Other architectures: QEMU's "max" is the honest answer. */
        pick = "max";
    }
    free(cpu->model);
    cpu->model = xstrdup(pick);
}

void
host_cpu_free(HostCpu *cpu)
{
    if (!cpu)
        return;
    free(cpu->arch);
    free(cpu->vendor);
    free(cpu->model);
    for (size_t i = 0; i < cpu->n_features; i++)
        free(cpu->features[i]);
    free(cpu->features);
    free(cpu);
}

int
node_get_host_cpu(const char *sysroot, HostCpu **ret, Error *error)
{
    auto_cleanup(host_cpu_freep) HostCpu *cpu = NULL;
    CpuinfoProc *procs = NULL;
    size_t n_procs = 0;
    NodeInfo info;
    int r;

    r = node_get_info(sysroot, &info, error);
    if (r < 0)
        return r;
    r = cpuinfo_parse(sysroot, &procs, &n_procs, error);
    if (r < 0)
        return r;

    cpu = xcalloc(1, sizeof(*cpu));
    cpu->arch = xstrdup(info.model);
    cpu->sockets = info.sockets;
    cpu->cores = info.cores;
    cpu->threads = info.threads;
    cpu->dies = 1;
    cpu->mhz = info.mhz;

    /* Dies per socket, where the kernel tells: distinct die_id on cpu0's
     * package. */
    {
        int pkg0 = cpu_topo_int(sysroot, 0, "physical_package_id");
        int dies[64];
        size_t n_dies = 0;
        auto_cleanup(free_ptr) unsigned *online = NULL;
        size_t n_online = 0;
        Error ignored = ERROR_INIT;
        if (online_cpus(sysroot, &online, &n_online, &ignored) == 0) {
            for (size_t i = 0; i < n_online; i++) {
                if (cpu_topo_int(sysroot, online[i], "physical_package_id") != pkg0)
                    continue;
                int d = cpu_topo_int(sysroot, online[i], "die_id");
                size_t j;
                for (j = 0; j < n_dies; j++)
                    if (dies[j] == d)
                        break;
                if (j == n_dies && n_dies < ARRAY_SIZE(dies))
                    dies[n_dies++] = d;
            }
        }
        error_clear(&ignored);
        if (n_dies > 1 && cpu->cores % n_dies == 0) {
            cpu->dies = (unsigned) n_dies;
            cpu->cores /= (unsigned) n_dies;
        }
    }

    if (n_procs > 0) {
        const CpuinfoProc *p = &procs[0];
        if (p->vendor_id) {
            if (STREQ(p->vendor_id, "GenuineIntel"))
                cpu->vendor = xstrdup("Intel");
            else if (STREQ(p->vendor_id, "AuthenticAMD"))
                cpu->vendor = xstrdup("AMD");
            else if (STREQ(p->vendor_id, "HygonGenuine"))
                cpu->vendor = xstrdup("Hygon");
            else
                cpu->vendor = xstrdup(p->vendor_id);
        }
        cpu->family = p->family > 0 ? (unsigned) p->family : 0;
        cpu->model_number = p->model > 0 ? (unsigned) p->model : 0;
        cpu->stepping = p->stepping > 0 ? (unsigned) p->stepping : 0;
        cpu->phys_bits = p->phys_bits > 0 ? (unsigned) p->phys_bits : 0;
        if (p->microcode)
            cpu->microcode = strtoull(p->microcode, NULL, 0);

        bool amd = cpu->vendor && (STREQ(cpu->vendor, "AMD") || STREQ(cpu->vendor, "Hygon"));
        if (p->flags) {
            auto_cleanup(free_ptr) char *flags = xstrdup(p->flags);
            char *save = NULL;
            for (char *f = strtok_r(flags, " \t", &save); f; f = strtok_r(NULL, " \t", &save)) {
                const char *name = flag_to_feature(f, amd);
                bool dup = false;
                if (!name)
                    continue;
                for (size_t i = 0; i < cpu->n_features && !dup; i++)
                    dup = STREQ(cpu->features[i], name);
                if (dup)
                    continue;
                cpu->features = xrealloc(cpu->features,
                                         (cpu->n_features + 1) * sizeof(char *));
                cpu->features[cpu->n_features++] = xstrdup(name);
            }
        }
    }
    cpuinfo_free(procs, n_procs);

    host_cpu_pick_model(cpu, NULL);
    *ret = steal_ptr(cpu);
    return 0;
}
