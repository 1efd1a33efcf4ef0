#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# 10,000 mappings (the whole managed range, UDP) installed with
# `rgmctl mapping batch` in kernel-sized chunks; lookups stay exact.
#
#      ns lan                        ns gw (rgm.ko)                 ns wan
#  10.0.0.2 udp 10000+i  <---  198.51.100.1 udp 40000+i     <---  203.0.113.7 (server)
#  (listeners for a few i)     i = 0..9999, server 203.0.113.7,     203.0.113.66 (attacker)
#                              owner i / 1000
#
. "$(dirname "$0")/lib.sh"

require_rgm
topo_setup

N=10000
CHUNK=64	# RGM_BATCH_MAX: one batch file is one all-or-none request

awk -v n=$N -v c=$CHUNK -v d="$TMPD" -v g=$GLOBAL -v l=$LAN1 -v s=$SERVER 'BEGIN {
	for (i = 0; i < n; i++)
		printf "add proto udp global %s:%d local %s:%d server %s lease 900 owner %d\n",
			g, 40000 + i, l, 10000 + i, s, int(i / 1000) > sprintf("%s/batch-%05d", d, int(i / c));
}'
t0=$(date +%s)
fails=0
for f in "$TMPD"/batch-*; do
	gwctl mapping batch "$f" >/dev/null || { fails=$((fails + 1)); diag "batch $f failed"; }
done
diag "installed in $(( $(date +%s) - t0 )) s"
check_eq "every batch file installs" 0 "$fails"
check_eq "rgmctl mapping show lists $N" $N "$(map_count)"
check_eq "stats: mappings $N" $N "$(rgm_stat mappings)"

# a batch with one duplicate installs nothing
printf 'add proto tcp global %s:40000 local %s:1 lease 60\nadd proto udp global %s:40005 local %s:1 lease 60\n' \
	$GLOBAL $LAN1 $GLOBAL $LAN1 >"$TMPD/dup"
gwctl mapping batch "$TMPD/dup" >/dev/null 2>&1
check_eq "a batch with a taken key fails (exit 1)" 1 $?
check_eq "and installs nothing of it" $N "$(rgm_stat mappings)"

gwctl ports free udp 1 >/dev/null 2>&1
check_eq "ports free udp: none left (exit 1)" 1 $?
check_eq "ports free tcp 2: the first two" "40000 40001" \
	"$(gwctl -j ports free tcp 2 | jq -r '(if type == "object" then (.ports // .free) else . end) | map(tostring) | join(" ")')"

spot() {	# spot I: datagram to 40000+I lands on 10.0.0.2:10000+I only
	local i=$1 reply
	udp_echo "$NS_LAN" $LAN1 $((10000 + i)) "$TMPD/spot-$i" || return 1
	reply=$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL $((40000 + i)) "spot-$i")
	[ "$reply" = "spot-$i" ] || { diag "reply '$reply'"; return 1; }
	[ "$(cat "$TMPD/spot-$i")" = "spot-$i" ] || { diag "log $(cat "$TMPD/spot-$i")"; return 1; }
}
for i in 0 1 2 3333 5000 6789 9998 9999; do
	check "udp $((40000 + i)) reaches 10.0.0.2:$((10000 + i)) and back" spot $i
done
# the neighbours' listeners got nothing extra
check_eq "the listener of 40001 only saw its own datagram" "spot-1" "$(cat "$TMPD/spot-1")"

drops=$(rgm_stat drop_wrong_server)
check_eq "wrong server to 43333 is dropped" "" \
	"$(udp_send "$NS_WAN" $ATTACKER 6000 $GLOBAL 43333 "attack")"
check_eq "wrong server to 49999 is dropped" "" \
	"$(udp_send "$NS_WAN" $ATTACKER 6000 $GLOBAL 49999 "attack")"
check_eq "their listeners saw only the spot checks" "spot-3333spot-9999" \
	"$(cat "$TMPD/spot-3333" "$TMPD/spot-9999")"
check_ge "stats: drop_wrong_server counts them" $((drops + 2)) "$(rgm_stat drop_wrong_server)"
check_eq "tcp to 45000 (mapped for udp only) is refused" "" \
	"$(tcp_send "$NS_WAN" $SERVER 0 $GLOBAL 45000 "tcp")"

# delete one owner's thousand; the neighbours stay
gwctl mapping del owner 3 >/dev/null
check "rgmctl mapping del owner 3" [ $? = 0 ]
check_eq "9000 left" 9000 "$(rgm_stat mappings)"
udp_echo "$NS_LAN" $LAN1 13500 "$TMPD/spot-3500" || bail "listener 13500"
check_eq "udp 43500 (deleted) is dropped" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 43500 "gone")"
udp_echo "$NS_LAN" $LAN1 12999 "$TMPD/spot-2999" || bail "listener 12999"
udp_echo "$NS_LAN" $LAN1 14000 "$TMPD/spot-4000" || bail "listener 14000"
check_eq "udp 42999 (owner 2) still works" "ok" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 42999 "ok")"
check_eq "udp 44000 (owner 4) still works" "ok" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 44000 "ok")"

t0=$(date +%s)
gwctl mapping del all >/dev/null
check "rgmctl mapping del all (9000)" [ $? = 0 ]
diag "flushed in $(( $(date +%s) - t0 )) s"
check_eq "none left" 0 "$(rgm_stat mappings)"
