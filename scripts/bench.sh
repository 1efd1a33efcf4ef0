#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the VM once and measure rgm's per-packet cost against the
# number of mappings (scripts/bench-vm.sh). A benchmark, not a test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v vng >/dev/null || scripts/setup.sh || exit 1
make -s -j"$(nproc)" all >/dev/null || { echo "bench: build failed (run make)"; exit 1; }
mkdir -p build
${CC:-cc} -O2 -Wall -Wextra -o build/bench-udp scripts/bench-udp.c ||
	{ echo "bench: cannot build scripts/bench-udp.c"; exit 1; }
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
# vng fails when started inside the tree
cd / && exec vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" -- "$top/scripts/bench-vm.sh"
