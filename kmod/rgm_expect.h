/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_expect.h - no conntrack expectation on the managed range.
 */
#ifndef _RGM_EXPECT_H
#define _RGM_EXPECT_H

#include <net/netfilter/nf_conntrack_helper.h>
#include "rgm_pernet.h"

void rgm_expect_setup(struct rgm_net *rn);
void rgm_expect_teardown(struct rgm_net *rn);

/*
 * Packet path: a packet of a conntrack with a helper may make the helper
 * expect a connection. Cheap for every other conntrack: one extension
 * lookup.
 */
static inline void rgm_expect_note(struct rgm_net *rn, const struct nf_conn *ct)
{
	const struct nf_conn_help *help = nfct_help(ct);

	if (help && rcu_access_pointer(help->helper))
		queue_work(system_wq, &rn->expect_sweep);
}

#endif /* _RGM_EXPECT_H */
