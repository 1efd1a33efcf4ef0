/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd engine internals, shared by ctl/rgmd/engine*.c only.
 *
 * The kernel table is the source of truth: every request that depends on
 * installed mappings first takes a snapshot of the whole table (one dump) and
 * resynchronizes the session table from it (rgmd_sessions_sync). Sessions
 * therefore never hold a mapping the kernel expired or someone deleted, and
 * mappings with an owner cookie nobody knows become "adopted" sessions.
 * The engine is single threaded: the transport calls it from its event loop.
 */
#ifndef RGMD_ENGINE_INT_H
#define RGMD_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "engine.h"
#include "rgm_dp.h"
#include "rgm_policy.h"
#include "rgm_proto.h"

#define RGMD_RESV_PER_SESSION	64	/* reserved ports one session may hold */
#define RGMD_SELF_ADDRS_MAX	64	/* own interface addresses checked */
#define RGMD_PEER_MAX		256

/* One reserved global port, held until deadline unless a map consumes it. */
struct rgmd_resv {
	uint8_t proto;
	struct in_addr addr;
	uint16_t port;
	uint64_t deadline;	/* CLOCK_MONOTONIC ms */
	uint64_t conn_id;	/* released when this connection goes */
};

struct rgmd_session {
	struct rgmd_session *next;
	uint64_t cookie;		/* owner cookie of its kernel tuples */
	bool named;			/* adopted sessions are unnamed until claimed */
	bool adopted;
	char name[RGM_PROTO_SESSION_MAX + 1];
	char peer[RGMD_PEER_MAX];	/* empty: not yet claimed by a peer */
	struct rgm_mapping *maps;	/* installed, as of the last sync */
	unsigned int n_maps, cap_maps;
	struct rgmd_resv resv[RGMD_RESV_PER_SESSION];
	unsigned int n_resv;
	bool mark;			/* scratch for sync */
};

struct rgmd_engine {
	struct rgm_policy pol;
	char gateway_id[128];
	char state_dir[256];
	uint64_t epoch;
	struct rgm_dp *nl;		/* requests */
	struct rgm_dp *ev;		/* events: MAP_NEW, MAP_GONE */
	struct rgmd_session *sessions;
	struct rgm_config kcfg;		/* refreshed by rgmd_kcfg_refresh */
	unsigned int event_overflows;	/* events socket overflows resynced */
	/* the last table snapshot */
	struct rgm_mapping *snap;
	unsigned int n_snap, cap_snap;
};

/* engine_session.c */
uint64_t rgmd_now_ms(void);
int rgmd_snapshot(struct rgmd_engine *e);
int rgmd_sessions_sync(struct rgmd_engine *e);
struct rgmd_session *rgmd_session_by_cookie(struct rgmd_engine *e, uint64_t cookie);
struct rgmd_session *rgmd_session_new(struct rgmd_engine *e, uint64_t cookie);
void rgmd_session_free(struct rgmd_engine *e, struct rgmd_session *s);
void rgmd_sessions_gc(struct rgmd_engine *e);	/* frees the empty ones */
void rgmd_sessions_free_all(struct rgmd_engine *e);
int rgmd_session_add_map(struct rgmd_session *s, const struct rgm_mapping *m);
void rgmd_session_del_map(struct rgmd_session *s, uint32_t id);
struct rgmd_resv *rgmd_resv_find(struct rgmd_engine *e, uint8_t proto, struct in_addr addr,
				 uint16_t port, struct rgmd_session **owner);
unsigned int rgmd_resv_total(const struct rgmd_engine *e);
void rgmd_resv_del(struct rgmd_session *s, unsigned int idx);

/* engine_epoch.c */
int rgmd_epoch_setup(struct rgmd_engine *e, bool state_kept, char *err, size_t errlen);

/* Bitmap of the global ports of (proto, addr) that are taken: installed, or
 * reserved by a session other than self. */
#define RGMD_BITMAP_WORDS (65536 / 64)
struct rgmd_ports {
	uint8_t proto;
	struct in_addr addr;
	uint64_t bits[RGMD_BITMAP_WORDS];
};

static inline bool rgmd_bit(const struct rgmd_ports *p, uint16_t port)
{
	return p->bits[port / 64] & (1ULL << (port % 64));
}

static inline void rgmd_bit_set(struct rgmd_ports *p, uint16_t port)
{
	p->bits[port / 64] |= 1ULL << (port % 64);
}

/* engine_ops.c: the ops, and helpers shared with engine_map.c. The
 * helpers returning int give 0, or -1 with the protocol error in perr. */
int rgmd_op(struct rgmd_engine *e, const struct rgmd_peer *peer, const struct rgm_req *req,
	    struct json_object *reply, struct rgm_proto_error *perr);
struct json_object *rgmd_session_json(const struct rgmd_session *s);
int rgmd_fail(struct rgm_proto_error *perr, enum rgm_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int rgmd_kfail(struct rgmd_engine *e, struct rgm_proto_error *perr, const char *what, int err);
int rgmd_kcfg_refresh(struct rgmd_engine *e, struct rgm_proto_error *perr);
int rgmd_range(const struct rgmd_engine *e, uint16_t *lo, uint16_t *hi,
	       struct rgm_proto_error *perr);
int rgmd_port_ok(const struct rgmd_engine *e, uint16_t port, struct rgm_proto_error *perr);
int rgmd_global_addr(const struct rgmd_engine *e, bool given, struct in_addr a,
		     struct in_addr *out, struct rgm_proto_error *perr);
int rgmd_session_lookup(struct rgmd_engine *e, const struct rgmd_peer *peer,
			const char *name, struct rgmd_session **out,
			struct rgm_proto_error *perr);
void rgmd_session_claim(struct rgmd_session *s, const struct rgmd_peer *peer,
			const char *name);
void rgmd_ports_fill(const struct rgmd_engine *e, const struct rgmd_session *self,
		     uint8_t proto, struct in_addr addr, struct rgmd_ports *p);
int rgmd_ports_pick(const struct rgmd_ports *p, uint16_t lo, uint16_t hi, bool pair);
unsigned int rgmd_owned_count(const struct rgmd_engine *e);	/* owner != 0 */
int rgmd_own_addrs(const struct rgmd_engine *e, struct in_addr *self);
int rgmd_sync(struct rgmd_engine *e, struct rgm_proto_error *perr);

/* engine_map.c */
int rgmd_op_map(struct rgmd_engine *e, const struct rgmd_peer *peer,
		const struct rgm_req *req, struct json_object *reply,
		struct rgm_proto_error *perr);

#endif /* RGMD_ENGINE_INT_H */
