// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for rgm-portal's HTTP request handling
 * (portal/route.c): method, url, Content-Length, the headers the
 * same-site checks read, and the body, decided without a connection.
 * Input: one byte whose low four bits say which of Content-Type, Origin,
 * Host and Sec-Fetch-Site are present, then method, url, Content-Length
 * (empty: none), Content-Type, Origin, Host, Sec-Fetch-Site as
 * NUL-terminated strings, then the body.
 *
 * Checked: a refusal has its documented status (404, 405, 413 from the
 * route; 415, 403 and the codec's 400/413/422 from a POST), a code and a
 * message; a route found is one of its method; a browser's request (pair,
 * play, play stop) gets through only as JSON, from this site, from this
 * origin; a body that gets through parsed into the route's kind.
 * Seed corpus: fuzz/corpus/portal_route_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route.h"

static const char *next_str(const uint8_t **p, size_t *left)
{
	const uint8_t *nul = memchr(*p, '\0', *left);
	const char *s = (const char *)*p;

	if (!nul)
		return NULL;
	*left -= nul + 1 - *p;
	*p = nul + 1;
	return s;
}

static void check_error(const struct portal_error *e, const unsigned int *ok, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && e->status != ok[i]; i++)
		;
	if (i == n || !e->code[0] || !memchr(e->msg, '\0', sizeof(e->msg)) || !e->msg[0])
		abort();
}

/* Would a browser's request with these headers be same-site? */
static bool same_site(const struct portal_headers *h)
{
	const char *o = h->origin;

	if (!h->content_type || strncasecmp(h->content_type, "application/json", 16))
		return false;
	if (h->sec_fetch_site && strcmp(h->sec_fetch_site, "same-origin") &&
	    strcmp(h->sec_fetch_site, "none"))
		return false;
	if (!o)
		return true;
	if (!strncmp(o, "http://", 7))
		o += 7;
	else if (!strncmp(o, "https://", 8))
		o += 8;
	else
		return false;
	return h->host && !strcmp(o, h->host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int find_err[] = { 404, 405, 413 };
	static const unsigned int post_err[] = { 400, 403, 413, 415, 422 };
	const char *method, *url, *cl, *s[4];
	struct portal_headers h = { 0 };
	struct rgm_portal_req req;
	struct portal_route r;
	struct portal_error e;
	bool too_large, get, browser;
	unsigned int flags, i;
	char *body;
	int err;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	method = next_str(&data, &size);
	url = method ? next_str(&data, &size) : NULL;
	cl = url ? next_str(&data, &size) : NULL;
	for (i = 0; i < 4; i++)
		if (!cl || !(s[i] = next_str(&data, &size)))
			return 0;
	h.content_type = flags & 1 ? s[0] : NULL;
	h.origin = flags & 2 ? s[1] : NULL;
	h.host = flags & 4 ? s[2] : NULL;
	h.sec_fetch_site = flags & 8 ? s[3] : NULL;

	too_large = portal_route_too_large(*cl ? cl : NULL);
	if (too_large != (*cl && strtoull(cl, NULL, 10) > RGM_PORTAL_BODY_MAX))
		abort();
	err = portal_route_find(method, url, too_large, &r, &e);
	get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (err) {
		check_error(&e, find_err, 3);
		if ((e.status == 404) != !r.label || (e.status == 413 && !too_large))
			abort();
		return 0;
	}
	if (!r.label)
		abort();
	if (r.action == PORTAL_ACT_POST) {
		if (strcmp(method, "POST") || too_large || r.kind >= __RGM_PORTAL_KIND_MAX ||
		    strcmp(url, r.label))
			abort();
	} else {
		if (!get)
			abort();
		if (r.arg && (r.arg < url || r.arg > url + strlen(url)))
			abort();
		return 0;
	}

	body = malloc(size + 1);	/* its own allocation: ASan sees overreads */
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = 0;
	err = portal_route_post(&r, &h, size ? body : NULL, size, &req, &e);
	free(body);
	browser = r.kind == RGM_PORTAL_PAIR || r.kind == RGM_PORTAL_PLAY ||
		  r.kind == RGM_PORTAL_PLAY_STOP;
	if (err) {
		check_error(&e, post_err, 5);
		if ((e.status == 403 || e.status == 415) && !browser)
			abort();
		return 0;
	}
	if (req.kind != r.kind || (browser && !same_site(&h)))
		abort();
	return 0;
}
