// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_pernet.c - per namespace state: setup, lazy activation, teardown.
 *
 * Loading rgm turns nothing on. A namespace is activated - conntrack for
 * IPv4 taken (nf_ct_netns_get), rgm's NAT lookup function and packet hook
 * registered - the first time it is given global addresses, which every
 * mapping needs. It stays active until the namespace (or the module) goes.
 * IPv6 is activated the same way, separately, by the first LAN prefix.
 */
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_labels.h>
#include <net/netns/generic.h>
#include "rgm_compat.h"
#include "rgm_expect.h"
#include "rgm_expiry.h"
#include "rgm_hooks.h"
#include "rgm_hooks6.h"
#include "rgm_mapping.h"
#include "rgm_pernet.h"
#include "rgm_table.h"

static unsigned int rgm_net_id __read_mostly;

struct rgm_net *rgm_pernet(const struct net *net)
{
	return net_generic(net, rgm_net_id);
}

int rgm_pernet_activate(struct rgm_net *rn)
{
	int err;

	lockdep_assert_held(&rn->lock);

	if (rn->active)
		return 0;
	err = nf_ct_netns_get(rn->net, NFPROTO_IPV4);
	if (err)
		return err;
	err = rgm_hooks_register(rn);
	if (err) {
		nf_ct_netns_put(rn->net, NFPROTO_IPV4);
		return err;
	}
	rn->active = true;
	return 0;
}

/*
 * IPv6, on the first LAN prefix: conntrack for IPv6, one conntrack label
 * bit (which also makes conntrack give every new entry the labels
 * extension) and the forward hook.
 */
int rgm_pernet_activate6(struct rgm_net *rn)
{
	int err;

	lockdep_assert_held(&rn->lock);

	if (rn->active6)
		return 0;
	err = nf_ct_netns_get(rn->net, NFPROTO_IPV6);
	if (err)
		return err;
	err = nf_connlabels_get(rn->net, RGM_CT_LABEL_PINHOLE);
	if (err)
		goto err_ct;
	err = rgm_hooks6_register(rn);
	if (err)
		goto err_labels;
	rn->active6 = true;
	return 0;

err_labels:
	nf_connlabels_put(rn->net);
err_ct:
	nf_ct_netns_put(rn->net, NFPROTO_IPV6);
	return err;
}

static int __net_init rgm_pernet_init(struct net *net)
{
	struct rgm_net *rn = rgm_pernet(net);
	struct rgm_config *cfg;
	int err;

	rn->net = net;
	mutex_init(&rn->lock);
	rn->gen = 1;	/* netlink dump consistency treats 0 as "unset" */

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	cfg->port_min = RGM_DEFAULT_PORT_MIN;
	cfg->port_max = RGM_DEFAULT_PORT_MAX;
	cfg->max_mappings = RGM_DEFAULT_MAX_MAPPINGS;
	cfg->lease_max = RGM_DEFAULT_LEASE_MAX;
	RCU_INIT_POINTER(rn->cfg, cfg);

	rn->stats = alloc_percpu(struct rgm_pcpu_stats);
	if (!rn->stats) {
		err = -ENOMEM;
		goto err_cfg;
	}

	err = rgm_table_setup(rn);
	if (err)
		goto err_stats;

	rgm_expiry_setup(rn);
	rgm_expect_setup(rn);
	return 0;

err_stats:
	free_percpu(rn->stats);
err_cfg:
	kfree(cfg);
	return err;
}

/*
 * First half of the exit: take the hooks out. The namespace core waits for
 * an RCU grace period between every pre_exit and every exit, after which no
 * CPU runs rgm's hooks for this namespace any more.
 */
static void __net_exit rgm_pernet_pre_exit(struct net *net)
{
	struct rgm_net *rn = rgm_pernet(net);

	mutex_lock(&rn->lock);
	rn->dying = true;
	if (rn->active6)
		rgm_hooks6_unregister(rn);
	if (rn->active)
		rgm_hooks_unregister(rn);
	mutex_unlock(&rn->lock);
}

/* Second half: the reverse of init and of activation. */
static void __net_exit rgm_pernet_exit(struct net *net)
{
	struct rgm_net *rn = rgm_pernet(net);

	rgm_expect_teardown(rn);
	rgm_expiry_teardown(rn);

	mutex_lock(&rn->lock);
	/* Kill the conntracks rgm DNAT'd: with rgm gone nothing would. */
	rgm_mapping_remove_all(rn);
	if (rn->active6) {
		nf_connlabels_put(net);
		nf_ct_netns_put(net, NFPROTO_IPV6);
		rn->active6 = false;
	}
	if (rn->active) {
		nf_ct_netns_put(net, NFPROTO_IPV4);
		rn->active = false;
	}
	mutex_unlock(&rn->lock);

	rgm_table_teardown(rn);
	free_percpu(rn->stats);
	/* No reader is left: hooks gone, no netlink caller in a dead netns. */
	kfree(rcu_dereference_protected(rn->cfg, true));
	mutex_destroy(&rn->lock);
}

static struct pernet_operations rgm_pernet_ops = {
	.init = rgm_pernet_init,
	.pre_exit = rgm_pernet_pre_exit,
	.exit = rgm_pernet_exit,
	.id = &rgm_net_id,
	.size = sizeof(struct rgm_net),
};

int rgm_pernet_setup(void)
{
	return register_pernet_subsys(&rgm_pernet_ops);
}

void rgm_pernet_teardown(void)
{
	unregister_pernet_subsys(&rgm_pernet_ops);
}
