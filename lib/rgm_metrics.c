// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text format writer and lock-free counters (rgm_metrics.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rgm_metrics.h"

const double rgm_hist_bounds[RGM_HIST_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void rgm_hist_observe(struct rgm_hist *h, uint64_t us)
{
	unsigned int i;

	for (i = 0; i < RGM_HIST_BUCKETS; i++)
		if ((double)us <= rgm_hist_bounds[i] * 1e6)
			break;
	if (i < RGM_HIST_BUCKETS)
		rgm_counter_add(&h->bucket[i], 1);
	rgm_counter_add(&h->sum_us, us);
	rgm_counter_add(&h->count, 1);
}

uint64_t rgm_metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void rgm_prom_printf(struct rgm_prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rgm_prom_printf(struct rgm_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf ? p->buf + p->len : NULL, p->cap - p->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->oom = true;
			return;
		}
		if ((size_t)n < p->cap - p->len) {
			p->len += n;
			return;
		}
		{
			size_t cap = p->cap ? 2 * p->cap : 4096;
			char *b;

			while (cap - p->len <= (size_t)n)
				cap *= 2;
			b = realloc(p->buf, cap);
			if (!b) {
				p->oom = true;
				return;
			}
			p->buf = b;
			p->cap = cap;
		}
	}
}

void rgm_prom_family(struct rgm_prom *p, const char *name, const char *type,
		     const char *help)
{
	rgm_prom_printf(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void rgm_prom_u64(struct rgm_prom *p, const char *name, const char *labels, uint64_t v)
{
	if (labels && labels[0])
		rgm_prom_printf(p, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
	else
		rgm_prom_printf(p, "%s %llu\n", name, (unsigned long long)v);
}

void rgm_prom_hist(struct rgm_prom *p, const char *name, const char *labels,
		   const struct rgm_hist *h)
{
	const char *sep = labels && labels[0] ? "," : "";
	uint64_t count = rgm_counter_get(&h->count), cum = 0;
	unsigned int i;

	if (!labels)
		labels = "";
	for (i = 0; i < RGM_HIST_BUCKETS; i++) {
		cum += rgm_counter_get(&h->bucket[i]);
		/* a scrape between two adds must still be monotonic */
		if (cum > count)
			count = cum;
		rgm_prom_printf(p, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
				rgm_hist_bounds[i], (unsigned long long)cum);
	}
	rgm_prom_printf(p, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
			(unsigned long long)count);
	rgm_prom_printf(p, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels,
			labels[0] ? "}" : "", rgm_counter_get(&h->sum_us) / 1e6);
	rgm_prom_printf(p, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "", labels,
			labels[0] ? "}" : "", (unsigned long long)count);
}

char *rgm_prom_take(struct rgm_prom *p, size_t *len)
{
	char *b = p->buf;

	if (p->oom || !b) {
		free(b);
		b = NULL;
		if (len)
			*len = 0;
	} else if (len) {
		*len = p->len;
	}
	memset(p, 0, sizeof(*p));
	return b;
}
