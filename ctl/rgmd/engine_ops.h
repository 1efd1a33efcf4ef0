/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's ops but map (engine_ops.c), and the checks and port choice
 * they share with the map op (engine_map.c).
 *
 * Each op fills the reply object (already {"v","id","ok":true}) or returns
 * -1 with the protocol error in perr; so do the helpers returning int.
 */
#ifndef RGMD_ENGINE_OPS_H
#define RGMD_ENGINE_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include "engine.h"
#include "rgm_proto.h"

#define RGMD_SELF_ADDRS_MAX	64	/* own interface addresses checked */

struct rgmd_session;

int rgmd_ops_hello(struct rgmd_engine *e, const struct rgm_req *req,
		   struct json_object *reply, struct rgm_proto_error *perr);
int rgmd_ops_query(struct rgmd_engine *e, const struct rgm_req *req,
		   struct json_object *reply, struct rgm_proto_error *perr);
int rgmd_ops_reserve(struct rgmd_engine *e, const struct rgmd_peer *peer,
		     const struct rgm_req *req, struct json_object *reply,
		     struct rgm_proto_error *perr);
int rgmd_ops_renew(struct rgmd_engine *e, const struct rgmd_peer *peer,
		   const struct rgm_req *req, struct json_object *reply,
		   struct rgm_proto_error *perr);
int rgmd_ops_unmap(struct rgmd_engine *e, const struct rgmd_peer *peer,
		   const struct rgm_req *req, struct json_object *reply,
		   struct rgm_proto_error *perr);
int rgmd_ops_list(struct rgmd_engine *e, const struct rgmd_peer *peer,
		  const struct rgm_req *req, struct json_object *reply,
		  struct rgm_proto_error *perr);

/* Sets perr, returns -1. */
int rgmd_ops_fail(struct rgm_proto_error *perr, enum rgm_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A kernel error as a protocol error, with the kernel's extack text. */
int rgmd_ops_kfail(struct rgmd_engine *e, struct rgm_proto_error *perr, const char *what,
		   int err);
/* e->kcfg from the kernel. */
int rgmd_ops_kcfg_refresh(struct rgmd_engine *e, struct rgm_proto_error *perr);
/* Ports both the policy and the kernel allow. */
int rgmd_ops_range(const struct rgmd_engine *e, uint16_t *lo, uint16_t *hi,
		   struct rgm_proto_error *perr);
int rgmd_ops_port_ok(const struct rgmd_engine *e, uint16_t port,
		     struct rgm_proto_error *perr);
/* The global address asked for (given), or the first one. */
int rgmd_ops_global_addr(const struct rgmd_engine *e, bool given, struct in_addr a,
			 struct in_addr *out, struct rgm_proto_error *perr);
/* Snapshot and session sync, as protocol errors. */
int rgmd_ops_sync(struct rgmd_engine *e, struct rgm_proto_error *perr);
/* The peer's session by name (*out NULL: none yet). */
int rgmd_ops_session_lookup(struct rgmd_engine *e, const struct rgmd_peer *peer,
			    const char *name, struct rgmd_session **out,
			    struct rgm_proto_error *perr);
void rgmd_ops_session_claim(struct rgmd_session *s, const struct rgmd_peer *peer,
			    const char *name);
/* Installed tuples with an owner (a session's). */
unsigned int rgmd_ops_owned_count(const struct rgmd_engine *e);
/* The gateway's own addresses (global ones first); returns how many. */
int rgmd_ops_own_addrs(const struct rgmd_engine *e, struct in_addr *self);

/* Bitmap of the global ports of (proto, addr) that are taken: installed, or
 * reserved by a session other than self. */
#define RGMD_BITMAP_WORDS (65536 / 64)
struct rgmd_ports {
	uint8_t proto;
	struct in_addr addr;
	uint64_t bits[RGMD_BITMAP_WORDS];
};

static inline bool rgmd_ops_bit(const struct rgmd_ports *p, uint16_t port)
{
	return p->bits[port / 64] & (1ULL << (port % 64));
}

static inline void rgmd_ops_bit_set(struct rgmd_ports *p, uint16_t port)
{
	p->bits[port / 64] |= 1ULL << (port % 64);
}

void rgmd_ops_ports_fill(const struct rgmd_engine *e, const struct rgmd_session *self,
			 uint8_t proto, struct in_addr addr, struct rgmd_ports *p);
/* Lowest free port (pairs: even port with its odd neighbour) in lo..hi, or -1. */
int rgmd_ops_ports_pick(const struct rgmd_ports *p, uint16_t lo, uint16_t hi, bool pair);

#endif /* RGMD_ENGINE_OPS_H */
