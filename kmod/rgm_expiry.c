// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_expiry.c - lease expiry.
 *
 * One delayed work per namespace runs every second while the table is not
 * empty. It scans the whole table and removes the expired mappings as one
 * batch, so one RCU grace period and one conntrack walk serve them all.
 *
 * The scan is O(n) per second: it needs no second index ordered by expiry
 * that every renew would have to keep sorted. It must not hold the
 * namespace mutex for all of it, though: at 100,000 mappings a whole scan
 * under the mutex stalled every command that came meanwhile (make bench:
 * the add p99 went from under 3 ms to 41 ms, once a second). So it notes
 * the expired mappings' ids in chunks of RGM_EXPIRY_CHUNK, dropping the
 * mutex between chunks, and then, under the mutex, looks each id up again
 * and removes those still there and still expired (a command may have
 * deleted or renewed them meanwhile). Leases have a granularity of one
 * second anyway; a mapping may live up to one second past its lease.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "rgm_expiry.h"
#include "rgm_mapping.h"

#define RGM_EXPIRY_CHUNK	1024

/*
 * Appends @id to *@ids (*@n used of *@cap); false if out of memory. The
 * array reaches 4 bytes a mapping (256 KiB at the default 65536), too big
 * to ask of kmalloc's higher orders: kvmalloc falls back to vmalloc.
 */
static bool rgm_expiry_note(u32 **ids, unsigned int *n, unsigned int *cap, u32 id)
{
	u32 *more;

	if (*n == *cap) {
		unsigned int want = *cap ? *cap * 2 : 64;

		more = kvmalloc_array(want, sizeof(**ids), GFP_KERNEL);
		if (!more)
			return false;
		if (*n)
			memcpy(more, *ids, *n * sizeof(**ids));
		kvfree(*ids);
		*ids = more;
		*cap = want;
	}
	(*ids)[(*n)++] = id;
	return true;
}

static void rgm_expiry_work(struct work_struct *work)
{
	struct rgm_net *rn = container_of(to_delayed_work(work),
					  struct rgm_net, expiry);
	unsigned int n = 0, cap = 0, seen = 0, i;
	unsigned long now = jiffies;
	struct rgm_mapping *m;
	LIST_HEAD(doomed);
	u32 *ids = NULL;
	int id = 0;

	mutex_lock(&rn->lock);
	while (!rn->dying && (m = rgm_table_next(rn, &id))) {
		/* out of memory: remove what was noted, the rest next time */
		if (!time_before(now, m->expires) &&
		    !rgm_expiry_note(&ids, &n, &cap, id))
			break;
		id++;
		if (++seen % RGM_EXPIRY_CHUNK == 0) {
			mutex_unlock(&rn->lock);
			cond_resched();
			mutex_lock(&rn->lock);
		}
	}
	if (rn->dying)
		goto out;

	for (i = 0; i < n; i++) {
		m = rgm_table_find_id(rn, ids[i]);
		if (m && !time_before(now, m->expires))
			list_add_tail(&m->gone, &doomed);
	}
	rgm_mapping_remove(rn, &doomed, RGM_REASON_EXPIRED);

	rgm_expiry_arm(rn);
out:
	mutex_unlock(&rn->lock);
	kvfree(ids);
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
