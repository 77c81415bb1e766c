"""The integration test harness: a private bus, real daemons under a
temporary root, real guests, and D-Bus helpers that wait on events.

A test module is a script of test_* functions taking the Fixture:

    import harness
    def test_something(fx):
        path = fx.connect.call("DomainDefineXML", "s", fx.domain_xml("a"))
        ...
    harness.main(globals())

harness.main() builds the test guest, creates the temporary root, starts
dbus-daemon and virtqemud, runs the test functions in source order, then
kills everything the module started and removes the root. Exit status: 0 all
passed, 1 a test failed, 77 something outside the project is missing (no
QEMU, no kernel), never to hide a failure.

Nothing here sleeps to wait for something: readiness is virtqemud -d
returning, signals are collected by match rules added before the action, log
lines come from `tail -F`, process exits from pidfds. Timeouts only bound a
failure.
"""

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid as uuidlib
import xml.etree.ElementTree as ET

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)

SRCDIR = os.environ.get("SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("BUILDDIR") or os.path.join(SRCDIR, "build")
BUS_CONF = os.path.join(SRCDIR, "tests", "integration", "bus.conf")
GUEST_SCRIPT = os.path.join(SRCDIR, "tests", "guest", "build-guest.sh")
QEMU = shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64"

QEMU_BUS_NAME = "org.libvirt.qemu"
QEMU_PATH = "/org/libvirt/QEMU"
CONNECT_IFACE = "org.libvirt.Connect"
DOMAIN_IFACE = "org.libvirt.Domain"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
OM_IFACE = "org.freedesktop.DBus.ObjectManager"

SKIP = 77

# libvirt's numbers (virDomainEventType and details, virDomainState,
# virConnectListAllDomainsFlags, virDomainStatsTypes).
EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_SUSPENDED, EV_RESUMED, EV_STOPPED, EV_SHUTDOWN = range(7)
EV_DEFINED_ADDED, EV_DEFINED_UPDATED = 0, 1
EV_UNDEFINED_REMOVED = 0
EV_STARTED_BOOTED = 0
EV_SUSPENDED_PAUSED = 0
EV_RESUMED_UNPAUSED = 0
EV_STOPPED_SHUTDOWN, EV_STOPPED_DESTROYED, EV_STOPPED_CRASHED = 0, 1, 2
EV_STOPPED_FAILED = 5
EV_SHUTDOWN_FINISHED, EV_SHUTDOWN_GUEST, EV_SHUTDOWN_HOST = 0, 1, 2

ST_NOSTATE, ST_RUNNING, ST_BLOCKED, ST_PAUSED, ST_SHUTDOWN, ST_SHUTOFF, ST_CRASHED, \
    ST_PMSUSPENDED = range(8)

LIST_ACTIVE = 1
LIST_INACTIVE = 2
LIST_PERSISTENT = 4
LIST_TRANSIENT = 8
LIST_RUNNING = 16
LIST_PAUSED = 32
LIST_SHUTOFF = 64
LIST_OTHER = 128
LIST_MANAGEDSAVE = 256
LIST_NO_MANAGEDSAVE = 512
LIST_AUTOSTART = 1024
LIST_NO_AUTOSTART = 2048

STATS_STATE, STATS_CPU_TOTAL, STATS_BALLOON, STATS_VCPU = 1, 2, 4, 8
STATS_INTERFACE, STATS_BLOCK = 16, 32

XML_SECURE, XML_INACTIVE = 1, 2

DEFAULT_TIMEOUT = 60.0
BOOT_TIMEOUT = 120.0   # TCG boot to GUEST-READY, with margin for a loaded machine


class Skip(Exception):
    """Something outside the project is missing: the module exits 77."""


class Failure(AssertionError):
    pass


def log(msg):
    sys.stderr.write("# %s\n" % msg)
    sys.stderr.flush()


def check(cond, msg="check failed"):
    if not cond:
        raise Failure(msg)


def check_eq(got, want, what="value"):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


# ---------------------------------------------------------------- values

def unwrap(v):
    """dbus-python values to plain Python ones, recursively."""
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Byte, dbus.Int16, dbus.Int32, dbus.Int64, dbus.UInt16,
                      dbus.UInt32, dbus.UInt64)):
        return int(v)
    if isinstance(v, dbus.Double):
        return float(v)
    if isinstance(v, (dbus.ObjectPath, dbus.String, dbus.Signature)):
        return str(v)
    if isinstance(v, dbus.Dictionary):
        return {unwrap(k): unwrap(x) for k, x in v.items()}
    if isinstance(v, dbus.Struct):
        return tuple(unwrap(x) for x in v)
    if isinstance(v, dbus.Array):
        return [unwrap(x) for x in v]
    if isinstance(v, tuple):
        return tuple(unwrap(x) for x in v)
    return v


def domain_path(uuid):
    return QEMU_PATH + "/domain/_" + str(uuid).replace("-", "_")


# ---------------------------------------------------------------- main loop

def pump(until, timeout, what="condition"):
    """Runs the GLib main loop (D-Bus replies, signals) until until() is true.
    @timeout bounds a failure: Failure when it passes first."""
    ctx = GLib.MainContext.default()
    expired = []
    source = GLib.timeout_add(int(timeout * 1000), lambda: expired.append(1) or False)
    try:
        while True:
            # Dispatch whatever is already pending before looking.
            while ctx.pending():
                ctx.iteration(False)
            if until():
                return
            if expired:
                raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))
            ctx.iteration(True)
    finally:
        if not expired:
            GLib.source_remove(source)


# ---------------------------------------------------------------- D-Bus client

class BusError(Exception):
    def __init__(self, name, message):
        Exception.__init__(self, "%s: %s" % (name, message))
        self.name = name
        self.message = message


class Pending:
    """An asynchronous call: done, result, error (BusError); order is the
    global arrival rank of the reply, to compare replies of several calls."""
    _rank = [0]

    def __init__(self, what):
        self.what = what
        self.done = False
        self.result = None
        self.error = None
        self.order = None

    def _finish(self):
        self.done = True
        Pending._rank[0] += 1
        self.order = Pending._rank[0]

    def on_reply(self, *args):
        self.result = unwrap(args[0] if len(args) == 1 else tuple(args)) if args else None
        self._finish()

    def on_error(self, e):
        self.error = BusError(e.get_dbus_name(), e.get_dbus_message())
        self._finish()

    def wait(self, timeout=DEFAULT_TIMEOUT):
        pump(lambda: self.done, timeout, "the reply to " + self.what)
        if self.error:
            raise self.error
        return self.result


class Signal:
    def __init__(self, path, interface, member, args, sender):
        self.path = path
        self.interface = interface
        self.member = member
        self.args = args
        self.sender = sender

    def __repr__(self):
        return "%s.%s%r@%s" % (self.interface, self.member, tuple(self.args), self.path)


class Collector:
    """Signals matching a rule, collected from the moment it is created (the
    match rule is in place when the constructor returns)."""

    def __init__(self, client, interface=None, member=None, path=None):
        self.client = client
        self.signals = []
        self._match = client.conn.add_signal_receiver(
            self._on_signal, signal_name=member, dbus_interface=interface,
            path=path, bus_name=None, path_keyword="path",
            interface_keyword="interface", member_keyword="member",
            sender_keyword="sender")

    def _on_signal(self, *args, path=None, interface=None, member=None, sender=None):
        self.signals.append(Signal(str(path), str(interface), str(member),
                                   [unwrap(a) for a in args], str(sender)))

    def close(self):
        if self._match:
            self._match.remove()
            self._match = None

    def matching(self, pred=None):
        return [s for s in self.signals if pred is None or pred(s)]

    def wait(self, pred=None, count=1, timeout=DEFAULT_TIMEOUT, what=None):
        """Waits until @count signals match @pred; returns them."""
        pump(lambda: len(self.matching(pred)) >= count, timeout,
             what or "%d signal(s) (got %r)" % (count, self.signals))
        return self.matching(pred)[:count]

    def flush(self):
        """Dispatches what already arrived (no waiting)."""
        ctx = GLib.MainContext.default()
        while ctx.pending():
            ctx.iteration(False)


class DomainEvents(Collector):
    """org.libvirt.Connect.DomainEvent signals, as (path, event, detail)."""

    def __init__(self, client):
        Collector.__init__(self, client, CONNECT_IFACE, "DomainEvent", QEMU_PATH)

    def events(self, path=None):
        self.flush()
        return [(s.args[0], s.args[1], s.args[2]) for s in self.signals
                if path is None or s.args[0] == path]

    def wait_event(self, path, event, detail=None, timeout=DEFAULT_TIMEOUT):
        def pred(s):
            return s.args[0] == path and s.args[1] == event and \
                (detail is None or s.args[2] == detail)
        return self.wait(pred, 1, timeout, "DomainEvent(%s, %d, %s); seen %r"
                         % (path, event, detail, self.events()))[0]


class Client:
    """One private connection to the bus (dbus-python, GLib main loop)."""

    def __init__(self, address, dest=QEMU_BUS_NAME):
        self.address = address
        self.dest = dest
        self.conn = dbus.bus.BusConnection(address)

    def close(self):
        self.conn.close()

    def call(self, path, iface, method, sig="", *args, timeout=DEFAULT_TIMEOUT):
        try:
            r = self.conn.call_blocking(self.dest, path, iface, method, sig, args,
                                        timeout=timeout)
        except dbus.exceptions.DBusException as e:
            raise BusError(e.get_dbus_name(), e.get_dbus_message())
        return unwrap(r)

    def call_async(self, path, iface, method, sig="", *args, timeout=DEFAULT_TIMEOUT):
        p = Pending("%s.%s" % (iface, method))
        self.conn.call_async(self.dest, path, iface, method, sig, args,
                             p.on_reply, p.on_error, timeout=timeout)
        return p

    def get(self, path, iface, prop):
        return self.call(path, PROPS_IFACE, "Get", "ss", iface, prop)

    def get_all(self, path, iface):
        return self.call(path, PROPS_IFACE, "GetAll", "s", iface)

    def set(self, path, iface, prop, value):
        return self.call(path, PROPS_IFACE, "Set", "ssv", iface, prop, value)

    def introspect(self, path):
        return self.call(path, "org.freedesktop.DBus.Introspectable", "Introspect")

    # Shorthands for virtqemud's objects.
    def connect(self, method, sig="", *args, **kw):
        return self.call(QEMU_PATH, CONNECT_IFACE, method, sig, *args, **kw)

    def domain(self, path, method, sig="", *args, **kw):
        return self.call(path, DOMAIN_IFACE, method, sig, *args, **kw)

    def dom_prop(self, path, prop):
        return self.get(path, DOMAIN_IFACE, prop)

    def state(self, path):
        return tuple(self.domain(path, "GetState", "u", 0))

    def managed_objects(self):
        return self.call(QEMU_PATH, OM_IFACE, "GetManagedObjects")

    def collect(self, interface=None, member=None, path=None):
        return Collector(self, interface, member, path)

    def domain_events(self):
        return DomainEvents(self)

    def name_has_owner(self, name=QEMU_BUS_NAME):
        return bool(self.conn.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                            "org.freedesktop.DBus", "NameHasOwner", "s",
                                            (name,)))


def expect_error(name, fn, *args, **kw):
    """Runs fn and checks that it fails with org.libvirt.Error.<name> (or a
    full error name); returns the error message."""
    full = name if "." in name else "org.libvirt.Error." + name
    try:
        fn(*args, **kw)
    except BusError as e:
        check_eq(e.name, full, "error name (message: %r)" % e.message)
        check(e.message and len(e.message) > 3, "error %s has no message" % e.name)
        return e.message
    raise Failure("expected error %s, the call succeeded" % full)


# ---------------------------------------------------------------- processes

def pid_alive(pid):
    """True when @pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def wait_pid_exit(pid, timeout=DEFAULT_TIMEOUT):
    """Waits for a process that need not be our child to exit (pidfd)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("process %d did not exit within %.0f s" % (pid, timeout))
            # A pidfd becomes readable when the process exits (zombie or
            # reaped); the loop re-checks the state after each wakeup.
            select.select([fd], [], [], left)
    finally:
        os.close(fd)


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []


def qemu_pids(root):
    """Pids of live qemu-system processes whose command line mentions @root."""
    out = []
    needle = root.encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        argv = cmdline(pid)
        if argv and b"qemu-system" in os.path.basename(argv[0]) and \
                any(needle in a for a in argv) and pid_alive(pid):
            out.append(pid)
    return sorted(out)


def sanitized(pid):
    """True when process @pid runs with AddressSanitizer (-Dsanitizers=true):
    its memory use is then no measure of ours."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


def pids_mentioning(root):
    """Pids of live processes (other than ours) whose command line mentions
    @root: whatever a test's daemons started and left running (guests,
    dnsmasq of a network that outlives its daemon)."""
    out = []
    needle = root.encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        argv = cmdline(int(d))
        if argv and any(needle in a for a in argv) and pid_alive(int(d)):
            out.append(int(d))
    return sorted(out)


def wait_qemu_gone(root, timeout=DEFAULT_TIMEOUT):
    """Waits (pidfds) until no qemu-system process mentions @root."""
    for pid in qemu_pids(root):
        wait_pid_exit(pid, timeout)
    check_eq(qemu_pids(root), [], "qemu processes")


def host_memory_kib():
    """The host's memory as libvirt's nodeinfo counts it: the NUMA nodes'
    MemTotal added up where the kernel has NUMA sysfs (a VM's NUMA layout
    can make that less than /proc/meminfo's), else /proc/meminfo's."""
    def mem_total(path):
        with open(path) as f:
            m = re.search(r"MemTotal:\s+(\d+) kB", f.read())
        return int(m.group(1)) if m else 0
    base = "/sys/devices/system/node"
    nodes = [d for d in os.listdir(base) if re.fullmatch(r"node\d+", d)] \
        if os.path.isdir(base) else []
    return (sum(mem_total(os.path.join(base, n, "meminfo")) for n in nodes)
            or mem_total("/proc/meminfo"))


def cpu_user_ticks():
    """The host's user time in /proc/stat's ticks as libvirt reports it:
    user plus nice."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[1]) + int(fields[2])


def make_nice_time(ticks=3, timeout=30.0):
    """Burns CPU at nice 19 until /proc/stat's nice counter has grown by
    @ticks, so that a test comparing user time also sees niced time (on a
    host where nothing else runs niced, user and user+nice are equal)."""
    def nice():
        with open("/proc/stat") as f:
            return int(f.readline().split()[2])
    start = nice()
    burner = subprocess.Popen(["nice", "-n", "19", "/usr/bin/python3", "-c",
                               "while True: pass"])
    try:
        deadline = time.monotonic() + timeout
        while nice() < start + ticks:
            if time.monotonic() > deadline:
                raise Failure("no niced CPU time within %.0f s" % timeout)
            # Our own CPU work between reads: the burner runs meanwhile.
            sum(range(200000))
    finally:
        burner.kill()
        burner.wait()


def wait_pid_reaped(pid, timeout=10.0):
    """Waits until an exited process that is not our child is reaped by
    its parent (PID 1 here, which may reap late): until then its pid still
    answers kill(pid, 0), and a daemon restarting with the same pid file
    takes it for a live instance. There is no event for another process's
    reaping, so this polls /proc, bounded."""
    deadline = time.monotonic() + timeout
    while os.path.exists("/proc/%d" % pid):
        if time.monotonic() > deadline:
            raise Failure("process %d exited but was not reaped within %.0f s" % (pid, timeout))
        time.sleep(0.01)


def kill_and_wait(pid, sig=signal.SIGKILL, timeout=DEFAULT_TIMEOUT):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    wait_pid_exit(pid, timeout)


class LogWatcher:
    """Follows a file that may not exist yet, may be truncated and rewritten
    (tail -F), and counts lines matching a pattern over its whole history."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self._buf = b""
        self.proc = subprocess.Popen(["tail", "-F", "-n", "+1", path],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        os.set_blocking(self.proc.stdout.fileno(), False)

    def _read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return
        data = self.proc.stdout.read()
        if not data:
            return
        self._buf += data
        *full, self._buf = self._buf.split(b"\n")
        self.lines.extend(x.decode(errors="replace").rstrip("\r") for x in full)

    def count(self, pattern):
        self._read(0)
        return sum(1 for x in self.lines if re.search(pattern, x))

    def wait_for(self, pattern, count=1, timeout=BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.count(pattern) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out after %.0f s waiting for %d x %r in %s; last lines: %r"
                              % (timeout, count, pattern, self.path, self.lines[-10:]))
            self._read(left)

    def close(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# ---------------------------------------------------------------- the guest

_guest = {}


def guest_images():
    """(kernel, initrd) of the test guest, built once into BUILDDIR/guest."""
    if not _guest:
        if not os.path.exists("/bin/busybox"):
            raise Skip("busybox-static is not installed")
        r = subprocess.run(["sh", GUEST_SCRIPT, os.path.join(BUILDDIR, "guest")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            if "no /boot/vmlinuz" in r.stderr:
                raise Skip(r.stderr.strip())
            raise Failure("build-guest.sh failed: " + r.stderr)
        for line in r.stdout.splitlines():
            k, _, v = line.partition("=")
            _guest[k] = v
    return _guest["KERNEL"], _guest["INITRD"]


def domain_xml(name, root, uuid=None, serial="file", memory_mib=128, vcpus=1,
               extra_devices="", emulator=None, machine=None, vnc=False, console_pty=False,
               extra_modules=False, agent=False):
    """A TCG test guest. serial='file': the serial console goes to
    ROOT/serial/NAME.log (read it with serial_log()); 'pty': a pty serial;
    console_pty adds a pty <console>; extra_modules: the initramfs whose
    `load-extra` loads the IDE, cdrom and virtio SCSI drivers; agent: the
    initramfs with qemu-ga, and the agent's channel."""
    kernel, initrd = guest_images()
    if extra_modules:
        initrd = _guest["INITRD_EXTRA"]
    if agent:
        initrd = _guest["INITRD_AGENT"]
        extra_devices += ("<channel type='unix'>"
                          "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
    uuid = uuid or str(uuidlib.uuid4())
    if serial == "file":
        chr_xml = ("<serial type='file'><source path='%s'/><target port='0'/></serial>"
                   % serial_log_path(root, name))
    elif serial == "pty":
        chr_xml = "<serial type='pty'><target port='0'/></serial>"
    else:
        chr_xml = ""
    if console_pty:
        chr_xml += "<console type='pty'><target type='serial' port='0'/></console>"
    graphics = "<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>" if vnc else ""
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>{vcpus}</vcpu>
  <os>
    <type arch='x86_64'{" machine='%s'" % machine if machine else ""}>hvm</type>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{emulator or QEMU}</emulator>
    {chr_xml}
    {graphics}
    <memballoon model='virtio'/>
    {extra_devices}
  </devices>
</domain>
"""


def serial_log_path(root, name):
    return os.path.join(root, "serial", name + ".log")


def xml_uuid(xml):
    return ET.fromstring(xml).findtext("uuid")


# ---------------------------------------------------------------- bus, daemons

def write_bus_config(root):
    """ROOT/bus.conf: BUS_CONF and the build's dbus-policy/ folder (the
    daemons' policy is generated at build time). Returns its path."""
    path = os.path.join(root, "bus.conf")
    with open(path, "w") as f:
        f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n'
                ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                "<busconfig>\n  <include>%s</include>\n  <includedir>%s</includedir>\n"
                "</busconfig>\n" % (BUS_CONF, os.path.join(BUILDDIR, "dbus-policy")))
    return path


class Bus:
    """A private dbus-daemon on ROOT/bus with tests/integration/bus.conf and
    the build's bus policy."""

    def __init__(self, root):
        self.root = root
        self.socket = os.path.join(root, "bus")
        conf = write_bus_config(root)
        r, w = os.pipe()
        with open(os.path.join(root, "dbus-daemon.log"), "ab") as logf:
            self.proc = subprocess.Popen(
                ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nosyslog",
                 "--address=unix:path=" + self.socket, "--print-address=%d" % w],
                pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        os.close(w)
        # The address is printed once the socket listens: no waiting beyond
        # reading it.
        with os.fdopen(r) as f:
            line = f.readline().strip()
        if not line:
            raise Failure("dbus-daemon exited before printing its address")
        self.address = line

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class Daemon:
    """A daemon of the project (virtqemud by default) on the private bus."""

    def __init__(self, root, bus, name="virtqemud", bus_name=QEMU_BUS_NAME, verbose=True):
        self.root = root
        self.bus = bus
        self.name = name
        self.bus_name = bus_name
        self.binary = os.path.join(BUILDDIR, name, name)
        self.pid_file = os.path.join(root, "run", name + ".pid")
        self.log_path = os.path.join(root, name + ".log")
        self.verbose = verbose
        self.pid = None
        self.env = {}  # added to the daemon's environment at its next start

    def start(self):
        """Runs `NAME -d`: returns once the daemon owns its bus name."""
        if not os.path.exists(self.binary):
            raise Failure("%s is not built" % self.binary)
        args = [self.binary, "-d", "--bus", self.bus.address, "--root", self.root,
                "-p", self.pid_file]
        if self.verbose:
            args.append("-v")
        with open(self.log_path, "ab") as logf:
            r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=logf, timeout=DEFAULT_TIMEOUT,
                               env=dict(os.environ, **self.env))
        if r.returncode != 0:
            raise Failure("%s -d exited %d; log:\n%s" % (self.name, r.returncode, self.log_tail()))
        with open(self.pid_file) as f:
            self.pid = int(f.read().split()[0])
        return self.pid

    def alive(self):
        return self.pid is not None and pid_alive(self.pid)

    def kill(self, sig=signal.SIGKILL):
        if self.pid is not None:
            kill_and_wait(self.pid, sig)
            t0 = time.monotonic()
            wait_pid_reaped(self.pid)
            if time.monotonic() - t0 > 0.05:
                log("%s (pid %d) was reaped %.2f s after it exited"
                    % (self.name, self.pid, time.monotonic() - t0))

    def stop(self):
        """SIGTERM, and wait for the exit."""
        self.kill(signal.SIGTERM)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except FileNotFoundError:
            return "(no log)"


class Pty:
    """A guest's serial console on a pty: wait for output, type commands."""

    def __init__(self, path):
        import termios
        import tty
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd, termios.TCSANOW)
        self.buf = b""

    def until(self, pattern, timeout=BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out waiting for %r; got %r" % (pattern, self.buf[-400:]))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.buf += os.read(self.fd, 4096)
                except OSError:
                    select.select([], [], [], 0.05)

    def run(self, cmd, marker, timeout=60):
        os.write(self.fd, cmd.encode() + b"\r")
        return self.until(marker, timeout)

    def close(self):
        os.close(self.fd)


class Fixture:
    """Per test module: the temporary root, the bus, virtqemud, a client."""

    def __init__(self, start_daemon=True):
        self.root = None
        self.bus = None
        self.daemons = []
        self.clients = []
        self.watchers = []
        self.root = tempfile.mkdtemp(prefix="vq-", dir="/tmp")
        os.makedirs(os.path.join(self.root, "serial"))
        self.bus = Bus(self.root)
        self.qemud = Daemon(self.root, self.bus)
        self.daemons.append(self.qemud)
        if start_daemon:
            self.qemud.start()
        self.client = self.new_client()

    def new_client(self):
        c = Client(self.bus.address)
        self.clients.append(c)
        return c

    # Shorthands on the main client.
    def connect(self, method, sig="", *args, **kw):
        return self.client.connect(method, sig, *args, **kw)

    def domain(self, path, method, sig="", *args, **kw):
        return self.client.domain(path, method, sig, *args, **kw)

    def domain_xml(self, name, **kw):
        return domain_xml(name, self.root, **kw)

    def serial_log(self, name):
        w = LogWatcher(serial_log_path(self.root, name))
        self.watchers.append(w)
        return w

    def define(self, name, **kw):
        """Defines a guest; returns its object path."""
        return self.connect("DomainDefineXML", "s", self.domain_xml(name, **kw))

    def etc(self, *parts):
        return os.path.join(self.root, "etc", "libvirt", "qemu", *parts)

    def run_dir(self, *parts):
        return os.path.join(self.root, "run", "libvirt", "qemu", *parts)

    def check_alive(self):
        check(self.qemud.alive(), "virtqemud died; log:\n" + self.qemud.log_tail())
        check(self.client.name_has_owner(), "virtqemud no longer owns its bus name")

    def cleanup(self):
        for w in self.watchers:
            w.close()
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        for d in self.daemons:
            try:
                d.kill(signal.SIGKILL)
            except Exception as e:
                log("killing %s: %s" % (d.name, e))
        if self.root:
            # Guests and networks outlive their daemons by design: at the
            # end of a test, whatever still runs under its root goes.
            for pid in pids_mentioning(self.root):
                try:
                    kill_and_wait(pid, signal.SIGKILL, 10)
                except Exception as e:
                    log("killing %d: %s" % (pid, e))
        if self.bus:
            self.bus.stop()
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------- runner

def require_host():
    """Skips (77) when the host lacks what the tests need from outside the
    project."""
    for prog in ("dbus-daemon", "tail"):
        if not shutil.which(prog):
            raise Skip("%s is not installed" % prog)
    if not os.access(QEMU, os.X_OK):
        raise Skip("qemu-system-x86_64 is not installed")
    guest_images()


def run_in_new_netns(prefix):
    """Re-runs the calling script in a network namespace of its own (made
    with `ip netns add PREFIX-PID`, its loopback up, removed at the end) and
    exits with its status; returns at once when already inside. Skips
    without root."""
    if os.environ.get("VIRTSTACK_NETNS"):
        return
    ns = "%s-%d" % (prefix, os.getpid())
    if os.geteuid() != 0 or subprocess.run(["ip", "netns", "add", ns]).returncode != 0:
        print("SKIP: cannot create a network namespace (needs root and iproute2)")
        sys.exit(SKIP)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, VIRTSTACK_NETNS=ns)
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable] + sys.argv,
                            env=env).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns])
    sys.exit(rc)


def main(namespace, start_daemon=True):
    tests = sorted((f for n, f in namespace.items() if n.startswith("test_") and callable(f)),
                   key=lambda f: f.__code__.co_firstlineno)
    only = os.environ.get("TESTS")
    if only:
        tests = [t for t in tests if t.__name__ in only.split(",")]
    try:
        require_host()
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(SKIP)

    fx = None

    def on_term(signum, frame):
        # meson's timeout: clean up before dying.
        if fx:
            fx.cleanup()
        os._exit(1)
    signal.signal(signal.SIGTERM, on_term)

    failed = []
    leftovers = []
    try:
        fx = Fixture(start_daemon=start_daemon)
        log("root %s, bus %s" % (fx.root, fx.bus.address))
        for t in tests:
            t0 = time.monotonic()
            try:
                t(fx)
            except Skip as e:
                print("SKIP %s: %s" % (t.__name__, e))
                continue
            except Exception:
                failed.append(t.__name__)
                print("FAIL %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
                traceback.print_exc(file=sys.stdout)
                print("--- %s log (tail) ---\n%s" % (fx.qemud.name, fx.qemud.log_tail()))
                sys.stdout.flush()
                continue
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
            sys.stdout.flush()
    except Skip as e:
        print("SKIP: %s" % e)
        if fx:
            fx.cleanup()
        sys.exit(SKIP)
    finally:
        if fx:
            leftovers = qemu_pids(fx.root)
            fx.cleanup()
    if leftovers:
        log("note: %d qemu process(es) were still running at the end and were killed"
            % len(leftovers))
    if failed:
        print("FAILED: %s" % ", ".join(failed))
        sys.exit(1)
    print("all %d passed" % len(tests))
    sys.exit(0)
