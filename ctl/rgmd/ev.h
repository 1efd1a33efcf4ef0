/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an epoll event of the loop belongs to: each owner (the listening
 * socket, the signalfd, the engine's events, a connection) starts with a
 * struct rgmd_ev, and epoll's data.ptr points at it.
 */
#ifndef RGMD_EV_H
#define RGMD_EV_H

enum rgmd_ev_kind { RGMD_EV_LISTEN, RGMD_EV_CONN, RGMD_EV_SIGNAL, RGMD_EV_ENGINE,
		   RGMD_EV_METRICS };

struct rgmd_ev {
	enum rgmd_ev_kind kind;
};

#endif /* RGMD_EV_H */
