#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The web side as people use it, in a real headless Chromium (Debian's
# chromium driven by playwright-core, installed under build/web by
# scripts/setup.sh): the portal's viewer page (pair a browser with an
# appliance, play a title on it, the progress and the errors, a stranger
# elsewhere refused) against rgm-portal with the fake upstreams of
# tests/portal_fake.py and an appliance played by the test; the operator
# console against the real rgm-confserver (HTTPS, tokens, its database).
# The browser side is tests/web/web_test.mjs. Screenshots (desktop and
# phone widths) go to build/results/web/. TAP output.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
PORTAL_BIN=${RGM_PORTAL:-$top/portal/rgm-portal}
CS_BIN=${RGM_CONFSERVER:-$top/confserver/rgm-confserver}
PW=$top/build/web/node_modules/playwright-core/index.mjs
RESULTS=${RGM_WEB_RESULTS:-$top/build/results/web}
TMPD=$(mktemp -d /tmp/web_test.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "${WEB_KEEP:-}" ]; then echo "# kept $TMPD"; else rm -rf "$TMPD"; fi
}
trap cleanup EXIT

for b in "$PORTAL_BIN" "$CS_BIN"; do [ -x "$b" ] || bail "$b is built (make)"; done
for t in node curl certtool sha256sum python3; do
	command -v "$t" >/dev/null || bail "$t is installed (scripts/setup.sh)"
done
[ -x /usr/bin/chromium ] || bail "Debian's chromium is installed (scripts/setup.sh)"
[ -r "$PW" ] || bail "playwright-core is in build/web (scripts/setup.sh)"
mkdir -p "$RESULTS"

# wait_up URL [CURL-ARGS...]: until it answers, or its daemon ($!) died
wait_up() {
	local url=$1 pid=$!; shift
	for _ in $(seq 100); do
		curl -s --max-time 1 -o /dev/null "$@" "$url" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- the portal
printf 'conf-secret\n' >"$TMPD/conf.token"
printf 'media-secret\n' >"$TMPD/media.token"
chmod 600 "$TMPD"/*.token
python3 "$top/tests/portal_fake.py" confserver "$TMPD/fconf.port" "$TMPD/fconf.req" conf-secret \
	2>"$TMPD/fconf.err" &
PIDS+=($!)
python3 "$top/tests/portal_fake.py" mediaserver "$TMPD/fmedia.port" "$TMPD/fmedia.req" \
	media-secret 2>"$TMPD/fmedia.err" &
PIDS+=($!)
for _ in $(seq 100); do
	[ -s "$TMPD/fconf.port" ] && [ -s "$TMPD/fmedia.port" ] && break
	sleep 0.1
done
[ -s "$TMPD/fconf.port" ] && [ -s "$TMPD/fmedia.port" ] || bail "the fake upstreams start"
PPORT=$(free_port) || bail "a free port"
ONLINE_S=3
"$PORTAL_BIN" --listen "127.0.0.1:$PPORT" \
	--confserver "http://127.0.0.1:$(cat "$TMPD/fconf.port")" --token-file "$TMPD/conf.token" \
	--mediaserver "http://127.0.0.1:$(cat "$TMPD/fmedia.port")" \
	--media-token-file "$TMPD/media.token" --appliance-timeout $ONLINE_S 2>"$TMPD/portal.log" &
PIDS+=($!)
wait_up "http://127.0.0.1:$PPORT/v1/health" || { sed 's/^/# /' "$TMPD/portal.log"; bail "rgm-portal serves"; }

# ---------------------------------------------------------------- rgm-confserver
PKI=$TMPD/pki
. "$top/selftests/pki.sh"
mk_ca ca "rgm test CA"
mk_leaf srv localhost ca 'ip_address = "127.0.0.1"' 'dns_name = "localhost"'
mk_leaf cfg cfg.rgm.test ca
mk_leaf gw1 gw-1.rgm.test ca
mk_leaf gw2 gw-web.rgm.test ca
for c in srv cfg gw1 gw2; do [ -s "$PKI/$c.pem" ] || bail "certtool made $c.pem"; done
CPORT=$(free_port) || bail "a free port"
PTOK=portal-token-$RANDOM$RANDOM
OTOK=operator-token-$RANDOM$RANDOM
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat >"$TMPD/cs.conf" <<EOC
db = $TMPD/cs.db
listen = 127.0.0.1:$CPORT
http-cert = $PKI/srv.pem
http-key = $PKI/srv.key
token = portal-1 portal sha256:$(hash "$PTOK")
token = ops operator sha256:$(hash "$OTOK")
gateway-cert = $PKI/cfg.pem
gateway-key = $PKI/cfg.key
gateway-ca = $PKI/ca.pem
gateway-type = homebox driver rgm strategy query-first
connect-timeout = 1
request-timeout = 2
EOC
CS_URL=https://127.0.0.1:$CPORT
"$CS_BIN" -c "$TMPD/cs.conf" serve 2>"$TMPD/cs.log" &
PIDS+=($!)
wait_up "$CS_URL/v1/health" --cacert "$PKI/ca.pem" || { sed 's/^/# /' "$TMPD/cs.log"; bail "rgm-confserver serves"; }

# what the console is to show: gw-1 (nothing listens at its endpoint) and a
# session a portal asked for there, which failed
csapi() {	# TOKEN METHOD PATH [BODY]
	local args=(-s --cacert "$PKI/ca.pem" -H "Authorization: Bearer $1" -X "$2" "$CS_URL$3")
	[ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}"
}
DEAD=$(free_port)
csapi "$OTOK" POST /v1/gateways "{\"id\":\"gw-1\",\"type\":\"homebox\",\"mode\":\"listen\",\"endpoint\":\"127.0.0.1:$DEAD\",\"pin\":\"$(pin_of "$PKI/gw1.pem")\"}" >/dev/null
csapi "$PTOK" POST /v1/appliances '{"appliance":"stb-9","gateway":"gw-1"}' >/dev/null
csapi "$PTOK" POST /v1/sessions '{"appliance":"stb-9","gateway_addr":"198.51.100.9","local_addr":"10.0.0.9","lease":30,"streams":[{"type":"rtp","rtcp":true,"local_port":5004,"server_addr":"203.0.113.7","server_port":6000}]}' >"$TMPD/configure.json"
grep -q gateway-unreachable "$TMPD/configure.json" ||
	diag "the configure was expected to fail: $(cat "$TMPD/configure.json")"

# ---------------------------------------------------------------- the browser
out=$(PORTAL="http://127.0.0.1:$PPORT" CONF_FAKE="http://127.0.0.1:$(cat "$TMPD/fconf.port")" \
	CS="$CS_URL" OTOK="$OTOK" PTOK="$PTOK" PIN2="$(pin_of "$PKI/gw2.pem")" RESULTS="$RESULTS" \
	PW="$PW" ONLINE_S=$ONLINE_S timeout 240 node "$top/tests/web/web_test.mjs" 2>&1)
rc=$?
bad=0
while IFS= read -r line; do
	case $line in
	"ok "*) ok "$(sed -E 's/^ok [0-9]+ //' <<<"$line")" ;;
	"not ok "*) not_ok "$(sed -E 's/^not ok [0-9]+ //' <<<"$line")"; bad=1 ;;
	"") ;;
	*) echo "# ${line#\# }" ;;
	esac
done <<<"$out"
[ $rc = 0 ] || [ $bad = 1 ] || not_ok "web_test.mjs exits 0 (got $rc)"
shots=$(ls "$RESULTS"/*.png 2>/dev/null | wc -l)
check "screenshots saved in ${RESULTS#$top/} ($shots)" test "$shots" -ge 8
if [ $fails != 0 ]; then
	diag "rgm-portal log:"; tail -20 "$TMPD/portal.log" | sed 's/^/#   /'
	diag "rgm-confserver log:"; tail -20 "$TMPD/cs.log" | sed 's/^/#   /'
fi
echo "1..$n"
[ $fails = 0 ]
