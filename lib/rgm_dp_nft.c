// SPDX-License-Identifier: GPL-2.0
/*
 * The nftables dataplane (rgm_dp.h): the behaviour of rgm.ko built from one
 * nftables table, "table ip rgm", driven through libnftables. Nothing of the
 * operator's ruleset is read or written; rgm's state is the table's content,
 * so every process sees the same mappings and a restarted rgmd adopts them.
 *
 * A mapping is one element in each of these sets, all added or removed in
 * one nftables transaction, all with the lease as element timeout (the
 * kernel forgets an expired mapping even when no agent runs):
 *
 *   dnat_to    key -> local addr . port; the comment keeps what a dump
 *              needs besides (id, owner, stream, lease, server filter)
 *   srv_full, srv_addr, srv_port, srv_any
 *              key with the server filter (one of them, by which parts of
 *              the filter are set): new flows from other servers are dropped
 *   rtp_keys   key of rtp mappings: their datagrams must be RTP version 2
 *   bound_in, bound_out
 *              key . local addr . port, with counters: every packet of an
 *              established flow must find its mapping here (a deleted or
 *              re-pointed mapping cuts it); counts WAN to LAN and replies
 *   drops      key, with a counter: packets dropped for this mapping
 *
 * where key is "l4proto . global addr . global port". Every lookup is an
 * exact-match hash lookup: per-packet cost does not grow with the number of
 * mappings. Packet counters restart when an element is re-added (renew);
 * the element's comment carries the count so far ("base=packets/bytes").
 *
 * The configuration lives in the table too: set gaddrs (global addresses),
 * interval set ports (managed range), map cfg (the numbers below), and
 * named counters for the packet path's statistics. Map gone tells events
 * handles why a mapping went: id -> rgm_reason for a minute after a delete
 * (nothing there: its lease ran out).
 *
 * Read-modify-write (id allocation, the mapping limit, config checks) is
 * serialized between processes with a lock file (RGM_NFT_LOCK, /run/rgmd
 * whatever rgmd's state-dir, as rgmctl must find it too); the kernel
 * applies each transaction atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>

#include <json-c/json.h>
#include <nftables/libnftables.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "rgm_dp.h"
#include "rgm_log.h"

#define RGM_NFT_TABLE	"rgm"
#define RGM_NFT_VERSION	1
/* rgmd's runtime folder: writable under rgmd.service's ProtectSystem=strict */
#define RGM_NFT_LOCK_DIR "/run/rgmd"
#define RGM_NFT_LOCK	RGM_NFT_LOCK_DIR "/nft.lock"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Keys of map cfg. */
enum rgm_nft_cfg {
	RGM_NFT_CFG_VERSION,
	RGM_NFT_CFG_MAX_MAPPINGS,
	RGM_NFT_CFG_LEASE_MAX,
	RGM_NFT_CFG_NEXT_ID,
	RGM_NFT_CFG_ADDED,
	RGM_NFT_CFG_DELETED,
	RGM_NFT_CFG_N
};

/* The fixed part of the table: sets, counters, chains. */
static const char rgm_nft_skeleton[] =
"table ip rgm {\n"
"	comment \"rgm dataplane: managed by rgmd, see Documentation/dataplanes.rst\"\n"
"	set gaddrs { type ipv4_addr; }\n"
"	set ports { type inet_service; flags interval; }\n"
"	map cfg { type mark : mark; }\n"
"	map gone { type mark : mark; flags timeout; }\n"
"	map dnat_to { type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service; flags timeout; }\n"
"	set srv_full { type inet_proto . ipv4_addr . inet_service . ipv4_addr . inet_service; flags timeout; }\n"
"	set srv_addr { type inet_proto . ipv4_addr . inet_service . ipv4_addr; flags timeout; }\n"
"	set srv_port { type inet_proto . ipv4_addr . inet_service . inet_service; flags timeout; }\n"
"	set srv_any { type inet_proto . ipv4_addr . inet_service; flags timeout; }\n"
"	set rtp_keys { type inet_proto . ipv4_addr . inet_service; flags timeout; }\n"
"	set bound_in { type inet_proto . ipv4_addr . inet_service . ipv4_addr . inet_service; flags timeout; counter; }\n"
"	set bound_out { type inet_proto . ipv4_addr . inet_service . ipv4_addr . inet_service; flags timeout; counter; }\n"
"	set drops { type inet_proto . ipv4_addr . inet_service; flags timeout; counter; }\n"
"	counter translated { }\n"
"	counter drop_no_mapping { }\n"
"	counter drop_wrong_server { }\n"
"	counter drop_not_rtp { }\n"
"	counter drop_untracked { }\n"
/* RFC 3550: version 2; RTCP (PT 200..204) needs 8 bytes, RTP 12 */
"	chain check_rtp {\n"
"		@th,64,2 != 2 goto drop_rtp\n"
"		udp length < 16 goto drop_rtp\n"
"		@th,72,8 200-204 return\n"
"		udp length < 20 goto drop_rtp\n"
"	}\n"
"	chain drop_rtp {\n"
"		ct original protocol udp ct original protocol . ct original ip daddr . ct original proto-dst @drops\n"
"		counter name drop_not_rtp drop\n"
"	}\n"
/* a new flow to a managed port: bind it to its mapping or drop it */
"	chain judge_new {\n"
"		meta l4proto . ip daddr . th dport . ip saddr . th sport @srv_full goto bind_new\n"
"		meta l4proto . ip daddr . th dport . ip saddr @srv_addr goto bind_new\n"
"		meta l4proto . ip daddr . th dport . th sport @srv_port goto bind_new\n"
"		meta l4proto . ip daddr . th dport @srv_any goto bind_new\n"
"		meta l4proto . ip daddr . th dport @drops counter name drop_wrong_server drop\n"
"		counter name drop_no_mapping drop\n"
"	}\n"
"	chain bind_new {\n"
"		meta l4proto udp meta l4proto . ip daddr . th dport @rtp_keys jump check_rtp\n"
"		counter name translated dnat to meta l4proto . ip daddr . th dport map @dnat_to\n"
"		counter name drop_no_mapping drop\n"
"	}\n"
/* before any dstnat chain of the operator, as rgm.ko's NAT function */
"	chain prerouting_nat {\n"
"		type nat hook prerouting priority dstnat - 1; policy accept;\n"
"		meta l4proto { tcp, udp } ip daddr @gaddrs th dport @ports jump judge_new\n"
"	}\n"
/* every packet of a flow rgm bound: its mapping must still be there */
"	chain established {\n"
"		ct direction reply goto established_reply\n"
"		ct state != related ct original protocol udp ct original protocol . ct original ip daddr . ct original proto-dst @rtp_keys jump check_rtp\n"
"		ct original protocol udp ct original protocol . ct original ip daddr . ct original proto-dst . ct reply ip saddr . ct reply proto-src @bound_in accept\n"
"		ct original protocol tcp ct original protocol . ct original ip daddr . ct original proto-dst . ct reply ip saddr . ct reply proto-src @bound_in accept\n"
"		counter name drop_no_mapping drop\n"
"	}\n"
"	chain established_reply {\n"
"		ct original protocol udp ct original protocol . ct original ip daddr . ct original proto-dst . ct reply ip saddr . ct reply proto-src @bound_out accept\n"
"		ct original protocol tcp ct original protocol . ct original ip daddr . ct original proto-dst . ct reply ip saddr . ct reply proto-src @bound_out accept\n"
"		counter name drop_no_mapping drop\n"
"	}\n"
"	chain prerouting_pkt {\n"
"		type filter hook prerouting priority dstnat + 1; policy accept;\n"
"		ct state invalid,untracked meta l4proto { tcp, udp } ip daddr @gaddrs th dport @ports counter name drop_untracked drop\n"
"		ct status dnat ct original protocol udp ct original ip daddr @gaddrs ct original proto-dst @ports jump established\n"
"		ct status dnat ct original protocol tcp ct original ip daddr @gaddrs ct original proto-dst @ports jump established\n"
"	}\n"
"}\n";

/* What a listing of an intact table holds; anything else is repaired. */
#define RGM_NFT_CHAINS	8
#define RGM_NFT_RULES	27
#define RGM_NFT_SETS	13

static const char *const rgm_nft_srv_sets[] = { "srv_any", "srv_port", "srv_addr", "srv_full" };
static const char *const rgm_nft_ctr_sets[] = { "bound_in", "bound_out", "drops" };

/* One mapping as the table holds it; the key sorts the table. */
struct rgm_nft_entry {
	uint64_t key;
	struct rgm_map m;
	uint64_t deadline;	/* CLOCK_MONOTONIC ms, events handles only */
};

/* The whole table as read in one listing. */
struct rgm_nft_state {
	bool present, damaged;
	struct rgm_config cfg;
	uint32_t num[RGM_NFT_CFG_N];
	struct rgm_nft_entry *e;
	unsigned int n, cap;
	uint64_t ctr[RGM_STATS_A_MAX + 1];
	unsigned int chains, rules, sets;
	uint32_t (*gone)[2];	/* id, reason */
	unsigned int n_gone;
};

struct rgm_nft {
	struct nft_ctx *nft;
	int lock_fd;
	char errmsg[512];
	/* events handles */
	bool events;
	int ep_fd, nl_fd, timer_fd;
	struct rgm_nft_state snap;
	bool have_snap;
};

/* A growing command text; ->err is set once something did not fit. */
struct rgm_nft_buf {
	char *p;
	size_t len, cap;
	bool err;
};

static int rgm_nft_err(struct rgm_nft *t, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rgm_nft_err(struct rgm_nft *t, int err, const char *fmt, ...)
{
	va_list ap;

	if (!fmt) {
		snprintf(t->errmsg, sizeof(t->errmsg), "%s", strerror(-err));
		return err;
	}
	va_start(ap, fmt);
	vsnprintf(t->errmsg, sizeof(t->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static void rgm_nft_printf(struct rgm_nft_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rgm_nft_printf(struct rgm_nft_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = true;
			return;
		}
		if (b->p && b->len + n < b->cap) {
			b->len += n;
			return;
		}
		size_t cap = b->cap ? 2 * b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static uint64_t rgm_nft_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rgm_nft_key(uint8_t proto, struct in_addr addr, uint16_t port)
{
	return (uint64_t)proto << 48 | (uint64_t)ntohl(addr.s_addr) << 16 | port;
}

static bool rgm_nft_unicast(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) != 0 && (h >> 28) != 0xe && h != 0xffffffff && (h >> 24) != 127;
}

static bool rgm_nft_has_addr(const struct rgm_config *cfg, struct in_addr a)
{
	for (unsigned int i = 0; i < cfg->n_addrs; i++)
		if (cfg->addrs[i].s_addr == a.s_addr)
			return true;
	return false;
}

static bool rgm_nft_port_managed(const struct rgm_config *cfg, uint16_t port)
{
	return port >= cfg->port_min && port <= cfg->port_max;
}

/* ---- running commands ---- */

/* Turns libnftables' error text into an errno: it reports the kernel's
 * error only as strerror() text. */
static int rgm_nft_errno(const char *text)
{
	static const int known[] = {
		EEXIST, ENOENT, ENOSPC, ENFILE, EPERM, EBUSY, ENOMEM, EINVAL, ERANGE,
		EOPNOTSUPP, EAFNOSUPPORT, EMSGSIZE, ENOBUFS,
	};

	for (unsigned int i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strstr(text, strerror(known[i])))
			return -known[i];
	return -EIO;
}

/* Runs cmds as one transaction; with json, *out gets the listing. */
static int rgm_nft_run(struct rgm_nft *t, const char *cmds, bool json, json_object **out)
{
	const char *errbuf, *outbuf;
	unsigned int flags = nft_ctx_output_get_flags(t->nft);
	int ret;

	if (json)
		flags |= NFT_CTX_OUTPUT_JSON;
	else
		flags &= ~NFT_CTX_OUTPUT_JSON;
	nft_ctx_output_set_flags(t->nft, flags);
	nft_ctx_buffer_output(t->nft);
	nft_ctx_buffer_error(t->nft);
	ret = nft_run_cmd_from_buffer(t->nft, cmds);
	errbuf = nft_ctx_get_error_buffer(t->nft);
	outbuf = nft_ctx_get_output_buffer(t->nft);
	if (ret) {
		char msg[400];
		const char *nl;
		size_t len;

		/* the first line is the message; the rest echoes the command */
		nl = errbuf ? strchr(errbuf, '\n') : NULL;
		len = nl ? (size_t)(nl - errbuf) : (errbuf ? strlen(errbuf) : 0);
		if (len >= sizeof(msg))
			len = sizeof(msg) - 1;
		memcpy(msg, errbuf ? errbuf : "", len);
		msg[len] = '\0';
		ret = rgm_nft_errno(msg);
		rgm_nft_err(t, ret, "nftables: %s", len ? msg : "command failed");
	} else if (out) {
		*out = outbuf && *outbuf ? json_tokener_parse(outbuf) : NULL;
		if (!*out)
			ret = rgm_nft_err(t, -EPROTO, "nftables: unreadable JSON listing");
	}
	nft_ctx_unbuffer_output(t->nft);
	nft_ctx_unbuffer_error(t->nft);
	return ret;
}

static int rgm_nft_run_buf(struct rgm_nft *t, struct rgm_nft_buf *b)
{
	int ret;

	if (b->err)
		ret = rgm_nft_err(t, -ENOMEM, NULL);
	else
		ret = rgm_nft_run(t, b->p ? b->p : "", false, NULL);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	return ret;
}

/* ---- reading the table ---- */

static void rgm_nft_state_free(struct rgm_nft_state *s)
{
	free(s->e);
	free(s->gone);
	memset(s, 0, sizeof(*s));
}

static int rgm_nft_int(json_object *o, int64_t *v)
{
	if (!o || !json_object_is_type(o, json_type_int))
		return -1;
	*v = json_object_get_int64(o);
	return 0;
}

static int rgm_nft_addr(json_object *o, struct in_addr *a)
{
	return o && json_object_is_type(o, json_type_string) &&
	       inet_pton(AF_INET, json_object_get_string(o), a) == 1 ? 0 : -1;
}

static int rgm_nft_proto(json_object *o, uint8_t *p)
{
	int64_t v;
	int r;

	if (o && json_object_is_type(o, json_type_string)) {
		r = rgm_proto_parse(json_object_get_string(o));
		if (r < 0)
			return -1;
		*p = r;
		return 0;
	}
	if (rgm_nft_int(o, &v) || v < 0 || v > 255)
		return -1;
	*p = v;
	return 0;
}

static int rgm_nft_port(json_object *o, uint16_t *p)
{
	int64_t v;

	if (rgm_nft_int(o, &v) || v < 0 || v > 65535)
		return -1;
	*p = v;
	return 0;
}

/* {"concat": [proto, addr, port, ...]}: the key, and the array for more. */
static int rgm_nft_concat_key(json_object *val, uint64_t *key, json_object **arr)
{
	json_object *c;
	struct in_addr a;
	uint16_t port;
	uint8_t proto;

	if (!json_object_object_get_ex(val, "concat", &c) ||
	    !json_object_is_type(c, json_type_array) || json_object_array_length(c) < 3 ||
	    rgm_nft_proto(json_object_array_get_idx(c, 0), &proto) ||
	    rgm_nft_addr(json_object_array_get_idx(c, 1), &a) ||
	    rgm_nft_port(json_object_array_get_idx(c, 2), &port))
		return -1;
	*key = rgm_nft_key(proto, a, port);
	if (arr)
		*arr = c;
	return 0;
}

/* An element {"elem": {"val": ..., "expires": .., "comment": .., "counter": ..}}
 * or a bare value. */
static json_object *rgm_nft_elem_val(json_object *el, json_object **elem)
{
	json_object *e, *v;

	if (json_object_object_get_ex(el, "elem", &e) && json_object_object_get_ex(e, "val", &v)) {
		*elem = e;
		return v;
	}
	*elem = NULL;
	return el;
}

/* "id=.. owner=.. stream=.. lease=.. server=a.b.c.d:port" */
static int rgm_nft_parse_comment(const char *s, struct rgm_map *m)
{
	char addr[16];
	unsigned int id, stream, lease, port;
	uint64_t owner;

	if (sscanf(s, "id=%u owner=%" SCNx64 " stream=%u lease=%u server=%15[0-9.]:%u",
		   &id, &owner, &stream, &lease, addr, &port) != 6 ||
	    stream > RGM_STREAM_MAX || port > 65535 ||
	    inet_pton(AF_INET, addr, &m->server_addr) != 1)
		return -1;
	m->id = id;
	m->owner = owner;
	m->stream = stream;
	m->lease = lease;
	m->server_port = port;
	return 0;
}

static int rgm_nft_entry_cmp(const void *a, const void *b)
{
	const struct rgm_nft_entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int rgm_nft_id_cmp(const void *a, const void *b)
{
	const struct rgm_nft_entry *x = a, *y = b;

	return x->m.id < y->m.id ? -1 : x->m.id > y->m.id;
}

static struct rgm_nft_entry *rgm_nft_find_key(struct rgm_nft_state *s, uint64_t key)
{
	struct rgm_nft_entry k = { .key = key };

	return bsearch(&k, s->e, s->n, sizeof(*s->e), rgm_nft_entry_cmp);
}

static int rgm_nft_read_dnat(struct rgm_nft_state *s, json_object *elems)
{
	size_t i, n = json_object_array_length(elems);

	for (i = 0; i < n; i++) {
		json_object *pair = json_object_array_get_idx(elems, i), *e, *c, *v;
		struct rgm_nft_entry *x;
		const char *comment;
		int64_t exp = 0;
		uint64_t key;

		if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2)
			return -1;
		v = rgm_nft_elem_val(json_object_array_get_idx(pair, 0), &e);
		if (!e || rgm_nft_concat_key(v, &key, NULL))
			return -1;
		if (s->n == s->cap) {
			unsigned int cap = s->cap ? 2 * s->cap : 64;
			struct rgm_nft_entry *p = realloc(s->e, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			s->e = p;
			s->cap = cap;
		}
		x = &s->e[s->n];
		memset(x, 0, sizeof(*x));
		x->key = key;
		x->m.proto = key >> 48;
		x->m.global_addr.s_addr = htonl((uint32_t)(key >> 16));
		x->m.global_port = key & 0xffff;
		if (!json_object_object_get_ex(e, "comment", &c) ||
		    !(comment = json_object_get_string(c)) || rgm_nft_parse_comment(comment, &x->m))
			return -1;
		if (json_object_object_get_ex(e, "expires", &c) && !rgm_nft_int(c, &exp) && exp > 0)
			x->m.expires = exp;
		c = json_object_array_get_idx(pair, 1);
		if (!json_object_object_get_ex(c, "concat", &c) || json_object_array_length(c) != 2 ||
		    rgm_nft_addr(json_object_array_get_idx(c, 0), &x->m.local_addr) ||
		    rgm_nft_port(json_object_array_get_idx(c, 1), &x->m.local_port))
			return -1;
		s->n++;
	}
	return 0;
}

/* bound_in, bound_out, drops: counters plus the base in the comment. */
static int rgm_nft_read_counters(struct rgm_nft_state *s, int which, json_object *elems)
{
	size_t i, n = json_object_array_length(elems);

	for (i = 0; i < n; i++) {
		json_object *e, *v, *c, *o;
		struct rgm_nft_entry *x;
		uint64_t key, bp = 0, bb = 0;
		int64_t p = 0, b = 0;

		v = rgm_nft_elem_val(json_object_array_get_idx(elems, i), &e);
		if (!e || rgm_nft_concat_key(v, &key, NULL))
			return -1;
		x = rgm_nft_find_key(s, key);
		if (!x)
			continue;	/* its dnat_to element is gone: not a mapping */
		if (json_object_object_get_ex(e, "comment", &c))
			sscanf(json_object_get_string(c), "base=%" SCNu64 "/%" SCNu64, &bp, &bb);
		if (json_object_object_get_ex(e, "counter", &c)) {
			if (json_object_object_get_ex(c, "packets", &o))
				rgm_nft_int(o, &p);
			if (json_object_object_get_ex(c, "bytes", &o))
				rgm_nft_int(o, &b);
		}
		switch (which) {
		case 0:
			x->m.packets_in = bp + p;
			x->m.bytes_in = bb + b;
			break;
		case 1:
			x->m.packets_out = bp + p;
			x->m.bytes_out = bb + b;
			break;
		default:
			x->m.drops = bp + p;
		}
	}
	return 0;
}

static int rgm_nft_read_cfg(struct rgm_nft_state *s, const char *name, json_object *elems)
{
	size_t i, n = json_object_array_length(elems);
	json_object *e;
	int64_t k, v;

	if (!strcmp(name, "gone")) {
		s->gone = calloc(n ? n : 1, sizeof(*s->gone));
		if (!s->gone)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(elems, i);
		if (!strcmp(name, "gone")) {
			json_object *x;

			/* [{"elem": {"val": id, "timeout": ..}}, reason] */
			if (!json_object_is_type(e, json_type_array) ||
			    rgm_nft_int(json_object_array_get_idx(e, 1), &v))
				return -1;
			x = json_object_array_get_idx(e, 0);
			if (json_object_object_get_ex(x, "elem", &x))
				json_object_object_get_ex(x, "val", &x);
			if (rgm_nft_int(x, &k))
				return -1;
			s->gone[s->n_gone][0] = k;
			s->gone[s->n_gone++][1] = v;
		} else if (!strcmp(name, "cfg")) {
			if (!json_object_is_type(e, json_type_array) ||
			    rgm_nft_int(json_object_array_get_idx(e, 0), &k) ||
			    rgm_nft_int(json_object_array_get_idx(e, 1), &v))
				return -1;
			if (k >= 0 && k < RGM_NFT_CFG_N)
				s->num[k] = v;
		} else if (!strcmp(name, "gaddrs")) {
			if (s->cfg.n_addrs == RGM_GLOBAL_ADDRS_MAX ||
			    rgm_nft_addr(e, &s->cfg.addrs[s->cfg.n_addrs]))
				return -1;
			s->cfg.n_addrs++;
		} else if (!strcmp(name, "ports")) {
			json_object *r;

			if (json_object_object_get_ex(e, "range", &r)) {
				if (rgm_nft_port(json_object_array_get_idx(r, 0), &s->cfg.port_min) ||
				    rgm_nft_port(json_object_array_get_idx(r, 1), &s->cfg.port_max))
					return -1;
			} else if (!rgm_nft_port(e, &s->cfg.port_min)) {
				s->cfg.port_max = s->cfg.port_min;
			} else {
				return -1;
			}
		}
	}
	return 0;
}

static const char *const rgm_nft_stat_ctrs[] = {
	[RGM_STATS_A_TRANSLATED] = "translated",
	[RGM_STATS_A_DROP_NO_MAPPING] = "drop_no_mapping",
	[RGM_STATS_A_DROP_WRONG_SERVER] = "drop_wrong_server",
	[RGM_STATS_A_DROP_NOT_RTP] = "drop_not_rtp",
	[RGM_STATS_A_DROP_UNTRACKED] = "drop_untracked",
};

/* Lists table ip rgm into s; s->present false if there is none. */
static int rgm_nft_read(struct rgm_nft *t, struct rgm_nft_state *s)
{
	json_object *top = NULL, *arr, *o, *body, *name, *elems;
	size_t i, n;
	int pass, ret;

	memset(s, 0, sizeof(*s));
	ret = rgm_nft_run(t, "list table ip " RGM_NFT_TABLE, true, &top);
	if (ret == -ENOENT) {
		t->errmsg[0] = '\0';
		return 0;
	}
	if (ret)
		return ret;
	s->present = true;
	if (!json_object_object_get_ex(top, "nftables", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto bad;
	n = json_object_array_length(arr);
	/* dnat_to first: the counter sets are matched against its keys */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			const char *kind = "", *nm;

			name = NULL;
			body = NULL;
			o = json_object_array_get_idx(arr, i);
			json_object_object_foreach(o, k, v) {
				kind = k;
				body = v;
				break;
			}
			if (!json_object_object_get_ex(body, "name", &name) && strcmp(kind, "rule"))
				continue;
			nm = name ? json_object_get_string(name) : "";
			if (pass == 0) {
				if (!strcmp(kind, "chain"))
					s->chains++;
				else if (!strcmp(kind, "rule"))
					s->rules++;
				else if (!strcmp(kind, "counter")) {
					int64_t p = 0;

					json_object_object_get_ex(body, "packets", &elems);
					rgm_nft_int(elems, &p);
					for (unsigned int c = 0; c <= RGM_STATS_A_MAX; c++)
						if (c < sizeof(rgm_nft_stat_ctrs) / sizeof(rgm_nft_stat_ctrs[0]) &&
						    rgm_nft_stat_ctrs[c] && !strcmp(nm, rgm_nft_stat_ctrs[c]))
							s->ctr[c] = p;
				}
			}
			if (strcmp(kind, "set") && strcmp(kind, "map"))
				continue;
			if (pass == 0)
				s->sets++;
			if (!json_object_object_get_ex(body, "elem", &elems))
				continue;
			if (!json_object_is_type(elems, json_type_array))
				goto bad;
			if (pass == 0 && !strcmp(nm, "dnat_to"))
				ret = rgm_nft_read_dnat(s, elems);
			else if (pass == 0 && (!strcmp(nm, "cfg") || !strcmp(nm, "gaddrs") ||
					       !strcmp(nm, "ports") || !strcmp(nm, "gone")))
				ret = rgm_nft_read_cfg(s, nm, elems);
			else if (pass == 1) {
				for (unsigned int c = 0; c < 3; c++)
					if (!strcmp(nm, rgm_nft_ctr_sets[c]))
						ret = rgm_nft_read_counters(s, c, elems);
			}
			if (ret == -ENOMEM)
				goto nomem;
			if (ret)
				goto bad;
		}
		if (pass == 0)
			qsort(s->e, s->n, sizeof(*s->e), rgm_nft_entry_cmp);
	}
	json_object_put(top);
	s->cfg.max_mappings = s->num[RGM_NFT_CFG_MAX_MAPPINGS];
	s->cfg.lease_max = s->num[RGM_NFT_CFG_LEASE_MAX];
	if (s->num[RGM_NFT_CFG_VERSION] != RGM_NFT_VERSION && s->num[RGM_NFT_CFG_VERSION])
		return rgm_nft_err(t, -EPROTO,
				   "table ip rgm has layout version %u, this rgm knows %u: delete the table",
				   s->num[RGM_NFT_CFG_VERSION], RGM_NFT_VERSION);
	s->damaged = s->chains != RGM_NFT_CHAINS || s->rules != RGM_NFT_RULES ||
		     s->sets != RGM_NFT_SETS || !s->num[RGM_NFT_CFG_VERSION] ||
		     !s->cfg.port_min || !s->cfg.max_mappings || !s->cfg.lease_max;
	return 0;
bad:
	json_object_put(top);
	rgm_nft_state_free(s);
	return rgm_nft_err(t, -EPROTO, "table ip rgm holds something rgm did not write");
nomem:
	json_object_put(top);
	rgm_nft_state_free(s);
	return rgm_nft_err(t, -ENOMEM, NULL);
}

/* ---- writing ---- */

static void rgm_nft_key_text(char *buf, size_t len, const struct rgm_map *m)
{
	char ga[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &m->global_addr, ga, sizeof(ga));
	snprintf(buf, len, "%s . %s . %u", rgm_proto_name(m->proto), ga, m->global_port);
}

/* The server filter's set and the key's tail in it. */
static const char *rgm_nft_srv(const struct rgm_map *m, char *tail, size_t len)
{
	char sa[INET_ADDRSTRLEN];
	unsigned int kind = (m->server_addr.s_addr != INADDR_ANY) << 1 | (m->server_port != 0);

	inet_ntop(AF_INET, &m->server_addr, sa, sizeof(sa));
	switch (kind) {
	case 3:
		snprintf(tail, len, " . %s . %u", sa, m->server_port);
		break;
	case 2:
		snprintf(tail, len, " . %s", sa);
		break;
	case 1:
		snprintf(tail, len, " . %u", m->server_port);
		break;
	default:
		tail[0] = '\0';
	}
	return rgm_nft_srv_sets[kind];
}

/* add (with timeout seconds left, != 0) or delete (timeout 0) every
 * element of m; the comment keeps the lease it was given. */
static void rgm_nft_put_mapping(struct rgm_nft_buf *b, const struct rgm_map *m,
				uint32_t timeout)
{
	char key[64], tail[40], la[INET_ADDRSTRLEN], sa[INET_ADDRSTRLEN], bound[96];
	const char *srv = rgm_nft_srv(m, tail, sizeof(tail));
	uint32_t lease = timeout;
	unsigned int i;

	rgm_nft_key_text(key, sizeof(key), m);
	inet_ntop(AF_INET, &m->local_addr, la, sizeof(la));
	inet_ntop(AF_INET, &m->server_addr, sa, sizeof(sa));
	snprintf(bound, sizeof(bound), "%s . %s . %u", key, la, m->local_port);
	if (!timeout) {
		rgm_nft_printf(b, "delete element ip rgm dnat_to { %s }\n", key);
		rgm_nft_printf(b, "delete element ip rgm %s { %s%s }\n", srv, key, tail);
		if (m->stream == RGM_STREAM_RTP)
			rgm_nft_printf(b, "delete element ip rgm rtp_keys { %s }\n", key);
		for (i = 0; i < 3; i++)
			rgm_nft_printf(b, "delete element ip rgm %s { %s }\n", rgm_nft_ctr_sets[i],
				       i < 2 ? bound : key);
		return;
	}
	rgm_nft_printf(b, "add element ip rgm dnat_to { %s timeout %us comment \"id=%u owner=%016" PRIx64
		       " stream=%u lease=%u server=%s:%u\" : %s . %u }\n", key, timeout, m->id,
		       m->owner, m->stream, m->lease, sa, m->server_port, la, m->local_port);
	rgm_nft_printf(b, "add element ip rgm %s { %s%s timeout %us }\n", srv, key, tail, lease);
	if (m->stream == RGM_STREAM_RTP)
		rgm_nft_printf(b, "add element ip rgm rtp_keys { %s timeout %us }\n", key, lease);
	rgm_nft_printf(b, "add element ip rgm bound_in { %s timeout %us comment \"base=%" PRIu64 "/%"
		       PRIu64 "\" }\n", bound, lease, m->packets_in, m->bytes_in);
	rgm_nft_printf(b, "add element ip rgm bound_out { %s timeout %us comment \"base=%" PRIu64 "/%"
		       PRIu64 "\" }\n", bound, lease, m->packets_out, m->bytes_out);
	rgm_nft_printf(b, "add element ip rgm drops { %s timeout %us comment \"base=%" PRIu64 "/0\" }\n",
		       key, lease, m->drops);
}

static void rgm_nft_put_num(struct rgm_nft_buf *b, const struct rgm_nft_state *s,
			    enum rgm_nft_cfg k, uint32_t v)
{
	if (s->present)
		rgm_nft_printf(b, "delete element ip rgm cfg { %u }\n", k);
	rgm_nft_printf(b, "add element ip rgm cfg { %u : %u }\n", k, v);
}

static void rgm_nft_put_config(struct rgm_nft_buf *b, const struct rgm_config *cfg, bool flush)
{
	char a[INET_ADDRSTRLEN];

	if (flush) {
		rgm_nft_printf(b, "flush set ip rgm gaddrs\n");
		rgm_nft_printf(b, "flush set ip rgm ports\n");
	}
	for (unsigned int i = 0; i < cfg->n_addrs; i++) {
		inet_ntop(AF_INET, &cfg->addrs[i], a, sizeof(a));
		rgm_nft_printf(b, "add element ip rgm gaddrs { %s }\n", a);
	}
	if (cfg->port_min == cfg->port_max)
		rgm_nft_printf(b, "add element ip rgm ports { %u }\n", cfg->port_min);
	else
		rgm_nft_printf(b, "add element ip rgm ports { %u-%u }\n", cfg->port_min, cfg->port_max);
}

/*
 * Writes the whole table from s (a fresh one if s is NULL or empty): the
 * repair after an operator flushed or changed it. Mappings keep their id,
 * owner and counters and get what is left of their lease.
 */
static int rgm_nft_rebuild(struct rgm_nft *t, const struct rgm_nft_state *s, bool exists)
{
	static const struct rgm_config defaults = {
		.port_min = RGM_DEFAULT_PORT_MIN, .port_max = RGM_DEFAULT_PORT_MAX,
		.max_mappings = RGM_DEFAULT_MAX_MAPPINGS, .lease_max = RGM_DEFAULT_LEASE_MAX,
	};
	const struct rgm_nft_state fresh = { .cfg = defaults, .num = { [RGM_NFT_CFG_NEXT_ID] = 1 } };
	struct rgm_nft_buf b = {};
	struct rgm_config cfg;
	uint64_t now = rgm_nft_now_ms();
	unsigned int i;

	if (!s)
		s = &fresh;
	cfg = s->cfg;
	if (!cfg.port_min || !cfg.max_mappings || !cfg.lease_max)
		cfg = defaults;
	if (exists)
		rgm_nft_printf(&b, "delete table ip rgm\n");
	rgm_nft_printf(&b, "%s", rgm_nft_skeleton);
	rgm_nft_put_config(&b, &cfg, false);
	rgm_nft_printf(&b, "add element ip rgm cfg { %u : %u, %u : %u, %u : %u, %u : %u, %u : %u, %u : %u }\n",
		       RGM_NFT_CFG_VERSION, RGM_NFT_VERSION, RGM_NFT_CFG_MAX_MAPPINGS, cfg.max_mappings,
		       RGM_NFT_CFG_LEASE_MAX, cfg.lease_max, RGM_NFT_CFG_NEXT_ID,
		       s->num[RGM_NFT_CFG_NEXT_ID] ? s->num[RGM_NFT_CFG_NEXT_ID] : 1,
		       RGM_NFT_CFG_ADDED, s->num[RGM_NFT_CFG_ADDED],
		       RGM_NFT_CFG_DELETED, s->num[RGM_NFT_CFG_DELETED]);
	for (i = 0; i < s->n; i++) {
		struct rgm_map m = s->e[i].m;
		uint32_t left = m.expires;

		if (s->e[i].deadline)
			left = s->e[i].deadline > now ? (s->e[i].deadline - now + 999) / 1000 : 0;
		if (!left || !rgm_nft_has_addr(&cfg, m.global_addr) ||
		    !rgm_nft_port_managed(&cfg, m.global_port))
			continue;
		rgm_nft_put_mapping(&b, &m, left);
	}
	return rgm_nft_run_buf(t, &b);
}

/* ---- the lock and the table's presence ---- */

static int rgm_nft_lock(struct rgm_nft *t)
{
	if (t->lock_fd < 0) {
		if (mkdir(RGM_NFT_LOCK_DIR, 0755) < 0 && errno != EEXIST)
			return rgm_nft_err(t, -errno, "%s: %s", RGM_NFT_LOCK_DIR, strerror(errno));
		t->lock_fd = open(RGM_NFT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (t->lock_fd < 0)
			return rgm_nft_err(t, -errno, "%s: %s", RGM_NFT_LOCK, strerror(errno));
	}
	while (flock(t->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return rgm_nft_err(t, -errno, "%s: %s", RGM_NFT_LOCK, strerror(errno));
	return 0;
}

static void rgm_nft_unlock(struct rgm_nft *t)
{
	flock(t->lock_fd, LOCK_UN);
}

/* Locks and reads; creates or repairs the table first if needed. */
static int rgm_nft_begin(struct rgm_nft *t, struct rgm_nft_state *s)
{
	int ret = rgm_nft_lock(t);

	if (ret)
		return ret;
	t->errmsg[0] = '\0';
	ret = rgm_nft_read(t, s);
	if (!ret && (!s->present || s->damaged)) {
		ret = rgm_nft_rebuild(t, s, s->present);
		rgm_nft_state_free(s);
		if (!ret)
			ret = rgm_nft_read(t, s);
		if (!ret && (!s->present || s->damaged))
			ret = rgm_nft_err(t, -EPROTO, "table ip rgm: cannot build it");
	}
	if (ret) {
		rgm_nft_state_free(s);
		rgm_nft_unlock(t);
	}
	return ret;
}

static void rgm_nft_end(struct rgm_nft *t, struct rgm_nft_state *s)
{
	rgm_nft_state_free(s);
	rgm_nft_unlock(t);
}

/* ---- open / close ---- */

static void rgm_nft_close(void *priv)
{
	struct rgm_nft *t = priv;

	if (!t)
		return;
	if (t->nft)
		nft_ctx_free(t->nft);
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	if (t->ep_fd >= 0)
		close(t->ep_fd);
	if (t->nl_fd >= 0)
		close(t->nl_fd);
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	rgm_nft_state_free(&t->snap);
	free(t);
}

static int rgm_nft_events_setup(struct rgm_nft *t);

static int rgm_nft_open(void **priv, bool events)
{
	struct rgm_nft_state s;
	struct rgm_nft *t = calloc(1, sizeof(*t));
	int ret;

	*priv = t;
	if (!t)
		return -ENOMEM;
	t->lock_fd = t->ep_fd = t->nl_fd = t->timer_fd = -1;
	t->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!t->nft)
		return rgm_nft_err(t, -ENOMEM, "cannot create a libnftables context");
	/* numbers, not names: ports and protocols are parsed back */
	nft_ctx_output_set_flags(t->nft, NFT_CTX_OUTPUT_NUMERIC_PROTO);
	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	rgm_nft_end(t, &s);
	if (events)
		return rgm_nft_events_setup(t);
	return 0;
}

static bool rgm_nft_present(void)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	int ret;

	if (!nft)
		return false;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	ret = nft_run_cmd_from_buffer(nft, "list table ip " RGM_NFT_TABLE);
	nft_ctx_free(nft);
	return ret == 0;
}

static const char *rgm_nft_errmsg(const void *priv)
{
	const struct rgm_nft *t = priv;

	return t->errmsg[0] ? t->errmsg : "no error";
}

/* ---- conntrack: cut the flows of removed mappings ---- */

struct rgm_nft_ct {
	const struct rgm_map *maps;
	unsigned int n;
	struct nf_conntrack **kill;
	unsigned int n_kill, cap;
};

static int rgm_nft_ct_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct rgm_nft_ct *c = data;
	unsigned int i;

	if (!(nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_DST_NAT))
		return NFCT_CB_CONTINUE;
	for (i = 0; i < c->n; i++) {
		const struct rgm_map *m = &c->maps[i];

		if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != m->proto ||
		    nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST) != m->global_addr.s_addr ||
		    nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST) != htons(m->global_port) ||
		    nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC) != m->local_addr.s_addr ||
		    nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC) != htons(m->local_port))
			continue;
		if (c->n_kill == c->cap) {
			unsigned int cap = c->cap ? 2 * c->cap : 16;
			struct nf_conntrack **p = realloc(c->kill, cap * sizeof(*p));

			if (!p)
				return NFCT_CB_STOP;
			c->kill = p;
			c->cap = cap;
		}
		c->kill[c->n_kill] = nfct_clone(ct);
		if (c->kill[c->n_kill])
			c->n_kill++;
		break;
	}
	return NFCT_CB_CONTINUE;
}

/*
 * Deletes the conntrack entries bound to maps. The packet path already
 * drops their packets (bound_in/bound_out); this makes a re-added mapping
 * start from fresh flows, judged again, as with rgm.ko.
 */
static int rgm_nft_ct_flush(struct rgm_nft *t, const struct rgm_map *maps, unsigned int n)
{
	struct rgm_nft_ct c = { .maps = maps, .n = n };
	struct nfct_handle *h;
	uint32_t family = AF_INET;
	unsigned int i;
	int ret = 0;

	if (!n)
		return 0;
	h = nfct_open(CONNTRACK, 0);
	if (!h)
		return rgm_nft_err(t, -errno, "conntrack: %s", strerror(errno));
	nfct_callback_register(h, NFCT_T_ALL, rgm_nft_ct_cb, &c);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		ret = rgm_nft_err(t, -errno, "conntrack dump: %s", strerror(errno));
	nfct_callback_unregister(h);
	for (i = 0; i < c.n_kill; i++) {
		/* ENOENT: it went by itself meanwhile */
		if (nfct_query(h, NFCT_Q_DESTROY, c.kill[i]) < 0 && errno != ENOENT && !ret)
			ret = rgm_nft_err(t, -errno, "conntrack delete: %s", strerror(errno));
		nfct_destroy(c.kill[i]);
	}
	free(c.kill);
	nfct_close(h);
	return ret;
}

/* ---- mappings ---- */

static int rgm_nft_check_mapping(struct rgm_nft *t, const struct rgm_config *cfg,
				 struct rgm_map *m, unsigned int i)
{
	if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP)
		return rgm_nft_err(t, -EINVAL, "mapping %u: the protocol must be tcp or udp", i + 1);
	if (m->stream > RGM_STREAM_MAX)
		return rgm_nft_err(t, -EINVAL, "mapping %u: unknown stream type", i + 1);
	if (!m->stream)
		m->stream = m->proto == IPPROTO_TCP ? RGM_STREAM_TCP : RGM_STREAM_UDP;
	if ((m->stream == RGM_STREAM_TCP) != (m->proto == IPPROTO_TCP))
		return rgm_nft_err(t, -EINVAL, "mapping %u: the stream type does not fit the protocol",
				   i + 1);
	if (m->server_addr.s_addr != INADDR_ANY && !rgm_nft_unicast(m->server_addr))
		return rgm_nft_err(t, -EINVAL, "mapping %u: the server address must be unicast", i + 1);
	if (!m->global_port || !m->local_port)
		return rgm_nft_err(t, -EINVAL, "mapping %u: ports must be 1..65535", i + 1);
	if (!m->lease || m->lease > RGM_LEASE_LIMIT)
		return rgm_nft_err(t, -EINVAL, "mapping %u: the lease must be 1..%u", i + 1,
				   RGM_LEASE_LIMIT);
	if (!rgm_nft_has_addr(cfg, m->global_addr))
		return rgm_nft_err(t, -EADDRNOTAVAIL,
				   "mapping %u: the global address is not a configured global address",
				   i + 1);
	if (!rgm_nft_port_managed(cfg, m->global_port))
		return rgm_nft_err(t, -ERANGE,
				   "mapping %u: the global port is outside the managed port range", i + 1);
	if (!rgm_nft_unicast(m->local_addr) || rgm_nft_has_addr(cfg, m->local_addr))
		return rgm_nft_err(t, -EINVAL,
				   "mapping %u: the local address must be a unicast address, not a global one",
				   i + 1);
	if (m->lease > cfg->lease_max)
		return rgm_nft_err(t, -EINVAL,
				   "mapping %u: the lease exceeds the configured lease maximum", i + 1);
	return 0;
}

static bool rgm_nft_id_used(const struct rgm_nft_state *s, const struct rgm_map *maps,
			    unsigned int n, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].m.id == id)
			return true;
	for (i = 0; i < n; i++)
		if (maps[i].id == id)
			return true;
	return false;
}

static int rgm_nft_map_add(void *priv, struct rgm_map *maps, unsigned int n)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct rgm_nft_buf b = {};
	uint32_t id;
	unsigned int i, j;
	int ret;

	if (!n)
		return rgm_nft_err(t, -EINVAL, "no mappings to add");
	if (n > RGM_BATCH_MAX)
		return rgm_nft_err(t, -EINVAL, "more than %u mappings in one batch", RGM_BATCH_MAX);
	for (i = 0; i < n; i++)
		if (maps[i].family == AF_INET6)
			return rgm_nft_err(t, -EAFNOSUPPORT,
					   "mapping %u: the nftables dataplane has no IPv6 pinholes (use rgm.ko)",
					   i + 1);
	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		maps[i].id = 0;
	for (i = 0; i < n; i++) {
		struct rgm_map *m = &maps[i];
		uint64_t key = rgm_nft_key(m->proto, m->global_addr, m->global_port);

		ret = rgm_nft_check_mapping(t, &s.cfg, m, i);
		if (ret)
			goto out;
		for (j = 0; j < i; j++)
			if (rgm_nft_key(maps[j].proto, maps[j].global_addr, maps[j].global_port) == key) {
				ret = rgm_nft_err(t, -EEXIST,
						  "mapping %u repeats the key of an earlier one in the batch",
						  i + 1);
				goto out;
			}
		if (rgm_nft_find_key(&s, key)) {
			ret = rgm_nft_err(t, -EEXIST,
					  "mapping %u: proto, global address and port are already mapped",
					  i + 1);
			goto out;
		}
	}
	if (s.n + n > s.cfg.max_mappings) {
		ret = rgm_nft_err(t, -ENOSPC, "the batch would exceed the mapping limit");
		goto out;
	}
	/* ids: cyclic from next_id, never 0, at most INT_MAX as rgm.ko's */
	id = s.num[RGM_NFT_CFG_NEXT_ID];
	for (i = 0; i < n; i++) {
		do {
			if (!id || id > INT32_MAX)
				id = 1;
		} while (rgm_nft_id_used(&s, maps, i, id) && ++id);
		maps[i].id = id++;
		maps[i].expires = maps[i].lease;
		maps[i].packets_in = maps[i].bytes_in = 0;
		maps[i].packets_out = maps[i].bytes_out = maps[i].drops = 0;
		rgm_nft_put_mapping(&b, &maps[i], maps[i].lease);
	}
	rgm_nft_put_num(&b, &s, RGM_NFT_CFG_NEXT_ID, id > INT32_MAX ? 1 : id);
	rgm_nft_put_num(&b, &s, RGM_NFT_CFG_ADDED, s.num[RGM_NFT_CFG_ADDED] + n);
	ret = rgm_nft_run_buf(t, &b);
out:
	free(b.p);
	if (ret)
		for (i = 0; i < n; i++)
			maps[i].id = 0;
	rgm_nft_end(t, &s);
	return ret;
}

/* The entries sel names, as pointers into s; ENOENT for an id or key that
 * names nothing. */
static int rgm_nft_select(struct rgm_nft *t, struct rgm_nft_state *s, const struct rgm_sel *sel,
			  struct rgm_map **out, unsigned int *n)
{
	struct rgm_nft_entry *x;
	unsigned int i;

	*n = 0;
	*out = calloc(s->n ? s->n : 1, sizeof(**out));
	if (!*out)
		return rgm_nft_err(t, -ENOMEM, NULL);
	switch (sel->kind) {
	case RGM_SEL_ID:
		for (i = 0; i < s->n; i++)
			if (s->e[i].m.id == sel->id)
				(*out)[(*n)++] = s->e[i].m;
		if (!*n)
			return rgm_nft_err(t, -ENOENT, "mapping id %u: no such mapping", sel->id);
		return 0;
	case RGM_SEL_KEY:
		if (sel->family == AF_INET6)
			return rgm_nft_err(t, -ENOENT, "key: no such mapping (no IPv6 pinholes here)");
		x = rgm_nft_find_key(s, rgm_nft_key(sel->proto, sel->global_addr, sel->global_port));
		if (!x)
			return rgm_nft_err(t, -ENOENT, "key: no such mapping");
		(*out)[(*n)++] = x->m;
		return 0;
	case RGM_SEL_OWNER:
	case RGM_SEL_ALL:
		for (i = 0; i < s->n; i++)
			if (sel->kind == RGM_SEL_ALL || s->e[i].m.owner == sel->owner)
				(*out)[(*n)++] = s->e[i].m;
		return 0;
	}
	return rgm_nft_err(t, -EINVAL, "unknown selector");
}

static int rgm_nft_map_del(void *priv, const struct rgm_sel *sel, uint32_t *count)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct rgm_nft_buf b = {};
	struct rgm_map *maps = NULL;
	unsigned int i, n = 0;
	int ret;

	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	ret = rgm_nft_select(t, &s, sel, &maps, &n);
	if (!ret && n) {
		uint8_t reason = sel->kind == RGM_SEL_ID || sel->kind == RGM_SEL_KEY ?
				 RGM_REASON_DELETED : RGM_REASON_FLUSHED;

		for (i = 0; i < n; i++) {
			rgm_nft_put_mapping(&b, &maps[i], 0);
			rgm_nft_printf(&b, "add element ip rgm gone { %u timeout 60s : %u }\n",
				       maps[i].id, reason);
		}
		rgm_nft_put_num(&b, &s, RGM_NFT_CFG_DELETED, s.num[RGM_NFT_CFG_DELETED] + n);
		ret = rgm_nft_run_buf(t, &b);
		/* after the elements: no new flow can bind while this runs */
		if (!ret)
			ret = rgm_nft_ct_flush(t, maps, n);
	}
	if (!ret && count)
		*count = n;
	free(b.p);
	free(maps);
	rgm_nft_end(t, &s);
	return ret;
}

/* Re-adds every element with the new timeout: nftables before 6.10 cannot
 * change an element's timeout in place. One transaction: no packet sees the
 * mapping missing. */
static int rgm_nft_map_renew(void *priv, const struct rgm_sel *sel, uint32_t lease,
			     uint32_t *count)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct rgm_nft_buf b = {};
	struct rgm_map *maps = NULL;
	unsigned int i, n = 0;
	int ret;

	if (!lease || lease > RGM_LEASE_LIMIT)
		return rgm_nft_err(t, -EINVAL, "the lease must be 1..%u", RGM_LEASE_LIMIT);
	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	if (lease > s.cfg.lease_max) {
		ret = rgm_nft_err(t, -EINVAL, "the lease exceeds the configured lease maximum");
		goto out;
	}
	ret = rgm_nft_select(t, &s, sel, &maps, &n);
	if (!ret && n) {
		for (i = 0; i < n; i++) {
			rgm_nft_put_mapping(&b, &maps[i], 0);
			maps[i].lease = lease;
			rgm_nft_put_mapping(&b, &maps[i], lease);
		}
		ret = rgm_nft_run_buf(t, &b);
	}
	if (!ret && count)
		*count = n;
out:
	free(b.p);
	free(maps);
	rgm_nft_end(t, &s);
	return ret;
}

static int rgm_nft_map_get(void *priv, const struct rgm_sel *sel, struct rgm_map *out)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct rgm_map *maps = NULL;
	unsigned int n = 0;
	int ret;

	if (sel->kind != RGM_SEL_ID && sel->kind != RGM_SEL_KEY)
		return rgm_nft_err(t, -EINVAL, "get takes an id or a key");
	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	ret = rgm_nft_select(t, &s, sel, &maps, &n);
	if (!ret)
		*out = maps[0];
	free(maps);
	rgm_nft_end(t, &s);
	return ret;
}

/* One listing is one consistent view: restart is never needed. */
static int rgm_nft_map_dump(void *priv, const uint64_t *owner, rgm_map_cb cb,
			    void (*restart)(void *arg), void *arg)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	unsigned int i;
	int ret;

	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	rgm_nft_unlock(t);
	qsort(s.e, s.n, sizeof(*s.e), rgm_nft_id_cmp);
	for (i = 0; i < s.n && !ret; i++)
		if (!owner || s.e[i].m.owner == *owner)
			ret = cb(&s.e[i].m, arg);
	rgm_nft_state_free(&s);
	return ret;
}

static int rgm_nft_ports_free(void *priv, uint8_t proto, const struct in_addr *global_addr,
			      uint32_t count, uint32_t flags, uint16_t *ports)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct in_addr ga = {};
	uint32_t found = 0, p;
	int ret;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return rgm_nft_err(t, -EINVAL, "the protocol must be tcp or udp");
	if (!count || count > RGM_PORTS_MAX)
		return rgm_nft_err(t, -EINVAL, "the count must be 1..%u", RGM_PORTS_MAX);
	if (flags & ~(uint32_t)__RGM_PORTS_F_ALL)
		return rgm_nft_err(t, -EINVAL, "unknown flags");
	ret = rgm_nft_begin(t, &s);
	if (ret)
		return ret;
	if (global_addr) {
		ga = *global_addr;
		if (!rgm_nft_has_addr(&s.cfg, ga))
			ret = rgm_nft_err(t, -EADDRNOTAVAIL,
					  "the global address is not a configured global address");
	} else if (s.cfg.n_addrs) {
		ga = s.cfg.addrs[0];
	} else {
		ret = rgm_nft_err(t, -EADDRNOTAVAIL, "no global address is configured");
	}
#define RGM_NFT_USED(port) rgm_nft_find_key(&s, rgm_nft_key(proto, ga, port))
	if (!ret && (flags & RGM_PORTS_F_PAIRS)) {
		for (p = (s.cfg.port_min + 1) & ~1U; p + 1 <= s.cfg.port_max && found < count; p += 2)
			if (!RGM_NFT_USED(p) && !RGM_NFT_USED(p + 1))
				ports[found++] = p;
	} else if (!ret) {
		for (p = s.cfg.port_min; p <= s.cfg.port_max && found < count; p++)
			if (!RGM_NFT_USED(p))
				ports[found++] = p;
	}
#undef RGM_NFT_USED
	if (!ret && found < count)
		ret = rgm_nft_err(t, -ENOSPC, "not enough free ports in the managed range");
	rgm_nft_end(t, &s);
	return ret;
}

/* ---- configuration and statistics ---- */

static int rgm_nft_config_get(void *priv, struct rgm_config *cfg)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	int ret = rgm_nft_begin(t, &s);

	if (ret)
		return ret;
	*cfg = s.cfg;
	cfg->set = 0;
	rgm_nft_end(t, &s);
	return 0;
}

static int rgm_nft_config_check(struct rgm_nft *t, const struct rgm_config *in,
				struct rgm_config *cfg, const struct rgm_nft_state *s)
{
	unsigned int i, j;

	if ((in->set & RGM_CFG_SET_PREFIXES6) && in->n_prefixes6)
		return rgm_nft_err(t, -EAFNOSUPPORT,
				   "the nftables dataplane has no IPv6 pinholes (use rgm.ko)");
	if (in->set & RGM_CFG_SET_ADDRS) {
		if (in->n_addrs > RGM_GLOBAL_ADDRS_MAX)
			return rgm_nft_err(t, -EINVAL, "more than %u global addresses",
					   RGM_GLOBAL_ADDRS_MAX);
		for (i = 0; i < in->n_addrs; i++) {
			if (!rgm_nft_unicast(in->addrs[i]))
				return rgm_nft_err(t, -EINVAL, "a global address must be unicast");
			for (j = 0; j < i; j++)
				if (in->addrs[j].s_addr == in->addrs[i].s_addr)
					return rgm_nft_err(t, -EINVAL, "a global address is listed twice");
		}
		memcpy(cfg->addrs, in->addrs, sizeof(cfg->addrs));
		cfg->n_addrs = in->n_addrs;
	}
	if (in->set & RGM_CFG_SET_PORT_MIN) {
		if (!in->port_min)
			return rgm_nft_err(t, -EINVAL, "the port minimum must be 1..65535");
		cfg->port_min = in->port_min;
	}
	if (in->set & RGM_CFG_SET_PORT_MAX) {
		if (!in->port_max)
			return rgm_nft_err(t, -EINVAL, "the port maximum must be 1..65535");
		cfg->port_max = in->port_max;
	}
	if (cfg->port_min > cfg->port_max)
		return rgm_nft_err(t, -EINVAL, "the port minimum is above the port maximum");
	if (in->set & RGM_CFG_SET_MAX_MAPPINGS) {
		if (!in->max_mappings || in->max_mappings > RGM_MAX_MAPPINGS_LIMIT)
			return rgm_nft_err(t, -EINVAL, "the mapping maximum must be 1..%u",
					   RGM_MAX_MAPPINGS_LIMIT);
		cfg->max_mappings = in->max_mappings;
	}
	if (in->set & RGM_CFG_SET_LEASE_MAX) {
		if (!in->lease_max || in->lease_max > RGM_LEASE_LIMIT)
			return rgm_nft_err(t, -EINVAL, "the lease maximum must be 1..%u",
					   RGM_LEASE_LIMIT);
		cfg->lease_max = in->lease_max;
	}
	if (s->n > cfg->max_mappings)
		return rgm_nft_err(t, -EBUSY,
				   "the mapping maximum is below the number of installed mappings");
	for (i = 0; i < s->n; i++) {
		const struct rgm_map *m = &s->e[i].m;

		if (!rgm_nft_has_addr(cfg, m->global_addr))
			return rgm_nft_err(t, -EBUSY,
					   "the global addresses drop an address an installed mapping uses");
		if (rgm_nft_has_addr(cfg, m->local_addr))
			return rgm_nft_err(t, -EBUSY,
					   "the global addresses hold the local address of an installed mapping");
		if (!rgm_nft_port_managed(cfg, m->global_port))
			return rgm_nft_err(t, -EBUSY,
					   "the port range leaves an installed mapping's port outside");
	}
	return 0;
}

static int rgm_nft_config_set(void *priv, const struct rgm_config *in)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct rgm_nft_buf b = {};
	struct rgm_config cfg;
	int ret = rgm_nft_begin(t, &s);

	if (ret)
		return ret;
	cfg = s.cfg;
	ret = rgm_nft_config_check(t, in, &cfg, &s);
	if (!ret) {
		rgm_nft_put_config(&b, &cfg, true);
		rgm_nft_put_num(&b, &s, RGM_NFT_CFG_MAX_MAPPINGS, cfg.max_mappings);
		rgm_nft_put_num(&b, &s, RGM_NFT_CFG_LEASE_MAX, cfg.lease_max);
		ret = rgm_nft_run_buf(t, &b);
	}
	free(b.p);
	rgm_nft_end(t, &s);
	return ret;
}

static int rgm_nft_stats_get(void *priv, struct rgm_stats *st)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	int ret = rgm_nft_begin(t, &s);

	if (ret)
		return ret;
	memset(st, 0, sizeof(*st));
	memcpy(st->v, s.ctr, sizeof(st->v));
	st->v[RGM_STATS_A_MAPPINGS] = s.n;
	st->v[RGM_STATS_A_ADDED] = s.num[RGM_NFT_CFG_ADDED];
	st->v[RGM_STATS_A_DELETED] = s.num[RGM_NFT_CFG_DELETED];
	/* whatever left without a delete ran out of lease (modulo 2^32, as
	 * the table keeps 32 bit numbers) */
	st->v[RGM_STATS_A_EXPIRED] = (uint32_t)(s.num[RGM_NFT_CFG_ADDED] -
						s.num[RGM_NFT_CFG_DELETED] - s.n);
	rgm_nft_end(t, &s);
	return 0;
}

/* ---- events ---- */

/*
 * nftables tells about transactions (NFNLGRP_NFTABLES) but not about
 * elements that time out. An events handle keeps the last listing; it
 * re-reads the table when the ruleset changed and when the next lease runs
 * out, and reports the difference: new ids as MAP_NEW, vanished ones as
 * MAP_GONE with the reason map gone has for them, else "expired"; it
 * removes the conntrack entries of expired ones. It also puts the table
 * back when an operator flushed or changed it.
 */
/* The listing truncates to whole seconds: the earliest the lease can end.
 * From then on rgm_nft_arm() polls every RGM_NFT_POLL_MS until it is gone,
 * so expiry is seen (and its flows cut) within that. */
#define RGM_NFT_POLL_MS 100
static uint64_t rgm_nft_deadline(uint64_t now, const struct rgm_map *m)
{
	return now + (uint64_t)m->expires * 1000;
}

static void rgm_nft_arm(struct rgm_nft *t)
{
	struct itimerspec its = {};
	uint64_t now = rgm_nft_now_ms(), next = 0, at;
	unsigned int i;

	for (i = 0; i < t->snap.n; i++)
		if (!next || t->snap.e[i].deadline < next)
			next = t->snap.e[i].deadline;
	if (next) {
		/* never spin on one that is late */
		at = next > now + RGM_NFT_POLL_MS ? next - now : RGM_NFT_POLL_MS;
		its.it_value.tv_sec = at / 1000;
		its.it_value.tv_nsec = (at % 1000) * 1000000;
	}
	timerfd_settime(t->timer_fd, 0, &its, NULL);
}

static int rgm_nft_events_setup(struct rgm_nft *t)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int grp = NFNLGRP_NFTABLES;
	int rcvbuf = 1 << 20;
	uint64_t now;
	unsigned int i;
	int ret;

	t->events = true;
	t->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (t->nl_fd < 0)
		return rgm_nft_err(t, -errno, "nfnetlink socket: %s", strerror(errno));
	if (bind(t->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(t->nl_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		return rgm_nft_err(t, -errno, "nfnetlink group: %s", strerror(errno));
	setsockopt(t->nl_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	t->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (t->timer_fd < 0 || t->ep_fd < 0)
		return rgm_nft_err(t, -errno, "events: %s", strerror(errno));
	if (epoll_ctl(t->ep_fd, EPOLL_CTL_ADD, t->nl_fd, &ev) < 0 ||
	    epoll_ctl(t->ep_fd, EPOLL_CTL_ADD, t->timer_fd, &ev) < 0)
		return rgm_nft_err(t, -errno, "epoll: %s", strerror(errno));
	/* subscribed first: nothing changes unseen between this and later */
	ret = rgm_nft_begin(t, &t->snap);
	if (ret)
		return ret;
	rgm_nft_unlock(t);
	now = rgm_nft_now_ms();
	for (i = 0; i < t->snap.n; i++)
		t->snap.e[i].deadline = rgm_nft_deadline(now, &t->snap.e[i].m);
	qsort(t->snap.e, t->snap.n, sizeof(*t->snap.e), rgm_nft_id_cmp);
	t->have_snap = true;
	rgm_nft_arm(t);
	return 0;
}

static int rgm_nft_events_fd(const void *priv)
{
	const struct rgm_nft *t = priv;

	return t->events ? t->ep_fd : -EBADF;
}

static void rgm_nft_drain(struct rgm_nft *t)
{
	char buf[8192];
	uint64_t ticks;
	int i;

	/* bounded; an overflow (ENOBUFS) only means "something changed" */
	for (i = 0; i < 1024; i++)
		if (recv(t->nl_fd, buf, sizeof(buf), 0) < 0 && errno != ENOBUFS && errno != EINTR)
			break;
	if (read(t->timer_fd, &ticks, sizeof(ticks)) < 0)
		ticks = 0;
}

static int rgm_nft_events_recv(void *priv, rgm_event_cb cb, void *arg)
{
	struct rgm_nft *t = priv;
	struct rgm_nft_state s;
	struct rgm_map *expired;
	unsigned int i, j, k, n_expired = 0;
	uint64_t now;
	bool repair;
	int ret;

	if (!t->events)
		return rgm_nft_err(t, -ENOTCONN, "not an open events handle");
	rgm_nft_drain(t);
	ret = rgm_nft_lock(t);
	if (ret)
		return ret;
	ret = rgm_nft_read(t, &s);
	repair = !ret && (!s.present || s.damaged);
	if (repair) {
		/* loudly: the operator's command undid rgm's ruleset */
		rgm_log(LOG_ERR, "nftables: table ip rgm was %s (nft flush ruleset?): restoring it with %u mappings",
			s.present ? "changed" : "removed", t->snap.n);
		ret = rgm_nft_rebuild(t, t->snap.present && !t->snap.damaged ? &t->snap : &s,
				      s.present);
		rgm_nft_state_free(&s);
		if (!ret)
			ret = rgm_nft_read(t, &s);
		if (ret)
			rgm_log(LOG_ERR, "nftables: restoring table ip rgm failed: %s", t->errmsg);
	}
	rgm_nft_unlock(t);
	/* the restore's own notifications would wake us again: drop them */
	if (repair)
		rgm_nft_drain(t);
	if (ret)
		return ret;

	now = rgm_nft_now_ms();
	qsort(s.e, s.n, sizeof(*s.e), rgm_nft_id_cmp);
	expired = calloc(t->snap.n ? t->snap.n : 1, sizeof(*expired));
	if (!expired) {
		rgm_nft_state_free(&s);
		return rgm_nft_err(t, -ENOMEM, NULL);
	}
	for (i = 0, j = 0; i < t->snap.n || j < s.n;) {
		struct rgm_nft_entry *o = i < t->snap.n ? &t->snap.e[i] : NULL;
		struct rgm_nft_entry *n = j < s.n ? &s.e[j] : NULL;

		if (o && (!n || o->m.id < n->m.id)) {
			uint8_t reason = RGM_REASON_EXPIRED;

			for (k = 0; k < s.n_gone; k++)
				if (s.gone[k][0] == o->m.id)
					reason = s.gone[k][1];
			if (reason == RGM_REASON_EXPIRED)
				expired[n_expired++] = o->m;
			cb(RGM_CMD_MAP_GONE, &o->m, reason, arg);
			i++;
		} else if (n && (!o || n->m.id < o->m.id)) {
			n->deadline = rgm_nft_deadline(now, &n->m);
			cb(RGM_CMD_MAP_NEW, &n->m, 0, arg);
			j++;
		} else {
			/* still there; a renew may have moved its deadline */
			n->deadline = rgm_nft_deadline(now, &n->m);
			i++;
			j++;
		}
	}
	rgm_nft_state_free(&t->snap);
	t->snap = s;
	rgm_nft_arm(t);
	/* the kernel forgot them; their flows' conntrack entries are the
	 * agent's to remove (the packet path drops their packets already) */
	ret = rgm_nft_ct_flush(t, expired, n_expired);
	free(expired);
	return ret;
}

const struct rgm_dp_ops rgm_dp_nft_ops = {
	.kind = RGM_DP_NFT,
	.open = rgm_nft_open,
	.close = rgm_nft_close,
	.errmsg = rgm_nft_errmsg,
	.map_add = rgm_nft_map_add,
	.map_del = rgm_nft_map_del,
	.map_renew = rgm_nft_map_renew,
	.map_get = rgm_nft_map_get,
	.map_dump = rgm_nft_map_dump,
	.ports_free = rgm_nft_ports_free,
	.config_get = rgm_nft_config_get,
	.config_set = rgm_nft_config_set,
	.stats_get = rgm_nft_stats_get,
	.events_fd = rgm_nft_events_fd,
	.events_recv = rgm_nft_events_recv,
	.present = rgm_nft_present,
};
