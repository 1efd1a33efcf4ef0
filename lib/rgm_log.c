// SPDX-License-Identifier: GPL-2.0
/* The daemons' log lines (rgm_log.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "rgm_log.h"

static const char *rgm_log_prog = "rgm";
static bool rgm_log_journal;

static const char *const rgm_log_levels[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void rgm_log_setup(const char *prog)
{
	rgm_log_prog = prog;
	rgm_log_journal = getenv("JOURNAL_STREAM");
}

void rgm_vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (rgm_log_journal)
		fprintf(stderr, "<%d>%s\n", prio & 7, line);
	else
		fprintf(stderr, "%s: %s: %s\n", rgm_log_prog, rgm_log_levels[prio & 7], line);
}

void rgm_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rgm_vlog(prio, fmt, ap);
	va_end(ap);
}
