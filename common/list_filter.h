/* libvirt's list filters (virConnectListAll*Flags), written once for the
 * daemons, which filter their own objects, and for virtproxyd, which
 * filters its mirror of them. Each takes the facts about one object and
 * says whether the flags let it through. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "virt_constants.h"

/* Every statistics group libvirt 9.0 has, all served. */
#define DOMAIN_STATS_ALL                                                                   \
    (DOMAIN_STATS_STATE | DOMAIN_STATS_CPU_TOTAL | DOMAIN_STATS_BALLOON | DOMAIN_STATS_VCPU | \
     DOMAIN_STATS_INTERFACE | DOMAIN_STATS_BLOCK | DOMAIN_STATS_PERF | DOMAIN_STATS_IOTHREAD | \
     DOMAIN_STATS_MEMORY | DOMAIN_STATS_DIRTYRATE)

/* libvirt's qemuDomainGetStatsCheckSupport for virConnectGetAllDomainStats
 * and virDomainListGetStats: no group is every group; groups unknown here
 * are dropped, or refused with @flags' ENFORCE_STATS. */
int domain_stats_supported(unsigned *stats, unsigned flags, Error *error);

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
