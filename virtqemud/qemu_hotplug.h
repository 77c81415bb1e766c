/* Devices plugged into and out of a guest (qemu_hotplug.c). */
#pragma once

#include <jansson.h>

#include "qemu_driver.h"

/* libvirt's virDomainObjUpdateModificationImpact: neither LIVE nor CONFIG
 * in *@flags means LIVE when running and CONFIG otherwise; LIVE needs a
 * running domain and CONFIG a persistent one. */
int qemu_domain_affect(const Domain *dom, unsigned *flags, Error *error);

/* virDomainAttachDeviceFlags, virDomainDetachDeviceFlags and
 * virDomainDetachDeviceAlias for disks (file and block; virtio, scsi on an
 * existing controller, usb). Each fails at once or calls @cb once: after
 * the device is in the guest, after the guest let go of it (or libvirt's
 * timeout passed), or, for the alias, once QEMU has the request. */
int qemu_domain_attach_device(Domain *dom, const char *xml, unsigned flags, DomainDoneCb cb,
                              void *userdata, Error *error);
int qemu_domain_detach_device(Domain *dom, const char *xml, unsigned flags, DomainDoneCb cb,
                              void *userdata, Error *error);
int qemu_domain_detach_device_alias(Domain *dom, const char *alias, unsigned flags,
                                    DomainDoneCb cb, void *userdata, Error *error);

/* QMP DEVICE_DELETED and DEVICE_UNPLUG_GUEST_ERROR of a running guest. */
void qemu_hotplug_device_deleted(Domain *dom, json_t *data);
void qemu_hotplug_unplug_refused(Domain *dom, json_t *data);
/* The monitor is gone: a detach still waiting ends with an error. */
void qemu_hotplug_clear(Domain *dom);
