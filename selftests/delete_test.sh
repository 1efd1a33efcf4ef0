#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Deleting mappings stops their streams at once: the conntrack entries made
# through them go with them. By id, by key, by owner, all.
#
#      ns lan                  ns gw (rgm.ko)                    ns wan
#  10.0.0.2 udp 5000 <--- 198.51.100.1 udp 40000 <------ 203.0.113.7:6000 (stream)
#  10.0.0.2 tcp 5001 <--- 198.51.100.1 tcp 40000 <------ 203.0.113.7 (one connection)
#  10.0.0.2 udp 5002 <--- 198.51.100.1 udp 40030, 40031 (owner 7), 40032 (owner 8)
#
. "$(dirname "$0")/lib.sh"

require_rgm
require conntrack
topo_setup

# every event of this test, one JSON object a line
bg nsx "$NS_GW" rgmctl -j monitor >"$TMPD/monitor" 2>&1
sleep 1

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/lan-udp" || bail "udp listener 10.0.0.2:5000"
tcp_echo "$NS_LAN" $LAN1 5001 "$TMPD/lan-tcp" || bail "tcp listener 10.0.0.2:5001"
udp_echo "$NS_LAN" $LAN1 5002 "$TMPD/lan-own" || bail "udp listener 10.0.0.2:5002"

map_add proto udp global $GLOBAL:40000 local $LAN1:5000 server $SERVER:6000 lease 300 ||
	bail "mapping add udp 40000"
map_add proto tcp global $GLOBAL:40000 local $LAN1:5001 server $SERVER lease 300 ||
	bail "mapping add tcp 40000"

# ---- an established TCP stream, deleted by id
tcp_stream 40000
check "tcp: the stream flows through the mapping" grows "$TMPD/lan-tcp" 5
n=$(nsx "$NS_GW" conntrack -L -p tcp -d $GLOBAL --dport 40000 2>/dev/null | grep -c ESTABLISHED)
check_eq "tcp: one established conntrack entry in the gateway" 1 "$n"
id=$(map_field tcp 40000 id)
gwctl mapping del id "$id" >/dev/null
check "rgmctl mapping del id $id" [ $? = 0 ]
n=$(nsx "$NS_GW" conntrack -L -p tcp -d $GLOBAL --dport 40000 2>/dev/null | grep -c ESTABLISHED)
check_eq "tcp: its conntrack entry is gone when the command returns" 0 "$n"
check "tcp: the stream stops" stays "$TMPD/lan-tcp" 2
stream_stop "$STREAM_PID"

# ---- a UDP stream, deleted by key
udp_stream 6000 40000
check "udp: the stream flows through the mapping" grows "$TMPD/lan-udp" 5
n=$(nsx "$NS_GW" conntrack -L -p udp -d $GLOBAL --dport 40000 2>/dev/null | wc -l)
check_eq "udp: one conntrack entry in the gateway" 1 "$n"
gwctl mapping del proto udp global $GLOBAL:40000 >/dev/null
check "rgmctl mapping del proto udp global $GLOBAL:40000" [ $? = 0 ]
n=$(nsx "$NS_GW" conntrack -L -p udp -d $GLOBAL --dport 40000 2>/dev/null | wc -l)
check_eq "udp: its conntrack entry is gone (the stream does not make a new one)" 0 "$n"
check "udp: the stream stops" stays "$TMPD/lan-udp" 2
stream_stop "$STREAM_PID"

gwctl mapping del id "$id" >/dev/null 2>&1
check_eq "deleting the same id again fails with exit 1" 1 $?
check_eq "no mapping left" 0 "$(map_count)"

# ---- by owner, then all
map_add proto udp global $GLOBAL:40030 local $LAN1:5002 lease 300 owner 7 &&
map_add proto udp global $GLOBAL:40031 local $LAN1:5002 lease 300 owner 7 &&
map_add proto udp global $GLOBAL:40032 local $LAN1:5002 lease 300 owner 8 ||
	bail "mapping add 40030-40032"
for p in 40030 40031 40032; do
	check_eq "udp $p works before the flush" "p$p" \
		"$(udp_send "$NS_WAN" $SERVER 7000 $GLOBAL $p "p$p")"
done
check_eq "mapping show owner 7 lists two" 2 \
	"$(gwctl -j mapping show owner 7 | jq 'if type == "array" then length else (.mappings | length) end')"
gwctl mapping del owner 7 >/dev/null
check "rgmctl mapping del owner 7" [ $? = 0 ]
check_eq "owner 8's mapping is left" "40032" "$(gwctl -j mapping show | jq -r '(if type == "array" then . else .mappings end)[].global_port')"
for p in 40030 40031; do
	check_eq "udp $p (owner 7): the flow stopped" "" \
		"$(udp_send "$NS_WAN" $SERVER 7000 $GLOBAL $p "again$p")"
done
check_eq "udp 40032 (owner 8) still works" "again40032" \
	"$(udp_send "$NS_WAN" $SERVER 7000 $GLOBAL 40032 "again40032")"
gwctl mapping del owner 7 >/dev/null
check_eq "deleting an owner with nothing left is not an error" 0 $?
gwctl mapping del all >/dev/null
check "rgmctl mapping del all" [ $? = 0 ]
check_eq "udp 40032: stopped by the flush" "" \
	"$(udp_send "$NS_WAN" $SERVER 7000 $GLOBAL 40032 "last")"
check_eq "no mapping left after the flush" 0 "$(map_count)"
check_ge "stats: deleted counts the five" 5 "$(rgm_stat deleted)"

# what rgmctl monitor saw (events travel asynchronously: give them a moment)
sleep 1
ev() {	# ev EVENT REASON: how many such events the monitor printed
	jq -s --arg e "$1" --arg r "$2" \
		'[.[] | select(.event == $e and ($r == "" or .reason == $r))] | length' \
		"$TMPD/monitor" 2>/dev/null || echo "unparsable: $(head -c 200 "$TMPD/monitor")"
}
check_eq "monitor: 5 new events" 5 "$(ev new "")"
check_eq "monitor: 2 gone, reason deleted (by id, by key)" 2 "$(ev gone deleted)"
check_eq "monitor: 3 gone, reason flushed (by owner, all)" 3 "$(ev gone flushed)"
