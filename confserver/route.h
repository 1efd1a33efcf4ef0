/* SPDX-License-Identifier: GPL-2.0 */
/*
 * route.c: what an HTTP request to rgm-confserver asks for, decided from
 * its method, path, credentials, Content-Length and body alone, without a
 * connection. http.c feeds it what libmicrohttpd read; fuzz/cs_route_fuzz.c
 * feeds it anything.
 */
#ifndef CS_ROUTE_H
#define CS_ROUTE_H

#include "confserver.h"

enum cs_route_id {
	CS_R_HEALTH,
	CS_R_APPLIANCES,
	CS_R_CONFIGURE,
	CS_R_SESSION_GET,
	CS_R_RENEW,
	CS_R_CLOSE,
	CS_R_REPORT,
	CS_R_ENROLL,
	CS_R_GATEWAYS,
	CS_R_GATEWAY_GET,
	CS_R_CONSOLE,
	CS_R_SESSIONS,
	CS_R_AUDIT,
	CS_R_GATEWAY_DEL,
	CS_R_METRICS,
};

struct cs_route {
	enum cs_route_id id;
	const char *method;
	const char *path;	/* exact, or a prefix when it ends with '/' */
	enum cs_role role;
	int kind;		/* enum rgm_api_kind of the body, -1: no body */
};

extern const struct cs_route cs_routes[];
extern const unsigned int cs_n_routes;

/*
 * A request on its way. Each step below returns 0 to go on, or the HTTP
 * status of the refusal with code, msg (and allow for a 405) filled in.
 */
struct cs_gate {
	const struct cs_route *rt;
	const char *arg;	/* the ID of a .../ID route, inside the url */
	const char *code;
	char msg[320];
	char allow[32];		/* the Allow header of a 405 */
};

/* 1. The route of method and url: 404, 405. */
unsigned int cs_route_find(struct cs_gate *g, const char *method, const char *url);
/* 2. May the caller a (cs_auth_request()) use it: 401, 403. */
unsigned int cs_route_allow(struct cs_gate *g, const struct cs_auth *a);
/* 3. The Content-Length header, NULL if none; *len its value: 413. */
unsigned int cs_route_length(struct cs_gate *g, const char *cl, size_t *len);
/* 4. The body (len bytes kept, discarded more refused), into req when the
 * route takes one: 413, 400, 422. */
unsigned int cs_route_body(struct cs_gate *g, const char *body, size_t len, size_t discarded,
			   struct rgm_api_req *req);

#endif /* CS_ROUTE_H */
