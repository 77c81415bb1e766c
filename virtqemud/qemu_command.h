/* From a DomainDef to QEMU's argument vector. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "domain_def.h"
#include "error.h"

typedef struct QemuCommandContext {
    /* QMP unix socket path; QEMU listens on it: -chardev
     * socket,id=charmonitor,path=...,server=on,wait=off -mon
     * chardev=charmonitor,id=monitor,mode=control */
    const char *monitor_path;
    /* >= 0: an already-listening socket inherited by QEMU at this fd number;
     * used instead of the path (-chardev socket,id=charmonitor,fd=N,server=on,wait=off) */
    int monitor_fd;
    const char *pidfile;     /* -pidfile */
    const char *log_path;    /* not on argv (the driver redirects stderr there); may be NULL */
    /* where unix channel sockets without a path go, as <channel_dir>/<target
     * name> (e.g. ".../org.qemu.guest_agent.0"): give each domain its own
     * existing folder. May be NULL (such a channel is then an error). */
    const char *channel_dir;
    bool kvm_available;      /* /dev/kvm usable: <domain type='kvm'> without it is an error */
    /* per <graphics type='vnc'> in order: the port picked by the driver for
     * autoport; NULL or an entry <= 0: use def's port */
    const int *vnc_ports;
    /* per <interface>, in order: a tap fd for network/bridge types
     * (-netdev tap,fd=N); -1: none. NULL when no taps */
    const int *net_fds;
    /* per <disk>, in order: the resolved path for type='volume' disks (NULL
     * entry: use def's source). NULL array: none */
    const char *const *disk_paths;
    /* virConnectDomainXMLToNative: no tap is made, an interface on a tap
     * gets one of QEMU's own (-netdev tap with its ifup script), as
     * libvirt's conversion to 'ethernet' gives it */
    bool pretend;
} QemuCommandContext;

/* Builds argv (argv[0] = the emulator path) and the extra environment ("K=V"
 * strv: qemu:env entries; may be empty, never NULL on success). Never through
 * a shell. Every value from the XML that lands in a QEMU option string is
 * escaped for QEMU's option syntax (a comma is doubled: "a,b" -> "a,,b").
 * Targets QEMU 7.2 (Debian 12) and libvirt 9's way of writing the options
 * (-blockdev, -m size=Nk, bootindex= on devices).
 * @def should have been through qemu_domain_post_parse(),
 * qemu_domain_assign_addresses() and qemu_domain_assign_aliases().
 * Errors: VIR_ERR_CONFIG_UNSUPPORTED for what cannot be started (kvm without
 * kvm_available, spice/sdl/rdp graphics, network disks, spicevmc channels,
 * network/bridge interfaces without a tap fd), naming the thing. */
int qemu_command_build(const DomainDef *def, const QemuCommandContext *ctx,
                       char ***ret_argv, char ***ret_env, Error *error);

/* "a,b" -> "a,,b" (new string). */
char *qemu_escape_option(const char *value);
/* The inverse, for QMP: "virtio-blk-pci,id=a,,b" -> {"driver": "virtio-blk-pci",
 * "id": "a,b"} with @implied_key naming a first item without "=" (a key
 * alone is "on"). Values stay strings: device_add reads them as -device does. */
json_t *qemu_option_to_json(const char *opts, const char *implied_key);

/* The two block nodes of disk @d (libvirt-N-storage and libvirt-N-format
 * above it, N its source_index) on @path, as JSON for -blockdev and
 * blockdev-add alike. */
void qemu_disk_blockdevs(const DomainDisk *d, const char *path, json_t **ret_storage,
                         json_t **ret_format);
/* What hotplugging disk @i of @def needs: its two block nodes on @path (NULL:
 * the disk's source; both NULL for an empty drive) and device_add's
 * arguments, each new. @def holds the disk with its address and alias. */
int qemu_command_build_disk(const DomainDef *def, size_t i, const char *path,
                            json_t **ret_storage, json_t **ret_format, json_t **ret_device,
                            Error *error);
/* The device_add arguments of interface @i of @def (its netdev is
 * "host" + its alias), or a negative errno with @error. */
int qemu_command_build_net(const DomainDef *def, size_t i, json_t **ret_device, Error *error);
/* The device_add arguments of the controller, input, host device or watchdog of @def
 * whose alias is @alias (devices that are one -device each). */
/* QEMU's name for a watchdog's action ("dump" is libvirt's own: pause). */
const char *qemu_watchdog_action(WatchdogAction a);
int qemu_command_build_device(const DomainDef *def, const char *alias, json_t **ret_device,
                              Error *error);

/* The argv as one string, each argument shell-quoted only for display/logging
 * and for the .args test files (env first, then one "-opt value" pair per
 * line joined with " \\\n", as libvirt's tests write them). New string. */
char *qemu_command_to_string(char *const *argv, char *const *env);
