// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd's log switch (log.h); the lines themselves are lib/rgm_log.c's.
 */
#include "log.h"

bool rgmd_debug;
