#!/usr/bin/python3
"""virtproxyd benchmark: RPC calls per second for python3-libvirt clients,
and the wall time of `virsh list --all` with 1000 defined domains, for this
stack and for Debian's libvirtd, in the same run, with the ratios.

    /usr/bin/python3 bench/proxy_bench.py [--builddir DIR] [--domains N]
        [--seconds S] [--no-libvirtd] [--uri URI]

Without --uri it starts both of these and measures them in turns:

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
info, each pair counted as 2 RPCs, with 1 and 4 client processes (each
client times its own calls, after all have connected); the wall time of
`virsh list --all`, and of `virsh uri` (starting virsh and opening a
connection: the fixed part of every virsh run). The targets are measured
in alternating rounds (--rounds, default 3), so that other work on the
machine hits both alike, and the best round of each counts.

Both daemons run on this host and share its CPUs with the clients: on a
2-CPU machine, one client process, its server and the kernel's loopback
TCP already fill most of it."""

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


def rpc_worker(uri, names, seconds, with_info, barrier, out):
    import libvirt
    c = libvirt.open(uri)
    n = 0
    i = 0
    # Every client is connected before the clock starts; each one times its
    # own calls only (no process start, import or connection in the rate).
    barrier.wait()
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        for _ in range(50):
            d = c.lookupByName(names[i % len(names)])
            if with_info:
                d.info()
            else:
                d.state()
            i += 1
            n += 2
    dt = time.monotonic() - t0
    c.close()
    out.put(n / dt)


def rpc_rate(uri, names, clients, seconds, with_info):
    q = multiprocessing.Queue()
    barrier = multiprocessing.Barrier(clients)
    procs = [multiprocessing.Process(target=rpc_worker,
                                     args=(uri, names, seconds, with_info, barrier, q))
             for _ in range(clients)]
    for p in procs:
        p.start()
    total = sum(q.get() for _ in procs)
    for p in procs:
        p.join()
    return total


def virsh_ms(uri, *argv):
    t0 = time.monotonic()
    r = subprocess.run(["virsh", "-c", uri] + list(argv), capture_output=True, text=True)
    dt = (time.monotonic() - t0) * 1000
    if r.returncode != 0:
        raise RuntimeError("virsh %s failed: %s" % (" ".join(argv), r.stderr))
    return dt, r.stdout


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


KEYS = ["state1", "state4", "info1", "info4", "list_ms", "uri_ms"]


def measure_round(uri, names, seconds, best):
    """One round of every measure against @uri; keeps the best of each in @best."""
    def keep(key, v, higher=True):
        print("  %s %.1f" % (key, v), file=sys.stderr, flush=True)
        if key not in best or (v > best[key] if higher else v < best[key]):
            best[key] = v
    keep("state1", rpc_rate(uri, names, 1, seconds, False))
    keep("state4", rpc_rate(uri, names, 4, seconds, False))
    keep("info1", rpc_rate(uri, names, 1, seconds, True))
    keep("info4", rpc_rate(uri, names, 4, seconds, True))
    for _ in range(3):
        ms, out = virsh_ms(uri, "list", "--all")
        keep("list_ms", ms, False)
        best["listed"] = len([line for line in out.splitlines()[2:] if line.strip()])
        keep("uri_ms", virsh_ms(uri, "uri")[0], False)


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
        self.label = "virtproxyd"

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
mkdir -p /run/libvirt /run/lock
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
    mount -t tmpfs -o mode=0755 tmpfs "$d"
done
mount --bind "$1/etc" /etc/libvirt
if [ "$2" = netns ]; then ip link set lo up; fi
exec %s -f "$1/libvirtd.conf" --listen
""" % LIBVIRTD


class Libvirtd:
    """Debian's libvirtd in a private mount namespace (see the top)."""

    def __init__(self, qemu_conf="", netns=False):
        """@qemu_conf: lines added to its qemu.conf. @netns: in a network
        namespace of its own too (its networks touch nothing of the
        host's); it is then reached on its unix socket."""
        self.dir = tempfile.mkdtemp(prefix="bench-libvirtd.")
        self.port = free_port()
        etc = os.path.join(self.dir, "etc")
        shutil.copytree("/etc/libvirt", etc, symlinks=True)
        with open(os.path.join(etc, "qemu.conf"), "a") as f:
            f.write(qemu_conf)
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
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private"] +
                                     (["--net"] if netns else []) +
                                     ["sh", script, self.dir, "netns" if netns else ""],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        self.uri = ("qemu+unix:///system?socket=%s/libvirt-sock" % sock if netns
                    else "qemu+tcp://127.0.0.1:%d/system" % self.port)
        self.label = "libvirtd"
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


def print_ratio_table(rows, ours, theirs, decimals=2):
    """The benchmarks' table: each (label, key) row with our median,
    libvirtd's and the ratio (when @theirs, libvirtd's results, is there)."""
    width = max(len(label) for label, _ in rows)
    print("%-*s %12s %12s %8s" % (width, "", "ours", "libvirtd" if theirs else "",
                                  "ratio" if theirs else ""))
    for label, key in rows:
        line = "%-*s %9.*f ms" % (width, label, decimals, ours[key])
        if theirs:
            line += " %9.*f ms %7.2fx" % (decimals, theirs[key], theirs[key] / ours[key])
        print(line)
    if theirs:
        print("ratio: how many times faster ours is (target: >= 2x)")


def run_rounds(gt, rounds, measure):
    """@rounds rounds of measure(target, results) for each target in turn
    (alternating, so that the machine's load hits both alike); returns
    (ours, libvirtd's or None)."""
    results = [{} for _ in gt.targets]
    for r in range(rounds):
        for t, res in zip(gt.targets, results):
            print("round %d/%d: %s" % (r + 1, rounds, t.label), file=sys.stderr, flush=True)
            measure(t, res)
    return results[0], results[1] if len(results) > 1 else None


class GuestTargets:
    """Our stack and Debian's libvirtd (unless @with_libvirtd is false),
    both set up to run the TCG test guest, for the benchmarks that need
    running guests; python3-libvirt's event loop runs in a thread. Each
    target gets a work folder (t.workdir) for its guests' files. close()
    stops both and removes the folders."""

    def __init__(self, builddir, with_libvirtd, prefix):
        import threading
        import libvirt
        srcdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sys.path.insert(0, os.path.join(srcdir, "tests", "virtproxyd"))
        os.environ["BUILDDIR"] = builddir
        sys.path.insert(0, os.path.join(srcdir, "tests", "integration"))
        import harness
        import proxyfx
        harness.BUILDDIR = builddir
        real_images = harness.guest_images
        self.harness = harness
        libvirt.virEventRegisterDefaultImpl()
        threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                         daemon=True).start()
        self.targets = []
        try:
            print("starting virtqemud and virtproxyd ...", file=sys.stderr, flush=True)
            self.targets.append(Stack(builddir))
            harness.guest_images = real_images  # Stack stubs them out
            self.targets[0].label = "ours"
            if with_libvirtd:
                print("starting libvirtd ...", file=sys.stderr, flush=True)
                self.targets.append(Libvirtd(proxyfx.GUEST_QEMU_CONF))
        except BaseException:
            self.close()
            raise
        for t in self.targets:
            t.workdir = tempfile.mkdtemp(prefix=prefix)

    def close(self):
        for t in self.targets:
            t.close()
            if getattr(t, "workdir", None):
                shutil.rmtree(t.workdir, ignore_errors=True)


def measure_all(targets, n_domains, seconds, rounds):
    """Measures every target, round after round, alternating between them so
    that a change in the machine's load (other work on it) hits them alike;
    the best of the rounds counts. Returns one result dict per target."""
    names = {}
    results = [{} for _ in targets]
    try:
        for t in targets:
            names[t] = define_domains(t.uri, n_domains)
        for r in range(rounds):
            for t, res in zip(targets, results):
                print("round %d/%d: %s (%s)" % (r + 1, rounds, t.label, t.uri),
                      file=sys.stderr, flush=True)
                measure_round(t.uri, names[t], seconds, res)
    finally:
        for t in names:
            undefine_domains(t.uri, names[t])
    return results


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
    print("%d domains defined (%d listed); TCP on 127.0.0.1; %d CPUs; load average %.2f; "
          "python3-libvirt and virsh %s"
          % (n_domains, ours["listed"], os.cpu_count(), os.getloadavg()[0], libvirt_version()))
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
    ap.add_argument("--seconds", type=float, default=2.0, help="per rate measure")
    ap.add_argument("--rounds", type=int, default=3, help="the best round counts")
    ap.add_argument("--builddir", default=os.environ.get("BUILDDIR", "build"))
    ap.add_argument("--no-libvirtd", action="store_true",
                    help="do not measure Debian's libvirtd")
    args = ap.parse_args()
    if not shutil.which("virsh"):
        print("virsh is not installed (libvirt-clients)")
        return 77
    if args.uri:
        class Given:
            label = "given"
            uri = args.uri
        res = measure_all([Given()], args.domains, args.seconds, args.rounds)
        print_table(res[0], None, args.domains)
        return 0
    targets = []
    try:
        if not args.no_libvirtd:
            if os.path.exists(LIBVIRTD) and os.geteuid() == 0 and shutil.which("unshare"):
                print("starting libvirtd ...", file=sys.stderr, flush=True)
                targets.append(Libvirtd())
            else:
                print("note: libvirtd not measured (needs %s, root and unshare)" % LIBVIRTD)
        print("starting virtqemud and virtproxyd ...", file=sys.stderr, flush=True)
        targets.insert(0, Stack(os.path.abspath(args.builddir)))
        res = measure_all(targets, args.domains, args.seconds, args.rounds)
    finally:
        for t in targets:
            t.close()
    print_table(res[0], res[1] if len(res) > 1 else None, args.domains)
    return 0


if __name__ == "__main__":
    sys.exit(main())
