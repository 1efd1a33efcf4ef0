// SPDX-License-Identifier: GPL-2.0
/*
 * confserver.conf: "key = value" lines, '#' starts a comment. Strict: an
 * unknown key, a bad value, a key given twice or a missing required key is
 * an error naming FILE:LINE, so a typo never leaves a default in place
 * silently. --check-config also loads every certificate and key
 * (cs_conf_check_files), so a restart with a broken file is refused before
 * the running daemon is stopped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "confserver.h"
#include "rgm_conf.h"
#include "rgm_secret.h"
#include "rgm_tls.h"

#define CS_CONF_LINE_MAX	4096
#define CS_CONF_FILE_MAX	(1024 * 1024)	/* a PEM file larger than this is not one */

static int cs_role_parse(const char *s)
{
	if (!strcmp(s, "portal"))
		return CS_ROLE_PORTAL;
	if (!strcmp(s, "operator"))
		return CS_ROLE_OPERATOR;
	return -1;
}

static int conf_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int conf_uint(const char *key, const char *v, unsigned int min, unsigned int max,
		     unsigned int *out, char *err, size_t errlen)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || errno || n < min || n > max)
		return conf_err(err, errlen, "%s: '%s' is not a number in %u..%u", key, v, min,
				max);
	*out = n;
	return 0;
}

static int conf_str(const char *key, const char *v, unsigned int line, struct cs_conf_str *s,
		    char *err, size_t errlen)
{
	if (s->v)
		return conf_err(err, errlen, "%s given twice (first on line %u)", key, s->line);
	s->v = strdup(v);
	if (!s->v)
		return conf_err(err, errlen, "%s: out of memory", key);
	s->line = line;
	return 0;
}

/* ADDR:PORT or [ADDR6]:PORT, the address numeric (it is bound). */
static int conf_sockaddr(const char *key, const char *v, struct sockaddr_storage *ss,
			 socklen_t *len, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *h = v;
	unsigned int port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (*v == '[') {
		const char *close = strchr(v, ']');

		if (!close || close[1] != ':')
			goto bad;
		h = v + 1;
		n = close - h;
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || strchr(v, ':') != colon)
			goto bad;
		n = colon - v;
	}
	if (!n || n >= sizeof(host))
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon[1] == '0' || conf_uint(key, colon + 1, 1, 65535, &port, err, errlen))
		goto bad;
	if (*v != '[') {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	}
	return 0;
bad:
	return conf_err(err, errlen,
			"%s: '%s' is not ADDR:PORT or [ADDR6]:PORT (a numeric address, port "
			"1..65535)", key, v);
}

static bool conf_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int conf_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* token = NAME ROLE sha256:HEX */
static int conf_token(struct cs_conf *c, const char *v, char *err, size_t errlen)
{
	char name[128], role[32], hash[128], extra[2];
	struct cs_token *t;
	unsigned int i;
	int r;

	if (sscanf(v, "%127s %31s %127s %1s", name, role, hash, extra) != 3)
		return conf_err(err, errlen, "token: '%s' is not 'NAME ROLE sha256:HEX'", v);
	if (!rgm_api_id_valid(name))
		return conf_err(err, errlen,
				"token: name '%s' must be 1..%d of A-Z a-z 0-9 . _ : @ -", name,
				RGM_API_ID_MAX);
	r = cs_role_parse(role);
	if (r < 0)
		return conf_err(err, errlen, "token: role '%s' is not portal or operator", role);
	if (strncmp(hash, "sha256:", 7) || strlen(hash + 7) != 64)
		return conf_err(err, errlen,
				"token: '%s' is not sha256: and 64 hex digits (the SHA-256 of the "
				"token, e.g. from `printf %%s TOKEN | sha256sum`)", hash);
	if (c->n_tokens == CS_TOKENS_MAX)
		return conf_err(err, errlen, "token: more than %d tokens", CS_TOKENS_MAX);
	for (i = 0; i < c->n_tokens; i++)
		if (!strcmp(c->tokens[i].name, name))
			return conf_err(err, errlen, "token: name '%s' is given twice", name);
	t = &c->tokens[c->n_tokens];
	for (i = 0; i < 32; i++) {
		int hi = conf_hex(hash[7 + 2 * i]), lo = conf_hex(hash[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return conf_err(err, errlen, "token: '%s' has a character that is not hex",
					hash);
		t->sha256[i] = hi << 4 | lo;
	}
	strcpy(t->name, name);
	t->role = r;
	c->n_tokens++;
	return 0;
}

/* portal-cert = ROLE ENTRY */
static int conf_portal_cert(struct cs_conf *c, const char *v, char *err, size_t errlen)
{
	char role[32], msg[256];
	const char *entry;
	size_t n = strcspn(v, " \t");
	int r;

	if (n >= sizeof(role) || !v[n])
		return conf_err(err, errlen,
				"portal-cert: '%s' is not 'ROLE subject DN' or 'ROLE pin-sha256:BASE64'",
				v);
	memcpy(role, v, n);
	role[n] = '\0';
	r = cs_role_parse(role);
	if (r < 0)
		return conf_err(err, errlen, "portal-cert: role '%s' is not portal or operator",
				role);
	entry = v + n + strspn(v + n, " \t");
	if (rgm_tls_allow_parse(entry, msg, sizeof(msg)))
		return conf_err(err, errlen, "portal-cert: %s", msg);
	if (strlen(entry) >= sizeof(c->certs[0].entry))
		return conf_err(err, errlen, "portal-cert: entry too long");
	if (c->n_certs == CS_PORTAL_CERTS_MAX)
		return conf_err(err, errlen, "portal-cert: more than %d entries",
				CS_PORTAL_CERTS_MAX);
	c->certs[c->n_certs].role = r;
	strcpy(c->certs[c->n_certs].entry, entry);
	c->n_certs++;
	return 0;
}

/* gateway-type = TYPE driver NAME [strategy S] */
static int conf_gw_type(struct cs_conf *c, const char *v, char *err, size_t errlen)
{
	char w[5][128], extra[2];
	struct cs_gw_type *t;
	unsigned int i;
	int n, s = CS_STRATEGY_QUERY_FIRST;

	n = sscanf(v, "%127s %127s %127s %127s %127s %1s", w[0], w[1], w[2], w[3], w[4], extra);
	if ((n != 3 && n != 5) || strcmp(w[1], "driver") || (n == 5 && strcmp(w[3], "strategy")))
		return conf_err(err, errlen,
				"gateway-type: '%s' is not 'TYPE driver NAME [strategy S]'", v);
	if (!rgm_api_id_valid(w[0]))
		return conf_err(err, errlen,
				"gateway-type: type '%s' must be 1..%d of A-Z a-z 0-9 . _ : @ -",
				w[0], RGM_API_ID_MAX);
	for (i = 0; i < c->n_types; i++)
		if (!strcmp(c->types[i].type, w[0]))
			return conf_err(err, errlen, "gateway-type: type '%s' is given twice",
					w[0]);
	if (c->n_types == CS_GW_TYPES_MAX)
		return conf_err(err, errlen, "gateway-type: more than %d types",
				CS_GW_TYPES_MAX);
	t = &c->types[c->n_types];
	t->driver = cs_driver_find(w[2]);
	if (!t->driver) {
		char names[256] = "";
		size_t len = 0;

		for (i = 0; cs_drivers[i]; i++)
			len += snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0,
					"%s%s", i ? ", " : "", cs_drivers[i]->name);
		return conf_err(err, errlen, "gateway-type: no driver '%s' (known: %s)", w[2],
				names);
	}
	if (n == 5) {
		s = cs_strategy_parse(w[4]);
		if (s < 0)
			return conf_err(err, errlen,
					"gateway-type: strategy '%s' is not query-first, propose, "
					"gateway-chooses or reserve-commit", w[4]);
	}
	strcpy(t->type, w[0]);
	t->strategy = s;
	c->n_types++;
	return 0;
}

static int conf_key(struct cs_conf *c, const char *key, const char *v, unsigned int line,
		    char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "db", offsetof(struct cs_conf, db) },
		{ "listen", offsetof(struct cs_conf, listen) },
		{ "http-cert", offsetof(struct cs_conf, http_cert) },
		{ "http-key", offsetof(struct cs_conf, http_key) },
		{ "portal-ca", offsetof(struct cs_conf, portal_ca) },
		{ "gateway-cert", offsetof(struct cs_conf, gateway_cert) },
		{ "gateway-key", offsetof(struct cs_conf, gateway_key) },
		{ "gateway-ca", offsetof(struct cs_conf, gateway_ca) },
		{ "call-home-listen", offsetof(struct cs_conf, callhome_listen) },
		{ "grant-key", offsetof(struct cs_conf, grant_key) },
	};
	static const struct {
		const char *key;
		size_t off;
		unsigned int min, max;
	} nums[] = {
		{ "connect-timeout", offsetof(struct cs_conf, connect_timeout), 1, 300 },
		{ "request-timeout", offsetof(struct cs_conf, request_timeout), 1, 600 },
		{ "idle-timeout", offsetof(struct cs_conf, idle_timeout), 1, 86400 },
		{ "max-connections", offsetof(struct cs_conf, max_connections), 1, 65536 },
		{ "call-home-fd-reserve", offsetof(struct cs_conf, callhome_fd_reserve), 16,
		  1048576 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		struct cs_conf_str *s = (void *)((char *)c + strs[i].off);

		if (strcmp(key, strs[i].key))
			continue;
		if (conf_str(key, v, line, s, err, errlen))
			return -EINVAL;
		if (!strcmp(key, "listen"))
			return conf_sockaddr(key, v, &c->listen_addr, &c->listen_len, err, errlen);
		if (!strcmp(key, "call-home-listen")) {
			struct sockaddr_storage ss;
			socklen_t len;

			return conf_sockaddr(key, v, &ss, &len, err, errlen);
		}
		return 0;
	}
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (!strcmp(key, nums[i].key))
			return conf_uint(key, v, nums[i].min, nums[i].max,
					 (unsigned int *)((char *)c + nums[i].off), err, errlen);
	if (!strcmp(key, "insecure-http")) {
		if (c->insecure_line)
			return conf_err(err, errlen, "insecure-http given twice (first on line %u)",
					c->insecure_line);
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return conf_err(err, errlen, "insecure-http: '%s' is not yes or no", v);
		c->insecure_http = !strcmp(v, "yes");
		c->insecure_line = line;
		return 0;
	}
	if (!strcmp(key, "token"))
		return conf_token(c, v, err, errlen);
	if (!strcmp(key, "portal-cert"))
		return conf_portal_cert(c, v, err, errlen);
	if (!strcmp(key, "gateway-type"))
		return conf_gw_type(c, v, err, errlen);
	return -ENOENT;
}

/* Whole-file rules once every line is read; err gets "LINE: msg" or "msg". */
static int conf_validate(struct cs_conf *c, char *err, size_t errlen)
{
	if (!c->listen.v)
		return conf_err(err, errlen, "listen is required (ADDR:PORT of the portal API)");
	if (c->insecure_http) {
		if (!conf_loopback(&c->listen_addr))
			return conf_err(err, errlen,
					"%u: insecure-http needs a loopback listen address (listen "
					"is %s): plain HTTP carries bearer tokens in clear",
					c->insecure_line, c->listen.v);
	} else if (!c->http_cert.v || !c->http_key.v) {
		return conf_err(err, errlen,
				"http-cert and http-key are required (or insecure-http = yes with "
				"a loopback listen address)");
	}
	if (!!c->http_cert.v != !!c->http_key.v)
		return conf_err(err, errlen, "http-cert and http-key go together");
	if (c->n_certs && !c->portal_ca.v)
		return conf_err(err, errlen,
				"portal-cert needs portal-ca (the CA portal certificates chain to)");
	if (c->portal_ca.v && !c->n_certs)
		return conf_err(err, errlen,
				"%u: portal-ca without any portal-cert entry: no certificate "
				"would be accepted (name them by subject or pin)", c->portal_ca.line);
	if (c->portal_ca.v && c->insecure_http)
		return conf_err(err, errlen,
				"%u: portal-ca needs HTTPS: client certificates do not exist in "
				"plain HTTP", c->portal_ca.line);
	if (!c->n_tokens && !c->n_certs)
		return conf_err(err, errlen,
				"no token and no portal-cert: no portal could authenticate");
	if (!c->gateway_cert.v || !c->gateway_key.v || !c->gateway_ca.v)
		return conf_err(err, errlen,
				"gateway-cert, gateway-key and gateway-ca are required (our "
				"identity towards rgmd and the CA of the gateways)");
	if (!cs_driver_find(CS_DEFAULT_DRIVER))
		return conf_err(err, errlen, "the default driver '%s' is not built in",
				CS_DEFAULT_DRIVER);
	return 0;
}

static void conf_defaults(struct cs_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout = 5;
	c->request_timeout = 10;
	c->idle_timeout = 300;
	c->max_connections = 256;
	c->callhome_fd_reserve = CS_FDRES_DEFAULT;
}

static int conf_key_fn(void *priv, const char *key, const char *val, unsigned int line,
		       char *msg, size_t msglen)
{
	return conf_key(priv, key, val, line, msg, msglen);
}

int cs_conf_load(struct cs_conf *c, const char *path, char *err, size_t errlen)
{
	char msg[512];

	conf_defaults(c);
	c->path = strdup(path);
	if (!c->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (rgm_conf_read(path, CS_CONF_LINE_MAX, conf_key_fn, c, err, errlen))
		return -1;
	msg[0] = '\0';
	if (conf_validate(c, msg, sizeof(msg))) {
		/* messages that know their line start with it */
		snprintf(err, errlen, "%s%s%s", path, isdigit((unsigned char)msg[0]) ? ":" : ": ",
			 msg);
		return -1;
	}
	if (!c->db.v && conf_str("db", CS_DB_DEFAULT, 0, &c->db, err, errlen))
		return -1;
	return 0;
}

char *cs_conf_read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		fclose(f);
		errno = EFBIG;
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, st.st_size, f);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* FILE:LINE: prefix for a file named by key s. */
static int conf_file_err(const struct cs_conf *c, const struct cs_conf_str *s, char *err,
			 size_t errlen, const char *what, const char *why)
{
	snprintf(err, errlen, "%s:%u: %s: %s", c->path, s->line, what, why);
	return -1;
}

static int conf_check_secret(const struct cs_conf *c, const struct cs_conf_str *s, char *err,
			     size_t errlen)
{
	char why[400];

	if (!rgm_secret_check(s->v, why, sizeof(why)))
		return 0;
	if (s->line)
		snprintf(err, errlen, "%s:%u: %s", c->path, s->line, why);
	else	/* the default db: no line names it */
		snprintf(err, errlen, "%s: db: %s", c->path, why);
	return -1;
}

static int conf_check_pair(const struct cs_conf *c, const struct cs_conf_str *cert,
			   const struct cs_conf_str *key, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	char why[512];
	int ret;

	/* the key file under the rule the daemon loads it with */
	if (conf_check_secret(c, key, err, errlen))
		return -1;
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return conf_file_err(c, cert, err, errlen, cert->v, "out of memory");
	ret = gnutls_certificate_set_x509_key_file(cred, cert->v, key->v, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (ret < 0) {
		/* the paths only, never key material */
		snprintf(why, sizeof(why), "cannot load it with key %s: %s", key->v,
			 gnutls_strerror(ret));
		return conf_file_err(c, cert, err, errlen, cert->v, why);
	}
	return 0;
}

static int conf_check_ca(const struct cs_conf *c, const struct cs_conf_str *ca, char *err,
			 size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	int ret;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return conf_file_err(c, ca, err, errlen, ca->v, "out of memory");
	ret = gnutls_certificate_set_x509_trust_file(cred, ca->v, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (ret <= 0)
		return conf_file_err(c, ca, err, errlen, ca->v,
				     ret < 0 ? gnutls_strerror(ret) : "no certificate in it");
	return 0;
}

int cs_conf_check_files(const struct cs_conf *c, char *err, size_t errlen)
{
	int ret = 0;

	if (gnutls_global_init() < 0) {
		snprintf(err, errlen, "gnutls_global_init failed");
		return -1;
	}
	if (c->http_cert.v && conf_check_pair(c, &c->http_cert, &c->http_key, err, errlen))
		ret = -1;
	else if (c->portal_ca.v && conf_check_ca(c, &c->portal_ca, err, errlen))
		ret = -1;
	else if (conf_check_pair(c, &c->gateway_cert, &c->gateway_key, err, errlen))
		ret = -1;
	else if (conf_check_ca(c, &c->gateway_ca, err, errlen))
		ret = -1;
	else if (c->grant_key.v && conf_check_secret(c, &c->grant_key, err, errlen))
		ret = -1;
	/* a database not created yet is fine: serve creates it 0600 */
	else if (access(c->db.v, F_OK) == 0 && conf_check_secret(c, &c->db, err, errlen))
		ret = -1;
	gnutls_global_deinit();
	return ret;
}

void cs_conf_gw_type(const struct cs_conf *c, const char *type, struct cs_gw_type *out)
{
	unsigned int i;

	for (i = 0; i < c->n_types; i++) {
		if (!strcmp(c->types[i].type, type)) {
			*out = c->types[i];
			return;
		}
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->type, sizeof(out->type), "%s", type);
	out->driver = cs_driver_find(CS_DEFAULT_DRIVER);
	out->strategy = CS_STRATEGY_QUERY_FIRST;
}

void cs_conf_free(struct cs_conf *c)
{
	struct cs_conf_str *strs[] = {
		&c->db, &c->listen, &c->http_cert, &c->http_key, &c->portal_ca,
		&c->gateway_cert, &c->gateway_key, &c->gateway_ca, &c->callhome_listen,
		&c->grant_key,
	};
	unsigned int i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]->v);
	free(c->path);
	/* the token hashes are not secrets, but no reason to leave them about */
	gnutls_memset(c->tokens, 0, sizeof(c->tokens));
	memset(c, 0, sizeof(*c));
}
