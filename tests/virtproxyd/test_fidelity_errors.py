"""Refusals carry libvirt's error codes: a matrix of calls that libvirt
refuses (wrong state, unknown names, bad flags, bad XML, transient objects)
made through virtproxyd with python3-libvirt, and the same calls made to
Debian's libvirtd in the same run; each must fail with the same code."""

import os
import re
import uuid as uuidlib

import harness
from harness import check, check_eq
import proxyfx


def attempt(f):
    import libvirt
    try:
        r = f()
        return ("ok", r if isinstance(r, (bool, int, str)) else None)
    except libvirt.libvirtError as e:
        return (e.get_error_code(), e.get_error_message())

def matrix(uri, root):
    import libvirt
    c = libvirt.open(uri)
    out = {}
    pdir = os.path.join(root, "errpool")
    os.makedirs(pdir, exist_ok=True)
    disk = os.path.join(root, "errdisk.img")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    xml = harness.domain_xml("errdom", root, serial="none", extra_devices=(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % disk))
    d = c.defineXML(xml)
    T = lambda k, f: out.__setitem__(k, attempt(f))
    T("destroy inactive", lambda: d.destroy())
    T("suspend inactive", lambda: d.suspend())
    T("resume inactive", lambda: d.resume())
    T("shutdown inactive", lambda: d.shutdown())
    T("reboot inactive", lambda: d.reboot(0))
    T("reset inactive", lambda: d.reset(0))
    T("memstats inactive", lambda: d.memoryStats())
    T("vcpus inactive", lambda: d.vcpus())
    T("blockstats inactive", lambda: d.blockStats("vda"))
    T("ifstats inactive", lambda: d.interfaceStats("vnet0"))
    T("setmem live inactive", lambda: d.setMemoryFlags(65536, libvirt.VIR_DOMAIN_AFFECT_LIVE))
    T("setmem above max", lambda: d.setMemoryFlags(1 << 30, libvirt.VIR_DOMAIN_AFFECT_CONFIG))
    T("setmaxmem live inactive", lambda: d.setMemoryFlags(65536, libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_MEM_MAXIMUM))
    hd = lambda dev, bus="virtio", device="disk": (
        "<disk type='file' device='%s'><driver name='qemu' type='raw'/><source file='%s'/>"
        "<target dev='%s' bus='%s'/></disk>" % (device, disk, dev, bus))
    LIVE, CONFIG = libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG
    T("attach live inactive", lambda: d.attachDeviceFlags(hd("vdb"), LIVE))
    T("attach old api inactive", lambda: d.attachDevice(hd("vdb")))
    T("attach config dup target", lambda: d.attachDeviceFlags(hd("vda"), CONFIG))
    T("attach unknown device", lambda: d.attachDeviceFlags("<bogus/>", CONFIG))
    T("attach malformed", lambda: d.attachDeviceFlags("<disk", CONFIG))
    T("attach bad flags", lambda: d.attachDeviceFlags(hd("vdb"), 1 << 20))
    T("detach config missing", lambda: d.detachDeviceFlags(hd("vdz"), CONFIG))
    T("detach live inactive", lambda: d.detachDeviceFlags(hd("vda"), LIVE))
    T("detach alias inactive", lambda: d.detachDeviceAlias("virtio-disk0", LIVE))
    nic = "<interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/></interface>"
    other_nic = nic.replace("aa:bb:01", "aa:bb:02")
    T("attach net config ok", lambda: d.attachDeviceFlags(nic, CONFIG))
    T("attach net config same mac ok", lambda: d.attachDeviceFlags(nic, CONFIG))
    T("detach net config missing", lambda: d.detachDeviceFlags(other_nic, CONFIG))
    T("detach net config two match", lambda: d.detachDeviceFlags(nic, CONFIG))
    T("attach controller config ok", lambda: d.attachDeviceFlags("<controller type='scsi' index='2' model='virtio-scsi'/>", CONFIG))
    T("attach controller config dup", lambda: d.attachDeviceFlags("<controller type='scsi' index='2' model='virtio-scsi'/>", CONFIG))
    T("detach controller config missing", lambda: d.detachDeviceFlags("<controller type='scsi' index='5'/>", CONFIG))
    T("detach controller config ok", lambda: d.detachDeviceFlags("<controller type='scsi' index='2'/>", CONFIG))
    T("setvcpus config above max", lambda: d.setVcpusFlags(8, CONFIG))
    T("setvcpus live inactive", lambda: d.setVcpusFlags(1, LIVE))
    T("setvcpus bad flags", lambda: d.setVcpusFlags(1, 1 << 20))
    T("setvcpus config ok", lambda: d.setVcpusFlags(1, CONFIG))
    dimm = lambda mib, node=0: ("<memory model='dimm'><target><size unit='MiB'>%d</size>"
                                "<node>%d</node></target></memory>" % (mib, node))
    T("attach dimm config no maxmemory", lambda: d.attachDeviceFlags(dimm(128), CONFIG))
    T("detach dimm config missing", lambda: d.detachDeviceFlags(dimm(128), CONFIG))
    numa = xml.replace("<name>errdom</name>", "<name>errnuma</name>").replace(
        re.search(r"<uuid>(.*)</uuid>", xml).group(1), str(uuidlib.uuid4())).replace(
        "</vcpu>", "</vcpu><maxMemory slots='2' unit='MiB'>512</maxMemory>"
        "<cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/></numa></cpu>")
    T("define maxmemory no numa", lambda: c.defineXML(numa.replace("<cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/></numa></cpu>", "")))
    T("define numa cpus above vcpu", lambda: c.defineXML(numa.replace("cpus='0'", "cpus='0-1'")))
    T("define numa cells apart", lambda: c.defineXML(numa.replace("<cell id='0'", "<cell id='1'")))
    T("define numa no memory", lambda: c.defineXML(numa.replace(" memory='128' unit='MiB'", "")))
    T("define dimm above maxmemory", lambda: c.defineXML(numa.replace("<devices>", "<devices>" + dimm(512))))
    n = c.defineXML(numa)
    T("define numa ok", lambda: n.name())
    T("attach dimm config too big", lambda: n.attachDeviceFlags(dimm(1024), CONFIG))
    T("attach dimm config no node ok", lambda: n.attachDeviceFlags(dimm(128).replace("<node>0</node>", ""), CONFIG))
    T("attach dimm config ok", lambda: n.attachDeviceFlags(dimm(128), CONFIG))
    T("setmaxmem numa", lambda: n.setMemoryFlags(262144, CONFIG | libvirt.VIR_DOMAIN_MEM_MAXIMUM))
    T("detach dimm config ok", lambda: n.detachDeviceFlags(dimm(128), CONFIG))
    attempt(lambda: n.undefine())
    usb_cfg = ("<hostdev mode='subsystem' type='usb'><source><vendor id='0x1d6b'/>"
               "<product id='0x0104'/></source></hostdev>")
    T("attach usb hostdev config ok", lambda: d.attachDeviceFlags(usb_cfg, CONFIG))
    T("attach usb hostdev config dup", lambda: d.attachDeviceFlags(usb_cfg, CONFIG))
    T("detach usb hostdev config ok", lambda: d.detachDeviceFlags(usb_cfg, CONFIG))
    T("detach usb hostdev config missing", lambda: d.detachDeviceFlags(usb_cfg, CONFIG))
    T("update disk config missing", lambda: d.updateDeviceFlags(hd("vdz"), CONFIG))
    T("update disk live inactive", lambda: d.updateDeviceFlags(hd("vda"), LIVE))
    T("update bad flags", lambda: d.updateDeviceFlags(hd("vda"), 1 << 20))
    T("control inactive", lambda: d.controlInfo())
    T("control bad flags", lambda: d.controlInfo(1 << 20))
    T("xml bad flags", lambda: d.XMLDesc(1 << 20))
    T("undefine bad flags", lambda: d.undefineFlags(1 << 20))
    T("create bad flags", lambda: d.createWithFlags(1 << 20))
    T("lookup name", lambda: c.lookupByName("nope"))
    T("lookup uuid", lambda: c.lookupByUUIDString(str(uuidlib.uuid4())))
    T("lookup id", lambda: c.lookupByID(9999))
    T("define malformed", lambda: c.defineXML("<domain"))
    T("define no name", lambda: c.defineXML("<domain type='qemu'><memory>1024</memory><os><type>hvm</type></os></domain>"))
    T("define same name other uuid", lambda: c.defineXML(xml.replace(re.search(r"<uuid>(.*)</uuid>", xml).group(1), str(uuidlib.uuid4()))))
    T("define bad type", lambda: c.defineXML(xml.replace("type='qemu'", "type='xen'", 1)))
    T("define bad memory", lambda: c.defineXML(xml.replace("<memory unit='MiB'>128</memory>", "<memory unit='MiB'>abc</memory>")))
    # CreateXML over the inactive definition starts the given XML; the
    # persistent definition stays as it was.
    given = xml.replace("<name>", "<description>given-live</description><name>", 1)
    uuid = re.search(r"<uuid>(.*)</uuid>", xml).group(1)
    T("createxml over definition ok", lambda: c.createXML(given, 0).name())
    T("persistent after createxml ok", lambda: d.isPersistent())
    T("live xml is the given ok", lambda: "given-live" in d.XMLDesc(0))
    T("inactive xml stays ok", lambda: "given-live" not in d.XMLDesc(
        libvirt.VIR_DOMAIN_XML_INACTIVE))
    T("createxml running", lambda: c.createXML(given, 0))
    attempt(lambda: d.destroy())
    T("createxml other uuid", lambda: c.createXML(given.replace(uuid, str(uuidlib.uuid4())), 0))
    d.create()
    T("create running", lambda: d.create())
    T("resume running", lambda: d.resume())
    T("setmaxmem live running", lambda: d.setMemoryFlags(65536, libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_MEM_MAXIMUM))
    T("setmem live above max", lambda: d.setMemoryFlags(1 << 30, libvirt.VIR_DOMAIN_AFFECT_LIVE))
    T("blockstats running no disk", lambda: d.blockStats("vdz"))
    T("ifstats running no if", lambda: d.interfaceStats("nope0"))
    T("blockstats running ok", lambda: d.blockStats("vda"))
    T("blockstats by path ok", lambda: d.blockStats(disk))
    T("blockstatsflags running no disk", lambda: d.blockStatsFlags("vdz", 0))
    T("blockstatsflags bad flags", lambda: d.blockStatsFlags("vda", 1 << 20))
    T("getvcpus guest flag", lambda: d.vcpusFlags(libvirt.VIR_DOMAIN_VCPU_GUEST))
    T("attach ide live", lambda: d.attachDeviceFlags(hd("hdb", "ide"), LIVE))
    T("attach floppy live", lambda: d.attachDeviceFlags(hd("fda", "fdc", "floppy"), LIVE))
    T("attach virtio cdrom live", lambda: d.attachDeviceFlags(hd("vdc", device="cdrom"), LIVE))
    T("attach dup target live", lambda: d.attachDeviceFlags(hd("vda"), LIVE))
    T("detach live missing", lambda: d.detachDeviceFlags(hd("vdz"), LIVE))
    T("detach alias unknown", lambda: d.detachDeviceAlias("nosuch0", LIVE))
    T("detach net live missing", lambda: d.detachDeviceFlags(other_nic, LIVE))
    T("attach virtio-serial controller live", lambda: d.attachDeviceFlags("<controller type='virtio-serial'/>", LIVE))
    T("attach ps2 input live", lambda: d.attachDeviceFlags("<input type='mouse' bus='ps2'/>", LIVE))
    T("detach input live missing", lambda: d.detachDeviceFlags("<input type='tablet' bus='virtio'/>", LIVE))
    T("detach scsi controller live missing", lambda: d.detachDeviceFlags("<controller type='scsi' index='3'/>", LIVE))
    T("control running ok", lambda: d.controlInfo()[0])
    T("setvcpus live above max", lambda: d.setVcpusFlags(8, LIVE))
    T("setvcpus live maximum", lambda: d.setVcpusFlags(2, LIVE | CONFIG | libvirt.VIR_DOMAIN_VCPU_MAXIMUM))
    usb = ("<hostdev mode='subsystem' type='usb' managed='yes'><source>"
           "<vendor id='0x1d6b'/><product id='0x0104'/></source></hostdev>")
    usb_addr = ("<hostdev mode='subsystem' type='usb'><source>"
                "<address bus='7' device='99'/></source></hostdev>")
    T("attach usb hostdev live missing", lambda: d.attachDeviceFlags(usb, LIVE))
    T("attach usb hostdev by address live missing", lambda: d.attachDeviceFlags(usb_addr, LIVE))
    T("detach usb hostdev live missing", lambda: d.detachDeviceFlags(usb, LIVE))
    T("attach dimm live no maxmemory", lambda: d.attachDeviceFlags(dimm(128), LIVE))
    T("detach dimm live missing", lambda: d.detachDeviceFlags(dimm(128), LIVE))
    T("update disk live missing", lambda: d.updateDeviceFlags(hd("vdz"), LIVE))
    T("update disk live not removable", lambda: d.updateDeviceFlags(hd("vda").replace(disk, disk + "x"), LIVE))
    T("update disk live bus change", lambda: d.updateDeviceFlags(hd("vda", "scsi"), LIVE))
    attempt(lambda: d.destroy())
    tx = harness.domain_xml("errtrans", root, serial="none")
    t = c.createXML(tx, 0)
    T("autostart transient", lambda: t.setAutostart(1))
    T("undefine transient", lambda: t.undefine())
    T("setmem config transient", lambda: t.setMemoryFlags(65536, libvirt.VIR_DOMAIN_AFFECT_CONFIG))
    T("createxml dup name", lambda: c.createXML(tx.replace(re.search(r"<uuid>(.*)</uuid>", tx).group(1), str(uuidlib.uuid4())), 0))
    attempt(lambda: t.destroy())
    # pools
    pxml = "<pool type='dir'><name>errpool</name><target><path>%s</path></target></pool>" % pdir
    p = c.storagePoolDefineXML(pxml, 0)
    T("pool destroy inactive", lambda: p.destroy())
    T("pool refresh inactive", lambda: p.refresh(0))
    T("pool listvols inactive", lambda: p.listVolumes())
    T("pool numvols inactive", lambda: p.numOfVolumes())
    T("pool vol create inactive", lambda: p.createXML("<volume><name>v</name><capacity>1</capacity></volume>", 0))
    T("pool lookup vol inactive", lambda: p.storageVolLookupByName("v"))
    T("pool lookup name", lambda: c.storagePoolLookupByName("nope"))
    T("pool lookup uuid", lambda: c.storagePoolLookupByUUIDString(str(uuidlib.uuid4())))
    T("pool define malformed", lambda: c.storagePoolDefineXML("<pool", 0))
    T("pool define bad type", lambda: c.storagePoolDefineXML(pxml.replace("'dir'", "'bogus'"), 0))
    T("pool build bad flags", lambda: p.build(1 << 20))
    p.create(0)
    T("pool create active", lambda: p.create(0))
    T("pool undefine active", lambda: p.undefine())
    T("pool delete active", lambda: p.delete(0))
    T("vol lookup name", lambda: p.storageVolLookupByName("nope"))
    T("vol lookup path", lambda: c.storageVolLookupByPath("/nonexistent/x"))
    T("vol lookup key", lambda: c.storageVolLookupByKey("/nonexistent/x"))
    v = p.createXML("<volume><name>v1</name><capacity unit='M'>1</capacity></volume>", 0)
    T("vol create dup", lambda: p.createXML("<volume><name>v1</name><capacity unit='M'>1</capacity></volume>", 0))
    T("vol create malformed", lambda: p.createXML("<volume", 0))
    T("vol create bad format", lambda: p.createXML("<volume><name>v2</name><capacity>1</capacity><target><format type='bogus'/></target></volume>", 0))
    T("vol resize shrink", lambda: v.resize(1024, 0))
    T("vol resize bad flags", lambda: v.resize(1 << 30, 1 << 20))
    T("vol wipe bad alg", lambda: v.wipePattern(99, 0))
    T("vol delete bad flags", lambda: v.delete(1 << 20))
    attempt(lambda: v.delete(0))
    attempt(lambda: p.destroy())
    T("pool define same target", lambda: c.storagePoolDefineXML(
        pxml.replace("<name>errpool", "<name>errpool2"), 0))
    T("pool create same target", lambda: c.storagePoolCreateXML(
        pxml.replace("<name>errpool", "<name>errpool2"), 0))
    tdir = os.path.join(root, "errtpool")
    os.makedirs(tdir, exist_ok=True)
    tp = c.storagePoolCreateXML(pxml.replace("<name>errpool", "<name>errtpool").replace(
        pdir, tdir), 0)
    T("pool autostart transient", lambda: tp.setAutostart(1))
    T("pool undefine transient", lambda: tp.undefine())
    attempt(lambda: tp.destroy())
    attempt(lambda: p.undefine())
    attempt(lambda: d.undefine())
    T("net lookup name", lambda: c.networkLookupByName("nope"))
    T("net lookup uuid", lambda: c.networkLookupByUUIDString(str(uuidlib.uuid4())))
    T("net define malformed", lambda: c.networkDefineXML("<network"))
    c.close()
    return out

# Where libvirt 9.0's answer is a bug, not a behaviour: (ours, libvirtd's).
DIFFERENT = {
    # libvirtd reports "disk bus 'ide' cannot be hotplugged." but goes on
    # (qemuDomainAttachDeviceDiskLiveInternal lacks a goto), and QEMU's
    # device_add refusal, an internal error, replaces it. We stop at the
    # refusal, with its code, before QEMU is asked.
    "attach ide live": (84, 1),
}


def test_start(fx):
    for name, bus_name in (("virtstoraged", "org.libvirt.storage"),
                           ("virtnetworkd", "org.libvirt.network")):
        d = harness.Daemon(fx.root, fx.bus, name=name, bus_name=bus_name)
        fx.daemons.append(d)
        d.start()
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()


def test_refusals_as_libvirtd(fx):
    import libvirt
    ours = matrix(fx.proxy.uri, os.path.join(fx.root, "ours"))
    for k, (code, msg) in ours.items():
        check(code != "ok" or k.endswith(" ok"), "%s succeeded" % k)
        check(code == "ok" or not k.endswith(" ok"), "%s failed: %s" % (k, msg))
        check(code != libvirt.VIR_ERR_NO_SUPPORT, "%s is not supported: %s" % (k, msg))
    lv = proxyfx.libvirtd(proxyfx.GUEST_QEMU_CONF)
    try:
        theirs = matrix(lv.uri, os.path.join(fx.root, "theirs"))
    finally:
        lv.close()
    for k, (our_code, their_code) in DIFFERENT.items():
        check_eq((ours.pop(k)[0], theirs.pop(k)[0]), (our_code, their_code), k)
    diff = {k: (ours[k], theirs.get(k)) for k in ours
            if ours[k][0] != theirs.get(k, (None,))[0] or
            (ours[k][0] == "ok" and ours[k] != theirs.get(k))}
    harness.log("refusals: %r" % ours)
    check_eq(diff, {}, "refusals whose code differs (ours, libvirtd's)")


if __name__ == "__main__":
    harness.main(globals())
