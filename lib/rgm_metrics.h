/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), as the
 * configuration server and the portal serve them on GET /metrics and rgmd
 * writes them on its metrics socket (Documentation/operations.rst,
 * "Metrics"). Counters and histograms are updated with atomic adds from any
 * thread; a scrape reads them without a lock (each value is consistent on
 * its own, which is all the format promises).
 *
 * Label values come from the programs' own fixed tables (route names,
 * reasons), never from a request: nothing here escapes them.
 */
#ifndef RGM_METRICS_H
#define RGM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RGM_PROM_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* Latency buckets, in seconds: 1 ms .. 10 s, then +Inf. */
#define RGM_HIST_BUCKETS	12
extern const double rgm_hist_bounds[RGM_HIST_BUCKETS];

struct rgm_hist {
	uint64_t bucket[RGM_HIST_BUCKETS];	/* not cumulative: one per bound */
	uint64_t count;
	uint64_t sum_us;
};

/* Records one observation of us microseconds. */
void rgm_hist_observe(struct rgm_hist *h, uint64_t us);

/* Microseconds on the monotonic clock (for durations). */
uint64_t rgm_metrics_now_us(void);

static inline void rgm_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t rgm_counter_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* A text being written; an allocation failure sticks (oom) and the text
 * is then dropped by rgm_prom_take. */
struct rgm_prom {
	char *buf;
	size_t len, cap;
	bool oom;
};

/* # HELP and # TYPE lines of a metric family (type: counter, gauge,
 * histogram). Once per family, before its samples. */
void rgm_prom_family(struct rgm_prom *p, const char *name, const char *type,
		     const char *help);
/* One sample: name{labels} value. labels: "a=\"x\",b=\"y\"" or NULL. */
void rgm_prom_u64(struct rgm_prom *p, const char *name, const char *labels, uint64_t v);
/* The _bucket (cumulative, le=...), _sum (seconds) and _count samples. */
void rgm_prom_hist(struct rgm_prom *p, const char *name, const char *labels,
		   const struct rgm_hist *h);
/* The text (NUL-terminated, malloc'd; *len its length), or NULL when
 * memory ran out. p is empty again. */
char *rgm_prom_take(struct rgm_prom *p, size_t *len);

#endif /* RGM_METRICS_H */
