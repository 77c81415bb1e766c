/* qemu_capabilities: which QEMU emulators this host has, their machine types,
 * and libvirt's <capabilities> and <domainCapabilities> documents built from
 * them and from node_info. */
#pragma once

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "node_info.h"

typedef struct QemuMachine {
    char *name;
    char *alias;        /* "pc" -> alias of "pc-i440fx-7.2"; NULL when none */
    bool is_default;
    unsigned max_cpus;
} QemuMachine;

typedef struct QemuEmulator {
    char *path;
    char *arch;         /* "x86_64", "i686" (qemu-system-i386), "aarch64", ... */
    QemuMachine *machines;
    size_t n_machines;
    bool kvm;
    char **cpu_models;  /* `-cpu help` names (x86 only), NULL-terminated; may be NULL */
} QemuEmulator;

typedef struct QemuHostCaps {
    HostCpu *cpu;
    NodeCell *cells;
    size_t n_cells;
    QemuEmulator *emulators;
    size_t n_emulators;
    char *host_uuid;    /* from /sys/class/dmi/id/product_uuid or /etc/machine-id */
    char *sysroot;      /* the root it was probed from; the formatter reads /sys below it */
} QemuHostCaps;

/* Finds the emulators (qemu-system-* in /usr/bin, /usr/local/bin, and PATH),
 * and asks each for its machine types (`-machine help`, run with
 * child_run_capture; never on the loop: the driver calls this from
 * uv_queue_work or at startup). Results are cached in @cache_dir (a JSON file
 * per emulator keyed on path, size, mtime) so a restart does not run QEMU
 * again; @cache_dir may be NULL (no cache). @ret is new; free it with
 * qemu_host_caps_free(). */
int qemu_caps_probe(const char *sysroot, const char *cache_dir, QemuHostCaps **ret,
                    Error *error);
/* As qemu_caps_probe(), searching only @dirs (NULL-terminated) for
 * qemu-system-*: tests point it at a folder of their own. */
int qemu_caps_probe_dirs(const char *sysroot, const char *cache_dir, const char *const *dirs,
                         QemuHostCaps **ret, Error *error);
void qemu_host_caps_free(QemuHostCaps *caps);
DEFINE_FREEP(QemuHostCaps, qemu_host_caps_free)

/* libvirt's <capabilities>: host (uuid, cpu, power_management, iommu,
 * migration_features, topology cells, secmodel none) and one <guest> per
 * emulator arch. Returns a new string. */
/* The host's capabilities; QEMU runs as @qemu_user:@qemu_group (DAC). */
char *qemu_caps_format_capabilities(const QemuHostCaps *caps, uid_t qemu_user,
                                    gid_t qemu_group);

/* libvirt's <domainCapabilities> for one emulator/arch/machine/virttype;
 * NULL/empty arguments pick the defaults (x86_64, the default machine, kvm if
 * available else qemu). Unknown emulator/arch/machine: VIR_ERR_INVALID_ARG
 * naming it. @ret_xml is a new string. */
int qemu_caps_format_domain_capabilities(const QemuHostCaps *caps, const char *emulator,
                                         const char *arch, const char *machine,
                                         const char *virttype, char **ret_xml, Error *error);

/* Borrowed from @caps. NULL arguments match any; NULL when none matches. */
const QemuEmulator *qemu_caps_find_emulator(const QemuHostCaps *caps, const char *path_or_null,
                                            const char *arch_or_null);
/* Machine name (or alias) known to the emulator? Used at start: "unsupported
 * machine type 'rhel6.3.0' for emulator '/usr/bin/qemu-system-x86_64'".
 * Borrowed from @emu; NULL when unknown. */
const QemuMachine *qemu_emulator_find_machine(const QemuEmulator *emu, const char *name);

/* Is /dev/kvm usable (open O_RDWR works and KVM_GET_API_VERSION answers)? */
bool qemu_caps_kvm_available(void);
