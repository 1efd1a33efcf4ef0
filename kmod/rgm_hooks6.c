// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_hooks6.c - IPv6 pinholes: one filter hook in the forward path.
 *
 * IPv6 needs no translation: a pinhole lets one server's stream reach a LAN
 * address and port that are reachable from the WAN as they are. The hook
 * runs at IPv6 FORWARD, NF_IP6_PRI_MANGLE + 1 (-149): after conntrack
 * (-200, at PRE_ROUTING) and before any filter chain of the operator's
 * ruleset (priority filter, 0), and only on forwarded packets, so a
 * pinhole can never open the gateway itself.
 *
 * It governs the flows whose original destination is inside a LAN prefix
 * on a managed port (TCP or UDP):
 * - a new flow (conntrack not confirmed yet) is judged as rgm_nat_hook
 *   judges an IPv4 one: no mapping, wrong server, not RTP: dropped;
 *   otherwise the conntrack gets label bit RGM_CT_LABEL_PINHOLE, which the
 *   operator's forward chain accepts ("ct label 127 accept") as it accepts
 *   "ct status dnat" for IPv4. A hook cannot accept past a later chain's
 *   drop policy, so the label is how rgm's decision reaches it; without
 *   rgm no flow carries the label and nothing is let in.
 * - every later packet of a labelled flow is policed as rgm_pkt_hook does:
 *   the pinhole must still be there (else dropped), packets are counted,
 *   WAN to LAN datagrams of an rtp pinhole are checked;
 * - packets conntrack does not track are dropped.
 * ICMPv6 errors related to a flow are left to conntrack and the operator
 * ("ct state related accept"), so path MTU discovery works.
 *
 * Runs in an RCU read section (nf_hook_slow()), like the IPv4 hooks.
 */
#include <linux/ipv6.h>
#include <linux/netfilter_ipv6.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_ecache.h>
#include <net/netfilter/nf_conntrack_labels.h>
#include "rgm_compat.h"
#include "rgm_hooks6.h"
#include "rgm_rtp.h"
#include "rgm_table.h"

/* The transport header of @skb and its protocol; -1 if there is none. */
static int rgm_hooks6_thoff(const struct sk_buff *skb, u8 *proto)
{
	__be16 frag_off;
	u8 nexthdr = ipv6_hdr(skb)->nexthdr;
	int thoff;

	thoff = ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr), &nexthdr,
				 &frag_off);
	/* A later fragment carries no ports; without its first it is junk. */
	if (thoff < 0 || (frag_off & htons(IP6_OFFSET)))
		return -1;
	*proto = nexthdr;
	return thoff;
}

static bool rgm_hooks6_managed(const struct rgm_net *rn, u8 proto,
			       const struct in6_addr *daddr, __be16 dport)
{
	const struct rgm_config *cfg;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	cfg = rcu_dereference(rn->cfg);
	return rgm_config_port_managed(cfg, ntohs(dport)) &&
	       rgm_config_in_lan6(cfg, daddr);
}

/* No usable conntrack: drop it if it is aimed at a managed LAN port. */
static unsigned int rgm_hooks6_untracked(struct rgm_net *rn,
					 struct sk_buff *skb)
{
	__be16 _ports[2];
	const __be16 *ports;
	int thoff;
	u8 proto;

	thoff = rgm_hooks6_thoff(skb, &proto);
	if (thoff < 0 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return NF_ACCEPT;
	ports = skb_header_pointer(skb, thoff, sizeof(_ports), _ports);
	if (!ports)
		return NF_ACCEPT;
	if (!rgm_hooks6_managed(rn, proto, &ipv6_hdr(skb)->daddr, ports[1]))
		return NF_ACCEPT;
	rgm_stats_inc(rn, drop_untracked);
	return NF_DROP;
}

/* A datagram of an rtp pinhole that is not RTP/RTCP? */
static bool rgm_hooks6_not_rtp(const struct rgm_mapping *m,
			       const struct sk_buff *skb)
{
	int thoff;
	u8 proto;

	if (m->stream != RGM_STREAM_RTP)
		return false;
	thoff = rgm_hooks6_thoff(skb, &proto);
	return thoff < 0 || proto != IPPROTO_UDP || !rgm_rtp_check(skb, thoff);
}

static bool rgm_hooks6_server_ok(const struct rgm_mapping *m,
				 const struct nf_conntrack_tuple *orig)
{
	if (!ipv6_addr_any(&m->saddr.in6) &&
	    !ipv6_addr_equal(&m->saddr.in6, &orig->src.u3.in6))
		return false;
	if (m->sport && m->sport != orig->src.u.all)
		return false;
	return true;
}

/* A new flow to a managed LAN port: let it through its pinhole or drop it. */
static unsigned int rgm_hooks6_judge(struct rgm_net *rn, struct nf_conn *ct,
				     struct rgm_mapping *m,
				     struct sk_buff *skb)
{
	struct nf_conn_labels *labels;

	if (!rgm_hooks6_server_ok(m, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple)) {
		rgm_stats_inc(rn, drop_wrong_server);
		atomic64_inc(&m->drops);
		return NF_DROP;
	}
	if (rgm_hooks6_not_rtp(m, skb)) {
		rgm_stats_inc(rn, drop_not_rtp);
		atomic64_inc(&m->drops);
		return NF_DROP;
	}
	/*
	 * Conntrack adds the labels extension to every new entry once
	 * rgm holds a label bit; an entry older than that has none, and
	 * without the label the operator's chain could not accept it.
	 */
	labels = nf_ct_labels_find(ct);
	if (!labels) {
		rgm_stats_inc(rn, drop_untracked);
		return NF_DROP;
	}
	/* Not confirmed yet: no other CPU sees this entry. */
	if (!test_and_set_bit(RGM_CT_LABEL_PINHOLE, labels->bits))
		nf_conntrack_event_cache(IPCT_LABEL, ct);
	rgm_stats_inc(rn, translated);
	atomic64_inc(&m->packets_in);
	atomic64_add(skb->len, &m->bytes_in);
	return NF_ACCEPT;
}

static unsigned int rgm_hooks6_fwd(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct rgm_net *rn = priv;
	const struct nf_conntrack_tuple *orig;
	enum ip_conntrack_info ctinfo;
	struct rgm_mapping *m;
	struct rgm_key key;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo == IP_CT_UNTRACKED || nf_ct_is_template(ct))
		return rgm_hooks6_untracked(rn, skb);

	orig = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (orig->src.l3num != NFPROTO_IPV6 ||
	    !rgm_hooks6_managed(rn, orig->dst.protonum, &orig->dst.u3.in6,
				orig->dst.u.all))
		return NF_ACCEPT;

	rgm_key_from_tuple(&key, orig);
	m = rgm_table_lookup(rn, &key);
	if (m && rgm_table_is_dead(m))
		m = NULL;

	if (!nf_ct_is_confirmed(ct)) {
		if (CTINFO2DIR(ctinfo) != IP_CT_DIR_ORIGINAL)
			return NF_ACCEPT;
		if (!m) {
			rgm_stats_inc(rn, drop_no_mapping);
			return NF_DROP;
		}
		return rgm_hooks6_judge(rn, ct, m, skb);
	}

	/* Flows that existed before rgm had its say are not rgm's to police. */
	if (!rgm_table_ct_is_pinhole(ct))
		return NF_ACCEPT;
	if (!m) {
		rgm_stats_inc(rn, drop_no_mapping);
		return NF_DROP;
	}
	if (CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL) {
		if (ctinfo != IP_CT_RELATED && rgm_hooks6_not_rtp(m, skb)) {
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

static const struct nf_hook_ops rgm_fwd6_ops = {
	.hook = rgm_hooks6_fwd,
	.pf = NFPROTO_IPV6,
	.hooknum = NF_INET_FORWARD,
	.priority = NF_IP6_PRI_MANGLE + 1,
};

/* Caller holds IPv6 conntrack and the label bit in rn->net. */
int rgm_hooks6_register(struct rgm_net *rn)
{
	rn->fwd6_ops = rgm_fwd6_ops;
	rn->fwd6_ops.priv = rn;
	return nf_register_net_hook(rn->net, &rn->fwd6_ops);
}

/* As rgm_hooks_unregister(): callers wait for a grace period after it. */
void rgm_hooks6_unregister(struct rgm_net *rn)
{
	nf_unregister_net_hook(rn->net, &rn->fwd6_ops);
}
