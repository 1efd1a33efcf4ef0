#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Secret files (lib/rgm_secret.h) from the programs' side: rgmd's and
# rgm-confserver's --check-config, rgm-portal's and rgm-mediaserver's
# --token-file refuse a key or token that group or others can read (with
# the file, its mode and "chmod 600 FILE"), and a symbolic link; 0600 passes.

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/tap.sh"
tmp=$(mktemp -d /tmp/rgm-secret-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "1..10"

cd "$tmp" || bail "no $tmp"
certtool --generate-privkey --key-type ecdsa --outfile ca.key 2>/dev/null &&
	printf 'cn = "t"\nca\ncert_signing_key\nexpiration_days = 2\n' >ca.tmpl &&
	certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl \
		--outfile ca.pem 2>/dev/null &&
	certtool --generate-privkey --key-type ecdsa --outfile gw.key 2>/dev/null &&
	printf 'cn = "gw"\ntls_www_server\ntls_www_client\nexpiration_days = 2\n' >gw.tmpl &&
	certtool --generate-certificate --load-privkey gw.key --load-ca-certificate ca.pem \
		--load-ca-privkey ca.key --template gw.tmpl --outfile gw.pem 2>/dev/null ||
	bail "certtool"
cat >rgmd.conf <<EOC
mode = listen
listen = 127.0.0.1:4433
cert = $tmp/gw.pem
key = $tmp/gw.key
ca = $tmp/ca.pem
gateway-id = gw-1
allow = subject CN=cfg
state-dir = $tmp
lan-prefix = 10.0.0.0/24
ports = 40000-40099
EOC
rgmd_check() { "$top/ctl/rgmd/rgmd" --check-config -c "$tmp/rgmd.conf" >"$tmp/out" 2>&1; }

chmod 644 gw.key
rgmd_check
want="key: $tmp/gw.key: mode 0644 lets group or others at a secret (chmod 600 $tmp/gw.key)"
check "rgmd --check-config refuses a 0644 key: $(cat "$tmp/out")" grep -qF "$want" "$tmp/out"
chmod 600 gw.key
rgmd_check
check "rgmd --check-config takes a 0600 key: $(cat "$tmp/out")" grep -q ": ok" "$tmp/out"
ln -s gw.key link.key
sed -i "s|^key = .*|key = $tmp/link.key|" rgmd.conf
rgmd_check
check "rgmd --check-config refuses a symbolic link: $(cat "$tmp/out")" \
	grep -qF "$tmp/link.key: a symbolic link" "$tmp/out"
sed -i "s|^key = .*|key = $tmp/gw.key|" rgmd.conf
chown nobody gw.key 2>/dev/null && [ "$(id -u)" = 0 ] && {
	rgmd_check
	check "rgmd --check-config refuses a key of another user: $(cat "$tmp/out")" \
		grep -qF "owned by uid $(id -u nobody)" "$tmp/out"
	chown 0 gw.key
} || ok "rgmd: a key of another user # SKIP not root"

# the configuration server: keys and database
cat >cs.conf <<EOC
db = $tmp/cs.db
listen = 127.0.0.1:28443
insecure-http = yes
token = p portal sha256:$(printf %s t | sha256sum | cut -c1-64)
gateway-cert = $tmp/gw.pem
gateway-key = $tmp/gw.key
gateway-ca = $tmp/ca.pem
EOC
cs_check() { "$top/confserver/rgm-confserver" -c "$tmp/cs.conf" --check-config >"$tmp/out" 2>&1; }
chmod 640 gw.key
cs_check
check "rgm-confserver --check-config refuses a 0640 key: $(cat "$tmp/out")" \
	grep -qF "$tmp/cs.conf:6: $tmp/gw.key: mode 0640 lets group or others at a secret (chmod 600 $tmp/gw.key)" "$tmp/out"
chmod 600 gw.key
check "rgm-confserver --check-config takes a 0600 key" cs_check

# tokens: refused before anything listens
echo secret-token >tok; chmod 644 tok
timeout 5 "$top/portal/rgm-portal" --listen 127.0.0.1:1 --confserver http://127.0.0.1:2 \
	--token-file "$tmp/tok" --mediaserver http://127.0.0.1:3 >"$tmp/out" 2>&1
check "rgm-portal refuses a 0644 --token-file: $(tail -n1 "$tmp/out")" \
	grep -qF "$tmp/tok: mode 0644 lets group or others at a secret (chmod 600 $tmp/tok)" "$tmp/out"
ln -s tok link.tok; chmod 600 tok
timeout 5 "$top/portal/rgm-portal" --listen 127.0.0.1:1 --confserver http://127.0.0.1:2 \
	--token-file "$tmp/tok" --mediaserver http://127.0.0.1:3 \
	--media-token-file "$tmp/link.tok" >"$tmp/out" 2>&1
check "rgm-portal refuses a symbolic link as --media-token-file: $(tail -n1 "$tmp/out")" \
	grep -qF "$tmp/link.tok: a symbolic link" "$tmp/out"
mkdir -p content; chmod 644 tok
timeout 5 "$top/mediaserver/rgm-mediaserver" --addr 127.0.0.1 --control 127.0.0.1:1 \
	--content "$tmp/content" --token-file "$tmp/tok" >"$tmp/out" 2>&1
check "rgm-mediaserver refuses a 0644 --token-file: $(tail -n1 "$tmp/out")" \
	grep -qF "$tmp/tok: mode 0644 lets group or others at a secret (chmod 600 $tmp/tok)" "$tmp/out"
chmod 600 tok
# past the token, it stops at the (missing) catalogue
timeout 5 "$top/mediaserver/rgm-mediaserver" --addr 127.0.0.1 --control 127.0.0.1:1 \
	--content "$tmp/content" --token-file "$tmp/tok" >"$tmp/out" 2>&1
check "rgm-mediaserver takes a 0600 --token-file: $(tail -n1 "$tmp/out")" \
	grep -q "^catalog: .*catalog.json" "$tmp/out"

[ "$fails" = 0 ]
