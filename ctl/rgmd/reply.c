// SPDX-License-Identifier: GPL-2.0
/*
 * Error replies the transport makes itself, before or instead of the engine:
 * an oversize, empty or truncated frame, a rate-limited request. They are
 * built with the protocol's own builders (lib/rgm_proto.h) so a client needs
 * one parser, and echo the request's "id" when it can be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "reply.h"
#include "rgm_proto.h"

char *rgmd_reply_error(const uint8_t *req, size_t len, enum rgm_err code, const char *msg,
		       size_t *out_len)
{
	struct rgm_proto_error err = { .code = code };
	struct json_object *in = NULL, *id;
	struct json_tokener *tok;
	int64_t v;

	/* Best effort, bounded by len (which the frame decoder bounded) and
	 * by the protocol's nesting limit. */
	if (req && len) {
		tok = json_tokener_new_ex(RGM_PROTO_DEPTH_MAX);
		if (tok) {
			in = json_tokener_parse_ex(tok, (const char *)req, len);
			json_tokener_free(tok);
		}
		if (in && json_object_is_type(in, json_type_object) &&
		    json_object_object_get_ex(in, "id", &id) &&
		    json_object_is_type(id, json_type_int)) {
			v = json_object_get_int64(id);
			if (v >= 0 && v <= UINT32_MAX) {
				err.has_id = true;
				err.id = v;
			}
		}
		json_object_put(in);
	}
	snprintf(err.msg, sizeof(err.msg), "%s", msg);
	return rgm_proto_finish(rgm_proto_error_new(&err), out_len);
}
