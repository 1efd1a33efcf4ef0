// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl mapping { add | del | show | renew | batch }
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgmctl.h"

#define OBJ		"mapping"
/* A batch line: "add" and up to 7 keyword/value pairs, with room to spare
 * so that a line with too many words is reported, not cut. */
#define BATCH_WORDS	32
#define BATCH_LINE_MAX	1024
/* The kernel decides how many mappings one batch may hold (RGM_BATCH_MAX);
 * this only bounds what we read. */
#define BATCH_MAPS_MAX	(16 * RGM_BATCH_MAX)

void mapping_usage(FILE *f)
{
	fprintf(f,
		"Usage: rgmctl mapping add proto { udp | tcp } [ stream { tcp | udp | rtp } ]\n"
		"                          global ADDR:PORT local ADDR:PORT\n"
		"                          [ server ADDR[:PORT] ] lease SECONDS [ owner COOKIE ]\n"
		"       rgmctl mapping add proto { udp | tcp } [ stream { tcp | udp | rtp } ]\n"
		"                          local [ADDR6]:PORT [ global [ADDR6]:PORT ]\n"
		"                          [ server [ADDR6][:PORT] ] lease SECONDS [ owner COOKIE ]\n"
		"                 (an IPv6 pinhole: global, if given, must equal local)\n"
		"       rgmctl mapping del { id ID | proto PROTO global ADDR:PORT | owner COOKIE | all }\n"
		"       rgmctl mapping { show | list } [ id ID | proto PROTO global ADDR:PORT |\n"
		"                                        owner COOKIE ]\n"
		"       rgmctl mapping renew { id ID | proto PROTO global ADDR:PORT | owner COOKIE }\n"
		"                            lease SECONDS\n"
		"       rgmctl mapping batch { FILE | - }\n"
		"                 (one \"add ...\" per line; all are installed or none)\n");
}

static void print_addr_port(const char *word, const char *akey, const char *pkey,
			    struct in_addr addr, uint16_t port)
{
	char buf[INET_ADDRSTRLEN + 8];
	char a[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &addr, a, sizeof(a)))
		a[0] = '\0';
	snprintf(buf, sizeof(buf), "%s:%u", a, port);
	rgm_print_string(RGM_PRINT_FP, NULL, word, buf);
	rgm_print_addr(RGM_PRINT_JSON, akey, NULL, addr);
	rgm_print_uint(RGM_PRINT_JSON, pkey, NULL, port);
}

/* A pinhole's endpoint: "[ADDR6]:PORT" in text, address and port in JSON. */
static void print_addr6_port(const char *word, const char *akey, const char *pkey,
			     const struct in6_addr *addr, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 10];
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, addr, a, sizeof(a)))
		a[0] = '\0';
	snprintf(buf, sizeof(buf), "[%s]:%u", a, port);
	rgm_print_string(RGM_PRINT_FP, NULL, word, buf);
	rgm_print_string(RGM_PRINT_JSON, akey, NULL, a);
	rgm_print_uint(RGM_PRINT_JSON, pkey, NULL, port);
}

static void print_server6(const struct rgm_map *m)
{
	char buf[INET6_ADDRSTRLEN + 10];
	char a[INET6_ADDRSTRLEN] = "any";
	bool any = IN6_IS_ADDR_UNSPECIFIED(&m->server_addr6);

	if (!any)
		inet_ntop(AF_INET6, &m->server_addr6, a, sizeof(a));
	if (m->server_port)
		snprintf(buf, sizeof(buf), any ? "%s:%u" : "[%s]:%u", a, m->server_port);
	else
		snprintf(buf, sizeof(buf), any ? "%s" : "[%s]", a);
	if (!any || m->server_port)
		rgm_print_string(RGM_PRINT_FP, NULL, "server %s ", buf);

	if (!any)
		rgm_print_addr6(RGM_PRINT_JSON, "server_addr", NULL, &m->server_addr6);
	else
		rgm_print_null(RGM_PRINT_JSON, "server_addr", NULL);
	if (m->server_port)
		rgm_print_uint(RGM_PRINT_JSON, "server_port", NULL, m->server_port);
	else
		rgm_print_null(RGM_PRINT_JSON, "server_port", NULL);
}

static void print_server(const struct rgm_map *m)
{
	char buf[INET_ADDRSTRLEN + 8];
	char a[INET_ADDRSTRLEN] = "any";

	/* Wildcards: nothing in text, null in JSON. */
	if (m->server_addr.s_addr != htonl(INADDR_ANY))
		inet_ntop(AF_INET, &m->server_addr, a, sizeof(a));
	if (m->server_port)
		snprintf(buf, sizeof(buf), "%s:%u", a, m->server_port);
	else
		snprintf(buf, sizeof(buf), "%s", a);
	if (m->server_addr.s_addr != htonl(INADDR_ANY) || m->server_port)
		rgm_print_string(RGM_PRINT_FP, NULL, "server %s ", buf);

	if (m->server_addr.s_addr != htonl(INADDR_ANY))
		rgm_print_addr(RGM_PRINT_JSON, "server_addr", NULL, m->server_addr);
	else
		rgm_print_null(RGM_PRINT_JSON, "server_addr", NULL);
	if (m->server_port)
		rgm_print_uint(RGM_PRINT_JSON, "server_port", NULL, m->server_port);
	else
		rgm_print_null(RGM_PRINT_JSON, "server_port", NULL);
}

void rgmctl_print_mapping(const struct rgm_map *m)
{
	const char *proto = rgm_proto_name(m->proto);
	const char *stream = rgm_stream_name(m->stream);
	char pbuf[8], sbuf[8];

	if (!proto) {
		snprintf(pbuf, sizeof(pbuf), "%u", m->proto);
		proto = pbuf;
	}
	if (!stream && !m->stream)	/* the protocol's plain type */
		stream = rgm_stream_name(m->proto == IPPROTO_TCP ? RGM_STREAM_TCP
								 : RGM_STREAM_UDP);
	if (!stream) {
		snprintf(sbuf, sizeof(sbuf), "%u", m->stream);
		stream = sbuf;
	}

	rgm_print_uint(RGM_PRINT_ANY, "id", "id %u ", m->id);
	rgm_print_string(RGM_PRINT_ANY, "proto", "%s ", proto);
	rgm_print_string(RGM_PRINT_ANY, "stream", "%s ", stream);
	/* IPv4 output is as it was before pinholes: "family" only for them. */
	if (m->family == AF_INET6) {
		rgm_print_string(RGM_PRINT_JSON, "family", NULL, "inet6");
		print_server6(m);
		print_addr6_port("global %s ", "global_addr", "global_port", &m->global_addr6,
				 m->global_port);
		print_addr6_port("local %s ", "local_addr", "local_port", &m->local_addr6,
				 m->local_port);
	} else {
		print_server(m);
		print_addr_port("global %s ", "global_addr", "global_port", m->global_addr,
				m->global_port);
		print_addr_port("local %s ", "local_addr", "local_port", m->local_addr,
				m->local_port);
	}
	rgm_print_uint(RGM_PRINT_ANY, "lease", "lease %u ", m->lease);
	rgm_print_uint(RGM_PRINT_ANY, "expires", "expires %u ", m->expires);
	rgm_print_u64(RGM_PRINT_ANY, "owner", "owner 0x%" PRIx64 " ", m->owner);
	rgm_print_u64(RGM_PRINT_ANY, "packets_in", "in %" PRIu64 " pkts ", m->packets_in);
	rgm_print_u64(RGM_PRINT_ANY, "bytes_in", "%" PRIu64 " bytes ", m->bytes_in);
	rgm_print_u64(RGM_PRINT_ANY, "packets_out", "out %" PRIu64 " pkts ", m->packets_out);
	rgm_print_u64(RGM_PRINT_ANY, "bytes_out", "%" PRIu64 " bytes ", m->bytes_out);
	rgm_print_u64(RGM_PRINT_ANY, "drops", "drops %" PRIu64, m->drops);
}

static void print_mappings(const struct rgm_map *maps, size_t n)
{
	size_t i;

	rgm_print_open_array(NULL);
	for (i = 0; i < n; i++) {
		rgm_print_open_object(NULL);
		rgmctl_print_mapping(&maps[i]);
		rgm_print_close_object();
		rgm_print_nl();
	}
	rgm_print_close_array();
}

static int print_count(const char *key, const char *fmt, uint32_t count)
{
	rgm_print_open_object(NULL);
	rgm_print_uint(RGM_PRINT_ANY, key, fmt, count);
	rgm_print_close_object();
	rgm_print_nl();
	return RGMCTL_OK;
}

/* ---- add, batch ---- */

static int mapping_install(struct rgm_map *maps, unsigned int n)
{
	struct rgm_dp *nl;
	int ret;

	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	ret = rgm_dp_map_add(nl, maps, n);
	if (ret) {
		ret = rgmctl_nl_error(nl, ret);
	} else {
		print_mappings(maps, n);
		ret = RGMCTL_OK;
	}
	rgm_dp_close(nl);
	return ret;
}

static int mapping_add(int argc, char **argv)
{
	struct rgm_map m;
	char err[128];

	if (argc < 1)
		return rgmctl_usage_error(OBJ, "mapping add: missing arguments");
	if (rgm_parse_mapping(argc, argv, &m, err, sizeof(err)))
		return rgmctl_usage_error(OBJ, "mapping add: %s", err);
	return mapping_install(&m, 1);
}

static int mapping_batch(int argc, char **argv)
{
	char line[BATCH_LINE_MAX + 2];
	char *words[BATCH_WORDS];
	struct rgm_map *maps;
	unsigned int n = 0, lineno = 0;
	const char *name;
	char err[128];
	size_t len;
	FILE *f;
	int nw, ret = RGMCTL_OK;

	if (argc != 1)
		return rgmctl_usage_error(OBJ, argc ? "mapping batch: too many arguments" :
					  "mapping batch: missing FILE");
	name = argv[0];
	if (!strcmp(name, "-")) {
		f = stdin;
		name = "<stdin>";
	} else {
		f = fopen(name, "r");
		if (!f)
			return rgmctl_error("cannot open \"%s\": %s", name, strerror(errno));
	}
	maps = calloc(BATCH_MAPS_MAX, sizeof(*maps));
	if (!maps) {
		ret = rgmctl_error("%s", strerror(ENOMEM));
		goto out;
	}

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		len = strlen(line);
		if (len && line[len - 1] != '\n' && !feof(f)) {
			ret = rgmctl_usage_error(OBJ, "%s:%u: line longer than %d bytes", name,
						 lineno, BATCH_LINE_MAX);
			goto out;
		}
		nw = rgm_split_line(line, words, BATCH_WORDS);
		if (nw < 0) {
			ret = rgmctl_usage_error(OBJ, "%s:%u: too many words", name, lineno);
			goto out;
		}
		if (!nw)
			continue;
		if (!rgm_matches(words[0], "add")) {
			ret = rgmctl_usage_error(OBJ, "%s:%u: unknown command \"%s\" (only \"add\")",
						 name, lineno, words[0]);
			goto out;
		}
		if (n >= BATCH_MAPS_MAX) {
			ret = rgmctl_usage_error(OBJ, "%s:%u: more than %d mappings", name, lineno,
						 BATCH_MAPS_MAX);
			goto out;
		}
		if (rgm_parse_mapping(nw - 1, words + 1, &maps[n], err, sizeof(err))) {
			ret = rgmctl_usage_error(OBJ, "%s:%u: %s", name, lineno, err);
			goto out;
		}
		n++;
	}
	if (ferror(f)) {
		ret = rgmctl_error("reading \"%s\": %s", name, strerror(errno));
		goto out;
	}
	if (!n) {
		ret = rgmctl_usage_error(OBJ, "%s: no mapping to add", name);
		goto out;
	}
	ret = mapping_install(maps, n);
out:
	free(maps);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* ---- show ---- */

struct mapping_list {
	struct rgm_map *v;
	size_t n, cap;
};

static int mapping_collect(const struct rgm_map *m, void *arg)
{
	struct mapping_list *l = arg;
	struct rgm_map *v;
	size_t cap;

	if (l->n == l->cap) {
		/* The kernel bounds the table (max_mappings). */
		cap = l->cap ? l->cap * 2 : 64;
		v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *m;
	return 0;
}

static void mapping_restart(void *arg)
{
	struct mapping_list *l = arg;

	l->n = 0;
}

static int mapping_cmp(const void *a, const void *b)
{
	const struct rgm_map *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int mapping_show(int argc, char **argv)
{
	struct mapping_list l = { 0 };
	struct rgm_map m;
	struct rgm_sel sel;
	struct rgm_dp *nl;
	char err[128];
	int used, ret;

	memset(&sel, 0, sizeof(sel));
	if (argc) {
		if (rgm_parse_sel(argc, argv,
				  RGM_SEL_ALLOW(RGM_SEL_ID) | RGM_SEL_ALLOW(RGM_SEL_KEY) |
				  RGM_SEL_ALLOW(RGM_SEL_OWNER), &sel, &used, err, sizeof(err)))
			return rgmctl_usage_error(OBJ, "mapping show: %s", err);
		if (used < argc)
			return rgmctl_usage_error(OBJ, "mapping show: unexpected \"%s\"",
						  argv[used]);
	}

	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	if (argc && (sel.kind == RGM_SEL_ID || sel.kind == RGM_SEL_KEY)) {
		ret = rgm_dp_map_get(nl, &sel, &m);
		if (ret)
			goto err;
		print_mappings(&m, 1);
	} else {
		ret = rgm_dp_map_dump(nl, argc ? &sel.owner : NULL, mapping_collect,
				      mapping_restart, &l);
		if (ret)
			goto err;
		if (l.n)
			qsort(l.v, l.n, sizeof(*l.v), mapping_cmp);
		print_mappings(l.v, l.n);
	}
	free(l.v);
	rgm_dp_close(nl);
	return RGMCTL_OK;
err:
	ret = rgmctl_nl_error(nl, ret);
	free(l.v);
	rgm_dp_close(nl);
	return ret;
}

/* ---- del, renew ---- */

static int mapping_del(int argc, char **argv)
{
	struct rgm_sel sel;
	struct rgm_dp *nl;
	uint32_t count = 0;
	char err[128];
	int used, ret;

	if (rgm_parse_sel(argc, argv, ~0U, &sel, &used, err, sizeof(err)))
		return rgmctl_usage_error(OBJ, "mapping del: %s", err);
	if (used < argc)
		return rgmctl_usage_error(OBJ, "mapping del: unexpected \"%s\"", argv[used]);

	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	ret = rgm_dp_map_del(nl, &sel, &count);
	if (ret)
		ret = rgmctl_nl_error(nl, ret);
	else
		ret = print_count("deleted", "deleted %u", count);
	rgm_dp_close(nl);
	return ret;
}

static int mapping_renew(int argc, char **argv)
{
	char *rest[argc + 1];
	struct rgm_sel sel;
	struct rgm_dp *nl;
	uint32_t lease = 0, count = 0;
	bool have_lease = false;
	int i, nrest = 0, used, ret;
	char err[128];

	/* Take "lease S" out; the rest must be one selector. Selector words
	 * come in keyword/value pairs except "all". */
	for (i = 0; i < argc; ) {
		if (rgm_matches(argv[i], "lease")) {
			if (have_lease)
				return rgmctl_usage_error(OBJ, "mapping renew: \"lease\" given twice");
			if (i + 1 >= argc)
				return rgmctl_usage_error(OBJ, "mapping renew: \"lease\" needs an argument");
			if (rgm_parse_u32(argv[i + 1], 0, UINT32_MAX, &lease))
				return rgmctl_usage_error(OBJ, "mapping renew: bad lease \"%s\" (seconds)",
							  argv[i + 1]);
			have_lease = true;
			i += 2;
			continue;
		}
		rest[nrest++] = argv[i++];
		if (!rgm_matches(rest[nrest - 1], "all") && i < argc)
			rest[nrest++] = argv[i++];
	}
	if (rgm_parse_sel(nrest, rest,
			  RGM_SEL_ALLOW(RGM_SEL_ID) | RGM_SEL_ALLOW(RGM_SEL_KEY) |
			  RGM_SEL_ALLOW(RGM_SEL_OWNER), &sel, &used, err, sizeof(err)))
		return rgmctl_usage_error(OBJ, "mapping renew: %s", err);
	if (used < nrest)
		return rgmctl_usage_error(OBJ, "mapping renew: unexpected \"%s\"", rest[used]);
	if (!have_lease)
		return rgmctl_usage_error(OBJ, "mapping renew: missing \"lease\"");

	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	ret = rgm_dp_map_renew(nl, &sel, lease, &count);
	if (ret)
		ret = rgmctl_nl_error(nl, ret);
	else
		ret = print_count("renewed", "renewed %u", count);
	rgm_dp_close(nl);
	return ret;
}

enum { CMD_ADD, CMD_DEL, CMD_DELETE, CMD_SHOW, CMD_LIST, CMD_RENEW, CMD_BATCH, CMD_HELP };
static const char *const mapping_cmds[] = {
	[CMD_ADD] = "add", [CMD_DEL] = "del", [CMD_DELETE] = "delete", [CMD_SHOW] = "show",
	[CMD_LIST] = "list", [CMD_RENEW] = "renew", [CMD_BATCH] = "batch",
	[CMD_HELP] = "help", NULL
};

int do_mapping(int argc, char **argv)
{
	int k;

	if (argc < 1)
		return mapping_show(0, NULL);
	if (!strcmp(argv[0], "-h"))
		k = CMD_HELP;
	else
		k = rgmctl_subcmd(OBJ, argv[0], mapping_cmds);
	if (k < 0)
		return -k;
	argc--, argv++;
	/* "rgmctl mapping add help" */
	if (argc == 1 && !strcmp(argv[0], "help"))
		k = CMD_HELP;
	switch (k) {
	case CMD_ADD:
		return mapping_add(argc, argv);
	case CMD_DEL:
	case CMD_DELETE:
		return mapping_del(argc, argv);
	case CMD_SHOW:
	case CMD_LIST:
		return mapping_show(argc, argv);
	case CMD_RENEW:
		return mapping_renew(argc, argv);
	case CMD_BATCH:
		return mapping_batch(argc, argv);
	}
	mapping_usage(stdout);
	return RGMCTL_OK;
}
