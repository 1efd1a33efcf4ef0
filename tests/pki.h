/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test certificates for the host tests that speak TLS, made with certtool
 * in a mkdtemp folder (the same templates as selftests/lib.sh). A test
 * gives the body of a shell script that uses:
 *
 *   ca NAME CN                     a self-signed CA
 *   leaf NAME CN CA [LINES...]     a certificate for both TLS purposes
 *                                  (extra template lines), and NAME.pin,
 *                                  its pin-sha256:... as allow lists take it
 *   k NAME                         just a key
 *
 * Files are pki_path(NAME, "pem" | "key" | "pin").
 */
#ifndef RGM_TESTS_PKI_H
#define RGM_TESTS_PKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char pki[64];

static const char *pki_path(const char *name, const char *ext)
{
	static char buf[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s.%s", pki, name, ext);
	return buf[i];
}

static const char pki_sh_funcs[] =
	"set -e; cd \"$1\"\n"
	"k() { certtool --generate-privkey --key-type ecdsa --outfile $1.key 2>/dev/null; }\n"
	"ca() { k $1; printf 'cn = \"%s\"\\nca\\ncert_signing_key\\nexpiration_days = 30\\n'"
	" \"$2\" >$1.t; certtool --generate-self-signed --load-privkey $1.key --template $1.t"
	" --outfile $1.pem 2>/dev/null; }\n"
	"leaf() { n=$1 cn=$2 c=$3; shift 3; k $n;"
	" { printf 'cn = \"%s\"\\norganization = \"rgm-test\"\\ntls_www_server\\n"
	"tls_www_client\\nsigning_key\\n' $cn; printf '%s\\n' \"$@\"; } >$n.t;"
	" certtool --generate-certificate --load-privkey $n.key --load-ca-certificate $c.pem"
	" --load-ca-privkey $c.key --template $n.t --outfile $n.pem 2>/dev/null;"
	" certtool -i --infile $n.pem | grep -o 'pin-sha256:[A-Za-z0-9+/=]*' | head -n1 >$n.pin; }\n";

/* Makes the PKI once (prefix names the temporary folder); 0 or -1. */
static int pki_make(const char *prefix, const char *body)
{
	char cmd[256];
	FILE *f;

	if (pki[0])
		return 0;
	snprintf(pki, sizeof(pki), "/tmp/%s.XXXXXX", prefix);
	if (!mkdtemp(pki)) {
		pki[0] = 0;
		return -1;
	}
	f = fopen(pki_path("mk", "sh"), "w");
	if (!f)
		return -1;
	fputs(pki_sh_funcs, f);
	fputs(body, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh %s %s", pki_path("mk", "sh"), pki);
	return system(cmd) ? -1 : 0;
}

static void read_pin(const char *name, char *pin, size_t len)
{
	FILE *f = fopen(pki_path(name, "pin"), "r");

	pin[0] = 0;
	if (f) {
		if (fgets(pin, len, f))
			pin[strcspn(pin, "\n")] = 0;
		fclose(f);
	}
}

/* Removes the folder unless RGM_TEST_KEEP_PKI is set (for debugging). */
static void pki_remove(void)
{
	char cmd[128];

	if (pki[0] && !getenv("RGM_TEST_KEEP_PKI")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", pki);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", pki);
	}
}

#endif /* RGM_TESTS_PKI_H */
