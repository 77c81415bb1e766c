/* virDomainSetBlockIoTune and virDomainGetBlockIoTune: a disk's <iotune>
 * limits, live through QMP block_set_io_throttle (read back with
 * query-block) and in the definition, with libvirt's rules: a family of
 * limits (the three bytes_sec, the three iops_sec, their maxima, ...)
 * given in a call replaces the whole family; total and read/write may not
 * both be set; a maximum needs its base and is not below it. A disk's
 * <iotune> is applied at start too. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_monitor.h"
#include "typed_params.h"

/* libvirt's QEMU_BLOCK_IOTUNE_MAX */
#define IOTUNE_LIMIT 1000000000000000ULL

/* QMP's names, in DiskIotuneField order. */
static const char *const qmp_names[_IOTUNE_MAX] = {
    "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr",
    "bps_max", "bps_rd_max", "bps_wr_max", "iops_max", "iops_rd_max", "iops_wr_max",
    "iops_size",
    "bps_max_length", "bps_rd_max_length", "bps_wr_max_length",
    "iops_max_length", "iops_rd_max_length", "iops_wr_max_length",
};

/* The families a call replaces whole: first field and size. */
static const struct {
    DiskIotuneField first;
    int n;
} families[] = {
    { IOTUNE_TOTAL_BYTES, 3 }, { IOTUNE_TOTAL_IOPS, 3 }, { IOTUNE_TOTAL_BYTES_MAX, 3 },
    { IOTUNE_TOTAL_IOPS_MAX, 3 }, { IOTUNE_SIZE_IOPS, 1 },
    { IOTUNE_TOTAL_BYTES_MAX_LENGTH, 3 }, { IOTUNE_TOTAL_IOPS_MAX_LENGTH, 3 },
};

static int
disk_or_error(const DomainDef *def, const char *path, Error *error)
{
    ssize_t i = domain_def_find_disk(def, path);

    if (i < 0)
        return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                         "invalid argument: disk '%s' was not found in the domain config",
                         path);
    return (int) i;
}

static void
add_params(TypedParams *ret, const DiskIotune *t)
{
    for (size_t i = 0; i < _IOTUNE_MAX; i++) {
        if (i == IOTUNE_TOTAL_BYTES_MAX_LENGTH)
            typed_params_add_string(ret, "group_name", str_or_empty(t->group_name));
        typed_params_add_ullong(ret, disk_iotune_names[i], t->v[i]);
    }
}

json_t *
qemu_iotune_args(const DomainDisk *d)
{
    /* As libvirt names the device: a virtio disk's block backend is its
     * virtio-backend child; the others' is the device itself. */
    auto_cleanup(free_ptr) char *id =
        d->target_bus == DISK_BUS_VIRTIO
            ? xasprintf("/machine/peripheral/%s/virtio-backend", str_or_empty(d->alias))
            : xstrdup(str_or_empty(d->alias));
    json_t *args = json_pack("{s:s}", "id", id);

    /* QEMU takes no burst length of 0: an unset one is left out (1). */
    for (size_t i = 0; i < _IOTUNE_MAX; i++)
        if (i < IOTUNE_TOTAL_BYTES_MAX_LENGTH || d->iotune.v[i])
            json_object_set_new(args, qmp_names[i], json_integer((json_int_t) d->iotune.v[i]));
    if (d->iotune.group_name)
        json_object_set_new(args, "group", json_string(d->iotune.group_name));
    return args;
}

/* ---- get ---------------------------------------------------------------- */

typedef struct IotuneGet {
    Domain *dom;
    char *alias;
    IotuneGetCb cb;
    void *userdata;
} IotuneGet;

/* query-block's qdev: the device's id, or its QOM path
 * (/machine/peripheral/ID, with /virtio-backend for a virtio disk). */
static bool
qdev_is(const char *qdev, const char *alias)
{
    const char *prefix = "/machine/peripheral/";
    size_t n = strlen(alias);

    if (STREQ(qdev, alias))
        return true;
    if (strncmp(qdev, prefix, strlen(prefix)) != 0)
        return false;
    qdev += strlen(prefix);
    return strncmp(qdev, alias, n) == 0 && (qdev[n] == '\0' || qdev[n] == '/');
}

static void
query_block_done(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    IotuneGet *g = userdata;
    TypedParams tp = { 0 };
    Error failed = ERROR_INIT;
    DiskIotune t = { 0 };
    size_t i;
    json_t *dev;
    bool found = false;

    if (error) {
        g->cb(g->dom, NULL, error, g->userdata);
        goto out;
    }
    json_array_foreach(ret, i, dev) {
        const char *qdev = json_string_value(json_object_get(dev, "qdev"));
        json_t *ins = json_object_get(dev, "inserted");

        if (!qdev || !qdev_is(qdev, g->alias))
            continue;
        found = true;
        for (size_t k = 0; ins && k < _IOTUNE_MAX; k++)
            t.v[k] = (uint64_t) json_integer_value(json_object_get(ins, qmp_names[k]));
        if (ins && json_string_value(json_object_get(ins, "group")))
            t.group_name = xstrdup(json_string_value(json_object_get(ins, "group")));
        break;
    }
    if (!found) {
        error_set(&failed, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                  "internal error: cannot find throttling info for device '%s'", g->alias);
        g->cb(g->dom, NULL, &failed, g->userdata);
        error_clear(&failed);
        goto out;
    }
    add_params(&tp, &t);
    g->cb(g->dom, &tp, NULL, g->userdata);
    typed_params_clear(&tp);
    free(t.group_name);
out:
    free(g->alias);
    free(g);
}

int
qemu_domain_get_block_iotune(Domain *dom, const char *path, unsigned flags, IotuneGetCb cb,
                             void *userdata, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | TYPED_PARAM_STRING_OKAY;
    IotuneGet *g;
    int i, r;

    if ((r = qemu_domain_read_flags(&flags, known, "qemuDomainGetBlockIoTune", error)) < 0)
        return r;
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    if (!path || !*path) {
        /* libvirt's count query names no disk: the names, all 0. */
        TypedParams tp = { 0 };
        DiskIotune none = { 0 };

        add_params(&tp, &none);
        cb(dom, &tp, NULL, userdata);
        typed_params_clear(&tp);
        return 0;
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        TypedParams tp = { 0 };

        if ((i = disk_or_error(dom->def, path, error)) < 0)
            return i;
        add_params(&tp, &dom->def->disks[i].iotune);
        cb(dom, &tp, NULL, userdata);
        typed_params_clear(&tp);
        return 0;
    }
    if ((i = disk_or_error(dom->live, path, error)) < 0 ||
        (r = qemu_job_check_active(dom, error)) < 0)
        return i < 0 ? i : r;
    g = xcalloc(1, sizeof(*g));
    g->dom = dom;
    g->alias = xstrdup(str_or_empty(dom->live->disks[i].alias));
    g->cb = cb;
    g->userdata = userdata;
    r = qmp_command(dom->monitor.conn, "query-block", NULL, query_block_done, g, error);
    if (r < 0) {
        free(g->alias);
        free(g);
    }
    return r;
}

/* ---- at start ---------------------------------------------------------- */

static void
start_throttle_set(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (error)
        qemu_process_start_failed(dom, error);
}

void
qemu_iotune_start(Domain *dom)
{
    for (size_t i = 0; i < dom->live->n_disks; i++) {
        const DomainDisk *d = &dom->live->disks[i];

        /* An empty drive gets its limits with its medium, as in libvirt. */
        if (disk_iotune_is_set(&d->iotune) && d->source)
            qmp_command(dom->monitor.conn, "block_set_io_throttle", qemu_iotune_args(d),
                        start_throttle_set, dom, NULL);
    }
}

/* ---- set ---------------------------------------------------------------- */

static int
validate(const TypedParams *tp, Error *error)
{
    TypedParamSpec spec[_IOTUNE_MAX + 1];

    for (size_t i = 0; i < _IOTUNE_MAX; i++)
        spec[i] = (TypedParamSpec) { disk_iotune_names[i], TYPED_PARAM_ULLONG };
    spec[_IOTUNE_MAX] = (TypedParamSpec) { "group_name", TYPED_PARAM_STRING };
    return typed_params_validate(tp, spec, _IOTUNE_MAX + 1, error);
}

/* @old with the families @tp names replaced. */
static void
merge(DiskIotune *out, const DiskIotune *old, const TypedParams *tp)
{
    const TypedParam *g = typed_params_get(tp, "group_name");

    memcpy(out->v, old->v, sizeof(out->v));
    for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
        bool named = false;

        for (int k = 0; k < families[f].n; k++)
            named = named || typed_params_get(tp, disk_iotune_names[families[f].first + k]);
        if (!named)
            continue;
        for (int k = 0; k < families[f].n; k++) {
            const TypedParam *p = typed_params_get(tp, disk_iotune_names[families[f].first + k]);
            out->v[families[f].first + k] = p ? p->v.ul : 0;
        }
    }
    out->group_name = g ? (*g->v.s ? xstrdup(g->v.s) : NULL)
                        : old->group_name ? xstrdup(old->group_name) : NULL;
}

static int
check_rules(const DiskIotune *t, Error *error)
{
    static const char *const pairs[] = { "bytes_sec", "iops_sec", "bytes_sec_max",
                                         "iops_sec_max" };
    static const DiskIotuneField totals[] = { IOTUNE_TOTAL_BYTES, IOTUNE_TOTAL_IOPS,
                                              IOTUNE_TOTAL_BYTES_MAX, IOTUNE_TOTAL_IOPS_MAX };

    for (size_t i = 0; i < ARRAY_SIZE(totals); i++)
        if (t->v[totals[i]] && (t->v[totals[i] + 1] || t->v[totals[i] + 2]))
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: total and read/write of %s cannot be set at "
                             "the same time", pairs[i]);
    for (int b = IOTUNE_TOTAL_BYTES; b <= IOTUNE_WRITE_IOPS; b++) {
        uint64_t base = t->v[b], max = t->v[b + IOTUNE_TOTAL_BYTES_MAX];

        if (max && !base)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: value '%s' cannot be set if '%s' is "
                             "not set", disk_iotune_names[b + IOTUNE_TOTAL_BYTES_MAX],
                             disk_iotune_names[b]);
        if (max && max < base)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: value '%s' cannot be smaller than "
                             "'%s'", disk_iotune_names[b + IOTUNE_TOTAL_BYTES_MAX],
                             disk_iotune_names[b]);
    }
    return 0;
}

typedef struct IotuneSet {
    Domain *dom;
    size_t disk;
    DiskIotune want;
    DomainDef *config;
    char *path;          /* the disk as the caller named it, for TUNABLE */
    TypedParams tp;      /* what the caller set, for TUNABLE */
} IotuneSet;

static void
throttle_set(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    IotuneSet *s = userdata;
    Domain *dom = s->dom;

    if (!error && dom->live && s->disk < dom->live->n_disks) {
        DiskIotune *t = &dom->live->disks[s->disk].iotune;
        free(t->group_name);
        *t = s->want;
        s->want.group_name = NULL;
    }
    qemu_hotplug_finish(dom, &s->config, NULL, error);
    if (!error && dom->live)
        qemu_driver_emit_tunables(dom, "blkdeviotune.", s->path, &s->tp);
    free(s->path);
    typed_params_clear(&s->tp);
    free(s->want.group_name);
    domain_def_free(s->config);
    free(s);
}

int
qemu_domain_set_block_iotune(Domain *dom, const char *path, const TypedParams *tp,
                             unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    DiskIotune want = { 0 };
    IotuneSet *s;
    json_t *args;
    int i = -1, r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetBlockIoTune",
                         flags & ~known);
    if ((r = validate(tp, error)) < 0 || (r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    for (size_t k = 0; k < tp->n; k++)
        if (tp->p[k].type == TYPED_PARAM_ULLONG && tp->p[k].v.ul > IOTUNE_LIMIT)
            return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                             "argument unsupported: block I/O throttle limit value must be no "
                             "more than %llu", IOTUNE_LIMIT);
    if (flags & DOMAIN_AFFECT_CONFIG) {
        DiskIotune *t;
        int j;

        config = domain_def_copy(dom->def);
        if ((j = domain_def_find_disk(config, path)) < 0)
            return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                             "invalid argument: missing persistent configuration for disk "
                             "'%s'", path);
        t = &config->disks[j].iotune;
        merge(&want, t, tp);
        if ((r = check_rules(&want, error)) < 0) {
            free(want.group_name);
            return r;
        }
        free(t->group_name);
        *t = want;
        want = (DiskIotune) { 0 };
    }
    if (!(flags & DOMAIN_AFFECT_LIVE)) {
        r = qemu_hotplug_save_config(dom, &config, error);
        if (r >= 0 && cb)
            cb(dom, NULL, userdata);
        return r;
    }
    if ((i = disk_or_error(dom->live, path, error)) < 0 ||
        (r = qemu_job_check_active(dom, error)) < 0)
        return i < 0 ? i : r;
    merge(&want, &dom->live->disks[i].iotune, tp);
    if ((r = check_rules(&want, error)) < 0) {
        free(want.group_name);
        return r;
    }
    if (!dom->live->disks[i].source)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: disk '%s' has no medium", path);
    s = xcalloc(1, sizeof(*s));
    s->dom = dom;
    s->disk = (size_t) i;
    s->want = want;
    s->config = steal_ptr(config);
    s->path = xstrdup(path);
    for (size_t k = 0; k < tp->n; k++) {
        const TypedParam *p = &tp->p[k];

        if (p->type == TYPED_PARAM_STRING)
            typed_params_add_string(&s->tp, p->field, p->v.s);
        else
            typed_params_add_ullong(&s->tp, p->field, p->v.ul);
    }
    {
        DomainDisk d = dom->live->disks[i];
        d.iotune = want;
        args = qemu_iotune_args(&d);
    }
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "block_set_io_throttle", args, throttle_set, s, error);
    if (r < 0) {
        free(s->want.group_name);
        domain_def_free(s->config);
        free(s->path);
        typed_params_clear(&s->tp);
        free(s);
        qemu_job_cancel(dom);
    }
    return r;
}
