/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one clock rgmd measures deadlines with (connections, call-home
 * retries, the engine's reservation holds): CLOCK_MONOTONIC, so that a
 * wall-clock step never expires or prolongs anything.
 */
#ifndef RGMD_CLOCK_H
#define RGMD_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary start. */
uint64_t rgmd_clock_ms(void);

#endif /* RGMD_CLOCK_H */
