"""Bulk statistics through virtproxyd with python3-libvirt: one
getAllDomainStats call for 20 running TCG guests gives each its groups
(state, cpu, balloon, vcpu, block); one for a thousand definitions
answers while a job holds one of the domains (a detach that waits for a
paused guest), as libvirt's NOWAIT does, and it is the default here."""

import os
import subprocess
import threading

import harness
from harness import check, check_eq
import proxyfx
from proxyfx import virsh

N_RUNNING = 20
N_DEFINED = 1000


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()


def test_twenty_running(fx):
    import libvirt
    c = libvirt.open(fx.proxy.uri)
    doms = []
    try:
        for i in range(N_RUNNING):
            img = os.path.join(fx.root, "bulk%d.qcow2" % i)
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "4M"], check=True)
            doms.append(c.createXML(fx.domain_xml("bulk%02d" % i, extra_devices=(
                "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % img)), 0))
        recs = c.getAllDomainStats(
            libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL |
            libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_VCPU |
            libvirt.VIR_DOMAIN_STATS_BLOCK, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING)
        got = {d.name(): r for d, r in recs}
        check_eq(sorted(got), sorted(d.name() for d in doms), "one record per running guest")
        for name, r in got.items():
            check_eq(r["state.state"], libvirt.VIR_DOMAIN_RUNNING, "%s state" % name)
            check(r["cpu.time"] > 0, "%s cpu.time: %r" % (name, r))
            check_eq(r["balloon.maximum"], 128 * 1024, "%s balloon.maximum" % name)
            check_eq(r["vcpu.current"], 1, "%s vcpu.current" % name)
            check_eq((r["block.count"], r["block.0.name"], r["block.0.capacity"]),
                     (1, "vda", 4 << 20), "%s block group" % name)
    finally:
        for d in doms:
            d.destroy()
        c.close()
    harness.wait_qemu_gone(fx.root)


def test_thousand_not_behind_a_job(fx):
    import libvirt
    c = libvirt.open(fx.proxy.uri)
    names = ["def%04d" % i for i in range(N_DEFINED)]
    for n in names:
        c.defineXML(fx.domain_xml(n, serial="none"))
    img = os.path.join(fx.root, "held.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "4M"], check=True)
    disk = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>" % img)
    held = c.createXML(fx.domain_xml("held", serial="none"), libvirt.VIR_DOMAIN_START_PAUSED)
    held.attachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    # A paused guest cannot let go of the disk: the detach holds the
    # domain's job until libvirt's 5 seconds are over.
    detached = threading.Event()
    detach_started = threading.Event()

    def detach():
        c2 = libvirt.open(fx.proxy.uri)
        d = c2.lookupByName("held")
        detach_started.set()
        d.detachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        detached.set()
        c2.close()

    t = threading.Thread(target=detach, daemon=True)
    t.start()
    detach_started.wait(30)
    # The job is there once a write to the domain is refused as busy.
    while True:
        try:
            held.setSchedulerParametersFlags({"cpu_shares": 1024},
                                             libvirt.VIR_DOMAIN_AFFECT_LIVE)
        except libvirt.libvirtError as e:
            check("job" in str(e) or "busy" in str(e).lower(), str(e))
            break
        check(not detached.is_set(), "the detach ended before its job was seen")
    recs = c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON)
    check(not detached.is_set(), "the bulk call waited for the detach's job")
    got = {d.name(): r for d, r in recs}
    check_eq(len(got), N_DEFINED + 1, "records")
    check_eq(got["held"]["state.state"], libvirt.VIR_DOMAIN_PAUSED, "the busy domain's state")
    check_eq(got["def0999"]["state.state"], libvirt.VIR_DOMAIN_SHUTOFF, "an inactive one")
    t.join(60)
    check(detached.is_set(), "the detach never ended")
    held.destroy()
    for n in names:
        c.lookupByName(n).undefine()
    c.close()
    check_eq(virsh(fx.proxy.uri, "list", "--all", "--name")[0].split(), [], "all gone")


if __name__ == "__main__":
    harness.main(globals())
