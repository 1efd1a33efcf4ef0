// SPDX-License-Identifier: GPL-2.0
/*
 * The rgmd protocol codec (Documentation/protocol.rst). Parsing is strict:
 * json-c in strict mode with UTF-8 validation and a nesting limit, then
 * every object of the schema is closed (unknown fields are errors, so a
 * typo never silently falls back to a default), every field is type and
 * range checked, and duplicate field names are refused because json-c
 * keeps the last one where another reader may keep the first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_json.h"
#include "rgm_proto.h"

static const char *const rgm_op_names[__RGM_OP_MAX] = {
	[RGM_OP_HELLO]		= "hello",
	[RGM_OP_QUERY]		= "query",
	[RGM_OP_RESERVE]	= "reserve",
	[RGM_OP_MAP]		= "map",
	[RGM_OP_RENEW]		= "renew",
	[RGM_OP_UNMAP]		= "unmap",
	[RGM_OP_LIST]		= "list",
};

static const char *const rgm_err_names[__RGM_ERR_MAX] = {
	[RGM_ERR_NONE]			= "none",
	[RGM_ERR_BAD_REQUEST]		= "bad-request",
	[RGM_ERR_UNSUPPORTED_VERSION]	= "unsupported-version",
	[RGM_ERR_UNKNOWN_OP]		= "unknown-op",
	[RGM_ERR_POLICY_DENIED]		= "policy-denied",
	[RGM_ERR_PORT_IN_USE]		= "port-in-use",
	[RGM_ERR_TABLE_FULL]		= "table-full",
	[RGM_ERR_NO_SUCH_SESSION]	= "no-such-session",
	[RGM_ERR_NOT_RESERVED]		= "not-reserved",
	[RGM_ERR_RATE_LIMITED]		= "rate-limited",
	[RGM_ERR_INTERNAL]		= "internal",
};

const char *rgm_op_name(enum rgm_op op)
{
	return (unsigned int)op < __RGM_OP_MAX ? rgm_op_names[op] : "?";
}

const char *rgm_err_name(enum rgm_err code)
{
	return (unsigned int)code < __RGM_ERR_MAX ? rgm_err_names[code] : "internal";
}

uint64_t rgm_proto_cookie(const char *session)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 offset basis */

	for (; *session; session++) {
		h ^= (unsigned char)*session;
		h *= 0x100000001b3ULL;		/* FNV 64 prime */
	}
	return h;
}

/* Every field name the protocol knows, for the duplicate scan (bit = index). */
static const char *const rgm_fields[] = {
	"v", "id", "op", "session", "versions", "type", "count", "pairs",
	"global_addr", "ports", "hold", "lease", "streams", "rtcp", "local_addr",
	"local_port", "server_addr", "server_port", "global_port", "reserved",
};
#define RGM_FIELDS_N (sizeof(rgm_fields) / sizeof(rgm_fields[0]))
_Static_assert(RGM_FIELDS_N <= 32, "rgm_json_scan keeps a 32-bit mask per object");

static int rgm_perr(struct rgm_proto_error *err, enum rgm_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rgm_perr(struct rgm_proto_error *err, enum rgm_err code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Field access. path is the field's full name for messages: "streams[1].lease". */

static int rgm_get_uint(struct json_object *o, const char *key, const char *path,
			bool required, uint64_t min, uint64_t max, uint64_t *out,
			struct rgm_proto_error *err)
{
	struct json_object *v;
	int64_t i;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST, "missing field '%s'", path);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"'%s' must be an integer %" PRIu64 "..%" PRIu64, path, min, max);
	/* json-c clamps what does not fit in int64 to INT64_MAX/MIN */
	errno = 0;
	i = json_object_get_int64(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max || errno == ERANGE)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"'%s' must be an integer %" PRIu64 "..%" PRIu64, path, min, max);
	*out = i;
	return 1;
}

static int rgm_get_u32(struct json_object *o, const char *key, const char *path,
		       bool required, uint32_t min, uint32_t max, uint32_t *out,
		       struct rgm_proto_error *err)
{
	uint64_t v = 0;
	int ret;

	ret = rgm_get_uint(o, key, path, required, min, max, &v, err);
	if (ret > 0)
		*out = v;
	return ret;
}

static int rgm_get_port(struct json_object *o, const char *key, const char *path,
			bool required, uint16_t *out, struct rgm_proto_error *err)
{
	uint32_t v = 0;
	int ret;

	ret = rgm_get_u32(o, key, path, required, 1, 65535, &v, err);
	if (ret > 0)
		*out = v;
	return ret;
}

static int rgm_get_bool(struct json_object *o, const char *key, const char *path,
			bool *out, struct rgm_proto_error *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'%s' must be true or false", path);
	*out = json_object_get_boolean(v);
	return 1;
}

static int rgm_get_string(struct json_object *o, const char *key, const char *path,
			  bool required, const char **out, struct rgm_proto_error *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST, "missing field '%s'", path);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'%s' must be a string", path);
	*out = json_object_get_string(v);
	/* a NUL inside ("a\u0000b") would make the C string lie about the value */
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'%s' contains a NUL character", path);
	return 1;
}

static int rgm_get_addr(struct json_object *o, const char *key, const char *path,
			bool required, struct in_addr *out, struct rgm_proto_error *err)
{
	const char *s;
	int ret;

	ret = rgm_get_string(o, key, path, required, &s, err);
	if (ret <= 0)
		return ret;
	/* inet_pton takes only the strict dotted quad: no "10.1", no octal */
	if (inet_pton(AF_INET, s, out) != 1)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"'%s' must be an IPv4 address A.B.C.D", path);
	return 1;
}

static int rgm_get_type(struct json_object *o, const char *path, uint8_t *stream,
			uint8_t *proto, struct rgm_proto_error *err)
{
	const char *s;
	int ret;

	ret = rgm_get_string(o, "type", path, true, &s, err);
	if (ret <= 0)
		return -1;
	if (!strcmp(s, "tcp")) {
		*stream = RGM_STREAM_TCP;
		*proto = IPPROTO_TCP;
	} else if (!strcmp(s, "udp")) {
		*stream = RGM_STREAM_UDP;
		*proto = IPPROTO_UDP;
	} else if (!strcmp(s, "rtp")) {
		*stream = RGM_STREAM_RTP;
		*proto = IPPROTO_UDP;
	} else {
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"'%s' must be \"tcp\", \"udp\" or \"rtp\"", path);
	}
	return 0;
}

/* Refuses any field not in allowed (NULL-terminated). */
static int rgm_check_fields(struct json_object *o, const char *prefix,
			    const char *const *allowed, struct rgm_proto_error *err)
{
	unsigned int i;

	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i])
			return rgm_perr(err, RGM_ERR_BAD_REQUEST, "unknown field '%s%.64s'",
					prefix, key);
	}
	return 0;
}

static int rgm_parse_session(struct json_object *o, bool required, struct rgm_req *req,
			     struct rgm_proto_error *err)
{
	const char *s;
	size_t i, n;
	int ret;

	ret = rgm_get_string(o, "session", "session", required, &s, err);
	if (ret <= 0)
		return ret;
	n = strlen(s);
	if (!n || n > RGM_PROTO_SESSION_MAX)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"'session' must be 1..%d characters", RGM_PROTO_SESSION_MAX);
	/* printable ASCII: it shows up in logs and rgmctl output as is */
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'session' must be printable ASCII without blanks");
	memcpy(req->session, s, n + 1);
	req->has_session = true;
	return 1;
}

static int rgm_parse_hello(struct json_object *o, struct rgm_req *req,
			   struct rgm_proto_error *err)
{
	static const char *const fields[] = { "v", "id", "op", "versions", NULL };
	struct json_object *a, *v;
	size_t i, n;
	bool ours = false;

	if (rgm_check_fields(o, "", fields, err))
		return -1;
	if (!json_object_object_get_ex(o, "versions", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"'versions' must be an array of integers");
	n = json_object_array_length(a);
	if (!n || n > 16)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'versions' must have 1..16 entries");
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_int))
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'versions[%zu]' must be an integer", i);
		if (json_object_get_int64(v) == RGM_PROTO_VERSION)
			ours = true;
	}
	if (!ours)
		return rgm_perr(err, RGM_ERR_UNSUPPORTED_VERSION,
				"no common protocol version: this gateway speaks %d",
				RGM_PROTO_VERSION);
	return 0;
}

static int rgm_parse_query(struct json_object *o, struct rgm_req *req,
			   struct rgm_proto_error *err)
{
	static const char *const fields[] = {
		"v", "id", "op", "type", "count", "pairs", "global_addr", NULL
	};

	if (rgm_check_fields(o, "", fields, err) ||
	    rgm_get_type(o, "type", &req->stream, &req->proto, err) ||
	    rgm_get_u32(o, "count", "count", true, 1, RGM_PORTS_MAX, &req->count, err) < 0 ||
	    rgm_get_bool(o, "pairs", "pairs", &req->pairs, err) < 0)
		return -1;
	switch (rgm_get_addr(o, "global_addr", "global_addr", false, &req->global_addr, err)) {
	case -1:
		return -1;
	case 1:
		req->has_global_addr = true;
	}
	return 0;
}

static int rgm_parse_reserve(struct json_object *o, struct rgm_req *req,
			     struct rgm_proto_error *err)
{
	static const char *const fields[] = {
		"v", "id", "op", "session", "type", "hold", "global_addr", "ports",
		"count", "pairs", NULL
	};
	struct json_object *a, *p;
	bool has_ports, has_count;
	unsigned int i, j;
	size_t n;
	char path[32];
	uint32_t v;

	if (rgm_check_fields(o, "", fields, err) ||
	    rgm_parse_session(o, true, req, err) < 0 ||
	    rgm_get_type(o, "type", &req->stream, &req->proto, err))
		return -1;
	req->hold = RGM_PROTO_HOLD_DEFAULT;
	if (rgm_get_u32(o, "hold", "hold", false, 1, RGM_PROTO_HOLD_MAX, &req->hold, err) < 0)
		return -1;
	switch (rgm_get_addr(o, "global_addr", "global_addr", false, &req->global_addr, err)) {
	case -1:
		return -1;
	case 1:
		req->has_global_addr = true;
	}
	has_ports = json_object_object_get_ex(o, "ports", &a);
	has_count = json_object_object_get_ex(o, "count", NULL);
	if (has_ports == has_count)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST,
				"reserve takes exactly one of 'ports' and 'count'");
	if (has_count) {
		if (rgm_get_u32(o, "count", "count", true, 1, RGM_PROTO_RESERVE_MAX,
				&req->count, err) < 0 ||
		    rgm_get_bool(o, "pairs", "pairs", &req->pairs, err) < 0)
			return -1;
		if (req->pairs && req->count * 2 > RGM_PROTO_RESERVE_MAX)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'count' must be 1..%d with pairs",
					RGM_PROTO_RESERVE_MAX / 2);
		return 0;
	}
	if (json_object_object_get_ex(o, "pairs", NULL))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'pairs' goes with 'count', not 'ports'");
	if (!json_object_is_type(a, json_type_array))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'ports' must be an array of ports");
	n = json_object_array_length(a);
	if (!n || n > RGM_PROTO_RESERVE_MAX)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'ports' must have 1..%d entries",
				RGM_PROTO_RESERVE_MAX);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		snprintf(path, sizeof(path), "ports[%u]", i);
		if (!json_object_is_type(p, json_type_int) ||
		    json_object_get_int64(p) < 1 || json_object_get_int64(p) > 65535)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'%s' must be an integer 1..65535", path);
		v = json_object_get_int64(p);
		for (j = 0; j < i; j++)
			if (req->ports[j] == v)
				return rgm_perr(err, RGM_ERR_BAD_REQUEST,
						"'%s': port %u given twice", path, v);
		req->ports[i] = v;
	}
	req->n_ports = n;
	return 0;
}

static int rgm_parse_stream(struct json_object *s, unsigned int idx,
			    struct rgm_req_stream *st, struct rgm_proto_error *err)
{
	static const char *const fields[] = {
		"type", "rtcp", "local_addr", "local_port", "server_addr", "server_port",
		"global_addr", "global_port", "reserved", NULL
	};
	char prefix[24], path[48];

#define P(f) (snprintf(path, sizeof(path), "%s%s", prefix, f), path)
	snprintf(prefix, sizeof(prefix), "streams[%u].", idx);
	if (!json_object_is_type(s, json_type_object))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'streams[%u]' must be an object", idx);
	if (rgm_check_fields(s, prefix, fields, err) ||
	    rgm_get_type(s, P("type"), &st->stream, &st->proto, err) ||
	    rgm_get_bool(s, "rtcp", P("rtcp"), &st->rtcp, err) < 0 ||
	    rgm_get_bool(s, "reserved", P("reserved"), &st->reserved, err) < 0 ||
	    rgm_get_addr(s, "local_addr", P("local_addr"), true, &st->local_addr, err) < 0 ||
	    rgm_get_port(s, "local_port", P("local_port"), true, &st->local_port, err) < 0 ||
	    rgm_get_addr(s, "server_addr", P("server_addr"), false, &st->server_addr, err) < 0 ||
	    rgm_get_port(s, "server_port", P("server_port"), false, &st->server_port, err) < 0 ||
	    rgm_get_port(s, "global_port", P("global_port"), false, &st->global_port, err) < 0)
		return -1;
	switch (rgm_get_addr(s, "global_addr", P("global_addr"), false, &st->global_addr, err)) {
	case -1:
		return -1;
	case 1:
		st->has_global_addr = true;
	}
	if (st->rtcp) {
		if (st->stream != RGM_STREAM_RTP)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'%s' is for type \"rtp\" only", P("rtcp"));
		/* RFC 3550: RTP on an even port, RTCP on the next one */
		if (st->global_port & 1)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'%s' must be even with rtcp", P("global_port"));
		if (st->local_port == 65535)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'%s' leaves no port for rtcp", P("local_port"));
		if (st->server_port == 65535)
			return rgm_perr(err, RGM_ERR_BAD_REQUEST,
					"'%s' leaves no port for rtcp", P("server_port"));
	}
#undef P
	return 0;
}

static int rgm_parse_map(struct json_object *o, struct rgm_req *req,
			 struct rgm_proto_error *err)
{
	static const char *const fields[] = {
		"v", "id", "op", "session", "lease", "streams", NULL
	};
	struct json_object *a;
	unsigned int i;
	size_t n;

	if (rgm_check_fields(o, "", fields, err) ||
	    rgm_parse_session(o, true, req, err) < 0 ||
	    rgm_get_u32(o, "lease", "lease", true, 1, RGM_LEASE_LIMIT, &req->lease, err) < 0)
		return -1;
	if (!json_object_object_get_ex(o, "streams", &a))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "missing field 'streams'");
	if (!json_object_is_type(a, json_type_array))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'streams' must be an array");
	n = json_object_array_length(a);
	if (!n || n > RGM_PROTO_STREAMS_MAX)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'streams' must have 1..%d entries",
				RGM_PROTO_STREAMS_MAX);
	for (i = 0; i < n; i++)
		if (rgm_parse_stream(json_object_array_get_idx(a, i), i, &req->streams[i], err))
			return -1;
	req->n_streams = n;
	return 0;
}

static int rgm_parse_renew(struct json_object *o, struct rgm_req *req,
			   struct rgm_proto_error *err)
{
	static const char *const fields[] = { "v", "id", "op", "session", "lease", NULL };

	if (rgm_check_fields(o, "", fields, err) ||
	    rgm_parse_session(o, true, req, err) < 0 ||
	    rgm_get_u32(o, "lease", "lease", true, 1, RGM_LEASE_LIMIT, &req->lease, err) < 0)
		return -1;
	return 0;
}

static int rgm_parse_unmap_list(struct json_object *o, struct rgm_req *req,
				struct rgm_proto_error *err)
{
	static const char *const fields[] = { "v", "id", "op", "session", NULL };

	if (rgm_check_fields(o, "", fields, err) ||
	    rgm_parse_session(o, req->op == RGM_OP_UNMAP, req, err) < 0)
		return -1;
	return 0;
}

static int rgm_req_parse_obj(struct json_object *o, struct rgm_req *req,
			     struct rgm_proto_error *err)
{
	struct json_object *v;
	const char *op;
	uint32_t id;
	int64_t ver;
	unsigned int i;

	if (!json_object_is_type(o, json_type_object))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "a request must be a JSON object");

	/* the id first, silently, so that every later error can echo it */
	if (json_object_object_get_ex(o, "id", &v) && json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= 0 && json_object_get_int64(v) <= UINT32_MAX) {
		err->has_id = true;
		err->id = json_object_get_int64(v);
	}

	if (!json_object_object_get_ex(o, "v", &v))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "missing field 'v'");
	if (!json_object_is_type(v, json_type_int))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "'v' must be an integer");
	ver = json_object_get_int64(v);
	if (ver != RGM_PROTO_VERSION)
		return rgm_perr(err, RGM_ERR_UNSUPPORTED_VERSION,
				"protocol version %" PRId64 " is not supported: this gateway speaks %d",
				ver, RGM_PROTO_VERSION);
	if (rgm_get_u32(o, "id", "id", true, 0, UINT32_MAX, &id, err) < 0)
		return -1;
	req->id = id;
	if (rgm_get_string(o, "op", "op", true, &op, err) < 0)
		return -1;
	for (i = 0; i < __RGM_OP_MAX; i++)
		if (!strcmp(op, rgm_op_names[i]))
			break;
	if (i == __RGM_OP_MAX)
		return rgm_perr(err, RGM_ERR_UNKNOWN_OP, "unknown op '%.64s'", op);
	req->op = i;

	switch (req->op) {
	case RGM_OP_HELLO:
		return rgm_parse_hello(o, req, err);
	case RGM_OP_QUERY:
		return rgm_parse_query(o, req, err);
	case RGM_OP_RESERVE:
		return rgm_parse_reserve(o, req, err);
	case RGM_OP_MAP:
		return rgm_parse_map(o, req, err);
	case RGM_OP_RENEW:
		return rgm_parse_renew(o, req, err);
	case RGM_OP_UNMAP:
	case RGM_OP_LIST:
		return rgm_parse_unmap_list(o, req, err);
	default:
		return rgm_perr(err, RGM_ERR_UNKNOWN_OP, "unknown op");
	}
}

int rgm_req_parse(const uint8_t *buf, size_t len, struct rgm_req *req,
		  struct rgm_proto_error *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	const char *dup;
	int ret;

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	if (!len)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "empty payload");
	/* json-c would stop at a NUL and leave the rest unread */
	if (memchr(buf, '\0', len))
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "NUL byte in payload");
	if (len > INT32_MAX)
		return rgm_perr(err, RGM_ERR_BAD_REQUEST, "payload too large");

	tok = json_tokener_new_ex(RGM_PROTO_DEPTH_MAX);
	if (!tok)
		return rgm_perr(err, RGM_ERR_INTERNAL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)buf, len);
	jerr = json_tokener_get_error(tok);
	if (!o || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			ret = rgm_perr(err, RGM_ERR_BAD_REQUEST, "invalid JSON: truncated");
		else
			ret = rgm_perr(err, RGM_ERR_BAD_REQUEST, "invalid JSON: %s",
				       json_tokener_error_desc(jerr));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		ret = rgm_perr(err, RGM_ERR_BAD_REQUEST, "invalid JSON: data after the object");
		goto out;
	}
	if (rgm_json_scan((const char *)buf, len, rgm_fields, RGM_FIELDS_N, &dup)) {
		ret = rgm_perr(err, RGM_ERR_BAD_REQUEST,
			       "invalid JSON: strings and names take double quotes");
		goto out;
	}
	if (dup) {
		ret = rgm_perr(err, RGM_ERR_BAD_REQUEST, "field '%s' given twice", dup);
		goto out;
	}
	ret = rgm_req_parse_obj(o, req, err);
out:
	json_object_put(o);
	json_tokener_free(tok);
	return ret < 0 ? -1 : 0;
}

/* Builders */

int rgm_proto_add(struct json_object *o, const char *key, struct json_object *val)
{
	if (!o || !val || json_object_object_add(o, key, val)) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

struct json_object *rgm_proto_reply_new(uint32_t id)
{
	struct json_object *o = json_object_new_object();

	if (rgm_proto_add(o, "v", json_object_new_int(RGM_PROTO_VERSION)) ||
	    rgm_proto_add(o, "id", json_object_new_int64(id)) ||
	    rgm_proto_add(o, "ok", json_object_new_boolean(1))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void rgm_proto_error_read(struct json_object *reply, const char **code, const char **msg)
{
	struct json_object *e, *v;

	*code = "?";
	*msg = "";
	if (!json_object_object_get_ex(reply, "error", &e) ||
	    !json_object_is_type(e, json_type_object))
		return;
	if (json_object_object_get_ex(e, "code", &v) && json_object_is_type(v, json_type_string))
		*code = json_object_get_string(v);
	if (json_object_object_get_ex(e, "message", &v) && json_object_is_type(v, json_type_string))
		*msg = json_object_get_string(v);
}

struct json_object *rgm_proto_error_new(const struct rgm_proto_error *err)
{
	struct json_object *o = json_object_new_object();
	struct json_object *e = json_object_new_object();

	if (rgm_proto_add(e, "code", json_object_new_string(rgm_err_name(err->code))) ||
	    rgm_proto_add(e, "message", json_object_new_string(err->msg)) ||
	    rgm_proto_add(o, "v", json_object_new_int(RGM_PROTO_VERSION)) ||
	    (err->has_id ? rgm_proto_add(o, "id", json_object_new_int64(err->id)) :
	     json_object_object_add(o, "id", NULL)) ||	/* json-c's null is NULL */
	    rgm_proto_add(o, "ok", json_object_new_boolean(0))) {
		json_object_put(e);
		json_object_put(o);
		return NULL;
	}
	if (err->code == RGM_ERR_UNSUPPORTED_VERSION) {
		struct json_object *a = json_object_new_array();

		if (!a || json_object_array_add(a, json_object_new_int(RGM_PROTO_VERSION)) ||
		    rgm_proto_add(o, "versions", a)) {
			json_object_put(e);
			json_object_put(o);
			return NULL;
		}
	}
	if (rgm_proto_add(o, "error", e)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *rgm_proto_event_new(const char *event)
{
	struct json_object *o = json_object_new_object();

	if (rgm_proto_add(o, "v", json_object_new_int(RGM_PROTO_VERSION)) ||
	    rgm_proto_add(o, "event", json_object_new_string(event))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *rgm_proto_addr_new(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a, s, sizeof(s)))
		return NULL;
	return json_object_new_string(s);
}

static const char *rgm_proto_stream_name(uint8_t stream, uint8_t proto)
{
	switch (stream) {
	case RGM_STREAM_TCP: return "tcp";
	case RGM_STREAM_UDP: return "udp";
	case RGM_STREAM_RTP: return "rtp";
	}
	return proto == IPPROTO_TCP ? "tcp" : "udp";
}

struct json_object *rgm_proto_mapping_new(const struct rgm_map *m)
{
	struct json_object *o = json_object_new_object();
	int fail;

	fail = rgm_proto_add(o, "mapping_id", json_object_new_int64(m->id)) ||
	       rgm_proto_add(o, "type", json_object_new_string(
				     rgm_proto_stream_name(m->stream, m->proto))) ||
	       rgm_proto_add(o, "global_addr", rgm_proto_addr_new(m->global_addr)) ||
	       rgm_proto_add(o, "global_port", json_object_new_int(m->global_port)) ||
	       rgm_proto_add(o, "local_addr", rgm_proto_addr_new(m->local_addr)) ||
	       rgm_proto_add(o, "local_port", json_object_new_int(m->local_port)) ||
	       (m->server_addr.s_addr &&
		rgm_proto_add(o, "server_addr", rgm_proto_addr_new(m->server_addr))) ||
	       (m->server_port &&
		rgm_proto_add(o, "server_port", json_object_new_int(m->server_port))) ||
	       rgm_proto_add(o, "lease", json_object_new_int64(m->lease)) ||
	       rgm_proto_add(o, "expires", json_object_new_int64(m->expires));
	if (fail) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

char *rgm_proto_finish(struct json_object *o, size_t *len)
{
	const char *s;
	size_t n;
	char *out = NULL;

	if (!o)
		return NULL;
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s) {
		out = malloc(n + 1);
		if (out) {
			memcpy(out, s, n + 1);
			*len = n;
		}
	}
	json_object_put(o);
	return out;
}
