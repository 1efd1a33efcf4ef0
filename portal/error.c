// SPDX-License-Identifier: GPL-2.0
/*
 * error.c - the portal's errors: status, code and message of a refusal,
 * as every part of the portal reports them (portal.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "portal.h"

int portal_error_set(struct portal_error *e, unsigned int status, const char *code,
		     const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int portal_error_from_json(struct portal_error *e, const struct rgm_json_error *je)
{
	const char *code;

	switch (je->status) {
	case 400: code = "bad-request"; break;
	case 413: code = "too-large"; break;
	case 422: code = "invalid"; break;
	default: code = "internal"; break;
	}
	return portal_error_set(e, je->status, code, "%s", je->msg);
}
