"""virtproxyd answers lookups and virDomainGetInfo from its mirror: the
name, uuid and id indexes follow defines, undefines, starts and stops, and
get info (state, memory, vcpus from org.virtstack.DomainState, CPU time from
/proc) agrees with what virtqemud's GetStats says, for an inactive domain
and for a running TCG guest."""

import time
import uuid as uuidlib

import harness
from harness import check, check_eq
import proxyfx

SHUTOFF, RUNNING = 5, 1

INACTIVE_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='KiB'>262144</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
"""


def expect_no_domain(fn, *args):
    import libvirt
    try:
        fn(*args)
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_NO_DOMAIN, "error code of %r" % (args,))
        return
    raise harness.Failure("%r found a domain" % (args,))


def stats(fx, uuid):
    return harness.unwrap(fx.domain(harness.domain_path(uuid), "GetStats", "uu", 0, 0))


def test_start(fx):
    import libvirt
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    fx.conn = libvirt.open(fx.proxy.uri)


def test_name_and_uuid_index(fx):
    c = fx.conn
    uuids = {}
    for i in range(40):
        name = "mx-%02d" % i
        uuids[name] = str(uuidlib.uuid4())
        c.defineXML(INACTIVE_XML.format(name=name, uuid=uuids[name]))
    for name, u in uuids.items():
        d = c.lookupByName(name)
        check_eq(d.UUIDString(), u, "uuid of %s by name" % name)
        check_eq(c.lookupByUUIDString(u).name(), name, "name of %s by uuid" % u)
    expect_no_domain(c.lookupByName, "mx-nosuch")
    expect_no_domain(c.lookupByUUIDString, str(uuidlib.uuid4()))
    # Gone from every index once undefined; a new domain may take the name.
    c.lookupByName("mx-07").undefine()
    expect_no_domain(c.lookupByName, "mx-07")
    expect_no_domain(c.lookupByUUIDString, uuids["mx-07"])
    new = str(uuidlib.uuid4())
    c.defineXML(INACTIVE_XML.format(name="mx-07", uuid=new))
    check_eq(c.lookupByName("mx-07").UUIDString(), new, "uuid of the redefined mx-07")
    check_eq(c.lookupByName("mx-08").UUIDString(), uuids["mx-08"], "mx-08 untouched")
    for name in uuids:
        c.lookupByName(name).undefine()
    expect_no_domain(c.lookupByName, "mx-00")


def test_info_inactive(fx):
    u = str(uuidlib.uuid4())
    d = fx.conn.defineXML(INACTIVE_XML.format(name="mx-info", uuid=u))
    check_eq(d.info(), [SHUTOFF, 262144, 131072, 2, 0], "info of an inactive domain")
    check_eq(d.maxMemory(), 262144, "maxMemory")
    s = stats(fx, u)
    check_eq(d.info()[1:4], [s["balloon.maximum"], s["balloon.current"], s["vcpu.current"]],
             "info against GetStats")
    d.undefine()


def test_info_running(fx):
    import libvirt
    c = fx.conn
    u = str(uuidlib.uuid4())
    d = c.defineXML(fx.domain_xml("mx-run", uuid=u, memory_mib=128, vcpus=1))
    expect_no_domain(c.lookupByID, 1)
    d.create()
    try:
        dom_id = c.lookupByName("mx-run").ID()
        check(dom_id > 0, "id of the running guest: %d" % dom_id)
        check_eq(c.lookupByID(dom_id).UUIDString(), u, "lookupByID")
        # TCG guests burn CPU from their first instruction: the time grows,
        # and virtqemud's own reading falls between two of ours.
        before = d.info()
        s = stats(fx, u)
        after = d.info()
        check_eq(before[:4], [RUNNING, 131072, 131072, 1], "info of a running guest")
        check(before[4] <= s["cpu.time"] <= after[4],
              "cpu time %d <= %d <= %d" % (before[4], s["cpu.time"], after[4]))
        deadline = time.monotonic() + 30
        while d.info()[4] == before[4]:
            check(time.monotonic() < deadline, "the CPU time never grew")
        d.destroy()
        check_eq(d.info()[0], SHUTOFF, "state after destroy")
        check_eq(d.info()[4], 0, "cpu time after destroy")
        expect_no_domain(c.lookupByID, dom_id)
    finally:
        try:
            d.destroy()
        except libvirt.libvirtError:
            pass
        d.undefine()


def test_end(fx):
    fx.conn.close()
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
