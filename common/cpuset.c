/* libvirt's CPU lists ("1-4,^3,6"), for host CPUs (pinning) and guest
 * vCPUs (NUMA cells) alike: both are bounded by CPU_SETSIZE, as libvirt's
 * VIR_DOMAIN_CPUMASK_LEN. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cpuset.h"

int
cpuset_parse(const char *s, cpu_set_t *ret, Error *error)
{
    cpu_set_t set;
    const char *p = s;

    CPU_ZERO(&set);
    while (*p) {
        bool neg = false;
        char *end;
        unsigned long a, b;

        if (*p == '^') {
            neg = true;
            p++;
        }
        a = strtoul(p, &end, 10);
        if (end == p)
            goto bad;
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtoul(p, &end, 10);
            if (end == p || b < a)
                goto bad;
            p = end;
        }
        if (b >= CPU_SETSIZE)
            goto bad;
        for (unsigned long c = a; c <= b; c++) {
            if (neg)
                CPU_CLR(c, &set);
            else
                CPU_SET(c, &set);
        }
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
    }
    *ret = set;
    return 0;
bad:
    return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "invalid cpuset '%s'", s);
}
