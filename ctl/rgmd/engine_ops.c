// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd request handlers, one per op of Documentation/protocol.rst but map
 * (engine_map.c), and the checks and port choice the map op shares. Each
 * op fills the reply object (already {"v","id","ok":true}) or returns -1
 * with the protocol error in perr. Policy is applied here whatever the
 * server asks; the kernel's own checks stay behind it as a second line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include <json-c/json.h>

#include "clock.h"
#include "engine_int.h"
#include "engine_ops.h"
#include "engine_session.h"
#include "rgm_dp.h"
#include "rgm_policy.h"
#include "rgm_proto.h"

int rgmd_ops_fail(struct rgm_proto_error *perr, enum rgm_err code, const char *fmt, ...)
{
	va_list ap;

	perr->code = code;
	va_start(ap, fmt);
	vsnprintf(perr->msg, sizeof(perr->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Kernel errno to protocol code, with the kernel's extack text. */
int rgmd_ops_kfail(struct rgmd_engine *e, struct rgm_proto_error *perr, const char *what,
		   int err)
{
	enum rgm_err code;

	switch (-err) {
	case EEXIST:
		code = RGM_ERR_PORT_IN_USE;
		break;
	case ENOSPC:
		code = RGM_ERR_TABLE_FULL;
		break;
	case ERANGE:
		code = RGM_ERR_POLICY_DENIED;
		break;
	case EADDRNOTAVAIL:
	case EINVAL:
		code = RGM_ERR_BAD_REQUEST;
		break;
	default:
		/* EPERM/ENOENT/ENOMEM/...: rgmd itself is broken, not the request */
		code = RGM_ERR_INTERNAL;
		break;
	}
	return rgmd_ops_fail(perr, code, "kernel refused %s: %s", what, rgm_dp_errmsg(e->nl));
}

int rgmd_ops_kcfg_refresh(struct rgmd_engine *e, struct rgm_proto_error *perr)
{
	int ret = rgm_dp_config_get(e->nl, &e->kcfg);

	if (ret)
		return rgmd_ops_kfail(e, perr, "config get", ret);
	return 0;
}

/* Ports both the policy and the kernel allow. */
int rgmd_ops_range(const struct rgmd_engine *e, uint16_t *lo, uint16_t *hi,
		   struct rgm_proto_error *perr)
{
	*lo = e->pol.port_min > e->kcfg.port_min ? e->pol.port_min : e->kcfg.port_min;
	*hi = e->pol.port_max < e->kcfg.port_max ? e->pol.port_max : e->kcfg.port_max;
	if (*lo > *hi)
		return rgmd_ops_fail(perr, RGM_ERR_POLICY_DENIED,
				     "policy ports %u-%u and kernel range %u-%u do not overlap",
				     e->pol.port_min, e->pol.port_max, e->kcfg.port_min,
				     e->kcfg.port_max);
	return 0;
}

int rgmd_ops_port_ok(const struct rgmd_engine *e, uint16_t port,
		     struct rgm_proto_error *perr)
{
	if (rgm_policy_check_port(&e->pol, port, perr->msg, sizeof(perr->msg))) {
		perr->code = RGM_ERR_POLICY_DENIED;
		return -1;
	}
	if (port < e->kcfg.port_min || port > e->kcfg.port_max)
		return rgmd_ops_fail(perr, RGM_ERR_POLICY_DENIED,
				     "global port %u is outside the kernel's managed range %u-%u",
				     port, e->kcfg.port_min, e->kcfg.port_max);
	return 0;
}

int rgmd_ops_global_addr(const struct rgmd_engine *e, bool given, struct in_addr a,
			 struct in_addr *out, struct rgm_proto_error *perr)
{
	unsigned int i;

	if (!e->kcfg.n_addrs)
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL,
				     "the gateway has no global address configured");
	if (!given) {
		*out = e->kcfg.addrs[0];
		return 0;
	}
	for (i = 0; i < e->kcfg.n_addrs; i++) {
		if (e->kcfg.addrs[i].s_addr == a.s_addr) {
			*out = a;
			return 0;
		}
	}
	return rgmd_ops_fail(perr, RGM_ERR_BAD_REQUEST,
			     "%s is not a global address of this gateway", inet_ntoa(a));
}

/*
 * Session by name. A cookie match with another name is an FNV collision: the
 * kernel could not tell the two apart, so the second name is refused.
 */
int rgmd_ops_session_lookup(struct rgmd_engine *e, const struct rgmd_peer *peer,
			    const char *name, struct rgmd_session **out,
			    struct rgm_proto_error *perr)
{
	uint64_t cookie = rgm_proto_cookie(name);
	struct rgmd_session *s;

	*out = NULL;
	if (!cookie)
		return rgmd_ops_fail(perr, RGM_ERR_BAD_REQUEST,
				     "session id hashes to owner 0, which is reserved; use another");
	s = rgmd_session_by_cookie(e, cookie);
	if (!s)
		return 0;
	if (s->named && strcmp(s->name, name))
		return rgmd_ops_fail(perr, RGM_ERR_BAD_REQUEST,
				     "session id collides with session '%s' (same owner cookie)",
				     s->name);
	/* sessions are the peer's that made them; others do not see them */
	if (s->peer[0] && strcmp(s->peer, peer->name))
		return rgmd_ops_fail(perr, RGM_ERR_NO_SUCH_SESSION,
				     "no session '%s' for this peer", name);
	*out = s;
	return 0;
}

/* An adopted session gets its name from the first peer that gives it. */
void rgmd_ops_session_claim(struct rgmd_session *s, const struct rgmd_peer *peer,
			    const char *name)
{
	if (!s->named) {
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->named = true;
	}
	if (!s->peer[0])
		snprintf(s->peer, sizeof(s->peer), "%s", peer->name);
}

void rgmd_ops_ports_fill(const struct rgmd_engine *e, const struct rgmd_session *self,
			 uint8_t proto, struct in_addr addr, struct rgmd_ports *p)
{
	const struct rgmd_session *s;
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->proto = proto;
	p->addr = addr;
	for (i = 0; i < e->n_snap; i++)
		if (e->snap[i].proto == proto && e->snap[i].global_addr.s_addr == addr.s_addr)
			rgmd_ops_bit_set(p, e->snap[i].global_port);
	for (s = e->sessions; s; s = s->next) {
		if (s == self)
			continue;
		for (i = 0; i < s->n_resv; i++)
			if (s->resv[i].proto == proto && s->resv[i].addr.s_addr == addr.s_addr)
				rgmd_ops_bit_set(p, s->resv[i].port);
	}
}

/* Lowest free port (pairs: even port with its odd neighbour) in lo..hi. */
int rgmd_ops_ports_pick(const struct rgmd_ports *p, uint16_t lo, uint16_t hi, bool pair)
{
	uint32_t port;

	for (port = lo; port <= hi; port++) {
		if (pair && ((port & 1) || port + 1 > hi))
			continue;
		if (rgmd_ops_bit(p, port) || (pair && rgmd_ops_bit(p, port + 1)))
			continue;
		return port;
	}
	return -1;
}

unsigned int rgmd_ops_owned_count(const struct rgmd_engine *e)
{
	unsigned int i, n = 0;

	for (i = 0; i < e->n_snap; i++)
		n += !!e->snap[i].owner;
	return n;
}

int rgmd_ops_own_addrs(const struct rgmd_engine *e, struct in_addr *self)
{
	struct ifaddrs *ifa, *i;
	unsigned int n = 0, k;

	for (k = 0; k < e->kcfg.n_addrs && n < RGMD_SELF_ADDRS_MAX; k++)
		self[n++] = e->kcfg.addrs[k];
	if (getifaddrs(&ifa))
		return n;
	for (i = ifa; i && n < RGMD_SELF_ADDRS_MAX; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
			self[n++] = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
	freeifaddrs(ifa);
	return n;
}

int rgmd_ops_sync(struct rgmd_engine *e, struct rgm_proto_error *perr)
{
	int ret = rgmd_session_snapshot(e);

	if (ret)
		return rgmd_ops_kfail(e, perr, "dump", ret);
	if (rgmd_session_sync_all(e))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
}

static struct json_object *rgmd_ops_stream_types(uint32_t mask)
{
	struct json_object *a = json_object_new_array();
	unsigned int t;

	for (t = RGM_STREAM_TCP; a && t <= RGM_STREAM_MAX; t++)
		if (mask & (1U << t))
			json_object_array_add(a, json_object_new_string(rgm_policy_stream_name(t)));
	return a;
}

int rgmd_ops_hello(struct rgmd_engine *e, const struct rgm_req *req,
		   struct json_object *reply, struct rgm_proto_error *perr)
{
	struct json_object *v, *addrs, *ports, *limits;
	char epoch[20];
	uint16_t lo = 0, hi = 0;
	unsigned int i;
	bool overlap;

	if (rgmd_ops_kcfg_refresh(e, perr))
		return -1;
	/* hello answers even when nothing could be mapped: null ports say so */
	overlap = !rgmd_ops_range(e, &lo, &hi, perr);
	v = json_object_new_array();
	if (v)
		json_object_array_add(v, json_object_new_int(RGM_PROTO_VERSION));
	addrs = json_object_new_array();
	for (i = 0; addrs && i < e->kcfg.n_addrs; i++)
		json_object_array_add(addrs, rgm_proto_addr_new(e->kcfg.addrs[i]));
	ports = NULL;
	if (overlap) {
		ports = json_object_new_object();
		rgm_proto_add(ports, "min", json_object_new_int(lo));
		rgm_proto_add(ports, "max", json_object_new_int(hi));
	}
	limits = json_object_new_object();
	rgm_proto_add(limits, "max_per_host", json_object_new_int64(e->pol.max_per_host));
	rgm_proto_add(limits, "max_mappings", json_object_new_int64(e->pol.max_total));
	rgm_proto_add(limits, "streams_per_map", json_object_new_int(RGM_PROTO_STREAMS_MAX));
	rgm_proto_add(limits, "hold_max", json_object_new_int(RGM_PROTO_HOLD_MAX));
	snprintf(epoch, sizeof(epoch), "%016" PRIx64, e->epoch);
	if (rgm_proto_add(reply, "versions", v) ||
	    rgm_proto_add(reply, "gateway", json_object_new_string(e->gateway_id)) ||
	    rgm_proto_add(reply, "epoch", json_object_new_string(epoch)) ||
	    rgm_proto_add(reply, "global_addrs", addrs) ||
	    (overlap ? rgm_proto_add(reply, "ports", ports) :
	     json_object_object_add(reply, "ports", NULL)) ||
	    rgm_proto_add(reply, "lease_max", json_object_new_int64(
				  e->pol.lease_max < e->kcfg.lease_max ?
				  e->pol.lease_max : e->kcfg.lease_max)) ||
	    rgm_proto_add(reply, "streams", rgmd_ops_stream_types(e->pol.streams)) ||
	    rgm_proto_add(reply, "limits", limits))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
}

int rgmd_ops_query(struct rgmd_engine *e, const struct rgm_req *req,
		   struct json_object *reply, struct rgm_proto_error *perr)
{
	struct rgmd_ports *p;
	struct json_object *a;
	struct in_addr ga;
	uint16_t lo, hi;
	uint32_t n = 0;
	int port;

	if (rgm_policy_check_stream(&e->pol, req->stream, perr->msg, sizeof(perr->msg))) {
		perr->code = RGM_ERR_POLICY_DENIED;
		return -1;
	}
	if (rgmd_ops_kcfg_refresh(e, perr) || rgmd_ops_range(e, &lo, &hi, perr) ||
	    rgmd_ops_global_addr(e, req->has_global_addr, req->global_addr, &ga, perr) ||
	    rgmd_ops_sync(e, perr))
		return -1;
	p = malloc(sizeof(*p));
	a = json_object_new_array();
	if (!p || !a) {
		free(p);
		json_object_put(a);
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	}
	/* every reservation is taken here, the asking session's too */
	rgmd_ops_ports_fill(e, NULL, req->proto, ga, p);
	while (n < req->count && (port = rgmd_ops_ports_pick(p, lo, hi, req->pairs)) >= 0) {
		json_object_array_add(a, json_object_new_int(port));
		rgmd_ops_bit_set(p, port);
		if (req->pairs)
			rgmd_ops_bit_set(p, port + 1);
		n++;
	}
	free(p);
	if (n < req->count) {
		json_object_put(a);
		return rgmd_ops_fail(perr, RGM_ERR_TABLE_FULL, "only %u free %s in %u-%u", n,
				     req->pairs ? "pairs" : "ports", lo, hi);
	}
	if (rgm_proto_add(reply, "global_addr", rgm_proto_addr_new(ga)) ||
	    rgm_proto_add(reply, "ports", a))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
}

int rgmd_ops_reserve(struct rgmd_engine *e, const struct rgmd_peer *peer,
		     const struct rgm_req *req, struct json_object *reply,
		     struct rgm_proto_error *perr)
{
	uint16_t want[RGM_PROTO_RESERVE_MAX], lo, hi;
	struct rgmd_session *s, *other;
	struct rgmd_resv *r;
	struct rgmd_ports *p;
	struct json_object *a;
	unsigned int n = 0, fresh = 0, i;
	struct in_addr ga;
	uint64_t deadline;
	bool created = false;
	int port;

	if (rgm_policy_check_stream(&e->pol, req->stream, perr->msg, sizeof(perr->msg))) {
		perr->code = RGM_ERR_POLICY_DENIED;
		return -1;
	}
	if (rgmd_ops_kcfg_refresh(e, perr) || rgmd_ops_range(e, &lo, &hi, perr) ||
	    rgmd_ops_global_addr(e, req->has_global_addr, req->global_addr, &ga, perr) ||
	    rgmd_ops_sync(e, perr) ||
	    rgmd_ops_session_lookup(e, peer, req->session, &s, perr))
		return -1;

	p = malloc(sizeof(*p));
	if (!p)
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	rgmd_ops_ports_fill(e, s, req->proto, ga, p);
	if (req->n_ports) {
		for (i = 0; i < req->n_ports; i++) {
			if (rgmd_ops_port_ok(e, req->ports[i], perr))
				goto fail;
			if (rgmd_ops_bit(p, req->ports[i])) {
				other = NULL;
				rgmd_session_resv_find(e, req->proto, ga, req->ports[i], &other);
				rgmd_ops_fail(perr, RGM_ERR_PORT_IN_USE, "port %u is %s",
					      req->ports[i],
					      other ? "reserved by another session" : "mapped");
				goto fail;
			}
			want[n++] = req->ports[i];
		}
	} else {
		/* chosen ports skip this session's own reservations too */
		for (i = 0; s && i < s->n_resv; i++)
			if (s->resv[i].proto == req->proto && s->resv[i].addr.s_addr == ga.s_addr)
				rgmd_ops_bit_set(p, s->resv[i].port);
		while (n < (req->pairs ? 2 * req->count : req->count)) {
			port = rgmd_ops_ports_pick(p, lo, hi, req->pairs);
			if (port < 0) {
				rgmd_ops_fail(perr, RGM_ERR_TABLE_FULL, "no free %s left in %u-%u",
					      req->pairs ? "pair" : "port", lo, hi);
				goto fail;
			}
			rgmd_ops_bit_set(p, port);
			want[n++] = port;
			if (req->pairs) {
				rgmd_ops_bit_set(p, port + 1);
				want[n++] = port + 1;
			}
		}
	}
	for (i = 0; i < n; i++)
		fresh += !(s && rgmd_session_resv_find(e, req->proto, ga, want[i], NULL));
	if ((s ? s->n_resv : 0) + fresh > RGMD_RESV_PER_SESSION) {
		rgmd_ops_fail(perr, RGM_ERR_POLICY_DENIED,
			      "a session may hold at most %d reserved ports",
			      RGMD_RESV_PER_SESSION);
		goto fail;
	}
	/* a reserved port counts towards max-mappings while it is held */
	if (rgmd_ops_owned_count(e) + rgmd_session_resv_total(e) + fresh > e->pol.max_total) {
		rgmd_ops_fail(perr, RGM_ERR_POLICY_DENIED,
			      "%u reserved ports would exceed max-mappings %u",
			      fresh, e->pol.max_total);
		goto fail;
	}
	if (!s) {
		s = rgmd_session_new(e, rgm_proto_cookie(req->session));
		if (!s) {
			rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
			goto fail;
		}
		created = true;
	}
	a = json_object_new_array();
	if (!a) {
		rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	rgmd_ops_session_claim(s, peer, req->session);
	deadline = rgmd_clock_ms() + (uint64_t)req->hold * 1000;
	for (i = 0; i < n; i++) {
		r = rgmd_session_resv_find(e, req->proto, ga, want[i], NULL);
		if (!r) {
			r = &s->resv[s->n_resv++];
			r->proto = req->proto;
			r->addr = ga;
			r->port = want[i];
		}
		/* asking again for a held port extends its hold */
		r->deadline = deadline;
		r->conn_id = peer->conn_id;
		json_object_array_add(a, json_object_new_int(want[i]));
	}
	free(p);
	if (rgm_proto_add(reply, "session", json_object_new_string(req->session)) ||
	    rgm_proto_add(reply, "global_addr", rgm_proto_addr_new(ga)) ||
	    rgm_proto_add(reply, "ports", a) ||
	    rgm_proto_add(reply, "hold", json_object_new_int64(req->hold)))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
fail:
	free(p);
	if (created)
		rgmd_session_free(e, s);
	return -1;
}

int rgmd_ops_renew(struct rgmd_engine *e, const struct rgmd_peer *peer,
		   const struct rgm_req *req, struct json_object *reply,
		   struct rgm_proto_error *perr)
{
	struct rgm_sel sel = { .kind = RGM_SEL_OWNER };
	struct rgmd_session *s;
	uint32_t count = 0;
	unsigned int i;
	int ret;

	if (rgmd_ops_sync(e, perr) || rgmd_ops_session_lookup(e, peer, req->session, &s, perr))
		return -1;
	if (!s || !s->n_maps)
		return rgmd_ops_fail(perr, RGM_ERR_NO_SUCH_SESSION, "no mappings for session '%s'",
				     req->session);
	if (rgm_policy_check_lease(&e->pol, req->lease, perr->msg, sizeof(perr->msg))) {
		perr->code = RGM_ERR_POLICY_DENIED;
		return -1;
	}
	rgmd_ops_session_claim(s, peer, req->session);
	sel.owner = s->cookie;
	ret = rgm_dp_map_renew(e->nl, &sel, req->lease, &count);
	if (ret)
		return rgmd_ops_kfail(e, perr, "renew", ret);
	for (i = 0; i < s->n_maps; i++)
		s->maps[i].lease = s->maps[i].expires = req->lease;
	if (rgm_proto_add(reply, "session", json_object_new_string(req->session)) ||
	    rgm_proto_add(reply, "lease", json_object_new_int64(req->lease)) ||
	    rgm_proto_add(reply, "count", json_object_new_int64(count)))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
}

int rgmd_ops_unmap(struct rgmd_engine *e, const struct rgmd_peer *peer,
		   const struct rgm_req *req, struct json_object *reply,
		   struct rgm_proto_error *perr)
{
	struct rgm_sel sel = { .kind = RGM_SEL_OWNER };
	struct rgmd_session *s;
	uint32_t count = 0;
	unsigned int released;
	int ret;

	if (rgmd_ops_sync(e, perr) || rgmd_ops_session_lookup(e, peer, req->session, &s, perr))
		return -1;
	if (!s)
		return rgmd_ops_fail(perr, RGM_ERR_NO_SUCH_SESSION, "no session '%s'",
				     req->session);
	sel.owner = s->cookie;
	ret = rgm_dp_map_del(e->nl, &sel, &count);
	if (ret)
		return rgmd_ops_kfail(e, perr, "unmap", ret);
	released = s->n_resv;
	rgmd_session_free(e, s);
	if (rgm_proto_add(reply, "session", json_object_new_string(req->session)) ||
	    rgm_proto_add(reply, "count", json_object_new_int64(count)) ||
	    rgm_proto_add(reply, "released", json_object_new_int64(released)))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
}

static struct json_object *rgmd_ops_session_json(const struct rgmd_session *s)
{
	struct json_object *o = json_object_new_object(), *maps, *resv, *r;
	char owner[20];
	uint64_t now = rgmd_clock_ms();
	unsigned int i;

	snprintf(owner, sizeof(owner), "%016" PRIx64, s->cookie);
	maps = json_object_new_array();
	for (i = 0; maps && i < s->n_maps; i++)
		json_object_array_add(maps, rgm_proto_mapping_new(&s->maps[i]));
	resv = json_object_new_array();
	for (i = 0; resv && i < s->n_resv; i++) {
		r = json_object_new_object();
		rgm_proto_add(r, "type", json_object_new_string(
				      s->resv[i].proto == IPPROTO_TCP ? "tcp" : "udp"));
		rgm_proto_add(r, "global_addr", rgm_proto_addr_new(s->resv[i].addr));
		rgm_proto_add(r, "port", json_object_new_int(s->resv[i].port));
		rgm_proto_add(r, "hold_left_ms", json_object_new_int64(
				      s->resv[i].deadline > now ? s->resv[i].deadline - now : 0));
		json_object_array_add(resv, r);
	}
	if ((s->named ? rgm_proto_add(o, "session", json_object_new_string(s->name)) :
	     json_object_object_add(o, "session", NULL)) ||
	    rgm_proto_add(o, "owner", json_object_new_string(owner)) ||
	    rgm_proto_add(o, "adopted", json_object_new_boolean(s->adopted)) ||
	    rgm_proto_add(o, "mappings", maps) ||
	    rgm_proto_add(o, "reserved", resv)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int rgmd_ops_list(struct rgmd_engine *e, const struct rgmd_peer *peer,
		  const struct rgm_req *req, struct json_object *reply,
		  struct rgm_proto_error *perr)
{
	struct json_object *a = json_object_new_array();
	struct rgmd_session *s;

	if (!a)
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	if (rgmd_ops_sync(e, perr))
		goto fail;
	if (req->has_session) {
		if (rgmd_ops_session_lookup(e, peer, req->session, &s, perr))
			goto fail;
		if (!s) {
			rgmd_ops_fail(perr, RGM_ERR_NO_SUCH_SESSION, "no session '%s'",
				      req->session);
			goto fail;
		}
		rgmd_ops_session_claim(s, peer, req->session);
		json_object_array_add(a, rgmd_ops_session_json(s));
	} else {
		/* this peer's sessions, and adopted ones nobody has claimed yet */
		for (s = e->sessions; s; s = s->next)
			if (!s->peer[0] || !strcmp(s->peer, peer->name))
				json_object_array_add(a, rgmd_ops_session_json(s));
	}
	if (rgm_proto_add(reply, "sessions", a))
		return rgmd_ops_fail(perr, RGM_ERR_INTERNAL, "out of memory");
	return 0;
fail:
	json_object_put(a);
	return -1;
}
