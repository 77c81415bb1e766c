"""virtnodedevd follows the host: a dummy link made and removed in the
daemon's own network namespace shows up in ListNodeDevices and raises
NodeDeviceEvent CREATED and DELETED, and ObjectManager's signals, at once.

The daemon runs in a new network and mount namespace with a fresh sysfs
mount (unshare -n -m; mount -t sysfs): that sysfs shows the namespace's
links, and the kernel sends the uevents of its links to sockets in it. The
test makes the link with `ip` through nsenter. No sleeps: the signals are
awaited."""

import os
import re

import harness
import nodedev_fixture as nf
from nodedev_fixture import check, check_eq

OM = "org.freedesktop.DBus.ObjectManager"


def test_dummy_link_created_and_deleted(fx):
    events = fx.client.collect(nf.CONNECT, "NodeDeviceEvent", nf.PATH)
    added = fx.client.collect(OM, "InterfacesAdded", nf.PATH)
    removed = fx.client.collect(OM, "InterfacesRemoved", nf.PATH)
    before = fx.connect("ListNodeDevices", "u", 0)
    check(not any("dummy0" in p for p in before), "dummy0 listed before it exists")

    # A dummy link; kernels built without the dummy driver (this project's
    # test machine) get a veth pair instead. Not ifb: loading its module
    # makes ifb0 and ifb1 in the host's own namespace.
    for kind in ("dummy", "veth"):
        try:
            extra = ("peer", "name", "dummy0p") if kind == "veth" else ()
            fx.nodedevd.in_netns("ip", "link", "add", "dummy0", "type", kind, *extra)
            break
        except Exception:
            if kind == "veth":
                raise
    out = fx.nodedevd.in_netns("ip", "-o", "link", "show", "dummy0")
    mac = re.search(r"link/ether (\S+)", out).group(1)
    name = "net_dummy0_" + mac.replace(":", "_")
    path = nf.dev_path(name)

    sig = events.wait(lambda s: s.args[0] == path and s.args[1] == nf.EVENT_CREATED,
                      what="NodeDeviceEvent CREATED for %s" % name)[0]
    check_eq(sig.args[2], 0, "event detail")
    added.wait(lambda s: s.args[0] == path, what="InterfacesAdded for %s" % name)
    check(path in fx.connect("ListNodeDevices", "u", 0), "%s not listed" % path)
    check(path in fx.connect("ListNodeDevices", "u", nf.CAP_NET), "%s not listed as net" % path)
    check_eq(fx.connect("NodeDeviceLookupByName", "s", name), path, "lookup")
    xml = fx.xml(path)
    check("<interface>dummy0</interface>" in xml, "interface in XML: " + xml)
    check("<address>%s</address>" % mac in xml, "address in XML: " + xml)
    check("<parent>computer</parent>" in xml, "parent in XML: " + xml)
    check_eq(fx.client.get(path, nf.NODEDEV, "Name"), name, "Name")

    fx.nodedevd.in_netns("ip", "link", "del", "dummy0")
    events.wait(lambda s: s.args[0] == path and s.args[1] == nf.EVENT_DELETED,
                what="NodeDeviceEvent DELETED for %s" % name)
    removed.wait(lambda s: s.args[0] == path, what="InterfacesRemoved for %s" % name)
    check(path not in fx.connect("ListNodeDevices", "u", 0), "%s still listed" % path)
    harness.expect_error("NoNodeDevice", fx.connect, "NodeDeviceLookupByName", "s", name)
    # CREATED came before DELETED, each once.
    mine = [s.args[1] for s in events.signals if s.args[0] == path]
    check_eq(mine, [nf.EVENT_CREATED, nf.EVENT_DELETED], "events for " + name)


def test_namespace_lists_its_own_links(fx):
    """Only the namespace's links: lo, not the host's eth0."""
    names = [p[len(nf.PREFIX):] for p in fx.connect("ListNodeDevices", "u", nf.CAP_NET)]
    check(any(n.startswith("net_5flo_5f") for n in names), "lo missing: %r" % names)
    for ifname in os.listdir("/sys/class/net"):
        if ifname != "lo":
            check(not any(n.startswith(nf.encode("net_%s_" % ifname)) for n in names),
                  "host link %s listed in the namespace: %r" % (ifname, names))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        raise SystemExit(harness.SKIP)
    nf.main(globals(), netns=True, needs=("unshare", "nsenter", "ip"))
