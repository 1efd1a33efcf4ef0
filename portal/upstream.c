// SPDX-License-Identifier: GPL-2.0
/*
 * The portal's clients of the configuration server (HTTPS, our CA, a bearer
 * token) and the media server (HTTP, an optional bearer token), with
 * libcurl. Every call is bounded: connect 3 s, whole call 15 s, reply 64 KiB;
 * no proxy from the environment, no redirects. Each call uses its own easy
 * handle, so connection threads never share one.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "portal.h"
#include "rgm_secret.h"

/* Setup */

static bool portal_up_loopback(const char *host)
{
	struct in_addr a;

	if (!strcmp(host, "[::1]"))
		return true;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static int portal_up_check_url(const char *url, bool tls_required, char *base, size_t size,
			       char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL, *path = NULL, *port = NULL, *extra = NULL;
	CURLUPart parts[] = { CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_QUERY,
			      CURLUPART_FRAGMENT };
	CURLU *u = curl_url();
	unsigned int i;
	int ret = -1;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0)) {
		snprintf(err, errlen, "%s: not a URL", url);
		goto out;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!curl_url_get(u, parts[i], &extra, 0)) {
			/* tokens go in files, not in URLs that end up in logs */
			snprintf(err, errlen, "%s: give scheme://host[:port] only", url);
			curl_free(extra);
			goto out;
		}
	}
	if (strcmp(path, "/")) {
		snprintf(err, errlen, "%s: give scheme://host[:port] only (no path)", url);
		goto out;
	}
	if (strcmp(scheme, "https") && strcmp(scheme, "http")) {
		snprintf(err, errlen, "%s: the scheme must be https or http", url);
		goto out;
	}
	if (tls_required && !strcmp(scheme, "http") && !portal_up_loopback(host)) {
		snprintf(err, errlen, "%s: plain http is allowed to a loopback address only "
			 "(127.0.0.0/8, [::1]): use https", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	if ((size_t)snprintf(base, size, "%s://%s%s%s", scheme, host, port ? ":" : "",
			     port ? port : "") >= size) {
		snprintf(err, errlen, "%s: too long", url);
		goto out;
	}
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(path);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

/* "Authorization: Bearer TOKEN" from the file's bytes: one line of
 * printable ASCII (it goes into a header). */
static char *portal_up_token_header(const char *path, char *buf, size_t len, char *err,
				    size_t errlen)
{
	char *tok;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (!len || len > PORTAL_TOKEN_MAX) {
		snprintf(err, errlen, "%s: the token must be 1..%d bytes on one line", path,
			 PORTAL_TOKEN_MAX);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] < 0x21 || buf[i] > 0x7e) {
			snprintf(err, errlen, "%s: the token must be printable ASCII without "
				 "blanks", path);
			return NULL;
		}
	}
	if (asprintf(&tok, "Authorization: Bearer %s", buf) < 0) {
		snprintf(err, errlen, "out of memory");
		tok = NULL;
	}
	return tok;
}

/* The token file: a secret file (rgm_secret.h). */
static char *portal_up_read_token(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf, *tok;

	buf = rgm_secret_read(path, PORTAL_TOKEN_MAX + 2, &len, err, errlen);
	if (!buf)
		return NULL;
	tok = portal_up_token_header(path, buf, len, err, errlen);
	rgm_secret_free(buf, len);
	return tok;
}

int portal_up_setup(struct portal_up *up, const char *name, const char *what, const char *url,
		    bool tls_required, const char *ca, const char *token_file, char *err,
		    size_t errlen)
{
	char base[512];

	memset(up, 0, sizeof(*up));
	up->name = name;
	up->what = what;
	if (portal_up_check_url(url, tls_required, base, sizeof(base), err, errlen))
		return -1;
	up->base = strdup(base);
	up->ca = ca ? strdup(ca) : NULL;
	if (!up->base || (ca && !up->ca)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (ca && access(ca, R_OK)) {
		snprintf(err, errlen, "%s: %s", ca, strerror(errno));
		goto fail;
	}
	if (token_file) {
		up->auth = portal_up_read_token(token_file, err, errlen);
		if (!up->auth)
			goto fail;
	}
	return 0;
fail:
	portal_up_teardown(up);
	return -1;
}

void portal_up_teardown(struct portal_up *up)
{
	if (up->auth)
		explicit_bzero(up->auth, strlen(up->auth));
	free(up->auth);
	free(up->base);
	free(up->ca);
	up->auth = up->base = up->ca = NULL;
}

/* Calls */

struct portal_up_buf {
	char *data;
	size_t len;
	bool over;
};

static size_t portal_up_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct portal_up_buf *b = arg;
	size_t n = size * nmemb;

	if (n > PORTAL_REPLY_MAX - b->len) {
		b->over = true;
		return 0;	/* libcurl aborts the transfer */
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

/* Printable ASCII of an upstream's message, for our logs and replies. */
static void portal_up_clean(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static struct json_object *portal_up_parse(const char *data, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (!len || memchr(data, '\0', len))
		return NULL;
	tok = json_tokener_new_ex(RGM_JSON_DEPTH_LIMIT);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, data, len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* A non-2xx reply: the upstream's error object passed on when it has one. */
static int portal_up_failed(const struct portal_up *up, long status, struct json_object *o,
			    struct portal_error *e)
{
	struct json_object *err, *code, *msg;
	char text[RGM_JSON_MSG_MAX], c[PORTAL_CODE_MAX];

	if (status == 401)
		/* the appliance has no credentials to fix: it is ours */
		return portal_error_set(e, 502, "", "the %s refused the portal's credentials",
					up->what);
	if (status < 400 || status > 599 || !o ||
	    !json_object_object_get_ex(o, "error", &err) ||
	    !json_object_object_get_ex(err, "code", &code) ||
	    !json_object_is_type(code, json_type_string) ||
	    !json_object_object_get_ex(err, "message", &msg) ||
	    !json_object_is_type(msg, json_type_string) ||
	    !json_object_get_string_len(code) ||
	    (size_t)json_object_get_string_len(code) >= sizeof(c))
		return portal_error_set(e, 502, "", "the %s answered HTTP %ld without an error "
					"object", up->what, status);
	snprintf(c, sizeof(c), "%s", json_object_get_string(code));
	snprintf(text, sizeof(text), "%s", json_object_get_string(msg));
	portal_up_clean(c);
	portal_up_clean(text);
	return portal_error_set(e, status, c, "%s: %s", up->what, text);
}

int portal_up_call(const struct portal_up *up, const char *method, const char *path,
		   struct json_object *req, struct json_object **reply, struct portal_error *e)
{
	struct portal_up_buf b = { 0 };
	char url[1024], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL, *h2 = NULL;
	struct json_object *o = NULL;
	const char *body = NULL;
	CURLcode rc;
	long status = 0;
	CURL *c;
	int ret = -1;

	*reply = NULL;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", up->base, path) >= sizeof(url))
		return portal_error_set(e, 500, "internal", "URL too long");
	if (req) {
		body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!body)
			return portal_error_set(e, 500, "internal", "out of memory");
	}
	b.data = malloc(PORTAL_REPLY_MAX);
	c = curl_easy_init();
	if (!b.data || !c) {
		portal_error_set(e, 500, "internal", "out of memory");
		goto out;
	}
	h = curl_slist_append(h, "Accept: application/json");
	/* no "Expect: 100-continue" round trip */
	h = h ? curl_slist_append(h2 = h, "Expect:") : NULL;
	if (h && body)
		h = curl_slist_append(h2 = h, "Content-Type: application/json");
	if (h && up->auth)
		h = curl_slist_append(h2 = h, up->auth);
	if (!h) {
		curl_slist_free_all(h2);
		portal_error_set(e, 500, "internal", "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)PORTAL_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)PORTAL_CALL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (up->ca) {
		curl_easy_setopt(c, CURLOPT_CAINFO, up->ca);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, portal_up_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (b.over)
			portal_error_set(e, 502, "", "the %s's reply is larger than %d bytes",
					 up->what, PORTAL_REPLY_MAX);
		else
			portal_error_set(e, 502, "", "the %s (%s) did not answer: %s", up->what,
					 up->base, cerr[0] ? cerr : curl_easy_strerror(rc));
		if (!b.over)
			snprintf(e->code, sizeof(e->code), "%s-unreachable", up->name);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	o = portal_up_parse(b.data, b.len);
	portal_dbg("%s %s%s -> %ld", method, up->base, path, status);
	if (status < 200 || status > 299) {
		portal_up_failed(up, status, o, e);
		goto out;
	}
	if (!o) {
		portal_error_set(e, 502, "", "the %s answered HTTP %ld without a JSON object",
				 up->what, status);
		goto out;
	}
	*reply = o;
	o = NULL;
	ret = 0;
out:
	/* our own 502s get the upstream's name: confserver-bad-reply, ... */
	if (ret && !e->code[0])
		snprintf(e->code, sizeof(e->code), "%s-%s", up->name,
			 status == 401 ? "unauthorized" : "bad-reply");
	json_object_put(o);
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	free(b.data);
	return ret;
}
