/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The portal's request codec (Documentation/portal.rst): the bodies an
 * appliance sends to rgm-portal (register, watch, stop, announce, next)
 * and those of the viewer's page (pair, play, play stop), one C struct out,
 * or an HTTP status (400, 413, 422) and a message naming the field.
 *
 * As strict as lib/rgm_api.c, whose field readers it shares
 * (lib/rgm_json.h): json-c strict mode, closed objects, a field name at
 * most once, types and ranges checked. Which request a body is comes from
 * the route. json-c only, so the fuzz target links nothing else.
 */
#ifndef RGM_PORTAL_API_H
#define RGM_PORTAL_API_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "rgm_api.h"
#include "rgm_json.h"

#define RGM_PORTAL_BODY_MAX	65536	/* bytes of a request body: more is 413 */
#define RGM_PORTAL_DEPTH_MAX	4	/* JSON nesting; requests need 2 */
#define RGM_PORTAL_PORTS_MAX	8	/* streams of one title an appliance takes */
#define RGM_PORTAL_PORT_MAX	65534	/* RTCP goes to port + 1 */

enum rgm_portal_kind {
	RGM_PORTAL_REGISTER,
	RGM_PORTAL_WATCH,
	RGM_PORTAL_STOP,
	RGM_PORTAL_REPORT,
	/* the viewer flow (Documentation/portal.rst, "Watching from a browser") */
	RGM_PORTAL_ANNOUNCE,	/* appliance: here I am, on these ports */
	RGM_PORTAL_NEXT,	/* appliance: anything to receive? */
	RGM_PORTAL_PAIR,	/* browser: the code the appliance shows */
	RGM_PORTAL_PLAY,	/* browser: play this title on that appliance */
	RGM_PORTAL_PLAY_STOP,	/* browser: stop it */
	__RGM_PORTAL_KIND_MAX
};

/* Exactly one of gateway and gateway_type is non-empty. */
struct rgm_portal_register {
	char appliance[RGM_API_ID_MAX + 1];
	char gateway[RGM_API_ID_MAX + 1];
	char gateway_type[RGM_API_ID_MAX + 1];
};

/* At most one of gateway and gateway_type: with one, the portal registers
 * (or refreshes) the appliance first. */
struct rgm_portal_watch {
	char appliance[RGM_API_ID_MAX + 1];
	char gateway[RGM_API_ID_MAX + 1];
	char gateway_type[RGM_API_ID_MAX + 1];
	char title[RGM_API_ID_MAX + 1];
	struct in_addr local_addr;	/* the appliance's LAN address */
	uint16_t ports[RGM_PORTAL_PORTS_MAX];	/* RTP, one per stream; RTCP on + 1 */
	unsigned int n_ports;
	uint32_t lease;			/* s; 0: the title's duration and a margin */
};

struct rgm_portal_stop {
	char session[RGM_API_SESSION_MAX + 1];
	bool has_complete;
	bool complete;		/* the appliance received every stream whole */
};

#define RGM_PORTAL_CODE_LEN	6	/* digits of a pairing code */
#define RGM_PORTAL_WAIT_MAX	25	/* s a next request may wait */

/* announce: a watch without title and lease (the ports it listens on). */

struct rgm_portal_next {
	char appliance[RGM_API_ID_MAX + 1];
	uint32_t wait;			/* s, 0..RGM_PORTAL_WAIT_MAX */
};

struct rgm_portal_pair {
	char code[RGM_PORTAL_CODE_LEN + 1];
};

struct rgm_portal_play {
	char appliance[RGM_API_ID_MAX + 1];
	char title[RGM_API_ID_MAX + 1];
};

struct rgm_portal_play_stop {
	char play[RGM_API_SESSION_MAX + 1];
};

/* An appliance that programmed its own gateway: the ports it got (one
 * per stream) or the gateway's error (error_code non-empty). */
struct rgm_portal_report {
	char session[RGM_API_SESSION_MAX + 1];
	char grant[RGM_API_GRANT_MAX + 1];
	bool has_global_addr;
	struct in_addr global_addr;	/* what the gateway says its address is */
	uint16_t ports[RGM_PORTAL_PORTS_MAX];
	unsigned int n_ports;
	char error_code[RGM_API_CODE_MAX + 1];
	char error_msg[RGM_API_MSG_MAX];
};

struct rgm_portal_req {
	enum rgm_portal_kind kind;
	union {
		struct rgm_portal_register reg;
		struct rgm_portal_watch watch;
		struct rgm_portal_stop stop;
		struct rgm_portal_report report;
		struct rgm_portal_watch announce;
		struct rgm_portal_next next;
		struct rgm_portal_pair pair;
		struct rgm_portal_play play;
		struct rgm_portal_play_stop play_stop;
	};
};

/* 0, or -1 with *err filled (and *req zeroed). Never reads past
 * body[len - 1]. */
int rgm_portal_parse(enum rgm_portal_kind kind, const char *body, size_t len,
		     struct rgm_portal_req *req, struct rgm_json_error *err);

const char *rgm_portal_kind_name(enum rgm_portal_kind kind);

#endif /* RGM_PORTAL_API_H */
