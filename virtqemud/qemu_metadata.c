/* virDomainSetMetadata and virDomainGetMetadata: the title, the description
 * and the <metadata> elements of the live definition (kept in the status
 * file) and of the persistent one, with libvirt's METADATA_CHANGE event. */
#include <errno.h>

#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"

int
qemu_domain_get_metadata(Domain *dom, int type, const char *uri, unsigned flags, char **ret,
                         Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    int r;

    if ((r = qemu_domain_read_flags(&flags, known, "qemuDomainGetMetadata", error)) < 0)
        return r;
    if ((r = domain_metadata_check(type, NULL, NULL, uri, false, error)) < 0 ||
        (r = qemu_domain_affect(dom, &flags, error)) < 0)
        return r;
    return domain_def_get_metadata(flags & DOMAIN_AFFECT_LIVE ? dom->live : dom->def, type, uri,
                                   ret, error);
}

int
qemu_domain_set_metadata(Domain *dom, int type, const char *metadata, const char *key,
                         const char *uri, unsigned flags, Error *error)
{
    const unsigned known = DOMAIN_AFFECT_LIVE | DOMAIN_AFFECT_CONFIG;
    auto_cleanup(domain_def_freep) DomainDef *config = NULL;
    auto_cleanup(domain_def_freep) DomainDef *live = NULL;
    int r;

    if (flags & ~known)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSetMetadata",
                         flags & ~known);
    if ((r = domain_metadata_check(type, metadata, key, uri, true, error)) < 0 ||
        (r = qemu_domain_affect(dom, &flags, error)) < 0 ||
        (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    /* Both copies change, or neither. */
    if (flags & DOMAIN_AFFECT_LIVE) {
        live = domain_def_copy(dom->live);
        if ((r = domain_def_set_metadata(live, type, metadata, key, uri, error)) < 0)
            return r;
    }
    if (flags & DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(dom->def);
        if ((r = domain_def_set_metadata(config, type, metadata, key, uri, error)) < 0)
            return r;
        if ((r = qemu_hotplug_save_config(dom, &config, error)) < 0)
            return r;
    }
    if (live) {
        domain_def_free(dom->live);
        dom->live = steal_ptr(live);
        qemu_status_save(dom);
    }
    qemu_driver_emit_metadata(dom, type, type == DOMAIN_METADATA_ELEMENT ? uri : NULL);
    return 0;
}
