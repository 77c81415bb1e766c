"""QEMU as an unprivileged user (libvirt's DAC model): a virtqemud.conf with
user = "nobody" and group = "nogroup" runs QEMU as them; the disk, the
serial file and an unreadable initrd are chowned to nobody while the guest
runs and get their owners back when it stops, even after a SIGKILL restart
of virtqemud (from the status XML); a disk behind a folder nobody cannot
enter fails the start before QEMU runs, naming the path and the user, with
no owner changed; an unknown user keeps virtqemud from starting."""

import glob
import grp
import os
import pwd
import shutil
import signal
import stat
import xml.etree.ElementTree as ET

import harness
from harness import check, check_eq, expect_error, qemu_pids, EV_STOPPED

try:
    NOBODY = pwd.getpwnam("nobody").pw_uid
    NOGROUP = grp.getgrnam("nogroup").gr_gid
except KeyError:
    NOBODY = NOGROUP = None


def conf_path(fx):
    return os.path.join(fx.root, "etc", "libvirt", "virtqemud.conf")


def write_conf(fx, text):
    os.makedirs(os.path.dirname(conf_path(fx)), exist_ok=True)
    with open(conf_path(fx), "w") as f:
        f.write(text)


def owner(path):
    st = os.stat(path)
    return (st.st_uid, st.st_gid)


def ids(pid, key):
    """The real, effective, saved and fs ids of @pid (Uid: or Gid:)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return [int(x) for x in line.split()[1:]]
    return None


def images(fx):
    """The guest's kernel (world-readable) and initrd (root's, 0600) in a
    folder of the root, as a host's /var/lib/libvirt/images would be."""
    d = os.path.join(fx.root, "images")
    if not os.path.exists(os.path.join(d, "initrd")):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        kernel, initrd = harness.guest_images()
        shutil.copyfile(kernel, os.path.join(d, "vmlinuz"))
        os.chmod(os.path.join(d, "vmlinuz"), 0o644)
        shutil.copyfile(initrd, os.path.join(d, "initrd"))
        os.chmod(os.path.join(d, "initrd"), 0o600)
    return os.path.join(d, "vmlinuz"), os.path.join(d, "initrd")


def disk(folder, name, mode=0o755):
    os.makedirs(folder, exist_ok=True)
    os.chmod(folder, mode)
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.truncate(1 << 20)
    os.chmod(path, 0o600)
    return path


def guest_xml(fx, name, disks):
    kernel, initrd = images(fx)
    devs = "".join(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='%s'/><target dev='vd%s' bus='virtio'/></disk>" % (p, chr(ord("a") + i))
        for i, p in enumerate(disks))
    xml = fx.domain_xml(name, extra_devices=devs)
    k, i = harness.guest_images()
    return xml.replace("<kernel>%s</kernel>" % k, "<kernel>%s</kernel>" % kernel) \
              .replace("<initrd>%s</initrd>" % i, "<initrd>%s</initrd>" % initrd)


def domain_dirs(fx):
    return glob.glob(fx.run_dir("domain-*"))


def destroy(fx, path):
    events = fx.client.domain_events()
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, EV_STOPPED)
    harness.wait_qemu_gone(fx.root)


def test_unknown_user_keeps_the_daemon_from_starting(fx):
    if NOBODY is None:
        raise harness.Skip("no nobody:nogroup on this host")
    if os.geteuid() != 0:
        raise harness.Skip("needs root")
    write_conf(fx, 'user = "no-such-user-here"\ngroup = "nogroup"\n')
    try:
        fx.qemud.start()
    except harness.Failure as e:
        check("Failed to parse user 'no-such-user-here'" in str(e),
              "the refusal names the user: %s" % e)
    else:
        raise harness.Failure("virtqemud started with an unknown user")
    check(not fx.client.name_has_owner(), "nobody owns org.libvirt.qemu")

    write_conf(fx, 'user = "root"\ngroup = "no-such-group-here"\n')
    try:
        fx.qemud.start()
    except harness.Failure as e:
        check("Failed to parse group 'no-such-group-here'" in str(e),
              "the refusal names the group: %s" % e)
    else:
        raise harness.Failure("virtqemud started with an unknown group")

    # From here on: QEMU as nobody, under a root nobody can traverse.
    os.chmod(fx.root, 0o755)
    write_conf(fx, '# as qemu.conf\nuser = "nobody"\ngroup = "+%d"\ndynamic_ownership = 1\n'
               % NOGROUP)
    fx.qemud.start()
    fx.check_alive()


def test_guest_runs_as_nobody_and_owners_come_back(fx):
    if NOBODY is None or not fx.qemud.alive():
        raise harness.Skip("no daemon as nobody")
    d = disk(os.path.join(fx.root, "images"), "dac.img")
    serial = harness.serial_log_path(fx.root, "dac")
    _, initrd = images(fx)
    check_eq(owner(d), (0, 0), "the disk's owner before")
    check(not os.path.exists(serial), "no serial file before")

    log = fx.serial_log("dac")
    path = fx.connect("DomainCreateXML", "su", guest_xml(fx, "dac", [d]), 0)
    log.wait_for("GUEST-READY")
    [pid] = qemu_pids(fx.root)
    check_eq(ids(pid, "Uid"), [NOBODY] * 4, "QEMU's uids")
    check_eq(ids(pid, "Gid"), [NOGROUP] * 4, "QEMU's gids")
    check_eq(owner(d), (NOBODY, NOGROUP), "the disk's owner while it runs")
    check_eq(owner(serial), (NOBODY, NOGROUP), "the serial file's owner while it runs")
    check_eq(stat.S_IMODE(os.stat(serial).st_mode), 0o600, "the serial file's mode")
    check_eq(owner(initrd), (NOBODY, NOGROUP), "the unreadable initrd's owner while it runs")
    check_eq(owner(images(fx)[0]), (0, 0), "the world-readable kernel keeps its owner")
    [rundir] = domain_dirs(fx)
    check_eq(owner(rundir), (NOBODY, NOGROUP), "the runtime folder's owner")
    check_eq(stat.S_IMODE(os.stat(rundir).st_mode), 0o700, "the runtime folder's mode")
    pidfile = os.path.join(rundir, "qemu.pid")
    check_eq(open(pidfile).read().strip(), str(pid), "QEMU's pid file, written by QEMU")
    check_eq(owner(pidfile)[0], NOBODY, "the pid file is QEMU's own")
    dac = ET.parse(fx.run_dir("dac.xml")).getroot().find("dac")
    recorded = {f.get("path"): (int(f.get("uid")), int(f.get("gid"))) for f in dac}
    check_eq(recorded, {d: (0, 0), serial: (0, 0), initrd: (0, 0)},
             "the former owners in the status XML")

    destroy(fx, path)
    check_eq(owner(d), (0, 0), "the disk's owner after")
    check_eq(owner(serial), (0, 0), "the serial file's owner after")
    check_eq(owner(initrd), (0, 0), "the initrd's owner after")
    check_eq(domain_dirs(fx), [], "the runtime folder is gone")
    fx.check_alive()


def test_unreachable_disk_fails_before_qemu_and_changes_nothing(fx):
    if NOBODY is None or not fx.qemud.alive():
        raise harness.Skip("no daemon as nobody")
    good = disk(os.path.join(fx.root, "images"), "good.img")
    bad = disk(os.path.join(fx.root, "secret"), "disk.img", mode=0o700)
    serial = harness.serial_log_path(fx.root, "hidden")
    _, initrd = images(fx)
    msg = expect_error("SystemError", fx.connect, "DomainCreateXML", "su",
                       guest_xml(fx, "hidden", [good, bad]), 0)
    check_eq(msg, "Cannot access storage file '%s' (as uid:gid %d:%d): Permission denied"
             % (bad, NOBODY, NOGROUP), "the error")
    check_eq(qemu_pids(fx.root), [], "no QEMU ran")
    for p in (good, bad, initrd):
        check_eq(owner(p), (0, 0), "owner of %s" % p)
    check(not os.path.exists(serial), "no serial file was made")
    check_eq(domain_dirs(fx), [], "no runtime folder")
    expect_error("NoDomain", fx.connect, "DomainLookupByName", "s", "hidden")
    fx.check_alive()


def test_owners_come_back_after_a_daemon_restart(fx):
    if NOBODY is None or not fx.qemud.alive():
        raise harness.Skip("no daemon as nobody")
    d = disk(os.path.join(fx.root, "images"), "restart.img")
    serial = harness.serial_log_path(fx.root, "restart")
    path = fx.connect("DomainCreateXML", "su", guest_xml(fx, "restart", [d]), 0)
    [pid] = qemu_pids(fx.root)
    check_eq(owner(d), (NOBODY, NOGROUP), "the disk's owner while it runs")

    fx.qemud.kill(signal.SIGKILL)
    fx.qemud.start()
    check_eq(qemu_pids(fx.root), [pid], "the guest outlived the daemon")
    check_eq(owner(d), (NOBODY, NOGROUP), "a restart changes no owner")
    destroy(fx, path)
    check_eq(owner(d), (0, 0), "the disk's owner after a destroy by the new daemon")
    check_eq(owner(serial), (0, 0), "the serial file's owner after")
    check_eq(domain_dirs(fx), [], "the runtime folder is gone")

    # A guest that ends while nobody watches: the next daemon gives back.
    path = fx.connect("DomainCreateXML", "su", guest_xml(fx, "restart", [d]), 0)
    [pid] = qemu_pids(fx.root)
    check_eq(owner(d), (NOBODY, NOGROUP), "the disk's owner while it runs again")
    fx.qemud.kill(signal.SIGKILL)
    harness.kill_and_wait(pid, signal.SIGKILL)
    fx.qemud.start()
    check_eq(owner(d), (0, 0), "the disk's owner after the guest ended unwatched")
    check_eq(owner(serial), (0, 0), "the serial file's owner then")
    check_eq(domain_dirs(fx), [], "no runtime folder left")
    fx.check_alive()


harness.main(globals(), start_daemon=False)
