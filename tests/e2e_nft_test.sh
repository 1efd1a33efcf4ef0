#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole deployment on the host kernel, no VM: selftests/e2e_test.sh
# (appliances, two gateways running rgmd, the configuration server, the
# portal, the media server, each the real program in its own network
# namespace) with the gateways on the nftables dataplane
# (RGM_DATAPLANE=nftables, see selftests/lib.sh). The same assertions as
# in the VM against rgm.ko: byte-identical titles, ffprobe decodes them,
# a stranger's datagrams dropped, teardown and lease end close the ports.
# Here it also plays a title from a browser: headless Chromium
# (tests/web/standby_e2e.mjs) pairs with an rgm-appliance in standby and
# plays on it until the appliance has the title complete, byte-identical,
# and the page says so (screenshot in build/results/web/).
# One TAP stream, each line prefixed "e2e: ".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"

if [ "$(id -u)" != 0 ] || ! ip netns add "rgm-probe-$$" 2>/dev/null; then
	echo "ok 1 e2e_nft # SKIP needs root and network namespaces"
	echo "1..1"
	exit 0
fi
ip netns del "rgm-probe-$$"
for p in ctl/rgmctl/rgmctl ctl/rgmd/rgmd confserver/rgm-confserver \
	 mediaserver/rgm-mediaserver portal/rgm-portal appliance/rgm-appliance; do
	[ -x "$top/$p" ] || bail "$p is built (make user)"
done

export RGM_DATAPLANE=nftables RGM_TOP="$top"
# no TCG here: a dropped datagram need not cost two seconds
export REPLY_WAIT=${REPLY_WAIT:-1}

relay() {	# NAME SCRIPT: runs a selftest, its TAP lines prefixed with NAME
	local name=$1 out rc line
	out=$(timeout --kill-after=10 300 bash "$2" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "$name: $(sed -E 's/^ok [0-9]+ //' <<<"$line")" ;;
		"not ok "*) not_ok "$name: $(sed -E 's/^not ok [0-9]+ //' <<<"$line")" ;;
		"#"*) echo "$line" ;;
		esac
	done <<<"$out"
	[ "$rc" = 0 ] || grep -q '^not ok' <<<"$out" || not_ok "$name: exited with status $rc"
}

# the browser part (a person plays a title on an appliance in standby from
# the portal's page) wants Debian's chromium and playwright-core
pw=$top/build/web/node_modules/playwright-core/index.mjs
if [ -x /usr/bin/chromium ] && [ -r "$pw" ] && command -v node >/dev/null; then
	export RGM_E2E_BROWSER=$pw RGM_E2E_RESULTS=$top/build/results/web
	mkdir -p "$RGM_E2E_RESULTS"
else
	echo "ok 1 e2e: from a browser # SKIP needs chromium and build/web (scripts/setup.sh)"
	n=1
fi
relay e2e "$top/selftests/e2e_test.sh"
echo "1..$n"
[ "$fails" = 0 ]
