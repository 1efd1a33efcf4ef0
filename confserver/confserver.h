/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm-confserver's internal interfaces (Documentation/confserver.rst):
 *
 *   conf.c     the configuration file (strict: FILE:LINE on any error)
 *   auth.c     who a portal request comes from: bearer token or client
 *              certificate, and its role
 *   service.c  what a request does: database, drivers, audit, sweeper
 *   route.c    what a request asks for: route, role, size, body (route.h)
 *   http.c     the libmicrohttpd front: bodies, replies
 *   log.c      "rgm-confserver: LEVEL: message" on stderr
 *   main.c     the command line
 *
 * Gateway drivers (driver.h) sit behind service.c only.
 */
#ifndef CS_CONFSERVER_H
#define CS_CONFSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <json-c/json.h>

#include "driver.h"
#include "rgm_api.h"

#define CS_DB_DEFAULT		"/var/lib/rgm/confserver.db"
#define CS_TOKENS_MAX		64
#define CS_PORTAL_CERTS_MAX	RGM_TLS_ALLOW_MAX
#define CS_GW_TYPES_MAX		64
#define CS_DEFAULT_DRIVER	"rgm"
#define CS_HTTP_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define CS_ACTOR_MAX		RGM_TLS_ID_MAX

/* Roles, ordered: a role may do what the ones below it may. */
enum cs_role {
	CS_ROLE_NONE,		/* unauthenticated: /v1/health only */
	CS_ROLE_PORTAL,		/* sessions, appliances */
	CS_ROLE_OPERATOR,	/* and gateways */
	__CS_ROLE_MAX
};

const char *cs_role_name(enum cs_role r);

/* log.c */
enum cs_log_level { CS_LOG_ERR, CS_LOG_WARN, CS_LOG_INFO, CS_LOG_DEBUG };
void cs_log(enum cs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* conf.c */
struct cs_conf_str {
	char *v;		/* NULL when not given */
	unsigned int line;	/* where it was given, for load errors */
};

struct cs_token {
	char name[RGM_API_ID_MAX + 1];
	enum cs_role role;
	uint8_t sha256[32];	/* of the bearer token; the token itself is never stored */
};

struct cs_portal_cert {
	enum cs_role role;
	char entry[RGM_TLS_ID_MAX + 16];	/* "subject DN" or "pin-sha256:..." */
};

struct cs_gw_type {
	char type[RGM_API_ID_MAX + 1];
	const struct cs_driver *driver;
	enum cs_strategy strategy;
};

struct cs_conf {
	char *path;
	struct cs_conf_str db, listen, http_cert, http_key, portal_ca;
	struct cs_conf_str gateway_cert, gateway_key, gateway_ca, callhome_listen;
	struct cs_conf_str grant_key;	/* Ed25519 key signing appliance grants */
	bool insecure_http;
	unsigned int insecure_line;
	struct sockaddr_storage listen_addr;	/* listen, parsed */
	socklen_t listen_len;
	struct cs_token tokens[CS_TOKENS_MAX];
	unsigned int n_tokens;
	struct cs_portal_cert certs[CS_PORTAL_CERTS_MAX];
	unsigned int n_certs;
	struct cs_gw_type types[CS_GW_TYPES_MAX];
	unsigned int n_types;
	unsigned int connect_timeout;	/* s */
	unsigned int request_timeout;	/* s */
	unsigned int idle_timeout;	/* s */
	unsigned int max_connections;
	unsigned int callhome_fd_reserve;	/* descriptors call-home may not take */
};

/* Reads and checks path; err gets "FILE:LINE: message" (or "FILE: message"
 * for what no line says). 0 or -1. cs_conf_free() in both cases. */
int cs_conf_load(struct cs_conf *c, const char *path, char *err, size_t errlen);
/* --check-config's second half: loads every certificate and key it names. */
int cs_conf_check_files(const struct cs_conf *c, char *err, size_t errlen);
void cs_conf_free(struct cs_conf *c);
/* The driver and strategy for a gateway type: its gateway-type line, else
 * CS_DEFAULT_DRIVER with query-first. NULL driver when that is missing. */
void cs_conf_gw_type(const struct cs_conf *c, const char *type, struct cs_gw_type *out);
/* Reads a whole (small) file; malloc'd, NUL-terminated, NULL with errno. */
char *cs_conf_read_file(const char *path, size_t max, size_t *len);

/* auth.c */
struct cs_auth {
	enum cs_role role;
	char actor[CS_ACTOR_MAX];	/* "token:NAME", "cert:DN" */
	char why[256];			/* why it was refused, for the 401 message */
};

struct MHD_Connection;
/* Fills a: role CS_ROLE_NONE (with why) when the request has no valid
 * credentials. A bearer token, when present, decides alone. */
void cs_auth_request(const struct cs_conf *c, struct MHD_Connection *conn, struct cs_auth *a);

/* service.c: every call fills a result; body is the success document. */
struct cs_result {
	unsigned int status;		/* HTTP status */
	const char *code;		/* error code (contract A), NULL on success */
	char msg[512];
	struct json_object *body;	/* owned by the caller (json_object_put) */
};

struct cs_service;
int cs_service_new(const struct cs_conf *c, struct cs_service **out, char *err, size_t errlen);
/* Stops the sweeper and the drivers; no call may be running. */
void cs_service_free(struct cs_service *s);

void cs_service_configure(struct cs_service *s, const char *actor,
			  const struct rgm_api_configure *req, struct cs_result *r);
void cs_service_renew(struct cs_service *s, const char *actor, const struct rgm_api_renew *req,
		      struct cs_result *r);
void cs_service_close(struct cs_service *s, const char *actor,
		      const struct rgm_api_teardown *req, struct cs_result *r);
void cs_service_report(struct cs_service *s, const char *actor,
		       const struct rgm_api_report *req, struct cs_result *r);
void cs_service_session_get(struct cs_service *s, const char *id, struct cs_result *r);
void cs_service_register(struct cs_service *s, const char *actor,
			 const struct rgm_api_register *req, struct cs_result *r);
void cs_service_enroll(struct cs_service *s, const char *actor, const struct rgm_api_enroll *req,
		       struct cs_result *r);
void cs_service_gateway_list(struct cs_service *s, struct cs_result *r);
void cs_service_gateway_get(struct cs_service *s, const char *id, struct cs_result *r);
/* The operator's views: the newest sessions, the audit chain verified with
 * its newest entries, removing a gateway (audited). */
void cs_service_session_list(struct cs_service *s, struct cs_result *r);
void cs_service_audit(struct cs_service *s, struct cs_result *r);
void cs_service_gateway_del(struct cs_service *s, const char *actor, const char *id,
			    struct cs_result *r);

/* Sets r to an error; returns nothing useful (void), for one-line fails. */
void cs_result_error(struct cs_result *r, unsigned int status, const char *code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Counts for GET /metrics, read under the database lock. 0 or -errno. */
struct cs_service_counts {
	uint64_t gateways;
	uint64_t sessions[4];		/* by enum rgm_db_state: pending, active (the rest: 0) */
};
int cs_service_counts(struct cs_service *s, struct cs_service_counts *out);

/* metrics.c: GET /metrics (Documentation/operations.rst, "Metrics") */
#define CS_METRICS_ROUTES	32	/* the route table's entries, and "no route" last */
enum cs_metrics_hs { CS_HS_DIAL, CS_HS_CALLHOME, __CS_HS_MAX };
/* One answered request: its route (index in the route table, or
 * CS_METRICS_ROUTES - 1 for none; method and path are the table's static
 * strings), its status and how long it took. */
void cs_metrics_request(unsigned int route, const char *method, const char *path,
			unsigned int status, uint64_t us);
/* A TLS handshake with a gateway refused or failed (dialed, or called home). */
void cs_metrics_handshake_failed(enum cs_metrics_hs where);
/* A call-home connection closed at once: the descriptor reserve (fdres.c). */
void cs_metrics_callhome_refused(void);
/* The text of a scrape; malloc'd, NULL when out of memory. */
char *cs_metrics_text(const struct cs_service_counts *c, size_t *len);

/* fdres.c: descriptors kept from call-home gateways for the API */
#define CS_FDRES_DEFAULT	256	/* call-home-fd-reserve */
struct cs_fdres {
	unsigned int reserve;
	uint64_t limit;			/* RLIMIT_NOFILE (soft) */
	uint64_t open;			/* at the last count */
	uint64_t since;			/* admitted since */
	int64_t counted_at;		/* ms, cs_now_ms() */
	bool counted;
	uint64_t refused;		/* since the last log line */
	int64_t logged_at;
};
/* Raises RLIMIT_NOFILE's soft limit to the hard one (serve, at start). */
void cs_fdres_raise(void);
/* The process's open descriptors, or -errno. */
int cs_fdres_count(void);
void cs_fdres_init(struct cs_fdres *r, unsigned int reserve);
/* A connection was just accepted (its descriptor is open): keep it? false:
 * close it, it is counted and logged. One thread's (no lock). */
bool cs_fdres_admit(struct cs_fdres *r, int64_t now);

/* http.c */
struct cs_http;
int cs_http_start(const struct cs_conf *c, struct cs_service *s, struct cs_http **out,
		  char *err, size_t errlen);
/* Stops accepting, lets running requests finish (each bounded by the
 * request timeout), frees. */
void cs_http_stop(struct cs_http *h);

#endif /* CS_CONFSERVER_H */
