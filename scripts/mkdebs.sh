#!/usr/bin/env bash
# make debs: the Debian packages, built by `dpkg-buildpackage -us -uc -b` in
# a copy of the tree (so that nothing lands beside the work tree), then
# checked by lintian. The result is cached by a hash of the sources:
#   build/debs/HASH/*.deb, build/debs/HASH/lintian.log; build/debs/last -> HASH
# A rebuild costs a few minutes on two shared cores; an unchanged tree
# costs a hash. Prints the folder of the .debs on its last line.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# the sources: tracked files and new ones not ignored (build/ never)
mapfile -t files < <(git ls-files --cached --others --exclude-standard | grep -v '^build/' | sort)
hash=$(for f in "${files[@]}"; do [ -f "$f" ] && printf '%s %s\n' "$f" "$(sha256sum <"$f")"; done |
	sha256sum | cut -c1-16)
out=build/debs/$hash
if [ -f "$out/done" ]; then
	ln -sfn "$hash" build/debs/last
	echo "$top/$out"
	exit 0
fi

ver=$(cat VERSION)
work=build/deb-work
rm -rf "$work" "$out"
mkdir -p "$work/rgm-$ver" "$out"
for f in "${files[@]}"; do [ -f "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -xf - -C "$work/rgm-$ver"
(cd "$work/rgm-$ver" && dpkg-buildpackage -us -uc -b -j2) >"$out/build.log" 2>&1 || {
	tail -30 "$out/build.log" >&2; echo "mkdebs: dpkg-buildpackage failed ($out/build.log)" >&2
	exit 1; }
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
# errors fail the build; warnings are kept in the log
lintian --fail-on error --no-tag-display-limit "$out"/*.changes >"$out/lintian.log" 2>&1 || {
	cat "$out/lintian.log" >&2; echo "mkdebs: lintian reports errors" >&2; exit 1; }
rm -rf "$work"
touch "$out/done"
ln -sfn "$hash" build/debs/last
echo "$top/$out"
