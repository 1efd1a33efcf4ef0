/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd's event loop (loop.c): the daemon's state, and running it.
 */
#ifndef RGMD_LOOP_H
#define RGMD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "callhome.h"
#include "conn.h"
#include "ev.h"

struct rgm_tls;
struct rgmd_conf;
struct rgmd_engine;

struct rgmd {
	struct rgmd_conns conns;	/* with the conf, tls, engine and epoll set */
	struct rgmd_ev listen_ev, signal_ev, engine_ev, metrics_ev;
	int listen_fd, signal_fd;
	int metrics_fd;			/* -1: no metrics-socket */
	char *metrics_path;		/* as bound (a reload does not move it) */
	uint64_t listen_resume_at;	/* ms: accepts paused after EMFILE */
	struct rgmd_home home;		/* call-home mode */
	bool stop;
};

int rgmd_loop_setup(struct rgmd *d, struct rgmd_conf *conf, struct rgmd_engine *engine,
		    struct rgm_tls *tls);
/* Closes every connection; d->conns.conf and .tls stay the caller's to free
 * (a reload may have replaced the ones rgmd_loop_setup() was given). */
void rgmd_loop_teardown(struct rgmd *d);
/* Runs until SIGTERM/SIGINT; SIGHUP reloads rgmd.conf. 0 on a clean stop. */
int rgmd_loop_run(struct rgmd *d);

#endif /* RGMD_LOOP_H */
