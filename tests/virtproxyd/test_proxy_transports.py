"""virtproxyd's transports and Debian's clients: listeners passed by socket activation (as systemd passes them),
qemu+ssh through a private sshd in netcat proxy mode, python3-libvirt and a
C program linked with -lvirt on a read-only connection against a running
guest, and 100 clients at once each listing domains in a loop."""

import os
import re
import shutil
import socket
import subprocess
import threading
import time

import harness
from harness import check, check_eq, Failure, Skip
import proxyfx
from proxyfx import virsh, virsh_fails

GUEST = "xguest"
GUEST_MIB = 128
GUEST_VCPUS = 2
CLIENTS = 100
LOOPS = 50


def test_start(fx):
    # The config is written now; the daemon starts after the activation test.
    fx.proxy = proxyfx.Proxy(fx, "max_clients = %d\n" % (CLIENTS + 50))


# ---- socket activation ----------------------------------------------------------

def listening_inodes(pid, table):
    """Inodes of the listening sockets of /proc/net/@table that @pid holds."""
    held = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except FileNotFoundError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            held.add(m.group(1))
    found = set()
    with open("/proc/net/" + table) as f:
        next(f)
        for line in f:
            cols = line.split()
            if table == "unix":
                # Flags 00010000 is __SO_ACCEPTCON: a listening socket.
                inode, listening = cols[6], int(cols[3], 16) & 0x10000
            else:
                inode, listening = cols[9], cols[3] == "0A"
            if listening and inode in held:
                found.add(inode)
    return found


def test_socket_activation(fx):
    """virtproxyd started as systemd would start it from virtproxyd.socket,
    virtproxyd-ro.socket and virtproxyd-tcp.socket: LISTEN_FDS=3 from fd 3,
    LISTEN_PID its own pid, LISTEN_FDNAMES the unit names, readiness by
    sd_notify on NOTIFY_SOCKET. virsh works through each socket, the
    read-only one refuses writes, and virtproxyd listens on nothing else."""
    p = fx.proxy
    sa = os.path.join(fx.root, "activation")
    os.makedirs(sa)
    rw_path, ro_path = os.path.join(sa, "rw-sock"), os.path.join(sa, "ro-sock")
    rw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    rw.bind(rw_path)
    rw.listen(16)
    ro = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ro.bind(ro_path)
    ro.listen(16)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    port = tcp.getsockname()[1]
    notify_path = os.path.join(sa, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    inodes = {str(os.fstat(s.fileno()).st_ino) for s in (rw, ro, tcp)}

    env = dict(os.environ, LISTEN_FDS="3", NOTIFY_SOCKET=notify_path,
               LISTEN_FDNAMES="virtproxyd.socket:virtproxyd-ro.socket:virtproxyd-tcp.socket")
    args = [p.binary, "--bus", p.bus.address, "--root", fx.root, "-v"]
    logf = open(os.path.join(fx.root, "virtproxyd-activated.log"), "ab")
    fds = [rw.fileno(), ro.fileno(), tcp.fileno()]
    pid = os.fork()
    if pid == 0:
        try:
            # Move the sockets out of the way first, then to 3, 4, 5.
            moved = [os.dup(fd) for fd in fds]
            for i, fd in enumerate(moved):
                os.dup2(fd, 3 + i, inheritable=True)
            os.dup2(logf.fileno(), 2)
            os.closerange(6, 1024)
            env["LISTEN_PID"] = str(os.getpid())
            os.execve(args[0], args, env)
        finally:
            os._exit(127)
    logf.close()
    try:
        notify.settimeout(harness.DEFAULT_TIMEOUT)
        ready = False
        while not ready:
            try:
                msg = notify.recv(4096).decode()
            except socket.timeout:
                raise Failure("no READY=1 from the activated virtproxyd")
            ready = "READY=1" in msg.split("\n")
        # Our sockets are no longer needed here: virtproxyd holds them.
        for s in (rw, ro, tcp):
            s.close()
        uri_rw = "qemu+unix:///system?socket=" + rw_path
        uri_ro = "qemu+unix:///system?socket=" + ro_path
        uri_tcp = "qemu+tcp://127.0.0.1:%d/system" % port
        check_eq(virsh(uri_rw, "hostname")[0].strip(), socket.gethostname(), "hostname (rw)")
        check_eq(virsh(uri_tcp, "hostname")[0].strip(), socket.gethostname(), "hostname (tcp)")
        check_eq(virsh(uri_ro, "list", "--all")[0].strip(), "", "list --all (ro)")
        xml_path = os.path.join(sa, "sadom.xml")
        with open(xml_path, "w") as f:
            f.write(fx.domain_xml("sadom"))
        err = virsh_fails(uri_ro, "define", xml_path)
        check("operation forbidden: read only access prevents virDomainDefineXML" in err,
              "define on the activated read-only socket: %r" % err)
        virsh(uri_tcp, "define", xml_path)
        check("sadom" in virsh(uri_ro, "list", "--all")[0], "list --all after define")
        virsh(uri_rw, "undefine", "sadom")
        # Nothing of its own: no socket files, and it listens on exactly
        # the three sockets it was given.
        own = os.path.join(fx.root, "run", "libvirt", "libvirt-sock")
        check(not os.path.exists(own) and not os.path.exists(own + "-ro"),
              "the activated virtproxyd created its own sockets")
        held = listening_inodes(pid, "unix") | listening_inodes(pid, "tcp") | \
            listening_inodes(pid, "tcp6")
        check_eq(held, inodes, "listening sockets of the activated virtproxyd")
    finally:
        os.kill(pid, 15)
        _, status = os.waitpid(pid, 0)
        notify.close()
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
          "the activated virtproxyd exited with status %r" % status)


# ---- the guest and read-only clients -----------------------------------------------

def test_guest(fx):
    p = fx.proxy
    p.start()
    fx.xml = fx.domain_xml(GUEST, memory_mib=GUEST_MIB, vcpus=GUEST_VCPUS)
    fx.uuid = harness.xml_uuid(fx.xml)
    path = os.path.join(fx.root, GUEST + ".xml")
    with open(path, "w") as f:
        f.write(fx.xml)
    virsh(p.uri, "define", path)
    serial = fx.serial_log(GUEST)
    virsh(p.uri, "start", GUEST)
    serial.wait_for("GUEST-READY")
    fx.domid = int(virsh(p.uri, "domid", GUEST)[0].strip())


def test_python_read_only(fx):
    import libvirt
    c = libvirt.openReadOnly(fx.proxy.uri)
    try:
        check_eq(c.isAlive(), 1, "isAlive")
        d = c.lookupByName(GUEST)
        check_eq(d.name(), GUEST, "name")
        check_eq(d.UUIDString(), fx.uuid, "UUIDString")
        check_eq(d.ID(), fx.domid, "ID")
        check_eq(d.state(), [libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_RUNNING_BOOTED],
                 "state")
        info = d.info()
        check_eq(info[0], libvirt.VIR_DOMAIN_RUNNING, "info state")
        check_eq(info[1], GUEST_MIB * 1024, "info maxMem")
        check(0 < info[2] <= GUEST_MIB * 1024, "info memory: %r" % info[2])
        check_eq(info[3], GUEST_VCPUS, "info nrVirtCpu")
        check(info[4] > 0, "info cpuTime: %r" % info[4])
        check_eq(d.maxMemory(), GUEST_MIB * 1024, "maxMemory")
        stats = d.memoryStats()
        check(0 < stats.get("actual", 0) <= GUEST_MIB * 1024, "memoryStats: %r" % stats)
        check_eq(d.maxVcpus(), GUEST_VCPUS, "maxVcpus")
        check_eq(d.isActive(), 1, "isActive")
        check_eq(d.isPersistent(), 1, "isPersistent")
        byid = c.lookupByID(fx.domid)
        check_eq((byid.name(), byid.UUIDString()), (GUEST, fx.uuid), "lookupByID")
        check_eq(c.lookupByUUIDString(fx.uuid).name(), GUEST, "lookupByUUIDString")
        check(GUEST in [x.name() for x in c.listAllDomains()], "listAllDomains")
        check("<name>%s</name>" % GUEST in d.XMLDesc(0), "XMLDesc")
        for what, fn in (("virDomainDestroy", d.destroy), ("virDomainSuspend", d.suspend),
                         ("virDomainSetAutostart", lambda: d.setAutostart(1)),
                         ("virDomainDefineXML", lambda: c.defineXML(fx.xml))):
            try:
                fn()
                raise Failure("%s succeeded through a read-only connection" % what)
            except libvirt.libvirtError as e:
                check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_DENIED,
                         "%s error code" % what)
                check_eq(str(e), "operation forbidden: read only access prevents %s" % what,
                         "%s error" % what)
        check_eq(d.state()[0], libvirt.VIR_DOMAIN_RUNNING, "state after refused writes")
    finally:
        c.close()


def test_lvirt_program(fx):
    prog = os.path.join(harness.BUILDDIR, "tests", "virtproxyd", "test_lvirt")
    if not os.path.exists(prog):
        raise Skip("test_lvirt is not built (libvirt-dev is not installed)")
    for uri in (fx.proxy.uri, fx.proxy.uri_ro):
        r = subprocess.run([prog, uri, str(fx.domid)], capture_output=True, text=True,
                           timeout=60)
        check_eq(r.returncode, 0, "test_lvirt exit status (%s): %s" % (uri, r.stderr))
        got = dict(line.split("=", 1) for line in r.stdout.splitlines())
        check_eq(got["name"], GUEST, "name")
        check_eq(int(got["id"]), fx.domid, "id")
        check_eq(got["uuid"], fx.uuid, "uuid")
        check_eq(int(got["state"]), 1, "state (VIR_DOMAIN_RUNNING)")
        check_eq(int(got["maxMem"]), GUEST_MIB * 1024, "maxMem")
        check(0 < int(got["memory"]) <= GUEST_MIB * 1024, "memory: %r" % got["memory"])
        check_eq(int(got["nrVirtCpu"]), GUEST_VCPUS, "nrVirtCpu")
        check(int(got["cpuTime"]) > 0, "cpuTime")
        check_eq(got["suspend_error"],
                 "29 operation forbidden: read only access prevents virDomainSuspend",
                 "a write through the read-only connection")
    # A missing id: libvirt's error, exit 1.
    r = subprocess.run([prog, fx.proxy.uri, "9999"], capture_output=True, text=True,
                       timeout=60)
    check_eq(r.returncode, 1, "test_lvirt with a missing id")
    check("Domain not found" in r.stderr, "missing id: %r" % r.stderr)


# ---- qemu+ssh -----------------------------------------------------------------------

def test_ssh(fx):
    if not os.path.exists("/usr/sbin/sshd") or not shutil.which("nc"):
        raise Skip("openssh-server or netcat-openbsd is not installed")
    sshd = proxyfx.Sshd(fx.root)
    try:
        ssh_life(fx, sshd)
    except Failure:
        harness.log("sshd log:\n" + open(sshd.log_path).read()[-3000:])
        raise
    finally:
        sshd.stop()


def ssh_life(fx, sshd):
    uri = sshd.uri(fx.proxy.sock)
    env = sshd.env()

    def run(*args, ok=True):
        r = subprocess.run(["virsh", "-c", uri] + list(args), capture_output=True,
                           text=True, timeout=120, env=env)
        if ok and r.returncode != 0:
            raise Failure("virsh over ssh %s exited %d:\n%s%s"
                          % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    out = run("version").stdout
    check("Using API: QEMU 9.0.0" in out and "Running hypervisor: QEMU" in out,
          "version over ssh: %r" % out)
    check_eq(run("uri").stdout.strip(), uri, "uri over ssh")
    out = run("list", "--all").stdout
    check(re.search(r"%d\s+%s\s+running" % (fx.domid, GUEST), out), "list --all: %r" % out)
    name = "sshguest"
    path = os.path.join(fx.root, name + ".xml")
    with open(path, "w") as f:
        f.write(fx.domain_xml(name, memory_mib=96, vcpus=1))
    check("Domain '%s' defined" % name in run("define", path).stdout, "define over ssh")
    check("Domain '%s' started" % name in run("start", name).stdout, "start over ssh")
    info = run("dominfo", name).stdout
    check(re.search(r"State:\s+running", info) and re.search(r"Max memory:\s+98304 KiB", info)
          and re.search(r"CPU\(s\):\s+1\b", info), "dominfo over ssh: %r" % info)
    check("Domain '%s' destroyed" % name in run("destroy", name).stdout, "destroy over ssh")
    check_eq(run("domstate", name).stdout.strip(), "shut off", "domstate after destroy")
    check("Domain '%s' has been undefined" % name in run("undefine", name).stdout,
          "undefine over ssh")
    check(name not in run("list", "--all").stdout, "list --all after undefine")
    # The same through the read-only socket: writes are refused.
    ro_uri = uri.replace("socket=" + fx.proxy.sock, "socket=" + fx.proxy.sock_ro)
    r = subprocess.run(["virsh", "-c", ro_uri, "destroy", GUEST], capture_output=True,
                       text=True, timeout=120, env=env)
    check(r.returncode != 0 and "read only access prevents virDomainDestroy" in r.stderr,
          "destroy over ssh on the read-only socket: %r" % r.stderr)
    # It went through our sshd: the log names the key's login.
    log = open(sshd.log_path).read()
    check("Accepted publickey for root from 127.0.0.1" in log, "sshd log: %r" % log[-2000:])


# ---- many clients -------------------------------------------------------------------

def test_many_clients(fx):
    """CLIENTS python3-libvirt connections open at once, each listing the
    domains LOOPS times from its own thread; every answer is right."""
    import libvirt
    conns = [libvirt.open(fx.proxy.uri) for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS)
    errors = []
    counts = []

    def worker(c):
        try:
            barrier.wait(timeout=60)
            n = 0
            for _ in range(LOOPS):
                doms = c.listAllDomains()
                names = [d.name() for d in doms]
                if names != [GUEST]:
                    raise Failure("listAllDomains gave %r" % names)
                if c.listDomainsID() != [fx.domid]:
                    raise Failure("listDomainsID gave %r" % c.listDomainsID())
                n += 1
            counts.append(n)
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.monotonic() - t0
    for c in conns:
        c.close()
    check(not errors, "%d clients failed, first: %s" % (len(errors), errors[:1]))
    check_eq(sum(counts), CLIENTS * LOOPS, "loops completed")
    harness.log("%d clients x %d loops in %.1f s" % (CLIENTS, LOOPS, elapsed))
    check(fx.proxy.alive(), "virtproxyd died")


def test_cleanup_guest(fx):
    virsh(fx.proxy.uri, "destroy", GUEST)
    virsh(fx.proxy.uri, "undefine", GUEST)
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
