// SPDX-License-Identifier: GPL-2.0
/*
 * Per-connection request rate limit: a token bucket refilled at `rate` per
 * second up to `burst`. A request that finds it empty is answered with a
 * rate-limited error rather than ignored, so a well-behaved client knows to
 * slow down instead of timing out.
 */
#include "bucket.h"

void rgmd_bucket_setup(struct rgmd_bucket *b, unsigned int rate, unsigned int burst,
		       uint64_t now_ms)
{
	b->rate = rate;
	b->burst = burst;
	b->tokens = burst;
	b->last_ms = now_ms;
}

bool rgmd_bucket_take(struct rgmd_bucket *b, uint64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
