"""The guest agent through virtproxyd, against Debian's qemu-ga running in
the TCG guest (the agent initramfs), with Debian's virsh and
python3-libvirt: AGENT_LIFECYCLE as the guest's agent starts, stops and
starts again, and none repeated across a virtqemud SIGKILL; qemu-agent-
command and qemu-monitor-command (QMP and HMP; the domain's log tells the
taint once), qemu-monitor-event by name and by regex; domhostname; domtime read and set (the guest's clock moves);
domfsinfo, domfsfreeze (a write in the guest waits) and domfsthaw (it goes
on), domfstrim; set-user-password (the guest's /etc/shadow changes);
domifaddr from the agent and from the host's ARP table; domif-setlink
(the guest's carrier follows); dompmsuspend and dompmwakeup (S3); a hung agent gives
libvirt's unresponsive error after its timeout while other calls go on;
shutdown and reboot with --mode agent; libvirt's errors for a guest
without an agent (and a screenshot of one without video), a shut-off one
and the read-only socket; domrename of the shut-off one."""

import os
import re
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, Failure
import proxyfx
from proxyfx import virsh, virsh_fails

GUEST = "agguest"
PLAIN = "agplain"


class AgentEvents:
    """python3-libvirt's AGENT_LIFECYCLE and LIFECYCLE events, in order."""

    def __init__(self, uri):
        import libvirt
        self.lv = libvirt
        libvirt.virEventRegisterDefaultImpl()
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()
        self.conn = libvirt.open(uri)
        self.got = []
        self.cond = threading.Condition()
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                         self.on_agent, None)
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         self.on_lifecycle, None)
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_PMSUSPEND,
                                         self.on_pmsuspend, None)
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_PMWAKEUP,
                                         self.on_pmwakeup, None)

    def loop(self):
        while not self.stop:
            self.lv.virEventRunDefaultImpl()

    def add(self, item):
        with self.cond:
            self.got.append(item)
            self.cond.notify_all()

    def on_agent(self, conn, dom, state, reason, opaque):
        self.add(("agent", dom.name(), state, reason))

    def on_lifecycle(self, conn, dom, event, detail, opaque):
        self.add(("lifecycle", dom.name(), event))

    def on_pmsuspend(self, conn, dom, reason, opaque):
        self.add(("pmsuspend", dom.name(), reason))

    def on_pmwakeup(self, conn, dom, reason, opaque):
        self.add(("pmwakeup", dom.name(), reason))

    def wait(self, item, since=0, timeout=harness.BOOT_TIMEOUT):
        """Waits for @item among the events from number @since on."""
        with self.cond:
            if not self.cond.wait_for(lambda: item in self.got[since:], timeout):
                raise Failure("no event %r; got %r" % (item, self.got))

    def count(self):
        with self.cond:
            return len(self.got)

    def agent_events(self):
        with self.cond:
            return [e for e in self.got if e[0] == "agent"]

    def close(self):
        self.conn.close()
        self.stop = True


def virsh_loud(uri, *args):
    """virsh without -q, for the messages -q hides ("Froze 1 ...")."""
    r = subprocess.run(["virsh", "-c", uri] + list(args), capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, LC_ALL="C"))
    if r.returncode != 0:
        raise Failure("virsh %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def connected(fx):
    import libvirt
    return ("agent", GUEST, libvirt.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED,
            libvirt.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_CHANNEL)


def agent_state(fx):
    live = ET.fromstring(virsh(fx.proxy.uri, "dumpxml", GUEST)[0])
    for ch in live.findall("./devices/channel"):
        t = ch.find("target")
        if t.get("name") == "org.qemu.guest_agent.0":
            return t.get("state"), ch.find("source").get("path")
    raise Failure("no agent channel in the live XML")


def test_start(fx):
    import libvirt
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    fx.events = AgentEvents(fx.proxy.uri)
    disk = os.path.join(fx.root, "fs.img")
    subprocess.run(["mkfs.ext4", "-q", "-F", disk, "16M"], check=True,
                   stdout=subprocess.DEVNULL)
    extra = ("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
             "<source file='%s'/><target dev='vda' bus='virtio'/></disk>"
             "<interface type='user'><mac address='52:54:00:aa:bb:01'/>"
             "<model type='virtio'/></interface>" % disk)
    for name, kw in ((GUEST, dict(agent=True, extra_devices=extra)), (PLAIN, {})):
        path = os.path.join(fx.root, name + ".xml")
        with open(path, "w") as f:
            f.write(fx.domain_xml(name, serial="pty", **kw))
        virsh(fx.proxy.uri, "define", path)

    # Shut off: libvirt's refusal, before any agent.
    err = virsh_fails(fx.proxy.uri, "domhostname", GUEST)
    check("Requested operation is not valid: domain is not running" in err, err)

    virsh(fx.proxy.uri, "start", GUEST)
    live = ET.fromstring(virsh(fx.proxy.uri, "dumpxml", GUEST)[0])
    fx.pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    fx.pty.until(rb"GUEST-READY[\s\S]*# ")
    fx.events.wait(connected(fx))
    E = libvirt
    check_eq(fx.events.agent_events(),
             [("agent", GUEST, E.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_DISCONNECTED,
               E.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_DOMAIN_STARTED),
              connected(fx)], "the agent's events at start")
    state, sock = agent_state(fx)
    check_eq(state, "connected", "the agent channel's state in the live XML")
    check(sock.startswith(fx.root) and os.path.exists(sock), "the agent's socket %r" % sock)


def test_agent_command(fx):
    out = virsh(fx.proxy.uri, "qemu-agent-command", GUEST, '{"execute":"guest-info"}')[0]
    check('"return"' in out and '"version"' in out and "guest-sync" in out,
          "guest-info: %r" % out[:300])
    out = virsh(fx.proxy.uri, "qemu-agent-command", GUEST, "--timeout", "10",
                '{"execute":"guest-ping"}')[0]
    check_eq(out.strip(), '{"return":{}}', "guest-ping")
    err = virsh_fails(fx.proxy.uri, "qemu-agent-command", GUEST, '{"execute":"guest-nope"}')
    check("unable to execute QEMU agent command 'guest-nope'" in err, err)
    err = virsh_fails(fx.proxy.uri, "qemu-agent-command", GUEST, "not json")
    check("cannot parse json not json" in err, err)
    err = virsh_fails(fx.proxy.uri_ro, "qemu-agent-command", GUEST, '{"execute":"guest-ping"}')
    check("read only access prevents virDomainQemuAgentCommand" in err, err)


def test_monitor_command(fx):
    uri = fx.proxy.uri
    log = os.path.join(fx.root, "var", "log", "libvirt", "qemu", GUEST + ".log")
    with open(log) as f:
        check("is tainted: custom-monitor" not in f.read(), "tainted before any command")
    out = virsh(uri, "qemu-monitor-command", GUEST, '{"execute":"query-status"}')[0]
    check('"return"' in out and '"status":"running"' in out.replace(" ", ""),
          "query-status: %r" % out)
    out = virsh(uri, "qemu-monitor-command", GUEST, "--hmp", "info status")[0]
    check("VM status: running" in out, "info status: %r" % out)
    # QEMU's own error comes back as its reply, as libvirt passes it on.
    out = virsh(uri, "qemu-monitor-command", GUEST, '{"execute":"no-such-command"}')[0]
    check('"CommandNotFound"' in out, "an unknown command's reply: %r" % out)
    with open(log) as f:
        text = f.read()
    check_eq(text.count("is tainted: custom-monitor"), 1, "custom-monitor taints in the log")
    check_eq(text.count("is tainted: custom-ga-command"), 1, "custom-ga-command taints")
    err = virsh_fails(fx.proxy.uri_ro, "qemu-monitor-command", GUEST,
                      '{"execute":"query-status"}')
    check("read only access prevents virDomainQemuMonitorCommand" in err, err)
    err = virsh_fails(uri, "qemu-monitor-command", PLAIN, '{"execute":"query-status"}')
    check("Requested operation is not valid: domain is not running" in err, err)


class MonitorEvents(proxyfx.EventWatcher):
    """`virsh qemu-monitor-event` with @args, its lines as they come."""

    def __init__(self, uri, *args):
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "virsh", "-c", uri, "qemu-monitor-event", "--loop", "--timeout",
             "300"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = []
        self.partial = b""

    def wait_new(self, pattern, since, timeout=60):
        """Waits for a line matching @pattern among those from @since on."""
        seen = self.lines
        try:
            self.lines = seen[since:]
            self.wait(pattern, timeout)
        finally:
            self.lines = seen[:since] + self.lines
        return len(self.lines)


def test_monitor_events(fx):
    """virsh qemu-monitor-event: by name for one domain, by regex without
    case; each QMP event with its time, its domain and its data."""
    uri = fx.proxy.uri
    one = MonitorEvents(uri, GUEST, "--event", "STOP")
    both = MonitorEvents(uri, "--event", "^(stop|resume)$", "--regex", "--no-case")
    try:
        # Registered once a STOP shows on both: until then, pause and resume.
        deadline = time.monotonic() + 60
        while True:
            virsh(uri, "suspend", GUEST)
            virsh(uri, "resume", GUEST)
            try:
                one.wait(r"event STOP", timeout=2)
                both.wait(r"event RESUME", timeout=2)
                break
            except Failure:
                check(time.monotonic() < deadline,
                      "no events: %r %r" % (one.lines, both.lines))
        n_one, n_both = len(one.lines), len(both.lines)
        virsh(uri, "suspend", GUEST)
        one.wait_new(r"event STOP", n_one)
        both.wait_new(r"event STOP", n_both)
        virsh(uri, "resume", GUEST)
        both.wait_new(r"event RESUME", n_both + 1)
        check(re.search(r"^event STOP at \d+\.\d{6} for domain '%s': <null>$" % GUEST,
                        one.lines[n_one]), "the STOP line: %r" % one.lines[n_one])
        check(all(" STOP " in ln for ln in one.lines), "the name filter let through %r" % one.lines)
        check(all(re.search(r" (STOP|RESUME) ", ln) for ln in both.lines),
              "the regex let through %r" % both.lines)
        # Data comes as JSON.
        m = MonitorEvents(uri, GUEST, "--event", "BALLOON_CHANGE")
        try:
            deadline = time.monotonic() + 60
            for size in ("100M", "110M", "120M", "128M"):
                virsh(uri, "setmem", GUEST, size, "--live")
            m.wait(r"event BALLOON_CHANGE .*\{\"actual\":\d+\}", timeout=60)
        finally:
            m.stop()
    finally:
        one.stop()
        both.stop()
    err = virsh_fails(fx.proxy.uri_ro, "qemu-monitor-event", "--timeout", "1")
    check("read only access prevents virConnectDomainQemuMonitorEventRegister" in err, err)
    err = virsh_fails(uri, "qemu-monitor-event", "--event", "(", "--regex", "--timeout", "1")
    check("failed to compile regex '('" in err, err)


def test_hostname_and_time(fx):
    uri = fx.proxy.uri
    check_eq(virsh(uri, "domhostname", GUEST)[0].strip(), "testguest", "domhostname")
    out = virsh(uri, "domtime", GUEST)[0]
    guest_now = int(fx.pty.run("date +%s; echo T-$((1+1))", rb"(\d+)\r?\n[\s\S]*T-2").group(1))
    secs = int(out.split(":")[1])
    check(abs(secs - guest_now) < 30, "domtime %d against the guest's %d" % (secs, guest_now))
    virsh(uri, "domtime", GUEST, "--time", "1700000000")
    m = fx.pty.run("date +%s; echo T-$((2+2))", rb"(\d+)\r?\n[\s\S]*T-4")
    check(1700000000 <= int(m.group(1)) < 1700000000 + 60,
          "the guest's clock after domtime --time: %s" % m.group(1))
    check(abs(int(virsh(uri, "domtime", GUEST)[0].split(":")[1]) - 1700000000) < 60,
          "domtime after setting it")
    err = virsh_fails(fx.proxy.uri_ro, "domhostname", GUEST)
    check("read only access prevents virDomainGetHostname" in err, err)


def test_filesystems(fx):
    uri = fx.proxy.uri
    fx.pty.run("mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo M-$((3+3))", rb"\nM-6")
    out = virsh(uri, "domfsinfo", GUEST)[0]
    rows = [ln.split() for ln in out.splitlines() if ln.strip().startswith("/mnt")]
    check_eq(rows, [["/mnt", "vda", "ext4", "vda"]], "domfsinfo's /mnt row in %r" % out)
    out = virsh_loud(uri, "domfsfreeze", GUEST, "--mountpoint", "/mnt")
    check("Froze 1 filesystem(s)" in out, out)
    # A write in the frozen filesystem waits for the thaw.
    os.write(fx.pty.fd, b"echo data > /mnt/file && sync && echo W-$((4+5))\r")
    fx.pty.until(rb"echo data[^\n]*\n")
    check(b"W-9" not in fx.pty.buf, "a write went through a frozen filesystem")
    out = virsh_loud(uri, "domfsthaw", GUEST)
    check("Thawed 1 filesystem(s)" in out, out)
    fx.pty.until(rb"W-9")
    virsh(uri, "domfstrim", GUEST)
    err = virsh_fails(uri, "domfstrim", GUEST, "--mountpoint", "/mnt")
    check("Specifying mount point is not supported for now" in err, err)


def test_user_password(fx):
    m = fx.pty.run("grep ^tester: /etc/shadow; echo P-$((1+6))", rb"\ntester:([^:]*):[\s\S]*P-7")
    check_eq(m.group(1), b"*", "tester's password before")
    virsh(fx.proxy.uri, "set-user-password", GUEST, "tester", "s3cret-pass")
    m = fx.pty.run("grep ^tester: /etc/shadow; echo P-$((2+6))", rb"\ntester:([^:]*):[\s\S]*P-8")
    check(m.group(1).startswith(b"$"), "tester's password after: %r" % m.group(1))


def test_interface_addresses(fx):
    uri = fx.proxy.uri
    fx.pty.run("ip link set lo up && ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && echo I-$((5+5))",
               rb"\nI-10")
    out = virsh(uri, "domifaddr", GUEST, "--source", "agent")[0]
    rows = [ln.split() for ln in out.splitlines()]
    check(["lo", "00:00:00:00:00:00", "ipv4", "127.0.0.1/8"] in rows, "domifaddr: %r" % out)
    check(["eth0", "52:54:00:aa:bb:01", "ipv4", "10.0.2.15/24"] in rows, "domifaddr: %r" % out)
    # The host's ARP table knows nothing of a user-mode network.
    out = virsh(uri, "domifaddr", GUEST, "--source", "arp")[0]
    check_eq(out.strip(), "", "domifaddr --source arp")
    err = virsh_fails(fx.proxy.uri_ro, "domifaddr", GUEST, "--source", "agent")
    check("read only access prevents virDomainInterfaceAddresses" in err, err)


def test_link_state(fx):
    """virsh domif-setlink (an interface's update): the guest's carrier."""
    uri, mac = fx.proxy.uri, "52:54:00:aa:bb:01"
    fx.pty.run("ip link set eth0 up; echo U-$((7+7))", rb"\nU-14")
    for state, carrier in (("down", b"0"), ("up", b"1")):
        virsh(uri, "domif-setlink", GUEST, mac, state)
        check_eq(virsh(uri, "domif-getlink", GUEST, mac)[0].split()[-1], state,
                 "domif-getlink after setting it %s" % state)
        # The guest learns of it from an interrupt: it waits for that.
        m = fx.pty.run("n=0; until [ $(cat /sys/class/net/eth0/carrier) = %s ] || "
                       "[ $n -gt 100 ]; do usleep 50000; n=$((n+1)); done; "
                       "echo C=$(cat /sys/class/net/eth0/carrier)" % carrier.decode(),
                       rb"C=([01])\r")
        check_eq(m.group(1), carrier, "the guest's carrier with the link %s" % state)
    # --config: the definition only.
    virsh(uri, "domif-setlink", GUEST, mac, "down", "--config")
    inactive = ET.fromstring(virsh(uri, "dumpxml", "--inactive", GUEST)[0])
    check_eq(inactive.find("./devices/interface/link").get("state"), "down",
             "the persistent link state")
    check_eq(virsh(uri, "domif-getlink", GUEST, mac)[0].split()[-1], "up", "the live link")
    virsh(uri, "domif-setlink", GUEST, mac, "up", "--config")
    err = virsh_fails(uri, "domif-setlink", GUEST, "52:54:00:00:00:99", "down")
    check("52:54:00:00:00:99" in err, err)
    # Only the link changes: another model is refused.
    xml = ("<interface type='user'><mac address='%s'/><model type='e1000'/>"
           "<link state='down'/></interface>" % mac)
    path = os.path.join(fx.root, "nic.xml")
    with open(path, "w") as f:
        f.write(xml)
    err = virsh_fails(uri, "update-device", GUEST, path)
    check("cannot modify network device model from virtio to e1000" in err, err)
    check_eq(virsh(uri, "domif-getlink", GUEST, mac)[0].split()[-1], "up", "after the refusal")


def test_guest_info(fx):
    uri = fx.proxy.uri
    check_eq(virsh(uri, "guestinfo", GUEST, "--hostname")[0].split(),
             ["hostname", ":", "testguest"], "guestinfo --hostname")
    rel = fx.pty.run("echo REL=$(cat /proc/sys/kernel/osrelease)",
                     rb"REL=([0-9][^\s]*)\r").group(1).decode()
    out = virsh(uri, "guestinfo", GUEST)[0]
    info = dict((k.strip(), v.strip()) for k, _, v in
                (ln.partition(":") for ln in out.splitlines() if ":" in ln))
    check_eq(info.get("os.kernel-release"), rel, "os.kernel-release")
    check_eq(info.get("hostname"), "testguest", "hostname")
    mnt = [k[:-len(".mountpoint")] for k, v in info.items()
           if k.endswith(".mountpoint") and v == "/mnt"]
    check(len(mnt) == 1 and info.get(mnt[0] + ".fstype") == "ext4" and
          info.get(mnt[0] + ".disk.0.alias") == "vda", "the /mnt filesystem in %r" % info)
    check("if.count" in info and "timezone.offset" in info, "guestinfo: %r" % info)
    err = virsh_fails(fx.proxy.uri_ro, "guestinfo", GUEST)
    check("read only access prevents virDomainGetGuestInfo" in err, err)


def test_on_the_bus(fx):
    """libvirt-dbus's agent calls through the facade (org.libvirt)."""
    fc = harness.Client(fx.bus.address, dest="org.libvirt")
    fx.clients.append(fc)
    path = fc.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName", "s", GUEST)
    check_eq(fc.call(path, "org.libvirt.Domain", "GetHostname", "u", 0), "testguest",
             "GetHostname on the bus")
    secs, _ = fc.call(path, "org.libvirt.Domain", "GetTime", "u", 0)
    check(abs(secs - int(virsh(fx.proxy.uri, "domtime", GUEST)[0].split(":")[1])) < 60,
          "GetTime on the bus: %r" % secs)
    ifaces = {name: (hw, [tuple(a) for a in addrs]) for name, hw, addrs in
              fc.call(path, "org.libvirt.Domain", "InterfaceAddresses", "uu", 1, 0)}
    check(ifaces.get("eth0", (None, []))[0] == "52:54:00:aa:bb:01" and
          (0, "10.0.2.15", 24) in ifaces["eth0"][1], "InterfaceAddresses on the bus: %r" % ifaces)
    fs = [tuple(f[:3]) + (list(f[3]),) for f in fc.call(path, "org.libvirt.Domain", "GetFSInfo",
                                                          "u", 0)]
    check(("/mnt", "vda", "ext4", ["vda"]) in fs, "GetFSInfo on the bus: %r" % fs)
    reply = fc.call(path, "org.virtstack.DomainState", "QemuAgentCommand", "siu",
                    '{"execute":"guest-ping"}', -1, 0)
    check_eq(reply, '{"return":{}}', "QemuAgentCommand on the bus")
    info = fc.call(path, "org.virtstack.DomainState", "GetGuestInfo", "uu", 8, 0)
    check_eq(info, {"hostname": "testguest"}, "GetGuestInfo(HOSTNAME) on the bus")


def test_pm_suspend(fx):
    """virsh dompmsuspend --target mem through the agent, dompmwakeup: the
    guest sleeps in S3 and goes on; libvirt's state, events and refusals."""
    import libvirt
    E, uri = libvirt, fx.proxy.uri
    err = virsh_fails(uri, "dompmwakeup", GUEST)
    check("Unable to wake up domain which is not suspended" in err, err)
    err = virsh_fails(uri, "dompmsuspend", GUEST, "mem", "--duration", "5")
    check("Duration not supported. Use 0 for now" in err, err)
    mark = fx.events.count()
    virsh(uri, "dompmsuspend", GUEST, "mem")
    fx.events.wait(("pmsuspend", GUEST, 0), since=mark)
    check_eq([e for e in fx.events.got[mark:] if e[0] != "agent"],
             [("lifecycle", GUEST, E.VIR_DOMAIN_EVENT_PMSUSPENDED), ("pmsuspend", GUEST, 0)],
             "the suspend's events")
    check_eq(virsh(uri, "domstate", "--reason", GUEST)[0].strip(), "pmsuspended (unknown)",
             "domstate while suspended")
    mark = fx.events.count()
    virsh(uri, "dompmwakeup", GUEST)
    fx.events.wait(("pmwakeup", GUEST, 0), since=mark)
    check_eq([e for e in fx.events.got[mark:] if e[0] != "agent"],
             [("lifecycle", GUEST, E.VIR_DOMAIN_EVENT_STARTED), ("pmwakeup", GUEST, 0)],
             "the wakeup's events")
    check_eq(virsh(uri, "domstate", "--reason", GUEST)[0].strip(), "running (event wakeup)",
             "domstate after the wakeup")
    # The guest's serial port comes back with the guest: what is typed
    # while it does is lost, so the shell is asked until it answers.
    for n in range(1, 6):
        try:
            fx.pty.run("echo AWAKE-$((6*%d))" % n, rb"AWAKE-%d\r" % (6 * n), timeout=5)
            break
        except Failure:
            check(n < 5, "the guest's shell does not answer after the wakeup")


def test_hung_agent(fx):
    uri = fx.proxy.uri
    # The default is libvirt's: wait for ever. Five seconds instead.
    virsh(uri, "guest-agent-timeout", GUEST, "--timeout", "5")
    err = virsh_fails(uri, "guest-agent-timeout", GUEST, "--timeout", "-3")
    check("guest agent timeout '-3' is less than the minimum '-2'" in err, err)
    # Kept across a restart of virtqemud.
    fx.qemud.kill()
    fx.qemud.start()
    fx.pty.run("kill -STOP $(cat /run/qemu-ga.pid); echo S-$((1+8))", rb"\nS-9")
    err = virsh_fails(uri, "qemu-agent-command", GUEST, "--timeout", "2",
                      '{"execute":"guest-ping"}')
    check("Guest agent is not responding: Guest agent not available for now" in err, err)
    hung = subprocess.Popen(["virsh", "-c", uri, "domhostname", GUEST], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, LC_ALL="C"))
    # Nothing else waits behind it.
    virsh(uri, "dominfo", GUEST)
    virsh(uri, "suspend", GUEST)
    virsh(uri, "resume", GUEST)
    check(hung.poll() is None, "domhostname of a hung agent returned before its timeout")
    out, err = hung.communicate(timeout=60)
    check(hung.returncode != 0, "domhostname of a hung agent succeeded: %r" % out)
    check("Guest agent is not responding: Guest agent not available for now" in err, err)
    fx.pty.run("kill -CONT $(cat /run/qemu-ga.pid); echo S-$((2+8))", rb"\nS-10")
    # Its late answers are dropped: the next call syncs first.
    check_eq(virsh(uri, "domhostname", GUEST)[0].strip(), "testguest", "domhostname after")
    virsh(uri, "guest-agent-timeout", GUEST, "--timeout", "-2")


def test_agent_stops_and_restart(fx):
    import libvirt
    E = libvirt
    uri = fx.proxy.uri
    before = len(fx.events.agent_events())
    mark = fx.events.count()
    signals = fx.client.collect(interface="org.libvirt.Domain", member="AgentEvent")
    fx.pty.run("kill $(cat /run/qemu-ga.pid); echo K-$((3+8))", rb"\nK-11")
    gone = ("agent", GUEST, E.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_DISCONNECTED,
            E.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_CHANNEL)
    fx.events.wait(gone, since=mark)
    check_eq(signals.wait()[0].args, [2, 2], "libvirt-dbus's AgentEvent signal")
    check_eq(agent_state(fx)[0], "disconnected", "the channel's state once the agent left")
    err = virsh_fails(uri, "domhostname", GUEST)
    check("Guest agent is not responding: QEMU guest agent is not connected" in err, err)

    # virtqemud killed and started again: the state is known, nothing repeats.
    fx.qemud.kill()
    fx.qemud.start()
    mark = fx.events.count()
    fx.pty.run("qemu-ga -d -m virtio-serial -p /dev/$(cd /sys/class/virtio-ports && "
               "for p in *; do [ \"$(cat $p/name)\" = org.qemu.guest_agent.0 ] && echo $p; "
               "done) -t /run -f /run/qemu-ga.pid; echo R-$((4+8))", rb"\nR-12")
    fx.events.wait(connected(fx), since=mark)
    check_eq(fx.events.agent_events()[before:], [gone, connected(fx)],
             "the agent's events across the restart")
    check_eq(virsh(uri, "domhostname", GUEST)[0].strip(), "testguest", "domhostname after")
    fx.qemud.kill()
    fx.qemud.start()
    check_eq(virsh(uri, "domhostname", GUEST)[0].strip(), "testguest",
             "domhostname after a restart with the agent connected")
    check_eq(fx.events.agent_events()[before:], [gone, connected(fx)],
             "no event from a restart that changed nothing")


def test_no_agent(fx):
    uri = fx.proxy.uri
    virsh(uri, "start", PLAIN)
    for args in (("domhostname", PLAIN), ("domtime", PLAIN), ("domfsfreeze", PLAIN),
                 ("qemu-agent-command", PLAIN, '{"execute":"guest-ping"}')):
        err = virsh_fails(uri, *args)
        check("argument unsupported: QEMU guest agent is not configured" in err,
              "%s: %r" % (args[0], err))
    # No <video>: no screen either.
    err = virsh_fails(uri, "screenshot", PLAIN, os.path.join(fx.root, "none.png"))
    check("Requested operation is not valid: no screens to take screenshot from" in err, err)
    virsh(uri, "destroy", PLAIN)


def test_rename(fx):
    """virsh domrename of a shut-off guest: its definition, autostart and
    name move; UNDEFINED then DEFINED; libvirt's refusals."""
    import libvirt
    uri, new = fx.proxy.uri, "agrenamed"
    etc = os.path.join(fx.root, "etc", "libvirt", "qemu")
    virsh(uri, "autostart", PLAIN)
    mark = fx.events.count()
    virsh(uri, "domrename", PLAIN, new)
    fx.events.wait(("lifecycle", new, libvirt.VIR_DOMAIN_EVENT_DEFINED), since=mark)
    check_eq([e for e in fx.events.got[mark:] if e[0] == "lifecycle"],
             [("lifecycle", PLAIN, libvirt.VIR_DOMAIN_EVENT_UNDEFINED),
              ("lifecycle", new, libvirt.VIR_DOMAIN_EVENT_DEFINED)], "the rename's events")
    info = virsh(uri, "dominfo", new)[0]
    check("Autostart:      enable" in info, "dominfo after the rename: %r" % info)
    check(os.path.exists(os.path.join(etc, new + ".xml")) and
          not os.path.exists(os.path.join(etc, PLAIN + ".xml")), "the definition's file")
    err = virsh_fails(uri, "dominfo", PLAIN)
    check("failed to get domain '%s'" % PLAIN in err, err)
    for args, want in (((GUEST, "other"), "cannot rename active domain"),
                       ((new, GUEST), "domain with name '%s' already exists" % GUEST),
                       ((new, new), "Can't rename domain to itself"),
                       ((new, "a/b"), "name a/b cannot contain '/'")):
        err = virsh_fails(uri, "domrename", *args)
        check(want in err, "domrename %s: %r" % (" ".join(args), err))
    err = virsh_fails(fx.proxy.uri_ro, "domrename", new, PLAIN)
    check("read only access prevents virDomainRename" in err, err)
    virsh(uri, "domrename", new, PLAIN)
    virsh(uri, "autostart", "--disable", PLAIN)
    check_eq(virsh(uri, "domstate", PLAIN)[0].strip(), "shut off", "renamed back")


def test_reboot_and_shutdown_by_agent(fx):
    import libvirt
    uri = fx.proxy.uri
    mark = fx.events.count()
    virsh(uri, "reboot", "--mode", "agent", GUEST)
    fx.pty.until(rb"GUEST-READY[\s\S]*# ")
    fx.events.wait(connected(fx), since=mark)
    virsh(uri, "shutdown", "--mode", "agent", GUEST)
    fx.events.wait(("lifecycle", GUEST, libvirt.VIR_DOMAIN_EVENT_STOPPED))
    out = virsh(uri, "domstate", GUEST)[0].strip()
    check_eq(out, "shut off", "the guest's state after an agent shutdown")


def boot_again(fx):
    """Starts the guest again, paused until its new pty is open."""
    virsh(fx.proxy.uri, "start", "--paused", GUEST)
    fx.pty.close()
    live = ET.fromstring(virsh(fx.proxy.uri, "dumpxml", GUEST)[0])
    fx.pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    virsh(fx.proxy.uri, "resume", GUEST)
    fx.pty.until(rb"GUEST-READY[\s\S]*# ")


def test_lifecycle_action(fx):
    """virsh set-lifecycle-action: a reboot that destroys the guest, live
    (QEMU's set-action) and from the definition at start; refusals."""
    import libvirt
    uri = fx.proxy.uri
    for args, want in ((("poweroff", "coredump-destroy"),
                        "Lifecycle event 'poweroff' doesn't support 'coredump-destroy' action"),
                       (("reboot", "preserve"), "doesn't support the 'preserve' action")):
        err = virsh_fails(uri, "set-lifecycle-action", GUEST, *args)
        check(want in err, "set-lifecycle-action %s: %r" % (" ".join(args), err))
    virsh(uri, "set-lifecycle-action", GUEST, "reboot", "destroy", "--config")
    root = ET.fromstring(virsh(uri, "dumpxml", "--inactive", GUEST)[0])
    check_eq(root.findtext("on_reboot"), "destroy", "the persistent <on_reboot>")
    # Started with it: the guest's own reboot ends it.
    mark = fx.events.count()
    boot_again(fx)
    os.write(fx.pty.fd, b"reboot -f\r")
    fx.events.wait(("lifecycle", GUEST, libvirt.VIR_DOMAIN_EVENT_STOPPED), since=mark)
    # Live: back to restart, then destroy again, while it runs.
    virsh(uri, "set-lifecycle-action", GUEST, "reboot", "restart", "--config")
    boot_again(fx)
    virsh(uri, "set-lifecycle-action", GUEST, "reboot", "destroy")
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    check_eq(live.findtext("on_reboot"), "destroy", "the live <on_reboot>")
    root = ET.fromstring(virsh(uri, "dumpxml", "--inactive", GUEST)[0])
    check_eq(root.findtext("on_reboot"), "restart", "the persistent one, unchanged")
    mark = fx.events.count()
    os.write(fx.pty.fd, b"reboot -f\r")
    fx.events.wait(("lifecycle", GUEST, libvirt.VIR_DOMAIN_EVENT_STOPPED), since=mark)


def test_proxy_alive(fx):
    fx.events.close()
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
