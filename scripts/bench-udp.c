// SPDX-License-Identifier: GPL-2.0
/*
 * bench-udp - the UDP flow of `make bench` (scripts/bench-vm.sh).
 *
 *   bench-udp send SRC DST PORT SECONDS   small datagrams, as fast as
 *                                          sendmmsg() goes, for SECONDS;
 *                                          prints "sent N secs S"
 *   bench-udp recv ADDR PORT READYFILE    counts datagrams until none came
 *                                          for 1 s (after the first) or 60 s
 *                                          pass; prints "recv N secs S" with
 *                                          S = first to last datagram
 *
 * Not a test: it only counts. The receiver creates READYFILE once bound, so
 * the script knows when to start sending.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64
#define PAYLOAD	18

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int addr_parse(const char *a, unsigned int port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return inet_pton(AF_INET, a, &sin->sin_addr) == 1 ? 0 : -1;
}

static int do_send(const char *src, const char *dst, unsigned int port, double secs)
{
	static char buf[BATCH][PAYLOAD];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in s, d;
	unsigned long long sent = 0;
	double t0, t1;
	int fd, i, n;

	if (addr_parse(src, 0, &s) || addr_parse(dst, port, &d))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (void *)&s, sizeof(s)) ||
	    connect(fd, (void *)&d, sizeof(d))) {
		perror("bench-udp send: socket");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		memset(buf[i], 'x', PAYLOAD);
		iov[i].iov_base = buf[i];
		iov[i].iov_len = PAYLOAD;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	do {
		n = sendmmsg(fd, msg, BATCH, 0);
		if (n > 0)
			sent += n;
		else if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
			 errno != ECONNREFUSED && errno != EINTR) {
			perror("bench-udp send: sendmmsg");
			return 1;
		}
		t1 = now();
	} while (t1 - t0 < secs);
	printf("sent %llu secs %.3f\n", sent, t1 - t0);
	close(fd);
	return 0;
}

static int do_recv(const char *addr, unsigned int port, const char *ready)
{
	static char buf[BATCH][64];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in a;
	unsigned long long got = 0;
	double start, first = 0, last = 0;
	int fd, i, n, sz = 64 << 20;
	struct pollfd pfd;

	if (addr_parse(addr, port, &a))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a))) {
		perror("bench-udp recv: socket");
		return 1;
	}
	/* a large buffer: count what the gateway forwards, not what we lag */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	n = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (n < 0) {
		perror("bench-udp recv: ready file");
		return 1;
	}
	close(n);
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	start = now();
	for (;;) {
		n = poll(&pfd, 1, got ? 1000 : 500);
		if (n == 0) {
			if (got || now() - start > 60)
				break;
			continue;
		}
		if (n < 0 && errno != EINTR)
			break;
		n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n > 0) {
			if (!got)
				first = now();
			got += n;
			last = now();
		}
	}
	printf("recv %llu secs %.3f\n", got, last - first);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: bench-udp send SRC DST PORT SECONDS\n"
			"       bench-udp recv ADDR PORT READYFILE\n");
	return 2;
}
