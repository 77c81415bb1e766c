"""virtproxyd fixtures for the integration tests: start virtproxyd with a
config file on the harness's private bus, run Debian's virsh against it,
and speak the raw RPC protocol for the hostile-client cases."""

import os
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import harness
from harness import Failure

REMOTE_PROGRAM = 0x20008086
KEEPALIVE_PROGRAM = 0x6b656570
CALL, REPLY, MESSAGE = 0, 1, 2
OK, ERROR = 0, 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Proxy(harness.Daemon):
    """virtproxyd -d -l with ROOT/etc/libvirt/virtproxyd.conf."""

    def __init__(self, fx, conf):
        super().__init__(fx.root, fx.bus, name="virtproxyd", bus_name="org.libvirt")
        self.fx = fx
        self.port = free_port()
        etc = os.path.join(fx.root, "etc", "libvirt")
        os.makedirs(etc, exist_ok=True)
        with open(os.path.join(etc, "virtproxyd.conf"), "w") as f:
            f.write('listen_tcp = 1\ntcp_port = %d\nauth_tcp = "none"\n' % self.port)
            f.write(conf)
        self.sock = os.path.join(fx.root, "run", "libvirt", "libvirt-sock")
        self.sock_ro = self.sock + "-ro"
        self.uri = "qemu+unix:///system?socket=" + self.sock
        self.uri_ro = "qemu+unix:///system?socket=" + self.sock_ro
        self.uri_tcp = "qemu+tcp://127.0.0.1:%d/system" % self.port

    def start(self, extra=("-l",)):
        args = [self.binary, "-d", "--bus", self.bus.address, "--root", self.root,
                "-p", self.pid_file, "-v"] + list(extra)
        with open(self.log_path, "ab") as logf:
            r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=logf, timeout=harness.DEFAULT_TIMEOUT)
        if r.returncode != 0:
            raise Failure("virtproxyd -d exited %d; log:\n%s" % (r.returncode, self.log_tail()))
        with open(self.pid_file) as f:
            self.pid = int(f.read().split()[0])
        self.fx.daemons.append(self)
        return self.pid


def libvirtd(qemu_conf="", netns=False):
    """Debian's libvirtd, started as bench/proxy_bench.py starts it (a
    private mount namespace, nothing of the host's state touched), for a
    test that compares its answers with ours; Skip when it is not there.
    The caller close()s it. @qemu_conf: lines for its qemu.conf; with
    GUEST_QEMU_CONF it runs guests here (no virtlogd, no cgroups); with
    @netns it has a network namespace of its own, for networks."""
    import sys
    sys.path.insert(0, os.path.join(harness.SRCDIR, "bench"))
    import proxy_bench
    import shutil
    if not (os.path.exists(proxy_bench.LIBVIRTD) and shutil.which("unshare")):
        raise harness.Skip("Debian's libvirtd is not installed")
    return proxy_bench.Libvirtd(qemu_conf, netns)


GUEST_QEMU_CONF = ('stdio_handler = "file"\ncgroup_controllers = []\n'
                   # its guests may open the test's files, under a private folder
                   'user = "root"\ngroup = "root"\n')


def virsh(uri, *args, ro=False, check_rc=True, timeout=120):
    """Runs virsh; returns (stdout, stderr). With check_rc a failure raises."""
    cmd = ["virsh", "-q", "-c", uri] + (["-r"] if ro else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, LC_ALL="C"))
    if check_rc and r.returncode != 0:
        raise Failure("%s exited %d:\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout, r.stderr


def virsh_fails(uri, *args, ro=False):
    """Runs a virsh command that must fail; returns its stderr."""
    out, err = virsh(uri, *args, ro=ro, check_rc=False)
    cmd = ["virsh", "-c", uri] + (["-r"] if ro else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
    if r.returncode == 0:
        raise Failure("%s succeeded; output:\n%s" % (" ".join(cmd), r.stdout))
    return r.stderr


class Sshd:
    """A private sshd on 127.0.0.1 with keys made here; root logs in with
    the client key only. Nothing under /etc is touched."""

    def __init__(self, root):
        self.dir = tempfile.mkdtemp(prefix="sshd-", dir=root)
        os.chmod(self.dir, 0o700)
        self.host_key = os.path.join(self.dir, "host_key")
        self.client_key = os.path.join(self.dir, "client_key")
        for key in (self.host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key],
                           check=True, stdin=subprocess.DEVNULL)
        shutil.copy(self.client_key + ".pub", os.path.join(self.dir, "authorized_keys"))
        self.port = free_port()
        self.config = os.path.join(self.dir, "sshd_config")
        with open(self.config, "w") as f:
            f.write("\n".join([
                "ListenAddress 127.0.0.1",
                "HostKey " + self.host_key,
                "PidFile " + os.path.join(self.dir, "sshd.pid"),
                "AuthorizedKeysFile " + os.path.join(self.dir, "authorized_keys"),
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "LogLevel VERBOSE",
                ""]))
        # known_hosts for the client: the host key, so nothing is written to
        # root's own ~/.ssh.
        with open(self.host_key + ".pub") as f:
            hostpub = f.read().split()
        self.known_hosts = os.path.join(self.dir, "known_hosts")
        with open(self.known_hosts, "w") as f:
            f.write("[127.0.0.1]:%d %s %s\n" % (self.port, hostpub[0], hostpub[1]))
        # libvirt runs `ssh` from PATH: a wrapper in front of it points ssh at
        # that known_hosts file (libvirt's own ssh transport has no option
        # for it).
        self.bindir = os.path.join(self.dir, "bin")
        os.makedirs(self.bindir)
        wrapper = os.path.join(self.bindir, "ssh")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec /usr/bin/ssh -o UserKnownHostsFile=%s '
                    '-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes "$@"\n'
                    % self.known_hosts)
        os.chmod(wrapper, 0o755)
        # The privilege separation directory sshd needs (Debian's unit makes
        # it with RuntimeDirectory=sshd).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.log_path = os.path.join(self.dir, "sshd.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-e", "-f", self.config, "-p", str(self.port),
             "-h", self.host_key], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        # Ready once it logs that it listens (-e: the log goes to stderr).
        watcher = harness.LogWatcher(self.log_path)
        try:
            watcher.wait_for("Server listening on 127.0.0.1 port %d" % self.port,
                             timeout=harness.DEFAULT_TIMEOUT)
        except Failure:
            raise Failure("sshd did not start:\n" + open(self.log_path).read())
        finally:
            watcher.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

    def uri(self, sock):
        """virtproxyd's socket @sock through this sshd, as Debian's virsh
        reaches it (libvirt's ssh transport with netcat)."""
        return ("qemu+ssh://root@127.0.0.1:%d/system?socket=%s&proxy=netcat&netcat=nc"
                "&keyfile=%s&no_verify=1&no_tty=1" % (self.port, sock, self.client_key))

    def env(self):
        """The environment for a client of uri(): ssh from the wrapper."""
        return dict(os.environ, LC_ALL="C", PATH=self.bindir + ":" + os.environ["PATH"])


class EventWatcher:
    """`virsh event --all --loop`, its output read as it comes."""

    def __init__(self, uri):
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "virsh", "-c", uri, "event", "--all", "--loop", "--timeout", "300"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.partial = b""

    def wait(self, pattern, timeout=harness.BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, ln) for ln in self.lines):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no event %r; got %r" % (pattern, self.lines))
            # Raw reads: a buffered readline() would hide lines from select().
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    raise Failure("virsh event exited; got %r" % self.lines)
                *done, self.partial = (self.partial + data).split(b"\n")
                self.lines += [ln.decode(errors="replace").rstrip() for ln in done]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


# ---- the raw protocol --------------------------------------------------------

def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def frame(prog, proc, mtype, serial, status=OK, payload=b""):
    body = struct.pack(">IIiiIi", prog, 1, proc, mtype, serial, status) + payload
    return struct.pack(">I", len(body) + 4) + body


class RawClient:
    """A client that speaks the protocol byte by byte."""

    def __init__(self, path=None, port=None):
        if path:
            self.s = socket.socket(socket.AF_UNIX)
            self.s.connect(path)
        else:
            self.s = socket.create_connection(("127.0.0.1", port))
        self.s.settimeout(30)
        self.serial = 0

    def send_call(self, proc, payload=b""):
        serial = self.serial
        self.serial += 1
        self.s.sendall(frame(REMOTE_PROGRAM, proc, CALL, serial, OK, payload))
        return serial

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise EOFError("connection closed after %d of %d bytes" % (len(data), n))
            data += chunk
        return data

    def recv(self):
        """(prog, proc, type, serial, status, payload)"""
        (length,) = struct.unpack(">I", self.recv_exact(4))
        body = self.recv_exact(length - 4)
        prog, vers, proc, mtype, serial, status = struct.unpack(">IIiiIi", body[:24])
        return prog, proc, mtype, serial, status, body[24:]

    def call(self, proc, payload=b""):
        serial = self.send_call(proc, payload)
        while True:
            m = self.recv()
            if m[2] == REPLY and m[3] == serial:
                return m

    def open(self, ro=False):
        m = self.call(66)  # AUTH_LIST
        if m[4] != OK:
            raise Failure("AUTH_LIST failed")
        m = self.call(1, struct.pack(">I", 1) + xdr_string("qemu:///system") +
                      struct.pack(">I", 1 if ro else 0))
        if m[4] != OK:
            raise Failure("CONNECT_OPEN failed: %r" % m[5])

    def is_closed(self, timeout=30):
        """True once the peer closes (EOF or reset) within @timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def error_message(payload):
    """The code and message of a remote_error payload."""
    code, _domain, present = struct.unpack(">iiI", payload[:12])
    if not present:
        return code, None
    (n,) = struct.unpack(">I", payload[12:16])
    return code, payload[16:16 + n].decode()
