// SPDX-License-Identifier: GPL-2.0
/*
 * The appliance-mediated path over UPnP IGD (libminiupnpc): find the
 * gateway on the LAN, map each stream's RTP and RTCP ports to this host
 * for the lease, limited to the media server where the gateway supports a
 * remote host, renew before the lease ends, delete on teardown. The
 * gateway's SOAP errors become the portal's codes (ap.h, ap_gw_*).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include "ap.h"

#define AP_UPNP_DISCOVER_MS	2000

struct ap_upnp {
	struct ap_gw gw;		/* first: the generic part (ap.h) */
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lanaddr[64];
	struct ap_gw_map maps[2 * AP_MAX_STREAMS];	/* RTP, RTCP of each stream */
	unsigned int n_maps;
	bool remote_host;		/* the gateway took our remote host filter */
	struct in_addr external;
};

static const struct ap_gw_ops ap_upnp_ops;
static int ap_upnp_ask_external(struct ap_upnp *g, struct in_addr *out, struct ap_gw_error *e);

/* UPnP IGD error codes (UPnP-gw-WANIPConnection) to the portal's. */
static void ap_upnp_err(int rc, struct ap_gw_error *e, const char *what)
{
	const char *code;

	switch (rc) {
	case 718:	/* ConflictInMappingEntry */
		code = "port-conflict";
		break;
	case 728:	/* NoPortMapsAvailable */
		code = "gateway-full";
		break;
	case 606:	/* Action not authorized */
	case 729:	/* ConflictWithOtherMechanisms */
		code = "policy-denied";
		break;
	case UPNPCOMMAND_HTTP_ERROR:
		code = "gateway-unreachable";
		break;
	default:
		code = "gateway-refused";
	}
	snprintf(e->code, sizeof(e->code), "%s", code);
	snprintf(e->msg, sizeof(e->msg), "UPnP IGD: %s: error %d (%s)", what, rc, strupnperror(rc));
}

static int ap_upnp_add(struct ap_upnp *g, const struct ap_gw_map *m, const char *remote)
{
	char ext[8], in[8], lease[16], desc[64];

	snprintf(ext, sizeof(ext), "%u", m->ext_port);
	snprintf(in, sizeof(in), "%u", m->local_port);
	snprintf(lease, sizeof(lease), "%u", g->gw.lease);
	snprintf(desc, sizeof(desc), "rgm %s", m->what);
	return UPNP_AddPortMapping(g->urls.controlURL, g->data.first.servicetype, ext, in,
				   g->lanaddr, desc, m->proto, remote, lease);
}

static void ap_upnp_del(struct ap_upnp *g, const struct ap_gw_map *m)
{
	char ext[8];

	snprintf(ext, sizeof(ext), "%u", m->ext_port);
	UPNP_DeletePortMapping(g->urls.controlURL, g->data.first.servicetype, ext, m->proto,
			       g->remote_host ? m->remote : NULL);
}

/* GetStatusInfo says Connected (or "Up", which some gateways answer). */
static bool ap_upnp_connected(struct ap_upnp *g)
{
	char status[64] = "", err[64] = "";
	unsigned int uptime = 0;

	if (UPNP_GetStatusInfo(g->urls.controlURL, g->data.first.servicetype, status, &uptime,
			       err) != UPNPCOMMAND_SUCCESS)
		return false;
	return !strcmp(status, "Connected") || !strcmp(status, "Up");
}

struct ap_gw *ap_gw_upnp_open(struct in_addr lan, struct ap_gw_error *e)
{
	char ifaddr[INET_ADDRSTRLEN];
	struct UPNPDev *devs;
	struct ap_upnp *g;
	int err = 0, rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	inet_ntop(AF_INET, &lan, ifaddr, sizeof(ifaddr));
	devs = upnpDiscover(AP_UPNP_DISCOVER_MS, ifaddr, NULL, 0, 0, 2, &err);
	rc = devs ? UPNP_GetValidIGD(devs, &g->urls, &g->data, g->lanaddr, sizeof(g->lanaddr)) : 0;
	freeUPNPDevlist(devs);
	/*
	 * 2 is an IGD that is not connected, or (libminiupnpc's own test)
	 * whose external address is in a reserved range. The second is not
	 * ours to judge: the configuration server compares the address the
	 * gateway names with the one the portal saw (address-mismatch), which
	 * is what decides whether the mapping is reachable. So only the
	 * connection status, asked again, keeps such a gateway out.
	 */
	if (rc == 2 && !ap_upnp_connected(g))
		rc = -2;
	if (rc != 1 && rc != 2) {
		if (rc == 2 || rc == 3 || rc == -2)
			FreeUPNPUrls(&g->urls);
		free(g);
		snprintf(e->code, sizeof(e->code), "gateway-unreachable");
		snprintf(e->msg, sizeof(e->msg), "UPnP IGD: %s on the LAN of %s (UPnP off?)",
			 rc == 0 ? "no Internet gateway device answered" :
			 rc == -2 ? "the gateway device is not connected" :
			 "no device there is an Internet gateway", ifaddr);
		return NULL;
	}
	ap_gw_init(&g->gw, &ap_upnp_ops);
	if (ap_upnp_ask_external(g, &g->external, e)) {
		ap_gw_close(&g->gw);
		return NULL;
	}
	return &g->gw;
}

static int ap_upnp_external(struct ap_gw *gw, struct in_addr *out, struct ap_gw_error *e)
{
	*out = ((struct ap_upnp *)gw)->external;
	return 0;
}

/* Asked before any mapping: a gateway without one can map nothing useful. */
static int ap_upnp_ask_external(struct ap_upnp *g, struct in_addr *out, struct ap_gw_error *e)
{
	char ip[40] = "";
	int rc;

	rc = UPNP_GetExternalIPAddress(g->urls.controlURL, g->data.first.servicetype, ip);
	if (rc != UPNPCOMMAND_SUCCESS) {
		ap_upnp_err(rc, e, "GetExternalIPAddress");
		return -1;
	}
	if (!ip[0]) {
		/* WANIPConnection:2: the gateway has none (miniupnpd: a reserved
		 * address on its WAN side and no STUN to learn the public one) */
		snprintf(e->code, sizeof(e->code), "gateway-refused");
		snprintf(e->msg, sizeof(e->msg), "UPnP IGD: the gateway knows no external address "
			 "(not connected, or behind another NAT): port forwarding is impossible there");
		return -1;
	}
	if (inet_pton(AF_INET, ip, out) != 1) {
		snprintf(e->code, sizeof(e->code), "gateway-refused");
		snprintf(e->msg, sizeof(e->msg), "UPnP IGD: the external address '%.40s' is not "
			 "an IPv4 address", ip);
		return -1;
	}
	return 0;
}

static void ap_upnp_unmap(struct ap_gw *gw);

static int ap_upnp_map(struct ap_gw *gw, const struct ap_gw_map *maps, unsigned int n,
		       unsigned int lease, struct ap_gw_error *e)
{
	struct ap_upnp *g = (struct ap_upnp *)gw;
	unsigned int i;
	int rc;

	g->gw.lease = lease;
	g->remote_host = true;
	for (i = 0; i < n && i < 2 * AP_MAX_STREAMS; i++) {
		rc = ap_upnp_add(g, &maps[i], g->remote_host ? maps[i].remote : NULL);
		if (rc == 726 && g->remote_host) {
			/* RemoteHostOnlySupportsWildcard: any sender, as UPnP allows */
			fprintf(stderr, "rgm-appliance: the gateway cannot limit a mapping to the "
				"media server; mapping for any sender\n");
			g->remote_host = false;
			rc = ap_upnp_add(g, &maps[i], NULL);
		}
		if (rc != UPNPCOMMAND_SUCCESS) {
			char what[80];

			snprintf(what, sizeof(what), "AddPortMapping %s %u -> %u", maps[i].proto,
				 maps[i].ext_port, maps[i].local_port);
			ap_upnp_err(rc, e, what);
			g->n_maps = i;
			ap_upnp_unmap(gw);	/* leave nothing behind */
			return -1;
		}
		g->maps[i] = maps[i];
	}
	g->n_maps = i;
	return 0;
}

/*
 * One renewal: the same mapping again, which restarts its lease. A
 * gateway may key its mappings without the remote host (miniupnpd's
 * nftables backend keeps it in the filter rule only, so the one it finds
 * has none and ours looks like a conflict, 718). When the gateway, asked
 * for the mapping without a remote host, names exactly ours (this host,
 * our port, our description), that mapping is renewed as it names it;
 * anything else stays a failure: we never widen a mapping to any sender.
 */
static int ap_upnp_renew_one(struct ap_upnp *g, const struct ap_gw_map *m)
{
	char ext[8], client[16] = "", port[6] = "", desc[80] = "", en[4], dur[16];
	char want[64];
	int rc;

	rc = ap_upnp_add(g, m, g->remote_host ? m->remote : NULL);
	if (rc != 718 || !g->remote_host)
		return rc;
	snprintf(ext, sizeof(ext), "%u", m->ext_port);
	snprintf(want, sizeof(want), "rgm %s", m->what);
	if (UPNP_GetSpecificPortMappingEntry(g->urls.controlURL, g->data.first.servicetype, ext,
					     m->proto, "", client, port, desc, en, dur) !=
	    UPNPCOMMAND_SUCCESS || strcmp(client, g->lanaddr) ||
	    strtoul(port, NULL, 10) != m->local_port || strcmp(desc, want))
		return rc;
	return ap_upnp_add(g, m, NULL);
}

/* The keeper's (gw.c): every mapping again. */
static bool ap_upnp_renew(struct ap_gw *gw)
{
	struct ap_upnp *g = (struct ap_upnp *)gw;
	bool all = true;
	unsigned int i;
	int rc;

	for (i = 0; i < g->n_maps; i++) {
		rc = ap_upnp_renew_one(g, &g->maps[i]);
		if (rc != UPNPCOMMAND_SUCCESS) {
			fprintf(stderr, "rgm-appliance: UPnP IGD: renewing %s %u: error %d (%s)\n",
				g->maps[i].proto, g->maps[i].ext_port, rc, strupnperror(rc));
			all = false;
		}
	}
	return all;
}

static void ap_upnp_unmap(struct ap_gw *gw)
{
	struct ap_upnp *g = (struct ap_upnp *)gw;
	unsigned int i;

	for (i = 0; i < g->n_maps; i++)
		ap_upnp_del(g, &g->maps[i]);
	g->n_maps = 0;
}

static void ap_upnp_free(struct ap_gw *gw)
{
	struct ap_upnp *g = (struct ap_upnp *)gw;

	FreeUPNPUrls(&g->urls);
	free(g);
}

static const struct ap_gw_ops ap_upnp_ops = {
	.name = "UPnP IGD",
	.external = ap_upnp_external,
	.map = ap_upnp_map,
	.renew = ap_upnp_renew,
	.unmap = ap_upnp_unmap,
	.free = ap_upnp_free,
};
