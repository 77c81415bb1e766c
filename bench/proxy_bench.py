#!/usr/bin/python3
"""virtproxyd benchmark: RPC calls per second for python3-libvirt clients,
and the wall time of `virsh list --all` with 1000 defined domains.

    /usr/bin/python3 bench/proxy_bench.py [--uri URI] [--domains N] [--seconds S]

Without --uri it starts its own stack (private dbus-daemon, virtqemud,
virtproxyd with TCP on a free port, under a temporary root) from BUILDDIR
(default: build/). With --uri it measures whatever answers there (e.g.
Debian's libvirtd: qemu+tcp://127.0.0.1:16509/system); the domains it
defines (bench-NNNN) are undefined at the end.

Measured: lookupByName + state (answered from virtproxyd's mirror),
lookupByName + info (one more round trip to virtqemud for memory and CPU
time), each call pair counted as 2 RPCs, with 1 and 4 client processes; and
`virsh list --all`. The issue's numbers for libvirtd on this kind of host:
7,400 RPC/s for one TCP client, 212 ms for `virsh list --all` with 1000
domains."""

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import uuid as uuidlib

LIBVIRTD_RPC_PER_S = 7400
LIBVIRTD_LIST_MS = 212

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
"""


def rpc_worker(uri, names, seconds, with_info, out):
    import libvirt
    c = libvirt.open(uri)
    n = 0
    i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(50):
            d = c.lookupByName(names[i % len(names)])
            if with_info:
                d.info()
            else:
                d.state()
            i += 1
            n += 2
    c.close()
    out.put(n)


def rpc_rate(uri, names, clients, seconds, with_info):
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=rpc_worker,
                                     args=(uri, names, seconds, with_info, q))
             for _ in range(clients)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    total = sum(q.get() for _ in procs)
    for p in procs:
        p.join()
    return total / (time.monotonic() - t0)


def list_all_ms(uri, runs=5):
    best = None
    for _ in range(runs):
        t0 = time.monotonic()
        r = subprocess.run(["virsh", "-c", uri, "list", "--all"], capture_output=True, text=True)
        dt = (time.monotonic() - t0) * 1000
        if r.returncode != 0:
            raise RuntimeError("virsh list --all failed: " + r.stderr)
        best = dt if best is None else min(best, dt)
    return best, len(r.stdout.splitlines()) - 3


def define_domains(uri, n):
    import libvirt
    c = libvirt.open(uri)
    have = {d.name() for d in c.listAllDomains()}
    names = []
    for i in range(n):
        name = "bench-%04d" % i
        names.append(name)
        if name not in have:
            c.defineXML(DOMAIN_XML.format(name=name, uuid=uuidlib.uuid4()))
    c.close()
    return names


def undefine_domains(uri, names):
    import libvirt
    c = libvirt.open(uri)
    for name in names:
        try:
            c.lookupByName(name).undefine()
        except libvirt.libvirtError:
            pass
    c.close()


def measure(uri, n_domains, seconds):
    names = define_domains(uri, n_domains)
    try:
        res = {}
        res["state1"] = rpc_rate(uri, names, 1, seconds, False)
        res["state4"] = rpc_rate(uri, names, 4, seconds, False)
        res["info1"] = rpc_rate(uri, names, 1, seconds, True)
        res["info4"] = rpc_rate(uri, names, 4, seconds, True)
        res["list_ms"], res["listed"] = list_all_ms(uri)
        return res
    finally:
        undefine_domains(uri, names)


class Stack:
    """bus + virtqemud + virtproxyd under a temporary root."""

    def __init__(self, builddir):
        srcdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sys.path.insert(0, os.path.join(srcdir, "tests", "integration"))
        os.environ["BUILDDIR"] = builddir
        import harness
        harness.BUILDDIR = builddir
        harness.guest_images = lambda: ("/nonexistent", "/nonexistent")
        self.fx = harness.Fixture()
        root = self.fx.root
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        os.makedirs(os.path.join(root, "etc", "libvirt"), exist_ok=True)
        with open(os.path.join(root, "etc", "libvirt", "virtproxyd.conf"), "w") as f:
            f.write('listen_tcp = 1\ntcp_port = %d\nauth_tcp = "none"\n' % self.port)
        px = harness.Daemon(root, self.fx.bus, name="virtproxyd", bus_name="org.libvirt",
                            verbose=False)
        args = [px.binary, "-d", "-l", "--bus", self.fx.bus.address, "--root", root,
                "-p", px.pid_file]
        subprocess.run(args, check=True, stdin=subprocess.DEVNULL)
        with open(px.pid_file) as f:
            px.pid = int(f.read().split()[0])
        self.fx.daemons.append(px)
        self.uri = "qemu+tcp://127.0.0.1:%d/system" % self.port

    def close(self):
        self.fx.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--uri")
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", "build"))
    args = ap.parse_args()
    if not shutil.which("virsh"):
        print("virsh is not installed (libvirt-clients)")
        return 77
    stack = None
    uri = args.uri
    if not uri:
        stack = Stack(os.path.abspath(args.builddir))
        uri = stack.uri
    try:
        res = measure(uri, args.domains, args.seconds)
    finally:
        if stack:
            stack.close()
    print("URI: %s (%d domains defined)" % (uri, args.domains))
    print("lookupByName+state, 1 client : %8.0f RPC/s  (libvirtd: %d RPC/s, ratio %.2f)"
          % (res["state1"], LIBVIRTD_RPC_PER_S, res["state1"] / LIBVIRTD_RPC_PER_S))
    print("lookupByName+state, 4 clients: %8.0f RPC/s" % res["state4"])
    print("lookupByName+info,  1 client : %8.0f RPC/s  (libvirtd: %d RPC/s, ratio %.2f)"
          % (res["info1"], LIBVIRTD_RPC_PER_S, res["info1"] / LIBVIRTD_RPC_PER_S))
    print("lookupByName+info,  4 clients: %8.0f RPC/s" % res["info4"])
    print("virsh list --all (%d rows)   : %8.1f ms     (libvirtd: %d ms, ratio %.2f)"
          % (res["listed"], res["list_ms"], LIBVIRTD_LIST_MS,
             LIBVIRTD_LIST_MS / res["list_ms"]))
    if shutil.which("libvirtd") and not args.uri:
        print("note: Debian's libvirtd is installed: run again with --uri for its numbers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
