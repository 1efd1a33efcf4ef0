// SPDX-License-Identifier: GPL-2.0
/*
 * rgm-appliance: command line. register, titles and watch talk to the
 * portal; standby waits for titles a person starts from the portal's page;
 * receive takes the streams' expectations from the command line (tests,
 * and any sender that announces them another way).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ap.h"
#include "rgm_version.h"

struct args {
	struct ap_portal portal;
	struct in_addr addr;
	bool have_addr, json, once, natpmp;
	uint16_t ports[AP_MAX_STREAMS];
	unsigned int n_ports;
	const char *out_dir, *sdp, *title;
	unsigned int lease, timeout_s;
	struct ap_expect streams[AP_MAX_STREAMS];
	unsigned int n_streams;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rgm-appliance --portal URL --id ID --addr IP\n"
		"                     [--gateway-type T|--gateway G] [--natpmp] [-j] COMMAND\n"
		"       rgm-appliance { --help | --version }\n"
		"\n"
		"COMMAND:\n"
		"  register\n"
		"  titles\n"
		"  watch TITLE [--ports P1,P2] [--out DIR] [--sdp FILE] [--lease N] [--timeout S]\n"
		"  standby [--ports P1,P2] [--out DIR] [--timeout S] [--once]\n"
		"  receive --addr IP --stream KIND:PORT:PACKETS:BYTES:SHA256 ... [--out DIR]\n"
		"          [--title NAME] [--sdp FILE] [--timeout S]\n"
		"exit: 0 complete, 1 incomplete or refused, 2 usage or local error\n");
}

/* A name that is safe in a file name: [A-Za-z0-9_-], 1 to max-1 long. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n && n < max && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static bool hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* KIND:PORT:PACKETS:BYTES:SHA256 */
static int parse_stream(const char *arg, struct ap_expect *e)
{
	char buf[256], *f[5], *save = NULL, *tok;
	uint64_t port;
	int n = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ":", &save); tok && n < 5; tok = strtok_r(NULL, ":", &save))
		f[n++] = tok;
	if (n != 5 || tok || !name_ok(f[0], sizeof(e->kind)) ||
	    !parse_u64(f[1], 65534, &port) || port == 0 ||
	    !parse_u64(f[2], UINT32_MAX, &e->packets) || !parse_u64(f[3], 1ULL << 40, &e->bytes) ||
	    !hex64(f[4]))
		return -1;
	strcpy(e->kind, f[0]);
	e->port = (uint16_t)port;
	strcpy(e->sha256, f[4]);
	return 0;
}

static int parse_ports(const char *arg, struct args *a)
{
	char buf[128], *save = NULL, *tok;
	uint64_t p;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	a->n_ports = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (a->n_ports == AP_MAX_STREAMS || !parse_u64(tok, 65534, &p) || p == 0)
			return -1;
		a->ports[a->n_ports++] = (uint16_t)p;
	}
	return a->n_ports ? 0 : -1;
}

static struct ap_recv *recv_new(struct args *a, const char *title, const uint16_t *ports,
				 unsigned int n)
{
	struct ap_recv_opts o = { .addr = a->addr, .title = title, .out_dir = a->out_dir,
				  .timeout_s = a->timeout_s, .json = a->json };

	return ap_recv_new(&o, ports, n);
}

static int receive(struct args *a, struct ap_recv *r, const char *title)
{
	if (a->sdp && ap_sdp_write(a->sdp, a->addr, title, a->streams, a->n_streams))
		return 2;
	return ap_recv_run(r, a->streams, a->n_streams);
}

static int cmd_receive(struct args *a, const char *title)
{
	uint16_t ports[AP_MAX_STREAMS];
	struct ap_recv *r;
	unsigned int i;
	int ret;

	for (i = 0; i < a->n_streams; i++)
		ports[i] = a->streams[i].port;
	r = recv_new(a, title, ports, a->n_streams);
	if (!r)
		return 2;
	ret = receive(a, r, title);
	ap_recv_free(r);
	return ret;
}

static int cmd_register(struct args *a)
{
	json_object *body = json_object_new_object(), *reply;
	int st;

	json_object_object_add(body, "appliance", json_object_new_string(a->portal.id));
	if (a->portal.gateway)
		json_object_object_add(body, "gateway", json_object_new_string(a->portal.gateway));
	else
		json_object_object_add(body, "gateway_type", json_object_new_string(
			a->portal.gateway_type ? a->portal.gateway_type : "homebox"));
	st = ap_portal_call(&a->portal, "POST", "/v1/register", body, &reply);
	json_object_put(body);
	if (st != 200) {
		if (st > 0)
			ap_portal_perror("register", st, reply);
		json_object_put(reply);
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(reply, a->json ? JSON_C_TO_STRING_PLAIN :
						      JSON_C_TO_STRING_PRETTY));
	json_object_put(reply);
	return 0;
}

static int cmd_titles(struct args *a)
{
	json_object *reply, *titles, *t, *id, *name;
	size_t i;
	int st;

	st = ap_portal_call(&a->portal, "GET", "/v1/titles", NULL, &reply);
	if (st != 200 || !json_object_object_get_ex(reply, "titles", &titles) ||
	    !json_object_is_type(titles, json_type_array)) {
		if (st > 0)
			ap_portal_perror("titles", st, reply);
		json_object_put(reply);
		return 1;
	}
	if (a->json) {
		printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	} else {
		for (i = 0; i < json_object_array_length(titles); i++) {
			t = json_object_array_get_idx(titles, i);
			if (json_object_object_get_ex(t, "id", &id) &&
			    json_object_object_get_ex(t, "name", &name))
				printf("%-16s %s\n", json_object_get_string(id),
				       json_object_get_string(name));
		}
	}
	json_object_put(reply);
	return 0;
}

static bool get_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*out = (uint64_t)json_object_get_int64(v);
	return true;
}

/*
 * Takes the expectations out of the watch reply, checking each field: one
 * stream per port asked for (watch), or on the first of the ports announced
 * (standby: prefix).
 */
static int watch_streams(struct args *a, json_object *reply, bool prefix)
{
	json_object *arr, *s, *v;
	uint64_t port;
	size_t i, n;

	if (!json_object_object_get_ex(reply, "streams", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return fprintf(stderr, "rgm-appliance: watch: reply has no \"streams\"\n"), -1;
	n = json_object_array_length(arr);
	if (prefix ? !n || n > a->n_ports : n != a->n_ports)
		return fprintf(stderr, "rgm-appliance: watch: %zu streams for %u ports\n", n,
			       a->n_ports), -1;
	for (i = 0; i < n; i++) {
		struct ap_expect *e = &a->streams[i];

		s = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(s, "kind", &v) ||
		    !name_ok(json_object_get_string(v), sizeof(e->kind)))
			return fprintf(stderr, "rgm-appliance: watch: stream %zu: bad \"kind\"\n",
				       i), -1;
		strcpy(e->kind, json_object_get_string(v));
		if (!get_u64(s, "local_port", &port) || port != a->ports[i])
			return fprintf(stderr, "rgm-appliance: watch: %s: \"local_port\" is not "
				       "%u\n", e->kind, a->ports[i]), -1;
		e->port = a->ports[i];
		if (!get_u64(s, "packets", &e->packets) || !get_u64(s, "bytes", &e->bytes))
			return fprintf(stderr, "rgm-appliance: watch: %s: bad \"packets\" or "
				       "\"bytes\"\n", e->kind), -1;
		if (!json_object_object_get_ex(s, "sha256", &v) ||
		    !hex64(json_object_get_string(v)))
			return fprintf(stderr, "rgm-appliance: watch: %s: bad \"sha256\"\n",
				       e->kind), -1;
		strcpy(e->sha256, json_object_get_string(v));
	}
	a->n_streams = (unsigned int)n;
	return 0;
}

/* The maps the appliance_instructions ask for: each stream's port and,
 * with RTCP, the next one, on the same global ports where free. */
static int gw_maps(json_object *ins, struct ap_gw_map *maps, unsigned int *n)
{
	json_object *arr, *s, *v;
	uint64_t port;
	const char *proto, *server;
	size_t i, k;
	bool rtcp;

	*n = 0;
	if (!json_object_object_get_ex(ins, "streams", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) > AP_MAX_STREAMS)
		return -1;
	for (i = 0; i < json_object_array_length(arr); i++) {
		s = json_object_array_get_idx(arr, i);
		if (!get_u64(s, "local_port", &port) || port < 1 || port > 65534 ||
		    !json_object_object_get_ex(s, "protocol", &v))
			return -1;
		proto = json_object_get_string(v);
		if (strcmp(proto, "udp") && strcmp(proto, "tcp"))
			return -1;
		rtcp = json_object_object_get_ex(s, "rtcp", &v) && json_object_get_boolean(v);
		server = json_object_object_get_ex(s, "server_addr", &v) ?
			 json_object_get_string(v) : "";
		for (k = 0; k < (rtcp ? 2U : 1U); k++) {
			struct ap_gw_map *m = &maps[(*n)++];
			struct in_addr tmp;

			snprintf(m->proto, sizeof(m->proto), "%s", proto[0] == 'u' ? "UDP" : "TCP");
			m->local_port = m->ext_port = (uint16_t)(port + k);
			if (inet_pton(AF_INET, server, &tmp) != 1)
				return -1;
			snprintf(m->remote, sizeof(m->remote), "%s", server);
			snprintf(m->what, sizeof(m->what), "%s %zu", k ? "rtcp" : "rtp", i);
		}
	}
	return *n ? 0 : -1;
}

/* POST /v1/report: the ports got, or the gateway's error. */
static int gw_report(struct args *a, json_object *sess, const char *grant,
		     const struct ap_gw_map *maps, unsigned int n, const struct in_addr *ext,
		     const struct ap_gw_error *err)
{
	json_object *body = json_object_new_object(), *ports, *e, *reply;
	char addr[INET_ADDRSTRLEN];
	unsigned int i;
	int st;

	json_object_object_add(body, "session", json_object_get(sess));
	json_object_object_add(body, "grant", json_object_new_string(grant));
	if (err) {
		e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string(err->code));
		json_object_object_add(e, "message", json_object_new_string(err->msg));
		json_object_object_add(body, "error", e);
	} else {
		inet_ntop(AF_INET, ext, addr, sizeof(addr));
		json_object_object_add(body, "global_addr", json_object_new_string(addr));
		ports = json_object_new_array();
		/* one port per stream: the RTP one (RTCP is on the next) */
		for (i = 0; i < n; i++)
			if (!strstr(maps[i].what, "rtcp"))
				json_object_array_add(ports, json_object_new_int(maps[i].ext_port));
		json_object_object_add(body, "ports", ports);
	}
	st = ap_portal_call(&a->portal, "POST", "/v1/report", body, &reply);
	json_object_put(body);
	if (st != 200 && st > 0)
		ap_portal_perror("report", st, reply);
	json_object_put(reply);
	return st == 200 ? 0 : -1;
}

/* Our own gateway, of the kind the instructions' protocol names. */
static struct ap_gw *gw_open(struct args *a, const char *protocol, struct ap_gw_error *e)
{
	if (!strcmp(protocol, "upnp-igd"))
		return ap_gw_upnp_open(a->addr, e);
	if (!strcmp(protocol, "pcp"))
		return ap_gw_pcp_open(a->addr, a->natpmp, e);
	ap_gw_err(e, "gateway-refused", "this appliance cannot program a '%.32s' gateway",
		  protocol);
	return NULL;
}

/* The appliance-mediated path: program our own gateway, report. NULL
 * when it failed (reported, and nothing left on the gateway). */
static struct ap_gw *gw_program(struct args *a, json_object *reply, json_object *sess)
{
	json_object *ins, *v;
	struct ap_gw_map maps[2 * AP_MAX_STREAMS];
	struct ap_gw_error err = { "", "" };
	struct in_addr ext;
	const char *proto, *grant;
	struct ap_gw *g = NULL;
	unsigned int n = 0;
	uint64_t lease;

	if (!json_object_object_get_ex(reply, "appliance_instructions", &ins) ||
	    !json_object_object_get_ex(ins, "grant", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		fprintf(stderr, "rgm-appliance: watch: no grant in the appliance instructions\n");
		return NULL;
	}
	grant = json_object_get_string(v);
	proto = json_object_object_get_ex(ins, "protocol", &v) &&
		json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	if (!get_u64(ins, "lease", &lease) || !lease || lease > 604800 || gw_maps(ins, maps, &n)) {
		ap_gw_err(&err, "gateway-refused", "the appliance cannot read its instructions");
	} else if ((g = gw_open(a, proto, &err)) &&
		   !ap_gw_map(g, maps, n, (unsigned int)lease, &err) &&
		   !ap_gw_external(g, &ext, &err)) {
		/* the lease the gateway granted may be shorter than asked */
		fprintf(stderr, "rgm-appliance: the gateway (%s, %s) mapped %u ports for %u s\n",
			g->ops->name, inet_ntoa(ext), n, g->lease);
		if (gw_report(a, sess, grant, maps, n, &ext, NULL) || ap_gw_keep(g)) {
			ap_gw_close(g);
			return NULL;
		}
		return g;
	}
	fprintf(stderr, "rgm-appliance: gateway: %s: %s\n", err.code, err.msg);
	/* what was mapped goes before the error is reported */
	ap_gw_close(g);
	gw_report(a, sess, grant, NULL, 0, NULL, &err);
	return NULL;
}

static int cmd_watch(struct args *a, const char *title)
{
	json_object *body = json_object_new_object(), *ports = json_object_new_array();
	json_object *reply, *sess = NULL, *stop, *r2;
	char addr[INET_ADDRSTRLEN];
	struct ap_gw *gw = NULL;
	struct ap_recv *r;
	unsigned int i;
	int st, ret;

	/* bound first: the stream may start before the portal answers */
	r = recv_new(a, title, a->ports, a->n_ports);
	if (!r) {
		json_object_put(body);
		json_object_put(ports);
		return 2;
	}
	inet_ntop(AF_INET, &a->addr, addr, sizeof(addr));
	json_object_object_add(body, "appliance", json_object_new_string(a->portal.id));
	json_object_object_add(body, "title", json_object_new_string(title));
	json_object_object_add(body, "local_addr", json_object_new_string(addr));
	for (i = 0; i < a->n_ports; i++)
		json_object_array_add(ports, json_object_new_int(a->ports[i]));
	json_object_object_add(body, "ports", ports);
	if (a->lease)
		json_object_object_add(body, "lease", json_object_new_int((int)a->lease));
	st = ap_portal_call(&a->portal, "POST", "/v1/watch", body, &reply);
	json_object_put(body);
	if (st != 201 && st != 202) {
		if (st > 0)
			ap_portal_perror("watch", st, reply);
		json_object_put(reply);
		ap_recv_free(r);
		return 1;
	}
	if (watch_streams(a, reply, false)) {
		json_object_put(reply);
		ap_recv_free(r);
		return 1;
	}
	json_object_object_get_ex(reply, "session", &sess);
	/* 202: our own gateway is ours to program (UPnP IGD, PCP) */
	if (st == 202 && (!sess || !(gw = gw_program(a, reply, sess)))) {
		json_object_put(reply);
		ap_recv_free(r);
		return 1;
	}
	fprintf(stderr, "rgm-appliance: watching %s, session %s\n", title,
		sess ? json_object_get_string(sess) : "?");
	ret = receive(a, r, title);
	ap_recv_free(r);
	/* our mappings go before the session: nothing is left open */
	ap_gw_close(gw);
	/* done either way: give the mapping back rather than wait for the lease */
	if (sess) {
		stop = json_object_new_object();
		json_object_object_add(stop, "session", json_object_get(sess));
		st = ap_portal_call(&a->portal, "POST", "/v1/stop", stop, &r2);
		if (st != 200 && st > 0)
			ap_portal_perror("stop", st, r2);
		json_object_put(stop);
		json_object_put(r2);
	}
	json_object_put(reply);
	return ret;
}

/* POST /v1/stop: the title ended, complete or not (standby) */
static void stop_session(struct args *a, json_object *sess, bool complete)
{
	json_object *stop = json_object_new_object(), *reply;
	int st;

	json_object_object_add(stop, "session", json_object_get(sess));
	json_object_object_add(stop, "complete", json_object_new_boolean(complete));
	st = ap_portal_call(&a->portal, "POST", "/v1/stop", stop, &reply);
	if (st != 200 && st > 0)
		ap_portal_perror("stop", st, reply);
	json_object_put(stop);
	json_object_put(reply);
}

/*
 * POST /v1/announce: prints the pairing code when it is new, and when it
 * should be asked for again (*renew_at, monotonic s). 0, or the exit status.
 */
static int announce(struct args *a, char *code, size_t code_len, time_t *renew_at)
{
	json_object *body = json_object_new_object(), *ports = json_object_new_array();
	json_object *reply, *v;
	char addr[INET_ADDRSTRLEN];
	struct timespec ts;
	const char *c;
	unsigned int i;
	int st;

	inet_ntop(AF_INET, &a->addr, addr, sizeof(addr));
	json_object_object_add(body, "appliance", json_object_new_string(a->portal.id));
	json_object_object_add(body, "local_addr", json_object_new_string(addr));
	for (i = 0; i < a->n_ports; i++)
		json_object_array_add(ports, json_object_new_int(a->ports[i]));
	json_object_object_add(body, "ports", ports);
	if (a->portal.gateway)
		json_object_object_add(body, "gateway", json_object_new_string(a->portal.gateway));
	else if (a->portal.gateway_type)
		json_object_object_add(body, "gateway_type",
				       json_object_new_string(a->portal.gateway_type));
	st = ap_portal_call(&a->portal, "POST", "/v1/announce", body, &reply);
	json_object_put(body);
	if (st != 200 || !json_object_object_get_ex(reply, "pairing_code", &v) ||
	    strlen(c = json_object_get_string(v)) >= code_len) {
		if (st > 0)
			ap_portal_perror("announce", st, reply);
		json_object_put(reply);
		/* unreachable: try again later; refused: nothing will change */
		return st < 0 ? -1 : 1;
	}
	if (strcmp(code, c)) {
		snprintf(code, code_len, "%s", c);
		if (a->json)
			printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
		else
			printf("pairing code: %s\n", code);
		fflush(stdout);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* a minute before the code expires, or every minute if it says nothing */
	*renew_at = ts.tv_sec + 60;
	if (json_object_object_get_ex(reply, "code_expires_in", &v) &&
	    json_object_get_int64(v) > 120)
		*renew_at = ts.tv_sec + json_object_get_int64(v) - 60;
	json_object_put(reply);
	return 0;
}

/* One title the portal handed over: receive it, say how it ended. */
static int play(struct args *a, struct ap_recv **rp, json_object *watch)
{
	json_object *sess = NULL, *v;
	const char *title = "";
	struct ap_gw *gw = NULL;
	int ret = 1;

	json_object_object_get_ex(watch, "session", &sess);
	if (json_object_object_get_ex(watch, "title", &v))
		title = json_object_get_string(v);
	if (!sess || !json_object_is_type(sess, json_type_string)) {
		fprintf(stderr, "rgm-appliance: standby: a play without a session\n");
		return 1;
	}
	if (!name_ok(title, 64)) {
		fprintf(stderr, "rgm-appliance: standby: bad title in the play\n");
	} else if (watch_streams(a, watch, true) == 0 &&
		   (!json_object_object_get_ex(watch, "appliance_instructions", &v) ||
		    (gw = gw_program(a, watch, sess)))) {
		fprintf(stderr, "rgm-appliance: playing %s, session %s\n", title,
			json_object_get_string(sess));
		ap_recv_title(*rp, title);
		ret = ap_recv_run(*rp, a->streams, a->n_streams);
		ap_gw_close(gw);
	}
	/* the next title gets fresh sockets: nothing late of this one in them */
	ap_recv_free(*rp);
	*rp = NULL;
	stop_session(a, sess, ret == 0);
	return ret;
}

/*
 * standby: announce, show the pairing code, and wait for titles a person
 * starts from the portal's page (POST /v1/next); receive each, report it
 * with POST /v1/stop, and wait again (--once: exit after one).
 */
static int cmd_standby(struct args *a)
{
	json_object *body, *reply, *watch;
	struct ap_recv *r = NULL;
	char code[16] = "";
	time_t renew_at = 0;
	struct timespec ts;
	unsigned int backoff = 1;
	int st, ret = 0;
	bool fresh = true;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (fresh || ts.tv_sec >= renew_at) {
			ret = announce(a, code, sizeof(code), &renew_at);
			if (ret > 0)
				break;
			if (ret < 0) {
				sleep(backoff);
				backoff = backoff < 30 ? 2 * backoff : 30;
				continue;
			}
			fresh = false;
		}
		/* bound while waiting: the stream may start before /v1/next returns */
		if (!r) {
			r = recv_new(a, "stream", a->ports, a->n_ports);
			if (!r) {
				ret = 2;
				break;
			}
		}
		body = json_object_new_object();
		json_object_object_add(body, "appliance", json_object_new_string(a->portal.id));
		json_object_object_add(body, "wait", json_object_new_int(25));
		st = ap_portal_call(&a->portal, "POST", "/v1/next", body, &reply);
		json_object_put(body);
		if (st == 200) {
			backoff = 1;
			if (json_object_object_get_ex(reply, "watch", &watch) && watch) {
				ret = play(a, &r, watch);
				if (a->once) {
					json_object_put(reply);
					break;
				}
			}
		} else if (st == 404 || st == 403) {
			/* the portal forgot us (restart) or we moved: announce again */
			fresh = true;
		} else {
			if (st > 0)
				ap_portal_perror("next", st, reply);
			sleep(backoff);
			backoff = backoff < 30 ? 2 * backoff : 30;
		}
		json_object_put(reply);
	}
	ap_recv_free(r);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option gopts[] = {
		{ "portal", required_argument, NULL, 'P' },
		{ "id", required_argument, NULL, 'i' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gateway-type", required_argument, NULL, 'T' },
		{ "gateway", required_argument, NULL, 'G' },
		{ "json", no_argument, NULL, 'j' },
		{ "natpmp", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	static const struct option copts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "ports", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "sdp", required_argument, NULL, 's' },
		{ "lease", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stream", required_argument, NULL, 'S' },
		{ "title", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "once", no_argument, NULL, '1' },
		{ 0 }
	};
	struct args a = { .out_dir = ".", .timeout_s = 60, .ports = { 5004, 5006 }, .n_ports = 2 };
	const char *cmd, *title = NULL;
	uint64_t v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+jhV", gopts, NULL)) != -1) {
		switch (c) {
		case 'P': a.portal.base = optarg; break;
		case 'i': a.portal.id = optarg; break;
		case 'T': a.portal.gateway_type = optarg; break;
		case 'G': a.portal.gateway = optarg; break;
		case 'j': a.json = true; break;
		case 'N': a.natpmp = true; break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &a.addr) != 1)
				goto bad;
			a.have_addr = true;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': rgm_version_print("rgm-appliance"); return 0;
		default: goto bad;
		}
	}
	if (optind >= argc)
		goto bad;
	cmd = argv[optind];
	if (!strcmp(cmd, "watch")) {
		if (optind + 1 >= argc)
			goto bad;
		title = argv[optind + 1];
		optind += 1;
	}
	/* the command's options follow it */
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+j", copts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &a.addr) != 1)
				goto bad;
			a.have_addr = true;
			break;
		case 'p':
			if (parse_ports(optarg, &a))
				goto bad;
			break;
		case 'o': a.out_dir = optarg; break;
		case 's': a.sdp = optarg; break;
		case 'n': a.title = optarg; break;
		case 'j': a.json = true; break;
		case '1': a.once = true; break;
		case 'l':
			if (!parse_u64(optarg, 86400, &v) || !v)
				goto bad;
			a.lease = (unsigned int)v;
			break;
		case 't':
			if (!parse_u64(optarg, 86400, &v) || !v)
				goto bad;
			a.timeout_s = (unsigned int)v;
			break;
		case 'S':
			if (a.n_streams == AP_MAX_STREAMS ||
			    parse_stream(optarg, &a.streams[a.n_streams])) {
				fprintf(stderr, "rgm-appliance: --stream %s: want "
					"KIND:PORT:PACKETS:BYTES:SHA256 (at most %d)\n", optarg,
					AP_MAX_STREAMS);
				return 2;
			}
			a.n_streams++;
			break;
		default: goto bad;
		}
	}
	if (optind != argc || (a.once && strcmp(cmd, "standby")))
		goto bad;
	/* Before any request: a title must not be asked for that cannot be kept. */
	if (mkdir(a.out_dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "rgm-appliance: --out %s: %s\n", a.out_dir, strerror(errno));
		return 2;
	}

	if (!strcmp(cmd, "receive")) {
		if (!a.have_addr || !a.n_streams)
			goto bad;
		if (a.title && !name_ok(a.title, 64))
			goto bad;
		return cmd_receive(&a, a.title ? a.title : "stream");
	}
	if (!a.portal.base || !a.portal.id || (a.portal.gateway && a.portal.gateway_type))
		goto bad;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return 2;
	if (!strcmp(cmd, "register")) {
		ret = cmd_register(&a);
	} else if (!strcmp(cmd, "titles")) {
		ret = cmd_titles(&a);
	} else if (!strcmp(cmd, "watch") && a.have_addr && name_ok(title, 64)) {
		ret = cmd_watch(&a, title);
	} else if (!strcmp(cmd, "standby") && a.have_addr) {
		ret = cmd_standby(&a);
	} else {
		curl_global_cleanup();
		goto bad;
	}
	curl_global_cleanup();
	return ret;
bad:
	usage(stderr);
	return 2;
}
