// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd's metrics socket: one Prometheus text per connection (metrics.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "rgm_metrics.h"

struct rgmd_counters rgmd_counters;

int rgmd_metrics_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "metrics-socket: %s: longer than %zu bytes", path,
			 sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* a socket left by a previous run is ours to replace; nothing else is */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "metrics-socket: %s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* owner and group (rgmd's): a local exporter in group rgmd may scrape */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0660) ||
	    listen(fd, 8))
		goto fail;
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "metrics-socket: %s: %s", path, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

void rgmd_metrics_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	if (path)
		unlink(path);
}

static char *rgmd_metrics_text(struct rgmd *d, size_t *len)
{
	static const struct { int attr; const char *reason; } drops[] = {
		{ RGM_STATS_A_DROP_NO_MAPPING, "no_mapping" },
		{ RGM_STATS_A_DROP_WRONG_SERVER, "wrong_server" },
		{ RGM_STATS_A_DROP_NOT_RTP, "not_rtp" },
		{ RGM_STATS_A_DROP_UNTRACKED, "untracked" },
	};
	struct rgmd_engine *e = d->conns.engine;
	struct rgm_prom p = { 0 };
	struct rgm_stats st = { 0 };
	bool dp_ok = !rgmd_engine_dp_stats(e, &st);
	char labels[64];
	unsigned int i;

	rgm_prom_family(&p, "rgm_dataplane_up", "gauge",
			"1 when the dataplane's counters could be read (the rgm_dataplane_* "
			"samples are only there then).");
	snprintf(labels, sizeof(labels), "dataplane=\"%s\"",
		 rgm_dp_name(rgmd_engine_dataplane(e)));
	rgm_prom_u64(&p, "rgm_dataplane_up", labels, dp_ok);
	if (dp_ok) {
		rgm_prom_family(&p, "rgm_dataplane_mappings", "gauge", "Mappings installed now.");
		rgm_prom_u64(&p, "rgm_dataplane_mappings", NULL, st.v[RGM_STATS_A_MAPPINGS]);
		rgm_prom_family(&p, "rgm_dataplane_mappings_added_total", "counter",
				"Mappings installed since the network namespace began.");
		rgm_prom_u64(&p, "rgm_dataplane_mappings_added_total", NULL,
			     st.v[RGM_STATS_A_ADDED]);
		rgm_prom_family(&p, "rgm_dataplane_mappings_deleted_total", "counter",
				"Mappings removed by a command or a flush.");
		rgm_prom_u64(&p, "rgm_dataplane_mappings_deleted_total", NULL,
			     st.v[RGM_STATS_A_DELETED]);
		rgm_prom_family(&p, "rgm_dataplane_mappings_expired_total", "counter",
				"Mappings removed when their lease ran out.");
		rgm_prom_u64(&p, "rgm_dataplane_mappings_expired_total", NULL,
			     st.v[RGM_STATS_A_EXPIRED]);
		rgm_prom_family(&p, "rgm_dataplane_flows_translated_total", "counter",
				"New flows bound to a mapping.");
		rgm_prom_u64(&p, "rgm_dataplane_flows_translated_total", NULL,
			     st.v[RGM_STATS_A_TRANSLATED]);
		rgm_prom_family(&p, "rgm_dataplane_drops_total", "counter",
				"Packets to a managed port dropped, by reason.");
		for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
			snprintf(labels, sizeof(labels), "reason=\"%s\"", drops[i].reason);
			rgm_prom_u64(&p, "rgm_dataplane_drops_total", labels, st.v[drops[i].attr]);
		}
	}
	rgm_prom_family(&p, "rgmd_requests_total", "counter",
			"Requests answered, by result (ok, or the error code).");
	for (i = 0; i < __RGM_ERR_MAX; i++) {
		uint64_t v = rgmd_engine_answered(e, i);

		if (i == RGM_ERR_RATE_LIMITED)
			v += rgmd_counters.rate_limited;	/* answered by conn.c */
		snprintf(labels, sizeof(labels), "result=\"%s\"",
			 i == RGM_ERR_NONE ? "ok" : rgm_err_name(i));
		rgm_prom_u64(&p, "rgmd_requests_total", labels, v);
	}
	rgm_prom_family(&p, "rgmd_request_duration_seconds", "histogram",
			"Time the engine took to answer a request (policy and dataplane "
			"included; not the rate-limited ones).");
	rgm_prom_hist(&p, "rgmd_request_duration_seconds", NULL, &rgmd_counters.request_latency);
	rgm_prom_family(&p, "rgmd_handshakes_failed_total", "counter",
			"TLS handshakes refused (certificate, allow list), broken or timed out.");
	rgm_prom_u64(&p, "rgmd_handshakes_failed_total", NULL, rgmd_counters.handshakes_failed);
	rgm_prom_family(&p, "rgmd_connections_refused_total", "counter",
			"Connections closed at once: max-connections reached.");
	rgm_prom_u64(&p, "rgmd_connections_refused_total", NULL, rgmd_counters.conns_refused);
	rgm_prom_family(&p, "rgmd_connections", "gauge", "Peer connections open now.");
	rgm_prom_u64(&p, "rgmd_connections", NULL, d->conns.n);
	rgm_prom_family(&p, "rgmd_sessions", "gauge",
			"Sessions (authenticated peers) the engine knows.");
	rgm_prom_u64(&p, "rgmd_sessions", NULL, rgmd_engine_n_sessions(e));
	return rgm_prom_take(&p, len);
}

void rgmd_metrics_serve(struct rgmd *d, int fd)
{
	size_t len, off;
	ssize_t n;
	char *text;
	int c;

	for (;;) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				rgmd_warn("metrics-socket: accept: %s", strerror(errno));
			return;
		}
		text = rgmd_metrics_text(d, &len);
		/* a few KiB into an empty socket buffer: one write, never a wait;
		 * a reader that does not read loses the rest, not the loop */
		for (off = 0; text && off < len; off += n) {
			n = send(c, text + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
		}
		free(text);
		close(c);
	}
}
