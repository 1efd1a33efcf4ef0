/* SPDX-License-Identifier: GPL-2.0 */
/*
 * route.c: what an HTTP request to rgm-portal asks for, decided from its
 * method, url, headers and body alone, without a connection. http.c feeds
 * it what libmicrohttpd read; fuzz/portal_route_fuzz.c feeds it anything.
 */
#ifndef PORTAL_ROUTE_H
#define PORTAL_ROUTE_H

#include "portal.h"
#include "rgm_portal_api.h"

enum portal_action {
	PORTAL_ACT_POST,	/* a JSON request of route.kind */
	PORTAL_ACT_HEALTH,
	PORTAL_ACT_METRICS,
	PORTAL_ACT_TITLES,
	PORTAL_ACT_PLAY_GET,	/* arg: the play's id */
	PORTAL_ACT_ASSET,	/* arg: the url */
	PORTAL_ACT_PAGE,	/* arg: the title id, NULL for the index */
};

struct portal_route {
	enum portal_action action;
	enum rgm_portal_kind kind;
	const char *arg;	/* inside the url */
	const char *label;	/* for the metrics: static, NULL when no route */
};

/* The request headers route.c reads; NULL when absent. */
struct portal_headers {
	const char *content_type;
	const char *origin;
	const char *host;
	const char *sec_fetch_site;
};

/* Is a Content-Length header (NULL: none) over RGM_PORTAL_BODY_MAX? */
bool portal_route_too_large(const char *cl);
/* The route of method and url; too_large: the body was refused. 0, or -1
 * with e: 404, 405, 413. */
int portal_route_find(const char *method, const char *url, bool too_large,
		      struct portal_route *r, struct portal_error *e);
/* A POST route's body into req, after the same-site checks of the routes a
 * browser calls: 0, or -1 with e (415, 403, or the codec's 400/413/422). */
int portal_route_post(const struct portal_route *r, const struct portal_headers *h,
		      const char *body, size_t len, struct rgm_portal_req *req,
		      struct portal_error *e);

#endif /* PORTAL_ROUTE_H */
