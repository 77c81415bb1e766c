"""Disks several running guests use at once: a <shareable/> raw image is
opened by QEMU with share-rw=on (QEMU's image locks would refuse the second
writer otherwise), a <readonly/> image is read by all, and a shareable qcow2
image is refused with libvirt's message before anything starts."""

import os
import subprocess

import harness
from harness import check, check_eq, qemu_pids, ST_RUNNING


def disks(root):
    return ("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            "<source file='%s/shared.img'/><target dev='vda' bus='virtio'/><shareable/></disk>"
            "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
            "<source file='%s/ro.img'/><target dev='vdb' bus='virtio'/><readonly/></disk>"
            % (root, root))


def test_two_guests_share_disks(fx):
    for name in ("shared.img", "ro.img"):
        with open(os.path.join(fx.root, name), "wb") as f:
            f.truncate(4 << 20)
    paths = [fx.define(n, extra_devices=disks(fx.root)) for n in ("share-a", "share-b")]
    events = fx.client.domain_events()
    for p in paths:
        fx.domain(p, "Create", "u", 0)
        events.wait_event(p, harness.EV_STARTED)
    for p in paths:
        check_eq(fx.client.state(p)[0], ST_RUNNING, "state of %s" % p)
    pids = qemu_pids(fx.root)
    check_eq(len(pids), 2, "QEMU processes")
    for pid in pids:
        argv = b" ".join(harness.cmdline(pid))
        check(b"share-rw=on" in argv, "share-rw on QEMU's command line")
        check(argv.count(b"share-rw=on") == 1, "share-rw only for the writable shared disk")
    # Without <shareable/>, the second writer is refused by QEMU's locks:
    # what share-rw is for.
    plain = disks(fx.root).replace("<shareable/>", "")
    p3 = fx.define("share-c", extra_devices=plain)
    err = harness.expect_error("org.libvirt.Error.InternalError", fx.domain, p3, "Create", "u",
                               0)
    check("lock" in err, "QEMU's lock refusal: %r" % err)
    for p in paths:
        fx.domain(p, "Destroy", "u", 0)
    harness.wait_qemu_gone(fx.root)


def test_shareable_qcow2_refused(fx):
    img = os.path.join(fx.root, "shared.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", img, "4M"], check=True)
    p = fx.define("share-q", extra_devices=(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        "<source file='%s'/><target dev='vda' bus='virtio'/><shareable/></disk>" % img))
    err = harness.expect_error("org.libvirt.Error.ConfigUnsupported", fx.domain, p, "Create",
                               "u", 0)
    check("shared access for disk 'vda' requires use of supported storage format" in err, err)
    check_eq(qemu_pids(fx.root), [], "QEMU processes")


if __name__ == "__main__":
    harness.main(globals())
