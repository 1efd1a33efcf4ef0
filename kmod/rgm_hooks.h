/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_hooks.h - netfilter hooks.
 */
#ifndef _RGM_HOOKS_H
#define _RGM_HOOKS_H

#include "rgm_pernet.h"

int rgm_hooks_register(struct rgm_net *rn);
void rgm_hooks_unregister(struct rgm_net *rn);

#endif /* _RGM_HOOKS_H */
