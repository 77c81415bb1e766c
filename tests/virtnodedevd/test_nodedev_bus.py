"""virtnodedevd on the host's devices, over D-Bus: the list matches sysfs
(every PCI function and network link, parents consistent), lookups, the XML
of the loopback and of a PCI device against sysfs, ListCaps, the
interfaces against libvirt-dbus's, Detach refused without an IOMMU (the
device keeps its driver), Reset refused on a device the host uses, and
`virsh nodeinfo` through virtproxyd against /proc."""

import os
import re
import subprocess
import xml.etree.ElementTree as ET

import harness
import nodedev_fixture as nf
from nodedev_fixture import check, check_eq, expect_error

LIBVIRT_DBUS = "/usr/share/dbus-1/interfaces"


def all_paths(fx, flags=0):
    return fx.connect("ListNodeDevices", "u", flags)


def read(path):
    with open(path) as f:
        return f.read().strip()


def pci_name(addr):
    return "pci_" + re.sub(r"[^0-9a-zA-Z]", "_", addr)


def net_name(ifname):
    mac = read("/sys/class/net/%s/address" % ifname)
    return "net_%s_%s" % (ifname, mac.replace(":", "_"))


def driver_of(syspath):
    try:
        return os.path.basename(os.readlink(os.path.join(syspath, "driver")))
    except OSError:
        return None


def test_list_matches_sysfs(fx):
    paths = all_paths(fx)
    check_eq(len(paths), len(set(paths)), "no duplicates")
    check(nf.dev_path("computer") in paths, "computer missing")
    for addr in os.listdir("/sys/bus/pci/devices"):
        check(nf.dev_path(pci_name(addr)) in paths, "PCI %s missing" % addr)
    for ifname in os.listdir("/sys/class/net"):
        check(nf.dev_path(net_name(ifname)) in paths, "link %s missing" % ifname)
    # Capability filters.
    pci = all_paths(fx, nf.CAP_PCI_DEV)
    check_eq(sorted(pci), sorted(nf.dev_path(pci_name(a))
                                 for a in os.listdir("/sys/bus/pci/devices")), "PCI list")
    net = all_paths(fx, nf.CAP_NET)
    check_eq(sorted(net), sorted(nf.dev_path(net_name(i))
                                 for i in os.listdir("/sys/class/net")), "net list")
    check_eq(all_paths(fx, nf.CAP_SYSTEM), [nf.dev_path("computer")], "system list")
    check_eq(sorted(all_paths(fx, nf.CAP_PCI_DEV | nf.CAP_NET)), sorted(pci + net), "PCI|net")
    expect_error("InvalidArg", fx.connect, "ListNodeDevices", "u", 1 << 25)


def test_parents_consistent(fx):
    by_name = {}
    for p in all_paths(fx):
        root = ET.fromstring(fx.xml(p))
        name = root.findtext("name")
        check_eq(nf.dev_path(name), p, "path of " + name)
        check_eq(fx.client.get(p, nf.NODEDEV, "Name"), name, "Name of " + name)
        by_name[name] = root
    for name, root in by_name.items():
        parent = root.findtext("parent")
        check_eq(fx.client.get(nf.dev_path(name), nf.NODEDEV, "Parent"), parent or "",
                 "Parent of " + name)
        if name == "computer":
            check(parent is None, "computer has a parent")
            continue
        check(parent in by_name, "%s: parent %r is not a device" % (name, parent))
        syspath = root.findtext("path")
        check(os.path.exists(syspath), "%s: path %s missing" % (name, syspath))
        if parent != "computer":
            ppath = by_name[parent].findtext("path")
            check(syspath.startswith(ppath + "/"), "%s under %s" % (syspath, ppath))
        # The parent is the nearest ancestor that is a device.
        listed = {r.findtext("path") for r in by_name.values()}
        d = os.path.dirname(syspath)
        while d not in listed and d != "/sys":
            d = os.path.dirname(d)
        want = "computer" if d == "/sys" else [n for n, r in by_name.items()
                                               if r.findtext("path") == d][0]
        check_eq(parent, want, "parent of " + name)


def test_lookup(fx):
    check_eq(fx.connect("NodeDeviceLookupByName", "s", "computer"), nf.dev_path("computer"),
             "computer")
    msg = expect_error("NoNodeDevice", fx.connect, "NodeDeviceLookupByName", "s", "pci_nope")
    check("pci_nope" in msg, msg)
    expect_error("NoNodeDevice", fx.connect, "NodeDeviceLookupSCSIHostByWWN", "ssu",
                 "2001001b32a9da4e", "2101001b32a9da4e", 0)


def test_loopback_xml(fx):
    name = net_name("lo")
    root = ET.fromstring(fx.xml(fx.connect("NodeDeviceLookupByName", "s", name)))
    check_eq(root.findtext("name"), name, "name")
    check_eq(root.findtext("path"), os.path.realpath("/sys/class/net/lo"), "path")
    check_eq(root.findtext("parent"), "computer", "parent")
    cap = root.find("capability")
    check_eq(cap.get("type"), "net", "capability")
    check_eq(cap.findtext("interface"), "lo", "interface")
    check_eq(cap.findtext("address"), read("/sys/class/net/lo/address"), "address")
    check_eq(cap.find("link").get("state"), read("/sys/class/net/lo/operstate"), "state")
    check_eq(cap.find("capability").get("type"), "80203", "subtype")
    check_eq(fx.dev(nf.dev_path(name), "ListCaps"), ["net"], "ListCaps")


def test_pci_xml(fx):
    for addr in sorted(os.listdir("/sys/bus/pci/devices")):
        sysdir = os.path.realpath("/sys/bus/pci/devices/" + addr)
        path = nf.dev_path(pci_name(addr))
        root = ET.fromstring(fx.xml(path))
        check_eq(root.findtext("path"), sysdir, "path")
        drv = root.find("driver")
        check_eq(drv.findtext("name") if drv is not None else None, driver_of(sysdir),
                 "driver of " + addr)
        cap = root.find("capability")
        check_eq(cap.get("type"), "pci", "type")
        dom, bus, rest = addr.split(":")
        slot, fn = rest.split(".")
        check_eq([int(cap.findtext(k)) for k in ("domain", "bus", "slot", "function")],
                 [int(dom, 16), int(bus, 16), int(slot, 16), int(fn, 16)], "address")
        check_eq(int(cap.findtext("class"), 16), int(read(sysdir + "/class"), 16), "class")
        check_eq(int(cap.find("vendor").get("id"), 16), int(read(sysdir + "/vendor"), 16),
                 "vendor")
        check_eq(int(cap.find("product").get("id"), 16), int(read(sysdir + "/device"), 16),
                 "product")
        if os.path.exists(sysdir + "/iommu_group"):
            group = os.path.basename(os.readlink(sysdir + "/iommu_group"))
            check_eq(cap.find("iommuGroup").get("number"), group, "IOMMU group")
        else:
            check(cap.find("iommuGroup") is None, "IOMMU group without one in sysfs")
        check_eq(fx.dev(path, "ListCaps"), ["pci"], "ListCaps")
    # The vendor names come from the hwdb (pci.ids): Red Hat's virtio.
    names = [ET.fromstring(fx.xml(nf.dev_path(pci_name(a)))).find("capability/vendor").text
             for a in os.listdir("/sys/bus/pci/devices")
             if read("/sys/bus/pci/devices/%s/vendor" % a) == "0x1af4"]
    if os.path.exists("/usr/lib/udev/hwdb.bin") and names:
        check(all(n == "Red Hat, Inc." for n in names), "virtio vendor names: %r" % names)


def _a_pci_with_driver():
    for addr in sorted(os.listdir("/sys/bus/pci/devices")):
        d = "/sys/bus/pci/devices/" + addr
        if driver_of(d):
            return addr, d
    raise harness.Skip("no PCI device with a driver")


def test_detach_refused_without_iommu(fx):
    groups = os.listdir("/sys/kernel/iommu_groups") if os.path.isdir(
        "/sys/kernel/iommu_groups") else []
    if groups and os.path.exists("/dev/vfio/vfio"):
        raise harness.Skip("this host has an IOMMU: detach would really move a device")
    addr, d = _a_pci_with_driver()
    before = driver_of(d)
    path = nf.dev_path(pci_name(addr))
    events = fx.client.collect(nf.CONNECT, "NodeDeviceEvent", nf.PATH)
    msg = expect_error("ConfigUnsupported", fx.dev, path, "Detach", "su", "", 0)
    check_eq(msg, "unsupported configuration: VFIO device assignment is currently not "
             "supported on this system", "message (as virsh prints it against libvirt)")
    expect_error("ConfigUnsupported", fx.dev, path, "Detach", "su", "vfio", 0)
    check_eq(driver_of(d), before, "driver after the refused detach")
    check_eq(read(d + "/driver_override"), "(null)", "driver_override untouched")
    check_eq(ET.fromstring(fx.xml(path)).findtext("driver/name"), before, "driver in XML")
    # Bad arguments are refused before anything else.
    expect_error("InvalidArg", fx.dev, path, "Detach", "su", "xen", 0)
    expect_error("InvalidArg", fx.dev, nf.dev_path("computer"), "Detach", "su", "", 0)
    # ReAttach of a device on its own driver changes nothing, like libvirt.
    fx.dev(path, "ReAttach")
    check_eq(driver_of(d), before, "driver after ReAttach")
    check_eq(events.matching(), [], "no events")


def test_reset_refused(fx):
    addr, d = _a_pci_with_driver()
    before = driver_of(d)
    msg = expect_error("OperationInvalid", fx.dev, nf.dev_path(pci_name(addr)), "Reset")
    check(addr in msg and before in msg, msg)
    expect_error("InvalidArg", fx.dev, nf.dev_path(net_name("lo")), "Reset")
    check_eq(driver_of(d), before, "driver after the refused reset")


def _methods(xml, iface):
    root = ET.fromstring(xml)
    out = {}
    for i in root.iter("interface"):
        if i.get("name") != iface:
            continue
        for m in i:
            if m.tag in ("method", "signal"):
                out[(m.tag, m.get("name"))] = [(a.get("type"), a.get("direction", "out"))
                                               for a in m.findall("arg")]
            elif m.tag == "property":
                out[("property", m.get("name"))] = [(m.get("type"), m.get("access"))]
    return out


def test_interfaces_match_libvirt_dbus(fx):
    mine = _methods(fx.client.introspect(nf.dev_path("computer")), nf.NODEDEV)
    with open(os.path.join(LIBVIRT_DBUS, "org.libvirt.NodeDevice.xml")) as f:
        want = _methods(f.read(), nf.NODEDEV)
    check_eq(mine, want, "org.libvirt.NodeDevice")
    mine = _methods(fx.client.introspect(nf.PATH), nf.CONNECT)
    with open(os.path.join(LIBVIRT_DBUS, "org.libvirt.Connect.xml")) as f:
        want = _methods(f.read(), nf.CONNECT)
    for key in mine:
        check_eq(mine[key], want.get(key), "Connect %s %s" % key)
    for key in (("method", "ListNodeDevices"), ("method", "NodeDeviceLookupByName"),
                ("method", "NodeDeviceLookupSCSIHostByWWN"), ("signal", "NodeDeviceEvent")):
        check(key in mine, "Connect lacks %s %s" % key)


def test_object_manager(fx):
    objs = fx.client.call(nf.PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    devs = sorted(p for p in objs if p.startswith(nf.PREFIX))
    check_eq(devs, sorted(all_paths(fx)), "managed objects")
    check_eq(objs[nf.dev_path("computer")][nf.NODEDEV]["Name"], "computer", "Name")


def _start(fx, name, bus_name):
    d = harness.Daemon(fx.root, fx.bus, name=name, bus_name=bus_name)
    if not os.path.exists(d.binary):
        return None
    fx.daemons.append(d)
    d.start()
    return d


def test_virsh_nodeinfo_through_proxy(fx):
    if not os.path.exists(os.path.join(harness.BUILDDIR, "virtproxyd", "virtproxyd")):
        raise harness.Skip("virtproxyd is not built yet")
    _start(fx, "virtqemud", "org.libvirt.qemu")
    _start(fx, "virtproxyd", "org.libvirt")
    sock = os.path.join(fx.root, "run", "libvirt", "libvirt-sock")
    out = subprocess.run(["virsh", "-c", "qemu+unix:///system?socket=" + sock, "nodeinfo"],
                         check=True, stdout=subprocess.PIPE, timeout=60).stdout.decode()
    info = dict((k.strip(), v.strip()) for k, v in
                (line.split(":", 1) for line in out.splitlines() if ":" in line))
    check_eq(int(info["CPU(s)"]), os.sysconf("SC_NPROCESSORS_ONLN"), "CPU(s)")
    check_eq(info["Memory size"], "%d KiB" % harness.host_memory_kib(), "Memory size")

    def virsh(*args):
        return subprocess.run(["virsh", "-c", "qemu+unix:///system?socket=" + sock] + list(args),
                              check=True, stdout=subprocess.PIPE, timeout=60).stdout.decode()

    # nodememstats: the total is /proc/meminfo's.
    with open("/proc/meminfo") as f:
        total = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1))
    stats = dict((k.strip(), v.strip()) for k, v in
                 (line.split(":", 1) for line in virsh("nodememstats").splitlines() if ":" in line))
    check_eq(stats["total"], "%d KiB" % total, "nodememstats total")
    # nodecpustats: user time (user + nice, as libvirt counts it) between two
    # reads of /proc/stat (USER_HZ 100), with niced time on the host.
    def proc_user():
        return harness.cpu_user_ticks() * 10 ** 7
    harness.make_nice_time()
    lo = proc_user()
    cpu = dict((k.strip(), v.strip()) for k, v in
               (line.split(":", 1) for line in virsh("nodecpustats").splitlines() if ":" in line))
    hi = proc_user()
    check(lo <= int(cpu["user"]) <= hi, "nodecpustats user %s not in [%d, %d]"
          % (cpu["user"], lo, hi))
    # capabilities: topology and NUMA cells as sysfs has them.
    caps = ET.fromstring(virsh("capabilities"))
    topo = caps.find("host/cpu/topology")
    n = 1
    for k in ("sockets", "dies", "cores", "threads"):
        n *= int(topo.get(k))
    check_eq(n, os.sysconf("SC_NPROCESSORS_ONLN"), "capabilities topology")
    nodes = sorted(d for d in os.listdir("/sys/devices/system/node")
                   if re.fullmatch(r"node\d+", d)) if os.path.isdir(
                       "/sys/devices/system/node") else []
    cells = caps.findall("host/topology/cells/cell")
    if nodes:
        check_eq(len(cells), len(nodes), "NUMA cells")
        for c in cells:
            with open("/sys/devices/system/node/node%s/meminfo" % c.get("id")) as f:
                kib = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1))
            check_eq(int(c.findtext("memory")), kib, "cell %s memory" % c.get("id"))


if __name__ == "__main__":
    nf.main(globals())
