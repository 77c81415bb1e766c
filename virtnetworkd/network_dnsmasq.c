/* dnsmasq configuration, hosts files and leases. */
#include "network_dnsmasq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fileutil.h"
#include "macros.h"

/* A growing string. */
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

static char *
buf_steal(Buf *b)
{
    return b->s ? b->s : xstrdup("");
}

bool
network_dnsmasq_needed(const NetworkDef *def)
{
    return network_def_owns_bridge(def) && def->n_ips > 0;
}

static const NetworkIp *
dhcp_ip(const NetworkDef *def, int af)
{
    for (size_t i = 0; i < def->n_ips; i++)
        if (def->ips[i].af == af && (def->ips[i].n_ranges || def->ips[i].n_hosts))
            return &def->ips[i];
    return NULL;
}

static uint64_t
range_size(const NetworkDhcpRange *r)
{
    NetAddr s, e;
    uint32_t a, b;

    if (net_addr_parse(r->start, &s) < 0 || net_addr_parse(r->end, &e) < 0 ||
        s.family != AF_INET)
        return 0;
    memcpy(&a, s.bytes, 4);
    memcpy(&b, e.bytes, 4);
    return (uint64_t) ntohl(b) - ntohl(a) + 1;
}

char *
network_dnsmasq_conf(const NetworkDef *def, const DnsmasqPaths *paths)
{
    const NetworkIp *ip4 = dhcp_ip(def, AF_INET), *ip6 = dhcp_ip(def, AF_INET6);
    bool has_upstream = false;
    Buf b = { 0 };

    buf_printf(&b, "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
                   "##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:\n"
                   "##    virsh net-edit %s\n"
                   "## or other application using the libvirt API.\n"
                   "##\n## dnsmasq conf file created by virtnetworkd\n", def->name);
    buf_printf(&b, "strict-order\n");
    /* Keep root: the files it writes are under the daemon's root, and the
     * tests run it in a namespace with no such user as libvirt-dnsmasq. */
    buf_printf(&b, "user=root\n");
    buf_printf(&b, "pid-file=%s\n", paths->pidfile);
    /* Nothing from the host's /etc besides resolv.conf for upstream servers. */
    buf_printf(&b, "no-hosts\n");
    if (def->domain) {
        buf_printf(&b, "domain=%s\n", def->domain);
        if (def->domain_local)
            buf_printf(&b, "local=/%s/\n", def->domain);
        buf_printf(&b, "expand-hosts\n");
    }
    for (size_t i = 0; i < def->n_dns_forwarders; i++) {
        const NetworkDnsForwarder *f = &def->dns_forwarders[i];
        if (f->domain && f->addr)
            buf_printf(&b, "server=/%s/%s\n", f->domain, f->addr);
        else if (f->domain)
            buf_printf(&b, "server=/%s/\n", f->domain);
        else
            buf_printf(&b, "server=%s\n", f->addr);
        if (f->addr && !f->domain)
            has_upstream = true;
    }
    if (has_upstream)
        buf_printf(&b, "no-resolv\n");
    buf_printf(&b, "except-interface=lo\n");
    buf_printf(&b, "bind-dynamic\n");
    buf_printf(&b, "interface=%s\n", def->bridge);

    if (ip4) {
        uint64_t max = ip4->n_hosts;
        for (size_t i = 0; i < ip4->n_ranges; i++) {
            char mask[INET_ADDRSTRLEN];
            uint32_t m = htonl(~0u << (32 - ip4->prefix));
            inet_ntop(AF_INET, &m, mask, sizeof(mask));
            buf_printf(&b, "dhcp-range=%s,%s,%s\n", ip4->ranges[i].start, ip4->ranges[i].end,
                       mask);
            max += range_size(&ip4->ranges[i]);
        }
        if (!ip4->n_ranges) {
            char net[INET_ADDRSTRLEN];
            NetAddr a = ip4->addr;
            uint32_t v;
            memcpy(&v, a.bytes, 4);
            v &= htonl(~0u << (32 - ip4->prefix));
            inet_ntop(AF_INET, &v, net, sizeof(net));
            buf_printf(&b, "dhcp-range=%s,static\n", net);
        }
        buf_printf(&b, "dhcp-no-override\n");
        buf_printf(&b, "dhcp-authoritative\n");
        buf_printf(&b, "dhcp-lease-max=%llu\n", (unsigned long long) max);
    }
    if (ip6) {
        for (size_t i = 0; i < ip6->n_ranges; i++)
            buf_printf(&b, "dhcp-range=%s,%s,%u\n", ip6->ranges[i].start, ip6->ranges[i].end,
                       ip6->prefix);
        if (!ip6->n_ranges)
            buf_printf(&b, "dhcp-range=%s,static,%u\n", ip6->address, ip6->prefix);
        buf_printf(&b, "enable-ra\n");
    }
    if (ip4 || ip6) {
        buf_printf(&b, "dhcp-hostsfile=%s\n", paths->hostsfile);
        buf_printf(&b, "dhcp-leasefile=%s\n", paths->leasefile);
    }
    buf_printf(&b, "addn-hosts=%s\n", paths->addnhosts);
    return buf_steal(&b);
}

char *
network_dnsmasq_hostsfile(const NetworkDef *def)
{
    Buf b = { 0 };

    for (size_t i = 0; i < def->n_ips; i++) {
        const NetworkIp *ip = &def->ips[i];
        for (size_t j = 0; j < ip->n_hosts; j++) {
            const NetworkDhcpHost *h = &ip->hosts[j];
            bool first = true;

            if (ip->af == AF_INET6) {
                if (h->id) {
                    buf_printf(&b, "id:%s", h->id);
                    first = false;
                }
                if (h->name) {
                    buf_printf(&b, "%s%s", first ? "" : ",", h->name);
                    first = false;
                }
                if (h->ip)
                    buf_printf(&b, "%s[%s]", first ? "" : ",", h->ip);
            } else {
                if (h->mac) {
                    buf_printf(&b, "%s", h->mac);
                    first = false;
                }
                if (h->ip) {
                    buf_printf(&b, "%s%s", first ? "" : ",", h->ip);
                    first = false;
                }
                if (h->name)
                    buf_printf(&b, "%s%s", first ? "" : ",", h->name);
            }
            buf_printf(&b, "\n");
        }
    }
    return buf_steal(&b);
}

char *
network_dnsmasq_addnhosts(const NetworkDef *def)
{
    Buf b = { 0 };

    for (size_t i = 0; i < def->n_dns_hosts; i++) {
        const NetworkDnsHost *h = &def->dns_hosts[i];
        buf_printf(&b, "%s", h->ip);
        for (size_t j = 0; h->hostnames[j]; j++)
            buf_printf(&b, "%s%s", j ? " " : "\t", h->hostnames[j]);
        buf_printf(&b, "\n");
    }
    return buf_steal(&b);
}

void
network_lease_clear(NetworkLease *l)
{
    free(l->iface);
    free(l->mac);
    free(l->iaid);
    free(l->ip);
    free(l->hostname);
    free(l->clientid);
    memset(l, 0, sizeof(*l));
}

void
network_leases_free(NetworkLease *leases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        network_lease_clear(&leases[i]);
    free(leases);
}

static char *
star_empty(const char *s)
{
    return xstrdup(!s || STREQ(s, "*") ? "" : s);
}

int
network_dnsmasq_parse_leases(const NetworkDef *def, const char *text, const char *mac,
                             int64_t now, NetworkLease **ret, size_t *ret_n)
{
    auto_cleanup(free_ptr) char *copy = xstrdup(text ? text : "");
    NetworkLease *list = NULL;
    size_t n = 0;
    char *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5] = { 0 }, *fs = NULL;
        int nf = 0;
        long long expiry;
        NetAddr a;
        unsigned prefix = 0;
        bool v6;

        for (char *t = strtok_r(line, " ", &fs); t && nf < 5; t = strtok_r(NULL, " ", &fs))
            f[nf++] = t;
        if (nf < 4 || STREQ(f[0], "duid"))
            continue;
        if (sscanf(f[0], "%lld", &expiry) != 1)
            continue;
        if (net_addr_parse(f[2], &a) < 0)
            continue;
        if (expiry != 0 && expiry < now)
            continue;
        v6 = a.family == AF_INET6;
        if (mac && (v6 || strcasecmp(f[1], mac) != 0))
            continue;
        for (size_t i = 0; i < def->n_ips; i++)
            if (net_addr_in_subnet(&a, &def->ips[i].addr, def->ips[i].prefix))
                prefix = def->ips[i].prefix;

        list = xrealloc(list, (n + 1) * sizeof(*list));
        list[n] = (NetworkLease) {
            .iface = xstrdup(def->bridge ? def->bridge : ""),
            .expiry = expiry,
            .type = v6 ? 1 : 0,
            .mac = xstrdup(v6 ? "" : f[1]),
            .iaid = xstrdup(v6 ? f[1] : ""),
            .ip = xstrdup(f[2]),
            .prefix = prefix,
            .hostname = star_empty(f[3]),
            .clientid = star_empty(f[4]),
        };
        n++;
    }
    *ret = list;
    *ret_n = n;
    return 0;
}
