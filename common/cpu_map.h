/* libvirt's CPU map (its data files, /usr/share/libvirt/cpu_map on Debian):
 * the model names virConnectGetCPUModelNames lists. */
#pragma once

#include "error.h"

#define CPU_MAP_DIR "/usr/share/libvirt/cpu_map"

/* The CPU models of libvirt's architecture @arch ("x86_64") in the map at
 * @dir, in its order, as a new NULL-terminated strv (empty for an
 * architecture whose CPU driver has no models); libvirt's error for an
 * architecture it does not know. */
int cpu_map_models(const char *dir, const char *arch, char ***ret, Error *error);
