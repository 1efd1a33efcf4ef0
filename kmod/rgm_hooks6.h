/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_hooks6.h - the IPv6 pinhole hook.
 */
#ifndef _RGM_HOOKS6_H
#define _RGM_HOOKS6_H

#include "rgm_pernet.h"

int rgm_hooks6_register(struct rgm_net *rn);
void rgm_hooks6_unregister(struct rgm_net *rn);

#endif /* _RGM_HOOKS6_H */
