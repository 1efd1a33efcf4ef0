/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd's metrics socket (metrics.c): a unix stream socket named by rgmd.conf
 * "metrics-socket" that writes the Prometheus text format to whoever
 * connects, then closes (Documentation/operations.rst, "Metrics"). Off the
 * WAN by construction: a path on the gateway, mode 0660 (rgmd's user and
 * group), for a local exporter or `socat - UNIX-CONNECT:PATH`.
 */
#ifndef RGMD_METRICS_H
#define RGMD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "rgm_metrics.h"

/* Counted where they happen (conn.c, loop.c); the loop is one thread. */
struct rgmd_counters {
	uint64_t handshakes_failed;	/* refused, broken or timed out */
	uint64_t conns_refused;		/* max-connections reached */
	uint64_t rate_limited;		/* requests answered rate-limited */
	/* a request's time in the engine, policy and dataplane included */
	struct rgm_hist request_latency;
};
extern struct rgmd_counters rgmd_counters;

struct rgmd;

/* Binds and listens on path (a stale socket there is replaced; anything
 * else is an error). The fd, or -errno with a message. */
int rgmd_metrics_open(const char *path, char *err, size_t errlen);
/* Answers every pending connection of fd with one scrape. */
void rgmd_metrics_serve(struct rgmd *d, int fd);
void rgmd_metrics_close(int fd, const char *path);

#endif /* RGMD_METRICS_H */
