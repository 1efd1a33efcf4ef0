#!/usr/bin/env bash
# Builds rgm.ko with Debian's dkms for the VM's kernel, on the host, in a
# private tree (nothing under /var/lib/dkms or /lib/modules is touched):
#   scripts/dkms-stage.sh [DIR [KVER]]     (default build/dkms, newest kernel)
# DIR/root/usr/src/rgm-VERSION is what the rgm-dkms package ships, DIR/tree
# is dkms's tree with the built module. selftests/dkms_test.sh then runs
# `dkms install` from that tree inside the VM (where /lib/modules is a
# writable overlay) and loads the module with modprobe.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# dkms records the source tree by this path: it must be absolute
dir=$(realpath -m "${1:-$top/build/dkms}")
kver=${2:-$(ls /lib/modules | sort -V | tail -n 1)}
ver=$(cat "$top/VERSION")

rm -rf "$dir"
mkdir -p "$dir/tree"
make -s -C "$top" install-dkms DESTDIR="$dir/root"
src="$dir/root/usr/src"
dkms add --dkmstree "$dir/tree" --sourcetree "$src" -m rgm -v "$ver" >/dev/null
dkms build --dkmstree "$dir/tree" --sourcetree "$src" -m rgm -v "$ver" -k "$kver"
ko="$dir/tree/rgm/$ver/$kver/$(uname -m)/module/rgm.ko"
[ -f "$ko" ] || ko=$(find "$dir/tree/rgm/$ver/$kver" -name 'rgm.ko*' | head -n 1)
[ -n "$ko" ] && [ -f "$ko" ] || { echo "dkms-stage: no rgm.ko built" >&2; exit 1; }
printf '%s\n%s\n%s\n' "$ver" "$kver" "${ko#"$dir/"}" >"$dir/staged"
echo "dkms-stage: $ko"
