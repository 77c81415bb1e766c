"""Metadata and tuning of a running guest through virtproxyd, with Debian's
virsh and python3-libvirt, and on virtqemud's bus with libvirt-dbus's
signatures: virsh desc and metadata (title, description, elements by
namespace; METADATA_CHANGE once per change), and each tuning knob written
live and read back from where the host keeps it (cgroups, QMP, tc), in the
definition only with --config; libvirt's errors for values out of range,
unknown parameters and the read-only socket, which change nothing."""

import glob
import os
import select
import subprocess
import threading
import time
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
        self.tunables = []
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_TUNABLE,
                                         self.on_tunable, None)

    def loop(self):
        while not self.stop:
            self.lv.virEventRunDefaultImpl()

    def on_metadata(self, conn, dom, mtype, nsuri, opaque):
        with self.cond:
            self.got.append((dom.name(), mtype, nsuri))
            self.cond.notify_all()

    def on_tunable(self, conn, dom, params, opaque):
        with self.cond:
            self.tunables.append((dom.name(), params))
            self.cond.notify_all()

    def wait_tunables(self, n, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.tunables) >= n, timeout):
                raise Failure("%d TUNABLE events expected; got %r" % (n, self.tunables))
            return list(self.tunables)

    def wait_count(self, n, timeout=30):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.got) >= n, timeout):
                raise Failure("%d events expected; got %r" % (n, self.got))


def test_start(fx):
    fx.proxy = proxyfx.Proxy(fx, "")
    fx.proxy.start()
    fx.events = Events(fx.proxy.uri)
    xml_path = os.path.join(fx.root, GUEST + ".xml")
    img = os.path.join(fx.root, "tune.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    # A disk with a limit in its definition: applied at start.
    with open(xml_path, "w") as f:
        f.write(fx.domain_xml(GUEST, vcpus=2, extra_devices=(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='%s'/><target dev='vda' bus='virtio'/>"
            "<iotune><total_iops_sec>500</total_iops_sec></iotune></disk>" % img)))
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


def scope(fx, controller):
    """The guest's own cgroup of @controller (cgroup v1, as on this host)."""
    uuid = ET.fromstring(virsh(fx.proxy.uri, "dumpxml", GUEST)[0]).findtext("uuid")
    found = glob.glob("/sys/fs/cgroup/%s/**/virtstack-%s-*.scope" % (controller, uuid),
                      recursive=True)
    check_eq(len(found), 1, "the guest's %s cgroup: %r" % (controller, found))
    return found[0]


def cg_read(path):
    with open(path) as f:
        return f.read().strip()


def schedinfo(uri, *flags):
    out = virsh(uri, "schedinfo", GUEST, *flags)[0]
    return dict((k.strip(), v.strip()) for k, v in
                (ln.split(":", 1) for ln in out.splitlines() if ":" in ln))


def test_schedinfo(fx):
    """virsh schedinfo --set, live: the values land in the guest's cpu
    cgroup (shares on its group, the vCPU period and quota on each vCPU
    thread's group, the emulator's on the emulator's, the global ones on
    the group) and read back; --config: the definition only; refusals."""
    import libvirt
    uri = fx.proxy.uri
    info = schedinfo(uri)
    check_eq(info["Scheduler"], "posix", "scheduler")
    check_eq(set(info) - {"Scheduler"},
             {"cpu_shares", "vcpu_period", "vcpu_quota", "emulator_period", "emulator_quota",
              "global_period", "global_quota", "iothread_period", "iothread_quota"},
             "schedinfo's parameters")
    virsh(uri, "schedinfo", GUEST, "--live", "--set", "cpu_shares=512")
    virsh(uri, "schedinfo", GUEST, "--live", "--set", "vcpu_quota=50000")
    virsh(uri, "schedinfo", GUEST, "--live", "--set", "emulator_period=200000")
    virsh(uri, "schedinfo", GUEST, "--live", "--set", "global_quota=150000")
    cpu = scope(fx, "cpu")
    check_eq(cg_read(cpu + "/cpu.shares"), "512", "cpu.shares")
    for v in ("vcpu0", "vcpu1"):
        check_eq(cg_read("%s/%s/cpu.cfs_quota_us" % (cpu, v)), "50000", v + " quota")
    check_eq(cg_read(cpu + "/emulator/cpu.cfs_period_us"), "200000", "emulator period")
    check_eq(cg_read(cpu + "/cpu.cfs_quota_us"), "150000", "global quota")
    # Every QEMU thread is in one of the groups.
    pid = int(fx.client.get(fx.path, "org.virtstack.DomainState", "Pid"))
    tasks = set()
    for sub in ("vcpu0", "vcpu1", "emulator"):
        tasks |= set(cg_read("%s/%s/tasks" % (cpu, sub)).split())
    check_eq(tasks, set(os.listdir("/proc/%d/task" % pid)), "the QEMU threads' groups")
    info = schedinfo(uri, "--live")
    check_eq((info["cpu_shares"], info["vcpu_quota"], info["emulator_period"],
              info["global_quota"]), ("512", "50000", "200000", "150000"), "live schedinfo")
    cfg = schedinfo(uri, "--config")
    check_eq((cfg["cpu_shares"], cfg["vcpu_quota"]), ("0", "0"), "persistent after --live")

    virsh(uri, "schedinfo", GUEST, "--config", "--set", "vcpu_period=300000")
    root = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq(root.findtext("cputune/period"), "300000", "persistent <cputune><period>")
    check_eq(cg_read(cpu + "/vcpu0/cpu.cfs_period_us"), "100000", "live period after --config")
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    check_eq(live.findtext("cputune/shares"), "512", "live <cputune><shares>")

    # The bus: libvirt-dbus's a{sv}.
    got = fx.client.call(fx.path, "org.libvirt.Domain", "GetSchedulerParameters", "u", 0)
    check_eq(got["cpu_shares"], 512, "GetSchedulerParameters on the bus")

    dom = fx.events.conn.lookupByName(GUEST)
    for params, code, text in (
            ({"vcpu_period": 10}, libvirt.VIR_ERR_INVALID_ARG,
             "value of 'vcpu_period' is out of range [1000, 1000000]"),
            ({"vcpu_quota": 1 << 50}, libvirt.VIR_ERR_INVALID_ARG,
             "value of 'vcpu_quota' is out of range [1000, 17592186044415]")):
        try:
            dom.setSchedulerParametersFlags(params, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise Failure("setSchedulerParametersFlags(%r) succeeded" % params)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    # python3-libvirt checks names and types itself; the bus gets libvirt's
    # own checks.
    for params, text in (
            ({"cpu_shares": harness.dbus.UInt32(5)},
             "invalid type 'uint' for parameter 'cpu_shares', expected 'ullong'"),
            ({"no_such": harness.dbus.UInt64(5)}, "parameter 'no_such' not supported")):
        try:
            fx.client.call(fx.path, "org.libvirt.Domain", "SetSchedulerParameters", "a{sv}u",
                           params, 0)
            raise Failure("SetSchedulerParameters(%r) was taken" % params)
        except harness.BusError as e:
            check(text in str(e), "%s: %s" % (text, e))
    err = virsh_fails(uri, "schedinfo", GUEST, "--set", "cpu_shares=100", ro=True)
    check("read only access prevents virDomainSetSchedulerParameters" in err, err)
    check_eq(cg_read(cpu + "/cpu.shares"), "512", "cpu.shares after the refusals")


def kv(out):
    return dict((k.strip(), v.strip()) for k, v in
                (ln.split(":", 1) for ln in out.splitlines() if ":" in ln))


def test_memtune(fx):
    """virsh memtune, live: the limits land in the guest's memory cgroup,
    which holds every QEMU thread, and read back; --config: the
    definition's <memtune> only; libvirt's refusals change nothing."""
    import libvirt
    uri = fx.proxy.uri
    UNLIMITED = "unlimited"
    got = kv(virsh(uri, "memtune", GUEST)[0])
    check_eq(got, {"hard_limit": UNLIMITED, "soft_limit": UNLIMITED,
                   "swap_hard_limit": UNLIMITED}, "memtune at start")
    virsh(uri, "memtune", GUEST, "--live", "--hard-limit", "1048576", "--soft-limit", "524288",
          "--swap-hard-limit", "2097152")
    mem = scope(fx, "memory")
    check_eq(cg_read(mem + "/memory.limit_in_bytes"), str(1048576 << 10), "memory.limit_in_bytes")
    check_eq(cg_read(mem + "/memory.soft_limit_in_bytes"), str(524288 << 10),
             "memory.soft_limit_in_bytes")
    check_eq(cg_read(mem + "/memory.memsw.limit_in_bytes"), str(2097152 << 10),
             "memory.memsw.limit_in_bytes")
    pid = int(fx.client.get(fx.path, "org.virtstack.DomainState", "Pid"))
    check_eq(cg_read(mem + "/cgroup.procs").split(), [str(pid)], "QEMU in its memory group")
    check_eq(kv(virsh(uri, "memtune", GUEST, "--live")[0]),
             {"hard_limit": "1048576", "soft_limit": "524288", "swap_hard_limit": "2097152"},
             "live memtune")
    check_eq(kv(virsh(uri, "memtune", GUEST, "--config")[0])["hard_limit"], UNLIMITED,
             "persistent hard limit after --live")
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    check_eq(live.findtext("memtune/hard_limit"), "1048576", "live <memtune>")
    # Down below the swap limit's old value first: the order the kernel needs.
    virsh(uri, "memtune", GUEST, "--live", "--hard-limit", "786432", "--swap-hard-limit",
          "786432")
    check_eq(cg_read(mem + "/memory.memsw.limit_in_bytes"), str(786432 << 10), "memsw lowered")
    virsh(uri, "memtune", GUEST, "--config", "--hard-limit", "2000000")
    root = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq(root.findtext("memtune/hard_limit"), "2000000", "persistent <memtune>")
    check_eq(cg_read(mem + "/memory.limit_in_bytes"), str(786432 << 10),
             "live limit after --config")

    dom = fx.events.conn.lookupByName(GUEST)
    for params, text in (
            ({"hard_limit": 4194304}, "hard_limit tunable value must be lower than or equal "
                                       "to swap_hard_limit"),
            ({"soft_limit": 1 << 60}, "must be less than 9007199254740991")):
        try:
            dom.setMemoryParameters(params, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise Failure("setMemoryParameters(%r) succeeded" % params)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), libvirt.VIR_ERR_INVALID_ARG, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    check_eq(cg_read(mem + "/memory.limit_in_bytes"), str(786432 << 10),
             "limit after the refusals")
    got = fx.client.call(fx.path, "org.libvirt.Domain", "GetMemoryParameters", "u", 0)
    check_eq(got["hard_limit"], 786432, "GetMemoryParameters on the bus")
    # Back to no limits.
    virsh(uri, "memtune", GUEST, "--live", "--swap-hard-limit", "-1", "--hard-limit", "-1",
          "--soft-limit", "-1")
    check_eq(kv(virsh(uri, "memtune", GUEST)[0])["hard_limit"], UNLIMITED, "unlimited again")


def test_blkiotune(fx):
    """virsh blkiotune, live: the weight and a loop device's throttles land
    in the guest's blkio cgroup and read back; --config; refusals."""
    import libvirt
    uri = fx.proxy.uri
    backing = os.path.join(fx.root, "blk.img")
    with open(backing, "wb") as f:
        f.truncate(4 << 20)
    loop = subprocess.run(["losetup", "-f", "--show", backing], check=True,
                          capture_output=True, text=True).stdout.strip()
    try:
        st = os.stat(loop)
        dev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        virsh(uri, "blkiotune", GUEST, "--live", "--device-read-bytes-sec",
              "%s,1048576" % loop, "--device-write-iops-sec", "%s,200" % loop)
        blk = scope(fx, "blkio")
        # Weights need BFQ (or the old CFQ): without either, libvirt's refusal.
        fx.weight_file = next((f for f in ("blkio.bfq.weight", "blkio.weight")
                               if os.path.exists(os.path.join(blk, f))), None)
        if fx.weight_file:
            virsh(uri, "blkiotune", GUEST, "--live", "--weight", "300")
            check_eq(cg_read(os.path.join(blk, fx.weight_file)), "300", "blkio weight")
        else:
            err = virsh_fails(uri, "blkiotune", GUEST, "--live", "--weight", "300")
            check("blkio device weight is valid only for bfq or cfq scheduler" in err, err)
        check_eq(cg_read(blk + "/blkio.throttle.read_bps_device"), "%s 1048576" % dev,
                 "read_bps_device")
        check_eq(cg_read(blk + "/blkio.throttle.write_iops_device"), "%s 200" % dev,
                 "write_iops_device")
        got = kv(virsh(uri, "blkiotune", GUEST, "--live")[0])
        check_eq((got["weight"], got["device_read_bytes_sec"], got["device_write_iops_sec"]),
                 ("300" if fx.weight_file else "0", "%s,1048576" % loop, "%s,200" % loop),
                 "live blkiotune")
        check_eq(kv(virsh(uri, "blkiotune", GUEST, "--config")[0])["weight"], "0",
                 "persistent weight after --live")
        virsh(uri, "blkiotune", GUEST, "--config", "--weight", "700")
        root = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
        check_eq(root.findtext("blkiotune/weight"), "700", "persistent <blkiotune>")
        # Lift the limit: 0.
        virsh(uri, "blkiotune", GUEST, "--live", "--device-read-bytes-sec", "%s,0" % loop)
        check_eq(cg_read(blk + "/blkio.throttle.read_bps_device"), "", "read limit lifted")

        dom = fx.events.conn.lookupByName(GUEST)
        for params, code, text in (
                ({"weight": 5}, libvirt.VIR_ERR_INVALID_ARG, "out of blkio weight range"),
                ({"device_read_iops_sec": backing + ",10"}, libvirt.VIR_ERR_OPERATION_INVALID,
                 "must be a block device"),
                ({"device_read_iops_sec": loop + ",x"}, libvirt.VIR_ERR_INVALID_ARG,
                 "invalid value 'x'")):
            try:
                dom.setBlkioParameters(params, libvirt.VIR_DOMAIN_AFFECT_LIVE)
                raise Failure("setBlkioParameters(%r) succeeded" % params)
            except libvirt.libvirtError as e:
                check_eq(e.get_error_code(), code, str(e))
                check(text in str(e), "%s: %s" % (text, e))
        if fx.weight_file:
            check_eq(cg_read(os.path.join(blk, fx.weight_file)), "300",
                     "weight after the refusals")
        check(backing not in virsh(uri, "dumpxml", GUEST)[0], "a refused path in the live XML")
    finally:
        subprocess.run(["losetup", "-d", loop])


def test_numatune(fx):
    """virsh numatune: the nodeset of a running guest moves through its
    cpuset cgroup; a mode change and a node the host lacks are refused."""
    import libvirt
    uri = fx.proxy.uri
    virsh(uri, "numatune", GUEST, "--live", "--nodeset", "0")
    cs = scope(fx, "cpuset")
    check_eq(cg_read(cs + "/cpuset.mems"), "0", "cpuset.mems")
    pid = int(fx.client.get(fx.path, "org.virtstack.DomainState", "Pid"))
    check_eq(cg_read(cs + "/cgroup.procs").split(), [str(pid)], "QEMU in its cpuset group")
    got = kv(virsh(uri, "numatune", GUEST, "--live")[0])
    check_eq((got["numa_mode"], got["numa_nodeset"]), ("strict", "0"), "live numatune")
    virsh(uri, "numatune", GUEST, "--config", "--mode", "interleave", "--nodeset", "0")
    root = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    mem = root.find("numatune/memory")
    check_eq((mem.get("mode"), mem.get("nodeset")), ("interleave", "0"), "persistent <numatune>")
    dom = fx.events.conn.lookupByName(GUEST)
    for params, code, text in (
            ({"numa_mode": 2}, libvirt.VIR_ERR_OPERATION_INVALID,
             "can't change numatune mode for running domain"),
            ({"numa_nodeset": "63"}, libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
             "NUMA node 63 is unavailable"),
            ({"numa_mode": 9}, libvirt.VIR_ERR_INVALID_ARG, "unsupported numatune mode: '9'")):
        try:
            dom.setNumaParameters(params, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise Failure("setNumaParameters(%r) succeeded" % params)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    check_eq(cg_read(cs + "/cpuset.mems"), "0", "cpuset.mems after the refusals")


def allowed(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()


def threads(pid):
    """QEMU's threads by name: vCPU n is "CPU n/TCG"."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            out[int(tid)] = f.read().strip()
    return out


def test_pinning(fx):
    """virsh vcpupin and emulatorpin, live: the threads' affinity changes
    (the kernel's own word) and vcpupin/emulatorpin read it back; --config
    writes <cputune> only; refusals."""
    import libvirt
    uri = fx.proxy.uri
    ncpus = os.cpu_count()
    if ncpus < 2:
        raise Failure("this test needs two host CPUs")
    pid = int(fx.client.get(fx.path, "org.virtstack.DomainState", "Pid"))
    virsh(uri, "vcpupin", GUEST, "1", "1", "--live")
    virsh(uri, "emulatorpin", GUEST, "0", "--live")
    names = threads(pid)
    vcpu1 = [t for t, n in names.items() if n == "CPU 1/TCG"]
    check_eq(len(vcpu1), 1, "vCPU 1's thread: %r" % names)
    check_eq(allowed(pid, vcpu1[0]), "1", "vCPU 1's affinity")
    check_eq(allowed(pid, pid), "0", "the emulator's main thread's affinity")
    vcpu0 = [t for t, n in names.items() if n == "CPU 0/TCG"][0]
    check_eq(allowed(pid, vcpu0), "0-%d" % (ncpus - 1), "vCPU 0 keeps every CPU")
    out = virsh(uri, "vcpupin", GUEST, "--live")[0]
    rows = dict(ln.split(None, 1) for ln in out.splitlines() if ln.strip()[:1].isdigit())
    check_eq(rows.get("1").strip(), "1", "vcpupin --live: %r" % out)
    check("0" in virsh(uri, "emulatorpin", GUEST, "--live")[0], "emulatorpin --live")
    got = fx.client.call(fx.path, "org.libvirt.Domain", "GetEmulatorPinInfo", "u", 0)
    check_eq(list(got)[:2], [True, False], "GetEmulatorPinInfo on the bus")
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    check_eq(live.find("cputune/vcpupin").get("cpuset"), "1", "live <vcpupin>")
    check_eq(live.find("cputune/emulatorpin").get("cpuset"), "0", "live <emulatorpin>")
    virsh(uri, "vcpupin", GUEST, "0", "1", "--config")
    root = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq([(p.get("vcpu"), p.get("cpuset")) for p in root.findall("cputune/vcpupin")],
             [("0", "1")], "persistent <vcpupin>")
    check_eq(allowed(pid, vcpu0), "0-%d" % (ncpus - 1), "vCPU 0 after --config")
    dom = fx.events.conn.lookupByName(GUEST)
    for call, code, text in (
            (lambda: dom.pinVcpuFlags(5, (True,), libvirt.VIR_DOMAIN_AFFECT_LIVE),
             libvirt.VIR_ERR_INVALID_ARG, "vcpu 5 is out of range of live cpu count 2"),
            (lambda: dom.pinVcpuFlags(0, (False, False), libvirt.VIR_DOMAIN_AFFECT_LIVE),
             libvirt.VIR_ERR_INVALID_ARG, "Empty cpu list for pinning"),
            (lambda: dom.pinEmulator((True,), 1 << 8), libvirt.VIR_ERR_INVALID_ARG,
             "unsupported flags")):
        try:
            call()
            raise Failure("a pinning that should fail succeeded: " + text)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    check_eq(allowed(pid, vcpu1[0]), "1", "vCPU 1 after the refusals")
    err = virsh_fails(uri, "vcpupin", GUEST, "0", "0", ro=True)
    check("read only access prevents virDomainPinVcpu" in err, err)


def test_blkdeviotune(fx):
    """virsh blkdeviotune: a disk's <iotune> from the definition is in QEMU
    from the start (query-block says so); a live change replaces its
    family and QEMU reports it; --config; libvirt's rule refusals."""
    import libvirt
    uri = fx.proxy.uri
    got = kv(virsh(uri, "blkdeviotune", GUEST, "vda")[0])
    check_eq((got["total_iops_sec"], got["total_bytes_sec"]), ("500", "0"), "limits at start")
    virsh(uri, "blkdeviotune", GUEST, "vda", "--live", "--read-bytes-sec", "1048576",
          "--write-bytes-sec", "2097152", "--read-bytes-sec-max", "4194304")
    got = kv(virsh(uri, "blkdeviotune", GUEST, "vda", "--live")[0])
    check_eq((got["read_bytes_sec"], got["write_bytes_sec"], got["read_bytes_sec_max"],
              got["total_iops_sec"]), ("1048576", "2097152", "4194304", "500"),
             "QEMU's limits after a live change")
    # A new iops family replaces the old one whole.
    virsh(uri, "blkdeviotune", GUEST, "vda", "--live", "--read-iops-sec", "100")
    got = kv(virsh(uri, "blkdeviotune", GUEST, "vda")[0])
    check_eq((got["read_iops_sec"], got["total_iops_sec"]), ("100", "0"), "iops replaced")
    live = ET.fromstring(virsh(uri, "dumpxml", GUEST)[0])
    check_eq(live.findtext("devices/disk/iotune/read_bytes_sec"), "1048576", "live <iotune>")
    conf = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq(conf.findtext("devices/disk/iotune/read_bytes_sec"), None,
             "persistent <iotune> after --live")
    virsh(uri, "blkdeviotune", GUEST, "vda", "--config", "--total-bytes-sec", "999999")
    conf = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0])
    check_eq(conf.findtext("devices/disk/iotune/total_bytes_sec"), "999999",
             "persistent <iotune>")
    check_eq(kv(virsh(uri, "blkdeviotune", GUEST, "vda")[0])["total_bytes_sec"], "0",
             "live after --config")
    dom = fx.events.conn.lookupByName(GUEST)
    L = libvirt.VIR_DOMAIN_AFFECT_LIVE
    for params, disk, code, text in (
            ({"total_bytes_sec": 5}, "vda", libvirt.VIR_ERR_INVALID_ARG,
             "total and read/write of bytes_sec cannot be set at the same time"),
            ({"total_iops_sec_max": 50}, "vda", libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
             "value 'total_iops_sec_max' cannot be set if 'total_iops_sec' is not set"),
            ({"read_iops_sec": 100, "read_iops_sec_max": 10}, "vda",
             libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
             "value 'read_iops_sec_max' cannot be smaller than 'read_iops_sec'"),
            ({"read_iops_sec": 10 ** 16}, "vda", libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
             "must be no more than 1000000000000000"),
            ({"read_iops_sec": 1}, "vdz", libvirt.VIR_ERR_INVALID_ARG,
             "disk 'vdz' was not found in the domain config")):
        try:
            if "read_bytes_sec" not in params and "total_bytes_sec" in params:
                params = dict(params, read_bytes_sec=1)
            dom.setBlockIoTune(disk, params, L)
            raise Failure("setBlockIoTune(%r) succeeded" % params)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), code, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    check_eq(kv(virsh(uri, "blkdeviotune", GUEST, "vda")[0])["read_iops_sec"], "100",
             "QEMU's limits after the refusals")
    got = fx.client.call(fx.path, "org.libvirt.Domain", "GetBlockIOTune", "su", "vda", 0)
    check_eq(got["read_bytes_sec"], 1048576, "GetBlockIOTune on the bus")


def test_statistics(fx):
    """domblkinfo of a running guest's disk (QEMU's word) and of a shut-off
    one's (the qcow2 header's), the block group's sizes in domstats,
    cpu-stats per host CPU (the guest's cpuacct group) and in total,
    domblkerror and domjobinfo."""
    import libvirt
    uri = fx.proxy.uri
    img = os.path.join(fx.root, "tune.qcow2")
    st = os.stat(img)
    info = kv(virsh(uri, "domblkinfo", GUEST, "vda")[0])
    check_eq(info["Capacity"], str(8 << 20), "capacity of a running guest's disk")
    check_eq(info["Physical"], str(os.stat(img).st_size), "physical size")
    check(0 < int(info["Allocation"]) <= os.stat(img).st_blocks * 512 + (1 << 20),
          "allocation: %r" % info)
    stats = kv(virsh(uri, "domstats", GUEST, "--block")[0].replace("=", ":"))
    check_eq(stats["block.0.capacity"], str(8 << 20), "block.0.capacity")
    check_eq(stats["block.0.physical"], str(st.st_size), "block.0.physical")
    check("block.0.allocation" in stats, "block.0.allocation: %r" % stats)
    # A shut-off guest's disk: the image's own header says its size.
    off = os.path.join(fx.root, "off.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", off, "24M"], check=True)
    path = os.path.join(fx.root, "off.xml")
    with open(path, "w") as f:
        f.write(fx.domain_xml("offguest", extra_devices=(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % off)))
    virsh(uri, "define", path)
    info = kv(virsh(uri, "domblkinfo", "offguest", off)[0])
    check_eq((info["Capacity"], info["Physical"]), (str(24 << 20), str(os.stat(off).st_size)),
             "a shut-off guest's disk")
    err = virsh_fails(uri, "domblkinfo", "offguest", "vdz")
    check("invalid path vdz not assigned to domain" in err, err)
    virsh(uri, "undefine", "offguest")

    # Per host CPU, from the guest's cpuacct group; the totals from /proc.
    first = virsh(uri, "cpu-stats", GUEST)[0]
    per_cpu = [ln for ln in first.splitlines() if ln.startswith("CPU")]
    check_eq(len(per_cpu), os.cpu_count(), "one row per host CPU: %r" % first)
    acct = [int(v) for v in cg_read(scope(fx, "cpuacct") + "/cpuacct.usage_percpu").split()]
    # vcpu_time: the guest's two vCPU threads, each in a vcpuN group.
    vacct = [0] * os.cpu_count()
    for v in range(2):
        vdir = scope(fx, "cpuacct") + "/vcpu%d" % v
        check(os.path.isdir(vdir), "no cpuacct group for vCPU %d" % v)
        for c, ns in enumerate(cg_read(vdir + "/cpuacct.usage_percpu").split()):
            vacct[c] += int(ns)
    dom = fx.events.conn.lookupByName(GUEST)
    got = dom.getCPUStats(False)
    check_eq(len(got), os.cpu_count(), "getCPUStats rows")
    for c, row in enumerate(got):
        check(0 < acct[c] <= row["cpu_time"] or acct[c] == row["cpu_time"] == 0,
              "CPU %d: %r after the group's %d" % (c, row, acct[c]))
        check(vacct[c] <= row["vcpu_time"] <= row["cpu_time"],
              "CPU %d: vcpu_time %r after the vCPU groups' %d" % (c, row, vacct[c]))
    check(sum(r["vcpu_time"] for r in got) > 0, "the vCPUs ran: %r" % got)
    total = dom.getCPUStats(True)[0]
    check(total["cpu_time"] > 0 and total["user_time"] + total["system_time"] > 0,
          "total: %r" % total)
    check_eq(virsh(uri, "domblkerror", GUEST)[0].strip(), "No errors found", "domblkerror")
    # The dirty rate: QEMU measures for a second; no event says when it is
    # done, so domstats is asked until it says so.
    stats = kv(virsh(uri, "domstats", GUEST, "--dirtyrate")[0].replace("=", ":"))
    check_eq(stats.get("dirtyrate.calc_status"), "0", "dirty rate before a measure")
    virsh(uri, "domdirtyrate-calc", GUEST, "--seconds", "1")
    deadline = time.monotonic() + 30
    while stats.get("dirtyrate.calc_status") != "2":
        check(time.monotonic() < deadline, "the dirty rate was never measured: %r" % stats)
        select.select([], [], [], 0.2)
        stats = kv(virsh(uri, "domstats", GUEST, "--dirtyrate")[0].replace("=", ":"))
    check_eq((stats["dirtyrate.calc_period"], stats["dirtyrate.calc_mode"]),
             ("1", "page-sampling"), "the measure: %r" % stats)
    check("dirtyrate.megabytes_per_second" in stats, "the rate: %r" % stats)
    err = virsh_fails(uri, "domdirtyrate-calc", GUEST, "--seconds", "99")
    check("seconds=99 is invalid" in err, err)
    err = virsh_fails(uri, "domdirtyrate-calc", GUEST, "--mode", "dirty-ring")
    check("dirty-ring calculation mode requires dirty-ring feature enabled" in err, err)
    check("None" in kv(virsh(uri, "domjobinfo", GUEST)[0])["Job type"], "domjobinfo")
    try:
        dom.getCPUStats(False, 1 << 5)
        raise Failure("getCPUStats took an unknown flag")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_INVALID_ARG, str(e))


def test_iothreads(fx):
    """IOThreads: the definition's are QEMU threads from the start, one
    pinned as <iothreadpin> says and a disk on another; iothreadadd,
    iothreadpin and iothreaddel live change QEMU's threads (the kernel's
    thread list and affinity say so); --config changes the definition;
    an IOThread a disk uses is not removed."""
    import libvirt
    uri = fx.proxy.uri
    name = "iothguest"
    img = os.path.join(fx.root, "ioth.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "8M"], check=True)
    xml = fx.domain_xml(name, extra_devices=(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2' iothread='1'/>"
        "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" % img)).replace(
        "<vcpu>", "<iothreads>2</iothreads><cputune><iothreadpin iothread='2' cpuset='1'/>"
        "</cputune><vcpu>")
    path = os.path.join(fx.root, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    virsh(uri, "define", path)
    virsh(uri, "start", name)
    dpath = fx.client.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName",
                           "s", name)
    pid = int(fx.client.get(dpath, "org.virtstack.DomainState", "Pid"))

    def io_threads():
        return {n: t for t, n in threads(pid).items() if n.startswith("IO iothread")}

    check_eq(sorted(io_threads()), ["IO iothread1", "IO iothread2"], "IOThreads at start")
    check_eq(allowed(pid, io_threads()["IO iothread2"]), "1", "IOThread 2 pinned at start")
    out = virsh(uri, "iothreadinfo", name)[0]
    rows = dict(ln.split(None, 1) for ln in out.splitlines() if ln.strip()[:1].isdigit())
    check_eq(rows.get("2", "").strip(), "1", "iothreadinfo: %r" % out)

    virsh(uri, "iothreadadd", name, "3", "--live")
    check("IO iothread3" in io_threads(), "a new IOThread: %r" % io_threads())
    before = len(fx.events.tunables)
    virsh(uri, "iothreadpin", name, "3", "0", "--live")
    check_eq(allowed(pid, io_threads()["IO iothread3"]), "0", "IOThread 3 pinned")
    check_eq(fx.events.wait_tunables(before + 1)[before:], [(name, {"cputune.iothreadpin3": "0"})],
             "TUNABLE of the IOThread's pinning")
    live = ET.fromstring(virsh(uri, "dumpxml", name)[0])
    check_eq(live.findtext("iothreads"), "3", "live <iothreads>")
    check_eq(sorted(t.get("id") for t in live.findall("iothreadids/iothread")),
             ["1", "2", "3"], "live <iothreadids>")
    conf = ET.fromstring(virsh(uri, "dumpxml", name, "--inactive")[0])
    check_eq(conf.findtext("iothreads"), "2", "persistent <iothreads> after --live")
    dom = fx.events.conn.lookupByName(name)
    for call, text in (
            (lambda: dom.delIOThread(1, libvirt.VIR_DOMAIN_AFFECT_LIVE),
             "cannot remove IOThread 1 since it is being used by disk 'vda'"),
            (lambda: dom.addIOThread(3, libvirt.VIR_DOMAIN_AFFECT_LIVE),
             "an IOThread is already using iothread_id '3'"),
            (lambda: dom.delIOThread(9, libvirt.VIR_DOMAIN_AFFECT_LIVE),
             "cannot find IOThread '9' in iothreadids list")):
        try:
            call()
            raise Failure("an IOThread change that should fail succeeded: " + text)
        except libvirt.libvirtError as e:
            check_eq(e.get_error_code(), libvirt.VIR_ERR_INVALID_ARG, str(e))
            check(text in str(e), "%s: %s" % (text, e))
    virsh(uri, "iothreaddel", name, "3", "--live")
    check("IO iothread3" not in io_threads(), "IOThread 3 after iothreaddel")
    stats = kv(virsh(uri, "domstats", name, "--iothread")[0].replace("=", ":"))
    check_eq(stats.get("iothread.count"), "2", "iothread.count: %r" % stats)
    check("iothread.2.poll-max-ns" in stats, "iothread.2.poll-max-ns: %r" % stats)
    virsh(uri, "iothreadadd", name, "5", "--config")
    conf = ET.fromstring(virsh(uri, "dumpxml", name, "--inactive")[0])
    check_eq(sorted(t.get("id") for t in conf.findall("iothreadids/iothread")),
             ["1", "2", "5"], "persistent <iothreadids>")
    got = fx.client.call(dpath, "org.libvirt.Domain", "GetIOThreadInfo", "u", 0)
    check_eq(sorted(row[0] for row in got), [1, 2], "GetIOThreadInfo on the bus")
    virsh(uri, "destroy", name)
    harness.wait_pid_exit(pid, 60)
    virsh(uri, "undefine", name)


def test_tuning_at_start(fx):
    """A definition's <memtune>, <blkiotune> weight and <numatune> are in
    the cgroups before the guest runs; the groups go with the guest."""
    uri = fx.proxy.uri
    name = "tunestart"
    # Without a weight file on this host (test_blkiotune found out), the
    # blkio group holds only a loop device's throttle.
    loop = None
    if fx.weight_file:
        blkio = "<blkiotune><weight>444</weight></blkiotune>"
    else:
        backing = os.path.join(fx.root, "start.img")
        with open(backing, "wb") as f:
            f.truncate(1 << 20)
        loop = subprocess.run(["losetup", "-f", "--show", backing], check=True,
                              capture_output=True, text=True).stdout.strip()
        blkio = ("<blkiotune><device><path>%s</path><read_bytes_sec>1</read_bytes_sec>"
                 "</device></blkiotune>" % loop)
    xml = fx.domain_xml(name).replace(
        "<vcpu>", "<memtune><hard_limit unit='MiB'>900</hard_limit></memtune>" + blkio +
        "<vcpu>").replace(
        "<os>", "<numatune><memory mode='restrictive' nodeset='0'/></numatune><os>")
    path = os.path.join(fx.root, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    virsh(uri, "define", path)
    virsh(uri, "start", name, "--paused")
    path = fx.client.call("/org/libvirt/QEMU", "org.libvirt.Connect", "DomainLookupByName",
                          "s", name)
    pid = int(fx.client.get(path, "org.virtstack.DomainState", "Pid"))
    uuid = ET.fromstring(virsh(uri, "dumpxml", name)[0]).findtext("uuid")
    groups = {}
    for ctl in ("memory", "blkio", "cpuset"):
        found = glob.glob("/sys/fs/cgroup/%s/**/virtstack-%s-*.scope" % (ctl, uuid),
                          recursive=True)
        check_eq(len(found), 1, "%s group at start" % ctl)
        groups[ctl] = found[0]
    check_eq(cg_read(groups["memory"] + "/memory.limit_in_bytes"), str(900 << 20),
             "hard limit at start")
    if fx.weight_file:
        check_eq(cg_read(os.path.join(groups["blkio"], fx.weight_file)), "444",
                 "weight at start")
    else:
        st = os.stat(loop)
        check_eq(cg_read(groups["blkio"] + "/blkio.throttle.read_bps_device"),
                 "%d:%d 1" % (os.major(st.st_rdev), os.minor(st.st_rdev)),
                 "a device's throttle at start")
    check_eq(cg_read(groups["cpuset"] + "/cpuset.mems"), "0", "nodes at start")
    virsh(uri, "destroy", name)
    harness.wait_pid_exit(pid, 60)
    for ctl, g in groups.items():
        check(not os.path.exists(g), "the %s group is left after destroy" % ctl)
    if loop:
        subprocess.run(["losetup", "-d", loop])
    virsh(uri, "undefine", name)


def perf_stats(uri, name=GUEST):
    out = virsh(uri, "domstats", name, "--perf")[0]
    return {k.strip(): int(v) for k, v in
            (ln.split("=", 1) for ln in out.splitlines() if "=" in ln)}


def test_perf(fx):
    """virsh perf --enable/--disable live: the counters open on QEMU's pid
    (perf_event_open) and the perf group of domstats reads them (cpu_clock
    grows as QEMU answers its monitor); --config goes into <perf>; a
    <perf> in the definition opens at start. Hardware counters (no PMU
    here) and Intel's cmt are refused in libvirt's words; a stats group
    unknown to libvirt is refused with ENFORCE_STATS, dropped without."""
    import libvirt
    uri = fx.proxy.uri
    dom = fx.events.conn.lookupByName(GUEST)
    listed = dom.perfEvents()
    check_eq(len(listed), 22, "libvirt's 22 perf events: %r" % listed)
    check_eq(set(listed.values()), {False}, "all off at first")
    check_eq(perf_stats(uri), {}, "no counters, no perf group")
    virsh(uri, "perf", GUEST, "--enable", "cpu_clock,context_switches", "--live")
    check_eq(dom.perfEvents()["cpu_clock"], True, "cpu_clock on")
    first = perf_stats(uri)
    check_eq(sorted(first), ["perf.context_switches", "perf.cpu_clock"], "the perf group")
    for _ in range(3):
        virsh(uri, "domstats", GUEST, "--block", "--balloon")  # QEMU's monitor works
    second = perf_stats(uri)
    check(second["perf.cpu_clock"] > first["perf.cpu_clock"],
          "cpu_clock does not grow: %r then %r" % (first, second))
    check_eq(ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0]).find("perf"), None,
             "a live change leaves the definition")
    err = virsh_fails(uri, "perf", GUEST, "--enable", "cpu_cycles", "--live")
    check("unable to open host cpu perf event for cpu_cycles" in err, err)
    try:
        dom.setPerfEvents({"cmt": True}, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        raise Failure("cmt was enabled")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, str(e))
    check_eq(dom.perfEvents(libvirt.VIR_DOMAIN_AFFECT_LIVE)["cpu_cycles"], False,
             "the refused counter stays off")
    virsh(uri, "perf", GUEST, "--disable", "cpu_clock", "--live")
    check_eq(sorted(perf_stats(uri)), ["perf.context_switches"], "cpu_clock off")
    virsh(uri, "perf", GUEST, "--enable", "task_clock", "--config")
    perf = ET.fromstring(virsh(uri, "dumpxml", GUEST, "--inactive")[0]).find("perf")
    check_eq([(e.get("name"), e.get("enabled")) for e in perf], [("task_clock", "yes")],
             "<perf> after --config")
    check_eq(dom.perfEvents(libvirt.VIR_DOMAIN_AFFECT_CONFIG)["task_clock"], True,
             "the persistent task_clock")
    virsh(uri, "perf", GUEST, "--disable", "task_clock", "--config")
    err = virsh_fails(uri, "perf", GUEST, "--enable", "cpu_clock", ro=True)
    check("read only access prevents virDomainSetPerfEvents" in err, err)

    try:
        fx.events.conn.getAllDomainStats(1 << 12,
                                         libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)
        raise Failure("an unknown stats group was served")
    except libvirt.libvirtError as e:
        check_eq(e.get_error_code(), libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, str(e))
        check("Stats types bits 0x1000 are not supported" in str(e), str(e))
    recs = fx.events.conn.getAllDomainStats((1 << 12) | libvirt.VIR_DOMAIN_STATS_PERF)
    mine = [r for d, r in recs if d.name() == GUEST]
    check_eq(sorted(mine[0]), ["perf.context_switches"], "the unknown group dropped")

    # At start: a definition's counters; a hardware one fails the start.
    name = "perfstart"
    xml = fx.domain_xml(name).replace(
        "<devices>", "<perf><event name='page_faults' enabled='yes'/></perf><devices>")
    path = os.path.join(fx.root, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    virsh(uri, "define", path)
    virsh(uri, "start", name, "--paused")
    check_eq(sorted(perf_stats(uri, name)), ["perf.page_faults"], "counters from <perf>")
    virsh(uri, "destroy", name)
    with open(path, "w") as f:
        f.write(xml.replace("page_faults", "cpu_cycles"))
    virsh(uri, "define", path)
    err = virsh_fails(uri, "start", name)
    check("unable to open host cpu perf event for cpu_cycles" in err, err)
    check_eq(virsh(uri, "domstate", name)[0].strip(), "shut off", "after the refused start")
    virsh(uri, "undefine", name)


def test_tunable_events(fx):
    """A live vcpupin, emulatorpin, schedinfo and blkdeviotune (and
    iothreadpin, in test_iothreads) each raise one TUNABLE with libvirt's parameter names and the new
    values; a --config change raises none."""
    uri, ev = fx.proxy.uri, fx.events
    start = len(ev.tunables)
    virsh(uri, "vcpupin", GUEST, "0", "1", "--config")
    virsh(uri, "vcpupin", GUEST, "0", "1", "--live")
    virsh(uri, "emulatorpin", GUEST, "1", "--live")
    virsh(uri, "schedinfo", GUEST, "--live", "cpu_shares=777", "vcpu_period=200000")
    virsh(uri, "blkdeviotune", GUEST, "vda", "--live", "--total-iops-sec", "321")
    got = ev.wait_tunables(start + 4)[start:]
    check_eq(got, [(GUEST, {"cputune.vcpupin0": "1"}),
                   (GUEST, {"cputune.emulatorpin": "1"}),
                   (GUEST, {"cputune.cpu_shares": 777, "cputune.vcpu_period": 200000}),
                   (GUEST, {"blkdeviotune.disk": "vda", "blkdeviotune.total_iops_sec": 321})],
             "TUNABLE events, once each, in order, none for --config")


def test_proxy_alive(fx):
    fx.events.stop = True
    virsh(fx.proxy.uri, "destroy", GUEST)
    harness.wait_qemu_gone(fx.root)
    virsh(fx.proxy.uri, "undefine", GUEST)
    check(fx.proxy.alive(), "virtproxyd died; log:\n" + fx.proxy.log_tail())


if __name__ == "__main__":
    harness.main(globals())
