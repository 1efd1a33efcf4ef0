// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-portal logs to stderr, one line per event: "rgm-portal: LEVEL: msg",
 * or, under systemd (JOURNAL_STREAM is set), an sd-daemon "<N>" priority
 * prefix so the journal keeps severities.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "portal.h"

bool portal_debug;

static const char *const portal_levels[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void portal_log(int prio, const char *fmt, ...)
{
	bool journal = getenv("JOURNAL_STREAM");
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fprintf per line: stdio locks the stream, lines do not mix */
	if (journal)
		fprintf(stderr, "<%d>%s\n", prio & 7, line);
	else
		fprintf(stderr, "rgm-portal: %s: %s\n", portal_levels[prio & 7], line);
}
