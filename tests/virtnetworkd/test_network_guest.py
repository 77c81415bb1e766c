"""A TCG guest on a virtual network, in a network namespace of the test's
own (10.123.46.0/24): virtqemud asks virtnetworkd for a port, the guest's
udhcpc gets a lease in the range, pings the bridge, the lease shows in
GetDHCPLeases and in the domain's InterfaceAddresses (lease and ARP
sources); a DHCP host entry added with Update gives the next lease a
fixed address; the ping keeps answering across a SIGKILL restart of
virtnetworkd. Then an interface on the network plugged into a running
guest with Debian's virsh through virtproxyd (attach-interface), which the
guest sees and gets a lease on, unplugged again (detach-interface) with its
port and tap gone; a user-mode interface over D-Bus alike. The test guest
loads virtio_net at boot."""

import atexit
import os
import re
import signal
import subprocess
import xml.etree.ElementTree as ET

import sys

import harness
harness.run_in_new_netns("vng")
sys.path.insert(0, os.path.join(harness.SRCDIR, "tests", "virtproxyd"))
import proxyfx  # noqa: E402
from harness import check, check_eq

NET_BUS = "org.libvirt.network"
PATH = "/org/libvirt/QEMU"
NETWORK = "org.libvirt.Network"
MAC = "52:54:00:7e:57:01"
NET_XML = """<network>
  <name>gnet</name>
  <forward mode='nat'/>
  <bridge name='vguest0'/>
  <ip address='10.123.46.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.123.46.100' end='10.123.46.199'/>
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


def boot_guest(fx, name):
    xml = fx.domain_xml(name, serial="pty", extra_devices=(
        "<interface type='network'><source network='gnet'/><mac address='%s'/>"
        "<model type='virtio'/></interface>" % MAC))
    path = fx.connect("DomainCreateXML", "su", xml, 0)
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    tap = live.find("./devices/interface/target")
    check(tap is not None and tap.get("dev"), "live XML lacks the tap device name")
    pty.until(rb"GUEST-READY[\s\S]*# ")
    pty.run("printf '#!/bin/sh\\n[ \"$1\" = bound ] && ip addr add $ip/$mask dev $interface"
            "\\nexit 0\\n' > /s; chmod +x /s; ip link set eth0 up; echo S-$((2+1))", rb"S-3")
    return path, pty, tap.get("dev")


def test_guest_on_network(fx):
    if not os.path.exists(os.path.join(harness.BUILDDIR, "virtnetworkd", "virtnetworkd")):
        raise harness.Skip("virtnetworkd is not built")
    atexit.register(kill_dnsmasq, fx.root)
    nd = harness.Daemon(fx.root, fx.bus, name="virtnetworkd", bus_name=NET_BUS)
    fx.daemons.append(nd)
    nd.start()
    c = harness.Client(fx.bus.address, dest=NET_BUS)
    fx.clients.append(c)
    fx.netc = c
    npath = c.call(PATH, "org.libvirt.Connect", "NetworkCreateXML", "s", NET_XML)
    path, pty, tap = boot_guest(fx, "netguest")
    try:
        master = subprocess.run(["ip", "-o", "link", "show", tap], stdout=subprocess.PIPE,
                                text=True).stdout
        check("master vguest0" in master, "tap %s not on the bridge: %r" % (tap, master))
        m = pty.run("udhcpc -i eth0 -n -q -t 10 -s /s && ip -4 -o addr show eth0; "
                    "echo D-$((3+1))",
                    rb"inet (10\.123\.46\.(\d+))/24[\s\S]*D-4", 60)
        ip = m.group(1).decode()
        check(100 <= int(m.group(2)) <= 199, "lease %s outside the range" % ip)
        pty.run("ping -c 1 -W 5 10.123.46.1 && echo PING-$((4+1))", rb"PING-5", 30)
        leases = c.call(npath, NETWORK, "GetDHCPLeases", "su", "", 0)
        check(any(l[3] == MAC and l[5] == ip and l[6] == 24 for l in leases),
              "GetDHCPLeases lacks %s %s: %r" % (MAC, ip, leases))
        # virDomainInterfaceAddresses from the leases and from the ARP
        # table the ping filled.
        got = [(n, hw, [tuple(x) for x in addrs])
               for n, hw, addrs in fx.domain(path, "InterfaceAddresses", "uu", 0, 0)]
        check_eq(got, [(tap, MAC, [(0, ip, 24)])], "InterfaceAddresses from the leases")
        got = [(n, hw, [tuple(x) for x in addrs])
               for n, hw, addrs in fx.domain(path, "InterfaceAddresses", "uu", 2, 0)]
        check_eq(got, [(tap, MAC, [(0, ip, 0)])], "InterfaceAddresses from the ARP table")
        # udhcpc sent no hostname: the lease source has none.
        harness.expect_error("org.libvirt.Error.NoHostname", fx.domain, path, "GetHostname",
                             "u", 1)

        # A SIGKILL restart of virtnetworkd: the guest keeps answering.
        nd.kill(signal.SIGKILL)
        pty.run("ping -c 1 -W 5 10.123.46.1 && echo PING-$((5+1))", rb"PING-6", 30)
        nd.start()
        check_eq(c.get(npath, NETWORK, "Active"), True, "network active after restart")
        pty.run("ping -c 1 -W 5 10.123.46.1 && echo PING-$((6+1))", rb"PING-7", 30)
        check(any(l[3] == MAC for l in c.call(npath, NETWORK, "GetDHCPLeases", "su", MAC, 0)),
              "lease lost across the restart")

        # A fixed address for this MAC, then a new lease gets it.
        c.call(npath, NETWORK, "Update", "uuisu", 3, 4, -1,
               "<host mac='%s' name='fixed' ip='10.123.46.50'/>" % MAC, 1)
        pty.run("ip addr flush dev eth0; udhcpc -i eth0 -n -q -t 10 -s /s "
                "&& ip -4 -o addr show eth0; echo F-$((7+1))",
                rb"inet 10\.123\.46\.50/24[\s\S]*F-8", 60)
        # The host entry's name is the lease's: virDomainGetHostname's lease source.
        check_eq(fx.domain(path, "GetHostname", "u", 1), "fixed", "GetHostname from the lease")

        # The interface's counters as the guest sees them: it has sent
        # (DHCP, ping) and received; the tap's own counters are the other
        # way round.
        stats = fx.domain(path, "GetStats", "uu", harness.STATS_INTERFACE, 0)
        check_eq(stats.get("net.count"), 1, "net.count")
        check_eq(stats.get("net.0.name"), tap, "net.0.name")
        with open("/sys/class/net/%s/statistics/rx_packets" % tap) as f:
            tap_rx = int(f.read())
        check(0 < stats.get("net.0.tx.pkts", 0) <= tap_rx, "guest tx.pkts %r, tap rx %d"
              % (stats.get("net.0.tx.pkts"), tap_rx))
        check(stats.get("net.0.rx.pkts", 0) > 0, "guest rx.pkts: %r" % stats)
    finally:
        pty.close()
    fx.domain(path, "Destroy", "u", 0)

    # A floor on a network without inbound QoS: refused at start, as libvirt
    # refuses it, and nothing is left running.
    floor_xml = fx.domain_xml("floorguest", serial="none", extra_devices=(
        "<interface type='network'><source network='gnet'/><bandwidth>"
        "<inbound average='1000' floor='100'/></bandwidth></interface>"))
    msg = harness.expect_error("OperationUnsupported", fx.connect, "DomainCreateXML", "su",
                               floor_xml, 0)
    check("network 'gnet' has no inbound QoS set" in msg, msg)
    check_eq(harness.qemu_pids(fx.root), [], "QEMU after the refused start")
    c.call(npath, NETWORK, "Destroy")

    # With the network's inbound QoS: a running interface's floor changes
    # live (domiftune), virtnetworkd counting it against the network's rate.
    qos = NET_XML.replace("<ip ", "<bandwidth><inbound average='1000'/></bandwidth><ip ", 1)
    npath = c.call(PATH, "org.libvirt.Connect", "NetworkCreateXML", "s", qos)
    path = fx.connect("DomainCreateXML", "su", floor_xml, 0)
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    tap = live.find("./devices/interface/target").get("dev")
    floor = lambda v: {"inbound.floor": harness.dbus.UInt32(v),
                       "inbound.average": harness.dbus.UInt32(1000)}
    fx.domain(path, "SetInterfaceParameters", "sa{sv}u", tap, floor(900), 1)
    got = fx.domain(path, "GetInterfaceParameters", "su", tap, 1)
    check_eq(got["inbound.floor"], 900, "the live floor")
    msg = harness.expect_error("OperationInvalid", fx.domain, path, "SetInterfaceParameters",
                               "sa{sv}u", tap, floor(1001), 1)
    check("new combined inbound floor=1001 would overcommit average=1000" in msg, msg)
    check_eq(fx.domain(path, "GetInterfaceParameters", "su", tap, 1)["inbound.floor"], 900,
             "the floor after the refusal")
    second = floor_xml.replace("floorguest", "floorguest2").replace("floor='100'",
                                                                    "floor='200'")
    second = re.sub(r"<uuid>[^<]*</uuid>", "", second)
    msg = harness.expect_error("OperationInvalid", fx.connect, "DomainCreateXML", "su", second, 0)
    check("new combined inbound floor=1100" in msg, "the new floor is held: %s" % msg)
    fx.domain(path, "Destroy", "u", 0)
    c.call(npath, NETWORK, "Destroy")


HOT_MAC = "52:54:00:7e:57:02"


def test_interface_hotplug(fx):
    c = fx.netc
    npath = c.call(PATH, "org.libvirt.Connect", "NetworkCreateXML", "s", NET_XML)
    px = proxyfx.Proxy(fx, "")
    px.start()
    xml = fx.domain_xml("hotnic", serial="pty")
    path = fx.connect("DomainCreateXML", "su", xml, 0)
    added = fx.client.collect("org.libvirt.Domain", "DeviceAdded", path)
    removed = fx.client.collect("org.libvirt.Domain", "DeviceRemoved", path)
    qemud = fx.client.conn.get_name_owner("org.libvirt.qemu")
    own = lambda sig: sig.sender == qemud
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    pty = harness.Pty(live.find("./devices/serial/source").get("path"))
    try:
        pty.until(rb"GUEST-READY[\s\S]*# ")
        proxyfx.virsh(px.uri, "attach-interface", "hotnic", "network", "gnet", "--model",
                      "virtio", "--mac", HOT_MAC, "--live")
        added.wait(own, what="DeviceAdded")
        check_eq(added.matching(own)[0].args[0], "net0", "the alias of the new interface")
        iface = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0)).find(
            "./devices/interface")
        check_eq(iface.find("mac").get("address"), HOT_MAC, "live MAC")
        check(iface.find("address").get("slot") is not None, "a PCI address")
        tap = iface.find("target").get("dev")
        master = subprocess.run(["ip", "-o", "link", "show", tap], stdout=subprocess.PIPE,
                                text=True).stdout
        check("master vguest0" in master, "tap %s not on the bridge: %r" % (tap, master))
        check_eq(ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 2)).find(
            "./devices/interface"), None, "an interface in the persistent definition")
        # The guest learns of it from ACPI; its shell waits, not us.
        pty.run("printf '#!/bin/sh\\n[ \"$1\" = bound ] && ip addr add $ip/$mask dev "
                "$interface\\nexit 0\\n' > /s; chmod +x /s; n=0; until [ -e "
                "/sys/class/net/eth0 ] || [ $n -gt 600 ]; do usleep 100000; n=$((n+1)); "
                "done; ip link set eth0 up; echo H-$((1+2))", rb"H-3", 90)
        m = pty.run("udhcpc -i eth0 -n -q -t 10 -s /s && ip -4 -o addr show eth0; "
                    "echo L-$((3+1))", rb"inet (10\.123\.46\.\d+)/24[\s\S]*L-4", 60)
        ip = m.group(1).decode()
        leases = c.call(npath, NETWORK, "GetDHCPLeases", "su", HOT_MAC, 0)
        check(any(l[5] == ip for l in leases), "no lease for %s: %r" % (ip, leases))
        err = proxyfx.virsh_fails(px.uri, "detach-interface", "hotnic", "network", "--mac",
                                  "52:54:00:00:00:99", "--live")
        check("No interface with MAC address 52:54:00:00:00:99 was found" in err, err)

        proxyfx.virsh(px.uri, "detach-interface", "hotnic", "network", "--mac", HOT_MAC,
                      "--live")
        removed.wait(own, what="DeviceRemoved")
        check_eq(ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0)).find(
            "./devices/interface"), None, "the interface in the live definition")
        check(subprocess.run(["ip", "link", "show", tap], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL).returncode != 0,
              "tap %s outlived its interface" % tap)
        m = pty.run("ls /sys/class/net; echo N-$((4+1))", rb"([\s\S]*)N-5")
        check(b"eth0" not in m.group(1), "the guest still has eth0: %r" % m.group(1))

        # A user-mode interface over D-Bus: no port, no tap; the guest sees it.
        fx.domain(path, "AttachDevice", "su", "<interface type='user'><model type='virtio'/>"
                  "</interface>", 1)
        added.wait(own, count=2, what="the second DeviceAdded")
        check_eq(added.matching(own)[1].args[0], "net0", "alias after the detach")
        pty.run("n=0; until [ -e /sys/class/net/eth0 ] || [ $n -gt 600 ]; do usleep 100000; "
                "n=$((n+1)); done; ls /sys/class/net; echo U-$((5+1))", rb"eth0[\s\S]*U-6", 90)
        fx.client.call(path, "org.virtstack.DomainState", "DetachDeviceAlias", "su", "net0", 1)
        removed.wait(own, count=2, what="the second DeviceRemoved")
    finally:
        pty.close()
    fx.domain(path, "Destroy", "u", 0)
    c.call(npath, NETWORK, "Destroy")


harness.main(globals())
