// SPDX-License-Identifier: GPL-2.0
/*
 * Appliance-mediated gateway types, "upnp-igd" and "pcp": the gateway's
 * remote side speaks nothing we could authenticate, so the appliance
 * programs it through its LAN interface (UPnP IGD AddPortMapping, PCP MAP).
 * configure() talks to no gateway: it hands the appliance a signed grant
 * (grant.h) and the mappings to make, and leaves the session pending;
 * report() checks the grant and the ports the appliance got and fills in
 * what configure would have. Renewal and removal are the appliance's (it
 * holds the gateway's lease); the server records them. What these types
 * cannot enforce that rgm can: Documentation/confserver.rst.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/rgm.h>

#include "driver.h"
#include "grant.h"

struct cs_apd {
	const char *type;		/* the driver's name, in the grant */
	struct cs_grant_key *key;	/* NULL: no grant-key configured */
};

static int cs_apd_setup(const char *type, const struct cs_driver_env *env, void **state,
			char *err, size_t errlen)
{
	struct cs_apd *a = calloc(1, sizeof(*a));

	if (!a)
		return snprintf(err, errlen, "out of memory"), -1;
	a->type = type;
	if (env->grant_key && cs_grant_key_load(env->grant_key, &a->key, err, errlen)) {
		free(a);
		return -1;
	}
	*state = a;
	return 0;
}

static int cs_apd_setup_upnp(const struct cs_driver_env *env, void **state, char *err,
			     size_t errlen)
{
	return cs_apd_setup("upnp-igd", env, state, err, errlen);
}

static int cs_apd_setup_pcp(const struct cs_driver_env *env, void **state, char *err,
			    size_t errlen)
{
	return cs_apd_setup("pcp", env, state, err, errlen);
}

static void cs_apd_teardown(void *state)
{
	struct cs_apd *a = state;

	cs_grant_key_free(a->key);
	free(a);
}

static void cs_apd_add(struct json_object *o, const char *k, struct json_object *v)
{
	if (json_object_object_add(o, k, v))
		json_object_put(v);
}

static struct json_object *cs_apd_addr(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	return json_object_new_string(s);
}

/* The streams as the grant and the appliance see them. */
static struct json_object *cs_apd_streams(const struct rgm_api_configure *req)
{
	struct json_object *a = json_object_new_array(), *s;
	unsigned int i;

	for (i = 0; i < req->n_streams; i++) {
		const struct rgm_api_stream *st = &req->streams[i];

		s = json_object_new_object();
		cs_apd_add(s, "protocol", json_object_new_string(st->proto == IPPROTO_TCP ?
								 "tcp" : "udp"));
		cs_apd_add(s, "local_port", json_object_new_int(st->local_port));
		cs_apd_add(s, "rtcp", json_object_new_boolean(st->rtcp));
		cs_apd_add(s, "server_addr", cs_apd_addr(st->server_addr));
		cs_apd_add(s, "server_port", json_object_new_int(st->server_port));
		json_object_array_add(a, s);
	}
	return a;
}

static void cs_apd_audit(struct cs_call *call, const char *gateway, struct json_object *cmd,
			 struct json_object *res)
{
	call->audit(call, gateway, json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN),
		    json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN));
	json_object_put(cmd);
	json_object_put(res);
}

static int cs_apd_configure(void *state, struct cs_call *call, const struct cs_gateway *gw,
			    const char *session, const struct rgm_api_configure *req,
			    struct cs_configured *out)
{
	struct cs_apd *a = state;
	struct json_object *claims, *ins, *cmd, *res;
	int64_t exp = (int64_t)time(NULL) + CS_GRANT_TTL_S;
	char *tok;

	if (!a->key)
		return cs_fail(call, CS_FAIL_INTERNAL, NULL, "gateway %s (%s): no grant-key in the "
			       "configuration: appliance-mediated types need one", gw->rec.id,
			       a->type);
	claims = json_object_new_object();
	cs_apd_add(claims, "v", json_object_new_int(1));
	cs_apd_add(claims, "type", json_object_new_string(a->type));
	cs_apd_add(claims, "session", json_object_new_string(session));
	cs_apd_add(claims, "appliance", json_object_new_string(req->appliance));
	cs_apd_add(claims, "gateway", json_object_new_string(gw->rec.id));
	cs_apd_add(claims, "local_addr", cs_apd_addr(req->local_addr));
	cs_apd_add(claims, "lease", json_object_new_int64(req->lease));
	cs_apd_add(claims, "exp", json_object_new_int64(exp));
	cs_apd_add(claims, "streams", cs_apd_streams(req));
	tok = cs_grant_sign(a->key, claims);
	if (!tok) {
		json_object_put(claims);
		return cs_fail(call, CS_FAIL_INTERNAL, NULL, "gateway %s: cannot sign the grant",
			       gw->rec.id);
	}
	ins = json_object_new_object();
	cs_apd_add(ins, "path", json_object_new_string("appliance"));
	cs_apd_add(ins, "protocol", json_object_new_string(a->type));
	cs_apd_add(ins, "grant", json_object_new_string(tok));
	cs_apd_add(ins, "expires_at", json_object_new_int64(exp));
	cs_apd_add(ins, "lease", json_object_new_int64(req->lease));
	cs_apd_add(ins, "streams", cs_apd_streams(req));
	free(tok);

	/* the audit shows what was granted (the claims), not the token */
	cmd = json_object_new_object();
	cs_apd_add(cmd, "op", json_object_new_string("grant"));
	cs_apd_add(cmd, "claims", claims);
	res = json_object_new_object();
	cs_apd_add(res, "issued", json_object_new_boolean(1));
	cs_apd_audit(call, gw->rec.id, cmd, res);

	out->appliance_instructions = ins;
	out->awaiting_report = true;
	out->n_streams = req->n_streams;
	out->lease = req->lease;
	return 0;
}

/* The appliance's words for its gateway's errors, as failure classes. */
static enum cs_fail cs_apd_fail_of(const char *code)
{
	static const struct {
		const char *code;
		enum cs_fail fail;
	} map[] = {
		{ "port-conflict", CS_FAIL_CONFLICT },
		{ "gateway-full", CS_FAIL_FULL },
		{ "policy-denied", CS_FAIL_POLICY },
		{ "gateway-unreachable", CS_FAIL_UNREACHABLE },
		{ "gateway-timeout", CS_FAIL_TIMEOUT },
	};
	unsigned int i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].code, code))
			return map[i].fail;
	return CS_FAIL_REFUSED;
}

static const char *cs_apd_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

static int cs_apd_report(void *state, struct cs_call *call, const struct cs_gateway *gw,
			 const char *session, const struct rgm_api_configure *req,
			 const struct rgm_api_report *rep, struct cs_configured *out)
{
	struct cs_apd *a = state;
	struct json_object *claims, *v, *cmd, *res, *ports;
	char why[128], seen[INET_ADDRSTRLEN], said[INET_ADDRSTRLEN];
	unsigned int i;
	int ret = 0;

	if (!a->key)
		return cs_fail(call, CS_FAIL_INTERNAL, NULL, "no grant-key in the configuration");
	claims = cs_grant_verify(a->key, rep->grant, why, sizeof(why));
	if (!claims)
		return cs_fail(call, CS_FAIL_FORBIDDEN, NULL, "session %s: %s", session, why);
	if (strcmp(cs_apd_str(claims, "session"), session) ||
	    strcmp(cs_apd_str(claims, "gateway"), gw->rec.id) ||
	    strcmp(cs_apd_str(claims, "type"), a->type)) {
		json_object_put(claims);
		return cs_fail(call, CS_FAIL_FORBIDDEN, NULL, "session %s: the grant is for another "
			       "session or gateway", session);
	}
	if (!json_object_object_get_ex(claims, "exp", &v) ||
	    json_object_get_int64(v) < (int64_t)time(NULL)) {
		json_object_put(claims);
		return cs_fail(call, CS_FAIL_FORBIDDEN, NULL, "session %s: the grant has expired",
			       session);
	}
	json_object_put(claims);

	cmd = json_object_new_object();
	cs_apd_add(cmd, "op", json_object_new_string("report"));
	cs_apd_add(cmd, "session", json_object_new_string(session));
	res = json_object_new_object();
	if (rep->error_code[0]) {
		/* the appliance's gateway said no: the portal gets its class */
		cs_apd_add(cmd, "error", json_object_new_string(rep->error_code));
		cs_apd_add(cmd, "message", json_object_new_string(rep->error_msg));
		cs_apd_add(res, "recorded", json_object_new_string("failed"));
		cs_apd_audit(call, gw->rec.id, cmd, res);
		return cs_fail(call, cs_apd_fail_of(rep->error_code), rep->error_code,
			       "gateway %s (%s), as the appliance reports: %s", gw->rec.id, a->type,
			       rep->error_msg);
	}
	inet_ntop(AF_INET, &rep->gateway_addr, seen, sizeof(seen));
	ports = json_object_new_array();
	for (i = 0; i < rep->n_ports; i++)
		json_object_array_add(ports, json_object_new_int(rep->ports[i]));
	cs_apd_add(cmd, "ports", ports);
	cs_apd_add(cmd, "gateway_addr", json_object_new_string(seen));
	if (rep->has_global_addr) {
		inet_ntop(AF_INET, &rep->global_addr, said, sizeof(said));
		cs_apd_add(cmd, "global_addr", json_object_new_string(said));
	}
	if (rep->n_ports != req->n_streams)
		ret = cs_fail(call, CS_FAIL_REFUSED, NULL, "session %s: %u ports for %u streams",
			      session, rep->n_ports, req->n_streams);
	/* media goes where the portal saw the appliance come from, nowhere
	 * else: a gateway that names another address is behind a second NAT */
	else if (rep->has_global_addr && rep->global_addr.s_addr != rep->gateway_addr.s_addr)
		ret = cs_fail(call, CS_FAIL_REFUSED, "address-mismatch", "gateway %s says its "
			      "address is %s, the portal saw %s: not reachable from outside",
			      gw->rec.id, said, seen);
	for (i = 0; !ret && i < req->n_streams; i++)
		if (req->streams[i].rtcp && rep->ports[i] == 65535)
			ret = cs_fail(call, CS_FAIL_REFUSED, NULL, "ports[%u] leaves no RTCP port", i);
	cs_apd_add(res, "recorded", json_object_new_string(ret ? "refused" : "active"));
	if (ret)
		cs_apd_add(res, "message", json_object_new_string(call->err.msg));
	cs_apd_audit(call, gw->rec.id, cmd, res);
	if (ret)
		return ret;
	for (i = 0; i < req->n_streams; i++) {
		out->streams[i].global_addr = rep->gateway_addr;
		out->streams[i].global_port = rep->ports[i];
		out->streams[i].rtcp_port = req->streams[i].rtcp ? rep->ports[i] + 1 : 0;
	}
	out->n_streams = req->n_streams;
	out->lease = req->lease;
	return 0;
}

/* The appliance holds the gateway's lease: renewing and removing are its. */
static int cs_apd_renew(void *state, struct cs_call *call, const struct cs_gateway *gw,
			const char *session, uint32_t lease)
{
	return 0;
}

static int cs_apd_close(void *state, struct cs_call *call, const struct cs_gateway *gw,
			const char *session)
{
	return 0;
}

static struct json_object *cs_apd_status(void *state, const struct cs_gateway *gw)
{
	struct cs_apd *a = state;
	struct json_object *o = json_object_new_object();

	cs_apd_add(o, "driver", json_object_new_string(a->type));
	cs_apd_add(o, "path", json_object_new_string("appliance"));
	cs_apd_add(o, "grant_key", json_object_new_boolean(a->key != NULL));
	return o;
}

const struct cs_driver cs_driver_upnp_igd = {
	.name = "upnp-igd",
	.setup = cs_apd_setup_upnp,
	.teardown = cs_apd_teardown,
	.configure = cs_apd_configure,
	.renew = cs_apd_renew,
	.close = cs_apd_close,
	.report = cs_apd_report,
	.status = cs_apd_status,
};

const struct cs_driver cs_driver_pcp = {
	.name = "pcp",
	.setup = cs_apd_setup_pcp,
	.teardown = cs_apd_teardown,
	.configure = cs_apd_configure,
	.renew = cs_apd_renew,
	.close = cs_apd_close,
	.report = cs_apd_report,
	.status = cs_apd_status,
};
