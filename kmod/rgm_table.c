// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_table.c - mapping table: rhashtable by key for the packet path, idr by
 * id for netlink (get by id, id-ordered dumps, deletes by id).
 *
 * Writers hold rgm_net.lock. Packet path readers only use rcu_read_lock()
 * (they run in the netfilter hooks, already inside an RCU read section).
 */
#include <linux/slab.h>
#include "rgm_ct.h"
#include "rgm_netlink.h"
#include "rgm_table.h"

static const struct rhashtable_params rgm_table_params = {
	.head_offset = offsetof(struct rgm_mapping, node),
	.key_offset = offsetof(struct rgm_mapping, key),
	.key_len = sizeof(struct rgm_key),
	.automatic_shrinking = true,
};

int rgm_table_setup(struct rgm_net *rn)
{
	idr_init(&rn->ids);
	return rhashtable_init(&rn->table, &rgm_table_params);
}

static void rgm_table_free_one(void *ptr, void *arg)
{
	struct rgm_mapping *m = ptr;

	kfree_rcu(m, rcu);
}

/* The table must be empty by now (rgm_table_flush()); free any leftover. */
void rgm_table_teardown(struct rgm_net *rn)
{
	WARN_ON_ONCE(rn->count);
	rhashtable_free_and_destroy(&rn->table, rgm_table_free_one, NULL);
	idr_destroy(&rn->ids);
}

struct rgm_mapping *rgm_mapping_alloc(void)
{
	struct rgm_mapping *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (m)
		INIT_LIST_HEAD(&m->gone);
	return m;
}

/* For a mapping that was never published. */
void rgm_mapping_free(struct rgm_mapping *m)
{
	kfree(m);
}

/* Packet path and conntrack walk: caller holds rcu_read_lock(). */
struct rgm_mapping *rgm_table_lookup(struct rgm_net *rn, u8 proto,
				     __be32 gaddr, __be16 gport)
{
	struct rgm_key key = {
		.gaddr = gaddr,
		.gport = gport,
		.proto = proto,
	};

	return rhashtable_lookup(&rn->table, &key, rgm_table_params);
}

/*
 * Writers: the mutex keeps the result alive; the RCU read section is only
 * what rhashtable_lookup() asks of its callers.
 */
struct rgm_mapping *rgm_table_lookup_locked(struct rgm_net *rn, u8 proto,
					    __be32 gaddr, __be16 gport)
{
	struct rgm_mapping *m;

	lockdep_assert_held(&rn->lock);

	rcu_read_lock();
	m = rgm_table_lookup(rn, proto, gaddr, gport);
	rcu_read_unlock();
	return m;
}

struct rgm_mapping *rgm_table_find_id(struct rgm_net *rn, u32 id)
{
	lockdep_assert_held(&rn->lock);

	if (!id || id > INT_MAX)
		return NULL;
	return idr_find(&rn->ids, id);
}

/*
 * Publishes @m. Ids are allocated cyclically so that a stale id held by a
 * client does not name a newer mapping soon after a delete.
 */
int rgm_table_insert(struct rgm_net *rn, struct rgm_mapping *m)
{
	int id, err;

	lockdep_assert_held(&rn->lock);

	id = idr_alloc_cyclic(&rn->ids, m, 1, INT_MAX, GFP_KERNEL);
	if (id < 0)
		return id;
	m->id = id;

	err = rhashtable_lookup_insert_fast(&rn->table, &m->node,
					    rgm_table_params);
	if (err) {
		idr_remove(&rn->ids, id);
		return err;
	}
	rn->count++;
	rn->gen++;
	return 0;
}

static void rgm_table_unlink(struct rgm_net *rn, struct rgm_mapping *m)
{
	lockdep_assert_held(&rn->lock);

	rhashtable_remove_fast(&rn->table, &m->node, rgm_table_params);
	idr_remove(&rn->ids, m->id);
	rn->count--;
	rn->gen++;
	kfree_rcu(m, rcu);
}

/**
 * rgm_table_remove - remove a batch of mappings and cut their streams
 * @rn: namespace state, lock held
 * @doomed: mappings linked by their @gone member; emptied
 * @reason: RGM_REASON_* for the MAP_GONE notifications and the counters, or
 *	RGM_REASON_UNSPEC for silent removal (rollback, namespace exit)
 *
 * Order matters:
 * 1. mark every mapping dead, so the packet path stops using it;
 * 2. wait for an RCU grace period: a packet that found the mapping alive
 *    before step 1 has then finished its whole traversal (the netfilter
 *    hooks up to the conntrack confirm run in one RCU read section), so
 *    its conntrack is in the hash table where step 3 finds it;
 * 3. one conntrack walk for the whole batch kills every conntrack bound to
 *    a dead mapping;
 * 4. notify, unlink, kfree_rcu().
 */
void rgm_table_remove(struct rgm_net *rn, struct list_head *doomed, u8 reason)
{
	struct rgm_mapping *m, *tmp;

	lockdep_assert_held(&rn->lock);

	if (list_empty(doomed))
		return;

	list_for_each_entry(m, doomed, gone)
		WRITE_ONCE(m->dead, true);

	/* After pre_exit the hooks are gone and a grace period has passed. */
	if (!rn->dying)
		synchronize_rcu();
	rgm_ct_cleanup(rn);

	list_for_each_entry_safe(m, tmp, doomed, gone) {
		list_del_init(&m->gone);
		if (reason != RGM_REASON_UNSPEC)
			rgm_nl_notify(rn, m, RGM_CMD_MAP_GONE, reason);
		if (reason == RGM_REASON_EXPIRED)
			rn->expired++;
		else if (reason != RGM_REASON_UNSPEC)
			rn->deleted++;
		rgm_table_unlink(rn, m);
	}
}

/* Removes every mapping silently (namespace exit, module unload). */
void rgm_table_flush(struct rgm_net *rn)
{
	struct rgm_mapping *m;
	LIST_HEAD(doomed);
	int id;

	lockdep_assert_held(&rn->lock);

	idr_for_each_entry(&rn->ids, m, id)
		list_add_tail(&m->gone, &doomed);
	rgm_table_remove(rn, &doomed, RGM_REASON_UNSPEC);
}
