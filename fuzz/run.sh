#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds every fuzz/*_fuzz.c (see fuzz/Makefile) and runs each for
# FUZZ_SECONDS (default 20) on its seed corpus fuzz/corpus/NAME/, printing
# one TAP line per target. New inputs go to a scratch copy: the seeds in the
# tree stay as they are. A crash leaves its reproducer in build/fuzz/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
secs=${FUZZ_SECONDS:-20}
out="$top/build/fuzz"
mkdir -p "$out"

targets=()
for src in "$here"/*_fuzz.c; do
	[ -e "$src" ] && targets+=("$(basename "$src" .c)")
done
echo "1..${#targets[@]}"
[ "${#targets[@]}" -gt 0 ] || exit 0

n=0 fail=0
for name in "${targets[@]}"; do
	n=$((n + 1))
	log="$out/$name.log"
	if ! make -s -C "$here" "$name" >"$log" 2>&1; then
		echo "not ok $n $name builds"; sed 's/^/# /' "$log" | tail -20
		fail=$((fail + 1)); continue
	fi
	work="$out/corpus-$name"
	rm -rf "$work"; mkdir -p "$work"
	[ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/"
	# -max_len covers the largest frame plus slack; rss and per-input
	# time limits turn a leak or a hang into a failure.
	"$here/$name" -max_total_time="$secs" -max_len=70000 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$out/$name-" \
		"$work" >"$log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
	if [ "$rc" = 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
		echo "ok $n $name fuzzed for $secs s, $execs execs, no crash"
	else
		echo "not ok $n $name fuzzed for $secs s (exit $rc, ${execs:-0} execs)"
		grep -E 'ERROR|SUMMARY|artifact|Test unit' "$log" | head -10 | sed 's/^/# /'
		fail=$((fail + 1))
	fi
done
[ "$fail" = 0 ]
