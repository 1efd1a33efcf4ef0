// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of lib/rgm_frame.c: the incremental decoder (byte by
 * byte, several frames per read, every error and its stickiness, the memory
 * bound) and the bounded output queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rgm_frame.h"

/* Appends one frame (header + payload) to buf at *off. */
static void put_frame(uint8_t *buf, size_t *off, const char *payload)
{
	size_t len = strlen(payload);

	buf[(*off)++] = len >> 24;
	buf[(*off)++] = len >> 16;
	buf[(*off)++] = len >> 8;
	buf[(*off)++] = len;
	memcpy(buf + *off, payload, len);
	*off += len;
}

TEST(setup_bounds)
{
	struct rgm_frame_dec d;

	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	EXPECT_EQ(RGM_FRAME_MAX, d.max);
	rgm_frame_dec_teardown(&d);
	EXPECT_EQ(-EINVAL, rgm_frame_dec_setup(&d, RGM_FRAME_MAX + 1));
	EXPECT_EQ(-EINVAL, rgm_frame_dec_setup(&d, RGM_FRAME_MIN_MAX - 1));
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, RGM_FRAME_MIN_MAX));
	rgm_frame_dec_teardown(&d);
}

TEST(one_frame_whole)
{
	struct rgm_frame_dec d;
	uint8_t buf[64];
	size_t off = 0, used, len;
	const uint8_t *p;

	put_frame(buf, &off, "{\"op\":\"hello\"}");
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	ASSERT_EQ(1, rgm_frame_dec_feed(&d, buf, off, &used));
	EXPECT_EQ(off, used);
	p = rgm_frame_dec_payload(&d, &len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(14, len);
	EXPECT_EQ(0, memcmp(p, "{\"op\":\"hello\"}", 14));
	EXPECT_EQ(0, rgm_frame_dec_eof(&d));
	rgm_frame_dec_teardown(&d);
}

TEST(byte_by_byte)
{
	struct rgm_frame_dec d;
	uint8_t buf[128];
	size_t off = 0, used, len, i;
	int frames = 0, ret;
	const uint8_t *p;

	put_frame(buf, &off, "a");
	put_frame(buf, &off, "bcdef");
	put_frame(buf, &off, "0123456789");
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	for (i = 0; i < off; i++) {
		ret = rgm_frame_dec_feed(&d, buf + i, 1, &used);
		ASSERT_EQ(1, used);
		ASSERT_GE(ret, 0);
		/* Mid-stream EOF is a truncation everywhere but between frames. */
		if (ret == 1) {
			p = rgm_frame_dec_payload(&d, &len);
			frames++;
			if (frames == 2)
				EXPECT_EQ(0, memcmp(p, "bcdef", len));
			EXPECT_EQ(0, rgm_frame_dec_eof(&d));
		} else {
			EXPECT_EQ(RGM_FRAME_ETRUNC, rgm_frame_dec_eof(&d));
		}
	}
	EXPECT_EQ(3, frames);
	rgm_frame_dec_teardown(&d);
}

TEST(several_frames_one_read)
{
	struct rgm_frame_dec d;
	uint8_t buf[128];
	size_t off = 0, pos = 0, used, len;
	const char *want[] = { "x", "yy", "zzz" };
	const uint8_t *p;
	int n = 0;

	put_frame(buf, &off, "x");
	put_frame(buf, &off, "yy");
	put_frame(buf, &off, "zzz");
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	while (pos < off) {
		int ret = rgm_frame_dec_feed(&d, buf + pos, off - pos, &used);

		pos += used;
		ASSERT_EQ(1, ret);
		p = rgm_frame_dec_payload(&d, &len);
		ASSERT_EQ(strlen(want[n]), len);
		EXPECT_EQ(0, memcmp(p, want[n], len));
		n++;
	}
	EXPECT_EQ(3, n);
	/* Feeding nothing after a ready frame: needs more, no stale frame. */
	EXPECT_EQ(0, rgm_frame_dec_feed(&d, buf, 0, &used));
	p = rgm_frame_dec_payload(&d, &len);
	EXPECT_EQ(NULL, p);
	EXPECT_EQ(0, len);
	rgm_frame_dec_teardown(&d);
}

TEST(zero_length_is_an_error_and_sticky)
{
	struct rgm_frame_dec d;
	uint8_t buf[16] = { 0, 0, 0, 0 };
	size_t off = 4, used;

	put_frame(buf, &off, "ok");
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	EXPECT_EQ(RGM_FRAME_EZERO, rgm_frame_dec_feed(&d, buf, off, &used));
	EXPECT_EQ(4, used);
	/* A broken stream has no frame boundary left to trust. */
	EXPECT_EQ(RGM_FRAME_EZERO, rgm_frame_dec_feed(&d, buf + 4, off - 4, &used));
	EXPECT_EQ(0, used);
	EXPECT_EQ(RGM_FRAME_EZERO, rgm_frame_dec_eof(&d));
	EXPECT_STREQ("zero-length frame", rgm_frame_strerror(RGM_FRAME_EZERO));
	rgm_frame_dec_teardown(&d);
}

TEST(oversize_refused_before_allocating)
{
	struct rgm_frame_dec d;
	uint8_t hdr[4];
	size_t used;

	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 1024));
	hdr[0] = 0; hdr[1] = 0; hdr[2] = 0x04; hdr[3] = 0x01;	/* 1025 */
	EXPECT_EQ(RGM_FRAME_ETOOBIG, rgm_frame_dec_feed(&d, hdr, 4, &used));
	EXPECT_EQ(NULL, d.buf);
	EXPECT_EQ(0, d.cap);
	EXPECT_STREQ("frame too large", rgm_frame_strerror(RGM_FRAME_ETOOBIG));
	rgm_frame_dec_teardown(&d);

	/* 4 GiB - 1 announced: same, nothing allocated. */
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	memset(hdr, 0xff, 4);
	EXPECT_EQ(RGM_FRAME_ETOOBIG, rgm_frame_dec_feed(&d, hdr, 4, &used));
	EXPECT_EQ(NULL, d.buf);
	rgm_frame_dec_teardown(&d);
}

TEST(exactly_max_accepted_and_bounded)
{
	struct rgm_frame_dec d;
	size_t max = 1000, used, len;
	uint8_t *buf = malloc(4 + max);

	ASSERT_NE(NULL, buf);
	buf[0] = 0; buf[1] = 0; buf[2] = max >> 8; buf[3] = max & 0xff;
	memset(buf + 4, 'a', max);
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, max));
	ASSERT_EQ(1, rgm_frame_dec_feed(&d, buf, 4 + max, &used));
	EXPECT_EQ(4 + max, used);
	rgm_frame_dec_payload(&d, &len);
	EXPECT_EQ(max, len);
	EXPECT_LE(d.cap, max);
	free(buf);
	rgm_frame_dec_teardown(&d);
}

TEST(truncated_at_eof)
{
	struct rgm_frame_dec d;
	uint8_t buf[16] = { 0, 0, 0, 10, 'a', 'b' };
	size_t used;

	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	EXPECT_EQ(0, rgm_frame_dec_eof(&d));		/* nothing yet: clean */
	EXPECT_EQ(0, rgm_frame_dec_feed(&d, buf, 2, &used));
	EXPECT_EQ(RGM_FRAME_ETRUNC, rgm_frame_dec_eof(&d));	/* half a header */
	EXPECT_EQ(0, rgm_frame_dec_feed(&d, buf + 2, 4, &used));
	EXPECT_EQ(RGM_FRAME_ETRUNC, rgm_frame_dec_eof(&d));	/* half a payload */
	EXPECT_STREQ("truncated frame", rgm_frame_strerror(RGM_FRAME_ETRUNC));
	rgm_frame_dec_teardown(&d);
}

TEST(header_encoding)
{
	uint8_t hdr[4];

	ASSERT_EQ(0, rgm_frame_hdr(hdr, 0xfedc, RGM_FRAME_MAX));
	EXPECT_EQ(0x00, hdr[0]);
	EXPECT_EQ(0x00, hdr[1]);
	EXPECT_EQ(0xfe, hdr[2]);
	EXPECT_EQ(0xdc, hdr[3]);
	ASSERT_EQ(0, rgm_frame_hdr(hdr, RGM_FRAME_MAX, RGM_FRAME_MAX));
	EXPECT_EQ(0x01, hdr[1]);
	EXPECT_EQ(0x00, hdr[2]);
	EXPECT_EQ(-EMSGSIZE, rgm_frame_hdr(hdr, 0, RGM_FRAME_MAX));
	EXPECT_EQ(-EMSGSIZE, rgm_frame_hdr(hdr, 101, 100));
	EXPECT_EQ(-EMSGSIZE, rgm_frame_hdr(hdr, RGM_FRAME_MAX + 1, (size_t)-1));
}

TEST(out_queue_roundtrip_and_bound)
{
	struct rgm_frame_out o;
	struct rgm_frame_dec d;
	const uint8_t *p;
	size_t len, used, plen;

	rgm_frame_out_setup(&o, 20);
	ASSERT_EQ(0, rgm_frame_out_push(&o, "hello", 5, RGM_FRAME_MAX));	/* 9 */
	ASSERT_EQ(0, rgm_frame_out_push(&o, "world!", 6, RGM_FRAME_MAX));	/* 19 */
	/* All or nothing: 19 + 5 > 20. */
	EXPECT_EQ(-ENOBUFS, rgm_frame_out_push(&o, "x", 1, RGM_FRAME_MAX));
	EXPECT_EQ(19, rgm_frame_out_pending(&o));
	EXPECT_EQ(-EMSGSIZE, rgm_frame_out_push(&o, "", 0, RGM_FRAME_MAX));

	/* A partial write leaves the rest in order. */
	p = rgm_frame_out_peek(&o, &len);
	ASSERT_EQ(19, len);
	ASSERT_EQ(0, rgm_frame_dec_setup(&d, 0));
	ASSERT_EQ(1, rgm_frame_dec_feed(&d, p, 9, &used));
	rgm_frame_dec_payload(&d, &plen);
	EXPECT_EQ(5, plen);
	rgm_frame_out_consume(&o, 9);
	EXPECT_EQ(0, rgm_frame_dec_feed(&d, rgm_frame_out_peek(&o, &len), 2, &used));
	rgm_frame_out_consume(&o, 2);
	/* Space freed by consumed bytes is reusable. */
	ASSERT_EQ(0, rgm_frame_out_push(&o, "x", 1, RGM_FRAME_MAX));
	p = rgm_frame_out_peek(&o, &len);
	ASSERT_EQ(13, len);
	ASSERT_EQ(1, rgm_frame_dec_feed(&d, p, len, &used));
	p = rgm_frame_dec_payload(&d, &plen);
	EXPECT_EQ(6, plen);
	EXPECT_EQ(0, memcmp(p, "world!", 6));
	ASSERT_EQ(1, rgm_frame_dec_feed(&d, rgm_frame_out_peek(&o, &len) + used, len - used,
					&used));
	p = rgm_frame_dec_payload(&d, &plen);
	EXPECT_EQ(1, plen);
	EXPECT_EQ('x', p[0]);
	rgm_frame_out_consume(&o, len);
	EXPECT_EQ(0, rgm_frame_out_pending(&o));
	EXPECT_LE(o.cap, 20);
	rgm_frame_dec_teardown(&d);
	rgm_frame_out_teardown(&o);
}

TEST_HARNESS_MAIN
