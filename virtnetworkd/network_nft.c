/* nftables rules through `nft -f -`. */
#include "network_nft.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "macros.h"

#define T "inet " NETWORK_NFT_TABLE

typedef struct Buf {
    char *s;
    size_t len, cap;
} Buf;

static void _printf_(2, 3)
buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, n + 1, fmt, ap);
    va_end(ap);
    b->len += n;
}

bool
network_nft_needed(const NetworkDef *def)
{
    return def->forward == NETWORK_FORWARD_NAT || def->forward == NETWORK_FORWARD_ROUTE ||
           def->forward == NETWORK_FORWARD_NONE;
}

static char *
subnet(const NetworkIp *ip)
{
    char buf[INET6_ADDRSTRLEN];
    NetAddr net = ip->addr;
    unsigned full = ip->prefix / 8, rest = ip->prefix % 8;

    if (rest)
        net.bytes[full++] &= (uint8_t) (0xff << (8 - rest));
    for (unsigned i = full; i < 16; i++)
        net.bytes[i] = 0;
    return xasprintf("%s/%u", net_addr_format(&net, buf, sizeof(buf)), ip->prefix);
}

/* A chain name from the bridge name, which network_def limits to
 * [A-Za-z0-9_.-]: nft identifiers take no '-' (and chain names cannot be
 * quoted in every nft version), so '-' becomes '_'. New string. */
static char *
chain_base(const char *bridge)
{
    char *s = xstrdup(bridge);

    for (char *p = s; *p; p++)
        if (*p == '-')
            *p = '_';
    return s;
}

char *
network_nft_add_rules(const NetworkDef *def)
{
    auto_cleanup(free_ptr) char *ch = chain_base(def->bridge);
    const char *br = def->bridge;
    Buf b = { 0 };

    buf_printf(&b, "add table " T "\n");
    buf_printf(&b, "add chain " T " %s_fwd { type filter hook forward priority filter; "
                   "policy accept; }\n", ch);
    buf_printf(&b, "flush chain " T " %s_fwd\n", ch);
    buf_printf(&b, "add rule " T " %s_fwd iifname \"%s\" oifname \"%s\" accept\n", ch, br, br);

    for (size_t i = 0; i < def->n_ips && def->forward != NETWORK_FORWARD_NONE; i++) {
        const NetworkIp *ip = &def->ips[i];
        auto_cleanup(free_ptr) char *net = subnet(ip);
        const char *fam = ip->af == AF_INET ? "ip" : "ip6";
        auto_cleanup(free_ptr) char *out = def->forward_dev ?
            xasprintf(" oifname \"%s\"", def->forward_dev) : xstrdup("");
        auto_cleanup(free_ptr) char *in = def->forward_dev ?
            xasprintf(" iifname \"%s\"", def->forward_dev) : xstrdup("");

        /* IPv6 is routed, never masqueraded, as libvirt does. */
        if (def->forward == NETWORK_FORWARD_NAT && ip->af == AF_INET)
            buf_printf(&b, "add rule " T " %s_fwd%s oifname \"%s\" %s daddr %s "
                           "ct state related,established accept\n", ch, in, br, fam, net);
        else
            buf_printf(&b, "add rule " T " %s_fwd%s oifname \"%s\" %s daddr %s accept\n",
                       ch, in, br, fam, net);
        buf_printf(&b, "add rule " T " %s_fwd iifname \"%s\"%s %s saddr %s accept\n",
                   ch, br, out, fam, net);
    }
    buf_printf(&b, "add rule " T " %s_fwd iifname \"%s\" reject\n", ch, br);
    buf_printf(&b, "add rule " T " %s_fwd oifname \"%s\" reject\n", ch, br);

    if (def->forward == NETWORK_FORWARD_NAT) {
        unsigned lo = def->nat_port_start ? def->nat_port_start : 1024;
        unsigned hi = def->nat_port_end ? def->nat_port_end : 65535;

        buf_printf(&b, "add chain " T " %s_nat { type nat hook postrouting priority "
                       "srcnat; policy accept; }\n", ch);
        buf_printf(&b, "flush chain " T " %s_nat\n", ch);
        for (size_t i = 0; i < def->n_ips; i++) {
            const NetworkIp *ip = &def->ips[i];
            auto_cleanup(free_ptr) char *net = NULL;
            auto_cleanup(free_ptr) char *out = def->forward_dev ?
                xasprintf(" oifname \"%s\"", def->forward_dev) : xstrdup("");

            if (ip->af != AF_INET)
                continue;
            net = subnet(ip);
            buf_printf(&b, "add rule " T " %s_nat ip saddr %s ip daddr 224.0.0.0/24 "
                           "return\n", ch, net);
            buf_printf(&b, "add rule " T " %s_nat ip saddr %s ip daddr 255.255.255.255 "
                           "return\n", ch, net);
            buf_printf(&b, "add rule " T " %s_nat%s ip saddr %s ip daddr != %s "
                           "meta l4proto { tcp, udp } masquerade to :%u-%u\n",
                       ch, out, net, net, lo, hi);
            buf_printf(&b, "add rule " T " %s_nat%s ip saddr %s ip daddr != %s "
                           "masquerade\n", ch, out, net, net);
        }
    }
    return b.s;
}

char *
network_nft_delete_rules(const NetworkDef *def, bool drop_table)
{
    auto_cleanup(free_ptr) char *ch = chain_base(def->bridge);
    Buf b = { 0 };

    /* "add" first so that deleting what is already gone is not an error:
     * an adopted network whose rules someone removed still stops cleanly. */
    buf_printf(&b, "add table " T "\n");
    buf_printf(&b, "add chain " T " %s_fwd { type filter hook forward priority filter; "
                   "policy accept; }\n", ch);
    buf_printf(&b, "delete chain " T " %s_fwd\n", ch);
    if (def->forward == NETWORK_FORWARD_NAT) {
        buf_printf(&b, "add chain " T " %s_nat { type nat hook postrouting priority "
                       "srcnat; policy accept; }\n", ch);
        buf_printf(&b, "delete chain " T " %s_nat\n", ch);
    }
    if (drop_table)
        buf_printf(&b, "delete table " T "\n");
    return b.s;
}

/* Runs nft with @args, @input on stdin (may be NULL); returns its exit
 * status (or a negative errno) and the start of its stderr in @err. */
static int
run_nft(const char *const *argv, const char *input, char *err, size_t err_len, Error *error)
{
    int in[2] = { -1, -1 }, errp[2] = { -1, -1 };
    ChildSpec spec = { 0 };
    pid_t pid;
    int r, status = 0;
    size_t got = 0;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        r = -errno;
        goto out;
    }
    spec.argv = argv;
    spec.stdin_fd = in[0];
    spec.stdout_fd = -1;
    spec.stderr_fd = errp[1];
    r = child_spawn(&spec, &pid, NULL, error);
    close(steal_fd(in[0]));
    close(steal_fd(errp[1]));
    if (r < 0)
        goto out;
    /* Rulesets are a few KiB: the pipe holds them whole. */
    if (input) {
        size_t len = strlen(input), off = 0;
        while (off < len) {
            ssize_t n = write(in[1], input + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            off += n;
        }
    }
    close(steal_fd(in[1]));
    for (;;) {
        ssize_t n = read(errp[0], err + got, err_len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
        if (got == err_len - 1)
            break;
    }
    err[got] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    return r;
}

int
network_nft_apply(const char *network, const char *ruleset, Error *error)
{
    static const char *const argv[] = { "nft", "-f", "-", NULL };
    char err[1024];
    int r;

    log_debug("nft ruleset for network '%s':\n%s", network, ruleset);
    r = run_nft(argv, ruleset, err, sizeof(err), error);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "cannot apply firewall rules for network '%s'", network);
    if (r != 0) {
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = '\0';
        return error_set(error, -EIO, VIR_ERR_SYSTEM_ERROR,
                         "cannot apply firewall rules for network '%s': %s", network,
                         *err ? err : "nft failed");
    }
    return 0;
}

bool
network_nft_present(const NetworkDef *def)
{
    auto_cleanup(free_ptr) char *ch = chain_base(def->bridge);
    auto_cleanup(free_ptr) char *chain = xasprintf("%s_fwd", ch);
    const char *const argv[] = { "nft", "list", "chain", "inet", NETWORK_NFT_TABLE, chain, NULL };
    char err[256];

    return run_nft(argv, NULL, err, sizeof(err), NULL) == 0;
}
