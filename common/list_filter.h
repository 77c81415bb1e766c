/* libvirt's list filters (virConnectListAll*Flags), written once for the
 * daemons, which filter their own objects, and for virtproxyd, which
 * filters its mirror of them. Each takes the facts about one object and
 * says whether the flags let it through. */
#pragma once

#include <stdbool.h>

#include "virt_constants.h"

typedef struct DomainListFacts {
    bool active;
    bool persistent;
    bool autostart;
    DomainState state;
    bool managed_save;      /* a managed save image exists */
    bool has_snapshot;
    bool has_checkpoint;
} DomainListFacts;

/* virConnectListAllDomainsFlags (LIST_DOMAINS_*). */
bool list_filter_domain(unsigned flags, const DomainListFacts *facts);
/* virConnectListAllNetworksFlags (NETWORK_LIST_*). */
bool list_filter_network(unsigned flags, bool active, bool persistent, bool autostart);
/* virConnectListAllStoragePoolsFlags (LIST_POOLS_*): @type_flag is the
 * pool's LIST_POOLS_<TYPE> bit. */
bool list_filter_pool(unsigned flags, bool active, bool persistent, bool autostart,
                      unsigned type_flag);
