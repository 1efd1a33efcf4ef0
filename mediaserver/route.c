// SPDX-License-Identifier: GPL-2.0
/*
 * route.c - what a control API request to rgm-mediaserver asks for
 * (route.h): size limit, bearer token, route and the body's fields, all a
 * function of the request's own bytes. The catalog, the sessions and the
 * replies are http.c's.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "rgm_json.h"
#include "route.h"

bool ms_route_authorized(const unsigned char *token_hash, const char *v)
{
	unsigned char dig[32], diff = 0;
	unsigned int i;

	if (!token_hash)
		return true;
	if (!v || strncmp(v, "Bearer ", 7))
		return false;
	/* compare digests: constant time, whatever the token's length */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, v + 7, strlen(v + 7), dig) < 0)
		return false;
	for (i = 0; i < sizeof(dig); i++)
		diff |= dig[i] ^ token_hash[i];
	return diff == 0;
}

static int ms_route_refuse(struct ms_refusal *e, unsigned int status, const char *code,
			   const char *msg)
{
	e->status = status;
	e->code = code;
	e->msg = msg;
	return -1;
}

/*
 * Parses body as one JSON object whose fields are all in allowed[]; on
 * failure *msg names what is wrong.
 */
static json_object *ms_route_body(const char *body, size_t len, const char *const *allowed,
				  unsigned int n, const char **msg)
{
	struct json_tokener *tok = json_tokener_new_ex(RGM_JSON_DEPTH_LIMIT);
	json_object *o = NULL;
	const char *dup = NULL;
	unsigned int i;

	if (!tok)
		return *msg = "out of memory", NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (len)
		o = json_tokener_parse_ex(tok, body, (int)len);
	if (o && json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    rgm_json_scan(body, len, allowed, n, &dup)) {
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

static int ms_route_prepare(const char *body, size_t len, struct ms_request *r,
			    struct ms_refusal *e)
{
	static const char *const fields[] = { "title" };
	json_object *o, *v;
	const char *msg;

	o = ms_route_body(body, len, fields, 1, &msg);
	if (!o)
		return ms_route_refuse(e, 400, "bad-request", msg);
	if (!json_object_object_get_ex(o, "title", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		json_object_put(o);
		return ms_route_refuse(e, 400, "bad-request", "\"title\" (string) is required");
	}
	r->title = strdup(json_object_get_string(v));
	json_object_put(o);
	if (!r->title)
		return ms_route_refuse(e, 400, "bad-request", "out of memory");
	r->action = MS_ACT_PREPARE;
	return 0;
}

static int ms_route_start(const char *body, size_t len, struct ms_request *r,
			  struct ms_refusal *e)
{
	static const char *const fields[] = { "dest_addr", "ports", "duration_ms" };
	const char *msg = NULL;
	json_object *o, *v;
	size_t i, n = 0;
	int64_t x;

	o = ms_route_body(body, len, fields, 3, &msg);
	if (!o)
		return ms_route_refuse(e, 400, "bad-request", msg);
	msg = NULL;
	if (!json_object_object_get_ex(o, "dest_addr", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    inet_pton(AF_INET, json_object_get_string(v), &r->dest) != 1)
		msg = "\"dest_addr\" must be an IPv4 address";
	else if (!json_object_object_get_ex(o, "ports", &v) ||
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
				r->ports[i] = (uint16_t)x;
		}
	}
	if (!msg && json_object_object_get_ex(o, "duration_ms", &v)) {
		x = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || x < 1 || x > 86400000)
			msg = "\"duration_ms\" must be 1 to 86400000";
		else
			r->duration_ms = (uint64_t)x;
	}
	json_object_put(o);
	if (msg)
		return ms_route_refuse(e, 400, "bad-request", msg);
	r->n_ports = (unsigned int)n;
	r->action = MS_ACT_START;
	return 0;
}

/* /v1/streams/ID[/ACTION]; the id is copied out of the url. */
static int ms_route_stream(const char *method, const char *rest, const char *body, size_t len,
			   struct ms_request *r, struct ms_refusal *e)
{
	const char *slash = strchr(rest, '/'), *action = slash ? slash + 1 : "";
	size_t idlen = slash ? (size_t)(slash - rest) : strlen(rest);

	if (idlen == 0 || idlen > MS_ROUTE_ID_MAX)
		return ms_route_refuse(e, 404, "unknown-stream", "no such stream");
	memcpy(r->id, rest, idlen);
	r->id[idlen] = 0;
	if (!strcmp(method, "GET") && !slash) {
		r->action = MS_ACT_GET;
		return 0;
	}
	if (!strcmp(method, "POST") && !strcmp(action, "start"))
		return ms_route_start(body, len, r, e);
	if (!strcmp(method, "POST") && !strcmp(action, "stop")) {
		r->action = MS_ACT_STOP;
		return 0;
	}
	return ms_route_refuse(e, 404, "not-found", "no such route");
}

int ms_route(const char *method, const char *url, bool authorized, bool too_large,
	     const char *body, size_t len, struct ms_request *r, struct ms_refusal *e)
{
	memset(r, 0, sizeof(*r));
	if (too_large)
		return ms_route_refuse(e, 413, "too-large", "request body over 65536 bytes");
	if (!authorized)
		return ms_route_refuse(e, 401, "unauthorized", "missing or wrong bearer token");
	if (!strcmp(url, "/v1/titles") && !strcmp(method, "GET")) {
		r->action = MS_ACT_TITLES;
		return 0;
	}
	if (!strcmp(url, "/v1/streams") && !strcmp(method, "POST"))
		return ms_route_prepare(body, len, r, e);
	if (!strncmp(url, "/v1/streams/", 12))
		return ms_route_stream(method, url + 12, body, len, r, e);
	return ms_route_refuse(e, 404, "not-found", "no such route");
}

void ms_route_release(struct ms_request *r)
{
	free(r->title);
	r->title = NULL;
}
