/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Gateway drivers: how the configuration server programs one type of
 * gateway. The service (confserver/service.c) decides *what* a session is
 * and records it; a driver decides *how* a gateway of its type is told.
 *
 * A driver is one file (drv_NAME.c) exporting one struct cs_driver, listed
 * in cs_drivers[] (driver.c). "rgm": our agent rgmd over mutually
 * authenticated TLS (Documentation/protocol.rst). "upnp-igd" and "pcp"
 * (drv_appliance.c): the appliance programs its own gateway through the
 * gateway's LAN interface; the driver talks to no gateway, it returns a
 * signed grant and the mappings in cs_configured.appliance_instructions
 * (awaiting_report), and report() checks what the appliance got.
 *
 * Calls are synchronous for the caller (an HTTP connection's thread) and
 * bounded by call->deadline_ms; a driver must never block one gateway's
 * callers behind another gateway. Every command a driver sends to a
 * gateway goes through call->audit() with its result, failures included.
 */
#ifndef CS_DRIVER_H
#define CS_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include "rgm_api.h"
#include "rgm_db.h"
#include "rgm_tls.h"

/* How global ports are agreed with a gateway (per gateway type). */
enum cs_strategy {
	CS_STRATEGY_QUERY_FIRST,	/* ask for free ports, then map naming them */
	CS_STRATEGY_PROPOSE,		/* name ports ourselves; after port-in-use, others */
	CS_STRATEGY_GATEWAY_CHOOSES,	/* map naming no port: the gateway picks */
	CS_STRATEGY_RESERVE_COMMIT,	/* reserve ports, then map them as reserved */
	__CS_STRATEGY_MAX
};

const char *cs_strategy_name(enum cs_strategy s);	/* "query-first", ... */
int cs_strategy_parse(const char *s);			/* -1 when unknown */

/* Why a call failed: each class is one HTTP status and error code for the
 * portal (Documentation/confserver.rst, "Errors"). */
enum cs_fail {
	CS_OK,
	CS_FAIL_UNREACHABLE,	/* 502 gateway-unreachable: no connection, lost */
	CS_FAIL_UNTRUSTED,	/* 502 gateway-untrusted: not the registered certificate */
	CS_FAIL_TIMEOUT,	/* 504 gateway-timeout: no answer before the deadline */
	CS_FAIL_REFUSED,	/* 502 gateway-refused: an error reply not listed below */
	CS_FAIL_POLICY,		/* 403 policy-denied: the gateway's policy said no */
	CS_FAIL_CONFLICT,	/* 409 port-conflict: no agreed ports after retries */
	CS_FAIL_NO_SESSION,	/* 404 unknown-session: the gateway has no such session */
	CS_FAIL_FULL,		/* 503 gateway-full: the gateway has no room for more mappings */
	CS_FAIL_FORBIDDEN,	/* 403 grant-refused: a report without a valid grant */
	CS_FAIL_INTERNAL,	/* 500 internal */
	__CS_FAIL_MAX
};

const char *cs_fail_code(enum cs_fail f);	/* "gateway-unreachable", ... */
unsigned int cs_fail_status(enum cs_fail f);	/* 502, ... */

struct cs_error {
	enum cs_fail fail;
	char gw_code[32];	/* the gateway's error code ("port-in-use"), "" if none */
	char msg[256];		/* for humans: names the gateway and the step */
};

/* One request from the service to a driver. */
struct cs_call {
	int64_t deadline_ms;	/* CLOCK_MONOTONIC, ms: every step gives up at it */
	const char *actor;	/* who asked (audit): "token:portal-1", "cert:CN=..." */
	/* Called once per command sent to a gateway: the command and the
	 * gateway's reply as JSON texts, or a JSON object describing the
	 * transport failure ({"error":"timeout"}). */
	void (*audit)(struct cs_call *call, const char *gateway,
		      const char *command, const char *result);
	void *priv;		/* the service's */
	struct cs_error err;	/* set by the driver when it returns -1 */
};

/* Fills call->err; returns -1 (so drivers can `return cs_fail(...)`). */
int cs_fail(struct cs_call *call, enum cs_fail f, const char *gw_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ms on CLOCK_MONOTONIC */
int64_t cs_now_ms(void);

struct cs_stream_ports {
	struct in_addr global_addr;
	uint16_t global_port;
	uint16_t rtcp_port;	/* global_port + 1 with rtcp, else 0 */
};

struct cs_configured {
	struct cs_stream_ports streams[RGM_API_STREAMS_MAX];	/* in request order */
	unsigned int n_streams;
	uint32_t lease;		/* the lease the gateway granted */
	/* Drivers whose configuration the appliance applies: what to tell
	 * it (handed back to the portal as "appliance_instructions"). NULL for rgm. */
	struct json_object *appliance_instructions;
	/* The gateway is not programmed yet: the session stays pending until
	 * the appliance reports the ports it got (report()). */
	bool awaiting_report;
};

/* One gateway as a driver sees it: its registration and its type's strategy. */
struct cs_gateway {
	struct rgm_db_gateway rec;
	enum cs_strategy strategy;
};

/* Given to every driver at start. */
struct cs_driver_env {
	/* Our client certificate, key, and the CA gateways' certificates chain
	 * to (no allow list: drivers pin each gateway to rec.pin). */
	const char *cert, *key, *ca, *priority;
	unsigned int connect_timeout_ms;	/* TCP connect + TLS handshake */
	unsigned int idle_timeout_ms;		/* an unused gateway connection is closed */
	const char *callhome_listen;		/* "HOST:PORT" or NULL: no call-home */
	unsigned int callhome_fd_reserve;	/* 0: CS_FDRES_DEFAULT */
	const char *grant_key;			/* Ed25519 PEM key file, or NULL */
	/* The service's hooks (any thread; they lock what they need). They
	 * run on a driver's own threads (rgm: a link's), which answer the
	 * calls: a hook must not call a driver back and wait for it. */
	void *priv;
	/* The gateway says a session's mappings expired (lease ran out). */
	void (*expired)(void *priv, const char *gateway, const char *session);
	/* A calling-home gateway presented this pin: its record, 0 or -ENOENT. */
	int (*find_pin)(void *priv, const char *pin, struct rgm_db_gateway *out);
	/* The gateway's global addresses as it reported them (hello). */
	void (*seen_addr)(void *priv, const char *gateway, struct in_addr addr);
	/* The epoch the gateway said in hello (every connection): a new one
	 * means it may have lost its mappings (protocol.rst, Epoch). */
	void (*epoch)(void *priv, const char *gateway, const char *epoch);
};

struct cs_driver {
	const char *name;
	int (*setup)(const struct cs_driver_env *env, void **state, char *err, size_t errlen);
	void (*teardown)(void *state);
	/* Installs every stream of the session, or nothing (on failure after
	 * a partial step, the driver removes what it installed or reserved). */
	int (*configure)(void *state, struct cs_call *call, const struct cs_gateway *gw,
			 const char *session, const struct rgm_api_configure *req,
			 struct cs_configured *out);
	int (*renew)(void *state, struct cs_call *call, const struct cs_gateway *gw,
		     const char *session, uint32_t lease);
	int (*close)(void *state, struct cs_call *call, const struct cs_gateway *gw,
		     const char *session);
	/* Optional. Installs an active session again on the ports it has
	 * (ports[i]: stream i's global port), after the gateway lost it; the
	 * lease is req->lease, what is left of it. */
	int (*restore)(void *state, struct cs_call *call, const struct cs_gateway *gw,
		       const char *session, const struct rgm_api_configure *req,
		       const uint16_t *ports, struct cs_configured *out);
	/* Optional. Makes sure the gateway is reachable now (connecting if
	 * need be), so that a restart it had is noticed (epoch_changed). */
	int (*probe)(void *state, struct cs_call *call, const struct cs_gateway *gw);
	/* Optional: appliance-mediated types. Checks what the appliance reports
	 * for a session left pending by configure (its grant, the ports its
	 * gateway granted, or the gateway's error, which it returns as this
	 * call's failure) and fills out as configure would have. req->lease
	 * is the session's. */
	int (*report)(void *state, struct cs_call *call, const struct cs_gateway *gw,
		      const char *session, const struct rgm_api_configure *req,
		      const struct rgm_api_report *rep, struct cs_configured *out);
	/* Diagnostics for `GET /v1/gateways/ID`: connected, epoch, ... (may be NULL). */
	struct json_object *(*status)(void *state, const struct cs_gateway *gw);
};

extern const struct cs_driver cs_driver_rgm;	/* drv_rgm.c */
extern const struct cs_driver cs_driver_upnp_igd, cs_driver_pcp;	/* drv_appliance.c */

/* NULL-terminated, in driver.c */
extern const struct cs_driver *const cs_drivers[];
const struct cs_driver *cs_driver_find(const char *name);

#endif /* CS_DRIVER_H */
