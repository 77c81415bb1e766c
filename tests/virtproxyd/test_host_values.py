"""The host as virsh shows it through virtproxyd and virtqemud: nodeinfo,
capabilities, domcapabilities, nodecpustats, nodememstats, freecell,
freepages and sysinfo print values that match /proc and sysfs, read by the
test itself around each virsh call; cpu-models and node-memory-tune
print what Debian's libvirtd prints; domxml-to-native gives the command
line a start would use; allocpages only with calls that leave
the host's pools as they are, and its refusals."""

import glob
import os
import re
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq
import proxyfx
from proxyfx import virsh


def meminfo(path="/proc/meminfo"):
    out = {}
    for line in open(path):
        m = re.match(r"(?:Node \d+ )?(\w+):\s+(\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def cpu_list(text):
    cpus = []
    for part in text.strip().split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus += range(int(a), int(b) + 1)
        elif part:
            cpus.append(int(part))
    return cpus


def nodes():
    return sorted(int(os.path.basename(p)[4:])
                  for p in glob.glob("/sys/devices/system/node/node[0-9]*"))


def online_cpus():
    return cpu_list(open("/sys/devices/system/cpu/online").read())


def setup(fx):
    if "proxy" not in fx.__dict__:
        fx.proxy = proxyfx.Proxy(fx, "")
        fx.proxy.start()
    return fx.proxy.uri


def test_nodeinfo(fx):
    uri = setup(fx)
    out = dict((k.strip(), v.strip()) for k, v in
               (l.split(":", 1) for l in virsh(uri, "nodeinfo")[0].splitlines() if ":" in l))
    check_eq(out["CPU model"], os.uname().machine, "CPU model")
    check_eq(int(out["CPU(s)"]), len(online_cpus()), "CPU(s)")
    check_eq(out["Memory size"], "%d KiB" % harness.host_memory_kib(), "Memory size")
    check_eq(int(out["NUMA cell(s)"]), max(1, len(nodes())), "NUMA cells")
    cores = set()
    for c in online_cpus():
        topo = "/sys/devices/system/cpu/cpu%d/topology/" % c
        cores.add((open(topo + "physical_package_id").read().strip(),
                   open(topo + "core_id").read().strip()))
    sockets = int(out["CPU socket(s)"]) * int(out["NUMA cell(s)"])
    check_eq(sockets * int(out["Core(s) per socket"]), len(cores), "sockets x cores")
    check_eq(len(cores) * int(out["Thread(s) per core"]), len(online_cpus()), "threads")


def test_capabilities(fx):
    uri = setup(fx)
    caps = ET.fromstring(virsh(uri, "capabilities")[0])
    check_eq(caps.findtext("host/cpu/arch"), os.uname().machine, "host arch")
    cpuinfo = open("/proc/cpuinfo").read()
    vendor = "AMD" if "AuthenticAMD" in cpuinfo else "Intel" if "GenuineIntel" in cpuinfo else None
    if vendor:
        check_eq(caps.findtext("host/cpu/vendor"), vendor, "host CPU vendor")
    flags = set(re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M).group(1).split())
    feats = {f.get("name") for f in caps.findall("host/cpu/feature")}
    check(feats, "host CPU features listed")
    for name in ("fpu", "sse2", "apic"):
        if name in flags:
            check(name in feats, "host CPU feature %s (in /proc/cpuinfo) listed" % name)
    cells = caps.findall("host/topology/cells/cell")
    check_eq(len(cells), max(1, len(nodes())), "topology cells")
    for cell in cells:
        n = int(cell.get("id"))
        got = sorted(int(c.get("id")) for c in cell.findall("cpus/cpu"))
        if nodes():
            want = cpu_list(open("/sys/devices/system/node/node%d/cpulist" % n).read())
            check_eq(got, want, "cell %d cpus" % n)
            mem = meminfo("/sys/devices/system/node/node%d/meminfo" % n)["MemTotal"]
            check_eq(int(cell.findtext("memory")), mem, "cell %d memory" % n)
        else:
            check_eq(got, online_cpus(), "cell cpus")
    emus = {g.findtext("arch/emulator") for g in caps.findall("guest")}
    check("/usr/bin/qemu-system-x86_64" in emus, "the x86_64 emulator is listed: %r" % emus)


def test_domcapabilities(fx):
    uri = setup(fx)
    dc = ET.fromstring(virsh(uri, "domcapabilities", "--virttype", "qemu", "--arch", "x86_64",
                             "--machine", "pc")[0])
    check_eq(dc.findtext("path"), "/usr/bin/qemu-system-x86_64", "emulator path")
    check_eq(dc.findtext("domain"), "qemu", "virt type")
    check_eq(dc.findtext("arch"), "x86_64", "arch")
    check(re.match(r"pc-i440fx-\d+\.\d+$", dc.findtext("machine") or ""),
          "machine canonical name: %r" % dc.findtext("machine"))
    err = proxyfx.virsh_fails(uri, "domcapabilities", "--machine", "no-such-machine")
    check("no-such-machine" in err, "an unknown machine is named: %r" % err)


def test_memory_and_cpu_stats(fx):
    uri = setup(fx)
    stats = dict((k.strip(), int(v.split()[0])) for k, v in
                 (l.split(":", 1) for l in virsh(uri, "nodememstats")[0].splitlines() if ":" in l))
    check_eq(stats["total"], meminfo()["MemTotal"], "nodememstats total")
    before = meminfo()
    free_now = stats["free"]
    after = meminfo()
    lo, hi = sorted((before["MemFree"], after["MemFree"]))
    check(lo * 0.9 <= free_now <= hi * 1.1, "nodememstats free %d near /proc's %d..%d"
          % (free_now, lo, hi))

    # libvirt's user time is user + nice: compare like with like, on a host
    # that has niced time.
    harness.make_nice_time()
    t0 = harness.cpu_user_ticks()
    cpu = dict((k.strip(), int(v.split()[0])) for k, v in
               (l.split(":", 1) for l in virsh(uri, "nodecpustats")[0].splitlines() if ":" in l))
    t1 = harness.cpu_user_ticks()
    hz = os.sysconf("SC_CLK_TCK")
    check(t0 * 10**9 // hz <= cpu["user"] <= t1 * 10**9 // hz,
          "nodecpustats user %d within /proc/stat's user+nice [%d, %d] ns"
          % (cpu["user"], t0 * 10**9 // hz, t1 * 10**9 // hz))


def test_freecell(fx):
    uri = setup(fx)
    out = virsh(uri, "freecell", "--all")[0]
    cells = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"^\s*(\d+):\s+(\d+) KiB",
                                                                    out, re.M)}
    if not nodes():
        check_eq(list(cells), [0], "one cell without NUMA sysfs")
        return
    check_eq(sorted(cells), nodes(), "cells")
    for n, kib in cells.items():
        free = meminfo("/sys/devices/system/node/node%d/meminfo" % n)["MemFree"]
        check(abs(kib - free) <= max(free // 10, 65536),
              "cell %d free %d KiB near sysfs's %d KiB" % (n, kib, free))


def test_freepages(fx):
    uri = setup(fx)
    out = virsh(uri, "freepages", "--all")[0]
    got, node = {}, None
    for line in out.splitlines():
        m = re.match(r"Node (\d+):", line)
        if m:
            node = int(m.group(1))
        m = re.match(r"(\d+)KiB: (\d+)", line)
        if m:
            got[(node, int(m.group(1)))] = int(m.group(2))
    page_kib = os.sysconf("SC_PAGESIZE") // 1024
    cells = nodes() or [0]
    for n in cells:
        check((n, page_kib) in got, "no %d KiB pages for node %d in %r" % (page_kib, n, out))
        base = "/sys/devices/system/node/node%d" % n
        free = meminfo(base + "/meminfo")["MemFree"] // page_kib
        check(abs(got[(n, page_kib)] - free) <= max(free // 10, 16384),
              "node %d: %d free pages near sysfs's %d" % (n, got[(n, page_kib)], free))
        for d in glob.glob(base + "/hugepages/hugepages-*kB"):
            size = int(re.search(r"(\d+)kB", d).group(1))
            check_eq(got.get((n, size)), int(open(d + "/free_hugepages").read()),
                     "node %d: free %d KiB pages" % (n, size))
    err = proxyfx.virsh_fails(uri, "freepages", "--cellno", "0", "--pagesize", "3")
    check("page size 3 is not available on node 0" in err, err)
    err = proxyfx.virsh_fails(uri, "freepages", "--cellno", "999", "--pagesize", str(page_kib))
    check("start cell 999 out of range" in err, err)


def test_allocpages(fx):
    """Only calls that leave the host's pools as they are: nothing added, or
    set to what they hold; and the refusals."""
    uri = setup(fx)
    page_kib = os.sysconf("SC_PAGESIZE") // 1024
    pools = glob.glob("/sys/kernel/mm/hugepages/hugepages-*kB")
    if not pools:
        raise harness.Skip("this kernel has no huge pages")
    size = int(re.search(r"(\d+)kB", pools[0]).group(1))
    before = int(open(pools[0] + "/nr_hugepages").read())
    virsh(uri, "allocpages", "--pagesize", str(size), "--pagecount", "0", "--add")
    virsh(uri, "allocpages", "--pagesize", str(size), "--pagecount", str(before))
    check_eq(int(open(pools[0] + "/nr_hugepages").read()), before, "the pool afterwards")
    err = proxyfx.virsh_fails(uri, "allocpages", "--pagesize", str(page_kib), "--pagecount", "1")
    check("system pages pool can't be modified" in err, err)
    err = proxyfx.virsh_fails(uri, "allocpages", "--pagesize", "3", "--pagecount", "1")
    check("page size 3 is not available" in err, err)
    err = proxyfx.virsh_fails(uri, "allocpages", "--pagesize", str(size), "--pagecount", "1",
                              ro=True)
    check("read only access prevents virNodeAllocPages" in err, err)


def test_cpu_models_as_libvirtd(fx):
    """virsh cpu-models prints what Debian's libvirtd prints here."""
    uri = setup(fx)
    lv = proxyfx.libvirtd()
    try:
        theirs_uri = "qemu+unix:///system?socket=" + os.path.join(lv.dir, "sock", "libvirt-sock")
        for arch in ("x86_64", "aarch64", "ppc64le", "s390x"):
            ours = virsh(uri, "cpu-models", arch)[0]
            theirs = virsh(theirs_uri, "cpu-models", arch)[0]
            check_eq(ours, theirs, "cpu-models %s (ours, libvirtd's)" % arch)
        check("Haswell" in virsh(uri, "cpu-models", "x86_64")[0], "x86_64 has Haswell")
        errs = [re.sub(r"^error: ", "", e.strip(), flags=re.M)
                for e in (proxyfx.virsh_fails(u, "cpu-models", "nope") for u in (uri, theirs_uri))]
        check_eq(errs[0], errs[1], "cpu-models of an unknown architecture")
    finally:
        lv.close()


def test_node_memory_tune(fx):
    """virsh node-memory-tune: KSM's knobs, as libvirtd prints them; a set
    only writes back what the kernel has."""
    uri = setup(fx)
    lv = proxyfx.libvirtd()
    try:
        theirs_uri = "qemu+unix:///system?socket=" + os.path.join(lv.dir, "sock", "libvirt-sock")
        ours, theirs = (virsh(u, "node-memory-tune")[0] for u in (uri, theirs_uri))
    finally:
        lv.close()
    # The counters move while KSM runs: the names and the knobs must match.
    names = lambda out: [ln.split()[0] for ln in out.splitlines() if ln.strip().startswith("shm_")]
    check_eq(names(ours), names(theirs), "node-memory-tune's parameters (ours, libvirtd's)")
    knobs = lambda out: {k: v for k, v in (ln.split()[:2] for ln in out.splitlines()
                                            if ln.strip().startswith("shm_"))
                         if k in ("shm_pages_to_scan", "shm_sleep_millisecs",
                                  "shm_merge_across_nodes")}
    check_eq(knobs(ours), knobs(theirs), "node-memory-tune's knobs")
    check_eq(knobs(ours)["shm_pages_to_scan"],
             open("/sys/kernel/mm/ksm/pages_to_scan").read().strip(), "pages_to_scan")
    same = knobs(ours)["shm_sleep_millisecs"]
    virsh(uri, "node-memory-tune", "--shm-sleep-millisecs", same)
    check_eq(open("/sys/kernel/mm/ksm/sleep_millisecs").read().strip(), same, "sleep_millisecs")
    import libvirt
    c = libvirt.open(uri)
    try:
        # python3-libvirt knows the names (it asks first): a counter, not a knob.
        for params, want in (({"shm_pages_shared": 1},
                              "parameter 'shm_pages_shared' not supported"),):
            try:
                c.setMemoryParameters(params, 0)
                raise harness.Failure("setMemoryParameters(%r) succeeded" % params)
            except libvirt.libvirtError as e:
                check_eq(e.get_error_code(), libvirt.VIR_ERR_INVALID_ARG, str(e))
                check(want in str(e), str(e))
    finally:
        c.close()
    err = proxyfx.virsh_fails(uri, "node-memory-tune", "--shm-sleep-millisecs", same, ro=True)
    check("read only access prevents virNodeSetMemoryParameters" in err, err)


def test_domxml_to_native(fx):
    """virsh domxml-to-native qemu-argv: the command line a start would
    use, with an interface on a network turned into QEMU's own tap."""
    uri = setup(fx)
    xml = fx.domain_xml("native", extra_devices=(
        "<interface type='network'><source network='default'/>"
        "<mac address='52:54:00:12:34:56'/><model type='virtio'/></interface>"))
    path = os.path.join(fx.root, "native.xml")
    with open(path, "w") as f:
        f.write(xml)
    out = virsh(uri, "domxml-to-native", "qemu-argv", path)[0]
    argv = out.split()
    check(any(a.endswith("qemu-system-x86_64") for a in argv), "no emulator in %r" % out)
    for want in ("-name guest=native,debug-threads=on", "-no-shutdown",
                 "-netdev tap,id=hostnet0", "mac=52:54:00:12:34:56"):
        check(want in out, "%r not in %r" % (want, out))
    check("native" not in virsh(uri, "list", "--all", "--name")[0], "a domain was defined")
    err = proxyfx.virsh_fails(uri, "domxml-to-native", "xen-xm", path)
    check("unsupported config type xen-xm" in err, err)
    with open(path, "w") as f:
        f.write("<domain type='qemu'><name>x</name>")
    err = proxyfx.virsh_fails(uri, "domxml-to-native", "qemu-argv", path)
    check("Premature end of data in tag domain" in err, err)
    err = proxyfx.virsh_fails(uri, "domxml-to-native", "qemu-argv", path, ro=True)
    check("read only access prevents virConnectDomainXMLToNative" in err, err)


def test_sysinfo(fx):
    uri = setup(fx)
    si = ET.fromstring(virsh(uri, "sysinfo")[0])
    check_eq(si.get("type"), "smbios", "sysinfo type")
    dmi = "/sys/class/dmi/id/"
    if os.path.exists(dmi + "sys_vendor"):
        entries = {e.get("name"): e.text for e in si.findall("system/entry")}
        check_eq(entries.get("manufacturer"), open(dmi + "sys_vendor").read().strip(),
                 "system manufacturer from DMI")
    procs = si.findall("processor")
    cpuinfo = open("/proc/cpuinfo").read()
    sockets = {m.group(1) for m in re.finditer(r"^physical id\s*:\s*(\d+)", cpuinfo, re.M)}
    check_eq(len(procs), max(1, len(sockets)), "one <processor> per socket")
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", cpuinfo, re.M)
    if vendor and vendor.group(1) == "AuthenticAMD":
        check_eq(procs[0].findtext("entry[@name='manufacturer']"),
                 "Advanced Micro Devices, Inc.", "processor manufacturer")


harness.main(globals())
