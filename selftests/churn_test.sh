#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Mappings added and deleted as fast as rgmctl goes, on both CPUs, while
# packets hit both the churning ports and a stable mapping from both CPUs.
# The stable stream must never stop, the table must end exactly as it
# started, and the kernel must not complain.
#
#      ns lan                  ns gw (rgm.ko)                       ns wan
#  10.0.0.2 udp 5000 <--- udp 40000 (stable)     <--- 203.0.113.7:6000, CPU 1
#  10.0.0.2 udp 5100 <--- udp 41000-41019 (churn) <--- 198.51.100.254 (bash /dev/udp), CPU 0
#                          CPU 0: add/del 41000-41004, CPU 1: batch/del owner 41010-41019
#
. "$(dirname "$0")/lib.sh"

require_rgm
require taskset
topo_setup

ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || diag "only $ncpu CPU: churn runs on one"
c1=$(( ncpu >= 2 ? 1 : 0 ))
SECS=${CHURN_SECONDS:-20}

splats() { dmesg 2>/dev/null | grep -cE 'BUG:|WARNING:|Oops|general protection|refcount_t|list_(add|del) corruption|INFO: rcu|KASAN|UBSAN'; }
splats0=$(splats)

udp_echo "$NS_LAN" $LAN1 5000 "$TMPD/stable" || bail "listener 5000"
udp_echo "$NS_LAN" $LAN1 5100 "$TMPD/churn" || bail "listener 5100"
map_add proto udp global $GLOBAL:40000 local $LAN1:5000 server $SERVER:6000 lease 300 ||
	bail "stable mapping"

# traffic: the stable stream on CPU 1, a burst loop over the churned ports on CPU 0
bg taskset -c $c1 ip netns exec "$NS_WAN" bash -c "while :; do echo stable; sleep 0.1; done |
	socat -u - UDP-SENDTO:$GLOBAL:40000,bind=$SERVER:6000 2>/dev/null"
bg taskset -c 0 ip netns exec "$NS_WAN" bash -c '
	while :; do
		for p in $(seq 41000 41019); do echo churn 2>/dev/null >/dev/udp/'$GLOBAL'/$p; done
	done'
check "the stable stream flows" grows "$TMPD/stable" 5

end=$(( $(date +%s) + SECS ))
# CPU 0: one at a time, by key
bg taskset -c 0 bash -c "
	fails=0; n=0
	while [ \$(date +%s) -lt $end ]; do
		for p in \$(seq 41000 41004); do
			ip netns exec $NS_GW rgmctl mapping add proto udp global $GLOBAL:\$p \
				local $LAN1:5100 lease 30 owner 1 >/dev/null || fails=\$((fails + 1))
		done
		for p in \$(seq 41000 41004); do
			ip netns exec $NS_GW rgmctl mapping del proto udp global $GLOBAL:\$p \
				>/dev/null || fails=\$((fails + 1))
		done
		n=\$((n + 1))
	done
	echo \$n \$fails >$TMPD/churn0"
churn0=$BG_PID
# CPU 1: a batch of ten, then delete by owner; and dumps in between
for p in $(seq 41010 41019); do
	echo "add proto udp global $GLOBAL:$p local $LAN1:5100 lease 30 owner 2"
done >"$TMPD/batch"
bg taskset -c $c1 bash -c "
	fails=0; n=0
	while [ \$(date +%s) -lt $end ]; do
		ip netns exec $NS_GW rgmctl mapping batch $TMPD/batch >/dev/null || fails=\$((fails + 1))
		ip netns exec $NS_GW rgmctl -j mapping show >/dev/null || fails=\$((fails + 1))
		c=\$(ip netns exec $NS_GW rgmctl -j mapping del owner 2 | jq -r '.. | numbers' | head -n1)
		[ \"\$c\" = 10 ] || fails=\$((fails + 1))
		n=\$((n + 1))
	done
	echo \$n \$fails >$TMPD/churn1"
churn1=$BG_PID

# the stable stream keeps flowing during the churn
mid_ok=0; mid_bad=0
while kill -0 $churn0 2>/dev/null || kill -0 $churn1 2>/dev/null; do
	if grows "$TMPD/stable" 3 >/dev/null; then
		mid_ok=$((mid_ok + 1))
	else
		mid_bad=$((mid_bad + 1))
	fi
	sleep 1
done
wait $churn0 $churn1
check_eq "the stable stream never stopped during the churn" 0 "$mid_bad"
check_ge "(and was looked at during it)" 2 "$mid_ok"

read -r n0 f0 <"$TMPD/churn0" || n0=0
read -r n1 f1 <"$TMPD/churn1" || n1=0
diag "CPU 0: $n0 rounds of 5 add + 5 del; CPU $c1: $n1 rounds of batch 10 + show + del owner"
check_ge "CPU 0 churned" 1 "$n0"
check_ge "CPU $c1 churned" 1 "$n1"
check_eq "no add/del failed on CPU 0" 0 "${f0:-missing}"
check_eq "no batch/show/del failed on CPU $c1" 0 "${f1:-missing}"
check_ge "churned mappings translated traffic while they existed" 1 "$(bytes "$TMPD/churn")"
check_eq "the table ends as it began: one mapping" 1 "$(map_count)"
check_eq "stats: mappings 1" 1 "$(rgm_stat mappings)"
added=$(rgm_stat added); deleted=$(rgm_stat deleted)
check_eq "stats: added = deleted + 1" $((deleted + 1)) "$added"
check "the stable stream still flows" grows "$TMPD/stable" 5
check_eq "no kernel warning during the churn" "$splats0" "$(splats)"
