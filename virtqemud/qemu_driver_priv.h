/* What qemu_driver.c and qemu_process.c share; not for the bus layer. */
#pragma once

#include <sched.h>
#include <systemd/sd-bus.h>

#include <jansson.h>

#include "cpuset.h"
#include "qemu_driver.h"
#include "obj_list.h"
#include "xml_util.h"

typedef enum {
    CAPS_PROBING,
    CAPS_READY,
    CAPS_FAILED,
} CapsState;

struct CapsWaiter;

struct QemuDriver {
    QemuDriverConfig cfg;
    char *root;
    uv_loop_t *loop;
    StateStore *config;  /* <root>/etc/libvirt/qemu */
    StateStore *status;  /* <root>/run/libvirt/qemu */
    char *run_dir;
    char *log_dir;
    char *cache_dir;
    ObjList doms;        /* in definition order; the list holds a reference */
    int next_id;
    bool kvm;

    CapsState caps_state;
    QemuHostCaps *caps;
    QemuHostCaps *probed_caps; /* written by the worker thread */
    Error caps_error;
    uv_work_t caps_work;
    uint64_t qemu_version;   /* written by the worker thread with the caps */
    uint64_t early_qemu_version; /* read on the loop when asked before the probe ended */
    struct CapsWaiter *caps_waiters;
};

/* A job's waiter: who gets told when the job ends. */
typedef struct DomainWaiter {
    DomainDoneCb cb;
    void *userdata;
    struct DomainWaiter *next;
} DomainWaiter;

void qemu_driver_add(QemuDriver *drv, Domain *dom);
void qemu_driver_remove(QemuDriver *drv, Domain *dom);
/* Gives @dom its id (-1 when inactive), keeping the lookup by id current. */
void qemu_driver_set_id(Domain *dom, int id);
void qemu_driver_emit_event(Domain *dom, int event, int detail);
void qemu_driver_emit_changed(Domain *dom);
void qemu_driver_emit_device(Domain *dom, int event_id, const char *alias);
void qemu_driver_emit_tray(Domain *dom, const char *alias, int reason);
void qemu_driver_emit_metadata(Domain *dom, int type, const char *nsuri);
void qemu_driver_emit_agent_lifecycle(Domain *dom, int state, int reason);

/* qemu_pm.c: QEMU's SUSPEND, SUSPEND_DISK or WAKEUP. */
void qemu_pm_event(Domain *dom, const char *name);

/* qemu_lifecycle.c: set-action's arguments for @def's <on_reboot>. */
json_t *qemu_lifecycle_reboot_action(const DomainDef *def);

/* qemu_passthrough.c: libvirt's taints, logged once per run and reason. */
typedef enum {
    DOMAIN_TAINT_CUSTOM_MONITOR,
    DOMAIN_TAINT_CUSTOM_GA_COMMAND,
} DomainTaint;
void qemu_domain_taint(Domain *dom, DomainTaint why);

/* qemu_agent.c: the guest agent. @ret is the agent's whole reply object
 * ({"return": ...}), NULL with @error or for a call that did not wait. */
#define AGENT_CHANNEL_NAME "org.qemu.guest_agent.0"
typedef void (*AgentReplyCb)(Domain *dom, json_t *reply, const Error *error, void *userdata);
DomainChr *qemu_agent_channel(const DomainDef *def);
/* libvirt's checks before an agent call: running, configured, connected. */
int qemu_agent_available(Domain *dom, Error *error);
/* Queues a command (JSON text, or @execute with @args, stolen) with the
 * domain's agent timeout, or @timeout seconds (AGENT_TIMEOUT_*). */
int qemu_agent_command_text(Domain *dom, const char *text, int timeout, AgentReplyCb cb,
                            void *userdata, Error *error);
int qemu_agent_command(Domain *dom, const char *execute, json_t *args, AgentReplyCb cb,
                       void *userdata, Error *error);
void qemu_agent_started(Domain *dom);
void qemu_agent_serial_changed(Domain *dom, json_t *data);  /* VSERPORT_CHANGE */
void qemu_agent_reconnect(Domain *dom);
void qemu_agent_detach(Domain *dom);
/* TUNABLE of a live change: @tp, or one string parameter. */
void qemu_driver_emit_tunable(Domain *dom, const TypedParams *tp);
void qemu_driver_emit_tunable_string(Domain *dom, const char *field, const char *value);
/* ... or @tp's fields with @prefix ("cputune."), after "blkdeviotune.disk"
 * when @disk is given. */
void qemu_driver_emit_tunables(Domain *dom, const char *prefix, const char *disk,
                               const TypedParams *tp);
int qemu_driver_parse(QemuDriver *drv, const char *xml, DomainDef **ret, Error *error);
int qemu_driver_check_duplicate(QemuDriver *drv, const DomainDef *def, Domain **ret_existing,
                                Error *error);
int qemu_driver_save_config(QemuDriver *drv, const DomainDef *def, Error *error);
void qemu_driver_start_caps_probe(QemuDriver *drv);
Domain *qemu_domain_new(QemuDriver *drv, DomainDef *def);

/* qemu_process.c */
void qemu_status_reconnect_all(QemuDriver *drv);
/* Stops watching the process and closes the monitor; the guest runs on. */
void qemu_process_detach(Domain *dom);
/* Writes the live status file; a failure is logged and returned. */
int qemu_status_save(Domain *dom);
/* Finishes a start that a crash of ours cut short: @dom's QEMU was found
 * again (paused, maybe before its monitor answered); the start goes on from
 * the monitor, as a job nobody waits for, and ends in a lifecycle event. */
void qemu_process_resume_start(Domain *dom);
/* A start that a crash of ours cut short before QEMU ran: from the loop's
 * next turn (when the bus announces), what it had borrowed is given back and
 * the domain stops with a STOPPED/FAILED event. */
void qemu_process_start_lost(Domain *dom);

/* qemu_resources.c: volumes and network ports, borrowed at start. @cb runs
 * once, with an error when something could not be had (what was had is then
 * given back already). */
typedef void (*QemuResourcesCb)(Domain *dom, const Error *error);
void qemu_resources_acquire(Domain *dom, QemuResourcesCb cb);
void qemu_resources_close_fds(Domain *dom);
void qemu_resources_release(Domain *dom);
void qemu_resources_clear(Domain *dom);
/* The file or block device and format of @disk's volume, from
 * virtstoraged: @cb runs once (path and format, or an error) unless the
 * call is cancelled first; NULL with @error when it cannot be sent.
 * qemu_volume_apply() makes @disk that file or device. */
typedef void (*QemuVolumeCb)(Domain *dom, const char *path, const char *format,
                             const Error *error, void *userdata);
QemuVolumeCall *qemu_volume_resolve(Domain *dom, const DomainDisk *disk, QemuVolumeCb cb,
                                    void *userdata, Error *error);
void qemu_volume_cancel(QemuVolumeCall *call);
void qemu_volume_apply(DomainDisk *disk, const char *path, const char *format);
/* Managed PCI host device @h taken from its host driver by virtnodedevd
 * (Detach to vfio): @cb runs once with the node device's path, or with an
 * error, unless cancelled first; NULL with @error when it cannot be sent.
 * qemu_hostdev_reattach() gives it back, without waiting. */
typedef void (*QemuHostdevCb)(Domain *dom, const char *path, const Error *error,
                              void *userdata);
QemuHostdevCall *qemu_hostdev_detach(Domain *dom, const DomainHostdev *h, QemuHostdevCb cb,
                                     void *userdata, Error *error);
void qemu_hostdev_cancel(QemuHostdevCall *call);
void qemu_hostdev_reattach(Domain *dom, const char *path);
/* A port for @net on its network from virtnetworkd: @cb runs once, with the
 * network's object path, the port's uuid, the bridge and its MTU, or with
 * an error; unless the call is cancelled first. NULL with @error when the
 * call cannot be sent. */
typedef void (*QemuPortCb)(Domain *dom, const char *network_path, const char *port_id,
                           const char *bridge, unsigned mtu, const Error *error,
                           void *userdata);
QemuPortCall *qemu_port_create(Domain *dom, const DomainNet *net, QemuPortCb cb,
                               void *userdata, Error *error);
void qemu_port_cancel(QemuPortCall *call);
/* Gives a port back, without waiting. */
void qemu_port_delete(Domain *dom, const char *network_path, const char *port_id);
/* Live interface @net's port gets a new inbound @floor (virtnetworkd's
 * check against its network's QoS); @cb once, with its refusal or NULL. */
int qemu_port_set_floor(Domain *dom, size_t net, uint64_t floor, DomainDoneCb cb,
                        void *userdata, Error *error);
/* A tap for @net, with its MAC, MTU and link up, enslaved to @bridge: its
 * name and fd (which keeps it alive), or a negative errno with @error. */
int qemu_tap_attach(const DomainNet *net, const char *bridge, unsigned mtu, char **ret_name,
                    int *ret_fd, Error *error);

/* qemu_job.c */
typedef void (*ModifyDone)(Domain *dom);
int qemu_job_begin(Domain *dom, DomainJob job, DomainDoneCb cb, void *userdata);
void qemu_job_end(Domain *dom, const Error *error);
void qemu_job_cancel(Domain *dom);
int qemu_job_check_active(Domain *dom, Error *error);
int qemu_job_check_idle(Domain *dom, Error *error);
/* A MODIFY job that is one QMP command; @done (may be NULL) runs on success
 * before the waiters hear of it. @args is stolen. */
int qemu_job_modify(Domain *dom, const char *cmd, json_t *args, ModifyDone done, DomainDoneCb cb,
                    void *userdata, Error *error);

/* qemu_process.c, for qemu_status.c */
extern const struct QmpCallbacks qemu_monitor_callbacks;
void qemu_process_exited(struct ChildWatch *w, pid_t pid, int status, void *userdata);
void qemu_process_handle_shutdown(Domain *dom, json_t *data);
void qemu_process_terminate(Domain *dom, bool graceful);
void qemu_process_remove_domain_dir(const char *monitor_path);
void qemu_domain_set_state(Domain *dom, DomainState state, int reason);

/* qemu_status.c */
const char *domain_state_to_string(DomainState s);
int domain_state_from_string(const char *s);

/* qemu_dac.c: QEMU as virtqemud.conf's user. */
typedef struct DacOwner {
    char *path;
    uid_t uid;
    gid_t gid;
} DacOwner;
/* True when QEMU runs as another user than root. */
bool qemu_dac_enabled(const QemuDriver *drv);
/* Before QEMU runs: every file of the live definition that QEMU opens must be
 * reachable by the user (else an error naming the path and the user, and
 * nothing changed); with dynamic_ownership each is chowned to user:group and
 * its owner recorded in dom->dac_owners. On failure what was changed is
 * restored. */
int qemu_dac_set_all(Domain *dom, Error *error);
/* A disk plugged into a running guest: as qemu_dac_set_all() for its @path
 * alone (a path already QEMU's is left as it is). */
int qemu_dac_set_disk(Domain *dom, const DomainDisk *d, const char *path, Error *error);
/* The same for a host device node QEMU opens (@what names it in errors). */
int qemu_dac_set_device(Domain *dom, const char *path, const char *what, Error *error);
/* A file QEMU no longer uses gets its recorded owner back. */
void qemu_dac_restore_path(Domain *dom, const char *path);
/* Gives every recorded file its owner back and forgets them. */
void qemu_dac_restore_all(Domain *dom);
/* The record in the status XML: <dac><file path= uid= gid=/></dac>. */
void qemu_dac_format(const Domain *dom, XmlWriter *w);
void qemu_dac_parse(Domain *dom, xmlNode *status_root);
/* A guest that ended while virtqemud was away: its files get their owners
 * back from its status XML. */
void qemu_dac_restore_status(xmlNode *status_root);
/* Forgets the record without touching a file (the daemon stops, the guest
 * runs on). */
void qemu_dac_clear(Domain *dom);

/* qemu_cputune.c: <vcpu cpuset> and <cputune> on a paused QEMU. */
bool qemu_cputune_needed(const DomainDef *def);
int qemu_cputune_apply(Domain *dom, Error *error);
void qemu_cputune_cleanup(Domain *dom);
/* The live <cputune>'s shares, period and quota into the domain's cpu
 * group, made now if it has none. */
int qemu_cputune_apply_live(Domain *dom, Error *error);

/* qemu_cgroup.c: the domain's cgroups. base(): where @controller is and
 * this process's place in it (-ENOENT: nowhere). domain(): the domain's
 * group of @controller, made with QEMU in it when @create (-ENOENT when
 * absent and not @create). */
int qemu_cgroup_base(const char *controller, char **ret_base, bool *ret_v2);
char *qemu_cgroup_scope(const Domain *dom, const char *base);
int qemu_cgroup_domain(Domain *dom, const char *controller, bool create, char **ret_dir,
                       bool *ret_v2, Error *error);
int qemu_cgroup_write(const char *dir, const char *file, const char *value, Error *error);
/* The file's text without its last newline, a new string. */
int qemu_cgroup_read(const char *dir, const char *file, char **ret, Error *error);
int qemu_cgroup_mkdir(const char *dir, Error *error);
/* Writes @pid to @file ("tasks": one thread; "cgroup.procs": a process). */
int qemu_cgroup_move(const char *dir, const char *file, pid_t pid, Error *error);
void qemu_cgroup_remove_all(Domain *dom);
/* qemu_tuning.c: <memtune>, <blkiotune> and <numatune> on a paused QEMU. */
int qemu_tuning_apply(Domain *dom, Error *error);
/* block_set_io_throttle's arguments for @d's <iotune> (qemu_iotune.c). */
json_t *qemu_iotune_args(const DomainDisk *d);
/* Sends each disk's limits while the start is under way; a refusal fails
 * the start. */
void qemu_iotune_start(Domain *dom);
/* A step of the start failed: QEMU is killed and the start ends with
 * @error (the first one given). */
void qemu_process_start_failed(Domain *dom, const Error *error);
/* The start's last step: run the vCPUs, or report a paused start. */
void qemu_process_start_continue(Domain *dom);
/* QEMU joins a cpuacct group of its own, for GetCPUStats' per-CPU rows. */
void qemu_cpuacct_start(Domain *dom);
/* With the vCPU thread ids known: a cpuacct child group per vCPU. */
void qemu_cpuacct_vcpus(Domain *dom);
/* The IOThreads' pinning, while the start is under way (qemu_iothreads.c). */
void qemu_iothreads_start(Domain *dom);
/* @map of @n host CPUs as a CPU list ("0-2,5"), NULL when empty. */
char *qemu_cpumap_format(const bool *map, size_t n);
/* The size of a disk's host file or block device, or 0 (qemu_stats.c). */
uint64_t qemu_disk_physical(const DomainDisk *d);

/* qemu_iftune.c: whether a definition's interfaces have rates for their
 * taps, and the start's tc (in the worker pool; the start goes on, or
 * fails, when it is done). */
bool qemu_iftune_needed(const DomainDef *def);
int qemu_iftune_start(Domain *dom, Error *error);

/* qemu_ops.c: qom-set of the balloon's guest-stats-polling-interval (s). */
int qemu_balloon_set_period(Domain *dom, int period, QmpReplyCb cb, void *userdata,
                            Error *error);
