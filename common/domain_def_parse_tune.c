/* The tuning parts of libvirt's <domain> XML for domain_def_parse():
 * <cputune>, <memtune>, <blkiotune>, <numatune>, <iothreads>, the CPU's
 * <numa> cells and <perf>, with libvirt's checks and messages. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "cpuset.h"
#include "domain_def_parse_priv.h"
#include "xml_util.h"

int
parse_cputune(const xmlNode *node, DomainCputune *t, Error *error)
{
    unsigned long long u;
    long long q;
    int r;

    t->present = true;
    xml_foreach_child(c, node) {
        if (xml_node_is(c, "shares")) {
            if ((r = parse_uint_content(c, "shares", ULLONG_MAX, &u, error)) < 0)
                return r;
            t->shares = u;
        } else if (xml_node_is(c, "period")) {
            if ((r = parse_uint_content(c, "period", ULLONG_MAX, &u, error)) < 0)
                return r;
            t->period = u;
        } else if (xml_node_is(c, "quota")) {
            if ((r = parse_int_content(c, "quota", LLONG_MIN, LLONG_MAX, &q, error)) < 0)
                return r;
            t->quota = q;
            t->has_quota = true;
        } else if (xml_node_is(c, "global_period")) {
            if ((r = parse_uint_content(c, "global_period", ULLONG_MAX, &u, error)) < 0)
                return r;
            t->global_period = u;
        } else if (xml_node_is(c, "global_quota")) {
            if ((r = parse_int_content(c, "global_quota", LLONG_MIN, LLONG_MAX, &q, error)) < 0)
                return r;
            t->global_quota = q;
            t->has_global_quota = true;
        } else if (xml_node_is(c, "iothread_period")) {
            if ((r = parse_uint_content(c, "iothread_period", ULLONG_MAX, &u, error)) < 0)
                return r;
            t->iothread_period = u;
        } else if (xml_node_is(c, "iothread_quota")) {
            if ((r = parse_int_content(c, "iothread_quota", LLONG_MIN, LLONG_MAX, &q,
                                       error)) < 0)
                return r;
            t->iothread_quota = q;
            t->has_iothread_quota = true;
        } else if (xml_node_is(c, "emulator_period")) {
            if ((r = parse_uint_content(c, "emulator_period", ULLONG_MAX, &u, error)) < 0)
                return r;
            t->emulator_period = u;
        } else if (xml_node_is(c, "emulator_quota")) {
            if ((r = parse_int_content(c, "emulator_quota", LLONG_MIN, LLONG_MAX, &q,
                                       error)) < 0)
                return r;
            t->emulator_quota = q;
            t->has_emulator_quota = true;
        } else if (xml_node_is(c, "vcpupin")) {
            DomainVcpuPin *pin;
            unsigned vcpu;

            r = xml_prop_uint(c, "vcpu", 10, UINT_MAX, &vcpu, error);
            if (r < 0)
                return r;
            if (r == 0)
                return xml_error(error, "missing vcpu id in vcpupin");
            for (size_t i = 0; i < t->n_vcpupins; i++)
                if (t->vcpupins[i].vcpu == vcpu)
                    return xml_error(error, "duplicate vcpupin for vcpu '%u'", vcpu);
            pin = ARRAY_APPEND(t->vcpupins, t->n_vcpupins);
            pin->vcpu = vcpu;
            pin->cpuset = xml_prop(c, "cpuset");
            if (!pin->cpuset)
                return xml_error(error, "missing cpuset for vcpupin");
        } else if (xml_node_is(c, "iothreadpin")) {
            DomainIOThreadPin *pin;
            unsigned id;

            r = xml_prop_uint(c, "iothread", 10, UINT_MAX, &id, error);
            if (r < 0)
                return r;
            if (r == 0 || id == 0)
                return xml_error(error, "missing iothread id in iothreadpin");
            pin = ARRAY_APPEND(t->iothreadpins, t->n_iothreadpins);
            pin->id = id;
            pin->cpuset = xml_prop(c, "cpuset");
            if (!pin->cpuset)
                return xml_error(error, "missing cpuset for iothreadpin");
        } else if (xml_node_is(c, "emulatorpin")) {
            free(t->emulatorpin);
            t->emulatorpin = xml_prop(c, "cpuset");
            if (!t->emulatorpin)
                return xml_error(error, "missing cpuset for emulatorpin");
        }
    }
    return 0;
}

/* libvirt's virDomainNumaDefParseXML, without distances, caches and
 * interconnects: cells in id order, their memory in KiB. */
int
parse_numa(const xmlNode *numa, DomainCpu *cpu, Error *error)
{
    size_t n = 0;
    int r;

    xml_foreach_child(c, numa)
        n += xml_node_is(c, "cell");
    if (n == 0)
        return xml_error(error, "NUMA topology defined without NUMA cells");
    cpu->cells = xcalloc(n, sizeof(*cpu->cells));
    cpu->n_cells = n;
    for (size_t i = 0; i < n; i++)
        cpu->cells[i].discard = -1;
    n = 0;
    xml_foreach_child(c, numa) {
        auto_cleanup(free_ptr) char *mem = NULL;
        auto_cleanup(free_ptr) char *unit = NULL;
        unsigned long long bytes;
        unsigned id;
        DomainNumaCell *cell;

        if (!xml_node_is(c, "cell"))
            continue;
        id = (unsigned) n++;
        if ((r = xml_prop_uint(c, "id", 10, UINT_MAX, &id, error)) < 0)
            return r;
        if (id >= cpu->n_cells)
            return xml_error(error, "Exactly one 'cell' element per guest NUMA cell allowed, "
                                    "non-contiguous ranges or ranges not starting from 0 are "
                                    "not allowed");
        cell = &cpu->cells[id];
        if (cell->memory_kib)
            return xml_error(error, "Duplicate NUMA cell info for cell id '%u'", id);
        cell->cpus = xml_prop(c, "cpus");
        if (cell->cpus && !*cell->cpus)
            free(steal_ptr(cell->cpus));
        mem = xml_prop(c, "memory");
        unit = xml_prop(c, "unit");
        if (!mem)
            return xml_error(error, "missing element or attribute './@memory'");
        if (xml_parse_ull(mem, 10, ULLONG_MAX, &bytes) < 0)
            return xml_error(error, "could not parse element ./@memory value '%s'", mem);
        if ((r = xml_scale_integer(&bytes, unit, 1024, LLONG_MAX, error)) < 0)
            return r;
        cell->memory_kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
        if (cell->memory_kib == 0)
            return xml_error(error, "NUMA cell %u has no memory", id);
        cell->mem_access = xml_prop(c, "memAccess");
        if ((r = parse_tristate(c, "discard", &cell->discard, error)) < 0)
            return r;
    }
    return 0;
}

/* libvirt's virDomainPerfDefParseXML. */
int
parse_perf(const xmlNode *perf, DomainDef *def, Error *error)
{
    xml_foreach_child(c, perf) {
        auto_cleanup(free_ptr) char *name = NULL;
        bool enabled;
        int e, r;

        if (!xml_node_is(c, "event"))
            continue;
        name = xml_prop(c, "name");
        if (!name)
            return xml_error(error, "Missing required attribute 'name' in element 'event'");
        if ((e = perf_event_from_string(name)) < 0)
            return xml_error(error, "Invalid value for attribute 'name' in element 'event': "
                                    "'%s'.", name);
        if ((r = xml_prop_bool(c, "enabled", &enabled, error)) < 0)
            return r;
        if (r == 0)
            return xml_error(error, "Missing required attribute 'enabled' in element 'event'");
        if (def->perf_events[e] != PERF_ABSENT)
            return xml_error(error, "perf event '%s' was already specified", name);
        def->perf_events[e] = enabled ? PERF_YES : PERF_NO;
    }
    return 0;
}

int
parse_memtune(const xmlNode *node, DomainMemtune *t, Error *error)
{
    static const struct {
        const char *name;
        size_t offset;
    } limits[] = {
        { "hard_limit", offsetof(DomainMemtune, hard_limit) },
        { "soft_limit", offsetof(DomainMemtune, soft_limit) },
        { "swap_hard_limit", offsetof(DomainMemtune, swap_hard_limit) },
        { "min_guarantee", offsetof(DomainMemtune, min_guarantee) },
    };

    for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
        xmlNode *n = xml_child(node, limits[i].name);
        auto_cleanup(free_ptr) char *what = xasprintf("./memtune/%s[1]", limits[i].name);
        unsigned long long kib;
        int r;

        if (!n)
            continue;
        if ((r = xml_parse_memory(n, what, &kib, error)) < 0)
            return r;
        /* libvirt's "unlimited" is no limit at all */
        *(uint64_t *) ((char *) t + limits[i].offset) = kib >= DOMAIN_MEMORY_UNLIMITED ? 0 : kib;
    }
    if (t->hard_limit && t->swap_hard_limit && t->hard_limit > t->swap_hard_limit)
        return xml_error(error, "swap_hard_limit cannot be less than hard_limit");
    return 0;
}

static int
parse_blkio_number(const xmlNode *n, const char *name, uint64_t max, uint64_t *ret,
                   Error *error)
{
    unsigned long long v;
    int r;

    if (!n)
        return 0;
    if ((r = parse_uint_content(n, name, max, &v, error)) < 0)
        return r;
    *ret = v;
    return 0;
}

int
parse_blkiotune(const xmlNode *node, DomainBlkiotune *t, Error *error)
{
    uint64_t v = 0;
    int r;

    if ((r = parse_blkio_number(xml_child(node, "weight"), "weight", UINT_MAX, &v, error)) < 0)
        return r;
    t->weight = (unsigned) v;
    xml_foreach_child(c, node) {
        DomainBlkioDevice *d;

        if (!xml_node_is(c, "device"))
            continue;
        d = ARRAY_APPEND(t->devices, t->n_devices);
        d->path = xml_child_content(c, "path");
        if (!d->path)
            return xml_error(error, "missing per-device path");
        for (size_t i = 0; i + 1 < t->n_devices; i++)
            if (STREQ(t->devices[i].path, d->path))
                return xml_error(error, "duplicate blkio device path '%s'", d->path);
        v = 0;
        if ((r = parse_blkio_number(xml_child(c, "weight"), "weight", UINT_MAX, &v, error)) < 0 ||
            (r = parse_blkio_number(xml_child(c, "read_iops_sec"), "read_iops_sec", UINT_MAX,
                                    &d->read_iops, error)) < 0 ||
            (r = parse_blkio_number(xml_child(c, "write_iops_sec"), "write_iops_sec",
                                    UINT_MAX, &d->write_iops, error)) < 0 ||
            (r = parse_blkio_number(xml_child(c, "read_bytes_sec"), "read_bytes_sec",
                                    ULLONG_MAX, &d->read_bytes, error)) < 0 ||
            (r = parse_blkio_number(xml_child(c, "write_bytes_sec"), "write_bytes_sec",
                                    ULLONG_MAX, &d->write_bytes, error)) < 0)
            return r;
        d->weight = (unsigned) v;
    }
    return 0;
}

int
parse_numatune(const xmlNode *node, DomainNumatune *t, Error *error)
{
    static const char *const modes[] = { "strict", "preferred", "interleave", "restrictive" };
    xmlNode *mem = xml_child(node, "memory");
    bool known = false;

    if (!mem)
        return 0;
    t->mode = xml_prop(mem, "mode");
    if (!t->mode)
        t->mode = xstrdup("strict");
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
        known = known || STREQ(t->mode, modes[i]);
    if (!known)
        return xml_error(error, "Invalid mode attribute value '%s'", t->mode);
    t->nodeset = xml_prop(mem, "nodeset");
    t->placement = xml_prop(mem, "placement");
    if (t->placement && !STREQ(t->placement, "static") && !STREQ(t->placement, "auto"))
        return xml_error(error, "Invalid placement attribute value '%s'", t->placement);
    if (STREQ_NULL(t->placement, "auto") && t->nodeset) {
        free(steal_ptr(t->nodeset));
    } else if (!t->nodeset && !STREQ_NULL(t->placement, "auto")) {
        return xml_error(error, "nodeset for NUMA memory tuning must be set if 'placement' "
                                "is 'static'");
    }
    if (!t->placement)
        t->placement = xstrdup(t->nodeset ? "static" : "auto");
    return 0;
}

/* <iothreads>N</iothreads> and <iothreadids>, as libvirt reads them: the
 * listed ids, then the lowest free ones up to the count. */
int
parse_iothreads(xmlNode *root, DomainDef *def, Error *error)
{
    xmlNode *n = xml_child(root, "iothreads"), *ids = xml_child(root, "iothreadids");
    unsigned long long count = 0;
    int r;

    if (n && (r = parse_uint_content(n, "iothreads", UINT_MAX, &count, error)) < 0)
        return r;
    if (ids) {
        xml_foreach_child(c, ids) {
            unsigned id;

            if (!xml_node_is(c, "iothread"))
                continue;
            if ((r = xml_prop_uint(c, "id", 10, UINT_MAX, &id, error)) < 0)
                return r;
            if (r == 0 || id == 0)
                return xml_error(error, "invalid iothread 'id' value '0'");
            for (size_t i = 0; i < def->n_iothreads; i++)
                if (def->iothread_ids[i] == id)
                    return xml_error(error, "duplicate iothread id '%u' found", id);
            *ARRAY_APPEND(def->iothread_ids, def->n_iothreads) = id;
            def->iothread_ids_listed = true;
        }
    }
    if (count > 4096)
        return xml_error(error, "too many iothreads: %llu", count);
    for (unsigned id = 1; def->n_iothreads < count; id++) {
        bool used = false;
        for (size_t i = 0; i < def->n_iothreads; i++)
            used = used || def->iothread_ids[i] == id;
        if (!used)
            *ARRAY_APPEND(def->iothread_ids, def->n_iothreads) = id;
    }
    return 0;
}
