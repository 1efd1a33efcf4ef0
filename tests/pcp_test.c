// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of appliance/pcp.c, the appliance's PCP MAP messages
 * (RFC 6887): each request field at its offset, a delete without
 * options, responses accepted only when they answer the request, a NAT-PMP
 * server's "unsupported version", bare error headers, and bad options
 * and lengths refused.
 */
#include <arpa/inet.h>
#include <string.h>

#include "kselftest_harness.h"
#include "pcp.h"

static const uint8_t nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static void req_init(struct ap_pcp_req *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->nonce, nonce, sizeof(nonce));
	r->proto = IPPROTO_UDP;
	r->internal_port = 5004;
	r->external_port = 5004;
	r->lifetime = 16;
	inet_pton(AF_INET, "10.0.0.2", &r->client);
	inet_pton(AF_INET, "203.0.113.7", &r->remote);
}

/* A MAP response to req_init's request: result, external port, options. */
static size_t resp(uint8_t *b, uint8_t result, uint16_t eport, const uint8_t *opts,
		   size_t olen)
{
	static const uint8_t ext[16] = { [10] = 0xff, [11] = 0xff, 198, 51, 100, 1 };

	memset(b, 0, 60);
	b[0] = 2;
	b[1] = 0x81;
	b[3] = result;
	b[7] = 16;		/* lifetime */
	b[11] = 42;		/* epoch */
	memcpy(b + 24, nonce, 12);
	b[36] = IPPROTO_UDP;
	b[40] = 5004 >> 8;
	b[41] = 5004 & 0xff;
	b[42] = eport >> 8;
	b[43] = eport & 0xff;
	memcpy(b + 44, ext, 16);
	memcpy(b + 60, opts, olen);
	return 60 + olen;
}

TEST(build_map)
{
	struct ap_pcp_req r;
	uint8_t b[AP_PCP_REQ_LEN];
	size_t n;

	req_init(&r);
	n = ap_pcp_build(&r, b, sizeof(b));
	ASSERT_EQ(AP_PCP_REQ_LEN, n);
	EXPECT_EQ(2, b[0]);				/* version */
	EXPECT_EQ(1, b[1]);				/* R = 0, MAP */
	EXPECT_EQ(16, b[7]);				/* lifetime */
	EXPECT_EQ(0xff, b[18]);				/* client ::ffff:10.0.0.2 */
	EXPECT_EQ(10, b[20]);
	EXPECT_EQ(2, b[23]);
	EXPECT_EQ(0, memcmp(b + 24, nonce, 12));	/* MAP: nonce */
	EXPECT_EQ(IPPROTO_UDP, b[36]);
	EXPECT_EQ(5004, b[40] << 8 | b[41]);		/* internal port */
	EXPECT_EQ(5004, b[42] << 8 | b[43]);		/* suggested external */
	EXPECT_EQ(0xff, b[55]);				/* ::ffff:0.0.0.0 */
	EXPECT_EQ(2, b[60]);				/* PREFER_FAILURE */
	EXPECT_EQ(0, b[62] << 8 | b[63]);
	EXPECT_EQ(3, b[64]);				/* FILTER */
	EXPECT_EQ(20, b[66] << 8 | b[67]);
	EXPECT_EQ(128, b[69]);				/* prefix length */
	EXPECT_EQ(0, b[70] << 8 | b[71]);		/* any remote port */
	EXPECT_EQ(203, b[84]);				/* ::ffff:203.0.113.7 */
	EXPECT_EQ(7, b[87]);
	/* too small a buffer: nothing written */
	EXPECT_EQ(0, ap_pcp_build(&r, b, AP_PCP_REQ_LEN - 1));
}

TEST(build_delete_and_no_filter)
{
	struct ap_pcp_req r;
	uint8_t b[AP_PCP_REQ_LEN];

	req_init(&r);
	r.remote.s_addr = 0;
	EXPECT_EQ(64, ap_pcp_build(&r, b, sizeof(b)));	/* PREFER_FAILURE only */
	r.lifetime = 0;
	EXPECT_EQ(60, ap_pcp_build(&r, b, sizeof(b)));	/* a delete: no options */
	EXPECT_EQ(0, b[4] | b[5] | b[6] | b[7]);
}

TEST(parse_success)
{
	uint8_t b[128], opt[4] = { 2, 0, 0, 0 };
	struct ap_pcp_resp o;
	struct ap_pcp_req r;

	req_init(&r);
	ASSERT_EQ(0, ap_pcp_parse(b, resp(b, 0, 5004, NULL, 0), &r, &o));
	EXPECT_EQ(2, o.version);
	EXPECT_EQ(AP_PCP_SUCCESS, o.result);
	EXPECT_EQ(16, o.lifetime);
	EXPECT_EQ(42, o.epoch);
	EXPECT_EQ(5004, o.external_port);
	EXPECT_STREQ("198.51.100.1", inet_ntoa(o.external));
	/* with an option the server echoes */
	ASSERT_EQ(0, ap_pcp_parse(b, resp(b, 0, 5004, opt, sizeof(opt)), &r, &o));
	/* another port: parsed as it is (the caller gives it back) */
	ASSERT_EQ(0, ap_pcp_parse(b, resp(b, 0, 5008, NULL, 0), &r, &o));
	EXPECT_EQ(5008, o.external_port);
}

TEST(parse_errors)
{
	struct ap_pcp_resp o;
	struct ap_pcp_req r;
	uint8_t b[128];

	req_init(&r);
	ASSERT_EQ(0, ap_pcp_parse(b, resp(b, AP_PCP_CANNOT_PROVIDE_EXTERNAL, 0, NULL, 0), &r, &o));
	EXPECT_EQ(AP_PCP_CANNOT_PROVIDE_EXTERNAL, o.result);
	EXPECT_STREQ("CANNOT_PROVIDE_EXTERNAL", ap_pcp_result_str(o.result));
	EXPECT_STREQ("unknown result", ap_pcp_result_str(200));
	/* a bare header: an error, not a success */
	resp(b, AP_PCP_MALFORMED_REQUEST, 0, NULL, 0);
	ASSERT_EQ(0, ap_pcp_parse(b, 24, &r, &o));
	EXPECT_EQ(AP_PCP_MALFORMED_REQUEST, o.result);
	resp(b, AP_PCP_SUCCESS, 5004, NULL, 0);
	EXPECT_EQ(-1, ap_pcp_parse(b, 24, &r, &o));
}

TEST(parse_natpmp)
{
	uint8_t b[8] = { 0, 0x81, 0, 1, 0, 0, 0, 9 };
	struct ap_pcp_resp o;
	struct ap_pcp_req r;

	req_init(&r);
	ASSERT_EQ(0, ap_pcp_parse(b, sizeof(b), &r, &o));
	EXPECT_EQ(0, o.version);
	EXPECT_EQ(AP_PCP_UNSUPP_VERSION, o.result);
	b[1] = 0x01;		/* a request, not an answer */
	EXPECT_EQ(-1, ap_pcp_parse(b, sizeof(b), &r, &o));
}

TEST(parse_not_ours)
{
	uint8_t b[1200], bad_opt[4] = { 2, 0, 0, 8 };
	struct ap_pcp_resp o;
	struct ap_pcp_req r;
	size_t n;

	req_init(&r);
	n = resp(b, 0, 5004, NULL, 0);
	b[24] ^= 1;				/* another nonce */
	EXPECT_EQ(-1, ap_pcp_parse(b, n, &r, &o));
	resp(b, 0, 5004, NULL, 0);
	b[36] = IPPROTO_TCP;			/* another protocol */
	EXPECT_EQ(-1, ap_pcp_parse(b, n, &r, &o));
	resp(b, 0, 5004, NULL, 0);
	b[41] ^= 1;				/* another internal port */
	EXPECT_EQ(-1, ap_pcp_parse(b, n, &r, &o));
	resp(b, 0, 5004, NULL, 0);
	b[1] = 0x82;				/* another opcode */
	EXPECT_EQ(-1, ap_pcp_parse(b, n, &r, &o));
	resp(b, 0, 5004, NULL, 0);
	b[44] = 1;				/* external not IPv4-mapped */
	EXPECT_EQ(-1, ap_pcp_parse(b, n, &r, &o));
	resp(b, 0, 0, NULL, 0);			/* a mapping on port 0 */
	EXPECT_EQ(-1, ap_pcp_parse(b, n, &r, &o));
	/* lengths: not a multiple of 4, too short, over 1100 */
	resp(b, 0, 5004, NULL, 0);
	EXPECT_EQ(-1, ap_pcp_parse(b, n - 2, &r, &o));
	EXPECT_EQ(-1, ap_pcp_parse(b, 40, &r, &o));
	EXPECT_EQ(-1, ap_pcp_parse(b, 1104, &r, &o));
	/* an option longer than the message */
	EXPECT_EQ(-1, ap_pcp_parse(b, resp(b, 0, 5004, bad_opt, sizeof(bad_opt)), &r, &o));
	EXPECT_EQ(-1, ap_pcp_parse(b, 3, &r, &o));
}

TEST_HARNESS_MAIN
