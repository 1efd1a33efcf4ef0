/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_compat.h - the only place for kernel version checks.
 *
 * rgm targets Debian's 6.1 kernel. 6.1 is the first release with the
 * struct nf_ct_iter_data form of nf_ct_iterate_cleanup_net() and with
 * genl_family.resv_start_op, both of which rgm relies on.
 */
#ifndef _RGM_COMPAT_H
#define _RGM_COMPAT_H

#include <linux/version.h>
#include <linux/netlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "rgm needs Linux 6.1 or newer"
#endif

/*
 * Listening to the events group needs CAP_NET_ADMIN where the kernel can
 * say so (GENL_MCAST_CAP_NET_ADMIN, 6.1.y stable and 6.7+).
 */
#include <net/genetlink.h>
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define RGM_MCGRP_FLAGS GENL_MCAST_CAP_NET_ADMIN
#else
#define RGM_MCGRP_FLAGS 0
#endif

#endif /* _RGM_COMPAT_H */
