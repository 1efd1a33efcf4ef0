/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_netlink.h - the "rgm" generic netlink family.
 */
#ifndef _RGM_NETLINK_H
#define _RGM_NETLINK_H

#include "rgm_pernet.h"

struct rgm_mapping;

int rgm_nl_setup(void);
void rgm_nl_teardown(void);
void rgm_nl_notify(struct rgm_net *rn, const struct rgm_mapping *m, u8 cmd,
		   u8 reason);

#endif /* _RGM_NETLINK_H */
