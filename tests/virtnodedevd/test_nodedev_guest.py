"""virtqemud and virtnodedevd together: a guest with a managed PCI
<hostdev> asks virtnodedevd to detach the device at start. This host has
no IOMMU, so the start fails with the error libvirt gives, the device keeps
its host driver, and nothing of the guest is left. A guest with an
unmanaged hostdev does not involve virtnodedevd (QEMU itself refuses it).
The same two, plugged into a running guest: refused the same way, with
nothing plugged and nothing of the running definition changed; with CONFIG
the persistent definition takes the device and gives it up again.

On a host with an IOMMU this test would detach a real device from the
host; it refuses to run there."""

import os

import harness
from harness import check, check_eq, expect_error, qemu_pids

NODEDEV_BUS = "org.libvirt.nodedev"


def pci_device_with_driver():
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        drv = os.path.join("/sys/bus/pci/devices", d, "driver")
        if os.path.islink(drv):
            return d, os.path.basename(os.readlink(drv))
    return None, None


def hostdev_xml(addr, managed):
    dom, rest = addr.split(":", 1)
    bus, rest = rest.split(":")
    slot, fn = rest.split(".")
    return ("<hostdev mode='subsystem' type='pci' managed='%s'><source>"
            "<address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/>"
            "</source></hostdev>" % ("yes" if managed else "no", dom, bus, slot, fn))


def test_managed_hostdev_without_iommu(fx):
    if os.listdir("/sys/kernel/iommu_groups"):
        raise harness.Skip("this host has an IOMMU: the test would detach a real device")
    addr, driver = pci_device_with_driver()
    if not addr:
        raise harness.Skip("no PCI device with a driver")
    nd = harness.Daemon(fx.root, fx.bus, name="virtnodedevd", bus_name=NODEDEV_BUS)
    fx.daemons.append(nd)
    nd.start()

    xml = fx.domain_xml("passthrough", extra_devices=hostdev_xml(addr, True))
    e = expect_error("org.libvirt.Error.ConfigUnsupported", fx.connect, "DomainCreateXML",
                     "su", xml, 0)
    check("VFIO" in e and "not supported" in e, "libvirt's no-IOMMU error: %s" % e)
    check_eq(os.path.basename(os.readlink("/sys/bus/pci/devices/%s/driver" % addr)), driver,
             "the device keeps its driver")
    check_eq(qemu_pids(fx.root), [], "no QEMU")
    check_eq(os.listdir(fx.run_dir()), [], "no runtime file left")

    # The same definition, persistent, keeps its <hostdev> in the XML.
    path = fx.connect("DomainDefineXML", "s", xml)
    check("<hostdev mode='subsystem' type='pci' managed='yes'>" in
          fx.domain(path, "GetXMLDesc", "u", 2), "hostdev in the inactive XML")

    nd.stop()
    e = expect_error("org.libvirt.Error.OperationFailed", fx.domain, path, "Create", "u", 0)
    check("virtnodedevd is not running" in e, "the error names virtnodedevd: %s" % e)
    nd.start()
    fx.domain(path, "Undefine", "u", 0)


def test_hostdev_hotplug_without_iommu(fx):
    if os.listdir("/sys/kernel/iommu_groups"):
        raise harness.Skip("this host has an IOMMU: the test would detach a real device")
    addr, driver = pci_device_with_driver()
    if not addr:
        raise harness.Skip("no PCI device with a driver")
    path = fx.connect("DomainCreateXML", "su", fx.domain_xml("hotpass"), 0)
    events = fx.client.domain_events()
    added = fx.client.collect("org.libvirt.Domain", "DeviceAdded", path)
    live_before = fx.domain(path, "GetXMLDesc", "u", 0)

    e = expect_error("org.libvirt.Error.ConfigUnsupported", fx.domain, path, "AttachDevice",
                     "su", hostdev_xml(addr, True), 1)
    check("VFIO" in e and "not supported" in e, "libvirt's no-IOMMU error: %s" % e)
    check_eq(os.path.basename(os.readlink("/sys/bus/pci/devices/%s/driver" % addr)), driver,
             "the device keeps its driver")
    # Unmanaged: QEMU is asked, and says no (the device is not bound to vfio).
    e = expect_error("org.libvirt.Error.InternalError", fx.domain, path, "AttachDevice", "su",
                     hostdev_xml(addr, False), 1)
    check("vfio" in e.lower(), "QEMU's refusal: %s" % e)
    check_eq(fx.domain(path, "GetXMLDesc", "u", 0), live_before, "the live definition")
    added.flush()
    check_eq(added.matching(), [], "DeviceAdded after the refusals")
    e = expect_error("org.libvirt.Error.DeviceMissing", fx.domain, path, "DetachDevice", "su",
                     hostdev_xml(addr, True), 1)
    check("host pci device %s not found" % addr in e, e)
    check_eq(fx.client.state(path)[0], 1, "the guest still runs")
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, harness.EV_STOPPED)

    # CONFIG on a persistent definition: the XML keeps it, and lets it go.
    path = fx.connect("DomainDefineXML", "s", fx.domain_xml("cfgpass"))
    fx.domain(path, "AttachDevice", "su", hostdev_xml(addr, True), 2)
    check("<hostdev mode='subsystem' type='pci' managed='yes'>" in
          fx.domain(path, "GetXMLDesc", "u", 2), "hostdev in the persistent definition")
    fx.domain(path, "DetachDevice", "su", hostdev_xml(addr, True), 2)
    check("<hostdev" not in fx.domain(path, "GetXMLDesc", "u", 2), "hostdev after the detach")
    fx.domain(path, "Undefine", "u", 0)


harness.main(globals())
