#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# B6 setup latency, inside the VM (scripts/bench-vm.sh runs it last, or
# alone with BENCH_ONLY=b6): the deployment of selftests/deploy.sh with two
# gateways on rgm.ko, each rgmd programmed by the configuration server with
# another negotiation strategy, and tc netem on each gateway's WAN link:
# D/2 each way (egress of gwwan and of the hub's wanI), so the round trip
# between the servers and the gateway grows by D; the portal-to-server
# request stays local, as in a data centre. scripts/bench-setup.py measures; "B6 ..." lines go to $1.
#
#   ns WAN: confserver 203.0.113.20 (idle-timeout 1 s), media 203.0.113.7,
#           scripts/bench-setup.py as the portal
#   gw-1 198.51.100.1 rgmd, strategy query-first (query, then map)
#   gw-2 198.51.100.2 rgmd, strategy gateway-chooses (one map)
#   LAN 1 10.0.0.2, LAN 2 10.0.1.2: the appliances' receivers on udp 5004
#
# RGM_B6_CONFSERVER=PATH measures another build of rgm-confserver (a before
# and after); BENCH_B6_ROUND0 offsets the round numbers of its lines.
set -u
res=${1:?usage: bench-setup.sh RESULTS}
RGM_TOP=$(cd "$(dirname "$0")/.." && pwd)
# RGM_DATAPLANE=nftables BENCH_B6_DELAYS=0: a dry run on the host, which
# has no sch_netem (nor rgm.ko)
RGM_DATAPLANE=${RGM_DATAPLANE:-kmod}
export RGM_TOP RGM_DEMO=1 RGM_DATAPLANE
# shellcheck source=selftests/lib.sh
. "$RGM_TOP/selftests/lib.sh"
# shellcheck source=selftests/deploy.sh
. "$RGM_TOP/selftests/deploy.sh"

ROUNDS=${BENCH_ROUNDS:-5}
DELAYS=${BENCH_B6_DELAYS:-"0 10 50"}
netem=1
[ "$DELAYS" = 0 ] && netem=0
[ $netem = 0 ] || modprobe -q sch_netem || { echo "bench-setup: no sch_netem" >&2; exit 1; }

topo_hub
topo_gw 1
topo_gw 2
deploy_pki 2
for i in 1 2; do
	start_gw_rgmd "$i" "$CFG_PIN" || { echo "bench-setup: rgmd $i" >&2; exit 1; }
	if [ $netem = 1 ] &&
	   ! { ip netns exec "${GWNS[$i]}" tc qdisc add dev gwwan root netem delay 0ms &&
	       ip netns exec "$NS_WAN" tc qdisc add dev "wan$i" root netem delay 0ms; }; then
		echo "bench-setup: tc netem on gw-$i's WAN link" >&2
		exit 1
	fi
done

CS_DB=$TMPD/confserver.db
_token >"$TMPD/portal.token"
_token >"$TMPD/oper.token"
chmod 600 "$TMPD"/*.token
cat >"$TMPD/confserver.conf" <<EOF
db = $CS_DB
listen = $CONFSERVER:8443
http-cert = $PKI/cfg.pem
http-key = $PKI/cfg.key
token = portal-1 portal sha256:$(_sha "$(cat "$TMPD/portal.token")")
token = ops operator sha256:$(_sha "$(cat "$TMPD/oper.token")")
gateway-cert = $PKI/cfg.pem
gateway-key = $PKI/cfg.key
gateway-ca = $PKI/ca.pem
gateway-type = qf driver rgm strategy query-first
gateway-type = gc driver rgm strategy gateway-chooses
connect-timeout = 5
request-timeout = 20
idle-timeout = 1
EOF
bg ip netns exec "$NS_WAN" "${RGM_B6_CONFSERVER:-$RGM_TOP/confserver/rgm-confserver}" \
	-c "$TMPD/confserver.conf" serve 2>>"$TMPD/confserver.log"
wait_listen "$NS_WAN" tcp 8443 || { echo "bench-setup: confserver" >&2; exit 1; }
for i in 1 2; do
	t=qf; [ "$i" = 2 ] && t=gc
	body=$(printf '{"id":"gw-%d","type":"%s","mode":"listen","endpoint":"%s:8443","pin":"%s","global_addr":"%s"}' \
		"$i" "$t" "$(gw_global "$i")" "$(pin_of "$PKI/gw$i.pem")" "$(gw_global "$i")")
	code=$(nsx "$NS_WAN" curl -sS -m 30 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $(cat "$TMPD/oper.token")" -H 'Content-Type: application/json' \
		--data-binary "$body" "https://$CONFSERVER:8443/v1/gateways")
	[ "$code" = 201 ] || { echo "bench-setup: enroll gw-$i: HTTP $code" >&2; exit 1; }
done

nc=""
for i in 1 2; do
	nc="$nc${nc:+,}ip netns exec ${GWNS[$i]} tc qdisc change dev gwwan root netem delay"
	nc="$nc,ip netns exec $NS_WAN tc qdisc change dev wan$i root netem delay"
done
[ $netem = 0 ] && nc=""
nsx "$NS_WAN" "$PYTHON" "$RGM_TOP/scripts/bench-setup.py" cs="$CONFSERVER" ca="$PKI/ca.pem" \
	media="$MEDIA" portal="$TMPD/portal.token" oper="$TMPD/oper.token" rounds="$ROUNDS" \
	delays="$DELAYS" round0="${BENCH_B6_ROUND0:-0}" \
	netem="$nc" \
	gws="query-first:gw-1:stb-1:${LANNS[1]}:$(gw_lan 1 2):$(gw_global 1),gateway-chooses:gw-2:stb-2:${LANNS[2]}:$(gw_lan 2 2):$(gw_global 2)" |
	tee -a "$res"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { echo "bench-setup: the measurement failed ($rc); logs:" >&2; tail -n 20 "$TMPD"/*.log >&2; }
exit "$rc"
