/* IOThreads: <iothreads>/<iothreadids> (one -object iothread per id at
 * start), and virDomainAddIOThread, DelIOThread, GetIOThreadInfo and
 * PinIOThread live (QMP object-add/object-del, query-iothreads for the
 * threads, their affinity set and read with sched_*affinity) and in the
 * definition, as libvirt's QEMU driver does them. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_monitor.h"

static int
iothread_flags(Domain *dom, unsigned *flags, const char *fn, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    int r;

    if (*flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", *flags & ~known, fn);
    if ((r = qemu_domain_affect(dom, flags, error)) < 0)
        return r;
    if ((*flags & DOMAIN_AFFECT_LIVE) && (r = qemu_job_check_active(dom, error)) < 0)
        return r;
    return 0;
}

static void
def_add(DomainDef *def, unsigned id)
{
    *ARRAY_APPEND(def->iothread_ids, def->n_iothreads) = id;
    def->iothread_ids_listed = true;
}

static void
def_del(DomainDef *def, unsigned id)
{
    for (size_t i = 0; i < def->n_iothreads; i++) {
        if (def->iothread_ids[i] != id)
            continue;
        memmove(&def->iothread_ids[i], &def->iothread_ids[i + 1],
                (def->n_iothreads - i - 1) * sizeof(*def->iothread_ids));
        def->n_iothreads--;
        break;
    }
    for (size_t i = 0; i < def->cputune.n_iothreadpins; i++) {
        DomainIOThreadPin *pins = def->cputune.iothreadpins;
        if (pins[i].id != id)
            continue;
        free(pins[i].cpuset);
        memmove(&pins[i], &pins[i + 1], (def->cputune.n_iothreadpins - i - 1) * sizeof(*pins));
        def->cputune.n_iothreadpins--;
        break;
    }
}

static const char *
pin_of(const DomainDef *def, unsigned id)
{
    for (size_t i = 0; i < def->cputune.n_iothreadpins; i++)
        if (def->cputune.iothreadpins[i].id == id)
            return def->cputune.iothreadpins[i].cpuset;
    return def->vcpu_cpuset;
}

static void
set_pin(DomainDef *def, unsigned id, const char *cpuset)
{
    DomainIOThreadPin *pin = NULL;

    for (size_t i = 0; i < def->cputune.n_iothreadpins && !pin; i++)
        if (def->cputune.iothreadpins[i].id == id)
            pin = &def->cputune.iothreadpins[i];
    if (!pin) {
        pin = ARRAY_APPEND(def->cputune.iothreadpins, def->cputune.n_iothreadpins);
        pin->id = id;
    }
    free(pin->cpuset);
    pin->cpuset = xstrdup(cpuset);
    def->cputune.present = true;
}

/* ---- a QMP step, then the job's end ------------------------------------ */

typedef enum { STEP_ADD, STEP_DEL, STEP_PIN } StepKind;

typedef struct IOThreadStep {
    Domain *dom;
    StepKind kind;
    unsigned id;
    char *cpuset;        /* STEP_PIN */
    DomainDef *config;   /* CONFIG's new definition, or NULL */
} IOThreadStep;

static void
step_free(IOThreadStep *s)
{
    free(s->cpuset);
    domain_def_free(s->config);
    free(s);
}

static void
step_finish(IOThreadStep *s, const Error *error)
{
    Domain *dom = s->dom;

    if (!error && dom->live) {
        if (s->kind == STEP_ADD)
            def_add(dom->live, s->id);
        else if (s->kind == STEP_DEL)
            def_del(dom->live, s->id);
        else
            set_pin(dom->live, s->id, s->cpuset);
    }
    qemu_hotplug_finish(dom, &s->config, NULL, error);
    if (!error && s->kind == STEP_PIN && s->cpuset && dom->live) {
        char field[48];

        snprintf(field, sizeof(field), "cputune.iothreadpin%u", s->id);
        qemu_driver_emit_tunable_string(dom, field, s->cpuset);
    }
    step_free(s);
}

/* The host thread of IOThread @id in a query-iothreads reply, or -1. */
static pid_t
thread_of(json_t *ret, unsigned id)
{
    char want[32];
    size_t i;
    json_t *t;

    snprintf(want, sizeof(want), "iothread%u", id);
    json_array_foreach(ret, i, t)
        if (STREQ_NULL(json_string_value(json_object_get(t, "id")), want))
            return (pid_t) json_integer_value(json_object_get(t, "thread-id"));
    return -1;
}

static void
threads_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    IOThreadStep *s = userdata;
    Domain *dom = s->dom;
    Error failed = ERROR_INIT;
    const char *cpuset = s->kind == STEP_PIN ? s->cpuset : dom->live ? pin_of(dom->live, s->id)
                                                                    : NULL;
    pid_t tid;

    if (error) {
        step_finish(s, error);
        return;
    }
    tid = thread_of(ret, s->id);
    if (tid <= 0) {
        error_set(&failed, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                  "internal error: cannot find IOThread '%u' in QEMU", s->id);
    } else if (cpuset) {
        cpu_set_t set;
        if (cpuset_parse(cpuset, &set, &failed) >= 0 &&
            sched_setaffinity(tid, sizeof(set), &set) < 0)
            error_set_errno(&failed, -errno, VIR_ERR_SYSTEM_ERROR,
                            "cannot set CPU affinity of IOThread %u to '%s'", s->id, cpuset);
    }
    step_finish(s, error_is_set(&failed) ? &failed : NULL);
    error_clear(&failed);
}

static void
object_done(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    IOThreadStep *s = userdata;
    Error failed = ERROR_INIT;

    /* A new thread gets the definition's pinning, as at start. */
    if (!error && s->kind == STEP_ADD &&
        qmp_command(s->dom->monitor.conn, "query-iothreads", NULL, threads_listed, s,
                    &failed) >= 0)
        return;
    step_finish(s, error ? error : error_is_set(&failed) ? &failed : NULL);
    error_clear(&failed);
}

static int
step_run(Domain *dom, IOThreadStep *s, DomainDoneCb cb, void *userdata, Error *error)
{
    char id[32];
    int r;

    if ((r = qemu_job_check_idle(dom, error)) < 0) {
        step_free(s);
        return r;
    }
    snprintf(id, sizeof(id), "iothread%u", s->id);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    if (s->kind == STEP_ADD)
        r = qmp_command(dom->monitor.conn, "object-add",
                        json_pack("{s:s,s:s}", "qom-type", "iothread", "id", id), object_done, s,
                        error);
    else if (s->kind == STEP_DEL)
        r = qmp_command(dom->monitor.conn, "object-del", json_pack("{s:s}", "id", id),
                        object_done, s, error);
    else
        r = qmp_command(dom->monitor.conn, "query-iothreads", NULL, threads_listed, s, error);
    if (r < 0) {
        step_free(s);
        qemu_job_cancel(dom);
    }
    return r;
}

/* Saves a CONFIG-only change and answers at once. */
static int
config_only(Domain *dom, IOThreadStep *s, DomainDoneCb cb, void *userdata, Error *error)
{
    int r = qemu_hotplug_save_config(dom, &s->config, error);

    step_free(s);
    if (r >= 0 && cb)
        cb(dom, NULL, userdata);
    return r;
}

/* ---- add and delete ---------------------------------------------------- */

int
qemu_domain_add_iothread(Domain *dom, unsigned id, unsigned flags, DomainDoneCb cb,
                         void *userdata, Error *error)
{
    IOThreadStep *s;
    int r;

    if ((r = iothread_flags(dom, &flags, "qemuDomainAddIOThread", error)) < 0)
        return r;
    if (id == 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: invalid value of 0 for iothread_id");
    if (((flags & DOMAIN_AFFECT_LIVE) && domain_def_has_iothread(dom->live, id)) ||
        ((flags & DOMAIN_AFFECT_CONFIG) && domain_def_has_iothread(dom->def, id)))
        return error_set(error, -EEXIST, VIR_ERR_INVALID_ARG,
                         "invalid argument: an IOThread is already using iothread_id '%u'", id);
    s = xcalloc(1, sizeof(*s));
    s->dom = dom;
    s->kind = STEP_ADD;
    s->id = id;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        s->config = domain_def_copy(dom->def);
        def_add(s->config, id);
    }
    if (!(flags & DOMAIN_AFFECT_LIVE))
        return config_only(dom, s, cb, userdata, error);
    return step_run(dom, s, cb, userdata, error);
}

static int
check_unused(const DomainDef *def, unsigned id, Error *error)
{
    if (!domain_def_has_iothread(def, id))
        return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                         "invalid argument: cannot find IOThread '%u' in iothreadids list", id);
    for (size_t i = 0; i < def->n_disks; i++)
        if (def->disks[i].driver_iothread == id)
            return error_set(error, -EBUSY, VIR_ERR_INVALID_ARG,
                             "invalid argument: cannot remove IOThread %u since it is being "
                             "used by disk '%s'", id, str_or_empty(def->disks[i].target_dev));
    return 0;
}

int
qemu_domain_del_iothread(Domain *dom, unsigned id, unsigned flags, DomainDoneCb cb,
                         void *userdata, Error *error)
{
    IOThreadStep *s;
    int r;

    if ((r = iothread_flags(dom, &flags, "qemuDomainDelIOThread", error)) < 0)
        return r;
    if (((flags & DOMAIN_AFFECT_LIVE) && (r = check_unused(dom->live, id, error)) < 0) ||
        ((flags & DOMAIN_AFFECT_CONFIG) && (r = check_unused(dom->def, id, error)) < 0))
        return r;
    s = xcalloc(1, sizeof(*s));
    s->dom = dom;
    s->kind = STEP_DEL;
    s->id = id;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        s->config = domain_def_copy(dom->def);
        def_del(s->config, id);
    }
    if (!(flags & DOMAIN_AFFECT_LIVE))
        return config_only(dom, s, cb, userdata, error);
    return step_run(dom, s, cb, userdata, error);
}

/* ---- pin ---------------------------------------------------------------- */

int
qemu_domain_pin_iothread(Domain *dom, unsigned id, const bool *map, size_t n, unsigned flags,
                         DomainDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(free_ptr) char *cpuset = NULL;
    IOThreadStep *s;
    int r;

    if ((r = iothread_flags(dom, &flags, "qemuDomainPinIOThread", error)) < 0)
        return r;
    cpuset = qemu_cpumap_format(map, n);
    if (!cpuset)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Empty iothread cpumap list for pinning");
    if (((flags & DOMAIN_AFFECT_LIVE) && !domain_def_has_iothread(dom->live, id)) ||
        ((flags & DOMAIN_AFFECT_CONFIG) && !domain_def_has_iothread(dom->def, id)))
        return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                         "invalid argument: iothread %u not found", id);
    s = xcalloc(1, sizeof(*s));
    s->dom = dom;
    s->kind = STEP_PIN;
    s->id = id;
    s->cpuset = xstrdup(cpuset);
    if (flags & DOMAIN_AFFECT_CONFIG) {
        s->config = domain_def_copy(dom->def);
        set_pin(s->config, id, cpuset);
    }
    if (!(flags & DOMAIN_AFFECT_LIVE))
        return config_only(dom, s, cb, userdata, error);
    return step_run(dom, s, cb, userdata, error);
}

/* ---- info --------------------------------------------------------------- */

typedef struct InfoCall {
    Domain *dom;
    IOThreadInfoCb cb;
    void *userdata;
} InfoCall;

static void
fill_map(const char *cpuset, bool *map, size_t ncpus)
{
    cpu_set_t set;

    if (!cpuset || cpuset_parse(cpuset, &set, NULL) < 0) {
        for (size_t c = 0; c < ncpus; c++)
            map[c] = true;
        return;
    }
    for (size_t c = 0; c < ncpus && c < CPU_SETSIZE; c++)
        map[c] = CPU_ISSET(c, &set);
}

static void
info_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    InfoCall *call = userdata;
    long ncpus = sysconf(_SC_NPROCESSORS_CONF);
    IOThreadInfo *info = NULL;
    size_t n = 0, i;
    json_t *t;

    if (ncpus < 1)
        ncpus = 1;
    if (!error) {
        info = xcalloc(json_array_size(ret) + 1, sizeof(*info));
        json_array_foreach(ret, i, t) {
            const char *id = json_string_value(json_object_get(t, "id"));
            pid_t tid = (pid_t) json_integer_value(json_object_get(t, "thread-id"));
            unsigned num;
            cpu_set_t set;

            if (!id || sscanf(id, "iothread%u", &num) != 1)
                continue;
            info[n].id = num;
            info[n].ncpus = (size_t) ncpus;
            info[n].map = xcalloc((size_t) ncpus + 1, sizeof(bool));
            /* The kernel's word: what the thread may run on now. */
            if (tid > 0 && sched_getaffinity(tid, sizeof(set), &set) == 0) {
                for (long k = 0; k < ncpus && k < CPU_SETSIZE; k++)
                    info[n].map[k] = CPU_ISSET(k, &set);
            } else {
                fill_map(NULL, info[n].map, (size_t) ncpus);
            }
            n++;
        }
    }
    call->cb(call->dom, info, n, error, call->userdata);
    for (i = 0; i < n; i++)
        free(info[i].map);
    free(info);
    free(call);
}

int
qemu_domain_get_iothread_info(Domain *dom, unsigned flags, IOThreadInfoCb cb, void *userdata,
                              Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    InfoCall *call;
    int r;

    if ((r = qemu_domain_read_flags(&flags, known, "qemuDomainGetIOThreadInfo", error)) < 0)
        return r;
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        long ncpus = sysconf(_SC_NPROCESSORS_CONF);
        const DomainDef *def = dom->def;
        IOThreadInfo *info = xcalloc(def->n_iothreads + 1, sizeof(*info));

        if (ncpus < 1)
            ncpus = 1;
        for (size_t i = 0; i < def->n_iothreads; i++) {
            info[i].id = def->iothread_ids[i];
            info[i].ncpus = (size_t) ncpus;
            info[i].map = xcalloc((size_t) ncpus + 1, sizeof(bool));
            fill_map(pin_of(def, def->iothread_ids[i]), info[i].map, (size_t) ncpus);
        }
        cb(dom, info, def->n_iothreads, NULL, userdata);
        for (size_t i = 0; i < def->n_iothreads; i++)
            free(info[i].map);
        free(info);
        return 0;
    }
    if ((r = qemu_job_check_active(dom, error)) < 0)
        return r;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->cb = cb;
    call->userdata = userdata;
    r = qmp_command(dom->monitor.conn, "query-iothreads", NULL, info_listed, call, error);
    if (r < 0)
        free(call);
    return r;
}

/* ---- at start ----------------------------------------------------------- */

static void
start_listed(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    Error failed = ERROR_INIT;

    if (error) {
        qemu_process_start_failed(dom, error);
        return;
    }
    for (size_t i = 0; dom->live && i < dom->live->n_iothreads; i++) {
        unsigned id = dom->live->iothread_ids[i];
        const char *cpuset = pin_of(dom->live, id);
        pid_t tid = thread_of(ret, id);
        cpu_set_t set;

        if (!cpuset || tid <= 0)
            continue;
        if (cpuset_parse(cpuset, &set, &failed) < 0 ||
            sched_setaffinity(tid, sizeof(set), &set) < 0) {
            error_set_errno(&failed, -errno, VIR_ERR_SYSTEM_ERROR,
                            "cannot set CPU affinity of IOThread %u to '%s'", id, cpuset);
            qemu_process_start_failed(dom, &failed);
            break;
        }
    }
    error_clear(&failed);
}

void
qemu_iothreads_start(Domain *dom)
{
    bool pinned = false;

    for (size_t i = 0; i < dom->live->n_iothreads; i++)
        pinned = pinned || pin_of(dom->live, dom->live->iothread_ids[i]);
    if (pinned)
        qmp_command(dom->monitor.conn, "query-iothreads", NULL, start_listed, dom, NULL);
}
