// SPDX-License-Identifier: GPL-2.0
/*
 * The hash-chained audit log (rgm_audit.h).
 *
 * The canonical encoding of an entry, the input of its SHA-256:
 *
 *   "rgm-audit-v1"                      12 bytes, a domain separator
 *   seq                                 u64, big endian
 *   time                                i64, big endian two's complement
 *   actor, gateway, command, result     each: u8 1 (present) or 0 (NULL),
 *                                       then u32 big-endian byte length and
 *                                       the bytes (absent: length 0)
 *   prev_hash                           32 raw bytes
 *
 * Length prefixes make the encoding injective: no two different entries
 * encode the same, whatever bytes the strings hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "rgm_audit.h"
#include "rgm_parse.h"

#define RGM_AUDIT_TAG "rgm-audit-v1"


static void rgm_audit_be(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n--) {
		p[n] = v & 0xff;
		v >>= 8;
	}
}

static int rgm_audit_field(gnutls_hash_hd_t h, const void *s, size_t len, bool present)
{
	uint8_t hdr[5];

	hdr[0] = present;
	rgm_audit_be(hdr + 1, present ? len : 0, 4);
	if (gnutls_hash(h, hdr, sizeof(hdr)) < 0)
		return -1;
	if (present && len && gnutls_hash(h, s, len) < 0)
		return -1;
	return 0;
}

/* As rgm_audit_hash(), with explicit lengths (text read back from SQLite). */
static int rgm_audit_hash_n(uint64_t seq, int64_t time, const char *actor, size_t actor_len,
			    const char *gateway, size_t gateway_len, const char *command,
			    size_t command_len, const char *result, size_t result_len,
			    const uint8_t *prev, uint8_t *out)
{
	gnutls_hash_hd_t h;
	uint8_t num[16];
	int ret = -EIO;

	if (actor_len > UINT32_MAX || gateway_len > UINT32_MAX || command_len > UINT32_MAX ||
	    result_len > UINT32_MAX)
		return -EINVAL;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -EIO;
	rgm_audit_be(num, seq, 8);
	rgm_audit_be(num + 8, (uint64_t)time, 8);
	if (gnutls_hash(h, RGM_AUDIT_TAG, strlen(RGM_AUDIT_TAG)) < 0 ||
	    gnutls_hash(h, num, sizeof(num)) < 0 ||
	    rgm_audit_field(h, actor, actor_len, true) ||
	    rgm_audit_field(h, gateway, gateway_len, gateway != NULL) ||
	    rgm_audit_field(h, command, command_len, true) ||
	    rgm_audit_field(h, result, result_len, true) ||
	    gnutls_hash(h, prev, RGM_AUDIT_HASH_LEN) < 0)
		goto out;
	ret = 0;
out:
	gnutls_hash_deinit(h, ret ? NULL : out);
	return ret;
}

int rgm_audit_hash(uint64_t seq, int64_t time, const char *actor, const char *gateway,
		   const char *command, const char *result,
		   const uint8_t prev[RGM_AUDIT_HASH_LEN], uint8_t out[RGM_AUDIT_HASH_LEN])
{
	return rgm_audit_hash_n(seq, time, actor, strlen(actor), gateway,
				gateway ? strlen(gateway) : 0, command, strlen(command),
				result, strlen(result), prev, out);
}

static void rgm_audit_hex(const uint8_t *h, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < RGM_AUDIT_HASH_LEN; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[RGM_AUDIT_HEX_LEN] = '\0';
}

/* Lowercase hex only, exactly 64 digits: anything else is not ours. */
static bool rgm_audit_unhex(const unsigned char *hex, int len, uint8_t *h)
{
	int i, hi, lo;

	if (!hex || len != RGM_AUDIT_HEX_LEN)
		return false;
	for (i = 0; i < RGM_AUDIT_HASH_LEN; i++) {
		hi = hex[2 * i];
		lo = hex[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return false;
		h[i] = hi << 4 | lo;
	}
	return true;
}

/* Reads the head row. 1 found, 0 missing or malformed, -errno on failure. */
static int rgm_audit_head_read(struct rgm_db *db, uint64_t *seq, uint8_t *hash,
			       char *msg, size_t msglen)
{
	sqlite3 *sql = rgm_db_sqlite(db);
	sqlite3_stmt *st;
	int ret, rc;

	rc = sqlite3_prepare_v2(sql, "SELECT seq, hash FROM audit_head WHERE one = 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return rgm_db_sqlerr(db, rc, "read audit head", msg, msglen);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		ret = sqlite3_column_int64(st, 0) >= 0 &&
		      rgm_audit_unhex(sqlite3_column_text(st, 1), sqlite3_column_bytes(st, 1), hash);
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = rgm_db_sqlerr(db, rc, "read audit head", msg, msglen);
	}
	sqlite3_finalize(st);
	return ret;
}

int rgm_audit_head(struct rgm_db *db, uint64_t *seq, char hex[RGM_AUDIT_HEX_LEN + 1],
		   char *msg, size_t msglen)
{
	uint8_t h[RGM_AUDIT_HASH_LEN];
	int ret;

	ret = rgm_audit_head_read(db, seq, h, msg, msglen);
	if (ret < 0)
		return ret;
	if (!ret)
		return rgm_parse_err(msg, msglen, -EBADMSG, "the audit head is missing or malformed");
	rgm_audit_hex(h, hex);
	return 0;
}

int rgm_audit_append(struct rgm_db *db, int64_t now, const char *actor, const char *gateway,
		     const char *command, const char *result, uint64_t *seq,
		     char *msg, size_t msglen)
{
	sqlite3 *sql = rgm_db_sqlite(db);
	uint8_t prev[RGM_AUDIT_HASH_LEN], hash[RGM_AUDIT_HASH_LEN];
	char prev_hex[RGM_AUDIT_HEX_LEN + 1], hex[RGM_AUDIT_HEX_LEN + 1];
	sqlite3_stmt *ins = NULL, *head = NULL;
	uint64_t last;
	int ret, rc;

	if (!*actor || strnlen(actor, RGM_AUDIT_ACTOR_MAX + 1) > RGM_AUDIT_ACTOR_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL, "audit actor must be 1..%d bytes",
				     RGM_AUDIT_ACTOR_MAX);
	if (gateway && !rgm_api_id_valid(gateway))
		return rgm_parse_err(msg, msglen, -EINVAL, "audit gateway '%.64s' is not a gateway id",
				     gateway);
	if (strnlen(command, RGM_AUDIT_JSON_MAX + 1) > RGM_AUDIT_JSON_MAX ||
	    strnlen(result, RGM_AUDIT_JSON_MAX + 1) > RGM_AUDIT_JSON_MAX)
		return rgm_parse_err(msg, msglen, -EINVAL,
				     "audit command and result must be at most %d bytes each",
				     RGM_AUDIT_JSON_MAX);

	ret = rgm_db_begin(db, true, msg, msglen);
	if (ret)
		return ret;
	ret = rgm_audit_head_read(db, &last, prev, msg, msglen);
	if (!ret)
		ret = rgm_parse_err(msg, msglen, -EBADMSG,
				    "the audit head is missing or malformed: run audit verify");
	if (ret < 0)
		goto out;
	ret = rgm_audit_hash(last + 1, now, actor, gateway, command, result, prev, hash);
	if (ret) {
		ret = rgm_parse_err(msg, msglen, ret, "audit: SHA-256 failed");
		goto out;
	}
	rgm_audit_hex(prev, prev_hex);
	rgm_audit_hex(hash, hex);

	rc = sqlite3_prepare_v2(sql, "INSERT INTO audit_log (seq, time, actor, gateway_id, "
				"command, result, prev_hash, hash) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &ins, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(sql, "UPDATE audit_head SET seq = ?1, hash = ?2 "
					"WHERE one = 1", -1, &head, NULL);
	if (rc != SQLITE_OK) {
		ret = rgm_db_sqlerr(db, rc, "prepare audit append", msg, msglen);
		goto out;
	}
	sqlite3_bind_int64(ins, 1, last + 1);
	sqlite3_bind_int64(ins, 2, now);
	sqlite3_bind_text(ins, 3, actor, -1, SQLITE_STATIC);
	if (gateway)
		sqlite3_bind_text(ins, 4, gateway, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ins, 4);
	sqlite3_bind_text(ins, 5, command, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 6, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 7, prev_hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 8, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	if (rc != SQLITE_DONE) {
		ret = rgm_db_sqlerr(db, rc, "append audit entry", msg, msglen);
		goto out;
	}
	sqlite3_bind_int64(head, 1, last + 1);
	sqlite3_bind_text(head, 2, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(head);
	if (rc != SQLITE_DONE) {
		ret = rgm_db_sqlerr(db, rc, "update audit head", msg, msglen);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(head);
	if (ret) {
		rgm_db_rollback(db);
		return ret;
	}
	ret = rgm_db_commit(db, msg, msglen);
	if (!ret && seq)
		*seq = last + 1;
	return ret;
}

static int rgm_audit_bad(struct rgm_audit_report *r, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rgm_audit_bad(struct rgm_audit_report *r, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	r->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Checks one row against the expected seq and previous hash; 0 or -EBADMSG. */
static int rgm_audit_verify_row(sqlite3_stmt *st, uint64_t want, uint8_t *prev,
				struct rgm_audit_report *r)
{
	uint8_t stored_prev[RGM_AUDIT_HASH_LEN], stored[RGM_AUDIT_HASH_LEN];
	uint8_t hash[RGM_AUDIT_HASH_LEN];
	int64_t seq = sqlite3_column_int64(st, 0);
	const char *actor, *gateway, *command, *result;

	if (seq < 0 || (uint64_t)seq != want)
		return rgm_audit_bad(r, want, (uint64_t)seq > want ?
				     "entry %llu is missing: the next one is %lld" :
				     "entry %llu is out of order (found %lld)",
				     (unsigned long long)want, (long long)seq);
	actor = (const char *)sqlite3_column_text(st, 2);
	gateway = (const char *)sqlite3_column_text(st, 3);
	command = (const char *)sqlite3_column_text(st, 4);
	result = (const char *)sqlite3_column_text(st, 5);
	if (!actor || !command || !result)
		return rgm_audit_bad(r, want, "entry %llu has a field set to NULL",
				     (unsigned long long)want);
	if (!rgm_audit_unhex(sqlite3_column_text(st, 6), sqlite3_column_bytes(st, 6),
			     stored_prev) ||
	    memcmp(stored_prev, prev, RGM_AUDIT_HASH_LEN))
		return rgm_audit_bad(r, want, "entry %llu does not follow entry %llu "
				     "(prev_hash differs: an entry was removed, inserted or reordered)",
				     (unsigned long long)want, (unsigned long long)want - 1);
	if (rgm_audit_hash_n(want, sqlite3_column_int64(st, 1), actor, sqlite3_column_bytes(st, 2),
			     gateway, gateway ? sqlite3_column_bytes(st, 3) : 0, command,
			     sqlite3_column_bytes(st, 4), result, sqlite3_column_bytes(st, 5),
			     prev, hash))
		return rgm_audit_bad(r, want, "entry %llu: SHA-256 failed", (unsigned long long)want);
	if (!rgm_audit_unhex(sqlite3_column_text(st, 7), sqlite3_column_bytes(st, 7), stored) ||
	    memcmp(stored, hash, RGM_AUDIT_HASH_LEN))
		return rgm_audit_bad(r, want, "entry %llu was altered: its hash does not match "
				     "its fields", (unsigned long long)want);
	memcpy(prev, hash, RGM_AUDIT_HASH_LEN);
	return 0;
}

int rgm_audit_verify(struct rgm_db *db, struct rgm_audit_report *r)
{
	sqlite3 *sql = rgm_db_sqlite(db);
	uint8_t prev[RGM_AUDIT_HASH_LEN] = { 0 }, head_hash[RGM_AUDIT_HASH_LEN];
	sqlite3_stmt *st = NULL;
	uint64_t head_seq, want = 1;
	int ret, rc;

	memset(r, 0, sizeof(*r));
	/* one read transaction: a consistent snapshot while writers go on (WAL) */
	ret = rgm_db_begin(db, false, r->why, sizeof(r->why));
	if (ret)
		return ret;
	ret = rgm_audit_head_read(db, &head_seq, head_hash, r->why, sizeof(r->why));
	if (ret < 0)
		goto out;
	if (!ret) {
		ret = rgm_audit_bad(r, 1, "the audit head row is missing or malformed");
		goto out;
	}
	ret = 0;
	rc = sqlite3_prepare_v2(sql, "SELECT seq, time, actor, gateway_id, command, result, "
				"prev_hash, hash FROM audit_log ORDER BY seq", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = rgm_db_sqlerr(db, rc, "read audit log", r->why, sizeof(r->why));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = rgm_audit_verify_row(st, want, prev, r);
		if (ret)
			goto out;
		r->entries++;
		want++;
	}
	if (rc != SQLITE_DONE) {
		ret = rgm_db_sqlerr(db, rc, "read audit log", r->why, sizeof(r->why));
		goto out;
	}
	if (head_seq > r->entries) {
		ret = rgm_audit_bad(r, r->entries + 1, "the log ends at entry %llu but its head "
				    "says %llu: entries were removed from the tail",
				    (unsigned long long)r->entries, (unsigned long long)head_seq);
	} else if (head_seq < r->entries) {
		ret = rgm_audit_bad(r, head_seq + 1, "entries after %llu were not appended "
				    "through rgm (the head says %llu)",
				    (unsigned long long)head_seq, (unsigned long long)head_seq);
	} else if (memcmp(head_hash, prev, RGM_AUDIT_HASH_LEN)) {
		ret = rgm_audit_bad(r, head_seq ? head_seq : 1, "the head hash does not match "
				    "entry %llu", (unsigned long long)head_seq);
	}
out:
	sqlite3_finalize(st);
	rgm_db_rollback(db);	/* read-only: ending it is all that is left */
	return ret;
}

int rgm_audit_tail(struct rgm_db *db, unsigned int max,
		   int (*fn)(void *arg, const struct rgm_audit_entry *e), void *arg,
		   char *msg, size_t msglen)
{
	sqlite3 *sql = rgm_db_sqlite(db);
	struct rgm_audit_entry e;
	sqlite3_stmt *st = NULL;
	int ret = 0, rc;

	rc = sqlite3_prepare_v2(sql, "SELECT seq, time, actor, gateway_id, command, result, hash "
				"FROM audit_log ORDER BY seq DESC LIMIT ?", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, max);
	if (rc != SQLITE_OK) {
		ret = rgm_db_sqlerr(db, rc, "read audit log", msg, msglen);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.seq = sqlite3_column_int64(st, 0);
		e.time = sqlite3_column_int64(st, 1);
		e.actor = (const char *)sqlite3_column_text(st, 2);
		e.gateway = (const char *)sqlite3_column_text(st, 3);
		e.command = (const char *)sqlite3_column_text(st, 4);
		e.result = (const char *)sqlite3_column_text(st, 5);
		e.hash = (const char *)sqlite3_column_text(st, 6);
		ret = fn(arg, &e);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE)
		ret = rgm_db_sqlerr(db, rc, "read audit log", msg, msglen);
out:
	sqlite3_finalize(st);
	return ret;
}
