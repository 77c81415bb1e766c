/* child: real processes on a real libuv loop, no sleeps.
 *
 * The test binary doubles as a helper program: "test_child --list-fds"
 * prints the fds it has open, which no shell can do without adding its own. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "test_util.h"

static char self_exe[4096];

static int
helper_list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int count = 0;
    int fds[256];

    if (!d)
        return 2;
    while ((de = readdir(d)) && count < 256) {
        int fd;

        if (de->d_name[0] == '.')
            continue;
        fd = atoi(de->d_name);
        if (fd != dirfd(d))
            fds[count++] = fd;
    }
    closedir(d);
    /* readdir order is numeric for /proc/self/fd, but sort to be sure. */
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (fds[j] < fds[i]) {
                int t = fds[i];
                fds[i] = fds[j];
                fds[j] = t;
            }
    for (int i = 0; i < count; i++)
        printf("%s%d", i ? " " : "", fds[i]);
    printf("\n");
    return 0;
}

/* Spawns @spec with stdout into a pipe, reads it all and reaps the child. */
static int
spawn_capture(ChildSpec *spec, char **ret_out, int *ret_status, Error *error)
{
    auto_cleanup(free_ptr) char *out = xcalloc(1, 65536);
    int pipefd[2];
    size_t len = 0;
    pid_t pid;
    int r;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    spec->stdout_fd = pipefd[1];
    r = child_spawn(spec, &pid, NULL, error);
    close(pipefd[1]);
    if (r < 0) {
        close(pipefd[0]);
        return r;
    }
    for (;;) {
        ssize_t n = read(pipefd[0], out + len, 65535 - len);

        if (n <= 0)
            break;
        len += n;
    }
    close(pipefd[0]);
    if (waitpid(pid, ret_status, 0) != pid)
        return -errno;
    *ret_out = steal_ptr(out);
    return 0;
}

typedef struct WatchResult {
    int calls;
    pid_t pid;
    int status;
    bool free_in_cb;
} WatchResult;

static void
on_exit_cb(ChildWatch *w, pid_t pid, int status, void *userdata)
{
    WatchResult *res = userdata;

    res->calls++;
    res->pid = pid;
    res->status = status;
    if (res->free_in_cb)
        child_watch_free(w);
}

static void
test_true_false(void)
{
    const char *const t_argv[] = { "/bin/true", NULL };
    const char *const f_argv[] = { "false", NULL }; /* from PATH */
    uv_loop_t loop;
    WatchResult rt = { .free_in_cb = true }, rf = { .free_in_cb = true };
    ChildWatch *wt = NULL, *wf = NULL;
    Error error = ERROR_INIT;
    pid_t pt = 0, pf = 0;
    int fdt = -1, fdf = -1;

    CHECK_INT_EQ(uv_loop_init(&loop), 0);
    ChildSpec st = { .argv = t_argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
    ChildSpec sf = { .argv = f_argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
    CHECK_INT_EQ(child_spawn(&st, &pt, &fdt, &error), 0);
    CHECK_INT_EQ(child_spawn(&sf, &pf, &fdf, &error), 0);
    CHECK(pt > 0 && pf > 0 && fdt >= 0 && fdf >= 0);
    CHECK(fcntl(fdt, F_GETFD) & FD_CLOEXEC);
    CHECK_INT_EQ(child_watch_new(&loop, pt, fdt, on_exit_cb, &rt, &wt, &error), 0);
    /* pidfd -1: the watch opens its own. */
    CHECK_INT_EQ(child_watch_new(&loop, pf, -1, on_exit_cb, &rf, &wf, &error), 0);
    close(fdf);
    CHECK(!error_is_set(&error));

    /* Runs until both watches are closed, which happens only after both
     * callbacks ran and freed them. */
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT_EQ(rt.calls, 1);
    CHECK_INT_EQ(rt.pid, pt);
    CHECK(rt.status != -1 && WIFEXITED(rt.status) && WEXITSTATUS(rt.status) == 0);
    CHECK_INT_EQ(rf.calls, 1);
    CHECK_INT_EQ(rf.pid, pf);
    CHECK(rf.status != -1 && WIFEXITED(rf.status) && WEXITSTATUS(rf.status) == 1);

    /* Both were reaped by the watches. */
    CHECK_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
    CHECK_INT_EQ(errno, ECHILD);
    CHECK_INT_EQ(uv_loop_close(&loop), 0);
}

static void
test_kill_and_free(void)
{
    const char *const argv[] = { "/bin/cat", NULL };
    uv_loop_t loop;
    WatchResult res = { .free_in_cb = true }, never = { 0 };
    ChildWatch *w = NULL;
    Error error = ERROR_INIT;
    int in[2];
    pid_t pid = 0;
    int pidfd = -1;
    int status;

    CHECK_INT_EQ(uv_loop_init(&loop), 0);

    /* cat blocks on its stdin until we signal it through the pidfd. */
    CHECK_INT_EQ(pipe2(in, O_CLOEXEC), 0);
    ChildSpec spec = { .argv = argv, .stdin_fd = in[0], .stdout_fd = -1, .stderr_fd = -1 };
    CHECK_INT_EQ(child_spawn(&spec, &pid, &pidfd, &error), 0);
    CHECK_INT_EQ(child_watch_new(&loop, pid, pidfd, on_exit_cb, &res, &w, &error), 0);
    CHECK_INT_EQ(process_kill(pid, pidfd, SIGTERM), 0);
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT_EQ(res.calls, 1);
    CHECK(res.status != -1 && WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGTERM);

    /* A watch freed before the process exits never calls back, and the
     * process is left for its owner to reap. */
    CHECK_INT_EQ(child_spawn(&spec, &pid, NULL, &error), 0);
    CHECK_INT_EQ(child_watch_new(&loop, pid, -1, on_exit_cb, &never, &w, &error), 0);
    child_watch_free(w);
    close(in[1]);               /* cat sees EOF and exits 0 */
    CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_INT_EQ(never.calls, 0);
    CHECK_INT_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(in[0]);

    /* kill() path, without a pidfd. */
    CHECK_INT_EQ(process_kill(pid, -1, 0), -ESRCH);
    CHECK(!error_is_set(&error));
    CHECK_INT_EQ(uv_loop_close(&loop), 0);
}

static void
test_exec_failure(void)
{
    const char *const missing[] = { "/usr/bin/nope", NULL };
    const char *const bare[] = { "no-such-program-here", NULL };
    auto_cleanup(free_ptr) char *plain = xasprintf("/tmp/test_child.%d", (int) getpid());
    const char *const notexec[] = { plain, NULL };
    const char *const ok[] = { "/bin/true", NULL };
    Error error = ERROR_INIT;
    pid_t pid = 0;
    int pidfd = -1;

    ChildSpec spec = { .argv = missing, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
    CHECK_INT_EQ(child_spawn(&spec, &pid, &pidfd, &error), -ENOENT);
    CHECK_INT_EQ(error.code, VIR_ERR_SYSTEM_ERROR);
    CHECK_STR_EQ(error.message, "cannot execute '/usr/bin/nope': No such file or directory");
    CHECK_INT_EQ(pid, 0);
    CHECK_INT_EQ(pidfd, -1);
    error_clear(&error);
    /* The failed child was already reaped. */
    CHECK_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
    CHECK_INT_EQ(errno, ECHILD);

    spec.argv = bare;
    CHECK_INT_EQ(child_spawn(&spec, &pid, NULL, &error), -ENOENT);
    CHECK_STR_EQ(error.message,
                 "cannot execute 'no-such-program-here': No such file or directory");
    error_clear(&error);

    /* Not executable: found by path, refused by execve() in the child. */
    CHECK_INT_EQ(file_write_atomic(notexec[0], "#!/bin/sh\n", 10, 0644, &error), 0);
    spec.argv = notexec;
    CHECK_INT_EQ(child_spawn(&spec, &pid, NULL, &error), -EACCES);
    CHECK(error.message && strstr(error.message, "': Permission denied"));
    error_clear(&error);
    CHECK_INT_EQ(file_remove(notexec[0], &error), 0);

    spec.argv = ok;
    spec.cwd = "/no/such/folder";
    CHECK_INT_EQ(child_spawn(&spec, &pid, NULL, &error), -ENOENT);
    CHECK_STR_EQ(error.message, "cannot change to folder '/no/such/folder' for '/bin/true': "
                 "No such file or directory");
    error_clear(&error);
    CHECK_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
}

static void
test_fds(void)
{
    auto_cleanup(free_ptr) char *out = NULL;
    auto_cleanup(free_ptr) char *want = NULL;
    auto_cleanup(free_ptr) char *msg = NULL;
    const char *argv[] = { self_exe, "--list-fds", NULL };
    Error error = ERROR_INIT;
    int p[2], leak, kept, status = -1;
    char buf[64];
    ssize_t n;

    /* An fd without CLOEXEC must still not reach the child. */
    leak = open("/dev/null", O_RDONLY);
    CHECK(leak >= 0);
    CHECK_INT_EQ(pipe2(p, O_CLOEXEC), 0);
    /* Keep a high fd so it cannot be mistaken for a lowest-free one. */
    kept = fcntl(p[1], F_DUPFD_CLOEXEC, 40);
    CHECK(kept >= 40);

    ChildSpec spec = {
        .argv = argv, .stdin_fd = -1, .stderr_fd = 2,
        .keep_fds = &kept, .n_keep_fds = 1,
    };
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    want = xasprintf("0 1 2 %d\n", kept);
    CHECK_STR_EQ(out, want);
    /* Still CLOEXEC here: only the child's copy was changed. */
    CHECK(fcntl(kept, F_GETFD) & FD_CLOEXEC);

    /* The kept fd really works: a shell writes into our pipe through it. */
    free(steal_ptr(out));
    msg = xasprintf("echo through-fd >&%d", kept);
    const char *sh_argv[] = { "/bin/bash", "-c", msg, NULL }; /* dash stops at fd 9 */
    spec.argv = sh_argv;
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(kept);
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    CHECK_INT_EQ(n, 11);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_STR_EQ(buf, "through-fd\n");
    close(p[0]);
    close(leak);

    /* Keeping 0-2 or a closed fd is refused. */
    int bad[] = { 1 };
    spec.keep_fds = bad;
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), -EBADF);
    error_clear(&error);

    /* stdin from a pipe, stdout to another, stderr to /dev/null. */
    int in[2];
    const char *cat_argv[] = { "cat", NULL };
    CHECK_INT_EQ(pipe2(in, O_CLOEXEC), 0);
    CHECK_INT_EQ(write(in[1], "data\n", 5), 5);
    close(in[1]);
    ChildSpec cat = { .argv = cat_argv, .stdin_fd = in[0], .stderr_fd = -1 };
    free(steal_ptr(out));
    CHECK_INT_EQ(spawn_capture(&cat, &out, &status, &error), 0);
    CHECK_STR_EQ(out, "data\n");
    close(in[0]);
    CHECK(!error_is_set(&error));
}

/* Field @n (1-based, n >= 3) of /proc/PID/stat text. */
static long
stat_field(const char *stat, int n)
{
    const char *p = strrchr(stat, ')');
    long v = -1;

    if (!p)
        return -1;
    p += 2;
    for (int i = 3; i < n && p; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (p)
        v = strtol(p, NULL, 10);
    return v;
}

static void
test_session_env_cwd_signals(void)
{
    auto_cleanup(free_ptr) char *out = NULL;
    const char *stat_argv[] = { "/bin/cat", "/proc/self/stat", NULL };
    const char *env_argv[] = { "/usr/bin/env", NULL };
    const char *pwd_argv[] = { "/bin/pwd", NULL };
    const char *status_argv[] = { "/bin/cat", "/proc/self/status", NULL };
    const char *env[] = { "FOO=bar", "EMPTY=", NULL };
    Error error = ERROR_INIT;
    int status;

    /* In a new session the child leads it: its sid is its pid. */
    ChildSpec spec = { .argv = stat_argv, .stdin_fd = -1, .stderr_fd = 2, .new_session = true };
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), 0);
    CHECK(out && stat_field(out, 6) == strtol(out, NULL, 10));
    CHECK(out && stat_field(out, 6) != getsid(0));
    free(steal_ptr(out));
    spec.new_session = false;
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), 0);
    CHECK(out && stat_field(out, 6) == getsid(0));
    free(steal_ptr(out));

    /* The environment is replaced, not merged. */
    ChildSpec e = { .argv = env_argv, .env = env, .stdin_fd = -1, .stderr_fd = 2 };
    CHECK_INT_EQ(spawn_capture(&e, &out, &status, &error), 0);
    CHECK_STR_EQ(out, "FOO=bar\nEMPTY=\n");
    free(steal_ptr(out));
    /* NULL inherits ours. */
    setenv("CHILD_TEST_MARK", "inherited", 1);
    e.env = NULL;
    CHECK_INT_EQ(spawn_capture(&e, &out, &status, &error), 0);
    CHECK(out && strstr(out, "CHILD_TEST_MARK=inherited\n"));
    free(steal_ptr(out));

    ChildSpec c = { .argv = pwd_argv, .stdin_fd = -1, .stderr_fd = 2, .cwd = "/proc" };
    CHECK_INT_EQ(spawn_capture(&c, &out, &status, &error), 0);
    CHECK_STR_EQ(out, "/proc\n");
    free(steal_ptr(out));

    /* Our blocked and ignored signals do not leak into the child. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal(SIGUSR2, SIG_IGN);
    ChildSpec s = { .argv = status_argv, .stdin_fd = -1, .stderr_fd = 2 };
    CHECK_INT_EQ(spawn_capture(&s, &out, &status, &error), 0);
    CHECK(out && strstr(out, "\nSigBlk:\t0000000000000000\n"));
    CHECK(out && strstr(out, "\nSigIgn:\t0000000000000000\n"));
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR2, SIG_DFL);
    CHECK(!error_is_set(&error));
}

static void
test_run_capture(void)
{
    auto_cleanup(free_ptr) char *out = NULL;
    const char *const echo_argv[] = { "echo", "hello", "world", NULL };
    const char *const false_argv[] = { "/bin/false", NULL };
    const char *const missing[] = { "/usr/bin/nope", NULL };
    Error error = ERROR_INIT;
    int status = -1;

    CHECK_INT_EQ(child_run_capture(echo_argv, 1024, &out, &status, &error), 0);
    CHECK_STR_EQ(out, "hello world\n");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(steal_ptr(out));

    /* Exactly at the limit is fine, one byte over is not. */
    CHECK_INT_EQ(child_run_capture(echo_argv, 12, &out, &status, &error), 0);
    free(steal_ptr(out));
    CHECK_INT_EQ(child_run_capture(echo_argv, 11, &out, &status, &error), -EFBIG);
    CHECK(out == NULL);
    CHECK_INT_EQ(error.code, VIR_ERR_SYSTEM_ERROR);
    error_clear(&error);

    CHECK_INT_EQ(child_run_capture(false_argv, 10, &out, &status, &error), 0);
    CHECK_STR_EQ(out, "");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    free(steal_ptr(out));

    CHECK_INT_EQ(child_run_capture(missing, 10, &out, &status, &error), -ENOENT);
    CHECK_STR_EQ(error.message, "cannot execute '/usr/bin/nope': No such file or directory");
    error_clear(&error);
    CHECK_INT_EQ(waitpid(-1, NULL, WNOHANG), -1);
}

/* Starts a process that is not our child: sh puts `sleep` in the background,
 * prints its pid and exits, so the sleep is re-parented away from us (or to
 * us when we are a subreaper). */
static pid_t
start_orphan(void)
{
    auto_cleanup(free_ptr) char *out = NULL;
    const char *const argv[] = {
        "/bin/sh", "-c", "sleep 600 </dev/null >/dev/null 2>&1 & echo $!", NULL
    };
    Error error = ERROR_INIT;
    int status;

    if (child_run_capture(argv, 64, &out, &status, &error) < 0) {
        TEST_FAIL("%s", error.message);
        error_clear(&error);
        return -1;
    }
    return (pid_t) strtol(out, NULL, 10);
}

static void
test_watch_non_child(void)
{
    uv_loop_t loop;
    WatchResult res = { .free_in_cb = true };
    ChildWatch *w = NULL;
    Error error = ERROR_INIT;
    pid_t pid = -1, helper;
    int status, p[2];

    /* The orphan goes to a subreaper helper of ours, so it is our grandchild
     * (not our child) and the helper reaps it: no zombie is left behind
     * whatever PID 1 does. */
    CHECK_INT_EQ(pipe2(p, O_CLOEXEC), 0);
    helper = fork();
    if (helper == 0) {
        pid_t orphan;

        close(p[0]);
        if (process_set_subreaper() < 0)
            _exit(10);
        orphan = start_orphan();
        if (orphan <= 0 || write(p[1], &orphan, sizeof(orphan)) != sizeof(orphan))
            _exit(11);
        close(p[1]);
        if (waitpid(orphan, &status, 0) != orphan)
            _exit(12);
        _exit(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 13);
    }
    close(p[1]);
    CHECK(helper > 0);
    CHECK_INT_EQ(read(p[0], &pid, sizeof(pid)), sizeof(pid));
    close(p[0]);
    CHECK(pid > 0);
    if (pid > 0) {
        CHECK_INT_EQ(uv_loop_init(&loop), 0);
        CHECK_INT_EQ(child_watch_new(&loop, pid, -1, on_exit_cb, &res, &w, &error), 0);
        CHECK_INT_EQ(process_kill(pid, -1, SIGKILL), 0);
        CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
        CHECK_INT_EQ(res.calls, 1);
        CHECK_INT_EQ(res.pid, pid);
        CHECK_INT_EQ(res.status, -1);
        CHECK_INT_EQ(uv_loop_close(&loop), 0);
    }
    CHECK_INT_EQ(waitpid(helper, &status, 0), helper);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* A subreaper adopts the orphan, so its watch reaps it with a real status.
     * Done in a forked helper so this process does not become a subreaper. */
    helper = fork();
    if (helper == 0) {
        WatchResult r2 = { .free_in_cb = true };
        uv_loop_t l2;

        if (process_set_subreaper() < 0)
            _exit(10);
        pid = start_orphan();
        if (pid <= 0)
            _exit(11);
        uv_loop_init(&l2);
        if (child_watch_new(&l2, pid, -1, on_exit_cb, &r2, &w, NULL) < 0)
            _exit(12);
        process_kill(pid, -1, SIGKILL);
        uv_run(&l2, UV_RUN_DEFAULT);
        if (r2.calls != 1 || r2.status == -1)
            _exit(13);
        if (!WIFSIGNALED(r2.status) || WTERMSIG(r2.status) != SIGKILL)
            _exit(14);
        _exit(0);
    }
    CHECK(helper > 0);
    CHECK_INT_EQ(waitpid(helper, &status, 0), helper);
    CHECK(WIFEXITED(status));
    CHECK_INT_EQ(WEXITSTATUS(status), 0);
    error_clear(&error);
}

static void *
spawn_many(void *arg)
{
    const char *const argv[] = { "/bin/echo", "x", NULL };
    long failures = 0;

    for (int i = 0; i < 40; i++) {
        char *out = NULL;
        int status = -1;
        Error error = ERROR_INIT;

        if (child_run_capture(argv, 16, &out, &status, &error) < 0 || !out ||
            !STREQ(out, "x\n") || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failures++;
        free(out);
        error_clear(&error);
    }
    return (void *) failures;
}

/* Threads spawning at once must neither block each other for long nor leak
 * their pipes into each other's children (a leaked capture pipe would make
 * the other thread's read wait for a stranger's exit). */
static void
test_threads(void)
{
    pthread_t t[3];
    void *res;

    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        CHECK_INT_EQ(pthread_create(&t[i], NULL, spawn_many, NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        CHECK_INT_EQ(pthread_join(t[i], &res), 0);
        CHECK_INT_EQ((long) res, 0);
    }
}

/* A child as nobody: real, effective and saved ids and the groups are
 * nobody's, and nothing of ours (root's groups) is left. */
static void
test_user(void)
{
    auto_cleanup(free_ptr) char *out = NULL;
    const char *argv[] = { "/bin/cat", "/proc/self/status", NULL };
    const char *false_argv[] = { "/bin/true", NULL };
    Error error = ERROR_INIT;
    struct passwd *pw = getpwnam("nobody");
    gid_t groups[1];
    char want[128];
    int status;

    if (geteuid() != 0 || !pw) {
        printf("# skipped test_user: needs root and a 'nobody' user\n");
        return;
    }
    groups[0] = pw->pw_gid;
    ChildSpec spec = { .argv = argv, .stdin_fd = -1, .stderr_fd = 2, .set_ids = true,
                       .uid = pw->pw_uid, .gid = pw->pw_gid, .groups = groups, .n_groups = 1 };
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(want, sizeof(want), "\nUid:\t%u\t%u\t%u\t%u\n", (unsigned) pw->pw_uid,
             (unsigned) pw->pw_uid, (unsigned) pw->pw_uid, (unsigned) pw->pw_uid);
    CHECK(out && strstr(out, want));
    snprintf(want, sizeof(want), "\nGid:\t%u\t%u\t%u\t%u\n", (unsigned) pw->pw_gid,
             (unsigned) pw->pw_gid, (unsigned) pw->pw_gid, (unsigned) pw->pw_gid);
    CHECK(out && strstr(out, want));
    snprintf(want, sizeof(want), "\nGroups:\t%u \n", (unsigned) pw->pw_gid);
    CHECK(out && strstr(out, want));
    CHECK(out && strstr(out, "\nCapEff:\t0000000000000000\n"));
    free(steal_ptr(out));

    /* No groups at all: the list is emptied, not kept. */
    spec.n_groups = 0;
    spec.groups = NULL;
    CHECK_INT_EQ(spawn_capture(&spec, &out, &status, &error), 0);
    CHECK(out && strstr(out, "\nGroups:\t \n"));
    free(steal_ptr(out));
    CHECK(!error_is_set(&error));

    /* A program the user may not run fails as an exec error, reported here. */
    auto_cleanup(free_ptr) char *dir = xstrdup("/tmp/test-child-XXXXXX");
    auto_cleanup(free_ptr) char *prog = NULL;
    CHECK(mkdtemp(dir) != NULL);
    prog = xasprintf("%s/true", dir);
    CHECK_INT_EQ(symlink("/bin/true", prog), 0);
    false_argv[0] = prog;
    ChildSpec denied = { .argv = false_argv, .stdin_fd = -1, .stderr_fd = 2, .set_ids = true,
                         .uid = pw->pw_uid, .gid = pw->pw_gid };
    pid_t pid;
    CHECK_INT_EQ(child_spawn(&denied, &pid, NULL, &error), -EACCES);
    CHECK(error.message && strstr(error.message, "Permission denied"));
    error_clear(&error);
    unlink(prog);
    rmdir(dir);
}

/* The gate: the child does nothing before @forked has run in the parent,
 * and a refusal from @forked means it never runs its program. */
typedef struct GateSeen {
    pid_t pid;
    char cmdline[256];
    int result;
} GateSeen;

static int
gate_forked(pid_t pid, void *userdata)
{
    GateSeen *seen = userdata;
    char path[64];
    ssize_t n;
    int fd;

    seen->pid = pid;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? read(fd, seen->cmdline, sizeof(seen->cmdline) - 1) : -1;
    if (fd >= 0)
        close(fd);
    seen->cmdline[n > 0 ? n : 0] = '\0';
    return seen->result;
}

static void
test_gate(void)
{
    char dir[] = "/tmp/test_child_gate.XXXXXX";
    auto_cleanup(free_ptr) char *marker = NULL, *script = NULL;
    Error error = ERROR_INIT;
    GateSeen seen = { 0 };
    uint64_t t1 = 0, t2 = 0, self = 0;
    pid_t pid = 0;
    int status;

    CHECK(mkdtemp(dir) != NULL);
    marker = xasprintf("%s/ran", dir);
    script = xasprintf("touch %s", marker);
    const char *const argv[] = { "/bin/sh", "-c", script, NULL };
    ChildSpec spec = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
                       .forked = gate_forked, .forked_userdata = &seen };

    /* Refused: the child exits without running /bin/sh, and is reaped. */
    seen.result = -EIO;
    CHECK_INT_EQ(child_spawn(&spec, &pid, NULL, &error), -EIO);
    CHECK(error.message && strstr(error.message, "cannot start '/bin/sh'"));
    error_clear(&error);
    CHECK(seen.pid > 0);
    CHECK(access(marker, F_OK) < 0);
    CHECK_INT_EQ(waitpid(seen.pid, NULL, WNOHANG), -1);

    /* Allowed: the parent saw the pid while the child was still ours, not
     * yet /bin/sh; the program ran after. */
    seen = (GateSeen) { 0 };
    CHECK_INT_EQ(child_spawn(&spec, &pid, NULL, &error), 0);
    CHECK_INT_EQ(seen.pid, pid);
    CHECK(strstr(seen.cmdline, "test_child") != NULL);
    CHECK_INT_EQ(process_start_time(pid, &t1), 0);
    CHECK_INT_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT_EQ(access(marker, F_OK), 0);
    CHECK_INT_EQ(process_start_time(pid, &t2), -ENOENT);

    /* Our own start time: earlier than the child's, and stable. */
    CHECK_INT_EQ(process_start_time(getpid(), &self), 0);
    CHECK(self > 0 && self <= t1);
    CHECK_INT_EQ(process_start_time(getpid(), &t2), 0);
    CHECK_INT_EQ(t2, self);

    unlink(marker);
    rmdir(dir);
}

int
main(int argc, char **argv)
{
    ssize_t n;

    if (argc > 1 && STREQ(argv[1], "--list-fds"))
        return helper_list_fds();

    n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';

    test_exec_failure();
    test_true_false();
    test_kill_and_free();
    test_fds();
    test_session_env_cwd_signals();
    test_run_capture();
    test_watch_non_child();
    test_threads();
    test_user();
    test_gate();
    return test_result();
}
