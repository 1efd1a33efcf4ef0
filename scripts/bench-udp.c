// SPDX-License-Identifier: GPL-2.0
/*
 * bench-udp - the UDP flow of `make bench` (scripts/bench-vm.sh).
 *
 *   bench-udp send SRC DST PORT SECONDS [RATE]
 *                                          small datagrams, as fast as
 *                                          sendmmsg() goes (or RATE a
 *                                          second), for SECONDS; each
 *                                          carries a sequence number;
 *                                          prints "sent N secs S"
 *   bench-udp newflows SRCNET DST PORT SECONDS
 *                                          the same from a raw socket, each
 *                                          datagram from another source
 *                                          (SRCNET.10-250, ports 1024-65535):
 *                                          every packet is a new flow
 *   bench-udp recv ADDR PORT READYFILE [loop]
 *                                          counts datagrams until none came
 *                                          for 1 s (after the first) or 60 s
 *                                          pass; prints "recv N secs S
 *                                          lost L maxgap_ms G" with S = first
 *                                          to last datagram, L = sequence
 *                                          numbers below the highest seen
 *                                          that never came, G = the longest
 *                                          time between two datagrams;
 *                                          with "loop": one such line per
 *                                          burst (ended by 300 ms without
 *                                          a datagram), until killed
 *
 * Not a test: it only counts. The receiver creates READYFILE once bound, so
 * the script knows when to start sending.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
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

static int do_send(const char *src, const char *dst, unsigned int port, double secs,
		   double rate)
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
		int want = BATCH;

		if (rate > 0) {
			/* paced: send what is due by now, at most a batch */
			double due = (now() - t0) * rate - sent;

			if (due < 1) {
				usleep(200);
				t1 = now();
				continue;
			}
			want = due < BATCH ? (int)due : BATCH;
		}
		for (i = 0; i < want; i++) {
			uint64_t seq = sent + i;

			memcpy(buf[i], &seq, sizeof(seq));
		}
		n = sendmmsg(fd, msg, want, 0);
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

/* IPv4 + UDP header and payload, checksums left to the kernel (IP) and 0 (UDP). */
struct rawpkt {
	struct iphdr ip;
	struct udphdr udp;
	char payload[PAYLOAD];
} __attribute__((packed));

static int do_newflows(const char *srcnet, const char *dst, unsigned int port, double secs)
{
	static struct rawpkt pkt[BATCH];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in s, d;
	unsigned long long sent = 0;
	unsigned int host = 10, sport = 1024;
	double t0, t1;
	int fd, i, n, one = 1;

	if (addr_parse(srcnet, 0, &s) || addr_parse(dst, port, &d))
		return 2;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("bench-udp newflows: raw socket");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		pkt[i].ip.version = 4;
		pkt[i].ip.ihl = 5;
		pkt[i].ip.ttl = 64;
		pkt[i].ip.protocol = IPPROTO_UDP;
		pkt[i].ip.tot_len = htons(sizeof(pkt[i]));
		pkt[i].ip.daddr = d.sin_addr.s_addr;
		pkt[i].udp.dest = htons(port);
		pkt[i].udp.len = htons(sizeof(pkt[i].udp) + PAYLOAD);
		memset(pkt[i].payload, 'x', PAYLOAD);
		iov[i].iov_base = &pkt[i];
		iov[i].iov_len = sizeof(pkt[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &d;
		msg[i].msg_hdr.msg_namelen = sizeof(d);
	}
	t0 = now();
	do {
		for (i = 0; i < BATCH; i++) {
			uint64_t seq = sent + i;

			if (++sport > 65535) {
				sport = 1024;
				if (++host > 250)
					host = 10;
			}
			pkt[i].ip.saddr = (s.sin_addr.s_addr & htonl(0xffffff00)) | htonl(host);
			pkt[i].udp.source = htons(sport);
			memcpy(pkt[i].payload, &seq, sizeof(seq));
		}
		n = sendmmsg(fd, msg, BATCH, 0);
		if (n > 0)
			sent += n;
		else if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			perror("bench-udp newflows: sendmmsg");
			return 1;
		}
		t1 = now();
	} while (t1 - t0 < secs);
	printf("sent %llu secs %.3f\n", sent, t1 - t0);
	close(fd);
	return 0;
}

static int do_recv(const char *addr, unsigned int port, const char *ready, bool loop)
{
	static char buf[BATCH][64];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in a;
	unsigned long long got = 0, top = 0;
	double start, first = 0, last = 0, gap = 0;
	uint64_t seq;
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
		n = poll(&pfd, 1, got ? (loop ? 300 : 1000) : 500);
		if (n == 0) {
			if (loop && got) {
				/* one burst done: report it, wait for the next */
				printf("recv %llu secs %.3f lost %lld maxgap_ms %.1f\n", got,
				       last - first, (long long)top - (long long)got, gap * 1e3);
				fflush(stdout);
				got = top = 0;
				gap = 0;
				continue;
			}
			if (got || (!loop && now() - start > 60))
				break;
			continue;
		}
		if (n < 0 && errno != EINTR)
			break;
		n = recvmmsg(fd, msg, BATCH, MSG_DONTWAIT, NULL);
		if (n > 0) {
			double t = now();

			if (!got)
				first = t;
			else if (t - last > gap)
				gap = t - last;
			got += n;
			last = t;
			for (i = 0; i < n; i++) {
				if (msg[i].msg_len < sizeof(seq))
					continue;
				memcpy(&seq, buf[i], sizeof(seq));
				if (seq + 1 > top)
					top = seq + 1;
			}
		}
	}
	/* lost: never came, of those sent before the last one that did */
	printf("recv %llu secs %.3f lost %lld maxgap_ms %.1f\n", got, last - first,
	       got ? (long long)top - (long long)got : 0, gap * 1e3);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], atoi(argv[4]), atof(argv[5]),
			       argc == 7 ? atof(argv[6]) : 0);
	if (argc == 6 && !strcmp(argv[1], "newflows"))
		return do_newflows(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], atoi(argv[3]), argv[4], false);
	if (argc == 6 && !strcmp(argv[1], "recv") && !strcmp(argv[5], "loop"))
		return do_recv(argv[2], atoi(argv[3]), argv[4], true);
	fprintf(stderr, "usage: bench-udp send SRC DST PORT SECONDS [RATE]\n"
			"       bench-udp newflows SRCNET DST PORT SECONDS\n"
			"       bench-udp recv ADDR PORT READYFILE [loop]\n");
	return 2;
}
