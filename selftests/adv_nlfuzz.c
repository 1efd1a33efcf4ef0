// SPDX-License-Identifier: GPL-2.0
/*
 * adv_nlfuzz: a bounded netlink fuzzer for the "rgm" generic netlink family
 * (Documentation/security.rst, "Kernel"). In a fresh network namespace, for
 * ADV_NLFUZZ_SECONDS (default 30), it sends messages built from a valid
 * request of every command, then mutated: attribute types, lengths, nest
 * flags and payload bytes changed, attributes duplicated, cut or appended,
 * the command, flags, genl version and reserved field randomised. Every
 * message asks for an ACK with extended ACKs on.
 *
 * TAP: every message is answered (no hang); every EINVAL/ERANGE refusal
 * carries an extack (a message or the offending attribute's offset); the
 * module still answers afterwards and its table is consistent (the dump
 * holds what the stats count, within max-mappings). run.sh checks dmesg
 * for splats after all tests.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "rgm_nl.h"

#define NLF_BUF		8192
#define NLF_ERRNO_MAX	140

static int nlf_tap;
static int nlf_fails;

static void nlf_ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void nlf_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", cond ? "" : "not ", ++nlf_tap);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		nlf_fails++;
}

/* xorshift: reproducible from the seed printed at the start */
static uint64_t nlf_state;
static uint32_t nlf_rand(void)
{
	nlf_state ^= nlf_state << 13;
	nlf_state ^= nlf_state >> 7;
	nlf_state ^= nlf_state << 17;
	return (uint32_t)(nlf_state >> 11);
}
static uint32_t nlf_below(uint32_t n) { return n ? nlf_rand() % n : 0; }

/* ---- message building ---- */

struct nlf_msg {
	unsigned char buf[NLF_BUF];
	size_t len;
};

static void *nlf_put(struct nlf_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t tot = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->len + tot > sizeof(m->buf))
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, tot - NLA_HDRLEN - len);
	m->len += tot;
	return a;
}
static void nlf_u8(struct nlf_msg *m, uint16_t t, uint8_t v) { nlf_put(m, t, &v, 1); }
static void nlf_u16(struct nlf_msg *m, uint16_t t, uint16_t v) { nlf_put(m, t, &v, 2); }
static void nlf_u32(struct nlf_msg *m, uint16_t t, uint32_t v) { nlf_put(m, t, &v, 4); }
static void nlf_u64(struct nlf_msg *m, uint16_t t, uint64_t v) { nlf_put(m, t, &v, 8); }
static size_t nlf_nest(struct nlf_msg *m, uint16_t t)
{
	size_t at = m->len;

	nlf_put(m, t | NLA_F_NESTED, NULL, 0);
	return at;
}
static void nlf_end(struct nlf_msg *m, size_t at)
{
	((struct nlattr *)(m->buf + at))->nla_len = m->len - at;
}

static uint32_t nlf_addr(void)
{
	static const char *const a[] = { "192.0.2.1", "192.0.2.2", "10.0.0.2", "0.0.0.0",
					 "255.255.255.255" };
	return inet_addr(a[nlf_below(5)]);
}
static uint16_t nlf_port(void)
{
	static const uint16_t p[] = { 40000, 40001, 40999, 41000, 0, 65535, 5004 };
	return p[nlf_below(7)];
}

static void nlf_mapping(struct nlf_msg *m)
{
	size_t n = nlf_nest(m, RGM_A_MAPPING);

	nlf_u8(m, RGM_MAP_A_PROTO, nlf_below(4) ? IPPROTO_UDP : IPPROTO_TCP);
	if (nlf_below(2))
		nlf_u8(m, RGM_MAP_A_STREAM, nlf_below(5));
	if (nlf_below(2)) {
		nlf_u32(m, RGM_MAP_A_SERVER_ADDR, nlf_addr());
		nlf_u16(m, RGM_MAP_A_SERVER_PORT, htons(nlf_port()));
	}
	nlf_u32(m, RGM_MAP_A_GLOBAL_ADDR, inet_addr("192.0.2.1"));
	nlf_u16(m, RGM_MAP_A_GLOBAL_PORT, htons(40000 + nlf_below(1000)));
	nlf_u32(m, RGM_MAP_A_LOCAL_ADDR, inet_addr("10.0.0.2"));
	nlf_u16(m, RGM_MAP_A_LOCAL_PORT, htons(5000 + nlf_below(100)));
	nlf_u32(m, RGM_MAP_A_LEASE, 1 + nlf_below(100));
	if (nlf_below(2))
		nlf_u64(m, RGM_MAP_A_OWNER, nlf_below(4));
	nlf_end(m, n);
}

static void nlf_selector(struct nlf_msg *m)
{
	size_t n;

	switch (nlf_below(4)) {
	case 0:
		nlf_u32(m, RGM_A_MAP_ID, nlf_below(64));
		break;
	case 1:
		n = nlf_nest(m, RGM_A_KEY);
		nlf_u8(m, RGM_MAP_A_PROTO, IPPROTO_UDP);
		nlf_u32(m, RGM_MAP_A_GLOBAL_ADDR, inet_addr("192.0.2.1"));
		nlf_u16(m, RGM_MAP_A_GLOBAL_PORT, htons(40000 + nlf_below(1000)));
		nlf_end(m, n);
		break;
	case 2:
		nlf_u64(m, RGM_A_OWNER, nlf_below(4));
		break;
	default:
		nlf_put(m, RGM_A_ALL, NULL, 0);
	}
}

/* A valid request of command CMD (attributes only). */
static void nlf_valid(struct nlf_msg *m, uint8_t cmd)
{
	size_t n, n2;
	unsigned int i, k;

	switch (cmd) {
	case RGM_CMD_MAP_ADD:
		n = nlf_nest(m, RGM_A_MAPPINGS);
		for (i = 0, k = 1 + nlf_below(3); i < k; i++)
			nlf_mapping(m);
		nlf_end(m, n);
		break;
	case RGM_CMD_MAP_DEL:
	case RGM_CMD_MAP_GET:
		nlf_selector(m);
		break;
	case RGM_CMD_MAP_RENEW:
		nlf_selector(m);
		nlf_u32(m, RGM_A_LEASE, 1 + nlf_below(100));
		break;
	case RGM_CMD_PORTS_FREE:
		nlf_u8(m, RGM_A_PROTO, nlf_below(2) ? IPPROTO_UDP : IPPROTO_TCP);
		nlf_u32(m, RGM_A_COUNT, 1 + nlf_below(8));
		if (nlf_below(2))
			nlf_u32(m, RGM_A_FLAGS, nlf_below(4));
		if (nlf_below(2))
			nlf_u32(m, RGM_A_GLOBAL_ADDR, nlf_addr());
		break;
	case RGM_CMD_CONFIG_SET:
		n = nlf_nest(m, RGM_A_CONFIG);
		if (nlf_below(4) == 0) {
			n2 = nlf_nest(m, RGM_CFG_A_GLOBAL_ADDRS);
			nlf_u32(m, RGM_CFG_A_ADDR, inet_addr("192.0.2.1"));
			if (nlf_below(2))
				nlf_u32(m, RGM_CFG_A_ADDR, nlf_addr());
			nlf_end(m, n2);
		}
		if (nlf_below(2))
			nlf_u32(m, RGM_CFG_A_LEASE_MAX, nlf_below(200));
		if (nlf_below(3) == 0)
			nlf_u32(m, RGM_CFG_A_MAX_MAPPINGS, nlf_below(5000));
		nlf_end(m, n);
		break;
	default:	/* CONFIG_GET, STATS_GET, notifications, unknown */
		break;
	}
}

/* Mutations of the attribute area [0, len). */
static void nlf_mutate(struct nlf_msg *m)
{
	unsigned int i, k = nlf_below(4);
	struct nlattr *a;
	size_t off;

	for (i = 0; i < k || (k == 0 && i == 0 && nlf_below(8)); i++) {
		if (!m->len) {
			unsigned char junk[64];
			size_t j, l = nlf_below(sizeof(junk));

			for (j = 0; j < l; j++)
				junk[j] = nlf_rand();
			nlf_put(m, nlf_below(RGM_A_MAX + 3), junk, l);
			continue;
		}
		/* an attribute header somewhere in the message (on 4-byte bounds) */
		off = (nlf_below(m->len / 4)) * 4;
		a = (struct nlattr *)(m->buf + off);
		switch (nlf_below(9)) {
		case 0: a->nla_type = nlf_below(RGM_A_MAX + 4) | (a->nla_type & NLA_F_NESTED); break;
		case 1: a->nla_type ^= NLA_F_NESTED; break;
		case 2: a->nla_len = nlf_below(a->nla_len + 9); break;
		case 3: a->nla_len += 4 * (1 + nlf_below(4)); break;
		case 4: m->buf[off + nlf_below(m->len - off)] ^= 1u << nlf_below(8); break;
		case 5: m->buf[nlf_below(m->len)] = nlf_rand(); break;
		case 6: m->len = off; break;	/* cut */
		case 7:	/* duplicate the message's attributes */
			if (2 * m->len <= sizeof(m->buf)) {
				memcpy(m->buf + m->len, m->buf, m->len);
				m->len *= 2;
			}
			break;
		default: nlf_u32(m, nlf_below(RGM_A_MAX + 4), nlf_rand()); break;
		}
	}
}

/* ---- send and receive ---- */

struct nlf_sock {
	int fd;
	int family;
	uint32_t seq;
};

struct nlf_counts {
	unsigned long sent, acked, refused, hung, refused_ext;
	unsigned long by_errno[NLF_ERRNO_MAX], ext_by_errno[NLF_ERRNO_MAX];
	unsigned long invalid_without_extack;
};

static int nlf_open(struct nlf_sock *s)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct timeval tv = { .tv_sec = 5 };
	int one = 1;

	if (!sk || genl_connect(sk))
		return -1;
	s->family = genl_ctrl_resolve(sk, RGM_GENL_NAME);
	nl_socket_free(sk);
	if (s->family < 0)
		return -1;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

/* Does the error (or a dump's NLMSG_DONE) carry an extack (text or offset)? */
static int nlf_has_extack(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (h->nlmsg_type == NLMSG_DONE)
		off = NLA_ALIGN(sizeof(int));
	else if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	while (NLMSG_HDRLEN + off + NLA_HDRLEN <= h->nlmsg_len) {
		a = (const struct nlattr *)((const char *)NLMSG_DATA(h) + off);
		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG ||
		    (a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS)
			return 1;
		off += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

/* Sends one message, reads until its ACK or error (draining a dump). */
static void nlf_xfer(struct nlf_sock *s, const struct nlf_msg *m, uint8_t cmd,
		     uint16_t flags, uint8_t version, uint16_t resv, struct nlf_counts *c)
{
	static unsigned char out[NLF_BUF + 64], in[65536];
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	struct genlmsghdr *g = NLMSG_DATA(h);
	ssize_t r;
	int err;

	h->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + m->len;
	h->nlmsg_type = s->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++s->seq;
	h->nlmsg_pid = 0;
	g->cmd = cmd;
	g->version = version;
	g->reserved = resv;
	memcpy((char *)g + GENL_HDRLEN, m->buf, m->len);
	c->sent++;
	if (send(s->fd, out, h->nlmsg_len, 0) < 0) {
		c->refused++;
		return;
	}
	for (;;) {
		r = recv(s->fd, in, sizeof(in), 0);
		if (r < 0) {
			if (errno == ENOBUFS)
				continue;
			c->hung++;
			fprintf(stderr, "# no answer to cmd %u flags %#x (%zu bytes): %s\n",
				cmd, flags, m->len, strerror(errno));
			return;
		}
		for (h = (struct nlmsghdr *)in; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* a dump's end carries its final errno */
				err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
				      -*(int *)NLMSG_DATA(h) : 0;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			} else {
				continue;
			}
			if (err <= 0) {
				c->acked++;
				return;
			}
			c->refused++;
			if (err < NLF_ERRNO_MAX)
				c->by_errno[err]++;
			if (nlf_has_extack(h)) {
				c->refused_ext++;
				if (err < NLF_ERRNO_MAX)
					c->ext_by_errno[err]++;
			} else if (err == EINVAL || err == ERANGE) {
				if (c->invalid_without_extack++ < 5)
					fprintf(stderr, "# %s without extack: cmd %u flags %#x v%u resv %u, %zu bytes\n",
						strerror(err), cmd, flags, version, resv, m->len);
			}
			return;
		}
	}
}

static int nlf_count_cb(const struct rgm_map *m, void *arg)
{
	(void)m;
	(*(unsigned long *)arg)++;
	return 0;
}

static void nlf_restart(void *arg)
{
	*(unsigned long *)arg = 0;
}

int main(void)
{
	const char *env = getenv("ADV_NLFUZZ_SECONDS");
	unsigned int secs = env ? (unsigned int)atoi(env) : 30;
	struct rgm_config cfg = { 0 }, got;
	struct nlf_counts c = { 0 };
	struct rgm_stats st;
	struct rgm_nl *nl;
	struct nlf_sock s = { .fd = -1 };
	struct nlf_msg m;
	unsigned long n_dump = 0;
	time_t end;
	int e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	env = getenv("ADV_NLFUZZ_SEED");
	nlf_state = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + getpid();
	if (!nlf_state)
		nlf_state = 1;
	printf("# seed %llu (ADV_NLFUZZ_SEED to replay), %u s\n",
	       (unsigned long long)nlf_state, secs);

	if (unshare(CLONE_NEWNET)) {
		printf("not ok 1 a fresh network namespace (%s)\n1..1\n", strerror(errno));
		return 1;
	}
	if (rgm_nl_open(&nl) || nlf_open(&s)) {
		printf("not ok 1 the rgm family answers\n1..1\n");
		return 1;
	}
	cfg.addrs[0].s_addr = inet_addr("192.0.2.1");
	cfg.n_addrs = 1;
	cfg.port_min = 40000;
	cfg.port_max = 40999;
	cfg.max_mappings = 4096;
	cfg.set = RGM_CFG_SET_ADDRS | RGM_CFG_SET_PORT_MIN | RGM_CFG_SET_PORT_MAX |
		  RGM_CFG_SET_MAX_MAPPINGS;
	nlf_ok(rgm_nl_config_set(nl, &cfg) == 0, "the fuzzed namespace is configured");

	end = time(NULL) + secs;
	while (time(NULL) < end) {
		for (int i = 0; i < 64; i++) {
			uint8_t cmd = 1 + nlf_below(RGM_CMD_MAX);
			uint16_t flags = nlf_below(8) ? 0 : NLM_F_DUMP;

			m.len = 0;
			nlf_valid(&m, cmd);
			if (nlf_below(8))
				nlf_mutate(&m);
			if (nlf_below(16) == 0)
				cmd = nlf_below(RGM_CMD_MAX + 4);
			nlf_xfer(&s, &m, cmd, flags,
				 nlf_below(16) ? RGM_GENL_VERSION : nlf_below(256),
				 nlf_below(16) ? 0 : nlf_rand() & 0xffff, &c);
		}
	}

	printf("# %lu messages: %lu accepted, %lu refused (%lu with an extack), %lu unanswered\n",
	       c.sent, c.acked, c.refused, c.refused_ext, c.hung);
	for (e = 1; e < NLF_ERRNO_MAX; e++)
		if (c.by_errno[e])
			printf("#   %-28s %8lu, %lu with an extack\n", strerror(e), c.by_errno[e],
			       c.ext_by_errno[e]);
	nlf_ok(c.sent > 0 && c.hung == 0, "%lu fuzzed messages, every one answered", c.sent);
	nlf_ok(c.refused > c.sent / 4, "most malformed messages refused (%lu of %lu)",
	       c.refused, c.sent);
	nlf_ok(c.invalid_without_extack == 0,
	       "every EINVAL/ERANGE refusal carried an extack (%lu did not)",
	       c.invalid_without_extack);

	nlf_ok(rgm_nl_config_get(nl, &got) == 0, "the family still answers after the fuzzing");
	/* a lease may end between the two reads: a few tries */
	for (e = 0; e < 3; e++) {
		n_dump = 0;
		if (rgm_nl_stats_get(nl, &st) == 0 &&
		    rgm_nl_map_dump(nl, NULL, nlf_count_cb, nlf_restart, &n_dump) == 0 &&
		    n_dump == st.v[RGM_STATS_A_MAPPINGS])
			break;
	}
	nlf_ok(e < 3 && n_dump <= got.max_mappings,
	       "the table is consistent: the dump holds %lu, the stats count %llu, max %u",
	       n_dump, (unsigned long long)st.v[RGM_STATS_A_MAPPINGS], got.max_mappings);
	printf("# adv: hostile-requests %lu\n", c.sent);
	rgm_nl_close(nl);
	close(s.fd);
	printf("1..%d\n", nlf_tap);
	return nlf_fails ? 1 : 0;
}
