// SPDX-License-Identifier: GPL-2.0
/*
 * Length-prefixed frames: incremental decoder and bounded output queue.
 * See rgm_frame.h for the contract.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_frame.h"

int rgm_frame_dec_setup(struct rgm_frame_dec *d, size_t max)
{
	if (!max)
		max = RGM_FRAME_MAX;
	if (max < RGM_FRAME_MIN_MAX || max > RGM_FRAME_MAX)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->max = max;
	return 0;
}

void rgm_frame_dec_teardown(struct rgm_frame_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = 0;
}

static void rgm_frame_dec_reset(struct rgm_frame_dec *d)
{
	d->hdr_len = 0;
	d->len = 0;
	d->got = 0;
	d->ready = false;
}

/* Grows buf to hold n bytes; n was checked against max already. Doubling
 * keeps reallocs few, the min() keeps the bound. */
static int rgm_frame_dec_reserve(struct rgm_frame_dec *d, size_t n)
{
	size_t cap = d->cap ? d->cap : 256;
	uint8_t *p;

	if (n <= d->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (cap > d->max)
		cap = d->max;
	p = realloc(d->buf, cap);
	if (!p)
		return -ENOMEM;
	d->buf = p;
	d->cap = cap;
	return 0;
}

int rgm_frame_dec_feed(struct rgm_frame_dec *d, const uint8_t *in, size_t len, size_t *used)
{
	size_t off = 0, n;
	int err;

	*used = 0;
	if (d->err)
		return d->err;
	if (d->ready)
		rgm_frame_dec_reset(d);

	while (d->hdr_len < RGM_FRAME_HDR) {
		if (off == len)
			return 0;
		d->hdr[d->hdr_len++] = in[off++];
		*used = off;
		if (d->hdr_len < RGM_FRAME_HDR)
			continue;
		d->len = (size_t)d->hdr[0] << 24 | (size_t)d->hdr[1] << 16 |
			 (size_t)d->hdr[2] << 8 | d->hdr[3];
		if (!d->len)
			return d->err = RGM_FRAME_EZERO;
		if (d->len > d->max)
			return d->err = RGM_FRAME_ETOOBIG;
		err = rgm_frame_dec_reserve(d, d->len);
		if (err)
			return d->err = err;
	}

	n = d->len - d->got;
	if (n > len - off)
		n = len - off;
	memcpy(d->buf + d->got, in + off, n);
	d->got += n;
	off += n;
	*used = off;
	if (d->got < d->len)
		return 0;
	d->ready = true;
	return 1;
}

const uint8_t *rgm_frame_dec_payload(const struct rgm_frame_dec *d, size_t *len)
{
	if (!d->ready) {
		*len = 0;
		return NULL;
	}
	*len = d->len;
	return d->buf;
}

int rgm_frame_dec_eof(const struct rgm_frame_dec *d)
{
	if (d->err)
		return d->err;
	if (d->ready || !d->hdr_len)
		return 0;
	return RGM_FRAME_ETRUNC;
}

const char *rgm_frame_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case RGM_FRAME_EZERO:
		return "zero-length frame";
	case RGM_FRAME_ETOOBIG:
		return "frame too large";
	case RGM_FRAME_ETRUNC:
		return "truncated frame";
	case -ENOMEM:
		return "out of memory";
	default:
		return "frame error";
	}
}

int rgm_frame_hdr(uint8_t hdr[RGM_FRAME_HDR], size_t len, size_t max)
{
	if (!len || len > max || len > RGM_FRAME_MAX)
		return -EMSGSIZE;
	hdr[0] = len >> 24;
	hdr[1] = len >> 16;
	hdr[2] = len >> 8;
	hdr[3] = len;
	return 0;
}

void rgm_frame_out_setup(struct rgm_frame_out *o, size_t limit)
{
	memset(o, 0, sizeof(*o));
	o->limit = limit;
}

void rgm_frame_out_teardown(struct rgm_frame_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

int rgm_frame_out_push(struct rgm_frame_out *o, const void *payload, size_t len, size_t max)
{
	uint8_t hdr[RGM_FRAME_HDR];
	size_t pending = o->tail - o->head, need, cap;
	uint8_t *p;
	int err;

	err = rgm_frame_hdr(hdr, len, max);
	if (err)
		return err;
	need = pending + RGM_FRAME_HDR + len;
	if (need > o->limit)
		return -ENOBUFS;
	/* Compact first: what was written is never needed again. */
	if (o->head) {
		memmove(o->buf, o->buf + o->head, pending);
		o->head = 0;
		o->tail = pending;
	}
	if (need > o->cap) {
		cap = o->cap ? o->cap : 1024;
		while (cap < need)
			cap *= 2;
		if (cap > o->limit)
			cap = o->limit;
		p = realloc(o->buf, cap);
		if (!p)
			return -ENOMEM;
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->tail, hdr, RGM_FRAME_HDR);
	memcpy(o->buf + o->tail + RGM_FRAME_HDR, payload, len);
	o->tail += RGM_FRAME_HDR + len;
	return 0;
}

const uint8_t *rgm_frame_out_peek(const struct rgm_frame_out *o, size_t *len)
{
	*len = o->tail - o->head;
	return o->buf ? o->buf + o->head : NULL;
}

void rgm_frame_out_consume(struct rgm_frame_out *o, size_t n)
{
	if (n > o->tail - o->head)
		n = o->tail - o->head;
	o->head += n;
	if (o->head == o->tail)
		o->head = o->tail = 0;
}
