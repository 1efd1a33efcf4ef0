// SPDX-License-Identifier: GPL-2.0
/*
 * The "rgm" driver: gateways running our agent, rgmd, programmed over a
 * link (link.c) with the protocol of Documentation/protocol.rst.
 *
 * A session is ONE map carrying every stream, so the gateway installs all
 * or nothing. How the global ports of that map are agreed is the gateway
 * type's strategy (Documentation/confserver.rst, "Gateway drivers"):
 * query-first, propose, gateway-chooses, reserve-commit. Whatever fails
 * after the gateway may hold something for the session (a reservation, a
 * map whose answer never came) is undone with an unmap of the session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <linux/rgm.h>

#include "confserver.h"
#include "link.h"
#include "rgm_proto.h"

#define DRV_RGM_QUERY_ROUNDS	3	/* query-first: maps tried after a race */
#define DRV_RGM_PROPOSE_ROUNDS	8	/* propose: proposals before giving up */
#define DRV_RGM_QUERY_SPREAD	8	/* extra ports asked per retry round */
#define DRV_RGM_QUERY_PICKS	8	/* queries while our own claims get in the way */
#define DRV_RGM_QUERY_MAX	1024	/* ports asked in one query at most */
#define DRV_RGM_ROLLBACK_MS	2000	/* at least this long for an undo */
#define DRV_RGM_RESERVE_PAIRS	16	/* protocol limits per reserve */
#define DRV_RGM_RESERVE_PORTS	32
#define DRV_RGM_HOLD_MAX	60
#define DRV_RGM_RATE_TRIES	5	/* resends after rate-limited */
#define DRV_RGM_RATE_BACKOFF_MS	50	/* doubled each time */

struct drv_rgm {
	struct cs_links *links;
	struct cs_callhome *home;
	unsigned int connect_timeout_ms;
};

/* The three port spaces a stream can need: a TCP port, a UDP port, or an
 * even/odd UDP pair (RTP with RTCP). */
enum drv_rgm_class { DRV_TCP, DRV_UDP, DRV_PAIR, __DRV_CLASS_MAX };

/* What a map names, per stream (0: the gateway chooses). */
struct drv_rgm_plan {
	uint16_t port[RGM_API_STREAMS_MAX];
	bool reserved;
};

static enum drv_rgm_class drv_rgm_class(const struct rgm_api_stream *s)
{
	if (s->proto == IPPROTO_TCP)
		return DRV_TCP;
	return s->rtcp ? DRV_PAIR : DRV_UDP;
}

static const char *drv_rgm_type(uint8_t stream)
{
	switch (stream) {
	case RGM_STREAM_TCP:
		return "tcp";
	case RGM_STREAM_RTP:
		return "rtp";
	default:
		return "udp";
	}
}

/* The protocol's "type" of a port space, for query and reserve. */
static const char *const drv_rgm_class_type[__DRV_CLASS_MAX] = {
	[DRV_TCP] = "tcp", [DRV_UDP] = "udp", [DRV_PAIR] = "rtp",
};

static struct json_object *drv_rgm_addr(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return json_object_new_string(s);
}

static struct json_object *drv_rgm_req_new(const char *op, const char *session)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	if (session)
		json_object_object_add(o, "session", json_object_new_string(session));
	return o;
}

static enum cs_fail drv_rgm_classify(const char *code)
{
	if (!strcmp(code, "policy-denied"))
		return CS_FAIL_POLICY;
	if (!strcmp(code, "port-in-use") || !strcmp(code, "table-full"))
		return CS_FAIL_CONFLICT;
	if (!strcmp(code, "no-such-session"))
		return CS_FAIL_NO_SESSION;
	return CS_FAIL_REFUSED;
}

/*
 * Sends req (taken) and waits: 0 with *reply when the gateway said ok;
 * otherwise -1 with call->err, an error reply classified by its code with
 * the gateway's message quoted.
 */
static int drv_rgm_send(struct cs_link *l, struct cs_call *call, const struct cs_gateway *gw,
			struct json_object *req, struct json_object **reply)
{
	struct json_object *rep = NULL, *v;
	const char *code, *msg;
	unsigned int tries, wait_ms;
	char op[16];
	int ret;

	*reply = NULL;
	if (!req)
		return cs_fail(call, CS_FAIL_INTERNAL, NULL, "out of memory");
	snprintf(op, sizeof(op), "%s", json_object_get_string(json_object_object_get(req, "op")));
	for (tries = 0;; tries++) {
		ret = cs_link_call(l, call, req, &rep);
		if (ret) {
			json_object_put(req);
			return -1;
		}
		if (json_object_object_get_ex(rep, "ok", &v) &&
		    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v)) {
			json_object_put(req);
			*reply = rep;
			return 0;
		}
		rgm_proto_error_read(rep, &code, &msg);
		/* rgmd's per-connection rate limit (a burst of callers on
		 * one link): the request changed nothing, send it again a
		 * little later if the deadline allows. */
		wait_ms = DRV_RGM_RATE_BACKOFF_MS << tries;
		if (strcmp(code, "rate-limited") || tries >= DRV_RGM_RATE_TRIES ||
		    cs_now_ms() + wait_ms >= call->deadline_ms)
			break;
		json_object_put(rep);
		rep = NULL;
		usleep(wait_ms * 1000);
	}
	json_object_put(req);
	cs_fail(call, drv_rgm_classify(code), code, "gateway %s refused %s: %.31s: %.120s",
		gw->rec.id, op, code, msg);
	json_object_put(rep);
	return -1;
}

/*
 * Undo: unmap the session (mappings and reservations), under a short
 * deadline of its own so that it runs even when the call's has passed.
 * call->err is kept: the caller reports why it undid, not the undo.
 */
static void drv_rgm_rollback(struct drv_rgm *d, struct cs_link *l, struct cs_call *call,
			     const struct cs_gateway *gw, const char *session)
{
	struct cs_error saved = call->err;
	int64_t deadline = call->deadline_ms, min_ms = DRV_RGM_ROLLBACK_MS;
	struct json_object *rep;

	if (d->connect_timeout_ms > min_ms)
		min_ms = d->connect_timeout_ms;
	if (call->deadline_ms < cs_now_ms() + min_ms)
		call->deadline_ms = cs_now_ms() + min_ms;
	if (!drv_rgm_send(l, call, gw, drv_rgm_req_new("unmap", session), &rep)) {
		cs_log(CS_LOG_INFO, "gateway %s: session %s undone", gw->rec.id, session);
		json_object_put(rep);
	} else if (call->err.fail == CS_FAIL_NO_SESSION) {
		cs_log(CS_LOG_DEBUG, "gateway %s: session %s had nothing to undo", gw->rec.id,
		       session);
	} else {
		/* Its lease (or the reservations' hold) still ends it. */
		cs_log(CS_LOG_WARN, "gateway %s: cannot undo session %s: %s", gw->rec.id, session,
		       call->err.msg);
	}
	call->deadline_ms = deadline;
	call->err = saved;
}

/* An array of ports in o[key]: 0 with n ports, -1 if malformed. */
static int drv_rgm_ports(struct json_object *o, const char *key, uint16_t *ports,
			 unsigned int max, unsigned int *n)
{
	struct json_object *a, *v;
	size_t i, len;
	int64_t p;

	*n = 0;
	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return -1;
	len = json_object_array_length(a);
	for (i = 0; i < len && *n < max; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_int))
			return -1;
		p = json_object_get_int64(v);
		if (p < 1 || p > 65535)
			return -1;
		ports[(*n)++] = p;
	}
	return 0;
}

static unsigned int drv_rgm_random(unsigned int below)
{
	unsigned int x = 0;

	if (below <= 1)
		return 0;
	if (gnutls_rnd(GNUTLS_RND_NONCE, &x, sizeof(x)) < 0)
		x = (unsigned int)cs_now_ms();
	return x % below;
}

/* ------------------------------------------------------------ map */

static struct json_object *drv_rgm_map_req(const char *session, const struct rgm_api_configure *req,
					   uint32_t lease, struct in_addr gaddr,
					   const struct drv_rgm_plan *plan)
{
	struct json_object *o = drv_rgm_req_new("map", session), *a, *s;
	unsigned int i;

	json_object_object_add(o, "lease", json_object_new_int64(lease));
	a = json_object_new_array();
	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_api_stream *st = &req->streams[i];

		s = json_object_new_object();
		json_object_object_add(s, "type", json_object_new_string(drv_rgm_type(st->stream)));
		if (st->rtcp)
			json_object_object_add(s, "rtcp", json_object_new_boolean(true));
		json_object_object_add(s, "local_addr", drv_rgm_addr(req->local_addr));
		json_object_object_add(s, "local_port", json_object_new_int(st->local_port));
		if (st->server_addr.s_addr != INADDR_ANY)
			json_object_object_add(s, "server_addr", drv_rgm_addr(st->server_addr));
		if (st->server_port)
			json_object_object_add(s, "server_port",
					       json_object_new_int(st->server_port));
		json_object_object_add(s, "global_addr", drv_rgm_addr(gaddr));
		if (plan->port[i])
			json_object_object_add(s, "global_port",
					       json_object_new_int(plan->port[i]));
		if (plan->reserved)
			json_object_object_add(s, "reserved", json_object_new_boolean(true));
		json_object_array_add(a, s);
	}
	json_object_object_add(o, "streams", a);
	return o;
}

/* The map reply into out; -1 if it does not describe what was asked. */
static int drv_rgm_map_result(struct json_object *rep, const struct rgm_api_configure *req,
			      struct cs_configured *out, char *why, size_t wlen)
{
	struct json_object *a, *s, *v;
	unsigned int i;
	int64_t p;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(rep, "streams", &a) ||
	    !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != req->n_streams) {
		snprintf(why, wlen, "'streams' is not an array of %u", req->n_streams);
		return -1;
	}
	for (i = 0; i < req->n_streams; i++) {
		struct cs_stream_ports *o = &out->streams[i];

		s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_object) ||
		    !json_object_object_get_ex(s, "global_addr", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    inet_pton(AF_INET, json_object_get_string(v), &o->global_addr) != 1) {
			snprintf(why, wlen, "streams[%u].global_addr is not an address", i);
			return -1;
		}
		if (!json_object_object_get_ex(s, "global_port", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    (p = json_object_get_int64(v)) < 1 || p > 65535) {
			snprintf(why, wlen, "streams[%u].global_port is not a port", i);
			return -1;
		}
		o->global_port = p;
		if (req->streams[i].rtcp) {
			if (!json_object_object_get_ex(s, "rtcp_port", &v) ||
			    !json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) != p + 1 || p % 2) {
				snprintf(why, wlen, "streams[%u]: rtcp_port is not global_port + 1",
					 i);
				return -1;
			}
			o->rtcp_port = p + 1;
		}
	}
	out->n_streams = req->n_streams;
	if (!json_object_object_get_ex(rep, "lease", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (p = json_object_get_int64(v)) < 1 || p > UINT32_MAX) {
		snprintf(why, wlen, "'lease' is not a lease");
		return -1;
	}
	out->lease = p;
	return 0;
}

/*
 * One map. 0 with out filled; -1 with call->err. A map whose answer never
 * came (timeout, connection lost) may have been installed: it is undone
 * before returning, as is one whose answer makes no sense.
 */
static int drv_rgm_map(struct drv_rgm *d, struct cs_link *l, struct cs_call *call,
		       const struct cs_gateway *gw, const char *session,
		       const struct rgm_api_configure *req, uint32_t lease, struct in_addr gaddr,
		       const struct drv_rgm_plan *plan, struct cs_configured *out)
{
	struct json_object *rep;
	char why[128];

	if (drv_rgm_send(l, call, gw, drv_rgm_map_req(session, req, lease, gaddr, plan), &rep)) {
		if (call->err.fail == CS_FAIL_TIMEOUT || call->err.fail == CS_FAIL_UNREACHABLE)
			drv_rgm_rollback(d, l, call, gw, session);
		return -1;
	}
	if (drv_rgm_map_result(rep, req, out, why, sizeof(why))) {
		json_object_put(rep);
		cs_fail(call, CS_FAIL_REFUSED, NULL, "gateway %s: map reply: %s", gw->rec.id, why);
		drv_rgm_rollback(d, l, call, gw, session);
		return -1;
	}
	json_object_put(rep);
	return 0;
}

/* ------------------------------------------------------------ strategies */

struct drv_rgm_need {
	unsigned int n[__DRV_CLASS_MAX];
};

static void drv_rgm_count(const struct rgm_api_configure *req, struct drv_rgm_need *need)
{
	unsigned int i;

	memset(need, 0, sizeof(*need));
	for (i = 0; i < req->n_streams; i++)
		need->n[drv_rgm_class(&req->streams[i])]++;
}

static bool drv_rgm_claim(struct cs_link *l, enum drv_rgm_class c, uint16_t port,
			  uint64_t since)
{
	return cs_link_claim(l, c == DRV_TCP, port, c == DRV_PAIR ? 2 : 1, since);
}

static void drv_rgm_unclaim(struct cs_link *l, enum drv_rgm_class c, uint16_t port, bool sent)
{
	cs_link_unclaim(l, c == DRV_TCP, port, c == DRV_PAIR ? 2 : 1, sent);
}

/* Releases the claims of a query-first plan (ports still 0 hold none);
 * sent: a map naming them was answered. */
static void drv_rgm_unclaim_plan(struct cs_link *l, const struct rgm_api_configure *req,
				 struct drv_rgm_plan *plan, bool sent)
{
	unsigned int i;

	for (i = 0; i < req->n_streams; i++) {
		if (plan->port[i])
			drv_rgm_unclaim(l, drv_rgm_class(&req->streams[i]), plan->port[i], sent);
		plan->port[i] = 0;
	}
}

/* Gives each stream of class c the next port of ports[]. */
static void drv_rgm_assign(const struct rgm_api_configure *req, enum drv_rgm_class c,
			   const uint16_t *ports, struct drv_rgm_plan *plan)
{
	unsigned int i, k = 0;

	for (i = 0; i < req->n_streams; i++)
		if (drv_rgm_class(&req->streams[i]) == c)
			plan->port[i] = ports[k++];
}

/*
 * query: count free ports (pairs: even ports whose neighbour is free) of
 * class c, asking extra more so that a retry does not pick what a racing
 * server picked; when the gateway has fewer than that free, half the extra
 * is asked again, down to none.
 */
static int drv_rgm_query(struct cs_link *l, struct cs_call *call, const struct cs_gateway *gw,
			 enum drv_rgm_class c, struct in_addr gaddr, unsigned int count,
			 unsigned int extra, uint16_t *ports, unsigned int *n)
{
	struct json_object *o, *rep;
	unsigned int want = count + extra;

	if (want > DRV_RGM_QUERY_MAX)
		want = DRV_RGM_QUERY_MAX;
	for (;;) {
		o = drv_rgm_req_new("query", NULL);
		json_object_object_add(o, "type", json_object_new_string(drv_rgm_class_type[c]));
		json_object_object_add(o, "count", json_object_new_int(want));
		if (c == DRV_PAIR)
			json_object_object_add(o, "pairs", json_object_new_boolean(true));
		json_object_object_add(o, "global_addr", drv_rgm_addr(gaddr));
		if (!drv_rgm_send(l, call, gw, o, &rep))
			break;
		/* Not that many free: ask for fewer, down to what is needed. */
		if (strcmp(call->err.gw_code, "table-full") || want == count)
			return -1;
		want = count + (want - count) / 2;
	}
	if (drv_rgm_ports(rep, "ports", ports, DRV_RGM_QUERY_MAX, n) || *n < count) {
		json_object_put(rep);
		return cs_fail(call, CS_FAIL_REFUSED, NULL,
			       "gateway %s: query reply: 'ports' is not %u ports", gw->rec.id,
			       count);
	}
	json_object_put(rep);
	return 0;
}

/*
 * Picks need ports of class c from a query's answer, from a random place
 * round the whole answer, claiming each on the link. Our other sessions in
 * flight got the same lowest free ports back from their queries, so each
 * query asks as many more as are claimed; when claims made after our query
 * still leave too few, the query is asked again.
 */
static int drv_rgm_query_pick(struct cs_link *l, struct cs_call *call, const struct cs_gateway *gw,
			      enum drv_rgm_class c, struct in_addr gaddr, unsigned int count,
			      unsigned int need, unsigned int round, const uint16_t *pairs,
			      unsigned int n_pairs, uint16_t *got, uint16_t *pick)
{
	unsigned int attempt, extra, m, n, t, i, j, start;
	uint64_t since;

	for (attempt = 0; attempt < DRV_RGM_QUERY_PICKS; attempt++) {
		since = cs_link_claim_seq(l);
		/* ours in this plan are in count already */
		extra = round * DRV_RGM_QUERY_SPREAD + cs_link_claims(l, c == DRV_TCP) -
			(c == DRV_UDP ? 2 * n_pairs : 0);
		if (drv_rgm_query(l, call, gw, c, gaddr, count, extra, got, &n))
			return -1;
		start = drv_rgm_random(n - count + 1);
		for (m = 0, t = 0; t < n && m < need; t++) {
			bool clash = false;

			i = (start + t) % n;
			if (c == DRV_PAIR && got[i] % 2)
				continue;
			for (j = 0; c == DRV_UDP && j < n_pairs; j++)
				clash |= got[i] == pairs[j] || got[i] == pairs[j] + 1;
			if (!clash && drv_rgm_claim(l, c, got[i], since))
				pick[m++] = got[i];
		}
		if (m == need)
			return 0;
		/* The sessions holding the rest are mapping them now: by the
		 * next answer those are mapped, or free again. */
		while (m)
			drv_rgm_unclaim(l, c, pick[--m], false);
	}
	return cs_fail(call, CS_FAIL_CONFLICT, NULL, "gateway %s: not enough free %s ports",
		       gw->rec.id, drv_rgm_class_type[c]);
}

static int drv_rgm_query_plan(struct cs_link *l, struct cs_call *call, const struct cs_gateway *gw,
			      const struct rgm_api_configure *req, struct in_addr gaddr,
			      unsigned int round, struct drv_rgm_plan *plan)
{
	static const enum drv_rgm_class order[] = { DRV_PAIR, DRV_UDP, DRV_TCP };
	uint16_t *got = NULL, pick[RGM_API_STREAMS_MAX], pairs[RGM_API_STREAMS_MAX];
	unsigned int k, count, n_pairs = 0;
	struct drv_rgm_need need;
	int ret = -1;

	memset(plan, 0, sizeof(*plan));
	drv_rgm_count(req, &need);
	got = calloc(DRV_RGM_QUERY_MAX, sizeof(*got));
	if (!got)
		return cs_fail(call, CS_FAIL_INTERNAL, NULL, "out of memory");
	for (k = 0; k < 3; k++) {
		enum drv_rgm_class c = order[k];

		if (!need.n[c])
			continue;
		/* UDP singles share the space with the pairs just picked
		 * (a query holds nothing): ask for enough to skip them. */
		count = need.n[c] + (c == DRV_UDP ? 2 * n_pairs : 0);
		if (drv_rgm_query_pick(l, call, gw, c, gaddr, count, need.n[c], round, pairs,
				       n_pairs, got, pick))
			goto out;
		if (c == DRV_PAIR) {
			memcpy(pairs, pick, need.n[c] * sizeof(*pick));
			n_pairs = need.n[c];
		}
		/* the plan holds the claims from here, for unclaim_plan */
		drv_rgm_assign(req, c, pick, plan);
	}
	ret = 0;
out:
	free(got);
	return ret;
}

static int drv_rgm_query_first(struct drv_rgm *d, struct cs_link *l, struct cs_call *call,
			       const struct cs_gateway *gw, const char *session,
			       const struct rgm_api_configure *req, uint32_t lease,
			       struct in_addr gaddr, struct cs_configured *out)
{
	struct drv_rgm_plan plan;
	unsigned int round;
	int ret;

	for (round = 0; round < DRV_RGM_QUERY_ROUNDS; round++) {
		if (drv_rgm_query_plan(l, call, gw, req, gaddr, round, &plan)) {
			drv_rgm_unclaim_plan(l, req, &plan, false);
			return -1;
		}
		ret = drv_rgm_map(d, l, call, gw, session, req, lease, gaddr, &plan, out);
		drv_rgm_unclaim_plan(l, req, &plan, true);
		if (!ret)
			return 0;
		/* Another server took a port between our query and map. */
		if (strcmp(call->err.gw_code, "port-in-use"))
			return -1;
		cs_log(CS_LOG_INFO, "gateway %s: session %s: %s; querying again", gw->rec.id,
		       session, call->err.msg);
	}
	return cs_fail(call, CS_FAIL_CONFLICT, "port-in-use",
		       "gateway %s: ports taken by others %u times in a row; last: %.120s",
		       gw->rec.id, DRV_RGM_QUERY_ROUNDS, call->err.msg);
}

static int drv_rgm_propose(struct drv_rgm *d, struct cs_link *l, struct cs_call *call,
			   const struct cs_gateway *gw, const char *session,
			   const struct rgm_api_configure *req, uint32_t lease,
			   const struct cs_link_info *info, struct in_addr gaddr,
			   struct cs_configured *out)
{
	struct drv_rgm_need need;
	struct drv_rgm_plan plan;
	unsigned int round, span, range, i;
	uint16_t min = info->port_min, max = info->port_max;
	uint32_t p;

	if (!info->has_ports)
		return cs_fail(call, CS_FAIL_POLICY, NULL,
			       "gateway %s offers no global port range (hello 'ports': null)",
			       gw->rec.id);
	drv_rgm_count(req, &need);
	/* a pair may skip one odd port to start even */
	span = need.n[DRV_TCP] + need.n[DRV_UDP] + 3 * need.n[DRV_PAIR];
	range = (unsigned int)max - min + 1;
	if (span + 1 > range)
		return cs_fail(call, CS_FAIL_CONFLICT, NULL,
			       "gateway %s: its port range %u-%u is too small for %u ports",
			       gw->rec.id, min, max, span);
	for (round = 0; round < DRV_RGM_PROPOSE_ROUNDS; round++) {
		memset(&plan, 0, sizeof(plan));
		/* Each round starts past the previous one's ports, refused
		 * ones included; concurrent sessions get disjoint starts. */
		p = cs_link_cursor_take(l, span, min, max);
		for (i = 0; i < req->n_streams; i++) {
			if (drv_rgm_class(&req->streams[i]) == DRV_PAIR) {
				if (p % 2)
					p++;
				if (p + 1 > max)
					p = min + (min % 2);
				plan.port[i] = p;
				p += 2;
			} else {
				if (p > max)
					p = min;
				plan.port[i] = p;
				p++;
			}
		}
		if (!drv_rgm_map(d, l, call, gw, session, req, lease, gaddr, &plan, out))
			return 0;
		if (strcmp(call->err.gw_code, "port-in-use"))
			return -1;
		cs_log(CS_LOG_DEBUG, "gateway %s: session %s: proposal refused: %s", gw->rec.id,
		       session, call->err.msg);
	}
	return cs_fail(call, CS_FAIL_CONFLICT, "port-in-use",
		       "gateway %s refused %u proposals of ports; last: %.120s", gw->rec.id,
		       DRV_RGM_PROPOSE_ROUNDS, call->err.msg);
}

/* reserve of count ports (pairs) of class c: the ports, pairs by their even port. */
static int drv_rgm_reserve(struct cs_link *l, struct cs_call *call, const struct cs_gateway *gw,
			   const char *session, enum drv_rgm_class c, unsigned int count,
			   struct in_addr gaddr, uint16_t *ports)
{
	int64_t left = call->deadline_ms - cs_now_ms();
	uint16_t got[2 * DRV_RGM_RESERVE_PORTS];
	unsigned int hold, n, i, j, m = 0;
	struct json_object *o, *rep;

	/* Held until the map comes, not longer: the deadline bounds both. */
	hold = left <= 0 ? 1 : (unsigned int)((left + 999) / 1000);
	if (hold > DRV_RGM_HOLD_MAX)
		hold = DRV_RGM_HOLD_MAX;
	o = drv_rgm_req_new("reserve", session);
	json_object_object_add(o, "type", json_object_new_string(drv_rgm_class_type[c]));
	json_object_object_add(o, "count", json_object_new_int(count));
	if (c == DRV_PAIR)
		json_object_object_add(o, "pairs", json_object_new_boolean(true));
	json_object_object_add(o, "hold", json_object_new_int(hold));
	json_object_object_add(o, "global_addr", drv_rgm_addr(gaddr));
	if (drv_rgm_send(l, call, gw, o, &rep))
		return -1;
	if (drv_rgm_ports(rep, "ports", got, 2 * DRV_RGM_RESERVE_PORTS, &n)) {
		json_object_put(rep);
		return cs_fail(call, CS_FAIL_REFUSED, NULL,
			       "gateway %s: reserve reply: 'ports' is not a list of ports",
			       gw->rec.id);
	}
	json_object_put(rep);
	for (i = 0; i < n && m < count; i++) {
		if (c != DRV_PAIR) {
			ports[m++] = got[i];
			continue;
		}
		for (j = 0; j < n; j++)
			if (got[i] % 2 == 0 && got[j] == got[i] + 1)
				break;
		if (j < n)
			ports[m++] = got[i];
	}
	if (m < count)
		return cs_fail(call, CS_FAIL_REFUSED, NULL,
			       "gateway %s: reserve reply holds %u of the %u %s asked", gw->rec.id,
			       m, count, c == DRV_PAIR ? "pairs" : "ports");
	return 0;
}

static int drv_rgm_reserve_commit(struct drv_rgm *d, struct cs_link *l, struct cs_call *call,
				  const struct cs_gateway *gw, const char *session,
				  const struct rgm_api_configure *req, uint32_t lease,
				  struct in_addr gaddr, struct cs_configured *out)
{
	static const enum drv_rgm_class order[] = { DRV_PAIR, DRV_UDP, DRV_TCP };
	uint16_t ports[RGM_API_STREAMS_MAX];
	struct drv_rgm_need need;
	struct drv_rgm_plan plan;
	unsigned int k, done, chunk, max;

	memset(&plan, 0, sizeof(plan));
	plan.reserved = true;
	drv_rgm_count(req, &need);
	for (k = 0; k < 3; k++) {
		enum drv_rgm_class c = order[k];

		max = c == DRV_PAIR ? DRV_RGM_RESERVE_PAIRS : DRV_RGM_RESERVE_PORTS;
		for (done = 0; done < need.n[c]; done += chunk) {
			chunk = need.n[c] - done < max ? need.n[c] - done : max;
			if (drv_rgm_reserve(l, call, gw, session, c, chunk, gaddr, ports + done))
				goto undo;
		}
		if (need.n[c])
			drv_rgm_assign(req, c, ports, &plan);
	}
	if (!drv_rgm_map(d, l, call, gw, session, req, lease, gaddr, &plan, out))
		return 0;
	/* drv_rgm_map undid a map that may have happened; the others
	 * still hold reservations. */
	if (call->err.fail == CS_FAIL_TIMEOUT || call->err.fail == CS_FAIL_UNREACHABLE)
		return -1;
undo:
	/* A reserve may have held ports even when its answer was lost. */
	drv_rgm_rollback(d, l, call, gw, session);
	return -1;
}

/* ------------------------------------------------------------ driver ops */

static struct cs_link *drv_rgm_link(struct drv_rgm *d, struct cs_call *call,
				    const struct cs_gateway *gw)
{
	char err[256];
	struct cs_link *l = cs_links_get(d->links, &gw->rec, err, sizeof(err));

	if (!l)
		cs_fail(call, CS_FAIL_INTERNAL, NULL, "%s", err);
	return l;
}

/*
 * The gateway's link, up, and where and for how long to map: the global
 * address the portal saw when it is one of the gateway's (else its first,
 * with a warning), and the lease capped at the gateway's lease-max (it
 * refuses more; out->lease says what was granted, the portal renews).
 * NULL with call->err.
 */
static struct cs_link *drv_rgm_prepare(struct drv_rgm *d, struct cs_call *call,
				       const struct cs_gateway *gw, const char *session,
				       const struct rgm_api_configure *req,
				       struct cs_link_info *info, struct in_addr *gaddr,
				       uint32_t *lease)
{
	struct cs_link *l;
	unsigned int i;

	if (!req->n_streams || req->n_streams > RGM_API_STREAMS_MAX) {
		cs_fail(call, CS_FAIL_INTERNAL, NULL, "configure with %u streams",
			req->n_streams);
		return NULL;
	}
	l = drv_rgm_link(d, call, gw);
	if (!l)
		return NULL;
	if (cs_link_ready_early(l, call, info))
		goto err;
	if (!info->n_addrs) {
		cs_fail(call, CS_FAIL_REFUSED, NULL, "gateway %s reports no global address",
			gw->rec.id);
		goto err;
	}
	*gaddr = info->addrs[0];
	for (i = 0; i < info->n_addrs; i++)
		if (info->addrs[i].s_addr == req->gateway_addr.s_addr)
			*gaddr = req->gateway_addr;
	if (gaddr->s_addr != req->gateway_addr.s_addr) {
		char seen[INET_ADDRSTRLEN], used[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &req->gateway_addr, seen, sizeof(seen));
		inet_ntop(AF_INET, gaddr, used, sizeof(used));
		cs_log(CS_LOG_WARN,
		       "gateway %s: session %s: the portal saw %s, not one of the gateway's "
		       "global addresses: using %s",
		       gw->rec.id, session, seen, used);
	}
	*lease = req->lease;
	if (info->lease_max && *lease > info->lease_max)
		*lease = info->lease_max;
	return l;
err:
	cs_link_put(l);
	return NULL;
}

/* Installs the session: on ports (restore), or on ports the strategy
 * negotiates (NULL). */
static int drv_rgm_install(struct drv_rgm *d, struct cs_call *call, const struct cs_gateway *gw,
			   const char *session, const struct rgm_api_configure *req,
			   const uint16_t *ports, struct cs_configured *out)
{
	struct drv_rgm_plan plan;
	struct cs_link_info info;
	struct in_addr gaddr;
	struct cs_link *l;
	bool again = true;
	uint32_t lease;
	int ret;

retry:
	memset(out, 0, sizeof(*out));
	memset(&plan, 0, sizeof(plan));
	l = drv_rgm_prepare(d, call, gw, session, req, &info, &gaddr, &lease);
	if (!l)
		return -1;
	if (ports) {
		/* the ports it had, whatever the strategy: the media server
		 * streams to those; port-in-use fails it */
		memcpy(plan.port, ports, req->n_streams * sizeof(*ports));
		ret = drv_rgm_map(d, l, call, gw, session, req, lease, gaddr, &plan, out);
		goto out;
	}
	switch (gw->strategy) {
	case CS_STRATEGY_PROPOSE:
		ret = drv_rgm_propose(d, l, call, gw, session, req, lease, &info, gaddr, out);
		break;
	case CS_STRATEGY_GATEWAY_CHOOSES:
		ret = drv_rgm_map(d, l, call, gw, session, req, lease, gaddr, &plan, out);
		break;
	case CS_STRATEGY_RESERVE_COMMIT:
		ret = drv_rgm_reserve_commit(d, l, call, gw, session, req, lease, gaddr, out);
		break;
	case CS_STRATEGY_QUERY_FIRST:
	default:
		ret = drv_rgm_query_first(d, l, call, gw, session, req, lease, gaddr, out);
		break;
	}
out:
	/* built from the previous connection's hello, refused, and the new
	 * one says otherwise: once more, from the new hello (the failed
	 * attempt rolled back what it made) */
	if (ret && again && cs_link_hello_changed(l, &info)) {
		cs_log(CS_LOG_INFO, "gateway %s: session %s: the gateway came back with "
		       "other addresses, ports or lease-max (%s): again with those",
		       gw->rec.id, session, call->err.msg);
		cs_link_put(l);
		memset(&call->err, 0, sizeof(call->err));
		again = false;
		goto retry;
	}
	cs_link_put(l);
	return ret;
}

static int drv_rgm_configure(void *state, struct cs_call *call, const struct cs_gateway *gw,
			     const char *session, const struct rgm_api_configure *req,
			     struct cs_configured *out)
{
	return drv_rgm_install(state, call, gw, session, req, NULL, out);
}

static int drv_rgm_restore(void *state, struct cs_call *call, const struct cs_gateway *gw,
			   const char *session, const struct rgm_api_configure *req,
			   const uint16_t *ports, struct cs_configured *out)
{
	return drv_rgm_install(state, call, gw, session, req, ports, out);
}

static int drv_rgm_probe(void *state, struct cs_call *call, const struct cs_gateway *gw)
{
	struct drv_rgm *d = state;
	struct cs_link_info info;
	struct cs_link *l;
	int ret;

	/* it dials us when it is back, and says hello */
	if (gw->rec.mode == RGM_GW_CALL_HOME)
		return 0;
	l = drv_rgm_link(d, call, gw);
	if (!l)
		return -1;
	ret = cs_link_ready(l, call, &info);
	cs_link_put(l);
	return ret;
}

static int drv_rgm_renew(void *state, struct cs_call *call, const struct cs_gateway *gw,
			 const char *session, uint32_t lease)
{
	struct drv_rgm *d = state;
	struct json_object *o, *rep = NULL;
	struct cs_link_info info;
	struct cs_link *l;
	int ret = -1;

	bool again = true;
	uint32_t want = lease;

	l = drv_rgm_link(d, call, gw);
	if (!l)
		return -1;
retry:
	if (cs_link_ready_early(l, call, &info))
		goto out;
	lease = want;
	if (info.lease_max && lease > info.lease_max)
		lease = info.lease_max;
	o = drv_rgm_req_new("renew", session);
	json_object_object_add(o, "lease", json_object_new_int64(lease));
	ret = drv_rgm_send(l, call, gw, o, &rep);
	json_object_put(rep);
	rep = NULL;
	/* as in drv_rgm_install(): built from an older hello, refused */
	if (ret && again && cs_link_hello_changed(l, &info)) {
		memset(&call->err, 0, sizeof(call->err));
		again = false;
		goto retry;
	}
out:
	cs_link_put(l);
	return ret;
}

static int drv_rgm_close(void *state, struct cs_call *call, const struct cs_gateway *gw,
			 const char *session)
{
	struct drv_rgm *d = state;
	struct json_object *rep = NULL;
	struct cs_link *l;
	int ret;

	l = drv_rgm_link(d, call, gw);
	if (!l)
		return -1;
	ret = drv_rgm_send(l, call, gw, drv_rgm_req_new("unmap", session), &rep);
	json_object_put(rep);
	cs_link_put(l);
	return ret;
}

static struct json_object *drv_rgm_status(void *state, const struct cs_gateway *gw)
{
	struct drv_rgm *d = state;
	struct json_object *o = json_object_new_object(), *a, *p;
	struct cs_link_info info;
	struct cs_link *l;
	unsigned int i;

	if (!o)
		return NULL;
	json_object_object_add(o, "driver", json_object_new_string("rgm"));
	json_object_object_add(o, "strategy",
			       json_object_new_string(cs_strategy_name(gw->strategy)));
	l = cs_links_find(d->links, gw->rec.id);
	if (!l) {
		json_object_object_add(o, "connected", json_object_new_boolean(false));
		json_object_object_add(o, "last_contact", NULL);
		return o;
	}
	cs_link_info(l, &info);
	cs_link_put(l);
	json_object_object_add(o, "connected", json_object_new_boolean(info.connected));
	json_object_object_add(o, "epoch",
			       info.epoch[0] ? json_object_new_string(info.epoch) : NULL);
	a = json_object_new_array();
	for (i = 0; i < info.n_addrs; i++)
		json_object_array_add(a, drv_rgm_addr(info.addrs[i]));
	json_object_object_add(o, "global_addrs", a);
	p = NULL;
	if (info.has_ports) {
		p = json_object_new_object();
		json_object_object_add(p, "min", json_object_new_int(info.port_min));
		json_object_object_add(p, "max", json_object_new_int(info.port_max));
	}
	json_object_object_add(o, "ports", p);
	json_object_object_add(o, "lease_max", info.lease_max ?
			       json_object_new_int64(info.lease_max) : NULL);
	json_object_object_add(o, "in_flight", json_object_new_int(info.in_flight));
	json_object_object_add(o, "handshakes", json_object_new_int64(info.handshakes));
	json_object_object_add(o, "last_error", info.last_error[0] ?
			       json_object_new_string(info.last_error) : NULL);
	json_object_object_add(o, "last_contact", info.last_contact ?
			       json_object_new_int64(info.last_contact) : NULL);
	return o;
}

static int drv_rgm_setup(const struct cs_driver_env *env, void **state, char *err, size_t errlen)
{
	struct drv_rgm *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->connect_timeout_ms = env->connect_timeout_ms;
	if (cs_links_new(env, &d->links, err, errlen))
		goto err;
	if (env->callhome_listen && cs_callhome_start(env, d->links, &d->home, err, errlen))
		goto err;
	*state = d;
	return 0;
err:
	cs_links_free(d->links);
	free(d);
	return -1;
}

static void drv_rgm_teardown(void *state)
{
	struct drv_rgm *d = state;

	if (!d)
		return;
	cs_callhome_stop(d->home);
	cs_links_free(d->links);
	free(d);
}

const struct cs_driver cs_driver_rgm = {
	.name		= "rgm",
	.setup		= drv_rgm_setup,
	.teardown	= drv_rgm_teardown,
	.configure	= drv_rgm_configure,
	.renew		= drv_rgm_renew,
	.close		= drv_rgm_close,
	.restore	= drv_rgm_restore,
	.probe		= drv_rgm_probe,
	.status		= drv_rgm_status,
};
