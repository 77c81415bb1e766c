/* Storage pools and volumes: routed to virtstoraged (org.libvirt.storage). */
#include "proxy.h"

const ProcDef storage_procs[] = {
    { .proc = 0 },
};
