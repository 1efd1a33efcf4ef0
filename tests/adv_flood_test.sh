#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Connection floods and slowloris against the HTTP daemons
# (Documentation/security.rst, "Floods"), on the host, no module needed:
# rgm-confserver (HTTPS), rgm-portal and rgm-mediaserver each listen on
# 127.0.0.1. The attacker is 127.0.0.2; a legitimate client, 127.0.0.3,
# must keep being served:
#
#   slowloris  ADV_SLOW connections (default 80, more than the portal's and
#              the media server's connection limit of 64) that send a
#              request line and then one header byte every 2 s, for 16 s
#   flood      2000 connections opened and closed as fast as possible
#
# rgmd's side (handshake-timeout, max-connections, stalled handshakes) is in
# selftests/rgmd_tls_test.sh and selftests/adv_tls_test.sh.

. "$(dirname "$0")/../selftests/lib.sh"

require curl openssl "$PYTHON"
CS="$RGM_TOP/confserver/rgm-confserver"
PORTAL="$RGM_TOP/portal/rgm-portal"
MS="$RGM_TOP/mediaserver/rgm-mediaserver"
for b in "$CS" "$PORTAL" "$MS"; do [ -x "$b" ] || bail "$b is built"; done
SLOW=${ADV_SLOW:-80}
MAL=0

free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
mk_ca ca "rgm test CA"
mk_leaf cs 127.0.0.1 ca "expiration_days = 30" 'ip_address = "127.0.0.1"'
TOKEN=flood-$RANDOM$RANDOM
echo "$TOKEN" >"$TMPD/token"; chmod 600 "$TMPD/token"

# confserver
CSP=$(free_port)
cat >"$TMPD/cs.conf" <<EOF
db = $TMPD/cs.db
listen = 127.0.0.1:$CSP
http-cert = $PKI/cs.pem
http-key = $PKI/cs.key
token = portal-1 portal sha256:$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
gateway-cert = $PKI/cs.pem
gateway-key = $PKI/cs.key
gateway-ca = $PKI/ca.pem
max-connections = 64
EOF
bg "$CS" -c "$TMPD/cs.conf" serve 2>"$TMPD/cs.log"
# media server: the titles make check uses (made once, then reused)
content=$RGM_TOP/build/media-content
"$RGM_TOP/scripts/mkcontent.sh" "$content" >"$TMPD/mkcontent.log" 2>&1 || bail "mkcontent"
MSP=$(free_port)
bg "$MS" --addr 127.0.0.1 --control 127.0.0.1:$MSP --content "$content" --ports 6000-6099 \
	--token-file "$TMPD/token" 2>"$TMPD/ms.log"
# portal, in front of them
PP=$(free_port)
bg "$PORTAL" --listen 127.0.0.1:$PP --confserver "https://127.0.0.1:$CSP" --token-file "$TMPD/token" \
	--mediaserver "http://127.0.0.1:$MSP" --media-token-file "$TMPD/token" 2>"$TMPD/portal.log"

declare -A URL=(
	[confserver]="https://127.0.0.1:$CSP/v1/health"
	[portal]="http://127.0.0.1:$PP/v1/health"
	[mediaserver]="http://127.0.0.1:$MSP/v1/titles"
)
served() {	# NAME: the legitimate client gets an answer within 5 s
	curl -s -m 5 --interface 127.0.0.3 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $TOKEN" "${URL[$1]}" | grep -q '^200$'
}
for d in confserver portal mediaserver; do
	wait_until 10 served $d || { sed 's/^/# /' "$TMPD"/*.log; bail "$d serves"; }
done
ok "control: the three daemons answer the legitimate client"

SLOWPY='
import socket, ssl, sys, time
host, port, n, secs, tls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ss = []
for _ in range(n):
    try:
        s = socket.socket(); s.settimeout(3)
        s.bind(("127.0.0.2", 0)); s.connect((host, port))
        if tls:
            s = ctx.wrap_socket(s)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        ss.append(s)
    except OSError:
        pass
print("open", len(ss), flush=True)
end = time.time() + secs
while time.time() < end:
    time.sleep(2)
    for s in list(ss):
        try:
            s.sendall(b"X")
        except OSError:
            ss.remove(s)
print("alive", len(ss), flush=True)
'
FLOODPY='
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
done = 0
for _ in range(n):
    try:
        s = socket.socket(); s.settimeout(2); s.bind(("127.0.0.2", 0))
        s.connect((host, port)); s.close(); done += 1
    except OSError:
        pass
print("connections", done, flush=True)
'
for d in confserver portal mediaserver; do
	port=${URL[$d]#*127.0.0.1:}; port=${port%%/*}
	tls=0; [ $d = confserver ] && tls=1
	MAL=$((MAL + SLOW))
	"$PYTHON" -c "$SLOWPY" 127.0.0.1 "$port" "$SLOW" 16 $tls >"$TMPD/slow-$d.out" 2>&1 &
	slow=$!
	wait_until 20 grep -q open "$TMPD/slow-$d.out"
	good=0 tries=0
	while kill -0 $slow 2>/dev/null && [ $tries -lt 6 ]; do
		tries=$((tries + 1))
		served $d && good=$((good + 1))
		sleep 1
	done
	wait $slow
	diag "$d slowloris: $(tr '\n' ' ' <"$TMPD/slow-$d.out"), legitimate client served $good of $tries"
	check_eq "$d: slowloris ($SLOW trickling connections): the legitimate client is served" \
		"$tries" "$good"
	MAL=$((MAL + 2000))
	"$PYTHON" -c "$FLOODPY" 127.0.0.1 "$port" 2000 >"$TMPD/flood-$d.out" 2>&1
	check "$d: after a flood of 2000 connections ($(cat "$TMPD/flood-$d.out")) it serves" \
		wait_until 10 served $d
done
diag "adv: hostile-requests $MAL"
