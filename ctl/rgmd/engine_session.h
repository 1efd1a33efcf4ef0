/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's sessions (engine_session.c).
 *
 * The kernel table is the source of truth: every request that depends on
 * installed mappings first takes a snapshot of the whole table (one dump) and
 * resynchronizes the session table from it (rgmd_session_sync_all). Sessions
 * therefore never hold a mapping the kernel expired or someone deleted, and
 * mappings with an owner cookie nobody knows become "adopted" sessions.
 */
#ifndef RGMD_ENGINE_SESSION_H
#define RGMD_ENGINE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "rgm_dp.h"
#include "rgm_proto.h"

#define RGMD_RESV_PER_SESSION	64	/* reserved ports one session may hold */
#define RGMD_PEER_MAX		256

struct rgmd_engine;

/* One reserved global port, held until deadline unless a map consumes it. */
struct rgmd_resv {
	uint8_t proto;
	struct in_addr addr;
	uint16_t port;
	uint64_t deadline;	/* rgmd_clock_ms() */
	uint64_t conn_id;	/* released when this connection goes */
};

struct rgmd_session {
	struct rgmd_session *next;
	uint64_t cookie;		/* owner cookie of its kernel tuples */
	bool named;			/* adopted sessions are unnamed until claimed */
	bool adopted;
	char name[RGM_PROTO_SESSION_MAX + 1];
	char peer[RGMD_PEER_MAX];	/* empty: not yet claimed by a peer */
	struct rgm_map *maps;	/* installed, as of the last sync */
	unsigned int n_maps, cap_maps;
	struct rgmd_resv resv[RGMD_RESV_PER_SESSION];
	unsigned int n_resv;
	bool mark;			/* scratch for sync */
};

/* The kernel's table into e->snap (one dump). */
int rgmd_session_snapshot(struct rgmd_engine *e);
/* Every session's mappings rebuilt from e->snap; unknown owners adopted. */
int rgmd_session_sync_all(struct rgmd_engine *e);
struct rgmd_session *rgmd_session_by_cookie(struct rgmd_engine *e, uint64_t cookie);
struct rgmd_session *rgmd_session_new(struct rgmd_engine *e, uint64_t cookie);
void rgmd_session_free(struct rgmd_engine *e, struct rgmd_session *s);
/* Frees the sessions that hold neither mappings nor reservations. */
void rgmd_session_gc(struct rgmd_engine *e);
void rgmd_session_free_all(struct rgmd_engine *e);
int rgmd_session_add_map(struct rgmd_session *s, const struct rgm_map *m);
void rgmd_session_del_map(struct rgmd_session *s, uint32_t id);
/* The reservation of (proto, addr, port) in any session, and its owner. */
struct rgmd_resv *rgmd_session_resv_find(struct rgmd_engine *e, uint8_t proto,
					 struct in_addr addr, uint16_t port,
					 struct rgmd_session **owner);
unsigned int rgmd_session_resv_total(const struct rgmd_engine *e);
void rgmd_session_resv_del(struct rgmd_session *s, unsigned int idx);

#endif /* RGMD_ENGINE_SESSION_H */
