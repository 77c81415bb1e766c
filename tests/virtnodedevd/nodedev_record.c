/* Records this host's devices as props files (tests/data/node_device_def):
 *   nodedev-record DIR [NAME...]
 * writes DIR/<node device name>.props for every device (or the named ones),
 * exactly as virtnodedevd reads them, PARENT included. Not a test: a tool
 * to capture new cases; the expected .xml files then come from
 * REGENERATE=1 meson test test_nodedev_props (read the diff). */
#include <stdio.h>
#include <string.h>

#include "fileutil.h"
#include "nodedev_driver.h"
#include "nodedev_props.h"

static bool
wanted(int argc, char **argv, const char *name)
{
    if (argc <= 2)
        return true;
    for (int i = 2; i < argc; i++)
        if (STREQ(argv[i], name))
            return true;
    return false;
}

int
main(int argc, char **argv)
{
    NodeDevDriverConfig cfg = { .sysfs = "/sys" };
    Error error = ERROR_INIT;
    NodeDevDriver *drv = NULL;
    sd_hwdb *hwdb = NULL;
    int ret = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [NAME...]\n", argv[0]);
        return 2;
    }
    if (nodedev_driver_new(&cfg, &drv, &error) < 0) {
        fprintf(stderr, "%s\n", error.message);
        return 1;
    }
    (void) sd_hwdb_new(&hwdb);
    for (size_t i = 0; i < nodedev_driver_count(drv); i++) {
        NodeDev *nd = nodedev_driver_nth(drv, i);
        NodeDevProps p = { NULL };
        auto_cleanup(free_ptr) char *text = NULL;
        auto_cleanup(free_ptr) char *file = NULL;

        if (!wanted(argc, argv, nd->name))
            continue;
        if (!nd->syspath) {
            node_dev_props_computer("/sys", &p);
        } else {
            sd_device *dev = NULL;

            if (sd_device_new_from_syspath(&dev, nd->syspath) < 0 ||
                node_dev_props_from_device(dev, hwdb, &p) <= 0) {
                sd_device_unref(dev);
                continue;
            }
            sd_device_unref(dev);
            node_dev_props_set(&p, "PARENT", nd->def->parent);
        }
        text = node_dev_props_format(&p);
        file = xasprintf("%s/%s.props", argv[1], nd->name);
        if (file_write_atomic(file, text, strlen(text), 0644, &error) < 0) {
            fprintf(stderr, "%s\n", error.message);
            error_clear(&error);
            ret = 1;
        } else {
            printf("%s\n", file);
        }
        node_dev_props_clear(&p);
    }
    sd_hwdb_unref(hwdb);
    nodedev_driver_free(drv);
    return ret;
}
