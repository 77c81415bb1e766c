"""What virtnodedevd's integration tests share: a private bus (harness.Bus),
the daemon, clients, and a small runner (the shared harness's runner builds
the test guest and starts virtqemud, which these tests do not need)."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import shutil

import harness
from harness import check, check_eq, expect_error, Failure, Skip  # noqa: F401

NODEDEV_BUS_NAME = "org.libvirt.nodedev"
PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
NODEDEV = "org.libvirt.NodeDevice"
PREFIX = PATH + "/nodedev/"

# libvirt's virConnectListAllNodeDeviceFlags and event numbers.
CAP_SYSTEM = 1 << 0
CAP_PCI_DEV = 1 << 1
CAP_NET = 1 << 4
CAP_STORAGE = 1 << 8
EVENT_CREATED = 0
EVENT_DELETED = 1


def encode(name):
    """libvirt-dbus's virtDBusUtilEncodeStr."""
    return "".join(c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in name)


def dev_path(name):
    return PREFIX + encode(name)


class NodedevDaemon(harness.Daemon):
    """virtnodedevd, optionally in its own network and mount namespaces with
    a fresh sysfs mounted there (so that /sys/class/net shows that
    namespace's links, and the kernel's uevents for them reach it)."""

    def __init__(self, root, bus, netns=False):
        harness.Daemon.__init__(self, root, bus, name="virtnodedevd",
                                bus_name=NODEDEV_BUS_NAME)
        self.netns = netns

    def start(self):
        if not self.netns:
            return harness.Daemon.start(self)
        args = [self.binary, "-d", "--bus", self.bus.address, "--root", self.root,
                "-p", self.pid_file, "-v"]
        # unshare makes the new mount namespace private: the sysfs mount
        # stays inside it.
        cmd = ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c",
               'mount -t sysfs sysfs /sys && exec "$@"', "sh"] + args
        with open(self.log_path, "ab") as logf:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=logf, timeout=harness.DEFAULT_TIMEOUT)
        if r.returncode != 0:
            raise Failure("virtnodedevd in a namespace exited %d; log:\n%s"
                          % (r.returncode, self.log_tail()))
        with open(self.pid_file) as f:
            self.pid = int(f.read().split()[0])
        return self.pid

    def in_netns(self, *argv):
        """Runs argv in the daemon's network namespace."""
        return subprocess.run(["nsenter", "-t", str(self.pid), "-n", "--"] + list(argv),
                              check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=60).stdout.decode()


class Fixture:
    def __init__(self, netns=False):
        self.root = tempfile.mkdtemp(prefix="vnd-", dir="/tmp")
        self.bus = harness.Bus(self.root)
        self.daemons = []
        self.nodedevd = NodedevDaemon(self.root, self.bus, netns=netns)
        self.daemons.append(self.nodedevd)
        self.nodedevd.start()
        self.client = harness.Client(self.bus.address, dest=NODEDEV_BUS_NAME)

    def connect(self, method, sig="", *args, **kw):
        return self.client.call(PATH, CONNECT, method, sig, *args, **kw)

    def dev(self, path, method, sig="", *args, **kw):
        return self.client.call(path, NODEDEV, method, sig, *args, **kw)

    def xml(self, path):
        return self.dev(path, "GetXMLDesc", "u", 0)

    def cleanup(self):
        try:
            self.client.close()
        except Exception:
            pass
        for d in self.daemons:
            try:
                d.kill()
            except Exception:
                pass
        self.bus.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def main(namespace, netns=False, needs=()):
    tests = sorted((f for n, f in namespace.items() if n.startswith("test_") and callable(f)),
                   key=lambda f: f.__code__.co_firstlineno)
    for prog in ("dbus-daemon",) + tuple(needs):
        if not shutil.which(prog):
            print("SKIP: %s is not installed" % prog)
            sys.exit(harness.SKIP)
    fx = None

    def on_term(signum, frame):
        if fx:
            fx.cleanup()
        os._exit(1)
    signal.signal(signal.SIGTERM, on_term)
    failed = []
    try:
        fx = Fixture(netns=netns)
        for t in tests:
            t0 = time.monotonic()
            try:
                t(fx)
            except Skip as e:
                print("SKIP %s: %s" % (t.__name__, e))
                continue
            except Exception:
                failed.append(t.__name__)
                print("FAIL %s" % t.__name__)
                traceback.print_exc(file=sys.stdout)
                print("--- virtnodedevd log (tail) ---\n%s" % fx.nodedevd.log_tail())
                continue
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
            sys.stdout.flush()
    finally:
        if fx:
            fx.cleanup()
    if failed:
        print("FAILED: %s" % ", ".join(failed))
        sys.exit(1)
    print("all %d passed" % len(tests))
    sys.exit(0)
