// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_ct.c - kill the conntrack entries of removed mappings.
 *
 * A NAT binding lives in the conntrack entry, not in rgm: once a flow is
 * set up, conntrack NAT translates its packets without asking rgm. Removing
 * a mapping therefore must remove the conntracks bound to it, or the stream
 * would go on until the conntrack times out. rgm_ct_cleanup() does that with
 * one walk of the namespace's conntrack table per batch of removals, so a
 * flush costs O(conntracks + mappings), not O(conntracks * mappings).
 */
#include <linux/in.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_tuple.h>
#include "rgm_compat.h"
#include "rgm_ct.h"
#include "rgm_table.h"

/*
 * Called by the conntrack core for every entry of the namespace, with a
 * conntrack bucket lock held and BHs off: no sleeping.
 *
 * A conntrack belongs to a removed mapping when rgm DNAT'd it (IPv4) or
 * let it through a pinhole (IPv6, the pinhole label bit): its original
 * destination is the mapping's key, the mapping is dead (marked by the
 * remover), and its reply source is the mapping's local address and port
 * (a conntrack DNAT'd elsewhere by another NAT user is left alone).
 */
static int rgm_ct_is_dead(struct nf_conn *ct, void *data)
{
	const struct nf_conntrack_tuple *orig, *reply;
	struct rgm_net *rn = data;
	struct rgm_mapping *m;
	struct rgm_key key;
	int kill = 0;

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	if (orig->dst.protonum != IPPROTO_TCP &&
	    orig->dst.protonum != IPPROTO_UDP)
		return 0;
	if (orig->src.l3num == NFPROTO_IPV4) {
		if (!test_bit(IPS_DST_NAT_BIT, &ct->status))
			return 0;
	} else if (orig->src.l3num == NFPROTO_IPV6) {
		/* A pinhole flow: untranslated, marked by rgm's label. */
		if (!rgm_table_ct_is_pinhole(ct))
			return 0;
	} else {
		return 0;
	}

	rgm_key_from_tuple(&key, orig);
	rcu_read_lock();
	m = rgm_table_lookup(rn, &key);
	if (m && rgm_table_is_dead(m) &&
	    rgm_addr_eq(key.family, &reply->src.u3, &m->laddr) &&
	    reply->src.u.all == m->lport)
		kill = 1;
	rcu_read_unlock();

	return kill;
}

/* Caller holds rgm_net.lock and has marked the doomed mappings dead. */
void rgm_ct_cleanup(struct rgm_net *rn)
{
	struct nf_ct_iter_data iter = {
		.net = rn->net,
		.data = rn,
	};

	lockdep_assert_held(&rn->lock);

	/* Without activation there is no conntrack rgm could have bound. */
	if (!rn->active && !rn->active6)
		return;
	nf_ct_iterate_cleanup_net(rgm_ct_is_dead, &iter);
}
