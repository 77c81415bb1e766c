#!/bin/sh
# Installs the Debian 12 packages the project needs to build, run and test.
# Does nothing when they are all there already.
set -eu

PACKAGES="
  gcc meson ninja-build pkg-config
  libsystemd-dev libxml2-dev libjansson-dev libuv1-dev
  dbus qemu-system-x86 qemu-utils
  busybox-static linux-image-cloud-amd64 cpio gzip
  libvirt-clients libvirt-dev libvirt-dbus python3 python3-libvirt python3-dbus
  libvirt-daemon-system libvirt-daemon-driver-qemu iptables
  iproute2 procps
  dnsmasq-base nftables
  rpcsvc-proto libtirpc-dev
  netcat-openbsd openssh-client openssh-server
  qemu-guest-agent e2fsprogs
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing; run as root to install them" >&2
    exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || true
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
