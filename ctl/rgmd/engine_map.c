// SPDX-License-Identifier: GPL-2.0
/*
 * The map op: policy checks, port choice (named, reserved or chosen),
 * retries of the same request, and the one all-or-none kernel batch.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine_int.h"
#include "engine_map.h"
#include "engine_ops.h"
#include "engine_session.h"
#include "rgm_dp.h"
#include "rgm_policy.h"
#include "rgm_proto.h"

/*
 * A retried map: the session's installed tuples must be exactly what the
 * request describes (ports the gateway chose match whatever it chose).
 * Fills first[i] with the index of stream i's first tuple in s->maps.
 */
static bool rgmd_map_matches(const struct rgmd_session *s, const struct rgm_req *req,
			     unsigned int *first)
{
	bool used[2 * RGM_PROTO_STREAMS_MAX] = { false };
	unsigned int i, j, k, need = 0;

	for (i = 0; i < req->n_streams; i++)
		need += req->streams[i].rtcp ? 2 : 1;
	if (need != s->n_maps || s->n_maps > 2 * RGM_PROTO_STREAMS_MAX)
		return false;
	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_req_stream *st = &req->streams[i];

		for (j = 0; j < s->n_maps; j++) {
			const struct rgm_map *m = &s->maps[j];

			if (used[j] || m->proto != st->proto || m->stream != st->stream ||
			    m->local_addr.s_addr != st->local_addr.s_addr ||
			    m->local_port != st->local_port ||
			    m->server_addr.s_addr != st->server_addr.s_addr ||
			    m->server_port != st->server_port ||
			    (st->has_global_addr && m->global_addr.s_addr != st->global_addr.s_addr) ||
			    (st->global_port && m->global_port != st->global_port))
				continue;
			if (st->rtcp) {
				for (k = 0; k < s->n_maps; k++) {
					const struct rgm_map *c = &s->maps[k];

					if (!used[k] && k != j && c->proto == m->proto &&
					    c->stream == m->stream &&
					    c->global_addr.s_addr == m->global_addr.s_addr &&
					    c->global_port == m->global_port + 1 &&
					    c->local_addr.s_addr == m->local_addr.s_addr &&
					    c->local_port == m->local_port + 1 &&
					    c->server_addr.s_addr == m->server_addr.s_addr &&
					    c->server_port == (m->server_port ? m->server_port + 1 : 0))
						break;
				}
				if (k == s->n_maps)
					continue;
				used[k] = true;
			}
			used[j] = true;
			first[i] = j;
			break;
		}
		if (j == s->n_maps)
			return false;
	}
	return true;
}

static int rgmd_map_reply(struct json_object *reply, const struct rgm_req *req,
			  const struct rgm_map *maps, const unsigned int *first,
			  bool replayed)
{
	struct json_object *a = json_object_new_array(), *o, *ids;
	unsigned int i;
	const struct rgm_map *m;

	for (i = 0; a && i < req->n_streams; i++) {
		m = &maps[first[i]];
		o = json_object_new_object();
		ids = json_object_new_array();
		if (!o || !ids) {
			json_object_put(o);
			json_object_put(ids);
			goto oom;
		}
		json_object_array_add(ids, json_object_new_int64(m->id));
		/* an rtcp stream's second tuple follows its first in maps */
		if (req->streams[i].rtcp)
			json_object_array_add(ids, json_object_new_int64(maps[first[i] + 1].id));
		if (rgm_proto_add(o, "global_addr", rgm_proto_addr_new(m->global_addr)) ||
		    rgm_proto_add(o, "global_port", json_object_new_int(m->global_port)) ||
		    (req->streams[i].rtcp &&
		     rgm_proto_add(o, "rtcp_port", json_object_new_int(m->global_port + 1))) ||
		    rgm_proto_add(o, "mapping_ids", ids) ||
		    json_object_array_add(a, o)) {
			json_object_put(o);
			goto oom;
		}
	}
	if (rgm_proto_add(reply, "session", json_object_new_string(req->session)) ||
	    rgm_proto_add(reply, "lease", json_object_new_int64(req->lease)) ||
	    rgm_proto_add(reply, "replayed", json_object_new_boolean(replayed)) ||
	    rgm_proto_add(reply, "streams", a))
		return -1;
	return 0;
oom:
	json_object_put(a);
	return -1;
}

/* Reply for a replay: each stream's tuples looked up again by port. */
static int rgmd_map_replay(struct rgmd_engine *e, struct rgmd_session *s,
			   const struct rgm_req *req, const unsigned int *first,
			   struct json_object *reply, struct rgm_proto_error *perr)
{
	struct rgm_map *maps;
	unsigned int idx[RGM_PROTO_STREAMS_MAX], i, j, n = 0;
	struct rgm_sel sel = { .kind = RGM_SEL_OWNER, .owner = s->cookie };
	uint32_t count;
	int ret;

	/* a retry also renews the lease to what it asks for */
	ret = rgm_dp_map_renew(e->nl, &sel, req->lease, &count);
	if (ret)
		return rgmd_ops_kfail(e, perr, "renew", ret);
	maps = calloc(2 * req->n_streams, sizeof(*maps));
	if (!maps)
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_map *m = &s->maps[first[i]];

		idx[i] = n;
		maps[n++] = *m;
		if (req->streams[i].rtcp) {
			for (j = 0; j < s->n_maps; j++)
				if (s->maps[j].proto == m->proto &&
				    s->maps[j].global_addr.s_addr == m->global_addr.s_addr &&
				    s->maps[j].global_port == m->global_port + 1)
					break;
			maps[n++] = j < s->n_maps ? s->maps[j] : *m;
		}
	}
	ret = rgmd_map_reply(reply, req, maps, idx, true);
	free(maps);
	if (ret)
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
}

struct rgmd_map_ctx {
	struct rgmd_ports *ports[2 * RGM_PROTO_STREAMS_MAX];
	unsigned int n_ports;
	bool consume[RGMD_RESV_PER_SESSION];
};

static struct rgmd_ports *rgmd_map_ports(struct rgmd_engine *e, struct rgmd_session *s,
					 struct rgmd_map_ctx *c, uint8_t proto, struct in_addr a)
{
	struct rgmd_ports *p;
	unsigned int i;

	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i]->proto == proto && c->ports[i]->addr.s_addr == a.s_addr)
			return c->ports[i];
	p = malloc(sizeof(*p));
	if (!p)
		return NULL;
	rgmd_ops_ports_fill(e, s, proto, a, p);
	c->ports[c->n_ports++] = p;
	return p;
}

/* Index of the session's reservation of (proto, addr, port) not yet used. */
static int rgmd_map_own_resv(const struct rgmd_session *s, const struct rgmd_map_ctx *c,
			     uint8_t proto, struct in_addr a, uint16_t port)
{
	unsigned int i;

	for (i = 0; s && i < s->n_resv; i++)
		if (!c->consume[i] && s->resv[i].proto == proto &&
		    s->resv[i].addr.s_addr == a.s_addr && s->resv[i].port == port)
			return i;
	return -1;
}

/*
 * Picks stream st's global port. Named: must be free (or this session's
 * reservation). reserved: one of this session's reservations. Otherwise the
 * session's reservations first, then the lowest free port.
 */
static int rgmd_map_port(struct rgmd_engine *e, struct rgmd_session *s,
			 struct rgmd_map_ctx *c, const struct rgm_req_stream *st,
			 unsigned int idx, struct in_addr ga, uint16_t lo, uint16_t hi,
			 uint16_t *out, struct rgm_proto_error *perr)
{
	unsigned int k = st->rtcp ? 2 : 1, j, i;
	struct rgmd_ports *p = rgmd_map_ports(e, s, c, st->proto, ga);
	struct rgmd_session *other;
	int r, r2, port = -1;

	if (!p)
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	if (st->global_port) {
		for (j = 0; j < k; j++) {
			uint16_t pp = st->global_port + j;

			if (rgmd_ops_port_ok(e, pp, perr))
				return -1;
			r = rgmd_map_own_resv(s, c, st->proto, ga, pp);
			if (st->reserved && r < 0)
				return rgmd_ops_fail(perr, RGM_ERR_NOT_RESERVED,
						     "streams[%u]: port %u is not reserved by this session",
						     idx, pp);
			if (rgmd_ops_bit(p, pp)) {
				other = NULL;
				rgmd_session_resv_find(e, st->proto, ga, pp, &other);
				return rgmd_ops_fail(perr, RGM_ERR_PORT_IN_USE,
						     "streams[%u]: port %u is %s", idx, pp,
						     other && other != s ?
						     "reserved by another session" : "mapped");
			}
		}
		port = st->global_port;
	} else {
		/* the session's reservations, in the order they were made */
		for (i = 0; s && i < s->n_resv && port < 0; i++) {
			const struct rgmd_resv *rv = &s->resv[i];

			if (c->consume[i] || rv->proto != st->proto ||
			    rv->addr.s_addr != ga.s_addr || rgmd_ops_bit(p, rv->port))
				continue;
			if (st->rtcp) {
				if ((rv->port & 1) || rv->port + 1 > hi)
					continue;
				r2 = rgmd_map_own_resv(s, c, st->proto, ga, rv->port + 1);
				if (r2 < 0 &&
				    (!st->reserved ? rgmd_ops_bit(p, rv->port + 1) : true))
					continue;
			}
			port = rv->port;
		}
		if (port < 0 && st->reserved)
			return rgmd_ops_fail(perr, RGM_ERR_NOT_RESERVED,
					     "streams[%u]: this session holds no reserved %s left",
					     idx, st->rtcp ? "pair" : "port");
		if (port < 0)
			port = rgmd_ops_ports_pick(p, lo, hi, st->rtcp);
		if (port < 0)
			return rgmd_ops_fail(perr, RGM_ERR_TABLE_FULL,
					     "streams[%u]: no free global %s left in %u-%u",
					     idx, st->rtcp ? "pair" : "port", lo, hi);
	}
	for (j = 0; j < k; j++) {
		rgmd_ops_bit_set(p, port + j);
		r = rgmd_map_own_resv(s, c, st->proto, ga, port + j);
		if (r >= 0)
			c->consume[r] = true;
	}
	*out = port;
	return 0;
}

int rgmd_map_op(struct rgmd_engine *e, const struct rgmd_peer *peer,
		const struct rgm_req *req, struct json_object *reply,
		struct rgm_proto_error *perr)
{
	struct in_addr self[RGMD_SELF_ADDRS_MAX], ga;
	struct rgm_map maps[2 * RGM_PROTO_STREAMS_MAX];
	unsigned int first[RGM_PROTO_STREAMS_MAX];
	struct rgmd_map_ctx c = { .n_ports = 0 };
	unsigned int n_self, n = 0, i, j, hosts, total, consumed = 0;
	struct rgmd_session *s;
	uint16_t lo, hi, port = 0;
	bool created = false;
	int ret = -1;

	if (rgmd_ops_kcfg_refresh(e, perr) || rgmd_ops_range(e, &lo, &hi, perr) ||
	    rgmd_ops_sync(e, perr) ||
	    rgmd_ops_session_lookup(e, peer, req->session, &s, perr))
		return -1;

	if (s && s->n_maps) {
		rgmd_ops_session_claim(s, peer, req->session);
		if (rgmd_map_matches(s, req, first))
			return rgmd_map_replay(e, s, req, first, reply, perr);
		return rgmd_ops_fail(perr, RGM_ERR_BAD_REQUEST,
				     "session '%s' already has other mappings: unmap it first",
				     req->session);
	}

	/* policy, whatever the server says */
	if (rgm_policy_check_lease(&e->pol, req->lease, perr->msg, sizeof(perr->msg)))
		goto denied;
	n_self = rgmd_ops_own_addrs(e, self);
	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_req_stream *st = &req->streams[i];
		char msg[RGM_PROTO_MSG_MAX - 16];

		if (rgm_policy_check_stream(&e->pol, st->stream, msg, sizeof(msg)) ||
		    rgm_policy_check_local(&e->pol, st->local_addr, self, n_self, msg,
					   sizeof(msg))) {
			snprintf(perr->msg, sizeof(perr->msg), "streams[%u]: %s", i, msg);
			goto denied;
		}
	}
	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_req_stream *st = &req->streams[i];

		hosts = 0;
		for (j = 0; j < e->n_snap; j++)
			hosts += e->snap[j].owner &&
				 e->snap[j].local_addr.s_addr == st->local_addr.s_addr;
		for (j = 0; j < req->n_streams; j++)
			if (req->streams[j].local_addr.s_addr == st->local_addr.s_addr)
				hosts += req->streams[j].rtcp ? 2 : 1;
		if (rgm_policy_check_counts(&e->pol, st->local_addr, hosts, 0, perr->msg,
					    sizeof(perr->msg)))
			goto denied;
	}

	/* ports: named, reserved or chosen; nothing is installed yet */
	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_req_stream *st = &req->streams[i];

		if (rgmd_ops_global_addr(e, st->has_global_addr, st->global_addr, &ga, perr) ||
		    rgmd_map_port(e, s, &c, st, i, ga, lo, hi, &port, perr))
			goto out;
		first[i] = n;
		for (j = 0; j < (st->rtcp ? 2u : 1u); j++) {
			struct rgm_map *m = &maps[n++];

			memset(m, 0, sizeof(*m));
			m->proto = st->proto;
			m->stream = st->stream;
			m->global_addr = ga;
			m->global_port = port + j;
			m->local_addr = st->local_addr;
			m->local_port = st->local_port + j;
			m->server_addr = st->server_addr;
			m->server_port = st->server_port ? st->server_port + j : 0;
			m->lease = req->lease;
			m->owner = rgm_proto_cookie(req->session);
		}
	}
	for (i = 0; i < RGMD_RESV_PER_SESSION; i++)
		consumed += c.consume[i];
	total = rgmd_ops_owned_count(e) + rgmd_session_resv_total(e) - consumed + n;
	if (rgm_policy_check_counts(&e->pol, req->streams[0].local_addr, 0, total, perr->msg,
				    sizeof(perr->msg)))
		goto denied;

	/* one batch: the kernel installs all or none */
	ret = rgm_dp_map_add(e->nl, maps, n);
	if (ret) {
		ret = rgmd_ops_kfail(e, perr, "map", ret);
		goto out;
	}
	if (!s) {
		s = rgmd_session_new(e, rgm_proto_cookie(req->session));
		created = true;
	}
	ret = -1;
	if (!s) {
		rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory (mappings installed)");
		goto out;
	}
	rgmd_ops_session_claim(s, peer, req->session);
	for (i = s->n_resv; i-- > 0;)
		if (c.consume[i])
			rgmd_session_resv_del(s, i);
	for (i = 0; i < n; i++)
		if (rgmd_session_add_map(s, &maps[i])) {
			rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory (mappings installed)");
			goto out;
		}
	created = false;
	if (rgmd_map_reply(reply, req, maps, first, false)) {
		rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory (mappings installed)");
		goto out;
	}
	ret = 0;
	goto out;
denied:
	perr->code = RGM_ERR_POLICY_DENIED;
	ret = -1;
out:
	if (created && s && !s->n_maps && !s->n_resv)
		rgmd_session_free(e, s);
	for (i = 0; i < c.n_ports; i++)
		free(c.ports[i]);
	return ret;
}

