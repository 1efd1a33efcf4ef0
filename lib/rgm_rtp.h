/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RTP and RTCP (RFC 3550) for the media server and the appliance: fixed
 * header build and validating parse, RTCP sender report / SDES / BYE build,
 * compound packet parse, and receiver statistics per source (RFC 3550 A.1
 * and A.3: extended sequence numbers, expected, lost, reordered,
 * duplicates).
 */
#ifndef RGM_RTP_H
#define RGM_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RGM_RTP_VERSION		2
#define RGM_RTP_HDR_LEN		12
#define RGM_RTP_PT_MP2T		33	/* RFC 3551: MPEG-2 transport stream */
#define RGM_RTP_CLOCK		90000	/* Hz, the MP2T timestamp clock */
#define RGM_RTP_MAX_CSRC	15

struct rgm_rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t cc;
	uint32_t csrc[RGM_RTP_MAX_CSRC];
	/* filled by rgm_rtp_parse() */
	bool ext;
	uint16_t ext_profile;
	size_t ext_len;		/* bytes of extension data after its 4-byte header */
	size_t pad_len;		/* padding bytes at the end, count byte included */
	size_t payload_off;
	size_t payload_len;
};

/*
 * Writes the fixed header and the CSRC list of h (no extension, no padding)
 * to buf. Returns the header length, -ENOSPC when cap is too small, -EINVAL
 * for a payload type above 127 or more than 15 CSRCs.
 */
int rgm_rtp_build(uint8_t *buf, size_t cap, const struct rgm_rtp_hdr *h);

/*
 * Parses one RTP packet of len bytes: version 2, the CSRC list, the
 * extension and the padding must all fit, and padding may not eat into the
 * header. Returns 0 or -EBADMSG (h is then unspecified).
 */
int rgm_rtp_parse(const uint8_t *buf, size_t len, struct rgm_rtp_hdr *h);

/* RTCP packet types */
#define RGM_RTCP_SR	200
#define RGM_RTCP_RR	201
#define RGM_RTCP_SDES	202
#define RGM_RTCP_BYE	203
#define RGM_RTCP_APP	204

struct rgm_rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;		/* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* Appends an SR without report blocks; returns its length or -ENOSPC. */
int rgm_rtcp_sr_build(uint8_t *buf, size_t cap, const struct rgm_rtcp_sr *sr);
/* Appends an SDES with one CNAME item (at most 255 bytes). */
int rgm_rtcp_sdes_build(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);
/* Appends a BYE for one SSRC, without reason. */
int rgm_rtcp_bye_build(uint8_t *buf, size_t cap, uint32_t ssrc);

#define RGM_RTCP_MAX_BYE	31

/* What a compound packet said. */
struct rgm_rtcp_info {
	unsigned int n_packets;
	unsigned int n_sr, n_rr, n_sdes, n_bye, n_other;
	unsigned int n_blocks;		/* report blocks, SR and RR together */
	bool have_sr;
	struct rgm_rtcp_sr sr;		/* the last SR seen */
	unsigned int n_bye_ssrc;
	uint32_t bye_ssrc[RGM_RTCP_MAX_BYE];
};

/*
 * Parses a compound RTCP packet (RFC 3550 6.1 / A.2): every packet version
 * 2, its length inside the buffer, the first one an SR or RR, padding only
 * on the last one and no larger than it, SR/RR long enough for their
 * report blocks, BYE long enough for its SSRC list and reason.
 * Returns 0 or -EBADMSG.
 */
int rgm_rtcp_parse(const uint8_t *buf, size_t len, struct rgm_rtcp_info *info);

/* Converts a CLOCK_REALTIME timespec into an NTP 32.32 timestamp. */
uint64_t rgm_rtcp_ntp(long sec, long nsec);

/* Receiver statistics of one source (RFC 3550 A.1 / A.3). */
#define RGM_RTP_MAX_DROPOUT	3000
#define RGM_RTP_MAX_MISORDER	100
#define RGM_RTP_WINDOW		1024	/* sequence numbers remembered for duplicates */

struct rgm_rtp_stats {
	bool init;
	uint32_t ssrc;
	uint64_t base;		/* extended seq of the first packet */
	uint64_t max;		/* highest extended seq */
	uint32_t bad_seq;	/* a large jump is accepted when repeated */
	uint64_t received;	/* distinct packets */
	uint64_t duplicates;
	uint64_t reordered;	/* arrived after a higher sequence number */
	uint64_t bad;		/* foreign SSRC, too old, or an unconfirmed jump */
	uint64_t window[RGM_RTP_WINDOW / 64];	/* seen bits, by ext seq */
};

enum rgm_rtp_verdict {
	RGM_RTP_IN_ORDER,
	RGM_RTP_REORDERED,
	RGM_RTP_DUPLICATE,
	RGM_RTP_BAD,
};

void rgm_rtp_stats_setup(struct rgm_rtp_stats *s);
/*
 * Accounts one packet. The first packet fixes the SSRC; later ones from
 * another SSRC are bad. *ext gets the extended sequence number (starting at
 * 65536 + the first seq, so slightly older packets stay positive).
 */
enum rgm_rtp_verdict rgm_rtp_stats_update(struct rgm_rtp_stats *s, uint32_t ssrc, uint16_t seq,
					  uint64_t *ext);
/* Expected (max - base + 1) and lost (expected - received, at least 0). */
uint64_t rgm_rtp_stats_expected(const struct rgm_rtp_stats *s);
uint64_t rgm_rtp_stats_lost(const struct rgm_rtp_stats *s);

#endif /* RGM_RTP_H */
