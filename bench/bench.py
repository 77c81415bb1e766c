#!/usr/bin/python3
"""virtqemud benchmark (not a test; meson does not run it).

  /usr/bin/python3 bench/bench.py [--builddir DIR] [--rounds N] [--defs N] [floor|daemon ...]

floor   bare QEMU, the floor for a start: QEMU with -S and a QMP socket we
        pass it already listening, measured from spawn to the reply of
        `cont` (QMP greeting and qmp_capabilities on the way); then the
        time from SIGTERM to its exit.
daemon  virtqemud on a private bus under a temporary root:
        - define and undefine N (1000) domains, each batch timed;
        - DomainCreateXML of the test guest: to the reply and to the STARTED
          event; Destroy: to the reply and to the STOPPED event;
        - VmRSS of the daemon idle and with N inactive definitions.

Each timing is repeated --rounds (20) times; medians are printed, with the
minimum and maximum. Guests are the TCG test guest (tests/guest/).
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import json
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))


def ms(x):
    return "%.1f ms" % (x * 1000)


def summary(name, samples):
    med = statistics.median(samples)
    print("%-40s median %10s   min %10s   max %10s   (n=%d)"
          % (name, ms(med), ms(min(samples)), ms(max(samples)), len(samples)))
    sys.stdout.flush()
    return med


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- floor

class Qmp:
    def __init__(self, sock):
        self.sock = sock
        self.f = sock.makefile("rwb", buffering=0)

    def read(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def command(self, name):
        self.f.write(json.dumps({"execute": name}).encode() + b"\n")
        while True:
            msg = self.read()
            if "event" in msg:
                continue
            if "error" in msg:
                raise RuntimeError("QMP %s: %s" % (name, msg["error"]))
            return msg["return"]


def floor_round(kernel, initrd, tmp):
    path = os.path.join(tmp, "qmp.sock")
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    fd = listener.fileno()
    os.set_inheritable(fd, True)
    argv = ["qemu-system-x86_64", "-accel", "tcg", "-m", "128", "-S", "-nodefaults",
            "-no-shutdown", "-display", "none", "-serial", "none", "-monitor", "none",
            "-chardev", "socket,id=mon,fd=%d,server=on,wait=off" % fd,
            "-mon", "chardev=mon,mode=control",
            "-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 quiet panic=-1"]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, pass_fds=(fd,), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    listener.close()
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)  # queued in the backlog until QEMU accepts
        q = Qmp(s)
        q.read()  # greeting: QMP is ready
        t_qmp = time.monotonic()
        q.command("qmp_capabilities")
        q.command("cont")
        t_cont = time.monotonic()
        t1 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        t_exit = time.monotonic()
        s.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, -signal.SIGTERM):
        raise RuntimeError("qemu exited %s: %s" % (proc.returncode, proc.stderr.read()))
    proc.stderr.close()
    return t_qmp - t0, t_cont - t0, t_exit - t1


def bench_floor(rounds):
    import harness
    kernel, initrd = harness.guest_images()
    tmp = tempfile.mkdtemp(prefix="bench-floor-", dir="/tmp")
    try:
        qmp, cont, stop = [], [], []
        floor_round(kernel, initrd, tmp)  # warm the page cache
        for _ in range(rounds):
            a, b, c = floor_round(kernel, initrd, tmp)
            qmp.append(a)
            cont.append(b)
            stop.append(c)
        print("== bare QEMU (the floor)")
        summary("spawn -> QMP greeting", qmp)
        summary("spawn -> cont reply (start floor)", cont)
        summary("SIGTERM -> exit (destroy floor)", stop)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- daemon

def bench_daemon(rounds, n_defs):
    import harness
    harness.guest_images()
    fx = harness.Fixture()
    try:
        fx.qemud.verbose = False
        # Restart without -v: debug logging is not what we measure.
        fx.qemud.stop()
        fx.qemud.start()
        c = fx.client
        pid = fx.qemud.pid
        print("== virtqemud (%s), root %s" % (fx.qemud.binary, fx.root))

        rss_idle = rss_kib(pid)
        define_t, undefine_t = [], []
        batches = max(3, rounds // 5)
        xmls = [harness.domain_xml("bench-%04d" % i, fx.root, serial="none")
                for i in range(n_defs)]
        rss_full = None
        for b in range(batches):
            t0 = time.monotonic()
            paths = [c.connect("DomainDefineXML", "s", x) for x in xmls]
            define_t.append(time.monotonic() - t0)
            if rss_full is None:
                rss_full = rss_kib(pid)
            t0 = time.monotonic()
            for p in paths:
                c.domain(p, "Undefine", "u", 0)
            undefine_t.append(time.monotonic() - t0)
        summary("define %d domains (batch)" % n_defs, define_t)
        summary("undefine %d domains (batch)" % n_defs, undefine_t)
        print("%-40s %10s" % ("define, per domain (median batch)",
                              ms(statistics.median(define_t) / n_defs)))
        print("%-40s %10s" % ("undefine, per domain (median batch)",
                              ms(statistics.median(undefine_t) / n_defs)))
        print("%-40s %7d KiB" % ("VmRSS idle", rss_idle))
        print("%-40s %7d KiB" % ("VmRSS with %d inactive definitions" % n_defs, rss_full))
        print("%-40s %8.2f KiB" % ("per definition", (rss_full - rss_idle) / n_defs))
        sys.stdout.flush()

        events = c.domain_events()
        xml = harness.domain_xml("bench-guest", fx.root, serial="none")
        to_reply, to_event, d_reply, d_event = [], [], [], []
        for _ in range(rounds + 1):
            seen = len(events.signals)
            t0 = time.monotonic()
            p = c.call_async(harness.QEMU_PATH, harness.CONNECT_IFACE, "DomainCreateXML",
                             "su", xml, 0)
            t_reply = [None]
            t_event = [None]

            def started():
                events.flush()
                for s in events.signals[seen:]:
                    if s.args[1] == harness.EV_STARTED and t_event[0] is None:
                        t_event[0] = time.monotonic()
                if p.done and t_reply[0] is None:
                    t_reply[0] = time.monotonic()
                return t_reply[0] is not None and t_event[0] is not None
            harness.pump(started, 120, "the start")
            path = p.wait()
            to_reply.append(t_reply[0] - t0)
            to_event.append(t_event[0] - t0)

            seen = len(events.signals)
            t0 = time.monotonic()
            p = c.call_async(path, harness.DOMAIN_IFACE, "Destroy", "u", 0)
            t_reply[0] = t_event[0] = None

            def stopped():
                events.flush()
                for s in events.signals[seen:]:
                    if s.args[1] == harness.EV_STOPPED and t_event[0] is None:
                        t_event[0] = time.monotonic()
                if p.done and t_reply[0] is None:
                    t_reply[0] = time.monotonic()
                return t_reply[0] is not None and t_event[0] is not None
            harness.pump(stopped, 120, "the destroy")
            p.wait()
            d_reply.append(t_reply[0] - t0)
            d_event.append(t_event[0] - t0)
            harness.wait_qemu_gone(fx.root, 30)
        # The first round warms caches (capabilities, page cache).
        for lst in (to_reply, to_event, d_reply, d_event):
            del lst[0]
        summary("DomainCreateXML -> reply", to_reply)
        summary("DomainCreateXML -> STARTED event", to_event)
        summary("Destroy -> reply", d_reply)
        summary("Destroy -> STOPPED event", d_event)
        print("%-40s %7d KiB" % ("VmRSS after the rounds", rss_kib(pid)))
    finally:
        fx.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR") or
                    os.path.join(SRCDIR, "build"))
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--defs", type=int, default=1000)
    ap.add_argument("parts", nargs="*", default=["floor", "daemon"],
                    help="floor, daemon (default: both)")
    args = ap.parse_args()
    for p in args.parts:
        if p not in ("floor", "daemon"):
            ap.error("unknown part %r" % p)
    os.environ["BUILDDIR"] = os.path.abspath(args.builddir)
    os.environ.setdefault("SRCDIR", SRCDIR)
    if "floor" in args.parts:
        bench_floor(args.rounds)
    if "daemon" in args.parts:
        bench_daemon(args.rounds, args.defs)


if __name__ == "__main__":
    main()
