// SPDX-License-Identifier: GPL-2.0
/*
 * Signed grants for appliance-mediated gateways (grant.h): Ed25519 through
 * GnuTLS, the claims as compact JSON, both halves hex so that the token is
 * one plain string in any JSON body or log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "grant.h"
#include "rgm_api.h"

struct cs_grant_key {
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
};

void cs_grant_key_free(struct cs_grant_key *k)
{
	if (!k)
		return;
	if (k->pub)
		gnutls_pubkey_deinit(k->pub);
	if (k->priv)
		gnutls_privkey_deinit(k->priv);
	free(k);
}

int cs_grant_key_load(const char *path, struct cs_grant_key **out, char *err, size_t errlen)
{
	gnutls_datum_t pem = { NULL, 0 };
	struct cs_grant_key *k;
	int ret;

	k = calloc(1, sizeof(*k));
	if (!k)
		return snprintf(err, errlen, "out of memory"), -1;
	ret = gnutls_load_file(path, &pem);
	if (ret < 0) {
		snprintf(err, errlen, "grant-key %s: %s", path, gnutls_strerror(ret));
		goto fail;
	}
	ret = gnutls_privkey_init(&k->priv);
	if (!ret)
		ret = gnutls_privkey_import_x509_raw(k->priv, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_free(pem.data);
	if (ret < 0) {
		snprintf(err, errlen, "grant-key %s: %s", path, gnutls_strerror(ret));
		goto fail;
	}
	if (gnutls_privkey_get_pk_algorithm(k->priv, NULL) != GNUTLS_PK_EDDSA_ED25519) {
		snprintf(err, errlen, "grant-key %s: not an Ed25519 key (certtool "
			 "--generate-privkey --key-type=ed25519)", path);
		goto fail;
	}
	ret = gnutls_pubkey_init(&k->pub);
	if (!ret)
		ret = gnutls_pubkey_import_privkey(k->pub, k->priv, 0, 0);
	if (ret < 0) {
		snprintf(err, errlen, "grant-key %s: public half: %s", path, gnutls_strerror(ret));
		goto fail;
	}
	*out = k;
	return 0;
fail:
	cs_grant_key_free(k);
	return -1;
}

static void cs_grant_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int cs_grant_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* n hex digits (even) into out (n / 2 bytes); -1 when one is not hex. */
static int cs_grant_unhex(const char *s, size_t n, unsigned char *out)
{
	size_t i;
	int hi, lo;

	if (n % 2)
		return -1;
	for (i = 0; i < n / 2; i++) {
		hi = cs_grant_nibble(s[2 * i]);
		lo = cs_grant_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

char *cs_grant_sign(struct cs_grant_key *k, struct json_object *claims)
{
	const char *text = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN);
	gnutls_datum_t data, sig = { NULL, 0 };
	char *tok = NULL;
	size_t n;

	if (!text)
		return NULL;
	n = strlen(text);
	data.data = (unsigned char *)text;
	data.size = n;
	if (gnutls_privkey_sign_data2(k->priv, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig) < 0)
		return NULL;
	if (2 * (n + sig.size) + 1 <= RGM_API_GRANT_MAX) {
		tok = malloc(2 * (n + sig.size) + 2);
		if (tok) {
			cs_grant_hex(data.data, n, tok);
			tok[2 * n] = '.';
			cs_grant_hex(sig.data, sig.size, tok + 2 * n + 1);
		}
	}
	gnutls_free(sig.data);
	return tok;
}

struct json_object *cs_grant_verify(struct cs_grant_key *k, const char *token, char *err,
				    size_t errlen)
{
	const char *dot = strchr(token, '.');
	unsigned char claims[RGM_API_GRANT_MAX / 2 + 1], sigb[RGM_API_GRANT_MAX / 2];
	gnutls_datum_t data, sig;
	struct json_object *o;
	size_t nc, ns;

	if (!dot || strlen(token) > RGM_API_GRANT_MAX)
		return snprintf(err, errlen, "the grant is not claims.signature"), NULL;
	nc = (size_t)(dot - token);
	ns = strlen(dot + 1);
	if (cs_grant_unhex(token, nc, claims) || cs_grant_unhex(dot + 1, ns, sigb))
		return snprintf(err, errlen, "the grant is not hex"), NULL;
	data.data = claims;
	data.size = nc / 2;
	sig.data = sigb;
	sig.size = ns / 2;
	if (gnutls_pubkey_verify_data2(k->pub, GNUTLS_SIGN_EDDSA_ED25519, 0, &data, &sig) < 0)
		return snprintf(err, errlen, "the grant's signature is not ours"), NULL;
	claims[nc / 2] = '\0';
	o = json_tokener_parse((const char *)claims);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return snprintf(err, errlen, "the grant's claims are not a JSON object"), NULL;
	}
	return o;
}
