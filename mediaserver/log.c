// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-mediaserver: its log lines, on stderr; every unit writes through it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ms.h"

void ms_log(const char *level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "rgm-mediaserver: %s: %s\n", level, line);
}
