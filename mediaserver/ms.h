/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm-mediaserver: sends the titles of a catalog as RTP/RTCP, started and
 * stopped over an HTTP control API (Documentation/media.rst).
 */
#ifndef MS_H
#define MS_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#define MS_MAX_MEDIA		4	/* streams per title */
#define MS_MAX_TITLES		64
#define MS_MAX_SESSIONS		256
#define MS_PREPARED_TTL_S	30	/* a prepared stream not started is dropped */
#define MS_RETAIN_S		60	/* a finished one stays visible this long */
#define MS_BODY_MAX		65536

void ms_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* catalog.c */
struct ms_media {
	char kind[16];
	char file[128];
	char sha256[65];
	uint8_t *data;
	size_t bytes;
	size_t packets;		/* RTP packets */
	uint64_t *at;		/* send time of each RTP packet, ns */
	uint64_t duration_ns;
};

struct ms_title {
	char id[64];
	char name[128];
	unsigned int duration_ms;
	unsigned int n_media;
	struct ms_media media[MS_MAX_MEDIA];
};

struct ms_catalog {
	unsigned int n_titles;
	struct ms_title *titles;
};

int ms_catalog_load(struct ms_catalog *c, const char *dir);
void ms_catalog_free(struct ms_catalog *c);
const struct ms_title *ms_catalog_find(const struct ms_catalog *c, const char *id);
/* The catalog as GET /v1/titles returns it: without file names. */
json_object *ms_catalog_json(const struct ms_catalog *c);

/* session.c */
struct ms_config {
	struct in_addr addr;
	uint16_t port_lo, port_hi;
};

struct ms_session;

struct ms_registry {
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* a session ended, or teardown */
	struct ms_session *head;
	unsigned int count;
	unsigned int cursor;		/* next port pair to try */
	const struct ms_config *cfg;
	bool stopping;
	pthread_t housekeeper;
};

int ms_registry_setup(struct ms_registry *r, const struct ms_config *cfg);
void ms_registry_teardown(struct ms_registry *r);

/*
 * The session calls return 0 and set *out to the JSON reply, or a negative
 * errno with *msg set: -ENOENT unknown stream, -EBUSY wrong state, -EINVAL
 * bad argument, -EADDRINUSE no free ports, -EAGAIN too many sessions.
 */
int ms_session_prepare(struct ms_registry *r, const struct ms_title *t, json_object **out,
		       const char **msg);
int ms_session_start(struct ms_registry *r, const char *id, struct in_addr dest,
		     const uint16_t *ports, unsigned int n_ports, uint64_t duration_ms,
		     json_object **out, const char **msg);
int ms_session_stop(struct ms_registry *r, const char *id, json_object **out, const char **msg);
int ms_session_get(struct ms_registry *r, const char *id, json_object **out, const char **msg);

/* http.c */
struct ms_http;
struct ms_http *ms_http_new(const struct sockaddr_in *listen, const struct ms_catalog *c,
			    struct ms_registry *r, const char *token);
void ms_http_free(struct ms_http *h);

#endif /* MS_H */
