/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration server's registration database (SQLite):
 * gateways, the appliances behind them, the sessions configured for them
 * (Documentation/confserver.rst). The audit log lives in the same file and
 * has its own API, rgm_audit.h.
 *
 * The file is opened in WAL mode with foreign keys enforced and a busy
 * timeout; rgm_db_open() applies the schema migrations it lacks
 * (confserver/migrations/) and refuses a schema newer than it knows. Every
 * statement is a prepared statement with bound parameters. Every call is
 * one transaction: it changes everything it says or nothing.
 *
 * Functions return 0 or -errno and, on failure, write a message for humans
 * into msg (which may be NULL). Errors: -EINVAL a value is not acceptable,
 * -ENOENT no such record, -EEXIST already there, -EBUSY still referenced
 * (or the database is locked past the timeout), -ENOTUNIQ a gateway type
 * names several gateways, -EPROTO the schema is newer, -EIO SQLite failed.
 */
#ifndef RGM_DB_H
#define RGM_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "rgm_api.h"	/* identifier limits and checks, enum rgm_gw_mode */

#define RGM_DB_BUSY_TIMEOUT_MS	5000
#define RGM_DB_SESSION_ID_LEN	34	/* "s-" + 32 hex digits */

struct rgm_db;

struct rgm_db_migration {
	unsigned int version;
	const char *name;
	const char *sql;
};
/* confserver/rgm_db_schema.c, which scripts/mkschema.sh makes from the .sql
 * files in confserver/migrations/: in version order, versions 1, 2, 3... */
extern const struct rgm_db_migration rgm_db_migrations[];
extern const unsigned int rgm_db_n_migrations;

int rgm_db_open(const char *path, struct rgm_db **out, char *msg, size_t msglen);
void rgm_db_close(struct rgm_db *db);
/* The schema version in the file (after rgm_db_open: the latest known). */
int rgm_db_schema_version(struct rgm_db *db, unsigned int *version, char *msg, size_t msglen);

struct rgm_db_gateway {
	char id[RGM_API_ID_MAX + 1];
	char type[RGM_API_ID_MAX + 1];
	enum rgm_gw_mode mode;
	char endpoint[RGM_API_ENDPOINT_MAX + 1];	/* "" with call-home */
	char pin[RGM_API_PIN_LEN + 1];
	char global_addr[INET_ADDRSTRLEN];		/* "" when not known yet */
	int64_t enrolled_at;
};

/* Enrolls gw as given (enrolled_at included); -EEXIST if the id or the pin
 * is taken: a gateway is known by its certificate key, one key, one gateway. */
int rgm_db_gateway_add(struct rgm_db *db, const struct rgm_db_gateway *gw,
		       char *msg, size_t msglen);
int rgm_db_gateway_get(struct rgm_db *db, const char *id, struct rgm_db_gateway *gw,
		       char *msg, size_t msglen);
/* *out is malloc'd (NULL when *n is 0), ordered by id; free() it. */
int rgm_db_gateway_list(struct rgm_db *db, struct rgm_db_gateway **out, size_t *n,
			char *msg, size_t msglen);
/* The gateway enrolled with this pin (how a calling-home rgmd is known). */
int rgm_db_gateway_find_pin(struct rgm_db *db, const char *pin, struct rgm_db_gateway *gw,
			    char *msg, size_t msglen);
/* -EBUSY while an appliance or a session names the gateway. */
int rgm_db_gateway_del(struct rgm_db *db, const char *id, char *msg, size_t msglen);
/* Records the global address last seen for the gateway (a dotted quad). */
int rgm_db_gateway_set_addr(struct rgm_db *db, const char *id, const char *addr,
			    char *msg, size_t msglen);
/* Records the epoch the gateway said in hello (16 hex digits); old gets
 * the one recorded before ("" when none). */
int rgm_db_gateway_swap_epoch(struct rgm_db *db, const char *id, const char *epoch,
			      char old[17], char *msg, size_t msglen);

struct rgm_db_appliance {
	char id[RGM_API_ID_MAX + 1];
	char gateway[RGM_API_ID_MAX + 1];
	int64_t registered_at;
	int64_t last_contact;
};

/*
 * Registers appliance id behind a gateway named by exactly one of gateway
 * (an id) and gateway_type (the other NULL or ""). The binding rule:
 *  - by id: that gateway must exist; the appliance is (re)bound to it;
 *  - by type: if the appliance is already bound to a gateway of that type
 *    it stays there; otherwise exactly one gateway of that type must exist
 *    (none: -ENOENT), or, when several do, exactly one of them last seen at
 *    gateway_addr (the address the portal saw the appliance come from;
 *    may be NULL): else -ENOTUNIQ, name it by id then;
 *  - moving an appliance to another gateway is refused (-EBUSY) while it
 *    has a pending or active session on the old one.
 * A new appliance gets registered_at = last_contact = now; a known one
 * keeps registered_at and gets last_contact = now. *out (may be NULL)
 * receives the resulting record.
 */
int rgm_db_appliance_register(struct rgm_db *db, const char *id, const char *gateway,
			      const char *gateway_type, const char *gateway_addr, int64_t now,
			      struct rgm_db_appliance *out, char *msg, size_t msglen);
/* last_contact = now for a registered appliance; -ENOENT otherwise. */
int rgm_db_appliance_refresh(struct rgm_db *db, const char *id, int64_t now,
			     char *msg, size_t msglen);
int rgm_db_appliance_get(struct rgm_db *db, const char *id, struct rgm_db_appliance *out,
			 char *msg, size_t msglen);

enum rgm_db_state {
	RGM_DB_PENDING,		/* created, the gateway not programmed yet */
	RGM_DB_ACTIVE,		/* the gateway confirmed the mappings */
	RGM_DB_CLOSED,		/* torn down or expired: final */
	RGM_DB_FAILED,		/* the gateway refused or was unreachable: final */
	__RGM_DB_STATE_MAX
};

const char *rgm_db_state_name(enum rgm_db_state state);
int rgm_db_state_parse(const char *s);	/* -1 when s names no state */

struct rgm_db_session {
	char id[RGM_API_SESSION_MAX + 1];
	char appliance[RGM_API_ID_MAX + 1];
	char gateway[RGM_API_ID_MAX + 1];
	char *streams;		/* JSON array (rgm_api_streams_json()), malloc'd */
	char *ports;		/* JSON array of chosen global ports, malloc'd; NULL until set */
	uint32_t lease;
	enum rgm_db_state state;
	int64_t created_at;
	int64_t updated_at;
};

/*
 * Creates a pending session for a registered appliance on the gateway it is
 * bound to, with a fresh random id ("s-" and 32 hex digits). streams must
 * be a JSON array of at most RGM_API_BODY_MAX bytes.
 */
int rgm_db_session_create(struct rgm_db *db, const char *appliance, const char *streams,
			  uint32_t lease, int64_t now, struct rgm_db_session *out,
			  char *msg, size_t msglen);
/*
 * Moves a session to state; ports (a JSON array, NULL: unchanged) and lease
 * (0: unchanged) are set with it. Allowed: pending -> active, closed,
 * failed; active -> active (renew), closed, failed. closed and failed are
 * final (-EINVAL).
 */
int rgm_db_session_update(struct rgm_db *db, const char *id, enum rgm_db_state state,
			  const char *ports, uint32_t lease, int64_t now,
			  char *msg, size_t msglen);
int rgm_db_session_get(struct rgm_db *db, const char *id, struct rgm_db_session *out,
		       char *msg, size_t msglen);
/* Sessions of one appliance (NULL: all), oldest first. Free with
 * rgm_db_sessions_free(). */
int rgm_db_session_list(struct rgm_db *db, const char *appliance,
			struct rgm_db_session **out, size_t *n, char *msg, size_t msglen);
/* Sessions in state whose lease ended before `before` (updated_at + lease
 * < before; INT64_MAX: every session in that state), oldest first: the
 * daemon's sweeper and its start-up clean-up. Free with rgm_db_sessions_free(). */
int rgm_db_session_list_state(struct rgm_db *db, enum rgm_db_state state, int64_t before,
			      struct rgm_db_session **out, size_t *n, char *msg, size_t msglen);
/* As rgm_db_gateway_list(), only the gateways that have a session in state. */
int rgm_db_gateway_list_in_state(struct rgm_db *db, enum rgm_db_state state,
				 struct rgm_db_gateway **out, size_t *n, char *msg, size_t msglen);
/* Frees what one session record holds (not the record itself). */
void rgm_db_session_release(struct rgm_db_session *s);
void rgm_db_sessions_free(struct rgm_db_session *s, size_t n);

/* For rgm_audit.c, which shares the connection and transactions. */
struct sqlite3;
struct sqlite3 *rgm_db_sqlite(struct rgm_db *db);
int rgm_db_begin(struct rgm_db *db, bool write, char *msg, size_t msglen);
int rgm_db_commit(struct rgm_db *db, char *msg, size_t msglen);
void rgm_db_rollback(struct rgm_db *db);
/* Turns a SQLite result code into -errno and a message "what: why". */
int rgm_db_sqlerr(struct rgm_db *db, int rc, const char *what, char *msg, size_t msglen);

#endif /* RGM_DB_H */
