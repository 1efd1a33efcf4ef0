#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rgm-confserver's portal API on the host (no kernel module): the daemon
# serves HTTPS on 127.0.0.1 with a scratch database and certificates made
# here with certtool; curl plays the portal and the operator. Checks
# authentication (tokens, client certificates, roles), the request
# refusals (400/404/405/413/422) and that they leave no session behind, a
# configure towards an unreachable gateway (502, session failed, audited,
# chain intact), --check-config refusing plain HTTP on a non-loopback
# address, and a clean exit on SIGTERM. TAP output.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${RGM_CONFSERVER:-$top/confserver/rgm-confserver}
TMPD=$(mktemp -d /tmp/confserver_http_test.XXXXXX)
PID=

. "$top/tests/tap.sh"

cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMPD"
}
trap cleanup EXIT

for t in curl certtool sqlite3 sha256sum; do
	command -v "$t" >/dev/null || bail "$t is installed"
done
[ -x "$BIN" ] || bail "$BIN is built (make user)"

# ---------------------------------------------------------------- PKI
PKI=$TMPD/pki
. "$top/selftests/pki.sh"

mk_ca ca "rgm test CA"			# the server's HTTPS and the gateways
mk_ca pca "rgm portal CA"		# portal client certificates
mk_ca otherca "rgm other CA"
mk_leaf srv localhost ca 'ip_address = "127.0.0.1"' 'dns_name = "localhost"'
mk_leaf cfg cfg.rgm.test ca
mk_leaf portal portal.rgm.test pca
mk_leaf opcert ops.rgm.test pca
mk_leaf rogue portal.rgm.test otherca
for c in srv cfg portal opcert rogue; do
	[ -s "$PKI/$c.pem" ] || bail "certtool made $c.pem"
done
OP_PIN=$(pin_of "$PKI/opcert.pem")
[ -n "$OP_PIN" ] || bail "certtool prints SPKI pins"

# ---------------------------------------------------------------- config
PORT=$(free_port) || bail "a free port"
GWPORT=$(free_port) || bail "a free port"
DB=$TMPD/cs.db
CONF=$TMPD/cs.conf
PTOK=portal-token-$RANDOM$RANDOM
OTOK=operator-token-$RANDOM$RANDOM
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
write_conf() {	# FILE [EXTRA LINES...]
	local f=$1; shift
	{
		echo "db = $DB"
		echo "listen = 127.0.0.1:$PORT"
		echo "http-cert = $PKI/srv.pem"
		echo "http-key = $PKI/srv.key"
		echo "portal-ca = $PKI/pca.pem"
		echo "portal-cert = portal subject CN=portal.rgm.test,O=rgm-test"
		echo "portal-cert = operator $OP_PIN"
		echo "token = portal-1 portal sha256:$(hash "$PTOK")"
		echo "token = ops operator sha256:$(hash "$OTOK")"
		echo "gateway-cert = $PKI/cfg.pem"
		echo "gateway-key = $PKI/cfg.key"
		echo "gateway-ca = $PKI/ca.pem"
		echo "gateway-type = homebox driver rgm strategy query-first"
		echo "connect-timeout = 2"
		echo "request-timeout = 5"
		echo "max-connections = 32"
		printf '%s\n' "$@"
	} >"$f"
}
write_conf "$CONF"
out=$("$BIN" -c "$CONF" --check-config 2>&1)
check "--check-config accepts the test configuration" [ $? = 0 ]
[ $n = $fails ] && diag "$out"

write_conf "$TMPD/bad.conf" "insecure-http = yes"
sed -i "s/^listen = .*/listen = 192.0.2.1:$PORT/" "$TMPD/bad.conf"
out=$("$BIN" -c "$TMPD/bad.conf" --check-config 2>&1); rc=$?
if [ $rc = 1 ] && [[ "$out" == "$TMPD/bad.conf:17: insecure-http needs a loopback"* ]]; then
	ok "--check-config refuses insecure-http with a non-loopback listen"
else
	not_ok "--check-config refuses insecure-http with a non-loopback listen"; diag "rc $rc: $out"
fi

# ---------------------------------------------------------------- start
URL=https://127.0.0.1:$PORT
LOG=$TMPD/cs.log
"$BIN" -c "$CONF" serve 2>"$LOG" &
PID=$!
up=0
for _ in $(seq 100); do	# wait until it answers, not a fixed time
	if curl -s --max-time 1 --cacert "$PKI/ca.pem" "$URL/v1/health" >/dev/null; then
		up=1; break
	fi
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
[ $up = 1 ] || { cat "$LOG"; bail "rgm-confserver serves on $URL"; }

# req NAME WANT-STATUS CURL-ARGS...: the status must match; body in $BODY
req() {
	local name=$1 want=$2 st; shift 2
	st=$(curl -s --max-time 20 --cacert "$PKI/ca.pem" -o "$TMPD/body" -w '%{http_code}' "$@")
	BODY=$(cat "$TMPD/body" 2>/dev/null)
	if [ "$st" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name"; diag "status $st, want $want: $BODY"
	fi
}
# has NAME TEXT: the last body contains TEXT
has() {
	if [[ "$BODY" == *"$2"* ]]; then ok "$1"; else not_ok "$1"; diag "no '$2' in: $BODY"; fi
}
P=(-H "Authorization: Bearer $PTOK" -H 'Content-Type: application/json')
O=(-H "Authorization: Bearer $OTOK" -H 'Content-Type: application/json')
sessions() { sqlite3 "$DB" 'SELECT count(*) FROM sessions'; }

req "health needs no credentials" 200 "$URL/v1/health"
has "health says ok" '{"ok":true}'
req "no token: 401" 401 -X POST -d '{}' "$URL/v1/sessions"
has "401 names its code" '"code":"unauthorized"'
hdr=$(curl -s -D - -o /dev/null --cacert "$PKI/ca.pem" "$URL/v1/gateways")
check "401 carries WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' <<<"$hdr"
req "wrong token: 401" 401 -H "Authorization: Bearer nope-$PTOK" "$URL/v1/sessions/s-0"
req "portal token on an operator route: 403" 403 "${P[@]}" "$URL/v1/gateways"
has "403 says forbidden" '"code":"forbidden"'

GW='{"id":"gw-a","type":"homebox","mode":"listen","endpoint":"127.0.0.1:'$GWPORT'",
     "pin":"pin-sha256:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="}'
req "operator enrolls a gateway: 201" 201 "${O[@]}" -d "$GW" "$URL/v1/gateways"
has "the gateway record names its driver" '"driver":"rgm"'
req "enrolling it again: 409" 409 "${O[@]}" -d "$GW" "$URL/v1/gateways"
req "operator lists gateways" 200 "${O[@]}" "$URL/v1/gateways"
has "the list has gw-a" '"id":"gw-a"'
req "portal registers an appliance: 200" 200 "${P[@]}" \
	-d '{"appliance":"stb-1","gateway_type":"homebox"}' "$URL/v1/appliances"
has "the appliance is bound to gw-a" '"gateway":"gw-a"'

before=$(sessions)
CFG='{"appliance":"stb-1","gateway_addr":"198.51.100.1","local_addr":"10.0.0.2","lease":300,
      "streams":[{"type":"rtp","rtcp":true,"local_port":5004,"server_addr":"203.0.113.7",
      "server_port":6000}]}'
req "configure for an unknown appliance: 404" 404 "${P[@]}" -d "${CFG/stb-1/stb-9}" \
	"$URL/v1/sessions"
has "404 unknown-appliance" '"code":"unknown-appliance"'
req "bad JSON: 400" 400 "${P[@]}" -d '{"appliance":' "$URL/v1/sessions"
has "400 bad-request" '"code":"bad-request"'
req "missing field: 400" 400 "${P[@]}" -d "${CFG/\"lease\":300,/}" "$URL/v1/sessions"
has "the 400 names the field" "lease"
req "wrong type: 400" 400 "${P[@]}" -d "${CFG/\"lease\":300/\"lease\":\"300\"}" "$URL/v1/sessions"
req "out of range: 422" 422 "${P[@]}" -d "${CFG/\"lease\":300/\"lease\":0}" "$URL/v1/sessions"
has "422 invalid" '"code":"invalid"'
head -c 70000 /dev/zero | tr '\0' ' ' >"$TMPD/big"
req "70 kB body: 413" 413 "${P[@]}" --data-binary @"$TMPD/big" "$URL/v1/sessions"
has "413 too-large" '"code":"too-large"'
req "70 kB chunked body: 413" 413 "${P[@]}" -H 'Transfer-Encoding: chunked' \
	--data-binary @"$TMPD/big" "$URL/v1/sessions"
check "refused requests left no session ($before before, $(sessions) after)" \
	[ "$(sessions)" = "$before" ]

audit_before=$(sqlite3 "$DB" 'SELECT count(*) FROM audit_log')
req "configure to an unreachable gateway: 502" 502 "${P[@]}" -d "$CFG" "$URL/v1/sessions"
has "502 gateway-unreachable" '"code":"gateway-unreachable"'
st=$(sqlite3 "$DB" "SELECT state FROM sessions WHERE appliance_id = 'stb-1'")
check "the session is recorded failed (got '$st')" [ "$st" = failed ]
audit_after=$(sqlite3 "$DB" 'SELECT count(*) FROM audit_log')
actor=$(sqlite3 "$DB" "SELECT actor FROM audit_log WHERE gateway_id = 'gw-a' ORDER BY seq DESC LIMIT 1")
audited=no
[ "$audit_after" -gt "$audit_before" ] && [ "$actor" = token:portal-1 ] && audited=yes
check "the attempt is audited with the portal as actor ($audit_before -> $audit_after, $actor)" \
	[ $audited = yes ]
out=$("$BIN" -d "$DB" audit verify 2>&1)
check "audit verify: the chain is intact ($out)" [ $? = 0 ]
id=$(sqlite3 "$DB" "SELECT id FROM sessions WHERE appliance_id = 'stb-1'")
req "the failed session can be read" 200 "${P[@]}" "$URL/v1/sessions/$id"
has "it says failed" '"state":"failed"'
req "renewing a failed session: 409" 409 "${P[@]}" -d '{"session":"'"$id"'","lease":60}' \
	"$URL/v1/sessions/renew"
req "closing an unknown session: 404" 404 "${P[@]}" \
	-d '{"session":"s-00000000000000000000000000000000"}' "$URL/v1/sessions/close"
has "404 unknown-session" '"code":"unknown-session"'

# client certificates (no token)
req "an allowed portal certificate registers: 200" 200 --cert "$PKI/portal.pem" \
	--key "$PKI/portal.key" -d '{"appliance":"stb-2","gateway":"gw-a"}' "$URL/v1/appliances"
req "the portal certificate is not an operator: 403" 403 --cert "$PKI/portal.pem" \
	--key "$PKI/portal.key" "$URL/v1/gateways"
req "the operator certificate (by pin) lists gateways: 200" 200 --cert "$PKI/opcert.pem" \
	--key "$PKI/opcert.key" "$URL/v1/gateways"
st=$(curl -s --max-time 10 --cacert "$PKI/ca.pem" --cert "$PKI/rogue.pem" \
	--key "$PKI/rogue.key" -o "$TMPD/body" -w '%{http_code}' \
	-d '{"appliance":"stb-3","gateway":"gw-a"}' "$URL/v1/appliances")
if [ "$st" = 401 ] || [ "$st" = 403 ] || [ "$st" = 000 ]; then
	ok "a certificate from another CA is refused (status $st)"
else
	not_ok "a certificate from another CA is refused"; diag "status $st: $(cat "$TMPD/body")"
fi
app=$(sqlite3 "$DB" "SELECT count(*) FROM appliances WHERE id = 'stb-3'")
check "the refused request registered nothing" [ "$app" = 0 ]
req "unknown route: 404" 404 "${P[@]}" "$URL/v1/nothing"
req "DELETE on a known path: 405" 405 "${P[@]}" -X DELETE "$URL/v1/sessions"
has "405 names its code" '"code":"method-not-allowed"'
hdr=$(curl -s -D - -o /dev/null --cacert "$PKI/ca.pem" -X PUT "$URL/v1/gateways")
allow=$(grep -i '^Allow:' <<<"$hdr" | tr -d '\r')
check "405 carries Allow, with GET and POST ($allow)" \
	eval '[[ "$allow" == *GET* && "$allow" == *POST* && "$allow" != *PUT* ]]'

# A gateway that accepts TCP and then says nothing: the configure waiting
# for it must not hold up other requests, and must still get its answer
# when SIGTERM arrives meanwhile.
if command -v python3 >/dev/null; then
	SPORT=$(free_port) || bail "a free port"
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2] + ".ready", "w").close()
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    open(sys.argv[2], "w").close()
' "$SPORT" "$TMPD/accepted" &
	SILENT=$!
	for _ in $(seq 100); do [ -e "$TMPD/accepted.ready" ] && break; sleep 0.1; done
	req "operator enrolls a silent gateway" 201 "${O[@]}" -d '{"id":"gw-b","type":"homebox",
		"mode":"listen","endpoint":"127.0.0.1:'$SPORT'",
		"pin":"pin-sha256:Ln0sA6lQeuJl7PW1NWiFpTOTogKdJBOUmXJloaJa78Y="}' "$URL/v1/gateways"
	req "an appliance behind it registers" 200 "${P[@]}" \
		-d '{"appliance":"stb-4","gateway":"gw-b"}' "$URL/v1/appliances"
	curl -s --max-time 30 --cacert "$PKI/ca.pem" "${P[@]}" -o "$TMPD/slow.body" \
		-w '%{http_code}' -d "${CFG/stb-1/stb-4}" "$URL/v1/sessions" >"$TMPD/slow.status" &
	SLOW=$!
	for _ in $(seq 100); do [ -e "$TMPD/accepted" ] && break; sleep 0.1; done
	check "the daemon connected to the silent gateway" [ -e "$TMPD/accepted" ]
	t=$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{time_total}' \
		"$URL/v1/health")
	busy=no
	kill -0 "$SLOW" 2>/dev/null && awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' && busy=yes
	check "health answers (${t}s) while that configure still waits" [ $busy = yes ]
	kill -TERM "$PID"
	wait "$SLOW"
	st=$(cat "$TMPD/slow.status")
	if [ "$st" = 502 ] || [ "$st" = 504 ]; then
		ok "the configure in flight at SIGTERM got its answer ($st)"
	else
		not_ok "the configure in flight at SIGTERM got its answer"
		diag "status $st: $(cat "$TMPD/slow.body")"
	fi
	kill "$SILENT" 2>/dev/null
	wait "$SILENT" 2>/dev/null
else
	ok "# SKIP python3 is not installed: no silent gateway"
	kill -TERM "$PID"
fi
wait "$PID"; rc=$?
PID=
check "SIGTERM: exit 0 (got $rc)" [ $rc = 0 ]
st=$(sqlite3 "$DB" "SELECT group_concat(state) FROM sessions WHERE appliance_id = 'stb-4'")
check "no session is left pending (stb-4: $st)" [ "$st" != pending ]
check "the log says it stopped" grep -q 'rgm-confserver: info: stopped' "$LOG"
[ $fails = 0 ] || { diag "daemon log:"; sed 's/^/# /' "$LOG"; }

echo "1..$n"
[ $fails = 0 ]
