/* The D-Bus facade of virtproxyd: one bus name, org.libvirt, for every
 * libvirt-dbus client.
 *
 * The facade serves /org/libvirt/QEMU and every object below it by forwarding
 * each method call to the daemon that owns it (docs/architecture.md,
 * "The D-Bus contract"), and re-emits every signal the owners emit on those paths from
 * its own connection, with the same path, interface, member and body:
 *
 *   org.libvirt.qemu     virtqemud     Connect's Domain*, ListDomains, Node*
 *                                      (not NodeDevice*), GetCapabilities,
 *                                      GetDomainCapabilities, GetSysinfo,
 *                                      GetAllDomainStats, BaselineCPU,
 *                                      CompareCPU, GetCPUModelNames; the
 *                                      Connect properties; domain/ and
 *                                      domainsnapshot/ objects
 *   org.libvirt.network  virtnetworkd  Network*, ListNetworks; network/
 *   org.libvirt.storage  virtstoraged  StoragePool*, StorageVol*,
 *                                      ListStoragePools,
 *                                      FindStoragePoolSources; storagepool/,
 *                                      storagevol/
 *   org.libvirt.nodedev  virtnodedevd  NodeDevice*, ListNodeDevices; nodedev/
 *
 * On /org/libvirt/QEMU itself, ObjectManager.GetManagedObjects is the union of
 * every present owner's answer and Introspect the union of their interfaces
 * (org.libvirt.Connect merged member by member); other interfaces there
 * (org.virtstack.*) go to the owner that declares them in its introspection,
 * else by name (org.virtstack.Network* to virtnetworkd, ...).
 *
 * Replies, error replies (same name and message) and file descriptors are
 * copied unchanged. A call for an owner that is not on the bus fails at once
 * with org.libvirt.Error.NoConnect ("virtnetworkd is not running
 * (org.libvirt.network has no owner)"); owners are tracked with
 * NameOwnerChanged.
 *
 * The facade calls the owners as root: a method that changes something is
 * forwarded only for a caller whose uid is 0, others get
 * org.libvirt.Error.OperationDenied ("operation forbidden: read only access
 * prevents ..."). The read-only methods are those libvirt allows on a
 * read-only connection (dbus-policy/org.libvirt.qemu.conf's list, and the
 * same for networks, storage and node devices); anything not in the table
 * counts as a change.
 *
 * Everything runs on the bus's loop; nothing blocks (sd_bus_call_async
 * only). */
#pragma once

#include <systemd/sd-bus.h>
#include <uv.h>

#include "error.h"

typedef struct DbusFacade DbusFacade;

/* On @bus (which the daemon then asks to own org.libvirt), serves
 * /org/libvirt/QEMU and every object below it by forwarding to the owners.
 * @bus must already be attached to @loop (bus_loop_attach()). Takes a
 * reference on @bus. On success *ret holds the new facade. */
int dbus_facade_new(sd_bus *bus, uv_loop_t *loop, DbusFacade **ret, Error *error);
/* Unregisters everything and cancels calls in flight (their callers get no
 * reply). Accepts NULL. */
void dbus_facade_free(DbusFacade *f);
DEFINE_FREEP(DbusFacade, dbus_facade_free)
