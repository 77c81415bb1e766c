/* <vcpu cpuset>, <cputune>: CPU affinity of the vCPU and emulator threads,
 * and the CPU controller's shares, period and quota in a cgroup of the
 * domain's own, as libvirt applies them while the guest is still paused.
 *
 * The cgroup lives below the daemon's own cgroup of the cpu controller
 * (cgroup v1 "cpu", or v2 with "cpu" enabled), at
 * machine.slice/virtstack-<uuid>-<id>.scope, with vcpuN and emulator
 * children when period or quota are asked for per thread. A host without a
 * writable cpu controller fails the start only when the definition asks for
 * shares, period or quota. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"

static int
set_affinity(pid_t tid, const char *cpuset, const char *what, Error *error)
{
    cpu_set_t set;
    int r = cpuset_parse(cpuset, &set, error);

    if (r < 0)
        return r;
    if (sched_setaffinity(tid, sizeof(set), &set) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot set CPU affinity of %s to '%s'", what, cpuset);
    return 0;
}

static bool
is_vcpu_thread(const Domain *dom, pid_t tid)
{
    for (size_t i = 0; i < dom->monitor.n_vcpu_tids; i++)
        if (dom->monitor.vcpu_tids[i] == tid)
            return true;
    return false;
}

static const char *
vcpu_pin(const DomainDef *def, size_t vcpu)
{
    for (size_t i = 0; i < def->cputune.n_vcpupins; i++)
        if (def->cputune.vcpupins[i].vcpu == vcpu)
            return def->cputune.vcpupins[i].cpuset;
    return def->vcpu_cpuset;
}

int
qemu_domain_get_vcpu_pin_info(Domain *dom, unsigned flags, size_t ncpus, bool **ret_maps,
                              size_t *ret_nvcpus, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    const DomainDef *def;
    auto_cleanup(free_ptr) bool *maps = NULL;
    size_t nvcpus;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function GetVcpuPinInfo", flags & ~known);
    if ((flags & DOMAIN_AFFECT_LIVE) && (flags & DOMAIN_AFFECT_CONFIG))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are "
                         "mutually exclusive");
    if ((flags & DOMAIN_AFFECT_LIVE) && !qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    def = (flags & DOMAIN_AFFECT_CONFIG) || !dom->live ? dom->def : dom->live;
    nvcpus = def->vcpus;
    maps = xcalloc(nvcpus * ncpus + 1, sizeof(bool));
    for (size_t v = 0; v < nvcpus; v++) {
        const char *pin = vcpu_pin(def, v);
        cpu_set_t set;

        /* No pin: every host CPU, as libvirt shows it. */
        if (!pin || cpuset_parse(pin, &set, NULL) < 0) {
            for (size_t c = 0; c < ncpus; c++)
                maps[v * ncpus + c] = true;
            continue;
        }
        for (size_t c = 0; c < ncpus && c < CPU_SETSIZE; c++)
            maps[v * ncpus + c] = CPU_ISSET(c, &set);
    }
    *ret_maps = steal_ptr(maps);
    *ret_nvcpus = nvcpus;
    return 0;
}

/* @map (@n host CPUs) as a CPU list, "0-2,5"; NULL when empty. */
char *
qemu_cpumap_format(const bool *map, size_t n)
{
    char *s = xstrdup("");

    for (size_t c = 0; c < n; c++) {
        size_t end = c;
        char *next;

        if (!map[c])
            continue;
        while (end + 1 < n && map[end + 1])
            end++;
        if (end == c)
            next = xasprintf("%s%s%zu", s, *s ? "," : "", c);
        else
            next = xasprintf("%s%s%zu-%zu", s, *s ? "," : "", c, end);
        free(s);
        s = next;
        c = end;
    }
    if (!*s)
        free(steal_ptr(s));
    return s;
}

static void
set_vcpu_pin(DomainCputune *t, unsigned vcpu, const char *cpuset)
{
    DomainVcpuPin *pin = NULL;

    for (size_t i = 0; i < t->n_vcpupins && !pin; i++)
        if (t->vcpupins[i].vcpu == vcpu)
            pin = &t->vcpupins[i];
    if (!pin) {
        pin = ARRAY_APPEND(t->vcpupins, t->n_vcpupins);
        pin->vcpu = vcpu;
    }
    free(pin->cpuset);
    pin->cpuset = xstrdup(cpuset);
    t->present = true;
}

static int
pin_flags(Domain *dom, unsigned *flags, const char *fn, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    int r;

    if (*flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", *flags & ~known, fn);
    if ((r = qemu_domain_affect(dom, flags, error)) < 0)
        return r;
    return qemu_job_check_idle(dom, error);
}

int
qemu_domain_pin_vcpu(Domain *dom, unsigned vcpu, const bool *map, size_t n, unsigned flags,
                     Error *error)
{
    auto_cleanup(free_ptr) char *cpuset = qemu_cpumap_format(map, n);
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    int r;

    if ((r = pin_flags(dom, &flags, "qemuDomainPinVcpuFlags", error)) < 0)
        return r;
    if ((flags & DOMAIN_AFFECT_LIVE) && vcpu >= dom->live->vcpus)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: vcpu %u is out of range of live cpu count %u", vcpu,
                         dom->live->vcpus);
    if ((flags & DOMAIN_AFFECT_CONFIG) && vcpu >= dom->def->vcpus)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: vcpu %u is out of range of persistent cpu count %u",
                         vcpu, dom->def->vcpus);
    if (!cpuset)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Empty cpu list for pinning");
    if (flags & DOMAIN_AFFECT_LIVE) {
        /* An offline vCPU has no thread: its pin waits in the definition. */
        if (vcpu < dom->monitor.n_vcpu_tids) {
            char what[32];
            snprintf(what, sizeof(what), "vcpu %u", vcpu);
            if ((r = set_affinity((pid_t) dom->monitor.vcpu_tids[vcpu], cpuset, what,
                                  error)) < 0)
                return r;
        }
        set_vcpu_pin(&dom->live->cputune, vcpu, cpuset);
        qemu_status_save(dom);
        {
            char field[48];

            snprintf(field, sizeof(field), "cputune.vcpupin%u", vcpu);
            qemu_driver_emit_tunable_string(dom, field, cpuset);
        }
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        set_vcpu_pin(&config->cputune, vcpu, cpuset);
        return qemu_hotplug_save_config(dom, &config, error);
    }
    return 0;
}

/* Every thread of QEMU but the vCPUs'. */
static int
pin_emulator_threads(Domain *dom, const char *cpuset, Error *error)
{
    auto_cleanup(free_ptr) char *task_dir = xasprintf("/proc/%d/task", (int) dom->proc.pid);
    DIR *d = opendir(task_dir);
    struct dirent *e;
    int r = 0;

    if (!d)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot read '%s'",
                               task_dir);
    while (r >= 0 && (e = readdir(d))) {
        pid_t tid = (pid_t) atoi(e->d_name);
        if (tid > 0 && !is_vcpu_thread(dom, tid))
            r = set_affinity(tid, cpuset, "the emulator threads", error);
    }
    closedir(d);
    return r;
}

int
qemu_domain_pin_emulator(Domain *dom, const bool *map, size_t n, unsigned flags, Error *error)
{
    auto_cleanup(free_ptr) char *cpuset = qemu_cpumap_format(map, n);
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    int r;

    if ((r = pin_flags(dom, &flags, "qemuDomainPinEmulator", error)) < 0)
        return r;
    if (!cpuset)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Empty cpu list for pinning");
    if (flags & DOMAIN_AFFECT_LIVE) {
        if ((r = pin_emulator_threads(dom, cpuset, error)) < 0)
            return r;
        free(dom->live->cputune.emulatorpin);
        dom->live->cputune.emulatorpin = xstrdup(cpuset);
        dom->live->cputune.present = true;
        qemu_status_save(dom);
        qemu_driver_emit_tunable_string(dom, "cputune.emulatorpin", cpuset);
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        free(config->cputune.emulatorpin);
        config->cputune.emulatorpin = xstrdup(cpuset);
        config->cputune.present = true;
        return qemu_hotplug_save_config(dom, &config, error);
    }
    return 0;
}

int
qemu_domain_get_emulator_pin_info(Domain *dom, unsigned flags, size_t ncpus, bool **ret_map,
                                  Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    const DomainDef *def;
    const char *pin;
    bool *map;
    cpu_set_t set;
    int r;

    if ((r = qemu_domain_read_flags(&flags, known, "qemuDomainGetEmulatorPinInfo", error)) < 0)
        return r;
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    def = flags & DOMAIN_AFFECT_CONFIG ? dom->def : dom->live;
    pin = def->cputune.emulatorpin ? def->cputune.emulatorpin : def->vcpu_cpuset;
    map = xcalloc(ncpus + 1, sizeof(bool));
    /* No pin: every host CPU, as libvirt shows it. */
    if (!pin || cpuset_parse(pin, &set, NULL) < 0) {
        for (size_t c = 0; c < ncpus; c++)
            map[c] = true;
    } else {
        for (size_t c = 0; c < ncpus && c < CPU_SETSIZE; c++)
            map[c] = CPU_ISSET(c, &set);
    }
    *ret_map = map;
    return 0;
}

/* ---- cgroups ----------------------------------------------------------- */

/* Period and quota of one cgroup (v1: two files; v2: cpu.max). */
static int
set_bandwidth(const char *dir, bool v2, uint64_t period, int64_t quota, bool has_quota,
              Error *error)
{
    char buf[64];
    int r = 0;

    if (v2) {
        if (!period && !has_quota)
            return 0;
        if (has_quota && quota >= 0)
            snprintf(buf, sizeof(buf), "%" PRId64 " %" PRIu64, quota, period ? period : 100000);
        else
            snprintf(buf, sizeof(buf), "max %" PRIu64, period ? period : 100000);
        return qemu_cgroup_write(dir, "cpu.max", buf, error);
    }
    if (period) {
        snprintf(buf, sizeof(buf), "%" PRIu64, period);
        r = qemu_cgroup_write(dir, "cpu.cfs_period_us", buf, error);
    }
    if (r >= 0 && has_quota) {
        snprintf(buf, sizeof(buf), "%" PRId64, quota);
        r = qemu_cgroup_write(dir, "cpu.cfs_quota_us", buf, error);
    }
    return r;
}

static int
move_thread(const char *dir, bool v2, pid_t tid, Error *error)
{
    /* v2 moves threads only in threaded cgroups; a whole process otherwise. */
    return qemu_cgroup_move(dir, v2 ? "cgroup.procs" : "tasks", tid, error);
}

static bool
cputune_wants_cgroup(const DomainCputune *t)
{
    return t->present && (t->shares || t->period || t->has_quota || t->global_period ||
                          t->has_global_quota || t->emulator_period || t->has_emulator_quota);
}

/* The cpu group with the live <cputune>'s values; again (live tuning) it
 * writes them anew and moves the threads back where they belong. */
static int
apply_cgroup(Domain *dom, Error *error)
{
    const DomainCputune *t = &dom->live->cputune;
    auto_cleanup(free_ptr) char *scope = NULL;
    char buf[64];
    bool v2 = false;
    int r;

    r = qemu_cgroup_domain(dom, "cpu", true, &scope, &v2, error);
    if (r < 0)
        return r;
    free(dom->proc.cgroup_dir);
    dom->proc.cgroup_dir = steal_ptr(scope);
    if (t->shares) {
        if (v2) /* libvirt's shares to weight conversion */
            snprintf(buf, sizeof(buf), "%" PRIu64, 1 + ((t->shares - 2) * 9999) / 262142);
        else
            snprintf(buf, sizeof(buf), "%" PRIu64, t->shares);
        r = qemu_cgroup_write(dom->proc.cgroup_dir, v2 ? "cpu.weight" : "cpu.shares", buf, error);
        if (r < 0)
            return r;
    }
    if (v2) {
        /* One cgroup for the whole process: the vCPU bandwidth applies to it. */
        r = move_thread(dom->proc.cgroup_dir, true, dom->proc.pid, error);
        if (r >= 0)
            r = set_bandwidth(dom->proc.cgroup_dir, true, t->period, t->quota, t->has_quota, error);
        return r;
    }
    /* v1: the global bandwidth on the domain's group, vcpuN and emulator
     * children below it, each thread in its own. */
    r = set_bandwidth(dom->proc.cgroup_dir, false, t->global_period, t->global_quota,
                      t->has_global_quota, error);
    if (r < 0)
        return r;
    for (size_t i = 0; i < dom->monitor.n_vcpu_tids; i++) {
        auto_cleanup(free_ptr) char *dir = xasprintf("%s/vcpu%zu", dom->proc.cgroup_dir, i);
        r = qemu_cgroup_mkdir(dir, error);
        if (r >= 0)
            r = set_bandwidth(dir, false, t->period, t->quota, t->has_quota, error);
        if (r >= 0)
            r = move_thread(dir, false, (pid_t) dom->monitor.vcpu_tids[i], error);
        if (r < 0)
            return r;
    }
    {
        auto_cleanup(free_ptr) char *dir = xasprintf("%s/emulator", dom->proc.cgroup_dir);
        auto_cleanup(free_ptr) char *task_dir = xasprintf("/proc/%d/task", (int) dom->proc.pid);
        DIR *d;
        struct dirent *e;

        r = qemu_cgroup_mkdir(dir, error);
        if (r >= 0)
            r = set_bandwidth(dir, false, t->emulator_period, t->emulator_quota,
                              t->has_emulator_quota, error);
        if (r < 0)
            return r;
        d = opendir(task_dir);
        while (d && (e = readdir(d))) {
            pid_t tid = (pid_t) atoi(e->d_name);
            if (tid > 0 && !is_vcpu_thread(dom, tid) && move_thread(dir, false, tid, error) < 0)
                break;
        }
        if (d)
            closedir(d);
        if (error_is_set(error))
            return -EIO;
    }
    return 0;
}

/* Removes the domain's cgroups once QEMU is gone (they are empty then). */
void
qemu_cputune_cleanup(Domain *dom)
{
    DIR *d;
    struct dirent *e;

    qemu_cgroup_remove_all(dom);
    if (!dom->proc.cgroup_dir)
        return;
    d = opendir(dom->proc.cgroup_dir);
    while (d && (e = readdir(d))) {
        if (e->d_type == DT_DIR && e->d_name[0] != '.') {
            auto_cleanup(free_ptr) char *sub = xasprintf("%s/%s", dom->proc.cgroup_dir, e->d_name);
            rmdir(sub);
        }
    }
    if (d)
        closedir(d);
    if (rmdir(dom->proc.cgroup_dir) < 0 && errno != ENOENT)
        log_warn("cannot remove cgroup '%s': %s", dom->proc.cgroup_dir, strerror(errno));
    free(steal_ptr(dom->proc.cgroup_dir));
}

bool
qemu_cputune_needed(const DomainDef *def)
{
    /* <memtune>, <blkiotune> and <numatune> go in at the same point. */
    return def->vcpu_cpuset || def->cputune.n_vcpupins || def->cputune.emulatorpin ||
           cputune_wants_cgroup(&def->cputune) || def->memtune.hard_limit ||
           def->memtune.soft_limit || def->memtune.swap_hard_limit || def->blkiotune.weight ||
           def->blkiotune.n_devices || def->numatune.nodeset || qemu_iftune_needed(def);
}

/* Called with QEMU paused and the vCPU thread ids known. */
int
qemu_cputune_apply(Domain *dom, Error *error)
{
    const DomainDef *def = dom->live;
    const char *emulator = def->cputune.emulatorpin ? def->cputune.emulatorpin
                                                     : def->vcpu_cpuset;
    int r = 0;

    if (emulator)
        r = pin_emulator_threads(dom, emulator, error);
    for (size_t i = 0; r >= 0 && i < dom->monitor.n_vcpu_tids; i++) {
        const char *pin = vcpu_pin(def, i);
        char what[32];
        snprintf(what, sizeof(what), "vcpu %zu", i);
        if (pin)
            r = set_affinity((pid_t) dom->monitor.vcpu_tids[i], pin, what, error);
    }
    if (r >= 0 && cputune_wants_cgroup(&def->cputune)) {
        auto_cleanup(free_ptr) char *base = NULL;
        bool v2;

        if (qemu_cgroup_base("cpu", &base, &v2) < 0)
            return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: domain '%s' asks for CPU shares, "
                             "period or quota, but this host has no cgroup cpu controller",
                             dom->def->name);
        r = apply_cgroup(dom, error);
    }
    if (r >= 0)
        r = qemu_tuning_apply(dom, error);
    return r;
}

int
qemu_cputune_apply_live(Domain *dom, Error *error)
{
    return apply_cgroup(dom, error);
}
