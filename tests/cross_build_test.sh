#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A cross build as OpenWrt's SDK (packaging/openwrt/Makefile) or a
# Yocto-style recipe does it: the gateway's programs built in a copy of the
# tree with CC, PKG_CONFIG, CFLAGS and LDFLAGS on make's command line, a
# PKG_CONFIG that knows only the gateway's libraries (no SQLite,
# libmicrohttpd, libcurl, miniupnpc: a staging dir has only what the
# package depends on), and no cc, gcc or pkg-config on PATH, so that any
# call around the given ones fails the build. The compiler and pkg-config
# are this host's, behind wrappers that log each call: no cross toolchain
# is needed, and what is checked is that the Makefile goes through them.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

src=$tmp/src
mkdir -p "$src" "$tmp/bin" "$tmp/poison"
git ls-files -z | grep -zv '^build/' | tar --null -T - -cf - | tar -xf - -C "$src"
for t in cc gcc pkg-config; do
	printf '#!/bin/sh\necho "%s called: $*" >>"%s/poison.log"; exit 1\n' "$t" "$tmp" >"$tmp/poison/$t"
	chmod +x "$tmp/poison/$t"
done
cc_real=$(command -v gcc); pc_real=$(command -v pkg-config)
cat >"$tmp/bin/xcc" <<EOF2
#!/bin/sh
echo "\$*" >>"$tmp/cc.log"
exec "$cc_real" "\$@"
EOF2
cat >"$tmp/bin/xpkg-config" <<EOF2
#!/bin/sh
echo "\$*" >>"$tmp/pc.log"
case " \$* " in *" sqlite3 "*|*" libmicrohttpd "*|*" libcurl "*|*" miniupnpc "*)
	echo "xpkg-config: not in this staging dir" >&2; exit 1 ;;
esac
exec "$pc_real" "\$@"
EOF2
chmod +x "$tmp/bin/xcc" "$tmp/bin/xpkg-config"

PATH=$tmp/poison:$PATH make -C "$src" -j2 CC="$tmp/bin/xcc" PKG_CONFIG="$tmp/bin/xpkg-config" \
	CFLAGS="-Os -g0 -DRGM_CROSS_MARK" LDFLAGS="-Wl,-z,now" ctl/rgmd/rgmd ctl/rgmctl/rgmctl \
	>"$tmp/build.log" 2>&1
rc=$?
check "make CC= PKG_CONFIG= CFLAGS= LDFLAGS= ctl/rgmd/rgmd ctl/rgmctl/rgmctl (exit $rc)" [ "$rc" = 0 ] ||
	sed 's/^/# /' "$tmp/build.log" | tail -20
check "nothing called cc, gcc or pkg-config from PATH$( [ -s "$tmp/poison.log" ] && printf ': %s' "$(head -3 "$tmp/poison.log")")" \
	[ ! -s "$tmp/poison.log" ]

# every compilation and both links went through CC, with the command
# line's CFLAGS and what rgm adds to them
missing=""
for c in "$src"/lib/*.c "$src"/ctl/rgmd/*.c "$src"/ctl/rgmctl/*.c; do
	f=${c#"$src"/}
	grep -q -- "-c -o ${f%.c}.o $f" "$tmp/cc.log" 2>/dev/null || missing="$missing $f"
done
check "CC compiled each of lib/, ctl/rgmd/, ctl/rgmctl/${missing:+ (not:$missing)}" [ -z "$missing" ]
check "CC linked rgmd and rgmctl with the given LDFLAGS" bash -c \
	"grep -q -- '-Wl,-z,now -o ctl/rgmd/rgmd' '$tmp/cc.log' && grep -q -- '-Wl,-z,now -o ctl/rgmctl/rgmctl' '$tmp/cc.log'"
bad=$(grep -- ' -c ' "$tmp/cc.log" | grep -v -- '-Os -g0 -DRGM_CROSS_MARK -std=gnu11 ' | head -n 2)
check "each compilation has the command line's CFLAGS and rgm's own (-std=gnu11 ...)${bad:+: $bad}" \
	[ -z "$bad" ]
nl_inc=$(pkg-config --cflags-only-I libnl-3.0 | awk '{print $1}')
check "PKG_CONFIG gave libnl's include directory ($nl_inc) though it refuses SQLite and co." \
	grep -q -- "$nl_inc.* -c -o lib/rgm_nl.o lib/rgm_nl.c" "$tmp/cc.log"
check "PKG_CONFIG was asked (and refused) for the servers' libraries, one at a time" \
	grep -qx -- '--cflags sqlite3' "$tmp/pc.log"
need=$(readelf -d "$src/ctl/rgmd/rgmd" 2>/dev/null | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
check "rgmd needs libnl, GnuTLS, json-c, libnftables, no SQLite, libmicrohttpd, libcurl ($need)" \
	bash -c "grep -q libnl-genl <<<'$need' && grep -q gnutls <<<'$need' && grep -q nftables <<<'$need' &&
		 ! grep -Eq 'sqlite|microhttpd|curl' <<<'$need'"
check "the built rgmd runs: --version" bash -c "'$src/ctl/rgmd/rgmd' --version | grep -q '^rgmd '"

echo "1..$n"
exit $((fails > 0))
