// SPDX-License-Identifier: GPL-2.0
/*
 * One link per gateway: a thread that owns the TLS connection to the
 * gateway's rgmd, and callers that submit requests and sleep until the
 * reply (link.h).
 *
 * The thread writes requests in submission order and rgmd answers in that
 * order, so replies are matched to the oldest unanswered request (and
 * checked against its id). A caller that gives up at its deadline leaves
 * its request behind: the thread drops the reply when it comes. Losing the
 * connection fails every request on it; the next call dials again.
 *
 * Lock order: links table, then a link. Hooks into the service (expired,
 * seen_addr) and the audit are called with no lock held.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "confserver.h"
#include "link.h"
#include "rgm_frame.h"
#include "rgm_proto.h"
#include "rgm_tls.h"

#define CS_LINK_READ_BUDGET	32	/* TLS records per wakeup */
#define CS_LINK_SEND_CHUNK	16384
#define CS_LINK_OUT_LIMIT	(8 * (RGM_FRAME_HDR + RGM_FRAME_MAX))
#define CS_LINK_JSON_DEPTH	16
#define CS_LINK_RELEASES	1024	/* query-first releases remembered */
/* A link thread's stack, instead of glibc's 8 MB default (RLIMIT_STACK):
 * its deepest calls are a GnuTLS handshake, getaddrinfo() for a dial and
 * the service's hooks into SQLite, a few tens of KB (performance.rst,
 * "Fleet"); 256 KB leaves a wide margin. Only touched pages are resident. */
#define CS_LINK_STACK		(256 * 1024)

enum cs_link_state {
	CS_LINK_IDLE,		/* no connection */
	CS_LINK_CONNECTING,	/* the thread resolves, connects, shakes hands */
	CS_LINK_HELLO,		/* hello sent, its reply awaited */
	CS_LINK_READY,
};

enum cs_req_state {
	CS_REQ_QUEUED,		/* submitted, not in the stream yet */
	CS_REQ_SENT,		/* in the stream: its reply will come in order */
	CS_REQ_DONE,		/* reply or failure recorded */
};

struct cs_req {
	struct cs_req *next;
	uint32_t id;
	char *text;			/* as sent, "v" and "id" included */
	size_t len;
	int64_t deadline;
	bool hello;			/* the link's own */
	bool abandoned;			/* the caller left: the thread frees it */
	enum cs_req_state state;
	enum cs_fail fail;		/* CS_OK: reply and obj are set */
	char *reply;
	struct json_object *obj;
	char why[256];
};

struct cs_reqq {
	struct cs_req *head, *tail;
	unsigned int n;
};

/* 24 KB: allocated only when the link's first negotiation needs it, so an
 * idle gateway (most of a fleet) does not pay for it. */
struct cs_link_ports {
	uint8_t claimed[2][65536 / 8];
	struct cs_link_release {
		uint64_t seq;
		uint16_t port;
		uint8_t tcp, span;
	} rel[CS_LINK_RELEASES];
};

struct cs_link {
	struct cs_links *tab;
	int refs;			/* atomic */
	struct rgm_db_gateway gw;	/* the registration this link was made for */
	struct rgm_tls *tls;		/* listen mode: pinned to gw.pin */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* replies, state changes */
	int wake;			/* eventfd: callers -> thread */

	/* under lock */
	bool stop;
	enum cs_link_state state;
	unsigned int waiters;		/* callers waiting for the link to be ready */
	bool dial;			/* a caller wants a connection (listen mode) */
	struct cs_reqq queue, sent;
	uint32_t next_id;
	struct cs_link_info info;
	unsigned long long attempts;	/* connection attempts that ended */
	enum cs_fail conn_fail;		/* how the last one ended */
	char conn_why[256];
	char *hello_cmd, *hello_res;	/* hello and its result, not audited yet */
	int attach_fd;			/* call-home connection handed over, -1 */
	struct rgm_tls_conn *attach_tls;
	char attach_addr[64];
	uint32_t cursor;
	int64_t last_use;
	/* Ports this server picked for negotiations in flight (query-first):
	 * a bit per port, [0] UDP, [1] TCP, so concurrent sessions do not
	 * pick the same free port from their queries; and the last releases,
	 * numbered, as an answer to a query sent before one may still list
	 * its ports as free. */
	struct cs_link_ports *ports;	/* allocated by the first claim */
	unsigned int n_claimed[2];
	uint64_t rel_seq;		/* of the newest; rel[seq % N] */

	/* the thread's */
	int fd;
	struct rgm_tls_conn *conn;
	char peer_addr[64];
	struct rgm_frame_dec dec;
	struct rgm_frame_out out;
	size_t send_len;		/* retried with the same length after -EAGAIN */
	int64_t hello_deadline;
	struct cs_req *hello_req;
};

struct cs_links {
	struct cs_driver_env env;
	pthread_attr_t attr;		/* the links' threads: CS_LINK_STACK */
	pthread_mutex_t lock;
	struct cs_link **v;
	size_t n, cap;
};

static void cs_reqq_push(struct cs_reqq *q, struct cs_req *r)
{
	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
}

static struct cs_req *cs_reqq_pop(struct cs_reqq *q)
{
	struct cs_req *r = q->head;

	if (!r)
		return NULL;
	q->head = r->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	r->next = NULL;
	return r;
}

static bool cs_reqq_remove(struct cs_reqq *q, struct cs_req *r)
{
	struct cs_req **pp, *prev = NULL;

	for (pp = &q->head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != r)
			continue;
		*pp = r->next;
		if (q->tail == r)
			q->tail = prev;
		q->n--;
		r->next = NULL;
		return true;
	}
	return false;
}

static void cs_req_free(struct cs_req *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->reply);
	json_object_put(r->obj);
	free(r);
}

static void cs_link_wake(struct cs_link *l)
{
	uint64_t one = 1;

	/* A full counter already wakes the thread. */
	if (write(l->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		cs_log(CS_LOG_WARN, "gateway %s: cannot wake its link: %m", l->gw.id);
}

static void cs_link_drain(struct cs_link *l)
{
	uint64_t n;

	/* one read resets the counter (no EFD_SEMAPHORE) */
	if (read(l->wake, &n, sizeof(n)) < 0 && errno != EAGAIN)
		cs_log(CS_LOG_WARN, "gateway %s: cannot read its wake counter: %m", l->gw.id);
}

static bool cs_link_stopping(struct cs_link *l)
{
	return __atomic_load_n(&l->stop, __ATOMIC_ACQUIRE);
}

static void cs_ms_to_ts(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000;
}

/* Waits on the link's condition until woken or deadline (CLOCK_MONOTONIC). */
static void cs_link_wait(struct cs_link *l, int64_t deadline)
{
	struct timespec ts;

	cs_ms_to_ts(deadline, &ts);
	pthread_cond_timedwait(&l->cond, &l->lock, &ts);
}

/* ------------------------------------------------------------ connection */

/* Waits until fd is ready for events, or deadline: 0, -ETIMEDOUT, or
 * -ECANCELED when the link is being stopped. Called without the lock. */
static int cs_link_wait_fd(struct cs_link *l, int fd, short events, int64_t deadline)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = l->wake, .events = POLLIN },
	};
	int64_t now;
	int n;

	for (;;) {
		if (cs_link_stopping(l))
			return -ECANCELED;
		now = cs_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(p, 2, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && p[1].revents)
			cs_link_drain(l);	/* callers queueing: not for us yet */
		if (n > 0 && p[0].revents)
			return 0;
	}
}

struct cs_resolve {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256], port[16];
};

/* getaddrinfo under the deadline: a name is resolved asynchronously
 * (getaddrinfo_a) so that a dead resolver costs at most the deadline. */
static int cs_link_resolve(struct cs_link *l, const char *host, const char *port,
			   int64_t deadline, struct addrinfo **res, char *why, size_t wlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct gaicb *list[1];
	struct cs_resolve *r;
	struct timespec ts;
	int64_t now;
	int ret;

	if (!getaddrinfo(host, port, &hints, res))
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(why, wlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->port, sizeof(r->port), "%s", port);
	r->hints.ai_socktype = SOCK_STREAM;
	r->hints.ai_flags = AI_NUMERICSERV;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	ret = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (ret) {
		snprintf(why, wlen, "cannot resolve %.100s: %s", host, gai_strerror(ret));
		free(r);
		return -EHOSTUNREACH;
	}
	while ((ret = gai_error(&r->cb)) == EAI_INPROGRESS) {
		now = cs_now_ms();
		if (now >= deadline || cs_link_stopping(l))
			break;
		ts.tv_sec = (deadline - now) / 1000;
		ts.tv_nsec = ((deadline - now) % 1000) * 1000000;
		gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (ret == EAI_INPROGRESS) {
		/* The request still uses r: cancel it, or wait for the
		 * resolver's own timeout when it cannot be cancelled. */
		if (gai_cancel(&r->cb) == EAI_NOTCANCELED)
			while (gai_error(&r->cb) == EAI_INPROGRESS)
				gai_suspend((const struct gaicb *const *)list, 1, NULL);
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
		snprintf(why, wlen, "cannot resolve %.100s within the connect timeout", host);
		free(r);
		return -ETIMEDOUT;
	}
	if (ret) {
		snprintf(why, wlen, "cannot resolve %.100s: %s", host, gai_strerror(ret));
		free(r);
		return -EHOSTUNREACH;
	}
	*res = r->cb.ar_result;
	free(r);
	return 0;
}

int cs_split_endpoint(const char *ep, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(ep, ':');
	size_t n;

	if (!colon || colon == ep || strlen(colon + 1) >= plen || !colon[1])
		return -EINVAL;
	n = colon - ep;
	if (ep[0] == '[' && colon[-1] == ']') {
		ep++;
		n -= 2;
	}
	if (!n || n >= hlen)
		return -EINVAL;
	memcpy(host, ep, n);
	host[n] = 0;
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

/* TCP keepalive: a dead path is noticed even while nobody asks anything. */
static void cs_link_keepalive(int fd)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;
	unsigned int user_timeout = 60000;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Dials the gateway and shakes hands, without the lock. 0 with *fdp and
 * *cp, or -1 with *fail and why. */
static int cs_link_connect(struct cs_link *l, int *fdp, struct rgm_tls_conn **cp,
			   enum cs_fail *fail, char *why, size_t wlen)
{
	const struct cs_driver_env *env = &l->tab->env;
	int64_t deadline = cs_now_ms() + env->connect_timeout_ms;
	struct addrinfo *res = NULL, *ai;
	struct rgm_tls_conn *c = NULL;
	char host[256], port[16];
	int fd = -1, err = 0, ret;
	socklen_t elen;

	*fail = CS_FAIL_UNREACHABLE;
	if (cs_split_endpoint(l->gw.endpoint, host, sizeof(host), port, sizeof(port))) {
		snprintf(why, wlen, "gateway %s: bad endpoint '%.100s'", l->gw.id, l->gw.endpoint);
		return -1;
	}
	ret = cs_link_resolve(l, host, port, deadline, &res, why, wlen);
	if (ret) {
		char tmp[160];

		snprintf(tmp, sizeof(tmp), "%.159s", why);
		snprintf(why, wlen, "gateway %s: %.160s", l->gw.id, tmp);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		if (err == EINPROGRESS) {
			ret = cs_link_wait_fd(l, fd, POLLOUT, deadline);
			elen = sizeof(err);
			if (!ret && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) && !err)
				break;
			if (ret)
				err = -ret;
		}
		close(fd);
		fd = -1;
		if (err == ETIMEDOUT || err == ECANCELED)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (err == ETIMEDOUT)
			snprintf(why, wlen, "gateway %s at %.64s: no TCP connection within %u ms",
				 l->gw.id, l->gw.endpoint, env->connect_timeout_ms);
		else
			snprintf(why, wlen, "gateway %s at %.64s: cannot connect: %.80s", l->gw.id,
				 l->gw.endpoint, strerror(err ? err : ECONNREFUSED));
		return -1;
	}
	cs_link_keepalive(fd);

	if (rgm_tls_conn_new(l->tls, false, fd, &c)) {
		snprintf(why, wlen, "gateway %s: out of memory", l->gw.id);
		*fail = CS_FAIL_INTERNAL;
		close(fd);
		return -1;
	}
	while ((ret = rgm_tls_conn_handshake(c)) == -EAGAIN) {
		ret = cs_link_wait_fd(l, fd, rgm_tls_conn_want_write(c) ? POLLOUT : POLLIN,
				      deadline);
		if (ret)
			break;
	}
	if (ret) {
		const char *seen = rgm_tls_conn_peer_pin(c);

		cs_metrics_handshake_failed(CS_HS_DIAL);
		if (ret == -ETIMEDOUT || ret == -ECANCELED) {
			snprintf(why, wlen, "gateway %s at %.64s: no TLS handshake within %u ms",
				 l->gw.id, l->gw.endpoint, env->connect_timeout_ms);
		} else if (rgm_tls_conn_refused(c) && seen && strcmp(seen, l->gw.pin)) {
			*fail = CS_FAIL_UNTRUSTED;
			snprintf(why, wlen, "gateway %s at %.64s presented %s, expected %s",
				 l->gw.id, l->gw.endpoint, seen, l->gw.pin);
		} else if (rgm_tls_conn_refused(c)) {
			*fail = CS_FAIL_UNTRUSTED;
			snprintf(why, wlen, "gateway %s at %.64s: certificate refused: %.80s",
				 l->gw.id, l->gw.endpoint, rgm_tls_conn_error(c));
		} else {
			snprintf(why, wlen, "gateway %s at %.64s: TLS handshake failed: %.80s",
				 l->gw.id, l->gw.endpoint, rgm_tls_conn_error(c));
		}
		rgm_tls_conn_free(c);
		close(fd);
		return -1;
	}
	*fdp = fd;
	*cp = c;
	return 0;
}

/* Fails every request of the connection and closes it. Lock held. */
static void cs_link_lost(struct cs_link *l, enum cs_fail fail, bool quiet, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void cs_link_lost(struct cs_link *l, enum cs_fail fail, bool quiet, const char *fmt, ...)
{
	struct cs_reqq *qs[2] = { &l->sent, &l->queue };
	bool was_hello = l->state == CS_LINK_HELLO;
	struct cs_req *r;
	char why[256];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);

	for (i = 0; i < 2; i++) {
		while ((r = cs_reqq_pop(qs[i]))) {
			if (r->hello || r->abandoned) {
				cs_req_free(r);
				continue;
			}
			r->state = CS_REQ_DONE;
			r->fail = fail;
			snprintf(r->why, sizeof(r->why), "%s", why);
		}
	}
	if (was_hello && l->hello_cmd && !l->hello_res) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(why));
		l->hello_res = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	l->hello_req = NULL;
	if (l->conn) {
		/* One try at close_notify; the socket is closed regardless. */
		if (quiet)
			rgm_tls_conn_bye(l->conn);
		rgm_tls_conn_free(l->conn);
		l->conn = NULL;
	}
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
		rgm_frame_dec_teardown(&l->dec);
		rgm_frame_out_teardown(&l->out);
	}
	if (l->state == CS_LINK_HELLO || l->state == CS_LINK_CONNECTING) {
		l->attempts++;
		l->conn_fail = fail;
		snprintf(l->conn_why, sizeof(l->conn_why), "%s", why);
	}
	l->state = CS_LINK_IDLE;
	l->info.connected = false;
	snprintf(l->info.last_error, sizeof(l->info.last_error), "%s", why);
	pthread_cond_broadcast(&l->cond);
	cs_log(quiet ? CS_LOG_INFO : CS_LOG_WARN, "%s", why);
}

/* A connection is up (dialled or adopted): say hello first. Lock held. */
static void cs_link_start(struct cs_link *l, int fd, struct rgm_tls_conn *c, const char *addr)
{
	struct cs_req *r;
	char text[96];
	int len;

	l->fd = fd;
	l->conn = c;
	l->send_len = 0;
	snprintf(l->peer_addr, sizeof(l->peer_addr), "%s", addr);
	rgm_frame_dec_setup(&l->dec, RGM_FRAME_MAX);
	rgm_frame_out_setup(&l->out, CS_LINK_OUT_LIMIT);
	l->state = CS_LINK_HELLO;
	l->hello_deadline = cs_now_ms() + l->tab->env.connect_timeout_ms;

	r = calloc(1, sizeof(*r));
	len = snprintf(text, sizeof(text), "{\"v\":1,\"id\":%u,\"op\":\"hello\",\"versions\":[1]}",
		       l->next_id);
	if (!r || !(r->text = strdup(text)) ||
	    rgm_frame_out_push(&l->out, text, len, RGM_FRAME_MAX)) {
		cs_req_free(r);
		cs_link_lost(l, CS_FAIL_INTERNAL, false, "gateway %s: out of memory", l->gw.id);
		return;
	}
	r->id = l->next_id++;
	r->hello = true;
	r->state = CS_REQ_SENT;
	r->len = len;
	cs_reqq_push(&l->sent, r);
	l->hello_req = r;
	free(l->hello_cmd);
	free(l->hello_res);
	l->hello_cmd = strdup(text);
	l->hello_res = NULL;
}

/* Lock held, state IDLE, listen mode. */
static void cs_link_dial(struct cs_link *l)
{
	struct rgm_tls_conn *c = NULL;
	enum cs_fail fail;
	char why[256];
	int fd = -1, ret;

	l->state = CS_LINK_CONNECTING;
	pthread_mutex_unlock(&l->lock);
	ret = cs_link_connect(l, &fd, &c, &fail, why, sizeof(why));
	pthread_mutex_lock(&l->lock);
	if (ret) {
		cs_link_lost(l, fail, false, "%s", why);
		return;
	}
	if (l->stop) {
		rgm_tls_conn_free(c);
		close(fd);
		l->state = CS_LINK_IDLE;
		return;
	}
	cs_link_start(l, fd, c, l->gw.endpoint);
}

/* Lock held: a call-home connection was handed over. */
static void cs_link_adopt(struct cs_link *l)
{
	int fd = l->attach_fd;
	struct rgm_tls_conn *c = l->attach_tls;
	char addr[64];

	snprintf(addr, sizeof(addr), "%s", l->attach_addr);
	l->attach_fd = -1;
	l->attach_tls = NULL;
	if (l->state != CS_LINK_IDLE)
		cs_link_lost(l, CS_FAIL_UNREACHABLE, false,
			     "gateway %s called home again from %s: the older connection is closed",
			     l->gw.id, addr);
	cs_log(CS_LOG_INFO, "gateway %s called home from %s", l->gw.id, addr);
	cs_link_start(l, fd, c, addr);
}

/* ------------------------------------------------------------ replies */

static int cs_link_hello_reply(struct cs_link *l, struct json_object *o, const char *text)
{
	struct json_object *v, *a, *e;
	struct cs_link_info n;
	const char *s;
	bool v1 = false;
	size_t i;
	int64_t x;
	struct in_addr seen[CS_LINK_ADDRS_MAX];
	unsigned int n_seen;
	char epoch[17];

	free(l->hello_res);
	l->hello_res = strdup(text);
	memset(&n, 0, sizeof(n));
	if (!json_object_object_get_ex(o, "ok", &v) || !json_object_get_boolean(v)) {
		const char *code, *msg;

		rgm_proto_error_read(o, &code, &msg);
		cs_link_lost(l, CS_FAIL_REFUSED, false, "gateway %s refused hello: %s: %.120s",
			     l->gw.id, code, msg);
		return -1;
	}
	if (json_object_object_get_ex(o, "versions", &a) && json_object_is_type(a, json_type_array))
		for (i = 0; i < json_object_array_length(a); i++) {
			v = json_object_array_get_idx(a, i);
			if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 1)
				v1 = true;
		}
	if (!v1) {
		cs_link_lost(l, CS_FAIL_REFUSED, false,
			     "gateway %s does not speak protocol version 1 (hello 'versions')",
			     l->gw.id);
		return -1;
	}
	if (!json_object_object_get_ex(o, "epoch", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(s = json_object_get_string(v)) != 16 || strspn(s, "0123456789abcdef") != 16) {
		cs_link_lost(l, CS_FAIL_REFUSED, false,
			     "gateway %s: hello 'epoch' is not 16 hex digits", l->gw.id);
		return -1;
	}
	snprintf(n.epoch, sizeof(n.epoch), "%s", s);
	if (!json_object_object_get_ex(o, "global_addrs", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		cs_link_lost(l, CS_FAIL_REFUSED, false,
			     "gateway %s: hello 'global_addrs' is not an array", l->gw.id);
		return -1;
	}
	for (i = 0; i < json_object_array_length(a) && n.n_addrs < CS_LINK_ADDRS_MAX; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string) ||
		    inet_pton(AF_INET, json_object_get_string(v), &n.addrs[n.n_addrs]) != 1) {
			cs_link_lost(l, CS_FAIL_REFUSED, false,
				     "gateway %s: hello 'global_addrs[%zu]' is not an address",
				     l->gw.id, i);
			return -1;
		}
		n.n_addrs++;
	}
	if (json_object_object_get_ex(o, "ports", &v) && json_object_is_type(v, json_type_object)) {
		int64_t lo = -1, hi = -1;

		if (json_object_object_get_ex(v, "min", &e) &&
		    json_object_is_type(e, json_type_int))
			lo = json_object_get_int64(e);
		if (json_object_object_get_ex(v, "max", &e) &&
		    json_object_is_type(e, json_type_int))
			hi = json_object_get_int64(e);
		if (lo < 1 || hi > 65535 || lo > hi) {
			cs_link_lost(l, CS_FAIL_REFUSED, false,
				     "gateway %s: hello 'ports' is not a port range", l->gw.id);
			return -1;
		}
		n.has_ports = true;
		n.port_min = lo;
		n.port_max = hi;
	}
	if (json_object_object_get_ex(o, "lease_max", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    (x = json_object_get_int64(v)) > 0 && x <= UINT32_MAX)
		n.lease_max = x;

	n.connected = true;
	n.handshakes = l->info.handshakes + 1;
	n.last_contact = l->info.last_contact;	/* set by cs_link_frame */
	l->info = n;
	l->state = CS_LINK_READY;
	l->attempts++;
	l->last_use = cs_now_ms();
	pthread_cond_broadcast(&l->cond);
	cs_log(CS_LOG_INFO, "gateway %s: connected (%s, %s), epoch %s", l->gw.id, l->peer_addr,
	       rgm_tls_conn_desc(l->conn), n.epoch);

	memcpy(seen, n.addrs, sizeof(seen));
	n_seen = n.n_addrs;
	snprintf(epoch, sizeof(epoch), "%s", n.epoch);
	if (l->tab->env.seen_addr || l->tab->env.epoch) {
		const struct cs_driver_env *env = &l->tab->env;
		char id[sizeof(l->gw.id)];

		snprintf(id, sizeof(id), "%s", l->gw.id);
		pthread_mutex_unlock(&l->lock);
		for (i = 0; env->seen_addr && i < n_seen; i++)
			env->seen_addr(env->priv, id, seen[i]);
		if (env->epoch)
			env->epoch(env->priv, id, epoch);
		pthread_mutex_lock(&l->lock);
	}
	return 0;
}

static void cs_link_event(struct cs_link *l, struct json_object *o)
{
	const struct cs_driver_env *env = &l->tab->env;
	struct json_object *v;
	char id[sizeof(l->gw.id)], session[RGM_API_SESSION_MAX + 1];
	const char *ev;

	json_object_object_get_ex(o, "event", &v);
	ev = json_object_get_string(v);
	if (!ev || strcmp(ev, "expired")) {
		cs_log(CS_LOG_DEBUG, "gateway %s: ignoring event %.40s", l->gw.id,
		       ev ? ev : "(not a string)");
		return;
	}
	if (!json_object_object_get_ex(o, "session", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) > RGM_API_SESSION_MAX) {
		/* An adopted session nobody claimed: not one of ours by name. */
		cs_log(CS_LOG_INFO, "gateway %s: mappings of an unclaimed session expired",
		       l->gw.id);
		return;
	}
	snprintf(session, sizeof(session), "%s", json_object_get_string(v));
	snprintf(id, sizeof(id), "%s", l->gw.id);
	cs_log(CS_LOG_INFO, "gateway %s: session %s expired", id, session);
	if (!env->expired)
		return;
	pthread_mutex_unlock(&l->lock);
	env->expired(env->priv, id, session);
	pthread_mutex_lock(&l->lock);
}

/* One frame from the gateway. 0, or -1 after cs_link_lost(). Lock held. */
static int cs_link_frame(struct cs_link *l, const uint8_t *p, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o, *v;
	struct cs_req *r = NULL;
	char *text;
	int ret = 0;

	if (memchr(p, 0, len)) {
		cs_link_lost(l, CS_FAIL_REFUSED, false, "gateway %s sent a NUL byte", l->gw.id);
		return -1;
	}
	text = strndup((const char *)p, len);
	tok = json_tokener_new_ex(CS_LINK_JSON_DEPTH);
	if (!text || !tok) {
		free(text);
		json_tokener_free(tok);
		cs_link_lost(l, CS_FAIL_INTERNAL, false, "gateway %s: out of memory", l->gw.id);
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		json_tokener_free(tok);
		free(text);
		cs_link_lost(l, CS_FAIL_REFUSED, false,
			     "gateway %s sent a frame that is not a JSON object", l->gw.id);
		return -1;
	}
	json_tokener_free(tok);

	if (json_object_object_get_ex(o, "event", NULL) &&
	    !json_object_object_get_ex(o, "id", NULL)) {
		l->info.last_contact = time(NULL);
		cs_link_event(l, o);
		goto out;
	}
	if (!json_object_object_get_ex(o, "id", &v)) {
		cs_link_lost(l, CS_FAIL_REFUSED, false,
			     "gateway %s sent a message that is neither a reply nor an event",
			     l->gw.id);
		ret = -1;
		goto out;
	}
	if (json_object_is_type(v, json_type_null)) {
		/* An error about something it could not read: ours in order. */
		r = l->sent.head;
	} else if (json_object_is_type(v, json_type_int)) {
		int64_t id = json_object_get_int64(v);

		for (r = l->sent.head; r && (int64_t)r->id != id; r = r->next)
			;
		if (r && r != l->sent.head)
			cs_log(CS_LOG_WARN, "gateway %s answered request %u out of order",
			       l->gw.id, r->id);
	}
	if (!r) {
		cs_log(CS_LOG_WARN, "gateway %s: reply to no request of ours: %.80s", l->gw.id,
		       text);
		goto out;
	}
	cs_reqq_remove(&l->sent, r);
	l->last_use = cs_now_ms();
	/* A reply to one of our requests, late or an error reply included:
	 * the gateway is there and answering (the console's last contact). */
	l->info.last_contact = time(NULL);
	if (r->hello) {
		cs_req_free(r);
		l->hello_req = NULL;
		ret = cs_link_hello_reply(l, o, text);
		goto out;
	}
	if (r->abandoned) {
		cs_log(CS_LOG_DEBUG, "gateway %s: late reply to request %u dropped", l->gw.id,
		       r->id);
		cs_req_free(r);
		goto out;
	}
	r->state = CS_REQ_DONE;
	r->fail = CS_OK;
	r->reply = text;
	r->obj = o;
	pthread_cond_broadcast(&l->cond);
	return 0;
out:
	json_object_put(o);
	free(text);
	return ret;
}

/* ------------------------------------------------------------ the thread */

/* Moves submitted requests into the output stream while it has room. */
static void cs_link_flush_queue(struct cs_link *l)
{
	struct cs_req *r;

	while ((r = l->queue.head)) {
		if (rgm_frame_out_push(&l->out, r->text, r->len, RGM_FRAME_MAX))
			return;	/* full: the rest waits for the socket */
		cs_reqq_pop(&l->queue);
		r->state = CS_REQ_SENT;
		cs_reqq_push(&l->sent, r);
	}
}

static int cs_link_write(struct cs_link *l)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	while ((p = rgm_frame_out_peek(&l->out, &len)) && len) {
		if (!l->send_len)
			l->send_len = len < CS_LINK_SEND_CHUNK ? len : CS_LINK_SEND_CHUNK;
		n = rgm_tls_conn_send(l->conn, p, l->send_len);
		if (n == -EAGAIN)
			return 0;
		l->send_len = 0;
		if (n < 0) {
			cs_link_lost(l, CS_FAIL_UNREACHABLE, false,
				     "gateway %s: connection lost while sending%s: %s", l->gw.id,
				     l->state == CS_LINK_HELLO ?
				     " hello (is our certificate on its allow list?)" : "",
				     rgm_tls_conn_error(l->conn));
			return -1;
		}
		rgm_frame_out_consume(&l->out, n);
	}
	return 0;
}

static int cs_link_read(struct cs_link *l)
{
	uint8_t buf[16384];
	const uint8_t *p;
	size_t off, used, plen;
	int budget = CS_LINK_READ_BUDGET, ret;
	ssize_t n;

	while (budget-- && l->conn) {
		n = rgm_tls_conn_recv(l->conn, buf, sizeof(buf));
		if (n == -EAGAIN)
			return 0;
		if (n <= 0 && l->state == CS_LINK_HELLO) {
			/* TLS 1.3: rgmd checks our certificate after our side
			 * of the handshake is done, and refuses it here. */
			cs_link_lost(l, CS_FAIL_UNREACHABLE, false,
				     "gateway %s closed the connection before hello (%.80s): "
				     "is our certificate on its allow list?", l->gw.id,
				     n ? rgm_tls_conn_error(l->conn) : "clean close");
			return -1;
		}
		if (n == 0) {
			/* rgmd's own idle timeout, when nothing was pending */
			cs_link_lost(l, CS_FAIL_UNREACHABLE, !l->sent.n && !l->queue.n,
				     "gateway %s closed the connection", l->gw.id);
			return -1;
		}
		if (n < 0) {
			cs_link_lost(l, CS_FAIL_UNREACHABLE, false,
				     "gateway %s: connection lost: %s", l->gw.id,
				     rgm_tls_conn_error(l->conn));
			return -1;
		}
		for (off = 0; off < (size_t)n && l->conn; off += used) {
			ret = rgm_frame_dec_feed(&l->dec, buf + off, n - off, &used);
			if (ret < 0) {
				cs_link_lost(l, CS_FAIL_REFUSED, false, "gateway %s: %s", l->gw.id,
					     rgm_frame_strerror(ret));
				return -1;
			}
			if (ret == 1) {
				p = rgm_frame_dec_payload(&l->dec, &plen);
				if (cs_link_frame(l, p, plen))
					return -1;
			}
		}
	}
	return 0;
}

static bool cs_link_idle(struct cs_link *l)
{
	return l->state == CS_LINK_READY && l->gw.mode == RGM_GW_LISTEN && !l->queue.n &&
	       !l->sent.n && !l->waiters;
}

/* One round of the connection's poll loop. Lock held. */
static void cs_link_serve(struct cs_link *l)
{
	const struct cs_driver_env *env = &l->tab->env;
	int64_t now = cs_now_ms(), until = INT64_MAX;
	struct pollfd p[2];
	int timeout, n;

	/* behind the hello too: rgmd answers in order, the hello first */
	if (l->state == CS_LINK_READY || l->state == CS_LINK_HELLO)
		cs_link_flush_queue(l);
	if (l->state == CS_LINK_HELLO)
		until = l->hello_deadline;
	else if (cs_link_idle(l))
		until = l->last_use + env->idle_timeout_ms;
	/* A request nobody waits for any more, still unanswered well past
	 * its deadline: the gateway stopped answering (and, answering in
	 * order, will answer nothing behind it either). */
	if (l->sent.head && l->sent.head->abandoned &&
	    l->sent.head->deadline + env->connect_timeout_ms < until)
		until = l->sent.head->deadline + env->connect_timeout_ms;

	if (now >= until) {
		if (l->state == CS_LINK_HELLO)
			cs_link_lost(l, CS_FAIL_TIMEOUT, false,
				     "gateway %s did not answer hello within %u ms", l->gw.id,
				     env->connect_timeout_ms);
		else if (cs_link_idle(l))
			cs_link_lost(l, CS_FAIL_UNREACHABLE, true,
				     "gateway %s: connection idle for %u ms, closed", l->gw.id,
				     env->idle_timeout_ms);
		else
			cs_link_lost(l, CS_FAIL_TIMEOUT, false,
				     "gateway %s stopped answering (request %u unanswered)",
				     l->gw.id, l->sent.head->id);
		return;
	}
	timeout = until == INT64_MAX ? -1 : (int)(until - now);
	if (rgm_tls_conn_pending(l->conn))
		timeout = 0;

	p[0].fd = l->fd;
	p[0].events = POLLIN;
	if (rgm_frame_out_pending(&l->out) || l->send_len)
		p[0].events |= POLLOUT;
	p[1].fd = l->wake;
	p[1].events = POLLIN;
	pthread_mutex_unlock(&l->lock);
	n = poll(p, 2, timeout);
	pthread_mutex_lock(&l->lock);
	if (n < 0)
		return;
	if (p[1].revents)
		cs_link_drain(l);
	if (l->stop || l->attach_fd >= 0)
		return;
	if (cs_link_write(l))
		return;
	if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) || rgm_tls_conn_pending(l->conn))
		cs_link_read(l);
}

static void *cs_link_main(void *arg)
{
	struct cs_link *l = arg;

	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		if (l->attach_fd >= 0) {
			cs_link_adopt(l);
		} else if (l->state == CS_LINK_IDLE) {
			if (l->gw.mode == RGM_GW_LISTEN && l->dial) {
				l->dial = false;
				cs_link_dial(l);
				continue;
			}
			pthread_mutex_unlock(&l->lock);
			{
				struct pollfd p = { .fd = l->wake, .events = POLLIN };

				if (poll(&p, 1, -1) > 0)
					cs_link_drain(l);
			}
			pthread_mutex_lock(&l->lock);
		} else {
			cs_link_serve(l);
		}
	}
	if (l->state != CS_LINK_IDLE)
		cs_link_lost(l, CS_FAIL_UNREACHABLE, true, "gateway %s: link closed", l->gw.id);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* ------------------------------------------------------------ callers */

/* Takes the unaudited hello, if any, for the caller to audit. Lock held. */
static void cs_link_take_hello(struct cs_link *l, char **cmd, char **res)
{
	*cmd = *res = NULL;
	if (!l->hello_cmd || !l->hello_res)
		return;
	*cmd = l->hello_cmd;
	*res = l->hello_res;
	l->hello_cmd = l->hello_res = NULL;
}

static void cs_link_audit_hello(struct cs_link *l, struct cs_call *call, char *cmd, char *res)
{
	if (cmd && res && call->audit)
		call->audit(call, l->gw.id, cmd, res);
	free(cmd);
	free(res);
}

/* Until the link is READY or the call must give up. Lock held. */
static int cs_link_wait_ready(struct cs_link *l, struct cs_call *call)
{
	bool home = l->gw.mode == RGM_GW_CALL_HOME;
	unsigned long long gen = l->attempts;
	int64_t limit = call->deadline_ms, now;

	if (home && cs_now_ms() + l->tab->env.connect_timeout_ms < limit)
		limit = cs_now_ms() + l->tab->env.connect_timeout_ms;
	while (l->state != CS_LINK_READY) {
		if (l->stop)
			return cs_fail(call, CS_FAIL_UNREACHABLE, NULL,
				       "gateway %s: link closed (registration changed or "
				       "shutting down)", l->gw.id);
		if (l->attempts != gen)
			return cs_fail(call, l->conn_fail, NULL, "%s", l->conn_why);
		now = cs_now_ms();
		if (now >= limit) {
			if (home)
				return cs_fail(call, CS_FAIL_UNREACHABLE, NULL,
					       "gateway %s has not called home", l->gw.id);
			return cs_fail(call, CS_FAIL_TIMEOUT, NULL,
				       "gateway %s at %.64s: not connected before the deadline",
				       l->gw.id, l->gw.endpoint);
		}
		l->waiters++;
		if (l->state == CS_LINK_IDLE && !home) {
			l->dial = true;
			cs_link_wake(l);
		}
		cs_link_wait(l, limit);
		l->waiters--;
	}
	return 0;
}

/*
 * May a request be queued now, without waiting for the link to be READY?
 * Yes for a listen-mode link whose earlier connection said hello (the
 * caller built its request from that hello's answer): the connection is
 * asked for, and the request goes out right behind the new hello. A failed
 * dial or hello fails it as it would have failed the wait. Lock held.
 */
static bool cs_link_pipelines(struct cs_link *l)
{
	if (l->state == CS_LINK_READY || l->gw.mode != RGM_GW_LISTEN ||
	    !l->info.handshakes || l->stop)
		return false;
	if (l->state == CS_LINK_IDLE) {
		l->dial = true;
		cs_link_wake(l);
	}
	return true;
}

int cs_link_ready_early(struct cs_link *l, struct cs_call *call, struct cs_link_info *info)
{
	pthread_mutex_lock(&l->lock);
	if (!cs_link_pipelines(l)) {
		pthread_mutex_unlock(&l->lock);
		return cs_link_ready(l, call, info);
	}
	*info = l->info;
	info->in_flight = l->queue.n + l->sent.n - (l->hello_req ? 1 : 0);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/*
 * A request pipelined behind a redial's hello was built from the earlier
 * connection's hello; rgmd may have come back with other addresses, ports
 * or lease-max (a restart with a new configuration) and refused it for
 * that. By the time its reply is in, the new hello's answer is in l->info.
 */
bool cs_link_hello_changed(struct cs_link *l, const struct cs_link_info *info)
{
	const struct cs_link_info *now = &l->info;
	bool changed;

	pthread_mutex_lock(&l->lock);
	changed = now->handshakes != info->handshakes &&
		  (now->n_addrs != info->n_addrs ||
		   memcmp(now->addrs, info->addrs, info->n_addrs * sizeof(info->addrs[0])) ||
		   now->has_ports != info->has_ports || now->port_min != info->port_min ||
		   now->port_max != info->port_max || now->lease_max != info->lease_max);
	pthread_mutex_unlock(&l->lock);
	return changed;
}

int cs_link_ready(struct cs_link *l, struct cs_call *call, struct cs_link_info *info)
{
	char *cmd, *res;
	int ret;

	pthread_mutex_lock(&l->lock);
	ret = cs_link_wait_ready(l, call);
	if (!ret && info) {
		*info = l->info;
		info->in_flight = l->queue.n + l->sent.n - (l->hello_req ? 1 : 0);
	}
	cs_link_take_hello(l, &cmd, &res);
	pthread_mutex_unlock(&l->lock);
	cs_link_audit_hello(l, call, cmd, res);
	return ret;
}

static void cs_link_audit_error(struct cs_link *l, struct cs_call *call, const char *cmd,
				const char *error)
{
	struct json_object *o;

	if (!call->audit)
		return;
	o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "message", json_object_new_string(call->err.msg));
	call->audit(call, l->gw.id, cmd, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* The request as sent: {"v":1,"id":N, then req's fields}. */
static char *cs_link_encode(struct json_object *req, uint32_t id, size_t *len)
{
	struct json_object *o = json_object_new_object();
	char *text = NULL;

	if (!o)
		return NULL;
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_foreach(req, key, val)
		if (strcmp(key, "v") && strcmp(key, "id"))
			json_object_object_add(o, key, json_object_get(val));
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (text)
		*len = strlen(text);
	return text;
}

int cs_link_call(struct cs_link *l, struct cs_call *call, struct json_object *req,
		 struct json_object **reply)
{
	const char *op = json_object_get_string(json_object_object_get(req, "op"));
	char *hcmd, *hres, *cmd = NULL;
	struct cs_req *r = NULL;
	bool own = true;
	int ret = -1;

	*reply = NULL;
	op = op ? op : "?";
	pthread_mutex_lock(&l->lock);
	if (!cs_link_pipelines(l) && cs_link_wait_ready(l, call))
		goto fail;
	if (l->queue.n + l->sent.n >= CS_LINK_INFLIGHT_MAX) {
		cs_fail(call, CS_FAIL_UNREACHABLE, NULL,
			"gateway %s: %u requests already in flight", l->gw.id,
			CS_LINK_INFLIGHT_MAX);
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto oom;
	r->id = l->next_id;
	r->text = cs_link_encode(req, r->id, &r->len);
	if (!r->text)
		goto oom;
	if (r->len > RGM_FRAME_MAX) {
		cs_fail(call, CS_FAIL_INTERNAL, NULL,
			"gateway %s: %s request of %zu bytes is too large", l->gw.id, op, r->len);
		goto fail;
	}
	l->next_id++;
	r->deadline = call->deadline_ms;
	r->state = CS_REQ_QUEUED;
	cs_reqq_push(&l->queue, r);
	l->last_use = cs_now_ms();
	cs_link_wake(l);
	while (r->state != CS_REQ_DONE && cs_now_ms() < call->deadline_ms)
		cs_link_wait(l, call->deadline_ms);
	if (r->state == CS_REQ_DONE && r->fail == CS_OK) {
		*reply = r->obj;
		r->obj = NULL;
		ret = 0;
	} else if (r->state == CS_REQ_DONE) {
		cs_fail(call, r->fail, NULL, "%s", r->why);
	} else {
		/* Not sent yet: withdraw it. Sent: its reply will be dropped. */
		if (!cs_reqq_remove(&l->queue, r)) {
			r->abandoned = true;
			own = false;
		}
		cs_fail(call, CS_FAIL_TIMEOUT, NULL, "gateway %s did not answer %s in time",
			l->gw.id, op);
	}
	goto done;
oom:
	cs_fail(call, CS_FAIL_INTERNAL, NULL, "out of memory");
fail:
	;
done:
	cs_link_take_hello(l, &hcmd, &hres);
	if (r && !own) {
		/* the thread frees it; keep the text for the audit */
		cmd = strdup(r->text);
	} else if (r) {
		cmd = r->text;
		r->text = NULL;
	}
	pthread_mutex_unlock(&l->lock);
	cs_link_audit_hello(l, call, hcmd, hres);

	if (!cmd)
		cmd = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	if (cmd && call->audit) {
		if (!ret)
			call->audit(call, l->gw.id, cmd, r->reply);
		else
			cs_link_audit_error(l, call, cmd, cs_fail_code(call->err.fail));
	}
	free(cmd);
	if (own)
		cs_req_free(r);
	return ret;
}

void cs_link_info(struct cs_link *l, struct cs_link_info *info)
{
	pthread_mutex_lock(&l->lock);
	*info = l->info;
	info->in_flight = l->queue.n + l->sent.n - (l->hello_req ? 1 : 0);
	pthread_mutex_unlock(&l->lock);
}

uint16_t cs_link_cursor_take(struct cs_link *l, unsigned int span, uint16_t min, uint16_t max)
{
	uint32_t range = (uint32_t)max - min + 1, c;

	pthread_mutex_lock(&l->lock);
	c = l->cursor;
	if (c < min || c > max)
		c = min;
	l->cursor = min + (c - min + span) % range;
	pthread_mutex_unlock(&l->lock);
	return c;
}

static bool cs_link_bit(const uint8_t *map, uint32_t p)
{
	return map[p / 8] & (1u << (p % 8));
}

/* Released after since, by the ring? Past what the ring holds, say yes.
 * Under l->lock. */
static bool cs_link_released_since(const struct cs_link *l, bool tcp, uint32_t port,
				   uint32_t end, uint64_t since)
{
	const struct cs_link_release *r;
	uint64_t q;

	if (l->rel_seq - since > CS_LINK_RELEASES)
		return true;
	for (q = l->rel_seq; q > since; q--) {
		r = &l->ports->rel[q % CS_LINK_RELEASES];
		if (r->tcp == tcp && r->port < end && port < (uint32_t)r->port + r->span)
			return true;
	}
	return false;
}

uint64_t cs_link_claim_seq(struct cs_link *l)
{
	uint64_t q;

	pthread_mutex_lock(&l->lock);
	q = l->rel_seq;
	pthread_mutex_unlock(&l->lock);
	return q;
}

bool cs_link_claim(struct cs_link *l, bool tcp, uint16_t port, unsigned int span, uint64_t since)
{
	uint32_t p, end = (uint32_t)port + span;
	bool ok = end <= 65536;
	uint8_t *map;

	pthread_mutex_lock(&l->lock);
	if (!l->ports)
		l->ports = calloc(1, sizeof(*l->ports));
	if (!l->ports) {
		/* not claimed: the caller picks nothing it cannot hold */
		pthread_mutex_unlock(&l->lock);
		return false;
	}
	map = l->ports->claimed[tcp];
	for (p = port; ok && p < end; p++)
		ok = !cs_link_bit(map, p);
	if (ok)
		ok = !cs_link_released_since(l, tcp, port, end, since);
	for (p = port; ok && p < end; p++) {
		map[p / 8] |= 1u << (p % 8);
		l->n_claimed[tcp]++;
	}
	pthread_mutex_unlock(&l->lock);
	return ok;
}

void cs_link_unclaim(struct cs_link *l, bool tcp, uint16_t port, unsigned int span, bool sent)
{
	uint32_t p, end = (uint32_t)port + span;
	struct cs_link_release *r;
	uint8_t *map;

	pthread_mutex_lock(&l->lock);
	if (!l->ports) {
		/* Nothing was claimed (claims allocate it). A release must
		 * still be seen: step past what the ring holds, so every query
		 * sent before now counts as stale. */
		if (sent)
			l->rel_seq += CS_LINK_RELEASES + 1;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	map = l->ports->claimed[tcp];
	for (p = port; p < end && p < 65536; p++) {
		if (cs_link_bit(map, p)) {
			map[p / 8] &= ~(1u << (p % 8));
			l->n_claimed[tcp]--;
		}
	}
	if (sent) {
		r = &l->ports->rel[++l->rel_seq % CS_LINK_RELEASES];
		*r = (struct cs_link_release){
			.seq = l->rel_seq, .port = port, .tcp = tcp, .span = span,
		};
	}
	pthread_mutex_unlock(&l->lock);
}

unsigned int cs_link_claims(struct cs_link *l, bool tcp)
{
	unsigned int n;

	pthread_mutex_lock(&l->lock);
	n = l->n_claimed[tcp];
	pthread_mutex_unlock(&l->lock);
	return n;
}

/* ------------------------------------------------------------ the table */

static void cs_link_free(struct cs_link *l)
{
	struct cs_req *r;

	pthread_mutex_lock(&l->lock);
	__atomic_store_n(&l->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&l->cond);
	cs_link_wake(l);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);

	while ((r = cs_reqq_pop(&l->queue)))
		cs_req_free(r);
	while ((r = cs_reqq_pop(&l->sent)))
		cs_req_free(r);
	if (l->attach_fd >= 0) {
		rgm_tls_conn_free(l->attach_tls);
		close(l->attach_fd);
	}
	free(l->hello_cmd);
	free(l->hello_res);
	rgm_tls_put(l->tls);
	close(l->wake);
	free(l->ports);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void cs_link_put(struct cs_link *l)
{
	if (l && !__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL))
		cs_link_free(l);
}

static struct cs_link *cs_link_get(struct cs_link *l)
{
	__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
	return l;
}

static struct cs_link *cs_link_new(struct cs_links *t, const struct rgm_db_gateway *gw,
				   char *err, size_t errlen)
{
	const struct cs_driver_env *env = &t->env;
	pthread_condattr_t ca;
	struct cs_link *l;

	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->tab = t;
	l->refs = 1;
	l->gw = *gw;
	l->fd = l->attach_fd = -1;
	l->next_id = 1;
	if (gw->mode == RGM_GW_LISTEN) {
		struct rgm_tls_opts o = {
			.cert = env->cert, .key = env->key, .ca = env->ca,
			.priority = env->priority,
			/* Exactly the registered key: another certificate,
			 * even one from our CA, fails the handshake. */
			.allow = { gw->pin }, .n_allow = 1,
		};
		char why[256];

		l->tls = rgm_tls_new(&o, why, sizeof(why));
		if (!l->tls) {
			snprintf(err, errlen, "gateway %s: %s", gw->id, why);
			free(l);
			return NULL;
		}
	}
	/* one descriptor, not a pipe's two: a fleet's links are most of ours */
	l->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake < 0) {
		snprintf(err, errlen, "eventfd: %m");
		goto err_pipe;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&l->thread, &t->attr, cs_link_main, l)) {
		snprintf(err, errlen, "cannot start a thread for gateway %s", gw->id);
		pthread_cond_destroy(&l->cond);
		pthread_mutex_destroy(&l->lock);
		close(l->wake);
		goto err_pipe;
	}
	return l;
err_pipe:
	rgm_tls_put(l->tls);
	free(l);
	return NULL;
}

static void cs_link_retire(struct cs_link *l)
{
	pthread_mutex_lock(&l->lock);
	__atomic_store_n(&l->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&l->cond);
	cs_link_wake(l);
	pthread_mutex_unlock(&l->lock);
	cs_link_put(l);
}

int cs_links_new(const struct cs_driver_env *env, struct cs_links **out, char *err,
		 size_t errlen)
{
	struct cs_links *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->env = *env;
	if (!t->env.connect_timeout_ms)
		t->env.connect_timeout_ms = 5000;
	if (!t->env.idle_timeout_ms)
		t->env.idle_timeout_ms = 300000;
	pthread_attr_init(&t->attr);
	if (pthread_attr_setstacksize(&t->attr, CS_LINK_STACK)) {
		snprintf(err, errlen, "cannot set the links' stack size");
		pthread_attr_destroy(&t->attr);
		free(t);
		return -EINVAL;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void cs_links_free(struct cs_links *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		cs_link_retire(t->v[i]);
	free(t->v);
	pthread_attr_destroy(&t->attr);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static ssize_t cs_links_index(struct cs_links *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->gw.id, id))
			return i;
	return -1;
}

struct cs_link *cs_links_get(struct cs_links *t, const struct rgm_db_gateway *gw,
			     char *err, size_t errlen)
{
	struct cs_link *l, *old = NULL;
	ssize_t i;

	pthread_mutex_lock(&t->lock);
	i = cs_links_index(t, gw->id);
	if (i >= 0) {
		l = t->v[i];
		if (l->gw.mode == gw->mode && !strcmp(l->gw.endpoint, gw->endpoint) &&
		    !strcmp(l->gw.pin, gw->pin)) {
			cs_link_get(l);
			pthread_mutex_unlock(&t->lock);
			return l;
		}
		cs_log(CS_LOG_INFO, "gateway %s: registration changed, new link", gw->id);
		old = l;
		t->v[i] = t->v[--t->n];
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct cs_link **v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&t->lock);
			snprintf(err, errlen, "out of memory");
			l = NULL;
			goto out;
		}
		t->v = v;
		t->cap = cap;
	}
	l = cs_link_new(t, gw, err, errlen);
	if (l)
		t->v[t->n++] = cs_link_get(l);
	pthread_mutex_unlock(&t->lock);
out:
	if (old)
		cs_link_retire(old);
	return l;
}

struct cs_link *cs_links_find(struct cs_links *t, const char *id)
{
	struct cs_link *l = NULL;
	ssize_t i;

	pthread_mutex_lock(&t->lock);
	i = cs_links_index(t, id);
	if (i >= 0)
		l = cs_link_get(t->v[i]);
	pthread_mutex_unlock(&t->lock);
	return l;
}

int cs_links_attach(struct cs_links *t, const struct rgm_db_gateway *gw, int fd,
		    struct rgm_tls_conn *tls, const char *addr)
{
	char err[256];
	struct cs_link *l = cs_links_get(t, gw, err, sizeof(err));

	if (!l) {
		cs_log(CS_LOG_ERR, "call-home of gateway %s: %s", gw->id, err);
		rgm_tls_conn_free(tls);
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&l->lock);
	if (l->attach_fd >= 0) {
		rgm_tls_conn_free(l->attach_tls);
		close(l->attach_fd);
	}
	l->attach_fd = fd;
	l->attach_tls = tls;
	snprintf(l->attach_addr, sizeof(l->attach_addr), "%s", addr);
	cs_link_wake(l);
	pthread_mutex_unlock(&l->lock);
	cs_link_put(l);
	return 0;
}
