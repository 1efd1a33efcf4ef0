#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# An rtp stream mapping passes RTP and RTCP version 2 datagrams and drops
# anything else, counted per mapping and in the namespace's stats.
#
#      ns lan                    ns gw (rgm.ko)                    ns wan
#  10.0.0.2 udp 5004  <----  198.51.100.1 udp 40010  <----  203.0.113.7 (server)
#                            stream rtp, server 203.0.113.7
#
. "$(dirname "$0")/lib.sh"

require_rgm
topo_setup

udp_echo "$NS_LAN" $LAN1 5004 "$TMPD/lan" || bail "udp listener 10.0.0.2:5004"
map_add proto udp stream rtp global $GLOBAL:40010 local $LAN1:5004 server $SERVER lease 120
check "rgmctl mapping add stream rtp" [ $? = 0 ]
check_eq "the mapping is listed as rtp" rtp "$(map_field udp 40010 stream)"

# received LOG as hex, like udp_send_hex prints
hexlog() { od -An -tx1 "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

rtp="80 60 00 01 00 00 00 64 12 34 56 78 de ad be ef"
rtcp="81 c8 00 06 12 34 56 78 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05"

reply=$(udp_send_hex "$NS_WAN" $SERVER 6000 $GLOBAL 40010 "$rtp")
check_eq "rtp: an RTP v2 packet goes through and back" "$rtp" "$reply"
check_eq "rtp: the LAN host got exactly it" "$rtp" "$(hexlog "$TMPD/lan")"
reply=$(udp_send_hex "$NS_WAN" $SERVER 6000 $GLOBAL 40010 "$rtcp")
check_eq "rtp: an RTCP v2 sender report goes through" "$rtcp" "$reply"

drops=$(rgm_stat drop_not_rtp)
: >"$TMPD/lan"
# on a new flow
reply=$(udp_send "$NS_WAN" $SERVER 6002 $GLOBAL 40010 "hello, not rtp")
check_eq "rtp: a text datagram on a new flow is dropped" "" "$reply"
# on the flow that already carried RTP: checked per datagram
reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40010 "hello again")
check_eq "rtp: a text datagram on the established flow is dropped" "" "$reply"
reply=$(udp_send_hex "$NS_WAN" $SERVER 6000 $GLOBAL 40010 \
	"40 60 00 01 00 00 00 64 12 34 56 78 de ad be ef")
check_eq "rtp: RTP version 1 is dropped" "" "$reply"
reply=$(udp_send_hex "$NS_WAN" $SERVER 6000 $GLOBAL 40010 "80 60 00")
check_eq "rtp: a datagram shorter than any RTP header is dropped" "" "$reply"
check_eq "rtp: none of them reached the LAN" 0 "$(bytes "$TMPD/lan")"
check_ge "stats: drop_not_rtp counts the four" $((drops + 4)) "$(rgm_stat drop_not_rtp)"
check_ge "the mapping counts its drops" 4 "$(map_field udp 40010 drops)"

# and RTP still flows after the garbage
reply=$(udp_send_hex "$NS_WAN" $SERVER 6000 $GLOBAL 40010 "$rtp")
check_eq "rtp: RTP still passes afterwards" "$rtp" "$reply"

# a plain udp mapping does not care
udp_echo "$NS_LAN" $LAN1 5006 "$TMPD/lan-plain" || bail "udp listener 10.0.0.2:5006"
map_add proto udp global $GLOBAL:40012 local $LAN1:5006 server $SERVER lease 120
reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40012 "plain text")
check_eq "udp stream: any payload passes" "plain text" "$reply"
