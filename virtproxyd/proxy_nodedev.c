/* Node devices: routed to virtnodedevd (org.libvirt.nodedev). */
#include "proxy.h"

const ProcDef nodedev_procs[] = {
    { .proc = 0 },
};
