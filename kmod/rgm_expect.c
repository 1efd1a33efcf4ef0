// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_expect.c - no conntrack expectation on the managed range.
 *
 * A conntrack helper (nf_conntrack_sip, _h323, ...) reads payloads and
 * creates expectations: pinholes for connections it predicts, which a NAT
 * helper puts on the gateway's global address. A LAN host (or a web page
 * doing NAT slipstreaming) can name any port in such a payload, the managed
 * range included. rgm.ko already drops every packet such an expectation
 * would let in (the related conntrack has no mapping), but the managed
 * range is rgm's alone: no expectation may exist on it.
 *
 * Helpers run in nf_confirm(), in the conntrack hooks at priority
 * NF_IP_PRI_CONNTRACK_CONFIRM (INT_MAX) of POST_ROUTING and LOCAL_IN, the
 * last hooks a packet passes, so no netfilter hook runs after the helper
 * on the same packet, and conntrack lets one module only receive
 * expectation events (ctnetlink takes it). Instead rgm_pkt_hook, at
 * PRE_ROUTING before the helper, queues this namespace's sweep for every
 * packet of a conntrack that has a helper. The work runs once the packet's
 * softirq is done, after its helper ran, and removes every expectation
 * whose destination is a global address and managed port through
 * nf_ct_expect_iterate_net(), which does conntrack's own locking and
 * reference counting for each kernel version. One sweep at most is
 * pending per namespace; it costs one walk of the expectation hash (a few
 * hundred buckets). If a sweep started on another CPU before a helper ran,
 * the next helper packet of the namespace removes what it missed.
 *
 * Locally generated packets do not pass PRE_ROUTING: expectations made by
 * the gateway's own programs are removed at the next forwarded or received
 * helper packet only.
 */
#include <net/netfilter/nf_conntrack_expect.h>
#include "rgm_expect.h"

static bool rgm_expect_managed(struct nf_conntrack_expect *exp, void *data)
{
	const struct nf_conntrack_tuple *t = &exp->tuple;
	const struct rgm_config *cfg = data;

	if (t->src.l3num != NFPROTO_IPV4)
		return false;
	if (t->dst.protonum != IPPROTO_TCP && t->dst.protonum != IPPROTO_UDP)
		return false;
	return rgm_config_port_managed(cfg, ntohs(t->dst.u.all)) &&
	       rgm_config_has_addr(cfg, t->dst.u3.ip);
}

static void rgm_expect_sweep(struct work_struct *work)
{
	struct rgm_net *rn = container_of(work, struct rgm_net, expect_sweep);

	rcu_read_lock();
	nf_ct_expect_iterate_net(rn->net, rgm_expect_managed,
				 rcu_dereference(rn->cfg), 0, 0);
	rcu_read_unlock();
}

void rgm_expect_setup(struct rgm_net *rn)
{
	INIT_WORK(&rn->expect_sweep, rgm_expect_sweep);
}

/* After the hooks are gone: nothing queues the sweep any more. */
void rgm_expect_teardown(struct rgm_net *rn)
{
	cancel_work_sync(&rn->expect_sweep);
}
