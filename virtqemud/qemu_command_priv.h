/* What the parts of the command builder share (qemu_command.c and
 * qemu_command_devices.c); not for the rest of virtqemud. */
#pragma once

#include "domain_def.h"
#include "error.h"
#include "qemu_command.h"
#include "qemu_command_argv.h"

/* Lookups and names (qemu_command.c). */
const DomainController *find_controller(const DomainDef *def, ControllerType type,
                                        unsigned index);
const char *controller_id(Cmd *c, const DomainDef *def, ControllerType type, unsigned index);
int pci_addr(Cmd *c, const DomainDef *def, const DeviceAddress *a, const char **ret, Error *error);
int need_alias(const char *alias, const char *what, Error *error);
const char *chr_type_name(ChrType t);
const char *net_type_name(NetType t);

/* Disks, interfaces and character devices (qemu_command_devices.c). */
int build_serial_device(Cmd *c, const DomainDef *def, size_t i, Error *error);
int build_net(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, size_t i, int bootindex,
              Error *error);
int build_chrs(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, Error *error);
int build_disk(Cmd *c, const DomainDef *def, const QemuCommandContext *ctx, size_t i, int bootindex,
               Error *error);
