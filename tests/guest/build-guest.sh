#!/bin/sh
# Builds the test guest: a tiny initramfs made of busybox-static, booted with
# the newest Debian cloud kernel found in /boot.
#
# Usage: build-guest.sh [CACHEDIR]     (default: build/guest)
#
# Prints three lines on stdout, the paths to boot with:
#   KERNEL=/boot/vmlinuz-...-cloud-amd64
#   INITRD=CACHEDIR/initramfs.cpio.gz
#   INITRD_EXTRA=CACHEDIR/initramfs-extra.cpio.gz  (the same, with the
#                on-demand modules below and /bin/load-extra)
#
# The guest's /init mounts proc, sys and devtmpfs, loads the ACPI power
# button driver (a module in the cloud kernel) with evdev, starts busybox
# acpid so that an ACPI power button press (QMP system_powerdown) runs
# `poweroff -f`, and only then prints the marker line GUEST-READY on the
# console (ttyS0): a test that sees the marker may power the guest off.
# It then keeps a shell on the console.
#
# Nothing is rebuilt when the initramfs is newer than all its inputs (this
# script, busybox, the kernel and the modules).
set -eu

cache=${1:-build/guest}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

busybox=/bin/busybox
[ -x "$busybox" ] || { echo "build-guest: $busybox is missing (busybox-static)" >&2; exit 1; }

# The newest cloud kernel, by version order.
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "build-guest: no /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64)" >&2; exit 1; }
kver=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || { echo "build-guest: $moddir/modules.dep is missing" >&2; exit 1; }

# Modules to load, in order; their dependencies come first (from modules.dep).
# button: ACPI power button; evdev: /dev/input/event* for acpid;
# virtio_pci + virtio_balloon: so that balloon stats and SetMemory have a
# driver to talk to; virtio_console for a virtio console if a test adds one;
# virtio_blk for volume disks and virtio_net (with failover) for networks.
wanted="evdev button virtio_pci virtio_balloon virtio_console virtio_blk failover net_failover virtio_net"
# In the second archive only (INITRD_EXTRA), loaded when a test asks
# (`load-extra` in the guest's shell): the IDE controller, the SCSI cdrom
# driver and the virtio SCSI controller with its disk driver, whose probing
# would slow every boot. The default guest goes without them: the
# initramfs is the guest's RAM, and one ballooned down to 64 MiB has none
# to spare.
wanted_extra="ata_piix sr_mod virtio_scsi sd_mod"

# Resolve module paths (relative to $moddir), dependencies first, no repeats.
resolve() {
    for m in "$@"; do
        line=$(grep -E "/$m\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1)
        if [ -z "$line" ]; then
            # Built in: nothing to load.
            if grep -qE "/$m\.ko" "$moddir/modules.builtin" 2>/dev/null; then
                continue
            fi
            echo "build-guest: module $m not found for $kver" >&2
            exit 1
        fi
        path=${line%%:*}
        deps=${line#*:}
        # modules.dep lists the direct and indirect dependencies, the ones
        # needed last first; load them in reverse order.
        for d in $(echo $deps | tr ' ' '\n' | sed '1!G;h;$!d'); do
            echo "$d"
        done
        echo "$path"
    done | awk '!seen[$0]++'
}
modules=$(resolve $wanted)
extra=$(resolve $wanted $wanted_extra | grep -vxF "$modules" || true)

out=$cache/initramfs.cpio.gz
out_extra=$cache/initramfs-extra.cpio.gz
uptodate=1
if [ ! -f "$out" ] || [ ! -f "$out_extra" ]; then
    uptodate=0
else
    for f in "$self" "$busybox" "$kernel"; do
        [ "$f" -nt "$out" ] && uptodate=0
    done
    for m in $modules $extra; do
        [ "$moddir/$m" -nt "$out" ] && uptodate=0
    done
fi

if [ "$uptodate" = 0 ]; then
    tmp=$(mktemp -d "$cache/root.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" \
             "$tmp/etc/acpi/PWRF" "$tmp/lib/modules" "$tmp/var/log" "$tmp/run"
    cp "$busybox" "$tmp/bin/busybox"
    for applet in sh mount insmod acpid poweroff reboot sleep usleep echo cat ls grep setsid cttyhack sync mknod head; do
        ln -s busybox "$tmp/bin/$applet"
    done

    # Copies modules $2... (decompressed) and lists their names in $1.
    copy_modules() {
        list=$1
        shift
        : >"$list"
        for m in "$@"; do
            name=$(basename "$m")
            case "$name" in
            *.ko) cp "$moddir/$m" "$tmp/lib/modules/$name" ;;
            *.ko.xz) xz -dc "$moddir/$m" >"$tmp/lib/modules/${name%.xz}"; name=${name%.xz} ;;
            *.ko.zst) zstd -qdc "$moddir/$m" >"$tmp/lib/modules/${name%.zst}"; name=${name%.zst} ;;
            *.ko.gz) gzip -dc "$moddir/$m" >"$tmp/lib/modules/${name%.gz}"; name=${name%.gz} ;;
            esac
            echo "$name" >>"$list"
        done
    }
    copy_modules "$tmp/modules.list" $modules

    # busybox acpid maps the input event KEY_POWER to "PWRF/00000080" and
    # runs that file under its config folder (/etc/acpi).
    cat >"$tmp/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo GUEST-POWEROFF >/dev/console
exec poweroff -f
EOF
    chmod 755 "$tmp/etc/acpi/PWRF/00000080"

    cat >"$tmp/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
for m in $(cat /modules.list); do
    insmod /lib/modules/$m 2>/dev/null || echo "guest: insmod $m failed" >/dev/console
done
# devtmpfs has created /dev/input/event* when insmod returned; acpid scans
# them when it starts, so it starts after the modules. It runs in the
# foreground (as a background job) and the marker waits until it holds the
# input devices open, so that a power button press after the marker is seen.
acpid -f -c /etc/acpi -l /var/log/acpid.log &
acpid_pid=$!
n=0
until ls -l /proc/$acpid_pid/fd 2>/dev/null | grep -q /dev/input/event; do
    n=$((n + 1))
    [ $n -gt 500 ] && { echo "guest: acpid did not open the input devices"; break; }
    usleep 10000
done
echo GUEST-READY >/dev/console
# A shell on the console for interactive use (pty consoles). With a file
# serial there is no input; the shell then waits forever on the tty.
while :; do
    setsid cttyhack sh </dev/console >/dev/console 2>&1
    sleep 1
done
EOF
    chmod 755 "$tmp/init"

    pack() {
        (cd "$tmp" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
            cpio -o -H newc --quiet -R 0:0 | gzip -1 >"$1.tmp")
        mv "$1.tmp" "$1"
    }
    pack "$out"
    # The same guest with the on-demand modules and their loader.
    copy_modules "$tmp/extra.list" $extra
    cat >"$tmp/bin/load-extra" <<'EOF'
#!/bin/sh
for m in $(cat /extra.list); do insmod /lib/modules/$m; done
EOF
    chmod 755 "$tmp/bin/load-extra"
    pack "$out_extra"
fi

echo "KERNEL=$kernel"
echo "INITRD=$out"
echo "INITRD_EXTRA=$out_extra"
