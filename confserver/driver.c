// SPDX-License-Identifier: GPL-2.0
/*
 * The table of gateway drivers and what every driver shares: strategy
 * names, failure classes (one HTTP status and error code each), the error
 * filler and the monotonic clock all deadlines are measured on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "driver.h"

const struct cs_driver *const cs_drivers[] = {
	&cs_driver_rgm,
	&cs_driver_upnp_igd,
	&cs_driver_pcp,
	NULL,
};

const struct cs_driver *cs_driver_find(const char *name)
{
	unsigned int i;

	for (i = 0; cs_drivers[i]; i++)
		if (!strcmp(cs_drivers[i]->name, name))
			return cs_drivers[i];
	return NULL;
}

static const char *const cs_strategy_names[__CS_STRATEGY_MAX] = {
	[CS_STRATEGY_QUERY_FIRST]	= "query-first",
	[CS_STRATEGY_PROPOSE]		= "propose",
	[CS_STRATEGY_GATEWAY_CHOOSES]	= "gateway-chooses",
	[CS_STRATEGY_RESERVE_COMMIT]	= "reserve-commit",
};

const char *cs_strategy_name(enum cs_strategy s)
{
	return (unsigned int)s < __CS_STRATEGY_MAX ? cs_strategy_names[s] : "?";
}

int cs_strategy_parse(const char *s)
{
	int i;

	for (i = 0; i < __CS_STRATEGY_MAX; i++)
		if (!strcmp(s, cs_strategy_names[i]))
			return i;
	return -1;
}

static const struct {
	const char *code;
	unsigned int status;
} cs_fails[__CS_FAIL_MAX] = {
	[CS_OK]			= { "ok", 200 },
	[CS_FAIL_UNREACHABLE]	= { "gateway-unreachable", 502 },
	[CS_FAIL_UNTRUSTED]	= { "gateway-untrusted", 502 },
	[CS_FAIL_TIMEOUT]	= { "gateway-timeout", 504 },
	[CS_FAIL_REFUSED]	= { "gateway-refused", 502 },
	[CS_FAIL_POLICY]	= { "policy-denied", 403 },
	[CS_FAIL_CONFLICT]	= { "port-conflict", 409 },
	[CS_FAIL_NO_SESSION]	= { "unknown-session", 404 },
	[CS_FAIL_FULL]		= { "gateway-full", 503 },
	[CS_FAIL_FORBIDDEN]	= { "grant-refused", 403 },
	[CS_FAIL_INTERNAL]	= { "internal", 500 },
};

const char *cs_fail_code(enum cs_fail f)
{
	return (unsigned int)f < __CS_FAIL_MAX ? cs_fails[f].code : "internal";
}

unsigned int cs_fail_status(enum cs_fail f)
{
	return (unsigned int)f < __CS_FAIL_MAX ? cs_fails[f].status : 500;
}

int cs_fail(struct cs_call *call, enum cs_fail f, const char *gw_code, const char *fmt, ...)
{
	char msg[sizeof(call->err.msg)], code[sizeof(call->err.gw_code)];
	va_list ap;

	/* Through copies: the arguments may quote the previous error. */
	snprintf(code, sizeof(code), "%s", gw_code ? gw_code : "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	call->err.fail = f;
	memcpy(call->err.gw_code, code, sizeof(code));
	memcpy(call->err.msg, msg, sizeof(msg));
	return -1;
}

int64_t cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
