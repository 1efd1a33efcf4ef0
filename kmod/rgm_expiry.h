/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_expiry.h - lease expiry.
 */
#ifndef _RGM_EXPIRY_H
#define _RGM_EXPIRY_H

#include "rgm_pernet.h"

void rgm_expiry_setup(struct rgm_net *rn);
void rgm_expiry_arm(struct rgm_net *rn);
void rgm_expiry_teardown(struct rgm_net *rn);

#endif /* _RGM_EXPIRY_H */
