// SPDX-License-Identifier: GPL-2.0
/*
 * Call-home: gateways whose rgmd dials us (no port open on their WAN side).
 *
 * One thread accepts TCP connections on call-home-listen and runs their
 * TLS handshakes as the server, requiring a client certificate from the
 * gateway CA. The gateway is then known by the pin of the key it presented
 * (rgm_db_gateway_find_pin through env->find_pin) and its connection is
 * handed to its link (link.c), which says hello and carries the calls: we
 * stay the protocol's client although we are the TCP and TLS server.
 *
 * At most CS_CALLHOME_PENDING_MAX handshakes run at once, each within the
 * connect timeout; the others wait in the kernel's accept queue. A
 * connection that would take one of the descriptors kept for the API
 * (call-home-fd-reserve, fdres.c) is closed at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "confserver.h"
#include "link.h"
#include "rgm_tls.h"

#define CS_CALLHOME_PAUSE_MS	100	/* after accept() ran out of descriptors */
#define CS_CALLHOME_PAUSE_LOG_MS 10000

struct cs_callhome_pending {
	int fd;
	struct rgm_tls_conn *conn;
	int64_t deadline;
	char addr[64];
};

struct cs_callhome {
	struct cs_driver_env env;
	struct cs_links *links;
	struct rgm_tls *tls;
	int lfd;
	int wake[2];
	bool stop;
	struct cs_fdres fdres;
	int64_t paused_until;		/* out of descriptors: accept nothing until */
	int64_t pause_logged_at;
	pthread_t thread;
	struct cs_callhome_pending p[CS_CALLHOME_PENDING_MAX];
	unsigned int n;
};

static void cs_callhome_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static void cs_callhome_drop(struct cs_callhome *h, unsigned int i)
{
	rgm_tls_conn_free(h->p[i].conn);
	close(h->p[i].fd);
	h->p[i] = h->p[--h->n];
}

static void cs_callhome_accept(struct cs_callhome *h)
{
	struct cs_callhome_pending *p;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	while (h->n < CS_CALLHOME_PENDING_MAX) {
		sl = sizeof(ss);
		fd = accept4(h->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The connection stays queued and the listening
				 * socket readable: polling it again at once would
				 * spin a core. */
				int64_t now = cs_now_ms();

				h->paused_until = now + CS_CALLHOME_PAUSE_MS;
				/* once in a while, not every pause */
				if (now - h->pause_logged_at < CS_CALLHOME_PAUSE_LOG_MS &&
				    h->pause_logged_at)
					return;
				h->pause_logged_at = now;
			}
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				cs_log(CS_LOG_WARN, "call-home: accept: %m");
			return;
		}
		if (!cs_fdres_admit(&h->fdres, cs_now_ms())) {
			close(fd);
			continue;
		}
		p = &h->p[h->n];
		memset(p, 0, sizeof(*p));
		p->fd = fd;
		p->deadline = cs_now_ms() + h->env.connect_timeout_ms;
		cs_callhome_addr(&ss, p->addr, sizeof(p->addr));
		if (rgm_tls_conn_new(h->tls, true, fd, &p->conn)) {
			cs_log(CS_LOG_ERR, "call-home from %s: out of memory", p->addr);
			close(fd);
			continue;
		}
		h->n++;
	}
}

/* The handshake of pending i is done: who is it? */
static void cs_callhome_identify(struct cs_callhome *h, unsigned int i)
{
	struct cs_callhome_pending *p = &h->p[i];
	struct rgm_db_gateway gw;
	const char *pin = rgm_tls_conn_peer_pin(p->conn);
	int ret = -ENOENT;

	if (pin && h->env.find_pin)
		ret = h->env.find_pin(h->env.priv, pin, &gw);
	if (ret) {
		cs_log(CS_LOG_WARN,
		       "call-home from %s: no gateway is enrolled with %s (%s): closed", p->addr,
		       pin ? pin : "(no pin)", rgm_tls_conn_peer(p->conn));
		cs_callhome_drop(h, i);
		return;
	}
	if (gw.mode != RGM_GW_CALL_HOME) {
		cs_log(CS_LOG_WARN,
		       "call-home from %s: gateway %s is enrolled in %s mode, not call-home: "
		       "closed", p->addr, gw.id, rgm_gw_mode_name(gw.mode));
		cs_callhome_drop(h, i);
		return;
	}
	/* The link takes the connection over. */
	cs_links_attach(h->links, &gw, p->fd, p->conn, p->addr);
	h->p[i] = h->p[--h->n];
}

static void cs_callhome_step(struct cs_callhome *h, unsigned int i)
{
	struct cs_callhome_pending *p = &h->p[i];
	int ret = rgm_tls_conn_handshake(p->conn);

	if (ret == -EAGAIN)
		return;
	if (ret) {
		const char *pin = rgm_tls_conn_peer_pin(p->conn);

		cs_metrics_handshake_failed(CS_HS_CALLHOME);
		cs_log(CS_LOG_WARN, "call-home from %s%s%s: TLS handshake failed: %s", p->addr,
		       pin ? " presenting " : "", pin ? pin : "", rgm_tls_conn_error(p->conn));
		cs_callhome_drop(h, i);
		return;
	}
	cs_callhome_identify(h, i);
}

static void *cs_callhome_main(void *arg)
{
	struct cs_callhome *h = arg;
	struct pollfd pf[CS_CALLHOME_PENDING_MAX + 2];
	int64_t now, until;
	unsigned int i, n;
	char buf[64];
	int ret;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		now = cs_now_ms();
		until = INT64_MAX;
		for (i = 0; i < h->n; ) {
			if (now >= h->p[i].deadline) {
				cs_log(CS_LOG_WARN,
				       "call-home from %s: no TLS handshake within %u ms: closed",
				       h->p[i].addr, h->env.connect_timeout_ms);
				cs_callhome_drop(h, i);
				continue;
			}
			if (h->p[i].deadline < until)
				until = h->p[i].deadline;
			i++;
		}
		pf[0].fd = h->wake[0];
		pf[0].events = POLLIN;
		/* Full: leave new ones in the accept queue. */
		pf[1].fd = h->n < CS_CALLHOME_PENDING_MAX && now >= h->paused_until ? h->lfd : -1;
		pf[1].events = POLLIN;
		if (now < h->paused_until && h->paused_until < until)
			until = h->paused_until;
		for (i = 0; i < h->n; i++) {
			pf[i + 2].fd = h->p[i].fd;
			pf[i + 2].events = rgm_tls_conn_want_write(h->p[i].conn) ? POLLOUT : POLLIN;
			pf[i + 2].revents = 0;
		}
		n = h->n;
		ret = poll(pf, n + 2, until == INT64_MAX ? -1 : (int)(until - now));
		if (ret < 0 && errno != EINTR) {
			cs_log(CS_LOG_ERR, "call-home: poll: %m");
			break;
		}
		if (ret <= 0)
			continue;
		if (pf[0].revents)
			while (read(h->wake[0], buf, sizeof(buf)) > 0)
				;
		/* Backwards: a finished one is replaced by the last. */
		for (i = n; i-- > 0; )
			if (pf[i + 2].revents)
				cs_callhome_step(h, i);
		if (pf[1].revents)
			cs_callhome_accept(h);
	}
	while (h->n)
		cs_callhome_drop(h, h->n - 1);
	return NULL;
}

static int cs_callhome_listen(const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res;
	char host[256], port[16];
	int fd, on = 1, ret;

	if (cs_split_endpoint(spec, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "call-home-listen: '%.100s' is not HOST:PORT", spec);
		return -1;
	}
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "call-home-listen: %.100s: %s", spec, gai_strerror(ret));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
		snprintf(err, errlen, "call-home-listen: %.100s: %m", spec);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int cs_callhome_start(const struct cs_driver_env *env, struct cs_links *links,
		      struct cs_callhome **out, char *err, size_t errlen)
{
	struct rgm_tls_opts o = {
		.cert = env->cert, .key = env->key, .ca = env->ca, .priority = env->priority,
		/* no allow list: any gateway of the CA, known by its pin next */
	};
	struct cs_callhome *h = calloc(1, sizeof(*h));

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h->env = *env;
	if (!h->env.connect_timeout_ms)
		h->env.connect_timeout_ms = 5000;
	h->links = links;
	h->wake[0] = h->wake[1] = -1;
	cs_fdres_init(&h->fdres, env->callhome_fd_reserve ? env->callhome_fd_reserve :
			  CS_FDRES_DEFAULT);
	h->tls = rgm_tls_new(&o, err, errlen);
	if (!h->tls)
		goto err;
	h->lfd = cs_callhome_listen(env->callhome_listen, err, errlen);
	if (h->lfd < 0)
		goto err;
	if (pipe2(h->wake, O_NONBLOCK | O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %m");
		goto err_fd;
	}
	if (pthread_create(&h->thread, NULL, cs_callhome_main, h)) {
		snprintf(err, errlen, "cannot start the call-home thread");
		goto err_fd;
	}
	cs_log(CS_LOG_INFO, "call-home: listening on %s", env->callhome_listen);
	*out = h;
	return 0;
err_fd:
	close(h->lfd);
	if (h->wake[0] >= 0) {
		close(h->wake[0]);
		close(h->wake[1]);
	}
err:
	rgm_tls_put(h->tls);
	free(h);
	return -1;
}

void cs_callhome_stop(struct cs_callhome *h)
{
	char c = 1;

	if (!h)
		return;
	__atomic_store_n(&h->stop, true, __ATOMIC_RELEASE);
	if (write(h->wake[1], &c, 1) < 0)
		cs_log(CS_LOG_WARN, "call-home: cannot wake the thread: %m");
	pthread_join(h->thread, NULL);
	close(h->lfd);
	close(h->wake[0]);
	close(h->wake[1]);
	rgm_tls_put(h->tls);
	free(h);
}
