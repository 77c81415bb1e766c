/* nftables rules for virtual networks: one table of the project's own,
 * "inet virtstack", with a chain set per network (base chains hooked on
 * forward and postrouting, named after the bridge), given to `nft -f -` on
 * its stdin. */
#pragma once

#include "error.h"
#include "network_def.h"

#define NETWORK_NFT_TABLE "virtstack"

/* True when the network's forward mode has rules (nat, route, none). */
bool network_nft_needed(const NetworkDef *def);
/* The ruleset that adds the table (if absent) and this network's chains.
 * New string. */
char *network_nft_add_rules(const NetworkDef *def);
/* The ruleset that removes this network's chains; with @drop_table also the
 * table (when no other network has rules). New string. */
char *network_nft_delete_rules(const NetworkDef *def, bool drop_table);
/* Runs `nft -f -` with @ruleset on stdin (argv, no shell). Blocks for the few
 * milliseconds nft takes. An error carries nft's first line of stderr:
 * "cannot apply firewall rules for network 'n': Error: ..." (VIR_ERR_SYSTEM_ERROR). */
int network_nft_apply(const char *network, const char *ruleset, Error *error);
/* True when the chains of @def are present. */
bool network_nft_present(const NetworkDef *def);
