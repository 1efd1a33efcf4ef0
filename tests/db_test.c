// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the configuration server's registration database and
 * audit log (confserver/rgm_db.c, confserver/rgm_audit.c) on a scratch
 * SQLite file: migrations, gateways, the appliance binding rule, sessions
 * and their states, and the hash chain against tampering done with raw SQL.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "rgm_audit.h"
#include "rgm_db.h"
#include "kselftest_harness.h"

#define PIN_A "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define PIN_B "pin-sha256:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
#define PIN_C "pin-sha256:Ln0sA6lQeuJl7PW1NWiFpTOTogKdJBOUmXJloaJa78Y="

/* Runs SQL on its own connection, as someone with the file would. */
static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *s;
	int rc;

	if (sqlite3_open(path, &s) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(s, sql, NULL, NULL, NULL);
	sqlite3_close(s);
	return rc == SQLITE_OK ? 0 : -1;
}

static long long raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;
	sqlite3 *s;

	if (sqlite3_open(path, &s) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(s);
	return v;
}

static struct rgm_db_gateway gw(const char *id, const char *type, enum rgm_gw_mode mode,
				const char *endpoint, const char *pin)
{
	struct rgm_db_gateway g;

	memset(&g, 0, sizeof(g));
	snprintf(g.id, sizeof(g.id), "%s", id);
	snprintf(g.type, sizeof(g.type), "%s", type);
	g.mode = mode;
	snprintf(g.endpoint, sizeof(g.endpoint), "%s", endpoint);
	snprintf(g.pin, sizeof(g.pin), "%s", pin);
	g.enrolled_at = 1000;
	return g;
}

static size_t n_gateways(struct rgm_db *db)
{
	struct rgm_db_gateway *a;
	size_t n;

	if (rgm_db_gateway_list(db, &a, &n, NULL, 0))
		return (size_t)-1;
	free(a);
	return n;
}

FIXTURE(db) {
	char dir[64];
	char path[128];
	struct rgm_db *db;
	char msg[256];
};

FIXTURE_SETUP(db)
{
	strcpy(self->dir, "/tmp/rgm-db-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/confserver.db", self->dir);
	ASSERT_EQ(0, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

FIXTURE_TEARDOWN(db)
{
	char p[160];

	rgm_db_close(self->db);
	unlink(self->path);
	snprintf(p, sizeof(p), "%s-wal", self->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", self->path);
	unlink(p);
	rmdir(self->dir);
}

TEST_F(db, open_sets_wal_fk_and_migrates_once)
{
	sqlite3_stmt *st;
	unsigned int v = 0;

	ASSERT_EQ(0, rgm_db_schema_version(self->db, &v, self->msg, sizeof(self->msg)));
	EXPECT_EQ(rgm_db_migrations[rgm_db_n_migrations - 1].version, v);
	/* WAL is a property of the file: another connection sees it */
	ASSERT_EQ(0, sqlite3_prepare_v2(rgm_db_sqlite(self->db), "PRAGMA foreign_keys", -1,
					&st, NULL));
	ASSERT_EQ(SQLITE_ROW, sqlite3_step(st));
	EXPECT_EQ(1, sqlite3_column_int(st, 0));
	sqlite3_finalize(st);
	rgm_db_close(self->db);
	self->db = NULL;
	{
		sqlite3 *s;
		const unsigned char *mode;

		ASSERT_EQ(SQLITE_OK, sqlite3_open(self->path, &s));
		ASSERT_EQ(SQLITE_OK, sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st, NULL));
		ASSERT_EQ(SQLITE_ROW, sqlite3_step(st));
		mode = sqlite3_column_text(st, 0);
		EXPECT_STREQ("wal", (const char *)mode);
		sqlite3_finalize(st);
		sqlite3_close(s);
	}
	/* reopening applies nothing twice */
	ASSERT_EQ(0, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)));
	EXPECT_EQ((long long)rgm_db_n_migrations,
		  raw_int(self->path, "SELECT count(*) FROM schema_version"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM audit_head"));
}

TEST_F(db, refuses_a_newer_schema)
{
	rgm_db_close(self->db);
	self->db = NULL;
	ASSERT_EQ(0, raw_exec(self->path, "INSERT INTO schema_version VALUES (99, 'future', 0)"));
	EXPECT_EQ(-EPROTO, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)));
	EXPECT_EQ(NULL, self->db);
	EXPECT_NE(NULL, strstr(self->msg, "schema version 99 is newer"));
	TH_LOG("%s", self->msg);
	/* and it changed nothing */
	EXPECT_EQ(99, raw_int(self->path, "SELECT max(version) FROM schema_version"));
}

/* The database is a secret file (lib/rgm_secret.h): made 0600 with its
 * WAL, and refused once group or others may read it, or through a link. */
TEST_F(db, is_a_secret_file)
{
	char p[200];
	struct stat st;

	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	snprintf(p, sizeof(p), "%s-wal", self->path);
	ASSERT_EQ(0, stat(p, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	rgm_db_close(self->db);
	self->db = NULL;
	ASSERT_EQ(0, chmod(self->path, 0644));
	EXPECT_GT(0, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "mode 0644 lets group or others at a secret (chmod 600 "))
		TH_LOG("%s", self->msg);
	ASSERT_EQ(0, chmod(self->path, 0600));
	snprintf(p, sizeof(p), "%s/link.db", self->dir);
	ASSERT_EQ(0, symlink(self->path, p));
	EXPECT_GT(0, rgm_db_open(p, &self->db, self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "a symbolic link")) TH_LOG("%s", self->msg);
	unlink(p);
	ASSERT_EQ(0, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
}

TEST(open_fails_cleanly)
{
	struct rgm_db *db = (void *)1;
	char msg[256] = "";

	EXPECT_GT(0, rgm_db_open("/nonexistent-rgm-dir/x.db", &db, msg, sizeof(msg)));
	EXPECT_EQ(NULL, db);
	EXPECT_NE(0, msg[0]);
}

TEST(open_refuses_a_file_that_is_not_a_database)
{
	char dir[] = "/tmp/rgm-db-test.XXXXXX", path[64], msg[256] = "";
	struct rgm_db *db = (void *)1;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/junk.db", dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("this is not an SQLite database, and it is long enough to have a header....\n", f);
	fclose(f);
	chmod(path, 0600);	/* a secret file's mode, so SQLite gets to read it */
	EXPECT_GT(0, rgm_db_open(path, &db, msg, sizeof(msg)));
	EXPECT_EQ(NULL, db);
	EXPECT_NE(NULL, strstr(msg, "not a database")) TH_LOG("%s", msg);
	unlink(path);
	rmdir(dir);
}

/* The migrations the build embedded (scripts/mkschema.sh) are the .sql
 * files, every one, byte for byte, numbered 1, 2, 3... */
TEST(migrations_match_the_tree)
{
	char dirpath[256], path[512], *text;
	const char *slash = strrchr(__FILE__, '/');
	struct dirent *de;
	unsigned int i, files = 0;
	long len;
	FILE *f;
	DIR *d;

	/* __FILE__ is tests/db_test.c relative to the top, or absolute */
	snprintf(dirpath, sizeof(dirpath), "%.*sconfserver/migrations",
		 slash ? (int)(slash - __FILE__ - strlen("tests")) : 0, __FILE__);
	d = opendir(dirpath);
	ASSERT_NE(NULL, d) TH_LOG("run from the top of the tree: %s", dirpath);
	while ((de = readdir(d)))
		if (strlen(de->d_name) > 4 && !strcmp(de->d_name + strlen(de->d_name) - 4, ".sql"))
			files++;
	closedir(d);
	EXPECT_EQ(rgm_db_n_migrations, files);
	for (i = 0; i < rgm_db_n_migrations; i++) {
		EXPECT_EQ(i + 1, rgm_db_migrations[i].version);
		snprintf(path, sizeof(path), "%s/%s.sql", dirpath, rgm_db_migrations[i].name);
		f = fopen(path, "rb");
		ASSERT_NE(NULL, f) TH_LOG("%s", path);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		text = calloc(1, len + 1);
		ASSERT_NE(NULL, text);
		ASSERT_EQ((size_t)len, fread(text, 1, len, f));
		fclose(f);
		EXPECT_STREQ(text, rgm_db_migrations[i].sql);
		free(text);
	}
}

TEST_F(db, gateway_add_get_list_del)
{
	struct rgm_db_gateway a = gw("gw-a", "homebox", RGM_GW_LISTEN, "gw-a.example.net:7443", PIN_A);
	struct rgm_db_gateway b = gw("gw-b", "homebox", RGM_GW_CALL_HOME, "", PIN_B);
	struct rgm_db_gateway g, *l;
	size_t n;

	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &b, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	strcpy(a.global_addr, "198.51.100.1");
	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &a, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	ASSERT_EQ(0, rgm_db_gateway_get(self->db, "gw-a", &g, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("homebox", g.type);
	EXPECT_EQ(RGM_GW_LISTEN, g.mode);
	EXPECT_STREQ("gw-a.example.net:7443", g.endpoint);
	EXPECT_STREQ(PIN_A, g.pin);
	EXPECT_STREQ("198.51.100.1", g.global_addr);
	EXPECT_EQ(1000, g.enrolled_at);
	ASSERT_EQ(0, rgm_db_gateway_get(self->db, "gw-b", &g, self->msg, sizeof(self->msg)));
	EXPECT_EQ(RGM_GW_CALL_HOME, g.mode);
	EXPECT_STREQ("", g.endpoint);
	EXPECT_STREQ("", g.global_addr);

	ASSERT_EQ(0, rgm_db_gateway_list(self->db, &l, &n, self->msg, sizeof(self->msg)));
	ASSERT_EQ(2, n);
	EXPECT_STREQ("gw-a", l[0].id);
	EXPECT_STREQ("gw-b", l[1].id);
	free(l);

	/* taken id: refused, the first one untouched */
	b.mode = RGM_GW_LISTEN;
	strcpy(b.endpoint, "[2001:db8::1]:7443");
	strcpy(b.id, "gw-a");
	EXPECT_EQ(-EEXIST, rgm_db_gateway_add(self->db, &b, self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "gw-a"));
	ASSERT_EQ(0, rgm_db_gateway_get(self->db, "gw-a", &g, self->msg, sizeof(self->msg)));
	EXPECT_STREQ(PIN_A, g.pin);

	/* one key, one gateway: a calling-home rgmd is known by its pin */
	b = gw("gw-c", "homebox", RGM_GW_CALL_HOME, "", PIN_B);
	EXPECT_EQ(-EEXIST, rgm_db_gateway_add(self->db, &b, self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "already enrolled for gateway gw-b")) TH_LOG("%s", self->msg);
	EXPECT_EQ(-ENOENT, rgm_db_gateway_get(self->db, "gw-c", &g, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_find_pin(self->db, PIN_B, &g, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("gw-b", g.id);
	EXPECT_EQ(-ENOENT, rgm_db_gateway_find_pin(self->db, PIN_C, &g, self->msg,
						   sizeof(self->msg)));

	ASSERT_EQ(0, rgm_db_gateway_set_addr(self->db, "gw-b", "198.51.100.9", self->msg,
					     sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_get(self->db, "gw-b", &g, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("198.51.100.9", g.global_addr);
	EXPECT_EQ(-EINVAL, rgm_db_gateway_set_addr(self->db, "gw-b", "198.51.100", self->msg,
						   sizeof(self->msg)));
	EXPECT_EQ(-ENOENT, rgm_db_gateway_set_addr(self->db, "gw-z", "198.51.100.9", self->msg,
						   sizeof(self->msg)));

	EXPECT_EQ(-ENOENT, rgm_db_gateway_get(self->db, "gw-z", &g, self->msg, sizeof(self->msg)));
	EXPECT_EQ(-ENOENT, rgm_db_gateway_del(self->db, "gw-z", self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_del(self->db, "gw-a", self->msg, sizeof(self->msg)));
	EXPECT_EQ(-ENOENT, rgm_db_gateway_get(self->db, "gw-a", &g, self->msg, sizeof(self->msg)));
	EXPECT_EQ(1, n_gateways(self->db));
}

/* The epoch a gateway last said survives a reopen (a confserver restart):
 * a gateway that restarted meanwhile is still noticed. */
TEST_F(db, gateway_epoch_is_remembered)
{
	struct rgm_db_gateway a = gw("gw-a", "homebox", RGM_GW_LISTEN, "gw-a.example.net:7443", PIN_A);
	char old[17];

	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &a, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_swap_epoch(self->db, "gw-a", "0123456789abcdef", old,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("", old);
	ASSERT_EQ(0, rgm_db_gateway_swap_epoch(self->db, "gw-a", "0123456789abcdef", old,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("0123456789abcdef", old);
	rgm_db_close(self->db);
	ASSERT_EQ(0, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_swap_epoch(self->db, "gw-a", "fedcba9876543210", old,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("0123456789abcdef", old);
	EXPECT_EQ(1, raw_int(self->path,
			     "SELECT count(*) FROM gateways WHERE epoch = 'fedcba9876543210'"));

	EXPECT_EQ(-EINVAL, rgm_db_gateway_swap_epoch(self->db, "gw-a", "FEDCBA9876543210", old,
						     self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "16 hex digits"));
	EXPECT_EQ(-ENOENT, rgm_db_gateway_swap_epoch(self->db, "gw-x", "fedcba9876543210", old,
						     self->msg, sizeof(self->msg)));
	/* the schema refuses what the function would */
	EXPECT_NE(0, raw_exec(self->path, "UPDATE gateways SET epoch = 'xyz'"));
}

/* A version 1 database (before the epoch) is migrated with its rows. */
TEST_F(db, version_1_database_is_migrated_keeping_its_rows)
{
	struct rgm_db_gateway g;
	char old[17];

	rgm_db_close(self->db);
	self->db = NULL;
	unlink(self->path);
	ASSERT_EQ(0, raw_exec(self->path, rgm_db_migrations[0].sql));
	ASSERT_EQ(0, raw_exec(self->path,
			      "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, "
			      "name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;"
			      "INSERT INTO schema_version VALUES (1, '0001_initial', 0);"
			      "INSERT INTO gateways (id, type, mode, endpoint, pin, enrolled_at) "
			      "VALUES ('gw-old', 'homebox', 'listen', 'old.example.net:7443', '"
			      PIN_A "', 5)"));
	ASSERT_EQ(0, chmod(self->path, 0600));	/* made by sqlite3 above, umask's mode */
	ASSERT_EQ(0, rgm_db_open(self->path, &self->db, self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	EXPECT_EQ(rgm_db_n_migrations, raw_int(self->path, "SELECT max(version) FROM schema_version"));
	ASSERT_EQ(0, rgm_db_gateway_get(self->db, "gw-old", &g, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("old.example.net:7443", g.endpoint);
	ASSERT_EQ(0, rgm_db_gateway_swap_epoch(self->db, "gw-old", "0123456789abcdef", old,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("", old);
}

TEST_F(db, gateway_add_refuses_bad_values_and_writes_nothing)
{
	static const struct { const char *id, *type, *endpoint, *pin, *addr; int mode; } bad[] = {
		{ "", "t", "h:1", PIN_A, "", RGM_GW_LISTEN },
		{ "x'; DROP TABLE gateways;--", "t", "h:1", PIN_A, "", RGM_GW_LISTEN },
		{ "-gw", "t", "h:1", PIN_A, "", RGM_GW_LISTEN },
		{ "gw", "a b", "h:1", PIN_A, "", RGM_GW_LISTEN },
		{ "gw", "t", "", PIN_A, "", RGM_GW_LISTEN },		/* listen without endpoint */
		{ "gw", "t", "h", PIN_A, "", RGM_GW_LISTEN },		/* no port */
		{ "gw", "t", "h:0", PIN_A, "", RGM_GW_LISTEN },
		{ "gw", "t", "h:65536", PIN_A, "", RGM_GW_LISTEN },
		{ "gw", "t", "2001:db8::1:80", PIN_A, "", RGM_GW_LISTEN },	/* unbracketed v6 */
		{ "gw", "t", "h:1", PIN_A, "", RGM_GW_CALL_HOME },	/* call-home with endpoint */
		{ "gw", "t", "", "pin-sha256:AAAA", "", RGM_GW_CALL_HOME },
		{ "gw", "t", "", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "",
		  RGM_GW_CALL_HOME },
		{ "gw", "t", "", "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!=", "",
		  RGM_GW_CALL_HOME },
		{ "gw", "t", "", PIN_A, "198.51.100.300", RGM_GW_CALL_HOME },
		{ "gw", "t", "", PIN_A, "", 7 },
	};
	struct rgm_db_gateway g;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		g = gw(bad[i].id, bad[i].type, bad[i].mode, bad[i].endpoint, bad[i].pin);
		strcpy(g.global_addr, bad[i].addr);
		self->msg[0] = '\0';
		EXPECT_EQ(-EINVAL, rgm_db_gateway_add(self->db, &g, self->msg, sizeof(self->msg)))
			TH_LOG("case %u", i);
		EXPECT_NE(0, self->msg[0]) TH_LOG("case %u has no message", i);
	}
	EXPECT_EQ(0, n_gateways(self->db));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'gateways'"));
}

TEST_F(db, gateway_del_refused_while_referenced)
{
	struct rgm_db_gateway a = gw("gw-a", "homebox", RGM_GW_CALL_HOME, "", PIN_A);

	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &a, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-1", "gw-a", NULL, NULL, 2000, NULL,
					       self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EBUSY, rgm_db_gateway_del(self->db, "gw-a", self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "1 appliance(s)")) TH_LOG("%s", self->msg);
	EXPECT_EQ(1, n_gateways(self->db));
	/* the foreign key backs the check up: a raw delete on our connection fails too */
	EXPECT_NE(SQLITE_OK, sqlite3_exec(rgm_db_sqlite(self->db),
					  "DELETE FROM gateways WHERE id = 'gw-a'", NULL, NULL, NULL));
	EXPECT_EQ(1, n_gateways(self->db));
}

TEST_F(db, appliance_binding_rule)
{
	struct rgm_db_gateway g1 = gw("g1", "tc-1", RGM_GW_CALL_HOME, "", PIN_A);
	struct rgm_db_gateway g2 = gw("g2", "tc-1", RGM_GW_CALL_HOME, "", PIN_B);
	struct rgm_db_gateway g3 = gw("g3", "tc-2", RGM_GW_LISTEN, "192.0.2.1:7443", PIN_C);
	struct rgm_db_appliance a;
	struct rgm_db_session s;

	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &g1, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &g2, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &g3, self->msg, sizeof(self->msg)));

	/* by type, exactly one of it: bound */
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-1", NULL, "tc-2", NULL, 100, &a,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g3", a.gateway);
	EXPECT_EQ(100, a.registered_at);
	/* by type, two of it: refused, name it by id */
	EXPECT_EQ(-ENOTUNIQ, rgm_db_appliance_register(self->db, "stb-2", NULL, "tc-1", NULL, 100, &a,
						       self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "by id"));
	EXPECT_EQ(-ENOENT, rgm_db_appliance_get(self->db, "stb-2", &a, self->msg, sizeof(self->msg)));
	/* two of it, but the portal saw the appliance come from g2's address */
	ASSERT_EQ(0, rgm_db_gateway_set_addr(self->db, "g1", "198.51.100.1", self->msg,
					     sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_set_addr(self->db, "g2", "198.51.100.2", self->msg,
					     sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-4", NULL, "tc-1", "198.51.100.2",
					       100, &a, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g2", a.gateway);
	/* ... from an address neither was seen at: still ambiguous */
	EXPECT_EQ(-ENOTUNIQ, rgm_db_appliance_register(self->db, "stb-5", NULL, "tc-1",
						       "203.0.113.9", 100, &a, self->msg,
						       sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "none of them was last seen at 203.0.113.9"));
	/* by type, none of it */
	EXPECT_EQ(-ENOENT, rgm_db_appliance_register(self->db, "stb-2", NULL, "tc-9", NULL, 100, &a,
						     self->msg, sizeof(self->msg)));
	/* by unknown id */
	EXPECT_EQ(-ENOENT, rgm_db_appliance_register(self->db, "stb-2", "g9", NULL, NULL, 100, &a,
						     self->msg, sizeof(self->msg)));
	/* both, neither */
	EXPECT_EQ(-EINVAL, rgm_db_appliance_register(self->db, "stb-2", "g1", "tc-1", NULL, 100, &a,
						     self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_appliance_register(self->db, "stb-2", NULL, "", NULL, 100, &a,
						     self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_appliance_register(self->db, "stb 2", "g1", NULL, NULL, 100, &a,
						     self->msg, sizeof(self->msg)));
	/* by id */
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-2", "g1", NULL, NULL, 200, &a,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g1", a.gateway);
	/* by its gateway's type later: it stays where it is, no ambiguity */
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-2", NULL, "tc-1", NULL, 300, &a,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g1", a.gateway);
	EXPECT_EQ(200, a.registered_at);
	EXPECT_EQ(300, a.last_contact);
	/* moves by id while it has no open session */
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-2", "g2", NULL, NULL, 400, &a,
					       self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_get(self->db, "stb-2", &a, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g2", a.gateway);
	EXPECT_EQ(200, a.registered_at);
	EXPECT_EQ(400, a.last_contact);
	/* but not with one */
	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-2", "[]", 60, 500, &s,
					   self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EBUSY, rgm_db_appliance_register(self->db, "stb-2", "g1", NULL, NULL, 600, &a,
						    self->msg, sizeof(self->msg)));
	TH_LOG("%s", self->msg);
	ASSERT_EQ(0, rgm_db_appliance_get(self->db, "stb-2", &a, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g2", a.gateway);
	EXPECT_EQ(400, a.last_contact);		/* the refused call wrote nothing */
	ASSERT_EQ(0, rgm_db_session_update(self->db, s.id, RGM_DB_CLOSED, NULL, 0, 700,
					   self->msg, sizeof(self->msg)));
	rgm_db_session_release(&s);
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-2", "g1", NULL, NULL, 800, &a,
					       self->msg, sizeof(self->msg)));
	EXPECT_STREQ("g1", a.gateway);

	/* refresh */
	ASSERT_EQ(0, rgm_db_appliance_refresh(self->db, "stb-1", 900, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_get(self->db, "stb-1", &a, self->msg, sizeof(self->msg)));
	EXPECT_EQ(900, a.last_contact);
	EXPECT_EQ(100, a.registered_at);
	EXPECT_EQ(-ENOENT, rgm_db_appliance_refresh(self->db, "stb-9", 900, self->msg,
						    sizeof(self->msg)));
}

/* What the keeper probes: the gateways with an active session, each once. */
TEST_F(db, gateways_with_active_sessions)
{
	struct rgm_db_gateway g1 = gw("g1", "tc-1", RGM_GW_CALL_HOME, "", PIN_A);
	struct rgm_db_gateway g2 = gw("g2", "tc-1", RGM_GW_LISTEN, "g2.example.net:7443", PIN_B);
	struct rgm_db_session a, b, c;
	struct rgm_db_gateway *l;
	size_t n;

	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &g1, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &g2, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-1", "g1", NULL, NULL, 1, NULL,
					       self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-2", "g2", NULL, NULL, 1, NULL,
					       self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_list_in_state(self->db, RGM_DB_ACTIVE, &l, &n, self->msg,
						  sizeof(self->msg)));
	EXPECT_EQ(0, n);
	free(l);
	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-1", "[]", 60, 1, &a, self->msg,
					   sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-1", "[]", 60, 1, &b, self->msg,
					   sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-2", "[]", 60, 1, &c, self->msg,
					   sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_session_update(self->db, a.id, RGM_DB_ACTIVE, "[]", 0, 2, self->msg,
					   sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_session_update(self->db, b.id, RGM_DB_ACTIVE, "[]", 0, 2, self->msg,
					   sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_gateway_list_in_state(self->db, RGM_DB_ACTIVE, &l, &n, self->msg,
						  sizeof(self->msg)));
	ASSERT_EQ(1, n);	/* g2's session is pending */
	EXPECT_STREQ("g1", l[0].id);
	free(l);
	ASSERT_EQ(0, rgm_db_gateway_list_in_state(self->db, RGM_DB_PENDING, &l, &n, self->msg,
						  sizeof(self->msg)));
	ASSERT_EQ(1, n);
	EXPECT_STREQ("g2", l[0].id);
	free(l);
	EXPECT_EQ(-EINVAL, rgm_db_gateway_list_in_state(self->db, 9, &l, &n, self->msg,
							sizeof(self->msg)));
	rgm_db_session_release(&a);
	rgm_db_session_release(&b);
	rgm_db_session_release(&c);
}

TEST_F(db, sessions)
{
	struct rgm_db_gateway g1 = gw("g1", "tc-1", RGM_GW_CALL_HOME, "", PIN_A);
	const char *streams = "[{\"type\":\"rtp\",\"note\":\"it's \\\"quoted\\\"\"}]";
	struct rgm_db_session s, t, *l;
	unsigned int i;
	size_t n;

	ASSERT_EQ(0, rgm_db_gateway_add(self->db, &g1, self->msg, sizeof(self->msg)));
	EXPECT_EQ(-ENOENT, rgm_db_session_create(self->db, "stb-1", "[]", 60, 1, &s,
						 self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-1", "g1", NULL, NULL, 1, NULL,
					       self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(self->db, "stb-2", "g1", NULL, NULL, 1, NULL,
					       self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_session_create(self->db, "stb-1", "{}", 60, 1, &s,
						 self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_session_create(self->db, "stb-1", "[1,", 60, 1, &s,
						 self->msg, sizeof(self->msg)));
	TH_LOG("%s", self->msg);
	EXPECT_EQ(-EINVAL, rgm_db_session_create(self->db, "stb-1", "[]", 0, 1, &s,
						 self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_session_create(self->db, "stb-1", "[]", 604801, 1, &s,
						 self->msg, sizeof(self->msg)));
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM sessions"));

	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-1", streams, 300, 10, &s,
					   self->msg, sizeof(self->msg))) TH_LOG("%s", self->msg);
	ASSERT_EQ(RGM_DB_SESSION_ID_LEN, strlen(s.id));
	EXPECT_EQ(0, strncmp(s.id, "s-", 2));
	for (i = 2; i < RGM_DB_SESSION_ID_LEN; i++)
		EXPECT_NE(NULL, strchr("0123456789abcdef", s.id[i]));
	EXPECT_STREQ("stb-1", s.appliance);
	EXPECT_STREQ("g1", s.gateway);
	EXPECT_STREQ(streams, s.streams);	/* bound, not spliced: quotes survive */
	EXPECT_EQ(NULL, s.ports);
	EXPECT_EQ(300, s.lease);
	EXPECT_EQ(RGM_DB_PENDING, s.state);
	EXPECT_EQ(10, s.created_at);

	ASSERT_EQ(0, rgm_db_session_update(self->db, s.id, RGM_DB_ACTIVE, "[40000,40002]", 0, 20,
					   self->msg, sizeof(self->msg))) TH_LOG("%s", self->msg);
	ASSERT_EQ(0, rgm_db_session_get(self->db, s.id, &t, self->msg, sizeof(self->msg)));
	EXPECT_EQ(RGM_DB_ACTIVE, t.state);
	EXPECT_STREQ("[40000,40002]", t.ports);
	EXPECT_EQ(300, t.lease);
	EXPECT_EQ(10, t.created_at);
	EXPECT_EQ(20, t.updated_at);
	rgm_db_session_release(&t);
	/* renew: lease changes, ports stay */
	ASSERT_EQ(0, rgm_db_session_update(self->db, s.id, RGM_DB_ACTIVE, NULL, 900, 30,
					   self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_session_get(self->db, s.id, &t, self->msg, sizeof(self->msg)));
	EXPECT_EQ(900, t.lease);
	EXPECT_STREQ("[40000,40002]", t.ports);
	rgm_db_session_release(&t);
	EXPECT_EQ(-EINVAL, rgm_db_session_update(self->db, s.id, RGM_DB_ACTIVE, "{\"a\":1}", 0, 31,
						 self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_session_update(self->db, s.id, RGM_DB_PENDING, NULL, 0, 31,
						 self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_session_update(self->db, s.id, 9, NULL, 0, 31,
						 self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_session_update(self->db, s.id, RGM_DB_CLOSED, NULL, 0, 40,
					   self->msg, sizeof(self->msg)));
	/* closed is final */
	EXPECT_EQ(-EINVAL, rgm_db_session_update(self->db, s.id, RGM_DB_ACTIVE, NULL, 0, 50,
						 self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "is closed")) TH_LOG("%s", self->msg);
	ASSERT_EQ(0, rgm_db_session_get(self->db, s.id, &t, self->msg, sizeof(self->msg)));
	EXPECT_EQ(RGM_DB_CLOSED, t.state);
	EXPECT_EQ(40, t.updated_at);
	rgm_db_session_release(&t);
	EXPECT_EQ(-ENOENT, rgm_db_session_update(self->db, "s-nope", RGM_DB_CLOSED, NULL, 0, 50,
						 self->msg, sizeof(self->msg)));

	/* pending -> failed */
	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-1", "[]", 60, 60, &t,
					   self->msg, sizeof(self->msg)));
	EXPECT_STRNE(s.id, t.id);
	ASSERT_EQ(0, rgm_db_session_update(self->db, t.id, RGM_DB_FAILED, NULL, 0, 61,
					   self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_db_session_update(self->db, t.id, RGM_DB_CLOSED, NULL, 0, 62,
						 self->msg, sizeof(self->msg)));
	rgm_db_session_release(&t);
	ASSERT_EQ(0, rgm_db_session_create(self->db, "stb-2", "[]", 60, 70, &t,
					   self->msg, sizeof(self->msg)));

	ASSERT_EQ(0, rgm_db_session_list(self->db, "stb-1", &l, &n, self->msg, sizeof(self->msg)));
	ASSERT_EQ(2, n);
	EXPECT_STREQ(s.id, l[0].id);
	EXPECT_EQ(RGM_DB_FAILED, l[1].state);
	rgm_db_sessions_free(l, n);
	ASSERT_EQ(0, rgm_db_session_list(self->db, NULL, &l, &n, self->msg, sizeof(self->msg)));
	ASSERT_EQ(3, n);
	EXPECT_STREQ(t.id, l[2].id);
	rgm_db_sessions_free(l, n);
	ASSERT_EQ(0, rgm_db_session_list(self->db, "stb-9", &l, &n, self->msg, sizeof(self->msg)));
	EXPECT_EQ(0, n);
	rgm_db_sessions_free(l, n);
	rgm_db_session_release(&t);
	rgm_db_session_release(&s);
}

/* A second connection waits out the busy timeout, then gets -EBUSY. */
TEST_F(db, busy_timeout_then_ebusy)
{
	struct rgm_db_gateway g = gw("g1", "t", RGM_GW_CALL_HOME, "", PIN_A);
	struct rgm_db *other;
	struct timespec t0, t1;
	double waited;

	ASSERT_EQ(0, rgm_db_open(self->path, &other, self->msg, sizeof(self->msg)));
	ASSERT_EQ(0, rgm_db_begin(self->db, true, self->msg, sizeof(self->msg)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-EBUSY, rgm_db_gateway_add(other, &g, self->msg, sizeof(self->msg)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	EXPECT_LT(RGM_DB_BUSY_TIMEOUT_MS / 1000.0 - 0.5, waited) TH_LOG("waited %.2f s", waited);
	/* WAL: a reader is not blocked by the writer */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-ENOENT, rgm_db_gateway_get(other, "g1", &g, self->msg, sizeof(self->msg)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GT(1, t1.tv_sec - t0.tv_sec);
	rgm_db_rollback(self->db);
	/* the writer gone, it goes through */
	g = gw("g1", "t", RGM_GW_CALL_HOME, "", PIN_A);
	EXPECT_EQ(0, rgm_db_gateway_add(other, &g, self->msg, sizeof(self->msg)));
	EXPECT_EQ(1, n_gateways(self->db));
	rgm_db_close(other);
}

/* Audit */

static void append(struct __test_metadata *_metadata, struct rgm_db *db, int count)
{
	char cmd[128], msg[256];
	uint64_t seq;
	int i;

	for (i = 0; i < count; i++) {
		snprintf(cmd, sizeof(cmd), "{\"op\":\"map\",\"n\":%d}", i);
		ASSERT_EQ(0, rgm_audit_append(db, 5000 + i, "portal:CN=p1", i % 2 ? "gw-a" : NULL,
					      cmd, "{\"ok\":true}", &seq, msg, sizeof(msg)))
			TH_LOG("%s", msg);
	}
}

static void expect_broken(struct __test_metadata *_metadata, struct rgm_db *db,
			  uint64_t bad_seq, const char *why)
{
	struct rgm_audit_report r;

	EXPECT_EQ(-EBADMSG, rgm_audit_verify(db, &r));
	EXPECT_EQ(bad_seq, r.bad_seq);
	EXPECT_NE(NULL, strstr(r.why, why)) TH_LOG("why: %s", r.why);
}

TEST_F(db, audit_chain_intact)
{
	uint8_t prev[RGM_AUDIT_HASH_LEN] = { 0 }, h[RGM_AUDIT_HASH_LEN], h2[RGM_AUDIT_HASH_LEN];
	char hex[RGM_AUDIT_HEX_LEN + 1], cmd[64], want[RGM_AUDIT_HEX_LEN + 1];
	struct rgm_audit_report r;
	uint64_t seq;
	int i, j;

	ASSERT_EQ(0, rgm_audit_verify(self->db, &r)) TH_LOG("%s", r.why);
	EXPECT_EQ(0, r.entries);
	append(_metadata, self->db, 3);
	ASSERT_EQ(0, rgm_audit_verify(self->db, &r)) TH_LOG("%s", r.why);
	EXPECT_EQ(3, r.entries);
	EXPECT_EQ(0, r.bad_seq);
	/* the head is the chain recomputed independently */
	for (i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "{\"op\":\"map\",\"n\":%d}", i);
		ASSERT_EQ(0, rgm_audit_hash(i + 1, 5000 + i, "portal:CN=p1", i % 2 ? "gw-a" : NULL,
					    cmd, "{\"ok\":true}", prev, h));
		memcpy(prev, h, sizeof(h));
	}
	for (j = 0; j < RGM_AUDIT_HASH_LEN; j++)
		sprintf(want + 2 * j, "%02x", h[j]);
	ASSERT_EQ(0, rgm_audit_head(self->db, &seq, hex, self->msg, sizeof(self->msg)));
	EXPECT_EQ(3, seq);
	EXPECT_STREQ(want, hex);
	/* NULL gateway and "" gateway hash differently */
	ASSERT_EQ(0, rgm_audit_hash(1, 0, "a", NULL, "{}", "{}", prev, h));
	ASSERT_EQ(0, rgm_audit_hash(1, 0, "a", "", "{}", "{}", prev, h2));
	EXPECT_NE(0, memcmp(h, h2, RGM_AUDIT_HASH_LEN));
}

TEST_F(db, audit_is_append_only_through_sql)
{
	append(_metadata, self->db, 2);
	EXPECT_NE(SQLITE_OK, sqlite3_exec(rgm_db_sqlite(self->db),
					  "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
					  NULL, NULL, NULL));
	EXPECT_NE(SQLITE_OK, sqlite3_exec(rgm_db_sqlite(self->db),
					  "DELETE FROM audit_log WHERE seq = 2", NULL, NULL, NULL));
	EXPECT_EQ(2, raw_int(self->path, "SELECT count(*) FROM audit_log"));
}

TEST_F(db, audit_append_refuses_bad_entries_and_writes_nothing)
{
	char big[RGM_AUDIT_JSON_MAX + 16];
	uint64_t seq = 77;

	EXPECT_EQ(-EINVAL, rgm_audit_append(self->db, 1, "cli", NULL, "{\"op\":", "{}", &seq,
					    self->msg, sizeof(self->msg)));
	TH_LOG("%s", self->msg);
	EXPECT_EQ(-EINVAL, rgm_audit_append(self->db, 1, "cli", NULL, "{}", "nope", &seq,
					    self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_audit_append(self->db, 1, "", NULL, "{}", "{}", &seq,
					    self->msg, sizeof(self->msg)));
	EXPECT_EQ(-EINVAL, rgm_audit_append(self->db, 1, "cli", "bad gw", "{}", "{}", &seq,
					    self->msg, sizeof(self->msg)));
	memset(big, ' ', sizeof(big) - 3);
	big[0] = '[';
	big[sizeof(big) - 3] = ']';
	big[sizeof(big) - 2] = '\0';
	EXPECT_EQ(-EINVAL, rgm_audit_append(self->db, 1, "cli", NULL, big, "{}", &seq,
					    self->msg, sizeof(self->msg)));
	EXPECT_EQ(77, seq);
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM audit_log"));
	EXPECT_EQ(0, raw_int(self->path, "SELECT seq FROM audit_head"));
	append(_metadata, self->db, 1);
	EXPECT_EQ(1, raw_int(self->path, "SELECT seq FROM audit_head"));
}

#define UNLOCK "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; "

TEST_F(db, audit_detects_an_altered_field)
{
	append(_metadata, self->db, 4);
	ASSERT_EQ(0, raw_exec(self->path, UNLOCK
			      "UPDATE audit_log SET result = '{\"ok\":false}' WHERE seq = 2"));
	expect_broken(_metadata, self->db, 2, "altered");
}

TEST_F(db, audit_detects_an_altered_time_or_gateway)
{
	append(_metadata, self->db, 4);
	ASSERT_EQ(0, raw_exec(self->path, UNLOCK "UPDATE audit_log SET time = time + 1 WHERE seq = 3"));
	expect_broken(_metadata, self->db, 3, "altered");
	ASSERT_EQ(0, raw_exec(self->path, "UPDATE audit_log SET gateway_id = NULL WHERE seq = 2"));
	expect_broken(_metadata, self->db, 2, "altered");
}

TEST_F(db, audit_detects_a_rehashed_entry)
{
	/* altered and its own hash recomputed: the next entry no longer follows */
	uint8_t prev[RGM_AUDIT_HASH_LEN], h[RGM_AUDIT_HASH_LEN];
	char sql[512], hex[RGM_AUDIT_HEX_LEN + 1];
	int j;

	append(_metadata, self->db, 3);
	ASSERT_EQ(0, rgm_audit_hash(1, 5000, "portal:CN=p1", NULL, "{\"op\":\"map\",\"n\":0}",
				    "{\"ok\":true}", (uint8_t[RGM_AUDIT_HASH_LEN]){ 0 }, prev));
	ASSERT_EQ(0, rgm_audit_hash(2, 5001, "portal:CN=evil", "gw-a", "{\"op\":\"map\",\"n\":1}",
				    "{\"ok\":true}", prev, h));
	for (j = 0; j < RGM_AUDIT_HASH_LEN; j++)
		sprintf(hex + 2 * j, "%02x", h[j]);
	snprintf(sql, sizeof(sql), UNLOCK "UPDATE audit_log SET actor = 'portal:CN=evil', "
		 "hash = '%s' WHERE seq = 2", hex);
	ASSERT_EQ(0, raw_exec(self->path, sql));
	expect_broken(_metadata, self->db, 3, "does not follow");
}

TEST_F(db, audit_detects_a_deleted_middle_entry)
{
	append(_metadata, self->db, 4);
	ASSERT_EQ(0, raw_exec(self->path, UNLOCK "DELETE FROM audit_log WHERE seq = 2"));
	expect_broken(_metadata, self->db, 2, "missing");
}

TEST_F(db, audit_detects_a_deleted_last_entry)
{
	append(_metadata, self->db, 4);
	ASSERT_EQ(0, raw_exec(self->path, UNLOCK "DELETE FROM audit_log WHERE seq = 4"));
	expect_broken(_metadata, self->db, 4, "tail");
}

TEST_F(db, audit_detects_reordered_entries)
{
	append(_metadata, self->db, 4);
	ASSERT_EQ(0, raw_exec(self->path, UNLOCK
			      "UPDATE audit_log SET seq = 100 WHERE seq = 2; "
			      "UPDATE audit_log SET seq = 2 WHERE seq = 3; "
			      "UPDATE audit_log SET seq = 3 WHERE seq = 100"));
	expect_broken(_metadata, self->db, 2, "does not follow");
}

TEST_F(db, audit_detects_an_entry_added_behind_its_back)
{
	append(_metadata, self->db, 2);
	ASSERT_EQ(0, raw_exec(self->path, "INSERT INTO audit_log SELECT 3, time, actor, gateway_id, "
			      "command, result, hash, hash FROM audit_log WHERE seq = 2"));
	expect_broken(_metadata, self->db, 3, "altered");
}

TEST_F(db, audit_detects_a_forged_head)
{
	append(_metadata, self->db, 2);
	ASSERT_EQ(0, raw_exec(self->path, "UPDATE audit_head SET hash = "
			      "'00000000000000000000000000000000000000000000000000000000000000ff'"));
	expect_broken(_metadata, self->db, 2, "head hash");
}

TEST_HARNESS_MAIN
