/* virtqemud on D-Bus: org.libvirt.Connect on /org/libvirt/QEMU, an
 * org.libvirt.Domain object per domain, and the ObjectManager. The handlers
 * decode, call the driver, and reply; they hold no logic of their own. */
#pragma once

#include "bus_util.h"

#include <systemd/sd-bus.h>

#include "qemu_driver.h"

#define QEMU_BUS_PATH "/org/libvirt/QEMU"
#define QEMU_BUS_DOMAIN_PREFIX "/org/libvirt/QEMU/domain"
#define CONNECT_IFACE "org.libvirt.Connect"
#define DOMAIN_IFACE "org.libvirt.Domain"
/* Beyond libvirt-dbus: the domain's state as a property, so that a client
 * hears every change through PropertiesChanged instead of polling GetState. */
#define DOMAIN_STATE_IFACE "org.virtstack.DomainState"

typedef struct QemuBus {
    sd_bus *bus;       /* borrowed from the daemon */
    QemuDriver *drv;   /* borrowed */
    bool announce;     /* object added/removed signals (off while loading) */
} QemuBus;

/* The hooks the driver calls; userdata is the QemuBus. */
extern const QemuDriverHooks qemu_bus_hooks;

/* Registers the connection object, the domain objects and the ObjectManager. */
int qemu_bus_register(QemuBus *qb, Error *error);
/* Registers the domain objects' vtables (qemu_domain_bus.c). */
int qemu_domain_bus_register(QemuBus *qb, Error *error);

/* Completion for asynchronous handlers: replies to the kept message. */
typedef enum {
    REPLY_EMPTY,
    REPLY_PATH, /* "o": the domain's object path */
} ReplyKind;
void *qemu_bus_call_new(sd_bus_message *m, ReplyKind kind);
void qemu_bus_call_done(Domain *dom, const Error *error, void *userdata);
void qemu_bus_call_cancel(void *userdata);
/* After the driver's call @r that got @call: 1 (answered later), or the
 * call cancelled and its error replied. */
int qemu_bus_call_started(void *call, int r, Error *error, sd_bus_error *bus_error);

/* Handlers of qemu_tuning_bus.c, in the domain vtable. */
int qemu_bus_set_metadata(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_metadata(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_scheduler_parameters(sd_bus_message *m, void *userdata,
                                      sd_bus_error *bus_error);
int qemu_bus_set_scheduler_parameters(sd_bus_message *m, void *userdata,
                                      sd_bus_error *bus_error);
int qemu_bus_get_block_iotune(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_block_iotune(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_interface_parameters(sd_bus_message *m, void *userdata,
                                      sd_bus_error *bus_error);
int qemu_bus_set_interface_parameters(sd_bus_message *m, void *userdata,
                                      sd_bus_error *bus_error);
/* qemu_stats_bus.c */
int qemu_bus_get_block_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_cpu_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_disk_errors(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_job_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_job_stats(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_start_dirty_rate_calc(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_add_iothread(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_del_iothread(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_pin_iothread(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_iothread_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_pin_vcpu(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_pin_emulator(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_emulator_pin_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_memory_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_memory_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_blkio_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_blkio_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_numa_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_perf_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_perf_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_numa_parameters(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
/* qemu_console_bus.c */
int qemu_bus_open_console(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_open_channel(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_screenshot(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_send_key(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_inject_nmi(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
/* qemu_agent_bus.c */
int qemu_bus_get_hostname(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_time(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_time(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_set_user_password(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_fs_freeze(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_fs_thaw(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_fs_trim(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_fsinfo(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_interface_addresses(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_agent_command(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_get_guest_info(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_monitor_command(sd_bus_message *m, void *userdata, sd_bus_error *bus_error);
int qemu_bus_agent_set_response_timeout(sd_bus_message *m, void *userdata,
                                        sd_bus_error *bus_error);

/* The interfaces served, each with its vtable (tests/test_bus_contract.c). */
extern const BusInterfaceSpec qemu_connect_bus_interfaces[];
extern const BusInterfaceSpec qemu_domain_bus_interfaces[];
