/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine's state (engine.c creates it), shared by ctl/rgmd/engine*.c
 * only; each of those files offers its functions in its own header
 * (engine_session.h, engine_epoch.h, engine_ops.h, engine_map.h).
 * The engine is single threaded: the transport calls it from its event loop.
 */
#ifndef RGMD_ENGINE_INT_H
#define RGMD_ENGINE_INT_H

#include <stdint.h>

#include "engine.h"
#include "rgm_dp.h"
#include "rgm_policy.h"

struct rgmd_session;

struct rgmd_engine {
	struct rgm_policy pol;
	char gateway_id[128];
	char state_dir[256];
	uint64_t epoch;
	struct rgm_dp *nl;		/* requests */
	struct rgm_dp *ev;		/* events: MAP_NEW, MAP_GONE */
	struct rgmd_session *sessions;
	struct rgm_config kcfg;		/* refreshed by rgmd_ops_kcfg_refresh */
	unsigned int event_overflows;	/* events socket overflows resynced */
	/* the last table snapshot */
	struct rgm_map *snap;
	unsigned int n_snap, cap_snap;
};

#endif /* RGMD_ENGINE_INT_H */
