// SPDX-License-Identifier: GPL-2.0
/*
 * What an appliance asks the portal (Documentation/portal.rst, "The watch
 * flow"): register, watch a title, stop. The address its request came from
 * is its gateway's global address as seen from here; the confserver gets
 * it as gateway_addr. A watch leaves either everything set up (media
 * stream started, gateway session active, session remembered) or nothing:
 * every step undoes the ones before it when it fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "portal.h"

#define PORTAL_MEDIA_STREAMS_MAX	RGM_PORTAL_PORTS_MAX

/* JSON building: a NULL anywhere (out of memory) makes the result NULL. */
static int portal_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!o || !v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int portal_push(struct json_object *a, struct json_object *v)
{
	if (!a || !v || json_object_array_add(a, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static struct json_object *portal_addr_new(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, s, sizeof(s)) ? json_object_new_string(s) : NULL;
}

static int portal_oom(struct portal_error *e)
{
	return portal_error_set(e, 500, "internal", "out of memory");
}

/* A reply from an upstream that is not what the contract says. */
static int portal_bad_reply(const struct portal_up *up, const struct rgm_json_error *je,
			    struct portal_error *e)
{
	char code[PORTAL_CODE_MAX];

	snprintf(code, sizeof(code), "%s-bad-reply", up->name);
	return portal_error_set(e, 502, code, "the %s's reply: %s", up->what, je->msg);
}

/* Register */

static int portal_register_at(struct portal *p, struct in_addr src, const char *appliance,
			      const char *gateway, const char *type, struct json_object **reply,
			      struct portal_error *e)
{
	struct json_object *req = json_object_new_object();
	int ret;

	if (portal_add(req, "appliance", json_object_new_string(appliance)) ||
	    (gateway[0] && portal_add(req, "gateway", json_object_new_string(gateway))) ||
	    (type[0] && portal_add(req, "gateway_type", json_object_new_string(type))) ||
	    portal_add(req, "gateway_addr", portal_addr_new(src))) {
		json_object_put(req);
		return portal_oom(e);
	}
	ret = portal_up_call(&p->conf, "POST", "/v1/appliances", req, reply, e);
	json_object_put(req);
	return ret;
}

int portal_register(struct portal *p, struct in_addr src, const struct rgm_portal_register *r,
		    struct json_object **reply, struct portal_error *e)
{
	return portal_register_at(p, src, r->appliance, r->gateway, r->gateway_type, reply, e);
}

/* Titles */

struct json_object *portal_title_find(struct json_object *catalog, const char *id)
{
	struct json_object *titles, *t, *v;
	size_t i, n;

	if (!json_object_object_get_ex(catalog, "titles", &titles))
		return NULL;
	n = json_object_array_length(titles);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(titles, i);
		if (json_object_object_get_ex(t, "id", &v) &&
		    !strcmp(json_object_get_string(v), id))
			return t;
	}
	return NULL;
}

/* What the pages and the watch flow rely on: ids are identifiers (they go
 * into URLs), names strings, durations and stream lists there. */
static int portal_titles_check(struct json_object *catalog, struct rgm_json_error *je)
{
	struct json_object *titles, *t, *streams;
	char path[48], id[RGM_API_ID_MAX + 1];
	const char *s;
	uint32_t u;
	size_t i, n;

	if (rgm_json_get(catalog, "titles", "titles", true, json_type_array, "an array",
			 &titles, je) < 0)
		return -1;
	n = json_object_array_length(titles);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(titles, i);
		snprintf(path, sizeof(path), "titles[%zu]", i);
		if (!json_object_is_type(t, json_type_object))
			return rgm_json_err(je, 400, "'%s' must be an object", path);
		snprintf(path, sizeof(path), "titles[%zu].id", i);
		if (rgm_json_get_checked(t, "id", path, true, rgm_api_id_valid, "an identifier",
					 id, sizeof(id), je) < 0)
			return -1;
		snprintf(path, sizeof(path), "titles[%zu].name", i);
		if (rgm_json_get_string(t, "name", path, false, &s, je) < 0)
			return -1;
		snprintf(path, sizeof(path), "titles[%zu].duration_ms", i);
		if (rgm_json_get_uint(t, "duration_ms", path, true, 1,
				      RGM_API_LEASE_MAX * 1000U, &u, je) < 0)
			return -1;
		snprintf(path, sizeof(path), "titles[%zu].streams", i);
		if (rgm_json_get(t, "streams", path, true, json_type_array, "an array", &streams,
				 je) < 0)
			return -1;
	}
	return 0;
}

int portal_titles(struct portal *p, struct json_object **reply, struct portal_error *e)
{
	struct rgm_json_error je;

	if (portal_up_call(&p->media, "GET", "/v1/titles", NULL, reply, e))
		return -1;
	if (portal_titles_check(*reply, &je)) {
		json_object_put(*reply);
		*reply = NULL;
		return portal_bad_reply(&p->media, &je, e);
	}
	return 0;
}

/* Watch */

struct portal_media_stream {
	char kind[32];
	uint16_t server_port;
	struct json_object *info;	/* the media server's entry, for our reply */
};

/* POST /v1/streams: the media server binds its sockets for the title. */
struct portal_prepared {
	struct json_object *reply;
	char stream[PORTAL_STREAM_ID_MAX + 1];
	struct in_addr server_addr;
	struct portal_media_stream st[PORTAL_MEDIA_STREAMS_MAX];
	unsigned int n;
};

static int portal_prepared_check(struct portal_prepared *m, unsigned int want,
				 struct rgm_json_error *je)
{
	struct json_object *a, *s;
	char path[48];
	const char *kind;
	uint32_t u;
	size_t i, n;

	if (rgm_json_get_checked(m->reply, "stream", "stream", true, rgm_api_id_valid,
				 "an identifier", m->stream, sizeof(m->stream), je) < 0 ||
	    rgm_json_get_addr(m->reply, "server_addr", "server_addr", true, &m->server_addr,
			      je) < 0 ||
	    rgm_json_get(m->reply, "streams", "streams", true, json_type_array, "an array", &a,
			 je) < 0)
		return -1;
	n = json_object_array_length(a);
	if (n != want)
		return rgm_json_err(je, 422, "'streams' has %zu entries, the title %u", n, want);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_object))
			return rgm_json_err(je, 400, "'streams[%zu]' must be an object", i);
#define P(f) (snprintf(path, sizeof(path), "streams[%zu].%s", i, f), path)
		if (rgm_json_get_string(s, "kind", P("kind"), true, &kind, je) < 0 ||
		    rgm_json_get_uint(s, "server_port", P("server_port"), true, 1,
				      RGM_PORTAL_PORT_MAX, &u, je) < 0)
			return -1;
#undef P
		snprintf(m->st[i].kind, sizeof(m->st[i].kind), "%s", kind);
		m->st[i].server_port = u;
		m->st[i].info = s;
	}
	m->n = n;
	return 0;
}

static int portal_prepare(struct portal *p, const char *title, unsigned int n_streams,
			  struct portal_prepared *m, struct portal_error *e)
{
	struct json_object *req = json_object_new_object();
	struct rgm_json_error je;
	char stream[PORTAL_STREAM_ID_MAX + 1];
	struct json_object *v;
	int ret;

	if (portal_add(req, "title", json_object_new_string(title))) {
		json_object_put(req);
		return portal_oom(e);
	}
	ret = portal_up_call(&p->media, "POST", "/v1/streams", req, &m->reply, e);
	json_object_put(req);
	if (ret)
		return -1;
	if (!portal_prepared_check(m, n_streams, &je))
		return 0;
	/* stop what it prepared if we can name it at all */
	if (json_object_object_get_ex(m->reply, "stream", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    rgm_api_id_valid(json_object_get_string(v))) {
		struct portal_error ignored;

		snprintf(stream, sizeof(stream), "%s", json_object_get_string(v));
		portal_media_stop(&p->media, stream, &ignored);
	}
	return portal_bad_reply(&p->media, &je, e);
}

/* The confserver's session, active: where the gateway listens. */
struct portal_configured {
	struct json_object *reply;
	char session[RGM_API_SESSION_MAX + 1];
	struct in_addr global_addr;
	uint16_t global_port[PORTAL_MEDIA_STREAMS_MAX];
	/* appliance-mediated: pending, with what the appliance must do */
	struct json_object *instructions;
};

static int portal_configured_check(struct portal_configured *c, const struct rgm_portal_watch *w,
				   struct rgm_json_error *je)
{
	struct json_object *a, *s;
	struct in_addr ga;
	const char *state;
	char path[48];
	uint32_t u;
	size_t i, n;

	if (rgm_json_get_checked(c->reply, "session", "session", true, rgm_api_session_valid,
				 "a session id", c->session, sizeof(c->session), je) < 0 ||
	    rgm_json_get_string(c->reply, "state", "state", true, &state, je) < 0)
		return -1;
	/* a gateway the appliance programs itself: no ports yet */
	if (!strcmp(state, "pending") &&
	    json_object_object_get_ex(c->reply, "appliance_instructions", &c->instructions) &&
	    json_object_is_type(c->instructions, json_type_object))
		return 0;
	c->instructions = NULL;
	if (strcmp(state, "active"))
		return rgm_json_err(je, 422, "session %s is %s, not active", c->session, state);
	if (rgm_json_get(c->reply, "streams", "streams", true, json_type_array, "an array", &a,
			 je) < 0)
		return -1;
	n = json_object_array_length(a);
	if (n != w->n_ports)
		return rgm_json_err(je, 422, "'streams' has %zu entries, we asked for %u", n,
				    w->n_ports);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_object))
			return rgm_json_err(je, 400, "'streams[%zu]' must be an object", i);
#define P(f) (snprintf(path, sizeof(path), "streams[%zu].%s", i, f), path)
		if (rgm_json_get_uint(s, "local_port", P("local_port"), true, 1, 65535, &u,
				      je) < 0)
			return -1;
		if (u != w->ports[i])
			return rgm_json_err(je, 422, "'%s' is %u, we asked for %u", path, u,
					    w->ports[i]);
		if (rgm_json_get_addr(s, "global_addr", P("global_addr"), true, &ga, je) < 0 ||
		    rgm_json_get_uint(s, "global_port", P("global_port"), true, 1,
				      RGM_PORTAL_PORT_MAX, &u, je) < 0)
			return -1;
		/* one gateway, one global address: the media server sends to one */
		if (i && ga.s_addr != c->global_addr.s_addr)
			return rgm_json_err(je, 422, "'%s' differs from streams[0]'s",
					    P("global_addr"));
#undef P
		c->global_addr = ga;
		c->global_port[i] = u;
	}
	return 0;
}

static int portal_close(struct portal *p, const char *session, struct json_object **reply,
			struct portal_error *e)
{
	struct json_object *req = json_object_new_object();
	int ret;

	if (portal_add(req, "session", json_object_new_string(session))) {
		json_object_put(req);
		return portal_oom(e);
	}
	ret = portal_up_call(&p->conf, "POST", "/v1/sessions/close", req, reply, e);
	json_object_put(req);
	return ret;
}

static int portal_configure(struct portal *p, struct in_addr src, const struct rgm_portal_watch *w,
			    uint32_t lease, const struct portal_prepared *m,
			    struct portal_configured *c, struct portal_error *e)
{
	struct json_object *req = json_object_new_object(), *streams = json_object_new_array();
	struct json_object *s, *ignored = NULL;
	struct rgm_json_error je;
	struct portal_error e2;
	unsigned int i;
	int ret;

	if (portal_add(req, "appliance", json_object_new_string(w->appliance)) ||
	    portal_add(req, "gateway_addr", portal_addr_new(src)) ||
	    portal_add(req, "local_addr", portal_addr_new(w->local_addr)) ||
	    portal_add(req, "lease", json_object_new_int64(lease)))
		goto oom;
	for (i = 0; i < m->n; i++) {
		s = json_object_new_object();
		if (portal_add(s, "type", json_object_new_string("rtp")) ||
		    portal_add(s, "rtcp", json_object_new_boolean(true)) ||
		    portal_add(s, "local_port", json_object_new_int(w->ports[i])) ||
		    portal_add(s, "server_addr", portal_addr_new(m->server_addr)) ||
		    portal_add(s, "server_port", json_object_new_int(m->st[i].server_port))) {
			json_object_put(s);
			goto oom;
		}
		if (portal_push(streams, s))
			goto oom;
	}
	ret = portal_add(req, "streams", streams);
	streams = NULL;
	if (ret)
		goto oom;
	ret = portal_up_call(&p->conf, "POST", "/v1/sessions", req, &c->reply, e);
	json_object_put(req);
	if (ret)
		return -1;
	if (!portal_configured_check(c, w, &je))
		return 0;
	/* not what we asked for: do not leave it open */
	if (rgm_api_session_valid(c->session) && !portal_close(p, c->session, &ignored, &e2))
		json_object_put(ignored);
	json_object_put(c->reply);
	c->reply = NULL;
	return portal_bad_reply(&p->conf, &je, e);
oom:
	json_object_put(streams);
	json_object_put(req);
	return portal_oom(e);
}

static int portal_start(struct portal *p, const struct portal_prepared *m,
			const struct portal_configured *c, uint32_t lease, struct portal_error *e)
{
	struct json_object *req = json_object_new_object(), *ports = json_object_new_array();
	struct json_object *reply = NULL;
	char path[128];
	unsigned int i;
	int ret;

	for (i = 0; i < m->n; i++)
		if (portal_push(ports, json_object_new_int(c->global_port[i])))
			goto oom;
	if (portal_add(req, "dest_addr", portal_addr_new(c->global_addr)))
		goto oom;
	ret = portal_add(req, "ports", ports);
	ports = NULL;
	/* the media server stops at the lease's end even if we are gone */
	if (ret || portal_add(req, "duration_ms", json_object_new_int64((int64_t)lease * 1000)))
		goto oom;
	snprintf(path, sizeof(path), "/v1/streams/%s/start", m->stream);
	ret = portal_up_call(&p->media, "POST", path, req, &reply, e);
	json_object_put(req);
	json_object_put(reply);
	return ret;
oom:
	json_object_put(ports);
	json_object_put(req);
	return portal_oom(e);
}

/* 201 {"session","title","lease","server_addr","streams":[...]} */
static struct json_object *portal_watch_reply(const struct rgm_portal_watch *w, uint32_t lease,
					      const struct portal_prepared *m,
					      const struct portal_configured *c)
{
	static const char *const copied[] = { "payload_type", "bytes", "packets", "sha256" };
	struct json_object *o = json_object_new_object(), *a = json_object_new_array(), *s, *v;
	unsigned int i, k;

	if (portal_add(o, "session", json_object_new_string(c->session)) ||
	    (c->instructions &&
	     (portal_add(o, "state", json_object_new_string("pending")) ||
	      portal_add(o, "appliance_instructions", json_object_get(c->instructions)))) ||
	    portal_add(o, "title", json_object_new_string(w->title)) ||
	    portal_add(o, "lease", json_object_new_int64(lease)) ||
	    portal_add(o, "server_addr", portal_addr_new(m->server_addr)))
		goto oom;
	for (i = 0; i < m->n; i++) {
		s = json_object_new_object();
		if (portal_push(a, s) ||
		    portal_add(s, "kind", json_object_new_string(m->st[i].kind)) ||
		    portal_add(s, "local_port", json_object_new_int(w->ports[i])) ||
		    portal_add(s, "rtcp_port", json_object_new_int(w->ports[i] + 1)) ||
		    (!c->instructions &&
		     (portal_add(s, "global_addr", portal_addr_new(c->global_addr)) ||
		      portal_add(s, "global_port", json_object_new_int(c->global_port[i])))))
			goto oom;
		/* what the appliance checks the received stream against */
		for (k = 0; k < sizeof(copied) / sizeof(copied[0]); k++)
			if (json_object_object_get_ex(m->st[i].info, copied[k], &v) &&
			    portal_add(s, copied[k], json_object_get(v)))
				goto oom;
	}
	if (portal_add(o, "streams", a))
		return NULL;
	return o;
oom:
	json_object_put(a);
	json_object_put(o);
	return NULL;
}

int portal_watch(struct portal *p, struct in_addr src, const struct rgm_portal_watch *w,
		 struct json_object **reply, struct portal_error *e)
{
	struct json_object *catalog = NULL, *title, *streams, *dur, *ignored = NULL;
	struct portal_configured c = { 0 };
	struct portal_prepared m = { 0 };
	struct portal_session ps = { 0 };
	char gw[INET_ADDRSTRLEN];
	struct portal_error e2;
	uint64_t lease;
	size_t n;
	int ret = -1;

	*reply = NULL;
	if (portal_sessions_full(&p->sessions))
		return portal_error_set(e, 503, "busy", "the portal has %d sessions open",
					PORTAL_SESSIONS_MAX);
	/* 1. the appliance's binding, when it names its gateway */
	if (w->gateway[0] || w->gateway_type[0]) {
		if (portal_register_at(p, src, w->appliance, w->gateway, w->gateway_type,
				       &ignored, e))
			return -1;
		json_object_put(ignored);
	}
	/* 2. the title: its streams and duration */
	if (portal_titles(p, &catalog, e))
		return -1;
	title = portal_title_find(catalog, w->title);
	if (!title) {
		portal_error_set(e, 404, "unknown-title", "no title '%s' at the media server",
				 w->title);
		goto out;
	}
	json_object_object_get_ex(title, "streams", &streams);
	json_object_object_get_ex(title, "duration_ms", &dur);
	n = json_object_array_length(streams);
	if (n != w->n_ports || n > PORTAL_MEDIA_STREAMS_MAX) {
		portal_error_set(e, 422, "invalid", "title '%s' has %zu streams: 'ports' must "
				 "have one each, not %u", w->title, n, w->n_ports);
		goto out;
	}
	lease = w->lease ? w->lease :
		(json_object_get_int64(dur) + 999) / 1000 + p->lease_margin;
	if (lease > RGM_API_LEASE_MAX)
		lease = RGM_API_LEASE_MAX;
	/* 3. the media server binds its sockets */
	if (portal_prepare(p, w->title, n, &m, e))
		goto out;
	/* 4. the gateway maps its global ports to the appliance */
	if (portal_configure(p, src, w, lease, &m, &c, e))
		goto err_media;
	/* 5. the media server sends to the gateway's global ports (once the
	 * appliance reported them, when it programs its gateway itself) */
	if (!c.instructions && portal_start(p, &m, &c, lease, e))
		goto err_session;
	*reply = portal_watch_reply(w, lease, &m, &c);
	snprintf(ps.id, sizeof(ps.id), "%s", c.session);
	snprintf(ps.stream, sizeof(ps.stream), "%s", m.stream);
	snprintf(ps.appliance, sizeof(ps.appliance), "%s", w->appliance);
	ps.src = src;
	ps.expires_ms = portal_mono_ms() + lease * 1000;
	ps.pending = c.instructions != NULL;
	ps.n_streams = m.n;
	if (!*reply || portal_sessions_add(&p->sessions, &ps)) {
		json_object_put(*reply);
		*reply = NULL;
		portal_oom(e);
		goto err_session;
	}
	inet_ntop(AF_INET, &src, gw, sizeof(gw));
	portal_info("watch: %s (gateway %s) session %s, title %s, media stream %s, lease %u s%s",
		    w->appliance, gw, c.session, w->title, m.stream,
		    (unsigned int)lease, ps.pending ? ", waiting for the appliance's report" : "");
	ret = 0;
	goto out;

err_session:
	if (portal_close(p, c.session, &ignored, &e2))
		portal_err("session %s: could not close it after a failed watch: %s", c.session,
			   e2.msg);
	json_object_put(ignored);
err_media:
	if (portal_media_stop(&p->media, m.stream, &e2))
		portal_err("media stream %s: could not stop it after a failed watch: %s",
			   m.stream, e2.msg);
out:
	json_object_put(c.reply);
	json_object_put(m.reply);
	json_object_put(catalog);
	return ret;
}

/* Stop */

int portal_stop(struct portal *p, struct in_addr src, const struct rgm_portal_stop *s,
		struct json_object **reply, struct portal_error *e)
{
	struct portal_session ps;
	struct portal_error e2;
	int ret;

	*reply = NULL;
	ret = portal_sessions_take(&p->sessions, s->session, src, &ps);
	if (ret == -ENOENT)
		return portal_error_set(e, 404, "unknown-session",
					"no session %s open through this portal", s->session);
	if (ret == -EPERM)
		return portal_error_set(e, 403, "forbidden", "session %s was opened from "
					"another address", s->session);
	if (portal_media_stop(&p->media, ps.stream, &e2))
		/* finished or dropped already; the session is what matters */
		portal_info("media stream %s: %s", ps.stream, e2.msg);
	if (portal_close(p, ps.id, reply, e)) {
		/* keep it: a retry may close it, else the lease ends it */
		portal_sessions_add(&p->sessions, &ps);
		return -1;
	}
	portal_viewer_session_ended(p, ps.id, s->has_complete, s->complete);
	portal_info("stop: session %s of %s closed, media stream %s stopped%s", ps.id,
		    ps.appliance, ps.stream, !s->has_complete ? "" :
		    s->complete ? " (received complete)" : " (received incomplete)");
	return 0;
}

/* Report */

static int portal_report_up(struct portal *p, struct in_addr src,
			    const struct rgm_portal_report *r, struct json_object **reply,
			    struct portal_error *e)
{
	struct json_object *req = json_object_new_object(), *a, *er;
	unsigned int i;
	int ret;

	if (portal_add(req, "session", json_object_new_string(r->session)) ||
	    portal_add(req, "grant", json_object_new_string(r->grant)) ||
	    portal_add(req, "gateway_addr", portal_addr_new(src)) ||
	    (r->has_global_addr && portal_add(req, "global_addr", portal_addr_new(r->global_addr))))
		goto oom;
	if (r->error_code[0]) {
		er = json_object_new_object();
		if (portal_add(er, "code", json_object_new_string(r->error_code)) ||
		    portal_add(er, "message", json_object_new_string(r->error_msg)) ||
		    portal_add(req, "error", er))
			goto oom;
	} else {
		a = json_object_new_array();
		for (i = 0; i < r->n_ports; i++)
			if (portal_push(a, json_object_new_int(r->ports[i])))
				goto oom_a;
		if (portal_add(req, "ports", a))
			goto oom;
	}
	ret = portal_up_call(&p->conf, "POST", "/v1/sessions/report", req, reply, e);
	json_object_put(req);
	return ret;
oom_a:
	json_object_put(a);
oom:
	json_object_put(req);
	return portal_oom(e);
}

int portal_report(struct portal *p, struct in_addr src, const struct rgm_portal_report *r,
		  struct json_object **reply, struct portal_error *e)
{
	struct portal_configured c = { 0 };
	struct portal_prepared m = { 0 };
	struct json_object *ignored = NULL, *a, *s;
	struct portal_session ps;
	struct portal_error e2;
	uint64_t now = portal_mono_ms();
	uint32_t lease;
	unsigned int i;
	int ret;

	*reply = NULL;
	ret = portal_sessions_take(&p->sessions, r->session, src, &ps);
	if (ret == -ENOENT)
		return portal_error_set(e, 404, "unknown-session",
					"no session %s open through this portal", r->session);
	if (ret == -EPERM)
		return portal_error_set(e, 403, "forbidden", "session %s was opened from "
					"another address", r->session);
	if (!ps.pending) {
		portal_sessions_add(&p->sessions, &ps);
		return portal_error_set(e, 409, "conflict", "session %s is active already",
					r->session);
	}
	if (!r->error_code[0] && r->n_ports != ps.n_streams) {
		portal_sessions_add(&p->sessions, &ps);
		return portal_error_set(e, 422, "invalid", "'ports' has %u entries, the title %u",
					r->n_ports, ps.n_streams);
	}
	if (portal_report_up(p, src, r, &c.reply, e)) {
		/* a grant the confserver did not believe changed nothing there */
		if (!strcmp(e->code, "grant-refused")) {
			portal_sessions_add(&p->sessions, &ps);
			return -1;
		}
		goto err_media;
	}
	if (r->error_code[0]) {
		/* the confserver always refuses a report of an error */
		portal_error_set(e, 502, "confserver-bad-reply", "the configuration server "
				 "accepted a report of an error");
		goto err_media;
	}
	/* the media goes where the appliance's requests come from */
	lease = ps.expires_ms > now ? (uint32_t)((ps.expires_ms - now + 999) / 1000) : 1;
	snprintf(m.stream, sizeof(m.stream), "%s", ps.stream);
	m.n = ps.n_streams;
	c.global_addr = src;
	for (i = 0; i < ps.n_streams; i++)
		c.global_port[i] = r->ports[i];
	if (portal_start(p, &m, &c, lease, e))
		goto err_session;
	ps.pending = false;
	if (portal_sessions_add(&p->sessions, &ps)) {
		portal_oom(e);
		goto err_session;
	}
	*reply = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < ps.n_streams; i++) {
		s = json_object_new_object();
		if (portal_push(a, s) ||
		    portal_add(s, "global_addr", portal_addr_new(src)) ||
		    portal_add(s, "global_port", json_object_new_int(r->ports[i])))
			break;
	}
	if (portal_add(*reply, "session", json_object_new_string(ps.id)) ||
	    portal_add(*reply, "state", json_object_new_string("active")) ||
	    portal_add(*reply, "lease", json_object_new_int64(lease)) ||
	    portal_add(*reply, "streams", a)) {
		json_object_put(*reply);
		*reply = NULL;
		portal_oom(e);
		json_object_put(c.reply);
		return -1;
	}
	portal_info("report: session %s of %s active, media stream %s started", ps.id,
		    ps.appliance, ps.stream);
	json_object_put(c.reply);
	return 0;

err_session:
	if (portal_close(p, ps.id, &ignored, &e2))
		portal_err("session %s: could not close it after a failed report: %s", ps.id,
			   e2.msg);
	json_object_put(ignored);
err_media:
	if (portal_media_stop(&p->media, ps.stream, &e2))
		portal_err("media stream %s: could not stop it after a failed report: %s",
			   ps.stream, e2.msg);
	portal_info("report: session %s of %s: %s %s", ps.id, ps.appliance, e->code, e->msg);
	json_object_put(c.reply);
	return -1;
}
