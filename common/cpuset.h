/* CPU lists as libvirt writes them (cpuset.c). */
#pragma once

#include <sched.h>

#include "error.h"

/* "1-4,^3,6" -> a CPU mask; a bad list is VIR_ERR_INVALID_ARG "invalid
 * cpuset '@s'". */
int cpuset_parse(const char *s, cpu_set_t *ret, Error *error);
