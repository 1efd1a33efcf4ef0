#!/usr/bin/env bash
# make demo: boot the VM once and walk through what rgm does, with narration.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v vng >/dev/null && [ -f build/kselftest/kselftest_harness.h ] \
	&& pkg-config --exists libnl-genl-3.0 gnutls json-c || scripts/setup.sh || exit 1
make -s -j"$(nproc)" all >/dev/null || { echo "demo: build failed (run make)"; exit 1; }
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
cd / && exec vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" -- "$top/scripts/demo-vm.sh"
