// SPDX-License-Identifier: GPL-2.0
/*
 * Mutual X.509 authentication with GnuTLS for rgmd and its clients.
 *
 * Verification runs in the credentials' verify callback, which GnuTLS calls
 * while processing the peer's Certificate message: returning an error there
 * aborts the handshake with an alert, so a refused peer never gets to send a
 * request, and the reason is kept for the log.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "rgm_secret.h"
#include "rgm_tls.h"

#define RGM_PIN_PREFIX		"pin-sha256:"
#define RGM_SUBJECT_PREFIX	"subject "

struct rgm_tls {
	int refs;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	char *allow[RGM_TLS_ALLOW_MAX];
	unsigned int n_allow;
};

struct rgm_tls_conn {
	struct rgm_tls *tls;
	gnutls_session_t s;
	bool server;
	bool refused;			/* our verification refused the peer */
	char peer[RGM_TLS_ID_MAX];	/* set only by a successful verification */
	char pin[128];			/* of the presented certificate, once read */
	char why[256];
	char desc[128];
};

static int rgm_tls_global_refs;

int rgm_tls_allow_parse(const char *spec, char *err, size_t errlen)
{
	gnutls_datum_t in, out = { 0 };
	const char *b64;
	int ret;

	if (!strncmp(spec, RGM_SUBJECT_PREFIX, strlen(RGM_SUBJECT_PREFIX))) {
		const char *dn = spec + strlen(RGM_SUBJECT_PREFIX);

		if (!*dn || !strchr(dn, '=') || strlen(dn) >= RGM_TLS_ID_MAX) {
			snprintf(err, errlen, "allow: bad subject DN '%s' (want e.g. CN=name,O=org)",
				 dn);
			return -EINVAL;
		}
		return 0;
	}
	if (strncmp(spec, RGM_PIN_PREFIX, strlen(RGM_PIN_PREFIX))) {
		snprintf(err, errlen,
			 "allow: '%s' is neither 'subject DN' nor 'pin-sha256:BASE64'", spec);
		return -EINVAL;
	}
	b64 = spec + strlen(RGM_PIN_PREFIX);
	in.data = (unsigned char *)b64;
	in.size = strlen(b64);
	ret = gnutls_base64_decode2(&in, &out);
	if (ret < 0 || out.size != 32) {
		snprintf(err, errlen, "allow: '%s' is not the base64 of a SHA-256 digest", spec);
		gnutls_free(out.data);
		return -EINVAL;
	}
	gnutls_free(out.data);
	return 0;
}

/* pin-sha256 of a certificate's SubjectPublicKeyInfo. */
static int rgm_tls_pin(gnutls_x509_crt_t crt, char *pin, size_t len)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { 0 }, dig, b64 = { 0 };
	unsigned char sha[32];
	int ret;

	ret = gnutls_pubkey_init(&pub);
	if (ret < 0)
		return ret;
	ret = gnutls_pubkey_import_x509(pub, crt, 0);
	if (ret < 0)
		goto out;
	ret = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki);
	if (ret < 0)
		goto out;
	ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, sha);
	if (ret < 0)
		goto out;
	dig.data = sha;
	dig.size = sizeof(sha);
	ret = gnutls_base64_encode2(&dig, &b64);
	if (ret < 0)
		goto out;
	snprintf(pin, len, RGM_PIN_PREFIX "%.*s", (int)b64.size, b64.data);
	ret = 0;
out:
	gnutls_free(b64.data);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	return ret;
}

int rgm_tls_cert_ids(const void *der, size_t len, char *dn, size_t dnlen, char *pin,
		     size_t pinlen)
{
	gnutls_datum_t in = { (unsigned char *)der, len }, d = { 0 };
	gnutls_x509_crt_t crt = NULL;
	int ret = -EINVAL;

	if (len > UINT_MAX || gnutls_x509_crt_init(&crt) < 0)
		return -EINVAL;
	if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_dn3(crt, &d, 0) < 0 || d.size >= dnlen ||
	    rgm_tls_pin(crt, pin, pinlen) < 0)
		goto out;
	memcpy(dn, d.data, d.size);
	dn[d.size] = '\0';
	ret = 0;
out:
	gnutls_free(d.data);
	gnutls_x509_crt_deinit(crt);
	return ret;
}

static int rgm_tls_verify(gnutls_session_t s)
{
	struct rgm_tls_conn *c = gnutls_session_get_ptr(s);
	const gnutls_datum_t *certs;
	gnutls_datum_t dn = { 0 }, msg = { 0 };
	gnutls_x509_crt_t crt = NULL;
	unsigned int status = 0, n = 0, i;
	char pin[128];
	int ret;

	/* The peer's certificate must be meant for its role (extended key
	 * usage; a certificate without the extension is good for any). */
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)(c->server ? GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER),
	};

	/* The presented key's pin first, so that a refusal can name it. */
	certs = gnutls_certificate_get_peers(s, &n);
	if (certs && n && gnutls_x509_crt_init(&crt) >= 0) {
		if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 &&
		    rgm_tls_pin(crt, pin, sizeof(pin)) >= 0)
			snprintf(c->pin, sizeof(c->pin), "%s", pin);
		gnutls_x509_crt_deinit(crt);
		crt = NULL;
	}
	c->refused = true;	/* until accepted below */

	ret = gnutls_certificate_verify_peers(s, &purpose, 1, &status);
	if (ret < 0) {
		snprintf(c->why, sizeof(c->why), "certificate verification failed: %s",
			 gnutls_strerror(ret));
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	if (status) {
		/* Covers unknown CA, bad signature, expired, not yet valid. */
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
								 &msg, 0) >= 0) {
			snprintf(c->why, sizeof(c->why), "%.*s", (int)msg.size, msg.data);
			gnutls_free(msg.data);
		} else {
			snprintf(c->why, sizeof(c->why), "certificate not valid (status 0x%x)",
				 status);
		}
		return GNUTLS_E_CERTIFICATE_ERROR;
	}

	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n) {
		snprintf(c->why, sizeof(c->why), "peer sent no certificate");
		return GNUTLS_E_NO_CERTIFICATE_FOUND;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0 ||
	    rgm_tls_pin(crt, pin, sizeof(pin)) < 0) {
		snprintf(c->why, sizeof(c->why), "cannot read the peer certificate");
		ret = GNUTLS_E_CERTIFICATE_ERROR;
		goto out;
	}

	if (!c->tls->n_allow) {
		snprintf(c->peer, sizeof(c->peer), "%.*s", (int)dn.size, dn.data);
		c->refused = false;
		ret = 0;
		goto out;
	}
	for (i = 0; i < c->tls->n_allow; i++) {
		const char *a = c->tls->allow[i];

		if (!strcmp(a, pin)) {
			snprintf(c->peer, sizeof(c->peer), "%s", pin);
			c->refused = false;
			ret = 0;
			goto out;
		}
		if (!strncmp(a, RGM_SUBJECT_PREFIX, strlen(RGM_SUBJECT_PREFIX))) {
			a += strlen(RGM_SUBJECT_PREFIX);
			if (strlen(a) == dn.size && !memcmp(a, dn.data, dn.size)) {
				snprintf(c->peer, sizeof(c->peer), "%s", a);
				c->refused = false;
				ret = 0;
				goto out;
			}
		}
	}
	snprintf(c->why, sizeof(c->why), "identity not on the allow list: subject '%.*s', %s",
		 (int)dn.size, dn.data, pin);
	ret = GNUTLS_E_CERTIFICATE_ERROR;
out:
	gnutls_free(dn.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return ret;
}

int rgm_tls_load_pair(gnutls_certificate_credentials_t cred, const char *cert,
		      const char *key, char *err, size_t errlen)
{
	gnutls_datum_t c = { NULL, 0 }, k;
	size_t klen = 0;
	char *pem;
	int ret;

	/* the key through the secret-file rule; GnuTLS only sees memory */
	pem = rgm_secret_read(key, RGM_TLS_KEY_MAX, &klen, err, errlen);
	if (!pem)
		return -EPERM;
	ret = gnutls_load_file(cert, &c);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read certificate %s: %s", cert, gnutls_strerror(ret));
		rgm_secret_free(pem, klen);
		return -EINVAL;
	}
	k.data = (unsigned char *)pem;
	k.size = klen;
	ret = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	gnutls_free(c.data);
	rgm_secret_free(pem, klen);
	if (ret < 0) {
		/* The paths only: never the key's contents. */
		snprintf(err, errlen, "cannot load certificate %s with key %s: %s", cert, key,
			 gnutls_strerror(ret));
		return -EINVAL;
	}
	return 0;
}

struct rgm_tls *rgm_tls_new(const struct rgm_tls_opts *o, char *err, size_t errlen)
{
	const char *prio = o->priority ? o->priority : RGM_TLS_PRIORITY;
	const char *where = NULL;
	struct rgm_tls *t;
	unsigned int i;
	int ret;

	if (!o->cert || !o->key || !o->ca) {
		snprintf(err, errlen, "cert, key and ca are all required");
		return NULL;
	}
	if (o->n_allow > RGM_TLS_ALLOW_MAX) {
		snprintf(err, errlen, "at most %d allow entries", RGM_TLS_ALLOW_MAX);
		return NULL;
	}
	for (i = 0; i < o->n_allow; i++)
		if (rgm_tls_allow_parse(o->allow[i], err, errlen))
			return NULL;

	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->refs = 1;

	/* Atomic: the configuration server creates and frees credentials and
	 * sessions from several threads (GnuTLS's own global init is
	 * thread-safe and counted). */
	if (__atomic_fetch_add(&rgm_tls_global_refs, 1, __ATOMIC_ACQ_REL) == 0) {
		ret = gnutls_global_init();
		if (ret < 0) {
			snprintf(err, errlen, "gnutls_global_init: %s", gnutls_strerror(ret));
			goto err_global;
		}
	}
	ret = gnutls_certificate_allocate_credentials(&t->cred);
	if (ret < 0) {
		snprintf(err, errlen, "gnutls: %s", gnutls_strerror(ret));
		goto err_cred;
	}
	ret = rgm_tls_load_pair(t->cred, o->cert, o->key, err, errlen);
	if (ret < 0)
		goto err_load;
	ret = gnutls_certificate_set_x509_trust_file(t->cred, o->ca, GNUTLS_X509_FMT_PEM);
	if (ret <= 0) {
		snprintf(err, errlen, "cannot load CA %s: %s", o->ca,
			 ret < 0 ? gnutls_strerror(ret) : "no certificate in it");
		goto err_load;
	}
	gnutls_certificate_set_verify_function(t->cred, rgm_tls_verify);

	ret = gnutls_priority_init2(&t->prio, prio, &where, 0);
	if (ret < 0) {
		snprintf(err, errlen, "bad tls-priority '%s' near '%s': %s", prio,
			 where ? where : "?", gnutls_strerror(ret));
		goto err_load;
	}
	for (i = 0; i < o->n_allow; i++) {
		t->allow[i] = strdup(o->allow[i]);
		if (!t->allow[i]) {
			snprintf(err, errlen, "out of memory");
			goto err_allow;
		}
		t->n_allow++;
	}
	return t;

err_allow:
	while (t->n_allow)
		free(t->allow[--t->n_allow]);
	gnutls_priority_deinit(t->prio);
err_load:
	gnutls_certificate_free_credentials(t->cred);
err_cred:
	if (__atomic_sub_fetch(&rgm_tls_global_refs, 1, __ATOMIC_ACQ_REL) == 0)
		gnutls_global_deinit();
err_global:
	free(t);
	return NULL;
}

struct rgm_tls *rgm_tls_get(struct rgm_tls *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void rgm_tls_put(struct rgm_tls *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	while (t->n_allow)
		free(t->allow[--t->n_allow]);
	gnutls_priority_deinit(t->prio);
	gnutls_certificate_free_credentials(t->cred);
	free(t);
	if (__atomic_sub_fetch(&rgm_tls_global_refs, 1, __ATOMIC_ACQ_REL) == 0)
		gnutls_global_deinit();
}

int rgm_tls_conn_new(struct rgm_tls *t, bool server, int fd, struct rgm_tls_conn **out)
{
	/* No GNUTLS_ENABLE_EARLY_DATA: 0-RTT data is replayable. No tickets:
	 * resumption would skip the certificate check we depend on. */
	unsigned int flags = GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS;
	struct rgm_tls_conn *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = gnutls_init(&c->s, flags | (server ? GNUTLS_SERVER : GNUTLS_CLIENT));
	if (ret < 0)
		goto err_init;
	ret = gnutls_priority_set(c->s, t->prio);
	if (ret < 0)
		goto err_set;
	ret = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, t->cred);
	if (ret < 0)
		goto err_set;
	if (server) {
		gnutls_certificate_server_set_request(c->s, GNUTLS_CERT_REQUIRE);
		/* Without the CA name list a client with a certificate from
		 * another CA still sends it, and the refusal says why. */
		gnutls_certificate_send_x509_rdn_sequence(c->s, 1);
	}
	c->server = server;
	gnutls_session_set_ptr(c->s, c);
	gnutls_transport_set_int(c->s, fd);
	c->tls = rgm_tls_get(t);
	*out = c;
	return 0;

err_set:
	gnutls_deinit(c->s);
err_init:
	free(c);
	return -ENOMEM;
}

void rgm_tls_conn_free(struct rgm_tls_conn *c)
{
	if (!c)
		return;
	gnutls_deinit(c->s);
	rgm_tls_put(c->tls);
	free(c);
}

static void rgm_tls_conn_fail(struct rgm_tls_conn *c, int ret)
{
	if (c->why[0])
		return;
	switch (ret) {
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		snprintf(c->why, sizeof(c->why), "peer sent no certificate");
		break;
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PREMATURE_TERMINATION:
		snprintf(c->why, sizeof(c->why), "peer closed the connection");
		break;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
	case GNUTLS_E_WARNING_ALERT_RECEIVED:
		snprintf(c->why, sizeof(c->why), "peer sent alert: %s",
			 gnutls_alert_get_name(gnutls_alert_get(c->s)));
		break;
	default:
		snprintf(c->why, sizeof(c->why), "%s", gnutls_strerror(ret));
	}
}

int rgm_tls_conn_handshake(struct rgm_tls_conn *c)
{
	int ret;

	do {
		ret = gnutls_handshake(c->s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret) && ret != GNUTLS_E_AGAIN);
	if (ret == GNUTLS_E_AGAIN)
		return -EAGAIN;
	if (ret < 0) {
		rgm_tls_conn_fail(c, ret);
		c->peer[0] = 0;
		return ret == GNUTLS_E_CERTIFICATE_ERROR || ret == GNUTLS_E_NO_CERTIFICATE_FOUND ||
		       ret == GNUTLS_E_CERTIFICATE_REQUIRED || c->why[0] ? -EACCES : -EPROTO;
	}
	/* The callback ran and accepted; never trust a session that skipped it. */
	if (!c->peer[0]) {
		snprintf(c->why, sizeof(c->why), "peer certificate was not verified");
		return -EACCES;
	}
	return 0;
}

ssize_t rgm_tls_conn_recv(struct rgm_tls_conn *c, void *buf, size_t len)
{
	ssize_t ret;

	do {
		ret = gnutls_record_recv(c->s, buf, len);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret >= 0)
		return ret;
	if (ret == GNUTLS_E_AGAIN)
		return -EAGAIN;
	if (!gnutls_error_is_fatal(ret))	/* e.g. a post-handshake message */
		return -EAGAIN;
	rgm_tls_conn_fail(c, ret);
	return ret == GNUTLS_E_PREMATURE_TERMINATION ? -ECONNRESET : -EPROTO;
}

ssize_t rgm_tls_conn_send(struct rgm_tls_conn *c, const void *buf, size_t len)
{
	ssize_t ret;

	do {
		ret = gnutls_record_send(c->s, buf, len);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret >= 0)
		return ret;
	if (ret == GNUTLS_E_AGAIN)
		return -EAGAIN;
	rgm_tls_conn_fail(c, ret);
	return -EPIPE;
}

size_t rgm_tls_conn_pending(struct rgm_tls_conn *c)
{
	return gnutls_record_check_pending(c->s);
}

bool rgm_tls_conn_want_write(struct rgm_tls_conn *c)
{
	return gnutls_record_get_direction(c->s) == 1;
}

int rgm_tls_conn_bye(struct rgm_tls_conn *c)
{
	int ret;

	do {
		ret = gnutls_bye(c->s, GNUTLS_SHUT_WR);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret == GNUTLS_E_AGAIN)
		return -EAGAIN;
	return ret < 0 ? -EPIPE : 0;
}

const char *rgm_tls_conn_peer(const struct rgm_tls_conn *c)
{
	return c->peer[0] ? c->peer : NULL;
}

const char *rgm_tls_conn_peer_pin(const struct rgm_tls_conn *c)
{
	return c->pin[0] ? c->pin : NULL;
}

bool rgm_tls_conn_refused(const struct rgm_tls_conn *c)
{
	return c->refused;
}

const char *rgm_tls_conn_error(const struct rgm_tls_conn *c)
{
	return c->why;
}

const char *rgm_tls_conn_desc(struct rgm_tls_conn *c)
{
	char *d = gnutls_session_get_desc(c->s);

	snprintf(c->desc, sizeof(c->desc), "%s", d ? d : "?");
	gnutls_free(d);
	return c->desc;
}
