/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GnuTLS set-up shared by rgmd, `rgmctl remote` and the configuration
 * server: both ends present an X.509 certificate, both verify the other's
 * against a CA during the handshake (a bad certificate fails the handshake
 * itself, nothing is exchanged), and then match it against an allow list of
 * subject DNs or SPKI pins, still inside the handshake.
 *
 * Allow list entries:
 *   subject CN=cfg.example.net,O=Example    the RFC 4514 subject DN, exactly
 *                                          as `certtool -i` prints it
 *   pin-sha256:BASE64                      SHA-256 of the DER
 *                                          SubjectPublicKeyInfo (HPKP style,
 *                                          `certtool -i` prints it too)
 * An empty list accepts any valid certificate issued by the CA.
 *
 * A certificate with an extended key usage must allow its role: TLS WWW
 * client for the side that accepts (the agent in listen mode's peers),
 * TLS WWW server for the side that dials.
 *
 * TLS 1.3 only by default, no early data (0-RTT), no session tickets: every
 * session is a full handshake with certificate verification. Key material is
 * never logged or kept outside GnuTLS.
 */
#ifndef RGM_TLS_H
#define RGM_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RGM_TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define RGM_TLS_ALLOW_MAX	64
#define RGM_TLS_ID_MAX		512

struct rgm_tls_opts {
	const char *cert;		/* PEM certificate (chain) of this end */
	const char *key;		/* PEM private key */
	const char *ca;			/* PEM CA certificate(s) the peer must chain to */
	const char *priority;		/* NULL: RGM_TLS_PRIORITY */
	const char *allow[RGM_TLS_ALLOW_MAX];	/* entries as above */
	unsigned int n_allow;
};

/* Checks the syntax of one allow list entry. 0 or -EINVAL with a message. */
int rgm_tls_allow_parse(const char *spec, char *err, size_t errlen);

/* The RFC 4514 subject DN and the "pin-sha256:BASE64" of one DER
 * certificate, as the allow list entries name them (for servers that verify
 * peers outside rgm_tls_conn, e.g. libmicrohttpd's). 0 or -EINVAL. */
int rgm_tls_cert_ids(const void *der, size_t len, char *dn, size_t dnlen, char *pin,
		     size_t pinlen);

/* Loads a certificate (chain) and its private key into GnuTLS credentials;
 * the key file must pass rgm_secret_open's rules (else its message).
 * 0, or -EPERM / -EINVAL with a message naming the files, never the key. */
#define RGM_TLS_KEY_MAX		(64 * 1024)
struct gnutls_certificate_credentials_st;
int rgm_tls_load_pair(struct gnutls_certificate_credentials_st *cred, const char *cert,
		      const char *key, char *err, size_t errlen);

/* Loads the credentials. Refcounted: sessions hold a reference, so a reload
 * (SIGHUP) can swap in a new one while old sessions finish. */
struct rgm_tls;
struct rgm_tls *rgm_tls_new(const struct rgm_tls_opts *o, char *err, size_t errlen);
struct rgm_tls *rgm_tls_get(struct rgm_tls *t);
void rgm_tls_put(struct rgm_tls *t);

/* One TLS session over a connected, non-blocking socket (not owned). */
struct rgm_tls_conn;
int rgm_tls_conn_new(struct rgm_tls *t, bool server, int fd, struct rgm_tls_conn **out);
void rgm_tls_conn_free(struct rgm_tls_conn *c);

/* 0 when done, -EAGAIN to call again when the socket is ready (see
 * rgm_tls_conn_want_write), -EACCES when the peer was refused, -EPROTO for
 * other failures; rgm_tls_conn_error() says why. */
int rgm_tls_conn_handshake(struct rgm_tls_conn *c);
/* >0 bytes, 0 on clean close by the peer, -EAGAIN, or -EPROTO/-ECONNRESET. */
ssize_t rgm_tls_conn_recv(struct rgm_tls_conn *c, void *buf, size_t len);
/* >0 bytes written, -EAGAIN (call again with the SAME data), or an error. */
ssize_t rgm_tls_conn_send(struct rgm_tls_conn *c, const void *buf, size_t len);
/* Decrypted bytes already buffered (epoll will not report them). */
size_t rgm_tls_conn_pending(struct rgm_tls_conn *c);
/* After -EAGAIN: whether GnuTLS waits to write (else to read). */
bool rgm_tls_conn_want_write(struct rgm_tls_conn *c);
/* Sends close_notify (we write no more; the peer may still). 0, -EAGAIN
 * (call again when the socket is writable) or -EPIPE. */
int rgm_tls_conn_bye(struct rgm_tls_conn *c);

/* The verified peer identity once the handshake succeeded: the allow list
 * entry that matched ("pin-sha256:..." or the subject DN), or the subject DN
 * when the list is empty. NULL before. */
const char *rgm_tls_conn_peer(const struct rgm_tls_conn *c);
/* The pin-sha256 of the certificate the peer presented, once GnuTLS read
 * it in the handshake: the identity of an accepted peer (a calling-home
 * gateway is looked up by it), and, for a refused one, what it showed
 * (logs only: a refused pin identifies nobody). NULL when none was read. */
const char *rgm_tls_conn_peer_pin(const struct rgm_tls_conn *c);
/* Whether the handshake failed because OUR verification refused the peer's
 * certificate (CA, validity, key usage, allow list), as opposed to the peer
 * refusing ours or the connection failing. */
bool rgm_tls_conn_refused(const struct rgm_tls_conn *c);
/* Why the handshake or the session failed, "" if it did not. */
const char *rgm_tls_conn_error(const struct rgm_tls_conn *c);
/* Negotiated protocol and cipher, for logs. */
const char *rgm_tls_conn_desc(struct rgm_tls_conn *c);

#endif /* RGM_TLS_H */
