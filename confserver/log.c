// SPDX-License-Identifier: GPL-2.0
/*
 * "rgm-confserver: LEVEL: message" lines on stderr (journald adds the
 * time). One fprintf per line, so lines of concurrent threads do not mix.
 */
#include <stdarg.h>
#include <stdio.h>

#include "confserver.h"

void cs_log(enum cs_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "rgm-confserver: %s: %s\n", names[level], buf);
}
