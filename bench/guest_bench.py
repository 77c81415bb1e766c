#!/usr/bin/python3
"""Talking to a running guest against Debian's libvirtd, in the same run:
python3-libvirt over TCP opens the guest's serial console (openConsole)
and types one byte at a time, each timed from the send to its echo coming
back from the guest's shell; then asks the guest agent (qemu-ga in the
guest) guest-ping with virDomainQemuAgentCommand, each call timed. N of
each (default 50); medians and the ratio.

    /usr/bin/python3 bench/guest_bench.py [--builddir DIR] [--count N]
        [--rounds R] [--no-libvirtd]

Each side runs the agent test guest (tests/guest/build-guest.sh's agent
initramfs) with a pty serial and the agent's channel, started paused so
that the console is open before it boots; the clock starts once the
guest's shell is there and its agent connected. Rounds alternate between
the two sides and the best round of each counts. libvirtd is started as
bench/proxy_bench.py starts it."""

import argparse
import os
import statistics
import sys
import threading
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "virtproxyd"))
import proxy_bench  # noqa: E402
from proxy_bench import GuestTargets  # noqa: E402

GUEST = "gbench"


class AgentUp:
    """AGENT_LIFECYCLE CONNECTED of one connection."""

    def __init__(self, conn):
        import libvirt
        self.cond = threading.Condition()
        self.up = False
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                    self.on_agent, None)

    def on_agent(self, conn, dom, state, reason, opaque):
        import libvirt
        with self.cond:
            self.up = state == libvirt.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED
            self.cond.notify_all()

    def wait(self, timeout=120):
        with self.cond:
            if not self.cond.wait_for(lambda: self.up, timeout):
                raise RuntimeError("the guest agent did not connect")


def read_until(st, want, buf=b""):
    while want not in buf:
        data = st.recv(4096)
        if not data:
            raise RuntimeError("the console ended; got %r" % buf[-200:])
        buf += data
    return buf[buf.index(want) + len(want):]


def measure(target, workdir, count, best):
    import libvirt
    import libvirt_qemu
    import harness
    c = libvirt.open(target.uri)
    agent = AgentUp(c)
    # At the kernel's default 9600 baud each character takes QEMU's UART a
    # millisecond on both sides; at 115200 the daemons' part shows.
    xml = harness.domain_xml(GUEST, workdir, serial="pty", agent=True).replace(
        "console=ttyS0", "console=ttyS0,115200")
    dom = c.createXML(xml, libvirt.VIR_DOMAIN_START_PAUSED)
    st = c.newStream(0)
    echo, ping = [], []
    try:
        dom.openConsole(None, st, 0)
        dom.resume()
        rest = read_until(st, b"GUEST-READY")
        rest = read_until(st, b"# ", rest)
        agent.wait()
        for _ in range(count):
            t0 = time.monotonic()
            st.send(b"a")
            read_until(st, b"a")
            echo.append((time.monotonic() - t0) * 1000)
        st.send(b"\x15")   # ^U: the line typed is dropped
        for _ in range(count):
            t0 = time.monotonic()
            libvirt_qemu.qemuAgentCommand(dom, '{"execute":"guest-ping"}', 10, 0)
            ping.append((time.monotonic() - t0) * 1000)
    finally:
        try:
            st.abort()
        except libvirt.libvirtError:
            pass
        dom.destroy()
        c.close()
    vals = {"echo": statistics.median(echo), "ping": statistics.median(ping)}
    for k, v in vals.items():
        print("  %s %.2f ms" % (k, v), file=sys.stderr, flush=True)
        if k not in best or v < best[k]:
            best[k] = v


ROWS = [
    ("console: a byte to its echo", "echo"),
    ("agent: guest-ping", "ping"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3, help="the best round counts")
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", "build"))
    ap.add_argument("--no-libvirtd", action="store_true")
    args = ap.parse_args()
    gt = GuestTargets(os.path.abspath(args.builddir), not args.no_libvirtd, "gbench-")
    try:
        ours, theirs = proxy_bench.run_rounds(
            gt, args.rounds, lambda t, res: measure(t, t.workdir, args.count, res))
    finally:
        gt.close()
    print("%d console round trips and %d agent calls on a running TCG guest; python3-libvirt "
          "%s over TCP on 127.0.0.1; %d CPUs; load average %.2f"
          % (args.count, args.count, proxy_bench.libvirt_version(), os.cpu_count(),
             os.getloadavg()[0]))
    proxy_bench.print_ratio_table(ROWS, ours, theirs, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
