/* Guest memory beyond one block, as libvirt's QEMU driver has it: NUMA
 * cells, each its own memory backend, and dimm modules plugged into the
 * <maxMemory slots>. Here are libvirt's rules for them (at define, at start
 * and for a module plugged live), the sizes QEMU wants (aligned at start),
 * the slots, and the backend objects (-object at start, object-add live). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qemu_memory.h"

#define ROUND_UP(v, a) (((v) + (a) - 1) / (a) * (a))

/* libvirt's qemuDomainGetMemorySizeAlignment and, for modules,
 * qemuDomainGetMemoryModuleSizeAlignment on x86 (KiB). */
#define MEMORY_ALIGN_KIB 1024
#define MODULE_ALIGN_KIB 2048

json_t *
qemu_memory_backend(const char *id, uint64_t size_kib, const char *nodemask,
                    const char *access, int discard, Error *error)
{
    json_t *props = json_pack("{s:s,s:s,s:I}", "qom-type", "memory-backend-ram", "id", id,
                              "size", (json_int_t) (size_kib * 1024));

    if (access)
        json_object_set_new(props, "share", json_boolean(STREQ(access, "shared")));
    if (discard > 0)
        json_object_set_new(props, "discard-data", json_true());
    if (nodemask) {
        json_t *nodes = json_array();
        cpu_set_t set;

        if (cpuset_parse(nodemask, &set, error) < 0) {
            json_decref(nodes);
            json_decref(props);
            return NULL;
        }
        for (int n = 0; n < CPU_SETSIZE; n++)
            if (CPU_ISSET(n, &set))
                json_array_append_new(nodes, json_integer(n));
        json_object_set_new(props, "host-nodes", nodes);
        json_object_set_new(props, "policy", json_string("bind"));
    }
    return props;
}

static bool
has_memory_hotplug(const DomainDef *def)
{
    return def->max_memory_kib && def->max_memory_slots;
}

/* The dimm rules of libvirt's qemuDomainDefValidateMemoryHotplugDevice. */
static int
validate_module(const DomainDef *def, const DomainMemoryDevice *m, const DomainMemoryDevice *skip,
                Error *error)
{
    if (def->cpu.n_cells && m->target_node < 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: target NUMA node needs to be specified "
                         "for memory device");
    if (m->address.type != DEVICE_ADDRESS_DIMM)
        return 0;
    if (m->address.slot >= def->max_memory_slots)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: memory device slot '%u' exceeds slots "
                         "count '%u'", m->address.slot, def->max_memory_slots);
    for (size_t i = 0; i < def->n_memories; i++) {
        const DomainMemoryDevice *o = &def->memories[i];

        if (o == m || o == skip || o->address.type != DEVICE_ADDRESS_DIMM)
            continue;
        if (o->address.slot == m->address.slot)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: memory device slot '%u' is already "
                             "being used by another memory device", m->address.slot);
        if (m->address.base && o->address.base == m->address.base)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: memory device base '0x%" PRIx64 "' is "
                             "already being used by another memory device", m->address.base);
    }
    return 0;
}

int
qemu_memory_validate(const DomainDef *def, const DomainMemoryDevice *add, Error *error)
{
    size_t n = def->n_memories + (add ? 1 : 0);
    uint64_t space, plugged = add ? add->size_kib : 0;
    int r;

    if (add && (r = validate_module(def, add, NULL, error)) < 0)
        return r;
    if (!has_memory_hotplug(def)) {
        if (n)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: cannot use/hotplug a memory device "
                             "when domain 'maxMemory' is not defined");
        return 0;
    }
    /* QEMU would make one NUMA node of its own: libvirt wants it written. */
    if (def->cpu.n_cells == 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: At least one numa node has to be "
                         "configured when enabling memory hotplug");
    if (n > def->max_memory_slots)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: memory device count '%zu' exceeds slots "
                         "count '%u'", n, def->max_memory_slots);
    for (size_t i = 0; i < def->n_memories; i++) {
        plugged += def->memories[i].size_kib;
        if (!add && (r = validate_module(def, &def->memories[i], NULL, error)) < 0)
            return r;
    }
    space = def->max_memory_kib - domain_def_memory_initial(def);
    if (def->max_memory_kib < domain_def_memory_initial(def) || plugged > space)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: memory device total size exceeds "
                         "hotplug space");
    return 0;
}

int
qemu_memory_check_supported(const DomainMemoryDevice *m, Error *error)
{
    if (m->source_pagesize_kib)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: hugepage backing (<source><pagesize>) of "
                         "memory devices is not supported");
    return 0;
}

int
qemu_memory_check_attach(const DomainDef *def, const DomainMemoryDevice *m, Error *error)
{
    if (!has_memory_hotplug(def))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: cannot use/hotplug a memory device when "
                         "domain 'maxMemory' is not defined");
    if (def->memory_kib + m->size_kib > def->max_memory_kib)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: Attaching memory device with size '%" PRIu64
                         "' would exceed domain's maxMemory config size '%" PRIu64 "'",
                         m->size_kib, def->max_memory_kib);
    return 0;
}

void
qemu_memory_align_module(DomainMemoryDevice *m)
{
    m->size_kib = ROUND_UP(m->size_kib, MEMORY_ALIGN_KIB);
}

int
qemu_memory_assign_slot(const DomainDef *def, DomainMemoryDevice *m, Error *error)
{
    if (m->address.type == DEVICE_ADDRESS_DIMM)
        return validate_module(def, m, NULL, error);
    for (unsigned slot = 0; slot < def->max_memory_slots; slot++) {
        bool used = false;

        for (size_t i = 0; i < def->n_memories && !used; i++)
            used = &def->memories[i] != m &&
                   def->memories[i].address.type == DEVICE_ADDRESS_DIMM &&
                   def->memories[i].address.slot == slot;
        if (!used) {
            m->address.type = DEVICE_ADDRESS_DIMM;
            m->address.slot = slot;
            m->address.base = 0;
            return 0;
        }
    }
    return error_set(error, -ENOSPC, VIR_ERR_CONFIG_UNSUPPORTED,
                     "unsupported configuration: no free memory device slot available");
}

int
qemu_memory_prepare(DomainDef *def, Error *error)
{
    uint64_t initial = 0, modules = 0;
    int r;

    for (size_t i = 0; i < def->cpu.n_cells; i++) {
        def->cpu.cells[i].memory_kib = ROUND_UP(def->cpu.cells[i].memory_kib, MEMORY_ALIGN_KIB);
        initial += def->cpu.cells[i].memory_kib;
    }
    if (!initial)
        initial = ROUND_UP(domain_def_memory_initial(def), MEMORY_ALIGN_KIB);
    def->max_memory_kib = ROUND_UP(def->max_memory_kib, MEMORY_ALIGN_KIB);
    for (size_t i = 0; i < def->n_memories; i++) {
        def->memories[i].size_kib = ROUND_UP(def->memories[i].size_kib, MODULE_ALIGN_KIB);
        modules += def->memories[i].size_kib;
    }
    def->memory_kib = initial + modules;
    if (def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
    if ((r = qemu_memory_validate(def, NULL, error)) < 0)
        return r;
    for (size_t i = 0; i < def->n_memories; i++)
        if ((r = qemu_memory_assign_slot(def, &def->memories[i], error)) < 0)
            return r;
    return 0;
}

/* A module's place as QEMU reports it (query-memory-devices): the base
 * address goes into the live definition, as libvirt shows it. */
void
qemu_memory_update_bases(DomainDef *def, json_t *devices)
{
    size_t idx;
    json_t *item;

    json_array_foreach(devices, idx, item) {
        json_t *data = json_object_get(item, "data");
        const char *id = json_string_value(json_object_get(data, "id"));
        json_t *addr = json_object_get(data, "addr");

        if (!id || !json_is_integer(addr))
            continue;
        for (size_t i = 0; i < def->n_memories; i++)
            if (STREQ_NULL(def->memories[i].alias, id))
                def->memories[i].address.base = (uint64_t) json_integer_value(addr);
    }
}
