#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Privilege (Documentation/security.rst, "Kernel"): every command of the
# rgm generic netlink family -- the mapping dump and the events multicast
# group included -- is refused with EPERM to
#
#   nobody       setpriv --reuid=65534, no capabilities
#   userns root  unshare -Ur: uid 0 and every capability, but in a user
#                namespace that does not own the gateway's network namespace
#   netns root   unshare -Urn: root of its own user and network namespace
#                (genl ops need CAP_NET_ADMIN in the initial user namespace)
#
# through the real client, rgmctl, in the gateway's namespace; and nothing
# changes. Then the table cap: ENOSPC with the kernel's extack message.
# (rgm_netlink.c's "eperm" sends the same commands raw, as nobody.)

. "$(dirname "$0")/lib.sh"

require_rgm
require setpriv unshare timeout
topo_setup

map_add proto udp global $GLOBAL:40000 local $LAN1:5000 lease 600 || bail "a mapping to guard"
ID=$(gwctl -j mapping show | jq -r '(if type=="array" then . else .mappings end)[0].id')
# the table and the configuration, less what time changes (expires)
state() {
	gwctl -j mapping show | jq -c '(if type=="array" then . else .mappings end) | map(del(.expires))'
	gwctl -j config show
}
before=$(state)
TRIED=0

# as WHO CMD...: runs rgmctl CMD as WHO in the gateway's namespace
as() {
	local who=$1; shift
	case $who in
	nobody)		nsx "$NS_GW" setpriv --reuid=65534 --regid=65534 --clear-groups \
				--inh-caps=-all --bounding-set=-all timeout 5 rgmctl "$@" ;;
	userns-root)	nsx "$NS_GW" unshare -Ur timeout 5 rgmctl "$@" ;;
	netns-root)	nsx "$NS_GW" unshare -Urn timeout 5 rgmctl "$@" ;;
	esac
}

# Control: the same commands as root in the gateway namespace succeed, so
# a refusal below is the permission check, not a broken command line.
out=$(gwctl mapping show id "$ID" 2>&1)
check "control: root reads the mapping" grep -q 40000 <<<"$out"
timeout 2 ip netns exec "$NS_GW" rgmctl monitor >/dev/null 2>&1
check_eq "control: root joins the events group (monitor runs until stopped)" 124 "$?"

cmds=(
	"mapping add proto udp global $GLOBAL:40001 local $LAN1:5001 lease 60"
	"mapping del id $ID"
	"mapping del proto udp global $GLOBAL:40000"
	"mapping del all"
	"mapping show"
	"mapping show id $ID"
	"mapping renew id $ID lease 5"
	"config show"
	"config set lease-max 5"
	"config set global none"
	"ports free udp 4"
	"stats"
)
for who in nobody userns-root netns-root; do
	bad=()
	for c in "${cmds[@]}"; do
		TRIED=$((TRIED + 1))
		# shellcheck disable=SC2086
		out=$(as $who $c 2>&1); rc=$?
		if [ "$rc" = 0 ] || ! grep -qi 'not permitted' <<<"$out"; then
			bad+=("$c (exit $rc: $out)")
		fi
	done
	check_eq "$who: all ${#cmds[@]} commands refused, Operation not permitted" 0 "${#bad[@]}"
	for b in "${bad[@]}"; do diag "allowed or wrong error: $b"; done
done
for who in nobody userns-root; do
	TRIED=$((TRIED + 1))
	out=$(as $who monitor 2>&1); rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qi 'not permitted' <<<"$out"; then
		ok "$who: joining the events group refused, Operation not permitted"
	else
		not_ok "$who: joining the events group refused, Operation not permitted"
		diag "exit $rc: $out"
	fi
done
# A netns root may listen to the group of its own, new namespace (that is
# what namespaces are for); it sees nothing of the gateway's.
after=$(state)
check "nothing changed: the mapping and the configuration are as they were" \
	[ "$before" = "$after" ]
[ "$before" = "$after" ] || diag "before: $before" "after: $after"

# ---------------------------------------------------------------- table cap

gwctl config set max-mappings 3 || bail "config set max-mappings 3"
map_add proto udp global $GLOBAL:40002 local $LAN1:5002 lease 600
map_add proto udp global $GLOBAL:40003 local $LAN1:5003 lease 600
TRIED=$((TRIED + 1))
out=$(gwctl mapping add proto udp global $GLOBAL:40004 local $LAN1:5004 lease 600 2>&1); rc=$?
check "table cap: the 4th mapping is refused" [ "$rc" != 0 ]
check "table cap: ENOSPC with an extack message ($out)" \
	grep -q 'RGM_A_MAPPINGS would exceed the mapping limit' <<<"$out"
check_eq "table cap: 3 mappings, not 4" 3 "$(map_count)"

diag "adv: hostile-requests $TRIED"
diag "adv: wrong-mappings $(( $(map_count) - 3 ))"
