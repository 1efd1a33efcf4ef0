#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP and TCP through mappings, both directions; what must not pass does not.
#
#      ns lan                    ns gw (rgm.ko)                  ns wan
#  10.0.0.2  udp 5000  <--+   10.0.0.1 | 198.51.100.1   <---  203.0.113.7:6000 (server)
#  10.0.0.2  tcp 5001     |            |  udp 40000 -> 10.0.0.2:5000 (server 203.0.113.7:6000)
#  10.0.0.3  udp 5000     |            |  tcp 40000 -> 10.0.0.2:5001 (server 203.0.113.7:any)
#                         |            |  udp 40020 -> 10.0.0.3:5000 (any server)
#                         |            |  tcp 40003 -> 10.0.0.2:5001 (any server)
#                         |            |  udp 40001, tcp 40002: managed, unmapped (gw listens)
#                         |            |  udp 39999, tcp 50000: outside the range (gw listens)
#                         +------------+-------------------- 203.0.113.66 (attacker)
#
# Every check looks at bytes that really arrived (the LAN listener's log,
# the reply the sender got on a connected socket) and at rgm's counters.

. "$(dirname "$0")/lib.sh"

require_rgm
topo_setup

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/lan1-udp" || bail "udp listener 10.0.0.2:5000"
udp_echo "$NS_LAN" $LAN2 5000 "$TMPD/lan2-udp" || bail "udp listener 10.0.0.3:5000"
tcp_echo "$NS_LAN" $LAN1 5001 "$TMPD/lan1-tcp" || bail "tcp listener 10.0.0.2:5001"

map_add proto udp global $GLOBAL:40000 local $LAN1:5000 server $SERVER:6000 lease 600 owner 1
check "rgmctl mapping add udp (server addr:port)" [ $? = 0 ]
map_add proto tcp global $GLOBAL:40000 local $LAN1:5001 server $SERVER lease 600 owner 1
check "rgmctl mapping add tcp (server addr)" [ $? = 0 ]
map_add proto udp global $GLOBAL:40020 local $LAN2:5000 lease 600 owner 2
check "rgmctl mapping add udp (any server) to the second LAN host" [ $? = 0 ]
map_add proto tcp global $GLOBAL:40003 local $LAN1:5001 lease 600 owner 2
check "rgmctl mapping add tcp (any server)" [ $? = 0 ]
check_eq "four mappings listed" 4 "$(map_count)"

# ---- UDP, both directions
reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40000 "udp-hello-1")
check_eq "udp: server's datagram reaches 10.0.0.2:5000" "udp-hello-1" "$(cat "$TMPD/lan1-udp")"
check_eq "udp: the reply reaches the server from $GLOBAL:40000" "udp-hello-1" "$reply"
reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40000 "udp-hello-2")
check_eq "udp: the same flow goes on" "udp-hello-2" "$reply"
check_ge "udp mapping counts packets_in" 2 "$(map_field udp 40000 packets_in)"
check_ge "udp mapping counts bytes_in" 22 "$(map_field udp 40000 bytes_in)"
check_ge "udp mapping counts packets_out" 2 "$(map_field udp 40000 packets_out)"
check_ge "stats: translated" 1 "$(rgm_stat translated)"

# ---- wrong server: address, then port
before=$(rgm_stat drop_wrong_server)
: >"$TMPD/lan1-udp"
reply=$(udp_send "$NS_WAN" $ATTACKER 6000 $GLOBAL 40000 "from-attacker")
check_eq "udp: wrong server address gets no reply" "" "$reply"
reply=$(udp_send "$NS_WAN" $SERVER 6001 $GLOBAL 40000 "from-wrong-port")
check_eq "udp: wrong server port gets no reply" "" "$reply"
check_eq "udp: nothing from a wrong server reaches the LAN" 0 "$(bytes "$TMPD/lan1-udp")"
after=$(rgm_stat drop_wrong_server)
check_ge "stats: drop_wrong_server counts both" $((before + 2)) "$after"
check_ge "udp mapping counts its drops" 2 "$(map_field udp 40000 drops)"

# ---- TCP, both directions (a completed handshake proves the SYN-ACK came
# back from $GLOBAL:40000: the client's stack would reset anything else)
reply=$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 40000 "tcp-hello-1")
check_eq "tcp: connection through the mapping echoes" "tcp-hello-1" "$reply"
check_eq "tcp: the bytes reached 10.0.0.2:5001" "tcp-hello-1" "$(cat "$TMPD/lan1-tcp")"
reply=$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 40000 "tcp-hello-2")
check_eq "tcp: a second connection (any server port) works" "tcp-hello-2" "$reply"
check_ge "tcp mapping counts packets_in" 4 "$(map_field tcp 40000 packets_in)"
check_ge "tcp mapping counts packets_out" 4 "$(map_field tcp 40000 packets_out)"
: >"$TMPD/lan1-tcp"
reply=$(tcp_send "$NS_WAN" $ATTACKER 0 $GLOBAL 40000 "tcp-attacker")
check_eq "tcp: attacker cannot connect" "" "$reply"
check_eq "tcp: nothing from the attacker reaches the LAN" 0 "$(bytes "$TMPD/lan1-tcp")"

# ---- second LAN host, any server
: >"$TMPD/lan1-udp"
reply=$(udp_send "$NS_WAN" $ATTACKER 7000 $GLOBAL 40020 "to-host-2")
check_eq "udp: mapping without server filter accepts any server" "to-host-2" "$reply"
check_eq "udp: it reached 10.0.0.3:5000" "to-host-2" "$(cat "$TMPD/lan2-udp")"
check_eq "udp: and not 10.0.0.2" 0 "$(bytes "$TMPD/lan1-udp")"

# ---- ICMP errors follow the NAT binding back: 40021 leads to a closed port
map_add proto udp global $GLOBAL:40021 local $LAN2:5999 lease 600 owner 2 ||
	bail "mapping add udp 40021"
reply=$(udp_send "$NS_WAN" $SERVER 6003 $GLOBAL 40021 "to-closed-port")
check_eq "udp: the LAN host's port unreachable reaches the server, translated" \
	"<refused>" "$reply"
gwctl mapping del proto udp global $GLOBAL:40021 >/dev/null

# ---- managed but unmapped ports: dropped even though the gateway listens
udp_echo "$NS_GW" $GLOBAL 40001 "$TMPD/gw-40001" || bail "gw udp listener 40001"
tcp_echo "$NS_GW" $GLOBAL 40002 "$TMPD/gw-40002" || bail "gw tcp listener 40002"
before=$(rgm_stat drop_no_mapping)
reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40001 "unmapped-udp")
check_eq "udp: unmapped managed port gets no reply" "" "$reply"
check_eq "udp: the gateway's own socket on it got nothing" 0 "$(bytes "$TMPD/gw-40001")"
reply=$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 40002 "unmapped-tcp")
check_eq "tcp: unmapped managed port cannot be connected" "" "$reply"
check_eq "tcp: the gateway's own socket on it got nothing" 0 "$(bytes "$TMPD/gw-40002")"
# 40003 is mapped for tcp only: udp is another key
reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40003 "udp-on-tcp-port")
check_eq "udp: a port mapped for tcp only is not open to udp" "" "$reply"
check_ge "stats: drop_no_mapping counts them" $((before + 3)) "$(rgm_stat drop_no_mapping)"

# ---- outside the managed range: never touched
udp_echo "$NS_GW" $GLOBAL 39999 "$TMPD/gw-39999" || bail "gw udp listener 39999"
tcp_echo "$NS_GW" $GLOBAL 50000 "$TMPD/gw-50000" || bail "gw tcp listener 50000"
before=$(rgm_stat drop_no_mapping)
reply=$(udp_send "$NS_WAN" $ATTACKER 6000 $GLOBAL 39999 "below-range")
check_eq "udp: port below the range reaches the gateway's socket" "below-range" "$reply"
reply=$(tcp_send "$NS_WAN" $ATTACKER 0 $GLOBAL 50000 "above-range")
check_eq "tcp: port above the range reaches the gateway's socket" "above-range" "$reply"
check_eq "stats: those were not counted as drops" "$before" "$(rgm_stat drop_no_mapping)"

# ---- traffic not addressed to a global address is forwarded as usual
udp_echo "$NS_LAN" $LAN2 40000 "$TMPD/lan2-40000" || bail "lan udp listener 10.0.0.3:40000"
reply=$(udp_send "$NS_WAN" $ATTACKER 6000 $LAN2 40000 "routed")
check_eq "udp: routed traffic to a LAN address on a managed port number is untouched" \
	"routed" "$reply"

# ---- rgmctl -n
n=$(rgmctl -j -n "$NS_GW" mapping show 2>/dev/null | jq 'if type == "array" then length else (.mappings | length) end')
check_eq "rgmctl -n NETNS sees the gateway's mappings" 4 "$n"
n=$(nsx "$NS_LAN" rgmctl -j mapping show 2>/dev/null | jq 'if type == "array" then length else (.mappings | length) end')
check_eq "another namespace sees none" 0 "$n"
