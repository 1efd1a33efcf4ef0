/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readiness for service managers: systemd's Type=notify protocol (one
 * datagram to $NOTIFY_SOCKET), without linking libsystemd.
 */
#ifndef RGM_NOTIFY_H
#define RGM_NOTIFY_H

/*
 * Sends STATE (e.g. "READY=1") to $NOTIFY_SOCKET if it is set. Returns 0
 * when sent or when no manager listens, -errno when the send failed.
 */
int rgm_notify(const char *state);

#endif
