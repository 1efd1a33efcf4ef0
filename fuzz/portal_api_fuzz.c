// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the portal's request codec (portal/rgm_portal_api.c).
 * The first byte picks the request kind (the HTTP route), the rest is the
 * body. Every body must give either a request within its documented limits
 * (identifiers valid, 1..8 ports of 1..65534 none within one of another,
 * lease 0 or 1..604800, at most one gateway field) or an error with a 4xx
 * status and a message. Seed corpus: fuzz/corpus/portal_api_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_portal_api.h"

static void check_str(const char *s, size_t size, bool (*valid)(const char *), bool may_be_empty)
{
	if (!memchr(s, '\0', size))
		abort();
	if (*s ? !valid(s) : !may_be_empty)
		abort();
}

static void check_watch(const struct rgm_portal_watch *w)
{
	unsigned int i, j;

	check_str(w->appliance, sizeof(w->appliance), rgm_api_id_valid, false);
	check_str(w->title, sizeof(w->title), rgm_api_id_valid, false);
	check_str(w->gateway, sizeof(w->gateway), rgm_api_id_valid, true);
	check_str(w->gateway_type, sizeof(w->gateway_type), rgm_api_id_valid, true);
	if (w->gateway[0] && w->gateway_type[0])
		abort();
	if (!w->n_ports || w->n_ports > RGM_PORTAL_PORTS_MAX || w->lease > RGM_API_LEASE_MAX)
		abort();
	for (i = 0; i < w->n_ports; i++) {
		if (!w->ports[i] || w->ports[i] > RGM_PORTAL_PORT_MAX)
			abort();
		for (j = 0; j < i; j++)
			if (abs((int)w->ports[i] - (int)w->ports[j]) < 2)
				abort();
	}
	if (!w->local_addr.s_addr)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rgm_portal_req req;
	struct rgm_json_error err;
	enum rgm_portal_kind kind;

	if (!size)
		return 0;
	kind = data[0] % __RGM_PORTAL_KIND_MAX;
	if (rgm_portal_parse(kind, (const char *)data + 1, size - 1, &req, &err)) {
		if ((err.status != 400 && err.status != 413 && err.status != 422) ||
		    !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0])
			abort();
		/* nothing half-filled is left */
		if (req.kind != kind || req.watch.n_ports || req.watch.appliance[0])
			abort();
		return 0;
	}
	if (req.kind != kind)
		abort();
	switch (kind) {
	case RGM_PORTAL_REGISTER:
		check_str(req.reg.appliance, sizeof(req.reg.appliance), rgm_api_id_valid, false);
		check_str(req.reg.gateway, sizeof(req.reg.gateway), rgm_api_id_valid, true);
		check_str(req.reg.gateway_type, sizeof(req.reg.gateway_type), rgm_api_id_valid,
			  true);
		if (!req.reg.gateway[0] == !req.reg.gateway_type[0])
			abort();
		break;
	case RGM_PORTAL_WATCH:
		check_watch(&req.watch);
		break;
	case RGM_PORTAL_STOP:
		check_str(req.stop.session, sizeof(req.stop.session), rgm_api_session_valid, false);
		break;
	default:
		abort();
	}
	return 0;
}
