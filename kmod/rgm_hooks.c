// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_hooks.c - the packet path.
 *
 * Two hooks at IPv4 PRE_ROUTING, both after conntrack (-200):
 *
 * rgm_nat_hook, NF_IP_PRI_NAT_DST - 1, registered through the NAT core
 *   (nf_nat_ipv4_register_fn), like an nftables nat chain. The NAT core calls
 *   it only for a conntrack whose destination manip is not set up yet, i.e.
 *   once per new flow, before any nftables dstnat chain. It binds the flow
 *   to its mapping with nf_nat_setup_info() or drops it. Everything after
 *   that - translating later packets, replies, ICMP errors, TCP state - is
 *   conntrack NAT's job.
 *
 * rgm_pkt_hook, NF_IP_PRI_NAT_DST + 1, a plain hook after DNAT. It sees
 *   every packet: counts the packets of rgm's flows, drops packets of flows
 *   whose mapping went away while they raced with its removal, checks RTP
 *   on every WAN to LAN datagram of an rtp mapping, drops packets to
 *   managed ports that conntrack could not track, and has expectations on
 *   the managed range removed (rgm_expect.c).
 *
 * Both hooks run in an RCU read section (nf_hook_slow()); mappings are only
 * used inside it, so they need no reference.
 */
#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include "rgm_compat.h"
#include "rgm_expect.h"
#include "rgm_hooks.h"
#include "rgm_rtp.h"
#include "rgm_table.h"

static bool rgm_hooks_is_rtp(const struct sk_buff *skb)
{
	return rgm_rtp_check(skb, ip_hdrlen(skb));
}

static bool rgm_hooks_server_ok(const struct rgm_mapping *m,
				const struct nf_conntrack_tuple *orig)
{
	if (m->saddr.ip && m->saddr.ip != orig->src.u3.ip)
		return false;
	if (m->sport && m->sport != orig->src.u.all)
		return false;
	return true;
}

/*
 * Is this conntrack's original direction aimed at a managed port of a
 * global address? The cheap test every packet of the namespace pays.
 */
static bool rgm_hooks_managed(const struct rgm_net *rn,
			      const struct nf_conntrack_tuple *orig)
{
	const struct rgm_config *cfg;

	if (orig->src.l3num != NFPROTO_IPV4)
		return false;
	if (orig->dst.protonum != IPPROTO_TCP &&
	    orig->dst.protonum != IPPROTO_UDP)
		return false;
	cfg = rcu_dereference(rn->cfg);
	return rgm_config_port_managed(cfg, ntohs(orig->dst.u.all)) &&
	       rgm_config_has_addr(cfg, orig->dst.u3.ip);
}

static unsigned int rgm_nat_hook(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct rgm_net *rn = priv;
	const struct nf_conntrack_tuple *orig;
	struct nf_nat_range2 range = {};
	enum ip_conntrack_info ctinfo;
	struct rgm_key key;
	struct rgm_mapping *m;
	struct nf_conn *ct;
	unsigned int ret;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
		return NF_ACCEPT;

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (!rgm_hooks_managed(rn, orig))
		return NF_ACCEPT;

	rgm_key_from_tuple(&key, orig);
	m = rgm_table_lookup(rn, &key);
	if (!m || rgm_table_is_dead(m)) {
		rgm_stats_inc(rn, drop_no_mapping);
		return NF_DROP;
	}
	if (!rgm_hooks_server_ok(m, orig)) {
		rgm_stats_inc(rn, drop_wrong_server);
		atomic64_inc(&m->drops);
		return NF_DROP;
	}
	if (m->stream == RGM_STREAM_RTP && ctinfo == IP_CT_NEW &&
	    !rgm_hooks_is_rtp(skb)) {
		rgm_stats_inc(rn, drop_not_rtp);
		atomic64_inc(&m->drops);
		return NF_DROP;
	}

	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr.ip = m->laddr.ip;
	range.max_addr.ip = m->laddr.ip;
	range.min_proto.all = m->lport;
	range.max_proto.all = m->lport;

	ret = nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
	if (ret == NF_ACCEPT)
		rgm_stats_inc(rn, translated);
	return ret;
}

/* No usable conntrack: drop it if it is aimed at a managed port. */
static unsigned int rgm_pkt_untracked(struct rgm_net *rn, struct sk_buff *skb)
{
	const struct rgm_config *cfg;
	const struct iphdr *iph = ip_hdr(skb);
	__be16 _ports[2];
	const __be16 *ports;

	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return NF_ACCEPT;
	/* A later fragment carries no ports; without its first it is junk. */
	if (iph->frag_off & htons(IP_OFFSET))
		return NF_ACCEPT;
	cfg = rcu_dereference(rn->cfg);
	if (!rgm_config_has_addr(cfg, iph->daddr))
		return NF_ACCEPT;
	ports = skb_header_pointer(skb, ip_hdrlen(skb), sizeof(_ports), _ports);
	if (!ports)
		return NF_ACCEPT;
	if (!rgm_config_port_managed(cfg, ntohs(ports[1])))
		return NF_ACCEPT;
	rgm_stats_inc(rn, drop_untracked);
	return NF_DROP;
}

static unsigned int rgm_pkt_hook(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct rgm_net *rn = priv;
	const struct nf_conntrack_tuple *orig, *reply;
	enum ip_conntrack_info ctinfo;
	struct rgm_mapping *m;
	struct rgm_key key;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo == IP_CT_UNTRACKED || nf_ct_is_template(ct))
		return rgm_pkt_untracked(rn, skb);

	rgm_expect_note(rn, ct);
	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (!rgm_hooks_managed(rn, orig))
		return NF_ACCEPT;
	if (!test_bit(IPS_DST_NAT_BIT, &ct->status))
		return NF_ACCEPT;

	/*
	 * The flow was bound by rgm: its mapping must still be there, and be
	 * the same one (a mapping re-added under the same key with another
	 * local address must not inherit an old flow).
	 */
	reply = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	rgm_key_from_tuple(&key, orig);
	m = rgm_table_lookup(rn, &key);
	if (!m || rgm_table_is_dead(m) || reply->src.u3.ip != m->laddr.ip ||
	    reply->src.u.all != m->lport) {
		rgm_stats_inc(rn, drop_no_mapping);
		return NF_DROP;
	}

	if (CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL) {
		if (m->stream == RGM_STREAM_RTP && ctinfo != IP_CT_RELATED &&
		    ip_hdr(skb)->protocol == IPPROTO_UDP &&
		    !rgm_hooks_is_rtp(skb)) {
			rgm_stats_inc(rn, drop_not_rtp);
			atomic64_inc(&m->drops);
			return NF_DROP;
		}
		atomic64_inc(&m->packets_in);
		atomic64_add(skb->len, &m->bytes_in);
	} else {
		atomic64_inc(&m->packets_out);
		atomic64_add(skb->len, &m->bytes_out);
	}
	return NF_ACCEPT;
}

/*
 * Templates: each namespace registers its own copies (rgm_net.nat_ops,
 * .pkt_ops) with priv pointing at its rgm_net, so the packet path finds its
 * state without a per-packet namespace lookup.
 */
static const struct nf_hook_ops rgm_nat_ops = {
	.hook = rgm_nat_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_PRE_ROUTING,
	.priority = NF_IP_PRI_NAT_DST - 1,
};

static const struct nf_hook_ops rgm_pkt_ops = {
	.hook = rgm_pkt_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_PRE_ROUTING,
	.priority = NF_IP_PRI_NAT_DST + 1,
};

/* Caller holds a conntrack reference for IPv4 in rn->net (nf_ct_netns_get). */
int rgm_hooks_register(struct rgm_net *rn)
{
	int err;

	rn->nat_ops = rgm_nat_ops;
	rn->nat_ops.priv = rn;
	rn->pkt_ops = rgm_pkt_ops;
	rn->pkt_ops.priv = rn;

	err = nf_nat_ipv4_register_fn(rn->net, &rn->nat_ops);
	if (err)
		return err;
	err = nf_register_net_hook(rn->net, &rn->pkt_ops);
	if (err)
		goto err_nat;
	return 0;

err_nat:
	nf_nat_ipv4_unregister_fn(rn->net, &rn->nat_ops);
	return err;
}

/*
 * The hooks may still be running on other CPUs when this returns: callers
 * wait for an RCU grace period before freeing what they use.
 */
void rgm_hooks_unregister(struct rgm_net *rn)
{
	nf_unregister_net_hook(rn->net, &rn->pkt_ops);
	nf_nat_ipv4_unregister_fn(rn->net, &rn->nat_ops);
}
