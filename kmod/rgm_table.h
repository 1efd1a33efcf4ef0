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
#include <linux/rhashtable.h>
#include "rgm_pernet.h"

/* The lookup key: what a WAN packet is addressed to. */
struct rgm_key {
	__be32 gaddr;
	__be16 gport;
	u8 proto;
	u8 pad;		/* always 0: the key is hashed and compared as bytes */
};

/**
 * struct rgm_mapping - one stream mapping
 * @node: in rgm_net.table
 * @key: (global addr, global port, proto)
 * @id: in rgm_net.ids, never 0
 * @stream: enum rgm_stream
 * @dead: set under rgm_net.lock before the mapping's conntracks are killed;
 *	packet path readers treat a dead mapping as absent
 * @saddr: server address filter, 0: any
 * @sport: server port filter, 0: any
 * @laddr: local (LAN) address the stream is translated to
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
	__be32 saddr;
	__be16 sport;
	__be32 laddr;
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

struct rgm_mapping *rgm_table_lookup(struct rgm_net *rn, u8 proto,
				     __be32 gaddr, __be16 gport);
struct rgm_mapping *rgm_table_lookup_locked(struct rgm_net *rn, u8 proto,
					    __be32 gaddr, __be16 gport);
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
