#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup (a trap), quiet and refused are called indirectly
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages installed into a real Debian system and the demo's
# flow run from what they installed. A minimal bookworm
# (scripts/mkrootfs.sh, cached under build/rootfs) boots with its own
# systemd under systemd-nspawn, on a copy-on-write overlay (the cache stays
# pristine) and in a network namespace of its own. Inside:
#
#   apt-get install ./rgm-gateway_*.deb ./rgm-confserver_*.deb ... (not
#   rgm-dkms: this kernel cannot load modules; selftests/dkms_test.sh
#   installs that one in the VM)
#
#   netns wan   rgm-confserver 203.0.113.20:8443, rgm-portal .10:8080,
#               rgm-mediaserver .7, each its installed unit, placed in
#               the namespace by a drop-in (NetworkNamespacePath=)
#                 |
#   the container: the gateway, rgmd.service on 198.51.100.1:8443,
#               dataplane = nftables, masquerade for its LAN
#                 |
#   netns lan   rgm-appliance 10.0.0.2 (/usr/bin/rgm-appliance)
#
# and checks what an operator would: the units come up (Type=notify) and
# run as their own users, rgmd with CAP_NET_ADMIN alone; the appliance's
# title arrives byte-identical; the gateway's mappings show in rgmctl and
# nft while it plays and are gone after; the units stop cleanly.
# Needs root, systemd-nspawn (systemd-container), debootstrap and ffmpeg;
# skips otherwise. make check-debs runs it (not make check: it builds the
# packages and a root file system when they are not cached).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
cd "$top" || exit 1
# as tap.sh's, but failing when its command fails, for a diagnosis after ||
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi
}

skip_all() { echo "ok 1 deb_system # SKIP $*"; echo "1..1"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root"
for t in systemd-nspawn debootstrap nsenter certtool ffmpeg jq; do
	command -v "$t" >/dev/null || skip_all "needs $t (scripts/setup.sh)"
done

tmp=$(mktemp -d /tmp/rgm-debsys.XXXXXX)
nspawn_pid=
cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# nspawn asks the container's systemd to power off
		kill -TERM "$nspawn_pid"
		for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- what goes in: the packages, a root file system, the titles, a PKI
# RGM_DEBS: a folder of already built packages instead
debs=${RGM_DEBS:-$(scripts/mkdebs.sh 2>"$tmp/mkdebs.err" | tail -n 1)}
[ -d "$debs" ] || { sed 's/^/# /' "$tmp/mkdebs.err" | tail -20; bail "the packages build (scripts/mkdebs.sh)"; }
rootfs=$(scripts/mkrootfs.sh "$debs"/rgm-{gateway,confserver,portal,mediaserver,appliance}_*.deb 2>"$tmp/mkrootfs.err" | tail -n 1)
[ -d "$rootfs" ] || { sed 's/^/# /' "$tmp/mkrootfs.err"; bail "a bookworm root file system (scripts/mkrootfs.sh)"; }
content=$top/build/media-content
scripts/mkcontent.sh "$content" >"$tmp/mkcontent.log" 2>&1 || bail "test titles made with ffmpeg"
pkgs=("$debs"/rgm-*_*.deb); pkgs=("${pkgs[@]##*dbgsym*}")
ok "inputs: $(printf '%s\n' "${pkgs[@]}" | grep -c .) packages, $(basename "$rootfs"), the titles"

TMPD=$tmp
. "$top/selftests/pki.sh"
mk_ca ca "rgm test CA"
mk_leaf cfg cfg.rgm.test ca "expiration_days = 30" 'ip_address = "203.0.113.20"'
mk_leaf gw1 gw1.rgm.test ca "expiration_days = 30"
[ -s "$PKI/gw1.pem" ] || bail "certtool made the PKI"
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
portal_token=$(token); oper_token=$(token); media_token=$(token)

# /etc/rgm as an operator writes it (ownership is set inside, once the
# packages made the users)
st=$tmp/stage
mkdir -p "$st/rgm" "$st/dropin"
cp "$PKI/ca.pem" "$PKI/cfg.pem" "$PKI/cfg.key" "$PKI/gw1.pem" "$PKI/gw1.key" "$st/rgm/"
printf '%s\n' "$portal_token" >"$st/rgm/portal.token"
printf '%s\n' "$media_token" >"$st/rgm/media.token"
printf '%s\n' "$media_token" >"$st/rgm/portal-media.token"
cat >"$st/rgm/rgmd.conf" <<EOF
mode = listen
listen = 198.51.100.1:8443
cert = /etc/rgm/gw1.pem
key = /etc/rgm/gw1.key
ca = /etc/rgm/ca.pem
allow = $(pin_of "$PKI/cfg.pem")
gateway-id = gw-1
lan-prefix = 10.0.0.0/24
ports = 40000-49999
dataplane = nftables
EOF
cat >"$st/rgm/confserver.conf" <<EOF
db = /var/lib/rgm/confserver.db
listen = 203.0.113.20:8443
http-cert = /etc/rgm/cfg.pem
http-key = /etc/rgm/cfg.key
token = portal-1 portal sha256:$(sha "$portal_token")
token = ops operator sha256:$(sha "$oper_token")
gateway-cert = /etc/rgm/cfg.pem
gateway-key = /etc/rgm/cfg.key
gateway-ca = /etc/rgm/ca.pem
gateway-type = homebox driver rgm strategy query-first
connect-timeout = 3
request-timeout = 20
EOF
cat >"$st/rgm/rgm-mediaserver.env" <<'EOF'
RGM_MEDIASERVER_OPTS="--addr 203.0.113.7 --control 203.0.113.7:8081 --content /srv/rgm/titles --ports 6000-6999 --token-file /etc/rgm/media.token"
EOF
cat >"$st/rgm/rgm-portal.env" <<'EOF'
RGM_PORTAL_OPTS="--listen 203.0.113.10:8080 --confserver https://203.0.113.20:8443 --confserver-ca /etc/rgm/ca.pem --token-file /etc/rgm/portal.token --mediaserver http://203.0.113.7:8081 --media-token-file /etc/rgm/portal-media.token"
EOF
# the servers live on the lab's WAN: a drop-in moves each unit there
printf '[Service]\nNetworkNamespacePath=/run/netns/wan\n' \
	>"$st/dropin/wan.conf"

# ---- boot
machine=rgm-debsys-$$
systemd-nspawn -D "$rootfs" --volatile=overlay --private-network --register=no --keep-unit \
	-M "$machine" --bind-ro="$debs:/debs" --bind-ro="$content:/srv/rgm/titles" \
	--bind-ro="$st:/stage" -b >"$tmp/console.log" 2>&1 </dev/null &
nspawn_pid=$!
leader=
for _ in $(seq 1 150); do
	leader=$(pgrep -P "$nspawn_pid" -x systemd | head -n 1)
	[ -n "$leader" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.2
done
[ -n "$leader" ] || { sed 's/^/# /' "$tmp/console.log" | tail -20; bail "systemd-nspawn boots the root file system"; }
ctr() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
for _ in $(seq 1 150); do ctr test -S /run/systemd/private && break; sleep 0.2; done
state=$(ctr timeout 60 systemctl is-system-running --wait 2>&1)
check "the container's systemd finished booting ($state)" [ "$state" = running ]

# ---- install
ctr bash -c 'apt-get install -y -q /debs/rgm-gateway_*.deb /debs/rgm-confserver_*.deb \
	/debs/rgm-portal_*.deb /debs/rgm-mediaserver_*.deb /debs/rgm-appliance_*.deb' >"$tmp/apt.log" 2>&1
rc=$?
check "apt-get install the five packages (exit $rc)" [ "$rc" = 0 ] ||
	{ sed 's/^/# /' "$tmp/apt.log" | tail -20; bail "the packages install"; }
for p in rgmd rgmctl rgm-confserver rgm-portal rgm-mediaserver rgm-appliance; do
	where=$(ctr bash -c "command -v $p")
	owner=$(ctr dpkg -S "$where" 2>/dev/null | cut -d: -f1)
	check "$p is $where, from $owner" bash -c "[[ '$where' == /usr/*bin/$p && '$owner' == rgm-* ]]"
done
for u in rgmd rgm rgm-portal rgm-media; do
	pw=$(ctr getent passwd "$u")
	check "the package made the system user $u ($pw)" [ -n "$pw" ]
done
for u in rgmd rgm-confserver rgm-portal rgm-mediaserver; do
	s=$(ctr systemctl is-enabled "$u" 2>&1)
	a=$(ctr systemctl is-active "$u" 2>&1)
	check "$u.service is installed ($s) and, with no configuration yet, not running ($a)" \
		bash -c "[ '$s' = enabled ] && [ '$a' = inactive ]"
done

# ---- the lab: the container is the gateway, wan and lan are namespaces
ctr bash -e >"$tmp/lab.log" 2>&1 <<'EOF'
ip netns add wan; ip netns add lan
ip link set lo up; ip -n wan link set lo up; ip -n lan link set lo up
ip link add gwwan type veth peer name wan0 netns wan
ip link add gwlan type veth peer name lan0 netns lan
ip addr add 198.51.100.1/24 dev gwwan; ip addr add 10.0.0.1/24 dev gwlan
ip link set gwwan up; ip link set gwlan up
ip route add default via 198.51.100.254
for a in 198.51.100.254 203.0.113.7 203.0.113.10 203.0.113.20 203.0.113.66; do
	ip -n wan addr add $a/24 dev wan0
done
ip -n wan link set wan0 up
ip -n lan addr add 10.0.0.2/24 dev lan0; ip -n lan link set lan0 up
ip -n lan route add default via 10.0.0.1
echo 1 >/proc/sys/net/ipv4/ip_forward
nft -f - <<'NFT'
table ip home {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "gwwan" ip saddr 10.0.0.0/8 meta l4proto { tcp, udp } masquerade to :1024-39999
		oifname "gwwan" ip saddr 10.0.0.0/8 masquerade
	}
}
NFT
rgmctl -D nftables config set global 198.51.100.1 ports 40000-49999
EOF
check "the lab's namespaces, addresses and masquerade are set up" [ $? = 0 ] ||
	{ sed 's/^/# /' "$tmp/lab.log"; bail "the lab is set up"; }

# ---- configure and start, as the operator would
ctr bash -e >"$tmp/conf.log" 2>&1 <<'EOF'
install -d -m 0755 /etc/rgm
cp /stage/rgm/* /etc/rgm/
chmod 0644 /etc/rgm/*.pem /etc/rgm/*.conf /etc/rgm/*.env
chown rgmd: /etc/rgm/gw1.key; chmod 0600 /etc/rgm/gw1.key
chown rgm: /etc/rgm/cfg.key; chmod 0600 /etc/rgm/cfg.key
chown rgm-portal: /etc/rgm/portal.token /etc/rgm/portal-media.token
chown rgm-media: /etc/rgm/media.token
chmod 0600 /etc/rgm/*.token
for u in rgm-confserver rgm-portal rgm-mediaserver; do
	install -d /etc/systemd/system/$u.service.d
	cp /stage/dropin/wan.conf /etc/systemd/system/$u.service.d/
done
systemctl daemon-reload
EOF
check "configuration in /etc/rgm, keys owned by their daemons" [ $? = 0 ] ||
	{ sed 's/^/# /' "$tmp/conf.log"; bail "the configuration is in place"; }
for u in rgm-confserver rgm-mediaserver rgm-portal rgmd; do
	out=$(ctr timeout 60 systemctl start "$u" 2>&1)
	a=$(ctr systemctl is-active "$u" 2>&1)
	check "systemctl start $u: $a" [ "$a" = active ] ||
		{ diag "$out"; ctr journalctl -u "$u" --no-pager -n 15 | sed 's/^/# /'; }
done

# rgmd: its own user, CAP_NET_ADMIN (bit 12) and nothing else
pid=$(ctr systemctl show -P MainPID rgmd)
uid=$(ctr id -u rgmd)
st_=$(ctr cat "/proc/$pid/status" 2>/dev/null)
check "rgmd (pid $pid) runs as rgmd (uid $uid)" \
	grep -Eq "^Uid:[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]+${uid}[[:space:]]+${uid}\$" <<<"$st_"
for c in CapEff CapPrm CapBnd; do
	v=$(sed -n "s/^$c:[[:space:]]*//p" <<<"$st_")
	check "rgmd's $c is CAP_NET_ADMIN alone ($v)" [ "$v" = 0000000000001000 ]
done
for u in rgm-confserver:rgm rgm-portal:rgm-portal rgm-mediaserver:rgm-media; do
	pid=$(ctr systemctl show -P MainPID "${u%%:*}")
	who=$(ctr stat -c %U "/proc/$pid")
	eff=$(ctr sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status")
	check "${u%%:*} runs as ${u#*:} ($who), no capabilities ($eff)" \
		bash -c "[ '$who' = '${u#*:}' ] && [ '$eff' = 0000000000000000 ]"
done
check "the WAN servers listen in netns wan (drop-in)" bash -c \
	"$(declare -f ctr); leader=$leader; ctr ip netns exec wan ss -Hltn | grep -q '203.0.113.20:8443' &&
	 ctr ip netns exec wan ss -Hltn | grep -q '203.0.113.10:8080'"

# ---- the operator enrols the gateway
body=$(printf '{"id":"gw-1","type":"homebox","mode":"listen","endpoint":"198.51.100.1:8443","pin":"%s","global_addr":"198.51.100.1"}' \
	"$(pin_of "$PKI/gw1.pem")")
code=$(ctr ip netns exec wan curl -sS -m 30 --cacert /etc/rgm/ca.pem -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $oper_token" -H 'Content-Type: application/json' \
	--data-binary "$body" https://203.0.113.20:8443/v1/gateways 2>&1)
check "the operator enrols gw-1 at the configuration server (HTTP $code)" [ "$code" = 201 ]

# ---- the demo: stb-1 registers and watches a title
appl() { ctr ip netns exec lan rgm-appliance --portal http://203.0.113.10:8080 --addr 10.0.0.2 "$@"; }
out=$(appl --id stb-1 --gateway-type homebox register 2>&1)
check "stb-1 registers through the portal" [ $? = 0 ] || diag "$out"
mapped() { ctr rgmctl -D nftables -j mapping list 2>/dev/null |
	jq 'if type=="array" then length else (.mappings|length) end'; }
check "before the title: the gateway maps nothing ($(mapped))" [ "$(mapped)" = 0 ]
appl --id stb-1 -j watch testcard --ports 5004,5006 --out /var/tmp/out --timeout 60 \
	>"$tmp/watch.json" 2>"$tmp/watch.err" &
wpid=$!
for _ in $(seq 1 150); do [ "$(mapped)" = 4 ] && break; sleep 0.2; done
m=$(ctr rgmctl -D nftables mapping list 2>&1)
check "while playing, rgmctl -D nftables mapping list shows 2 streams x (RTP + RTCP) towards 10.0.0.2:5004-5007" \
	bash -c "[ \$(grep -c 'local 10.0.0.2:500[4-7]' <<<'$m') = 4 ]" || diag "$m"
nftmap=$(ctr nft list map ip rgm dnat_to 2>&1)
check "nft list map ip rgm dnat_to has them" bash -c "[ \$(grep -o '10.0.0.2 . 500[4-7]' <<<'$nftmap' | wc -l) = 4 ]" ||
	diag "$nftmap"
# a stranger on the WAN (198.51.100.254, not the media server) sends to the
# RTP port the gateway mapped: dropped, and counted so
dp_stat() { ctr rgmctl -D nftables -j stats | jq -r ".$1"; }
gp=$(ctr rgmctl -D nftables -j mapping list | jq -r '(if type=="array" then . else .mappings end)[]
	| select(.local_port == 5004) | .global_port')
ws0=$(dp_stat drop_wrong_server)
ctr ip netns exec wan bash -c "echo unsolicited >/dev/udp/198.51.100.1/$gp"
for _ in $(seq 1 25); do [ "$(dp_stat drop_wrong_server)" -gt "$ws0" ] && break; sleep 0.2; done
check "a stranger's datagram to the mapped port $gp is dropped (drop_wrong_server $ws0 -> $(dp_stat drop_wrong_server))" \
	[ "$(dp_stat drop_wrong_server)" -gt "$ws0" ]
wait "$wpid"; rc=$?
check "rgm-appliance watch testcard exits 0 ($rc)" [ "$rc" = 0 ] || sed 's/^/# /' "$tmp/watch.err" | tail -5
for k in video audio; do
	src=$(jq -r '.titles[] | select(.id == "testcard") | .streams[] | select(.kind == "'$k'") | .file' \
		"$content/catalog.json")
	check "testcard $k: the bytes received are the source's ($src)" \
		ctr cmp "/srv/rgm/titles/$src" "/var/tmp/out/testcard-$k.ts"
done
for _ in $(seq 1 50); do [ "$(mapped)" = 0 ] && break; sleep 0.2; done
check "after the title, the session closed the gateway's ports ($(mapped) mappings)" [ "$(mapped)" = 0 ]

# ---- stop
for u in rgm-portal rgm-mediaserver rgm-confserver rgmd; do
	ctr timeout 60 systemctl stop "$u" >/dev/null 2>&1
	s=$(ctr systemctl show -P LoadState "$u")/$(ctr systemctl show -P ActiveState "$u")/$(ctr systemctl show -P Result "$u")/$(ctr systemctl show -P ExecMainStatus "$u")
	check "systemctl stop $u: inactive, result success, exit 0 ($s)" [ "$s" = loaded/inactive/success/0 ]
done
units=(-u rgmd -u rgm-confserver -u rgm-portal -u rgm-mediaserver)
lines=$(ctr journalctl -b --no-pager -q -o cat "${units[@]}" | wc -l)
errs=$(ctr journalctl -b -p err --no-pager -q -o cat "${units[@]}")
quiet() { [ "$1" -gt 0 ] && [ -z "$2" ]; }
check "no error among the units' $lines journal lines${errs:+: $errs}" quiet "$lines" "$errs"


# ---- what an operator gets wrong: the unit refuses to start, and says why
ctr cp /etc/rgm/rgmd.conf /etc/rgm/rgmd.conf.good
ctr bash -c 'echo "alow = CN=typo" >>/etc/rgm/rgmd.conf'
line=$(ctr bash -c 'wc -l </etc/rgm/rgmd.conf')
# (Restart=on-failure: after a failed start the unit waits to retry)
refused() { [ "$1" != 0 ] && [ "$2" != active ] && [ -n "$3" ]; }
ctr timeout 60 systemctl start rgmd >/dev/null 2>&1; rc=$?
st_=$(ctr systemctl show -P ActiveState rgmd)
msg=$(ctr journalctl -b --no-pager -q -o cat -u rgmd | grep -F "/etc/rgm/rgmd.conf:$line:" | tail -n 1)
check "a typo in rgmd.conf: systemctl start fails (exit $rc, $st_), the journal names the line ($msg)" \
	refused "$rc" "$st_" "$msg"
ctr systemctl stop rgmd; ctr systemctl reset-failed rgmd
ctr cp /etc/rgm/rgmd.conf.good /etc/rgm/rgmd.conf
ctr chmod 0644 /etc/rgm/gw1.key
ctr timeout 60 systemctl start rgmd >/dev/null 2>&1; rc=$?
st_=$(ctr systemctl show -P ActiveState rgmd)
msg=$(ctr journalctl -b --no-pager -q -o cat -u rgmd | grep -F 'gw1.key: mode 0644' | tail -n 1)
check "a key readable by others: systemctl start fails (exit $rc, $st_), the journal says why ($msg)" \
	refused "$rc" "$st_" "$msg"
ctr systemctl stop rgmd

echo "1..$n"
exit $((fails > 0))
