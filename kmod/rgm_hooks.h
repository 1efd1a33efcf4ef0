/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_hooks.h - netfilter hooks.
 */
#ifndef _RGM_HOOKS_H
#define _RGM_HOOKS_H

#include <net/net_namespace.h>

int rgm_hooks_register(struct net *net);
void rgm_hooks_unregister(struct net *net);

#endif /* _RGM_HOOKS_H */
