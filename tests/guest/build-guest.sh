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
#   INITRD_AGENT=CACHEDIR/initramfs-agent.cpio.gz  (the first, with Debian's
#                qemu-ga and chpasswd and the libraries and PAM modules they
#                load, copied from this host)
#
# The guest's /init mounts proc, sys and devtmpfs, loads the ACPI power
# button driver (a module in the cloud kernel) with evdev, starts busybox
# acpid so that an ACPI power button press (QMP system_powerdown) runs
# `poweroff -f`, and only then prints the marker line GUEST-READY on the
# console (ttyS0): a test that sees the marker may power the guest off.
# It then keeps a shell on the console. When the guest has qemu-ga (the
# agent archive) and a virtio port named org.qemu.guest_agent.0, the agent
# runs on it before the marker, its pid in /run/qemu-ga.pid.
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
qemu_ga=/usr/sbin/qemu-ga
chpasswd=/usr/sbin/chpasswd
pam=/lib/x86_64-linux-gnu/security
for f in "$qemu_ga" "$chpasswd" "$pam/pam_unix.so"; do
    [ -e "$f" ] || { echo "build-guest: $f is missing (qemu-guest-agent, passwd, libpam-modules)" >&2; exit 1; }
done

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
out_agent=$cache/initramfs-agent.cpio.gz
uptodate=1
if [ ! -f "$out" ] || [ ! -f "$out_extra" ] || [ ! -f "$out_agent" ]; then
    uptodate=0
else
    for f in "$self" "$busybox" "$kernel" "$qemu_ga" "$chpasswd"; do
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
    for applet in sh mount insmod acpid poweroff reboot sleep usleep echo cat ls grep setsid cttyhack sync mknod head \
                  hostname hwclock ip kill date; do
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
hostname testguest
if [ -x /bin/qemu-ga ]; then
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
        qemu-ga -d -m virtio-serial -p "/dev/${p##*/}" -t /run -f /run/qemu-ga.pid \
            -l /var/log/qemu-ga.log
    done
fi
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

    # The agent's guest: the first archive's files, qemu-ga and chpasswd
    # (which qemu-ga runs for guest-set-user-password), and what they load.
    for n in $(cat "$tmp/extra.list"); do rm -f "$tmp/lib/modules/$n"; done
    rm -f "$tmp/bin/load-extra" "$tmp/extra.list"
    copy_libs() {
        for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
            mkdir -p "$tmp$(dirname "$lib")"
            cp -L "$lib" "$tmp$lib"
        done
    }
    cp "$qemu_ga" "$tmp/bin/qemu-ga"
    # qemu-ga's guest-shutdown runs /sbin/shutdown -h -P|-H|-r +0.
    cat >"$tmp/sbin/shutdown" <<'EOF'
#!/bin/sh
for a in "$@"; do [ "$a" = -r ] && exec reboot -f; done
exec poweroff -f
EOF
    chmod 755 "$tmp/sbin/shutdown"
    cp "$chpasswd" "$tmp/bin/chpasswd"
    mkdir -p "$tmp$pam" "$tmp/etc/pam.d"
    ln -sf ../bin/busybox "$tmp/sbin/hwclock"
    for f in "$qemu_ga" "$chpasswd"; do copy_libs "$f"; done
    for m in pam_unix.so pam_deny.so pam_permit.so; do
        cp "$pam/$m" "$tmp$pam/$m"
        copy_libs "$pam/$m"
    done
    printf 'password required pam_unix.so yescrypt\n' >"$tmp/etc/pam.d/chpasswd"
    printf 'root:x:0:0:root:/:/bin/sh\ntester:x:1000:1000:tester:/:/bin/sh\n' >"$tmp/etc/passwd"
    printf 'root:x:0:\ntester:x:1000:\n' >"$tmp/etc/group"
    printf 'root:*:19000:0:99999:7:::\ntester:*:19000:0:99999:7:::\n' >"$tmp/etc/shadow"
    chmod 600 "$tmp/etc/shadow"
    pack "$out_agent"
fi

echo "KERNEL=$kernel"
echo "INITRD=$out"
echo "INITRD_EXTRA=$out_extra"
echo "INITRD_AGENT=$out_agent"
