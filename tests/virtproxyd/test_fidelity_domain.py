"""Domain calls answered as Debian's libvirtd answers them, in the same run
(libvirtd started in a private mount namespace, as bench/proxy_bench.py
starts it): `virsh vcpupin` without arguments prints each vCPU's affinity,
from <vcpu cpuset> and <cputune><vcpupin>, the same through virtproxyd and
through libvirtd; so do `virsh nodecpumap`, virNodeGetCPUMap, nodeinfo
(its memory is the NUMA nodes' added up, as libvirt counts it) and the
security models of the capabilities. Of a running guest, `virsh dommemstat`
reports what the balloon reached and what the guest told it, domblkstat
and the block statistics count a disk's reads, dominfo's
memory follows the balloon, and `virsh vcpuinfo` shows the host CPU each
vCPU last ran on and its affinity, as libvirtd reports them."""

import os
import uuid as uuidlib

import harness
from harness import check, check_eq
import proxyfx
from proxyfx import virsh


NCPUS = os.sysconf("SC_NPROCESSORS_CONF")
LAST = NCPUS - 1

DOMAINS = {
    "pin-none": "<vcpu>2</vcpu>",
    "pin-cpuset": "<vcpu cpuset='%d'>2</vcpu>" % LAST,
    "pin-vcpupin": ("<vcpu>3</vcpu><cputune><vcpupin vcpu='1' cpuset='0'/>"
                    "<vcpupin vcpu='2' cpuset='0-%d'/></cputune>" % LAST),
}


def domain_xml(name, vcpu):
    return """<domain type='qemu'><name>%s</name><uuid>%s</uuid>
  <memory unit='MiB'>64</memory>%s
  <os><type arch='x86_64'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>""" % (
        name, uuidlib.uuid4(), vcpu)


def answers(uri, root):
    import libvirt
    c = libvirt.open(uri)
    out = {"nodecpumap": virsh(uri, "nodecpumap")[0], "getCPUMap": c.getCPUMap(),
           # All but the MHz, which may change between two reads.
           "nodeinfo": [v for i, v in enumerate(c.getInfo()) if i != 3]}
    # The security models of the capabilities, labels by their shape (each
    # side's QEMU user differs: ours is virtqemud.conf's, root here).
    import re
    import xml.etree.ElementTree as ET
    caps = ET.fromstring(c.getCapabilities())
    out["secmodels"] = [
        (m.findtext("model"), m.findtext("doi"),
         [(b.get("type"), bool(re.fullmatch(r"\+\d+:\+\d+", b.text or "")))
          for b in m.findall("baselabel")])
        for m in caps.findall("host/secmodel")]
    try:
        for name, vcpu in DOMAINS.items():
            path = os.path.join(root, name + ".xml")
            with open(path, "w") as f:
                f.write(domain_xml(name, vcpu))
            virsh(uri, "define", path)
            out[name + " virsh"] = virsh(uri, "vcpupin", name)[0]
            out[name + " config"] = [tuple(row) for row in c.lookupByName(name).vcpuPinInfo(
                libvirt.VIR_DOMAIN_AFFECT_CONFIG)]
            try:
                c.lookupByName(name).vcpuPinInfo(libvirt.VIR_DOMAIN_AFFECT_LIVE)
                out[name + " live"] = "ok"
            except libvirt.libvirtError as e:
                out[name + " live"] = e.get_error_code()
    finally:
        for name in DOMAINS:
            try:
                c.lookupByName(name).undefine()
            except libvirt.libvirtError:
                pass
        c.close()
    return out


def _proxy(fx):
    """The test's virtproxyd, started by the first test that needs it."""
    if not getattr(fx, "proxy", None):
        fx.proxy = proxyfx.Proxy(fx, "")
        fx.proxy.start()
    return fx.proxy


def test_vcpupin_as_libvirtd(fx):
    proxy = _proxy(fx)
    ours = answers(proxy.uri, fx.root)
    check_eq(ours["pin-cpuset config"], [(False,) * LAST + (True,)] * 2, "cpuset pins")
    check_eq(ours["pin-vcpupin config"][1], (True,) + (False,) * LAST, "vcpupin 1")
    check_eq(ours["pin-none config"], [(True,) * NCPUS] * 2, "no pins")
    import libvirt
    check_eq(ours["pin-none live"], libvirt.VIR_ERR_OPERATION_INVALID, "live of inactive")
    check_eq([m[0] for m in ours["secmodels"]], ["none", "dac"], "security models")
    check_eq(ours["pin-none virsh"].split(), ["0", "0-%d" % LAST, "1", "0-%d" % LAST],
             "virsh -q vcpupin of an unpinned domain")

    lv = proxyfx.libvirtd()
    try:
        theirs = answers(lv.uri, fx.root)
    finally:
        lv.close()
    for k in ours:
        check_eq(ours[k], theirs[k], "%s (ours, libvirtd's)" % k)
    harness.log("vcpupin as libvirtd: %r" % ours)


def running_answers(uri, root):
    """What a running guest reports of its memory and vCPUs, before and
    after its balloon goes from 128 MiB to 64 MiB; the figures that differ
    from one run to the next (faults, times) by their shape."""
    import libvirt
    import re
    import xml.etree.ElementTree as ET
    name = "balloon-guest"
    c = libvirt.open(uri)
    ev = proxyfx.EventWatcher(uri)
    out = {}
    try:
        disk = os.path.join(root, name + ".img")
        with open(disk, "wb") as f:
            f.truncate(4 << 20)
        d = c.createXML(harness.domain_xml(name, root, serial="none", vcpus=2, extra_devices=(
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % disk)), 0)
        ev.wait(r"lifecycle.*'%s'.*Started" % name)
        out["info memory at start"] = d.info()[2]
        d.setMemory(64 * 1024)
        # The balloon reaches the target once the guest's driver gives the
        # memory back; the guest reported its statistics when that driver
        # started, before.
        ev.wait(r"balloon-change.*'%s'.*: %d" % (name, 64 * 1024))
        stats = d.memoryStats()
        out["memoryStats keys"] = sorted(stats)
        out["actual"] = stats["actual"]
        out["rss is a size"] = stats["rss"] > 0
        out["info memory"] = d.info()[2]
        live = ET.fromstring(d.XMLDesc(0))
        out["live currentMemory"] = int(live.findtext("currentMemory"))
        mem = virsh(uri, "dommemstat", name)[0]
        out["dommemstat names"] = [ln.split()[0] for ln in mem.splitlines() if ln.strip()]
        info, maps = d.vcpus()
        out["vcpus"] = [(n, state, 0 <= cpu < NCPUS, t > 0) for n, state, t, cpu in info]
        out["vcpu maps"] = maps
        text = virsh(uri, "vcpuinfo", name)[0]
        out["vcpuinfo"] = re.sub(r"CPU time:\s+\S+", "CPU time: T",
                                 re.sub(r"(?<!V)CPU:\s+\d+", "CPU: N", text)).split()
        # The guest's kernel read the disk's partition table at boot.
        rd_req, rd_bytes, wr_req, wr_bytes, errs = d.blockStats("vda")
        out["blockStats"] = (rd_req > 0, rd_bytes > 0, wr_req >= 0, wr_bytes >= 0, errs)
        out["blockStats by path"] = d.blockStats(disk)[:2] == (rd_req, rd_bytes)
        flags = d.blockStatsFlags("vda", 0)
        out["blockStatsFlags keys"] = sorted(flags)
        out["blockStatsFlags reads"] = flags["rd_operations"] == rd_req
        out["domblkstat"] = [ln.split()[1] for ln in
                             virsh(uri, "domblkstat", name, "vda")[0].splitlines() if ln.strip()]
        stats = c.domainListGetStats([d], libvirt.VIR_DOMAIN_STATS_BLOCK)[0][1]
        out["block stats"] = (stats["block.count"], stats["block.0.name"], stats["block.0.path"],
                              stats["block.0.rd.reqs"] == rd_req)
        d.destroy()
    finally:
        ev.stop()
        c.close()
    return out


def test_running_guest_as_libvirtd(fx):
    proxy = _proxy(fx)
    ours = running_answers(proxy.uri, fx.root)
    check_eq(ours["actual"], 64 * 1024, "dommemstat actual after the balloon moved")
    check_eq(ours["info memory"], 64 * 1024, "dominfo's memory follows the balloon")
    check_eq(ours["live currentMemory"], 64 * 1024, "the live XML's currentMemory")
    for key in ("last_update", "unused", "available", "usable", "rss"):
        check(key in ours["memoryStats keys"], "%s in dommemstat: %r" % (key, ours))
    check_eq([v[:3] for v in ours["vcpus"]], [(0, 1, True), (1, 1, True)], "vcpuinfo rows")

    lv = proxyfx.libvirtd(proxyfx.GUEST_QEMU_CONF)
    try:
        theirs = running_answers(lv.uri, fx.root)
    finally:
        lv.close()
    for k in ours:
        check_eq(ours[k], theirs[k], "%s (ours, libvirtd's)" % k)
    harness.log("running guest as libvirtd: %r" % ours)


if __name__ == "__main__":
    harness.main(globals())
