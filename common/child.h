/* Child processes, never through a shell. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "error.h"
#include "macros.h"

typedef struct ChildSpec {
    /* argv[0] is the program: a path, or a bare name looked up in our PATH. */
    const char *const *argv;
    /* Complete environment "K=V", NULL-terminated; NULL inherits ours. */
    const char *const *env;
    int stdin_fd, stdout_fd, stderr_fd; /* -1: /dev/null */
    const int *keep_fds;         /* kept open in the child at the same numbers (CLOEXEC cleared) */
    size_t n_keep_fds;
    bool new_session;            /* setsid() in the child */
    const char *cwd;             /* NULL: unchanged */
    /* Run as another user: setgroups(@groups), setgid(@gid), setuid(@uid) in
     * the child before exec (real, effective and saved ids). The groups are
     * resolved by the caller before (getgrouplist()); none clears them. */
    bool set_ids;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t n_groups;
    /* When set, the child waits before doing anything until @forked has run
     * in the parent with its pid, so the parent can record the pid first
     * (a daemon that dies before then leaves no child: the child sees the
     * gate close unopened and exits). A negative errno from @forked stops
     * the child and becomes child_spawn()'s result. */
    int (*forked)(pid_t pid, void *userdata);
    void *forked_userdata;
} ChildSpec;

/* Starts the child; every other fd is closed in it (close_range or CLOEXEC).
 * An exec failure is reported back through a CLOEXEC pipe and becomes an
 * error here ("cannot execute '/usr/bin/nope': No such file or directory",
 * VIR_ERR_SYSTEM_ERROR) with the child already reaped. On success *ret_pid
 * and (if non-NULL) *ret_pidfd (pidfd_open, CLOEXEC; the caller owns it) are
 * set. Safe in a multi-threaded process (only async-signal-safe calls between
 * fork and exec). The signal mask and dispositions are reset in the child. */
int child_spawn(const ChildSpec *spec, pid_t *ret_pid, int *ret_pidfd, Error *error);

/* Blocking helper for probes and tests (never call it on a daemon's loop):
 * runs argv, captures stdout (up to @max_output bytes; more is an error,
 * -EFBIG) and waits. stderr goes to ours. */
int child_run_capture(const char *const *argv, size_t max_output, char **ret_stdout,
                      int *ret_exit_status /* the waitpid status */, Error *error);

/* The same with stderr captured too, in the same text (a tool's own words
 * for an error). */
int child_run_capture_all(const char *const *argv, size_t max_output, char **ret_output,
                          int *ret_exit_status, Error *error);

/* Watches a process through its pidfd on a libuv loop; the callback runs once
 * when it exits. If the process is our child it is reaped (waitid P_PIDFD)
 * and @status is its wait status; if it is not our child (a guest adopted
 * after a daemon restart), @status is -1. */
typedef struct ChildWatch ChildWatch;
typedef void (*ChildExitCb)(ChildWatch *w, pid_t pid, int status, void *userdata);
int child_watch_new(uv_loop_t *loop, pid_t pid,
                    int pidfd /* -1: opened here; else ownership taken, even on failure */,
                    ChildExitCb cb, void *userdata, ChildWatch **ret, Error *error);
/* Stops watching; the callback will not run afterwards. Frees the watch (from
 * its uv close callback). Safe to call from inside the callback. Accepts NULL.
 * The callback does not free the watch by itself: the owner calls this. */
void child_watch_free(ChildWatch *w);

/* prctl(PR_SET_CHILD_SUBREAPER): daemons that start long-lived children call it. */
int process_set_subreaper(void);
/* Sends @sig through the pidfd (pidfd_send_signal) when one is given (>= 0),
 * else kill(). Returns 0 or a negative errno. */
int process_kill(pid_t pid, int pidfd, int sig);

/* The start time of @pid in clock ticks since boot (/proc/PID/stat, field
 * 22): with the pid it names one process for good, even once the number is
 * reused. A zombie still has it. */
int process_start_time(pid_t pid, uint64_t *ret_ticks);
