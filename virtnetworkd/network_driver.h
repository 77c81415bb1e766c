/* virtnetworkd's driver: the networks, their definitions on disk, starting
 * and stopping them (bridge, addresses, nftables, dnsmasq), ports for guests,
 * and adopting running networks after a restart.
 *
 * Files, all under the daemon's --root:
 *   /etc/libvirt/qemu/networks/NAME.xml          persistent definitions
 *   /etc/libvirt/qemu/networks/autostart/NAME.xml links
 *   /run/libvirt/network/NAME.xml               live status: the running
 *        definition, dnsmasq's pid and the ports (what a restart adopts)
 *   /run/libvirt/network/NAME.pid               dnsmasq's pid file
 *   /var/lib/libvirt/dnsmasq/NAME.{conf,hostsfile,addnhosts,leases}
 *
 * Everything runs on the daemon's loop. Starting and stopping a network do a
 * few short blocking steps (netlink, `nft -f -`, dnsmasq's own fork and
 * readiness, about 10-50 ms in all). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "child.h"
#include "error.h"
#include "network_def.h"
#include "network_dnsmasq.h"
#include "state_store.h"
#include "uuid.h"
#include "virt_constants.h"

typedef struct NetworkDriver NetworkDriver;

/* A guest's connection to a network (libvirt's virNetworkPort). */
typedef struct NetworkPort {
    Uuid uuid;
    char *domain_uuid;
    char *domain_name;
    char *mac;
    uint64_t floor;       /* the inbound rate it is guaranteed, KiB/s; 0 none */
} NetworkPort;

typedef struct Network {
    NetworkDriver *drv;   /* borrowed */
    NetworkDef *def;      /* the persistent definition, or the transient one */
    NetworkDef *live;     /* the running definition; NULL when inactive */
    bool persistent;
    bool active;
    char *path;           /* D-Bus object path */
    pid_t dnsmasq_pid;    /* 0 when none */
    ChildWatch *dnsmasq_watch;
    NetworkPort *ports;
    size_t n_ports;
} Network;


/* What the bus layer hears, called before the method that caused it returns
 * (so signals go out before the reply). May be NULL each. */
typedef struct NetworkDriverHooks {
    void (*added)(Network *net, void *userdata);
    void (*removed)(Network *net, void *userdata);
    /* A lifecycle event (NETWORK_EVENT_*), properties changed with it. */
    void (*event)(Network *net, int event, void *userdata);
    /* Properties changed without an event (Autostart, connections). */
    void (*changed)(Network *net, void *userdata);
} NetworkDriverHooks;

typedef struct NetworkDriverConfig {
    const char *root;                /* borrowed */
    uv_loop_t *loop;                 /* borrowed */
    const NetworkDriverHooks *hooks; /* borrowed */
    void *hooks_userdata;
    /* The dnsmasq program; NULL: "dnsmasq" from PATH. */
    const char *dnsmasq;
} NetworkDriverConfig;

/* Opens the stores, defines the shipped "default" network when the
 * definitions folder did not exist yet, loads the definitions and adopts the
 * running networks found in the status folder. */
int network_driver_new(const NetworkDriverConfig *cfg, NetworkDriver **ret, Error *error);
/* Frees our side only: running networks (bridge, dnsmasq, rules) stay. */
void network_driver_free(NetworkDriver *drv);
/* Starts the inactive networks marked autostart; failures are logged. */
void network_driver_autostart(NetworkDriver *drv);
bool network_driver_has_active(NetworkDriver *drv);

size_t network_driver_count(NetworkDriver *drv);
Network *network_driver_nth(NetworkDriver *drv, size_t i);
Network *network_driver_find_by_path(NetworkDriver *drv, const char *path);

/* Lookups: VIR_ERR_NO_NETWORK "Network not found: no network with matching
 * name 'x'". The network is borrowed. */
int network_driver_lookup_name(NetworkDriver *drv, const char *name, Network **ret,
                               Error *error);
int network_driver_lookup_uuid(NetworkDriver *drv, const char *uuid, Network **ret,
                               Error *error);
/* A new array of borrowed networks matching @flags (NETWORK_LIST_*). */
int network_driver_list(NetworkDriver *drv, unsigned flags, Network ***ret, size_t *ret_n,
                        Error *error);

/* NetworkDefineXML: saves the definition (a missing bridge name gets a free
 * virbrN, a missing MAC a random one). Refuses a bridge name or subnet that
 * another network uses. */
int network_driver_define(NetworkDriver *drv, const char *xml, Network **ret, Error *error);
/* NetworkCreateXML: a transient network, started. */
int network_driver_create_xml(NetworkDriver *drv, const char *xml, Network **ret,
                              Error *error);

int network_start(Network *net, Error *error);
/* Stops the network; a transient one then disappears (@net is freed). */
int network_destroy(Network *net, Error *error);
/* Removes the definition; an active network becomes transient, an inactive
 * one disappears (@net is freed). */
int network_undefine(Network *net, Error *error);
bool network_get_autostart(Network *net);
int network_set_autostart(Network *net, bool on, Error *error);
/* New string: the live definition when active (unless NETWORK_XML_INACTIVE),
 * else the persistent one. */
int network_get_xml(Network *net, unsigned flags, char **ret, Error *error);
/* virNetworkUpdate; see network_def_update(). */
int network_update(Network *net, unsigned command, unsigned section, int parent_index,
                   const char *xml, unsigned flags, Error *error);
/* Leases from dnsmasq's lease file (empty when inactive). @mac NULL: all. */
int network_get_leases(Network *net, const char *mac, NetworkLease **ret, size_t *ret_n,
                       Error *error);
/* The bridge's name (borrowed) or NULL. */
const char *network_bridge_name(Network *net);

/* A port for a guest's interface. Fails with VIR_ERR_OPERATION_INVALID
 * "Requested operation is not valid: network 'NAME' is not active" when the
 * network is stopped. @floor (KiB/s, 0 for none) is the interface's
 * guaranteed inbound rate: refused as libvirt refuses it, on a network
 * whose forward mode or missing inbound QoS cannot give it
 * (VIR_ERR_OPERATION_UNSUPPORTED) or whose inbound rate the floors would
 * overcommit (VIR_ERR_OPERATION_INVALID). Returns the port (borrowed), the
 * bridge to attach the tap to (borrowed) and its MTU. */
int network_port_create(Network *net, const char *domain_uuid, const char *domain_name,
                        const char *mac, uint64_t floor, NetworkPort **ret_port,
                        const char **ret_bridge, unsigned *ret_mtu, Error *error);
/* VIR_ERR_NO_NETWORK_PORT when there is no such port. */
int network_port_delete(Network *net, const char *port_uuid, Error *error);
/* A live interface's new inbound floor: libvirt's check against the
 * network's QoS, the other ports' floors counted. */
int network_port_set_floor(Network *net, const char *port_uuid, uint64_t floor, Error *error);
