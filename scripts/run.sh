#!/bin/sh
# The "run" command: installs what is missing, builds, and runs the daemons
# on a private D-Bus bus under a temporary root, in the foreground, until
# Ctrl-C. On exit it destroys every guest they started, stops the daemons
# and the bus, and removes the temporary root. Nothing under the host's
# /etc or /var is touched.
#
# Environment:
#   RUN_USE_SYSTEM_BUS=1  use the system bus (/run/dbus/system_bus_socket)
#                         instead of a private one; needs root and a bus
#                         policy that lets root own the names
#   RUN_VERBOSE=1         debug logging in the daemons' logs
#   RUN_BUILDDIR=DIR      use the daemons built in DIR; skips deps and build
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)

if [ -n "${RUN_BUILDDIR:-}" ]; then
    # An existing build folder (development): no install, no build.
    builddir=$(cd "$RUN_BUILDDIR" && pwd)
else
    ./scripts/deps.sh
    ./scripts/build.sh
    builddir=$src/build
fi

# The daemons, in start order, as binary:bus-name. virtproxyd comes last: it
# mirrors the others and listens for libvirt clients (unix sockets and TCP).
DAEMONS="virtqemud:org.libvirt.qemu virtnetworkd:org.libvirt.network
virtstoraged:org.libvirt.storage virtnodedevd:org.libvirt.nodedev virtproxyd:org.libvirt"
TCP_PORT=${RUN_TCP_PORT:-16509}

root=$(mktemp -d /tmp/virtstack-run.XXXXXX)
bus_pid=
started=

log() { printf 'run: %s\n' "$*" >&2; }

# True while @1 runs (a zombie counts as gone: PID 1 may reap it late).
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$state" != Z ] && [ "$state" != X ]
}

# Waits up to @2 tenths of a second for process @1 to end.
wait_gone() {
    n=0
    while alive "$1"; do
        n=$((n + 1))
        [ "$n" -gt "$2" ] && return 1
        sleep 0.1
    done
    return 0
}

busctl_() { busctl --address="$address" "$@"; }

cleanup() {
    trap - INT TERM EXIT
    set +e
    if [ -n "${address:-}" ]; then
        # Guests outlive their daemon: destroy them first, through it.
        for path in $(busctl_ call org.libvirt.qemu /org/libvirt/QEMU org.libvirt.Connect \
                          ListDomains u 1 2>/dev/null | tr ' ' '\n' | sed -n 's/^"\(\/.*\)"$/\1/p'); do
            log "destroying $path"
            busctl_ call org.libvirt.qemu "$path" org.libvirt.Domain Destroy u 0 >/dev/null 2>&1
        done
    fi
    for name in $started; do
        pidfile=$root/run/$name.pid
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" 100 || kill -KILL "$pid" 2>/dev/null
    done
    # Whatever QEMU is left under our root.
    for d in /proc/[0-9]*; do
        argv0=$(tr '\0' '\n' <"$d/cmdline" 2>/dev/null | head -n 1)
        case "$argv0" in
        *qemu-system*)
            if tr '\0' '\n' <"$d/cmdline" 2>/dev/null | grep -qF "$root"; then
                log "killing leftover QEMU ${d#/proc/}"
                kill -KILL "${d#/proc/}" 2>/dev/null
            fi
            ;;
        esac
    done
    if [ -n "$bus_pid" ]; then
        kill -TERM "$bus_pid" 2>/dev/null
        wait "$bus_pid" 2>/dev/null
    fi
    rm -rf "$root"
    log "stopped; removed $root"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${RUN_USE_SYSTEM_BUS:-0}" = 1 ]; then
    if [ ! -S /run/dbus/system_bus_socket ] || [ "$(id -u)" != 0 ]; then
        log "RUN_USE_SYSTEM_BUS=1 needs root and /run/dbus/system_bus_socket"
        exit 1
    fi
    address=unix:path=/run/dbus/system_bus_socket
    bus_args=--system
else
    # A private bus; its address is printed once it listens.
    fifo=$root/bus.address
    mkfifo "$fifo"
    # The test bus's rules and the build's generated policy.
    cat >"$root/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <include>$src/tests/integration/bus.conf</include>
  <includedir>$builddir/dbus-policy</includedir>
</busconfig>
EOF
    dbus-daemon --config-file="$root/bus.conf" --nofork --nosyslog \
        --address="unix:path=$root/bus" --print-address=3 3>"$fifo" \
        >"$root/dbus-daemon.log" 2>&1 &
    bus_pid=$!
    read -r address <"$fifo" || { log "dbus-daemon did not start: $(cat "$root/dbus-daemon.log")"; exit 1; }
    address=${address%%,guid=*}
    bus_args="--bus $address"
fi

verbose=
[ "${RUN_VERBOSE:-0}" = 1 ] && verbose=-v

# virtproxyd's config: TCP on loopback without authentication, for virsh.
mkdir -p "$root/etc/libvirt"
cat >"$root/etc/libvirt/virtproxyd.conf" <<CONF
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$TCP_PORT"
auth_tcp = "none"
CONF

for entry in $DAEMONS; do
    name=${entry%%:*}
    busname=${entry#*:}
    extra=
    [ "$name" = virtproxyd ] && extra=-l
    # -d returns once the daemon owns its name (or fails with the reason).
    # shellcheck disable=SC2086
    if ! "$builddir/$name/$name" -d $extra $bus_args --root "$root" -p "$root/run/$name.pid" \
            $verbose 2>>"$root/$name.log"; then
        log "$name failed to start:"
        tail -n 5 "$root/$name.log" >&2
        exit 1
    fi
    started="$started $name"
    log "$name is up as $busname (log: $root/$name.log)"
done

cat <<EOF

The daemons run under $root on the bus $address

libvirt's own clients (virsh, virt-install, python3-libvirt):

  virsh -c 'qemu+unix:///system?socket=$root/run/libvirt/libvirt-sock' list --all
  virsh -c 'qemu+unix:///system?socket=$root/run/libvirt/libvirt-sock-ro' list --all
  virsh -c qemu+tcp://127.0.0.1:$TCP_PORT/system list --all

D-Bus, through the facade (org.libvirt) or each daemon's own name:

  busctl --address=$address tree org.libvirt
  busctl --address=$address tree org.libvirt.qemu
  busctl --address=$address call org.libvirt.qemu /org/libvirt/QEMU \\
      org.libvirt.Connect ListDomains u 0
  busctl --address=$address introspect org.libvirt.qemu /org/libvirt/QEMU

or, for any D-Bus client of the system bus:

  export DBUS_SYSTEM_BUS_ADDRESS=$address

A test guest (kernel + initramfs) is built by tests/guest/build-guest.sh.
Ctrl-C stops everything and removes $root.
EOF

if [ -n "$bus_pid" ]; then
    # In the foreground until Ctrl-C, or until the bus goes away.
    wait "$bus_pid" || true
    bus_pid=
    log "the bus exited"
else
    while :; do sleep 3600; done
fi
