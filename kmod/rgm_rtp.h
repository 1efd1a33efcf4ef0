/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm_rtp.h - the shallow RTP/RTCP test both families' hooks apply.
 */
#ifndef _RGM_RTP_H
#define _RGM_RTP_H

#include <linux/skbuff.h>
#include <linux/udp.h>

/*
 * RTP or RTCP version 2 (RFC 3550) in the UDP datagram whose header is at
 * @thoff: the first two bits are 2. RTCP packets (payload type byte
 * 200..204, RFC 5761 section 4) need 8 bytes, RTP needs its 12 byte fixed
 * header. Nothing deeper: this keeps a mapping from carrying arbitrary
 * UDP, it is not a protocol validator.
 */
static inline bool rgm_rtp_check(const struct sk_buff *skb, unsigned int thoff)
{
	struct udphdr _uh;
	const struct udphdr *uh;
	u8 _hdr[2];
	const u8 *hdr;
	unsigned int len;

	uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);
	if (!uh)
		return false;
	if (skb->len < thoff + sizeof(*uh))
		return false;
	len = skb->len - thoff - sizeof(*uh);
	if (len < 8)
		return false;
	hdr = skb_header_pointer(skb, thoff + sizeof(*uh), sizeof(_hdr), _hdr);
	if (!hdr || hdr[0] >> 6 != 2)
		return false;
	if (hdr[1] >= 200 && hdr[1] <= 204)
		return true;
	return len >= 12;
}

#endif /* _RGM_RTP_H */
