/* NUMA cells and dimm modules (qemu_memory.c). */
#pragma once

#include <inttypes.h>

#include <jansson.h>

#include "cpuset.h"
#include "domain_def.h"

/* object-add's (and -object's) memory-backend-ram @id of @size_kib, bound
 * to the host nodes of @nodemask when given, shared for access "shared",
 * discarding on exit with @discard > 0. NULL on a bad @nodemask. */
json_t *qemu_memory_backend(const char *id, uint64_t size_kib, const char *nodemask,
                            const char *access, int discard, Error *error);
/* libvirt's qemuDomainDefValidateMemoryHotplug: @def's modules (and @add,
 * one about to be plugged, when not NULL) need <maxMemory slots>, NUMA
 * cells, a node each, a slot each, and room below the maximum. */
int qemu_memory_validate(const DomainDef *def, const DomainMemoryDevice *add, Error *error);
/* libvirt's check of a module to attach against a definition
 * (virDomainDefCompatibleDevice): maxMemory set, and room below it. */
int qemu_memory_check_attach(const DomainDef *def, const DomainMemoryDevice *m, Error *error);
/* What is not supported here for @m's backend: hugepages. */
int qemu_memory_check_supported(const DomainMemoryDevice *m, Error *error);
/* A module to plug live is rounded up to 1 MiB, as libvirt does. */
void qemu_memory_align_module(DomainMemoryDevice *m);
/* @m (in @def or about to be) gets the first slot no other module has, or
 * its own slot is checked. */
int qemu_memory_assign_slot(const DomainDef *def, DomainMemoryDevice *m, Error *error);
/* At start, on the live definition: libvirt's qemuDomainAlignMemorySizes
 * (cells and the maximum to 1 MiB, modules to 2 MiB, the total again),
 * the rules above, and each module's slot. */
int qemu_memory_prepare(DomainDef *def, Error *error);
/* The base addresses of query-memory-devices' reply @devices into @def's
 * modules, by alias. */
void qemu_memory_update_bases(DomainDef *def, json_t *devices);
