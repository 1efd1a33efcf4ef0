/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rgmd protocol engine: transport-agnostic. The transport (TLS, event
 * loop, listen and call-home) hands it one request frame's payload at a time
 * with the peer's verified identity, and sends back the one reply it makes.
 * The engine owns the policy, the kernel handle, sessions, reservations and
 * the epoch.
 */
#ifndef RGMD_ENGINE_H
#define RGMD_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "rgm_dp.h"
#include "rgm_policy.h"

struct rgmd_engine;

/* Who sent a request: the identity the TLS layer verified, for logs and for
 * scoping sessions to a peer. */
struct rgmd_peer {
	const char *name;	/* verified certificate subject DN or SPKI pin */
	uint64_t conn_id;	/* unique per connection, never reused */
};

/* Opens the kernel handle, dumps and adopts what is installed, subscribes to
 * kernel events. Returns NULL with a message in err on failure. */
struct rgmd_engine *rgmd_engine_new(const struct rgm_policy *pol, const char *gateway_id,
				    char *err, size_t errlen);
void rgmd_engine_free(struct rgmd_engine *e);

/* Addition: as rgmd_engine_new, with the folder of the epoch state file
 * (rgmd.conf "state-dir"; NULL: RGMD_STATE_DIR). See
 * Documentation/protocol.rst, "Epoch". */
#define RGMD_STATE_DIR "/run/rgmd"
struct rgmd_engine *rgmd_engine_new_dir(const struct rgm_policy *pol, const char *gateway_id,
					const char *state_dir, char *err, size_t errlen);
/* Addition: as rgmd_engine_new_dir (which uses rgm.ko), on the dataplane
 * rgmd.conf "dataplane" names; RGM_DP_AUTO: rgm.ko if it is loaded, else
 * nftables. */
struct rgmd_engine *rgmd_engine_new_dp(const struct rgm_policy *pol, const char *gateway_id,
				       const char *state_dir, enum rgm_dp_kind dataplane,
				       char *err, size_t errlen);
enum rgm_dp_kind rgmd_engine_dataplane(const struct rgmd_engine *e);
/* The epoch hello reports (for logs). */
uint64_t rgmd_engine_epoch(const struct rgmd_engine *e);

/* SIGHUP: new policy for requests from now on (installed mappings stay). */
int rgmd_engine_set_policy(struct rgmd_engine *e, const struct rgm_policy *pol,
			   char *err, size_t errlen);

/*
 * Handles one request payload (the bytes inside one frame). Always produces
 * exactly one reply payload in *reply (malloc'd, caller frees), including for
 * malformed input; returns 0, or -ENOMEM when no reply could be built (the
 * transport then closes the connection).
 */
int rgmd_engine_handle(struct rgmd_engine *e, const struct rgmd_peer *peer,
		       const uint8_t *req, size_t len, char **reply, size_t *reply_len);

/* The transport tells the engine when a peer goes away (its reservations
 * are released; its mappings stay, bounded by their leases). */
void rgmd_engine_peer_gone(struct rgmd_engine *e, const struct rgmd_peer *peer);

/* Timers (reservation hold times): milliseconds until rgmd_engine_tick()
 * wants to run, or -1 for none. */
int rgmd_engine_timeout_ms(struct rgmd_engine *e);
void rgmd_engine_tick(struct rgmd_engine *e);

/* Kernel events (expired mappings): poll this fd for POLLIN, then call
 * rgmd_engine_events(); it calls notify once per notification payload to
 * send to every connected peer. */
int rgmd_engine_events_fd(struct rgmd_engine *e);
typedef void (*rgmd_notify_fn)(const char *payload, size_t len, void *arg);
void rgmd_engine_events(struct rgmd_engine *e, rgmd_notify_fn notify, void *arg);

#endif /* RGMD_ENGINE_H */
