"""Talking to a running guest through virtproxyd, with Debian's virsh and
python3-libvirt: `virsh console` in a pty over the unix socket, TCP and ssh
types a command and reads its answer; a second console is refused, then
takes over with --force (the first one's stream ends); a named virtio
channel carries bytes both ways (virDomainOpenChannel), and FORCE takes it
over; `virsh screenshot` gives a PNG that decodes to the VGA's picture;
keys sent with `virsh send-key` (linux and xt codesets, and SendKey on the
bus) are read by the guest from its VT; `virsh inject-nmi` reaches the
guest's kernel; the same console and screenshot on the D-Bus side;
libvirt's errors for each call in the wrong state."""

import os
import pty
import re
import select
import socket
import struct
import subprocess
import time
import zlib

import harness
from harness import check, check_eq, Failure, Skip
import proxyfx
from proxyfx import virsh, virsh_fails

GUEST = "cguest"
CHANNEL = "org.example.test.0"
ESCAPE = b"\x1d"   # virsh console's ^]


class Console:
    """`virsh console` on a pty of its own, as a person at a terminal runs
    it: wait for output, type commands, leave with ^]."""

    def __init__(self, uri, *args, env=None):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            ["virsh", "-c", uri, "console", GUEST] + list(args),
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            env=env or dict(os.environ, LC_ALL="C"))
        os.close(slave)
        self.buf = b""

    def until(self, pattern, timeout=harness.BOOT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("console: timed out waiting for %r; got %r"
                              % (pattern, self.buf[-600:]))
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise Failure("console: virsh left (%s) before %r; got %r"
                                  % (self.proc.wait(), pattern, self.buf[-600:]))
                self.buf += data

    def connected(self, sync=True):
        """Waits for virsh's banner, then (@sync) for the guest's shell to
        answer: a shell that lost its terminal is starting again, and what
        is typed before it runs is lost."""
        self.until(rb"Escape character is \^\] \(Ctrl \+ \]\)\r?\n", timeout=60)
        for n in range(1, 6 if sync else 1):
            os.write(self.master, b"echo SYNC-$((%d*11))\r" % n)
            try:
                self.until(rb"SYNC-%d\r" % (n * 11), timeout=5)
                break
            except Failure:
                if n == 5 or self.proc.poll() is not None:
                    raise
        return self

    def run(self, cmd, marker, timeout=60):
        os.write(self.master, cmd.encode() + b"\r")
        return self.until(marker, timeout)

    def ended(self, timeout=60):
        """virsh's exit status once the stream ended under it."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("console: virsh still runs; output %r" % self.buf[-600:])

    def leave(self):
        os.write(self.master, ESCAPE)
        check_eq(self.ended(), 0, "virsh console's exit status after ^]")
        self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    chan = os.path.join(fx.root, "chan.sock")
    extra = ("<channel type='unix'><source mode='bind' path='%s'/>"
             "<target type='virtio' name='%s'/></channel>"
             "<video><model type='vga'/></video>" % (chan, CHANNEL))
    path = os.path.join(fx.root, GUEST + ".xml")
    with open(path, "w") as f:
        f.write(fx.domain_xml(GUEST, serial="pty", vnc=True, extra_devices=extra))
    virsh(fx.proxy.uri, "define", path)

    # A shut-off guest has no console, channel, screen or keys (virsh
    # itself refuses the console, from the state it asks for first).
    err = virsh_fails(fx.proxy.uri, "console", GUEST)
    check("The domain is not running" in err, "console of a shut-off guest: %r" % err)
    for args in (("screenshot", GUEST, os.path.join(fx.root, "x.png")),
                 ("send-key", GUEST, "KEY_A"), ("inject-nmi", GUEST)):
        err = virsh_fails(fx.proxy.uri, *args)
        check("Requested operation is not valid: domain is not running" in err,
              "%s of a shut-off guest: %r" % (args[0], err))

    # Paused first, so that the console is there before the guest prints.
    virsh(fx.proxy.uri, "start", "--paused", GUEST)
    fx.con = Console(fx.proxy.uri).connected(sync=False)
    virsh(fx.proxy.uri, "resume", GUEST)
    fx.con.until(rb"GUEST-READY[\s\S]*# ")
    fx.con.run("echo UNIX-$((6*7))", rb"UNIX-42")


def test_console_busy_and_force(fx):
    uri = fx.proxy.uri
    # One console at a time: a second is refused, in libvirt's words, and
    # the first one goes on.
    second = Console(uri)
    second.until(rb"Active console session exists for this domain", timeout=60)
    check(second.ended() != 0, "virsh console succeeded beside another console")
    second.close()
    fx.con.run("echo STILL-$((5+5))", rb"STILL-10")

    # --force takes it over: the first one's stream ends, and virsh leaves.
    forced = Console(uri, "--force").connected()
    fx.con.ended()
    fx.con.close()
    forced.run("echo FORCED-$((7*3))", rb"FORCED-21")
    forced.leave()

    # After ^] the console is free again: no --force needed.
    again = Console(uri).connected()
    again.run("echo AGAIN-$((2*2))", rb"AGAIN-4")
    again.leave()


def test_console_tcp(fx):
    con = Console(fx.proxy.uri_tcp, "--safe")
    try:
        con.connected().run("echo TCP-$((8*8))", rb"TCP-64")
        con.leave()
    finally:
        con.close()


def test_console_ssh(fx):
    import shutil
    if not os.path.exists("/usr/sbin/sshd") or not shutil.which("nc"):
        raise Skip("openssh-server or netcat-openbsd is not installed")
    sshd = proxyfx.Sshd(fx.root)
    try:
        con = Console(sshd.uri(fx.proxy.sock), env=sshd.env())
        try:
            con.connected().run("echo SSH-$((9*9))", rb"SSH-81")
            con.leave()
        finally:
            con.close()
    finally:
        sshd.stop()


def test_channel(fx):
    import libvirt
    conn = libvirt.open(fx.proxy.uri)
    dom = conn.lookupByName(GUEST)
    st = conn.newStream(0)
    dom.openChannel(CHANNEL, st, 0)
    con = Console(fx.proxy.uri).connected()
    fx.con = con
    # The guest finds its port by name and writes to it.
    con.run("for p in /sys/class/virtio-ports/*; do [ \"$(cat $p/name)\" = %s ] && "
            "d=/dev/${p##*/}; done; echo HELLO-CHANNEL > $d; echo C-$((1+2))" % CHANNEL,
            rb"\nC-3")
    got = b""
    while b"\n" not in got:
        data = st.recv(4096)
        check(data, "the channel's stream ended early; got %r" % got)
        got += data
    check_eq(got, b"HELLO-CHANNEL\n", "what the guest wrote to its channel")
    # The other way: the guest reads what the stream sends.
    os.write(con.master, b"read line < $d; echo \"GOT-$line.\"\r")
    st.send(b"PING-9\n")
    con.until(rb"GOT-PING-9\.")

    # One stream per channel: a second is refused; FORCE takes it over and
    # the first stream ends.
    try:
        dom.openChannel(CHANNEL, conn.newStream(0), 0)
        raise Failure("a second stream of the channel opened")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_FAILED, "error code")
        check("Active channel stream exists for this domain" in str(e), str(e))
    st2 = conn.newStream(0)
    dom.openChannel(CHANNEL, st2, libvirt.VIR_DOMAIN_CHANNEL_FORCE)
    check_eq(st.recv(4096), b"", "the first stream after FORCE")
    st.finish()
    con.run("echo BACK-CHANNEL > $d; echo C-$((2+3))", rb"\nC-5")
    got = b""
    while b"\n" not in got:
        got += st2.recv(4096)
    check_eq(got, b"BACK-CHANNEL\n", "the forced stream's data")
    st2.abort()

    for name, want in (("org.example.none", "cannot find channel org.example.none"),
                       ):
        try:
            dom.openChannel(name, conn.newStream(0), 0)
            raise Failure("openChannel(%s) succeeded" % name)
        except libvirt.libvirtError as e:
            check(want in str(e), str(e))
    conn.close()


def png_size(data):
    """A PNG's width and height, once its pixels decode (8-bit RGB)."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %r" % data[:16])
    off, idat, width = 8, b"", None
    while off < len(data):
        (n,) = struct.unpack(">I", data[off:off + 4])
        kind, body = data[off + 4:off + 8], data[off + 8:off + 8 + n]
        check_eq(zlib.crc32(kind + body), struct.unpack(">I", data[off + 8 + n:off + 12 + n])[0],
                 "CRC of the PNG's %r chunk" % kind)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            check_eq((depth, color), (8, 2), "the PNG's depth and colour type")
        elif kind == b"IDAT":
            idat += body
        off += 12 + n
    check(width, "the PNG has no IHDR")
    check_eq(len(zlib.decompress(idat)), height * (1 + 3 * width), "the PNG's pixel bytes")
    return width, height


def test_screenshot(fx):
    uri = fx.proxy.uri
    shot = os.path.join(fx.root, "shot.png")
    out = subprocess.run(["virsh", "-c", uri, "screenshot", GUEST, shot], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    check("Screenshot saved to %s, with type of image/png" % shot in out, out)
    with open(shot, "rb") as f:
        w, h = png_size(f.read())
    # The guest's VGA is in a text mode (no framebuffer driver): QEMU's own
    # answer for its size.
    check(w >= 640 and h >= 400, "screen size %dx%d" % (w, h))
    err = virsh_fails(uri, "screenshot", GUEST, shot, "--screen", "1")
    check("no such screen ID" in err, err)

    # On the bus: the type, then the framed image on the descriptor.
    path = fx.client.connect("DomainLookupByName", "s", GUEST)
    mime, fd = fx.client.call(path, "org.virtstack.DomainState", "Screenshot", "uu", 0, 0)
    fd = fd.take() if hasattr(fd, "take") else fd
    check_eq(mime, "image/png", "the screenshot's type on the bus")
    with socket.socket(fileno=fd) as s:
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    (n,) = struct.unpack(">Q", data[:8])
    check_eq(data[8 + n:], b"OK\n", "the status after the image")
    check_eq(png_size(data[8:8 + n]), (w, h), "the bus screenshot's size")


def test_send_key(fx):
    con, uri = fx.con, fx.proxy.uri
    # The keyboard types on the guest's first VT, where a read waits.
    for keys in (("KEY_H", "KEY_I", "KEY_ENTER"),
                 ("--codeset", "xt", "0x23", "0x17", "0x1c"),
                 ("--codeset", "usb", "--holdtime", "20", "11", "12", "40")):
        os.write(con.master, b"read line < /dev/tty1; echo \"KEYS-$line.\"\r")
        con.until(rb"read line[^\n]*\n")
        virsh(uri, "send-key", GUEST, *keys)
        con.until(rb"KEYS-hi\.", timeout=30)
    # libvirt-dbus's SendKey: linux codes.
    path = fx.client.connect("DomainLookupByName", "s", GUEST)
    os.write(con.master, b"read line < /dev/tty1; echo \"KEYS-$line.\"\r")
    con.until(rb"read line[^\n]*\n")
    fx.client.call(path, "org.libvirt.Domain", "SendKey", "uuauu", 0, 0, [35, 23, 28], 0)
    con.until(rb"KEYS-hi\.", timeout=30)

    for args, want in (
            (("KEY_NOPE",), "invalid keycode: 'KEY_NOPE'"),
            (("--codeset", "win32", "0xff"), "cannot translate keycode 255 of win32 codeset"),
            (tuple("KEY_A" for _ in range(17)), "too many keycodes")):
        err = virsh_fails(uri, "send-key", GUEST, *args)
        check(want in err, "send-key %s: %r" % (" ".join(args), err))


def test_bus_console(fx):
    """OpenConsole through the facade (org.libvirt, virtproxyd): the
    descriptor is the console, both ways; FORCE takes it from virsh."""
    fc = harness.Client(fx.bus.address, dest="org.libvirt")
    fx.clients.append(fc)
    path = fc.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName", "s", GUEST)
    try:
        fc.call(path, "org.virtstack.DomainState", "OpenConsole", "su", "", 0)
        raise Failure("OpenConsole beside virsh's console succeeded")
    except harness.BusError as e:
        check("Active console session exists for this domain" in str(e), str(e))
    fd = fc.call(path, "org.virtstack.DomainState", "OpenConsole", "su", "serial0", 1)
    fd = fd.take() if hasattr(fd, "take") else fd
    check_eq(fx.con.ended(), 0, "virsh console's exit status once the bus took over")
    fx.con.close()
    with socket.socket(fileno=fd) as s:
        s.sendall(b"echo BUS-$((3*11))\r")
        got, deadline = b"", time.monotonic() + 60
        while b"BUS-33" not in got:
            check(time.monotonic() < deadline, "no answer on the bus console: %r" % got)
            r, _, _ = select.select([s], [], [], 5)
            if r:
                data = s.recv(4096)
                check(data, "the bus console ended early: %r" % got)
                got += data
    # Closed: virsh's console opens again without --force.
    fx.con = Console(fx.proxy.uri).connected()
    fx.con.run("echo BACK-$((1+1))", rb"BACK-2")
    for args, want in ((("nope", 0), "cannot find character device nope"),
                       (("", 4), "unsupported flags (0x4) in function qemuDomainOpenConsole")):
        try:
            fc.call(path, "org.virtstack.DomainState", "OpenConsole", "su", *args)
            raise Failure("OpenConsole%r succeeded" % (args,))
        except harness.BusError as e:
            check(want in str(e), str(e))


def test_inject_nmi(fx):
    virsh(fx.proxy.uri, "inject-nmi", GUEST)
    fx.con.until(rb"NMI received", timeout=30)
    fx.con.run("echo NMI-$((4+4))", rb"NMI-8")


def test_domdisplay(fx):
    out = virsh(fx.proxy.uri, "domdisplay", GUEST)[0].strip()
    check(re.fullmatch(r"vnc://127\.0\.0\.1:\d+", out), "domdisplay: %r" % out)
    out = virsh(fx.proxy.uri, "domdisplay", GUEST, ro=True)[0].strip()
    check(re.fullmatch(r"vnc://127\.0\.0\.1:\d+", out), "domdisplay read-only: %r" % out)


def test_read_only(fx):
    ro = fx.proxy.uri_ro
    for args, api in ((("screenshot", GUEST, "/dev/null"), "virDomainScreenshot"),
                      (("send-key", GUEST, "KEY_A"), "virDomainSendKey"),
                      (("inject-nmi", GUEST), "virDomainInjectNMI")):
        err = virsh_fails(ro, *args)
        check("operation forbidden: read only access prevents %s" % api in err, err)


def test_console_ends_with_guest(fx):
    # The guest goes away: the console's stream ends and virsh leaves.
    virsh(fx.proxy.uri, "destroy", GUEST)
    check_eq(fx.con.ended(), 0, "virsh console's exit status when the guest stopped")
    fx.con.close()
    virsh(fx.proxy.uri, "undefine", GUEST)


def test_proxy_alive(fx):
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
