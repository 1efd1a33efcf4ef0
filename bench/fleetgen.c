// SPDX-License-Identifier: GPL-2.0
/*
 * fleetgen: many emulated call-home gateways in one process, for the fleet
 * benchmark (scripts/bench-fleet.sh, Documentation/performance.rst).
 *
 *   fleetgen keys -n K -c CA.pem -k CA.key -o FLEET.pem [-p PREFIX]
 *	K gateway keys and certificates signed by the CA, into one PEM file;
 *	prints "ID PIN ADDR" per gateway (what enrolling needs).
 *   fleetgen run -f FLEET.pem -n K -a CA.pem -t HOST:PORT [-s SPREAD_MS]
 *	[-p PREFIX] [-b FIRST-SOURCE-ADDR]
 *	K gateways call home to HOST:PORT over TLS 1.3 (client certificates
 *	from FLEET.pem, the server verified against CA.pem) and answer the
 *	configuration server's requests as rgmd would (Documentation/
 *	protocol.rst): hello, query, reserve, map, renew, unmap, list, with
 *	plausible ports from the gateway's range and no kernel behind them.
 *	One status line a second on stdout.
 *
 * One epoll loop, non-blocking sockets and GnuTLS sessions; one timer heap
 * for reconnects and handshake deadlines. A lost connection is retried as
 * rgmd does (ctl/rgmd/callhome.c): the wait doubles from 1 s to 60 s,
 * drawn from the upper half, reset once a connection got to hello. Source
 * addresses walk 127.0.0.2, .3, ... (16,384 gateways each) so that 100,000
 * connections to one server port find ephemeral ports. Not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-c/json.h>

#include "rgm_frame.h"
#include "rgm_tls.h"

#define FG_MAX			200000
#define FG_PER_SOURCE		16384	/* gateways per loopback source address */
#define FG_BACKOFF_MIN_MS	1000
#define FG_BACKOFF_MAX_MS	60000
#define FG_DEADLINE_MS		10000	/* connect + handshake + hello */
#define FG_PORT_MIN		40000
#define FG_PORT_MAX		49999
#define FG_OUT_LIMIT		(256 * 1024)

enum fg_state { FG_IDLE, FG_CONNECTING, FG_HANDSHAKE, FG_UP };

struct fg_gw {
	int fd;
	enum fg_state state;
	uint32_t ev;			/* epoll events registered, 0: none */
	uint32_t gen;			/* timers of older generations are stale */
	uint32_t backoff_ms;
	bool hello;			/* hello answered on this connection */
	gnutls_session_t s;
	gnutls_pcert_st pcert;
	gnutls_privkey_t key;
	struct rgm_frame_dec dec;
	struct rgm_frame_out out;
	char epoch[17];
	uint16_t cursor;		/* next port handed out */
	uint32_t mapping_id;
};

struct fg_timer {
	int64_t when;
	uint32_t idx, gen;
};

static struct {
	struct fg_gw *gw;
	unsigned int n;
	const char *prefix;
	struct sockaddr_in dst;
	struct in_addr src0;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	int ep;
	struct fg_timer *heap;
	size_t heap_n, heap_cap;
	unsigned int count[4];		/* gateways per state */
	unsigned int up;		/* hello answered */
	unsigned long long connects, hs_ok, hs_fail, drops, requests, bad;
} fg;

static volatile sig_atomic_t fg_stop;

static int64_t fg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t fg_rand(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)fg_now_ms() * 2654435761u;
	return r;
}

/* ---- the timer heap (lazy deletion: an entry of an old gen is skipped) */

static int fg_timer_add(uint32_t idx, int64_t when)
{
	struct fg_timer t = { when, idx, fg.gw[idx].gen }, *h;
	size_t i;

	if (fg.heap_n == fg.heap_cap) {
		size_t cap = fg.heap_cap ? fg.heap_cap * 2 : 1024;

		h = realloc(fg.heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		fg.heap = h, fg.heap_cap = cap;
	}
	for (i = fg.heap_n++; i && fg.heap[(i - 1) / 2].when > when; i = (i - 1) / 2)
		fg.heap[i] = fg.heap[(i - 1) / 2];
	fg.heap[i] = t;
	return 0;
}

static void fg_timer_pop(void)
{
	struct fg_timer last = fg.heap[--fg.heap_n];
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= fg.heap_n)
			break;
		if (c + 1 < fg.heap_n && fg.heap[c + 1].when < fg.heap[c].when)
			c++;
		if (fg.heap[c].when >= last.when)
			break;
		fg.heap[i] = fg.heap[c];
		i = c;
	}
	if (fg.heap_n)
		fg.heap[i] = last;
}

/* ---- keys */

static int fg_read_file(const char *path, gnutls_datum_t *d)
{
	int ret = gnutls_load_file(path, d);

	if (ret < 0)
		fprintf(stderr, "fleetgen: %s: %s\n", path, gnutls_strerror(ret));
	return ret < 0 ? -1 : 0;
}

static int fg_keys(unsigned int n, const char *ca_path, const char *cakey_path,
		   const char *out_path)
{
	gnutls_x509_crt_t ca = NULL, crt;
	gnutls_x509_privkey_t cakey = NULL, key;
	gnutls_datum_t d, pem;
	char dn[RGM_TLS_ID_MAX], pin[128], cn[64];
	struct in_addr a;
	unsigned char serial[8];
	time_t now = time(NULL);
	unsigned int i;
	FILE *f;
	int ret;

	if (fg_read_file(ca_path, &d))
		return 1;
	gnutls_x509_crt_init(&ca);
	ret = gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_PEM);
	gnutls_free(d.data);
	if (ret < 0 || fg_read_file(cakey_path, &d)) {
		fprintf(stderr, "fleetgen: %s: not a certificate\n", ca_path);
		return 1;
	}
	gnutls_x509_privkey_init(&cakey);
	ret = gnutls_x509_privkey_import(cakey, &d, GNUTLS_X509_FMT_PEM);
	gnutls_free(d.data);
	if (ret < 0) {
		fprintf(stderr, "fleetgen: %s: %s\n", cakey_path, gnutls_strerror(ret));
		return 1;
	}
	f = fopen(out_path, "w");
	if (!f) {
		perror(out_path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(cn, sizeof(cn), "%s%06u", fg.prefix, i);
		gnutls_x509_privkey_init(&key);
		gnutls_x509_crt_init(&crt);
		ret = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
						   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
		if (ret >= 0) {
			getrandom(serial, sizeof(serial), 0);
			serial[0] &= 0x7f;
			gnutls_x509_crt_set_version(crt, 3);
			gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
			gnutls_x509_crt_set_activation_time(crt, now - 3600);
			gnutls_x509_crt_set_expiration_time(crt, now + 30 * 86400);
			gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						      strlen(cn));
			gnutls_x509_crt_set_key(crt, key);
			gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
			gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
			gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0);
			ret = gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256, 0);
		}
		if (ret >= 0)
			ret = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem);
		if (ret >= 0) {
			fwrite(pem.data, 1, pem.size, f);
			gnutls_free(pem.data);
			ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);
		}
		if (ret >= 0) {
			fwrite(pem.data, 1, pem.size, f);
			gnutls_free(pem.data);
			ret = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d);
		}
		if (ret >= 0) {
			ret = rgm_tls_cert_ids(d.data, d.size, dn, sizeof(dn), pin, sizeof(pin));
			gnutls_free(d.data);
		}
		gnutls_x509_crt_deinit(crt);
		gnutls_x509_privkey_deinit(key);
		if (ret < 0) {
			fprintf(stderr, "fleetgen: gateway %u: %s\n", i, gnutls_strerror(ret));
			fclose(f);
			return 1;
		}
		a.s_addr = htonl(0xc6120000u + i + 1);	/* 198.18.0.0/15, benchmarking */
		printf("%s %s %s\n", cn, pin, inet_ntoa(a));
	}
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(cakey);
	if (fclose(f)) {
		perror(out_path);
		return 1;
	}
	return 0;
}

/* The next PEM block of *p (of the given label) as a datum into the text. */
static bool fg_pem_next(char **p, const char *label, gnutls_datum_t *d)
{
	char begin[64], end[64], *b, *e;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(end, sizeof(end), "-----END %s-----", label);
	b = strstr(*p, begin);
	e = b ? strstr(b, end) : NULL;
	if (!e)
		return false;
	e += strlen(end);
	d->data = (unsigned char *)b;
	d->size = e - b;
	*p = e;
	return true;
}

static int fg_load(const char *path)
{
	gnutls_datum_t file, d;
	gnutls_x509_privkey_t xk;
	char *p;
	unsigned int i;
	int ret;

	if (fg_read_file(path, &file))
		return -1;
	/* gnutls_load_file NUL-terminates */
	p = (char *)file.data;
	for (i = 0; i < fg.n; i++) {
		struct fg_gw *g = &fg.gw[i];

		if (!fg_pem_next(&p, "EC PRIVATE KEY", &d)) {
			fprintf(stderr, "fleetgen: %s holds %u gateways, not %u\n", path, i, fg.n);
			return -1;
		}
		gnutls_x509_privkey_init(&xk);
		gnutls_privkey_init(&g->key);
		ret = gnutls_x509_privkey_import(xk, &d, GNUTLS_X509_FMT_PEM);
		if (ret >= 0)
			ret = gnutls_privkey_import_x509(g->key, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
		if (ret >= 0 && !fg_pem_next(&p, "CERTIFICATE", &d))
			ret = GNUTLS_E_BASE64_DECODING_ERROR;
		if (ret >= 0)
			ret = gnutls_pcert_import_x509_raw(&g->pcert, &d, GNUTLS_X509_FMT_PEM, 0);
		if (ret < 0) {
			fprintf(stderr, "fleetgen: %s: gateway %u: %s\n", path, i, gnutls_strerror(ret));
			return -1;
		}
	}
	gnutls_free(file.data);
	return 0;
}

/* The server asks for our certificate: the gateway's own. */
static int fg_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca, int nreq,
		       const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
		       unsigned int *pcert_len, gnutls_privkey_t *key)
{
	struct fg_gw *g = gnutls_session_get_ptr(s);

	*pcert = &g->pcert;
	*pcert_len = 1;
	*key = g->key;
	return 0;
}

/* ---- connections */

static void fg_set_state(struct fg_gw *g, enum fg_state st)
{
	fg.count[g->state]--;
	g->state = st;
	fg.count[st]++;
}

static void fg_watch(struct fg_gw *g, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.u32 = (uint32_t)(g - fg.gw) };

	if (ev == g->ev)
		return;
	if (epoll_ctl(fg.ep, g->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, g->fd, &e))
		perror("fleetgen: epoll_ctl");
	g->ev = ev;
}

/* Closes the connection and schedules the next attempt, as rgmd would. */
static void fg_lost(struct fg_gw *g, const char *why)
{
	uint32_t b;

	if (g->state == FG_UP)
		fg.drops++;
	else if (g->state == FG_HANDSHAKE)
		fg.hs_fail++;
	if (g->hello) {
		fg.up--;
		g->backoff_ms = 0;
	}
	if (g->s)
		gnutls_deinit(g->s);
	g->s = NULL;
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	g->ev = 0;
	g->hello = false;
	rgm_frame_dec_teardown(&g->dec);
	rgm_frame_out_teardown(&g->out);
	fg_set_state(g, FG_IDLE);
	b = g->backoff_ms ? g->backoff_ms * 2 : FG_BACKOFF_MIN_MS;
	if (b > FG_BACKOFF_MAX_MS)
		b = FG_BACKOFF_MAX_MS;
	g->backoff_ms = b;
	b = b / 2 + fg_rand() % (b / 2);
	g->gen++;
	fg_timer_add(g - fg.gw, fg_now_ms() + b);
	(void)why;
}

static void fg_dial(struct fg_gw *g)
{
	unsigned int idx = g - fg.gw;
	struct sockaddr_in src = { .sin_family = AF_INET };
	int on = 1, ret;

	g->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fd < 0) {
		fprintf(stderr, "fleetgen: socket: %m\n");
		fg_set_state(g, FG_CONNECTING);
		fg_lost(g, "socket");
		return;
	}
	src.sin_addr.s_addr = htonl(ntohl(fg.src0.s_addr) + idx / FG_PER_SOURCE);
	setsockopt(g->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(on));
	setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	fg.connects++;
	fg_set_state(g, FG_CONNECTING);
	g->gen++;
	fg_timer_add(idx, fg_now_ms() + FG_DEADLINE_MS);
	if (bind(g->fd, (struct sockaddr *)&src, sizeof(src))) {
		fprintf(stderr, "fleetgen: bind %s: %m\n", inet_ntoa(src.sin_addr));
		fg_lost(g, "bind");
		return;
	}
	ret = connect(g->fd, (struct sockaddr *)&fg.dst, sizeof(fg.dst));
	if (ret && errno != EINPROGRESS) {
		fg_lost(g, "connect");
		return;
	}
	fg_watch(g, EPOLLOUT);
}

static int fg_tls_start(struct fg_gw *g)
{
	if (gnutls_init(&g->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0)
		return -1;
	gnutls_session_set_ptr(g->s, g);
	gnutls_priority_set(g->s, fg.prio);
	gnutls_credentials_set(g->s, GNUTLS_CRD_CERTIFICATE, fg.cred);
	gnutls_session_set_verify_cert(g->s, NULL, 0);
	gnutls_transport_set_int(g->s, g->fd);
	rgm_frame_dec_setup(&g->dec, 0);
	rgm_frame_out_setup(&g->out, FG_OUT_LIMIT);
	fg_set_state(g, FG_HANDSHAKE);
	return 0;
}

static uint32_t fg_dir(struct fg_gw *g)
{
	return gnutls_record_get_direction(g->s) ? EPOLLOUT : EPOLLIN;
}

/* ---- the protocol (replies only; what rgmd answers, without a kernel) */

static const char *fg_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static int64_t fg_int(struct json_object *o, const char *k, int64_t def)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int) ?
	       json_object_get_int64(v) : def;
}

static bool fg_bool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

/* span consecutive ports (an even first one when pairs) from the cursor */
static uint16_t fg_port(struct fg_gw *g, unsigned int span, bool even)
{
	uint16_t p = g->cursor;

	if (even && (p & 1))
		p++;
	if (p + span - 1 > FG_PORT_MAX)
		p = FG_PORT_MIN;
	g->cursor = p + span;
	return p;
}

static void fg_addr(struct fg_gw *g, char *buf, size_t len)
{
	struct in_addr a = { htonl(0xc6120000u + (uint32_t)(g - fg.gw) + 1) };

	inet_ntop(AF_INET, &a, buf, len);
}

static struct json_object *fg_error(struct json_object *rep, const char *code, const char *msg)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(rep, "ok", json_object_new_boolean(false));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(rep, "error", e);
	return rep;
}

static struct json_object *fg_answer(struct fg_gw *g, struct json_object *req)
{
	struct json_object *rep = json_object_new_object(), *a, *v, *streams, *s, *o;
	const char *op = fg_str(req, "op"), *session = fg_str(req, "session");
	char addr[INET_ADDRSTRLEN], name[64];
	int64_t count;
	size_t i, n;
	bool pairs;

	fg_addr(g, addr, sizeof(addr));
	json_object_object_add(rep, "v", json_object_new_int(1));
	json_object_object_add(rep, "id", json_object_object_get_ex(req, "id", &v) ?
				json_object_get(v) : NULL);
	if (!op)
		return fg_error(rep, "bad-request", "op: required");
	if (!strcmp(op, "hello")) {
		json_object_object_add(rep, "ok", json_object_new_boolean(true));
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_int(1));
		json_object_object_add(rep, "versions", a);
		snprintf(name, sizeof(name), "%s%06u", fg.prefix, (unsigned int)(g - fg.gw));
		json_object_object_add(rep, "gateway", json_object_new_string(name));
		json_object_object_add(rep, "epoch", json_object_new_string(g->epoch));
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string(addr));
		json_object_object_add(rep, "global_addrs", a);
		o = json_object_new_object();
		json_object_object_add(o, "min", json_object_new_int(FG_PORT_MIN));
		json_object_object_add(o, "max", json_object_new_int(FG_PORT_MAX));
		json_object_object_add(rep, "ports", o);
		json_object_object_add(rep, "lease_max", json_object_new_int(3600));
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_string("tcp"));
		json_object_array_add(a, json_object_new_string("udp"));
		json_object_array_add(a, json_object_new_string("rtp"));
		json_object_object_add(rep, "streams", a);
		o = json_object_new_object();
		json_object_object_add(o, "max_per_host", json_object_new_int(16));
		json_object_object_add(o, "max_mappings", json_object_new_int(1024));
		json_object_object_add(o, "streams_per_map", json_object_new_int(32));
		json_object_object_add(o, "hold_max", json_object_new_int(60));
		json_object_object_add(rep, "limits", o);
		return rep;
	}
	if (!strcmp(op, "query") || !strcmp(op, "reserve")) {
		pairs = fg_bool(req, "pairs");
		count = fg_int(req, "count", 0);
		json_object_object_add(rep, "ok", json_object_new_boolean(true));
		if (session)
			json_object_object_add(rep, "session", json_object_new_string(session));
		json_object_object_add(rep, "global_addr", json_object_new_string(addr));
		if (json_object_object_get_ex(req, "ports", &v) &&
		    json_object_is_type(v, json_type_array)) {
			json_object_object_add(rep, "ports", json_object_get(v));
		} else {
			if (count < 1 || count > 1024)
				return fg_error(rep, "bad-request", "count: out of range");
			a = json_object_new_array();
			for (i = 0; i < (size_t)count; i++) {
				uint16_t p = fg_port(g, pairs ? 2 : 1, pairs);

				json_object_array_add(a, json_object_new_int(p));
				if (pairs && !strcmp(op, "reserve"))
					json_object_array_add(a, json_object_new_int(p + 1));
			}
			json_object_object_add(rep, "ports", a);
		}
		if (!strcmp(op, "reserve"))
			json_object_object_add(rep, "hold", json_object_new_int(fg_int(req, "hold", 10)));
		return rep;
	}
	if (!strcmp(op, "map")) {
		if (!session || !json_object_object_get_ex(req, "streams", &streams) ||
		    !json_object_is_type(streams, json_type_array))
			return fg_error(rep, "bad-request", "session, streams: required");
		json_object_object_add(rep, "ok", json_object_new_boolean(true));
		json_object_object_add(rep, "session", json_object_new_string(session));
		json_object_object_add(rep, "lease", json_object_new_int64(fg_int(req, "lease", 60)));
		json_object_object_add(rep, "replayed", json_object_new_boolean(false));
		a = json_object_new_array();
		n = json_object_array_length(streams);
		for (i = 0; i < n; i++) {
			struct json_object *in = json_object_array_get_idx(streams, i), *ids;
			bool rtcp = fg_bool(in, "rtcp");
			int64_t gp = fg_int(in, "global_port", -1);

			if (gp < 0)
				gp = fg_port(g, rtcp ? 2 : 1, rtcp);
			s = json_object_new_object();
			json_object_object_add(s, "global_addr", json_object_new_string(addr));
			json_object_object_add(s, "global_port", json_object_new_int((int)gp));
			ids = json_object_new_array();
			json_object_array_add(ids, json_object_new_int64(++g->mapping_id));
			if (rtcp) {
				json_object_object_add(s, "rtcp_port", json_object_new_int((int)gp + 1));
				json_object_array_add(ids, json_object_new_int64(++g->mapping_id));
			}
			json_object_object_add(s, "mapping_ids", ids);
			json_object_array_add(a, s);
		}
		json_object_object_add(rep, "streams", a);
		return rep;
	}
	if (!strcmp(op, "renew") || !strcmp(op, "unmap")) {
		if (!session)
			return fg_error(rep, "bad-request", "session: required");
		json_object_object_add(rep, "ok", json_object_new_boolean(true));
		json_object_object_add(rep, "session", json_object_new_string(session));
		if (op[0] == 'r')
			json_object_object_add(rep, "lease",
					       json_object_new_int64(fg_int(req, "lease", 60)));
		json_object_object_add(rep, "count", json_object_new_int(1));
		if (op[0] == 'u')
			json_object_object_add(rep, "released", json_object_new_int(0));
		return rep;
	}
	if (!strcmp(op, "list")) {
		json_object_object_add(rep, "ok", json_object_new_boolean(true));
		json_object_object_add(rep, "sessions", json_object_new_array());
		return rep;
	}
	return fg_error(rep, "unknown-op", op);
}

static int fg_flush(struct fg_gw *g)
{
	const uint8_t *p;
	size_t len;
	ssize_t ret;

	while ((p = rgm_frame_out_peek(&g->out, &len)) && len) {
		ret = gnutls_record_send(g->s, p, len);
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
			break;
		if (ret < 0)
			return -1;
		rgm_frame_out_consume(&g->out, ret);
	}
	fg_watch(g, EPOLLIN | (rgm_frame_out_pending(&g->out) ? EPOLLOUT : 0));
	return 0;
}

static int fg_request(struct fg_gw *g, const uint8_t *payload, size_t len)
{
	struct json_object *req, *rep;
	const char *text;
	int ret;

	req = json_tokener_parse(strndupa((const char *)payload, len));
	if (!req || !json_object_is_type(req, json_type_object)) {
		fg.bad++;
		json_object_put(req);
		return -1;
	}
	fg.requests++;
	rep = fg_answer(g, req);
	text = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PLAIN);
	ret = rgm_frame_out_push(&g->out, text, strlen(text), RGM_FRAME_MAX);
	if (!g->hello && !strcmp(fg_str(req, "op") ? : "", "hello")) {
		g->hello = true;
		g->backoff_ms = 0;
		fg.up++;
		g->gen++;	/* no deadline while up */
	}
	json_object_put(rep);
	json_object_put(req);
	return ret < 0 ? -1 : 0;
}

static int fg_read(struct fg_gw *g)
{
	uint8_t buf[16384];
	const uint8_t *pl;
	size_t used, off, plen;
	ssize_t n;
	int ret;

	for (;;) {
		n = gnutls_record_recv(g->s, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			break;
		if (n < 0 && !gnutls_error_is_fatal(n))
			continue;	/* e.g. a session ticket */
		if (n <= 0)
			return -1;
		for (off = 0; off < (size_t)n; off += used) {
			ret = rgm_frame_dec_feed(&g->dec, buf + off, n - off, &used);
			if (ret < 0)
				return -1;
			if (g->dec.ready) {
				pl = rgm_frame_dec_payload(&g->dec, &plen);
				if (fg_request(g, pl, plen))
					return -1;
			}
		}
	}
	return fg_flush(g);
}

static void fg_event(struct fg_gw *g, uint32_t ev)
{
	int err = 0, ret;
	socklen_t sl = sizeof(err);

	switch (g->state) {
	case FG_CONNECTING:
		if (getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &err, &sl) || err) {
			fg_lost(g, "connect");
			return;
		}
		if (fg_tls_start(g)) {
			fg_lost(g, "tls");
			return;
		}
		/* the client speaks first */
		__attribute__((fallthrough));
	case FG_HANDSHAKE:
		ret = gnutls_handshake(g->s);
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
			fg_watch(g, fg_dir(g));
			return;
		}
		if (ret < 0) {
			fg_lost(g, "handshake");
			return;
		}
		fg.hs_ok++;
		fg_set_state(g, FG_UP);
		/* hello may already be here */
		__attribute__((fallthrough));
	case FG_UP:
		if (fg_read(g))
			fg_lost(g, "read");
		return;
	case FG_IDLE:
		return;
	}
}

static void fg_status(int64_t t0)
{
	printf("fleetgen: t=%.1f up=%u tls=%u connecting=%u waiting=%u connects=%llu "
	       "handshakes=%llu failed=%llu drops=%llu requests=%llu bad=%llu\n",
	       (fg_now_ms() - t0) / 1000.0, fg.up, fg.count[FG_HANDSHAKE] + fg.count[FG_UP] - fg.up,
	       fg.count[FG_CONNECTING], fg.count[FG_IDLE], fg.connects, fg.hs_ok, fg.hs_fail,
	       fg.drops, fg.requests, fg.bad);
	fflush(stdout);
}

static void fg_signal(int sig)
{
	fg_stop = 1;
}

static int fg_run(const char *fleet, const char *ca, const char *target, unsigned int spread)
{
	struct epoll_event evs[256];
	char host[64], *colon;
	int64_t now, t0 = fg_now_ms(), next_status = t0 + 1000;
	unsigned int i;
	int n, ret, wait;

	snprintf(host, sizeof(host), "%s", target);
	colon = strrchr(host, ':');
	if (!colon)
		goto bad_target;
	*colon = 0;
	fg.dst.sin_family = AF_INET;
	fg.dst.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &fg.dst.sin_addr) != 1 || !fg.dst.sin_port)
		goto bad_target;
	fg.gw = calloc(fg.n, sizeof(*fg.gw));
	if (!fg.gw || fg_load(fleet))
		return 1;
	gnutls_certificate_allocate_credentials(&fg.cred);
	ret = gnutls_certificate_set_x509_trust_file(fg.cred, ca, GNUTLS_X509_FMT_PEM);
	if (ret <= 0) {
		fprintf(stderr, "fleetgen: %s: no CA certificate\n", ca);
		return 1;
	}
	gnutls_certificate_set_retrieve_function2(fg.cred, fg_retrieve);
	if (gnutls_priority_init(&fg.prio, RGM_TLS_PRIORITY, NULL) < 0)
		return 1;
	fg.ep = epoll_create1(EPOLL_CLOEXEC);
	fg.count[FG_IDLE] = fg.n;
	for (i = 0; i < fg.n; i++) {
		struct fg_gw *g = &fg.gw[i];
		uint32_t r[2] = { fg_rand(), fg_rand() };

		g->fd = -1;
		g->cursor = FG_PORT_MIN;
		snprintf(g->epoch, sizeof(g->epoch), "%08x%08x", r[0], r[1]);
		fg_timer_add(i, t0 + (spread ? fg_rand() % spread : 0));
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, fg_signal);
	signal(SIGTERM, fg_signal);
	while (!fg_stop) {
		now = fg_now_ms();
		while (fg.heap_n && fg.heap[0].when <= now) {
			struct fg_timer t = fg.heap[0];
			struct fg_gw *g = &fg.gw[t.idx];

			fg_timer_pop();
			if (t.gen != g->gen)
				continue;
			if (g->state == FG_IDLE)
				fg_dial(g);
			else if (!g->hello)
				fg_lost(g, "deadline");
		}
		if (now >= next_status) {
			fg_status(t0);
			next_status += 1000;
		}
		wait = next_status - now;
		if (fg.heap_n && fg.heap[0].when - now < wait)
			wait = fg.heap[0].when - now;
		n = epoll_wait(fg.ep, evs, 256, wait < 0 ? 0 : wait);
		for (i = 0; i < (unsigned int)(n > 0 ? n : 0); i++)
			fg_event(&fg.gw[evs[i].data.u32], evs[i].events);
	}
	fg_status(t0);
	return 0;
bad_target:
	fprintf(stderr, "fleetgen: -t %s: not IPV4:PORT\n", target);
	return 2;
}

static void fg_usage(void)
{
	fprintf(stderr,
		"usage: fleetgen keys -n K -c CA.pem -k CA.key -o FLEET.pem [-p PREFIX]\n"
		"       fleetgen run -n K -f FLEET.pem -a CA.pem -t IPV4:PORT [-s SPREAD_MS]\n"
		"                    [-p PREFIX] [-b FIRST-SOURCE-ADDR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ca = NULL, *cakey = NULL, *out = NULL, *fleet = NULL, *target = NULL;
	const char *src = "127.0.0.2";
	unsigned int spread = 0;
	bool keys;
	int opt;

	if (argc < 2)
		fg_usage();
	keys = !strcmp(argv[1], "keys");
	if (!keys && strcmp(argv[1], "run"))
		fg_usage();
	fg.prefix = "fleet-";
	optind = 2;
	while ((opt = getopt(argc, argv, "n:c:k:o:p:f:a:t:s:b:")) != -1) {
		switch (opt) {
		case 'n': fg.n = strtoul(optarg, NULL, 10); break;
		case 'c': ca = optarg; break;
		case 'k': cakey = optarg; break;
		case 'o': out = optarg; break;
		case 'p': fg.prefix = optarg; break;
		case 'f': fleet = optarg; break;
		case 'a': ca = optarg; break;
		case 't': target = optarg; break;
		case 's': spread = strtoul(optarg, NULL, 10); break;
		case 'b': src = optarg; break;
		default: fg_usage();
		}
	}
	if (!fg.n || fg.n > FG_MAX || strlen(fg.prefix) > 40) {
		fprintf(stderr, "fleetgen: -n 1..%u gateways, -p at most 40 characters\n", FG_MAX);
		return 2;
	}
	if (inet_pton(AF_INET, src, &fg.src0) != 1)
		fg_usage();
	if (gnutls_global_init() < 0)
		return 1;
	if (keys)
		return ca && cakey && out ? fg_keys(fg.n, ca, cakey, out) : (fg_usage(), 2);
	if (!fleet || !ca || !target)
		fg_usage();
	return fg_run(fleet, ca, target, spread);
}
