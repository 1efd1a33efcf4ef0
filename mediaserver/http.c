// SPDX-License-Identifier: GPL-2.0
/*
 * The control API over libmicrohttpd: routes, bearer token, bounded bodies,
 * JSON in and out, errors as {"error":{"status","code","message"}}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <microhttpd.h>

#include "ms.h"
#include "rgm_json.h"

struct ms_http {
	struct MHD_Daemon *d;
	const struct ms_catalog *cat;
	struct ms_registry *reg;
	bool auth;
	unsigned char token_hash[32];
};

/* One request's body, up to MS_BODY_MAX bytes. */
struct req {
	size_t len;
	bool too_large;
	char buf[];
};

static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned int status, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	json_object_put(o);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned int status,
				   const char *code, const char *msg)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "status", json_object_new_int((int)status));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return reply_json(c, status, o);
}

static enum MHD_Result reply_errno(struct MHD_Connection *c, int err, const char *msg)
{
	switch (err) {
	case -ENOENT:
		return reply_error(c, 404, "unknown-stream", msg);
	case -EBUSY:
		return reply_error(c, 409, "conflict", msg);
	case -EINVAL:
		return reply_error(c, 400, "bad-request", msg);
	case -EADDRINUSE:
	case -EAGAIN:
		return reply_error(c, 503, "unavailable", msg);
	default:
		return reply_error(c, 500, "internal", msg);
	}
}

static bool authorized(struct ms_http *h, struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	unsigned char dig[32], diff = 0;
	unsigned int i;

	if (!h->auth)
		return true;
	if (!v || strncmp(v, "Bearer ", 7))
		return false;
	/* compare digests: constant time, whatever the token's length */
	gnutls_hash_fast(GNUTLS_DIG_SHA256, v + 7, strlen(v + 7), dig);
	for (i = 0; i < sizeof(dig); i++)
		diff |= dig[i] ^ h->token_hash[i];
	return diff == 0;
}

/*
 * Parses body as one JSON object whose fields are all in allowed[]; on
 * failure *msg names what is wrong.
 */
static json_object *parse_body(const struct req *q, const char *const *allowed, unsigned int n,
			       const char **msg)
{
	struct json_tokener *tok = json_tokener_new_ex(RGM_JSON_DEPTH_LIMIT);
	json_object *o = NULL;
	const char *dup = NULL;
	unsigned int i;

	if (!tok)
		return *msg = "out of memory", NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (q && q->len)
		o = json_tokener_parse_ex(tok, q->buf, (int)q->len);
	if (o && json_tokener_get_parse_end(tok) != q->len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    rgm_json_scan(q->buf, q->len, allowed, n, &dup)) {
		json_object_put(o);
		return *msg = "body is not a JSON object", NULL;
	}
	if (dup) {
		json_object_put(o);
		return *msg = "a field is given twice", NULL;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; i < n && strcmp(key, allowed[i]); i++)
			;
		if (i == n) {
			json_object_put(o);
			return *msg = "unknown field in body", NULL;
		}
	}
	return o;
}

static enum MHD_Result do_prepare(struct ms_http *h, struct MHD_Connection *c, struct req *q)
{
	static const char *const fields[] = { "title" };
	const struct ms_title *t;
	json_object *body, *v, *out;
	const char *msg;
	int ret;

	body = parse_body(q, fields, 1, &msg);
	if (!body)
		return reply_error(c, 400, "bad-request", msg);
	if (!json_object_object_get_ex(body, "title", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		json_object_put(body);
		return reply_error(c, 400, "bad-request", "\"title\" (string) is required");
	}
	t = ms_catalog_find(h->cat, json_object_get_string(v));
	json_object_put(body);
	if (!t)
		return reply_error(c, 404, "unknown-title", "no such title in the catalog");
	ret = ms_session_prepare(h->reg, t, &out, &msg);
	if (ret)
		return reply_errno(c, ret, msg);
	return reply_json(c, 201, out);
}

static enum MHD_Result do_start(struct ms_http *h, struct MHD_Connection *c, const char *id,
				struct req *q)
{
	static const char *const fields[] = { "dest_addr", "ports", "duration_ms" };
	uint16_t ports[MS_MAX_MEDIA];
	json_object *body, *v, *out;
	struct in_addr dest;
	uint64_t dur = 0;
	const char *msg;
	size_t i, n = 0;
	int64_t x;
	int ret;

	body = parse_body(q, fields, 3, &msg);
	if (!body)
		return reply_error(c, 400, "bad-request", msg);
	msg = NULL;
	if (!json_object_object_get_ex(body, "dest_addr", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    inet_pton(AF_INET, json_object_get_string(v), &dest) != 1)
		msg = "\"dest_addr\" must be an IPv4 address";
	else if (!json_object_object_get_ex(body, "ports", &v) ||
		 !json_object_is_type(v, json_type_array) ||
		 (n = json_object_array_length(v)) == 0 || n > MS_MAX_MEDIA)
		msg = "\"ports\" must be an array of 1 to 4 ports";
	if (!msg) {
		for (i = 0; i < n && !msg; i++) {
			json_object *p = json_object_array_get_idx(v, i);

			x = json_object_get_int64(p);
			if (!json_object_is_type(p, json_type_int) || x < 1 || x > 65534)
				msg = "\"ports\": each port must be 1-65534 (RTCP uses port+1)";
			else
				ports[i] = (uint16_t)x;
		}
	}
	if (!msg && json_object_object_get_ex(body, "duration_ms", &v)) {
		x = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || x < 1 || x > 86400000)
			msg = "\"duration_ms\" must be 1 to 86400000";
		else
			dur = (uint64_t)x;
	}
	json_object_put(body);
	if (msg)
		return reply_error(c, 400, "bad-request", msg);
	ret = ms_session_start(h->reg, id, dest, ports, (unsigned int)n, dur, &out, &msg);
	if (ret)
		return reply_errno(c, ret, msg);
	return reply_json(c, 200, out);
}

/* Routes /v1/streams/ID[/ACTION]; the id is copied out of the URL. */
static enum MHD_Result do_stream(struct ms_http *h, struct MHD_Connection *c, const char *method,
				 const char *rest, struct req *q)
{
	const char *slash = strchr(rest, '/'), *action = slash ? slash + 1 : "", *msg;
	size_t idlen = slash ? (size_t)(slash - rest) : strlen(rest);
	json_object *out;
	char id[32];
	int ret;

	if (idlen == 0 || idlen >= sizeof(id))
		return reply_error(c, 404, "unknown-stream", "no such stream");
	memcpy(id, rest, idlen);
	id[idlen] = 0;
	if (!strcmp(method, "GET") && !slash)
		ret = ms_session_get(h->reg, id, &out, &msg);
	else if (!strcmp(method, "POST") && !strcmp(action, "start"))
		return do_start(h, c, id, q);
	else if (!strcmp(method, "POST") && !strcmp(action, "stop"))
		ret = ms_session_stop(h->reg, id, &out, &msg);
	else
		return reply_error(c, 404, "not-found", "no such route");
	if (ret)
		return reply_errno(c, ret, msg);
	return reply_json(c, 200, out);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **ctx)
{
	struct ms_http *h = cls;
	struct req *q = *ctx;
	const char *cl;

	if (!q) {
		/* first call: headers only; refuse a large body before reading it */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		q = calloc(1, sizeof(*q) + MS_BODY_MAX + 1);
		if (!q)
			return MHD_NO;
		if (cl && strtoull(cl, NULL, 10) > MS_BODY_MAX)
			q->too_large = true;
		*ctx = q;
		return MHD_YES;
	}
	if (*size) {
		if (q->too_large || *size > MS_BODY_MAX - q->len)
			q->too_large = true;
		else
			memcpy(q->buf + q->len, data, *size);
		if (!q->too_large)
			q->len += *size;
		*size = 0;
		return MHD_YES;
	}
	q->buf[q->len] = 0;
	if (q->too_large)
		return reply_error(c, 413, "too-large", "request body over 65536 bytes");
	if (!authorized(h, c))
		return reply_error(c, 401, "unauthorized", "missing or wrong bearer token");
	if (!strcmp(url, "/v1/titles") && !strcmp(method, "GET"))
		return reply_json(c, 200, ms_catalog_json(h->cat));
	if (!strcmp(url, "/v1/streams") && !strcmp(method, "POST"))
		return do_prepare(h, c, q);
	if (!strncmp(url, "/v1/streams/", 12))
		return do_stream(h, c, method, url + 12, q);
	return reply_error(c, 404, "not-found", "no such route");
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx,
		      enum MHD_RequestTerminationCode toe)
{
	free(*ctx);
	*ctx = NULL;
}

struct ms_http *ms_http_new(const struct sockaddr_in *listen, const struct ms_catalog *cat,
			    struct ms_registry *r, const char *token)
{
	struct ms_http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cat = cat;
	h->reg = r;
	if (token) {
		h->auth = true;
		gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), h->token_hash);
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
				NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)listen,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				/* one address (a slowloris) cannot hold every slot */
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)32,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				MHD_OPTION_END);
	if (!h->d) {
		free(h);
		return NULL;
	}
	return h;
}

void ms_http_free(struct ms_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
