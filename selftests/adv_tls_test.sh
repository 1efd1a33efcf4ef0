#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Adversarial TLS matrix (Documentation/security.rst, "TLS and identities"):
# real clients and servers from Debian -- openssl s_client/s_server and
# gnutls-cli -- present every kind of bad certificate, old protocol
# version, resumption attempt and stalled handshake to
#
#   rgmd in listen mode    (198.51.100.1:8443, the attacker on the WAN)
#   rgmd in call-home mode (it dials 203.0.113.7:9443: a fake server there)
#   the configuration server's call-home listener (203.0.113.7:9444) and
#   its portal API (203.0.113.7:8444, bearer tokens and client certificates)
#
# Each refusal must be logged and install nothing; every attack sends a map
# request for its own global port, so a breach shows as a mapping. Each
# kind of attack is first made with a good certificate (the control): the
# same command must then succeed, so a refusal is the daemon's, not a
# misused tool's.

. "$(dirname "$0")/lib.sh"

require_rgm
require certtool gnutls-cli openssl curl timeout
RGMD="$RGM_TOP/ctl/rgmd/rgmd"
CSBIN="$RGM_TOP/confserver/rgm-confserver"
[ -x "$RGMD" ] || bail "rgmd is built"
topo_setup

LOG=$TMPD/rgmd.log
STATE=$TMPD/state
LPORT=8443
HPORT=9443
mkdir -p "$STATE"
: >"$LOG"
BAD=0		# bad certificates / handshakes tried
MAL=0		# hostile requests sent

# ---------------------------------------------------------------- PKI

mk_ca ca "rgm test CA"
mk_ca otherca "rgm other CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
# the same subject as the allowed server, but from another CA / self-signed
mk_leaf rogue cfg.rgm.test otherca "expiration_days = 30"
mk_self self cfg.rgm.test
mk_leaf expired cfg.rgm.test ca 'activation_date = "2020-01-01 00:00:00"' \
	'expiration_date = "2021-01-01 00:00:00"'
mk_leaf future cfg.rgm.test ca 'activation_date = "2035-01-01 00:00:00"' \
	'expiration_date = "2036-01-01 00:00:00"'
mk_leaf stranger intruder.rgm.test ca "expiration_days = 30"
# the allowed subject, but a certificate only for the other role
PKI_KP=tls_www_server mk_leaf srvonly cfg.rgm.test ca "expiration_days = 30"
PKI_KP=tls_www_client mk_leaf cliononly cfg.rgm.test ca "expiration_days = 30"
mk_leaf portal portal.rgm.test ca "expiration_days = 30"
mk_leaf portalx portal.rgm.test otherca "expiration_days = 30"
mk_leaf cs cs.rgm.test ca "expiration_days = 30" "ip_address = \"$SERVER\""
for n in gw srv rogue self expired future stranger srvonly cliononly portal portalx cs; do
	[ -s "$PKI/$n.pem" ] || bail "certtool made $n.pem"
done
GW_PIN=$(pin_of "$PKI/gw.pem")
SRV_PIN=$(pin_of "$PKI/srv.pem")
ok "test PKI made (12 certificates, 2 CAs, 1 self-signed)"

write_conf() {	# FILE MODE [EXTRA LINES...]
	local f=$1 mode=$2; shift 2
	{
		echo "mode = $mode"
		echo "listen = $GLOBAL:$LPORT"
		echo "server = $SERVER:$HPORT"
		echo "cert = $PKI/gw.pem"
		echo "key = $PKI/gw.key"
		echo "ca = $PKI/ca.pem"
		echo "allow = subject CN=cfg.rgm.test,O=rgm-test"
		echo "gateway-id = gw-adv"
		echo "state-dir = $STATE"
		echo "handshake-timeout = 3"
		echo "idle-timeout = 5"
		echo "lan-prefix = 10.0.0.0/24"
		echo "ports = $PORT_MIN-$PORT_MAX"
		printf '%s\n' "$@"
	} >"$f"
}

start_rgmd() {	# CONF
	bg ip netns exec "$NS_GW" "$RGMD" -d -c "$1" 2>>"$LOG"
	RGMD_PID=$BG_PID
}
stop_rgmd() {
	kill -TERM "$RGMD_PID" 2>/dev/null
	timeout 20 tail --pid="$RGMD_PID" -f /dev/null
	wait "$RGMD_PID" 2>/dev/null
}

# frame FILE JSON...: length-prefixed frames, as the protocol sends them
frame() {
	local f=$1; shift
	"$PYTHON" -S -c '
import struct, sys
with open(sys.argv[1], "wb") as f:
    for j in sys.argv[2:]:
        b = j.encode()
        f.write(struct.pack(">I", len(b)) + b)' "$f" "$@"
}
# map_json PORT: a map request for udp GLOBAL:PORT -> 10.0.0.2:5004
map_json() {
	printf '{"v":1,"id":1,"op":"map","session":"adv-%s","lease":60,"streams":[{"type":"udp","local_addr":"10.0.0.2","local_port":5004,"global_port":%s}]}' "$1" "$1"
}
refusals() { grep -c "handshake refused" "$LOG"; }
wait_more() {	# FILE PATTERN N: until FILE has more than N lines matching
	wait_until 10 eval "[ \$(grep -c -- \"$2\" \"$1\") -gt $3 ]"
}

# ---------------------------------------------------------------- rgmd, listen

write_conf "$TMPD/listen.conf" listen
start_rgmd "$TMPD/listen.conf"
wait_listen "$NS_GW" tcp $LPORT || bail "rgmd listens on $GLOBAL:$LPORT"

# ossl CERT PORT [ARGS...]: openssl s_client with CERT ("" for none) sends a
# map for PORT, then waits; output in $TMPD/c.out
ossl() {
	local cert=$1 port=$2; shift 2
	frame "$TMPD/req.bin" "$(map_json "$port")"
	{ cat "$TMPD/req.bin"; sleep 2; } |
		nsx "$NS_WAN" timeout 10 openssl s_client -connect $GLOBAL:$LPORT \
			-CAfile "$PKI/ca.pem" ${cert:+-cert "$PKI/$cert.pem" -key "$PKI/$cert.key"} \
			"$@" >"$TMPD/c.out" 2>&1
}
# gtls CERT PORT [ARGS...]: the same with gnutls-cli
gtls() {
	local cert=$1 port=$2; shift 2
	frame "$TMPD/req.bin" "$(map_json "$port")"
	{ cat "$TMPD/req.bin"; sleep 2; } |
		nsx "$NS_WAN" timeout 10 gnutls-cli --insecure -p $LPORT \
			${cert:+--x509certfile "$PKI/$cert.pem" --x509keyfile "$PKI/$cert.key"} \
			"$@" $GLOBAL >"$TMPD/c.out" 2>&1
}
replied() { grep -aqE '"ok": ?true' "$TMPD/c.out"; }

ossl srv 40100
check "rgmd listen: control: openssl s_client with the good certificate maps" replied
check_eq "rgmd listen: control: openssl's mapping is in the kernel" 1 "$(map_count)"
gtls srv 40101
check "rgmd listen: control: gnutls-cli with the good certificate maps" replied
check_eq "rgmd listen: control: gnutls-cli's mapping is in the kernel" 2 "$(map_count)"
gwctl mapping del all >/dev/null

# attack TOOL NAME CERT REASON [ARGS...]: TOOL (ossl|gtls) with CERT is
# refused in the handshake with REASON logged, and nothing is installed.
port=40200
attack() {
	local tool=$1 name=$2 cert=$3 reason=$4 n; shift 4
	port=$((port + 1)); BAD=$((BAD + 1))
	n=$(refusals)
	$tool "$cert" "$port" "$@"
	if ! replied && wait_more "$LOG" "handshake refused" "$n" &&
	   tail -n 5 "$LOG" | grep -qF -- "$reason"; then
		ok "rgmd listen: $tool with $name refused, logged"
	else
		not_ok "rgmd listen: $tool with $name refused, logged"
		diag "wanted '$reason'"; tail -n 3 "$LOG" | sed 's/^/# log: /'
		grep -m3 -E 'ok|error|alert' "$TMPD/c.out" | sed 's/^/# out: /'
	fi
}
for tool in ossl gtls; do
	attack $tool "no certificate" "" "peer sent no certificate"
	attack $tool "another CA's certificate (allowed subject)" rogue "issuer is unknown"
	attack $tool "a self-signed certificate (allowed subject)" self "issuer is unknown"
	attack $tool "an expired certificate" expired "expired certificate"
	attack $tool "a not-yet-valid certificate" future "not yet valid"
	attack $tool "a certificate not on the allow list" stranger "identity not on the allow list"
	attack $tool "a server-only certificate (allowed subject)" srvonly "purpose"
done
check_eq "rgmd listen: the bad certificates installed nothing" 0 "$(map_count)"

# Protocol: TLS 1.3 only. A TLS 1.2 client fails the handshake; the agent
# logs a refusal. (Renegotiation does not exist in TLS 1.3: refusing 1.2
# refuses it.)
attack ossl "TLS 1.2 (-tls1_2), good certificate" srv "" -tls1_2
attack gtls "TLS 1.2 only (priority), good certificate" srv "" --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2"
check_eq "rgmd listen: TLS 1.2 installed nothing" 0 "$(map_count)"

# Resumption and 0-RTT: no session ticket is issued, so there is nothing
# to resume and no early data can be sent. The control is openssl's own
# server, which does issue tickets: the same client command sees one.
openssl s_server -accept 127.0.0.1:18443 -cert "$PKI/srv.pem" -key "$PKI/srv.key" \
	-naccept 1 -quiet </dev/null >/dev/null 2>&1 &
sleep 0.5
{ echo x; sleep 1; } | timeout 10 openssl s_client -connect 127.0.0.1:18443 -CAfile "$PKI/ca.pem" \
	-sess_out "$TMPD/ctl.sess" >"$TMPD/ctl.out" 2>&1
wait $! 2>/dev/null
check "control: openssl s_server issues a ticket that s_client reports" \
	grep -q "New Session Ticket arrived" "$TMPD/ctl.out"
BAD=$((BAD + 1))
ossl srv 40300 -sess_out "$TMPD/rgmd.sess"
check "rgmd listen: no session ticket issued (nothing to resume)" \
	eval '! grep -q "New Session Ticket arrived" "$TMPD/c.out"'
gwctl mapping del all >/dev/null
BAD=$((BAD + 1))
frame "$TMPD/early.bin" "$(map_json 40301)"
if [ -s "$TMPD/rgmd.sess" ]; then
	{ sleep 2; } | nsx "$NS_WAN" timeout 10 openssl s_client -connect $GLOBAL:$LPORT \
		-CAfile "$PKI/ca.pem" -cert "$PKI/srv.pem" -key "$PKI/srv.key" \
		-sess_in "$TMPD/rgmd.sess" -early_data "$TMPD/early.bin" >"$TMPD/c.out" 2>&1
	check "rgmd listen: 0-RTT early data not accepted" \
		eval '! grep -q "Early data was accepted" "$TMPD/c.out"'
	check "rgmd listen: the session was not resumed" eval '! grep -q "^Reused" "$TMPD/c.out"'
else
	ok "rgmd listen: 0-RTT impossible: openssl got no resumable session to send it on"
fi
check_eq "rgmd listen: the early-data map request installed nothing" 0 "$(map_count)"
BAD=$((BAD + 1))
{ cat "$TMPD/early.bin"; sleep 2; } | nsx "$NS_WAN" timeout 15 gnutls-cli --insecure -p $LPORT \
	--x509certfile "$PKI/srv.pem" --x509keyfile "$PKI/srv.key" --resume \
	--earlydata="$TMPD/early.bin" $GLOBAL >"$TMPD/c.out" 2>&1
check "rgmd listen: gnutls-cli --resume --earlydata tried to resume" \
	grep -q "trying to resume" "$TMPD/c.out"
check "rgmd listen: ... and the session was not resumed" \
	eval '! grep -q "This is a resumed session" "$TMPD/c.out"'
gwctl mapping del all >/dev/null

# Stalled handshakes (slowloris): 20 connections send a ClientHello record
# header and a few bytes, then nothing. The agent serves a good client
# meanwhile and drops each stalled one after handshake-timeout (3 s).
STALL='
import socket, sys, time
n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ss = []
for _ in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(bytes.fromhex("160301020001000200030301"))   # a 0x200-byte record, cut
    ss.append(s)
print("stalled", len(ss), flush=True)
closed, end = 0, time.time() + 30
for s in ss:
    s.settimeout(max(0.1, end - time.time()))
    try:
        while s.recv(4096):
            pass
        closed += 1
    except ConnectionResetError:
        closed += 1
    except OSError:
        pass
print("closed", closed, flush=True)
'
n0=$(grep -c "handshake timeout" "$LOG")
nsx "$NS_WAN" "$PYTHON" -S -c "$STALL" 20 $GLOBAL $LPORT >"$TMPD/stall.out" 2>&1 &
stall=$!
wait_until 10 grep -q stalled "$TMPD/stall.out"
BAD=$((BAD + 20))
out=$(nsx "$NS_WAN" timeout 20 rgmctl remote connect $GLOBAL:$LPORT ca "$PKI/ca.pem" \
	cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$GW_PIN" timeout 10 \
	request '{"op":"hello","versions":[1]}' 2>&1)
check "rgmd listen: 20 stalled handshakes: a good client is served meanwhile" \
	grep -qE '"ok": ?true' <<<"$out"
wait "$stall"
check_eq "rgmd listen: the 20 stalled handshakes were all closed by the agent" \
	"closed 20" "$(grep closed "$TMPD/stall.out")"
check_ge "rgmd listen: ... each logged as a handshake timeout" 20 \
	$(( $(grep -c "handshake timeout" "$LOG") - n0 ))
stop_rgmd

# ---------------------------------------------------------------- rgmd, call-home

# A fake configuration server (openssl s_server) with CERT where rgmd
# calls home; it sends a map request as soon as the agent is connected.
fake_server() {	# CERT PORT
	frame "$TMPD/home.bin" "$(map_json "$2")"
	bg setsid ip netns exec "$NS_WAN" bash -c "{ sleep 2; cat '$TMPD/home.bin'; sleep 8; } |
		timeout 12 openssl s_server -accept $SERVER:$HPORT -naccept 1 -quiet \
		-cert '$PKI/$1.pem' -key '$PKI/$1.key' -CAfile '$PKI/ca.pem' -Verify 1 \
		>'$TMPD/s.out' 2>&1"
	FAKE_PID=$BG_PID
	wait_listen "$NS_WAN" tcp $HPORT
}
write_conf "$TMPD/home.conf" call-home

fake_server srv 40400
start_rgmd "$TMPD/home.conf"
check "call-home: control: rgmd takes a map from a good fake server" \
	wait_until 15 eval '[ "$(map_count)" = 1 ]'
stop_rgmd
kill -- -"$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null
gwctl mapping del all >/dev/null

port=40400
home_attack() {	# NAME CERT REASON
	local n
	port=$((port + 1)); BAD=$((BAD + 1))
	fake_server "$2" "$port"
	n=$(refusals)
	start_rgmd "$TMPD/home.conf"
	if wait_more "$LOG" "handshake refused" "$n" && tail -n 5 "$LOG" | grep -qF -- "$3"; then
		ok "call-home: rgmd refuses a server with $1, logged"
	else
		not_ok "call-home: rgmd refuses a server with $1, logged"
		diag "wanted '$3'"; tail -n 3 "$LOG" | sed 's/^/# log: /'
	fi
	sleep 3	# the fake server's map would have arrived by now
	check_eq "call-home: the server with $1 installed nothing" 0 "$(map_count)"
	stop_rgmd
	kill -- -"$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null
}
home_attack "another CA's certificate" rogue "issuer is unknown"
home_attack "a self-signed certificate" self "issuer is unknown"
home_attack "an expired certificate" expired "expired certificate"
home_attack "a certificate not on the allow list" stranger "identity not on the allow list"
home_attack "a client-only certificate" cliononly "purpose"

# ---------------------------------------------------------------- confserver

if [ -x "$CSBIN" ]; then
	PTOK=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	CLOG=$TMPD/cs.log
	cat >"$TMPD/cs.conf" <<-EOF
	db = $TMPD/cs.db
	listen = $SERVER:8444
	http-cert = $PKI/cs.pem
	http-key = $PKI/cs.key
	token = portal-1 portal sha256:$(printf %s "$PTOK" | sha256sum | cut -d' ' -f1)
	portal-ca = $PKI/ca.pem
	portal-cert = portal $(pin_of "$PKI/portal.pem")
	gateway-cert = $PKI/cs.pem
	gateway-key = $PKI/cs.key
	gateway-ca = $PKI/ca.pem
	call-home-listen = $SERVER:9444
	connect-timeout = 3
	EOF
	bg ip netns exec "$NS_WAN" "$CSBIN" -c "$TMPD/cs.conf" serve 2>>"$CLOG"
	wait_listen "$NS_WAN" tcp 9444 || { sed 's/^/# /' "$CLOG"; bail "confserver listens"; }

	# The call-home listener: no gateway is enrolled, so every handshake,
	# good or bad, must end closed. Bad certificates fail in the handshake.
	cs_attack() {	# NAME CERT REASON
		local n
		BAD=$((BAD + 1))
		n=$(grep -c "call-home from" "$CLOG")
		frame "$TMPD/req.bin" '{"v":1,"id":1,"op":"hello","versions":[1]}'
		{ cat "$TMPD/req.bin"; sleep 2; } |
			nsx "$NS_WAN" timeout 10 openssl s_client -connect $SERVER:9444 \
			-CAfile "$PKI/ca.pem" ${2:+-cert "$PKI/$2.pem" -key "$PKI/$2.key"} \
			>"$TMPD/c.out" 2>&1
		if wait_more "$CLOG" "call-home from" "$n" && tail -n 3 "$CLOG" | grep -qF -- "$3"; then
			ok "confserver call-home: $1 refused, logged"
		else
			not_ok "confserver call-home: $1 refused, logged"
			diag "wanted '$3'"; tail -n 3 "$CLOG" | sed 's/^/# log: /'
		fi
	}
	cs_attack "no certificate" "" "TLS handshake failed"
	cs_attack "another CA's certificate" rogue "TLS handshake failed"
	cs_attack "a self-signed certificate" self "TLS handshake failed"
	cs_attack "an expired certificate" expired "TLS handshake failed"
	cs_attack "a valid certificate no gateway is enrolled with" gw "no gateway is enrolled with"
	n=$(sqlite3 "$TMPD/cs.db" 'SELECT count(*) FROM gateways' 2>/dev/null)
	check_eq "confserver call-home: no gateway came into being" 0 "$n"

	# The portal API: every route but health needs a token or a portal
	# certificate. GET of an unknown session: 404 when authenticated.
	capi() {	# EXPECTED NAME CURL-ARGS...
		local want=$1 name=$2 code; shift 2
		MAL=$((MAL + 1))
		code=$(nsx "$NS_WAN" curl -s -m 20 --cacert "$PKI/ca.pem" -o /dev/null \
			-w '%{http_code}' "$@" "https://$SERVER:8444/v1/sessions/s-nope")
		check_eq "confserver API: $name: $want" "$want" "$code"
	}
	capi 404 "control: the portal token is accepted" -H "Authorization: Bearer $PTOK"
	capi 404 "control: the portal certificate is accepted" \
		--cert "$PKI/portal.pem" --key "$PKI/portal.key"
	capi 401 "no credentials"
	capi 401 "a wrong token" -H "Authorization: Bearer x$PTOK"
	capi 401 "an empty token" -H "Authorization: Bearer "
	capi 401 "basic auth" -u "portal-1:$PTOK"
	capi 401 "the portal's subject from another CA" \
		--cert "$PKI/portalx.pem" --key "$PKI/portalx.key"
	capi 401 "a CA-signed certificate not listed" \
		--cert "$PKI/stranger.pem" --key "$PKI/stranger.key"
	capi 401 "an expired certificate" --cert "$PKI/expired.pem" --key "$PKI/expired.key"
	capi 401 "a good certificate with a wrong token" \
		--cert "$PKI/portal.pem" --key "$PKI/portal.key" -H "Authorization: Bearer nope"
	BAD=$((BAD + 4))
	code=$(nsx "$NS_WAN" curl -s -m 20 -o /dev/null -w '%{http_code}' \
		"http://$SERVER:8444/v1/health")
	check "confserver API: plain HTTP gets no answer ($code)" [ "$code" != 200 ]
	out=$(nsx "$NS_WAN" timeout 10 openssl s_client -connect $SERVER:8444 -tls1_2 \
		-CAfile "$PKI/ca.pem" </dev/null 2>&1)
	diag "confserver API over TLS 1.2: $(grep -m1 -oE 'Protocol *: *[A-Za-z0-9.]+|alert [a-z ]+' <<<"$out")"
else
	skip "confserver attacks" "rgm-confserver not built"
fi

check_eq "no mapping was made by any attack" 0 "$(map_count)"
diag "adv: bad-certificates $BAD"
diag "adv: hostile-requests $MAL"
diag "adv: wrong-mappings $(map_count)"
if [ "$_tap_fail" -gt 0 ]; then
	diag "---- rgmd log (tail)"; tail -n 40 "$LOG" | sed 's/^/# /'
	[ -f "${CLOG:-}" ] && { diag "---- confserver log"; tail -n 20 "$CLOG" | sed 's/^/# /'; }
fi
