#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A compromised configuration server (Documentation/security.rst,
# "Compromised configuration server"): it holds a valid, allow-listed
# certificate and sends well-formed but hostile requests over TLS. rgmd's
# own policy (rgmd.conf) must refuse each with its code, install nothing,
# and keep serving; a flood is answered rate-limited while another peer is
# served; removing the server from allow (SIGHUP) shuts it out.
#
# Policy here: lan-prefix 10.0.0.0/24, ports 40000-40999, lease-max 600,
# max-per-host 4, max-mappings 50, streams udp,tcp (no rtp).

. "$(dirname "$0")/lib.sh"

require_rgm
require certtool timeout
RGMD=${ADV_RGMD:-$RGM_TOP/ctl/rgmd/rgmd}	# ADV_RGMD: try a broken build
[ -x "$RGMD" ] || bail "rgmd is built"
topo_setup

LOG=$TMPD/rgmd.log
CONF=$TMPD/rgmd.conf
LPORT=8443
NSESS=${ADV_SESSIONS:-1000}
MAL=0
mkdir -p "$TMPD/state"

mk_ca ca "rgm test CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
mk_leaf srv2 cfg2.rgm.test ca "expiration_days = 30"
GW_PIN=$(pin_of "$PKI/gw.pem")

write_conf() {	# RATE ALLOW...
	local rate=$1; shift
	{
		cat <<-EOF
		mode = listen
		listen = $GLOBAL:$LPORT
		cert = $PKI/gw.pem
		key = $PKI/gw.key
		ca = $PKI/ca.pem
		gateway-id = gw-policy
		state-dir = $TMPD/state
		lan-prefix = 10.0.0.0/24
		ports = 40000-40999
		lease-max = 600
		max-per-host = 4
		max-mappings = 50
		streams = udp,tcp
		rate = $rate
		EOF
		printf 'allow = %s\n' "$@"
	} >"$CONF"
}
write_conf "5000 burst 5000" "subject CN=cfg.rgm.test,O=rgm-test" "subject CN=cfg2.rgm.test,O=rgm-test"
out=$("$RGMD" --check-config -c "$CONF" 2>&1) || { diag "$out"; bail "the policy configuration is valid"; }
bg ip netns exec "$NS_GW" "$RGMD" -c "$CONF" 2>>"$LOG"
RGMD_PID=$BG_PID
wait_listen "$NS_GW" tcp $LPORT || { sed 's/^/# /' "$LOG"; bail "rgmd listens"; }

rq() {	# CERT ARGS...: rgmctl remote connect as CERT, replies on stdout
	local who=$1; shift
	nsx "$NS_WAN" timeout 300 rgmctl remote connect $GLOBAL:$LPORT ca "$PKI/ca.pem" \
		cert "$PKI/$who.pem" key "$PKI/$who.key" pin "$GW_PIN" timeout 240 "$@" \
		2>>"$TMPD/remote.err"
}
# stream TYPE LOCAL LPORT [GPORT]: one stream object
stream() {
	printf '{"type":"%s","local_addr":"%s","local_port":%s%s}' "$1" "$2" "$3" \
		"${4:+,\"global_port\":$4}"
}
map() {	# SESSION LEASE STREAM...
	local s=$1 l=$2; shift 2
	local IFS=,
	printf '{"op":"map","session":"%s","lease":%s,"streams":[%s]}' "$s" "$l" "$*"
}

out=$(rq srv request "$(map ctl 60 "$(stream udp 10.0.0.2 5004 40010)")")
check "control: a request within the policy is mapped" grep -q '"ok":true' <<<"$out"
check_eq "control: 1 mapping" 1 "$(map_count)"
rq srv request '{"op":"unmap","session":"ctl"}' >/dev/null

# hostile NAME EXPECTED-CODE REQUEST: refused with that code, nothing new
hostile() {	# (as $WHO, default srv)
	local name=$1 want=$2 req=$3 code n0
	MAL=$((MAL + 1))
	n0=$(map_count)
	out=$(rq "${WHO:-srv}" request "$req")
	code=$(jq -r 'select(.ok == false) | .error.code' <<<"$out" 2>/dev/null | head -n1)
	if [ "$code" = "$want" ] && [ "$(map_count)" = "$n0" ]; then
		ok "hostile: $name: refused $want"
	else
		not_ok "hostile: $name: refused $want"
		diag "got: $out; mappings $n0 -> $(map_count)"
	fi
}
u() { stream udp "$@"; }
hostile "a mapping to the gateway's own LAN address" policy-denied "$(map h1 60 "$(u $GW_LAN 22)")"
hostile "a mapping to the gateway's global address" policy-denied "$(map h2 60 "$(u $GLOBAL 22)")"
hostile "a mapping to loopback" policy-denied "$(map h3 60 "$(u 127.0.0.1 22)")"
hostile "a LAN address outside lan-prefix" policy-denied "$(map h4 60 "$(u 10.0.1.2 5004)")"
hostile "a WAN host as local address" policy-denied "$(map h5 60 "$(u $SERVER 5004)")"
hostile "the prefix's network address" policy-denied "$(map h6 60 "$(u 10.0.0.0 5004)")"
hostile "the prefix's broadcast address" policy-denied "$(map h7 60 "$(u 10.0.0.255 5004)")"
hostile "one bad stream among good ones (all or nothing)" policy-denied \
	"$(map h8 60 "$(u 10.0.0.2 5004)" "$(u 10.0.0.3 5006)" "$(u 10.0.9.9 5008)")"
hostile "a lease past lease-max" policy-denied "$(map h9 601 "$(u 10.0.0.2 5004)")"
hostile "a lease of 0 (the protocol's own bound)" bad-request "$(map h10 0 "$(u 10.0.0.2 5004)")"
hostile "a global port below the range" policy-denied "$(map h11 60 "$(u 10.0.0.2 5004 39999)")"
hostile "a global port above the range" policy-denied "$(map h12 60 "$(u 10.0.0.2 5004 41000)")"
hostile "a well-known global port (22)" policy-denied "$(map h13 60 "$(u 10.0.0.2 22 22)")"
hostile "a stream type not allowed (rtp)" policy-denied "$(map h14 60 "$(stream rtp 10.0.0.2 5004)")"
hostile "5 streams for one host (max-per-host 4)" policy-denied \
	"$(map h15 60 "$(u 10.0.0.2 5000)" "$(u 10.0.0.2 5002)" "$(u 10.0.0.2 5004)" \
		"$(u 10.0.0.2 5006)" "$(u 10.0.0.2 5008)")"
out=$(rq srv request "$(map q1 60 "$(u 10.0.0.2 5000)" "$(u 10.0.0.2 5002)" "$(u 10.0.0.2 5004)")")
check "quota: 3 streams for 10.0.0.2 mapped" grep -q '"ok":true' <<<"$out"
hostile "a 2-stream session taking 10.0.0.2 over its quota" policy-denied \
	"$(map q2 60 "$(u 10.0.0.2 5006)" "$(u 10.0.0.2 5008)")"
WHO=srv2 hostile "another server's session over the same host's quota" policy-denied \
	"$(map q3 60 "$(u 10.0.0.2 5006)" "$(u 10.0.0.2 5008)")"
rq srv request '{"op":"unmap","session":"q1"}' >/dev/null
check_eq "every hostile request installed nothing" 0 "$(map_count)"

# Thousands of sessions: NSESS one-stream sessions over many hosts in one
# pipelined connection. max-mappings 50: exactly 50 are mapped, every other
# one refused with a code, the kernel holds 50.
# (rgmctl remote sends at most 256 items per connection: batches of 250)
MAL=$((MAL + NSESS))
: >"$TMPD/mass.out"
t0=$(date +%s)
for b in $(seq 0 250 $((NSESS - 1))); do
	reqs=()
	for i in $(seq $((b + 1)) $((b + 250 < NSESS ? b + 250 : NSESS))); do
		reqs+=(request "$(map "mass-$i" 60 "$(u 10.0.0.$((2 + i % 250)) $((5000 + i % 8)))")")
	done
	rq srv pipeline "${reqs[@]}" >>"$TMPD/mass.out"
done
diag "$NSESS sessions in $(( (NSESS + 249) / 250 )) connections: $(($(date +%s) - t0)) s"
nok=$(grep -c '"ok":true' "$TMPD/mass.out")
nden=$(jq -r 'select(.ok == false) | .error.code' "$TMPD/mass.out" | sort | uniq -c | tr '\n' ' ')
diag "refusals by code: $nden"
check_eq "$NSESS sessions: exactly max-mappings (50) were mapped" 50 "$nok"
check_eq "$NSESS sessions: every other one refused with a code" $((NSESS - 50)) \
	"$(jq -r 'select(.ok == false) | .error.code' "$TMPD/mass.out" | grep -c .)"
check_eq "$NSESS sessions: the kernel holds 50" 50 "$(map_count)"
gwctl mapping del all >/dev/null

# Flood: rate 10 burst 10 per connection. srv pipelines 2000 requests; while
# it does, srv2 on another connection is served.
write_conf "10 burst 10" "subject CN=cfg.rgm.test,O=rgm-test" "subject CN=cfg2.rgm.test,O=rgm-test"
kill -HUP "$RGMD_PID"
wait_until 10 grep -q "reload: new configuration in force" "$LOG"
reqs=()
for i in $(seq 1 250); do reqs+=(request '{"op":"hello","versions":[1]}'); done
MAL=$((MAL + 2000))
# 8 connections of 250 pipelined requests, one after the other
{ for b in $(seq 1 8); do rq srv pipeline "${reqs[@]}"; done; } >"$TMPD/flood.out" &
flood=$!
sleep 1
t0=$(date +%s%N)
out=$(rq srv2 request "$(map side 60 "$(u 10.0.0.3 5004)")")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "flood: another server is served meanwhile ($ms ms)" grep -q '"ok":true' <<<"$out"
wait "$flood"
nrl=$(grep -c '"rate-limited"' "$TMPD/flood.out")
check_ge "flood: the excess got explicit rate-limited replies" 1900 "$nrl"
check_eq "flood: every one of 2000 requests got a reply" 2000 "$(grep -c '"ok"' "$TMPD/flood.out")"

# allow entry removed, SIGHUP: the server is shut out of new connections
write_conf "10 burst 10" "subject CN=cfg2.rgm.test,O=rgm-test"
n=$(grep -c "reload: new configuration in force" "$LOG")
kill -HUP "$RGMD_PID"
wait_until 10 eval '[ $(grep -c "reload: new configuration in force" "$LOG") -gt $n ]'
MAL=$((MAL + 1))
out=$(rq srv request "$(map gone 60 "$(u 10.0.0.4 5004)")")
check "allow entry removed: the server is refused" eval '! grep -q "\"ok\":true" <<<"$out"'
check "allow entry removed: logged as not on the allow list" \
	wait_until 10 grep -q "identity not on the allow list: subject 'CN=cfg.rgm.test" "$LOG"
check_eq "allow entry removed: only srv2's mapping remains" 1 "$(map_count)"

diag "adv: hostile-requests $MAL"
diag "adv: wrong-mappings $(( $(map_count) - 1 ))"
[ "$_tap_fail" = 0 ] || { diag "---- rgmd log"; tail -30 "$LOG" | sed 's/^/# /'; }
