"""virtstoraged on a private bus under a temporary root: the whole life of a
directory pool and its volumes through D-Bus (libvirt-dbus's signatures),
events before replies, ObjectManager, qemu-img's view of the volumes, clones
byte-identical, refresh of hand-made files, bad input refused with nothing
half-made, a long wipe that does not delay other calls, and a large upload
then download with the bytes checked."""

import hashlib
import json
import os
import socket
import stat
import struct
import subprocess
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, expect_error, OM_IFACE, PROPS_IFACE

BUS_NAME = "org.libvirt.storage"
PATH = "/org/libvirt/QEMU"
CONNECT = "org.libvirt.Connect"
POOL = "org.libvirt.StoragePool"
VOL = "org.libvirt.StorageVol"
STREAM = "org.virtstack.StorageVolStream"
STORAGE = "org.virtstack.Storage"

EV_DEFINED, EV_UNDEFINED, EV_STARTED, EV_STOPPED, EV_CREATED, EV_DELETED = range(6)
LIST_INACTIVE, LIST_ACTIVE, LIST_PERSISTENT, LIST_TRANSIENT = 1, 2, 4, 8
LIST_AUTOSTART, LIST_NO_AUTOSTART = 16, 32
RESIZE_SHRINK = 4
MiB = 1024 * 1024


def escape(key):
    return "".join(c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in key)


def vol_path(key):
    return PATH + "/storagevol/" + escape(key)


class Ctx:
    pass


def storaged(fx):
    """Starts virtstoraged once for the module; returns a context."""
    if getattr(fx, "storage", None):
        return fx.storage
    ctx = Ctx()
    ctx.daemon = harness.Daemon(fx.root, fx.bus, name="virtstoraged", bus_name=BUS_NAME)
    fx.daemons.append(ctx.daemon)
    ctx.daemon.start()
    ctx.c = harness.Client(fx.bus.address, dest=BUS_NAME)
    fx.clients.append(ctx.c)
    ctx.area = os.path.join(fx.root, "area")   # pools live here
    os.makedirs(ctx.area)
    fx.qemud = ctx.daemon                      # failure logs show ours
    fx.storage = ctx
    return ctx


def connect(ctx, method, sig="", *args, **kw):
    return ctx.c.call(PATH, CONNECT, method, sig, *args, **kw)


def pool_xml(name, path, uuid=None, mode=None):
    perms = "<permissions><mode>%s</mode></permissions>" % mode if mode else ""
    u = "<uuid>%s</uuid>" % uuid if uuid else ""
    return ("<pool type='dir'><name>%s</name>%s<target><path>%s</path>%s</target></pool>"
            % (name, u, path, perms))


def vol_xml(name, capacity, fmt="raw", allocation=None, unit="bytes", backing=None):
    alloc = "<allocation>%d</allocation>" % allocation if allocation is not None else ""
    back = ""
    if backing:
        back = ("<backingStore><path>%s</path><format type='%s'/></backingStore>"
                % backing)
    return ("<volume><name>%s</name><capacity unit='%s'>%d</capacity>%s"
            "<target><format type='%s'/></target>%s</volume>"
            % (name, unit, capacity, alloc, fmt, back))


def qemu_img_info(path):
    r = subprocess.run(["qemu-img", "info", "-U", "--output=json", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    return json.loads(r.stdout)


def tree(path):
    """Every file under @path with its size: to show nothing else changed."""
    out = {}
    for d, dirs, files in os.walk(path):
        for f in dirs + files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            out[p] = (stat.S_IFMT(st.st_mode), st.st_size if stat.S_ISREG(st.st_mode) else 0)
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


# ------------------------------------------------------------------- tests

def test_pool_lifecycle(fx):
    ctx = storaged(fx)
    c = ctx.c
    events = c.collect(CONNECT, "StoragePoolEvent", PATH)
    om = c.collect(OM_IFACE, None, PATH)
    props = c.collect(PROPS_IFACE, "PropertiesChanged")
    target = os.path.join(ctx.area, "p1", "images")

    # Define: an object, a file, an event, all before the reply returns.
    p = connect(ctx, "StoragePoolDefineXML", "su", pool_xml("p1", target, mode="0750"), 0)
    check(p.startswith(PATH + "/storagepool/_"), "pool path %s" % p)
    uuid = c.get(p, POOL, "UUID")
    check_eq(p, PATH + "/storagepool/_" + uuid.replace("-", "_"), "pool path")
    events.flush()
    check_eq([s.args for s in events.signals], [[p, EV_DEFINED, 0]], "events after define")
    om.flush()
    check(any(s.member == "InterfacesAdded" and s.args[0] == p for s in om.signals),
          "InterfacesAdded for the pool")
    conf = os.path.join(fx.root, "etc", "libvirt", "storage", "p1.xml")
    check(os.path.exists(conf), "definition file written")
    check_eq(c.get_all(p, POOL), {"Active": False, "Autostart": False, "Name": "p1",
                                  "Persistent": True, "UUID": uuid}, "properties")
    check_eq(connect(ctx, "StoragePoolLookupByName", "s", "p1"), p, "lookup by name")
    check_eq(connect(ctx, "StoragePoolLookupByUUID", "s", uuid), p, "lookup by uuid")
    check(p in c.call(PATH, OM_IFACE, "GetManagedObjects"), "pool in GetManagedObjects")
    expect_error("NoStoragePool", connect, ctx, "StoragePoolLookupByName", "s", "nope")

    # Start before build: the folder does not exist.
    msg = expect_error("OperationInvalid", c.call, p, POOL, "Create", "u", 0)
    check(target in msg, msg)
    c.call(p, POOL, "Build", "u", 0)
    st = os.stat(target)
    check(stat.S_ISDIR(st.st_mode), "built folder")
    check_eq(oct(st.st_mode & 0o7777), oct(0o750), "folder mode")

    events.flush()
    n = len(events.signals)
    c.call(p, POOL, "Create", "u", 0)
    events.flush()
    check_eq(events.signals[n].args, [p, EV_STARTED, 0], "started event before the reply")
    props.flush()
    check(any(s.path == p and s.args[0] == POOL and s.args[1].get("Active") is True
              for s in props.signals), "PropertiesChanged Active=true")
    check(c.get(p, POOL, "Active"), "active")
    check(os.path.exists(os.path.join(fx.root, "run", "libvirt", "storage", "p1.xml")),
          "live state written")
    state, cap, alloc, avail = c.call(p, POOL, "GetInfo")
    check_eq(state, 2, "running state")
    sv = os.statvfs(target)
    check_eq(cap, sv.f_frsize * sv.f_blocks, "pool capacity from statvfs")
    check(0 < avail <= cap and alloc <= cap, "allocation/available %d %d" % (alloc, avail))
    x = ET.fromstring(c.call(p, POOL, "GetXMLDesc", "u", 0))
    check_eq(x.findtext("target/path"), target, "xml target")
    check_eq(x.findtext("target/permissions/mode"), "0750", "xml mode")

    # Lists with flags.
    check_eq(connect(ctx, "ListStoragePools", "u", 0), [p], "all")
    check_eq(connect(ctx, "ListStoragePools", "u", LIST_ACTIVE), [p], "active")
    check_eq(connect(ctx, "ListStoragePools", "u", LIST_INACTIVE), [], "inactive")
    check_eq(connect(ctx, "ListStoragePools", "u", LIST_TRANSIENT), [], "transient")
    check_eq(connect(ctx, "ListStoragePools", "u", LIST_NO_AUTOSTART), [p], "no autostart")

    # Autostart through the writable property.
    c.set(p, POOL, "Autostart", True)
    link = os.path.join(fx.root, "etc", "libvirt", "storage", "autostart", "p1.xml")
    check(os.path.islink(link), "autostart link")
    check_eq(connect(ctx, "ListStoragePools", "u", LIST_AUTOSTART), [p], "autostart list")
    c.set(p, POOL, "Autostart", False)
    check(not os.path.lexists(link), "autostart link removed")

    # Refresh sees files made and removed by hand.
    refreshed = c.collect(POOL, "Refresh", p)
    check_eq(c.call(p, POOL, "ListStorageVolumes", "u", 0), [], "no volumes yet")
    with open(os.path.join(target, "byhand.img"), "wb") as f:
        f.truncate(3 * MiB)
    os.symlink("/etc/passwd", os.path.join(target, "link.img"))
    os.mkdir(os.path.join(target, "subdir"))
    c.call(p, POOL, "Refresh", "u", 0)
    refreshed.flush()
    check_eq(len(refreshed.signals), 1, "Refresh signal before the reply")
    key = os.path.join(target, "byhand.img")
    check_eq(c.call(p, POOL, "ListStorageVolumes", "u", 0), [vol_path(key)],
             "hand-made file listed, link and folder not")
    v = c.call(p, POOL, "StorageVolLookupByName", "s", "byhand.img")
    check_eq(c.call(v, VOL, "GetInfo", "u", 0), (0, 3 * MiB, 0), "info of a sparse file")
    os.unlink(key)
    os.unlink(os.path.join(target, "link.img"))
    os.rmdir(os.path.join(target, "subdir"))
    c.call(p, POOL, "Refresh", "u", 0)
    check_eq(c.call(p, POOL, "ListStorageVolumes", "u", 0), [], "removed file gone")
    om.flush()
    check(any(s.member == "InterfacesRemoved" and s.args[0] == v for s in om.signals),
          "InterfacesRemoved for the vanished volume")

    # Stop, delete, undefine.
    events.flush()
    n = len(events.signals)
    c.call(p, POOL, "Destroy")
    events.flush()
    check_eq(events.signals[n].args, [p, EV_STOPPED, 0], "stopped event")
    expect_error("OperationInvalid", c.call, p, POOL, "ListStorageVolumes", "u", 0)
    c.call(p, POOL, "Delete", "u", 0)
    check(not os.path.exists(target), "folder deleted")
    c.call(p, POOL, "Undefine")
    check(not os.path.exists(conf), "definition removed")
    expect_error("NoStoragePool", connect, ctx, "StoragePoolLookupByName", "s", "p1")
    events.flush()
    check_eq([s.args[1] for s in events.signals],
             [EV_DEFINED, EV_STARTED, EV_STOPPED, EV_DELETED, EV_UNDEFINED], "event sequence")
    om.flush()
    check(any(s.member == "InterfacesRemoved" and s.args[0] == p for s in om.signals),
          "InterfacesRemoved for the pool")
    for col in (events, om, props, refreshed):
        col.close()


def make_pool(ctx, name, transient=False):
    target = os.path.join(ctx.area, name)
    if transient:
        return connect(ctx, "StoragePoolCreateXML", "su", pool_xml(name, target), 1), target
    p = connect(ctx, "StoragePoolDefineXML", "su", pool_xml(name, target), 0)
    ctx.c.call(p, POOL, "Build", "u", 0)
    ctx.c.call(p, POOL, "Create", "u", 0)
    return p, target


def test_transient_pool(fx):
    ctx = storaged(fx)
    c = ctx.c
    events = c.collect(CONNECT, "StoragePoolEvent", PATH)
    p, target = make_pool(ctx, "tmp", transient=True)
    check(os.path.isdir(target), "built by create with the build flag")
    check_eq(c.get(p, POOL, "Persistent"), False, "transient")
    check(not os.path.exists(os.path.join(fx.root, "etc", "libvirt", "storage", "tmp.xml")),
          "no definition file")
    # libvirt 9.0's answer: a transient pool "has no config file".
    expect_error("InternalError", c.set, p, POOL, "Autostart", True)
    # A transient pool is active, and an active pool is not undefined.
    expect_error("OperationInvalid", c.call, p, POOL, "Undefine")
    c.call(p, POOL, "Destroy")
    expect_error("NoStoragePool", connect, ctx, "StoragePoolLookupByName", "s", "tmp")
    events.flush()
    check_eq([s.args[1] for s in events.signals], [EV_STARTED, EV_STOPPED], "events")
    events.close()
    os.rmdir(target)


def test_volumes(fx):
    ctx = storaged(fx)
    c = ctx.c
    om = c.collect(OM_IFACE, None, PATH)
    p, target = make_pool(ctx, "vols")

    # Raw sparse and fully allocated.
    v = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("sparse.img", 64, unit="MiB",
                                                             allocation=0), 0)
    key = os.path.join(target, "sparse.img")
    check_eq(v, vol_path(key), "volume path escapes the key")
    om.flush()
    check(any(s.member == "InterfacesAdded" and s.args[0] == v for s in om.signals),
          "InterfacesAdded before the reply")
    check_eq(c.get_all(v, VOL), {"Name": "sparse.img", "Key": key, "Path": key}, "properties")
    st = os.stat(key)
    check_eq(st.st_size, 64 * MiB, "sparse size")
    check(st.st_blocks * 512 < MiB, "sparse: nearly nothing allocated")
    check_eq(oct(st.st_mode & 0o777), oct(0o600), "volume mode")
    typ, cap, alloc = c.call(v, VOL, "GetInfo", "u", 0)
    check_eq((typ, cap), (0, 64 * MiB), "info")
    check_eq(alloc, st.st_blocks * 512, "allocation from the file")

    f = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("full.img", 8 * MiB), 0)
    full = os.path.join(target, "full.img")
    check(os.stat(full).st_blocks * 512 >= 8 * MiB, "fully allocated by default")
    info = c.call(f, VOL, "GetInfo", "u", 0)
    check_eq(info[1], info[2], "allocation == capacity")

    # qcow2 with a backing file.
    base = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("base.qcow2", 32 * MiB, "qcow2"), 0)
    base_key = os.path.join(target, "base.qcow2")
    check_eq(qemu_img_info(base_key)["format"], "qcow2", "qemu-img sees qcow2")
    check_eq(qemu_img_info(base_key)["virtual-size"], 32 * MiB, "qcow2 size")
    ov = c.call(p, POOL, "StorageVolCreateXML", "su",
                vol_xml("overlay.qcow2", 32 * MiB, "qcow2", backing=(base_key, "qcow2")), 0)
    info = qemu_img_info(os.path.join(target, "overlay.qcow2"))
    check_eq(info["backing-filename"], base_key, "backing file")
    check_eq(info.get("backing-filename-format"), "qcow2", "backing format")
    x = ET.fromstring(c.call(ov, VOL, "GetXMLDesc", "u", 0))
    check_eq(x.findtext("backingStore/path"), base_key, "backing store in the XML")
    check_eq(x.find("target/format").get("type"), "qcow2", "format in the XML")
    check_eq(x.findtext("capacity"), str(32 * MiB), "capacity in the XML")

    # Lookups.
    check_eq(connect(ctx, "StorageVolLookupByKey", "s", key), v, "by key")
    check_eq(connect(ctx, "StorageVolLookupByPath", "s", target + "//sparse.img"), v,
             "by an unclean path")
    check_eq(connect(ctx, "StorageVolLookupByPath", "s", key), v, "by path")
    check_eq(c.call(p, POOL, "StorageVolLookupByName", "s", "sparse.img"), v, "by name")
    check_eq(c.call(PATH, STORAGE, "ResolveVolume", "ss", "vols", "overlay.qcow2"),
             (os.path.join(target, "overlay.qcow2"), "qcow2"), "ResolveVolume")
    expect_error("NoStorageVol", connect, ctx, "StorageVolLookupByKey", "s", "/nope")
    expect_error("NoStorageVol", connect, ctx, "StorageVolLookupByPath", "s", "/nope")
    expect_error("NoStorageVol", c.call, PATH, STORAGE, "ResolveVolume", "ss", "vols", "nope")
    expect_error("NoStoragePool", c.call, PATH, STORAGE, "ResolveVolume", "ss", "nope", "x")

    # Clone, across formats, byte-identical content.
    with open(key, "r+b") as fh:
        for i in range(8):
            fh.seek(i * 7 * MiB + 12345)
            fh.write(os.urandom(4096))
    cl = c.call(p, POOL, "StorageVolCreateXMLFrom", "ssu",
                "<volume><name>clone.img</name></volume>", key, 0)
    check_eq(sha256_file(os.path.join(target, "clone.img")), sha256_file(key), "raw clone")
    check_eq(c.call(cl, VOL, "GetInfo", "u", 0)[1], 64 * MiB, "clone keeps the capacity")
    cq = c.call(p, POOL, "StorageVolCreateXMLFrom", "ssu",
                "<volume><name>clone.qcow2</name><target><format type='qcow2'/></target>"
                "</volume>", key, 0)
    check_eq(qemu_img_info(os.path.join(target, "clone.qcow2"))["format"], "qcow2", "qcow2 clone")
    back = os.path.join(ctx.area, "back.raw")
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw",
                    os.path.join(target, "clone.qcow2"), back], check=True)
    check_eq(sha256_file(back), sha256_file(key), "qcow2 clone holds the same bytes")
    os.unlink(back)

    # Resize: grow raw and qcow2, shrink only with the flag and only zeros.
    c.call(v, VOL, "Resize", "tu", 80 * MiB, 0)
    check_eq(qemu_img_info(key)["virtual-size"], 80 * MiB, "raw grown")
    c.call(base, VOL, "Resize", "tu", 48 * MiB, 0)
    check_eq(qemu_img_info(base_key)["virtual-size"], 48 * MiB, "qcow2 grown")
    check_eq(c.call(base, VOL, "GetInfo", "u", 0)[1], 48 * MiB, "info follows")
    expect_error("InvalidArg", c.call, v, VOL, "Resize", "tu", 10 * MiB, 0)
    msg = expect_error("OperationInvalid", c.call, v, VOL, "Resize", "tu", 10 * MiB,
                       RESIZE_SHRINK)
    check("data" in msg, msg)
    check_eq(os.stat(key).st_size, 80 * MiB, "refused shrink changed nothing")
    c.call(v, VOL, "Resize", "tu", 64 * MiB, RESIZE_SHRINK)   # only zeros past 64 MiB
    check_eq(qemu_img_info(key)["virtual-size"], 64 * MiB, "raw shrunk")
    expect_error("OperationUnsupported", c.call, base, VOL, "Resize", "tu", MiB, RESIZE_SHRINK)
    expect_error("Overflow", c.call, v, VOL, "Resize", "tu", 1 << 63, 0)

    # Wipe: zeros.
    c.call(cl, VOL, "Wipe", "uu", 0, 0)
    with open(os.path.join(target, "clone.img"), "rb") as fh:
        data = fh.read()
    check(len(data) == 64 * MiB and not any(data[i * 7 * MiB + 12345] for i in range(8))
          and data.count(0) == len(data), "wiped to zeros")
    c.call(ov, VOL, "Wipe", "uu", 0, 0)
    info = qemu_img_info(os.path.join(target, "overlay.qcow2"))
    check_eq((info["format"], info["backing-filename"]), ("qcow2", base_key),
             "wiped qcow2 is an empty image with its backing file")

    # Delete.
    for vp in (v, f, ov, base, cl, cq):
        c.call(vp, VOL, "Delete", "u", 0)
    check_eq(os.listdir(target), [], "every file removed")
    check_eq(c.call(p, POOL, "ListStorageVolumes", "u", 0), [], "no volume left")
    om.close()
    c.call(p, POOL, "Destroy")
    c.call(p, POOL, "Delete", "u", 0)
    c.call(p, POOL, "Undefine")


def test_bad_input(fx):
    ctx = storaged(fx)
    c = ctx.c
    p, target = make_pool(ctx, "bad")
    outside = os.path.join(ctx.area, "outside")
    os.makedirs(outside)
    with open(os.path.join(outside, "x"), "w") as fh:
        fh.write("keep")
    v = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("a.img", MiB), 0)
    before = tree(ctx.area)
    before_etc = tree(os.path.join(fx.root, "etc"))

    expect_error("OperationInvalid", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("../outside/y", MiB), 0)
    expect_error("OperationInvalid", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("..", MiB), 0)
    expect_error("OperationInvalid", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("a/b", MiB), 0)
    expect_error("Overflow", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("big.img", 100, unit="E"), 0)
    expect_error("Overflow", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("big.img", 2 ** 64), 0)
    msg = expect_error("ConfigUnsupported", c.call, p, POOL, "StorageVolCreateXML", "su",
                       vol_xml("f.img", MiB, fmt="vmdk9"), 0)
    check("vmdk9" in msg, msg)
    expect_error("XmlDetail", c.call, p, POOL, "StorageVolCreateXML", "su", "<volume><name>", 0)
    expect_error("StorageVolExist", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("a.img", MiB), 0)
    expect_error("NoSupport", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("r.img", MiB, backing=(os.path.join(target, "a.img"), "raw")), 0)
    # qemu-img fails (the backing file does not exist): nothing left.
    expect_error("OperationInvalid", c.call, p, POOL, "StorageVolCreateXML", "su",
                 vol_xml("q.qcow2", MiB, "qcow2", backing=("/nonexistent.qcow2", "qcow2")), 0)
    expect_error("XmlDetail", connect, ctx, "StoragePoolDefineXML", "su", "<pool type='dir'>", 0)
    # Two pools on one folder: libvirt's words, naming the pool that has it.
    msg = expect_error("OperationFailed", connect, ctx, "StoragePoolDefineXML", "su",
                       pool_xml("twin", target), 0)
    check("Storage source conflict with pool: 'bad'" in msg, msg)
    # A pool whose target is a file.
    filepath = os.path.join(outside, "x")
    q = connect(ctx, "StoragePoolDefineXML", "su", pool_xml("onfile", filepath), 0)
    expect_error("OperationInvalid", c.call, q, POOL, "Build", "u", 0)
    expect_error("OperationInvalid", c.call, q, POOL, "Create", "u", 0)
    expect_error("OperationInvalid", c.call, q, POOL, "Delete", "u", 0)
    c.call(q, POOL, "Undefine")
    # Deleting a pool with volumes; stopping and undefining states.
    expect_error("OperationInvalid", c.call, p, POOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")
    msg = expect_error("OperationInvalid", c.call, p, POOL, "Delete", "u", 0)
    check("not empty" in msg, msg)
    expect_error("OperationInvalid", c.call, p, POOL, "Destroy")
    check_eq(tree(ctx.area), before, "nothing made or touched in the area")
    check_eq(tree(os.path.join(fx.root, "etc")), before_etc, "no definition left behind")
    with open(os.path.join(outside, "x")) as fh:
        check_eq(fh.read(), "keep", "file outside the pool intact")
    c.call(p, POOL, "Create", "u", 0)
    c.call(v, VOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")
    c.call(p, POOL, "Delete", "u", 0)
    c.call(p, POOL, "Undefine")


def test_long_wipe_does_not_block(fx):
    """A ListStoragePools sent after a Wipe of a large volume is answered
    before the Wipe: reply order, not timing."""
    ctx = storaged(fx)
    c = ctx.c
    p, target = make_pool(ctx, "slow")
    v = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("big.img", 1024 * MiB,
                                                             allocation=0), 0)
    wipe = c.call_async(v, VOL, "Wipe", "uu", 0, 0, timeout=300)
    lists = [c.call_async(PATH, CONNECT, "ListStoragePools", "u", 0) for _ in range(3)]
    info = c.call_async(v, VOL, "GetXMLDesc", "u", 0)
    busy = c.call_async(v, VOL, "Delete", "u", 0)
    for l in lists:
        check(p in l.wait(), "pool listed while the wipe runs")
    info.wait()
    try:
        busy.wait()
        raise harness.Failure("Delete of a volume being wiped succeeded")
    except harness.BusError as e:
        check_eq(e.name, "org.libvirt.Error.OperationInvalid", "busy volume")
    wipe.wait(timeout=300)
    check(all(l.order < wipe.order for l in lists), "lists answered before the wipe ended: %r"
          % (([l.order for l in lists], wipe.order),))
    check(busy.order < wipe.order, "the refused delete came before the wipe ended")
    c.call(v, VOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")
    c.call(p, POOL, "Delete", "u", 0)
    c.call(p, POOL, "Undefine")


def pattern_block(i):
    """Block @i (1 MiB) of the test content: mostly holes, some data."""
    if i % 5 == 0:
        return bytes(MiB)
    seed = hashlib.sha256(b"block%d" % i).digest()
    return (seed * (MiB // len(seed)))


def read_line(sock):
    buf = b""
    while not buf.endswith(b"\n"):
        b = sock.recv(1)
        if not b:
            break
        buf += b
    return buf.decode()


def test_upload_download(fx):
    ctx = storaged(fx)
    c = ctx.c
    p, target = make_pool(ctx, "stream")
    size = 300 * MiB
    v = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("data.img", size, allocation=0), 0)

    # Upload the whole volume.
    fd = c.call(v, STREAM, "Upload", "ttu", 0, 0, 0)
    sock = socket.socket(fileno=fd.take() if hasattr(fd, "take") else os.dup(fd))
    up = hashlib.sha256()
    for i in range(size // MiB):
        b = pattern_block(i)
        up.update(b)
        sock.sendall(b)
    sock.shutdown(socket.SHUT_WR)
    check_eq(read_line(sock), "OK\n", "upload status")
    check_eq(sock.recv(1), b"", "EOF after the status")
    sock.close()
    check_eq(sha256_file(os.path.join(target, "data.img")), up.hexdigest(), "file content")

    # Download it back.
    fd = c.call(v, STREAM, "Download", "ttu", 0, 0, 0)
    sock = socket.socket(fileno=fd.take() if hasattr(fd, "take") else os.dup(fd))
    hdr = b""
    while len(hdr) < 8:
        hdr += sock.recv(8 - len(hdr))
    (n,) = struct.unpack(">Q", hdr)
    check_eq(n, size, "announced length")
    down = hashlib.sha256()
    left = n
    while left:
        b = sock.recv(min(left, 4 * MiB))
        check(b, "data cut at %d" % (n - left))
        down.update(b)
        left -= len(b)
    check_eq(read_line(sock), "OK\n", "download status")
    check_eq(sock.recv(1), b"", "EOF")
    sock.close()
    check_eq(down.hexdigest(), up.hexdigest(), "downloaded bytes")

    # A range; too many bytes for a raw volume; bad flags.
    fd = c.call(v, STREAM, "Download", "ttu", 5 * MiB + 7, 1000, 0)
    sock = socket.socket(fileno=fd.take() if hasattr(fd, "take") else os.dup(fd))
    data = b""
    while True:
        b = sock.recv(65536)
        if not b:
            break
        data += b
    sock.close()
    check_eq(struct.unpack(">Q", data[:8])[0], 1000, "range length")
    check_eq(data[8:1008], pattern_block(5)[7:1007], "range bytes")
    check_eq(data[1008:], b"OK\n", "range status")

    fd = c.call(v, STREAM, "Upload", "ttu", size - 10, 0, 0)
    sock = socket.socket(fileno=fd.take() if hasattr(fd, "take") else os.dup(fd))
    try:
        sock.sendall(b"x" * 100)
        sock.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    line = read_line(sock)
    sock.close()
    check(line.startswith("ERROR 8 "), "too many bytes refused: %r" % line)
    expect_error("InvalidArg", c.call, v, STREAM, "Upload", "ttu", 0, 0, 1)
    expect_error("InvalidArg", c.call, v, STREAM, "Download", "ttu", size + 1, 0, 0)

    c.call(v, VOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")
    c.call(p, POOL, "Delete", "u", 0)
    c.call(p, POOL, "Undefine")


def test_restart_keeps_state(fx):
    ctx = storaged(fx)
    c = ctx.c
    p, target = make_pool(ctx, "keep")
    v = c.call(p, POOL, "StorageVolCreateXML", "su", vol_xml("k.img", MiB), 0)
    c.set(p, POOL, "Autostart", True)
    ctx.daemon.stop()
    ctx.daemon.start()
    check_eq(connect(ctx, "StoragePoolLookupByName", "s", "keep"), p, "pool back")
    check(c.get(p, POOL, "Active"), "still active after a restart")
    check(c.get(p, POOL, "Autostart"), "autostart kept")
    check_eq(c.call(p, POOL, "ListStorageVolumes", "u", 0), [v], "volume back")
    c.call(v, VOL, "Delete", "u", 0)
    c.call(p, POOL, "Destroy")
    c.call(p, POOL, "Delete", "u", 0)
    c.call(p, POOL, "Undefine")


harness.main(globals(), start_daemon=False)
