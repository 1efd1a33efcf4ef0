#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The appliance-mediated path against a gateway that does not run rgm:
# Debian's miniupnpd (its nftables backend) is the home gateway, UPnP IGD
# on its LAN side; rgm-appliance maps its own ports there with the grant
# the configuration server (gateway type "home-upnp", driver upnp-igd)
# gave it, reports them through the portal, and the media server's RTP
# comes in through miniupnpd's DNAT rules. On the host kernel, in network
# namespaces:
#
#   ns WAN  media 203.0.113.7  portal .10  confserver .20  STUN .30/.31:3478/3479
#             |
#   ns GW   gwwan 198.51.100.1   miniupnpd (UPnP IGD, NAT-PMP/PCP) on gwlan
#           (gw-1 type home-upnp and gw-2 type home-pcp at the confserver)
#           nftables: forward policy drop, only miniupnpd's rules let in
#             |
#   ns LAN  stb-1 10.0.0.2, a neighbour 10.0.0.3
#
# miniupnpd refuses to forward when its WAN address is reserved (all of
# 198.51.100.0/24 is documentation space), unless STUN tells it the
# public address and that nothing filters in front of it
# (ext_perform_stun, Documentation/confserver.rst): tests/stun_responder.py
# is that STUN server, honouring CHANGE-REQUEST from a second address
# and port. No real public address is used.
#
# Checks (UPnP IGD): the title arrives complete and byte-identical through
# the mappings (conntrack shows the DNAT to the appliance), the mappings
# name the media server as remote host, the audit has the grant and the
# report, the table is empty after; renewal restarts miniupnpd's lease;
# UPnP off, forwarding refused, no external address, a port taken by a
# neighbour and a port the gateway's rules deny each give the appliance and
# the portal a clear error and leave neither mapping nor open session.
# Then the same box as a pcp gateway: a title over PCP and over NAT-PMP,
# renewal, a port taken, PCP off. The logs are kept in build/results/upnp/.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" != 0 ] || ! ip netns add "rgm-probe-$$" 2>/dev/null; then
	echo "ok 1 upnp_e2e # SKIP needs root and network namespaces"
	echo "1..1"
	exit 0
fi
ip netns del "rgm-probe-$$"
if [ ! -x /usr/sbin/miniupnpd ] || ! command -v upnpc >/dev/null; then
	echo "ok 1 upnp_e2e # SKIP needs miniupnpd-nftables and miniupnpc (scripts/setup.sh)"
	echo "1..1"
	exit 0
fi

export RGM_TOP=$top
. "$top/selftests/lib.sh"
. "$top/selftests/deploy.sh"
require certtool curl sqlite3 jq nft conntrack timeout cmp "$PYTHON"
for p in confserver/rgm-confserver mediaserver/rgm-mediaserver portal/rgm-portal \
	 appliance/rgm-appliance; do
	[ -x "$RGM_TOP/$p" ] || bail "$p is built (make user)"
done

# the logs outlive the run, for whoever reads a failure
RESULTS=$top/build/results/upnp
_upnp_exit() {
	local rc=$?
	mkdir -p "$RESULTS" && cp "$TMPD"/*.log "$TMPD"/*.err "$TMPD"/*.conf "$RESULTS"/ 2>/dev/null
	(exit "$rc"); _rgm_cleanup
}
trap _upnp_exit EXIT

GW_TYPE=home-upnp
GW_DRIVER=upnp-igd
STUN1=203.0.113.30
STUN2=203.0.113.31
MU_HTTP=5555
MU_URL=http://$(gw_lan 1):$MU_HTTP/rootDesc.xml

# The gateway: no rgm, miniupnpd's nftables layout (table inet filter, its
# chains miniupnpd, prerouting_miniupnpd, postrouting_miniupnpd), the LAN
# masqueraded out, nothing in from the WAN but what miniupnpd maps.
upnp_gw() {
	local g l
	GWNS[1]=rgm-gw1-$_rgm_id
	LANNS[1]=rgm-lan1-$_rgm_id
	g=${GWNS[1]}; l=${LANNS[1]}
	netns_add "$g"
	netns_add "$l"
	ip link add wan1 netns "$NS_WAN" type veth peer name gwwan netns "$g" || bail "veth wan1"
	ip link add lan0 netns "$l" type veth peer name gwlan netns "$g" || bail "veth lan0"
	nsx "$NS_WAN" ip link set wan1 master wanbr up
	ip -n "$g" addr add "$(gw_global 1)/24" dev gwwan
	ip -n "$g" addr add "$(gw_lan 1)/24" dev gwlan
	ip -n "$g" link set gwwan up
	ip -n "$g" link set gwlan up
	ip -n "$g" route add default via $WAN_LINK
	nsx "$g" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$l" addr add "$(gw_lan 1 2)/24" dev lan0
	ip -n "$l" addr add "$(gw_lan 1 3)/24" dev lan0
	ip -n "$l" link set lan0 up
	ip -n "$l" route add default via "$(gw_lan 1)"
	nsx "$g" nft -f - <<-EOF || bail "the gateway's nftables ruleset"
		table inet filter {
			chain forward {
				type filter hook forward priority filter; policy drop;
				ct state established,related accept
				iifname "gwlan" oifname "gwwan" accept
				jump miniupnpd
			}
			chain miniupnpd {
			}
			chain prerouting {
				type nat hook prerouting priority dstnat; policy accept;
				jump prerouting_miniupnpd
			}
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				jump postrouting_miniupnpd
				oifname "gwwan" ip saddr 10.0.0.0/24 masquerade
			}
			chain prerouting_miniupnpd {
			}
			chain postrouting_miniupnpd {
			}
		}
	EOF
}

# stun_start [filtered]: the STUN server; "filtered" answers only requests
# that ask for no change of address or port, as a NAT or firewall in
# front of the gateway would let through.
stun_start() {
	[ -n "${STUN_PID:-}" ] && { kill "$STUN_PID" 2>/dev/null; wait "$STUN_PID" 2>/dev/null; }
	bg ip netns exec "$NS_WAN" "$PYTHON" "$RGM_TOP/tests/stun_responder.py" $STUN1 $STUN2 3478 3479 \
		${1:+--$1} >>"$TMPD/stun.log" 2>&1
	STUN_PID=$BG_PID
	wait_listen "$NS_WAN" udp 3478 || bail "the STUN server listens"
}

# mu_start stun|nostun [RULE...]: miniupnpd in the gateway, UPnP IGD and
# NAT-PMP/PCP on gwlan, secure mode, the RULEs before the default ones
# (LAN hosts may map 1024-65535 to themselves, nothing else). A fresh
# start: the chains are emptied first, as miniupnpd's nft_flush.sh does.
mu_start() {
	local mode=$1 conf=$TMPD/miniupnpd.conf r; shift
	mu_stop
	for r in miniupnpd prerouting_miniupnpd postrouting_miniupnpd; do
		nsx "${GWNS[1]}" nft flush chain inet filter $r
	done
	{
		echo "ext_ifname=gwwan"
		echo "listening_ip=gwlan"
		echo "http_port=$MU_HTTP"
		echo "enable_upnp=yes"
		echo "enable_natpmp=yes"
		echo "secure_mode=yes"
		echo "system_uptime=no"
		echo "uuid=3c0f0e4e-1d2b-4f59-9c59-5b4a8a0d7a01"
		echo "min_lifetime=2"
		echo "max_lifetime=86400"
		if [ "$mode" = stun ]; then
			echo "ext_perform_stun=yes"
			echo "ext_stun_host=$STUN1"
			echo "ext_stun_port=3478"
		fi
		printf '%s\n' "$@"
		echo "allow 1024-65535 10.0.0.0/24 1024-65535"
		echo "deny 0-65535 0.0.0.0/0 0-65535"
	} >"$conf"
	: >"$TMPD/miniupnpd.log"
	bg ip netns exec "${GWNS[1]}" /usr/sbin/miniupnpd -d -f "$conf" -P "$TMPD/miniupnpd.pid" \
		>>"$TMPD/miniupnpd.log" 2>&1
	MU_PID=$BG_PID
	# STUN takes up to 3 rounds of 3 s when answers are missing
	wait_until 15 grep -q "Listening for NAT-PMP/PCP traffic" "$TMPD/miniupnpd.log"
}

# (ip netns exec execs miniupnpd: $MU_PID is miniupnpd's own)
mu_stop() {
	[ -n "${MU_PID:-}" ] || return 0
	kill "$MU_PID" 2>/dev/null
	wait "$MU_PID" 2>/dev/null
	MU_PID=
}

# neighbour CMD...: CMD in the LAN as 10.0.0.3, the neighbour of stb-1
# (secure_mode: a host may map ports only to itself, and miniupnpd knows
# the host by the source address of its request)
neighbour() {
	local rc
	ip -n "${LANNS[1]}" route replace 10.0.0.0/24 dev lan0 src "$(gw_lan 1 3)"
	nsx "${LANNS[1]}" "$@"; rc=$?
	ip -n "${LANNS[1]}" route replace 10.0.0.0/24 dev lan0 src "$(gw_lan 1 2)"
	return $rc
}

# upnp_list: miniupnpd's own table, one "PROTO EXT->ADDR:PORT 'DESC' 'REMOTE'"
# line per mapping (upnpc -l, GetGenericPortMappingEntry)
upnp_list() {
	nsx "${LANNS[1]}" upnpc -u "$MU_URL" -m "$(gw_lan 1 3)" -l 2>/dev/null |
		sed -nE 's/^ *[0-9]+ (UDP|TCP) +/\1 /p'
}
upnp_count() { upnp_list | grep -c . ; }
upnp_count_is() { [ "$(upnp_count)" = "$1" ]; }
# nft_rules: rules miniupnpd installed in its three chains, all told
nft_rules() {
	local c n=0 k
	for c in miniupnpd prerouting_miniupnpd postrouting_miniupnpd; do
		k=$(nsx "${GWNS[1]}" nft -j list chain inet filter $c 2>/dev/null |
			jq '[.nftables[] | select(.rule)] | length')
		n=$((n + ${k:-100}))
	done
	echo "$n"
}
not() { ! "$@"; }
nothing_left() { [ "$(upnp_count)" = 0 ] && [ "$(nft_rules)" = 0 ]; }
state_of() {	# SESSION: its state at the confserver
	sqlite3 "$CS_DB" "SELECT state FROM sessions WHERE id='$1'" 2>/dev/null
}
last_session() {
	sqlite3 "$CS_DB" "SELECT id FROM sessions WHERE appliance_id='${1:-stb-1}' ORDER BY created_at DESC, rowid DESC LIMIT 1" 2>/dev/null
}
active_count() {
	sqlite3 "$CS_DB" "SELECT count(*) FROM sessions WHERE state IN ('active','pending')" 2>/dev/null
}
src_of() {	# TITLE KIND: the source file of a title's stream
	jq -r --arg t "$1" --arg k "$2" '.titles[] | select(.id == $t) | .streams[]
		| select(.kind == $k) | .file' "$CONTENT/catalog.json"
}

# ---------------------------------------------------------------- set-up

topo_hub
nsx "$NS_WAN" ip addr add $STUN1/24 dev wanbr
nsx "$NS_WAN" ip addr add $STUN2/24 dev wanbr
upnp_gw
deploy_pki 2	# gw2: the pin of the second record of the same box
GRANT_KEY=$TMPD/grant.key
certtool --generate-privkey --key-type=ed25519 --outfile "$GRANT_KEY" >/dev/null 2>&1 ||
	bail "certtool makes the Ed25519 grant key"
chmod 600 "$GRANT_KEY"
CS_CONF_EXTRA="gateway-type = home-pcp driver pcp"
deploy_confserver 1
deploy_media
deploy_portal
stun_start
mu_start stun || { sed 's/^/# /' "$TMPD/miniupnpd.log" | tail -20; bail "miniupnpd starts"; }
check "miniupnpd: STUN finds no filtering in front of the gateway, forwarding enabled" \
	grep -q "Port forwarding is now enabled" "$TMPD/miniupnpd.log"
check "the STUN server answered from its second address and port (a real full-cone test)" \
	grep -q "change-ip=1 change-port=1" "$TMPD/stun.log"

out=$(appliance 1 2 --id stb-1 --gateway-type $GW_TYPE register 2>&1)
check "stb-1 registers through the portal" [ $? = 0 ] || diag "$out"
check_eq "the confserver bound stb-1 to gw-1 (type $GW_TYPE)" gw-1 \
	"$(sqlite3 "$CS_DB" "SELECT gateway_id FROM appliances WHERE id='stb-1'")"

OUT=$TMPD/out
mkdir -p "$OUT"

# ---------------------------------------------------------------- one title

appliance 1 2 --id stb-1 -j watch testcard --ports 5004,5006 --out "$OUT/a" --timeout 60 \
	>"$TMPD/a.json" 2>"$TMPD/a.err" &
A_PID=$!
wait_until 20 upnp_count_is 4
upnp_list >"$TMPD/mappings.log"
check_eq "while playing: miniupnpd holds RTP and RTCP of both streams" 4 "$(grep -c . "$TMPD/mappings.log")"
check "each mapping goes to stb-1 on its own port" \
	test "$(grep -cE "^UDP (500[4-7])->$(gw_lan 1 2):\\1 " "$TMPD/mappings.log")" = 4
# miniupnpd's listing leaves the remote host out; its filter rules have it
# (ip saddr as a raw match on the IPv4 header's bytes 12-15)
mhex=$(printf '0x%02x%02x%02x%02x' ${MEDIA//./ })
check "each of miniupnpd's 4 filter rules admits only the media server ($MEDIA)" \
	test "$(nsx "${GWNS[1]}" nft list chain inet filter miniupnpd | grep -c "@nh,96,32 $mhex ")" = 4
ct() {	# the media reached stb-1 through miniupnpd's DNAT of 198.51.100.1:5004
	nsx "${GWNS[1]}" conntrack -L -p udp --orig-dst "$(gw_global 1)" --dport 5004 2>/dev/null |
		grep -q "src=$(gw_lan 1 2) dst=$MEDIA"
}
check "conntrack: RTP from the media server to $(gw_global 1):5004 was DNATed to stb-1" \
	wait_until 10 ct
wait "$A_PID"; rc=$?
check_eq "stb-1 received testcard complete (exit 0)" 0 "$rc" || sed 's/^/# /' "$TMPD/a.err" | tail -8
check_eq "the report says complete" true "$(jq -r .complete "$TMPD/a.json" 2>/dev/null)"
for k in video audio; do
	check "testcard $k: received bytes identical to the source" \
		cmp -s "$CONTENT/$(src_of testcard $k)" "$OUT/a/testcard-$k.ts"
done
check "the appliance says what the gateway mapped" \
	grep -q "the gateway (UPnP IGD, $(gw_global 1)) mapped 4 ports" "$TMPD/a.err"
s=$(last_session)
check_eq "the confserver recorded the ports stb-1 reported" "[5004,5006]" \
	"$(sqlite3 "$CS_DB" "SELECT ports FROM sessions WHERE id='$s'" | tr -d ' ')"
audit() {	# OP: how many audit entries of gw-1 have op OP for session $s
	sqlite3 "$CS_DB" "SELECT command FROM audit_log WHERE gateway_id='gw-1'" |
		jq -s --arg op "$1" --arg s "$s" \
		'[.[] | select(.op == $op and ((.session // .claims.session) == $s))] | length'
}
check "the audit chain has the grant and the report of the session" \
	test "$(audit grant)" = 1 -a "$(audit report)" = 1
check "after the title: miniupnpd's table and its nftables chains are empty" \
	wait_until 10 nothing_left
check_eq "the session is closed" closed "$(state_of "$s")"

# ---------------------------------------------------------------- renewal

# A 9 s lease for the 6 s title: the appliance renews its mappings at half
# the lease, while the title plays; miniupnpd restarts their leases.
adds() {
	grep -c "AddPortMapping: ext port 5004 to $(gw_lan 1 2):5004 protocol UDP" "$TMPD/miniupnpd.log"
}
lease_of() {	# the lease left on UDP 5004, as miniupnpd reports it
	upnp_list | awk '$1 == "UDP" && $2 ~ /^5004->/ { print $NF }'
}
adds0=$(adds)
appliance 1 2 --id stb-1 -j watch testcard --out "$OUT/r" --lease 9 --timeout 30 \
	>"$TMPD/r.json" 2>"$TMPD/r.err" &
R_PID=$!
wait_until 20 upnp_count_is 4
sleep 3
left0=$(lease_of)
renewed() { [ "$(adds)" -gt $((adds0 + 1)) ]; }
check "while the title plays, the appliance asks miniupnpd for UDP 5004 again (renewal)" \
	wait_until 6 renewed
left1=$(lease_of)
check "miniupnpd restarted the lease: ${left0:-?} s left before, ${left1:-?} s after" \
	test -n "$left0" -a -n "$left1" -a "${left1:-0}" -gt "${left0:-0}"
check "after the renewal miniupnpd's 4 filter rules still admit only the media server" \
	test "$(nsx "${GWNS[1]}" nft list chain inet filter miniupnpd | grep -c "@nh,96,32 $mhex ")" = 4
wait "$R_PID"; rc=$?
check_eq "the title with renewals arrives complete (exit 0)" 0 "$rc"
check "no renewal failed" not grep -q "renewing" "$TMPD/r.err"
check "... byte-identical" cmp -s "$CONTENT/$(src_of testcard video)" "$OUT/r/testcard-video.ts"
check "after the appliance is done: the table is empty again" wait_until 10 nothing_left

# ---------------------------------------------------------------- errors

# watch_fails NAME CODE STATUS [ARGS...]: a watch by $WHO (stb-1 unless
# said, with the options $GOPTS, the watch's ARGS) that must fail with the gateway's error CODE, the portal's HTTP
# STATUS, and leave nothing.
watch_fails() {
	local name=$1 code=$2 status=$3 rc s; shift 3
	# shellcheck disable=SC2086 # GOPTS: options before the command, if any
	appliance 1 2 --id "${WHO:-stb-1}" ${GOPTS:-} -j watch testcard --out "$OUT/e" \
		--timeout 10 "$@" >"$TMPD/e.json" 2>"$TMPD/e.err"
	rc=$?
	check_eq "$name: the watch fails (exit 1)" 1 "$rc"
	check "$name: the appliance names the gateway's error ($code)" \
		grep -q "gateway: $code: " "$TMPD/e.err" || sed 's/^/# /' "$TMPD/e.err" | tail -6
	check "$name: the portal answers the report with $status $code" \
		grep -q "report: HTTP $status $code:" "$TMPD/e.err"
	s=$(last_session "${WHO:-stb-1}")
	check_eq "$name: the session failed at the confserver" failed "$(state_of "$s")"
	check_eq "$name: no session is left open" 0 "$(active_count)"
}

# a neighbour already has UDP 5006 (stb-1's second stream)
neighbour upnpc -u "$MU_URL" -m "$(gw_lan 1 3)" -e neighbour \
	-a "$(gw_lan 1 3)" 5006 5006 UDP 600 >"$TMPD/neighbour.log" 2>&1
check_eq "a neighbour maps UDP 5006 for itself" 1 "$(upnp_count)"
watch_fails "port taken" port-conflict 409
check "port taken: miniupnpd answered 718 ConflictInMappingEntry" \
	grep -q "error 718" "$TMPD/e.err"
check_eq "port taken: only the neighbour's mapping is left (stb-1's 5004/5005 undone)" \
	"UDP 5006->$(gw_lan 1 3):5006 'neighbour' ''" "$(upnp_list | tr -s ' ' | sed -E 's/ [0-9]+$//')"
neighbour upnpc -u "$MU_URL" -m "$(gw_lan 1 3)" -d 5006 UDP >>"$TMPD/neighbour.log" 2>&1
check "the neighbour removes its mapping" wait_until 5 nothing_left

# the gateway's permission rules deny the ports asked for
mu_start stun "deny 7000-7099 0.0.0.0/0 0-65535" || bail "miniupnpd restarts with a deny rule"
watch_fails "ports denied by the gateway's rules" policy-denied 403 --ports 7004,7006
check "ports denied: miniupnpd answered 606 Action not authorized" grep -q "error 606" "$TMPD/e.err"
check "ports denied: nothing left on the gateway" nothing_left

# STUN says something filters in front of the gateway: miniupnpd keeps
# UPnP up but refuses every mapping
stun_start filtered
mu_start stun || bail "miniupnpd restarts behind a filtering STUN"
check "miniupnpd: behind filtering, port forwarding disabled" \
	grep -q "Port forwarding is now disabled" "$TMPD/miniupnpd.log"
watch_fails "forwarding refused" gateway-refused 502
check "forwarding refused: miniupnpd answered 501 ActionFailed" grep -q "error 501" "$TMPD/e.err"
check "forwarding refused: nothing left on the gateway" nothing_left

# no STUN: a reserved WAN address, miniupnpd knows no external address
mu_start nostun || bail "miniupnpd restarts without STUN"
check "miniupnpd: a reserved WAN address without STUN, forwarding impossible" \
	grep -q "Port forwarding is impossible" "$TMPD/miniupnpd.log"
watch_fails "no external address" gateway-refused 502
check "no external address: the appliance says so" \
	grep -q "knows no external address" "$TMPD/e.err"
check "no external address: nothing left on the gateway" nothing_left

# UPnP off: no miniupnpd at all
mu_stop
watch_fails "UPnP off" gateway-unreachable 502
check "UPnP off: the appliance says no gateway device answered" \
	grep -q "no Internet gateway device answered" "$TMPD/e.err"

# ---------------------------------------------------------------- PCP, NAT-PMP

# The same gateway, this time as gateway type home-pcp (driver pcp): gw-2,
# another record for the same box (its global address is gw-1's). stb-p,
# at stb-1's address, is bound to it.
body=$(printf '{"id":"gw-2","type":"home-pcp","mode":"listen","endpoint":"%s:8443","pin":"%s","global_addr":"%s"}' \
	"$(gw_global 1)" "$(pin_of "$PKI/gw2.pem")" "$(gw_global 1)")
code=$(nsx "$NS_WAN" curl -sS -m 30 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $OPER_TOKEN" -H 'Content-Type: application/json' \
	--data-binary "$body" "https://$CONFSERVER:8443/v1/gateways")
check_eq "gw-2 (type home-pcp) is enrolled" 201 "$code"
out=$(appliance 1 2 --id stb-p --gateway gw-2 register 2>&1)
check "stb-p registers, bound to gw-2" [ $? = 0 ] || diag "$out"
stun_start
mu_start stun || bail "miniupnpd restarts for PCP"

# pcp_title NAME ARGS...: stb-p watches testcard through the gateway NAME
# ("PCP", "NAT-PMP") speaks, with the portal's lease (no renewal falls in
# the title): mapped, the title whole, deleted after.
pcp_title() {
	local name=$1 rc; shift
	# no earlier flow's entry may pass for this one's
	nsx "${GWNS[1]}" conntrack -F 2>/dev/null
	appliance 1 2 --id stb-p "$@" -j watch testcard --out "$OUT/$name" --timeout 30 \
		>"$TMPD/$name.json" 2>"$TMPD/$name.err" &
	P_PID=$!
	check "$name: while playing, miniupnpd holds RTP and RTCP of both streams" \
		wait_until 20 upnp_count_is 4
	check "$name: conntrack: RTP DNATed to stb-1's address through the mapping" wait_until 10 ct
	wait "$P_PID"; rc=$?
	check_eq "$name: stb-p received testcard complete (exit 0)" 0 "$rc"
	check "$name: the appliance says $name mapped the ports" \
		grep -q "the gateway ($name, $(gw_global 1)) mapped 4 ports" "$TMPD/$name.err"
	for k in video audio; do
		check "$name: testcard $k byte-identical" \
			cmp -s "$CONTENT/$(src_of testcard $k)" "$OUT/$name/testcard-$k.ts"
	done
	check "$name: after the title, the mappings are deleted" wait_until 10 nothing_left
}

# pcp_renew NAME ARGS...: the same with a 9 s lease, renewed at 4.5 s while
# the title plays. miniupnpd renews a PCP or NAT-PMP mapping by deleting it
# and adding it again ("already redirected ..., replacing"), so a datagram
# that arrives in between is dropped: the title may lose a packet or two
# there, never more.
pcp_renew() {
	local name=$1 adds0 lost; shift
	replaced() { grep -c "port 5004 udp already redirected to $(gw_lan 1 2):5004, replacing" \
		"$TMPD/miniupnpd.log"; }
	adds0=$(replaced)
	appliance 1 2 --id stb-p "$@" -j watch testcard --out "$OUT/$name-r" --lease 9 \
		--timeout 30 >"$TMPD/$name-r.json" 2>"$TMPD/$name-r.err" &
	P_PID=$!
	wait_until 20 upnp_count_is 4
	renewed_p() { [ "$(replaced)" -gt "$adds0" ]; }
	check "$name: the appliance renews the mapping while the title plays" wait_until 8 renewed_p
	check "$name: after the renewal miniupnpd holds the 4 mappings" upnp_count_is 4
	wait "$P_PID"
	check "$name: no renewal failed" not grep -q "renewing" "$TMPD/$name-r.err"
	lost=$(jq '[.streams[].lost] | add' "$TMPD/$name-r.json" 2>/dev/null)
	check "$name: the streams went on through the renewal (${lost:-?} packets lost)" \
		test -n "$lost" -a "${lost:-99}" -le 2
	check "$name: after the title, the mappings are deleted" wait_until 10 nothing_left
}
pcp_title PCP
pcp_renew PCP
pcp_title NAT-PMP --natpmp
pcp_renew NAT-PMP --natpmp

# a port taken by the neighbour. NAT-PMP cannot insist on a port: it is
# offered the next one. So is PCP, PREFER_FAILURE notwithstanding:
# miniupnpd 2.3.1 checks whether a port is in use before it looks at that
# option (pcpserver.c, CreatePCPMap_NAT). Either way the appliance gives the
# offered port back and reports port-conflict.
neighbour upnpc -u "$MU_URL" -m "$(gw_lan 1 3)" -e neighbour \
	-a "$(gw_lan 1 3)" 5006 5006 UDP 600 >>"$TMPD/neighbour.log" 2>&1
check_eq "the neighbour maps UDP 5006 again" 1 "$(upnp_count)"
pcp_taken() {	# NAME WHY ARGS...
	local name=$1 why=$2; shift 2
	appliance 1 2 --id stb-p "$@" -j watch testcard --out "$OUT/e" --timeout 10 \
		>"$TMPD/e.json" 2>"$TMPD/e.err"
	check_eq "$name, port taken: the watch fails (exit 1)" 1 "$?"
	check "$name, port taken: the appliance says port-conflict ($why)" \
		grep -q "gateway: port-conflict: .*$why" "$TMPD/e.err"
	grep -q "gateway: port-conflict: .*$why" "$TMPD/e.err" || sed 's/^/# /' "$TMPD/e.err"
	check "$name, port taken: the portal answers the report with 409 port-conflict" \
		grep -q "report: HTTP 409 port-conflict:" "$TMPD/e.err"
	check_eq "$name, port taken: only the neighbour's mapping is left" \
		"UDP 5006->$(gw_lan 1 3):5006 'neighbour' ''" "$(upnp_list | tr -s ' ' | sed -E 's/ [0-9]+$//')"
	check_eq "$name, port taken: no session is left open" 0 "$(active_count)"
}
pcp_taken PCP "offered port"
pcp_taken NAT-PMP "offered port" --natpmp
neighbour upnpc -u "$MU_URL" -m "$(gw_lan 1 3)" -d 5006 UDP >>"$TMPD/neighbour.log" 2>&1

# Forwarding disabled (a reserved WAN address, no STUN): miniupnpd answers
# PCP with NO_RESOURCES (its code for any mapping it could not install)
# and NAT-PMP with "network failure"
mu_start nostun || bail "miniupnpd restarts without STUN"
WHO=stb-p watch_fails "PCP, forwarding disabled" gateway-full 503
check "PCP, forwarding disabled: the appliance names NO_RESOURCES" grep -q "NO_RESOURCES" "$TMPD/e.err"
check "PCP, forwarding disabled: nothing left on the gateway" nothing_left
WHO=stb-p GOPTS=--natpmp watch_fails "NAT-PMP, forwarding disabled" gateway-refused 502
check "NAT-PMP, forwarding disabled: the appliance names the network failure" \
	grep -q "NAT-PMP: .*network failure" "$TMPD/e.err"
check "NAT-PMP, forwarding disabled: nothing left on the gateway" nothing_left

# PCP off: nothing listens on port 5351
mu_stop
t0=$(date +%s%N)
appliance 1 2 --id stb-p -j watch testcard --out "$OUT/e" --timeout 10 >"$TMPD/e.json" 2>"$TMPD/e.err"
check_eq "PCP off: the watch fails (exit 1)" 1 "$?"
check "PCP off: the appliance says nothing answers (gateway-unreachable)" \
	grep -q "gateway: gateway-unreachable: PCP: nothing answers" "$TMPD/e.err"
check "PCP off: the portal answers the report with 502 gateway-unreachable" \
	grep -q "report: HTTP 502 gateway-unreachable:" "$TMPD/e.err"
check_eq "PCP off: no session is left open" 0 "$(active_count)"
diag "PCP off: the watch took $(( ($(date +%s%N) - t0) / 1000000 )) ms"

for p in "$CS_PID" "$PORTAL_PID" "$MEDIA_PID"; do
	check "server $p is still running" kill -0 "$p"
done
