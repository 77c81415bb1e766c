/* Devices plugged into and out of a guest (qemu_hotplug.c). */
#pragma once

#include <jansson.h>

#include "qemu_driver.h"

/* libvirt's virDomainObjUpdateModificationImpact: neither LIVE nor CONFIG
 * in *@flags means LIVE when running and CONFIG otherwise; LIVE needs a
 * running domain and CONFIG a persistent one. */
int qemu_domain_affect(const Domain *dom, unsigned *flags, Error *error);
/* The flags of a call that reads one definition, as libvirt checks them:
 * only @known (in function @fn), not LIVE and CONFIG together; the string
 * flag a remote client adds is dropped. */
int qemu_domain_read_flags(unsigned *flags, unsigned known, const char *fn, Error *error);

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

/* virDomainUpdateDeviceFlags for disks (qemu_media.c): CONFIG replaces the
 * persistent disk; LIVE changes or ejects a cdrom's medium (FORCE: without
 * waiting for the guest to let the tray open). Fails at once or calls @cb
 * once, after QEMU closed the tray on the new medium. */
int qemu_domain_update_device(Domain *dom, const char *xml, unsigned flags, DomainDoneCb cb,
                              void *userdata, Error *error);
/* QMP DEVICE_TRAY_MOVED: the live <target tray>, TRAY_CHANGE, and a media
 * change waiting for the tray goes on. */
void qemu_media_tray_moved(Domain *dom, json_t *data);
/* The monitor is gone: a media change waiting for the tray ends. */
void qemu_media_clear(Domain *dom);

/* Shared by qemu_hotplug.c and qemu_media.c. @dev's one device is a disk,
 * or a refusal "@what of device '@type' is not supported". */
int qemu_hotplug_want_disk(const DomainDef *dev, const char *type, const char *what,
                           Error *error);
/* Saves *@def as the persistent definition and takes it (dom->def). */
int qemu_hotplug_save_config(Domain *dom, DomainDef **def, Error *error);
/* Disk @i of @def becomes @dev's first disk (taken); the old one is freed. */
void qemu_hotplug_disk_replace(DomainDef *def, size_t i, DomainDef *dev);
/* A definition with a device added goes through what a define does to it:
 * post-parse and address assignment. */
int qemu_hotplug_prepare(DomainDef *def, Error *error);
/* libvirt's alias numbering for a new device: one past the highest N of the
 * aliases "@prefix N" seen so far; call with each alias, starting at 0. */
unsigned qemu_hotplug_next_alias(const char *prefix, const char *alias, unsigned next);
/* A live change is done: the status, the persistent definition *@config
 * if CONFIG asked for one, DEVICE_ADDED of @added (NULL: none), and the
 * job ends with @error or else the save's. */
void qemu_hotplug_finish(Domain *dom, DomainDef **config, const char *added,
                         const Error *error);
/* Waits for QEMU's DEVICE_DELETED of @alias (device_del sent): @cb runs
 * once, when it came, when the monitor went (with an error) or after
 * libvirt's timeout (@timed_out). */
void qemu_hotplug_unplug_wait(Domain *dom, const char *alias, QemuUnplugCb cb, void *userdata);
/* The wait above ends without @cb (device_del itself failed). */
void qemu_hotplug_unplug_cancel(Domain *dom);

/* virDomainSetVcpusFlags (qemu_vcpus.c): LIVE plugs or unplugs vCPUs up
 * to the maximum, CONFIG sets the persistent count, MAXIMUM with CONFIG
 * the persistent maximum. Fails at once or calls @cb once. */
int qemu_domain_set_vcpus(Domain *dom, unsigned n, unsigned flags, DomainDoneCb cb,
                          void *userdata, Error *error);
/* blockdev-del of a disk's nodes libvirt-@index-format and -storage; @cb
 * (may be NULL) hears the second. -ENOENT without nodes or monitor, else
 * qmp_command()'s result. */
int qemu_hotplug_nodes_del(Domain *dom, unsigned index, QmpReplyCb cb, void *userdata);
/* The domain's one timer for a wait on QEMU (unplug, tray), made once. */
uv_timer_t *qemu_hotplug_timer(Domain *dom);

/* virDomainUpdateDeviceFlags of an interface (qemu_hotplug_net.c): its
 * link state, live (QMP set_link) and in the definition as @flags say.
 * Fails at once or calls @cb once. */
int qemu_hotplug_net_update(Domain *dom, DomainDef *dev, unsigned flags, DomainDoneCb cb,
                            void *userdata, Error *error);
/* Interfaces (qemu_hotplug_net.c): the live attach of @dev's one
 * interface (user, bridge, network), the persistent definition with it
 * added (*@ret), the index of the interface @net names in @def (libvirt's
 * virDomainNetFindIdx), and the start of its removal once the guest let go
 * of @alias (false when @alias is no interface). */
int qemu_hotplug_net_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                 DomainDoneCb cb, void *userdata, Error *error);
int qemu_hotplug_net_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error);
ssize_t qemu_hotplug_net_find(const DomainDef *def, const DomainNet *net, Error *error);
bool qemu_hotplug_net_removed(Domain *dom, const char *alias);
/* Devices that are one -device (qemu_hotplug_simple.c): SCSI controllers
 * and USB and virtio inputs; the same four steps as interfaces, and the
 * removal from a definition. */
int qemu_hotplug_simple_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                    DomainDoneCb cb, void *userdata, Error *error);
int qemu_hotplug_simple_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret,
                                      Error *error);
ssize_t qemu_hotplug_simple_find(const DomainDef *def, bool live, const DomainDef *dev,
                                 bool *controller, Error *error);
void qemu_hotplug_simple_remove(DomainDef *def, bool controller, size_t i);
bool qemu_hotplug_simple_removed(Domain *dom, const char *alias);
/* The watchdog (qemu_hotplug_simple.c): one i6300esb, its action set
 * (QMP set-action) before its device_add; the find is libvirt's match of
 * model, action and address (0, or libvirt's refusal). */
int qemu_hotplug_watchdog_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                      DomainDoneCb cb, void *userdata, Error *error);
int qemu_hotplug_watchdog_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret,
                                        Error *error);
int qemu_hotplug_watchdog_find(const DomainDef *def, bool live, const DomainWatchdog *w,
                               Error *error);
void qemu_hotplug_watchdog_remove(DomainDef *def);
/* Serial ports (qemu_hotplug_chr.c): chardev-add, then device_add; the
 * find is libvirt's virDomainChrFind (target type and port). */
int qemu_hotplug_serial_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                    DomainDoneCb cb, void *userdata, Error *error);
int qemu_hotplug_serial_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret,
                                      Error *error);
ssize_t qemu_hotplug_serial_find(const DomainDef *def, const DomainChr *chr, Error *error);
void qemu_hotplug_serial_remove(DomainDef *def, size_t i);
bool qemu_hotplug_serial_removed(Domain *dom, const char *alias);
/* PCI host devices (qemu_hotplug_simple.c): a managed one is detached from
 * its host driver by virtnodedevd first and given back after its removal;
 * the find is libvirt's virDomainHostdevFind (the host address). */
int qemu_hotplug_hostdev_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                     DomainDoneCb cb, void *userdata, Error *error);
int qemu_hotplug_hostdev_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret,
                                       Error *error);
ssize_t qemu_hotplug_hostdev_find(const DomainDef *def, const DomainHostdev *h, Error *error);
void qemu_hotplug_hostdev_remove(DomainDef *def, size_t i);
bool qemu_hotplug_hostdev_removed(Domain *dom, const char *alias);
/* Memory modules (qemu_hotplug_memory.c): object-add of the backend, then
 * device_add; the find is libvirt's virDomainMemoryFindByDef (live, with
 * the size aligned first) or virDomainMemoryFindInactiveByDef; the removal
 * from a definition takes the module's size off its total. */
int qemu_hotplug_memory_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                    DomainDoneCb cb, void *userdata, Error *error);
int qemu_hotplug_memory_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret,
                                      Error *error);
ssize_t qemu_hotplug_memory_find(const DomainDef *def, bool live, DomainMemoryDevice *match,
                                 Error *error);
void qemu_hotplug_memory_remove(DomainDef *def, size_t i);
bool qemu_hotplug_memory_removed(Domain *dom, const char *alias);
/* At start, with the monitor: where QEMU placed the modules. */
void qemu_memory_start(Domain *dom);
/* Device @alias has left the live definition: status, DEVICE_REMOVED, and
 * the detach waiting for it ends. */
void qemu_hotplug_removed(Domain *dom, const char *alias);

/* QMP DEVICE_DELETED and DEVICE_UNPLUG_GUEST_ERROR of a running guest. */
void qemu_hotplug_device_deleted(Domain *dom, json_t *data);
void qemu_hotplug_unplug_refused(Domain *dom, json_t *data);
/* The guest refused to let go of @alias: DEVICE_REMOVAL_FAILED, and a
 * detach waiting for it fails with libvirt's message. */
void qemu_hotplug_refused(Domain *dom, const char *alias);
/* QMP ACPI_DEVICE_OST: the guest's answer to a memory module's unplug. */
void qemu_hotplug_memory_ost(Domain *dom, json_t *data);
/* After a daemon restart, with the monitor back: the devices QEMU let go of
 * meanwhile (their DEVICE_DELETED lost) are removed, with DEVICE_REMOVED. */
void qemu_hotplug_reconnect(Domain *dom);
/* The monitor is gone: a detach still waiting ends with an error. */
void qemu_hotplug_clear(Domain *dom);
