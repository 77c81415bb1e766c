"""What happens around a guest's start: <cputune> and <vcpu cpuset> applied
to the QEMU threads and cgroups before the vCPUs run, qemu:commandline
arguments and environment reaching QEMU, a QEMU that refuses to start
reported with the tail of its log, and autostart guests started when
virtqemud starts."""

import glob
import os
import re
import signal

import harness
from harness import check, check_eq, expect_error, qemu_pids, domain_path, xml_uuid

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"


def cpus_allowed(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split()[1]
    return None


def threads(pid):
    """{tid: thread name} of a process."""
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
            out[int(t)] = f.read().strip()
    return out


def cpu_cgroup_root():
    for line in open("/proc/self/mountinfo"):
        left, _, right = line.partition(" - ")
        fstype, _, opts = right.split()[:3]
        if fstype == "cgroup" and "cpu" in opts.split(","):
            return left.split()[4]
    return None


def test_cputune_applied_before_the_vcpus_run(fx):
    if os.cpu_count() < 2:
        print("skipped: needs 2 CPUs")
        return
    xml = fx.domain_xml("tuned", vcpus=2).replace(
        "<vcpu>2</vcpu>",
        "<vcpu placement='static' cpuset='0-1'>2</vcpu>\n"
        "  <cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>"
        "<emulatorpin cpuset='1'/><shares>2048</shares><period>100000</period>"
        "<quota>50000</quota><emulator_period>100000</emulator_period>"
        "<emulator_quota>20000</emulator_quota></cputune>")
    uuid = xml_uuid(xml)
    path = fx.connect("DomainCreateXML", "su", xml, 0)
    [pid] = qemu_pids(fx.root)
    names = threads(pid)
    vcpu = {int(m.group(1)): tid for tid, n in names.items()
            for m in [re.match(r"CPU (\d+)/TCG", n)] if m}
    check_eq(sorted(vcpu), [0, 1], "vCPU threads (named by debug-threads)")
    check_eq(cpus_allowed(pid, vcpu[0]), "0", "vcpu 0 pinned")
    check_eq(cpus_allowed(pid, vcpu[1]), "1", "vcpu 1 pinned")
    check_eq(cpus_allowed(pid, pid), "1", "emulator (main thread) pinned")

    root = cpu_cgroup_root()
    if root is None:
        print("no cgroup v1 cpu controller here: cgroup values not checked")
    else:
        [scope] = glob.glob(os.path.join(root, "**", "virtstack-%s-*.scope" % uuid),
                            recursive=True)
        read = lambda *p: open(os.path.join(scope, *p)).read().split()
        check_eq(read("cpu.shares"), ["2048"], "shares")
        check_eq(read("vcpu0", "cpu.cfs_quota_us"), ["50000"], "vcpu quota")
        check_eq(read("vcpu1", "cpu.cfs_period_us"), ["100000"], "vcpu period")
        check_eq(read("emulator", "cpu.cfs_quota_us"), ["20000"], "emulator quota")
        check_eq(read("vcpu0", "tasks"), [str(vcpu[0])], "vcpu 0's cgroup holds its thread")
        check(str(pid) in read("emulator", "tasks"), "the main thread is in emulator/")

    events = fx.client.domain_events()
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, harness.EV_STOPPED)
    if root is not None:
        check(not os.path.exists(scope), "the domain's cgroup is gone after destroy")


def test_pin_to_a_missing_cpu_fails_cleanly(fx):
    bad = "%d" % (os.cpu_count() + 8)
    xml = fx.domain_xml("badpin").replace(
        "<vcpu>1</vcpu>", "<vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='%s'/></cputune>" % bad)
    e = expect_error("org.libvirt.Error.SystemError", fx.connect, "DomainCreateXML", "su", xml, 0)
    check("vcpu 0" in e and bad in e, "the error names the vcpu and cpuset: %s" % e)
    harness.wait_qemu_gone(fx.root)
    check_eq(os.listdir(fx.run_dir()), [], "no runtime file left")


def test_qemu_commandline_reaches_qemu(fx):
    xml = fx.domain_xml("passthrough").replace(
        "<domain type='qemu'>", "<domain type='qemu' xmlns:qemu='%s'>" % QEMU_NS).replace(
        "</devices>", "</devices>\n  <qemu:commandline><qemu:arg value='-device'/>"
        "<qemu:arg value='virtio-rng-pci,id=rng-extra'/>"
        "<qemu:env name='QEMU_ENV' value='VAL'/></qemu:commandline>")
    path = fx.connect("DomainCreateXML", "su", xml, 0)
    [pid] = qemu_pids(fx.root)
    argv = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")
    check(b"virtio-rng-pci,id=rng-extra" in argv, "the qemu:arg reached QEMU")
    env = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
    check(b"QEMU_ENV=VAL" in env, "the qemu:env reached QEMU")
    events = fx.client.domain_events()
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, harness.EV_STOPPED)


def test_qemu_refusing_to_start_is_reported_with_its_log(fx):
    xml = fx.domain_xml("refused").replace(
        "<domain type='qemu'>", "<domain type='qemu' xmlns:qemu='%s'>" % QEMU_NS).replace(
        "</devices>", "</devices>\n  <qemu:commandline><qemu:arg value='-no-such-option'/>"
        "</qemu:commandline>")
    e = expect_error("org.libvirt.Error.InternalError", fx.connect, "DomainCreateXML", "su",
                     xml, 0)
    check("-no-such-option" in e and "invalid option" in e,
          "QEMU's own words are in the error: %s" % e)
    harness.wait_qemu_gone(fx.root)
    check_eq(os.listdir(fx.run_dir()), [], "no runtime file left")
    expect_error("org.libvirt.Error.NoDomain", fx.connect, "DomainLookupByName", "s", "refused")


def test_autostart_guest_starts_with_the_daemon(fx):
    path = fx.define("auto")
    fx.client.set(path, harness.DOMAIN_IFACE, "Autostart", True)
    check(os.path.islink(fx.etc("autostart", "auto.xml")), "autostart link")
    fx.qemud.stop()
    check_eq(qemu_pids(fx.root), [], "nothing runs before the daemon comes back")

    events = fx.client.domain_events()  # a match rule needs no owner yet
    fx.qemud.start()
    events.wait_event(path, harness.EV_STARTED)
    check_eq(fx.client.state(path)[0], harness.ST_RUNNING, "running after the daemon's start")
    check_eq(len(qemu_pids(fx.root)), 1, "one QEMU")
    fx.domain(path, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)


harness.main(globals())
