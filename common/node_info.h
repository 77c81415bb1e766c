/* node_info: the host as libvirt shows it (virNodeGetInfo, virNodeGetCPUStats,
 * virNodeGetMemoryStats, virNodeGetFreeMemory, virNodeGetCellsFreeMemory,
 * virConnectGetSysinfo) and the host CPU and NUMA cells that the capabilities
 * XML describes.
 *
 * Every function reads below @sysroot ("/" on a real host; a folder holding
 * copies of proc/ and sys/ in tests). They read files only, never run a
 * program, and may block on file reads: fine for /proc and /sys. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct NodeInfo {    /* libvirt's virNodeInfo */
    char model[32];          /* "x86_64" */
    uint64_t memory_kib;
    unsigned cpus, mhz, nodes, sockets, cores, threads;
} NodeInfo;

int node_get_info(const char *sysroot, NodeInfo *ret, Error *error);
/* libvirt's virNodeGetCPUMap: *ret_ncpus is the highest present CPU id plus
 * one, *ret_map (a new array of that many) says which are online, and
 * *ret_online how many. */
int node_get_cpu_map(const char *sysroot, bool **ret_map, size_t *ret_ncpus,
                     unsigned *ret_online, Error *error);

/* libvirt's keys, values in nanoseconds: "kernel", "user", "idle", "iowait"
 * (from /proc/stat; USER_HZ ticks converted). cpu_num -1 = all. Unknown cpu:
 * VIR_ERR_INVALID_ARG "Invalid cpuNum in ...". @ret_stats is a new array, free()
 * it. */
typedef struct NodeStat {
    char field[16];
    uint64_t value;
} NodeStat;

int node_get_cpu_stats(const char *sysroot, int cpu_num, NodeStat **ret_stats, size_t *ret_n,
                       Error *error);
/* libvirt's keys in KiB: "total", "free", "buffers", "cached" (from
 * /proc/meminfo, or /sys/devices/system/node/nodeN/meminfo for a cell).
 * cell -1 = all. A cell gives "total" and "free" only, as libvirt. */
int node_get_memory_stats(const char *sysroot, int cell, NodeStat **ret_stats, size_t *ret_n,
                          Error *error);
/* MemFree of /proc/meminfo, in bytes. */
int node_get_free_memory(const char *sysroot, uint64_t *ret_bytes, Error *error);
/* Per NUMA cell free memory in bytes (virsh freecell). @ret_free is a new
 * array indexed by cell id; free() it. */
int node_get_cells_free_memory(const char *sysroot, uint64_t **ret_free, size_t *ret_n,
                               Error *error);

/* libvirt's <sysinfo type='smbios'> with bios, system, baseBoard, chassis,
 * processor and memory_device sections from /sys/class/dmi/id (and
 * /proc/cpuinfo), only entries that exist. @ret_xml is a new string. */
/* virNodeGetFreePages: for each cell from @start (at most @count), the
 * free pages of each of @sizes (KiB), in that order; libvirt's errors for
 * a size or a cell the host lacks. */
int node_get_free_pages(const char *sysroot, const unsigned *sizes, size_t n_sizes, int start,
                        unsigned count, uint64_t **ret, size_t *ret_n, Error *error);
/* virNodeAllocPages: each huge page pool of @sizes (KiB) in each cell
 * from @start gets @counts more pages (@add) or @counts in all; returns how
 * many pools it did. */
int node_alloc_pages(const char *sysroot, const unsigned *sizes, const uint64_t *counts,
                     size_t n_sizes, int start, unsigned count, bool add, Error *error);
int node_get_sysinfo_xml(const char *sysroot, char **ret_xml, Error *error);

typedef struct HostCpu {
    char *arch;     /* "x86_64" */
    char *vendor;   /* "Intel", "AMD" as libvirt writes them */
    char *model;    /* a QEMU CPU model name, picked by a small table (see node_info.c) */
    unsigned family, model_number, stepping;
    unsigned sockets, dies, cores, threads; /* per socket topology, as libvirt's <topology> */
    char **features; /* cpuinfo flag names mapped to libvirt/QEMU feature names */
    size_t n_features;
    uint64_t microcode;
    unsigned phys_bits;     /* "address sizes : 48 bits physical"; 0 if unknown */
    uint64_t mhz;           /* "cpu MHz", truncated; 0 if unknown */
} HostCpu;

int node_get_host_cpu(const char *sysroot, HostCpu **ret, Error *error);
void host_cpu_free(HostCpu *cpu);
/* Re-picks @cpu->model among @available (NULL-terminated QEMU model names, as
 * `-cpu help` lists them), walking the same vendor/family/model table from
 * the newest fitting model down to "qemu64". A limit: libvirt compares CPUID
 * feature sets against its cpu_map; this only goes by the CPU's signature. */
void host_cpu_pick_model(HostCpu *cpu, const char *const *available);
DEFINE_FREEP(HostCpu, host_cpu_free)

typedef struct NodeCell {
    unsigned id;
    uint64_t memory_kib;
    unsigned *cpus;         /* logical CPU ids, ascending */
    size_t n_cpus;
    /* Parallel to cpus[]: topology of each CPU (-1 when unknown). */
    int *cpu_socket_ids;
    int *cpu_die_ids;
    int *cpu_core_ids;
    char **cpu_siblings;    /* "0-1" as thread_siblings_list, or NULL */
} NodeCell;

/* A machine without /sys/devices/system/node: one cell with all CPUs and
 * memory. @ret_cells is a new array; free it with node_cells_free(). */
int node_get_cells(const char *sysroot, NodeCell **ret_cells, size_t *ret_n, Error *error);
void node_cells_free(NodeCell *cells, size_t n);
