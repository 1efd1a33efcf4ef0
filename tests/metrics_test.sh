#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The metrics, scraped and parsed by Prometheus's own promtool (`promtool
# check metrics`: the text format and its naming rules): GET /metrics of
# rgm-confserver (operator role) and rgm-portal (clients on its host only),
# and rgmd's metrics-socket on the nftables dataplane, in network
# namespaces (selftests/lib.sh, RGM_DATAPLANE=nftables). Each program gets
# a little traffic first, and the samples must count it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" != 0 ] || ! ip netns add "rgm-probe-$$" 2>/dev/null; then
	echo "ok 1 metrics # SKIP needs root and network namespaces"
	echo "1..1"
	exit 0
fi
ip netns del "rgm-probe-$$"
export RGM_DATAPLANE=nftables RGM_TOP="$top"
. "$top/selftests/lib.sh"

require certtool curl timeout promtool sha256sum
for p in confserver/rgm-confserver portal/rgm-portal ctl/rgmd/rgmd; do
	[ -x "$top/$p" ] || bail "$p is built (make user)"
done
topo_setup

mk_ca ca "rgm test CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
mk_leaf stranger intruder.rgm.test ca "expiration_days = 30"
GW_PIN=$(pin_of "$PKI/gw.pem")

# promtool reads the text on stdin; its complaints go to the log
prom_ok() {	# FILE
	promtool check metrics <"$1" >"$1.promtool" 2>&1
}
# the value of the sample NAME{LABELS} (exactly as written) in FILE
sample() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# ---- rgm-confserver, plain HTTP on the WAN namespace's loopback
OP_TOKEN=op-$RANDOM$RANDOM
P_TOKEN=portal-$RANDOM$RANDOM
hash() { printf %s "$1" | sha256sum | cut -c1-64; }
cat >"$TMPD/cs.conf" <<EOC
db = $TMPD/cs.db
listen = 127.0.0.1:8443
insecure-http = yes
token = ops operator sha256:$(hash "$OP_TOKEN")
token = portal-1 portal sha256:$(hash "$P_TOKEN")
gateway-cert = $PKI/srv.pem
gateway-key = $PKI/srv.key
gateway-ca = $PKI/ca.pem
EOC
bg nsx "$NS_WAN" "$top/confserver/rgm-confserver" -c "$TMPD/cs.conf" serve \
	2>>"$TMPD/cs.log"
wait_listen "$NS_WAN" tcp 8443 || bail "rgm-confserver listens"
cs() {	# TOKEN PATH [CURL ARGS...]
	local tok=$1 path=$2; shift 2
	nsx "$NS_WAN" curl -s --max-time 10 ${tok:+-H "Authorization: Bearer $tok"} "$@" \
		"http://127.0.0.1:8443$path"
}
cs "" /v1/health >/dev/null
cs "" /v1/health >/dev/null
cs "$OP_TOKEN" /v1/gateways >/dev/null
cs "" /v1/gateways >/dev/null			# 401
check_eq "confserver: GET /metrics without a token is 401" 401 \
	"$(cs "" /metrics -o /dev/null -w '%{http_code}')"
check_eq "confserver: GET /metrics with a portal token is 403" 403 \
	"$(cs "$P_TOKEN" /metrics -o /dev/null -w '%{http_code}')"
ctype=$(cs "$OP_TOKEN" /metrics -o "$TMPD/cs.prom" -w '%{http_code} %{content_type}')
check_eq "confserver: GET /metrics as operator is 200 in the text format" \
	"200 text/plain; version=0.0.4; charset=utf-8" "$ctype"
check "confserver: promtool check metrics passes ($(head -c 300 "$TMPD/cs.prom.promtool" 2>/dev/null))" \
	prom_ok "$TMPD/cs.prom"
check_eq "confserver: two GET /v1/health counted as 2xx" 2 \
	"$(sample "$TMPD/cs.prom" 'rgm_confserver_http_requests_total{method="GET",route="/v1/health",code="2xx"}')"
check_eq "confserver: the 401 of GET /v1/gateways counted as 4xx" 1 \
	"$(sample "$TMPD/cs.prom" 'rgm_confserver_http_requests_total{method="GET",route="/v1/gateways",code="4xx"}')"
check_eq "confserver: the latency histogram has both health requests" 2 \
	"$(sample "$TMPD/cs.prom" 'rgm_confserver_http_request_duration_seconds_count{method="GET",route="/v1/health"}')"
check_eq "confserver: and its +Inf bucket the same" 2 \
	"$(sample "$TMPD/cs.prom" 'rgm_confserver_http_request_duration_seconds_bucket{method="GET",route="/v1/health",le="+Inf"}')"
check_eq "confserver: no gateway enrolled, no session" "0 0 0" \
	"$(sample "$TMPD/cs.prom" rgm_confserver_gateways) $(sample "$TMPD/cs.prom" 'rgm_confserver_sessions{state="pending"}') $(sample "$TMPD/cs.prom" 'rgm_confserver_sessions{state="active"}')"

# ---- rgm-portal on the WAN namespace's 203.0.113.7 and loopback
printf '%s\n' "$P_TOKEN" >"$TMPD/portal.token"; chmod 600 "$TMPD/portal.token"
bg nsx "$NS_WAN" "$top/portal/rgm-portal" --listen 0.0.0.0:8080 \
	--confserver http://127.0.0.1:8443 --token-file "$TMPD/portal.token" \
	--mediaserver http://127.0.0.1:9 2>>"$TMPD/portal.log"
wait_listen "$NS_WAN" tcp 8080 || bail "rgm-portal listens"
pt() {	# NS ADDR PATH [CURL ARGS...]
	local ns=$1 addr=$2 path=$3; shift 3
	nsx "$ns" curl -s --max-time 10 "$@" "http://$addr:8080$path"
}
pt "$NS_WAN" 127.0.0.1 /v1/health >/dev/null
pt "$NS_WAN" 127.0.0.1 /v1/no-such-route >/dev/null
ctype=$(pt "$NS_WAN" 127.0.0.1 /metrics -o "$TMPD/portal.prom" -w '%{http_code} %{content_type}')
check_eq "portal: GET /metrics from loopback is 200 in the text format" \
	"200 text/plain; version=0.0.4; charset=utf-8" "$ctype"
check "portal: promtool check metrics passes ($(head -c 300 "$TMPD/portal.prom.promtool" 2>/dev/null))" \
	prom_ok "$TMPD/portal.prom"
check_eq "portal: GET /v1/health counted" 1 \
	"$(sample "$TMPD/portal.prom" 'rgm_portal_http_requests_total{route="/v1/health",code="2xx"}')"
check_eq "portal: the unknown route counted as none, 4xx" 1 \
	"$(sample "$TMPD/portal.prom" 'rgm_portal_http_requests_total{route="none",code="4xx"}')"
check_eq "portal: GET /metrics from the host's own address is 200" 200 \
	"$(pt "$NS_WAN" $SERVER /metrics -o /dev/null -w '%{http_code}')"
check_eq "portal: GET /metrics from another host is 403" 403 \
	"$(pt "$NS_GW" $SERVER /metrics -o /dev/null -w '%{http_code}')"

# ---- rgmd, nftables dataplane, metrics-socket
mkdir -p "$TMPD/state"
SOCK=$TMPD/rgmd-metrics.sock
cat >"$TMPD/rgmd.conf" <<EOC
mode = listen
listen = $GLOBAL:8443
cert = $PKI/gw.pem
key = $PKI/gw.key
ca = $PKI/ca.pem
allow = subject CN=cfg.rgm.test,O=rgm-test
gateway-id = gw-metrics
state-dir = $TMPD/state
lan-prefix = 10.0.0.0/24
ports = $PORT_MIN-$PORT_MAX
dataplane = nftables
metrics-socket = $SOCK
EOC
bg ip netns exec "$NS_GW" "$top/ctl/rgmd/rgmd" -c "$TMPD/rgmd.conf" 2>>"$TMPD/rgmd.log"
wait_listen "$NS_GW" tcp 8443 || bail "rgmd listens on $GLOBAL:8443"
check_eq "rgmd: the metrics socket is there, for its user and group only" \
	"socket 660" "$(stat -c '%F %a' "$SOCK")"
rq() {	# NAME-OF-CLIENT-CERT ARGS...
	local who=$1; shift
	nsx "$NS_WAN" timeout 30 rgmctl remote connect $GLOBAL:8443 ca "$PKI/ca.pem" \
		cert "$PKI/$who.pem" key "$PKI/$who.key" pin "$GW_PIN" timeout 10 "$@" \
		2>>"$TMPD/remote.err"
}
rq srv request '{"op":"map","session":"m-1","lease":60,"streams":[{"type":"udp","local_addr":"10.0.0.2","local_port":5004,"global_port":40300,"server_addr":"203.0.113.7"}]}' >/dev/null
check "rgmd: map answered" [ $? = 0 ]
rq srv request '{"op":"map","session":"m-2","lease":60,"streams":[{"type":"udp","local_addr":"10.9.9.9","local_port":5004,"global_port":40301}]}' >/dev/null
rq stranger request '{"op":"list"}' >/dev/null 2>&1
udp_send "$NS_WAN" $ATTACKER 6000 $GLOBAL 40300 "not-the-server" >/dev/null
udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40999 "no-mapping" >/dev/null
"$PYTHON" - "$SOCK" >"$TMPD/rgmd.prom" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
while True:
    b = s.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b)
PY
check "rgmd: promtool check metrics passes ($(head -c 300 "$TMPD/rgmd.prom.promtool" 2>/dev/null))" \
	prom_ok "$TMPD/rgmd.prom"
m() { sample "$TMPD/rgmd.prom" "$1"; }
check_eq "rgmd: the dataplane's counters are read" 1 "$(m 'rgm_dataplane_up{dataplane="nftables"}')"
check_eq "rgmd: one mapping installed" 1 "$(m rgm_dataplane_mappings)"
check_eq "rgmd: one map done" 1 "$(m 'rgmd_requests_total{result="ok"}')"
check_eq "rgmd: one map refused by the policy" 1 "$(m 'rgmd_requests_total{result="policy-denied"}')"
check_eq "rgmd: both maps timed (request duration histogram)" 2 "$(m rgmd_request_duration_seconds_count)"
check_eq "rgmd: ... both in the +Inf bucket" 2 "$(m 'rgmd_request_duration_seconds_bucket{le="+Inf"}')"
check "rgmd: ... took some time (sum $(m rgmd_request_duration_seconds_sum) s)" \
	awk -v s="$(m rgmd_request_duration_seconds_sum)" 'BEGIN { exit !(s > 0) }'
check_eq "rgmd: the stranger's handshake refused" 1 "$(m rgmd_handshakes_failed_total)"
check "rgmd: the attacker's datagram dropped (wrong server)" \
	[ "$(m 'rgm_dataplane_drops_total{reason="wrong_server"}')" -ge 1 ]
check "rgmd: the datagram to an unmapped port dropped (no mapping)" \
	[ "$(m 'rgm_dataplane_drops_total{reason="no_mapping"}')" -ge 1 ]
check_eq "rgmd: no connection open after the requests" 0 "$(m rgmd_connections)"
