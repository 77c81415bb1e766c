"""Hostile clients against the real virtproxyd: each bad
frame (length, program, version, type, oversize, garbage) costs its sender
the connection and nothing else, and so does an array or a string over its
limit or beyond its frame; clients that stop mid-frame cost only themselves and leak neither
descriptors nor memory; keepalive closes a client that never answers our
PINGs after keepalive_interval * (keepalive_count + 1) seconds, keeps one
that does, and answers a client's PING with a PONG."""

import os
import socket
import struct
import time

import harness
from harness import check, check_eq, Failure
import proxyfx
from proxyfx import RawClient, frame, REMOTE_PROGRAM, KEEPALIVE_PROGRAM, CALL, REPLY, \
    MESSAGE, OK, ERROR

KA_INTERVAL = 1
KA_COUNT = 2
PROC_HOSTNAME = 59
PROC_SUPPORTS_FEATURE = 60
PROC_GET_ALL_DOMAIN_STATS = 344
FEATURE_PROGRAM_KEEPALIVE = 10
VIR_ERR_RPC = 39


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "max_clients = 1000\nkeepalive_interval = %d\n"
                                 "keepalive_count = %d\n" % (KA_INTERVAL, KA_COUNT))
    fx.proxy.start()
    fx.good = RawClient(path=fx.proxy.sock)
    fx.good.open()


def good_still_answered(fx, what):
    m = fx.good.call(PROC_HOSTNAME)
    check_eq(m[4], OK, "a good client's call after %s" % what)
    check(socket.gethostname().encode() in m[5], "hostname after %s" % what)


def expect_dropped(fx, data, what):
    c = RawClient(path=fx.proxy.sock)
    try:
        c.s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    check(c.is_closed(timeout=10), "%s did not close its connection" % what)
    c.close()
    good_still_answered(fx, what)
    check(fx.proxy.alive(), "virtproxyd died after %s" % what)


def test_bad_frames(fx):
    cases = [
        (struct.pack(">I", 0), "a length of 0"),
        (struct.pack(">I", 8) + b"abcd", "a length of 8"),
        (struct.pack(">I", 27) + b"\0" * 23, "a length of 27"),
        (struct.pack(">I", 32 * 1024 * 1024 + 5) + b"\0" * 24, "a length one over the maximum"),
        (struct.pack(">I", 0x7fffffff) + b"x" * 64, "an oversized length"),
        (struct.pack(">I", 0xffffffff), "a length of 4 GiB"),
        (frame(0x12345678, 1, CALL, 1), "a bad program"),
        (frame(REMOTE_PROGRAM, PROC_HOSTNAME, CALL, 1)[:8] + struct.pack(">I", 2) +
         frame(REMOTE_PROGRAM, PROC_HOSTNAME, CALL, 1)[12:], "a bad version"),
        (frame(REMOTE_PROGRAM, PROC_HOSTNAME, REPLY, 1), "a REPLY from a client"),
        (frame(REMOTE_PROGRAM, PROC_HOSTNAME, MESSAGE, 1), "a MESSAGE on REMOTE"),
        (frame(REMOTE_PROGRAM, PROC_HOSTNAME, 9, 1), "an unknown type"),
        (frame(REMOTE_PROGRAM, PROC_HOSTNAME, CALL, 1, status=7), "an unknown status"),
        (frame(KEEPALIVE_PROGRAM, 3, MESSAGE, 0), "a keepalive procedure 3"),
        (frame(KEEPALIVE_PROGRAM, 1, CALL, 0), "a keepalive CALL"),
        # Garbage: a plausible length, then bytes that are no header.
        (struct.pack(">I", 100) + bytes((i * 73 + 5) & 0xff for i in range(96)), "garbage"),
        (bytes((i * 151 + 17) & 0xff for i in range(4096)), "random bytes"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "an HTTP request"),
    ]
    for data, what in cases:
        expect_dropped(fx, data, what)
    # After an open connection spoke correctly, a bad frame still drops it.
    c = RawClient(path=fx.proxy.sock)
    c.open()
    check_eq(c.call(PROC_HOSTNAME)[4], OK, "a call before the bad frame")
    c.s.sendall(frame(0xdeadbeef, 1, CALL, 9))
    check(c.is_closed(timeout=10), "a bad program after an open did not close")
    c.close()


def test_array_over_limit(fx):
    """An array over its .x bound (16385 domains, REMOTE_DOMAIN_LIST_MAX is
    16384), one that claims more elements than the bytes sent, and a 4 MiB
    string announced in a small frame: each costs its client the connection,
    after a call on it worked, and nothing else."""
    cases = ((PROC_GET_ALL_DOMAIN_STATS, struct.pack(">III", 16385, 0, 0),
              "an array over the bound"),
             (PROC_GET_ALL_DOMAIN_STATS, struct.pack(">III", 16384, 0, 0),
              "an array beyond the bytes sent"),
             (23, struct.pack(">I", 4 * 1024 * 1024) + b"abcd", "a string longer than its frame"))
    for proc, body, what in cases:
        c = RawClient(path=fx.proxy.sock)
        c.open()
        check_eq(c.call(PROC_HOSTNAME)[4], OK, "a call before %s" % what)
        c.s.sendall(frame(REMOTE_PROGRAM, proc, CALL, 7, payload=body))
        check(c.is_closed(timeout=10), "%s did not close the connection" % what)
        c.close()
        good_still_answered(fx, what)


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failure("no VmRSS for %d" % pid)


def wait_fds(pid, want, what, more=False):
    """The proxy accepts and sees hang-ups asynchronously: wait (bounded) for
    its descriptor count to come back to @want (with @more: to reach it)."""
    deadline = time.monotonic() + 30
    while (fd_count(pid) < want) if more else (fd_count(pid) > want):
        if time.monotonic() > deadline:
            raise Failure("%s: virtproxyd holds %d descriptors, %d before"
                          % (what, fd_count(pid), want))
        time.sleep(0.05)


def stuck_clients(fx, n):
    """@n clients that announce a 1 MiB frame and send 1000 bytes of it."""
    clients = []
    for _ in range(n):
        c = RawClient(path=fx.proxy.sock)
        c.s.sendall(struct.pack(">IIIiiIi", 1 << 20, REMOTE_PROGRAM, 1, PROC_HOSTNAME, CALL, 1,
                                OK) + b"\0" * 972)
        clients.append(c)
    return clients


def test_stuck_mid_frame(fx):
    pid = fx.proxy.pid
    # Warm up the allocator and the proxy's tables, then measure.
    base_fds = fd_count(pid)
    for c in stuck_clients(fx, 50):
        c.close()
    good_still_answered(fx, "warm-up")
    wait_fds(pid, base_fds, "warm-up")
    base_rss = rss_kib(pid)
    for _ in range(6):
        stuck = stuck_clients(fx, 50)
        # While 50 clients sit mid-frame, the others are answered at once.
        t0 = time.monotonic()
        good_still_answered(fx, "50 clients stuck mid-frame")
        other = RawClient(path=fx.proxy.sock)
        other.open()
        check_eq(other.call(PROC_HOSTNAME)[4], OK, "a new client beside stuck ones")
        other.close()
        check(time.monotonic() - t0 < 5, "answers were slow beside stuck clients")
        wait_fds(pid, base_fds + 50, "50 stuck clients", more=True)
        for c in stuck:
            c.close()
        wait_fds(pid, base_fds, "after stuck clients left")
    grown = rss_kib(pid) - base_rss
    if not harness.sanitized(pid):
        check(grown < 8 * 1024,
              "virtproxyd's RSS grew by %d KiB over 300 stuck clients" % grown)
    check(fx.proxy.alive(), "virtproxyd died")


def test_keepalive_dead_client(fx):
    """A client that asked for keepalive and never answers is closed after
    keepalive_count unanswered PINGs: (count + 1) * interval seconds."""
    c = RawClient(path=fx.proxy.sock)
    c.open()
    m = c.call(PROC_SUPPORTS_FEATURE, struct.pack(">i", FEATURE_PROGRAM_KEEPALIVE))
    check_eq(m[4], OK, "supports_feature(keepalive)")
    t0 = time.monotonic()
    pings = 0
    c.s.settimeout(10 * KA_INTERVAL * (KA_COUNT + 1))
    try:
        while True:
            prog, proc, mtype, _serial, _status, _ = c.recv()
            if (prog, proc, mtype) == (KEEPALIVE_PROGRAM, 1, MESSAGE):
                pings += 1
    except (EOFError, ConnectionResetError):
        pass
    except socket.timeout:
        raise Failure("a client that never answers PINGs was not closed (%d PINGs)" % pings)
    elapsed = time.monotonic() - t0
    check_eq(pings, KA_COUNT, "PINGs before the close")
    want = KA_INTERVAL * (KA_COUNT + 1)
    check(want - 0.5 <= elapsed <= want + 2,
          "closed after %.1f s, expected about %d s" % (elapsed, want))
    c.close()
    good_still_answered(fx, "a keepalive close")


def test_keepalive_live_client(fx):
    """A client that answers every PING with a PONG stays connected well past
    the point where a silent one is dropped."""
    c = RawClient(path=fx.proxy.sock)
    c.open()
    c.call(PROC_SUPPORTS_FEATURE, struct.pack(">i", FEATURE_PROGRAM_KEEPALIVE))
    pings = 0
    while pings < 2 * (KA_COUNT + 1):
        prog, proc, mtype, _serial, _status, _ = c.recv()
        if (prog, proc, mtype) == (KEEPALIVE_PROGRAM, 1, MESSAGE):
            pings += 1
            c.s.sendall(frame(KEEPALIVE_PROGRAM, 2, MESSAGE, 0))
    m = c.call(PROC_HOSTNAME)
    check_eq(m[4], OK, "a client that answers PINGs after %d of them" % pings)
    c.close()


def test_ping_gets_pong(fx):
    c = RawClient(path=fx.proxy.sock)
    # Before and after CONNECT_OPEN, and twice in one write.
    c.s.sendall(frame(KEEPALIVE_PROGRAM, 1, MESSAGE, 0))
    m = c.recv()
    check_eq((m[0], m[1], m[2], m[3], m[4]), (KEEPALIVE_PROGRAM, 2, MESSAGE, 0, OK), "PONG")
    check_eq(len(m[5]), 0, "PONG payload")
    c.open()
    c.s.sendall(frame(KEEPALIVE_PROGRAM, 1, MESSAGE, 0) * 2)
    for _ in range(2):
        m = c.recv()
        check_eq((m[0], m[1], m[2]), (KEEPALIVE_PROGRAM, 2, MESSAGE), "PONG after open")
    # A PONG nobody asked for is ignored, the connection goes on.
    c.s.sendall(frame(KEEPALIVE_PROGRAM, 2, MESSAGE, 0))
    check_eq(c.call(PROC_HOSTNAME)[4], OK, "a call after an unsolicited PONG")
    c.close()


def test_proxy_alive(fx):
    fx.good.close()
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
