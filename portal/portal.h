/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm-portal internals shared by its files: logging (log.c), the clients of
 * the configuration server and the media server (upstream.c), the sessions
 * the portal opened and their lease timer (session.c), the appliance's
 * requests (watch.c), the HTML pages (page.c) and the HTTP server (http.c).
 * Documentation/portal.rst describes what it does.
 */
#ifndef PORTAL_H
#define PORTAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include "rgm_api.h"
#include "rgm_json.h"
#include "rgm_log.h"
#include "rgm_portal_api.h"

/* ------------------------------------------------------------ log.c */

extern bool portal_debug;
#define portal_log rgm_log	/* lib/rgm_log.h */
#define portal_err(...)		portal_log(LOG_ERR, __VA_ARGS__)
#define portal_warn(...)	portal_log(LOG_WARNING, __VA_ARGS__)
#define portal_info(...)	portal_log(LOG_INFO, __VA_ARGS__)
#define portal_dbg(...) \
	do { if (portal_debug) portal_log(LOG_DEBUG, __VA_ARGS__); } while (0)

/* ------------------------------------------------------------ upstream.c */

#define PORTAL_CONNECT_TIMEOUT_MS	3000	/* TCP connect + TLS handshake */
#define PORTAL_CALL_TIMEOUT_MS		15000	/* a whole upstream call */
#define PORTAL_REPLY_MAX		65536	/* bytes of an upstream reply */
#define PORTAL_TOKEN_MAX		4096	/* bytes of a bearer token */
#define PORTAL_CODE_MAX			40

/* What the appliance is answered when something fails: an HTTP status, a
 * code (the confserver's, or ours: Documentation/portal.rst) and a
 * message for humans. */
struct portal_error {
	unsigned int status;
	char code[PORTAL_CODE_MAX];
	char msg[RGM_JSON_MSG_MAX];
};

/* Fills e; returns -1. */
int portal_error_set(struct portal_error *e, unsigned int status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A codec refusal (400 bad-request, 413 too-large, 422 invalid). */
int portal_error_from_json(struct portal_error *e, const struct rgm_json_error *je);

/* One upstream server. */
struct portal_up {
	const char *name;	/* "confserver": codes confserver-unreachable, ... */
	const char *what;	/* "configuration server", for messages */
	char *base;		/* scheme://host[:port], no trailing slash */
	char *ca;		/* trust only this CA file; NULL: the system's */
	char *auth;		/* "Authorization: Bearer ..." or NULL */
};

/*
 * Checks url (http or https, no path, query or credentials; plain http
 * only to a loopback address when tls_required) and reads the bearer token
 * from token_file (NULL: none). 0, or -1 with a message in err.
 */
int portal_up_setup(struct portal_up *up, const char *name, const char *what, const char *url,
		    bool tls_required, const char *ca, const char *token_file, char *err,
		    size_t errlen);
void portal_up_teardown(struct portal_up *up);

/*
 * method path (under base) with req as JSON body (NULL: none). 0 with
 * *reply the 2xx reply's JSON object (put it), or -1 with e: the upstream's
 * own {"error":{"status","code","message"}} passed on, or 502
 * NAME-unreachable (no answer in time), NAME-bad-reply (not the JSON
 * expected, too large), NAME-unauthorized (it refused our token).
 */
int portal_up_call(const struct portal_up *up, const char *method, const char *path,
		   struct json_object *req, struct json_object **reply, struct portal_error *e);

/* ------------------------------------------------------------ session.c */

#define PORTAL_SESSIONS_MAX	4096
#define PORTAL_STREAM_ID_MAX	RGM_API_ID_MAX

/* A session the portal opened: what it must stop when it ends. */
struct portal_session {
	struct portal_session *next;
	char id[RGM_API_SESSION_MAX + 1];
	char stream[PORTAL_STREAM_ID_MAX + 1];	/* the media server's stream */
	char appliance[RGM_API_ID_MAX + 1];
	struct in_addr src;		/* where the watch came from */
	uint64_t expires_ms;		/* monotonic: the lease's end */
	/* appliance-mediated: the media waits for the appliance's report */
	bool pending;
	unsigned int n_streams;
};

struct portal_sessions {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* wakes the timer to stop */
	struct portal_session *head;
	unsigned int n;
	bool stop;
	bool running;
	pthread_t timer;
	const struct portal_up *media;
};

uint64_t portal_mono_ms(void);
/* Starts the timer thread that forgets sessions whose lease ended and
 * stops their media streams. */
int portal_sessions_setup(struct portal_sessions *s, const struct portal_up *media);
void portal_sessions_teardown(struct portal_sessions *s);
bool portal_sessions_full(struct portal_sessions *s);
/* Keeps a copy of ps. */
int portal_sessions_add(struct portal_sessions *s, const struct portal_session *ps);
/* Removes session id into *out: 0, -ENOENT unknown, -EPERM asked from
 * another address than the watch's (then it stays). */
int portal_sessions_take(struct portal_sessions *s, const char *id, struct in_addr src,
			 struct portal_session *out);
/* POST /v1/streams/ID/stop at the media server; 0 or -1 with e. */
int portal_media_stop(const struct portal_up *media, const char *stream, struct portal_error *e);

/* ------------------------------------------------------------ viewer.c */

#define PORTAL_APPLIANCES_MAX	1024	/* announced appliances */
#define PORTAL_BROWSERS_MAX	4096	/* paired browsers */
#define PORTAL_PLAYS_MAX	4096	/* plays kept (an ended one makes room) */
#define PORTAL_BROWSER_APPS_MAX	8	/* appliances one browser is paired with */
#define PORTAL_TOKEN_LEN	32	/* hex digits of a browser's cookie */
#define PORTAL_PLAY_ID_LEN	34	/* "p-" and 32 hex digits */
#define PORTAL_FAILS_SLOTS	64	/* addresses whose wrong codes are counted */
#define PORTAL_COOKIE		"rgm_viewer"

struct portal_appliance;
struct portal_browser;
struct portal_play;

struct portal_pair_fails {
	struct in_addr src;
	unsigned int count;
	uint64_t since_ms;
};

/* The appliances, browsers and plays of the viewer flow (viewer.c). */
struct portal_viewer {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a play for an appliance, or stop */
	struct portal_appliance *apps;
	struct portal_browser *browsers;
	struct portal_play *plays;
	unsigned int n_apps, n_browsers, n_plays;
	struct portal_pair_fails fails[PORTAL_FAILS_SLOTS];
	uint64_t online_ms;		/* an appliance silent this long is offline */
	bool stop;
};

/* An appliance a browser may play on, for its page. */
struct portal_viewer_app {
	char id[RGM_API_ID_MAX + 1];
	bool online;
};

/* ------------------------------------------------------------ watch.c */

struct portal {
	struct portal_up conf;		/* the configuration server */
	struct portal_up media;		/* the media server */
	unsigned int lease_margin;	/* s added to a title's duration */
	struct portal_sessions sessions;
	struct portal_viewer viewer;
};

/* src: the address the request came from (the gateway's global address).
 * 0 with *reply (put it), or -1 with e. */
int portal_register(struct portal *p, struct in_addr src, const struct rgm_portal_register *r,
		    struct json_object **reply, struct portal_error *e);
int portal_watch(struct portal *p, struct in_addr src, const struct rgm_portal_watch *w,
		 struct json_object **reply, struct portal_error *e);
int portal_stop(struct portal *p, struct in_addr src, const struct rgm_portal_stop *s,
		struct json_object **reply, struct portal_error *e);
/* The ports an appliance's own gateway granted (appliance-mediated
 * types), or its error: the media starts, or everything is undone. */
int portal_report(struct portal *p, struct in_addr src, const struct rgm_portal_report *r,
		  struct json_object **reply, struct portal_error *e);

/* viewer.c: cookie is the browser's token from its cookie (NULL: none). */
int portal_viewer_setup(struct portal_viewer *v);
void portal_viewer_teardown(struct portal_viewer *v);
/* Wakes the appliances waiting in next: the portal is stopping. */
void portal_viewer_stop(struct portal *p);
int portal_announce(struct portal *p, struct in_addr src, const struct rgm_portal_watch *w,
		    struct json_object **reply, struct portal_error *e);
int portal_next(struct portal *p, struct in_addr src, const struct rgm_portal_next *n,
		struct json_object **reply, struct portal_error *e);
/* token_out (PORTAL_TOKEN_LEN + 1): the cookie to set. */
int portal_pair(struct portal *p, struct in_addr src, const char *cookie,
		const struct rgm_portal_pair *req, struct json_object **reply, char *token_out,
		struct portal_error *e);
/* The appliances the browser is paired with behind src; their count. */
int portal_viewer_apps(struct portal *p, struct in_addr src, const char *cookie,
		       struct portal_viewer_app *out, unsigned int max);
int portal_play(struct portal *p, struct in_addr src, const char *cookie,
		const struct rgm_portal_play *req, struct json_object **reply,
		struct portal_error *e);
int portal_play_get(struct portal *p, const char *cookie, const char *id,
		    struct json_object **reply, struct portal_error *e);
int portal_play_stop(struct portal *p, struct in_addr src, const char *cookie,
		     const struct rgm_portal_play_stop *req, struct json_object **reply,
		     struct portal_error *e);
/* stop: the play of this session ended (with the appliance's result). */
void portal_viewer_session_ended(struct portal *p, const char *session, bool has_complete,
				 bool complete);
/* The media server's catalog, checked: {"titles":[{"id",...}]} */
int portal_titles(struct portal *p, struct json_object **reply, struct portal_error *e);
/* The title id of the catalog, NULL when absent. */
struct json_object *portal_title_find(struct json_object *catalog, const char *id);

/* ------------------------------------------------------------ page.c */

/* The HTML pages: every string from elsewhere is escaped. malloc'd, NULL
 * when out of memory. */
char *portal_page_index(struct json_object *catalog, const struct portal_viewer_app *apps,
			unsigned int n_apps);
char *portal_page_title(struct json_object *title, const struct portal_viewer_app *apps,
			unsigned int n_apps);
char *portal_page_error(unsigned int status, const char *msg);

/* ------------------------------------------------------------ http.c */

struct portal_http;

struct portal_http *portal_http_new(struct portal *p, const struct sockaddr_in *listen,
				    unsigned int max_connections);
void portal_http_free(struct portal_http *h);

#endif /* PORTAL_H */
