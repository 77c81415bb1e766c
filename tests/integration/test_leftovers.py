"""What a daemon killed while writing leaves next to its definitions (a
temporary NAME.xml.XXXXXX of an atomic write, a removed file not yet
unlinked) is removed when the daemon starts again, and never read as a
definition, even when it holds a whole, valid one."""

import os

import harness
from harness import check, check_eq

NET_XML = "<network><name>%s</name><bridge name='vsleft0'/></network>\n"
POOL_XML = "<pool type='dir'><name>%s</name><target><path>/tmp</path></target></pool>\n"

# (daemon, bus name, folder under the root, XML of a definition, Connect list method)
STORES = [
    ("virtqemud", harness.QEMU_BUS_NAME, "etc/libvirt/qemu", None, "ListDomains"),
    ("virtqemud", harness.QEMU_BUS_NAME, "run/libvirt/qemu", None, None),
    ("virtnetworkd", "org.libvirt.network", "etc/libvirt/qemu/networks", NET_XML,
     "ListNetworks"),
    ("virtstoraged", "org.libvirt.storage", "etc/libvirt/storage", POOL_XML,
     "ListStoragePools"),
]


def test_leftovers_are_swept(fx):
    planted = []
    for daemon, _, sub, xml, _ in STORES:
        d = os.path.join(fx.root, sub)
        os.makedirs(d, exist_ok=True)
        for name in ("left-a.xml.Ab12Cd", "left-b.xml.zzzzzz", ".trash.00112233aabb"):
            text = (xml % "left") if xml else fx.domain_xml("left")
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            planted.append(os.path.join(d, name))
        # Not ours: a file with a look-alike name stays.
        with open(os.path.join(d, "notes.xml.bak"), "w") as f:
            f.write("kept")
    started = set()
    for daemon, bus_name, _, _, _ in STORES:
        if daemon in started:
            continue
        started.add(daemon)
        d = fx.qemud if daemon == "virtqemud" else harness.Daemon(fx.root, fx.bus, name=daemon,
                                                                  bus_name=bus_name)
        if d is not fx.qemud:
            fx.daemons.append(d)
        d.start()
    for p in planted:
        check(not os.path.exists(p), "%s is still there" % p)
    for daemon, bus_name, sub, _, method in STORES:
        check(os.path.exists(os.path.join(fx.root, sub, "notes.xml.bak")),
              "a file that is not ours was removed from %s" % sub)
        if method:
            c = harness.Client(fx.bus.address, dest=bus_name)
            fx.clients.append(c)
            check_eq(c.connect(method, "u", 0), [], "%s after the sweep" % method)


if __name__ == "__main__":
    harness.main(globals(), start_daemon=False)
