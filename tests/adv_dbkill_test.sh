#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The configuration server killed mid-write (Documentation/security.rst,
# "Atomicity under faults"), on the host: one gateway runs rgmd on the
# nftables dataplane (no module needed), rgm-confserver serves its API on
# the WAN. ADV_DBKILLS times (default 20): ADV_DBKILL_REQS concurrent map
# requests (configure, three streams each, default 4) go to the API, and
# the configuration server gets SIGKILL at a random point 0-600 ms later,
# while sessions are being created, recorded active or failed, and
# audited. Then, with the server dead, the database as it was left:
#
#  - PRAGMA integrity_check says ok, foreign_key_check finds nothing;
#  - no session is half recorded. From confserver/migrations: a session is
#    one sessions row whose streams column is the JSON array of what was
#    asked and whose ports column is NULL until the gateway's ports are
#    recorded. Recorded whole means: a pending session has no ports; an
#    active one has as many ports as streams; a closed or failed one has
#    none or as many; streams is a non-empty array; times are set;
#  - the audit chain verifies (rgm-confserver audit verify) and its head is
#    the last entry.
# It restarts; it must then serve again, and have marked failed every
# session the kill left pending (their outcome is unknown; the gateway
# ends what it installed at the lease).

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ] || ! ip netns add "rgm-probe-$$" 2>/dev/null; then
	echo "ok 1 adv_dbkill # SKIP needs root and network namespaces"
	echo "1..1"
	exit 0
fi
ip netns del "rgm-probe-$$"
export RGM_DATAPLANE=nftables RGM_TOP="$top"
. "$top/selftests/lib.sh"

require_rgm
require certtool curl sqlite3 timeout
CS="$RGM_TOP/confserver/rgm-confserver"
[ -x "$CS" ] && [ -x "$RGM_TOP/ctl/rgmd/rgmd" ] || bail "rgm-confserver and rgmd are built"
KILLS=${ADV_DBKILLS:-20}
REQS=${ADV_DBKILL_REQS:-4}

topo_hub
topo_gw 1
mk_ca ca "rgm test CA"
mk_leaf cfg cfg.rgm.test ca "expiration_days = 30" "ip_address = \"$CONFSERVER\""
mk_leaf gw1 gw1.rgm.test ca "expiration_days = 30"
CFG_PIN=$(pin_of "$PKI/cfg.pem")
[ -n "$CFG_PIN" ] || bail "certtool made the test PKI"
start_gw_rgmd 1 "$CFG_PIN" "lease-max = 3600" "max-per-host = 4096" "rate = 1000 burst 2000" ||
	bail "rgmd of the gateway listens"

DB=$TMPD/cs.db
CLOG=$TMPD/cs.log
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
OPER=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat >"$TMPD/cs.conf" <<EOF
db = $DB
listen = $CONFSERVER:8443
http-cert = $PKI/cfg.pem
http-key = $PKI/cfg.key
token = portal-1 portal sha256:$(sha "$TOKEN")
token = ops operator sha256:$(sha "$OPER")
gateway-cert = $PKI/cfg.pem
gateway-key = $PKI/cfg.key
gateway-ca = $PKI/ca.pem
gateway-type = type-q driver rgm strategy query-first
connect-timeout = 3
request-timeout = 20
EOF
URL=https://$CONFSERVER:8443
CS_PID=
cs_start() {
	bg ip netns exec "$NS_WAN" "$CS" -c "$TMPD/cs.conf" serve 2>>"$CLOG"
	CS_PID=$BG_PID
	wait_until 15 healthy
}
healthy() {
	[ "$(nsx "$NS_WAN" curl -s -m 3 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' \
		"$URL/v1/health")" = 200 ]
}
api() {	# METHOD PATH BODY TOKEN: the HTTP status
	nsx "$NS_WAN" curl -s -m 30 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' \
		-X "$1" -H "Authorization: Bearer $4" -H 'Content-Type: application/json' \
		--data-binary "$3" "$URL$2" 2>/dev/null
}
cs_start || { sed 's/^/# /' "$CLOG"; bail "the configuration server serves"; }
check_eq "gw-1 enrolled" 201 "$(api POST /v1/gateways "$(printf \
	'{"id":"gw-1","type":"type-q","mode":"listen","endpoint":"%s:8443","pin":"%s"}' \
	"$(gw_global 1)" "$(pin_of "$PKI/gw1.pem")")" "$OPER")"
code=$(api POST /v1/appliances '{"appliance":"stb-1","gateway":"gw-1"}' "$TOKEN")
check "stb-1 registered behind gw-1" [ "$code" = 200 -o "$code" = 201 ]
BODY=$(printf '{"appliance":"stb-1","gateway_addr":"%s","local_addr":"10.0.0.2","lease":120,"streams":[{"type":"rtp","rtcp":true,"local_port":5004,"server_addr":"%s","server_port":6000},{"type":"udp","local_port":5006,"server_addr":"%s","server_port":6002},{"type":"tcp","local_port":8080,"server_addr":"%s","server_port":443}]}' \
	"$(gw_global 1)" "$MEDIA" "$MEDIA" "$MEDIA")
check_eq "control: a configure succeeds" 201 "$(api POST /v1/sessions "$BODY" "$TOKEN")"

q() { sqlite3 -batch "$DB" "$1" 2>&1; }
# Sessions not recorded whole (see the top of this file).
HALF="SELECT count(*) FROM sessions WHERE
	NOT (json_valid(streams) AND json_type(streams) = 'array' AND json_array_length(streams) > 0)
	OR created_at IS NULL OR updated_at IS NULL OR updated_at < created_at
	OR (state = 'pending' AND ports IS NOT NULL)
	OR (state = 'active' AND (ports IS NULL OR json_array_length(ports) != json_array_length(streams)))
	OR (state IN ('closed', 'failed') AND ports IS NOT NULL
	    AND json_array_length(ports) != json_array_length(streams))"

bad_integrity=0 bad_half=0 bad_audit=0 bad_restart=0 bad_pending=0 survived=0
sent=0 left_pending=0
for k in $(seq 1 "$KILLS"); do
	clients=()
	for _ in $(seq 1 "$REQS"); do
		nsx "$NS_WAN" curl -s -m 30 --cacert "$PKI/ca.pem" -o /dev/null \
			-X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
			--data-binary "$BODY" "$URL/v1/sessions" 2>/dev/null &
		clients+=($!)
	done
	sent=$((sent + REQS))
	sleep "0.$(printf '%03d' $((RANDOM % 600)))"
	kill -KILL "$CS_PID" 2>/dev/null
	wait "$CS_PID" 2>/dev/null
	wait "${clients[@]}"	# the clients, whose connections the kill cut

	r=$(q 'PRAGMA integrity_check')
	[ "$r" = ok ] || { bad_integrity=$((bad_integrity + 1)); diag "kill $k: integrity_check: $r"; }
	r=$(q 'PRAGMA foreign_key_check')
	[ -z "$r" ] || { bad_integrity=$((bad_integrity + 1)); diag "kill $k: foreign_key_check: $r"; }
	r=$(q "$HALF")
	[ "$r" = 0 ] || { bad_half=$((bad_half + 1)); diag "kill $k: $r session(s) half recorded"
		q 'SELECT id, state, streams, ports FROM sessions' | sed 's/^/#   /'; }
	out=$("$CS" -d "$DB" audit verify 2>&1) ||
		{ bad_audit=$((bad_audit + 1)); diag "kill $k: audit verify: $out"; }
	r=$(q 'SELECT (SELECT seq FROM audit_head) = (SELECT coalesce(max(seq), 0) FROM audit_log)')
	[ "$r" = 1 ] || { bad_audit=$((bad_audit + 1)); diag "kill $k: the audit head is not the last entry"; }
	p=$(q "SELECT count(*) FROM sessions WHERE state = 'pending'")
	left_pending=$((left_pending + p))

	if cs_start; then
		survived=$((survived + 1))
		# the start marked failed what the kill left pending
		p=$(q "SELECT count(*) FROM sessions WHERE state = 'pending'")
		[ "$p" = 0 ] || { bad_pending=$((bad_pending + 1)); diag "kill $k: $p pending after restart"; }
	else
		bad_restart=$((bad_restart + 1)); diag "kill $k: no restart"; sed 's/^/#   /' "$CLOG"
		cs_start || break
	fi
done
n=$(q 'SELECT count(*) FROM sessions')
diag "$KILLS kills, $sent map requests, $n sessions recorded, $left_pending left pending by a kill," \
	"$(q "SELECT count(*) FROM sessions WHERE state = 'active'") active," \
	"$(q "SELECT count(*) FROM sessions WHERE state = 'failed'") failed," \
	"$(q 'SELECT count(*) FROM audit_log') audit entries"
check_eq "after each SIGKILL: PRAGMA integrity_check ok, foreign keys hold" 0 "$bad_integrity"
check_eq "after each SIGKILL: no session half recorded" 0 "$bad_half"
check_eq "after each SIGKILL: the audit chain verifies, its head is the last entry" 0 "$bad_audit"
check_eq "after each SIGKILL: the configuration server starts and serves again" 0 "$bad_restart"
check_eq "after each restart: no session left pending (marked failed)" 0 "$bad_pending"
check_ge "the kills hit writes: sessions were left pending by a kill" 1 "$left_pending"
check_eq "control: a configure succeeds after the last restart" 201 "$(api POST /v1/sessions "$BODY" "$TOKEN")"
grep -q 'BUG\|Sanitizer\|database disk image is malformed' "$CLOG" &&
	not_ok "the configuration server's log is clean" || ok "the configuration server's log is clean"
diag "adv: kills-survived $survived"
