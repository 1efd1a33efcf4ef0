/* SPDX-License-Identifier: GPL-2.0 */
/*
 * route.c: what a request to rgm-mediaserver's control API asks for,
 * decided from its method, url, Authorization header and body alone,
 * without a connection. http.c feeds it what libmicrohttpd read;
 * fuzz/ms_route_fuzz.c feeds it anything.
 */
#ifndef MS_ROUTE_H
#define MS_ROUTE_H

#include "ms.h"

enum ms_action {
	MS_ACT_TITLES,		/* GET /v1/titles */
	MS_ACT_PREPARE,		/* POST /v1/streams: title */
	MS_ACT_GET,		/* GET /v1/streams/ID */
	MS_ACT_START,		/* POST /v1/streams/ID/start: dest, ports, duration_ms */
	MS_ACT_STOP,		/* POST /v1/streams/ID/stop */
};

#define MS_ROUTE_ID_MAX		31	/* a stream id in a url */

struct ms_request {
	enum ms_action action;
	char id[MS_ROUTE_ID_MAX + 1];
	char *title;			/* malloc'd; ms_route_release() */
	struct in_addr dest;
	uint16_t ports[MS_MAX_MEDIA];
	unsigned int n_ports;
	uint64_t duration_ms;		/* 0: the whole title */
};

struct ms_refusal {
	unsigned int status;		/* 400, 401, 404, 413 */
	const char *code;
	const char *msg;
};

/* Does the Authorization header (NULL: none) carry the token whose SHA-256
 * is token_hash? No token_hash: no token is asked for. */
bool ms_route_authorized(const unsigned char *token_hash, const char *authorization);

/* The request: 0 with r filled, or -1 with e. too_large: the body was
 * over MS_BODY_MAX and not kept; body is NUL-terminated at len. */
int ms_route(const char *method, const char *url, bool authorized, bool too_large,
	     const char *body, size_t len, struct ms_request *r, struct ms_refusal *e);
void ms_route_release(struct ms_request *r);

#endif /* MS_ROUTE_H */
