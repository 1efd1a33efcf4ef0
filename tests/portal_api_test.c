// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the portal's request codec (portal/rgm_portal_api.c):
 * register, watch and stop bodies that are accepted and what they give,
 * then bad JSON, duplicate names, wrong types, out-of-range values, too
 * many ports, ports whose RTCP ports collide, single quotes and huge
 * bodies, each with its status (400/413/422) and a message naming the
 * field.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_portal_api.h"
#include "kselftest_harness.h"

static int parse(enum rgm_portal_kind k, const char *s, struct rgm_portal_req *r,
		 struct rgm_json_error *e)
{
	return rgm_portal_parse(k, s, strlen(s), r, e);
}

/* Expects a refusal with status and a message containing what. */
#define REFUSED(kind, body, st, what) do {					\
	struct rgm_portal_req _r;						\
	struct rgm_json_error _e;						\
	EXPECT_EQ(-1, parse(kind, body, &_r, &_e)) TH_LOG("accepted: %s", body);\
	EXPECT_EQ(st, _e.status) TH_LOG("%s -> %s", body, _e.msg);		\
	EXPECT_NE(NULL, strstr(_e.msg, what)) TH_LOG("%s -> %s", body, _e.msg);	\
	EXPECT_EQ(0, _r.watch.n_ports);						\
} while (0)

#define WATCH(ports) "{\"appliance\":\"stb-1\",\"title\":\"testcard\"," \
		     "\"local_addr\":\"10.0.0.2\",\"ports\":" ports "}"

TEST(register_ok)
{
	struct rgm_portal_req r;
	struct rgm_json_error e;

	ASSERT_EQ(0, parse(RGM_PORTAL_REGISTER,
			   "{\"appliance\":\"stb-1\",\"gateway_type\":\"homebox\"}", &r, &e))
		TH_LOG("%s", e.msg);
	EXPECT_EQ(RGM_PORTAL_REGISTER, r.kind);
	EXPECT_STREQ("stb-1", r.reg.appliance);
	EXPECT_STREQ("homebox", r.reg.gateway_type);
	EXPECT_STREQ("", r.reg.gateway);
	ASSERT_EQ(0, parse(RGM_PORTAL_REGISTER,
			   " {\"gateway\":\"gw-a\", \"appliance\":\"00:11:22:33:44:55\"}\n",
			   &r, &e))
		TH_LOG("%s", e.msg);
	EXPECT_STREQ("00:11:22:33:44:55", r.reg.appliance);
	EXPECT_STREQ("gw-a", r.reg.gateway);
	EXPECT_STREQ("", r.reg.gateway_type);
}

TEST(register_bad)
{
	REFUSED(RGM_PORTAL_REGISTER, "{\"appliance\":\"stb-1\"}", 400,
		"give one of 'gateway' and 'gateway_type'");
	REFUSED(RGM_PORTAL_REGISTER,
		"{\"appliance\":\"stb-1\",\"gateway\":\"a\",\"gateway_type\":\"b\"}", 422,
		"only one of 'gateway' and 'gateway_type'");
	REFUSED(RGM_PORTAL_REGISTER, "{\"gateway\":\"gw-a\"}", 400, "missing field 'appliance'");
	REFUSED(RGM_PORTAL_REGISTER, "{\"appliance\":\"-x\",\"gateway\":\"gw-a\"}", 422,
		"'appliance' must be 1..64 characters");
	REFUSED(RGM_PORTAL_REGISTER, "{\"appliance\":\"a b\",\"gateway\":\"gw-a\"}", 422,
		"'appliance' must be");
	REFUSED(RGM_PORTAL_REGISTER, "{\"appliance\":\"stb-1\",\"gateway\":7}", 400,
		"'gateway' must be a string");
	/* the portal fills gateway_addr itself: an appliance may not */
	REFUSED(RGM_PORTAL_REGISTER, "{\"appliance\":\"stb-1\",\"gateway\":\"gw-a\","
		"\"gateway_addr\":\"198.51.100.9\"}", 400, "unknown field 'gateway_addr'");
}

TEST(watch_ok)
{
	struct rgm_portal_req r;
	struct rgm_json_error e;
	const struct rgm_portal_watch *w = &r.watch;
	struct in_addr a;

	ASSERT_EQ(0, parse(RGM_PORTAL_WATCH, WATCH("[5004,5006]"), &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(RGM_PORTAL_WATCH, r.kind);
	EXPECT_STREQ("stb-1", w->appliance);
	EXPECT_STREQ("testcard", w->title);
	inet_pton(AF_INET, "10.0.0.2", &a);
	EXPECT_EQ(a.s_addr, w->local_addr.s_addr);
	ASSERT_EQ(2, w->n_ports);
	EXPECT_EQ(5004, w->ports[0]);
	EXPECT_EQ(5006, w->ports[1]);
	EXPECT_EQ(0, w->lease);
	EXPECT_STREQ("", w->gateway);
	EXPECT_STREQ("", w->gateway_type);

	/* odd ports, the extremes, a lease, a gateway: all fine */
	ASSERT_EQ(0, parse(RGM_PORTAL_WATCH,
			   "{\"appliance\":\"stb-1\",\"title\":\"t\",\"local_addr\":\"10.0.0.2\","
			   "\"ports\":[1,65534,7,3],\"lease\":604800,\"gateway\":\"gw-a\"}",
			   &r, &e))
		TH_LOG("%s", e.msg);
	EXPECT_EQ(4, w->n_ports);
	EXPECT_EQ(1, w->ports[0]);
	EXPECT_EQ(65534, w->ports[1]);
	EXPECT_EQ(604800, w->lease);
	EXPECT_STREQ("gw-a", w->gateway);

	ASSERT_EQ(0, parse(RGM_PORTAL_WATCH, WATCH("[1,3,5,7,9,11,13,15]"), &r, &e))
		TH_LOG("%s", e.msg);
	EXPECT_EQ(8, w->n_ports);
}

TEST(watch_ports)
{
	REFUSED(RGM_PORTAL_WATCH, WATCH("[]"), 422, "'ports' must have 1..8 entries, not 0");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[1,3,5,7,9,11,13,15,17]"), 422,
		"'ports' must have 1..8 entries, not 9");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[5004,5004]"), 422,
		"'ports[1]' (5004) collides with ports[0] (5004)");
	/* 5005 is 5004's RTCP port */
	REFUSED(RGM_PORTAL_WATCH, WATCH("[5004,5005]"), 422, "'ports[1]' (5005) collides");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[5005,5004]"), 422, "'ports[1]' (5004) collides");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[6000,5004,5003]"), 422,
		"'ports[2]' (5003) collides with ports[1]");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[0]"), 422, "'ports[0]' must be 1..65534");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[65535]"), 422, "'ports[0]' must be 1..65534");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[5004,-2]"), 422, "'ports[1]' must be 1..65534");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[99999999999999999999]"), 422, "'ports[0]' must be");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[5004.0]"), 400, "'ports[0]' must be an integer");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[\"5004\"]"), 400, "'ports[0]' must be an integer");
	REFUSED(RGM_PORTAL_WATCH, WATCH("5004"), 400, "'ports' must be an array");
	REFUSED(RGM_PORTAL_WATCH, WATCH("[[5004]]"), 400, "'ports[0]' must be an integer");
}

TEST(watch_fields)
{
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\",\"ports\":[5004]}",
		400, "missing field 'local_addr'");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"local_addr\":\"10.0.0.2\","
		"\"ports\":[5004]}", 400, "missing field 'title'");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\"}", 400, "missing field 'ports'");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"../etc\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004]}", 422, "'title' must be");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t/x\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004]}", 422, "'title' must be");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.2\",\"ports\":[5004]}", 422,
		"'local_addr' must be an IPv4 address");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"010.0.0.2\",\"ports\":[5004]}", 422, "'local_addr' must be");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"224.0.0.1\",\"ports\":[5004]}", 422,
		"'local_addr' must be a unicast IPv4 address");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004],\"lease\":0}", 422,
		"'lease' must be 1..604800");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004],\"lease\":604801}", 422,
		"'lease' must be 1..604800");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004],\"lease\":\"60\"}", 400,
		"'lease' must be an integer");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004],\"lease\":true}", 400,
		"'lease' must be an integer");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004],\"gateway\":\"a\","
		"\"gateway_type\":\"b\"}", 422, "only one of");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"stb-1\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004],\"streams\":[]}", 400,
		"unknown field 'streams'");
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"st\\u0000b\",\"title\":\"t\","
		"\"local_addr\":\"10.0.0.2\",\"ports\":[5004]}", 422, "NUL character");
}

TEST(stop)
{
	struct rgm_portal_req r;
	struct rgm_json_error e;

	ASSERT_EQ(0, parse(RGM_PORTAL_STOP, "{\"session\":\"s-0123456789abcdef0123456789abcdef\"}",
			   &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("s-0123456789abcdef0123456789abcdef", r.stop.session);
	REFUSED(RGM_PORTAL_STOP, "{}", 400, "missing field 'session'");
	REFUSED(RGM_PORTAL_STOP, "{\"session\":\"\"}", 422, "'session' must be 1..128");
	REFUSED(RGM_PORTAL_STOP, "{\"session\":\"s 1\"}", 422, "'session' must be 1..128");
	REFUSED(RGM_PORTAL_STOP, "{\"session\":1}", 400, "'session' must be a string");
	REFUSED(RGM_PORTAL_STOP, "{\"session\":\"s-1\",\"lease\":5}", 400, "unknown field 'lease'");
}

TEST(bad_json)
{
	static const struct { const char *body, *what; } bad[] = {
		{ "", "empty request body" },
		{ "{", "invalid JSON" },
		{ "{\"session\":\"a\"", "invalid JSON" },
		{ "{\"session\":\"a\",}", "invalid JSON" },
		{ "{session:\"a\"}", "invalid JSON" },
		{ "{\"session\":\"a\"} {}", "invalid JSON" },
		{ "[]", "must be a JSON object" },
		{ "null", "must be a JSON object" },
		{ "42", "must be a JSON object" },
		{ "{\"session\":\"\xc3\"}", "invalid JSON" },
		{ "{\"a\":[[[[[1]]]]]}", "invalid JSON" },
		/* duplicate names, also when spelled differently */
		{ "{\"session\":\"a\",\"session\":\"b\"}", "field 'session' given twice" },
		{ "{\"session\":\"a\",\"\\u0073ession\":\"b\"}", "field 'session' given twice" },
		/* json-c's strict mode takes these; RFC 8259 does not */
		{ "{'session':\"a\"}", "double quotes" },
		{ "{\"session\":'a'}", "invalid JSON" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(RGM_PORTAL_STOP, bad[i].body, 400, bad[i].what);
	REFUSED(RGM_PORTAL_WATCH, "{\"appliance\":\"a\",\"ports\":[1],\"ports\":[3]}", 400,
		"field 'ports' given twice");
	{
		struct rgm_portal_req r;
		struct rgm_json_error e;

		EXPECT_EQ(-1, rgm_portal_parse(RGM_PORTAL_STOP, "{\"session\":\"a\"}\0{}", 17, &r,
					       &e));
		EXPECT_EQ(400, e.status);
		EXPECT_NE(NULL, strstr(e.msg, "NUL byte"));
	}
}

TEST(huge_body)
{
	size_t big = RGM_PORTAL_BODY_MAX + 1;
	struct rgm_portal_req r;
	struct rgm_json_error e;
	char *body = malloc(big);

	ASSERT_NE(NULL, body);
	memset(body, ' ', big);
	memcpy(body, "{\"session\":\"s-1\"}", 17);
	EXPECT_EQ(-1, rgm_portal_parse(RGM_PORTAL_STOP, body, big, &r, &e));
	EXPECT_EQ(413, e.status);
	EXPECT_NE(NULL, strstr(e.msg, "65537 bytes")) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, rgm_portal_parse(RGM_PORTAL_STOP, body, big - 1, &r, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("s-1", r.stop.session);
	free(body);
}

TEST(kind_names)
{
	EXPECT_STREQ("register", rgm_portal_kind_name(RGM_PORTAL_REGISTER));
	EXPECT_STREQ("watch", rgm_portal_kind_name(RGM_PORTAL_WATCH));
	EXPECT_STREQ("stop", rgm_portal_kind_name(RGM_PORTAL_STOP));
	EXPECT_STREQ("?", rgm_portal_kind_name(__RGM_PORTAL_KIND_MAX));
}

TEST_HARNESS_MAIN
