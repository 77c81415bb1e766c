/* A definition's memory as libvirt counts it: the initial memory (its NUMA
 * cells, or <memory> less the modules) and the memory modules plugged in
 * <maxMemory slots>; the cells' vCPU lists are checked here too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpuset.h"
#include "domain_def.h"
#include "macros.h"

uint64_t
domain_def_memory_initial(const DomainDef *def)
{
    uint64_t devices = 0;

    for (size_t i = 0; i < def->n_memories; i++)
        devices += def->memories[i].size_kib;
    return def->memory_kib > devices ? def->memory_kib - devices : 0;
}

/* libvirt's checks at parse of <cpu><numa> against <vcpu>. */
int
domain_numa_validate(const DomainDef *def, Error *error)
{
    auto_cleanup(free_ptr) cpu_set_t *sets = xcalloc(def->cpu.n_cells + 1, sizeof(*sets));
    cpu_set_t all;
    unsigned count = 0;
    int r;

    CPU_ZERO(&all);
    for (size_t i = 0; i < def->cpu.n_cells; i++) {
        if (!def->cpu.cells[i].cpus)
            continue;
        if ((r = cpuset_parse(def->cpu.cells[i].cpus, &sets[i], error)) < 0)
            return r;
        for (size_t j = 0; j < i; j++) {
            cpu_set_t both;

            CPU_AND(&both, &sets[i], &sets[j]);
            if (CPU_COUNT(&both))
                return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                                 "unsupported configuration: NUMA cells %zu and %zu have "
                                 "overlapping vCPU ids", i, j);
        }
        count += (unsigned) CPU_COUNT(&sets[i]);
        CPU_OR(&all, &all, &sets[i]);
    }
    if (count > def->vcpus)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: Number of CPUs in <numa> exceeds the <vcpu> count");
    for (unsigned c = def->vcpus; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all))
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: CPU IDs in <numa> exceed the <vcpu> count");
    return 0;
}

int
domain_memory_device_validate(const DomainDef *def, const DomainMemoryDevice *m, Error *error)
{
    if (m->target_node < 0)
        return 0;
    if (def->cpu.n_cells == 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "can't add memory backend as guest has no NUMA nodes configured");
    if ((size_t) m->target_node >= def->cpu.n_cells)
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "can't add memory backend for guest node '%d' as the guest has only "
                         "'%zu' NUMA nodes configured", m->target_node, def->cpu.n_cells);
    return 0;
}

/* libvirt's virDomainMemoryFindByDefInternal for dimms: the address and
 * alias when @match has them, and always the target and source; with
 * @address_fallback only modules without an address, whatever @match's. */
ssize_t
domain_memory_device_find(const DomainDef *def, const DomainMemoryDevice *match,
                          bool address_fallback)
{
    for (size_t i = 0; i < def->n_memories; i++) {
        const DomainMemoryDevice *m = &def->memories[i];

        if (address_fallback ? m->address.type != DEVICE_ADDRESS_NONE
                             : match->address.type != DEVICE_ADDRESS_NONE &&
                               !domain_device_address_equal(&m->address, &match->address))
            continue;
        if (match->alias && !STREQ_NULL(m->alias, match->alias))
            continue;
        if (m->target_node != match->target_node || m->size_kib != match->size_kib ||
            m->source_pagesize_kib != match->source_pagesize_kib ||
            !STREQ_NULL(m->source_nodemask, match->source_nodemask))
            continue;
        return (ssize_t) i;
    }
    return -1;
}

void
domain_memory_device_clear(DomainMemoryDevice *m)
{
    free(m->access);
    free(m->source_nodemask);
    free(m->address.usb_port);
    free(m->alias);
    memset(m, 0, sizeof(*m));
}
