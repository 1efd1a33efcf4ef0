#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-fleet: one rgm-confserver against K emulated call-home gateways
# (bench/fleetgen: real TLS, rgmd's protocol, on loopback addresses), on the
# host, no VM. For each K: the server's memory (RSS), threads and CPU with
# the fleet connected and idle; configure requests per second through its
# HTTP API (as a portal sends them) with the fleet connected; and the
# reconnect storm: the server killed (SIGKILL) and started again, the time
# until every gateway is back. Figures, not a test: Documentation/
# performance.rst ("Fleet") gives the method and the figures.
#
# BENCH_FLEET_KS     gateway counts, default "1000 10000"
# BENCH_FLEET_REQS   configure requests per K, default 2000
# BENCH_FLEET_PAR    requests in flight at once, default 16
# BENCH_FLEET_IDLE   seconds of the idle CPU sample, default 10
# BENCH_FLEET_STALL  seconds without a new gateway up: stop waiting, default 60
# BENCH_FLEET_CFG_WAIT  seconds the configure phase may take at most, default 300
# BENCH_FLEET_OUT    folder of the results, default build/bench
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KS=${BENCH_FLEET_KS:-1000 10000}
REQS=${BENCH_FLEET_REQS:-2000}
PAR=${BENCH_FLEET_PAR:-16}
IDLE=${BENCH_FLEET_IDLE:-10}
OUT=${BENCH_FLEET_OUT:-build/bench}
APPS=200		# appliances the configure requests spread over
STALL=${BENCH_FLEET_STALL:-60}	# s without progress: a fleet stopped connecting
CFG_WAIT=${BENCH_FLEET_CFG_WAIT:-300}	# s: the configure phase at most

for c in certtool curl sqlite3 sha256sum; do
	command -v $c >/dev/null || { echo "bench-fleet: $c is missing (make setup)"; exit 1; }
done
make -s -j2 confserver/rgm-confserver bench/fleetgen >/dev/null ||
	{ echo "bench-fleet: build failed (run make)"; exit 1; }
mkdir -p "$OUT"
TMPD=$(mktemp -d /tmp/rgm-fleet.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${BENCH_FLEET_KEEP:-}" ] || rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# shellcheck source=selftests/pki.sh
. "$top/selftests/pki.sh"

kmax=0
for k in $KS; do [ "$k" -gt "$kmax" ] && kmax=$k; done
# every connection is a descriptor on both ends (the server may need more:
# what it cannot get is reported as gateways that did not connect)
need=$((kmax + 256))
[ "$(ulimit -n)" -ge $need ] || ulimit -n $need 2>/dev/null || {
	echo "bench-fleet: K = $kmax needs $need open files, the limit is $(ulimit -n) (hard $(ulimit -Hn))"
	exit 1
}

mk_ca ca "rgm fleet CA"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
echo "bench-fleet: $kmax gateway keys..."
bench/fleetgen keys -n "$kmax" -c "$PKI/ca.pem" -k "$PKI/ca.key" -o "$TMPD/fleet.pem" \
	>"$TMPD/fleet.txt" || exit 1

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
HTTP=$(free_port) CH=$(free_port)
OTOK=op-$RANDOM$RANDOM PTOK=portal-$RANDOM$RANDOM
hash() { printf %s "$1" | sha256sum | cut -c1-64; }
cat >"$TMPD/cs.conf" <<EOF
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
connect-timeout = 10
request-timeout = 10
idle-timeout = 86400
max-connections = 256
EOF
URL=http://127.0.0.1:$HTTP
CS_PID=

cs_start() {
	confserver/rgm-confserver -c "$TMPD/cs.conf" serve 2>>"$TMPD/cs.log" &
	CS_PID=$!
	PIDS+=("$CS_PID")
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null --max-time 1 "$URL/v1/health" && return 0
		sleep 0.1
	done
	echo "bench-fleet: rgm-confserver does not serve:"; tail -n 5 "$TMPD/cs.log"
	exit 1
}

# curl_many FILE [SECONDS]: runs the curl config FILE (blocks separated by "next"),
# PAR at once; prints one status code per request
curl_many() {	# FILE [SECONDS: the whole run at most]
	sed -i '$d' "$1"	# no "next" after the last
	timeout "${2:-3600}" curl -s --no-progress-meter --parallel --parallel-max "$PAR" \
		--parallel-immediate -K "$1"
}

# enroll FROM TO: gateways FROM..TO-1 of fleet.txt, through the API
enroll() {
	sed -n "$(($1 + 1)),$2p" "$TMPD/fleet.txt" | while read -r id pin addr; do
		printf 'url = "%s/v1/gateways"\nheader = "Authorization: Bearer %s"\n' "$URL" "$OTOK"
		printf 'header = "Content-Type: application/json"\noutput = /dev/null\n'
		printf 'write-out = "%%{http_code}\\n"\nmax-time = 30\n'
		printf 'data = "{\\"id\\":\\"%s\\",\\"type\\":\\"homebox\\",\\"mode\\":\\"call-home\\",\\"pin\\":\\"%s\\",\\"global_addr\\":\\"%s\\"}"\nnext\n' \
			"$id" "$pin" "$addr"
	done >"$TMPD/enroll.curl"
	curl_many "$TMPD/enroll.curl" | sort | uniq -c | awk '$2 != 201 { bad += $1 } END { exit bad > 0 }' ||
		{ echo "bench-fleet: enrolling failed"; tail -n 5 "$TMPD/cs.log"; exit 1; }
}

# /proc figures of the server
rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$CS_PID/status"; }
threads() { awk '/^Threads/ { print $2 }' "/proc/$CS_PID/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$CS_PID/stat"; }
HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# up: gateways that got to hello, from fleetgen's last status line
fleet_up() { tail -n 1 "$TMPD/fleetgen.log" 2>/dev/null | sed -n 's/.* up=\([0-9]*\) .*/\1/p'; }
# wait_up K: seconds until K gateways (or more) are up; "-" when none came up for
# STALL seconds (then $(fleet_up) is how many made it)
wait_up() {
	local t0 last=-1 since n t
	t0=$(now) since=$(now)
	while n=$(fleet_up); [ "${n:-0}" -lt "$1" ]; do
		if [ "${n:-0}" != "$last" ]; then
			last=${n:-0} since=$(now)
		else
			t=$(elapsed "$since")
			if [ "${t%.*}" -ge "$STALL" ]; then echo -; return; fi
		fi
		sleep 0.2
	done
	elapsed "$t0"
}

RES=$OUT/fleet.txt
{ echo "# bench-fleet $(date -u +%FT%TZ) $(uname -n): $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# K connect_s rss_mb threads idle_cpu_pct configure_per_s configure_ok cpu_s_per_configure storm_s storm_rss_mb"; } >"$RES"

enrolled=0
apps_done=0
cs_start
for k in $KS; do
	echo "bench-fleet: K = $k: enrolling..."
	[ "$enrolled" -lt "$k" ] && enroll "$enrolled" "$k" && enrolled=$k
	if [ "$apps_done" = 0 ]; then
		n=$APPS; [ "$n" -gt "$k" ] && n=$k
		head -n "$n" "$TMPD/fleet.txt" | awk '{ print NR - 1, $1 }' | while read -r i id; do
			printf 'url = "%s/v1/appliances"\nheader = "Authorization: Bearer %s"\n' "$URL" "$PTOK"
			printf 'header = "Content-Type: application/json"\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\nmax-time = 30\n'
			printf 'data = "{\\"appliance\\":\\"stb-%s\\",\\"gateway\\":\\"%s\\"}"\nnext\n' "$i" "$id"
		done >"$TMPD/apps.curl"
		curl_many "$TMPD/apps.curl" >/dev/null
		apps_done=$n
	fi
	# a fresh server for each K: its memory is this fleet's
	kill "$CS_PID"; wait "$CS_PID" 2>/dev/null
	cs_start
	echo "bench-fleet: K = $k: connecting..."
	: >"$TMPD/fleetgen.log"
	# the fleet arrives over ~K/1000 s, not all in one instant
	bench/fleetgen run -n "$k" -f "$TMPD/fleet.pem" -a "$PKI/ca.pem" -t "127.0.0.1:$CH" \
		-s $((k)) >"$TMPD/fleetgen.log" 2>>"$TMPD/fleetgen.err" &
	FG_PID=$!
	PIDS+=("$FG_PID")
	connect_s=$(wait_up "$k")
	reached=$(fleet_up)
	[ "$connect_s" = - ] && { connect_s="-($reached)"; echo "bench-fleet: K = $k: only $reached connected:"; grep -v "enroll\|appliance" "$TMPD/cs.log" | tail -n 2; }
	sleep 2
	c0=$(cpu_ticks); sleep "$IDLE"; c1=$(cpu_ticks)
	idle=$(echo "scale=2; ($c1 - $c0) * 100 / $HZ / $IDLE" | bc)
	rss=$(rss_mb) thr=$(threads)

	echo "bench-fleet: K = $k: $REQS configure requests..."
	awk -v n="$REQS" -v apps="$apps_done" -v url="$URL" -v tok="$PTOK" 'BEGIN {
		for (i = 0; i < n; i++) {
			a = i % apps
			printf "url = \"%s/v1/sessions\"\nheader = \"Authorization: Bearer %s\"\n", url, tok
			printf "header = \"Content-Type: application/json\"\noutput = /dev/null\n"
			printf "write-out = \"%%{http_code}\\n\"\nmax-time = 30\n"
			printf "data = \"{\\\"appliance\\\":\\\"stb-%d\\\",\\\"gateway_addr\\\":\\\"198.18.%d.%d\\\",", a, int((a + 1) / 256), (a + 1) % 256
			printf "\\\"local_addr\\\":\\\"10.0.0.2\\\",\\\"lease\\\":300,\\\"streams\\\":[{\\\"type\\\":\\\"rtp\\\",\\\"rtcp\\\":true,"
			printf "\\\"local_port\\\":5004,\\\"server_addr\\\":\\\"203.0.113.7\\\",\\\"server_port\\\":6000}]}\"\nnext\n"
		}
	}' >"$TMPD/cfg.curl"
	c0=$(cpu_ticks); t0=$(now)
	# a server out of descriptors may serve nothing: CFG_WAIT s at most
	codes=$(curl_many "$TMPD/cfg.curl" "$CFG_WAIT" | sort | uniq -c | tr '\n' ' ')
	t1=$(now); c1=$(cpu_ticks)
	okn=$(awk '{ for (i = 1; i < NF; i += 2) if ($(i + 1) == 201) n += $i } END { print n + 0 }' <<<"$codes")
	# answered with 201 per second of the whole phase
	rate=$(awk -v n="$okn" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
	cpu_req=$(awk -v n="$okn" -v c="$((c1 - c0))" -v hz="$HZ" 'BEGIN { printf "%.5f", n ? c / hz / n : 0 }')
	echo "bench-fleet: K = $k: status codes (000: none within 30 s): ${codes:-none within $CFG_WAIT s}"

	echo "bench-fleet: K = $k: reconnect storm..."
	kill -KILL "$CS_PID"; wait "$CS_PID" 2>/dev/null
	# every gateway noticed (its status line says so) before the restart
	while [ "$(fleet_up)" != 0 ]; do sleep 0.2; done
	cs_start
	storm_s=$(wait_up "$reached")
	storm_rss=$(rss_mb)
	kill "$FG_PID"; wait "$FG_PID" 2>/dev/null
	echo "$k ${connect_s:-?} $rss $thr $idle $rate $okn/$REQS $cpu_req $storm_s $storm_rss" | tee -a "$RES"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RES"
echo
column -t "$RES" 2>/dev/null || cat "$RES"
