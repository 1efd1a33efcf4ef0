/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The epoch hello reports (engine_epoch.c).
 */
#ifndef RGMD_ENGINE_EPOCH_H
#define RGMD_ENGINE_EPOCH_H

#include <stdbool.h>
#include <stddef.h>

struct rgmd_engine;

/* Sets e->epoch: the stored one if state_kept (the kernel still holds
 * session mappings) and the file is valid, else a new one, stored. */
int rgmd_epoch_setup(struct rgmd_engine *e, bool state_kept, char *err, size_t errlen);

#endif /* RGMD_ENGINE_EPOCH_H */
