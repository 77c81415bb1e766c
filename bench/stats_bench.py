#!/usr/bin/python3
"""Bulk statistics against Debian's libvirtd, in the same run: with N
running TCG test guests (default 20) on each side, python3-libvirt over TCP
times getAllDomainStats() for every stats group (as `virsh domstats` asks)
and for the state group alone, each call on its own; medians and the ratio.

    /usr/bin/python3 bench/stats_bench.py [--builddir DIR] [--guests N]
        [--calls C] [--rounds R] [--no-libvirtd]

libvirtd is started as bench/hotplug_bench.py starts it; our stack is a
private dbus-daemon with virtqemud and virtproxyd under a temporary root.
All guests of a side boot before its clock starts; rounds alternate between
the sides and the best round of each counts."""

import argparse
import os
import statistics
import sys
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "virtproxyd"))
import proxy_bench  # noqa: E402
from proxy_bench import GuestTargets  # noqa: E402


def start_guests(conn, workdir, n, harness):
    doms, logs = [], []
    os.makedirs(os.path.join(workdir, "serial"), exist_ok=True)
    for i in range(n):
        name = "stats-%02d" % i
        doms.append(conn.createXML(harness.domain_xml(name, workdir), 0))
        logs.append(harness.LogWatcher(harness.serial_log_path(workdir, name)))
    for log in logs:
        log.wait_for("GUEST-READY")
        log.close()
    return doms


def timed(fn, calls):
    ms = []
    for _ in range(calls):
        t0 = time.monotonic()
        fn()
        ms.append((time.monotonic() - t0) * 1000)
    return statistics.median(ms)


def measure(target, doms, calls, best):
    import libvirt
    c = libvirt.open(target.uri)
    records = c.getAllDomainStats()
    if len(records) != len(doms):
        raise RuntimeError("%s: %d records for %d guests" % (target.label, len(records),
                                                             len(doms)))
    vals = {
        "all": timed(lambda: c.getAllDomainStats(), calls),
        "state": timed(lambda: c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE), calls),
        "active": timed(lambda: c.getAllDomainStats(
            0, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE), calls),
    }
    c.close()
    for k, v in vals.items():
        print("  %s %.2f ms" % (k, v), file=sys.stderr, flush=True)
        if k not in best or v < best[k]:
            best[k] = v


ROWS = [
    ("getAllDomainStats(), all groups", "all"),
    ("getAllDomainStats(STATE)", "state"),
    ("all groups, ACTIVE filter", "active"),
]


def main():
    import libvirt
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--guests", type=int, default=20)
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3, help="the best round counts")
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", "build"))
    ap.add_argument("--no-libvirtd", action="store_true")
    args = ap.parse_args()
    gt = GuestTargets(os.path.abspath(args.builddir), not args.no_libvirtd, "statsbench-")
    guests = []
    try:
        results = [{} for _ in gt.targets]
        for t in gt.targets:
            print("booting %d guests on %s ..." % (args.guests, t.label), file=sys.stderr,
                  flush=True)
            guests.append(start_guests(libvirt.open(t.uri), t.workdir, args.guests, gt.harness))
        for r in range(args.rounds):
            for t, g, res in zip(gt.targets, guests, results):
                print("round %d/%d: %s" % (r + 1, args.rounds, t.label), file=sys.stderr,
                      flush=True)
                measure(t, g, args.calls, res)
    finally:
        for g in guests:
            for d in g:
                try:
                    d.destroy()
                except libvirt.libvirtError:
                    pass
        gt.close()
    ours = results[0]
    theirs = results[1] if len(results) > 1 else None
    print("%d running TCG guests per side; python3-libvirt %s over TCP on 127.0.0.1; %d CPUs; "
          "load average %.2f" % (args.guests, proxy_bench.libvirt_version(), os.cpu_count(),
                                 os.getloadavg()[0]))
    proxy_bench.print_ratio_table(ROWS, ours, theirs, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
