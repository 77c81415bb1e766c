/* The QEMU driver: the domains virtqemud knows, their definitions, their
 * state, and the lifecycle operations. The bus layer (qemu_*_bus.c) only
 * decodes calls into these functions and encodes their results.
 *
 * Everything here runs on the daemon's one loop thread. Operations that wait
 * (a start, a destroy, a QMP command) take a completion callback and return
 * at once; the callback runs exactly once, on the loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "domain_def.h"
#include "error.h"
#include "qemu_monitor.h"
#include "virt_constants.h"

typedef struct TypedParams TypedParams; /* typed_params.h */

typedef struct QemuDriver QemuDriver;
typedef struct Domain Domain;
typedef struct QemuRelay QemuRelay;
typedef struct QemuAgent QemuAgent;
typedef struct QmpConn QmpConn;
typedef struct ChildWatch ChildWatch;
typedef struct StateStore StateStore;
typedef struct QemuHostCaps QemuHostCaps;


/* virDomainUndefineFlagsValues we accept (and ignore: no managed save,
 * snapshots, checkpoints or nvram to keep). */
#define UNDEFINE_KNOWN_FLAGS \
    (DOMAIN_UNDEFINE_MANAGED_SAVE | DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | DOMAIN_UNDEFINE_NVRAM | \
     DOMAIN_UNDEFINE_KEEP_NVRAM | DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | DOMAIN_UNDEFINE_TPM | \
     DOMAIN_UNDEFINE_KEEP_TPM)

/* How the driver tells the bus layer what happened. Both run before the
 * operation's completion callback, so a client reads its own writes. */
typedef struct QemuDriverHooks {
    void (*domain_added)(Domain *dom, void *userdata);   /* now visible */
    void (*domain_removed)(Domain *dom, void *userdata); /* about to vanish */
    /* A lifecycle event, and the properties that may have changed with it. */
    void (*domain_event)(Domain *dom, int event, int detail, void *userdata);
    /* Properties changed without an event (autostart, persistent, ...). */
    void (*domain_changed)(Domain *dom, void *userdata);
    /* virDomainRename: the Name property changed. */
    void (*domain_renamed)(Domain *dom, void *userdata);
    /* The guest reset itself (org.libvirt.Domain.Reboot signal). */
    void (*domain_rebooted)(Domain *dom, void *userdata);
    void (*balloon_changed)(Domain *dom, uint64_t actual_kib, void *userdata);
    /* DEVICE_ADDED, DEVICE_REMOVED or DEVICE_REMOVAL_FAILED of @alias. */
    void (*device_event)(Domain *dom, int event_id, const char *alias, void *userdata);
    /* TRAY_CHANGE of @alias: DOMAIN_EVENT_TRAY_CHANGE_OPEN or _CLOSE. */
    void (*tray_changed)(Domain *dom, const char *alias, int reason, void *userdata);
    /* METADATA_CHANGE: a DOMAIN_METADATA_* type, and the namespace of an
     * element (NULL otherwise). */
    void (*metadata_changed)(Domain *dom, int type, const char *nsuri, void *userdata);
    /* A live tuning change, as libvirt's TUNABLE event: "cputune.*" or
     * "blkdeviotune.*" parameters with their new values. */
    void (*tunable_changed)(Domain *dom, const TypedParams *tp, void *userdata);
    /* Any QMP event of the guest's QEMU (virConnectDomainQemuMonitorEvent):
     * its name, when, and its data as JSON text (NULL without data). */
    void (*monitor_event)(Domain *dom, const char *name, int64_t seconds, unsigned micros,
                          const char *details, void *userdata);
    /* PMSUSPEND, PMSUSPEND_DISK or PMWAKEUP (a DOMAIN_EVENT_ID_*), reason 0. */
    void (*pm_event)(Domain *dom, int event_id, void *userdata);
    /* AGENT_LIFECYCLE: an AGENT_LIFECYCLE_STATE_* and _REASON_*. */
    void (*agent_lifecycle)(Domain *dom, int state, int reason, void *userdata);
} QemuDriverHooks;

typedef enum {
    DOMAIN_JOB_NONE,
    DOMAIN_JOB_START,
    DOMAIN_JOB_DESTROY,
    DOMAIN_JOB_MODIFY, /* a QMP command: suspend, resume, reset, ... */
} DomainJob;

typedef void (*DomainDoneCb)(Domain *dom, const Error *error, void *userdata);

/* The bus layer's record of what clients were last told (PropertiesChanged
 * carries only what changed). */
typedef struct DomainAnnounced {
    bool valid;
    bool active, persistent, autostart, updated;
    int id, state, reason;
    uint32_t pid, vcpus;
    uint64_t max_memory, memory;
} DomainAnnounced;

/* What a running domain's QEMU process is, as virtqemud started or found it
 * (qemu_process.c, qemu_status.c, qemu_stats.c, qemu_cputune.c). */
typedef struct DomainProcess {
    pid_t pid;
    uint64_t start_ticks;  /* the process's start time: names it even once the pid is reused */
    int pidfd;
    ChildWatch *watch;
    char *log_path;
    off_t log_offset;      /* where this start's output begins in the log */
    bool shutdown_requested; /* SHUTDOWN seen or requested: exit is a shutdown */
    bool fake_reboot;        /* Reboot: reset instead of stopping on SHUTDOWN */
    unsigned taints;         /* qemu_domain_taint()'s reasons already logged */
    int stop_reason;         /* SHUTOFF reason to record when the process exits */
    int stop_detail;         /* STOPPED detail to emit then */
    uv_timer_t *kill_timer;  /* destroy: SIGKILL after a grace period */
    uint64_t start_begin_ms;
    char *cgroup_dir;        /* the domain's cpu cgroup while active, or NULL */
    bool tune_pending;       /* start: pinning and cgroups wait for the vCPU thread ids */
} DomainProcess;

/* The QMP connection to it and what it tells (qemu_monitor.c's client). */
typedef struct DomainMonitor {
    QmpConn *conn;
    char *path;            /* the QMP socket */
    uint64_t balloon_kib;  /* last known balloon size (BALLOON_CHANGE) */
    int64_t *vcpu_tids;    /* from query-cpus-fast */
    size_t n_vcpu_tids;
    /* Disk images' virtual sizes by node index (libvirt-N-format), from
     * query-named-block-nodes: a new disk or medium gets a new index, so a
     * size once read stays true (no resize call exists yet). */
    struct DiskCapacity {
        unsigned node;
        uint64_t capacity;
    } *capacities;
    size_t n_capacities;
} DomainMonitor;

/* The operation in progress and who waits for it (qemu_job.c). */
typedef struct DomainJobState {
    DomainJob kind;
    uint64_t begin_ms;       /* the loop's clock when it began */
    struct DomainWaiter *waiters;
    bool destroying;         /* SIGTERM sent; waiting for the exit */
    struct DomainWaiter *destroy_waiters;
    bool start_paused;
    bool start_recovered;    /* a start cut short by our crash, finished after the restart */
    Error start_error;       /* why a start is failing, once known */
} DomainJobState;

/* What is borrowed from other daemons while active (qemu_resources.c) and
 * the files chowned to virtqemud.conf's user (qemu_dac.c). */
typedef struct QemuPortCall QemuPortCall;
typedef struct QemuVolumeCall QemuVolumeCall;
typedef struct QemuHostdevCall QemuHostdevCall;

typedef struct DomainResources {
    int *net_fds;            /* per live interface: its tap fd until QEMU has it, or -1 */
    char **port_ids;         /* per live interface: virtnetworkd's port uuid, or NULL */
    char **port_nets;        /* per live interface: the network's object path, or NULL */
    size_t n_ports;
    /* the call in flight (qemu_resources.c): a port, a volume, a host device */
    struct QemuPortCall *res_port;
    struct QemuVolumeCall *res_volume;
    struct QemuHostdevCall *res_hostdev_call;
    char **hostdev_paths;    /* per live hostdev: the node device we had detached, or NULL */
    size_t n_hostdev_paths;
    size_t res_disk, res_net, res_hostdev;
    void (*res_cb)(Domain *dom, const Error *error);
    struct DacOwner *dac_owners; /* with the owner each had before */
    size_t n_dac_owners;
} DomainResources;

/* A live detach waiting for the guest to let go (qemu_hotplug.c). */
typedef void (*QemuUnplugCb)(Domain *dom, const Error *error, bool timed_out,
                             void *userdata);

typedef struct DomainHotplug {
    char *unplug_alias;      /* the device asked to go, until DEVICE_DELETED */
    bool waiting;            /* a detach call waits for it (the job) */
    QemuUnplugCb unplug_cb;  /* or someone else does (qemu_vcpus.c) */
    void *unplug_data;
    uv_timer_t *timer;       /* libvirt's unplug timeout, or the tray's */
    struct MediaCall *media_wait; /* a media change waiting for the tray (qemu_media.c) */
    char *module_unplug;     /* a memory module asked to go, until the guest answers */
} DomainHotplug;

/* A domain: its definition, and while active its process, monitor, job
 * and borrowed resources, each owned by the file named above. */
struct Domain {
    QemuDriver *drv;       /* borrowed */
    DomainAnnounced announced;
    unsigned refs;         /* the driver's list holds one; jobs hold one each */
    DomainDef *def;        /* the configuration: persistent (or transient) definition */
    DomainDef *live;       /* while active: the running definition, with live data */
    bool persistent;
    bool autostart;
    bool updated;          /* config changed while running */
    bool removed;          /* gone from the list; only jobs hold it now */
    int id;                /* -1 while inactive */
    DomainState state;
    int reason;
    char *path;            /* D-Bus object path */

    DomainProcess proc;
    DomainMonitor monitor;
    DomainJobState job;
    DomainResources res;
    DomainHotplug hotplug;
    int perf_fds[_PERF_EVENT_MAX]; /* perf events counting QEMU (qemu_perf.c), -1 when off */
    QemuRelay *consoles;           /* open consoles and channels (qemu_console.c) */
    QemuAgent *agent;              /* the guest agent while its port is open (qemu_agent.c) */
    int agent_timeout;             /* virDomainAgentSetResponseTimeout's seconds */
};

typedef struct QemuDriverConfig {
    const char *root;         /* "/" or the test's root */
    uv_loop_t *loop;
    struct sd_bus *bus;       /* to ask the other daemons (ports, volumes) */
    QemuDriverHooks hooks;
    void *hooks_userdata;
    /* virtqemud.conf's user/group (0/0, the default: QEMU runs as root and
     * nothing is chowned) and the user's groups (borrowed; resolved once). */
    uid_t user;
    gid_t group;
    const gid_t *groups;
    size_t n_groups;
    bool dynamic_ownership;   /* chown what QEMU opens to user:group while it runs */
} QemuDriverConfig;

/* Loads persistent definitions and live status, reconnects to running
 * guests. Returns a new driver. */
int qemu_driver_new(const QemuDriverConfig *cfg, QemuDriver **ret, Error *error);
/* Starts every inactive domain marked autostart. */
void qemu_driver_autostart(QemuDriver *drv);
/* Closes monitors and watches; guests keep running. */
void qemu_driver_free(QemuDriver *drv);
bool qemu_driver_has_active(const QemuDriver *drv);
/* QEMU's version as libvirt reports it (7002000 for 7.2.0); 0 until probed. */
uint64_t qemu_driver_qemu_version(QemuDriver *drv);

/* The capabilities, probed once in the worker pool. @cb runs when they are
 * ready (at once if they are), with NULL caps and an error on failure. */
typedef void (*QemuCapsCb)(QemuDriver *drv, const QemuHostCaps *caps, const Error *error,
                           void *userdata);
void qemu_driver_get_caps(QemuDriver *drv, QemuCapsCb cb, void *userdata);

/* Lookups: borrowed, valid while on the loop until the next operation. */
Domain *qemu_driver_find_by_name(QemuDriver *drv, const char *name);
Domain *qemu_driver_find_by_uuid(QemuDriver *drv, const Uuid *uuid);
Domain *qemu_driver_find_by_id(QemuDriver *drv, int id);
Domain *qemu_driver_find_by_path(QemuDriver *drv, const char *path);
int qemu_driver_lookup_name(QemuDriver *drv, const char *name, Domain **ret, Error *error);
int qemu_driver_lookup_uuid(QemuDriver *drv, const char *uuid, Domain **ret, Error *error);
int qemu_driver_lookup_id(QemuDriver *drv, int id, Domain **ret, Error *error);
/* The domains matching libvirt's list @flags, in definition order. @ret is a
 * new array of borrowed pointers. */
int qemu_driver_list(QemuDriver *drv, unsigned flags, Domain ***ret, size_t *ret_n,
                     Error *error);
size_t qemu_driver_count(const QemuDriver *drv);
/* For the node enumerator: every domain in order. */
Domain *qemu_driver_nth(const QemuDriver *drv, size_t i);

/* Define: a new persistent domain, or a new configuration for an existing
 * one (same name and UUID). */
int qemu_driver_define(QemuDriver *drv, const char *xml, Domain **ret, Error *error);
int qemu_domain_undefine(Domain *dom, unsigned flags, Error *error);
/* dompmsuspend through the guest agent and dompmwakeup (qemu_pm.c). Each
 * fails at once or calls @cb once. */
int qemu_domain_pm_suspend(Domain *dom, unsigned target, uint64_t duration, unsigned flags,
                           DomainDoneCb cb, void *userdata, Error *error);
int qemu_domain_pm_wakeup(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                          Error *error);
/* virConnectDomainXMLToNative (qemu_native.c): "qemu-argv" only. */
int qemu_driver_xml_to_native(QemuDriver *drv, const char *format, const char *xml,
                              unsigned flags, char **ret, Error *error);
/* virDomainRename of a shut-off persistent domain: its definition moves to
 * the new name (autostart too), UNDEFINED then DEFINED (RENAMED). */
int qemu_domain_rename(Domain *dom, const char *new_name, unsigned flags, Error *error);
int qemu_domain_set_autostart(Domain *dom, bool autostart, Error *error);
/* virDomainSetLifecycleAction (qemu_lifecycle.c): libvirt's type and
 * action numbers, the AFFECT flags. Fails at once or calls @cb once. */
int qemu_domain_set_lifecycle_action(Domain *dom, unsigned type, unsigned action, unsigned flags,
                                     DomainDoneCb cb, void *userdata, Error *error);

/* Lifecycle. Each either fails at once (negative return, @cb not called) or
 * returns 0 and calls @cb exactly once later. */
int qemu_process_create_xml(QemuDriver *drv, const char *xml, unsigned flags,
                           DomainDoneCb cb, void *userdata, Domain **ret, Error *error);
int qemu_domain_start(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                      Error *error);
int qemu_domain_destroy(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                        Error *error);
int qemu_domain_shutdown(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                         Error *error);
int qemu_domain_reboot(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                       Error *error);
int qemu_domain_reset(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                      Error *error);
int qemu_domain_suspend(Domain *dom, DomainDoneCb cb, void *userdata, Error *error);
int qemu_domain_resume(Domain *dom, DomainDoneCb cb, void *userdata, Error *error);
/* SetMemory: @kib is the new balloon target (live) or currentMemory (config). */
int qemu_domain_set_memory(Domain *dom, uint64_t kib, unsigned flags, DomainDoneCb cb,
                           void *userdata, Error *error);
/* virDomainSetMemoryStatsPeriod, the balloon's statistics
 * period (s) live (qom-set guest-stats-polling-interval) and/or in the
 * persistent <memballoon><stats period>. */
int qemu_domain_set_memory_stats_period(Domain *dom, int period, unsigned flags,
                                        DomainDoneCb cb, void *userdata, Error *error);
/* virDomainSetMetadata / GetMetadata (DOMAIN_METADATA_* @type, the
 * AFFECT flags): get() returns a new string. */
int qemu_domain_set_metadata(Domain *dom, int type, const char *metadata, const char *key,
                             const char *uri, unsigned flags, Error *error);
int qemu_domain_get_metadata(Domain *dom, int type, const char *uri, unsigned flags,
                             char **ret, Error *error);

/* Tuning (qemu_tuning.c): typed parameters as libvirt names them, the
 * AFFECT flags. get() appends to @ret. */
int qemu_domain_get_scheduler_params(Domain *dom, unsigned flags, TypedParams *ret,
                                     Error *error);
int qemu_domain_set_scheduler_params(Domain *dom, const TypedParams *tp, unsigned flags,
                                     Error *error);
int qemu_domain_get_memory_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error);
/* virDomainGetPerfEvents / virDomainSetPerfEvents (qemu_perf.c). */
int qemu_domain_get_perf_events(Domain *dom, unsigned flags, TypedParams *ret, Error *error);
int qemu_domain_set_perf_events(Domain *dom, const TypedParams *tp, unsigned flags,
                                Error *error);
int qemu_domain_set_memory_params(Domain *dom, const TypedParams *tp, unsigned flags,
                                  Error *error);
int qemu_domain_get_blkio_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error);
int qemu_domain_set_blkio_params(Domain *dom, const TypedParams *tp, unsigned flags,
                                 Error *error);
int qemu_domain_get_numa_params(Domain *dom, unsigned flags, TypedParams *ret, Error *error);
int qemu_domain_set_numa_params(Domain *dom, const TypedParams *tp, unsigned flags,
                                Error *error);

/* virDomainSetBlockIoTune / GetBlockIoTune of the disk named @path (target
 * or source; qemu_iotune.c). get()'s @cb runs once, with the parameters
 * (borrowed) or an error; at once for CONFIG, after query-block live. */
typedef void (*IotuneGetCb)(Domain *dom, const TypedParams *tp, const Error *error,
                            void *userdata);
int qemu_domain_get_block_iotune(Domain *dom, const char *path, unsigned flags, IotuneGetCb cb,
                                 void *userdata, Error *error);
int qemu_domain_set_block_iotune(Domain *dom, const char *path, const TypedParams *tp,
                                 unsigned flags, DomainDoneCb cb, void *userdata,
                                 Error *error);

/* virDomainSetInterfaceParameters / GetInterfaceParameters of the
 * interface @device (its host device or MAC; qemu_iftune.c). */
int qemu_domain_get_interface_params(Domain *dom, const char *device, unsigned flags,
                                     TypedParams *ret, Error *error);
int qemu_domain_set_interface_params(Domain *dom, const char *device, const TypedParams *tp,
                                     unsigned flags, DomainDoneCb cb, void *userdata,
                                     Error *error);

/* Reads. */
bool qemu_domain_is_active(const Domain *dom);
/* A new string. flags: DOMAIN_DEF_FORMAT_*. */
char *qemu_domain_get_xml(const Domain *dom, unsigned flags);
void qemu_domain_get_state(const Domain *dom, int *ret_state, int *ret_reason);
/* virDomainGetControlInfo: OK, OCCUPIED while a job talks to QEMU (with its
 * time so far), or ERROR when the monitor is gone. */
int qemu_domain_get_control_info(Domain *dom, unsigned flags, unsigned *ret_state,
                                 unsigned *ret_details, uint64_t *ret_ms, Error *error);
unsigned qemu_domain_get_vcpus(const Domain *dom, unsigned flags);
/* 0 when the guest agent answers; else libvirt's refusal: not configured
 * (ARGUMENT_UNSUPPORTED) or not connected (AGENT_UNRESPONSIVE). */
int qemu_domain_agent_available(const Domain *dom, Error *error);
/* The user and group QEMU runs as (virtqemud.conf's user and group). */
void qemu_driver_qemu_ids(const QemuDriver *drv, uid_t *ret_user, gid_t *ret_group);
/* The CPU affinity of each vCPU over @ncpus host CPUs (virDomainAffectFlags:
 * the live definition or the persistent one): a new array of *ret_nvcpus
 * rows of @ncpus booleans; an unpinned vCPU may run anywhere. */
int qemu_domain_get_vcpu_pin_info(Domain *dom, unsigned flags, size_t ncpus, bool **ret_maps,
                                  size_t *ret_nvcpus, Error *error);
/* virDomainPinVcpuFlags and virDomainPinEmulator: @map holds @n host CPUs
 * (thread affinity live, <cputune> in the definition); the emulator's
 * pinning as GetVcpuPinInfo gives the vCPUs' (a new array of @ncpus). */
int qemu_domain_pin_vcpu(Domain *dom, unsigned vcpu, const bool *map, size_t n, unsigned flags,
                         Error *error);
int qemu_domain_pin_emulator(Domain *dom, const bool *map, size_t n, unsigned flags,
                             Error *error);
int qemu_domain_get_emulator_pin_info(Domain *dom, unsigned flags, size_t ncpus,
                                      bool **ret_map, Error *error);
/* CPU time of the QEMU process (user + system), in nanoseconds; 0 inactive. */
uint64_t qemu_domain_cpu_time(const Domain *dom, uint64_t *ret_user, uint64_t *ret_system);
/* CPU time of vCPU @i's thread in nanoseconds, or 0. */
uint64_t qemu_domain_vcpu_time(const Domain *dom, size_t i);
/* The QEMU process's resident set size in KiB, or 0. */
uint64_t qemu_domain_rss_kib(const Domain *dom);

/* virDomainMemoryStats of a running guest, as libvirt gathers them: the
 * balloon's actual size (query-balloon), what the guest reported to it
 * (guest-stats), then the RSS. @cb runs once, from the loop, with the
 * statistics (borrowed) or with @error when the guest stopped meanwhile. */
typedef void (*MemoryStatsCb)(Domain *dom, const QmpMemoryStat *stats, size_t n,
                              const Error *error, void *userdata);
int qemu_domain_memory_stats(Domain *dom, MemoryStatsCb cb, void *userdata, Error *error);

/* A running guest's interface @i as the guest sees it (a tap's receive is
 * the guest's transmit, as libvirt reports it). Returns 0, or -ENOENT when
 * it has no host device (user networking) or the host does not tell. */
typedef struct NetStats {
    uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
    uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
} NetStats;
int qemu_domain_net_stats(const Domain *dom, size_t i, NetStats *stats);

/* The I/O counters of a running guest's disks (query-blockstats): @cb runs
 * once from the loop with a row per disk of the live definition, and
 * @found[i] false for a disk QEMU did not report (or all, when the query
 * failed: statistics are then simply absent, as in libvirt). */
typedef void (*BlockStatsCb)(Domain *dom, const QmpBlockStats *stats, const bool *found,
                             size_t n, void *userdata);
int qemu_domain_block_stats(Domain *dom, BlockStatsCb cb, void *userdata, Error *error);

/* virDomainGetCPUStats (qemu_domstats.c): @start_cpu -1 gives one row of
 * the totals (cpu_time, user_time, system_time); else a row per host CPU
 * from @start_cpu, at most @ncpus, with its cpu_time. @ret_rows is a new
 * array of @ret_n lists. */
int qemu_domain_get_cpu_stats(Domain *dom, int start_cpu, unsigned ncpus, unsigned flags,
                              TypedParams **ret_rows, size_t *ret_n, Error *error);
/* virDomainGetDiskErrors: the disks QEMU reports an I/O error of (@disks
 * borrowed, named by source, else by target). */
typedef struct DiskError {
    const char *disk;
    int code; /* DOMAIN_DISK_ERROR_* */
} DiskError;
typedef void (*DiskErrorsCb)(Domain *dom, const DiskError *errs, size_t n, const Error *error,
                             void *userdata);
int qemu_domain_get_disk_errors(Domain *dom, unsigned flags, DiskErrorsCb cb, void *userdata,
                                Error *error);
/* The guest agent's calls (qemu_agent_calls.c). @ret is the "return" of
 * qemu-ga's reply, in the shape the call needs, or NULL with @error; the
 * callback may run before the call returns. */
typedef void (*AgentResultCb)(Domain *dom, json_t *ret, const Error *error, void *userdata);
/* virDomainQemuAgentCommand: qemu-ga's whole reply as text (NULL when not
 * waited for). */
typedef void (*DomainTextCb)(Domain *dom, const char *text, const Error *error, void *userdata);
int qemu_domain_agent_command(Domain *dom, const char *cmd, int timeout, unsigned flags,
                              DomainTextCb cb, void *userdata, Error *error);
/* virDomainQemuMonitorCommand: QEMU's whole reply as text, or with
 * DOMAIN_QEMU_MONITOR_COMMAND_HMP the human monitor's output. */
int qemu_domain_monitor_command(Domain *dom, const char *cmd, unsigned flags, DomainTextCb cb,
                                void *userdata, Error *error);
int qemu_domain_agent_set_timeout(Domain *dom, int timeout, unsigned flags, Error *error);
int qemu_domain_get_hostname(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                             Error *error);
int qemu_domain_get_time(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                         Error *error);
int qemu_domain_set_time(Domain *dom, int64_t seconds, unsigned nseconds, unsigned flags,
                         AgentResultCb cb, void *userdata, Error *error);
int qemu_domain_set_user_password(Domain *dom, const char *user, const char *password,
                                  unsigned flags, AgentResultCb cb, void *userdata,
                                  Error *error);
/* FSFreeze, or with @thaw FSThaw (@mounts must then be empty). */
int qemu_domain_fs_freeze(Domain *dom, bool thaw, const char *const *mounts, size_t n,
                          unsigned flags, AgentResultCb cb, void *userdata, Error *error);
int qemu_domain_fs_trim(Domain *dom, const char *mountpoint, uint64_t minimum, unsigned flags,
                        AgentResultCb cb, void *userdata, Error *error);
int qemu_domain_get_fsinfo(Domain *dom, unsigned flags, AgentResultCb cb, void *userdata,
                           Error *error);
/* The domain's disk target an agent "disk" entry names, or NULL. */
const char *qemu_agent_disk_target(const Domain *dom, json_t *disk);
/* virDomainGetGuestInfo (qemu_guest_info.c): @tp, or NULL with @error. */
typedef void (*GuestInfoCb)(Domain *dom, const TypedParams *tp, const Error *error,
                            void *userdata);
int qemu_domain_get_guest_info(Domain *dom, unsigned types, unsigned flags, GuestInfoCb cb,
                               void *userdata, Error *error);
/* @ret: qemu-ga's guest-network-get-interfaces shape, whatever the source. */
int qemu_domain_interface_addresses(Domain *dom, unsigned source, unsigned flags,
                                    AgentResultCb cb, void *userdata, Error *error);

/* Consoles and channels (qemu_console.c): the caller's end of a stream to
 * the device, or a negative errno with @error. */
int qemu_domain_open_console(Domain *dom, const char *dev_name, unsigned flags, Error *error);
int qemu_domain_open_channel(Domain *dom, const char *name, unsigned flags, Error *error);
void qemu_console_close_all(Domain *dom);

/* qemu_screen.c. A screenshot's @fd is the caller's end of a download
 * stream (-1 with @error on failure), @mime its type. */
typedef void (*ScreenshotCb)(Domain *dom, const char *mime, int fd, const Error *error,
                             void *userdata);
int qemu_domain_screenshot(Domain *dom, unsigned screen, unsigned flags, ScreenshotCb cb,
                           void *userdata, Error *error);
/* virDomainSendKey's code in @codeset as QEMU's qnum, or -1. */
int qemu_keycode_to_qnum(unsigned codeset, unsigned code);
int qemu_domain_send_key(Domain *dom, unsigned codeset, unsigned holdtime, const uint32_t *codes,
                         size_t n, unsigned flags, DomainDoneCb cb, void *userdata, Error *error);
int qemu_domain_inject_nmi(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                           Error *error);

/* virDomainGetJobStats: the type of the job in the background (there is
 * never one here: DOMAIN_JOB_TYPE_NONE) and its statistics. */
int qemu_domain_get_job_stats(Domain *dom, unsigned flags, int *ret_type, TypedParams *ret,
                              Error *error);
/* IOThreads (qemu_iothreads.c), the AFFECT flags; info's @cb runs once with
 * one row per IOThread (borrowed): its id and affinity over @ncpus CPUs. */
int qemu_domain_add_iothread(Domain *dom, unsigned id, unsigned flags, DomainDoneCb cb,
                             void *userdata, Error *error);
int qemu_domain_del_iothread(Domain *dom, unsigned id, unsigned flags, DomainDoneCb cb,
                             void *userdata, Error *error);
int qemu_domain_pin_iothread(Domain *dom, unsigned id, const bool *map, size_t n,
                             unsigned flags, DomainDoneCb cb, void *userdata, Error *error);
typedef struct IOThreadInfo {
    unsigned id;
    bool *map;
    size_t ncpus;
} IOThreadInfo;
typedef void (*IOThreadInfoCb)(Domain *dom, const IOThreadInfo *info, size_t n,
                               const Error *error, void *userdata);
int qemu_domain_get_iothread_info(Domain *dom, unsigned flags, IOThreadInfoCb cb,
                                  void *userdata, Error *error);
/* GetStats' iothread and dirtyrate groups of a running guest, from QEMU:
 * @cb runs once with what could be read (@cb may take the list: it is
 * cleared after). */
typedef void (*ExtraStatsCb)(Domain *dom, TypedParams *tp, void *userdata);
int qemu_domain_extra_stats(Domain *dom, bool iothreads, bool dirtyrate, ExtraStatsCb cb,
                            void *userdata, Error *error);
/* virDomainStartDirtyRateCalc: QMP calc-dirty-rate for @seconds. */
int qemu_domain_start_dirty_rate_calc(Domain *dom, int seconds, unsigned flags,
                                      DomainDoneCb cb, void *userdata, Error *error);
/* A shut-off guest's disk image's sizes, as the image says them. */
void qemu_disk_image_sizes(const DomainDisk *d, uint64_t *capacity, uint64_t *allocation,
                           uint64_t *physical);
/* virDomainGetBlockInfo of the disk @path (target or source): @cb runs once,
 * at once for a shut-off guest, after QEMU's word for a running one. */
typedef void (*BlockInfoCb)(Domain *dom, uint64_t capacity, uint64_t allocation,
                            uint64_t physical, const Error *error, void *userdata);
int qemu_domain_get_block_info(Domain *dom, const char *path, unsigned flags, BlockInfoCb cb,
                               void *userdata, Error *error);

/* What virDomainGetVcpus tells of one running vCPU. */
typedef struct VcpuInfo {
    int state;           /* VCPU_STATE_* */
    uint64_t cpu_time;   /* nanoseconds */
    int cpu;             /* the host CPU it last ran on, or -1 */
} VcpuInfo;
/* A new array of the running vCPUs (the current count), each with its
 * host CPU affinity (@ncpus booleans a row, in *ret_maps). */
int qemu_domain_get_vcpu_info(Domain *dom, size_t ncpus, VcpuInfo **ret_info,
                              bool **ret_maps, size_t *ret_n, Error *error);

void domain_ref(Domain *dom);
void domain_unref(Domain *dom);
