/* Host USB devices for <hostdev type='usb'>, found as libvirt's
 * virHostdevFindUSBDevice finds them: in sysfs (each device in /sys/bus/usb/devices,
 * their idVendor, idProduct, busnum and devnum), by vendor and product, by
 * bus and device, or by both. The found address goes into the live
 * definition; QEMU opens /dev/bus/usb/BUS/DEV (usb-host's hostdevice). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "qemu_hostdev_usb.h"

#define USB_DEVICES_DIR "/sys/bus/usb/devices"

/* One sysfs attribute of device @name, a number in @base. */
static int
read_number(const char *dir, const char *name, const char *attr, int base, unsigned *ret,
            Error *error)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/%s/%s", dir, name, attr);
    auto_cleanup(free_ptr) char *text = NULL;
    char *end;
    unsigned long v;
    int r = file_read_all(path, 64, &text, NULL, NULL);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR, "cannot read '%s'", path);
    errno = 0;
    v = strtoul(text, &end, base);
    if (errno || end == text || (*end && *end != '\n') || v > 0xffffffffUL)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: Could not parse usb file %s", path);
    *ret = (unsigned) v;
    return 0;
}

/* The devices of @dir that match (vendor/product when @by_vendor, bus/device
 * when @by_bus): how many, the first one's bus and device in *@bus, *@dev. */
static int
search(const char *dir, const DomainHostdev *h, bool by_vendor, bool by_bus, unsigned *bus,
       unsigned *dev, Error *error)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0, r = 0;

    if (!d)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot open directory '%s'", dir);
    while ((de = readdir(d))) {
        unsigned vendor, product, b, devno;

        /* Interfaces ("1-1:1.0") and dot entries are no devices. */
        if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
            continue;
        if ((r = read_number(dir, de->d_name, "idVendor", 16, &vendor, error)) < 0 ||
            (r = read_number(dir, de->d_name, "idProduct", 16, &product, error)) < 0 ||
            (r = read_number(dir, de->d_name, "busnum", 10, &b, error)) < 0 ||
            (r = read_number(dir, de->d_name, "devnum", 10, &devno, error)) < 0)
            break;
        if (by_vendor && (vendor != h->usb_vendor || product != h->usb_product))
            continue;
        if (by_bus && (b != h->usb_bus || devno != h->usb_device))
            continue;
        if (n++ == 0) {
            *bus = b;
            *dev = devno;
        }
    }
    closedir(d);
    return r < 0 ? r : n;
}

int
qemu_usb_find(const char *dir, DomainHostdev *h, Error *error)
{
    bool mandatory = !h->startup_policy || !STREQ(h->startup_policy, "optional");
    unsigned bus = 0, dev = 0;
    int n;

    if (!dir)
        dir = USB_DEVICES_DIR;
    free(steal_ptr(h->usb_dev_path));
    if (!h->usb_vendor && !(h->usb_bus && h->usb_device))
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: USB host device is missing bus/device information");
    n = search(dir, h, h->usb_vendor != 0, h->usb_bus != 0, &bus, &dev, error);
    if (n < 0)
        return n;
    if (n > 1)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_FAILED,
                         "operation failed: Multiple USB devices for %x:%x, use <address> to "
                         "specify one", h->usb_vendor, h->usb_product);
    if (n == 0 && !mandatory)
        return 0;
    if (n == 0 && h->usb_vendor && h->usb_bus)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "internal error: Did not find USB device %04x:%04x bus:%u device:%u",
                         h->usb_vendor, h->usb_product, h->usb_bus, h->usb_device);
    if (n == 0 && h->usb_vendor)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "internal error: Did not find USB device %04x:%04x", h->usb_vendor,
                         h->usb_product);
    if (n == 0)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "internal error: Did not find USB device bus:%u device:%u",
                         h->usb_bus, h->usb_device);
    h->usb_bus = bus;
    h->usb_device = dev;
    h->usb_dev_path = xasprintf("/dev/bus/usb/%03u/%03u", bus, dev);
    return 0;
}

int
qemu_usb_find_all(const char *dir, DomainDef *def, Error *error)
{
    for (size_t i = 0; i < def->n_hostdevs; i++) {
        int r;

        if (def->hostdevs[i].raw_xml || def->hostdevs[i].type != HOSTDEV_USB)
            continue;
        if ((r = qemu_usb_find(dir, &def->hostdevs[i], error)) < 0)
            return r;
    }
    return 0;
}
