// SPDX-License-Identifier: GPL-2.0
/*
 * PCP MAP requests and responses (RFC 6887 7, 11, 13): every field the
 * server sends is bounds-checked here before anyone uses it.
 */
#include <string.h>

#include "pcp.h"

#define AP_PCP_HDR		24
#define AP_PCP_MAP_LEN		36
#define AP_PCP_OPT_PREFER_FAILURE	2
#define AP_PCP_OPT_FILTER	3

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* An IPv4 address as PCP carries it: IPv4-mapped IPv6 (::ffff:a.b.c.d). */
static void put_v4(uint8_t *p, struct in_addr a)
{
	memset(p, 0, 10);
	p[10] = p[11] = 0xff;
	memcpy(p + 12, &a.s_addr, 4);
}

static int get_v4(const uint8_t *p, struct in_addr *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(p, prefix, sizeof(prefix)))
		return -1;
	memcpy(&a->s_addr, p + 12, 4);
	return 0;
}

size_t ap_pcp_build(const struct ap_pcp_req *r, uint8_t *buf, size_t cap)
{
	struct in_addr any = { 0 };
	size_t n = AP_PCP_HDR + AP_PCP_MAP_LEN;
	uint8_t *m = buf + AP_PCP_HDR;

	if (cap < AP_PCP_REQ_LEN)
		return 0;
	memset(buf, 0, AP_PCP_REQ_LEN);
	buf[0] = AP_PCP_VERSION;
	buf[1] = AP_PCP_OP_MAP;		/* R = 0: a request */
	put32(buf + 4, r->lifetime);
	put_v4(buf + 8, r->client);
	memcpy(m, r->nonce, 12);
	m[12] = r->proto;
	put16(m + 16, r->internal_port);
	put16(m + 18, r->external_port);
	put_v4(m + 20, any);		/* no external address preferred */
	if (!r->lifetime)
		return n;		/* a delete: the nonce names the mapping */
	/* this port or none: RTCP must stay next to RTP */
	buf[n] = AP_PCP_OPT_PREFER_FAILURE;
	n += 4;
	if (r->remote.s_addr) {
		/* only the media server, any of its ports (RFC 6887 13.3) */
		buf[n] = AP_PCP_OPT_FILTER;
		put16(buf + n + 2, 20);
		buf[n + 5] = 128;	/* prefix length over the mapped address */
		put_v4(buf + n + 8, r->remote);
		n += 24;
	}
	return n;
}

int ap_pcp_parse(const uint8_t *buf, size_t len, const struct ap_pcp_req *r,
		 struct ap_pcp_resp *out)
{
	const uint8_t *m = buf + AP_PCP_HDR;
	size_t off, olen;

	memset(out, 0, sizeof(*out));
	if (len < 4 || len > AP_PCP_MAX_MSG)
		return -1;
	if (buf[0] != AP_PCP_VERSION) {
		/* a NAT-PMP server (version 0), or an older PCP: the
		 * request's version is what it does not support */
		if ((buf[1] & 0x80) == 0)
			return -1;
		out->version = buf[0];
		out->result = AP_PCP_UNSUPP_VERSION;
		return 0;
	}
	if (len < AP_PCP_HDR || len % 4 || buf[1] != (0x80 | AP_PCP_OP_MAP))
		return -1;
	out->version = buf[0];
	out->result = buf[3];
	out->lifetime = get32(buf + 4);
	out->epoch = get32(buf + 8);
	if (len == AP_PCP_HDR)
		/* a bare header: only an error the server could not tie to
		 * our request's fields (RFC 6887 8.3) */
		return out->result == AP_PCP_SUCCESS ? -1 : 0;
	if (len < AP_PCP_HDR + AP_PCP_MAP_LEN || memcmp(m, r->nonce, 12) || m[12] != r->proto ||
	    get16(m + 16) != r->internal_port)
		return -1;
	for (off = AP_PCP_HDR + AP_PCP_MAP_LEN; off < len; off += 4 + olen) {
		if (len - off < 4)
			return -1;
		olen = get16(buf + off + 2);
		olen = (olen + 3) & ~(size_t)3;
		if (olen > len - off - 4)
			return -1;
	}
	if (out->result != AP_PCP_SUCCESS)
		return 0;
	out->external_port = get16(m + 18);
	if (get_v4(m + 20, &out->external) || (r->lifetime && !out->external_port))
		return -1;
	return 0;
}

const char *ap_pcp_result_str(unsigned int result)
{
	static const char *const s[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED", "MALFORMED_REQUEST",
		"UNSUPP_OPCODE", "UNSUPP_OPTION", "MALFORMED_OPTION", "NETWORK_FAILURE",
		"NO_RESOURCES", "UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	return result < sizeof(s) / sizeof(s[0]) ? s[result] : "unknown result";
}
