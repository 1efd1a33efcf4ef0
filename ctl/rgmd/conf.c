// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd.conf: "key = value" lines, '#' starts a comment, blank lines ignored.
 * Transport keys are handled here; every other key goes to the policy
 * (rgm_policy_set), and a key neither knows is an error naming FILE:LINE,
 * so a typo never silently leaves a default in place.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rgm_conf.h"
#include "conf.h"
#include "engine.h"
#include "rgm_frame.h"

#define RGMD_LINE_MAX 4096
#define RGMD_DEFAULT_STATE_DIR	RGMD_STATE_DIR	/* engine.h */

static int rgmd_conf_uint(const char *key, const char *v, unsigned int min, unsigned int max,
		     unsigned int *out, char *err, size_t errlen)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *v == '-' || *v == '+' || *end || errno || n < min || n > max) {
		snprintf(err, errlen, "%s: '%s' is not a number in %u..%u", key, v, min, max);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

static int rgmd_conf_str(const char *key, const char *v, char **out, char *err, size_t errlen)
{
	char *s = strdup(v);

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", key);
		return -ENOMEM;
	}
	free(*out);
	*out = s;
	return 0;
}

int rgmd_conf_split_host_port(const char *s, char *host, size_t hostlen, char *port,
			      size_t portlen)
{
	const char *colon, *h = s;
	size_t n;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = close - h;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		n = colon - s;
	}
	if (!n || n >= hostlen || !colon[1] || strlen(colon + 1) >= portlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = 0;
	strcpy(port, colon + 1);
	n = strspn(port, "0123456789");
	if (port[n] || atoi(port) < 1 || atoi(port) > 65535)
		return -EINVAL;
	return 0;
}

static int rgmd_conf_hostport(const char *key, const char *v, char **out, char *err,
			 size_t errlen)
{
	char host[256], port[16];

	if (rgmd_conf_split_host_port(v, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "%s: '%s' is not HOST:PORT (port 1..65535)", key, v);
		return -EINVAL;
	}
	return rgmd_conf_str(key, v, out, err, errlen);
}

/* rate = N [burst M] */
static int rgmd_conf_rate(struct rgmd_conf *c, const char *v, char *err, size_t errlen)
{
	char rate[32], word[32], burst[32], extra[2];
	int n;

	n = sscanf(v, "%31s %31s %31s %1s", rate, word, burst, extra);
	if ((n != 1 && n != 3) || (n == 3 && strcmp(word, "burst"))) {
		snprintf(err, errlen, "rate: '%s' is not 'N' or 'N burst M'", v);
		return -EINVAL;
	}
	if (rgmd_conf_uint("rate", rate, 1, 100000, &c->rate, err, errlen))
		return -EINVAL;
	c->burst = c->rate * 2;
	if (n == 3 && rgmd_conf_uint("rate burst", burst, 1, 100000, &c->burst, err, errlen))
		return -EINVAL;
	return 0;
}

static int rgmd_conf_key(struct rgmd_conf *c, const char *key, const char *v, char *err,
		    size_t errlen)
{
	unsigned int n;

	if (!strcmp(key, "mode")) {
		if (!strcmp(v, "call-home")) {
			c->mode = RGMD_MODE_CALL_HOME;
		} else if (!strcmp(v, "listen")) {
			c->mode = RGMD_MODE_LISTEN;
		} else {
			snprintf(err, errlen, "mode: '%s' is not call-home or listen", v);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "server"))
		return rgmd_conf_hostport(key, v, &c->server, err, errlen);
	if (!strcmp(key, "listen"))
		return rgmd_conf_hostport(key, v, &c->listen, err, errlen);
	if (!strcmp(key, "cert"))
		return rgmd_conf_str(key, v, &c->cert, err, errlen);
	if (!strcmp(key, "key"))
		return rgmd_conf_str(key, v, &c->key, err, errlen);
	if (!strcmp(key, "ca"))
		return rgmd_conf_str(key, v, &c->ca, err, errlen);
	if (!strcmp(key, "tls-priority"))
		return rgmd_conf_str(key, v, &c->priority, err, errlen);
	if (!strcmp(key, "dataplane")) {
		int k = rgm_dp_parse(v);

		if (k < 0) {
			snprintf(err, errlen, "dataplane: '%s' is not kmod, nftables or auto", v);
			return -EINVAL;
		}
		c->dataplane = k;
		return 0;
	}
	if (!strcmp(key, "state-dir"))
		return rgmd_conf_str(key, v, &c->state_dir, err, errlen);
	if (!strcmp(key, "gateway-id")) {
		if (strlen(v) > 128 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:") !=
					strlen(v)) {
			snprintf(err, errlen,
				 "gateway-id: '%s' must be 1..128 of A-Z a-z 0-9 . - _ :", v);
			return -EINVAL;
		}
		return rgmd_conf_str(key, v, &c->gateway_id, err, errlen);
	}
	if (!strcmp(key, "allow")) {
		if (c->n_allow == RGM_TLS_ALLOW_MAX) {
			snprintf(err, errlen, "allow: more than %d entries", RGM_TLS_ALLOW_MAX);
			return -EINVAL;
		}
		if (rgm_tls_allow_parse(v, err, errlen))
			return -EINVAL;
		if (rgmd_conf_str(key, v, &c->allow[c->n_allow], err, errlen))
			return -ENOMEM;
		c->n_allow++;
		return 0;
	}
	if (!strcmp(key, "handshake-timeout"))
		return rgmd_conf_uint(key, v, 1, 300, &c->handshake_timeout, err, errlen);
	if (!strcmp(key, "idle-timeout"))
		return rgmd_conf_uint(key, v, 1, 86400, &c->idle_timeout, err, errlen);
	if (!strcmp(key, "max-connections"))
		return rgmd_conf_uint(key, v, 1, RGMD_MAX_CONNS_LIMIT, &c->max_connections, err,
				 errlen);
	if (!strcmp(key, "max-frame")) {
		if (rgmd_conf_uint(key, v, RGM_FRAME_MIN_MAX, RGM_FRAME_MAX, &n, err, errlen))
			return -EINVAL;
		c->max_frame = n;
		return 0;
	}
	if (!strcmp(key, "rate"))
		return rgmd_conf_rate(c, v, err, errlen);
	return rgm_policy_set(&c->policy, key, v, err, errlen);
}

static int rgmd_conf_check_file(const char *key, const char *path, char *err, size_t errlen)
{
	if (!path) {
		snprintf(err, errlen, "%s is required", key);
		return -EINVAL;
	}
	if (access(path, R_OK)) {
		snprintf(err, errlen, "%s: cannot read %s: %s", key, path, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* Whole-file rules, once every line is read. */
static int rgmd_conf_validate(struct rgmd_conf *c, char *err, size_t errlen)
{
	struct stat st = { 0 };

	if (c->mode == RGMD_MODE_CALL_HOME && !c->server) {
		snprintf(err, errlen, "mode call-home needs 'server = HOST:PORT'");
		return -EINVAL;
	}
	if (c->mode == RGMD_MODE_LISTEN && !c->listen) {
		snprintf(err, errlen, "mode listen needs 'listen = ADDR:PORT'");
		return -EINVAL;
	}
	if (rgmd_conf_check_file("cert", c->cert, err, errlen) ||
	    rgmd_conf_check_file("key", c->key, err, errlen) ||
	    rgmd_conf_check_file("ca", c->ca, err, errlen))
		return -EINVAL;
	if (!c->n_allow) {
		/* Any certificate the CA ever signed would do otherwise. */
		snprintf(err, errlen,
			 "no 'allow' entry: name the configuration server(s) by subject or pin");
		return -EINVAL;
	}
	if (!c->gateway_id) {
		snprintf(err, errlen, "gateway-id is required");
		return -EINVAL;
	}
	if (stat(c->state_dir, &st)) {
		snprintf(err, errlen, "state-dir: %s: %s%s", c->state_dir, strerror(errno),
			 errno == ENOENT ? " (create it; under systemd RuntimeDirectory=rgmd does)"
					 : "");
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "state-dir: %s: not a directory", c->state_dir);
		return -EINVAL;
	}
	return rgm_policy_validate(&c->policy, err, errlen);
}

static void rgmd_conf_defaults(struct rgmd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = RGMD_MODE_CALL_HOME;
	c->handshake_timeout = RGMD_DEFAULT_HANDSHAKE_S;
	c->idle_timeout = RGMD_DEFAULT_IDLE_S;
	c->max_connections = RGMD_DEFAULT_MAX_CONNS;
	c->max_frame = RGM_FRAME_MAX;
	c->rate = RGMD_DEFAULT_RATE;
	c->burst = 2 * RGMD_DEFAULT_RATE;
	rgm_policy_init(&c->policy);
}

static int rgmd_conf_key_fn(void *priv, const char *key, const char *val, unsigned int line,
		       char *msg, size_t msglen)
{
	return rgmd_conf_key(priv, key, val, msg, msglen);
}

int rgmd_conf_load(struct rgmd_conf *c, const char *path, char *err, size_t errlen)
{
	char msg[512];

	rgmd_conf_defaults(c);
	c->path = strdup(path);
	c->state_dir = strdup(RGMD_DEFAULT_STATE_DIR);
	if (!c->path || !c->state_dir) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (rgm_conf_read(path, RGMD_LINE_MAX, rgmd_conf_key_fn, c, err, errlen))
		return -1;
	msg[0] = 0;
	if (rgmd_conf_validate(c, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", path, msg[0] ? msg : "invalid");
		return -1;
	}
	return 0;
}

void rgmd_conf_free(struct rgmd_conf *c)
{
	unsigned int i;

	free(c->path);
	free(c->server);
	free(c->listen);
	free(c->cert);
	free(c->key);
	free(c->ca);
	free(c->priority);
	free(c->gateway_id);
	free(c->state_dir);
	for (i = 0; i < c->n_allow; i++)
		free(c->allow[i]);
	memset(c, 0, sizeof(*c));
}

void rgmd_conf_tls_opts(const struct rgmd_conf *c, struct rgm_tls_opts *o)
{
	unsigned int i;

	memset(o, 0, sizeof(*o));
	o->cert = c->cert;
	o->key = c->key;
	o->ca = c->ca;
	o->priority = c->priority;
	for (i = 0; i < c->n_allow; i++)
		o->allow[i] = c->allow[i];
	o->n_allow = c->n_allow;
}
