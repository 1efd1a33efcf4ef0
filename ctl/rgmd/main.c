// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd: the gateway agent. Reads rgmd.conf, then either dials the
 * configuration server (call-home, the default) or accepts TLS connections
 * (listen), and hands each request to the protocol engine.
 *
 *   rgmd [-c FILE] [-d]            run in the foreground, log to stderr
 *   rgmd --check-config [-c FILE]  validate FILE and the certificates, exit
 *
 * Under systemd (Type=notify) it reports READY=1 once it listens or dials.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "rgm_log.h"
#include "rgm_notify.h"
#include "rgm_tls.h"
#include "rgm_version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rgmd [-c FILE] [-d]\n"
		"       rgmd --check-config [-c FILE]\n"
		"       rgmd { --help | --version }\n"
		"\n"
		"  -c, --config FILE   configuration (default " RGMD_DEFAULT_CONF ")\n"
		"  -d, --debug         log debug messages too\n"
		"  -t, --check-config  validate the configuration and certificates, then exit\n"
		"  -h, --help          print this help\n"
		"  -V, --version       print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = RGMD_DEFAULT_CONF;
	struct rgmd_engine *engine;
	struct rgmd_conf *conf;
	struct rgm_tls_opts o;
	struct rgm_tls *tls;
	bool check = false;
	struct rgmd d;
	char err[1024];
	int opt, ret = 1;

	rgm_log_setup("rgmd");
	while ((opt = getopt_long(argc, argv, "c:dthV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			rgmd_debug = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			rgm_version_print("rgmd");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* A peer closing mid-write must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);

	conf = calloc(1, sizeof(*conf));
	if (!conf) {
		rgmd_err("out of memory");
		return 1;
	}
	if (rgmd_conf_load(conf, path, err, sizeof(err))) {
		rgmd_err("%s", err);
		goto err_conf;
	}
	rgmd_conf_tls_opts(conf, &o);
	tls = rgm_tls_new(&o, err, sizeof(err));
	if (!tls) {
		rgmd_err("%s: %s", path, err);
		goto err_conf;
	}
	if (check) {
		printf("%s: ok (%s %s, %u allow entr%s)\n", path,
		       conf->mode == RGMD_MODE_LISTEN ? "listen" : "call-home",
		       conf->mode == RGMD_MODE_LISTEN ? conf->listen : conf->server,
		       conf->n_allow, conf->n_allow == 1 ? "y" : "ies");
		ret = 0;
		goto err_engine;
	}

	engine = rgmd_engine_new_dp(&conf->policy, conf->gateway_id, conf->state_dir,
				    conf->dataplane, err, sizeof(err));
	if (!engine) {
		rgmd_err("engine: %s", err);
		goto err_engine;
	}
	if (rgmd_loop_setup(&d, conf, engine, tls)) {
		rgmd_err("cannot start");
		goto err_setup;
	}
	rgmd_info("gateway %s: %s mode, %s dataplane, max %u connections, max frame %u, rate %u/s burst %u",
		  conf->gateway_id, conf->mode == RGMD_MODE_LISTEN ? "listen" : "call-home",
		  rgm_dp_name(rgmd_engine_dataplane(engine)),
		  conf->max_connections, conf->max_frame, conf->rate, conf->burst);
	rgm_notify("READY=1");
	ret = rgmd_loop_run(&d) ? 1 : 0;
	/* d owns whatever configuration and credentials a reload installed. */
	conf = d.conns.conf;
	tls = d.conns.tls;
	rgmd_loop_teardown(&d);
err_setup:
	rgmd_engine_free(engine);
err_engine:
	rgm_tls_put(tls);
err_conf:
	rgmd_conf_free(conf);
	free(conf);
	return ret;
}
