#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rgm next to an nftables firewall: forward policy drop, only DNATed
# connections accepted. rgm's translation is what lets the streams through.
#
#      ns lan                   ns gw (rgm.ko + nft)                 ns wan
#  10.0.0.2 udp 5000 <--- 198.51.100.1 udp 40000 <------------ 203.0.113.7
#  10.0.0.2 tcp 5001 <--- 198.51.100.1 tcp 40000 <------------ 203.0.113.7
#  10.0.0.3 udp 7000 <--- (routed, no mapping: dropped by policy) 203.0.113.7
#
#  table inet rgmtest { chain forward { policy drop; ct status dnat accept } }
#
. "$(dirname "$0")/lib.sh"

require_rgm
require nft
topo_setup

nsx "$NS_GW" nft -f - <<NFT || bail "nft ruleset"
table inet rgmtest {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct status dnat counter accept
	}
}
NFT
ok "nft: forward policy drop + ct status dnat accept"

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/lan-udp" || bail "listener udp 5000"
tcp_echo "$NS_LAN" $LAN1 5001 "$TMPD/lan-tcp" || bail "listener tcp 5001"
udp_echo "$NS_LAN" $LAN2 7000 "$TMPD/lan-routed" || bail "listener udp 10.0.0.3:7000"
map_add proto udp global $GLOBAL:40000 local $LAN1:5000 server $SERVER lease 120 ||
	bail "mapping add udp"
map_add proto tcp global $GLOBAL:40000 local $LAN1:5001 server $SERVER lease 120 ||
	bail "mapping add tcp"

check_eq "udp through the mapping passes the firewall, both ways" "nft-udp" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40000 "nft-udp")"
check_eq "tcp through the mapping passes the firewall, both ways" "nft-tcp" \
	"$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 40000 "nft-tcp")"
check_eq "routed traffic without a mapping is dropped by the policy" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $LAN2 7000 "routed")"
check_eq "nothing reached 10.0.0.3:7000" 0 "$(bytes "$TMPD/lan-routed")"
pk=$(nsx "$NS_GW" nft -j list chain inet rgmtest forward |
	jq '[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) | .counter.packets] | add')
# udp: 1 in + 1 out; tcp: at least SYN, SYN-ACK, data, ACKs, FINs
check_ge "the ct status dnat rule counted the translated packets" 6 "$pk"
check_eq "an unmapped managed port is still dropped by rgm" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40001 "unmapped")"
check_ge "stats: drop_no_mapping" 1 "$(rgm_stat drop_no_mapping)"
