// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration server's metrics (GET /metrics, operator role): HTTP
 * requests by route and status class with a latency histogram per route,
 * gateway TLS handshakes that failed, and the gateways and sessions in the
 * database. Counters are process-wide and lock-free (lib/rgm_metrics.h).
 */
#include <stdio.h>
#include <string.h>

#include "confserver.h"
#include "rgm_metrics.h"

struct cs_metrics_route {
	const char *method, *path;	/* static strings of the route table */
	uint64_t status[6];		/* by class: 1xx..5xx in [1..5], [0] unused */
	struct rgm_hist latency;
};

static struct cs_metrics_route cs_metrics_routes[CS_METRICS_ROUTES];
static uint64_t cs_metrics_hs[__CS_HS_MAX];
static uint64_t cs_metrics_ch_refused;

void cs_metrics_request(unsigned int route, const char *method, const char *path,
			unsigned int status, uint64_t us)
{
	struct cs_metrics_route *r;

	if (route >= CS_METRICS_ROUTES || status < 100 || status > 599)
		return;
	r = &cs_metrics_routes[route];
	/* the same static pointers every time: a racing scrape sees them or NULL */
	__atomic_store_n(&r->method, method, __ATOMIC_RELAXED);
	__atomic_store_n(&r->path, path, __ATOMIC_RELAXED);
	rgm_counter_add(&r->status[status / 100], 1);
	rgm_hist_observe(&r->latency, us);
}

void cs_metrics_handshake_failed(enum cs_metrics_hs where)
{
	if (where < __CS_HS_MAX)
		rgm_counter_add(&cs_metrics_hs[where], 1);
}

void cs_metrics_callhome_refused(void)
{
	rgm_counter_add(&cs_metrics_ch_refused, 1);
}

char *cs_metrics_text(const struct cs_service_counts *c, size_t *len)
{
	static const char *const hs_names[__CS_HS_MAX] = { "dial", "call-home" };
	struct rgm_prom p = { 0 };
	char labels[160];
	unsigned int i, k;

	rgm_prom_family(&p, "rgm_confserver_http_requests_total", "counter",
			"HTTP requests answered, by route and status class.");
	for (i = 0; i < CS_METRICS_ROUTES; i++) {
		const struct cs_metrics_route *r = &cs_metrics_routes[i];
		const char *m = __atomic_load_n(&r->method, __ATOMIC_RELAXED);
		const char *path = __atomic_load_n(&r->path, __ATOMIC_RELAXED);

		if (!m || !path)
			continue;
		for (k = 1; k <= 5; k++) {
			uint64_t v = rgm_counter_get(&r->status[k]);

			if (!v)
				continue;
			snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\",code=\"%uxx\"",
				 m, path, k);
			rgm_prom_u64(&p, "rgm_confserver_http_requests_total", labels, v);
		}
	}
	rgm_prom_family(&p, "rgm_confserver_http_request_duration_seconds", "histogram",
			"Time from a request's first byte to its reply, by route.");
	for (i = 0; i < CS_METRICS_ROUTES; i++) {
		const struct cs_metrics_route *r = &cs_metrics_routes[i];
		const char *m = __atomic_load_n(&r->method, __ATOMIC_RELAXED);
		const char *path = __atomic_load_n(&r->path, __ATOMIC_RELAXED);

		if (!m || !path)
			continue;
		snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"", m, path);
		rgm_prom_hist(&p, "rgm_confserver_http_request_duration_seconds", labels,
			      &r->latency);
	}
	rgm_prom_family(&p, "rgm_confserver_gateway_handshakes_failed_total", "counter",
			"TLS handshakes with gateways that failed or were refused.");
	for (i = 0; i < __CS_HS_MAX; i++) {
		snprintf(labels, sizeof(labels), "direction=\"%s\"", hs_names[i]);
		rgm_prom_u64(&p, "rgm_confserver_gateway_handshakes_failed_total", labels,
			     rgm_counter_get(&cs_metrics_hs[i]));
	}
	rgm_prom_family(&p, "rgm_confserver_callhome_refused_total", "counter",
			"Call-home connections closed at once: the process's descriptors were "
			"within call-home-fd-reserve of its limit.");
	rgm_prom_u64(&p, "rgm_confserver_callhome_refused_total", NULL,
		     rgm_counter_get(&cs_metrics_ch_refused));
	rgm_prom_family(&p, "rgm_confserver_gateways", "gauge", "Gateways enrolled.");
	rgm_prom_u64(&p, "rgm_confserver_gateways", NULL, c->gateways);
	rgm_prom_family(&p, "rgm_confserver_sessions", "gauge",
			"Sessions not yet closed, by state.");
	rgm_prom_u64(&p, "rgm_confserver_sessions", "state=\"pending\"", c->sessions[0]);
	rgm_prom_u64(&p, "rgm_confserver_sessions", "state=\"active\"", c->sessions[1]);
	return rgm_prom_take(&p, len);
}
