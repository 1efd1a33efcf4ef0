#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Mass expiry: 8,192 mappings (8 chunks of the expiry scan) whose leases run
# out in the same second all go, in one expiry pass or a few, while a mapping that stays carries a
# stream and commands keep working. The scan visits the table in chunks
# with the namespace mutex dropped between them (Documentation/design.rst),
# so this is the case where a command lands in the middle of a scan.
#
#      ns lan                  ns gw (rgm.ko)                          ns wan
#  10.0.0.2 udp 5000 <--- 198.51.100.1 udp 49999 (lease 600)  <--- 203.0.113.7:6000
#                         198.51.100.1 udp 40000..48191 (8,192,
#                         lease 3600 owner 9, renewed to 1 s)
#                         198.51.100.1 udp 49998: added and deleted
#                         over and over while they expire
. "$(dirname "$0")/lib.sh"

require_rgm
topo_setup
[ "$RGM_DATAPLANE" = kmod ] || { skip "mass expiry" "rgm.ko's expiry scan only"; exit 0; }

N=8192	# 128 batches: about 100 s under TCG on a busy host
BASE=40000
CHUNK=64	# RGM_BATCH_MAX

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/stay" || bail "udp listener 10.0.0.2:5000"
map_add proto udp global $GLOBAL:49999 local $LAN1:5000 server $SERVER lease 600 ||
	bail "mapping add 49999"
udp_stream 6000 49999
check "the stream through the mapping that stays flows" grows "$TMPD/stay" 10

awk -v n=$N -v b=$BASE -v c=$CHUNK -v d="$TMPD" -v g=$GLOBAL -v l=$LAN1 'BEGIN {
	for (i = 0; i < n; i++)
		printf "add proto udp global %s:%d local %s:%d lease 3600 owner 9\n",
			g, b + i, l, 10000 + i > sprintf("%s/batch-%05d", d, int(i / c));
}'
t0=$(date +%s)
# two at a time: the VM has two CPUs
printf '%s\n' "$TMPD"/batch-* |
	xargs -P 2 -n 1 ip netns exec "$NS_GW" rgmctl mapping batch >/dev/null
check_eq "every batch file installs (xargs exit status)" 0 $?
diag "installed $N in $(( $(date +%s) - t0 )) s"
check_eq "stats: mappings $((N + 1))" $((N + 1)) "$(rgm_stat mappings)"
expired0=$(rgm_stat expired)

# while they expire: one mapping added and deleted, over and over, from
# just before the renew until the last of them is gone
cycle() {
	local r
	while [ ! -e "$TMPD/stop" ]; do
		r=ok
		map_add proto udp global $GLOBAL:49998 local $LAN1:5001 lease 60 || r=fail
		gwctl mapping del proto udp global $GLOBAL:49998 >/dev/null || r=fail
		echo $r >>"$TMPD/cycles"
	done
}
: >"$TMPD/cycles"
bg cycle
cycler=$BG_PID

t0=$(date +%s%N)
gwctl mapping renew owner 9 lease 1 >/dev/null
check "rgmctl mapping renew owner 9 lease 1" [ $? = 0 ]
owned() { gwctl -j mapping show owner 9 2>/dev/null | jq 'if type=="array" then length else (.mappings|length) end'; }
gone() { [ "$(owned)" = 0 ]; }
wait_until 60 gone
check "all $N expire (within 60 s)" gone
diag "$N expired $(( ($(date +%s%N) - t0) / 1000000 )) ms after the renew"
touch "$TMPD/stop"
wait "$cycler"
diag "$(wc -l <"$TMPD/cycles") add/del cycles meanwhile"
check_ge "commands ran during the expiry" 1 "$(grep -c ok "$TMPD/cycles")"
check_eq "no add or delete failed during the expiry" 0 "$(grep -c fail "$TMPD/cycles")"
check_eq "stats: expired counts $N more" $((expired0 + N)) "$(rgm_stat expired)"
check_eq "rgmctl mapping show lists one" 1 "$(map_count)"
check "the one left is the mapping that stays" [ -n "$(map_field udp 49999 id)" ]
check "its stream still flows" grows "$TMPD/stay" 5
check_eq "an expired port is closed" "" \
	"$(udp_send "$NS_WAN" $SERVER 6001 $GLOBAL $((BASE + 4321)) "late")"

gwctl mapping del all >/dev/null
check_eq "and the table ends empty" 0 "$(rgm_stat mappings)"
