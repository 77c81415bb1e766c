/* An interface's <bandwidth> on its host device with tc, as libvirt sets
 * it on a tap (virNetDevBandwidthSet with the directions swapped): the
 * guest's inbound rate shapes the tap's egress (an HTB class with an SFQ
 * below it), the guest's outbound rate polices the tap's ingress. Runs tc
 * as a child, never through a shell: the arguments are numbers and a
 * device name the kernel gave. Blocking: for a worker thread. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bandwidth.h"
#include "child.h"
#include "macros.h"

static const char *
tc_path(void)
{
    return access("/usr/sbin/tc", X_OK) == 0 ? "/usr/sbin/tc" : "tc";
}

/* Runs tc with @args. @check: a failure is an error, with tc's own words;
 * else it is ignored. */
static int
tc(Error *error, bool check, const char *const *args)
{
    const char *argv[40] = { tc_path() };
    auto_cleanup(free_ptr) char *out = NULL;
    int status = 0, r;
    size_t n = 1;

    while (args[n - 1]) {
        if (n == ARRAY_SIZE(argv) - 1)
            abort(); /* the commands here are fixed and shorter */
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    r = child_run_capture_all(argv, 1 << 16, &out, &status, check ? error : NULL);
    if (r < 0)
        return check ? r : 0;
    if (check && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        auto_cleanup(free_ptr) char *cmd = xstrdup("tc");
        for (size_t i = 1; i < n; i++) {
            char *next = xasprintf("%s %s", cmd, argv[i]);
            free(cmd);
            cmd = next;
        }
        out[strcspn(out, "\n")] = '\0';
        return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                         "internal error: Child process (%s) unexpected exit status %d: %s",
                         cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    }
    return 0;
}

#define TC(check, ...) tc(error, (check), (const char *const[]) { __VA_ARGS__, NULL })

int
bandwidth_clear(const char *dev, Error *error)
{
    int r = TC(false, "qdisc", "del", "dev", dev, "root");

    if (r >= 0)
        r = TC(false, "qdisc", "del", "dev", dev, "ingress");
    return r;
}

int
bandwidth_set_tap(const char *dev, const Bandwidth *bw, Error *error)
{
    const BandwidthRate *tx = &bw->in, *rx = &bw->out; /* the tap's view */
    char average[32], peak[32], burst[32], quantum[32];
    int r = bandwidth_clear(dev, error);

    if (r < 0)
        return r;
    if (tx->set && tx->average) {
        /* HTB's quantum of an MTU's worth at this rate, as libvirt sets it */
        uint64_t q = tx->average * 1024 / 8 / 1500;

        snprintf(average, sizeof(average), "%" PRIu64 "kbps", tx->average);
        snprintf(peak, sizeof(peak), "%" PRIu64 "kbps", tx->peak);
        snprintf(burst, sizeof(burst), "%" PRIu64 "kb", tx->burst);
        snprintf(quantum, sizeof(quantum), "%" PRIu64, q ? q : 1);
        if ((r = TC(true, "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default",
                    "1")) < 0)
            return r;
        if (tx->peak && tx->burst)
            r = TC(true, "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb",
                   "rate", average, "ceil", peak, "burst", burst, "quantum", quantum);
        else if (tx->peak)
            r = TC(true, "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb",
                   "rate", average, "ceil", peak, "quantum", quantum);
        else if (tx->burst)
            r = TC(true, "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb",
                   "rate", average, "burst", burst, "quantum", quantum);
        else
            r = TC(true, "class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb",
                   "rate", average, "quantum", quantum);
        if (r < 0)
            return r;
        /* libvirt's SFQ below the class and its fw filter: fairness between
         * flows and a match the default class already makes. A kernel
         * without sch_sfq or cls_fw still shapes with HTB alone. */
        TC(false, "qdisc", "add", "dev", dev, "parent", "1:1", "handle", "2:", "sfq", "perturb",
           "10");
        TC(false, "filter", "add", "dev", dev, "parent", "1:0", "protocol", "all", "prio", "1",
           "handle", "1", "fw", "flowid", "1");
    }
    if (rx->set && rx->average) {
        /* tc keeps a burst in a 32-bit byte count */
        uint64_t b = rx->burst ? rx->burst
                               : (rx->average < UINT_MAX / 1024 ? rx->average : UINT_MAX / 1024);

        snprintf(average, sizeof(average), "%" PRIu64 "kbps", rx->average);
        snprintf(burst, sizeof(burst), "%" PRIu64 "kb", b);
        if ((r = TC(true, "qdisc", "add", "dev", dev, "ingress")) < 0 ||
            (r = TC(true, "filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all",
                    "u32", "match", "u32", "0", "0", "police", "rate", average, "burst", burst,
                    "mtu", "64kb", "drop", "flowid", ":1")) < 0)
            return r;
    }
    return 0;
}
