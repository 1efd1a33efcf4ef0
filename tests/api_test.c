// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the portal API request codec (lib/rgm_api.c): every
 * request kind, bad JSON, missing fields, wrong types, bad values, huge
 * bodies, too many streams, duplicate and unknown fields, and the status
 * (400/413/422) and message each gets.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <linux/rgm.h>

#include "rgm_api.h"
#include "kselftest_harness.h"

#define PIN "pin-sha256:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="

static int parse(enum rgm_api_kind k, const char *s, struct rgm_api_req *r,
		 struct rgm_api_error *e)
{
	return rgm_api_parse(k, s, strlen(s), r, e);
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* Expects a refusal with status and a message containing what. */
#define REFUSED(kind, body, st, what) do {					\
	struct rgm_api_req _r;							\
	struct rgm_api_error _e;						\
	EXPECT_EQ(-1, parse(kind, body, &_r, &_e)) TH_LOG("accepted: %s", body);\
	EXPECT_EQ(st, _e.status) TH_LOG("%s -> %s", body, _e.msg);		\
	EXPECT_NE(NULL, strstr(_e.msg, what)) TH_LOG("%s -> %s", body, _e.msg);	\
} while (0)

#define CONF_HEAD "{\"appliance\":\"stb-1\",\"gateway_addr\":\"198.51.100.1\"," \
		  "\"local_addr\":\"10.0.0.2\",\"lease\":300,"
#define STREAM_RTP "{\"type\":\"rtp\",\"rtcp\":true,\"local_port\":5004," \
		   "\"server_addr\":\"203.0.113.7\",\"server_port\":6000}"
#define STREAM_TCP "{\"type\":\"tcp\",\"local_port\":80,\"server_addr\":\"203.0.113.8\"," \
		   "\"server_port\":443}"
#define CONF_OK CONF_HEAD "\"streams\":[" STREAM_RTP "," STREAM_TCP "]}"

TEST(configure)
{
	struct rgm_api_req r;
	struct rgm_api_error e;
	const struct rgm_api_configure *c = &r.configure;
	char *js;

	ASSERT_EQ(0, parse(RGM_API_CONFIGURE, CONF_OK, &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(RGM_API_CONFIGURE, r.kind);
	EXPECT_STREQ("stb-1", c->appliance);
	EXPECT_EQ(ip("198.51.100.1").s_addr, c->gateway_addr.s_addr);
	EXPECT_EQ(ip("10.0.0.2").s_addr, c->local_addr.s_addr);
	EXPECT_EQ(300, c->lease);
	ASSERT_EQ(2, c->n_streams);
	EXPECT_EQ(RGM_STREAM_RTP, c->streams[0].stream);
	EXPECT_EQ(IPPROTO_UDP, c->streams[0].proto);
	EXPECT_TRUE(c->streams[0].rtcp);
	EXPECT_EQ(5004, c->streams[0].local_port);
	EXPECT_EQ(ip("203.0.113.7").s_addr, c->streams[0].server_addr.s_addr);
	EXPECT_EQ(6000, c->streams[0].server_port);
	EXPECT_EQ(RGM_STREAM_TCP, c->streams[1].stream);
	EXPECT_EQ(IPPROTO_TCP, c->streams[1].proto);
	EXPECT_FALSE(c->streams[1].rtcp);

	js = rgm_api_streams_json(c);
	ASSERT_NE(NULL, js);
	EXPECT_STREQ("[{\"type\":\"rtp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\",\"local_port\":5004,"
		     "\"server_addr\":\"203.0.113.7\",\"server_port\":6000},"
		     "{\"type\":\"tcp\",\"rtcp\":false,\"local_addr\":\"10.0.0.2\",\"local_port\":80,"
		     "\"server_addr\":\"203.0.113.8\",\"server_port\":443}]", js);
	free(js);

	/* whitespace and field order do not matter; a lease at the limit */
	ASSERT_EQ(0, parse(RGM_API_CONFIGURE, " { \"lease\" : 604800 , \"streams\" : [ "
			   STREAM_TCP " ] , \"local_addr\":\"10.0.0.2\",\"appliance\":\"a\","
			   "\"gateway_addr\":\"198.51.100.1\" } ", &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(604800, r.configure.lease);
}

TEST(configure_missing_fields)
{
	REFUSED(RGM_API_CONFIGURE, "{\"gateway_addr\":\"198.51.100.1\",\"local_addr\":\"10.0.0.2\","
		"\"lease\":300,\"streams\":[" STREAM_TCP "]}", 400, "missing field 'appliance'");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"local_addr\":\"10.0.0.2\","
		"\"lease\":300,\"streams\":[" STREAM_TCP "]}", 400, "missing field 'gateway_addr'");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"lease\":300,\"streams\":[" STREAM_TCP "]}", 400, "missing field 'local_addr'");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"streams\":[" STREAM_TCP "]}", 400,
		"missing field 'lease'");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"x\":1}", 400, "unknown field 'x'");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"\xc3\xa9\\n'\":1}", 400, "unknown field '\?\?\?\?'");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300}", 400, "missing field 'streams'");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\",\"local_port\":80,"
		"\"server_addr\":\"203.0.113.8\"}]}", 400, "missing field 'streams[0].server_port'");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[" STREAM_TCP ",{\"local_port\":81,"
		"\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 400,
		"missing field 'streams[1].type'");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\","
		"\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 400,
		"missing field 'streams[0].local_port'");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\",\"local_port\":1,"
		"\"server_port\":1}]}", 400, "missing field 'streams[0].server_addr'");
}

TEST(configure_wrong_types)
{
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":7,\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300,\"streams\":[]}", 400,
		"'appliance' must be a string");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":[],"
		"\"local_addr\":\"10.0.0.2\",\"lease\":300,\"streams\":[]}", 400,
		"'gateway_addr' must be a string");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":\"300\",\"streams\":[]}", 400,
		"'lease' must be an integer");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300.0,\"streams\":[]}", 400,
		"'lease' must be an integer");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":3e2,\"streams\":[]}", 400,
		"'lease' must be an integer");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":{}}", 400, "'streams' must be an array");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[1]}", 400, "'streams[0]' must be an object");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"rtp\",\"rtcp\":1,"
		"\"local_port\":1,\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 400,
		"'streams[0].rtcp' must be true or false");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\",\"local_port\":null,"
		"\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 400,
		"'streams[0].local_port' must be an integer");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\",\"local_port\":1,"
		"\"server_addr\":\"203.0.113.8\",\"server_port\":1,\"local_addr\":\"10.0.0.3\"}]}",
		400, "unknown field 'streams[0].local_addr'");
}

TEST(configure_bad_values)
{
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a b\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300,\"streams\":[" STREAM_TCP "]}", 422,
		"'appliance' must be 1..64");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\\u0000b\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300,\"streams\":[" STREAM_TCP "]}", 422,
		"'appliance' contains a NUL");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300,\"streams\":[" STREAM_TCP "]}", 422,
		"'gateway_addr' must be an IPv4 address");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"224.0.0.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":300,\"streams\":[" STREAM_TCP "]}", 422,
		"'gateway_addr' must be a unicast");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"0.0.0.0\",\"lease\":300,\"streams\":[" STREAM_TCP "]}", 422,
		"'local_addr' must be a unicast");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":0,\"streams\":[" STREAM_TCP "]}", 422,
		"'lease' must be 1..604800");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":604801,\"streams\":[" STREAM_TCP "]}", 422,
		"'lease' must be 1..604800");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":-1,\"streams\":[" STREAM_TCP "]}", 422,
		"'lease' must be 1..604800");
	REFUSED(RGM_API_CONFIGURE, "{\"appliance\":\"a\",\"gateway_addr\":\"198.51.100.1\","
		"\"local_addr\":\"10.0.0.2\",\"lease\":99999999999999999999999,\"streams\":[]}", 422,
		"'lease' must be 1..604800");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[]}", 422, "'streams' must have 1..32");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"sctp\",\"local_port\":1,"
		"\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 422,
		"'streams[0].type' must be \"tcp\", \"udp\" or \"rtp\"");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\",\"local_port\":0,"
		"\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 422,
		"'streams[0].local_port' must be 1..65535");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"tcp\",\"local_port\":1,"
		"\"server_addr\":\"203.0.113.8\",\"server_port\":65536}]}", 422,
		"'streams[0].server_port' must be 1..65535");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"udp\",\"rtcp\":true,"
		"\"local_port\":1,\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 422,
		"'streams[0].rtcp' is for type \"rtp\" only");
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[{\"type\":\"rtp\",\"rtcp\":true,"
		"\"local_port\":65535,\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 422,
		"'streams[0].local_port' leaves no port for rtcp");
	/* rtp+rtcp on 5004 holds 5005: a udp stream there overlaps */
	REFUSED(RGM_API_CONFIGURE, CONF_HEAD "\"streams\":[" STREAM_RTP ",{\"type\":\"udp\","
		"\"local_port\":5005,\"server_addr\":\"203.0.113.8\",\"server_port\":1}]}", 422,
		"'streams[1].local_port' overlaps streams[0]");
}

TEST(configure_too_many_streams)
{
	char body[8192];
	struct rgm_api_req r;
	struct rgm_api_error e;
	size_t n;
	int i;

	for (int want = 32; want <= 33; want++) {
		n = snprintf(body, sizeof(body), CONF_HEAD "\"streams\":[");
		for (i = 0; i < want; i++)
			n += snprintf(body + n, sizeof(body) - n, "%s{\"type\":\"udp\",\"local_port\":%d,"
				      "\"server_addr\":\"203.0.113.8\",\"server_port\":1}",
				      i ? "," : "", 1000 + i);
		snprintf(body + n, sizeof(body) - n, "]}");
		if (want == 32) {
			ASSERT_EQ(0, parse(RGM_API_CONFIGURE, body, &r, &e)) TH_LOG("%s", e.msg);
			EXPECT_EQ(32, r.configure.n_streams);
		} else {
			REFUSED(RGM_API_CONFIGURE, body, 422, "'streams' must have 1..32 entries, not 33");
		}
	}
}

TEST(bad_json)
{
	static const struct { const char *body, *what; } bad[] = {
		{ "", "empty request body" },
		{ "{", "invalid JSON" },
		{ "{\"appliance\":\"a\"", "invalid JSON" },
		{ "{\"appliance\":'a'}", "invalid JSON" },
		{ "{appliance:1}", "invalid JSON" },
		{ "{\"a\":1,}", "invalid JSON" },
		{ "{} {}", "invalid JSON" },
		{ "{}x", "invalid JSON" },
		{ "{\"session\":\"a\"}\n\n]", "invalid JSON" },
		{ "[]", "must be a JSON object" },
		{ "\"str\"", "must be a JSON object" },
		{ "null", "must be a JSON object" },
		{ "{\"session\":\"\xff\"}", "invalid JSON" },
		{ "{\"session\":\"a\",\"session\":\"b\"}", "field 'session' given twice" },
		{ "{\"session\":\"a\",\"\\u0073ession\":\"b\"}", "field 'session' given twice" },
		{ "{\"a\":[[[[[[[[1]]]]]]]]}", "invalid JSON" },
		{ "/* c */ {\"session\":\"a\"}", "invalid JSON" },
		/* json-c's strict mode takes single-quoted names; RFC 8259 does not */
		{ "{'session':\"a\"}", "double quotes" },
		{ "{'}}{':1}", "double quotes" },
		{ "{\"session\":\"a\",'x]]]]]]]]]]]]]]]]]]]]]]]]]]':1}", "double quotes" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(RGM_API_TEARDOWN, bad[i].body, 400, bad[i].what);
	{
		struct rgm_api_req r;
		struct rgm_api_error e;

		/* a NUL byte inside the body: json-c would stop reading there */
		EXPECT_EQ(-1, rgm_api_parse(RGM_API_TEARDOWN, "{\"session\":\"a\"}\0{}", 17, &r, &e));
		EXPECT_EQ(400, e.status);
		EXPECT_NE(NULL, strstr(e.msg, "NUL byte"));
	}
}

TEST(huge_bodies)
{
	struct rgm_api_req r;
	struct rgm_api_error e;
	size_t big = RGM_API_BODY_MAX + 1, i;
	char *body = malloc(big + 1);

	ASSERT_NE(NULL, body);
	/* valid JSON, padded with blanks: the size alone refuses it */
	memset(body, ' ', big);
	memcpy(body, "{\"session\":\"s-1\"}", 17);
	body[big] = '\0';
	EXPECT_EQ(-1, rgm_api_parse(RGM_API_TEARDOWN, body, big, &r, &e));
	EXPECT_EQ(413, e.status);
	EXPECT_NE(NULL, strstr(e.msg, "65537 bytes")) TH_LOG("%s", e.msg);
	/* one byte less is read */
	EXPECT_EQ(0, rgm_api_parse(RGM_API_TEARDOWN, body, big - 1, &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("s-1", r.teardown.session);
	/* a huge string within the limit is still only a bad value */
	body[0] = '{';
	memcpy(body + 1, "\"session\":\"", 11);
	for (i = 12; i < 60000; i++)
		body[i] = 'x';
	memcpy(body + i, "\"}", 3);
	EXPECT_EQ(-1, rgm_api_parse(RGM_API_TEARDOWN, body, strlen(body), &r, &e));
	EXPECT_EQ(422, e.status);
	EXPECT_NE(NULL, strstr(e.msg, "'session' must be 1..128"));
	free(body);
}

TEST(renew_and_teardown)
{
	struct rgm_api_req r;
	struct rgm_api_error e;

	ASSERT_EQ(0, parse(RGM_API_RENEW, "{\"session\":\"s-0123\",\"lease\":60}", &r, &e));
	EXPECT_EQ(RGM_API_RENEW, r.kind);
	EXPECT_STREQ("s-0123", r.renew.session);
	EXPECT_EQ(60, r.renew.lease);
	REFUSED(RGM_API_RENEW, "{\"session\":\"s-0123\"}", 400, "missing field 'lease'");
	REFUSED(RGM_API_RENEW, "{\"lease\":60}", 400, "missing field 'session'");
	REFUSED(RGM_API_RENEW, "{\"session\":\"s 1\",\"lease\":60}", 422, "'session' must be");
	REFUSED(RGM_API_RENEW, "{\"session\":\"\",\"lease\":60}", 422, "'session' must be");
	REFUSED(RGM_API_RENEW, "{\"session\":1,\"lease\":60}", 400, "'session' must be a string");
	REFUSED(RGM_API_RENEW, "{\"session\":\"s\",\"lease\":60,\"streams\":[]}", 400,
		"unknown field 'streams'");
	ASSERT_EQ(0, parse(RGM_API_TEARDOWN, "{\"session\":\"s-0123\"}", &r, &e));
	EXPECT_STREQ("s-0123", r.teardown.session);
	REFUSED(RGM_API_TEARDOWN, "{}", 400, "missing field 'session'");
	REFUSED(RGM_API_TEARDOWN, "{\"session\":\"s\",\"lease\":1}", 400, "unknown field 'lease'");
}

TEST(gateway_enroll)
{
	struct rgm_api_req r;
	struct rgm_api_error e;

	ASSERT_EQ(0, parse(RGM_API_GATEWAY_ENROLL, "{\"id\":\"gw-17\",\"type\":\"homebox\","
			   "\"mode\":\"listen\",\"endpoint\":\"gw-17.example.net:7443\","
			   "\"pin\":\"" PIN "\",\"global_addr\":\"198.51.100.1\"}", &r, &e))
		TH_LOG("%s", e.msg);
	EXPECT_STREQ("gw-17", r.enroll.id);
	EXPECT_STREQ("homebox", r.enroll.type);
	EXPECT_EQ(RGM_GW_LISTEN, r.enroll.mode);
	EXPECT_STREQ("gw-17.example.net:7443", r.enroll.endpoint);
	EXPECT_STREQ(PIN, r.enroll.pin);
	EXPECT_TRUE(r.enroll.has_global_addr);
	ASSERT_EQ(0, parse(RGM_API_GATEWAY_ENROLL, "{\"id\":\"gw-18\",\"type\":\"homebox\","
			   "\"mode\":\"call-home\",\"pin\":\"" PIN "\"}", &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(RGM_GW_CALL_HOME, r.enroll.mode);
	EXPECT_STREQ("", r.enroll.endpoint);
	EXPECT_FALSE(r.enroll.has_global_addr);
	ASSERT_EQ(0, parse(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"listen\","
			   "\"endpoint\":\"[2001:db8::1]:7443\",\"pin\":\"" PIN "\"}", &r, &e));

	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"listen\","
		"\"pin\":\"" PIN "\"}", 422, "'endpoint' is required with mode \"listen\"");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"call-home\","
		"\"endpoint\":\"h:1\",\"pin\":\"" PIN "\"}", 422, "'endpoint' goes with mode");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"dial\","
		"\"pin\":\"" PIN "\"}", 422, "'mode' must be");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"listen\","
		"\"endpoint\":\"h\",\"pin\":\"" PIN "\"}", 422, "'endpoint' must be host:port");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"listen\","
		"\"endpoint\":\"h_x:1\",\"pin\":\"" PIN "\"}", 422, "'endpoint' must be host:port");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"listen\","
		"\"endpoint\":\"h:01\",\"pin\":\"" PIN "\"}", 422, "'endpoint' must be host:port");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"call-home\","
		"\"pin\":\"pin-sha256:abc=\"}", 422, "'pin' must be");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"call-home\"}",
		400, "missing field 'pin'");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"type\":\"t\",\"mode\":\"call-home\",\"pin\":\"" PIN "\"}",
		400, "missing field 'id'");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":[],\"mode\":\"call-home\","
		"\"pin\":\"" PIN "\"}", 400, "'type' must be a string");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"-g\",\"type\":\"t\",\"mode\":\"call-home\","
		"\"pin\":\"" PIN "\"}", 422, "'id' must be");
	REFUSED(RGM_API_GATEWAY_ENROLL, "{\"id\":\"g\",\"type\":\"t\",\"mode\":\"call-home\","
		"\"pin\":\"" PIN "\",\"global_addr\":\"255.255.255.255\"}", 422,
		"'global_addr' must be a unicast");
}

TEST(appliance_register)
{
	struct rgm_api_req r;
	struct rgm_api_error e;

	ASSERT_EQ(0, parse(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"00:11:22:33:44:55\","
			   "\"gateway\":\"gw-17\",\"gateway_addr\":\"198.51.100.1\"}", &r, &e));
	EXPECT_STREQ("00:11:22:33:44:55", r.reg.appliance);
	EXPECT_STREQ("gw-17", r.reg.gateway);
	EXPECT_STREQ("", r.reg.gateway_type);
	EXPECT_TRUE(r.reg.has_gateway_addr);
	EXPECT_EQ(ip("198.51.100.1").s_addr, r.reg.gateway_addr.s_addr);
	ASSERT_EQ(0, parse(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"stb@home\","
			   "\"gateway_type\":\"homebox\"}", &r, &e));
	EXPECT_STREQ("", r.reg.gateway);
	EXPECT_STREQ("homebox", r.reg.gateway_type);
	EXPECT_FALSE(r.reg.has_gateway_addr);
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"a\"}", 400,
		"give exactly one of 'gateway' and 'gateway_type'");
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"a\",\"gateway\":\"g\","
		"\"gateway_type\":\"t\"}", 422, "give exactly one of");
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"gateway\":\"g\"}", 400, "missing field 'appliance'");
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"a\",\"gateway\":true}", 400,
		"'gateway' must be a string");
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"a\",\"gateway\":\"g/../x\"}", 422,
		"'gateway' must be");
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"a\",\"gateway\":\"g\","
		"\"gateway_addr\":\"010.0.0.1\"}", 422, "'gateway_addr' must be an IPv4");
	REFUSED(RGM_API_APPLIANCE_REGISTER, "{\"appliance\":\"a\",\"gateway\":\"g\","
		"\"gateway\":\"h\"}", 400, "field 'gateway' given twice");
}

TEST(report)
{
	struct rgm_api_req r;
	struct rgm_api_error e;

	ASSERT_EQ(0, parse(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"eyJ2.c2ln\","
			   "\"gateway_addr\":\"198.51.100.1\",\"global_addr\":\"198.51.100.1\","
			   "\"ports\":[40000,40002]}", &r, &e));
	EXPECT_STREQ("s-1", r.report.session);
	EXPECT_STREQ("eyJ2.c2ln", r.report.grant);
	EXPECT_TRUE(r.report.has_global_addr);
	EXPECT_EQ(2, r.report.n_ports);
	EXPECT_EQ(40002, r.report.ports[1]);
	EXPECT_STREQ("", r.report.error_code);
	ASSERT_EQ(0, parse(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"eyJ2.c2ln\","
			   "\"gateway_addr\":\"198.51.100.1\",\"error\":{\"code\":\"port-conflict\","
			   "\"message\":\"UPnP 718\"}}", &r, &e));
	EXPECT_EQ(0, r.report.n_ports);
	EXPECT_STREQ("port-conflict", r.report.error_code);
	EXPECT_STREQ("UPnP 718", r.report.error_msg);
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a.b\","
		"\"gateway_addr\":\"198.51.100.1\"}", 400, "give exactly one of 'ports' and 'error'");
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a.b\","
		"\"gateway_addr\":\"198.51.100.1\",\"ports\":[1],\"error\":{}}", 422,
		"give exactly one of");
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a b\","
		"\"gateway_addr\":\"198.51.100.1\",\"ports\":[1]}", 422, "'grant' must be");
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a.b\","
		"\"gateway_addr\":\"198.51.100.1\",\"ports\":[0]}", 422, "'ports[0]'");
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a.b\","
		"\"gateway_addr\":\"198.51.100.1\",\"ports\":[]}", 422, "'ports' must have");
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a.b\","
		"\"gateway_addr\":\"198.51.100.1\",\"error\":{\"code\":\"Bad Code\","
		"\"message\":\"x\"}}", 422, "'error.code' must be");
	REFUSED(RGM_API_REPORT, "{\"session\":\"s-1\",\"grant\":\"a.b\","
		"\"gateway_addr\":\"198.51.100.1\",\"error\":{\"code\":\"x\","
		"\"message\":\"x\",\"extra\":1}}", 400, "error.extra");
}

TEST(value_checks)
{
	char id[RGM_API_ID_MAX + 2];

	memset(id, 'a', sizeof(id) - 1);
	id[RGM_API_ID_MAX] = '\0';
	EXPECT_TRUE(rgm_api_id_valid(id));
	id[RGM_API_ID_MAX] = 'a';
	id[RGM_API_ID_MAX + 1] = '\0';
	EXPECT_FALSE(rgm_api_id_valid(id));
	EXPECT_FALSE(rgm_api_id_valid(""));
	EXPECT_FALSE(rgm_api_id_valid("a\xc3\xa9"));
	EXPECT_TRUE(rgm_api_endpoint_valid("192.0.2.1:1"));
	EXPECT_TRUE(rgm_api_endpoint_valid("a-b.example:65535"));
	EXPECT_FALSE(rgm_api_endpoint_valid("-a.example:1"));
	EXPECT_FALSE(rgm_api_endpoint_valid("a..b:1"));
	EXPECT_FALSE(rgm_api_endpoint_valid(":1"));
	EXPECT_FALSE(rgm_api_endpoint_valid("[::1:1"));
	EXPECT_FALSE(rgm_api_endpoint_valid("[zz]:1"));
	EXPECT_FALSE(rgm_api_endpoint_valid("a:1x"));
	EXPECT_FALSE(rgm_api_endpoint_valid("a:-1"));
	EXPECT_TRUE(rgm_api_pin_valid(PIN));
	EXPECT_FALSE(rgm_api_pin_valid(PIN "A"));
}

TEST(error_json)
{
	struct rgm_api_req r;
	struct rgm_api_error e;
	struct json_object *o, *err, *v;
	char *s;

	ASSERT_EQ(-1, parse(RGM_API_RENEW, "{\"session\":\"a\\\"b\",\"lease\":0}", &r, &e));
	s = rgm_api_error_json(&e);
	ASSERT_NE(NULL, s);
	o = json_tokener_parse(s);
	ASSERT_NE(NULL, o) TH_LOG("%s", s);
	ASSERT_TRUE(json_object_object_get_ex(o, "error", &err));
	ASSERT_TRUE(json_object_object_get_ex(err, "status", &v));
	EXPECT_EQ(422, json_object_get_int(v));
	ASSERT_TRUE(json_object_object_get_ex(err, "message", &v));
	EXPECT_STREQ(e.msg, json_object_get_string(v));
	json_object_put(o);
	free(s);
}

TEST_HARNESS_MAIN
