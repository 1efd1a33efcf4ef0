#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make adversarial: only the adversarial suite (selftests/adv_*_test.sh, see
# Documentation/security.rst), in one VM boot, with the full counts where
# make check uses bounded ones. Ends with the figures and "N passed, M failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
res=build/adversarial
rm -rf "$res"; mkdir -p "$res"

make -j"$(nproc)" all >"$res/build.log" 2>&1 || { tail -30 "$res/build.log"; exit 1; }
tests=$(cd selftests && ls adv_*_test.sh | sed 's/\.sh$//' | tr '\n' ' ')
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
(cd / && vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" -- "RGM_TESTS='$tests' TEST_TIMEOUT=3600 \
	ADV_SESSIONS=${ADV_SESSIONS:-5000} ADV_KILLS=${ADV_KILLS:-200} \
	ADV_NLFUZZ_SECONDS=${ADV_NLFUZZ_SECONDS:-300} ADV_NMAP_THOROUGH=1 \
	$top/selftests/run.sh $top/$res") >"$res/vm-console.log" 2>&1
for f in "$res"/vm-*.tap; do
	[ -f "$f" ] || continue
	grep -E '^(not )?ok ' "$f" | sed "s|^|$(basename "$f" .tap): |"
done
scripts/adv-summary.sh "$res"
pass=$(cat "$res"/*.tap 2>/dev/null | grep -cE '^ok ' || true)
fail=$(cat "$res"/*.tap 2>/dev/null | grep -cE '^not ok ' || true)
echo "logs: $res/"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
