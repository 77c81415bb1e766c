"""A guest's whole life over D-Bus: define, start, suspend, resume, reboot,
ACPI shutdown, start, destroy, undefine. Checks the exact DomainEvent
sequence, GetState at each step, ObjectManager and PropertiesChanged
signals, files under the root, the QEMU process, and live vs inactive XML.
A second guest has a pty serial and console, and a shell answers on it."""

import os
import re
import select
import termios
import tty
import xml.etree.ElementTree as ET

import harness
from harness import (check, check_eq, expect_error, domain_path, xml_uuid, qemu_pids,
                     EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_SUSPENDED, EV_RESUMED,
                     EV_STOPPED, EV_SHUTDOWN, ST_RUNNING, ST_PAUSED, ST_SHUTOFF,
                     DOMAIN_IFACE, OM_IFACE, PROPS_IFACE, XML_INACTIVE)

UINT_MAX = 0xFFFFFFFF
# Not anchored: after a reboot the line follows the previous boot's prompt.
MARKER = r"GUEST-READY"


def props_changed(col, path):
    """Merged changed properties of org.libvirt.Domain on @path so far."""
    col.flush()
    out = {}
    for s in col.signals:
        if s.path == path and s.args[0] == DOMAIN_IFACE:
            out.update(s.args[1])
    return out


def test_define_start_suspend_resume_reboot_shutdown_destroy_undefine(fx):
    c = fx.client
    events = c.domain_events()
    om = c.collect(OM_IFACE, None, harness.QEMU_PATH)
    props = c.collect(PROPS_IFACE, "PropertiesChanged")

    xml = fx.domain_xml("life")
    uuid = xml_uuid(xml)
    path = fx.connect("DomainDefineXML", "s", xml)
    check_eq(path, domain_path(uuid), "object path")
    events.wait_event(path, EV_DEFINED, harness.EV_DEFINED_ADDED)
    om.wait(lambda s: s.member == "InterfacesAdded" and s.args[0] == path)
    added = [s for s in om.signals if s.member == "InterfacesAdded"][0]
    check(DOMAIN_IFACE in added.args[1], "InterfacesAdded lacks org.libvirt.Domain")
    check_eq(added.args[1][DOMAIN_IFACE].get("Name"), "life", "InterfacesAdded Name")
    check(os.path.isfile(fx.etc("life.xml")), "no persistent file etc/libvirt/qemu/life.xml")

    check_eq(fx.client.dom_prop(path, "Name"), "life", "Name")
    check_eq(fx.client.dom_prop(path, "UUID"), uuid, "UUID")
    check_eq(fx.client.dom_prop(path, "Active"), False, "Active")
    check_eq(fx.client.dom_prop(path, "Persistent"), True, "Persistent")
    check_eq(fx.client.dom_prop(path, "Id"), UINT_MAX, "Id of an inactive domain")
    check_eq(fx.client.dom_prop(path, "OSType"), "hvm", "OSType")
    check_eq(c.state(path)[0], ST_SHUTOFF, "state after define")
    objs = c.managed_objects()
    check(path in objs and DOMAIN_IFACE in objs[path], "GetManagedObjects lacks the domain")
    check_eq(objs[path][DOMAIN_IFACE]["Name"], "life", "managed object Name")
    check_eq(fx.connect("DomainLookupByName", "s", "life"), path, "DomainLookupByName")
    check_eq(fx.connect("DomainLookupByUUID", "s", uuid), path, "DomainLookupByUUID")

    # Start.
    serial = fx.serial_log("life")
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, EV_STARTED, harness.EV_STARTED_BOOTED)
    check_eq(c.state(path), (ST_RUNNING, 1), "state after Create (running, booted)")
    check_eq(c.dom_prop(path, "Active"), True, "Active after start")
    dom_id = c.dom_prop(path, "Id")
    check(1 <= dom_id < UINT_MAX, "Id of a running domain: %r" % dom_id)
    check_eq(fx.connect("DomainLookupByID", "i", dom_id), path, "DomainLookupByID")
    pids = qemu_pids(fx.root)
    check_eq(len(pids), 1, "qemu processes after start")
    qemu_pid = pids[0]
    check(os.path.isdir(fx.run_dir()) and os.listdir(fx.run_dir()),
          "no live state under run/libvirt/qemu")
    serial.wait_for(MARKER, 1)
    harness.pump(lambda: props_changed(props, path).get("Active") is True, 10,
                 "PropertiesChanged Active=true")
    check_eq(props_changed(props, path).get("Id"), dom_id, "PropertiesChanged Id")

    # Live XML vs inactive XML.
    live = fx.domain(path, "GetXMLDesc", "u", 0)
    inactive = fx.domain(path, "GetXMLDesc", "u", XML_INACTIVE)
    lroot = ET.fromstring(live)
    iroot = ET.fromstring(inactive)
    check_eq(lroot.get("id"), str(dom_id), "<domain id> of the live XML")
    check(iroot.get("id") is None, "inactive XML has an id attribute")
    check(lroot.findall(".//address[@type='pci']"), "live XML has no PCI addresses")
    check(lroot.find(".//memballoon/address[@type='pci']") is not None,
          "the balloon has no PCI address in the live XML")
    check(iroot.find(".//alias") is None, "inactive XML has aliases")
    check(lroot.find(".//serial/alias") is not None, "live XML: serial without alias")

    # Stats while running.
    check_eq(fx.domain(path, "GetVcpus", "u", 0), 1, "GetVcpus")
    stats = fx.domain(path, "GetStats", "uu", harness.STATS_STATE | harness.STATS_BALLOON, 0)
    check_eq(stats.get("state.state"), ST_RUNNING, "GetStats state.state")
    check_eq(stats.get("balloon.maximum"), 128 * 1024, "GetStats balloon.maximum")
    mem = fx.domain(path, "MemoryStats", "u", 0)
    check(isinstance(mem, dict) and mem, "MemoryStats is empty: %r" % mem)

    # Suspend and resume.
    fx.domain(path, "Suspend")
    events.wait_event(path, EV_SUSPENDED, harness.EV_SUSPENDED_PAUSED)
    check_eq(c.state(path), (ST_PAUSED, 1), "state after Suspend (paused, user)")
    fx.domain(path, "Resume")
    events.wait_event(path, EV_RESUMED, harness.EV_RESUMED_UNPAUSED)
    check_eq(c.state(path), (ST_RUNNING, 5), "state after Resume (running, unpaused)")

    # Reboot by ACPI: the guest powers off, the daemon resets it (libvirt's
    # fake reboot), the marker appears again, same process and id.
    reboots = c.collect(DOMAIN_IFACE, "Reboot", path)
    n_before = len(events.events(path))
    fx.domain(path, "Reboot", "u", 0)
    reboots.wait(what="org.libvirt.Domain.Reboot signal")
    serial.wait_for(MARKER, 2)
    events.wait_event(path, EV_RESUMED)
    check_eq(events.events(path)[n_before:],
             [(path, EV_SHUTDOWN, harness.EV_SHUTDOWN_GUEST),
              (path, EV_RESUMED, harness.EV_RESUMED_UNPAUSED)], "events of a reboot")
    check_eq(c.state(path)[0], ST_RUNNING, "state after reboot")
    check_eq(qemu_pids(fx.root), [qemu_pid], "qemu process after reboot")
    check_eq(c.dom_prop(path, "Id"), dom_id, "Id after reboot")

    # Shutdown by ACPI.
    fx.domain(path, "Shutdown", "u", 0)
    events.wait_event(path, EV_STOPPED, harness.EV_STOPPED_SHUTDOWN)
    check_eq(c.state(path), (ST_SHUTOFF, 1), "state after Shutdown (shutoff, shutdown)")
    check_eq(c.dom_prop(path, "Active"), False, "Active after shutdown")
    check_eq(c.dom_prop(path, "Id"), UINT_MAX, "Id after shutdown")
    harness.wait_pid_exit(qemu_pid, 30)
    check_eq(qemu_pids(fx.root), [], "qemu processes after shutdown")
    check("GUEST-POWEROFF" in "\n".join(serial.lines) or serial.count("GUEST-POWEROFF") > 0,
          "the guest did not run its power button handler")

    # Start again, then destroy.
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, EV_STARTED, harness.EV_STARTED_BOOTED)
    serial.wait_for(MARKER, 3)
    id2 = c.dom_prop(path, "Id")
    check(id2 != dom_id and id2 != UINT_MAX, "a new start gets a new id (%r, %r)" % (dom_id, id2))
    pids = qemu_pids(fx.root)
    check_eq(len(pids), 1, "qemu processes after the second start")
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, EV_STOPPED, harness.EV_STOPPED_DESTROYED)
    check_eq(c.state(path), (ST_SHUTOFF, 2), "state after Destroy (shutoff, destroyed)")
    harness.wait_pid_exit(pids[0], 30)
    check_eq(qemu_pids(fx.root), [], "qemu processes after destroy")
    leftovers = [f for f in os.listdir(fx.run_dir()) if "life" in f] \
        if os.path.isdir(fx.run_dir()) else []
    check_eq(leftovers, [], "live state files left after destroy")

    # Undefine.
    fx.domain(path, "Undefine", "u", 0)
    events.wait_event(path, EV_UNDEFINED, harness.EV_UNDEFINED_REMOVED)
    om.wait(lambda s: s.member == "InterfacesRemoved" and s.args[0] == path)
    check(not os.path.exists(fx.etc("life.xml")), "persistent file left after undefine")
    expect_error("NoDomain", fx.connect, "DomainLookupByName", "s", "life")
    check(path not in c.managed_objects(), "GetManagedObjects still lists the domain")

    check_eq(events.events(path), [
        (path, EV_DEFINED, harness.EV_DEFINED_ADDED),
        (path, EV_STARTED, harness.EV_STARTED_BOOTED),
        (path, EV_SUSPENDED, harness.EV_SUSPENDED_PAUSED),
        (path, EV_RESUMED, harness.EV_RESUMED_UNPAUSED),
        (path, EV_SHUTDOWN, harness.EV_SHUTDOWN_GUEST),
        (path, EV_RESUMED, harness.EV_RESUMED_UNPAUSED),
        (path, EV_SHUTDOWN, harness.EV_SHUTDOWN_GUEST),
        (path, EV_STOPPED, harness.EV_STOPPED_SHUTDOWN),
        (path, EV_STARTED, harness.EV_STARTED_BOOTED),
        (path, EV_STOPPED, harness.EV_STOPPED_DESTROYED),
        (path, EV_UNDEFINED, harness.EV_UNDEFINED_REMOVED),
    ], "the whole DomainEvent sequence")

    # Active went true, false, true, false in PropertiesChanged (a signal
    # may repeat an unchanged value; the transitions are what count).
    actives = [False]
    for s in props.signals:
        if s.path == path and s.args[0] == DOMAIN_IFACE and "Active" in s.args[1]:
            if s.args[1]["Active"] != actives[-1]:
                actives.append(s.args[1]["Active"])
    check_eq(actives, [False, True, False, True, False], "Active transitions in PropertiesChanged")
    fx.check_alive()


def read_pty_until(fd, pattern, timeout):
    buf = b""
    deadline = harness.time.monotonic() + timeout
    while not re.search(pattern, buf):
        left = deadline - harness.time.monotonic()
        if left <= 0:
            raise harness.Failure("timed out waiting for %r on the pty; got %r"
                                  % (pattern, buf[-300:]))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                # EIO while QEMU has not connected its side yet.
                select.select([], [], [], 0.05)
    return buf


def test_pty_console(fx):
    c = fx.client
    events = c.domain_events()
    xml = fx.domain_xml("ptyguest", serial="pty", console_pty=True, vnc=True)
    path = fx.connect("DomainCreateXML", "su", xml, 0)
    events.wait_event(path, EV_STARTED)
    check_eq(c.dom_prop(path, "Persistent"), False, "Persistent of a DomainCreateXML guest")
    check(not os.path.exists(fx.etc("ptyguest.xml")), "a transient guest was written to etc")

    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    src = live.find("./devices/serial/source")
    check(src is not None, "live XML: serial without <source>")
    pty = src.get("path")
    check(pty and re.match(r"^/dev/pts/\d+$", pty), "serial pty path %r" % pty)
    check(os.path.exists(pty), "pty %s does not exist" % pty)
    con = live.find("./devices/console/source")
    check(con is not None and con.get("path") == pty, "console shares the serial's pty")
    g = live.find("./devices/graphics")
    check(g is not None and g.get("port") and int(g.get("port")) >= 5900,
          "VNC port chosen for autoport: %r" % (g.attrib if g is not None else None))
    inactive = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", XML_INACTIVE))
    check(inactive.find("./devices/serial/source") is None,
          "inactive XML carries the pty path")

    # Talk to the guest's shell over the pty: the kernel keeps what we type
    # until the shell reads it.
    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd, termios.TCSANOW)
        # Type only once the shell prompts: input that arrives while the
        # guest boots is not kept.
        read_pty_until(fd, rb"GUEST-READY[\s\S]*# ", harness.BOOT_TIMEOUT)
        os.write(fd, b"echo PTY-$((6*7))\r")
        read_pty_until(fd, rb"PTY-42", harness.BOOT_TIMEOUT)
    finally:
        os.close(fd)

    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, EV_STOPPED, harness.EV_STOPPED_DESTROYED)
    # A transient guest vanishes when it stops.
    expect_error("NoDomain", fx.connect, "DomainLookupByName", "s", "ptyguest")
    check_eq(events.events(path), [(path, EV_STARTED, harness.EV_STARTED_BOOTED),
                                   (path, EV_STOPPED, harness.EV_STOPPED_DESTROYED)],
             "events of a transient guest")
    check_eq(qemu_pids(fx.root), [], "qemu processes left")
    fx.check_alive()


harness.main(globals())
