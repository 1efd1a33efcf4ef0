/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rgmd remote programming protocol, version 1 (Documentation/protocol.rst):
 * JSON messages inside the transport's length-prefixed frames.
 *
 * rgm_req_parse() turns one request payload into a struct rgm_req, checking
 * every field's presence, type and range; on failure it says which error
 * code to reply with and why, naming the field. It depends on json-c only
 * (no netlink) so that the fuzz target links nothing else. The policy is not
 * applied here: the codec accepts what the protocol can express, rgmd
 * decides what it allows.
 *
 * The builders make replies and notifications; rgm_proto_finish() turns an
 * object into the malloc'd payload the transport frames.
 */
#ifndef RGM_PROTO_H
#define RGM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include "rgm_nl.h"	/* struct rgm_map only: no libnl symbol is used */

#define RGM_PROTO_VERSION	1
#define RGM_PROTO_DEPTH_MAX	8	/* JSON nesting; requests need 3 */
#define RGM_PROTO_SESSION_MAX	128	/* bytes of a session id */
#define RGM_PROTO_STREAMS_MAX	32	/* streams per map (rtcp doubles: 64 tuples) */
#define RGM_PROTO_RESERVE_MAX	32	/* ports per reserve request */
#define RGM_PROTO_HOLD_MAX	60	/* seconds a reservation may be held */
#define RGM_PROTO_HOLD_DEFAULT	10
#define RGM_PROTO_MSG_MAX	256	/* error message text */

enum rgm_op {
	RGM_OP_HELLO,
	RGM_OP_QUERY,
	RGM_OP_RESERVE,
	RGM_OP_MAP,
	RGM_OP_RENEW,
	RGM_OP_UNMAP,
	RGM_OP_LIST,
	__RGM_OP_MAX
};

enum rgm_err {
	RGM_ERR_NONE,
	RGM_ERR_BAD_REQUEST,
	RGM_ERR_UNSUPPORTED_VERSION,
	RGM_ERR_UNKNOWN_OP,
	RGM_ERR_POLICY_DENIED,
	RGM_ERR_PORT_IN_USE,
	RGM_ERR_TABLE_FULL,
	RGM_ERR_NO_SUCH_SESSION,
	RGM_ERR_NOT_RESERVED,
	RGM_ERR_RATE_LIMITED,
	RGM_ERR_INTERNAL,
	__RGM_ERR_MAX
};

struct rgm_req_stream {
	uint8_t stream;			/* enum rgm_stream */
	uint8_t proto;			/* IPPROTO_TCP/UDP, from the type */
	bool rtcp;			/* rtp only: a second tuple on every port + 1 */
	bool reserved;			/* global port must come from a reservation */
	bool has_global_addr;
	struct in_addr global_addr;
	uint16_t global_port;		/* 0: the gateway chooses */
	struct in_addr local_addr;
	uint16_t local_port;
	struct in_addr server_addr;	/* INADDR_ANY: any server */
	uint16_t server_port;		/* 0: any port */
};

struct rgm_req {
	uint32_t id;
	enum rgm_op op;
	bool has_session;
	char session[RGM_PROTO_SESSION_MAX + 1];
	/* query, reserve */
	uint8_t stream;
	uint8_t proto;
	uint32_t count;			/* ports, or pairs with pairs */
	bool pairs;
	bool has_global_addr;
	struct in_addr global_addr;
	uint16_t ports[RGM_PROTO_RESERVE_MAX];	/* reserve by name */
	unsigned int n_ports;
	uint32_t hold;			/* reserve, seconds */
	/* map, renew */
	uint32_t lease;
	struct rgm_req_stream streams[RGM_PROTO_STREAMS_MAX];
	unsigned int n_streams;
};

/* Why a request was refused; has_id tells whether id could be read. */
struct rgm_proto_error {
	enum rgm_err code;
	bool has_id;
	uint32_t id;
	char msg[RGM_PROTO_MSG_MAX];
};

/* 0, or -1 with *err filled. Never reads past buf[len - 1]. */
int rgm_req_parse(const uint8_t *buf, size_t len, struct rgm_req *req,
		  struct rgm_proto_error *err);

const char *rgm_op_name(enum rgm_op op);
const char *rgm_err_name(enum rgm_err code);

/* The owner cookie of a session: FNV-1a 64 of its bytes. */
uint64_t rgm_proto_cookie(const char *session);

/* Builders. Each returns NULL only when out of memory. */
struct json_object *rgm_proto_reply_new(uint32_t id);	/* {"v":1,"id":..,"ok":true} */
struct json_object *rgm_proto_error_new(const struct rgm_proto_error *err);
struct json_object *rgm_proto_event_new(const char *event);	/* {"v":1,"event":..} */
struct json_object *rgm_proto_addr_new(struct in_addr a);
struct json_object *rgm_proto_mapping_new(const struct rgm_map *m);
/* Adds key = val to o, taking val; -1 (val freed) on failure. */
int rgm_proto_add(struct json_object *o, const char *key, struct json_object *val);

/* What an error reply says: its error.code ("?" when missing) and
 * error.message ("" when missing); both point into reply. */
void rgm_proto_error_read(struct json_object *reply, const char **code, const char **msg);

/* Serializes o and drops the reference: a malloc'd NUL-terminated payload,
 * its length (without the NUL) in *len, or NULL when out of memory. */
char *rgm_proto_finish(struct json_object *o, size_t *len);

#endif /* RGM_PROTO_H */
