# SPDX-License-Identifier: GPL-2.0
#
# Shared by selftests/*_test.sh (sourced, not run): TAP output, the
# LAN / gateway / WAN topology in fresh network namespaces, socat traffic
# helpers, rgmctl helpers, and a cleanup trap that leaves no namespace,
# process or temporary file behind whatever way the test ends.
#
#      ns $NS_LAN                 ns $NS_GW                     ns $NS_WAN
#  +----------------+     +-----------------------+     +--------------------+
#  | 10.0.0.2/24    |     | 10.0.0.1/24           |     | 198.51.100.254/24  |
#  | 10.0.0.3/24    |     |        (rgm.ko)       |     | 203.0.113.7/24     |
#  |  (2nd host)    |     |       198.51.100.1/24 |     | 203.0.113.66/24    |
#  |          lan0 -+-----+- gwlan   gwwan -------+-----+- wan0  ("attacker")|
#  | default via    |     | ip_forward=1          |     | 10.0.0.0/24 via    |
#  |   10.0.0.1     |     | 203.0.113.0/24 via    |     |   198.51.100.1     |
#  +----------------+     |   198.51.100.254      |     +--------------------+
#                         +-----------------------+
#
# The gateway's rgm configuration: global 198.51.100.1, ports 40000-49999.
#
# RGM_DATAPLANE picks what the gateway runs: kmod (default, rgm.ko, in the
# VM) or nftables (table ip rgm, any kernel: tests/dp_nft_test.sh runs the
# behavioural tests that way on the host). Every rgmctl the tests call
# uses it. With nftables, an events handle (rgmctl monitor, standing in for
# rgmd) runs in the gateway: it is what removes the conntrack entries of
# expired mappings there (Documentation/dataplanes.rst).
# Nothing here reads dmesg: run.sh checks the kernel log once at the end.

set -u

RGM_TOP=${RGM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export PATH="$RGM_TOP/ctl/rgmctl:$PATH"

LAN1=10.0.0.2
LAN2=10.0.0.3
GW_LAN=10.0.0.1
GLOBAL=198.51.100.1
WAN_LINK=198.51.100.254
SERVER=203.0.113.7
ATTACKER=203.0.113.66
PORT_MIN=40000
PORT_MAX=49999

# Unique names: tests may run while another instance's namespaces exist.
_rgm_id=$$-$RANDOM
NS_LAN=rgm-lan-$_rgm_id
NS_GW=rgm-gw-$_rgm_id
NS_WAN=rgm-wan-$_rgm_id
_rgm_netns=()
_rgm_bg=()
TMPD=$(mktemp -d /tmp/rgm-selftest.XXXXXX)

RGM_DATAPLANE=${RGM_DATAPLANE:-kmod}
if [ "$RGM_DATAPLANE" != kmod ]; then
	# rgmctl, wherever a test calls it, talks to this dataplane
	mkdir -p "$TMPD/bin"
	printf '#!/bin/sh\nexec "%s" -D %s "$@"\n' "$RGM_TOP/ctl/rgmctl/rgmctl" \
		"$RGM_DATAPLANE" >"$TMPD/bin/rgmctl"
	chmod +x "$TMPD/bin/rgmctl"
	export PATH="$TMPD/bin:$PATH"
fi

# ---------------------------------------------------------------- TAP

_tap_n=0
_tap_fail=0

diag() { printf '# %s\n' "$*"; }

ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n $*"
}

skip() {	# skip NAME REASON
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $1 # SKIP $2"
}

# check NAME CMD...: one TAP line from CMD's exit status; returns 1 after
# not ok, so that `check ... || sed ... log` prints its diagnostics.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi
}

# check_eq NAME EXPECTED SEEN
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected '$2', seen '$3'"
	fi
}

# check_ge NAME MIN SEEN (integers)
check_ge() {
	if [[ "$3" =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected >= $2, seen '$3'"
	fi
}

# Fatal: the rest of the test cannot run. Records a failure and exits
# (the trap still cleans up and prints the plan).
bail() {
	not_ok "$*"
	exit 1
}

# ---------------------------------------------------------------- cleanup

_rgm_cleanup() {
	local rc=$? ns pids p
	trap - EXIT INT TERM HUP
	# Loops first, so they cannot start new processes in the namespaces.
	for p in "${_rgm_bg[@]}"; do
		kill "$p" 2>/dev/null
	done
	for ns in "${_rgm_netns[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
	done
	for p in "${_rgm_bg[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "${_rgm_netns[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMPD"
	[ -n "${RGM_DEMO:-}" ] && return "$rc"	# the demo borrows the set-up, not TAP
	echo "1..$_tap_n"
	if [ "$_tap_fail" -gt 0 ] || [ "$_tap_n" = 0 ]; then
		exit 1
	fi
	exit "$rc"
}
trap _rgm_cleanup EXIT
trap 'exit 1' INT TERM HUP

# bg CMD...: run CMD in the background, killed at cleanup. Sets BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	_rgm_bg+=("$BG_PID")
}

# ---------------------------------------------------------------- setup

require() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || { skip "requires $c" "$c not installed"; exit 0; }
	done
}

require_rgm() {
	require ip socat jq rgmctl "$PYTHON"
	diag "dataplane: $RGM_DATAPLANE"
	if [ "$RGM_DATAPLANE" = kmod ]; then
		[ -d /sys/module/rgm ] || bail "rgm.ko is loaded"
	else
		require nft conntrack
	fi
}

netns_add() {
	ip netns add "$1" || bail "create netns $1"
	_rgm_netns+=("$1")
	ip -n "$1" link set lo up
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# rgmctl in the gateway namespace
gwctl() { ip netns exec "$NS_GW" rgmctl "$@"; }

# topo_setup: the three namespaces above, rgm configured on the gateway.
topo_setup() {
	netns_add "$NS_LAN"
	netns_add "$NS_GW"
	netns_add "$NS_WAN"

	ip link add lan0 netns "$NS_LAN" type veth peer name gwlan netns "$NS_GW" ||
		bail "veth lan0/gwlan"
	ip link add wan0 netns "$NS_WAN" type veth peer name gwwan netns "$NS_GW" ||
		bail "veth wan0/gwwan"

	ip -n "$NS_LAN" addr add $LAN1/24 dev lan0
	ip -n "$NS_LAN" addr add $LAN2/24 dev lan0
	ip -n "$NS_LAN" link set lan0 up
	ip -n "$NS_LAN" route add default via $GW_LAN

	ip -n "$NS_GW" addr add $GW_LAN/24 dev gwlan
	ip -n "$NS_GW" addr add $GLOBAL/24 dev gwwan
	ip -n "$NS_GW" link set gwlan up
	ip -n "$NS_GW" link set gwwan up
	ip -n "$NS_GW" route add 203.0.113.0/24 via $WAN_LINK
	nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
	nsx "$NS_GW" sysctl -qw net.ipv4.conf.all.rp_filter=0
	nsx "$NS_GW" sysctl -qw net.ipv4.conf.default.rp_filter=0

	ip -n "$NS_WAN" addr add $WAN_LINK/24 dev wan0
	ip -n "$NS_WAN" addr add $SERVER/24 dev wan0
	ip -n "$NS_WAN" addr add $ATTACKER/24 dev wan0
	ip -n "$NS_WAN" link set wan0 up
	ip -n "$NS_WAN" route add 10.0.0.0/24 via $GLOBAL

	gwctl config set global $GLOBAL ports $PORT_MIN-$PORT_MAX ||
		bail "rgmctl config set global $GLOBAL ports $PORT_MIN-$PORT_MAX"
	if [ "$RGM_DATAPLANE" != kmod ]; then
		bg nsx "$NS_GW" rgmctl -j monitor >"$TMPD/agent-events" 2>&1
	fi
}

# topo_ipv6: IPv6 on top of topo_setup, routed, no NAT (the addresses
# below), the operator's IPv6 forward policy in the gateway, and rgm's LAN
# prefix. Pinholes are then opened to $LAN6_1 / $LAN6_2.
#
#   ns lan 2001:db8:1::2, ::3      ns gw (rgm.ko)            ns wan
#   default via 2001:db8:1::1  --  gwlan 2001:db8:1::1/64
#                                  gwwan 2001:db8:ff::1/64 -- wan0 2001:db8:ff::fe/64
#                                  2001:db8:2::/64 via ::fe    2001:db8:2::7 (server)
#                                                              2001:db8:2::66 (attacker)
#                                                              2001:db8:1::/64 via ff::1
LAN6_PREFIX=2001:db8:1::/64
LAN6_1=2001:db8:1::2
LAN6_2=2001:db8:1::3
GW_LAN6=2001:db8:1::1
GW_WAN6=2001:db8:ff::1
WAN_LINK6=2001:db8:ff::fe
SERVER6=2001:db8:2::7
ATTACKER6=2001:db8:2::66

topo_ipv6() {
	local ns
	for ns in "$NS_LAN" "$NS_GW" "$NS_WAN"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0
		nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0
	done
	ip -n "$NS_LAN" addr add $LAN6_1/64 dev lan0 nodad
	ip -n "$NS_LAN" addr add $LAN6_2/64 dev lan0 nodad
	ip -n "$NS_LAN" -6 route add default via $GW_LAN6
	ip -n "$NS_GW" addr add $GW_LAN6/64 dev gwlan nodad
	ip -n "$NS_GW" addr add $GW_WAN6/64 dev gwwan nodad
	ip -n "$NS_GW" -6 route add 2001:db8:2::/64 via $WAN_LINK6
	nsx "$NS_GW" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$NS_WAN" addr add $WAN_LINK6/64 dev wan0 nodad
	ip -n "$NS_WAN" addr add $SERVER6/64 dev wan0 nodad
	ip -n "$NS_WAN" addr add $ATTACKER6/64 dev wan0 nodad
	ip -n "$NS_WAN" -6 route add 2001:db8:1::/64 via $GW_WAN6
	# The operator's policy (Documentation/design.rst): replies and
	# related ICMPv6 errors, what rgm let through its pinholes (conntrack
	# label 127), the LAN's own traffic; nothing else from the WAN.
	nsx "$NS_GW" nft -f - <<-EOF || bail "ip6 forward policy in the gateway"
		table ip6 filter {
			chain forward {
				type filter hook forward priority filter; policy drop;
				ct state established,related accept
				ct label 127 counter accept
				iifname "gwlan" accept
			}
		}
	EOF
	gwctl config set lan6 $LAN6_PREFIX || bail "rgmctl config set lan6 $LAN6_PREFIX"
}

# ---------------------------------------------------------------- traffic

# wait_listen NS udp|tcp PORT: until a socket is bound to PORT in NS.
wait_listen() {
	local ns=$1 proto=$2 port=$3 i flag=-lnt
	[ "$proto" = udp ] && flag=-lnu
	for i in $(seq 1 100); do
		nsx "$ns" ss -H $flag "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	diag "nothing listens on $proto $port in $ns"
	return 1
}

# One small Python program does the listening and the UDP sending: a single
# process per listener (no fork per datagram, which is slow under TCG), and a
# sender that returns as soon as the reply is in.
RGM_PY='
import os, socket, sys, threading, select
cmd = sys.argv[1]
def family(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET
if cmd in ("udp-echo", "tcp-echo"):
    addr, port, log = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    lock = threading.Lock()
    def record(d):
        with lock:
            os.write(out, d)
    kind = socket.SOCK_DGRAM if cmd == "udp-echo" else socket.SOCK_STREAM
    s = socket.socket(family(addr), kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_DGRAM:
        while True:
            d, peer = s.recvfrom(65535)
            record(d)
            s.sendto(d, peer)
    def serve(c):
        c.settimeout(60)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                record(d)
                c.sendall(d)
        except OSError:
            pass
        c.close()
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
elif cmd == "udp-send":
    src, sport, dst, dport, wait, data = sys.argv[2:8]
    if data.startswith("hex:"):
        data = bytes.fromhex(data[4:])
    else:
        data = data.encode()
    try:
        s = socket.socket(family(dst), socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, int(sport)))
        s.connect((dst, int(dport)))   # only replies from dst:dport are accepted
    except OSError as e:
        # never let a local failure pass for "nothing came back"
        sys.stdout.write("<sender failed: %s>" % e)
        sys.exit(2)
    try:
        s.send(data)
        r, _, _ = select.select([s], [], [], float(wait))
        if r:
            d = s.recv(65535)
            sys.stdout.write(d.hex(" ") if sys.argv[7].startswith("hex:") else d.decode(errors="replace"))
    except ConnectionRefusedError:
        # an ICMP port unreachable matched our socket: something answered
        sys.stdout.write("<refused>")
'
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
rgm_py() { "$PYTHON" -S -c "$RGM_PY" "$@"; }

# udp_echo NS ADDR PORT LOG: every datagram to ADDR:PORT is appended to LOG
# and echoed back to its sender.
udp_echo() {
	: >"$4"
	bg nsx "$1" "$PYTHON" -S -c "$RGM_PY" udp-echo "$2" "$3" "$4"
	wait_listen "$1" udp "$3"
}

# tcp_echo NS ADDR PORT LOG: same for TCP connections.
tcp_echo() {
	: >"$4"
	bg nsx "$1" "$PYTHON" -S -c "$RGM_PY" tcp-echo "$2" "$3" "$4"
	wait_listen "$1" tcp "$3"
}

# How long a sender waits for a reply (s). A reply usually comes in well
# under a second, even under TCG; a dropped datagram costs the whole wait.
REPLY_WAIT=${REPLY_WAIT:-2}

# udp_send NS SRC SPORT DST DPORT DATA: sends DATA from SRC:SPORT to
# DST:DPORT on a connected socket and prints the reply, if one comes.
# A connected UDP socket only accepts datagrams from DST:DPORT, so a printed
# reply proves where it came from. An ICMP port unreachable that matches the
# socket prints "<refused>".
udp_send() {
	nsx "$1" timeout 20 "$PYTHON" -S -c "$RGM_PY" udp-send "$2" "$3" "$4" "$5" \
		"$REPLY_WAIT" "$6" 2>/dev/null
}

# udp_send_hex NS SRC SPORT DST DPORT HEX: same with a binary payload
# written as hex ("80 00 ..."); the reply is printed the same way.
udp_send_hex() {
	nsx "$1" timeout 20 "$PYTHON" -S -c "$RGM_PY" udp-send "$2" "$3" "$4" "$5" \
		"$REPLY_WAIT" "hex:$6" 2>/dev/null
}

# tcp_send NS SRC SPORT DST DPORT DATA: one connection, sends DATA and
# prints the reply. SPORT 0 lets the kernel choose.
tcp_send() {
	local ns=$1 src=$2 sport=$3 dst=$4 dport=$5 data=$6
	printf '%s' "$data" | nsx "$ns" timeout 15 socat -t "$REPLY_WAIT" -T 8 - \
		TCP:"$dst":"$dport",bind="$src":"$sport",reuseaddr,connect-timeout=3 2>/dev/null
}

# bytes FILE: its size, 0 if absent
bytes() { stat -c %s "$1" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- rgm state

# stat NAME: one counter of `rgmctl -j stats` in the gateway namespace.
# The key is matched loosely ("drop_no_mapping", "drop-no-mapping", ...).
rgm_stat() {
	local want=${1//[-_ ]/}
	gwctl -j stats 2>/dev/null | jq -r --arg w "$want" '
		(if type == "array" then .[0] else . end) as $s
		| [ ($s | paths(scalars)) as $p
		    | select(($p[-1] | tostring | gsub("[-_ ]"; "") | ascii_downcase) == ($w | ascii_downcase))
		    | $s | getpath($p) ] | first // "missing"'
}

# map_count: number of mappings the gateway lists.
map_count() {
	gwctl -j mapping show 2>/dev/null | jq -r '
		if type == "array" then length
		elif type == "object" and has("mappings") then (.mappings | length)
		else "invalid" end'
}

# map_field PROTO GPORT FIELD: FIELD of the mapping on GLOBAL:GPORT.
map_field() {
	gwctl -j mapping show 2>/dev/null | jq -r --arg p "$1" --argjson g "$2" --arg f "$3" '
		(if type == "array" then . else .mappings end)[]
		| select(.proto == $p and .global_port == $g) | .[$f]' | head -n1
}

# map_add ARGS...: rgmctl mapping add ARGS... in the gateway, quiet.
map_add() { gwctl mapping add "$@" >/dev/null; }

# conntrack_count PORT: gateway conntrack entries whose original tuple goes
# to the global address on PORT.
conntrack_count() {
	nsx "$NS_GW" conntrack -L -d $GLOBAL 2>/dev/null | grep -c "dport=$1 " || true
}

# ---------------------------------------------------------------- streams

# udp_stream SPORT DPORT: the server sends a line every 0.2 s from
# $SERVER:SPORT to $GLOBAL:DPORT until stream_stop or cleanup. An
# unconnected socket, so ICMP errors do not end it. In a process group of
# its own (STREAM_PID), so that stream_stop ends the loop and socat alike.
udp_stream() {
	bg setsid ip netns exec "$NS_WAN" bash -c "while :; do echo udp-stream-line; sleep 0.2; done |
		socat -u - UDP-SENDTO:$GLOBAL:$2,bind=$SERVER:$1 2>/dev/null"
	STREAM_PID=$BG_PID
}

# tcp_stream DPORT: one TCP connection from the server to $GLOBAL:DPORT,
# a line every 0.2 s.
tcp_stream() {
	bg setsid ip netns exec "$NS_WAN" bash -c "while :; do echo tcp-stream-line; sleep 0.2; done |
		socat -u - TCP:$GLOBAL:$1,bind=$SERVER,connect-timeout=3 2>/dev/null"
	STREAM_PID=$BG_PID
}

# stream_stop PID: ends a stream started above (its whole process group).
stream_stop() {
	kill -- -"$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# grows FILE SECONDS: does FILE grow within SECONDS? (returns as soon as
# it does: starting a stream takes a while under TCG)
grows() {
	local a i
	a=$(bytes "$1")
	for i in $(seq 1 $(( ${2%.*} * 5 ))); do
		sleep 0.2
		[ "$(bytes "$1")" -gt "$a" ] && return 0
	done
	diag "$1 stayed at $a bytes for $2 s"
	return 1
}

# stays FILE SECONDS: does FILE stay the same size for SECONDS? (after a
# short settling time for packets already in flight)
stays() {
	local a b
	sleep 0.3
	a=$(bytes "$1")
	sleep "$2"
	b=$(bytes "$1")
	[ "$b" = "$a" ] || { diag "$1 grew from $a to $b bytes"; return 1; }
}

# wait_until SECONDS CMD...: polls CMD every 0.2 s.
wait_until() {
	local end=$(( $(date +%s%N) + ${1%.*} * 1000000000 )); shift
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# ---------------------------------------------------------------- PKI

. "$RGM_TOP/selftests/pki.sh"

# ---------------------------------------------------------------- several gateways
#
# The whole deployment: servers on one WAN bridge, gateway I (1..8) with
# its own LAN behind it. topo_hub makes the WAN, topo_gw I adds a gateway.
#
#                               ns $NS_WAN, bridge wanbr
#   media 203.0.113.7   portal .10   confserver .20   stranger .66   198.51.100.254
#      |                                                                  |
#      +-- wanI ----------------------------------------------------------+
#          |
#   ns ${GWNS[I]}: gwwan 198.51.100.I (rgm.ko: global, ports 40000-49999)
#                  gwlan 10.0.(I-1).1        rgmd listens 198.51.100.I:8443
#          |
#   ns ${LANNS[I]}: lan0 10.0.(I-1).2, .3 (appliances), default via .1
#
# The WAN has no route to the LANs: only what a gateway maps gets in.

MEDIA=203.0.113.7
PORTAL=203.0.113.10
CONFSERVER=203.0.113.20
declare -a GWNS LANNS

topo_hub() {
	netns_add "$NS_WAN"
	nsx "$NS_WAN" ip link add wanbr type bridge || bail "bridge wanbr"
	nsx "$NS_WAN" ip link set wanbr up
	local a
	for a in $WAN_LINK $MEDIA $PORTAL $CONFSERVER $ATTACKER; do
		nsx "$NS_WAN" ip addr add $a/24 dev wanbr
	done
	# servers often share the bridge; no reverse-path surprises
	nsx "$NS_WAN" sysctl -qw net.ipv4.conf.all.rp_filter=0
}

# gw_global I, gw_lan I [HOST]: addresses of gateway I
gw_global() { echo "198.51.100.$1"; }
gw_lan() { echo "10.0.$(($1 - 1)).${2:-1}"; }

topo_gw() {
	local i=$1 g l
	GWNS[$i]=rgm-gw$i-$_rgm_id
	LANNS[$i]=rgm-lan$i-$_rgm_id
	g=${GWNS[$i]}; l=${LANNS[$i]}
	netns_add "$g"
	netns_add "$l"
	ip link add wan$i netns "$NS_WAN" type veth peer name gwwan netns "$g" ||
		bail "veth wan$i/gwwan"
	ip link add lan0 netns "$l" type veth peer name gwlan netns "$g" ||
		bail "veth lan0/gwlan for gateway $i"
	nsx "$NS_WAN" ip link set wan$i master wanbr up
	ip -n "$g" addr add "$(gw_global "$i")/24" dev gwwan
	ip -n "$g" addr add "$(gw_lan "$i")/24" dev gwlan
	ip -n "$g" link set gwwan up
	ip -n "$g" link set gwlan up
	ip -n "$g" route add default via $WAN_LINK
	nsx "$g" sysctl -qw net.ipv4.ip_forward=1
	nsx "$g" sysctl -qw net.ipv4.conf.all.rp_filter=0
	nsx "$g" sysctl -qw net.ipv4.conf.default.rp_filter=0
	ip -n "$l" addr add "$(gw_lan "$i" 2)/24" dev lan0
	ip -n "$l" addr add "$(gw_lan "$i" 3)/24" dev lan0
	ip -n "$l" link set lan0 up
	ip -n "$l" route add default via "$(gw_lan "$i")"
	nsx "$g" rgmctl config set global "$(gw_global "$i")" ports $PORT_MIN-$PORT_MAX ||
		bail "rgmctl config set on gateway $i"
	# What every home gateway does for its LAN's own connections (the
	# appliance talking to the portal). The source ports stay below the
	# range rgm manages, so the two never compete for a port.
	nsx "$g" nft -f - <<-EOF || bail "masquerade on gateway $i"
		table ip home {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "gwwan" ip saddr 10.0.0.0/8 meta l4proto { tcp, udp } masquerade to :1024-39999
				oifname "gwwan" ip saddr 10.0.0.0/8 masquerade
			}
		}
	EOF
}

# gwctl_n I ARGS...: rgmctl in gateway I
gwctl_n() { local i=$1; shift; ip netns exec "${GWNS[$i]}" rgmctl "$@"; }

# rgm_stat_n I NAME: one counter of gateway I (as rgm_stat)
rgm_stat_n() { NS_GW=${GWNS[$1]} rgm_stat "$2"; }

# start_gw_rgmd I ALLOW [EXTRA CONF LINES...]: rgmd of gateway I listening on
# its global address, port 8443, with certificate $PKI/gwI.pem, accepting
# the configuration servers in ALLOW (an allow entry). Log: $TMPD/rgmdI.log.
start_gw_rgmd() {
	local i=$1 allow=$2 conf; shift 2
	conf=$TMPD/rgmd$i.conf
	mkdir -p "$TMPD/state$i"
	{
		echo "mode = listen"
		echo "listen = $(gw_global "$i"):8443"
		echo "cert = $PKI/gw$i.pem"
		echo "key = $PKI/gw$i.key"
		echo "ca = $PKI/ca.pem"
		echo "allow = $allow"
		echo "gateway-id = gw-$i"
		echo "state-dir = $TMPD/state$i"
		echo "handshake-timeout = 5"
		echo "idle-timeout = 300"
		echo "rate = 200 burst 400"
		echo "lan-prefix = 10.0.$((i - 1)).0/24"
		echo "ports = $PORT_MIN-$PORT_MAX"
		echo "dataplane = $RGM_DATAPLANE"
		printf '%s\n' "$@"
	} >"$conf"
	bg ip netns exec "${GWNS[$i]}" "$RGM_TOP/ctl/rgmd/rgmd" -c "$conf" 2>>"$TMPD/rgmd$i.log"
	eval "RGMD_PID_$i=$BG_PID"
	wait_listen "${GWNS[$i]}" tcp 8443
}
