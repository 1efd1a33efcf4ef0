/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error replies the transport makes itself (reply.c).
 */
#ifndef RGMD_REPLY_H
#define RGMD_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "rgm_proto.h"

/* A transport-level error reply, shaped like the engine's error replies,
 * echoing the request's "id" when it can be read. malloc'd JSON, NULL on
 * allocation failure. */
char *rgmd_reply_error(const uint8_t *req, size_t len, enum rgm_err code, const char *msg,
		       size_t *out_len);

#endif /* RGMD_REPLY_H */
