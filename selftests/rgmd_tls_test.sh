#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rgmd end to end: TLS transport and security against the real kernel.
#
#   ns wan: 203.0.113.7   rgmctl remote (the "configuration server")
#        |  TCP 8443 (listen mode) / 9443 (call-home) -- outside the
#        |  managed port range, so rgm.ko never touches the control channel
#   ns gw: 198.51.100.1   rgmd + rgm.ko
#
# Certificates are made here with certtool: a CA, the gateway, a good
# server, a second good server (allowed by SPKI pin), one from another CA,
# an expired one, a not-yet-valid one, one the CA signed but that is not on
# the allow list; and a client with no certificate at all (gnutls-cli).
# Every refusal must install nothing and leave the agent serving.

. "$(dirname "$0")/lib.sh"

require_rgm
require certtool gnutls-cli timeout
RGMD="$RGM_TOP/ctl/rgmd/rgmd"
[ -x "$RGMD" ] || bail "rgmd is built"
topo_setup

LOG=$TMPD/rgmd.log
CONF=$TMPD/rgmd.conf
STATE=$TMPD/state
LPORT=8443
HPORT=9443
mkdir -p "$STATE"
: >"$LOG"

# ---------------------------------------------------------------- PKI

mk_ca ca "rgm test CA"
mk_ca otherca "rgm other CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
mk_leaf srv2 cfg2.rgm.test ca "expiration_days = 30"
mk_leaf rogue cfg.rgm.test otherca "expiration_days = 30"
mk_leaf expired cfg.rgm.test ca 'activation_date = "2020-01-01 00:00:00"' \
	'expiration_date = "2021-01-01 00:00:00"'
mk_leaf future cfg.rgm.test ca 'activation_date = "2035-01-01 00:00:00"' \
	'expiration_date = "2036-01-01 00:00:00"'
mk_leaf stranger intruder.rgm.test ca "expiration_days = 30"
for n in gw srv srv2 rogue expired future stranger; do
	[ -s "$PKI/$n.pem" ] || bail "certtool made $n.pem"
done
SRV2_PIN=$(pin_of "$PKI/srv2.pem")
GW_PIN=$(pin_of "$PKI/gw.pem")
[ -n "$SRV2_PIN" ] && [ -n "$GW_PIN" ] || bail "certtool prints SPKI pins"
ok "test PKI made (9 certificates, 2 CAs)"

# ---------------------------------------------------------------- config

# write_conf FILE MODE [EXTRA LINES...]
write_conf() {
	local f=$1 mode=$2; shift 2
	{
		echo "# rgmd_tls_test"
		echo "mode = $mode"
		echo "listen = $GLOBAL:$LPORT"
		echo "server = $SERVER:$HPORT"
		echo "cert = $PKI/gw.pem"
		echo "key = $PKI/gw.key"
		echo "ca = $PKI/ca.pem"
		echo "allow = subject CN=cfg.rgm.test,O=rgm-test"
		echo "allow = $SRV2_PIN"
		echo "gateway-id = gw-test-1"
		echo "state-dir = $STATE"
		echo "handshake-timeout = 3"
		echo "idle-timeout = 60"
		echo "max-connections = 250"
		echo "rate = 10 burst 10"
		echo "lan-prefix = 10.0.0.0/24"
		echo "ports = $PORT_MIN-$PORT_MAX"
		printf '%s\n' "$@"
		# after the extra lines: check_bad's line numbers stay
		echo "dataplane = $RGM_DATAPLANE"
	} >"$f"
}

write_conf "$CONF" listen
out=$("$RGMD" --check-config -c "$CONF" 2>&1)
check "check-config accepts a good file" [ $? = 0 ]

# check_bad NAME EXPECTED-TEXT LINE...: the file with LINE added is refused
# with a message containing EXPECTED-TEXT.
check_bad() {
	local name=$1 want=$2 rc; shift 2
	write_conf "$TMPD/bad.conf" listen "$@"
	out=$("$RGMD" --check-config -c "$TMPD/bad.conf" 2>&1); rc=$?
	if [ "$rc" = 1 ] && [[ "$out" == *"$want"* ]]; then
		ok "check-config refuses $name"
	else
		not_ok "check-config refuses $name"; diag "rc $rc: $out"
	fi
}
check_bad "an unknown key (names file:line)" "bad.conf:18: unknown key 'colour'" "colour = blue"
check_bad "a bad allow entry" "bad.conf:18: allow:" "allow = pin-sha256:tooshort"
check_bad "a bad mode" "bad.conf:18: mode:" "mode = both"
check_bad "a bad rate" "bad.conf:18: rate:" "rate = fast"
check_bad "max-frame out of range" "bad.conf:18: max-frame:" "max-frame = 100000000"
check_bad "a bad policy value" "bad.conf:18:" "lan-prefix = 10.0.0.0/99"
check_bad "a missing certificate" "cert: cannot read $TMPD/nope.pem" "cert = $TMPD/nope.pem"
check_bad "a line without =" "bad.conf:18: expected 'key = value'" "just words"

# ---------------------------------------------------------------- helpers

# rq CERT ARGS...: rgmctl remote connect from the WAN side with CERT's
# identity; prints replies; returns rgmctl's status.
rq() {
	local who=$1; shift
	nsx "$NS_WAN" timeout 200 rgmctl remote connect $GLOBAL:$LPORT ca "$PKI/ca.pem" \
		cert "$PKI/$who.pem" key "$PKI/$who.key" pin "$GW_PIN" timeout 30 "$@" \
		2>>"$TMPD/remote.err"
}

# field JSON-LINES FILTER: first non-null result of a jq filter
jqf() { printf '%s\n' "$1" | jq -r "$2" 2>/dev/null | grep -v '^null$' | head -n1; }

log_has() { grep -qF -- "$1" "$LOG"; }

# wait_log TEXT [TENTHS]: until the agent logged TEXT
wait_log() {
	local i
	for i in $(seq 1 "${2:-100}"); do
		log_has "$1" && return 0
		sleep 0.1
	done
	return 1
}

# ip netns exec execs rgmd: the background pid is rgmd's, for signals.
start_rgmd() {	# CONF
	bg ip netns exec "$NS_GW" "$RGMD" -d -c "$1" 2>>"$LOG"
	RGMD_PID=$BG_PID
}

stop_rgmd() {	# SIGTERM, waits; sets RGMD_RC to the exit status
	kill -TERM "$RGMD_PID" 2>/dev/null
	RGMD_RC=timeout
	timeout 20 tail --pid="$RGMD_PID" -f /dev/null
	if ! kill -0 "$RGMD_PID" 2>/dev/null; then
		wait "$RGMD_PID"
		RGMD_RC=$?
	fi
}

MAP_REQ='{"op":"map","session":"tls-1","lease":60,"streams":[{"type":"udp","local_addr":"10.0.0.2","local_port":5004,"global_port":40100}]}'
# try_map CERT PORT: a map request for GLOBAL:PORT with CERT
try_map() {
	rq "$1" request "{\"op\":\"map\",\"session\":\"evil-$2\",\"lease\":60,\"streams\":[{\"type\":\"udp\",\"local_addr\":\"10.0.0.3\",\"local_port\":6000,\"global_port\":$2}]}"
}

# ---------------------------------------------------------------- listen mode

start_rgmd "$CONF"
wait_listen "$NS_GW" tcp $LPORT || bail "rgmd listens on $GLOBAL:$LPORT"

out=$(rq srv request '{"op":"hello","versions":[1]}'); rc=$?
check "listen: hello answered ok" [ "$rc" = 0 ]
check_eq "listen: hello reply is ok:true" true "$(jqf "$out" .ok)"
check "listen: agent logged the verified subject" log_has "authenticated CN=cfg.rgm.test,O=rgm-test"

out=$(rq srv2 request '{"op":"hello","versions":[1]}')
check "listen: second server accepted by its SPKI pin" [ $? = 0 ]
check "listen: pin identity logged" log_has "authenticated $SRV2_PIN"

out=$(rq srv request "$MAP_REQ"); rc=$?
check "map over TLS answered ok" [ "$rc" = 0 ]
check_eq "map installs one kernel mapping" 1 "$(map_count)"
check_eq "mapping points at 10.0.0.2:5004" 5004 "$(map_field udp 40100 local_port)"

exp1=$(map_field udp 40100 expires)
out=$(rq srv request '{"op":"renew","session":"tls-1","lease":3000}'); rc=$?
check "renew over TLS answered ok" [ "$rc" = 0 ]
exp2=$(map_field udp 40100 expires)
check_ge "renew lengthened the kernel lease (was $exp1)" 2000 "$exp2"

out=$(rq srv request '{"op":"list","session":"tls-1"}'); rc=$?
check "list over TLS answered ok" [ "$rc" = 0 ]
check "list reply names global port 40100" grep -q 40100 <<<"$out"

out=$(rq srv request '{"op":"unmap","session":"tls-1"}'); rc=$?
check "unmap over TLS answered ok" [ "$rc" = 0 ]
check_eq "unmap removed the kernel mapping" 0 "$(map_count)"

# ---------------------------------------------------------------- refusals

# refused NAME CERT REASON PORT: a map attempt with CERT fails, installs
# nothing, the agent logs REASON, then still serves the good server.
refused() {
	local name=$1 cert=$2 reason=$3 port=$4 rc
	out=$(try_map "$cert" "$port"); rc=$?
	check "refused: $name (client exit 1)" [ "$rc" = 1 ]
	check "refused: $name logged with its reason" wait_log "$reason" 30
	check_eq "refused: $name installed nothing" 0 "$(map_count)"
	out=$(rq srv request '{"op":"hello","versions":[1]}')
	check "refused: $name, agent still serves the next good request" [ $? = 0 ]
}
refused "certificate from another CA" rogue "handshake refused: The certificate is NOT trusted. The certificate issuer is unknown" 40201
refused "expired certificate" expired "The certificate chain uses expired certificate" 40202
refused "not-yet-valid certificate" future "The certificate chain uses not yet valid certificate" 40203
refused "identity not on the allow list" stranger "identity not on the allow list: subject 'CN=intruder.rgm.test,O=rgm-test'" 40204

# No client certificate at all: gnutls-cli without --x509certfile.
printf '\0\0\0\x0f{"op":"hello"}' |
	nsx "$NS_WAN" timeout 15 gnutls-cli --insecure --x509cafile "$PKI/ca.pem" \
		-p $LPORT $GLOBAL >"$TMPD/nocert.out" 2>&1
check "refused: no client certificate logged" wait_log "handshake refused: peer sent no certificate" 30
no_reply() { ! grep -q '"ok"' "$TMPD/nocert.out"; }
check "refused: no client certificate got no reply" no_reply
check_eq "refused: no client certificate installed nothing" 0 "$(map_count)"

# The client verifies the agent too: a wrong pin for the gateway.
out=$(nsx "$NS_WAN" timeout 30 rgmctl remote connect $GLOBAL:$LPORT ca "$PKI/ca.pem" \
	cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$SRV2_PIN" request '{"op":"hello"}' 2>&1)
check "client refuses an agent whose pin does not match" [ $? = 1 ]
check "client says why" grep -q "identity not on the allow list" <<<"$out"
out=$(rq srv request '{"op":"hello","versions":[1]}')
check "agent still serves after a client-side refusal" [ $? = 0 ]

# ---------------------------------------------------------------- frames

printf '\x00\x01\x00\x01' >"$TMPD/big.bin"; head -c 65537 /dev/zero | tr '\0' 'x' >>"$TMPD/big.bin"
printf '\x00\x00\x00\x20{"op":"hel' >"$TMPD/cut.bin"
printf '\x00\x00\x00\x00' >"$TMPD/zero.bin"

out=$(rq srv raw-frame "$TMPD/big.bin")
check "oversize frame: client exit 1" [ $? = 1 ]
check_eq "oversize frame: bad-request reply" bad-request "$(jqf "$out" .error.code)"
check_eq "oversize frame: message" "frame too large" "$(jqf "$out" .error.message)"
check "oversize frame: agent closed the connection" wait_log "frame too large: closing" 30

out=$(rq srv raw-frame "$TMPD/cut.bin" shut)
check_eq "truncated frame: bad-request reply" "truncated frame" "$(jqf "$out" .error.message)"
check "truncated frame: logged" wait_log "truncated frame: closing" 30

out=$(rq srv raw-frame "$TMPD/zero.bin")
check_eq "zero-length frame: bad-request reply" "zero-length frame" "$(jqf "$out" .error.message)"

out=$(rq srv request '{"op": "hello", ')
check_eq "invalid JSON: bad-request" bad-request "$(jqf "$out" .error.code)"
out=$(rq srv request '{"op":"teleport"}')
check_eq "unknown op: unknown-op" unknown-op "$(jqf "$out" .error.code)"
out=$(rq srv request '{"op":"map","session":"x","lease":60}')
check_eq "map without streams: bad-request" bad-request "$(jqf "$out" .error.code)"
check "map without streams: the message names the field" grep -q streams <<<"$(jqf "$out" .error.message)"
check_eq "nothing installed by the malformed requests" 0 "$(map_count)"

# ---------------------------------------------------------------- rate limit

reqs=()
for i in $(seq 1 30); do reqs+=(request '{"op":"hello","versions":[1]}'); done
out=$(rq srv pipeline "${reqs[@]}")
check "rate limit: 30 pipelined requests, client exit 1" [ $? = 1 ]
nrl=$(printf '%s\n' "$out" | grep -c '"rate-limited"')
nok=$(printf '%s\n' "$out" | grep -c '"ok":true')
check_ge "rate limit: the excess got explicit rate-limited replies" 5 "$nrl"
check_ge "rate limit: the burst was served" 10 "$nok"
check_eq "rate limit: every request got a reply" 30 $((nrl + nok))

# A peer that sends and never reads: its replies pile up until the agent's
# bounded output queue is full, then it is dropped (8192 requests in one go).
printf '\x00\x00\x00\x0e{"op":"hello"}' >"$TMPD/flood.bin"
for i in $(seq 1 13); do
	cat "$TMPD/flood.bin" "$TMPD/flood.bin" >"$TMPD/flood2.bin"
	mv "$TMPD/flood2.bin" "$TMPD/flood.bin"
done
out=$(rq srv raw-frame "$TMPD/flood.bin")
check "non-reading peer: dropped when its output queue is full" \
	wait_log "peer is not reading, output queue full: dropped" 50
out=$(rq srv request '{"op":"hello","versions":[1]}')
check "non-reading peer: agent still serves" [ $? = 0 ]

# ---------------------------------------------------------------- 200 peers

out=$(rq srv parallel 200 request '{"op":"hello","versions":[1]}'); rc=$?
check "200 concurrent connections all served" [ "$rc" = 0 ]
check "200 connections were open at once" grep -q "200 connections established" "$TMPD/remote.err"

# ---------------------------------------------------------------- timeouts

t0=$(date +%s%N)
nsx "$NS_WAN" timeout 20 socat -u TCP:$GLOBAL:$LPORT,connect-timeout=3 - >/dev/null 2>&1
t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
check "silent peer: handshake timeout logged" wait_log "handshake timeout (3 s)" 30
check_ge "silent peer: not dropped before the 3 s timeout" 2500 "$ms"
check "silent peer: dropped well before the client's 20 s ($ms ms)" [ "$ms" -lt 15000 ]

# ---------------------------------------------------------------- notifications

# A 2 s lease expires in the kernel; every connected peer is told, the one
# that mapped and one that only listens.
nsx "$NS_WAN" timeout 60 rgmctl remote connect $GLOBAL:$LPORT ca "$PKI/ca.pem" \
	cert "$PKI/srv2.pem" key "$PKI/srv2.key" pin "$GW_PIN" timeout 30 \
	request '{"op":"hello","versions":[1]}' wait 12 >"$TMPD/watch.out" 2>>"$TMPD/remote.err" &
watcher=$!
sleep 1
out=$(rq srv request '{"op":"map","session":"short","lease":2,"streams":[{"type":"udp","local_addr":"10.0.0.2","local_port":5006,"global_port":40110}]}' wait 10)
check "notify: short lease mapped" grep -q '"ok":true' <<<"$out"
check "notify: the mapping peer got an expired event" grep -q '"event":"expired"' <<<"$out"
wait "$watcher"
check "notify: another connected peer got it too" grep -q '"event":"expired"' "$TMPD/watch.out"
check "notify: the event names global port 40110" grep -q 40110 "$TMPD/watch.out"
check_eq "notify: the mapping is gone from the kernel" 0 "$(map_count)"

# ---------------------------------------------------------------- SIGHUP

write_conf "$CONF" listen "idle-timeout = 2" "max-connections = 3"
kill -HUP "$RGMD_PID"
check "SIGHUP: new configuration in force" wait_log "reload: new configuration in force" 50

t0=$(date +%s%N)
out=$(rq srv request '{"op":"hello","versions":[1]}' wait 15)
t1=$(date +%s%N); ms=$(( (t1 - t0) / 1000000 ))
check "idle peer: closed by the idle timeout" wait_log "closed: idle timeout" 30
check "idle peer: after ~2 s, not the client's 15 s ($ms ms)" [ "$ms" -lt 12000 ]

out=$(rq srv parallel 5 request '{"op":"hello","versions":[1]}')
check "max-connections 3: a 5-connection client fails" [ $? = 1 ]
check "max-connections 3: excess refused and logged" wait_log "refused: max-connections 3 reached" 30

cp "$CONF" "$TMPD/good.conf"
write_conf "$CONF" listen "rate = lots"
kill -HUP "$RGMD_PID"
check "SIGHUP with a bad file: refused and logged" wait_log "reload refused, keeping the running configuration" 50
out=$(rq srv request '{"op":"hello","versions":[1]}')
check "SIGHUP with a bad file: agent still serves" [ $? = 0 ]
cp "$TMPD/good.conf" "$CONF"

# ---------------------------------------------------------------- SIGTERM

out=$(rq srv request "$MAP_REQ")
check "map before SIGTERM" [ $? = 0 ]
stop_rgmd
check_eq "SIGTERM: rgmd exits 0" 0 "$RGMD_RC"
check "SIGTERM: exit logged" log_has "stopping; installed mappings stay"
check_eq "SIGTERM: the mapping stays in the kernel" 1 "$(map_count)"

# ---------------------------------------------------------------- call-home

write_conf "$TMPD/home.conf" call-home
start_rgmd "$TMPD/home.conf"
# remote listen: wait for the agent, verify it by pin, then ask.
out=$(nsx "$NS_WAN" timeout 60 rgmctl remote listen $SERVER:$HPORT ca "$PKI/ca.pem" \
	cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$GW_PIN" timeout 30 \
	request '{"op":"hello","versions":[1]}' \
	request '{"op":"list"}' \
	request '{"op":"unmap","session":"tls-1"}' 2>>"$TMPD/remote.err"); rc=$?
check "call-home: hello, list, unmap all ok" [ "$rc" = 0 ]
check "call-home: the adopted mapping was listed" grep -q 40100 <<<"$out"
check_eq "call-home: unmap removed the kernel mapping" 0 "$(map_count)"

# A server that is not on the allow list: the agent refuses it, backs
# off, and reconnects to the real one.
out=$(nsx "$NS_WAN" timeout 60 rgmctl remote listen $SERVER:$HPORT ca "$PKI/ca.pem" \
	cert "$PKI/stranger.pem" key "$PKI/stranger.key" timeout 30 \
	request "{\"op\":\"map\",\"session\":\"evil\",\"lease\":60,\"streams\":[{\"type\":\"udp\",\"local_addr\":\"10.0.0.3\",\"local_port\":6000,\"global_port\":40300}]}" \
	2>>"$TMPD/remote.err")
check "call-home: impostor server refused (its client exit 1)" [ $? = 1 ]
check "call-home: refusal logged" wait_log "identity not on the allow list: subject 'CN=intruder.rgm.test,O=rgm-test'" 30
check_eq "call-home: impostor installed nothing" 0 "$(map_count)"
check "call-home: reconnect scheduled with backoff" log_has "call-home: next attempt in"
out=$(nsx "$NS_WAN" timeout 90 rgmctl remote listen $SERVER:$HPORT ca "$PKI/ca.pem" \
	cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$GW_PIN" timeout 70 \
	request "$MAP_REQ" 2>>"$TMPD/remote.err")
check "call-home: agent came back and mapped" [ $? = 0 ]
check_eq "call-home: mapping installed" 1 "$(map_count)"

stop_rgmd
check_eq "call-home: SIGTERM exits 0" 0 "$RGMD_RC"
check_eq "call-home: mapping stays after SIGTERM" 1 "$(map_count)"

if [ "$_tap_fail" -gt 0 ]; then
	diag "---- rgmd log (tail)"; tail -n 60 "$LOG" | sed 's/^/# /'
	diag "---- rgmctl remote stderr (tail)"; tail -n 20 "$TMPD/remote.err" | sed 's/^/# /'
fi
