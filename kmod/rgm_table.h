/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_table.h - the mapping table of one namespace: a leaf.
 *
 * It stores mappings and finds them; it calls nothing else of rgm. What
 * removing a mapping means (conntracks, events, counters) is rgm_mapping.c's.
 */
#ifndef _RGM_TABLE_H
#define _RGM_TABLE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/netfilter.h>
#include <linux/rhashtable.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack_labels.h>
#include <net/netfilter/nf_conntrack_tuple.h>
#include "rgm_pernet.h"

/*
 * The lookup key: what a WAN packet is addressed to. Hashed and compared
 * as bytes: an IPv4 key has the rest of @gaddr zero (keys are built only
 * by rgm_key_init()). For a pinhole @gaddr/@gport are the local ones.
 */
struct rgm_key {
	union nf_inet_addr gaddr;
	__be16 gport;
	u8 proto;
	u8 family;	/* AF_INET or AF_INET6 */
};

static inline void rgm_key_init(struct rgm_key *key, u8 family, u8 proto,
				const union nf_inet_addr *gaddr, __be16 gport)
{
	memset(key, 0, sizeof(*key));
	key->family = family;
	key->proto = proto;
	if (family == AF_INET)
		key->gaddr.ip = gaddr->ip;
	else
		key->gaddr.in6 = gaddr->in6;
	key->gport = gport;
}

/*
 * Does this conntrack carry rgm's pinhole label (an IPv6 flow rgm let
 * through)? Here, in the leaf, for the packet path and the conntrack walk.
 */
static inline bool rgm_table_ct_is_pinhole(const struct nf_conn *ct)
{
	struct nf_conn_labels *labels = nf_ct_labels_find(ct);

	return labels && test_bit(RGM_CT_LABEL_PINHOLE, labels->bits);
}

/* Only the family's bytes count: IPv4 tuples need not zero the rest. */
static inline bool rgm_addr_eq(u8 family, const union nf_inet_addr *a,
			       const union nf_inet_addr *b)
{
	if (family == AF_INET)
		return a->ip == b->ip;
	return ipv6_addr_equal(&a->in6, &b->in6);
}

/* What a conntrack's original direction is addressed to. */
static inline void rgm_key_from_tuple(struct rgm_key *key,
				      const struct nf_conntrack_tuple *t)
{
	rgm_key_init(key, t->src.l3num == NFPROTO_IPV6 ? AF_INET6 : AF_INET,
		     t->dst.protonum, &t->dst.u3, t->dst.u.all);
}

/**
 * struct rgm_mapping - one stream mapping
 * @node: in rgm_net.table
 * @key: (global addr, global port, proto)
 * @id: in rgm_net.ids, never 0
 * @stream: enum rgm_stream
 * @dead: set under rgm_net.lock before the mapping's conntracks are killed;
 *	packet path readers treat a dead mapping as absent
 * @saddr: server address filter, 0 (0.0.0.0 or ::): any
 * @sport: server port filter, 0: any
 * @laddr: local (LAN) address the stream is translated to; for a pinhole
 *	(@key.family AF_INET6) the same as @key.gaddr
 * @lport: local port
 * @lease: lease in seconds, as last set
 * @owner: caller's cookie
 * @expires: jiffies when the lease runs out
 * @gone: link in a batch being installed or removed (under rgm_net.lock)
 * @rcu: the mapping is freed with kfree_rcu(): packet path readers hold no
 *	reference, they only ever use it inside one RCU read section
 *
 * Everything but the counters and @dead is written before the mapping is
 * published and never again, except @lease and @expires, which only
 * writers and netlink readers use, all under rgm_net.lock.
 */
struct rgm_mapping {
	struct rhash_head node;
	struct rgm_key key;
	u32 id;
	u8 stream;
	bool dead;
	union nf_inet_addr saddr;
	__be16 sport;
	union nf_inet_addr laddr;
	__be16 lport;
	u32 lease;
	u64 owner;
	unsigned long expires;
	atomic64_t packets_in;
	atomic64_t bytes_in;
	atomic64_t packets_out;
	atomic64_t bytes_out;
	atomic64_t drops;
	struct list_head gone;
	struct rcu_head rcu;
};

int rgm_table_setup(struct rgm_net *rn);
void rgm_table_teardown(struct rgm_net *rn);

struct rgm_mapping *rgm_table_lookup(struct rgm_net *rn,
				     const struct rgm_key *key);
struct rgm_mapping *rgm_table_lookup_locked(struct rgm_net *rn,
					    const struct rgm_key *key);
struct rgm_mapping *rgm_table_find_id(struct rgm_net *rn, u32 id);
int rgm_table_insert(struct rgm_net *rn, struct rgm_mapping *m);
void rgm_table_unlink(struct rgm_net *rn, struct rgm_mapping *m);

/* Every mapping in id order; caller holds rgm_net.lock. */
#define rgm_table_for_each(rn, m, id) idr_for_each_entry(&(rn)->ids, m, id)

/* The mapping with the lowest id >= *@id (a dump cursor), *@id set to it. */
static inline struct rgm_mapping *rgm_table_next(struct rgm_net *rn, int *id)
{
	lockdep_assert_held(&rn->lock);
	return idr_get_next(&rn->ids, id);
}

/* The packet path treats a dead mapping as absent from then on. */
static inline void rgm_table_mark_dead(struct rgm_mapping *m)
{
	WRITE_ONCE(m->dead, true);
}

static inline bool rgm_table_is_dead(const struct rgm_mapping *m)
{
	return READ_ONCE(m->dead);
}

#endif /* _RGM_TABLE_H */
