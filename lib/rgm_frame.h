/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Framing of the rgmd protocol on a byte stream (TLS): every message is a
 * 4-byte big-endian length followed by that many payload bytes, 1..max.
 *
 * The decoder is incremental and never blocks: feed it whatever the socket
 * gave, it says when one frame is complete. It grows its buffer only to the
 * length a header announced, and refuses a header above its maximum before
 * allocating anything, so a peer cannot make it hold more than max bytes.
 *
 * The output queue is bounded too: a peer that does not read its replies
 * fills it, and the caller drops that peer instead of buffering forever.
 */
#ifndef RGM_FRAME_H
#define RGM_FRAME_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RGM_FRAME_HDR	4
#define RGM_FRAME_MAX	(64 * 1024)	/* default and upper bound of max */
#define RGM_FRAME_MIN_MAX 64		/* a lower configured max is refused */

/* Decoder errors (negative errno values). */
#define RGM_FRAME_EZERO		(-EBADMSG)	/* length 0 */
#define RGM_FRAME_ETOOBIG	(-EMSGSIZE)	/* length > max */
#define RGM_FRAME_ETRUNC	(-ENODATA)	/* EOF inside a frame */

struct rgm_frame_dec {
	size_t max;		/* largest payload accepted */
	uint8_t hdr[RGM_FRAME_HDR];
	size_t hdr_len;		/* header bytes seen of the current frame */
	uint8_t *buf;		/* payload, allocated up to the announced length */
	size_t cap;		/* allocated size of buf, <= max */
	size_t len;		/* announced payload length, valid once hdr_len == 4 */
	size_t got;		/* payload bytes seen */
	bool ready;		/* buf[0..len) is one complete frame */
	int err;		/* sticky: once broken, the stream stays broken */
};

/* max 0 means RGM_FRAME_MAX; -EINVAL outside RGM_FRAME_MIN_MAX..RGM_FRAME_MAX. */
int rgm_frame_dec_setup(struct rgm_frame_dec *d, size_t max);
void rgm_frame_dec_teardown(struct rgm_frame_dec *d);

/*
 * Consumes bytes from in[0..len) and stops after the first complete frame.
 * Returns 1 when a frame is ready (rgm_frame_dec_payload()), 0 when it needs
 * more input (all of in was consumed), or a negative RGM_FRAME_E* error,
 * which is sticky. *used tells how much of in was consumed; the caller calls
 * again with the rest. A ready frame stays valid until the next call.
 */
int rgm_frame_dec_feed(struct rgm_frame_dec *d, const uint8_t *in, size_t len, size_t *used);
const uint8_t *rgm_frame_dec_payload(const struct rgm_frame_dec *d, size_t *len);

/* At end of stream: 0 when it ended on a frame boundary, RGM_FRAME_ETRUNC
 * inside a frame, or the sticky error. */
int rgm_frame_dec_eof(const struct rgm_frame_dec *d);

/* What a decoder error means, for logs and error replies. */
const char *rgm_frame_strerror(int err);

/* Writes the header of a len-byte payload; -EMSGSIZE when len is 0 or > max. */
int rgm_frame_hdr(uint8_t hdr[RGM_FRAME_HDR], size_t len, size_t max);

/* Bounded output queue of encoded frames. */
struct rgm_frame_out {
	uint8_t *buf;
	size_t cap;		/* allocated */
	size_t limit;		/* never more than this many bytes queued */
	size_t head, tail;	/* pending bytes are buf[head..tail) */
};

void rgm_frame_out_setup(struct rgm_frame_out *o, size_t limit);
void rgm_frame_out_teardown(struct rgm_frame_out *o);
/* Queues header + payload, all or nothing: -ENOBUFS when the queue would
 * exceed its limit, -EMSGSIZE for a payload of 0 or > max, -ENOMEM. */
int rgm_frame_out_push(struct rgm_frame_out *o, const void *payload, size_t len, size_t max);
/* Pending bytes to write, and how many were written. */
const uint8_t *rgm_frame_out_peek(const struct rgm_frame_out *o, size_t *len);
void rgm_frame_out_consume(struct rgm_frame_out *o, size_t n);
static inline size_t rgm_frame_out_pending(const struct rgm_frame_out *o)
{
	return o->tail - o->head;
}

#endif /* RGM_FRAME_H */
