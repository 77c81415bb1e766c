"""virtnetworkd on a private bus, in a network namespace of its own (made
here with `ip netns add`, removed at the end) on the subnet 10.123.45.0/24:
define and start a NAT network and look at the bridge, its address,
dnsmasq, the nftables chains and forwarding; Update; ports; destroy leaves
nothing behind; a SIGKILL restart adopts the running network and its ports;
bad input fails clearly and makes nothing."""

import atexit
import json
import os
import signal
import subprocess

import harness
harness.run_in_new_netns("vnt")

from harness import check, check_eq, expect_error, PROPS_IFACE, OM_IFACE

NET_BUS = "org.libvirt.network"
PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
NETWORK = "org.libvirt.Network"
PORTS = "org.virtstack.NetworkPorts"
EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_STOPPED = range(4)
UPD_MODIFY, UPD_DELETE, UPD_ADD_LAST, UPD_ADD_FIRST = 1, 2, 3, 4
SEC_DHCP_HOST, SEC_DNS_HOST = 4, 10
AFFECT_LIVE, AFFECT_CONFIG = 1, 2

NAT_XML = """<network>
  <name>nat1</name>
  <forward mode='nat'/>
  <bridge name='vtest0' stp='on' delay='0'/>
  <ip address='10.123.45.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.123.45.100' end='10.123.45.199'/>
    </dhcp>
  </ip>
</network>
"""

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def kill_dnsmasq(root):
    """A failed test may leave a network running: its dnsmasq would outlive
    the namespace. Kills the dnsmasq processes started under @root."""
    for d in os.listdir("/proc"):
        if d.isdigit():
            argv = harness.cmdline(int(d))
            if argv and argv[0].endswith(b"dnsmasq") and any(root.encode() in a for a in argv):
                harness.kill_and_wait(int(d), signal.SIGKILL, 10)


class Net:
    """virtnetworkd and a client for it, on the fixture's bus and root."""

    def __init__(self, fx):
        self.fx = fx
        atexit.register(kill_dnsmasq, fx.root)
        self.daemon = harness.Daemon(fx.root, fx.bus, name="virtnetworkd", bus_name=NET_BUS)
        fx.daemons.append(self.daemon)
        self.daemon.start()
        self.c = harness.Client(fx.bus.address, dest=NET_BUS)
        fx.clients.append(self.c)

    def connect(self, method, sig="", *args):
        return self.c.call(PATH, CONNECT, method, sig, *args)

    def net(self, path, method, sig="", *args):
        return self.c.call(path, NETWORK, method, sig, *args)

    def prop(self, path, name):
        return self.c.get(path, NETWORK, name)

    def events(self):
        return self.c.collect(CONNECT, "NetworkEvent", PATH)


_net = []


def nd(fx):
    if not _net:
        _net.append(Net(fx))
    return _net[0]


def run(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def link_exists(name):
    return run("ip", "link", "show", name).returncode == 0


def addrs(name):
    out = json.loads(run("ip", "-j", "addr", "show", name).stdout or "[]")
    return [(a["local"], a["prefixlen"]) for i in out for a in i.get("addr_info", [])
            if a["family"] == "inet"]


def nft_table():
    return run("nft", "list", "table", "inet", "virtstack").stdout


def dnsmasq_pids(root):
    return [p for p in range(1, 1 << 22) if False] or [
        int(d) for d in os.listdir("/proc") if d.isdigit() and harness.pid_alive(int(d))
        and any(root.encode() in a for a in harness.cmdline(int(d)))
        and harness.cmdline(int(d))[0].endswith(b"dnsmasq")]


def files_under(root, sub):
    d = os.path.join(root, sub)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def wait_event(col, path, event):
    col.wait(lambda s: s.args[0] == path and s.args[1] == event, 1, 30,
             "NetworkEvent(%s, %d); got %r" % (path, event, col.signals))


def test_default_network(fx):
    n = nd(fx)
    path = n.connect("NetworkLookupByName", "s", "default")
    check_eq(n.prop(path, "Active"), False, "default Active")
    check_eq(n.prop(path, "Persistent"), True, "default Persistent")
    check_eq(n.prop(path, "Autostart"), False, "default Autostart")
    check_eq(n.prop(path, "BridgeName"), "virbr0", "default BridgeName")
    xml = n.net(path, "GetXMLDesc", "u", 0)
    check("<forward mode='nat'/>" in xml and "192.168.122.1" in xml, "default XML: " + xml)
    check(os.path.isfile(os.path.join(fx.root, "etc/libvirt/qemu/networks/default.xml")),
          "default.xml not written")
    check_eq(n.connect("ListNetworks", "u", 2), [], "ListNetworks(ACTIVE)")
    check_eq(n.connect("ListNetworks", "u", 1), [path], "ListNetworks(INACTIVE)")
    objs = n.c.call(PATH, OM_IFACE, "GetManagedObjects")
    check(path in objs and NETWORK in objs[path], "GetManagedObjects lacks default")


def test_nat_start_destroy(fx):
    n = nd(fx)
    ev = n.events()
    props = n.c.collect(PROPS_IFACE, "PropertiesChanged")
    path = n.connect("NetworkDefineXML", "s", NAT_XML)
    wait_event(ev, path, EV_DEFINED)
    uuid = n.prop(path, "UUID")
    check_eq(n.connect("NetworkLookupByUUID", "s", uuid), path, "lookup by uuid")
    check_eq(n.prop(path, "Name"), "nat1", "Name")
    check(not link_exists("vtest0"), "bridge exists before start")

    n.net(path, "Create")
    wait_event(ev, path, EV_STARTED)
    props.wait(lambda s: s.path == path and s.args[1].get("Active") is True, 1, 10)
    check_eq(n.prop(path, "Active"), True, "Active")
    check(link_exists("vtest0"), "no bridge vtest0")
    check_eq(addrs("vtest0"), [("10.123.45.1", 24)], "bridge addresses")
    check("UP" in run("ip", "link", "show", "vtest0").stdout, "bridge is not up")
    check("stp_state 1" in run("ip", "-d", "link", "show", "vtest0").stdout, "STP off")
    pids = dnsmasq_pids(fx.root)
    check_eq(len(pids), 1, "dnsmasq processes")
    conf = os.path.join(fx.root, "var/lib/libvirt/dnsmasq/nat1.conf")
    check(b"--conf-file=" + conf.encode() in harness.cmdline(pids[0]), "dnsmasq argv")
    table = nft_table()
    check("chain vtest0_fwd" in table and "chain vtest0_nat" in table, "nft: " + table)
    check("masquerade" in table and "10.123.45.0/24" in table, "nft NAT rules: " + table)
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        check_eq(f.read().strip(), "1", "ip_forward")
    check_eq(n.net(path, "GetDHCPLeases", "su", "", 0), [], "leases")

    # A port, as virtqemud asks for it.
    port, bridge, mtu = n.c.call(path, PORTS, "PortCreate", "ssst",
                                 "a1b2c3d4-0000-4000-8000-000000000001", "g1",
                                 "52:54:00:12:34:56", 0)
    check_eq((bridge, mtu), ("vtest0", 1500), "PortCreate bridge and mtu")
    check("connections='1'" in n.net(path, "GetXMLDesc", "u", 0), "live XML connections")
    n.c.call(path, PORTS, "PortDelete", "s", port)
    expect_error("NoNetworkPort", n.c.call, path, PORTS, "PortDelete", "s", port)

    n.net(path, "Destroy")
    wait_event(ev, path, EV_STOPPED)
    check(not link_exists("vtest0"), "bridge left after destroy")
    check_eq(dnsmasq_pids(fx.root), [], "dnsmasq left after destroy")
    check_eq(nft_table(), "", "nft table left after destroy")
    check_eq(files_under(fx.root, "run/libvirt/network"), [], "status files left")
    check_eq(files_under(fx.root, "var/lib/libvirt/dnsmasq"), [], "dnsmasq files left")
    msg = expect_error("OperationInvalid", n.c.call, path, PORTS, "PortCreate", "ssst",
                       "a1b2c3d4-0000-4000-8000-000000000001", "g1", "52:54:00:12:34:56", 0)
    check_eq(msg, "Requested operation is not valid: network 'nat1' is not active",
             "PortCreate on a stopped network")
    expect_error("OperationInvalid", n.net, path, "Destroy")


def test_autostart_and_list(fx):
    n = nd(fx)
    path = n.connect("NetworkLookupByName", "s", "nat1")
    n.c.set(path, NETWORK, "Autostart", harness.dbus.Boolean(True))
    check_eq(n.prop(path, "Autostart"), True, "Autostart after set")
    link = os.path.join(fx.root, "etc/libvirt/qemu/networks/autostart/nat1.xml")
    check(os.path.islink(link), "no autostart link")
    check_eq(n.connect("ListNetworks", "u", 16), [path], "ListNetworks(AUTOSTART)")
    n.c.set(path, NETWORK, "Autostart", harness.dbus.Boolean(False))
    check(not os.path.lexists(link), "autostart link left")


def test_update(fx):
    n = nd(fx)
    path = n.connect("NetworkLookupByName", "s", "nat1")
    n.net(path, "Create")
    hosts = os.path.join(fx.root, "var/lib/libvirt/dnsmasq/nat1.hostsfile")
    addn = os.path.join(fx.root, "var/lib/libvirt/dnsmasq/nat1.addnhosts")
    pid = dnsmasq_pids(fx.root)[0]
    host = "<host mac='52:54:00:aa:00:01' name='fixed' ip='10.123.45.50'/>"
    n.net(path, "Update", "uuisu", UPD_ADD_LAST, SEC_DHCP_HOST, -1, host,
          AFFECT_LIVE | AFFECT_CONFIG)
    with open(hosts) as f:
        check_eq(f.read(), "52:54:00:aa:00:01,10.123.45.50,fixed\n", "hostsfile")
    check(host in n.net(path, "GetXMLDesc", "u", 0), "live XML lacks the host")
    check(host in n.net(path, "GetXMLDesc", "u", 1), "config XML lacks the host")
    with open(os.path.join(fx.root, "etc/libvirt/qemu/networks/nat1.xml")) as f:
        check(host in f.read(), "config file lacks the host")
    msg = expect_error("OperationInvalid", n.net, path, "Update", "uuisu", UPD_ADD_LAST,
                       SEC_DHCP_HOST, -1, host, AFFECT_LIVE)
    check("existing dhcp host entry" in msg, msg)
    n.net(path, "Update", "uuisu", UPD_MODIFY, SEC_DHCP_HOST, -1,
          "<host mac='52:54:00:aa:00:01' name='fixed' ip='10.123.45.51'/>", AFFECT_LIVE)
    with open(hosts) as f:
        check_eq(f.read(), "52:54:00:aa:00:01,10.123.45.51,fixed\n", "hostsfile modified")
    n.net(path, "Update", "uuisu", UPD_ADD_FIRST, SEC_DNS_HOST, -1,
          "<host ip='10.123.45.60'><hostname>web</hostname></host>", 0)
    with open(addn) as f:
        check_eq(f.read(), "10.123.45.60\tweb\n", "addnhosts")
    n.net(path, "Update", "uuisu", UPD_DELETE, SEC_DNS_HOST, -1,
          "<host ip='10.123.45.60'><hostname>web</hostname></host>", AFFECT_LIVE)
    with open(addn) as f:
        check_eq(f.read(), "", "addnhosts after delete")
    n.net(path, "Update", "uuisu", UPD_DELETE, SEC_DHCP_HOST, -1,
          "<host mac='52:54:00:aa:00:01'/>", AFFECT_LIVE | AFFECT_CONFIG)
    with open(hosts) as f:
        check_eq(f.read(), "", "hostsfile after delete")
    expect_error("ConfigUnsupported", n.net, path, "Update", "uuisu", UPD_ADD_LAST,
                 SEC_DHCP_HOST, -1, "<host mac='52:54:00:aa:00:02' ip='10.9.9.9'/>", 1)
    check_eq(dnsmasq_pids(fx.root), [pid], "dnsmasq was restarted by Update")
    n.net(path, "Destroy")


def test_restart_adoption(fx):
    n = nd(fx)
    path = n.connect("NetworkLookupByName", "s", "nat1")
    n.net(path, "Create")
    pid = dnsmasq_pids(fx.root)[0]
    port, _, _ = n.c.call(path, PORTS, "PortCreate", "ssst",
                          "a1b2c3d4-0000-4000-8000-000000000002", "g2", "52:54:00:12:34:57", 0)
    table = nft_table()
    n.daemon.kill(signal.SIGKILL)
    check(link_exists("vtest0") and harness.pid_alive(pid), "network died with the daemon")
    n.daemon.start()
    check_eq(n.prop(path, "Active"), True, "Active after restart")
    check_eq(dnsmasq_pids(fx.root), [pid], "dnsmasq adopted (same pid)")
    check_eq(nft_table(), table, "nft rules unchanged")
    check("connections='1'" in n.net(path, "GetXMLDesc", "u", 0), "port adopted")
    n.c.call(path, PORTS, "PortDelete", "s", port)
    # dnsmasq killed while the daemon was away is started again.
    n.daemon.kill(signal.SIGKILL)
    harness.kill_and_wait(pid, signal.SIGKILL)
    n.daemon.start()
    pids = dnsmasq_pids(fx.root)
    check(len(pids) == 1 and pids[0] != pid, "dnsmasq not restarted: %r" % pids)
    n.net(path, "Destroy")
    check_eq(dnsmasq_pids(fx.root), [], "dnsmasq left")
    check(not link_exists("vtest0"), "bridge left")


def test_bad_input(fx):
    n = nd(fx)
    before_links = run("ip", "-o", "link").stdout
    before_files = files_under(fx.root, "etc/libvirt/qemu/networks")

    def refused(name, xml, create=False):
        return expect_error(name, n.connect, "NetworkCreateXML" if create else
                            "NetworkDefineXML", "s", xml)

    msg = refused("InternalError", NAT_XML.replace("nat1", "other")
                  .replace("10.123.45", "10.200.0"))
    check_eq(msg, "internal error: bridge name 'vtest0' already in use.", "same bridge")
    msg = refused("OperationInvalid", "<network><name>ov</name><bridge name='vtest9'/>"
                  "<ip address='10.123.0.1' prefix='16'/></network>")
    check_eq(msg, "IP subnet '10.123.0.0/16' of network 'ov' overlaps IP subnet "
             "'10.123.45.0/24' of network 'nat1'", "overlap")
    msg = refused("OperationInvalid", "<network><name>ov2</name><bridge name='vtest9'/>"
                  "<ip address='10.123.45.7' prefix='28'/></network>", create=True)
    check("overlaps" in msg, msg)
    refused("XmlDetail", "<network><name>a/b</name></network>")
    refused("XmlDetail", "<network><name>..</name></network>")
    refused("XmlDetail", "<network><name>x</name>")
    refused("ConfigUnsupported", "<network><name>x</name><ip address='10.50.0.1' prefix='24'>"
            "<dhcp><range start='10.50.1.2' end='10.50.1.9'/></dhcp></ip></network>")
    refused("ConfigUnsupported", "<network><name>x</name><ip address='10.50.0.1' prefix='24'>"
            "<dhcp><host mac='52:54:00:00:00:01' ip='10.60.0.5'/></dhcp></ip></network>")
    run("ip", "link", "add", "vexist", "type", "bridge")
    try:
        msg = refused("OperationInvalid", "<network><name>ex</name><bridge name='vexist'/>"
                      "</network>")
        check_eq(msg, "bridge name 'vexist' already in use.", "existing bridge")
        # Defined while free, taken by the host before starting.
        path = n.connect("NetworkDefineXML", "s", "<network><name>late</name>"
                         "<bridge name='vlate'/><ip address='10.124.0.1' prefix='24'/>"
                         "</network>")
        run("ip", "link", "add", "vlate", "type", "bridge")
        msg = expect_error("OperationInvalid", n.net, path, "Create")
        check_eq(msg, "cannot start network 'late': bridge 'vlate' already exists", "late")
        check_eq(nft_table(), "", "rules made by a failed start")
        check_eq(files_under(fx.root, "run/libvirt/network"), [], "status of a failed start")
        run("ip", "link", "del", "vlate")
        n.net(path, "Undefine")
    finally:
        run("ip", "link", "del", "vexist")
    check_eq(run("ip", "-o", "link").stdout, before_links, "links made by bad input")
    check_eq(files_under(fx.root, "etc/libvirt/qemu/networks"), before_files,
             "definitions made by bad input")
    expect_error("NoNetwork", n.connect, "NetworkLookupByName", "s", "late")


def test_create_over_definition(fx):
    """CreateXML of a network whose inactive definition has its name and
    uuid starts it (the definition stays); active, or another uuid, is
    refused with libvirt's codes."""
    n = nd(fx)
    xml = NAT_XML.replace("nat1", "over1").replace("vtest0", "vtest5").replace(
        "10.123.45", "10.123.46")
    path = n.connect("NetworkDefineXML", "s", xml)
    full = n.net(path, "GetXMLDesc", "u", 0)
    check_eq(n.connect("NetworkCreateXML", "s", full), path, "create over the definition")
    check_eq(n.prop(path, "Active"), True, "active after the create")
    check_eq(n.prop(path, "Persistent"), True, "still persistent")
    check(link_exists("vtest5"), "its bridge")
    expect_error("OperationInvalid", n.connect, "NetworkCreateXML", "s", full)
    n.net(path, "Destroy")
    check_eq(n.prop(path, "Active"), False, "inactive after destroy")
    check_eq(n.connect("NetworkLookupByName", "s", "over1"), path, "still defined")
    other = full.replace(n.prop(path, "UUID"), "0f0f0f0f-1111-4222-8333-444455556666")
    msg = expect_error("OperationFailed", n.connect, "NetworkCreateXML", "s", other)
    check("already exists with uuid" in msg, msg)
    check(not link_exists("vtest5"), "bridge after the refused create")
    n.net(path, "Undefine")


def test_port_floor(fx):
    """An interface's guaranteed inbound rate (floor) is refused as libvirt
    refuses it: on a network without inbound QoS, and past the network's
    inbound rate (what the ports already hold counts, across a restart)."""
    n = nd(fx)
    guest = ("a1b2c3d4-0000-4000-8000-000000000003", "g3")
    xml = NAT_XML.replace("nat1", "floor1").replace("vtest0", "vtest6").replace(
        "10.123.45", "10.123.47")
    path = n.connect("NetworkCreateXML", "s", xml)
    msg = expect_error("OperationUnsupported", n.c.call, path, PORTS, "PortCreate", "ssst",
                       *guest, "52:54:00:12:34:58", 100)
    check_eq(msg, "Operation not supported: Invalid use of 'floor' on interface with MAC "
             "address 52:54:00:12:34:58 - network 'floor1' has no inbound QoS set",
             "a floor on a network without inbound QoS")
    n.c.call(path, PORTS, "PortCreate", "ssst", *guest, "52:54:00:12:34:58", 0)
    n.net(path, "Destroy")

    shaped = xml.replace("<ip ", "<bandwidth><inbound average='1000'/></bandwidth><ip ", 1)
    path = n.connect("NetworkCreateXML", "s", shaped)
    check("<inbound average='1000'/>" in n.net(path, "GetXMLDesc", "u", 0), "live bandwidth")
    first = n.c.call(path, PORTS, "PortCreate", "ssst", *guest, "52:54:00:12:34:58", 600)[0]
    n.daemon.kill(signal.SIGKILL)
    n.daemon.start()
    msg = expect_error("OperationInvalid", n.c.call, path, PORTS, "PortCreate", "ssst",
                       *guest, "52:54:00:12:34:59", 500)
    check("new combined inbound floor=1100 would overcommit average=1000" in msg, msg)
    n.c.call(path, PORTS, "PortCreate", "ssst", *guest, "52:54:00:12:34:59", 400)
    # A live interface's new floor (domiftune): its own old one is not
    # counted, the others' are; a refusal keeps the old one.
    msg = expect_error("OperationInvalid", n.c.call, path, PORTS, "PortSetFloor", "st", first,
                       700)
    check("new combined inbound floor=1100 would overcommit average=1000" in msg, msg)
    n.c.call(path, PORTS, "PortSetFloor", "st", first, 500)
    msg = expect_error("OperationInvalid", n.c.call, path, PORTS, "PortCreate", "ssst",
                       *guest, "52:54:00:12:34:5a", 200)
    check("new combined inbound floor=1100" in msg, "the new floor counts: %s" % msg)
    n.c.call(path, PORTS, "PortCreate", "ssst", *guest, "52:54:00:12:34:5a", 100)
    expect_error("NoNetworkPort", n.c.call, path, PORTS, "PortSetFloor", "st",
                 "00000000-0000-4000-8000-00000000dead", 1)
    n.net(path, "Destroy")


def test_undefine(fx):
    n = nd(fx)
    ev = n.events()
    path = n.connect("NetworkLookupByName", "s", "nat1")
    n.net(path, "Create")
    n.net(path, "Undefine")
    wait_event(ev, path, EV_UNDEFINED)
    check_eq(n.prop(path, "Persistent"), False, "transient after undefine")
    check(not os.path.exists(os.path.join(fx.root, "etc/libvirt/qemu/networks/nat1.xml")),
          "definition left")
    n.net(path, "Destroy")
    expect_error("NoNetwork", n.connect, "NetworkLookupByName", "s", "nat1")
    check(not link_exists("vtest0"), "bridge left")


harness.main(globals(), start_daemon=False)
