"""Metadata and tuning of a running guest through virtproxyd, with Debian's
virsh and python3-libvirt, and on virtqemud's bus with libvirt-dbus's
signatures: virsh desc and metadata (title, description, elements by
namespace; METADATA_CHANGE once per change), and each tuning knob written
live and read back from where the host keeps it (cgroups, QMP, tc), in the
definition only with --config; libvirt's errors for values out of range,
unknown parameters and the read-only socket, which change nothing."""

import os
import threading
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, Failure
import proxyfx
from proxyfx import virsh, virsh_fails

GUEST = "tuneguest"


class Events:
    """python3-libvirt's event loop in a thread, with METADATA_CHANGE."""

    def __init__(self, uri):
        import libvirt
        self.lv = libvirt
        libvirt.virEventRegisterDefaultImpl()
        self.stop = False
        threading.Thread(target=self.loop, daemon=True).start()
        self.conn = libvirt.open(uri)
        self.got = []
        self.cond = threading.Condition()
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                         self.on_metadata, None)

    def loop(self):
        while not self.stop:
            self.lv.virEventRunDefaultImpl()

    def on_metadata(self, conn, dom, mtype, nsuri, opaque):
        with self.cond:
            self.got.append((dom.name(), mtype, nsuri))
            self.cond.notify_all()

    def wait_count(self, n, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.got) >= n, timeout):
                raise Failure("%d events expected; got %r" % (n, self.got))


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    fx.events = Events(fx.proxy.uri)
    xml_path = os.path.join(fx.root, GUEST + ".xml")
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(GUEST, vcpus=2))
    virsh(fx.proxy.uri, "define", xml_path)
    virsh(fx.proxy.uri, "start", GUEST)
    fx.path = fx.client.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName",
                             "s", GUEST)


def test_metadata(fx):
    """virsh desc --title / --live / --config, virsh metadata with a key and
    a namespace, python3-libvirt's setMetadata and metadata(), and the bus's
    SetMetadata and GetMetadata; one METADATA_CHANGE per change."""
    import libvirt
    uri, ev = fx.proxy.uri, fx.events
    dom = ev.conn.lookupByName(GUEST)
    NS = "http://example.org/tune/1"

    virsh(uri, "desc", GUEST, "--live", "--title", "Tuned guest")
    check_eq(virsh(uri, "desc", GUEST, "--title")[0].strip(), "Tuned guest", "live title")
    check_eq(virsh(uri, "desc", GUEST, "--title", "--config")[0].strip(), "",
             "persistent title after --live")
    virsh(uri, "desc", GUEST, "--config", "A guest\nwith two lines")
    root = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq(root.findtext("description"), "A guest\nwith two lines", "persistent description")
    check(ET.fromstring(virsh(uri, "dumpxml", GUEST)[0]).find("description") is None,
          "a live description after --config")

    # An element in a namespace: set, read back without the prefix, replace.
    dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<owner team='a'><who>x</who></owner>",
                    "tn", NS, libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    got = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, NS, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    check_eq(ET.fromstring(got).tag, "owner", "element read back: %r" % got)
    check_eq(ET.fromstring(got).findtext("who"), "x", "element content: %r" % got)
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    check(live.find("metadata/{%s}owner" % NS) is not None, "the element in <metadata>")
    out = virsh(uri, "metadata", GUEST, NS, "--key", "tn", "--set", "<owner team='b'/>")[0]
    for flags in ("--live", "--config"):
        got = virsh(uri, "metadata", GUEST, NS, flags)[0]
        team = ET.fromstring(got).get("team")
        check_eq(team, "b" if flags == "--live" else "a", "element %s: %r" % (flags, got))
    check_eq(len(live.findall("metadata/*")), 1, "one element per namespace")

    # The bus: libvirt-dbus's signatures, "" for NULL.
    check_eq(fx.client.call(fx.path, "org.libvirt.Domain", "GetMetadata", "isu",
                            libvirt.VIR_DOMAIN_METADATA_TITLE, "", 0), "Tuned guest",
             "GetMetadata on the bus")
    fx.client.call(fx.path, "org.libvirt.Domain", "SetMetadata", "isssu",
                   libvirt.VIR_DOMAIN_METADATA_TITLE, "", "", "", 0)

    # Refusals: libvirt's codes, and nothing changes.
    for args, code, text in (
            ((libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<a/>", "tn", "http://nowhere/", 1 << 9),
             libvirt.VIR_ERR_INVALID_ARG, "unsupported flags"),
            ((libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<a", "tn", NS, 0),
             libvirt.VIR_ERR_XML_DETAIL, "(metadata_xml)"),
            ((libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<a/>", "1bad", NS, 0),
             libvirt.VIR_ERR_INTERNAL_ERROR, "failed to validate prefix"),
            ((7, "x", None, None, 0), libvirt.VIR_ERR_INVALID_ARG, "unknown metadata type '7'")):
        try:
            dom.setMetadata(*args)
            raise Failure("setMetadata%r succeeded" % (args,))
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    try:
        dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, "http://nowhere/", 0)
        raise Failure("metadata of a namespace that has none")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_NO_DOMAIN_METADATA, str(e))
    check_eq(virsh(uri, "desc", GUEST, "--title")[0].strip(), "",
             "title after SetMetadata with \"\"")
    err = virsh_fails(uri, "desc", GUEST, "--title", "nope", ro=True)
    check("read only access prevents virDomainSetMetadata" in err, err)
    check_eq(virsh(uri, "desc", GUEST, "--title", ro=True)[0].strip(), "",
             "a read-only client reads the title")

    # Delete the element: gone from both.
    virsh(uri, "metadata", GUEST, NS, "--remove", "--live")
    virsh(uri, "metadata", GUEST, NS, "--remove", "--config")
    for flags in ((), ("--inactive",)):
        root = ET.fromstring(virsh(uri, "dumpxml", GUEST, *flags)[0])
        check(root.find("metadata/{%s}owner" % NS) is None, "element after --remove %r" % (flags,))
    # Seven changes (a live+config one is one event), in order.
    T, D, E = (libvirt.VIR_DOMAIN_METADATA_TITLE, libvirt.VIR_DOMAIN_METADATA_DESCRIPTION,
               libvirt.VIR_DOMAIN_METADATA_ELEMENT)
    ev.wait_count(7)
    check_eq(ev.got, [(GUEST, T, None), (GUEST, D, None), (GUEST, E, NS), (GUEST, E, NS),
                      (GUEST, T, None), (GUEST, E, NS), (GUEST, E, NS)],
             "METADATA_CHANGE events")


def test_proxy_alive(fx):
    fx.events.stop = True
    virsh(fx.proxy.uri, "destroy", GUEST)
    harness.wait_qemu_gone(fx.root)
    virsh(fx.proxy.uri, "undefine", GUEST)
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
