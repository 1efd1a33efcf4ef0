// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the rgmd request parser (lib/rgm_proto.c): any frame
 * payload must give either a request or an error with a code, and the error
 * reply built from it must serialize. Seed corpus: fuzz/corpus/proto_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rgm_proto_error err;
	struct rgm_req req;
	char *reply;
	size_t len;

	/* the transport never hands over more than one 64 KiB frame */
	if (size > 65536)
		return 0;
	if (rgm_req_parse(data, size, &req, &err)) {
		if (err.code <= RGM_ERR_NONE || err.code >= __RGM_ERR_MAX ||
		    !memchr(err.msg, '\0', sizeof(err.msg)))
			abort();
		reply = rgm_proto_finish(rgm_proto_error_new(&err), &len);
		if (!reply || strlen(reply) != len)
			abort();
		free(reply);
		return 0;
	}
	if (req.op >= __RGM_OP_MAX || req.n_streams > RGM_PROTO_STREAMS_MAX ||
	    req.n_ports > RGM_PROTO_RESERVE_MAX ||
	    (req.has_session && strlen(req.session) > RGM_PROTO_SESSION_MAX))
		abort();
	return 0;
}
