/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCP (RFC 6887) MAP messages, as the appliance sends and reads them: the
 * wire format only, no sockets (appliance/gw_pcp.c is the client;
 * fuzz/pcp_fuzz.c feeds ap_pcp_parse whatever it likes).
 */
#ifndef AP_PCP_H
#define AP_PCP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define AP_PCP_PORT		5351
#define AP_PCP_VERSION		2
#define AP_PCP_OP_MAP		1
#define AP_PCP_MAX_MSG		1100	/* RFC 6887 7: no message is longer */
#define AP_PCP_REQ_LEN		(24 + 36 + 4 + 24)	/* header, MAP, PREFER_FAILURE, FILTER */

/* result codes (RFC 6887 7.4) */
enum {
	AP_PCP_SUCCESS = 0,
	AP_PCP_UNSUPP_VERSION = 1,
	AP_PCP_NOT_AUTHORIZED = 2,
	AP_PCP_MALFORMED_REQUEST = 3,
	AP_PCP_UNSUPP_OPCODE = 4,
	AP_PCP_UNSUPP_OPTION = 5,
	AP_PCP_MALFORMED_OPTION = 6,
	AP_PCP_NETWORK_FAILURE = 7,
	AP_PCP_NO_RESOURCES = 8,
	AP_PCP_UNSUPP_PROTOCOL = 9,
	AP_PCP_USER_EX_QUOTA = 10,
	AP_PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	AP_PCP_ADDRESS_MISMATCH = 12,
	AP_PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

/* One MAP request: lifetime 0 deletes the mapping the nonce names. */
struct ap_pcp_req {
	uint8_t nonce[12];
	uint8_t proto;			/* IPPROTO_UDP, IPPROTO_TCP */
	uint16_t internal_port;
	uint16_t external_port;		/* asked for; PREFER_FAILURE: this or none */
	uint32_t lifetime;
	struct in_addr client;		/* our LAN address */
	struct in_addr remote;		/* FILTER: only this peer; 0: none */
};

struct ap_pcp_resp {
	uint8_t version;		/* 0: a NAT-PMP server's answer */
	uint8_t result;
	uint32_t lifetime;
	uint32_t epoch;
	uint16_t external_port;
	struct in_addr external;
};

/* Writes the request into buf (AP_PCP_REQ_LEN bytes at most); its length. */
size_t ap_pcp_build(const struct ap_pcp_req *r, uint8_t *buf, size_t cap);

/*
 * Reads a datagram that came from the server. 0: the answer to r (out
 * filled; out->result says whether the mapping was made, out->version 0
 * says the server speaks NAT-PMP only); -1: not an answer to r (too short
 * or long, not a MAP response, another nonce, protocol or port, a bad
 * option, an external address that is not IPv4): ignore it and wait on.
 */
int ap_pcp_parse(const uint8_t *buf, size_t len, const struct ap_pcp_req *r,
		 struct ap_pcp_resp *out);

const char *ap_pcp_result_str(unsigned int result);

#endif /* AP_PCP_H */
