// SPDX-License-Identifier: GPL-2.0
/*
 * route.c - what an HTTP request to rgm-confserver asks for (route.h).
 *
 * Everything here is a function of the request's own bytes: the route
 * table, who may use each route, the size limit and the body's parse.
 * What the request then does (service.c) and how the answer is sent
 * (http.c) are not here, so that all of it can be fuzzed in one process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

/* Exact paths first: "/v1/sessions/renew" is not a session id. */
const struct cs_route cs_routes[] = {
	{ CS_R_HEALTH, "GET", "/v1/health", CS_ROLE_NONE, -1 },
	{ CS_R_APPLIANCES, "POST", "/v1/appliances", CS_ROLE_PORTAL, RGM_API_APPLIANCE_REGISTER },
	{ CS_R_CONFIGURE, "POST", "/v1/sessions", CS_ROLE_PORTAL, RGM_API_CONFIGURE },
	{ CS_R_RENEW, "POST", "/v1/sessions/renew", CS_ROLE_PORTAL, RGM_API_RENEW },
	{ CS_R_CLOSE, "POST", "/v1/sessions/close", CS_ROLE_PORTAL, RGM_API_TEARDOWN },
	{ CS_R_REPORT, "POST", "/v1/sessions/report", CS_ROLE_PORTAL, RGM_API_REPORT },
	{ CS_R_SESSION_GET, "GET", "/v1/sessions/", CS_ROLE_PORTAL, -1 },
	{ CS_R_ENROLL, "POST", "/v1/gateways", CS_ROLE_OPERATOR, RGM_API_GATEWAY_ENROLL },
	{ CS_R_GATEWAYS, "GET", "/v1/gateways", CS_ROLE_OPERATOR, -1 },
	{ CS_R_GATEWAY_GET, "GET", "/v1/gateways/", CS_ROLE_OPERATOR, -1 },
	/* the operator console: static files; its data comes from the routes
	 * above and below, with the operator's credentials */
	{ CS_R_CONSOLE, "GET", "/console", CS_ROLE_NONE, -1 },
	{ CS_R_CONSOLE, "GET", "/console.js", CS_ROLE_NONE, -1 },
	{ CS_R_CONSOLE, "GET", "/console.css", CS_ROLE_NONE, -1 },
	{ CS_R_SESSIONS, "GET", "/v1/sessions", CS_ROLE_OPERATOR, -1 },
	{ CS_R_AUDIT, "GET", "/v1/audit", CS_ROLE_OPERATOR, -1 },
	{ CS_R_GATEWAY_DEL, "DELETE", "/v1/gateways/", CS_ROLE_OPERATOR, -1 },
	/* Prometheus text format (metrics.c) */
	{ CS_R_METRICS, "GET", "/metrics", CS_ROLE_OPERATOR, -1 },
};
const unsigned int cs_n_routes = sizeof(cs_routes) / sizeof(cs_routes[0]);
_Static_assert(sizeof(cs_routes) / sizeof(cs_routes[0]) < CS_METRICS_ROUTES,
	       "the metrics keep one slot per route and one for none");

const char *cs_role_name(enum cs_role r)
{
	static const char *const names[] = {
		[CS_ROLE_NONE] = "none",
		[CS_ROLE_PORTAL] = "portal",
		[CS_ROLE_OPERATOR] = "operator",
	};

	return (unsigned int)r < __CS_ROLE_MAX ? names[r] : "?";
}

static unsigned int cs_route_refuse(struct cs_gate *g, unsigned int status, const char *code)
{
	g->code = code;
	return status;
}

unsigned int cs_route_find(struct cs_gate *g, const char *method, const char *url)
{
	size_t at = 0;
	unsigned int i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < cs_n_routes; i++) {
		const struct cs_route *r = &cs_routes[i];
		size_t n = strlen(r->path);
		bool prefix = r->path[n - 1] == '/';

		if (prefix ? strncmp(url, r->path, n) || !url[n] || strchr(url + n, '/')
			   : strcmp(url, r->path))
			continue;
		if (strcmp(method, r->method)) {
			if (!strstr(g->allow, r->method) && at < sizeof(g->allow))
				at += snprintf(g->allow + at, sizeof(g->allow) - at, "%s%s",
					       at ? ", " : "", r->method);
			continue;
		}
		g->rt = r;
		g->arg = prefix ? url + n : NULL;
		return 0;
	}
	if (g->allow[0]) {
		snprintf(g->msg, sizeof(g->msg), "%.100s takes %s, not %.16s", url, g->allow,
			 method);
		return cs_route_refuse(g, 405, "method-not-allowed");
	}
	snprintf(g->msg, sizeof(g->msg), "no route %.16s %.100s", method, url);
	return cs_route_refuse(g, 404, "not-found");
}

unsigned int cs_route_allow(struct cs_gate *g, const struct cs_auth *a)
{
	if (g->rt->role == CS_ROLE_NONE)
		return 0;
	if (a->role == CS_ROLE_NONE) {
		snprintf(g->msg, sizeof(g->msg), "%s", a->why);
		return cs_route_refuse(g, 401, "unauthorized");
	}
	if (a->role < g->rt->role) {
		snprintf(g->msg, sizeof(g->msg), "%.80s has role %s; %s %s needs %s", a->actor,
			 cs_role_name(a->role), g->rt->method, g->rt->path,
			 cs_role_name(g->rt->role));
		return cs_route_refuse(g, 403, "forbidden");
	}
	return 0;
}

unsigned int cs_route_length(struct cs_gate *g, const char *cl, size_t *len)
{
	unsigned long long n;
	char *end;

	*len = 0;
	if (!cl)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (errno || *end || n > RGM_API_BODY_MAX) {
		snprintf(g->msg, sizeof(g->msg), "the body is longer than %d bytes",
			 RGM_API_BODY_MAX);
		return cs_route_refuse(g, 413, "too-large");
	}
	*len = n;
	return 0;
}

unsigned int cs_route_body(struct cs_gate *g, const char *body, size_t len, size_t discarded,
			   struct rgm_api_req *req)
{
	struct rgm_api_error err;

	if (discarded || len > RGM_API_BODY_MAX) {
		snprintf(g->msg, sizeof(g->msg), "the body is longer than %d bytes",
			 RGM_API_BODY_MAX);
		return cs_route_refuse(g, 413, "too-large");
	}
	if (g->rt->kind < 0)
		return 0;
	if (!rgm_api_parse(g->rt->kind, body ? body : "", len, req, &err))
		return 0;
	snprintf(g->msg, sizeof(g->msg), "%s", err.msg);
	return cs_route_refuse(g, err.status, err.status == 400 ? "bad-request" :
					      err.status == 413 ? "too-large" :
					      err.status == 422 ? "invalid" : "internal");
}
