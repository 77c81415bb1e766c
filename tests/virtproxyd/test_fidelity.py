"""Where libvirt's clients must get libvirt's answer: each test here is one
behaviour that Debian's virsh, python3-libvirt or busctl showed to differ
from libvirtd's, checked through virtproxyd and on the daemons' own bus
names.

The bus is the integration bus plus facade_bus.conf's one rule (anyone may
call org.libvirt), so a refusal seen by a non-root caller on org.libvirt is
the facade's own, and one on org.libvirt.qemu is virtqemud's: the bus policy
lets everyone call GetXMLDesc there."""

import os
import re
import subprocess

import harness
from harness import check, check_eq
import proxyfx
from proxyfx import virsh, virsh_fails

harness.BUS_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "facade_bus.conf")

DOMAIN = harness.DOMAIN_IFACE
XML_MIGRATABLE = 8
PASSWORD = "pw,with'quote"
GUEST = "secretive"


def _call_as(uid_args, fx, dest, path, iface, method, sig, *args):
    """(error name, message) of a call made with setpriv @uid_args, or
    (None, reply)."""
    code = ("import dbus, sys\n"
            "c = dbus.bus.BusConnection(sys.argv[1])\n"
            "try:\n"
            "    r = c.call_blocking(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],"
            " sys.argv[6], eval(sys.argv[7]), timeout=30)\n"
            "    print('OK'); print(r)\n"
            "except dbus.exceptions.DBusException as e:\n"
            "    print(e.get_dbus_name()); print(e.get_dbus_message())\n")
    r = subprocess.run(uid_args + ["/usr/bin/python3", "-c", code, fx.bus.address, dest, path,
                                   iface, method, sig, repr(tuple(args))],
                       capture_output=True, text=True, timeout=60)
    check_eq(r.returncode, 0, "python caller (stderr %r)" % r.stderr)
    first, _, rest = r.stdout.partition("\n")
    return (None if first == "OK" else first), rest.strip()


NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    # The bus socket lives in the (0700) temporary root: let nobody reach it.
    os.chmod(fx.root, 0o711)


def _check_secure_xml(fx, live):
    p = fx.proxy
    what = "live" if live else "inactive"
    xml, _ = virsh(p.uri, "dumpxml", GUEST)
    check("<graphics type='vnc'" in xml and "passwd" not in xml,
          "%s dumpxml without --security-info shows no password: %s" % (what, xml))
    xml, _ = virsh(p.uri, "dumpxml", "--security-info", GUEST)
    check("passwd=\"pw,with'quote\"" in xml or "passwd='pw,with&apos;quote'" in xml,
          "%s dumpxml --security-info on the read-write socket has the password: %s"
          % (what, xml))
    xml, _ = virsh(p.uri_ro, "dumpxml", GUEST, ro=True)
    check("passwd" not in xml, "%s dumpxml on the read-only socket: %s" % (what, xml))
    for flag in ("--security-info", "--migratable"):
        err = virsh_fails(p.uri_ro, "dumpxml", flag, GUEST, ro=True)
        check("operation forbidden: virDomainGetXMLDesc with secure flag" in err, "%s dumpxml %s on the read-only socket: %r" % (what, flag, err))

    path = fx.client.connect("DomainLookupByName", "s", GUEST)
    for dest in ("org.libvirt.qemu", "org.libvirt"):
        name, msg = _call_as(NOBODY, fx, dest, path, DOMAIN, "GetXMLDesc", "u", 0)
        check(name is None and "<graphics type='vnc'" in msg and "passwd" not in msg,
              "GetXMLDesc(0) as nobody on %s: %r %r" % (dest, name, msg))
        for flags in (harness.XML_SECURE, XML_MIGRATABLE, harness.XML_SECURE | 2):
            name, msg = _call_as(NOBODY, fx, dest, path, DOMAIN, "GetXMLDesc", "u", flags)
            check_eq(name, "org.libvirt.Error.OperationDenied",
                     "%s GetXMLDesc(%d) as nobody on %s (%r)" % (what, flags, dest, msg))
            check("passwd" not in msg and "pw,with" not in msg, "the refusal tells nothing")
            if dest == "org.libvirt.qemu":
                check_eq(msg, "operation forbidden: virDomainGetXMLDesc with secure flag",
                         "virtqemud's refusal, in libvirt's words")
        name, msg = _call_as([], fx, dest, path, DOMAIN, "GetXMLDesc", "u", harness.XML_SECURE)
        check(name is None and "pw,with" in msg,
              "%s GetXMLDesc(SECURE) as root on %s: %r %r" % (what, dest, name, msg))
    check(fx.qemud.alive(), "virtqemud alive")


def _daemon_log(fx, d):
    """What @d wrote before (its -d stderr) and after it daemonized."""
    text = ""
    for path in (d.log_path, os.path.join(fx.root, "var", "log", "libvirt", d.name + ".log")):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def test_secure_xml_needs_a_writer(fx):
    vnc = ("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd=\"%s\"/>"
           % PASSWORD)
    fx.client.connect("DomainDefineXML", "s", fx.domain_xml(GUEST, extra_devices=vnc))
    _check_secure_xml(fx, live=False)
    virsh(fx.proxy.uri, "start", GUEST)
    _check_secure_xml(fx, live=True)
    # The password reaches QEMU by QMP: never its command line, and never a
    # log, though every daemon here logs at debug level.
    pids = harness.qemu_pids(fx.root)
    check(pids, "QEMU runs")
    for qpid in pids:
        check(b"pw,with" not in b" ".join(harness.cmdline(qpid)), "password on QEMU's argv")
    log = _daemon_log(fx, fx.qemud)
    check("QMP send: set_password (arguments withheld" in log, "set_password was sent")
    check("cannot set its VNC password" not in log, "QEMU took the password")
    for d in fx.daemons:
        check("pw,with" not in _daemon_log(fx, d), "the password is in %s's log" % d.name)
    qemu_log = os.path.join(fx.root, "var", "log", "libvirt", "qemu", GUEST + ".log")
    with open(qemu_log, errors="replace") as f:
        check("pw,with" not in f.read(), "the password is in QEMU's log")
    virsh(fx.proxy.uri, "destroy", GUEST)


def test_name_too_long_for_a_file(fx):
    """A name whose definition file could not be written is refused with the
    limit named, not with a file system error that shows our paths."""
    p = fx.proxy
    longest = "n" * 244
    xml_path = os.path.join(fx.root, "long.xml")
    for n, ok in ((245, False), (300, False), (244, True)):
        name = "n" * n
        with open(xml_path, "w") as f:
            f.write(fx.domain_xml(name))
        if ok:
            virsh(p.uri, "define", xml_path)
            check(name in virsh(p.uri, "list", "--all", "--name")[0], "%d bytes defined" % n)
            continue
        err = virsh_fails(p.uri, "define", xml_path)
        check("longer than 244 bytes (%d)" % n in err, "define of %d bytes: %r" % (n, err))
        # virsh's own first line names the file it read; the daemon's names none.
        ours = [ln for ln in err.splitlines() if "Failed to define domain from" not in ln]
        check(not any(fx.root in ln or "/etc/" in ln for ln in ours), "no path in %r" % err)
    virsh(p.uri, "undefine", longest)
    check_eq(os.listdir(os.path.join(fx.root, "etc", "libvirt", "qemu")).count(longest + ".xml"),
             0, "the definition file after undefine")


def test_facade_serves_what_it_routes(fx):
    """A Connect method no daemon serves yet is refused by the facade as
    libvirt refuses an unsupported call, not routed to virtqemud to fail
    there; what is routed is in the facade's introspection; libvirt-dbus's
    Domain property SchedulerType is served, on both names."""
    facade = harness.Client(fx.bus.address, dest="org.libvirt")
    fx.clients.append(facade)
    root = harness.QEMU_PATH
    # The facade asks each daemon for its methods when the daemon appears;
    # its merged introspection, asked of the same daemon after, comes back
    # later, so by then the facade knows them.
    intro = facade.introspect(root)
    for method, sig, args in (("GetAllDomainStats", "uu", (0, 0)),
                              ("GetCPUModelNames", "su", ("x86_64", 0)),
                              ("BaselineCPU", "asu", ([], 0)),
                              ("CompareCPU", "su", ("<cpu/>", 0))):
        check("<method name=\"%s\">" % method not in intro, "%s is introspected" % method)
        try:
            facade.connect(method, sig, *args)
            raise harness.Failure("%s succeeded" % method)
        except harness.BusError as e:
            check_eq(e.name, "org.libvirt.Error.NoSupport", "%s through the facade (%s)"
                     % (method, e.message))
            check("this function is not supported by the connection driver" in e.message,
                  "%s: %s" % (method, e.message))
    path = fx.client.connect("DomainLookupByName", "s", GUEST)
    for c in (fx.client, facade):
        check_eq(list(c.get(path, DOMAIN, "SchedulerType")), ["posix", 9],
                 "SchedulerType on %s" % c.dest)


def test_bus_policy_from_the_annotations(fx):
    """The daemons' bus policy is generated from the org.virtstack.ReadOnly
    annotations of api/*.xml: on the daemon's own name a caller other than
    root may call each annotated method and no other; the facade answers
    the same from its table made from the same annotations."""
    import xml.etree.ElementTree as ET
    path = fx.client.connect("DomainLookupByName", "s", GUEST)
    annotated = set()
    for name in os.listdir(os.path.join(harness.SRCDIR, "api")):
        if not name.endswith(".xml"):
            continue
        for iface in ET.parse(os.path.join(harness.SRCDIR, "api", name)).iter("interface"):
            for m in iface.iter("method"):
                if any(a.get("name") == "org.virtstack.ReadOnly" for a in m.iter("annotation")):
                    annotated.add((iface.get("name"), m.get("name")))
    check(("org.libvirt.Domain", "GetState") in annotated, "GetState is annotated")
    check(("org.libvirt.Domain", "Destroy") not in annotated, "Destroy is not")
    for dest in ("org.libvirt.qemu", "org.libvirt"):
        err, _ = _call_as(NOBODY, fx, dest, path, DOMAIN, "GetState", "u", 0)
        check_eq(err, None, "nobody's GetState on %s" % dest)
        err, msg = _call_as(NOBODY, fx, dest, path, DOMAIN, "Destroy", "u", 0)
        check(err in ("org.freedesktop.DBus.Error.AccessDenied",
                      "org.libvirt.Error.OperationDenied", "org.libvirt.Error.AccessDenied"),
              "nobody's Destroy on %s: %s %s" % (dest, err, msg))
    check_eq(fx.client.dom_prop(path, "Active"), False, "the domain after the refused Destroys")
    policy = os.path.join(harness.BUILDDIR, "dbus-policy", "org.libvirt.qemu.conf")
    with open(policy) as f:
        text = f.read()
    allowed = {(i, m) for i, m in
               re.findall(r'send_interface="([\w.]+)" send_member="(\w+)"', text)
               if not i.startswith("org.freedesktop.DBus")}
    check_eq(allowed, annotated, "the generated policy's methods")


def _read_only_answers(sock):
    """(code, message) of each probe procedure called on the read-only
    socket @sock, with well-formed arguments naming a domain that does not
    exist: the read-only check comes before the lookup."""
    import struct
    import uuid as uuidlib
    dom = (proxyfx.xdr_string("nowhere") + uuidlib.uuid4().bytes + struct.pack(">i", -1))
    probes = {
        "virDomainAttachDevice": (8, dom + proxyfx.xdr_string("<disk/>")),
        "virDomainCreate": (9, dom),
        "virDomainManagedSave": (182, dom + struct.pack(">I", 0)),
        "virNodeDeviceGetAutostart": (433, proxyfx.xdr_string("nodev")),
    }
    c = proxyfx.RawClient(path=sock)
    try:
        c.open()
        out = {}
        for api, (proc, payload) in probes.items():
            m = c.call(proc, payload)
            out[api] = proxyfx.error_message(m[5]) if m[4] != proxyfx.OK else "ok"
        return out
    finally:
        c.close()


def test_read_only_refused_first(fx):
    """On the read-only socket every procedure that libvirt counts as
    writing is refused as read-only before anything else: one this proxy
    does not serve as well as one it does, and virNodeDeviceGetAutostart,
    which libvirt 9.0 refuses too. A reading procedure not served answers
    that it is not supported. Debian's libvirtd answers the same."""
    import libvirt
    ours = _read_only_answers(fx.proxy.sock_ro)
    for api, answer in ours.items():
        check_eq(answer, (libvirt.VIR_ERR_OPERATION_DENIED,
                          "operation forbidden: read only access prevents %s" % api),
                 "%s on the read-only socket" % api)
    c = proxyfx.RawClient(path=fx.proxy.sock_ro)
    try:
        c.open()
        import struct
        m = c.call(278, proxyfx.xdr_string("g") + b"\0" * 16 + struct.pack(">i", -1))
        check_eq(proxyfx.error_message(m[5])[0], libvirt.VIR_ERR_NO_SUPPORT,
                 "virDomainGetSecurityLabelList (reads, not served) on the read-only socket")
    finally:
        c.close()

    lv = proxyfx.libvirtd()
    try:
        theirs = _read_only_answers(os.path.join(lv.dir, "sock", "libvirt-sock-ro"))
    finally:
        lv.close()
    check_eq(ours, theirs, "the read-only answers (ours, libvirtd's)")
    harness.log("read-only answers as libvirtd: %r" % theirs)


if __name__ == "__main__":
    harness.main(globals())
