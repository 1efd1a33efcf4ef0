// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the rgm-confserver command line (confserver/main.c): runs
 * the built binary on a scratch database and checks exit codes (0 done,
 * 1 error, 2 usage), text and JSON output, and `audit verify` on an intact
 * and on a tampered chain. Run from the top of the tree after `make user`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sqlite3.h>

#include "rgm_audit.h"
#include "rgm_db.h"
#include "kselftest_harness.h"

#define BIN "./confserver/rgm-confserver"
#define PIN "pin-sha256:n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
#define PIN2 "pin-sha256:Ln0sA6lQeuJl7PW1NWiFpTOTogKdJBOUmXJloaJa78Y="

FIXTURE(cli) {
	char dir[64];
	char db[128];
	char out[8192];
	char err[4096];
};

/* Runs BIN -d DB args...; returns its exit code, output in self->out/err. */
static int run(FIXTURE_DATA(cli) *self, const char *const *args)
{
	char *argv[32];
	int o[2], e[2], status, n = 0;
	ssize_t r;
	size_t len;
	pid_t pid;

	argv[n++] = BIN;
	argv[n++] = "-d";
	argv[n++] = self->db;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if (pipe(o) || pipe(e))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execv(BIN, argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	/* outputs are small: read stdout to the end, then stderr */
	for (len = 0; (r = read(o[0], self->out + len, sizeof(self->out) - 1 - len)) > 0;)
		len += r;
	self->out[len] = '\0';
	for (len = 0; (r = read(e[0], self->err + len, sizeof(self->err) - 1 - len)) > 0;)
		len += r;
	self->err[len] = '\0';
	close(o[0]);
	close(e[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define RUN(...) run(self, (const char *const[]){ __VA_ARGS__, NULL })

FIXTURE_SETUP(cli)
{
	ASSERT_EQ(0, access(BIN, X_OK)) TH_LOG("build it first (make user), run from the top");
	strcpy(self->dir, "/tmp/rgm-cli-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->db, sizeof(self->db), "%s/c.db", self->dir);
}

FIXTURE_TEARDOWN(cli)
{
	char p[160];

	unlink(self->db);
	snprintf(p, sizeof(p), "%s-wal", self->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", self->db);
	unlink(p);
	rmdir(self->dir);
}

TEST_F(cli, gateway_add_list_show_del)
{
	struct json_object *a, *g, *v;

	ASSERT_EQ(0, RUN("gateway", "add", "gw-1", "type", "homebox", "listen",
			 "gw1.example.net:7443", "pin", PIN, "addr", "198.51.100.1")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, RUN("gateway", "add", "gw-2", "type", "homebox", "call-home", "pin", PIN2));
	EXPECT_EQ(1, RUN("gateway", "add", "gw-2", "type", "homebox", "call-home", "pin", PIN2));
	EXPECT_NE(NULL, strstr(self->err, "gw-2 is already enrolled"));
	EXPECT_EQ(1, RUN("gateway", "add", "gw-3", "type", "homebox", "call-home", "pin", "pin-sha256:x"));
	EXPECT_NE(NULL, strstr(self->err, "pin must be"));
	EXPECT_EQ(2, RUN("gateway", "add", "gw-3", "type", "homebox"));
	EXPECT_EQ(2, RUN("gateway", "add", "gw-3", "colour", "blue"));
	EXPECT_EQ(2, RUN("gateway", "frobnicate"));

	ASSERT_EQ(0, RUN("gateway", "list"));
	EXPECT_NE(NULL, strstr(self->out, "gw-1 type homebox listen gw1.example.net:7443 pin " PIN
			       " addr 198.51.100.1"));
	EXPECT_NE(NULL, strstr(self->out, "gw-2 type homebox call-home pin " PIN2));

	ASSERT_EQ(0, RUN("-j", "gateway", "list"));
	a = json_tokener_parse(self->out);
	ASSERT_NE(NULL, a) TH_LOG("%s", self->out);
	ASSERT_EQ(2, json_object_array_length(a));
	g = json_object_array_get_idx(a, 1);
	ASSERT_TRUE(json_object_object_get_ex(g, "id", &v));
	EXPECT_STREQ("gw-2", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(g, "mode", &v));
	EXPECT_STREQ("call-home", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(g, "endpoint", &v));
	EXPECT_EQ(NULL, v);
	json_object_put(a);

	ASSERT_EQ(0, RUN("-j", "gateway", "show", "gw-1"));
	EXPECT_NE(NULL, strstr(self->out, "\"global_addr\":\"198.51.100.1\""));
	EXPECT_EQ(1, RUN("gateway", "show", "gw-9"));
	EXPECT_NE(NULL, strstr(self->err, "no gateway gw-9"));

	ASSERT_EQ(0, RUN("gateway", "del", "gw-2"));
	EXPECT_EQ(1, RUN("gateway", "del", "gw-2"));
	ASSERT_EQ(0, RUN("gateway", "list"));
	EXPECT_EQ(NULL, strstr(self->out, "gw-2"));
}

TEST_F(cli, gateway_del_refused_while_an_appliance_uses_it)
{
	struct rgm_db *db;
	char msg[256];

	ASSERT_EQ(0, RUN("gateway", "add", "gw-1", "type", "t", "call-home", "pin", PIN));
	ASSERT_EQ(0, rgm_db_open(self->db, &db, msg, sizeof(msg)));
	ASSERT_EQ(0, rgm_db_appliance_register(db, "stb-1", NULL, "t", NULL, 1, NULL, msg, sizeof(msg)));
	rgm_db_close(db);
	EXPECT_EQ(1, RUN("gateway", "del", "gw-1"));
	EXPECT_NE(NULL, strstr(self->err, "still used by 1 appliance(s)")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, RUN("gateway", "show", "gw-1"));
}

TEST_F(cli, audit_verify)
{
	struct rgm_db *db;
	char msg[256];
	sqlite3 *s;
	int i;

	ASSERT_EQ(0, RUN("audit", "verify"));
	EXPECT_NE(NULL, strstr(self->out, "ok: 0 entries verified"));
	ASSERT_EQ(0, rgm_db_open(self->db, &db, msg, sizeof(msg)));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, rgm_audit_append(db, 100 + i, "cli:test", NULL, "{\"op\":\"map\"}",
					      "{\"ok\":true}", NULL, msg, sizeof(msg)));
	rgm_db_close(db);
	ASSERT_EQ(0, RUN("audit", "verify"));
	EXPECT_NE(NULL, strstr(self->out, "ok: 3 entries verified"));
	ASSERT_EQ(0, RUN("audit", "head"));
	EXPECT_EQ(0, strncmp(self->out, "seq 3 hash ", 11));

	ASSERT_EQ(SQLITE_OK, sqlite3_open(self->db, &s));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(s, "DROP TRIGGER audit_log_no_update; "
					  "UPDATE audit_log SET actor = 'cli:mallory' WHERE seq = 2",
					  NULL, NULL, NULL));
	sqlite3_close(s);
	EXPECT_EQ(1, RUN("audit", "verify"));
	EXPECT_NE(NULL, strstr(self->err, "chain broken at entry 2")) TH_LOG("%s", self->err);
	EXPECT_EQ(1, RUN("-j", "audit", "verify"));
	EXPECT_NE(NULL, strstr(self->out, "\"ok\":false")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"bad_seq\":2"));
	EXPECT_EQ(2, RUN("audit", "frob"));
}

TEST_F(cli, refuses_an_unusable_database)
{
	strcpy(self->db, "/nonexistent-rgm-dir/c.db");
	EXPECT_EQ(1, RUN("gateway", "list"));
	EXPECT_NE(NULL, strstr(self->err, "/nonexistent-rgm-dir/c.db"));
	self->db[0] = '\0';	/* teardown: nothing to unlink but the directory */
}

TEST_HARNESS_MAIN
