// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the portal's request codec (portal/rgm_portal_api.c).
 * The first byte picks the request kind (the HTTP route), the rest is the
 * body. Every body must give either a request within its documented limits
 * (identifiers valid, 1..8 ports of 1..65534 none within one of another,
 * lease 0 or 1..604800, at most one gateway field) or an error with a 4xx
 * status and a message. Every request kind has its checks below.
 * Seed corpus: fuzz/corpus/portal_api_fuzz/.
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

static bool digits_valid(const char *s)
{
	return strlen(s) == RGM_PORTAL_CODE_LEN && strspn(s, "0123456789") == RGM_PORTAL_CODE_LEN;
}

static bool play_id_valid(const char *s)
{
	return strlen(s) == 34 && !strncmp(s, "p-", 2) &&
	       strspn(s + 2, "0123456789abcdef") == 32;
}

/* A watch, or an announce (a watch without title and lease). */
static void check_watch(const struct rgm_portal_watch *w, bool announce)
{
	unsigned int i, j;

	check_str(w->appliance, sizeof(w->appliance), rgm_api_id_valid, false);
	check_str(w->title, sizeof(w->title), rgm_api_id_valid, announce);
	if (announce && (w->title[0] || w->lease))
		abort();
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
		check_watch(&req.watch, false);
		break;
	case RGM_PORTAL_STOP:
		check_str(req.stop.session, sizeof(req.stop.session), rgm_api_session_valid, false);
		if (!req.stop.has_complete && req.stop.complete)
			abort();
		break;
	case RGM_PORTAL_REPORT:
		check_str(req.report.session, sizeof(req.report.session), rgm_api_session_valid,
			  false);
		check_str(req.report.grant, sizeof(req.report.grant), rgm_api_grant_valid, false);
		if (!memchr(req.report.error_code, '\0', sizeof(req.report.error_code)) ||
		    !memchr(req.report.error_msg, '\0', sizeof(req.report.error_msg)))
			abort();
		/* exactly one of ports and error */
		if (!req.report.n_ports == !req.report.error_code[0] ||
		    req.report.n_ports > RGM_PORTAL_PORTS_MAX)
			abort();
		if (req.report.error_code[0] && !rgm_api_code_valid(req.report.error_code))
			abort();
		for (unsigned int i = 0; i < req.report.n_ports; i++)
			if (!req.report.ports[i] || req.report.ports[i] > RGM_PORTAL_PORT_MAX)
				abort();
		break;
	case RGM_PORTAL_ANNOUNCE:
		check_watch(&req.announce, true);
		break;
	case RGM_PORTAL_NEXT:
		check_str(req.next.appliance, sizeof(req.next.appliance), rgm_api_id_valid, false);
		if (req.next.wait > RGM_PORTAL_WAIT_MAX)
			abort();
		break;
	case RGM_PORTAL_PAIR:
		check_str(req.pair.code, sizeof(req.pair.code), digits_valid, false);
		break;
	case RGM_PORTAL_PLAY:
		check_str(req.play.appliance, sizeof(req.play.appliance), rgm_api_id_valid, false);
		check_str(req.play.title, sizeof(req.play.title), rgm_api_id_valid, false);
		break;
	case RGM_PORTAL_PLAY_STOP:
		check_str(req.play_stop.play, sizeof(req.play_stop.play), play_id_valid, false);
		break;
	default:
		abort();
	}
	return 0;
}
