// SPDX-License-Identifier: GPL-2.0
/*
 * The appliance-mediated path over PCP (RFC 6887, our own MAP client:
 * pcp.c has the wire format) and NAT-PMP (RFC 6886, libnatpmp): a MAP per
 * port with PREFER_FAILURE (this external port or none: RTCP must stay
 * next to RTP) and a FILTER naming the media server, renewed with the
 * same nonce, deleted with lifetime 0. A server that answers PCP with a
 * NAT-PMP "unsupported version" (or --natpmp) is spoken NAT-PMP to.
 * The server is the default gateway, as both RFCs say.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <natpmp.h>

#include "ap.h"
#include "pcp.h"

/* Tries after 0.25, 0.5, 1 and 2 s: the server is on our LAN, and a user
 * waits (RFC 6887 8.1.1 would go on for minutes). */
#define AP_PCP_TRIES		4
#define AP_PCP_FIRST_MS		250

struct ap_pcp_map {
	struct ap_gw_map m;
	struct ap_pcp_req req;
};

struct ap_pcp {
	struct ap_gw gw;		/* first: the generic part (ap.h) */
	int fd;				/* PCP: connected to the server */
	natpmp_t np;			/* NAT-PMP: libnatpmp's */
	bool natpmp, np_open;
	struct in_addr server, client, external;
	struct ap_pcp_map maps[2 * AP_MAX_STREAMS];
	unsigned int n_maps;
};

static const struct ap_gw_ops ap_pcp_ops, ap_natpmp_ops;

/* ---------------------------------------------------------------- PCP */

/* One request and its answer. 0: answered (*resp); -1: e says why not. */
static int ap_pcp_exchange(struct ap_pcp *p, const struct ap_pcp_req *req,
			   struct ap_pcp_resp *resp, struct ap_gw_error *e)
{
	uint8_t out[AP_PCP_REQ_LEN], in[AP_PCP_MAX_MSG + 4];
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	int try, ms = AP_PCP_FIRST_MS;
	size_t n = ap_pcp_build(req, out, sizeof(out));
	ssize_t got = 0;

	for (try = 0; try < AP_PCP_TRIES && (got >= 0 || errno != ECONNREFUSED);
	     try++, ms *= 2) {
		got = send(p->fd, out, n, 0);
		/* datagrams that are not the answer are dropped: wait on */
		while (got >= 0 && poll(&pfd, 1, ms) > 0) {
			got = recv(p->fd, in, sizeof(in), 0);
			if (got >= 0 && !ap_pcp_parse(in, (size_t)got, req, resp))
				return 0;
		}
	}
	if (got < 0 && errno == ECONNREFUSED)
		/* ICMP port unreachable: nothing listens there */
		ap_gw_err(e, "gateway-unreachable", "PCP: nothing answers on %s port %d "
			  "(PCP off?)", inet_ntoa(p->server), AP_PCP_PORT);
	else
		ap_gw_err(e, "gateway-unreachable", "PCP: no answer from %s port %d (PCP off?)",
			  inet_ntoa(p->server), AP_PCP_PORT);
	return -1;
}

static void ap_pcp_fail(unsigned int result, const char *what, struct ap_gw_error *e)
{
	const char *code;

	switch (result) {
	case AP_PCP_CANNOT_PROVIDE_EXTERNAL:	/* PREFER_FAILURE: the port is not free */
		code = "port-conflict";
		break;
	case AP_PCP_NO_RESOURCES:
	case AP_PCP_USER_EX_QUOTA:
		code = "gateway-full";
		break;
	case AP_PCP_NOT_AUTHORIZED:
		code = "policy-denied";
		break;
	default:
		code = "gateway-refused";
	}
	ap_gw_err(e, code, "PCP: %s: result %u (%s)", what, result, ap_pcp_result_str(result));
}

/* ---------------------------------------------------------------- NAT-PMP */

/* Waits for libnatpmp's answer to the request just sent, at most as
 * long as a PCP exchange. 0 or a NATPMP_ERR_*. */
static int ap_natpmp_wait(struct ap_pcp *p, natpmpresp_t *r)
{
	struct timeval tv, end, now;
	fd_set fds;
	int rc;

	gettimeofday(&end, NULL);
	end.tv_sec += (AP_PCP_FIRST_MS * ((1 << AP_PCP_TRIES) - 1)) / 1000 + 1;
	do {
		FD_ZERO(&fds);
		FD_SET(p->np.s, &fds);
		if (getnatpmprequesttimeout(&p->np, &tv) < 0)
			return NATPMP_ERR_GETTIMEOFDAYERR;
		if (select(p->np.s + 1, &fds, NULL, NULL, &tv) < 0 && errno != EINTR)
			return NATPMP_ERR_SOCKETERROR;
		rc = readnatpmpresponseorretry(&p->np, r);
		gettimeofday(&now, NULL);
	} while (rc == NATPMP_TRYAGAIN && timercmp(&now, &end, <));
	return rc == NATPMP_TRYAGAIN ? NATPMP_ERR_NOGATEWAYSUPPORT : rc;
}

static void ap_natpmp_fail(int rc, const char *what, struct ap_gw_error *e)
{
	const char *code = "gateway-refused";

	switch (rc) {
	case NATPMP_ERR_NOTAUTHORIZED:
		code = "policy-denied";
		break;
	case NATPMP_ERR_OUTOFRESOURCES:
		code = "gateway-full";
		break;
	case NATPMP_ERR_NOGATEWAYSUPPORT:	/* no answer in time */
	case NATPMP_ERR_RECVFROM:		/* ICMP: nothing listens */
		code = "gateway-unreachable";
		break;
	}
	ap_gw_err(e, code, "NAT-PMP: %s: %s (libnatpmp %d)", what,
		  rc == NATPMP_ERR_NOGATEWAYSUPPORT ? "no answer (NAT-PMP off?)" :
		  rc == NATPMP_ERR_RECVFROM ? "nothing answers (NAT-PMP off?)" :
		  rc == NATPMP_ERR_NOTAUTHORIZED ? "not authorized" :
		  rc == NATPMP_ERR_OUTOFRESOURCES ? "out of resources" :
		  rc == NATPMP_ERR_NETWORKFAILURE ? "network failure" : "refused", rc);
}

static int ap_natpmp_open(struct ap_pcp *p, struct ap_gw_error *e)
{
	int rc;

	if (p->np_open)
		return 0;
	rc = initnatpmp(&p->np, 1, p->server.s_addr);
	if (rc < 0) {
		ap_gw_err(e, "gateway-unreachable", "NAT-PMP: cannot reach %s (libnatpmp %d)",
			  inet_ntoa(p->server), rc);
		return -1;
	}
	p->np_open = true;
	return 0;
}

/* One NAT-PMP mapping; lifetime 0 deletes it. *granted: the lifetime. */
static int ap_natpmp_one(struct ap_pcp *p, const struct ap_pcp_map *pm, uint32_t lifetime,
			 uint32_t *granted, struct ap_gw_error *e)
{
	char what[64];
	natpmpresp_t r;
	int rc;

	snprintf(what, sizeof(what), "%s %u -> %u", pm->m.proto, pm->m.ext_port, pm->m.local_port);
	rc = sendnewportmappingrequest(&p->np, pm->req.proto == IPPROTO_TCP ? NATPMP_PROTOCOL_TCP :
				       NATPMP_PROTOCOL_UDP, pm->m.local_port,
				       lifetime ? pm->m.ext_port : 0, lifetime);
	if (rc >= 0)
		rc = ap_natpmp_wait(p, &r);
	if (rc < 0) {
		ap_natpmp_fail(rc, what, e);
		return -1;
	}
	if (lifetime && r.pnu.newportmapping.mappedpublicport != pm->m.ext_port) {
		/* NAT-PMP cannot insist on a port: the asked one was taken */
		ap_gw_err(e, "port-conflict", "NAT-PMP: %s: the gateway offered port %u instead",
			  what, r.pnu.newportmapping.mappedpublicport);
		sendnewportmappingrequest(&p->np, pm->req.proto == IPPROTO_TCP ?
					  NATPMP_PROTOCOL_TCP : NATPMP_PROTOCOL_UDP,
					  pm->m.local_port, 0, 0);
		ap_natpmp_wait(p, &r);
		return -1;
	}
	*granted = r.pnu.newportmapping.lifetime;
	return 0;
}

/* ---------------------------------------------------------------- both */

/* One mapping made, renewed (lifetime > 0) or deleted (0), in whichever
 * protocol the server speaks. */
static int ap_pcp_one(struct ap_pcp *p, struct ap_pcp_map *pm, uint32_t lifetime,
		      uint32_t *granted, struct ap_gw_error *e)
{
	struct ap_pcp_resp resp;
	char what[64];

	if (p->natpmp)
		return ap_natpmp_one(p, pm, lifetime, granted, e);
	pm->req.lifetime = lifetime;
	if (ap_pcp_exchange(p, &pm->req, &resp, e))
		return -1;
	if (resp.version != AP_PCP_VERSION) {
		/* RFC 6887 9: a NAT-PMP server says so with version 0 */
		fprintf(stderr, "rgm-appliance: the gateway answers PCP in version %u: "
			"speaking NAT-PMP to it\n", resp.version);
		if (resp.version || ap_natpmp_open(p, e)) {
			if (resp.version)
				ap_gw_err(e, "gateway-refused", "PCP: the gateway speaks version %u",
					  resp.version);
			return -1;
		}
		p->natpmp = true;
		p->gw.ops = &ap_natpmp_ops;
		return ap_natpmp_one(p, pm, lifetime, granted, e);
	}
	snprintf(what, sizeof(what), "MAP %s %u -> %u", pm->m.proto, pm->m.ext_port,
		 pm->m.local_port);
	if (resp.result != AP_PCP_SUCCESS) {
		ap_pcp_fail(resp.result, what, e);
		return -1;
	}
	if (lifetime && resp.external_port != pm->m.ext_port) {
		/* a server that ignored PREFER_FAILURE: give it back */
		ap_gw_err(e, "port-conflict", "PCP: %s: the gateway offered port %u instead",
			  what, resp.external_port);
		pm->req.lifetime = 0;
		ap_pcp_exchange(p, &pm->req, &resp, &(struct ap_gw_error){ "", "" });
		return -1;
	}
	if (lifetime)
		p->external = resp.external;
	*granted = resp.lifetime;
	return 0;
}

static void ap_pcp_unmap(struct ap_gw *gw)
{
	struct ap_pcp *p = (struct ap_pcp *)gw;
	struct ap_gw_error e;
	uint32_t granted;
	unsigned int i;

	for (i = 0; i < p->n_maps; i++)
		if (ap_pcp_one(p, &p->maps[i], 0, &granted, &e))
			fprintf(stderr, "rgm-appliance: deleting %s %u: %s\n", p->maps[i].m.proto,
				p->maps[i].m.ext_port, e.msg);
	p->n_maps = 0;
}

static int ap_pcp_map(struct ap_gw *gw, const struct ap_gw_map *maps, unsigned int n,
		      unsigned int lease, struct ap_gw_error *e)
{
	struct ap_pcp *p = (struct ap_pcp *)gw;
	unsigned int i, least = lease;
	uint32_t granted;

	if (p->natpmp && ap_natpmp_open(p, e))
		return -1;
	for (i = 0; i < n && i < 2 * AP_MAX_STREAMS; i++) {
		struct ap_pcp_map *pm = &p->maps[i];

		memset(pm, 0, sizeof(*pm));
		pm->m = maps[i];
		if (getrandom(pm->req.nonce, sizeof(pm->req.nonce), 0) != sizeof(pm->req.nonce)) {
			ap_gw_err(e, "gateway-refused", "no random bytes for a PCP nonce");
			goto undo;
		}
		pm->req.proto = strcmp(maps[i].proto, "TCP") ? IPPROTO_UDP : IPPROTO_TCP;
		pm->req.internal_port = maps[i].local_port;
		pm->req.external_port = maps[i].ext_port;
		pm->req.client = p->client;
		if (inet_pton(AF_INET, maps[i].remote, &pm->req.remote) != 1)
			pm->req.remote.s_addr = 0;
		if (ap_pcp_one(p, pm, lease, &granted, e))
			goto undo;
		p->n_maps = i + 1;
		/* the server may shorten (or lengthen) what we asked for */
		if (granted && granted < least)
			least = granted;
	}
	p->gw.lease = least;
	return 0;
undo:
	ap_pcp_unmap(gw);	/* leave nothing behind */
	return -1;
}

static int ap_pcp_external(struct ap_gw *gw, struct in_addr *out, struct ap_gw_error *e)
{
	struct ap_pcp *p = (struct ap_pcp *)gw;
	natpmpresp_t r;
	int rc;

	if (p->natpmp) {
		rc = sendpublicaddressrequest(&p->np);
		if (rc >= 0)
			rc = ap_natpmp_wait(p, &r);
		if (rc < 0) {
			ap_natpmp_fail(rc, "public address", e);
			return -1;
		}
		p->external = r.pnu.publicaddress.addr;
	}
	if (!p->external.s_addr) {
		ap_gw_err(e, "gateway-refused", "%s: the gateway knows no external address",
			  gw->ops->name);
		return -1;
	}
	*out = p->external;
	return 0;
}

static bool ap_pcp_renew(struct ap_gw *gw)
{
	struct ap_pcp *p = (struct ap_pcp *)gw;
	struct ap_gw_error e;
	uint32_t granted;
	unsigned int i;
	bool all = true;

	for (i = 0; i < p->n_maps; i++)
		if (ap_pcp_one(p, &p->maps[i], p->gw.lease, &granted, &e)) {
			fprintf(stderr, "rgm-appliance: renewing: %s: %s\n", e.code, e.msg);
			all = false;
		}
	return all;
}

static void ap_pcp_free(struct ap_gw *gw)
{
	struct ap_pcp *p = (struct ap_pcp *)gw;

	if (p->np_open)
		closenatpmp(&p->np);
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

/* The default gateway of the main table (/proc/net/route), IPv4. */
static int ap_default_gateway(struct in_addr *gw)
{
	char line[256], ifname[32];
	unsigned int dst, via, flags;
	FILE *f = fopen("/proc/net/route", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x %x", ifname, &dst, &via, &flags) == 4 && !dst &&
		    (flags & 0x2))	/* RTF_GATEWAY */
			gw->s_addr = via, found = 0;
	fclose(f);
	return found;
}

struct ap_gw *ap_gw_pcp_open(struct in_addr lan, bool natpmp, struct ap_gw_error *e)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = lan };
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(AP_PCP_PORT) };
	struct ap_pcp *p = calloc(1, sizeof(*p));

	if (!p) {
		ap_gw_err(e, "gateway-refused", "out of memory");
		return NULL;
	}
	p->fd = -1;
	p->client = lan;
	p->natpmp = natpmp;
	if (ap_default_gateway(&p->server)) {
		ap_gw_err(e, "gateway-unreachable", "PCP: this host has no default gateway");
		free(p);
		return NULL;
	}
	srv.sin_addr = p->server;
	/* from our LAN address: the server compares it with the request's */
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&me, sizeof(me)) ||
	    connect(p->fd, (struct sockaddr *)&srv, sizeof(srv))) {
		ap_gw_err(e, "gateway-unreachable", "PCP: a socket to %s port %d: %s",
			  inet_ntoa(p->server), AP_PCP_PORT, strerror(errno));
		if (p->fd >= 0)
			close(p->fd);
		free(p);
		return NULL;
	}
	ap_gw_init(&p->gw, natpmp ? &ap_natpmp_ops : &ap_pcp_ops);
	return &p->gw;
}

static const struct ap_gw_ops ap_pcp_ops = {
	.name = "PCP",
	.external = ap_pcp_external,
	.map = ap_pcp_map,
	.renew = ap_pcp_renew,
	.unmap = ap_pcp_unmap,
	.free = ap_pcp_free,
};

static const struct ap_gw_ops ap_natpmp_ops = {
	.name = "NAT-PMP",
	.external = ap_pcp_external,
	.map = ap_pcp_map,
	.renew = ap_pcp_renew,
	.unmap = ap_pcp_unmap,
	.free = ap_pcp_free,
};
