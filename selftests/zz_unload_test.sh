#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod with mappings installed and streams flowing: it succeeds, and the
# streams stop. Named to run last; run.sh inserts the module again.
#
#      ns lan                  ns gw (rgm.ko)                    ns wan
#  10.0.0.2 udp 5000 <--- 198.51.100.1 udp 40000 <------ 203.0.113.7:6000 (stream)
#  10.0.0.2 tcp 5001 <--- 198.51.100.1 tcp 40000 <------ 203.0.113.7 (stream)
#  + 200 more mappings, and a second gateway namespace with its own
#
. "$(dirname "$0")/lib.sh"

require_rgm
topo_setup

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/lan-udp" || bail "listener udp 5000"
tcp_echo "$NS_LAN" $LAN1 5001 "$TMPD/lan-tcp" || bail "listener tcp 5001"
map_add proto udp global $GLOBAL:40000 local $LAN1:5000 server $SERVER lease 300 ||
	bail "mapping add udp"
map_add proto tcp global $GLOBAL:40000 local $LAN1:5001 server $SERVER lease 300 ||
	bail "mapping add tcp"
for c in 0 1 2 3; do
	for i in $(seq 0 49); do
		echo "add proto udp global $GLOBAL:$((41000 + c * 50 + i)) local $LAN1:6000 lease 300 owner 5"
	done >"$TMPD/batch$c"
	gwctl mapping batch "$TMPD/batch$c" >/dev/null || bail "batch $c"
done
# another namespace with state of its own
NS_GW2=rgm-gw2-$_rgm_id
netns_add "$NS_GW2"
nsx "$NS_GW2" rgmctl config set global 192.0.2.1 >/dev/null &&
nsx "$NS_GW2" rgmctl mapping add proto tcp global 192.0.2.1:40000 local 10.9.9.9:1 lease 300 \
	>/dev/null || bail "second namespace's mapping"

udp_stream 6000 40000
tcp_stream 40000
check "udp stream flows before rmmod" grows "$TMPD/lan-udp" 5
check "tcp stream flows before rmmod" grows "$TMPD/lan-tcp" 5
check_eq "mappings installed" 202 "$(map_count)"

timeout 60 rmmod rgm
check_eq "rmmod rgm under traffic succeeds" 0 $?
check "the module is gone" [ ! -d /sys/module/rgm ]
check "udp stream stopped" stays "$TMPD/lan-udp" 2
check "tcp stream stopped" stays "$TMPD/lan-tcp" 2
gwctl stats >/dev/null 2>&1
check_eq "rgmctl reports the family gone (exit 1)" 1 $?
udp_echo "$NS_GW" $GLOBAL 39999 "$TMPD/gw" || bail "gw listener 39999"
check_eq "the gateway itself still answers" "still-here" \
	"$(udp_send "$NS_WAN" $SERVER 6100 $GLOBAL 39999 "still-here")"
