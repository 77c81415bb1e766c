"""virtproxyd against Debian's own virsh: the handshake and connection
calls over the unix socket and TCP, a real TCG guest's whole life through
virsh, `virsh event` seeing the lifecycle events, the read-only socket, an
unimplemented call answered NO_SUPPORT on a connection that stays usable,
hostile clients (a hang-up mid-call, an oversize frame, max_clients), and
virsh's messages compared with what it prints against libvirt's own test
driver."""

import os
import re
import socket
import struct
import subprocess
import time

import harness
from harness import check, check_eq, Failure
import proxyfx
from proxyfx import virsh, virsh_fails, RawClient

MAX_CLIENTS = 40
GUEST = "pxguest"


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "max_clients = %d\nkeepalive_interval = 5\n" % MAX_CLIENTS)
    fx.proxy.start()
    st = os.stat(fx.proxy.sock)
    check_eq(oct(st.st_mode & 0o777), oct(0o700), "libvirt-sock permissions")
    st = os.stat(fx.proxy.sock_ro)
    check_eq(oct(st.st_mode & 0o777), oct(0o777), "libvirt-sock-ro permissions")


def test_connection_calls(fx):
    p = fx.proxy
    out, _ = virsh(p.uri, "version")
    check("Using API: QEMU 9.0.0" in out, "virsh version: %r" % out)
    check_eq(virsh(p.uri, "hostname")[0].strip(), socket.gethostname(), "hostname")
    check_eq(virsh(p.uri, "uri")[0].strip(), p.uri, "uri")
    caps = virsh(p.uri, "capabilities")[0]
    check("<capabilities>" in caps and "<arch>x86_64</arch>" in caps, "capabilities")
    info = virsh(p.uri, "nodeinfo")[0]
    check(re.search(r"CPU\(s\):\s+%d" % os.cpu_count(), info), "nodeinfo: %r" % info)
    check("<sysinfo type='smbios'>" in virsh(p.uri, "sysinfo")[0], "sysinfo")
    check(re.search(r"\d+ KiB", virsh(p.uri, "freecell")[0]), "freecell")
    check("total" in virsh(p.uri, "nodememstats")[0], "nodememstats")
    check("user" in virsh(p.uri, "nodecpustats")[0], "nodecpustats")
    check_eq(virsh(p.uri, "list", "--all")[0].strip(), "", "list --all of an empty host")


def test_tcp(fx):
    p = fx.proxy
    check_eq(virsh(p.uri_tcp, "hostname")[0].strip(), socket.gethostname(), "hostname over tcp")
    check_eq(virsh(p.uri_tcp, "uri")[0].strip(), p.uri_tcp, "uri over tcp")
    import libvirt
    c = libvirt.open(p.uri_tcp)
    check_eq(c.isSecure(), 0, "isSecure over tcp")
    check_eq(c.isEncrypted(), 0, "isEncrypted over tcp")
    c.close()
    c = libvirt.open(p.uri)
    check_eq(c.isSecure(), 1, "isSecure over unix")
    check_eq(c.isAlive(), 1, "isAlive")
    c.close()


def domstate(fx):
    return virsh(fx.proxy.uri, "domstate", GUEST)[0].strip()


def test_guest_life(fx):
    ev = proxyfx.EventWatcher(fx.proxy.uri)
    try:
        guest_life(fx, ev)
    finally:
        ev.stop()


def guest_life(fx, ev):
    p = fx.proxy
    # The watcher is registered once its first event could be seen: a
    # define always produces one.
    xml_path = os.path.join(fx.root, GUEST + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(GUEST, memory_mib=128, vcpus=2))
    virsh(p.uri, "define", xml_path)
    # virsh event needs its registration in place before the events we
    # check: poll it with a harmless redefine until the Defined event shows.
    deadline = time.monotonic() + 30
    while not any("Defined" in ln for ln in ev.lines):
        virsh(p.uri, "define", xml_path)
        try:
            ev.wait(r"lifecycle.*'%s'.*Defined" % GUEST, timeout=1)
        except Failure:
            if time.monotonic() > deadline:
                raise
    out = virsh(p.uri, "list", "--all")[0]
    check(re.search(r"-\s+%s\s+shut off" % GUEST, out), "list --all: %r" % out)
    check_eq(domstate(fx), "shut off", "domstate")
    info = virsh(p.uri, "dominfo", GUEST)[0]
    check(re.search(r"State:\s+shut off", info), "dominfo state: %r" % info)
    check(re.search(r"Max memory:\s+131072 KiB", info), "dominfo max memory: %r" % info)
    check(re.search(r"CPU\(s\):\s+2", info), "dominfo cpus: %r" % info)
    check(re.search(r"Persistent:\s+yes", info), "dominfo persistent: %r" % info)
    check(re.search(r"Autostart:\s+disable", info), "dominfo autostart: %r" % info)
    uuid = harness.xml_uuid(open(xml_path).read())
    check_eq(virsh(p.uri, "domuuid", GUEST)[0].strip(), uuid, "domuuid")
    check_eq(virsh(p.uri, "domname", uuid)[0].strip(), GUEST, "domname")

    serial = fx.serial_log(GUEST)
    virsh(p.uri, "start", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Started Booted" % GUEST)
    serial.wait_for("GUEST-READY")
    check_eq(domstate(fx), "running", "domstate after start")
    check_eq(virsh(p.uri, "domcontrol", GUEST)[0].strip(), "ok", "domcontrol")
    domid = virsh(p.uri, "domid", GUEST)[0].strip()
    check(domid.isdigit(), "domid: %r" % domid)
    check_eq(virsh(p.uri, "domname", domid)[0].strip(), GUEST, "domname by id")
    out = virsh(p.uri, "list")[0]
    check(re.search(r"%s\s+%s\s+running" % (domid, GUEST), out), "list: %r" % out)
    check("<name>%s</name>" % GUEST in virsh(p.uri, "dumpxml", GUEST)[0], "dumpxml")
    info = virsh(p.uri, "dominfo", GUEST)[0]
    check(re.search(r"State:\s+running", info) and re.search(r"CPU time:\s+\d", info),
          "dominfo running: %r" % info)
    check_eq(virsh(p.uri, "vcpucount", GUEST, "--live", "--active")[0].strip(), "2",
             "vcpucount")
    vcpuinfo = virsh(p.uri, "vcpuinfo", GUEST)[0]
    check(vcpuinfo.count("VCPU:") == 2, "vcpuinfo: %r" % vcpuinfo)
    stats = virsh(p.uri, "domstats", GUEST)[0]
    check("state.state=1" in stats and "balloon.maximum=131072" in stats,
          "domstats: %r" % stats)
    allstats = virsh(p.uri, "domstats")[0]
    check("Domain: '%s'" % GUEST in allstats, "domstats for all: %r" % allstats)
    # The state group alone is answered from the mirror: the same lines.
    state_lines = lambda out: [ln.strip() for ln in out.splitlines() if "state." in ln]
    check_eq(state_lines(virsh(p.uri, "domstats", "--state")[0]), state_lines(allstats),
             "domstats --state against the state lines of domstats")
    mem = virsh(p.uri, "dommemstat", GUEST)[0]
    check(re.search(r"actual \d+", mem), "dommemstat: %r" % mem)
    virsh(p.uri, "setmem", GUEST, "100M", "--live")
    virsh(p.uri, "autostart", GUEST)
    check(re.search(r"Autostart:\s+enable", virsh(p.uri, "dominfo", GUEST)[0]),
          "autostart enabled")
    virsh(p.uri, "autostart", "--disable", GUEST)

    virsh(p.uri, "suspend", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Suspended" % GUEST)
    check_eq(domstate(fx), "paused", "domstate after suspend")
    virsh(p.uri, "resume", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Resumed" % GUEST)
    check_eq(domstate(fx), "running", "domstate after resume")

    virsh(p.uri, "reboot", GUEST)
    serial.wait_for("GUEST-READY", count=2)
    virsh(p.uri, "shutdown", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Stopped Shutdown" % GUEST)
    check_eq(domstate(fx), "shut off", "domstate after shutdown")

    virsh(p.uri, "start", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Started" % GUEST)
    # Starting a running domain: virsh's own message, as against libvirt.
    err = virsh_fails(p.uri, "start", GUEST)
    theirs = virsh_fails("test:///default", "start", "test")
    check_eq(err.strip(), theirs.strip(), "virsh start of a running domain")
    virsh(p.uri, "destroy", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Stopped Destroyed" % GUEST)
    virsh(p.uri, "undefine", GUEST)
    ev.wait(r"lifecycle.*'%s'.*Undefined Removed" % GUEST)
    check_eq(virsh(p.uri, "list", "--all")[0].strip(), "", "list --all after undefine")


def test_messages_match_libvirt(fx):
    """virsh's errors for a missing domain, against us and against libvirt's
    test driver."""
    ours = virsh_fails(fx.proxy.uri, "dominfo", "nosuchdomain")
    theirs = virsh_fails("test:///default", "dominfo", "nosuchdomain")
    check_eq(ours.strip(), theirs.strip(), "virsh dominfo of a missing domain")
    check("error: failed to get domain 'nosuchdomain'" in ours, "message: %r" % ours)
    import libvirt
    c = libvirt.open(fx.proxy.uri)
    try:
        c.lookupByName("nosuchdomain")
        raise Failure("lookupByName of a missing domain succeeded")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_NO_DOMAIN, "error code")
        check_eq(str(e), "Domain not found: no domain with matching name 'nosuchdomain'",
                 "error message")
    c.close()


def test_read_only(fx):
    p = fx.proxy
    xml_path = os.path.join(fx.root, "ro.xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml("rodom"))
    virsh(p.uri, "define", xml_path)
    for uri, ro in ((p.uri, True), (p.uri_ro, False), (p.uri_tcp, True)):
        out = virsh(uri, "list", "--all", ro=ro)[0]
        check("rodom" in out, "read-only list --all: %r" % out)
        check(re.search(r"State:\s+shut off", virsh(uri, "dominfo", "rodom", ro=ro)[0]),
              "read-only dominfo")
        check("<name>rodom</name>" in virsh(uri, "dumpxml", "rodom", ro=ro)[0], "ro dumpxml")
        for cmd, api in ((["start", "rodom"], "virDomainCreate"),
                         (["undefine", "rodom"], "virDomainUndefineFlags"),
                         (["define", xml_path], "virDomainDefineXML"),
                         (["autostart", "rodom"], "virDomainSetAutostart"),
                         (["dumpxml", "--security-info", "rodom"],
                          "virDomainGetXMLDesc with secure flag")):
            err = virsh_fails(uri, *cmd, ro=ro)
            # The secure flag is refused in libvirt's words, by the client
            # itself with -r and by the proxy otherwise (as libvirtd does);
            # the rest is the proxy's read-only answer.
            secure = api.endswith("secure flag")
            check((not secure and "operation forbidden: read only access prevents %s" % api
                   in err) or (secure and "operation forbidden: %s" % api in err),
                  "read-only %s: %r" % (cmd[0], err))
    import libvirt
    c = libvirt.openReadOnly(p.uri)
    d = c.lookupByName("rodom")
    check_eq(d.state(), [5, 0], "state through a read-only connection")
    try:
        d.create()
        raise Failure("create through a read-only connection succeeded")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_OPERATION_DENIED, "read-only error code")
    c.close()
    virsh(p.uri, "undefine", "rodom")


def test_no_support_keeps_connection(fx):
    p = fx.proxy
    xml_path = os.path.join(fx.root, "ns.xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml("nsdom"))
    virsh(p.uri, "define", xml_path)
    # One virsh connection for both commands: the second must still work.
    r = subprocess.run(["virsh", "-c", p.uri, "snapshot-list nsdom; hostname"],
                       capture_output=True, text=True, timeout=60)
    # virsh falls back from virDomainListAllSnapshots to the older call on
    # NO_SUPPORT, and reports the last one.
    check("this function is not supported by the connection driver: "
          "virDomainSnapshot" in r.stderr, "snapshot-list: %r" % r.stderr)
    check(socket.gethostname() in r.stdout, "hostname after NO_SUPPORT: %r" % r.stdout)
    virsh(p.uri, "undefine", "nsdom")


def test_hangup_mid_call(fx):
    p = fx.proxy
    xml = fx.domain_xml("hangup")
    virsh_define = os.path.join(fx.root, "hangup.xml")
    with open(virsh_define, "w") as f:
        f.write(xml)
    virsh(p.uri, "define", virsh_define)
    uuid = bytes.fromhex(harness.xml_uuid(xml).replace("-", ""))
    c = RawClient(path=p.sock)
    c.open()
    # DOMAIN_CREATE: virtqemud answers once QEMU runs; we are gone by then.
    dom = proxyfx.xdr_string("hangup") + uuid + struct.pack(">i", -1)
    c.send_call(9, dom)
    c.close()
    deadline = time.monotonic() + 60
    while "running" not in virsh(p.uri, "domstate", "hangup")[0]:
        check(time.monotonic() < deadline, "the guest never started")
        time.sleep(0.2)
    check(p.alive(), "virtproxyd died after a client hung up mid-call")
    virsh(p.uri, "destroy", "hangup")
    virsh(p.uri, "undefine", "hangup")


def test_oversize_message(fx):
    p = fx.proxy
    good = RawClient(path=p.sock)
    good.open()
    bad = RawClient(path=p.sock)
    bad.s.sendall(struct.pack(">I", 0x7fffffff) + b"x" * 64)
    check(bad.is_closed(), "an oversize frame did not close its connection")
    tiny = RawClient(path=p.sock)
    tiny.s.sendall(struct.pack(">I", 8) + b"abcd")
    check(tiny.is_closed(), "a frame below 28 bytes did not close its connection")
    m = good.call(59)  # CONNECT_GET_HOSTNAME on the other connection
    check_eq(m[4], proxyfx.OK, "another client after an oversize frame")
    # An unknown procedure: an error reply, never a dropped connection.
    m = good.call(9999)
    check_eq(m[4], proxyfx.ERROR, "unknown procedure status")
    m = good.call(59)
    check_eq(m[4], proxyfx.OK, "the connection after an unknown procedure")
    # Keepalive: a PING is answered with a PONG.
    good.s.sendall(proxyfx.frame(proxyfx.KEEPALIVE_PROGRAM, 1, proxyfx.MESSAGE, 0))
    m = good.recv()
    check_eq((m[0], m[1], m[2]), (proxyfx.KEEPALIVE_PROGRAM, 2, proxyfx.MESSAGE), "PONG")
    good.close()


def test_max_clients(fx):
    p = fx.proxy
    # Connections of earlier tests may still be closing: open clients until
    # one is refused, and count them.
    clients = []
    refused = None
    for _ in range(MAX_CLIENTS + 1):
        c = RawClient(path=p.sock)
        try:
            if c.call(66)[4] == proxyfx.OK:
                clients.append(c)
                continue
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        refused = c
        break
    check(refused is not None, "no client refused after %d connections" % len(clients))
    check(MAX_CLIENTS - 3 <= len(clients) <= MAX_CLIENTS,
          "%d clients accepted with max_clients = %d" % (len(clients), MAX_CLIENTS))
    refused.close()
    for c in clients:
        c.close()
    # Room again once they are gone (the proxy sees the hang-ups first).
    deadline = time.monotonic() + 30
    while True:
        c = RawClient(path=p.sock)
        try:
            if c.call(66)[4] == proxyfx.OK:
                break
        except (EOFError, ConnectionResetError):
            pass
        finally:
            c.close()
        check(time.monotonic() < deadline, "no room after the clients left")


def test_python_libvirt(fx):
    import threading
    import libvirt
    libvirt.virEventRegisterDefaultImpl()
    stop = []

    def loop():
        while not stop:
            libvirt.virEventRunDefaultImpl()
    t = threading.Thread(target=loop, daemon=True)
    t.start()
    c = libvirt.open(fx.proxy.uri)
    got = []
    ev = threading.Event()

    def cb(conn, dom, event, detail, opaque):
        got.append((dom.name(), event, detail))
        ev.set()
    cbid = c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, None)
    xml = fx.domain_xml("pydom", vcpus=1)
    d = c.defineXML(xml)
    check_eq(d.name(), "pydom", "defineXML name")
    check_eq(d.ID(), -1, "ID of an inactive domain")
    names = [x.name() for x in c.listAllDomains()]
    check("pydom" in names, "listAllDomains: %r" % names)
    d.create()
    d2 = c.lookupByName("pydom")
    check_eq(d2.state(), [libvirt.VIR_DOMAIN_RUNNING, 1], "state after create")
    check(d2.ID() > 0, "ID of a running domain")
    check_eq(c.lookupByID(d2.ID()).name(), "pydom", "lookupByID")
    info = d2.info()
    check_eq(info[0], libvirt.VIR_DOMAIN_RUNNING, "info state")
    check_eq(info[1], 131072, "info maxMem")
    check_eq(info[3], 1, "info nrVirtCpu")
    check_eq(d2.maxMemory(), 131072, "maxMemory")
    check(d2.memoryStats().get("actual", 0) > 0, "memoryStats")
    check(c.getMaxVcpus(None) >= 1, "getMaxVcpus")
    d2.destroy()
    check_eq(d2.state()[0], libvirt.VIR_DOMAIN_SHUTOFF, "state after destroy")
    deadline = time.monotonic() + 30
    while not any(e[1] == libvirt.VIR_DOMAIN_EVENT_STOPPED for e in got):
        check(time.monotonic() < deadline, "no Stopped event: %r" % got)
        ev.wait(1)
        ev.clear()
    check(("pydom", libvirt.VIR_DOMAIN_EVENT_STARTED, 0) in got, "Started event: %r" % got)
    c.domainEventDeregisterAny(cbid)
    d2.undefine()
    c.close()
    stop.append(1)


NET_XML = """<network>
  <name>pxnet</name>
  <uuid>5c6e1d0a-33b4-4c55-9a41-0b6d6c7e2f10</uuid>
  <bridge name='pxbr0'/>
  <ip address='192.168.231.1' netmask='255.255.255.0'/>
</network>
"""


def test_networks(fx):
    p = fx.proxy
    # While virtnetworkd is absent, its calls say so.
    err = virsh_fails(p.uri, "net-list", "--all")
    check("virtnetworkd is not running (org.libvirt.network has no owner)" in err,
          "net-list without virtnetworkd: %r" % err)
    netd = harness.Daemon(fx.root, fx.bus, name="virtnetworkd", bus_name="org.libvirt.network")
    if not os.path.exists(netd.binary):
        raise harness.Skip("virtnetworkd is not built")
    netd.start()
    fx.daemons.append(netd)
    xml_path = os.path.join(fx.root, "pxnet.xml")
    with open(xml_path, "w") as f:
        f.write(NET_XML)
    # The mirror learns of virtnetworkd from NameOwnerChanged: the first
    # call may come before its objects are in.
    deadline = time.monotonic() + 30
    while True:
        out, err = virsh(p.uri, "net-list", "--all", check_rc=False)
        if "not running" not in err:
            break
        check(time.monotonic() < deadline, "virtproxyd never saw virtnetworkd: %r" % err)
        time.sleep(0.1)
    virsh(p.uri, "net-define", xml_path)
    out = virsh(p.uri, "net-list", "--all")[0]
    check(re.search(r"pxnet\s+inactive\s+no\s+yes", out), "net-list --all: %r" % out)
    check("<name>pxnet</name>" in virsh(p.uri, "net-dumpxml", "pxnet")[0], "net-dumpxml")
    check_eq(virsh(p.uri, "net-uuid", "pxnet")[0].strip(),
             "5c6e1d0a-33b4-4c55-9a41-0b6d6c7e2f10", "net-uuid")
    virsh(p.uri, "net-autostart", "pxnet")
    check(re.search(r"Autostart:\s+yes", virsh(p.uri, "net-info", "pxnet")[0]), "net-info")
    err = virsh_fails(p.uri, "net-undefine", "pxnet", ro=True)
    check("operation forbidden" in err, "read-only net-undefine: %r" % err)
    err = virsh_fails(p.uri, "net-info", "nosuchnet")
    check("Network not found: no network with matching name 'nosuchnet'" in err,
          "missing network: %r" % err)
    virsh(p.uri, "net-undefine", "pxnet")
    check("pxnet" not in virsh(p.uri, "net-list", "--all")[0], "net-list after undefine")


def test_proxy_alive(fx):
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
