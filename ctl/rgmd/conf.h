/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd.conf (conf.c): the transport's keys and the policy's, read and
 * validated as a whole.
 */
#ifndef RGMD_CONF_H
#define RGMD_CONF_H

#include <stddef.h>

#include "rgm_dp.h"
#include "rgm_policy.h"
#include "rgm_tls.h"

enum rgmd_mode { RGMD_MODE_CALL_HOME, RGMD_MODE_LISTEN };

#define RGMD_DEFAULT_CONF		"/etc/rgm/rgmd.conf"
#define RGMD_DEFAULT_HANDSHAKE_S	10
#define RGMD_DEFAULT_IDLE_S		300
#define RGMD_DEFAULT_MAX_CONNS		64
#define RGMD_MAX_CONNS_LIMIT		4096
#define RGMD_DEFAULT_RATE		20

struct rgmd_conf {
	char *path;
	enum rgmd_mode mode;
	char *server;			/* call-home: HOST:PORT */
	char *listen;			/* listen: ADDR:PORT */
	char *cert, *key, *ca, *priority, *gateway_id, *state_dir;
	enum rgm_dp_kind dataplane;	/* default auto */
	char *allow[RGM_TLS_ALLOW_MAX];
	unsigned int n_allow;
	unsigned int handshake_timeout;	/* seconds */
	unsigned int idle_timeout;	/* seconds */
	unsigned int max_connections;
	unsigned int max_frame;		/* bytes */
	unsigned int rate, burst;	/* requests per second, bucket size */
	struct rgm_policy policy;
};

/* Reads and validates the whole file. 0, or -1 with "FILE:LINE: message"
 * (or "FILE: message") in err. */
int rgmd_conf_load(struct rgmd_conf *c, const char *path, char *err, size_t errlen);
void rgmd_conf_free(struct rgmd_conf *c);
/* The TLS options the configuration describes (pointers into c). */
void rgmd_conf_tls_opts(const struct rgmd_conf *c, struct rgm_tls_opts *o);
/* HOST:PORT or [V6]:PORT split into host and port strings. */
int rgmd_conf_split_host_port(const char *s, char *host, size_t hostlen, char *port,
			      size_t portlen);

#endif /* RGMD_CONF_H */
