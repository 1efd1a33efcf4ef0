// SPDX-License-Identifier: GPL-2.0
/*
 * An SDP (RFC 8866) for the received streams, so that ffplay or ffmpeg can
 * play them instead of the appliance: `ffplay -protocol_whitelist
 * file,udp,rtp -i FILE`.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ap.h"

int ap_sdp_write(const char *path, struct in_addr addr, const char *title,
		 const struct ap_expect *e, unsigned int n)
{
	char a[INET_ADDRSTRLEN];
	unsigned int i;
	FILE *f;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	f = fopen(path, "we");
	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "v=0\r\no=- 0 0 IN IP4 %s\r\ns=rgm %s\r\nc=IN IP4 %s\r\nt=0 0\r\n", a, title, a);
	for (i = 0; i < n; i++)
		/* RTCP on port + 1 is the RFC 3550 default: no a=rtcp needed */
		fprintf(f, "m=%s %u RTP/AVP 33\r\na=rtpmap:33 MP2T/90000\r\na=recvonly\r\n",
			!strcmp(e[i].kind, "audio") ? "audio" : "video", e[i].port);
	if (fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}
