// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd sessions: what each configuration-server session holds (installed
 * mappings, reserved ports), kept in step with the kernel's table by a full
 * snapshot before each request that depends on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "engine_session.h"
#include "rgm_dp.h"

static int rgmd_session_snap_cb(const struct rgm_map *m, void *arg)
{
	struct rgmd_engine *e = arg;
	struct rgm_map *n;
	unsigned int cap;

	if (e->n_snap == e->cap_snap) {
		/* the kernel bounds the table (RGM_MAX_MAPPINGS_LIMIT) */
		if (e->cap_snap >= RGM_MAX_MAPPINGS_LIMIT)
			return -E2BIG;
		cap = e->cap_snap ? e->cap_snap * 2 : 256;
		n = realloc(e->snap, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		e->snap = n;
		e->cap_snap = cap;
	}
	e->snap[e->n_snap++] = *m;
	return 0;
}

static void rgmd_session_snap_restart(void *arg)
{
	struct rgmd_engine *e = arg;

	e->n_snap = 0;
}

int rgmd_session_snapshot(struct rgmd_engine *e)
{
	e->n_snap = 0;
	return rgm_dp_map_dump(e->nl, NULL, rgmd_session_snap_cb, rgmd_session_snap_restart, e);
}

struct rgmd_session *rgmd_session_by_cookie(struct rgmd_engine *e, uint64_t cookie)
{
	struct rgmd_session *s;

	for (s = e->sessions; s; s = s->next)
		if (s->cookie == cookie)
			return s;
	return NULL;
}

struct rgmd_session *rgmd_session_new(struct rgmd_engine *e, uint64_t cookie)
{
	struct rgmd_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cookie = cookie;
	s->next = e->sessions;
	e->sessions = s;
	return s;
}

void rgmd_session_free(struct rgmd_engine *e, struct rgmd_session *s)
{
	struct rgmd_session **pp;

	for (pp = &e->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	free(s->maps);
	free(s);
}

void rgmd_session_gc(struct rgmd_engine *e)
{
	struct rgmd_session **pp = &e->sessions, *s;

	while ((s = *pp)) {
		if (!s->n_maps && !s->n_resv) {
			*pp = s->next;
			free(s->maps);
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

void rgmd_session_free_all(struct rgmd_engine *e)
{
	struct rgmd_session *s;

	while ((s = e->sessions)) {
		e->sessions = s->next;
		free(s->maps);
		free(s);
	}
}

int rgmd_session_add_map(struct rgmd_session *s, const struct rgm_map *m)
{
	struct rgm_map *n;
	unsigned int i, cap;

	for (i = 0; i < s->n_maps; i++) {
		if (s->maps[i].id == m->id) {
			s->maps[i] = *m;
			return 0;
		}
	}
	if (s->n_maps == s->cap_maps) {
		cap = s->cap_maps ? s->cap_maps * 2 : 4;
		n = realloc(s->maps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->maps = n;
		s->cap_maps = cap;
	}
	s->maps[s->n_maps++] = *m;
	return 0;
}

void rgmd_session_del_map(struct rgmd_session *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->n_maps; i++) {
		if (s->maps[i].id == id) {
			s->maps[i] = s->maps[--s->n_maps];
			return;
		}
	}
}

/*
 * Rebuilds every session's mapping list from the snapshot. Owner cookie 0 is
 * what rgmctl uses by default: those are the administrator's, not a session's.
 */
int rgmd_session_sync_all(struct rgmd_engine *e)
{
	struct rgmd_session *s;
	unsigned int i;
	int ret;

	for (s = e->sessions; s; s = s->next)
		s->n_maps = 0;
	for (i = 0; i < e->n_snap; i++) {
		const struct rgm_map *m = &e->snap[i];

		if (!m->owner)
			continue;
		s = rgmd_session_by_cookie(e, m->owner);
		if (!s) {
			s = rgmd_session_new(e, m->owner);
			if (!s)
				return -ENOMEM;
			s->adopted = true;
		}
		ret = rgmd_session_add_map(s, m);
		if (ret)
			return ret;
	}
	rgmd_session_gc(e);
	return 0;
}

struct rgmd_resv *rgmd_session_resv_find(struct rgmd_engine *e, uint8_t proto, struct in_addr addr,
					 uint16_t port, struct rgmd_session **owner)
{
	struct rgmd_session *s;
	unsigned int i;

	for (s = e->sessions; s; s = s->next) {
		for (i = 0; i < s->n_resv; i++) {
			struct rgmd_resv *r = &s->resv[i];

			if (r->proto == proto && r->addr.s_addr == addr.s_addr && r->port == port) {
				if (owner)
					*owner = s;
				return r;
			}
		}
	}
	return NULL;
}

unsigned int rgmd_session_resv_total(const struct rgmd_engine *e)
{
	const struct rgmd_session *s;
	unsigned int n = 0;

	for (s = e->sessions; s; s = s->next)
		n += s->n_resv;
	return n;
}

void rgmd_session_resv_del(struct rgmd_session *s, unsigned int idx)
{
	s->resv[idx] = s->resv[--s->n_resv];
}
