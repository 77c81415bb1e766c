"""A guest on a storage volume: a qcow2 volume with a
backing file, attached to a TCG guest by <disk type='volume'>; virtqemud
resolves it through virtstoraged's ResolveVolume; the guest writes a marker
to /dev/vda from its shell (pty console); after the guest stops, the marker
is read back from the volume by Download, and the backing file is unchanged.
Then a volume plugged into a running guest (AttachDevice of <disk
type='volume'>), seen by the guest, and unplugged; a volume that is not
there is refused with virtstoraged's error (libvirt's NO_STORAGE_VOL) and
leaves the guest as it was.

Skips (77) with the reason while virtqemud does not call ResolveVolume, or
while the test guest's initramfs has no virtio_blk driver."""

import gzip
import os
import re
import subprocess
import termios
import tty
import struct
import select
import socket
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq

BUS_NAME = "org.libvirt.storage"
PATH = "/org/libvirt/QEMU"
POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
STREAM = "org.virtstack.StorageVolStream"
MiB = 1024 * 1024
MARKER = b"VIRTSTACK-VOLUME-MARKER-0451"
SECTOR = 4096   # where the guest writes it (x 512 bytes: 2 MiB into the disk)


if os.environ.get("GUEST_INITRD"):
    harness._guest.update(KERNEL=os.environ["GUEST_KERNEL"], INITRD=os.environ["GUEST_INITRD"])


def why_skip():
    src = ""
    for d, _, files in os.walk(os.path.join(harness.SRCDIR, "virtqemud")):
        for f in files:
            if f.endswith(".c"):
                with open(os.path.join(d, f), errors="replace") as fh:
                    src += fh.read()
    if "ResolveVolume" not in src:
        return "virtqemud does not resolve <disk type='volume'> through ResolveVolume yet"
    _, initrd = harness.guest_images()
    with gzip.open(initrd) as fh:
        if b"virtio_blk.ko" not in fh.read():
            return ("the test guest has no virtio_blk driver (tests/guest/build-guest.sh: "
                    "add virtio_blk to its modules)")
    return None


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
                select.select([], [], [], 0.05)
    return buf


def download(c, vol, dest):
    fd = c.call(vol, STREAM, "Download", "ttu", 0, 0, 0)
    sock = socket.socket(fileno=fd.take() if hasattr(fd, "take") else os.dup(fd))
    data = b""
    while True:
        b = sock.recv(1 << 20)
        if not b:
            break
        data += b
    sock.close()
    (n,) = struct.unpack(">Q", data[:8])
    check_eq(data[8 + n:], b"OK\n", "download status")
    with open(dest, "wb") as fh:
        fh.write(data[8:8 + n])


def test_guest_writes_to_volume(fx):
    sd = harness.Daemon(fx.root, fx.bus, name="virtstoraged", bus_name=BUS_NAME)
    fx.daemons.append(sd)
    sd.start()
    c = harness.Client(fx.bus.address, dest=BUS_NAME)
    fx.clients.append(c)
    fx.storage = c

    target = os.path.join(fx.root, "pool")
    p = c.call(PATH, "org.libvirt.Connect", "StoragePoolCreateXML", "su",
               "<pool type='dir'><name>guestpool</name><target><path>%s</path></target></pool>"
               % target, 1)
    base = c.call(p, POOL, "StorageVolCreateXML", "su",
                  "<volume><name>base.qcow2</name><capacity unit='MiB'>16</capacity>"
                  "<target><format type='qcow2'/></target></volume>", 0)
    base_path = os.path.join(target, "base.qcow2")
    ov = c.call(p, POOL, "StorageVolCreateXML", "su",
                "<volume><name>disk.qcow2</name><capacity unit='MiB'>16</capacity>"
                "<target><format type='qcow2'/></target><backingStore><path>%s</path>"
                "<format type='qcow2'/></backingStore></volume>" % base_path, 0)
    with open(base_path, "rb") as fh:
        base_before = fh.read()

    disk = ("<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source pool='guestpool' volume='disk.qcow2'/>"
            "<target dev='vda' bus='virtio'/></disk>")
    events = fx.client.domain_events()
    xml = fx.domain_xml("volguest", serial="pty", extra_devices=disk)
    dom = fx.connect("DomainCreateXML", "su", xml, 0)
    events.wait_event(dom, harness.EV_STARTED)
    live = ET.fromstring(fx.domain(dom, "GetXMLDesc", "u", 0))
    src = live.find("./devices/disk/source")
    check(src is not None, "live disk source")
    check_eq(src.get("file") or src.get("path"), os.path.join(target, "disk.qcow2"),
             "live XML shows the volume's path")
    pty = live.find("./devices/serial/source").get("path")

    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd, termios.TCSANOW)
        read_pty_until(fd, rb"GUEST-READY[\s\S]*# ", harness.BOOT_TIMEOUT)
        os.write(fd, b"[ -b /dev/vda ] && echo %s | busybox dd of=/dev/vda bs=512 seek=%d "
                     b"conv=fsync 2>/dev/null && echo WROTE-$((40+2))\r" % (MARKER, SECTOR))
        read_pty_until(fd, rb"WROTE-42", harness.BOOT_TIMEOUT)
    finally:
        os.close(fd)
    fx.domain(dom, "Destroy", "u", 0)
    events.wait_event(dom, harness.EV_STOPPED)

    got = os.path.join(fx.root, "downloaded.qcow2")
    download(c, ov, got)
    raw = os.path.join(fx.root, "downloaded.raw")
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", got, raw], check=True)
    with open(raw, "rb") as fh:
        fh.seek(SECTOR * 512)
        check_eq(fh.read(len(MARKER)), MARKER, "the marker in the downloaded volume")
    with open(base_path, "rb") as fh:
        check(fh.read() == base_before, "the backing file is unchanged")
    c.call(ov, VOL, "Delete", "u", 0)
    c.call(base, VOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")


def test_volume_hotplug(fx):
    c = fx.storage
    target = os.path.join(fx.root, "hotpool")
    p = c.call(PATH, "org.libvirt.Connect", "StoragePoolCreateXML", "su",
               "<pool type='dir'><name>hotpool</name><target><path>%s</path></target></pool>"
               % target, 1)
    vol = c.call(p, POOL, "StorageVolCreateXML", "su",
                 "<volume><name>hot.qcow2</name><capacity unit='MiB'>8</capacity>"
                 "<target><format type='qcow2'/></target></volume>", 0)
    disk = ("<disk type='volume' device='disk'><source pool='hotpool' volume='%s'/>"
            "<target dev='vdb' bus='virtio'/></disk>")
    events = fx.client.domain_events()
    dom = fx.connect("DomainCreateXML", "su", fx.domain_xml("volhot", serial="pty"), 0)
    events.wait_event(dom, harness.EV_STARTED)
    added = fx.client.collect("org.libvirt.Domain", "DeviceAdded", dom)
    removed = fx.client.collect("org.libvirt.Domain", "DeviceRemoved", dom)
    live = ET.fromstring(fx.domain(dom, "GetXMLDesc", "u", 0))
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    try:
        pty.until(rb"GUEST-READY[\s\S]*# ")
        err = harness.expect_error("NoStorageVol", fx.domain, dom, "AttachDevice", "su",
                                   disk % "nope.qcow2", 1)
        check("no storage vol with matching name 'nope.qcow2'" in err, err)
        check_eq(ET.fromstring(fx.domain(dom, "GetXMLDesc", "u", 0)).find("./devices/disk"),
                 None, "a disk after the refused attach")
        fx.domain(dom, "AttachDevice", "su", disk % "hot.qcow2", 1)
        added.wait(what="DeviceAdded")
        src = ET.fromstring(fx.domain(dom, "GetXMLDesc", "u", 0)).find("./devices/disk")
        check_eq(src.find("source").get("file"), os.path.join(target, "hot.qcow2"),
                 "the live disk names the volume's file")
        check_eq(src.find("driver").get("type"), "qcow2", "the volume's format")
        pty.run("n=0; until [ -e /sys/block/vda ] || [ $n -gt 600 ]; do usleep 100000; "
                "n=$((n+1)); done; ls /sys/block; echo V-$((3+4))", rb"vda[\s\S]*\nV-7", 90)
        fx.domain(dom, "DetachDevice", "su", disk % "hot.qcow2", 1)
        removed.wait(what="DeviceRemoved")
    finally:
        pty.close()
    fx.domain(dom, "Destroy", "u", 0)
    events.wait_event(dom, harness.EV_STOPPED)
    c.call(vol, VOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")


if os.path.exists("/bin/busybox") and not os.environ.get("GUEST_INITRD"):
    _reason = why_skip()
    if _reason:
        print("SKIP: %s" % _reason)
        harness.sys.exit(harness.SKIP)
harness.main(globals())
