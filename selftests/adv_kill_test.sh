#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Atomicity under faults (Documentation/security.rst, "Faults"): rgmd is
# killed with SIGKILL at a random point of an 8-stream map request,
# ADV_KILLS times (default 20; make adversarial: 200). After each kill the
# kernel holds the whole set of 8 or none of it; the restarted agent
# adopts what is there, the server's retry of the same request is answered
# with the same 8 ports and the kernel still holds 8 (no duplicates).
# Then the server goes away for longer than the lease, with rgmd dead too:
# every mapping expires (fail closed).

. "$(dirname "$0")/lib.sh"

require_rgm
require certtool timeout
RGMD="$RGM_TOP/ctl/rgmd/rgmd"
[ -x "$RGMD" ] || bail "rgmd is built"
topo_setup

KILLS=${ADV_KILLS:-20}
LOG=$TMPD/rgmd.log
LPORT=8443
mkdir -p "$TMPD/state"
mk_ca ca "rgm test CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
GW_PIN=$(pin_of "$PKI/gw.pem")
cat >"$TMPD/rgmd.conf" <<EOF
mode = listen
listen = $GLOBAL:$LPORT
cert = $PKI/gw.pem
key = $PKI/gw.key
ca = $PKI/ca.pem
allow = subject CN=cfg.rgm.test,O=rgm-test
gateway-id = gw-kill
state-dir = $TMPD/state
lan-prefix = 10.0.0.0/24
ports = $PORT_MIN-$PORT_MAX
max-per-host = 16
EOF

start_rgmd() {
	bg ip netns exec "$NS_GW" "$RGMD" -c "$TMPD/rgmd.conf" 2>>"$LOG"
	RGMD_PID=$BG_PID
	wait_listen "$NS_GW" tcp $LPORT
}
rq() {
	nsx "$NS_WAN" timeout 60 rgmctl remote connect $GLOBAL:$LPORT ca "$PKI/ca.pem" \
		cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$GW_PIN" timeout 30 "$@" \
		2>>"$TMPD/remote.err"
}
req() {	# SESSION LEASE: 8 udp streams for 10.0.0.2, ports chosen by rgmd
	local s= i
	for i in 0 1 2 3 4 5 6 7; do
		s+=${s:+,}$(printf '{"type":"udp","local_addr":"10.0.0.2","local_port":%d}' $((5000 + 2 * i)))
	done
	printf '{"op":"map","session":"%s","lease":%s,"streams":[%s]}' "$1" "$2" "$s"
}
kports() {	# the kernel's global ports, sorted
	gwctl -j mapping show | jq -r '(if type=="array" then . else .mappings end)[].global_port' |
		sort -n | tr '\n' ' '
}
start_rgmd || bail "rgmd listens"
t0=$(date +%s%N)
out=$(rq request "$(req ctl 600)")
dur=$(( ($(date +%s%N) - t0) / 1000000 ))
check "control: an 8-stream map is mapped ($dur ms, TLS included)" grep -q '"ok":true' <<<"$out"
check_eq "control: 8 mappings" 8 "$(map_count)"
rq request '{"op":"unmap","session":"ctl"}' >/dev/null
kill -9 "$RGMD_PID"; wait "$RGMD_PID" 2>/dev/null

# The kill lands anywhere from the client's start to twice the control's
# duration, spread over it (kill k in the k-th slice, at a random point of
# it): before, inside and after the install.
partial=0 whole=0 none=0 dup=0 lost=0 survived=0
for k in $(seq 1 "$KILLS"); do
	start_rgmd || { not_ok "kill $k: rgmd restarts"; break; }
	rq request "$(req "k$k" 600)" >/dev/null &
	client=$!
	ms=$(( ((k - 1) * 2 * dur + RANDOM % (2 * dur + 1)) / KILLS ))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 "$RGMD_PID"; wait "$RGMD_PID" 2>/dev/null
	wait "$client" 2>/dev/null
	n=$(map_count)
	case $n in
	0) none=$((none + 1)) ;;
	8) whole=$((whole + 1)) ;;
	*) partial=$((partial + 1)); diag "kill $k: $n of 8 mappings in the kernel" ;;
	esac
	before=$(kports)
	# the agent restarts, the server retries the same request
	start_rgmd || { not_ok "kill $k: rgmd restarts"; break; }
	out=$(rq request "$(req "k$k" 600)")
	after=$(kports)
	if ! grep -q '"ok":true' <<<"$out" || [ "$(map_count)" != 8 ]; then
		dup=$((dup + 1)); diag "kill $k: retry: $(map_count) mappings, reply $out"
	elif [ "$n" = 8 ] && [ "$before" != "$after" ]; then
		lost=$((lost + 1)); diag "kill $k: adopted ports $before became $after"
	else
		survived=$((survived + 1))
	fi
	rq request "{\"op\":\"unmap\",\"session\":\"k$k\"}" >/dev/null
	kill -9 "$RGMD_PID"; wait "$RGMD_PID" 2>/dev/null
	[ "$(map_count)" = 0 ] || gwctl mapping del all >/dev/null
done
diag "$KILLS kills: whole set $whole, none $none, partial $partial"
check_eq "$KILLS kills mid-request: never a partial set in the kernel" 0 "$partial"
check_eq "$KILLS kills: the restarted agent answers the retry with exactly 8 mappings" 0 "$dup"
check_eq "$KILLS kills: a set already installed is adopted on its own ports" 0 "$lost"
check "the kills hit both sides of the install (whole $whole, none $none)" \
	[ "$whole" -gt 0 -a "$none" -gt 0 ]

# Fail closed: server and agent both gone; the lease ends in the kernel.
start_rgmd || bail "rgmd restarts"
out=$(rq request "$(req short 3)")
check "fail closed: a 3 s lease mapped" grep -q '"ok":true' <<<"$out"
kill -9 "$RGMD_PID"; wait "$RGMD_PID" 2>/dev/null
check "fail closed: with agent and server dead, all 8 expire within 10 s" \
	wait_until 10 eval '[ "$(map_count)" = 0 ]'

diag "adv: kills-survived $survived"
diag "adv: wrong-mappings $((partial + dup))"
[ "$_tap_fail" = 0 ] || { diag "---- rgmd log"; tail -30 "$LOG" | sed 's/^/# /'; }
