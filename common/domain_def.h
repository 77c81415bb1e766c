/* The domain XML definition: parse, validate and format libvirt's <domain>.
 *
 * A DomainDef is plain data: every string is owned by the definition, every
 * array is owned with its count beside it. Values the XML did not give stay
 * NULL / 0 / -1 ("unset") so that format() writes back only what was there,
 * plus what parse() generates (uuid, MAC addresses). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bandwidth.h"
#include "error.h"
#include "state_store.h"
#include "uuid.h"
#include "virt_constants.h"

typedef enum {
    DOMAIN_VIRT_QEMU, /* TCG */
    DOMAIN_VIRT_KVM,
    _DOMAIN_VIRT_MAX,
} DomainVirtType;

typedef enum {
    DOMAIN_LIFECYCLE_DESTROY,
    DOMAIN_LIFECYCLE_RESTART,
    DOMAIN_LIFECYCLE_PRESERVE,
    DOMAIN_LIFECYCLE_RENAME_RESTART,
    DOMAIN_LIFECYCLE_COREDUMP_DESTROY,
    DOMAIN_LIFECYCLE_COREDUMP_RESTART,
    _DOMAIN_LIFECYCLE_MAX,
} DomainLifecycleAction;

/* <address type='pci' .../> and friends; type NONE when absent. */
typedef enum {
    DEVICE_ADDRESS_NONE,
    DEVICE_ADDRESS_PCI,
    DEVICE_ADDRESS_DRIVE,
    DEVICE_ADDRESS_VIRTIO_SERIAL,
    DEVICE_ADDRESS_USB,
    DEVICE_ADDRESS_ISA,
    DEVICE_ADDRESS_DIMM,
    _DEVICE_ADDRESS_MAX,
} DeviceAddressType;

typedef struct DeviceAddress {
    DeviceAddressType type;
    /* PCI */
    unsigned domain, bus, slot, function;
    int multifunction; /* -1 unset, 0 off, 1 on */
    /* drive: controller, bus, target, unit; virtio-serial: controller, bus, port */
    unsigned controller, target, unit, port;
    /* usb */
    char *usb_port; /* e.g. "1" or "1.2" */
    /* isa */
    unsigned iobase, irq;
    /* dimm: slot (above) and base, the guest-physical address (0 unset) */
    uint64_t base;
} DeviceAddress;

typedef enum {
    DISK_TYPE_FILE,
    DISK_TYPE_BLOCK,
    DISK_TYPE_VOLUME,  /* <source pool= volume=>, resolved at start */
    DISK_TYPE_NETWORK, /* parsed and kept, not startable */
    _DISK_TYPE_MAX,
} DiskType;

typedef enum {
    DISK_DEVICE_DISK,
    DISK_DEVICE_CDROM,
    DISK_DEVICE_FLOPPY,
    DISK_DEVICE_LUN,
    _DISK_DEVICE_MAX,
} DiskDevice;

typedef enum {
    DISK_BUS_NONE, /* unset: derived from the target name at validate */
    DISK_BUS_VIRTIO,
    DISK_BUS_IDE,
    DISK_BUS_SCSI,
    DISK_BUS_SATA,
    DISK_BUS_USB,
    DISK_BUS_FDC,
    _DISK_BUS_MAX,
} DiskBus;

/* <driver cache=...>, io=..., discard=...: 0 is "not set". */
typedef enum {
    DISK_CACHE_UNSET,
    DISK_CACHE_DEFAULT,
    DISK_CACHE_NONE,
    DISK_CACHE_WRITETHROUGH,
    DISK_CACHE_WRITEBACK,
    DISK_CACHE_DIRECTSYNC,
    DISK_CACHE_UNSAFE,
    _DISK_CACHE_MAX,
} DiskCache;

typedef enum {
    DISK_IO_UNSET,
    DISK_IO_THREADS,
    DISK_IO_NATIVE,
    DISK_IO_URING,
    _DISK_IO_MAX,
} DiskIo;

typedef enum {
    DISK_DISCARD_UNSET,
    DISK_DISCARD_UNMAP,
    DISK_DISCARD_IGNORE,
    _DISK_DISCARD_MAX,
} DiskDiscard;

/* A disk's <iotune> limits, in libvirt's order (its XML elements and typed
 * parameters bear the names of disk_iotune_names); 0 is unset. */
typedef enum {
    IOTUNE_TOTAL_BYTES, IOTUNE_READ_BYTES, IOTUNE_WRITE_BYTES,
    IOTUNE_TOTAL_IOPS, IOTUNE_READ_IOPS, IOTUNE_WRITE_IOPS,
    IOTUNE_TOTAL_BYTES_MAX, IOTUNE_READ_BYTES_MAX, IOTUNE_WRITE_BYTES_MAX,
    IOTUNE_TOTAL_IOPS_MAX, IOTUNE_READ_IOPS_MAX, IOTUNE_WRITE_IOPS_MAX,
    IOTUNE_SIZE_IOPS,
    IOTUNE_TOTAL_BYTES_MAX_LENGTH, IOTUNE_READ_BYTES_MAX_LENGTH, IOTUNE_WRITE_BYTES_MAX_LENGTH,
    IOTUNE_TOTAL_IOPS_MAX_LENGTH, IOTUNE_READ_IOPS_MAX_LENGTH, IOTUNE_WRITE_IOPS_MAX_LENGTH,
    _IOTUNE_MAX,
} DiskIotuneField;

extern const char *const disk_iotune_names[_IOTUNE_MAX];

typedef struct DiskIotune {
    uint64_t v[_IOTUNE_MAX];
    char *group_name;
} DiskIotune;

/* Whether any limit is set. */
bool disk_iotune_is_set(const DiskIotune *t);

typedef struct DomainDisk {
    DiskType type;
    DiskDevice device;
    char *driver_name;   /* "qemu" */
    char *driver_type;   /* "raw", "qcow2", ... NULL when unset */
    DiskCache driver_cache;
    DiskIo driver_io;
    DiskDiscard driver_discard;
    unsigned driver_iothread; /* <driver iothread='N'>, 0 none */
    char *source;        /* file or dev path; NULL for an empty cdrom */
    char *source_pool;   /* DISK_TYPE_VOLUME */
    char *source_volume;
    char *source_protocol; /* DISK_TYPE_NETWORK: "nbd", "iscsi", ...; source is its name */
    char *source_host_name, *source_host_port; /* first <host>, NULL when absent */
    char *target_dev;    /* "vda" */
    DiskBus target_bus;
    bool readonly;
    bool shareable;
    bool tray_open;      /* a cdrom's or floppy's <target tray='open'> */
    char *serial;
    DiskIotune iotune;
    int boot_order;      /* 0 unset */
    DeviceAddress address;
    char *alias;         /* live only: "virtio-disk0" */
    unsigned source_index; /* live only: N of its block nodes libvirt-N-*, 0 none */
} DomainDisk;

/* libvirt's virDomainControllerType, in its order. */
typedef enum {
    CONTROLLER_IDE,
    CONTROLLER_FDC,
    CONTROLLER_SCSI,
    CONTROLLER_SATA,
    CONTROLLER_VIRTIO_SERIAL,
    CONTROLLER_CCID,
    CONTROLLER_USB,
    CONTROLLER_PCI,
    CONTROLLER_XENBUS,
    CONTROLLER_ISA,
    _CONTROLLER_TYPE_MAX,
} ControllerType;

/* libvirt's controller models, of every type in one enumeration (libvirt
 * has one per type; the same name may belong to two types, so a name is
 * read knowing the controller's type). */
typedef enum {
    CONTROLLER_MODEL_DEFAULT, /* no model='' */
    /* pci */
    CONTROLLER_MODEL_PCI_ROOT,
    CONTROLLER_MODEL_PCIE_ROOT,
    CONTROLLER_MODEL_PCI_BRIDGE,
    CONTROLLER_MODEL_DMI_TO_PCI_BRIDGE,
    CONTROLLER_MODEL_PCIE_TO_PCI_BRIDGE,
    CONTROLLER_MODEL_PCIE_ROOT_PORT,
    CONTROLLER_MODEL_PCIE_SWITCH_UPSTREAM_PORT,
    CONTROLLER_MODEL_PCIE_SWITCH_DOWNSTREAM_PORT,
    CONTROLLER_MODEL_PCI_EXPANDER_BUS,
    CONTROLLER_MODEL_PCIE_EXPANDER_BUS,
    /* scsi */
    CONTROLLER_MODEL_SCSI_AUTO,
    CONTROLLER_MODEL_BUSLOGIC,
    CONTROLLER_MODEL_LSILOGIC,
    CONTROLLER_MODEL_LSISAS1068,
    CONTROLLER_MODEL_VMPVSCSI,
    CONTROLLER_MODEL_IBMVSCSI,
    CONTROLLER_MODEL_VIRTIO_SCSI,
    CONTROLLER_MODEL_LSISAS1078,
    CONTROLLER_MODEL_SCSI_VIRTIO_TRANSITIONAL,
    CONTROLLER_MODEL_SCSI_VIRTIO_NON_TRANSITIONAL,
    CONTROLLER_MODEL_NCR53C90,
    CONTROLLER_MODEL_DC390,
    CONTROLLER_MODEL_AM53C974,
    /* usb */
    CONTROLLER_MODEL_PIIX3_UHCI,
    CONTROLLER_MODEL_PIIX4_UHCI,
    CONTROLLER_MODEL_EHCI,
    CONTROLLER_MODEL_ICH9_EHCI1,
    CONTROLLER_MODEL_ICH9_UHCI1,
    CONTROLLER_MODEL_ICH9_UHCI2,
    CONTROLLER_MODEL_ICH9_UHCI3,
    CONTROLLER_MODEL_VT82C686B_UHCI,
    CONTROLLER_MODEL_PCI_OHCI,
    CONTROLLER_MODEL_NEC_XHCI,
    CONTROLLER_MODEL_QUSB1,
    CONTROLLER_MODEL_QUSB2,
    CONTROLLER_MODEL_QEMU_XHCI,
    CONTROLLER_MODEL_USB_NONE,
    /* ide */
    CONTROLLER_MODEL_PIIX3,
    CONTROLLER_MODEL_PIIX4,
    CONTROLLER_MODEL_ICH6,
    /* virtio-serial */
    CONTROLLER_MODEL_VIRTIO_SERIAL_VIRTIO,
    CONTROLLER_MODEL_VIRTIO_SERIAL_TRANSITIONAL,
    CONTROLLER_MODEL_VIRTIO_SERIAL_NON_TRANSITIONAL,
    _CONTROLLER_MODEL_MAX,
} ControllerModel;

typedef struct DomainController {
    ControllerType type;
    int index;
    ControllerModel model;
    int master_startport; /* -1 unset */
    int ports, vectors;   /* 0 unset */
    DeviceAddress address;
    char *alias;
} DomainController;

typedef enum {
    NET_TYPE_USER,
    NET_TYPE_NETWORK,
    NET_TYPE_BRIDGE,
    NET_TYPE_ETHERNET,
    _NET_TYPE_MAX,
} NetType;

/* libvirt's virDomainNetModelType, in its order. A model it does not know
 * is kept by name (NET_MODEL_UNKNOWN with model_name), as libvirt does. */
typedef enum {
    NET_MODEL_UNKNOWN, /* no <model>, or model_name */
    NET_MODEL_NETFRONT,
    NET_MODEL_RTL8139,
    NET_MODEL_VIRTIO,
    NET_MODEL_E1000,
    NET_MODEL_E1000E,
    NET_MODEL_VIRTIO_TRANSITIONAL,
    NET_MODEL_VIRTIO_NON_TRANSITIONAL,
    NET_MODEL_USB_NET,
    NET_MODEL_SPAPR_VLAN,
    NET_MODEL_LAN9118,
    NET_MODEL_SCM91C111,
    NET_MODEL_VLANCE,
    NET_MODEL_VMXNET,
    NET_MODEL_VMXNET2,
    NET_MODEL_VMXNET3,
    NET_MODEL_AM79C970A,
    NET_MODEL_AM79C973,
    NET_MODEL_82540EM,
    NET_MODEL_82545EM,
    NET_MODEL_82543GC,
    _NET_MODEL_MAX,
} NetModel;

typedef struct DomainNet {
    NetType type;
    char mac[18];        /* "52:54:00:xx:xx:xx", generated when absent */
    bool mac_generated;  /* not written back by format: the generated value is */
    char *source;        /* network name or bridge name */
    NetModel model;
    char *model_name;    /* a model libvirt does not know; NULL otherwise */
    char *target_dev;    /* live: "vnet0" / "tap..." */
    char *link_state;    /* "up" / "down" */
    Bandwidth bandwidth;
    unsigned mtu;
    int boot_order;
    DeviceAddress address;
    char *alias;
} DomainNet;

typedef enum {
    CHR_TYPE_PTY,
    CHR_TYPE_FILE,
    CHR_TYPE_UNIX,
    CHR_TYPE_NULL,
    CHR_TYPE_STDIO,
    CHR_TYPE_TCP,
    CHR_TYPE_SPICEVMC,
    _CHR_TYPE_MAX,
} ChrType;

typedef enum {
    CHR_DEVICE_SERIAL,
    CHR_DEVICE_CONSOLE,
    CHR_DEVICE_CHANNEL,
    CHR_DEVICE_PARALLEL,
    _CHR_DEVICE_MAX,
} ChrDevice;

/* <target type=...> of a serial, console or channel; 0 is "not set". */
typedef enum {
    CHR_TARGET_UNSET,
    CHR_TARGET_ISA_SERIAL,     /* serial */
    CHR_TARGET_USB_SERIAL,
    CHR_TARGET_PCI_SERIAL,
    CHR_TARGET_SPAPR_VIO_SERIAL,
    CHR_TARGET_SYSTEM_SERIAL,
    CHR_TARGET_SCLP_SERIAL,
    CHR_TARGET_ISA_DEBUG,
    CHR_TARGET_SERIAL,         /* console */
    CHR_TARGET_XEN,
    CHR_TARGET_UML,
    CHR_TARGET_LXC,
    CHR_TARGET_OPENVZ,
    CHR_TARGET_SCLP,
    CHR_TARGET_SCLPLM,
    CHR_TARGET_VIRTIO,         /* console and channel */
    CHR_TARGET_GUESTFWD,       /* channel */
    _CHR_TARGET_MAX,
} ChrTargetType;

/* <source mode=...> of a unix or tcp chardev; 0 is "not set". */
typedef enum {
    CHR_MODE_UNSET,
    CHR_MODE_BIND,
    CHR_MODE_CONNECT,
    _CHR_MODE_MAX,
} ChrSourceMode;

/* libvirt's virDomainChrDeviceState: whether the guest has a virtio
 * channel open. */
enum { CHR_STATE_DEFAULT, CHR_STATE_CONNECTED, CHR_STATE_DISCONNECTED };

typedef struct DomainChr {
    ChrDevice device;
    ChrType type;
    char *source_path;   /* file / unix path; live pty path ("/dev/pts/3") */
    ChrSourceMode source_mode;
    char *source_host, *source_service; /* tcp */
    bool append;         /* file: <source append='on'> */
    ChrTargetType target_type;
    int target_port;     /* -1 unset */
    char *target_name;   /* channel: "org.qemu.guest_agent.0" */
    int target_state;    /* virtio channel, live: 0, CHR_STATE_CONNECTED or _DISCONNECTED */
    char *protocol;      /* tcp: <protocol type='raw'/> "raw" / "telnet" */
    DeviceAddress address;
    char *alias;
} DomainChr;

/* libvirt's virDomainInputType and virDomainInputBus, in their order. */
typedef enum {
    INPUT_MOUSE,
    INPUT_TABLET,
    INPUT_KEYBOARD,
    INPUT_PASSTHROUGH,
    INPUT_EVDEV,
    _INPUT_TYPE_MAX,
} InputType;

typedef enum {
    INPUT_BUS_DEFAULT, /* no bus='': chosen at post-parse */
    INPUT_BUS_PS2,
    INPUT_BUS_USB,
    INPUT_BUS_XEN,
    INPUT_BUS_PARALLELS,
    INPUT_BUS_VIRTIO,
    INPUT_BUS_NONE,
    _INPUT_BUS_MAX,
} InputBus;

typedef struct DomainInput {
    InputType type;
    InputBus bus;
    DeviceAddress address;
    char *alias;
} DomainInput;

/* libvirt's virDomainGraphicsType, in its order. */
typedef enum {
    GRAPHICS_SDL,
    GRAPHICS_VNC,
    GRAPHICS_RDP,
    GRAPHICS_DESKTOP,
    GRAPHICS_SPICE,
    GRAPHICS_EGL_HEADLESS,
    GRAPHICS_DBUS,
    _GRAPHICS_TYPE_MAX,
} GraphicsType;

typedef struct DomainGraphics {
    GraphicsType type; /* only vnc is started */
    int port;         /* -1 for autoport; live: the port chosen */
    bool autoport;
    char *listen;     /* address; NULL when unset */
    char *passwd;
    char *keymap;
    char *display;    /* sdl: display=':0.0' */
} DomainGraphics;

/* libvirt's virDomainVideoType, in its order ("default": no type=''). */
typedef enum {
    VIDEO_DEFAULT,
    VIDEO_VGA,
    VIDEO_CIRRUS,
    VIDEO_VMVGA,
    VIDEO_XEN,
    VIDEO_VBOX,
    VIDEO_QXL,
    VIDEO_PARALLELS,
    VIDEO_VIRTIO,
    VIDEO_GOP,
    VIDEO_NONE,
    VIDEO_BOCHS,
    VIDEO_RAMFB,
    _VIDEO_MODEL_MAX,
} VideoModel;

typedef struct DomainVideo {
    VideoModel model;
    unsigned vram, ram, vgamem, heads; /* 0 unset */
    bool primary;
    DeviceAddress address;
    char *alias;
} DomainVideo;

/* libvirt's virDomainSoundModel, in its order. */
typedef enum {
    SOUND_SB16,
    SOUND_ES1370,
    SOUND_PCSPK,
    SOUND_AC97,
    SOUND_ICH6,
    SOUND_ICH9,
    SOUND_USB,
    SOUND_ICH7,
    _SOUND_MODEL_MAX,
} SoundModel;

typedef struct DomainSound {
    SoundModel model;
    DeviceAddress address;
    char *alias;
} DomainSound;

/* libvirt 9.0's virDomainWatchdogModel and virDomainWatchdogAction. */
typedef enum {
    WATCHDOG_I6300ESB,
    WATCHDOG_IB700,
    WATCHDOG_DIAG288,
    _WATCHDOG_MODEL_MAX,
} WatchdogModel;

typedef enum {
    WATCHDOG_ACTION_RESET,
    WATCHDOG_ACTION_SHUTDOWN,
    WATCHDOG_ACTION_POWEROFF,
    WATCHDOG_ACTION_PAUSE,
    WATCHDOG_ACTION_DUMP,
    WATCHDOG_ACTION_NONE,
    WATCHDOG_ACTION_INJECT_NMI,
    _WATCHDOG_ACTION_MAX,
} WatchdogAction;

/* <watchdog>: one per domain in libvirt 9.0. */
typedef struct DomainWatchdog {
    WatchdogModel model;
    WatchdogAction action;
    DeviceAddress address;
    char *alias;
} DomainWatchdog;

/* <memory model='dimm'> of <devices>: a memory module in one of the
 * <maxMemory slots>; the only model here (libvirt's others are refused). */
typedef struct DomainMemoryDevice {
    char *access;          /* "shared", "private"; NULL unset */
    int discard;           /* -1 unset, 0 no, 1 yes */
    char *source_nodemask; /* <source><nodemask>: host nodes to bind to */
    uint64_t source_pagesize_kib; /* <source><pagesize>, 0 unset (refused at start) */
    uint64_t size_kib;     /* <target><size> */
    int target_node;       /* <target><node>, -1 unset */
    DeviceAddress address; /* type dimm: slot and base */
    char *alias;           /* "dimmN" */
} DomainMemoryDevice;

typedef struct DomainRedirdev {
    char *bus;        /* "usb" */
    char *type;       /* "spicevmc", "tcp" */
    DeviceAddress address;
    char *alias;
} DomainRedirdev;

/* <hostdev mode='subsystem' type='pci'>: a host PCI function given to the
 * guest (vfio-pci); type='usb': a host USB device (usb-host). */
typedef enum {
    HOSTDEV_PCI,
    HOSTDEV_USB,
} HostdevType;

typedef struct DomainHostdev {
    char *raw_xml;       /* other hostdevs (scsi, caps): kept verbatim, not startable */
    HostdevType type;
    bool managed;        /* detach from / re-attach to the host driver around the guest */
    DeviceAddress source; /* the host's PCI address (type PCI) */
    /* USB: <vendor id>/<product id> and/or <address bus device> (0 unset);
     * the address is the host's, found from the ids at start. */
    unsigned usb_vendor, usb_product, usb_bus, usb_device;
    char *startup_policy; /* "mandatory", "requisite", "optional" */
    char *usb_dev_path;   /* live only: /dev/bus/usb/BUS/DEV once found; NULL: missing */
    int boot_order;
    DeviceAddress address; /* the guest's */
    char *alias;
} DomainHostdev;

/* libvirt's virDomainMemballoonModel, after "absent". */
typedef enum {
    MEMBALLOON_ABSENT, /* no <memballoon>: virtio is added at post-parse */
    MEMBALLOON_VIRTIO,
    MEMBALLOON_XEN,
    MEMBALLOON_NONE,
    MEMBALLOON_VIRTIO_TRANSITIONAL,
    MEMBALLOON_VIRTIO_NON_TRANSITIONAL,
    _MEMBALLOON_MODEL_MAX,
} MemballoonModel;

typedef struct DomainMemballoon {
    MemballoonModel model;
    int stats_period; /* -1 unset */
    DeviceAddress address;
    char *alias;
} DomainMemballoon;

typedef struct DomainVcpuPin {
    unsigned vcpu;
    char *cpuset;
} DomainVcpuPin;

/* An <iothreadpin>. */
typedef struct DomainIOThreadPin {
    unsigned id;
    char *cpuset;
} DomainIOThreadPin;

typedef struct DomainCputune {
    bool present;
    DomainVcpuPin *vcpupins;
    size_t n_vcpupins;
    char *emulatorpin;           /* cpuset */
    DomainIOThreadPin *iothreadpins;
    size_t n_iothreadpins;
    uint64_t shares;             /* 0 unset */
    uint64_t period;             /* 0 unset */
    int64_t quota;               /* 0 unset */
    uint64_t emulator_period;
    int64_t emulator_quota;
    uint64_t global_period;      /* the whole domain's group */
    int64_t global_quota;
    uint64_t iothread_period;
    int64_t iothread_quota;
    bool has_quota, has_emulator_quota, has_global_quota, has_iothread_quota;
} DomainCputune;

/* <memtune>, in KiB; 0 is unset (libvirt's "unlimited"). */
typedef struct DomainMemtune {
    uint64_t hard_limit, soft_limit, swap_hard_limit, min_guarantee;
} DomainMemtune;

/* libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, in KiB. */
#define DOMAIN_MEMORY_UNLIMITED 9007199254740991ULL

/* A <blkiotune><device>: a host block device's weight and limits (0 unset). */
typedef struct DomainBlkioDevice {
    char *path;
    unsigned weight;
    uint64_t read_iops, write_iops, read_bytes, write_bytes;
} DomainBlkioDevice;

typedef struct DomainBlkiotune {
    unsigned weight; /* 0 unset */
    DomainBlkioDevice *devices;
    size_t n_devices;
} DomainBlkiotune;

/* <numatune><memory mode= nodeset= placement=>; mode NULL: no element. */
typedef struct DomainNumatune {
    char *mode;      /* "strict", "preferred", "interleave", "restrictive" */
    char *nodeset;
    char *placement; /* "static", "auto" */
} DomainNumatune;

typedef struct DomainCpuFeature {
    char *policy; /* "require", "disable", "force", "optional", "forbid" */
    char *name;
} DomainCpuFeature;

/* <cpu mode=...>; CPU_MODE_NONE: no <cpu> element. */
typedef enum {
    CPU_MODE_NONE,
    CPU_MODE_CUSTOM,
    CPU_MODE_HOST_MODEL,
    CPU_MODE_HOST_PASSTHROUGH,
    CPU_MODE_MAXIMUM,
    _CPU_MODE_MAX,
} CpuMode;

/* <cpu><numa><cell>: a guest NUMA node; cells are kept in id order. */
typedef struct DomainNumaCell {
    char *cpus;            /* the vCPU ids as written ("0-1"), NULL: none */
    uint64_t memory_kib;
    char *mem_access;      /* "shared", "private"; NULL unset */
    int discard;           /* -1 unset, 0 no, 1 yes */
} DomainNumaCell;

typedef struct DomainCpu {
    CpuMode mode;
    char *match;           /* "exact", "minimum", "strict" */
    char *check;
    char *migratable;
    char *model;
    char *model_fallback;  /* "allow", "forbid" */
    char *vendor;
    unsigned sockets, dies, cores, threads; /* 0 unset */
    DomainCpuFeature *features;
    size_t n_features;
    DomainNumaCell *cells;
    size_t n_cells;
} DomainCpu;

/* <clock offset=...>; absent is utc. */
typedef enum {
    CLOCK_OFFSET_UTC,
    CLOCK_OFFSET_LOCALTIME,
    CLOCK_OFFSET_VARIABLE,
    CLOCK_OFFSET_TIMEZONE,
    CLOCK_OFFSET_ABSOLUTE,
    _CLOCK_OFFSET_MAX,
} ClockOffset;

typedef struct DomainTimer {
    char *name;       /* "rtc", "pit", "hpet", "kvmclock", "hypervclock", "tsc" */
    char *tickpolicy;
    int present;      /* -1 unset, 0 no, 1 yes */
    char *track;
} DomainTimer;

/* libvirt's virPerfEventType, in its order: <perf><event name=...>. */
typedef enum {
    PERF_CMT, PERF_MBMT, PERF_MBML,
    PERF_CPU_CYCLES, PERF_INSTRUCTIONS, PERF_CACHE_REFERENCES, PERF_CACHE_MISSES,
    PERF_BRANCH_INSTRUCTIONS, PERF_BRANCH_MISSES, PERF_BUS_CYCLES,
    PERF_STALLED_CYCLES_FRONTEND, PERF_STALLED_CYCLES_BACKEND, PERF_REF_CPU_CYCLES,
    PERF_CPU_CLOCK, PERF_TASK_CLOCK, PERF_PAGE_FAULTS, PERF_CONTEXT_SWITCHES,
    PERF_CPU_MIGRATIONS, PERF_PAGE_FAULTS_MIN, PERF_PAGE_FAULTS_MAJ,
    PERF_ALIGNMENT_FAULTS, PERF_EMULATION_FAULTS,
    _PERF_EVENT_MAX,
} PerfEvent;

/* A <perf> event's state: absent, enabled='yes', enabled='no'. */
typedef enum {
    PERF_ABSENT,
    PERF_YES,
    PERF_NO,
} PerfState;

typedef struct DomainQemuEnv {
    char *name;
    char *value;
} DomainQemuEnv;

typedef struct DomainDef {
    DomainVirtType virt_type;
    int id;                /* <domain id=''> of a live status XML, -1 when absent;
                            * format() writes its own @id argument instead */
    char *name;
    Uuid uuid;
    bool uuid_generated;
    char *title;
    char *description;
    char *metadata;        /* inner XML of <metadata>, kept verbatim; NULL if absent */

    uint64_t memory_kib;         /* <memory>: the total, NUMA cells and memory devices
                                  * together (domain_def_memory_initial() is the part
                                  * that is not in devices) */
    uint64_t current_memory_kib; /* <currentMemory>; equal to memory when absent */
    uint64_t max_memory_kib;     /* <maxMemory>, 0 unset */
    unsigned max_memory_slots;
    DomainMemtune memtune;
    DomainBlkiotune blkiotune;
    DomainNumatune numatune;

    unsigned vcpus;              /* <vcpu>N</vcpu>, 1 when absent */
    unsigned vcpus_current;      /* current='', equal to vcpus when absent */
    /* live only: per vCPU id (vcpus of them), 1 for one plugged with
     * device_add (QEMU id "vcpuN"), which can be unplugged again; NULL when
     * none is. Written as libvirt's <vcpus> list. */
    unsigned char *vcpu_hotplugged;
    /* <iothreads> and <iothreadids>: the ids, in order (1..N when only the
     * count was given); ids_listed: written as <iothreadids> too. */
    unsigned *iothread_ids;
    size_t n_iothreads;
    bool iothread_ids_listed;
    char *vcpu_placement;        /* "static", "auto" */
    char *vcpu_cpuset;
    DomainCputune cputune;
    DomainCpu cpu;

    /* <os> */
    char *os_type;               /* "hvm" */
    char *os_arch;               /* "x86_64" */
    char *os_machine;            /* "pc", "q35", "pc-i440fx-..." */
    char **os_boot_devs;         /* "hd", "cdrom", "network", "fd" in order */
    size_t n_os_boot_devs;
    bool os_bootmenu;            /* <bootmenu enable='yes'/> */
    char *os_kernel, *os_initrd, *os_cmdline, *os_dtb;
    char *os_loader;             /* path */
    char *os_loader_readonly;    /* "yes"/"no" */
    char *os_loader_type;        /* "rom"/"pflash" */
    char *os_nvram;
    char *os_firmware;           /* <os firmware='efi'> */

    /* <features>: names of empty feature elements in order ("acpi", "apic",
     * "pae", ...); others with attributes are kept as raw XML. */
    char **features;
    size_t n_features;
    char *features_extra_xml;    /* raw XML of complex features (hyperv, kvm, ...) */

    ClockOffset clock_offset;
    char *clock_adjustment;
    char *clock_basis;
    DomainTimer *timers;
    size_t n_timers;

    DomainLifecycleAction on_poweroff; /* default destroy */
    DomainLifecycleAction on_reboot;   /* default restart */
    DomainLifecycleAction on_crash;    /* default destroy */

    /* <pm>: -1 unset, 0 no, 1 yes */
    int pm_suspend_to_mem;
    int pm_suspend_to_disk;
    unsigned char perf_events[_PERF_EVENT_MAX]; /* <perf>: PerfState per event */

    /* <devices> */
    char *emulator;
    DomainDisk *disks;             size_t n_disks;
    DomainController *controllers; size_t n_controllers;
    DomainNet *nets;               size_t n_nets;
    DomainChr *serials;            size_t n_serials;
    DomainChr *consoles;           size_t n_consoles;
    DomainChr *channels;           size_t n_channels;
    DomainInput *inputs;           size_t n_inputs;
    DomainGraphics *graphics;      size_t n_graphics;
    DomainVideo *videos;           size_t n_videos;
    DomainSound *sounds;           size_t n_sounds;
    DomainRedirdev *redirdevs;     size_t n_redirdevs;
    DomainHostdev *hostdevs;       size_t n_hostdevs;
    DomainWatchdog *watchdog;      /* NULL: none */
    DomainMemballoon memballoon;
    DomainMemoryDevice *memories;  size_t n_memories;

    /* <qemu:commandline> */
    char **qemu_args;              size_t n_qemu_args;
    DomainQemuEnv *qemu_envs;      size_t n_qemu_envs;
} DomainDef;

/* Flags for domain_def_format(), numbered as libvirt's virDomainXMLFlags. */
typedef enum {
    DOMAIN_DEF_FORMAT_SECURE = DOMAIN_XML_SECURE,      /* include passwords */
    DOMAIN_DEF_FORMAT_INACTIVE = DOMAIN_XML_INACTIVE,  /* no live-only data */
    DOMAIN_DEF_FORMAT_UPDATE_CPU = DOMAIN_XML_UPDATE_CPU,
    DOMAIN_DEF_FORMAT_MIGRATABLE = DOMAIN_XML_MIGRATABLE,
} DomainDefFormatFlags;

/* Hard limits on what parse() accepts; a definition over them is refused
 * with VIR_ERR_XML_ERROR before anything is allocated for it. */
#define DOMAIN_DEF_MAX_XML_BYTES (10 * 1024 * 1024)
/* A domain's definition is a file of its name: the state store's limit. */
#define DOMAIN_DEF_MAX_NAME STATE_STORE_MAX_NAME

/* Parses and validates @xml (a whole <domain> document). Generates the UUID
 * and MAC addresses the XML lacks. Refuses DTDs and entities (no entity
 * expansion, no network access). Errors are VIR_ERR_XML_ERROR (not well
 * formed: the message names the line), VIR_ERR_XML_DETAIL or
 * VIR_ERR_CONFIG_UNSUPPORTED (bad values), VIR_ERR_NO_NAME, VIR_ERR_OS_TYPE,
 * and where libvirt uses them VIR_ERR_INTERNAL_ERROR (bad uuid, lifecycle
 * action, current vcpus), VIR_ERR_INVALID_ARG (unknown memory unit),
 * VIR_ERR_OVERFLOW (memory too large), VIR_ERR_NO_TARGET (disk without
 * target). Messages carry libvirt's prefix ("XML error: ...").
 * As libvirt: currentMemory above memory is lowered to it, a missing disk
 * bus follows from the target name, a missing input bus is usb for a tablet
 * and ps2 otherwise, unknown elements are ignored. */
int domain_def_parse(const char *xml, DomainDef **ret_def, Error *error);
/* Flags for domain_def_parse_flags(). */
typedef enum {
    DOMAIN_DEF_PARSE_SKIP_VALIDATE = 1 << 0, /* leave domain_def_validate() to the caller */
} DomainDefParseFlags;
/* domain_def_parse() with flags. */
int domain_def_parse_flags(const char *xml, unsigned flags, DomainDef **ret_def, Error *error);
/* Parses one device (virsh attach-device's XML: a <disk>, <interface>, ...)
 * into a new definition that holds only that device, in its array.
 * *ret_type is libvirt's name of the device's type (virDomainDeviceType:
 * "disk", "interface", "chr" for serial, console and channel, ...), for
 * messages. A device libvirt knows that is not read here gives an empty
 * definition; a name libvirt does not know is refused
 * (VIR_ERR_CONFIG_UNSUPPORTED "unknown device type"). A controller without
 * an index gets -1: the first free index of the domain it joins. */
int domain_device_parse(const char *xml, DomainDef **ret_devs, const char **ret_type,
                        Error *error);
/* How many devices @def holds (the emulator is not one). */
size_t domain_def_device_count(const DomainDef *def);
/* The most vCPUs a definition may have: above what any QEMU machine type
 * accepts, refused before QEMU is asked. */
#define DOMAIN_DEF_MAX_VCPUS 4096
/* The disk libvirt's calls name by @path: its target ("vda") or its
 * source; -1 when none. */
ssize_t domain_def_find_disk(const DomainDef *def, const char *path);
/* Whether @def has the IOThread @id. */
bool domain_def_has_iothread(const DomainDef *def, unsigned id);
/* Memory (domain_memory.c): the initial memory, <memory> without the
 * modules; the <numa> cells' vCPU lists against <vcpu>; the module of @def
 * that libvirt's virDomainMemoryFindByDef matches with @match, or -1 (see
 * domain_memory.c for @address_fallback). */
uint64_t domain_def_memory_initial(const DomainDef *def);
int domain_numa_validate(const DomainDef *def, Error *error);
ssize_t domain_memory_device_find(const DomainDef *def, const DomainMemoryDevice *match,
                                  bool address_fallback);
void domain_memory_device_clear(DomainMemoryDevice *m);
/* libvirt's virDomainMemoryDefValidate for a dimm of (or for) @def: its
 * node among the cells. */
int domain_memory_device_validate(const DomainDef *def, const DomainMemoryDevice *m,
                                  Error *error);
/* Checks the cross-field rules (parse() already calls it). */
int domain_def_validate(const DomainDef *def, Error *error);
/* What a disk alone must satisfy (part of domain_def_validate(), and of a
 * device's parse): 0, or -EINVAL with libvirt's error. */
int domain_disk_validate(const DomainDisk *d, Error *error);
/* How many vCPUs of @def are plugged ones (vcpu_hotplugged). */
unsigned domain_def_vcpus_hotplugged(const DomainDef *def);
/* Interface @i of @from moves to the end of @to's. */
void domain_def_move_net(DomainDef *to, DomainDef *from, size_t i);
/* Interface @i of @def goes (its memory too). */
void domain_def_remove_net(DomainDef *def, size_t i);
/* Whether two device addresses name the same place (multifunction aside). */
bool domain_device_address_equal(const DeviceAddress *a, const DeviceAddress *b);
/* Returns a new string: the XML of @def, indented by two spaces, as libvirt
 * writes it. DOMAIN_DEF_FORMAT_INACTIVE leaves out live-only data (aliases,
 * pty paths, VNC port, target dev of interfaces, the id attribute). @id is
 * written as <domain id='N'> when >= 0 and not INACTIVE. */
char *domain_def_format(const DomainDef *def, int id, unsigned flags);
/* A deep copy. */
DomainDef *domain_def_copy(const DomainDef *def);
void domain_def_free(DomainDef *def);
DEFINE_FREEP(DomainDef, domain_def_free)

/* virDomainSetMetadata/GetMetadata (domain_metadata.c). check(): the
 * arguments libvirt's client library checks, for callers that skip it
 * (D-Bus): uri and key NULL for a title or description, uri (and key with
 * an element) given for DOMAIN_METADATA_ELEMENT. get() returns a new string
 * (the element without its namespace), or VIR_ERR_NO_DOMAIN_METADATA.
 * set(): @metadata NULL or "" removes; an element replaces the one in
 * @uri, named with prefix @key. */
int domain_metadata_check(int type, const char *metadata, const char *key, const char *uri,
                          bool set, Error *error);
int domain_def_get_metadata(const DomainDef *def, int type, const char *uri, char **ret,
                            Error *error);
int domain_def_set_metadata(DomainDef *def, int type, const char *metadata, const char *key,
                            const char *uri, Error *error);

/* A valid domain name: non-empty, at most DOMAIN_DEF_MAX_NAME bytes, no '/',
 * not "." or "..", no control characters. */
bool domain_def_name_is_valid(const char *name);

const char *domain_lifecycle_action_to_string(DomainLifecycleAction a);
const char *domain_virt_type_to_string(DomainVirtType t);
const char *disk_bus_to_string(DiskBus bus);
const char *controller_type_to_string(ControllerType t);
/* The model's name (model_name for an unknown one); NULL without <model>. */
const char *net_model_name(const DomainNet *n);
/* Sets @n's model from its name (NULL: none), as libvirt reads it. */
int domain_net_set_model(DomainNet *n, const char *name, Error *error);
const char *input_type_to_string(InputType t);
int input_type_from_string(const char *s);
const char *input_bus_to_string(InputBus b);
int input_bus_from_string(const char *s);
const char *graphics_type_to_string(GraphicsType t);
int graphics_type_from_string(const char *s);
const char *video_model_to_string(VideoModel m);
int video_model_from_string(const char *s);
const char *sound_model_to_string(SoundModel m);
int sound_model_from_string(const char *s);
const char *memballoon_model_to_string(MemballoonModel m);
const char *watchdog_model_to_string(WatchdogModel m);
int watchdog_model_from_string(const char *s);
const char *watchdog_action_to_string(WatchdogAction a);
int watchdog_action_from_string(const char *s);
int memballoon_model_from_string(const char *s);
int controller_type_from_string(const char *s);
/* NULL for CONTROLLER_MODEL_DEFAULT. */
const char *controller_model_to_string(ControllerModel m);
/* The model named @s among @type's, or -1. */
int controller_model_from_string(ControllerType type, const char *s);

/* The reverse mappings return -1 for an unknown or NULL string. */
int domain_lifecycle_action_from_string(const char *s);
int domain_virt_type_from_string(const char *s);
int disk_bus_from_string(const char *s);
const char *disk_type_to_string(DiskType t);
int disk_type_from_string(const char *s);
const char *disk_device_to_string(DiskDevice d);
int disk_device_from_string(const char *s);
const char *net_type_to_string(NetType t);
int net_type_from_string(const char *s);
const char *chr_type_to_string(ChrType t);
const char *chr_target_type_to_string(ChrTargetType t);
int chr_target_type_from_string(const char *s);
const char *chr_source_mode_to_string(ChrSourceMode m);
int chr_source_mode_from_string(const char *s);
const char *disk_cache_to_string(DiskCache c);
int disk_cache_from_string(const char *s);
const char *disk_io_to_string(DiskIo io);
int disk_io_from_string(const char *s);
const char *disk_discard_to_string(DiskDiscard d);
int disk_discard_from_string(const char *s);
const char *cpu_mode_to_string(CpuMode m);
int cpu_mode_from_string(const char *s);
const char *clock_offset_to_string(ClockOffset o);
int clock_offset_from_string(const char *s);
int chr_type_from_string(const char *s);
const char *chr_device_to_string(ChrDevice d); /* element name: "serial", ... */
const char *device_address_type_to_string(DeviceAddressType t);
const char *perf_event_to_string(PerfEvent e);
int perf_event_from_string(const char *s);
int device_address_type_from_string(const char *s);

/* Generates a random MAC address with QEMU's 52:54:00 prefix into @mac. */
void domain_net_generate_mac(char mac[static 18]);
/* Parses "aa:bb:cc:dd:ee:ff" (one or two hex digits per byte) and writes
 * the canonical lowercase form into @ret_mac. Returns 0 or -EINVAL. */
int domain_net_parse_mac(const char *s, char ret_mac[static 18]);
