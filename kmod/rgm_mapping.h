/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_mapping.h - a mapping's life: allocation and ordered removal.
 */
#ifndef _RGM_MAPPING_H
#define _RGM_MAPPING_H

#include "rgm_table.h"

/*
 * Who hears of removed mappings. Set by the netlink family, which sits
 * above this unit; called under rgm_net.lock inside an RCU read section,
 * so it must not sleep.
 */
struct rgm_mapping_notifier {
	void (*gone)(struct rgm_net *rn, const struct rgm_mapping *m, u8 reason);
};

void rgm_mapping_notifier_set(const struct rgm_mapping_notifier *n);

struct rgm_mapping *rgm_mapping_alloc(void);
void rgm_mapping_free(struct rgm_mapping *m);

static inline void rgm_mapping_set_lease(struct rgm_mapping *m, u32 lease)
{
	m->lease = lease;
	m->expires = jiffies + (unsigned long)lease * HZ;
}

static inline u32 rgm_mapping_expires_in(const struct rgm_mapping *m)
{
	unsigned long now = jiffies;

	if (!time_after(m->expires, now))
		return 0;
	return DIV_ROUND_UP(m->expires - now, HZ);
}

void rgm_mapping_remove(struct rgm_net *rn, struct list_head *doomed,
			u8 reason);
void rgm_mapping_remove_all(struct rgm_net *rn);

#endif /* _RGM_MAPPING_H */
