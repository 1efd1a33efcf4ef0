#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A lease that runs out removes the mapping and closes its flow, neither
# early nor late; a renewed one keeps it.
#
#      ns lan                  ns gw (rgm.ko)                          ns wan
#  10.0.0.2 udp 5000 <--- 198.51.100.1 udp 40000 (60, renewed to 3) <--- 203.0.113.7:6000
#  10.0.0.2 udp 5001 <--- 198.51.100.1 udp 40001 (15, renewed to 60) <-- 203.0.113.7:6001
#
# The short lease is set by a renew once the stream flows, and the deadline
# allowed for its removal includes what one poll costs: under TCG on a busy
# host rgmctl + jq can take seconds, and the test must measure rgm, not that.
. "$(dirname "$0")/lib.sh"

require_rgm
require conntrack
topo_setup

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/lan0" || bail "udp listener 10.0.0.2:5000"
udp_echo "$NS_LAN" $LAN1 5001 "$TMPD/lan1" || bail "udp listener 10.0.0.2:5001"

ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
t0=$(date +%s%N)
map_add proto udp global $GLOBAL:40000 local $LAN1:5000 server $SERVER lease 60 ||
	bail "mapping add 40000"
gwctl mapping add proto udp global $GLOBAL:40001 local $LAN1:5001 server $SERVER lease 15 \
	owner 77 >/dev/null || bail "mapping add 40001 lease 15"
gwctl mapping renew owner 77 lease 60 >/dev/null
check "rgmctl mapping renew owner 77 lease 60" [ $? = 0 ]
t_renew=$(ms)
udp_stream 6000 40000
s0=$STREAM_PID
udp_stream 6001 40001
check "the stream flows" grows "$TMPD/lan0" 10

ta=$(ms)
gwctl mapping renew proto udp global $GLOBAL:40000 lease 3 >/dev/null
check "rgmctl mapping renew proto udp global $GLOBAL:40000 lease 3" [ $? = 0 ]
tb=$(ms)
# poll until gone, remembering what the slowest poll cost
slowest=0
while :; do
	p0=$(ms)
	id=$(map_field udp 40000 id)
	p1=$(ms)
	[ $((p1 - p0)) -gt $slowest ] && slowest=$((p1 - p0))
	[ -z "$id" ] && break
	[ "$p1" -gt $((tb + 60000)) ] && break
	sleep 0.2
done
tg=$(ms)
diag "renewed to 3 s at $ta-$tb ms, seen gone at $tg ms, slowest poll $slowest ms"
check "the 3 s mapping expired no earlier than its lease" [ $((tg - ta)) -ge 2900 ]
# lease 3 s + up to 1 s granularity + 1 s of expiry work + one poll
check "it expired within lease + 2 s (+ one poll)" [ $((tg - tb)) -le $((5000 + slowest + 200)) ]
ct_gone() { [ "$(nsx "$NS_GW" conntrack -L -p udp -d $GLOBAL --dport 40000 2>/dev/null | wc -l)" = 0 ]; }
if [ "$RGM_DATAPLANE" = kmod ]; then
	check "its conntrack entry went with it" ct_gone
else
	# nftables: the agent's events handle removes it, up to a poll (0.1 s)
	# after the kernel forgot the mapping (Documentation/dataplanes.rst)
	check "its conntrack entry went with it (within 1 s)" wait_until 1 ct_gone
fi
check "its stream stopped" stays "$TMPD/lan0" 1.5
stream_stop "$s0"
check_eq "a new datagram on the old flow is dropped" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40000 "late")"
check_ge "stats: expired" 1 "$(rgm_stat expired)"

# past the renewed mapping's first lease (15 s), it still carries traffic
while [ "$(ms)" -lt 16000 ]; do sleep 0.2; done
check "the renewed mapping's stream still flows after its first lease" grows "$TMPD/lan1" 3
left=$(map_field udp 40001 expires)
check_ge "the renewed mapping has 60 s minus the time since the renewal left" \
	$(( 60 - ($(ms) - t_renew) / 1000 - 2 )) "$left"
