/* Tuning of a domain, live and in its definition, as libvirt's QEMU driver
 * does it: the scheduler's shares, periods and quotas (the cpu cgroup,
 * qemu_cputune.c), memory limits (the memory cgroup), block I/O weights and
 * limits (the blkio cgroup) and NUMA memory placement (the cpuset cgroup).
 * A live change goes to the host first and into the live definition once
 * the host took it; CONFIG changes the persistent definition. Values are
 * checked before anything changes. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "typed_params.h"

/* libvirt's limits (vircgroup.h). */
#define CPU_PERIOD_MIN 1000LL
#define CPU_PERIOD_MAX 1000000LL
#define CPU_QUOTA_MIN 1000LL
#define CPU_QUOTA_MAX 17592186044415LL

/* The flags of a Get call: one definition, and the string flag a remote
 * client always adds. */
static int
get_flags(Domain *dom, unsigned *flags, const char *fn, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | TYPED_PARAM_STRING_OKAY;
    int r = qemu_domain_read_flags(flags, known, fn, error);

    return r < 0 ? r : qemu_domain_affect(dom, flags, error);
}

static int
set_flags(Domain *dom, unsigned *flags, const char *fn, Error *error)
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

/* Saves @config (when not NULL) as the persistent definition. */
static int
save_config(Domain *dom, DomainDef **config, Error *error)
{
    return *config ? qemu_hotplug_save_config(dom, config, error) : 0;
}

/* ---- the scheduler --------------------------------------------------- */

#define SCHED_PARAMS(X) \
    X("cpu_shares", TYPED_PARAM_ULLONG) \
    X("vcpu_period", TYPED_PARAM_ULLONG) \
    X("vcpu_quota", TYPED_PARAM_LLONG) \
    X("emulator_period", TYPED_PARAM_ULLONG) \
    X("emulator_quota", TYPED_PARAM_LLONG) \
    X("global_period", TYPED_PARAM_ULLONG) \
    X("global_quota", TYPED_PARAM_LLONG) \
    X("iothread_period", TYPED_PARAM_ULLONG) \
    X("iothread_quota", TYPED_PARAM_LLONG)
#define SPEC_ROW(f, t) { f, t },
static const TypedParamSpec sched_spec[] = { SCHED_PARAMS(SPEC_ROW) };

static uint64_t
read_u64(const char *dir, const char *file, uint64_t def)
{
    auto_cleanup(free_ptr) char *text = NULL;

    if (qemu_cgroup_read(dir, file, &text, NULL) < 0)
        return def;
    return strtoull(text, NULL, 10);
}

/* A group's period and quota; a missing group has the kernel's defaults. */
static void
read_bandwidth(const char *dir, bool v2, uint64_t *period, int64_t *quota)
{
    auto_cleanup(free_ptr) char *text = NULL;

    *period = 100000;
    *quota = -1;
    if (!dir)
        return;
    if (!v2) {
        *period = read_u64(dir, "cpu.cfs_period_us", 100000);
        if (qemu_cgroup_read(dir, "cpu.cfs_quota_us", &text, NULL) >= 0)
            *quota = strtoll(text, NULL, 10);
        return;
    }
    if (qemu_cgroup_read(dir, "cpu.max", &text, NULL) >= 0) {
        char q[32];
        unsigned long long p;
        if (sscanf(text, "%31s %llu", q, &p) == 2) {
            *period = p;
            *quota = strcmp(q, "max") == 0 ? -1 : strtoll(q, NULL, 10);
        }
    }
}

int
qemu_domain_get_scheduler_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error)
{
    const DomainCputune *t;
    uint64_t shares, period, emulator_period, global_period;
    int64_t quota, emulator_quota, global_quota;
    int r;

    if ((r = get_flags(dom, &flags, "qemuDomainGetSchedulerParametersFlags", error)) < 0)
        return r;
    t = flags & DOMAIN_AFFECT_CONFIG ? &dom->def->cputune : &dom->live->cputune;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        shares = t->shares;
        period = t->period;
        quota = t->quota;
        emulator_period = t->emulator_period;
        emulator_quota = t->emulator_quota;
        global_period = t->global_period;
        global_quota = t->global_quota;
    } else {
        /* What the host applies, as libvirt reads it back. */
        auto_cleanup(free_ptr) char *base = NULL, *vcpu = NULL, *emulator = NULL;
        const char *dir = dom->proc.cgroup_dir;
        bool v2 = false;

        if (qemu_cgroup_base("cpu", &base, &v2) < 0)
            return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: cgroup CPU controller is not "
                             "mounted");
        shares = 1024;
        if (dir && !v2)
            shares = read_u64(dir, "cpu.shares", 1024);
        else if (dir) /* libvirt's weight to shares conversion */
            shares = 2 + ((read_u64(dir, "cpu.weight", 100) - 1) * 262142) / 9999;
        if (dir && !v2) {
            vcpu = xasprintf("%s/vcpu0", dir);
            emulator = xasprintf("%s/emulator", dir);
        }
        read_bandwidth(v2 ? dir : vcpu, v2, &period, &quota);
        read_bandwidth(v2 ? dir : emulator, v2, &emulator_period, &emulator_quota);
        read_bandwidth(dir, v2, &global_period, &global_quota);
    }
    typed_params_add_ullong(ret, "cpu_shares", shares);
    typed_params_add_ullong(ret, "vcpu_period", period);
    typed_params_add_llong(ret, "vcpu_quota", quota);
    typed_params_add_ullong(ret, "emulator_period", emulator_period);
    typed_params_add_llong(ret, "emulator_quota", emulator_quota);
    typed_params_add_ullong(ret, "global_period", global_period);
    typed_params_add_llong(ret, "global_quota", global_quota);
    typed_params_add_ullong(ret, "iothread_period", t->iothread_period);
    typed_params_add_llong(ret, "iothread_quota", t->iothread_quota);
    return 0;
}

static int
range_check(const TypedParam *p, long long min, long long max, Error *error)
{
    long long v = p->type == TYPED_PARAM_ULLONG ? (p->v.ul > LLONG_MAX ? LLONG_MAX
                                                                       : (long long) p->v.ul)
                                                : p->v.l;

    if ((v > 0 && v < min) || v > max)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: value of '%s' is out of range [%lld, %lld]",
                         p->field, min, max);
    return 0;
}

/* The scheduler parameters into @t: a zero period or quota changes
 * nothing, as in libvirt. */
static void
sched_assign(DomainCputune *t, const TypedParams *tp)
{
    for (size_t i = 0; i < tp->n; i++) {
        const TypedParam *p = &tp->p[i];
        const char *f = p->field;

        if (STREQ(f, "cpu_shares")) {
            t->shares = p->v.ul;
        } else if (STREQ(f, "vcpu_period") && p->v.ul) {
            t->period = p->v.ul;
        } else if (STREQ(f, "vcpu_quota") && p->v.l) {
            t->quota = p->v.l;
            t->has_quota = true;
        } else if (STREQ(f, "emulator_period") && p->v.ul) {
            t->emulator_period = p->v.ul;
        } else if (STREQ(f, "emulator_quota") && p->v.l) {
            t->emulator_quota = p->v.l;
            t->has_emulator_quota = true;
        } else if (STREQ(f, "global_period") && p->v.ul) {
            t->global_period = p->v.ul;
        } else if (STREQ(f, "global_quota") && p->v.l) {
            t->global_quota = p->v.l;
            t->has_global_quota = true;
        } else if (STREQ(f, "iothread_period") && p->v.ul) {
            t->iothread_period = p->v.ul;
        } else if (STREQ(f, "iothread_quota") && p->v.l) {
            t->iothread_quota = p->v.l;
            t->has_iothread_quota = true;
        }
    }
    t->present = true;
}

int
qemu_domain_set_scheduler_params(Domain *dom, const TypedParams *tp, unsigned flags,
                                 Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    int r;

    if ((r = typed_params_validate(tp, sched_spec, ARRAY_SIZE(sched_spec), error)) < 0 ||
        (r = set_flags(dom, &flags, "qemuDomainSetSchedulerParametersFlags", error)) < 0)
        return r;
    for (size_t i = 0; i < tp->n; i++) {
        const TypedParam *p = &tp->p[i];
        if (strstr(p->field, "_period"))
            r = range_check(p, CPU_PERIOD_MIN, CPU_PERIOD_MAX, error);
        else if (strstr(p->field, "_quota"))
            r = range_check(p, CPU_QUOTA_MIN, CPU_QUOTA_MAX, error);
        if (r < 0)
            return r;
    }
    if (flags & DOMAIN_AFFECT_LIVE) {
        DomainCputune old = dom->live->cputune;
        auto_cleanup(free_ptr) char *base = NULL;
        bool v2;

        if (qemu_cgroup_base("cpu", &base, &v2) < 0)
            return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: cgroup CPU controller is not "
                             "mounted");
        sched_assign(&dom->live->cputune, tp);
        r = qemu_cputune_apply_live(dom, error);
        if (r < 0) {
            /* What the host refused is not what the guest has. */
            dom->live->cputune = old;
            qemu_cputune_apply_live(dom, NULL);
            return r;
        }
        qemu_status_save(dom);
        qemu_driver_emit_tunables(dom, "cputune.", NULL, tp);
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        sched_assign(&config->cputune, tp);
    }
    return save_config(dom, &config, error);
}

/* ---- memory limits ------------------------------------------------------ */

static const TypedParamSpec mem_spec[] = {
    { "hard_limit", TYPED_PARAM_ULLONG },
    { "soft_limit", TYPED_PARAM_ULLONG },
    { "swap_hard_limit", TYPED_PARAM_ULLONG },
};

static uint64_t
unlimited_if_unset(uint64_t kib)
{
    return kib ? kib : DOMAIN_MEMORY_UNLIMITED;
}

/* A limit in the group, as libvirt reads it: the kernel's "no limit" (any
 * value from the page-rounded maximum up) is libvirt's unlimited. */
static uint64_t
read_limit(const char *dir, const char *file, bool v2, uint64_t def)
{
    auto_cleanup(free_ptr) char *text = NULL;
    unsigned long long bytes;

    if (!dir || qemu_cgroup_read(dir, file, &text, NULL) < 0)
        return def;
    if (v2 && strcmp(text, "max") == 0)
        return DOMAIN_MEMORY_UNLIMITED;
    /* v1's "no limit" is the largest signed value rounded down to a page
     * (of up to 64 KiB). */
    bytes = strtoull(text, NULL, 10);
    if (bytes >= (unsigned long long) INT64_MAX - 65535)
        return DOMAIN_MEMORY_UNLIMITED;
    return bytes >> 10;
}

static const char *
mem_file(const char *field, bool v2)
{
    if (STREQ(field, "hard_limit"))
        return v2 ? "memory.max" : "memory.limit_in_bytes";
    if (STREQ(field, "soft_limit"))
        return v2 ? "memory.high" : "memory.soft_limit_in_bytes";
    return v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
}

int
qemu_domain_get_memory_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error)
{
    const DomainMemtune *t;
    int r;

    if ((r = get_flags(dom, &flags, "qemuDomainGetMemoryParameters", error)) < 0)
        return r;
    t = flags & DOMAIN_AFFECT_CONFIG ? &dom->def->memtune : &dom->live->memtune;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        typed_params_add_ullong(ret, "hard_limit", unlimited_if_unset(t->hard_limit));
        typed_params_add_ullong(ret, "soft_limit", unlimited_if_unset(t->soft_limit));
        typed_params_add_ullong(ret, "swap_hard_limit", unlimited_if_unset(t->swap_hard_limit));
    } else {
        auto_cleanup(free_ptr) char *dir = NULL;
        bool v2 = false;

        r = qemu_cgroup_domain(dom, "memory", false, &dir, &v2, error);
        if (r < 0 && r != -ENOENT)
            return r;
        for (size_t i = 0; i < ARRAY_SIZE(mem_spec); i++)
            typed_params_add_ullong(ret, mem_spec[i].field,
                                    read_limit(dir, mem_file(mem_spec[i].field, v2), v2,
                                               DOMAIN_MEMORY_UNLIMITED));
    }
    return 0;
}

static int
write_limit(const char *dir, bool v2, const char *field, uint64_t kib, Error *error)
{
    char buf[32];

    if (kib >= DOMAIN_MEMORY_UNLIMITED)
        snprintf(buf, sizeof(buf), "%s", v2 ? "max" : "-1");
    else
        snprintf(buf, sizeof(buf), "%" PRIu64, kib << 10);
    return qemu_cgroup_write(dir, mem_file(field, v2), buf, error);
}

static void
memtune_set(DomainMemtune *t, const char *field, uint64_t kib)
{
    uint64_t v = kib >= DOMAIN_MEMORY_UNLIMITED ? 0 : kib;

    if (STREQ(field, "hard_limit"))
        t->hard_limit = v;
    else if (STREQ(field, "soft_limit"))
        t->soft_limit = v;
    else
        t->swap_hard_limit = v;
}

/* The live definition's limits into the group, in an order the kernel
 * takes (the memory limit never above memory+swap): soft; hard before
 * swap when it goes down, after when it goes up. */
static int
apply_memtune(Domain *dom, const DomainMemtune *now, const DomainMemtune *want, Error *error)
{
    auto_cleanup(free_ptr) char *dir = NULL;
    uint64_t hard = unlimited_if_unset(want->hard_limit);
    bool v2;
    int r;

    if ((r = qemu_cgroup_domain(dom, "memory", true, &dir, &v2, error)) < 0)
        return r;
    if (want->soft_limit != now->soft_limit &&
        (r = write_limit(dir, v2, "soft_limit", unlimited_if_unset(want->soft_limit),
                         error)) < 0)
        return r;
    if (hard < unlimited_if_unset(now->hard_limit) &&
        (r = write_limit(dir, v2, "hard_limit", hard, error)) < 0)
        return r;
    if (want->swap_hard_limit != now->swap_hard_limit &&
        (r = write_limit(dir, v2, "swap_hard_limit", unlimited_if_unset(want->swap_hard_limit),
                         error)) < 0)
        return r;
    if (hard > unlimited_if_unset(now->hard_limit) &&
        (r = write_limit(dir, v2, "hard_limit", hard, error)) < 0)
        return r;
    return 0;
}

int
qemu_domain_set_memory_params(Domain *dom, const TypedParams *tp, unsigned flags,
                              Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    const DomainDef *cur;
    DomainMemtune want;
    int r;

    if ((r = typed_params_validate(tp, mem_spec, ARRAY_SIZE(mem_spec), error)) < 0 ||
        (r = set_flags(dom, &flags, "qemuDomainSetMemoryParameters", error)) < 0)
        return r;
    cur = flags & DOMAIN_AFFECT_LIVE ? dom->live : dom->def;
    want = cur->memtune;
    for (size_t i = 0; i < tp->n; i++) {
        if (tp->p[i].v.ul > DOMAIN_MEMORY_UNLIMITED)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: Memory '%" PRIu64 "' must be less than %llu",
                             tp->p[i].v.ul, DOMAIN_MEMORY_UNLIMITED);
        memtune_set(&want, tp->p[i].field, tp->p[i].v.ul);
    }
    if ((typed_params_get(tp, "hard_limit") || typed_params_get(tp, "swap_hard_limit")) &&
        unlimited_if_unset(want.hard_limit) > unlimited_if_unset(want.swap_hard_limit))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: memory hard_limit tunable value must be lower "
                         "than or equal to swap_hard_limit");
    if (flags & DOMAIN_AFFECT_LIVE) {
        auto_cleanup(free_ptr) char *base = NULL;
        bool v2;

        if (qemu_cgroup_base("memory", &base, &v2) < 0)
            return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: cgroup memory controller is "
                             "not mounted");
        if ((r = apply_memtune(dom, &dom->live->memtune, &want, error)) < 0)
            return r;
        dom->live->memtune = want;
        qemu_status_save(dom);
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        for (size_t i = 0; i < tp->n; i++)
            memtune_set(&config->memtune, tp->p[i].field, tp->p[i].v.ul);
    }
    return save_config(dom, &config, error);
}

/* ---- block I/O weights and limits ---------------------------------------- */

static const TypedParamSpec blkio_spec[] = {
    { "weight", TYPED_PARAM_UINT },
    { "device_weight", TYPED_PARAM_STRING },
    { "device_read_iops_sec", TYPED_PARAM_STRING },
    { "device_write_iops_sec", TYPED_PARAM_STRING },
    { "device_read_bytes_sec", TYPED_PARAM_STRING },
    { "device_write_bytes_sec", TYPED_PARAM_STRING },
};

/* Which number of a device each device_* parameter names; NULL for the
 * weight (an unsigned of its own). */
static uint64_t *
blkio_value(DomainBlkioDevice *d, const char *field)
{
    if (STREQ(field, "device_read_iops_sec"))
        return &d->read_iops;
    if (STREQ(field, "device_write_iops_sec"))
        return &d->write_iops;
    if (STREQ(field, "device_read_bytes_sec"))
        return &d->read_bytes;
    if (STREQ(field, "device_write_bytes_sec"))
        return &d->write_bytes;
    return NULL;
}

/* "path,value[,path,value]..." of one parameter, for every device with it. */
static char *
blkio_list(const DomainBlkiotune *t, const char *field)
{
    char *s = xstrdup("");

    for (size_t i = 0; i < t->n_devices; i++) {
        DomainBlkioDevice d = t->devices[i];
        uint64_t *v = blkio_value(&d, field);
        uint64_t value = v ? *v : d.weight;
        char *next;

        if (!value)
            continue;
        next = xasprintf("%s%s%s,%" PRIu64, s, *s ? "," : "", d.path, value);
        free(s);
        s = next;
    }
    return s;
}

int
qemu_domain_get_blkio_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error)
{
    const DomainBlkiotune *t;
    int r;

    if ((r = get_flags(dom, &flags, "qemuDomainGetBlkioParameters", error)) < 0)
        return r;
    t = flags & DOMAIN_AFFECT_CONFIG ? &dom->def->blkiotune : &dom->live->blkiotune;
    typed_params_add_uint(ret, "weight", t->weight);
    for (size_t i = 1; i < ARRAY_SIZE(blkio_spec); i++) {
        auto_cleanup(free_ptr) char *list = blkio_list(t, blkio_spec[i].field);
        typed_params_add_string(ret, blkio_spec[i].field, list);
    }
    return 0;
}

/* Merges "path,value,..." of @field into @t (a value of 0 clears it). */
static int
blkio_merge(DomainBlkiotune *t, const char *field, const char *list, Error *error)
{
    auto_cleanup(free_ptr) char *copy = xstrdup(list);
    char *save = NULL;

    for (char *path = strtok_r(copy, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
        char *num = strtok_r(NULL, ",", &save), *end;
        unsigned long long v;
        DomainBlkioDevice *d = NULL;
        uint64_t *slot;

        if (!num || !*num)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: unable to parse blkio device '%s' '%s'", field,
                             list);
        errno = 0;
        v = strtoull(num, &end, 10);
        if (errno || *end || num[0] == '-' ||
            (STREQ(field, "device_weight") && v > UINT_MAX))
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: invalid value '%s' for parameter '%s' of "
                             "device '%s'", num, field, path);
        for (size_t i = 0; i < t->n_devices && !d; i++)
            if (STREQ(t->devices[i].path, path))
                d = &t->devices[i];
        if (!d) {
            d = ARRAY_APPEND(t->devices, t->n_devices);
            d->path = xstrdup(path);
        }
        slot = blkio_value(d, field);
        if (slot)
            *slot = v;
        else
            d->weight = (unsigned) v;
    }
    return 0;
}

static int
blkio_assign(DomainBlkiotune *t, const TypedParams *tp, Error *error)
{
    for (size_t i = 0; i < tp->n; i++) {
        const TypedParam *p = &tp->p[i];
        int r;

        if (STREQ(p->field, "weight")) {
            t->weight = p->v.ui;
            continue;
        }
        if ((r = blkio_merge(t, p->field, p->v.s, error)) < 0)
            return r;
    }
    return 0;
}

/* The device numbers of a block device's path: "MAJ:MIN". */
static int
block_device_id(const char *path, char *buf, size_t len, Error *error)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "Couldn't stat device %s", path);
    if (!S_ISBLK(st.st_mode))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: path '%s' must be a block device",
                         path);
    snprintf(buf, len, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
    return 0;
}

/* The first of @a and @b that the cgroup at @dir has, or NULL. */
static const char *
blkio_file(const char *dir, const char *a, const char *b)
{
    auto_cleanup(free_ptr) char *pa = xasprintf("%s/%s", dir, a);
    auto_cleanup(free_ptr) char *pb = xasprintf("%s/%s", dir, b);

    return access(pa, F_OK) == 0 ? a : access(pb, F_OK) == 0 ? b : NULL;
}

/* @want into the blkio group: the weight, then each device's numbers. */
static int
apply_blkiotune(Domain *dom, const DomainBlkiotune *want, Error *error)
{
    static const struct {
        const char *field, *v1, *v2;
    } files[] = {
        { "device_read_iops_sec", "blkio.throttle.read_iops_device", "riops" },
        { "device_write_iops_sec", "blkio.throttle.write_iops_device", "wiops" },
        { "device_read_bytes_sec", "blkio.throttle.read_bps_device", "rbps" },
        { "device_write_bytes_sec", "blkio.throttle.write_bps_device", "wbps" },
    };
    auto_cleanup(free_ptr) char *dir = NULL;
    char buf[96];
    bool v2;
    int r;

    if ((r = qemu_cgroup_domain(dom, "blkio", true, &dir, &v2, error)) < 0 &&
        (r = qemu_cgroup_domain(dom, "io", true, &dir, &v2, error)) < 0)
        return r;
    /* v1 with BFQ has its own weight files (libvirt prefers them); CFQ had
     * the plain ones; a kernel with neither scheduler weighs nothing. */
    const char *weight_file = v2 ? "io.weight" : blkio_file(dir, "blkio.bfq.weight",
                                                            "blkio.weight");
    const char *device_file = v2 ? "io.weight" : blkio_file(dir, "blkio.bfq.weight_device",
                                                            "blkio.weight_device");
    if (want->weight) {
        if (!weight_file)
            return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_INVALID, "%s",
                             "Requested operation is not valid: blkio device weight is valid "
                             "only for bfq or cfq scheduler");
        snprintf(buf, sizeof(buf), "%u", want->weight);
        if ((r = qemu_cgroup_write(dir, weight_file, buf, error)) < 0)
            return r;
    }
    for (size_t i = 0; i < want->n_devices; i++) {
        DomainBlkioDevice d = want->devices[i];
        char id[32];

        if ((r = block_device_id(d.path, id, sizeof(id), error)) < 0)
            return r;
        if (d.weight) {
            if (!device_file)
                return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_INVALID, "%s",
                                 "Requested operation is not valid: blkio device weight is "
                                 "valid only for cfq scheduler");
            snprintf(buf, sizeof(buf), "%s %u", id, d.weight);
            if ((r = qemu_cgroup_write(dir, device_file, buf, error)) < 0)
                return r;
        }
        for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
            uint64_t v = *blkio_value(&d, files[k].field);
            /* 0 lifts the limit: v1 takes "0", v2 "max". */
            if (!v2)
                snprintf(buf, sizeof(buf), "%s %" PRIu64, id, v);
            else if (v)
                snprintf(buf, sizeof(buf), "%s %s=%" PRIu64, id, files[k].v2, v);
            else
                snprintf(buf, sizeof(buf), "%s %s=max", id, files[k].v2);
            if ((r = qemu_cgroup_write(dir, v2 ? "io.max" : files[k].v1, buf, error)) < 0)
                return r;
        }
    }
    return 0;
}

int
qemu_domain_set_blkio_params(Domain *dom, const TypedParams *tp, unsigned flags,
                             Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    auto_cleanup(domain_def_freep) DomainDef *live = NULL;
    const TypedParam *w;
    int r;

    if ((r = typed_params_validate(tp, blkio_spec, ARRAY_SIZE(blkio_spec), error)) < 0 ||
        (r = set_flags(dom, &flags, "qemuDomainSetBlkioParameters", error)) < 0)
        return r;
    w = typed_params_get(tp, "weight");
    if (w && (w->v.ui > 1000 || w->v.ui < 100))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: out of blkio weight range.");
    if (flags & DOMAIN_AFFECT_LIVE) {
        auto_cleanup(free_ptr) char *base = NULL;
        bool v2;

        if (qemu_cgroup_base("blkio", &base, &v2) < 0 && qemu_cgroup_base("io", &base, &v2) < 0)
            return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: blkio cgroup isn't mounted");
        live = domain_def_copy(dom->live);
        if ((r = blkio_assign(&live->blkiotune, tp, error)) < 0 ||
            (r = apply_blkiotune(dom, &live->blkiotune, error)) < 0)
            return r;
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        if ((r = blkio_assign(&config->blkiotune, tp, error)) < 0)
            return r;
    }
    if ((r = save_config(dom, &config, error)) < 0)
        return r;
    if (live) {
        domain_def_free(dom->live);
        dom->live = steal_ptr(live);
        qemu_status_save(dom);
    }
    return 0;
}

/* ---- NUMA memory placement ------------------------------------------------- */

static const char *const numa_modes[] = { "strict", "preferred", "interleave", "restrictive" };

static const TypedParamSpec numa_spec[] = {
    { "numa_mode", TYPED_PARAM_INT },
    { "numa_nodeset", TYPED_PARAM_STRING },
};

static int
numa_mode_number(const char *mode)
{
    for (size_t i = 0; i < ARRAY_SIZE(numa_modes); i++)
        if (STREQ_NULL(mode, numa_modes[i]))
            return (int) i;
    return 0;
}

int
qemu_domain_get_numa_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error)
{
    const DomainNumatune *t;
    int r;

    if ((r = get_flags(dom, &flags, "qemuDomainGetNumaParameters", error)) < 0)
        return r;
    t = flags & DOMAIN_AFFECT_CONFIG ? &dom->def->numatune : &dom->live->numatune;
    typed_params_add_int(ret, "numa_mode", numa_mode_number(t->mode));
    typed_params_add_string(ret, "numa_nodeset", str_or_empty(t->nodeset));
    return 0;
}

/* Every node of @nodeset is one this host has. */
static int
check_nodeset(const char *nodeset, Error *error)
{
    cpu_set_t set;
    int r = cpuset_parse(nodeset, &set, NULL);

    if (r < 0 || CPU_COUNT(&set) == 0)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: Invalid nodeset of 'numatune': %s",
                         nodeset);
    for (int n = 0; n < CPU_SETSIZE; n++) {
        char path[64];
        if (!CPU_ISSET(n, &set))
            continue;
        snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
        if (access(path, F_OK) < 0)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: NUMA node %d is unavailable", n);
    }
    return 0;
}

static void
numa_assign(DomainNumatune *t, int mode, const char *nodeset)
{
    if (mode >= 0) {
        free(t->mode);
        t->mode = xstrdup(numa_modes[mode]);
    } else if (!t->mode) {
        t->mode = xstrdup("strict");
    }
    if (nodeset) {
        free(t->nodeset);
        t->nodeset = xstrdup(nodeset);
        free(t->placement);
        t->placement = xstrdup("static");
    }
}

/* The nodes QEMU's memory may come from, in the cpuset group. */
static int
apply_nodeset(Domain *dom, const char *nodeset, Error *error)
{
    auto_cleanup(free_ptr) char *dir = NULL;
    bool v2;
    int r;

    if ((r = qemu_cgroup_domain(dom, "cpuset", true, &dir, &v2, error)) < 0)
        return r;
    return qemu_cgroup_write(dir, "cpuset.mems", nodeset, error);
}

int
qemu_domain_set_numa_params(Domain *dom, const TypedParams *tp, unsigned flags, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    const TypedParam *m, *ns;
    const char *nodeset;
    int mode = -1, r;

    if ((r = typed_params_validate(tp, numa_spec, ARRAY_SIZE(numa_spec), error)) < 0 ||
        (r = set_flags(dom, &flags, "qemuDomainSetNumaParameters", error)) < 0)
        return r;
    m = typed_params_get(tp, "numa_mode");
    ns = typed_params_get(tp, "numa_nodeset");
    nodeset = ns ? ns->v.s : NULL;
    if (m) {
        mode = m->v.i;
        if (mode < 0 || (size_t) mode >= ARRAY_SIZE(numa_modes))
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: unsupported numatune mode: '%d'", mode);
    }
    if (nodeset && (r = check_nodeset(nodeset, error)) < 0)
        return r;
    if (flags & DOMAIN_AFFECT_LIVE) {
        DomainNumatune *t = &dom->live->numatune;
        auto_cleanup(free_ptr) char *base = NULL;
        int now = t->mode ? numa_mode_number(t->mode) : -1;
        bool v2;

        if (qemu_cgroup_base("cpuset", &base, &v2) < 0)
            return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: cgroup cpuset controller is "
                             "not mounted");
        if (mode >= 0 && now >= 0 && mode != now)
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: can't change numatune mode "
                             "for running domain");
        /* As libvirt: a call that names the strict mode may not move the
         * nodes (QEMU bound the memory to them); otherwise the cpuset
         * moves them. */
        if (mode == 0 && nodeset && !STREQ_NULL(nodeset, t->nodeset))
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: can't change nodeset for "
                             "strict mode for running domain");
        if (nodeset && mode != 0) {
            if ((r = apply_nodeset(dom, nodeset, error)) < 0)
                return r;
            numa_assign(t, mode, nodeset);
            qemu_status_save(dom);
        }
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        numa_assign(&config->numatune, mode, nodeset);
    }
    return save_config(dom, &config, error);
}

/* ---- at start ---------------------------------------------------------- */

int
qemu_tuning_apply(Domain *dom, Error *error)
{
    const DomainDef *def = dom->live;
    DomainMemtune none = { 0 };
    int r = 0;

    if (def->memtune.hard_limit || def->memtune.soft_limit || def->memtune.swap_hard_limit)
        r = apply_memtune(dom, &none, &def->memtune, error);
    if (r >= 0 && (def->blkiotune.weight || def->blkiotune.n_devices))
        r = apply_blkiotune(dom, &def->blkiotune, error);
    /* As libvirt: the strict and restrictive modes bind through the
     * cpuset (the other two are QEMU's memory policy). */
    if (r >= 0 && def->numatune.nodeset &&
        (STREQ_NULL(def->numatune.mode, "strict") || STREQ_NULL(def->numatune.mode, "restrictive")))
        r = apply_nodeset(dom, def->numatune.nodeset, error);
    return r;
}
