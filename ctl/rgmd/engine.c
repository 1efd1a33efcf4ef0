// SPDX-License-Identifier: GPL-2.0
/*
 * The rgmd protocol engine (engine.h): lifecycle, one request in, one reply
 * out, reservation timers and kernel events. The ops themselves are in
 * engine_ops.c and engine_map.c, sessions in engine_session.c, the epoch in
 * engine_epoch.c; the files call downward only:
 *   engine.c -> engine_map.c -> engine_ops.c -> engine_session.c
 * and engine.c -> engine_epoch.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "clock.h"
#include "engine.h"
#include "engine_epoch.h"
#include "engine_int.h"
#include "engine_map.h"
#include "engine_ops.h"
#include "engine_session.h"
#include "rgm_dp.h"
#include "rgm_policy.h"
#include "rgm_proto.h"

struct rgmd_engine *rgmd_engine_new_dp(const struct rgm_policy *pol, const char *gateway_id,
				       const char *state_dir, enum rgm_dp_kind dataplane,
				       char *err, size_t errlen)
{
	struct rgmd_engine *e;
	unsigned int i;
	bool ours = false;
	int ret;

	if (rgm_policy_validate(pol, err, errlen))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->pol = *pol;
	snprintf(e->gateway_id, sizeof(e->gateway_id), "%s", gateway_id ? gateway_id : "");
	snprintf(e->state_dir, sizeof(e->state_dir), "%s", state_dir ? state_dir : RGMD_STATE_DIR);

	ret = rgm_dp_open(&e->nl, dataplane);
	/* rgmd's auto: the module if it is loaded, else nftables (created) */
	if (ret == -ENOENT && dataplane == RGM_DP_AUTO) {
		rgm_dp_close(e->nl);
		ret = rgm_dp_open(&e->nl, RGM_DP_NFT);
	}
	if (ret) {
		snprintf(err, errlen, "dataplane: %s", e->nl ? rgm_dp_errmsg(e->nl) : strerror(-ret));
		goto err_nl;
	}
	/* subscribe before the dump so that nothing expires unseen between them */
	ret = rgm_dp_events_open(&e->ev, rgm_dp_kind(e->nl));
	if (ret) {
		snprintf(err, errlen, "dataplane events: %s",
			 e->ev ? rgm_dp_errmsg(e->ev) : strerror(-ret));
		goto err_ev;
	}
	ret = rgmd_session_snapshot(e);
	if (ret) {
		snprintf(err, errlen, "dump: %s", rgm_dp_errmsg(e->nl));
		goto err_dump;
	}
	/* adopt what is installed: owner cookies become unnamed sessions */
	if (rgmd_session_sync_all(e)) {
		snprintf(err, errlen, "out of memory");
		goto err_sync;
	}
	for (i = 0; i < e->n_snap; i++)
		ours |= e->snap[i].owner != 0;
	if (rgmd_epoch_setup(e, ours, err, errlen))
		goto err_epoch;
	return e;

err_epoch:
err_sync:
	rgmd_session_free_all(e);
err_dump:
	free(e->snap);
	rgm_dp_close(e->ev);
err_ev:
	rgm_dp_close(e->nl);
err_nl:
	free(e);
	return NULL;
}

struct rgmd_engine *rgmd_engine_new_dir(const struct rgm_policy *pol, const char *gateway_id,
					const char *state_dir, char *err, size_t errlen)
{
	return rgmd_engine_new_dp(pol, gateway_id, state_dir, RGM_DP_KMOD, err, errlen);
}

enum rgm_dp_kind rgmd_engine_dataplane(const struct rgmd_engine *e)
{
	return rgm_dp_kind(e->nl);
}

struct rgmd_engine *rgmd_engine_new(const struct rgm_policy *pol, const char *gateway_id,
				    char *err, size_t errlen)
{
	return rgmd_engine_new_dir(pol, gateway_id, NULL, err, errlen);
}

void rgmd_engine_free(struct rgmd_engine *e)
{
	if (!e)
		return;
	rgmd_session_free_all(e);
	free(e->snap);
	rgm_dp_close(e->ev);
	rgm_dp_close(e->nl);
	free(e);
}

int rgmd_engine_set_policy(struct rgmd_engine *e, const struct rgm_policy *pol,
			   char *err, size_t errlen)
{
	int ret = rgm_policy_validate(pol, err, errlen);

	if (ret)
		return ret;
	e->pol = *pol;
	return 0;
}

uint64_t rgmd_engine_epoch(const struct rgmd_engine *e)
{
	return e->epoch;
}

static char *rgmd_engine_error_reply(const struct rgm_proto_error *perr, size_t *len)
{
	return rgm_proto_finish(rgm_proto_error_new(perr), len);
}

/* The ops are engine_ops.c's, but for map (engine_map.c). */
static int rgmd_engine_op(struct rgmd_engine *e, const struct rgmd_peer *peer,
			  const struct rgm_req *req, struct json_object *reply,
			  struct rgm_proto_error *perr)
{
	switch (req->op) {
	case RGM_OP_HELLO:
		return rgmd_ops_hello(e, req, reply, perr);
	case RGM_OP_QUERY:
		return rgmd_ops_query(e, req, reply, perr);
	case RGM_OP_RESERVE:
		return rgmd_ops_reserve(e, peer, req, reply, perr);
	case RGM_OP_MAP:
		return rgmd_map_op(e, peer, req, reply, perr);
	case RGM_OP_RENEW:
		return rgmd_ops_renew(e, peer, req, reply, perr);
	case RGM_OP_UNMAP:
		return rgmd_ops_unmap(e, peer, req, reply, perr);
	case RGM_OP_LIST:
		return rgmd_ops_list(e, peer, req, reply, perr);
	default:
		return rgmd_ops_fail(perr, RGM_ERR_UNKNOWN_OP, "unknown op");
	}
}

int rgmd_engine_handle(struct rgmd_engine *e, const struct rgmd_peer *peer,
		       const uint8_t *req, size_t len, char **reply, size_t *reply_len)
{
	static const struct rgmd_peer anon = { .name = "" };
	struct rgmd_peer who;
	struct rgm_proto_error perr;
	struct json_object *o;
	struct rgm_req *r;

	*reply = NULL;
	/* sessions are scoped by peer name: never compare against NULL */
	who = peer ? *peer : anon;
	if (!who.name)
		who.name = "";
	peer = &who;
	/* struct rgm_req is a few KiB: keep it off the stack */
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (rgm_req_parse(req, len, r, &perr)) {
		*reply = rgmd_engine_error_reply(&perr, reply_len);
		goto out;
	}
	perr.has_id = true;
	perr.id = r->id;
	o = rgm_proto_reply_new(r->id);
	if (!o) {
		free(r);
		return -ENOMEM;
	}
	if (rgmd_engine_op(e, peer, r, o, &perr)) {
		json_object_put(o);
		*reply = rgmd_engine_error_reply(&perr, reply_len);
	} else {
		*reply = rgm_proto_finish(o, reply_len);
	}
out:
	free(r);
	return *reply ? 0 : -ENOMEM;
}

void rgmd_engine_peer_gone(struct rgmd_engine *e, const struct rgmd_peer *peer)
{
	struct rgmd_session *s;
	unsigned int i;

	for (s = e->sessions; s; s = s->next)
		for (i = s->n_resv; i-- > 0;)
			if (s->resv[i].conn_id == peer->conn_id)
				rgmd_session_resv_del(s, i);
	rgmd_session_gc(e);
}

int rgmd_engine_timeout_ms(struct rgmd_engine *e)
{
	uint64_t now = rgmd_clock_ms(), next = UINT64_MAX;
	struct rgmd_session *s;
	unsigned int i;

	for (s = e->sessions; s; s = s->next)
		for (i = 0; i < s->n_resv; i++)
			if (s->resv[i].deadline < next)
				next = s->resv[i].deadline;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

void rgmd_engine_tick(struct rgmd_engine *e)
{
	uint64_t now = rgmd_clock_ms();
	struct rgmd_session *s;
	unsigned int i;

	for (s = e->sessions; s; s = s->next)
		for (i = s->n_resv; i-- > 0;)
			if (s->resv[i].deadline <= now)
				rgmd_session_resv_del(s, i);
	rgmd_session_gc(e);
}

int rgmd_engine_events_fd(struct rgmd_engine *e)
{
	return rgm_dp_events_fd(e->ev);
}

/* Expired tuples of one owner, gathered while the kernel's events are read. */
struct rgmd_engine_expired {
	uint64_t owner;
	struct json_object *maps;
	bool named;		/* the session's name, as it was then */
	char name[RGM_PROTO_SESSION_MAX + 1];
};

struct rgmd_engine_events_ctx {
	struct rgmd_engine *e;
	struct rgmd_engine_expired *x;
	unsigned int n, cap;
};

static void rgmd_engine_event_cb(uint8_t cmd, const struct rgm_map *m, uint8_t reason,
				 void *arg)
{
	struct rgmd_engine_events_ctx *c = arg;
	struct rgmd_session *s;
	struct rgmd_engine_expired *n;
	unsigned int i;

	if (!m->owner)
		return;
	s = rgmd_session_by_cookie(c->e, m->owner);
	if (cmd == RGM_CMD_MAP_NEW) {
		/* installed by someone else (rgmctl) with an owner: adopt it */
		if (!s) {
			s = rgmd_session_new(c->e, m->owner);
			if (!s)
				return;
			s->adopted = true;
		}
		rgmd_session_add_map(s, m);
		return;
	}
	if (cmd != RGM_CMD_MAP_GONE)
		return;
	if (s)
		rgmd_session_del_map(s, m->id);
	if (reason != RGM_REASON_EXPIRED)
		return;
	for (i = 0; i < c->n; i++)
		if (c->x[i].owner == m->owner)
			break;
	if (i == c->n) {
		if (c->n == c->cap) {
			unsigned int cap = c->cap ? 2 * c->cap : 8;

			n = realloc(c->x, cap * sizeof(*n));
			if (!n)
				return;
			c->x = n;
			c->cap = cap;
		}
		c->x[i].owner = m->owner;
		c->x[i].maps = json_object_new_array();
		c->x[i].named = s && s->named;
		if (c->x[i].named)
			memcpy(c->x[i].name, s->name, sizeof(s->name));
		c->n++;
	}
	if (c->x[i].maps)
		json_object_array_add(c->x[i].maps, rgm_proto_mapping_new(m));
}

/*
 * The events socket overflowed: some GONE events are lost. Compare the
 * sessions with a fresh snapshot and report every session tuple that
 * vanished as expired (the administrator may have deleted it instead; the
 * server re-checks with list either way), then resynchronize.
 */
static void rgmd_engine_events_resync(struct rgmd_engine *e, struct rgmd_engine_events_ctx *c)
{
	struct rgmd_session *s;
	struct rgm_map m;
	unsigned int i, j;

	if (rgmd_session_snapshot(e))
		return;
	for (s = e->sessions; s; s = s->next) {
		/* backwards: the callback swap-removes the tuple from s */
		for (i = s->n_maps; i-- > 0;) {
			for (j = 0; j < e->n_snap; j++)
				if (e->snap[j].id == s->maps[i].id)
					break;
			if (j < e->n_snap)
				continue;
			m = s->maps[i];
			rgmd_engine_event_cb(RGM_CMD_MAP_GONE, &m, RGM_REASON_EXPIRED, c);
		}
	}
	rgmd_session_sync_all(e);
}

void rgmd_engine_events(struct rgmd_engine *e, rgmd_notify_fn notify, void *arg)
{
	struct rgmd_engine_events_ctx c = { .e = e };
	struct json_object *o;
	char owner[20], *payload;
	unsigned int i;
	size_t len;

	if (rgm_dp_events_recv(e->ev, rgmd_engine_event_cb, &c) == -ENOBUFS) {
		e->event_overflows++;
		rgmd_engine_events_resync(e, &c);
	}
	for (i = 0; i < c.n; i++) {
		snprintf(owner, sizeof(owner), "%016" PRIx64, c.x[i].owner);
		o = rgm_proto_event_new("expired");
		if (!o || !c.x[i].maps ||
		    (c.x[i].named ? rgm_proto_add(o, "session", json_object_new_string(c.x[i].name)) :
		     json_object_object_add(o, "session", NULL)) ||
		    rgm_proto_add(o, "owner", json_object_new_string(owner))) {
			json_object_put(o);
			json_object_put(c.x[i].maps);
			continue;
		}
		if (rgm_proto_add(o, "mappings", c.x[i].maps)) {
			json_object_put(o);
			continue;
		}
		payload = rgm_proto_finish(o, &len);
		if (payload && notify)
			notify(payload, len, arg);
		free(payload);
	}
	free(c.x);
	rgmd_session_gc(e);
}
