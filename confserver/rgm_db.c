// SPDX-License-Identifier: GPL-2.0
/*
 * The registration database (rgm_db.h, Documentation/confserver.rst).
 *
 * Only prepared statements with bound parameters touch the data; the only
 * SQL run as text is constant: the migrations and BEGIN/COMMIT/ROLLBACK.
 * Values are checked here as well as in the API codec because the CLI and
 * later callers reach the database without going through the codec, and
 * the schema's CHECK constraints are a last line, not the message users see.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "rgm_db.h"
#include "rgm_tls.h"
#include "rgm_parse.h"
#include "rgm_secret.h"

struct rgm_db {
	sqlite3 *sql;
};

static const char *const rgm_db_state_names[__RGM_DB_STATE_MAX] = {
	[RGM_DB_PENDING]	= "pending",
	[RGM_DB_ACTIVE]		= "active",
	[RGM_DB_CLOSED]		= "closed",
	[RGM_DB_FAILED]		= "failed",
};

const char *rgm_db_state_name(enum rgm_db_state state)
{
	return (unsigned int)state < __RGM_DB_STATE_MAX ? rgm_db_state_names[state] : "?";
}

int rgm_db_state_parse(const char *s)
{
	int i;

	for (i = 0; i < __RGM_DB_STATE_MAX; i++)
		if (!strcmp(s, rgm_db_state_names[i]))
			return i;
	return -1;
}


struct sqlite3 *rgm_db_sqlite(struct rgm_db *db)
{
	return db->sql;
}

int rgm_db_sqlerr(struct rgm_db *db, int rc, const char *what, char *msg, size_t msglen)
{
	int ret;

	switch (rc) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		ret = -EBUSY;
		break;
	case SQLITE_CONSTRAINT:
		ret = -EINVAL;
		break;
	case SQLITE_NOMEM:
		ret = -ENOMEM;
		break;
	case SQLITE_FULL:
		ret = -ENOSPC;
		break;
	case SQLITE_READONLY:
		ret = -EROFS;
		break;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		ret = -EACCES;
		break;
	default:
		ret = -EIO;
	}
	return rgm_parse_err(msg, msglen, ret, "%s: %s", what,
			  db && db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
}

static int rgm_db_exec(struct rgm_db *db, const char *sql, const char *what,
		       char *msg, size_t msglen)
{
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : rgm_db_sqlerr(db, rc, what, msg, msglen);
}

int rgm_db_begin(struct rgm_db *db, bool write, char *msg, size_t msglen)
{
	/* IMMEDIATE takes the write lock now: a read-then-write transaction
	 * cannot deadlock on the upgrade, it waits (busy timeout) up front */
	return rgm_db_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED",
			   "begin transaction", msg, msglen);
}

int rgm_db_commit(struct rgm_db *db, char *msg, size_t msglen)
{
	int ret = rgm_db_exec(db, "COMMIT", "commit", msg, msglen);

	if (ret)
		rgm_db_rollback(db);
	return ret;
}

void rgm_db_rollback(struct rgm_db *db)
{
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

static int rgm_db_prep(struct rgm_db *db, const char *sql, sqlite3_stmt **st,
		       char *msg, size_t msglen)
{
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return rgm_db_sqlerr(db, rc, "prepare", msg, msglen);
	}
	return 0;
}

/* Binds text, or NULL for NULL or "" when empty_null. */
static int rgm_db_bind_text(sqlite3_stmt *st, int i, const char *s, bool empty_null)
{
	if (!s || (empty_null && !*s))
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Copies a text column into buf ("" for NULL); false if it does not fit. */
static bool rgm_db_col_text(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (!s) {
		buf[0] = '\0';
		return true;
	}
	if ((size_t)n >= size || memchr(s, '\0', n))
		return false;
	memcpy(buf, s, n + 1);
	return true;
}

static char *rgm_db_col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

/* Open and migrations */

static int rgm_db_pragma(struct rgm_db *db, const char *sql, const char *want,
			 char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	const char *got;
	int ret, rc;

	ret = rgm_db_prep(db, sql, &st, msg, msglen);
	if (ret)
		return ret;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = rgm_db_sqlerr(db, rc, sql, msg, msglen);
		goto out;
	}
	got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (want && (!got || strcmp(got, want)))
		ret = rgm_parse_err(msg, msglen, -EIO, "%s: got '%s', not '%s'", sql,
				 got ? got : "nothing", want);
out:
	sqlite3_finalize(st);
	return ret;
}

int rgm_db_schema_version(struct rgm_db *db, unsigned int *version, char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int ret, rc;

	ret = rgm_db_prep(db, "SELECT coalesce(max(version), 0) FROM schema_version",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	else
		ret = rgm_db_sqlerr(db, rc, "read schema version", msg, msglen);
	sqlite3_finalize(st);
	return ret;
}

static int rgm_db_migrate(struct rgm_db *db, char *msg, size_t msglen)
{
	const unsigned int latest = rgm_db_migrations[rgm_db_n_migrations - 1].version;
	sqlite3_stmt *st = NULL;
	unsigned int have, i;
	char what[96];
	int ret, rc;

	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
			      "version INTEGER PRIMARY KEY NOT NULL, "
			      "name TEXT NOT NULL, "
			      "applied_at INTEGER NOT NULL) STRICT",
			  "create schema_version", msg, msglen);
	if (ret)
		goto fail;
	ret = rgm_db_schema_version(db, &have, msg, msglen);
	if (ret)
		goto fail;
	if (have > latest) {
		ret = rgm_parse_err(msg, msglen, -EPROTO,
				 "database schema version %u is newer than this build knows "
				 "(%u): use a newer rgm-confserver", have, latest);
		goto fail;
	}
	ret = rgm_db_prep(db, "INSERT INTO schema_version (version, name, applied_at) "
			      "VALUES (?1, ?2, unixepoch())", &st, msg, msglen);
	if (ret)
		goto fail;
	for (i = 0; i < rgm_db_n_migrations; i++) {
		const struct rgm_db_migration *m = &rgm_db_migrations[i];

		if (m->version <= have)
			continue;
		snprintf(what, sizeof(what), "migration %s", m->name);
		ret = rgm_db_exec(db, m->sql, what, msg, msglen);
		if (ret)
			goto fail;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE) {
			ret = rgm_db_sqlerr(db, rc, what, msg, msglen);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	return rgm_db_commit(db, msg, msglen);
fail:
	sqlite3_finalize(st);
	rgm_db_rollback(db);
	return ret;
}

/* The database holds the audit log and the gateways' pins: a secret file
 * (rgm_secret.h). A new one is made here, 0600, before SQLite opens it
 * (SQLite gives its -wal and -shm files the database's mode). */
static int rgm_db_secret(const char *path, char *msg, size_t msglen)
{
	int fd;

	if (!strcmp(path, ":memory:"))
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EEXIST)
		return rgm_parse_err(msg, msglen, -errno, "open %s: %s", path, strerror(errno));
	if (rgm_secret_check(path, msg, msglen))
		return -errno;
	return 0;
}

int rgm_db_open(const char *path, struct rgm_db **out, char *msg, size_t msglen)
{
	struct rgm_db *db;
	int ret, rc;

	*out = NULL;
	ret = rgm_db_secret(path, msg, msglen);
	if (ret)
		return ret;
	db = calloc(1, sizeof(*db));
	if (!db)
		return rgm_parse_err(msg, msglen, -ENOMEM, "out of memory");
	rc = sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = rgm_db_sqlerr(db, rc, "open", msg, msglen);
		goto err_close;
	}
	sqlite3_busy_timeout(db->sql, RGM_DB_BUSY_TIMEOUT_MS);
	/* no writable_schema or shadow-table tricks through our connection.
	 * (trusted_schema stays on: SQLite 3.40 does not mark json_valid(),
	 * used by the schema's CHECKs, innocuous) */
	sqlite3_db_config(db->sql, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	ret = rgm_db_pragma(db, "PRAGMA journal_mode = WAL", "wal", msg, msglen);
	if (ret)
		goto err_close;
	/* the audit log must survive a power cut once a command was sent */
	ret = rgm_db_pragma(db, "PRAGMA synchronous = FULL", NULL, msg, msglen);
	if (ret)
		goto err_close;
	ret = rgm_db_pragma(db, "PRAGMA foreign_keys = ON", NULL, msg, msglen);
	if (ret)
		goto err_close;
	ret = rgm_db_pragma(db, "PRAGMA foreign_keys", "1", msg, msglen);
	if (ret)
		goto err_close;
	ret = rgm_db_migrate(db, msg, msglen);
	if (ret)
		goto err_close;
	*out = db;
	return 0;

err_close:
	sqlite3_close_v2(db->sql);
	free(db);
	return ret;
}

void rgm_db_close(struct rgm_db *db)
{
	if (!db)
		return;
	sqlite3_close_v2(db->sql);
	free(db);
}

/* Runs a prepared statement that returns no row: 0 or -errno. */
static int rgm_db_step_done(struct rgm_db *db, sqlite3_stmt *st, const char *what,
			    char *msg, size_t msglen)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : rgm_db_sqlerr(db, rc, what, msg, msglen);
}

/* Runs "SELECT count(*) ... ?1" with text ?1: the count, or -errno. */
static int64_t rgm_db_count(struct rgm_db *db, const char *sql, const char *arg,
			    char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int64_t ret;
	int rc;

	ret = rgm_db_prep(db, sql, &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, arg, false);
	rc = sqlite3_step(st);
	ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) :
	      rgm_db_sqlerr(db, rc, "count", msg, msglen);
	sqlite3_finalize(st);
	return ret;
}

/*
 * Steps st to its end, filling a growing array of size-byte rows with
 * row(); finalizes st. On failure *out and *n hold the rows read so far,
 * for the caller to free with what frees its rows.
 */
static int rgm_db_collect(struct rgm_db *db, sqlite3_stmt *st, size_t size,
			  int (*row)(sqlite3_stmt *, void *, char *, size_t), const char *what,
			  void **out, size_t *n, char *msg, size_t msglen)
{
	size_t cap = 0;
	char *a = NULL, *t;
	int ret = 0, rc;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			t = reallocarray(a, cap, size);
			if (!t) {
				ret = rgm_parse_err(msg, msglen, -ENOMEM, "out of memory");
				goto out;
			}
			a = t;
		}
		ret = row(st, a + *n * size, msg, msglen);
		if (ret)
			goto out;
		(*n)++;
	}
	if (rc != SQLITE_DONE)
		ret = rgm_db_sqlerr(db, rc, what, msg, msglen);
out:
	sqlite3_finalize(st);
	*out = a;
	return ret;
}

/* Gateways */

static int rgm_db_gateway_row(sqlite3_stmt *st, void *row, char *msg, size_t msglen);

static int rgm_db_gateway_check(const struct rgm_db_gateway *gw, char *msg, size_t msglen)
{
	struct in_addr a;
	char err[128];

	if (!rgm_api_id_valid(gw->id))
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "gateway id '%.64s' must be 1..%d characters of A-Z a-z 0-9 . _ : @ -",
				  gw->id, RGM_API_ID_MAX);
	if (!rgm_api_id_valid(gw->type))
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "gateway type '%.64s' must be 1..%d characters of A-Z a-z 0-9 . _ : @ -",
				  gw->type, RGM_API_ID_MAX);
	switch (gw->mode) {
	case RGM_GW_LISTEN:
		if (!rgm_api_endpoint_valid(gw->endpoint))
			return rgm_parse_err(msg, msglen, -EINVAL,
					  "gateway %s: mode listen needs an endpoint host:port, not '%.64s'",
					  gw->id, gw->endpoint);
		break;
	case RGM_GW_CALL_HOME:
		if (gw->endpoint[0])
			return rgm_parse_err(msg, msglen, -EINVAL,
					  "gateway %s: mode call-home takes no endpoint", gw->id);
		break;
	default:
		return rgm_parse_err(msg, msglen, -EINVAL, "gateway %s: unknown mode", gw->id);
	}
	/* the shape, then a real base64 decode to 32 bytes */
	if (!rgm_api_pin_valid(gw->pin) || rgm_tls_allow_parse(gw->pin, err, sizeof(err)))
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "gateway %s: pin must be pin-sha256: and the base64 SHA-256 "
				  "of its SubjectPublicKeyInfo", gw->id);
	if (gw->global_addr[0] && inet_pton(AF_INET, gw->global_addr, &a) != 1)
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "gateway %s: global address '%.32s' is not an IPv4 address",
				  gw->id, gw->global_addr);
	return 0;
}

int rgm_db_gateway_add(struct rgm_db *db, const struct rgm_db_gateway *gw,
		       char *msg, size_t msglen)
{
	struct rgm_db_gateway other;
	sqlite3_stmt *st = NULL;
	int64_t n;
	int ret;

	ret = rgm_db_gateway_check(gw, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	n = rgm_db_count(db, "SELECT count(*) FROM gateways WHERE id = ?1", gw->id, msg, msglen);
	if (n < 0) {
		ret = n;
		goto out;
	}
	if (n) {
		ret = rgm_parse_err(msg, msglen, -EEXIST, "gateway %s is already enrolled", gw->id);
		goto out;
	}
	ret = rgm_db_gateway_find_pin(db, gw->pin, &other, msg, msglen);
	if (!ret) {
		ret = rgm_parse_err(msg, msglen, -EEXIST,
				 "gateway %s: this pin is already enrolled for gateway %s",
				 gw->id, other.id);
		goto out;
	}
	if (ret != -ENOENT)
		goto out;
	ret = rgm_db_prep(db, "INSERT INTO gateways (id, type, mode, endpoint, pin, "
			      "global_addr, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			  &st, msg, msglen);
	if (ret)
		goto out;
	rgm_db_bind_text(st, 1, gw->id, false);
	rgm_db_bind_text(st, 2, gw->type, false);
	rgm_db_bind_text(st, 3, rgm_gw_mode_name(gw->mode), false);
	rgm_db_bind_text(st, 4, gw->endpoint, true);
	rgm_db_bind_text(st, 5, gw->pin, false);
	rgm_db_bind_text(st, 6, gw->global_addr, true);
	sqlite3_bind_int64(st, 7, gw->enrolled_at);
	ret = rgm_db_step_done(db, st, "add gateway", msg, msglen);
out:
	sqlite3_finalize(st);
	if (ret) {
		rgm_db_rollback(db);
		return ret;
	}
	return rgm_db_commit(db, msg, msglen);
}

#define RGM_DB_GW_COLS "id, type, mode, endpoint, pin, global_addr, enrolled_at"

static int rgm_db_gateway_row(sqlite3_stmt *st, void *row, char *msg, size_t msglen)
{
	struct rgm_db_gateway *gw = row;
	const unsigned char *mode = sqlite3_column_text(st, 2);
	int m = mode ? rgm_gw_mode_parse((const char *)mode) : -1;

	memset(gw, 0, sizeof(*gw));
	if (m < 0 ||
	    !rgm_db_col_text(st, 0, gw->id, sizeof(gw->id)) ||
	    !rgm_db_col_text(st, 1, gw->type, sizeof(gw->type)) ||
	    !rgm_db_col_text(st, 3, gw->endpoint, sizeof(gw->endpoint)) ||
	    !rgm_db_col_text(st, 4, gw->pin, sizeof(gw->pin)) ||
	    !rgm_db_col_text(st, 5, gw->global_addr, sizeof(gw->global_addr)))
		return rgm_parse_err(msg, msglen, -EIO, "gateway row '%.64s' is malformed",
				  (const char *)sqlite3_column_text(st, 0));
	gw->mode = m;
	gw->enrolled_at = sqlite3_column_int64(st, 6);
	return 0;
}

/* One gateway by a unique column: sql selects RGM_DB_GW_COLS WHERE x = ?1. */
static int rgm_db_gateway_one(struct rgm_db *db, const char *sql, const char *key,
			      struct rgm_db_gateway *gw, char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int ret, rc;

	ret = rgm_db_prep(db, sql, &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, key, false);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = rgm_db_gateway_row(st, gw, msg, msglen);
	else if (rc == SQLITE_DONE)
		ret = rgm_parse_err(msg, msglen, -ENOENT, "no gateway %.64s", key);
	else
		ret = rgm_db_sqlerr(db, rc, "get gateway", msg, msglen);
	sqlite3_finalize(st);
	return ret;
}

int rgm_db_gateway_get(struct rgm_db *db, const char *id, struct rgm_db_gateway *gw,
		       char *msg, size_t msglen)
{
	return rgm_db_gateway_one(db, "SELECT " RGM_DB_GW_COLS " FROM gateways WHERE id = ?1",
				  id, gw, msg, msglen);
}

int rgm_db_gateway_find_pin(struct rgm_db *db, const char *pin, struct rgm_db_gateway *gw,
			    char *msg, size_t msglen)
{
	return rgm_db_gateway_one(db, "SELECT " RGM_DB_GW_COLS " FROM gateways WHERE pin = ?1",
				  pin, gw, msg, msglen);
}

/* sql selects RGM_DB_GW_COLS; state, when not NULL, is bound to ?1. */
static int rgm_db_gateway_select(struct rgm_db *db, const char *sql, const char *state,
				 struct rgm_db_gateway **out, size_t *n, char *msg, size_t msglen)
{
	void *rows;
	sqlite3_stmt *st;
	int ret;

	*out = NULL;
	*n = 0;
	ret = rgm_db_prep(db, sql, &st, msg, msglen);
	if (ret)
		return ret;
	if (state)
		rgm_db_bind_text(st, 1, state, false);
	ret = rgm_db_collect(db, st, sizeof(struct rgm_db_gateway), rgm_db_gateway_row,
			     "list gateways", &rows, n, msg, msglen);
	if (ret) {
		free(rows);
		*n = 0;
		return ret;
	}
	*out = rows;
	return 0;
}

int rgm_db_gateway_list(struct rgm_db *db, struct rgm_db_gateway **out, size_t *n,
			char *msg, size_t msglen)
{
	return rgm_db_gateway_select(db, "SELECT " RGM_DB_GW_COLS " FROM gateways ORDER BY id",
				     NULL, out, n, msg, msglen);
}

int rgm_db_gateway_list_in_state(struct rgm_db *db, enum rgm_db_state state,
				 struct rgm_db_gateway **out, size_t *n, char *msg, size_t msglen)
{
	*out = NULL;
	*n = 0;
	if ((unsigned int)state >= __RGM_DB_STATE_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "unknown session state %d", state);
	return rgm_db_gateway_select(db, "SELECT " RGM_DB_GW_COLS " FROM gateways WHERE id IN "
				     "(SELECT gateway_id FROM sessions WHERE state = ?1) ORDER BY id",
				     rgm_db_state_name(state), out, n, msg, msglen);
}

int rgm_db_gateway_del(struct rgm_db *db, const char *id, char *msg, size_t msglen)
{
	sqlite3_stmt *st = NULL;
	int64_t apps, sess;
	int ret;

	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	apps = rgm_db_count(db, "SELECT count(*) FROM appliances WHERE gateway_id = ?1",
			    id, msg, msglen);
	sess = apps < 0 ? apps :
	       rgm_db_count(db, "SELECT count(*) FROM sessions WHERE gateway_id = ?1",
			    id, msg, msglen);
	if (apps < 0 || sess < 0) {
		ret = apps < 0 ? apps : sess;
		goto out;
	}
	/* the foreign keys would refuse too, but without saying who */
	if (apps || sess) {
		ret = rgm_parse_err(msg, msglen, -EBUSY,
				 "gateway %.64s is still used by %lld appliance(s) and %lld "
				 "session(s): move or remove them first",
				 id, (long long)apps, (long long)sess);
		goto out;
	}
	ret = rgm_db_prep(db, "DELETE FROM gateways WHERE id = ?1", &st, msg, msglen);
	if (ret)
		goto out;
	rgm_db_bind_text(st, 1, id, false);
	ret = rgm_db_step_done(db, st, "delete gateway", msg, msglen);
	if (!ret && !sqlite3_changes(db->sql))
		ret = rgm_parse_err(msg, msglen, -ENOENT, "no gateway %.64s", id);
out:
	sqlite3_finalize(st);
	if (ret) {
		rgm_db_rollback(db);
		return ret;
	}
	return rgm_db_commit(db, msg, msglen);
}

int rgm_db_gateway_set_addr(struct rgm_db *db, const char *id, const char *addr,
			    char *msg, size_t msglen)
{
	struct in_addr a;
	sqlite3_stmt *st;
	int ret;

	if (inet_pton(AF_INET, addr, &a) != 1)
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "global address '%.32s' is not an IPv4 address", addr);
	ret = rgm_db_prep(db, "UPDATE gateways SET global_addr = ?2 WHERE id = ?1",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, id, false);
	rgm_db_bind_text(st, 2, addr, false);
	ret = rgm_db_step_done(db, st, "set gateway address", msg, msglen);
	if (!ret && !sqlite3_changes(db->sql))
		ret = rgm_parse_err(msg, msglen, -ENOENT, "no gateway %.64s", id);
	sqlite3_finalize(st);
	return ret;
}

int rgm_db_gateway_swap_epoch(struct rgm_db *db, const char *id, const char *epoch,
			      char old[17], char *msg, size_t msglen)
{
	const unsigned char *t;
	sqlite3_stmt *st;
	int ret, rc;

	old[0] = '\0';
	if (strlen(epoch) != 16 || strspn(epoch, "0123456789abcdef") != 16)
		return rgm_parse_err(msg, msglen, -EINVAL, "epoch '%.20s' is not 16 hex digits",
				  epoch);
	ret = rgm_db_prep(db, "SELECT epoch FROM gateways WHERE id = ?1", &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, id, false);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(old, 17, "%s", t ? (const char *)t : "");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return rgm_parse_err(msg, msglen, -ENOENT, "no gateway %.64s", id);
	if (rc != SQLITE_ROW)
		return rgm_db_sqlerr(db, rc, "read gateway epoch", msg, msglen);
	if (!strcmp(old, epoch))
		return 0;
	ret = rgm_db_prep(db, "UPDATE gateways SET epoch = ?2 WHERE id = ?1", &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, id, false);
	rgm_db_bind_text(st, 2, epoch, false);
	ret = rgm_db_step_done(db, st, "set gateway epoch", msg, msglen);
	sqlite3_finalize(st);
	return ret;
}

/* Appliances */

static int rgm_db_appliance_read(struct rgm_db *db, const char *id,
				 struct rgm_db_appliance *a, char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int ret, rc;

	ret = rgm_db_prep(db, "SELECT id, gateway_id, registered_at, last_contact "
			      "FROM appliances WHERE id = ?1", &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, id, false);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(a, 0, sizeof(*a));
		if (!rgm_db_col_text(st, 0, a->id, sizeof(a->id)) ||
		    !rgm_db_col_text(st, 1, a->gateway, sizeof(a->gateway)))
			ret = rgm_parse_err(msg, msglen, -EIO, "appliance row %.64s is malformed", id);
		a->registered_at = sqlite3_column_int64(st, 2);
		a->last_contact = sqlite3_column_int64(st, 3);
	} else if (rc == SQLITE_DONE) {
		ret = rgm_parse_err(msg, msglen, -ENOENT, "no appliance %.64s is registered", id);
	} else {
		ret = rgm_db_sqlerr(db, rc, "get appliance", msg, msglen);
	}
	sqlite3_finalize(st);
	return ret;
}

int rgm_db_appliance_get(struct rgm_db *db, const char *id, struct rgm_db_appliance *out,
			 char *msg, size_t msglen)
{
	return rgm_db_appliance_read(db, id, out, msg, msglen);
}

/* The gateway an appliance is to be bound to, by the rule in rgm_db.h. */
/* Gateways of a type (and, if addr, last seen at addr): 0, 1 (its id in
 * pick) or 2 for "more than one"; or -errno. */
static int rgm_db_pick_type(struct rgm_db *db, const char *type, const char *addr, char *pick,
			    char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int ret, rc, n = 0;

	/* LIMIT 2: one is an answer, two is ambiguity, more tells nothing new */
	ret = rgm_db_prep(db, "SELECT id FROM gateways WHERE type = ?1 "
			  "AND (?2 IS NULL OR global_addr = ?2) ORDER BY id LIMIT 2",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, type, false);
	rgm_db_bind_text(st, 2, addr, true);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!n++ && !rgm_db_col_text(st, 0, pick, RGM_API_ID_MAX + 1))
			ret = rgm_parse_err(msg, msglen, -EIO, "gateway row is malformed");
	if (rc != SQLITE_DONE)
		ret = rgm_db_sqlerr(db, rc, "find gateway by type", msg, msglen);
	sqlite3_finalize(st);
	return ret ? ret : n;
}

static int rgm_db_appliance_pick(struct rgm_db *db, const struct rgm_db_appliance *cur,
				 const char *gateway, const char *type, const char *addr,
				 char *pick, char *msg, size_t msglen)
{
	struct rgm_db_gateway gw;
	int ret, n;

	if (gateway) {
		ret = rgm_db_gateway_get(db, gateway, &gw, msg, msglen);
		if (ret)
			return ret;
		strcpy(pick, gw.id);
		return 0;
	}
	if (cur) {
		ret = rgm_db_gateway_get(db, cur->gateway, &gw, msg, msglen);
		if (ret)
			return ret;
		if (!strcmp(gw.type, type)) {
			strcpy(pick, gw.id);
			return 0;
		}
	}
	n = rgm_db_pick_type(db, type, NULL, pick, msg, msglen);
	if (n < 0)
		return n;
	if (!n)
		return rgm_parse_err(msg, msglen, -ENOENT, "no gateway of type %.64s is enrolled",
				     type);
	if (n == 1)
		return 0;
	/* Several: the one the appliance's traffic came from, if it is known. */
	if (addr) {
		n = rgm_db_pick_type(db, type, addr, pick, msg, msglen);
		if (n < 0)
			return n;
		if (n == 1)
			return 0;
		return rgm_parse_err(msg, msglen, -ENOTUNIQ,
				     "several gateways of type %.64s are enrolled and %s of them was "
				     "last seen at %s: name the gateway by id", type,
				     n ? "more than one" : "none", addr);
	}
	return rgm_parse_err(msg, msglen, -ENOTUNIQ,
			     "several gateways of type %.64s are enrolled: name the gateway by id",
			     type);
}

int rgm_db_appliance_register(struct rgm_db *db, const char *id, const char *gateway,
			      const char *gateway_type, const char *gateway_addr, int64_t now,
			      struct rgm_db_appliance *out, char *msg, size_t msglen)
{
	struct rgm_db_appliance cur;
	char pick[RGM_API_ID_MAX + 1];
	sqlite3_stmt *st = NULL;
	bool known;
	int64_t live;
	int ret;

	if (gateway && !*gateway)
		gateway = NULL;
	if (gateway_type && !*gateway_type)
		gateway_type = NULL;
	if (!rgm_api_id_valid(id))
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "appliance id '%.64s' must be 1..%d characters of A-Z a-z 0-9 . _ : @ -",
				  id, RGM_API_ID_MAX);
	if (!gateway == !gateway_type)
		return rgm_parse_err(msg, msglen, -EINVAL,
				  "appliance %s: name exactly one of a gateway and a gateway type", id);
	if ((gateway && !rgm_api_id_valid(gateway)) ||
	    (gateway_type && !rgm_api_id_valid(gateway_type)))
		return rgm_parse_err(msg, msglen, -EINVAL, "appliance %s: malformed gateway %s",
				  id, gateway ? "id" : "type");

	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_appliance_read(db, id, &cur, msg, msglen);
	if (ret && ret != -ENOENT)
		goto out;
	known = !ret;
	ret = rgm_db_appliance_pick(db, known ? &cur : NULL, gateway, gateway_type,
				    gateway_addr && *gateway_addr ? gateway_addr : NULL, pick,
				    msg, msglen);
	if (ret)
		goto out;
	if (known && strcmp(cur.gateway, pick)) {
		live = rgm_db_count(db, "SELECT count(*) FROM sessions WHERE appliance_id = ?1 "
					"AND state IN ('pending', 'active')", id, msg, msglen);
		if (live < 0) {
			ret = live;
			goto out;
		}
		if (live) {
			ret = rgm_parse_err(msg, msglen, -EBUSY,
					 "appliance %s has %lld open session(s) on gateway %s: "
					 "close them before moving it to %s",
					 id, (long long)live, cur.gateway, pick);
			goto out;
		}
	}
	ret = rgm_db_prep(db, known ?
			  "UPDATE appliances SET gateway_id = ?2, last_contact = ?3 WHERE id = ?1" :
			  "INSERT INTO appliances (id, gateway_id, registered_at, last_contact) "
			  "VALUES (?1, ?2, ?3, ?3)", &st, msg, msglen);
	if (ret)
		goto out;
	rgm_db_bind_text(st, 1, id, false);
	rgm_db_bind_text(st, 2, pick, false);
	sqlite3_bind_int64(st, 3, now);
	ret = rgm_db_step_done(db, st, "register appliance", msg, msglen);
	if (ret)
		goto out;
	if (out) {
		memset(out, 0, sizeof(*out));
		strcpy(out->id, id);
		strcpy(out->gateway, pick);
		out->registered_at = known ? cur.registered_at : now;
		out->last_contact = now;
	}
out:
	sqlite3_finalize(st);
	if (ret) {
		rgm_db_rollback(db);
		return ret;
	}
	return rgm_db_commit(db, msg, msglen);
}

int rgm_db_appliance_refresh(struct rgm_db *db, const char *id, int64_t now,
			     char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int ret;

	ret = rgm_db_prep(db, "UPDATE appliances SET last_contact = ?2 WHERE id = ?1",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, id, false);
	sqlite3_bind_int64(st, 2, now);
	ret = rgm_db_step_done(db, st, "refresh appliance", msg, msglen);
	if (!ret && !sqlite3_changes(db->sql))
		ret = rgm_parse_err(msg, msglen, -ENOENT, "no appliance %.64s is registered", id);
	sqlite3_finalize(st);
	return ret;
}

/* Sessions */

void rgm_db_session_release(struct rgm_db_session *s)
{
	if (!s)
		return;
	free(s->streams);
	free(s->ports);
	s->streams = NULL;
	s->ports = NULL;
}

void rgm_db_sessions_free(struct rgm_db_session *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		rgm_db_session_release(&s[i]);
	free(s);
}

static int rgm_db_session_id_new(char *id, char *msg, size_t msglen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[16];
	unsigned int i;

	/* 128 random bits: ids are unguessable and never collide in practice */
	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0)
		return rgm_parse_err(msg, msglen, -EIO, "no random bytes for a session id");
	id[0] = 's';
	id[1] = '-';
	for (i = 0; i < sizeof(rnd); i++) {
		id[2 + 2 * i] = hex[rnd[i] >> 4];
		id[3 + 2 * i] = hex[rnd[i] & 15];
	}
	id[RGM_DB_SESSION_ID_LEN] = '\0';
	return 0;
}

#define RGM_DB_SESS_COLS \
	"id, appliance_id, gateway_id, streams, ports, lease, state, created_at, updated_at"

static int rgm_db_session_row(sqlite3_stmt *st, void *row, char *msg, size_t msglen)
{
	struct rgm_db_session *s = row;
	const unsigned char *state = sqlite3_column_text(st, 6);
	int k = state ? rgm_db_state_parse((const char *)state) : -1;

	memset(s, 0, sizeof(*s));
	if (k < 0 ||
	    !rgm_db_col_text(st, 0, s->id, sizeof(s->id)) ||
	    !rgm_db_col_text(st, 1, s->appliance, sizeof(s->appliance)) ||
	    !rgm_db_col_text(st, 2, s->gateway, sizeof(s->gateway)))
		return rgm_parse_err(msg, msglen, -EIO, "session row '%.64s' is malformed",
				  (const char *)sqlite3_column_text(st, 0));
	s->streams = rgm_db_col_strdup(st, 3);
	s->ports = rgm_db_col_strdup(st, 4);
	if (!s->streams || (!s->ports && sqlite3_column_type(st, 4) != SQLITE_NULL)) {
		rgm_db_session_release(s);
		return rgm_parse_err(msg, msglen, -ENOMEM, "out of memory");
	}
	s->lease = sqlite3_column_int64(st, 5);
	s->state = k;
	s->created_at = sqlite3_column_int64(st, 7);
	s->updated_at = sqlite3_column_int64(st, 8);
	return 0;
}

static int rgm_db_session_read(struct rgm_db *db, const char *id, struct rgm_db_session *s,
			       char *msg, size_t msglen)
{
	sqlite3_stmt *st;
	int ret, rc;

	memset(s, 0, sizeof(*s));
	ret = rgm_db_prep(db, "SELECT " RGM_DB_SESS_COLS " FROM sessions WHERE id = ?1",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, id, false);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = rgm_db_session_row(st, s, msg, msglen);
	else if (rc == SQLITE_DONE)
		ret = rgm_parse_err(msg, msglen, -ENOENT, "no session %.128s", id);
	else
		ret = rgm_db_sqlerr(db, rc, "get session", msg, msglen);
	sqlite3_finalize(st);
	return ret;
}

int rgm_db_session_get(struct rgm_db *db, const char *id, struct rgm_db_session *out,
		       char *msg, size_t msglen)
{
	return rgm_db_session_read(db, id, out, msg, msglen);
}

/* A JSON array of at most RGM_API_BODY_MAX bytes; SQLite's json_valid
 * in the schema's CHECK decides the rest. */
static int rgm_db_json_array_check(const char *what, const char *s, char *msg, size_t msglen)
{
	size_t n = strnlen(s, RGM_API_BODY_MAX + 1);

	if (n > RGM_API_BODY_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "%s: more than %d bytes", what,
				  RGM_API_BODY_MAX);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '[')
		return rgm_parse_err(msg, msglen, -EINVAL, "%s must be a JSON array", what);
	return 0;
}

int rgm_db_session_create(struct rgm_db *db, const char *appliance, const char *streams,
			  uint32_t lease, int64_t now, struct rgm_db_session *out,
			  char *msg, size_t msglen)
{
	struct rgm_db_appliance app;
	char id[RGM_DB_SESSION_ID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int ret;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!lease || lease > RGM_API_LEASE_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "lease must be 1..%u seconds",
				  RGM_API_LEASE_MAX);
	ret = rgm_db_json_array_check("streams", streams, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_session_id_new(id, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_appliance_read(db, appliance, &app, msg, msglen);
	if (ret)
		goto out;
	ret = rgm_db_prep(db, "INSERT INTO sessions (id, appliance_id, gateway_id, streams, "
			      "ports, lease, state, created_at, updated_at) "
			      "VALUES (?1, ?2, ?3, ?4, NULL, ?5, 'pending', ?6, ?6)",
			  &st, msg, msglen);
	if (ret)
		goto out;
	rgm_db_bind_text(st, 1, id, false);
	rgm_db_bind_text(st, 2, app.id, false);
	rgm_db_bind_text(st, 3, app.gateway, false);
	rgm_db_bind_text(st, 4, streams, false);
	sqlite3_bind_int64(st, 5, lease);
	sqlite3_bind_int64(st, 6, now);
	ret = rgm_db_step_done(db, st, "create session", msg, msglen);
	if (ret)
		goto out;
	/* read back inside the transaction: what the caller gets is what is stored */
	if (out)
		ret = rgm_db_session_read(db, id, out, msg, msglen);
out:
	sqlite3_finalize(st);
	if (ret) {
		rgm_db_rollback(db);
		return ret;
	}
	ret = rgm_db_commit(db, msg, msglen);
	if (ret && out)
		rgm_db_session_release(out);
	return ret;
}

static bool rgm_db_state_next_ok(enum rgm_db_state from, enum rgm_db_state to)
{
	switch (from) {
	case RGM_DB_PENDING:
		return to != RGM_DB_PENDING;
	case RGM_DB_ACTIVE:
		return to != RGM_DB_PENDING;
	default:
		return false;
	}
}

int rgm_db_session_update(struct rgm_db *db, const char *id, enum rgm_db_state state,
			  const char *ports, uint32_t lease, int64_t now,
			  char *msg, size_t msglen)
{
	struct rgm_db_session cur = { 0 };
	sqlite3_stmt *st = NULL;
	int ret;

	if ((unsigned int)state >= __RGM_DB_STATE_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "unknown session state %d", state);
	if (lease > RGM_API_LEASE_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "lease must be 1..%u seconds",
				  RGM_API_LEASE_MAX);
	if (ports) {
		ret = rgm_db_json_array_check("ports", ports, msg, msglen);
		if (ret)
			return ret;
	}
	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_db_session_read(db, id, &cur, msg, msglen);
	if (ret)
		goto out;
	if (!rgm_db_state_next_ok(cur.state, state)) {
		ret = rgm_parse_err(msg, msglen, -EINVAL, "session %.128s is %s: it cannot become %s",
				 id, rgm_db_state_name(cur.state), rgm_db_state_name(state));
		goto out;
	}
	ret = rgm_db_prep(db, "UPDATE sessions SET state = ?2, ports = coalesce(?3, ports), "
			      "lease = coalesce(?4, lease), updated_at = ?5 WHERE id = ?1",
			  &st, msg, msglen);
	if (ret)
		goto out;
	rgm_db_bind_text(st, 1, id, false);
	rgm_db_bind_text(st, 2, rgm_db_state_name(state), false);
	rgm_db_bind_text(st, 3, ports, false);
	if (lease)
		sqlite3_bind_int64(st, 4, lease);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, now);
	ret = rgm_db_step_done(db, st, "update session", msg, msglen);
out:
	rgm_db_session_release(&cur);
	sqlite3_finalize(st);
	if (ret) {
		rgm_db_rollback(db);
		return ret;
	}
	return rgm_db_commit(db, msg, msglen);
}

int rgm_db_session_list(struct rgm_db *db, const char *appliance,
			struct rgm_db_session **out, size_t *n, char *msg, size_t msglen)
{
	void *rows;
	sqlite3_stmt *st;
	int ret;

	*out = NULL;
	*n = 0;
	ret = rgm_db_prep(db, "SELECT " RGM_DB_SESS_COLS " FROM sessions "
			      "WHERE ?1 IS NULL OR appliance_id = ?1 ORDER BY created_at, id",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, appliance, false);
	ret = rgm_db_collect(db, st, sizeof(struct rgm_db_session), rgm_db_session_row,
			     "list sessions", &rows, n, msg, msglen);
	if (ret) {
		rgm_db_sessions_free(rows, *n);
		*n = 0;
		return ret;
	}
	*out = rows;
	return 0;
}

int rgm_db_session_list_state(struct rgm_db *db, enum rgm_db_state state, int64_t before,
			      struct rgm_db_session **out, size_t *n, char *msg, size_t msglen)
{
	void *rows;
	sqlite3_stmt *st;
	int ret;

	*out = NULL;
	*n = 0;
	if ((unsigned int)state >= __RGM_DB_STATE_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "unknown session state %d", state);
	ret = rgm_db_prep(db, "SELECT " RGM_DB_SESS_COLS " FROM sessions "
			      "WHERE state = ?1 AND updated_at + lease < ?2 ORDER BY created_at, id",
			  &st, msg, msglen);
	if (ret)
		return ret;
	rgm_db_bind_text(st, 1, rgm_db_state_name(state), false);
	sqlite3_bind_int64(st, 2, before);
	ret = rgm_db_collect(db, st, sizeof(struct rgm_db_session), rgm_db_session_row,
			     "list sessions", &rows, n, msg, msglen);
	if (ret) {
		rgm_db_sessions_free(rows, *n);
		*n = 0;
		return ret;
	}
	*out = rows;
	return 0;
}
