/* Host USB devices (qemu_hostdev_usb.c). */
#pragma once

#include <stdbool.h>

#include "domain_def.h"

/* The host device @h names, in @dir (NULL: /sys/bus/usb/devices): its bus
 * and device go into @h, with its usb_dev_path. Not found: libvirt's error,
 * or no usb_dev_path for startupPolicy='optional'. */
int qemu_usb_find(const char *dir, DomainHostdev *h, Error *error);
/* The same for each USB hostdev of @def (at start). */
int qemu_usb_find_all(const char *dir, DomainDef *def, Error *error);
