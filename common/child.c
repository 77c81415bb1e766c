/* Child processes, never through a shell.
 *
 * child_spawn() does everything that can allocate before fork(): the program
 * is looked up in PATH, the environment chosen, /dev/null opened. Between
 * fork() and execve() the child only makes async-signal-safe system calls,
 * so it is safe in a threaded daemon. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileutil.h"

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What failed in the child, sent back through the CLOEXEC pipe. */
typedef enum {
    CHILD_STAGE_SETSID,
    CHILD_STAGE_FDS,
    CHILD_STAGE_CHDIR,
    CHILD_STAGE_IDS,
    CHILD_STAGE_EXEC,
} ChildStage;

typedef struct ChildFailure {
    int stage;
    int err;
} ChildFailure;

/* Finds @name in $PATH as execvp() would. Returns a new string, or NULL
 * when no executable file is found (errno-like code in *ret_err). */
static char *
find_in_path(const char *name, int *ret_err)
{
    const char *path = getenv("PATH");
    int err = ENOENT;

    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t) (colon - path) : strlen(path);
        auto_cleanup(free_ptr) char *dir = len ? xstrndup(path, len) : xstrdup(".");
        auto_cleanup(free_ptr) char *full = path_join(dir, name);
        struct stat st;

        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(full, X_OK) == 0)
                return steal_ptr(full);
            err = EACCES;
        }
        if (!colon)
            break;
        path = colon + 1;
    }
    *ret_err = err;
    return NULL;
}

static int
cmp_int(const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;

    return x < y ? -1 : x > y;
}

/* Marks every fd from @from to @to (inclusive) close-on-exec. */
static void
cloexec_range(unsigned from, unsigned to, unsigned max_fd_fallback)
{
    if (from > to)
        return;
    if (close_range(from, to, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    /* Older kernels: walk the table up to the limit read before fork(). */
    for (unsigned fd = from; fd <= to && fd < max_fd_fallback; fd++) {
        int flags = fcntl(fd, F_GETFD);

        if (flags >= 0 && !(flags & FD_CLOEXEC))
            fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

static _Noreturn void
child_fail(int errfd, ChildStage stage, int err)
{
    ChildFailure f = { stage, err };
    ssize_t n;

    do
        n = write(errfd, &f, sizeof(f));
    while (n < 0 && errno == EINTR);
    _exit(127);
}

/* Runs in the child between fork() and execve(): async-signal-safe calls only. */
static _Noreturn void
child_exec(const ChildSpec *spec, const char *path, char *const *envp, int errfd, int gatefd,
           int gate_wfd, const int std_src[3], const int *keep_sorted, size_t n_keep, int base_fd,
           unsigned max_fd_fallback)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigset_t empty;
    int high[3];

    if (gatefd >= 0) {
        char go;
        ssize_t n;

        close(gate_wfd); /* else our own copy would keep the gate from closing */
        do
            n = read(gatefd, &go, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
            _exit(127); /* the parent is gone or refused: nobody knows of us */
    }

    /* Default dispositions, then an empty mask (the parent blocked
     * everything around fork() so no handler of ours runs here). */
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void) sigaction(sig, &dfl, NULL);
    sigemptyset(&empty);

    if (spec->new_session && setsid() < 0)
        child_fail(errfd, CHILD_STAGE_SETSID, errno);

    /* Move the error pipe and the std sources above every fd we keep, so
     * that installing 0-2 cannot clobber a source still needed. */
    {
        int moved = fcntl(errfd, F_DUPFD_CLOEXEC, base_fd);

        if (moved < 0)
            child_fail(errfd, CHILD_STAGE_FDS, errno);
        errfd = moved;
    }
    for (int i = 0; i < 3; i++) {
        high[i] = fcntl(std_src[i], F_DUPFD_CLOEXEC, base_fd);
        if (high[i] < 0)
            child_fail(errfd, CHILD_STAGE_FDS, errno);
    }
    for (int i = 0; i < 3; i++)
        if (dup2(high[i], i) < 0) /* dup2() leaves the new fd without CLOEXEC */
            child_fail(errfd, CHILD_STAGE_FDS, errno);
    for (size_t i = 0; i < n_keep; i++) {
        int flags = fcntl(keep_sorted[i], F_GETFD);

        if (flags < 0 || fcntl(keep_sorted[i], F_SETFD, flags & ~FD_CLOEXEC) < 0)
            child_fail(errfd, CHILD_STAGE_FDS, errno);
    }

    /* Everything else >= 3 closes at exec, including errfd: a successful
     * exec closes the pipe, which the parent reads as success. */
    {
        unsigned next = 3;

        for (size_t i = 0; i < n_keep; i++) {
            if ((unsigned) keep_sorted[i] > next)
                cloexec_range(next, keep_sorted[i] - 1, max_fd_fallback);
            next = keep_sorted[i] + 1;
        }
        cloexec_range(next, UINT_MAX, max_fd_fallback);
    }

    if (spec->cwd && chdir(spec->cwd) < 0)
        child_fail(errfd, CHILD_STAGE_CHDIR, errno);

    /* Raw system calls: glibc's wrappers would try to reach every thread of
     * the parent. Groups first, the uid last (it takes the right to change
     * the others away). */
    if (spec->set_ids &&
        (syscall(SYS_setgroups, spec->n_groups, spec->groups) < 0 ||
         syscall(SYS_setresgid, spec->gid, spec->gid, spec->gid) < 0 ||
         syscall(SYS_setresuid, spec->uid, spec->uid, spec->uid) < 0))
        child_fail(errfd, CHILD_STAGE_IDS, errno);

    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(path, (char *const *) spec->argv, envp);
    child_fail(errfd, CHILD_STAGE_EXEC, errno);
}

int
child_spawn(const ChildSpec *spec, pid_t *ret_pid, int *ret_pidfd, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    auto_cleanup(free_ptr) int *keep = NULL;
    auto_cleanup(close_fdp) int devnull = -1;
    auto_cleanup(close_fdp) int pipe_r = -1;
    auto_cleanup(close_fdp) int pipe_w = -1;
    auto_cleanup(close_fdp) int gate_r = -1;
    auto_cleanup(close_fdp) int gate_w = -1;
    const char *prog;
    char *const *envp;
    int std_src[3];
    int pipefd[2];
    int base_fd = 3;
    unsigned max_fd_fallback = 65536;
    struct rlimit rl;
    sigset_t all, old;
    ChildFailure failure;
    ssize_t n;
    pid_t pid;
    int pidfd = -1;
    int r;

    if (!spec->argv || !spec->argv[0] || !*spec->argv[0])
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "cannot start a process without a program");
    prog = spec->argv[0];

    if (strchr(prog, '/')) {
        path = xstrdup(prog);
    } else {
        int err = ENOENT;

        path = find_in_path(prog, &err);
        if (!path)
            return error_set_errno(error, -err, VIR_ERR_SYSTEM_ERROR,
                                   "cannot execute '%s'", prog);
    }
    envp = spec->env ? (char *const *) spec->env : environ;

    if (spec->n_keep_fds > 0) {
        keep = xmalloc(spec->n_keep_fds * sizeof(int));
        memcpy(keep, spec->keep_fds, spec->n_keep_fds * sizeof(int));
        qsort(keep, spec->n_keep_fds, sizeof(int), cmp_int);
        for (size_t i = 0; i < spec->n_keep_fds; i++) {
            if (keep[i] < 3 || fcntl(keep[i], F_GETFD) < 0)
                return error_set(error, -EBADF, VIR_ERR_INTERNAL_ERROR,
                                 "cannot pass fd %d to '%s'", keep[i], prog);
            if (keep[i] >= base_fd)
                base_fd = keep[i] + 1;
        }
    }

    if (spec->stdin_fd < 0 || spec->stdout_fd < 0 || spec->stderr_fd < 0) {
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (devnull < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot open '/dev/null'");
    }
    std_src[0] = spec->stdin_fd >= 0 ? spec->stdin_fd : devnull;
    std_src[1] = spec->stdout_fd >= 0 ? spec->stdout_fd : devnull;
    std_src[2] = spec->stderr_fd >= 0 ? spec->stderr_fd : devnull;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < UINT_MAX)
        max_fd_fallback = rl.rlim_cur;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot create a pipe");
    pipe_r = pipefd[0];
    pipe_w = pipefd[1];
    if (spec->forked) {
        if (pipe2(pipefd, O_CLOEXEC) < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot create a pipe");
        gate_r = pipefd[0];
        gate_w = pipefd[1];
    }

    /* Block every signal around fork() so the child cannot run one of our
     * handlers before it resets them. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0)
        child_exec(spec, path, envp, pipe_w, gate_r, gate_w, std_src, keep, spec->n_keep_fds,
                   base_fd, max_fd_fallback);
    r = -errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot fork to execute '%s'", prog);

    /* Open the pidfd before anything can reap the child. */
    if (ret_pidfd)
        pidfd = pidfd_open(pid, 0);

    close(steal_fd(pipe_w));
    if (spec->forked) {
        close(steal_fd(gate_r));
        r = spec->forked(pid, spec->forked_userdata);
        if (r >= 0 && write(gate_w, "", 1) != 1)
            r = -errno;
        close(steal_fd(gate_w));
        if (r < 0) {
            if (pidfd >= 0)
                close(pidfd);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot start '%s'", prog);
        }
    }
    do
        n = read(pipe_r, &failure, sizeof(failure));
    while (n < 0 && errno == EINTR);

    if (n != 0) {
        int status;

        if (pidfd >= 0)
            close(pidfd);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (n != (ssize_t) sizeof(failure))
            return error_set(error, -EIO, VIR_ERR_SYSTEM_ERROR,
                             "cannot execute '%s': the child failed before exec", prog);
        switch (failure.stage) {
        case CHILD_STAGE_SETSID:
            return error_set_errno(error, -failure.err, VIR_ERR_SYSTEM_ERROR,
                                   "cannot start a new session for '%s'", prog);
        case CHILD_STAGE_FDS:
            return error_set_errno(error, -failure.err, VIR_ERR_SYSTEM_ERROR,
                                   "cannot set up file descriptors for '%s'", prog);
        case CHILD_STAGE_CHDIR:
            return error_set_errno(error, -failure.err, VIR_ERR_SYSTEM_ERROR,
                                   "cannot change to folder '%s' for '%s'", spec->cwd, prog);
        case CHILD_STAGE_IDS:
            return error_set_errno(error, -failure.err, VIR_ERR_SYSTEM_ERROR,
                                   "cannot run '%s' as uid:gid %u:%u", prog,
                                   (unsigned) spec->uid, (unsigned) spec->gid);
        default:
            return error_set_errno(error, -failure.err, VIR_ERR_SYSTEM_ERROR,
                                   "cannot execute '%s'", prog);
        }
    }

    if (ret_pidfd) {
        if (pidfd < 0) {
            /* The child runs; we only lack a handle on it. */
            r = -errno;
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot open a pidfd for '%s'", prog);
        }
        *ret_pidfd = pidfd;
    }
    *ret_pid = pid;
    return 0;
}

static int
run_capture(const char *const *argv, size_t max_output, bool merge_stderr, char **ret_stdout,
            int *ret_exit_status, Error *error)
{
    auto_cleanup(free_ptr) char *out = NULL;
    auto_cleanup(close_fdp) int out_r = -1;
    auto_cleanup(close_fdp) int out_w = -1;
    size_t len = 0, alloc = 0;
    bool too_big = false;
    int pipefd[2];
    int status;
    pid_t pid;
    int r;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot create a pipe");
    out_r = pipefd[0];
    out_w = pipefd[1];

    ChildSpec spec = {
        .argv = argv,
        .stdin_fd = -1,
        .stdout_fd = out_w,
        .stderr_fd = merge_stderr ? out_w : STDERR_FILENO,
    };
    r = child_spawn(&spec, &pid, NULL, error);
    if (r < 0)
        return r;
    close(steal_fd(out_w));

    alloc = 4096;
    out = xmalloc(alloc + 1);
    for (;;) {
        ssize_t n;

        if (len == alloc) {
            alloc *= 2;
            out = xrealloc(out, alloc + 1);
        }
        n = read(out_r, out + len, alloc - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        if (n == 0)
            break;
        len += n;
        if (len > max_output) {
            too_big = true;
            kill(pid, SIGKILL);
            break;
        }
    }
    out[len] = '\0';

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot wait for '%s'", argv[0]);
    }
    if (too_big)
        return error_set(error, -EFBIG, VIR_ERR_SYSTEM_ERROR,
                         "output of '%s' is larger than %zu bytes", argv[0], max_output);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot read the output of '%s'", argv[0]);

    if (ret_stdout)
        *ret_stdout = steal_ptr(out);
    if (ret_exit_status)
        *ret_exit_status = status;
    return 0;
}

int
child_run_capture(const char *const *argv, size_t max_output, char **ret_stdout,
                  int *ret_exit_status, Error *error)
{
    return run_capture(argv, max_output, false, ret_stdout, ret_exit_status, error);
}

int
child_run_capture_all(const char *const *argv, size_t max_output, char **ret_output,
                      int *ret_exit_status, Error *error)
{
    return run_capture(argv, max_output, true, ret_output, ret_exit_status, error);
}

struct ChildWatch {
    uv_poll_t poll;           /* data points back here */
    pid_t pid;
    int pidfd;
    ChildExitCb cb;
    void *userdata;
    bool closing;
};

static void
child_watch_close_cb(uv_handle_t *h)
{
    ChildWatch *w = (ChildWatch *) h->data;

    if (w->pidfd >= 0)
        close(w->pidfd);
    free(w);
}

/* Turns a waitid() result into the status waitpid() would have given. */
static int
siginfo_to_status(const siginfo_t *si)
{
    switch (si->si_code) {
    case CLD_EXITED:
        return (si->si_status & 0xff) << 8;
    case CLD_KILLED:
        return si->si_status & 0x7f;
    case CLD_DUMPED:
        return (si->si_status & 0x7f) | 0x80;
    default:
        return -1;
    }
}

static void
child_watch_poll_cb(uv_poll_t *handle, int uv_status, int events)
{
    ChildWatch *w = handle->data;
    siginfo_t si;
    int status = -1;

    if (w->closing)
        return;
    uv_poll_stop(&w->poll);

    /* A pidfd polls readable once the process has exited. ECHILD means it
     * is not our child (someone else reaps it): status -1. */
    memset(&si, 0, sizeof(si));
    if (waitid(P_PIDFD, w->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0)
        status = siginfo_to_status(&si);

    /* The callback may free the watch: touch nothing afterwards. */
    w->cb(w, w->pid, status, w->userdata);
}

int
child_watch_new(uv_loop_t *loop, pid_t pid, int pidfd, ChildExitCb cb, void *userdata,
                ChildWatch **ret, Error *error)
{
    ChildWatch *w;
    int r;

    if (pidfd < 0) {
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot watch process %d", (int) pid);
    }

    w = xcalloc(1, sizeof(*w));
    w->pid = pid;
    w->pidfd = pidfd;
    w->cb = cb;
    w->userdata = userdata;

    r = uv_poll_init(loop, &w->poll, pidfd);
    if (r < 0) {
        close(pidfd);
        free(w);
        return error_set(error, r, VIR_ERR_SYSTEM_ERROR,
                         "cannot watch process %d: %s", (int) pid, uv_strerror(r));
    }
    w->poll.data = w;
    r = uv_poll_start(&w->poll, UV_READABLE, child_watch_poll_cb);
    if (r < 0) {
        error_set(error, r, VIR_ERR_SYSTEM_ERROR,
                  "cannot watch process %d: %s", (int) pid, uv_strerror(r));
        child_watch_free(w);
        return r;
    }

    *ret = w;
    return 0;
}

void
child_watch_free(ChildWatch *w)
{
    if (!w || w->closing)
        return;
    w->closing = true;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *) &w->poll, child_watch_close_cb);
}

int
process_set_subreaper(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}

int
process_kill(pid_t pid, int pidfd, int sig)
{
    if (pidfd >= 0) {
        if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
            return -errno;
        return 0;
    }
    if (kill(pid, sig) < 0)
        return -errno;
    return 0;
}

int
process_start_time(pid_t pid, uint64_t *ret_ticks)
{
    char path[64], buf[1024];
    unsigned long long ticks;
    const char *p;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    n = file_read_small(path, buf, sizeof(buf));
    if (n < 0)
        return n == -EIO ? -ESRCH : (int) n;
    /* The command name may hold spaces and parentheses: fields count from
     * the last ')'. starttime is the 20th field after it. */
    p = strrchr(buf, ')');
    if (!p)
        return -EBADMSG;
    p++;
    for (int field = 0; field < 19; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            return -EBADMSG;
    }
    if (sscanf(p, " %llu", &ticks) != 1)
        return -EBADMSG;
    *ret_ticks = ticks;
    return 0;
}
