#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# rgm as a packager or an operator installs it: `make install` into a
# DESTDIR, the Debian packages (built by scripts/mkdebs.sh, cached by a
# hash of the sources; RGM_SKIP_DEBS=1 leaves them out), and what a new
# user would try on the installed files: --version everywhere, a man page
# per program whose SYNOPSIS is --help's, units that verify and score,
# libraries per program, readiness, bash completion.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
cd "$top"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
ver=$(cat VERSION)

sbin_progs="rgmctl rgmd rgm-confserver rgm-portal rgm-mediaserver"
bin_progs="rgm-appliance"
units="rgmd rgm-confserver rgm-portal rgm-mediaserver"
man_of() { case $1 in rgm-appliance) echo man1/$1.1 ;; *) echo man8/$1.8 ;; esac; }

# ---- make install
root=$tmp/root
if make -s install DESTDIR="$root" PREFIX=/usr >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr"
else
	not_ok "make install DESTDIR PREFIX=/usr"; sed 's/^/# /' "$tmp/install.log" | tail -20
fi
missing=""
for f in $(for p in $sbin_progs; do echo usr/sbin/$p; done) usr/bin/rgm-appliance \
	 $(for p in $sbin_progs $bin_progs; do echo usr/share/man/$(man_of $p); done) \
	 usr/share/man/man5/rgmd.conf.5 usr/share/man/man5/confserver.conf.5 \
	 $(for u in $units; do echo usr/lib/systemd/system/$u.service; done) \
	 usr/lib/sysusers.d/rgmd.conf usr/share/bash-completion/completions/rgmctl \
	 usr/share/doc/rgm/examples/rgmd.conf.example \
	 usr/share/doc/rgm/examples/confserver.conf.example usr/share/doc/rgm/operations.rst; do
	[ -f "$root/$f" ] || missing="$missing $f"
done
check "the installed tree has programs, man pages, units, examples, docs${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]
make -s install DESTDIR="$tmp/local" >/dev/null 2>&1
check "PREFIX=/usr/local: the units start /usr/local/sbin/rgmd" \
	grep -qx 'ExecStart=/usr/local/sbin/rgmd -c /etc/rgm/rgmd.conf' \
	"$tmp/local/usr/local/lib/systemd/system/rgmd.service"
make -s install-dkms DESTDIR="$tmp/dkms" >/dev/null 2>&1
check "make install-dkms: /usr/src/rgm-$ver/dkms.conf names version $ver" \
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$tmp/dkms/usr/src/rgm-$ver/dkms.conf"

# ---- one version
deb_ver=$(dpkg-parsechangelog -l debian/changelog -S Version)
check "debian/changelog ($deb_ver) carries VERSION ($ver)" [ "${deb_ver%-*}" = "$ver" ]
for p in $sbin_progs $bin_progs; do
	b=$root/usr/sbin/$p; [ -x "$b" ] || b=$root/usr/bin/$p
	out=$("$b" --version 2>&1 | head -n 1)
	check "$p --version says '$p $ver' ($out)" bash -c "[[ '$out' == '$p $ver' || '$out' == '$p $ver,'* ]]"
done

# ---- man pages: lint, and SYNOPSIS equal to the usage block of --help
for m in $(cd "$root/usr/share/man" && ls man*/*); do
	lint=$(mandoc -T lint -W warning "$root/usr/share/man/$m" 2>&1; \
	       groff -man -z -ww "$root/usr/share/man/$m" 2>&1)
	check "$m lints clean${lint:+: $lint}" [ -z "$lint" ]
done
norm() { sed 's/^[[:space:]]*//; s/[[:space:]]\+/ /g; s/ $//' | grep -v '^$'; }
for p in $sbin_progs $bin_progs; do
	b=$root/usr/sbin/$p; [ -x "$b" ] || b=$root/usr/bin/$p
	"$b" --help 2>&1 | sed '/^[[:space:]]*$/q' | sed '1s/^[Uu]sage: //' | norm >"$tmp/help"
	groff -man -Tascii -P-cbou -rLL=200n "$root/usr/share/man/$(man_of $p)" 2>/dev/null |
		sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p}' | norm >"$tmp/syn"
	sec=$(man_of $p); sec=${sec%%/*}; sec=${sec#man}
	if [ -s "$tmp/help" ] && cmp -s "$tmp/help" "$tmp/syn"; then
		ok "$p($sec) SYNOPSIS is $p --help ($(wc -l <"$tmp/syn") lines)"
	else
		not_ok "$p($sec) SYNOPSIS is $p --help"; diff "$tmp/help" "$tmp/syn" | sed 's/^/# /'
	fi
done

# ---- units
for u in $units; do
	f=$root/usr/lib/systemd/system/$u.service
	# the binaries are in DESTDIR, not on this host: only that may be reported
	v=$(systemd-analyze verify --man=no "$f" 2>&1 | grep -v 'Command /usr/sbin/rgm[-a-z]* is not executable')
	check "$u.service verifies${v:+: $v}" [ -z "$v" ]
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
	check "$u.service starts $exe, which is installed" [ -x "$root$exe" ]
	score=$(systemd-analyze security --offline=yes "$f" 2>&1 | sed -n 's/.*exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	check "$u.service: systemd-analyze security scores ${score:-?} (<= 2.0)" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
	check "$u.service is Type=notify and not root" \
		bash -c "grep -qx 'Type=notify' '$f' && grep -q '^User=rgm' '$f'"
done
f=$root/usr/lib/systemd/system/rgmd.service
check "rgmd runs as rgmd with CAP_NET_ADMIN only" bash -c \
	"grep -qx 'User=rgmd' '$f' && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' '$f' &&
	 grep -qx 'AmbientCapabilities=CAP_NET_ADMIN' '$f'"

# ---- libraries per program
for p in rgmd rgmctl; do
	need=$(readelf -d "$root/usr/sbin/$p" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	check "$p links no SQLite, libmicrohttpd or libcurl ($need)" \
		bash -c "! echo '$need' | grep -Eq 'sqlite|microhttpd|curl'"
done
need=$(readelf -d "$root/usr/sbin/rgm-portal" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
check "rgm-portal links neither SQLite nor libnl ($need)" \
	bash -c "! echo '$need' | grep -Eq 'sqlite|libnl'"

# ---- readiness: a daemon says READY=1 on $NOTIFY_SOCKET (Type=notify)
port=$(free_port)
echo "token" >"$tmp/tok"; chmod 600 "$tmp/tok"
python3 - "$tmp/notify" >"$tmp/notified" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(20)
try:
    print(s.recv(4096).decode())
except socket.timeout:
    print("timeout")
PY
for i in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify "$root/usr/sbin/rgm-portal" --listen 127.0.0.1:$port \
	--confserver http://127.0.0.1:1 --token-file "$tmp/tok" \
	--mediaserver http://127.0.0.1:2 >"$tmp/portal.log" 2>&1 &
pp=$!
wait %1 2>/dev/null
kill $pp 2>/dev/null; wait $pp 2>/dev/null
check "rgm-portal says READY=1 to \$NOTIFY_SOCKET ($(cat "$tmp/notified"))" grep -qx 'READY=1' "$tmp/notified"

# ---- bash completion
if [ -f /usr/share/bash-completion/bash_completion ]; then
	out=$(bash -c '. /usr/share/bash-completion/bash_completion
		. "$1"; COMP_WORDS=(rgmctl mapping l); COMP_CWORD=2; COMP_LINE="rgmctl mapping l"
		COMP_POINT=${#COMP_LINE}; _rgmctl rgmctl l mapping; echo "${COMPREPLY[*]}"' _ \
		"$root/usr/share/bash-completion/completions/rgmctl" 2>&1)
	check "bash completes 'rgmctl mapping l' to list ($out)" [ "$out" = "list" ]
else
	ok "bash completion # SKIP bash-completion is not installed"
fi

# ---- the Debian packages
if [ -n "${RGM_SKIP_DEBS:-}" ]; then
	ok "Debian packages # SKIP RGM_SKIP_DEBS is set"
	echo "1..$n"; exit $((fails > 0))
fi
debs=$(scripts/mkdebs.sh 2>"$tmp/mkdebs.err" | tail -n 1)
if [ -d "$debs" ]; then
	ok "dpkg-buildpackage -us -uc -b builds, lintian reports no errors ($debs)"
else
	not_ok "dpkg-buildpackage -us -uc -b builds, lintian reports no errors"
	sed 's/^/# /' "$tmp/mkdebs.err" | tail -30
	echo "1..$n"; exit 1
fi
e=$(grep -c '^E: ' "$debs/lintian.log"); w=$(grep -c '^W: ' "$debs/lintian.log")
check "lintian: $e errors, $w warnings" [ "$e" = 0 ]
arch=$(dpkg --print-architecture)
for pkg in rgm-dkms:all rgm-gateway:$arch rgm-confserver:$arch rgm-portal:$arch \
	   rgm-mediaserver:$arch rgm-appliance:$arch; do
	deb=$debs/${pkg%:*}_${deb_ver}_${pkg#*:}.deb
	check "${pkg%:*} is built" [ -f "$deb" ]
	dpkg-deb -x "$deb" "$tmp/debroot" 2>/dev/null
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/${pkg%:*}.list"
done
has() { grep -qx "$2" "$tmp/$1.list"; }
check "rgm-gateway: rgmd, rgmctl, unit, sysusers, man pages, completion" bash -c "
	$(declare -f has); tmp=$tmp
	has rgm-gateway /usr/sbin/rgmd && has rgm-gateway /usr/sbin/rgmctl &&
	has rgm-gateway /lib/systemd/system/rgmd.service &&
	has rgm-gateway /usr/lib/sysusers.d/rgmd.conf &&
	has rgm-gateway /usr/share/man/man8/rgmd.8.gz && has rgm-gateway /usr/share/man/man8/rgmctl.8.gz &&
	has rgm-gateway /usr/share/man/man5/rgmd.conf.5.gz &&
	has rgm-gateway /usr/share/bash-completion/completions/rgmctl &&
	has rgm-gateway /usr/share/doc/rgm-gateway/examples/rgmd.conf.example"
check "rgm-dkms: /usr/src/rgm-$ver with dkms.conf, Kbuild, kmod/, the UAPI header" bash -c "
	$(declare -f has); tmp=$tmp
	has rgm-dkms /usr/src/rgm-$ver/dkms.conf && has rgm-dkms /usr/src/rgm-$ver/Kbuild &&
	has rgm-dkms /usr/src/rgm-$ver/kmod/rgm_main.c &&
	has rgm-dkms /usr/src/rgm-$ver/include/uapi/linux/rgm.h"
check "rgm-dkms depends on dkms and registers the module in its postinst" bash -c "
	dpkg-deb -f '$debs/rgm-dkms_${deb_ver}_all.deb' Depends | grep -q dkms &&
	dpkg-deb --ctrl-tarfile '$debs/rgm-dkms_${deb_ver}_all.deb' | tar -xO ./postinst | grep -q dkms"
for p in confserver portal mediaserver; do
	check "rgm-$p: program, unit, sysusers, man page" bash -c "
		$(declare -f has); tmp=$tmp
		has rgm-$p /usr/sbin/rgm-$p && has rgm-$p /lib/systemd/system/rgm-$p.service &&
		has rgm-$p /usr/lib/sysusers.d/rgm-$p.conf && has rgm-$p /usr/share/man/man8/rgm-$p.8.gz"
done
dep=$(dpkg-deb -f "$debs/rgm-gateway_${deb_ver}_$arch.deb" Depends)
check "rgm-gateway depends on no SQLite, libmicrohttpd or libcurl ($dep)" \
	bash -c "! echo '$dep' | grep -Eq 'sqlite|microhttpd|curl'"
check "rgm-gateway's postinst creates the rgmd user (systemd-sysusers)" bash -c \
	"dpkg-deb --ctrl-tarfile '$debs/rgm-gateway_${deb_ver}_$arch.deb' | tar -xO ./postinst | grep -q sysusers"
for p in $sbin_progs $bin_progs; do
	b=$tmp/debroot/usr/sbin/$p; [ -x "$b" ] || b=$tmp/debroot/usr/bin/$p
	out=$("$b" --version 2>&1 | head -n 1)
	check "packaged $p --version ($out)" bash -c "[[ '$out' == '$p $ver'* ]]"
done
# the HTTP flow (portal -> configuration server, OpenAPI documents) with the
# packaged binaries rather than the tree's
if RGM_CONFSERVER=$tmp/debroot/usr/sbin/rgm-confserver RGM_PORTAL=$tmp/debroot/usr/sbin/rgm-portal \
	timeout 300 tests/openapi_test.sh >"$tmp/openapi.log" 2>&1; then
	ok "tests/openapi_test.sh passes with the packaged rgm-confserver and rgm-portal ($(grep -c '^ok' "$tmp/openapi.log") ok)"
else
	not_ok "tests/openapi_test.sh passes with the packaged rgm-confserver and rgm-portal"
	grep '^not ok' "$tmp/openapi.log" | sed 's/^/# /' | head
fi

echo "1..$n"
exit $((fails > 0))
