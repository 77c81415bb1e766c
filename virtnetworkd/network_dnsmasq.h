/* dnsmasq for a virtual network: the configuration, hosts files and lease
 * file it is given, and reading its leases back. Pure text functions, so the
 * unit tests compare them with expected files. */
#pragma once

#include <stdint.h>

#include "error.h"
#include "network_def.h"

/* Where a network's dnsmasq files live (all absolute, under --root). */
typedef struct DnsmasqPaths {
    const char *conf;       /* <root>/var/lib/libvirt/dnsmasq/NAME.conf */
    const char *hostsfile;  /* .../NAME.hostsfile  (dhcp-hostsfile: DHCP host entries) */
    const char *addnhosts;  /* .../NAME.addnhosts  (addn-hosts: DNS host entries) */
    const char *leasefile;  /* .../NAME.leases     (dhcp-leasefile) */
    const char *pidfile;    /* <root>/run/libvirt/network/NAME.pid */
} DnsmasqPaths;

/* True when the network needs a dnsmasq (it owns its bridge and has an IP). */
bool network_dnsmasq_needed(const NetworkDef *def);
/* The configuration file text for dnsmasq --conf-file. New string. */
char *network_dnsmasq_conf(const NetworkDef *def, const DnsmasqPaths *paths);
/* The dhcp-hostsfile text: "MAC,IP,NAME" lines (IPv6: "id:DUID,[IP],NAME"). */
char *network_dnsmasq_hostsfile(const NetworkDef *def);
/* The addn-hosts text: "IP\tNAME NAME..." lines. */
char *network_dnsmasq_addnhosts(const NetworkDef *def);

/* One lease, as libvirt-dbus's GetDHCPLeases returns it (a(sxisssuss)). */
typedef struct NetworkLease {
    char *iface;
    int64_t expiry;   /* seconds since the epoch */
    int type;         /* 0 IPv4, 1 IPv6 (VIR_IP_ADDR_TYPE_*) */
    char *mac;        /* "" for IPv6 leases without one */
    char *iaid;       /* "" for IPv4 */
    char *ip;
    unsigned prefix;
    char *hostname;   /* "" when unknown ("*" in the file) */
    char *clientid;   /* "" when unknown */
} NetworkLease;

void network_lease_clear(NetworkLease *l);
void network_leases_free(NetworkLease *leases, size_t n);
/* Parses dnsmasq's lease file text for @def (prefix from the matching <ip>,
 * iface its bridge). @mac: only leases of that MAC (NULL: all). Expired
 * leases (before @now) are dropped. */
int network_dnsmasq_parse_leases(const NetworkDef *def, const char *text, const char *mac,
                                 int64_t now, NetworkLease **ret, size_t *ret_n);
