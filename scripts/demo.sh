#!/usr/bin/env bash
# make demo: boot the VM once and walk through what rgm does, with narration.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
command -v vng >/dev/null && [ -f build/kselftest/kselftest_harness.h ] \
	&& pkg-config --exists libnl-genl-3.0 gnutls json-c libmicrohttpd libcurl \
	&& command -v ffmpeg >/dev/null || scripts/setup.sh || exit 1
make -s -j"$(nproc)" all >/dev/null || { echo "demo: build failed (run make)"; exit 1; }
# the test titles, made once with ffmpeg on the host (faster than in the VM)
scripts/mkcontent.sh build/media-content >/dev/null || { echo "demo: mkcontent failed"; exit 1; }
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
cd / && exec vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" -- "$top/scripts/demo-vm.sh"
