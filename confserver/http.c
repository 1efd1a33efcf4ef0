// SPDX-License-Identifier: GPL-2.0
/*
 * The portal API over HTTP(S) with libmicrohttpd (Documentation/confserver.rst,
 * "Routes"). One thread per connection: a configure waiting for a slow
 * gateway holds up only its own connection. Per request:
 *
 *   first call   route, then credentials and role (401/403 before any body
 *                is read), then Content-Length (413 before buffering)
 *   body calls   appended up to RGM_API_BODY_MAX; past it the rest is
 *                discarded, not stored, and the reply is 413
 *   last call    the body parsed by lib/rgm_api.c (400/422 name the
 *                field), then service.c, then one JSON response
 *
 * Errors are {"error":{"status":N,"code":"CODE","message":"..."}}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "confserver.h"
#include "route.h"
#include "rgm_asset.h"
#include "rgm_metrics.h"
#include "rgm_secret.h"

extern const struct rgm_asset cs_assets[];

#define CS_HTTP_DISCARD_MAX	(4 * RGM_API_BODY_MAX)	/* then the connection is dropped */
#define CS_HTTP_CERT_MAX	(1024 * 1024)
#define CS_HTTP_TIMEOUT(c)	(2 * (c)->request_timeout + 5)	/* s */

struct cs_http {
	struct MHD_Daemon *d;
	const struct cs_conf *conf;
	struct cs_service *s;
	char *cert, *key, *trust;	/* PEM in memory, as libmicrohttpd wants it */
	pthread_mutex_t busy_lock;
	pthread_cond_t idle;		/* busy dropped to 0 */
	unsigned int busy;		/* requests between their first call and completion */
};

/* One request (MHD's *con_cls). */
struct cs_req {
	struct cs_http *h;
	struct cs_gate g;		/* route.c's decision; g.arg is in MHD's url */
	const struct cs_route *rt;	/* g.rt once routed */
	const char *url;		/* MHD's, for the console's files */
	struct cs_auth auth;
	char *body;
	size_t len;
	size_t discarded;		/* bytes past RGM_API_BODY_MAX, not kept */
	uint64_t start_us;		/* first call, for the latency metric */
	unsigned int status;		/* of the reply queued, 0: none yet */
};

/* The status of the reply this connection thread queued last (one thread
 * per connection, one request at a time), for the metrics. */
static __thread unsigned int cs_http_status;

/* allow: the Allow header of a 405, or NULL */
static enum MHD_Result cs_http_send(struct MHD_Connection *conn, unsigned int status,
				    struct json_object *body, const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *text;
	char *buf;
	size_t len;

	text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	if (!text) {
		status = 500;
		text = "{\"error\":{\"status\":500,\"code\":\"internal\","
		       "\"message\":\"out of memory\"}}";
	}
	len = strlen(text);
	buf = malloc(len + 2);
	if (!buf)
		return MHD_NO;
	memcpy(buf, text, len);
	buf[len++] = '\n';
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"rgm-confserver\"");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, resp);
	cs_http_status = status;
	MHD_destroy_response(resp);
	return ret;
}

/*
 * A file of the operator console (confserver/console/, built in by
 * scripts/mkassets.sh). It holds no data: the page asks the API with the
 * credentials the operator gives it. Its own script and style sheet only.
 */
static enum MHD_Result cs_http_asset(struct MHD_Connection *conn, const char *url)
{
	const struct rgm_asset *a = rgm_asset_find(cs_assets, url);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!a)
		return MHD_NO;	/* the route table names only files that are there */
	resp = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"connect-src 'self'; img-src 'self'; form-action 'none'; "
				"base-uri 'none'; frame-ancestors 'none'");
	ret = MHD_queue_response(conn, 200, resp);
	cs_http_status = 200;
	MHD_destroy_response(resp);
	return ret;
}

/* GET /metrics: the Prometheus text format (metrics.c). */
static enum MHD_Result cs_http_metrics(struct cs_service *s, struct MHD_Connection *conn)
{
	struct cs_service_counts c;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text;
	size_t len;

	if (cs_service_counts(s, &c))
		memset(&c, 0, sizeof(c));	/* the counters still tell something */
	text = cs_metrics_text(&c, &len);
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, RGM_PROM_CONTENT_TYPE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, 200, resp);
	cs_http_status = 200;
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result cs_http_error_allow(struct MHD_Connection *conn, unsigned int status,
					   const char *code, const char *msg, const char *allow)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	enum MHD_Result ret;

	json_object_object_add(e, "status", json_object_new_int(status));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	ret = cs_http_send(conn, status, o, allow);
	json_object_put(o);
	return ret;
}

static enum MHD_Result cs_http_error(struct MHD_Connection *conn, unsigned int status,
				     const char *code, const char *msg)
{
	return cs_http_error_allow(conn, status, code, msg, NULL);
}

static enum MHD_Result cs_http_result(struct MHD_Connection *conn, struct cs_result *r)
{
	enum MHD_Result ret;

	if (r->code)
		return cs_http_error(conn, r->status, r->code, r->msg);
	ret = cs_http_send(conn, r->status, r->body, NULL);
	json_object_put(r->body);
	r->body = NULL;
	return ret;
}

static const char *cs_http_peer(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
	return buf;
}

/* The first call: route, credentials, size. MHD_YES and no response
 * queued means: go on reading the body. */
static enum MHD_Result cs_http_begin(struct cs_req *q, struct MHD_Connection *conn,
				     const char *url, const char *method)
{
	struct cs_gate *g = &q->g;
	char ip[INET6_ADDRSTRLEN];
	unsigned int status;
	size_t n;

	q->url = url;
	status = cs_route_find(g, method, url);
	if (status)
		return cs_http_error_allow(conn, status, g->code, g->msg,
					   status == 405 ? g->allow : NULL);
	q->rt = g->rt;
	if (q->rt->role > CS_ROLE_NONE) {
		cs_auth_request(q->h->conf, conn, &q->auth);
		status = cs_route_allow(g, &q->auth);
		if (status) {
			cs_log(CS_LOG_INFO, "%u %s %s from %s: %s", status, method, url,
			       cs_http_peer(conn, ip, sizeof(ip)), g->msg);
			return cs_http_error(conn, status, g->code, g->msg);
		}
	}
	status = cs_route_length(g, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_CONTENT_LENGTH), &n);
	if (status)
		return cs_http_error(conn, status, g->code, g->msg);
	if (q->rt->kind >= 0 && n) {
		q->body = malloc(n + 1);
		if (!q->body)
			return cs_http_error(conn, 500, "internal", "out of memory");
	}
	return MHD_YES;
}

static int cs_http_append(struct cs_req *q, const char *data, size_t size)
{
	char *b;

	if (q->discarded || q->len + size > RGM_API_BODY_MAX) {
		q->discarded += size;
		return 0;
	}
	/* sized from Content-Length when there was one, else grown */
	b = realloc(q->body, q->len + size + 1);
	if (!b)
		return -ENOMEM;
	q->body = b;
	memcpy(q->body + q->len, data, size);
	q->len += size;
	return 0;
}

static enum MHD_Result cs_http_dispatch(struct cs_req *q, struct MHD_Connection *conn)
{
	struct cs_service *s = q->h->s;
	struct rgm_api_req req;
	struct cs_result r = { 0 };
	const char *actor = q->auth.actor;
	unsigned int status;

	status = cs_route_body(&q->g, q->body, q->len, q->discarded, &req);
	if (status)
		return cs_http_error(conn, status, q->g.code, q->g.msg);
	switch (q->rt->id) {
	case CS_R_HEALTH: {
		struct json_object *o = json_object_new_object();
		enum MHD_Result ret;

		json_object_object_add(o, "ok", json_object_new_boolean(1));
		ret = cs_http_send(conn, 200, o, NULL);
		json_object_put(o);
		return ret;
	}
	case CS_R_APPLIANCES:
		cs_service_register(s, actor, &req.reg, &r);
		break;
	case CS_R_CONFIGURE:
		cs_service_configure(s, actor, &req.configure, &r);
		break;
	case CS_R_SESSION_GET:
		cs_service_session_get(s, q->g.arg, &r);
		break;
	case CS_R_RENEW:
		cs_service_renew(s, actor, &req.renew, &r);
		break;
	case CS_R_CLOSE:
		cs_service_close(s, actor, &req.teardown, &r);
		break;
	case CS_R_REPORT:
		cs_service_report(s, actor, &req.report, &r);
		break;
	case CS_R_ENROLL:
		cs_service_enroll(s, actor, &req.enroll, &r);
		break;
	case CS_R_GATEWAYS:
		cs_service_gateway_list(s, &r);
		break;
	case CS_R_GATEWAY_GET:
		cs_service_gateway_get(s, q->g.arg, &r);
		break;
	case CS_R_CONSOLE:
		return cs_http_asset(conn, q->url);
	case CS_R_SESSIONS:
		cs_service_session_list(s, &r);
		break;
	case CS_R_AUDIT:
		cs_service_audit(s, &r);
		break;
	case CS_R_GATEWAY_DEL:
		cs_service_gateway_del(s, actor, q->g.arg, &r);
		break;
	case CS_R_METRICS:
		return cs_http_metrics(s, conn);
	}
	return cs_http_result(conn, &r);
}

static enum MHD_Result cs_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct cs_req *q = *con_cls;
	enum MHD_Result ret;

	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		q->h = cls;
		*con_cls = q;
		pthread_mutex_lock(&q->h->busy_lock);
		q->h->busy++;
		pthread_mutex_unlock(&q->h->busy_lock);
		q->start_us = rgm_metrics_now_us();
		cs_http_status = 0;
		ret = cs_http_begin(q, conn, url, method);
		q->status = cs_http_status;
		return ret;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (q->rt->kind < 0) {
			/* a body where none belongs is ignored, within the same bound */
			q->discarded += n;
			return q->discarded > CS_HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (cs_http_append(q, upload_data, n))
			return MHD_NO;
		return q->discarded > CS_HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (q->rt->kind < 0)
		q->discarded = 0;
	cs_http_status = 0;
	ret = cs_http_dispatch(q, conn);
	q->status = cs_http_status;
	return ret;
}

static void cs_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct cs_req *q = *con_cls;

	if (!q)
		return;
	if (q->status)
		cs_metrics_request(q->rt ? (unsigned int)(q->rt - cs_routes) : CS_METRICS_ROUTES - 1,
				   q->rt ? q->rt->method : "any", q->rt ? q->rt->path : "none",
				   q->status, rgm_metrics_now_us() - q->start_us);
	pthread_mutex_lock(&q->h->busy_lock);
	if (!--q->h->busy)
		pthread_cond_broadcast(&q->h->idle);
	pthread_mutex_unlock(&q->h->busy_lock);
	free(q->body);
	free(q);
	*con_cls = NULL;
}

static void cs_http_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	cs_log(CS_LOG_WARN, "http: %s", buf);
}

static char *cs_http_load(const char *what, const char *path, char *err, size_t errlen)
{
	char *pem = cs_conf_read_file(path, CS_HTTP_CERT_MAX, NULL);

	if (!pem)
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	return pem;
}

/* the private key: a secret file (rgm_secret.h) */
static char *cs_http_load_key(const char *path, char *err, size_t errlen)
{
	char why[400], *pem = rgm_secret_read(path, CS_HTTP_CERT_MAX, NULL, why, sizeof(why));

	if (!pem)
		snprintf(err, errlen, "http-key %s", why);
	return pem;
}

static void cs_http_free(struct cs_http *h)
{
	if (h->key)	/* key material does not outlive its use */
		memset(h->key, 0, strlen(h->key));
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->busy_lock);
	free(h->cert);
	free(h->key);
	free(h->trust);
	free(h);
}

int cs_http_start(const struct cs_conf *c, struct cs_service *s, struct cs_http **out,
		  char *err, size_t errlen)
{
	struct MHD_OptionItem opts[16];
	unsigned int flags, n = 0;
	struct cs_http *h;
	uint16_t port;

	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->conf = c;
	h->s = s;
	pthread_mutex_init(&h->busy_lock, NULL);
	pthread_cond_init(&h->idle, NULL);
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
		MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (c->listen_addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	port = ntohs(((const struct sockaddr_in *)&c->listen_addr)->sin_port);

	/* first, so that every message of libmicrohttpd goes through it */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)cs_http_log,
					     NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)&c->listen_addr };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
					     NULL };
	/* one address (a slowloris) cannot hold every slot */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					     c->max_connections > 1 ? c->max_connections / 2 : 1,
					     NULL };
	/* a client silent this long is dropped (slow senders, idle keep-alive).
	 * It must outlast our own work on a request: a configure (one
	 * request-timeout) plus the rollback of a failed one (another). */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, CS_HTTP_TIMEOUT(c),
					     NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					     (intptr_t)cs_http_completed, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
	if (!c->insecure_http) {
		flags |= MHD_USE_TLS;
		h->cert = cs_http_load("http-cert", c->http_cert.v, err, errlen);
		h->key = h->cert ? cs_http_load_key(c->http_key.v, err, errlen) : NULL;
		if (!h->key)
			goto err;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
						     (void *)CS_HTTP_PRIORITY };
		if (c->portal_ca.v) {
			/* makes libmicrohttpd request (not require) a client
			 * certificate; auth.c verifies it */
			h->trust = cs_http_load("portal-ca", c->portal_ca.v, err, errlen);
			if (!h->trust)
				goto err;
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
							     h->trust };
		}
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	h->d = MHD_start_daemon(flags, port, NULL, NULL, cs_http_handle, h,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on %s (address in use, or the TLS "
			 "certificate and key do not load)", c->listen.v);
		goto err;
	}
	cs_log(CS_LOG_INFO, "listening on %s (%s)", c->listen.v,
	       c->insecure_http ? "plain HTTP, loopback only" : "HTTPS");
	*out = h;
	return 0;
err:
	cs_http_free(h);
	return -1;
}

void cs_http_stop(struct cs_http *h)
{
	struct timespec until;
	MHD_socket fd;
	int rc = 0;

	if (!h)
		return;
	/* stop accepting, then give running requests their deadline */
	fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CS_HTTP_TIMEOUT(h->conf);
	pthread_mutex_lock(&h->busy_lock);
	while (h->busy && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&h->idle, &h->busy_lock, &until);
	if (h->busy)
		cs_log(CS_LOG_WARN, "stopping with %u request(s) unfinished", h->busy);
	pthread_mutex_unlock(&h->busy_lock);
	MHD_stop_daemon(h->d);
	cs_http_free(h);
}
