/* common/node_device_def: libvirt's node device XML by round trip.
 * tests/data/node_device_def/NAME.xml is parsed and formatted and must come
 * out unchanged (the files are canonical: they are also the expected output
 * of test_nodedev_props). A bad input has NAME.err: the expected code, a
 * newline, the message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fileutil.h"
#include "node_device_def.h"
#include "test_util.h"

#define DATA_DIR TEST_DATA_DIR "/node_device_def"

RT_DEFINE_OPS(nodedev_ops, NodeDeviceDef, node_device_def_parse(xml, def, error),
              node_device_def_format(d), node_device_def_free, .dir = DATA_DIR);

static void
test_parse_fails(const char *name, int code, const char *xml)
{
    auto_cleanup(node_device_def_freep) NodeDeviceDef *def = NULL;
    Error error = ERROR_INIT;
    int r = node_device_def_parse(xml, &def, &error);

    if (r >= 0) {
        TEST_FAIL("%s: parsed, expected error %d", name, code);
        return;
    }
    CHECK_INT_EQ(error.code, code);
    CHECK(error.message && *error.message);
    error_clear(&error);
}

#define TEST_ROUND_TRIP(n) rt_round_trip(&nodedev_ops, n)

int
main(void)
{
    /* Recorded from this project's test machine (nodedev-record). */
    TEST_ROUND_TRIP("computer");
    TEST_ROUND_TRIP("pci_0000_00_00_0");
    TEST_ROUND_TRIP("pci_0000_00_01_0");
    TEST_ROUND_TRIP("pci_0000_00_02_0");
    TEST_ROUND_TRIP("pci_0000_00_03_0");
    TEST_ROUND_TRIP("pci_0000_00_04_0");
    TEST_ROUND_TRIP("pci_0000_00_05_0");
    TEST_ROUND_TRIP("net_eth0_02_fc_00_00_00_01");
    TEST_ROUND_TRIP("net_lo_00_00_00_00_00_00");
    TEST_ROUND_TRIP("block_vda_overlayblk");
    /* Written by hand from libvirt's documentation and tests. */
    TEST_ROUND_TRIP("computer-dmi");
    TEST_ROUND_TRIP("pci-iommu-numa");
    TEST_ROUND_TRIP("usb_1_2");
    TEST_ROUND_TRIP("usb_1_2_1_0");
    TEST_ROUND_TRIP("net-speed");
    TEST_ROUND_TRIP("scsi_host0");
    TEST_ROUND_TRIP("scsi_target0_0_0");
    TEST_ROUND_TRIP("scsi_0_0_0_0");
    TEST_ROUND_TRIP("block_sr0");

    test_parse_fails("not-xml", VIR_ERR_XML_DETAIL, "<device><name>x</name>");
    test_parse_fails("no-caps", VIR_ERR_XML_ERROR, "<device><name>x</name></device>");
    test_parse_fails("unknown-cap", VIR_ERR_XML_ERROR,
                     "<device><name>x</name><capability type='floppy'/></device>");
    test_parse_fails("pci-bad-bus", VIR_ERR_XML_ERROR,
                     "<device><name>x</name><capability type='pci'><domain>0</domain>"
                     "<bus>zz</bus><slot>0</slot><function>0</function>"
                     "<product id='0x1'/><vendor id='0x2'/></capability></device>");
    test_parse_fails("pci-no-vendor", VIR_ERR_XML_ERROR,
                     "<device><name>x</name><capability type='pci'><domain>0</domain>"
                     "<bus>0</bus><slot>0</slot><function>0</function>"
                     "<product id='0x1'/></capability></device>");
    test_parse_fails("net-no-interface", VIR_ERR_INTERNAL_ERROR,
                     "<device><name>x</name><capability type='net'/></device>");
    test_parse_fails("dtd", VIR_ERR_XML_ERROR,
                     "<!DOCTYPE device [<!ENTITY a 'b'>]><device><name>&a;</name></device>");

    {
        /* Names as libvirt makes them. */
        auto_cleanup(free_ptr) char *a = node_device_make_name("pci", "0000:00:1f.2", NULL);
        auto_cleanup(free_ptr) char *b = node_device_make_name("net", "eth0",
                                                               "52:54:00:12:34:56");
        auto_cleanup(free_ptr) char *c = node_device_make_name("usb", "1-2", NULL);
        auto_cleanup(free_ptr) char *d = node_device_make_name("scsi", "host0", NULL);

        CHECK_STR_EQ(a, "pci_0000_00_1f_2");
        CHECK_STR_EQ(b, "net_eth0_52_54_00_12_34_56");
        CHECK_STR_EQ(c, "usb_1_2");
        CHECK_STR_EQ(d, "scsi_host0");
    }
    {
        /* libvirt's flag bits: 1 << type. */
        CHECK_INT_EQ(node_dev_cap_flag(NODE_DEV_CAP_SYSTEM), 1);
        CHECK_INT_EQ(node_dev_cap_flag(NODE_DEV_CAP_PCI), 2);
        CHECK_INT_EQ(node_dev_cap_flag(NODE_DEV_CAP_NET), 16);
        CHECK_INT_EQ(node_dev_cap_flag(NODE_DEV_CAP_STORAGE), 256);
    }
    return test_result();
}
