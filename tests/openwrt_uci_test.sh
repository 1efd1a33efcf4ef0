#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The OpenWrt files (packaging/openwrt/) on this host: rgm-uci2conf turns
# the UCI fixtures of tests/uci/ into rgmd.conf exactly as expected
# (NAME.uci -> NAME.conf), refuses the bad ones with the expected
# FILE:LINE: message (bad-NAME.uci -> bad-NAME.err), under bash's awk and
# under busybox's sh and awk (OpenWrt's); its list of keys is rgmd's; what
# it writes passes rgmd --check-config. The procd init script runs with
# procd's and UCI's shell functions stubbed: it writes the file, starts
# rgmd on it, leaves a bad file out and the running one in place.
# Not tested here: anything on OpenWrt itself (procd, ujail, the SDK).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
conv=$top/packaging/openwrt/files/rgm-uci2conf
init=$top/packaging/openwrt/files/rgmd.init

# ---- fixtures, with whatever sh and awk are given
fixtures() {	# LABEL CMD...: runs the converter as CMD... on every fixture
	local label=$1 f b out err rc; shift
	for f in tests/uci/*.uci; do
		b=${f%.uci}
		"$@" <"$f" >"$tmp/out" 2>"$tmp/err"; rc=$?
		if [ -f "$b.conf" ]; then
			if [ "$rc" = 0 ] && cmp -s "$b.conf" "$tmp/out" && [ ! -s "$tmp/err" ]; then
				ok "$label: ${f#tests/uci/} -> ${b#tests/uci/}.conf"
			else
				not_ok "$label: ${f#tests/uci/} -> ${b#tests/uci/}.conf (exit $rc)"
				diff "$b.conf" "$tmp/out" | sed 's/^/# /'; sed 's/^/# /' "$tmp/err"
			fi
		else
			out=$(head -c 200 "$tmp/out"); err=$(head -n 1 "$tmp/err")
			if [ "$rc" = 1 ] && [ -z "$out" ] && [ "$err" = "$(cat "$b.err")" ]; then
				ok "$label: ${f#tests/uci/} refused: $err"
			else
				not_ok "$label: ${f#tests/uci/} refused with '$(cat "$b.err")' (exit $rc, said '$err', wrote '$out')"
			fi
		fi
	done
}
fixtures "sh+awk" "$conv"
if command -v busybox >/dev/null; then
	mkdir -p "$tmp/bb"; ln -s "$(command -v busybox)" "$tmp/bb/awk"
	fixtures "busybox sh+awk" env PATH="$tmp/bb:$PATH" busybox sh "$conv"
else
	ok "busybox sh+awk # SKIP busybox is not installed"
fi
err=$("$conv" /tmp/x.rgm <tests/uci/bad-quote.uci 2>&1 >/dev/null)
check "errors name the file given as the argument ($err)" [ "$err" = "/tmp/x.rgm:2: unterminated single quote" ]

# ---- its keys are rgmd's
ours=$(sed -n '/nk = split(/,/, k, " ")/p' "$conv" | grep -o '"[^"]*"' | tr -d '"' | tr ' ' '\n' |
	grep -v '^$' | sort | tr '\n' ' ')
rgmd=$(grep -ho 'strcmp(key, "[a-z-]*")' ctl/rgmd/conf.c ctl/rgmd/rgm_policy.c | cut -d'"' -f2 | sort -u |
	tr '\n' ' ')
check "rgm-uci2conf knows exactly rgmd's keys ($(wc -w <<<"$ours") of them)" [ "$ours" = "$rgmd" ] ||
	diag "rgm-uci2conf: $ours" "rgmd:         $rgmd"

# ---- rgmd takes what it writes
[ -x ctl/rgmd/rgmd ] || bail "ctl/rgmd/rgmd is built (make user)"
TMPD=$tmp
. "$top/selftests/pki.sh"
mk_ca ca "rgm test CA"
mk_leaf gw gw.rgm.test ca "expiration_days = 30"
PIN=$(pin_of "$PKI/gw.pem")
mkdir -p "$tmp/state"
uci_good() {	# [EXTRA-LINE]: a UCI file of this test's PKI
	printf "config rgmd 'main'\n\toption enabled '%s'\n\toption mode 'listen'\n" "${ENABLED:-1}"
	printf "\toption listen '127.0.0.1:8443'\n\toption cert '%s'\n\toption key '%s'\n" "$PKI/gw.pem" "$PKI/gw.key"
	printf "\toption ca '%s'\n\tlist allow '%s'\n\tlist lan_prefix '10.0.0.0/24'\n" "$PKI/ca.pem" "$PIN"
	printf "\toption state_dir '%s'\n\toption dataplane 'nftables'\n\toption gateway_id 'gw-1'\n" "$tmp/state"
	[ $# = 0 ] || printf '\t%s\n' "$@"
}
uci_good >"$tmp/good.uci"
"$conv" <"$tmp/good.uci" >"$tmp/good.conf"
out=$(ctl/rgmd/rgmd --check-config -c "$tmp/good.conf" 2>&1)
check "rgmd --check-config accepts what rgm-uci2conf wrote ($out)" [ $? = 0 ]
uci_good "option ports '9-3'" | "$conv" >"$tmp/bad.conf"
out=$(ctl/rgmd/rgmd --check-config -c "$tmp/bad.conf" 2>&1)
rc=$?
check "a value rgmd refuses reaches rgmd, which names it (exit $rc: $out)" \
	bash -c "[ $rc = 1 ] && grep -q 'bad.conf:[0-9]*:.*ports' <<<'$out'"

# ---- the procd init script, with procd's and UCI's functions stubbed
cat >"$tmp/stubs.sh" <<EOF2
log() { printf '%s\n' "\$*" >>"$tmp/calls"; }
config_load() { :; }
config_foreach() { "\$1" main; }
config_get_bool() { eval "\$1=\${ENABLED:-1}"; }
uci() { cat "$tmp/uci"; }
logger() { log "logger \$*"; }
procd_open_instance() { log "open"; }
procd_set_param() { log "param \$*"; }
procd_close_instance() { log "close"; }
procd_send_signal() { log "signal \$*"; }
procd_add_jail() { log "jail \$*"; }
procd_add_jail_mount() { log "mount \$*"; }
procd_add_jail_mount_rw() { log "mount_rw \$*"; }
procd_add_reload_trigger() { log "trigger \$*"; }
EOF2
run_init() {	# FUNCTION: runs one of the init script's functions
	: >"$tmp/calls"
	ENABLED=${ENABLED:-1} sh -c '. "$1"; . "$2"; PROG=$3; UCI2CONF=$4; CONF=$5; STATE=$6; "$7"' _ \
		"$tmp/stubs.sh" "$init" "$top/ctl/rgmd/rgmd" "$conv" "$tmp/etc/rgmd.conf" "$tmp/state" "$1"
}
cp "$tmp/good.uci" "$tmp/uci"
run_init start_service; rc=$?
check "start_service: writes the file (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -qx 'mode = listen' '$tmp/etc/rgmd.conf'"
check "start_service: one instance running rgmd -c the file, respawned" bash -c \
	"grep -qx 'param command $top/ctl/rgmd/rgmd -c $tmp/etc/rgmd.conf' '$tmp/calls' &&
	 grep -qx 'param respawn' '$tmp/calls' && [ \$(grep -c '^open' '$tmp/calls') = 1 ]"
run_init service_triggers
check "service_triggers: a change to /etc/config/rgm reloads" grep -qx 'trigger rgm' "$tmp/calls"
cp "$tmp/etc/rgmd.conf" "$tmp/before.conf"
uci_good "option ports '9-3'" >"$tmp/uci"
run_init reload_service; rc=$?
check "reload_service with a value rgmd refuses: fails (exit $rc), no SIGHUP, the file in force stays" bash -c \
	"[ $rc != 0 ] && ! grep -q '^signal' '$tmp/calls' && cmp -s '$tmp/before.conf' '$tmp/etc/rgmd.conf'"
check "... and says why in the log" grep -q '^logger .*ports' "$tmp/calls"
cp tests/uci/bad-unknown-option.uci "$tmp/uci"
run_init start_service; rc=$?
check "start_service with a bad UCI file: fails (exit $rc), starts nothing, logs the line" bash -c \
	"[ $rc != 0 ] && ! grep -q '^open' '$tmp/calls' &&
	 grep -q \"^logger .*/etc/config/rgm:3: option 'listen_addr'\" '$tmp/calls'"
uci_good "option handshake_timeout '7'" >"$tmp/uci"
run_init reload_service; rc=$?
check "reload_service with a good change: rewrites the file and sends rgmd SIGHUP (exit $rc)" bash -c \
	"[ $rc = 0 ] && grep -qx 'handshake-timeout = 7' '$tmp/etc/rgmd.conf' && grep -qFx 'signal rgmd * HUP' '$tmp/calls'"
ENABLED=0 run_init start_service; rc=$?
check "enabled '0': start_service starts nothing (exit $rc)" bash -c "[ $rc = 0 ] && ! grep -q '^open' '$tmp/calls'"
if command -v busybox >/dev/null; then
	out=$(busybox sh -n "$init" 2>&1)
	check "busybox sh parses rgmd.init${out:+: $out}" [ -z "$out" ]
fi
check "rgmd.capabilities.json is JSON giving CAP_NET_ADMIN alone" bash -c \
	"jq -e '[.bounding, .effective, .ambient, .permitted, .inheritable] | all(. == [\"CAP_NET_ADMIN\"])' \
	 packaging/openwrt/files/rgmd.capabilities.json >/dev/null"
check "rgm.config, the default /etc/config/rgm, converts (disabled until edited)" bash -c \
	"'$conv' <packaging/openwrt/files/rgm.config >/dev/null && grep -qx \"	option enabled '0'\" packaging/openwrt/files/rgm.config"

echo "1..$n"
exit $((fails > 0))
