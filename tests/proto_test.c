// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the rgmd protocol codec (lib/rgm_proto.c): every op,
 * every field missing or of the wrong type, versions, ids, malformed JSON,
 * nesting, huge numbers, duplicate fields, and the reply builders.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_proto.h"
#include "kselftest_harness.h"

static int parse(const char *s, struct rgm_req *r, struct rgm_proto_error *e)
{
	return rgm_req_parse((const uint8_t *)s, strlen(s), r, e);
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

#define MAP_OK \
	"{\"v\":1,\"id\":7,\"op\":\"map\",\"session\":\"s-1\",\"lease\":300," \
	"\"streams\":[{\"type\":\"rtp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\"," \
	"\"local_port\":5004,\"server_addr\":\"203.0.113.7\",\"server_port\":6000," \
	"\"global_addr\":\"198.51.100.1\",\"global_port\":40000,\"reserved\":true}," \
	"{\"type\":\"tcp\",\"local_addr\":\"10.0.0.3\",\"local_port\":80}]}"

TEST(hello)
{
	struct rgm_req r;
	struct rgm_proto_error e;

	ASSERT_EQ(0, parse("{\"v\":1,\"id\":0,\"op\":\"hello\"}", &r, &e));
	EXPECT_EQ(RGM_OP_HELLO, r.op);
	EXPECT_EQ(0, r.id);
	ASSERT_EQ(0, parse("{\"v\":1,\"id\":4294967295,\"op\":\"hello\",\"versions\":[3,1]}",
			   &r, &e));
	EXPECT_EQ(4294967295U, r.id);
	/* hello naming only versions we lack */
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[2,3]}", &r, &e));
	EXPECT_EQ(RGM_ERR_UNSUPPORTED_VERSION, e.code);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[]}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[\"1\"]}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":1}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
}

TEST(query)
{
	struct rgm_req r;
	struct rgm_proto_error e;

	ASSERT_EQ(0, parse("{\"v\":1,\"id\":2,\"op\":\"query\",\"type\":\"rtp\",\"count\":4,"
			   "\"pairs\":true,\"global_addr\":\"198.51.100.2\"}", &r, &e));
	EXPECT_EQ(RGM_OP_QUERY, r.op);
	EXPECT_EQ(RGM_STREAM_RTP, r.stream);
	EXPECT_EQ(IPPROTO_UDP, r.proto);
	EXPECT_EQ(4, r.count);
	EXPECT_TRUE(r.pairs);
	EXPECT_TRUE(r.has_global_addr);
	EXPECT_EQ(ip("198.51.100.2").s_addr, r.global_addr.s_addr);
	ASSERT_EQ(0, parse("{\"v\":1,\"id\":2,\"op\":\"query\",\"type\":\"tcp\",\"count\":1024}",
			   &r, &e));
	EXPECT_EQ(IPPROTO_TCP, r.proto);
	EXPECT_FALSE(r.pairs);
	EXPECT_FALSE(r.has_global_addr);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":2,\"op\":\"query\",\"type\":\"tcp\",\"count\":1025}",
			    &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "count"));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":2,\"op\":\"query\",\"type\":\"sctp\",\"count\":1}",
			    &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "type"));
}

TEST(reserve)
{
	struct rgm_req r;
	struct rgm_proto_error e;

	ASSERT_EQ(0, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			   "\"type\":\"udp\",\"ports\":[40000,40002],\"hold\":60}", &r, &e));
	EXPECT_EQ(RGM_OP_RESERVE, r.op);
	EXPECT_STREQ("a", r.session);
	EXPECT_EQ(2, r.n_ports);
	EXPECT_EQ(40002, r.ports[1]);
	EXPECT_EQ(60, r.hold);
	ASSERT_EQ(0, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			   "\"type\":\"rtp\",\"count\":16,\"pairs\":true}", &r, &e));
	EXPECT_EQ(16, r.count);
	EXPECT_EQ(RGM_PROTO_HOLD_DEFAULT, r.hold);
	/* exactly one of ports and count; pairs only with count */
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\"}", &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "exactly one"));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"count\":1,\"ports\":[1]}", &r, &e));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"pairs\":true,\"ports\":[1]}", &r, &e));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"count\":17,\"pairs\":true}", &r, &e));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"ports\":[5,5]}", &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "twice"));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"ports\":[]}", &r, &e));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"ports\":[0]}", &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "ports[0]"));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"count\":1,\"hold\":61}", &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "hold"));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"a\","
			    "\"type\":\"udp\",\"count\":1,\"hold\":0}", &r, &e));
}

TEST(map)
{
	struct rgm_req r;
	struct rgm_proto_error e;
	const struct rgm_req_stream *st = &r.streams[0];

	ASSERT_EQ(0, parse(MAP_OK, &r, &e));
	EXPECT_EQ(RGM_OP_MAP, r.op);
	EXPECT_EQ(7, r.id);
	EXPECT_STREQ("s-1", r.session);
	EXPECT_EQ(300, r.lease);
	ASSERT_EQ(2, r.n_streams);
	EXPECT_EQ(RGM_STREAM_RTP, st->stream);
	EXPECT_EQ(IPPROTO_UDP, st->proto);
	EXPECT_TRUE(st->rtcp);
	EXPECT_TRUE(st->reserved);
	EXPECT_EQ(ip("10.0.0.2").s_addr, st->local_addr.s_addr);
	EXPECT_EQ(5004, st->local_port);
	EXPECT_EQ(ip("203.0.113.7").s_addr, st->server_addr.s_addr);
	EXPECT_EQ(6000, st->server_port);
	EXPECT_TRUE(st->has_global_addr);
	EXPECT_EQ(40000, st->global_port);
	st = &r.streams[1];
	EXPECT_EQ(RGM_STREAM_TCP, st->stream);
	EXPECT_EQ(IPPROTO_TCP, st->proto);
	EXPECT_EQ(0, st->server_addr.s_addr);
	EXPECT_EQ(0, st->server_port);
	EXPECT_EQ(0, st->global_port);
	EXPECT_FALSE(st->has_global_addr);
}

TEST(map_stream_rules)
{
	struct rgm_req r;
	struct rgm_proto_error e;
	static const struct { const char *stream, *needle; } bad[] = {
		{ "{\"type\":\"udp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\",\"local_port\":1}",
		  "streams[0].rtcp" },
		{ "{\"type\":\"rtp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\",\"local_port\":1,"
		  "\"global_port\":40001}", "streams[0].global_port" },
		{ "{\"type\":\"rtp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\",\"local_port\":65535}",
		  "streams[0].local_port" },
		{ "{\"type\":\"rtp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\",\"local_port\":2,"
		  "\"server_port\":65535}", "streams[0].server_port" },
		{ "{\"type\":\"udp\",\"local_addr\":\"10.0.0\",\"local_port\":1}",
		  "streams[0].local_addr" },
		{ "{\"type\":\"udp\",\"local_addr\":\"010.0.0.1\",\"local_port\":1}",
		  "streams[0].local_addr" },
		{ "{\"type\":\"udp\",\"local_addr\":\"10.0.0.1\",\"local_port\":0}",
		  "streams[0].local_port" },
		{ "{\"type\":\"udp\",\"local_addr\":\"10.0.0.1\",\"local_port\":65536}",
		  "streams[0].local_port" },
		{ "{\"type\":\"udp\",\"local_addr\":\"10.0.0.1\",\"local_port\":1,\"lease\":5}",
		  "unknown field 'streams[0].lease'" },
		{ "[1]", "streams[0]' must be an object" },
	};
	char buf[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"v\":1,\"id\":9,\"op\":\"map\",\"session\":\"x\","
			 "\"lease\":1,\"streams\":[%s]}", bad[i].stream);
		ASSERT_EQ(-1, parse(buf, &r, &e)) TH_LOG("accepted %s", buf);
		EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
		EXPECT_TRUE(e.has_id);
		EXPECT_EQ(9, e.id);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].needle)) TH_LOG("%s: %s", buf, e.msg);
	}
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":9,\"op\":\"map\",\"session\":\"x\",\"lease\":1,"
			    "\"streams\":[]}", &r, &e));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":9,\"op\":\"map\",\"session\":\"x\",\"lease\":1,"
			    "\"streams\":{}}", &r, &e));
}

TEST(map_streams_max)
{
	struct rgm_req r;
	struct rgm_proto_error e;
	char *buf = malloc(16384);
	size_t n;
	int i;

	ASSERT_NE(NULL, buf);
	for (int want = RGM_PROTO_STREAMS_MAX; want <= RGM_PROTO_STREAMS_MAX + 1; want++) {
		n = sprintf(buf, "{\"v\":1,\"id\":1,\"op\":\"map\",\"session\":\"x\","
			    "\"lease\":1,\"streams\":[");
		for (i = 0; i < want; i++)
			n += sprintf(buf + n, "%s{\"type\":\"rtp\",\"rtcp\":true,"
				     "\"local_addr\":\"10.0.0.2\",\"local_port\":%d}",
				     i ? "," : "", 2 * i + 2);
		strcpy(buf + n, "]}");
		EXPECT_EQ(want <= RGM_PROTO_STREAMS_MAX ? 0 : -1, parse(buf, &r, &e));
		if (want == RGM_PROTO_STREAMS_MAX)
			EXPECT_EQ(RGM_PROTO_STREAMS_MAX, r.n_streams);
	}
	free(buf);
}

TEST(renew_unmap_list)
{
	struct rgm_req r;
	struct rgm_proto_error e;

	ASSERT_EQ(0, parse("{\"v\":1,\"id\":4,\"op\":\"renew\",\"session\":\"s\",\"lease\":60}",
			   &r, &e));
	EXPECT_EQ(RGM_OP_RENEW, r.op);
	EXPECT_EQ(60, r.lease);
	ASSERT_EQ(0, parse("{\"v\":1,\"id\":5,\"op\":\"unmap\",\"session\":\"s\"}", &r, &e));
	EXPECT_EQ(RGM_OP_UNMAP, r.op);
	EXPECT_TRUE(r.has_session);
	ASSERT_EQ(0, parse("{\"v\":1,\"id\":6,\"op\":\"list\"}", &r, &e));
	EXPECT_EQ(RGM_OP_LIST, r.op);
	EXPECT_FALSE(r.has_session);
	ASSERT_EQ(0, parse("{\"v\":1,\"id\":6,\"op\":\"list\",\"session\":\"s\"}", &r, &e));
	EXPECT_TRUE(r.has_session);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":5,\"op\":\"unmap\"}", &r, &e));
	EXPECT_STREQ("missing field 'session'", e.msg);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":4,\"op\":\"renew\",\"session\":\"s\","
			    "\"lease\":604801}", &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "lease"));
}

/*
 * Every field of every op: removed when required, and replaced by a value of
 * each wrong JSON type. The error must be bad-request, echo the id and name
 * the field.
 */
static const struct {
	const char *req;
	const char *field;	/* "streams[0].x" for a stream's field */
	bool required;
} fields[] = {
	{ "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\",\"count\":2,\"pairs\":true,"
	  "\"global_addr\":\"198.51.100.1\"}", "type", true },
	{ NULL, "count", true }, { NULL, "pairs", false }, { NULL, "global_addr", false },
	{ "{\"v\":1,\"id\":1,\"op\":\"reserve\",\"session\":\"s\",\"type\":\"udp\","
	  "\"hold\":5,\"global_addr\":\"198.51.100.1\",\"ports\":[40000]}", "session", true },
	{ NULL, "type", true }, { NULL, "hold", false }, { NULL, "global_addr", false },
	{ NULL, "ports", true },
	{ MAP_OK, "session", true }, { NULL, "lease", true }, { NULL, "streams", true },
	{ NULL, "streams[0].type", true }, { NULL, "streams[0].rtcp", false },
	{ NULL, "streams[0].local_addr", true }, { NULL, "streams[0].local_port", true },
	{ NULL, "streams[0].server_addr", false }, { NULL, "streams[0].server_port", false },
	{ NULL, "streams[0].global_addr", false }, { NULL, "streams[0].global_port", false },
	{ NULL, "streams[0].reserved", false },
	{ "{\"v\":1,\"id\":1,\"op\":\"renew\",\"session\":\"s\",\"lease\":5}", "session", true },
	{ NULL, "lease", true },
	{ "{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"s\"}", "session", true },
	{ "{\"v\":1,\"id\":1,\"op\":\"list\",\"session\":\"s\"}", "session", false },
	{ "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":[1]}", "versions", false },
};

static struct json_object *wrong_values(int i)
{
	switch (i) {
	case 0: return json_object_new_string("7");
	case 1: return json_object_new_int(7);
	case 2: return json_object_new_double(1.5);
	case 3: return json_object_new_boolean(1);
	case 4: return json_object_new_object();
	case 5: return json_object_new_array();
	default: return NULL;	/* JSON null */
	}
}

TEST(every_field)
{
	const char *base = NULL;
	struct rgm_req r;
	struct rgm_proto_error e;
	unsigned int f;
	uint32_t id;
	int w;

	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		struct json_object *o, *parent;
		const char *key = fields[f].field;
		const char *s;
		bool valid_type;

		if (fields[f].req)
			base = fields[f].req;
		/* the base request is valid */
		ASSERT_EQ(0, parse(base, &r, &e)) TH_LOG("%s: %s", base, e.msg);
		id = r.id;
		for (w = -1; w < 7; w++) {
			o = json_tokener_parse(base);
			ASSERT_NE(NULL, o);
			parent = o;
			if (!strncmp(key, "streams[0].", 11)) {
				parent = json_object_array_get_idx(
					json_object_object_get(o, "streams"), 0);
				key += 11;
			}
			if (w < 0) {
				json_object_object_del(parent, key);
			} else {
				/* skip the one wrong value that is in fact right */
				struct json_object *cur = json_object_object_get(parent, key);
				struct json_object *nv = wrong_values(w);

				valid_type = cur && nv && json_object_get_type(cur) ==
							  json_object_get_type(nv);
				if (valid_type) {
					json_object_put(nv);
					json_object_put(o);
					key = fields[f].field;
					continue;
				}
				json_object_object_add(parent, key, nv);
			}
			s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
			if (w < 0 && !fields[f].required) {
				EXPECT_EQ(0, parse(s, &r, &e)) TH_LOG("%s: %s", s, e.msg);
			} else {
				EXPECT_EQ(-1, parse(s, &r, &e)) TH_LOG("accepted %s", s);
				EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code) TH_LOG("%s: %s", s, e.msg);
				EXPECT_TRUE(e.has_id);
				EXPECT_EQ(id, e.id);
				EXPECT_NE(NULL, strstr(e.msg, fields[f].field))
					TH_LOG("%s: '%s' does not name %s", s, e.msg, fields[f].field);
			}
			json_object_put(o);
			key = fields[f].field;
		}
	}
}

TEST(version_id_op)
{
	struct rgm_req r;
	struct rgm_proto_error e;

	ASSERT_EQ(-1, parse("{\"v\":2,\"id\":8,\"op\":\"hello\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_UNSUPPORTED_VERSION, e.code);
	EXPECT_TRUE(e.has_id);
	EXPECT_EQ(8, e.id);
	ASSERT_EQ(-1, parse("{\"v\":0,\"id\":8,\"op\":\"nosuch\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_UNSUPPORTED_VERSION, e.code);
	ASSERT_EQ(-1, parse("{\"id\":8,\"op\":\"hello\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	EXPECT_STREQ("missing field 'v'", e.msg);
	ASSERT_EQ(-1, parse("{\"v\":\"1\",\"id\":8,\"op\":\"hello\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	ASSERT_EQ(-1, parse("{\"v\":1.0,\"id\":8,\"op\":\"hello\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);

	ASSERT_EQ(-1, parse("{\"v\":1,\"op\":\"hello\"}", &r, &e));
	EXPECT_FALSE(e.has_id);
	EXPECT_STREQ("missing field 'id'", e.msg);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":-1,\"op\":\"hello\"}", &r, &e));
	EXPECT_FALSE(e.has_id);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":4294967296,\"op\":\"hello\"}", &r, &e));
	EXPECT_FALSE(e.has_id);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":\"3\",\"op\":\"hello\"}", &r, &e));
	EXPECT_FALSE(e.has_id);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":3.0,\"op\":\"hello\"}", &r, &e));

	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":8}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	EXPECT_STREQ("missing field 'op'", e.msg);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":8,\"op\":3}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":8,\"op\":\"reboot\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_UNKNOWN_OP, e.code);
	EXPECT_TRUE(e.has_id);
	EXPECT_NE(NULL, strstr(e.msg, "reboot"));
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":8,\"op\":\"HELLO\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_UNKNOWN_OP, e.code);
	ASSERT_EQ(-1, parse("{\"v\":1,\"id\":8,\"op\":\"hello\",\"extra\":1}", &r, &e));
	EXPECT_STREQ("unknown field 'extra'", e.msg);
}

TEST(not_a_request)
{
	static const char *const bad[] = {
		"", " ", "[]", "1", "\"x\"", "null", "true", "{", "{\"v\":1,", "{}x", "{} {}",
		"{'v':1}", "{\"v\":1,}", "{\"v\":1 \"id\":2}", "\xff\xfe", "{\"op\":\"\xc3\"}",
		"{\"v\":1,\"id\":1,\"op\":\"hello\"}}", "NaN", "{\"v\":01}",
		/* single quotes json-c's strict mode lets through (found by fuzzing:
		 * they once sent the duplicate scan's depth below zero) */
		"{'}}{':1}", "{\"v\":1,'id':1,\"op\":\"hello\"}",
	};
	struct rgm_req r;
	struct rgm_proto_error e;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, parse(bad[i], &r, &e)) TH_LOG("accepted '%s'", bad[i]);
		EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code) TH_LOG("'%s'", bad[i]);
		EXPECT_FALSE(e.has_id);
	}
	/* a NUL inside the payload, and NUL inside a string value */
	EXPECT_EQ(-1, rgm_req_parse((const uint8_t *)"{\"v\":1}\0", 8, &r, &e));
	EXPECT_STREQ("NUL byte in payload", e.msg);
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"a\\u0000b\"}",
			    &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "NUL"));
}

TEST(nesting_and_numbers)
{
	struct rgm_req r;
	struct rgm_proto_error e;
	char deep[4096];
	int i, n = 0;

	/* far deeper than RGM_PROTO_DEPTH_MAX: refused by the tokener */
	n += sprintf(deep, "{\"v\":1,\"id\":1,\"op\":\"hello\",\"versions\":");
	for (i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (i = 0; i < 1000; i++)
		deep[n++] = ']';
	strcpy(deep + n, "}");
	EXPECT_EQ(-1, parse(deep, &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	EXPECT_NE(NULL, strstr(e.msg, "invalid JSON")) TH_LOG("%s", e.msg);

	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\","
			    "\"count\":99999999999999999999999999}", &r, &e));
	EXPECT_EQ(RGM_ERR_BAD_REQUEST, e.code);
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\","
			    "\"count\":18446744073709551617}", &r, &e));
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\","
			    "\"count\":1e400}", &r, &e));
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\","
			    "\"count\":-9223372036854775809}", &r, &e));
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"renew\",\"session\":\"s\","
			    "\"lease\":4294967297}", &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "lease"));
	EXPECT_EQ(-1, parse("{\"v\":18446744073709551615,\"id\":1,\"op\":\"hello\"}", &r, &e));
	EXPECT_EQ(RGM_ERR_UNSUPPORTED_VERSION, e.code);
}

TEST(duplicate_fields)
{
	struct rgm_req r;
	struct rgm_proto_error e;

	EXPECT_EQ(-1, parse("{\"v\":1,\"v\":1,\"id\":1,\"op\":\"hello\"}", &r, &e));
	EXPECT_STREQ("field 'v' given twice", e.msg);
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"renew\",\"session\":\"s\","
			    "\"lease\":5,\"\\u006cease\":600}", &r, &e));
	EXPECT_STREQ("field 'lease' given twice", e.msg);
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"map\",\"session\":\"s\",\"lease\":5,"
			    "\"streams\":[{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\","
			    "\"local_port\":1,\"local_port\":2}]}", &r, &e));
	EXPECT_STREQ("field 'local_port' given twice", e.msg);
	/* the same name in two different objects is fine */
	EXPECT_EQ(0, parse("{\"v\":1,\"id\":1,\"op\":\"map\",\"session\":\"s\",\"lease\":5,"
			   "\"streams\":[{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\","
			   "\"local_port\":1},{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\","
			   "\"local_port\":2}]}", &r, &e)) TH_LOG("%s", e.msg);
	/* a value equal to a field name is not a field name */
	EXPECT_EQ(0, parse("{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"session\"}",
			   &r, &e)) TH_LOG("%s", e.msg);
}

TEST(session_ids)
{
	struct rgm_req r;
	struct rgm_proto_error e;
	char buf[512], name[200];

	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"\"}", &r, &e));
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"a b\"}", &r, &e));
	EXPECT_EQ(-1, parse("{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"caf\xc3\xa9\"}",
			    &r, &e));
	memset(name, 'x', sizeof(name));
	name[RGM_PROTO_SESSION_MAX] = '\0';
	snprintf(buf, sizeof(buf), "{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"%s\"}", name);
	EXPECT_EQ(0, parse(buf, &r, &e));
	EXPECT_STREQ(name, r.session);
	name[RGM_PROTO_SESSION_MAX] = 'x';
	name[RGM_PROTO_SESSION_MAX + 1] = '\0';
	snprintf(buf, sizeof(buf), "{\"v\":1,\"id\":1,\"op\":\"unmap\",\"session\":\"%s\"}", name);
	EXPECT_EQ(-1, parse(buf, &r, &e));
}

TEST(cookie)
{
	/* FNV-1a 64 reference values */
	EXPECT_EQ(0xcbf29ce484222325ULL, rgm_proto_cookie(""));
	EXPECT_EQ(0xaf63dc4c8601ec8cULL, rgm_proto_cookie("a"));
	EXPECT_EQ(0x85944171f73967e8ULL, rgm_proto_cookie("foobar"));
	EXPECT_NE(rgm_proto_cookie("s-1"), rgm_proto_cookie("s-2"));
}

TEST(replies)
{
	struct rgm_proto_error e = { .code = RGM_ERR_PORT_IN_USE, .has_id = true, .id = 42 };
	struct rgm_map m = {
		.id = 5, .proto = IPPROTO_UDP, .stream = RGM_STREAM_RTP,
		.global_port = 40000, .local_port = 5004, .lease = 60, .expires = 59,
	};
	struct json_object *o;
	char *s;
	size_t len;

	strcpy(e.msg, "port \"40000\" is mapped");
	s = rgm_proto_finish(rgm_proto_error_new(&e), &len);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("{\"v\":1,\"id\":42,\"ok\":false,\"error\":{\"code\":\"port-in-use\","
		     "\"message\":\"port \\\"40000\\\" is mapped\"}}", s);
	EXPECT_EQ(strlen(s), len);
	free(s);

	e.has_id = false;
	e.code = RGM_ERR_UNSUPPORTED_VERSION;
	strcpy(e.msg, "v2");
	s = rgm_proto_finish(rgm_proto_error_new(&e), &len);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("{\"v\":1,\"id\":null,\"ok\":false,\"versions\":[1],\"error\":"
		     "{\"code\":\"unsupported-version\",\"message\":\"v2\"}}", s);
	free(s);

	o = rgm_proto_reply_new(4294967295U);
	m.global_addr.s_addr = htonl(0xc6336401);
	m.local_addr.s_addr = htonl(0x0a000002);
	ASSERT_EQ(0, rgm_proto_add(o, "m", rgm_proto_mapping_new(&m)));
	s = rgm_proto_finish(o, &len);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("{\"v\":1,\"id\":4294967295,\"ok\":true,\"m\":{\"mapping_id\":5,"
		     "\"type\":\"rtp\",\"global_addr\":\"198.51.100.1\",\"global_port\":40000,"
		     "\"local_addr\":\"10.0.0.2\",\"local_port\":5004,\"lease\":60,"
		     "\"expires\":59}}", s);
	free(s);

	s = rgm_proto_finish(rgm_proto_event_new("expired"), &len);
	EXPECT_STREQ("{\"v\":1,\"event\":\"expired\"}", s);
	free(s);
	EXPECT_STREQ("not-reserved", rgm_err_name(RGM_ERR_NOT_RESERVED));
	EXPECT_STREQ("rate-limited", rgm_err_name(RGM_ERR_RATE_LIMITED));
	EXPECT_STREQ("list", rgm_op_name(RGM_OP_LIST));
}

TEST_HARNESS_MAIN
