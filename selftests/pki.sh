# SPDX-License-Identifier: GPL-2.0
#
# Sourced by selftests/lib.sh and by host tests that speak TLS.
# Test certificates in $PKI, made with certtool: mk_ca NAME CN, then
# mk_leaf NAME CN CA [TEMPLATE-LINES...] (both TLS purposes, or those in
# $PKI_KP, e.g. PKI_KP=tls_www_server); mk_self NAME CN: a self-signed leaf;
# pin_of FILE prints the certificate's pin-sha256:... as allow lists take it.
PKI=$TMPD/pki
mkdir -p "$PKI"
mk_key() { certtool --generate-privkey --key-type ecdsa --outfile "$PKI/$1.key" 2>/dev/null; }
mk_ca() {	# NAME CN
	mk_key "$1"
	printf 'cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' "$2" >"$PKI/$1.tmpl"
	certtool --generate-self-signed --load-privkey "$PKI/$1.key" \
		--template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" 2>/dev/null
}
mk_leaf() {	# NAME CN CA TEMPLATE-LINES...
	local name=$1 cn=$2 ca=$3; shift 3
	mk_key "$name"
	{
		printf 'cn = "%s"\norganization = "rgm-test"\n' "$cn"
		printf '%s\n' ${PKI_KP:-tls_www_server tls_www_client} signing_key encryption_key
		printf '%s\n' "$@"
	} >"$PKI/$name.tmpl"
	certtool --generate-certificate --load-privkey "$PKI/$name.key" \
		--load-ca-certificate "$PKI/$ca.pem" --load-ca-privkey "$PKI/$ca.key" \
		--template "$PKI/$name.tmpl" --outfile "$PKI/$name.pem" 2>/dev/null
}
pin_of() {
	certtool -i --infile "$1" 2>/dev/null | grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -n1
}
mk_self() {	# NAME CN: self-signed, not a CA, both TLS purposes
	mk_key "$1"
	printf 'cn = "%s"\norganization = "rgm-test"\ntls_www_server\ntls_www_client\nsigning_key\nexpiration_days = 30\n' \
		"$2" >"$PKI/$1.tmpl"
	certtool --generate-self-signed --load-privkey "$PKI/$1.key" \
		--template "$PKI/$1.tmpl" --outfile "$PKI/$1.pem" 2>/dev/null
}
