#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkcontent.sh DIR: generates the media server's test content with Debian's
# ffmpeg (lavfi test patterns, nothing is downloaded) and DIR/catalog.json
# (see Documentation/media.rst). Each title is two constant-rate MPEG-TS
# files, video-only and audio-only, with PCR every 20 ms so the server can
# pace them. The encoders run single-threaded with bitexact flags: the same
# ffmpeg gives the same bytes, and a second run with a matching catalog is a
# no-op.
set -eu

dir=${1:?usage: mkcontent.sh DIR}
secs=6
tsp_per_rtp=7
ff=(ffmpeg -nostdin -hide_banner -loglevel error -y)
bitexact=(-fflags +bitexact -flags +bitexact)

# id|name|video source|tone Hz
titles=(
	"testcard|Test card and tone|testsrc|440"
	"bars|Colour bars and tone|smptebars|880"
)

mkdir -p "$dir"
cat="$dir/catalog.json"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Stream entry of catalog.json for one file.
entry() {
	local kind=$1 file=$2 bytes packets
	bytes=$(stat -c %s "$dir/$file")
	if [ $((bytes % 188)) != 0 ]; then
		echo "mkcontent: $file: $bytes bytes is not a multiple of 188" >&2
		exit 1
	fi
	packets=$(((bytes / 188 + tsp_per_rtp - 1) / tsp_per_rtp))
	printf '{"kind":"%s","file":"%s","payload_type":33,"bytes":%d,"packets":%d,"sha256":"%s"}' \
		"$kind" "$file" "$bytes" "$packets" "$(sha "$dir/$file")"
}

# The catalog matches when every file it names exists with its sha256.
catalog_ok() {
	[ -s "$cat" ] || return 1
	local t id
	for t in "${titles[@]}"; do
		id=${t%%|*}
		for kind in video audio; do
			f="$id-$kind.ts"
			[ -f "$dir/$f" ] || return 1
			want="\"file\":\"$f\",[^}]*\"sha256\":\"$(sha "$dir/$f")\""
			grep -q "$want" "$cat" || return 1
		done
	done
}

if catalog_ok; then
	echo "mkcontent: $cat up to date"
	exit 0
fi

tmp="$cat.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
	printf '{"titles":['
	sep=
	for t in "${titles[@]}"; do
		IFS='|' read -r id name src hz <<<"$t"
		"${ff[@]}" -f lavfi -i "$src=size=320x240:rate=25:duration=$secs" -an \
			-c:v mpeg2video -threads 1 -b:v 600k -minrate 600k -maxrate 600k \
			-bufsize 300k -g 25 -bf 0 "${bitexact[@]}" \
			-f mpegts -muxrate 800k -pcr_period 20 "$dir/$id-video.ts"
		"${ff[@]}" -f lavfi -i "sine=frequency=$hz:sample_rate=48000:duration=$secs" \
			-c:a mp2 -b:a 128k "${bitexact[@]}" \
			-f mpegts -muxrate 192k -pcr_period 20 "$dir/$id-audio.ts"
		printf '%s{"id":"%s","name":"%s","duration_ms":%d,"streams":[%s,%s]}' \
			"$sep" "$id" "$name" $((secs * 1000)) \
			"$(entry video "$id-video.ts")" "$(entry audio "$id-audio.ts")"
		sep=,
	done
	printf ']}\n'
} >"$tmp"
mv "$tmp" "$cat"
echo "mkcontent: wrote $cat"
