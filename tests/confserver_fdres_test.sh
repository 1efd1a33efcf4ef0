#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The descriptor reserve (confserver/fdres.c): rgm-confserver started with a
# hard open-files limit of 160 and call-home-fd-reserve = 48, and 150
# call-home gateways (bench/fleetgen: real TLS, rgmd's protocol) calling
# home on loopback, more than the descriptors left for them. The gateways
# take what the reserve leaves and no more: the others are refused and
# counted in /metrics, and the portal and operator API still answer.
# Before the reserve, such a fleet took every descriptor and the API
# accepted nothing.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
TMPD=$(mktemp -d /tmp/rgm-fdres.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$TMPD"
}
trap cleanup EXIT
. "$top/selftests/pki.sh"

for c in certtool curl sha256sum; do
	command -v $c >/dev/null || bail "$c is installed (make setup)"
done
for p in confserver/rgm-confserver bench/fleetgen; do
	[ -x "$top/$p" ] || bail "$p is built (make user)"
done

K=150 LIMIT=160 RESERVE=48
mk_ca ca "rgm fdres CA"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
"$top/bench/fleetgen" keys -n $K -c "$PKI/ca.pem" -k "$PKI/ca.key" -o "$TMPD/fleet.pem" \
	-p fdres- >"$TMPD/fleet.txt" || bail "fleetgen makes $K gateway keys"

HTTP=$(free_port) CH=$(free_port)
OTOK=op-$RANDOM$RANDOM PTOK=portal-$RANDOM$RANDOM
hash() { printf %s "$1" | sha256sum | cut -c1-64; }
cat >"$TMPD/cs.conf" <<EOC
db = $TMPD/cs.db
listen = 127.0.0.1:$HTTP
insecure-http = yes
token = ops operator sha256:$(hash "$OTOK")
token = portal-1 portal sha256:$(hash "$PTOK")
gateway-cert = $PKI/srv.pem
gateway-key = $PKI/srv.key
gateway-ca = $PKI/ca.pem
gateway-type = homebox driver rgm strategy query-first
call-home-listen = 127.0.0.1:$CH
call-home-fd-reserve = $RESERVE
idle-timeout = 86400
EOC
URL=http://127.0.0.1:$HTTP
# the hard limit too: the server raises its soft limit to the hard one
(ulimit -n $LIMIT && exec "$top/confserver/rgm-confserver" -c "$TMPD/cs.conf" serve) \
	2>>"$TMPD/cs.log" &
CS_PID=$!
PIDS+=("$CS_PID")
for i in $(seq 100); do
	curl -s -o /dev/null --max-time 1 "$URL/v1/health" && break
	sleep 0.1
done
check "rgm-confserver serves with $LIMIT open files at most" \
	curl -sf -o /dev/null --max-time 5 "$URL/v1/health" ||
	{ tail -n 5 "$TMPD/cs.log"; bail "rgm-confserver does not serve"; }
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$CS_PID/limits")
check "the soft limit is the hard one ($soft)" [ "$soft" = $LIMIT ]

api() {	# TOKEN METHOD PATH [BODY]: prints the status code
	curl -s -o "$TMPD/api.out" -w '%{http_code}' --max-time 10 -X "$2" \
		-H "Authorization: Bearer $1" ${4:+-H "Content-Type: application/json" -d "$4"} \
		"$URL$3"
}
enrolled=0
while read -r id pin addr; do
	code=$(api "$OTOK" POST /v1/gateways \
		"{\"id\":\"$id\",\"type\":\"homebox\",\"mode\":\"call-home\",\"pin\":\"$pin\",\"global_addr\":\"$addr\"}")
	[ "$code" = 201 ] && enrolled=$((enrolled + 1))
done <"$TMPD/fleet.txt"
check "$K call-home gateways enrolled" [ $enrolled = $K ]

"$top/bench/fleetgen" run -n $K -f "$TMPD/fleet.pem" -a "$PKI/ca.pem" -t "127.0.0.1:$CH" \
	-p fdres- -s 2000 >"$TMPD/fleetgen.log" 2>"$TMPD/fleetgen.err" &
PIDS+=("$!")
up() { tail -n 1 "$TMPD/fleetgen.log" 2>/dev/null | sed -n 's/.* up=\([0-9]*\) .*/\1/p'; }
refused() {
	curl -s --max-time 10 -H "Authorization: Bearer $OTOK" "$URL/metrics" |
		awk '$1 == "rgm_confserver_callhome_refused_total" { print $2 }'
}
# until the gateways that fit are up and the others have been refused (the
# fleet keeps retrying them); bounded, not timed: no figure is asserted
last=-1 same=0
for i in $(seq ${FDRES_WAIT:-60}); do
	sleep 1
	g=$(up)
	if [ "${g:-0}" = "$last" ] && [ "$(refused)" -gt 0 ] 2>/dev/null; then
		same=$((same + 1))
		[ $same -ge 3 ] && break
	else
		same=0
	fi
	last=${g:-0}
done
g=$(up) r=$(refused)
diag "gateways up: ${g:-?} of $K, call-home refusals: ${r:-?}"
check "some gateways are up" [ "${g:-0}" -gt 0 ]
check "not all $K gateways are up (the reserve is kept)" [ "${g:-0}" -lt $K ]
check "refusals are counted in /metrics" [ "${r:-0}" -gt 0 ]
open=$(ls "/proc/$CS_PID/fd" | wc -l)
diag "the server's open descriptors: $open of $LIMIT, reserve $RESERVE"
check "the server keeps its reserve free ($open + $RESERVE <= $LIMIT)" \
	[ $((open + RESERVE)) -le $LIMIT ]

# the API, while the refused gateways keep calling
check "GET /v1/health answers 200" [ "$(api "$OTOK" GET /v1/health)" = 200 ]
check "GET /v1/gateways (operator) answers 200" [ "$(api "$OTOK" GET /v1/gateways)" = 200 ]
ok=0
for i in $(seq 20); do
	[ "$(api "$PTOK" GET /v1/health)" = 200 ] && ok=$((ok + 1))
done
check "20 more API requests answer 200 ($ok)" [ $ok = 20 ]
lines=$(grep -c 'call-home: .* connection(s) refused' "$TMPD/cs.log")
diag "refusal log lines: $lines for $r refusals"
check "refusals are logged, not one line each" [ "$lines" -ge 1 ] && [ "$lines" -lt "${r:-0}" ]
check "rgm-confserver is still running" kill -0 "$CS_PID"

echo "1..$n"
[ $fails = 0 ]
