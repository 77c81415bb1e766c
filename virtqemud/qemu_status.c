/* The live status file of a running domain, and reconnecting to running
 * guests after a daemon restart. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_monitor.h"
#include "qemu_perf.h"
#include "state_store.h"
#include "xml_util.h"

/* ---- status file ------------------------------------------------------- */

const char *
domain_state_to_string(DomainState s)
{
    static const char *const names[] = { "nostate", "running", "blocked", "paused",
                                         "shutdown", "shutoff", "crashed", "pmsuspended" };
    return (unsigned) s < ARRAY_SIZE(names) ? names[s] : "nostate";
}

int
domain_state_from_string(const char *s)
{
    static const char *const names[] = { "nostate", "running", "blocked", "paused",
                                         "shutdown", "shutoff", "crashed", "pmsuspended" };
    for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
        if (strcmp(names[i], s) == 0)
            return (int) i;
    return -1;
}

/* <domstatus> as libvirt keeps it in /run/libvirt/qemu/NAME.xml: the state,
 * the process, the monitor, and the running definition. */
int
qemu_status_save(Domain *dom)
{
    auto_cleanup(free_ptr) char *domxml = NULL, *xml = NULL;
    XmlWriter w = XML_WRITER_INIT;
    Error error = ERROR_INIT;
    int r;

    if (!dom->live)
        return 0;
    xml_writer_start(&w, "domstatus");
    xml_writer_attr(&w, "state", domain_state_to_string(dom->state));
    xml_writer_attrf(&w, "reason", "%d", dom->reason);
    xml_writer_attrf(&w, "pid", "%d", (int) dom->proc.pid);
    xml_writer_attrf(&w, "starttime", "%" PRIu64, dom->proc.start_ticks);
    if (dom->job.start_paused)
        xml_writer_attr(&w, "startpaused", "yes");
    xml_writer_attrf(&w, "id", "%d", dom->id);
    xml_writer_attrf(&w, "balloon", "%" PRIu64, dom->monitor.balloon_kib);
    if (dom->agent_timeout != AGENT_TIMEOUT_BLOCK)
        xml_writer_attrf(&w, "agenttimeout", "%d", dom->agent_timeout);
    xml_writer_start(&w, "monitor");
    xml_writer_attr(&w, "path", dom->monitor.path);
    xml_writer_end(&w);
    if (dom->proc.cgroup_dir) {
        xml_writer_start(&w, "cgroup");
        xml_writer_attr(&w, "path", dom->proc.cgroup_dir);
        xml_writer_end(&w);
    }
    if (dom->proc.log_path) {
        xml_writer_start(&w, "log");
        xml_writer_attr(&w, "path", dom->proc.log_path);
        xml_writer_end(&w);
    }
    xml_writer_start(&w, "vcpus");
    for (size_t i = 0; i < dom->monitor.n_vcpu_tids; i++) {
        xml_writer_start(&w, "vcpu");
        xml_writer_attrf(&w, "id", "%zu", i);
        xml_writer_attrf(&w, "pid", "%" PRId64, dom->monitor.vcpu_tids[i]);
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    /* Ports to give back, even after a restart of ours. */
    xml_writer_start(&w, "ports");
    for (size_t i = 0; i < dom->res.n_ports; i++) {
        if (!dom->res.port_ids[i])
            continue;
        xml_writer_start(&w, "port");
        xml_writer_attrf(&w, "interface", "%zu", i);
        xml_writer_attr(&w, "network", dom->res.port_nets[i]);
        xml_writer_attr(&w, "uuid", dom->res.port_ids[i]);
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    xml_writer_start(&w, "hostdevs");
    for (size_t i = 0; i < dom->res.n_hostdev_paths; i++) {
        if (!dom->res.hostdev_paths[i])
            continue;
        xml_writer_start(&w, "hostdev");
        xml_writer_attrf(&w, "index", "%zu", i);
        xml_writer_attr(&w, "nodedev", dom->res.hostdev_paths[i]);
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    /* Owners to give back, even after a restart of ours. */
    qemu_dac_format(dom, &w);
    domxml = domain_def_format(dom->live, dom->id, DOMAIN_DEF_FORMAT_SECURE);
    xml_writer_raw(&w, domxml);
    xml_writer_end(&w);
    xml = xml_writer_steal(&w);
    r = state_store_save(dom->drv->status, dom->def->name, xml, &error);
    if (r < 0) {
        log_error("cannot save the status of domain '%s': %s", dom->def->name, error.message);
        error_clear(&error);
    }
    return r;
}

/* ---- reconnect after a daemon restart ---------------------------------- */

static void
reconnect_status_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Domain *dom = userdata;
    bool running = false;
    auto_cleanup(free_ptr) char *status = NULL;

    if (error || qmp_parse_status(ret, &status, &running, NULL) < 0)
        return;
    /* The guest may have changed state while nobody watched. */
    if (running && dom->state != DOMAIN_STATE_RUNNING) {
        qemu_domain_set_state(dom, DOMAIN_STATE_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        qemu_status_save(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
    } else if (!running && dom->state == DOMAIN_STATE_RUNNING) {
        if (status && strcmp(status, "shutdown") == 0) {
            /* It powered off while we were away: finish what on_poweroff says. */
            qemu_process_handle_shutdown(dom, NULL);
            return;
        }
        qemu_domain_set_state(dom, DOMAIN_STATE_PAUSED, 0);
        qemu_status_save(dom);
        qemu_driver_emit_event(dom, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
    }
}

/* Is @pid still the QEMU of domain @name (and not a recycled pid)? */
static bool
pid_is_qemu_of(pid_t pid, const char *name)
{
    char path[64], buf[8192];
    ssize_t n;
    auto_cleanup(free_ptr) char *want = xasprintf("guest=%s", name);
    auto_cleanup(free_ptr) char *escaped = qemu_escape_option(name);
    auto_cleanup(free_ptr) char *want2 = xasprintf("guest=%s", escaped);

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
    n = file_read_small(path, buf, sizeof(buf));
    if (n < 0)
        return false;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1)
        if (strncmp(p, want, strlen(want)) == 0 || strncmp(p, want2, strlen(want2)) == 0)
            return true;
    return false;
}

static void
reconnect_one(QemuDriver *drv, const char *name)
{
    auto_cleanup(free_ptr) char *xml = NULL, *state = NULL, *pid_s = NULL, *id_s = NULL;
    auto_cleanup(free_ptr) char *reason_s = NULL, *mon = NULL, *logp = NULL, *balloon = NULL;
    auto_cleanup(free_ptr) char *domxml = NULL, *cgroup = NULL, *ticks_s = NULL;
    auto_cleanup(free_ptr) char *paused_s = NULL, *agent_s = NULL;
    auto_cleanup(domain_def_freep) DomainDef *live = NULL;
    bool starting, alive = true;
    uint64_t ticks = 0;
    Error error = ERROR_INIT;
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    xmlNode *root = NULL, *node;
    Domain *dom;
    pid_t pid;
    int pidfd, r;

    if (state_store_load(drv->status, name, &xml, &error) < 0)
        goto gone;
    if (xml_parse_document(xml, 32 * 1024 * 1024, "domstatus", &doc, &error) < 0)
        goto gone;
    root = xmlDocGetRootElement(doc);
    state = xml_prop(root, "state");
    reason_s = xml_prop(root, "reason");
    pid_s = xml_prop(root, "pid");
    id_s = xml_prop(root, "id");
    balloon = xml_prop(root, "balloon");
    ticks_s = xml_prop(root, "starttime");
    paused_s = xml_prop(root, "startpaused");
    agent_s = xml_prop(root, "agenttimeout");
    if ((node = xml_child(root, "monitor")))
        mon = xml_prop(node, "path");
    if ((node = xml_child(root, "log")))
        logp = xml_prop(node, "path");
    if ((node = xml_child(root, "cgroup")))
        cgroup = xml_prop(node, "path");
    node = xml_child(root, "domain");
    /* Before the fork (pid 0) a start has no monitor yet. */
    if (!node || !pid_s || !id_s || (!mon && atoi(pid_s) != 0))
        goto gone;
    domxml = xml_node_xml(node);
    if (domain_def_parse(domxml, &live, &error) < 0)
        goto gone;

    pid = (pid_t) atoi(pid_s);
    /* Paused while starting up: a start of ours was cut short, anywhere
     * from the fork on. The process is ours if it started when the status
     * says, whether it is QEMU yet or not, or already a zombie. */
    starting = state && domain_state_from_string(state) == DOMAIN_STATE_PAUSED && reason_s &&
               atoi(reason_s) == DOMAIN_PAUSED_STARTING_UP;
    if (starting) {
        alive = pid > 0 && ticks_s && process_start_time(pid, &ticks) == 0 &&
                ticks == strtoull(ticks_s, NULL, 10);
        pidfd = alive ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;
        alive = pidfd >= 0;
    } else {
        if (pid <= 0 || !pid_is_qemu_of(pid, live->name))
            goto gone;
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
            goto gone;
    }

    dom = qemu_driver_find_by_name(drv, live->name);
    if (dom && !uuid_equal(&dom->def->uuid, &live->uuid)) {
        log_error("running domain '%s' has another uuid than its definition; leaving it",
                  live->name);
        if (pidfd >= 0)
            close(pidfd);
        goto out;
    }
    if (!dom) {
        dom = qemu_domain_new(drv, domain_def_copy(live));
        dom->persistent = false;
        qemu_driver_add(drv, dom);
    }
    dom->live = steal_ptr(live);
    qemu_driver_set_id(dom, atoi(id_s));
    dom->proc.pid = alive ? pid : 0;
    dom->proc.pidfd = pidfd;
    dom->proc.start_ticks = ticks;
    dom->job.start_paused = paused_s && strcmp(paused_s, "yes") == 0;
    dom->state = domain_state_from_string(state) > 0 ? domain_state_from_string(state)
                                                     : DOMAIN_STATE_RUNNING;
    dom->reason = reason_s ? atoi(reason_s) : 0;
    if (agent_s && atoi(agent_s) >= AGENT_TIMEOUT_BLOCK)
        dom->agent_timeout = atoi(agent_s);
    dom->monitor.balloon_kib = balloon ? strtoull(balloon, NULL, 10)
                                       : dom->live->current_memory_kib;
    dom->monitor.path = steal_ptr(mon);
    dom->proc.log_path = logp && *logp ? steal_ptr(logp) : NULL;
    dom->proc.cgroup_dir = steal_ptr(cgroup);
    if (dom->def != dom->live && dom->persistent) {
        auto_cleanup(free_ptr) char *a = domain_def_format(dom->def, -1,
                     DOMAIN_DEF_FORMAT_INACTIVE);
        auto_cleanup(free_ptr) char *b = domain_def_format(dom->live, -1,
                     DOMAIN_DEF_FORMAT_INACTIVE);
        dom->updated = strcmp(a, b) != 0;
    }
    for (xmlNodePtr v = (node = xml_child(root, "vcpus")) ? node->children : NULL; v; v = v->next) {
        auto_cleanup(free_ptr) char *tid = NULL;
        if (v->type != XML_ELEMENT_NODE || !(tid = xml_prop(v, "pid")))
            continue;
        dom->monitor.vcpu_tids = xrealloc(dom->monitor.vcpu_tids,
                                          (dom->monitor.n_vcpu_tids + 1) * sizeof(int64_t));
        dom->monitor.vcpu_tids[dom->monitor.n_vcpu_tids++] = strtoll(tid, NULL, 10);
    }
    if (dom->id >= drv->next_id)
        drv->next_id = dom->id + 1;
    dom->res.n_ports = dom->live->n_nets;
    dom->res.net_fds = xcalloc(dom->res.n_ports + 1, sizeof(int));
    dom->res.port_ids = xcalloc(dom->res.n_ports + 1, sizeof(char *));
    dom->res.port_nets = xcalloc(dom->res.n_ports + 1, sizeof(char *));
    for (size_t i = 0; i < dom->res.n_ports; i++)
        dom->res.net_fds[i] = -1;
    for (xmlNode *p = (node = xml_child(root, "ports")) ? node->children : NULL; p; p = p->next) {
        auto_cleanup(free_ptr) char *idx = NULL;
        size_t i;
        if (!xml_node_is(p, "port") || !(idx = xml_prop(p, "interface")))
            continue;
        i = strtoul(idx, NULL, 10);
        if (i >= dom->res.n_ports || dom->res.port_ids[i])
            continue;
        dom->res.port_ids[i] = xml_prop(p, "uuid");
        dom->res.port_nets[i] = xml_prop(p, "network");
    }
    dom->res.n_hostdev_paths = dom->live->n_hostdevs;
    dom->res.hostdev_paths = xcalloc(dom->res.n_hostdev_paths + 1, sizeof(char *));
    for (xmlNode *p = (node = xml_child(root, "hostdevs")) ? node->children : NULL; p;
         p = p->next) {
        auto_cleanup(free_ptr) char *idx = NULL;
        size_t i;
        if (!xml_node_is(p, "hostdev") || !(idx = xml_prop(p, "index")))
            continue;
        i = strtoul(idx, NULL, 10);
        if (i < dom->res.n_hostdev_paths && !dom->res.hostdev_paths[i])
            dom->res.hostdev_paths[i] = xml_prop(p, "nodedev");
    }

    qemu_dac_parse(dom, root);

    if (starting && !alive) {
        log_warn("domain '%s': its start was cut short before QEMU ran; cleaning up",
                 dom->def->name);
        qemu_process_start_lost(dom);
        goto out;
    }
    r = child_watch_new(drv->loop, pid, dup(pidfd), qemu_process_exited, dom, &dom->proc.watch,
                        &error);
    if (r < 0)
        log_error("cannot watch QEMU of domain '%s': %s", dom->def->name, error.message);
    error_clear(&error);
    if (starting) {
        qemu_process_resume_start(dom);
        goto out;
    }
    r = qmp_conn_connect(drv->loop, dom->monitor.path, &qemu_monitor_callbacks, dom, NULL,
                         &dom->monitor.conn, &error);
    if (r < 0) {
        log_error("cannot reconnect to the monitor of domain '%s': %s", dom->def->name,
                  error.message);
        error_clear(&error);
    } else {
        qmp_command(dom->monitor.conn, "query-status", NULL, reconnect_status_reply, dom, NULL);
        qemu_hotplug_reconnect(dom);
        qemu_perf_reconnect(dom);
        qemu_agent_reconnect(dom);
    }
    log_info("reconnected to domain '%s' (id %d, pid %d)", dom->def->name, dom->id, (int) pid);
    goto out;

gone:
    /* The guest ended while we were away: forget its runtime state. */
    log_info("domain '%s' is no longer running%s%s", name, error.message ? ": " : "",
             error.message ? error.message : "");
    qemu_dac_restore_status(root);
    state_store_remove(drv->status, name, NULL);
    if (mon)
        qemu_process_remove_domain_dir(mon);
    if ((dom = qemu_driver_find_by_name(drv, name)))
        dom->reason = DOMAIN_SHUTOFF_UNKNOWN;
out:
    error_clear(&error);
}

void
qemu_status_reconnect_all(QemuDriver *drv)
{
    auto_cleanup(strv_freep) char **names = NULL;
    Error error = ERROR_INIT;

    if (state_store_list(drv->status, &names, &error) < 0) {
        log_error("cannot list running domains: %s", error.message);
        error_clear(&error);
        return;
    }
    for (char **n = names; *n; n++)
        reconnect_one(drv, *n);
}
