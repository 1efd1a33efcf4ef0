// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: MPEG-TS checks, PCR reads and the send schedule
 * (mediaserver/rgm_ts.c). The schedule must be non-decreasing and cover
 * every RTP packet.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rgm_ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t *at, dur, pcr;
	size_t off, i, n;
	uint16_t pid;

	for (off = 0; off + RGM_TS_PACKET <= size; off += RGM_TS_PACKET)
		if (rgm_ts_pcr(data + off, &pcr, &pid) == 1 && pcr >= RGM_TS_PCR_WRAP)
			abort();
	if (rgm_ts_schedule(data, size, 6000000000ULL, &at, &dur))
		return 0;
	n = rgm_ts_rtp_packets(size);
	if (at[0] != 0)
		abort();
	for (i = 1; i < n; i++)
		if (at[i] < at[i - 1])
			abort();
	if (dur < at[n - 1])
		abort();
	free(at);
	return 0;
}
