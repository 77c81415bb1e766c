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

    if (*flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", *flags & ~known, fn);
    *flags &= ~(unsigned) TYPED_PARAM_STRING_OKAY;
    if ((*flags & DOMAIN_AFFECT_LIVE) && (*flags & DOMAIN_AFFECT_CONFIG))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Flags 'VIR_DOMAIN_AFFECT_LIVE' and "
                         "'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive");
    return qemu_domain_affect(dom, flags, error);
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
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        sched_assign(&config->cputune, tp);
    }
    return save_config(dom, &config, error);
}
