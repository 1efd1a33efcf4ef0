/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgm-appliance: asks the portal for a title and receives its RTP streams
 * (Documentation/media.rst).
 */
#ifndef AP_H
#define AP_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#define AP_MAX_STREAMS	4

/* What one stream should bring, from the portal or the command line. */
struct ap_expect {
	char kind[16];
	uint16_t port;		/* RTP; RTCP on port + 1 */
	uint64_t packets;
	uint64_t bytes;
	char sha256[65];
};

struct ap_recv_opts {
	struct in_addr addr;
	const char *title;
	const char *out_dir;
	unsigned int timeout_s;
	bool json;
};

/*
 * The receiver. ap_recv_new() binds the RTP and RTCP sockets of n ports on
 * o->addr (before the streams are asked for: packets sent before the answer
 * wait in the socket buffers); NULL, with a message, when one is taken.
 * ap_recv_run() then receives the announced streams (e[i].port must be the
 * ports[i] bound; n may be fewer than were bound), writes
 * DIR/TITLE-KIND.ts, prints progress on stderr and the report on stdout.
 * Returns 0 when every stream is complete, 1 when one is not, 2 for a
 * local error (files). ap_recv_title() names the title when it is known
 * only after binding (standby); the string must outlive the run.
 */
struct ap_recv;
struct ap_recv *ap_recv_new(const struct ap_recv_opts *o, const uint16_t *ports, unsigned int n);
void ap_recv_title(struct ap_recv *r, const char *title);
int ap_recv_run(struct ap_recv *r, const struct ap_expect *e, unsigned int n);
void ap_recv_free(struct ap_recv *r);

/* Writes an SDP describing the streams (one m= line each) to path. */
int ap_sdp_write(const char *path, struct in_addr addr, const char *title,
		 const struct ap_expect *e, unsigned int n);

/* Portal client (contract C). */
struct ap_portal {
	const char *base;	/* http://host:port */
	const char *id;
	const char *gateway_type;
	const char *gateway;
};

/*
 * One request to the portal: body NULL for GET. Returns the HTTP status
 * (and *reply, the parsed JSON, when there is one), or -1 when the portal
 * could not be reached (message printed).
 */
int ap_portal_call(const struct ap_portal *p, const char *method, const char *path,
		   json_object *body, json_object **reply);
/* Prints the error object of a failed reply on stderr. */
void ap_portal_perror(const char *what, int status, json_object *reply);

/*
 * The appliance-mediated path (gw_upnp.c): when the portal answers a watch
 * with appliance_instructions, the appliance maps its ports on its own
 * gateway, reports what it got, renews before the lease ends and deletes
 * the mappings when done. Errors carry the portal's codes
 * (port-conflict, gateway-full, policy-denied, gateway-unreachable,
 * gateway-refused) and a message naming the gateway's own error.
 */
struct ap_gw_error {
	char code[32];
	char msg[256];
};

struct ap_gw_map {
	char proto[4];		/* "UDP", "TCP" */
	uint16_t local_port;
	uint16_t ext_port;
	char remote[INET_ADDRSTRLEN];	/* the media server */
	char what[48];		/* description on the gateway */
};

/*
 * One gateway, whatever it speaks: each kind (gw_upnp.c, gw_pcp.c) starts
 * its own struct with this one and fills in ops. gw.c has the calls below
 * and the keeper, the thread that renews the mappings at half the lease
 * (at half of what is left after a failed renewal, as RFC 6887 11.2.1
 * suggests), so that a lost request or a busy gateway leaves time for
 * another.
 */
struct ap_gw;
struct ap_gw_ops {
	const char *name;	/* "UPnP IGD", "PCP", "NAT-PMP": for messages */
	/* after map: the gateway's external address */
	int (*external)(struct ap_gw *g, struct in_addr *out, struct ap_gw_error *e);
	/* all of maps, or none (what was made is deleted again) */
	int (*map)(struct ap_gw *g, const struct ap_gw_map *maps, unsigned int n,
		   unsigned int lease, struct ap_gw_error *e);
	/* the same mappings again; false when one failed (said on stderr) */
	bool (*renew)(struct ap_gw *g);
	void (*unmap)(struct ap_gw *g);
	void (*free)(struct ap_gw *g);
};

struct ap_gw {
	const struct ap_gw_ops *ops;
	unsigned int lease;	/* what the gateway granted, s */
	pthread_t keeper;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool keeping, stop;
};

int ap_gw_map(struct ap_gw *g, const struct ap_gw_map *maps, unsigned int n,
	      unsigned int lease, struct ap_gw_error *e);
int ap_gw_external(struct ap_gw *g, struct in_addr *out, struct ap_gw_error *e);
int ap_gw_keep(struct ap_gw *g);
/* stops the keeper, deletes the mappings, frees; NULL is fine */
void ap_gw_close(struct ap_gw *g);
void ap_gw_init(struct ap_gw *g, const struct ap_gw_ops *ops);
void ap_gw_err(struct ap_gw_error *e, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* the kinds: main.c picks one by the appliance_instructions' protocol;
 * natpmp: speak NAT-PMP (RFC 6886) to a pcp gateway rather than PCP */
struct ap_gw *ap_gw_upnp_open(struct in_addr lan, struct ap_gw_error *e);
struct ap_gw *ap_gw_pcp_open(struct in_addr lan, bool natpmp, struct ap_gw_error *e);

#endif /* AP_H */
