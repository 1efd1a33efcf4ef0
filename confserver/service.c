// SPDX-License-Identifier: GPL-2.0
/*
 * What the portal API's requests do: the database, the gateway drivers and
 * the audit log, independent of HTTP (http.c turns a cs_result into a
 * response).
 *
 * Concurrency: every HTTP connection has its own thread (http.c), so calls
 * here run in parallel. The one SQLite connection is shared and every
 * rgm_db/rgm_audit call runs under s->lock (each is one transaction); the
 * lock is never held while a driver talks to a gateway, so a slow gateway
 * holds up only the requests that wait for it.
 *
 * A configure writes the session before the gateway is contacted
 * (pending), then records the outcome (active with the ports, or failed):
 * a crash in between leaves a pending session, which the next start marks
 * failed (whatever the gateway installed ends with its lease).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "confserver.h"
#include "rgm_audit.h"
#include "rgm_db.h"

#define CS_SWEEP_INTERVAL_S	2	/* how late an expired lease is marked closed, at most */
#define CS_PROBE_INTERVAL_S	5	/* gateways with active sessions are checked this often */
#define CS_DRIVERS_MAX		16
#define CS_RESTORE_MAX		64	/* gateways waiting for their sessions to be restored */
#define CS_RESTORE_ACTOR	"confserver:restore"

struct cs_service {
	const struct cs_conf *conf;
	struct rgm_db *db;
	pthread_mutex_t lock;		/* the database */
	struct cs_driver_env env;
	void *states[CS_DRIVERS_MAX];	/* per cs_drivers[] entry */
	bool set_up[CS_DRIVERS_MAX];
	pthread_t sweeper, keeper;
	bool sweeper_started, keeper_started;
	pthread_mutex_t sweep_lock;	/* the rest */
	pthread_cond_t sweep_cond;
	bool stopping;
	/* gateways whose epoch changed, for the keeper to restore */
	char restore[CS_RESTORE_MAX][RGM_API_ID_MAX + 1];
	unsigned int n_restore;
};

/* One request's call into a driver. */
struct cs_svc_call {
	struct cs_call call;
	struct cs_service *s;
};

void cs_result_error(struct cs_result *r, unsigned int status, const char *code,
		     const char *fmt, ...)
{
	va_list ap;

	if (r->body) {
		json_object_put(r->body);
		r->body = NULL;
	}
	r->status = status;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

/* A driver call's failure, with the gateway's error code when it sent one. */
static void cs_result_call(struct cs_result *r, const struct cs_error *e)
{
	cs_result_error(r, cs_fail_status(e->fail), cs_fail_code(e->fail), "%s%s%s%s",
			e->msg[0] ? e->msg : "the gateway driver failed",
			e->gw_code[0] ? " (" : "", e->gw_code, e->gw_code[0] ? ")" : "");
}

static void cs_result_ok(struct cs_result *r, unsigned int status, struct json_object *body)
{
	if (!body) {
		cs_result_error(r, 500, "internal", "out of memory");
		return;
	}
	r->status = status;
	r->code = NULL;
	r->msg[0] = '\0';
	r->body = body;
}

/* A database error as the portal sees it; notfound is the 404 code. */
static void cs_result_db(struct cs_result *r, int ret, const char *notfound, const char *msg)
{
	switch (ret) {
	case -ENOENT:
		cs_result_error(r, 404, notfound, "%s", msg);
		break;
	case -EINVAL:
		cs_result_error(r, 422, "invalid", "%s", msg);
		break;
	case -EEXIST:
	case -ENOTUNIQ:
	case -EBUSY:
		cs_result_error(r, 409, "conflict", "%s", msg);
		break;
	default:
		cs_log(CS_LOG_ERR, "database: %s", msg);
		cs_result_error(r, 500, "internal", "database error: %s", msg);
	}
}

static int64_t cs_now(void)
{
	return time(NULL);
}

static void cs_lock(struct cs_service *s)
{
	pthread_mutex_lock(&s->lock);
}

static void cs_unlock(struct cs_service *s)
{
	pthread_mutex_unlock(&s->lock);
}

static void cs_add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static char *cs_json_text(struct json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	return t ? strdup(t) : NULL;
}

/* Appends one entry; a failure is logged (the request's outcome stands). */
static void cs_audit_locked(struct cs_service *s, const char *actor, const char *gateway,
			    const char *command, const char *result)
{
	char msg[256];

	if (rgm_audit_append(s->db, cs_now(), actor, gateway, command, result, NULL, msg,
			     sizeof(msg)))
		cs_log(CS_LOG_ERR, "audit: cannot append (%s, %s): %s", actor,
		       gateway ? gateway : "-", msg);
}

static void cs_audit(struct cs_service *s, const char *actor, const char *gateway,
		     struct json_object *command, struct json_object *result)
{
	char *c = cs_json_text(command), *res = cs_json_text(result);

	if (c && res) {
		cs_lock(s);
		cs_audit_locked(s, actor, gateway, c, res);
		cs_unlock(s);
	} else {
		cs_log(CS_LOG_ERR, "audit: out of memory");
	}
	free(c);
	free(res);
}

/* The driver's hook: one entry per command sent to a gateway. */
static void cs_call_audit(struct cs_call *call, const char *gateway, const char *command,
			  const char *result)
{
	struct cs_svc_call *sc = (void *)((char *)call - offsetof(struct cs_svc_call, call));

	cs_lock(sc->s);
	cs_audit_locked(sc->s, call->actor, gateway, command, result);
	cs_unlock(sc->s);
}

static void cs_call_init(struct cs_svc_call *sc, struct cs_service *s, const char *actor)
{
	memset(sc, 0, sizeof(*sc));
	sc->s = s;
	sc->call.deadline_ms = cs_now_ms() + (int64_t)s->conf->request_timeout * 1000;
	sc->call.actor = actor;
	sc->call.audit = cs_call_audit;
	sc->call.priv = s;
	/* a driver failing without cs_fail() answers 500, never 200 */
	sc->call.err.fail = CS_FAIL_INTERNAL;
}

static int cs_driver_index(const struct cs_driver *d)
{
	int i;

	for (i = 0; cs_drivers[i] && i < CS_DRIVERS_MAX; i++)
		if (cs_drivers[i] == d)
			return i;
	return -1;
}

/* A gateway's record, driver and strategy; 0 or -1 with r set. */
static int cs_gateway_resolve(struct cs_service *s, const char *id, struct cs_gateway *gw,
			      const struct cs_driver **drv, void **state, struct cs_result *r)
{
	struct cs_gw_type t;
	char msg[256];
	int ret, i;

	cs_lock(s);
	ret = rgm_db_gateway_get(s->db, id, &gw->rec, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "unknown-gateway", msg);
		return -1;
	}
	cs_conf_gw_type(s->conf, gw->rec.type, &t);
	i = t.driver ? cs_driver_index(t.driver) : -1;
	if (i < 0 || !s->set_up[i]) {
		cs_result_error(r, 500, "internal", "gateway %s: type %s has no usable driver", id,
				gw->rec.type);
		return -1;
	}
	gw->strategy = t.strategy;
	*drv = t.driver;
	*state = s->states[i];
	return 0;
}

/* The session as the API shows it. out: what the driver just granted
 * (NULL: rebuilt from the record and the gateway's last known address). */
static struct json_object *cs_session_json(const struct rgm_db_session *sess,
					   const struct cs_configured *out, const char *gw_addr)
{
	struct json_object *o = json_object_new_object(), *streams, *ports = NULL;
	bool active = sess->state == RGM_DB_ACTIVE;
	size_t i, n;

	if (!o)
		return NULL;
	streams = json_tokener_parse(sess->streams);
	if (sess->ports)
		ports = json_tokener_parse(sess->ports);
	if (!streams || !json_object_is_type(streams, json_type_array) ||
	    (ports && !json_object_is_type(ports, json_type_array))) {
		json_object_put(streams);
		json_object_put(ports);
		json_object_put(o);
		return NULL;
	}
	if (!ports)
		ports = json_object_new_array();
	n = json_object_array_length(streams);
	for (i = 0; active && i < n; i++) {
		struct json_object *st = json_object_array_get_idx(streams, i), *v;
		char addr[INET_ADDRSTRLEN];
		int port, rtcp = 0;

		if (i >= json_object_array_length(ports))
			break;
		port = json_object_get_int(json_object_array_get_idx(ports, i));
		if (out && i < out->n_streams) {
			inet_ntop(AF_INET, &out->streams[i].global_addr, addr, sizeof(addr));
			rtcp = out->streams[i].rtcp_port;
		} else {
			snprintf(addr, sizeof(addr), "%s", gw_addr ? gw_addr : "");
			if (json_object_object_get_ex(st, "rtcp", &v) && json_object_get_boolean(v))
				rtcp = port + 1;
		}
		if (addr[0])
			cs_add(st, "global_addr", json_object_new_string(addr));
		cs_add(st, "global_port", json_object_new_int(port));
		if (rtcp)
			cs_add(st, "rtcp_port", json_object_new_int(rtcp));
	}
	cs_add(o, "session", json_object_new_string(sess->id));
	cs_add(o, "state", json_object_new_string(rgm_db_state_name(sess->state)));
	cs_add(o, "appliance", json_object_new_string(sess->appliance));
	cs_add(o, "gateway", json_object_new_string(sess->gateway));
	cs_add(o, "lease", json_object_new_int64(sess->lease));
	cs_add(o, "created_at", json_object_new_int64(sess->created_at));
	cs_add(o, "updated_at", json_object_new_int64(sess->updated_at));
	cs_add(o, "streams", streams);
	cs_add(o, "ports", ports);
	return o;
}

/* Moves a session, logging what cannot be recorded (the caller decides). */
static int cs_session_set(struct cs_service *s, const char *id, enum rgm_db_state state,
			  const char *ports, uint32_t lease, char *msg, size_t msglen)
{
	int ret;

	cs_lock(s);
	ret = rgm_db_session_update(s->db, id, state, ports, lease, cs_now(), msg, msglen);
	cs_unlock(s);
	if (ret)
		cs_log(CS_LOG_ERR, "session %s: cannot record %s: %s", id,
		       rgm_db_state_name(state), msg);
	return ret;
}

static struct json_object *cs_error_json(const struct cs_result *r)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();

	cs_add(e, "status", json_object_new_int(r->status));
	cs_add(e, "code", json_object_new_string(r->code ? r->code : "internal"));
	cs_add(e, "message", json_object_new_string(r->msg));
	cs_add(o, "error", e);
	return o;
}

/* The request entry of the audit log: who asked what, and the outcome. */
static void cs_audit_request(struct cs_service *s, const char *actor, const char *gateway,
			     struct json_object *cmd, const struct cs_result *r,
			     struct json_object *extra)
{
	struct json_object *res;

	if (r->code) {
		res = cs_error_json(r);
		json_object_put(extra);
	} else {
		res = extra ? extra : json_object_new_object();
		cs_add(res, "status", json_object_new_int(r->status));
	}
	cs_audit(s, actor, gateway, cmd, res);
	json_object_put(cmd);
	json_object_put(res);
}

static char *cs_ports_json(const struct cs_configured *out)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;
	char *t;

	for (i = 0; i < out->n_streams; i++)
		json_object_array_add(a, json_object_new_int(out->streams[i].global_port));
	t = cs_json_text(a);
	json_object_put(a);
	return t;
}

void cs_service_configure(struct cs_service *s, const char *actor,
			  const struct rgm_api_configure *req, struct cs_result *r)
{
	struct rgm_db_session sess = { 0 };
	struct rgm_db_appliance app;
	struct cs_configured out;
	const struct cs_driver *drv;
	struct json_object *cmd, *extra = NULL;
	struct cs_svc_call sc;
	struct cs_gateway gw;
	char msg[256], addr[INET_ADDRSTRLEN], id[RGM_API_SESSION_MAX + 1];
	char *streams = NULL, *ports = NULL;
	void *state;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(&out, 0, sizeof(out));
	inet_ntop(AF_INET, &req->gateway_addr, addr, sizeof(addr));
	cmd = json_object_new_object();
	cs_add(cmd, "request", json_object_new_string("configure"));
	cs_add(cmd, "appliance", json_object_new_string(req->appliance));
	cs_add(cmd, "gateway_addr", json_object_new_string(addr));
	cs_add(cmd, "lease", json_object_new_int64(req->lease));

	cs_lock(s);
	ret = rgm_db_appliance_get(s->db, req->appliance, &app, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		/* refused before anything: no session, nothing to audit */
		json_object_put(cmd);
		cs_result_db(r, ret, "unknown-appliance", msg);
		return;
	}
	if (cs_gateway_resolve(s, app.gateway, &gw, &drv, &state, r)) {
		json_object_put(cmd);
		return;
	}
	streams = rgm_api_streams_json(req);
	if (!streams) {
		json_object_put(cmd);
		cs_result_error(r, 500, "internal", "out of memory");
		return;
	}
	cs_add(cmd, "streams", json_tokener_parse(streams));

	cs_lock(s);
	/* the portal saw the appliance's connection come from here */
	if (rgm_db_gateway_set_addr(s->db, gw.rec.id, addr, msg, sizeof(msg)))
		cs_log(CS_LOG_WARN, "gateway %s: cannot record address %s: %s", gw.rec.id, addr,
		       msg);
	else
		snprintf(gw.rec.global_addr, sizeof(gw.rec.global_addr), "%s", addr);
	ret = rgm_db_session_create(s->db, req->appliance, streams, req->lease, cs_now(), &sess,
				    msg, sizeof(msg));
	cs_unlock(s);
	free(streams);
	if (ret) {
		json_object_put(cmd);
		cs_result_db(r, ret, "unknown-appliance", msg);
		return;
	}
	cs_add(cmd, "session", json_object_new_string(sess.id));
	cs_add(cmd, "gateway", json_object_new_string(sess.gateway));
	if (strcmp(sess.gateway, gw.rec.id)) {
		/* moved between our two reads: do not program the wrong gateway */
		cs_session_set(s, sess.id, RGM_DB_FAILED, NULL, 0, msg, sizeof(msg));
		cs_result_error(r, 409, "conflict", "appliance %s moved to gateway %s meanwhile",
				req->appliance, sess.gateway);
		goto out;
	}

	cs_call_init(&sc, s, actor);
	ret = drv->configure(state, &sc.call, &gw, sess.id, req, &out);
	if (ret) {
		const struct cs_error *e = &sc.call.err;

		cs_session_set(s, sess.id, RGM_DB_FAILED, NULL, 0, msg, sizeof(msg));
		cs_result_call(r, e);
		goto out;
	}
	if (out.n_streams != req->n_streams) {
		ret = -1;
		cs_result_error(r, 500, "internal", "driver %s returned %u streams for %u",
				drv->name, out.n_streams, req->n_streams);
	} else if (out.awaiting_report) {
		/* the appliance programs its gateway: pending until it reports */
		ret = 0;
	} else {
		ports = cs_ports_json(&out);
		ret = ports ? cs_session_set(s, sess.id, RGM_DB_ACTIVE, ports,
					     out.lease ? out.lease : req->lease, msg, sizeof(msg))
			    : -ENOMEM;
		if (ret)
			cs_result_error(r, 500, "internal",
					"session %s: cannot record it active: %s", sess.id,
					ports ? msg : "out of memory");
	}
	if (ret) {
		/* the gateway has it and we could not keep it: take it back */
		struct cs_svc_call rb;

		cs_call_init(&rb, s, actor);
		if (drv->close(state, &rb.call, &gw, sess.id))
			cs_log(CS_LOG_ERR, "session %s: rollback on %s failed: %s (its lease ends it)",
			       sess.id, gw.rec.id, rb.call.err.msg);
		cs_session_set(s, sess.id, RGM_DB_FAILED, NULL, 0, msg, sizeof(msg));
		goto out;
	}

	/* the reply is the record as stored now */
	snprintf(id, sizeof(id), "%s", sess.id);
	rgm_db_session_release(&sess);
	cs_lock(s);
	ret = rgm_db_session_get(s->db, id, &sess, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "unknown-session", msg);
		goto out;
	}
	cs_result_ok(r, 201, cs_session_json(&sess, &out, gw.rec.global_addr));
	if (r->body && out.appliance_instructions) {
		cs_add(r->body, "appliance_instructions", out.appliance_instructions);
		out.appliance_instructions = NULL;
	}
	extra = json_object_new_object();
	if (ports)
		cs_add(extra, "ports", json_tokener_parse(ports));
	else
		cs_add(extra, "awaiting_report", json_object_new_boolean(1));
	cs_add(extra, "lease", json_object_new_int64(sess.lease));
out:
	json_object_put(out.appliance_instructions);
	cs_log(r->code ? CS_LOG_WARN : CS_LOG_INFO, "configure %s for %s on %s by %s: %u %s",
	       sess.id, req->appliance, gw.rec.id, actor, r->status,
	       r->code ? r->msg : out.awaiting_report ? "granted, pending" : "active");
	cs_audit_request(s, actor, gw.rec.id, cmd, r, extra);
	free(ports);
	rgm_db_session_release(&sess);
}

/* The session named by id, which must be active; 0 or -1 with r set. */
static int cs_session_active(struct cs_service *s, const char *id, struct rgm_db_session *sess,
			     struct cs_result *r)
{
	char msg[256];
	int ret;

	cs_lock(s);
	ret = rgm_db_session_get(s->db, id, sess, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "unknown-session", msg);
		return -1;
	}
	if (sess->state != RGM_DB_ACTIVE) {
		cs_result_error(r, 409, "conflict", "session %s is %s", id,
				rgm_db_state_name(sess->state));
		rgm_db_session_release(sess);
		return -1;
	}
	return 0;
}

/* As cs_session_active(), and pending too: an appliance-mediated session
 * the appliance never reported on can be closed (the caller checks the
 * driver). */
static int cs_session_closable(struct cs_service *s, const char *id,
			       struct rgm_db_session *sess, struct cs_result *r)
{
	char msg[256];
	int ret;

	cs_lock(s);
	ret = rgm_db_session_get(s->db, id, sess, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "unknown-session", msg);
		return -1;
	}
	if (sess->state != RGM_DB_ACTIVE && sess->state != RGM_DB_PENDING) {
		cs_result_error(r, 409, "conflict", "session %s is %s", id,
				rgm_db_state_name(sess->state));
		rgm_db_session_release(sess);
		return -1;
	}
	return 0;
}

/* The reply after a renew or close: the session as stored now. */
static void cs_session_reply(struct cs_service *s, const char *id, struct cs_result *r)
{
	struct rgm_db_session sess;
	struct rgm_db_gateway g = { 0 };
	char msg[256];
	int ret;

	cs_lock(s);
	ret = rgm_db_session_get(s->db, id, &sess, msg, sizeof(msg));
	if (!ret && rgm_db_gateway_get(s->db, sess.gateway, &g, msg, sizeof(msg)))
		g.global_addr[0] = '\0';
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "unknown-session", msg);
		return;
	}
	cs_result_ok(r, 200, cs_session_json(&sess, NULL, g.global_addr));
	rgm_db_session_release(&sess);
}

static struct json_object *cs_session_cmd(const char *what, const char *id, uint32_t lease)
{
	struct json_object *cmd = json_object_new_object();

	cs_add(cmd, "request", json_object_new_string(what));
	cs_add(cmd, "session", json_object_new_string(id));
	if (lease)
		cs_add(cmd, "lease", json_object_new_int64(lease));
	return cmd;
}

void cs_service_renew(struct cs_service *s, const char *actor, const struct rgm_api_renew *req,
		      struct cs_result *r)
{
	struct rgm_db_session sess;
	const struct cs_driver *drv;
	struct cs_svc_call sc;
	struct cs_gateway gw;
	char msg[256];
	void *state;

	memset(r, 0, sizeof(*r));
	if (cs_session_active(s, req->session, &sess, r))
		return;
	if (cs_gateway_resolve(s, sess.gateway, &gw, &drv, &state, r))
		goto out;
	cs_call_init(&sc, s, actor);
	if (drv->renew(state, &sc.call, &gw, sess.id, req->lease)) {
		const struct cs_error *e = &sc.call.err;

		/* the gateway no longer has it: its lease ran out */
		if (e->fail == CS_FAIL_NO_SESSION)
			cs_session_set(s, sess.id, RGM_DB_CLOSED, NULL, 0, msg, sizeof(msg));
		cs_result_call(r, e);
		goto out;
	}
	if (cs_session_set(s, sess.id, RGM_DB_ACTIVE, NULL, req->lease, msg, sizeof(msg))) {
		/* closed meanwhile (a concurrent close or the sweeper) */
		cs_result_error(r, 409, "conflict", "session %s: %s", sess.id, msg);
		goto out;
	}
	cs_session_reply(s, sess.id, r);
out:
	cs_log(r->code ? CS_LOG_WARN : CS_LOG_INFO, "renew %s (%u s) by %s: %u %s", req->session,
	       req->lease, actor, r->status, r->code ? r->msg : "ok");
	cs_audit_request(s, actor, sess.gateway, cs_session_cmd("renew", sess.id, req->lease), r,
			 NULL);
	rgm_db_session_release(&sess);
}

void cs_service_close(struct cs_service *s, const char *actor,
		      const struct rgm_api_teardown *req, struct cs_result *r)
{
	struct rgm_db_session sess;
	const struct cs_driver *drv;
	struct cs_svc_call sc;
	struct cs_gateway gw;
	char msg[256];
	void *state;

	memset(r, 0, sizeof(*r));
	if (cs_session_closable(s, req->session, &sess, r))
		return;
	if (cs_gateway_resolve(s, sess.gateway, &gw, &drv, &state, r))
		goto out;
	if (sess.state == RGM_DB_PENDING && !drv->report) {
		/* an rgm configure is still programming the gateway */
		cs_result_error(r, 409, "conflict", "session %s is pending", sess.id);
		goto out;
	}
	cs_call_init(&sc, s, actor);
	/* a gateway without the session has closed it already: same outcome */
	if (drv->close(state, &sc.call, &gw, sess.id) &&
	    sc.call.err.fail != CS_FAIL_NO_SESSION) {
		cs_result_call(r, &sc.call.err);
		goto out;
	}
	if (cs_session_set(s, sess.id, RGM_DB_CLOSED, NULL, 0, msg, sizeof(msg))) {
		cs_result_error(r, 409, "conflict", "session %s: %s", sess.id, msg);
		goto out;
	}
	cs_session_reply(s, sess.id, r);
out:
	cs_log(r->code ? CS_LOG_WARN : CS_LOG_INFO, "close %s by %s: %u %s", req->session, actor,
	       r->status, r->code ? r->msg : "closed");
	cs_audit_request(s, actor, sess.gateway, cs_session_cmd("close", sess.id, 0), r, NULL);
	rgm_db_session_release(&sess);
}

static int cs_session_request(const struct rgm_db_session *sess, const char *gw_addr,
			      uint32_t lease, struct rgm_api_configure *req, uint16_t *ports,
			      char *msg, size_t msglen);

/* An appliance-mediated session: what the appliance's gateway granted, or
 * its error. Active with those ports, or failed. */
void cs_service_report(struct cs_service *s, const char *actor,
		       const struct rgm_api_report *req, struct cs_result *r)
{
	struct rgm_db_session sess = { 0 };
	struct rgm_api_configure creq;
	const struct cs_driver *drv;
	struct cs_configured out;
	struct json_object *cmd, *a;
	struct cs_svc_call sc;
	struct cs_gateway gw = { 0 };
	char msg[256], addr[INET_ADDRSTRLEN], *ports = NULL;
	unsigned int i;
	void *state;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(&out, 0, sizeof(out));
	inet_ntop(AF_INET, &req->gateway_addr, addr, sizeof(addr));
	cmd = cs_session_cmd("report", req->session, 0);
	cs_add(cmd, "gateway_addr", json_object_new_string(addr));
	if (req->error_code[0]) {
		cs_add(cmd, "error", json_object_new_string(req->error_code));
	} else {
		a = json_object_new_array();
		for (i = 0; i < req->n_ports; i++)
			json_object_array_add(a, json_object_new_int(req->ports[i]));
		cs_add(cmd, "ports", a);
	}
	cs_lock(s);
	ret = rgm_db_session_get(s->db, req->session, &sess, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		json_object_put(cmd);
		cs_result_db(r, ret, "unknown-session", msg);
		return;
	}
	if (cs_gateway_resolve(s, sess.gateway, &gw, &drv, &state, r))
		goto out;
	if (!drv->report) {
		cs_result_error(r, 409, "conflict", "gateway %s (type %s) is programmed by the "
				"configuration server, not by the appliance", gw.rec.id,
				gw.rec.type);
		goto out;
	}
	if (sess.state != RGM_DB_PENDING) {
		cs_result_error(r, 409, "conflict", "session %s is %s, not pending", sess.id,
				rgm_db_state_name(sess.state));
		goto out;
	}
	if (cs_session_request(&sess, addr, sess.lease, &creq, NULL, msg, sizeof(msg))) {
		cs_result_error(r, 500, "internal", "session %s: %s", sess.id, msg);
		goto out;
	}
	cs_call_init(&sc, s, actor);
	if (drv->report(state, &sc.call, &gw, sess.id, &creq, req, &out)) {
		/* a report that is not ours to believe changes nothing */
		if (sc.call.err.fail != CS_FAIL_FORBIDDEN)
			cs_session_set(s, sess.id, RGM_DB_FAILED, NULL, 0, msg, sizeof(msg));
		cs_result_call(r, &sc.call.err);
		goto out;
	}
	ports = cs_ports_json(&out);
	if (!ports || cs_session_set(s, sess.id, RGM_DB_ACTIVE, ports, 0, msg, sizeof(msg))) {
		cs_result_error(r, 409, "conflict", "session %s: %s", sess.id,
				ports ? msg : "out of memory");
		goto out;
	}
	cs_lock(s);
	if (rgm_db_gateway_set_addr(s->db, gw.rec.id, addr, msg, sizeof(msg)))
		cs_log(CS_LOG_WARN, "gateway %s: cannot record address %s: %s", gw.rec.id, addr,
		       msg);
	rgm_db_session_release(&sess);
	ret = rgm_db_session_get(s->db, req->session, &sess, msg, sizeof(msg));
	cs_unlock(s);
	if (ret)
		cs_result_db(r, ret, "unknown-session", msg);
	else
		cs_result_ok(r, 200, cs_session_json(&sess, &out, addr));
out:
	cs_log(r->code ? CS_LOG_WARN : CS_LOG_INFO, "report %s by %s: %u %s", req->session, actor,
	       r->status, r->code ? r->msg : "active");
	cs_audit_request(s, actor, sess.gateway[0] ? sess.gateway : NULL, cmd, r, NULL);
	free(ports);
	rgm_db_session_release(&sess);
}

void cs_service_session_get(struct cs_service *s, const char *id, struct cs_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!rgm_api_session_valid(id)) {
		cs_result_error(r, 404, "unknown-session", "no session %.128s", id);
		return;
	}
	cs_session_reply(s, id, r);
}

static struct json_object *cs_appliance_json(const struct rgm_db_appliance *a)
{
	struct json_object *o = json_object_new_object();

	cs_add(o, "appliance", json_object_new_string(a->id));
	cs_add(o, "gateway", json_object_new_string(a->gateway));
	cs_add(o, "registered_at", json_object_new_int64(a->registered_at));
	cs_add(o, "last_contact", json_object_new_int64(a->last_contact));
	return o;
}

void cs_service_register(struct cs_service *s, const char *actor,
			 const struct rgm_api_register *req, struct cs_result *r)
{
	struct rgm_db_appliance app;
	char msg[256], addr[INET_ADDRSTRLEN];
	int ret;

	memset(r, 0, sizeof(*r));
	addr[0] = '\0';
	if (req->has_gateway_addr)
		inet_ntop(AF_INET, &req->gateway_addr, addr, sizeof(addr));
	cs_lock(s);
	ret = rgm_db_appliance_register(s->db, req->appliance, req->gateway, req->gateway_type,
					addr, cs_now(), &app, msg, sizeof(msg));
	if (!ret && req->has_gateway_addr) {
		if (rgm_db_gateway_set_addr(s->db, app.gateway, addr, msg, sizeof(msg)))
			cs_log(CS_LOG_WARN, "gateway %s: cannot record address %s: %s",
			       app.gateway, addr, msg);
	}
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "unknown-gateway", msg);
		return;
	}
	cs_log(CS_LOG_INFO, "appliance %s registered behind %s by %s", app.id, app.gateway, actor);
	cs_result_ok(r, 200, cs_appliance_json(&app));
}

static struct json_object *cs_gateway_json(const struct cs_conf *c,
					   const struct rgm_db_gateway *g)
{
	struct json_object *o = json_object_new_object();
	struct cs_gw_type t;

	cs_conf_gw_type(c, g->type, &t);
	cs_add(o, "id", json_object_new_string(g->id));
	cs_add(o, "type", json_object_new_string(g->type));
	cs_add(o, "mode", json_object_new_string(rgm_gw_mode_name(g->mode)));
	cs_add(o, "endpoint", g->endpoint[0] ? json_object_new_string(g->endpoint) : NULL);
	cs_add(o, "pin", json_object_new_string(g->pin));
	cs_add(o, "global_addr", g->global_addr[0] ? json_object_new_string(g->global_addr) : NULL);
	cs_add(o, "enrolled_at", json_object_new_int64(g->enrolled_at));
	cs_add(o, "driver", t.driver ? json_object_new_string(t.driver->name) : NULL);
	cs_add(o, "strategy", json_object_new_string(cs_strategy_name(t.strategy)));
	return o;
}

void cs_service_enroll(struct cs_service *s, const char *actor, const struct rgm_api_enroll *req,
		       struct cs_result *r)
{
	struct rgm_db_gateway g = { 0 };
	struct json_object *cmd;
	struct cs_gw_type t;
	char msg[256];
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(g.id, sizeof(g.id), "%s", req->id);
	snprintf(g.type, sizeof(g.type), "%s", req->type);
	g.mode = req->mode;
	snprintf(g.endpoint, sizeof(g.endpoint), "%s", req->endpoint);
	snprintf(g.pin, sizeof(g.pin), "%s", req->pin);
	if (req->has_global_addr)
		inet_ntop(AF_INET, &req->global_addr, g.global_addr, sizeof(g.global_addr));
	g.enrolled_at = cs_now();

	cmd = json_object_new_object();
	cs_add(cmd, "request", json_object_new_string("enroll"));
	cs_add(cmd, "gateway", cs_gateway_json(s->conf, &g));

	cs_conf_gw_type(s->conf, g.type, &t);
	if (!t.driver) {
		cs_result_error(r, 422, "invalid", "gateway type %s has no driver", g.type);
	} else if (g.mode == RGM_GW_CALL_HOME && !s->conf->callhome_listen.v) {
		cs_result_error(r, 422, "invalid",
				"gateway %s calls home, but this server has no call-home-listen",
				g.id);
	} else {
		cs_lock(s);
		ret = rgm_db_gateway_add(s->db, &g, msg, sizeof(msg));
		cs_unlock(s);
		if (ret)
			cs_result_db(r, ret, "not-found", msg);
		else
			cs_result_ok(r, 201, cs_gateway_json(s->conf, &g));
	}
	cs_log(r->code ? CS_LOG_WARN : CS_LOG_INFO, "enroll %s (type %s) by %s: %u %s", g.id,
	       g.type, actor, r->status, r->code ? r->msg : "ok");
	cs_audit_request(s, actor, g.id, cmd, r, NULL);
}

void cs_service_gateway_list(struct cs_service *s, struct cs_result *r)
{
	struct rgm_db_gateway *l;
	struct json_object *a;
	char msg[256];
	size_t n, i;
	int ret;

	memset(r, 0, sizeof(*r));
	cs_lock(s);
	ret = rgm_db_gateway_list(s->db, &l, &n, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "not-found", msg);
		return;
	}
	a = json_object_new_array();
	for (i = 0; a && i < n; i++)
		json_object_array_add(a, cs_gateway_json(s->conf, &l[i]));
	free(l);
	cs_result_ok(r, 200, a);
}

void cs_service_gateway_get(struct cs_service *s, const char *id, struct cs_result *r)
{
	const struct cs_driver *drv;
	struct json_object *o;
	struct cs_gateway gw;
	void *state;

	memset(r, 0, sizeof(*r));
	if (!rgm_api_id_valid(id)) {
		cs_result_error(r, 404, "unknown-gateway", "no gateway %.64s", id);
		return;
	}
	if (cs_gateway_resolve(s, id, &gw, &drv, &state, r))
		return;
	o = cs_gateway_json(s->conf, &gw.rec);
	if (o && drv->status)
		cs_add(o, "status", drv->status(state, &gw));
	cs_result_ok(r, 200, o);
}

/* Driver hooks (any thread). */
static void cs_hook_expired(void *priv, const char *gateway, const char *session)
{
	struct cs_service *s = priv;
	struct rgm_db_session sess;
	char msg[256];
	int ret;

	cs_lock(s);
	ret = rgm_db_session_get(s->db, session, &sess, msg, sizeof(msg));
	if (!ret) {
		if (!strcmp(sess.gateway, gateway) && sess.state == RGM_DB_ACTIVE)
			ret = rgm_db_session_update(s->db, session, RGM_DB_CLOSED, NULL, 0,
						    cs_now(), msg, sizeof(msg));
		rgm_db_session_release(&sess);
	}
	cs_unlock(s);
	if (ret)
		cs_log(CS_LOG_WARN, "gateway %s: expired session %s: %s", gateway, session, msg);
	else
		cs_log(CS_LOG_INFO, "gateway %s: session %s expired", gateway, session);
}

static int cs_hook_find_pin(void *priv, const char *pin, struct rgm_db_gateway *out)
{
	struct cs_service *s = priv;
	char msg[256];
	int ret;

	cs_lock(s);
	ret = rgm_db_gateway_find_pin(s->db, pin, out, msg, sizeof(msg));
	cs_unlock(s);
	if (ret && ret != -ENOENT)
		cs_log(CS_LOG_ERR, "find gateway by pin: %s", msg);
	return ret ? -ENOENT : 0;
}

static void cs_hook_seen_addr(void *priv, const char *gateway, struct in_addr addr)
{
	struct cs_service *s = priv;
	char msg[256], a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	cs_lock(s);
	if (rgm_db_gateway_set_addr(s->db, gateway, a, msg, sizeof(msg)))
		cs_log(CS_LOG_WARN, "gateway %s: cannot record address %s: %s", gateway, a, msg);
	cs_unlock(s);
}

/* Marks closed every session of state whose lease ended before `before`. */
static void cs_sweep(struct cs_service *s, enum rgm_db_state state, int64_t before,
		     enum rgm_db_state to)
{
	struct rgm_db_session *l;
	char msg[256];
	size_t n, i;

	cs_lock(s);
	if (rgm_db_session_list_state(s->db, state, before, &l, &n, msg, sizeof(msg))) {
		cs_unlock(s);
		cs_log(CS_LOG_ERR, "sweeper: %s", msg);
		return;
	}
	for (i = 0; i < n; i++) {
		if (rgm_db_session_update(s->db, l[i].id, to, NULL, 0, cs_now(), msg, sizeof(msg)))
			cs_log(CS_LOG_ERR, "sweeper: %s", msg);
		else
			cs_log(CS_LOG_INFO, "session %s on %s: %s %s", l[i].id, l[i].gateway,
			       state == RGM_DB_ACTIVE ? "lease ended, now" : "left pending, now",
			       rgm_db_state_name(to));
	}
	cs_unlock(s);
	rgm_db_sessions_free(l, n);
}

static void *cs_sweeper(void *arg)
{
	struct cs_service *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->sweep_lock);
	while (!s->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += CS_SWEEP_INTERVAL_S;
		pthread_cond_timedwait(&s->sweep_cond, &s->sweep_lock, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->sweep_lock);
		/* the gateway's kernel ends the mappings itself at the lease */
		cs_sweep(s, RGM_DB_ACTIVE, cs_now(), RGM_DB_CLOSED);
		pthread_mutex_lock(&s->sweep_lock);
	}
	pthread_mutex_unlock(&s->sweep_lock);
	return NULL;
}

/* ------------------------------------------------- gateways that restart */

/*
 * A gateway whose epoch changed (rebooted, module reloaded, table flushed)
 * may have lost the mappings of its active sessions, while the media
 * servers still stream to them. The keeper thread maps each again, on the
 * ports it had and for what is left of its lease (map is idempotent on the
 * gateway: a session it still holds is a replay). To notice such a restart
 * while nobody asks anything, the keeper also probes every CS_PROBE_INTERVAL_S
 * the gateways that have active sessions: a probe of a connected gateway
 * costs nothing, an unconnected one is dialled (and says hello).
 */
static void cs_hook_epoch(void *priv, const char *gateway, const char *epoch)
{
	struct cs_service *s = priv;
	char old[17], msg[256];
	unsigned int i;
	int ret;

	cs_lock(s);
	ret = rgm_db_gateway_swap_epoch(s->db, gateway, epoch, old, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_log(CS_LOG_ERR, "gateway %s: cannot record epoch %s: %s", gateway, epoch, msg);
		return;
	}
	/* first sight, or the same: nothing was lost that we know of */
	if (!old[0] || !strcmp(old, epoch))
		return;
	cs_log(CS_LOG_WARN, "gateway %s: epoch changed from %s to %s: it may have lost its "
	       "mappings", gateway, old, epoch);
	pthread_mutex_lock(&s->sweep_lock);
	for (i = 0; i < s->n_restore && strcmp(s->restore[i], gateway); i++)
		;
	if (i == s->n_restore && i < CS_RESTORE_MAX)
		snprintf(s->restore[s->n_restore++], sizeof(s->restore[0]), "%s", gateway);
	else if (i == CS_RESTORE_MAX)
		cs_log(CS_LOG_ERR, "gateway %s: %u gateways wait for a restore already: "
		       "its sessions are not restored", gateway, CS_RESTORE_MAX);
	pthread_cond_broadcast(&s->sweep_cond);
	pthread_mutex_unlock(&s->sweep_lock);
}

/* The configure request a stored session came from, with lease seconds
 * and the gateway's last known address; its ports in ports[] (NULL: a
 * pending session, which has none yet). */
static int cs_session_request(const struct rgm_db_session *sess, const char *gw_addr,
			      uint32_t lease, struct rgm_api_configure *req, uint16_t *ports,
			      char *msg, size_t msglen)
{
	struct json_object *streams = json_tokener_parse(sess->streams), *o, *a, *st, *v;
	struct json_object *p = sess->ports ? json_tokener_parse(sess->ports) : NULL;
	struct rgm_api_error err;
	struct rgm_api_req r;
	const char *text;
	size_t i, n;
	int ret = -1;

	o = json_object_new_object();
	a = json_object_new_array();
	if (!streams || !json_object_is_type(streams, json_type_array) ||
	    (ports && (!p || !json_object_is_type(p, json_type_array) ||
		       json_object_array_length(streams) != json_object_array_length(p))) ||
	    !(n = json_object_array_length(streams)) || n > RGM_API_STREAMS_MAX) {
		snprintf(msg, msglen, "its streams and ports do not match");
		goto out;
	}
	cs_add(o, "appliance", json_object_new_string(sess->appliance));
	cs_add(o, "gateway_addr", json_object_new_string(gw_addr));
	cs_add(o, "lease", json_object_new_int64(lease));
	for (i = 0; i < n; i++) {
		st = json_object_array_get_idx(streams, i);
		v = ports ? json_object_array_get_idx(p, i) : NULL;
		if (ports && (!json_object_is_type(v, json_type_int) ||
			      json_object_get_int(v) < 1 || json_object_get_int(v) > 65535)) {
			snprintf(msg, msglen, "ports[%zu] is not a port", i);
			goto out;
		}
		if (ports)
			ports[i] = json_object_get_int(v);
		/* the stored streams carry local_addr; the request has it once */
		if (json_object_object_get_ex(st, "local_addr", &v)) {
			if (!json_object_object_get_ex(o, "local_addr", NULL))
				cs_add(o, "local_addr", json_object_get(v));
			json_object_object_del(st, "local_addr");
		}
		json_object_array_add(a, json_object_get(st));
	}
	cs_add(o, "streams", a);
	a = NULL;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!text || rgm_api_parse(RGM_API_CONFIGURE, text, strlen(text), &r, &err)) {
		snprintf(msg, msglen, "its record is not a request: %.200s",
			 text ? err.msg : "out of memory");
		goto out;
	}
	*req = r.configure;
	ret = 0;
out:
	json_object_put(streams);
	json_object_put(p);
	json_object_put(o);
	json_object_put(a);
	return ret;
}

/* Maps one active session again; a session that cannot be is failed (the
 * portal sees it on its next renew). */
static void cs_restore_session(struct cs_service *s, const struct cs_gateway *gw,
			       const struct cs_driver *drv, void *state,
			       const struct rgm_db_session *sess)
{
	struct json_object *cmd = cs_session_cmd("restore", sess->id, 0), *extra = NULL;
	uint16_t ports[RGM_API_STREAMS_MAX];
	struct rgm_api_configure req;
	struct cs_result r = { 0 };
	struct cs_configured out = { 0 };
	struct cs_svc_call sc;
	int64_t left = sess->updated_at + sess->lease - cs_now();
	uint32_t lease;
	char msg[256];

	if (left <= 0) {
		json_object_put(cmd);	/* the sweeper closes it */
		return;
	}
	if (cs_session_request(sess, gw->rec.global_addr, (uint32_t)left, &req, ports, msg,
			       sizeof(msg))) {
		cs_result_error(&r, 500, "internal", "session %s: %s", sess->id, msg);
		goto failed;
	}
	cs_call_init(&sc, s, CS_RESTORE_ACTOR);
	if (drv->restore(state, &sc.call, gw, sess->id, &req, ports, &out)) {
		cs_result_call(&r, &sc.call.err);
		goto failed;
	}
	/* the same ports; the lease runs from now */
	lease = out.lease ? out.lease : req.lease;
	if (cs_session_set(s, sess->id, RGM_DB_ACTIVE, NULL, lease, msg, sizeof(msg))) {
		/* closed by its portal while we restored it: take it back */
		cs_result_error(&r, 409, "conflict", "session %s: %s", sess->id, msg);
		cs_call_init(&sc, s, CS_RESTORE_ACTOR);
		if (drv->close(state, &sc.call, gw, sess->id))
			cs_log(CS_LOG_ERR, "session %s: undoing its restore on %s failed: %s "
			       "(its lease ends it)", sess->id, gw->rec.id, sc.call.err.msg);
		goto out;
	}
	r.status = 200;
	cs_log(CS_LOG_INFO, "gateway %s: session %s restored (%u streams, lease %u s)",
	       gw->rec.id, sess->id, req.n_streams, lease);
	extra = json_object_new_object();
	cs_add(extra, "lease", json_object_new_int64(lease));
	goto out;
failed:
	cs_session_set(s, sess->id, RGM_DB_FAILED, NULL, 0, msg, sizeof(msg));
	cs_log(CS_LOG_WARN, "gateway %s: session %s not restored, now failed: %s", gw->rec.id,
	       sess->id, r.msg);
out:
	json_object_put(out.appliance_instructions);
	cs_audit_request(s, CS_RESTORE_ACTOR, gw->rec.id, cmd, &r, extra);
}

/* Restores every active session of the gateway id. */
static void cs_restore_gateway(struct cs_service *s, const char *id)
{
	struct rgm_db_session *l;
	const struct cs_driver *drv;
	struct cs_result r = { 0 };
	struct cs_gateway gw;
	char msg[256];
	size_t n, i;
	void *state;

	if (cs_gateway_resolve(s, id, &gw, &drv, &state, &r)) {
		cs_log(CS_LOG_WARN, "gateway %s: no restore: %s", id, r.msg);
		return;
	}
	if (!drv->restore)
		return;
	cs_lock(s);
	if (rgm_db_session_list_state(s->db, RGM_DB_ACTIVE, INT64_MAX, &l, &n, msg, sizeof(msg))) {
		cs_unlock(s);
		cs_log(CS_LOG_ERR, "gateway %s: no restore: %s", id, msg);
		return;
	}
	cs_unlock(s);
	for (i = 0; i < n; i++)
		if (!strcmp(l[i].gateway, id))
			cs_restore_session(s, &gw, drv, state, &l[i]);
	rgm_db_sessions_free(l, n);
}

/* Probes every gateway that has active sessions. */
static void cs_probe_gateways(struct cs_service *s)
{
	struct rgm_db_gateway *l;
	const struct cs_driver *drv;
	struct cs_svc_call sc;
	struct cs_gateway gw;
	char msg[256];
	size_t n, i;
	void *state;

	cs_lock(s);
	if (rgm_db_gateway_list_in_state(s->db, RGM_DB_ACTIVE, &l, &n, msg, sizeof(msg))) {
		cs_unlock(s);
		cs_log(CS_LOG_ERR, "keeper: %s", msg);
		return;
	}
	cs_unlock(s);
	for (i = 0; i < n; i++) {
		struct cs_result r = { 0 };

		if (cs_gateway_resolve(s, l[i].id, &gw, &drv, &state, &r) || !drv->probe)
			continue;
		cs_call_init(&sc, s, CS_RESTORE_ACTOR);
		if (drv->probe(state, &sc.call, &gw))
			cs_log(CS_LOG_DEBUG, "gateway %s: probe: %s", gw.rec.id, sc.call.err.msg);
	}
	free(l);
}

static void *cs_keeper(void *arg)
{
	struct cs_service *s = arg;
	char id[RGM_API_ID_MAX + 1];
	struct timespec next, now;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&s->sweep_lock);
	while (!s->stopping) {
		if (s->n_restore) {
			snprintf(id, sizeof(id), "%s", s->restore[0]);
			memmove(s->restore[0], s->restore[1], --s->n_restore * sizeof(s->restore[0]));
			pthread_mutex_unlock(&s->sweep_lock);
			cs_log(CS_LOG_WARN, "gateway %s: a new epoch: restoring its active sessions",
			       id);
			cs_restore_gateway(s, id);
			pthread_mutex_lock(&s->sweep_lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= next.tv_sec) {
			next.tv_sec = now.tv_sec + CS_PROBE_INTERVAL_S;
			pthread_mutex_unlock(&s->sweep_lock);
			cs_probe_gateways(s);
			pthread_mutex_lock(&s->sweep_lock);
			continue;
		}
		pthread_cond_timedwait(&s->sweep_cond, &s->sweep_lock, &next);
	}
	pthread_mutex_unlock(&s->sweep_lock);
	return NULL;
}

int cs_service_new(const struct cs_conf *c, struct cs_service **out, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	struct cs_service *s;
	char msg[256];
	int i;

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->conf = c;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->sweep_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->sweep_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rgm_db_open(c->db.v, &s->db, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", c->db.v, msg);
		goto err;
	}
	/* a configure in flight when we stopped: its outcome is unknown */
	cs_sweep(s, RGM_DB_PENDING, INT64_MAX, RGM_DB_FAILED);

	s->env = (struct cs_driver_env){
		.cert = c->gateway_cert.v,
		.key = c->gateway_key.v,
		.ca = c->gateway_ca.v,
		.connect_timeout_ms = c->connect_timeout * 1000,
		.idle_timeout_ms = c->idle_timeout * 1000,
		.callhome_listen = c->callhome_listen.v,
		.callhome_fd_reserve = c->callhome_fd_reserve,
		.grant_key = c->grant_key.v,
		.priv = s,
		.expired = cs_hook_expired,
		.find_pin = cs_hook_find_pin,
		.seen_addr = cs_hook_seen_addr,
		.epoch = cs_hook_epoch,
	};
	for (i = 0; cs_drivers[i] && i < CS_DRIVERS_MAX; i++) {
		if (cs_drivers[i]->setup(&s->env, &s->states[i], msg, sizeof(msg))) {
			snprintf(err, errlen, "driver %s: %s", cs_drivers[i]->name, msg);
			goto err;
		}
		s->set_up[i] = true;
	}
	if (pthread_create(&s->sweeper, NULL, cs_sweeper, s)) {
		snprintf(err, errlen, "cannot start the sweeper thread");
		goto err;
	}
	s->sweeper_started = true;
	if (pthread_create(&s->keeper, NULL, cs_keeper, s)) {
		snprintf(err, errlen, "cannot start the keeper thread");
		goto err;
	}
	s->keeper_started = true;
	*out = s;
	return 0;
err:
	cs_service_free(s);
	return -1;
}

void cs_service_free(struct cs_service *s)
{
	int i;

	if (!s)
		return;
	pthread_mutex_lock(&s->sweep_lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->sweep_cond);
	pthread_mutex_unlock(&s->sweep_lock);
	if (s->keeper_started)
		pthread_join(s->keeper, NULL);
	if (s->sweeper_started)
		pthread_join(s->sweeper, NULL);
	for (i = 0; i < CS_DRIVERS_MAX; i++)
		if (s->set_up[i])
			cs_drivers[i]->teardown(s->states[i]);
	rgm_db_close(s->db);
	pthread_cond_destroy(&s->sweep_cond);
	pthread_mutex_destroy(&s->sweep_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Operator views (the console, Documentation/confserver.rst "Operator
 * console"): every session's state, the audit chain, removing a gateway. */

#define CS_SESSIONS_LISTED	100	/* newest sessions GET /v1/sessions returns */
#define CS_AUDIT_LISTED		50	/* newest entries GET /v1/audit returns */

void cs_service_session_list(struct cs_service *s, struct cs_result *r)
{
	struct rgm_db_session *l = NULL;
	struct rgm_db_gateway g;
	struct json_object *a;
	char msg[256];
	size_t n = 0, i;
	int ret;

	memset(r, 0, sizeof(*r));
	cs_lock(s);
	ret = rgm_db_session_list(s->db, NULL, &l, &n, msg, sizeof(msg));
	cs_unlock(s);
	if (ret) {
		cs_result_db(r, ret, "not-found", msg);
		return;
	}
	a = json_object_new_array();
	/* newest first */
	for (i = n; a && i-- > 0 && n - i <= CS_SESSIONS_LISTED;) {
		memset(&g, 0, sizeof(g));
		cs_lock(s);
		if (rgm_db_gateway_get(s->db, l[i].gateway, &g, msg, sizeof(msg)))
			g.global_addr[0] = '\0';
		cs_unlock(s);
		json_object_array_add(a, cs_session_json(&l[i], NULL, g.global_addr));
	}
	rgm_db_sessions_free(l, n);
	cs_result_ok(r, 200, a);
}

static int cs_audit_entry_add(void *arg, const struct rgm_audit_entry *e)
{
	struct json_object *o = json_object_new_object();

	cs_add(o, "seq", json_object_new_int64((int64_t)e->seq));
	cs_add(o, "time", json_object_new_int64(e->time));
	cs_add(o, "actor", json_object_new_string(e->actor ? e->actor : ""));
	cs_add(o, "gateway", e->gateway ? json_object_new_string(e->gateway) : NULL);
	/* stored as checked JSON texts: shown as they are */
	cs_add(o, "command", json_tokener_parse(e->command ? e->command : "null"));
	cs_add(o, "result", json_tokener_parse(e->result ? e->result : "null"));
	cs_add(o, "hash", json_object_new_string(e->hash ? e->hash : ""));
	return json_object_array_add(arg, o) ? -ENOMEM : 0;
}

void cs_service_audit(struct cs_service *s, struct cs_result *r)
{
	struct json_object *o, *v, *entries = json_object_new_array();
	struct rgm_audit_report rep;
	char msg[256], hex[RGM_AUDIT_HEX_LEN + 1] = "";
	uint64_t seq = 0;
	int vret, ret;

	memset(r, 0, sizeof(*r));
	cs_lock(s);
	vret = rgm_audit_verify(s->db, &rep);
	ret = vret && vret != -EBADMSG ? vret : 0;
	if (!ret && rgm_audit_head(s->db, &seq, hex, msg, sizeof(msg)))
		hex[0] = '\0';
	if (!ret)
		ret = rgm_audit_tail(s->db, CS_AUDIT_LISTED, cs_audit_entry_add, entries, msg,
				     sizeof(msg));
	else
		snprintf(msg, sizeof(msg), "%s", rep.why);
	cs_unlock(s);
	if (ret) {
		json_object_put(entries);
		cs_result_db(r, ret, "not-found", msg);
		return;
	}
	o = json_object_new_object();
	v = json_object_new_object();
	cs_add(v, "ok", json_object_new_boolean(!vret));
	cs_add(v, "entries", json_object_new_int64((int64_t)rep.entries));
	cs_add(v, "bad_seq", vret ? json_object_new_int64((int64_t)rep.bad_seq) : NULL);
	cs_add(v, "why", vret ? json_object_new_string(rep.why) : NULL);
	cs_add(o, "verify", v);
	v = json_object_new_object();
	cs_add(v, "seq", json_object_new_int64((int64_t)seq));
	cs_add(v, "hash", hex[0] ? json_object_new_string(hex) : NULL);
	cs_add(o, "head", v);
	cs_add(o, "entries", entries);
	cs_result_ok(r, 200, o);
}

void cs_service_gateway_del(struct cs_service *s, const char *actor, const char *id,
			    struct cs_result *r)
{
	struct json_object *cmd;
	char msg[256];
	int ret;

	memset(r, 0, sizeof(*r));
	if (!rgm_api_id_valid(id)) {
		cs_result_error(r, 404, "unknown-gateway", "no gateway %.64s", id);
		return;
	}
	cs_lock(s);
	ret = rgm_db_gateway_del(s->db, id, msg, sizeof(msg));
	cs_unlock(s);
	if (ret)
		cs_result_db(r, ret, "unknown-gateway", msg);
	else
		cs_result_ok(r, 200, json_object_new_object());
	if (!ret)
		cs_add(r->body, "deleted", json_object_new_string(id));
	cs_log(r->code ? CS_LOG_WARN : CS_LOG_INFO, "delete gateway %s by %s: %u %s", id, actor,
	       r->status, r->code ? r->msg : "ok");
	cmd = json_object_new_object();
	cs_add(cmd, "request", json_object_new_string("delete"));
	cs_add(cmd, "gateway", json_object_new_string(id));
	cs_audit_request(s, actor, id, cmd, r, NULL);
}

int cs_service_counts(struct cs_service *s, struct cs_service_counts *out)
{
	static const enum rgm_db_state live[] = { RGM_DB_PENDING, RGM_DB_ACTIVE };
	struct rgm_db_session *l = NULL;
	struct rgm_db_gateway *g = NULL;
	char msg[256];
	unsigned int i;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	cs_lock(s);
	ret = rgm_db_gateway_list(s->db, &g, &n, msg, sizeof(msg));
	if (!ret) {
		out->gateways = n;
		free(g);
	}
	for (i = 0; !ret && i < sizeof(live) / sizeof(live[0]); i++) {
		ret = rgm_db_session_list_state(s->db, live[i], INT64_MAX, &l, &n, msg,
						sizeof(msg));
		if (!ret) {
			out->sessions[live[i]] = n;
			rgm_db_sessions_free(l, n);
		}
	}
	cs_unlock(s);
	return ret;
}
