/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd internals shared by its files: the configuration (conf.c), logging
 * (log.c), the per-connection token bucket (bucket.c), transport error
 * replies (reply.c), connections (conn.c), call-home dialing (callhome.c)
 * and the event loop (loop.c). The protocol itself is the engine's
 * (engine.h); nothing here looks inside a request beyond its "id".
 */
#ifndef RGMD_H
#define RGMD_H

#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <sys/socket.h>

#include "engine.h"
#include "rgm_frame.h"
#include "rgm_log.h"
#include "rgm_policy.h"
#include "rgm_proto.h"
#include "rgm_tls.h"

/* ------------------------------------------------------------ log.c */

extern bool rgmd_debug;
#define rgmd_log rgm_log	/* lib/rgm_log.h */
#define rgmd_err(...)	rgmd_log(LOG_ERR, __VA_ARGS__)
#define rgmd_warn(...)	rgmd_log(LOG_WARNING, __VA_ARGS__)
#define rgmd_info(...)	rgmd_log(LOG_INFO, __VA_ARGS__)
#define rgmd_dbg(...)	do { if (rgmd_debug) rgmd_log(LOG_DEBUG, __VA_ARGS__); } while (0)

/* ------------------------------------------------------------ conf.c */

enum rgmd_mode { RGMD_MODE_CALL_HOME, RGMD_MODE_LISTEN };

#define RGMD_DEFAULT_CONF		"/etc/rgm/rgmd.conf"
#define RGMD_DEFAULT_HANDSHAKE_S	10
#define RGMD_DEFAULT_IDLE_S		300
#define RGMD_DEFAULT_MAX_CONNS		64
#define RGMD_MAX_CONNS_LIMIT		4096
#define RGMD_DEFAULT_RATE		20
#define RGMD_DEFAULT_STATE_DIR		RGMD_STATE_DIR	/* engine.h */

struct rgmd_conf {
	char *path;
	enum rgmd_mode mode;
	char *server;			/* call-home: HOST:PORT */
	char *listen;			/* listen: ADDR:PORT */
	char *cert, *key, *ca, *priority, *gateway_id, *state_dir;
	enum rgm_dp_kind dataplane;	/* default auto */
	char *allow[RGM_TLS_ALLOW_MAX];
	unsigned int n_allow;
	unsigned int handshake_timeout;	/* seconds */
	unsigned int idle_timeout;	/* seconds */
	unsigned int max_connections;
	unsigned int max_frame;		/* bytes */
	unsigned int rate, burst;	/* requests per second, bucket size */
	struct rgm_policy policy;
};

/* Reads and validates the whole file. 0, or -1 with "FILE:LINE: message"
 * (or "FILE: message") in err. */
int rgmd_conf_load(struct rgmd_conf *c, const char *path, char *err, size_t errlen);
void rgmd_conf_free(struct rgmd_conf *c);
/* The TLS options the configuration describes (pointers into c). */
void rgmd_conf_tls_opts(const struct rgmd_conf *c, struct rgm_tls_opts *o);
/* HOST:PORT or [V6]:PORT split into host and port strings. */
int rgmd_split_host_port(const char *s, char *host, size_t hostlen, char *port,
			 size_t portlen);

/* ------------------------------------------------------------ bucket.c */

struct rgmd_bucket {
	double tokens, rate, burst;
	uint64_t last_ms;
};

void rgmd_bucket_setup(struct rgmd_bucket *b, unsigned int rate, unsigned int burst,
		       uint64_t now_ms);
/* Takes one token if there is one. */
bool rgmd_bucket_take(struct rgmd_bucket *b, uint64_t now_ms);

/* ------------------------------------------------------------ reply.c */

/* A transport-level error reply, shaped like the engine's error replies,
 * echoing the request's "id" when it can be read. malloc'd JSON, NULL on
 * allocation failure. */
char *rgmd_reply_error(const uint8_t *req, size_t len, enum rgm_err code, const char *msg,
		       size_t *out_len);

/* ------------------------------------------------------------ loop.c */

uint64_t rgmd_mono_ms(void);

/* What an epoll event belongs to (first member of each owner). */
enum rgmd_ev_kind { RGMD_EV_LISTEN, RGMD_EV_CONN, RGMD_EV_SIGNAL, RGMD_EV_ENGINE };
struct rgmd_ev {
	enum rgmd_ev_kind kind;
};

enum rgmd_conn_state {
	RGMD_CONN_CONNECTING,	/* call-home: TCP connect in progress */
	RGMD_CONN_HANDSHAKE,
	RGMD_CONN_OPEN,		/* authenticated */
	RGMD_CONN_CLOSING,	/* flushing a last reply, then close */
	RGMD_CONN_DEAD,		/* reaped at the end of the loop iteration */
};

struct rgmd;

struct rgmd_conn {
	struct rgmd_ev ev;
	struct rgmd *d;
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

struct rgmd {
	struct rgmd_conf *conf;
	struct rgmd_engine *engine;
	struct rgm_tls *tls;
	int epfd;
	struct rgmd_ev listen_ev, signal_ev, engine_ev;
	int listen_fd, signal_fd;
	uint64_t listen_resume_at;	/* ms: accepts paused after EMFILE */
	struct rgmd_conn *conns;
	unsigned int n_conns;
	uint64_t next_conn_id;
	/* call-home */
	struct rgmd_conn *home;
	uint64_t home_retry_at;	/* ms, 0: no retry pending */
	unsigned int home_backoff_ms;
	bool stop;
};

int rgmd_setup(struct rgmd *d, struct rgmd_conf *conf, struct rgmd_engine *engine,
	       struct rgm_tls *tls);
void rgmd_teardown(struct rgmd *d);
/* Runs until SIGTERM/SIGINT. 0 on a clean stop. */
int rgmd_run(struct rgmd *d);
/* SIGHUP: rgmd.conf again; a bad file is refused and the old kept. */
void rgmd_reload(struct rgmd *d);

/* ------------------------------------------------------------ conn.c */

struct rgmd_conn *rgmd_conn_new(struct rgmd *d, int fd, bool callhome, const char *addr);
/* Starts the TLS handshake (accepted socket or connected call-home). */
int rgmd_conn_start_tls(struct rgmd_conn *c);
void rgmd_conn_io(struct rgmd_conn *c, uint32_t events);
/* Deadline passed. */
void rgmd_conn_expire(struct rgmd_conn *c);
/* Queues a notification frame; drops the peer if it is not reading. */
void rgmd_conn_notify(struct rgmd_conn *c, const char *payload, size_t len);
/* Marks it dead (the loop reaps it) and tells the engine if it knew it. */
void rgmd_conn_close(struct rgmd_conn *c, const char *why);
void rgmd_conn_free(struct rgmd_conn *c);
int rgmd_conn_set_events(struct rgmd_conn *c, uint32_t events);

/* ------------------------------------------------------------ callhome.c */

/* Dials the server now if no session is up; called by the loop when the
 * retry time has come. */
void rgmd_home_dial(struct rgmd *d);
/* The call-home session ended: schedule the next attempt. */
void rgmd_home_lost(struct rgmd *d, bool was_authed);

#endif /* RGMD_H */
