#!/usr/bin/python3
"""Live disk attach and detach against Debian's libvirtd, in the same run:
python3-libvirt over TCP plugs a qcow2 disk into a running TCG test guest
(attachDeviceFlags, LIVE) and takes it out (detachDeviceFlags, LIVE) N
times (default 20); each call is timed on its own, and so is the whole
cycle up to the DEVICE_REMOVED event; medians and the ratio.

    /usr/bin/python3 bench/hotplug_bench.py [--builddir DIR] [--cycles N]
        [--rounds R] [--no-libvirtd]

libvirtd is started as bench/proxy_bench.py starts it (a private mount
namespace, nothing of the host's state touched), with the qemu.conf lines
its guests need here (no cgroups, QEMU as root); our stack is a private
dbus-daemon with virtqemud and virtproxyd under a temporary root. Each side
runs the same guest (the busybox test guest, built by
tests/guest/build-guest.sh), booted before the clock starts; rounds
alternate between the two and the best round of each counts.

A detach returns once the guest has let go of the disk (QMP
DEVICE_DELETED) on both sides, so the detach time is mostly the guest's:
the ratio that measures the daemons is attach's."""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "virtproxyd"))
import proxy_bench  # noqa: E402
from proxy_bench import GuestTargets  # noqa: E402

GUEST = "hpbench"


class Removed:
    """DEVICE_REMOVED events of one connection, for the waits."""

    def __init__(self, conn):
        import libvirt
        self.cond = threading.Condition()
        self.aliases = []
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                    self.on_removed, None)

    def on_removed(self, conn, dom, alias, opaque):
        with self.cond:
            self.aliases.append(alias)
            self.cond.notify_all()

    def wait(self, count, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.aliases) >= count, timeout):
                raise RuntimeError("no DEVICE_REMOVED after %d" % len(self.aliases))


def start_guest(conn, workdir, harness):
    xml = harness.domain_xml(GUEST, workdir)
    os.makedirs(os.path.join(workdir, "serial"), exist_ok=True)
    dom = conn.createXML(xml, 0)
    log = harness.LogWatcher(harness.serial_log_path(workdir, GUEST))
    log.wait_for("GUEST-READY")
    log.close()
    return dom


def measure(target, workdir, cycles, best):
    import libvirt
    import harness
    c = libvirt.open(target.uri)
    removed = Removed(c)
    img = os.path.join(workdir, "hot.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    disk = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>" % img)
    dom = start_guest(c, workdir, harness)
    attach, detach, cycle = [], [], []
    try:
        for i in range(cycles):
            t0 = time.monotonic()
            dom.attachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            t1 = time.monotonic()
            dom.detachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            t2 = time.monotonic()
            removed.wait(i + 1)
            t3 = time.monotonic()
            attach.append((t1 - t0) * 1000)
            detach.append((t2 - t1) * 1000)
            cycle.append((t3 - t0) * 1000)
    finally:
        dom.destroy()
        c.close()
    vals = {"attach": statistics.median(attach), "detach": statistics.median(detach),
            "cycle": statistics.median(cycle)}
    for k, v in vals.items():
        print("  %s %.1f ms" % (k, v), file=sys.stderr, flush=True)
        if k not in best or v < best[k]:
            best[k] = v


ROWS = [
    ("attachDeviceFlags, median", "attach"),
    ("detachDeviceFlags, median", "detach"),
    ("attach to DEVICE_REMOVED", "cycle"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="the best round counts")
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", "build"))
    ap.add_argument("--no-libvirtd", action="store_true")
    args = ap.parse_args()
    gt = GuestTargets(os.path.abspath(args.builddir), not args.no_libvirtd, "hpbench-")
    try:
        ours, theirs = proxy_bench.run_rounds(
            gt, args.rounds, lambda t, res: measure(t, t.workdir, args.cycles, res))
    finally:
        gt.close()
    print("%d attach+detach cycles of a qcow2 virtio disk on a running TCG guest; "
          "python3-libvirt %s over TCP on 127.0.0.1; %d CPUs; load average %.2f"
          % (args.cycles, proxy_bench.libvirt_version(), os.cpu_count(), os.getloadavg()[0]))
    proxy_bench.print_ratio_table(ROWS, ours, theirs, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
