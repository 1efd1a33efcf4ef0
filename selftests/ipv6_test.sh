#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 pinholes: nothing translated, only what a pinhole names gets in,
# with the guarantees of an IPv4 mapping (server filter, stream type,
# counters, lease, removal cuts the flow) and path MTU discovery working.
#
#   ns lan                       ns gw (rgm.ko, ip6 forward policy drop)   ns wan
#   2001:db8:1::2 udp 45000 <-- pinhole udp [2001:db8:1::2]:45000 <--- 2001:db8:2::7 (server)
#   2001:db8:1::2 tcp 45010 <-- pinhole tcp, server 2001:db8:2::7   <--- 2001:db8:2::66 (attacker)
#   2001:db8:1::2 udp 45020 <-- pinhole udp stream rtp
#   2001:db8:1::2 tcp 45030 <-- pinhole tcp, deleted under a stream
#   2001:db8:1::2 udp 45040 <-- pinhole udp, lease 6 s, expires under a stream
#   2001:db8:1::2 udp 45050 <-- pinhole udp: ICMPv6 packet too big for its flow
#   routes: lan default via 2001:db8:1::1; wan 2001:db8:1::/64 via 2001:db8:ff::1
#
. "$(dirname "$0")/lib.sh"

require_rgm
require conntrack nft
[ "$RGM_DATAPLANE" = kmod ] || { skip "ipv6 pinholes" "rgm.ko only"; exit 0; }
topo_setup
topo_ipv6

# tcp6_send NS SRC DST DPORT DATA: one connection, prints the reply.
tcp6_send() {
	printf '%s' "$5" | nsx "$1" timeout 15 socat -t "$REPLY_WAIT" -T 8 - \
		"TCP6:[$3]:$4,bind=[$2],connect-timeout=3" 2>/dev/null
}

# udp6_stream SPORT DPORT, tcp6_stream DPORT: as udp_stream / tcp_stream,
# from $SERVER6 to $LAN6_1.
udp6_stream() {
	bg setsid ip netns exec "$NS_WAN" bash -c "while :; do echo udp6-line; sleep 0.2; done |
		socat -u - 'UDP6-SENDTO:[$LAN6_1]:$2,bind=[$SERVER6]:$1' 2>/dev/null"
	STREAM_PID=$BG_PID
}
tcp6_stream() {
	bg setsid ip netns exec "$NS_WAN" bash -c "while :; do echo tcp6-line; sleep 0.2; done |
		socat -u - 'TCP6:[$LAN6_1]:$1,bind=[$SERVER6],connect-timeout=3' 2>/dev/null"
	STREAM_PID=$BG_PID
}

# pinhole_field PROTO PORT FIELD: FIELD of the pinhole on [$LAN6_1]:PORT
pinhole_field() {
	gwctl -j mapping show 2>/dev/null | jq -r --arg p "$1" --argjson g "$2" --arg f "$3" \
		--arg a "$LAN6_1" '.[] | select(.family == "inet6" and .proto == $p and
		.global_port == $g and .global_addr == $a) | .[$f]' | head -n1
}

# ct6_count PROTO PORT [STATE]: gateway IPv6 conntrack entries to $LAN6_1 PORT
ct6_count() {
	nsx "$NS_GW" conntrack -L -f ipv6 -p "$1" -d $LAN6_1 --dport "$2" 2>/dev/null |
		grep -c "${3:-.}" || true
}

# refused WHAT TEXT ARGS...: rgmctl ARGS fails with exit 1 and TEXT
refused() {
	local what=$1 text=$2 out rc; shift 2
	out=$(gwctl "$@" 2>&1 >/dev/null); rc=$?
	check_eq "$what: refused (exit 1)" 1 "$rc"
	if [[ "$out" == *"$text"* ]]; then
		ok "$what: says \"$text\""
	else
		not_ok "$what: says \"$text\""
		diag "rgmctl said: $out"
	fi
}

# ---- configuration
check_eq "config show -j: the LAN prefix" "[\"$LAN6_PREFIX\"]" \
	"$(gwctl -j config show | jq -c '.lan6_prefixes')"
check_eq "config show: the LAN prefix in text" 1 \
	"$(gwctl config show | grep -c "lan6 $LAN6_PREFIX")"

# ---- bad input, each with the kernel's message
P="proto udp lease 60"
refused "link-local local address" "RGM_MAP_A_LOCAL_ADDR6 must not be a link-local address" \
	mapping add $P local '[fe80::2]:45000'
refused "multicast local address" "RGM_MAP_A_LOCAL_ADDR6 must not be a multicast address" \
	mapping add $P local '[ff02::1]:45000'
refused "v4-mapped local address" "RGM_MAP_A_LOCAL_ADDR6 must not be a v4-mapped address" \
	mapping add $P local '[::ffff:10.0.0.2]:45000'
refused "unspecified local address" "RGM_MAP_A_LOCAL_ADDR6 must not be the unspecified address" \
	mapping add $P local '[::]:45000'
refused "loopback local address" "RGM_MAP_A_LOCAL_ADDR6 must not be a loopback address" \
	mapping add $P local '[::1]:45000'
refused "local address outside the LAN prefix" \
	"RGM_MAP_A_LOCAL_ADDR6 is not inside a configured LAN prefix" \
	mapping add $P local '[2001:db8:9::2]:45000'
refused "the gateway's WAN address" \
	"RGM_MAP_A_LOCAL_ADDR6 is not inside a configured LAN prefix" \
	mapping add $P local "[$GW_WAN6]:45000"
refused "global address other than the local one" \
	"RGM_MAP_A_GLOBAL_ADDR6 must equal RGM_MAP_A_LOCAL_ADDR6" \
	mapping add $P local "[$LAN6_1]:45000" global "[$LAN6_2]:45000"
refused "global port other than the local one" \
	"RGM_MAP_A_GLOBAL_PORT must equal RGM_MAP_A_LOCAL_PORT" \
	mapping add $P local "[$LAN6_1]:45000" global "[$LAN6_1]:45001"
refused "port outside the managed range" \
	"RGM_MAP_A_LOCAL_PORT is outside the managed port range" \
	mapping add $P local "[$LAN6_1]:5000"
refused "multicast server" "RGM_MAP_A_SERVER_ADDR6 must not be a multicast address" \
	mapping add $P local "[$LAN6_1]:45000" server '[ff0e::1]'
refused "link-local LAN prefix" "RGM_CFG_A_ADDR6 must not be a link-local address" \
	config set lan6 fe80::/64
refused "LAN prefix with host bits" "RGM_CFG_A_ADDR6 has bits set past RGM_CFG_A_PREFIX_LEN" \
	config set lan6 2001:db8:1::5/64
gwctl mapping add $P local "[$LAN6_1]:45000" global "$GLOBAL:45000" >/dev/null 2>&1
check_eq "rgmctl: an IPv4 global for an IPv6 local is a usage error (exit 2)" 2 $?
check_eq "nothing of that was installed" 0 "$(map_count)"

# ---- UDP: only the named server reaches the named port
udp_echo "$NS_LAN" $LAN6_1 45000 "$TMPD/udp" || bail "udp listener [$LAN6_1]:45000"
udp_echo "$NS_LAN" $LAN6_1 45001 "$TMPD/udp-other" || bail "udp listener [$LAN6_1]:45001"
udp_echo "$NS_LAN" $LAN6_1 5000 "$TMPD/udp-unmanaged" || bail "udp listener [$LAN6_1]:5000"
gwctl -j mapping add proto udp local "[$LAN6_1]:45000" server "[$SERVER6]" lease 300 \
	>"$TMPD/add.json"
check "pinhole udp [$LAN6_1]:45000 installs" [ $? = 0 ]
check_eq "its global endpoint is its local one" "$LAN6_1 45000 inet6" \
	"$(jq -r '.[0] | "\(.global_addr) \(.global_port) \(.family)"' "$TMPD/add.json")"
check_eq "udp: the server's datagram gets through and its echo back" "v6-hello" \
	"$(udp_send "$NS_WAN" $SERVER6 6000 $LAN6_1 45000 "v6-hello")"
ws=$(rgm_stat drop_wrong_server)
check_eq "udp: another WAN host is dropped" "" \
	"$(udp_send "$NS_WAN" $ATTACKER6 6000 $LAN6_1 45000 "intruder")"
check_eq "udp: and counted as wrong server" $((ws + 1)) "$(rgm_stat drop_wrong_server)"
check_eq "udp: the pinhole counts the drop" 1 "$(pinhole_field udp 45000 drops)"
nm=$(rgm_stat drop_no_mapping)
check_eq "udp: a managed port without pinhole is dropped" "" \
	"$(udp_send "$NS_WAN" $SERVER6 6000 $LAN6_1 45001 "unsolicited")"
check_eq "udp: and counted as no mapping" $((nm + 1)) "$(rgm_stat drop_no_mapping)"
check_eq "udp: the same port on the other LAN host is dropped" "" \
	"$(udp_send "$NS_WAN" $SERVER6 6000 $LAN6_2 45000 "other-host")"
check_eq "udp: a port outside the range is left to the operator's policy (drop)" "" \
	"$(udp_send "$NS_WAN" $SERVER6 6000 $LAN6_1 5000 "unmanaged")"
check_eq "udp: nothing unsolicited reached the LAN" "0 0" \
	"$(bytes "$TMPD/udp-other") $(bytes "$TMPD/udp-unmanaged")"
check_ge "udp: packets in counted" 1 "$(pinhole_field udp 45000 packets_in)"
check_ge "udp: packets out counted" 1 "$(pinhole_field udp 45000 packets_out)"
check "the new flow was accepted by the forward chain's \"ct label 127\" rule" \
	sh -c "ip netns exec $NS_GW nft list chain ip6 filter forward |
		grep -q 'ct label 127 counter packets [1-9]'"
check_eq "get by key" "$LAN6_1" \
	"$(gwctl -j mapping show proto udp global "[$LAN6_1]:45000" | jq -r '.[0].local_addr')"
check_eq "text shows the pinhole's endpoints" 1 \
	"$(gwctl mapping show | grep -c "global \[$LAN6_1\]:45000 local \[$LAN6_1\]:45000")"
gwctl mapping add proto udp local "[$LAN6_1]:45000" lease 60 >/dev/null 2>&1
check_eq "a second pinhole on the same key is refused (exit 1)" 1 $?

# ---- IPv4 next to it, in the same namespace
udp_echo "$NS_LAN" $LAN1 5004 "$TMPD/v4" || bail "udp listener $LAN1:5004"
map_add proto udp global $GLOBAL:40004 local $LAN1:5004 lease 300 || bail "mapping add ipv4"
check_eq "ipv4: a mapping still translates next to the pinholes" "v4-ok" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40004 "v4-ok")"

# ---- TCP
tcp_echo "$NS_LAN" $LAN6_1 45010 "$TMPD/tcp" || bail "tcp listener [$LAN6_1]:45010"
map_add proto tcp local "[$LAN6_1]:45010" server "[$SERVER6]" lease 300 ||
	bail "pinhole tcp 45010"
check_eq "tcp: the server connects and gets its echo" "v6-tcp" \
	"$(tcp6_send "$NS_WAN" $SERVER6 $LAN6_1 45010 "v6-tcp")"
check_eq "tcp: another WAN host cannot connect" "" \
	"$(tcp6_send "$NS_WAN" $ATTACKER6 $LAN6_1 45010 "intruder")"
check_eq "tcp: the LAN host saw only the server's bytes" "v6-tcp" "$(cat "$TMPD/tcp")"

# ---- RTP
udp_echo "$NS_LAN" $LAN6_1 45020 "$TMPD/rtp" || bail "udp listener [$LAN6_1]:45020"
map_add proto udp stream rtp local "[$LAN6_1]:45020" lease 300 || bail "pinhole rtp 45020"
nr=$(rgm_stat drop_not_rtp)
check_eq "rtp: a datagram that is not RTP is dropped" "" \
	"$(udp_send "$NS_WAN" $SERVER6 6020 $LAN6_1 45020 "plain text, not rtp")"
check_eq "rtp: counted as not RTP" $((nr + 1)) "$(rgm_stat drop_not_rtp)"
rtp="80 60 00 01 00 00 00 64 12 34 56 78 ca fe"
check_eq "rtp: an RTP packet passes" "$rtp" \
	"$(udp_send_hex "$NS_WAN" $SERVER6 6020 $LAN6_1 45020 "$rtp")"
check_eq "rtp: plain UDP on the now established flow is dropped too" "" \
	"$(udp_send "$NS_WAN" $SERVER6 6020 $LAN6_1 45020 "plain again")"

# ---- deletion cuts an established TCP stream
tcp_echo "$NS_LAN" $LAN6_1 45030 "$TMPD/tcp-del" || bail "tcp listener [$LAN6_1]:45030"
map_add proto tcp local "[$LAN6_1]:45030" server "[$SERVER6]" lease 300 ||
	bail "pinhole tcp 45030"
tcp6_stream 45030
check "tcp stream: flows through the pinhole" grows "$TMPD/tcp-del" 5
check_eq "tcp stream: one established conntrack entry" 1 "$(ct6_count tcp 45030 ESTABLISHED)"
gwctl mapping del proto tcp global "[$LAN6_1]:45030" >/dev/null
check "mapping del by key" [ $? = 0 ]
check_eq "tcp stream: its conntrack entry is gone when del returns" 0 \
	"$(ct6_count tcp 45030 ESTABLISHED)"
check "tcp stream: stops" stays "$TMPD/tcp-del" 2
stream_stop "$STREAM_PID"

# ---- lease expiry closes a UDP stream
udp_echo "$NS_LAN" $LAN6_1 45040 "$TMPD/lease" || bail "udp listener [$LAN6_1]:45040"
map_add proto udp local "[$LAN6_1]:45040" server "[$SERVER6]:6040" lease 6 ||
	bail "pinhole udp 45040"
exp=$(rgm_stat expired)
udp6_stream 6040 45040
check "udp stream: flows through the pinhole" grows "$TMPD/lease" 5
check "udp stream: the pinhole expires" wait_until 15 \
	sh -c "[ \"\$(ip netns exec $NS_GW rgmctl -j mapping show | jq 'map(select(.local_port == 45040)) | length')\" = 0 ]"
check_eq "stats: expired counts it" $((exp + 1)) "$(rgm_stat expired)"
check_eq "udp stream: its conntrack entry is gone" 0 "$(ct6_count udp 45040)"
check "udp stream: stops" stays "$TMPD/lease" 2
stream_stop "$STREAM_PID"

# ---- ICMPv6 packet too big for an open flow reaches the LAN host
# ptb SRC DST MTU ISRC ISPORT IDST IDPORT: from SRC (a router on the path)
# to DST, about a UDP datagram ISRC:ISPORT -> IDST:IDPORT that was too big.
ptb() {
	nsx "$NS_WAN" "$PYTHON" -S -c '
import socket, struct, sys
src, dst, mtu, isrc, isport, idst, idport = sys.argv[1:8]
body = b"x" * 1300
udp = struct.pack("!HHHH", int(isport), int(idport), 8 + len(body), 0) + body
ip6 = (struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) +
       socket.inet_pton(socket.AF_INET6, isrc) + socket.inet_pton(socket.AF_INET6, idst))
msg = struct.pack("!BBHI", 2, 0, 0, int(mtu)) + (ip6 + udp)[:1232]
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.bind((src, 0))
s.sendto(msg, (dst, 0))
' "$@"
}
# path MTU the LAN host has for DST ("" if none learnt)
lan_pmtu() {
	nsx "$NS_LAN" ip -6 route get "$1" from $LAN6_1 2>/dev/null |
		sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}
udp_echo "$NS_LAN" $LAN6_1 45050 "$TMPD/pmtu" || bail "udp listener [$LAN6_1]:45050"
map_add proto udp local "[$LAN6_1]:45050" server "[$SERVER6]:6050" lease 300 ||
	bail "pinhole udp 45050"
check_eq "pmtu: the flow is open" "pmtu" \
	"$(udp_send "$NS_WAN" $SERVER6 6050 $LAN6_1 45050 "pmtu")"
# first one about a flow nobody opened: the operator's policy drops it
ptb $WAN_LINK6 $LAN6_1 1400 $LAN6_1 45050 $ATTACKER6 6050
sleep 0.5
check_eq "pmtu: packet too big about a flow that is not open does not get in" "" \
	"$(lan_pmtu $ATTACKER6)"
ptb $WAN_LINK6 $LAN6_1 1300 $LAN6_1 45050 $SERVER6 6050
check "pmtu: packet too big about the open flow reaches the LAN host (route mtu 1300)" \
	wait_until 3 sh -c "ip netns exec $NS_LAN ip -6 route get $SERVER6 from $LAN6_1 | grep -q 'mtu 1300'"

# ---- the LAN prefix cannot go while a pinhole uses it
refused "dropping the LAN prefix under a pinhole" \
	"RGM_CFG_A_LAN6_PREFIXES drops the prefix of an installed pinhole" config set lan6 none

# ---- flush, then nothing gets in
gwctl mapping del all >/dev/null
check "mapping del all" [ $? = 0 ]
check_eq "after the flush the server's datagram is dropped" "" \
	"$(udp_send "$NS_WAN" $SERVER6 6000 $LAN6_1 45000 "after-flush")"
check_eq "and no IPv6 conntrack entry to the LAN host is left on managed ports" 0 \
	"$(nsx "$NS_GW" conntrack -L -f ipv6 -d $LAN6_1 2>/dev/null | grep -c 'dport=4[0-9]\{4\} ' || true)"
gwctl config set lan6 none
check "the LAN prefix can go once no pinhole uses it" [ $? = 0 ]
