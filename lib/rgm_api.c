// SPDX-License-Identifier: GPL-2.0
/*
 * The portal API request codec (Documentation/confserver.rst, "Portal
 * API"). Statuses:
 *   413  the body is larger than RGM_API_BODY_MAX;
 *   400  the body is not one strict JSON object, or a field is unknown,
 *        given twice, missing, or of the wrong JSON type;
 *   422  every field has the right type but a value is not acceptable:
 *        out of range, not an address, not an identifier, too many
 *        streams, a port named twice.
 * Nothing here touches the database: a refused body has no effect at all.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <linux/rgm.h>

#include "rgm_api.h"
#include "rgm_json.h"

_Static_assert(RGM_API_LEASE_MAX == RGM_LEASE_LIMIT, "lease limit drifted from the kernel's");

#define RGM_PIN_PREFIX "pin-sha256:"

static const char *const rgm_api_kind_names[__RGM_API_KIND_MAX] = {
	[RGM_API_CONFIGURE]		= "configure",
	[RGM_API_RENEW]			= "renew",
	[RGM_API_TEARDOWN]		= "teardown",
	[RGM_API_GATEWAY_ENROLL]	= "gateway-enroll",
	[RGM_API_APPLIANCE_REGISTER]	= "appliance-register",
	[RGM_API_REPORT]		= "report",
};

static const char *const rgm_gw_mode_names[__RGM_GW_MODE_MAX] = {
	[RGM_GW_LISTEN]		= "listen",
	[RGM_GW_CALL_HOME]	= "call-home",
};

const char *rgm_api_kind_name(enum rgm_api_kind kind)
{
	return (unsigned int)kind < __RGM_API_KIND_MAX ? rgm_api_kind_names[kind] : "?";
}

const char *rgm_gw_mode_name(enum rgm_gw_mode mode)
{
	return (unsigned int)mode < __RGM_GW_MODE_MAX ? rgm_gw_mode_names[mode] : "?";
}

int rgm_gw_mode_parse(const char *s)
{
	int i;

	for (i = 0; i < __RGM_GW_MODE_MAX; i++)
		if (!strcmp(s, rgm_gw_mode_names[i]))
			return i;
	return -1;
}

/* Value checks */

bool rgm_api_id_valid(const char *s)
{
	size_t i, n = strlen(s);

	/* a leading '-' would read as an option on the CLI */
	if (!n || n > RGM_API_ID_MAX || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!isascii((unsigned char)s[i]) ||
		    !(isalnum((unsigned char)s[i]) || strchr("._:@-", s[i])))
			return false;
	return true;
}

bool rgm_api_session_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > RGM_API_SESSION_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static bool rgm_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

bool rgm_api_grant_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > RGM_API_GRANT_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!rgm_b64_char(s[i]) && s[i] != '=' && s[i] != '.')
			return false;
	return true;
}

bool rgm_api_code_valid(const char *s)
{
	size_t n = strlen(s);

	return n && n <= RGM_API_CODE_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz-") == n;
}

bool rgm_api_pin_valid(const char *s)
{
	size_t p = strlen(RGM_PIN_PREFIX), i;

	if (strlen(s) != RGM_API_PIN_LEN || strncmp(s, RGM_PIN_PREFIX, p))
		return false;
	/* 32 bytes: 43 base64 characters and one "=" of padding */
	for (i = p; i < RGM_API_PIN_LEN - 1; i++)
		if (!rgm_b64_char(s[i]))
			return false;
	return s[RGM_API_PIN_LEN - 1] == '=';
}

static bool rgm_hostname_valid(const char *h, size_t n)
{
	size_t i, label = 0;

	if (!n || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (!label || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isascii((unsigned char)h[i]) ||
		    !(isalnum((unsigned char)h[i]) || h[i] == '-'))
			return false;
		if (h[i] == '-' && !label)
			return false;
		if (++label > 63)
			return false;
	}
	return label && h[n - 1] != '-';
}

bool rgm_api_endpoint_valid(const char *s)
{
	char host[RGM_API_ENDPOINT_MAX + 1], *end;
	const char *colon, *p;
	struct in6_addr a6;
	unsigned long port;
	size_t n = strlen(s);

	if (!n || n > RGM_API_ENDPOINT_MAX)
		return false;
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return false;
		memcpy(host, s + 1, colon - s - 1);
		host[colon - s - 1] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return false;
		p = colon + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', colon - s))
			return false;	/* a bare IPv6 address must be bracketed */
		if (!rgm_hostname_valid(s, colon - s))
			return false;
		p = colon + 1;
	}
	if (*p < '1' || *p > '9')
		return false;
	port = strtoul(p, &end, 10);
	return !*end && port >= 1 && port <= 65535;
}

/* Every field name the API knows, for the duplicate scan (bit = index). */
static const char *const rgm_api_fields[] = {
	"appliance", "gateway_addr", "local_addr", "lease", "streams", "type",
	"rtcp", "local_port", "server_addr", "server_port", "session", "id",
	"mode", "endpoint", "pin", "global_addr", "gateway", "gateway_type",
	"grant", "ports", "error", "code", "message",
};
#define RGM_API_FIELDS_N (sizeof(rgm_api_fields) / sizeof(rgm_api_fields[0]))
_Static_assert(RGM_API_FIELDS_N <= 32, "the duplicate scan keeps a 32-bit mask per object");

/* Field access (lib/rgm_json.c); path is the field's full name for messages:
 * "streams[1].local_port". */

static int rgm_api_get_port(struct json_object *o, const char *key, const char *path,
			    uint16_t *out, struct rgm_api_error *err)
{
	uint32_t v;
	int ret;

	ret = rgm_json_get_uint(o, key, path, true, 1, 65535, &v, err);
	if (ret > 0)
		*out = v;
	return ret;
}

#define ID_WHAT "1..64 characters of A-Z a-z 0-9 . _ : @ -, not starting with '-'"

static int rgm_api_get_type(struct json_object *o, const char *path,
			    struct rgm_api_stream *st, struct rgm_api_error *err)
{
	const char *s;

	if (rgm_json_get_string(o, "type", path, true, &s, err) < 0)
		return -1;
	if (!strcmp(s, "tcp")) {
		st->stream = RGM_STREAM_TCP;
		st->proto = IPPROTO_TCP;
	} else if (!strcmp(s, "udp")) {
		st->stream = RGM_STREAM_UDP;
		st->proto = IPPROTO_UDP;
	} else if (!strcmp(s, "rtp")) {
		st->stream = RGM_STREAM_RTP;
		st->proto = IPPROTO_UDP;
	} else {
		return rgm_json_err(err, 422, "'%s' must be \"tcp\", \"udp\" or \"rtp\"", path);
	}
	return 0;
}

/* Requests */

static int rgm_api_parse_stream(struct json_object *s, unsigned int idx,
				struct rgm_api_stream *st, struct rgm_api_error *err)
{
	static const char *const fields[] = {
		"type", "rtcp", "local_port", "server_addr", "server_port", NULL
	};
	char prefix[24], path[48];

#define P(f) (snprintf(path, sizeof(path), "%s%s", prefix, f), path)
	snprintf(prefix, sizeof(prefix), "streams[%u].", idx);
	if (!json_object_is_type(s, json_type_object))
		return rgm_json_err(err, 400, "'streams[%u]' must be an object", idx);
	if (rgm_json_check_fields(s, prefix, fields, err) ||
	    rgm_api_get_type(s, P("type"), st, err) ||
	    rgm_json_get_bool(s, "rtcp", P("rtcp"), &st->rtcp, err) < 0 ||
	    rgm_api_get_port(s, "local_port", P("local_port"), &st->local_port, err) < 0 ||
	    rgm_json_get_addr(s, "server_addr", P("server_addr"), true, &st->server_addr, err) < 0 ||
	    rgm_api_get_port(s, "server_port", P("server_port"), &st->server_port, err) < 0)
		return -1;
	if (st->rtcp) {
		if (st->stream != RGM_STREAM_RTP)
			return rgm_json_err(err, 422, "'%s' is for type \"rtp\" only", P("rtcp"));
		/* RFC 3550: RTCP on the port after RTP's */
		if (st->local_port == 65535)
			return rgm_json_err(err, 422, "'%s' leaves no port for rtcp", P("local_port"));
		if (st->server_port == 65535)
			return rgm_json_err(err, 422, "'%s' leaves no port for rtcp", P("server_port"));
	}
#undef P
	return 0;
}

/* Two streams on one local port and protocol would need one mapping each way. */
static bool rgm_api_ports_clash(const struct rgm_api_stream *a, const struct rgm_api_stream *b)
{
	unsigned int na = a->rtcp ? 2 : 1, nb = b->rtcp ? 2 : 1, i, j;

	if (a->proto != b->proto)
		return false;
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a->local_port + i == b->local_port + j)
				return true;
	return false;
}

static int rgm_api_parse_configure(struct json_object *o, struct rgm_api_configure *c,
				   struct rgm_api_error *err)
{
	static const char *const fields[] = {
		"appliance", "gateway_addr", "local_addr", "lease", "streams", NULL
	};
	struct json_object *a;
	unsigned int i, j;
	size_t n;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "appliance", "appliance", true, rgm_api_id_valid, ID_WHAT,
				c->appliance, sizeof(c->appliance), err) < 0 ||
	    rgm_json_get_addr(o, "gateway_addr", "gateway_addr", true, &c->gateway_addr, err) < 0 ||
	    rgm_json_get_addr(o, "local_addr", "local_addr", true, &c->local_addr, err) < 0 ||
	    rgm_json_get_uint(o, "lease", "lease", true, 1, RGM_API_LEASE_MAX, &c->lease, err) < 0 ||
	    rgm_json_get(o, "streams", "streams", true, json_type_array, "an array", &a, err) < 0)
		return -1;
	n = json_object_array_length(a);
	if (!n || n > RGM_API_STREAMS_MAX)
		return rgm_json_err(err, 422, "'streams' must have 1..%d entries, not %zu",
				RGM_API_STREAMS_MAX, n);
	for (i = 0; i < n; i++) {
		if (rgm_api_parse_stream(json_object_array_get_idx(a, i), i, &c->streams[i], err))
			return -1;
		for (j = 0; j < i; j++)
			if (rgm_api_ports_clash(&c->streams[j], &c->streams[i]))
				return rgm_json_err(err, 422,
						"'streams[%u].local_port' overlaps streams[%u]", i, j);
	}
	c->n_streams = n;
	return 0;
}

static int rgm_api_get_session(struct json_object *o, char *buf, struct rgm_api_error *err)
{
	return rgm_json_get_checked(o, "session", "session", true, rgm_api_session_valid,
				   "1..128 printable ASCII characters without blanks",
				   buf, RGM_API_SESSION_MAX + 1, err);
}

static int rgm_api_parse_renew(struct json_object *o, struct rgm_api_renew *r,
			       struct rgm_api_error *err)
{
	static const char *const fields[] = { "session", "lease", NULL };

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_api_get_session(o, r->session, err) < 0 ||
	    rgm_json_get_uint(o, "lease", "lease", true, 1, RGM_API_LEASE_MAX, &r->lease, err) < 0)
		return -1;
	return 0;
}

static int rgm_api_parse_teardown(struct json_object *o, struct rgm_api_teardown *t,
				  struct rgm_api_error *err)
{
	static const char *const fields[] = { "session", NULL };

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_api_get_session(o, t->session, err) < 0)
		return -1;
	return 0;
}

static int rgm_api_parse_enroll(struct json_object *o, struct rgm_api_enroll *e,
				struct rgm_api_error *err)
{
	static const char *const fields[] = {
		"id", "type", "mode", "endpoint", "pin", "global_addr", NULL
	};
	const char *mode;
	int m, ret;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "id", "id", true, rgm_api_id_valid, ID_WHAT,
				e->id, sizeof(e->id), err) < 0 ||
	    rgm_json_get_checked(o, "type", "type", true, rgm_api_id_valid, ID_WHAT,
				e->type, sizeof(e->type), err) < 0 ||
	    rgm_json_get_string(o, "mode", "mode", true, &mode, err) < 0)
		return -1;
	m = rgm_gw_mode_parse(mode);
	if (m < 0)
		return rgm_json_err(err, 422, "'mode' must be \"listen\" or \"call-home\"");
	e->mode = m;
	ret = rgm_json_get_checked(o, "endpoint", "endpoint", false, rgm_api_endpoint_valid,
				  "host:port or [IPv6]:port, port 1..65535",
				  e->endpoint, sizeof(e->endpoint), err);
	if (ret < 0)
		return -1;
	if (e->mode == RGM_GW_LISTEN && !ret)
		return rgm_json_err(err, 422, "'endpoint' is required with mode \"listen\"");
	if (e->mode == RGM_GW_CALL_HOME && ret)
		return rgm_json_err(err, 422, "'endpoint' goes with mode \"listen\" only");
	if (rgm_json_get_checked(o, "pin", "pin", true, rgm_api_pin_valid,
				"pin-sha256: and the base64 SHA-256 of the SubjectPublicKeyInfo",
				e->pin, sizeof(e->pin), err) < 0)
		return -1;
	ret = rgm_json_get_addr(o, "global_addr", "global_addr", false, &e->global_addr, err);
	if (ret < 0)
		return -1;
	e->has_global_addr = ret;
	return 0;
}

static int rgm_api_parse_register(struct json_object *o, struct rgm_api_register *r,
				  struct rgm_api_error *err)
{
	static const char *const fields[] = {
		"appliance", "gateway", "gateway_type", "gateway_addr", NULL
	};
	int g, t, ret;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_json_get_checked(o, "appliance", "appliance", true, rgm_api_id_valid, ID_WHAT,
				r->appliance, sizeof(r->appliance), err) < 0)
		return -1;
	g = rgm_json_get_checked(o, "gateway", "gateway", false, rgm_api_id_valid, ID_WHAT,
				r->gateway, sizeof(r->gateway), err);
	if (g < 0)
		return -1;
	t = rgm_json_get_checked(o, "gateway_type", "gateway_type", false, rgm_api_id_valid,
				ID_WHAT, r->gateway_type, sizeof(r->gateway_type), err);
	if (t < 0)
		return -1;
	if (g == t)
		return rgm_json_err(err, g ? 422 : 400,
				"give exactly one of 'gateway' and 'gateway_type'");
	ret = rgm_json_get_addr(o, "gateway_addr", "gateway_addr", false, &r->gateway_addr, err);
	if (ret < 0)
		return -1;
	r->has_gateway_addr = ret;
	return 0;
}

/* {"session","grant","gateway_addr","global_addr"?,"ports":[...]} or, when
 * the appliance could not program its gateway, "error":{"code","message"}
 * instead of "ports". */
static int rgm_api_parse_report(struct json_object *o, struct rgm_api_report *r,
				struct rgm_api_error *err)
{
	static const char *const fields[] = {
		"session", "grant", "gateway_addr", "global_addr", "ports", "error", NULL
	};
	static const char *const efields[] = { "code", "message", NULL };
	struct json_object *ports, *e;
	const char *msg;
	char path[32];
	uint32_t v;
	size_t i, n;
	int hp, he, ret;

	if (rgm_json_check_fields(o, "", fields, err) ||
	    rgm_api_get_session(o, r->session, err) < 0 ||
	    rgm_json_get_checked(o, "grant", "grant", true, rgm_api_grant_valid,
				 "a signed grant as the configuration server issued it",
				 r->grant, sizeof(r->grant), err) < 0 ||
	    rgm_json_get_addr(o, "gateway_addr", "gateway_addr", true, &r->gateway_addr, err) < 0)
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
	if (!n || n > RGM_API_STREAMS_MAX)
		return rgm_json_err(err, 422, "'ports' must have 1..%d entries", RGM_API_STREAMS_MAX);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "ports[%zu]", i);
		if (rgm_json_uint(json_object_array_get_idx(ports, i), path, 1, 65535, &v, err) < 0)
			return -1;
		r->ports[i] = v;
	}
	r->n_ports = n;
	return 0;
}

int rgm_api_parse(enum rgm_api_kind kind, const char *body, size_t len,
		  struct rgm_api_req *req, struct rgm_api_error *err)
{
	struct json_object *o = NULL;
	int ret = -1;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	req->kind = kind;
	if ((unsigned int)kind >= __RGM_API_KIND_MAX)
		return rgm_json_err(err, 500, "unknown request kind %d", kind);
	if (rgm_json_parse_object(body, len, RGM_API_BODY_MAX, RGM_API_DEPTH_MAX, rgm_api_fields,
				  RGM_API_FIELDS_N, &o, err))
		goto out;
	switch (kind) {
	case RGM_API_CONFIGURE:
		ret = rgm_api_parse_configure(o, &req->configure, err);
		break;
	case RGM_API_RENEW:
		ret = rgm_api_parse_renew(o, &req->renew, err);
		break;
	case RGM_API_TEARDOWN:
		ret = rgm_api_parse_teardown(o, &req->teardown, err);
		break;
	case RGM_API_GATEWAY_ENROLL:
		ret = rgm_api_parse_enroll(o, &req->enroll, err);
		break;
	case RGM_API_APPLIANCE_REGISTER:
		ret = rgm_api_parse_register(o, &req->reg, err);
		break;
	case RGM_API_REPORT:
		ret = rgm_api_parse_report(o, &req->report, err);
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

/* Builders */

static int rgm_api_add(struct json_object *o, const char *key, struct json_object *val)
{
	if (!o || !val || json_object_object_add(o, key, val)) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static struct json_object *rgm_api_addr_new(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a, s, sizeof(s)))
		return NULL;
	return json_object_new_string(s);
}

static const char *rgm_api_stream_name(uint8_t stream)
{
	switch (stream) {
	case RGM_STREAM_TCP: return "tcp";
	case RGM_STREAM_UDP: return "udp";
	case RGM_STREAM_RTP: return "rtp";
	}
	return "?";
}

static char *rgm_api_finish(struct json_object *o)
{
	const char *s;
	char *out = NULL;

	if (!o)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		out = strdup(s);
	json_object_put(o);
	return out;
}

char *rgm_api_streams_json(const struct rgm_api_configure *c)
{
	struct json_object *a = json_object_new_array(), *s;
	unsigned int i;

	for (i = 0; a && i < c->n_streams; i++) {
		const struct rgm_api_stream *st = &c->streams[i];

		s = json_object_new_object();
		if (rgm_api_add(s, "type", json_object_new_string(rgm_api_stream_name(st->stream))) ||
		    rgm_api_add(s, "rtcp", json_object_new_boolean(st->rtcp)) ||
		    rgm_api_add(s, "local_addr", rgm_api_addr_new(c->local_addr)) ||
		    rgm_api_add(s, "local_port", json_object_new_int(st->local_port)) ||
		    rgm_api_add(s, "server_addr", rgm_api_addr_new(st->server_addr)) ||
		    rgm_api_add(s, "server_port", json_object_new_int(st->server_port)) ||
		    json_object_array_add(a, s)) {
			json_object_put(s);
			json_object_put(a);
			return NULL;
		}
	}
	return rgm_api_finish(a);
}

char *rgm_api_error_json(const struct rgm_api_error *err)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	if (rgm_api_add(e, "status", json_object_new_int(err->status)) ||
	    rgm_api_add(e, "message", json_object_new_string(err->msg))) {
		json_object_put(e);
		json_object_put(o);
		return NULL;
	}
	if (rgm_api_add(o, "error", e)) {
		json_object_put(o);
		return NULL;
	}
	return rgm_api_finish(o);
}
