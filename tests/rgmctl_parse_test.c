// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of rgmctl's argument parsing (lib/rgm_parse.c) and of the
 * name tables of lib/rgm_nl.c. Every rejection case is a test of its own
 * kind: what must fail is asserted to fail, with the message naming the
 * bad word.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rgm_parse.h"

static in_addr_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

/* Splits a string literal into a caller buffer. */
static int words(char *buf, size_t len, const char *s, char **argv, int max)
{
	snprintf(buf, len, "%s", s);
	return rgm_split_line(buf, argv, max);
}

TEST(u32_bounds)
{
	uint32_t v;

	ASSERT_EQ(0, rgm_parse_u32("0", 0, 10, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, rgm_parse_u32("4294967295", 0, UINT32_MAX, &v));
	EXPECT_EQ(UINT32_MAX, v);
	EXPECT_EQ(-ERANGE, rgm_parse_u32("4294967296", 0, UINT32_MAX, &v));
	EXPECT_EQ(-ERANGE, rgm_parse_u32("11", 0, 10, &v));
	EXPECT_EQ(-ERANGE, rgm_parse_u32("0", 1, 10, &v));
}

TEST(u32_rejects_junk)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1x", "0x10", "abc", "1.5", "99999999999999999999999",
	};
	uint32_t v = 77;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_NE(0, rgm_parse_u32(bad[i], 0, UINT32_MAX, &v)) {
			TH_LOG("accepted \"%s\"", bad[i]);
		}
	}
	EXPECT_NE(0, rgm_parse_u32(NULL, 0, 1, &v));
	EXPECT_EQ(77, v);	/* untouched on failure */
}

TEST(u64_hex_and_decimal)
{
	uint64_t v;

	ASSERT_EQ(0, rgm_parse_u64("0x1", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, rgm_parse_u64("0xFFFFFFFFFFFFFFFF", &v));
	EXPECT_EQ(UINT64_MAX, v);
	ASSERT_EQ(0, rgm_parse_u64("18446744073709551615", &v));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_EQ(-ERANGE, rgm_parse_u64("18446744073709551616", &v));
	EXPECT_EQ(-ERANGE, rgm_parse_u64("0x10000000000000000", &v));
	EXPECT_EQ(-EINVAL, rgm_parse_u64("0x", &v));
	EXPECT_EQ(-EINVAL, rgm_parse_u64("0xg", &v));
	EXPECT_EQ(-EINVAL, rgm_parse_u64("-5", &v));
}

TEST(port_range_1_65535)
{
	uint16_t p = 9;

	ASSERT_EQ(0, rgm_parse_port("1", &p));
	EXPECT_EQ(1, p);
	ASSERT_EQ(0, rgm_parse_port("65535", &p));
	EXPECT_EQ(65535, p);
	EXPECT_EQ(-ERANGE, rgm_parse_port("0", &p));
	EXPECT_EQ(-ERANGE, rgm_parse_port("65536", &p));
	EXPECT_EQ(-EINVAL, rgm_parse_port("-1", &p));
	EXPECT_EQ(-EINVAL, rgm_parse_port("80a", &p));
	EXPECT_EQ(65535, p);
}

TEST(addr_strict_dotted_quad)
{
	struct in_addr a;

	ASSERT_EQ(0, rgm_parse_addr("198.51.100.1", false, &a));
	EXPECT_EQ(ip("198.51.100.1"), a.s_addr);
	EXPECT_NE(0, rgm_parse_addr("198.51.100", false, &a));
	EXPECT_NE(0, rgm_parse_addr("198.51.100.256", false, &a));
	EXPECT_NE(0, rgm_parse_addr("0x7f.1", false, &a));
	EXPECT_NE(0, rgm_parse_addr("1.2.3.4 ", false, &a));
	EXPECT_NE(0, rgm_parse_addr("any", false, &a));
	ASSERT_EQ(0, rgm_parse_addr("any", true, &a));
	EXPECT_EQ(htonl(INADDR_ANY), a.s_addr);
}

TEST(addr_port)
{
	struct in_addr a;
	uint16_t p;

	ASSERT_EQ(0, rgm_parse_addr_port("10.0.0.2:5004", false, false, &a, &p));
	EXPECT_EQ(ip("10.0.0.2"), a.s_addr);
	EXPECT_EQ(5004, p);
	EXPECT_NE(0, rgm_parse_addr_port("10.0.0.2", false, false, &a, &p));
	EXPECT_NE(0, rgm_parse_addr_port("10.0.0.2:", false, false, &a, &p));
	EXPECT_NE(0, rgm_parse_addr_port("10.0.0.2:0", false, false, &a, &p));
	EXPECT_NE(0, rgm_parse_addr_port("10.0.0.2:65536", false, false, &a, &p));
	EXPECT_NE(0, rgm_parse_addr_port(":80", false, false, &a, &p));
	EXPECT_NE(0, rgm_parse_addr_port("10.0.0.2:80:81", false, false, &a, &p));
	EXPECT_NE(0, rgm_parse_addr_port("255.255.255.255255.255.255.255:1", false, false,
					 &a, &p));
	/* Optional port (server). */
	ASSERT_EQ(0, rgm_parse_addr_port("203.0.113.7", false, true, &a, &p));
	EXPECT_EQ(ip("203.0.113.7"), a.s_addr);
	EXPECT_EQ(0, p);
	ASSERT_EQ(0, rgm_parse_addr_port("any:6000", true, true, &a, &p));
	EXPECT_EQ(htonl(INADDR_ANY), a.s_addr);
	EXPECT_EQ(6000, p);
}

TEST(port_range)
{
	uint16_t lo, hi;

	ASSERT_EQ(0, rgm_parse_port_range("40000-49999", &lo, &hi));
	EXPECT_EQ(40000, lo);
	EXPECT_EQ(49999, hi);
	ASSERT_EQ(0, rgm_parse_port_range("7-7", &lo, &hi));
	EXPECT_EQ(7, hi);
	EXPECT_EQ(-ERANGE, rgm_parse_port_range("5-4", &lo, &hi));
	EXPECT_NE(0, rgm_parse_port_range("0-4", &lo, &hi));
	EXPECT_NE(0, rgm_parse_port_range("4-65536", &lo, &hi));
	EXPECT_NE(0, rgm_parse_port_range("4", &lo, &hi));
	EXPECT_NE(0, rgm_parse_port_range("4-", &lo, &hi));
	EXPECT_NE(0, rgm_parse_port_range("-4", &lo, &hi));
	EXPECT_NE(0, rgm_parse_port_range("1-2-3", &lo, &hi));
}

TEST(addr_list)
{
	struct in_addr a[RGM_GLOBAL_ADDRS_MAX];
	char many[512] = "";
	unsigned int n = 99, i;

	ASSERT_EQ(0, rgm_parse_addr_list("198.51.100.1,198.51.100.2", a, 16, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(ip("198.51.100.2"), a[1].s_addr);
	ASSERT_EQ(0, rgm_parse_addr_list("none", a, 16, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(-EEXIST, rgm_parse_addr_list("1.1.1.1,1.1.1.1", a, 16, &n));
	EXPECT_NE(0, rgm_parse_addr_list("1.1.1.1,", a, 16, &n));
	EXPECT_NE(0, rgm_parse_addr_list(",1.1.1.1", a, 16, &n));
	EXPECT_NE(0, rgm_parse_addr_list("1.1.1.1,,2.2.2.2", a, 16, &n));
	EXPECT_NE(0, rgm_parse_addr_list("", a, 16, &n));
	for (i = 0; i <= RGM_GLOBAL_ADDRS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s198.51.100.%u",
			 i ? "," : "", i + 1);
	EXPECT_EQ(-E2BIG, rgm_parse_addr_list(many, a, RGM_GLOBAL_ADDRS_MAX, &n));
}

TEST(keyword_unique_prefix)
{
	static const char *const kw[] = { "stream", "server", "show", "global", NULL };

	EXPECT_EQ(3, rgm_keyword("g", kw));
	EXPECT_EQ(0, rgm_keyword("str", kw));
	EXPECT_EQ(1, rgm_keyword("server", kw));
	EXPECT_EQ(-EINVAL, rgm_keyword("s", kw));	/* ambiguous */
	EXPECT_EQ(-EINVAL, rgm_keyword("", kw));
	EXPECT_EQ(-ENOENT, rgm_keyword("globalx", kw));
	EXPECT_EQ(-ENOENT, rgm_keyword("x", kw));
}

TEST(keyword_exact_beats_prefix)
{
	static const char *const kw[] = { "delete", "del", NULL };

	EXPECT_EQ(1, rgm_keyword("del", kw));
	EXPECT_EQ(0, rgm_keyword("dele", kw));
	EXPECT_EQ(-EINVAL, rgm_keyword("de", kw));
}

TEST(split_line)
{
	char buf[256], *argv[8];

	EXPECT_EQ(3, words(buf, sizeof(buf), "  add proto\tudp\n", argv, 8));
	EXPECT_STREQ("udp", argv[2]);
	EXPECT_EQ(0, words(buf, sizeof(buf), "   # comment", argv, 8));
	EXPECT_EQ(0, words(buf, sizeof(buf), "", argv, 8));
	EXPECT_EQ(2, words(buf, sizeof(buf), "add x# trailing", argv, 8));
	EXPECT_STREQ("x", argv[1]);
	EXPECT_EQ(-E2BIG, words(buf, sizeof(buf), "a b c d e f g h i", argv, 8));
}

TEST(mapping_full)
{
	char buf[512], *argv[32], err[128];
	struct rgm_map m;
	int argc;

	argc = words(buf, sizeof(buf),
		     "proto udp stream rtp global 198.51.100.1:40000 local 10.0.0.2:5004 "
		     "server 203.0.113.7:6000 lease 300 owner 0x1", argv, 32);
	ASSERT_EQ(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	EXPECT_EQ(IPPROTO_UDP, m.proto);
	EXPECT_EQ(RGM_STREAM_RTP, m.stream);
	EXPECT_EQ(ip("198.51.100.1"), m.global_addr.s_addr);
	EXPECT_EQ(40000, m.global_port);
	EXPECT_EQ(ip("10.0.0.2"), m.local_addr.s_addr);
	EXPECT_EQ(5004, m.local_port);
	EXPECT_EQ(ip("203.0.113.7"), m.server_addr.s_addr);
	EXPECT_EQ(6000, m.server_port);
	EXPECT_EQ(300, m.lease);
	EXPECT_EQ(1, m.owner);
}

TEST(mapping_minimal_prefixes_any_order)
{
	char buf[512], *argv[32], err[128];
	struct rgm_map m;
	int argc;

	argc = words(buf, sizeof(buf),
		     "lea 60 loc 10.0.0.3:80 g 198.51.100.2:40001 p tcp", argv, 32);
	ASSERT_EQ(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err))) {
		TH_LOG("%s", err);
	}
	EXPECT_EQ(IPPROTO_TCP, m.proto);
	EXPECT_EQ(0, m.stream);		/* kernel default */
	EXPECT_EQ(htonl(INADDR_ANY), m.server_addr.s_addr);
	EXPECT_EQ(0, m.server_port);
	EXPECT_EQ(0, m.owner);
	EXPECT_EQ(60, m.lease);
}

/* Each bad command line and the word its message must name. */
static const struct {
	const char *args, *names;
} bad_mappings[] = {
	{ "global 198.51.100.1:40000 local 10.0.0.2:1 lease 1", "\"proto\"" },
	{ "proto udp local 10.0.0.2:1 lease 1", "\"global\"" },
	{ "proto udp global 198.51.100.1:40000 lease 1", "\"local\"" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1", "\"lease\"" },
	{ "proto icmp global 198.51.100.1:40000 local 10.0.0.2:1 lease 1", "icmp" },
	{ "proto udp stream sctp global 198.51.100.1:40000 local 10.0.0.2:1 lease 1", "sctp" },
	{ "proto udp global 198.51.100.1:0 local 10.0.0.2:1 lease 1", "198.51.100.1:0" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:65536 lease 1", "10.0.0.2:65536" },
	{ "proto udp global 198.51.100.1 local 10.0.0.2:1 lease 1", "198.51.100.1" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1 server 203.0.113:1 lease 1",
	  "203.0.113:1" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1 lease -1", "-1" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1 lease 1 owner zz", "zz" },
	{ "proto udp proto tcp global 198.51.100.1:40000 local 10.0.0.2:1 lease 1", "twice" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1 lease 1 bogus 1", "bogus" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1 lease 1 s 1", "ambiguous" },
	{ "proto udp global 198.51.100.1:40000 local 10.0.0.2:1 lease", "\"lease\"" },
};

TEST(mapping_rejects)
{
	char buf[512], *argv[32], err[128];
	struct rgm_map m;
	unsigned int i;
	int argc;

	for (i = 0; i < sizeof(bad_mappings) / sizeof(bad_mappings[0]); i++) {
		err[0] = '\0';
		argc = words(buf, sizeof(buf), bad_mappings[i].args, argv, 32);
		EXPECT_EQ(-EINVAL, rgm_parse_mapping(argc, argv, &m, err, sizeof(err))) {
			TH_LOG("accepted: %s", bad_mappings[i].args);
		}
		EXPECT_NE(NULL, strstr(err, bad_mappings[i].names)) {
			TH_LOG("\"%s\" does not name %s", err, bad_mappings[i].names);
		}
	}
}

TEST(selector_kinds)
{
	char buf[256], *argv[16], err[128];
	struct rgm_sel sel;
	int argc, used;

	argc = words(buf, sizeof(buf), "id 7", argv, 16);
	ASSERT_EQ(0, rgm_parse_sel(argc, argv, ~0U, &sel, &used, err, sizeof(err)));
	EXPECT_EQ(RGM_SEL_ID, sel.kind);
	EXPECT_EQ(7, sel.id);
	EXPECT_EQ(2, used);

	argc = words(buf, sizeof(buf), "global 198.51.100.1:40000 proto udp lease 5", argv, 16);
	ASSERT_EQ(0, rgm_parse_sel(argc, argv, ~0U, &sel, &used, err, sizeof(err)));
	EXPECT_EQ(RGM_SEL_KEY, sel.kind);
	EXPECT_EQ(IPPROTO_UDP, sel.proto);
	EXPECT_EQ(40000, sel.global_port);
	EXPECT_EQ(ip("198.51.100.1"), sel.global_addr.s_addr);
	EXPECT_EQ(4, used);		/* "lease 5" is the caller's */

	argc = words(buf, sizeof(buf), "owner 0xdeadbeef", argv, 16);
	ASSERT_EQ(0, rgm_parse_sel(argc, argv, ~0U, &sel, &used, err, sizeof(err)));
	EXPECT_EQ(RGM_SEL_OWNER, sel.kind);
	EXPECT_EQ(0xdeadbeef, sel.owner);

	argc = words(buf, sizeof(buf), "all", argv, 16);
	ASSERT_EQ(0, rgm_parse_sel(argc, argv, ~0U, &sel, &used, err, sizeof(err)));
	EXPECT_EQ(RGM_SEL_ALL, sel.kind);
	EXPECT_EQ(1, used);
}

TEST(selector_rejects)
{
	static const char *const bad[] = {
		"", "id 0", "id x", "id", "id 1 id 2", "id 1 owner 2", "proto udp",
		"global 198.51.100.1:1", "proto udp global 198.51.100.1", "all id 3",
		"lease 5",
	};
	char buf[256], *argv[16], err[128];
	struct rgm_sel sel;
	unsigned int i;
	int argc, used;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argc = words(buf, sizeof(buf), bad[i], argv, 16);
		EXPECT_EQ(-EINVAL, rgm_parse_sel(argc, argv, ~0U, &sel, &used, err,
						 sizeof(err))) {
			TH_LOG("accepted \"%s\"", bad[i]);
		}
	}
	/* "all" is not a renew selector. */
	argc = words(buf, sizeof(buf), "all", argv, 16);
	EXPECT_EQ(-EINVAL, rgm_parse_sel(argc, argv, RGM_SEL_ALLOW(RGM_SEL_ID), &sel, &used,
					 err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "all"));
}

TEST(names_round_trip)
{
	unsigned int i;

	for (i = 1; i <= RGM_STREAM_MAX; i++)
		EXPECT_EQ((int)i, rgm_stream_parse(rgm_stream_name(i)));
	EXPECT_EQ(NULL, rgm_stream_name(0));
	EXPECT_EQ(NULL, rgm_stream_name(RGM_STREAM_MAX + 1));
	EXPECT_EQ(-1, rgm_stream_parse("RTP"));
	EXPECT_EQ(IPPROTO_UDP, rgm_proto_parse(rgm_proto_name(IPPROTO_UDP)));
	EXPECT_EQ(IPPROTO_TCP, rgm_proto_parse(rgm_proto_name(IPPROTO_TCP)));
	EXPECT_EQ(NULL, rgm_proto_name(IPPROTO_ICMP));
	EXPECT_STREQ("expired", rgm_reason_name(RGM_REASON_EXPIRED));
	EXPECT_EQ(NULL, rgm_reason_name(RGM_REASON_MAX + 1));
	for (i = 1; i <= RGM_STATS_A_MAX; i++)
		EXPECT_EQ(i == RGM_STATS_A_PAD, rgm_stats_name(i) == NULL);
	EXPECT_EQ(NULL, rgm_stats_name(RGM_STATS_A_MAX + 1));
}

TEST(endpoint_families)
{
	struct in6_addr a6, want6;
	struct in_addr a4;
	uint16_t p;
	uint8_t f;

	inet_pton(AF_INET6, "2001:db8:1::2", &want6);
	ASSERT_EQ(0, rgm_parse_endpoint("[2001:db8:1::2]:45000", false, false, &f, &a4, &a6, &p));
	EXPECT_EQ(AF_INET6, f);
	EXPECT_EQ(0, memcmp(&want6, &a6, 16));
	EXPECT_EQ(45000, p);
	ASSERT_EQ(0, rgm_parse_endpoint("10.0.0.2:5004", false, false, &f, &a4, &a6, &p));
	EXPECT_EQ(AF_INET, f);
	EXPECT_EQ(ip("10.0.0.2"), a4.s_addr);
	EXPECT_EQ(5004, p);
	/* the port is required unless optional; brackets around IPv6 with a port */
	EXPECT_NE(0, rgm_parse_endpoint("[2001:db8:1::2]", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("2001:db8:1::2", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("2001:db8:1::2:45000", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("[2001:db8:1::2]:0", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("[2001:db8:1::2]45000", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("[2001:db8:1::2:45000", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("[10.0.0.2]:5004", false, false, &f, &a4, &a6, &p));
	EXPECT_NE(0, rgm_parse_endpoint("any", false, true, &f, &a4, &a6, &p));
	/* optional port (server) */
	ASSERT_EQ(0, rgm_parse_endpoint("[2001:db8:2::7]", false, true, &f, &a4, &a6, &p));
	EXPECT_EQ(AF_INET6, f);
	EXPECT_EQ(0, p);
	ASSERT_EQ(0, rgm_parse_endpoint("2001:db8:2::7", false, true, &f, &a4, &a6, &p));
	EXPECT_EQ(AF_INET6, f);
	ASSERT_EQ(0, rgm_parse_endpoint("any:6000", true, true, &f, &a4, &a6, &p));
	EXPECT_EQ(0, f);
	EXPECT_EQ(6000, p);
}

TEST(prefix6_list)
{
	struct rgm_prefix6 pf[4];
	unsigned int n = 9;

	ASSERT_EQ(0, rgm_parse_prefix6_list("2001:db8:1::/64,2001:db8:5::/48", pf, 4, &n));
	EXPECT_EQ(2, n);
	EXPECT_EQ(64, pf[0].len);
	EXPECT_EQ(48, pf[1].len);
	ASSERT_EQ(0, rgm_parse_prefix6_list("none", pf, 4, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(-EEXIST, rgm_parse_prefix6_list("2001:db8::/64,2001:db8::/64", pf, 4, &n));
	EXPECT_EQ(-E2BIG, rgm_parse_prefix6_list("1::/64,2::/64,3::/64", pf, 2, &n));
	EXPECT_EQ(-EINVAL, rgm_parse_prefix6_list("2001:db8::", pf, 4, &n));
	EXPECT_EQ(-EINVAL, rgm_parse_prefix6_list("2001:db8::/0", pf, 4, &n));
	EXPECT_EQ(-EINVAL, rgm_parse_prefix6_list("2001:db8::/129", pf, 4, &n));
	EXPECT_EQ(-EINVAL, rgm_parse_prefix6_list("10.0.0.0/8", pf, 4, &n));
	EXPECT_EQ(-EINVAL, rgm_parse_prefix6_list("2001:db8::/64,", pf, 4, &n));
}

TEST(mapping_pinhole)
{
	char buf[256], err[128], *argv[16];
	struct in6_addr lan;
	struct rgm_map m;
	int argc;

	inet_pton(AF_INET6, "2001:db8:1::2", &lan);
	argc = words(buf, sizeof(buf), "proto udp local [2001:db8:1::2]:45000 lease 60 "
		     "server [2001:db8:2::7]:6000", argv, 16);
	ASSERT_EQ(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(AF_INET6, m.family);
	EXPECT_EQ(0, memcmp(&lan, &m.local_addr6, 16));
	EXPECT_EQ(45000, m.local_port);
	EXPECT_EQ(6000, m.server_port);
	EXPECT_EQ(0, m.global_port) TH_LOG("global left to the kernel");

	argc = words(buf, sizeof(buf), "proto udp local [2001:db8:1::2]:45000 lease 60 "
		     "global 198.51.100.1:45000", argv, 16);
	EXPECT_NE(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "global is IPv4 but local is IPv6")) TH_LOG("%s", err);
	argc = words(buf, sizeof(buf), "proto udp local [2001:db8:1::2]:45000 lease 60 "
		     "server 203.0.113.7", argv, 16);
	EXPECT_NE(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "different address families")) TH_LOG("%s", err);
	argc = words(buf, sizeof(buf), "proto udp local 10.0.0.2:5000 lease 60 "
		     "global [2001:db8:1::2]:45000", argv, 16);
	EXPECT_NE(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err)));
	argc = words(buf, sizeof(buf), "proto udp local 10.0.0.2:5000 lease 60", argv, 16);
	EXPECT_NE(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "missing \"global\"")) TH_LOG("IPv4 still needs global: %s", err);
	argc = words(buf, sizeof(buf), "proto udp local [2001:db8:1::2]:45000 lease 60 "
		     "server any:6000", argv, 16);
	EXPECT_EQ(0, rgm_parse_mapping(argc, argv, &m, err, sizeof(err))) TH_LOG("%s", err);
}

TEST(selector_pinhole)
{
	char buf[128], err[128], *argv[8];
	struct rgm_sel sel;
	int argc, used;

	argc = words(buf, sizeof(buf), "proto tcp global [2001:db8:1::2]:45010", argv, 8);
	ASSERT_EQ(0, rgm_parse_sel(argc, argv, ~0U, &sel, &used, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(RGM_SEL_KEY, sel.kind);
	EXPECT_EQ(AF_INET6, sel.family);
	EXPECT_EQ(45010, sel.global_port);
}

TEST_HARNESS_MAIN
