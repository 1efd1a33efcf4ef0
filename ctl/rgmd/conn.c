// SPDX-License-Identifier: GPL-2.0
/*
 * One peer connection: TLS handshake under a deadline, then frames in,
 * engine replies out, under an idle deadline, a request rate limit and a
 * bounded output queue. Everything is non-blocking; the loop calls
 * rgmd_conn_io() on readiness and rgmd_conn_expire() on deadlines.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bucket.h"
#include "clock.h"
#include "conf.h"
#include "conn.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "rgm_frame.h"
#include "rgm_proto.h"
#include "rgm_tls.h"

/* Records handled per wakeup, so one busy peer cannot starve the others. */
#define RGMD_READ_BUDGET	32
/* Replies and notifications a slow reader may have queued before it is
 * dropped: a few maximum-size frames. */
#define RGMD_OUT_FRAMES		4
/* How long a closing connection may take to flush its last reply. */
#define RGMD_CLOSING_MS		2000

static int rgmd_conn_set_events(struct rgmd_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &c->ev };

	if (c->events == events)
		return 0;
	if (epoll_ctl(c->cs->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		return -errno;
	c->events = events;
	return 0;
}

struct rgmd_conn *rgmd_conn_new(struct rgmd_conns *cs, int fd, bool callhome,
				const char *addr)
{
	struct rgmd_conn *c;
	struct epoll_event ev = { 0 };
	uint64_t now = rgmd_clock_ms();
	int on = 1;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	/* Whole frames and TLS flights, written as they are ready: Nagle
	 * would hold the second write of a handshake flight, or a reply
	 * behind an unacknowledged one, for a round trip. Best effort. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->ev.kind = RGMD_EV_CONN;
	c->cs = cs;
	c->fd = fd;
	c->callhome = callhome;
	c->state = callhome ? RGMD_CONN_CONNECTING : RGMD_CONN_HANDSHAKE;
	c->peer.conn_id = ++cs->next_id;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	if (rgm_frame_dec_setup(&c->dec, cs->conf->max_frame))
		goto err_dec;
	rgm_frame_out_setup(&c->out, RGMD_OUT_FRAMES * (RGM_FRAME_HDR + cs->conf->max_frame));
	rgmd_bucket_setup(&c->bucket, cs->conf->rate, cs->conf->burst, now);
	/* The handshake deadline covers the TCP connect of call-home too. */
	c->deadline = now + cs->conf->handshake_timeout * 1000ULL;

	c->events = callhome ? EPOLLOUT : EPOLLIN;
	ev.events = c->events;
	ev.data.ptr = &c->ev;
	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, fd, &ev))
		goto err_epoll;

	c->next = cs->head;
	if (cs->head)
		cs->head->prev = c;
	cs->head = c;
	cs->n++;
	return c;

err_epoll:
	rgm_frame_out_teardown(&c->out);
	rgm_frame_dec_teardown(&c->dec);
err_dec:
	free(c);
	return NULL;
}

int rgmd_conn_start_tls(struct rgmd_conn *c)
{
	int err = rgm_tls_conn_new(c->cs->tls, !c->callhome, c->fd, &c->tls);

	if (err)
		return err;
	c->state = RGMD_CONN_HANDSHAKE;
	return 0;
}

void rgmd_conn_close(struct rgmd_conn *c, const char *why)
{
	if (c->state == RGMD_CONN_DEAD)
		return;
	if (why)
		rgmd_info("conn %llu %s%s%s: closed: %s", (unsigned long long)c->peer.conn_id,
			  c->addr, c->peer.name ? " " : "", c->peer.name ? c->peer.name : "",
			  why);
	if (c->authed)
		rgmd_engine_peer_gone(c->cs->engine, &c->peer);
	c->authed = false;
	c->state = RGMD_CONN_DEAD;
}

void rgmd_conn_free(struct rgmd_conn *c)
{
	struct rgmd_conns *cs = c->cs;

	if (c->prev)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cs->n--;
	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->tls && c->peer.name && !c->out.tail)
		rgm_tls_conn_bye(c->tls);
	rgm_tls_conn_free(c->tls);
	close(c->fd);
	rgm_frame_out_teardown(&c->out);
	rgm_frame_dec_teardown(&c->dec);
	free((char *)c->peer.name);
	free(c);
}

/* Writes what is queued; returns false when the connection died. */
static bool rgmd_conn_flush(struct rgmd_conn *c)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	for (;;) {
		p = rgm_frame_out_peek(&c->out, &len);
		if (!len)
			break;
		/* GnuTLS wants the same data again after -EAGAIN. */
		if (c->inflight)
			len = c->inflight;
		n = rgm_tls_conn_send(c->tls, p, len);
		if (n == -EAGAIN) {
			c->inflight = len;
			break;
		}
		c->inflight = 0;
		if (n < 0) {
			rgmd_conn_close(c, rgm_tls_conn_error(c->tls));
			return false;
		}
		rgm_frame_out_consume(&c->out, n);
	}
	if (c->state == RGMD_CONN_CLOSING && !rgm_frame_out_pending(&c->out)) {
		rgmd_conn_close(c, NULL);
		return false;
	}
	rgmd_conn_set_events(c, (c->state == RGMD_CONN_CLOSING ? 0 : EPOLLIN) |
			     (rgm_frame_out_pending(&c->out) ? EPOLLOUT : 0));
	return true;
}

/* Queues one frame; a peer that lets its queue fill up is dropped. */
static bool rgmd_conn_push(struct rgmd_conn *c, const void *payload, size_t len)
{
	int err = rgm_frame_out_push(&c->out, payload, len, c->cs->conf->max_frame);

	if (err == -ENOBUFS) {
		rgmd_warn("conn %llu %s: peer is not reading, output queue full: dropped",
			  (unsigned long long)c->peer.conn_id, c->addr);
		rgmd_conn_close(c, NULL);
		return false;
	}
	if (err) {
		rgmd_conn_close(c, err == -EMSGSIZE ? "reply larger than max-frame"
						    : "out of memory");
		return false;
	}
	return true;
}

static bool rgmd_conn_error_reply(struct rgmd_conn *c, const uint8_t *req, size_t len,
				  enum rgm_err code, const char *msg)
{
	size_t rlen = 0;
	char *r = rgmd_reply_error(req, len, code, msg, &rlen);
	bool ok;

	if (!r) {
		rgmd_conn_close(c, "out of memory");
		return false;
	}
	ok = rgmd_conn_push(c, r, rlen);
	free(r);
	return ok;
}

static bool rgmd_conn_request(struct rgmd_conn *c, const uint8_t *req, size_t len)
{
	uint64_t now = rgmd_clock_ms(), t0;
	char *reply = NULL;
	size_t rlen = 0;
	bool ok;

	c->nreq++;
	c->deadline = c->callhome ? 0 : now + c->cs->conf->idle_timeout * 1000ULL;
	if (!rgmd_bucket_take(&c->bucket, now)) {
		rgmd_counters.rate_limited++;
		rgmd_dbg("conn %llu: request %llu rate-limited",
			 (unsigned long long)c->peer.conn_id, (unsigned long long)c->nreq);
		return rgmd_conn_error_reply(c, req, len, RGM_ERR_RATE_LIMITED,
					     "too many requests, slow down");
	}
	t0 = rgm_metrics_now_us();
	if (rgmd_engine_handle(c->cs->engine, &c->peer, req, len, &reply, &rlen) || !reply) {
		free(reply);
		rgmd_conn_close(c, "engine could not build a reply");
		return false;
	}
	rgm_hist_observe(&rgmd_counters.request_latency, rgm_metrics_now_us() - t0);
	ok = rgmd_conn_push(c, reply, rlen);
	free(reply);
	return ok;
}

/* A broken stream: answer once, then close after the reply is out. */
static void rgmd_conn_bad_frame(struct rgmd_conn *c, int err)
{
	const char *msg = rgm_frame_strerror(err);

	rgmd_warn("conn %llu %s: %s: closing", (unsigned long long)c->peer.conn_id, c->addr,
		  msg);
	if (!rgmd_conn_error_reply(c, NULL, 0, RGM_ERR_BAD_REQUEST, msg))
		return;
	c->state = RGMD_CONN_CLOSING;
	c->deadline = rgmd_clock_ms() + RGMD_CLOSING_MS;
}

static void rgmd_conn_read(struct rgmd_conn *c)
{
	uint8_t buf[16384];
	const uint8_t *p;
	size_t used, off, plen;
	ssize_t n;
	int budget = RGMD_READ_BUDGET, ret;

	c->busy = false;
	while (c->state == RGMD_CONN_OPEN) {
		if (!budget--) {
			/* Level-triggered epoll reports what is left in the
			 * socket, not what GnuTLS already decrypted. */
			c->busy = rgm_tls_conn_pending(c->tls) > 0;
			break;
		}
		n = rgm_tls_conn_recv(c->tls, buf, sizeof(buf));
		if (n == -EAGAIN)
			break;
		if (n == 0) {
			/* A half-closed peer may still read: answer a cut
			 * frame, and flush replies already queued. */
			ret = rgm_frame_dec_eof(&c->dec);
			if (ret) {
				rgmd_conn_bad_frame(c, ret);
			} else if (rgm_frame_out_pending(&c->out)) {
				c->state = RGMD_CONN_CLOSING;
				c->deadline = rgmd_clock_ms() + RGMD_CLOSING_MS;
			} else {
				rgmd_conn_close(c, "peer closed");
				return;
			}
			break;
		}
		if (n < 0) {
			rgmd_conn_close(c, rgm_tls_conn_error(c->tls));
			return;
		}
		for (off = 0; off < (size_t)n && c->state == RGMD_CONN_OPEN; off += used) {
			ret = rgm_frame_dec_feed(&c->dec, buf + off, n - off, &used);
			if (ret < 0) {
				rgmd_conn_bad_frame(c, ret);
				break;
			}
			if (ret == 1) {
				p = rgm_frame_dec_payload(&c->dec, &plen);
				if (!rgmd_conn_request(c, p, plen))
					return;
			}
		}
	}
	if (c->state == RGMD_CONN_OPEN || c->state == RGMD_CONN_CLOSING)
		rgmd_conn_flush(c);
}

static void rgmd_conn_handshake(struct rgmd_conn *c)
{
	const char *peer;
	int ret = rgm_tls_conn_handshake(c->tls);

	if (ret == -EAGAIN) {
		rgmd_conn_set_events(c, rgm_tls_conn_want_write(c->tls) ? EPOLLOUT : EPOLLIN);
		return;
	}
	if (ret) {
		/* Nothing was installed: no request can precede this point. */
		rgmd_counters.handshakes_failed++;
		rgmd_warn("conn %llu %s: handshake refused: %s",
			  (unsigned long long)c->peer.conn_id, c->addr,
			  rgm_tls_conn_error(c->tls));
		rgmd_conn_close(c, NULL);
		return;
	}
	peer = rgm_tls_conn_peer(c->tls);
	c->peer.name = strdup(peer);
	if (!c->peer.name) {
		rgmd_conn_close(c, "out of memory");
		return;
	}
	c->state = RGMD_CONN_OPEN;
	c->authed = true;
	c->deadline = c->callhome ? 0 : rgmd_clock_ms() + c->cs->conf->idle_timeout * 1000ULL;
	rgmd_info("conn %llu %s: authenticated %s (%s)", (unsigned long long)c->peer.conn_id,
		  c->addr, c->peer.name, rgm_tls_conn_desc(c->tls));
	rgmd_conn_set_events(c, EPOLLIN);
	/* Data may have arrived with the last handshake flight. */
	rgmd_conn_read(c);
}

static void rgmd_conn_connected(struct rgmd_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		rgmd_warn("call-home: connect to %s: %s", c->addr, strerror(err ? err : errno));
		rgmd_conn_close(c, NULL);
		return;
	}
	rgmd_dbg("call-home: connected to %s", c->addr);
	if (rgmd_conn_start_tls(c)) {
		rgmd_conn_close(c, "cannot set up TLS");
		return;
	}
	rgmd_conn_handshake(c);
}

void rgmd_conn_io(struct rgmd_conn *c, uint32_t events)
{
	switch (c->state) {
	case RGMD_CONN_CONNECTING:
		rgmd_conn_connected(c);
		break;
	case RGMD_CONN_HANDSHAKE:
		rgmd_conn_handshake(c);
		break;
	case RGMD_CONN_OPEN:
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) || c->busy)
			rgmd_conn_read(c);
		else if (events & EPOLLOUT)
			rgmd_conn_flush(c);
		break;
	case RGMD_CONN_CLOSING:
		if (events & (EPOLLHUP | EPOLLERR))
			rgmd_conn_close(c, "peer went away");
		else
			rgmd_conn_flush(c);
		break;
	case RGMD_CONN_DEAD:
		break;
	}
}

void rgmd_conn_expire(struct rgmd_conn *c)
{
	switch (c->state) {
	case RGMD_CONN_CONNECTING:
		rgmd_warn("call-home: connect to %s timed out", c->addr);
		rgmd_conn_close(c, NULL);
		break;
	case RGMD_CONN_HANDSHAKE:
		rgmd_counters.handshakes_failed++;
		rgmd_warn("conn %llu %s: handshake timeout (%u s): refused",
			  (unsigned long long)c->peer.conn_id, c->addr,
			  c->cs->conf->handshake_timeout);
		rgmd_conn_close(c, NULL);
		break;
	case RGMD_CONN_OPEN:
		rgmd_conn_close(c, "idle timeout");
		break;
	case RGMD_CONN_CLOSING:
		rgmd_conn_close(c, "peer did not read its last reply");
		break;
	case RGMD_CONN_DEAD:
		break;
	}
}

void rgmd_conn_notify(struct rgmd_conn *c, const char *payload, size_t len)
{
	if (c->state != RGMD_CONN_OPEN)
		return;
	if (rgmd_conn_push(c, payload, len))
		rgmd_conn_flush(c);
}
