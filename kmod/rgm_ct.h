/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_ct.h - conntrack cleanup for removed mappings.
 */
#ifndef _RGM_CT_H
#define _RGM_CT_H

#include "rgm_pernet.h"

void rgm_ct_cleanup(struct rgm_net *rn);

#endif /* _RGM_CT_H */
