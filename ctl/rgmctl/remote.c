// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl remote: a test and operator client of rgmd's TLS protocol.
 *
 *   rgmctl remote connect HOST:PORT OPTIONS ITEM...   dial a listening agent
 *   rgmctl remote listen ADDR:PORT OPTIONS ITEM...    wait for a call-home agent
 *
 * Each ITEM is sent as one frame and its reply awaited (pipeline: all sent
 * first). Replies and notifications are printed as JSON lines on stdout.
 * Exit status 0 when every reply said "ok": true, 1 otherwise, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "rgm_frame.h"
#include "rgm_tls.h"
#include "rgmctl.h"

#define REMOTE_ITEMS_MAX	256
#define REMOTE_PARALLEL_MAX	4096

struct remote_item {
	bool raw;
	const char *arg;	/* JSON text, or the raw file's path */
};

struct remote_opts {
	bool listen;
	const char *addr;
	struct rgm_tls_opts tls;
	unsigned int timeout_ms;
	unsigned int wait_ms;	/* read notifications this long at the end */
	unsigned int parallel;
	bool pipeline;
	bool shut;		/* close_notify once everything is sent */
	struct remote_item items[REMOTE_ITEMS_MAX];
	unsigned int n_items;
};

struct remote_conn {
	int fd;
	struct rgm_tls_conn *tls;
	struct rgm_frame_dec dec;
	uint64_t next_id;
	bool eof;
};

static void remote_usage(FILE *f)
{
	fprintf(f,
		"Usage: rgmctl remote connect HOST:PORT TLS [ OPTIONS ] ITEM...\n"
		"       rgmctl remote listen ADDR:PORT TLS [ OPTIONS ] ITEM...\n"
		"TLS := ca FILE cert FILE key FILE [ pin pin-sha256:B64 | subject DN ]...\n"
		"       [ priority STRING ]\n"
		"OPTIONS := [ timeout SECONDS ] [ wait SECONDS ] [ pipeline ] [ parallel N ] [ shut ]\n"
		"ITEM := { request JSON | raw-frame FILE }\n"
		"A request gets \"v\": 1 and a numeric \"id\" unless it has them; a raw\n"
		"frame file is sent byte for byte (header included) for negative tests.\n"
		"Every reply and notification is printed as one JSON line.\n");
}

static uint64_t remote_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd until deadline: 0 ready, -ETIMEDOUT. */
static int remote_wait(int fd, bool out, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = out ? POLLOUT : POLLIN };
	uint64_t now;
	int n;

	for (;;) {
		now = remote_now();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, deadline - now);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int remote_socket_connect(const char *hostport, uint64_t deadline)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], port[16];
	const char *colon = strrchr(hostport, ':');
	int fd = -1, err = 0;
	socklen_t len = sizeof(err);

	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) ||
	    strlen(colon + 1) >= sizeof(port))
		return -EINVAL;
	memcpy(host, hostport, colon - hostport);
	host[colon - hostport] = 0;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	strcpy(port, colon + 1);
	if (getaddrinfo(host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if ((!connect(fd, ai->ai_addr, ai->ai_addrlen) || errno == EINPROGRESS) &&
		    !remote_wait(fd, true, deadline) &&
		    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : -(err ? err : ECONNREFUSED);
}

static int remote_socket_accept(const char *addrport, uint64_t deadline)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	}, *res;
	char host[256], port[16];
	const char *colon = strrchr(addrport, ':');
	int lfd, fd, on = 1, ret;

	if (!colon || colon == addrport || (size_t)(colon - addrport) >= sizeof(host) ||
	    strlen(colon + 1) >= sizeof(port))
		return -EINVAL;
	memcpy(host, addrport, colon - addrport);
	host[colon - addrport] = 0;
	strcpy(port, colon + 1);
	if (getaddrinfo(host, port, &hints, &res))
		return -EINVAL;
	lfd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		freeaddrinfo(res);
		return -errno;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(lfd, res->ai_addr, res->ai_addrlen) || listen(lfd, 4)) {
		ret = -errno;
		freeaddrinfo(res);
		close(lfd);
		return ret;
	}
	freeaddrinfo(res);
	ret = remote_wait(lfd, false, deadline);
	fd = ret ? ret : accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		fd = -errno;
	close(lfd);
	return fd;
}

static int remote_handshake(struct remote_conn *rc, uint64_t deadline)
{
	int ret;

	while ((ret = rgm_tls_conn_handshake(rc->tls)) == -EAGAIN)
		if (remote_wait(rc->fd, rgm_tls_conn_want_write(rc->tls), deadline))
			return -ETIMEDOUT;
	return ret;
}

static int remote_send(struct remote_conn *rc, const void *buf, size_t len, uint64_t deadline)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = rgm_tls_conn_send(rc->tls, p, len);
		if (n == -EAGAIN) {
			if (remote_wait(rc->fd, rgm_tls_conn_want_write(rc->tls), deadline))
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return n;
		p += n;
		len -= n;
	}
	return 0;
}

static int remote_bye(struct remote_conn *rc, uint64_t deadline)
{
	int ret;

	while ((ret = rgm_tls_conn_bye(rc->tls)) == -EAGAIN)
		if (remote_wait(rc->fd, true, deadline))
			return -ETIMEDOUT;
	return ret;
}

/* Reads one frame: 1 and *payload (NUL-terminated copy), 0 on EOF,
 * -ETIMEDOUT, or a frame/TLS error. Leftover bytes of a read stay in the
 * decoder's stream via rc->stash. */
struct remote_stash {
	uint8_t buf[16384];
	size_t off, len;
};

static int remote_recv(struct remote_conn *rc, struct remote_stash *st, char **payload,
		       uint64_t deadline)
{
	const uint8_t *p;
	size_t used, plen;
	ssize_t n;
	int ret;

	for (;;) {
		while (st->off < st->len) {
			ret = rgm_frame_dec_feed(&rc->dec, st->buf + st->off, st->len - st->off,
						 &used);
			st->off += used;
			if (ret < 0)
				return ret;
			if (ret == 1) {
				p = rgm_frame_dec_payload(&rc->dec, &plen);
				*payload = strndup((const char *)p, plen);
				return *payload ? 1 : -ENOMEM;
			}
		}
		if (rc->eof)
			return 0;
		n = rgm_tls_conn_recv(rc->tls, st->buf, sizeof(st->buf));
		if (n == -EAGAIN) {
			if (remote_wait(rc->fd, rgm_tls_conn_want_write(rc->tls), deadline))
				return -ETIMEDOUT;
			continue;
		}
		if (n == 0) {
			rc->eof = true;
			return 0;
		}
		if (n < 0)
			return n;
		st->off = 0;
		st->len = n;
	}
}

/* The request as sent: "v" and "id" added when missing. */
static char *remote_prepare(struct remote_conn *rc, const char *text, int64_t *id,
			    char *err, size_t errlen)
{
	struct json_object *o, *v;
	char *out = NULL;

	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		/* Invalid JSON is sent as it is: negative tests need that. */
		json_object_put(o);
		*id = -1;
		return strdup(text);
	}
	if (!json_object_object_get_ex(o, "v", NULL))
		json_object_object_add(o, "v", json_object_new_int(1));
	if (!json_object_object_get_ex(o, "id", &v)) {
		*id = (int64_t)++rc->next_id;
		json_object_object_add(o, "id", json_object_new_int64(*id));
	} else {
		*id = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (!out)
		snprintf(err, errlen, "out of memory");
	return out;
}

static char *remote_read_file(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto err;
	/* Raw frames may be larger than any valid frame, on purpose; still
	 * bounded to a few frame maxima. */
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= 4 * RGM_FRAME_MAX)
				goto err;
			p = realloc(buf, cap * 2);
			if (!p)
				goto err;
			buf = p;
			cap *= 2;
		}
	}
	if (r < 0)
		goto err;
	close(fd);
	*len = n;
	return buf;
err:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* A reply is "ok" when it has "ok": true. Notifications have no "id" of
 * ours; they are printed and do not count as replies. */
static bool remote_reply_ok(const char *text, int64_t *id, bool *has_id)
{
	struct json_object *o = json_tokener_parse(text), *v;
	bool ok = false;

	*has_id = false;
	if (o && json_object_object_get_ex(o, "id", &v) && v &&
	    json_object_is_type(v, json_type_int)) {
		*has_id = true;
		*id = json_object_get_int64(v);
	} else if (o && json_object_object_get_ex(o, "id", &v)) {
		*has_id = true;		/* "id": null: a reply to something unparsable */
		*id = -1;
	}
	if (o && json_object_object_get_ex(o, "ok", &v))
		ok = json_object_get_boolean(v);
	json_object_put(o);
	return ok;
}

/* Sends every item on one connection and prints what comes back.
 * Returns 0 when every reply was ok, 1 otherwise. */
static int remote_exchange(struct remote_conn *rc, const struct remote_opts *o, bool quiet)
{
	struct remote_stash *st = calloc(1, sizeof(*st));
	int64_t ids[REMOTE_ITEMS_MAX], rid;
	unsigned int sent = 0, got = 0, i;
	bool all_ok = true, has_id;
	char err[256] = "", *payload;
	uint64_t deadline;
	int ret;

	if (!st)
		return 1;
	for (i = 0; i < o->n_items || got < sent; ) {
		deadline = remote_now() + o->timeout_ms;
		if (i < o->n_items && (o->pipeline || got == sent)) {
			const struct remote_item *it = &o->items[i];
			size_t len = 0;
			uint8_t hdr[RGM_FRAME_HDR];
			char *buf;

			if (it->raw) {
				buf = remote_read_file(it->arg, &len);
				ids[i] = -1;
				if (!buf) {
					rgmctl_error("cannot read raw frame %s", it->arg);
					goto fail;
				}
				ret = remote_send(rc, buf, len, deadline);
			} else {
				buf = remote_prepare(rc, it->arg, &ids[i], err, sizeof(err));
				if (!buf) {
					rgmctl_error("%s", err);
					goto fail;
				}
				len = strlen(buf);
				ret = rgm_frame_hdr(hdr, len, RGM_FRAME_MAX);
				if (ret) {
					rgmctl_error("request %u: larger than %d bytes", i + 1,
						     RGM_FRAME_MAX);
					free(buf);
					goto fail;
				}
				ret = remote_send(rc, hdr, sizeof(hdr), deadline);
				if (!ret)
					ret = remote_send(rc, buf, len, deadline);
			}
			free(buf);
			if (ret) {
				rgmctl_error("send: %s", ret == -ETIMEDOUT ? "timeout" :
					     rgm_tls_conn_error(rc->tls));
				goto fail;
			}
			i++;
			sent++;
			if (i == o->n_items && o->shut && remote_bye(rc, deadline)) {
				rgmctl_error("close_notify: %s", rgm_tls_conn_error(rc->tls));
				goto fail;
			}
			continue;
		}
		ret = remote_recv(rc, st, &payload, deadline);
		if (ret <= 0) {
			rgmctl_error("%s after %u of %u replies",
				     ret == 0 ? "connection closed by the agent" :
				     ret == -ETIMEDOUT ? "timeout" :
				     ret == RGM_FRAME_EZERO || ret == RGM_FRAME_ETOOBIG ?
				     rgm_frame_strerror(ret) : rgm_tls_conn_error(rc->tls),
				     got, sent);
			goto fail;
		}
		if (!quiet)
			printf("%s\n", payload);
		fflush(stdout);
		if (!remote_reply_ok(payload, &rid, &has_id) && has_id)
			all_ok = false;
		free(payload);
		/* A raw frame's reply cannot be told by id: take the next one. */
		if (has_id && (rid == -1 || got < sent))
			got++;
	}

	/* Notifications for a while, if asked. */
	if (o->wait_ms) {
		deadline = remote_now() + o->wait_ms;
		while ((ret = remote_recv(rc, st, &payload, deadline)) == 1) {
			printf("%s\n", payload);
			fflush(stdout);
			free(payload);
		}
	}
	free(st);
	return all_ok ? 0 : 1;
fail:
	free(st);
	return 1;
}

static void remote_conn_close(struct remote_conn *rc)
{
	if (rc->tls) {
		rgm_tls_conn_bye(rc->tls);
		rgm_tls_conn_free(rc->tls);
	}
	if (rc->fd >= 0)
		close(rc->fd);
	rgm_frame_dec_teardown(&rc->dec);
	rc->fd = -1;
	rc->tls = NULL;
}

static int remote_open(struct remote_conn *rc, struct rgm_tls *tls, const struct remote_opts *o)
{
	uint64_t deadline = remote_now() + o->timeout_ms;
	int ret;

	memset(rc, 0, sizeof(*rc));
	rc->fd = -1;
	rgm_frame_dec_setup(&rc->dec, RGM_FRAME_MAX);
	ret = o->listen ? remote_socket_accept(o->addr, deadline) :
			  remote_socket_connect(o->addr, deadline);
	if (ret < 0) {
		rgmctl_error("%s %s: %s", o->listen ? "listen" : "connect", o->addr,
			     strerror(-ret));
		return ret;
	}
	rc->fd = ret;
	ret = rgm_tls_conn_new(tls, o->listen, rc->fd, &rc->tls);
	if (ret) {
		rgmctl_error("TLS: %s", strerror(-ret));
		return ret;
	}
	ret = remote_handshake(rc, deadline);
	if (ret) {
		rgmctl_error("TLS handshake with %s: %s", o->addr,
			     ret == -ETIMEDOUT ? "timeout" : rgm_tls_conn_error(rc->tls));
		return ret;
	}
	fprintf(stderr, "connected to %s (%s)\n", rgm_tls_conn_peer(rc->tls),
		rgm_tls_conn_desc(rc->tls));
	return 0;
}

static int remote_parse(struct remote_opts *o, int argc, char **argv)
{
	uint32_t n;

	o->timeout_ms = 10000;
	o->parallel = 1;
	for (; argc > 0; argc--, argv++) {
		const char *k = argv[0];

		if (!strcmp(k, "pipeline")) {
			o->pipeline = true;
			continue;
		}
		if (!strcmp(k, "shut")) {
			o->shut = true;
			continue;
		}
		if (argc < 2)
			return rgmctl_usage_error("remote", "\"%s\" needs an argument", k);
		if (!strcmp(k, "ca")) {
			o->tls.ca = argv[1];
		} else if (!strcmp(k, "cert")) {
			o->tls.cert = argv[1];
		} else if (!strcmp(k, "key")) {
			o->tls.key = argv[1];
		} else if (!strcmp(k, "priority")) {
			o->tls.priority = argv[1];
		} else if (!strcmp(k, "pin") || !strcmp(k, "subject")) {
			static char specs[RGM_TLS_ALLOW_MAX][RGM_TLS_ID_MAX + 16];
			char err[256];

			if (o->tls.n_allow == RGM_TLS_ALLOW_MAX)
				return rgmctl_usage_error("remote", "too many pins/subjects");
			snprintf(specs[o->tls.n_allow], sizeof(specs[0]), "%s%s",
				 k[0] == 's' ? "subject " : "", argv[1]);
			if (rgm_tls_allow_parse(specs[o->tls.n_allow], err, sizeof(err)))
				return rgmctl_usage_error("remote", "%s", err);
			o->tls.allow[o->tls.n_allow] = specs[o->tls.n_allow];
			o->tls.n_allow++;
		} else if (!strcmp(k, "timeout") || !strcmp(k, "wait")) {
			if (rgm_parse_u32(argv[1], 0, 3600, &n))
				return rgmctl_usage_error("remote", "bad %s \"%s\"", k, argv[1]);
			if (k[0] == 't')
				o->timeout_ms = n ? n * 1000 : 1;
			else
				o->wait_ms = n * 1000;
		} else if (!strcmp(k, "parallel")) {
			if (rgm_parse_u32(argv[1], 1, REMOTE_PARALLEL_MAX, &n))
				return rgmctl_usage_error("remote", "bad parallel \"%s\"", argv[1]);
			o->parallel = n;
		} else if (!strcmp(k, "request") || !strcmp(k, "raw-frame") ||
			   !strcmp(k, "--raw-frame")) {
			if (o->n_items == REMOTE_ITEMS_MAX)
				return rgmctl_usage_error("remote", "at most %d items",
							  REMOTE_ITEMS_MAX);
			o->items[o->n_items].raw = k[0] != 'r' || k[1] == 'a';
			o->items[o->n_items].arg = argv[1];
			o->n_items++;
		} else {
			return rgmctl_usage_error("remote", "unknown option \"%s\"", k);
		}
		argc--;
		argv++;
	}
	if (!o->tls.ca || !o->tls.cert || !o->tls.key)
		return rgmctl_usage_error("remote", "ca, cert and key are required");
	if (o->listen && o->parallel > 1)
		return rgmctl_usage_error("remote", "parallel is for connect only");
	return 0;
}

int do_remote(int argc, char **argv)
{
	struct remote_opts *o;
	struct remote_conn *rcs = NULL;
	struct rgm_tls *tls = NULL;
	unsigned int i, opened = 0;
	char err[512];
	int ret;

	if (argc < 1 || rgmctl_is_help(argv[0])) {
		remote_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? RGMCTL_USAGE : RGMCTL_OK;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return RGMCTL_ERR;
	if (!strcmp(argv[0], "connect")) {
		o->listen = false;
	} else if (!strcmp(argv[0], "listen")) {
		o->listen = true;
	} else {
		free(o);
		return rgmctl_usage_error("remote", "unknown command \"%s\"", argv[0]);
	}
	if (argc < 2) {
		free(o);
		return rgmctl_usage_error("remote", "%s needs ADDR:PORT", argv[0]);
	}
	o->addr = argv[1];
	ret = remote_parse(o, argc - 2, argv + 2);
	if (ret)
		goto out;

	ret = RGMCTL_ERR;
	tls = rgm_tls_new(&o->tls, err, sizeof(err));
	if (!tls) {
		rgmctl_error("%s", err);
		goto out;
	}
	rcs = calloc(o->parallel, sizeof(*rcs));
	if (!rcs)
		goto out;
	/* All connections are opened before any request: the agent holds
	 * them all at once, which is what "parallel" is for. */
	for (i = 0; i < o->parallel; i++, opened++)
		if (remote_open(&rcs[i], tls, o)) {
			opened++;
			goto close;
		}
	if (o->parallel > 1)
		fprintf(stderr, "%u connections established\n", opened);
	ret = RGMCTL_OK;
	for (i = 0; i < opened; i++)
		if (remote_exchange(&rcs[i], o, o->parallel > 1 && i > 0))
			ret = RGMCTL_ERR;
close:
	for (i = 0; i < opened; i++)
		remote_conn_close(&rcs[i]);
out:
	free(rcs);
	rgm_tls_put(tls);
	free(o);
	return ret;
}
