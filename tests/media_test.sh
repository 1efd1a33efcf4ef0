#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rgm-mediaserver -> rgm-appliance over a veth between two network
# namespaces (no kernel module): server 192.0.2.1, client 192.0.2.2. Checks
# what a user would: the files arrive byte-identical and play (ffprobe),
# packet counts match the catalog, the transfer is paced (not a burst), a
# stop or duration_ms ends a stream (and the appliance says incomplete),
# bad control requests are refused with a message, two sessions run at
# once. TAP output.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
MS=$top/mediaserver/rgm-mediaserver
AP=$top/appliance/rgm-appliance
SRV=192.0.2.1
CLI=192.0.2.2
CTL=http://$SRV:8081

n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@" >/dev/null; then ok "$name"; else nok "$name"; fi; }
diag() { sed 's/^/# /'; }

for c in ip ffmpeg ffprobe curl jq cmp; do
	if ! command -v "$c" >/dev/null; then
		echo "1..0 # SKIP requires $c"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP requires root (network namespaces)"
	exit 0
fi
for b in "$MS" "$AP"; do
	[ -x "$b" ] || { echo "Bail out! $b not built (make user)"; exit 1; }
done

tag=$$
NS_S=rgm-media-s-$tag
NS_C=rgm-media-c-$tag
TMPD=$(mktemp -d /tmp/rgm-media-test.XXXXXX)
pids=()
waits=()

cleanup() {
	local p ns
	trap - EXIT INT TERM HUP
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${waits[@]}"; do
		wait "$p" 2>/dev/null
	done
	# anything still inside our own namespaces was started by this test
	for ns in "$NS_S" "$NS_C"; do
		p=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$p" ] && kill -9 $p 2>/dev/null
	done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	rm -rf "$TMPD"
	echo "1..$n"
	[ "$fail" = 0 ] && [ "$n" -gt 0 ]
	exit $?
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

srv() { ip netns exec "$NS_S" "$@"; }
cli() { ip netns exec "$NS_C" "$@"; }

# bg NS NAME CMD...: runs CMD in NS in the background. ip netns exec forks,
# so the program's own pid (for kill) is read from a file; $BG_WAIT is the
# one to wait for, whose status is the program's.
bg() {
	local ns=$1 pf=$TMPD/$2.pid
	shift 2
	rm -f "$pf"
	ip netns exec "$ns" sh -c 'echo $$ >"$0"; exec "$@"' "$pf" "$@" &
	BG_WAIT=$!
	waits+=("$BG_WAIT")
	for _ in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.02
	done
	BG_PID=$(cat "$pf")
	pids+=("$BG_PID")
}

# ---------------------------------------------------------------- setup

ip netns add "$NS_S" && ip netns add "$NS_C" || { echo "Bail out! netns"; exit 1; }
ip link add "rgmS$tag" netns "$NS_S" type veth peer name "rgmC$tag" netns "$NS_C" ||
	{ echo "Bail out! veth"; exit 1; }
srv ip link set lo up
cli ip link set lo up
srv ip addr add $SRV/24 dev "rgmS$tag"
cli ip addr add $CLI/24 dev "rgmC$tag"
srv ip link set "rgmS$tag" up
cli ip link set "rgmC$tag" up

# generated once, reused by later runs (mkcontent skips a matching catalog)
content=$top/build/media-content
"$top/scripts/mkcontent.sh" "$content" 2>&1 | diag
check "mkcontent writes the catalog" test -s "$content/catalog.json"
cat=$content/catalog.json

TOKEN=test-token-$RANDOM$RANDOM
echo "$TOKEN" >"$TMPD/token"; chmod 600 "$TMPD/token"
bg "$NS_S" ms "$MS" --addr $SRV --control $SRV:8081 --content "$content" --ports 6000-6099 \
	--token-file "$TMPD/token" 2>"$TMPD/ms.log"
ms_pid=$BG_PID
ms_wait=$BG_WAIT

# api METHOD PATH [BODY] [TOKEN]: body to $TMPD/body, prints the status
api() {
	local args=(-s -m 5 -o "$TMPD/body" -w '%{http_code}' -X "$1")
	[ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data "$3")
	args+=(-H "Authorization: Bearer ${4-$TOKEN}")
	cli curl "${args[@]}" "$CTL$2"
}

for _ in $(seq 50); do
	[ "$(api GET /v1/titles)" = 200 ] && break
	sleep 0.1
done

# expect NAME STATUS METHOD PATH [BODY] [TOKEN]: status and an error message
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(api "$@")
	if [ "$got" = "$want" ] && { [ "$want" -lt 400 ] ||
	   jq -e '.error.message | length > 0' "$TMPD/body" >/dev/null; }; then
		ok "$name ($got${want:+ $(jq -r '.error.message // empty' "$TMPD/body")})"
	else
		nok "$name: want $want, got $got"
		diag <"$TMPD/body"
	fi
}

# streams TITLE PORT...: the appliance's --stream arguments from the catalog
streams() {
	local title=$1 i=0
	shift
	for port in "$@"; do
		jq -r --arg t "$title" --argjson i $i --argjson p "$port" \
			'.titles[] | select(.id == $t) | .streams[$i] |
			 "--stream=\(.kind):\($p):\(.packets):\(.bytes):\(.sha256)"' "$cat"
		i=$((i + 1))
	done
}

# receive NAME TITLE PORT...: starts the appliance in the client ns, waits
# until its ports are bound. Sets RX_PID (to wait for).
receive() {
	local name=$1 title=$2 port
	shift 2
	mkdir -p "$TMPD/$name"
	# shellcheck disable=SC2046
	bg "$NS_C" "$name" "$AP" receive --addr $CLI $(streams "$title" "$@") \
		--out "$TMPD/$name" --title "$title" --timeout 30 -j \
		>"$TMPD/$name.json" 2>"$TMPD/$name.log"
	RX_PID=$BG_WAIT
	for _ in $(seq 50); do
		for port in "$@"; do
			cli ss -Hunl "src $CLI:$port" | grep -q . || continue 2
		done
		return 0
	done
	return 1
}

# prepare TITLE: sets SID
prepare() {
	SID=
	[ "$(api POST /v1/streams "{\"title\":\"$1\"}")" = 201 ] &&
		SID=$(jq -r .stream "$TMPD/body")
}

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- control API

expect "titles listed" 200 GET /v1/titles
check "catalog has testcard and bars, no file names" \
	jq -e '[.titles[].id] == ["testcard","bars"] and ([.. | .file? // empty] | length == 0)' \
	"$TMPD/body"
expect "no token: 401" 401 GET /v1/titles "" ""
expect "wrong token: 401" 401 POST /v1/streams '{"title":"testcard"}' wrong-token
expect "truncated JSON: 400" 400 POST /v1/streams '{"title":'
expect "unknown field: 400" 400 POST /v1/streams '{"title":"testcard","x":1}'
expect "unknown title: 404" 404 POST /v1/streams '{"title":"nope"}'
expect "unknown stream: 404" 404 POST /v1/streams/m-0000000000000000/start \
	'{"dest_addr":"192.0.2.2","ports":[5004,5006]}'
expect "unknown route: 404" 404 GET /v1/nothing
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
expect "body over 64 KiB: 413" 413 POST /v1/streams "{\"title\":\"$big\"}"

# ---------------------------------------------------------------- one title

prepare testcard
check "prepare testcard: 201, two streams on server ports" \
	jq -e '.streams | length == 2 and all(.server_port >= 6000 and .server_port < 6100)' \
	"$TMPD/body"
expect "start with one port for two streams: 400" 400 POST "/v1/streams/$SID/start" \
	'{"dest_addr":"192.0.2.2","ports":[5004]}'
expect "start with a bad address: 400" 400 POST "/v1/streams/$SID/start" \
	'{"dest_addr":"192.0.2.300","ports":[5004,5006]}'
check "appliance listening on 5004, 5006" receive rx1 testcard 5004 5006
t0=$(now_ms)
expect "start testcard: 200" 200 POST "/v1/streams/$SID/start" \
	'{"dest_addr":"192.0.2.2","ports":[5004,5006]}'
expect "start twice: 409" 409 POST "/v1/streams/$SID/start" \
	'{"dest_addr":"192.0.2.2","ports":[5004,5006]}'
wait "$RX_PID"
rc=$?
t1=$(now_ms)
check "appliance exits 0 (complete)" test "$rc" = 0
[ "$rc" = 0 ] || diag <"$TMPD/rx1.log"
for kind in video audio; do
	check "$kind file byte-identical" \
		cmp "$content/testcard-$kind.ts" "$TMPD/rx1/testcard-$kind.ts"
	want=$(jq --arg k $kind '.titles[0].streams[] | select(.kind == $k) | .packets' "$cat")
	got=$(jq --arg k $kind '.streams[] | select(.kind == $k) | .packets' "$TMPD/rx1.json")
	check "$kind: $got RTP packets, $want announced" test "$got" = "$want"
	# (the BYE may come after the appliance has everything and is gone)
	check "$kind: no loss, no reordering, RTCP sender reports" \
		jq -e --arg k $kind '.streams[] | select(.kind == $k) |
		  .lost == 0 and .reordered == 0 and .sender_reports >= 5' "$TMPD/rx1.json"
done
# codec types ffprobe finds: ["video"] for the video file
probe() {
	ffprobe -v error -show_entries stream=codec_type -of json "$1" |
		jq -c '[.streams[]?.codec_type]'
}
check "ffprobe: a video stream in the video file" \
	test "$(probe "$TMPD/rx1/testcard-video.ts")" = '["video"]'
check "ffprobe: an audio stream in the audio file" \
	test "$(probe "$TMPD/rx1/testcard-audio.ts")" = '["audio"]'
dur=$(jq '.titles[0].duration_ms' "$cat")
secs=$(jq '.streams[0].seconds' "$TMPD/rx1.json")
bytes=$(jq '[.streams[].bytes] | add' "$TMPD/rx1.json")
echo "# testcard: $bytes bytes in ${secs} s (first to last video packet), $((t1 - t0)) ms" \
     "start to exit, title $dur ms"
check "paced: video took ${secs} s >= 80% of $dur ms" \
	jq -en --argjson s "$secs" --argjson d "$dur" '$s * 1000 >= 0.8 * $d'
check "paced: not slower than the title + 1.5 s" test $((t1 - t0)) -lt $((dur + 1500))
api GET "/v1/streams/$SID" >/dev/null
check "server says done" \
	jq -e '.state == "done" and (.sent | length == 2)' "$TMPD/body"
want=$(jq -c '[.titles[0].streams[].packets]' "$cat")
check "server sent what the catalog announces ($want packets)" \
	test "$(jq -c '[.sent[].packets]' "$TMPD/body")" = "$want"

# ---------------------------------------------------------------- stop

prepare bars
receive rx2 bars 5004 5006
expect "start bars: 200" 200 POST "/v1/streams/$SID/start" \
	'{"dest_addr":"192.0.2.2","ports":[5004,5006]}'
for _ in $(seq 100); do
	api GET "/v1/streams/$SID" >/dev/null
	[ "$(jq '.sent[0].packets' "$TMPD/body")" -ge 100 ] && break
	sleep 0.05
done
s0=$(now_ms)
expect "stop while playing: 200" 200 POST "/v1/streams/$SID/stop"
s1=$(now_ms)
check "stop answered in $((s1 - s0)) ms (< 500), state stopped" \
	test $((s1 - s0)) -lt 500 -a "$(jq -r .state "$TMPD/body")" = stopped
sent=$(jq '.sent[0].packets' "$TMPD/body")
wait "$RX_PID"
rc=$?
check "appliance exits 1 after a stop (incomplete, got BYE)" \
	jq -e --argjson rc $rc '$rc == 1 and .complete == false and .timed_out == false and
	  (.streams | all(.bye))' "$TMPD/rx2.json"
api GET "/v1/streams/$SID" >/dev/null
check "nothing sent after the stop ($sent video packets)" \
	test "$(jq '.sent[0].packets' "$TMPD/body")" = "$sent"
expect "stop again: 200, still stopped" 200 POST "/v1/streams/$SID/stop"

# ---------------------------------------------------------------- duration_ms

prepare testcard
receive rx3 testcard 5004 5006
t0=$(now_ms)
expect "start with duration_ms 2000: 200" 200 POST "/v1/streams/$SID/start" \
	'{"dest_addr":"192.0.2.2","ports":[5004,5006],"duration_ms":2000}'
wait "$RX_PID"
rc=$?
t1=$(now_ms)
check "duration_ms ends the stream: appliance exits 1 after $((t1 - t0)) ms" \
	test $rc = 1 -a $((t1 - t0)) -ge 1800 -a $((t1 - t0)) -lt 4000
check "about 2 s of video arrived" jq -e '.streams[0].packets > 100 and .streams[0].packets < 250' \
	"$TMPD/rx3.json"

# ---------------------------------------------------------------- two at once

prepare testcard
sid_a=$SID
prepare bars
sid_b=$SID
receive rx4 testcard 5010 5012
pid_a=$RX_PID
receive rx5 bars 5020 5022
pid_b=$RX_PID
expect "start session A: 200" 200 POST "/v1/streams/$sid_a/start" \
	'{"dest_addr":"192.0.2.2","ports":[5010,5012]}'
expect "start session B: 200" 200 POST "/v1/streams/$sid_b/start" \
	'{"dest_addr":"192.0.2.2","ports":[5020,5022]}'
wait "$pid_a"
rc_a=$?
wait "$pid_b"
rc_b=$?
check "two concurrent sessions both complete" test $rc_a = 0 -a $rc_b = 0
check "both sets of files byte-identical" eval \
	'cmp "$content/testcard-video.ts" "$TMPD/rx4/testcard-video.ts" &&
	 cmp "$content/testcard-audio.ts" "$TMPD/rx4/testcard-audio.ts" &&
	 cmp "$content/bars-video.ts" "$TMPD/rx5/bars-video.ts" &&
	 cmp "$content/bars-audio.ts" "$TMPD/rx5/bars-audio.ts"'

# ---------------------------------------------------------------- appliance alone

sha=$(jq -r '.titles[0].streams[0].sha256' "$cat")
cli "$AP" receive --addr $CLI --stream "video:5030:10:1880:$sha" --out "$TMPD" --timeout 1 \
	>"$TMPD/rx6.out" 2>&1
check "nothing arrives: exit 1 at the timeout" test $? = 1
cli "$AP" receive --addr $CLI --stream "video:5030:10:1880:nothex" --out "$TMPD" \
	>/dev/null 2>&1
check "bad --stream: exit 2" test $? = 2

# ---------------------------------------------------------------- shutdown

kill -TERM "$ms_pid"
wait "$ms_wait"
rc=$?
check "media server exits 0 on SIGTERM (exit $rc)" test $rc = 0
if [ "$fail" != 0 ]; then
	echo "# media server log:"
	tail -20 "$TMPD/ms.log" | diag
fi
