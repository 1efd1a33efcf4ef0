// SPDX-License-Identifier: GPL-2.0
/*
 * RTP and RTCP (RFC 3550) headers and receiver statistics. Everything that
 * parses takes bytes from the network: each length is checked against the
 * buffer before it is used.
 */
#include <errno.h>
#include <string.h>

#include "rgm_rtp.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int rgm_rtp_build(uint8_t *buf, size_t cap, const struct rgm_rtp_hdr *h)
{
	size_t len = RGM_RTP_HDR_LEN + 4u * h->cc;
	unsigned int i;

	if (h->pt > 127 || h->cc > RGM_RTP_MAX_CSRC)
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	buf[0] = RGM_RTP_VERSION << 6 | h->cc;
	buf[1] = (h->marker ? 0x80 : 0) | h->pt;
	put16(buf + 2, h->seq);
	put32(buf + 4, h->ts);
	put32(buf + 8, h->ssrc);
	for (i = 0; i < h->cc; i++)
		put32(buf + 12 + 4 * i, h->csrc[i]);
	return (int)len;
}

int rgm_rtp_parse(const uint8_t *buf, size_t len, struct rgm_rtp_hdr *h)
{
	size_t off, end = len;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	if (len < RGM_RTP_HDR_LEN || buf[0] >> 6 != RGM_RTP_VERSION)
		return -EBADMSG;
	h->cc = buf[0] & 0x0f;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = get16(buf + 2);
	h->ts = get32(buf + 4);
	h->ssrc = get32(buf + 8);
	off = RGM_RTP_HDR_LEN + 4u * h->cc;
	if (off > len)
		return -EBADMSG;
	for (i = 0; i < h->cc; i++)
		h->csrc[i] = get32(buf + 12 + 4 * i);
	if (buf[0] & 0x10) {
		if (len - off < 4)
			return -EBADMSG;
		h->ext = true;
		h->ext_profile = get16(buf + off);
		h->ext_len = 4u * get16(buf + off + 2);
		off += 4;
		if (h->ext_len > len - off)
			return -EBADMSG;
		off += h->ext_len;
	}
	if (buf[0] & 0x20) {
		/* the last byte counts the padding, itself included */
		h->pad_len = buf[len - 1];
		if (h->pad_len == 0 || h->pad_len > len - off)
			return -EBADMSG;
		end = len - h->pad_len;
	}
	h->payload_off = off;
	h->payload_len = end - off;
	return 0;
}

/* Common RTCP header: V=2, no padding, count, type, length in words - 1. */
static void rtcp_hdr(uint8_t *p, unsigned int count, unsigned int type, size_t len)
{
	p[0] = RGM_RTP_VERSION << 6 | count;
	p[1] = type;
	put16(p + 2, len / 4 - 1);
}

int rgm_rtcp_sr_build(uint8_t *buf, size_t cap, const struct rgm_rtcp_sr *sr)
{
	if (cap < 28)
		return -ENOSPC;
	rtcp_hdr(buf, 0, RGM_RTCP_SR, 28);
	put32(buf + 4, sr->ssrc);
	put32(buf + 8, sr->ntp >> 32);
	put32(buf + 12, (uint32_t)sr->ntp);
	put32(buf + 16, sr->rtp_ts);
	put32(buf + 20, sr->packets);
	put32(buf + 24, sr->octets);
	return 28;
}

int rgm_rtcp_sdes_build(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
	size_t n = strlen(cname), len;

	if (n > 255)
		return -EINVAL;
	/* header, SSRC, CNAME item, then at least one null item ending the
	 * chunk, padded to a word */
	len = (4 + 4 + 2 + n + 1 + 3) & ~(size_t)3;
	if (cap < len)
		return -ENOSPC;
	memset(buf, 0, len);
	rtcp_hdr(buf, 1, RGM_RTCP_SDES, len);
	put32(buf + 4, ssrc);
	buf[8] = 1;		/* CNAME */
	buf[9] = n;
	memcpy(buf + 10, cname, n);
	return (int)len;
}

int rgm_rtcp_bye_build(uint8_t *buf, size_t cap, uint32_t ssrc)
{
	if (cap < 8)
		return -ENOSPC;
	rtcp_hdr(buf, 1, RGM_RTCP_BYE, 8);
	put32(buf + 4, ssrc);
	return 8;
}

static int rtcp_one(const uint8_t *p, size_t len, struct rgm_rtcp_info *info)
{
	unsigned int count = p[0] & 0x1f, i;
	size_t need;

	switch (p[1]) {
	case RGM_RTCP_SR:
		need = 28 + 24u * count;
		if (len < need)
			return -EBADMSG;
		info->n_sr++;
		info->n_blocks += count;
		info->have_sr = true;
		info->sr.ssrc = get32(p + 4);
		info->sr.ntp = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
		info->sr.rtp_ts = get32(p + 16);
		info->sr.packets = get32(p + 20);
		info->sr.octets = get32(p + 24);
		return 0;
	case RGM_RTCP_RR:
		need = 8 + 24u * count;
		if (len < need)
			return -EBADMSG;
		info->n_rr++;
		info->n_blocks += count;
		return 0;
	case RGM_RTCP_BYE:
		need = 4 + 4u * count;
		if (len < need)
			return -EBADMSG;
		/* optional reason: length byte, then that many bytes */
		if (len > need && p[need] > len - need - 1)
			return -EBADMSG;
		info->n_bye++;
		for (i = 0; i < count; i++)
			if (info->n_bye_ssrc < RGM_RTCP_MAX_BYE)
				info->bye_ssrc[info->n_bye_ssrc++] = get32(p + 4 + 4 * i);
		return 0;
	case RGM_RTCP_SDES:
		info->n_sdes++;
		return 0;
	default:
		info->n_other++;
		return 0;
	}
}

int rgm_rtcp_parse(const uint8_t *buf, size_t len, struct rgm_rtcp_info *info)
{
	size_t off = 0, plen, body;

	memset(info, 0, sizeof(*info));
	if (len < 4)
		return -EBADMSG;
	while (off < len) {
		const uint8_t *p = buf + off;

		if (len - off < 4 || p[0] >> 6 != RGM_RTP_VERSION)
			return -EBADMSG;
		plen = 4u * ((size_t)get16(p + 2) + 1);
		if (plen > len - off)
			return -EBADMSG;
		if (off == 0 && p[1] != RGM_RTCP_SR && p[1] != RGM_RTCP_RR)
			return -EBADMSG;
		body = plen;
		if (p[0] & 0x20) {
			/* padding only on the last packet, within it */
			if (off + plen != len || p[plen - 1] == 0 || p[plen - 1] > plen - 4)
				return -EBADMSG;
			body = plen - p[plen - 1];
		}
		if (rtcp_one(p, body, info))
			return -EBADMSG;
		info->n_packets++;
		off += plen;
	}
	return 0;
}

uint64_t rgm_rtcp_ntp(long sec, long nsec)
{
	/* 70 years (17 leap days) between 1900 and 1970 */
	uint64_t s = (uint64_t)sec + 2208988800ULL;
	uint64_t frac = ((uint64_t)nsec << 32) / 1000000000ULL;

	return s << 32 | frac;
}

void rgm_rtp_stats_setup(struct rgm_rtp_stats *s)
{
	memset(s, 0, sizeof(*s));
}

static bool win_test(const struct rgm_rtp_stats *s, uint64_t ext)
{
	unsigned int b = ext % RGM_RTP_WINDOW;

	return s->window[b / 64] >> (b % 64) & 1;
}

static void win_set(struct rgm_rtp_stats *s, uint64_t ext)
{
	unsigned int b = ext % RGM_RTP_WINDOW;

	s->window[b / 64] |= 1ULL << (b % 64);
}

/* Moves the highest seq to ext, forgetting what the window held there. */
static void advance(struct rgm_rtp_stats *s, uint64_t ext)
{
	uint64_t e;

	if (ext - s->max >= RGM_RTP_WINDOW)
		memset(s->window, 0, sizeof(s->window));
	else
		for (e = s->max + 1; e <= ext; e++)
			s->window[e % RGM_RTP_WINDOW / 64] &= ~(1ULL << (e % 64));
	s->max = ext;
	win_set(s, ext);
	s->received++;
}

enum rgm_rtp_verdict rgm_rtp_stats_update(struct rgm_rtp_stats *s, uint32_t ssrc, uint16_t seq,
					  uint64_t *ext)
{
	uint16_t udelta;
	uint64_t e;

	if (!s->init) {
		s->init = true;
		s->ssrc = ssrc;
		s->base = s->max = 65536 + (uint64_t)seq;
		s->received = 1;
		s->bad_seq = 0x10000;	/* matches no seq */
		win_set(s, s->max);
		*ext = s->max;
		return RGM_RTP_IN_ORDER;
	}
	if (ssrc != s->ssrc) {
		s->bad++;
		return RGM_RTP_BAD;
	}
	udelta = seq - (uint16_t)s->max;
	if (udelta == 0) {
		*ext = s->max;
		s->duplicates++;
		return RGM_RTP_DUPLICATE;
	}
	if (udelta < RGM_RTP_MAX_DROPOUT) {
		*ext = s->max + udelta;
		advance(s, *ext);
		return RGM_RTP_IN_ORDER;
	}
	if (udelta <= 65536 - RGM_RTP_MAX_MISORDER) {
		/* a large jump: taken only when the next packet confirms it */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & 0xffff;
			s->bad++;
			return RGM_RTP_BAD;
		}
		s->bad_seq = 0x10000;	/* matches no seq */
		*ext = s->max + udelta;
		advance(s, *ext);
		return RGM_RTP_IN_ORDER;
	}
	/* late: within MAX_MISORDER behind the highest, inside the window */
	e = s->max - (65536 - udelta);
	*ext = e;
	if (win_test(s, e)) {
		s->duplicates++;
		return RGM_RTP_DUPLICATE;
	}
	win_set(s, e);
	s->received++;
	s->reordered++;
	if (e < s->base)
		s->base = e;
	return RGM_RTP_REORDERED;
}

uint64_t rgm_rtp_stats_expected(const struct rgm_rtp_stats *s)
{
	return s->init ? s->max - s->base + 1 : 0;
}

uint64_t rgm_rtp_stats_lost(const struct rgm_rtp_stats *s)
{
	uint64_t exp = rgm_rtp_stats_expected(s);

	return exp > s->received ? exp - s->received : 0;
}
