/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A token bucket (bucket.c): the per-connection request rate limit.
 */
#ifndef RGMD_BUCKET_H
#define RGMD_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct rgmd_bucket {
	double tokens, rate, burst;
	uint64_t last_ms;
};

void rgmd_bucket_setup(struct rgmd_bucket *b, unsigned int rate, unsigned int burst,
		       uint64_t now_ms);
/* Takes one token if there is one. */
bool rgmd_bucket_take(struct rgmd_bucket *b, uint64_t now_ms);

#endif /* RGMD_BUCKET_H */
