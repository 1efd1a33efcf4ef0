// SPDX-License-Identifier: GPL-2.0
/*
 * MPEG-TS packets, PCRs and the RTP send schedule. The input is a file the
 * operator provided, but it is parsed as strictly as network input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "rgm_ts.h"

size_t rgm_ts_rtp_packets(size_t len)
{
	size_t n = len / RGM_TS_PACKET;

	return (n + RGM_TS_PER_RTP - 1) / RGM_TS_PER_RTP;
}

int rgm_ts_check(const uint8_t *buf, size_t len)
{
	size_t off;

	if (len == 0 || len % RGM_TS_PACKET)
		return -EBADMSG;
	for (off = 0; off < len; off += RGM_TS_PACKET)
		if (buf[off] != RGM_TS_SYNC)
			return -EBADMSG;
	return 0;
}

int rgm_ts_pcr(const uint8_t *pkt, uint64_t *pcr, uint16_t *pid)
{
	const uint8_t *af = pkt + 4;
	unsigned int ext;
	uint64_t base;

	if (pkt[0] != RGM_TS_SYNC)
		return -EBADMSG;
	/* adaptation_field_control 2 or 3: an adaptation field follows */
	if (!(pkt[3] & 0x20))
		return 0;
	/* its length byte counts what follows it, at most the rest of the packet */
	if (af[0] > RGM_TS_PACKET - 5)
		return -EBADMSG;
	/* flags byte, then 6 bytes of PCR when PCR_flag is set */
	if (af[0] < 7 || !(af[1] & 0x10))
		return 0;
	base = (uint64_t)af[2] << 25 | (uint64_t)af[3] << 17 | (uint64_t)af[4] << 9 |
	       (uint64_t)af[5] << 1 | af[6] >> 7;
	ext = ((unsigned int)af[6] & 1) << 8 | af[7];
	/* the 27 MHz extension counts 0 to 299 */
	if (ext > 299)
		return -EBADMSG;
	*pcr = base * 300 + ext;
	*pid = (uint16_t)((pkt[1] & 0x1f) << 8 | pkt[2]);
	return 1;
}

struct ts_point {
	size_t byte;
	double ns;
};

/* Time of byte b on the piecewise linear PCR clock; *seg is the segment to
 * start from and only moves forward, as b only grows. */
static double ts_time(const struct ts_point *p, size_t n, size_t *seg, size_t b)
{
	size_t j;

	while (*seg + 2 < n && b >= p[*seg + 1].byte)
		(*seg)++;
	j = *seg;
	return p[j].ns + ((double)b - (double)p[j].byte) * (p[j + 1].ns - p[j].ns) /
			 (double)(p[j + 1].byte - p[j].byte);
}

int rgm_ts_schedule(const uint8_t *buf, size_t len, uint64_t fallback_ns, uint64_t **at,
		    uint64_t *duration_ns)
{
	size_t npk, n = 0, off, i, seg = 0;
	struct ts_point *p;
	uint64_t *t, pcr, first = 0, prev = 0, unwrapped;
	uint16_t pid, pcr_pid = 0;
	double t0, last = 0, v;
	bool have = false;
	int ret;

	if (rgm_ts_check(buf, len))
		return -EBADMSG;
	npk = rgm_ts_rtp_packets(len);
	/* at least two points: the fallback line */
	p = calloc(len / RGM_TS_PACKET + 2, sizeof(*p));
	t = calloc(npk, sizeof(*t));
	if (!p || !t) {
		free(p);
		free(t);
		return -ENOMEM;
	}
	for (off = 0; off < len; off += RGM_TS_PACKET) {
		ret = rgm_ts_pcr(buf + off, &pcr, &pid);
		if (ret < 0) {
			free(p);
			free(t);
			return ret;
		}
		if (!ret || (have && pid != pcr_pid))
			continue;
		if (!have) {
			have = true;
			pcr_pid = pid;
			first = prev = pcr;
			unwrapped = pcr;
		} else {
			unwrapped = prev + (pcr + RGM_TS_PCR_WRAP - prev % RGM_TS_PCR_WRAP) %
					   RGM_TS_PCR_WRAP;
			/* a jump of more than 10 s is a discontinuity: the
			 * rate of the last segment goes on over it */
			if (unwrapped == prev || unwrapped - prev > 10 * RGM_TS_PCR_HZ)
				continue;
		}
		prev = unwrapped;
		p[n].byte = off;
		p[n].ns = (double)(unwrapped - first) * 1000.0 / 27.0;
		n++;
	}
	if (n < 2) {
		/* no PCR clock: spread the file evenly */
		p[0] = (struct ts_point){ 0, 0 };
		p[1] = (struct ts_point){ len, (double)fallback_ns };
		n = 2;
	}
	t0 = ts_time(p, n, &seg, 0);
	seg = 0;
	for (i = 0; i < npk; i++) {
		v = ts_time(p, n, &seg, i * RGM_TS_PER_RTP * RGM_TS_PACKET) - t0;
		if (v < last)
			v = last;
		last = v;
		t[i] = (uint64_t)v;
	}
	v = ts_time(p, n, &seg, len) - t0;
	*duration_ns = v < last ? (uint64_t)last : (uint64_t)v;
	free(p);
	*at = t;
	return 0;
}
