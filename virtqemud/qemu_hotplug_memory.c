/* Memory modules plugged into and out of a running guest, as libvirt's
 * qemuDomainAttachMemory and qemuDomainRemoveMemoryDevice: the backend
 * "memALIAS" with object-add, then the pc-dimm with device_add; once the
 * guest let go of a module (DEVICE_DELETED), its backend goes with
 * object-del. Either way the balloon is asked again (query-balloon): the
 * guest's current memory grows and shrinks with its modules. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_memory.h"
#include "qemu_monitor.h"

/* @m (taken) joins @def, whose total grows by its size. */
static void
memory_insert(DomainDef *def, DomainMemoryDevice *m)
{
    *ARRAY_APPEND(def->memories, def->n_memories) = *m;
    memset(m, 0, sizeof(*m));
    def->memory_kib += def->memories[def->n_memories - 1].size_kib;
}

void
qemu_hotplug_memory_remove(DomainDef *def, size_t i)
{
    uint64_t size = def->memories[i].size_kib;

    domain_memory_device_clear(&def->memories[i]);
    memmove(&def->memories[i], &def->memories[i + 1],
            (def->n_memories - i - 1) * sizeof(*def->memories));
    def->n_memories--;
    def->memory_kib -= size < def->memory_kib ? size : 0;
    if (def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
}

ssize_t
qemu_hotplug_memory_find(const DomainDef *def, bool live, DomainMemoryDevice *match,
                         Error *error)
{
    ssize_t i;

    if (live) {
        qemu_memory_align_module(match);
        i = domain_memory_device_find(def, match, false);
        if (i < 0)
            return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                             "device not found: model 'dimm' memory device not present in the "
                             "domain configuration");
        return i;
    }
    i = domain_memory_device_find(def, match, false);
    if (i < 0)
        i = domain_memory_device_find(def, match, true);
    if (i < 0)
        return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                         "device not found: matching memory device was not found");
    return i;
}

int
qemu_hotplug_memory_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    DomainMemoryDevice *m = &dev->memories[0];
    int r;

    if ((r = domain_memory_device_validate(def, m, error)) < 0 ||
        (r = qemu_memory_check_attach(def, m, error)) < 0)
        return r;
    if (def->n_memories == def->max_memory_slots)
        return error_set(error, -ENOSPC, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: no free memory device slot available");
    def->current_memory_kib += m->size_kib;
    memory_insert(def, m);
    if ((r = qemu_hotplug_prepare(def, error)) < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

/* ---- the balloon follows ------------------------------------------------ */

typedef void (*BalloonDone)(Domain *dom, void *userdata);

typedef struct BalloonCall {
    Domain *dom;
    BalloonDone done;
    void *userdata;
} BalloonCall;

static void
balloon_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    BalloonCall *call = userdata;
    Domain *dom = call->dom;
    uint64_t bytes;

    /* No balloon: the current memory is the total, as libvirt counts it. */
    if (!dom->removed && dom->live) {
        if (!error && qmp_parse_balloon(ret, &bytes, NULL) >= 0)
            dom->monitor.balloon_kib = bytes / 1024;
        else
            dom->monitor.balloon_kib = dom->live->memory_kib;
        dom->live->current_memory_kib = dom->monitor.balloon_kib;
        qemu_status_save(dom);
        qemu_driver_emit_changed(dom); /* MaxMemory and Memory */
    }
    if (call->done)
        call->done(dom, call->userdata);
    domain_unref(dom);
    free(call);
}

/* libvirt's qemuProcessRefreshBalloonState; @done (may be NULL) after. */
static void
balloon_refresh(Domain *dom, BalloonDone done, void *userdata)
{
    BalloonCall *call = xcalloc(1, sizeof(*call));

    call->dom = dom;
    call->done = done;
    call->userdata = userdata;
    domain_ref(dom);
    if (!dom->monitor.conn ||
        qmp_command(dom->monitor.conn, "query-balloon", NULL, balloon_reply, call, NULL) < 0)
        balloon_reply(NULL, NULL, &(Error) { .code = VIR_ERR_OPERATION_FAILED }, call);
}

/* ---- attach ------------------------------------------------------------ */

typedef struct MemoryCall {
    Domain *dom;
    DomainDef *cand;     /* the live definition with the module at its end */
    char *alias;
    DomainDef *config;
    bool object_added;
} MemoryCall;

static void
memory_call_free(MemoryCall *call)
{
    domain_def_free(call->cand);
    domain_def_free(call->config);
    free(call->alias);
    free(call);
}

static void
object_del(Domain *dom, const char *alias)
{
    if (dom->monitor.conn)
        qmp_command(dom->monitor.conn, "object-del",
                    json_pack("{s:o}", "id", json_sprintf("mem%s", alias)), NULL, NULL, NULL);
}

static void
memory_failed(MemoryCall *call, const Error *error)
{
    Error failed = ERROR_INIT;

    if (call->object_added)
        object_del(call->dom, call->alias);
    error_set(&failed, -EIO, error ? error->code : VIR_ERR_OPERATION_FAILED, "%s",
              error ? error->message : "operation failed: domain is no longer running");
    qemu_job_end(call->dom, &failed);
    error_clear(&failed);
    memory_call_free(call);
}

static void
memory_attached(Domain *dom, void *userdata)
{
    MemoryCall *call = userdata;
    auto_cleanup(free_ptr) char *added = xasprintf("mem%s", call->alias);

    /* libvirt names the backend, not the module, in DEVICE_ADDED. */
    qemu_hotplug_finish(dom, &call->config, added, NULL);
    memory_call_free(call);
}

static void
bases_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (!error && dom->live && json_is_array(ret))
        qemu_memory_update_bases(dom->live, ret);
    domain_unref(dom);
}

static void
device_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    MemoryCall *call = userdata;
    Domain *dom = call->dom;

    if (error || !dom->live) {
        memory_failed(call, error);
        return;
    }
    memory_insert(dom->live, &call->cand->memories[call->cand->n_memories - 1]);
    call->cand->n_memories--;
    /* Where QEMU placed it, then the balloon; replies come in order. */
    domain_ref(dom);
    if (qmp_command(dom->monitor.conn, "query-memory-devices", NULL, bases_reply, dom, NULL) < 0)
        domain_unref(dom);
    balloon_refresh(dom, memory_attached, call);
}

static void
object_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    MemoryCall *call = userdata;
    Domain *dom = call->dom;
    Error failed = ERROR_INIT;
    json_t *device = NULL;

    if (error || !dom->live) {
        memory_failed(call, error);
        return;
    }
    call->object_added = true;
    if (qemu_command_build_device(call->cand, call->alias, &device, &failed) < 0 ||
        qmp_command(dom->monitor.conn, "device_add", device, device_added, call, &failed) < 0) {
        memory_failed(call, &failed);
        error_clear(&failed);
    }
}

static char *
next_alias(const DomainDef *def)
{
    unsigned next = 0;

    for (size_t i = 0; i < def->n_memories; i++)
        next = qemu_hotplug_next_alias("dimm", def->memories[i].alias, next);
    return xasprintf("dimm%u", next);
}

int
qemu_hotplug_memory_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                DomainDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    DomainMemoryDevice *m = &dev->memories[0];
    MemoryCall *call;
    json_t *backend;
    char *id;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    qemu_memory_align_module(m);
    if ((r = domain_memory_device_validate(dom->live, m, error)) < 0 ||
        (r = qemu_memory_check_attach(dom->live, m, error)) < 0 ||
        (r = qemu_memory_check_supported(m, error)) < 0 ||
        (r = qemu_memory_validate(dom->live, m, error)) < 0 ||
        (r = qemu_memory_assign_slot(dom->live, m, error)) < 0)
        return r;
    free(m->alias);
    m->alias = next_alias(dom->live);
    m->address.base = 0; /* QEMU's choice, read back */
    cand = domain_def_copy(dom->live);
    memory_insert(cand, m);
    id = xasprintf("mem%s", cand->memories[cand->n_memories - 1].alias);
    backend = qemu_memory_backend(id, cand->memories[cand->n_memories - 1].size_kib,
                                  cand->memories[cand->n_memories - 1].source_nodemask,
                                  cand->memories[cand->n_memories - 1].access,
                                  cand->memories[cand->n_memories - 1].discard, error);
    free(id);
    if (!backend)
        return -EINVAL;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->alias = xstrdup(cand->memories[cand->n_memories - 1].alias);
    call->cand = steal_ptr(cand);
    call->config = steal_ptr(*config);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "object-add", backend, object_added, call, error);
    if (r < 0) {
        memory_call_free(call);
        qemu_job_cancel(dom);
    }
    return r;
}

/* ---- the guest let go of it -------------------------------------------- */

static void
memory_removed(Domain *dom, void *userdata)
{
    char *alias = userdata;

    if (!dom->removed && dom->live)
        qemu_hotplug_removed(dom, alias);
    free(alias);
}

bool
qemu_hotplug_memory_removed(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;

    for (size_t i = 0; live && i < live->n_memories; i++) {
        if (!STREQ_NULL(live->memories[i].alias, alias))
            continue;
        free(steal_ptr(dom->hotplug.module_unplug));
        object_del(dom, alias);
        qemu_hotplug_memory_remove(live, i);
        balloon_refresh(dom, memory_removed, xstrdup(alias));
        return true;
    }
    return false;
}

/* libvirt's qemuProcessHandleAcpiOstInfo: QEMU 7.2 tells of a guest that
 * refused a module's eject request (source 0x003, or 0x103) only through
 * the guest's _OST status (0x01, or 0x80 to 0x83: not supported, in use,
 * busy, ...), and Linux answers again each time it looks at the slot: the
 * refusal is announced once per request, where libvirt repeats it. */
void
qemu_hotplug_memory_ost(Domain *dom, json_t *data)
{
    json_t *info = json_object_get(data, "info");
    const char *alias = json_string_value(json_object_get(info, "device"));
    const char *slot_type = json_string_value(json_object_get(info, "slot-type"));
    json_int_t source = json_integer_value(json_object_get(info, "source"));
    json_int_t status = json_integer_value(json_object_get(info, "status"));

    if (!alias || !STREQ_NULL(slot_type, "DIMM") ||
        !STREQ_NULL(dom->hotplug.module_unplug, alias))
        return;
    if ((source == 0x003 || source == 0x103) &&
        (status == 0x01 || (status >= 0x80 && status <= 0x83))) {
        free(steal_ptr(dom->hotplug.module_unplug));
        qemu_hotplug_refused(dom, alias);
    }
}

/* ---- at start ----------------------------------------------------------- */

static void
start_bases_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;

    if (!error && dom->live && json_is_array(ret)) {
        qemu_memory_update_bases(dom->live, ret);
        qemu_status_save(dom);
    }
}

void
qemu_memory_start(Domain *dom)
{
    if (dom->live->n_memories)
        qmp_command(dom->monitor.conn, "query-memory-devices", NULL, start_bases_reply, dom,
                    NULL);
}
