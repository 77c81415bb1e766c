/* Networks, storage pools and volumes, node devices: routed to
 * org.libvirt.network, .storage and .nodedev. */
#include "proxy.h"

const ProcDef other_procs[] = {
    { 0 },
};
