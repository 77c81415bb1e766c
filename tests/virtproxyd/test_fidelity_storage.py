"""Volumes as libvirt makes them, checked against Debian's libvirtd in the
same run (started in a private mount namespace, as bench/proxy_bench.py
starts it): the same python3-libvirt calls go to virtproxyd with
virtstoraged and to libvirtd, and must give the same answers.

- An empty <allocation/> is no value: the volume is created.
- A qcow2 volume over a backing file whose format the XML does not give
  records the probed format in its header (qemu-img's backing format) and
  shows it in its XML.
- Creating a pool over its own inactive definition starts it; while it is
  active, or with another uuid, the create is refused with libvirt's
  codes.
- pool-capabilities lists libvirt's pool types, and find-storage-pool-
  sources fails as libvirtd's does."""

import json
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq
import proxyfx


POOL_XML = """<pool type='dir'><name>{name}</name>
  <target><path>{path}</path></target></pool>"""
EMPTY_ALLOC = """<volume><name>empty.img</name><capacity unit='M'>1</capacity>
  <allocation/></volume>"""
BASE = """<volume><name>base.img</name><capacity unit='M'>2</capacity>
  <target><format type='raw'/></target></volume>"""
OVERLAY = """<volume><name>over.qcow2</name><capacity unit='M'>2</capacity>
  <target><format type='qcow2'/></target>
  <backingStore><path>{base}</path></backingStore></volume>"""


def answers(uri, area):
    """What a server makes of the volumes above, as comparable values."""
    import libvirt
    c = libvirt.open(uri)
    path = tempfile.mkdtemp(prefix="pool-", dir=area)
    pool = c.storagePoolCreateXML(POOL_XML.format(name=os.path.basename(path), path=path), 0)
    try:
        out = {}
        vol = pool.createXML(EMPTY_ALLOC, 0)
        out["empty: capacity"] = vol.info()[1]
        base = pool.createXML(BASE, 0)
        over = pool.createXML(OVERLAY.format(base=base.path()), 0)
        info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json",
                                          over.path()], check=True, capture_output=True,
                                         text=True).stdout)
        out["overlay: header backing format"] = info.get("backing-filename-format")
        out["overlay: header backing file"] = info.get("backing-filename")
        x = ET.fromstring(over.XMLDesc(0))
        fmt = x.find("backingStore/format")
        out["overlay: XML backing format"] = fmt.get("type") if fmt is not None else None
        out["overlay: XML backing path"] = x.findtext("backingStore/path")
        for v in (over, base, vol):
            v.delete(0)
        return out
    finally:
        pool.destroy()
        c.close()
        shutil.rmtree(path, ignore_errors=True)


def create_over_definition(uri, area):
    """Creating a pool whose inactive definition exists (same name and
    uuid) starts it; an active one, or another uuid, is refused."""
    import libvirt
    c = libvirt.open(uri)
    path = tempfile.mkdtemp(prefix="cpool-", dir=area)
    name = os.path.basename(path)
    out = {}

    def code_of(fn):
        """"ok", or the error's code and its message with the names and
        uuids of this run taken out."""
        try:
            fn()
            return "ok"
        except libvirt.libvirtError as e:
            msg = e.get_error_message().replace(name, "NAME").replace(name + "x", "OTHER")
            for u in (uuid_of, "0f0f0f0f-1111-4222-8333-444455556666"):
                msg = msg.replace(u, "UUID")
            return (e.get_error_code(), msg)
    pool = c.storagePoolDefineXML(POOL_XML.format(name=name, path=path), 0)
    uuid_of = pool.UUIDString()
    try:
        xml = pool.XMLDesc(0)
        out["create over the inactive definition"] = code_of(
            lambda: c.storagePoolCreateXML(xml, 0))
        out["active, persistent after"] = (pool.isActive(), pool.isPersistent())
        out["create while active"] = code_of(lambda: c.storagePoolCreateXML(xml, 0))
        pool.destroy()
        out["after destroy: active, defined"] = (pool.isActive(), name in c.listDefinedStoragePools())
        other = POOL_XML.format(name=name, path=path).replace(
            "<name>", "<uuid>%s</uuid><name>" % "0f0f0f0f-1111-4222-8333-444455556666")
        out["create, same name, other uuid"] = code_of(lambda: c.storagePoolCreateXML(other, 0))
        out["define, same name, other uuid"] = code_of(lambda: c.storagePoolDefineXML(other, 0))
        renamed = xml.replace("<name>%s</name>" % name, "<name>%sx</name>" % name)
        out["define, same uuid, other name"] = code_of(lambda: c.storagePoolDefineXML(renamed, 0))
        return out
    finally:
        if pool.isActive():
            pool.destroy()
        pool.undefine()
        c.close()
        shutil.rmtree(path, ignore_errors=True)


def test_volumes_as_libvirtd_makes_them(fx):
    fx.storaged = harness.Daemon(fx.root, fx.bus, name="virtstoraged",
                                 bus_name="org.libvirt.storage")
    fx.daemons.append(fx.storaged)
    fx.storaged.start()
    proxy = fx.proxy = proxyfx.Proxy(fx, "")
    proxy.start()
    area = os.path.join(fx.root, "area")
    os.makedirs(area)
    ours = answers(proxy.uri, area)
    ours_create = create_over_definition(proxy.uri, area)
    import libvirt
    check_eq(ours_create["create over the inactive definition"], "ok", "create over a definition")
    check_eq(ours_create["active, persistent after"], (1, 1), "the pool it started")
    check_eq(ours_create["create while active"][0], libvirt.VIR_ERR_OPERATION_INVALID,
             "create while active")
    check_eq(ours_create["after destroy: active, defined"], (0, True), "after destroy")
    check_eq(ours_create["create, same name, other uuid"][0], libvirt.VIR_ERR_OPERATION_FAILED,
             "create with another uuid")
    want_base = ours["overlay: XML backing path"]
    check(want_base and want_base.endswith("/base.img"), "backing path %r" % want_base)
    check_eq(ours["empty: capacity"], 1 << 20, "capacity with an empty allocation")
    check_eq(ours["overlay: header backing format"], "raw", "backing format in the header")
    check_eq(ours["overlay: XML backing format"], "raw", "backing format in the XML")

    lv = proxyfx.libvirtd()
    try:
        theirs = answers(lv.uri, area)
        theirs_create = create_over_definition(lv.uri, area)
    finally:
        lv.close()
    harness.log("pool creates and defines, ours: %r" % ours_create)
    harness.log("pool creates and defines, libvirtd's: %r" % theirs_create)
    for k in ours_create:
        check_eq(ours_create[k], theirs_create[k], "%s (ours, libvirtd's)" % k)
    for k in ours:
        if k.endswith("path") or k.endswith("file"):
            check_eq(os.path.basename(ours[k]), os.path.basename(theirs[k]),
                     "%s (ours, libvirtd's)" % k)
        else:
            check_eq(ours[k], theirs[k], "%s (ours, libvirtd's)" % k)
    harness.log("the same answers as libvirtd: %r" % ours)


def test_capabilities_and_sources_as_libvirtd(fx):
    """pool-capabilities lists libvirt's pool types in its order, the dir
    pool supported with the volume formats made here; find-storage-pool-
    sources of a dir pool or an unknown type fails as libvirtd's does."""
    proxy = fx.proxy
    ours = ET.fromstring(proxyfx.virsh(proxy.uri, "pool-capabilities")[0])
    errs = [proxyfx.virsh_fails(proxy.uri, "find-storage-pool-sources", t) for t in ("dir", "nope")]
    lv = proxyfx.libvirtd()
    try:
        theirs = ET.fromstring(proxyfx.virsh(lv.uri, "pool-capabilities")[0])
        lv_errs = [proxyfx.virsh_fails(lv.uri, "find-storage-pool-sources", t)
                   for t in ("dir", "nope")]
    finally:
        lv.close()
    check_eq([p.get("type") for p in ours.findall("pool")],
             [p.get("type") for p in theirs.findall("pool")], "the pool types (ours, libvirtd's)")
    supported = {p.get("type"): p.get("supported") for p in ours.findall("pool")}
    check_eq([t for t, v in supported.items() if v == "yes"], ["dir"], "the supported types")
    formats = [v.text for v in ours.findall("./pool[@type='dir']/volOptions/enum/value")]
    check_eq(formats, ["raw", "qcow2"], "the dir pool's volume formats")
    theirs_formats = [v.text for v in theirs.findall("./pool[@type='dir']/volOptions/enum/value")]
    check(set(formats) <= set(theirs_formats), "formats libvirtd lacks: %r" % formats)
    check_eq(ours.find("./pool[@type='dir']/volOptions/defaultFormat").get("type"),
             theirs.find("./pool[@type='dir']/volOptions/defaultFormat").get("type"),
             "the default volume format")
    check_eq(errs, lv_errs, "find-storage-pool-sources' errors (ours, libvirtd's)")
    proxyfx.virsh(proxy.uri, "pool-capabilities", ro=True)


if __name__ == "__main__":
    harness.main(globals())
