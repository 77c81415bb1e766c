/* The QMP monitor client: one connection to one QEMU's QMP unix socket, driven
 * by a libuv loop. Nothing here blocks the loop.
 *
 * The connection reads QEMU's greeting, sends qmp_capabilities by itself and
 * then sends queued commands in order. Each command carries an "id" and its
 * reply is matched by that id. One message is at most QMP_MESSAGE_MAX bytes;
 * a longer line, invalid JSON or a reply with an unknown id is a protocol
 * error that closes the connection. A message holding an integer beyond
 * int64 (QEMU prints uint64 values) is read with every number as a real.
 *
 * Every callback runs on the loop's thread.
 *
 * Events the driver handles and their "data" (QEMU 7.2, qapi/run-state.json,
 * qapi/machine.json):
 *   STOP             no data: the vCPUs stopped ("stop", an I/O error, a
 *                    panic with action pause, ...).
 *   RESUME           no data: the vCPUs run again (after "cont").
 *   SHUTDOWN         {"guest": bool, "reason": str} guest true when the guest
 *                    asked (ACPI, reboot with -no-reboot); reason is one of
 *                    "none", "host-error", "host-qmp-quit", "host-qmp-system-reset",
 *                    "host-signal", "host-ui", "guest-shutdown", "guest-reset",
 *                    "guest-panic", "subsystem-reset", "snapshot-load".
 *   RESET            {"guest": bool, "reason": str} same reasons as SHUTDOWN.
 *   POWERDOWN        no data: system_powerdown was issued (ACPI button pressed).
 *   GUEST_PANICKED   {"action": "pause"|"poweroff"|"run", "info": {...}} info
 *                    optional ({"type": "hyper-v"|"s390", ...}).
 *   BALLOON_CHANGE   {"actual": int} the guest's current memory in bytes.
 * Every event message also carries "timestamp": {"seconds", "microseconds"};
 * it is not passed on. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "error.h"

/* The longest message accepted from QEMU, in bytes. */
#define QMP_MESSAGE_MAX (16 * 1024 * 1024)

typedef struct QmpConn QmpConn;

typedef struct QmpCallbacks {
    /* An asynchronous event. @data is borrowed and may be NULL. */
    void (*event)(QmpConn *c, const char *name, json_t *data, void *userdata);
    /* The connection is gone (EOF, error, or protocol error). Pending commands
     * have already had their callbacks with an error. No callback runs after
     * this. The owner then calls qmp_conn_free() (it may do so from inside
     * this callback). Not called when the owner calls qmp_conn_free() first. */
    void (*closed)(QmpConn *c, void *userdata);
} QmpCallbacks;

/* @ret is the "return" member (borrowed; NULL when @error is set). @error is
 * NULL on success; on a QMP error its code is VIR_ERR_OPERATION_FAILED and its
 * message is libvirt's: "internal error: unable to execute QEMU command 'cont':
 * <desc>"; on a closed monitor "QEMU monitor was closed" style,
 * VIR_ERR_OPERATION_FAILED. @error is borrowed: copy it to keep it. */
typedef void (*QmpReplyCb)(QmpConn *c, json_t *ret, const Error *error, void *userdata);

/* Takes ownership of @fd, a connected stream socket (also on failure). Reads
 * the greeting and sends qmp_capabilities by itself; commands issued before
 * that are queued and sent in order afterwards. @ready (may be NULL) runs once
 * capabilities negotiation is done (error set if it failed); it gets the
 * same @userdata as the callbacks, and @ret is the greeting's "QMP" member. */
int qmp_conn_new(uv_loop_t *loop, int fd, const QmpCallbacks *cbs, void *userdata,
                 QmpReplyCb ready, QmpConn **ret, Error *error);

/* Connects to the socket at @path (a local unix socket: connect() returns at
 * once; a missing or refused socket is an error naming the path), then as
 * qmp_conn_new(). */
int qmp_conn_connect(uv_loop_t *loop, const char *path, const QmpCallbacks *cbs,
                     void *userdata, QmpReplyCb ready, QmpConn **ret, Error *error);

/* Queues a command. @arguments is stolen (may be NULL). @cb may be NULL.
 * Returns <0 only if the connection is already closed. */
int qmp_command(QmpConn *c, const char *name, json_t *arguments, QmpReplyCb cb,
                void *userdata, Error *error);

/* As qmp_command, but @cb gets QEMU's whole reply ({"return": ...} or
 * {"error": ...}, with its "id") and an error only when the monitor closed:
 * virDomainQemuMonitorCommand's passthrough. */
int qmp_command_raw(QmpConn *c, const char *name, json_t *arguments, QmpReplyCb cb,
                    void *userdata, Error *error);

/* As qmp_command, passing @fd (borrowed: duplicated/sent, caller keeps it)
 * with SCM_RIGHTS in the same sendmsg as the command. */
int qmp_command_with_fd(QmpConn *c, const char *name, json_t *arguments, int fd,
                        QmpReplyCb cb, void *userdata, Error *error);

/* Closes the connection. Pending commands' callbacks (and @ready, if it has
 * not run yet) run with an error before it returns (they must not free the
 * QmpConn; a nested qmp_conn_free() call from them is ignored); the closed
 * callback does not run. Memory is released from the uv
 * close callback. Safe from within any callback of this connection. NULL is
 * accepted. */
void qmp_conn_free(QmpConn *c);

/* True once qmp_capabilities succeeded and until the connection closes. */
bool qmp_conn_is_ready(const QmpConn *c);

/* Pure helpers for replies (@ret is the "return" member, borrowed). */

/* query-status: {"status": "running", "running": true, "singlestep": false}.
 * @ret_status (may be NULL) gets a new string: "running", "paused",
 * "shutdown", "prelaunch", "inmigrate", "postmigrate", "internal-error",
 * "io-error", "watchdog", "guest-panicked", "suspended", ... */
int qmp_parse_status(json_t *ret, char **ret_status, bool *ret_running, Error *error);

/* query-chardev: for each entry whose "filename" starts with "pty:", a pair
 * label -> "/dev/pts/N". Both arrays are new, NULL-terminated and of the same
 * length (possibly 0); free with qmp_strv_free(). Returns the count, or
 * -EINVAL if @ret is not an array. */
int qmp_parse_chardev_ptys(json_t *ret, char ***ret_labels, char ***ret_ptys);

/* query-balloon: {"actual": bytes}. */
int qmp_parse_balloon(json_t *ret, uint64_t *ret_actual_bytes, Error *error);

/* One memory statistic: a virDomainMemoryStatTags tag and its value. */
typedef struct QmpMemoryStat {
    int tag;
    uint64_t value;
} QmpMemoryStat;

/* qom-get of a balloon's "guest-stats": {"stats": {"stat-swap-in": bytes,
 * ...}, "last-update": seconds}. Fills @stats (room for @max) with what the
 * guest reported, in libvirt's order and units (KiB for sizes, counts as
 * they are); a statistic the guest does not collect (QEMU's all-ones) is
 * left out. Returns how many were filled. */
size_t qmp_parse_guest_stats(json_t *ret, QmpMemoryStat *stats, size_t max);

/* One disk's I/O counters from query-blockstats (QEMU's names). */
typedef struct QmpBlockStats {
    uint64_t rd_bytes, wr_bytes;
    uint64_t rd_operations, wr_operations, flush_operations;
    uint64_t rd_total_time_ns, wr_total_time_ns, flush_total_time_ns;
    uint64_t wr_highest_offset; /* of the image's storage ("parent"): libvirt's allocation */
    uint64_t capacity;          /* the image's virtual size (query-named-block-nodes) */
    uint64_t physical;          /* its host file's or device's size */
} QmpBlockStats;

/* query-named-block-nodes: the virtual size of node @node_name, or 0. */
uint64_t qmp_parse_node_virtual_size(json_t *ret, const char *node_name);

/* query-blockstats: the counters of the device whose root node is
 * @node_name. Returns 1 when found, 0 when absent. */
int qmp_parse_blockstats(json_t *ret, const char *node_name, QmpBlockStats *stats);

typedef struct QmpVcpu {
    int cpu_index;      /* "cpu-index" */
    int64_t thread_id;  /* "thread-id" (the host TID); -1 if absent */
    char *qom_path;     /* "qom-path", owned; may be NULL */
} QmpVcpu;

/* query-cpus-fast: an array of vCPUs, in QEMU's order. @ret_vcpus is new;
 * free it with qmp_vcpus_free(). */
int qmp_parse_cpus_fast(json_t *ret, QmpVcpu **ret_vcpus, size_t *ret_n, Error *error);
void qmp_vcpus_free(QmpVcpu *vcpus, size_t n);

/* query-vnc: {"enabled": bool, "service": "5900", ...}. @ret_port gets the
 * TCP port, or -1 when VNC is disabled or has no TCP service. */
int qmp_parse_vnc(json_t *ret, int *ret_port, Error *error);

/* Frees a NULL-terminated string array; NULL is accepted. */
void qmp_strv_free(char **strv);
