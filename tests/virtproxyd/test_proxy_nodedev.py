"""Node devices through virtproxyd, with Debian's virsh and python3-libvirt:
nodedev-list (plain, --tree, --cap) against sysfs, nodedev-dumpxml of the
loopback and of a PCI device, nodedev-info, nodedev-detach refused without
an IOMMU with the device keeping its driver, nodedev-reattach,
nodedev-reset, nodedev-event seeing a link made and removed, read-only
refusals, and the absent daemon's error.

virtnodedevd runs in a network and mount namespace of its own with a fresh
sysfs (tests/virtnodedevd/nodedev_fixture.py): its links are the
namespace's (lo, and the links this test makes), its PCI devices the
host's."""

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, Failure
import proxyfx
from proxyfx import virsh, virsh_fails

sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "virtnodedevd"))
import nodedev_fixture as nf  # noqa: E402

PCI_SYSFS = "/sys/bus/pci/devices"
LO = "net_lo_00_00_00_00_00_00"


def read(path):
    with open(path) as f:
        return f.read().strip()


def pci_name(addr):
    return "pci_" + re.sub(r"[^0-9a-zA-Z]", "_", addr)


def driver_of(addr):
    try:
        return os.path.basename(os.readlink(os.path.join(PCI_SYSFS, addr, "driver")))
    except OSError:
        return None


def ns_links(fx):
    """{ifname: mac} of the daemon's namespace, read from its own sysfs."""
    out = fx.nodedevd.in_netns("ip", "-o", "link", "show")
    links = {}
    for m in re.finditer(r"^\d+: ([^:@]+)[@:].*?link/\S+ ([0-9a-f:]{17})", out, re.M):
        links[m.group(1)] = m.group(2)
    return links


def net_name(ifname, mac):
    return "net_%s_%s" % (ifname, mac.replace(":", "_"))


def names(out):
    return sorted(ln.strip() for ln in out.splitlines() if ln.strip())


def test_absent_daemon(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    err = virsh_fails(fx.proxy.uri, "nodedev-list")
    check("virtnodedevd is not running (org.libvirt.nodedev has no owner)" in err,
          "nodedev-list without virtnodedevd: %r" % err)


def test_start_nodedevd(fx):
    fx.nodedevd = nf.NodedevDaemon(fx.root, fx.bus, netns=True)
    fx.nodedevd.start()
    fx.daemons.append(fx.nodedevd)
    fx.nd = harness.Client(fx.bus.address, dest=nf.NODEDEV_BUS_NAME)
    fx.clients.append(fx.nd)
    # The mirror learns of the daemon from NameOwnerChanged and then asks
    # for its objects: poll until virsh sees them.
    deadline = time.monotonic() + 30
    while True:
        out, err = virsh(fx.proxy.uri, "nodedev-list", check_rc=False)
        if "computer" in out:
            break
        check(time.monotonic() < deadline, "virtproxyd never saw virtnodedevd: %r" % err)
        time.sleep(0.1)


def test_list_matches_sysfs(fx):
    uri = fx.proxy.uri
    listed = names(virsh(uri, "nodedev-list")[0])
    check_eq(len(listed), len(set(listed)), "no duplicates in nodedev-list")
    # Exactly what the daemon has, as it says over D-Bus.
    theirs = sorted(fx.nd.get(p, nf.NODEDEV, "Name") for p in
                    fx.nd.call(nf.PATH, nf.CONNECT, "ListNodeDevices", "u", 0))
    check_eq(listed, theirs, "nodedev-list against ListNodeDevices")
    check("computer" in listed, "computer missing")
    pci = sorted(pci_name(a) for a in os.listdir(PCI_SYSFS))
    check(pci, "this host shows no PCI device")
    for n in pci:
        check(n in listed, "PCI %s missing: %r" % (n, listed))
    links = ns_links(fx)
    net = sorted(net_name(i, mac) for i, mac in links.items())
    check(LO in net, "lo in the namespace: %r" % links)
    for n in net:
        check(n in listed, "link %s missing: %r" % (n, listed))
    # --all lists the same (every host device is active); --inactive none.
    check_eq(names(virsh(uri, "nodedev-list", "--all")[0]), listed, "nodedev-list --all")
    check_eq(names(virsh(uri, "nodedev-list", "--inactive")[0]), [], "nodedev-list --inactive")
    # Capability filters go to virtnodedevd.
    check_eq(names(virsh(uri, "nodedev-list", "--cap", "pci")[0]), pci, "--cap pci")
    check_eq(names(virsh(uri, "nodedev-list", "--cap", "net")[0]), net, "--cap net")
    check_eq(names(virsh(uri, "nodedev-list", "--cap", "net,pci")[0]), sorted(pci + net),
             "--cap net,pci")
    check_eq(names(virsh(uri, "nodedev-list", "--cap", "system")[0]), ["computer"],
             "--cap system")
    err = virsh_fails(uri, "nodedev-list", "--cap", "nosuchcap")
    check("Invalid capability type" in err, "unknown cap: %r" % err)


def parse_tree(out):
    """{name: parent} from `nodedev-list --tree`: a root line holds the bare
    name; a child line is '  ' + '|   ' or '    ' per level + '+- name'."""
    parents = {}
    stack = []
    for ln in out.splitlines():
        if not ln.replace("|", "").strip():
            continue
        i = ln.find("+- ")
        if i < 0:
            name, depth = ln.strip(), 0
        else:
            name, depth = ln[i + 3:].strip(), (i - 2) // 4 + 1
        check(name not in parents, "%s twice in the tree" % name)
        del stack[depth:]
        check_eq(len(stack), depth, "tree depth of %s" % name)
        parents[name] = stack[-1] if stack else None
        stack.append(name)
    return parents


def test_tree_parents_consistent(fx):
    uri = fx.proxy.uri
    tree = parse_tree(virsh(uri, "nodedev-list", "--tree")[0])
    listed = names(virsh(uri, "nodedev-list")[0])
    check_eq(sorted(tree), listed, "the tree holds every device once")
    check_eq([n for n, p in tree.items() if p is None], ["computer"], "the one root")
    import libvirt
    c = libvirt.openReadOnly(fx.proxy.uri)
    try:
        for name, parent in tree.items():
            dev = c.nodeDeviceLookupByName(name)
            check_eq(dev.parent(), parent, "parent of %s" % name)
            if parent:
                xml_parent = ET.fromstring(dev.XMLDesc()).findtext("parent")
                check_eq(xml_parent, parent, "<parent> of %s" % name)
        for addr in os.listdir(PCI_SYSFS):
            check(tree[pci_name(addr)] is not None, "PCI %s hangs from nothing" % addr)
        # The old calls virsh no longer makes, with python3-libvirt.
        check_eq(c.numOfDevices(None), len(listed), "virNodeNumOfDevices")
        check_eq(sorted(c.listDevices(None)), listed, "virNodeListDevices")
        pci = sorted(pci_name(a) for a in os.listdir(PCI_SYSFS))
        check_eq(c.numOfDevices("pci"), len(pci), "virNodeNumOfDevices(pci)")
        check_eq(sorted(c.listDevices("pci")), pci, "virNodeListDevices(pci)")
        check_eq(c.numOfDevices("nosuchcap"), 0, "virNodeNumOfDevices(nosuchcap)")
        flags = libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET
        check_eq(sorted(d.name() for d in c.listAllDevices(flags)),
                 names(virsh(uri, "nodedev-list", "--cap", "net")[0]), "listAllDevices(NET)")
        lo = c.nodeDeviceLookupByName(LO)
        check_eq(lo.listCaps(), ["net"], "caps of lo")
        check_eq(lo.numOfCaps(), 1, "number of caps of lo")
        try:
            c.nodeDeviceLookupByName("nosuchdev")
            raise Failure("lookup of a missing device succeeded")
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), libvirt.VIR_ERR_NO_NODE_DEVICE, "error code")
            check_eq(str(e), "Node device not found: no node device with matching name "
                     "'nosuchdev'", "error message")
    finally:
        c.close()


def test_dumpxml_and_info(fx):
    uri = fx.proxy.uri
    x = ET.fromstring(virsh(uri, "nodedev-dumpxml", LO)[0])
    check_eq(x.findtext("name"), LO, "lo name")
    check_eq(x.findtext("parent"), "computer", "lo parent")
    cap = x.find("capability")
    check_eq(cap.get("type"), "net", "lo capability")
    check_eq(cap.findtext("interface"), "lo", "lo interface")
    check_eq(cap.findtext("address"), "00:00:00:00:00:00", "lo address")

    addr = sorted(os.listdir(PCI_SYSFS))[0]
    name = pci_name(addr)
    x = ET.fromstring(virsh(uri, "nodedev-dumpxml", name)[0])
    check_eq(x.findtext("name"), name, "PCI name")
    cap = x.find("capability")
    check_eq(cap.get("type"), "pci", "PCI capability")
    dom, bus, slotfn = addr.split(":")
    slot, fn = slotfn.split(".")
    check_eq(int(cap.findtext("domain")), int(dom, 16), "PCI domain")
    check_eq(int(cap.findtext("bus")), int(bus, 16), "PCI bus")
    check_eq(int(cap.findtext("slot")), int(slot, 16), "PCI slot")
    check_eq(int(cap.findtext("function")), int(fn, 16), "PCI function")
    check_eq(int(cap.find("vendor").get("id"), 16),
             int(read(os.path.join(PCI_SYSFS, addr, "vendor")), 16), "PCI vendor id")
    check_eq(int(cap.find("product").get("id"), 16),
             int(read(os.path.join(PCI_SYSFS, addr, "device")), 16), "PCI product id")

    info = virsh(uri, "nodedev-info", LO)[0]
    for key, want in (("Name", LO), ("Parent", "computer"), ("Active", "yes"),
                      ("Persistent", "no"), ("Autostart", "no")):
        check(re.search(r"^%s:\s+%s$" % (key, re.escape(want)), info, re.M),
              "nodedev-info %s: %r" % (key, info))
    err = virsh_fails(uri, "nodedev-dumpxml", "nosuchdev")
    check("Node device not found: no node device with matching name 'nosuchdev'" in err,
          "dumpxml of a missing device: %r" % err)


def _a_pci_with_driver():
    for addr in sorted(os.listdir(PCI_SYSFS)):
        if driver_of(addr):
            return addr
    raise harness.Skip("no PCI device with a driver")


def test_detach_refused_without_iommu(fx):
    groups = os.listdir("/sys/kernel/iommu_groups") if os.path.isdir(
        "/sys/kernel/iommu_groups") else []
    if groups and os.path.exists("/dev/vfio/vfio"):
        raise harness.Skip("this host has an IOMMU: detach would really move a device")
    uri = fx.proxy.uri
    addr = _a_pci_with_driver()
    before = driver_of(addr)
    name = pci_name(addr)
    msg = "VFIO device assignment is currently not supported on this system"
    # Without --driver virsh calls the old virNodeDeviceDettach, with it
    # virNodeDeviceDetachFlags.
    for args in ((), ("--driver", "vfio")):
        err = virsh_fails(uri, "nodedev-detach", name, *args)
        check("Failed to detach device %s" % name in err and msg in err,
              "nodedev-detach %r: %r" % (args, err))
        check_eq(driver_of(addr), before, "driver after a refused detach")
    check_eq(read(os.path.join(PCI_SYSFS, addr, "driver_override")), "(null)",
             "driver_override untouched")
    err = virsh_fails(uri, "nodedev-detach", name, "--driver", "xen")
    check("unknown driver name 'xen'" in err, "detach --driver xen: %r" % err)
    # Re-attaching a device on its own driver changes nothing (libvirt too).
    virsh(uri, "nodedev-reattach", name)
    check_eq(driver_of(addr), before, "driver after reattach")
    # A device the host uses is not reset.
    err = virsh_fails(uri, "nodedev-reset", name)
    check("Failed to reset device %s" % name in err and addr in err,
          "nodedev-reset: %r" % err)
    check_eq(driver_of(addr), before, "driver after a refused reset")


def test_read_only(fx):
    p = fx.proxy
    name = pci_name(sorted(os.listdir(PCI_SYSFS))[0])
    for uri, ro in ((p.uri, True), (p.uri_ro, False)):
        check("computer" in virsh(uri, "nodedev-list", ro=ro)[0], "read-only nodedev-list")
        check("<name>%s</name>" % LO in virsh(uri, "nodedev-dumpxml", LO, ro=ro)[0],
              "read-only nodedev-dumpxml")
        check("Parent:" in virsh(uri, "nodedev-info", LO, ro=ro)[0], "read-only nodedev-info")
        for cmd, api in ((["nodedev-detach", name], "virNodeDeviceDettach"),
                         (["nodedev-detach", name, "--driver", "vfio"],
                          "virNodeDeviceDetachFlags"),
                         (["nodedev-reattach", name], "virNodeDeviceReAttach"),
                         (["nodedev-reset", name], "virNodeDeviceReset")):
            err = virsh_fails(uri, *cmd, ro=ro)
            check("operation forbidden: read only access prevents %s" % api in err,
                  "read-only %s: %r" % (cmd[0], err))


class Watcher:
    """A command's output, read as it comes."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(["stdbuf", "-oL"] + argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []
        self.partial = b""

    def wait(self, pattern, timeout=30):
        import select
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, ln) for ln in self.lines):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no line %r; got %r" % (pattern, self.lines))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    raise Failure("the watcher exited; got %r" % self.lines)
                *done, self.partial = (self.partial + data).split(b"\n")
                self.lines += [ln.decode(errors="replace").rstrip() for ln in done]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def add_link(fx, ifname):
    """A dummy link (a veth pair where the kernel lacks the dummy driver; not
    ifb, whose module makes links in the host's namespace) in the daemon's
    namespace; returns its node device name."""
    for kind in ("dummy", "veth"):
        try:
            extra = ("peer", "name", ifname + "p") if kind == "veth" else ()
            fx.nodedevd.in_netns("ip", "link", "add", ifname, "type", kind, *extra)
            break
        except subprocess.CalledProcessError:
            if kind == "veth":
                raise
    return net_name(ifname, ns_links(fx)[ifname])


def test_nodedev_event(fx):
    ev = Watcher(["virsh", "-c", fx.proxy.uri, "nodedev-event", "--event", "lifecycle",
                  "--loop", "--timeout", "60"])
    try:
        # virsh registers after it connects: until a first event shows,
        # make and remove a link.
        deadline = time.monotonic() + 30
        while True:
            n = add_link(fx, "pxwarm0")
            fx.nodedevd.in_netns("ip", "link", "del", "pxwarm0")
            try:
                ev.wait(r"'lifecycle' for node device %s: Deleted" % n, timeout=1)
                break
            except Failure:
                check(time.monotonic() < deadline, "virsh nodedev-event saw nothing")
        name = add_link(fx, "pxev0")
        ev.wait(r"^event 'lifecycle' for node device %s: Created$" % name)
        check(name in virsh(fx.proxy.uri, "nodedev-list", "--cap", "net")[0],
              "the new link in nodedev-list")
        check("<interface>pxev0</interface>" in
              virsh(fx.proxy.uri, "nodedev-dumpxml", name)[0], "the new link's XML")
        fx.nodedevd.in_netns("ip", "link", "del", "pxev0")
        ev.wait(r"^event 'lifecycle' for node device %s: Deleted$" % name)
        check(name not in virsh(fx.proxy.uri, "nodedev-list")[0], "gone from nodedev-list")
        mine = [ln for ln in ev.lines if name in ln]
        check_eq(len(mine), 2, "events for %s: %r" % (name, mine))
    finally:
        ev.stop()


def test_python_events(fx):
    """python3-libvirt's registration is synchronous: no warm-up needed.
    A filtered registration sees only its own device; an UPDATE
    registration sees the device whose XML changed."""
    import threading
    import libvirt
    libvirt.virEventRegisterDefaultImpl()
    stop = []

    def loop():
        while not stop:
            libvirt.virEventRunDefaultImpl()
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    c = libvirt.openReadOnly(fx.proxy.uri)
    got, only_lo = [], []
    cv = threading.Condition()

    def cb(conn, dev, event, detail, opaque):
        with cv:
            opaque.append((dev.name(), event, detail))
            cv.notify_all()
    ids = [c.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, cb,
                                        got),
           c.nodeDeviceEventRegisterAny(c.nodeDeviceLookupByName(LO),
                                        libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, cb, only_lo)]
    updates = []

    def update_cb(conn, dev, opaque):
        with cv:
            updates.append(dev.name())
            cv.notify_all()
    ids.append(c.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE,
                                            update_cb, None))
    try:
        name = add_link(fx, "pxpy0")
        with cv:
            check(cv.wait_for(lambda: (name, 0, 0) in got, 30), "python created: %r" % got)
        # The link going up changes its XML (link state); a "change" uevent
        # makes virtnodedevd read the device again and say UPDATE. The
        # kernel sets the operstate a moment after `ip link set up` returns
        # (linkwatch), with no event of its own: poll it.
        check("<link state='down'/>" in c.nodeDeviceLookupByName(name).XMLDesc(),
              "link state before")
        fx.nodedevd.in_netns("ip", "link", "set", "pxpy0", "up")
        in_ns = ["nsenter", "-t", str(fx.nodedevd.pid), "-n", "-m", "--"]
        state = "/sys/class/net/pxpy0/operstate"
        deadline = time.monotonic() + 10
        while subprocess.run(in_ns + ["cat", state], stdout=subprocess.PIPE,
                             text=True).stdout.strip() == "down":
            check(time.monotonic() < deadline, "pxpy0 stayed down")
            time.sleep(0.05)
        subprocess.run(in_ns + ["sh", "-c", "echo change > /sys/class/net/pxpy0/uevent"],
                       check=True)
        with cv:
            check(cv.wait_for(lambda: name in updates, 30), "no UPDATE event: %r" % updates)
        check("<link state='down'/>" not in c.nodeDeviceLookupByName(name).XMLDesc(),
              "link state after the update")
        fx.nodedevd.in_netns("ip", "link", "del", "pxpy0")
        want = [(name, libvirt.VIR_NODE_DEVICE_EVENT_CREATED, 0),
                (name, libvirt.VIR_NODE_DEVICE_EVENT_DELETED, 0)]
        with cv:
            check(cv.wait_for(lambda: [g for g in got if g[0] == name] == want, 30),
                  "python events: %r" % got)
        check_eq(only_lo, [], "events through a registration for lo only")
    finally:
        for i in ids:
            c.nodeDeviceEventDeregisterAny(i)
        c.close()
        stop.append(1)


def test_proxy_alive(fx):
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        raise SystemExit(harness.SKIP)
    harness.main(globals(), start_daemon=False)
