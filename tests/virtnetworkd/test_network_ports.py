"""virtqemud and virtnetworkd together, in a network namespace of the test's
own (10.123.47.0/24): a guest on a network that is not running fails to
start with a clear error and leaves nothing; on a running network it gets
a port and a tap attached to the bridge, which are given back when it
stops; <interface type='bridge'> attaches to a bridge the test made; with
virtnetworkd away, the start's error names it. No guest needs to boot:
QEMU holding the tap is what is checked."""

import os
import subprocess
import xml.etree.ElementTree as ET

import harness
harness.run_in_new_netns("vnp")
from harness import check, check_eq, expect_error, qemu_pids

NET_BUS = "org.libvirt.network"
PATH = "/org/libvirt/QEMU"
NETWORK = "org.libvirt.Network"
NET_XML = """<network>
  <name>pnet</name>
  <forward mode='nat'/>
  <bridge name='vports0'/>
  <ip address='10.123.47.1' prefix='24'/>
</network>
"""

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
_net = {}


def links():
    out = subprocess.run(["ip", "-o", "link", "show"], stdout=subprocess.PIPE, text=True).stdout
    return {l.split(":")[1].strip().split("@")[0]: l for l in out.splitlines()}


def netd(fx):
    if "client" not in _net:
        d = harness.Daemon(fx.root, fx.bus, name="virtnetworkd", bus_name=NET_BUS)
        fx.daemons.append(d)
        d.start()
        c = harness.Client(fx.bus.address, dest=NET_BUS)
        fx.clients.append(c)
        _net.update(daemon=d, client=c)
    return _net["client"]


def guest(fx, name, iface):
    return fx.domain_xml(name, serial="none", extra_devices=iface)


def net_iface(mac):
    return ("<interface type='network'><source network='pnet'/><mac address='%s'/>"
            "<model type='virtio'/></interface>" % mac)


def test_stopped_network_refuses_the_guest(fx):
    c = netd(fx)
    _net["path"] = c.call(PATH, "org.libvirt.Connect", "NetworkDefineXML", "s", NET_XML)
    before = set(links())
    e = expect_error("org.libvirt.Error.OperationInvalid", fx.connect, "DomainCreateXML", "su",
                     guest(fx, "early", net_iface("52:54:00:47:00:01")), 0)
    check("pnet" in e and "not active" in e, "the error names the network: %s" % e)
    check_eq(qemu_pids(fx.root), [], "no QEMU")
    check_eq(set(links()), before, "no tap left")
    check_eq(os.listdir(fx.run_dir()), [], "no runtime file left")


def test_port_and_tap_while_the_guest_runs(fx):
    c = netd(fx)
    npath = _net["path"]
    c.call(npath, NETWORK, "Create")
    mac = "52:54:00:47:00:02"
    path = fx.connect("DomainCreateXML", "su", guest(fx, "onnet", net_iface(mac)), 0)
    live = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0))
    tap = live.find("./devices/interface/target").get("dev")
    line = links().get(tap, "")
    check("master vports0" in line, "tap %s on the bridge: %r" % (tap, line))
    check("fe:54:00:47:00:02" in line, "the tap's MAC is the guest's with fe first: %r" % line)
    net_live = ET.fromstring(c.call(npath, NETWORK, "GetXMLDesc", "u", 0))
    check_eq(net_live.get("connections"), "1", "the network counts the port")

    events = fx.client.domain_events()
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, harness.EV_STOPPED)
    harness.wait_qemu_gone(fx.root)
    # PortDelete is sent as the guest stops; a call after it sees it done.
    net_live = ET.fromstring(c.call(npath, NETWORK, "GetXMLDesc", "u", 0))
    check(net_live.get("connections") in (None, "0"), "the port was given back: %r"
          % net_live.attrib)
    check(tap not in links(), "the tap went with QEMU")


def test_bridge_interface(fx):
    subprocess.run(["ip", "link", "add", "hostbr0", "type", "bridge"], check=True)
    subprocess.run(["ip", "link", "set", "hostbr0", "up"], check=True)
    path = fx.connect("DomainCreateXML", "su", guest(fx, "onbridge", (
        "<interface type='bridge'><source bridge='hostbr0'/>"
        "<mac address='52:54:00:47:00:03'/></interface>")), 0)
    tap = ET.fromstring(fx.domain(path, "GetXMLDesc", "u", 0)).find(
        "./devices/interface/target").get("dev")
    check("master hostbr0" in links().get(tap, ""), "tap on the host bridge")
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)


def test_absent_network_daemon_is_named(fx):
    _net["daemon"].stop()
    e = expect_error("org.libvirt.Error.OperationFailed", fx.connect, "DomainCreateXML", "su",
                     guest(fx, "nodaemon", net_iface("52:54:00:47:00:04")), 0)
    check("virtnetworkd is not running" in e, "the error names virtnetworkd: %s" % e)
    check_eq(qemu_pids(fx.root), [], "no QEMU")


harness.main(globals())
