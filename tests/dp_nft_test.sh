#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The nftables dataplane on the host kernel, no VM: the behavioural
# selftests that run against rgm.ko in the VM run here again with
# RGM_DATAPLANE=nftables (see selftests/lib.sh), in network namespaces with
# real packets. One TAP stream, each line named after its selftest.
# A difference from rgm.ko is a bug or a documented limit
# (Documentation/dataplanes.rst).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"

if [ "$(id -u)" != 0 ] || ! ip netns add "rgm-probe-$$" 2>/dev/null; then
	echo "ok 1 dp_nft # SKIP needs root and network namespaces"
	echo "1..1"
	exit 0
fi
ip netns del "rgm-probe-$$"
for p in ctl/rgmctl/rgmctl ctl/rgmd/rgmd; do
	[ -x "$top/$p" ] || bail "$p is built (make user)"
done

export RGM_DATAPLANE=nftables RGM_TOP="$top"
# no TCG here: a dropped datagram need not cost two seconds
export REPLY_WAIT=${REPLY_WAIT:-1}

# rgmd_tls_test.sh passes this way too (RGM_DATAPLANE=nftables); it tests
# TLS more than the dataplane and costs 40 s, so dataplane_test.sh covers
# rgmd here.
for t in datapath rtp delete lease nft dataplane; do
	out=$(timeout --kill-after=10 300 bash "$top/selftests/${t}_test.sh" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "$t: $(sed -E 's/^ok [0-9]+ //' <<<"$line")" ;;
		"not ok "*) not_ok "$t: $(sed -E 's/^not ok [0-9]+ //' <<<"$line")" ;;
		"#"*) echo "$line" ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || grep -q '^not ok' <<<"$out" || not_ok "$t: exited with status $rc"
done
echo "1..$n"
[ "$fails" = 0 ]
