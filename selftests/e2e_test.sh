#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole flow, end to end, as make demo shows it, with assertions:
# appliances on two LANs ask the portal for titles; the portal has the
# configuration server program their gateway (rgmd, rgm.ko); the media
# server streams RTP (MPEG-TS, PT 33) to the gateway's global ports; the
# appliances receive, check and store what arrived; ffprobe decodes it.
#
#   ns WAN  media 203.0.113.7   portal .10   confserver .20   stranger .66
#             |
#   gw-1 198.51.100.1 (rgm.ko, rgmd)        gw-2 198.51.100.2 (rgm.ko, rgmd)
#   LAN 1: stb-1 10.0.0.2, stb-2 10.0.0.3   LAN 2: stb-3 10.0.1.2
#
# Each case checks what a user would: the bytes, the decoder's view, the
# gateway's tuples and counters, and that nothing is left behind.
# tests/e2e_nft_test.sh runs it on the host kernel with the gateways on
# the nftables dataplane (RGM_DATAPLANE=nftables), asserting the same.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

require_rgm
require certtool curl sqlite3 ffprobe ffmpeg timeout cmp
for p in confserver/rgm-confserver mediaserver/rgm-mediaserver portal/rgm-portal \
	 appliance/rgm-appliance; do
	[ -x "$RGM_TOP/$p" ] || bail "$p is built"
done

deploy_up 2
ok "deployment up: 2 gateways, confserver, media server, portal"

OUT=$TMPD/out
mkdir -p "$OUT"
mapped_is() { [ "$(mapped "$1")" = "$2" ]; }
mapped() { gwctl_n "$1" -j mapping show 2>/dev/null | jq 'if type=="array" then length else (.mappings|length) end'; }
src_of() {	# TITLE KIND: the source file of a title's stream
	jq -r --arg t "$1" --arg k "$2" '.titles[] | select(.id == $t) | .streams[]
		| select(.kind == $k) | .file' "$CONTENT/catalog.json"
}
now_ms() { date +%s%3N; }
has_session() { [ -n "$(active_session "$1")" ]; }
no_session() { [ -z "$(active_session "$1")" ]; }
active_session() {	# APPLIANCE: its active session id at the confserver
	sqlite3 "$CS_DB" "SELECT id FROM sessions WHERE appliance_id='$1' AND state='active'" 2>/dev/null | head -n1
}
portal_post() {	# PATH BODY [NS]: from the WAN, or from NS; status in CODE
	CODE=$(nsx "${3:-$NS_WAN}" curl -sS -m 30 -o "$TMPD/portal.out" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary "$2" "http://$PORTAL:8080$1" 2>/dev/null)
	cat "$TMPD/portal.out" 2>/dev/null
}

# ---------------------------------------------------------------- one title

out=$(appliance 1 2 --id stb-1 --gateway-type homebox register 2>&1)
check "stb-1 registers through the portal" [ $? = 0 ] || diag "$out"
check_eq "the confserver bound stb-1 to gw-1" gw-1 \
	"$(sqlite3 "$CS_DB" "SELECT gateway_id FROM appliances WHERE id='stb-1'")"
check_eq "the gateway's global address was recorded as the portal saw it" "$(gw_global 1)" \
	"$(sqlite3 "$CS_DB" "SELECT global_addr FROM gateways WHERE id='gw-1'")"

out=$(appliance 1 2 --id stb-1 titles 2>&1)
check "stb-1 lists the catalog" grep -q testcard <<<"$out"

appliance 1 2 --id stb-1 -j watch testcard --ports 5004,5006 --out "$OUT/a" --timeout 60 \
	>"$TMPD/a.json" 2>"$TMPD/a.err" &
A_PID=$!
# while it plays: the gateway holds the tuples; a stranger and the media
# server from a wrong port are dropped
wait_until 30 mapped_is 1 4
check_eq "while playing: gw-1 holds 2 streams x (RTP + RTCP) tuples" 4 "$(mapped 1)"
gp=$(gwctl_n 1 -j mapping show | jq -r '(if type=="array" then . else .mappings end)[] | select(.local_port == 5004) | .global_port')
ws0=$(rgm_stat_n 1 drop_wrong_server)
udp_send "$NS_WAN" "$ATTACKER" 6000 "$(gw_global 1)" "$gp" unsolicited >/dev/null
sport=$(gwctl_n 1 -j mapping show | jq -r '(if type=="array" then . else .mappings end)[] | select(.local_port == 5004) | .server_port')
udp_send "$NS_WAN" "$MEDIA" $((sport + 100)) "$(gw_global 1)" "$gp" wrong-port >/dev/null
ws1=$(rgm_stat_n 1 drop_wrong_server)
check "a stranger's and a wrong source port's datagrams were dropped ($ws0 -> $ws1)" \
	test "$ws1" -ge $((ws0 + 2))
wait "$A_PID"; rc=$?
check_eq "stb-1 received testcard complete (exit 0)" 0 "$rc" || sed 's/^/# /' "$TMPD/a.err" | tail -5
check_eq "the report says complete" true "$(jq -r .complete "$TMPD/a.json")"
for k in video audio; do
	check "testcard $k: received bytes identical to the source" \
		cmp -s "$CONTENT/$(src_of testcard $k)" "$OUT/a/testcard-$k.ts"
	check_eq "testcard $k: no loss" 0 "$(jq -r --arg k $k '.streams[] | select(.kind==$k) | .lost' "$TMPD/a.json")"
done
check_eq "ffprobe decodes the video file as video" video \
	"$(ffprobe -v error -show_entries stream=codec_type -of default=nw=1:nk=1 "$OUT/a/testcard-video.ts" | head -n1)"
check_eq "ffprobe decodes the audio file as audio" audio \
	"$(ffprobe -v error -show_entries stream=codec_type -of default=nw=1:nk=1 "$OUT/a/testcard-audio.ts" | head -n1)"
check "after the title: the portal closed the session, gw-1 holds nothing" wait_until 20 mapped_is 1 0

# ---------------------------------------------------------------- three at once

# two appliances behind gw-1 watch different titles, a third behind gw-2.
# Both gateways are of type homebox: the one an appliance is behind is the
# one whose global address the portal saw its request come from.
out=$(appliance 2 2 --id stb-3 --gateway-type homebox register 2>&1)
check "stb-3 registers by type" [ $? = 0 ] || diag "$out"
check_eq "... and is bound to gw-2, the gateway its request came through" gw-2 \
	"$(sqlite3 "$CS_DB" "SELECT gateway_id FROM appliances WHERE id='stb-3'")"
out=$(appliance 1 3 --id stb-2 --gateway-type homebox register 2>&1)
check "stb-2 registers by type" [ $? = 0 ] || diag "$out"
appliance 1 2 --id stb-1 -j watch testcard --out "$OUT/b1" --timeout 60 >"$TMPD/b1.json" 2>/dev/null &
p1=$!
appliance 1 3 --id stb-2 -j watch bars --out "$OUT/b2" --timeout 60 >"$TMPD/b2.json" 2>/dev/null &
p2=$!
appliance 2 2 --id stb-3 -j watch bars --out "$OUT/b3" --timeout 60 >"$TMPD/b3.json" 2>/dev/null &
p3=$!
wait "$p1"; r1=$?; wait "$p2"; r2=$?; wait "$p3"; r3=$?
check_eq "two appliances behind gw-1 and one behind gw-2, at once: all complete" "0 0 0" "$r1 $r2 $r3"
check "stb-2's bars video is the source's" cmp -s "$CONTENT/$(src_of bars video)" "$OUT/b2/bars-video.ts"
check "stb-3's bars audio is the source's" cmp -s "$CONTENT/$(src_of bars audio)" "$OUT/b3/bars-audio.ts"
check "stb-1's testcard video is the source's" cmp -s "$CONTENT/$(src_of testcard video)" "$OUT/b1/testcard-video.ts"

# ---------------------------------------------------------------- teardown

appliance 1 2 --id stb-1 -j watch testcard --out "$OUT/c" --timeout 20 >"$TMPD/c.json" 2>/dev/null &
pc=$!
wait_until 30 has_session stb-1
sleep 1.5
s=$(active_session stb-1)
t_stop=$(now_ms)
portal_post /v1/stop "{\"session\":\"$s\"}" >/dev/null
check_eq "a stop from elsewhere than the appliance's network: 403" 403 "$CODE"
t_stop=$(now_ms)
portal_post /v1/stop "{\"session\":\"$s\"}" "${LANNS[1]}" >/dev/null
check_eq "the user presses stop (from the appliance's LAN): 200" 200 "$CODE"
wait "$pc"; rc=$?
check_eq "a stopped title is reported incomplete (exit 1)" 1 "$rc"
last=$(jq -r '[.streams[].last_packet_at // 0] | max' "$TMPD/c.json")
check "packets arrived before the stop" test "$last" -gt 0
check "after teardown no packet arrived later than 1 s ($((last - t_stop)) ms)" \
	test "$last" -gt 0 -a $((last - t_stop)) -le 1000
check_eq "teardown: gw-1 holds nothing" 0 "$(mapped 1)"

# ---------------------------------------------------------------- lease end

t0=$(now_ms)
appliance 1 2 --id stb-1 -j watch testcard --out "$OUT/d" --lease 2 --timeout 20 >"$TMPD/d.json" 2>/dev/null
rc=$?
check_eq "a 2 s lease on a 6 s title: incomplete (exit 1)" 1 "$rc"
first=$(jq -r '[.streams[].first_packet_at // 0] | min' "$TMPD/d.json")
last=$(jq -r '[.streams[].last_packet_at // 0] | max' "$TMPD/d.json")
check "media arrived while the lease ran ($((last - first)) ms of it)" \
	test "$first" -gt 0 -a $((last - first)) -ge 1000
# the lease began after t0, so it ended after t0 + 2 s: a last packet
# before t0 + 3 s came within 1 s of the lease's end
check "the stream stopped within 1 s of the lease's end (last packet at t0 + $((last - t0)) ms)" \
	test "$first" -gt 0 -a $((last - t0)) -le 3000
check "lease end: gw-1 holds nothing" wait_until 10 mapped_is 1 0

# ---------------------------------------------------------------- from a browser

# A person pairs a browser with tv-1, an appliance in standby behind gw-1,
# and plays a title on it from the portal's page (Chromium, from the same
# LAN). Only where tests/e2e_nft_test.sh asks for it (RGM_E2E_BROWSER: the
# playwright-core module), not in the VM.
if [ -n "${RGM_E2E_BROWSER:-}" ]; then
	appliance 1 3 --id tv-1 --gateway-type homebox -j standby --out "$OUT/f" --timeout 40 \
		--once >"$TMPD/f.json" 2>"$TMPD/f.err" &
	pf=$!
	wait_until 10 grep -q pairing_code "$TMPD/f.json"
	code=$(head -n1 "$TMPD/f.json" | jq -r .pairing_code 2>/dev/null)
	check "tv-1 in standby announces itself and shows a 6-digit pairing code ($code)" \
		grep -qE '^[0-9]{6}$' <<<"$code"
	out=$(nsx "${LANNS[1]}" env PW="$RGM_E2E_BROWSER" PORTAL="http://$PORTAL:8080" CODE="$code" \
		APPLIANCE=tv-1 TITLE=testcard RESULTS="${RGM_E2E_RESULTS:-$TMPD}" \
		timeout 120 node "$RGM_TOP/tests/web/standby_e2e.mjs" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "browser: $(sed -E 's/^ok [0-9]+ //' <<<"$line")" ;;
		"not ok "*) not_ok "browser: $(sed -E 's/^not ok [0-9]+ //' <<<"$line")" ;;
		"#"*) echo "$line" ;;
		esac
	done <<<"$out"
	grep -q '^not ok' <<<"$out" || check_eq "browser: standby_e2e.mjs exits 0" 0 "$rc"
	# it exits after the one title (--once); one that hangs is a failure, not a hang
	timeout 20 tail --pid="$pf" -f /dev/null || kill "$pf" 2>/dev/null
	wait "$pf"; rc=$?
	check_eq "tv-1 received testcard and reported it complete (standby --once: exit 0)" 0 "$rc" ||
		sed 's/^/# /' "$TMPD/f.err" | tail -5
	check_eq "tv-1's report says complete" true "$(tail -n1 "$TMPD/f.json" | jq -r .complete)"
	for k in video audio; do
		check "tv-1's testcard $k: received bytes identical to the source" \
			cmp -s "$CONTENT/$(src_of testcard $k)" "$OUT/f/testcard-$k.ts"
	done
	check_eq "ffprobe decodes tv-1's video file as video" video \
		"$(ffprobe -v error -show_entries stream=codec_type -of default=nw=1:nk=1 "$OUT/f/testcard-video.ts" | head -n1)"
	check "after the title: gw-1 holds nothing" wait_until 20 mapped_is 1 0
fi

# ---------------------------------------------------------------- robustness

junk() {	# ADDR PORT: raw junk, a half request, a huge header
	nsx "$NS_WAN" timeout 5 bash -c "head -c 4096 /dev/urandom > /dev/tcp/$1/$2" 2>/dev/null
	nsx "$NS_WAN" timeout 5 bash -c "printf 'POST /v1/watch HTTP/1.1\r\nContent-Length: 100\r\n\r\n{' > /dev/tcp/$1/$2" 2>/dev/null
	return 0
}
junk "$PORTAL" 8080
portal_post /v1/watch '{"appliance":' >/dev/null
check_eq "portal: malformed JSON is 400" 400 "$CODE"
portal_post /v1/watch "$(head -c 100000 /dev/zero | tr '\0' a)" >/dev/null
check_eq "portal: a 100 kB body is 413" 413 "$CODE"
portal_post /v1/watch '{"appliance":"stb-9","title":"testcard","local_addr":"10.0.0.2","ports":[5004,5006]}' >/dev/null
check_eq "portal: an unknown appliance is 404" 404 "$CODE"
junk "$CONFSERVER" 8443
code=$(nsx "$NS_WAN" curl -sS -m 10 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $PORTAL_TOKEN" --data-binary '{"appliance":[' \
	"https://$CONFSERVER:8443/v1/sessions")
check_eq "confserver: malformed JSON is 400" 400 "$code"
out=$(appliance 1 2 --id stb-1 -j watch bars --out "$OUT/e" --timeout 60 2>/dev/null)
check "after the junk both still serve a whole title" [ "$(jq -r .complete <<<"$out")" = true ]

for p in "$CS_PID" "$PORTAL_PID" "$MEDIA_PID"; do
	check "server $p is still running" kill -0 "$p"
done
check "no session is left active" wait_until 20 no_session stb-1
check_eq "gw-1 and gw-2 hold nothing" "0 0" "$(mapped 1) $(mapped 2)"
