// SPDX-License-Identifier: GPL-2.0
/*
 * The receiver: one poll loop over the RTP and RTCP sockets of every
 * stream. Payloads go through a bounded reorder ring and are written in
 * sequence order, hashed as they are written; a stream is done when it has
 * written exactly the announced packets and bytes, and the loop ends when
 * every stream is done, or said BYE (plus a short grace), or at the
 * timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "ap.h"
#include "rgm_rtp.h"

#define RING		128		/* RTP packets held for reordering */
#define SLOT_MAX	1500		/* largest payload taken */
#define BYE_GRACE_NS	500000000ULL	/* late packets after a BYE */
#define NS		1000000000ULL

struct slot {
	bool used;
	uint16_t len;
	uint8_t data[SLOT_MAX];
};

struct stream {
	const struct ap_expect *e;
	int rtp_fd, rtcp_fd, out_fd;
	char path[PATH_MAX];
	struct rgm_rtp_stats st;
	gnutls_hash_hd_t hash;
	struct slot *ring;
	bool started;
	uint64_t next;			/* next extended seq to write */
	uint64_t packets, bytes;	/* written */
	uint64_t skipped;		/* never arrived, or came too late */
	uint64_t bad_pt, malformed, oversize;
	uint64_t sr, rtcp_bad;
	bool bye, done, write_err;
	uint64_t bye_ns, first_ns, last_ns;
	uint64_t first_at, last_at;	/* wall clock, ms: comparable with other hosts' logs */
	char sha[65];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int udp_bind(struct in_addr addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr,
				  .sin_port = htons(port) };
	int fd, buf = 1 << 20, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* room for a burst while the file is written */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void put(struct stream *s, const uint8_t *p, size_t len)
{
	size_t off = 0;
	ssize_t n;

	gnutls_hash(s->hash, p, len);
	while (off < len && !s->write_err) {
		n = write(s->out_fd, p + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "rgm-appliance: %s: %s\n", s->path, strerror(errno));
			s->write_err = true;
			break;
		}
		off += (size_t)n;
	}
	s->packets++;
	s->bytes += len;
	if (s->packets == s->e->packets && s->bytes == s->e->bytes)
		s->done = true;
}

/* Writes the slot of s->next (or counts it missing) and moves on. */
static void advance(struct stream *s)
{
	struct slot *sl = &s->ring[s->next % RING];

	if (sl->used)
		put(s, sl->data, sl->len);
	else
		s->skipped++;
	sl->used = false;
	s->next++;
}

static void take(struct stream *s, uint64_t ext, const uint8_t *p, size_t len)
{
	struct slot *sl;

	if (!s->started) {
		s->started = true;
		s->next = ext;
	}
	if (ext < s->next) {
		s->skipped++;	/* its place was already given up */
		return;
	}
	/* the ring is full: give up the oldest hole */
	while (ext >= s->next + RING)
		advance(s);
	sl = &s->ring[ext % RING];
	sl->used = true;
	sl->len = (uint16_t)len;
	memcpy(sl->data, p, len);
	while (s->ring[s->next % RING].used)
		advance(s);
}

static void on_rtp(struct stream *s)
{
	uint8_t buf[2048];
	struct rgm_rtp_hdr h;
	enum rgm_rtp_verdict v;
	uint64_t ext;
	ssize_t n;

	while ((n = recv(s->rtp_fd, buf, sizeof(buf), 0)) >= 0) {
		if (rgm_rtp_parse(buf, (size_t)n, &h)) {
			s->malformed++;
			continue;
		}
		if (h.pt != RGM_RTP_PT_MP2T) {
			s->bad_pt++;
			continue;
		}
		if (h.payload_len > SLOT_MAX) {
			s->oversize++;
			continue;
		}
		v = rgm_rtp_stats_update(&s->st, h.ssrc, h.seq, &ext);
		if (v == RGM_RTP_DUPLICATE || v == RGM_RTP_BAD)
			continue;
		s->last_ns = now_ns();
		s->last_at = wall_ms();
		if (!s->first_ns) {
			s->first_ns = s->last_ns;
			s->first_at = s->last_at;
		}
		take(s, ext, buf + h.payload_off, h.payload_len);
	}
}

static void on_rtcp(struct stream *s)
{
	struct rgm_rtcp_info info;
	uint8_t buf[1500];
	unsigned int i;
	ssize_t n;

	while ((n = recv(s->rtcp_fd, buf, sizeof(buf), 0)) >= 0) {
		if (rgm_rtcp_parse(buf, (size_t)n, &info)) {
			s->rtcp_bad++;
			continue;
		}
		s->sr += info.n_sr;
		for (i = 0; i < info.n_bye_ssrc; i++) {
			/* a BYE counts from the source we receive, or before any */
			if (!s->st.init || info.bye_ssrc[i] == s->st.ssrc) {
				if (!s->bye)
					s->bye_ns = now_ns();
				s->bye = true;
			}
		}
	}
}

/* Writes what the ring still holds, holes counted as missing. */
static void drain(struct stream *s)
{
	if (!s->started)
		return;
	while (s->next <= s->st.max)
		advance(s);
}

static void progress(const struct stream *ss, unsigned int n, uint64_t elapsed)
{
	char line[512];
	size_t off;
	unsigned int i;

	off = (size_t)snprintf(line, sizeof(line), "rgm-appliance: %5.1f s", elapsed / 1e9);
	for (i = 0; i < n && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
					" | %s %llu/%llu pkts lost %llu", ss[i].e->kind,
					(unsigned long long)ss[i].st.received,
					(unsigned long long)ss[i].e->packets,
					(unsigned long long)rgm_rtp_stats_lost(&ss[i].st));
	fprintf(stderr, "%s\n", line);
}

static bool finished(struct stream *ss, unsigned int n, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!ss[i].done && !(ss[i].bye && now - ss[i].bye_ns >= BYE_GRACE_NS))
			return false;
	return true;
}

static void jadd(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static bool report(struct stream *ss, unsigned int n, const struct ap_recv_opts *o,
		   bool timed_out)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	bool all = true, ok;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct stream *s = &ss[i];
		double secs = s->last_ns > s->first_ns ? (s->last_ns - s->first_ns) / 1e9 : 0;
		json_object *j = json_object_new_object();

		ok = s->packets == s->e->packets && s->bytes == s->e->bytes && !s->skipped &&
		     !s->write_err && !strcmp(s->sha, s->e->sha256);
		all = all && ok;
		if (o->json) {
			json_object_object_add(j, "kind", json_object_new_string(s->e->kind));
			json_object_object_add(j, "file", json_object_new_string(s->path));
			json_object_object_add(j, "complete", json_object_new_boolean(ok));
			jadd(j, "packets", s->packets);
			jadd(j, "bytes", s->bytes);
			jadd(j, "expected_packets", s->e->packets);
			jadd(j, "expected_bytes", s->e->bytes);
			jadd(j, "lost", rgm_rtp_stats_lost(&s->st));
			jadd(j, "reordered", s->st.reordered);
			jadd(j, "duplicates", s->st.duplicates);
			jadd(j, "missing", s->skipped);
			jadd(j, "sender_reports", s->sr);
			json_object_object_add(j, "bye", json_object_new_boolean(s->bye));
			json_object_object_add(j, "sha256", json_object_new_string(s->sha));
			json_object_object_add(j, "seconds", json_object_new_double(secs));
			jadd(j, "first_packet_at", s->first_at);
			jadd(j, "last_packet_at", s->last_at);
			json_object_array_add(arr, j);
		} else {
			json_object_put(j);
			printf("%s: %s packets %llu/%llu bytes %llu/%llu lost %llu "
			       "reordered %llu duplicates %llu missing %llu sr %llu%s "
			       "in %.2f s, sha256 %s -> %s\n",
			       s->e->kind, ok ? "complete" : "INCOMPLETE",
			       (unsigned long long)s->packets, (unsigned long long)s->e->packets,
			       (unsigned long long)s->bytes, (unsigned long long)s->e->bytes,
			       (unsigned long long)rgm_rtp_stats_lost(&s->st),
			       (unsigned long long)s->st.reordered,
			       (unsigned long long)s->st.duplicates,
			       (unsigned long long)s->skipped, (unsigned long long)s->sr,
			       s->bye ? " bye" : "", secs,
			       !strcmp(s->sha, s->e->sha256) ? "ok" : "MISMATCH", s->path);
		}
	}
	if (o->json) {
		json_object_object_add(root, "complete", json_object_new_boolean(all));
		json_object_object_add(root, "timed_out", json_object_new_boolean(timed_out));
		json_object_object_add(root, "streams", arr);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	} else {
		json_object_put(arr);
		printf("%s%s\n", all ? "complete" : "incomplete", timed_out ? " (timed out)" : "");
	}
	json_object_put(root);
	fflush(stdout);
	return all;
}

struct ap_recv {
	struct ap_recv_opts o;
	unsigned int n;
	struct stream ss[AP_MAX_STREAMS];
};

void ap_recv_free(struct ap_recv *r)
{
	unsigned int i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct stream *s = &r->ss[i];

		if (s->rtp_fd >= 0)
			close(s->rtp_fd);
		if (s->rtcp_fd >= 0)
			close(s->rtcp_fd);
		if (s->out_fd >= 0)
			close(s->out_fd);
		if (s->hash)
			gnutls_hash_deinit(s->hash, NULL);
		free(s->ring);
	}
	free(r);
}

struct ap_recv *ap_recv_new(const struct ap_recv_opts *o, const uint16_t *ports, unsigned int n)
{
	char addr[INET_ADDRSTRLEN];
	struct ap_recv *r;
	unsigned int i;
	int fd;

	if (n == 0 || n > AP_MAX_STREAMS)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->o = *o;
	r->n = n;
	inet_ntop(AF_INET, &o->addr, addr, sizeof(addr));
	for (i = 0; i < n; i++)
		r->ss[i] = (struct stream){ .rtp_fd = -1, .rtcp_fd = -1, .out_fd = -1 };
	for (i = 0; i < n; i++) {
		struct stream *s = &r->ss[i];

		rgm_rtp_stats_setup(&s->st);
		s->ring = calloc(RING, sizeof(*s->ring));
		if (!s->ring || gnutls_hash_init(&s->hash, GNUTLS_DIG_SHA256)) {
			fprintf(stderr, "rgm-appliance: out of memory\n");
			goto fail;
		}
		fd = udp_bind(o->addr, ports[i]);
		if (fd < 0) {
			fprintf(stderr, "rgm-appliance: bind %s:%u: %s\n", addr, ports[i],
				strerror(-fd));
			goto fail;
		}
		s->rtp_fd = fd;
		fd = udp_bind(o->addr, ports[i] + 1);
		if (fd < 0) {
			fprintf(stderr, "rgm-appliance: bind %s:%u (RTCP): %s\n", addr,
				ports[i] + 1, strerror(-fd));
			goto fail;
		}
		s->rtcp_fd = fd;
	}
	return r;
fail:
	ap_recv_free(r);
	return NULL;
}

void ap_recv_title(struct ap_recv *r, const char *title)
{
	r->o.title = title;
}

/* Gives each stream its expectation and output file. */
static int streams_setup(struct ap_recv *r, const struct ap_expect *e, unsigned int n)
{
	struct sockaddr_in sa;
	socklen_t len;
	unsigned int i;

	if (!n || n > r->n) {
		fprintf(stderr, "rgm-appliance: %u streams announced, %u bound\n", n, r->n);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct stream *s = &r->ss[i];

		len = sizeof(sa);
		if (getsockname(s->rtp_fd, (struct sockaddr *)&sa, &len) ||
		    ntohs(sa.sin_port) != e[i].port) {
			fprintf(stderr, "rgm-appliance: %s: announced on port %u, not the one "
				"bound\n", e[i].kind, e[i].port);
			return 1;
		}
		s->e = &e[i];
		snprintf(s->path, sizeof(s->path), "%s/%s-%s.ts", r->o.out_dir, r->o.title,
			 e[i].kind);
		s->out_fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->out_fd < 0) {
			fprintf(stderr, "rgm-appliance: %s: %s\n", s->path, strerror(errno));
			return 2;
		}
	}
	return 0;
}

int ap_recv_run(struct ap_recv *r, const struct ap_expect *e, unsigned int n)
{
	struct pollfd pfd[2 * AP_MAX_STREAMS];
	uint64_t start, now, next_progress, deadline;
	struct stream *ss = r->ss;
	char addr[INET_ADDRSTRLEN];
	unsigned char dig[32];
	bool timed_out = false, ok;
	unsigned int i, k;
	int wait_ms, ret;

	ret = streams_setup(r, e, n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		pfd[2 * i] = (struct pollfd){ .fd = ss[i].rtp_fd, .events = POLLIN };
		pfd[2 * i + 1] = (struct pollfd){ .fd = ss[i].rtcp_fd, .events = POLLIN };
	}
	start = now_ns();
	next_progress = start + NS;
	deadline = start + (uint64_t)r->o.timeout_s * NS;
	inet_ntop(AF_INET, &r->o.addr, addr, sizeof(addr));
	fprintf(stderr, "rgm-appliance: receiving %u streams on %s (timeout %u s)\n", n, addr,
		r->o.timeout_s);
	for (;;) {
		now = now_ns();
		if (finished(ss, n, now))
			break;
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		if (now >= next_progress) {
			progress(ss, n, now - start);
			next_progress += NS;
		}
		wait_ms = (int)((next_progress - now) / 1000000) + 1;
		/* a BYE's grace runs out while nothing arrives */
		for (i = 0; i < n; i++)
			if (ss[i].bye && wait_ms > 50)
				wait_ms = 50;
		if (poll(pfd, 2 * n, wait_ms) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (pfd[2 * i].revents & POLLIN)
				on_rtp(&ss[i]);
			if (pfd[2 * i + 1].revents & POLLIN)
				on_rtcp(&ss[i]);
		}
	}
	progress(ss, n, now_ns() - start);
	for (i = 0; i < n; i++) {
		drain(&ss[i]);
		gnutls_hash_output(ss[i].hash, dig);
		for (k = 0; k < sizeof(dig); k++)
			sprintf(ss[i].sha + 2 * k, "%02x", dig[k]);
	}
	ok = report(ss, n, &r->o, timed_out);
	return ok ? 0 : 1;
}
