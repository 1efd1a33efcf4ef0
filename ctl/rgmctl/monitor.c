// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl monitor: prints the module's MAP_NEW / MAP_GONE notifications
 * until SIGINT or SIGTERM. With -j, one JSON object per line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "rgmctl.h"

#define OBJ	"monitor"

void monitor_usage(FILE *f)
{
	fprintf(f, "Usage: rgmctl monitor\n"
		   "       (MAP_NEW and MAP_GONE events, until interrupted)\n");
}

static volatile sig_atomic_t monitor_stop;

static void monitor_signal(int sig)
{
	monitor_stop = 1;
}

static void monitor_event(uint8_t cmd, const struct rgm_map *m, uint8_t reason, void *arg)
{
	const char *why = rgm_reason_name(reason);
	char buf[16];

	rgm_print_open_object(NULL);
	rgm_print_string(RGM_PRINT_ANY, "event", "%s ",
			 cmd == RGM_CMD_MAP_NEW ? "new" : "gone");
	rgmctl_print_mapping(m);
	if (cmd == RGM_CMD_MAP_GONE) {
		if (!why) {
			snprintf(buf, sizeof(buf), "%u", reason);
			why = buf;
		}
		rgm_print_string(RGM_PRINT_ANY, "reason", " reason %s", why);
	}
	rgm_print_close_object();
	rgm_print_nl();
	/* One line per event, out at once even into a pipe. */
	rgm_print_flush();
}

int do_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = monitor_signal };
	sigset_t block, orig;
	struct pollfd pfd;
	struct rgm_dp *nl;
	int ret;

	if (argc == 1 && rgmctl_is_help(argv[0])) {
		monitor_usage(stdout);
		return RGMCTL_OK;
	}
	if (argc)
		return rgmctl_usage_error(OBJ, "monitor: unexpected \"%s\"", argv[0]);

	ret = rgm_dp_events_open(&nl, rgmctl.dataplane);
	if (ret) {
		if (nl)
			rgmctl_error("%s", rgm_dp_errmsg(nl));
		else
			rgmctl_error("%s", strerror(-ret));
		rgm_dp_close(nl);
		return RGMCTL_ERR;
	}
	/* Compact whatever -p says: the contract is one object per line. */
	rgm_print_setup(rgmctl.json, false);

	/* Signals are only delivered inside ppoll(), so none is lost
	 * between the check of monitor_stop and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = rgm_dp_events_fd(nl);
	pfd.events = POLLIN;
	ret = RGMCTL_OK;
	while (!monitor_stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			ret = rgmctl_error("poll: %s", strerror(errno));
			break;
		}
		if (!(pfd.revents & POLLIN))
			continue;
		ret = rgm_dp_events_recv(nl, monitor_event, NULL);
		if (ret == -ENOBUFS) {
			/* Tell the user and go on: later events are valid. */
			fprintf(stderr, "Warning: %s\n", rgm_dp_errmsg(nl));
			ret = RGMCTL_OK;
			continue;
		}
		if (ret == -EPROTO) {
			fprintf(stderr, "Warning: %s\n", rgm_dp_errmsg(nl));
			ret = RGMCTL_OK;
			continue;
		}
		if (ret) {
			ret = rgmctl_error("%s", rgm_dp_errmsg(nl));
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	rgm_dp_close(nl);
	return ret;
}
