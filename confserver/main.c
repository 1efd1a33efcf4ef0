// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-confserver - the configuration server's command line over its
 * registration database (Documentation/confserver.rst). The daemon (HTTP
 * API, gateway negotiation) is not part of it yet.
 *
 *   rgm-confserver [ OPTIONS ] OBJECT COMMAND
 *
 * Exit codes as ip(8): 0 done, 1 error, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rgm_api.h"
#include "rgm_audit.h"
#include "rgm_db.h"
#include "rgm_print.h"

#define CS_OK		0
#define CS_ERR		1
#define CS_USAGE	2
#define CS_DB_DEFAULT	"/var/lib/rgm/confserver.db"

static const char *cs_db_path;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rgm-confserver [ OPTIONS ] OBJECT COMMAND\n"
		"where  OPTIONS := { -d[b] PATH | -j[son] | -p[retty] | -h[elp] }\n"
		"       OBJECT := { gateway | audit }\n"
		"\n"
		"       rgm-confserver gateway add ID type TYPE { listen HOST:PORT | call-home }\n"
		"                                 pin pin-sha256:BASE64 [ addr A.B.C.D ]\n"
		"       rgm-confserver gateway { list | show ID | del ID }\n"
		"       rgm-confserver audit { verify | head }\n"
		"\n"
		"The database is PATH, else $RGM_CONFSERVER_DB, else " CS_DB_DEFAULT ".\n");
}

static bool matches(const char *arg, const char *word)
{
	size_t n = strlen(arg);

	return n && n <= strlen(word) && !strncmp(arg, word, n);
}

static int cs_open(struct rgm_db **db)
{
	char msg[256];
	int ret;

	ret = rgm_db_open(cs_db_path, db, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "rgm-confserver: %s: %s\n", cs_db_path, msg);
		return CS_ERR;
	}
	return CS_OK;
}

static void cs_print_gateway(const struct rgm_db_gateway *g)
{
	rgm_print_open_object(NULL);
	rgm_print_string(RGM_PRINT_ANY, "id", "%s", g->id);
	rgm_print_string(RGM_PRINT_ANY, "type", " type %s", g->type);
	rgm_print_string(RGM_PRINT_ANY, "mode", " %s", rgm_gw_mode_name(g->mode));
	if (g->endpoint[0])
		rgm_print_string(RGM_PRINT_ANY, "endpoint", " %s", g->endpoint);
	else
		rgm_print_null(RGM_PRINT_JSON, "endpoint", NULL);
	rgm_print_string(RGM_PRINT_ANY, "pin", " pin %s", g->pin);
	if (g->global_addr[0])
		rgm_print_string(RGM_PRINT_ANY, "global_addr", " addr %s", g->global_addr);
	else
		rgm_print_null(RGM_PRINT_JSON, "global_addr", NULL);
	rgm_print_u64(RGM_PRINT_ANY, "enrolled_at", " enrolled %" PRIu64, (uint64_t)g->enrolled_at);
	rgm_print_close_object();
	rgm_print_nl();
}

static int cs_gateway_add(int argc, char **argv)
{
	struct rgm_db_gateway g = { 0 };
	bool has_type = false, has_mode = false, has_pin = false;
	struct rgm_db *db;
	char msg[256];
	int ret, i;

	if (argc < 1) {
		fprintf(stderr, "gateway add: an ID is required\n");
		return CS_USAGE;
	}
	if (strlen(argv[0]) >= sizeof(g.id)) {
		fprintf(stderr, "gateway add: ID is too long\n");
		return CS_USAGE;
	}
	strcpy(g.id, argv[0]);
	for (i = 1; i < argc; i++) {
		const char *kw = argv[i];

		if (!strcmp(kw, "call-home")) {
			g.mode = RGM_GW_CALL_HOME;
			has_mode = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "gateway add: '%s' needs a value\n", kw);
			return CS_USAGE;
		}
		const char *v = argv[++i];
		char *dst;
		size_t size;

		if (!strcmp(kw, "type")) {
			dst = g.type, size = sizeof(g.type), has_type = true;
		} else if (!strcmp(kw, "listen")) {
			dst = g.endpoint, size = sizeof(g.endpoint), has_mode = true;
			g.mode = RGM_GW_LISTEN;
		} else if (!strcmp(kw, "pin")) {
			dst = g.pin, size = sizeof(g.pin), has_pin = true;
		} else if (!strcmp(kw, "addr")) {
			dst = g.global_addr, size = sizeof(g.global_addr);
		} else {
			fprintf(stderr, "gateway add: unknown keyword '%s'\n", kw);
			return CS_USAGE;
		}
		if (strlen(v) >= size) {
			fprintf(stderr, "gateway add: %s '%.64s' is too long\n", kw, v);
			return CS_ERR;
		}
		strcpy(dst, v);
	}
	if (!has_type || !has_mode || !has_pin) {
		fprintf(stderr, "gateway add: type, listen or call-home, and pin are required\n");
		return CS_USAGE;
	}
	g.enrolled_at = time(NULL);
	ret = cs_open(&db);
	if (ret)
		return ret;
	ret = rgm_db_gateway_add(db, &g, msg, sizeof(msg));
	rgm_db_close(db);
	if (ret) {
		fprintf(stderr, "gateway add: %s\n", msg);
		return CS_ERR;
	}
	return CS_OK;
}

static int cs_gateway(int argc, char **argv)
{
	struct rgm_db_gateway *l, g;
	struct rgm_db *db;
	char msg[256];
	size_t n, i;
	int ret;

	if (argc < 1 || matches(argv[0], "help")) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CS_USAGE : CS_OK;
	}
	if (matches(argv[0], "add"))
		return cs_gateway_add(argc - 1, argv + 1);
	if (matches(argv[0], "list")) {
		if (argc != 1) {
			fprintf(stderr, "gateway list: takes no arguments\n");
			return CS_USAGE;
		}
		ret = cs_open(&db);
		if (ret)
			return ret;
		ret = rgm_db_gateway_list(db, &l, &n, msg, sizeof(msg));
		rgm_db_close(db);
		if (ret) {
			fprintf(stderr, "gateway list: %s\n", msg);
			return CS_ERR;
		}
		rgm_print_open_array(NULL);
		for (i = 0; i < n; i++)
			cs_print_gateway(&l[i]);
		rgm_print_close_array();
		rgm_print_flush();
		free(l);
		return CS_OK;
	}
	if (matches(argv[0], "show") || matches(argv[0], "delete")) {
		bool del = argv[0][0] == 'd';

		if (argc != 2) {
			fprintf(stderr, "gateway %s: exactly one ID\n", del ? "del" : "show");
			return CS_USAGE;
		}
		ret = cs_open(&db);
		if (ret)
			return ret;
		ret = del ? rgm_db_gateway_del(db, argv[1], msg, sizeof(msg)) :
			    rgm_db_gateway_get(db, argv[1], &g, msg, sizeof(msg));
		rgm_db_close(db);
		if (ret) {
			fprintf(stderr, "gateway %s: %s\n", del ? "del" : "show", msg);
			return CS_ERR;
		}
		if (!del) {
			cs_print_gateway(&g);
			rgm_print_flush();
		}
		return CS_OK;
	}
	fprintf(stderr, "gateway: unknown command '%s'\n", argv[0]);
	return CS_USAGE;
}

static int cs_audit(int argc, char **argv)
{
	char hex[RGM_AUDIT_HEX_LEN + 1], msg[256];
	struct rgm_audit_report r;
	struct rgm_db *db;
	uint64_t seq;
	int ret;

	if (argc != 1 || (!matches(argv[0], "verify") && !matches(argv[0], "head"))) {
		fprintf(stderr, "audit: verify or head\n");
		return CS_USAGE;
	}
	ret = cs_open(&db);
	if (ret)
		return ret;
	if (matches(argv[0], "head")) {
		ret = rgm_audit_head(db, &seq, hex, msg, sizeof(msg));
		rgm_db_close(db);
		if (ret) {
			fprintf(stderr, "audit head: %s\n", msg);
			return CS_ERR;
		}
		rgm_print_open_object(NULL);
		rgm_print_u64(RGM_PRINT_ANY, "seq", "seq %" PRIu64, seq);
		rgm_print_string(RGM_PRINT_ANY, "hash", " hash %s", hex);
		rgm_print_close_object();
		rgm_print_nl();
		rgm_print_flush();
		return CS_OK;
	}
	ret = rgm_audit_verify(db, &r);
	rgm_db_close(db);
	if (ret && ret != -EBADMSG) {
		fprintf(stderr, "audit verify: %s\n", r.why);
		return CS_ERR;
	}
	rgm_print_open_object(NULL);
	rgm_print_bool(RGM_PRINT_JSON, "ok", NULL, !ret);
	rgm_print_u64(RGM_PRINT_ANY, "entries", ret ? "" : "ok: %" PRIu64 " entries verified",
		      r.entries);
	if (ret) {
		rgm_print_u64(RGM_PRINT_JSON, "bad_seq", NULL, r.bad_seq);
		rgm_print_string(RGM_PRINT_JSON, "why", NULL, r.why);
	}
	rgm_print_close_object();
	rgm_print_nl();
	rgm_print_flush();
	if (ret) {
		fprintf(stderr, "audit verify: chain broken at entry %" PRIu64 ": %s\n",
			r.bad_seq, r.why);
		return CS_ERR;
	}
	return CS_OK;
}

int main(int argc, char **argv)
{
	bool json = false, pretty = false;
	int ret;

	cs_db_path = getenv("RGM_CONFSERVER_DB");
	if (!cs_db_path || !*cs_db_path)
		cs_db_path = CS_DB_DEFAULT;
	argc--, argv++;
	while (argc > 0 && argv[0][0] == '-') {
		const char *o = argv[0] + 1;

		if (*o == '-')
			o++;
		if (matches(o, "db")) {
			if (argc < 2) {
				fprintf(stderr, "rgm-confserver: -db needs a PATH\n");
				return CS_USAGE;
			}
			cs_db_path = argv[1];
			argc--, argv++;
		} else if (matches(o, "json")) {
			json = true;
		} else if (matches(o, "pretty")) {
			pretty = true;
		} else if (matches(o, "help")) {
			usage(stdout);
			return CS_OK;
		} else {
			fprintf(stderr, "rgm-confserver: unknown option '%s'\n", argv[0]);
			usage(stderr);
			return CS_USAGE;
		}
		argc--, argv++;
	}
	if (argc < 1) {
		usage(stderr);
		return CS_USAGE;
	}
	rgm_print_setup(json, pretty);
	if (matches(argv[0], "gateway"))
		ret = cs_gateway(argc - 1, argv + 1);
	else if (matches(argv[0], "audit"))
		ret = cs_audit(argc - 1, argv + 1);
	else if (matches(argv[0], "help"))
		usage(stdout), ret = CS_OK;
	else {
		fprintf(stderr, "rgm-confserver: unknown object '%s'\n", argv[0]);
		ret = CS_USAGE;
	}
	rgm_print_teardown();
	return ret;
}
