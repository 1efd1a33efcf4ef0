/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration server's audit log: every configuration command sent
 * to a gateway and its result, hash-chained (Documentation/confserver.rst,
 * "Audit chain"). Entry n stores
 *
 *   hash_n = SHA-256(canonical(seq, time, actor, gateway, command, result)
 *                    || hash_{n-1})
 *
 * with hash_0 = 32 zero bytes, and the newest (seq, hash) is also written to
 * the one-row audit_head table in the same transaction. So an altered field,
 * a removed, inserted or reordered entry, and a cut-off tail are all found
 * by rgm_audit_verify(). Someone who can rewrite the whole file can rebuild
 * a consistent chain: export the head (rgm_audit_head()) somewhere else to
 * anchor it.
 */
#ifndef RGM_AUDIT_H
#define RGM_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "rgm_db.h"

#define RGM_AUDIT_HASH_LEN	32
#define RGM_AUDIT_HEX_LEN	(2 * RGM_AUDIT_HASH_LEN)
#define RGM_AUDIT_ACTOR_MAX	512		/* a TLS identity: RGM_TLS_ID_MAX */
#define RGM_AUDIT_JSON_MAX	(256 * 1024)	/* command, result */

/*
 * Appends one entry: actor (who: "cli:root", a portal's TLS identity),
 * gateway (NULL when none), command and result (JSON texts). *seq (may be
 * NULL) gets the entry's sequence number. 0 or -errno with msg.
 */
int rgm_audit_append(struct rgm_db *db, int64_t now, const char *actor, const char *gateway,
		     const char *command, const char *result, uint64_t *seq,
		     char *msg, size_t msglen);

/* The chain head: newest seq (0 when empty) and its hash in hex. */
int rgm_audit_head(struct rgm_db *db, uint64_t *seq, char hex[RGM_AUDIT_HEX_LEN + 1],
		   char *msg, size_t msglen);

struct rgm_audit_report {
	uint64_t entries;	/* entries that verified before the break */
	uint64_t bad_seq;	/* the first seq that does not verify; 0 when intact */
	char why[256];
};

/* 0 when the chain is intact, -EBADMSG with *r saying where and why it
 * breaks, or another -errno (with r->why) when the database failed. */
int rgm_audit_verify(struct rgm_db *db, struct rgm_audit_report *r);

/* The entry hash above, for tests and external verifiers. gateway may be
 * NULL; prev is the previous entry's hash. */
int rgm_audit_hash(uint64_t seq, int64_t time, const char *actor, const char *gateway,
		   const char *command, const char *result,
		   const uint8_t prev[RGM_AUDIT_HASH_LEN], uint8_t out[RGM_AUDIT_HASH_LEN]);

/* One entry as read back (the strings live until fn returns). */
struct rgm_audit_entry {
	uint64_t seq;
	int64_t time;
	const char *actor, *gateway;	/* gateway NULL when none */
	const char *command, *result;	/* JSON texts */
	const char *hash;		/* hex */
};

/* Calls fn on the newest max entries, newest first; fn's non-zero return
 * stops the walk and is returned. 0 or -errno with msg. */
int rgm_audit_tail(struct rgm_db *db, unsigned int max,
		   int (*fn)(void *arg, const struct rgm_audit_entry *e), void *arg,
		   char *msg, size_t msglen);

#endif /* RGM_AUDIT_H */
