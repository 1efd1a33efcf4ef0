// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the portal API request codec (lib/rgm_api.c). The
 * first byte picks the request kind (the HTTP route), the rest is the body.
 * Every body must give either a request whose fields are within their
 * documented limits or an error with a 4xx status and a message, and the
 * error body and a configure's stored streams must serialize as JSON.
 * Seed corpus: fuzz/corpus/api_fuzz/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "rgm_api.h"

static void check_json(const char *s)
{
	struct json_object *o;

	if (!s)
		abort();
	o = json_tokener_parse(s);
	if (!o)
		abort();
	json_object_put(o);
}

static void check_str(const char *s, size_t size, bool (*valid)(const char *), bool may_be_empty)
{
	if (!memchr(s, '\0', size))
		abort();
	if (*s ? !valid(s) : !may_be_empty)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rgm_api_error err;
	struct rgm_api_req req;
	enum rgm_api_kind kind;
	unsigned int i;
	char *s;

	if (!size)
		return 0;
	kind = data[0] % __RGM_API_KIND_MAX;
	if (rgm_api_parse(kind, (const char *)data + 1, size - 1, &req, &err)) {
		if ((err.status != 400 && err.status != 413 && err.status != 422) ||
		    !memchr(err.msg, '\0', sizeof(err.msg)) || !err.msg[0])
			abort();
		s = rgm_api_error_json(&err);
		check_json(s);
		free(s);
		return 0;
	}
	if (req.kind != kind)
		abort();
	switch (kind) {
	case RGM_API_CONFIGURE:
		check_str(req.configure.appliance, sizeof(req.configure.appliance),
			  rgm_api_id_valid, false);
		if (!req.configure.n_streams || req.configure.n_streams > RGM_API_STREAMS_MAX ||
		    !req.configure.lease || req.configure.lease > RGM_API_LEASE_MAX)
			abort();
		for (i = 0; i < req.configure.n_streams; i++)
			if (!req.configure.streams[i].local_port ||
			    !req.configure.streams[i].server_port)
				abort();
		s = rgm_api_streams_json(&req.configure);
		check_json(s);
		free(s);
		break;
	case RGM_API_RENEW:
		check_str(req.renew.session, sizeof(req.renew.session), rgm_api_session_valid, false);
		if (!req.renew.lease || req.renew.lease > RGM_API_LEASE_MAX)
			abort();
		break;
	case RGM_API_TEARDOWN:
		check_str(req.teardown.session, sizeof(req.teardown.session),
			  rgm_api_session_valid, false);
		break;
	case RGM_API_GATEWAY_ENROLL:
		check_str(req.enroll.id, sizeof(req.enroll.id), rgm_api_id_valid, false);
		check_str(req.enroll.type, sizeof(req.enroll.type), rgm_api_id_valid, false);
		check_str(req.enroll.pin, sizeof(req.enroll.pin), rgm_api_pin_valid, false);
		check_str(req.enroll.endpoint, sizeof(req.enroll.endpoint), rgm_api_endpoint_valid,
			  req.enroll.mode == RGM_GW_CALL_HOME);
		if ((req.enroll.mode == RGM_GW_LISTEN) != !!req.enroll.endpoint[0])
			abort();
		break;
	case RGM_API_APPLIANCE_REGISTER:
		check_str(req.reg.appliance, sizeof(req.reg.appliance), rgm_api_id_valid, false);
		check_str(req.reg.gateway, sizeof(req.reg.gateway), rgm_api_id_valid, true);
		check_str(req.reg.gateway_type, sizeof(req.reg.gateway_type), rgm_api_id_valid, true);
		if (!req.reg.gateway[0] == !req.reg.gateway_type[0])
			abort();
		break;
	case RGM_API_REPORT:
		check_str(req.report.session, sizeof(req.report.session),
			  rgm_api_session_valid, false);
		check_str(req.report.grant, sizeof(req.report.grant), rgm_api_grant_valid, false);
		check_str(req.report.error_code, sizeof(req.report.error_code),
			  rgm_api_code_valid, true);
		/* ports or an error, never both, never neither */
		if (!req.report.n_ports == !req.report.error_code[0] ||
		    req.report.n_ports > RGM_API_STREAMS_MAX)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
