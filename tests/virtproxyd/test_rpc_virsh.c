/* The codec against the real client: a small server made of rpc_message.c
 * answers Debian's virsh (libvirt 9.0) on a unix socket, and the test checks
 * the messages virsh sends (in the order remote-protocol.md gives) and what
 * virsh prints from the replies. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "rpc_message.h"
#include "test_util.h"

#define TIMEOUT_MS 30000

typedef struct Seen {
    int proc;
    uint32_t serial;
    int32_t type;
    int feature;        /* for SUPPORTS_FEATURE */
} Seen;

typedef struct Session {
    Seen seen[64];
    size_t n_seen;
    char open_name[256];
    unsigned open_flags;
    bool eof;
} Session;

static char dir[] = "/tmp/test-rpc-virsh-XXXXXX";
static char sock_path[100];

static void
send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            TEST_FAIL("write to virsh failed: %s", strerror(errno));
            return;
        }
        p += n;
        len -= n;
    }
}

static void
reply(int fd, const RpcHeader *call, xdrproc_t proc, const void *ret)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    size_t len;

    CHECK_INT_EQ(rpc_encode_reply(call, proc, ret, &buf, &len, NULL), 0);
    if (buf)
        send_all(fd, buf, len);
}

static void
reply_error(int fd, const RpcHeader *call, int code, const char *message)
{
    auto_cleanup(free_ptr) void *buf = NULL;
    Error err = ERROR_INIT;
    size_t len;

    error_set(&err, -EIO, code, "%s", message);
    CHECK_INT_EQ(rpc_encode_error(call, &err, &buf, &len), 0);
    send_all(fd, buf, len);
    error_clear(&err);
}

static void
handle(Session *s, int fd, const RpcMessage *m)
{
    const RpcHeader *h = &m->header;
    Seen *seen = &s->seen[s->n_seen < ARRAY_SIZE(s->seen) ? s->n_seen++ : s->n_seen - 1];

    seen->proc = h->proc;
    seen->serial = h->serial;
    seen->type = h->type;
    seen->feature = -1;
    if (h->prog == KEEPALIVE_PROGRAM) {
        if (h->proc == KEEPALIVE_PROC_PING) {
            auto_cleanup(free_ptr) void *buf = NULL;
            size_t len;
            rpc_encode_keepalive(KEEPALIVE_PROC_PONG, &buf, &len);
            send_all(fd, buf, len);
        }
        return;
    }
    CHECK_INT_EQ(h->prog, REMOTE_PROGRAM);
    CHECK_INT_EQ(h->vers, REMOTE_PROTOCOL_VERSION);
    CHECK_INT_EQ(h->type, REMOTE_MESSAGE_CALL);
    CHECK_INT_EQ(h->status, REMOTE_MESSAGE_OK);

    switch (h->proc) {
    case REMOTE_PROC_AUTH_LIST: {
        remote_auth_type none = REMOTE_AUTH_NONE;
        remote_auth_list_ret ret = { { 1, &none } };
        reply(fd, h, (xdrproc_t) xdr_remote_auth_list_ret, &ret);
        break;
    }
    case REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: {
        remote_connect_supports_feature_args args = { 0 };
        remote_connect_supports_feature_ret ret = { 0 };
        CHECK_INT_EQ(rpc_message_decode_body(m,
                     (xdrproc_t) xdr_remote_connect_supports_feature_args, &args, NULL), 0);
        seen->feature = args.feature;
        /* No keepalive (10), no close callback (15); event callbacks (14)
         * and typed parameter strings (9) yes. */
        ret.supported = args.feature == 14 || args.feature == 9;
        reply(fd, h, (xdrproc_t) xdr_remote_connect_supports_feature_ret, &ret);
        break;
    }
    case REMOTE_PROC_CONNECT_OPEN: {
        remote_connect_open_args args = { 0 };
        CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_connect_open_args,
                                             &args, NULL), 0);
        snprintf(s->open_name, sizeof(s->open_name), "%s",
                 args.name ? *args.name : "(null)");
        s->open_flags = args.flags;
        xdr_free((xdrproc_t) xdr_remote_connect_open_args, &args);
        reply(fd, h, NULL, NULL);
        break;
    }
    case REMOTE_PROC_CONNECT_GET_TYPE: {
        remote_connect_get_type_ret ret = { (char *) "QEMU" };
        reply(fd, h, (xdrproc_t) xdr_remote_connect_get_type_ret, &ret);
        break;
    }
    case REMOTE_PROC_CONNECT_GET_VERSION: {
        remote_connect_get_version_ret ret = { 7002000 };
        reply(fd, h, (xdrproc_t) xdr_remote_connect_get_version_ret, &ret);
        break;
    }
    case REMOTE_PROC_CONNECT_GET_LIB_VERSION: {
        remote_connect_get_lib_version_ret ret = { 9000000 };
        reply(fd, h, (xdrproc_t) xdr_remote_connect_get_lib_version_ret, &ret);
        break;
    }
    case REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS: {
        remote_connect_list_all_domains_args args = { 0 };
        remote_nonnull_domain doms[2] = {
            { (char *) "vm-two", { 2 }, 7 },
            { (char *) "vm1", { 1 }, 3 },
        };
        remote_connect_list_all_domains_ret ret = { { 2, doms }, 2 };
        CHECK_INT_EQ(rpc_message_decode_body(m,
                     (xdrproc_t) xdr_remote_connect_list_all_domains_args, &args, NULL), 0);
        CHECK_INT_EQ(args.need_results, 1);
        CHECK_INT_EQ(args.flags, 1);
        reply(fd, h, (xdrproc_t) xdr_remote_connect_list_all_domains_ret, &ret);
        break;
    }
    case REMOTE_PROC_DOMAIN_GET_STATE: {
        remote_domain_get_state_args args = { 0 };
        remote_domain_get_state_ret ret = { 1, 1 };
        CHECK_INT_EQ(rpc_message_decode_body(m, (xdrproc_t) xdr_remote_domain_get_state_args,
                                             &args, NULL), 0);
        if (strcmp(args.dom.name, "vm-two") == 0)
            ret.state = 3;  /* paused */
        CHECK(args.dom.id == 3 || args.dom.id == 7);
        xdr_free((xdrproc_t) xdr_remote_domain_get_state_args, &args);
        reply(fd, h, (xdrproc_t) xdr_remote_domain_get_state_ret, &ret);
        break;
    }
    case REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME: {
        remote_domain_lookup_by_name_args args = { 0 };
        char msg[512];
        CHECK_INT_EQ(rpc_message_decode_body(m,
                     (xdrproc_t) xdr_remote_domain_lookup_by_name_args, &args, NULL), 0);
        snprintf(msg, sizeof(msg), "Domain not found: no domain with matching name '%s'",
                 args.name);
        xdr_free((xdrproc_t) xdr_remote_domain_lookup_by_name_args, &args);
        reply_error(fd, h, VIR_ERR_NO_DOMAIN, msg);
        break;
    }
    case REMOTE_PROC_CONNECT_CLOSE:
        reply(fd, h, NULL, NULL);
        break;
    default: {
        char msg[128];
        snprintf(msg, sizeof(msg),
                 "this function is not supported by the connection driver: proc %d", h->proc);
        reply_error(fd, h, VIR_ERR_NO_SUPPORT, msg);
        break;
    }
    }
}

/* Serves one virsh connection until EOF. */
static void
serve(Session *s, int lfd)
{
    auto_cleanup(rpc_decoder_freep) RpcDecoder *d = rpc_decoder_new(0);
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    uint8_t buf[65536];
    int fd;

    if (poll(&p, 1, TIMEOUT_MS) != 1) {
        TEST_FAIL("virsh did not connect");
        return;
    }
    fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    CHECK(fd >= 0);
    for (;;) {
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, TIMEOUT_MS) != 1) {
            TEST_FAIL("virsh went silent");
            break;
        }
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            s->eof = n == 0;
            CHECK(rpc_decoder_is_idle(d));
            break;
        }
        size_t off = 0;
        while (off < (size_t) n) {
            RpcMessage *m = NULL;
            size_t used;
            Error error = ERROR_INIT;
            int r = rpc_decoder_feed(d, buf + off, n - off, &used, &m, &error);

            if (r < 0) {
                TEST_FAIL("bad frame from virsh: %s", error.message);
                error_clear(&error);
                close(fd);
                return;
            }
            off += used;
            if (r == 1) {
                handle(s, fd, m);
                rpc_message_free(m);
            }
        }
    }
    close(fd);
}

/* Runs virsh with @cmd against the socket, serving it; returns its exit
 * status, with stdout and stderr in @out and @err. */
static int
run_virsh(const char *virsh, Session *s, const char *const *cmd, char *out, size_t outsz,
          char *err, size_t errsz)
{
    char uri[256], out_path[160], err_path[160];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int lfd, status = -1;
    pid_t pid;

    snprintf(uri, sizeof(uri), "qemu+unix:///system?socket=%s", sock_path);
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    snprintf(err_path, sizeof(err_path), "%s/err", dir);
    unlink(sock_path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) == 0);
    CHECK(listen(lfd, 4) == 0);

    pid = fork();
    if (pid == 0) {
        const char *argv[16] = { "virsh", "-c", uri };
        size_t i = 3;
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        for (; *cmd && i < ARRAY_SIZE(argv) - 1; cmd++)
            argv[i++] = *cmd;
        dup2(o, 1);
        dup2(e, 2);
        setenv("HOME", dir, 1);
        setenv("XDG_CONFIG_HOME", dir, 1);
        setenv("XDG_CACHE_HOME", dir, 1);
        setenv("XDG_RUNTIME_DIR", dir, 1);
        unsetenv("LIBVIRT_DEFAULT_URI");
        unsetenv("VIRSH_DEFAULT_CONNECT_URI");
        execv(virsh, (char **) argv);
        _exit(127);
    }
    serve(s, lfd);
    close(lfd);
    if (waitpid(pid, &status, 0) != pid)
        status = -1;

    FILE *f;
    out[0] = err[0] = '\0';
    if ((f = fopen(out_path, "r"))) {
        out[fread(out, 1, outsz - 1, f)] = '\0';
        fclose(f);
    }
    if ((f = fopen(err_path, "r"))) {
        err[fread(err, 1, errsz - 1, f)] = '\0';
        fclose(f);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The open sequence of section 3.1, as virsh sends it. */
static void
check_open_sequence(const Session *s)
{
    CHECK(s->n_seen >= 5);
    if (s->n_seen < 5)
        return;
    CHECK_INT_EQ(s->seen[0].proc, REMOTE_PROC_AUTH_LIST);
    CHECK_INT_EQ(s->seen[0].serial, 0);
    CHECK_INT_EQ(s->seen[1].proc, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE);
    CHECK_INT_EQ(s->seen[1].feature, 10);
    CHECK_INT_EQ(s->seen[1].serial, 1);
    CHECK_INT_EQ(s->seen[2].proc, REMOTE_PROC_CONNECT_OPEN);
    CHECK_INT_EQ(s->seen[2].serial, 2);
    CHECK_INT_EQ(s->seen[3].proc, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE);
    CHECK_INT_EQ(s->seen[3].feature, 14);
    CHECK_INT_EQ(s->seen[4].proc, REMOTE_PROC_CONNECT_SUPPORTS_FEATURE);
    CHECK_INT_EQ(s->seen[4].feature, 15);
    CHECK_STR_EQ(s->open_name, "qemu:///system");
    CHECK_INT_EQ(s->open_flags, 0);
    /* The last call closes the connection, then virsh hangs up cleanly. */
    CHECK_INT_EQ(s->seen[s->n_seen - 1].proc, REMOTE_PROC_CONNECT_CLOSE);
    CHECK(s->eof);
    for (size_t i = 1; i < s->n_seen; i++)
        CHECK_INT_EQ(s->seen[i].serial, s->seen[i - 1].serial + 1);
}

static void
dump(const Session *s, const char *out, const char *err)
{
    fprintf(stderr, "calls:");
    for (size_t i = 0; i < s->n_seen; i++)
        fprintf(stderr, " %d", s->seen[i].proc);
    fprintf(stderr, "\nstdout:\n%s\nstderr:\n%s\n", out, err);
}

int
main(void)
{
    const char *virsh = getenv("VIRSH");
    char out[8192], err[8192];
    int rc;

    if (!virsh || !*virsh || access(virsh, X_OK) != 0) {
        fprintf(stderr, "virsh is not installed\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(sock_path, sizeof(sock_path), "%s/libvirt-sock", dir);

    /* version: 3 GET_TYPE and 4 GET_VERSION after the open. */
    {
        Session s = { 0 };
        const char *cmd[] = { "version", NULL };

        rc = run_virsh(virsh, &s, cmd, out, sizeof(out), err, sizeof(err));
        CHECK_INT_EQ(rc, 0);
        check_open_sequence(&s);
        CHECK(s.n_seen == 8 && s.seen[5].proc == REMOTE_PROC_CONNECT_GET_TYPE &&
              s.seen[6].proc == REMOTE_PROC_CONNECT_GET_VERSION);
        CHECK(strstr(out, "Using API: QEMU 9.0.0") != NULL);
        CHECK(strstr(out, "Running hypervisor: QEMU 7.2.0") != NULL);
        if (test_failures)
            dump(&s, out, err);
    }

    /* list: 273 {1, 1}, then 212 per domain; virsh sorts by id. */
    {
        Session s = { 0 };
        const char *cmd[] = { "list", NULL };
        int before = test_failures;

        rc = run_virsh(virsh, &s, cmd, out, sizeof(out), err, sizeof(err));
        CHECK_INT_EQ(rc, 0);
        check_open_sequence(&s);
        CHECK(s.n_seen >= 6 && s.seen[5].proc == REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS);
        const char *a = strstr(out, " 3    vm1      running");
        const char *b = strstr(out, " 7    vm-two   paused");
        CHECK(a != NULL && b != NULL && a < b);
        if (test_failures != before)
            dump(&s, out, err);
    }

    /* Error replies: virsh prints the message of ours it reads back. */
    {
        Session s = { 0 };
        const char *cmd[] = { "hostname", NULL };
        int before = test_failures;

        rc = run_virsh(virsh, &s, cmd, out, sizeof(out), err, sizeof(err));
        CHECK_INT_EQ(rc, 1);
        check_open_sequence(&s);
        CHECK(s.n_seen >= 6 && s.seen[5].proc == REMOTE_PROC_CONNECT_GET_HOSTNAME);
        CHECK(strstr(err, "error: this function is not supported by the connection driver: "
                          "proc 59\n") != NULL);
        if (test_failures != before)
            dump(&s, out, err);
    }
    {
        Session s = { 0 };
        const char *cmd[] = { "domstate", "nosuch", NULL };
        int before = test_failures;

        rc = run_virsh(virsh, &s, cmd, out, sizeof(out), err, sizeof(err));
        CHECK_INT_EQ(rc, 1);
        check_open_sequence(&s);
        CHECK(s.n_seen >= 6 && s.seen[5].proc == REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME);
        CHECK(strstr(err, "error: failed to get domain 'nosuch'\n") != NULL);
        if (test_failures != before)
            dump(&s, out, err);
    }

    unlink(sock_path);
    char path[160];
    snprintf(path, sizeof(path), "%s/out", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/err", dir);
    unlink(path);
    rmdir(dir);
    return test_result();
}
