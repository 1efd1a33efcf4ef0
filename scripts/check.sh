#!/usr/bin/env bash
# make check: build, host unit tests, then every selftest in ONE VM boot.
# Ends with "N passed, M failed"; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

need_setup=0
command -v vng >/dev/null || need_setup=1
[ -f build/kselftest/kselftest_harness.h ] || need_setup=1
pkg-config --exists libnl-genl-3.0 gnutls json-c libmicrohttpd libcurl libnftables \
	libnetfilter_conntrack 2>/dev/null || need_setup=1
command -v ffprobe >/dev/null || need_setup=1
for t in dkms dh_dkms lintian mandoc dpkg-buildpackage debootstrap systemd-nspawn; do command -v $t >/dev/null || need_setup=1; done
ls /boot/vmlinuz-* >/dev/null 2>&1 || need_setup=1
[ "$need_setup" = 0 ] || scripts/setup.sh || { echo "check: setup failed"; exit 1; }

res=build/results
rm -rf "$res"; mkdir -p "$res"

echo "== build"
if ! make -j"$(nproc)" all >"$res/build.log" 2>&1; then
	tail -30 "$res/build.log"; echo "0 passed, 1 failed"; exit 1
fi
if grep -q 'warning:' "$res/build.log"; then
	echo "check: the build has warnings:"; grep 'warning:' "$res/build.log" | head
	echo "not ok 1 build is warning-free" >"$res/host-build.tap"
fi

# Runs one test program, keeps its TAP, and turns a crash with no
# "not ok" line into one, so that a dying test cannot pass silently.
run_tap() {
	local log=$1; shift
	timeout --kill-after=10 "${TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1
	local rc=$?
	if [ "$rc" != 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok 1 $* exited with status $rc" >>"$log"
	fi
	if ! grep -qE '^(not )?ok ' "$log"; then
		echo "not ok 1 $* printed no result" >>"$log"
	fi
}

echo "== host unit tests"
# C programs, then shell tests that need no module (network namespaces
# and nftables work on the host kernel)
for t in tests/*_test tests/*_test.sh; do
	[ -x "$t" ] || continue
	run_tap "$res/host-$(basename "$t").tap" "./$t"
	grep -E '^(not )?ok ' "$res/host-$(basename "$t").tap" | sed "s|^|$(basename "$t"): |"
done
if [ -x fuzz/run.sh ]; then
	run_tap "$res/host-fuzz.tap" fuzz/run.sh
	grep -E '^(not )?ok ' "$res/host-fuzz.tap" | sed 's|^|fuzz: |'
fi

# the test titles for the end-to-end tests, made on the host: ffmpeg is
# much faster here than under TCG
scripts/mkcontent.sh build/media-content >"$res/mkcontent.log" 2>&1 ||
	echo "not ok 1 mkcontent makes the test titles" >"$res/host-mkcontent.tap"

# rgm.ko built by Debian's dkms for the VM's kernel, for selftests/dkms_test.sh
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
scripts/dkms-stage.sh build/dkms "${kernel#/boot/vmlinuz-}" >"$res/dkms-stage.log" 2>&1 ||
	echo "not ok 1 dkms builds rgm.ko (build/results/dkms-stage.log)" >"$res/host-dkms.tap"

echo "== selftests in the VM (one boot)"
# /lib/modules is a writable overlay there: dkms_test.sh installs into it
(cd / && vng --disable-kvm --run "$kernel" --user root --cpus 2 --memory 2G \
	--rwdir "$top" --overlay-rwdir /usr/lib/modules \
	-- "$top/selftests/run.sh" "$top/$res") >"$res/vm-console.log" 2>&1
vm_rc=$?
[ -f "$res/vm-done" ] || {
	echo "not ok 1 the VM run finished (vng exit $vm_rc)" >"$res/vm-boot.tap"
	tail -40 "$res/vm-console.log"
}
for f in "$res"/vm-*.tap; do
	[ -f "$f" ] || continue
	grep -E '^(not )?ok ' "$f" | sed "s|^|$(basename "$f" .tap): |"
done

pass=$(cat "$res"/*.tap 2>/dev/null | grep -cE '^ok ' || true)
skip=$(cat "$res"/*.tap 2>/dev/null | grep -cE '^ok .*# SKIP' || true)
fail=$(cat "$res"/*.tap 2>/dev/null | grep -cE '^not ok ' || true)
pass=$((pass - skip))
scripts/adv-summary.sh "$res"
echo "logs: $res/"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
