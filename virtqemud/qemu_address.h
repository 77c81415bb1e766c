/* What libvirt does to a domain definition for x86 QEMU before it runs:
 * defaults and implicit devices (post_parse), PCI and drive addresses, and
 * the device aliases QEMU sees. */
#pragma once

#include "domain_def.h"
#include "error.h"

/* Fills in what libvirt adds at define time for x86 QEMU: default emulator
 * ("/usr/bin/qemu-system-x86_64" for x86_64 when unset; i686 ->
 * qemu-system-i386), default arch (x86_64) and machine ("pc" when unset), the
 * implicit controllers (pci-root for pc/i440fx, pcie-root for q35; usb
 * controller index 0 (piix3-uhci on pc) when absent and not model='none'; ide
 * on pc / sata on q35), default disk bus from the target name (vd* virtio,
 * sd* scsi, hd* ide), drive addresses for ide/sata/scsi disks, a virtio
 * memballoon when none is given, ps2 mouse and keyboard when graphics exist
 * (as libvirt), the video device default, console<->serial pairing (a
 * <console type='pty'> with target serial mirrors serial 0). Idempotent:
 * running it twice changes nothing. */
int qemu_domain_post_parse(DomainDef *def, Error *error);

/* Assigns PCI addresses to every device that needs one and lacks it, as
 * libvirt does for pc (i440fx: slot 0 host bridge, slot 1 PIIX3 with IDE at
 * function 1 and USB UHCI at function 2, video at slot 2, then the next free
 * slots in device order) and for q35 (pcie-root; devices directly on pcie.0
 * slots). Keeps addresses given in the XML and refuses conflicts ("Attempted
 * double use of PCI Address 0000:00:03.0", VIR_ERR_XML_ERROR). Also
 * virtio-serial port addresses for channels. */
int qemu_domain_assign_addresses(DomainDef *def, Error *error);

/* Device aliases as libvirt names them: virtio-disk0, ide0-0-0, sata0-0-0,
 * scsi0-0-0-0, net0, serial0, console0, channel0, input0, video0, sound0,
 * balloon0, pci.0, usb, ide, virtio-serial0, ... (live data, set at start),
 * and each disk with a source the number of its block nodes
 * (<source index='N'>, kept once given). */
void qemu_domain_assign_aliases(DomainDef *def);
/* The alias libvirt gives disk @d ("virtio-disk1", "scsi0-0-0-1"); new string. */
char *qemu_disk_alias(const DomainDisk *d);
/* The number the next disk's block nodes get: one above the highest. */
unsigned qemu_disk_next_source_index(const DomainDef *def);

/* Helpers shared with qemu_command.c. */
bool qemu_machine_is_q35(const DomainDef *def);
/* libvirt's virDiskNameToIndex: "vda" -> 0, "sdz" -> 25, "hdaa" -> 26; -1 if invalid. */
int qemu_disk_name_to_index(const char *name);
/* Controllers QEMU's machine provides itself (no -device): pci-root,
 * pcie-root, IDE 0 on pc, SATA 0 on q35, fdc. */
bool qemu_controller_is_builtin(const DomainDef *def, const DomainController *c);
/* The alias libvirt gives @c ("pci.0", "usb", "ide", "scsi0", ...); new string. */
char *qemu_controller_alias(const DomainDef *def, const DomainController *c);
