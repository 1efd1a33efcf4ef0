// SPDX-License-Identifier: GPL-2.0
/*
 * The portal's request codec (Documentation/portal.rst, "Routes").
 * Statuses as lib/rgm_api.c's:
 *   413  the body is larger than RGM_PORTAL_BODY_MAX;
 *   400  not one strict JSON object, or a field unknown, given twice,
 *        missing, or of the wrong JSON type;
 *   422  a value not acceptable: out of range, not an address, not an
 *        identifier, too many ports, two ports whose RTCP ports collide.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "rgm_portal_api.h"

static const char *const rgm_portal_kind_names[__RGM_PORTAL_KIND_MAX] = {
	[RGM_PORTAL_REGISTER]	= "register",
	[RGM_PORTAL_WATCH]	= "watch",
	[RGM_PORTAL_STOP]	= "stop",
	[RGM_PORTAL_REPORT]	= "report",
	[RGM_PORTAL_ANNOUNCE]	= "announce",
	[RGM_PORTAL_NEXT]	= "next",
	[RGM_PORTAL_PAIR]	= "pair",
	[RGM_PORTAL_PLAY]	= "play",
	[RGM_PORTAL_PLAY_STOP]	= "play stop",
};

const char *rgm_portal_kind_name(enum rgm_portal_kind kind)
{
	return (unsigned int)kind < __RGM_PORTAL_KIND_MAX ? rgm_portal_kind_names[kind] : "?";
}

/* Every field name the portal knows, for the duplicate scan. */
static const char *const rgm_portal_fields[] = {
	"appliance", "gateway", "gateway_type", "title", "local_addr", "ports", "lease",
	"session", "grant", "global_addr", "error", "code", "message", "complete", "wait",
	"play",
};
#define RGM_PORTAL_FIELDS_N (sizeof(rgm_portal_fields) / sizeof(rgm_portal_fields[0]))

#define ID_WHAT "1..64 characters of A-Z a-z 0-9 . _ : @ -, not starting with '-'"

static int rgm_portal_get_id(struct json_object *o, const char *key, bool required, char *buf,
			     struct rgm_json_error *err)
{
	return rgm_json_get_checked(o, key, key, required, rgm_api_id_valid, ID_WHAT, buf,
				    RGM_API_ID_MAX + 1, err);
}

/* gateway and gateway_type: 1 when one is given, 0 none, -1 both or bad. */
static int rgm_portal_get_gateway(struct json_object *o, char *gateway, char *type,
				  struct rgm_json_error *err)
{
	int g, t;

	g = rgm_portal_get_id(o, "gateway", false, gateway, err);
	if (g < 0)
		return -1;
	t = rgm_portal_get_id(o, "gateway_type", false, type, err);
	if (t < 0)
		return -1;
	if (g && t)
		return rgm_json_err(err, 422, "give only one of 'gateway' and 'gateway_type'");
	return g || t;
}

static int rgm_portal_parse_register(struct json_object *o, struct rgm_portal_register *r,
				     struct rgm_json_error *err)
{
	static const char *const fields[] = { "appliance", "gateway", "gateway_type", NULL };
	int ret;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_portal_get_id(o, "appliance", true, r->appliance, err) < 0)
		return -1;
	ret = rgm_portal_get_gateway(o, r->gateway, r->gateway_type, err);
	if (ret < 0)
		return -1;
	if (!ret)
		return rgm_json_err(err, 400, "give one of 'gateway' and 'gateway_type'");
	return 0;
}

static int rgm_portal_parse_ports(struct json_object *o, struct rgm_portal_watch *w,
				  struct rgm_json_error *err)
{
	struct json_object *a;
	char path[16];
	uint32_t p;
	size_t i, j, n;

	if (rgm_json_get(o, "ports", "ports", true, json_type_array, "an array", &a, err) < 0)
		return -1;
	n = json_object_array_length(a);
	if (!n || n > RGM_PORTAL_PORTS_MAX)
		return rgm_json_err(err, 422, "'ports' must have 1..%d entries, not %zu",
				    RGM_PORTAL_PORTS_MAX, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "ports[%zu]", i);
		if (rgm_json_uint(json_object_array_get_idx(a, i), path, 1, RGM_PORTAL_PORT_MAX,
				  &p, err) < 0)
			return -1;
		w->ports[i] = p;
		/* each port takes p (RTP) and p + 1 (RTCP) */
		for (j = 0; j < i; j++)
			if ((uint32_t)w->ports[j] + 1 >= p && p + 1 >= w->ports[j])
				return rgm_json_err(err, 422,
						    "'%s' (%u) collides with ports[%zu] (%u): "
						    "each stream takes a port and the next",
						    path, p, j, w->ports[j]);
	}
	w->n_ports = n;
	return 0;
}

static int rgm_portal_parse_watch(struct json_object *o, struct rgm_portal_watch *w,
				  struct rgm_json_error *err)
{
	static const char *const fields[] = {
		"appliance", "gateway", "gateway_type", "title", "local_addr", "ports", "lease",
		NULL
	};

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_portal_get_id(o, "appliance", true, w->appliance, err) < 0 ||
	    rgm_portal_get_gateway(o, w->gateway, w->gateway_type, err) < 0 ||
	    rgm_portal_get_id(o, "title", true, w->title, err) < 0 ||
	    rgm_json_get_addr(o, "local_addr", "local_addr", true, &w->local_addr, err) < 0 ||
	    rgm_portal_parse_ports(o, w, err) ||
	    rgm_json_get_uint(o, "lease", "lease", false, 1, RGM_API_LEASE_MAX, &w->lease,
			      err) < 0)
		return -1;
	return 0;
}

static int rgm_portal_parse_stop(struct json_object *o, struct rgm_portal_stop *s,
				 struct rgm_json_error *err)
{
	static const char *const fields[] = { "session", "complete", NULL };
	int ret;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "session", "session", true, rgm_api_session_valid,
				 "1..128 printable ASCII characters without blanks", s->session,
				 sizeof(s->session), err) < 0)
		return -1;
	ret = rgm_json_get_bool(o, "complete", "complete", &s->complete, err);
	if (ret < 0)
		return -1;
	s->has_complete = ret;
	return 0;
}

static int rgm_portal_parse_announce(struct json_object *o, struct rgm_portal_watch *w,
				     struct rgm_json_error *err)
{
	static const char *const fields[] = {
		"appliance", "gateway", "gateway_type", "local_addr", "ports", NULL
	};

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_portal_get_id(o, "appliance", true, w->appliance, err) < 0 ||
	    rgm_portal_get_gateway(o, w->gateway, w->gateway_type, err) < 0 ||
	    rgm_json_get_addr(o, "local_addr", "local_addr", true, &w->local_addr, err) < 0 ||
	    rgm_portal_parse_ports(o, w, err))
		return -1;
	return 0;
}

static int rgm_portal_parse_next(struct json_object *o, struct rgm_portal_next *n,
				 struct rgm_json_error *err)
{
	static const char *const fields[] = { "appliance", "wait", NULL };

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_portal_get_id(o, "appliance", true, n->appliance, err) < 0 ||
	    rgm_json_get_uint(o, "wait", "wait", false, 0, RGM_PORTAL_WAIT_MAX, &n->wait,
			      err) < 0)
		return -1;
	return 0;
}

static bool rgm_portal_code_valid(const char *s)
{
	return strlen(s) == RGM_PORTAL_CODE_LEN &&
	       strspn(s, "0123456789") == RGM_PORTAL_CODE_LEN;
}

static bool rgm_portal_play_id_valid(const char *s)
{
	return strlen(s) == 34 && !strncmp(s, "p-", 2) &&
	       strspn(s + 2, "0123456789abcdef") == 32;
}

static int rgm_portal_parse_pair(struct json_object *o, struct rgm_portal_pair *p,
				 struct rgm_json_error *err)
{
	static const char *const fields[] = { "code", NULL };

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "code", "code", true, rgm_portal_code_valid, "6 digits",
				 p->code, sizeof(p->code), err) < 0)
		return -1;
	return 0;
}

static int rgm_portal_parse_play(struct json_object *o, struct rgm_portal_play *p,
				 struct rgm_json_error *err)
{
	static const char *const fields[] = { "appliance", "title", NULL };

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_portal_get_id(o, "appliance", true, p->appliance, err) < 0 ||
	    rgm_portal_get_id(o, "title", true, p->title, err) < 0)
		return -1;
	return 0;
}

static int rgm_portal_parse_play_stop(struct json_object *o, struct rgm_portal_play_stop *p,
				      struct rgm_json_error *err)
{
	static const char *const fields[] = { "play", NULL };

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "play", "play", true, rgm_portal_play_id_valid,
				 "'p-' and 32 hex digits", p->play, sizeof(p->play), err) < 0)
		return -1;
	return 0;
}

static int rgm_portal_parse_report(struct json_object *o, struct rgm_portal_report *r,
				   struct rgm_json_error *err)
{
	static const char *const fields[] = {
		"session", "grant", "global_addr", "ports", "error", NULL
	};
	static const char *const efields[] = { "code", "message", NULL };
	struct json_object *ports, *e;
	const char *msg;
	char path[32];
	uint32_t v;
	size_t i, n;
	int hp, he, ret;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "session", "session", true, rgm_api_session_valid,
				 "1..128 printable ASCII characters without blanks", r->session,
				 sizeof(r->session), err) < 0 ||
	    rgm_json_get_checked(o, "grant", "grant", true, rgm_api_grant_valid,
				 "the grant of the watch reply", r->grant, sizeof(r->grant),
				 err) < 0)
		return -1;
	ret = rgm_json_get_addr(o, "global_addr", "global_addr", false, &r->global_addr, err);
	if (ret < 0)
		return -1;
	r->has_global_addr = ret;
	hp = rgm_json_get(o, "ports", "ports", false, json_type_array, "an array", &ports, err);
	if (hp < 0)
		return -1;
	he = rgm_json_get(o, "error", "error", false, json_type_object, "an object", &e, err);
	if (he < 0)
		return -1;
	if (hp == he)
		return rgm_json_err(err, hp ? 422 : 400, "give exactly one of 'ports' and 'error'");
	if (he) {
		if (rgm_json_check_fields(e, "error.", efields, err) ||
		    rgm_json_get_checked(e, "code", "error.code", true, rgm_api_code_valid,
					 "1..32 of a-z and '-'", r->error_code,
					 sizeof(r->error_code), err) < 0 ||
		    rgm_json_get_string(e, "message", "error.message", true, &msg, err) < 0)
			return -1;
		snprintf(r->error_msg, sizeof(r->error_msg), "%s", msg);
		return 0;
	}
	n = json_object_array_length(ports);
	if (!n || n > RGM_PORTAL_PORTS_MAX)
		return rgm_json_err(err, 422, "'ports' must have 1..%d entries",
				    RGM_PORTAL_PORTS_MAX);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "ports[%zu]", i);
		if (rgm_json_uint(json_object_array_get_idx(ports, i), path, 1,
				  RGM_PORTAL_PORT_MAX, &v, err) < 0)
			return -1;
		r->ports[i] = v;
	}
	r->n_ports = n;
	return 0;
}

int rgm_portal_parse(enum rgm_portal_kind kind, const char *body, size_t len,
		     struct rgm_portal_req *req, struct rgm_json_error *err)
{
	struct json_object *o = NULL;
	int ret = -1;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	req->kind = kind;
	if (rgm_json_parse_object(body, len, RGM_PORTAL_BODY_MAX, RGM_PORTAL_DEPTH_MAX,
				  rgm_portal_fields, RGM_PORTAL_FIELDS_N, &o, err))
		goto out;
	switch (kind) {
	case RGM_PORTAL_REGISTER:
		ret = rgm_portal_parse_register(o, &req->reg, err);
		break;
	case RGM_PORTAL_WATCH:
		ret = rgm_portal_parse_watch(o, &req->watch, err);
		break;
	case RGM_PORTAL_STOP:
		ret = rgm_portal_parse_stop(o, &req->stop, err);
		break;
	case RGM_PORTAL_REPORT:
		ret = rgm_portal_parse_report(o, &req->report, err);
		break;
	case RGM_PORTAL_ANNOUNCE:
		ret = rgm_portal_parse_announce(o, &req->announce, err);
		break;
	case RGM_PORTAL_NEXT:
		ret = rgm_portal_parse_next(o, &req->next, err);
		break;
	case RGM_PORTAL_PAIR:
		ret = rgm_portal_parse_pair(o, &req->pair, err);
		break;
	case RGM_PORTAL_PLAY:
		ret = rgm_portal_parse_play(o, &req->play, err);
		break;
	case RGM_PORTAL_PLAY_STOP:
		ret = rgm_portal_parse_play_stop(o, &req->play_stop, err);
		break;
	default:
		ret = rgm_json_err(err, 500, "unknown request kind %d", kind);
	}
out:
	json_object_put(o);
	if (ret < 0) {
		/* the caller may have seen a half-filled struct: leave nothing */
		memset(req, 0, sizeof(*req));
		req->kind = kind;
		return -1;
	}
	return 0;
}
