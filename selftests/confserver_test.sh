#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The configuration server against real gateways: rgm-confserver serves
# HTTPS on the WAN, four gateways run rgm.ko and rgmd in their own network
# namespaces, one per negotiation strategy (gateway types):
#
#                    ns WAN: confserver 203.0.113.20:8443 (HTTPS, curl/python
#                            clients play the portal), media 203.0.113.7
#        +-------------+--------------+--------------+
#   gw-1 198.51.100.1  gw-2 .2        gw-3 .3        gw-4 .4      rgmd :8443 each
#   query-first        propose        gateway-chooses reserve-commit
#   LAN 10.0.0.0/24    10.0.1.0/24    10.0.2.0/24    10.0.3.0/24
#
# Checked: a full configure / renew / teardown with traffic through the
# mapping; port conflicts under each strategy; a gateway whose certificate
# is not the registered pin; an unknown appliance; a gateway that is down
# (and comes back); policy refusals; a lease that nobody renews; 100
# concurrent sessions over the four gateways; the audit chain.

. "$(dirname "$0")/lib.sh"

require_rgm
require certtool curl sqlite3 timeout
CONFSERVER_BIN="$RGM_TOP/confserver/rgm-confserver"
[ -x "$CONFSERVER_BIN" ] || bail "rgm-confserver is built"

NGW=4
topo_hub
for i in $(seq 1 $NGW); do topo_gw "$i"; done

# ---------------------------------------------------------------- PKI

mk_ca ca "rgm test CA"
mk_leaf cfg cfg.rgm.test ca "expiration_days = 30" "ip_address = \"$CONFSERVER\""
for i in $(seq 1 $NGW); do mk_leaf "gw$i" "gw$i.rgm.test" ca "expiration_days = 30"; done
mk_leaf other gw5.rgm.test ca "expiration_days = 30"	# a key no rgmd has
CFG_PIN=$(pin_of "$PKI/cfg.pem")
[ -n "$CFG_PIN" ] || bail "certtool made the test PKI"
ok "test PKI made"

for i in $(seq 1 $NGW); do
	start_gw_rgmd "$i" "$CFG_PIN" "lease-max = 3600" "max-per-host = 16" ||
		bail "rgmd of gateway $i listens"
done
ok "four rgmd listen, one per gateway namespace"

# ---------------------------------------------------------------- confserver

DB=$TMPD/confserver.db
CONF=$TMPD/confserver.conf
CLOG=$TMPD/confserver.log
PORTAL_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
OPER_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat >"$CONF" <<EOF
db = $DB
listen = $CONFSERVER:8443
http-cert = $PKI/cfg.pem
http-key = $PKI/cfg.key
token = portal-1 portal sha256:$(sha "$PORTAL_TOKEN")
token = ops operator sha256:$(sha "$OPER_TOKEN")
gateway-cert = $PKI/cfg.pem
gateway-key = $PKI/cfg.key
gateway-ca = $PKI/ca.pem
gateway-type = type-q driver rgm strategy query-first
gateway-type = type-p driver rgm strategy propose
gateway-type = type-g driver rgm strategy gateway-chooses
gateway-type = type-r driver rgm strategy reserve-commit
connect-timeout = 3
request-timeout = 20
idle-timeout = 300
max-connections = 256
EOF
out=$("$CONFSERVER_BIN" -c "$CONF" --check-config 2>&1)
check "confserver --check-config accepts the file" [ $? = 0 ] || diag "$out"

bg ip netns exec "$NS_WAN" "$CONFSERVER_BIN" -c "$CONF" serve 2>>"$CLOG"
CS_PID=$BG_PID
wait_listen "$NS_WAN" tcp 8443 || { sed 's/^/# /' "$CLOG"; bail "confserver listens"; }

URL=https://$CONFSERVER:8443
# api METHOD PATH [BODY [TOKEN]]: the response body in $OUT, the HTTP
# status in $CODE (000 when the connection failed). Not in a subshell, so
# that both survive the call.
api() {
	local m=$1 p=$2 body=${3:-} tok=${4:-$PORTAL_TOKEN} f=$TMPD/api.out
	: >"$f"
	CODE=$(nsx "$NS_WAN" curl -sS -m 60 --cacert "$PKI/ca.pem" -o "$f" -w '%{http_code}' \
		-X "$m" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
		${body:+--data-binary "$body"} "$URL$p" 2>>"$TMPD/curl.err")
	OUT=$(cat "$f")
}
state_is() { api GET "/v1/sessions/$1"; [ "$(jqr "$OUT" .state)" = "$2" ]; }
jqr() { printf '%s' "$1" | jq -r "$2" 2>/dev/null; }

api GET /v1/health
check_eq "health answers over HTTPS" 200 "$CODE"

# ---------------------------------------------------------------- enrollment

types=(x type-q type-p type-g type-r)
for i in $(seq 1 $NGW); do
	body=$(printf '{"id":"gw-%d","type":"%s","mode":"listen","endpoint":"%s:8443","pin":"%s"}' \
		"$i" "${types[$i]}" "$(gw_global "$i")" "$(pin_of "$PKI/gw$i.pem")")
	api POST /v1/gateways "$body" "$OPER_TOKEN"; out=$OUT
	check_eq "operator enrolls gw-$i (${types[$i]})" 201 "$CODE" || diag "$out"
done
api POST /v1/gateways '{"id":"gw-x","type":"type-q","mode":"listen","endpoint":"198.51.100.1:8443","pin":"pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}'; out=$OUT
check_eq "a portal token cannot enroll gateways" 403 "$CODE"

# gw-5: gw-1's address, but enrolled with another key (same CA): whoever
# answers there is not the registered gateway.
api POST /v1/gateways "$(printf '{"id":"gw-5","type":"type-q","mode":"listen","endpoint":"%s:8443","pin":"%s"}' \
	"$(gw_global 1)" "$(pin_of "$PKI/other.pem")")" "$OPER_TOKEN"; out=$OUT
check_eq "gw-5 enrolled at gw-1's address with another key" 201 "$CODE"
api POST /v1/gateways "$(printf '{"id":"gw-6","type":"type-q","mode":"listen","endpoint":"%s:8443","pin":"%s"}' \
	"$(gw_global 1)" "$(pin_of "$PKI/gw1.pem")")" "$OPER_TOKEN"; out=$OUT
check_eq "a key already enrolled (gw-1's) cannot enroll a second gateway: 409" 409 "$CODE"

# register APPLIANCE GATEWAY
register() {
	api POST /v1/appliances "{\"appliance\":\"$1\",\"gateway\":\"$2\"}"
	[ "$CODE" = 200 ] || [ "$CODE" = 201 ]
}
for i in $(seq 1 $NGW); do
	check "appliance stb-$i registers behind gw-$i" register "stb-$i" "gw-$i"
done
check "appliance stb-5 registers behind gw-5" register stb-5 gw-5

# configure_body APPLIANCE I LOCALHOST [LEASE]: rtp+rtcp to .LOCALHOST:5004
# from the media server's 6000, and tcp to :8080 from its 443
configure_body() {
	printf '{"appliance":"%s","gateway_addr":"%s","local_addr":"10.0.%d.%d","lease":%d,"streams":[{"type":"rtp","rtcp":true,"local_port":5004,"server_addr":"%s","server_port":6000},{"type":"tcp","local_port":8080,"server_addr":"%s","server_port":443}]}' \
		"$1" "$(gw_global "$2")" $(($2 - 1)) "$3" "${4:-300}" "$MEDIA" "$MEDIA"
}
mapped_is() { [ "$(mapped "$1")" = "$2" ]; }
mapped() { gwctl_n "$1" -j mapping show 2>/dev/null | jq 'if type=="array" then length else (.mappings|length) end'; }
sessions_in() { sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE state='$1'" 2>/dev/null; }

# ---------------------------------------------------------------- full cycle

api POST /v1/sessions "$(configure_body stb-1 1 2)"; out=$OUT
check_eq "configure: 201 from gw-1" 201 "$CODE" || diag "$out"
S1=$(jqr "$out" .session)
GP=$(jqr "$out" '.streams[0].global_port')
RP=$(jqr "$out" '.streams[0].rtcp_port')
TP=$(jqr "$out" '.streams[1].global_port')
check_eq "configure: the session is active" active "$(jqr "$out" .state)"
check_eq "configure: global address is the gateway's" "$(gw_global 1)" "$(jqr "$out" '.streams[0].global_addr')"
check_eq "configure: rtcp on the next port" $((GP + 1)) "$RP"
check_eq "gw-1 holds the session's three tuples" 3 "$(mapped 1)"
owner=$(gwctl_n 1 -j mapping show | jq -r --argjson p "$GP" '(if type=="array" then . else .mappings end)[] | select(.global_port==$p and .proto=="udp") | .local_port')
check_eq "the rtp tuple on gw-1 points at the appliance's port" 5004 "$owner"

LOG1=$TMPD/lan1.log
udp_echo "${LANNS[1]}" "$(gw_lan 1 2)" 5004 "$LOG1"
# an RTP header (v2, PT 33) and a payload: the stream type is rtp
RTP="80 21 00 01 00 00 00 64 12 34 56 78 de ad be ef"
out=$(udp_send_hex "$NS_WAN" "$MEDIA" 6000 "$(gw_global 1)" "$GP" "$RTP")
check_eq "the media server's RTP reaches the appliance (and back)" "$RTP" "$out"
out=$(udp_send_hex "$NS_WAN" "$ATTACKER" 6000 "$(gw_global 1)" "$GP" "$RTP")
check_eq "a stranger's datagram to the same port is dropped" "" "$out"
out=$(udp_send_hex "$NS_WAN" "$MEDIA" 6001 "$(gw_global 1)" "$GP" "$RTP")
check_eq "the media server from a wrong source port is dropped" "" "$out"

api GET "/v1/sessions/$S1"; out=$OUT
check_eq "GET session: 200 active" "200 active" "$CODE $(jqr "$out" .state)"

api POST /v1/sessions/renew "{\"session\":\"$S1\",\"lease\":3000}"; out=$OUT
check_eq "renew: 200" 200 "$CODE" || diag "$out"
exp=$(gwctl_n 1 -j mapping show | jq -r --argjson p "$GP" '(if type=="array" then . else .mappings end)[] | select(.global_port==$p and .proto=="udp") | .expires')
check_ge "renew: the gateway's lease moved to ~3000 s" 2900 "$exp"

api POST /v1/sessions/close "{\"session\":\"$S1\"}"; out=$OUT
check_eq "teardown: 200 closed" "200 closed" "$CODE $(jqr "$out" .state)"
check_eq "teardown: gw-1 holds nothing" 0 "$(mapped 1)"
out=$(udp_send_hex "$NS_WAN" "$MEDIA" 6000 "$(gw_global 1)" "$GP" "$RTP")
check_eq "teardown: the port is closed to the media server" "" "$out"
api POST /v1/sessions/close "{\"session\":\"$S1\"}"; out=$OUT
check "teardown twice: refused with 404 or 409" grep -qxE '404|409' <<<"$CODE"
api POST /v1/sessions/renew "{\"session\":\"$S1\",\"lease\":60}"; out=$OUT
check "renew of a closed session: refused with 404 or 409" grep -qxE '404|409' <<<"$CODE"

# ---------------------------------------------------------------- gateway restart

# gw_reboot I [CMD...]: gateway I "reboots": rgmd stops, every tuple goes,
# and its epoch file (on /run, a tmpfs) too; CMD runs before rgmd is back.
gw_reboot() {
	local i=$1 pid=RGMD_PID_$1; shift
	kill "${!pid}"; wait "${!pid}" 2>/dev/null
	gwctl_n "$i" mapping del all >/dev/null
	rm -f "$TMPD/state$i/epoch"
	[ $# = 0 ] || "$@"
	start_gw_rgmd "$i" "$CFG_PIN" "lease-max = 3600" "max-per-host = 16"
}
epoch_of() { sqlite3 "$DB" "SELECT epoch FROM gateways WHERE id = '$1'" 2>/dev/null; }
# restore_result SESSION: the audit's answer to the last restore of SESSION
restore_result() {
	sqlite3 "$DB" "SELECT result FROM audit_log WHERE actor = 'confserver:restore'
		AND json_extract(command, '$.request') = 'restore'
		AND json_extract(command, '$.session') = '$1' ORDER BY seq DESC LIMIT 1" 2>/dev/null
}

api POST /v1/sessions "$(configure_body stb-1 1 2 600)"; out=$OUT
check_eq "restart: a session on gw-1" 201 "$CODE" || diag "$out"
S2=$(jqr "$out" .session)
GP2=$(jqr "$out" '.streams[0].global_port')
TP2=$(jqr "$out" '.streams[1].global_port')
ep0=$(epoch_of gw-1)
check "restart: the confserver recorded gw-1's epoch" grep -qxE '[0-9a-f]{16}' <<<"$ep0"
t0=$(date +%s%N)
# (counted while rgmd is down: the restore may come within a second)
gw_reboot 1 eval 'LOST=$(mapped 1)' || bail "rgmd of gw-1 restarts"
check_eq "restart: gw-1 lost the session's tuples" 0 "$LOST"
check "restart: within 20 s the confserver notices and maps the session again" \
	wait_until 20 mapped_is 1 3
diag "restored $(( ($(date +%s%N) - t0) / 1000000 )) ms after the reboot began"
ep1=$(epoch_of gw-1)
check "restart: gw-1 came back with a new epoch ($ep0 -> $ep1)" \
	eval '[ -n "$ep1" ] && [ "$ep1" != "$ep0" ]'
ports=$(gwctl_n 1 -j mapping show | jq -r '(if type=="array" then . else .mappings end)[]
	| "\(.proto) \(.global_port)"' | sort | tr '\n' ' ')
check_eq "restart: on the ports it had" "tcp $TP2 udp $GP2 udp $((GP2 + 1)) " "$ports"
out=$(udp_send_hex "$NS_WAN" "$MEDIA" 6000 "$(gw_global 1)" "$GP2" "$RTP")
check_eq "restart: the media server's RTP reaches the appliance again" "$RTP" "$out"
api GET "/v1/sessions/$S2"; out=$OUT
check_eq "restart: the session is active, same port" "active $GP2" \
	"$(jqr "$out" .state) $(jqr "$out" '.streams[0].global_port')"
check_eq "restart: audited as a restore by confserver:restore" 200 \
	"$(jqr "$(restore_result "$S2")" .status)"
check "restart: the confserver logged the new epoch" grep -q "gw-1: epoch changed from $ep0" "$CLOG"

# Again, but an administrator takes the session's TCP port while the
# gateway is down: the restore is refused, the session failed, nothing
# half-installed.
gw_reboot 1 gwctl_n 1 mapping add proto tcp global "$(gw_global 1):$TP2" \
	local "$(gw_lan 1 3):9999" lease 600 || bail "rgmd of gw-1 restarts"
check "restart, port taken meanwhile: the session becomes failed" \
	wait_until 20 state_is "$S2" failed
check_eq "restart, port taken meanwhile: the restore's error is port-conflict" port-conflict \
	"$(jqr "$(restore_result "$S2")" .error.code)"
check_eq "restart, port taken meanwhile: only the administrator's tuple" 1 "$(mapped 1)"
gwctl_n 1 mapping del all >/dev/null

# ---------------------------------------------------------------- strategies

# Occupy the bottom of the range on every gateway (admin mappings):
# udp 40000-40005 and tcp 40000-40001.
for i in $(seq 1 $NGW); do
	for p in 40000 40001 40002 40003 40004 40005; do
		gwctl_n "$i" mapping add proto udp global "$(gw_global "$i"):$p" \
			local "$(gw_lan "$i" 3):$((p - 30000))" lease 3600 >/dev/null
	done
	for p in 40000 40001; do
		gwctl_n "$i" mapping add proto tcp global "$(gw_global "$i"):$p" \
			local "$(gw_lan "$i" 3):$((p - 30000))" lease 3600 >/dev/null
	done
done
check_eq "the bottom ports are taken on gw-1" 8 "$(mapped 1)"

audit_seq() { sqlite3 "$DB" 'SELECT coalesce(max(seq), 0) FROM audit_log' 2>/dev/null; }
audit_ops() {	# GATEWAY SINCE: the ops sent to it after SINCE, with their results
	sqlite3 "$DB" "SELECT command, result FROM audit_log WHERE gateway_id='$1' AND seq > $2 ORDER BY seq" 2>/dev/null |
		while IFS='|' read -r c r; do
			printf '%s:%s ' "$(jqr "$c" '.op // .request')" \
				"$(jqr "$r" 'if .ok then "ok" elif .error then (.error.code // .error)
					     else (.status // "?" | tostring) end')"
		done
}
only_map() { ! grep -qE 'query|reserve' <<<"$1" && grep -q 'map:ok' <<<"$1"; }
names=(x query-first propose gateway-chooses reserve-commit)
for i in $(seq 1 $NGW); do
	n=${names[$i]}
	since=$(audit_seq)
	api POST /v1/sessions "$(configure_body "stb-$i" "$i" 2)"; out=$OUT
	check_eq "$n: configure despite taken ports: 201" 201 "$CODE" || { diag "$out"; continue; }
	gp=$(jqr "$out" '.streams[0].global_port'); tp=$(jqr "$out" '.streams[1].global_port')
	check "$n: rtp got an even free port above the taken ones" \
		test "$gp" -ge 40006 -a $((gp % 2)) = 0
	check "$n: tcp got a free port" test "$tp" -ge 40002
	check_eq "$n: the gateway holds 3 more tuples" 11 "$(mapped "$i")"
	ops=$(audit_ops "gw-$i" "$since")
	diag "gw-$i audit: $ops"
	case $n in
	query-first)	 check "$n: asked for free ports before mapping" grep -q 'query:ok map:ok' <<<"$ops" ;;
	propose)	 check "$n: a proposal was refused, the next one taken" \
				grep -q 'map:port-in-use.*map:ok' <<<"$ops" ;;
	gateway-chooses) check "$n: one map, no query, no reserve" only_map "$ops" ;;
	reserve-commit)	 check "$n: reserved, then committed" grep -q 'reserve:ok map:ok' <<<"$ops" ;;
	esac
	api POST /v1/sessions/close "{\"session\":\"$(jqr "$out" .session)\"}"
	check_eq "$n: teardown leaves the admin mappings only" 8 "$(mapped "$i")"
done

# propose with the whole range taken by a tighter policy: conflict, nothing left
# (gw-2's policy only allows 40000-40005, all taken)
kill "$RGMD_PID_2"; wait "$RGMD_PID_2" 2>/dev/null
start_gw_rgmd 2 "$CFG_PIN" "lease-max = 3600" "max-per-host = 16" "ports = 40000-40005" ||
	bail "rgmd of gw-2 restarts with a narrow range"
api POST /v1/sessions "$(configure_body stb-2 2 2)"; out=$OUT
check_eq "propose, every port taken: 409 port-conflict" "409 port-conflict" "$CODE $(jqr "$out" .error.code)"
check_eq "propose, every port taken: nothing installed" 8 "$(mapped 2)"
kill "$RGMD_PID_2"; wait "$RGMD_PID_2" 2>/dev/null
start_gw_rgmd 2 "$CFG_PIN" "lease-max = 3600" "max-per-host = 16" || bail "rgmd of gw-2 restarts"

# ---------------------------------------------------------------- refusals

failed0=$(sessions_in failed)
api POST /v1/sessions "$(configure_body stb-5 1 2)"; out=$OUT
check_eq "a gateway that is not the registered key: 502 gateway-untrusted" \
	"502 gateway-untrusted" "$CODE $(jqr "$out" .error.code)"
check_eq "... and nothing is installed there" 8 "$(mapped 1)"
check_eq "... and the session is recorded failed" $((failed0 + 1)) "$(sessions_in failed)"

api POST /v1/sessions "$(configure_body stb-nobody 1 2)"; out=$OUT
check_eq "unknown appliance: 404 unknown-appliance" "404 unknown-appliance" "$CODE $(jqr "$out" .error.code)"

# like PCP: a longer lease than the gateway grants is cut, and said so
api POST /v1/sessions "$(configure_body stb-1 1 2 7200)"; out=$OUT
check_eq "a lease over the gateway's lease-max is cut to it: 201, lease 3600" \
	"201 3600" "$CODE $(jqr "$out" .lease)"
api POST /v1/sessions/close "{\"session\":\"$(jqr "$out" .session)\"}"
api POST /v1/sessions "$(configure_body stb-1 1 2 | sed 's/10\.0\.0\.2/10.0.9.2/')"; out=$OUT
check_eq "a LAN address outside the gateway's prefix: 403 policy-denied" \
	"403 policy-denied" "$CODE $(jqr "$out" .error.code)"
check_eq "... nothing installed by the refusals" 8 "$(mapped 1)"

kill "$RGMD_PID_3"; wait "$RGMD_PID_3" 2>/dev/null
t0=$(date +%s)
api POST /v1/sessions "$(configure_body stb-3 3 2)"; out=$OUT
t1=$(date +%s)
check_eq "gateway down: 502 gateway-unreachable" "502 gateway-unreachable" "$CODE $(jqr "$out" .error.code)"
check "gateway down: answered within the request timeout ($((t1 - t0)) s)" [ $((t1 - t0)) -le 20 ]
start_gw_rgmd 3 "$CFG_PIN" "lease-max = 3600" "max-per-host = 16" || bail "rgmd of gw-3 restarts"
api POST /v1/sessions "$(configure_body stb-3 3 2)"; out=$OUT
check_eq "gateway back: configure works again (reconnects)" 201 "$CODE" || diag "$out"
api POST /v1/sessions/close "{\"session\":\"$(jqr "$out" .session)\"}"

# ---------------------------------------------------------------- lease end

api POST /v1/sessions "$(configure_body stb-4 4 2 2)"; out=$OUT
check_eq "a 2 s lease: 201" 201 "$CODE"
SL=$(jqr "$out" .session)
check "the unrenewed lease ends on the gateway by itself" wait_until 10 mapped_is 4 8
check "... and the session is closed on the server" \
	wait_until 10 state_is "$SL" closed

# ---------------------------------------------------------------- 100 at once

# 25 appliances per gateway, each its own LAN address (10.0.I.20..44), all
# requests in flight together from one client process.
for i in $(seq 1 $NGW); do
	for k in $(seq 1 25); do
		register "app-$i-$k" "gw-$i" || diag "register app-$i-$k: $CODE"
	done
done
PYCLIENT='
import json, ssl, sys, threading, urllib.request
url, token, ca, reqfile, outfile = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=ca)
reqs = [l.split(" ", 1) for l in open(reqfile).read().splitlines()]
res = [None] * len(reqs)
def go(i, path, body):
    r = urllib.request.Request(url + path, data=body.encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(r, context=ctx, timeout=120) as f:
            res[i] = {"status": f.status, "body": json.loads(f.read())}
    except urllib.error.HTTPError as e:
        res[i] = {"status": e.code, "body": e.read().decode(errors="replace")}
    except Exception as e:
        res[i] = {"status": 0, "body": str(e)}
ts = [threading.Thread(target=go, args=(i, p, b)) for i, (p, b) in enumerate(reqs)]
for t in ts: t.start()
for t in ts: t.join()
with open(outfile, "w") as f:
    for r in res: f.write(json.dumps(r) + "\n")
'
: >"$TMPD/reqs"
for k in $(seq 1 25); do
	for i in $(seq 1 $NGW); do
		echo "/v1/sessions $(configure_body "app-$i-$k" "$i" $((19 + k)) 600)" >>"$TMPD/reqs"
	done
done
since=$(audit_seq)
t0=$(date +%s%N)
nsx "$NS_WAN" "$PYTHON" -c "$PYCLIENT" "$URL" "$PORTAL_TOKEN" "$PKI/ca.pem" "$TMPD/reqs" "$TMPD/res"
t1=$(date +%s%N)
diag "100 concurrent configures took $(( (t1 - t0) / 1000000 )) ms"
check_eq "100 concurrent configures: all 201" 100 "$(jq -s '[.[] | select(.status == 201)] | length' "$TMPD/res")"
jq -c 'select(.status != 201)' "$TMPD/res" | head -5 | sed 's/^/# /'
# query-first claims what it picks on the link: its own sessions, racing
# for the same lowest free ports, never collide on the gateway
ops=$(audit_ops gw-1 "$since")
diag "gw-1 (query-first): $(grep -o 'query:ok' <<<"$ops" | wc -l) queries, $(grep -o 'map:ok' <<<"$ops" | wc -l) maps"
check_eq "gw-1 (query-first): no map of 25 concurrent sessions refused port-in-use" 0 \
	"$(grep -o 'map:port-in-use' <<<"$ops" | wc -l)"
for i in $(seq 1 $NGW); do
	check_eq "gw-$i holds 25 sessions' tuples (3 each) and the admin ones" 83 "$(mapped "$i")"
	dup=$(jq -r --arg g "$(gw_global "$i")" 'select(.status == 201) | .body.streams[]
		| select(.global_addr == $g)
		| if .type == "tcp" then "tcp \(.global_port)"
		  else "udp \(.global_port)", "udp \(.rtcp_port)" end' "$TMPD/res" |
		sort | uniq -d | wc -l)
	check_eq "gw-$i: no global port given twice" 0 "$dup"
done
jq -r 'select(.status == 201) | "/v1/sessions/close {\"session\":\"\(.body.session)\"}"' "$TMPD/res" >"$TMPD/reqs2"
nsx "$NS_WAN" "$PYTHON" -c "$PYCLIENT" "$URL" "$PORTAL_TOKEN" "$PKI/ca.pem" "$TMPD/reqs2" "$TMPD/res2"
check_eq "100 concurrent teardowns: all 200" 100 "$(jq -s '[.[] | select(.status == 200)] | length' "$TMPD/res2")"
for i in $(seq 1 $NGW); do
	check_eq "gw-$i is back to the admin mappings" 8 "$(mapped "$i")"
done

# ---------------------------------------------------------------- the record

check_eq "no session is left pending" 0 "$(sessions_in pending)"
out=$("$CONFSERVER_BIN" -d "$DB" audit verify 2>&1)
check "the audit chain verifies" [ $? = 0 ] || diag "$out"
n=$(sqlite3 "$DB" 'SELECT count(*) FROM audit_log' 2>/dev/null)
# at least: 100 maps (query-first and reserve-commit: 2 commands), 100
# unmaps, and what came before
check_ge "every gateway command was audited (>= 280 entries)" 280 "$n"

kill -TERM "$CS_PID"
rc=timeout
timeout 20 tail --pid="$CS_PID" -f /dev/null && { wait "$CS_PID"; rc=$?; }
check_eq "SIGTERM: the confserver exits 0" 0 "$rc"
grep -q 'BUG\|Sanitizer\|double free' "$CLOG" && not_ok "confserver log is clean" || ok "confserver log is clean"
