/* TAP devices for guests' network interfaces. */
#pragma once

#include "error.h"

/* Creates a tap device from /dev/net/tun with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR. @name_template is a name ("vnet3") or a template with "%d"
 * ("vnet%d": the kernel picks the first free number). On success *ret_name is
 * the new device's name (new string) and *ret_fd its queue fd (O_CLOEXEC;
 * the caller owns it and clears CLOEXEC only in the child that keeps it, as
 * QEMU's `-netdev tap,fd=N,vhost=off` expects). The device is not persistent:
 * it goes away when the last fd is closed. It is left down: the caller sets
 * it up and attaches it (netlink_link_set_up(), netlink_link_set_master()).
 * Errors: "cannot create tap device 'vnet%d': Operation not permitted"
 * (VIR_ERR_SYSTEM_ERROR). */
int tap_create(const char *name_template, char **ret_name, int *ret_fd, Error *error);
