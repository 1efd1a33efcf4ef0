#!/usr/bin/env bash
# Install everything rgm needs from Debian's archive. Safe to run twice:
# each step checks for its result first. Run as root (CI and the dev boxes are).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

pkgs=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev llvm
	# kernel + VM
	linux-image-amd64 linux-headers-amd64 qemu-system-x86 kmod file
	python3-argcomplete python3-pkg-resources python3-requests busybox-static
	# userspace libraries
	libnl-3-dev libnl-genl-3-dev libgnutls28-dev gnutls-bin libjson-c-dev
	libsqlite3-dev sqlite3 libmicrohttpd-dev libcurl4-gnutls-dev
	# the nftables dataplane (lib/rgm_dp_nft.c)
	libnftables-dev libnetfilter-conntrack-dev
	# the appliance programs UPnP IGD gateways itself; miniupnpd is the real
	# gateway of the tests (never started by the package: see below)
	libminiupnpc-dev libnatpmp-dev miniupnpd-nftables miniupnpc
	# test tools; ffmpeg makes the test titles and checks what arrived
	nftables iproute2 conntrack socat jq python3 python3-yaml curl ffmpeg
	# promtool parses the metrics texts (tests/metrics_test.sh); only the
	# tool is used: the server the package starts is stopped below
	prometheus
	# packaging: make debs, dkms, lintian, man page and unit checks
	dpkg-dev debhelper dh-dkms dkms fakeroot lintian mandoc groff-base
	systemd bash-completion
	# tests/deb_system_test.sh: a bookworm made by debootstrap, booted by
	# systemd-nspawn, the packages installed in it
	debootstrap systemd-container
	# the adversarial suite attacks with tools a reviewer already trusts
	nmap openssl
	# the web pages' tests: a real headless browser (tests/web_test.sh)
	chromium fonts-dejavu-core
	# make bench: the configurations it compares, traffic, the plot
	iptables iperf3 gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	# miniupnpd must not start on the host: the tests run it in namespaces
	echo 'miniupnpd miniupnpd/start_daemon boolean false' | debconf-set-selections
	echo "setup: installing ${missing[*]}"
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
	case " ${missing[*]} " in *" prometheus "*)
		systemctl disable --now prometheus >/dev/null 2>&1 || true ;;
	esac
fi

# virtme-ng is packaged from Debian 13 (trixie) on; it is arch-independent
# Python whose dependencies are all in bookworm. Take just that .deb.
if ! command -v vng >/dev/null; then
	echo "setup: installing virtme-ng from the trixie suite"
	src=/etc/apt/sources.list.d/debian.sources
	tmp=$(mktemp -d)
	sed -n '1,/^$/p' "$src" | sed 's/^Suites:.*/Suites: trixie/' >"$tmp/trixie.sources"
	apt-get update -q -o Dir::Etc::sourcelist="$tmp/trixie.sources" \
		-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0
	(cd "$tmp" && apt-get download -o Dir::Etc::sourcelist="$tmp/trixie.sources" \
		-o Dir::Etc::sourceparts=- virtme-ng)
	dpkg -i "$tmp"/virtme-ng_*_all.deb
	rm -rf "$tmp"
	# put bookworm's lists back so later apt calls see the usual suites
	apt-get update -q
fi

# kselftest_harness.h ships only inside the linux-source tarball.
ks="$top/build/kselftest"
if [ ! -f "$ks/kselftest_harness.h" ]; then
	echo "setup: extracting the kselftest harness from linux-source-6.1"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download linux-source-6.1 >/dev/null 2>&1) || {
		apt-get update -q; (cd "$tmp" && apt-get download linux-source-6.1); }
	mkdir -p "$ks"
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb \
		| tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc \
		| tar -x -C "$tmp" --wildcards 'linux-source-6.1/tools/testing/selftests/kselftest*.h'
	cp "$tmp"/linux-source-6.1/tools/testing/selftests/kselftest*.h "$ks/"
	rm -rf "$tmp"
fi

# playwright-core drives Debian's chromium in tests/web_test.sh (no browser
# download: it is told /usr/bin/chromium); the versions are pinned by
# tests/web/package-lock.json. A machine whose nodejs already brings npm
# keeps it.
if ! command -v npm >/dev/null; then
	echo "setup: installing nodejs npm"
	apt-get install -y -q --no-install-recommends nodejs npm
fi
web="$top/build/web"
if ! cmp -s "$top/tests/web/package-lock.json" "$web/package-lock.json" ||
   [ ! -f "$web/node_modules/playwright-core/index.mjs" ]; then
	echo "setup: npm ci of tests/web/package.json into build/web"
	mkdir -p "$web"
	cp "$top/tests/web/package.json" "$top/tests/web/package-lock.json" "$web/"
	(cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

echo "setup: done"
