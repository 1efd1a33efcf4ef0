#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What rgmd and rgmctl rely on from a dataplane, whichever runs it
# (RGM_DATAPLANE, see lib.sh: rgm.ko in the VM, nftables on the host through
# tests/dp_nft_test.sh): batches are all or none, rgmctl prints the same
# JSON, an operator's `nft flush ruleset` does not open or close anything
# for good, and rgmd serves a TLS map request whose stream then arrives.
#
#      ns lan                    ns gw (dataplane, rgmd)           ns wan
#  10.0.0.2 udp 5004  <----  198.51.100.1 udp 40100..40302  <--  203.0.113.7 (server)
#                            rgmd listens on 198.51.100.1:8443 <-- rgmctl remote

. "$(dirname "$0")/lib.sh"

require_rgm
require certtool timeout
RGMD="$RGM_TOP/ctl/rgmd/rgmd"
[ -x "$RGMD" ] || bail "rgmd is built"
topo_setup

udp_echo "$NS_LAN" $LAN1 5004 "$TMPD/lan" || bail "udp listener 10.0.0.2:5004"

# ---- all or none
printf '%s\n' \
	"add proto udp global $GLOBAL:40100 local $LAN1:5004 lease 60" \
	"add proto udp global $GLOBAL:40101 local $LAN1:5004 lease 60" \
	"add proto udp global $GLOBAL:40100 local $LAN1:5005 lease 60" >"$TMPD/dup.batch"
gwctl mapping batch "$TMPD/dup.batch" >/dev/null 2>&1
check_eq "batch repeating a key fails (exit 1)" 1 $?
check_eq "and installs none of it" 0 "$(map_count)"

map_add proto udp global $GLOBAL:40110 local $LAN1:5004 lease 60 || bail "mapping add 40110"
printf '%s\n' \
	"add proto udp global $GLOBAL:40111 local $LAN1:5004 lease 60" \
	"add proto udp global $GLOBAL:40110 local $LAN1:5004 lease 60" >"$TMPD/taken.batch"
gwctl mapping batch "$TMPD/taken.batch" >/dev/null 2>&1
check_eq "batch with a key already installed fails (exit 1)" 1 $?
check_eq "only the earlier mapping is there" 1 "$(map_count)"
check_eq "udp 40111 of the failed batch forwards nothing" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40111 "batch-leftover")"
printf '%s\n' \
	"add proto udp global $GLOBAL:40120 local $LAN1:5004 lease 60" \
	"add proto udp global $GLOBAL:40121 local $LAN1:5004 lease 60" >"$TMPD/good.batch"
gwctl mapping batch "$TMPD/good.batch" >/dev/null
check "a good batch installs" [ $? = 0 ]
check_eq "all of it" 3 "$(map_count)"
check_eq "udp 40121 of the batch forwards" "batch-ok" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40121 "batch-ok")"

# ---- the JSON rgmctl prints is the same whatever the dataplane
want='["id","proto","stream","server_addr","server_port","global_addr","global_port","local_addr","local_port","lease","expires","owner","packets_in","bytes_in","packets_out","bytes_out","drops"]'
check_eq "mapping show -j: the keys of a mapping, in order" "$want" \
	"$(gwctl -j mapping show | jq -c '.[0] | keys_unsorted')"
check_eq "mapping show -j: the types of its values" \
	'["number","string","string","null","null","string","number","string","number","number","number","number","number","number","number","number","number"]' \
	"$(gwctl -j mapping show | jq -c '[.[0][] | type]')"
check_eq "stats -j: the counters" \
	'["mappings","added","deleted","expired","translated","drop_no_mapping","drop_wrong_server","drop_not_rtp","drop_untracked"]' \
	"$(gwctl -j stats | jq -c '(if type == "array" then .[0] else . end) | keys_unsorted')"
check_eq "config show -j: the keys" '["global_addrs","port_min","port_max","max_mappings","lease_max"]' \
	"$(gwctl -j config show | jq -c '(if type == "array" then .[0] else . end) | keys_unsorted')"

# ---- an operator's `nft flush ruleset` in the gateway
id=$(map_field udp 40121 id)
nsx "$NS_GW" nft flush ruleset || bail "nft flush ruleset"
if [ "$RGM_DATAPLANE" = kmod ]; then
	ok "rgm.ko keeps no state in nftables"
else
	# the events handle (rgmd; here rgmctl monitor) puts the table back
	restored() { nsx "$NS_GW" nft list set ip rgm gaddrs >/dev/null 2>&1 &&
		[ "$(map_count)" = 3 ]; }
	check "the table ip rgm is restored within 3 s" wait_until 3 restored
	check "and that is reported loudly" \
		grep -q "table ip rgm was removed.*restoring it with 3 mappings" "$TMPD/agent-events"
fi
check_eq "after the flush the mapping keeps its id" "$id" "$(map_field udp 40121 id)"
check_eq "and forwards" "after-flush" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40121 "after-flush")"
check_eq "an unmapped managed port is still closed" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40122 "after-flush-unmapped")"
gwctl mapping del all >/dev/null || bail "mapping del all"

# ---- rgmd serves a map request over TLS; the stream arrives
mk_ca ca "rgm test CA"
mk_leaf gw gw1.rgm.test ca "expiration_days = 30"
mk_leaf srv cfg.rgm.test ca "expiration_days = 30"
GW_PIN=$(pin_of "$PKI/gw.pem")
[ -s "$PKI/srv.pem" ] && [ -n "$GW_PIN" ] || bail "test PKI"
mkdir -p "$TMPD/state"
cat >"$TMPD/rgmd.conf" <<EOF
mode = listen
listen = $GLOBAL:8443
cert = $PKI/gw.pem
key = $PKI/gw.key
ca = $PKI/ca.pem
allow = subject CN=cfg.rgm.test,O=rgm-test
gateway-id = gw-dataplane
state-dir = $TMPD/state
lan-prefix = 10.0.0.0/24
ports = $PORT_MIN-$PORT_MAX
dataplane = $RGM_DATAPLANE
EOF
bg ip netns exec "$NS_GW" "$RGMD" -d -c "$TMPD/rgmd.conf" 2>>"$TMPD/rgmd.log"
wait_listen "$NS_GW" tcp 8443 || bail "rgmd listens on $GLOBAL:8443"
check "rgmd says which dataplane it drives" \
	grep -q "$RGM_DATAPLANE dataplane" "$TMPD/rgmd.log"
rq() {
	nsx "$NS_WAN" timeout 60 rgmctl remote connect $GLOBAL:8443 ca "$PKI/ca.pem" \
		cert "$PKI/srv.pem" key "$PKI/srv.key" pin "$GW_PIN" timeout 30 "$@" \
		2>>"$TMPD/remote.err"
}
out=$(rq request '{"op":"map","session":"dp-1","lease":60,"streams":[{"type":"udp","local_addr":"10.0.0.2","local_port":5004,"global_port":40300,"server_addr":"203.0.113.7"}]}')
check "rgmd: map over TLS answered ok" [ $? = 0 ]
check_eq "rgmd: the mapping is installed" 40300 "$(map_field udp 40300 global_port)"
: >"$TMPD/lan"
check_eq "rgmd: the server's datagram is echoed back through the mapping" "tls-mapped" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40300 "tls-mapped")"
check_eq "rgmd: it reached 10.0.0.2:5004" "tls-mapped" "$(cat "$TMPD/lan")"
check_eq "rgmd: a stranger's datagram does not pass" "" \
	"$(udp_send "$NS_WAN" $ATTACKER 6000 $GLOBAL 40300 "tls-stranger")"
out=$(rq request '{"op":"unmap","session":"dp-1"}')
check "rgmd: unmap over TLS answered ok" [ $? = 0 ]
check_eq "rgmd: the mapping is gone" 0 "$(map_count)"
check_eq "rgmd: the flow is cut" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40300 "tls-after-unmap")"

# ---- a lease that runs out: rgmd tells the server, the stream stops
out=$(rq request '{"op":"map","session":"dp-2","lease":2,"streams":[{"type":"udp","local_addr":"10.0.0.2","local_port":5004,"global_port":40301}]}' wait 6)
check "rgmd: short lease mapped" grep -q '"ok":true' <<<"$out"
check "rgmd: the server got an expired event" grep -q '"event":"expired"' <<<"$out"
check "rgmd: naming global port 40301" grep -q 40301 <<<"$out"
check_eq "rgmd: the mapping is gone" 0 "$(map_count)"
check_eq "rgmd: nothing passes on the expired port" "" \
	"$(udp_send "$NS_WAN" $SERVER 6000 $GLOBAL 40301 "tls-after-expiry")"
