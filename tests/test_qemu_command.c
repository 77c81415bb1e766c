/* qemu_address + qemu_command: tests/data/qemu_command/NAME.xml goes through
 * post_parse, assign_addresses, assign_aliases and build with a fixed
 * context, and the argv is compared with NAME.args (or the error with
 * NAME.err: "CodeName: message"). REGENERATE=1 rewrites the expected files.
 * Then a minimal TCG argv is really run by QEMU, over an inherited QMP
 * socket. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain_def.h"
#include "fileutil.h"
#include "qemu_address.h"
#include "qemu_command.h"
#include "qemu_hostdev_usb.h"
#include "qemu_memory.h"
#include "test_util.h"

enum {
    T_KVM = 1 << 0, /* kvm_available */
    T_TAP = 1 << 1, /* a tap fd (40 + i) for every interface */
    T_VNC = 1 << 2, /* the driver picked VNC port 5907 */
};

static bool regenerate;

static char *
data_path(const char *name, const char *ext)
{
    const char *src = getenv("SRCDIR");

    return xasprintf("%s/tests/data/qemu_command/%s%s", src ? src : "..", name, ext);
}

static char *
read_text(const char *path)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    char *data = NULL;
    size_t len;

    if (file_read_all(path, 1 << 20, &data, &len, &error) < 0)
        return NULL;
    return data;
}

static void
write_text(const char *path, const char *text)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;

    if (file_write_atomic(path, text, strlen(text), 0644, &error) < 0)
        TEST_FAIL("cannot write %s: %s", path, error.message);
}

/* A sysfs USB tree as the host's /sys/bus/usb/devices: devices (name,
 * vendor, product, bus, devno) and an interface, which is skipped. */
static char usb_dir[] = "/tmp/test-qemu-usb-XXXXXX";

static void
usb_device(const char *name, const char *vendor, const char *product, const char *bus,
           const char *devno)
{
    const char *attrs[][2] = { { "idVendor", vendor }, { "idProduct", product },
                               { "busnum", bus }, { "devnum", devno } };
    auto_cleanup(free_ptr) char *dir = xasprintf("%s/%s", usb_dir, name);

    mkdir(dir, 0755);
    for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
        auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", dir, attrs[i][0]);
        auto_cleanup(free_ptr) char *text = xasprintf("%s\n", attrs[i][1]);

        write_text(path, text);
    }
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
usb_tree_remove(void)
{
    nftw(usb_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
usb_tree(void)
{
    if (!mkdtemp(usb_dir)) {
        TEST_FAIL("mkdtemp: %s", strerror(errno));
        return;
    }
    usb_device("usb1", "1d6b", "0002", "1", "1");
    usb_device("1-1", "1234", "beef", "1", "5");
    usb_device("1-2", "046d", "c52b", "1", "7");
    usb_device("2-1", "046d", "c52b", "2", "3");
    {
        auto_cleanup(free_ptr) char *iface = xasprintf("%s/1-1:1.0", usb_dir);

        mkdir(iface, 0755); /* an interface: no attributes, skipped */
    }
}

/* libvirt's virHostdevFindUSBDevice: by ids, by address, by both; one
 * missing (startupPolicy='optional' or not), two that match. */
static void
test_usb_find(void)
{
    static const struct {
        unsigned vendor, product, bus, device;
        const char *policy;
        int r;
        const char *path_or_error;
    } cases[] = {
        { 0x1234, 0xbeef, 0, 0, NULL, 0, "/dev/bus/usb/001/005" },
        { 0, 0, 2, 3, NULL, 0, "/dev/bus/usb/002/003" },
        { 0x046d, 0xc52b, 2, 3, NULL, 0, "/dev/bus/usb/002/003" },
        { 0x046d, 0xc52b, 0, 0, NULL, -EINVAL,
          "operation failed: Multiple USB devices for 46d:c52b, use <address> to specify one" },
        { 0x1111, 0x2222, 0, 0, NULL, -ENOENT,
          "internal error: Did not find USB device 1111:2222" },
        { 0, 0, 3, 9, NULL, -ENOENT, "internal error: Did not find USB device bus:3 device:9" },
        { 0x1234, 0xbeef, 2, 3, NULL, -ENOENT,
          "internal error: Did not find USB device 1234:beef bus:2 device:3" },
        { 0x1111, 0x2222, 0, 0, "optional", 0, NULL },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        auto_cleanup(error_clear) Error error = ERROR_INIT;
        DomainHostdev h = { .type = HOSTDEV_USB, .usb_vendor = cases[i].vendor,
                            .usb_product = cases[i].product, .usb_bus = cases[i].bus,
                            .usb_device = cases[i].device,
                            .startup_policy = (char *) cases[i].policy };

        CHECK_INT_EQ(qemu_usb_find(usb_dir, &h, &error), cases[i].r);
        if (cases[i].r < 0)
            CHECK_STR_EQ(error.message, cases[i].path_or_error);
        else if (cases[i].path_or_error)
            CHECK_STR_EQ(h.usb_dev_path, cases[i].path_or_error);
        else
            CHECK(h.usb_dev_path == NULL);
        free(h.usb_dev_path);
    }
    {
        auto_cleanup(error_clear) Error error = ERROR_INIT;
        DomainHostdev h = { .type = HOSTDEV_USB, .usb_vendor = 1, .usb_product = 1 };

        CHECK_INT_EQ(qemu_usb_find("/nonexistent/usb", &h, &error), -ENOENT);
        CHECK_INT_EQ(error.code, VIR_ERR_SYSTEM_ERROR);
    }
}

static int
prepare(DomainDef *def, Error *error)
{
    int r = qemu_domain_post_parse(def, error);

    if (r >= 0)
        r = qemu_domain_assign_addresses(def, error);
    if (r >= 0)
        qemu_domain_assign_aliases(def);
    if (r >= 0)
        r = qemu_memory_prepare(def, error);
    if (r >= 0)
        r = qemu_usb_find_all(usb_dir, def, error);
    return r;
}

/* Runs one case; returns the text compared with the expected file and sets
 * *ret_failed when the build failed. */
static char *
run_case(const char *name, unsigned flags, bool *ret_failed)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(strv_freep) char **argv = NULL;
    auto_cleanup(strv_freep) char **env = NULL;
    auto_cleanup(free_ptr) char *xml_path = data_path(name, ".xml");
    auto_cleanup(free_ptr) char *xml = read_text(xml_path);
    auto_cleanup(free_ptr) char *monitor = xasprintf("/run/libvirt/qemu/%s.monitor", name);
    auto_cleanup(free_ptr) char *pidfile = xasprintf("/run/libvirt/qemu/%s.pid", name);
    auto_cleanup(free_ptr) char *chandir =
        xasprintf("/var/lib/libvirt/qemu/channel/target/domain-%s", name);
    int taps[8] = { 40, 41, 42, 43, 44, 45, 46, 47 };
    int vnc[1] = { 5907 };
    QemuCommandContext ctx = {
        .monitor_path = monitor,
        .monitor_fd = -1,
        .pidfile = pidfile,
        .channel_dir = chandir,
        .kvm_available = flags & T_KVM,
        .vnc_ports = flags & T_VNC ? vnc : NULL,
        .net_fds = flags & T_TAP ? taps : NULL,
    };
    int r;

    *ret_failed = false;
    if (!xml) {
        TEST_FAIL("%s: cannot read %s", name, xml_path);
        return NULL;
    }
    r = domain_def_parse(xml, &def, &error);
    if (r < 0) {
        TEST_FAIL("%s: parse failed: %s", name, error.message);
        return NULL;
    }
    /* Seeds without a <uuid> get a random one: make it stable. */
    if (def->uuid_generated)
        uuid_parse("00000000-0000-4000-8000-000000000001", &def->uuid);
    r = prepare(def, &error);
    if (r >= 0)
        r = qemu_command_build(def, &ctx, &argv, &env, &error);
    if (r < 0) {
        *ret_failed = true;
        CHECK(error.message != NULL);
        return xasprintf("%s: %s\n", error_code_to_name(error.code),
                         error.message ? error.message : "");
    }
    CHECK(argv && env);
    return qemu_command_to_string(argv, env);
}

static void
test_case(const char *name, unsigned flags)
{
    auto_cleanup(free_ptr) char *args_path = data_path(name, ".args");
    auto_cleanup(free_ptr) char *err_path = data_path(name, ".err");
    auto_cleanup(free_ptr) char *got = NULL;
    auto_cleanup(free_ptr) char *want = NULL;
    bool failed;

    got = run_case(name, flags, &failed);
    if (!got)
        return;
    if (regenerate) {
        unlink(failed ? args_path : err_path);
        write_text(failed ? err_path : args_path, got);
        return;
    }
    want = read_text(failed ? err_path : args_path);
    if (!want) {
        TEST_FAIL("%s: build %s, but %s does not exist", name,
                  failed ? "failed" : "succeeded", failed ? err_path : args_path);
        fprintf(stderr, "%s", got);
        return;
    }
    if (!STREQ(got, want)) {
        TEST_FAIL("%s: output differs from %s", name, failed ? err_path : args_path);
        fprintf(stderr, "--- got:\n%s--- expected:\n%s", got, want);
    }
}

/* post_parse + assign_addresses twice give the same XML as once, and the
 * XML they produce parses again. */
static void
test_idempotent(const char *name)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(domain_def_freep) DomainDef *def2 = NULL;
    auto_cleanup(free_ptr) char *xml_path = data_path(name, ".xml");
    auto_cleanup(free_ptr) char *xml = read_text(xml_path);
    auto_cleanup(free_ptr) char *once = NULL;
    auto_cleanup(free_ptr) char *twice = NULL;
    auto_cleanup(free_ptr) char *reparsed = NULL;

    if (!xml || domain_def_parse(xml, &def, &error) < 0) {
        TEST_FAIL("%s: cannot parse: %s", name, error.message ? error.message : xml_path);
        return;
    }
    if (prepare(def, &error) < 0) {
        TEST_FAIL("%s: %s", name, error.message);
        return;
    }
    once = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE);
    if (prepare(def, &error) < 0) {
        TEST_FAIL("%s: second run: %s", name, error.message);
        return;
    }
    twice = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE);
    CHECK_STR_EQ(twice, once);

    /* And through the XML: what define stores comes back the same. */
    if (domain_def_parse(once, &def2, &error) < 0) {
        TEST_FAIL("%s: post-parsed XML does not parse: %s", name, error.message);
        fprintf(stderr, "%s", once);
        return;
    }
    if (prepare(def2, &error) < 0) {
        TEST_FAIL("%s: reparsed: %s", name, error.message);
        return;
    }
    reparsed = domain_def_format(def2, -1, DOMAIN_DEF_FORMAT_INACTIVE);
    CHECK_STR_EQ(reparsed, once);
}

static void
test_escape(void)
{
    char *s;
    char *argv[] = { "/usr/bin/qemu", "-name", "guest=a,,b", "-S", "-append", "x 'y'", NULL };
    char *env[] = { "A=b c", NULL };

    s = qemu_escape_option("a,b,,c");
    CHECK_STR_EQ(s, "a,,b,,,,c");
    free(s);
    s = qemu_escape_option("");
    CHECK_STR_EQ(s, "");
    free(s);

    s = qemu_command_to_string(argv, env);
    CHECK_STR_EQ(s, "A='b c' \\\n/usr/bin/qemu \\\n-name guest=a,,b \\\n-S \\\n"
                    "-append 'x '\\''y'\\'''\n");
    free(s);

    /* Back from the option syntax to QMP's arguments. */
    {
        json_t *o = qemu_option_to_json("virtio-blk-pci,id=a,,b,,,serial=x,share-rw", "driver");
        char *j = json_dumps(o, JSON_COMPACT);

        CHECK_STR_EQ(j, "{\"driver\":\"virtio-blk-pci\",\"id\":\"a,b,\",\"serial\":\"x\","
                        "\"share-rw\":\"on\"}");
        free(j);
        json_decref(o);
    }

    CHECK_INT_EQ(qemu_disk_name_to_index("vda"), 0);
    CHECK_INT_EQ(qemu_disk_name_to_index("sdz"), 25);
    CHECK_INT_EQ(qemu_disk_name_to_index("hdaa"), 26);
    CHECK_INT_EQ(qemu_disk_name_to_index("hdba"), 52);
    CHECK_INT_EQ(qemu_disk_name_to_index("vd"), -1);
    CHECK_INT_EQ(qemu_disk_name_to_index("vdA"), -1);
}

/* The aliases libvirt gives, checked one by one on the ubuntu seed. */
static void
test_aliases(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(free_ptr) char *path = data_path("ubuntu_20_04", ".xml");
    auto_cleanup(free_ptr) char *xml = read_text(path);

    if (!xml || domain_def_parse(xml, &def, &error) < 0 || prepare(def, &error) < 0) {
        TEST_FAIL("ubuntu_20_04: %s", error.message ? error.message : path);
        return;
    }
    CHECK_STR_EQ(def->disks[0].alias, "virtio-disk0");
    CHECK_STR_EQ(def->nets[0].alias, "net0");
    CHECK_STR_EQ(def->serials[0].alias, "serial0");
    CHECK_STR_EQ(def->consoles[0].alias, "serial0");
    CHECK_STR_EQ(def->videos[0].alias, "video0");
    CHECK_STR_EQ(def->sounds[0].alias, "sound0");
    CHECK_STR_EQ(def->memballoon.alias, "balloon0");
    CHECK_INT_EQ(def->n_inputs, 3); /* tablet, mouse, plus the implicit ps2 keyboard */
    CHECK_STR_EQ(def->inputs[2].alias, "input2");
    for (size_t i = 0; i < def->n_controllers; i++) {
        const DomainController *c = &def->controllers[i];

        if (c->type == CONTROLLER_USB)
            CHECK_STR_EQ(c->alias, "usb");
        else if (c->type == CONTROLLER_IDE)
            CHECK_STR_EQ(c->alias, "ide");
        else if (c->type == CONTROLLER_PCI)
            CHECK_STR_EQ(c->alias, "pci.0");
    }
    /* Block nodes are numbered once; a disk added later gets the next number. */
    CHECK_INT_EQ(def->disks[0].source_index, 1);
    CHECK_INT_EQ(qemu_disk_next_source_index(def), (int) def->n_disks + 1);
    {
        json_t *storage, *format, *device;
        char *s1, *s2, *s3;

        CHECK_INT_EQ(qemu_command_build_disk(def, 0, "/x,y.qcow2", &storage, &format, &device,
                                             &error), 0);
        if (storage && format && device) {
            s1 = json_dumps(storage, JSON_COMPACT);
            s2 = json_dumps(format, JSON_COMPACT);
            s3 = json_dumps(json_object_get(device, "drive"), JSON_ENCODE_ANY);
            CHECK(strstr(s1, "\"filename\":\"/x,y.qcow2\",\"node-name\":\"libvirt-1-storage\"")
                  != NULL);
            CHECK(strstr(s2, "\"file\":\"libvirt-1-storage\"") != NULL);
            CHECK_STR_EQ(s3, "\"libvirt-1-format\"");
            CHECK_STR_EQ(json_string_value(json_object_get(device, "id")), "virtio-disk0");
            free(s1);
            free(s2);
            free(s3);
        }
        json_decref(storage);
        json_decref(format);
        json_decref(device);
    }
    /* The XML's addresses are kept. */
    CHECK_INT_EQ(def->disks[0].address.slot, 5);
    CHECK_INT_EQ(def->memballoon.address.slot, 6);
}

/* QEMU really accepts what we build: a diskless TCG guest, its QMP socket
 * inherited at fd 3; we read the greeting, then ask it to quit. */
static void
test_qemu_runs(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(strv_freep) char **argv = NULL;
    auto_cleanup(strv_freep) char **env = NULL;
    char tmpl[] = "/tmp/test-qemu-command-XXXXXX";
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    QemuCommandContext ctx = { .monitor_fd = 3 };
    const char *xml =
        "<domain type='qemu'><name>runs,1</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
        "<features><acpi/></features>"
        "<devices><serial type='pty'/><console type='pty'/>"
        "<interface type='user'><model type='virtio'/></interface>"
        "<input type='tablet' bus='usb'/><graphics type='vnc' port='-1' autoport='yes'/>"
        "<sound model='ich6'/></devices></domain>";
    int vnc[1] = { 5999 };
    char buf[4096];
    int lfd, cfd, status;
    size_t got = 0;
    pid_t pid;

    if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0) {
        fprintf(stderr, "qemu-system-x86_64 missing: real run skipped\n");
        return;
    }
    if (!mkdtemp(tmpl)) {
        TEST_FAIL("mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/monitor.sock", tmpl);
    ctx.vnc_ports = vnc;
    if (domain_def_parse(xml, &def, &error) < 0 || prepare(def, &error) < 0
        || qemu_command_build(def, &ctx, &argv, &env, &error) < 0) {
        TEST_FAIL("real run: %s", error.message);
        return;
    }
    /* No VNC server on a shared port: listen on a unix socket instead. */
    for (size_t i = 0; argv[i]; i++) {
        if (STREQ(argv[i], "-vnc") && argv[i + 1]) {
            free(argv[i + 1]);
            argv[i + 1] = xasprintf("unix:%s/vnc.sock,audiodev=audio1", tmpl);
        }
    }

    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
        TEST_FAIL("monitor socket: %s", strerror(errno));
        return;
    }
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);

        if (lfd == 3)
            fcntl(3, F_SETFD, 0);
        else
            dup2(lfd, 3);
        dup2(null, 0);
        dup2(null, 1);
        for (size_t i = 0; env[i]; i++)
            putenv(env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    /* QEMU accepts the connection as soon as the monitor exists. */
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(cfd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        TEST_FAIL("connect: %s", strerror(errno));
    } else {
        struct pollfd p = { .fd = cfd, .events = POLLIN };

        while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
            ssize_t n;

            if (poll(&p, 1, 30000) <= 0)
                break;
            n = read(cfd, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t) n;
        }
        buf[got] = '\0';
        if (!strstr(buf, "\"QMP\""))
            TEST_FAIL("no QMP greeting from QEMU (got '%s')", buf);
        const char *cmds = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";
        if (write(cfd, cmds, strlen(cmds)) < 0)
            TEST_FAIL("write: %s", strerror(errno));
    }
    close(lfd);
    if (got == 0)
        kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    close(cfd);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    unlink(sa.sun_path);
    snprintf(buf, sizeof(buf), "%s/vnc.sock", tmpl);
    unlink(buf);
    rmdir(tmpl);
}

int
main(void)
{
    static const struct {
        const char *name;
        unsigned flags;
    } cases[] = {
        { "minimal", 0 },
        { "kernel-cmdline", 0 },
        { "disks", 0 },
        { "disk-cdrom-empty", 0 },
        { "boot-order", 0 },
        { "net-user", 0 },
        { "net-network-notap", 0 },
        { "serial-pty-console", 0 },
        { "serial-file", 0 },
        { "vnc-autoport", T_VNC },
        { "vnc-port", 0 },
        { "q35", 0 },
        { "commas", 0 },
        { "pci-conflict", 0 },
        { "kvm-unavailable", 0 },
        { "channel-unix", 0 },
        { "cpu-custom", 0 },
        { "graphics-spice", 0 },
        { "hostdev-pci", 0 },
        { "hostdev-usb", 0 },
        { "usb-ich9", 0 },
        { "cputune", 0 },
        { "memory-dimm", 0 },
        { "memory-no-numa", 0 },
        { "qemu-commandline", 0 },
        { "disk-shareable", 0 },
        { "disk-shareable-qcow2", 0 },
        { "ubuntu_20_04", T_KVM | T_TAP | T_VNC },
        { "centos7u2-1", T_KVM | T_TAP | T_VNC },
    };

    regenerate = getenv("REGENERATE") && STREQ(getenv("REGENERATE"), "1");
    test_escape();
    usb_tree();
    test_usb_find();
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        test_case(cases[i].name, cases[i].flags);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (!STREQ(cases[i].name, "pci-conflict") && !STREQ(cases[i].name, "memory-no-numa"))
            test_idempotent(cases[i].name);
    usb_tree_remove();
    test_aliases();
    test_qemu_runs();
    return test_result();
}
