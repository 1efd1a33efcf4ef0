/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Peer connections (conn.c): TLS, frames, the engine's replies, deadlines
 * and limits. The loop drives them: rgmd_conn_io() on readiness,
 * rgmd_conn_expire() on deadlines, rgmd_conn_free() once they are dead.
 */
#ifndef RGMD_CONN_H
#define RGMD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bucket.h"
#include "engine.h"
#include "ev.h"
#include "rgm_frame.h"

struct rgm_tls;
struct rgm_tls_conn;
struct rgmd_conf;

/*
 * The daemon's connections and what they share. The loop owns it and swaps
 * conf and tls on reload: connections read their limits from conf as they
 * go, and a TLS session starts with the tls of the moment.
 */
struct rgmd_conns {
	int epfd;
	struct rgmd_conf *conf;
	struct rgm_tls *tls;
	struct rgmd_engine *engine;
	struct rgmd_conn *head;
	unsigned int n;
	uint64_t next_id;	/* connection ids are never reused */
};

enum rgmd_conn_state {
	RGMD_CONN_CONNECTING,	/* call-home: TCP connect in progress */
	RGMD_CONN_HANDSHAKE,
	RGMD_CONN_OPEN,		/* authenticated */
	RGMD_CONN_CLOSING,	/* flushing a last reply, then close */
	RGMD_CONN_DEAD,		/* reaped at the end of the loop iteration */
};

struct rgmd_conn {
	struct rgmd_ev ev;
	struct rgmd_conns *cs;
	struct rgmd_conn *prev, *next;
	int fd;
	enum rgmd_conn_state state;
	bool callhome;
	bool authed;		/* the engine knows this peer */
	bool busy;		/* read budget ran out with input left */
	uint32_t events;	/* current epoll mask */
	uint64_t deadline;	/* ms: handshake, idle or closing limit; 0 none */
	struct rgm_tls_conn *tls;
	struct rgm_frame_dec dec;
	struct rgm_frame_out out;
	size_t inflight;	/* bytes of the last -EAGAIN send, resent as is */
	struct rgmd_bucket bucket;
	struct rgmd_peer peer;
	char addr[64];		/* remote address, for logs */
	uint64_t nreq;
};

/* A new connection on fd (accepted, or call-home's connecting socket),
 * added to cs and to its epoll set. */
struct rgmd_conn *rgmd_conn_new(struct rgmd_conns *cs, int fd, bool callhome,
				const char *addr);
/* Starts the TLS handshake (accepted socket or connected call-home). */
int rgmd_conn_start_tls(struct rgmd_conn *c);
void rgmd_conn_io(struct rgmd_conn *c, uint32_t events);
/* Deadline passed. */
void rgmd_conn_expire(struct rgmd_conn *c);
/* Queues a notification frame; drops the peer if it is not reading. */
void rgmd_conn_notify(struct rgmd_conn *c, const char *payload, size_t len);
/* Marks it dead and tells the engine if it knew it. The loop reaps it, and
 * tells call-home when it was the call-home session. */
void rgmd_conn_close(struct rgmd_conn *c, const char *why);
/* Takes it out of its set and frees it. */
void rgmd_conn_free(struct rgmd_conn *c);

#endif /* RGMD_CONN_H */
