// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_mapping.c - a mapping's life: allocation and ordered removal.
 *
 * Installing is the table's insert; removing is more than an unlink,
 * because the NAT bindings rgm made live on in conntrack. Every removal,
 * whatever asked for it (a command, a lease, the namespace going away),
 * goes through rgm_mapping_remove(), which keeps the order below.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include "rgm_ct.h"
#include "rgm_mapping.h"

static const struct rgm_mapping_notifier __rcu *rgm_notifier;

/*
 * NULL unhooks the notifier; it returns once no removal is inside the old
 * one any more, so its owner may go away after that.
 */
void rgm_mapping_notifier_set(const struct rgm_mapping_notifier *n)
{
	rcu_assign_pointer(rgm_notifier, n);
	if (!n)
		synchronize_rcu();
}

static void rgm_mapping_notify_gone(struct rgm_net *rn,
				    const struct rgm_mapping *m, u8 reason)
{
	const struct rgm_mapping_notifier *n;

	rcu_read_lock();
	n = rcu_dereference(rgm_notifier);
	if (n)
		n->gone(rn, m, reason);
	rcu_read_unlock();
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

/**
 * rgm_mapping_remove - remove a batch of mappings and cut their streams
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
 * 4. notify, count, unlink, kfree_rcu().
 */
void rgm_mapping_remove(struct rgm_net *rn, struct list_head *doomed,
			u8 reason)
{
	struct rgm_mapping *m, *tmp;

	lockdep_assert_held(&rn->lock);

	if (list_empty(doomed))
		return;

	list_for_each_entry(m, doomed, gone)
		rgm_table_mark_dead(m);

	/* After pre_exit the hooks are gone and a grace period has passed. */
	if (!rn->dying)
		synchronize_rcu();
	rgm_ct_cleanup(rn);

	list_for_each_entry_safe(m, tmp, doomed, gone) {
		list_del_init(&m->gone);
		if (reason == RGM_REASON_EXPIRED)
			rn->expired++;
		else if (reason != RGM_REASON_UNSPEC)
			rn->deleted++;
		if (reason != RGM_REASON_UNSPEC)
			rgm_mapping_notify_gone(rn, m, reason);
		rgm_table_unlink(rn, m);
		kfree_rcu(m, rcu);
	}
}

/* Removes every mapping silently (namespace exit, module unload). */
void rgm_mapping_remove_all(struct rgm_net *rn)
{
	struct rgm_mapping *m;
	LIST_HEAD(doomed);
	int id;

	lockdep_assert_held(&rn->lock);

	rgm_table_for_each(rn, m, id)
		list_add_tail(&m->gone, &doomed);
	rgm_mapping_remove(rn, &doomed, RGM_REASON_UNSPEC);
}
