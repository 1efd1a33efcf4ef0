// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for rgm-confserver's HTTP request handling
 * (confserver/route.c): method, path, caller's role, Content-Length and
 * body, as http.c passes them, decided without a connection. Input: one
 * byte for the caller's role (as confserver/auth.c would have found it),
 * then method, url and Content-Length as NUL-terminated strings (an empty
 * Content-Length: none sent), then the body.
 *
 * Checked: a refusal has its documented status and a code and message; a
 * request that gets through has a route of its method whose path is its
 * url (or whose prefix it extends by one segment), a caller whose role is
 * at least the route's, and a body that parsed into the route's request
 * kind. Seed corpus: fuzz/corpus/cs_route_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static void check_refusal(const struct cs_gate *g, unsigned int status, unsigned int a,
			  unsigned int b, unsigned int c)
{
	if (status != a && status != b && status != c)
		abort();
	if (!g->code || !g->code[0] || !memchr(g->msg, '\0', sizeof(g->msg)) || !g->msg[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *method, *url, *cl;
	struct rgm_api_req req;
	struct cs_auth auth = { 0 };
	struct cs_gate g;
	unsigned int status;
	size_t len, n;
	char *body;

	if (size < 1)
		return 0;
	auth.role = data[0] % __CS_ROLE_MAX;
	if (auth.role == CS_ROLE_NONE)
		strcpy(auth.why, "no credentials");
	else
		strcpy(auth.actor, "token:fuzz");
	data++;
	size--;
	method = next_str(&data, &size);
	url = method ? next_str(&data, &size) : NULL;
	cl = url ? next_str(&data, &size) : NULL;
	if (!cl)
		return 0;

	status = cs_route_find(&g, method, url);
	if (status) {
		check_refusal(&g, status, 404, 405, 405);
		if ((status == 405) != !!g.allow[0] || !memchr(g.allow, '\0', sizeof(g.allow)))
			abort();
		return 0;
	}
	if (!g.rt || strcmp(g.rt->method, method))
		abort();
	len = strlen(g.rt->path);
	if (g.rt->path[len - 1] == '/') {
		if (strncmp(url, g.rt->path, len) || g.arg != url + len || !*g.arg ||
		    strchr(g.arg, '/'))
			abort();
	} else if (strcmp(url, g.rt->path) || g.arg) {
		abort();
	}

	status = cs_route_allow(&g, &auth);
	if (status) {
		check_refusal(&g, status, 401, 403, 403);
		if ((status == 401) != (auth.role == CS_ROLE_NONE) || auth.role >= g.rt->role)
			abort();
		return 0;
	}
	if (auth.role < g.rt->role)
		abort();

	status = cs_route_length(&g, *cl ? cl : NULL, &n);
	if (status) {
		check_refusal(&g, status, 413, 413, 413);
		return 0;
	}
	if (n > RGM_API_BODY_MAX)
		abort();

	/* the body in its own allocation, as http.c keeps it: ASan sees overreads */
	body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = 0;
	status = cs_route_body(&g, size ? body : NULL, size, 0, &req);
	free(body);
	if (status) {
		check_refusal(&g, status, 400, 413, 422);
		if (g.rt->kind < 0)
			abort();
		return 0;
	}
	if (g.rt->kind >= 0 && req.kind != (enum rgm_api_kind)g.rt->kind)
		abort();
	return 0;
}
