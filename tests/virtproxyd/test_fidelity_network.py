"""Networks answer as libvirt's: the same calls through virtproxyd (to
virtnetworkd, in a network namespace this test makes, subnet 10.126.0.0/16)
and to Debian's libvirtd (in a network namespace of its own) in the same
run, with the same results and error codes: start and stop in every state,
CreateXML over an inactive definition (it starts it) and over a name or
uuid held by another, autostart and undefine of transient networks, updates
of a stopped network, bad XML, unknown names."""

import os
import uuid as uuidlib

import harness
harness.run_in_new_netns("pxf")

from harness import check, check_eq
import proxyfx

UUID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def net_xml(name, bridge, third, uuid=None):
    return ("<network><name>%s</name>%s<forward mode='nat'/><bridge name='%s'/>"
            "<ip address='10.126.%d.1' prefix='24'/></network>"
            % (name, "<uuid>%s</uuid>" % uuid if uuid else "", bridge, third))


def attempt(f):
    import libvirt
    try:
        r = f()
        return ("ok", r if isinstance(r, (bool, int, str)) else None)
    except libvirt.libvirtError as e:
        return (e.get_error_code(), e.get_error_message())


def matrix(uri):
    import libvirt
    c = libvirt.open(uri)
    out = {}

    def T(k, f):
        out[k] = attempt(f)

    xml = net_xml("fnet", "vtf0", 1, UUID)
    n = c.networkDefineXML(xml)
    T("destroy inactive", lambda: n.destroy())
    T("update live inactive", lambda: n.update(
        libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_DNS_HOST, -1,
        "<host ip='10.126.1.9'><hostname>h</hostname></host>",
        libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE))
    T("leases inactive ok", lambda: len(n.DHCPLeases()))
    T("define other uuid", lambda: c.networkDefineXML(
        net_xml("fnet", "vtf0", 1, str(uuidlib.uuid4()))))
    T("define other name same uuid", lambda: c.networkDefineXML(
        net_xml("fnet2", "vtf2", 2, UUID)))
    T("define same bridge", lambda: c.networkDefineXML(net_xml("fnet3", "vtf0", 3)))
    # CreateXML over the inactive definition starts it and keeps it.
    T("create over definition ok", lambda: c.networkCreateXML(xml).name())
    T("active after create over ok", lambda: n.isActive())
    T("persistent after create over ok", lambda: n.isPersistent())
    T("create active", lambda: n.create())
    T("createxml active", lambda: c.networkCreateXML(xml))
    T("createxml other uuid", lambda: c.networkCreateXML(
        net_xml("fnet", "vtf0", 1, str(uuidlib.uuid4()))))
    T("destroy ok", lambda: n.destroy())
    T("create ok", lambda: n.create())
    T("undefine active ok", lambda: n.undefine())
    T("persistent after undefine ok", lambda: n.isPersistent())
    T("autostart transient", lambda: n.setAutostart(1))
    T("undefine transient", lambda: n.undefine())
    T("destroy transient ok", lambda: n.destroy())
    T("lookup gone", lambda: c.networkLookupByName("fnet"))
    t = c.networkCreateXML(net_xml("ftrans", "vtf4", 4))
    T("update config transient", lambda: t.update(
        libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.VIR_NETWORK_SECTION_DNS_HOST, -1,
        "<host ip='10.126.4.9'><hostname>h</hostname></host>",
        libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG))
    attempt(lambda: t.destroy())
    T("lookup name", lambda: c.networkLookupByName("nope"))
    T("lookup uuid", lambda: c.networkLookupByUUIDString(str(uuidlib.uuid4())))
    T("define malformed", lambda: c.networkDefineXML("<network"))
    T("define no name", lambda: c.networkDefineXML("<network><bridge name='x'/></network>"))
    T("define bad forward", lambda: c.networkDefineXML(
        net_xml("fbad", "vtf5", 5).replace("'nat'", "'bogus'")))
    T("create bad flags", lambda: c.networkCreateXMLFlags(net_xml("fflag", "vtf6", 6), 1 << 20))
    c.close()
    return out


def test_start(fx):
    d = harness.Daemon(fx.root, fx.bus, name="virtnetworkd", bus_name="org.libvirt.network")
    fx.daemons.append(d)
    d.start()
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()


def test_networks_as_libvirtd(fx):
    ours = matrix(fx.proxy.uri)
    for k, (code, msg) in ours.items():
        check((code == "ok") == k.endswith(" ok"), "%s: %r %r" % (k, code, msg))
    check_eq(ours["create over definition ok"], ("ok", "fnet"), "create over the definition")
    lv = proxyfx.libvirtd(netns=True)
    try:
        theirs = matrix(lv.uri)
    finally:
        lv.close()
    harness.log("networks: %r" % ours)
    diff = {k: (ours[k], theirs.get(k)) for k in ours
            if ours[k][0] != theirs.get(k, (None,))[0] or
            (ours[k][0] == "ok" and ours[k] != theirs.get(k))}
    check_eq(diff, {}, "answers that differ (ours, libvirtd's)")


if __name__ == "__main__":
    harness.main(globals())
