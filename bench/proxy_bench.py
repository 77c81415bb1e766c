#!/usr/bin/python3
"""virtproxyd benchmark: RPC calls per second for python3-libvirt clients,
and the wall time of `virsh list --all` with 1000 defined domains, for this
stack and for Debian's libvirtd, in the same run, with the ratios.

    /usr/bin/python3 bench/proxy_bench.py [--builddir DIR] [--domains N]
        [--seconds S] [--no-libvirtd] [--uri URI]

Without --uri it measures, one after the other (never both running at once):

- Debian's libvirtd (/usr/sbin/libvirtd, packages libvirt-daemon and
  libvirt-daemon-driver-qemu), started by hand, never through the package's
  service: in a private mount namespace (`unshare -m`, propagation private)
  where tmpfs hides /run, /var/lib/libvirt, /var/cache/libvirt and
  /var/log/libvirt, and a temporary copy of /etc/libvirt (without the
  autostarted default network) is bound over /etc/libvirt; its config file
  (-f) sets listen_tcp on a free loopback port with auth_tcp = "none",
  listen_tls = 0 and unix_sock_dir in the temporary folder; `--listen`. So
  nothing of the host's state is read or written, and everything it created
  vanishes with its namespace when it exits. It runs as the system instance
  (qemu:///system) because that is what is compared; it needs root.
- this stack: a private dbus-daemon, virtqemud and virtproxyd with TCP on a
  free port, under a temporary root, from BUILDDIR (default: build/).

With --uri it measures only whatever answers there. The domains it defines
(bench-NNNN, never started) are undefined at the end.

Measured, over TCP on 127.0.0.1: lookupByName + state and lookupByName +
info, each pair counted as 2 RPCs, with 1 and 4 client processes; the wall
time of `virsh list --all` (best of 5), and of `virsh uri` (starting virsh
and opening a connection: the fixed part of every virsh run)."""

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import uuid as uuidlib

import socket
import tempfile

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
        self.port = free_port()
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


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


LIBVIRTD = "/usr/sbin/libvirtd"

# Runs in the private mount namespace: hides the host's libvirt state and
# execs libvirtd (so its pid is the one we started).
NS_SCRIPT = """set -e
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/libvirt
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
    mount -t tmpfs -o mode=0755 tmpfs "$d"
done
mount --bind "$1/etc" /etc/libvirt
exec %s -f "$1/libvirtd.conf" --listen
""" % LIBVIRTD


class Libvirtd:
    """Debian's libvirtd in a private mount namespace (see the top)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-libvirtd.")
        self.port = free_port()
        etc = os.path.join(self.dir, "etc")
        shutil.copytree("/etc/libvirt", etc, symlinks=True)
        autostart = os.path.join(etc, "qemu", "networks", "autostart")
        if os.path.isdir(autostart):
            for f in os.listdir(autostart):
                os.unlink(os.path.join(autostart, f))
        sock = os.path.join(self.dir, "sock")
        os.mkdir(sock)
        with open(os.path.join(self.dir, "libvirtd.conf"), "w") as f:
            f.write('listen_tls = 0\nlisten_tcp = 1\nlisten_addr = "127.0.0.1"\n'
                    'tcp_port = "%d"\nauth_tcp = "none"\nauth_unix_rw = "none"\n'
                    'auth_unix_ro = "none"\nunix_sock_dir = "%s"\n'
                    'log_outputs = "3:file:%s/libvirtd.log"\n'
                    % (self.port, sock, self.dir))
        script = os.path.join(self.dir, "ns.sh")
        with open(script, "w") as f:
            f.write(NS_SCRIPT)
        self.out = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                                      "sh", script, self.dir],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        self.uri = "qemu+tcp://127.0.0.1:%d/system" % self.port
        self._wait_ready(os.path.join(sock, "libvirt-sock"))

    def _wait_ready(self, sock_path, timeout=60.0):
        import libvirt
        end = time.monotonic() + timeout
        # libvirtd creates its sockets and then starts its drivers (the QEMU
        # capabilities probe takes seconds); an open connection and an
        # answer to a driver call mean it is ready.
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                with open(os.path.join(self.dir, "stderr")) as f:
                    raise RuntimeError("libvirtd exited: " + f.read())
            if os.path.exists(sock_path):
                try:
                    c = libvirt.open(self.uri)
                    c.listAllDomains()
                    c.close()
                    return
                except libvirt.libvirtError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("libvirtd did not answer on %s" % self.uri)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def virsh_uri_ms(uri, runs=5):
    best = None
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(["virsh", "-c", uri, "uri"], capture_output=True, check=True)
        dt = (time.monotonic() - t0) * 1000
        best = dt if best is None else min(best, dt)
    return best


def run_one(what, start, n_domains, seconds):
    print("measuring %s ..." % what, file=sys.stderr, flush=True)
    target = start()
    try:
        res = measure(target.uri, n_domains, seconds)
        res["uri_ms"] = virsh_uri_ms(target.uri)
        res["uri"] = target.uri
        return res
    finally:
        target.close()


ROWS = [
    ("lookupByName+state, 1 client ", "state1", "RPC/s", True),
    ("lookupByName+state, 4 clients", "state4", "RPC/s", True),
    ("lookupByName+info,  1 client ", "info1", "RPC/s", True),
    ("lookupByName+info,  4 clients", "info4", "RPC/s", True),
    ("virsh list --all             ", "list_ms", "ms", False),
    ("virsh uri (start + connect)  ", "uri_ms", "ms", False),
]


def fmt(v, unit):
    return ("%9.0f" if unit == "RPC/s" else "%9.1f") % v


def print_table(ours, theirs, n_domains):
    print("%d domains defined; TCP on 127.0.0.1; %d CPUs; python3-libvirt and virsh %s"
          % (n_domains, os.cpu_count(), libvirt_version()))
    if theirs:
        print("%-30s %15s %15s %8s" % ("", "virtproxyd", "libvirtd", "ratio"))
    for label, key, unit, higher in ROWS:
        line = "%s %9s %-5s" % (label, fmt(ours[key], unit), unit)
        if theirs:
            ratio = ours[key] / theirs[key] if higher else theirs[key] / ours[key]
            line += " %9s %-5s %7.2fx" % (fmt(theirs[key], unit), unit, ratio)
        print(line)
    if theirs:
        print("ratio: how many times faster virtproxyd is (target: >= 2x for "
              "lookupByName+info and virsh list --all)")


def libvirt_version():
    import libvirt
    v = libvirt.getVersion()
    return "%d.%d.%d" % (v // 1000000, v // 1000 % 1000, v % 1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--uri", help="measure only what answers at this URI")
    ap.add_argument("--domains", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", "build"))
    ap.add_argument("--no-libvirtd", action="store_true",
                    help="do not measure Debian's libvirtd")
    args = ap.parse_args()
    if not shutil.which("virsh"):
        print("virsh is not installed (libvirt-clients)")
        return 77
    if args.uri:
        class Given:
            uri = args.uri

            def close(self):
                pass
        print_table(run_one(args.uri, Given, args.domains, args.seconds), None, args.domains)
        return 0
    theirs = None
    if not args.no_libvirtd:
        if os.path.exists(LIBVIRTD) and os.geteuid() == 0 and shutil.which("unshare"):
            theirs = run_one("libvirtd", Libvirtd, args.domains, args.seconds)
        else:
            print("note: libvirtd not measured (needs %s, root and unshare)" % LIBVIRTD)
    builddir = os.path.abspath(args.builddir)
    ours = run_one("virtproxyd", lambda: Stack(builddir), args.domains, args.seconds)
    print_table(ours, theirs, args.domains)
    return 0


if __name__ == "__main__":
    sys.exit(main())
