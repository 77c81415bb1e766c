"""Disks plugged into a running TCG guest over D-Bus (org.libvirt.Domain
AttachDevice / DetachDevice, org.virtstack.DomainState DetachDeviceAlias):
the guest sees the disk in /sys/block and writes a marker that is in the
qcow2 image after the detach; DeviceAdded and DeviceRemoved are announced
once each; the live definition changes with LIVE only and the persistent one
with CONFIG only; refusals carry libvirt's codes and change nothing."""

import os
import subprocess
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, expect_error

DOMAIN = "org.libvirt.Domain"
STATE = "org.virtstack.DomainState"
LIVE, CONFIG = 1, 2


def disk_xml(path, dev):
    return ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='%s'/><target dev='%s' bus='virtio'/></disk>" % (path, dev))


def targets(fx, path, flags=0):
    root = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", flags))
    return [t.get("dev") for t in root.findall("./devices/disk/target")]


def test_disk_hotplug(fx):
    img = os.path.join(fx.root, "hot.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    path = fx.define("hot", serial="pty")
    added = fx.client.collect(DOMAIN, "DeviceAdded", path)
    removed = fx.client.collect(DOMAIN, "DeviceRemoved", path)
    events = fx.client.domain_events()
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, harness.EV_STARTED)
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    pty.until(rb"GUEST-READY[\s\S]*# ")

    # Refused before anything changes: a disk bus QEMU cannot hotplug, an
    # unknown device, an unknown flag, a disk that is not there.
    err = expect_error("OperationUnsupported", fx.domain, path, "AttachDevice", "su",
                       disk_xml(img, "hdb").replace("bus='virtio'", "bus='ide'"), LIVE)
    check("disk bus 'ide' cannot be hotplugged" in err, err)
    err = expect_error("ConfigUnsupported", fx.domain, path, "AttachDevice", "su",
                       "<bogus/>", LIVE)
    check("unknown device type 'bogus'" in err, err)
    expect_error("InvalidArg", fx.domain, path, "AttachDevice", "su", disk_xml(img, "vdb"), 8)
    err = expect_error("DeviceMissing", fx.domain, path, "DetachDevice", "su",
                       disk_xml(img, "vdc"), LIVE)
    check("disk vdc not found" in err, err)

    fx.domain(path, "AttachDevice", "su", disk_xml(img, "vdb"), LIVE)
    added.wait(lambda s: s.args[0] == "virtio-disk1", what="DeviceAdded virtio-disk1")
    check_eq(targets(fx, path), ["vdb"], "live disks after attach")
    check_eq(targets(fx, path, 2), [], "persistent disks after a LIVE attach")
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    disk = live.find("./devices/disk")
    check_eq(disk.find("alias").get("name"), "virtio-disk1", "alias")
    check(disk.find("address").get("slot") is not None, "the disk has a PCI address")
    check_eq(disk.find("source").get("index"), "1", "block node index")
    err = expect_error("XmlError", fx.domain, path, "AttachDevice", "su",
                       disk_xml(img, "vdb"), LIVE)
    check("target 'vdb' duplicated" in err, err)

    # The guest learns of it from an ACPI event: its shell waits, not us. It
    # names its disks in its own order (its first is vda); its /dev is not
    # kept by udev, so the test makes the node.
    pty.run("n=0; until [ -e /sys/block/vda/dev ] || [ $n -gt 600 ]; do usleep 100000; "
            "n=$((n+1)); done; IFS=: read ma mi < /sys/block/vda/dev && "
            "mknod /dev/hot b $ma $mi && echo HOTPLUG-MARK-42 > /dev/hot && sync && "
            "echo W-$((2+1))", rb"\nW-3", 90)

    fx.domain(path, "DetachDevice", "su", disk_xml(img, "vdb"), LIVE)
    removed.wait(lambda s: s.args[0] == "virtio-disk1", what="DeviceRemoved virtio-disk1")
    check_eq(targets(fx, path), [], "live disks after detach")
    m = pty.run("ls /sys/block; echo G-$((3+1))", rb"([\s\S]*)\nG-4")
    check(b"vda" not in m.group(1), "the disk is still in the guest: %r" % m.group(1))
    raw = os.path.join(fx.root, "hot.raw")
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", "-U", img, raw],
                   check=True)
    with open(raw, "rb") as f:
        check(f.read(64).startswith(b"HOTPLUG-MARK-42"), "the guest's marker is in the image")

    # CONFIG changes only the persistent definition; DetachDeviceAlias.
    fx.domain(path, "AttachDevice", "su", disk_xml(img, "vdc"), CONFIG)
    check_eq(targets(fx, path, 2), ["vdc"], "persistent disks after a CONFIG attach")
    check_eq(targets(fx, path), [], "live disks after a CONFIG attach")
    fx.domain(path, "DetachDevice", "su", disk_xml(img, "vdc"), CONFIG)
    check_eq(targets(fx, path, 2), [], "persistent disks after a CONFIG detach")
    fx.domain(path, "AttachDevice", "su", disk_xml(img, "vdd"), LIVE)
    added.wait(lambda s: s.args[0] == "virtio-disk3", what="DeviceAdded virtio-disk3")
    fx.client.call(path, STATE, "DetachDeviceAlias", "su", "virtio-disk3", LIVE)
    removed.wait(lambda s: s.args[0] == "virtio-disk3", what="DeviceRemoved virtio-disk3")
    check_eq(targets(fx, path), [], "live disks after DetachDeviceAlias")
    check_eq(len(added.matching()), 2, "DeviceAdded signals")
    check_eq(len(removed.matching()), 2, "DeviceRemoved signals")
    pty.close()
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)


def test_controller_and_input(fx):
    """A virtio-scsi controller plugged into a running guest, then a SCSI
    disk on it that the guest's sd driver sees; the controller cannot go
    while the disk is on it, and goes after; a virtio tablet in and out;
    a controller type libvirt does not hotplug is refused."""
    img = os.path.join(fx.root, "scsi.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    path = fx.define("ctl", serial="pty", extra_modules=True)
    added = fx.client.collect(DOMAIN, "DeviceAdded", path)
    removed = fx.client.collect(DOMAIN, "DeviceRemoved", path)
    events = fx.client.domain_events()
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, harness.EV_STARTED)
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    pty.until(rb"GUEST-READY[\s\S]*# ")
    pty.run("load-extra; echo M-$((2+2))",
            rb"\nM-4", 60)

    err = expect_error("OperationUnsupported", fx.domain, path, "AttachDevice", "su",
                       "<controller type='virtio-serial'/>", LIVE)
    check("'virtio-serial' controller cannot be hot plugged." in err, err)
    fx.domain(path, "AttachDevice", "su", "<controller type='scsi' model='virtio-scsi'/>", LIVE)
    added.wait(lambda sig: sig.args[0] == "scsi0", what="DeviceAdded scsi0")
    ctl = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0)).find(
        "./devices/controller[@type='scsi']")
    check(ctl is not None and ctl.get("index") == "0", "the live SCSI controller")
    check(ctl.find("address").get("slot") is not None, "a PCI address for the controller")
    err = expect_error("OperationFailed", fx.domain, path, "AttachDevice", "su",
                       "<controller type='scsi' index='0' model='virtio-scsi'/>", LIVE)
    check("target scsi:0 already exists" in err, err)

    fx.domain(path, "AttachDevice", "su", disk_xml(img, "sda").replace("virtio", "scsi"), LIVE)
    added.wait(lambda sig: sig.args[0] == "scsi0-0-0-0", what="DeviceAdded of the SCSI disk")
    pty.run("n=0; until [ -e /sys/block/sda ] || [ $n -gt 600 ]; do usleep 100000; "
            "n=$((n+1)); done; ls /sys/block; echo S-$((3+3))", rb"sda[\s\S]*\nS-6", 90)
    err = expect_error("OperationFailed", fx.domain, path, "DetachDevice", "su",
                       "<controller type='scsi' index='0'/>", LIVE)
    check("device is busy" in err, err)
    fx.domain(path, "DetachDevice", "su", disk_xml(img, "sda").replace("virtio", "scsi"), LIVE)
    removed.wait(lambda sig: sig.args[0] == "scsi0-0-0-0", what="DeviceRemoved of the disk")
    fx.domain(path, "DetachDevice", "su", "<controller type='scsi' index='0'/>", LIVE)
    removed.wait(lambda sig: sig.args[0] == "scsi0", what="DeviceRemoved scsi0")
    check(ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0)).find(
        "./devices/controller[@type='scsi']") is None, "the controller after its detach")

    fx.domain(path, "AttachDevice", "su", "<input type='tablet' bus='virtio'/>", LIVE)
    tablet = added.wait(lambda sig: sig.args[0].startswith("input"), what="DeviceAdded input")
    alias = tablet[0].args[0]
    check(ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0)).find(
        "./devices/input[@bus='virtio']") is not None, "the live tablet")
    fx.domain(path, "DetachDevice", "su", "<input type='tablet' bus='virtio'/>", LIVE)
    removed.wait(lambda sig: sig.args[0] == alias, what="DeviceRemoved of the tablet")
    err = expect_error("DeviceMissing", fx.domain, path, "DetachDevice", "su",
                       "<input type='tablet' bus='virtio'/>", LIVE)
    check("matching input device not found" in err, err)
    # CONFIG: the persistent definition only.
    fx.domain(path, "AttachDevice", "su", "<controller type='scsi' model='virtio-scsi'/>", CONFIG)
    check(ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 2)).find(
        "./devices/controller[@type='scsi']") is not None, "a persistent SCSI controller")
    pty.close()
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)
    fx.domain(path, "Undefine", "u", 0)


def qmp_unplug(sock_path, alias):
    """device_del of @alias on QEMU's monitor, as a client of our own (the
    monitor is free while virtqemud is down); returns once QEMU says
    DEVICE_DELETED."""
    import json
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(harness.DEFAULT_TIMEOUT)
    s.connect(sock_path)
    f = s.makefile("rwb")

    def send(cmd, **args):
        f.write(json.dumps({"execute": cmd, "arguments": args}).encode() + b"\n")
        f.flush()
    json.loads(f.readline())  # the greeting
    send("qmp_capabilities")
    send("device_del", id=alias)
    while True:
        msg = json.loads(f.readline())
        check("error" not in msg, "QMP: %r" % msg)
        if msg.get("event") == "DEVICE_DELETED" and msg["data"].get("device") == alias:
            break
    s.close()


def test_unplugged_while_away(fx):
    """The guest lets go of a disk while virtqemud is down (SIGKILL): after
    the restart virtqemud finds it gone from QEMU (qom-list), closes its
    nodes, drops it from the live definition and announces DeviceRemoved."""
    img = os.path.join(fx.root, "away.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    path = fx.define("away")
    events = fx.client.domain_events()
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, harness.EV_STARTED)
    fx.serial_log("away").wait_for("GUEST-READY")
    added = fx.client.collect(DOMAIN, "DeviceAdded", path)
    fx.domain(path, "AttachDevice", "su", disk_xml(img, "vdb"), LIVE)
    added.wait(what="DeviceAdded")
    domid = fx.client.dom_prop(path, "Id")
    fx.qemud.kill()
    qmp_unplug(fx.run_dir("domain-%d" % domid, "monitor.sock"), "virtio-disk1")
    removed = fx.client.collect(DOMAIN, "DeviceRemoved", path)
    fx.qemud.start()
    removed.wait(lambda sig: sig.args[0] == "virtio-disk1", what="DeviceRemoved after restart")
    check_eq(targets(fx, path), [], "live disks after the restart")
    check_eq(fx.client.state(path)[0], 1, "state after the restart")
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)
    fx.domain(path, "Undefine", "u", 0)


if __name__ == "__main__":
    harness.main(globals())
