// SPDX-License-Identifier: GPL-2.0
/*
 * The appliance's own gateway, whatever it speaks (ap.h, struct ap_gw):
 * the part every kind shares (gw_upnp.c and gw_pcp.c build on it), and
 * the keeper that renews the mappings until the title is done.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ap.h"

void ap_gw_err(struct ap_gw_error *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void ap_gw_init(struct ap_gw *g, const struct ap_gw_ops *ops)
{
	g->ops = ops;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
}

int ap_gw_map(struct ap_gw *g, const struct ap_gw_map *maps, unsigned int n,
	      unsigned int lease, struct ap_gw_error *e)
{
	return g->ops->map(g, maps, n, lease, e);
}

int ap_gw_external(struct ap_gw *g, struct in_addr *out, struct ap_gw_error *e)
{
	return g->ops->external(g, out, e);
}

static void *ap_gw_keeper(void *arg)
{
	struct ap_gw *g = arg;
	struct timespec now, ts;
	time_t expiry;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&g->lock);
	expiry = now.tv_sec + g->lease;
	while (!g->stop) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = now;
		ts.tv_sec += expiry > now.tv_sec + 2 ? (expiry - now.tv_sec) / 2 : 1;
		if (!pthread_cond_timedwait(&g->cond, &g->lock, &ts) || g->stop)
			continue;
		if (g->ops->renew(g)) {
			clock_gettime(CLOCK_REALTIME, &now);
			expiry = now.tv_sec + g->lease;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int ap_gw_keep(struct ap_gw *g)
{
	if (pthread_create(&g->keeper, NULL, ap_gw_keeper, g))
		return -1;
	g->keeping = true;
	return 0;
}

void ap_gw_close(struct ap_gw *g)
{
	if (!g)
		return;
	if (g->keeping) {
		pthread_mutex_lock(&g->lock);
		g->stop = true;
		pthread_cond_signal(&g->cond);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->keeper, NULL);
		g->keeping = false;
	}
	g->ops->unmap(g);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	g->ops->free(g);
}
