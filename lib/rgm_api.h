/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration server's portal API request codec
 * (Documentation/confserver.rst): one JSON request body in, one C struct
 * out, or an HTTP status (400, 413, 422) and a message naming the field.
 *
 * Strict like lib/rgm_proto.c: json-c in strict mode with UTF-8 validation
 * and a nesting limit, closed objects, duplicate field names refused, every
 * field type and range checked. It depends on json-c only, so the fuzz
 * target links nothing else, and it validates what the database stores
 * (identifiers, pins, endpoints): confserver/rgm_db.c calls the same checks.
 *
 * Which request a body is comes from the HTTP route, not from the body.
 */
#ifndef RGM_API_H
#define RGM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "rgm_json.h"

#define RGM_API_BODY_MAX	65536	/* bytes of a request body: more is 413 */
#define RGM_API_DEPTH_MAX	6	/* JSON nesting; requests need 3 */
#define RGM_API_ID_MAX		64	/* gateway, appliance ids and gateway types */
#define RGM_API_SESSION_MAX	128	/* as the gateway protocol's session ids */
#define RGM_API_ENDPOINT_MAX	255	/* host:port of a listening gateway */
#define RGM_API_PIN_LEN		55	/* "pin-sha256:" + base64 of 32 bytes */
#define RGM_API_STREAMS_MAX	32	/* as the gateway protocol's map */
#define RGM_API_LEASE_MAX	(7U * 24 * 3600)	/* the kernel's RGM_LEASE_LIMIT */
#define RGM_API_MSG_MAX		RGM_JSON_MSG_MAX
#define RGM_API_GRANT_MAX	4096	/* bytes of a signed grant (base64 . base64) */
#define RGM_API_CODE_MAX	32	/* an error code: "port-conflict" */

enum rgm_api_kind {
	RGM_API_CONFIGURE,
	RGM_API_RENEW,
	RGM_API_TEARDOWN,
	RGM_API_GATEWAY_ENROLL,
	RGM_API_APPLIANCE_REGISTER,
	RGM_API_REPORT,
	__RGM_API_KIND_MAX
};

/* How the server reaches a gateway's agent (rgmd). */
enum rgm_gw_mode {
	RGM_GW_LISTEN,		/* rgmd listens: the server dials endpoint */
	RGM_GW_CALL_HOME,	/* rgmd dials the server: no endpoint */
	__RGM_GW_MODE_MAX
};

struct rgm_api_stream {
	uint8_t stream;			/* enum rgm_stream: RGM_STREAM_TCP/UDP/RTP */
	uint8_t proto;			/* IPPROTO_TCP/UDP */
	bool rtcp;			/* rtp only: RTCP on every port + 1 */
	uint16_t local_port;
	struct in_addr server_addr;
	uint16_t server_port;
};

struct rgm_api_configure {
	char appliance[RGM_API_ID_MAX + 1];
	struct in_addr gateway_addr;	/* the gateway's global address as the portal saw it */
	struct in_addr local_addr;	/* the appliance's LAN address */
	uint32_t lease;
	struct rgm_api_stream streams[RGM_API_STREAMS_MAX];
	unsigned int n_streams;
};

struct rgm_api_renew {
	char session[RGM_API_SESSION_MAX + 1];
	uint32_t lease;
};

struct rgm_api_teardown {
	char session[RGM_API_SESSION_MAX + 1];
};

struct rgm_api_enroll {
	char id[RGM_API_ID_MAX + 1];
	char type[RGM_API_ID_MAX + 1];
	enum rgm_gw_mode mode;
	char endpoint[RGM_API_ENDPOINT_MAX + 1];	/* "" with call-home */
	char pin[RGM_API_PIN_LEN + 1];
	bool has_global_addr;
	struct in_addr global_addr;
};

/* Exactly one of gateway and gateway_type is non-empty. */
struct rgm_api_register {
	char appliance[RGM_API_ID_MAX + 1];
	char gateway[RGM_API_ID_MAX + 1];
	char gateway_type[RGM_API_ID_MAX + 1];
	bool has_gateway_addr;
	struct in_addr gateway_addr;
};

/*
 * What an appliance that programs its own gateway (UPnP IGD, PCP) reports,
 * through the portal: the grant it was given, and either the global ports
 * the gateway granted (one per stream, in request order) or the error the
 * gateway gave (error_code non-empty).
 */
struct rgm_api_report {
	char session[RGM_API_SESSION_MAX + 1];
	char grant[RGM_API_GRANT_MAX + 1];
	struct in_addr gateway_addr;	/* the gateway's global address as the portal saw it */
	bool has_global_addr;
	struct in_addr global_addr;	/* what the gateway said its address is */
	uint16_t ports[RGM_API_STREAMS_MAX];
	unsigned int n_ports;
	char error_code[RGM_API_CODE_MAX + 1];
	char error_msg[RGM_API_MSG_MAX];
};

struct rgm_api_req {
	enum rgm_api_kind kind;
	union {
		struct rgm_api_configure configure;
		struct rgm_api_renew renew;
		struct rgm_api_teardown teardown;
		struct rgm_api_enroll enroll;
		struct rgm_api_register reg;
		struct rgm_api_report report;
	};
};

/* The request codecs share one error type: status 400, 413, 422 (500 out
 * of memory) and a message naming the field (lib/rgm_json.h). */
#define rgm_api_error rgm_json_error

/* 0, or -1 with *err filled. Never reads past body[len - 1]. */
int rgm_api_parse(enum rgm_api_kind kind, const char *body, size_t len,
		  struct rgm_api_req *req, struct rgm_api_error *err);

const char *rgm_api_kind_name(enum rgm_api_kind kind);
const char *rgm_gw_mode_name(enum rgm_gw_mode mode);
/* -1 when s names no mode */
int rgm_gw_mode_parse(const char *s);

/* The value checks the codec applies, for the database and the CLI. */
/* 1..RGM_API_ID_MAX of [A-Za-z0-9._:@-], not starting with '-' */
bool rgm_api_id_valid(const char *s);
/* 1..RGM_API_SESSION_MAX printable ASCII without blanks */
bool rgm_api_session_valid(const char *s);
/* 1..RGM_API_GRANT_MAX of base64 characters and '.' */
bool rgm_api_grant_valid(const char *s);
/* 1..RGM_API_CODE_MAX of a-z and '-' */
bool rgm_api_code_valid(const char *s);
/* "pin-sha256:" + 43 base64 characters + "=" (the shape; rgm_db decodes) */
bool rgm_api_pin_valid(const char *s);
/* host:port, [v6]:port; host a DNS name or address, port 1..65535 */
bool rgm_api_endpoint_valid(const char *s);

/* The streams of a configure request as the canonical JSON array stored in
 * the sessions table; malloc'd, NULL when out of memory. */
char *rgm_api_streams_json(const struct rgm_api_configure *c);

/* {"error":{"status":N,"message":"..."}}: malloc'd, NULL when out of memory. */
char *rgm_api_error_json(const struct rgm_api_error *err);

#endif /* RGM_API_H */
