/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Links: one persistent, mutually authenticated TLS connection per gateway
 * to its rgmd (Documentation/protocol.rst), shared by every caller.
 *
 * A link's own thread owns the socket: it dials (listen mode) or adopts the
 * connection the gateway made (call-home, callhome.c), says hello, writes
 * requests in the order they were submitted and matches the replies, which
 * rgmd sends in the same order, so any number of callers can have requests
 * in flight at once (pipelining). Callers block on a condition variable
 * until their reply or their deadline, never on the socket: a slow gateway
 * delays only its own callers.
 *
 * Links live in a table keyed by gateway id, created on first use; a
 * gateway whose registration changed (mode, endpoint, pin) gets a new link.
 */
#ifndef CS_LINK_H
#define CS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <json-c/json.h>

#include "driver.h"

#define CS_LINK_ADDRS_MAX	16	/* global addresses kept from hello */
#define CS_LINK_INFLIGHT_MAX	256	/* requests queued or unanswered per link */
#define CS_CALLHOME_PENDING_MAX	16	/* call-home handshakes at once */

/* What the gateway said in hello on the current connection. */
struct cs_link_info {
	bool connected;			/* connection up and hello answered */
	char epoch[17];			/* "" before the first hello */
	struct in_addr addrs[CS_LINK_ADDRS_MAX];
	unsigned int n_addrs;
	bool has_ports;			/* false: "ports": null, nothing can be mapped */
	uint16_t port_min, port_max;
	uint32_t lease_max;
	unsigned int in_flight;		/* requests queued or awaiting a reply */
	unsigned long long handshakes;	/* connections that got to hello */
	/* Wall clock (s) of the gateway's last reply or event, on this
	 * connection or an earlier one; 0: none since this server started. */
	int64_t last_contact;
	char last_error[256];		/* why the last connection failed or ended */
};

struct cs_links;
struct cs_link;

int cs_links_new(const struct cs_driver_env *env, struct cs_links **out, char *err,
		 size_t errlen);
/* Stops every link (waiting callers fail) and frees; no call may be running. */
void cs_links_free(struct cs_links *t);

/* The gateway's link, made on first use (no connection yet); NULL with err
 * when its credentials cannot be loaded. Release with cs_link_put(). */
struct cs_link *cs_links_get(struct cs_links *t, const struct rgm_db_gateway *gw,
			     char *err, size_t errlen);
/* An existing link or NULL: never creates one (diagnostics). */
struct cs_link *cs_links_find(struct cs_links *t, const char *id);
void cs_link_put(struct cs_link *l);

/*
 * Brings the link up if needed (listen mode: dial; call-home: wait, within
 * the connect timeout, for the gateway to call) and returns hello's answer.
 * 0, or -1 with call->err (unreachable, untrusted, timeout, refused).
 */
int cs_link_ready(struct cs_link *l, struct cs_call *call, struct cs_link_info *info);

/*
 * As cs_link_ready(), but a listen-mode link that said hello on an earlier
 * connection does not wait for a new one: it asks for the dial and returns
 * what that hello said. cs_link_call() then writes requests right behind
 * the new connection's hello (pipelined), saving the hello's round trip.
 */
int cs_link_ready_early(struct cs_link *l, struct cs_call *call, struct cs_link_info *info);

/*
 * Did a hello answered since info was taken (by cs_link_ready_early())
 * change the addresses, port range or lease-max the request was built
 * from? Then a refusal may be stale: the caller tries once more.
 */
bool cs_link_hello_changed(struct cs_link *l, const struct cs_link_info *info);

/*
 * Sends req (an object with "op" and its fields; "v" and "id" are added)
 * and waits for its reply: 0 with *reply, which may be an error reply
 * ("ok": false), or -1 with call->err (unreachable, timeout, untrusted,
 * internal) and no reply. The command and its result go through
 * call->audit either way. A reply arriving after the deadline is dropped.
 */
int cs_link_call(struct cs_link *l, struct cs_call *call, struct json_object *req,
		 struct json_object **reply);

/* A snapshot; connected is false while no connection is up. */
void cs_link_info(struct cs_link *l, struct cs_link_info *info);

/* The propose strategy's cursor: returns where the next proposal starts in
 * [min, max] and moves the cursor span ports further (wrapping), so that
 * concurrent proposals to one gateway name different ports. */
uint16_t cs_link_cursor_take(struct cs_link *l, unsigned int span, uint16_t min, uint16_t max);

/*
 * Query-first: cs_link_claim claims port..port+span-1 (UDP or TCP) for a
 * negotiation in flight on this link, all or none: false when one is
 * claimed, or was released after since, the cs_link_claim_seq read before
 * the query whose answer named it (the answer may predate that map).
 * Unclaim with sent once a map naming them was answered, so that the
 * release is remembered; without when the ports never reached the gateway.
 * cs_link_claims: how many UDP or TCP ports are claimed.
 */
uint64_t cs_link_claim_seq(struct cs_link *l);
bool cs_link_claim(struct cs_link *l, bool tcp, uint16_t port, unsigned int span, uint64_t since);
void cs_link_unclaim(struct cs_link *l, bool tcp, uint16_t port, unsigned int span, bool sent);
unsigned int cs_link_claims(struct cs_link *l, bool tcp);

/* Hands a call-home connection whose TLS handshake is done (fd and tls are
 * taken, even on failure) to the gateway's link, replacing any older one. */
int cs_links_attach(struct cs_links *t, const struct rgm_db_gateway *gw, int fd,
		    struct rgm_tls_conn *tls, const char *addr);

/* "host:port" or "[v6]:port" into its parts: 0 or -EINVAL. */
int cs_split_endpoint(const char *ep, char *host, size_t hlen, char *port, size_t plen);

/* callhome.c: accepts gateways calling home on env->callhome_listen. */
struct cs_callhome;
int cs_callhome_start(const struct cs_driver_env *env, struct cs_links *links,
		      struct cs_callhome **out, char *err, size_t errlen);
void cs_callhome_stop(struct cs_callhome *h);

#endif /* CS_LINK_H */
