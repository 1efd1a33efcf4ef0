/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd's log lines: lib/rgm_log.h, with debug lines only under -d.
 */
#ifndef RGMD_LOG_H
#define RGMD_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "rgm_log.h"

/* Set by -d. */
extern bool rgmd_debug;

#define rgmd_log rgm_log
#define rgmd_err(...)	rgmd_log(LOG_ERR, __VA_ARGS__)
#define rgmd_warn(...)	rgmd_log(LOG_WARNING, __VA_ARGS__)
#define rgmd_info(...)	rgmd_log(LOG_INFO, __VA_ARGS__)
#define rgmd_dbg(...)	do { if (rgmd_debug) rgmd_log(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif /* RGMD_LOG_H */
