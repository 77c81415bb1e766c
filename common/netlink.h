/* rtnetlink over a plain NETLINK_ROUTE socket: the links and addresses a
 * virtual network needs, without `ip` or `brctl`.
 *
 * Every call opens a short-lived socket, sends one request with NLM_F_ACK,
 * waits for the kernel's answer (milliseconds; safe on a daemon's loop) and
 * closes it. Errors name the link and quote the kernel's reason:
 * "cannot create bridge 'virbr5': File exists" (VIR_ERR_SYSTEM_ERROR).
 * The calls act in the caller's network namespace. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define NETLINK_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* True when @name is a usable interface name: 1..15 bytes, no '/', ':',
 * whitespace, not "." or "..". */
bool netlink_ifname_valid(const char *name);

/* Creates bridge @name (must not exist: -EEXIST) with STP on or off and a
 * forward delay in milliseconds (libvirt's <bridge delay='N'/> is seconds:
 * pass N * 1000). @mac (6 bytes) may be NULL for a kernel-chosen address; @mtu
 * 0 leaves the default. The bridge is left down. */
int netlink_bridge_create(const char *name, bool stp, unsigned delay_ms, const uint8_t *mac,
                          unsigned mtu, Error *error);
/* Deletes link @name. -ENODEV (with an error set) when it does not exist. */
int netlink_link_delete(const char *name, Error *error);
/* Sets IFF_UP on or off. */
int netlink_link_set_up(const char *name, bool up, Error *error);
int netlink_link_set_mtu(const char *name, unsigned mtu, Error *error);
/* @mac: 6 bytes. */
int netlink_link_set_mac(const char *name, const uint8_t *mac, Error *error);
/* Makes @name a port of bridge @master (NULL: detaches it from its master). */
int netlink_link_set_master(const char *name, const char *master, Error *error);
/* Adds an address: @family AF_INET or AF_INET6, @addr 4 or 16 bytes (network
 * order), @prefix the prefix length. For IPv4 the broadcast address is set
 * too. -EEXIST when already present. */
int netlink_addr_add(const char *name, int family, const void *addr, unsigned prefix,
                     Error *error);
/* The link's index: > 0, or -ENODEV when there is no such link (no error
 * set: absence is an answer, not a failure), or another negative errno with
 * @error set. */
int netlink_link_index(const char *name, Error *error);
/* True when link @name exists. */
bool netlink_link_exists(const char *name);
/* Reads the link's MTU into *ret_mtu and, when @ret_mac is not NULL, its MAC
 * (6 bytes). */
int netlink_link_get(const char *name, unsigned *ret_mtu, uint8_t *ret_mac, Error *error);
/* The name of the bridge @name is a port of: a new string in *ret_master, or
 * NULL when it has no master. */
int netlink_link_get_master(const char *name, char **ret_master, Error *error);
