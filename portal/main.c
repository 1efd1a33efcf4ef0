// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-portal: the content portal appliances talk to. It lists the media
 * server's titles and, when an appliance asks to watch one, has the
 * configuration server program the appliance's gateway and the media server
 * stream to it (Documentation/portal.rst).
 *
 *   rgm-portal --listen ADDR:PORT --confserver URL [--confserver-ca FILE]
 *              --token-file FILE --mediaserver URL [--media-token-file FILE]
 *              [--lease-margin S] [--max-connections N] [--appliance-timeout S] [-d]
 *
 * Runs in the foreground and logs to stderr; SIGTERM or SIGINT stops it
 * (in-flight requests finish: each upstream call is bounded).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "portal.h"
#include "rgm_notify.h"
#include "rgm_version.h"

#define PORTAL_DEFAULT_LEASE_MARGIN	10
#define PORTAL_DEFAULT_MAX_CONNS	64
#define PORTAL_DEFAULT_ONLINE_S		30
#define PORTAL_MAX_CONNS_LIMIT		1024

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rgm-portal --listen ADDR:PORT --confserver URL [--confserver-ca FILE]\n"
		"                  --token-file FILE --mediaserver URL [--media-token-file FILE]\n"
		"                  [--lease-margin S] [--max-connections N]\n"
		"                  [--appliance-timeout S] [-d]\n"
		"       rgm-portal { --help | --version }\n"
		"\n"
		"  --listen ADDR:PORT        IPv4 address and port to serve appliances on\n"
		"  --confserver URL          https://HOST:PORT of the configuration server\n"
		"                            (http:// to a loopback address only)\n"
		"  --confserver-ca FILE      CA certificate(s) its certificate must chain to\n"
		"  --token-file FILE         bearer token for the configuration server\n"
		"  --mediaserver URL         http://HOST:PORT of the media server's control API\n"
		"  --media-token-file FILE   bearer token for the media server\n"
		"  --lease-margin S          seconds added to a title's duration (default %d)\n"
		"  --max-connections N       concurrent client connections (default %d)\n"
		"  --appliance-timeout S     an appliance that has not asked for work this long\n"
		"                            is offline (default %d)\n"
		"  -d, --debug               log debug messages too\n"
		"  -h, --help                print this help\n"
		"  -V, --version             print the version\n",
		PORTAL_DEFAULT_LEASE_MARGIN, PORTAL_DEFAULT_MAX_CONNS, PORTAL_DEFAULT_ONLINE_S);
}

static int portal_parse_uint(const char *s, unsigned long min, unsigned long max,
			     unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A.B.C.D:PORT */
static int portal_parse_listen(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	unsigned int port;

	memset(sin, 0, sizeof(*sin));
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    portal_parse_uint(colon + 1, 1, 65535, &port))
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return 0;
}

bool portal_debug;

int main(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_CONF, O_CONF_CA, O_TOKEN, O_MEDIA, O_MEDIA_TOKEN, O_MARGIN,
	       O_MAXCONN, O_ONLINE };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "confserver", required_argument, NULL, O_CONF },
		{ "confserver-ca", required_argument, NULL, O_CONF_CA },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "mediaserver", required_argument, NULL, O_MEDIA },
		{ "media-token-file", required_argument, NULL, O_MEDIA_TOKEN },
		{ "lease-margin", required_argument, NULL, O_MARGIN },
		{ "max-connections", required_argument, NULL, O_MAXCONN },
		{ "appliance-timeout", required_argument, NULL, O_ONLINE },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *conf = NULL, *conf_ca = NULL, *token = NULL;
	const char *media = NULL, *media_token = NULL;
	unsigned int margin = PORTAL_DEFAULT_LEASE_MARGIN, max_conns = PORTAL_DEFAULT_MAX_CONNS;
	unsigned int online_s = PORTAL_DEFAULT_ONLINE_S;
	struct portal p = { 0 };
	struct portal_http *h;
	struct sockaddr_in sin;
	sigset_t set;
	char err[512];
	int opt, sig, ret = 1;

	rgm_log_setup("rgm-portal");
	while ((opt = getopt_long(argc, argv, "dhV", opts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN: listen = optarg; break;
		case O_CONF: conf = optarg; break;
		case O_CONF_CA: conf_ca = optarg; break;
		case O_TOKEN: token = optarg; break;
		case O_MEDIA: media = optarg; break;
		case O_MEDIA_TOKEN: media_token = optarg; break;
		case O_MARGIN:
			if (portal_parse_uint(optarg, 0, 3600, &margin)) {
				portal_err("--lease-margin: 0..3600 seconds, not '%s'", optarg);
				return 2;
			}
			break;
		case O_MAXCONN:
			if (portal_parse_uint(optarg, 1, PORTAL_MAX_CONNS_LIMIT, &max_conns)) {
				portal_err("--max-connections: 1..%d, not '%s'",
					   PORTAL_MAX_CONNS_LIMIT, optarg);
				return 2;
			}
			break;
		case O_ONLINE:
			if (portal_parse_uint(optarg, 1, 3600, &online_s)) {
				portal_err("--appliance-timeout: 1..3600 seconds, not '%s'", optarg);
				return 2;
			}
			break;
		case 'd':
			portal_debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			rgm_version_print("rgm-portal");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !listen || !conf || !token || !media) {
		if (optind == argc)
			portal_err("--listen, --confserver, --token-file and --mediaserver are "
				   "required");
		usage(stderr);
		return 2;
	}
	if (portal_parse_listen(listen, &sin)) {
		portal_err("--listen: A.B.C.D:PORT, not '%s'", listen);
		return 2;
	}
	p.lease_margin = margin;

	/* before any thread: they all inherit the mask, main takes the signals */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		portal_err("libcurl did not initialize");
		return 1;
	}
	if (portal_up_setup(&p.conf, "confserver", "configuration server", conf, true, conf_ca,
			    token, err, sizeof(err))) {
		portal_err("--confserver: %s", err);
		goto out_curl;
	}
	if (portal_up_setup(&p.media, "mediaserver", "media server", media, false, NULL,
			    media_token, err, sizeof(err))) {
		portal_err("--mediaserver: %s", err);
		goto out_conf;
	}
	if (!strncmp(p.conf.base, "https:", 6) && !conf_ca)
		portal_warn("no --confserver-ca: the configuration server is checked against "
			    "the system's CAs");
	ret = portal_sessions_setup(&p.sessions, &p.media);
	if (ret) {
		portal_err("timer thread: %s", strerror(-ret));
		ret = 1;
		goto out_media;
	}
	if (portal_viewer_setup(&p.viewer)) {
		portal_err("viewer: cannot set up its lock");
		ret = 1;
		goto out_sessions;
	}
	p.viewer.online_ms = online_s * 1000ULL;
	ret = 1;
	h = portal_http_new(&p, &sin, max_conns);
	if (!h) {
		portal_err("cannot serve on %s", listen);
		goto out_viewer;
	}
	portal_info("serving on %s; configuration server %s, media server %s", listen,
		    p.conf.base, p.media.base);
	rgm_notify("READY=1");

	if (sigwait(&set, &sig) == 0)
		portal_info("%s: stopping", strsignal(sig));
	portal_viewer_stop(&p);		/* appliances waiting in next are answered */
	portal_http_free(h);
	ret = 0;
out_viewer:
	portal_viewer_teardown(&p.viewer);
out_sessions:
	portal_sessions_teardown(&p.sessions);
out_media:
	portal_up_teardown(&p.media);
out_conf:
	portal_up_teardown(&p.conf);
out_curl:
	curl_global_cleanup();
	return ret;
}
