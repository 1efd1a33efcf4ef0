#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the VM once and run the benchmarks of scripts/bench-vm.sh
# (B1-B6, Documentation/performance.rst), then scripts/bench-fleet.sh on the
# host; figures land in build/bench/.
# A benchmark, not a test. BENCH_QUICK=1: tiny sizes, a smoke run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
command -v vng >/dev/null || scripts/setup.sh || exit 1
make -s -j"$(nproc)" all >/dev/null || { echo "bench: build failed (run make)"; exit 1; }
mkdir -p build/bench
${CC:-cc} -O2 -Wall -Wextra -o build/bench-udp scripts/bench-udp.c ||
	{ echo "bench: cannot build scripts/bench-udp.c"; exit 1; }
# shellcheck disable=SC2046
${CC:-cc} -O2 -Wall -Wextra -D_GNU_SOURCE -isystem include/uapi -Ilib -o build/bench-nl \
	scripts/bench-nl.c lib/librgm.a $(pkg-config --cflags --libs libnl-genl-3.0 libnftables libnetfilter_conntrack json-c) ||
	{ echo "bench: cannot build scripts/bench-nl.c"; exit 1; }
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
# The host's load: the VM is emulated, other work on the host is noise.
{ echo "$(uname -n): $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "load average before the VM: $(cut -d' ' -f1-3 /proc/loadavg)"; } >build/bench/host.txt
# BENCH_* settings (scripts/bench-vm.sh) go into the VM
env=$(env | grep -E '^BENCH_[A-Z0-9_]+=' | sed -E "s/^([^=]*)=(.*)$/\1='\2'/" | tr '\n' ' ')
# vng fails when started inside the tree
(cd / && vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" -- "$env $top/scripts/bench-vm.sh")
rc=$?
echo "load average after the VM: $(cut -d' ' -f1-3 /proc/loadavg)" >>build/bench/host.txt
[ -s build/bench/results.txt ] && scripts/bench-report.sh build/bench >/dev/null
# The fleet benchmark runs on the host (the configuration server is
# userspace; the VM's 2 GB would not hold 10k gateways): build/bench/fleet.txt
if [ -n "${BENCH_QUICK:-}" ]; then
	BENCH_FLEET_KS=${BENCH_FLEET_KS:-100 1000} BENCH_FLEET_REQS=${BENCH_FLEET_REQS:-200} \
		scripts/bench-fleet.sh || rc=1
else
	scripts/bench-fleet.sh || rc=1
fi
exit $rc
