#include <errno.h>

#include "list_filter.h"

bool
list_filter_domain(unsigned flags, const DomainListFacts *f)
{
    const unsigned by_state = LIST_DOMAINS_RUNNING | LIST_DOMAINS_PAUSED | LIST_DOMAINS_SHUTOFF |
                              LIST_DOMAINS_OTHER;

    if (!list_flags_pair_ok(flags, LIST_DOMAINS_ACTIVE, LIST_DOMAINS_INACTIVE, f->active) ||
        !list_flags_pair_ok(flags, LIST_DOMAINS_PERSISTENT, LIST_DOMAINS_TRANSIENT,
                            f->persistent) ||
        !list_flags_pair_ok(flags, LIST_DOMAINS_AUTOSTART, LIST_DOMAINS_NO_AUTOSTART,
                            f->autostart) ||
        !list_flags_pair_ok(flags, LIST_DOMAINS_MANAGEDSAVE, LIST_DOMAINS_NO_MANAGEDSAVE,
                            f->managed_save) ||
        !list_flags_pair_ok(flags, LIST_DOMAINS_HAS_SNAPSHOT, LIST_DOMAINS_NO_SNAPSHOT,
                            f->has_snapshot) ||
        !list_flags_pair_ok(flags, LIST_DOMAINS_HAS_CHECKPOINT, LIST_DOMAINS_NO_CHECKPOINT,
                            f->has_checkpoint))
        return false;
    if (flags & by_state) {
        switch (f->state) {
        case DOMAIN_STATE_RUNNING:
            return flags & LIST_DOMAINS_RUNNING;
        case DOMAIN_STATE_PAUSED:
            return flags & LIST_DOMAINS_PAUSED;
        case DOMAIN_STATE_SHUTOFF:
            return flags & LIST_DOMAINS_SHUTOFF;
        default:
            return flags & LIST_DOMAINS_OTHER;
        }
    }
    return true;
}

bool
list_filter_network(unsigned flags, bool active, bool persistent, bool autostart)
{
    return list_flags_pair_ok(flags, NETWORK_LIST_ACTIVE, NETWORK_LIST_INACTIVE, active) &&
           list_flags_pair_ok(flags, NETWORK_LIST_PERSISTENT, NETWORK_LIST_TRANSIENT,
                              persistent) &&
           list_flags_pair_ok(flags, NETWORK_LIST_AUTOSTART, NETWORK_LIST_NO_AUTOSTART,
                              autostart);
}

bool
list_filter_pool(unsigned flags, bool active, bool persistent, bool autostart,
                 unsigned type_flag)
{
    if (!list_flags_pair_ok(flags, LIST_POOLS_ACTIVE, LIST_POOLS_INACTIVE, active) ||
        !list_flags_pair_ok(flags, LIST_POOLS_PERSISTENT, LIST_POOLS_TRANSIENT, persistent) ||
        !list_flags_pair_ok(flags, LIST_POOLS_AUTOSTART, LIST_POOLS_NO_AUTOSTART, autostart))
        return false;
    /* Type bits select the pools of any of the types named. */
    return !(flags & LIST_POOLS_TYPES) || (flags & type_flag);
}

int
domain_stats_supported(unsigned *stats, unsigned flags, Error *error)
{
    if (*stats == 0) {
        *stats = DOMAIN_STATS_ALL;
        return 0;
    }
    if ((flags & (unsigned) DOMAIN_STATS_FLAG_ENFORCE_STATS) && (*stats & ~DOMAIN_STATS_ALL))
        return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                         "argument unsupported: Stats types bits 0x%x are not supported by "
                         "this daemon or QEMU", *stats & ~DOMAIN_STATS_ALL);
    *stats &= DOMAIN_STATS_ALL;
    return 0;
}
