#!/usr/bin/env bash
# make demo: walk through what rgm does, with narration.
#   scripts/demo.sh [kmod|nftables]
# kmod (the default) boots the VM once and runs the gateways on rgm.ko;
# nftables runs the same narrative on this machine's kernel, in network
# namespaces, with the gateway on the nftables dataplane: no VM, no module
# (root, nftables and network namespaces suffice).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dataplane=${1:-kmod}
case "$dataplane" in
kmod|nftables) ;;
*) echo "demo: dataplane '$dataplane' is not kmod or nftables" >&2; exit 2 ;;
esac
if [ "$dataplane" = nftables ]; then
	[ "$(id -u)" = 0 ] || { echo "demo: the nftables demo needs root (network namespaces)" >&2; exit 1; }
	pkg-config --exists libnl-genl-3.0 gnutls json-c libmicrohttpd libcurl libnftables \
		libnetfilter_conntrack && command -v ffmpeg >/dev/null && command -v nft >/dev/null \
		&& command -v conntrack >/dev/null || scripts/setup.sh || exit 1
	make -s -j"$(nproc)" progs >/dev/null || { echo "demo: build failed (run make user)"; exit 1; }
else
	command -v vng >/dev/null && [ -f build/kselftest/kselftest_harness.h ] \
		&& pkg-config --exists libnl-genl-3.0 gnutls json-c libmicrohttpd libcurl \
		&& command -v ffmpeg >/dev/null || scripts/setup.sh || exit 1
	make -s -j"$(nproc)" all >/dev/null || { echo "demo: build failed (run make)"; exit 1; }
fi
# the test titles, made once with ffmpeg on the host (faster than in the VM)
scripts/mkcontent.sh build/media-content >/dev/null || { echo "demo: mkcontent failed"; exit 1; }
[ "$dataplane" = nftables ] && exec env RGM_DATAPLANE=nftables "$top/scripts/demo-vm.sh"
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
cd / && exec vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" -- "$top/scripts/demo-vm.sh"
