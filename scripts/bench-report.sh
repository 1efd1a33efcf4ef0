#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.sh DIR: the table and plot of `make bench` from DIR/results.txt
# (written by scripts/bench-vm.sh, one figure a line). Writes DIR/table.txt,
# DIR/b1.dat and, when gnuplot is there, DIR/b1.png; prints the table.
# Medians with min-max over the runs; every figure also as a ratio to a
# baseline of the same run.
set -u
dir=${1:?usage: bench-report.sh DIR}
res="$dir/results.txt"
[ -s "$res" ] || { echo "bench-report: no $res" >&2; exit 1; }

awk -v dat="$dir/b1.dat" -v hostf="$dir/host.txt" '
function med(list,   n, a, i, j, t) {	# median of a space-separated list
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
		t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	MIN = a[1]; MAX = a[n]
	return n ? a[int((n + 1) / 2)] : 0
}
function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
$1 == "INFO" { k = $2; $1 = $2 = ""; info[k] = substr($0, 3) }
$1 == "B1" { add($2 SUBSEP $3 SUBSEP $4, $7); n[$2] = 1; cf[$3] = 1; if (!($3 in ord)) ord[$3] = ++nc
	rate[$2, $3, $4, $8] = $7; rounds[$8] = 1 }
$1 == "B2" { add($2 SUBSEP $3, $4) }
$1 == "B3" { add($2 SUBSEP $3 SUBSEP $4, $5); b3n[$3] = 1; b3c[$2] = 1 }
$1 == "B4" { b4[$2] = b4[$2] sprintf("  %-8s %7d mappings: %6.0f B each\n", $2, $3, ($6 - $5) * 1024 / ($3 - $4)) }
$1 == "B5" { b5[$2 SUBSEP $3] = $4; b5r[$2] = 1; b5any = 1 }
# B6 STRATEGY MODE DELAY reply_ms X first_ms Y handshakes H round R
$1 == "B6" { k = $2 SUBSEP $3; add(k SUBSEP $4 SUBSEP "reply", $6); add(k SUBSEP $4 SUBSEP "first", $8)
	b6[k SUBSEP $4 SUBSEP "reply" SUBSEP $12] = $6; b6[k SUBSEP $4 SUBSEP "first" SUBSEP $12] = $8
	add(k SUBSEP $4 SUBSEP "hs", $10); b6k[k] = 1; b6d[$4] = 1; b6r[$12] = 1 }
END {
	while ((getline line < hostf) > 0) print "# host: " line
	print "# VM kernel " info["kernel"] "; " info["sizes"] "; " info["vm_seconds"] " s in the VM"
	nn = 0; for (x in n) ns[++nn] = x + 0
	for (i = 2; i <= nn; i++) for (j = i; j > 1 && ns[j - 1] > ns[j]; j--) { t = ns[j]; ns[j] = ns[j - 1]; ns[j - 1] = t }
	for (c in ord) corder[ord[c]] = c

	if (nn) {
	print "\nB1 per-packet cost (1 sender on 1 CPU, 18-byte UDP; ns/pkt = 1e9 / delivered rate;"
	print "   +ns = median over the rounds of (run - the same round'"'"'s no-NAT baseline run);"
	print "   rgm/nftmap, rgm/ct = ratios of the +ns in the same phase)"
	for (kk = 1; kk <= 2; kk++) {
		kind = kk == 1 ? "est" : "new"
		printf "\n  %s: %s\n", kind, kind == "est" ? "one established flow" : "every packet a new flow (NAT decision + new conntrack)"
		printf "  %-8s", "config"
		for (i = 1; i <= nn; i++) printf " %24s", "N=" ns[i]
		printf "\n"
		for (o = 1; o <= nc; o++) {
			c = corder[o]
			printf "  %-8s", c
			for (i = 1; i <= nn; i++) {
				k = ns[i] SUBSEP c SUBSEP kind
				if (!(k in L)) { printf " %24s", "-"; continue }
				p = med(L[k]); mn = MIN; mx = MAX
				v = p > 0 ? 1e9 / p : 0
				# +ns: median over the rounds of (this run - the same
				# round baseline run), the two runs close in time
				d = ""
				for (r in rounds) {
					x = rate[ns[i], c, kind, r]; y = rate[ns[i], "base", kind, r]
					if (x > 0 && y > 0) d = d " " (1e9 / x - 1e9 / y)
				}
				nsb[c, kind, ns[i]] = d != "" ? med(substr(d, 2)) : -1
				if (c == "base") printf " %9.0f ns %5.0f-%-6.0f", v, mn / 1000, mx / 1000
				else printf " %+8.0f ns %5.0f-%-6.0f", nsb[c, kind, ns[i]], mn / 1000, mx / 1000
			}
			printf "\n"
		}
		printf "  (cells: ns/pkt for base, +ns above base for the others; then min-max kpkt/s)\n"
		# ct does not depend on N: rgm over ct of the same phase takes
		# out what the host did to the whole phase
		split("nftmap ct", den, " ")
		for (q = 1; q <= 2; q++) {
			printf "  %-8s", "rgm/" den[q]
			for (i = 1; i <= nn; i++) {
				a = nsb["rgm", kind, ns[i]]; m = nsb[den[q], kind, ns[i]]
				if (m > 0 && a != "") printf " %24.2f", a / m; else printf " %24s", "-"
			}
			printf "\n"
		}
		for (o = 1; o <= nc; o++) {
			c = corder[o]
			if (c == "base" || c == "ct") continue
			lo = nsb[c, kind, ns[1]]; hi = -1; hn = 0
			for (i = nn; i >= 1; i--) if ((c, kind, ns[i]) in nsb && nsb[c, kind, ns[i]] != -1) { hi = nsb[c, kind, ns[i]]; hn = ns[i]; break }
			if (hn > ns[1] && lo > 0) printf "  slope %-8s N=%d -> N=%d: %+.0f ns (%.2fx)\n", c, ns[1], hn, hi - lo, hi / lo
		}
		for (i = 1; i <= nn; i++) {
			printf "%d %s", ns[i], kind > dat
			for (o = 1; o <= nc; o++) {
				c = corder[o]; x = (c, kind, ns[i]) in nsb ? nsb[c, kind, ns[i]] : -1
				printf " %s", (x == -1 || x == "") ? "NaN" : x > dat
			}
			printf "\n" > dat
		}
	}
	printf "# columns: N kind" > dat
	for (o = 1; o <= nc; o++) printf " %s", corder[o] > dat
	printf "\n" > dat
	}

	if (("ct" SUBSEP "tcp") in L) {
	print "\nB2 forwarding through a mapping, iperf3 wan -> lan (median of runs, Mbit/s)"
	for (mi = 1; mi <= 2; mi++) {
		m = mi == 1 ? "tcp" : "udp"
		c1 = med(L["ct" SUBSEP m]); a1 = MIN; z1 = MAX
		r1 = med(L["rgm" SUBSEP m]); a2 = MIN; z2 = MAX
		printf "  %s: conntrack NAT %.0f (%.0f-%.0f), rgm %.0f (%.0f-%.0f): rgm/ct %.2f\n", m,
			c1 / 1e6, a1 / 1e6, z1 / 1e6, r1 / 1e6, a2 / 1e6, z2 / 1e6, (c1 > 0 ? r1 / c1 : 0)
	}
	}

	if (nn) {
	print "\nB3 install cost (us; one add, one delete of a table holding N; batches of 64)"
	printf "  %-8s %7s %9s %9s %9s %9s %11s %11s\n", "config", "N", "add p50", "add p99", "del p50", "del p99", "batch add/s", "fill add/s"
	for (o = 1; o <= nc; o++) {
		c = corder[o]
		if (!(c in b3c)) continue
		for (i = 1; i <= nn; i++) {
			if (!((c SUBSEP ns[i] SUBSEP "add_p50_us") in L) && !((c SUBSEP ns[i] SUBSEP "fill_adds_per_s") in L)) continue
			printf "  %-8s %7d", c, ns[i]
			split("add_p50_us add_p99_us del_p50_us del_p99_us batch_adds_per_s fill_adds_per_s", f, " ")
			for (q = 1; q <= 6; q++) {
				k = c SUBSEP ns[i] SUBSEP f[q]
				printf q <= 4 ? " %9s" : " %11s", (k in L) ? L[k] : "-"
			}
			printf "\n"
		}
	}

	print "\nB4 kernel memory per mapping (Slab + VmallocUsed delta / mappings added)"
	for (c in b4) printf "%s", b4[c]
	print "  a conntrack entry (nf_conntrack slab object): " info["ct_objsize"] " B"
	}

	if (b5any) {
	print "\nB5 churn while 2000 pkt/s flow through a mapping that stays"
	printf "  %8s %8s %8s %6s %10s %10s %12s %14s\n", "R/s", "sent", "recv", "lost", "wrong host", "max gap ms", "reached /s", "worst tick ms"
	for (r in b5r) printf "  %8d %8s %8s %6s %10s %10s %12s %14s\n", r, b5[r, "sent"], b5[r, "received"],
		b5[r, "lost"], b5[r, "wrong_host"], b5[r, "maxgap_ms"], (r SUBSEP "churn_ops_per_s") in b5 ? b5[r, "churn_ops_per_s"] : "-",
		(r SUBSEP "churn_worst_tick_ms") in b5 ? b5[r, "churn_worst_tick_ms"] : "-"
	}

	nd = 0; for (x in b6d) dl[++nd] = x + 0
	for (i = 2; i <= nd; i++) for (j = i; j > 1 && dl[j - 1] > dl[j]; j--) { t = dl[j]; dl[j] = dl[j - 1]; dl[j - 1] = t }
	if (nd) {
	print "\nB6 setup latency: POST /v1/sessions at the configuration server -> reply (reply) and ->"
	print "   first datagram at the appliance, the media server sending from the reply on (first);"
	print "   netem DELAY ms on each gateway'"'"'s WAN link = the added round trip (RTT) to rgmd;"
	print "   ms: median (min-max); RTTs: median over rounds of (run - same round'"'"'s 0 ms run) / DELAY;"
	print "   hs: TLS handshakes to rgmd during the run (warm 0, cold 1)"
	printf "  %-16s %-5s %5s %22s %7s %22s %7s %3s\n", "strategy", "mode", "delay", "reply ms", "RTTs", "first ms", "RTTs", "hs"
	split("query-first gateway-chooses", sl, " ")
	for (si = 1; si <= 2; si++) for (mi = 1; mi <= 2; mi++) {
		k = sl[si] SUBSEP (mi == 1 ? "warm" : "cold")
		if (!(k in b6k)) continue
		for (i = 1; i <= nd; i++) {
			d = dl[i]; kd = k SUBSEP d
			if (!((kd SUBSEP "reply") in L)) continue
			printf "  %-16s %-5s %5d", sl[si], mi == 1 ? "warm" : "cold", d
			for (q = 1; q <= 2; q++) {
				fk = q == 1 ? "reply" : "first"
				p = med(L[kd SUBSEP fk])
				printf " %8.1f (%5.1f-%5.1f)", p, MIN, MAX
				x = ""
				if (d > 0) for (r in b6r) if ((kd SUBSEP fk SUBSEP r) in b6 && (k SUBSEP 0 SUBSEP fk SUBSEP r) in b6)
					x = x " " (b6[kd, fk, r] - b6[k, 0, fk, r]) / d
				if (x != "") printf " %7.2f", med(substr(x, 2)); else printf " %7s", "-"
			}
			printf " %3s\n", med(L[kd SUBSEP "hs"])
		}
	}
	}
}' "$res" | tee "$dir/table.txt"

command -v gnuplot >/dev/null && [ -s "$dir/b1.dat" ] || exit 0
cols=$(awk '/^# columns/ { for (i = 5; i <= NF; i++) printf "%s ", $i }' "$dir/b1.dat")
{
	echo 'set terminal pngcairo size 900,420 font ",10"'
	echo "set output '$dir/b1.png'"
	echo 'set multiplot layout 1,2'
	echo 'set logscale x; set xlabel "mappings N"; set ylabel "ns/packet above no-NAT baseline"'
	echo 'set key top left; set grid'
	for kind in est new; do
		t=$([ $kind = est ] && echo "one established flow" || echo "every packet a new flow")
		echo "set title '$t'"
		[ $kind = new ] && echo "set logscale y"
		i=3; p=""
		for c in $cols; do
			[ "$c" = base ] || p="$p${p:+, }'$dir/b1.dat' using 1:(strcol(2) eq '$kind' ? \$$i : NaN) with linespoints title '$c'"
			i=$((i + 1))
		done
		echo "plot $p"
	done
	echo 'unset multiplot'
} | gnuplot 2>&1 | grep -v '^$' >&2
exit 0
