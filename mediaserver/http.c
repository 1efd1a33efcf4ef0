// SPDX-License-Identifier: GPL-2.0
/*
 * The control API over libmicrohttpd: routes, bearer token, bounded bodies,
 * JSON in and out, errors as {"error":{"status","code","message"}}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <microhttpd.h>

#include "ms.h"
#include "route.h"

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

/* What route.c decided, done. */
static enum MHD_Result do_request(struct ms_http *h, struct MHD_Connection *c,
				  const struct ms_request *r)
{
	const struct ms_title *t;
	const char *msg;
	json_object *out;
	int ret;

	switch (r->action) {
	case MS_ACT_TITLES:
		return reply_json(c, 200, ms_catalog_json(h->cat));
	case MS_ACT_PREPARE:
		t = ms_catalog_find(h->cat, r->title);
		if (!t)
			return reply_error(c, 404, "unknown-title", "no such title in the catalog");
		ret = ms_session_prepare(h->reg, t, &out, &msg);
		if (ret)
			return reply_errno(c, ret, msg);
		return reply_json(c, 201, out);
	case MS_ACT_GET:
		ret = ms_session_get(h->reg, r->id, &out, &msg);
		break;
	case MS_ACT_START:
		ret = ms_session_start(h->reg, r->id, r->dest, r->ports, r->n_ports,
				       r->duration_ms, &out, &msg);
		break;
	case MS_ACT_STOP:
	default:
		ret = ms_session_stop(h->reg, r->id, &out, &msg);
		break;
	}
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
	struct ms_request r;
	struct ms_refusal e;
	enum MHD_Result ret;
	const char *cl;
	bool auth;

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
	auth = ms_route_authorized(h->auth ? h->token_hash : NULL,
				   MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
	if (ms_route(method, url, auth, q->too_large, q->buf, q->len, &r, &e))
		return reply_error(c, e.status, e.code, e.msg);
	ret = do_request(h, c, &r);
	ms_route_release(&r);
	return ret;
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
