"""Bad input and rude clients: each case gets libvirt's error, and after each
the daemon is alive, still owns its name, and every definition on disk is
byte for byte what it was."""

import os
import shutil
import uuid as uuidlib

import harness
from harness import (check, check_eq, expect_error, qemu_pids, domain_path, BusError,
                     EV_STARTED, EV_STOPPED, ST_SHUTOFF, ST_RUNNING)


def snapshot(fx):
    """Every file under etc/libvirt/qemu (definitions, autostart links); not
    the hidden ones (the journal, spare files made ahead), which hold no
    definition of their own."""
    out = {}
    for dirpath, _, files in os.walk(fx.etc()):
        for f in files:
            if f.startswith("."):
                continue
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, fx.etc())] = (os.readlink(p) if os.path.islink(p)
                                                 else open(p, "rb").read())
    return out


class Guard:
    """Before/after one case: the daemon survived, nothing changed on disk
    (unless the case says what it added), and no guest was left running."""

    def __init__(self, fx):
        self.fx = fx
        self.before = snapshot(fx)
        self.domains = sorted(fx.connect("ListDomains", "u", 0))

    def after(self, what):
        fx = self.fx
        fx.check_alive()
        check_eq(snapshot(fx), self.before, "definitions on disk after " + what)
        check_eq(sorted(fx.connect("ListDomains", "u", 0)), self.domains,
                 "ListDomains after " + what)
        check_eq(qemu_pids(fx.root), [], "qemu processes after " + what)


def setup_keeper(fx):
    if not hasattr(fx, "keeper"):
        fx.keeper = fx.define("keeper")
        fx.client.set(fx.keeper, harness.DOMAIN_IFACE, "Autostart", True)
        # Not started: autostart only matters at daemon start.
    return fx.keeper


def test_malformed_xml(fx):
    setup_keeper(fx)
    g = Guard(fx)
    for bad in ["<domain type='qemu'><name>x</name", "not xml at all", "",
                "<domain type='qemu'><name>x</name><memory>1</memory></domain><extra/>",
                "\x01\x02\x03"]:
        try:
            fx.connect("DomainDefineXML", "s", bad)
        except BusError as e:
            check(e.name in ("org.libvirt.Error.XmlError", "org.libvirt.Error.XmlDetail",
                             "org.libvirt.Error.InvalidArg", "org.freedesktop.DBus.Error.InvalidArgs"),
                  "malformed XML %r: unexpected error %s" % (bad[:30], e))
        else:
            raise harness.Failure("malformed XML %r was accepted" % bad[:30])
    expect_error("XmlDetail", fx.connect, "DomainDefineXML", "s", "<domain type='qemu'><name>x</name")
    # Valid XML that is not a domain, and a domain without a name.
    for bad in ["<network><name>n</name></network>",
                "<domain type='qemu'><memory>131072</memory><os><type>hvm</type></os></domain>"]:
        try:
            fx.connect("DomainDefineXML", "s", bad)
        except BusError as e:
            check(e.name.startswith("org.libvirt.Error."), "not a libvirt error: %s" % e)
        else:
            raise harness.Failure("%r was accepted" % bad)
    g.after("malformed XML")


def test_entity_bomb(fx):
    g = Guard(fx)
    lol = ["<!ENTITY lol0 \"lol\">"] + [
        "<!ENTITY lol%d \"%s\">" % (i, ("&lol%d;" % (i - 1)) * 10) for i in range(1, 10)]
    bomb = ("<?xml version='1.0'?>\n<!DOCTYPE domain [\n%s\n]>\n"
            "<domain type='qemu'><name>&lol9;</name><memory>131072</memory>"
            "<os><type>hvm</type></os></domain>" % "\n".join(lol))
    try:
        fx.connect("DomainDefineXML", "s", bomb)
    except BusError as e:
        check(e.name.startswith("org.libvirt.Error."), "not a libvirt error: %s" % e)
    else:
        raise harness.Failure("the entity bomb was accepted")
    # External entities are not fetched either.
    secret = os.path.join(fx.root, "secret.txt")
    with open(secret, "w") as f:
        f.write("SECRET-CONTENT")
    xxe = ("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://%s'>]>\n"
           "<domain type='qemu'><name>xxe</name><description>&x;</description>"
           "<memory>131072</memory><os><type>hvm</type></os></domain>" % secret)
    try:
        path = fx.connect("DomainDefineXML", "s", xxe)
    except BusError as e:
        check(e.name.startswith("org.libvirt.Error."), "not a libvirt error: %s" % e)
    else:
        xml = fx.domain(path, "GetXMLDesc", "u", 0)
        fx.domain(path, "Undefine", "u", 0)
        check("SECRET-CONTENT" not in xml, "an external entity was expanded")
    rss = int([x for x in open("/proc/%d/status" % fx.qemud.pid) if x.startswith("VmRSS")][0]
              .split()[1])
    check(rss < 200 * 1024, "virtqemud RSS is %d KiB after the entity bomb" % rss)
    g.after("entity bomb")


def test_huge_xml(fx):
    g = Guard(fx)
    # A few megabytes: under the parser's 10 MiB limit, accepted and kept.
    desc = "x" * (4 * 1024 * 1024)
    xml = fx.domain_xml("huge").replace("<memory", "<description>%s</description><memory" % desc, 1)
    path = fx.connect("DomainDefineXML", "s", xml)
    back = fx.domain(path, "GetXMLDesc", "u", 0)
    check(desc in back, "the 4 MiB description did not round-trip")
    fx.domain(path, "Undefine", "u", 0)
    # Over the limit: refused, nothing written.
    desc = "y" * (12 * 1024 * 1024)
    xml = fx.domain_xml("huger").replace("<memory", "<description>%s</description><memory" % desc, 1)
    expect_error("XmlError", fx.connect, "DomainDefineXML", "s", xml)
    g.after("huge XML")


def test_duplicates(fx):
    keeper = setup_keeper(fx)
    g = Guard(fx)
    keeper_uuid = fx.client.dom_prop(keeper, "UUID")
    # Same name, another uuid.
    msg = expect_error("OperationFailed", fx.connect, "DomainDefineXML", "s",
                       fx.domain_xml("keeper", uuid=str(uuidlib.uuid4())))
    check("keeper" in msg and keeper_uuid in msg, "duplicate name message: %r" % msg)
    # Same uuid, another name.
    msg = expect_error("OperationFailed", fx.connect, "DomainDefineXML", "s",
                       fx.domain_xml("other", uuid=keeper_uuid))
    check("keeper" in msg and keeper_uuid in msg, "duplicate uuid message: %r" % msg)
    # The same again for a transient guest.
    expect_error("OperationFailed", fx.connect, "DomainCreateXML", "su",
                 fx.domain_xml("keeper", uuid=str(uuidlib.uuid4())), 0)
    g.after("duplicates")


def test_unknown_domain(fx):
    g = Guard(fx)
    msg = expect_error("NoDomain", fx.connect, "DomainLookupByName", "s", "nope")
    check("nope" in msg, "NoDomain message does not name the domain: %r" % msg)
    u = str(uuidlib.uuid4())
    expect_error("NoDomain", fx.connect, "DomainLookupByUUID", "s", u)
    expect_error("NoDomain", fx.connect, "DomainLookupByID", "i", 4242)
    try:
        fx.domain(domain_path(u), "Create", "u", 0)
    except BusError as e:
        check(e.name in ("org.libvirt.Error.NoDomain", "org.freedesktop.DBus.Error.UnknownObject",
                         "org.freedesktop.DBus.Error.UnknownMethod"),
              "a call on a missing domain object: %s" % e)
    else:
        raise harness.Failure("Create on a missing domain object succeeded")
    try:
        fx.connect("DomainLookupByUUID", "s", "not-a-uuid")
    except BusError as e:
        check(e.name.startswith("org.libvirt.Error."), "bad uuid: %s" % e)
    else:
        raise harness.Failure("DomainLookupByUUID accepted 'not-a-uuid'")
    g.after("unknown domain")


def test_invalid_operations(fx):
    keeper = setup_keeper(fx)
    events = fx.client.domain_events()
    # Suspend, resume, shutdown, destroy of a stopped domain.
    for method, sig, args in [("Suspend", "", ()), ("Resume", "", ()),
                              ("Shutdown", "u", (0,)), ("Destroy", "u", (0,)),
                              ("Reboot", "u", (0,)), ("Reset", "u", (0,))]:
        expect_error("OperationInvalid", fx.domain, keeper, method, sig, *args)
    check_eq(fx.client.state(keeper)[0], ST_SHUTOFF, "state after refused calls")
    # Start a running domain.
    fx.domain(keeper, "Create", "u", 0)
    events.wait_event(keeper, EV_STARTED)
    expect_error("OperationInvalid", fx.domain, keeper, "Create", "u", 0)
    check_eq(fx.client.state(keeper)[0], ST_RUNNING, "state after a second Create")
    check_eq(len(qemu_pids(fx.root)), 1, "qemu processes after a second Create")
    # Undefining a running domain makes it transient (libvirt); keep it.
    fx.domain(keeper, "Destroy", "u", 0)
    events.wait_event(keeper, EV_STOPPED)
    harness.wait_qemu_gone(fx.root, 30)
    fx.check_alive()


def test_client_disconnects_mid_call(fx):
    keeper = setup_keeper(fx)
    events = fx.client.domain_events()
    rude = harness.Client(fx.bus.address)
    # The call is flushed to the socket and the connection closed at once;
    # a start takes QEMU's startup (a few hundred ms) to reply.
    rude.call_async(keeper, harness.DOMAIN_IFACE, "Create", "u", 0)
    rude.conn.flush()
    rude.close()
    # The start goes on without its caller; the daemon survives the
    # undeliverable reply.
    events.wait_event(keeper, EV_STARTED)
    fx.check_alive()
    check_eq(fx.client.state(keeper)[0], ST_RUNNING, "state after the rude client left")
    # Same for a call that waits on the guest (destroy).
    rude = harness.Client(fx.bus.address)
    rude.call_async(keeper, harness.DOMAIN_IFACE, "Destroy", "u", 0)
    rude.conn.flush()
    rude.close()
    events.wait_event(keeper, EV_STOPPED)
    harness.wait_qemu_gone(fx.root, 30)
    fx.check_alive()
    check_eq(fx.client.state(keeper)[0], ST_SHUTOFF, "state after the second rude client")


def start_fails(fx, name, xml, needle, prepare=None):
    """Defines @xml (or sees the define refuse it), starts it, and checks
    that the failure names @needle and leaves nothing behind."""
    g = Guard(fx)
    events = fx.client.domain_events()
    try:
        path = fx.connect("DomainDefineXML", "s", xml)
    except BusError as e:
        # Refused at define time (as libvirt does for some): fine if it
        # names the missing piece.
        check(needle in e.message, "define error does not name %r: %s" % (needle, e))
        g.after(name)
        return
    if prepare:
        prepare()
    try:
        fx.domain(path, "Create", "u", 0)
    except BusError as e:
        check(e.name.startswith("org.libvirt.Error."), "not a libvirt error: %s" % e)
        check(needle in e.message, "start error does not name %r: %s" % (needle, e))
    else:
        raise harness.Failure("%s: the start succeeded" % name)
    check_eq(fx.client.state(path)[0], ST_SHUTOFF, "state after a failed start")
    check_eq(qemu_pids(fx.root), [], "qemu processes after a failed start of " + name)
    run = fx.run_dir()
    if os.path.isdir(run):
        left = [f for f in os.listdir(run) if name in f]
        check_eq(left, [], "runtime files after a failed start of " + name)
    events.flush()
    check(not [e for e in events.events(path) if e[1] == EV_STARTED],
          "a STARTED event for a start that failed")
    fx.domain(path, "Undefine", "u", 0)
    g.after(name)


def test_missing_emulator(fx):
    # Define with an emulator that exists, then remove it: the start fails.
    emu = os.path.join(fx.root, "bin", "qemu-system-x86_64")
    os.makedirs(os.path.dirname(emu), exist_ok=True)
    shutil.copy(harness.QEMU, emu)
    start_fails(fx, "noemu", fx.domain_xml("noemu", emulator=emu), emu,
                prepare=lambda: os.unlink(emu))


def test_missing_emulator_at_define(fx):
    emu = os.path.join(fx.root, "nowhere", "qemu-system-x86_64")
    start_fails(fx, "noemu2", fx.domain_xml("noemu2", emulator=emu), emu)


def test_unknown_machine(fx):
    start_fails(fx, "nomachine", fx.domain_xml("nomachine", machine="pc-nonexistent-9.9"),
                "pc-nonexistent-9.9")


def test_missing_disk(fx):
    disk = os.path.join(fx.root, "missing.img")
    dev = ("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
           "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % disk)
    start_fails(fx, "nodisk", fx.domain_xml("nodisk", extra_devices=dev), disk)


def test_missing_kernel(fx):
    kernel = os.path.join(fx.root, "vmlinuz-missing")
    kernel_real, _ = harness.guest_images()
    xml = fx.domain_xml("nokernel").replace(kernel_real, kernel)
    start_fails(fx, "nokernel", xml, kernel)


def test_still_whole(fx):
    keeper = setup_keeper(fx)
    check_eq(fx.client.dom_prop(keeper, "Autostart"), True, "keeper's autostart")
    check(os.path.isfile(fx.etc("keeper.xml")), "keeper's definition is gone")
    fx.check_alive()


harness.main(globals())
