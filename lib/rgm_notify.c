// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify(3) in one datagram: $NOTIFY_SOCKET names an AF_UNIX datagram
 * socket, a path or (leading '@') an abstract name. Written here rather
 * than linking libsystemd so that the daemons build the same on systems
 * without systemd (OpenWrt's procd ignores readiness).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rgm_notify.h"

int rgm_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n, len = strlen(state);
	socklen_t salen;
	ssize_t sent;
	int fd, err;

	if (!path || !*path)
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')	/* abstract namespace: leading NUL */
		sa.sun_path[0] = 0;
	salen = offsetof(struct sockaddr_un, sun_path) + n;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	err = sent < 0 ? -errno : (size_t)sent == len ? 0 : -EMSGSIZE;
	close(fd);
	return err;
}
