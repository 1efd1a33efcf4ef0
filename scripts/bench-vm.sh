#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks of `make bench`, run inside the VM by scripts/bench.sh.
# Not a test: it measures and prints figures, it asserts nothing about them.
# Documentation/performance.rst explains each figure; this file is the method.
#
# Every configuration gets its own three namespaces (lan, gw, wan: the
# topology of selftests/lib.sh), so all of them hold their N mappings at once
# and the runs of a phase alternate between configurations: drift of the
# emulated VM hits them all alike.
#
#   wan 203.0.113.7 --> gw 198.51.100.4:5000 --> lan 10.0.0.2:5000 (the flow)
#   fillers: 198.51.100.1-2, ports 1024-65535 --> 10.0.0.3:5000 (never used)
#   probes (B3, B5): 198.51.100.3 (rgm), 192.0.2.1 (nft)
#
# B1  per-packet cost against N: short UDP datagrams from one sender pinned
#     to one CPU; "est": one flow (conntrack's fast path after the first
#     packet), "new": every datagram a new flow (the NAT decision: rule walk,
#     map lookup or rgm lookup, plus a new conntrack). ns/packet = 1e9 / rate.
# B2  iperf3 TCP and UDP through a mapping, rgm against conntrack NAT.
# B3  one add and one delete (p50, p99) and batched adds/s at each N.
# B4  kernel memory per mapping: Slab + VmallocUsed delta over the fill.
# B5  churn: R adds and R deletes a second while a paced flow goes through
#     a mapping that stays: lost, misdelivered, longest gap.
# B6  setup latency: the configuration server's configure to the first
#     datagram at the appliance, with netem delays on the WAN link, warm and
#     cold link to rgmd (scripts/bench-setup.sh, scripts/bench-setup.py).
#
# A configuration is a few functions (cfg_NAME_setup, cfg_NAME_fill N,
# cfg_NAME_dst, optionally cfg_NAME_b3); CONFIGS lists them in run order.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
rgmctl="$top/ctl/rgmctl/rgmctl"
udp="$top/build/bench-udp"
bnl="$top/build/bench-nl"
out="$top/build/bench"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	NS=${BENCH_NS:-"10 1000"}; ROUNDS=${BENCH_ROUNDS:-2}; SECS=${BENCH_SECS:-0.5}
	B3K=${BENCH_B3K:-20}; IPERF=${BENCH_IPERF:-1}; CHURN=${BENCH_CHURN:-"0 1000"}
	CHURN_SECS=2
else
	NS=${BENCH_NS:-"10 1000 10000 100000"}; ROUNDS=${BENCH_ROUNDS:-5}
	SECS=${BENCH_SECS:-1.5}; B3K=${BENCH_B3K:-200}; IPERF=${BENCH_IPERF:-3}
	CHURN=${BENCH_CHURN:-"0 1000 10000"}; CHURN_SECS=5
fi
RULE_MAX=${BENCH_RULE_MAX:-10000}	# rule-per-mapping configurations stop here
RGMNFT_MAX=${BENCH_RGMNFT_MAX:-1000}	# rgmd's nftables dataplane stops here
CONFIGS=${BENCH_CONFIGS:-"base ct rgm rgmnft nftmap nftrule ipt"}
export BENCH_PMIN=1024 BENCH_PMAX=65535
SPAN=$((BENCH_PMAX - BENCH_PMIN + 1))
G1=198.51.100.1 G2=198.51.100.2 G3=198.51.100.3 G4=198.51.100.4
LAN=10.0.0.2 LAN2=10.0.0.3 SERVER=203.0.113.7 FPORT=5000

tmp=$(mktemp -d /tmp/rgm-bench.XXXXXX)
mkdir -p "$out"
res="$out/results.txt"
: >"$res"
cleanup() {
	local n p
	for n in $(ip netns list | awk '/^b-/ { print $1 }'); do
		p=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$p" ] && kill $p 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "bench: $*" >&2; exit 1; }
log() { printf '# %s\n' "$*"; }
rec() { echo "$*" >>"$res"; }	# one figure: "B? KEY... VALUE"
gw() { local c=$1; shift; ip netns exec "b-$c-gw" "$@"; }
memkb() { awk '/^(Slab|VmallocUsed):/ { s += $2 } END { print s }' /proc/meminfo; }

for m in nf_conntrack nf_nat veth nf_tables nft_nat nft_ct ip_tables iptable_nat; do
	modprobe -q "$m"
done
[ -d /sys/module/rgm ] || insmod "$top/kmod/rgm.ko" || die "insmod rgm.ko"
sysctl -qw net.netfilter.nf_conntrack_max=2097152
echo 262144 >/sys/module/nf_conntrack/parameters/hashsize 2>/dev/null

# topo C: namespaces b-C-{lan,gw,wan} as in selftests/lib.sh, plus the
# extra global addresses.
topo() {
	local c=$1 n
	for n in lan gw wan; do
		ip netns add "b-$c-$n" || die "netns"
		ip -n "b-$c-$n" link set lo up
	done
	ip link add lan0 netns "b-$c-lan" type veth peer name gwlan netns "b-$c-gw"
	ip link add wan0 netns "b-$c-wan" type veth peer name gwwan netns "b-$c-gw"
	ip -n "b-$c-lan" addr add $LAN/24 dev lan0
	ip -n "b-$c-lan" addr add $LAN2/24 dev lan0
	ip -n "b-$c-lan" link set lan0 up
	ip -n "b-$c-lan" route add default via 10.0.0.1
	ip -n "b-$c-gw" addr add 10.0.0.1/24 dev gwlan
	ip -n "b-$c-gw" link set gwlan up
	for n in $G1 $G2 $G3 $G4; do ip -n "b-$c-gw" addr add $n/24 dev gwwan; done
	ip -n "b-$c-gw" link set gwwan up
	ip -n "b-$c-gw" route add 203.0.113.0/24 via 198.51.100.254
	gw "$c" sysctl -qw net.ipv4.ip_forward=1
	ip -n "b-$c-wan" addr add 198.51.100.254/24 dev wan0
	ip -n "b-$c-wan" addr add $SERVER/24 dev wan0
	ip -n "b-$c-wan" link set wan0 up
	ip -n "b-$c-wan" route add 10.0.0.0/24 via $G1
}

# filler K of the layout bench-nl fill uses: "ADDR PORT"
filler() { echo "$( [ "$1" -lt $SPAN ] && echo $G1 || echo $G2) $((BENCH_PMIN + $1 % SPAN))"; }

# ---------------------------------------------------------------- configurations

# base: no NAT, the flow goes to the LAN address (no conntrack in the netns)
cfg_base_setup() { :; }
cfg_base_fill() { :; }
cfg_base_dst() { echo "$LAN $FPORT"; }

# ct: conntrack NAT alone, one dnat rule, whatever N
cfg_ct_setup() {
	gw ct nft -f - <<-NFT || die "nft ct"
	table ip b {
		chain pre {
			type nat hook prerouting priority dstnat;
			ip daddr $G4 meta l4proto { tcp, udp } th dport { $FPORT, 5201 } dnat to $LAN
		}
	}
	NFT
}
cfg_ct_fill() { :; }
cfg_ct_dst() { echo "$G4 $FPORT"; }

# rgm: rgm.ko, N - 1 fillers and the flow's mapping
rgm_installed=0
cfg_rgm_setup() {
	gw rgm "$rgmctl" config set global $G1,$G2,$G3,$G4 ports $BENCH_PMIN-$BENCH_PMAX \
		max-mappings 262144 >/dev/null || die "rgmctl config set"
	local p
	for p in "udp $FPORT" "tcp 5201" "udp 5201"; do
		set -- $p
		gw rgm "$rgmctl" mapping add proto $1 global $G4:$2 local $LAN:$2 \
			server $SERVER lease 86400 >/dev/null || die "rgmctl mapping add"
	done
	# the new-flow runs come from many servers: one mapping with any server
	gw rgm "$rgmctl" mapping add proto udp global $G4:5001 local $LAN:$FPORT \
		lease 86400 >/dev/null || die "rgmctl mapping add"
}
cfg_rgm_fill() {
	local n=$(($1 - 1)) m0 o
	[ "$n" -gt "$rgm_installed" ] || return 0
	m0=$(memkb)
	o=$(gw rgm "$bnl" fill $G1,$G2 "$rgm_installed" "$n") || die "rgm fill $n"
	sleep 1	# kfree_rcu and friends settle
	rec B4 rgm "$n" "$rgm_installed" "$m0" "$(memkb)"
	rec B3 rgm "$1" fill_adds_per_s "$(echo "$o" | awk '{ print $2 }')"
	rgm_installed=$n
}
cfg_rgm_dst() { echo "$G4 $FPORT"; }
cfg_rgm_newport() { echo 5001; }
cfg_rgm_b3() {
	gw rgm "$bnl" lat $G3 "$B3K" | while read -r k v; do rec B3 rgm "$1" "$k" "$v"; done
}

# rgmnft: rgmd's nftables dataplane (lib/rgm_dp_nft.c, rgmctl -D nftables),
# driven through the same calls as rgm (bench-nl with BENCH_DP=nftables);
# up to RGMNFT_MAX mappings: its add and delete cost grows with N
rgmnft_installed=0
nftdp() { gw rgmnft env BENCH_DP=nftables "$@"; }
cfg_rgmnft_setup() {
	nftdp "$rgmctl" -D nftables config set global $G1,$G2,$G3,$G4 \
		ports $BENCH_PMIN-$BENCH_PMAX max-mappings 262144 >/dev/null || die "rgmctl -D nftables config"
	nftdp "$rgmctl" -D nftables mapping add proto udp global $G4:$FPORT local $LAN:$FPORT \
		server $SERVER lease 86400 >/dev/null || die "rgmctl -D nftables mapping add"
	nftdp "$rgmctl" -D nftables mapping add proto udp global $G4:5001 local $LAN:$FPORT \
		lease 86400 >/dev/null || die "rgmctl -D nftables mapping add"
}
cfg_rgmnft_fill() {
	local n=$(($1 - 1)) m0 o
	[ "$1" -le "$RGMNFT_MAX" ] && [ "$n" -gt "$rgmnft_installed" ] || return 0
	m0=$(memkb)
	o=$(nftdp "$bnl" fill $G1,$G2 "$rgmnft_installed" "$n") || die "rgmnft fill $n"
	sleep 1
	rec B4 rgmnft "$n" "$rgmnft_installed" "$m0" "$(memkb)"
	rec B3 rgmnft "$1" fill_adds_per_s "$(echo "$o" | awk '{ print $2 }')"
	rgmnft_installed=$n
}
cfg_rgmnft_dst() { [ "$1" -le "$RGMNFT_MAX" ] && echo "$G4 $FPORT"; }
cfg_rgmnft_newport() { echo 5001; }
cfg_rgmnft_b3() {
	[ "$1" -le "$RGMNFT_MAX" ] || return 0
	nftdp BENCH_NBATCH=2 "$bnl" lat $G3 "$((B3K / 20 + 1))" |
		while read -r k v; do rec B3 rgmnft "$1" "$k" "$v"; done
}

# nftmap: one dnat through a verdict-free map, N elements (O(1) lookup)
nft_installed=0
cfg_nftmap_setup() {
	gw nftmap nft -f - <<-NFT || die "nft map"
	table ip b {
		map m { type ipv4_addr . inet_service : ipv4_addr . inet_service; }
		chain pre {
			type nat hook prerouting priority dstnat;
			dnat ip to ip daddr . udp dport map @m
		}
		chain probe { }
	}
	add element ip b m { $G4 . $FPORT : $LAN . $FPORT, $G4 . 5001 : $LAN . $FPORT }
	NFT
}
cfg_nftmap_fill() {
	local n=$(($1 - 1)) m0 t0
	[ "$n" -gt "$nft_installed" ] || return 0
	awk -v from=$nft_installed -v to=$n -v span=$SPAN -v pmin=$BENCH_PMIN -v g1=$G1 \
	    -v g2=$G2 -v l=$LAN2 'BEGIN {
		for (k = from; k < to; k += 1000) {
			printf "add element ip b m {"
			for (j = k; j < to && j < k + 1000; j++)
				printf "%s %s . %d : %s . 5000", (j > k ? "," : ""),
					(j < span ? g1 : g2), pmin + j % span, l
			print " }"
		}
	}' >"$tmp/elements.nft"
	m0=$(memkb); t0=$(date +%s.%N)
	gw nftmap nft -f "$tmp/elements.nft" || die "nft elements"
	rec B3 nftmap "$1" fill_adds_per_s "$(awk -v n=$((n - nft_installed)) -v t0=$t0 -v t1="$(date +%s.%N)" 'BEGIN { printf "%.0f", n / (t1 - t0) }')"
	sleep 1
	rec B4 nftmap "$n" "$nft_installed" "$m0" "$(memkb)"
	nft_installed=$n
}
cfg_nftmap_dst() { echo "$G4 $FPORT"; }
cfg_nftmap_newport() { echo 5001; }
cfg_nftmap_b3() {
	gw nftmap "$bnl" nft-lat b m "$B3K" | while read -r k v; do rec B3 nftmap "$1" "$k" "$v"; done
}

# rules: N rules, the flow's in the middle (the average walk), as
# miniupnpd installs one rule per mapping
rules() {	# rules N FORMAT: the N lines, the flow's rule at N/2
	local n=$(($1 - 1))
	awk -v n=$n -v span=$SPAN -v pmin=$BENCH_PMIN -v g1=$G1 -v g2=$G2 -v g4=$G4 \
	    -v l=$LAN -v l2=$LAN2 -v fp=$FPORT -v fmt="$2" 'BEGIN {
		for (k = 0; k < n; k++) {
			if (k == int(n / 2)) {
				printf fmt "\n", g4, fp, l
				printf fmt "\n", g4, 5001, l
			}
			printf fmt "\n", (k < span ? g1 : g2), pmin + k % span, l2
		}
		if (n == 0) { printf fmt "\n", g4, fp, l; printf fmt "\n", g4, 5001, l }
	}'
}
cfg_nftrule_setup() {
	gw nftrule nft -f - <<-NFT || die "nft rules"
	table ip b {
		chain pre { type nat hook prerouting priority dstnat; }
		chain probe { }
	}
	NFT
}
cfg_nftrule_fill() {
	[ "$1" -le "$RULE_MAX" ] || return 0
	{ echo "flush chain ip b pre"
	  rules "$1" "add rule ip b pre ip daddr %s udp dport %d dnat to %s:5000"; } >"$tmp/rules.nft"
	gw nftrule nft -f "$tmp/rules.nft" || die "nft rules $1"
}
cfg_nftrule_dst() { [ "$1" -le "$RULE_MAX" ] && echo "$G4 $FPORT"; }
cfg_nftrule_newport() { echo 5001; }
cfg_nftrule_b3() {
	[ "$1" -le "$RULE_MAX" ] || return 0
	gw nftrule "$bnl" nft-rule b probe "$((B3K / 4))" | while read -r k v; do rec B3 nftrule "$1" "$k" "$v"; done
}

# ipt: the same rules with iptables (legacy, x_tables: a linear walk)
cfg_ipt_setup() { gw ipt iptables-legacy -t nat -N PROBE || die "iptables"; }
cfg_ipt_fill() {
	[ "$1" -le "$RULE_MAX" ] || return 0
	{ echo "*nat"; echo ":PREROUTING ACCEPT [0:0]"; echo ":PROBE - [0:0]"
	  rules "$1" "-A PREROUTING -d %s -p udp --dport %d -j DNAT --to-destination %s:5000"
	  echo COMMIT; } >"$tmp/rules.ipt"
	gw ipt iptables-legacy-restore "$tmp/rules.ipt" || die "iptables-restore $1"
}
cfg_ipt_dst() { [ "$1" -le "$RULE_MAX" ] && echo "$G4 $FPORT"; }
cfg_ipt_newport() { echo 5001; }
cfg_ipt_b3() {
	local i k v
	[ "$1" -le "$RULE_MAX" ] || return 0
	gw ipt "$bnl" spawn "$((B3K / 10))" iptables-legacy -t nat -A PROBE -d 192.0.2.1 -p udp \
		--dport %d -j DNAT --to-destination $LAN2:5000 |
		while read -r k v; do rec B3 ipt "$1" "${k/run/add}" "$v"; done
	gw ipt iptables-legacy -t nat -F PROBE
	for i in $(seq 0 15); do
		{ echo "*nat"; for k in $(seq 0 63); do
			echo "-A PROBE -d 192.0.2.1 -p udp --dport $((2000 + i * 64 + k)) -j DNAT --to-destination $LAN2:5000"
		  done; echo COMMIT; } >"$tmp/ipr-$((BENCH_PMIN + i))"
	done
	gw ipt "$bnl" spawn 16 iptables-legacy-restore --noflush "$tmp/ipr-%d" |
		awk '$1 == "run_total_s" { printf "%.0f\n", 1024 / $2 }' |
		while read -r v; do rec B3 ipt "$1" batch_adds_per_s "$v"; done
	gw ipt iptables-legacy -t nat -F PROBE
}

# ---------------------------------------------------------------- B1

# One receiver per configuration, for the whole run: b-C-lan's 10.0.0.2:5000,
# one line in $tmp/recv-C per burst.
receivers() {
	local c i
	for c in $CONFIGS; do
		rm -f "$tmp/ready-$c"
		taskset -c 0 ip netns exec "b-$c-lan" "$udp" recv $LAN $FPORT "$tmp/ready-$c" loop \
			>"$tmp/recv-$c" &
		for i in $(seq 1 100); do [ -e "$tmp/ready-$c" ] && break; sleep 0.05; done
	done
}

# run1 C N KIND ROUND: one burst; records "B1 N C KIND sent recv pps ROUND"
run1() {
	local c=$1 n=$2 kind=$3 round=${4:-0} dst port out rn secs sentn pps lines i
	read -r dst port <<<"$(cfg_${c}_dst "$n")"
	[ -n "$dst" ] || return 0
	lines=$(wc -l <"$tmp/recv-$c")
	if [ "$kind" = est ]; then
		out=$(taskset -c 1 ip netns exec "b-$c-wan" "$udp" send $SERVER "$dst" "$port" "$SECS")
	else
		declare -F "cfg_${c}_newport" >/dev/null && port=$(cfg_${c}_newport)
		out=$(taskset -c 1 ip netns exec "b-$c-wan" "$udp" newflows 203.0.113.0 "$dst" "$port" "$SECS")
	fi || die "sender failed ($c)"
	for i in $(seq 1 100); do
		[ "$(wc -l <"$tmp/recv-$c")" -gt "$lines" ] && break
		sleep 0.1
	done
	read -r _ sentn _ secs <<<"$out"
	read -r _ rn _ _ < <(tail -n 1 "$tmp/recv-$c")
	[ "$(wc -l <"$tmp/recv-$c")" -gt "$lines" ] || rn=0
	pps=$(awk -v n="$rn" -v t="$secs" 'BEGIN { printf "%d", n / t }')
	rec B1 "$n" "$c" "$kind" "$sentn" "$rn" "$pps" "$round"
	[ "$kind" = new ] && [ "$c" != base ] && gw "$c" conntrack -F 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- B2

b2() {
	local c=$1 mode=$2 j
	if [ "$mode" = tcp ]; then
		j=$(timeout $((IPERF + 20)) ip netns exec "b-$c-wan" iperf3 -B $SERVER -c $G4 -p 5201 \
			--connect-timeout 3000 -t "$IPERF" -J 2>>"$out/iperf3.err") &&
			rec B2 "$c" tcp "$(jq -r '.end.sum_received.bits_per_second' <<<"$j")"
	else
		j=$(timeout $((IPERF + 20)) ip netns exec "b-$c-wan" iperf3 -B $SERVER -c $G4 -p 5201 \
			--connect-timeout 3000 -u -b 0 -l 1400 -t "$IPERF" -J 2>>"$out/iperf3.err") &&
			rec B2 "$c" udp "$(jq -r '.end.sum.bits_per_second * (100 - .end.sum.lost_percent) / 100' <<<"$j")"
	fi
}

# ---------------------------------------------------------------- B5

# churn R: R adds and R deletes a second on G3 while 2000 pkt/s flow
# through the flow's mapping; a receiver on LAN2:5000 counts misdeliveries.
churn() {
	local r=$1 p0 p2 o sentn rn lost gap lines i
	rm -f "$tmp/ready2"
	lines=$(wc -l <"$tmp/recv-rgm")
	ip netns exec b-rgm-lan "$udp" recv $LAN2 $FPORT "$tmp/ready2" loop >"$tmp/c2.out" &
	p2=$!
	for i in $(seq 1 100); do [ -e "$tmp/ready2" ] && break; sleep 0.05; done
	ip netns exec b-rgm-wan "$udp" send $SERVER $G4 $FPORT $((CHURN_SECS + 1)) 2000 >"$tmp/c0.out" &
	p0=$!
	if [ "$r" -gt 0 ]; then
		o=$(gw rgm "$bnl" churn $G3 "$r" "$CHURN_SECS") || die "churn $r"
	else
		sleep "$CHURN_SECS"; o=""
	fi
	wait "$p0"
	for i in $(seq 1 100); do
		[ "$(wc -l <"$tmp/recv-rgm")" -gt "$lines" ] && break
		sleep 0.1
	done
	kill "$p2" 2>/dev/null; wait "$p2" 2>/dev/null
	read -r _ sentn _ _ <"$tmp/c0.out"
	read -r _ rn _ _ _ lost _ gap < <(tail -n 1 "$tmp/recv-rgm")
	rec B5 "$r" sent "$sentn"
	rec B5 "$r" received "$rn"
	rec B5 "$r" lost "$lost"
	rec B5 "$r" maxgap_ms "$gap"
	rec B5 "$r" wrong_host "$(awk '{ s += $2 } END { print s + 0 }' "$tmp/c2.out")"
	echo "$o" | while read -r k v; do [ -n "$k" ] && rec B5 "$r" "$k" "$v"; done
}

# ---------------------------------------------------------------- run

log "rgm benchmarks: N = $NS, $ROUNDS rounds of ${SECS}s per configuration and kind"
log "configurations: $CONFIGS; rule-per-mapping up to $RULE_MAX"
log "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MB" }' /proc/meminfo)"
rec INFO kernel "$(uname -r)"
rec INFO sizes "NS=$NS ROUNDS=$ROUNDS SECS=$SECS B3K=$B3K IPERF=$IPERF CHURN=$CHURN"
rec INFO ct_objsize "$(awk '$1 == "nf_conntrack" { print $4 }' /proc/slabinfo)"
t_start=$(date +%s)
# B6 brings up its own deployment (scripts/bench-setup.sh), after B1-B5 or,
# with BENCH_ONLY=b6, alone
b6() {
	log "B6 setup latency ($(($(date +%s) - t_start)) s)"
	BENCH_ROUNDS=$ROUNDS "$top/scripts/bench-setup.sh" "$res" || log "B6 failed"
}
if [ "${BENCH_ONLY:-}" = b6 ]; then
	b6
	rec INFO vm_seconds $(($(date +%s) - t_start))
	"$top/scripts/bench-report.sh" "$out"
	exit 0
fi
for c in $CONFIGS; do topo "$c"; "cfg_${c}_setup"; done
ip netns exec b-rgm-lan iperf3 -s -D -B $LAN -p 5201 >/dev/null 2>&1
ip netns exec b-ct-lan iperf3 -s -D -B $LAN -p 5201 >/dev/null 2>&1

receivers
for c in $CONFIGS; do run1 "$c" 0 est; done	# warm up, not recorded
: >"$res.tmp"; grep -v '^B1 0 ' "$res" >"$res.tmp"; mv "$res.tmp" "$res"

for n in $NS; do
	log "phase N=$n: filling ($(($(date +%s) - t_start)) s)"
	for c in $CONFIGS; do "cfg_${c}_fill" "$n"; done
	log "phase N=$n: B1 ($(($(date +%s) - t_start)) s)"
	for r in $(seq 1 "$ROUNDS"); do
		for c in $CONFIGS; do run1 "$c" "$n" est "$r"; run1 "$c" "$n" new "$r"; done
	done
	log "phase N=$n: B3 ($(($(date +%s) - t_start)) s)"
	for c in $CONFIGS; do
		declare -F "cfg_${c}_b3" >/dev/null && "cfg_${c}_b3" "$n"
	done
done

gw rgm "$rgmctl" -j stats >"$out/rgm-stats-before-b2.json"
log "B2 iperf3 ($(($(date +%s) - t_start)) s)"
for r in $(seq 1 "$ROUNDS"); do
	for c in ct rgm; do b2 "$c" tcp; b2 "$c" udp; done
done
gw rgm "$rgmctl" -j stats >"$out/rgm-stats-after-b2.json"
log "B5 churn ($(($(date +%s) - t_start)) s)"
for r in $CHURN; do churn "$r"; done
b6
rec INFO vm_seconds $(($(date +%s) - t_start))
log "done in $(($(date +%s) - t_start)) s"
"$top/scripts/bench-report.sh" "$out"
