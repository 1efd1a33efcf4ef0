// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the configuration server's rgm driver (confserver/drv_rgm.c,
 * link.c, callhome.c) against an in-process fake rgmd: a thread speaking the
 * real protocol over real TLS 1.3 (lib/rgm_tls, rgm_frame, and rgm_proto's
 * strict request parser, so every request the driver sends must be valid
 * protocol), over a small port table, with knobs: ports taken, replies
 * delayed, connections dropped, requests refused with a code, notifications.
 * Certificates are made with certtool when the test starts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/rgm.h>

#include "kselftest_harness.h"
#include "confserver.h"
#include "driver.h"
#include "link.h"
#include "rgm_frame.h"
#include "rgm_proto.h"
#include "rgm_tls.h"
#include "pki.h"

/* ------------------------------------------------------------ PKI */

static int make_pki(void)
{
	return pki_make("rgm-cs-driver-test",
			"ca ca 'rgm test CA'\n"
			"leaf gw gw1.rgm.test ca 'expiration_days = 30'\n"
			"leaf gw2 gw2.rgm.test ca 'expiration_days = 30'\n"
			"leaf srv cfg.rgm.test ca 'expiration_days = 30'\n");
}

static void __attribute__((constructor)) setup_pki(void)
{
	if (make_pki())
		fprintf(stderr, "# cannot make the test PKI with certtool\n");
}

static void __attribute__((destructor)) cleanup_pki(void)
{
	pki_remove();
}

/* ------------------------------------------------------------ log hook */

/* The drivers log through the daemon's cs_log (log.c): here, to stderr as
 * TAP comments, and remembered for assertions. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[64 * 1024];
static bool log_quiet;

void cs_log(enum cs_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_lock);
	if (strlen(log_text) + strlen(line) + 2 < sizeof(log_text)) {
		strcat(log_text, line);
		strcat(log_text, "\n");
	}
	pthread_mutex_unlock(&log_lock);
	if (!log_quiet)
		fprintf(stderr, "#   [%d] %s\n", level, line);
}

static bool log_has(const char *s)
{
	bool r;

	pthread_mutex_lock(&log_lock);
	r = strstr(log_text, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return r;
}

/* ------------------------------------------------------------ the fake rgmd */

#define FAKE_MIN	40000
#define FAKE_PORTS	100
#define FAKE_LOG	1024
#define FAKE_ADDR	"198.51.100.1"

struct fake_port {
	char owner[RGM_PROTO_SESSION_MAX + 1];	/* "" free */
	bool reserved;
};

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool running;
	struct rgm_tls *tls;
	int lfd;			/* listen mode */
	uint16_t port;			/* where it listens */
	char dial[64];			/* call-home: where it dials */
	int wake[2];
	bool stop;

	/* knobs */
	uint16_t max;			/* last port of its range */
	char epoch[17];
	int delay_op;			/* -1 none */
	unsigned int delay_ms;
	int refuse_op;
	enum rgm_err refuse_code;
	unsigned int refuse_times;	/* 0: every time */
	int drop_op;
	char expire[RGM_PROTO_SESSION_MAX + 1];	/* send an expired event */
	bool hold_hello;		/* answer a hello only when the next
					 * request is in (or after 2 s) */

	/* state */
	struct fake_port tab[2][FAKE_PORTS];	/* [0] tcp, [1] udp */
	uint32_t next_mapping;

	/* observations */
	unsigned int handshakes, closed, bad, max_batch;
	unsigned int ops[__RGM_OP_MAX];
	char log[FAKE_LOG][12];
	unsigned int n_log;
	unsigned int maps_named, maps_unnamed, maps_reserved;
	unsigned int maps_in_use;	/* maps answered port-in-use */
	unsigned int behind_hello;	/* requests in before hello's answer */
};

static void fake_wait(struct fake *f, int64_t deadline)
{
	struct timespec ts = { .tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000 };

	pthread_cond_timedwait(&f->cond, &f->lock, &ts);
}

/* Waits (bounded) until cond(f) holds; lock held. */
#define FAKE_UNTIL(f, expr, ms) ({						\
	int64_t __d = cs_now_ms() + (ms);					\
	pthread_mutex_lock(&(f)->lock);						\
	while (!(expr) && cs_now_ms() < __d)					\
		fake_wait((f), __d);						\
	bool __ok = (expr);							\
	pthread_mutex_unlock(&(f)->lock);					\
	__ok; })

static int fake_pidx(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 0 : 1;
}

static struct fake_port *fake_slot(struct fake_port tab[2][FAKE_PORTS], int pi, uint32_t port)
{
	if (port < FAKE_MIN || port >= FAKE_MIN + FAKE_PORTS)
		return NULL;
	return &tab[pi][port - FAKE_MIN];
}

static void fake_take(struct fake *f, uint8_t proto, uint16_t port)
{
	pthread_mutex_lock(&f->lock);
	snprintf(fake_slot(f->tab, fake_pidx(proto), port)->owner, RGM_PROTO_SESSION_MAX, "admin");
	pthread_mutex_unlock(&f->lock);
}

/* How many ports a session has mapped and reserved. */
static void fake_count(struct fake *f, const char *session, unsigned int *mapped,
		       unsigned int *reserved)
{
	int pi, i;

	*mapped = *reserved = 0;
	pthread_mutex_lock(&f->lock);
	for (pi = 0; pi < 2; pi++)
		for (i = 0; i < FAKE_PORTS; i++)
			if (!strcmp(f->tab[pi][i].owner, session))
				(*(f->tab[pi][i].reserved ? reserved : mapped))++;
	pthread_mutex_unlock(&f->lock);
}

static bool fake_free_port(struct fake_port tab[2][FAKE_PORTS], int pi, uint32_t p, uint16_t max)
{
	struct fake_port *s = fake_slot(tab, pi, p);

	return s && p <= max && !s->owner[0];
}

static struct json_object *fake_error(uint32_t id, enum rgm_err code, const char *fmt, ...)
{
	struct rgm_proto_error e = { .code = code, .has_id = true, .id = id };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return rgm_proto_error_new(&e);
}

static struct json_object *fake_ports_json(const uint16_t *p, unsigned int n)
{
	struct json_object *a = json_object_new_array();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int(p[i]));
	return a;
}

/* Lowest free ports (pairs: even P with P + 1 free too). */
static unsigned int fake_pick(struct fake_port tab[2][FAKE_PORTS], int pi, bool pairs,
			      unsigned int count, uint16_t max, uint16_t *out)
{
	unsigned int n = 0;
	uint32_t p;

	for (p = FAKE_MIN; p <= max && n < count; p++) {
		if (pairs && (p % 2 || !fake_free_port(tab, pi, p + 1, max)))
			continue;
		if (fake_free_port(tab, pi, p, max))
			out[n++] = p;
	}
	return n;
}

static struct json_object *fake_op(struct fake *f, const struct rgm_req *r)
{
	struct fake_port copy[2][FAKE_PORTS], *s;
	struct json_object *o, *a, *st, *ids;
	uint16_t ports[1024];
	unsigned int n, i, k, mapped = 0, released = 0;
	bool own;
	int pi;

	switch (r->op) {
	case RGM_OP_HELLO:
		o = rgm_proto_reply_new(r->id);
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_int(1));
		json_object_object_add(o, "versions", a);
		json_object_object_add(o, "gateway", json_object_new_string("fake-gw"));
		json_object_object_add(o, "epoch", json_object_new_string(f->epoch));
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(FAKE_ADDR));
		json_object_object_add(o, "global_addrs", a);
		a = json_object_new_object();
		json_object_object_add(a, "min", json_object_new_int(FAKE_MIN));
		json_object_object_add(a, "max", json_object_new_int(f->max));
		json_object_object_add(o, "ports", a);
		json_object_object_add(o, "lease_max", json_object_new_int(3600));
		return o;
	case RGM_OP_QUERY:
		pi = fake_pidx(r->proto);
		n = fake_pick(f->tab, pi, r->pairs, r->count, f->max, ports);
		if (n < r->count)
			return fake_error(r->id, RGM_ERR_TABLE_FULL, "only %u free", n);
		o = rgm_proto_reply_new(r->id);
		json_object_object_add(o, "global_addr", json_object_new_string(FAKE_ADDR));
		json_object_object_add(o, "ports", fake_ports_json(ports, n));
		return o;
	case RGM_OP_RESERVE:
		pi = fake_pidx(r->proto);
		if (r->n_ports)
			return fake_error(r->id, RGM_ERR_INTERNAL,
					  "the fake reserves by count only");
		n = fake_pick(f->tab, pi, r->pairs, r->count, f->max, ports);
		if (n < r->count)
			return fake_error(r->id, RGM_ERR_TABLE_FULL, "only %u free", n);
		a = json_object_new_array();
		for (i = 0; i < n; i++)
			for (k = 0; k < (r->pairs ? 2u : 1u); k++) {
				s = fake_slot(f->tab, pi, ports[i] + k);
				if (!s)
					abort();
				snprintf(s->owner, sizeof(s->owner), "%s", r->session);
				s->reserved = true;
				json_object_array_add(a, json_object_new_int(ports[i] + k));
			}
		o = rgm_proto_reply_new(r->id);
		json_object_object_add(o, "session", json_object_new_string(r->session));
		json_object_object_add(o, "global_addr", json_object_new_string(FAKE_ADDR));
		json_object_object_add(o, "ports", a);
		json_object_object_add(o, "hold", json_object_new_int(r->hold));
		return o;
	case RGM_OP_MAP:
		/* per request: naming every port, none, reserved ones */
		for (i = n = k = 0; i < r->n_streams; i++) {
			n += r->streams[i].global_port != 0;
			k += r->streams[i].reserved;
		}
		f->maps_named += n == r->n_streams;
		f->maps_unnamed += !n;
		f->maps_reserved += k == r->n_streams;
		/* All or none: work on a copy, commit at the end. */
		memcpy(copy, f->tab, sizeof(copy));
		a = json_object_new_array();
		for (i = 0; i < r->n_streams; i++) {
			const struct rgm_req_stream *rs = &r->streams[i];
			unsigned int w = rs->rtcp ? 2 : 1;
			uint32_t p = rs->global_port;

			pi = fake_pidx(rs->proto);
			if (!rs->has_global_addr || strcmp(inet_ntoa(rs->global_addr), FAKE_ADDR)) {
				json_object_put(a);
				return fake_error(r->id, RGM_ERR_BAD_REQUEST,
						  "streams[%u].global_addr: not ours", i);
			}
			if (!p) {
				/* reserved by the session first, then the lowest free */
				for (p = FAKE_MIN; p <= f->max; p++) {
					s = fake_slot(copy, pi, p);
					if ((!rs->rtcp || p % 2 == 0) && s->reserved &&
					    !strcmp(s->owner, r->session))
						break;
				}
				if (p > f->max) {
					if (rs->reserved) {
						json_object_put(a);
						return fake_error(r->id, RGM_ERR_NOT_RESERVED,
								  "streams[%u]: none reserved",
								  i);
					}
					n = fake_pick(copy, pi, rs->rtcp, 1, f->max, ports);
					if (!n) {
						json_object_put(a);
						return fake_error(r->id, RGM_ERR_TABLE_FULL,
								  "streams[%u]: no free port", i);
					}
					p = ports[0];
				}
			}
			for (k = 0; k < w; k++) {
				s = fake_slot(copy, pi, p + k);
				if (!s || p + k > f->max) {
					json_object_put(a);
					return fake_error(r->id, RGM_ERR_POLICY_DENIED,
							  "streams[%u]: port %u outside the range",
							  i, p + k);
				}
				own = s->reserved && !strcmp(s->owner, r->session);
				if (rs->reserved && !own) {
					json_object_put(a);
					return fake_error(r->id, RGM_ERR_NOT_RESERVED,
							  "streams[%u]: port %u is not reserved", i,
							  p + k);
				}
				if (s->owner[0] && !own) {
					json_object_put(a);
					f->maps_in_use++;
					return fake_error(r->id, RGM_ERR_PORT_IN_USE,
							  "streams[%u]: port %u is mapped", i,
							  p + k);
				}
				snprintf(s->owner, sizeof(s->owner), "%s", r->session);
				s->reserved = false;
			}
			st = json_object_new_object();
			json_object_object_add(st, "global_addr",
					       json_object_new_string(FAKE_ADDR));
			json_object_object_add(st, "global_port", json_object_new_int(p));
			if (rs->rtcp)
				json_object_object_add(st, "rtcp_port", json_object_new_int(p + 1));
			ids = json_object_new_array();
			for (k = 0; k < w; k++)
				json_object_array_add(ids, json_object_new_int(++f->next_mapping));
			json_object_object_add(st, "mapping_ids", ids);
			json_object_array_add(a, st);
		}
		memcpy(f->tab, copy, sizeof(copy));
		o = rgm_proto_reply_new(r->id);
		json_object_object_add(o, "session", json_object_new_string(r->session));
		json_object_object_add(o, "lease", json_object_new_int(r->lease));
		json_object_object_add(o, "replayed", json_object_new_boolean(false));
		json_object_object_add(o, "streams", a);
		return o;
	case RGM_OP_RENEW:
	case RGM_OP_UNMAP:
		for (pi = 0; pi < 2; pi++)
			for (i = 0; i < FAKE_PORTS; i++) {
				s = &f->tab[pi][i];
				if (strcmp(s->owner, r->session))
					continue;
				if (s->reserved)
					released++;
				else
					mapped++;
				if (r->op == RGM_OP_UNMAP)
					memset(s, 0, sizeof(*s));
			}
		if (r->op == RGM_OP_RENEW ? !mapped : !mapped && !released)
			return fake_error(r->id, RGM_ERR_NO_SUCH_SESSION, "session %s: nothing",
					  r->session);
		o = rgm_proto_reply_new(r->id);
		json_object_object_add(o, "session", json_object_new_string(r->session));
		if (r->op == RGM_OP_RENEW)
			json_object_object_add(o, "lease", json_object_new_int(r->lease));
		json_object_object_add(o, "count", json_object_new_int(mapped));
		if (r->op == RGM_OP_UNMAP)
			json_object_object_add(o, "released", json_object_new_int(released));
		return o;
	default:
		return fake_error(r->id, RGM_ERR_UNKNOWN_OP, "not in the fake");
	}
}

/* Blocking send of all of buf over a non-blocking TLS connection. */
static int fake_send(struct rgm_tls_conn *c, int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct pollfd pf = { .fd = fd };
	ssize_t n;

	while (len) {
		n = rgm_tls_conn_send(c, p, len);
		if (n == -EAGAIN) {
			pf.events = rgm_tls_conn_want_write(c) ? POLLOUT : POLLIN;
			if (poll(&pf, 1, 5000) <= 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int fake_send_obj(struct rgm_tls_conn *c, int fd, struct json_object *o)
{
	uint8_t hdr[RGM_FRAME_HDR];
	size_t len;
	char *text = rgm_proto_finish(o, &len);
	int ret;

	if (!text)
		return -1;
	rgm_frame_hdr(hdr, len, RGM_FRAME_MAX);
	ret = fake_send(c, fd, hdr, sizeof(hdr));
	if (!ret)
		ret = fake_send(c, fd, text, len);
	free(text);
	return ret;
}

static bool fake_stopping(struct fake *f)
{
	return __atomic_load_n(&f->stop, __ATOMIC_ACQUIRE);
}

/* Serves one connection until it ends. */
static void fake_serve(struct fake *f, int fd, struct rgm_tls_conn *c)
{
	struct rgm_frame_dec dec;
	uint8_t buf[16384], *frames[256];
	size_t flen[256], used, plen, off;
	struct json_object *held = NULL;	/* hold_hello: its answer */
	unsigned int nf, i;
	const uint8_t *p;
	bool eof = false;
	ssize_t n;
	int ready;

	rgm_frame_dec_setup(&dec, RGM_FRAME_MAX);
	while (!eof && !fake_stopping(f)) {
		struct pollfd pf[2] = {
			{ .fd = fd, .events = POLLIN }, { .fd = f->wake[0], .events = POLLIN },
		};

		ready = 1;
		if (!rgm_tls_conn_pending(c) && (ready = poll(pf, 2, held ? 2000 : -1)) < 0)
			break;
		if (!ready && held) {
			/* nothing came behind the hello: a client that waits */
			if (fake_send_obj(c, fd, held))
				eof = true;
			held = NULL;
			continue;
		}
		if (pf[1].revents) {
			char junk[64];

			while (read(f->wake[0], junk, sizeof(junk)) > 0)
				;
			pthread_mutex_lock(&f->lock);
			if (f->expire[0]) {
				struct json_object *ev = rgm_proto_event_new("expired");

				json_object_object_add(ev, "session",
						       json_object_new_string(f->expire));
				json_object_object_add(ev, "owner", json_object_new_string("0"));
				json_object_object_add(ev, "mappings", json_object_new_array());
				f->expire[0] = 0;
				pthread_mutex_unlock(&f->lock);
				fake_send_obj(c, fd, ev);
			} else {
				pthread_mutex_unlock(&f->lock);
			}
		}
		/* Everything readable now: several frames at once means the
		 * client pipelines. */
		nf = 0;
		for (;;) {
			n = rgm_tls_conn_recv(c, buf, sizeof(buf));
			if (n == -EAGAIN)
				break;
			if (n <= 0) {
				eof = true;
				break;
			}
			for (off = 0; off < (size_t)n; off += used) {
				int ret = rgm_frame_dec_feed(&dec, buf + off, n - off, &used);

				if (ret < 0) {
					eof = true;
					break;
				}
				if (ret == 1 && nf < 256) {
					p = rgm_frame_dec_payload(&dec, &plen);
					frames[nf] = malloc(plen);
					memcpy(frames[nf], p, plen);
					flen[nf++] = plen;
				}
			}
		}
		pthread_mutex_lock(&f->lock);
		if (nf > f->max_batch)
			f->max_batch = nf;
		pthread_mutex_unlock(&f->lock);
		for (i = 0; i < nf; i++) {
			struct rgm_proto_error err = { 0 };
			struct json_object *reply;
			struct rgm_req *r = calloc(1, sizeof(*r));
			unsigned int delay = 0;

			if (rgm_req_parse(frames[i], flen[i], r, &err)) {
				fprintf(stderr, "#   fake: bad request: %s: %.*s\n", err.msg,
					(int)flen[i], (const char *)frames[i]);
				pthread_mutex_lock(&f->lock);
				f->bad++;
				pthread_mutex_unlock(&f->lock);
				reply = rgm_proto_error_new(&err);
			} else {
				pthread_mutex_lock(&f->lock);
				f->ops[r->op]++;
				if (f->n_log < FAKE_LOG)
					snprintf(f->log[f->n_log++], sizeof(f->log[0]), "%s",
						 rgm_op_name(r->op));
				pthread_cond_broadcast(&f->cond);
				if ((int)r->op == f->drop_op) {
					f->drop_op = -1;
					pthread_mutex_unlock(&f->lock);
					eof = true;
					free(r);
					break;
				}
				if ((int)r->op == f->delay_op)
					delay = f->delay_ms;
				pthread_mutex_unlock(&f->lock);
				if (delay)
					usleep(delay * 1000);	/* a slow gateway, on purpose */
				pthread_mutex_lock(&f->lock);
				if ((int)r->op == f->refuse_op) {
					reply = fake_error(r->id, f->refuse_code,
							   "refused by the test");
					if (f->refuse_times && !--f->refuse_times)
						f->refuse_op = -1;
				} else {
					reply = fake_op(f, r);
				}
				pthread_cond_broadcast(&f->cond);
				pthread_mutex_unlock(&f->lock);
			}
			if (held) {
				/* a request came while hello was unanswered */
				pthread_mutex_lock(&f->lock);
				f->behind_hello++;
				pthread_mutex_unlock(&f->lock);
				if (fake_send_obj(c, fd, held))
					eof = true;
				held = NULL;
			}
			pthread_mutex_lock(&f->lock);
			if (r->op == RGM_OP_HELLO && f->hold_hello && reply &&
			    !json_object_object_get_ex(reply, "error", NULL)) {
				held = reply;
				reply = NULL;
			}
			pthread_mutex_unlock(&f->lock);
			free(r);
			if (reply && fake_send_obj(c, fd, reply))
				eof = true;
		}
		for (i = 0; i < nf; i++)
			free(frames[i]);
	}
	json_object_put(held);
	rgm_frame_dec_teardown(&dec);
	pthread_mutex_lock(&f->lock);
	f->closed++;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static int fake_handshake(struct fake *f, int fd, struct rgm_tls_conn *c)
{
	struct pollfd pf = { .fd = fd };
	int ret;

	while ((ret = rgm_tls_conn_handshake(c)) == -EAGAIN) {
		pf.events = rgm_tls_conn_want_write(c) ? POLLOUT : POLLIN;
		if (poll(&pf, 1, 5000) <= 0 || fake_stopping(f))
			return -1;
	}
	if (ret)
		fprintf(stderr, "#   fake: handshake failed: %s\n", rgm_tls_conn_error(c));
	return ret;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	while (!fake_stopping(f)) {
		struct rgm_tls_conn *c = NULL;
		int fd;

		if (f->dial[0]) {
			struct sockaddr_in sa = { .sin_family = AF_INET };
			char host[32];
			int port;

			sscanf(f->dial, "%31[^:]:%d", host, &port);
			inet_pton(AF_INET, host, &sa.sin_addr);
			sa.sin_port = htons(port);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
				close(fd);
				usleep(50000);	/* rgmd's call-home backoff, shortened */
				continue;
			}
			fcntl(fd, F_SETFL, O_NONBLOCK);
		} else {
			struct pollfd pf[2] = {
				{ .fd = f->lfd, .events = POLLIN },
				{ .fd = f->wake[0], .events = POLLIN },
			};

			if (poll(pf, 2, -1) <= 0 || !pf[0].revents) {
				char junk[64];

				while (read(f->wake[0], junk, sizeof(junk)) > 0)
					;
				continue;
			}
			fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				continue;
		}
		if (rgm_tls_conn_new(f->tls, !f->dial[0], fd, &c) || fake_handshake(f, fd, c)) {
			rgm_tls_conn_free(c);
			close(fd);
			if (f->dial[0])
				usleep(50000);
			continue;
		}
		pthread_mutex_lock(&f->lock);
		f->handshakes++;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		fake_serve(f, fd, c);
		rgm_tls_conn_free(c);
		close(fd);
	}
	return NULL;
}

/* A fake gateway presenting cert NAME; dial: call-home target or NULL;
 * allow: the one server it accepts (NULL: any of the CA). */
static struct fake *fake_new_allow(const char *name, const char *dial, const char *allow)
{
	struct rgm_tls_opts o = { .cert = pki_path(name, "pem"), .key = pki_path(name, "key"),
				  .ca = pki_path("ca", "pem"), .allow = { allow }, .n_allow = !!allow };
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t sl = sizeof(sa);
	pthread_condattr_t ca;
	struct fake *f = calloc(1, sizeof(*f));
	char err[256];

	f->tls = rgm_tls_new(&o, err, sizeof(err));
	if (!f->tls) {
		fprintf(stderr, "# fake: %s\n", err);
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	f->max = FAKE_MIN + FAKE_PORTS - 1;
	snprintf(f->epoch, sizeof(f->epoch), "0123456789abcdef");
	f->delay_op = f->refuse_op = f->drop_op = -1;
	f->lfd = -1;
	if (pipe2(f->wake, O_NONBLOCK | O_CLOEXEC))
		abort();
	if (dial) {
		snprintf(f->dial, sizeof(f->dial), "%s", dial);
	} else {
		f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f->lfd, 16) ||
		    getsockname(f->lfd, (struct sockaddr *)&sa, &sl))
			abort();
		f->port = ntohs(sa.sin_port);
	}
	return f;
}

static struct fake *fake_new(const char *name, const char *dial)
{
	return fake_new_allow(name, dial, NULL);
}

static void fake_start(struct fake *f)
{
	if (pthread_create(&f->thread, NULL, fake_main, f))
		abort();
	f->running = true;
}

static void fake_poke(struct fake *f)
{
	char c = 1;

	if (write(f->wake[1], &c, 1) < 0)
		perror("fake wake");
}

static void fake_free(struct fake *f)
{
	if (!f)
		return;
	if (f->running) {
		__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
		fake_poke(f);
		pthread_join(f->thread, NULL);
	}
	if (f->lfd >= 0)
		close(f->lfd);
	close(f->wake[0]);
	close(f->wake[1]);
	rgm_tls_put(f->tls);
	free(f);
}

/* ------------------------------------------------------------ service side */

#define AUDIT_MAX 1024

static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t svc_cond = PTHREAD_COND_INITIALIZER;
static char audit_ops[AUDIT_MAX][12];
static unsigned int n_audit, audit_failed;
static char expired_gw[80], expired_session[140];
static unsigned int n_expired, n_seen_addr;
static struct rgm_db_gateway home_gw;	/* what find_pin knows */

static void audit_hook(struct cs_call *call, const char *gateway, const char *command,
		       const char *result)
{
	struct json_object *c = json_tokener_parse(command), *r = json_tokener_parse(result), *v;
	const char *op = "?";

	if (c && json_object_object_get_ex(c, "op", &v))
		op = json_object_get_string(v);
	pthread_mutex_lock(&svc_lock);
	if (n_audit < AUDIT_MAX)
		snprintf(audit_ops[n_audit++], sizeof(audit_ops[0]), "%s", op);
	/* both texts must be JSON, the result an object */
	if (!c || !r || !json_object_is_type(r, json_type_object) || strcmp(gateway, "gw-a"))
		audit_failed++;
	pthread_mutex_unlock(&svc_lock);
	json_object_put(c);
	json_object_put(r);
}

static void expired_hook(void *priv, const char *gateway, const char *session)
{
	pthread_mutex_lock(&svc_lock);
	snprintf(expired_gw, sizeof(expired_gw), "%s", gateway);
	snprintf(expired_session, sizeof(expired_session), "%s", session);
	n_expired++;
	pthread_cond_broadcast(&svc_cond);
	pthread_mutex_unlock(&svc_lock);
}

static void seen_addr_hook(void *priv, const char *gateway, struct in_addr addr)
{
	pthread_mutex_lock(&svc_lock);
	if (!strcmp(inet_ntoa(addr), FAKE_ADDR))
		n_seen_addr++;
	pthread_mutex_unlock(&svc_lock);
}

static char epochs[160];	/* what hello said, in order, space-separated */

static void epoch_hook(void *priv, const char *gateway, const char *epoch)
{
	size_t n;

	pthread_mutex_lock(&svc_lock);
	n = strlen(epochs);
	snprintf(epochs + n, sizeof(epochs) - n, "%s%s", n ? " " : "", epoch);
	pthread_mutex_unlock(&svc_lock);
}

/* The hook runs on the link's thread after callers are woken: wait for it. */
static bool epochs_are(const char *want)
{
	int64_t end = cs_now_ms() + 2000;
	bool same;

	do {
		pthread_mutex_lock(&svc_lock);
		same = !strcmp(epochs, want);
		pthread_mutex_unlock(&svc_lock);
		if (!same)
			usleep(10000);
	} while (!same && cs_now_ms() < end);
	if (!same)
		fprintf(stderr, "# epochs: '%s', want '%s'\n", epochs, want);
	return same;
}

static int find_pin_hook(void *priv, const char *pin, struct rgm_db_gateway *out)
{
	if (strcmp(pin, home_gw.pin))
		return -ENOENT;
	*out = home_gw;
	return 0;
}

static void mk_call(struct cs_call *c, int ms)
{
	memset(c, 0, sizeof(*c));
	c->deadline_ms = cs_now_ms() + ms;
	c->actor = "token:test";
	c->audit = audit_hook;
}

/* Two streams: RTP with RTCP, and TCP. */
static void mk_req(struct rgm_api_configure *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->appliance, sizeof(r->appliance), "stb-1");
	inet_pton(AF_INET, FAKE_ADDR, &r->gateway_addr);
	inet_pton(AF_INET, "10.0.0.2", &r->local_addr);
	r->lease = 300;
	r->streams[0].stream = RGM_STREAM_RTP;
	r->streams[0].proto = IPPROTO_UDP;
	r->streams[0].rtcp = true;
	r->streams[0].local_port = 5004;
	inet_pton(AF_INET, "203.0.113.7", &r->streams[0].server_addr);
	r->streams[0].server_port = 6000;
	r->streams[1].stream = RGM_STREAM_TCP;
	r->streams[1].proto = IPPROTO_TCP;
	r->streams[1].local_port = 8080;
	inet_pton(AF_INET, "203.0.113.8", &r->streams[1].server_addr);
	r->streams[1].server_port = 443;
	r->n_streams = 2;
}

static uint16_t free_port(void)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		abort();
	close(fd);
	return ntohs(sa.sin_port);
}

FIXTURE(drv) {
	struct fake *f;
	const struct cs_driver *d;
	void *state;
	struct cs_driver_env env;
	struct cs_gateway gw;
	char listen[64];
};

FIXTURE_SETUP(drv)
{
	ASSERT_TRUE(pki[0] != 0);
	self->f = fake_new("gw", NULL);
	ASSERT_NE(NULL, self->f);
	self->d = cs_driver_find("rgm");
	ASSERT_NE(NULL, self->d);
	self->env.cert = pki_path("srv", "pem");
	self->env.key = pki_path("srv", "key");
	self->env.ca = pki_path("ca", "pem");
	self->env.cert = strdup(self->env.cert);
	self->env.key = strdup(self->env.key);
	self->env.ca = strdup(self->env.ca);
	self->env.connect_timeout_ms = 2000;
	self->env.idle_timeout_ms = 60000;
	self->env.expired = expired_hook;
	self->env.seen_addr = seen_addr_hook;
	self->env.epoch = epoch_hook;
	self->env.find_pin = find_pin_hook;

	snprintf(self->gw.rec.id, sizeof(self->gw.rec.id), "gw-a");
	snprintf(self->gw.rec.type, sizeof(self->gw.rec.type), "homebox");
	self->gw.rec.mode = RGM_GW_LISTEN;
	snprintf(self->gw.rec.endpoint, sizeof(self->gw.rec.endpoint), "127.0.0.1:%u",
		 self->f->port);
	read_pin("gw", self->gw.rec.pin, sizeof(self->gw.rec.pin));
	ASSERT_EQ(RGM_API_PIN_LEN, strlen(self->gw.rec.pin));
	self->gw.strategy = CS_STRATEGY_QUERY_FIRST;
}

FIXTURE_TEARDOWN(drv)
{
	if (self->state)
		self->d->teardown(self->state);
	fake_free(self->f);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(drv) *self)
{
	char err[256] = "";
	int ret = self->d->setup(&self->env, &self->state, err, sizeof(err));

	if (ret)
		fprintf(stderr, "# setup: %s\n", err);
	if (self->f->lfd >= 0 && !self->f->running)
		fake_start(self->f);
	return ret;
}

/* The audit saw exactly what the gateway got, in order. */
static int op_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every command the gateway got is audited, and nothing else: the same
 * ops, in any order (callers audit as their replies come, not in the
 * order of the wire). */
static bool audit_matches(struct fake *f)
{
	static char a[AUDIT_MAX][12], g[FAKE_LOG][12];
	unsigned int i;
	bool same;

	pthread_mutex_lock(&f->lock);
	pthread_mutex_lock(&svc_lock);
	same = n_audit == f->n_log && !audit_failed;
	if (same) {
		memcpy(a, audit_ops, n_audit * sizeof(a[0]));
		memcpy(g, f->log, f->n_log * sizeof(g[0]));
		qsort(a, n_audit, sizeof(a[0]), op_cmp);
		qsort(g, n_audit, sizeof(g[0]), op_cmp);
	}
	for (i = 0; same && i < n_audit; i++)
		same = !strcmp(a[i], g[i]);
	if (!same) {
		fprintf(stderr, "# audit (%u):", n_audit);
		for (i = 0; i < n_audit; i++)
			fprintf(stderr, " %s", audit_ops[i]);
		fprintf(stderr, "\n# gateway got (%u):", f->n_log);
		for (i = 0; i < f->n_log; i++)
			fprintf(stderr, " %s", f->log[i]);
		fprintf(stderr, "\n");
	}
	pthread_mutex_unlock(&svc_lock);
	pthread_mutex_unlock(&f->lock);
	return same;
}

#define SESSION "s-0123456789abcdef0123456789abcdef"

/* Configures the two-stream session with the first ports already taken
 * (UDP 40000-40001, TCP 40000) and checks what every strategy must give. */
static void configure_around_taken(struct __test_metadata *_metadata, FIXTURE_DATA(drv) *self,
				   enum cs_strategy s, struct cs_configured *out)
{
	struct rgm_api_configure req;
	struct cs_call call;
	unsigned int mapped, reserved;

	fake_take(self->f, IPPROTO_UDP, 40000);
	fake_take(self->f, IPPROTO_UDP, 40001);
	fake_take(self->f, IPPROTO_TCP, 40000);
	self->gw.strategy = s;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, out)) {
		TH_LOG("%s: %s", cs_fail_code(call.err.fail), call.err.msg);
	}
	ASSERT_EQ(2, out->n_streams);
	EXPECT_STREQ(FAKE_ADDR, inet_ntoa(out->streams[0].global_addr));
	EXPECT_EQ(0, out->streams[0].global_port % 2);
	EXPECT_NE(40000, out->streams[0].global_port);
	EXPECT_EQ(out->streams[0].global_port + 1, out->streams[0].rtcp_port);
	EXPECT_NE(40000, out->streams[1].global_port);
	EXPECT_EQ(0, out->streams[1].rtcp_port);
	EXPECT_EQ(300, out->lease);
	fake_count(self->f, SESSION, &mapped, &reserved);
	EXPECT_EQ(3, mapped);		/* RTP, RTCP, TCP */
	EXPECT_EQ(0, reserved);
	EXPECT_EQ(0, self->f->bad);
	EXPECT_TRUE(audit_matches(self->f));
	EXPECT_EQ(1, self->f->ops[RGM_OP_HELLO]);
	EXPECT_EQ(1, n_seen_addr);
}

TEST_F(drv, query_first_skips_taken_ports)
{
	struct cs_configured out;

	configure_around_taken(_metadata, self, CS_STRATEGY_QUERY_FIRST, &out);
	EXPECT_EQ(2, self->f->ops[RGM_OP_QUERY]);	/* one per port space */
	EXPECT_EQ(1, self->f->ops[RGM_OP_MAP]);
	EXPECT_EQ(40002, out.streams[0].global_port);
	EXPECT_EQ(40001, out.streams[1].global_port);
}

TEST_F(drv, propose_retries_past_refused_ports)
{
	struct cs_configured out;

	configure_around_taken(_metadata, self, CS_STRATEGY_PROPOSE, &out);
	EXPECT_EQ(0, self->f->ops[RGM_OP_QUERY]);
	EXPECT_EQ(2, self->f->ops[RGM_OP_MAP]);		/* refused once */
	EXPECT_EQ(2, self->f->maps_named);
	EXPECT_EQ(0, self->f->maps_unnamed);
}

TEST_F(drv, gateway_chooses_names_no_port)
{
	struct cs_configured out;

	configure_around_taken(_metadata, self, CS_STRATEGY_GATEWAY_CHOOSES, &out);
	EXPECT_EQ(1, self->f->ops[RGM_OP_MAP]);
	EXPECT_EQ(0, self->f->maps_named);
	EXPECT_EQ(1, self->f->maps_unnamed);
	EXPECT_EQ(40002, out.streams[0].global_port);
	EXPECT_EQ(40001, out.streams[1].global_port);
}

TEST_F(drv, reserve_commit_maps_reserved_ports)
{
	struct cs_configured out;

	configure_around_taken(_metadata, self, CS_STRATEGY_RESERVE_COMMIT, &out);
	EXPECT_EQ(2, self->f->ops[RGM_OP_RESERVE]);	/* pairs, then TCP */
	EXPECT_EQ(1, self->f->ops[RGM_OP_MAP]);
	EXPECT_EQ(1, self->f->maps_reserved);
	EXPECT_EQ(40002, out.streams[0].global_port);
	EXPECT_EQ(40001, out.streams[1].global_port);
}

TEST_F(drv, propose_conflict_when_everything_is_taken)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	int p;

	self->f->max = FAKE_MIN + 9;
	for (p = FAKE_MIN; p <= self->f->max; p++) {
		fake_take(self->f, IPPROTO_UDP, p);
		fake_take(self->f, IPPROTO_TCP, p);
	}
	self->gw.strategy = CS_STRATEGY_PROPOSE;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_CONFLICT, call.err.fail);
	EXPECT_EQ(409, cs_fail_status(call.err.fail));
	EXPECT_STREQ("port-conflict", cs_fail_code(call.err.fail));
	EXPECT_STREQ("port-in-use", call.err.gw_code);
	EXPECT_EQ(8, self->f->ops[RGM_OP_MAP]);
	EXPECT_TRUE(audit_matches(self->f));
	TH_LOG("%s", call.err.msg);
}

TEST_F(drv, query_first_conflict_when_full)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	int p;

	self->f->max = FAKE_MIN + 9;
	for (p = FAKE_MIN; p <= self->f->max; p++)
		fake_take(self->f, IPPROTO_UDP, p);
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_CONFLICT, call.err.fail);
	EXPECT_STREQ("table-full", call.err.gw_code);
	EXPECT_EQ(0, self->f->ops[RGM_OP_MAP]);
}

TEST_F(drv, wrong_pin_is_untrusted)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	char other[80];

	/* gw-a is registered with gw2's key; the fake presents gw's. */
	read_pin("gw2", other, sizeof(other));
	snprintf(self->gw.rec.pin, sizeof(self->gw.rec.pin), "%.55s", other);
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_UNTRUSTED, call.err.fail);
	EXPECT_STREQ("gateway-untrusted", cs_fail_code(call.err.fail));
	read_pin("gw", other, sizeof(other));
	EXPECT_NE(NULL, strstr(call.err.msg, other));		/* seen */
	EXPECT_NE(NULL, strstr(call.err.msg, self->gw.rec.pin));	/* expected */
	EXPECT_EQ(0, self->f->handshakes);
	EXPECT_EQ(0, self->f->n_log);
	TH_LOG("%s", call.err.msg);
}

TEST_F(drv, gateway_refusing_our_certificate_says_so)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	struct fake *picky;
	char other[80];

	/* this gateway accepts only gw2's key as a server, not ours */
	read_pin("gw2", other, sizeof(other));
	picky = fake_new_allow("gw", NULL, other);
	ASSERT_NE(NULL, picky);
	fake_start(picky);
	snprintf(self->gw.rec.endpoint, sizeof(self->gw.rec.endpoint), "127.0.0.1:%u",
		 picky->port);
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_UNREACHABLE, call.err.fail);
	EXPECT_NE(NULL, strstr(call.err.msg, "allow list"));
	EXPECT_EQ(0, picky->n_log);
	TH_LOG("%s", call.err.msg);
	self->d->teardown(self->state);
	self->state = NULL;
	fake_free(picky);
}

TEST_F(drv, nothing_listening_is_unreachable_quickly)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	const char *eps[] = { "127.0.0.1", "localhost" };	/* numeric, resolved */
	struct json_object *st, *v;
	int64_t t0;
	unsigned int i;

	ASSERT_EQ(0, start(_metadata, self));
	for (i = 0; i < 2; i++) {
		snprintf(self->gw.rec.endpoint, sizeof(self->gw.rec.endpoint), "%s:%u", eps[i],
			 free_port());
		mk_req(&req);
		mk_call(&call, 5000);
		t0 = cs_now_ms();
		ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req,
						 &out));
		EXPECT_EQ(CS_FAIL_UNREACHABLE, call.err.fail);
		EXPECT_LT(cs_now_ms() - t0, 1000);
		EXPECT_NE(NULL, strstr(call.err.msg, "gw-a"));
		TH_LOG("%s", call.err.msg);
	}
	/* nothing ever answered: no last contact */
	st = self->d->status(self->state, &self->gw);
	ASSERT_NE(NULL, st);
	EXPECT_TRUE(json_object_object_get_ex(st, "last_contact", &v) && !v);
	json_object_put(st);
}

TEST_F(drv, late_map_reply_is_a_timeout_and_is_undone)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	unsigned int mapped, reserved;
	int64_t t0;

	self->gw.strategy = CS_STRATEGY_GATEWAY_CHOOSES;
	self->f->delay_op = RGM_OP_MAP;
	self->f->delay_ms = 800;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 400);
	t0 = cs_now_ms();
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_TIMEOUT, call.err.fail);
	EXPECT_EQ(504, cs_fail_status(call.err.fail));
	TH_LOG("%s (after %lld ms)", call.err.msg, (long long)(cs_now_ms() - t0));
	/* the map did land late; the unmap behind it removed it */
	ASSERT_TRUE(FAKE_UNTIL(self->f, self->f->ops[RGM_OP_UNMAP] == 1, 5000));
	EXPECT_EQ(1, self->f->ops[RGM_OP_MAP]);
	fake_count(self->f, SESSION, &mapped, &reserved);
	EXPECT_EQ(0, mapped + reserved);
	EXPECT_STREQ("unmap", self->f->log[self->f->n_log - 1]);
}

TEST_F(drv, reserve_then_refused_map_releases_everything)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	unsigned int mapped, reserved;

	self->gw.strategy = CS_STRATEGY_RESERVE_COMMIT;
	self->f->refuse_op = RGM_OP_MAP;
	self->f->refuse_code = RGM_ERR_POLICY_DENIED;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_POLICY, call.err.fail);
	EXPECT_EQ(403, cs_fail_status(call.err.fail));
	EXPECT_STREQ("policy-denied", call.err.gw_code);
	EXPECT_NE(NULL, strstr(call.err.msg, "refused by the test"));
	EXPECT_EQ(2, self->f->ops[RGM_OP_RESERVE]);
	EXPECT_EQ(1, self->f->ops[RGM_OP_UNMAP]);
	fake_count(self->f, SESSION, &mapped, &reserved);
	EXPECT_EQ(0, mapped);
	EXPECT_EQ(0, reserved);
	EXPECT_TRUE(audit_matches(self->f));
}

TEST_F(drv, rate_limited_requests_are_sent_again)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;

	self->gw.strategy = CS_STRATEGY_GATEWAY_CHOOSES;
	self->f->refuse_op = RGM_OP_MAP;
	self->f->refuse_code = RGM_ERR_RATE_LIMITED;
	self->f->refuse_times = 2;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out)) {
		TH_LOG("%s", call.err.msg);
	}
	EXPECT_EQ(3, self->f->ops[RGM_OP_MAP]);
	EXPECT_TRUE(audit_matches(self->f));

	/* still limited when the deadline comes: refused, with rgmd's code */
	pthread_mutex_lock(&self->f->lock);
	self->f->refuse_op = RGM_OP_RENEW;
	self->f->refuse_times = 0;
	pthread_mutex_unlock(&self->f->lock);
	mk_call(&call, 3000);	/* resends end before: 50+100+200+400+800 ms */
	EXPECT_EQ(-1, self->d->renew(self->state, &call, &self->gw, SESSION, 60));
	EXPECT_EQ(CS_FAIL_REFUSED, call.err.fail);
	EXPECT_STREQ("rate-limited", call.err.gw_code);
}

struct worker {
	FIXTURE_DATA(drv) *self;
	char session[40];
	struct cs_configured out;
	struct cs_call call;
	int ret;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rgm_api_configure req;

	mk_req(&req);
	mk_call(&w->call, 10000);
	w->ret = w->self->d->configure(w->self->state, &w->call, &w->self->gw, w->session, &req,
				       &w->out);
	return NULL;
}

/* n configures at once, each from its own thread; all must succeed on
 * ports no other has. */
static void run_workers(struct __test_metadata *_metadata, FIXTURE_DATA(drv) *self,
			struct worker *w, unsigned int n)
{
	pthread_t t[20];
	unsigned int i, j, k;

	ASSERT_GE(20, n);
	for (i = 0; i < n; i++) {
		w[i].self = self;
		snprintf(w[i].session, sizeof(w[i].session), "s-%032x", i + 1);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_main, &w[i]));
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, w[i].ret) {
			TH_LOG("worker %u: %s", i, w[i].call.err.msg);
		}
		for (j = 0; j < i; j++)
			for (k = 0; k < 2; k++)
				EXPECT_NE(w[i].out.streams[k].global_port,
					  w[j].out.streams[k].global_port);
	}
}

TEST_F(drv, one_connection_many_pipelined_callers)
{
	struct worker w[20];
	struct json_object *st, *v;
	struct cs_call call;
	unsigned int i;

	self->gw.strategy = CS_STRATEGY_GATEWAY_CHOOSES;
	self->f->delay_op = RGM_OP_MAP;	/* slow maps: callers pile up */
	self->f->delay_ms = 20;
	ASSERT_EQ(0, start(_metadata, self));
	run_workers(_metadata, self, w, 20);
	for (i = 0; i < 20; i++) {
		mk_call(&call, 5000);
		EXPECT_EQ(0, self->d->renew(self->state, &call, &self->gw, w[i].session, 600));
	}
	EXPECT_EQ(1, self->f->handshakes);
	EXPECT_EQ(1, self->f->ops[RGM_OP_HELLO]);
	EXPECT_EQ(20, self->f->ops[RGM_OP_MAP]);
	EXPECT_EQ(20, self->f->ops[RGM_OP_RENEW]);
	EXPECT_GT(self->f->max_batch, 1);	/* requests in flight together */
	EXPECT_TRUE(audit_matches(self->f));

	st = self->d->status(self->state, &self->gw);
	ASSERT_NE(NULL, st);
	TH_LOG("status %s", json_object_to_json_string(st));
	EXPECT_TRUE(json_object_object_get_ex(st, "connected", &v) && json_object_get_boolean(v));
	EXPECT_TRUE(json_object_object_get_ex(st, "in_flight", &v) && !json_object_get_int(v));
	EXPECT_TRUE(json_object_object_get_ex(st, "handshakes", &v) && json_object_get_int(v) == 1);
	EXPECT_TRUE(json_object_object_get_ex(st, "epoch", &v) &&
		    !strcmp(json_object_get_string(v), "0123456789abcdef"));
	/* the renews were just answered: last contact is now (wall clock) */
	EXPECT_TRUE(json_object_object_get_ex(st, "last_contact", &v) &&
		    json_object_is_type(v, json_type_int));
	EXPECT_LE(json_object_get_int64(v), (int64_t)time(NULL));
	EXPECT_GE(json_object_get_int64(v), (int64_t)time(NULL) - 5);
	json_object_put(st);
}

/* Twenty sessions query at once and get the same lowest free ports back:
 * the claims on the link make them map different ones, with no map refused
 * (the fake's 100 ports hold 50 pairs, so queries also meet table-full and
 * ask for fewer). */
TEST_F(drv, query_first_concurrent_callers_do_not_collide)
{
	struct worker w[20];

	self->gw.strategy = CS_STRATEGY_QUERY_FIRST;
	self->f->delay_op = RGM_OP_MAP;
	self->f->delay_ms = 20;
	ASSERT_EQ(0, start(_metadata, self));
	run_workers(_metadata, self, w, 20);
	EXPECT_EQ(20, self->f->ops[RGM_OP_MAP]);
	EXPECT_EQ(0, self->f->maps_in_use);
	EXPECT_TRUE(audit_matches(self->f));
}

TEST_F(drv, renew_and_close_of_unknown_session)
{
	struct cs_call call;

	ASSERT_EQ(0, start(_metadata, self));
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->renew(self->state, &call, &self->gw, SESSION, 60));
	EXPECT_EQ(CS_FAIL_NO_SESSION, call.err.fail);
	EXPECT_STREQ("no-such-session", call.err.gw_code);
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->close(self->state, &call, &self->gw, SESSION));
	EXPECT_EQ(CS_FAIL_NO_SESSION, call.err.fail);
	EXPECT_EQ(404, cs_fail_status(call.err.fail));
	EXPECT_TRUE(audit_matches(self->f));
}

TEST_F(drv, expired_notification_reaches_the_service)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	struct timespec ts;

	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	pthread_mutex_lock(&self->f->lock);
	snprintf(self->f->expire, sizeof(self->f->expire), "%s", SESSION);
	pthread_mutex_unlock(&self->f->lock);
	fake_poke(self->f);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&svc_lock);
	while (!n_expired)
		if (pthread_cond_timedwait(&svc_cond, &svc_lock, &ts))
			break;
	pthread_mutex_unlock(&svc_lock);
	ASSERT_EQ(1, n_expired);
	EXPECT_STREQ("gw-a", expired_gw);
	EXPECT_STREQ(SESSION, expired_session);
}

TEST_F(drv, lost_connection_fails_callers_then_reconnects)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;

	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	pthread_mutex_lock(&self->f->lock);
	self->f->drop_op = RGM_OP_RENEW;
	snprintf(self->f->epoch, sizeof(self->f->epoch), "fedcba9876543210");	/* "rebooted" */
	pthread_mutex_unlock(&self->f->lock);
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->renew(self->state, &call, &self->gw, SESSION, 600));
	EXPECT_EQ(CS_FAIL_UNREACHABLE, call.err.fail);
	TH_LOG("%s", call.err.msg);
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->renew(self->state, &call, &self->gw, SESSION, 600)) {
		TH_LOG("%s", call.err.msg);
	}
	EXPECT_EQ(2, self->f->handshakes);
	EXPECT_EQ(2, self->f->ops[RGM_OP_HELLO]);
	/* the service is told each hello's epoch; it decides what changed */
	EXPECT_TRUE(epochs_are("0123456789abcdef fedcba9876543210"));
	EXPECT_TRUE(audit_matches(self->f));
}

/* A gateway that rebooted (its table empty, a new epoch) gets the session
 * back on the ports it had; a port taken meanwhile fails the restore. */
TEST_F(drv, restore_maps_the_same_ports_after_a_reboot)
{
	uint16_t ports[RGM_API_STREAMS_MAX];
	struct rgm_api_configure req;
	struct cs_configured out, again;
	struct cs_call call;
	unsigned int mapped, reserved;

	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	ports[0] = out.streams[0].global_port;
	ports[1] = out.streams[1].global_port;

	/* the reboot: nothing mapped, a new epoch, the connection gone */
	pthread_mutex_lock(&self->f->lock);
	memset(self->f->tab, 0, sizeof(self->f->tab));
	snprintf(self->f->epoch, sizeof(self->f->epoch), "fedcba9876543210");
	self->f->drop_op = RGM_OP_RENEW;
	pthread_mutex_unlock(&self->f->lock);
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->renew(self->state, &call, &self->gw, SESSION, 600));

	/* the keeper's probe dials again: hello says the new epoch */
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->probe(self->state, &call, &self->gw));
	EXPECT_TRUE(epochs_are("0123456789abcdef fedcba9876543210"));

	req.lease = 100;	/* what is left of it */
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->restore(self->state, &call, &self->gw, SESSION, &req, ports,
				      &again)) {
		TH_LOG("%s", call.err.msg);
	}
	EXPECT_EQ(ports[0], again.streams[0].global_port);
	EXPECT_EQ(ports[0] + 1, again.streams[0].rtcp_port);
	EXPECT_EQ(ports[1], again.streams[1].global_port);
	EXPECT_EQ(100, again.lease);
	fake_count(self->f, SESSION, &mapped, &reserved);
	EXPECT_EQ(3, mapped);	/* RTP, RTCP, TCP */
	EXPECT_EQ(2, self->f->maps_named);

	/* again, with the TCP port taken by someone else meanwhile */
	pthread_mutex_lock(&self->f->lock);
	memset(self->f->tab, 0, sizeof(self->f->tab));
	pthread_mutex_unlock(&self->f->lock);
	fake_take(self->f, IPPROTO_TCP, ports[1]);
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->restore(self->state, &call, &self->gw, SESSION, &req, ports,
				       &again));
	EXPECT_STREQ("port-in-use", call.err.gw_code);
	fake_count(self->f, SESSION, &mapped, &reserved);
	EXPECT_EQ(0, mapped);	/* all or none */
	EXPECT_TRUE(audit_matches(self->f));
}

/* A calling-home gateway is not dialled by a probe: it calls when it is
 * back. */
TEST_F(drv, probe_does_not_wait_for_a_call_home_gateway)
{
	struct cs_call call;
	int64_t t0;

	self->gw.rec.mode = RGM_GW_CALL_HOME;
	self->gw.rec.endpoint[0] = 0;
	ASSERT_EQ(0, start(_metadata, self));
	mk_call(&call, 5000);
	t0 = cs_now_ms();
	EXPECT_EQ(0, self->d->probe(self->state, &call, &self->gw));
	EXPECT_GT(200, cs_now_ms() - t0);
	EXPECT_EQ(0, self->f->handshakes);
}

TEST_F(drv, idle_connection_is_closed_then_redialled)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;

	self->env.idle_timeout_ms = 200;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	ASSERT_TRUE(FAKE_UNTIL(self->f, self->f->closed == 1, 5000));
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->renew(self->state, &call, &self->gw, SESSION, 600));
	EXPECT_EQ(2, self->f->handshakes);
}

/*
 * A link that said hello before does not wait for the new connection's
 * hello to be answered: the request goes right behind it (one round trip
 * less for a cold call). The fake answers the hello only once the next
 * request is in, or after 2 s for a client that waits.
 */
TEST_F(drv, redial_pipelines_the_request_behind_hello)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;

	self->env.idle_timeout_ms = 200;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(0, self->f->behind_hello);	/* the first connection waits for hello */
	ASSERT_TRUE(FAKE_UNTIL(self->f, self->f->closed == 1, 5000));
	pthread_mutex_lock(&self->f->lock);
	self->f->hold_hello = true;
	pthread_mutex_unlock(&self->f->lock);
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->renew(self->state, &call, &self->gw, SESSION, 600));
	EXPECT_EQ(2, self->f->handshakes);
	EXPECT_EQ(1, self->f->behind_hello);
	EXPECT_EQ(2, self->f->ops[RGM_OP_HELLO]);
	/* hello answered first: the next call on this connection is as ever */
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->renew(self->state, &call, &self->gw, SESSION, 300));
	EXPECT_EQ(2, self->f->handshakes);
}

/*
 * The pipelined request was built from the earlier connection's hello. A
 * gateway that came back with another port range may refuse it for that;
 * the driver sends it once more, built from the new hello. A refusal with
 * the hello unchanged stands.
 */
TEST_F(drv, refusal_after_a_changed_hello_is_retried_once)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;

	self->env.idle_timeout_ms = 200;
	self->gw.strategy = CS_STRATEGY_GATEWAY_CHOOSES;
	ASSERT_EQ(0, start(_metadata, self));
	mk_req(&req);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(1, self->f->ops[RGM_OP_MAP]);
	ASSERT_TRUE(FAKE_UNTIL(self->f, self->f->closed == 1, 5000));

	/* "restarted" with a narrower range; the stale request is refused */
	pthread_mutex_lock(&self->f->lock);
	self->f->max = FAKE_MIN + 9;
	self->f->refuse_op = RGM_OP_MAP;
	self->f->refuse_code = RGM_ERR_POLICY_DENIED;
	self->f->refuse_times = 1;
	self->f->hold_hello = true;
	pthread_mutex_unlock(&self->f->lock);
	mk_call(&call, 5000);
	ASSERT_EQ(0, self->d->configure(self->state, &call, &self->gw,
					"s-0123456789abcdef0123456789abcdc1", &req, &out)) {
		TH_LOG("%s", call.err.msg);
	}
	EXPECT_EQ(3, self->f->ops[RGM_OP_MAP]);
	EXPECT_EQ(1, self->f->behind_hello);
	EXPECT_EQ(2, self->f->handshakes);

	/* same hello on the same connection: refused once, and that stands */
	pthread_mutex_lock(&self->f->lock);
	self->f->refuse_op = RGM_OP_MAP;
	self->f->refuse_times = 1;
	pthread_mutex_unlock(&self->f->lock);
	mk_call(&call, 5000);
	EXPECT_EQ(-1, self->d->configure(self->state, &call, &self->gw,
					 "s-0123456789abcdef0123456789abcdc2", &req, &out));
	EXPECT_EQ(CS_FAIL_POLICY, call.err.fail);
	EXPECT_STREQ("policy-denied", call.err.gw_code);
	EXPECT_EQ(4, self->f->ops[RGM_OP_MAP]);
	EXPECT_TRUE(audit_matches(self->f));
}

/* The driver with call-home on 127.0.0.1:port and gw-a a calling-home
 * gateway (known by its pin). */
static int start_call_home(struct __test_metadata *_metadata, FIXTURE_DATA(drv) *self,
			   uint16_t port)
{
	snprintf(self->listen, sizeof(self->listen), "127.0.0.1:%u", port);
	self->env.callhome_listen = self->listen;
	self->gw.rec.mode = RGM_GW_CALL_HOME;
	self->gw.rec.endpoint[0] = 0;
	home_gw = self->gw.rec;
	return start(_metadata, self);
}

TEST_F(drv, call_home_gateway_is_found_by_pin)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	struct fake *home;
	int64_t t0;

	ASSERT_EQ(0, start_call_home(_metadata, self, free_port()));

	/* not called yet */
	mk_req(&req);
	mk_call(&call, 300);
	t0 = cs_now_ms();
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_UNREACHABLE, call.err.fail);
	EXPECT_NE(NULL, strstr(call.err.msg, "has not called home"));
	EXPECT_LT(cs_now_ms() - t0, 1000);

	/* the listening fake is not used: this one dials in */
	home = fake_new("gw", self->listen);
	ASSERT_NE(NULL, home);
	fake_start(home);
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out)) {
		TH_LOG("%s", call.err.msg);
	}
	EXPECT_EQ(1, home->handshakes);
	EXPECT_EQ(1, home->ops[RGM_OP_MAP]);
	EXPECT_EQ(0, self->f->handshakes);
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->close(self->state, &call, &self->gw, SESSION));
	EXPECT_EQ(1, home->ops[RGM_OP_UNMAP]);
	EXPECT_TRUE(audit_matches(home));
	self->d->teardown(self->state);
	self->state = NULL;
	fake_free(home);
}

/* Strangers that connect to the call-home port and say nothing hold all
 * CS_CALLHOME_PENDING_MAX handshake places: each is dropped at the connect
 * timeout, and the gateway waiting behind them in the accept queue gets
 * through then. */
TEST_F(drv, call_home_silent_strangers_time_out_and_let_the_gateway_in)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int silent[CS_CALLHOME_PENDING_MAX], i, closed = 0;
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	struct fake *home;
	char buf[16];
	uint16_t port = free_port();
	int64_t t0, took;

	ASSERT_EQ(0, start_call_home(_metadata, self, port));

	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < CS_CALLHOME_PENDING_MAX; i++) {
		silent[i] = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_LE(0, silent[i]);
		ASSERT_EQ(0, connect(silent[i], (struct sockaddr *)&sa, sizeof(sa)));
	}
	usleep(300000);	/* all accepted: every place taken */

	t0 = cs_now_ms();
	home = fake_new("gw", self->listen);
	ASSERT_NE(NULL, home);
	fake_start(home);
	mk_req(&req);
	mk_call(&call, 8000);
	EXPECT_EQ(0, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out)) {
		TH_LOG("%s", call.err.msg);
	}
	took = cs_now_ms() - t0;
	TH_LOG("the gateway got through after %" PRId64 " ms", took);
	/* not before the strangers' handshakes ran out (2 s, less our wait) */
	EXPECT_LE(1500, took);
	EXPECT_EQ(1, home->handshakes);

	/* and the strangers were hung up on */
	for (i = 0; i < CS_CALLHOME_PENDING_MAX; i++) {
		struct timeval tv = { .tv_sec = 2 };

		setsockopt(silent[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		closed += recv(silent[i], buf, sizeof(buf), 0) == 0;
		close(silent[i]);
	}
	EXPECT_EQ(CS_CALLHOME_PENDING_MAX, closed);
	mk_call(&call, 5000);
	EXPECT_EQ(0, self->d->close(self->state, &call, &self->gw, SESSION));
	self->d->teardown(self->state);
	self->state = NULL;
	fake_free(home);
}

TEST_F(drv, call_home_with_unknown_pin_is_refused)
{
	struct rgm_api_configure req;
	struct cs_configured out;
	struct cs_call call;
	struct fake *home;

	ASSERT_EQ(0, start_call_home(_metadata, self, free_port()));
	home = fake_new("gw2", self->listen);	/* a key nobody enrolled */
	ASSERT_NE(NULL, home);
	fake_start(home);
	ASSERT_TRUE(FAKE_UNTIL(home, home->handshakes >= 1, 5000));
	mk_req(&req);
	mk_call(&call, 500);
	ASSERT_EQ(-1, self->d->configure(self->state, &call, &self->gw, SESSION, &req, &out));
	EXPECT_EQ(CS_FAIL_UNREACHABLE, call.err.fail);
	EXPECT_EQ(0, home->n_log);	/* it was never spoken to */
	EXPECT_TRUE(log_has("no gateway is enrolled with"));
	self->d->teardown(self->state);
	self->state = NULL;
	fake_free(home);
}

TEST(strategy_and_fail_names)
{
	int s;

	for (s = 0; s < __CS_STRATEGY_MAX; s++)
		EXPECT_EQ(s, cs_strategy_parse(cs_strategy_name(s)));
	EXPECT_EQ(-1, cs_strategy_parse("guess"));
	EXPECT_EQ(CS_STRATEGY_RESERVE_COMMIT, cs_strategy_parse("reserve-commit"));
	EXPECT_STREQ("gateway-unreachable", cs_fail_code(CS_FAIL_UNREACHABLE));
	EXPECT_EQ(502, cs_fail_status(CS_FAIL_UNTRUSTED));
	EXPECT_EQ(504, cs_fail_status(CS_FAIL_TIMEOUT));
	EXPECT_STREQ("unknown-session", cs_fail_code(CS_FAIL_NO_SESSION));
	EXPECT_EQ(500, cs_fail_status(CS_FAIL_INTERNAL));
	EXPECT_EQ(&cs_driver_rgm, cs_driver_find("rgm"));
	EXPECT_EQ(NULL, cs_driver_find("upnp"));
}

TEST_HARNESS_MAIN
