// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd logs to stderr, one line per event. Under systemd (JOURNAL_STREAM is
 * set) each line starts with the sd-daemon "<N>" priority so the journal
 * keeps severities; otherwise a readable level word.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rgmd.h"

bool rgmd_debug;

static const char *const rgmd_levels[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void rgmd_log(int prio, const char *fmt, ...)
{
	static int journal = -1;
	char line[1024];
	va_list ap;

	if (journal < 0)
		journal = !!getenv("JOURNAL_STREAM");
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journal)
		fprintf(stderr, "<%d>%s\n", prio & 7, line);
	else
		fprintf(stderr, "rgmd: %s: %s\n", rgmd_levels[prio & 7], line);
}
