/* The networks, their files, start/stop, ports and adoption. */
#include "network_driver.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "fileutil.h"
#include "log.h"
#include "netlink.h"
#include "network_nft.h"
#include "list_filter.h"
#include "obj_list.h"
#include "object_path.h"
#include "xml_util.h"

#define NETWORK_PATH_PREFIX "/org/libvirt/QEMU/network"
#define STATUS_MAX (16 * 1024 * 1024)

struct NetworkDriver {
    char *root;
    uv_loop_t *loop;
    const NetworkDriverHooks *hooks;
    void *hooks_userdata;
    char *dnsmasq;
    StateStore *config;   /* <root>/etc/libvirt/qemu/networks */
    StateStore *status;   /* <root>/run/libvirt/network */
    char *dnsmasq_dir;    /* <root>/var/lib/libvirt/dnsmasq */
    ObjList nets;         /* in definition order */
};

/* The shipped default network, as libvirt's default.xml (no UUID or MAC:
 * generated when it is defined). */
static const char default_network_xml[] =
    "<network>\n"
    "  <name>default</name>\n"
    "  <forward mode='nat'/>\n"
    "  <bridge name='virbr0' stp='on' delay='0'/>\n"
    "  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
    "    <dhcp>\n"
    "      <range start='192.168.122.2' end='192.168.122.254'/>\n"
    "    </dhcp>\n"
    "  </ip>\n"
    "</network>\n";

/* ---- objects ------------------------------------------------------------ */

OBJ_LIST_KEY_STR(network_key_name, Network, o->def->name)
OBJ_LIST_KEY_UUID(network_key_uuid, Network, &o->def->uuid)
OBJ_LIST_KEY_STR(network_key_path, Network, o->path)

static const ObjListKind network_kind = {
    .name = network_key_name,
    .uuid = network_key_uuid,
    .path = network_key_path,
};

static void
ports_clear(Network *net)
{
    for (size_t i = 0; i < net->n_ports; i++) {
        free(net->ports[i].domain_uuid);
        free(net->ports[i].domain_name);
        free(net->ports[i].mac);
    }
    free(net->ports);
    net->ports = NULL;
    net->n_ports = 0;
}

static void
network_free(Network *net)
{
    if (!net)
        return;
    child_watch_free(net->dnsmasq_watch);
    network_def_free(net->def);
    network_def_free(net->live);
    ports_clear(net);
    free(net->path);
    free(net);
}

static Network *
network_add(NetworkDriver *drv, NetworkDef *def)
{
    Network *net = xcalloc(1, sizeof(*net));

    net->drv = drv;
    net->def = def;
    net->path = object_path_from_uuid(NETWORK_PATH_PREFIX, &def->uuid);
    obj_list_add(&drv->nets, net);
    if (drv->hooks && drv->hooks->added)
        drv->hooks->added(net, drv->hooks_userdata);
    return net;
}

static void
network_remove(Network *net)
{
    NetworkDriver *drv = net->drv;

    obj_list_remove(&drv->nets, net);
    if (drv->hooks && drv->hooks->removed)
        drv->hooks->removed(net, drv->hooks_userdata);
    network_free(net);
}

static void
emit_event(Network *net, int event)
{
    if (net->drv->hooks && net->drv->hooks->event)
        net->drv->hooks->event(net, event, net->drv->hooks_userdata);
}

static void
emit_changed(Network *net)
{
    if (net->drv->hooks && net->drv->hooks->changed)
        net->drv->hooks->changed(net, net->drv->hooks_userdata);
}

static Network *
find_name(NetworkDriver *drv, const char *name)
{
    return obj_list_find_name(&drv->nets, name);
}

static Network *
find_uuid(NetworkDriver *drv, const Uuid *uuid)
{
    return obj_list_find_uuid(&drv->nets, uuid);
}

size_t
network_driver_count(NetworkDriver *drv)
{
    return obj_list_count(&drv->nets);
}

Network *
network_driver_nth(NetworkDriver *drv, size_t i)
{
    return obj_list_nth(&drv->nets, i);
}

Network *
network_driver_find_by_path(NetworkDriver *drv, const char *path)
{
    return obj_list_find_path(&drv->nets, path);
}

bool
network_driver_has_active(NetworkDriver *drv)
{
    for (size_t i = 0; i < network_driver_count(drv); i++)
        if (network_driver_nth(drv, i)->active)
            return true;
    return false;
}

int
network_driver_lookup_name(NetworkDriver *drv, const char *name, Network **ret, Error *error)
{
    Network *net = find_name(drv, name);

    if (!net)
        return error_set(error, -ENOENT, VIR_ERR_NO_NETWORK,
                         "Network not found: no network with matching name '%s'", name);
    *ret = net;
    return 0;
}

int
network_driver_lookup_uuid(NetworkDriver *drv, const char *uuid, Network **ret, Error *error)
{
    Network *net = NULL;
    Uuid u;

    if (uuid_parse(uuid, &u) == 0)
        net = find_uuid(drv, &u);
    if (!net)
        return error_set(error, -ENOENT, VIR_ERR_NO_NETWORK,
                         "Network not found: no network with matching uuid '%s'", uuid);
    *ret = net;
    return 0;
}

bool
network_get_autostart(Network *net)
{
    return net->persistent && state_store_get_autostart(net->drv->config, net->def->name);
}

int
network_driver_list(NetworkDriver *drv, unsigned flags, Network ***ret, size_t *ret_n,
                    Error *error)
{
    Network **list = xcalloc(network_driver_count(drv) + 1, sizeof(*list));
    size_t n = 0;

    for (size_t i = 0; i < network_driver_count(drv); i++) {
        Network *net = network_driver_nth(drv, i);
        bool autostart = network_get_autostart(net);

        if (!list_filter_network(flags, net->active, net->persistent, autostart))
            continue;
        list[n++] = net;
    }
    *ret = list;
    *ret_n = n;
    return 0;
}

const char *
network_bridge_name(Network *net)
{
    return net->live ? net->live->bridge : net->def->bridge;
}

/* ---- files -------------------------------------------------------------- */

typedef struct Paths {
    char *conf, *hostsfile, *addnhosts, *leasefile, *pidfile;
} Paths;

static void
paths_init(NetworkDriver *drv, const char *name, Paths *p, DnsmasqPaths *dp)
{
    p->conf = xasprintf("%s/%s.conf", drv->dnsmasq_dir, name);
    p->hostsfile = xasprintf("%s/%s.hostsfile", drv->dnsmasq_dir, name);
    p->addnhosts = xasprintf("%s/%s.addnhosts", drv->dnsmasq_dir, name);
    p->leasefile = xasprintf("%s/%s.leases", drv->dnsmasq_dir, name);
    p->pidfile = xasprintf("%s/%s.pid", state_store_dir(drv->status), name);
    if (dp)
        *dp = (DnsmasqPaths) { p->conf, p->hostsfile, p->addnhosts, p->leasefile, p->pidfile };
}

static void
paths_clear(Paths *p)
{
    free(p->conf);
    free(p->hostsfile);
    free(p->addnhosts);
    free(p->leasefile);
    free(p->pidfile);
}

static char *
status_format(Network *net)
{
    auto_cleanup(free_ptr) char *xml = network_def_format(net->live, 0);
    XmlWriter w = XML_WRITER_INIT;

    xml_writer_start(&w, "networkstatus");
    if (net->dnsmasq_pid)
        xml_writer_attrf(&w, "dnsmasq-pid", "%d", (int) net->dnsmasq_pid);
    for (size_t i = 0; i < net->n_ports; i++) {
        char uuid[UUID_STRING_LEN];
        xml_writer_start(&w, "port");
        xml_writer_attr(&w, "uuid", uuid_format(&net->ports[i].uuid, uuid));
        xml_writer_attr(&w, "domain-uuid", net->ports[i].domain_uuid);
        xml_writer_attr(&w, "domain-name", net->ports[i].domain_name);
        xml_writer_attr(&w, "mac", net->ports[i].mac);
        if (net->ports[i].floor)
            xml_writer_attrf(&w, "floor", "%llu", (unsigned long long) net->ports[i].floor);
        xml_writer_end(&w);
    }
    xml_writer_raw(&w, xml);
    xml_writer_end(&w);
    return xml_writer_steal(&w);
}

static int
status_save(Network *net, Error *error)
{
    auto_cleanup(free_ptr) char *xml = status_format(net);

    return state_store_save(net->drv->status, net->def->name, xml, error);
}

static int
write_text(const char *path, const char *text, Error *error)
{
    return file_write_atomic(path, text, strlen(text), 0644, error);
}

/* ---- processes ---------------------------------------------------------- */

/* True when @pid is a dnsmasq started with our configuration file. */
static bool
is_our_dnsmasq(pid_t pid, const char *conf)
{
    auto_cleanup(free_ptr) char *path = xasprintf("/proc/%d/cmdline", (int) pid);
    auto_cleanup(free_ptr) char *data = NULL;
    auto_cleanup(free_ptr) char *want = xasprintf("--conf-file=%s", conf);
    size_t len;

    if (pid <= 0 || file_read_all(path, 65536, &data, &len, NULL) < 0)
        return false;
    for (size_t off = 0; off < len; off += strlen(data + off) + 1)
        if (STREQ(data + off, want))
            return true;
    return false;
}

/* dnsmasq daemonizes with a double fork: its middle process exits and, as
 * we are a child subreaper, becomes our zombie. Reaps such exited children,
 * never a running one and never a network's dnsmasq (its ChildWatch reaps
 * it). Cheap: one readdir of /proc, done after starting a dnsmasq. */
static void
reap_strays(NetworkDriver *drv)
{
    pid_t self = getpid();
    DIR *d = opendir("/proc");
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        char path[64], buf[512], *p;
        pid_t pid = (pid_t) strtol(de->d_name, &p, 10);
        bool watched = false;
        int ppid = 0;
        char state = 0;
        FILE *f;

        if (pid <= 0 || *p)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
            continue;
        p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
            continue;
        if (state != 'Z' || ppid != self)
            continue;
        for (size_t i = 0; i < network_driver_count(drv); i++)
            if (network_driver_nth(drv, i)->dnsmasq_pid == pid)
                watched = true;
        if (!watched)
            (void) waitpid(pid, NULL, WNOHANG);
    }
    closedir(d);
}

/* Stops a dnsmasq and waits (at most ~3 s) for it to be gone, reaping it
 * when it is our child (it is, through the subreaper, unless it was adopted
 * from an earlier daemon). */
static void
dnsmasq_kill(pid_t pid)
{
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

    if (pidfd < 0)
        return;
    process_kill(pid, pidfd, SIGTERM);
    if (poll(&pfd, 1, 2000) == 0) {
        process_kill(pid, pidfd, SIGKILL);
        poll(&pfd, 1, 1000);
    }
    (void) waitpid(pid, NULL, WNOHANG);
    close(pidfd);
}

static void
dnsmasq_exited(ChildWatch *w, pid_t pid, int status, void *userdata)
{
    Network *net = userdata;

    log_warn("dnsmasq (pid %d) of network '%s' exited", (int) pid, net->def->name);
    net->dnsmasq_pid = 0;
    child_watch_free(steal_ptr(net->dnsmasq_watch));
}

static void
dnsmasq_watch(Network *net)
{
    Error error = ERROR_INIT;

    child_watch_free(steal_ptr(net->dnsmasq_watch));
    if (child_watch_new(net->drv->loop, net->dnsmasq_pid, -1, dnsmasq_exited, net,
                        &net->dnsmasq_watch, &error) < 0) {
        log_warn("cannot watch dnsmasq of network '%s': %s", net->def->name, error.message);
        error_clear(&error);
    }
}

static int
dnsmasq_write_files(Network *net, const NetworkDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *conf = NULL;
    auto_cleanup(free_ptr) char *hosts = network_dnsmasq_hostsfile(def);
    auto_cleanup(free_ptr) char *addn = network_dnsmasq_addnhosts(def);
    DnsmasqPaths dp;
    Paths p;
    int r;

    paths_init(net->drv, def->name, &p, &dp);
    conf = network_dnsmasq_conf(def, &dp);
    r = mkdir_p(net->drv->dnsmasq_dir, 0755, error);
    if (r >= 0)
        r = write_text(p.conf, conf, error);
    if (r >= 0)
        r = write_text(p.hostsfile, hosts, error);
    if (r >= 0)
        r = write_text(p.addnhosts, addn, error);
    paths_clear(&p);
    return r;
}

static int
dnsmasq_start(Network *net, Error *error)
{
    NetworkDriver *drv = net->drv;
    Paths p;
    auto_cleanup(free_ptr) char *arg = NULL;
    auto_cleanup(free_ptr) char *pidtext = NULL;
    int errp[2] = { -1, -1 };
    ChildSpec spec = { 0 };
    char err[1024] = "";
    size_t got = 0;
    pid_t pid;
    int r, status = 0;

    r = dnsmasq_write_files(net, net->live, error);
    if (r < 0)
        return r;
    paths_init(drv, net->def->name, &p, NULL);
    file_remove(p.pidfile, NULL);
    arg = xasprintf("--conf-file=%s", p.conf);
    {
        const char *argv[] = { drv->dnsmasq, arg, NULL };

        if (pipe2(errp, O_CLOEXEC) < 0) {
            r = error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot create a pipe");
            goto out;
        }
        spec.argv = argv;
        spec.stdin_fd = -1;
        spec.stdout_fd = -1;
        spec.stderr_fd = errp[1];
        spec.new_session = true;
        r = child_spawn(&spec, &pid, NULL, error);
        close(steal_fd(errp[1]));
        if (r < 0)
            goto out;
    }
    /* dnsmasq forks; its first process exits once the daemon is set up, or
     * with the reason it could not be. The daemon keeps the pipe's write end
     * closed (it redirects stderr), so EOF comes with the first exit. */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (;;) {
        struct pollfd pfd = { .fd = errp[0], .events = POLLIN };
        ssize_t n;
        if (poll(&pfd, 1, 0) <= 0)
            break;
        n = read(errp[0], err + got, sizeof(err) - 1 - got);
        if (n <= 0)
            break;
        got += n;
        if (got == sizeof(err) - 1)
            break;
    }
    err[got] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = '\0';
        r = error_set(error, -EIO, VIR_ERR_SYSTEM_ERROR,
                      "cannot start dnsmasq for network '%s': %s", net->def->name,
                      *err ? err : "it exited with an error");
        goto out;
    }
    r = file_read_all(p.pidfile, 64, &pidtext, NULL, error);
    if (r < 0)
        goto out;
    net->dnsmasq_pid = (pid_t) strtol(pidtext, NULL, 10);
    if (net->dnsmasq_pid <= 0) {
        net->dnsmasq_pid = 0;
        r = error_set(error, -EIO, VIR_ERR_SYSTEM_ERROR,
                      "cannot read the pid of dnsmasq for network '%s'", net->def->name);
        goto out;
    }
    dnsmasq_watch(net);
    reap_strays(drv);
    r = 0;
out:
    if (errp[0] >= 0)
        close(errp[0]);
    if (errp[1] >= 0)
        close(errp[1]);
    paths_clear(&p);
    return r;
}

static void
dnsmasq_stop(Network *net)
{
    Paths p;

    paths_init(net->drv, net->def->name, &p, NULL);
    child_watch_free(steal_ptr(net->dnsmasq_watch));
    if (net->dnsmasq_pid && is_our_dnsmasq(net->dnsmasq_pid, p.conf))
        dnsmasq_kill(net->dnsmasq_pid);
    net->dnsmasq_pid = 0;
    paths_clear(&p);
}

/* ---- start and stop ----------------------------------------------------- */

static bool
other_nft_active(Network *net)
{
    NetworkDriver *drv = net->drv;

    for (size_t i = 0; i < network_driver_count(drv); i++) {
        const Network *o = network_driver_nth(drv, i);

        if (o != net && o->active && o->live && network_nft_needed(o->live))
            return true;
    }
    return false;
}

static int
enable_forwarding(const NetworkDef *def, Error *error)
{
    bool v6 = false;
    int r;

    for (size_t i = 0; i < def->n_ips; i++)
        if (def->ips[i].af == AF_INET6)
            v6 = true;
    r = file_write_atomic("/proc/sys/net/ipv4/ip_forward", "1\n", 2, 0644, NULL);
    if (r < 0) {
        /* /proc files cannot be renamed over: write in place. */
        int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "1\n", 2) != 2) {
            r = -errno;
            if (fd >= 0)
                close(fd);
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot enable IPv4 forwarding for network '%s'",
                                   def->name);
        }
        close(fd);
    }
    if (v6) {
        int fd = open("/proc/sys/net/ipv6/conf/all/forwarding", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "1\n", 2) != 2) {
            r = -errno;
            if (fd >= 0)
                close(fd);
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot enable IPv6 forwarding for network '%s'",
                                   def->name);
        }
        close(fd);
    }
    return 0;
}

/* Removes whatever of a network's host objects exist: dnsmasq, rules, bridge,
 * files. Best effort; each step logs its own failure. */
static void
teardown(Network *net, const NetworkDef *live)
{
    Error error = ERROR_INIT;
    Paths p;

    dnsmasq_stop(net);
    if (network_nft_needed(live) && live->bridge) {
        auto_cleanup(free_ptr) char *rules = network_nft_delete_rules(live,
                                                                      !other_nft_active(net));
        if (network_nft_apply(live->name, rules, &error) < 0) {
            log_warn("%s", error.message);
            error_clear(&error);
        }
    }
    if (network_def_owns_bridge(live) && live->bridge && netlink_link_exists(live->bridge)) {
        if (netlink_link_delete(live->bridge, &error) < 0) {
            log_warn("%s", error.message);
            error_clear(&error);
        }
    }
    paths_init(net->drv, live->name, &p, NULL);
    file_remove(p.conf, NULL);
    file_remove(p.hostsfile, NULL);
    file_remove(p.addnhosts, NULL);
    file_remove(p.leasefile, NULL);
    file_remove(p.pidfile, NULL);
    paths_clear(&p);
    state_store_remove(net->drv->status, live->name, NULL);
}

static int
check_conflicts(NetworkDriver *drv, const NetworkDef *def, bool active_only, Error *error)
{
    for (size_t i = 0; i < network_driver_count(drv); i++) {
        Network *o = network_driver_nth(drv, i);
        int r;

        if (STREQ(o->def->name, def->name))
            continue;
        if (o->live) {
            r = network_def_check_conflict(def, o->live, error);
            if (r < 0)
                return r;
        }
        if (!active_only) {
            r = network_def_check_conflict(def, o->def, error);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* Starts @net from @src (its definition, or the XML of a create over it). */
static int
network_start_from(Network *net, const NetworkDef *src, Error *error)
{
    NetworkDriver *drv = net->drv;
    auto_cleanup(network_def_freep) NetworkDef *live = NULL;
    NetworkDef *def;
    uint8_t mac[6];
    int r;

    if (net->active)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: network is already active");
    live = network_def_copy(src);
    def = live;
    r = check_conflicts(drv, def, true, error);
    if (r < 0)
        return r;
    if (!def->bridge || strstr(def->bridge, "%d"))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "network '%s' has no bridge name", def->name);

    if (network_def_owns_bridge(def)) {
        if (netlink_link_exists(def->bridge))
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "cannot start network '%s': bridge '%s' already exists",
                             def->name, def->bridge);
        if (def->mac)
            sscanf(def->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
                   &mac[3], &mac[4], &mac[5]);
        r = netlink_bridge_create(def->bridge, def->stp, def->delay * 1000,
                                  def->mac ? mac : NULL, def->mtu, error);
        if (r < 0)
            return r;
    } else if (!netlink_link_exists(def->bridge)) {
        return error_set(error, -ENODEV, VIR_ERR_OPERATION_INVALID,
                         "cannot start network '%s': bridge '%s' does not exist", def->name,
                         def->bridge);
    }

    /* From here, a failure undoes everything made so far. */
    net->live = steal_ptr(live);
    if (network_def_owns_bridge(def)) {
        for (size_t i = 0; r >= 0 && i < def->n_ips; i++)
            r = netlink_addr_add(def->bridge, def->ips[i].af, def->ips[i].addr.bytes,
                                 def->ips[i].prefix, error);
        if (r >= 0)
            r = netlink_link_set_up(def->bridge, true, error);
    }
    if (r >= 0 && (def->forward == NETWORK_FORWARD_NAT || def->forward == NETWORK_FORWARD_ROUTE))
        r = enable_forwarding(def, error);
    if (r >= 0 && network_nft_needed(def)) {
        auto_cleanup(free_ptr) char *rules = network_nft_add_rules(def);
        r = network_nft_apply(def->name, rules, error);
    }
    if (r >= 0 && network_dnsmasq_needed(def))
        r = dnsmasq_start(net, error);
    if (r >= 0)
        r = status_save(net, error);
    if (r < 0) {
        teardown(net, def);
        network_def_free(steal_ptr(net->live));
        return r;
    }
    net->active = true;
    log_info("network '%s' started on bridge '%s'", def->name, def->bridge);
    emit_event(net, NETWORK_EVENT_STARTED);
    return 0;
}

int
network_start(Network *net, Error *error)
{
    return network_start_from(net, net->def, error);
}

int
network_destroy(Network *net, Error *error)
{
    if (!net->active)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: network '%s' is not active",
                         net->def->name);
    teardown(net, net->live);
    network_def_free(steal_ptr(net->live));
    ports_clear(net);
    net->active = false;
    log_info("network '%s' stopped", net->def->name);
    emit_event(net, NETWORK_EVENT_STOPPED);
    if (!net->persistent)
        network_remove(net);
    return 0;
}

/* ---- define, create, undefine ------------------------------------------- */

static bool
bridge_taken(NetworkDriver *drv, const char *name, const char *self)
{
    for (size_t i = 0; i < network_driver_count(drv); i++) {
        Network *o = network_driver_nth(drv, i);
        if (STREQ(o->def->name, self))
            continue;
        if ((o->def->bridge && STREQ(o->def->bridge, name)) ||
            (o->live && o->live->bridge && STREQ(o->live->bridge, name)))
            return true;
    }
    return netlink_link_exists(name);
}

/* libvirt's networkBridgeNameValidate/networkFindUnusedBridgeName: a free
 * name from the template (default "virbr%d"). */
static int
assign_bridge(NetworkDriver *drv, NetworkDef *def, Error *error)
{
    const char *tmpl;

    if (!network_def_owns_bridge(def))
        return 0;
    if (def->bridge && !strstr(def->bridge, "%d")) {
        Network *self = find_name(drv, def->name);
        /* A name in use by the host (not by this network running) is refused. */
        if (netlink_link_exists(def->bridge) &&
            !(self && self->live && STREQ_NULL(self->live->bridge, def->bridge)))
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "bridge name '%s' already in use.", def->bridge);
        return 0;
    }
    tmpl = def->bridge ? def->bridge : "virbr%d";
    for (int i = 0; i < 256; i++) {
        const char *pct = strstr(tmpl, "%d");
        char name[64];
        snprintf(name, sizeof(name), "%.*s%d%s", (int) (pct - tmpl), tmpl, i, pct + 2);
        if (strlen(name) > NETLINK_IFNAME_MAX)
            break;
        if (!bridge_taken(drv, name, def->name)) {
            free(def->bridge);
            def->bridge = xstrdup(name);
            return 0;
        }
    }
    return error_set(error, -ENOSPC, VIR_ERR_INTERNAL_ERROR,
                     "Bridge generation exceeded max id 256");
}

static int
prepare_def(NetworkDriver *drv, const char *xml, NetworkDef **ret, Error *error)
{
    auto_cleanup(network_def_freep) NetworkDef *def = NULL;
    Network *same_name, *same_uuid;
    char uuid[UUID_STRING_LEN];
    int r;

    r = network_def_parse(xml, &def, error);
    if (r < 0)
        return r;
    same_name = find_name(drv, def->name);
    same_uuid = find_uuid(drv, &def->uuid);
    if (same_uuid && !STREQ(same_uuid->def->name, def->name))
        return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                         "network '%s' is already defined with uuid %s", same_uuid->def->name,
                         uuid_format(&def->uuid, uuid));
    if (same_name && !uuid_equal(&same_name->def->uuid, &def->uuid)) {
        /* A definition without a UUID takes the existing one, as libvirt. */
        if (!strstr(xml, "<uuid"))
            def->uuid = same_name->def->uuid;
        else
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                             "network '%s' already exists with uuid %s", def->name,
                             uuid_format(&same_name->def->uuid, uuid));
    }
    /* A redefinition keeps what was generated before. */
    if (same_name && !def->mac && same_name->def->mac)
        def->mac = xstrdup(same_name->def->mac);
    if (same_name && !def->bridge && same_name->def->bridge)
        def->bridge = xstrdup(same_name->def->bridge);
    network_def_fill_defaults(def);
    r = check_conflicts(drv, def, false, error);
    if (r < 0)
        return r;
    r = assign_bridge(drv, def, error);
    if (r < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

int
network_driver_define(NetworkDriver *drv, const char *xml, Network **ret, Error *error)
{
    auto_cleanup(network_def_freep) NetworkDef *def = NULL;
    auto_cleanup(free_ptr) char *text = NULL;
    Network *net;
    int r;

    r = prepare_def(drv, xml, &def, error);
    if (r < 0)
        return r;
    text = network_def_format(def, 0);
    r = state_store_save(drv->config, def->name, text, error);
    if (r < 0)
        return r;
    net = find_name(drv, def->name);
    if (net) {
        network_def_free(net->def);
        net->def = steal_ptr(def);
    } else {
        net = network_add(drv, steal_ptr(def));
    }
    net->persistent = true;
    log_info("network '%s' defined", net->def->name);
    emit_event(net, NETWORK_EVENT_DEFINED);
    *ret = net;
    return 0;
}

int
network_driver_create_xml(NetworkDriver *drv, const char *xml, Network **ret, Error *error)
{
    auto_cleanup(network_def_freep) NetworkDef *def = NULL;
    Network *net;
    int r;

    r = prepare_def(drv, xml, &def, error);
    if (r < 0)
        return r;
    net = find_name(drv, def->name);
    if (net) {
        char uuid[UUID_STRING_LEN];
        if (net->active)
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: network '%s' is already "
                             "active", def->name);
        if (!uuid_equal(&net->def->uuid, &def->uuid))
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_FAILED,
                             "network '%s' already exists with uuid %s", def->name,
                             uuid_format(&net->def->uuid, uuid));
        /* As libvirt: the inactive definition of the same name and uuid is
         * started with the given XML as its live definition; it stays the
         * persistent one. */
        r = network_start_from(net, def, error);
        if (r < 0)
            return r;
        *ret = net;
        return 0;
    }
    net = network_add(drv, steal_ptr(def));
    r = network_start(net, error);
    if (r < 0) {
        network_remove(net);
        return r;
    }
    *ret = net;
    return 0;
}

int
network_undefine(Network *net, Error *error)
{
    NetworkDriver *drv = net->drv;
    int r;

    if (!net->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: network '%s' is transient",
                         net->def->name);
    r = state_store_remove(drv->config, net->def->name, error);
    if (r < 0)
        return r;
    net->persistent = false;
    log_info("network '%s' undefined", net->def->name);
    emit_event(net, NETWORK_EVENT_UNDEFINED);
    if (!net->active)
        network_remove(net);
    else if (net->live) {
        /* The running definition is all that is left. */
        network_def_free(net->def);
        net->def = network_def_copy(net->live);
    }
    return 0;
}

int
network_set_autostart(Network *net, bool on, Error *error)
{
    int r;

    if (!net->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: cannot set autostart for "
                         "transient network");
    if (network_get_autostart(net) == on)
        return 0;
    r = state_store_set_autostart(net->drv->config, net->def->name, on, error);
    if (r < 0)
        return r;
    emit_changed(net);
    return 0;
}

int
network_get_xml(Network *net, unsigned flags, char **ret, Error *error)
{
    if (flags & ~NETWORK_XML_INACTIVE)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function GetXMLDesc",
                         flags & ~NETWORK_XML_INACTIVE);
    if (net->live && !(flags & NETWORK_XML_INACTIVE))
        *ret = network_def_format(net->live, (unsigned) net->n_ports);
    else
        *ret = network_def_format(net->def, 0);
    return 0;
}

/* ---- update ------------------------------------------------------------- */

int
network_update(Network *net, unsigned command, unsigned section, int parent_index,
               const char *xml, unsigned flags, Error *error)
{
    auto_cleanup(network_def_freep) NetworkDef *new_config = NULL;
    auto_cleanup(network_def_freep) NetworkDef *new_live = NULL;
    bool live, config;
    int r;

    if (flags & ~(NETWORK_UPDATE_AFFECT_LIVE | NETWORK_UPDATE_AFFECT_CONFIG))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function Update", flags);
    live = flags & NETWORK_UPDATE_AFFECT_LIVE;
    config = flags & NETWORK_UPDATE_AFFECT_CONFIG;
    if (!live && !config) {
        live = net->active;
        config = !net->active;
    }
    if (live && !net->active)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: network '%s' is not active",
                         net->def->name);
    if (config && !net->persistent)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: cannot change persistent config "
                         "of a transient network");

    if (config) {
        new_config = network_def_copy(net->def);
        r = network_def_update(new_config, command, section, parent_index, xml, error);
        if (r < 0)
            return r;
    }
    if (live) {
        new_live = network_def_copy(net->live);
        r = network_def_update(new_live, command, section, parent_index, xml, error);
        if (r < 0)
            return r;
    }
    if (config) {
        auto_cleanup(free_ptr) char *text = network_def_format(new_config, 0);
        r = state_store_save(net->drv->config, new_config->name, text, error);
        if (r < 0)
            return r;
        network_def_free(net->def);
        net->def = steal_ptr(new_config);
    }
    if (live) {
        network_def_free(net->live);
        net->live = steal_ptr(new_live);
        if (network_dnsmasq_needed(net->live)) {
            r = dnsmasq_write_files(net, net->live, error);
            if (r < 0)
                return r;
            /* dnsmasq rereads dhcp-hostsfile and addn-hosts on SIGHUP. */
            if (net->dnsmasq_pid)
                process_kill(net->dnsmasq_pid, -1, SIGHUP);
        }
        r = status_save(net, error);
        if (r < 0)
            return r;
    }
    emit_changed(net);
    return 0;
}

int
network_get_leases(Network *net, const char *mac, NetworkLease **ret, size_t *ret_n,
                   Error *error)
{
    auto_cleanup(free_ptr) char *text = NULL;
    Paths p;
    int r;

    *ret = NULL;
    *ret_n = 0;
    if (!net->active || !net->live)
        return 0;
    paths_init(net->drv, net->def->name, &p, NULL);
    r = file_read_all(p.leasefile, STATUS_MAX, &text, NULL, NULL);
    paths_clear(&p);
    if (r < 0)
        return 0; /* no lease yet: no file */
    return network_dnsmasq_parse_leases(net->live, text, mac, (int64_t) time(NULL), ret, ret_n);
}

/* ---- ports -------------------------------------------------------------- */

/* libvirt's check of a new port's floor against the network's inbound QoS
 * (networkCheckBandwidth), with its words. */
static int
check_floor(const Network *net, const char *mac, uint64_t floor, Error *error)
{
    const NetworkDef *def = net->live;
    const BandwidthRate *in = &def->bandwidth.in;
    uint64_t sum = floor, limit;

    if (!floor)
        return 0;
    if (def->forward != NETWORK_FORWARD_NAT && def->forward != NETWORK_FORWARD_ROUTE &&
        def->forward != NETWORK_FORWARD_OPEN && def->forward != NETWORK_FORWARD_NONE)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: Invalid use of 'floor' on interface with "
                         "MAC address %s - 'floor' is only supported for interface type "
                         "'network' with forward type 'nat', 'route', 'open' or none", mac);
    if (!in->set || !in->average)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "Operation not supported: Invalid use of 'floor' on interface with "
                         "MAC address %s - network '%s' has no inbound QoS set", mac,
                         def->name);
    for (size_t i = 0; i < net->n_ports; i++)
        sum += net->ports[i].floor;
    limit = in->peak ? in->peak : in->average;
    if (sum > limit)
        return error_set(error, -ENOSPC, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: Cannot plug '%s' interface into "
                         "'%s' because new combined inbound floor=%llu would overcommit "
                         "%s=%llu on network '%s'", mac, def->bridge,
                         (unsigned long long) sum, in->peak ? "peak" : "average",
                         (unsigned long long) limit, def->name);
    return 0;
}

int
network_port_create(Network *net, const char *domain_uuid, const char *domain_name,
                    const char *mac, uint64_t floor, NetworkPort **ret_port,
                    const char **ret_bridge, unsigned *ret_mtu, Error *error)
{
    NetworkPort *port;
    unsigned mtu = 0;
    Uuid du;
    char *norm = NULL;
    int r;

    if (!net->active || !net->live)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: network '%s' is not active",
                         net->def->name);
    if (uuid_parse(domain_uuid, &du) < 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid domain uuid '%s'", domain_uuid);
    if (mac && *mac) {
        char buf[18];
        bool ok = strlen(mac) == 17;
        for (int i = 0; ok && i < 17; i++)
            ok = i % 3 == 2 ? mac[i] == ':' : isxdigit((unsigned char) mac[i]) != 0;
        if (!ok)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_MAC,
                             "invalid MAC address '%s'", mac);
        for (int i = 0; i < 17; i++)
            buf[i] = (char) (mac[i] >= 'A' && mac[i] <= 'F' ? mac[i] + 32 : mac[i]);
        buf[17] = '\0';
        norm = xstrdup(buf);
    }
    r = check_floor(net, norm ? norm : "", floor, error);
    if (r < 0) {
        free(norm);
        return r;
    }
    r = netlink_link_get(net->live->bridge, &mtu, NULL, error);
    if (r < 0) {
        free(norm);
        return r;
    }
    if (net->live->mtu)
        mtu = net->live->mtu;

    net->ports = xrealloc(net->ports, (net->n_ports + 1) * sizeof(*net->ports));
    port = &net->ports[net->n_ports++];
    memset(port, 0, sizeof(*port));
    uuid_generate(&port->uuid);
    port->domain_uuid = xstrdup(domain_uuid);
    port->domain_name = xstrdup(domain_name);
    port->mac = norm ? norm : xstrdup("");
    port->floor = floor;
    r = status_save(net, error);
    if (r < 0) {
        net->n_ports--;
        free(port->domain_uuid);
        free(port->domain_name);
        free(port->mac);
        return r;
    }
    emit_changed(net);
    *ret_port = port;
    *ret_bridge = net->live->bridge;
    *ret_mtu = mtu;
    return 0;
}

int
network_port_set_floor(Network *net, const char *port_uuid, uint64_t floor, Error *error)
{
    Uuid u;

    if (uuid_parse(port_uuid, &u) == 0) {
        for (size_t i = 0; i < net->n_ports; i++) {
            NetworkPort *p = &net->ports[i];
            uint64_t old = p->floor;
            int r;

            if (!uuid_equal(&p->uuid, &u))
                continue;
            /* The port's own reservation is not counted against it. */
            p->floor = 0;
            r = net->active && net->live ? check_floor(net, str_or_empty(p->mac), floor, error)
                                         : 0;
            p->floor = r < 0 ? old : floor;
            if (r < 0)
                return r;
            emit_changed(net);
            return status_save(net, error);
        }
    }
    return error_set(error, -ENOENT, VIR_ERR_NO_NETWORK_PORT,
                     "network port not found: no network port with matching uuid '%s'",
                     port_uuid);
}

int
network_port_delete(Network *net, const char *port_uuid, Error *error)
{
    Uuid u;

    if (uuid_parse(port_uuid, &u) == 0) {
        for (size_t i = 0; i < net->n_ports; i++) {
            NetworkPort *p = &net->ports[i];
            if (!uuid_equal(&p->uuid, &u))
                continue;
            free(p->domain_uuid);
            free(p->domain_name);
            free(p->mac);
            memmove(p, p + 1, (net->n_ports - i - 1) * sizeof(*p));
            net->n_ports--;
            emit_changed(net);
            return status_save(net, error);
        }
    }
    return error_set(error, -ENOENT, VIR_ERR_NO_NETWORK_PORT,
                     "network port not found: no network port with matching uuid '%s'",
                     port_uuid);
}

/* ---- loading and adoption ----------------------------------------------- */

static int
status_parse(const char *xml, NetworkDef **ret_def, pid_t *ret_pid, NetworkPort **ret_ports,
             size_t *ret_n, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(free_ptr) char *pid = NULL;
    auto_cleanup(free_ptr) char *netxml = NULL;
    NetworkPort *ports = NULL;
    size_t n = 0;
    xmlNode *root, *netnode;
    int r;

    r = xml_parse_document(xml, STATUS_MAX, "networkstatus", &doc, error);
    if (r < 0)
        return r;
    root = xmlDocGetRootElement(doc);
    netnode = xml_child(root, "network");
    if (!netnode)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "network status has no <network> element");
    netxml = xml_node_xml(netnode);
    r = network_def_parse(netxml, ret_def, error);
    if (r < 0)
        return r;
    pid = xml_prop(root, "dnsmasq-pid");
    *ret_pid = pid ? (pid_t) strtol(pid, NULL, 10) : 0;
    xml_foreach_child(c, root) {
        auto_cleanup(free_ptr) char *uuid = NULL;
        NetworkPort *p;

        if (!xml_node_is(c, "port"))
            continue;
        uuid = xml_prop(c, "uuid");
        ports = xrealloc(ports, (n + 1) * sizeof(*ports));
        p = &ports[n];
        memset(p, 0, sizeof(*p));
        if (!uuid || uuid_parse(uuid, &p->uuid) < 0)
            continue;
        p->domain_uuid = xml_prop(c, "domain-uuid");
        p->domain_name = xml_prop(c, "domain-name");
        p->mac = xml_prop(c, "mac");
        {
            auto_cleanup(free_ptr) char *floor = xml_prop(c, "floor");
            unsigned long long v;
            if (floor && xml_parse_ull(floor, 10, ULLONG_MAX, &v) == 0)
                p->floor = v;
        }
        if (!p->domain_uuid)
            p->domain_uuid = xstrdup("");
        if (!p->domain_name)
            p->domain_name = xstrdup("");
        if (!p->mac)
            p->mac = xstrdup("");
        n++;
    }
    *ret_ports = ports;
    *ret_n = n;
    return 0;
}

/* Takes over a network that runs since an earlier virtnetworkd: the bridge
 * must still be there; dnsmasq and the rules are restarted if they are gone.
 * A network whose bridge vanished is cleaned up and left inactive. */
static void
adopt(NetworkDriver *drv, const char *name)
{
    auto_cleanup(free_ptr) char *xml = NULL;
    NetworkDef *live = NULL;
    NetworkPort *ports = NULL;
    size_t n_ports = 0;
    Error error = ERROR_INIT;
    Network *net;
    pid_t pid = 0;
    Paths p;

    if (state_store_load(drv->status, name, &xml, &error) < 0 ||
        status_parse(xml, &live, &pid, &ports, &n_ports, &error) < 0) {
        log_warn("cannot read the status of network '%s': %s", name, error.message);
        error_clear(&error);
        state_store_remove(drv->status, name, NULL);
        return;
    }
    net = find_name(drv, live->name);
    if (!net) {
        net = network_add(drv, network_def_copy(live));
        net->persistent = false;
    }
    net->live = live;
    net->ports = ports;
    net->n_ports = n_ports;
    paths_init(drv, live->name, &p, NULL);
    net->dnsmasq_pid = is_our_dnsmasq(pid, p.conf) ? pid : 0;
    paths_clear(&p);

    if (network_def_owns_bridge(live) && !netlink_link_exists(live->bridge)) {
        log_warn("bridge '%s' of network '%s' is gone: the network is stopped", live->bridge,
                 live->name);
        teardown(net, live);
        network_def_free(steal_ptr(net->live));
        ports_clear(net);
        if (!net->persistent)
            network_remove(net);
        return;
    }
    net->active = true;
    if (network_nft_needed(live) && !network_nft_present(live)) {
        auto_cleanup(free_ptr) char *rules = network_nft_add_rules(live);
        log_warn("firewall rules of network '%s' are gone: adding them again", live->name);
        if (network_nft_apply(live->name, rules, &error) < 0) {
            log_warn("%s", error.message);
            error_clear(&error);
        }
    }
    if (network_dnsmasq_needed(live)) {
        if (net->dnsmasq_pid) {
            dnsmasq_watch(net);
        } else {
            log_warn("dnsmasq of network '%s' is gone: starting it again", live->name);
            if (dnsmasq_start(net, &error) < 0) {
                log_warn("%s", error.message);
                error_clear(&error);
            }
        }
    }
    if (status_save(net, &error) < 0) {
        log_warn("%s", error.message);
        error_clear(&error);
    }
    log_info("network '%s' adopted (bridge '%s', %zu ports)", live->name, live->bridge,
             net->n_ports);
}

static int
load_config(NetworkDriver *drv, const char *name)
{
    auto_cleanup(free_ptr) char *xml = NULL;
    Error error = ERROR_INIT;
    NetworkDef *def = NULL;
    Network *net;

    if (state_store_load(drv->config, name, &xml, &error) < 0 ||
        network_def_parse(xml, &def, &error) < 0) {
        log_warn("cannot load network '%s': %s", name, error.message);
        error_clear(&error);
        return 0;
    }
    if (!STREQ(def->name, name)) {
        log_warn("network definition '%s' holds network '%s': skipped", name, def->name);
        network_def_free(def);
        return 0;
    }
    net = network_add(drv, def);
    net->persistent = true;
    return 0;
}

int
network_driver_new(const NetworkDriverConfig *cfg, NetworkDriver **ret, Error *error)
{
    NetworkDriver *drv = xcalloc(1, sizeof(*drv));
    auto_cleanup(free_ptr) char *config_dir = NULL;
    auto_cleanup(free_ptr) char *status_dir = NULL;
    auto_cleanup(strv_freep) char **names = NULL;
    bool first_start;
    int r;

    obj_list_init(&drv->nets, &network_kind);
    drv->root = xstrdup(cfg->root);
    drv->loop = cfg->loop;
    drv->dnsmasq = xstrdup(cfg->dnsmasq ? cfg->dnsmasq : "dnsmasq");
    config_dir = daemon_path_join(cfg->root, "/etc/libvirt/qemu/networks");
    status_dir = daemon_path_join(cfg->root, "/run/libvirt/network");
    drv->dnsmasq_dir = daemon_path_join(cfg->root, "/var/lib/libvirt/dnsmasq");
    first_start = !file_exists(config_dir);

    r = state_store_open(config_dir, &drv->config, error);
    if (r >= 0)
        r = state_store_open(status_dir, &drv->status, error);
    if (r < 0) {
        network_driver_free(drv);
        return r;
    }

    r = state_store_list(drv->config, &names, error);
    if (r < 0) {
        network_driver_free(drv);
        return r;
    }
    for (size_t i = 0; names[i]; i++)
        load_config(drv, names[i]);
    strv_free(steal_ptr(names));

    r = state_store_list(drv->status, &names, error);
    if (r < 0) {
        network_driver_free(drv);
        return r;
    }
    for (size_t i = 0; names[i]; i++)
        adopt(drv, names[i]);

    if (first_start && !find_name(drv, "default")) {
        Error derr = ERROR_INIT;
        Network *net;
        if (network_driver_define(drv, default_network_xml, &net, &derr) < 0) {
            log_warn("cannot define the default network: %s", derr.message);
            error_clear(&derr);
        }
    }
    /* Hooks only now: nobody can listen before the name is owned. */
    drv->hooks = cfg->hooks;
    drv->hooks_userdata = cfg->hooks_userdata;
    *ret = drv;
    return 0;
}

void
network_driver_autostart(NetworkDriver *drv)
{
    for (size_t i = 0; i < network_driver_count(drv); i++) {
        Network *net = network_driver_nth(drv, i);
        Error error = ERROR_INIT;

        if (net->active || !network_get_autostart(net))
            continue;
        if (network_start(net, &error) < 0) {
            log_error("cannot autostart network '%s': %s", net->def->name, error.message);
            error_clear(&error);
        }
    }
}

void
network_driver_free(NetworkDriver *drv)
{
    if (!drv)
        return;
    for (size_t i = 0; i < network_driver_count(drv); i++)
        network_free(network_driver_nth(drv, i));
    obj_list_clear(&drv->nets);
    state_store_free(drv->config);
    state_store_free(drv->status);
    free(drv->dnsmasq_dir);
    free(drv->dnsmasq);
    free(drv->root);
    free(drv);
}
