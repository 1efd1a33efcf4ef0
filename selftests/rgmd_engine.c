// SPDX-License-Identifier: GPL-2.0
/*
 * The rgmd protocol engine against the real module, without TLS: request
 * payloads go straight into rgmd_engine_handle() and the kernel's table is
 * checked through lib/rgm_nl.h after every step, negative ones included
 * (nothing installed, and the engine still serves the next good request).
 *
 * The engine lives in ctl/rgmd/ (linked into rgmd only): this test links the
 * engine's objects and reads its state through the engine's internal header.
 *
 * Each test runs in a network namespace of its own: kernel config 198.51.100.1
 * and .2, ports 40000-40099; the gateway owns 10.0.0.1 (on lo); policy:
 * lan-prefix 10.0.0.0/24, ports 40000-40049, lease-max 600, 4 per host,
 * 10 in all.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "engine.h"
#include "engine_int.h"	/* struct rgmd_engine: the overflow counter */
#include "rgm_nl.h"
#include "rgm_policy.h"
#include "rgm_proto.h"

#include "kselftest_harness.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static const struct rgmd_peer peer_a = { .name = "CN=server-a", .conn_id = 1 };
static const struct rgmd_peer peer_b = { .name = "CN=server-b", .conn_id = 2 };

/* One request; returns the parsed reply (never NULL: asserts in the caller). */
static struct json_object *call(struct rgmd_engine *e, const struct rgmd_peer *p,
				const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct json_object *call(struct rgmd_engine *e, const struct rgmd_peer *p,
				const char *fmt, ...)
{
	char req[8192], *reply = NULL;
	struct json_object *o;
	size_t len = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	if (rgmd_engine_handle(e, p, (const uint8_t *)req, strlen(req), &reply, &len))
		return NULL;
	o = json_tokener_parse(reply);
	if (getenv("RGMD_TEST_VERBOSE"))
		fprintf(stderr, "# >> %s\n# << %s\n", req, reply);
	free(reply);
	return o;
}

/* "ok", or the error code of a reply */
static const char *code(struct json_object *r)
{
	struct json_object *e, *c;

	if (!r)
		return "(no reply)";
	if (json_object_get_boolean(json_object_object_get(r, "ok")))
		return "ok";
	e = json_object_object_get(r, "error");
	c = json_object_object_get(e, "code");
	return c ? json_object_get_string(c) : "(no code)";
}

static const char *message(struct json_object *r)
{
	return json_object_get_string(json_object_object_get(
		json_object_object_get(r, "error"), "message"));
}

static int64_t jint(struct json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

static struct json_object *jidx(struct json_object *o, const char *k, size_t i)
{
	return json_object_array_get_idx(json_object_object_get(o, k), i);
}

static size_t jlen(struct json_object *o, const char *k)
{
	return json_object_array_length(json_object_object_get(o, k));
}

/* Mappings in the kernel, all or one owner's. */
struct count_ctx { unsigned int n; uint32_t expires_max; };

static int count_cb(const struct rgm_map *m, void *arg)
{
	struct count_ctx *c = arg;

	c->n++;
	if (m->expires > c->expires_max)
		c->expires_max = m->expires;
	return 0;
}

static void count_restart(void *arg)
{
	memset(arg, 0, sizeof(struct count_ctx));
}

static int kcount(struct rgm_nl *nl, const char *session)
{
	struct count_ctx c = { 0 };
	uint64_t owner = session ? rgm_proto_cookie(session) : 0;

	if (rgm_nl_map_dump(nl, session ? &owner : NULL, count_cb, count_restart, &c))
		return -1;
	return c.n;
}

static uint32_t kexpires(struct rgm_nl *nl, const char *session)
{
	struct count_ctx c = { 0 };
	uint64_t owner = rgm_proto_cookie(session);

	rgm_nl_map_dump(nl, &owner, count_cb, count_restart, &c);
	return c.expires_max;
}

FIXTURE(eng) {
	struct rgm_nl *nl;
	struct rgm_policy pol;
	struct rgmd_engine *e;
	char dir[64];
};

static struct rgmd_engine *engine(struct __test_metadata *_metadata,
				  FIXTURE_DATA(eng) *self)
{
	char err[256] = "";
	struct rgmd_engine *e = rgmd_engine_new_dir(&self->pol, "gw-test", self->dir, err,
						     sizeof(err));

	if (!e)
		TH_LOG("engine: %s", err);
	return e;
}

FIXTURE_SETUP(eng)
{
	struct rgm_config c = {
		.set = RGM_CFG_SET_ADDRS | RGM_CFG_SET_PORT_MIN | RGM_CFG_SET_PORT_MAX,
		.n_addrs = 2, .port_min = 40000, .port_max = 40099,
	};
	char err[256];

	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %s", strerror(errno));
	ASSERT_EQ(0, system("ip link set lo up && ip addr add 10.0.0.1/24 dev lo"));
	ASSERT_EQ(0, rgm_nl_open(&self->nl)) TH_LOG("is rgm.ko loaded?");
	c.addrs[0] = ip("198.51.100.1");
	c.addrs[1] = ip("198.51.100.2");
	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c)) TH_LOG("%s", rgm_nl_errmsg(self->nl));

	rgm_policy_init(&self->pol);
	ASSERT_EQ(0, rgm_policy_set(&self->pol, "lan-prefix", "10.0.0.0/24", err, sizeof(err)));
	ASSERT_EQ(0, rgm_policy_set(&self->pol, "ports", "40000-40049", err, sizeof(err)));
	ASSERT_EQ(0, rgm_policy_set(&self->pol, "lease-max", "600", err, sizeof(err)));
	ASSERT_EQ(0, rgm_policy_set(&self->pol, "max-per-host", "4", err, sizeof(err)));
	ASSERT_EQ(0, rgm_policy_set(&self->pol, "max-mappings", "10", err, sizeof(err)));
	strcpy(self->dir, "/tmp/rgmd-engine-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->e = engine(_metadata, self);
	ASSERT_NE(NULL, self->e);
}

FIXTURE_TEARDOWN(eng)
{
	char cmd[128];

	rgmd_engine_free(self->e);
	if (self->nl)
		rgm_nl_close(self->nl);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

#define MAP_AV \
	"{\"v\":1,\"id\":%d,\"op\":\"map\",\"session\":\"%s\",\"lease\":%d,\"streams\":[" \
	"{\"type\":\"rtp\",\"rtcp\":true,\"local_addr\":\"10.0.0.2\",\"local_port\":5004," \
	"\"server_addr\":\"203.0.113.7\",\"server_port\":6000}," \
	"{\"type\":\"tcp\",\"local_addr\":\"10.0.0.2\",\"local_port\":8080}]}"

/* one stream: type, local host, optional extra fields */
#define MAP_ONE \
	"{\"v\":1,\"id\":%d,\"op\":\"map\",\"session\":\"%s\",\"lease\":%d,\"streams\":[" \
	"{\"type\":\"%s\",\"local_addr\":\"%s\",\"local_port\":%d%s}]}"

TEST_F(eng, hello)
{
	struct json_object *r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"hello\"}");
	struct json_object *ports;
	const char *epoch;
	char err[256];

	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(1, jint(r, "id"));
	EXPECT_EQ(1, json_object_get_int(jidx(r, "versions", 0)));
	EXPECT_STREQ("gw-test", json_object_get_string(json_object_object_get(r, "gateway")));
	ASSERT_EQ(2, jlen(r, "global_addrs"));
	EXPECT_STREQ("198.51.100.1", json_object_get_string(jidx(r, "global_addrs", 0)));
	ports = json_object_object_get(r, "ports");
	/* policy 40000-40049 within kernel 40000-40099 */
	EXPECT_EQ(40000, jint(ports, "min"));
	EXPECT_EQ(40049, jint(ports, "max"));
	EXPECT_EQ(600, jint(r, "lease_max"));
	EXPECT_EQ(3, jlen(r, "streams"));
	epoch = json_object_get_string(json_object_object_get(r, "epoch"));
	ASSERT_NE(NULL, epoch);
	EXPECT_EQ(16, strlen(epoch));
	json_object_put(r);

	r = call(self->e, &peer_a, "{\"v\":1,\"id\":2,\"op\":\"hello\",\"versions\":[2]}");
	EXPECT_STREQ("unsupported-version", code(r));
	EXPECT_EQ(1, json_object_get_int(jidx(r, "versions", 0)));
	json_object_put(r);

	/* a policy range outside the kernel's: hello still answers, ports null */
	ASSERT_EQ(0, rgm_policy_set(&self->pol, "ports", "50000-50010", err, sizeof(err)));
	ASSERT_EQ(0, rgmd_engine_set_policy(self->e, &self->pol, err, sizeof(err)));
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":3,\"op\":\"hello\"}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_TRUE(json_object_object_get_ex(r, "ports", NULL));
	EXPECT_EQ(NULL, json_object_object_get(r, "ports"));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":4,\"op\":\"query\",\"type\":\"udp\",\"count\":1}");
	EXPECT_STREQ("policy-denied", code(r));
	json_object_put(r);
}

TEST_F(eng, bad_input_then_good)
{
	static const struct { const char *req, *code; } bad[] = {
		{ "{not json", "bad-request" },
		{ "[1,2]", "bad-request" },
		{ "{\"v\":1,\"id\":3,\"op\":\"teleport\"}", "unknown-op" },
		{ "{\"v\":7,\"id\":3,\"op\":\"hello\"}", "unsupported-version" },
		{ "{\"v\":1,\"id\":3,\"op\":\"map\",\"session\":\"s\",\"lease\":5}", "bad-request" },
		{ "{\"v\":1,\"id\":3,\"op\":\"map\",\"session\":\"s\",\"lease\":5,\"streams\":"
		  "[{\"type\":\"udp\",\"local_port\":5}]}", "bad-request" },
		{ "{\"v\":1,\"id\":3,\"op\":\"renew\",\"session\":\"s\"}", "bad-request" },
	};
	struct json_object *r;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(self->e, &peer_a, "%s", bad[i].req);
		EXPECT_STREQ(bad[i].code, code(r)) TH_LOG("%s", bad[i].req);
		EXPECT_NE(NULL, message(r));
		json_object_put(r);
		EXPECT_EQ(0, kcount(self->nl, NULL));
		r = call(self->e, &peer_a, "{\"v\":1,\"id\":4,\"op\":\"hello\"}");
		EXPECT_STREQ("ok", code(r));
		json_object_put(r);
	}
	/* the id is echoed when it could be read, null otherwise */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":77,\"op\":\"nope\"}");
	EXPECT_EQ(77, jint(r, "id"));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"op\":\"hello\"}");
	ASSERT_NE(NULL, r);
	EXPECT_TRUE(json_object_object_get_ex(r, "id", NULL));
	EXPECT_EQ(NULL, json_object_object_get(r, "id"));
	json_object_put(r);
}

TEST_F(eng, query)
{
	struct rgm_map m = {
		.proto = IPPROTO_UDP, .global_addr = ip("198.51.100.1"), .global_port = 40001,
		.local_addr = ip("10.0.0.9"), .local_port = 9, .lease = 60,
	};
	struct json_object *r;

	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\",\"count\":3}");
	ASSERT_STREQ("ok", code(r));
	ASSERT_EQ(3, jlen(r, "ports"));
	EXPECT_EQ(40000, json_object_get_int(jidx(r, "ports", 0)));
	EXPECT_EQ(40002, json_object_get_int(jidx(r, "ports", 2)));
	json_object_put(r);

	/* a port mapped by someone else (owner 0, as rgmctl) is not free */
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"rtp\",\"count\":2,"
		 "\"pairs\":true}");
	ASSERT_STREQ("ok", code(r));
	ASSERT_EQ(2, jlen(r, "ports"));
	EXPECT_EQ(40002, json_object_get_int(jidx(r, "ports", 0)));
	EXPECT_EQ(40004, json_object_get_int(jidx(r, "ports", 1)));
	json_object_put(r);
	/* TCP ports are another space */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"tcp\",\"count\":2}");
	EXPECT_EQ(40001, json_object_get_int(jidx(r, "ports", 1)));
	json_object_put(r);
	/* the policy range has 50 ports, one of them taken */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\",\"count\":49}");
	EXPECT_STREQ("ok", code(r));
	EXPECT_EQ(40049, json_object_get_int(jidx(r, "ports", 48)));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\",\"count\":50}");
	EXPECT_STREQ("table-full", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"query\",\"type\":\"udp\",\"count\":1,"
		 "\"global_addr\":\"198.51.100.7\"}");
	EXPECT_STREQ("bad-request", code(r));
	json_object_put(r);
}

TEST_F(eng, reserve_hold_expiry)
{
	struct json_object *r;
	int t;

	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"reserve\",\"session\":\"r1\","
		 "\"type\":\"udp\",\"ports\":[40000],\"hold\":1}");
	ASSERT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	json_object_put(r);
	/* reserved: not free for a query, nor for another session */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":2,\"op\":\"query\",\"type\":\"udp\",\"count\":1}");
	EXPECT_EQ(40001, json_object_get_int(jidx(r, "ports", 0)));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":3,\"op\":\"reserve\",\"session\":\"r2\","
		 "\"type\":\"udp\",\"ports\":[40000]}");
	EXPECT_STREQ("port-in-use", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, MAP_ONE, 4, "r2", 60, "udp", "10.0.0.2", 5000,
		 ",\"global_port\":40000");
	EXPECT_STREQ("port-in-use", code(r));
	json_object_put(r);
	/* outside the policy range, though inside the kernel's */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":5,\"op\":\"reserve\",\"session\":\"r2\","
		 "\"type\":\"udp\",\"ports\":[40060]}");
	EXPECT_STREQ("policy-denied", code(r));
	json_object_put(r);
	/* chosen pairs */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":6,\"op\":\"reserve\",\"session\":\"r2\","
		 "\"type\":\"rtp\",\"count\":1,\"pairs\":true,\"hold\":30}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(40002, json_object_get_int(jidx(r, "ports", 0)));
	EXPECT_EQ(40003, json_object_get_int(jidx(r, "ports", 1)));
	json_object_put(r);

	t = rgmd_engine_timeout_ms(self->e);
	EXPECT_GE(t, 0);
	EXPECT_LE(t, 1000);
	usleep(1100 * 1000);
	EXPECT_EQ(0, rgmd_engine_timeout_ms(self->e));
	rgmd_engine_tick(self->e);
	/* r1's hold ran out; r2's pair is still held */
	t = rgmd_engine_timeout_ms(self->e);
	EXPECT_GT(t, 20000);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":7,\"op\":\"query\",\"type\":\"udp\",\"count\":2}");
	EXPECT_EQ(40000, json_object_get_int(jidx(r, "ports", 0)));
	EXPECT_EQ(40001, json_object_get_int(jidx(r, "ports", 1)));
	json_object_put(r);
	r = call(self->e, &peer_a, MAP_ONE, 8, "r1", 60, "udp", "10.0.0.2", 5000,
		 ",\"global_port\":40000,\"reserved\":true");
	EXPECT_STREQ("not-reserved", code(r));
	json_object_put(r);
	EXPECT_EQ(0, kcount(self->nl, NULL));

	/* map consumes r2's reserved pair for a chosen rtp+rtcp stream */
	r = call(self->e, &peer_a, MAP_ONE, 9, "r2", 60, "rtp", "10.0.0.2", 5004,
		 ",\"rtcp\":true,\"reserved\":true");
	ASSERT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	EXPECT_EQ(40002, jint(jidx(r, "streams", 0), "global_port"));
	EXPECT_EQ(40003, jint(jidx(r, "streams", 0), "rtcp_port"));
	json_object_put(r);
	EXPECT_EQ(2, kcount(self->nl, "r2"));
	EXPECT_EQ(-1, rgmd_engine_timeout_ms(self->e));

	/* unmap releases reservations; list shows them before */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":11,\"op\":\"reserve\",\"session\":\"r4\","
		 "\"type\":\"udp\",\"count\":2}");
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":12,\"op\":\"list\",\"session\":\"r4\"}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(2, jlen(jidx(r, "sessions", 0), "reserved"));
	EXPECT_EQ(0, jlen(jidx(r, "sessions", 0), "mappings"));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":13,\"op\":\"unmap\",\"session\":\"r4\"}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(0, jint(r, "count"));
	EXPECT_EQ(2, jint(r, "released"));
	json_object_put(r);
	EXPECT_EQ(-1, rgmd_engine_timeout_ms(self->e));

	/* a peer that goes away takes its reservations with it */
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":10,\"op\":\"reserve\",\"session\":\"r3\","
		 "\"type\":\"tcp\",\"count\":3}");
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	EXPECT_GT(rgmd_engine_timeout_ms(self->e), 0);
	rgmd_engine_peer_gone(self->e, &peer_b);
	EXPECT_EQ(-1, rgmd_engine_timeout_ms(self->e));
}

TEST_F(eng, map_retry_renew_unmap_list)
{
	struct json_object *r, *s;
	int p0, p1;

	r = call(self->e, &peer_a, MAP_AV, 1, "call-1", 300);
	ASSERT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	EXPECT_FALSE(json_object_get_boolean(json_object_object_get(r, "replayed")));
	ASSERT_EQ(2, jlen(r, "streams"));
	s = jidx(r, "streams", 0);
	p0 = jint(s, "global_port");
	EXPECT_EQ(0, p0 & 1);
	EXPECT_EQ(p0 + 1, jint(s, "rtcp_port"));
	EXPECT_EQ(2, jlen(s, "mapping_ids"));
	p1 = jint(jidx(r, "streams", 1), "global_port");
	EXPECT_STREQ("198.51.100.1", json_object_get_string(json_object_object_get(s, "global_addr")));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, "call-1"));

	/* the same request again: nothing new, same ports */
	r = call(self->e, &peer_a, MAP_AV, 2, "call-1", 300);
	ASSERT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	EXPECT_TRUE(json_object_get_boolean(json_object_object_get(r, "replayed")));
	EXPECT_EQ(p0, jint(jidx(r, "streams", 0), "global_port"));
	EXPECT_EQ(p1, jint(jidx(r, "streams", 1), "global_port"));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));

	/* another map for the same session is refused */
	r = call(self->e, &peer_a, MAP_ONE, 3, "call-1", 300, "udp", "10.0.0.3", 7000, "");
	EXPECT_STREQ("bad-request", code(r));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));

	/* renew */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":4,\"op\":\"renew\",\"session\":\"call-1\","
		 "\"lease\":500}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(3, jint(r, "count"));
	json_object_put(r);
	EXPECT_GE(kexpires(self->nl, "call-1"), 498);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":5,\"op\":\"renew\",\"session\":\"call-1\","
		 "\"lease\":601}");
	EXPECT_STREQ("policy-denied", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":6,\"op\":\"renew\",\"session\":\"nope\","
		 "\"lease\":60}");
	EXPECT_STREQ("no-such-session", code(r));
	json_object_put(r);

	/* list: by session, all of this peer's; another peer sees nothing */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":7,\"op\":\"list\",\"session\":\"call-1\"}");
	ASSERT_STREQ("ok", code(r));
	ASSERT_EQ(1, jlen(r, "sessions"));
	s = jidx(r, "sessions", 0);
	EXPECT_STREQ("call-1", json_object_get_string(json_object_object_get(s, "session")));
	EXPECT_EQ(3, jlen(s, "mappings"));
	EXPECT_FALSE(json_object_get_boolean(json_object_object_get(s, "adopted")));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":8,\"op\":\"list\"}");
	EXPECT_EQ(1, jlen(r, "sessions"));
	json_object_put(r);
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":9,\"op\":\"list\"}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(0, jlen(r, "sessions"));
	json_object_put(r);
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":10,\"op\":\"unmap\",\"session\":\"call-1\"}");
	EXPECT_STREQ("no-such-session", code(r));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));

	/* unmap */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":11,\"op\":\"unmap\",\"session\":\"call-1\"}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(3, jint(r, "count"));
	json_object_put(r);
	EXPECT_EQ(0, kcount(self->nl, NULL));
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":12,\"op\":\"unmap\",\"session\":\"call-1\"}");
	EXPECT_STREQ("no-such-session", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":13,\"op\":\"list\",\"session\":\"call-1\"}");
	EXPECT_STREQ("no-such-session", code(r));
	json_object_put(r);

	/* after unmap the same session id maps afresh */
	r = call(self->e, &peer_a, MAP_AV, 14, "call-1", 300);
	ASSERT_STREQ("ok", code(r));
	EXPECT_FALSE(json_object_get_boolean(json_object_object_get(r, "replayed")));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, "call-1"));
}

TEST_F(eng, all_or_none)
{
	struct rgm_map m = {
		.proto = IPPROTO_UDP, .global_addr = ip("198.51.100.1"), .global_port = 40004,
		.local_addr = ip("10.0.0.9"), .local_port = 9, .lease = 60,
	};
	struct rgm_config c = { .set = RGM_CFG_SET_MAX_MAPPINGS, .max_mappings = 3 };
	struct json_object *r;

	/* one port taken behind rgmd's back */
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	r = call(self->e, &peer_a,
		 "{\"v\":1,\"id\":1,\"op\":\"map\",\"session\":\"s\",\"lease\":60,\"streams\":["
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\",\"local_port\":1,\"global_port\":40002},"
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\",\"local_port\":2,\"global_port\":40004}]}");
	EXPECT_STREQ("port-in-use", code(r));
	EXPECT_NE(NULL, strstr(message(r), "40004"));
	json_object_put(r);
	EXPECT_EQ(0, kcount(self->nl, "s"));
	EXPECT_EQ(1, kcount(self->nl, NULL));
	/* two streams naming the same port */
	r = call(self->e, &peer_a,
		 "{\"v\":1,\"id\":2,\"op\":\"map\",\"session\":\"s\",\"lease\":60,\"streams\":["
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\",\"local_port\":1,\"global_port\":40002},"
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.3\",\"local_port\":2,\"global_port\":40002}]}");
	EXPECT_STREQ("port-in-use", code(r));
	json_object_put(r);
	EXPECT_EQ(1, kcount(self->nl, NULL));

	/* the kernel itself refuses the batch's third tuple: none installed */
	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	r = call(self->e, &peer_a, MAP_AV, 3, "s", 60);
	EXPECT_STREQ("table-full", code(r)) TH_LOG("%s", message(r));
	EXPECT_NE(NULL, strstr(message(r), "kernel"));
	json_object_put(r);
	EXPECT_EQ(0, kcount(self->nl, "s"));
	EXPECT_EQ(1, kcount(self->nl, NULL));

	/* and the engine still serves the next good request */
	r = call(self->e, &peer_a, MAP_ONE, 4, "s", 60, "udp", "10.0.0.2", 1, "");
	EXPECT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	json_object_put(r);
	EXPECT_EQ(1, kcount(self->nl, "s"));
}

TEST_F(eng, policy_denials)
{
	static const struct { const char *type, *local, *extra, *code, *needle; int lease; } bad[] = {
		{ "udp", "10.0.1.2", "", "policy-denied", "outside every lan-prefix", 60 },
		{ "udp", "10.0.0.1", "", "policy-denied", "gateway itself", 60 },
		{ "udp", "198.51.100.1", "", "policy-denied", "gateway itself", 60 },
		{ "udp", "10.0.0.255", "", "policy-denied", "not a host address", 60 },
		{ "udp", "10.0.0.2", ",\"global_port\":40060", "policy-denied", "policy range", 60 },
		{ "udp", "10.0.0.2", ",\"global_port\":40100", "policy-denied", "40100", 60 },
		{ "udp", "10.0.0.2", "", "policy-denied", "lease", 601 },
		{ "udp", "10.0.0.2", ",\"global_addr\":\"198.51.100.9\"", "bad-request",
		  "not a global address", 60 },
	};
	struct rgm_policy pol = self->pol;
	struct json_object *r;
	char err[256], extra[300];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(self->e, &peer_a, MAP_ONE, i, "deny", bad[i].lease, bad[i].type,
			 bad[i].local, 5000, bad[i].extra);
		EXPECT_STREQ(bad[i].code, code(r)) TH_LOG("%s %s", bad[i].local, bad[i].extra);
		EXPECT_NE(NULL, strstr(message(r) ?: "", bad[i].needle))
			TH_LOG("'%s'", message(r));
		json_object_put(r);
		EXPECT_EQ(0, kcount(self->nl, NULL));
	}

	/* four per host: a fifth tuple for 10.0.0.2 is refused, all of them */
	r = call(self->e, &peer_a, MAP_AV, 20, "h1", 60);	/* 3 tuples */
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":21,\"op\":\"map\",\"session\":\"h2\",\"lease\":60,"
		 "\"streams\":[{\"type\":\"udp\",\"local_addr\":\"10.0.0.3\",\"local_port\":1},"
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\",\"local_port\":2},"
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.2\",\"local_port\":3}]}");
	EXPECT_STREQ("policy-denied", code(r));
	EXPECT_NE(NULL, strstr(message(r), "max-per-host"));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));

	/* ten in all, reservations included */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":22,\"op\":\"reserve\",\"session\":\"h3\","
		 "\"type\":\"udp\",\"count\":5}");
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":23,\"op\":\"map\",\"session\":\"h4\",\"lease\":60,"
		 "\"streams\":[{\"type\":\"udp\",\"local_addr\":\"10.0.0.4\",\"local_port\":1},"
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.5\",\"local_port\":2},"
		 "{\"type\":\"udp\",\"local_addr\":\"10.0.0.6\",\"local_port\":3}]}");
	EXPECT_STREQ("policy-denied", code(r));
	EXPECT_NE(NULL, strstr(message(r), "max-mappings"));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":24,\"op\":\"reserve\",\"session\":\"h3\","
		 "\"type\":\"udp\",\"count\":3}");
	EXPECT_STREQ("policy-denied", code(r));
	json_object_put(r);

	/* stream types, after a policy reload */
	ASSERT_EQ(0, rgm_policy_set(&pol, "streams", "tcp,udp", err, sizeof(err)));
	ASSERT_EQ(0, rgmd_engine_set_policy(self->e, &pol, err, sizeof(err)));
	r = call(self->e, &peer_a, MAP_ONE, 25, "t", 60, "rtp", "10.0.0.7", 5004, "");
	EXPECT_STREQ("policy-denied", code(r));
	EXPECT_NE(NULL, strstr(message(r), "rtp"));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":26,\"op\":\"query\",\"type\":\"rtp\",\"count\":1}");
	EXPECT_STREQ("policy-denied", code(r));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));
	/* a bad policy is refused and the old one stays */
	pol.n_lan = 0;
	EXPECT_NE(0, rgmd_engine_set_policy(self->e, &pol, err, sizeof(err)));
	snprintf(extra, sizeof(extra), "%s", "");
	r = call(self->e, &peer_a, MAP_ONE, 27, "t", 60, "udp", "10.0.0.7", 5004, extra);
	EXPECT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	json_object_put(r);
	EXPECT_EQ(4, kcount(self->nl, NULL));
}

TEST_F(eng, adoption_and_epoch)
{
	struct json_object *r, *s;
	char epoch1[20], epoch2[20], epoch3[20];
	struct rgm_sel all = { .kind = RGM_SEL_ALL };
	uint32_t n;

	r = call(self->e, &peer_a, "{\"v\":1,\"id\":1,\"op\":\"hello\"}");
	snprintf(epoch1, sizeof(epoch1), "%s", json_object_get_string(json_object_object_get(r, "epoch")));
	json_object_put(r);
	r = call(self->e, &peer_a, MAP_AV, 2, "keep-me", 300);
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);

	/* rgmd restarts: same epoch (state kept), the session is adopted */
	rgmd_engine_free(self->e);
	self->e = engine(_metadata, self);
	ASSERT_NE(NULL, self->e);
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":3,\"op\":\"hello\"}");
	snprintf(epoch2, sizeof(epoch2), "%s", json_object_get_string(json_object_object_get(r, "epoch")));
	json_object_put(r);
	EXPECT_STREQ(epoch1, epoch2);
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":4,\"op\":\"list\"}");
	ASSERT_EQ(1, jlen(r, "sessions"));
	s = jidx(r, "sessions", 0);
	EXPECT_TRUE(json_object_get_boolean(json_object_object_get(s, "adopted")));
	EXPECT_EQ(NULL, json_object_object_get(s, "session"));
	EXPECT_EQ(3, jlen(s, "mappings"));
	json_object_put(r);

	/* a server naming the session claims it: the same map is a replay */
	r = call(self->e, &peer_b, MAP_AV, 5, "keep-me", 300);
	ASSERT_STREQ("ok", code(r)) TH_LOG("%s", message(r));
	EXPECT_TRUE(json_object_get_boolean(json_object_object_get(r, "replayed")));
	json_object_put(r);
	EXPECT_EQ(3, kcount(self->nl, NULL));
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":6,\"op\":\"renew\",\"session\":\"keep-me\","
		 "\"lease\":100}");
	ASSERT_STREQ("ok", code(r));
	EXPECT_EQ(3, jint(r, "count"));
	json_object_put(r);
	r = call(self->e, &peer_b, "{\"v\":1,\"id\":7,\"op\":\"list\"}");
	s = jidx(r, "sessions", 0);
	EXPECT_STREQ("keep-me", json_object_get_string(json_object_object_get(s, "session")));
	json_object_put(r);
	/* now claimed by peer b: peer a no longer sees it */
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":8,\"op\":\"list\"}");
	EXPECT_EQ(0, jlen(r, "sessions"));
	json_object_put(r);

	/* state lost (module reload flushes the table): new epoch */
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &all, &n));
	rgmd_engine_free(self->e);
	self->e = engine(_metadata, self);
	ASSERT_NE(NULL, self->e);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":9,\"op\":\"hello\"}");
	snprintf(epoch3, sizeof(epoch3), "%s", json_object_get_string(json_object_object_get(r, "epoch")));
	json_object_put(r);
	EXPECT_STRNE(epoch1, epoch3);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":10,\"op\":\"list\"}");
	EXPECT_EQ(0, jlen(r, "sessions"));
	json_object_put(r);
}

struct notes { int n; char last[4096]; };

static void note(const char *payload, size_t len, void *arg)
{
	struct notes *n = arg;

	n->n++;
	snprintf(n->last, sizeof(n->last), "%.*s", (int)len, payload);
}

TEST_F(eng, expired_notification)
{
	struct pollfd pfd = { .fd = rgmd_engine_events_fd(self->e), .events = POLLIN };
	struct notes notes = { 0 };
	struct json_object *r, *o = NULL;
	int i;

	r = call(self->e, &peer_a, MAP_ONE, 1, "short", 1, "udp", "10.0.0.2", 5000, "");
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	r = call(self->e, &peer_a, MAP_ONE, 2, "long", 600, "udp", "10.0.0.3", 5000, "");
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	ASSERT_GE(pfd.fd, 0);
	for (i = 0; i < 100 && !notes.n; i++) {
		if (poll(&pfd, 1, 100) > 0)
			rgmd_engine_events(self->e, note, &notes);
	}
	ASSERT_EQ(1, notes.n) TH_LOG("no expired notification within 10 s");
	o = json_tokener_parse(notes.last);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("expired", json_object_get_string(json_object_object_get(o, "event")));
	EXPECT_STREQ("short", json_object_get_string(json_object_object_get(o, "session")));
	EXPECT_EQ(1, json_object_get_int(json_object_object_get(o, "v")));
	EXPECT_FALSE(json_object_object_get_ex(o, "id", NULL));
	ASSERT_EQ(1, jlen(o, "mappings"));
	EXPECT_STREQ("10.0.0.2", json_object_get_string(json_object_object_get(
		jidx(o, "mappings", 0), "local_addr")));
	json_object_put(o);
	EXPECT_EQ(0, kcount(self->nl, "short"));
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":3,\"op\":\"list\"}");
	EXPECT_EQ(1, jlen(r, "sessions"));
	json_object_put(r);
	r = call(self->e, &peer_a, "{\"v\":1,\"id\":4,\"op\":\"renew\",\"session\":\"short\","
		 "\"lease\":60}");
	EXPECT_STREQ("no-such-session", code(r));
	json_object_put(r);
}

/*
 * Expiry while the events socket is full (its GONE event is lost): the
 * engine notices the overflow, resynchronizes from the kernel and still
 * reports the session's expired tuple, once.
 */
TEST_F(eng, expired_after_event_overflow)
{
	struct pollfd pfd = { .fd = rgmd_engine_events_fd(self->e), .events = POLLIN };
	struct rgm_sel sel0 = { .kind = RGM_SEL_OWNER, .owner = 0 };
	struct rgm_map m[64];
	struct notes notes = { 0 };
	struct json_object *r, *o;
	uint32_t n;
	int i, round;

	r = call(self->e, &peer_a, MAP_ONE, 1, "short", 2, "udp", "10.0.0.2", 5000, "");
	ASSERT_STREQ("ok", code(r));
	json_object_put(r);
	/* flood: owner-0 tuples (the administrator's), added and deleted */
	for (round = 0; round < 40; round++) {
		for (i = 0; i < 64; i++) {
			memset(&m[i], 0, sizeof(m[i]));
			m[i].proto = IPPROTO_UDP;
			m[i].global_addr = ip("198.51.100.2");
			m[i].global_port = 40000 + i;
			m[i].local_addr = ip("10.0.0.9");
			m[i].local_port = 1000 + i;
			m[i].lease = 60;
		}
		ASSERT_EQ(0, rgm_nl_map_add(self->nl, m, 64)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
		ASSERT_EQ(0, rgm_nl_map_del(self->nl, &sel0, &n));
		ASSERT_EQ(64, n);
	}
	sleep(4);	/* "short" expires while nobody reads the events */
	EXPECT_EQ(0, kcount(self->nl, "short"));
	for (i = 0; i < 200 && poll(&pfd, 1, 200) > 0; i++)
		rgmd_engine_events(self->e, note, &notes);
	EXPECT_GT(self->e->event_overflows, 0) TH_LOG("the flood did not overflow the socket");
	ASSERT_EQ(1, notes.n);
	o = json_tokener_parse(notes.last);
	ASSERT_NE(NULL, o);
	EXPECT_STREQ("expired", json_object_get_string(json_object_object_get(o, "event")));
	EXPECT_STREQ("short", json_object_get_string(json_object_object_get(o, "session")));
	EXPECT_EQ(1, jlen(o, "mappings"));
	json_object_put(o);
}

TEST_HARNESS_MAIN
