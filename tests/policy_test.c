// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of rgmd's policy (ctl/rgmd/rgm_policy.c): rgmd.conf keys,
 * bad values and their messages, whole-policy validation, and every check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "rgm_policy.h"
#include "kselftest_harness.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

FIXTURE(pol) {
	struct rgm_policy p;
	char err[256];
};

FIXTURE_SETUP(pol)
{
	rgm_policy_init(&self->p);
	self->err[0] = '\0';
}

FIXTURE_TEARDOWN(pol)
{
}

TEST_F(pol, defaults)
{
	EXPECT_EQ(0, self->p.n_lan);
	EXPECT_EQ(40000, self->p.port_min);
	EXPECT_EQ(49999, self->p.port_max);
	EXPECT_EQ(3600, self->p.lease_max);
	EXPECT_EQ(16, self->p.max_per_host);
	EXPECT_EQ(1024, self->p.max_total);
	EXPECT_EQ((1U << RGM_STREAM_TCP) | (1U << RGM_STREAM_UDP) | (1U << RGM_STREAM_RTP),
		  self->p.streams);
	/* nothing is allowed until a LAN prefix is configured */
	EXPECT_EQ(-EINVAL, rgm_policy_validate(&self->p, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "lan-prefix"));
}

TEST_F(pol, good_keys)
{
	struct rgm_policy *p = &self->p;
	char *e = self->err;

	ASSERT_EQ(0, rgm_policy_set(p, "lan-prefix", "10.0.0.0/24", e, 256));
	ASSERT_EQ(0, rgm_policy_set(p, "lan-prefix", "192.168.1.7/32", e, 256));
	EXPECT_EQ(2, p->n_lan);
	EXPECT_EQ(ip("192.168.1.7").s_addr, p->lan[1].addr.s_addr);
	EXPECT_EQ(32, p->lan[1].len);
	ASSERT_EQ(0, rgm_policy_set(p, "ports", "41000-41999", e, 256));
	EXPECT_EQ(41000, p->port_min);
	EXPECT_EQ(41999, p->port_max);
	ASSERT_EQ(0, rgm_policy_set(p, "lease-max", "600", e, 256));
	EXPECT_EQ(600, p->lease_max);
	ASSERT_EQ(0, rgm_policy_set(p, "max-per-host", "4", e, 256));
	EXPECT_EQ(4, p->max_per_host);
	ASSERT_EQ(0, rgm_policy_set(p, "max-mappings", "100", e, 256));
	EXPECT_EQ(100, p->max_total);
	ASSERT_EQ(0, rgm_policy_set(p, "streams", "rtp,tcp", e, 256));
	EXPECT_EQ((1U << RGM_STREAM_TCP) | (1U << RGM_STREAM_RTP), p->streams);
	EXPECT_EQ(0, rgm_policy_validate(p, e, 256)) TH_LOG("%s", e);
	/* not a policy key: the caller tries its own */
	EXPECT_EQ(-ENOENT, rgm_policy_set(p, "listen", "0.0.0.0:4433", e, 256));
}

TEST_F(pol, bad_values)
{
	static const struct { const char *key, *value, *needle; } bad[] = {
		{ "lan-prefix", "10.0.0.0", "no /N" },
		{ "lan-prefix", "10.0.0/24", "not an IPv4 address" },
		{ "lan-prefix", "10.0.0.0/33", "prefix length" },
		{ "lan-prefix", "0.0.0.0/0", "prefix length" },
		{ "lan-prefix", "10.0.0.0/", "prefix length" },
		{ "lan-prefix", "10.0.0.0/2x", "prefix length" },
		{ "lan-prefix", "10.0.0.1/24", "host bits" },
		{ "lan-prefix", "", "lan-prefix" },
		{ "ports", "50000-40000", "ports" },
		{ "ports", "0-100", "ports" },
		{ "ports", "40000", "ports" },
		{ "ports", "40000-70000", "ports" },
		{ "lease-max", "0", "lease-max: '0'" },
		{ "lease-max", "604801", "lease-max" },
		{ "lease-max", "-5", "lease-max" },
		{ "lease-max", "1h", "lease-max" },
		{ "max-per-host", "0", "max-per-host" },
		{ "max-mappings", "", "max-mappings" },
		{ "max-mappings", "1048577", "max-mappings" },
		{ "streams", "", "empty" },
		{ "streams", "udp,sctp", "sctp" },
		{ "streams", "udp,udp", "twice" },
		{ "streams", "UDP", "UDP" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rgm_policy before = self->p;

		self->err[0] = '\0';
		EXPECT_EQ(-EINVAL, rgm_policy_set(&self->p, bad[i].key, bad[i].value,
						  self->err, sizeof(self->err)))
			TH_LOG("%s = %s accepted", bad[i].key, bad[i].value);
		EXPECT_NE(NULL, strstr(self->err, bad[i].needle))
			TH_LOG("%s = %s: '%s'", bad[i].key, bad[i].value, self->err);
		/* the message names the key */
		EXPECT_EQ(0, strncmp(self->err, bad[i].key, strlen(bad[i].key)))
			TH_LOG("'%s'", self->err);
		/* a refused value changes nothing */
		EXPECT_EQ(0, memcmp(&before, &self->p, sizeof(before)));
	}
}

TEST_F(pol, prefix_limits)
{
	char buf[32];
	int i;

	for (i = 0; i < RGM_POLICY_PREFIXES_MAX; i++) {
		snprintf(buf, sizeof(buf), "10.%d.0.0/16", i);
		ASSERT_EQ(0, rgm_policy_set(&self->p, "lan-prefix", buf, self->err, 256));
	}
	EXPECT_EQ(-EINVAL, rgm_policy_set(&self->p, "lan-prefix", "192.168.0.0/16",
					  self->err, 256));
	EXPECT_NE(NULL, strstr(self->err, "more than"));
	EXPECT_EQ(-EINVAL, rgm_policy_set(&self->p, "lan-prefix", "10.3.0.0/16", self->err, 256));
	EXPECT_NE(NULL, strstr(self->err, "twice"));
}

TEST_F(pol, check_local)
{
	struct in_addr self_addrs[] = { ip("198.51.100.1"), ip("10.0.0.1") };
	char *e = self->err;

	ASSERT_EQ(0, rgm_policy_set(&self->p, "lan-prefix", "10.0.0.0/24", e, 256));
	ASSERT_EQ(0, rgm_policy_set(&self->p, "lan-prefix", "172.16.5.5/32", e, 256));
	EXPECT_EQ(0, rgm_policy_check_local(&self->p, ip("10.0.0.2"), self_addrs, 2, e, 256));
	EXPECT_EQ(0, rgm_policy_check_local(&self->p, ip("10.0.0.254"), self_addrs, 2, e, 256));
	EXPECT_EQ(0, rgm_policy_check_local(&self->p, ip("172.16.5.5"), self_addrs, 2, e, 256));
	/* the gateway itself */
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("10.0.0.1"), self_addrs, 2, e, 256));
	EXPECT_NE(NULL, strstr(e, "gateway itself"));
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("198.51.100.1"), self_addrs, 2,
						 e, 256));
	/* outside every prefix */
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("10.0.1.2"), self_addrs, 2, e, 256));
	EXPECT_NE(NULL, strstr(e, "outside every lan-prefix"));
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("172.16.5.6"), NULL, 0, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("203.0.113.7"), NULL, 0, e, 256));
	/* network and broadcast addresses of the prefix */
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("10.0.0.0"), NULL, 0, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_local(&self->p, ip("10.0.0.255"), NULL, 0, e, 256));
	EXPECT_NE(NULL, strstr(e, "not a host address"));
}

TEST_F(pol, check_port_lease_stream)
{
	char *e = self->err;

	ASSERT_EQ(0, rgm_policy_set(&self->p, "ports", "40000-40009", e, 256));
	ASSERT_EQ(0, rgm_policy_set(&self->p, "lease-max", "60", e, 256));
	ASSERT_EQ(0, rgm_policy_set(&self->p, "streams", "udp", e, 256));
	EXPECT_EQ(0, rgm_policy_check_port(&self->p, 40000, e, 256));
	EXPECT_EQ(0, rgm_policy_check_port(&self->p, 40009, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_port(&self->p, 39999, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_port(&self->p, 40010, e, 256));
	EXPECT_NE(NULL, strstr(e, "40010"));
	EXPECT_EQ(0, rgm_policy_check_lease(&self->p, 1, e, 256));
	EXPECT_EQ(0, rgm_policy_check_lease(&self->p, 60, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_lease(&self->p, 61, e, 256));
	EXPECT_NE(NULL, strstr(e, "lease-max"));
	EXPECT_EQ(-EPERM, rgm_policy_check_lease(&self->p, 0, e, 256));
	EXPECT_EQ(0, rgm_policy_check_stream(&self->p, RGM_STREAM_UDP, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_stream(&self->p, RGM_STREAM_RTP, e, 256));
	EXPECT_STREQ("stream type rtp is not allowed", e);
	EXPECT_EQ(-EPERM, rgm_policy_check_stream(&self->p, RGM_STREAM_TCP, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_stream(&self->p, 0, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_stream(&self->p, 9, e, 256));
}

TEST_F(pol, check_counts)
{
	char *e = self->err;

	ASSERT_EQ(0, rgm_policy_set(&self->p, "max-per-host", "2", e, 256));
	ASSERT_EQ(0, rgm_policy_set(&self->p, "max-mappings", "3", e, 256));
	EXPECT_EQ(0, rgm_policy_check_counts(&self->p, ip("10.0.0.2"), 2, 3, e, 256));
	EXPECT_EQ(-EPERM, rgm_policy_check_counts(&self->p, ip("10.0.0.2"), 3, 3, e, 256));
	EXPECT_NE(NULL, strstr(e, "max-per-host"));
	EXPECT_NE(NULL, strstr(e, "10.0.0.2"));
	EXPECT_EQ(-EPERM, rgm_policy_check_counts(&self->p, ip("10.0.0.2"), 1, 4, e, 256));
	EXPECT_NE(NULL, strstr(e, "max-mappings"));
}

TEST_HARNESS_MAIN
