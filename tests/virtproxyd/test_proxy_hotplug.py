"""Live disks through virtproxyd, with Debian's virsh and python3-libvirt:
`virsh attach-disk` (virDomainAttachDevice) plugs a qcow2 image into a
running TCG guest, which sees it in /sys/block and writes a marker;
`virsh detach-disk` (virDomainDetachDevice) takes it out; --config changes
the persistent definition only; detachDeviceAlias; libvirt's errors for a
disk that is not there, a shut-off guest and the read-only socket. A
python3-libvirt client registered for DEVICE_ADDED, DEVICE_REMOVED,
DEVICE_REMOVAL_FAILED and LIFECYCLE sees each event exactly once, in order,
and a legacy registration sees only DEVICE_REMOVED."""

import os
import select
import struct
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, Failure
import proxyfx
from proxyfx import virsh, virsh_fails

GUEST = "hpguest"
REGISTER_ANY_LEGACY = 167         # REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY
EVENT_DEVICE_REMOVED_LEGACY = 311  # REMOTE_PROC_DOMAIN_EVENT_DEVICE_REMOVED


def xdr_last_string(payload):
    """The last XDR string of a message: {domain, devAlias} ends with it."""
    # dom = name string, uuid[16], id; then the alias string.
    (n,) = struct.unpack(">I", payload[:4])
    off = 4 + n + (-n % 4) + 16 + 4
    (n,) = struct.unpack(">I", payload[off:off + 4])
    return payload[off + 4:off + 4 + n].decode()


class Events:
    """python3-libvirt's event loop in a thread; the events of interest, in
    the order they arrive."""

    def __init__(self, uri):
        import libvirt
        self.lv = libvirt
        libvirt.virEventRegisterDefaultImpl()
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()
        self.conn = libvirt.open(uri)
        self.got = []
        self.cond = threading.Condition()
        E = libvirt
        for ev, cb in ((E.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, self.on_added),
                       (E.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, self.on_removed),
                       (E.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED, self.on_failed),
                       (E.VIR_DOMAIN_EVENT_ID_TRAY_CHANGE, self.on_tray),
                       (E.VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE, self.on_balloon),
                       (E.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, self.on_metadata),
                       (E.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self.on_lifecycle)):
            self.conn.domainEventRegisterAny(None, ev, cb, None)

    def loop(self):
        while not self.stop:
            self.lv.virEventRunDefaultImpl()

    def add(self, item):
        with self.cond:
            self.got.append(item)
            self.cond.notify_all()

    def on_added(self, conn, dom, alias, opaque):
        self.add(("added", dom.name(), alias))

    def on_removed(self, conn, dom, alias, opaque):
        self.add(("removed", dom.name(), alias))

    def on_failed(self, conn, dom, alias, opaque):
        self.add(("removal-failed", dom.name(), alias))

    def on_tray(self, conn, dom, alias, reason, opaque):
        self.add(("tray", dom.name(), alias, reason))

    def on_balloon(self, conn, dom, actual, opaque):
        self.add(("balloon", dom.name(), actual))

    def on_metadata(self, conn, dom, mtype, nsuri, opaque):
        self.add(("metadata", dom.name(), mtype, nsuri))

    def on_lifecycle(self, conn, dom, event, detail, opaque):
        self.add(("lifecycle", dom.name(), event))

    def wait(self, item, timeout=60):
        with self.cond:
            if not self.cond.wait_for(lambda: item in self.got, timeout):
                raise Failure("no event %r; got %r" % (item, self.got))

    def close(self):
        self.conn.close()
        self.stop = True


def guest_pty(uri, name):
    """A running guest's live XML and its pty serial, once the guest's
    shell is there."""
    live = ET.fromstring(virsh(uri, "dumpxml", name)[0])
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    pty.until(rb"GUEST-READY[\s\S]*# ")
    return live, pty


def disk_targets(uri, *flags, name=GUEST):
    root = ET.fromstring(virsh(uri, "dumpxml", name, *flags)[0])
    return [t.get("dev") for t in root.findall("./devices/disk/target")]


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    fx.events = Events(fx.proxy.uri)


def test_disk_hotplug(fx):
    import libvirt
    disk_hotplug(fx, fx.proxy.uri, fx.events, libvirt)


def disk_hotplug(fx, uri, ev, libvirt):
    img = os.path.join(fx.root, "hot.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    xml_path = os.path.join(fx.root, GUEST + ".xml")
    with open(xml_path, "w") as f:
        # A statistics period in the definition: the balloon polls from the start.
        f.write(fx.domain_xml(GUEST, serial="pty").replace(
            "<memballoon model='virtio'/>",
            "<memballoon model='virtio'><stats period='1'/></memballoon>"))
    virsh(uri, "define", xml_path)

    # A shut-off guest has no live definition to change: libvirt's refusal.
    err = virsh_fails(uri, "attach-disk", GUEST, img, "vdb", "--subdriver", "qcow2", "--live")
    check("Requested operation is not valid: domain is not running" in err, err)

    dom = ev.conn.lookupByName(GUEST)
    dom.create()
    ev.wait(("lifecycle", GUEST, libvirt.VIR_DOMAIN_EVENT_STARTED))
    live, pty = guest_pty(uri, GUEST)
    # The guest sends its numbers once when its driver starts; with the
    # period they come again every second. No event says so: ask until the
    # time of the last update moves.
    def last_update():
        out = virsh(uri, "dommemstat", GUEST)[0]
        return dict(ln.split() for ln in out.splitlines() if ln.strip()).get("last_update")
    first, deadline = last_update(), time.monotonic() + 30
    while last_update() in (None, first):
        check(time.monotonic() < deadline, "no new guest statistics with <stats period='1'>")
        select.select([], [], [], 0.2)

    err = virsh_fails(uri, "attach-disk", GUEST, img, "vdb", "--subdriver", "qcow2", ro=True)
    check("operation forbidden: read only access prevents virDomainAttachDevice" in err, err)
    check_eq(disk_targets(uri), [], "live disks after refusals")

    # virsh attach-disk without a flag: the old API, AFFECT_LIVE.
    virsh(uri, "attach-disk", GUEST, img, "vdb", "--subdriver", "qcow2")
    ev.wait(("added", GUEST, "virtio-disk1"))
    check_eq(disk_targets(uri), ["vdb"], "live disks after attach-disk")
    check_eq(disk_targets(uri, "--inactive"), [], "persistent disks after a live attach")
    blk = virsh(uri, "domblklist", GUEST)[0]
    check("vdb" in blk and img in blk, "domblklist: %r" % blk)
    pty.run("n=0; until [ -e /sys/block/vda/dev ] || [ $n -gt 600 ]; do usleep 100000; "
            "n=$((n+1)); done; IFS=: read ma mi < /sys/block/vda/dev && "
            "mknod /dev/hot b $ma $mi && echo PROXY-MARK-7 > /dev/hot && sync && "
            "echo W-$((2+1))", rb"\nW-3", 90)

    err = virsh_fails(uri, "attach-disk", GUEST, img, "vdb", "--subdriver", "qcow2")
    check("target 'vdb' duplicated for disk sources" in err, err)

    # A detach of a disk that is not there: libvirt's DEVICE_MISSING.
    missing = ("<disk type='file' device='disk'><source file='%s'/>"
               "<target dev='vdz' bus='virtio'/></disk>" % img)
    try:
        dom.detachDeviceFlags(missing, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("detach of a missing disk succeeded")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_DEVICE_MISSING, "error code")
        check("disk vdz not found" in str(e), str(e))

    virsh(uri, "detach-disk", GUEST, "vdb")
    ev.wait(("removed", GUEST, "virtio-disk1"))
    check_eq(disk_targets(uri), [], "live disks after detach-disk")
    m = pty.run("ls /sys/block; echo G-$((3+1))", rb"([\s\S]*)\nG-4")
    check(b"vda" not in m.group(1), "the disk is still in the guest: %r" % m.group(1))
    raw = os.path.join(fx.root, "hot.raw")
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", "-U", img, raw],
                   check=True)
    with open(raw, "rb") as f:
        check(f.read(64).startswith(b"PROXY-MARK-7"), "the guest's marker is in the image")

    # --config: the persistent definition only, and no event.
    virsh(uri, "attach-disk", GUEST, img, "vdc", "--subdriver", "qcow2", "--config")
    check_eq(disk_targets(uri, "--inactive"), ["vdc"], "persistent disks after --config")
    check_eq(disk_targets(uri), [], "live disks after --config")
    virsh(uri, "detach-disk", GUEST, "vdc", "--config")
    check_eq(disk_targets(uri, "--inactive"), [], "persistent disks after detach --config")

    # python3-libvirt: attachDeviceFlags, then detachDeviceAlias. A
    # registration filtered on this domain sees its DEVICE_REMOVED; a client
    # of the old protocol (virConnectDomainEventRegisterAny's legacy RPC)
    # gets the legacy message, and no DEVICE_ADDED, as from libvirtd.
    removed_filtered = []
    ev.conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                   lambda c, d, alias, o: removed_filtered.append(alias), None)
    raw = proxyfx.RawClient(fx.proxy.sock)
    raw.open()
    for event_id in (libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                     libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED):
        check_eq(raw.call(REGISTER_ANY_LEGACY, struct.pack(">i", event_id))[4], proxyfx.OK,
                 "legacy registration of event %d" % event_id)
    dom.attachDeviceFlags("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                          "<source file='%s'/><target dev='vdd' bus='virtio'/></disk>" % img,
                          libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("added", GUEST, "virtio-disk3"))
    dom.detachDeviceAlias("virtio-disk3", libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("removed", GUEST, "virtio-disk3"))
    prog, proc, mtype, serial, status, payload = raw.recv()
    check_eq((mtype, proc), (proxyfx.MESSAGE, EVENT_DEVICE_REMOVED_LEGACY), "legacy message")
    check(xdr_last_string(payload) == "virtio-disk3", "legacy message payload %r" % payload)
    raw.s.close()
    pty.close()
    dom.destroy()
    ev.wait(("lifecycle", GUEST, libvirt.VIR_DOMAIN_EVENT_STOPPED))
    check_eq([e for e in ev.got if e[0] != "lifecycle"],
             [("added", GUEST, "virtio-disk1"), ("removed", GUEST, "virtio-disk1"),
              ("added", GUEST, "virtio-disk3"), ("removed", GUEST, "virtio-disk3")],
             "device events, once each and in order")
    check_eq(removed_filtered, ["virtio-disk3"], "DEVICE_REMOVED filtered on the domain")
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", GUEST)


CD = "hpcd"


def cd_source(uri, *flags):
    root = ET.fromstring(virsh(uri, "dumpxml", CD, *flags)[0])
    src = root.find("./devices/disk[@device='cdrom']/source")
    return src.get("file") if src is not None else None


def test_cdrom_media(fx):
    """virsh change-media --update, --eject, --insert on an IDE cdrom of a
    running guest, which reads each medium through its own sr driver;
    TRAY_CHANGE open then close for each change, to python3-libvirt and as
    org.libvirt.Domain.TrayChange on the bus; --config changes the
    persistent definition only; libvirt's refusals."""
    import libvirt
    uri, ev = fx.proxy.uri, fx.events
    media = {}
    for name in ("ONE", "TWO"):
        media[name] = os.path.join(fx.root, "media-%s.iso" % name.lower())
        with open(media[name], "wb") as f:
            f.write(b"MEDIUM-" + name.encode() + b"\n")
            f.truncate(1 << 20)
    xml_path = os.path.join(fx.root, CD + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(CD, serial="pty", extra_modules=True, extra_devices=(
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
            "<source file='%s'/><target dev='hdc' bus='ide'/><readonly/></disk>"
            % media["ONE"])))
    virsh(uri, "define", xml_path)
    path = fx.client.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName",
                          "s", CD)
    trays = fx.client.collect("org.libvirt.Domain", "TrayChange", path)
    virsh(uri, "start", CD)
    live = ET.fromstring(virsh(uri, "dumpxml", CD)[0])
    alias = live.find("./devices/disk[@device='cdrom']/alias").get("name")
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    pty.until(rb"GUEST-READY[\s\S]*# ")
    pty.run("load-extra; n=0; "
            "until [ -e /sys/block/sr0/dev ] || [ $n -gt 600 ]; do usleep 100000; "
            "n=$((n+1)); done; IFS=: read ma mi < /sys/block/sr0/dev && "
            "mknod /dev/cd b $ma $mi && echo C-$((1+1))", rb"\nC-2", 120)

    def guest_reads(tries=50):
        # The guest's first open after a change may fail (the drive reports
        # the change as a unit attention): it retries for up to 5 s. The
        # typed line is echoed: the pattern matches only the output.
        m = pty.run('n=0; until v=$(head -c 10 /dev/cd 2>/dev/null) && [ -n "$v" ] || '
                    '[ $n -ge %d ]; do usleep 100000; n=$((n+1)); done; '
                    'echo "R=${v:-NONE}=R"' % tries, rb"R=([A-Z-]+)=R", 60)
        return m.group(1).decode()

    check("MEDIUM-ONE" in guest_reads(), "the guest reads the first medium")
    tray_events = lambda: [e for e in ev.got if e[0] == "tray" and e[1] == CD]

    virsh(uri, "change-media", CD, "hdc", media["TWO"], "--update")
    ev.wait(("tray", CD, alias, libvirt.VIR_DOMAIN_EVENT_TRAY_CHANGE_CLOSE))
    check_eq(cd_source(uri), media["TWO"], "live source after --update")
    check_eq(cd_source(uri, "--inactive"), media["ONE"], "persistent source after --update")
    got = guest_reads()
    check("MEDIUM-TWO" in got, "the guest reads the second medium: %r" % got)

    virsh(uri, "change-media", CD, "hdc", "--eject")
    check_eq(cd_source(uri), None, "live source after --eject")
    check("MEDIUM" not in guest_reads(tries=3), "the guest reads no medium after --eject")
    virsh(uri, "change-media", CD, "hdc", media["ONE"], "--insert")
    check_eq(cd_source(uri), media["ONE"], "live source after --insert")
    check("MEDIUM-ONE" in guest_reads(), "the guest reads the inserted medium")
    OPEN, CLOSE = (libvirt.VIR_DOMAIN_EVENT_TRAY_CHANGE_OPEN,
                   libvirt.VIR_DOMAIN_EVENT_TRAY_CHANGE_CLOSE)
    check_eq(tray_events(), [("tray", CD, alias, r) for r in (OPEN, CLOSE) * 3],
             "TRAY_CHANGE events, in order")
    # virtproxyd's D-Bus facade (org.libvirt) re-emits them: virtqemud's own.
    qemud = fx.client.conn.get_name_owner("org.libvirt.qemu")
    own = lambda sig: sig.sender == qemud
    trays.wait(own, count=6, what="six TrayChange signals")
    check_eq([tuple(sig.args) for sig in trays.matching(own)],
             [(alias, r) for r in (OPEN, CLOSE) * 3], "TrayChange signals")

    virsh(uri, "change-media", CD, "hdc", media["TWO"], "--update", "--config")
    check_eq(cd_source(uri, "--inactive"), media["TWO"], "persistent source after --config")
    check_eq(cd_source(uri), media["ONE"], "live source after --config")

    dom = ev.conn.lookupByName(CD)
    cd = ("<disk type='file' device='cdrom'><source file='%s'/>"
          "<target dev='%%s' bus='%%s'/></disk>" % media["TWO"])
    for xml, flags, code, text in (
            (cd % ("hdz", "ide"), libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_ERR_INTERNAL_ERROR,
             "disk 'hdz' not found"),
            (cd % ("hdz", "ide"), libvirt.VIR_DOMAIN_AFFECT_CONFIG, libvirt.VIR_ERR_INVALID_ARG,
             "target hdz doesn't exist."),
            (cd % ("hdc", "sata"), libvirt.VIR_DOMAIN_AFFECT_LIVE,
             libvirt.VIR_ERR_OPERATION_UNSUPPORTED, "cannot modify field 'bus' of the disk"),
            (cd % ("hdc", "ide"), 1 << 20, libvirt.VIR_ERR_INVALID_ARG, "unsupported flags"),
            ("<input type='tablet' bus='usb'/>", libvirt.VIR_DOMAIN_AFFECT_LIVE,
             libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
             "live update of device 'input' is not supported"),
            ("<interface type='user'><mac address='52:54:00:00:00:99'/></interface>",
             libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_ERR_DEVICE_MISSING,
             "matching MAC address '52:54:00:00:00:99'")):
        try:
            dom.updateDeviceFlags(xml, flags)
            raise Failure("update %r (flags %#x) succeeded" % (xml, flags))
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, "error code of %r" % xml)
            check(text in str(e), "%s: %s" % (text, e))
    check_eq(cd_source(uri), media["ONE"], "live source after the refusals")
    check_eq(len(tray_events()), 6, "no tray moved for a refusal")
    pty.close()
    virsh(uri, "destroy", CD)
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", CD)


FD = "hpfloppy"


def test_floppy_media(fx):
    """virsh change-media on a floppy drive (a device of its own, with no
    tray): QEMU takes each new medium, as the size it reports for the
    drive (domblkinfo) says; eject and insert; --config only changes the
    definition."""
    uri = fx.proxy.uri
    media = {}
    for name, size in (("big", 1474560), ("small", 737280)):
        media[name] = os.path.join(fx.root, "floppy-%s.img" % name)
        with open(media[name], "wb") as f:
            f.truncate(size)
    xml_path = os.path.join(fx.root, FD + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(FD, extra_devices=(
            "<disk type='file' device='floppy'><driver name='qemu' type='raw'/>"
            "<source file='%s'/><target dev='fda' bus='fdc'/></disk>" % media["big"])))
    virsh(uri, "define", xml_path)
    virsh(uri, "start", FD)

    def capacity():
        out = virsh(uri, "domblkinfo", FD, "fda")[0]
        return dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)["Capacity"].strip()

    def source(*flags):
        root = ET.fromstring(virsh(uri, "dumpxml", FD, *flags)[0])
        src = root.find("./devices/disk[@device='floppy']/source")
        return src.get("file") if src is not None else None

    check_eq(capacity(), "1474560", "the first medium's size")
    virsh(uri, "change-media", FD, "fda", media["small"], "--update")
    check_eq(capacity(), "737280", "QEMU has the second medium")
    check_eq(source(), media["small"], "live source after --update")
    check_eq(source("--inactive"), media["big"], "persistent source after --update")
    virsh(uri, "change-media", FD, "fda", "--eject")
    check_eq(source(), None, "live source after --eject")
    err = virsh_fails(uri, "domblkinfo", FD, "fda")
    check("does not currently have a source assigned" in err, err)
    virsh(uri, "change-media", FD, "fda", media["big"], "--insert")
    check_eq(capacity(), "1474560", "QEMU has the inserted medium")
    virsh(uri, "change-media", FD, "fda", media["small"], "--update", "--config")
    check_eq(source("--inactive"), media["small"], "persistent source after --config")
    check_eq(source(), media["big"], "live source after --config")
    virsh(uri, "destroy", FD)
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", FD)


SER = "hpserial"


def test_serial_hotplug(fx):
    """A pty serial port on a PCI card plugged into a running guest: QEMU
    gives it a pty (in the live XML, and there on the host), the guest sees
    the card (1b36:0002) on its PCI bus, DEVICE_ADDED; the detach takes it
    out, DEVICE_REMOVED. An isa-serial is refused by QEMU in its own words
    and leaves nothing behind."""
    import libvirt
    uri, ev = fx.proxy.uri, fx.events
    xml_path = os.path.join(fx.root, SER + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(SER, serial="pty"))
    virsh(uri, "define", xml_path)
    virsh(uri, "start", SER)
    live, pty = guest_pty(uri, SER)
    dom = ev.conn.lookupByName(SER)
    card = ("for d in /sys/bus/pci/devices/*; do grep -qs 0x1b36 $d/vendor && "
            "grep -qs 0x0002 $d/device && echo $d; done | wc -l | sed 's/^/C=/'")
    try:
        dom.attachDeviceFlags("<serial type='pty'><target type='isa-serial'/></serial>",
                              libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("an isa-serial was plugged")
    except libvirt.libvirtError as e:
        check("does not support hotplugging" in str(e), str(e))
    check_eq(len(ET.fromstring(virsh(uri, "dumpxml", SER)[0]).findall("./devices/serial")), 1,
             "serial ports after the refusal")
    dom.attachDeviceFlags("<serial type='pty'><target type='pci-serial'/></serial>",
                          libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("added", SER, "serial1"))
    serials = ET.fromstring(virsh(uri, "dumpxml", SER)[0]).findall("./devices/serial")
    check_eq(len(serials), 2, "serial ports after attach")
    new = serials[1]
    path = new.find("source").get("path")
    check(path and os.path.exists(path), "the new port's pty: %r" % path)
    check_eq((new.find("target").get("type"), new.find("target").get("port"),
              new.find("address").get("type")), ("pci-serial", "1", "pci"), "the new port")
    n = pty.run("n=0; until [ \"$(%s)\" = C=1 ] || [ $n -gt 600 ]; do usleep 100000; "
                "n=$((n+1)); done; %s" % (card, card), rb"C=(\d)\r?\n", 90).group(1)
    check_eq(n, b"1", "the guest sees the card")
    try:
        dom.detachDeviceFlags("<serial type='pty'><target type='pci-serial' port='7'/></serial>",
                              libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("a port that is not there was detached")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_DEVICE_MISSING, str(e))
    dom.detachDeviceFlags("<serial type='pty'><target type='pci-serial' port='1'/></serial>",
                          libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("removed", SER, "serial1"))
    n = pty.run(card, rb"C=(\d)\r?\n", 30).group(1)
    check_eq(n, b"0", "the card after detach")
    check_eq(len(ET.fromstring(virsh(uri, "dumpxml", SER)[0]).findall("./devices/serial")), 1,
             "serial ports after detach")
    pty.close()
    virsh(uri, "destroy", SER)
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", SER)


MEM = "hpmem"
DIMM = ("<memory model='dimm'><target><size unit='MiB'>%d</size><node>%d</node></target>"
        "</memory>")


def test_memory_hotplug(fx):
    """A 128 MiB dimm plugged into a running guest with <maxMemory slots>
    and a NUMA cell: QEMU places it at 4 GiB, the live XML shows it with
    its slot and base and the total grows, the guest's kernel adds its
    memory block (memory32), DEVICE_ADDED (of the backend, as libvirt).
    The detach: the guest ejects it, DEVICE_REMOVED, the block is gone. With
    the guest's memory hotplug disabled the guest refuses the eject:
    DEVICE_REMOVAL_FAILED, the call fails with libvirt's message, and the
    module stays until a second detach. --config changes the persistent
    definition only; libvirt's refusals for a module too big, a node that
    is not there and a module that is not plugged."""
    import libvirt
    uri, ev = fx.proxy.uri, fx.events
    xml_path = os.path.join(fx.root, MEM + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(MEM, serial="pty", memory_mib=256).replace(
            "</vcpu>", "</vcpu><maxMemory slots='2' unit='MiB'>768</maxMemory>"
            "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>"))
    virsh(uri, "define", xml_path)
    virsh(uri, "start", MEM)
    live, pty = guest_pty(uri, MEM)
    dom = ev.conn.lookupByName(MEM)
    check_eq(dom.maxMemory(), 256 * 1024, "the total before")
    block = ("n=0; until [ %s -e /sys/devices/system/memory/memory32 ] || [ $n -gt 600 ]; "
             "do usleep 100000; n=$((n+1)); done; "
             "ls -d /sys/devices/system/memory/memory32 2>/dev/null | wc -l | sed 's/^/B=/'")

    for xml, code, text in (
            (DIMM % (1024, 0), libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
             "Attaching memory device with size '1048576' would exceed domain's maxMemory "
             "config size '786432'"),
            (DIMM % (128, 3), libvirt.VIR_ERR_XML_DETAIL,
             "can't add memory backend for guest node '3' as the guest has only '1' NUMA "
             "nodes configured")):
        try:
            dom.attachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise Failure("attach of %s succeeded" % xml)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), str(e))
    try:
        dom.detachDeviceFlags(DIMM % (128, 0), libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("detach of a module that is not there succeeded")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_DEVICE_MISSING, str(e))
        check("model 'dimm' memory device not present in the domain configuration" in str(e),
              str(e))

    dimm_file = os.path.join(fx.root, "dimm.xml")
    with open(dimm_file, "w") as f:
        f.write(DIMM % (128, 0))
    virsh(uri, "attach-device", MEM, dimm_file, "--live")
    ev.wait(("added", MEM, "memdimm0"))
    live = ET.fromstring(virsh(uri, "dumpxml", MEM)[0])
    mods = live.findall("./devices/memory")
    check_eq(len(mods), 1, "modules in the live XML")
    addr = mods[0].find("address")
    check_eq((mods[0].find("alias").get("name"), addr.get("type"), addr.get("slot"),
              addr.get("base")), ("dimm0", "dimm", "0", "0x100000000"), "the module's place")
    check_eq(dom.maxMemory(), 384 * 1024, "the total after attach")
    check_eq(ET.fromstring(virsh(uri, "dumpxml", MEM, "--inactive")[0])
             .findall("./devices/memory"), [], "persistent modules after a live attach")
    check_eq(pty.run(block % "", rb"B=(\d)\r?\n", 90).group(1), b"1",
             "the guest's memory block of the module")

    virsh(uri, "detach-device", MEM, dimm_file, "--live")
    ev.wait(("removed", MEM, "dimm0"))
    check_eq(pty.run(block % "!", rb"B=(\d)\r?\n", 90).group(1), b"0",
             "the memory block after detach")
    check_eq(dom.maxMemory(), 256 * 1024, "the total after detach")
    check_eq(ET.fromstring(virsh(uri, "dumpxml", MEM)[0]).findall("./devices/memory"), [],
             "modules after detach")

    # The guest refuses: its ACPI memory hotplug is off.
    virsh(uri, "attach-device", MEM, dimm_file, "--live")
    ev.wait(("added", MEM, "memdimm0"), 90)
    check_eq(pty.run(block % "", rb"B=(\d)\r?\n", 90).group(1), b"1", "the block again")
    pty.run("echo 0 > /sys/firmware/acpi/hotplug/memory/enabled; echo D-$((4+1))",
            rb"\nD-5")
    try:
        dom.detachDeviceFlags(DIMM % (128, 0), libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("the guest's refusal went unnoticed")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_FAILED, str(e))
        check("unplug of device was rejected by the guest" in str(e), str(e))
    ev.wait(("removal-failed", MEM, "dimm0"))
    check_eq(len(ET.fromstring(virsh(uri, "dumpxml", MEM)[0]).findall("./devices/memory")), 1,
             "the refused module stays")
    pty.run("echo 1 > /sys/firmware/acpi/hotplug/memory/enabled; echo E-$((5+1))",
            rb"\nE-6")
    virsh(uri, "detach-device", MEM, dimm_file, "--live")
    ev.wait(("removed", MEM, "dimm0"))

    # --config: the persistent definition only, its total with it.
    virsh(uri, "attach-device", MEM, dimm_file, "--config")
    inactive = ET.fromstring(virsh(uri, "dumpxml", MEM, "--inactive")[0])
    check_eq(len(inactive.findall("./devices/memory")), 1, "persistent modules after --config")
    check_eq(inactive.findtext("memory"), str(384 * 1024), "the persistent total")
    check_eq(ET.fromstring(virsh(uri, "dumpxml", MEM)[0]).findall("./devices/memory"), [],
             "live modules after --config")
    virsh(uri, "detach-device", MEM, dimm_file, "--config")
    check_eq(ET.fromstring(virsh(uri, "dumpxml", MEM, "--inactive")[0])
             .findall("./devices/memory"), [], "persistent modules after detach --config")
    pty.close()
    virsh(uri, "destroy", MEM)
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", MEM)
    mine = [e for e in ev.got if e[0] != "lifecycle" and e[1] == MEM]
    check_eq(mine, [("added", MEM, "memdimm0"), ("removed", MEM, "dimm0"),
                    ("added", MEM, "memdimm0"), ("removal-failed", MEM, "dimm0"),
                    ("removed", MEM, "dimm0")], "module events, once each and in order")


VC = "hpvcpu"


def test_setvcpus(fx):
    """virsh setvcpus --live up to the maximum and back down: the guest's
    kernel brings the plugged vCPU online and sees it leave; vcpucount and
    the live <vcpus> list follow; --config changes the persistent count
    only; libvirt's refusals for above the maximum and for the maximum of a
    running guest. Then dommemstat --period: the balloon polls the guest and
    dommemstat shows what the guest reports."""
    uri = fx.proxy.uri
    xml_path = os.path.join(fx.root, VC + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(VC, serial="pty", vcpus=2).replace(
            "<vcpu>2</vcpu>", "<vcpu current='1'>2</vcpu>"))
    virsh(uri, "define", xml_path)
    virsh(uri, "start", VC)
    live, pty = guest_pty(uri, VC)
    count = lambda *f: virsh(uri, "vcpucount", VC, *f)[0].strip()
    check_eq(count("--live", "--active"), "1", "vcpucount at start")

    err = virsh_fails(uri, "setvcpus", VC, "3", "--live")
    check("requested vcpus is greater than max allowable vcpus for the live domain: 3 > 2"
          in err, err)
    import libvirt
    try:
        fx.events.conn.lookupByName(VC).setVcpusFlags(
            3, libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG |
            libvirt.VIR_DOMAIN_VCPU_MAXIMUM)
        raise Failure("the maximum of a running guest changed")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_UNSUPPORTED, str(e))
        check("maximum vcpu count of a live domain can't be modified" in str(e), str(e))

    virsh(uri, "setvcpus", VC, "2", "--live")
    check_eq(count("--live", "--active"), "2", "vcpucount after setvcpus 2")
    check_eq(count("--config", "--active"), "1", "persistent count after a live setvcpus")
    vcpus = ET.fromstring(virsh(uri, "dumpxml", VC)[0]).findall("./vcpus/vcpu")
    check_eq([(v.get("id"), v.get("enabled"), v.get("hotpluggable")) for v in vcpus],
             [("0", "yes", "no"), ("1", "yes", "yes")], "the live <vcpus> list")
    # The guest's kernel learns of it from ACPI and gets it offline; it is
    # brought up by hand (no udev in the guest).
    pty.run("n=0; until [ -e /sys/devices/system/cpu/cpu1/online ] || [ $n -gt 600 ]; do "
            "usleep 100000; n=$((n+1)); done; echo 1 > /sys/devices/system/cpu/cpu1/online; "
            "echo \"O=$(cat /sys/devices/system/cpu/online)=O\"", rb"O=0-1=O", 90)

    # The guest's kernel takes the vCPU offline itself and lets QEMU eject it.
    virsh(uri, "setvcpus", VC, "1", "--live")
    check_eq(count("--live", "--active"), "1", "vcpucount after setvcpus 1")
    pty.run('echo "O=$(cat /sys/devices/system/cpu/online)=O"', rb"O=0=O", 30)
    virsh(uri, "setvcpus", VC, "1", "--live")  # already so: nothing to do

    # The balloon's statistics period: live, then the guest's own numbers.
    virsh(uri, "dommemstat", VC, "--period", "1", "--live")
    stats = ET.fromstring(virsh(uri, "dumpxml", VC)[0]).find("./devices/memballoon/stats")
    check(stats is not None and stats.get("period") == "1", "live <stats period>")
    check(ET.fromstring(virsh(uri, "dumpxml", VC, "--inactive")[0]).find(
        "./devices/memballoon/stats") is None, "a persistent <stats period> after --live")
    # No event says the guest has sent its first numbers: ask until they come.
    deadline = time.monotonic() + 30
    while "last_update" not in virsh(uri, "dommemstat", VC)[0]:
        check(time.monotonic() < deadline, "no guest statistics after --period 1")
        select.select([], [], [], 0.2)
    mem = dict(line.split() for line in virsh(uri, "dommemstat", VC)[0].splitlines()
               if line.strip())
    check(0 < int(mem.get("unused", 0)) <= int(mem["actual"]), "dommemstat: %r" % mem)
    import libvirt
    try:
        fx.events.conn.lookupByName(VC).setMemoryStatsPeriod(1, 1 << 20)
        raise Failure("setMemoryStatsPeriod took an unknown flag")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_INVALID_ARG, str(e))

    virsh(uri, "setvcpus", VC, "2", "--config")
    check_eq(count("--config", "--active"), "2", "persistent count after --config")
    check_eq(count("--live", "--active"), "1", "live count after --config")
    virsh(uri, "setvcpus", VC, "4", "--config", "--maximum")
    check_eq(count("--config", "--maximum"), "4", "persistent maximum after --maximum")
    pty.close()
    virsh(uri, "destroy", VC)
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", VC)


WD = "hpwatchdog"


def test_watchdog(fx):
    """A watchdog: an ib700 from the definition is on QEMU's command line
    with its action; an i6300esb plugged into the running guest shows up on
    its PCI bus (its device id, 0x25ab), with DEVICE_ADDED, and leaves it
    again on detach, with DEVICE_REMOVED; libvirt's refusals."""
    import libvirt
    uri, ev = fx.proxy.uri, fx.events
    xml_path = os.path.join(fx.root, WD + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(WD, serial="pty", extra_devices=(
            "<watchdog model='ib700' action='poweroff'/>")))
    virsh(uri, "define", xml_path)
    virsh(uri, "start", WD)
    path = fx.client.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName",
                          "s", WD)
    pid = int(fx.client.get(path, "org.virtstack.DomainState", "Pid"))
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        argv = f.read().split(b"\0")
    check(b"ib700,id=watchdog0" in argv and b"watchdog=poweroff" in argv,
          "the ib700 on the command line: %r" % argv)
    live, pty = guest_pty(uri, WD)
    dom = ev.conn.lookupByName(WD)
    esb = "<watchdog model='i6300esb' action='reset'/>"
    for xml, code, text in (
            (esb, libvirt.VIR_ERR_OPERATION_INVALID, "domain already has a watchdog"),):
        try:
            dom.attachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise Failure("attach of %r succeeded" % xml)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    try:
        dom.detachDeviceFlags("<watchdog model='ib700' action='poweroff'/>",
                              libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("an ib700 came out of a running guest")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_UNSUPPORTED, str(e))
        check("hot unplug of watchdog of model ib700 is not supported" in str(e), str(e))
    # --config: the persistent one goes, and an i6300esb is plugged on the next start.
    wd_xml = os.path.join(fx.root, "wd.xml")
    with open(wd_xml, "w") as f:
        f.write("<watchdog model='ib700' action='poweroff'/>")
    virsh(uri, "detach-device", WD, wd_xml, "--config")
    virsh(uri, "destroy", WD)
    harness.wait_pid_exit(pid, 60)
    pty.close()
    virsh(uri, "start", WD)
    live = ET.fromstring(virsh(uri, "dumpxml", WD)[0])
    check(live.find("./devices/watchdog") is None, "no watchdog after the --config detach")
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    pty.until(rb"GUEST-READY[\s\S]*# ")
    dom = ev.conn.lookupByName(WD)
    try:
        dom.attachDeviceFlags("<watchdog model='ib700'/>", libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("an ib700 was plugged")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_UNSUPPORTED, str(e))
        check("hotplug of watchdog of model ib700 is not supported" in str(e), str(e))
    find = ("n=0; until grep -qs 0x25ab /sys/bus/pci/devices/*/device || [ $n -gt 600 ]; do "
            "usleep 100000; n=$((n+1)); done; grep -ls 0x25ab /sys/bus/pci/devices/*/device "
            "| wc -l | sed 's/^/N=/'")
    dom.attachDeviceFlags("<watchdog model='i6300esb' action='inject-nmi'/>",
                          libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("added", WD, "watchdog0"))
    check(pty.run(find, rb"N=(\d)", 90).group(1) == b"1", "the guest sees the i6300esb")
    wd = ET.fromstring(virsh(uri, "dumpxml", WD)[0]).find("./devices/watchdog")
    check_eq((wd.get("model"), wd.get("action"), wd.find("address").get("type")),
             ("i6300esb", "inject-nmi", "pci"), "the live <watchdog>")
    check(ET.fromstring(virsh(uri, "dumpxml", WD, "--inactive")[0]).find(
        "./devices/watchdog") is None, "a persistent watchdog after a live attach")
    try:
        dom.detachDeviceFlags("<watchdog model='i6300esb' action='reset'/>",
                              libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("a watchdog of another action was detached")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_DEVICE_MISSING, str(e))
    dom.detachDeviceFlags("<watchdog model='i6300esb' action='inject-nmi'/>",
                          libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("removed", WD, "watchdog0"))
    gone = pty.run("grep -ls 0x25ab /sys/bus/pci/devices/*/device | wc -l | sed 's/^/G=/'",
                   rb"G=(\d)", 30).group(1)
    check_eq(gone, b"0", "the i6300esb after detach")
    check(ET.fromstring(virsh(uri, "dumpxml", WD)[0]).find("./devices/watchdog") is None,
          "the live <watchdog> after detach")
    pty.close()
    virsh(uri, "destroy", WD)
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", WD)


EV = "hpevents"


def test_events_across_restart(fx):
    """A python3-libvirt client registered through virtproxyd sees each
    event once, in order, while virtqemud is killed with SIGKILL and started
    again twice: DEVICE_ADDED before the first kill, the DEVICE_REMOVED of
    a disk the guest let go of while virtqemud was down, the tray's two
    moves of a media change, the balloon on its way down to a new target
    (BALLOON_CHANGE as QEMU reports it, each value once), a title's and an
    element's METADATA_CHANGE, a memory module the guest refuses to let go
    of (DEVICE_REMOVAL_FAILED, the guest saying it twice) and the lifecycle
    events; none is repeated or made up by the restarts."""
    import libvirt
    from test_hotplug import qmp_unplug
    uri, ev = fx.proxy.uri, fx.events
    img = os.path.join(fx.root, "ev.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    iso = os.path.join(fx.root, "ev.iso")
    with open(iso, "wb") as f:
        f.truncate(1 << 20)
    xml_path = os.path.join(fx.root, EV + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(EV, serial="pty", memory_mib=256, extra_devices=(
            "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
            "<target dev='hdc' bus='ide'/><readonly/></disk>")).replace(
            "</vcpu>", "</vcpu><maxMemory slots='1' unit='MiB'>512</maxMemory>"
            "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>"))
    first = len(ev.got)
    virsh(uri, "define", xml_path)
    virsh(uri, "start", EV)
    live, pty = guest_pty(uri, EV)
    dom = ev.conn.lookupByName(EV)
    dom.attachDeviceFlags("<disk type='file' device='disk'><driver name='qemu' "
                          "type='qcow2'/><source file='%s'/><target dev='vdb' "
                          "bus='virtio'/></disk>" % img, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("added", EV, "virtio-disk1"))
    domid = dom.ID()

    def restart_qemud():
        fx.qemud.kill()
        fx.qemud.start()
        # The proxy learns of the new owner from the bus and reloads its
        # mirror; a call answered by virtqemud says it is back.
        deadline = time.monotonic() + 30
        while True:
            try:
                return ev.conn.lookupByName(EV).info()
            except libvirt.libvirtError:
                check(time.monotonic() < deadline, "virtproxyd never saw virtqemud again")
                select.select([], [], [], 0.05)

    fx.qemud.kill()
    qmp_unplug(fx.run_dir("domain-%d" % domid, "monitor.sock"), "virtio-disk1")
    fx.qemud.start()
    ev.wait(("removed", EV, "virtio-disk1"))
    restart_qemud()
    virsh(uri, "change-media", EV, "hdc", iso, "--insert")
    ev.wait(("tray", EV, "ide0-1-0", libvirt.VIR_DOMAIN_EVENT_TRAY_CHANGE_CLOSE))
    restart_qemud()
    # The balloon's way down, as QEMU tells it, ends at the target.
    dom = ev.conn.lookupByName(EV)
    dom.setMemoryFlags(224 * 1024, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("balloon", EV, 224 * 1024), timeout=90)
    ns = "http://example.org/ev/1"
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_TITLE, "ev", None, None,
                    libvirt.VIR_DOMAIN_AFFECT_LIVE)
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<e/>", "ev", ns,
                    libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("metadata", EV, libvirt.VIR_DOMAIN_METADATA_ELEMENT, ns))
    # After the balloon: an offline module would keep it from its target.
    dom.attachDeviceFlags(DIMM % (128, 0), libvirt.VIR_DOMAIN_AFFECT_LIVE)
    ev.wait(("added", EV, "memdimm0"))
    pty.run("until [ -e /sys/devices/system/memory/memory32 ]; do usleep 100000; done; "
            "echo 0 > /sys/firmware/acpi/hotplug/memory/enabled; echo M-$((6+1))", rb"\nM-7",
            90)
    try:
        dom.detachDeviceFlags(DIMM % (128, 0), libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("the guest's refusal went unnoticed")
    except libvirt.libvirtError as e:
        check("rejected by the guest" in str(e), str(e))
    ev.wait(("removal-failed", EV, "dimm0"))
    restart_qemud()
    check_eq(len(ET.fromstring(virsh(uri, "dumpxml", EV)[0]).findall("./devices/memory")), 1,
             "the refused module after the restart")
    pty.close()
    virsh(uri, "destroy", EV)
    ev.wait(("lifecycle", EV, libvirt.VIR_DOMAIN_EVENT_STOPPED))
    harness.wait_qemu_gone(fx.root)
    virsh(uri, "undefine", EV)
    ev.wait(("lifecycle", EV, libvirt.VIR_DOMAIN_EVENT_UNDEFINED))
    E = libvirt
    mine = [e for e in ev.got[first:] if e[1] == EV]
    balloon = [e[2] for e in mine if e[0] == "balloon"]
    check(balloon and balloon[-1] == 224 * 1024 and
          all(a > b for a, b in zip(balloon, balloon[1:])),
          "BALLOON_CHANGE on the way down, each value once: %r" % balloon)
    # The balloon's steps stand in one place, after the tray.
    at = mine.index(("balloon", EV, balloon[0]))
    mine[at:at + len(balloon)] = [("balloon", EV, "down to", 224 * 1024)]
    check_eq(mine,
             [("lifecycle", EV, E.VIR_DOMAIN_EVENT_DEFINED),
              ("lifecycle", EV, E.VIR_DOMAIN_EVENT_STARTED),
              ("added", EV, "virtio-disk1"),
              ("removed", EV, "virtio-disk1"),
              ("tray", EV, "ide0-1-0", E.VIR_DOMAIN_EVENT_TRAY_CHANGE_OPEN),
              ("tray", EV, "ide0-1-0", E.VIR_DOMAIN_EVENT_TRAY_CHANGE_CLOSE),
              ("balloon", EV, "down to", 224 * 1024),
              ("metadata", EV, E.VIR_DOMAIN_METADATA_TITLE, None),
              ("metadata", EV, E.VIR_DOMAIN_METADATA_ELEMENT, "http://example.org/ev/1"),
              ("added", EV, "memdimm0"),
              ("removal-failed", EV, "dimm0"),
              ("lifecycle", EV, E.VIR_DOMAIN_EVENT_STOPPED),
              ("lifecycle", EV, E.VIR_DOMAIN_EVENT_UNDEFINED)],
             "the events, once each and in order")


def test_proxy_alive(fx):
    fx.events.close()
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
