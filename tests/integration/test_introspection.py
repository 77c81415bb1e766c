"""The interfaces virtqemud serves, compared with Debian's libvirt-dbus
interface files method by method and argument by argument: everything we
expose exists there with the same arguments (names, types, directions) and
property types and access; everything the daemon must serve is present."""

import os
import re
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, CONNECT_IFACE, DOMAIN_IFACE, OM_IFACE, QEMU_PATH

IFACE_DIR = "/usr/share/dbus-1/interfaces"

REQUIRED = {
    CONNECT_IFACE: {
        "method": ["DomainDefineXML", "DomainCreateXML", "DomainLookupByName",
                   "DomainLookupByUUID", "DomainLookupByID", "ListDomains", "GetCapabilities",
                   "GetDomainCapabilities", "GetSysinfo", "NodeGetCPUStats",
                   "NodeGetMemoryStats", "NodeGetFreeMemory"],
        "property": ["Hostname", "Version", "LibVersion", "Encrypted", "Secure"],
        "signal": ["DomainEvent"],
    },
    DOMAIN_IFACE: {
        "method": ["Create", "Destroy", "Shutdown", "Reboot", "Reset", "Suspend", "Resume",
                   "Undefine", "GetXMLDesc", "GetState", "GetVcpus", "MemoryStats",
                   "GetStats", "SetMemory"],
        "property": ["Name", "UUID", "Id", "Active", "Persistent", "Autostart", "OSType",
                     "Updated"],
        "signal": [],
    },
}

# The D-Bus type of each Python value dbus-python hands back for a basic type.
BASIC = {"b": bool, "s": str, "u": int, "i": int, "t": int, "x": int, "d": float}


def members(iface_el):
    """{(kind, name): element} of an <interface>."""
    out = {}
    for kind in ("method", "property", "signal"):
        for el in iface_el.findall(kind):
            out[(kind, el.get("name"))] = el
    return out


def args_of(el, kind):
    out = []
    for a in el.findall("arg"):
        direction = a.get("direction") or ("out" if kind == "signal" else "in")
        out.append((a.get("name"), a.get("type"), direction))
    return out


def debian_interface(name):
    path = os.path.join(IFACE_DIR, name + ".xml")
    if not os.path.exists(path):
        raise harness.Skip("%s is missing (libvirt-dbus)" % path)
    iface = ET.parse(path).getroot().find("interface[@name='%s']" % name)
    check(iface is not None, "%s has no interface %s" % (path, name))
    return iface


def served_interface(fx, path, name):
    node = ET.fromstring(fx.client.introspect(path))
    iface = node.find("interface[@name='%s']" % name)
    check(iface is not None, "%s does not serve %s" % (path, name))
    return node, iface


def compare(fx, path, name):
    ours = members(served_interface(fx, path, name)[1])
    theirs = members(debian_interface(name))
    problems = []
    for (kind, mname), el in sorted(ours.items()):
        ref = theirs.get((kind, mname))
        if ref is None:
            problems.append("%s %s.%s is not in libvirt-dbus" % (kind, name, mname))
            continue
        if kind == "property":
            for attr in ("type", "access"):
                if el.get(attr) != ref.get(attr):
                    problems.append("property %s.%s: %s %r, libvirt-dbus has %r"
                                    % (name, mname, attr, el.get(attr), ref.get(attr)))
        else:
            a, b = args_of(el, kind), args_of(ref, kind)
            if a != b:
                problems.append("%s %s.%s: arguments %r, libvirt-dbus has %r"
                                % (kind, name, mname, a, b))
    for kind, names in REQUIRED[name].items():
        for mname in names:
            if (kind, mname) not in ours:
                problems.append("required %s %s.%s is missing" % (kind, name, mname))
    check(not problems, "\n".join(problems))
    return ours


def check_property_values(fx, path, name, ours):
    """GetAll returns every declared property, each of its declared type."""
    values = fx.client.get_all(path, name)
    for (kind, pname), el in ours.items():
        if kind != "property":
            continue
        check(pname in values, "GetAll(%s) lacks %s" % (name, pname))
        t = el.get("type")
        if t in BASIC:
            check(isinstance(values[pname], BASIC[t]),
                  "%s.%s: value %r is not of type %s" % (name, pname, values[pname], t))


def test_connect_interface(fx):
    ours = compare(fx, QEMU_PATH, CONNECT_IFACE)
    check_property_values(fx, QEMU_PATH, CONNECT_IFACE, ours)
    props = fx.client.get_all(QEMU_PATH, CONNECT_IFACE)
    check(props["Hostname"], "Hostname is empty")
    check(props["LibVersion"] > 0, "LibVersion: %r" % props)
    # Version is the hypervisor's, as virConnectGetVersion: QEMU's
    # major * 1000000 + minor * 1000 + micro.
    out = harness.subprocess.run([harness.QEMU, "--version"], stdout=harness.subprocess.PIPE,
                                 text=True).stdout
    m = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
    check(m, "cannot read QEMU's version from %r" % out)
    want = int(m.group(1)) * 1000000 + int(m.group(2)) * 1000 + int(m.group(3))
    check_eq(props["Version"], want, "Version (QEMU's version)")


def test_connect_methods_answer(fx):
    """The host methods answer with what libvirt's would hold."""
    caps = ET.fromstring(fx.connect("GetCapabilities"))
    check_eq(caps.tag, "capabilities", "GetCapabilities root")
    check(caps.find("host/uuid") is not None, "capabilities: no host uuid")
    check_eq(caps.findtext("host/cpu/arch"), "x86_64", "capabilities: host arch")
    guests = [(g.findtext("os_type"), g.find("arch").get("name"),
               [d.get("type") for d in g.findall("arch/domain")]) for g in caps.findall("guest")]
    check([g for g in guests if g[0] == "hvm" and g[1] == "x86_64" and "qemu" in g[2]],
          "capabilities: no hvm x86_64 guest with domain type qemu: %r" % guests)
    dcaps = ET.fromstring(fx.connect("GetDomainCapabilities", "ssssu", "", "x86_64", "", "qemu",
                                     0))
    check_eq(dcaps.tag, "domainCapabilities", "GetDomainCapabilities root")
    check_eq(dcaps.findtext("domain"), "qemu", "domainCapabilities domain")
    check_eq(dcaps.findtext("arch"), "x86_64", "domainCapabilities arch")
    check(dcaps.findtext("path") and os.path.exists(dcaps.findtext("path")),
          "domainCapabilities path %r" % dcaps.findtext("path"))
    sysinfo = ET.fromstring(fx.connect("GetSysinfo", "u", 0))
    check_eq(sysinfo.tag, "sysinfo", "GetSysinfo root")
    free = fx.connect("NodeGetFreeMemory")
    check(0 < free < 1 << 50, "NodeGetFreeMemory %r" % free)
    mem = fx.connect("NodeGetMemoryStats", "iu", -1, 0)
    for k in ("total", "free"):
        check(k in mem and mem[k] > 0, "NodeGetMemoryStats lacks %s: %r" % (k, mem))
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1])
    check_eq(mem["total"], total, "NodeGetMemoryStats total vs /proc/meminfo")
    cpu = fx.connect("NodeGetCPUStats", "iu", -1, 0)
    for k in ("kernel", "user", "idle", "iowait"):
        check(k in cpu, "NodeGetCPUStats lacks %s: %r" % (k, cpu))
    expect = harness.expect_error
    expect("InvalidArg", fx.connect, "NodeGetCPUStats", "iu", 4096, 0)


def test_object_manager(fx):
    node, _ = served_interface(fx, QEMU_PATH, OM_IFACE)
    om = node.find("interface[@name='%s']" % OM_IFACE)
    names = {(el.tag, el.get("name")) for el in om}
    for want in [("method", "GetManagedObjects"), ("signal", "InterfacesAdded"),
                 ("signal", "InterfacesRemoved")]:
        check(want in names, "ObjectManager lacks %s %s" % want)
    check(isinstance(fx.client.managed_objects(), dict), "GetManagedObjects is not a dict")


def test_domain_interface(fx):
    path = fx.define("introspect")
    ours = compare(fx, path, DOMAIN_IFACE)
    check_property_values(fx, path, DOMAIN_IFACE, ours)
    # Autostart is writable, as in libvirt-dbus.
    fx.client.set(path, DOMAIN_IFACE, "Autostart", True)
    check_eq(fx.client.dom_prop(path, "Autostart"), True, "Autostart after Set")
    check(os.path.lexists(fx.etc("autostart", "introspect.xml")), "no autostart link")
    fx.client.set(path, DOMAIN_IFACE, "Autostart", False)
    check(not os.path.lexists(fx.etc("autostart", "introspect.xml")), "autostart link left")
    # The tree: the domain object is a child of /org/libvirt/QEMU/domain.
    node = ET.fromstring(fx.client.introspect(QEMU_PATH + "/domain"))
    check(path.rsplit("/", 1)[1] in [n.get("name") for n in node.findall("node")],
          "introspection of %s/domain does not list the domain" % QEMU_PATH)
    fx.domain(path, "Undefine", "u", 0)


harness.main(globals())
