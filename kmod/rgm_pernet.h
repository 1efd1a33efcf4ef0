/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_pernet.h - per network namespace state.
 */
#ifndef _RGM_PERNET_H
#define _RGM_PERNET_H

#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <uapi/linux/rgm.h>

/*
 * struct rgm_config - one immutable configuration snapshot.
 *
 * Readers (packet path, netlink) use rcu_dereference(); CONFIG_SET builds a
 * new snapshot and replaces the old one wholesale under rgm_net.lock, freeing
 * it with kfree_rcu(). A snapshot is never modified once published.
 */
struct rgm_prefix6 {
	struct in6_addr addr;
	u8 len;
};

struct rgm_config {
	struct rcu_head rcu;
	u32 n_addrs;
	__be32 addrs[RGM_GLOBAL_ADDRS_MAX];
	u32 n_prefixes6;
	struct rgm_prefix6 prefixes6[RGM_LAN6_PREFIXES_MAX];
	u16 port_min;
	u16 port_max;
	u32 max_mappings;
	u32 lease_max;
};

/* Per-cpu packet path counters (control plane counters live in rgm_net). */
struct rgm_pcpu_stats {
	u64 translated;
	u64 drop_no_mapping;
	u64 drop_wrong_server;
	u64 drop_not_rtp;
	u64 drop_untracked;
};

/**
 * struct rgm_net - rgm state of one network namespace
 * @net: the namespace
 * @lock: serialises every writer: table, ids, config, hooks, counters below
 * @cfg: current configuration, RCU protected
 * @table: mappings by (global addr, global port, proto), RCU readers
 * @ids: mappings by id; lookups and id-ordered dump cursors
 * @count: mappings installed now
 * @gen: generation, bumped on every table change (dump consistency)
 * @added: mappings installed since the namespace began
 * @deleted: mappings removed by command
 * @expired: mappings removed by lease expiry
 * @stats: per-cpu packet path counters
 * @expiry: lease scanner, armed while @count > 0
 * @nat_ops: rgm_hooks.c's NAT hook as registered in @net, priv = this
 * @pkt_ops: rgm_hooks.c's packet hook as registered in @net, priv = this
 * @expect_sweep: rgm_expect.c's removal of expectations on the managed range
 * @fwd6_ops: rgm_hooks6.c's IPv6 forward hook as registered in @net
 * @active: conntrack, NAT and packet hooks are registered in @net
 * @active6: IPv6 conntrack, the pinhole label bit and @fwd6_ops are taken
 * @dying: the namespace or the module is going away, don't rearm @expiry
 */
struct rgm_net {
	struct net *net;
	struct mutex lock;
	struct rgm_config __rcu *cfg;
	struct rhashtable table;
	struct idr ids;
	u32 count;
	u32 gen;
	u64 added;
	u64 deleted;
	u64 expired;
	struct rgm_pcpu_stats __percpu *stats;
	struct delayed_work expiry;
	struct nf_hook_ops nat_ops;
	struct nf_hook_ops pkt_ops;
	struct work_struct expect_sweep;
	struct nf_hook_ops fwd6_ops;
	bool active;
	bool active6;
	bool dying;
};

struct rgm_net *rgm_pernet(const struct net *net);
int rgm_pernet_activate(struct rgm_net *rn);
int rgm_pernet_activate6(struct rgm_net *rn);
int rgm_pernet_setup(void);
void rgm_pernet_teardown(void);

#define rgm_stats_inc(rn, field) this_cpu_inc((rn)->stats->field)

static inline struct rgm_config *rgm_config_locked(struct rgm_net *rn)
{
	return rcu_dereference_protected(rn->cfg, lockdep_is_held(&rn->lock));
}

static inline bool rgm_config_has_addr(const struct rgm_config *cfg,
				       __be32 addr)
{
	u32 i;

	for (i = 0; i < cfg->n_addrs; i++)
		if (cfg->addrs[i] == addr)
			return true;
	return false;
}

/* Is @addr inside one of the LAN prefixes? */
static inline bool rgm_config_in_lan6(const struct rgm_config *cfg,
				      const struct in6_addr *addr)
{
	u32 i;

	for (i = 0; i < cfg->n_prefixes6; i++)
		if (ipv6_prefix_equal(&cfg->prefixes6[i].addr, addr,
				      cfg->prefixes6[i].len))
			return true;
	return false;
}

static inline bool rgm_config_port_managed(const struct rgm_config *cfg,
					   u16 port)
{
	return port >= cfg->port_min && port <= cfg->port_max;
}

#endif /* _RGM_PERNET_H */
