/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map op (engine_map.c).
 */
#ifndef RGMD_ENGINE_MAP_H
#define RGMD_ENGINE_MAP_H

#include <json-c/json.h>

#include "engine.h"
#include "rgm_proto.h"

/* Fills reply, or returns -1 with the protocol error in perr. */
int rgmd_map_op(struct rgmd_engine *e, const struct rgmd_peer *peer,
		const struct rgm_req *req, struct json_object *reply,
		struct rgm_proto_error *perr);

#endif /* RGMD_ENGINE_MAP_H */
