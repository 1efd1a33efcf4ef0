// SPDX-License-Identifier: GPL-2.0
/*
 * Watching from a browser (Documentation/portal.rst, "Watching from a
 * browser"). A person picks a title on the portal's page and plays it on
 * an appliance of their home; the portal then does the watch flow on the
 * appliance's behalf and the appliance, which waits on POST /v1/next,
 * receives it.
 *
 * Who may play on which appliance, in memory:
 *
 *   appliance   announced by the appliance itself (POST /v1/announce): its
 *               LAN address and ports, the address its request came from
 *               (its gateway's global address) and a 6-digit pairing code
 *               it shows its user; online while it keeps asking for work.
 *   browser     a random 128-bit token in an HttpOnly, SameSite=Strict
 *               cookie, made when the browser gives a pairing code from
 *               the address the appliance announced from; it lists the
 *               appliances it was paired with.
 *   play        one title started from a browser on an appliance: its
 *               session, state and result, readable by that browser only.
 *
 * A play needs all three: the cookie's browser paired with the appliance,
 * and the request coming from the address the appliance announced from. A
 * stranger elsewhere can neither pair (the code is only looked up among
 * the appliances behind the stranger's own address) nor use a stolen
 * cookie (wrong address). Wrong codes are limited per address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "portal.h"

#define PORTAL_CODE_TTL_MS	(10 * 60 * 1000)	/* a pairing code's life */
#define PORTAL_BROWSER_TTL_MS	(7ULL * 24 * 3600 * 1000)	/* unused browsers go */
#define PORTAL_PLAY_KEEP_MS	(60 * 60 * 1000)	/* an ended play stays readable */
#define PORTAL_FAILS_WINDOW_MS	60000
#define PORTAL_FAILS_MAX	10		/* wrong codes per address per window */

struct portal_appliance {
	struct portal_appliance *next;
	char id[RGM_API_ID_MAX + 1];
	struct in_addr src;		/* its gateway's global address */
	struct in_addr local_addr;
	uint16_t ports[RGM_PORTAL_PORTS_MAX];
	unsigned int n_ports;
	char code[RGM_PORTAL_CODE_LEN + 1];
	uint64_t code_until_ms;
	uint64_t seen_ms;		/* its last announce or next */
	struct json_object *pending;	/* {"play":..,"watch":..} for its next */
};

struct portal_browser {
	struct portal_browser *next;
	char token[PORTAL_TOKEN_LEN + 1];
	char apps[PORTAL_BROWSER_APPS_MAX][RGM_API_ID_MAX + 1];
	unsigned int n_apps;
	uint64_t used_ms;
};

enum portal_play_state { PORTAL_PLAY_STREAMING, PORTAL_PLAY_RECEIVING, PORTAL_PLAY_ENDED };

struct portal_play {
	struct portal_play *next;
	char id[PORTAL_PLAY_ID_LEN + 1];
	char token[PORTAL_TOKEN_LEN + 1];	/* the browser's */
	char appliance[RGM_API_ID_MAX + 1];
	char session[RGM_API_SESSION_MAX + 1];
	enum portal_play_state state;
	const char *end;		/* why it ended: "complete", "incomplete", ... */
	uint64_t lease_end_ms, ended_ms;
	struct json_object *watch;	/* the watch reply: title, ports, streams */
};

static const char *const portal_play_states[] = {
	[PORTAL_PLAY_STREAMING] = "streaming",
	[PORTAL_PLAY_RECEIVING] = "receiving",
	[PORTAL_PLAY_ENDED] = "ended",
};

static int portal_rand_hex(char *out, size_t n_bytes)
{
	uint8_t b[32];
	size_t i;

	if (n_bytes > sizeof(b) || getrandom(b, n_bytes, 0) != (ssize_t)n_bytes)
		return -1;
	for (i = 0; i < n_bytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

static int portal_rand_code(char *out)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		return -1;
	snprintf(out, RGM_PORTAL_CODE_LEN + 1, "%06u", v % 1000000);
	return 0;
}

static int portal_v_oom(struct portal_error *e)
{
	return portal_error_set(e, 500, "internal", "out of memory");
}

int portal_viewer_setup(struct portal_viewer *v)
{
	pthread_condattr_t ca;

	memset(v, 0, sizeof(*v));
	v->online_ms = 30000;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);
	return pthread_mutex_init(&v->lock, NULL) ? -1 : 0;
}

void portal_viewer_teardown(struct portal_viewer *v)
{
	struct portal_appliance *a;
	struct portal_browser *b;
	struct portal_play *pl;

	while ((a = v->apps)) {
		v->apps = a->next;
		json_object_put(a->pending);
		free(a);
	}
	while ((b = v->browsers)) {
		v->browsers = b->next;
		free(b);
	}
	while ((pl = v->plays)) {
		v->plays = pl->next;
		json_object_put(pl->watch);
		free(pl);
	}
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
}

/* Lookups and housekeeping: with v->lock held. */

static struct portal_appliance *portal_app_find(struct portal_viewer *v, const char *id)
{
	struct portal_appliance *a;

	for (a = v->apps; a; a = a->next)
		if (!strcmp(a->id, id))
			return a;
	return NULL;
}

static bool portal_app_online(const struct portal_viewer *v, const struct portal_appliance *a,
			      uint64_t now)
{
	return a->seen_ms + v->online_ms > now;
}

static struct portal_browser *portal_browser_find(struct portal_viewer *v, const char *token)
{
	struct portal_browser *b;

	if (!token)
		return NULL;
	for (b = v->browsers; b; b = b->next)
		if (strlen(token) == PORTAL_TOKEN_LEN && !strcmp(b->token, token))
			return b;
	return NULL;
}

static bool portal_browser_has(const struct portal_browser *b, const char *app)
{
	unsigned int i;

	for (i = 0; i < b->n_apps; i++)
		if (!strcmp(b->apps[i], app))
			return true;
	return false;
}

static struct portal_play *portal_play_find(struct portal_viewer *v, const char *id)
{
	struct portal_play *pl;

	for (pl = v->plays; pl; pl = pl->next)
		if (!strcmp(pl->id, id))
			return pl;
	return NULL;
}

/* Forgets what is old: browsers unused for a week, plays ended an hour
 * ago, appliances silent past their code's life. */
static void portal_viewer_prune(struct portal_viewer *v, uint64_t now)
{
	struct portal_appliance **pa, *a;
	struct portal_browser **pb, *b;
	struct portal_play **pp, *pl;

	for (pb = &v->browsers; (b = *pb);) {
		if (b->used_ms + PORTAL_BROWSER_TTL_MS < now) {
			*pb = b->next;
			v->n_browsers--;
			free(b);
		} else {
			pb = &b->next;
		}
	}
	for (pp = &v->plays; (pl = *pp);) {
		if (pl->state == PORTAL_PLAY_ENDED && pl->ended_ms + PORTAL_PLAY_KEEP_MS < now) {
			*pp = pl->next;
			v->n_plays--;
			json_object_put(pl->watch);
			free(pl);
		} else {
			pp = &pl->next;
		}
	}
	for (pa = &v->apps; (a = *pa);) {
		if (a->seen_ms + PORTAL_CODE_TTL_MS < now) {
			*pa = a->next;
			v->n_apps--;
			json_object_put(a->pending);
			free(a);
		} else {
			pa = &a->next;
		}
	}
}

/* The play's state as the browser reads it, the lease's end included. */
static void portal_play_tick(struct portal_play *pl, uint64_t now)
{
	if (pl->state != PORTAL_PLAY_ENDED && pl->lease_end_ms <= now) {
		pl->state = PORTAL_PLAY_ENDED;
		pl->end = "lease-ended";
		pl->ended_ms = now;
	}
}

static struct json_object *portal_play_json(struct portal_play *pl, uint64_t now)
{
	struct json_object *o = json_object_new_object(), *v;

	portal_play_tick(pl, now);
	json_object_object_add(o, "play", json_object_new_string(pl->id));
	json_object_object_add(o, "appliance", json_object_new_string(pl->appliance));
	json_object_object_add(o, "session", json_object_new_string(pl->session));
	json_object_object_add(o, "state", json_object_new_string(portal_play_states[pl->state]));
	json_object_object_add(o, "end", pl->end ? json_object_new_string(pl->end) : NULL);
	if (json_object_object_get_ex(pl->watch, "title", &v))
		json_object_object_add(o, "title", json_object_get(v));
	if (json_object_object_get_ex(pl->watch, "lease", &v))
		json_object_object_add(o, "lease", json_object_get(v));
	if (json_object_object_get_ex(pl->watch, "streams", &v))
		json_object_object_add(o, "streams", json_object_get(v));
	return o;
}

/* announce */

int portal_announce(struct portal *p, struct in_addr src, const struct rgm_portal_watch *w,
		    struct json_object **reply, struct portal_error *e)
{
	struct portal_viewer *v = &p->viewer;
	struct portal_appliance *a;
	uint64_t now = portal_mono_ms();
	struct json_object *o;

	*reply = NULL;
	if (w->gateway[0] || w->gateway_type[0]) {
		struct rgm_portal_register r = { 0 };
		struct json_object *ignored = NULL;

		snprintf(r.appliance, sizeof(r.appliance), "%s", w->appliance);
		snprintf(r.gateway, sizeof(r.gateway), "%s", w->gateway);
		snprintf(r.gateway_type, sizeof(r.gateway_type), "%s", w->gateway_type);
		if (portal_register(p, src, &r, &ignored, e))
			return -1;
		json_object_put(ignored);
	}
	pthread_mutex_lock(&v->lock);
	portal_viewer_prune(v, now);
	a = portal_app_find(v, w->appliance);
	if (!a) {
		if (v->n_apps >= PORTAL_APPLIANCES_MAX) {
			pthread_mutex_unlock(&v->lock);
			return portal_error_set(e, 503, "busy", "the portal knows %d appliances",
						PORTAL_APPLIANCES_MAX);
		}
		a = calloc(1, sizeof(*a));
		if (!a) {
			pthread_mutex_unlock(&v->lock);
			return portal_v_oom(e);
		}
		snprintf(a->id, sizeof(a->id), "%s", w->appliance);
		a->next = v->apps;
		v->apps = a;
		v->n_apps++;
	}
	/* a new code when it moved or its code is old; else the one it shows */
	if (a->src.s_addr != src.s_addr || a->code_until_ms <= now || !a->code[0]) {
		if (portal_rand_code(a->code)) {
			pthread_mutex_unlock(&v->lock);
			return portal_error_set(e, 500, "internal", "no random numbers");
		}
		a->code_until_ms = now + PORTAL_CODE_TTL_MS;
	}
	a->src = src;
	a->local_addr = w->local_addr;
	memcpy(a->ports, w->ports, sizeof(a->ports));
	a->n_ports = w->n_ports;
	a->seen_ms = now;
	o = json_object_new_object();
	json_object_object_add(o, "appliance", json_object_new_string(a->id));
	json_object_object_add(o, "pairing_code", json_object_new_string(a->code));
	json_object_object_add(o, "code_expires_in",
			       json_object_new_int64((a->code_until_ms - now) / 1000));
	json_object_object_add(o, "online_for", json_object_new_int64(v->online_ms / 1000));
	pthread_mutex_unlock(&v->lock);
	if (!o)
		return portal_v_oom(e);
	*reply = o;
	return 0;
}

/* next: waits up to n->wait s for a play on this appliance */

int portal_next(struct portal *p, struct in_addr src, const struct rgm_portal_next *n,
		struct json_object **reply, struct portal_error *e)
{
	struct portal_viewer *v = &p->viewer;
	struct portal_appliance *a;
	struct json_object *got = NULL;
	struct timespec until;
	struct portal_play *pl;
	uint64_t now;
	int ret = 0;

	*reply = NULL;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += n->wait;
	pthread_mutex_lock(&v->lock);
	for (;;) {
		now = portal_mono_ms();
		a = portal_app_find(v, n->appliance);
		if (!a) {
			ret = portal_error_set(e, 404, "unknown-appliance", "appliance %s has not "
					       "announced itself (POST /v1/announce)",
					       n->appliance);
			break;
		}
		if (a->src.s_addr != src.s_addr) {
			ret = portal_error_set(e, 403, "forbidden", "appliance %s announced itself "
					       "from another address", n->appliance);
			break;
		}
		a->seen_ms = now;
		if (a->pending) {
			got = a->pending;
			a->pending = NULL;
			pl = portal_play_find(v, json_object_get_string(
				json_object_object_get(got, "play")));
			if (pl && pl->state == PORTAL_PLAY_STREAMING)
				pl->state = PORTAL_PLAY_RECEIVING;
			break;
		}
		if (v->stop || pthread_cond_timedwait(&v->cond, &v->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&v->lock);
	if (ret)
		return ret;
	if (!got) {
		got = json_object_new_object();
		if (!got)
			return portal_v_oom(e);
		json_object_object_add(got, "play", NULL);
		json_object_object_add(got, "watch", NULL);
	}
	*reply = got;
	return 0;
}

/* pair */

/* Counts a wrong code from src; true when src is over its limit. */
static bool portal_pair_limited(struct portal_viewer *v, struct in_addr src, bool failed,
				uint64_t now)
{
	struct portal_pair_fails *f, *slot = NULL;
	unsigned int i;

	for (i = 0; i < PORTAL_FAILS_SLOTS; i++) {
		f = &v->fails[i];
		if (f->since_ms + PORTAL_FAILS_WINDOW_MS <= now)
			f->count = 0;
		if (f->count && f->src.s_addr == src.s_addr) {
			slot = f;
			break;
		}
		if (!f->count && !slot)
			slot = f;
	}
	if (!slot)	/* full: the oldest window makes room */
		slot = &v->fails[now % PORTAL_FAILS_SLOTS];
	if (slot->src.s_addr != src.s_addr || !slot->count) {
		slot->src = src;
		slot->count = 0;
		slot->since_ms = now;
	}
	if (failed)
		slot->count++;
	return slot->count >= PORTAL_FAILS_MAX;
}

int portal_pair(struct portal *p, struct in_addr src, const char *cookie,
		const struct rgm_portal_pair *req, struct json_object **reply, char *token_out,
		struct portal_error *e)
{
	struct portal_viewer *v = &p->viewer;
	struct portal_appliance *a;
	struct portal_browser *b;
	uint64_t now = portal_mono_ms();
	struct json_object *o, *arr;
	unsigned int i;

	*reply = NULL;
	pthread_mutex_lock(&v->lock);
	portal_viewer_prune(v, now);
	if (portal_pair_limited(v, src, false, now)) {
		pthread_mutex_unlock(&v->lock);
		return portal_error_set(e, 429, "too-many-attempts", "too many wrong codes from "
					"this address: wait a minute");
	}
	for (a = v->apps; a; a = a->next)
		if (a->src.s_addr == src.s_addr && a->code_until_ms > now &&
		    !strcmp(a->code, req->code))
			break;
	if (!a) {
		portal_pair_limited(v, src, true, now);
		pthread_mutex_unlock(&v->lock);
		return portal_error_set(e, 404, "unknown-code", "no appliance behind your gateway "
					"shows the code %s: check the code on its screen",
					req->code);
	}
	b = portal_browser_find(v, cookie);
	if (!b) {
		if (v->n_browsers >= PORTAL_BROWSERS_MAX) {
			pthread_mutex_unlock(&v->lock);
			return portal_error_set(e, 503, "busy", "the portal knows %d browsers",
						PORTAL_BROWSERS_MAX);
		}
		b = calloc(1, sizeof(*b));
		if (!b || portal_rand_hex(b->token, PORTAL_TOKEN_LEN / 2)) {
			free(b);
			pthread_mutex_unlock(&v->lock);
			return portal_v_oom(e);
		}
		b->next = v->browsers;
		v->browsers = b;
		v->n_browsers++;
	}
	b->used_ms = now;
	if (!portal_browser_has(b, a->id)) {
		if (b->n_apps == PORTAL_BROWSER_APPS_MAX) {	/* the oldest pairing goes */
			memmove(b->apps[0], b->apps[1], sizeof(b->apps[0]) * (b->n_apps - 1));
			b->n_apps--;
		}
		snprintf(b->apps[b->n_apps++], sizeof(b->apps[0]), "%s", a->id);
	}
	snprintf(token_out, PORTAL_TOKEN_LEN + 1, "%s", b->token);
	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < b->n_apps; i++)
		json_object_array_add(arr, json_object_new_string(b->apps[i]));
	json_object_object_add(o, "paired", json_object_new_string(a->id));
	json_object_object_add(o, "appliances", arr);
	pthread_mutex_unlock(&v->lock);
	portal_info("pair: a browser behind %s paired with %s", inet_ntoa(src), a->id);
	*reply = o;
	return 0;
}

int portal_viewer_apps(struct portal *p, struct in_addr src, const char *cookie,
		       struct portal_viewer_app *out, unsigned int max)
{
	struct portal_viewer *v = &p->viewer;
	struct portal_appliance *a;
	struct portal_browser *b;
	uint64_t now = portal_mono_ms();
	unsigned int i, n = 0;

	pthread_mutex_lock(&v->lock);
	b = portal_browser_find(v, cookie);
	for (i = 0; b && i < b->n_apps && n < max; i++) {
		a = portal_app_find(v, b->apps[i]);
		/* only the appliances of the gateway this browser is behind now */
		if (a && a->src.s_addr != src.s_addr)
			continue;
		snprintf(out[n].id, sizeof(out[n].id), "%s", b->apps[i]);
		out[n].online = a && portal_app_online(v, a, now);
		n++;
	}
	if (b)
		b->used_ms = now;
	pthread_mutex_unlock(&v->lock);
	return n;
}

/* play */

/* The appliance this browser may play on from src: 0 with *app a copy, or
 * -1 with e. With v->lock held. */
static int portal_play_allowed(struct portal_viewer *v, struct in_addr src, const char *cookie,
			       const char *appliance, struct portal_appliance *app,
			       struct portal_error *e)
{
	struct portal_browser *b = portal_browser_find(v, cookie);
	struct portal_appliance *a;
	uint64_t now = portal_mono_ms();

	if (!b)
		return portal_error_set(e, 401, "not-paired", "this browser is not paired with "
					"an appliance: enter the code your appliance shows");
	b->used_ms = now;
	if (!portal_browser_has(b, appliance))
		return portal_error_set(e, 403, "forbidden", "this browser is not paired with %s",
					appliance);
	a = portal_app_find(v, appliance);
	if (!a || !portal_app_online(v, a, now))
		return portal_error_set(e, 409, "appliance-offline", "%s is offline: it has not "
					"asked the portal for work in the last %u s", appliance,
					(unsigned int)(v->online_ms / 1000));
	if (a->src.s_addr != src.s_addr)
		return portal_error_set(e, 403, "forbidden", "%s is behind another gateway than "
					"this browser", appliance);
	if (a->pending)
		return portal_error_set(e, 409, "appliance-busy", "%s has not taken the last "
					"title yet", appliance);
	*app = *a;
	app->next = NULL;
	app->pending = NULL;
	return 0;
}

int portal_play(struct portal *p, struct in_addr src, const char *cookie,
		const struct rgm_portal_play *req, struct json_object **reply,
		struct portal_error *e)
{
	struct portal_viewer *v = &p->viewer;
	struct json_object *catalog, *title, *streams, *watch = NULL, *sess, *lease, *pend;
	struct rgm_portal_watch w = { 0 };
	struct portal_appliance app;
	struct portal_play *pl;
	uint64_t now;
	size_t n;
	int ret;

	*reply = NULL;
	pthread_mutex_lock(&v->lock);
	ret = portal_play_allowed(v, src, cookie, req->appliance, &app, e);
	pthread_mutex_unlock(&v->lock);
	if (ret)
		return -1;
	/* the title's streams: one of the appliance's ports each */
	if (portal_titles(p, &catalog, e))
		return -1;
	title = portal_title_find(catalog, req->title);
	if (!title) {
		json_object_put(catalog);
		return portal_error_set(e, 404, "unknown-title", "no title '%s' at the media "
					"server", req->title);
	}
	json_object_object_get_ex(title, "streams", &streams);
	n = json_object_array_length(streams);
	json_object_put(catalog);
	if (!n || n > app.n_ports)
		return portal_error_set(e, 422, "invalid", "'%s' has %zu streams; %s listens on "
					"%u ports", req->title, n, req->appliance, app.n_ports);
	snprintf(w.appliance, sizeof(w.appliance), "%s", req->appliance);
	snprintf(w.title, sizeof(w.title), "%s", req->title);
	w.local_addr = app.local_addr;
	memcpy(w.ports, app.ports, n * sizeof(w.ports[0]));
	w.n_ports = n;
	/* the gateway the appliance is behind: where it announced from */
	if (portal_watch(p, app.src, &w, &watch, e))
		return -1;

	pl = calloc(1, sizeof(*pl));
	pend = json_object_new_object();
	if (!pl || !pend || portal_rand_hex(pl->id + 2, 16))
		goto oom;
	memcpy(pl->id, "p-", 2);
	snprintf(pl->token, sizeof(pl->token), "%s", cookie);
	snprintf(pl->appliance, sizeof(pl->appliance), "%s", req->appliance);
	json_object_object_get_ex(watch, "session", &sess);
	snprintf(pl->session, sizeof(pl->session), "%s", json_object_get_string(sess));
	now = portal_mono_ms();
	json_object_object_get_ex(watch, "lease", &lease);
	pl->lease_end_ms = now + (uint64_t)json_object_get_int64(lease) * 1000;
	pl->state = PORTAL_PLAY_STREAMING;
	pl->watch = watch;
	json_object_object_add(pend, "play", json_object_new_string(pl->id));
	json_object_object_add(pend, "watch", json_object_get(watch));

	pthread_mutex_lock(&v->lock);
	portal_viewer_prune(v, now);
	if (v->n_plays >= PORTAL_PLAYS_MAX) {
		/* the oldest ended play makes room; if none has ended, refuse */
		struct portal_play **pp, **old = NULL;

		for (pp = &v->plays; *pp; pp = &(*pp)->next)
			if ((*pp)->state == PORTAL_PLAY_ENDED)
				old = pp;
		if (old) {
			struct portal_play *gone = *old;

			*old = gone->next;
			json_object_put(gone->watch);
			free(gone);
			v->n_plays--;
		}
	}
	pl->next = v->plays;
	v->plays = pl;
	v->n_plays++;
	{
		struct portal_appliance *a = portal_app_find(v, req->appliance);

		if (a) {
			json_object_put(a->pending);
			a->pending = pend;
			pend = NULL;
		}
	}
	*reply = portal_play_json(pl, now);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	json_object_put(pend);
	portal_info("play: %s on %s (browser), session %s, play %s", req->title, req->appliance,
		    pl->session, pl->id);
	return *reply ? 0 : portal_v_oom(e);
oom:
	/* the session is open: the appliance's lease ends it */
	free(pl);
	json_object_put(pend);
	json_object_put(watch);
	return portal_v_oom(e);
}

int portal_play_get(struct portal *p, const char *cookie, const char *id,
		    struct json_object **reply, struct portal_error *e)
{
	struct portal_viewer *v = &p->viewer;
	struct portal_play *pl;

	*reply = NULL;
	pthread_mutex_lock(&v->lock);
	pl = portal_play_find(v, id);
	if (!pl || !cookie || strcmp(pl->token, cookie)) {
		pthread_mutex_unlock(&v->lock);
		/* another browser's play is no more known than one that never was */
		return portal_error_set(e, 404, "unknown-play", "no play %.40s of this browser",
					id);
	}
	*reply = portal_play_json(pl, portal_mono_ms());
	pthread_mutex_unlock(&v->lock);
	return *reply ? 0 : portal_v_oom(e);
}

int portal_play_stop(struct portal *p, struct in_addr src, const char *cookie,
		     const struct rgm_portal_play_stop *req, struct json_object **reply,
		     struct portal_error *e)
{
	struct portal_viewer *v = &p->viewer;
	struct rgm_portal_stop st = { 0 };
	struct json_object *closed = NULL;
	struct portal_play *pl;
	bool running;

	*reply = NULL;
	pthread_mutex_lock(&v->lock);
	pl = portal_play_find(v, req->play);
	if (!pl || !cookie || strcmp(pl->token, cookie)) {
		pthread_mutex_unlock(&v->lock);
		return portal_error_set(e, 404, "unknown-play", "no play %s of this browser",
					req->play);
	}
	portal_play_tick(pl, portal_mono_ms());
	running = pl->state != PORTAL_PLAY_ENDED;
	snprintf(st.session, sizeof(st.session), "%s", pl->session);
	pthread_mutex_unlock(&v->lock);
	/* the session's own fence: only from the address it was opened for */
	if (running && portal_stop(p, src, &st, &closed, e) && e->status != 404)
		return -1;
	json_object_put(closed);
	pthread_mutex_lock(&v->lock);
	pl = portal_play_find(v, req->play);
	if (pl && pl->state != PORTAL_PLAY_ENDED) {
		pl->state = PORTAL_PLAY_ENDED;
		pl->end = "stopped";
		pl->ended_ms = portal_mono_ms();
	}
	*reply = pl ? portal_play_json(pl, portal_mono_ms()) : NULL;
	pthread_mutex_unlock(&v->lock);
	if (!*reply)
		return portal_error_set(e, 404, "unknown-play", "no play %s of this browser",
					req->play);
	return 0;
}

void portal_viewer_session_ended(struct portal *p, const char *session, bool has_complete,
				 bool complete)
{
	struct portal_viewer *v = &p->viewer;
	struct portal_play *pl;

	pthread_mutex_lock(&v->lock);
	for (pl = v->plays; pl; pl = pl->next) {
		if (strcmp(pl->session, session) || pl->state == PORTAL_PLAY_ENDED)
			continue;
		pl->state = PORTAL_PLAY_ENDED;
		pl->end = !has_complete ? "stopped" : complete ? "complete" : "incomplete";
		pl->ended_ms = portal_mono_ms();
	}
	pthread_mutex_unlock(&v->lock);
}

void portal_viewer_stop(struct portal *p)
{
	pthread_mutex_lock(&p->viewer.lock);
	p->viewer.stop = true;
	pthread_cond_broadcast(&p->viewer.cond);
	pthread_mutex_unlock(&p->viewer.lock);
}
