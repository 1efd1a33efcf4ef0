// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_table.c - mapping table: rhashtable by key for the packet path, idr by
 * id for netlink (get by id, id-ordered dumps, deletes by id).
 *
 * Writers hold rgm_net.lock. Packet path readers only use rcu_read_lock()
 * (they run in the netfilter hooks, already inside an RCU read section).
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
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

/* The table must be empty by now (rgm_mapping_remove_all()); free any leftover. */
void rgm_table_teardown(struct rgm_net *rn)
{
	WARN_ON_ONCE(rn->count);
	rhashtable_free_and_destroy(&rn->table, rgm_table_free_one, NULL);
	idr_destroy(&rn->ids);
}

/*
 * Packet path and conntrack walk: caller holds rcu_read_lock() (the
 * netfilter hooks run inside one) and must not use the result after it.
 */
struct rgm_mapping *rgm_table_lookup(struct rgm_net *rn,
				     const struct rgm_key *key)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "rgm_table_lookup() outside an RCU read section");
	return rhashtable_lookup(&rn->table, key, rgm_table_params);
}

/*
 * Writers: the mutex keeps the result alive; the RCU read section is only
 * what rhashtable_lookup() asks of its callers.
 */
struct rgm_mapping *rgm_table_lookup_locked(struct rgm_net *rn,
					    const struct rgm_key *key)
{
	struct rgm_mapping *m;

	lockdep_assert_held(&rn->lock);

	rcu_read_lock();
	m = rgm_table_lookup(rn, key);
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

/*
 * Takes @m out of both indexes. Readers inside an RCU read section may
 * still hold it: the caller frees it with kfree_rcu().
 */
void rgm_table_unlink(struct rgm_net *rn, struct rgm_mapping *m)
{
	lockdep_assert_held(&rn->lock);

	rhashtable_remove_fast(&rn->table, &m->node, rgm_table_params);
	idr_remove(&rn->ids, m->id);
	rn->count--;
	rn->gen++;
}
