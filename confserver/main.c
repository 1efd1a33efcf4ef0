// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-confserver - the configuration server (Documentation/confserver.rst):
 * the daemon (`serve`: the portal API, http.c and service.c) and the
 * command line over its registration database.
 *
 *   rgm-confserver [ OPTIONS ] OBJECT COMMAND
 *   rgm-confserver -c FILE serve
 *   rgm-confserver -c FILE --check-config
 *
 * Exit codes as ip(8): 0 done, 1 error, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confserver.h"
#include "rgm_log.h"
#include "rgm_api.h"
#include "rgm_audit.h"
#include "rgm_db.h"
#include "rgm_notify.h"
#include "rgm_print.h"
#include "rgm_version.h"

#define CS_EXIT_OK	0
#define CS_ERR		1
#define CS_USAGE	2

static const char *cs_db_path;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rgm-confserver [ OPTIONS ] OBJECT COMMAND\n"
		"       rgm-confserver -c FILE { serve | --check-config }\n"
		"       rgm-confserver { --help | --version }\n"
		"where  OPTIONS := { -c[onfig] FILE | -d[b] PATH | -j[son] | -p[retty] | -h[elp] |\n"
		"                    -V[ersion] }\n"
		"       OBJECT := { gateway | audit | serve }\n"
		"\n"
		"       rgm-confserver gateway add ID type TYPE { listen HOST:PORT | call-home }\n"
		"                                 pin pin-sha256:BASE64 [ addr A.B.C.D ]\n"
		"       rgm-confserver gateway { list | show ID | del ID }\n"
		"       rgm-confserver audit { verify | head }\n"
		"\n"
		"The database is PATH, else the configuration's db, else $RGM_CONFSERVER_DB,\n"
		"else " CS_DB_DEFAULT ".\n");
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
	return CS_EXIT_OK;
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

/* Enrollments and deletions from the command line are audited like the
 * API's, with "cli:USER" as the actor. */
static void cs_cli_audit(struct rgm_db *db, const char *what, const struct rgm_db_gateway *g,
			 int ret, const char *why)
{
	struct json_object *cmd = json_object_new_object(), *res = json_object_new_object();
	struct passwd *pw = getpwuid(getuid());
	char actor[128], amsg[256];

	snprintf(actor, sizeof(actor), "cli:%s", pw ? pw->pw_name : "?");
	json_object_object_add(cmd, "request", json_object_new_string(what));
	json_object_object_add(cmd, "gateway", json_object_new_string(g->id));
	if (g->type[0]) {
		json_object_object_add(cmd, "type", json_object_new_string(g->type));
		json_object_object_add(cmd, "mode", json_object_new_string(rgm_gw_mode_name(g->mode)));
		if (g->endpoint[0])
			json_object_object_add(cmd, "endpoint", json_object_new_string(g->endpoint));
		json_object_object_add(cmd, "pin", json_object_new_string(g->pin));
	}
	json_object_object_add(res, "ok", json_object_new_boolean(!ret));
	if (ret)
		json_object_object_add(res, "error", json_object_new_string(why));
	if (rgm_audit_append(db, time(NULL), actor, g->id, json_object_to_json_string(cmd),
			     json_object_to_json_string(res), NULL, amsg, sizeof(amsg)))
		fprintf(stderr, "rgm-confserver: warning: not audited: %s\n", amsg);
	json_object_put(cmd);
	json_object_put(res);
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
	cs_cli_audit(db, "enroll", &g, ret, msg);
	rgm_db_close(db);
	if (ret) {
		fprintf(stderr, "gateway add: %s\n", msg);
		return CS_ERR;
	}
	return CS_EXIT_OK;
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
		return argc < 1 ? CS_USAGE : CS_EXIT_OK;
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
		return CS_EXIT_OK;
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
		if (del) {
			memset(&g, 0, sizeof(g));
			snprintf(g.id, sizeof(g.id), "%s", argv[1]);
			ret = rgm_db_gateway_del(db, argv[1], msg, sizeof(msg));
			cs_cli_audit(db, "delete", &g, ret, msg);
		} else {
			ret = rgm_db_gateway_get(db, argv[1], &g, msg, sizeof(msg));
		}
		rgm_db_close(db);
		if (ret) {
			fprintf(stderr, "gateway %s: %s\n", del ? "del" : "show", msg);
			return CS_ERR;
		}
		if (!del) {
			cs_print_gateway(&g);
			rgm_print_flush();
		}
		return CS_EXIT_OK;
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
		return CS_EXIT_OK;
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
	return CS_EXIT_OK;
}

/* The daemon: runs until SIGTERM or SIGINT, then lets running requests
 * finish (each bounded by request-timeout) and exits 0. */
static int cs_serve(const struct cs_conf *c)
{
	struct cs_service *svc;
	struct cs_http *http;
	char err[512];
	sigset_t set;
	int sig;

	/* every thread inherits this mask: signals are taken by sigwait only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* a fleet of call-home gateways is a descriptor each */
	cs_fdres_raise();

	if (cs_service_new(c, &svc, err, sizeof(err))) {
		cs_log(CS_LOG_ERR, "%s", err);
		return CS_ERR;
	}
	if (cs_http_start(c, svc, &http, err, sizeof(err))) {
		cs_log(CS_LOG_ERR, "%s", err);
		cs_service_free(svc);
		return CS_ERR;
	}
	cs_log(CS_LOG_INFO, "serving (database %s, %u gateway type(s), %u token(s), "
	       "%u portal-cert entr%s)", c->db.v, c->n_types, c->n_tokens, c->n_certs,
	       c->n_certs == 1 ? "y" : "ies");
	rgm_notify("READY=1");
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			cs_log(CS_LOG_INFO, "SIGHUP: reloading is not supported; restart instead");
			continue;
		}
		break;
	}
	cs_log(CS_LOG_INFO, "%s: stopping", strsignal(sig));
	cs_http_stop(http);
	cs_service_free(svc);
	cs_log(CS_LOG_INFO, "stopped");
	return CS_EXIT_OK;
}

int main(int argc, char **argv)
{
	bool json = false, pretty = false, check = false, db_given = false;
	const char *conf_path = NULL;
	struct cs_conf conf;
	char err[1024];
	int ret;

	rgm_log_setup("rgm-confserver");
	cs_db_path = getenv("RGM_CONFSERVER_DB");
	if (!cs_db_path || !*cs_db_path)
		cs_db_path = CS_DB_DEFAULT;
	argc--, argv++;
	while (argc > 0 && argv[0][0] == '-') {
		const char *o = argv[0] + 1;

		if (*o == '-')
			o++;
		if (!strcmp(o, "check-config")) {
			check = true;
		} else if (matches(o, "config")) {
			if (argc < 2) {
				fprintf(stderr, "rgm-confserver: -config needs a FILE\n");
				return CS_USAGE;
			}
			conf_path = argv[1];
			argc--, argv++;
		} else if (matches(o, "db")) {
			if (argc < 2) {
				fprintf(stderr, "rgm-confserver: -db needs a PATH\n");
				return CS_USAGE;
			}
			cs_db_path = argv[1];
			db_given = true;
			argc--, argv++;
		} else if (matches(o, "json")) {
			json = true;
		} else if (matches(o, "pretty")) {
			pretty = true;
		} else if (matches(o, "help")) {
			usage(stdout);
			return CS_EXIT_OK;
		} else if (matches(o, "Version") || matches(o, "version")) {
			rgm_version_print("rgm-confserver");
			return CS_EXIT_OK;
		} else {
			fprintf(stderr, "rgm-confserver: unknown option '%s'\n", argv[0]);
			usage(stderr);
			return CS_USAGE;
		}
		argc--, argv++;
	}
	if (check && (!conf_path || argc)) {
		fprintf(stderr, "rgm-confserver: --check-config needs -c FILE and nothing else\n");
		return CS_USAGE;
	}
	if (argc < 1 && !check) {
		usage(stderr);
		return CS_USAGE;
	}
	if (conf_path) {
		if (cs_conf_load(&conf, conf_path, err, sizeof(err)) ||
		    (check && cs_conf_check_files(&conf, err, sizeof(err)))) {
			fprintf(stderr, "%s\n", err);
			cs_conf_free(&conf);
			return CS_ERR;
		}
		if (check) {
			printf("%s: ok\n", conf_path);
			cs_conf_free(&conf);
			return CS_EXIT_OK;
		}
		if (!db_given)
			cs_db_path = conf.db.v;
	}
	if (matches(argv[0], "serve")) {
		if (!conf_path) {
			fprintf(stderr, "rgm-confserver: serve needs -c FILE\n");
			return CS_USAGE;
		}
		if (argc != 1) {
			fprintf(stderr, "rgm-confserver: serve takes no arguments\n");
			cs_conf_free(&conf);
			return CS_USAGE;
		}
		if (db_given) {
			char *d = strdup(cs_db_path);

			if (d) {
				free(conf.db.v);
				conf.db.v = d;
			}
		}
		ret = cs_serve(&conf);
		cs_conf_free(&conf);
		return ret;
	}
	rgm_print_setup(json, pretty);
	if (matches(argv[0], "gateway"))
		ret = cs_gateway(argc - 1, argv + 1);
	else if (matches(argv[0], "audit"))
		ret = cs_audit(argc - 1, argv + 1);
	else if (matches(argv[0], "help"))
		usage(stdout), ret = CS_EXIT_OK;
	else {
		fprintf(stderr, "rgm-confserver: unknown object '%s'\n", argv[0]);
		ret = CS_USAGE;
	}
	rgm_print_teardown();
	if (conf_path)
		cs_conf_free(&conf);
	return ret;
}
