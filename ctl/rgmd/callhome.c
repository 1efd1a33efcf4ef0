// SPDX-License-Identifier: GPL-2.0
/*
 * Call-home: the agent dials the configuration server, so the gateway needs
 * no listening port on the WAN. It is the TLS client there but still the
 * responder of the protocol. A lost or refused session is retried with
 * exponential backoff and jitter (so a fleet of gateways does not reconnect
 * in lockstep after a server restart), capped at RGMD_HOME_BACKOFF_MAX_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "callhome.h"
#include "clock.h"
#include "conf.h"
#include "conn.h"
#include "log.h"

#define RGMD_HOME_BACKOFF_MIN_MS	1000
#define RGMD_HOME_BACKOFF_MAX_MS	60000

/* TCP keepalive: a dead path is noticed in about a minute and a half even
 * when the server has nothing to ask. */
static void rgmd_home_keepalive(int fd)
{
	int on = 1, idle = 30, intvl = 10, cnt = 3;
	unsigned int user_timeout = 60000;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	/* Unacknowledged data counts too, not just silence. */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

void rgmd_home_lost(struct rgmd_home *h, bool was_authed)
{
	unsigned int b, jitter = 0;

	if (was_authed)
		h->backoff_ms = 0;
	b = h->backoff_ms ? h->backoff_ms * 2 : RGMD_HOME_BACKOFF_MIN_MS;
	if (b > RGMD_HOME_BACKOFF_MAX_MS)
		b = RGMD_HOME_BACKOFF_MAX_MS;
	h->backoff_ms = b;
	/* Full jitter over the upper half: wait in [b/2, b). */
	if (getrandom(&jitter, sizeof(jitter), GRND_NONBLOCK) != sizeof(jitter))
		jitter = (unsigned int)rgmd_clock_ms();
	b = b / 2 + jitter % (b / 2);
	h->retry_at = rgmd_clock_ms() + b;
	rgmd_info("call-home: next attempt in %u.%03u s", b / 1000, b % 1000);
}

void rgmd_home_dial(struct rgmd_home *h, struct rgmd_conns *cs)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char host[256], port[16], addr[64];
	struct rgmd_conn *c;
	int fd = -1, ret;

	h->retry_at = 0;
	if (h->conn)
		return;
	if (rgmd_conf_split_host_port(cs->conf->server, host, sizeof(host), port, sizeof(port))) {
		rgmd_err("call-home: bad server '%s'", cs->conf->server);
		goto retry;
	}
	/* Blocking resolution: bounded by the resolver's own timeouts, and
	 * only ever on this one reconnect path. */
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		rgmd_warn("call-home: cannot resolve %s: %s", host, gai_strerror(ret));
		goto retry;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		rgmd_home_keepalive(fd);
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen) || errno == EINPROGRESS)
			break;
		rgmd_warn("call-home: connect to %s: %s", cs->conf->server, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		goto retry;

	snprintf(addr, sizeof(addr), "%s", cs->conf->server);
	c = rgmd_conn_new(cs, fd, true, addr);
	if (!c) {
		close(fd);
		goto retry;
	}
	h->conn = c;
	rgmd_dbg("call-home: dialing %s", cs->conf->server);
	return;

retry:
	rgmd_home_lost(h, false);
}
