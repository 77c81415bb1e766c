/* The domain list, definitions on disk, lookups, define and undefine.
 * Process control lives in qemu_process.c. */
#include "qemu_driver.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_address.h"
#include "qemu_capabilities.h"
#include "qemu_driver_priv.h"
#include "typed_params.h"
#include "qemu_memory.h"
#include "list_filter.h"
#include "object_path.h"
#include "state_store.h"

#define DOMAIN_PATH_PREFIX "/org/libvirt/QEMU/domain"

OBJ_LIST_KEY_STR(domain_key_name, Domain, o->def->name)
OBJ_LIST_KEY_UUID(domain_key_uuid, Domain, &o->def->uuid)
OBJ_LIST_KEY_STR(domain_key_path, Domain, o->path)
OBJ_LIST_KEY_INT(domain_key_id, Domain, o->id)

static const ObjListKind domain_kind = {
    .name = domain_key_name,
    .uuid = domain_key_uuid,
    .path = domain_key_path,
    .id = domain_key_id,
};

Domain *
qemu_domain_new(QemuDriver *drv, DomainDef *def)
{
    Domain *dom = xcalloc(1, sizeof(*dom));

    dom->drv = drv;
    dom->refs = 1;
    dom->def = def;
    dom->id = -1;
    dom->state = DOMAIN_STATE_SHUTOFF;
    dom->reason = DOMAIN_SHUTOFF_UNKNOWN;
    dom->proc.pid = 0;
    dom->proc.pidfd = -1;
    dom->agent_timeout = AGENT_TIMEOUT_BLOCK;
    for (size_t i = 0; i < _PERF_EVENT_MAX; i++)
        dom->perf_fds[i] = -1;
    dom->path = object_path_from_uuid(DOMAIN_PATH_PREFIX, &def->uuid);
    return dom;
}

void
domain_ref(Domain *dom)
{
    dom->refs++;
}

void
domain_unref(Domain *dom)
{
    if (!dom || --dom->refs > 0)
        return;
    domain_def_free(dom->def);
    domain_def_free(dom->live);
    free(dom->path);
    free(dom->monitor.path);
    free(dom->proc.log_path);
    free(dom->proc.cgroup_dir);
    free(dom->monitor.vcpu_tids);
    free(dom->monitor.capacities);
    qemu_dac_clear(dom);
    free(dom);
}

/* ---- the list ---------------------------------------------------------- */

void
qemu_driver_add(QemuDriver *drv, Domain *dom)
{
    obj_list_add(&drv->doms, dom);
    if (drv->cfg.hooks.domain_added)
        drv->cfg.hooks.domain_added(dom, drv->cfg.hooks_userdata);
}

/* Announces the removal, then drops the list's reference. */
void
qemu_driver_remove(QemuDriver *drv, Domain *dom)
{
    if (obj_list_find_path(&drv->doms, dom->path) != dom)
        return;
    if (drv->cfg.hooks.domain_removed)
        drv->cfg.hooks.domain_removed(dom, drv->cfg.hooks_userdata);
    obj_list_remove(&drv->doms, dom);
    dom->removed = true;
    domain_unref(dom);
}

void
qemu_driver_set_id(Domain *dom, int id)
{
    int old = dom->id;

    dom->id = id;
    if (!dom->removed && obj_list_find_path(&dom->drv->doms, dom->path) == dom)
        obj_list_set_id(&dom->drv->doms, dom, old);
}

void
qemu_driver_qemu_ids(const QemuDriver *drv, uid_t *ret_user, gid_t *ret_group)
{
    *ret_user = drv->cfg.user;
    *ret_group = drv->cfg.group;
}

size_t
qemu_driver_count(const QemuDriver *drv)
{
    return obj_list_count(&drv->doms);
}

Domain *
qemu_driver_nth(const QemuDriver *drv, size_t i)
{
    return obj_list_nth(&drv->doms, i);
}

Domain *
qemu_driver_find_by_name(QemuDriver *drv, const char *name)
{
    return obj_list_find_name(&drv->doms, name);
}

Domain *
qemu_driver_find_by_uuid(QemuDriver *drv, const Uuid *uuid)
{
    return obj_list_find_uuid(&drv->doms, uuid);
}

Domain *
qemu_driver_find_by_id(QemuDriver *drv, int id)
{
    return obj_list_find_id(&drv->doms, id);
}

Domain *
qemu_driver_find_by_path(QemuDriver *drv, const char *path)
{
    return obj_list_find_path(&drv->doms, path);
}

/* The messages are virsh's against libvirt: "Domain not found: no domain with
 * matching name 'x'" is printed from code NoDomain and this text. */
int
qemu_driver_lookup_name(QemuDriver *drv, const char *name, Domain **ret, Error *error)
{
    Domain *dom = qemu_driver_find_by_name(drv, name);

    if (!dom)
        return error_set(error, -ENOENT, VIR_ERR_NO_DOMAIN,
                         "Domain not found: no domain with matching name '%s'", name);
    *ret = dom;
    return 0;
}

int
qemu_driver_lookup_uuid(QemuDriver *drv, const char *uuid, Domain **ret, Error *error)
{
    Uuid u;
    Domain *dom = NULL;

    if (uuid_parse(uuid, &u) == 0)
        dom = qemu_driver_find_by_uuid(drv, &u);
    if (!dom)
        return error_set(error, -ENOENT, VIR_ERR_NO_DOMAIN,
                         "Domain not found: no domain with matching uuid '%s'", uuid);
    *ret = dom;
    return 0;
}

int
qemu_driver_lookup_id(QemuDriver *drv, int id, Domain **ret, Error *error)
{
    Domain *dom = qemu_driver_find_by_id(drv, id);

    if (!dom)
        return error_set(error, -ENOENT, VIR_ERR_NO_DOMAIN,
                         "Domain not found: no domain with matching id %d", id);
    *ret = dom;
    return 0;
}

static bool
domain_matches(const Domain *dom, unsigned flags)
{
    const DomainListFacts facts = {
        .active = qemu_domain_is_active(dom),
        .persistent = dom->persistent,
        .autostart = dom->autostart,
        .state = dom->state,
    };

    return list_filter_domain(flags, &facts);
}

int
qemu_driver_list(QemuDriver *drv, unsigned flags, Domain ***ret, size_t *ret_n, Error *error)
{
    const unsigned known = (LIST_DOMAINS_NO_CHECKPOINT << 1) - 1; /* every list flag */
    Domain **list;
    size_t n = 0;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function ListDomains", flags & ~known);
    list = xcalloc(qemu_driver_count(drv) + 1, sizeof(*list));
    for (size_t i = 0; i < qemu_driver_count(drv); i++)
        if (domain_matches(qemu_driver_nth(drv, i), flags))
            list[n++] = qemu_driver_nth(drv, i);
    *ret = list;
    *ret_n = n;
    return 0;
}

/* ---- events ------------------------------------------------------------ */

void
qemu_driver_emit_event(Domain *dom, int event, int detail)
{
    QemuDriver *drv = dom->drv;

    if (drv->cfg.hooks.domain_event)
        drv->cfg.hooks.domain_event(dom, event, detail, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_changed(Domain *dom)
{
    QemuDriver *drv = dom->drv;

    if (drv->cfg.hooks.domain_changed)
        drv->cfg.hooks.domain_changed(dom, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_device(Domain *dom, int event_id, const char *alias)
{
    QemuDriver *drv = dom->drv;

    if (drv->cfg.hooks.device_event)
        drv->cfg.hooks.device_event(dom, event_id, alias, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_tray(Domain *dom, const char *alias, int reason)
{
    QemuDriver *drv = dom->drv;

    if (drv->cfg.hooks.tray_changed)
        drv->cfg.hooks.tray_changed(dom, alias, reason, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_metadata(Domain *dom, int type, const char *nsuri)
{
    QemuDriver *drv = dom->drv;

    if (drv->cfg.hooks.metadata_changed)
        drv->cfg.hooks.metadata_changed(dom, type, nsuri, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_agent_lifecycle(Domain *dom, int state, int reason)
{
    QemuDriver *drv = dom->drv;

    if (drv->cfg.hooks.agent_lifecycle)
        drv->cfg.hooks.agent_lifecycle(dom, state, reason, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_tunable(Domain *dom, const TypedParams *tp)
{
    QemuDriver *drv = dom->drv;

    if (tp->n && drv->cfg.hooks.tunable_changed)
        drv->cfg.hooks.tunable_changed(dom, tp, drv->cfg.hooks_userdata);
}

void
qemu_driver_emit_tunables(Domain *dom, const char *prefix, const char *disk,
                          const TypedParams *tp)
{
    TypedParams ev = { 0 };

    if (disk)
        typed_params_add_string(&ev, "blkdeviotune.disk", disk);
    for (size_t i = 0; i < tp->n; i++) {
        const TypedParam *p = &tp->p[i];
        auto_cleanup(free_ptr) char *field = xasprintf("%s%s", prefix, p->field);

        switch (p->type) {
        case TYPED_PARAM_ULLONG: typed_params_add_ullong(&ev, field, p->v.ul); break;
        case TYPED_PARAM_LLONG: typed_params_add_llong(&ev, field, p->v.l); break;
        case TYPED_PARAM_UINT: typed_params_add_uint(&ev, field, p->v.ui); break;
        case TYPED_PARAM_INT: typed_params_add_int(&ev, field, p->v.i); break;
        case TYPED_PARAM_STRING: typed_params_add_string(&ev, field, p->v.s); break;
        default: break;
        }
    }
    qemu_driver_emit_tunable(dom, &ev);
    typed_params_clear(&ev);
}

void
qemu_driver_emit_tunable_string(Domain *dom, const char *field, const char *value)
{
    TypedParams tp = { 0 };

    typed_params_add_string(&tp, field, value);
    qemu_driver_emit_tunable(dom, &tp);
    typed_params_clear(&tp);
}

/* ---- define and undefine ----------------------------------------------- */

/* Parses @xml and applies what libvirt does at define time for QEMU. */
int
qemu_driver_parse(QemuDriver *drv, const char *xml, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    int r;

    r = domain_def_parse(xml, &def, error);
    if (r < 0)
        return r;
    r = qemu_domain_post_parse(def, error);
    if (r >= 0)
        r = qemu_memory_validate(def, NULL, error);
    if (r < 0)
        return r;
    r = qemu_domain_assign_addresses(def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

/* libvirt's rules for a definition that meets an existing domain. */
int
qemu_driver_check_duplicate(QemuDriver *drv, const DomainDef *def, Domain **ret_existing,
                            Error *error)
{
    char uuid[UUID_STRING_LEN];
    Domain *by_name = qemu_driver_find_by_name(drv, def->name);
    Domain *by_uuid = qemu_driver_find_by_uuid(drv, &def->uuid);

    *ret_existing = NULL;
    if (by_uuid && by_uuid != by_name)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                         "domain '%s' is already defined with uuid %s",
                         by_uuid->def->name, uuid_format(&def->uuid, uuid));
    if (by_name && !by_uuid)
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                         "domain '%s' already exists with uuid %s", def->name,
                         uuid_format(&by_name->def->uuid, uuid));
    *ret_existing = by_name;
    return 0;
}

int
qemu_driver_save_config(QemuDriver *drv, const DomainDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *xml = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE |
                                                         DOMAIN_DEF_FORMAT_SECURE);

    return state_store_save(drv->config, def->name, xml, error);
}

int
qemu_driver_define(QemuDriver *drv, const char *xml, Domain **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    Domain *dom;
    bool was_persistent;
    int r;

    r = qemu_driver_parse(drv, xml, &def, error);
    if (r < 0)
        return r;
    r = qemu_driver_check_duplicate(drv, def, &dom, error);
    if (r < 0)
        return r;
    if (dom && dom->job.kind == DOMAIN_JOB_START && !dom->persistent)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "domain '%s' is being started", def->name);
    /* Written before anything changes in memory: a failure changes nothing. */
    r = qemu_driver_save_config(drv, def, error);
    if (r < 0)
        return r;

    if (!dom) {
        dom = qemu_domain_new(drv, steal_ptr(def));
        dom->persistent = true;
        qemu_driver_add(drv, dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_ADDED);
        *ret = dom;
        return 0;
    }

    was_persistent = dom->persistent;
    domain_def_free(dom->def);
    dom->def = steal_ptr(def);
    dom->persistent = true;
    if (qemu_domain_is_active(dom))
        dom->updated = true;
    qemu_driver_emit_event(dom, DOMAIN_EVENT_DEFINED,
                           was_persistent ? DOMAIN_EVENT_DEFINED_UPDATED
                                          : DOMAIN_EVENT_DEFINED_ADDED);
    *ret = dom;
    return 0;
}

int
qemu_domain_undefine(Domain *dom, unsigned flags, Error *error)
{
    QemuDriver *drv = dom->drv;
    int r;

    if (flags & ~UNDEFINE_KNOWN_FLAGS)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Undefine",
                         flags & ~UNDEFINE_KNOWN_FLAGS);
    if (!dom->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "cannot undefine transient domain");
    r = state_store_remove(drv->config, dom->def->name, error);
    if (r < 0)
        return r;
    dom->autostart = false;
    dom->persistent = false;
    qemu_driver_emit_event(dom, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_REMOVED);
    if (qemu_domain_is_active(dom) || dom->job.kind != DOMAIN_JOB_NONE) {
        /* It runs on as a transient domain, with its running definition. */
        if (dom->live) {
            domain_def_free(dom->def);
            dom->def = domain_def_copy(dom->live);
        }
        dom->updated = false;
        qemu_status_save(dom);
        qemu_driver_emit_changed(dom);
        return 0;
    }
    qemu_driver_remove(drv, dom);
    return 0;
}

int
qemu_domain_rename(Domain *dom, const char *new_name, unsigned flags, Error *error)
{
    QemuDriver *drv = dom->drv;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(free_ptr) char *old_name = NULL;
    Error undo = ERROR_INIT;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainRename", flags);
    if (!new_name || !*new_name)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "%s",
                         "invalid argument: new_name in virDomainRename must not be empty");
    if (strchr(new_name, '/'))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: name %s cannot contain '/'", new_name);
    if (qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID, "%s",
                         "Requested operation is not valid: cannot rename active domain");
    if (!dom->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID, "%s",
                         "Requested operation is not valid: cannot rename a transient domain");
    if ((r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (STREQ(new_name, dom->def->name))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID, "%s",
                         "Requested operation is not valid: Can't rename domain to itself");
    if (obj_list_find_name(&drv->doms, new_name))
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain with name '%s' already "
                         "exists", new_name);
    def = domain_def_copy(dom->def);
    free(def->name);
    def->name = xstrdup(new_name);
    /* The new definition (and its autostart) first, then the old one goes:
     * a crash in between leaves both, never neither. */
    if ((r = qemu_driver_save_config(drv, def, error)) < 0)
        return r;
    if (dom->autostart &&
        (r = state_store_set_autostart(drv->config, new_name, true, error)) < 0) {
        state_store_remove(drv->config, new_name, &undo);
        error_clear(&undo);
        return r;
    }
    if ((r = state_store_remove(drv->config, dom->def->name, error)) < 0) {
        state_store_remove(drv->config, new_name, &undo);
        error_clear(&undo);
        return r;
    }
    /* As libvirt: UNDEFINED of the old name, DEFINED of the new one. */
    qemu_driver_emit_event(dom, DOMAIN_EVENT_UNDEFINED, DOMAIN_EVENT_UNDEFINED_RENAMED);
    obj_list_remove(&drv->doms, dom);
    old_name = steal_ptr(dom->def->name);
    dom->def->name = xstrdup(new_name);
    obj_list_add(&drv->doms, dom);
    if (drv->cfg.hooks.domain_renamed)
        drv->cfg.hooks.domain_renamed(dom, drv->cfg.hooks_userdata);
    qemu_driver_emit_event(dom, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_RENAMED);
    log_info("domain '%s' renamed to '%s'", old_name, new_name);
    return 0;
}

int
qemu_domain_set_autostart(Domain *dom, bool autostart, Error *error)
{
    int r;

    if (!dom->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "cannot set autostart for transient domain");
    if (dom->autostart == autostart)
        return 0;
    r = state_store_set_autostart(dom->drv->config, dom->def->name, autostart, error);
    if (r < 0)
        return r;
    dom->autostart = autostart;
    qemu_driver_emit_changed(dom);
    return 0;
}

/* ---- reads ------------------------------------------------------------- */

bool
qemu_domain_is_active(const Domain *dom)
{
    return dom->id >= 0;
}

char *
qemu_domain_get_xml(const Domain *dom, unsigned flags)
{
    if ((flags & DOMAIN_DEF_FORMAT_INACTIVE) || !dom->live)
        return domain_def_format(dom->def, -1, flags | DOMAIN_DEF_FORMAT_INACTIVE);
    return domain_def_format(dom->live, dom->id, flags);
}

void
qemu_domain_get_state(const Domain *dom, int *ret_state, int *ret_reason)
{
    *ret_state = dom->state;
    *ret_reason = dom->reason;
}

int
qemu_domain_get_control_info(Domain *dom, unsigned flags, unsigned *ret_state,
                             unsigned *ret_details, uint64_t *ret_ms, Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainGetControlInfo",
                         flags);
    if (!qemu_domain_is_active(dom))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    *ret_state = DOMAIN_CONTROL_OK;
    *ret_details = 0;
    *ret_ms = 0;
    if (!dom->monitor.conn && dom->job.kind != DOMAIN_JOB_START) {
        *ret_state = DOMAIN_CONTROL_ERROR;
        *ret_details = DOMAIN_CONTROL_ERROR_REASON_MONITOR;
    } else if (dom->job.kind != DOMAIN_JOB_NONE) {
        /* Every job here is QEMU being talked to: libvirt's "occupied". */
        *ret_state = DOMAIN_CONTROL_OCCUPIED;
        *ret_ms = uv_now(dom->drv->loop) - dom->job.begin_ms;
    }
    return 0;
}

unsigned
qemu_domain_get_vcpus(const Domain *dom, unsigned flags)
{
    /* LIVE is the default. */
    const DomainDef *def = (flags & DOMAIN_VCPU_CONFIG) || !dom->live ? dom->def : dom->live;

    if (flags & DOMAIN_VCPU_MAXIMUM)
        return def->vcpus;
    return def->vcpus_current ? def->vcpus_current : def->vcpus;
}

int
qemu_domain_agent_available(const Domain *dom, Error *error)
{
    const DomainDef *def = dom->live ? dom->live : dom->def;

    /* This daemon does not talk to the guest agent yet: a configured agent
     * is never connected. */
    for (size_t i = 0; i < def->n_channels; i++)
        if (STREQ_NULL(def->channels[i].target_name, "org.qemu.guest_agent.0"))
            return error_set(error, -EIO, VIR_ERR_AGENT_UNRESPONSIVE,
                             "Guest agent is not responding: QEMU guest agent is not "
                             "connected");
    return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                     "argument unsupported: QEMU guest agent is not configured");
}

/* ---- load at startup --------------------------------------------------- */

static void
load_config(QemuDriver *drv)
{
    auto_cleanup(strv_freep) char **names = NULL;
    Error error = ERROR_INIT;

    if (state_store_list(drv->config, &names, &error) < 0) {
        log_error("cannot list definitions: %s", error.message);
        error_clear(&error);
        return;
    }
    for (char **n = names; *n; n++) {
        auto_cleanup(free_ptr) char *xml = NULL;
        auto_cleanup(domain_def_freep) DomainDef *def = NULL;
        Domain *dom, *existing;

        if (state_store_load(drv->config, *n, &xml, &error) < 0 ||
            qemu_driver_parse(drv, xml, &def, &error) < 0 ||
            qemu_driver_check_duplicate(drv, def, &existing, &error) < 0) {
            log_error("skipping definition '%s': %s", *n, error.message);
            error_clear(&error);
            continue;
        }
        if (existing || strcmp(def->name, *n) != 0) {
            log_error("skipping definition file '%s.xml': it defines domain '%s'", *n,
                      def->name);
            continue;
        }
        dom = qemu_domain_new(drv, steal_ptr(def));
        dom->persistent = true;
        dom->autostart = state_store_get_autostart(drv->config, dom->def->name);
        qemu_driver_add(drv, dom);
    }
}

int
qemu_driver_new(const QemuDriverConfig *cfg, QemuDriver **ret, Error *error)
{
    QemuDriver *drv = xcalloc(1, sizeof(*drv));
    auto_cleanup(free_ptr) char *config_dir = NULL, *status_dir = NULL;
    int r;

    drv->cfg = *cfg;
    obj_list_init(&drv->doms, &domain_kind);
    drv->root = xstrdup(cfg->root);
    drv->cfg.root = drv->root;
    drv->loop = cfg->loop;
    drv->next_id = 1;
    config_dir = path_join(drv->root, "etc/libvirt/qemu");
    status_dir = path_join(drv->root, "run/libvirt/qemu");
    drv->log_dir = path_join(drv->root, "var/log/libvirt/qemu");
    drv->cache_dir = path_join(drv->root, "var/cache/libvirt/qemu/capabilities");
    drv->run_dir = xstrdup(status_dir);

    r = state_store_open(config_dir, &drv->config, error);
    if (r >= 0)
        r = state_store_open(status_dir, &drv->status, error);
    if (r >= 0) {
        state_store_set_volatile(drv->status, true);
        /* An undefine frees the file's blocks off the loop. */
        state_store_set_loop(drv->config, drv->loop);
    }
    if (r >= 0)
        r = mkdir_p(drv->log_dir, 0700, error);
    if (r < 0) {
        qemu_driver_free(drv);
        return r;
    }
    drv->kvm = qemu_caps_kvm_available();
    load_config(drv);
    qemu_status_reconnect_all(drv);
    qemu_driver_start_caps_probe(drv);
    *ret = drv;
    return 0;
}

void
qemu_driver_free(QemuDriver *drv)
{
    if (!drv)
        return;
    for (size_t i = 0; i < qemu_driver_count(drv); i++) {
        Domain *dom = qemu_driver_nth(drv, i);

        qemu_process_detach(dom);
        qemu_resources_clear(dom);
        dom->removed = true;
        domain_unref(dom);
    }
    obj_list_clear(&drv->doms);
    state_store_free(drv->config);
    state_store_free(drv->status);
    qemu_host_caps_free(drv->caps);
    error_clear(&drv->caps_error);
    free(drv->root);
    free(drv->log_dir);
    free(drv->cache_dir);
    free(drv->run_dir);
    free(drv);
}

void
qemu_driver_autostart(QemuDriver *drv)
{
    for (size_t i = 0; i < qemu_driver_count(drv); i++) {
        Domain *dom = qemu_driver_nth(drv, i);
        Error error = ERROR_INIT;

        if (!dom->autostart || qemu_domain_is_active(dom) || dom->job.kind != DOMAIN_JOB_NONE)
            continue;
        if (qemu_domain_start(dom, 0, NULL, NULL, &error) < 0) {
            log_error("cannot autostart domain '%s': %s", dom->def->name, error.message);
            error_clear(&error);
        }
    }
}

bool
qemu_driver_has_active(const QemuDriver *drv)
{
    for (size_t i = 0; i < qemu_driver_count(drv); i++) {
        const Domain *dom = qemu_driver_nth(drv, i);

        if (qemu_domain_is_active(dom) || dom->job.kind != DOMAIN_JOB_NONE)
            return true;
    }
    return false;
}

/* ---- capabilities, probed once off the loop ---------------------------- */

typedef struct CapsWaiter {
    QemuCapsCb cb;
    void *userdata;
    struct CapsWaiter *next;
} CapsWaiter;

/* "QEMU emulator version 7.2.19 (Debian ...)" -> 7002019, as libvirt's
 * virConnectGetVersion reports it. */
static uint64_t
probe_qemu_version(const QemuHostCaps *caps)
{
    const QemuEmulator *emu = caps ? qemu_caps_find_emulator(caps, NULL, "x86_64") : NULL;
    const char *argv[] = { emu ? emu->path : "qemu-system-x86_64", "--version", NULL };
    auto_cleanup(free_ptr) char *out = NULL;
    unsigned major, minor, micro;
    int status;
    const char *p;

    if (child_run_capture(argv, 4096, &out, &status, NULL) < 0 || !out)
        return 0;
    p = strstr(out, "version ");
    if (!p || sscanf(p + 8, "%u.%u.%u", &major, &minor, &micro) != 3)
        return 0;
    return major * 1000000ull + minor * 1000ull + micro;
}

static void
caps_work(uv_work_t *req)
{
    QemuDriver *drv = req->data;

    qemu_caps_probe("/", drv->cache_dir, &drv->probed_caps, &drv->caps_error);
    drv->qemu_version = probe_qemu_version(drv->probed_caps);
}

/* Asked before the probe has finished (a client right after our start), the
 * version is read at once: one short exec, once, rather than a wrong 0. */
uint64_t
qemu_driver_qemu_version(QemuDriver *drv)
{
    if (drv->caps_state == CAPS_READY && drv->qemu_version)
        return drv->qemu_version;
    if (!drv->early_qemu_version)
        drv->early_qemu_version = probe_qemu_version(NULL);
    return drv->early_qemu_version;
}

static void
caps_after_work(uv_work_t *req, int status)
{
    QemuDriver *drv = req->data;
    CapsWaiter *w;

    drv->caps = steal_ptr(drv->probed_caps);
    drv->caps_state = drv->caps ? CAPS_READY : CAPS_FAILED;
    if (!drv->caps && !error_is_set(&drv->caps_error))
        error_set(&drv->caps_error, -EIO, VIR_ERR_INTERNAL_ERROR,
                  "cannot probe the host's capabilities");
    while ((w = drv->caps_waiters)) {
        drv->caps_waiters = w->next;
        w->cb(drv, drv->caps, drv->caps ? NULL : &drv->caps_error, w->userdata);
        free(w);
    }
}

void
qemu_driver_start_caps_probe(QemuDriver *drv)
{
    drv->caps_state = CAPS_PROBING;
    drv->caps_work.data = drv;
    if (uv_queue_work(drv->loop, &drv->caps_work, caps_work, caps_after_work) < 0) {
        drv->caps_state = CAPS_FAILED;
        error_set(&drv->caps_error, -EIO, VIR_ERR_INTERNAL_ERROR,
                  "cannot queue the capabilities probe");
    }
}

void
qemu_driver_get_caps(QemuDriver *drv, QemuCapsCb cb, void *userdata)
{
    CapsWaiter *w, **tail;

    if (drv->caps_state != CAPS_PROBING) {
        cb(drv, drv->caps, drv->caps ? NULL : &drv->caps_error, userdata);
        return;
    }
    w = xcalloc(1, sizeof(*w));
    w->cb = cb;
    w->userdata = userdata;
    for (tail = &drv->caps_waiters; *tail; tail = &(*tail)->next)
        ;
    *tail = w;
}
