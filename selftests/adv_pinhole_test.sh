#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Payload-made pinholes and port shadowing (Documentation/security.rst,
# "Data path"). The gateway masquerades its LAN (any source port) and has
# Debian's SIP conntrack and NAT helpers loaded and assigned to port 5060.
# Its masquerade keeps LAN source ports out of the managed range, as
# Documentation/design.rst tells gateways to.
#
#  - SIP INVITE over UDP from a LAN host whose SDP names a media port in
#    the managed range, a NAT-slipstreaming REGISTER (an HTTP POST whose
#    second TCP segment is a SIP REGISTER with a Contact port in the
#    range), and an H.225.0 RAS RegistrationRequest (nf_conntrack_h323 and
#    nf_nat_h323 loaded) whose callSignalAddress names a port in the range:
#    no conntrack expectation is left on the managed range (rgm.ko removes
#    them, kmod/rgm_expect.c), a WAN packet to those ports does not reach
#    the LAN, and no rgm mapping appears.
#  - Port shadowing: with a mapping udp 40600 -> 10.0.0.2:5004 for server
#    203.0.113.7:6000, LAN host 10.0.0.3 first sends from port 40600 to
#    that server, hoping masquerade gives its flow the reply tuple the
#    server will use. The server's stream must still reach 10.0.0.2, never
#    10.0.0.3. The same attack against a masquerade that may use the
#    managed range (what design.rst warns against) is run too, and its
#    outcome printed as a figure, not asserted: rgm.ko does not stop it.

. "$(dirname "$0")/lib.sh"

require_rgm
require nft conntrack timeout
topo_setup
for m in nf_conntrack_sip nf_nat_sip nf_conntrack_h323 nf_nat_h323; do
	modprobe "$m" 2>/dev/null || { skip "payload pinholes" "no $m module"; exit 0; }
done
nsx "$NS_GW" nft -f - <<EOF || bail "masquerade, SIP and H.323 helpers on the gateway"
table ip adv {
	ct helper sip-udp { type "sip" protocol udp; }
	ct helper sip-tcp { type "sip" protocol tcp; }
	ct helper ras { type "RAS" protocol udp; }
	chain pre {
		type filter hook prerouting priority filter;
		udp dport 5060 ct helper set "sip-udp"
		tcp dport 5060 ct helper set "sip-tcp"
		udp dport 1719 ct helper set "ras"
	}
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "gwwan" ip saddr 10.0.0.0/24 meta l4proto { tcp, udp } masquerade to :1024-39999
		oifname "gwwan" ip saddr 10.0.0.0/24 masquerade
	}
}
EOF
MAL=0
EXPECTS=0
n_expect() {	# expectations whose tuple is on the global address, managed range
	nsx "$NS_GW" conntrack -L expect 2>/dev/null |
		grep -oE "dst=$GLOBAL sport=[0-9]+ dport=[0-9]+" |
		awk -F'dport=' -v lo=$PORT_MIN -v hi=$PORT_MAX '$2 >= lo && $2 <= hi' | wc -l
}
no_expect() { [ "$(n_expect)" = 0 ]; }
# The helpers' expectations as they come and go: proof that each payload
# did make its helper expect a connection on the managed range (so the
# check below would fail without rgm.ko removing it).
bg nsx "$NS_GW" stdbuf -oL conntrack -E expect >"$TMPD/expect-events.log" 2>/dev/null
sleep 0.5
n_expect_made() {	# NEW events on the global address, port PORT
	grep -cE "^ *\[NEW\].* dst=$GLOBAL sport=[0-9]+ dport=$1( |$)" "$TMPD/expect-events.log"
}
expect_made() { [ "$(n_expect_made "$1")" -ge 1 ]; }
# check_no_expect NAME: none left on the managed range. rgm.ko removes them
# from a work item queued by the helper's packet: give it a moment.
check_no_expect() {	# NAME PORT
	wait_until 5 expect_made "$2"
	check_ge "$1: the helper did expect a connection to port $2" 1 "$(n_expect_made "$2")"
	wait_until 5 no_expect
	local n; n=$(n_expect)
	check_eq "$1: no conntrack expectation on the managed range" 0 "$n"
	[ "$n" = 0 ] || nsx "$NS_GW" conntrack -L expect 2>/dev/null | sed 's/^/#   /'
	EXPECTS=$((EXPECTS + n))
}

# ---------------------------------------------------------------- SIP INVITE

SIPPY='
import socket, sys
proto, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sdp = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
       "m=audio %d RTP/AVP 0\r\n" % (src, src, port))
def msg(method, extra, body):
    return (("%s sip:bob@%s SIP/2.0\r\nVia: SIP/2.0/%s %s:5060;branch=z9hG4bK-%d\r\n"
             "From: <sip:alice@%s>;tag=1\r\nTo: <sip:bob@%s>\r\nCall-ID: adv-%d@%s\r\n"
             "CSeq: 1 %s\r\n%sContent-Length: %d\r\n\r\n%s") %
            (method, dst, proto.upper(), src, port, src, dst, port, src, method, extra,
             len(body), body)).encode()
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 5060))
    s.sendto(msg("INVITE", "Contact: <sip:alice@%s:5060>\r\nContent-Type: application/sdp\r\n" % src, sdp),
             (dst, 5060))
else:
    # NAT slipstreaming: an HTTP POST whose body, cut at a segment boundary,
    # is a SIP REGISTER naming a Contact port of our choice
    s = socket.create_connection((dst, 5060), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: 600\r\n\r\n" % dst.encode())
    import time; time.sleep(0.3)
    s.sendall(msg("REGISTER", "Contact: <sip:alice@%s:%d;transport=tcp>\r\nExpires: 3600\r\n" % (src, port), ""))
    time.sleep(0.5)
'
bg nsx "$NS_WAN" socat -u TCP-LISTEN:5060,bind=$SERVER,reuseaddr,fork OPEN:/dev/null
wait_listen "$NS_WAN" tcp 5060
udp_echo "$NS_LAN" $LAN1 40123 "$TMPD/rtp.log" || bail "LAN listener on 40123"
tcp_echo "$NS_LAN" $LAN1 40224 "$TMPD/sig.log" || bail "LAN listener on 40224"

MAL=$((MAL + 1))
nsx "$NS_LAN" "$PYTHON" -S -c "$SIPPY" udp $LAN1 $SERVER 40123
sleep 0.5
check_no_expect "SIP INVITE (media port 40123)" 40123
out=$(udp_send "$NS_WAN" $SERVER 40000 $GLOBAL 40123 pinhole)
check_eq "SIP INVITE: the WAN's datagram to the SDP port does not reach the LAN" "" "$out"
check "SIP INVITE: the LAN listener got nothing" stays "$TMPD/rtp.log" 1
# nf_nat_sip may have moved the expectation to another port: try them all
for p in $(nsx "$NS_GW" conntrack -L expect 2>/dev/null | grep -oE "dst=$GLOBAL sport=[0-9]+ dport=[0-9]+" |
	sed 's/.*dport=//'); do
	MAL=$((MAL + 1))
	out=$(udp_send "$NS_WAN" $SERVER 40000 $GLOBAL "$p" pinhole)
	check_eq "SIP INVITE: nothing comes back through expected port $p" "" "$out"
done

MAL=$((MAL + 1))
nsx "$NS_LAN" "$PYTHON" -S -c "$SIPPY" tcp $LAN1 $SERVER 40224 2>/dev/null
sleep 0.5
check_no_expect "NAT slipstreaming REGISTER (contact port 40224)" 40224
out=$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 40224 slipstream)
check_eq "slipstream: a WAN connection to the Contact port is not let in" "" "$out"
check "slipstream: the LAN listener got nothing" stays "$TMPD/sig.log" 1

# ---------------------------------------------------------------- H.323

# H.225.0 RAS RegistrationRequest in aligned PER (X.691), as a LAN endpoint
# registering with a WAN gatekeeper sends it: its callSignalAddress names
# the port the gatekeeper is to call back on. nf_conntrack_h323 expects a
# Q.931 connection from the gatekeeper there, and nf_nat_h323 moves it to
# the global address.
H323PY='
import socket, sys
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
bits = []
def put(v, n): bits.extend((v >> (n - 1 - i)) & 1 for i in range(n))
def align(): bits.extend([0] * (-len(bits) % 8))
def octets(data):
    align()
    for c in data: put(c, 8)
def taddr(ip, p):			# TransportAddress, alternative ipAddress
    put(0, 1); put(0, 3)		# no extension, alternative 0 of 7
    octets(socket.inet_aton(ip)); octets(p.to_bytes(2, "big"))
put(0, 1); put(3, 5)			# RasMessage: no extension, registrationRequest (3)
put(0, 1); put(0, 3)			# RRQ: no extensions, no optional field
octets((1 - 1).to_bytes(2, "big"))	# requestSeqNum 1 (1..65535)
oid = bytes([0x00, 0x08, 0x91, 0x4a, 0x00, 0x04])  # 0.0.8.2250.0.4, H.225.0 v4
octets([len(oid)]); octets(oid)		# protocolIdentifier
put(0, 1)				# discoveryComplete FALSE
octets([1]); taddr(src, port)		# callSignalAddress: one
octets([1]); taddr(src, 1719)		# rasAddress: one
put(0, 1); put(0, 6); put(0, 2)		# terminalType: no options, mc, undefinedNode
put(0, 1); put(0, 2); put(0, 1)		# endpointVendor, its H221NonStandard
octets([0xb5, 0x00]); octets((0x1234).to_bytes(2, "big"))  # t35 country, ext, maker
align()
pdu = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 1719))
s.sendto(pdu, (dst, 1719))
'
tcp_echo "$NS_LAN" $LAN1 40500 "$TMPD/q931.log" || bail "LAN listener on 40500"
MAL=$((MAL + 1))
nsx "$NS_LAN" "$PYTHON" -S -c "$H323PY" $LAN1 $SERVER 40500
# the helper saw it: the RAS conntrack got its helper and was NATed
nsx "$NS_GW" conntrack -L -p udp --dport 1719 2>/dev/null | sed 's/^/#   ras ct: /'
check_no_expect "H.323 RAS RRQ (call signalling port 40500)" 40500
out=$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 40500 q931)
check_eq "H.323: the gatekeeper's connection to the registered port is not let in" "" "$out"
check "H.323: the LAN listener got nothing" stays "$TMPD/q931.log" 1

check_eq "payloads made no rgm mapping" 0 "$(map_count)"
check_ge "the WAN probes were dropped by rgm.ko" 3 "$(rgm_stat drop_no_mapping)"
diag "adv: expectations-on-managed-range $EXPECTS"

# ---------------------------------------------------------------- shadowing

udp_echo "$NS_LAN" $LAN1 5004 "$TMPD/victim.log" || bail "victim listener"
udp_echo "$NS_LAN" $LAN2 40600 "$TMPD/shadow.log" || bail "shadowing listener"
map_add proto udp global $GLOBAL:40600 local $LAN1:5004 server $SERVER:6000 lease 600 ||
	bail "the victim's mapping"
MAL=$((MAL + 1))
udp_send "$NS_LAN" $LAN2 40600 $SERVER 6000 shadow >/dev/null
nsx "$NS_GW" conntrack -L -p udp --orig-src $LAN2 2>/dev/null | sed 's/^/#   shadow ct: /'
out=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40600 stream-1)
check_eq "shadowing: the server's datagram is answered" stream-1 "$out"
check_eq "shadowing: the mapping's host got it" 8 "$(bytes "$TMPD/victim.log")"
check_eq "shadowing: the shadowing host got none of it" 0 "$(bytes "$TMPD/shadow.log")"
# TCP: a LAN host holding the mapped port as its source port cannot take
# the server's connection either
tcp_echo "$NS_LAN" $LAN1 8080 "$TMPD/victim-tcp.log"
map_add proto tcp global $GLOBAL:40601 local $LAN1:8080 server $SERVER lease 600
MAL=$((MAL + 1))
# the shadow's connection first (refused by the server: its conntrack entry
# stays), then it listens on that port
tcp_send "$NS_LAN" $LAN2 40601 $SERVER 6001 shadow >/dev/null
tcp_echo "$NS_LAN" $LAN2 40601 "$TMPD/shadow-tcp.log"
out=$(tcp_send "$NS_WAN" $SERVER 6001 $GLOBAL 40601 tcp-1)
check_eq "shadowing: the server's TCP connection reaches the mapping's host" tcp-1 "$out"
check_eq "shadowing: the shadowing TCP host got none of it" 0 "$(bytes "$TMPD/shadow-tcp.log")"

# The caveat: masquerade allowed into the managed range. Not asserted.
nsx "$NS_GW" nft flush chain ip adv post
nsx "$NS_GW" nft add rule ip adv post oifname gwwan ip saddr 10.0.0.0/24 masquerade
udp_echo "$NS_LAN" $LAN2 40610 "$TMPD/shadow2.log"
: >"$TMPD/victim.log"
map_add proto udp global $GLOBAL:40610 local $LAN1:5004 server $SERVER:6000 lease 600
udp_send "$NS_LAN" $LAN2 40610 $SERVER 6000 shadow >/dev/null
udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40610 stream-2 >/dev/null
diag "masquerade over the managed range (design.rst warns against it): the shadowing" \
	"host got $(bytes "$TMPD/shadow2.log") bytes, the mapping's host $(bytes "$TMPD/victim.log")"
MAL=$((MAL + 1))

diag "adv: hostile-requests $MAL"
diag "adv: wrong-mappings $(( $(map_count) - 3 ))"
