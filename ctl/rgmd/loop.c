// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd's event loop: one epoll set with the listening socket (listen mode),
 * every connection, a signalfd (SIGHUP reload, SIGTERM/SIGINT stop) and the
 * engine's kernel events fd. Deadlines (handshake, idle, call-home retry,
 * engine timers) bound each epoll_wait; connections are scanned linearly,
 * which is plenty for max-connections in the thousands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "callhome.h"
#include "clock.h"
#include "conf.h"
#include "conn.h"
#include "engine.h"
#include "ev.h"
#include "log.h"
#include "loop.h"
#include "rgm_tls.h"

#define RGMD_ACCEPT_PAUSE_MS	200

static int rgmd_loop_epoll_add(struct rgmd *d, int fd, struct rgmd_ev *ev)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = ev };

	return epoll_ctl(d->conns.epfd, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

static int rgmd_loop_listen_setup(struct rgmd *d)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	}, *res = NULL;
	char host[256], port[16];
	int fd, on = 1, ret;

	if (rgmd_conf_split_host_port(d->conns.conf->listen, host, sizeof(host), port,
				      sizeof(port)))
		return -EINVAL;
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		rgmd_err("listen %s: %s", d->conns.conf->listen, gai_strerror(ret));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 512))
		goto err;
	freeaddrinfo(res);
	d->listen_fd = fd;
	rgmd_info("listening on %s", d->conns.conf->listen);
	return 0;
err:
	ret = -errno;
	rgmd_err("listen %s: %s", d->conns.conf->listen, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return ret;
}

static void rgmd_loop_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static void rgmd_loop_accept(struct rgmd *d)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char addr[64];
	struct rgmd_conn *c;
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(d->listen_fd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			/* EMFILE and friends: level-triggered epoll would
			 * spin, so stop listening briefly; the backlog waits. */
			rgmd_warn("accept: %s; pausing accepts for %d ms", strerror(errno),
				  RGMD_ACCEPT_PAUSE_MS);
			epoll_ctl(d->conns.epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
			d->listen_resume_at = rgmd_clock_ms() + RGMD_ACCEPT_PAUSE_MS;
			return;
		}
		rgmd_loop_addr_str(&ss, addr, sizeof(addr));
		if (d->conns.n >= d->conns.conf->max_connections) {
			rgmd_warn("connection from %s refused: max-connections %u reached", addr,
				  d->conns.conf->max_connections);
			close(fd);
			continue;
		}
		c = rgmd_conn_new(&d->conns, fd, false, addr);
		if (!c) {
			rgmd_warn("connection from %s refused: out of memory", addr);
			close(fd);
			continue;
		}
		rgmd_dbg("conn %llu %s: accepted", (unsigned long long)c->peer.conn_id, addr);
		if (rgmd_conn_start_tls(c))
			rgmd_conn_close(c, "cannot set up TLS");
	}
}

static void rgmd_loop_notify_all(const char *payload, size_t len, void *arg)
{
	struct rgmd *d = arg;
	struct rgmd_conn *c;

	for (c = d->conns.head; c; c = c->next)
		rgmd_conn_notify(c, payload, len);
}

static void rgmd_loop_reload(struct rgmd *d)
{
	struct rgmd_conf *nc;
	struct rgm_tls_opts o;
	struct rgm_tls *tls;
	char err[1024];

	rgmd_info("SIGHUP: reloading %s", d->conns.conf->path);
	nc = calloc(1, sizeof(*nc));
	if (!nc) {
		rgmd_err("reload refused: out of memory; keeping the running configuration");
		return;
	}
	if (rgmd_conf_load(nc, d->conns.conf->path, err, sizeof(err)))
		goto refuse;
	rgmd_conf_tls_opts(nc, &o);
	tls = rgm_tls_new(&o, err, sizeof(err));
	if (!tls)
		goto refuse;
	if (rgmd_engine_set_policy(d->conns.engine, &nc->policy, err, sizeof(err))) {
		rgm_tls_put(tls);
		goto refuse;
	}
	if (nc->mode != d->conns.conf->mode ||
	    (nc->listen && d->conns.conf->listen && strcmp(nc->listen, d->conns.conf->listen)))
		rgmd_warn("reload: mode and listen address need a restart; unchanged");
	if (nc->dataplane != d->conns.conf->dataplane)
		rgmd_warn("reload: the dataplane needs a restart; unchanged");
	nc->dataplane = d->conns.conf->dataplane;
	/* Open sessions keep the credentials they were verified with; new
	 * ones use the new certificates, allow list and limits. */
	rgm_tls_put(d->conns.tls);
	d->conns.tls = tls;
	nc->mode = d->conns.conf->mode;
	if (d->conns.conf->listen) {
		free(nc->listen);
		nc->listen = strdup(d->conns.conf->listen);
	}
	rgmd_conf_free(d->conns.conf);
	free(d->conns.conf);
	d->conns.conf = nc;
	rgmd_info("reload: new configuration in force");
	return;

refuse:
	rgmd_err("reload refused, keeping the running configuration: %s", err);
	rgmd_conf_free(nc);
	free(nc);
}

static void rgmd_loop_signal(struct rgmd *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			rgmd_loop_reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			rgmd_info("%s: stopping; installed mappings stay until their leases end",
				  strsignal(si.ssi_signo));
			d->stop = true;
			break;
		}
	}
}

int rgmd_loop_setup(struct rgmd *d, struct rgmd_conf *conf, struct rgmd_engine *engine,
		    struct rgm_tls *tls)
{
	sigset_t mask;
	int err;

	memset(d, 0, sizeof(*d));
	d->conns.conf = conf;
	d->conns.engine = engine;
	d->conns.tls = tls;
	d->listen_fd = -1;
	d->listen_ev.kind = RGMD_EV_LISTEN;
	d->signal_ev.kind = RGMD_EV_SIGNAL;
	d->engine_ev.kind = RGMD_EV_ENGINE;

	d->conns.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->conns.epfd < 0)
		return -errno;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0) {
		err = -errno;
		goto err_signal;
	}
	err = rgmd_loop_epoll_add(d, d->signal_fd, &d->signal_ev);
	if (err)
		goto err_signal_add;
	if (rgmd_engine_events_fd(engine) >= 0) {
		err = rgmd_loop_epoll_add(d, rgmd_engine_events_fd(engine), &d->engine_ev);
		if (err)
			goto err_signal_add;
	}
	if (conf->mode == RGMD_MODE_LISTEN) {
		err = rgmd_loop_listen_setup(d);
		if (err)
			goto err_signal_add;
		err = rgmd_loop_epoll_add(d, d->listen_fd, &d->listen_ev);
		if (err)
			goto err_listen_add;
	} else {
		d->home.retry_at = 1;	/* dial at once */
	}
	return 0;

err_listen_add:
	close(d->listen_fd);
err_signal_add:
	close(d->signal_fd);
err_signal:
	close(d->conns.epfd);
	return err;
}

void rgmd_loop_teardown(struct rgmd *d)
{
	d->stop = true;
	while (d->conns.head) {
		rgmd_conn_close(d->conns.head, NULL);
		rgmd_conn_free(d->conns.head);
	}
	d->home.conn = NULL;
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	close(d->signal_fd);
	close(d->conns.epfd);
}

/* The next deadline of anything, as an epoll_wait timeout. */
static int rgmd_loop_timeout(struct rgmd *d, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	struct rgmd_conn *c;
	int t;

	for (c = d->conns.head; c; c = c->next) {
		if (c->busy)
			return 0;
		if (c->deadline && c->deadline < next)
			next = c->deadline;
	}
	if (d->home.retry_at && d->home.retry_at < next)
		next = d->home.retry_at;
	if (d->listen_resume_at && d->listen_resume_at < next)
		next = d->listen_resume_at;
	t = rgmd_engine_timeout_ms(d->conns.engine);
	if (t >= 0 && now + t < next)
		next = now + t;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > 60000 ? 60000 : (int)(next - now);
}

static void rgmd_loop_reap(struct rgmd *d)
{
	struct rgmd_conn *c, *n;

	for (c = d->conns.head; c; c = n) {
		n = c->next;
		if (c->state != RGMD_CONN_DEAD)
			continue;
		/* call-home learns here that its session ended */
		if (c == d->home.conn) {
			d->home.conn = NULL;
			if (!d->stop)
				rgmd_home_lost(&d->home, c->peer.name != NULL);
		}
		rgmd_conn_free(c);
	}
}

int rgmd_loop_run(struct rgmd *d)
{
	struct epoll_event evs[64];
	struct rgmd_conn *c;
	uint64_t now;
	int n, i;

	while (!d->stop) {
		now = rgmd_clock_ms();
		n = epoll_wait(d->conns.epfd, evs, 64, rgmd_loop_timeout(d, now));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rgmd_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct rgmd_ev *ev = evs[i].data.ptr;

			switch (ev->kind) {
			case RGMD_EV_LISTEN:
				rgmd_loop_accept(d);
				break;
			case RGMD_EV_SIGNAL:
				rgmd_loop_signal(d);
				break;
			case RGMD_EV_ENGINE:
				rgmd_engine_events(d->conns.engine, rgmd_loop_notify_all, d);
				break;
			case RGMD_EV_CONN:
				c = (struct rgmd_conn *)ev;
				rgmd_conn_io(c, evs[i].events);
				break;
			}
		}
		now = rgmd_clock_ms();
		for (c = d->conns.head; c; c = c->next) {
			if (c->busy && c->state == RGMD_CONN_OPEN)
				rgmd_conn_io(c, 0);
			if (c->deadline && c->deadline <= now)
				rgmd_conn_expire(c);
		}
		if (rgmd_engine_timeout_ms(d->conns.engine) == 0)
			rgmd_engine_tick(d->conns.engine);
		rgmd_loop_reap(d);
		if (!d->stop && d->home.retry_at && d->home.retry_at <= now)
			rgmd_home_dial(&d->home, &d->conns);
		if (d->listen_resume_at && d->listen_resume_at <= now) {
			d->listen_resume_at = 0;
			if (rgmd_loop_epoll_add(d, d->listen_fd, &d->listen_ev))
				rgmd_err("cannot resume accepting: %s", strerror(errno));
		}
	}
	return 0;
}
