#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rgm-portal on the host (127.0.0.1) against fake upstreams
# (tests/portal_fake.py) that record what they were asked: the pages, the
# titles, register, the watch flow (what the confserver and the media
# server were told), every failure path (nothing left behind), bad bodies,
# an unreachable confserver, stop, and the lease timer. TAP output.
# RGM_PORTAL=PATH tests another build (e.g. one with -fsanitize=address).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
portal=${RGM_PORTAL:-$top/portal/rgm-portal}
fake="$top/tests/portal_fake.py"
tmp=$(mktemp -d)
pids=()
n=0 fail=0

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# RGM_TEST_KEEP=1: leave the logs (portal*.log, *.req) for a look
	if [ -n "${RGM_TEST_KEEP:-}" ]; then echo "# logs in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"
	shift; [ $# -gt 0 ] && printf '# %s\n' "$@"
	[ -f "$tmp/portal.log" ] && tail -5 "$tmp/portal.log" | sed 's/^/# portal: /'
}
# check NAME COMMAND...: ok when the command succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# wait_for SECONDS COMMAND...: polls until the command succeeds
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

[ -x "$portal" ] || { echo "1..1"; echo "not ok 1 $portal is built"; exit 1; }
for t in curl jq python3; do
	command -v "$t" >/dev/null || { echo "1..0 # SKIP $t is missing"; exit 0; }
done

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Upstreams
printf 'conf-secret\n' >"$tmp/conf.token"
printf 'media-secret\n' >"$tmp/media.token"
chmod 600 "$tmp"/*.token
python3 "$fake" confserver "$tmp/conf.port" "$tmp/conf.req" conf-secret 2>"$tmp/conf.err" &
pids+=($!)
python3 "$fake" mediaserver "$tmp/media.port" "$tmp/media.req" media-secret 2>"$tmp/media.err" &
pids+=($!)
wait_for 10 test -s "$tmp/conf.port" -a -s "$tmp/media.port" || {
	echo "1..1"; echo "not ok 1 the fake upstreams start"; cat "$tmp"/*.err; exit 1; }
conf_url="http://127.0.0.1:$(cat "$tmp/conf.port")"
media_url="http://127.0.0.1:$(cat "$tmp/media.port")"
: >"$tmp/conf.req"; : >"$tmp/media.req"

# start_portal NAME CONFSERVER_URL [ARGS]: its port in $tmp/NAME.port
start_portal() {
	local name=$1 conf=$2 port; shift 2
	port=$(free_port)
	echo "$port" >"$tmp/$name.port"
	"$portal" --listen "127.0.0.1:$port" --confserver "$conf" --token-file "$tmp/conf.token" \
		--mediaserver "${MEDIA:-$media_url}" --media-token-file "$tmp/media.token" "$@" \
		2>>"$tmp/$name.log" &
	pids+=($!)
	echo $! >"$tmp/$name.pid"
	wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/v1/health"
}

# req METHOD PATH [BODY]: body to $tmp/out, status to $tmp/status, headers to
# $tmp/hdr; from the address $FROM when set
P=
req() {
	local args=(-s -o "$tmp/out" -D "$tmp/hdr" -w '%{http_code}' -X "$1" "$P$2")
	[ -n "${FROM:-}" ] && args+=(--interface "$FROM")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" >"$tmp/status" 2>/dev/null
}
status() { [ "$(cat "$tmp/status")" = "$1" ]; }
out() { jq -e "$1" "$tmp/out" >/dev/null 2>&1; }
# the last request the fake ROLE got on PATH (regex), as JSON
seen() { jq -c --arg p "$2" 'select(.path | test($p))' "$tmp/$1.req" | tail -n 1; }
seen_is() { seen "$1" "$2" | jq -e "$3" >/dev/null 2>&1; }
count() { jq -c --arg p "$2" 'select(.path | test($p))' "$tmp/$1.req" | wc -l; }
count_is() { [ "$(count "$1" "$2")" = "$3" ]; }

if start_portal portal "$conf_url" --lease-margin 10; then
	ok "rgm-portal serves /v1/health"
else
	not_ok "rgm-portal serves /v1/health"; exit 1
fi
P="http://127.0.0.1:$(cat "$tmp/portal.port")"

# Pages and titles
req GET /
check "GET / is an HTML page listing the titles with links" \
	eval 'status 200 && grep -qi "^content-type: text/html" "$tmp/hdr" &&
	      grep -q "<a href=\"/titles/testcard\">Test card and tone</a>" "$tmp/out" &&
	      grep -q "href=\"/titles/evil\"" "$tmp/out"'
check "GET / escapes a title named <script>" \
	eval '! grep -q "<script>alert" "$tmp/out" &&
	      grep -q "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;" "$tmp/out" &&
	      grep -qi "^content-security-policy: default-src .none." "$tmp/hdr"'
req GET /titles/testcard
check "GET /titles/testcard says what to send to watch it" \
	eval 'status 200 && grep -q "Test card and tone" "$tmp/out" &&
	      grep -q "\"ports\": \[5004, 5006\]" "$tmp/out" && grep -q "watch testcard --ports 5004,5006" "$tmp/out"'
req GET /titles/evil
check "GET /titles/evil escapes the name" eval 'status 200 && ! grep -q "<script>alert" "$tmp/out"'
req GET /titles/nothing
check "GET /titles/nothing is 404" status 404
req GET /v1/titles
check "GET /v1/titles is the media server's catalog as JSON" \
	eval 'status 200 && grep -qi "^content-type: application/json" "$tmp/hdr" &&
	      out "(.titles | length) == 2 and .titles[0].id == \"testcard\" and
		   .titles[0].duration_ms == 6000 and (.titles[0].streams | length) == 2"'

# Register
req POST /v1/register '{"appliance":"stb-1","gateway_type":"homebox"}'
check "register: 200 with the confserver's appliance record" \
	eval 'status 200 && out ".appliance == \"stb-1\" and .gateway == \"gw-a\""'
check "register: the confserver got gateway_addr as seen, and our token" \
	seen_is conf '^/v1/appliances$' '.body == {"appliance":"stb-1","gateway_type":"homebox",
		"gateway_addr":"127.0.0.1"} and .auth == "Bearer conf-secret" and
		.type == "application/json"'

# Watch
: >"$tmp/conf.req"; : >"$tmp/media.req"
req POST /v1/watch '{"appliance":"stb-1","title":"testcard","local_addr":"10.0.0.2","ports":[5004,5006]}'
cp "$tmp/out" "$tmp/watch.json"
check "watch: 201 as contract C says" \
	eval 'status 201 && out "(.session | test(\"^s-[0-9a-f]{32}$\")) and .title == \"testcard\" and
		.lease == 16 and .server_addr == \"127.0.0.1\" and (.streams | length) == 2 and
		.streams[0] == {\"kind\":\"video\",\"local_port\":5004,\"rtcp_port\":5005,
		  \"global_addr\":\"198.51.100.1\",\"global_port\":40000,\"payload_type\":33,
		  \"bytes\":188000,\"packets\":143,\"sha256\":\"$(printf "a%.0s" {1..64})\"} and
		.streams[1].kind == \"audio\" and .streams[1].local_port == 5006 and
		.streams[1].rtcp_port == 5007 and .streams[1].global_port == 40002"'
check "watch: the media server prepared the title" \
	seen_is media '^/v1/streams$' '.method == "POST" and .body == {"title":"testcard"} and
		.auth == "Bearer media-secret"'
check "watch: the confserver got the configure body (gateway_addr as seen, server ports)" \
	seen_is conf '^/v1/sessions$' '.body == {"appliance":"stb-1","gateway_addr":"127.0.0.1",
		"local_addr":"10.0.0.2","lease":16,"streams":[
		{"type":"rtp","rtcp":true,"local_port":5004,"server_addr":"127.0.0.1","server_port":6000},
		{"type":"rtp","rtcp":true,"local_port":5006,"server_addr":"127.0.0.1","server_port":6002}]}'
check "watch: the media server started to the gateway's global address and ports" \
	seen_is media '^/v1/streams/m-[0-9a-f]+/start$' '.body == {"dest_addr":"198.51.100.1",
		"ports":[40000,40002],"duration_ms":16000}'
check "watch: no appliance registration without gateway or gateway_type" \
	test "$(count conf '^/v1/appliances$')" = 0

# Stop
sid=$(jq -r .session "$tmp/watch.json")
mid=$(seen media '/start$' | jq -r .path | cut -d/ -f4)
req POST /v1/stop "{\"session\":\"$sid\"}"
check "stop: 200, the confserver closed the session and the media stream stopped" \
	eval 'status 200 && out ".state == \"closed\"" &&
	      seen_is conf "^/v1/sessions/close$" ".body == {\"session\":\"$sid\"}" &&
	      seen_is media "^/v1/streams/$mid/stop$" ".method == \"POST\""'
req POST /v1/stop "{\"session\":\"$sid\"}"
check "stop again: 404 unknown-session" eval 'status 404 && out ".error.code == \"unknown-session\""'

# Another gateway (another source address): registered first, then its own stop
: >"$tmp/conf.req"; : >"$tmp/media.req"
FROM=127.0.0.2 req POST /v1/watch '{"appliance":"stb-2","gateway_type":"homebox","title":"evil","local_addr":"10.0.1.2","ports":[6000],"lease":300}'
sid2=$(jq -r .session "$tmp/out")
check "watch naming gateway_type from 127.0.0.2: registered, then configured as seen" \
	eval 'status 201 && out ".lease == 300" &&
	      seen_is conf "^/v1/appliances$" ".body == {\"appliance\":\"stb-2\",\"gateway_type\":\"homebox\",
		\"gateway_addr\":\"127.0.0.2\"}" &&
	      seen_is conf "^/v1/sessions$" ".body.gateway_addr == \"127.0.0.2\" and .body.lease == 300" &&
	      seen_is media "/start$" ".body.duration_ms == 300000"'
req POST /v1/stop "{\"session\":\"$sid2\"}"
check "stop from another address than the watch's: 403, nothing closed" \
	eval 'status 403 && out ".error.code == \"forbidden\"" && count_is conf "close$" 0 &&
	      count_is media "/stop$" 0'
FROM=127.0.0.2 req POST /v1/stop "{\"session\":\"$sid2\"}"
check "stop from the watch's address: 200" eval 'status 200 && count_is conf "close$" 1'

# Failures leave nothing behind
: >"$tmp/conf.req"; : >"$tmp/media.req"
curl -s -o /dev/null -d '{"sessions":"unknown-appliance"}' "$conf_url/_mode"
req POST /v1/watch '{"appliance":"stb-9","title":"testcard","local_addr":"10.0.0.2","ports":[5004,5006]}'
check "confserver 404 unknown-appliance: passed on, the prepared media stream stopped" \
	eval 'status 404 && out ".error.status == 404 and .error.code == \"unknown-appliance\" and
		(.error.message | test(\"stb-9 is not registered\"))" &&
	      test "$(count media "/stop$")" = 1 && test "$(count media "/start$")" = 0'
curl -s -o /dev/null -d '{"sessions":"ok","start":"fail"}' "$conf_url/_mode"
curl -s -o /dev/null -d '{"start":"fail"}' "$media_url/_mode"
: >"$tmp/conf.req"; : >"$tmp/media.req"
req POST /v1/watch '{"appliance":"stb-1","title":"testcard","local_addr":"10.0.0.2","ports":[5004,5006],"lease":60}'
fsid=$(seen conf '^/v1/sessions/close$' | jq -r .body.session)
check "media start failing: error passed on, the confserver session closed, media stopped" \
	eval 'status 500 && out ".error.code == \"internal\"" &&
	      test "$(count conf "^/v1/sessions/close$")" = 1 && [[ "$fsid" =~ ^s-[0-9a-f]{32}$ ]] &&
	      test "$(count media "/stop$")" = 1'
curl -s -o /dev/null -d '{"start":"ok"}' "$media_url/_mode"
curl -s -o /dev/null -d '{"sessions":"bad-state"}' "$conf_url/_mode"
: >"$tmp/conf.req"; : >"$tmp/media.req"
req POST /v1/watch '{"appliance":"stb-1","title":"testcard","local_addr":"10.0.0.2","ports":[5004,5006]}'
check "confserver session not active: 502 confserver-bad-reply, closed, media stopped" \
	eval 'status 502 && out ".error.code == \"confserver-bad-reply\"" &&
	      count_is conf "close$" 1 && count_is media "/stop$" 1 && count_is media "/start$" 0'
curl -s -o /dev/null -d '{"sessions":"ok"}' "$conf_url/_mode"
req POST /v1/watch '{"appliance":"stb-1","title":"nothing","local_addr":"10.0.0.2","ports":[5004]}'
check "unknown title: 404 unknown-title" eval 'status 404 && out ".error.code == \"unknown-title\""'

# Bad bodies
req POST /v1/watch '{"appliance":"stb-1",'
check "bad JSON: 400 bad-request" eval 'status 400 && out ".error.code == \"bad-request\""'
req POST /v1/stop '{"session":"s-1","session":"s-2"}'
check "a field given twice: 400" eval 'status 400 && out ".error.message | test(\"given twice\")"'
req POST /v1/watch '{"appliance":"stb-1","title":"testcard","local_addr":"10.0.0.2","ports":[5004]}'
check "one port for a two-stream title: 422 invalid" \
	eval 'status 422 && out ".error.code == \"invalid\""'
head -c 70000 /dev/zero | tr '\0' ' ' >"$tmp/huge"
curl -s -o "$tmp/out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$tmp/huge" "$P/v1/watch" >"$tmp/status"
check "a 70000-byte body: 413 too-large" eval 'status 413 && out ".error.code == \"too-large\""'
curl -s -o "$tmp/out" -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary @"$tmp/huge" "$P/v1/watch" >"$tmp/status"
check "a 70000-byte chunked body: 413 too-large" \
	eval 'status 413 && out ".error.code == \"too-large\""'

# Upstream down
dead=$(free_port)
if MEDIA="http://127.0.0.1:$dead" start_portal portal2 "http://127.0.0.1:$dead"; then
	P2="http://127.0.0.1:$(cat "$tmp/portal2.port")"
	P=$P2 req POST /v1/register '{"appliance":"stb-1","gateway":"gw-a"}'
	check "confserver down: 502 confserver-unreachable" \
		eval 'status 502 && out ".error.code == \"confserver-unreachable\""'
	P=$P2 req GET /v1/titles
	check "media server down: 502 mediaserver-unreachable" \
		eval 'status 502 && out ".error.code == \"mediaserver-unreachable\""'
else
	not_ok "confserver down: 502 confserver-unreachable" "second portal did not start"
fi

# The lease timer: a 1 s lease ends, the portal stops the media stream itself
: >"$tmp/media.req"
req POST /v1/watch '{"appliance":"stb-1","title":"evil","local_addr":"10.0.0.2","ports":[5004],"lease":1}'
check "lease end: the portal stops the media stream by itself" \
	eval 'status 201 && wait_for 10 count_is media "/stop$" 1'

# plain http to a non-loopback confserver is refused at start
"$portal" --listen "127.0.0.1:$(free_port)" --confserver http://192.0.2.1:8443 \
	--token-file "$tmp/conf.token" --mediaserver "$media_url" 2>"$tmp/refused.log"
rc=$?
check "plain http to a non-loopback confserver is refused" \
	eval 'test $rc = 1 && grep -q "loopback address only" "$tmp/refused.log"'

kill -TERM "$(cat "$tmp/portal.pid")"
wait "$(cat "$tmp/portal.pid")"
check "SIGTERM: exits 0" test $? = 0

echo "1..$n"
[ "$fail" = 0 ]
