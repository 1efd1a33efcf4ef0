#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's narrative, run by scripts/demo.sh inside the VM (rgm.ko), or
# on the host with RGM_DATAPLANE=nftables (no VM, no module: the gateway's
# mappings live in nftables' table ip rgm). It borrows the selftests'
# deployment (selftests/deploy.sh): every program is the real one.
#
#   ns WAN: media server 203.0.113.7, portal 203.0.113.10,
#           configuration server 203.0.113.20, a stranger 203.0.113.66
#                 |
#   gw-1: 198.51.100.1, rgm.ko or nftables + rgmd (the gateway's remote
#         programming interface)
#                 |
#   LAN: stb-1 10.0.0.2 and stb-2 10.0.0.3 (rgm-appliance)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export RGM_TOP=$top RGM_DEMO=1
export PATH="$top/ctl/rgmctl:$top/ctl/rgmd:$PATH"
. "$top/selftests/lib.sh"
. "$top/selftests/deploy.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
gw() { ip netns exec "${GWNS[1]}" "$@"; }

if [ "$RGM_DATAPLANE" = kmod ]; then
	for m in nf_conntrack nf_nat veth nf_tables nft_nat nft_masq; do modprobe -q "$m"; done
	lsmod | grep -q '^rgm ' || insmod "$top/kmod/rgm.ko" || exit 1
	trap '_rgm_cleanup; rmmod rgm 2>/dev/null' EXIT
	where="rgm.ko, rgmd"
else
	where="rgmd on the nftables dataplane, this machine's kernel"
fi

say "Bringing up: a LAN with two appliances, the gateway ($where), and on the WAN" \
    "the portal, the configuration server and the media server (certificates made now)"
deploy_up 1
printf 'portal %s:8080   configuration server %s:8443 (HTTPS)   media server %s\n' \
	"$PORTAL" "$CONFSERVER" "$MEDIA"
printf 'gateway gw-1: global %s, rgmd on :8443, LAN 10.0.0.0/24\n' "$(gw_global 1)"

say "The operator enrolled the gateway (id, type, where rgmd listens, its key's pin)"
run "$top/confserver/rgm-confserver" -d "$CS_DB" gateway list

say "Nobody configured the gateway by hand: it maps nothing"
run gw rgmctl mapping show

say "stb-1 registers through the portal (the portal sees it come from the gateway's address)"
run appliance 1 2 --id stb-1 --gateway-type homebox register

say "stb-1 asks the portal for 'testcard' (video + audio, RTP/MPEG-TS with RTCP)"
printf '$ rgm-appliance --id stb-1 watch testcard --ports 5004,5006\n'
appliance 1 2 --id stb-1 watch testcard --ports 5004,5006 --out "$TMPD/stb-1" \
	>"$TMPD/stb-1.report" 2>"$TMPD/stb-1.progress" &
watch_pid=$!
for _ in $(seq 1 100); do
	[ "$(sqlite3 "$CS_DB" "SELECT count(*) FROM sessions WHERE state='active'")" = 1 ] && break
	sleep 0.1
done

say "What the configuration server sent the gateway, and the gateway's reply (audit log)"
sqlite3 "$CS_DB" "SELECT command || char(10) || '  -> ' || result FROM audit_log
	WHERE gateway_id = 'gw-1' AND command LIKE '%\"op\":\"map\"%' ORDER BY seq DESC LIMIT 1" |
	cut -c1-600

say "The tuples rgmd installed in the kernel (rgmctl on the gateway)"
run gw rgmctl mapping show
if [ "$RGM_DATAPLANE" = nftables ]; then
	say "... kept in nftables: the table's DNAT map (Documentation/dataplanes.rst)"
	run gw nft list map ip rgm dnat_to
fi

gp=$(gw rgmctl -j mapping show | jq -r '(if type=="array" then . else .mappings end)[]
	| select(.local_port == 5004) | .global_port')
say "A stranger (203.0.113.66) sends to the same global port $gp: dropped"
before=$(NS_GW=${GWNS[1]} rgm_stat drop_wrong_server)
udp_send_hex "$NS_WAN" "$ATTACKER" 6000 "$(gw_global 1)" "$gp" "80 21 00 01 00 00 00 00 00 00 00 01" >/dev/null
printf 'drop_wrong_server: %s -> %s\n' "$before" "$(NS_GW=${GWNS[1]} rgm_stat drop_wrong_server)"

say "The title plays; what stb-1 received"
wait "$watch_pid"; rc=$?
tail -n 1 "$TMPD/stb-1.progress"
cat "$TMPD/stb-1.report"
for k in video audio; do
	printf '%s file: ffprobe decodes %s\n' "$k" "$(ffprobe -v error -show_entries \
		stream=codec_type,codec_name -of json "$TMPD/stb-1/testcard-$k.ts" |
		jq -r '[.streams[] | "\(.codec_type) (\(.codec_name))"] | join(", ")')"
done

say "At the end of the title the portal closed the session: the port is closed again"
for _ in $(seq 1 50); do
	[ "$(NS_GW=${GWNS[1]} map_count)" = 0 ] && break
	sleep 0.2
done
run gw rgmctl mapping show
before=$(NS_GW=${GWNS[1]} rgm_stat drop_no_mapping)
udp_send_hex "$NS_WAN" "$MEDIA" 6000 "$(gw_global 1)" "$gp" "80 21 00 01 00 00 00 00 00 00 00 01" >/dev/null
printf 'a packet to %s after teardown: drop_no_mapping %s -> %s\n' "$gp" "$before" \
	"$(NS_GW=${GWNS[1]} rgm_stat drop_no_mapping)"

say "Done: stb-1's title arrived $([ "$rc" = 0 ] && echo complete || echo INCOMPLETE)"
exit "$rc"
