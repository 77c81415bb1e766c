/* Virtual network definitions: parse, validate, format, update. */
#include "network_def.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "fileutil.h"
#include "xml_util.h"

#define NETWORK_XML_MAX (1024 * 1024)

static const char *const forward_modes[] = {
    [NETWORK_FORWARD_NONE] = "none",
    [NETWORK_FORWARD_NAT] = "nat",
    [NETWORK_FORWARD_ROUTE] = "route",
    [NETWORK_FORWARD_OPEN] = "open",
    [NETWORK_FORWARD_BRIDGE] = "bridge",
};

/* ---- addresses ---------------------------------------------------------- */

int
net_addr_parse(const char *s, NetAddr *ret)
{
    NetAddr a = { 0 };

    if (!s)
        return -EINVAL;
    if (inet_pton(AF_INET, s, a.bytes) == 1)
        a.family = AF_INET;
    else if (inet_pton(AF_INET6, s, a.bytes) == 1)
        a.family = AF_INET6;
    else
        return -EINVAL;
    *ret = a;
    return 0;
}

char *
net_addr_format(const NetAddr *a, char *buf, size_t len)
{
    if (!inet_ntop(a->family, a->bytes, buf, len))
        snprintf(buf, len, "?");
    return buf;
}

static size_t
addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

bool
net_addr_in_subnet(const NetAddr *a, const NetAddr *b, unsigned prefix)
{
    unsigned full, rest;

    if (a->family != b->family || prefix > addr_len(a->family) * 8)
        return false;
    full = prefix / 8;
    rest = prefix % 8;
    if (memcmp(a->bytes, b->bytes, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t) (0xff << (8 - rest));
        if ((a->bytes[full] & mask) != (b->bytes[full] & mask))
            return false;
    }
    return true;
}

int
net_addr_compare(const NetAddr *a, const NetAddr *b)
{
    int c = memcmp(a->bytes, b->bytes, addr_len(a->family));
    return c < 0 ? -1 : c > 0;
}

/* The prefix of a contiguous IPv4 netmask, or -EINVAL. */
static int
netmask_prefix(const NetAddr *mask)
{
    uint32_t m;
    int prefix = 0;

    if (mask->family != AF_INET)
        return -EINVAL;
    memcpy(&m, mask->bytes, 4);
    m = ntohl(m);
    while (m & 0x80000000u) {
        prefix++;
        m <<= 1;
    }
    return m ? -EINVAL : prefix;
}

static void
subnet_of(const NetworkIp *ip, NetAddr *ret)
{
    unsigned full = ip->prefix / 8, rest = ip->prefix % 8;

    *ret = ip->addr;
    if (rest)
        ret->bytes[full++] &= (uint8_t) (0xff << (8 - rest));
    for (unsigned i = full; i < 16; i++)
        ret->bytes[i] = 0;
}

static char *
subnet_string(const NetworkIp *ip)
{
    char buf[INET6_ADDRSTRLEN];
    NetAddr net;

    subnet_of(ip, &net);
    return xasprintf("%s/%u", net_addr_format(&net, buf, sizeof(buf)), ip->prefix);
}

/* ---- freeing ------------------------------------------------------------ */

static void
dhcp_host_clear(NetworkDhcpHost *h)
{
    free(h->mac);
    free(h->id);
    free(h->name);
    free(h->ip);
    memset(h, 0, sizeof(*h));
}

static void
dns_host_clear(NetworkDnsHost *h)
{
    free(h->ip);
    strv_free(h->hostnames);
    memset(h, 0, sizeof(*h));
}

static void
ip_clear(NetworkIp *ip)
{
    free(ip->family);
    free(ip->address);
    free(ip->netmask);
    for (size_t i = 0; i < ip->n_ranges; i++) {
        free(ip->ranges[i].start);
        free(ip->ranges[i].end);
    }
    free(ip->ranges);
    for (size_t i = 0; i < ip->n_hosts; i++)
        dhcp_host_clear(&ip->hosts[i]);
    free(ip->hosts);
}

void
network_def_free(NetworkDef *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->forward_dev);
    free(def->bridge);
    free(def->mac);
    free(def->domain);
    for (size_t i = 0; i < def->n_ips; i++)
        ip_clear(&def->ips[i]);
    free(def->ips);
    for (size_t i = 0; i < def->n_dns_hosts; i++)
        dns_host_clear(&def->dns_hosts[i]);
    free(def->dns_hosts);
    for (size_t i = 0; i < def->n_dns_forwarders; i++) {
        free(def->dns_forwarders[i].addr);
        free(def->dns_forwarders[i].domain);
    }
    free(def->dns_forwarders);
    free(def);
}

/* ---- parsing ------------------------------------------------------------ */

#define GROW(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), \
                      memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

/* Lower-cases a MAC and checks it: six hex pairs with ':'. */
static int
mac_normalize(const char *s, char **ret)
{
    char buf[18];

    if (!s || strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2) {
            if (s[i] != ':')
                return -EINVAL;
            buf[i] = ':';
        } else {
            if (!isxdigit((unsigned char) s[i]))
                return -EINVAL;
            buf[i] = (char) tolower((unsigned char) s[i]);
        }
    }
    buf[17] = '\0';
    *ret = xstrdup(buf);
    return 0;
}

static bool
bridge_name_valid(const char *s)
{
    size_t len = strlen(s);
    const char *pct = strstr(s, "%d");

    if (len == 0 || len > 15 || STREQ(s, ".") || STREQ(s, ".."))
        return false;
    for (const char *p = s; *p; p++) {
        if (pct && (p == pct || p == pct + 1))
            continue;
        if (!isalnum((unsigned char) *p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    }
    return true;
}

static int
parse_dhcp_host(xmlNode *node, const NetworkDef *def, const NetworkIp *ip,
                NetworkDhcpHost *ret, Error *error)
{
    auto_cleanup(free_ptr) char *mac = xml_prop(node, "mac");
    NetworkDhcpHost h = { 0 };
    NetAddr a;

    h.id = xml_prop(node, "id");
    h.name = xml_prop(node, "name");
    h.ip = xml_prop(node, "ip");
    if (mac && mac_normalize(mac, &h.mac) < 0) {
        dhcp_host_clear(&h);
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Cannot parse MAC address '%s' in network '%s'", mac, def->name);
    }
    if (h.name && (!*h.name || strchr(h.name, ',') || strchr(h.name, ' '))) {
        int r = error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                          "Invalid hostname '%s' in dhcp host entry of network '%s'",
                          h.name, def->name);
        dhcp_host_clear(&h);
        return r;
    }
    if (h.ip) {
        if (net_addr_parse(h.ip, &a) < 0 || a.family != ip->af) {
            int r = error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                              "Invalid IP address '%s' in dhcp host entry of network '%s'",
                              h.ip, def->name);
            dhcp_host_clear(&h);
            return r;
        }
        if (!net_addr_in_subnet(&a, &ip->addr, ip->prefix)) {
            auto_cleanup(free_ptr) char *net = subnet_string(ip);
            int r = error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                              "IP address '%s' of dhcp host entry is not in network "
                              "'%s' subnet '%s'", h.ip, def->name, net);
            dhcp_host_clear(&h);
            return r;
        }
    }
    if (ip->af == AF_INET && !h.mac && !h.name) {
        dhcp_host_clear(&h);
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Static host definition in IPv4 network '%s' must have mac or "
                         "name attribute", def->name);
    }
    if (ip->af == AF_INET6 && h.mac) {
        dhcp_host_clear(&h);
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Invalid to specify MAC address '%s' in network '%s' IPv6 static "
                         "host definition", mac, def->name);
    }
    if (!h.mac && !h.name && !h.id) {
        dhcp_host_clear(&h);
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Static host definition in network '%s' must have mac, id or "
                         "name attribute", def->name);
    }
    *ret = h;
    return 0;
}

static int
parse_range(xmlNode *node, const NetworkDef *def, const NetworkIp *ip, NetworkDhcpRange *ret,
            Error *error)
{
    auto_cleanup(free_ptr) char *start = xml_prop(node, "start");
    auto_cleanup(free_ptr) char *end = xml_prop(node, "end");
    auto_cleanup(free_ptr) char *net = NULL;
    NetAddr s, e;

    if (!start || !end)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Missing 'start' or 'end' attribute in dhcp range for network '%s'",
                         def->name);
    if (net_addr_parse(start, &s) < 0 || s.family != ip->af)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Invalid dhcp range start address '%s' in network '%s'",
                         start, def->name);
    if (net_addr_parse(end, &e) < 0 || e.family != ip->af)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Invalid dhcp range end address '%s' in network '%s'", end, def->name);
    net = subnet_string(ip);
    if (!net_addr_in_subnet(&s, &ip->addr, ip->prefix) ||
        !net_addr_in_subnet(&e, &ip->addr, ip->prefix))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "range %s - %s is not entirely within network %s of network '%s'",
                         start, end, net, def->name);
    if (net_addr_compare(&s, &e) > 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "range %s - %s is reversed in network '%s'", start, end, def->name);
    ret->start = steal_ptr(start);
    ret->end = steal_ptr(end);
    return 0;
}

static int
parse_ip(xmlNode *node, const NetworkDef *def, NetworkIp *ip, Error *error)
{
    auto_cleanup(free_ptr) char *prefix = xml_prop(node, "prefix");
    xmlNode *dhcp;
    int r;

    ip->family = xml_prop(node, "family");
    ip->address = xml_prop(node, "address");
    ip->netmask = xml_prop(node, "netmask");
    if (ip->family && !STREQ(ip->family, "ipv4") && !STREQ(ip->family, "ipv6"))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Unrecognized family '%s' in network '%s'", ip->family, def->name);
    if (!ip->address)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Missing required address attribute in network '%s'", def->name);
    if (net_addr_parse(ip->address, &ip->addr) < 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Invalid address '%s' in network '%s'", ip->address, def->name);
    ip->af = ip->addr.family;
    if (ip->family && STREQ(ip->family, "ipv6") != (ip->af == AF_INET6))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Family '%s' does not match address '%s' in network '%s'",
                         ip->family, ip->address, def->name);
    if (ip->netmask && prefix)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Network '%s' IP address cannot have both a prefix and a netmask",
                         def->name);
    if (ip->netmask) {
        NetAddr m;
        if (ip->af != AF_INET)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "netmask not supported for address '%s' in network '%s' "
                             "(IPv6 requires a prefix)", ip->address, def->name);
        if (net_addr_parse(ip->netmask, &m) < 0 || (r = netmask_prefix(&m)) < 0)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid netmask '%s' in network '%s'", ip->netmask, def->name);
        ip->prefix = (unsigned) r;
    } else if (prefix) {
        unsigned long long p;
        if (xml_parse_ull(prefix, 10, addr_len(ip->af) * 8, &p) < 0)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid ip address prefix value '%s' in network '%s'",
                             prefix, def->name);
        ip->prefix = (unsigned) p;
        ip->has_prefix = true;
    } else if (ip->af == AF_INET6) {
        ip->prefix = 64;
    } else {
        /* libvirt falls back to the address class. */
        uint8_t b = ip->addr.bytes[0];
        ip->prefix = b < 128 ? 8 : b < 192 ? 16 : 24;
    }
    if (ip->prefix == 0 || ip->prefix >= addr_len(ip->af) * 8)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Invalid prefix %u for address '%s' in network '%s'",
                         ip->prefix, ip->address, def->name);

    dhcp = xml_child(node, "dhcp");
    if (dhcp) {
        ip->has_dhcp = true;
        xml_foreach_child(c, dhcp) {
            if (xml_node_is(c, "range")) {
                r = parse_range(c, def, ip, GROW(ip->ranges, ip->n_ranges), error);
                if (r < 0)
                    return r;
            } else if (xml_node_is(c, "host")) {
                r = parse_dhcp_host(c, def, ip, GROW(ip->hosts, ip->n_hosts), error);
                if (r < 0)
                    return r;
            }
        }
    }
    return 0;
}

static int
parse_dns_host(xmlNode *node, const NetworkDef *def, NetworkDnsHost *h, Error *error)
{
    NetAddr a;

    h->ip = xml_prop(node, "ip");
    if (!h->ip || net_addr_parse(h->ip, &a) < 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "Invalid IP address '%s' in DNS host definition of network '%s'",
                         h->ip ? h->ip : "", def->name);
    xml_foreach_child(c, node) {
        if (xml_node_is(c, "hostname")) {
            char *name = xml_content(c);
            if (!name || !*name || strchr(name, ' ') || strchr(name, '\n')) {
                free(name);
                return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                                 "Invalid hostname in DNS host definition of network '%s'",
                                 def->name);
            }
            strv_push(&h->hostnames, name);
        }
    }
    if (!h->hostnames)
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "Missing hostname in DNS host definition of network '%s'", def->name);
    return 0;
}

static int
parse_dns(xmlNode *node, NetworkDef *def, Error *error)
{
    int r;

    def->has_dns = true;
    xml_foreach_child(c, node) {
        if (xml_node_is(c, "host")) {
            r = parse_dns_host(c, def, GROW(def->dns_hosts, def->n_dns_hosts), error);
            if (r < 0)
                return r;
        } else if (xml_node_is(c, "forwarder")) {
            NetworkDnsForwarder *f = GROW(def->dns_forwarders, def->n_dns_forwarders);
            NetAddr a;

            f->addr = xml_prop(c, "addr");
            f->domain = xml_prop(c, "domain");
            if (!f->addr && !f->domain)
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "Invalid DNS forwarder element, missing addr and/or domain "
                                 "in network '%s'", def->name);
            if (f->addr && net_addr_parse(f->addr, &a) < 0)
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "Invalid forwarder IP address '%s' in network '%s'",
                                 f->addr, def->name);
            if (f->domain && (strchr(f->domain, '/') || strchr(f->domain, ' ')))
                return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                                 "Invalid forwarder domain '%s' in network '%s'",
                                 f->domain, def->name);
        }
    }
    return 0;
}

static int
parse_forward(xmlNode *node, NetworkDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *mode = xml_prop(node, "mode");
    xmlNode *nat, *port;
    int r;

    def->forward = NETWORK_FORWARD_NAT; /* libvirt's default when mode is absent */
    if (mode) {
        int found = -1;
        for (int i = 0; i < _NETWORK_FORWARD_MAX; i++)
            if (STREQ(mode, forward_modes[i]))
                found = i;
        if (found < 0 || found == NETWORK_FORWARD_NONE)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: unknown forwarding type '%s'", mode);
        def->forward = found;
    }
    def->forward_dev = xml_prop(node, "dev");
    if (def->forward_dev && !bridge_name_valid(def->forward_dev))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "Invalid forward dev '%s' in network '%s'", def->forward_dev,
                         def->name);
    nat = xml_child(node, "nat");
    if (nat && def->forward != NETWORK_FORWARD_NAT)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "The <nat> element can only be used when <forward> 'mode' is 'nat' "
                         "in network %s", def->name);
    port = nat ? xml_child(nat, "port") : NULL;
    if (port) {
        unsigned start = 0, end = 0;
        r = xml_prop_uint(port, "start", 10, 65535, &start, error);
        if (r < 0)
            return r;
        r = xml_prop_uint(port, "end", 10, 65535, &end, error);
        if (r < 0)
            return r;
        if (start == 0 || end == 0 || start > end)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid port range '%u-%u' in network '%s'", start, end,
                             def->name);
        def->nat_port_start = start;
        def->nat_port_end = end;
    }
    return 0;
}

static int
parse_root(xmlNode *root, NetworkDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *uuid = NULL;
    xmlNode *n;
    int r;

    def->name = xml_child_content(root, "name");
    if (!def->name || !*def->name)
        return error_set(error, -EINVAL, VIR_ERR_NO_NAME, "missing name information");
    if (strchr(def->name, '/'))
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL, "invalid char in name: /");
    if (STREQ(def->name, ".") || STREQ(def->name, ".."))
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "network name '%s' is not allowed", def->name);

    uuid = xml_child_content(root, "uuid");
    if (uuid) {
        if (uuid_parse(uuid, &def->uuid) < 0)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "malformed uuid element");
    } else {
        uuid_generate(&def->uuid);
    }

    def->forward = NETWORK_FORWARD_NONE;
    if ((n = xml_child(root, "forward"))) {
        r = parse_forward(n, def, error);
        if (r < 0)
            return r;
    }

    def->stp = true;
    if ((n = xml_child(root, "bridge"))) {
        def->bridge = xml_prop(n, "name");
        if (def->bridge && !bridge_name_valid(def->bridge))
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "invalid bridge name '%s' in network '%s'", def->bridge,
                             def->name);
        r = xml_prop_bool(n, "stp", &def->stp, error);
        if (r < 0)
            return r;
        def->has_stp = r > 0;
        r = xml_prop_uint(n, "delay", 10, 3600, &def->delay, error);
        if (r < 0)
            return r;
        def->has_delay = r > 0;
    }

    if ((n = xml_child(root, "mac"))) {
        auto_cleanup(free_ptr) char *mac = xml_prop(n, "address");
        if (mac_normalize(mac, &def->mac) < 0)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid bridge mac address '%s' in network '%s'",
                             mac ? mac : "", def->name);
        if (strtoul(def->mac, NULL, 16) & 1)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid multicast bridge mac address '%s' in network '%s'",
                             mac, def->name);
    }

    if ((n = xml_child(root, "mtu"))) {
        r = xml_prop_uint(n, "size", 10, 65535, &def->mtu, error);
        if (r < 0)
            return r;
        if (r == 0 || def->mtu < 68)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid mtu size in network '%s'", def->name);
    }

    if ((n = xml_child(root, "domain"))) {
        def->domain = xml_prop(n, "name");
        if (!def->domain || !*def->domain || strchr(def->domain, '/') ||
            strchr(def->domain, ' '))
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Invalid domain name in network '%s'", def->name);
        r = xml_prop_bool(n, "localOnly", &def->domain_local, error);
        if (r < 0)
            return r;
    }

    if ((n = xml_child(root, "dns"))) {
        r = parse_dns(n, def, error);
        if (r < 0)
            return r;
    }
    r = bandwidth_parse(root, false, &def->bandwidth, error);
    if (r < 0)
        return r;

    xml_foreach_child(c, root) {
        if (!xml_node_is(c, "ip"))
            continue;
        r = parse_ip(c, def, GROW(def->ips, def->n_ips), error);
        if (r < 0)
            return r;
    }

    /* Semantic checks across elements, as libvirt's. */
    if (def->forward == NETWORK_FORWARD_BRIDGE) {
        if (!def->bridge || strstr(def->bridge, "%d"))
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "forward mode 'bridge' requires a <bridge name=''> in network "
                             "'%s'", def->name);
        if (def->n_ips || def->mac || def->domain || def->has_dns || def->mtu)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "Unsupported <ip>, <mac>, <mtu>, <dns> or <domain> element in "
                             "network %s with forward mode='bridge'", def->name);
    }
    {
        bool dhcp4 = false, dhcp6 = false;
        for (size_t i = 0; i < def->n_ips; i++) {
            NetworkIp *ip = &def->ips[i];
            bool *seen = ip->af == AF_INET ? &dhcp4 : &dhcp6;
            if (!ip->n_ranges && !ip->n_hosts)
                continue;
            if (*seen)
                return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                                 "Multiple %s dhcp sections found -- dhcp is supported only "
                                 "for a single %s address on each network",
                                 ip->af == AF_INET ? "IPv4" : "IPv6",
                                 ip->af == AF_INET ? "IPv4" : "IPv6");
            *seen = true;
        }
    }
    return 0;
}

int
network_def_parse(const char *xml, NetworkDef **ret_def, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(network_def_freep) NetworkDef *def = NULL;
    int r;

    r = xml_parse_document(xml, NETWORK_XML_MAX, "network", &doc, error);
    if (r < 0)
        return r;
    def = xcalloc(1, sizeof(*def));
    r = parse_root(xmlDocGetRootElement(doc), def, error);
    if (r < 0)
        return r;
    *ret_def = steal_ptr(def);
    return 0;
}

/* ---- formatting --------------------------------------------------------- */

static void
format_dhcp_host(XmlWriter *w, const NetworkDhcpHost *h)
{
    xml_writer_start(w, "host");
    xml_writer_attr(w, "mac", h->mac);
    xml_writer_attr(w, "id", h->id);
    xml_writer_attr(w, "name", h->name);
    xml_writer_attr(w, "ip", h->ip);
    xml_writer_end(w);
}

static void
format_dns_host(XmlWriter *w, const NetworkDnsHost *h)
{
    xml_writer_start(w, "host");
    xml_writer_attr(w, "ip", h->ip);
    for (size_t j = 0; h->hostnames && h->hostnames[j]; j++)
        xml_writer_element_text(w, "hostname", h->hostnames[j]);
    xml_writer_end(w);
}

char *
network_def_format(const NetworkDef *def, unsigned connections)
{
    XmlWriter w = XML_WRITER_INIT;
    char uuid[UUID_STRING_LEN];

    xml_writer_start(&w, "network");
    if (connections)
        xml_writer_attrf(&w, "connections", "%u", connections);
    xml_writer_element_text(&w, "name", def->name);
    xml_writer_element_text(&w, "uuid", uuid_format(&def->uuid, uuid));

    if (def->forward != NETWORK_FORWARD_NONE) {
        xml_writer_start(&w, "forward");
        xml_writer_attr(&w, "mode", forward_modes[def->forward]);
        xml_writer_attr(&w, "dev", def->forward_dev);
        if (def->nat_port_start) {
            xml_writer_start(&w, "nat");
            xml_writer_start(&w, "port");
            xml_writer_attrf(&w, "start", "%u", def->nat_port_start);
            xml_writer_attrf(&w, "end", "%u", def->nat_port_end);
            xml_writer_end(&w);
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }

    if (def->forward == NETWORK_FORWARD_BRIDGE) {
        xml_writer_start(&w, "bridge");
        xml_writer_attr(&w, "name", def->bridge);
        xml_writer_end(&w);
    } else {
        xml_writer_start(&w, "bridge");
        xml_writer_attr(&w, "name", def->bridge);
        xml_writer_attr(&w, "stp", def->stp ? "on" : "off");
        xml_writer_attrf(&w, "delay", "%u", def->delay);
        xml_writer_end(&w);
    }

    if (def->mtu) {
        xml_writer_start(&w, "mtu");
        xml_writer_attrf(&w, "size", "%u", def->mtu);
        xml_writer_end(&w);
    }
    if (def->mac) {
        xml_writer_start(&w, "mac");
        xml_writer_attr(&w, "address", def->mac);
        xml_writer_end(&w);
    }
    if (def->domain) {
        xml_writer_start(&w, "domain");
        xml_writer_attr(&w, "name", def->domain);
        if (def->domain_local)
            xml_writer_attr(&w, "localOnly", "yes");
        xml_writer_end(&w);
    }
    if (def->n_dns_hosts || def->n_dns_forwarders) {
        xml_writer_start(&w, "dns");
        for (size_t i = 0; i < def->n_dns_forwarders; i++) {
            xml_writer_start(&w, "forwarder");
            xml_writer_attr(&w, "domain", def->dns_forwarders[i].domain);
            xml_writer_attr(&w, "addr", def->dns_forwarders[i].addr);
            xml_writer_end(&w);
        }
        for (size_t i = 0; i < def->n_dns_hosts; i++)
            format_dns_host(&w, &def->dns_hosts[i]);
        xml_writer_end(&w);
    }

    bandwidth_format(&w, &def->bandwidth);
    for (size_t i = 0; i < def->n_ips; i++) {
        const NetworkIp *ip = &def->ips[i];

        xml_writer_start(&w, "ip");
        xml_writer_attr(&w, "family", ip->family);
        xml_writer_attr(&w, "address", ip->address);
        if (ip->netmask)
            xml_writer_attr(&w, "netmask", ip->netmask);
        else
            xml_writer_attrf(&w, "prefix", "%u", ip->prefix);
        if (ip->n_ranges || ip->n_hosts) {
            xml_writer_start(&w, "dhcp");
            for (size_t j = 0; j < ip->n_ranges; j++) {
                xml_writer_start(&w, "range");
                xml_writer_attr(&w, "start", ip->ranges[j].start);
                xml_writer_attr(&w, "end", ip->ranges[j].end);
                xml_writer_end(&w);
            }
            for (size_t j = 0; j < ip->n_hosts; j++)
                format_dhcp_host(&w, &ip->hosts[j]);
            xml_writer_end(&w);
        }
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    return xml_writer_steal(&w);
}

NetworkDef *
network_def_copy(const NetworkDef *def)
{
    auto_cleanup(free_ptr) char *xml = network_def_format(def, 0);
    Error error = ERROR_INIT;
    NetworkDef *copy = NULL;

    if (network_def_parse(xml, &copy, &error) < 0)
        abort(); /* our own output always parses */
    return copy;
}

bool
network_def_owns_bridge(const NetworkDef *def)
{
    return def->forward != NETWORK_FORWARD_BRIDGE;
}

void
network_def_fill_defaults(NetworkDef *def)
{
    uint8_t b[3];

    if (def->mac || !network_def_owns_bridge(def))
        return;
    if (getrandom(b, sizeof(b), 0) != sizeof(b))
        abort();
    def->mac = xasprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
}

/* ---- conflicts ---------------------------------------------------------- */

int
network_def_check_conflict(const NetworkDef *def, const NetworkDef *other, Error *error)
{
    if (STREQ(def->name, other->name))
        return 0;
    if (def->bridge && other->bridge && STREQ(def->bridge, other->bridge) &&
        !strstr(def->bridge, "%d"))
        return error_set(error, -EEXIST, VIR_ERR_INTERNAL_ERROR,
                         "internal error: bridge name '%s' already in use.", def->bridge);
    for (size_t i = 0; i < def->n_ips; i++) {
        for (size_t j = 0; j < other->n_ips; j++) {
            const NetworkIp *a = &def->ips[i], *b = &other->ips[j];
            unsigned prefix;

            if (a->af != b->af)
                continue;
            prefix = a->prefix < b->prefix ? a->prefix : b->prefix;
            if (net_addr_in_subnet(&a->addr, &b->addr, prefix)) {
                auto_cleanup(free_ptr) char *na = subnet_string(a);
                auto_cleanup(free_ptr) char *nb = subnet_string(b);
                return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                                 "IP subnet '%s' of network '%s' overlaps IP subnet '%s' of "
                                 "network '%s'", na, def->name, nb, other->name);
            }
        }
    }
    return 0;
}

/* ---- update ------------------------------------------------------------- */

static char *
dhcp_host_xml(const NetworkDhcpHost *h)
{
    XmlWriter w = XML_WRITER_INIT;
    char *s;
    size_t len;

    format_dhcp_host(&w, h);
    s = xml_writer_steal(&w);
    len = strlen(s);
    if (len && s[len - 1] == '\n')
        s[len - 1] = '\0';
    return s;
}

static NetworkIp *
update_find_ip(NetworkDef *def, int parent_index, const NetworkDhcpHost *h, Error *error)
{
    if (parent_index >= 0) {
        if ((size_t) parent_index >= def->n_ips) {
            error_set(error, -ENOENT, VIR_ERR_OPERATION_INVALID,
                      "couldn't update dhcp host entry - no <ip> element found at index %d "
                      "in network '%s'", parent_index, def->name);
            return NULL;
        }
        return &def->ips[parent_index];
    }
    /* The <ip> that holds the host's address, else the first with DHCP of the
     * family the entry is for (IPv4 when it has a MAC). */
    for (size_t i = 0; i < def->n_ips; i++) {
        NetAddr a;
        if (h->ip && net_addr_parse(h->ip, &a) == 0 &&
            net_addr_in_subnet(&a, &def->ips[i].addr, def->ips[i].prefix))
            return &def->ips[i];
    }
    for (size_t i = 0; i < def->n_ips; i++) {
        int want = h->mac || !h->id ? AF_INET : AF_INET6;
        if (def->ips[i].af == want && (def->ips[i].n_ranges || def->ips[i].n_hosts))
            return &def->ips[i];
    }
    for (size_t i = 0; i < def->n_ips; i++)
        if (def->ips[i].af == AF_INET)
            return &def->ips[i];
    error_set(error, -ENOENT, VIR_ERR_OPERATION_INVALID,
              "can't update 'host' section of network '%s' - no <ip> element found that "
              "can hold it", def->name);
    return NULL;
}

static int
update_dhcp_host(NetworkDef *def, unsigned command, int parent_index, xmlNode *node,
                 Error *error)
{
    NetworkDhcpHost h = { 0 };
    NetworkIp *ip;
    auto_cleanup(free_ptr) char *text = NULL;
    ssize_t found = -1;
    int r;

    if (!xml_node_is(node, "host"))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "can't update 'host' section of network '%s' - unrecognized "
                         "element '%s', expecting 'host'", def->name, (const char *) node->name);
    {
        /* Parse once without an <ip> to learn the address, then in its <ip>. */
        auto_cleanup(free_ptr) char *ipattr = xml_prop(node, "ip");
        auto_cleanup(free_ptr) char *mac = xml_prop(node, "mac");
        auto_cleanup(free_ptr) char *id = xml_prop(node, "id");
        NetworkDhcpHost probe = { .ip = ipattr, .mac = mac, .id = id };
        ip = update_find_ip(def, parent_index, &probe, error);
        if (!ip)
            return -ENOENT;
    }
    r = parse_dhcp_host(node, def, ip, &h, error);
    if (r < 0)
        return r;
    text = dhcp_host_xml(&h);

    for (size_t i = 0; i < ip->n_hosts; i++) {
        NetworkDhcpHost *o = &ip->hosts[i];
        bool match;

        if (command == NETWORK_UPDATE_COMMAND_MODIFY)
            match = (h.mac && STREQ_NULL(o->mac, h.mac)) || (!h.mac && h.id && STREQ_NULL(o->id, h.id)) ||
                    (!h.mac && !h.id && h.name && STREQ_NULL(o->name, h.name));
        else if (command == NETWORK_UPDATE_COMMAND_DELETE)
            match = (!h.mac || STREQ_NULL(o->mac, h.mac)) && (!h.id || STREQ_NULL(o->id, h.id)) &&
                    (!h.name || STREQ_NULL(o->name, h.name)) &&
                    (!h.ip || STREQ_NULL(o->ip, h.ip));
        else
            match = (h.mac && STREQ_NULL(o->mac, h.mac)) || (h.id && STREQ_NULL(o->id, h.id)) ||
                    (h.name && STREQ_NULL(o->name, h.name)) || (h.ip && STREQ_NULL(o->ip, h.ip));
        if (match) {
            found = (ssize_t) i;
            break;
        }
    }

    switch (command) {
    case NETWORK_UPDATE_COMMAND_ADD_FIRST:
    case NETWORK_UPDATE_COMMAND_ADD_LAST:
        if (found >= 0) {
            dhcp_host_clear(&h);
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "there is an existing dhcp host entry in network '%s' that "
                             "matches \"%s\"", def->name, text);
        }
        GROW(ip->hosts, ip->n_hosts);
        if (command == NETWORK_UPDATE_COMMAND_ADD_FIRST) {
            memmove(&ip->hosts[1], &ip->hosts[0], (ip->n_hosts - 1) * sizeof(h));
            ip->hosts[0] = h;
        } else {
            ip->hosts[ip->n_hosts - 1] = h;
        }
        return 0;
    case NETWORK_UPDATE_COMMAND_MODIFY:
    case NETWORK_UPDATE_COMMAND_DELETE:
        if (found < 0) {
            dhcp_host_clear(&h);
            return error_set(error, -ENOENT, VIR_ERR_OPERATION_INVALID,
                             "couldn't locate an existing dhcp host entry with \"%s\" in "
                             "network '%s'", text, def->name);
        }
        dhcp_host_clear(&ip->hosts[found]);
        if (command == NETWORK_UPDATE_COMMAND_MODIFY) {
            ip->hosts[found] = h;
        } else {
            dhcp_host_clear(&h);
            memmove(&ip->hosts[found], &ip->hosts[found + 1],
                    (ip->n_hosts - found - 1) * sizeof(h));
            ip->n_hosts--;
        }
        return 0;
    default:
        dhcp_host_clear(&h);
        return error_set(error, -EINVAL, VIR_ERR_NO_SUPPORT,
                         "unrecognized network update command code %u", command);
    }
}

static int
update_dns_host(NetworkDef *def, unsigned command, xmlNode *node, Error *error)
{
    NetworkDnsHost h = { 0 };
    ssize_t found = -1;
    int r;

    if (!xml_node_is(node, "host"))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "can't update 'host' section of network '%s' - unrecognized "
                         "element '%s', expecting 'host'", def->name, (const char *) node->name);
    if (command == NETWORK_UPDATE_COMMAND_MODIFY)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_OPERATION_UNSUPPORTED,
                         "DNS HOST records cannot be modified, only added or deleted");
    r = parse_dns_host(node, def, &h, error);
    if (r < 0) {
        dns_host_clear(&h);
        return r;
    }
    for (size_t i = 0; i < def->n_dns_hosts && found < 0; i++) {
        NetworkDnsHost *o = &def->dns_hosts[i];
        if (STREQ(o->ip, h.ip))
            found = (ssize_t) i;
        for (size_t j = 0; found < 0 && h.hostnames[j]; j++)
            if (strv_contains(o->hostnames, h.hostnames[j]))
                found = (ssize_t) i;
    }
    switch (command) {
    case NETWORK_UPDATE_COMMAND_ADD_FIRST:
    case NETWORK_UPDATE_COMMAND_ADD_LAST:
        if (found >= 0) {
            dns_host_clear(&h);
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "there is already at least one DNS HOST record with a matching "
                             "field in network %s", def->name);
        }
        GROW(def->dns_hosts, def->n_dns_hosts);
        if (command == NETWORK_UPDATE_COMMAND_ADD_FIRST) {
            memmove(&def->dns_hosts[1], &def->dns_hosts[0],
                    (def->n_dns_hosts - 1) * sizeof(h));
            def->dns_hosts[0] = h;
        } else {
            def->dns_hosts[def->n_dns_hosts - 1] = h;
        }
        def->has_dns = true;
        return 0;
    case NETWORK_UPDATE_COMMAND_DELETE:
        if (found < 0) {
            dns_host_clear(&h);
            return error_set(error, -ENOENT, VIR_ERR_OPERATION_INVALID,
                             "couldn't locate a matching DNS HOST record in network %s",
                             def->name);
        }
        dns_host_clear(&h);
        dns_host_clear(&def->dns_hosts[found]);
        memmove(&def->dns_hosts[found], &def->dns_hosts[found + 1],
                (def->n_dns_hosts - found - 1) * sizeof(h));
        def->n_dns_hosts--;
        return 0;
    default:
        dns_host_clear(&h);
        return error_set(error, -EINVAL, VIR_ERR_NO_SUPPORT,
                         "unrecognized network update command code %u", command);
    }
}

int
network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index,
                   const char *xml, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    int r;

    if (command < NETWORK_UPDATE_COMMAND_MODIFY || command > NETWORK_UPDATE_COMMAND_ADD_FIRST)
        return error_set(error, -EINVAL, VIR_ERR_NO_SUPPORT,
                         "unrecognized network update command code %u", command);
    if (section != NETWORK_SECTION_IP_DHCP_HOST && section != NETWORK_SECTION_DNS_HOST)
        return error_set(error, -EOPNOTSUPP, VIR_ERR_NO_SUPPORT,
                         "can't update unrecognized section of network (%u)", section);
    r = xml_parse_document_as(xml, NETWORK_XML_MAX, NULL, "network_update_xml", &doc, error);
    if (r < 0)
        return r;
    if (section == NETWORK_SECTION_IP_DHCP_HOST)
        return update_dhcp_host(def, command, parent_index, xmlDocGetRootElement(doc), error);
    return update_dns_host(def, command, xmlDocGetRootElement(doc), error);
}
