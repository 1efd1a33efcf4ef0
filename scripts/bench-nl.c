// SPDX-License-Identifier: GPL-2.0
/*
 * bench-nl - the control-path clients of `make bench` (scripts/bench-vm.sh).
 * Run inside the namespace it measures (ip netns exec). Prints figures, one
 * "key value" line each; asserts nothing about them.
 *
 *   bench-nl fill GADDRS FROM TO          install mappings FROM..TO-1 (udp,
 *                                         any server, to 10.0.0.3:5000) in
 *                                         batches of RGM_BATCH_MAX; filler k
 *                                         takes global port PMIN + k % SPAN on
 *                                         address GADDRS[k / SPAN]
 *   bench-nl lat GADDR K                  K single adds, each followed by a
 *                                         delete by id, on GADDR (a probe
 *                                         address no filler uses); then 16
 *                                         (BENCH_NBATCH) batches of
 *                                         RGM_BATCH_MAX adds and
 *                                         one delete by owner
 *   bench-nl nft-lat TABLE MAP K          the same with libnftables on an
 *                                         nft map: add element / delete
 *                                         element, then 16 batches of 64
 *   bench-nl nft-rule TABLE CHAIN K       K single "add rule" (libnftables)
 *   bench-nl spawn K FILE ARGV...         runs ARGV K times, each "%d" in it
 *                                         replaced by the run's index: the
 *                                         cost of a command (iptables -A)
 *   bench-nl churn GADDR RATE SECS        adds and deletes RATE mappings a
 *                                         second on GADDR for SECS, in ticks
 *                                         of 100 ms, and reports the rate it
 *                                         reached and the slowest tick
 *
 * fill, lat and churn drive rgm.ko, or with BENCH_DP=nftables rgmd's
 * nftables dataplane (lib/rgm_dp.h), through the calls rgmd makes.
 * The port range is PMIN..PMAX (BENCH_PMIN/BENCH_PMAX in the environment,
 * default 1024..65535), as configured by the script.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <nftables/libnftables.h>
#include "rgm_dp.h"

extern char **environ;

#define LAN_HOST	"10.0.0.3"
#define LAN_PORT	5000
#define LEASE		3600
static unsigned int nbatch = 16;	/* BENCH_nbatch */

static unsigned int pmin = 1024, pmax = 65535;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Prints "NAME_p50_us .. NAME_p99_us .. NAME_max_us .." of v[0..n-1]. */
static void print_pct(const char *name, double *v, unsigned int n)
{
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	printf("%s_p50_us %.1f\n%s_p99_us %.1f\n%s_max_us %.1f\n",
	       name, v[n / 2] * 1e6, name, v[(n * 99) / 100] * 1e6,
	       name, v[n - 1] * 1e6);
}

static void map_init(struct rgm_map *m, struct in_addr g, unsigned int port,
		     uint64_t owner)
{
	memset(m, 0, sizeof(*m));
	m->proto = IPPROTO_UDP;
	m->global_addr = g;
	m->global_port = port;
	inet_pton(AF_INET, LAN_HOST, &m->local_addr);
	m->local_port = LAN_PORT;
	m->lease = LEASE;
	m->owner = owner;
}

static int nl_fail(struct rgm_dp *nl, const char *what, int err)
{
	fprintf(stderr, "bench-nl: %s: %s\n", what, err ? rgm_dp_errmsg(nl) : "?");
	return 1;
}

static int parse_addrs(char *list, struct in_addr *a, unsigned int max)
{
	unsigned int n = 0;
	char *s;

	for (s = strtok(list, ","); s; s = strtok(NULL, ",")) {
		if (n == max || inet_pton(AF_INET, s, &a[n]) != 1)
			return -1;
		n++;
	}
	return n;
}

static int do_fill(struct rgm_dp *nl, char *addrs, unsigned long from, unsigned long to)
{
	struct in_addr g[RGM_GLOBAL_ADDRS_MAX];
	struct rgm_map m[RGM_BATCH_MAX];
	unsigned long span = pmax - pmin + 1, k;
	unsigned int n = 0;
	int na, err;
	double t0;

	na = parse_addrs(addrs, g, RGM_GLOBAL_ADDRS_MAX);
	if (na <= 0 || to > span * na) {
		fprintf(stderr, "bench-nl fill: bad addresses or too many mappings\n");
		return 2;
	}
	t0 = now();
	for (k = from; k < to; k++) {
		map_init(&m[n++], g[k / span], pmin + k % span, 1);
		if (n == RGM_BATCH_MAX || k + 1 == to) {
			err = rgm_dp_map_add(nl, m, n);
			if (err)
				return nl_fail(nl, "fill", err);
			n = 0;
		}
	}
	printf("fill_adds_per_s %.0f\n", (to - from) / (now() - t0));
	return 0;
}

/* Batched: nbatch batches of RGM_BATCH_MAX adds, then one delete by owner. */
static int rgm_batched(struct rgm_dp *nl, struct in_addr g)
{
	struct rgm_map m[RGM_BATCH_MAX];
	struct rgm_sel sel = { .kind = RGM_SEL_OWNER, .owner = 7 };
	unsigned int b, i, port = pmin;
	uint32_t count;
	double t0, t1;
	int err;

	t0 = now();
	for (b = 0; b < nbatch; b++) {
		for (i = 0; i < RGM_BATCH_MAX; i++)
			map_init(&m[i], g, port++, 7);
		err = rgm_dp_map_add(nl, m, RGM_BATCH_MAX);
		if (err)
			return nl_fail(nl, "batched add", err);
	}
	t1 = now();
	err = rgm_dp_map_del(nl, &sel, &count);
	if (err || count != nbatch * RGM_BATCH_MAX)
		return nl_fail(nl, "delete by owner", err);
	printf("batch_adds_per_s %.0f\n", nbatch * RGM_BATCH_MAX / (t1 - t0));
	printf("owner_del_per_s %.0f\n", nbatch * RGM_BATCH_MAX / (now() - t1));
	return 0;
}

/*
 * The adds slower than 10 ms and the time between them: a cost that comes
 * back at a fixed period (the expiry scan runs once a second) shows as
 * gaps of that period. Prints "slow_adds N" and "slow_add_gaps_ms A,B,..".
 */
static void slow_gaps(const double *t, const double *at, unsigned int k)
{
	unsigned int i, n = 0;
	double last = -1;

	printf("slow_add_gaps_ms ");
	for (i = 0; i < k; i++) {
		if (t[i] < 0.010)
			continue;
		if (last >= 0)
			printf("%s%.0f", n > 1 ? "," : "", (at[i] - last) * 1e3);
		last = at[i];
		n++;
	}
	printf("%s\nslow_adds %u\n", n > 1 ? "" : "-", n);
}

static int do_lat(struct rgm_dp *nl, const char *addr, unsigned int k)
{
	double *add = calloc(k, sizeof(double)), *del = calloc(k, sizeof(double));
	double *at = calloc(k, sizeof(double));
	struct rgm_sel sel = { .kind = RGM_SEL_ID };
	struct rgm_map m;
	struct in_addr g;
	unsigned int i;
	uint32_t count;
	double t0, t1;
	int err;

	if (!add || !del || !at || inet_pton(AF_INET, addr, &g) != 1)
		return 2;
	for (i = 0; i < k; i++) {
		map_init(&m, g, pmin + i % (pmax - pmin + 1), 9);
		t0 = now();
		at[i] = t0;
		err = rgm_dp_map_add(nl, &m, 1);
		t1 = now();
		if (err)
			return nl_fail(nl, "add", err);
		sel.id = m.id;
		err = rgm_dp_map_del(nl, &sel, &count);
		if (err)
			return nl_fail(nl, "delete", err);
		add[i] = t1 - t0;
		del[i] = now() - t1;
	}
	slow_gaps(add, at, k);
	print_pct("add", add, k);
	print_pct("del", del, k);
	free(add);
	free(del);
	free(at);
	return rgm_batched(nl, g);
}

static int nft_run(struct nft_ctx *nft, const char *cmd)
{
	if (nft_run_cmd_from_buffer(nft, cmd)) {
		fprintf(stderr, "bench-nl: nft failed: %.200s\n", cmd);
		return -1;
	}
	return 0;
}

/* Elements on 192.0.2.1 (TEST-NET-1), an address no filler uses. */
static int do_nft_lat(const char *table, const char *map, unsigned int k)
{
	double *add = calloc(k, sizeof(double)), *del = calloc(k, sizeof(double));
	size_t cap = 64 * 64 + 256, len;
	char *buf = malloc(cap);
	struct nft_ctx *nft;
	unsigned int i, b;
	double t0, t1;

	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft || !add || !del || !buf)
		return 2;
	for (i = 0; i < k; i++) {
		snprintf(buf, cap, "add element ip %s %s { 192.0.2.1 . %u : %s . %u }",
			 table, map, pmin + i, LAN_HOST, LAN_PORT);
		t0 = now();
		if (nft_run(nft, buf))
			return 1;
		t1 = now();
		snprintf(buf, cap, "delete element ip %s %s { 192.0.2.1 . %u }",
			 table, map, pmin + i);
		if (nft_run(nft, buf))
			return 1;
		add[i] = t1 - t0;
		del[i] = now() - t1;
	}
	print_pct("add", add, k);
	print_pct("del", del, k);
	t0 = now();
	for (b = 0; b < nbatch; b++) {
		len = snprintf(buf, cap, "add element ip %s %s {", table, map);
		for (i = 0; i < 64; i++)
			len += snprintf(buf + len, cap - len, "%s 192.0.2.1 . %u : %s . %u",
					i ? "," : "", pmin + b * 64 + i, LAN_HOST, LAN_PORT);
		snprintf(buf + len, cap - len, " }");
		if (nft_run(nft, buf))
			return 1;
	}
	t1 = now();
	printf("batch_adds_per_s %.0f\n", nbatch * 64 / (t1 - t0));
	for (b = 0; b < nbatch; b++) {
		len = snprintf(buf, cap, "delete element ip %s %s {", table, map);
		for (i = 0; i < 64; i++)
			len += snprintf(buf + len, cap - len, "%s 192.0.2.1 . %u",
					i ? "," : "", pmin + b * 64 + i);
		snprintf(buf + len, cap - len, " }");
		if (nft_run(nft, buf))
			return 1;
	}
	nft_ctx_free(nft);
	free(buf);
	free(add);
	free(del);
	return 0;
}

/* Rules in a chain no hook jumps to: the cost of adding, not of matching. */
static int do_nft_rule(const char *table, const char *chain, unsigned int k)
{
	double *add = calloc(k, sizeof(double));
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	char buf[256];
	unsigned int i;
	double t0;

	if (!nft || !add)
		return 2;
	for (i = 0; i < k; i++) {
		snprintf(buf, sizeof(buf), "add rule ip %s %s ip daddr 192.0.2.1 udp dport %u dnat to %s:%u",
			 table, chain, pmin + i, LAN_HOST, LAN_PORT);
		t0 = now();
		if (nft_run(nft, buf))
			return 1;
		add[i] = now() - t0;
	}
	print_pct("add", add, k);
	snprintf(buf, sizeof(buf), "flush chain ip %s %s", table, chain);
	nft_run(nft, buf);
	nft_ctx_free(nft);
	free(add);
	return 0;
}

static int do_spawn(unsigned int k, int argc, char **argv)
{
	double *t = calloc(k, sizeof(double)), t0, total = 0;
	char **av = calloc(argc + 1, sizeof(char *));
	char **buf = calloc(argc + 1, sizeof(char *));
	unsigned int i;
	int j, st;
	pid_t pid;

	if (!t || !av || !buf)
		return 2;
	for (i = 0; i < k; i++) {
		/* "%d" anywhere in an argument: the run's number */
		for (j = 0; j < argc; j++) {
			char *p = strstr(argv[j], "%d");

			free(buf[j]);
			buf[j] = NULL;
			if (p && asprintf(&buf[j], "%.*s%u%s", (int)(p - argv[j]), argv[j],
					  pmin + i, p + 2) < 0)
				return 2;
			av[j] = buf[j] ? buf[j] : argv[j];
		}
		t0 = now();
		if (posix_spawnp(&pid, av[0], NULL, NULL, av, environ) ||
		    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "bench-nl: %s failed\n", av[0]);
			return 1;
		}
		t[i] = now() - t0;
		total += t[i];
	}
	print_pct("run", t, k);
	printf("run_total_s %.6f\n", total);
	for (j = 0; j < argc; j++)
		free(buf[j]);
	free(buf);
	free(t);
	free(av);
	return 0;
}

/*
 * Every 100 ms: RATE/10 adds in batches of RGM_BATCH_MAX (owner = the tick),
 * and one delete by owner of the mappings added a second earlier, so about
 * RATE mappings stay installed and RATE are added and RATE deleted each
 * second. A delete costs an RCU grace period and a conntrack walk per
 * message whatever it removes, so deletes go by owner, ten a second.
 */
static int do_churn(struct rgm_dp *nl, const char *addr, unsigned int rate, double secs)
{
	unsigned int per = rate / 10 ? rate / 10 : 1, i, n, ticks = secs * 10, t;
	struct rgm_map *m = calloc(per, sizeof(*m));
	struct rgm_sel sel = { .kind = RGM_SEL_OWNER };
	unsigned long adds = 0, dels = 0, span = pmax - pmin + 1;
	double t0, tick, worst = 0, start;
	struct in_addr g;
	uint32_t count;
	int err;

	if (!m || inet_pton(AF_INET, addr, &g) != 1 || (unsigned long)per * 10 * 2 > span)
		return 2;
	start = now();
	for (t = 0; t < ticks + 10; t++) {
		t0 = now();
		if (t < ticks) {
			for (i = 0; i < per; i += n) {
				n = per - i < RGM_BATCH_MAX ? per - i : RGM_BATCH_MAX;
				for (unsigned int j = 0; j < n; j++)
					map_init(&m[i + j], g,
						 pmin + ((unsigned long)t * per + i + j) % span,
						 1000 + t);
				err = rgm_dp_map_add(nl, &m[i], n);
				if (err)
					return nl_fail(nl, "churn add", err);
				adds += n;
			}
		}
		if (t >= 10) {
			sel.owner = 1000 + t - 10;
			err = rgm_dp_map_del(nl, &sel, &count);
			if (err)
				return nl_fail(nl, "churn delete", err);
			dels += count;
		}
		tick = now() - t0;
		if (tick > worst)
			worst = tick;
		/* pace: the next tick starts at start + (t + 1) * 100 ms */
		t0 = start + (t + 1) * 0.1 - now();
		if (t0 > 0)
			usleep(t0 * 1e6);
	}
	t0 = now() - start;
	/* the rate over the ticks that added (the last second only deletes) */
	printf("churn_adds %lu\nchurn_dels %lu\nchurn_secs %.2f\n", adds, dels, t0);
	printf("churn_ops_per_s %.0f\nchurn_worst_tick_ms %.2f\n", adds / (t0 - 1), worst * 1e3);
	free(m);
	return 0;
}

int main(int argc, char **argv)
{
	struct rgm_dp *nl = NULL;
	const char *e;
	int ret = 2, err;

	if ((e = getenv("BENCH_NBATCH")) && atoi(e) > 0)
		nbatch = atoi(e);
	if ((e = getenv("BENCH_PMIN")))
		pmin = atoi(e);
	if ((e = getenv("BENCH_PMAX")))
		pmax = atoi(e);
	if (argc < 2 || pmin < 1 || pmax > 65535 || pmin > pmax)
		goto usage;
	if (!strcmp(argv[1], "nft-lat") && argc == 5)
		return do_nft_lat(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(argv[1], "nft-rule") && argc == 5)
		return do_nft_rule(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(argv[1], "spawn") && argc >= 4)
		return do_spawn(atoi(argv[2]), argc - 3, argv + 3);

	e = getenv("BENCH_DP");
	err = rgm_dp_open(&nl, e && !strcmp(e, "nftables") ? RGM_DP_NFT : RGM_DP_KMOD);
	if (err) {
		fprintf(stderr, "bench-nl: %s\n", nl ? rgm_dp_errmsg(nl) : "no memory");
		rgm_dp_close(nl);
		return 1;
	}
	if (!strcmp(argv[1], "fill") && argc == 5)
		ret = do_fill(nl, argv[2], strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	else if (!strcmp(argv[1], "lat") && argc == 4)
		ret = do_lat(nl, argv[2], atoi(argv[3]));
	else if (!strcmp(argv[1], "churn") && argc == 5)
		ret = do_churn(nl, argv[2], atoi(argv[3]), atof(argv[4]));
	rgm_dp_close(nl);
	if (ret != 2)
		return ret;
usage:
	fprintf(stderr, "usage: see the comment at the top of scripts/bench-nl.c\n");
	return 2;
}
