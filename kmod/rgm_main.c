// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_main.c - module init and exit.
 *
 * rgm: remotely programmed stream mappings on a NAT gateway. See
 * Documentation/design.rst and include/uapi/linux/rgm.h.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include "rgm_compat.h"
#include "rgm_netlink.h"
#include "rgm_pernet.h"

static int __init rgm_init(void)
{
	int err;

	err = rgm_pernet_setup();
	if (err)
		goto err_pernet;
	err = rgm_nl_setup();
	if (err)
		goto err_nl;
	return 0;

err_nl:
	rgm_pernet_teardown();
err_pernet:
	return err;
}

static void __exit rgm_exit(void)
{
	/* No new command, then no namespace state: hooks, conntracks, table. */
	rgm_nl_teardown();
	rgm_pernet_teardown();
	/* Wait for RCU callbacks queued by the above before the code goes. */
	rcu_barrier();
}

module_init(rgm_init);
module_exit(rgm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rgm: remotely programmed stream mappings (conntrack DNAT)");
MODULE_ALIAS_GENL_FAMILY(RGM_GENL_NAME);
