/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_netlink.h - the "rgm" generic netlink family.
 */
#ifndef _RGM_NETLINK_H
#define _RGM_NETLINK_H

int rgm_nl_setup(void);
void rgm_nl_teardown(void);

#endif /* _RGM_NETLINK_H */
