"""units/: the systemd units parse (systemd-analyze verify, offline) and say
what the daemons do: Type=notify (they send READY=1), ExecStart= the binary
the build installs, the D-Bus activation files name each daemon's bus name
and unit, and virtproxyd's sockets are the paths, modes and unit names it
expects from socket activation."""

import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRCDIR = os.environ.get("SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("BUILDDIR") or os.path.join(SRCDIR, "build")
UNITS = os.path.join(SRCDIR, "units")
DAEMONS = ["virtqemud", "virtnetworkd", "virtstoraged", "virtnodedevd", "virtproxyd"]

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def parse(path):
    """A unit file's sections as {section: {key: [values]}}."""
    sections = {}
    current = None
    with open(os.path.join(UNITS, path)) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"\[(.+)\]", line)
            if m:
                current = sections.setdefault(m.group(1), {})
                continue
            check(current is not None and "=" in line, "%s:%d: not a key=value" % (path, n))
            if current is not None and "=" in line:
                k, v = line.split("=", 1)
                current.setdefault(k.strip(), []).append(v.strip())
    return sections


def one(sections, section, key):
    return (sections.get(section, {}).get(key) or [None])[-1]


def daemon_bus_name(daemon):
    with open(os.path.join(SRCDIR, daemon, "main.c")) as f:
        m = re.search(r'\.bus_name = "([^"]+)"', f.read())
    return m.group(1)


def test_services():
    for d in DAEMONS:
        u = parse(d + ".service")
        check(one(u, "Service", "Type") == "notify", "%s.service: Type=notify" % d)
        exe = one(u, "Service", "ExecStart") or ""
        check(exe.split()[0] == "/usr/bin/" + d, "%s.service: ExecStart=%r" % (d, exe))
        check(os.access(os.path.join(BUILDDIR, d, d), os.X_OK),
              "%s is not a binary of this build" % d)
        with open(os.path.join(SRCDIR, d, "meson.build")) as f:
            check("install : true" in f.read(), "%s is not installed by meson" % d)
        bus = daemon_bus_name(d)
        check("dbus-%s.service" % bus in u.get("Install", {}).get("Alias", []),
              "%s.service: Alias=dbus-%s.service" % (d, bus))
        # The D-Bus activation file.
        cp = configparser.ConfigParser()
        cp.optionxform = str
        cp.read(os.path.join(UNITS, bus + ".service"))
        s = cp["D-BUS Service"] if cp.has_section("D-BUS Service") else {}
        check(s.get("Name") == bus, "%s.service (D-Bus): Name" % bus)
        check(s.get("Exec") == "/usr/bin/" + d, "%s.service (D-Bus): Exec" % bus)
        check(s.get("User") == "root", "%s.service (D-Bus): User" % bus)
        check(s.get("SystemdService") == d + ".service",
              "%s.service (D-Bus): SystemdService" % bus)
        # Its bus policy, generated at build time.
        check(os.path.exists(os.path.join(BUILDDIR, "dbus-policy", bus + ".conf")),
              "no dbus-policy for %s" % bus)


def test_sockets():
    with open(os.path.join(SRCDIR, "virtproxyd", "proxy_server.c")) as f:
        server = f.read()
    want = {
        "virtproxyd.socket": ("/run/libvirt/libvirt-sock", "0700"),
        "virtproxyd-ro.socket": ("/run/libvirt/libvirt-sock-ro", "0777"),
        "virtproxyd-tcp.socket": ("127.0.0.1:16509", None),
    }
    for name, (listen, mode) in want.items():
        u = parse(name)
        check(one(u, "Socket", "ListenStream") == listen, "%s: ListenStream" % name)
        check(one(u, "Socket", "SocketMode") == mode, "%s: SocketMode" % name)
        check(one(u, "Socket", "Service") == "virtproxyd.service", "%s: Service" % name)
        check(one(u, "Socket", "FileDescriptorName") is None,
              "%s: the default FileDescriptorName (the unit name) is what virtproxyd reads"
              % name)
        check('"%s"' % name in server, "proxy_server.c does not know %s" % name)
        check("sockets.target" in u.get("Install", {}).get("WantedBy", []),
              "%s: WantedBy=sockets.target" % name)


def test_systemd_analyze():
    tool = shutil.which("systemd-analyze")
    if not tool:
        print("SKIP systemd-analyze verify: systemd-analyze is not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        units = [f for f in sorted(os.listdir(UNITS))
                 if f.endswith(".socket") or (f.endswith(".service") and f.startswith("virt"))]
        for f in units:
            shutil.copy(os.path.join(UNITS, f), tmp)
        r = subprocess.run([tool, "verify", "--man=no"] + [os.path.join(tmp, f) for f in units],
                           capture_output=True, text=True, timeout=60, cwd=tmp)
        # The binaries are not installed here: that one complaint is expected,
        # for the daemons' own names only. Anything else is a real problem.
        for line in (r.stdout + r.stderr).splitlines():
            m = re.fullmatch(r"(\S+)\.service: Command /usr/bin/(\S+) is not executable: .*",
                             line)
            if m and m.group(1) == m.group(2) and m.group(2) in DAEMONS:
                continue
            check(False, "systemd-analyze verify: %s" % line)


if __name__ == "__main__":
    test_services()
    test_sockets()
    test_systemd_analyze()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("ok")
