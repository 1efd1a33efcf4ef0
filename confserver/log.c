// SPDX-License-Identifier: GPL-2.0
/* The daemon's log lines, through lib/rgm_log ("rgm-confserver: LEVEL: ..."). */
#include <stdarg.h>

#include "confserver.h"
#include "rgm_log.h"

void cs_log(enum cs_log_level level, const char *fmt, ...)
{
	static const int prio[] = {
		[CS_LOG_ERR] = LOG_ERR, [CS_LOG_WARN] = LOG_WARNING,
		[CS_LOG_INFO] = LOG_INFO, [CS_LOG_DEBUG] = LOG_DEBUG,
	};
	va_list ap;

	va_start(ap, fmt);
	rgm_vlog(prio[level], fmt, ap);
	va_end(ap);
}
