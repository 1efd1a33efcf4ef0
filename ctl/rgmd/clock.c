// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd's monotonic clock (clock.h).
 */
#include <time.h>

#include "clock.h"

uint64_t rgmd_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
