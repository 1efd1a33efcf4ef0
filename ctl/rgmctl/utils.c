// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl helpers with side effects: error reporting, opening the netlink
 * handle, entering a network namespace. Pure parsing is in lib/rgm_parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rgmctl.h"

#define NETNS_RUN_DIR	"/run/netns"

static void rgmctl_verror(const char *fmt, va_list ap)
{
	fputs("Error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int rgmctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rgmctl_verror(fmt, ap);
	va_end(ap);
	return RGMCTL_ERR;
}

int rgmctl_usage_error(const char *object, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rgmctl_verror(fmt, ap);
	va_end(ap);
	if (object)
		fprintf(stderr, "Try \"rgmctl %s help\".\n", object);
	else
		fprintf(stderr, "Try \"rgmctl help\".\n");
	return RGMCTL_USAGE;
}

int rgmctl_nl_error(struct rgm_dp *nl, int err)
{
	const char *msg = rgm_dp_errmsg(nl);

	/* Nothing half built goes out after an error. */
	rgm_print_teardown();
	return rgmctl_error("%s", msg && *msg ? msg : strerror(-err));
}

int rgmctl_nl_open(struct rgm_dp **nl)
{
	int ret;

	ret = rgm_dp_open(nl, rgmctl.dataplane);
	if (!ret)
		return RGMCTL_OK;
	if (*nl)
		rgmctl_error("%s", rgm_dp_errmsg(*nl));
	else
		rgmctl_error("%s", strerror(-ret));
	rgm_dp_close(*nl);
	*nl = NULL;
	return RGMCTL_ERR;
}

/* Like "ip -n NAME": join /run/netns/NAME before any socket is opened. */
int rgmctl_netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return rgmctl_usage_error(NULL, "bad network namespace name \"%s\"", name);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rgmctl_error("cannot open network namespace \"%s\": %s", name,
				    strerror(errno));
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;

		close(fd);
		return rgmctl_error("cannot enter network namespace \"%s\": %s", name,
				    strerror(err));
	}
	close(fd);
	return RGMCTL_OK;
}

bool rgmctl_is_help(const char *word)
{
	return rgm_matches(word, "help") || !strcmp(word, "-h") || !strcmp(word, "--help");
}

int rgmctl_subcmd(const char *object, const char *word, const char *const *cmds)
{
	int k = rgm_keyword(word, cmds);

	if (k == -EINVAL)
		return -rgmctl_usage_error(object, "ambiguous command \"%s\"", word);
	if (k < 0)
		return -rgmctl_usage_error(object, "unknown command \"%s\"", word);
	return k;
}
