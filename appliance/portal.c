// SPDX-License-Identifier: GPL-2.0
/*
 * The portal client (libcurl): JSON requests with a connect and a total
 * timeout, http(s) only, no redirects, replies capped at 1 MiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ap.h"

#define REPLY_MAX	(1 << 20)

struct buf {
	char *p;
	size_t len;
	bool too_large;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > REPLY_MAX - b->len) {
		b->too_large = true;
		return 0;	/* aborts the transfer */
	}
	p = realloc(b->p, b->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, data, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = 0;
	return n;
}

int ap_portal_call(const struct ap_portal *p, const char *method, const char *path,
		   json_object *body, json_object **reply)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = { 0 };
	char url[1024];
	long status = -1;
	CURLcode rc;
	CURL *c;

	*reply = NULL;
	snprintf(url, sizeof(url), "%s%s", p->base, path);
	c = curl_easy_init();
	if (!c)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS,
				 json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (b.too_large)
		fprintf(stderr, "rgm-appliance: %s %s: reply over %d bytes\n", method, url,
			REPLY_MAX);
	else
		fprintf(stderr, "rgm-appliance: %s %s: %s\n", method, url, curl_easy_strerror(rc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		free(b.p);
		return -1;
	}
	if (b.p)
		*reply = json_tokener_parse(b.p);
	free(b.p);
	return (int)status;
}

void ap_portal_perror(const char *what, int status, json_object *reply)
{
	json_object *err, *msg = NULL, *code = NULL;

	if (reply && json_object_object_get_ex(reply, "error", &err)) {
		json_object_object_get_ex(err, "message", &msg);
		json_object_object_get_ex(err, "code", &code);
	}
	fprintf(stderr, "rgm-appliance: %s: HTTP %d %s: %s\n", what, status,
		code ? json_object_get_string(code) : "",
		msg ? json_object_get_string(msg) : "(no error message)");
}
