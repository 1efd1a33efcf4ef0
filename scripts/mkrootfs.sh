#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A minimal Debian bookworm, made by debootstrap from Debian's archive, for
# tests/deb_system_test.sh to boot with systemd-nspawn and install the
# packages into. It holds systemd and the run-time libraries the packages
# depend on (so that `apt-get install ./*.deb` inside needs no network),
# and the tools the test drives them with. Usage: mkrootfs.sh [PKG.deb...].
# Cached by a hash of this script and of the packages' dependencies:
#   build/rootfs/bookworm-HASH (a directory); build/rootfs/last -> it
# A fresh build costs two to four minutes and about 250 MB; an unchanged
# script and dependency list cost a hash. Prints the directory on its last line.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

mirror=${RGM_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
include=(
	# the init that starts the units, and what systemctl talks over
	systemd systemd-sysv dbus
	# what the test runs inside: namespaces, nft, the operator's curl
	iproute2 nftables curl ca-certificates
)

# The packages' own dependencies, read from the .deb files given as
# arguments (first of each alternative, rgm's own left out): the container
# has no network, so apt inside it must find them installed already.
for deb in "$@"; do
	dpkg-deb -f "$deb" Depends
done | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' |
	grep -v -e '^$' -e '^rgm-' | sort -u >"${TMPDIR:-/tmp}/mkrootfs.deps.$$"
mapfile -t deps <"${TMPDIR:-/tmp}/mkrootfs.deps.$$"
rm -f "${TMPDIR:-/tmp}/mkrootfs.deps.$$"
include+=("${deps[@]}")

hash=$( { cat "$0"; echo "$mirror"; printf '%s\n' "${deps[@]}"; } | sha256sum | cut -c1-12)
out=build/rootfs/$suite-$hash
if [ -f "$out/.rgm-rootfs-done" ]; then
	ln -sfn "$suite-$hash" build/rootfs/last
	echo "$top/$out"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "mkrootfs: debootstrap is missing (scripts/setup.sh)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "mkrootfs: debootstrap needs root" >&2; exit 1; }
rm -rf "$out.tmp"
mkdir -p build/rootfs
inc=$(IFS=,; echo "${include[*]}")
debootstrap --variant=minbase --include="$inc" "$suite" "$out.tmp" "$mirror" \
	>"build/rootfs/$suite-$hash.log" 2>&1 || {
	tail -20 "build/rootfs/$suite-$hash.log" >&2
	echo "mkrootfs: debootstrap failed (build/rootfs/$suite-$hash.log)" >&2; exit 1; }
# apt's lists: `apt-get install ./x.deb` resolves dependencies against
# them (they are installed already, so nothing is fetched)
chroot "$out.tmp" apt-get update -q >>"build/rootfs/$suite-$hash.log" 2>&1 || true
chroot "$out.tmp" apt-get clean
# no console login prompt, no network management: the test sets up its own
printf 'rgm-test\n' >"$out.tmp/etc/hostname"
rm -f "$out.tmp/etc/machine-id"; : >"$out.tmp/etc/machine-id"
touch "$out.tmp/.rgm-rootfs-done"
rm -rf "$out"
mv "$out.tmp" "$out"
ln -sfn "$suite-$hash" build/rootfs/last
echo "$top/$out"
