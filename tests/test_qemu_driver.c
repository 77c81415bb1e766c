/* The QEMU driver without QEMU: definitions kept on disk and found by every
 * key, redefinition and the duplicate rules, autostart, undefine, the
 * configuration changes of an inactive domain (memory), the refusals of the
 * lifecycle calls on an inactive domain and of a second job, vCPU counts and
 * pinning, and what a restarted driver finds. A guest's start and its QMP
 * life are tested on a real QEMU by the integration tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "test_util.h"

static char root[] = "/tmp/test_qemu_driver.XXXXXX";

static char *
domain_xml(const char *name, const char *uuid, const char *extra)
{
    return xasprintf("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                     "<memory unit='MiB'>128</memory><vcpu current='1'>2</vcpu>%s"
                     "<os><type arch='x86_64'>hvm</type></os>"
                     "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"
                     "</domain>", name, uuid, extra);
}

static QemuDriver *
driver_open(uv_loop_t *loop)
{
    QemuDriverConfig cfg = { .root = root, .loop = loop };
    QemuDriver *drv = NULL;
    Error error = ERROR_INIT;

    if (qemu_driver_new(&cfg, &drv, &error) < 0) {
        TEST_FAIL("qemu_driver_new: %s", error.message);
        error_clear(&error);
        return NULL;
    }
    return drv;
}

static int
code_of(int r, Error *error)
{
    int code = r < 0 ? error->code : 0;

    error_clear(error);
    return code;
}

static void
done_cb(Domain *dom, const Error *error, void *userdata)
{
    (*(int *) userdata)++;
}

static void
test_definitions(uv_loop_t *loop)
{
    const char *uuid = "8b0f5c3a-1d2e-4f60-9a7b-0c1d2e3f4a5b";
    auto_cleanup(free_ptr) char *xml = domain_xml("alpha", uuid, "");
    auto_cleanup(free_ptr) char *other = NULL;
    auto_cleanup(free_ptr) char *file = xasprintf("%s/etc/libvirt/qemu/alpha.xml", root);
    QemuDriver *drv = driver_open(loop);
    Error error = ERROR_INIT;
    Domain *dom = NULL, *found = NULL;
    Uuid u;
    int calls = 0;
    struct stat st;

    if (!drv)
        return;
    CHECK_INT_EQ(qemu_driver_define(drv, xml, &dom, &error), 0);
    error_clear(&error);
    CHECK(dom && stat(file, &st) == 0);
    CHECK(qemu_driver_find_by_name(drv, "alpha") == dom);
    CHECK(uuid_parse(uuid, &u) == 0 && qemu_driver_find_by_uuid(drv, &u) == dom);
    CHECK(qemu_driver_find_by_path(drv, dom->path) == dom);
    CHECK_INT_EQ(qemu_driver_lookup_uuid(drv, uuid, &found, &error), 0);
    CHECK(found == dom);
    /* Unknown keys, with libvirt's codes. */
    CHECK_INT_EQ(code_of(qemu_driver_lookup_name(drv, "beta", &found, &error), &error),
                 VIR_ERR_NO_DOMAIN);
    CHECK_INT_EQ(code_of(qemu_driver_lookup_id(drv, 7, &found, &error), &error),
                 VIR_ERR_NO_DOMAIN);
    /* The same name with another UUID, the same UUID with another name. */
    other = domain_xml("alpha", "8b0f5c3a-1d2e-4f60-9a7b-0c1d2e3f4a5c", "");
    CHECK_INT_EQ(code_of(qemu_driver_define(drv, other, &found, &error), &error),
                 VIR_ERR_OPERATION_FAILED);
    free(other);
    other = domain_xml("gamma", uuid, "");
    CHECK_INT_EQ(code_of(qemu_driver_define(drv, other, &found, &error), &error),
                 VIR_ERR_OPERATION_FAILED);
    CHECK_INT_EQ(qemu_driver_count(drv), 1);
    /* A redefinition replaces the configuration of the same domain. */
    free(other);
    other = domain_xml("alpha", uuid, "<description>second</description>");
    CHECK_INT_EQ(qemu_driver_define(drv, other, &found, &error), 0);
    error_clear(&error);
    CHECK(found == dom && dom->def->description &&
          STREQ(dom->def->description, "second"));

    /* Inactive: the lifecycle calls that need a running guest refuse. */
    CHECK(!qemu_domain_is_active(dom));
    CHECK_INT_EQ(code_of(qemu_domain_destroy(dom, 0, done_cb, &calls, &error), &error),
                 VIR_ERR_OPERATION_INVALID);
    CHECK_INT_EQ(code_of(qemu_domain_suspend(dom, done_cb, &calls, &error), &error),
                 VIR_ERR_OPERATION_INVALID);
    CHECK_INT_EQ(code_of(qemu_domain_shutdown(dom, 0, done_cb, &calls, &error), &error),
                 VIR_ERR_OPERATION_INVALID);
    CHECK_INT_EQ(code_of(qemu_domain_reboot(dom, 1u << 20, done_cb, &calls, &error), &error),
                 VIR_ERR_ARGUMENT_UNSUPPORTED);
    CHECK_INT_EQ(calls, 0);
    /* Memory: live needs a running guest, config changes the file. */
    CHECK_INT_EQ(code_of(qemu_domain_set_memory(dom, 65536, DOMAIN_MEM_LIVE, done_cb, &calls,
                                                &error), &error), VIR_ERR_OPERATION_INVALID);
    CHECK_INT_EQ(code_of(qemu_domain_set_memory(dom, 1u << 30, DOMAIN_MEM_CONFIG, done_cb,
                                                &calls, &error), &error), VIR_ERR_INVALID_ARG);
    CHECK_INT_EQ(qemu_domain_set_memory(dom, 65536, DOMAIN_MEM_CONFIG, done_cb, &calls,
                                        &error), 0);
    error_clear(&error);
    CHECK_INT_EQ(calls, 1);
    CHECK_INT_EQ(dom->def->current_memory_kib, 65536);
    /* vCPUs: current and maximum of the definition. */
    CHECK_INT_EQ(qemu_domain_get_vcpus(dom, DOMAIN_VCPU_CONFIG), 1);
    CHECK_INT_EQ(qemu_domain_get_vcpus(dom, DOMAIN_VCPU_CONFIG | DOMAIN_VCPU_MAXIMUM), 2);
    /* No guest agent configured: libvirt's refusal. */
    CHECK_INT_EQ(code_of(qemu_domain_agent_available(dom, &error), &error),
                 VIR_ERR_ARGUMENT_UNSUPPORTED);

    /* One job at a time. */
    CHECK_INT_EQ(qemu_job_check_idle(dom, &error), 0);
    error_clear(&error);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, NULL, NULL);
    CHECK_INT_EQ(code_of(qemu_job_check_idle(dom, &error), &error),
                 VIR_ERR_OPERATION_INVALID);
    qemu_job_end(dom, NULL);
    CHECK_INT_EQ(qemu_job_check_idle(dom, &error), 0);
    error_clear(&error);

    CHECK_INT_EQ(qemu_domain_set_autostart(dom, true, &error), 0);
    error_clear(&error);
    /* What the driver queued (file removals on the worker pool) ends first. */
    uv_run(loop, UV_RUN_DEFAULT);
    qemu_driver_free(drv);

    /* A new driver finds the definition, its memory change and autostart. */
    drv = driver_open(loop);
    if (!drv)
        return;
    dom = qemu_driver_find_by_name(drv, "alpha");
    CHECK(dom != NULL);
    if (dom) {
        CHECK(dom->autostart);
        CHECK_INT_EQ(dom->def->current_memory_kib, 65536);
        CHECK_INT_EQ(qemu_domain_undefine(dom, 0, &error), 0);
        error_clear(&error);
    }
    CHECK(qemu_driver_find_by_name(drv, "alpha") == NULL);
    CHECK(stat(file, &st) < 0 && errno == ENOENT);
    uv_run(loop, UV_RUN_DEFAULT);
    qemu_driver_free(drv);
}

/* libvirt's numbering of a new device's alias: one past the highest. */
static void
test_next_alias(void)
{
    CHECK_INT_EQ(qemu_hotplug_next_alias("net", "net3", 0), 4);
    CHECK_INT_EQ(qemu_hotplug_next_alias("net", "net1", 4), 4);
    CHECK_INT_EQ(qemu_hotplug_next_alias("net", "net", 0), 0);
    CHECK_INT_EQ(qemu_hotplug_next_alias("net", "net2x", 0), 0);
    CHECK_INT_EQ(qemu_hotplug_next_alias("net", "ua-net9", 0), 0);
    CHECK_INT_EQ(qemu_hotplug_next_alias("input", NULL, 2), 2);
    CHECK_INT_EQ(qemu_hotplug_next_alias("hostdev", "hostdev0", 0), 1);
}

/* libvirt's keycode sets to QEMU's qnum: the tables' facts for two keys. */
static void
test_keycodes(void)
{
    static const struct {
        unsigned set, code;
        int qnum;
    } cases[] = {
        { KEYCODE_SET_LINUX, 30, 0x1e },    /* KEY_A */
        { KEYCODE_SET_XT, 0x1e, 0x1e },     /* XT is AT set 1 */
        { KEYCODE_SET_ATSET1, 0x1e, 0x1e },
        { KEYCODE_SET_ATSET2, 0x1c, 0x1e },
        { KEYCODE_SET_USB, 0x04, 0x1e },
        { KEYCODE_SET_WIN32, 0x41, 0x1e },
        { KEYCODE_SET_QNUM, 0x1e, 0x1e },
        { KEYCODE_SET_LINUX, 97, 0x9d },    /* KEY_RIGHTCTRL: an extended key */
        { KEYCODE_SET_ATSET1, 0xe01d, 0x9d },
        { KEYCODE_SET_USB, 0xe4, 0x9d },
        { KEYCODE_SET_OSX, 0x3e, 0x9d },
        { KEYCODE_SET_WIN32, 0xff, -1 },    /* no key has it */
        { KEYCODE_SET_LINUX, 100000, -1 },
        { 42, 1, -1 },                      /* no such set */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        CHECK_INT_EQ(qemu_keycode_to_qnum(cases[i].set, cases[i].code), cases[i].qnum);
}

int
main(void)
{
    uv_loop_t loop;
    auto_cleanup(free_ptr) char *cmd = NULL;

    test_next_alias();
    test_keycodes();
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    uv_loop_init(&loop);
    test_definitions(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT_EQ(uv_loop_close(&loop), 0);
    cmd = xasprintf("rm -rf '%s'", root);
    if (system(cmd) != 0)
        TEST_FAIL("cannot remove %s", root);
    return test_result();
}
