/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Call-home (callhome.c): dialing the configuration server, and the
 * backoff between attempts.
 */
#ifndef RGMD_CALLHOME_H
#define RGMD_CALLHOME_H

#include <stdbool.h>
#include <stdint.h>

struct rgmd_conn;
struct rgmd_conns;

struct rgmd_home {
	struct rgmd_conn *conn;		/* dialing or up; NULL: none */
	uint64_t retry_at;		/* ms, 0: no retry pending */
	unsigned int backoff_ms;
};

/* Dials cs->conf->server now unless a session is up; called by the loop
 * when retry_at has come. */
void rgmd_home_dial(struct rgmd_home *h, struct rgmd_conns *cs);
/* The call-home session ended: schedule the next attempt. An authenticated
 * session resets the backoff. */
void rgmd_home_lost(struct rgmd_home *h, bool was_authed);

#endif /* RGMD_CALLHOME_H */
