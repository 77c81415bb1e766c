"""An interface's bandwidth (virsh domiftune) through virtproxyd and on the
bus, on a TCG guest whose tap is on a bridge of the test's own network
namespace: the definition's rate is on the tap from the start, a live
change moves it, as tc reads it back; --config; libvirt's refusals."""

import os
import subprocess
import xml.etree.ElementTree as ET

import harness
harness.run_in_new_netns("vift")
from harness import check, check_eq, Failure  # noqa: E402
import proxyfx  # noqa: E402
from proxyfx import virsh, virsh_fails  # noqa: E402
from test_proxy_tuning import kv  # noqa: E402

GUEST = "iftguest"


def test_start(fx):
    import libvirt
    subprocess.run(["ip", "link", "add", "tunebr0", "type", "bridge"], check=True)
    subprocess.run(["ip", "link", "set", "tunebr0", "up"], check=True)
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    fx.conn = libvirt.open(fx.proxy.uri)
    path = os.path.join(fx.root, GUEST + ".xml")
    with open(path, "w") as f:
        f.write(fx.domain_xml(GUEST, extra_devices=(
            "<interface type='bridge'><source bridge='tunebr0'/><model type='virtio'/>"
            "<bandwidth><inbound average='1000'/></bandwidth></interface>")))
    virsh(fx.proxy.uri, "define", path)
    virsh(fx.proxy.uri, "start", GUEST)
    fx.path = fx.client.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName",
                             "s", GUEST)


def tc_show(*args):
    return subprocess.run(["tc"] + list(args), check=True, capture_output=True,
                          text=True).stdout


def test_domiftune(fx):
    """virsh domiftune: the definition's inbound rate is an HTB class on the
    guest's tap from the start; a live change moves it (tc says so) and the
    definition keeps it only with --config. Policing the guest's outbound
    traffic needs the kernel's police action, which this host lacks: the
    change is refused with tc's own words and the tap keeps what it had."""
    import libvirt
    uri = fx.proxy.uri
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    tap = live.find("devices/interface/target").get("dev")
    check("rate 8Mbit" in tc_show("class", "show", "dev", tap),
          "the inbound rate at start: %s" % tc_show("class", "show", "dev", tap))
    got = kv(virsh(uri, "domiftune", GUEST, tap)[0])
    check_eq((got["inbound.average"], got["outbound.average"]), ("1000", "0"), "domiftune")
    virsh(uri, "domiftune", GUEST, tap, "--live", "--inbound", "2000,4000,64")
    cls = tc_show("class", "show", "dev", tap)
    check("rate 16Mbit ceil 32Mbit burst 64Kb" in cls, "the new inbound class: %s" % cls)
    got = kv(virsh(uri, "domiftune", GUEST, tap, "--live")[0])
    check_eq((got["inbound.average"], got["inbound.peak"], got["inbound.burst"]),
             ("2000", "4000", "64"), "live domiftune")
    # The persistent definition has no tap: libvirt finds it by its MAC.
    err = virsh_fails(uri, "domiftune", GUEST, tap, "--config")
    check("'%s' is not a known interface" % tap in err, err)
    mac = live.find("devices/interface/mac").get("address")
    check_eq(kv(virsh(uri, "domiftune", GUEST, mac, "--config")[0])["inbound.average"], "1000",
             "persistent inbound after --live")
    virsh(uri, "domiftune", GUEST, mac, "--config", "--inbound", "3000")
    conf = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq(conf.find("devices/interface/bandwidth/inbound").get("average"), "3000",
             "persistent <bandwidth> by MAC")
    dom = fx.conn.lookupByName(GUEST)
    try:
        dom.setInterfaceParameters(tap, {"outbound.average": 500},
                                   libvirt.VIR_DOMAIN_AFFECT_LIVE)
        check("police" in tc_show("filter", "show", "dev", tap, "parent", "ffff:"),
              "outbound policing in place")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_INTERNAL_ERROR, str(e))
        check("police" in str(e) and "TC action" in str(e), "tc's own words: %s" % e)
        check("rate 16Mbit" in tc_show("class", "show", "dev", tap),
              "the tap keeps its inbound class after the refusal")
        check_eq(kv(virsh(uri, "domiftune", GUEST, tap)[0])["outbound.average"], "0",
                 "outbound after the refusal")
    for params, device, code, text in (
            ({"inbound.floor": 10, "inbound.average": 10}, tap,
             libvirt.VIR_ERR_OPERATION_UNSUPPORTED, "'floor' is only supported"),
            ({"inbound.average": 10}, "nosuch0", libvirt.VIR_ERR_INVALID_ARG,
             "'nosuch0' is not a known interface")):
        try:
            dom.setInterfaceParameters(device, params, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise Failure("setInterfaceParameters(%r) succeeded" % params)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    got = fx.client.call(fx.path, "org.libvirt.Domain", "GetInterfaceParameters", "su", tap, 0)
    check_eq(got["inbound.average"], 2000, "GetInterfaceParameters on the bus")
    # No inbound: the shaping goes.
    virsh(uri, "domiftune", GUEST, tap, "--live", "--inbound", "0")
    check("htb" not in tc_show("qdisc", "show", "dev", tap), "the HTB qdisc after --inbound 0")


def test_proxy_alive(fx):
    fx.conn.close()
    virsh(fx.proxy.uri, "destroy", GUEST)
    harness.wait_qemu_gone(fx.root)
    virsh(fx.proxy.uri, "undefine", GUEST)
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
