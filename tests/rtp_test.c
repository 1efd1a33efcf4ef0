// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of lib/rgm_rtp.c and mediaserver/rgm_ts.c: RTP header
 * round trips and every malformed header refused, RTCP compound build
 * and parse, receiver statistics (wrap, loss, reordering, duplicates,
 * foreign SSRC), TS PCR extraction and the send schedule.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "rgm_rtp.h"
#include "rgm_ts.h"

TEST(rtp_round_trip)
{
	struct rgm_rtp_hdr h = { .marker = true, .pt = 33, .seq = 0xfffe, .ts = 0x89abcdef,
				 .ssrc = 0x01020304, .cc = 2, .csrc = { 7, 0xffffffff } };
	struct rgm_rtp_hdr p;
	uint8_t buf[64];
	int n;

	n = rgm_rtp_build(buf, sizeof(buf), &h);
	ASSERT_EQ(20, n);
	EXPECT_EQ(0x82, buf[0]);
	EXPECT_EQ(0x80 | 33, buf[1]);
	memset(buf + n, 0xaa, 10);
	ASSERT_EQ(0, rgm_rtp_parse(buf, n + 10, &p));
	EXPECT_TRUE(p.marker);
	EXPECT_EQ(33, p.pt);
	EXPECT_EQ(0xfffe, p.seq);
	EXPECT_EQ(0x89abcdef, p.ts);
	EXPECT_EQ(0x01020304, p.ssrc);
	EXPECT_EQ(2, p.cc);
	EXPECT_EQ(7, p.csrc[0]);
	EXPECT_EQ(0xffffffff, p.csrc[1]);
	EXPECT_EQ(20, p.payload_off);
	EXPECT_EQ(10, p.payload_len);
	EXPECT_FALSE(p.ext);

	/* too small a buffer, bad payload type, too many CSRCs */
	EXPECT_EQ(-ENOSPC, rgm_rtp_build(buf, 19, &h));
	h.pt = 128;
	EXPECT_EQ(-EINVAL, rgm_rtp_build(buf, sizeof(buf), &h));
	h.pt = 33;
	h.cc = 16;
	EXPECT_EQ(-EINVAL, rgm_rtp_build(buf, sizeof(buf), &h));
}

/* A 12-byte header with the given first byte, then len - 12 zero bytes. */
static void raw(uint8_t *buf, uint8_t b0, size_t len)
{
	memset(buf, 0, len);
	buf[0] = b0;
	buf[1] = 33;
}

TEST(rtp_extension_and_padding)
{
	struct rgm_rtp_hdr p;
	uint8_t buf[64];

	/* X: profile 0xbede, 2 words of extension, 5 payload bytes, 3 of padding */
	raw(buf, 0x80 | 0x10 | 0x20, 12 + 4 + 8 + 5 + 3);
	buf[12] = 0xbe;
	buf[13] = 0xde;
	buf[15] = 2;
	buf[12 + 4 + 8 + 5 + 2] = 3;
	ASSERT_EQ(0, rgm_rtp_parse(buf, 32, &p));
	EXPECT_TRUE(p.ext);
	EXPECT_EQ(0xbede, p.ext_profile);
	EXPECT_EQ(8, p.ext_len);
	EXPECT_EQ(24, p.payload_off);
	EXPECT_EQ(5, p.payload_len);
	EXPECT_EQ(3, p.pad_len);
}

TEST(rtp_malformed_refused)
{
	struct rgm_rtp_hdr p;
	uint8_t buf[128];

	/* shorter than the fixed header */
	raw(buf, 0x80, 12);
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 11, &p));
	EXPECT_EQ(0, rgm_rtp_parse(buf, 12, &p));
	EXPECT_EQ(0, p.payload_len);
	/* version 0, 1 and 3 */
	raw(buf, 0x00, 20);
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 20, &p));
	raw(buf, 0x40, 20);
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 20, &p));
	raw(buf, 0xc0, 20);
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 20, &p));
	/* 15 CSRCs need 72 bytes */
	raw(buf, 0x80 | 15, 71);
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 71, &p));
	raw(buf, 0x80 | 15, 72);
	EXPECT_EQ(0, rgm_rtp_parse(buf, 72, &p));
	/* extension header cut, extension data past the end */
	raw(buf, 0x90, 15);
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 15, &p));
	raw(buf, 0x90, 24);
	buf[15] = 3;	/* 12 bytes announced, 8 present */
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 24, &p));
	buf[15] = 2;
	EXPECT_EQ(0, rgm_rtp_parse(buf, 24, &p));
	/* padding larger than the payload, and a zero padding count */
	raw(buf, 0xa0, 16);
	buf[15] = 5;	/* 4 payload bytes */
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 16, &p));
	buf[15] = 0;
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 16, &p));
	buf[15] = 4;
	EXPECT_EQ(0, rgm_rtp_parse(buf, 16, &p));
	EXPECT_EQ(0, p.payload_len);
	/* padding may not reach into the CSRC list */
	raw(buf, 0xa1, 20);
	buf[19] = 5;
	EXPECT_EQ(-EBADMSG, rgm_rtp_parse(buf, 20, &p));
}

TEST(rtcp_compound)
{
	struct rgm_rtcp_sr sr = { .ssrc = 0xdeadbeef, .ntp = 0x0123456789abcdefULL,
				  .rtp_ts = 90000, .packets = 456, .octets = 599344 };
	struct rgm_rtcp_info info;
	uint8_t buf[256];
	int n = 0, m;

	m = rgm_rtcp_sr_build(buf, sizeof(buf), &sr);
	ASSERT_EQ(28, m);
	n += m;
	m = rgm_rtcp_sdes_build(buf + n, sizeof(buf) - n, sr.ssrc, "rgm@203.0.113.7");
	ASSERT_GT(m, 0);
	EXPECT_EQ(0, m % 4);
	n += m;
	m = rgm_rtcp_bye_build(buf + n, sizeof(buf) - n, sr.ssrc);
	ASSERT_EQ(8, m);
	n += m;
	ASSERT_EQ(0, rgm_rtcp_parse(buf, n, &info));
	EXPECT_EQ(3, info.n_packets);
	EXPECT_EQ(1, info.n_sr);
	EXPECT_EQ(1, info.n_sdes);
	EXPECT_EQ(1, info.n_bye);
	ASSERT_TRUE(info.have_sr);
	EXPECT_EQ(0xdeadbeef, info.sr.ssrc);
	EXPECT_EQ(0x0123456789abcdefULL, info.sr.ntp);
	EXPECT_EQ(90000, info.sr.rtp_ts);
	EXPECT_EQ(456, info.sr.packets);
	EXPECT_EQ(599344, info.sr.octets);
	ASSERT_EQ(1, info.n_bye_ssrc);
	EXPECT_EQ(0xdeadbeef, info.bye_ssrc[0]);

	/* cut anywhere inside: refused */
	for (m = 1; m < n; m++)
		if (m != 28 && m != n - 8)
			EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, m, &info));
	/* the SR alone is a valid compound */
	EXPECT_EQ(0, rgm_rtcp_parse(buf, 28, &info));
	/* a BYE may not come first */
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf + n - 8, 8, &info));
	/* no buffer space */
	EXPECT_EQ(-ENOSPC, rgm_rtcp_sr_build(buf, 27, &sr));
	EXPECT_EQ(-ENOSPC, rgm_rtcp_bye_build(buf, 7, 1));
}

TEST(rtcp_malformed_refused)
{
	struct rgm_rtcp_info info;
	uint8_t buf[64];

	/* RR with one report block announced, none present */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x81;
	buf[1] = RGM_RTCP_RR;
	buf[3] = 1;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 8, &info));
	/* RR with its block */
	buf[3] = 7;
	EXPECT_EQ(0, rgm_rtcp_parse(buf, 32, &info));
	EXPECT_EQ(1, info.n_rr);
	EXPECT_EQ(1, info.n_blocks);
	/* length past the end */
	buf[3] = 8;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 32, &info));
	/* bad version */
	buf[0] = 0x41;
	buf[3] = 7;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 32, &info));
	/* empty RR then a BYE announcing 2 SSRCs in 1 word */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80;
	buf[1] = RGM_RTCP_RR;
	buf[3] = 1;
	buf[8] = 0x82;
	buf[9] = RGM_RTCP_BYE;
	buf[11] = 1;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 16, &info));
	/* BYE with one SSRC and a reason longer than the packet */
	buf[8] = 0x81;
	buf[11] = 2;
	buf[16] = 9;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 20, &info));
	buf[16] = 3;
	EXPECT_EQ(0, rgm_rtcp_parse(buf, 20, &info));
	EXPECT_EQ(1, info.n_bye);
	/* padding on a packet that is not the last */
	buf[0] = 0xa0;
	buf[7] = 4;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 20, &info));
	/* padding on the last packet: fine, unless larger than the packet */
	buf[0] = 0x80;
	buf[8] = 0xa1;
	buf[19] = 4;
	EXPECT_EQ(0, rgm_rtcp_parse(buf, 20, &info));
	buf[19] = 13;
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 20, &info));
	EXPECT_EQ(-EBADMSG, rgm_rtcp_parse(buf, 3, &info));
}

TEST(stats_sequence_wrap)
{
	struct rgm_rtp_stats s;
	uint64_t ext, first = 0;
	unsigned int i;
	uint16_t seq = 65530;

	rgm_rtp_stats_setup(&s);
	for (i = 0; i < 12; i++, seq++) {
		ASSERT_EQ(RGM_RTP_IN_ORDER, rgm_rtp_stats_update(&s, 42, seq, &ext));
		if (i == 0)
			first = ext;
		EXPECT_EQ(first + i, ext);
	}
	EXPECT_EQ(12, s.received);
	EXPECT_EQ(12, rgm_rtp_stats_expected(&s));
	EXPECT_EQ(0, rgm_rtp_stats_lost(&s));
	EXPECT_EQ(0, s.reordered);
	/* ext seq crossed 2^16 * 2: one cycle more than the first */
	EXPECT_EQ(2 * 65536 + 5, s.max);
}

TEST(stats_loss_reorder_duplicates)
{
	static const uint16_t seqs[] = { 1, 2, 4, 3, 6, 6, 3, 9 };
	static const enum rgm_rtp_verdict want[] = {
		RGM_RTP_IN_ORDER, RGM_RTP_IN_ORDER, RGM_RTP_IN_ORDER, RGM_RTP_REORDERED,
		RGM_RTP_IN_ORDER, RGM_RTP_DUPLICATE, RGM_RTP_DUPLICATE, RGM_RTP_IN_ORDER,
	};
	struct rgm_rtp_stats s;
	uint64_t ext;
	unsigned int i;

	rgm_rtp_stats_setup(&s);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		EXPECT_EQ(want[i], rgm_rtp_stats_update(&s, 7, seqs[i], &ext));
	/* 1..9 expected; 1 2 3 4 6 9 received: 5, 7, 8 lost */
	EXPECT_EQ(9, rgm_rtp_stats_expected(&s));
	EXPECT_EQ(6, s.received);
	EXPECT_EQ(3, rgm_rtp_stats_lost(&s));
	EXPECT_EQ(1, s.reordered);
	EXPECT_EQ(2, s.duplicates);
	/* late across a wrap: 65535 after 0 */
	rgm_rtp_stats_setup(&s);
	EXPECT_EQ(RGM_RTP_IN_ORDER, rgm_rtp_stats_update(&s, 7, 0, &ext));
	EXPECT_EQ(RGM_RTP_REORDERED, rgm_rtp_stats_update(&s, 7, 65535, &ext));
	EXPECT_EQ(65535, ext);
	EXPECT_EQ(2, rgm_rtp_stats_expected(&s));
	EXPECT_EQ(0, rgm_rtp_stats_lost(&s));
}

TEST(stats_foreign_ssrc_and_jumps)
{
	struct rgm_rtp_stats s;
	uint64_t ext;

	rgm_rtp_stats_setup(&s);
	EXPECT_EQ(RGM_RTP_IN_ORDER, rgm_rtp_stats_update(&s, 7, 100, &ext));
	EXPECT_EQ(RGM_RTP_BAD, rgm_rtp_stats_update(&s, 8, 101, &ext));
	/* a jump of 30000 is taken only when the next packet follows it */
	EXPECT_EQ(RGM_RTP_BAD, rgm_rtp_stats_update(&s, 7, 30100, &ext));
	EXPECT_EQ(RGM_RTP_BAD, rgm_rtp_stats_update(&s, 7, 20000, &ext));
	EXPECT_EQ(RGM_RTP_BAD, rgm_rtp_stats_update(&s, 7, 30100, &ext));
	EXPECT_EQ(RGM_RTP_IN_ORDER, rgm_rtp_stats_update(&s, 7, 30101, &ext));
	EXPECT_EQ(4, s.bad);
	EXPECT_EQ(2, s.received);
	EXPECT_EQ(30002, rgm_rtp_stats_expected(&s));
}

/* One TS packet: PID, optional PCR (27 MHz), payload filled with b. */
static void ts_packet(uint8_t *p, uint16_t pid, int64_t pcr, uint8_t b)
{
	uint64_t base = pcr / 300, ext = pcr % 300;

	memset(p, b, RGM_TS_PACKET);
	p[0] = RGM_TS_SYNC;
	p[1] = pid >> 8;
	p[2] = pid;
	p[3] = 0x10;
	if (pcr < 0)
		return;
	p[3] = 0x30;
	p[4] = 7;
	p[5] = 0x10;
	p[6] = base >> 25;
	p[7] = base >> 17;
	p[8] = base >> 9;
	p[9] = base >> 1;
	p[10] = (base & 1) << 7 | 0x7e | ext >> 8;
	p[11] = ext;
}

TEST(ts_pcr)
{
	uint8_t p[RGM_TS_PACKET];
	uint64_t pcr;
	uint16_t pid;

	ts_packet(p, 0x100, 123456789ULL * 300 + 123, 0);
	ASSERT_EQ(1, rgm_ts_pcr(p, &pcr, &pid));
	EXPECT_EQ(123456789ULL * 300 + 123, pcr);
	EXPECT_EQ(0x100, pid);
	/* the largest PCR: 33 bits of base, 299 of extension */
	ts_packet(p, 0x1fff, ((1LL << 33) - 1) * 300 + 299, 0);
	ASSERT_EQ(1, rgm_ts_pcr(p, &pcr, &pid));
	EXPECT_EQ(((1ULL << 33) - 1) * 300 + 299, pcr);
	EXPECT_EQ(0x1fff, pid);
	/* no adaptation field; one without PCR_flag; one too short for a PCR */
	ts_packet(p, 0x100, -1, 0);
	EXPECT_EQ(0, rgm_ts_pcr(p, &pcr, &pid));
	ts_packet(p, 0x100, 0, 0);
	p[5] = 0;
	EXPECT_EQ(0, rgm_ts_pcr(p, &pcr, &pid));
	p[5] = 0x10;
	p[4] = 6;
	EXPECT_EQ(0, rgm_ts_pcr(p, &pcr, &pid));
	/* adaptation field longer than the packet (183 is the most) */
	p[4] = 184;
	EXPECT_EQ(-EBADMSG, rgm_ts_pcr(p, &pcr, &pid));
	p[4] = 183;
	EXPECT_EQ(1, rgm_ts_pcr(p, &pcr, &pid));
	/* extension above 299 */
	ts_packet(p, 0x100, 0, 0);
	p[10] |= 1;
	p[11] = 44;	/* 300 */
	EXPECT_EQ(-EBADMSG, rgm_ts_pcr(p, &pcr, &pid));
	p[11] = 43;
	EXPECT_EQ(1, rgm_ts_pcr(p, &pcr, &pid));
	EXPECT_EQ(299, pcr);
	/* bad sync byte */
	p[0] = 0x48;
	EXPECT_EQ(-EBADMSG, rgm_ts_pcr(p, &pcr, &pid));
}

TEST(ts_check)
{
	uint8_t buf[3 * RGM_TS_PACKET];

	ts_packet(buf, 1, -1, 0);
	ts_packet(buf + 188, 1, -1, 0);
	ts_packet(buf + 376, 1, -1, 0);
	EXPECT_EQ(0, rgm_ts_check(buf, sizeof(buf)));
	EXPECT_EQ(-EBADMSG, rgm_ts_check(buf, sizeof(buf) - 1));
	EXPECT_EQ(-EBADMSG, rgm_ts_check(buf, 0));
	buf[376] = 0;
	EXPECT_EQ(-EBADMSG, rgm_ts_check(buf, sizeof(buf)));
	EXPECT_EQ(1, rgm_ts_rtp_packets(188));
	EXPECT_EQ(1, rgm_ts_rtp_packets(7 * 188));
	EXPECT_EQ(2, rgm_ts_rtp_packets(8 * 188));
}

/*
 * 700 TS packets, a PCR every 10 on PID 0x100, 1 ms per packet (start
 * value start27), with PCRs on another PID that must be ignored.
 */
static uint8_t *ts_stream(int64_t start27, size_t *len)
{
	size_t n = 700, i;
	uint8_t *buf = malloc(n * RGM_TS_PACKET);

	for (i = 0; i < n; i++) {
		int64_t pcr = (start27 + (int64_t)i * 27000) % (int64_t)RGM_TS_PCR_WRAP;

		if (i % 10 == 5)
			ts_packet(buf + i * 188, 0x100, pcr, 0);
		else if (i % 10 == 7)
			ts_packet(buf + i * 188, 0x200, 5 * pcr, 0);
		else
			ts_packet(buf + i * 188, 0x100, -1, 0);
	}
	*len = n * RGM_TS_PACKET;
	return buf;
}

TEST(ts_schedule_from_pcr)
{
	uint64_t *at, dur;
	size_t len, i;
	uint8_t *buf;

	buf = ts_stream(1000, &len);
	ASSERT_EQ(0, rgm_ts_schedule(buf, len, 1, &at, &dur));
	EXPECT_EQ(0, at[0]);
	for (i = 1; i < 100; i++) {
		EXPECT_LE(at[i - 1], at[i]);
		/* RTP packet i starts at TS packet 7i: 7 ms per packet */
		EXPECT_LE(i * 7000000 - 1000, at[i]);
		EXPECT_GE(i * 7000000 + 1000, at[i]);
	}
	EXPECT_LE(699000000, dur);
	EXPECT_GE(701000000, dur);
	free(at);
	free(buf);

	/* across the PCR wrap: same schedule */
	buf = ts_stream((int64_t)RGM_TS_PCR_WRAP - 27000 * 300, &len);
	ASSERT_EQ(0, rgm_ts_schedule(buf, len, 1, &at, &dur));
	for (i = 1; i < 100; i++) {
		EXPECT_LE(i * 7000000 - 1000, at[i]);
		EXPECT_GE(i * 7000000 + 1000, at[i]);
	}
	free(at);
	free(buf);
}

TEST(ts_schedule_without_pcr)
{
	uint8_t buf[14 * RGM_TS_PACKET];
	uint64_t *at, dur;
	unsigned int i;

	for (i = 0; i < 14; i++)
		ts_packet(buf + i * 188, 0x100, -1, 0);
	ASSERT_EQ(0, rgm_ts_schedule(buf, sizeof(buf), 2000000000, &at, &dur));
	/* 2 RTP packets evenly over 2 s */
	EXPECT_EQ(0, at[0]);
	EXPECT_EQ(1000000000, at[1]);
	EXPECT_EQ(2000000000, dur);
	free(at);
	/* not a TS */
	buf[188] = 0;
	EXPECT_EQ(-EBADMSG, rgm_ts_schedule(buf, sizeof(buf), 1, &at, &dur));
	buf[188] = RGM_TS_SYNC;
	/* a bad adaptation field length anywhere is refused */
	ts_packet(buf + 188, 0x100, 0, 0);
	buf[188 + 4] = 200;
	EXPECT_EQ(-EBADMSG, rgm_ts_schedule(buf, sizeof(buf), 1, &at, &dur));
}

TEST_HARNESS_MAIN
