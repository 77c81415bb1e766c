"""The D-Bus facade (virtproxyd/dbus_facade.c) on a private bus with the real
virtqemud: libvirt-dbus calls and signals on org.libvirt reach virtqemud and
come back unchanged, absent owners fail at once with a clear error, and a
non-root caller cannot change anything through the facade.

The facade is served by the real virtproxyd, which owns org.libvirt. The bus is the integration bus plus
one rule letting anyone call org.libvirt (facade_bus.conf), so the refusals
seen here are the facade's own.
"""

import os
import socket
import subprocess
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, expect_error, Failure

harness.BUS_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "facade_bus.conf")

FACADE_NAME = "org.libvirt"
ROOT = harness.QEMU_PATH
CONNECT = harness.CONNECT_IFACE
DOMAIN = harness.DOMAIN_IFACE
LIBVIRT_DBUS_CONNECT = "/usr/share/dbus-1/interfaces/org.libvirt.Connect.xml"
FAST = 2.0  # seconds: "at once", far below D-Bus's 25 s default timeout

_state = {}


def facade(fx):
    """The facade's client (dest org.libvirt), starting virtproxyd once."""
    if "client" not in _state:
        d = harness.Daemon(fx.root, fx.bus, name="virtproxyd", bus_name=FACADE_NAME)
        fx.daemons.append(d)
        d.start()
        _state["daemon"] = d
        c = harness.Client(fx.bus.address, dest=FACADE_NAME)
        fx.clients.append(c)
        _state["client"] = c
    return _state["client"]


def name_owner(fx, name):
    return str(fx.client.conn.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "GetNameOwner", "s",
                                            (name,)))


def from_facade(fx):
    owner = name_owner(fx, FACADE_NAME)
    return lambda s: s.sender == owner


def test_list_domains(fx):
    fc = facade(fx)
    fx.define("pre")
    direct = fx.connect("ListDomains", "u", 0)
    check(len(direct) == 1, "virtqemud lists %r" % direct)
    check_eq(fc.connect("ListDomains", "u", 0), direct, "ListDomains through org.libvirt")
    check_eq(fc.connect("ListDomains", "u", harness.LIST_ACTIVE), [],
             "ListDomains(ACTIVE) through org.libvirt")


def test_define_through_facade_emits_events(fx):
    fc = facade(fx)
    ours = from_facade(fx)
    events = fc.domain_events()
    added = fc.collect(harness.OM_IFACE, "InterfacesAdded", ROOT)
    changed = fc.collect(harness.PROPS_IFACE, "PropertiesChanged")
    uuid = str(uuidlib.uuid4())
    path = fc.connect("DomainDefineXML", "s", fx.domain_xml("viafacade", uuid=uuid))
    check_eq(path, harness.domain_path(uuid), "DomainDefineXML's path")
    # Signals re-emitted by org.libvirt itself, same path, interface, body.
    events.wait(lambda s: ours(s) and s.args == [path, harness.EV_DEFINED,
                                                 harness.EV_DEFINED_ADDED],
                what="DomainEvent(DEFINED, ADDED) from org.libvirt; seen %r" % events.signals)
    got = added.wait(lambda s: ours(s) and s.args[0] == path,
                     what="InterfacesAdded from org.libvirt")[0]
    check(DOMAIN in got.args[1], "InterfacesAdded lists org.libvirt.Domain: %r" % got.args)
    check_eq(got.args[1][DOMAIN]["Name"], "viafacade", "InterfacesAdded's Name")
    # The domain's own signals (PropertiesChanged on its path) too, when it
    # changes: autostart through the facade.
    fc.set(path, DOMAIN, "Autostart", harness.dbus.Boolean(True))
    changed.wait(lambda s: ours(s) and s.path == path and s.args[0] == DOMAIN and
                 s.args[1].get("Autostart") is True,
                 what="PropertiesChanged(Autostart) on %s from org.libvirt; seen %r"
                 % (path, changed.signals))
    check_eq(fx.client.dom_prop(path, "Autostart"), True, "Autostart set through org.libvirt")
    for c in (events, added, changed):
        c.close()
    _state["path"] = path


def test_domain_properties_and_xml(fx):
    fc = facade(fx)
    path = _state["path"]
    props = fc.get_all(path, DOMAIN)
    check_eq(props, fx.client.get_all(path, DOMAIN), "Domain properties through org.libvirt")
    check_eq(props["Name"], "viafacade", "Name")
    check_eq(fc.dom_prop(path, "Active"), False, "Active")
    xml = fc.domain(path, "GetXMLDesc", "u", 0)
    check_eq(xml, fx.domain(path, "GetXMLDesc", "u", 0), "GetXMLDesc through org.libvirt")
    check_eq(ET.fromstring(xml).findtext("name"), "viafacade", "the XML's name")
    check_eq(fc.state(path), fx.client.state(path), "GetState")
    check_eq(fc.connect("DomainLookupByName", "s", "viafacade"), path, "DomainLookupByName")
    check_eq(fc.get_all(ROOT, CONNECT), fx.client.get_all(ROOT, CONNECT),
             "org.libvirt.Connect properties through org.libvirt")
    check(fc.get(ROOT, CONNECT, "Hostname"), "Hostname is empty")
    check_eq(fc.introspect(path), fx.client.introspect(path), "a domain's introspection")


def test_managed_objects_merged(fx):
    fc = facade(fx)
    got = fc.managed_objects()
    check_eq(got, fx.client.managed_objects(), "GetManagedObjects (virtqemud alone present)")
    check(_state["path"] in got, "the domain defined through org.libvirt is listed")
    check(all(p.startswith(ROOT + "/domain/") for p in got), "only domains: %r" % list(got))


def test_error_keeps_name_and_message(fx):
    fc = facade(fx)
    direct = expect_error("NoDomain", fx.connect, "DomainLookupByName", "s", "nosuch")
    msg = expect_error("NoDomain", fc.connect, "DomainLookupByName", "s", "nosuch")
    check_eq(msg, direct, "the error message through org.libvirt")
    direct = expect_error("XmlDetail", fx.connect, "DomainDefineXML", "s", "<domain")
    msg = expect_error("XmlDetail", fc.connect, "DomainDefineXML", "s", "<domain")
    check_eq(msg, direct, "the XML error message through org.libvirt")
    expect_error("org.freedesktop.DBus.Error.UnknownObject", fc.call,
                 ROOT + "/nosuchkind/x", "org.libvirt.Foo", "Bar")


def test_absent_owner_fails_at_once(fx):
    fc = facade(fx)
    check(not fx.client.name_has_owner("org.libvirt.network"), "org.libvirt.network is owned")
    for method, sig, args, daemon, name in [
            ("ListNetworks", "u", (0,), "virtnetworkd", "org.libvirt.network"),
            ("NetworkLookupByName", "s", ("default",), "virtnetworkd", "org.libvirt.network"),
            ("ListStoragePools", "u", (0,), "virtstoraged", "org.libvirt.storage"),
            ("ListNodeDevices", "u", (0,), "virtnodedevd", "org.libvirt.nodedev")]:
        if fx.client.name_has_owner(name):
            continue
        t0 = time.monotonic()
        msg = expect_error("NoConnect", fc.connect, method, sig, *args, timeout=30)
        took = time.monotonic() - t0
        check_eq(msg, "%s is not running (%s has no owner)" % (daemon, name), method + "'s error")
        check(took < FAST, "%s failed after %.1f s, not at once" % (method, took))
    # An object path of an absent owner, too.
    msg = expect_error("NoConnect", fc.call, ROOT + "/network/_" + "0" * 32,
                       "org.libvirt.Network", "GetXMLDesc", "u", 0)
    check("virtnetworkd" in msg, msg)
    # What no daemon of ours serves.
    msg = expect_error("NoSupport", fc.connect, "ListSecrets", "u", 0)
    check("not supported" in msg, msg)


def _methods(iface_el):
    out = {}
    for m in iface_el.findall("method"):
        out[m.get("name")] = [(a.get("type"), a.get("direction") or "in")
                              for a in m.findall("arg")]
    return out


# The Connect methods that virtnetworkd, virtstoraged and virtnodedevd serve.
OTHER_CONNECT_PREFIXES = ("Network", "ListNetworks", "StoragePool", "StorageVol",
                          "ListStoragePools", "FindStoragePoolSources", "NodeDevice",
                          "ListNodeDevices")


def test_introspection_matches_libvirt_dbus(fx):
    fc = facade(fx)
    root = ET.fromstring(fc.introspect(ROOT))
    ifaces = {i.get("name"): i for i in root.findall("interface")}
    for want in (CONNECT, harness.OM_IFACE, harness.PROPS_IFACE,
                 "org.freedesktop.DBus.Introspectable"):
        check(want in ifaces, "%s missing from the introspection of %s: %r"
              % (want, ROOT, list(ifaces)))
    check("domain" in [n.get("name") for n in root.findall("node")],
          "child node 'domain' missing")
    ours = _methods(ifaces[CONNECT])
    ref_root = ET.parse(LIBVIRT_DBUS_CONNECT).getroot()
    ref = _methods(ref_root.find("interface[@name='%s']" % CONNECT))
    served = _methods(ET.parse(os.path.join(harness.SRCDIR, "api", "org.libvirt.Connect.xml"))
                      .getroot().find("interface"))
    check(served, "api/org.libvirt.Connect.xml lists no method")
    # Only virtqemud runs yet: its part of what api/ declares (the other
    # daemons' parts are checked with them, in test_every_owner).
    for name in served:
        if name.startswith(OTHER_CONNECT_PREFIXES):
            continue
        check(name in ours, "org.libvirt serves no Connect.%s" % name)
        check_eq(ours[name], ref[name], "Connect.%s arguments vs libvirt-dbus" % name)
    for name, args in ours.items():
        if name in ref:
            check_eq(args, ref[name], "Connect.%s arguments vs libvirt-dbus" % name)
    ref_props = {p.get("name"): p.get("type") for p in
                 ref_root.find("interface[@name='%s']" % CONNECT).findall("property")}
    our_props = {p.get("name"): p.get("type") for p in ifaces[CONNECT].findall("property")}
    check_eq(our_props, ref_props, "org.libvirt.Connect properties")
    check("DomainEvent" in [s.get("name") for s in ifaces[CONNECT].findall("signal")],
          "the DomainEvent signal is declared")


def _busctl_as_nobody(fx, *args):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           "busctl", "--address=" + fx.bus.address, "--timeout=30"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)


def _python_as_nobody(fx, path, iface, method, sig, *args):
    """(error name, message) of a call made by uid 65534, or (None, reply)."""
    code = ("import dbus, sys\n"
            "c = dbus.bus.BusConnection(sys.argv[1])\n"
            "try:\n"
            "    r = c.call_blocking('org.libvirt', sys.argv[2], sys.argv[3], sys.argv[4],"
            " sys.argv[5], eval(sys.argv[6]), timeout=30)\n"
            "    print('OK'); print(r)\n"
            "except dbus.exceptions.DBusException as e:\n"
            "    print(e.get_dbus_name()); print(e.get_dbus_message())\n")
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        "/usr/bin/python3", "-c", code, fx.bus.address, path, iface, method, sig,
                        repr(tuple(args))],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    check_eq(r.returncode, 0, "python as nobody (stderr %r)" % r.stderr)
    first, _, rest = r.stdout.partition("\n")
    return (None if first == "OK" else first), rest.strip()


def test_non_root_caller(fx):
    facade(fx)
    # The bus socket lives in the (0700) temporary root: let nobody reach it.
    os.chmod(fx.root, 0o711)
    before = fx.connect("ListDomains", "u", 0)
    r = _busctl_as_nobody(fx, "call", FACADE_NAME, ROOT, CONNECT, "ListDomains", "u", "0")
    check_eq(r.returncode, 0, "busctl ListDomains as nobody (stderr %r)" % r.stderr)
    check(r.stdout.startswith("ao %d" % len(before)), "busctl's answer %r" % r.stdout)
    check(all(p in r.stdout for p in before), "busctl lists %r" % r.stdout)

    xml = fx.domain_xml("bynobody")
    r = _busctl_as_nobody(fx, "call", FACADE_NAME, ROOT, CONNECT, "DomainDefineXML", "s", xml)
    check(r.returncode != 0, "DomainDefineXML as nobody succeeded: %r" % r.stdout)
    check("operation forbidden: read only access prevents org.libvirt.Connect.DomainDefineXML"
          in r.stderr, "busctl's error %r" % r.stderr)
    name, msg = _python_as_nobody(fx, ROOT, CONNECT, "DomainDefineXML", "s", xml)
    check_eq(name, "org.libvirt.Error.OperationDenied", "error name (message %r)" % msg)
    check_eq(fx.connect("ListDomains", "u", 0), before, "domains after the refused define")

    path = _state["path"]
    name, msg = _python_as_nobody(fx, path, DOMAIN, "GetXMLDesc", "u", 0)
    check(name is None and "<name>viafacade</name>" in msg, "GetXMLDesc(0) as nobody: %r %r"
          % (name, msg))
    name, msg = _python_as_nobody(fx, path, DOMAIN, "GetXMLDesc", "u", harness.XML_SECURE)
    check_eq(name, "org.libvirt.Error.OperationDenied", "GetXMLDesc(SECURE) as nobody")
    name, msg = _python_as_nobody(fx, path, harness.PROPS_IFACE, "Set", "ssv", DOMAIN,
                                  "Autostart", False)
    check_eq(name, "org.libvirt.Error.OperationDenied", "Properties.Set as nobody (%s)" % msg)
    check_eq(fx.client.dom_prop(path, "Autostart"), True, "Autostart after the refused Set")
    name, msg = _python_as_nobody(fx, path, harness.PROPS_IFACE, "Get", "ss", DOMAIN, "Name")
    check(name is None and msg == "viafacade", "Properties.Get as nobody: %r %r" % (name, msg))
    name, msg = _python_as_nobody(fx, path, DOMAIN, "Undefine", "u", 0)
    check_eq(name, "org.libvirt.Error.OperationDenied", "Undefine as nobody")


OTHER_DAEMONS = [("virtnetworkd", "org.libvirt.network"), ("virtstoraged", "org.libvirt.storage"),
                 ("virtnodedevd", "org.libvirt.nodedev")]


def _start_other_daemons(fx):
    """Starts virtnetworkd, virtstoraged and virtnodedevd; Skip when one is
    not built yet (they are written beside the facade)."""
    for name, bus_name in OTHER_DAEMONS:
        d = harness.Daemon(fx.root, fx.bus, name=name, bus_name=bus_name)
        if not os.path.exists(d.binary):
            raise harness.Skip("%s is not built" % d.binary)
        fx.daemons.append(d)
        d.start()


def _stream_read_all(fd):
    out = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return out
        out += chunk


def test_every_owner(fx):
    """With all four daemons: merged objects and introspection, calls and
    signals of each, our own interfaces, and file descriptors both ways."""
    fc = facade(fx)
    ours = from_facade(fx)
    _start_other_daemons(fx)

    # GetManagedObjects: the union of every daemon's answer.
    want = {}
    for bus_name in [harness.QEMU_BUS_NAME] + [b for _, b in OTHER_DAEMONS]:
        direct = harness.Client(fx.bus.address, dest=bus_name)
        fx.clients.append(direct)
        objs = direct.managed_objects()
        check(not set(objs) & set(want), "%s's objects overlap others'" % bus_name)
        want.update(objs)
    check_eq(fc.managed_objects(), want, "GetManagedObjects merged from the four daemons")

    # Introspection: the union of the Connect members and of our interfaces.
    root = ET.fromstring(fc.introspect(ROOT))
    ifaces = {i.get("name"): i for i in root.findall("interface")}
    methods = _methods(ifaces[CONNECT])
    ref = _methods(ET.parse(LIBVIRT_DBUS_CONNECT).getroot()
                   .find("interface[@name='%s']" % CONNECT))
    served = _methods(ET.parse(os.path.join(harness.SRCDIR, "api", "org.libvirt.Connect.xml"))
                      .getroot().find("interface"))
    for m in served:
        check(m in methods, "Connect.%s missing from the merged introspection" % m)
    for m, args in methods.items():
        if m in ref:
            check_eq(args, ref[m], "Connect.%s arguments vs libvirt-dbus" % m)
    check("org.virtstack.Storage" in ifaces, "org.virtstack.Storage missing: %r" % list(ifaces))
    signals = [x.get("name") for x in ifaces[CONNECT].findall("signal")]
    for sig in ("DomainEvent", "NetworkEvent", "StoragePoolEvent"):
        check(sig in signals, "signal %s missing: %r" % (sig, signals))
    nodes = [n.get("name") for n in root.findall("node")]
    for n in ("network", "nodedev"):
        check(n in nodes, "child node %s missing: %r" % (n, nodes))

    # Calls to each, compared with the daemon itself.
    for method, bus_name in (("ListNetworks", "org.libvirt.network"),
                             ("ListNodeDevices", "org.libvirt.nodedev"),
                             ("ListStoragePools", "org.libvirt.storage")):
        direct = harness.Client(fx.bus.address, dest=bus_name)
        fx.clients.append(direct)
        check_eq(sorted(fc.connect(method, "u", 0)), sorted(direct.connect(method, "u", 0)),
                 method + " through org.libvirt")

    # A storage pool through the facade: its event comes back from org.libvirt.
    events = fc.collect(CONNECT, "StoragePoolEvent", ROOT)
    pooldir = os.path.join(fx.root, "facadepool")
    os.makedirs(pooldir)
    pool = fc.connect("StoragePoolDefineXML", "su",
                      "<pool type='dir'><name>facadepool</name><target><path>%s</path>"
                      "</target></pool>" % pooldir, 0)
    events.wait(lambda s: ours(s) and s.args[0] == pool,
                what="StoragePoolEvent from org.libvirt; seen %r" % events.signals)
    events.close()
    fc.call(pool, "org.libvirt.StoragePool", "Create", "u", 0)
    vol = fc.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML", "su",
                  "<volume><name>v.img</name><capacity>65536</capacity></volume>", 0)
    check(vol.startswith(ROOT + "/storagevol/"), "volume path %r" % vol)

    # org.virtstack.Storage on the root goes to virtstoraged.
    path, fmt = fc.call(ROOT, "org.virtstack.Storage", "ResolveVolume", "ss",
                        "facadepool", "v.img")
    check_eq((path, fmt), (os.path.join(pooldir, "v.img"), "raw"), "ResolveVolume")

    # File descriptors in replies, both ways through org.libvirt: an upload
    # into v.img, checked in its file; a download of w.img, written here.
    # (Two volumes: virtstoraged may still count v.img busy for a moment
    # after the upload's "OK".)
    data = bytes(range(256)) * 16
    fd = fc.call(vol, "org.virtstack.StorageVolStream", "Upload", "ttu", 0, len(data), 0)
    fd = fd.take() if hasattr(fd, "take") else fd
    try:
        os.write(fd, data)
        socket.socket(fileno=os.dup(fd)).shutdown(socket.SHUT_WR)
        check_eq(_stream_read_all(fd), b"OK\n", "the upload's status line")
    finally:
        os.close(fd)
    with open(os.path.join(pooldir, "v.img"), "rb") as f:
        check(f.read(len(data)) == data, "v.img does not hold the uploaded bytes")

    wvol = fc.call(pool, "org.libvirt.StoragePool", "StorageVolCreateXML", "su",
                   "<volume><name>w.img</name><capacity>%d</capacity></volume>" % len(data), 0)
    wdata = bytes(reversed(data))
    with open(os.path.join(pooldir, "w.img"), "r+b") as f:
        f.write(wdata)
    fd = fc.call(wvol, "org.virtstack.StorageVolStream", "Download", "ttu", 0, 0, 0)
    fd = fd.take() if hasattr(fd, "take") else fd
    try:
        got = _stream_read_all(fd)
    finally:
        os.close(fd)
    check_eq(int.from_bytes(got[:8], "big"), len(wdata), "the download's length")
    check(got[8:8 + len(wdata)] == wdata, "downloaded bytes differ from w.img's")
    check_eq(got[8 + len(wdata):], b"OK\n", "the download's status line")

    # A non-root caller reads storage but cannot change it.
    os.chmod(fx.root, 0o711)
    name, msg = _python_as_nobody(fx, vol, "org.libvirt.StorageVol", "GetXMLDesc", "u", 0)
    check(name is None and "v.img" in msg, "StorageVol.GetXMLDesc as nobody: %r %r" % (name, msg))
    for p, iface, method in ((vol, "org.libvirt.StorageVol", "Delete"),
                             (vol, "org.virtstack.StorageVolStream", "Download")):
        args = (0,) if method == "Delete" else (0, 0, 0)
        name, msg = _python_as_nobody(fx, p, iface, method, "u" if method == "Delete" else "ttu",
                                      *args)
        check_eq(name, "org.libvirt.Error.OperationDenied", "%s.%s as nobody" % (iface, method))


def test_owner_restart_is_followed(fx):
    fc = facade(fx)
    path = _state["path"]
    fx.qemud.stop()
    t0 = time.monotonic()
    msg = expect_error("NoConnect", fc.connect, "ListDomains", "u", 0, timeout=30)
    check_eq(msg, "virtqemud is not running (org.libvirt.qemu has no owner)", "error")
    check(time.monotonic() - t0 < FAST, "not at once")
    # Merged answers leave the absent owner out rather than fail.
    left = fc.managed_objects()
    check(not [p for p in left if p.startswith(ROOT + "/domain/")],
          "GetManagedObjects without virtqemud lists domains: %r" % list(left))

    fx.qemud.start()
    check_eq(fc.connect("DomainLookupByName", "s", "viafacade"), path,
             "lookup after virtqemud came back")
    # Its signals come from a new unique name: still re-emitted.
    ours = from_facade(fx)
    events = fc.domain_events()
    fc.domain(path, "Undefine", "u", 0)
    events.wait(lambda s: ours(s) and s.args[0] == path and s.args[1] == harness.EV_UNDEFINED,
                what="DomainEvent(UNDEFINED) from org.libvirt after the restart; seen %r"
                % events.signals)
    events.close()
    check(_state["daemon"].alive(), "virtproxyd died; log:\n" + _state["daemon"].log_tail())
    # A clean stop frees the facade with calls and owners in place (what a
    # sanitizer build checks).
    _state["daemon"].stop()


harness.main(globals())
