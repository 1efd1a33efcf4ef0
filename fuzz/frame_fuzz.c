// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for lib/rgm_frame.c. The first byte picks the decoder's
 * maximum and the read sizes, the rest is the byte stream: frames found
 * must be 1..max long, the buffer must never exceed max, errors must be
 * sticky, and re-encoding the frames found through the output queue must
 * decode to the same frames.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_frame.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rgm_frame_dec d, d2;
	struct rgm_frame_out o;
	size_t max, off = 1, used, len, chunk, total = 0, frames = 0, frames2 = 0;
	const uint8_t *p;
	int ret, err = 0;

	if (size < 1)
		return 0;
	max = RGM_FRAME_MIN_MAX + (size_t)(data[0] & 0x3f) * 1024;
	if (max > RGM_FRAME_MAX)
		max = RGM_FRAME_MAX;
	CHECK(rgm_frame_dec_setup(&d, max) == 0);
	CHECK(rgm_frame_dec_setup(&d2, max) == 0);
	rgm_frame_out_setup(&o, 4 * (RGM_FRAME_HDR + RGM_FRAME_MAX));

	while (off < size) {
		/* Read sizes vary like a socket's: 1..64 bytes, from the data. */
		chunk = 1 + (data[off] & 0x3f);
		if (chunk > size - off)
			chunk = size - off;
		ret = rgm_frame_dec_feed(&d, data + off, chunk, &used);
		CHECK(used <= chunk);
		CHECK(d.cap <= max);
		if (ret < 0) {
			CHECK(ret == RGM_FRAME_EZERO || ret == RGM_FRAME_ETOOBIG ||
			      ret == -ENOMEM);
			err = ret;
			break;
		}
		if (ret == 1) {
			p = rgm_frame_dec_payload(&d, &len);
			CHECK(p && len >= 1 && len <= max);
			frames++;
			total += len;
			if (rgm_frame_out_push(&o, p, len, max) == 0) {
				/* Drain through a second decoder right away. */
				size_t plen, poff = 0;
				const uint8_t *q = rgm_frame_out_peek(&o, &plen);

				while (poff < plen) {
					ret = rgm_frame_dec_feed(&d2, q + poff, plen - poff, &used);
					CHECK(ret >= 0);
					poff += used;
					if (ret == 1) {
						const uint8_t *r;
						size_t rlen;

						r = rgm_frame_dec_payload(&d2, &rlen);
						CHECK(rlen == len && !memcmp(r, p, len));
						frames2++;
					}
				}
				rgm_frame_out_consume(&o, plen);
			}
		} else {
			CHECK(used == chunk);
		}
		off += used;
	}
	if (err) {
		/* Sticky. */
		CHECK(rgm_frame_dec_feed(&d, data, size, &used) == err && used == 0);
		CHECK(rgm_frame_dec_eof(&d) == err);
	} else {
		ret = rgm_frame_dec_eof(&d);
		CHECK(ret == 0 || ret == RGM_FRAME_ETRUNC);
	}
	CHECK(frames2 == frames);
	(void)total;
	rgm_frame_out_teardown(&o);
	rgm_frame_dec_teardown(&d2);
	rgm_frame_dec_teardown(&d);
	return 0;
}
