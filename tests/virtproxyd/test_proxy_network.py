"""Networks through virtproxyd, with Debian's virsh and python3-libvirt,
against virtnetworkd in a network namespace this test makes (subnet
10.125.48.0/24): net-list and its flags, net-info, net-uuid, net-name,
net-define, net-create, net-start, net-destroy, net-undefine, net-dumpxml
(--inactive), net-autostart (--disable), net-update of DHCP and DNS hosts
(--live --config), net-dhcp-leases with a real lease, net-event seeing
defined/started/stopped/undefined, read-only refusals, the absent daemon's
error.

The lease is real: a veth pair joins the bridge to a second namespace where
busybox udhcpc asks dnsmasq for an address; the MAC has a host entry added
by net-update, so the lease carries its fixed address and name."""

import atexit
import os
import re
import signal
import subprocess
import time

import harness
harness.run_in_new_netns("pxn")

from harness import check, check_eq, Failure
import proxyfx
from proxyfx import virsh, virsh_fails

NET = "pxnet"
UUID = "7d3f0c52-8a41-4e6b-9c1d-2f5e6a7b8c90"
BRIDGE = "pxbr0"
CLIENT_NS = "pxc-%d" % os.getpid()
CLIENT_MAC = "52:54:00:5a:01:02"
FIXED_IP = "10.125.48.50"

NET_XML = """<network>
  <name>%s</name>
  <uuid>%s</uuid>
  <bridge name='%s' stp='on' delay='0'/>
  <ip address='10.125.48.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.125.48.100' end='10.125.48.199'/>
    </dhcp>
  </ip>
</network>
""" % (NET, UUID, BRIDGE)

TRANSIENT_XML = """<network>
  <name>pxtrans</name>
  <bridge name='pxbr1'/>
  <ip address='10.125.49.1' prefix='24'/>
</network>
"""

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def kill_dnsmasq(root):
    """A failed test may leave a network running: its dnsmasq would outlive
    the namespace."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            argv = harness.cmdline(int(d))
            if argv and argv[0].endswith(b"dnsmasq") and any(root.encode() in a for a in argv):
                harness.kill_and_wait(int(d), signal.SIGKILL, 10)


def drop_client_ns():
    subprocess.run(["ip", "netns", "del", CLIENT_NS], stderr=subprocess.DEVNULL)


def link_exists(name):
    return subprocess.run(["ip", "link", "show", name], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def write(fx, name, text):
    path = os.path.join(fx.root, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class Watcher:
    """A command's output, read as it comes."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(["stdbuf", "-oL"] + argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []
        self.partial = b""

    def wait(self, pattern, timeout=30):
        import select
        deadline = time.monotonic() + timeout
        while not any(re.search(pattern, ln) for ln in self.lines):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no line %r; got %r" % (pattern, self.lines))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                data = os.read(self.proc.stdout.fileno(), 65536)
                if not data:
                    raise Failure("the watcher exited; got %r" % self.lines)
                *done, self.partial = (self.partial + data).split(b"\n")
                self.lines += [ln.decode(errors="replace").rstrip() for ln in done]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()


def test_absent_daemon(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    err = virsh_fails(fx.proxy.uri, "net-list", "--all")
    check("virtnetworkd is not running (org.libvirt.network has no owner)" in err,
          "net-list without virtnetworkd: %r" % err)


def test_start_networkd(fx):
    atexit.register(kill_dnsmasq, fx.root)
    atexit.register(drop_client_ns)
    netd = harness.Daemon(fx.root, fx.bus, name="virtnetworkd", bus_name="org.libvirt.network")
    netd.start()
    fx.daemons.append(netd)
    fx.netd = netd
    # The mirror learns of virtnetworkd from NameOwnerChanged: poll until
    # virsh sees its shipped 'default' network.
    deadline = time.monotonic() + 30
    while "default" not in virsh(fx.proxy.uri, "net-list", "--all", check_rc=False)[0]:
        check(time.monotonic() < deadline, "virtproxyd never saw virtnetworkd")
        time.sleep(0.1)


def test_define_and_list(fx):
    uri = fx.proxy.uri
    fx.ev = Watcher(["virsh", "-c", uri, "net-event", "--event", "lifecycle", "--loop",
                     "--timeout", "120"])
    xml_path = write(fx, "pxnet.xml", NET_XML)
    # virsh registers after it connects: define (again) until the first
    # Defined event shows; redefining is harmless.
    deadline = time.monotonic() + 30
    while True:
        virsh(uri, "net-define", xml_path)
        try:
            fx.ev.wait(r"^event 'lifecycle' for network %s: Defined$" % NET, timeout=1)
            break
        except Failure:
            check(time.monotonic() < deadline, "net-event saw no Defined event")
    out = virsh(uri, "net-list", "--all")[0]
    check(re.search(r"^ %s\s+inactive\s+no\s+yes$" % NET, out, re.M), "net-list --all: %r" % out)
    check(re.search(r"^ default\s+inactive\s+no\s+yes$", out, re.M), "default: %r" % out)
    check_eq(virsh(uri, "net-list")[0].strip(), "", "net-list of active networks")
    names = lambda *a: sorted(virsh(uri, "net-list", "--name", *a)[0].split())  # noqa: E731
    check_eq(names("--inactive"), ["default", NET], "net-list --inactive")
    check_eq(names("--all", "--persistent"), ["default", NET], "net-list --persistent")
    check_eq(names("--all", "--transient"), [], "net-list --transient")
    check_eq(names("--all", "--no-autostart"), ["default", NET], "net-list --no-autostart")
    check_eq(names("--all", "--autostart"), [], "net-list --autostart")
    uuids = virsh(uri, "net-list", "--all", "--uuid")[0].split()
    check(UUID in uuids, "net-list --uuid: %r" % uuids)


def test_info_and_xml(fx):
    uri = fx.proxy.uri
    check_eq(virsh(uri, "net-uuid", NET)[0].strip(), UUID, "net-uuid")
    check_eq(virsh(uri, "net-name", UUID)[0].strip(), NET, "net-name")
    info = virsh(uri, "net-info", NET)[0]
    for key, want in (("Name", NET), ("UUID", UUID), ("Active", "no"), ("Persistent", "yes"),
                      ("Autostart", "no"), ("Bridge", BRIDGE)):
        check(re.search(r"^%s:\s+%s$" % (key, want), info, re.M), "net-info %s: %r" % (key, info))
    # By uuid as well as by name.
    check(re.search(r"^Name:\s+%s$" % NET, virsh(uri, "net-info", UUID)[0], re.M),
          "net-info by uuid")
    xml = virsh(uri, "net-dumpxml", NET)[0]
    check("<name>%s</name>" % NET in xml and "<uuid>%s</uuid>" % UUID in xml and
          "<range start='10.125.48.100' end='10.125.48.199'/>" in xml, "net-dumpxml: %r" % xml)
    check("<name>%s</name>" % NET in virsh(uri, "net-dumpxml", "--inactive", NET)[0],
          "net-dumpxml --inactive")
    err = virsh_fails(uri, "net-info", "nosuchnet")
    check("Network not found: no network with matching name 'nosuchnet'" in err,
          "net-info of a missing network: %r" % err)
    err = virsh_fails(uri, "net-name", "00000000-0000-0000-0000-000000000001")
    check("Network not found: no network with matching uuid" in err,
          "net-name of a missing uuid: %r" % err)


def test_autostart(fx):
    uri = fx.proxy.uri
    out = virsh(uri, "net-autostart", NET)[0]
    check(re.search(r"^Autostart:\s+yes$", virsh(uri, "net-info", NET)[0], re.M),
          "autostart on: %r" % out)
    check(os.path.exists(os.path.join(fx.root, "etc/libvirt/qemu/networks/autostart",
                                      NET + ".xml")), "no autostart link")
    check_eq(sorted(virsh(uri, "net-list", "--all", "--autostart", "--name")[0].split()), [NET],
             "net-list --autostart")
    virsh(uri, "net-autostart", "--disable", NET)
    check(re.search(r"^Autostart:\s+no$", virsh(uri, "net-info", NET)[0], re.M),
          "autostart off")


def test_start_and_update(fx):
    uri = fx.proxy.uri
    virsh(uri, "net-start", NET)
    fx.ev.wait(r"^event 'lifecycle' for network %s: Started$" % NET)
    check(link_exists(BRIDGE), "bridge %s missing after net-start" % BRIDGE)
    out = virsh(uri, "net-list")[0]
    check(re.search(r"^ %s\s+active\s+no\s+yes$" % NET, out, re.M), "net-list: %r" % out)
    check(re.search(r"^Active:\s+yes$", virsh(uri, "net-info", NET)[0], re.M), "net-info active")
    err = virsh_fails(uri, "net-start", NET)
    check("network is already active" in err or "already active" in err,
          "net-start of an active network: %r" % err)

    host = "<host mac='%s' name='pxclient' ip='%s'/>" % (CLIENT_MAC, FIXED_IP)
    virsh(uri, "net-update", NET, "add", "ip-dhcp-host", host, "--live", "--config")
    for flag in ((), ("--inactive",)):
        xml = virsh(uri, "net-dumpxml", NET, *flag)[0]
        check(host in xml, "dhcp host in net-dumpxml %r: %r" % (flag, xml))
    # Modify matches the host by its MAC.
    changed = "<host mac='%s' name='pxclient2' ip='%s'/>" % (CLIENT_MAC, FIXED_IP)
    virsh(uri, "net-update", NET, "modify", "ip-dhcp-host", changed, "--live", "--config")
    check(changed in virsh(uri, "net-dumpxml", NET)[0], "modified dhcp host")
    virsh(uri, "net-update", NET, "modify", "ip-dhcp-host", host, "--live", "--config")

    dns = "<host ip='10.125.48.60'><hostname>pxdns</hostname></host>"
    virsh(uri, "net-update", NET, "add-last", "dns-host", dns, "--live", "--config")
    xml = virsh(uri, "net-dumpxml", NET)[0]
    check("<hostname>pxdns</hostname>" in xml, "dns host added: %r" % xml)
    # Only the persistent definition: the live one stays as it is.
    dns2 = "<host ip='10.125.48.61'><hostname>pxconf</hostname></host>"
    virsh(uri, "net-update", NET, "add", "dns-host", dns2, "--config")
    check("pxconf" not in virsh(uri, "net-dumpxml", NET)[0], "--config changed the live XML")
    check("pxconf" in virsh(uri, "net-dumpxml", "--inactive", NET)[0],
          "--config missing from the persistent XML")
    virsh(uri, "net-update", NET, "delete", "dns-host", dns2, "--config")
    virsh(uri, "net-update", NET, "delete", "dns-host", dns, "--live", "--config")
    for flag in ((), ("--inactive",)):
        check("<hostname>" not in virsh(uri, "net-dumpxml", NET, *flag)[0],
              "dns hosts deleted %r" % (flag,))
    err = virsh_fails(uri, "net-update", NET, "delete", "dns-host", dns, "--live")
    check("error: Failed to update network %s" % NET in err, "delete of a missing host: %r" % err)


def test_dhcp_lease(fx):
    """A real DHCP exchange with the network's dnsmasq: udhcpc in a second
    namespace, on a veth whose peer is on the bridge."""
    uri = fx.proxy.uri

    def run(*argv):
        subprocess.run(argv, check=True)
    run("ip", "netns", "add", CLIENT_NS)
    run("ip", "link", "add", "pxv0", "type", "veth", "peer", "name", "pxv1", "netns", CLIENT_NS)
    run("ip", "link", "set", "pxv0", "master", BRIDGE, "up")
    inns = ["ip", "netns", "exec", CLIENT_NS]
    run(*inns, "ip", "link", "set", "pxv1", "address", CLIENT_MAC, "up")
    # No script: the lease is what counts, nothing needs configuring.
    r = subprocess.run(inns + ["busybox", "udhcpc", "-i", "pxv1", "-n", "-q", "-t", "10",
                               "-T", "1", "-s", "/bin/true"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    check(r.returncode == 0 and FIXED_IP in r.stdout, "udhcpc: %r" % r.stdout)
    out = virsh(uri, "net-dhcp-leases", NET)[0]
    check(re.search(r"^ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+%s\s+ipv4\s+%s/24\s+pxclient\s+"
                    % (CLIENT_MAC, re.escape(FIXED_IP)), out, re.M),
          "net-dhcp-leases: %r" % out)
    out = virsh(uri, "net-dhcp-leases", NET, "--mac", CLIENT_MAC)[0]
    check(CLIENT_MAC in out, "net-dhcp-leases --mac: %r" % out)
    check_eq(virsh(uri, "net-dhcp-leases", NET, "--mac", "52:54:00:00:00:99")[0].strip(), "",
             "net-dhcp-leases for another MAC")
    # The lease struct as libvirt encodes it.
    import libvirt
    c = libvirt.openReadOnly(uri)
    try:
        leases = c.networkLookupByName(NET).DHCPLeases()
        check_eq(len(leases), 1, "one lease: %r" % leases)
        lease = leases[0]
        check_eq(lease["iface"], BRIDGE, "lease iface")
        check_eq(lease["mac"], CLIENT_MAC, "lease mac")
        check_eq(lease["ipaddr"], FIXED_IP, "lease ipaddr")
        check_eq(lease["prefix"], 24, "lease prefix")
        check_eq(lease["type"], libvirt.VIR_IP_ADDR_TYPE_IPV4, "lease type")
        check_eq(lease["hostname"], "pxclient", "lease hostname")
        check(lease["expirytime"] > time.time(), "lease expiry %r" % lease["expirytime"])
        check_eq(c.networkLookupByName("default").DHCPLeases(), [],
                 "leases of an inactive network")
    finally:
        c.close()


def test_python_calls(fx):
    """What virsh no longer calls but python3-libvirt offers."""
    import libvirt
    c = libvirt.open(fx.proxy.uri)
    try:
        net = c.networkLookupByName(NET)
        check_eq(net.UUIDString(), UUID, "UUIDString")
        check_eq(net.isActive(), 1, "isActive")
        check_eq(net.isPersistent(), 1, "isPersistent")
        check_eq(net.autostart(), 0, "autostart")
        check_eq(net.bridgeName(), BRIDGE, "bridgeName")
        check_eq(c.networkLookupByUUIDString(UUID).name(), NET, "networkLookupByUUIDString")
        check_eq(c.listNetworks(), [NET], "listNetworks")
        check_eq(c.numOfNetworks(), 1, "numOfNetworks")
        check_eq(c.listDefinedNetworks(), ["default"], "listDefinedNetworks")
        check_eq(c.numOfDefinedNetworks(), 1, "numOfDefinedNetworks")
        flags = libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE
        check_eq([n.name() for n in c.listAllNetworks(flags)], [NET], "listAllNetworks(ACTIVE)")
        flags = libvirt.VIR_CONNECT_LIST_NETWORKS_INACTIVE
        check_eq([n.name() for n in c.listAllNetworks(flags)], ["default"],
                 "listAllNetworks(INACTIVE)")
        # A network with no bridge is libvirt's error; the default network
        # has virbr0 even while inactive.
        check_eq(c.networkLookupByName("default").bridgeName(), "virbr0", "default bridge")
    finally:
        c.close()


def test_read_only(fx):
    p = fx.proxy
    xml_path = os.path.join(fx.root, "pxnet.xml")
    for uri, ro in ((p.uri, True), (p.uri_ro, False)):
        check(NET in virsh(uri, "net-list", "--all", ro=ro)[0], "read-only net-list")
        check(re.search(r"^Active:\s+yes$", virsh(uri, "net-info", NET, ro=ro)[0], re.M),
              "read-only net-info")
        check("<name>%s</name>" % NET in virsh(uri, "net-dumpxml", NET, ro=ro)[0],
              "read-only net-dumpxml")
        check(CLIENT_MAC in virsh(uri, "net-dhcp-leases", NET, ro=ro)[0],
              "read-only net-dhcp-leases")
        for cmd, api in ((["net-destroy", NET], "virNetworkDestroy"),
                         (["net-start", "default"], "virNetworkCreate"),
                         (["net-undefine", NET], "virNetworkUndefine"),
                         (["net-define", xml_path], "virNetworkDefineXML"),
                         (["net-create", xml_path], "virNetworkCreateXML"),
                         (["net-autostart", NET], "virNetworkSetAutostart"),
                         (["net-update", NET, "add", "dns-host",
                           "<host ip='10.125.48.62'><hostname>x</hostname></host>"],
                          "virNetworkUpdate")):
            err = virsh_fails(uri, *cmd, ro=ro)
            check("operation forbidden: read only access prevents %s" % api in err,
                  "read-only %s: %r" % (cmd[0], err))
    check(link_exists(BRIDGE), "the bridge survived the refused destroy")


def test_transient(fx):
    uri = fx.proxy.uri
    path = write(fx, "pxtrans.xml", TRANSIENT_XML)
    virsh(uri, "net-create", path)
    fx.ev.wait(r"^event 'lifecycle' for network pxtrans: Started$")
    check(link_exists("pxbr1"), "pxbr1 missing after net-create")
    check_eq(virsh(uri, "net-list", "--transient", "--name")[0].split(), ["pxtrans"],
             "net-list --transient")
    info = virsh(uri, "net-info", "pxtrans")[0]
    check(re.search(r"^Persistent:\s+no$", info, re.M), "transient net-info: %r" % info)
    err = virsh_fails(uri, "net-undefine", "pxtrans")
    check("is transient" in err, "undefine of a transient network: %r" % err)
    virsh(uri, "net-destroy", "pxtrans")
    fx.ev.wait(r"^event 'lifecycle' for network pxtrans: Stopped$")
    check(not link_exists("pxbr1"), "pxbr1 left after net-destroy")
    check("pxtrans" not in virsh(uri, "net-list", "--all")[0], "transient network gone")


def test_destroy_and_undefine(fx):
    uri = fx.proxy.uri
    drop_client_ns()
    virsh(uri, "net-destroy", NET)
    fx.ev.wait(r"^event 'lifecycle' for network %s: Stopped$" % NET)
    check(not link_exists(BRIDGE), "bridge left after net-destroy")
    check(re.search(r"^ %s\s+inactive" % NET, virsh(uri, "net-list", "--all")[0], re.M),
          "net-list after destroy")
    # The updates made with --config stayed in the definition.
    check("<host mac='%s' name='pxclient' ip='%s'/>" % (CLIENT_MAC, FIXED_IP) in
          virsh(uri, "net-dumpxml", NET)[0], "the dhcp host outlived the run")
    virsh(uri, "net-undefine", NET)
    fx.ev.wait(r"^event 'lifecycle' for network %s: Undefined$" % NET)
    check(NET not in virsh(uri, "net-list", "--all")[0], "net-list after undefine")
    fx.ev.stop()
    mine = [ln.rsplit(": ", 1)[1] for ln in fx.ev.lines if "for network %s:" % NET in ln]
    # The warm-up may have produced several Defined events.
    while mine[1:2] == ["Defined"]:
        mine.pop(0)
    check_eq(mine, ["Defined", "Started", "Stopped", "Undefined"], "events of %s" % NET)


def test_proxy_alive(fx):
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals(), start_daemon=False)
