// SPDX-License-Identifier: GPL-2.0
/*
 * Media sessions: the sockets of a prepared title, the sender thread that
 * paces its RTP by the TS's PCR and sends RTCP SR/BYE, and the housekeeper
 * that drops stale prepared sessions and reaps finished ones.
 *
 * Lock: r->lock guards the list, every session's state and sockets;
 * counters the sender updates are read with atomics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ms.h"
#include "rgm_rtp.h"
#include "rgm_ts.h"

#define RTP_PAYLOAD	(RGM_TS_PER_RTP * RGM_TS_PACKET)
#define NS		1000000000ULL

enum ms_state { MS_PREPARED, MS_PLAYING, MS_DONE, MS_STOPPED };

static const char *const state_names[] = { "prepared", "playing", "done", "stopped" };

struct ms_out {
	const struct ms_media *m;
	int rtp_fd, rtcp_fd;
	uint16_t port;
	struct sockaddr_in dest_rtp, dest_rtcp;
	uint32_t ssrc, ts0;
	uint16_t seq0;
	size_t next;			/* next RTP packet to send */
	uint64_t packets, octets;	/* atomics: read by GET */
	uint64_t rtcp_in;		/* RTCP packets received (receiver reports) */
};

struct ms_session {
	struct ms_session *next;
	char id[19];			/* "m-" + 16 hex */
	const struct ms_title *title;
	enum ms_state state;
	struct timespec created, ended;
	unsigned int n_out;
	struct ms_out out[MS_MAX_MEDIA];
	int stop_fd;
	uint64_t limit_ns;		/* duration_ms, 0: the whole title */
	bool thread_started;
	pthread_t thread;
	struct ms_registry *r;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void rand_bytes(void *p, size_t n)
{
	/* getrandom() of a few bytes does not fail short once seeded */
	if (getrandom(p, n, 0) != (ssize_t)n)
		memset(p, 0x5a, n);
}

static void close_sockets(struct ms_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_out; i++) {
		if (s->out[i].rtp_fd >= 0)
			close(s->out[i].rtp_fd);
		if (s->out[i].rtcp_fd >= 0)
			close(s->out[i].rtcp_fd);
		s->out[i].rtp_fd = s->out[i].rtcp_fd = -1;
	}
}

static void session_free(struct ms_session *s)
{
	close_sockets(s);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	free(s);
}

static int udp_bind(struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr,
				  .sin_port = htons(port) };
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Binds an even RTP port and the RTCP port above it from the range,
 * skipping pairs in use. Called under r->lock. */
static int bind_pair(struct ms_registry *r, struct ms_out *o)
{
	const struct ms_config *cfg = r->cfg;
	unsigned int lo = (cfg->port_lo + 1u) & ~1u, pairs, i;
	uint16_t port;
	int a, b;

	if (cfg->port_hi < lo + 1)
		return -EADDRINUSE;
	pairs = (cfg->port_hi - lo + 1u) / 2;
	for (i = 0; i < pairs; i++) {
		port = (uint16_t)(lo + 2 * (r->cursor++ % pairs));
		a = udp_bind(cfg->addr, port);
		if (a < 0)
			continue;
		b = udp_bind(cfg->addr, port + 1);
		if (b < 0) {
			close(a);
			continue;
		}
		o->rtp_fd = a;
		o->rtcp_fd = b;
		o->port = port;
		return 0;
	}
	return -EADDRINUSE;
}

static struct ms_session *find(struct ms_registry *r, const char *id)
{
	struct ms_session *s;

	for (s = r->head; s; s = s->next)
		if (!strcmp(s->id, id))
			return s;
	return NULL;
}

/* Called under r->lock. */
static json_object *session_json(struct ms_session *s, bool full)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char addr[INET_ADDRSTRLEN];
	unsigned int i;

	json_object_object_add(o, "stream", json_object_new_string(s->id));
	json_object_object_add(o, "title", json_object_new_string(s->title->id));
	json_object_object_add(o, "state", json_object_new_string(state_names[s->state]));
	inet_ntop(AF_INET, &s->r->cfg->addr, addr, sizeof(addr));
	json_object_object_add(o, "server_addr", json_object_new_string(addr));
	for (i = 0; i < s->n_out; i++) {
		const struct ms_out *out = &s->out[i];
		json_object *so = json_object_new_object();

		if (full) {
			json_object_object_add(so, "kind", json_object_new_string(out->m->kind));
			json_object_object_add(so, "type", json_object_new_string("rtp"));
			json_object_object_add(so, "rtcp", json_object_new_boolean(1));
			json_object_object_add(so, "server_port", json_object_new_int(out->port));
			json_object_object_add(so, "payload_type", json_object_new_int(33));
			json_object_object_add(so, "bytes",
					       json_object_new_int64((int64_t)out->m->bytes));
			json_object_object_add(so, "packets",
					       json_object_new_int64((int64_t)out->m->packets));
			json_object_object_add(so, "sha256",
					       json_object_new_string(out->m->sha256));
		} else {
			json_object_object_add(so, "kind", json_object_new_string(out->m->kind));
			json_object_object_add(so, "packets", json_object_new_int64((int64_t)
				__atomic_load_n(&out->packets, __ATOMIC_RELAXED)));
			json_object_object_add(so, "bytes", json_object_new_int64((int64_t)
				__atomic_load_n(&out->octets, __ATOMIC_RELAXED)));
			json_object_object_add(so, "rtcp_received", json_object_new_int64((int64_t)
				__atomic_load_n(&out->rtcp_in, __ATOMIC_RELAXED)));
		}
		json_object_array_add(arr, so);
	}
	json_object_object_add(o, full ? "streams" : "sent", arr);
	return o;
}

int ms_session_prepare(struct ms_registry *r, const struct ms_title *t, json_object **out,
		       const char **msg)
{
	struct ms_session *s;
	unsigned char rnd[8];
	unsigned int i;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return *msg = "out of memory", -ENOMEM;
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		free(s);
		return *msg = "out of file descriptors", -ENOMEM;
	}
	s->r = r;
	s->title = t;
	s->state = MS_PREPARED;
	clock_gettime(CLOCK_MONOTONIC, &s->created);
	rand_bytes(rnd, sizeof(rnd));
	strcpy(s->id, "m-");
	for (i = 0; i < sizeof(rnd); i++)
		sprintf(s->id + 2 + 2 * i, "%02x", rnd[i]);
	for (i = 0; i < MS_MAX_MEDIA; i++)
		s->out[i].rtp_fd = s->out[i].rtcp_fd = -1;

	pthread_mutex_lock(&r->lock);
	if (r->count >= MS_MAX_SESSIONS || r->stopping) {
		pthread_mutex_unlock(&r->lock);
		session_free(s);
		return *msg = "too many sessions", -EAGAIN;
	}
	for (i = 0; i < t->n_media; i++) {
		s->out[i].m = &t->media[i];
		s->n_out = i + 1;
		ret = bind_pair(r, &s->out[i]);
		if (ret) {
			pthread_mutex_unlock(&r->lock);
			session_free(s);
			return *msg = "no free server port pair in the range", ret;
		}
	}
	s->next = r->head;
	r->head = s;
	r->count++;
	*out = session_json(s, true);
	pthread_mutex_unlock(&r->lock);
	ms_log("info", "%s: prepared %s, %u streams from port %u", s->id, t->id, s->n_out,
	       s->out[0].port);
	return 0;
}

/* Sends buf on fd to dst, waiting up to 100 ms for room once. */
static void send_to(int fd, const struct sockaddr_in *dst, struct iovec *iov, int n_iov)
{
	struct msghdr mh = { .msg_name = (void *)dst, .msg_namelen = sizeof(*dst),
			     .msg_iov = iov, .msg_iovlen = (size_t)n_iov };
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (sendmsg(fd, &mh, 0) >= 0)
		return;
	if (errno == EAGAIN && poll(&pfd, 1, 100) == 1 && sendmsg(fd, &mh, 0) >= 0)
		return;
}

static uint32_t rtp_ts(const struct ms_out *o, uint64_t at_ns)
{
	return o->ts0 + (uint32_t)(at_ns * RGM_RTP_CLOCK / NS);
}

/* SR (+ SDES CNAME, + BYE at the end) on the RTCP socket. */
static void send_rtcp(struct ms_session *s, struct ms_out *o, uint64_t elapsed, bool bye)
{
	uint8_t buf[512];
	struct rgm_rtcp_sr sr;
	struct timespec wall;
	struct iovec iov;
	char cname[64], addr[INET_ADDRSTRLEN];
	int n, m;

	clock_gettime(CLOCK_REALTIME, &wall);
	sr.ssrc = o->ssrc;
	sr.ntp = rgm_rtcp_ntp(wall.tv_sec, wall.tv_nsec);
	sr.rtp_ts = rtp_ts(o, elapsed);
	sr.packets = (uint32_t)o->packets;
	sr.octets = (uint32_t)o->octets;
	n = rgm_rtcp_sr_build(buf, sizeof(buf), &sr);
	inet_ntop(AF_INET, &s->r->cfg->addr, addr, sizeof(addr));
	snprintf(cname, sizeof(cname), "rgm-mediaserver@%s", addr);
	m = rgm_rtcp_sdes_build(buf + n, sizeof(buf) - (size_t)n, o->ssrc, cname);
	if (m > 0)
		n += m;
	if (bye) {
		m = rgm_rtcp_bye_build(buf + n, sizeof(buf) - (size_t)n, o->ssrc);
		if (m > 0)
			n += m;
	}
	iov.iov_base = buf;
	iov.iov_len = (size_t)n;
	send_to(o->rtcp_fd, &o->dest_rtcp, &iov, 1);
}

static void send_rtp(struct ms_out *o)
{
	const struct ms_media *m = o->m;
	struct rgm_rtp_hdr h = { .pt = RGM_RTP_PT_MP2T };
	size_t off = o->next * RTP_PAYLOAD, len;
	uint8_t hdr[RGM_RTP_HDR_LEN];
	struct iovec iov[2];

	len = m->bytes - off < RTP_PAYLOAD ? m->bytes - off : RTP_PAYLOAD;
	h.seq = (uint16_t)(o->seq0 + o->next);
	h.ts = rtp_ts(o, m->at[o->next]);
	h.ssrc = o->ssrc;
	rgm_rtp_build(hdr, sizeof(hdr), &h);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(m->data + off);
	iov[1].iov_len = len;
	send_to(o->rtp_fd, &o->dest_rtp, iov, 2);
	o->next++;
	__atomic_store_n(&o->packets, o->packets + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&o->octets, o->octets + len, __ATOMIC_RELAXED);
}

/* Drains the RTCP sockets: receiver reports are counted, nothing more. */
static void read_rtcp(struct ms_session *s, struct pollfd *pfd)
{
	struct rgm_rtcp_info info;
	uint8_t buf[1500];
	unsigned int i;
	ssize_t n;

	for (i = 0; i < s->n_out; i++) {
		if (!(pfd[1 + i].revents & POLLIN))
			continue;
		while ((n = recv(s->out[i].rtcp_fd, buf, sizeof(buf), 0)) >= 0)
			if (!rgm_rtcp_parse(buf, (size_t)n, &info))
				__atomic_add_fetch(&s->out[i].rtcp_in, 1, __ATOMIC_RELAXED);
	}
}

/*
 * Waits until CLOCK_MONOTONIC reaches deadline, reading RTCP meanwhile.
 * Returns true when a stop was asked for.
 */
static bool wait_until(struct ms_session *s, uint64_t deadline)
{
	struct pollfd pfd[1 + MS_MAX_MEDIA];
	struct timespec ts;
	unsigned int i;
	uint64_t now;

	pfd[0].fd = s->stop_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < s->n_out; i++) {
		pfd[1 + i].fd = s->out[i].rtcp_fd;
		pfd[1 + i].events = POLLIN;
	}
	for (;;) {
		now = now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return false;
		ts.tv_sec = (time_t)((deadline - now) / NS);
		ts.tv_nsec = (long)((deadline - now) % NS);
		if (ppoll(pfd, 1 + s->n_out, &ts, NULL) < 0 && errno != EINTR)
			return false;
		if (pfd[0].revents & POLLIN)
			return true;
		read_rtcp(s, pfd);
	}
}

static void *sender(void *arg)
{
	struct ms_session *s = arg;
	struct ms_registry *r = s->r;
	uint64_t start = now_ns(CLOCK_MONOTONIC), next_sr = 0, due, t;
	struct ms_out *o, *pick;
	bool stopped = false, limited = false;
	unsigned int i;

	for (;;) {
		pick = NULL;
		due = UINT64_MAX;
		for (i = 0; i < s->n_out; i++) {
			o = &s->out[i];
			if (o->next < o->m->packets && o->m->at[o->next] < due) {
				due = o->m->at[o->next];
				pick = o;
			}
		}
		if (!pick)
			break;
		t = next_sr < due ? next_sr : due;
		if (s->limit_ns && t >= s->limit_ns) {
			limited = true;
			break;
		}
		if (wait_until(s, start + t)) {
			stopped = true;
			break;
		}
		if (t == next_sr) {
			for (i = 0; i < s->n_out; i++)
				send_rtcp(s, &s->out[i], t, false);
			next_sr += NS;
			continue;
		}
		send_rtp(pick);
	}
	t = now_ns(CLOCK_MONOTONIC) - start;
	for (i = 0; i < s->n_out; i++)
		send_rtcp(s, &s->out[i], t, true);

	pthread_mutex_lock(&r->lock);
	s->state = stopped ? MS_STOPPED : MS_DONE;
	clock_gettime(CLOCK_MONOTONIC, &s->ended);
	close_sockets(s);
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	ms_log("info", "%s: %s after %llu ms (%s), %llu packets sent on the first stream", s->id,
	       stopped ? "stopped" : "done", (unsigned long long)(t / 1000000),
	       stopped ? "stop request" : limited ? "duration_ms reached" : "end of title",
	       (unsigned long long)s->out[0].packets);
	return NULL;
}

int ms_session_start(struct ms_registry *r, const char *id, struct in_addr dest,
		     const uint16_t *ports, unsigned int n_ports, uint64_t duration_ms,
		     json_object **out, const char **msg)
{
	char addr[INET_ADDRSTRLEN];
	struct ms_session *s;
	unsigned int i;
	int ret;

	inet_ntop(AF_INET, &dest, addr, sizeof(addr));
	pthread_mutex_lock(&r->lock);
	s = find(r, id);
	if (!s) {
		pthread_mutex_unlock(&r->lock);
		return *msg = "no such stream", -ENOENT;
	}
	if (s->state != MS_PREPARED) {
		pthread_mutex_unlock(&r->lock);
		return *msg = "stream is not in state prepared", -EBUSY;
	}
	if (n_ports != s->n_out) {
		pthread_mutex_unlock(&r->lock);
		return *msg = "\"ports\" must give one RTP port per stream", -EINVAL;
	}
	for (i = 0; i < s->n_out; i++) {
		struct ms_out *o = &s->out[i];

		o->dest_rtp = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = dest,
						    .sin_port = htons(ports[i]) };
		o->dest_rtcp = o->dest_rtp;
		o->dest_rtcp.sin_port = htons((uint16_t)(ports[i] + 1));
		rand_bytes(&o->ssrc, sizeof(o->ssrc));
		rand_bytes(&o->seq0, sizeof(o->seq0));
		rand_bytes(&o->ts0, sizeof(o->ts0));
	}
	s->limit_ns = duration_ms * 1000000ULL;
	s->state = MS_PLAYING;
	ret = pthread_create(&s->thread, NULL, sender, s);
	if (ret) {
		s->state = MS_PREPARED;
		pthread_mutex_unlock(&r->lock);
		return *msg = "cannot start a sender thread", -ENOMEM;
	}
	s->thread_started = true;
	*out = session_json(s, false);
	pthread_mutex_unlock(&r->lock);
	ms_log("info", "%s: playing %s to %s port %u%s", id, s->title->id, addr,
	       ports[0], duration_ms ? " (limited)" : "");
	return 0;
}

int ms_session_stop(struct ms_registry *r, const char *id, json_object **out, const char **msg)
{
	struct ms_session *s;
	struct timespec dl;
	uint64_t one = 1;

	pthread_mutex_lock(&r->lock);
	s = find(r, id);
	if (!s) {
		pthread_mutex_unlock(&r->lock);
		return *msg = "no such stream", -ENOENT;
	}
	if (s->state == MS_PREPARED) {
		s->state = MS_STOPPED;
		clock_gettime(CLOCK_MONOTONIC, &s->ended);
		close_sockets(s);
	} else if (s->state == MS_PLAYING) {
		if (write(s->stop_fd, &one, sizeof(one)) < 0)
			ms_log("warning", "%s: stop: %s", id, strerror(errno));
		/* answer once the sender is quiet: it wakes at once */
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		while (s->state == MS_PLAYING)
			if (pthread_cond_timedwait(&r->changed, &r->lock, &dl) == ETIMEDOUT)
				break;
	}
	*out = session_json(s, false);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int ms_session_get(struct ms_registry *r, const char *id, json_object **out, const char **msg)
{
	struct ms_session *s;

	pthread_mutex_lock(&r->lock);
	s = find(r, id);
	if (!s) {
		pthread_mutex_unlock(&r->lock);
		return *msg = "no such stream", -ENOENT;
	}
	*out = session_json(s, false);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static bool older(const struct timespec *t, time_t secs)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - t->tv_sec >= secs;
}

/* Unlinks the sessions to drop (all of them when the registry stops). */
static struct ms_session *collect(struct ms_registry *r)
{
	struct ms_session **pp = &r->head, *s, *dead = NULL;
	uint64_t one = 1;
	bool drop;

	while ((s = *pp)) {
		if (r->stopping && s->state == MS_PLAYING &&
		    write(s->stop_fd, &one, sizeof(one)) < 0)
			ms_log("warning", "%s: stop: %s", s->id, strerror(errno));
		drop = r->stopping ||
		       (s->state == MS_PREPARED && older(&s->created, MS_PREPARED_TTL_S)) ||
		       (s->state >= MS_DONE && older(&s->ended, MS_RETAIN_S));
		if (!drop) {
			pp = &s->next;
			continue;
		}
		if (s->state == MS_PREPARED && !r->stopping)
			ms_log("info", "%s: dropped, not started within %d s", s->id,
			       MS_PREPARED_TTL_S);
		*pp = s->next;
		r->count--;
		s->next = dead;
		dead = s;
	}
	return dead;
}

static void reap(struct ms_session *dead)
{
	struct ms_session *s;

	while ((s = dead)) {
		dead = s->next;
		if (s->thread_started)
			pthread_join(s->thread, NULL);
		session_free(s);
	}
}

static void *housekeeper(void *arg)
{
	struct ms_registry *r = arg;
	struct ms_session *dead;
	struct timespec dl;

	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 1;
		pthread_cond_timedwait(&r->changed, &r->lock, &dl);
		dead = collect(r);
		pthread_mutex_unlock(&r->lock);
		reap(dead);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int ms_registry_setup(struct ms_registry *r, const struct ms_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	if (pthread_create(&r->housekeeper, NULL, housekeeper, r)) {
		pthread_cond_destroy(&r->changed);
		pthread_mutex_destroy(&r->lock);
		return -ENOMEM;
	}
	return 0;
}

void ms_registry_teardown(struct ms_registry *r)
{
	struct ms_session *dead;

	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->housekeeper, NULL);
	pthread_mutex_lock(&r->lock);
	dead = collect(r);
	pthread_mutex_unlock(&r->lock);
	reap(dead);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
}
