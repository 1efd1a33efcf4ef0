/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmctl: command line client of the rgm module, iproute2 style.
 * Every do_OBJECT() returns the exit status: 0 ok, 1 error (kernel,
 * runtime), 2 usage.
 */
#ifndef RGMCTL_H
#define RGMCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "rgm_dp.h"
#include "rgm_parse.h"
#include "rgm_print.h"

#define RGMCTL_OK	0
#define RGMCTL_ERR	1
#define RGMCTL_USAGE	2

/* Global options (main.c). */
struct rgmctl_opts {
	bool json, pretty;
	const char *netns;
	enum rgm_dp_kind dataplane;	/* -D: default auto-detect */
};
extern struct rgmctl_opts rgmctl;

int do_mapping(int argc, char **argv);
int do_config(int argc, char **argv);
int do_ports(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);
/* ctl/rgmctl/remote.c when built; main.c has a weak stand-in. */
int do_remote(int argc, char **argv);

void mapping_usage(FILE *f);
void config_usage(FILE *f);
void ports_usage(FILE *f);
void stats_usage(FILE *f);
void monitor_usage(FILE *f);

/* The fields of one mapping into the open output object (mapping.c). */
void rgmctl_print_mapping(const struct rgm_map *m);

/* utils.c */
int rgmctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rgmctl_usage_error(const char *object, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the kernel's message (extack) for a failed call, returns 1. */
int rgmctl_nl_error(struct rgm_dp *nl, int err);
/* 0 with *nl open, or 1 after printing why (module not loaded...). */
int rgmctl_nl_open(struct rgm_dp **nl);
int rgmctl_netns_enter(const char *name);
/* True for "help" and its prefixes; also -h. */
bool rgmctl_is_help(const char *word);
/* A unique-prefix sub-command index into cmds, or a negative value after
 * printing a usage error for object. */
int rgmctl_subcmd(const char *object, const char *word, const char *const *cmds);

#endif /* RGMCTL_H */
