/* virtnodedevd/nodedev_props: recorded device property sets
 * (tests/data/node_device_def/NAME.props, see nodedev-record) become node
 * device definitions whose XML must equal NAME.xml. REGENERATE=1 rewrites
 * the .xml files. A props file that is not a node device (a loop disk) has
 * NAME.skip instead. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fileutil.h"
#include "nodedev_driver.h"
#include "nodedev_props.h"
#include "test_util.h"

#define DATA_DIR TEST_DATA_DIR "/node_device_def"

static bool regenerate;

static void
test_props(const char *name, bool is_node_device)
{
    auto_cleanup(free_ptr) char *ppath = xasprintf("%s/%s.props", DATA_DIR, name);
    auto_cleanup(free_ptr) char *xpath = xasprintf("%s/%s.xml", DATA_DIR, name);
    auto_cleanup(free_ptr) char *text = NULL;
    auto_cleanup(free_ptr) char *want = NULL;
    auto_cleanup(free_ptr) char *got = NULL;
    auto_cleanup(node_device_def_freep) NodeDeviceDef *def = NULL;
    NodeDevProps props = { NULL };
    Error error = ERROR_INIT;
    size_t len;
    int r;

    if (file_read_all(ppath, 1 << 20, &text, &len, NULL) < 0) {
        TEST_FAIL("%s: cannot read %s", name, ppath);
        return;
    }
    if (node_dev_props_parse(text, &props, &error) < 0) {
        TEST_FAIL("%s: %s", name, error.message);
        error_clear(&error);
        return;
    }
    r = node_dev_props_to_def(&props, &def, &error);
    node_dev_props_clear(&props);
    if (!is_node_device) {
        CHECK_INT_EQ(r, -ENODEV);
        CHECK_INT_EQ(error.code, VIR_ERR_NO_NODE_DEVICE);
        error_clear(&error);
        return;
    }
    if (r < 0) {
        TEST_FAIL("%s: %s", name, error.message);
        error_clear(&error);
        return;
    }
    got = node_device_def_format(def);
    if (regenerate) {
        if (file_write_atomic(xpath, got, strlen(got), 0644, &error) < 0)
            TEST_FAIL("%s", error.message);
        error_clear(&error);
        return;
    }
    if (file_read_all(xpath, 1 << 20, &want, &len, NULL) < 0) {
        TEST_FAIL("%s: cannot read %s", name, xpath);
        return;
    }
    if (!STREQ(got, want))
        TEST_FAIL("%s: XML differs:\n--- expected\n%s--- got\n%s", name, want, got);
    CHECK_STR_EQ(def->name, strchr(name, '-') ? def->name : name);
}

static void
test_props_text(void)
{
    NodeDevProps p = { NULL };
    auto_cleanup(free_ptr) char *text = NULL;
    Error error = ERROR_INIT;

    node_dev_props_set(&p, "SYSPATH", "/sys/x");
    node_dev_props_set(&p, "E:A", "1=2");
    node_dev_props_set(&p, "E:A", "3");
    node_dev_props_set(&p, "B", "4");
    node_dev_props_set(&p, "B", NULL);
    text = node_dev_props_format(&p);
    CHECK_STR_EQ(text, "SYSPATH=/sys/x\nE:A=3\n");
    node_dev_props_clear(&p);
    CHECK(node_dev_props_parse("SYSPATH=/a\n# c\nE:X=y=z\n", &p, &error) == 0);
    CHECK_STR_EQ(node_dev_props_get(&p, "E:X"), "y=z");
    CHECK(node_dev_props_get(&p, "E") == NULL);
    node_dev_props_clear(&p);
    CHECK(node_dev_props_parse("novalue\n", &p, &error) == -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_PARSE_FAILED);
    error_clear(&error);
}

int
main(void)
{
    regenerate = getenv("REGENERATE") != NULL;

    test_props_text();
    /* Recorded from this project's test machine. */
    test_props("computer", true);
    test_props("pci_0000_00_00_0", true);
    test_props("pci_0000_00_01_0", true);
    test_props("pci_0000_00_02_0", true);
    test_props("pci_0000_00_03_0", true);
    test_props("pci_0000_00_04_0", true);
    test_props("pci_0000_00_05_0", true);
    test_props("net_eth0_02_fc_00_00_00_01", true);
    test_props("net_lo_00_00_00_00_00_00", true);
    test_props("block_vda_overlayblk", true);
    test_props("loop0", false);
    /* Written by hand: devices this machine lacks. */
    test_props("computer-dmi", true);
    test_props("pci-iommu-numa", true);
    test_props("usb_1_2", true);
    test_props("usb_1_2_1_0", true);
    test_props("net-speed", true);
    test_props("scsi_host0", true);
    test_props("scsi_target0_0_0", true);
    test_props("scsi_0_0_0_0", true);
    test_props("block_sr0", true);
    return test_result();
}
