/* Virtual network definitions: libvirt's <network> XML, parsed, validated
 * and formatted back, plus the checks two networks must pass to live side by
 * side (bridge names, overlapping address ranges).
 *
 * Addresses are kept as text, exactly as given (so they format back as
 * written), and parsed into NetAddr for checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bandwidth.h"
#include "error.h"
#include "macros.h"
#include "uuid.h"

typedef enum {
    NETWORK_FORWARD_NONE,   /* isolated: no <forward> */
    NETWORK_FORWARD_NAT,
    NETWORK_FORWARD_ROUTE,
    NETWORK_FORWARD_OPEN,
    NETWORK_FORWARD_BRIDGE, /* an existing host bridge: <bridge name=''/> is not ours */
    _NETWORK_FORWARD_MAX,
} NetworkForwardMode;

/* "nat", ...; "none" for NETWORK_FORWARD_NONE. */

typedef struct NetAddr {
    int family;          /* AF_INET or AF_INET6 */
    uint8_t bytes[16];   /* network order; 4 used for AF_INET */
} NetAddr;

/* Parses an IPv4 or IPv6 address (no prefix). 0 or -EINVAL. */
int net_addr_parse(const char *s, NetAddr *ret);
/* Writes it into @buf (at least 46 bytes) and returns @buf. */
char *net_addr_format(const NetAddr *a, char *buf, size_t len);
/* True when @a and @b share their first @prefix bits (same family). */
bool net_addr_in_subnet(const NetAddr *a, const NetAddr *b, unsigned prefix);
/* -1, 0, 1 as memcmp in the same family. */
int net_addr_compare(const NetAddr *a, const NetAddr *b);

typedef struct NetworkDhcpRange {
    char *start, *end;
} NetworkDhcpRange;

typedef struct NetworkDhcpHost {
    char *mac;   /* "52:54:00:aa:bb:cc", lower case; NULL allowed for IPv6 */
    char *id;    /* IPv6 DUID (<host id=''>); NULL when absent */
    char *name;  /* NULL when absent */
    char *ip;    /* NULL when absent (name or mac only) */
} NetworkDhcpHost;

typedef struct NetworkIp {
    char *family;      /* "ipv4", "ipv6" or NULL (as written) */
    char *address;
    char *netmask;     /* as written, or NULL when a prefix was given */
    unsigned prefix;   /* always set (from the netmask when one was given) */
    bool has_prefix;   /* prefix='' was written */
    NetAddr addr;      /* parsed @address */
    int af;            /* AF_INET or AF_INET6 */
    NetworkDhcpRange *ranges;
    size_t n_ranges;
    NetworkDhcpHost *hosts;
    size_t n_hosts;
    bool has_dhcp;     /* a <dhcp> element was there (even empty) */
} NetworkIp;

typedef struct NetworkDnsHost {
    char *ip;
    char **hostnames;  /* strv, at least one */
} NetworkDnsHost;

typedef struct NetworkDnsForwarder {
    char *addr;        /* NULL when only a domain is given */
    char *domain;      /* NULL for all domains */
} NetworkDnsForwarder;

typedef struct NetworkDef {
    char *name;
    Uuid uuid;
    NetworkForwardMode forward;
    char *forward_dev;            /* <forward dev=''>, NULL when absent */
    unsigned nat_port_start, nat_port_end; /* 0, 0 when absent */
    char *bridge;                 /* NULL until assigned (a template "virbr%d" allowed) */
    bool stp;                     /* default on */
    bool has_stp;                 /* stp='' was written */
    unsigned delay;               /* seconds */
    bool has_delay;
    char *mac;                    /* lower case, NULL until generated */
    unsigned mtu;                 /* 0: default */
    char *domain;                 /* <domain name=''> */
    bool domain_local;            /* localOnly='yes' */
    NetworkIp *ips;
    size_t n_ips;
    NetworkDnsHost *dns_hosts;
    size_t n_dns_hosts;
    NetworkDnsForwarder *dns_forwarders;
    size_t n_dns_forwarders;
    bool has_dns;                 /* a <dns> element was there */
    Bandwidth bandwidth;          /* what the network's ports share */
} NetworkDef;

void network_def_free(NetworkDef *def);
DEFINE_FREEP(NetworkDef, network_def_free)

/* Parses and validates <network> XML. A missing UUID is generated. The
 * bridge name and MAC stay NULL when absent: network_def_fill_defaults()
 * chooses them at define time. Errors (VIR_ERR_XML_ERROR unless noted):
 * malformed XML, "missing name information" (VIR_ERR_NO_NAME), a name with
 * '/' or equal to "." or ".." (VIR_ERR_XML_DETAIL "invalid char in name: /"),
 * bad UUID, unknown forward mode, bad addresses, a DHCP range or host
 * address outside its network, a reversed range (VIR_ERR_CONFIG_UNSUPPORTED
 * for semantic checks). */
int network_def_parse(const char *xml, NetworkDef **ret_def, Error *error);
/* Formats the definition. @connections > 0 writes <network connections='N'>
 * as libvirt does for a running network with ports. New string. */
char *network_def_format(const NetworkDef *def, unsigned connections);
/* A deep copy through format and parse. */
NetworkDef *network_def_copy(const NetworkDef *def);

/* Generates a MAC (52:54:00:xx:xx:xx) when absent for modes that have a
 * bridge of their own; leaves the bridge to the caller. */
void network_def_fill_defaults(NetworkDef *def);
/* True when the network creates and owns its bridge (not forward bridge). */
bool network_def_owns_bridge(const NetworkDef *def);

/* Refuses @def when @other (a different network) uses the same bridge name
 * (libvirt's "internal error: bridge name 'virbr5' already in use.",
 * VIR_ERR_INTERNAL_ERROR) or one of its IP subnets overlaps one of
 * @other's ("IP subnet '10.1.0.0/24' of network 'b' overlaps IP subnet
 * '10.1.0.0/16' of network 'a'", VIR_ERR_OPERATION_INVALID). */
int network_def_check_conflict(const NetworkDef *def, const NetworkDef *other, Error *error);

/* virNetworkUpdate on a definition, in place. @command: 1 modify, 2 delete,
 * 3 add-last, 4 add-first; @section: 4 ip-dhcp-host, 10 dns-host (others
 * VIR_ERR_NO_SUPPORT); @parent_index selects the <ip> (-1: the first one
 * that fits). Errors name the entry: "there is an existing dhcp host entry
 * in network 'n' that matches \"<host mac='..'/>\"" (VIR_ERR_OPERATION_INVALID). */
int network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index,
                       const char *xml, Error *error);

/* libvirt's virNetworkUpdateCommand and virNetworkUpdateSection numbers. */
enum {
    NETWORK_UPDATE_COMMAND_NONE = 0,
    NETWORK_UPDATE_COMMAND_MODIFY = 1,
    NETWORK_UPDATE_COMMAND_DELETE = 2,
    NETWORK_UPDATE_COMMAND_ADD_LAST = 3,
    NETWORK_UPDATE_COMMAND_ADD_FIRST = 4,
};
enum {
    NETWORK_SECTION_NONE = 0,
    NETWORK_SECTION_BRIDGE = 1,
    NETWORK_SECTION_DOMAIN = 2,
    NETWORK_SECTION_IP = 3,
    NETWORK_SECTION_IP_DHCP_HOST = 4,
    NETWORK_SECTION_IP_DHCP_RANGE = 5,
    NETWORK_SECTION_FORWARD = 6,
    NETWORK_SECTION_FORWARD_INTERFACE = 7,
    NETWORK_SECTION_FORWARD_PF = 8,
    NETWORK_SECTION_PORTGROUP = 9,
    NETWORK_SECTION_DNS_HOST = 10,
    NETWORK_SECTION_DNS_TXT = 11,
    NETWORK_SECTION_DNS_SRV = 12,
};
