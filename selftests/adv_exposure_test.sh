#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# WAN exposure, measured with nmap (Documentation/security.rst, "WAN
# exposure"): the gateway's global address (198.51.100.1) scanned from the
# WAN namespace, with rgm.ko loaded and rgmd running.
#
#   call-home, no mapping: full TCP SYN scan (1-65535) and full UDP scan
#                          (1-65535) -- no port open, while rgmd holds its
#                          session to the server
#   listen mode:           full TCP scan -- exactly the rgmd port open
#   one TCP + one UDP mapping (server filter 203.0.113.7): TCP and UDP scans
#                          of the managed range 40000-49999 from the server
#                          find exactly the mapped ports, from a stranger
#                          (203.0.113.66) nothing
#
# nmap's "open" needs an answer (SYN-ACK, or a UDP reply): "filtered" and
# "open|filtered" are silence, "closed" an RST or ICMP port unreachable.
# Timing, chosen for TCG: -T5, --host-timeout 600s; TCP SYN scan with
# --max-retries 1 over 1-65535 and 0 over the managed range (where every
# unmapped port is silent); UDP with --max-retries 0 at --min-rate
# $ADV_NMAP_RATE (default 3000) and a payload. Each scan takes 10-45 s
# under TCG on a quiet machine. At that pace a UDP answer that has to come
# from a user-space program on the LAN can be too late, so the mapped ports
# are then scanned alone with patient timing (--max-retries 3,
# --initial-rtt-timeout 2s) from the server (open) and from the stranger
# (not open). ADV_NMAP_FULL_UDP=0 scans only the managed range for UDP.

. "$(dirname "$0")/lib.sh"

require_rgm
require nmap certtool timeout
RGMD="$RGM_TOP/ctl/rgmd/rgmd"
[ -x "$RGMD" ] || bail "rgmd is built"
topo_setup

LOG=$TMPD/rgmd.log
LPORT=8443
HPORT=9443
RATE=${ADV_NMAP_RATE:-3000}
SCANNED=0
mkdir -p "$TMPD/state"

mk_ca ca "rgm test CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
GW_PIN=$(pin_of "$PKI/gw.pem")

write_conf() {	# FILE MODE
	cat >"$1" <<-EOF
	mode = $2
	listen = $GLOBAL:$LPORT
	server = $SERVER:$HPORT
	cert = $PKI/gw.pem
	key = $PKI/gw.key
	ca = $PKI/ca.pem
	allow = subject CN=cfg.rgm.test,O=rgm-test
	gateway-id = gw-scan
	state-dir = $TMPD/state
	lan-prefix = 10.0.0.0/24
	ports = $PORT_MIN-$PORT_MAX
	EOF
}

# scan NAME SRC PROTO PORTS: nmap from SRC in the WAN namespace against
# GLOBAL; the open ports, sorted and space separated, in $OPEN.
scan() {
	local name=$1 src=$2 proto=$3 ports=$4 args t0 n
	if [ "${PATIENT:-0}" = 1 ]; then
		args=(--max-retries 3 --initial-rtt-timeout 2s --max-rtt-timeout 4s)
	elif [ "$proto" = tcp ]; then
		# no --min-rate: under TCG it overruns the emulated CPU and the
		# scan slows down (241 s against 43 s); silence costs a retry
		args=(--max-retries "${RETRIES:-1}")
	else
		args=(--max-retries 0 --min-rate "$RATE")
	fi
	[ "$proto" = tcp ] && args+=(-sS) || args+=(-sU --data-string rgm-probe)
	t0=$(date +%s)
	nsx "$NS_WAN" timeout 900 nmap -n -Pn -T5 --host-timeout 600s -e wan0 -S "$src" \
		"${args[@]}" -p "$ports" -oG "$TMPD/$name.gnmap" $GLOBAL >"$TMPD/$name.out" 2>&1
	OPEN=$(grep -o '[0-9]*/open/[a-z]*' "$TMPD/$name.gnmap" | cut -d/ -f1 | sort -n | tr '\n' ' ')
	OPEN=${OPEN% }
	n=1; [[ "$ports" == *-* ]] && n=$(( ${ports#*-} - ${ports%-*} + 1 ))
	if grep -q 'Status: Up\|Ports:\|Ignored State' "$TMPD/$name.gnmap"; then
		SCANNED=$((SCANNED + n))
		diag "nmap $name: $proto $ports from $src, $(($(date +%s) - t0)) s, open: ${OPEN:-none}"
		grep -o 'Ignored State: [^	]*' "$TMPD/$name.gnmap" | sed 's/^/#   /'
		return 0
	fi
	diag "nmap $name did not complete:"; tail -5 "$TMPD/$name.out" | sed 's/^/#   /'
	return 1
}

# ---------------------------------------------------------------- call-home

write_conf "$TMPD/home.conf" call-home
# The server side: rgmctl remote listen holds the agent's session while
# the gateway is scanned.
bg nsx "$NS_WAN" rgmctl remote listen $SERVER:$HPORT ca "$PKI/ca.pem" \
	cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$GW_PIN" timeout 60 \
	request '{"op":"hello","versions":[1]}' wait 600 >"$TMPD/home.out" 2>&1
HOME_PID=$BG_PID
wait_listen "$NS_WAN" tcp $HPORT || bail "the fake server listens"
bg ip netns exec "$NS_GW" "$RGMD" -c "$TMPD/home.conf" 2>>"$LOG"
RGMD_PID=$BG_PID
check "call-home: the agent is connected to its server" \
	wait_until 30 grep -q '"ok":true' "$TMPD/home.out"

if scan home-tcp $ATTACKER tcp 1-65535; then
	check_eq "call-home, no mapping: nmap finds no open TCP port (65535 scanned)" "" "$OPEN"
else
	not_ok "call-home, no mapping: nmap TCP scan completed"
fi
d0=$(rgm_stat drop_no_mapping)
udp_ports=1-65535
[ "${ADV_NMAP_FULL_UDP:-1}" = 1 ] || udp_ports=$PORT_MIN-$PORT_MAX
if scan home-udp $ATTACKER udp $udp_ports; then
	check_eq "call-home, no mapping: nmap finds no open UDP port ($udp_ports)" "" "$OPEN"
else
	not_ok "call-home, no mapping: nmap UDP scan completed"
fi
d1=$(rgm_stat drop_no_mapping)
# every probe to the managed range was dropped by rgm.ko and counted
check_ge "call-home: the UDP scan of the managed range was counted as drops ($d0 -> $d1)" \
	$((d0 + 10000)) "$d1"
kill "$RGMD_PID" "$HOME_PID" 2>/dev/null; wait "$RGMD_PID" "$HOME_PID" 2>/dev/null

# ---------------------------------------------------------------- listen

write_conf "$TMPD/listen.conf" listen
bg ip netns exec "$NS_GW" "$RGMD" -c "$TMPD/listen.conf" 2>>"$LOG"
RGMD_PID=$BG_PID
wait_listen "$NS_GW" tcp $LPORT || bail "rgmd listens"
if scan listen-tcp $ATTACKER tcp 1-65535; then
	check_eq "listen: nmap finds exactly the rgmd port open" "$LPORT" "$OPEN"
else
	not_ok "listen: nmap TCP scan completed"
fi
kill "$RGMD_PID"; wait "$RGMD_PID" 2>/dev/null

# ---------------------------------------------------------------- mappings

tcp_echo "$NS_LAN" $LAN1 8080 "$TMPD/tcp.log" || bail "tcp echo on the LAN"
udp_echo "$NS_LAN" $LAN1 5004 "$TMPD/udp.log" || bail "udp echo on the LAN"
map_add proto tcp global $GLOBAL:40500 local $LAN1:8080 server $SERVER lease 600 ||
	bail "tcp mapping"
map_add proto udp global $GLOBAL:40501 local $LAN1:5004 server $SERVER lease 600 ||
	bail "udp mapping"
if RETRIES=0 scan map-srv-tcp $SERVER tcp $PORT_MIN-$PORT_MAX; then
	check "mapping: from its server, TCP: no port but the mapped one is open (${OPEN:-none})" \
		[ -z "$OPEN" -o "$OPEN" = 40500 ]
else
	not_ok "mapping: TCP scan from the server completed"
fi
if scan map-srv-udp $SERVER udp $PORT_MIN-$PORT_MAX; then
	check "mapping: from its server, UDP: no port but the mapped one is open (${OPEN:-none})" \
		[ -z "$OPEN" -o "$OPEN" = 40501 ]
else
	not_ok "mapping: UDP scan from the server completed"
fi
PATIENT=1 scan map-srv-tcp1 $SERVER tcp 40500
check_eq "mapping: from its server, TCP: the mapped port answers (patient scan)" 40500 "$OPEN"
PATIENT=1 scan map-srv-udp1 $SERVER udp 40501
check_eq "mapping: from its server, UDP: the mapped port answers (patient scan)" 40501 "$OPEN"
w0=$(rgm_stat drop_wrong_server)
# (the stranger's TCP scan of the whole range costs a minute under TCG:
# make adversarial, ADV_NMAP_THOROUGH=1; the patient scan below always runs)
if [ "${ADV_NMAP_THOROUGH:-0}" = 1 ]; then
	if RETRIES=0 scan map-x-tcp $ATTACKER tcp $PORT_MIN-$PORT_MAX; then
		check_eq "mapping: from a stranger, TCP: nothing is open" "" "$OPEN"
	else
		not_ok "mapping: TCP scan from a stranger completed"
	fi
fi
if scan map-x-udp $ATTACKER udp $PORT_MIN-$PORT_MAX; then
	check_eq "mapping: from a stranger, UDP: nothing is open" "" "$OPEN"
else
	not_ok "mapping: UDP scan from a stranger completed"
fi
PATIENT=1 scan map-x-tcp1 $ATTACKER tcp 40500
check_eq "mapping: from a stranger, TCP: the mapped port does not answer (patient scan)" "" "$OPEN"
PATIENT=1 scan map-x-udp1 $ATTACKER udp 40501
check_eq "mapping: from a stranger, UDP: the mapped port does not answer (patient scan)" "" "$OPEN"
w1=$(rgm_stat drop_wrong_server)
check_ge "mapping: the stranger's probes of the mapped ports were dropped as wrong server" \
	$((w0 + 2)) "$w1"
check_eq "the scans made no mapping" 2 "$(map_count)"

diag "adv: ports-scanned $SCANNED"
diag "adv: wrong-mappings $(( $(map_count) - 2 ))"
[ "$_tap_fail" = 0 ] || { diag "---- rgmd log"; tail -20 "$LOG" | sed 's/^/# /'; }
