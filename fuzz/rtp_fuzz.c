// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: RTP header and RTCP compound parsing (lib/rgm_rtp.c),
 * and the receiver statistics fed with what parsed. Checks that whatever
 * is accepted describes bytes inside the input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rgm_rtp.h"

static struct rgm_rtp_stats stats;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rgm_rtcp_info info;
	struct rgm_rtp_hdr h, h2;
	uint8_t buf[80];
	uint64_t ext;
	int n;

	if (!rgm_rtp_parse(data, size, &h)) {
		if (h.payload_off > size || h.payload_len > size - h.payload_off ||
		    h.payload_off + h.payload_len + h.pad_len != size)
			abort();
		if (stats.received > 100000)
			rgm_rtp_stats_setup(&stats);
		rgm_rtp_stats_update(&stats, h.ssrc, h.seq, &ext);
		if (rgm_rtp_stats_lost(&stats) > rgm_rtp_stats_expected(&stats))
			abort();
		/* what parsed builds back to the same fixed header */
		n = rgm_rtp_build(buf, sizeof(buf), &h);
		if (n < 0 || rgm_rtp_parse(buf, (size_t)n, &h2) || h2.seq != h.seq ||
		    h2.ts != h.ts || h2.ssrc != h.ssrc || h2.cc != h.cc || h2.pt != h.pt)
			abort();
	}
	if (!rgm_rtcp_parse(data, size, &info)) {
		if (info.n_packets == 0 || info.n_packets * 4 > size ||
		    info.n_bye_ssrc > RGM_RTCP_MAX_BYE)
			abort();
	}
	return 0;
}
