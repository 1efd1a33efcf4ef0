// SPDX-License-Identifier: GPL-2.0
/*
 * route.c - what an HTTP request to rgm-portal asks for (route.h): its
 * route, the size limit, the same-site checks and the body's parse, all a
 * function of the request's own bytes. What it then does (watch.c,
 * viewer.c, ...) and how the reply goes out (http.c) are not here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route.h"

bool portal_route_too_large(const char *cl)
{
	return cl && strtoull(cl, NULL, 10) > RGM_PORTAL_BODY_MAX;
}

int portal_route_find(const char *method, const char *url, bool too_large,
		      struct portal_route *r, struct portal_error *e)
{
	static const struct { const char *path; enum rgm_portal_kind kind; } posts[] = {
		{ "/v1/register", RGM_PORTAL_REGISTER },
		{ "/v1/watch", RGM_PORTAL_WATCH },
		{ "/v1/stop", RGM_PORTAL_STOP },
		{ "/v1/report", RGM_PORTAL_REPORT },
		{ "/v1/announce", RGM_PORTAL_ANNOUNCE },
		{ "/v1/next", RGM_PORTAL_NEXT },
		{ "/v1/pair", RGM_PORTAL_PAIR },
		{ "/v1/play", RGM_PORTAL_PLAY },
		{ "/v1/play/stop", RGM_PORTAL_PLAY_STOP },
	};
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	unsigned int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		if (strcmp(url, posts[i].path))
			continue;
		r->label = posts[i].path;
		if (!post)
			return portal_error_set(e, 405, "method-not-allowed", "use POST");
		if (too_large)
			return portal_error_set(e, 413, "too-large",
						"request body larger than %d bytes",
						RGM_PORTAL_BODY_MAX);
		r->action = PORTAL_ACT_POST;
		r->kind = posts[i].kind;
		return 0;
	}
	if (!strcmp(url, "/") || !strcmp(url, "/v1/titles") || !strcmp(url, "/v1/health") ||
	    !strcmp(url, "/metrics") ||
	    !strncmp(url, "/titles/", 8) || !strncmp(url, "/v1/plays/", 10) ||
	    !strncmp(url, "/static/", 8)) {
		r->label = !strncmp(url, "/titles/", 8) ? "/titles/{id}" :
			   !strncmp(url, "/v1/plays/", 10) ? "/v1/plays/{id}" :
			   !strncmp(url, "/static/", 8) ? "/static/{file}" :
			   !strcmp(url, "/") ? "/" : !strcmp(url, "/v1/titles") ? "/v1/titles" :
			   !strcmp(url, "/v1/health") ? "/v1/health" : "/metrics";
		if (!get)
			return portal_error_set(e, 405, "method-not-allowed", "use GET");
		if (!strcmp(url, "/metrics")) {
			r->action = PORTAL_ACT_METRICS;
		} else if (!strcmp(url, "/v1/health")) {
			r->action = PORTAL_ACT_HEALTH;
		} else if (!strcmp(url, "/v1/titles")) {
			r->action = PORTAL_ACT_TITLES;
		} else if (!strncmp(url, "/v1/plays/", 10)) {
			r->action = PORTAL_ACT_PLAY_GET;
			r->arg = url + 10;
		} else if (!strncmp(url, "/static/", 8)) {
			r->action = PORTAL_ACT_ASSET;
			r->arg = url;
		} else {
			r->action = PORTAL_ACT_PAGE;
			r->arg = url[1] ? url + 8 : NULL;
		}
		return 0;
	}
	return portal_error_set(e, 404, "not-found", "no such route");
}

/*
 * The routes a browser calls with its cookie: not from another site. The
 * cookie is SameSite=Strict already; a JSON body (which another site can
 * only send after a CORS preflight we never answer) and, when the browser
 * says where the request comes from, this host, are asked for as well.
 */
static int portal_route_same_site(const struct portal_headers *h, struct portal_error *e)
{
	const char *rest;

	if (!h->content_type || strncasecmp(h->content_type, "application/json", 16))
		return portal_error_set(e, 415, "unsupported-media-type",
					"send the body as application/json");
	if (h->sec_fetch_site && strcmp(h->sec_fetch_site, "same-origin") &&
	    strcmp(h->sec_fetch_site, "none"))
		return portal_error_set(e, 403, "cross-site", "a request from another site (%.20s)",
					h->sec_fetch_site);
	if (h->origin) {
		rest = !strncmp(h->origin, "http://", 7) ? h->origin + 7 :
		       !strncmp(h->origin, "https://", 8) ? h->origin + 8 : NULL;
		if (!rest || !h->host || strcmp(rest, h->host))
			return portal_error_set(e, 403, "cross-site",
						"a request from another origin");
	}
	return 0;
}

int portal_route_post(const struct portal_route *r, const struct portal_headers *h,
		      const char *body, size_t len, struct rgm_portal_req *req,
		      struct portal_error *e)
{
	struct rgm_json_error je;

	if ((r->kind == RGM_PORTAL_PAIR || r->kind == RGM_PORTAL_PLAY ||
	     r->kind == RGM_PORTAL_PLAY_STOP) && portal_route_same_site(h, e))
		return -1;
	if (rgm_portal_parse(r->kind, body ? body : "", len, req, &je))
		return portal_error_from_json(e, &je);
	return 0;
}
