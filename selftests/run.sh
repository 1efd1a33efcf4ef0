#!/usr/bin/env bash
# Runs inside the VM (scripts/check.sh boots it): load rgm.ko, run every
# selftest, unload, and check dmesg for splats. Writes one TAP file per
# test program into the results folder given as $1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
res=${1:?usage: run.sh RESULTS_DIR}
cd "$top"

export PATH="$top/ctl/rgmctl:$top/ctl/rgmd:$PATH"
export RGM_TOP="$top"

dmesg -C
for m in nf_conntrack nf_nat nf_defrag_ipv4 veth nf_tables nft_ct nft_nat \
	 nf_conntrack_netlink; do
	modprobe "$m" 2>/dev/null
done

if ! insmod "$top/kmod/rgm.ko"; then
	echo "not ok 1 rgm.ko loads" >"$res/vm-load.tap"
	touch "$res/vm-done"; exit 1
fi
echo "ok 1 rgm.ko loads" >"$res/vm-load.tap"

run_tap() {
	local log=$1; shift
	timeout --kill-after=10 "${TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1 </dev/null
	local rc=$?
	if [ "$rc" != 0 ] && ! grep -q '^not ok ' "$log"; then
		echo "not ok 1 $* exited with status $rc" >>"$log"
	fi
	grep -qE '^(not )?ok ' "$log" || echo "not ok 1 $* printed no result" >>"$log"
}

only=${RGM_TESTS:-}
for t in "$here"/*.c "$here"/*_test.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t"); name=${name%.c}; name=${name%.sh}
	[ -z "$only" ] || [[ " $only " == *" $name "* ]] || continue
	case "$t" in
	*.c)  run_tap "$res/vm-$name.tap" "$here/$name" ;;
	*.sh) run_tap "$res/vm-$name.tap" bash "$t" ;;
	esac
	# a test that unloaded the module (rmmod under traffic) must put it back
	lsmod | grep -q '^rgm ' || insmod "$top/kmod/rgm.ko"
done

# The module must unload with its state gone, and the kernel stay clean.
n=1
{
	if rmmod rgm; then echo "ok $n rgm.ko unloads"; else echo "not ok $n rgm.ko unloads"; fi
	n=$((n + 1))
	dmesg >"$res/dmesg.log"
	splat='BUG:|WARNING:|INFO: rcu|rcu_sched|rcu_preempt|stall|refcount_t|list_add corruption|list_del corruption|KASAN|UBSAN|general protection|Oops|Call Trace|kernel BUG|leak'
	if grep -Ei "$splat" "$res/dmesg.log" >"$res/splats.log"; then
		echo "not ok $n no kernel splat in dmesg"; sed 's/^/# /' "$res/splats.log"
	else
		echo "ok $n no kernel splat in dmesg"
	fi
} >"$res/vm-kernel.tap"

touch "$res/vm-done"
