/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MPEG transport stream (ISO/IEC 13818-1) helpers for sending a TS file as
 * RTP (RFC 2250): packet checks, PCR extraction, and the send schedule that
 * paces the file at the rate its PCRs give.
 */
#ifndef RGM_TS_H
#define RGM_TS_H

#include <stddef.h>
#include <stdint.h>

#define RGM_TS_PACKET		188
#define RGM_TS_SYNC		0x47
#define RGM_TS_PER_RTP		7	/* 7 * 188 = 1316 bytes: fits a 1500 MTU */
#define RGM_TS_PCR_HZ		27000000ULL
#define RGM_TS_PCR_WRAP		((1ULL << 33) * 300)	/* 33-bit base * 300 + ext */

/* Number of RTP packets a TS of len bytes makes (7 TS packets each). */
size_t rgm_ts_rtp_packets(size_t len);

/* 0 when len is a non-zero multiple of 188 and every packet starts with the
 * sync byte, else -EBADMSG. */
int rgm_ts_check(const uint8_t *buf, size_t len);

/*
 * Reads the PCR of one 188-byte packet: returns 1 and sets *pcr (27 MHz
 * units) and *pid when it carries one, 0 when it does not, -EBADMSG for a
 * bad sync byte, an adaptation field longer than the packet or a PCR
 * extension above 299.
 */
int rgm_ts_pcr(const uint8_t *pkt, uint64_t *pcr, uint16_t *pid);

/*
 * Computes when to send each RTP packet of the TS in buf (len bytes, checked
 * with rgm_ts_check): *at gets a malloc'ed array of rgm_ts_rtp_packets(len)
 * times in ns from the first packet, non-decreasing. The time of a packet is
 * that of its first byte, interpolated between the PCRs of the first PID
 * carrying them (extrapolated at the last known rate after the last one);
 * without two usable PCRs the file is spread evenly over fallback_ns.
 * *duration_ns gets the time of the end of the file. Returns 0, -EBADMSG or
 * -ENOMEM.
 */
int rgm_ts_schedule(const uint8_t *buf, size_t len, uint64_t fallback_ns, uint64_t **at,
		    uint64_t *duration_ns);

#endif /* RGM_TS_H */
