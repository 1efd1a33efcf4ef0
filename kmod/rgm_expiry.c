// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_expiry.c - lease expiry.
 *
 * One delayed work per namespace runs every second while the table is not
 * empty. It scans the whole table under the namespace mutex and removes the
 * expired mappings as one batch, so one conntrack walk serves them all.
 *
 * The scan is O(n) per second. With the default limit of 65536 mappings it
 * touches each one once a second, which is cheap next to the packets those
 * mappings carry, and needs no second index ordered by expiry that every
 * renew would have to keep sorted. Leases have a granularity of one second
 * anyway; a mapping may live up to one second past its lease.
 */
#include "rgm_expiry.h"
#include "rgm_mapping.h"

static void rgm_expiry_work(struct work_struct *work)
{
	struct rgm_net *rn = container_of(to_delayed_work(work),
					  struct rgm_net, expiry);
	unsigned long now = jiffies;
	struct rgm_mapping *m;
	LIST_HEAD(doomed);
	int id;

	mutex_lock(&rn->lock);
	if (rn->dying)
		goto out;

	rgm_table_for_each(rn, m, id)
		if (!time_before(now, m->expires))
			list_add_tail(&m->gone, &doomed);
	rgm_mapping_remove(rn, &doomed, RGM_REASON_EXPIRED);

	rgm_expiry_arm(rn);
out:
	mutex_unlock(&rn->lock);
}

void rgm_expiry_setup(struct rgm_net *rn)
{
	INIT_DELAYED_WORK(&rn->expiry, rgm_expiry_work);
}

/* Schedules the next scan if there is something to scan. */
void rgm_expiry_arm(struct rgm_net *rn)
{
	lockdep_assert_held(&rn->lock);

	if (rn->count && !rn->dying)
		queue_delayed_work(system_power_efficient_wq, &rn->expiry, HZ);
}

/* rn->dying is set: the work does not rearm itself any more. */
void rgm_expiry_teardown(struct rgm_net *rn)
{
	cancel_delayed_work_sync(&rn->expiry);
}
