# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the host shell tests (sourced): ok / not_ok / diag /
# check / bail, numbering as they go (n, fails), and free_port.

n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
diag() { printf '# %s\n' "$@"; }
check() {	# NAME CMD...: ok when CMD succeeds; 1 after not ok (for `|| diagnostics`)
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; return 1; fi
}
bail() { echo "Bail out! $*"; exit 1; }

# A port of 20000-59999 on 127.0.0.1 where nothing listens (connection
# refused), picked at random so that tests running at the same time, and
# two picks before their daemons listen, are unlikely to meet.
free_port() {
	local p tries
	for ((tries = 0; tries < 200; tries++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
