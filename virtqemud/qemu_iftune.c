/* virDomainSetInterfaceParameters / GetInterfaceParameters (virsh
 * domiftune): an interface's <bandwidth>, live on its tap with tc
 * (common/bandwidth_tc.c, in the worker pool: tc is a child process) and
 * in the definition; applied at start too. As libvirt: a direction given
 * in a call replaces that direction whole, and one without an average (or
 * an inbound floor) goes away. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "typed_params.h"

static const TypedParamSpec iftune_spec[] = {
    { "inbound.average", TYPED_PARAM_UINT }, { "inbound.peak", TYPED_PARAM_UINT },
    { "inbound.floor", TYPED_PARAM_UINT },   { "inbound.burst", TYPED_PARAM_UINT },
    { "outbound.average", TYPED_PARAM_UINT }, { "outbound.peak", TYPED_PARAM_UINT },
    { "outbound.burst", TYPED_PARAM_UINT },
};

/* ---- tc in the worker pool ---------------------------------------------- */

typedef void (*IftuneDoneFn)(Domain *dom, const Error *error, void *userdata);

typedef struct IftuneWork {
    uv_work_t work;
    Domain *dom;
    pid_t pid;           /* the QEMU the taps belong to */
    size_t n;
    char **devs;
    Bandwidth *bws;
    Bandwidth *olds;     /* a live change: what to put back if tc refuses */
    Error error;
    IftuneDoneFn done;
    void *userdata;
} IftuneWork;

static void
iftune_work(uv_work_t *req)
{
    IftuneWork *w = req->data;

    for (size_t i = 0; i < w->n; i++) {
        if (bandwidth_set_tap(w->devs[i], &w->bws[i], &w->error) < 0) {
            /* Nothing half set: the tap gets back what it had. */
            if (w->olds)
                bandwidth_set_tap(w->devs[i], &w->olds[i], NULL);
            else
                bandwidth_clear(w->devs[i], NULL);
            break;
        }
    }
}

static void
work_free(IftuneWork *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->devs[i]);
    free(w->devs);
    free(w->bws);
    free(w->olds);
    error_clear(&w->error);
    free(w);
}

static void
iftune_after(uv_work_t *req, int status)
{
    IftuneWork *w = req->data;

    if (status < 0 && !error_is_set(&w->error))
        error_set(&w->error, status, VIR_ERR_INTERNAL_ERROR, "internal error: %s",
                  uv_strerror(status));
    /* The guest the taps were for may have gone meanwhile. */
    if (w->dom->proc.pid != w->pid) {
        error_clear(&w->error);
        error_set(&w->error, -ESRCH, VIR_ERR_OPERATION_INVALID,
                  "Requested operation is not valid: domain is not running");
    }
    w->done(w->dom, error_is_set(&w->error) ? &w->error : NULL, w->userdata);
    domain_unref(w->dom);
    work_free(w);
}

static int
iftune_queue(Domain *dom, IftuneWork *w, Error *error)
{
    int r;

    w->work.data = w;
    w->dom = dom;
    w->pid = dom->proc.pid;
    domain_ref(dom);
    r = uv_queue_work(dom->drv->loop, &w->work, iftune_work, iftune_after);
    if (r < 0) {
        domain_unref(dom);
        return error_set(error, r, VIR_ERR_INTERNAL_ERROR, "internal error: %s",
                         uv_strerror(r));
    }
    return 0;
}

static void
work_add(IftuneWork *w, const char *dev, const Bandwidth *bw)
{
    w->devs = xrealloc(w->devs, (w->n + 1) * sizeof(*w->devs));
    w->bws = xrealloc(w->bws, (w->n + 1) * sizeof(*w->bws));
    w->devs[w->n] = xstrdup(dev);
    w->bws[w->n] = *bw;
    w->n++;
}

static bool
has_rate(const Bandwidth *bw)
{
    return (bw->in.set && bw->in.average) || (bw->out.set && bw->out.average);
}

/* ---- at start ---------------------------------------------------------- */

static void
start_done(Domain *dom, const Error *error, void *userdata)
{
    if (error)
        qemu_process_start_failed(dom, error);
    else
        qemu_process_start_continue(dom);
}

bool
qemu_iftune_needed(const DomainDef *def)
{
    for (size_t i = 0; i < def->n_nets; i++)
        if (def->nets[i].target_dev && has_rate(&def->nets[i].bandwidth))
            return true;
    return false;
}

int
qemu_iftune_start(Domain *dom, Error *error)
{
    IftuneWork *w = xcalloc(1, sizeof(*w));
    int r;

    for (size_t i = 0; i < dom->live->n_nets; i++) {
        const DomainNet *n = &dom->live->nets[i];
        if (n->target_dev && has_rate(&n->bandwidth))
            work_add(w, n->target_dev, &n->bandwidth);
    }
    w->done = start_done;
    r = iftune_queue(dom, w, error);
    if (r < 0)
        work_free(w);
    return r;
}

/* ---- get ---------------------------------------------------------------- */

static ssize_t
find_net(const DomainDef *def, const char *device)
{
    for (size_t i = 0; i < def->n_nets; i++)
        if (STREQ_NULL(def->nets[i].target_dev, device) ||
            strcasecmp(def->nets[i].mac, device) == 0)
            return (ssize_t) i;
    return -1;
}

static int
net_or_error(const DomainDef *def, const char *device, Error *error)
{
    ssize_t i = find_net(def, device);

    if (i < 0)
        return error_set(error, -ENOENT, VIR_ERR_INVALID_ARG,
                         "invalid argument: '%s' is not a known interface", device);
    return (int) i;
}

int
qemu_domain_get_interface_params(Domain *dom, const char *device, unsigned flags,
                                 TypedParams *ret, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG | TYPED_PARAM_STRING_OKAY;
    const Bandwidth *bw;
    const DomainDef *def;
    int i, r;

    if ((r = qemu_domain_read_flags(&flags, known, "qemuDomainGetInterfaceParameters", error)) < 0)
        return r;
    if ((r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    def = flags & DOMAIN_AFFECT_CONFIG ? dom->def : dom->live;
    if ((i = net_or_error(def, device, error)) < 0)
        return i;
    bw = &def->nets[i].bandwidth;
    typed_params_add_uint(ret, "inbound.average", bw->in.set ? (uint32_t) bw->in.average : 0);
    typed_params_add_uint(ret, "inbound.peak", bw->in.set ? (uint32_t) bw->in.peak : 0);
    typed_params_add_uint(ret, "inbound.floor", bw->in.set ? (uint32_t) bw->in.floor : 0);
    typed_params_add_uint(ret, "inbound.burst", bw->in.set ? (uint32_t) bw->in.burst : 0);
    typed_params_add_uint(ret, "outbound.average", bw->out.set ? (uint32_t) bw->out.average : 0);
    typed_params_add_uint(ret, "outbound.peak", bw->out.set ? (uint32_t) bw->out.peak : 0);
    typed_params_add_uint(ret, "outbound.burst", bw->out.set ? (uint32_t) bw->out.burst : 0);
    return 0;
}

/* ---- set ---------------------------------------------------------------- */

static uint64_t
param(const TypedParams *tp, const char *field)
{
    const TypedParam *p = typed_params_get(tp, field);

    return p ? p->v.ui : 0;
}

/* @old with the directions @tp names replaced. */
static Bandwidth
merge(const Bandwidth *old, const TypedParams *tp)
{
    Bandwidth bw = *old;
    bool in = typed_params_get(tp, "inbound.average") || typed_params_get(tp, "inbound.floor");
    bool out = typed_params_get(tp, "outbound.average");

    if (in || typed_params_get(tp, "inbound.peak") || typed_params_get(tp, "inbound.burst")) {
        BandwidthRate r = { .average = param(tp, "inbound.average"),
                            .peak = param(tp, "inbound.peak"),
                            .burst = param(tp, "inbound.burst"),
                            .floor = param(tp, "inbound.floor") };
        r.set = r.average || r.floor;
        if (r.set || in)
            bw.in = r;
    }
    if (out || typed_params_get(tp, "outbound.peak") || typed_params_get(tp, "outbound.burst")) {
        BandwidthRate r = { .average = param(tp, "outbound.average"),
                            .peak = param(tp, "outbound.peak"),
                            .burst = param(tp, "outbound.burst") };
        r.set = r.average != 0;
        if (r.set || out)
            bw.out = r;
    }
    return bw;
}

static int
check_net(const DomainNet *n, const Bandwidth *old, const Bandwidth *want, Error *error)
{
    if (n->type != NET_TYPE_NETWORK && n->type != NET_TYPE_BRIDGE &&
        n->type != NET_TYPE_ETHERNET)
        return error_set(error, -ENOTSUP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: setting bandwidth on interfaces of type "
                         "'%s' is not implemented yet", net_type_to_string(n->type));
    if (bandwidth_has_floor(want) && n->type != NET_TYPE_NETWORK)
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: Invalid use of 'floor' on interface with MAC "
                         "address %s - 'floor' is only supported for interface type 'network' "
                         "with forward type 'nat', 'route', 'open' or none", n->mac);
    return 0;
}

static uint64_t
floor_of(const Bandwidth *bw)
{
    return bw->in.set ? bw->in.floor : 0;
}

typedef struct IftuneSet {
    size_t net;
    Bandwidth want;
    DomainDef *config;
    DomainDoneCb cb;
    void *userdata;
} IftuneSet;

static void
set_done(Domain *dom, const Error *error, void *userdata)
{
    IftuneSet *s = userdata;

    if (!error && dom->live && s->net < dom->live->n_nets)
        dom->live->nets[s->net].bandwidth = s->want;
    qemu_hotplug_finish(dom, &s->config, NULL, error);
    domain_def_free(s->config);
    free(s);
}

/* virtnetworkd's answer to a new floor: the tap's classes follow, or the
 * change ends with its refusal (the port keeps its old floor). */
static void
floor_granted(Domain *dom, const Error *error, void *userdata)
{
    IftuneWork *w = userdata;
    Error failed = ERROR_INIT;

    if (!error && !dom->live)
        error_set(&failed, -ESRCH, VIR_ERR_OPERATION_INVALID,
                  "Requested operation is not valid: domain is not running");
    else if (!error && iftune_queue(dom, w, &failed) >= 0)
        return;
    w->done(dom, error ? error : &failed, w->userdata);
    work_free(w);
    error_clear(&failed);
}

int
qemu_domain_set_interface_params(Domain *dom, const char *device, const TypedParams *tp,
                                 unsigned flags, DomainDoneCb cb, void *userdata,
                                 Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    IftuneWork *w;
    IftuneSet *s;
    Bandwidth want;
    int i, r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetInterfaceParameters",
                         flags & ~known);
    if ((r = typed_params_validate(tp, iftune_spec, ARRAY_SIZE(iftune_spec), error)) < 0 ||
        (r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (flags & DOMAIN_AFFECT_CONFIG) {
        DomainNet *n;

        config = domain_def_copy(dom->def);
        if ((i = net_or_error(config, device, error)) < 0)
            return i;
        n = &config->nets[i];
        want = merge(&n->bandwidth, tp);
        if ((r = check_net(n, NULL, &want, error)) < 0)
            return r;
        n->bandwidth = want;
    }
    if (!(flags & DOMAIN_AFFECT_LIVE)) {
        r = qemu_hotplug_save_config(dom, &config, error);
        if (r >= 0 && cb)
            cb(dom, NULL, userdata);
        return r;
    }
    if ((i = net_or_error(dom->live, device, error)) < 0)
        return i;
    want = merge(&dom->live->nets[i].bandwidth, tp);
    if ((r = check_net(&dom->live->nets[i], &dom->live->nets[i].bandwidth, &want, error)) < 0)
        return r;
    if (!dom->live->nets[i].target_dev)
        return error_set(error, -ENOTSUP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: Unable to set bandwidth for interface "
                         "because device name is unknown");
    s = xcalloc(1, sizeof(*s));
    s->net = (size_t) i;
    s->want = want;
    s->config = steal_ptr(config);
    w = xcalloc(1, sizeof(*w));
    work_add(w, dom->live->nets[i].target_dev, &want);
    w->olds = xmalloc(sizeof(*w->olds));
    w->olds[0] = dom->live->nets[i].bandwidth;
    w->done = set_done;
    w->userdata = s;
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    /* A new floor is the network's to grant first, as libvirt asks it. */
    if (floor_of(&want) != floor_of(&dom->live->nets[i].bandwidth))
        r = qemu_port_set_floor(dom, (size_t) i, floor_of(&want), floor_granted, w, error);
    else
        r = iftune_queue(dom, w, error);
    if (r < 0) {
        qemu_job_cancel(dom);
        domain_def_free(s->config);
        free(s);
        work_free(w);
    }
    return r;
}
