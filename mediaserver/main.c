// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-mediaserver: command line, start-up and signal handling.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms.h"
#include "rgm_notify.h"
#include "rgm_version.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: rgm-mediaserver --addr IP --control IP:PORT --content DIR\n"
		   "                       [--ports LO-HI] [--token-file FILE]\n"
		   "       rgm-mediaserver { --help | --version }\n");
}

static int parse_endpoint(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	unsigned long port;
	char *end;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* The token is the file's first line; a file with none is refused. */
static char *read_token(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = 0;
	return n ? strdup(buf) : NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "control", required_argument, NULL, 'c' },
		{ "content", required_argument, NULL, 'd' },
		{ "ports", required_argument, NULL, 'p' },
		{ "token-file", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *addr = NULL, *control = NULL, *content = NULL, *token_file = NULL;
	struct ms_config cfg = { .port_lo = 6000, .port_hi = 6999 };
	struct ms_registry reg;
	struct ms_catalog cat;
	struct sockaddr_in listen;
	struct ms_http *http;
	unsigned int lo, hi;
	char *token = NULL;
	sigset_t set;
	int c, sig;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'c': control = optarg; break;
		case 'd': content = optarg; break;
		case 't': token_file = optarg; break;
		case 'p':
			if (sscanf(optarg, "%u-%u", &lo, &hi) != 2 || lo < 1 || hi > 65535 ||
			    lo >= hi) {
				fprintf(stderr, "rgm-mediaserver: --ports: LO-HI, 1-65535\n");
				return 2;
			}
			cfg.port_lo = (uint16_t)lo;
			cfg.port_hi = (uint16_t)hi;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			rgm_version_print("rgm-mediaserver");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!addr || !control || !content || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (inet_pton(AF_INET, addr, &cfg.addr) != 1) {
		fprintf(stderr, "rgm-mediaserver: --addr: not an IPv4 address: %s\n", addr);
		return 2;
	}
	if (parse_endpoint(control, &listen)) {
		fprintf(stderr, "rgm-mediaserver: --control: want IPv4:PORT, got %s\n", control);
		return 2;
	}
	if (token_file && !(token = read_token(token_file))) {
		fprintf(stderr, "rgm-mediaserver: --token-file %s: no token in it\n", token_file);
		return 1;
	}
	if (ms_catalog_load(&cat, content)) {
		free(token);
		return 1;
	}
	/* signals are taken by sigwait() below, not by the worker threads */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ms_registry_setup(&reg, &cfg)) {
		ms_catalog_free(&cat);
		free(token);
		return 1;
	}
	http = ms_http_new(&listen, &cat, &reg, token);
	if (!http) {
		ms_log("error", "cannot listen on %s", control);
		ms_registry_teardown(&reg);
		ms_catalog_free(&cat);
		free(token);
		return 1;
	}
	ms_log("info", "%u titles from %s, control on %s, RTP from %s ports %u-%u%s",
	       cat.n_titles, content, control, addr, cfg.port_lo, cfg.port_hi,
	       token ? ", bearer token required" : "");
	rgm_notify("READY=1");
	sigwait(&set, &sig);
	ms_log("info", "signal %d, stopping", sig);
	ms_http_free(http);
	ms_registry_teardown(&reg);
	ms_catalog_free(&cat);
	free(token);
	return 0;
}
