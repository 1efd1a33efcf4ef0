// SPDX-License-Identifier: GPL-2.0
/*
 * The portal's HTTP server (libmicrohttpd, one thread per connection):
 * routes, request bodies (64 KiB at most: a larger Content-Length is
 * answered 413 before the body is read), JSON and HTML replies. The
 * address a request came from is what the watch flow records as the
 * gateway's global address.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>

#include "portal.h"
#include "route.h"
#include "rgm_asset.h"
#include "rgm_metrics.h"

extern const struct rgm_asset portal_assets[];

#define PORTAL_HTTP_TIMEOUT_S	30	/* an idle client connection */
/* A body sent without Content-Length that outgrows the limit is read (and
 * dropped) up to this, then the connection is cut. */
#define PORTAL_HTTP_DISCARD_MAX	(1024 * 1024)

struct portal_http {
	struct portal *p;
	struct MHD_Daemon *mhd;
};

/* One request's state, from its first call to its completion. */
struct portal_http_req {
	char *body;
	size_t len;
	size_t discarded;
	bool too_large;
	uint64_t start_us;	/* first call, for the latency metric */
};

/* The route label (metrics.c) of the request this thread routes. */
static __thread const char *portal_http_route_label;

/* The status of the reply this connection thread queued last, for the
 * request's log line (one thread per connection, one request at a time). */
static __thread unsigned int portal_http_status;

static const char *const portal_http_sec_headers[][2] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "Cache-Control", "no-store" },
	/* the pages' own script and style sheet, nothing else from anywhere */
	{ "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; "
				     "connect-src 'self'; img-src 'self'; form-action 'self'; "
				     "base-uri 'none'; frame-ancestors 'none'" },
	{ "Referrer-Policy", "no-referrer" },
};

/* The cookie the reply sets: a browser's token, when it just paired. */
static __thread char portal_http_set_cookie[PORTAL_TOKEN_LEN + 1];

static enum MHD_Result portal_http_queue(struct MHD_Connection *conn, unsigned int status,
					 const char *type, struct MHD_Response *r)
{
	enum MHD_Result ret;
	char cookie[128];
	unsigned int i;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (portal_http_set_cookie[0]) {
		/* HttpOnly: no script reads it; Strict: no other site sends it */
		snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=604800; HttpOnly; "
			 "SameSite=Strict", PORTAL_COOKIE, portal_http_set_cookie);
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
		portal_http_set_cookie[0] = '\0';
	}
	for (i = 0; i < sizeof(portal_http_sec_headers) / sizeof(portal_http_sec_headers[0]); i++)
		MHD_add_response_header(r, portal_http_sec_headers[i][0],
					portal_http_sec_headers[i][1]);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	portal_http_status = status;
	return ret;
}

static enum MHD_Result portal_http_send(struct MHD_Connection *conn, unsigned int status,
					const char *type, char *body)
{
	struct MHD_Response *r;

	if (!body)
		return MHD_NO;	/* out of memory: drop the connection */
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	return portal_http_queue(conn, status, type, r);
}

/* A file of portal/web/, built in (scripts/mkassets.sh). */
static enum MHD_Result portal_http_asset(struct MHD_Connection *conn, const char *url)
{
	const struct rgm_asset *a = rgm_asset_find(portal_assets, url);
	struct MHD_Response *r;

	if (!a)
		return portal_http_send(conn, 404, "application/json",
					strdup("{\"error\":{\"status\":404,\"code\":\"not-found\","
					       "\"message\":\"no such file\"}}"));
	r = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	return portal_http_queue(conn, 200, a->type, r);
}

static enum MHD_Result portal_http_json(struct MHD_Connection *conn, unsigned int status,
					struct json_object *o)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	char *body = s ? strdup(s) : NULL;

	return portal_http_send(conn, status, "application/json", body);
}

/* {"error":{"status":N,"code":"...","message":"..."}} */
static enum MHD_Result portal_http_error(struct MHD_Connection *conn,
					 const struct portal_error *e)
{
	struct json_object *o = json_object_new_object(), *err = json_object_new_object();
	enum MHD_Result ret;

	portal_info("error %u %s: %s", e->status, e->code, e->msg);
	if (!o || !err ||
	    json_object_object_add(err, "status", json_object_new_int(e->status)) ||
	    json_object_object_add(err, "code", json_object_new_string(e->code)) ||
	    json_object_object_add(err, "message", json_object_new_string(e->msg)) ||
	    json_object_object_add(o, "error", err)) {
		json_object_put(err);
		json_object_put(o);
		return MHD_NO;
	}
	ret = portal_http_json(conn, e->status, o);
	json_object_put(o);
	return ret;
}

static enum MHD_Result portal_http_fail(struct MHD_Connection *conn, unsigned int status,
					const char *code, const char *msg)
{
	struct portal_error e;

	portal_error_set(&e, status, code, "%s", msg);
	return portal_http_error(conn, &e);
}

static bool portal_http_client(struct MHD_Connection *conn, struct in_addr *src, char *text,
			       size_t size)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr_in *sin;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return false;
	sin = (const struct sockaddr_in *)ci->client_addr;
	*src = sin->sin_addr;
	inet_ntop(AF_INET, src, text, size);
	return true;
}

/* A client's text for a log line: printable ASCII, bounded. */
static const char *portal_http_clean(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i < size - 1; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* Routes */

static enum MHD_Result portal_http_titles(struct portal *p, struct MHD_Connection *conn)
{
	struct json_object *catalog;
	struct portal_error e;
	enum MHD_Result ret;

	if (portal_titles(p, &catalog, &e))
		return portal_http_error(conn, &e);
	ret = portal_http_json(conn, 200, catalog);
	json_object_put(catalog);
	return ret;
}

static const char *portal_http_cookie(struct MHD_Connection *conn)
{
	return MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, PORTAL_COOKIE);
}

static enum MHD_Result portal_http_page(struct portal *p, struct MHD_Connection *conn,
					const char *title_id, struct in_addr src)
{
	struct portal_viewer_app apps[PORTAL_BROWSER_APPS_MAX];
	struct json_object *catalog, *t = NULL;
	struct portal_error e;
	enum MHD_Result ret;
	unsigned int status = 200;
	char *page;
	int n;

	if (title_id && !rgm_api_id_valid(title_id))
		return portal_http_send(conn, 404, "text/html; charset=utf-8",
					portal_page_error(404, "There is no such title."));
	if (portal_titles(p, &catalog, &e))
		return portal_http_send(conn, e.status, "text/html; charset=utf-8",
					portal_page_error(e.status, e.msg));
	if (title_id) {
		t = portal_title_find(catalog, title_id);
		if (!t)
			status = 404;
	}
	n = portal_viewer_apps(p, src, portal_http_cookie(conn), apps, PORTAL_BROWSER_APPS_MAX);
	if (status == 404)
		page = portal_page_error(404, "There is no such title.");
	else
		page = t ? portal_page_title(t, apps, n) : portal_page_index(catalog, apps, n);
	ret = portal_http_send(conn, status, "text/html; charset=utf-8", page);
	json_object_put(catalog);
	return ret;
}

static enum MHD_Result portal_http_post(struct portal *p, struct MHD_Connection *conn,
					const struct portal_route *rt, struct in_addr src,
					const struct portal_http_req *r)
{
	const char *cookie = portal_http_cookie(conn);
	const struct portal_headers h = {
		.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_CONTENT_TYPE),
		.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
		.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
		.sec_fetch_site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							      "Sec-Fetch-Site"),
	};
	enum rgm_portal_kind kind = rt->kind;
	struct json_object *reply = NULL;
	char token[PORTAL_TOKEN_LEN + 1];
	struct rgm_portal_req req;
	struct portal_error e;
	enum MHD_Result ret;
	unsigned int status = 200;
	int err;

	if (portal_route_post(rt, &h, r->body, r->len, &req, &e))
		return portal_http_error(conn, &e);
	switch (kind) {
	case RGM_PORTAL_REGISTER:
		err = portal_register(p, src, &req.reg, &reply, &e);
		break;
	case RGM_PORTAL_WATCH:
		err = portal_watch(p, src, &req.watch, &reply, &e);
		/* 202: the appliance programs its gateway, then reports */
		status = reply && json_object_object_get_ex(reply, "appliance_instructions",
							    NULL) ? 202 : 201;
		break;
	case RGM_PORTAL_REPORT:
		err = portal_report(p, src, &req.report, &reply, &e);
		status = 200;
		break;
	case RGM_PORTAL_ANNOUNCE:
		err = portal_announce(p, src, &req.announce, &reply, &e);
		break;
	case RGM_PORTAL_NEXT:
		err = portal_next(p, src, &req.next, &reply, &e);
		break;
	case RGM_PORTAL_PAIR:
		err = portal_pair(p, src, cookie, &req.pair, &reply, token, &e);
		if (!err)
			snprintf(portal_http_set_cookie, sizeof(portal_http_set_cookie), "%s",
				 token);
		break;
	case RGM_PORTAL_PLAY:
		err = portal_play(p, src, cookie, &req.play, &reply, &e);
		status = 201;
		break;
	case RGM_PORTAL_PLAY_STOP:
		err = portal_play_stop(p, src, cookie, &req.play_stop, &reply, &e);
		break;
	default:
		err = portal_stop(p, src, &req.stop, &reply, &e);
		/* the appliance's own stop ends the browser's play with its result */
		if (!err)
			portal_viewer_session_ended(p, req.stop.session, req.stop.has_complete,
						    req.stop.complete);
		break;
	}
	if (err)
		return portal_http_error(conn, &e);
	ret = portal_http_json(conn, status, reply);
	json_object_put(reply);
	return ret;
}

static enum MHD_Result portal_http_play_get(struct portal *p, struct MHD_Connection *conn,
					    const char *id)
{
	struct json_object *reply;
	struct portal_error e;
	enum MHD_Result ret;

	if (portal_play_get(p, portal_http_cookie(conn), id, &reply, &e))
		return portal_http_error(conn, &e);
	ret = portal_http_json(conn, 200, reply);
	json_object_put(reply);
	return ret;
}

/* A client on this host: from loopback, or from the address it reached us at. */
static bool portal_http_local(struct MHD_Connection *conn, struct in_addr src)
{
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_in me;
	socklen_t len = sizeof(me);

	if ((ntohl(src.s_addr) >> 24) == 127)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci && !getsockname(ci->connect_fd, (struct sockaddr *)&me, &len) &&
	       me.sin_family == AF_INET && me.sin_addr.s_addr == src.s_addr;
}

/* GET /metrics: the Prometheus text, to clients on this host only (the
 * portal's HTTP side faces appliances and browsers and has no operator
 * credentials to ask for; a scraper runs beside it). */
static enum MHD_Result portal_http_metrics(struct MHD_Connection *conn, struct in_addr src)
{
	struct MHD_Response *r;
	size_t len;
	char *text;

	if (!portal_http_local(conn, src))
		return portal_http_fail(conn, 403, "forbidden",
					"metrics are served to clients on the portal's host only");
	text = portal_metrics_text(&len);
	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	return portal_http_queue(conn, 200, RGM_PROM_CONTENT_TYPE, r);
}

static enum MHD_Result portal_http_route(struct portal *p, struct MHD_Connection *conn,
					 const char *url, const char *method,
					 struct portal_http_req *r, struct in_addr src)
{
	struct portal_route rt;
	struct portal_error e;
	int err;

	err = portal_route_find(method, url, r->too_large, &rt, &e);
	portal_http_route_label = rt.label;
	if (err)
		return portal_http_error(conn, &e);
	switch (rt.action) {
	case PORTAL_ACT_POST:
		return portal_http_post(p, conn, &rt, src, r);
	case PORTAL_ACT_METRICS:
		return portal_http_metrics(conn, src);
	case PORTAL_ACT_HEALTH:
		return portal_http_send(conn, 200, "application/json", strdup("{\"ok\":true}"));
	case PORTAL_ACT_TITLES:
		return portal_http_titles(p, conn);
	case PORTAL_ACT_PLAY_GET:
		return portal_http_play_get(p, conn, rt.arg);
	case PORTAL_ACT_ASSET:
		return portal_http_asset(conn, rt.arg);
	case PORTAL_ACT_PAGE:
		break;
	}
	return portal_http_page(p, conn, rt.arg, src);
}

static enum MHD_Result portal_http_handler(void *cls, struct MHD_Connection *conn,
					   const char *url, const char *method,
					   const char *version, const char *upload_data,
					   size_t *upload_data_size, void **con_cls)
{
	struct portal_http *h = cls;
	struct portal_http_req *r = *con_cls;
	char addr[INET_ADDRSTRLEN], shown[128];
	struct in_addr src;
	enum MHD_Result ret;
	const char *cl;
	size_t n;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->start_us = rgm_metrics_now_us();
		/* refuse a large body from its announced size, before reading it */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (portal_route_too_large(cl)) {
			r->too_large = true;
			portal_info("%s %s: body of %s bytes refused", method, url, cl);
			return portal_http_fail(conn, 413, "too-large",
						"request body larger than 65536 bytes");
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		n = *upload_data_size;
		*upload_data_size = 0;
		if (r->too_large || n > RGM_PORTAL_BODY_MAX - r->len) {
			r->too_large = true;
			free(r->body);
			r->body = NULL;
			r->discarded += n;
			return r->discarded > PORTAL_HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (!r->body) {
			r->body = malloc(RGM_PORTAL_BODY_MAX);
			if (!r->body)
				return MHD_NO;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		return MHD_YES;
	}
	if (!portal_http_client(conn, &src, addr, sizeof(addr)))
		return portal_http_fail(conn, 400, "bad-request", "the portal serves IPv4 clients");
	portal_http_status = 0;
	portal_http_route_label = NULL;
	ret = portal_http_route(h->p, conn, url, method, r, src);
	portal_metrics_request(portal_http_route_label, portal_http_status,
			       rgm_metrics_now_us() - r->start_us);
	portal_info("%s %s %s -> %u", addr, method, portal_http_clean(url, shown, sizeof(shown)),
		    portal_http_status);
	return ret;
}

static void portal_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	struct portal_http_req *r = *con_cls;

	if (r) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

static void portal_http_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	portal_warn("http: %s", line);
}

struct portal_http *portal_http_new(struct portal *p, const struct sockaddr_in *listen,
				    unsigned int max_connections)
{
	struct portal_http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->p = p;
	h->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				  MHD_USE_POLL | MHD_USE_ERROR_LOG,
				  ntohs(listen->sin_port), NULL, NULL,
				  portal_http_handler, h,
				  /* first, so that MHD logs nothing elsewhere */
				  MHD_OPTION_EXTERNAL_LOGGER, portal_http_logger, h,
				  MHD_OPTION_SOCK_ADDR, listen,
				  MHD_OPTION_CONNECTION_LIMIT, max_connections,
				  /* one address (a slowloris) cannot hold every slot */
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				  max_connections > 1 ? max_connections / 2 : 1u,
				  MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)PORTAL_HTTP_TIMEOUT_S,
				  MHD_OPTION_NOTIFY_COMPLETED, portal_http_completed, h,
				  MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
				  MHD_OPTION_END);
	if (!h->mhd) {
		free(h);
		return NULL;
	}
	return h;
}

void portal_http_free(struct portal_http *h)
{
	if (!h)
		return;
	/* closes the socket, then waits for the connection threads */
	MHD_stop_daemon(h->mhd);
	free(h);
}
