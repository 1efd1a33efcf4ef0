// SPDX-License-Identifier: GPL-2.0
/*
 * Who a portal API request comes from. Two ways, checked per request:
 *
 *  - "Authorization: Bearer TOKEN": the SHA-256 of TOKEN is compared with
 *    every configured hash in constant time (the file holds hashes only,
 *    so reading it gives no token away). When the header is present it
 *    alone decides: a wrong token is refused even with a good certificate.
 *  - a TLS client certificate: libmicrohttpd asks for one when portal-ca is
 *    set (MHD_OPTION_HTTPS_MEM_TRUST) but verifies nothing itself, so it is
 *    verified here against portal-ca (chain, dates, TLS WWW client usage),
 *    then matched against the portal-cert entries by subject DN or SPKI pin.
 *    The highest role among the matching entries is the request's.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "confserver.h"
#include "rgm_tls.h"

#define CS_AUTH_TOKEN_MAX	4096	/* a longer header is no token of ours */

static void cs_auth_token(const struct cs_conf *c, const char *hdr, struct cs_auth *a)
{
	const struct cs_token *found = NULL;
	uint8_t sha[32];
	const char *tok;
	unsigned int i;

	if (strncasecmp(hdr, "Bearer ", 7)) {
		snprintf(a->why, sizeof(a->why), "the Authorization header is not 'Bearer TOKEN'");
		return;
	}
	tok = hdr + 7;
	while (*tok == ' ')
		tok++;
	if (!*tok || strlen(tok) > CS_AUTH_TOKEN_MAX) {
		snprintf(a->why, sizeof(a->why), "empty or oversized bearer token");
		return;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, tok, strlen(tok), sha) < 0) {
		snprintf(a->why, sizeof(a->why), "cannot hash the token");
		return;
	}
	/* every entry is compared, so the time says nothing about which matched */
	for (i = 0; i < c->n_tokens; i++)
		if (!gnutls_memcmp(sha, c->tokens[i].sha256, sizeof(sha)))
			found = &c->tokens[i];
	if (!found) {
		snprintf(a->why, sizeof(a->why), "unknown bearer token");
		return;
	}
	a->role = found->role;
	snprintf(a->actor, sizeof(a->actor), "token:%s", found->name);
}

static void cs_auth_cert(const struct cs_conf *c, gnutls_session_t s, struct cs_auth *a)
{
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	char dn[RGM_TLS_ID_MAX], pin[128];
	const gnutls_datum_t *certs;
	gnutls_datum_t msg = { 0 };
	unsigned int n = 0, status = 0, i;
	enum cs_role role = CS_ROLE_NONE;

	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n) {
		snprintf(a->why, sizeof(a->why), "no bearer token and no client certificate");
		return;
	}
	if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0) {
		snprintf(a->why, sizeof(a->why), "client certificate could not be verified");
		return;
	}
	if (status) {
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &msg,
								 0) >= 0) {
			int len = msg.size;

			while (len && (msg.data[len - 1] == ' ' || msg.data[len - 1] == '.'))
				len--;
			snprintf(a->why, sizeof(a->why), "client certificate refused: %.*s", len,
				 msg.data);
			gnutls_free(msg.data);
		} else {
			snprintf(a->why, sizeof(a->why), "client certificate refused");
		}
		return;
	}
	if (rgm_tls_cert_ids(certs[0].data, certs[0].size, dn, sizeof(dn), pin, sizeof(pin))) {
		snprintf(a->why, sizeof(a->why), "cannot read the client certificate");
		return;
	}
	for (i = 0; i < c->n_certs; i++) {
		const char *e = c->certs[i].entry;
		bool hit = !strncmp(e, "subject ", 8) ? !strcmp(e + 8, dn) : !strcmp(e, pin);

		if (hit && c->certs[i].role > role)
			role = c->certs[i].role;
	}
	if (role == CS_ROLE_NONE) {
		snprintf(a->why, sizeof(a->why),
			 "client certificate not on any portal-cert entry: subject '%.100s', %.60s",
			 dn, pin);
		return;
	}
	a->role = role;
	snprintf(a->actor, sizeof(a->actor), "cert:%.500s", dn);
}

void cs_auth_request(const struct cs_conf *c, struct MHD_Connection *conn, struct cs_auth *a)
{
	const union MHD_ConnectionInfo *info;
	const char *hdr;

	memset(a, 0, sizeof(*a));
	hdr = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (hdr) {
		cs_auth_token(c, hdr, a);
		return;
	}
	info = c->portal_ca.v ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)
			      : NULL;
	if (!info || !info->tls_session) {
		snprintf(a->why, sizeof(a->why), "no credentials: send 'Authorization: Bearer TOKEN'");
		return;
	}
	cs_auth_cert(c, info->tls_session, a);
}
