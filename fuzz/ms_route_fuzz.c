// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for rgm-mediaserver's control API request handling
 * (mediaserver/route.c): method, url, Authorization header and body,
 * decided without a connection. Input: one byte (bit 0: the server has a
 * token, bit 1: an Authorization header is sent, bit 2: the body was over
 * the limit), then method, url and the Authorization header as
 * NUL-terminated strings, then the body.
 *
 * Checked: a refusal has its documented status, code and message; nothing
 * gets through over the size limit, or without the token when there is
 * one; a request that gets through names a route of its method, a stream
 * id taken from its url, and, for start, 1-4 ports of 1-65534, an IPv4
 * address and a duration of at most a day. Seed corpus:
 * fuzz/corpus/ms_route_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "route.h"

#define TOKEN "fuzz-token"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char hash[32];
	static bool hashed;
	const char *method, *url, *authz;
	struct ms_request r;
	struct ms_refusal e;
	bool has_token, auth, too_large;
	unsigned int flags, i;
	char *body;
	int ret;

	if (!hashed) {
		gnutls_hash_fast(GNUTLS_DIG_SHA256, TOKEN, strlen(TOKEN), hash);
		hashed = true;
	}
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	method = next_str(&data, &size);
	url = method ? next_str(&data, &size) : NULL;
	authz = url ? next_str(&data, &size) : NULL;
	if (!authz)
		return 0;
	has_token = flags & 1;
	too_large = flags & 4;
	auth = ms_route_authorized(has_token ? hash : NULL, flags & 2 ? authz : NULL);
	if (auth != (!has_token || ((flags & 2) && !strcmp(authz, "Bearer " TOKEN))))
		abort();

	body = malloc(size + 1);	/* its own allocation: ASan sees overreads */
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = 0;
	ret = ms_route(method, url, auth, too_large, body, size, &r, &e);
	free(body);
	if (ret) {
		if ((e.status != 400 && e.status != 401 && e.status != 404 && e.status != 413) ||
		    !e.code || !e.code[0] || !e.msg || !e.msg[0] || r.title)
			abort();
		if ((e.status == 413) != too_large || (e.status == 401 && (too_large || auth)))
			abort();
		return 0;
	}
	if (too_large || !auth)
		abort();
	switch (r.action) {
	case MS_ACT_TITLES:
		if (strcmp(method, "GET") || strcmp(url, "/v1/titles"))
			abort();
		break;
	case MS_ACT_PREPARE:
		if (strcmp(method, "POST") || strcmp(url, "/v1/streams") || !r.title)
			abort();
		break;
	case MS_ACT_START:
		if (!r.n_ports || r.n_ports > MS_MAX_MEDIA || r.duration_ms > 86400000)
			abort();
		for (i = 0; i < r.n_ports; i++)
			if (!r.ports[i] || r.ports[i] > 65534)
				abort();
		/* fall through */
	case MS_ACT_GET:
	case MS_ACT_STOP:
		if (strncmp(url, "/v1/streams/", 12) || !r.id[0] || strchr(r.id, '/') ||
		    strncmp(url + 12, r.id, strlen(r.id)))
			abort();
		break;
	default:
		abort();
	}
	ms_route_release(&r);
	return 0;
}
