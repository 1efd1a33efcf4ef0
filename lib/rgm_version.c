// SPDX-License-Identifier: GPL-2.0
/*
 * The version string, compiled in one place so that a new VERSION
 * rebuilds one object, not every program.
 */
#include <stdio.h>

#include "rgm_version.h"

#ifndef RGM_VERSION
#error "RGM_VERSION is set by the Makefile from the VERSION file"
#endif

const char rgm_version[] = RGM_VERSION;

void rgm_version_print(const char *prog)
{
	printf("%s %s\n", prog, rgm_version);
}
