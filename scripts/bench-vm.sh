#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark of `make bench`, run inside the VM by scripts/bench.sh.
# Not a test: it measures and prints, it asserts nothing about timing.
#
# One UDP flow of small datagrams, sent as fast as sendmmsg() goes for
# BENCH_SECS from the wan namespace through the gateway to the LAN host,
# counted where it lands:
#
#   wan 203.0.113.7 --> gw 198.51.100.1:PORT (rgm.ko) --> lan 10.0.0.2:5000
#
#   a  baseline: PORT 65000, outside the managed range, forwarded by a plain
#      nftables dnat rule (rgm loaded and configured, but no lookup hits)
#   b  PORT 40000 through an rgm mapping, 1 mapping installed
#   c  the same with 10,000 mappings installed
#   d  the same with 60,000 mappings installed
#
# The managed range is widened to 2000-63999 so 60,000 UDP mappings fit on
# one global address. Mappings are installed phase by phase (1, 10,000,
# 60,000); within each phase the baseline and the rgm case alternate, ROUNDS
# times, so drift of the TCG VM shows in the baseline of each phase.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
rgmctl="$top/ctl/rgmctl/rgmctl"
udp="$top/build/bench-udp"
SECS=${BENCH_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-3}

GLOBAL=198.51.100.1
LAN=10.0.0.2
SERVER=203.0.113.7
LPORT=5000
RGM_PORT=40000
NFT_PORT=65000
PMIN=2000
PMAX=63999

tmp=$(mktemp -d /tmp/rgm-bench.XXXXXX)
cleanup() {
	local n p
	for n in lan gw wan; do
		p=$(ip netns pids "bench-$n" 2>/dev/null)
		[ -n "$p" ] && kill $p 2>/dev/null
		ip netns del "bench-$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }
gw() { ip netns exec bench-gw "$@"; }

modprobe -q nf_nat; modprobe -q veth
[ -d /sys/module/rgm ] || insmod "$top/kmod/rgm.ko" || die "insmod rgm.ko"

for n in lan gw wan; do ip netns add "bench-$n" || die "netns"; ip -n "bench-$n" link set lo up; done
ip link add lan0 netns bench-lan type veth peer name gwlan netns bench-gw
ip link add wan0 netns bench-wan type veth peer name gwwan netns bench-gw
ip -n bench-lan addr add $LAN/24 dev lan0; ip -n bench-lan link set lan0 up
ip -n bench-lan route add default via 10.0.0.1
ip -n bench-gw addr add 10.0.0.1/24 dev gwlan; ip -n bench-gw link set gwlan up
ip -n bench-gw addr add $GLOBAL/24 dev gwwan; ip -n bench-gw link set gwwan up
ip -n bench-gw route add 203.0.113.0/24 via 198.51.100.254
gw sysctl -qw net.ipv4.ip_forward=1
ip -n bench-wan addr add 198.51.100.254/24 dev wan0
ip -n bench-wan addr add $SERVER/24 dev wan0
ip -n bench-wan link set wan0 up
ip -n bench-wan route add 10.0.0.0/24 via $GLOBAL

gw "$rgmctl" config set global $GLOBAL ports $PMIN-$PMAX max-mappings 65536 >/dev/null ||
	die "rgmctl config set"
# Case a's path: a plain dnat rule on a port rgm does not manage.
gw nft -f - <<NFT || die "nft ruleset"
table ip bench {
	chain pre {
		type nat hook prerouting priority dstnat;
		udp dport $NFT_PORT dnat to $LAN:$LPORT
	}
}
NFT
gw "$rgmctl" mapping add proto udp global $GLOBAL:$RGM_PORT local $LAN:$LPORT \
	server $SERVER lease 3600 >/dev/null || die "rgmctl mapping add"

# fill N: grow the table to N mappings (the flow's one included) with
# `rgmctl mapping batch`, 64 lines a file, two rgmctl loops at a time.
installed=1
fill() {
	local want=$1 f i t0 pids=() fails
	rm -f "$tmp"/batch-*
	awk -v from=$installed -v to=$want -v g=$GLOBAL -v l=$LAN -v s=$SERVER \
	    -v pmin=$PMIN -v skip=$RGM_PORT -v d="$tmp" 'BEGIN {
		# the k-th filler (k = 1..) takes port pmin + k - 1, stepping over skip
		for (k = from; k < to; k++) {
			p = pmin + k - 1
			if (p >= skip) p++
			printf "add proto udp global %s:%d local %s:%d server %s lease 3600\n",
				g, p, l, 1024 + k % 60000, s > sprintf("%s/batch-%06d", d, int(k / 64))
		}
	}'
	t0=$(date +%s)
	for i in 0 1; do
		(
			fails=0
			for f in "$tmp"/batch-*; do
				n=${f##*-}; n=$((10#$n))
				[ $((n % 2)) = $i ] || continue
				gw "$rgmctl" mapping batch "$f" >/dev/null || fails=$((fails + 1))
			done
			exit $((fails > 0))
		) &
		pids+=($!)
	done
	fails=0
	for i in "${pids[@]}"; do wait "$i" || fails=1; done
	installed=$want
	n=$(gw "$rgmctl" -j stats | jq -r '(if type == "array" then .[0] else . end) | .mappings')
	printf '# %d mappings installed in %d s (rgmctl stats: %s)\n' \
		"$want" $(( $(date +%s) - t0 )) "$n"
	[ "$fails" = 0 ] && [ "$n" = "$want" ] || die "installing $want mappings failed"
}

# run CASE PORT: one flow; appends "CASE sent recv pps" to $tmp/results.
# The rate is what arrived divided by how long the sender sent.
run() {
	local c=$1 port=$2 r i out rn secs sentn pps
	rm -f "$tmp/ready"
	ip netns exec bench-lan "$udp" recv $LAN $LPORT "$tmp/ready" >"$tmp/recv.out" &
	r=$!
	for i in $(seq 1 100); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
	out=$(ip netns exec bench-wan "$udp" send $SERVER $GLOBAL $port "$SECS") || die "sender failed"
	wait "$r"
	read -r _ sentn _ secs <<<"$out"
	read -r _ rn _ _ <"$tmp/recv.out"
	pps=$(awk -v n="$rn" -v t="$secs" 'BEGIN { printf "%d", n / t }')
	echo "$c $sentn $rn $pps" >>"$tmp/results"
	printf '#   %s: sent %s received %s in %s s: %s pkt/s\n' "$c" "$sentn" "$rn" "$secs" "$pps"
}

# median CASE COLUMN: median of that column over the case's runs
median() {
	awk -v c="$1" '$1 == c { print $'"$2"' }' "$tmp/results" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}

echo "# rgm benchmark: UDP ${SECS}s bursts of 18-byte datagrams, wan -> gw -> lan"
# the first seconds after boot are noisy: one unrecorded run each way
run warm $NFT_PORT; run warm $RGM_PORT
echo "# phase 1: 1 mapping"
for i in $(seq 1 "$ROUNDS"); do run a1 $NFT_PORT; run b $RGM_PORT; done
fill 10000
echo "# phase 2: 10000 mappings"
for i in $(seq 1 "$ROUNDS"); do run a2 $NFT_PORT; run c $RGM_PORT; done
fill 60000
echo "# phase 3: 60000 mappings"
for i in $(seq 1 "$ROUNDS"); do run a3 $NFT_PORT; run d $RGM_PORT; done

b=$(median b 4)
echo
echo "Figures from a TCG (emulated) VM: only ratios within this run mean anything, and"
echo "other VMs on the host add noise (see min-max). veth hands each datagram to the"
echo "sending CPU's backlog, so the whole path (wan -> gw -> lan) runs mostly there:"
echo "pkt/s is roughly 1 / per-packet cost of the path."
printf '%-34s %8s %10s %10s %10s %15s %7s %10s\n' case mappings "sent(med)" "recv(med)" \
	"pkt/s(med)" "pkt/s min-max" "vs b" "vs phase a"
row() {	# row CASE LABEL MAPPINGS [SAME-PHASE BASELINE CASE]
	local p a=-
	p=$(median "$1" 4)
	[ $# -gt 3 ] && a=$(awk -v p="$p" -v a="$(median "$4" 4)" 'BEGIN { if (a > 0) printf "%.2fx", p / a; else print "-" }')
	printf '%-34s %8s %10s %10s %10s %15s %7s %10s\n' "$2" "$3" "$(median "$1" 2)" "$(median "$1" 3)" \
		"$p" "$(awk -v c="$1" '$1 == c { print $4 }' "$tmp/results" | sort -n | sed -n '1p;$p' | paste -sd-)" \
		"$(awk -v p="$p" -v b="$b" 'BEGIN { if (b > 0) printf "%.2fx", p / b; else print "-" }')" "$a"
}
row a1 "a  nft dnat, unmanaged port (ph1)" 1
row b  "b  rgm mapping (ph1)" 1 a1
row a2 "a  nft dnat, unmanaged port (ph2)" 10000
row c  "c  rgm mapping (ph2)" 10000 a2
row a3 "a  nft dnat, unmanaged port (ph3)" 60000
row d  "d  rgm mapping (ph3)" 60000 a3
# The host drifts between phases (other VMs), and the baseline drifts with
# it: the figure that isolates rgm's lookup is each rgm case over the
# baseline of its own phase, relative to the 1-mapping phase.
awk -v a1="$(median a1 4)" -v a2="$(median a2 4)" -v a3="$(median a3 4)" \
    -v b="$b" -v c="$(median c 4)" -v d="$(median d 4)" 'BEGIN {
	if (b <= 0 || a1 <= 0 || a2 <= 0 || a3 <= 0) { print "conclusion: a case received nothing, no ratio"; exit }
	printf "rgm over same-phase nft baseline: %.2fx at 1, %.2fx at 10000, %.2fx at 60000 mappings (raw vs b: c %.2fx, d %.2fx)\n",
		b / a1, c / a2, d / a3, c / b, d / b
	printf "conclusion: 60000 mappings: %.2fx the 1-mapping rate, 10000 mappings: %.2fx (baseline-normalized)\n",
		(d / a3) / (b / a1), (c / a2) / (b / a1)
}'
