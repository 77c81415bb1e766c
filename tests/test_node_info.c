/* node_info against recorded samples (tests/data/node_info: host1 copied from
 * a real machine, host2 written by make-host2.py: two NUMA cells, DMI data;
 * nonuma: /proc only) and against the real host. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "node_info.h"
#include "test_util.h"

#define DATA TEST_DATA_DIR "/node_info"

static const char *
stat_value(const NodeStat *s, size_t n, const char *field, uint64_t *ret)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].field, field) == 0) {
            *ret = s[i].value;
            return s[i].field;
        }
    return NULL;
}

#define CHECK_STAT(s, n, field, expected) do { \
        uint64_t v_ = 0; \
        if (!stat_value(s, n, field, &v_)) \
            TEST_FAIL("no stat '%s'", field); \
        else \
            CHECK_INT_EQ(v_, expected); \
    } while (0)

static bool
has_feature(const HostCpu *cpu, const char *name)
{
    for (size_t i = 0; i < cpu->n_features; i++)
        if (strcmp(cpu->features[i], name) == 0)
            return true;
    return false;
}

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *data = NULL;
    size_t len = 0;
    if (!f)
        return NULL;
    if (getdelim(&data, &len, '\0', f) < 0) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

/* Compares @actual with the file; REGENERATE=1 rewrites the file instead. */
static void
check_expected_file(const char *path, const char *actual)
{
    if (getenv("REGENERATE")) {
        FILE *f = fopen(path, "w");
        if (!f || fputs(actual, f) < 0 || fclose(f) != 0)
            TEST_FAIL("cannot write '%s'", path);
        return;
    }
    char *expected = read_text(path);
    if (!expected) {
        TEST_FAIL("cannot read '%s' (REGENERATE=1 writes it)", path);
        return;
    }
    if (strcmp(expected, actual) != 0)
        TEST_FAIL("output differs from '%s':\n%s", path, actual);
    free(expected);
}

static void
test_host1(void)
{
    const char *root = DATA "/host1";
    Error error = ERROR_INIT;
    NodeInfo info;
    NodeStat *stats = NULL;
    size_t n = 0;
    uint64_t tick = 1000000000ULL / (uint64_t) sysconf(_SC_CLK_TCK);

    CHECK_INT_EQ(node_get_info(root, &info, &error), 0);
    /* node0's MemTotal, not /proc/meminfo's 24684096: libvirt adds up the
     * NUMA nodes. */
    CHECK_INT_EQ(info.memory_kib, 4942040);
    CHECK_INT_EQ(info.cpus, 2);
    CHECK_INT_EQ(info.mhz, 2596);
    CHECK_INT_EQ(info.nodes, 1);
    CHECK_INT_EQ(info.sockets, 1);
    CHECK_INT_EQ(info.cores, 2);
    CHECK_INT_EQ(info.threads, 1);

    /* cpu  9019 0 5390 141451 562 0 83 250 0 0 */
    CHECK_INT_EQ(node_get_cpu_stats(root, -1, &stats, &n, &error), 0);
    CHECK_INT_EQ(n, 4);
    CHECK_STAT(stats, n, "kernel", (5390 + 0 + 83) * tick);
    CHECK_STAT(stats, n, "user", (9019 + 0) * tick);
    CHECK_STAT(stats, n, "idle", 141451 * tick);
    CHECK_STAT(stats, n, "iowait", 562 * tick);
    free(stats);
    /* cpu1 5308 0 3078 69235 541 0 70 124 0 0 */
    CHECK_INT_EQ(node_get_cpu_stats(root, 1, &stats, &n, &error), 0);
    CHECK_STAT(stats, n, "kernel", (3078 + 70) * tick);
    CHECK_STAT(stats, n, "user", 5308 * tick);
    CHECK_STAT(stats, n, "idle", 69235 * tick);
    free(stats);
    CHECK_INT_EQ(node_get_cpu_stats(root, 2, &stats, &n, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
    CHECK_STR_EQ(error.message, "Invalid cpuNum in virHostCPUGetStatsLinux");
    error_clear(&error);
    CHECK_INT_EQ(node_get_cpu_stats(root, -5, &stats, &n, &error), -EINVAL);
    error_clear(&error);

    CHECK_INT_EQ(node_get_memory_stats(root, -1, &stats, &n, &error), 0);
    CHECK_INT_EQ(n, 4);
    CHECK_STAT(stats, n, "total", 24684096);
    CHECK_STAT(stats, n, "free", 23944224);
    CHECK_STAT(stats, n, "buffers", 2940);
    CHECK_STAT(stats, n, "cached", 314044);
    free(stats);
    CHECK_INT_EQ(node_get_memory_stats(root, 0, &stats, &n, &error), 0);
    CHECK_INT_EQ(n, 2);
    CHECK_STAT(stats, n, "total", 4942040);
    CHECK_STAT(stats, n, "free", 4202220);
    free(stats);

    uint64_t bytes = 0;
    CHECK_INT_EQ(node_get_free_memory(root, &bytes, &error), 0);
    CHECK_INT_EQ(bytes, 23944224ULL * 1024);

    HostCpu *cpu = NULL;
    CHECK_INT_EQ(node_get_host_cpu(root, &cpu, &error), 0);
    if (cpu) {
        CHECK_STR_EQ(cpu->vendor, "AMD");
        CHECK_INT_EQ(cpu->family, 25);
        CHECK_INT_EQ(cpu->model_number, 17);
        CHECK_INT_EQ(cpu->stepping, 1);
        CHECK_INT_EQ(cpu->microcode, 0x1000065);
        CHECK_INT_EQ(cpu->phys_bits, 48);
        CHECK_INT_EQ(cpu->sockets, 1);
        CHECK_INT_EQ(cpu->dies, 1);
        CHECK_INT_EQ(cpu->cores, 2);
        CHECK_INT_EQ(cpu->threads, 1);
        /* Genoa: without a QEMU list the table's best; QEMU 7.2 has no
         * EPYC-Genoa, so with its list the next one. */
        CHECK_STR_EQ(cpu->model, "EPYC-Genoa");
        const char *const qemu72[] = { "qemu64", "EPYC", "EPYC-Rome", "EPYC-Milan", NULL };
        host_cpu_pick_model(cpu, qemu72);
        CHECK_STR_EQ(cpu->model, "EPYC-Milan");
        const char *const old[] = { "qemu64", "Opteron_G5", NULL };
        host_cpu_pick_model(cpu, old);
        CHECK_STR_EQ(cpu->model, "qemu64");
        CHECK(has_feature(cpu, "sse4.1"));
        CHECK(has_feature(cpu, "sse4.2"));
        CHECK(has_feature(cpu, "tsc-deadline"));
        CHECK(has_feature(cpu, "avx512-vpopcntdq"));
        CHECK(has_feature(cpu, "cr8legacy"));
        CHECK(!has_feature(cpu, "sse4_1"));
        CHECK(!has_feature(cpu, "constant_tsc"));
        CHECK(!has_feature(cpu, "rep_good"));
        host_cpu_free(cpu);
    }
    error_clear(&error);
}

static void
test_host2(void)
{
    const char *root = DATA "/host2";
    Error error = ERROR_INIT;
    NodeInfo info;
    NodeStat *stats = NULL;
    size_t n = 0;

    CHECK_INT_EQ(node_get_info(root, &info, &error), 0);
    CHECK_INT_EQ(info.cpus, 8);
    CHECK_INT_EQ(info.memory_kib, 65536000);
    CHECK_INT_EQ(info.mhz, 2100);
    CHECK_INT_EQ(info.nodes, 2);
    CHECK_INT_EQ(info.sockets, 1);
    CHECK_INT_EQ(info.cores, 2);
    CHECK_INT_EQ(info.threads, 2);

    NodeCell *cells = NULL;
    size_t n_cells = 0;
    CHECK_INT_EQ(node_get_cells(root, &cells, &n_cells, &error), 0);
    CHECK_INT_EQ(n_cells, 2);
    if (n_cells == 2) {
        CHECK_INT_EQ(cells[1].id, 1);
        CHECK_INT_EQ(cells[1].memory_kib, 32768000);
        CHECK_INT_EQ(cells[1].n_cpus, 4);
        CHECK_INT_EQ(cells[1].cpus[0], 4);
        CHECK_INT_EQ(cells[1].cpus[3], 7);
        CHECK_INT_EQ(cells[1].cpu_socket_ids[2], 1);
        CHECK_INT_EQ(cells[1].cpu_core_ids[2], 1);
        CHECK_STR_EQ(cells[1].cpu_siblings[2], "6-7");
    }
    node_cells_free(cells, n_cells);

    uint64_t *free_cells = NULL;
    CHECK_INT_EQ(node_get_cells_free_memory(root, &free_cells, &n, &error), 0);
    CHECK_INT_EQ(n, 2);
    if (n == 2) {
        CHECK_INT_EQ(free_cells[0], 30000000ULL * 1024);
        CHECK_INT_EQ(free_cells[1], 29000000ULL * 1024);
    }
    free(free_cells);

    CHECK_INT_EQ(node_get_memory_stats(root, 1, &stats, &n, &error), 0);
    CHECK_INT_EQ(n, 2);
    CHECK_STAT(stats, n, "total", 32768000);
    CHECK_STAT(stats, n, "free", 29000000);
    free(stats);
    CHECK_INT_EQ(node_get_memory_stats(root, 2, &stats, &n, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
    CHECK_STR_EQ(error.message, "cellNum in virHostMemGetStats must be less than or equal to 1");
    error_clear(&error);

    CHECK_INT_EQ(node_get_cpu_stats(root, 7, &stats, &n, &error), 0);
    free(stats);
    CHECK_INT_EQ(node_get_cpu_stats(root, 8, &stats, &n, &error), -EINVAL);
    error_clear(&error);

    char *xml = NULL;
    CHECK_INT_EQ(node_get_sysinfo_xml(root, &xml, &error), 0);
    if (xml)
        check_expected_file(DATA "/host2.sysinfo.xml", xml);
    free(xml);

    HostCpu *cpu = NULL;
    CHECK_INT_EQ(node_get_host_cpu(root, &cpu, &error), 0);
    if (cpu) {
        CHECK_STR_EQ(cpu->vendor, "Intel");
        CHECK_STR_EQ(cpu->model, "Skylake-Server-IBRS");
        CHECK_INT_EQ(cpu->microcode, 0x2006e05);
        CHECK_INT_EQ(cpu->cores, 2);
        CHECK_INT_EQ(cpu->threads, 2);
        /* Intel's names for the speculation controls. */
        CHECK(has_feature(cpu, "spec-ctrl"));
        CHECK(has_feature(cpu, "md-clear"));
        CHECK(has_feature(cpu, "ds"));
        CHECK(has_feature(cpu, "cmt"));
        CHECK(!has_feature(cpu, "amd-ibrs"));
        CHECK(!has_feature(cpu, "ibpb"));
        /* Same signature, later stepping: Cascade Lake. */
        cpu->stepping = 7;
        host_cpu_pick_model(cpu, NULL);
        CHECK_STR_EQ(cpu->model, "Cascadelake-Server");
        host_cpu_free(cpu);
    }
    error_clear(&error);
}

static void
test_nonuma(void)
{
    const char *root = DATA "/nonuma";
    Error error = ERROR_INIT;
    NodeInfo info;
    NodeCell *cells = NULL;
    size_t n = 0;

    /* No sysfs at all: CPUs from cpuinfo, one cell with everything. */
    CHECK_INT_EQ(node_get_info(root, &info, &error), 0);
    CHECK_INT_EQ(info.cpus, 2);
    CHECK_INT_EQ(info.nodes, 1);
    CHECK_INT_EQ(info.cores * info.sockets * info.threads, 2);
    CHECK_INT_EQ(node_get_cells(root, &cells, &n, &error), 0);
    CHECK_INT_EQ(n, 1);
    if (n == 1) {
        CHECK_INT_EQ(cells[0].memory_kib, 24684096);
        CHECK_INT_EQ(cells[0].n_cpus, 2);
    }
    node_cells_free(cells, n);

    uint64_t *free_cells = NULL;
    CHECK_INT_EQ(node_get_cells_free_memory(root, &free_cells, &n, &error), 0);
    CHECK_INT_EQ(n, 1);
    if (n == 1)
        CHECK_INT_EQ(free_cells[0], 23944224ULL * 1024);
    free(free_cells);

    char *xml = NULL;
    CHECK_INT_EQ(node_get_sysinfo_xml(root, &xml, &error), 0);
    CHECK(xml && strstr(xml, "<entry name='version'>AMD EPYC</entry>"));
    CHECK(xml && !strstr(xml, "<bios>"));
    free(xml);

    NodeStat *stats = NULL;
    CHECK_INT_EQ(node_get_memory_stats(root, 1, &stats, &n, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
    error_clear(&error);

    /* A root without /proc is an error that names the file. */
    CHECK(node_get_info(DATA "/does-not-exist", &info, &error) < 0);
    CHECK(error.message && strstr(error.message, "/proc/meminfo"));
    error_clear(&error);
}

static void
test_real_host(void)
{
    Error error = ERROR_INIT;
    NodeInfo info;
    char *meminfo = read_text("/proc/meminfo");
    unsigned long long total = 0;

    CHECK(meminfo && sscanf(meminfo, "MemTotal: %llu kB", &total) == 1);
    free(meminfo);
    /* With NUMA sysfs, the nodes' MemTotal added up (as libvirt). */
    {
        unsigned long long sum = 0, v;
        char path[64];

        for (int node = 0; node < 1024; node++) {
            char *text;
            const char *p;

            snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
            text = read_text(path);
            if (!text)
                continue;
            p = strstr(text, "MemTotal:");
            if (p && sscanf(p, "MemTotal: %llu kB", &v) == 1)
                sum += v;
            free(text);
        }
        if (sum > 0)
            total = sum;
    }
    CHECK_INT_EQ(node_get_info("/", &info, &error), 0);
    CHECK_INT_EQ(info.cpus, sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_INT_EQ(info.memory_kib, total);
    CHECK(info.nodes * info.sockets * info.cores * info.threads == info.cpus);

    NodeStat *stats = NULL;
    size_t n = 0;
    CHECK_INT_EQ(node_get_cpu_stats("/", -1, &stats, &n, &error), 0);
    uint64_t idle = 0;
    CHECK(stat_value(stats, n, "idle", &idle) && idle > 0);
    free(stats);

    HostCpu *cpu = NULL;
    CHECK_INT_EQ(node_get_host_cpu("/", &cpu, &error), 0);
    CHECK(cpu && cpu->model && cpu->arch && cpu->n_features > 0);
    host_cpu_free(cpu);

    char *xml = NULL;
    CHECK_INT_EQ(node_get_sysinfo_xml("/", &xml, &error), 0);
    CHECK(xml && strncmp(xml, "<sysinfo type='smbios'>", 23) == 0);
    free(xml);
    if (error.message)
        fprintf(stderr, "error: %s\n", error.message);
    error_clear(&error);
}

int
main(void)
{
    test_host1();
    test_host2();
    test_nonuma();
    test_real_host();
    return test_result();
}
