// SPDX-License-Identifier: GPL-2.0
/*
 * The portal's metrics (GET /metrics, loopback clients only: see
 * Documentation/portal.rst, "Metrics"): requests by route and status class,
 * and a latency histogram per route. Lock-free counters (lib/rgm_metrics.h).
 */
#include <stdio.h>
#include <string.h>

#include "portal.h"
#include "rgm_metrics.h"

/* Every route portal_http_route() names, and "none" last. */
static const char *const portal_metrics_routes[] = {
	"/", "/titles/{id}", "/static/{file}", "/v1/health", "/v1/titles", "/v1/plays/{id}",
	"/metrics", "/v1/register", "/v1/watch", "/v1/stop", "/v1/report", "/v1/announce",
	"/v1/next", "/v1/pair", "/v1/play", "/v1/play/stop", "none",
};
#define PORTAL_METRICS_N	(sizeof(portal_metrics_routes) / sizeof(portal_metrics_routes[0]))

static struct {
	uint64_t status[6];		/* by class: 1xx..5xx in [1..5] */
	struct rgm_hist latency;
} portal_metrics[PORTAL_METRICS_N];

void portal_metrics_request(const char *route, unsigned int status, uint64_t us)
{
	unsigned int i;

	if (status < 100 || status > 599)
		return;
	for (i = 0; i < PORTAL_METRICS_N - 1; i++)
		if (route && !strcmp(route, portal_metrics_routes[i]))
			break;
	rgm_counter_add(&portal_metrics[i].status[status / 100], 1);
	rgm_hist_observe(&portal_metrics[i].latency, us);
}

char *portal_metrics_text(size_t *len)
{
	struct rgm_prom p = { 0 };
	char labels[96];
	unsigned int i, k;

	rgm_prom_family(&p, "rgm_portal_http_requests_total", "counter",
			"HTTP requests answered, by route and status class.");
	for (i = 0; i < PORTAL_METRICS_N; i++) {
		for (k = 1; k <= 5; k++) {
			uint64_t v = rgm_counter_get(&portal_metrics[i].status[k]);

			if (!v)
				continue;
			snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%uxx\"",
				 portal_metrics_routes[i], k);
			rgm_prom_u64(&p, "rgm_portal_http_requests_total", labels, v);
		}
	}
	rgm_prom_family(&p, "rgm_portal_http_request_duration_seconds", "histogram",
			"Time from a request's first byte to its reply, by route.");
	for (i = 0; i < PORTAL_METRICS_N; i++) {
		if (!rgm_counter_get(&portal_metrics[i].latency.count))
			continue;
		snprintf(labels, sizeof(labels), "route=\"%s\"", portal_metrics_routes[i]);
		rgm_prom_hist(&p, "rgm_portal_http_request_duration_seconds", labels,
			      &portal_metrics[i].latency);
	}
	return rgm_prom_take(&p, len);
}
