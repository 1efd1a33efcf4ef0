/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One version for every rgm program, from the VERSION file at the top of
 * the tree (the Makefile passes it to rgm_version.c only).
 */
#ifndef RGM_VERSION_H
#define RGM_VERSION_H

extern const char rgm_version[];

/* Prints "PROG VERSION" on stdout, as --version does everywhere. */
void rgm_version_print(const char *prog);

#endif
