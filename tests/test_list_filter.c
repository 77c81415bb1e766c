/* libvirt's list filters: every pair alone and together, the state group,
 * and pool types. */
#include "list_filter.h"
#include "test_util.h"

static void
test_domains(void)
{
    DomainListFacts running = { .active = true, .persistent = true, .autostart = true,
                                .state = DOMAIN_STATE_RUNNING };
    DomainListFacts off = { .state = DOMAIN_STATE_SHUTOFF };
    DomainListFacts crashed = { .active = true, .state = DOMAIN_STATE_CRASHED };

    CHECK(list_filter_domain(0, &running) && list_filter_domain(0, &off));
    CHECK(list_filter_domain(LIST_DOMAINS_ACTIVE, &running));
    CHECK(!list_filter_domain(LIST_DOMAINS_ACTIVE, &off));
    CHECK(list_filter_domain(LIST_DOMAINS_INACTIVE, &off));
    CHECK(list_filter_domain(LIST_DOMAINS_ACTIVE | LIST_DOMAINS_INACTIVE, &off));
    CHECK(!list_filter_domain(LIST_DOMAINS_TRANSIENT, &running));
    CHECK(list_filter_domain(LIST_DOMAINS_TRANSIENT, &off));
    CHECK(!list_filter_domain(LIST_DOMAINS_NO_AUTOSTART, &running));
    CHECK(list_filter_domain(LIST_DOMAINS_RUNNING, &running));
    CHECK(!list_filter_domain(LIST_DOMAINS_PAUSED, &running));
    CHECK(list_filter_domain(LIST_DOMAINS_PAUSED | LIST_DOMAINS_SHUTOFF, &off));
    CHECK(list_filter_domain(LIST_DOMAINS_OTHER, &crashed));
    CHECK(!list_filter_domain(LIST_DOMAINS_OTHER, &running));
    /* No image, snapshot or checkpoint: only the NO_ halves let it through. */
    CHECK(!list_filter_domain(LIST_DOMAINS_MANAGEDSAVE, &running));
    CHECK(list_filter_domain(LIST_DOMAINS_NO_MANAGEDSAVE, &running));
    CHECK(!list_filter_domain(LIST_DOMAINS_HAS_SNAPSHOT, &running));
    CHECK(list_filter_domain(LIST_DOMAINS_NO_SNAPSHOT | LIST_DOMAINS_NO_CHECKPOINT, &running));
    CHECK(!list_filter_domain(LIST_DOMAINS_HAS_CHECKPOINT, &running));
    /* Groups are and-ed. */
    CHECK(!list_filter_domain(LIST_DOMAINS_ACTIVE | LIST_DOMAINS_SHUTOFF, &running));
}

static void
test_networks_and_pools(void)
{
    CHECK(list_filter_network(0, false, false, false));
    CHECK(list_filter_network(NETWORK_LIST_ACTIVE, true, false, false));
    CHECK(!list_filter_network(NETWORK_LIST_ACTIVE, false, false, false));
    CHECK(!list_filter_network(NETWORK_LIST_PERSISTENT, true, false, false));
    CHECK(list_filter_network(NETWORK_LIST_NO_AUTOSTART | NETWORK_LIST_INACTIVE, false, true,
                              false));
    CHECK(!list_filter_network(NETWORK_LIST_AUTOSTART, true, true, false));

    CHECK(list_filter_pool(0, false, false, false, LIST_POOLS_DIR));
    CHECK(list_filter_pool(LIST_POOLS_DIR, false, false, false, LIST_POOLS_DIR));
    CHECK(list_filter_pool(LIST_POOLS_DIR | LIST_POOLS_FS, true, true, true, LIST_POOLS_DIR));
    CHECK(!list_filter_pool(LIST_POOLS_ISCSI_DIRECT, true, true, true, LIST_POOLS_DIR));
    CHECK(!list_filter_pool(LIST_POOLS_DIR | LIST_POOLS_ACTIVE, false, true, true,
                            LIST_POOLS_DIR));
    CHECK(list_filter_pool(LIST_POOLS_TRANSIENT, true, false, false, LIST_POOLS_DIR));
}

int
main(void)
{
    test_domains();
    test_networks_and_pools();
    return test_result();
}
