// SPDX-License-Identifier: GPL-2.0
/*
 * The "rgm" generic netlink family against include/uapi/linux/rgm.h: every
 * command, its replies, events and every class of bad input.
 *
 * Each test runs in a network namespace of its own (the fixture unshares
 * one), so no test sees another's mappings or configuration. Well-formed
 * requests go through lib/rgm_nl.h, the client every program uses; bad
 * ones are built by hand with libnl (genlmsg_put + nla_put) on a socket of
 * our own with NETLINK_EXT_ACK on, so that the error and its extack text
 * can be checked without any client-side validation in the way.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "rgm_nl.h"
#include "kselftest_harness.h"

#define GA1	"198.51.100.1"
#define GA2	"198.51.100.2"
#define LAN1	"10.0.0.2"
#define SRV	"203.0.113.7"

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct rgm_map mk(uint8_t proto, uint16_t gport, uint16_t lport)
{
	struct rgm_map m = {
		.proto = proto,
		.global_addr = ip(GA1),
		.global_port = gport,
		.local_addr = ip(LAN1),
		.local_port = lport,
		.lease = 60,
	};
	return m;
}

/* ------------------------------------------------------------ raw netlink */

struct raw {
	struct nl_sock *sk;
	int fam;
	char ext[512];		/* extack message of the last error, "" if none */
	int n_replies;		/* messages other than ACK/DONE of the last xfer */
};

typedef void (*raw_cb)(struct nlattr **tb, uint8_t cmd, void *arg);

static int raw_open(struct raw *r)
{
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->sk = nl_socket_alloc();
	if (!r->sk)
		return -ENOMEM;
	if (genl_connect(r->sk))
		return -ENOTCONN;
	r->fam = genl_ctrl_resolve(r->sk, RGM_GENL_NAME);
	if (r->fam < 0)
		return -ENOENT;
	if (setsockopt(nl_socket_get_fd(r->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)))
		return -errno;
	nl_socket_set_buffer_size(r->sk, 1 << 20, 1 << 20);
	return 0;
}

static void raw_close(struct raw *r)
{
	if (r->sk)
		nl_socket_free(r->sk);
	r->sk = NULL;
}

static struct nl_msg *raw_msg(struct raw *r, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(1 << 16);

	if (m)
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, r->fam, 0, flags, cmd,
			    RGM_GENL_VERSION);
	return m;
}

static void raw_extack(struct raw *r, struct nlmsghdr *nlh, size_t skip)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || skip >= len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(skip)),
		      len - NLMSG_ALIGN(skip), NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(r->ext, sizeof(r->ext), "%.*s",
			 (int)nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	/*
	 * Policy errors (length, type, flag mask) carry netlink's generic text
	 * and the offending attribute's offset in the echoed request: append
	 * the name that offset resolves to, as rgm_nl (and so rgmctl) does, so
	 * the checks below see what a user is told.
	 */
	if (tb[NLMSGERR_ATTR_OFFS] && nlh->nlmsg_type == NLMSG_ERROR &&
	    !(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		struct nlmsgerr *e = NLMSG_DATA(nlh);
		const char *name = rgm_nl_attr_name(&e->msg, e->msg.nlmsg_len,
						    nla_get_u32(tb[NLMSGERR_ATTR_OFFS]));
		size_t n = strlen(r->ext);

		if (name)
			snprintf(r->ext + n, sizeof(r->ext) - n, " [attribute: %s]", name);
	}
}

/*
 * Sends m (freed) with NLM_F_ACK and reads until the ACK, the error or the
 * end of the dump. Replies go to cb. Returns 0 or the negative errno the
 * kernel answered; r->ext holds its extack message.
 */
static int raw_xfer(struct raw *r, struct nl_msg *m, raw_cb cb, void *arg)
{
	static char buf[1 << 17];
	int fd = nl_socket_get_fd(r->sk);
	uint32_t seq;
	int ret;

	r->ext[0] = '\0';
	r->n_replies = 0;
	nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send_auto(r->sk, m);
	seq = nlmsg_hdr(m)->nlmsg_seq;
	nlmsg_free(m);
	if (ret < 0)
		return -EIO;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;

		if (poll(&pfd, 1, 10000) != 1)
			return -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);
				size_t skip = sizeof(*e);

				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
				raw_extack(r, nlh, skip);
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = *(int *)NLMSG_DATA(nlh);

				raw_extack(r, nlh, sizeof(int));
				return err;
			}
			if (nlh->nlmsg_type == r->fam) {
				struct nlattr *tb[RGM_A_MAX + 1];
				struct genlmsghdr *g = nlmsg_data(nlh);

				r->n_replies++;
				if (cb && !genlmsg_parse(nlh, 0, tb, RGM_A_MAX, NULL))
					cb(tb, g->cmd, arg);
			}
		}
	}
}

/* Does the extack text name the attribute? Any of the '|'-separated
 * alternatives, compared without case, spaces, '_' or '-'. */
static void squash(const char *in, char *out, size_t len)
{
	size_t j = 0;

	for (; *in && j + 1 < len; in++)
		if ((*in >= 'a' && *in <= 'z') || (*in >= '0' && *in <= '9'))
			out[j++] = *in;
		else if (*in >= 'A' && *in <= 'Z')
			out[j++] = *in - 'A' + 'a';
	out[j] = '\0';
}

static bool ext_names(const struct raw *r, const char *alts)
{
	char text[512], alt[64];
	const char *p = alts;

	squash(r->ext, text, sizeof(text));
	while (*p) {
		size_t n = strcspn(p, "|");
		char one[64];

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		squash(one, alt, sizeof(alt));
		if (alt[0] && strstr(text, alt))
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/* Attributes of one mapping, written by hand: put_map() writes all of mk()'s
 * except the omitted ones, then these extra (or replacing) ones. */
struct xattr {
	uint16_t type;		/* 0 ends the list */
	uint16_t len;
	uint64_t val;		/* first len bytes (little endian host) */
};

#define OMIT(a) (1U << (a))

static void put_map(struct nl_msg *m, const struct rgm_map *mp, uint32_t omit,
		    const struct xattr *x)
{
	struct nlattr *n = nla_nest_start(m, RGM_A_MAPPING | NLA_F_NESTED);

#define PUT(a, fn, v) do { if (!(omit & OMIT(a))) fn(m, a, v); } while (0)
	PUT(RGM_MAP_A_PROTO, nla_put_u8, mp->proto);
	if (mp->stream)
		PUT(RGM_MAP_A_STREAM, nla_put_u8, mp->stream);
	if (mp->server_addr.s_addr)
		PUT(RGM_MAP_A_SERVER_ADDR, nla_put_u32, mp->server_addr.s_addr);
	if (mp->server_port)
		PUT(RGM_MAP_A_SERVER_PORT, nla_put_u16, mp->server_port);
	PUT(RGM_MAP_A_GLOBAL_ADDR, nla_put_u32, mp->global_addr.s_addr);
	PUT(RGM_MAP_A_GLOBAL_PORT, nla_put_u16, mp->global_port);
	PUT(RGM_MAP_A_LOCAL_ADDR, nla_put_u32, mp->local_addr.s_addr);
	PUT(RGM_MAP_A_LOCAL_PORT, nla_put_u16, mp->local_port);
	PUT(RGM_MAP_A_LEASE, nla_put_u32, mp->lease);
	if (mp->owner)
		PUT(RGM_MAP_A_OWNER, nla_put_u64, mp->owner);
#undef PUT
	for (; x && x->type; x++)
		nla_put(m, x->type, x->len, &x->val);
	nla_nest_end(m, n);
}

/* MAP_ADD of one mapping built by put_map(). */
static int raw_add1(struct raw *r, const struct rgm_map *mp, uint32_t omit,
		    const struct xattr *x)
{
	struct nl_msg *m = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	struct nlattr *n = nla_nest_start(m, RGM_A_MAPPINGS | NLA_F_NESTED);

	put_map(m, mp, omit, x);
	nla_nest_end(m, n);
	return raw_xfer(r, m, NULL, NULL);
}

/* A request with one top-level attribute. */
static int raw_cmd1(struct raw *r, uint8_t cmd, int flags, uint16_t type, uint16_t len,
		    uint64_t val)
{
	struct nl_msg *m = raw_msg(r, cmd, flags);

	if (type)
		nla_put(m, type, len, &val);
	return raw_xfer(r, m, NULL, NULL);
}

static void put_key(struct nl_msg *m, uint8_t proto, const char *ga, uint16_t port)
{
	struct nlattr *k = nla_nest_start(m, RGM_A_KEY | NLA_F_NESTED);

	nla_put_u8(m, RGM_MAP_A_PROTO, proto);
	nla_put_u32(m, RGM_MAP_A_GLOBAL_ADDR, ip(ga).s_addr);
	nla_put_u16(m, RGM_MAP_A_GLOBAL_PORT, port);
	nla_nest_end(m, k);
}

/* ------------------------------------------------------------ helpers */

static int count_cb(const struct rgm_map *m, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static void count_reset(void *arg)
{
	*(unsigned int *)arg = 0;
}

static int n_mappings(struct rgm_nl *nl, const uint64_t *owner)
{
	unsigned int n = 0;
	int ret = rgm_nl_map_dump(nl, owner, count_cb, count_reset, &n);

	return ret ? ret : (int)n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct rgm_sel sel_id(uint32_t id)
{
	struct rgm_sel s = { .kind = RGM_SEL_ID, .id = id };
	return s;
}

static struct rgm_sel sel_key(uint8_t proto, uint16_t port)
{
	struct rgm_sel s = { .kind = RGM_SEL_KEY, .proto = proto,
			     .global_addr = ip(GA1), .global_port = port };
	return s;
}

static struct rgm_sel sel_owner(uint64_t owner)
{
	struct rgm_sel s = { .kind = RGM_SEL_OWNER, .owner = owner };
	return s;
}

/* Events seen by ev_cb. */
struct ev {
	uint8_t cmd, reason;
	uint32_t id;
	uint64_t owner;
	uint16_t gport;
};

struct evlog {
	struct ev e[256];
	unsigned int n;
};

static void ev_cb(uint8_t cmd, const struct rgm_map *m, uint8_t reason, void *arg)
{
	struct evlog *l = arg;

	if (l->n < 256)
		l->e[l->n++] = (struct ev){ cmd, reason, m->id, m->owner, m->global_port };
}

/* Collects events until want have arrived or ms passed. */
static void ev_wait(struct rgm_nl *ev, struct evlog *l, unsigned int want, int ms)
{
	double end = now_s() + ms / 1000.0;

	while (l->n < want && now_s() < end) {
		struct pollfd p = { .fd = rgm_nl_events_fd(ev), .events = POLLIN };

		if (poll(&p, 1, 100) == 1)
			rgm_nl_events_recv(ev, ev_cb, l);
	}
}

static const struct ev *ev_find(const struct evlog *l, uint8_t cmd, uint32_t id)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->e[i].cmd == cmd && l->e[i].id == id)
			return &l->e[i];
	return NULL;
}

/* ------------------------------------------------------------ fixture */

FIXTURE(rgm) {
	struct rgm_nl *nl;
	struct raw r;
};

static int set_globals(struct rgm_nl *nl)
{
	struct rgm_config c = { .set = RGM_CFG_SET_ADDRS, .n_addrs = 2 };

	c.addrs[0] = ip(GA1);
	c.addrs[1] = ip(GA2);
	return rgm_nl_config_set(nl, &c);
}

FIXTURE_SETUP(rgm)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("unshare: %s", strerror(errno));
	ASSERT_EQ(0, rgm_nl_open(&self->nl)) TH_LOG("is rgm.ko loaded?");
	ASSERT_EQ(0, raw_open(&self->r));
	/* Global addresses GA1, GA2; default ports 40000-49999. */
	ASSERT_EQ(0, set_globals(self->nl)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
}

FIXTURE_TEARDOWN(rgm)
{
	raw_close(&self->r);
	if (self->nl)
		rgm_nl_close(self->nl);
}

/* ------------------------------------------------------------ config */

TEST_F(rgm, config_defaults)
{
	struct rgm_nl *nl;
	struct rgm_config c;

	/* A namespace nobody configured yet. */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, rgm_nl_open(&nl));
	memset(&c, 0xff, sizeof(c));
	ASSERT_EQ(0, rgm_nl_config_get(nl, &c));
	EXPECT_EQ(0, c.n_addrs);
	EXPECT_EQ(RGM_DEFAULT_PORT_MIN, c.port_min);
	EXPECT_EQ(RGM_DEFAULT_PORT_MAX, c.port_max);
	EXPECT_EQ(RGM_DEFAULT_MAX_MAPPINGS, c.max_mappings);
	EXPECT_EQ(RGM_DEFAULT_LEASE_MAX, c.lease_max);

	/* No global address: nothing can be mapped. */
	do {
		struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);

		EXPECT_EQ(-EADDRNOTAVAIL, rgm_nl_map_add(nl, &m, 1));
	} while (0);
	rgm_nl_close(nl);
}

TEST_F(rgm, config_set_get)
{
	struct rgm_config c = {}, g;

	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &g));
	ASSERT_EQ(2, g.n_addrs);
	EXPECT_EQ(ip(GA1).s_addr, g.addrs[0].s_addr);
	EXPECT_EQ(ip(GA2).s_addr, g.addrs[1].s_addr);

	c.set = RGM_CFG_SET_PORT_MIN | RGM_CFG_SET_PORT_MAX |
		RGM_CFG_SET_MAX_MAPPINGS | RGM_CFG_SET_LEASE_MAX;
	c.port_min = 41000;
	c.port_max = 41999;
	c.max_mappings = 10;
	c.lease_max = 100;
	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &g));
	EXPECT_EQ(41000, g.port_min);
	EXPECT_EQ(41999, g.port_max);
	EXPECT_EQ(10, g.max_mappings);
	EXPECT_EQ(100, g.lease_max);
	EXPECT_EQ(2, g.n_addrs);

	/* Only what is present changes. */
	memset(&c, 0, sizeof(c));
	c.set = RGM_CFG_SET_LEASE_MAX;
	c.lease_max = 7;
	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c));
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &g));
	EXPECT_EQ(7, g.lease_max);
	EXPECT_EQ(41000, g.port_min);
	EXPECT_EQ(41999, g.port_max);
	EXPECT_EQ(10, g.max_mappings);
	EXPECT_EQ(2, g.n_addrs);

	/* Single address list replaces the old one. */
	memset(&c, 0, sizeof(c));
	c.set = RGM_CFG_SET_ADDRS;
	c.n_addrs = 1;
	c.addrs[0] = ip(GA2);
	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c));
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &g));
	ASSERT_EQ(1, g.n_addrs);
	EXPECT_EQ(ip(GA2).s_addr, g.addrs[0].s_addr);

	/* The new range and lease limit apply to MAP_ADD. */
	do {
		struct rgm_map m = mk(IPPROTO_UDP, 41000, 5000);

		m.global_addr = ip(GA2);
		m.lease = 8;
		EXPECT_EQ(-EINVAL, rgm_nl_map_add(self->nl, &m, 1));
		m.lease = 7;
		m.global_port = 40999;
		EXPECT_EQ(-ERANGE, rgm_nl_map_add(self->nl, &m, 1));
		m.global_port = 41000;
		m.global_addr = ip(GA1);
		EXPECT_EQ(-EADDRNOTAVAIL, rgm_nl_map_add(self->nl, &m, 1));
		m.global_addr = ip(GA2);
		EXPECT_EQ(0, rgm_nl_map_add(self->nl, &m, 1)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	} while (0);
}

/* CONFIG_SET with one hand-written nested attribute. */
static int raw_cfg1(struct raw *r, uint16_t type, uint16_t len, uint64_t val)
{
	struct nl_msg *m = raw_msg(r, RGM_CMD_CONFIG_SET, 0);
	struct nlattr *n = nla_nest_start(m, RGM_A_CONFIG | NLA_F_NESTED);

	nla_put(m, type, len, &val);
	nla_nest_end(m, n);
	return raw_xfer(r, m, NULL, NULL);
}

TEST_F(rgm, config_set_bad)
{
	struct raw *r = &self->r;
	struct rgm_config g;
	struct nl_msg *m;
	struct nlattr *n, *a;

	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_PORT_MIN, 2, 0));
	EXPECT_TRUE(ext_names(r, "port_min|min port|minimum port")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_PORT_MIN, 4, 40000));
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_PORT_MAX, 2, 0));
	EXPECT_TRUE(ext_names(r, "port_max|max port|maximum port|port")) TH_LOG("extack: '%s'", r->ext);
	/* PORT_MAX below the current PORT_MIN (40000). */
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_PORT_MAX, 2, 39999));
	EXPECT_TRUE(ext_names(r, "port")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_MAX_MAPPINGS, 4, 0));
	EXPECT_TRUE(ext_names(r, "max_mappings|mappings")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_MAX_MAPPINGS, 4, RGM_MAX_MAPPINGS_LIMIT + 1));
	EXPECT_TRUE(ext_names(r, "max_mappings|mappings")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_MAX_MAPPINGS, 2, 10));
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_LEASE_MAX, 4, 0));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_LEASE_MAX, 4, RGM_LEASE_LIMIT + 1));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cfg1(r, RGM_CFG_A_MAX + 1, 4, 1));
	EXPECT_NE(0, r->ext[0]) TH_LOG("no extack for an unknown attribute");

	/* PORT_MIN above PORT_MAX in one request. */
	m = raw_msg(r, RGM_CMD_CONFIG_SET, 0);
	n = nla_nest_start(m, RGM_A_CONFIG | NLA_F_NESTED);
	nla_put_u16(m, RGM_CFG_A_PORT_MIN, 45000);
	nla_put_u16(m, RGM_CFG_A_PORT_MAX, 44999);
	nla_nest_end(m, n);
	EXPECT_EQ(-EINVAL, raw_xfer(r, m, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "port")) TH_LOG("extack: '%s'", r->ext);

	/* More than RGM_GLOBAL_ADDRS_MAX addresses. */
	m = raw_msg(r, RGM_CMD_CONFIG_SET, 0);
	n = nla_nest_start(m, RGM_A_CONFIG | NLA_F_NESTED);
	a = nla_nest_start(m, RGM_CFG_A_GLOBAL_ADDRS | NLA_F_NESTED);
	for (int i = 0; i <= RGM_GLOBAL_ADDRS_MAX; i++)
		nla_put_u32(m, RGM_CFG_A_ADDR, htonl(0xc6336410 + i));
	nla_nest_end(m, a);
	nla_nest_end(m, n);
	EXPECT_EQ(-EINVAL, raw_xfer(r, m, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "addr")) TH_LOG("extack: '%s'", r->ext);

	/* An address of the wrong length. */
	m = raw_msg(r, RGM_CMD_CONFIG_SET, 0);
	n = nla_nest_start(m, RGM_A_CONFIG | NLA_F_NESTED);
	a = nla_nest_start(m, RGM_CFG_A_GLOBAL_ADDRS | NLA_F_NESTED);
	nla_put_u16(m, RGM_CFG_A_ADDR, 1);
	nla_nest_end(m, a);
	nla_nest_end(m, n);
	EXPECT_EQ(-EINVAL, raw_xfer(r, m, NULL, NULL));

	/* Nothing of the above changed anything. */
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &g));
	EXPECT_EQ(2, g.n_addrs);
	EXPECT_EQ(RGM_DEFAULT_PORT_MIN, g.port_min);
	EXPECT_EQ(RGM_DEFAULT_PORT_MAX, g.port_max);
	EXPECT_EQ(RGM_DEFAULT_MAX_MAPPINGS, g.max_mappings);
	EXPECT_EQ(RGM_DEFAULT_LEASE_MAX, g.lease_max);
}

TEST_F(rgm, config_ebusy)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40005, 5000);
	struct rgm_map m2 = mk(IPPROTO_TCP, 40006, 5000);
	struct rgm_config c = {}, g;

	m2.global_addr = ip(GA2);
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m2, 1));

	c.set = RGM_CFG_SET_PORT_MIN | RGM_CFG_SET_PORT_MAX;
	c.port_min = 41000;
	c.port_max = 41999;
	EXPECT_EQ(-EBUSY, rgm_nl_config_set(self->nl, &c));
	c.port_min = 40000;
	c.port_max = 40005;	/* 40006 falls out */
	EXPECT_EQ(-EBUSY, rgm_nl_config_set(self->nl, &c));
	c.port_min = 40005;
	c.port_max = 40006;	/* both inside */
	EXPECT_EQ(0, rgm_nl_config_set(self->nl, &c)) TH_LOG("%s", rgm_nl_errmsg(self->nl));

	memset(&c, 0, sizeof(c));
	c.set = RGM_CFG_SET_ADDRS;
	c.n_addrs = 1;
	c.addrs[0] = ip(GA1);	/* GA2 still used by m2 */
	EXPECT_EQ(-EBUSY, rgm_nl_config_set(self->nl, &c));

	memset(&c, 0, sizeof(c));
	c.set = RGM_CFG_SET_MAX_MAPPINGS;
	c.max_mappings = 1;
	EXPECT_EQ(-EBUSY, rgm_nl_config_set(self->nl, &c));
	c.max_mappings = 2;
	EXPECT_EQ(0, rgm_nl_config_set(self->nl, &c));

	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &g));
	EXPECT_EQ(2, g.n_addrs);
	EXPECT_EQ(40005, g.port_min);
	EXPECT_EQ(40006, g.port_max);
	EXPECT_EQ(2, g.max_mappings);

	/* Once the mapping is gone the address can go. */
	do {
		struct rgm_sel s = sel_id(m2.id);

		ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	} while (0);
	memset(&c, 0, sizeof(c));
	c.set = RGM_CFG_SET_ADDRS;
	c.n_addrs = 1;
	c.addrs[0] = ip(GA1);
	EXPECT_EQ(0, rgm_nl_config_set(self->nl, &c)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
}

/* ------------------------------------------------------------ add */

TEST_F(rgm, add_get_fields)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40010, 5004), g;
	struct rgm_sel s;

	m.stream = RGM_STREAM_RTP;
	m.server_addr = ip(SRV);
	m.server_port = 6970;
	m.global_addr = ip(GA2);
	m.owner = 0x1122334455667788ULL;
	m.lease = 300;
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	ASSERT_NE(0, m.id);

	s = sel_id(m.id);
	memset(&g, 0, sizeof(g));
	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_EQ(m.id, g.id);
	EXPECT_EQ(IPPROTO_UDP, g.proto);
	EXPECT_EQ(RGM_STREAM_RTP, g.stream);
	EXPECT_EQ(ip(SRV).s_addr, g.server_addr.s_addr);
	EXPECT_EQ(6970, g.server_port);
	EXPECT_EQ(ip(GA2).s_addr, g.global_addr.s_addr);
	EXPECT_EQ(40010, g.global_port);
	EXPECT_EQ(ip(LAN1).s_addr, g.local_addr.s_addr);
	EXPECT_EQ(5004, g.local_port);
	EXPECT_EQ(300, g.lease);
	EXPECT_EQ(0x1122334455667788ULL, g.owner);
	EXPECT_LE(g.expires, 300);
	EXPECT_GE(g.expires, 295);
	EXPECT_EQ(0, g.packets_in);
	EXPECT_EQ(0, g.bytes_in);
	EXPECT_EQ(0, g.packets_out);
	EXPECT_EQ(0, g.drops);

	/* by key */
	s.kind = RGM_SEL_KEY;
	s.proto = IPPROTO_UDP;
	s.global_addr = ip(GA2);
	s.global_port = 40010;
	memset(&g, 0, sizeof(g));
	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_EQ(m.id, g.id);

	/* the same port on the other protocol or address is another key */
	s.proto = IPPROTO_TCP;
	EXPECT_EQ(-ENOENT, rgm_nl_map_get(self->nl, &s, &g));
	s.proto = IPPROTO_UDP;
	s.global_addr = ip(GA1);
	EXPECT_EQ(-ENOENT, rgm_nl_map_get(self->nl, &s, &g));
	s = sel_id(m.id + 1000);
	EXPECT_EQ(-ENOENT, rgm_nl_map_get(self->nl, &s, &g));
}

TEST_F(rgm, add_defaults)
{
	struct rgm_map m[2] = { mk(IPPROTO_UDP, 40000, 5000), mk(IPPROTO_TCP, 40000, 5000) };
	struct rgm_map g;

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, m, 2)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_NE(m[0].id, m[1].id);
	for (int i = 0; i < 2; i++) {
		struct rgm_sel s = sel_id(m[i].id);

		memset(&g, 0xa5, sizeof(g));
		ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
		EXPECT_EQ(i ? RGM_STREAM_TCP : RGM_STREAM_UDP, g.stream);
		EXPECT_EQ(0, g.server_addr.s_addr);
		EXPECT_EQ(0, g.server_port);
		EXPECT_EQ(0, g.owner);
	}
}

TEST_F(rgm, add_missing_attrs)
{
	static const struct { int attr; const char *name; } req[] = {
		{ RGM_MAP_A_PROTO, "proto" },
		{ RGM_MAP_A_GLOBAL_ADDR, "global_addr|global address|globaladdr" },
		{ RGM_MAP_A_GLOBAL_PORT, "global_port|global port" },
		{ RGM_MAP_A_LOCAL_ADDR, "local_addr|local address" },
		{ RGM_MAP_A_LOCAL_PORT, "local_port|local port" },
		{ RGM_MAP_A_LEASE, "lease" },
	};
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct raw *r = &self->r;
	struct nl_msg *msg;

	for (unsigned int i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		EXPECT_EQ(-EINVAL, raw_add1(r, &m, OMIT(req[i].attr), NULL))
			TH_LOG("without %s", req[i].name);
		EXPECT_TRUE(ext_names(r, req[i].name))
			TH_LOG("missing %s, extack: '%s'", req[i].name, r->ext);
	}
	/* no RGM_A_MAPPINGS at all */
	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "mappings|mapping")) TH_LOG("extack: '%s'", r->ext);
	/* an empty batch */
	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	nla_nest_end(msg, nla_nest_start(msg, RGM_A_MAPPINGS | NLA_F_NESTED));
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));

	/* The well-formed one goes in: the errors above were the omissions. */
	EXPECT_EQ(0, raw_add1(r, &m, 0, NULL)) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(1, n_mappings(self->nl, NULL));
}

/* Is x of the wrong length for its attribute? (see extack_* tests) */
static bool bad_len(const struct xattr *x)
{
	switch (x->type) {
	case RGM_MAP_A_PROTO: case RGM_MAP_A_STREAM:
		return x->len != 1;
	case RGM_MAP_A_SERVER_PORT: case RGM_MAP_A_GLOBAL_PORT: case RGM_MAP_A_LOCAL_PORT:
		return x->len != 2;
	case RGM_MAP_A_SERVER_ADDR: case RGM_MAP_A_GLOBAL_ADDR: case RGM_MAP_A_LOCAL_ADDR:
	case RGM_MAP_A_LEASE:
		return x->len != 4;
	case RGM_MAP_A_OWNER:
		return x->len != 8;
	}
	return false;
}

TEST_F(rgm, add_wrong_types)
{
	static const struct { struct xattr x; const char *name; } bad[] = {
		{ { RGM_MAP_A_PROTO, 4, IPPROTO_UDP }, "proto" },
		{ { RGM_MAP_A_PROTO, 1, IPPROTO_ICMP }, "proto" },
		{ { RGM_MAP_A_PROTO, 1, 0 }, "proto" },
		{ { RGM_MAP_A_STREAM, 4, RGM_STREAM_UDP }, "stream" },
		{ { RGM_MAP_A_STREAM, 1, RGM_STREAM_MAX + 1 }, "stream" },
		{ { RGM_MAP_A_SERVER_ADDR, 2, 7 }, "server" },
		{ { RGM_MAP_A_SERVER_ADDR, 8, 7 }, "server" },
		{ { RGM_MAP_A_SERVER_PORT, 4, 6970 }, "server_port|server port" },
		{ { RGM_MAP_A_SERVER_PORT, 2, 0 }, "server_port|server port" },
		{ { RGM_MAP_A_GLOBAL_ADDR, 2, 1 }, "global_addr|global address" },
		{ { RGM_MAP_A_GLOBAL_PORT, 4, 40000 }, "global_port|global port" },
		{ { RGM_MAP_A_LOCAL_ADDR, 8, 1 }, "local_addr|local address" },
		{ { RGM_MAP_A_LOCAL_PORT, 4, 5000 }, "local_port|local port" },
		{ { RGM_MAP_A_LOCAL_PORT, 2, 0 }, "local_port|local port" },
		{ { RGM_MAP_A_LEASE, 2, 60 }, "lease" },
		{ { RGM_MAP_A_LEASE, 8, 60 }, "lease" },
		{ { RGM_MAP_A_OWNER, 4, 1 }, "owner" },
	};
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct raw *r = &self->r;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xattr x[2] = { bad[i].x, {} };

		EXPECT_EQ(-EINVAL, raw_add1(r, &m, OMIT(x[0].type), x))
			TH_LOG("attr %u len %u value %llu", x[0].type, x[0].len,
			       (unsigned long long)x[0].val);
		if (!bad_len(&x[0])) {
			EXPECT_TRUE(ext_names(r, bad[i].name))
				TH_LOG("attr %u len %u: extack '%s' does not name %s",
				       x[0].type, x[0].len, r->ext, bad[i].name);
		} else {
			EXPECT_NE(0, r->ext[0]);
		}
	}
	EXPECT_EQ(0, n_mappings(self->nl, NULL));
}

TEST_F(rgm, add_unknown_and_output_attrs)
{
	static const struct { struct xattr x; const char *name; } bad[] = {
		{ { RGM_MAP_A_MAX + 1, 4, 0 }, NULL },
		{ { RGM_MAP_A_ID, 4, 7 }, "id" },
		{ { RGM_MAP_A_EXPIRES, 4, 7 }, "expires" },
		{ { RGM_MAP_A_PACKETS_IN, 8, 7 }, "packets_in|packets" },
		{ { RGM_MAP_A_BYTES_IN, 8, 7 }, "bytes_in|bytes" },
		{ { RGM_MAP_A_PACKETS_OUT, 8, 7 }, "packets_out|packets" },
		{ { RGM_MAP_A_BYTES_OUT, 8, 7 }, "bytes_out|bytes" },
		{ { RGM_MAP_A_DROPS, 8, 7 }, "drops" },
	};
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct raw *r = &self->r;
	struct nl_msg *msg;
	struct nlattr *n;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xattr x[2] = { bad[i].x, {} };

		EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, x)) TH_LOG("attr %u", x[0].type);
		if (bad[i].name) {
			EXPECT_TRUE(ext_names(r, bad[i].name))
				TH_LOG("attr %u: extack '%s'", x[0].type, r->ext);
		} else {
			EXPECT_NE(0, r->ext[0]) TH_LOG("no extack, attr %u", x[0].type);
		}
	}

	/* unknown top-level attribute next to a valid batch */
	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	n = nla_nest_start(msg, RGM_A_MAPPINGS | NLA_F_NESTED);
	put_map(msg, &m, 0, NULL);
	nla_nest_end(msg, n);
	nla_put_u32(msg, RGM_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_NE(0, r->ext[0]);

	/* something else than RGM_A_MAPPING inside RGM_A_MAPPINGS */
	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	n = nla_nest_start(msg, RGM_A_MAPPINGS | NLA_F_NESTED);
	nla_put_u32(msg, RGM_A_MAP_ID, 1);
	nla_nest_end(msg, n);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));

	/* a mapping not nested in RGM_A_MAPPINGS */
	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	put_map(msg, &m, 0, NULL);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));

	EXPECT_EQ(0, n_mappings(self->nl, NULL));
}

TEST_F(rgm, add_bad_values)
{
	struct rgm_map m;
	struct raw *r = &self->r;
	static const char *const bad_local[] = {
		"0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", GA1, GA2,
	};

	/* stream / proto mismatch */
	m = mk(IPPROTO_TCP, 40000, 5000);
	m.stream = RGM_STREAM_RTP;
	EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "stream")) TH_LOG("extack: '%s'", r->ext);
	m.stream = RGM_STREAM_UDP;
	EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "stream")) TH_LOG("extack: '%s'", r->ext);
	m = mk(IPPROTO_UDP, 40000, 5000);
	m.stream = RGM_STREAM_TCP;
	EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "stream")) TH_LOG("extack: '%s'", r->ext);

	/* local address: unicast and not a global address */
	for (unsigned int i = 0; i < sizeof(bad_local) / sizeof(bad_local[0]); i++) {
		m = mk(IPPROTO_UDP, 40000, 5000);
		m.local_addr = ip(bad_local[i]);
		EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, NULL)) TH_LOG("local %s", bad_local[i]);
		EXPECT_TRUE(ext_names(r, "local")) TH_LOG("local %s: extack '%s'", bad_local[i], r->ext);
	}

	/* lease 0 and above lease_max */
	m = mk(IPPROTO_UDP, 40000, 5000);
	m.lease = 0;
	EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack: '%s'", r->ext);
	m.lease = RGM_DEFAULT_LEASE_MAX + 1;
	EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack: '%s'", r->ext);

	EXPECT_EQ(0, n_mappings(self->nl, NULL));

	/* exactly lease_max is fine */
	m.lease = RGM_DEFAULT_LEASE_MAX;
	EXPECT_EQ(0, raw_add1(r, &m, 0, NULL)) TH_LOG("extack: '%s'", r->ext);
}

TEST_F(rgm, add_erange_eaddrnotavail)
{
	struct rgm_map m = mk(IPPROTO_UDP, RGM_DEFAULT_PORT_MIN - 1, 5000);
	struct raw *r = &self->r;

	EXPECT_EQ(-ERANGE, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "global_port|global port|port")) TH_LOG("extack: '%s'", r->ext);
	m.global_port = RGM_DEFAULT_PORT_MAX + 1;
	EXPECT_EQ(-ERANGE, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "global_port|global port|port")) TH_LOG("extack: '%s'", r->ext);
	m.global_port = 80;
	EXPECT_EQ(-ERANGE, rgm_nl_map_add(self->nl, &m, 1));

	m.global_port = 40000;
	m.global_addr = ip("198.51.100.3");
	EXPECT_EQ(-EADDRNOTAVAIL, raw_add1(r, &m, 0, NULL));
	EXPECT_TRUE(ext_names(r, "global_addr|global address|address")) TH_LOG("extack: '%s'", r->ext);
	EXPECT_EQ(-EADDRNOTAVAIL, rgm_nl_map_add(self->nl, &m, 1));

	/* the edges of the range are in */
	m.global_addr = ip(GA1);
	m.global_port = RGM_DEFAULT_PORT_MIN;
	EXPECT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	m.global_port = RGM_DEFAULT_PORT_MAX;
	EXPECT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	EXPECT_EQ(2, n_mappings(self->nl, NULL));
}

TEST_F(rgm, add_eexist)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000), b[3];
	struct rgm_stats st;

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	m.local_port = 5001;	/* another target, same key */
	EXPECT_EQ(-EEXIST, rgm_nl_map_add(self->nl, &m, 1));
	m.proto = IPPROTO_TCP;	/* other protocol: other key */
	m.stream = 0;		/* the first add filled in "udp" */
	EXPECT_EQ(0, rgm_nl_map_add(self->nl, &m, 1)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	m.proto = IPPROTO_UDP;
	m.stream = 0;
	m.global_addr = ip(GA2);	/* other address: other key */
	EXPECT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	EXPECT_EQ(3, n_mappings(self->nl, NULL));

	/* duplicate inside one batch: nothing of it goes in */
	b[0] = mk(IPPROTO_UDP, 40100, 5000);
	b[1] = mk(IPPROTO_UDP, 40101, 5000);
	b[2] = mk(IPPROTO_UDP, 40100, 5002);
	EXPECT_EQ(-EEXIST, rgm_nl_map_add(self->nl, b, 3));
	EXPECT_EQ(3, n_mappings(self->nl, NULL));
	do {
		struct rgm_sel s = sel_key(IPPROTO_UDP, 40101);
		struct rgm_map g;

		EXPECT_EQ(-ENOENT, rgm_nl_map_get(self->nl, &s, &g));
	} while (0);
	/* batch whose last entry collides with an installed mapping */
	b[2] = mk(IPPROTO_UDP, 40000, 5002);
	EXPECT_EQ(-EEXIST, rgm_nl_map_add(self->nl, b, 3));
	EXPECT_EQ(3, n_mappings(self->nl, NULL));

	ASSERT_EQ(0, rgm_nl_stats_get(self->nl, &st));
	EXPECT_EQ(3, st.v[RGM_STATS_A_MAPPINGS]);
	EXPECT_EQ(3, st.v[RGM_STATS_A_ADDED]);
}

TEST_F(rgm, add_batch)
{
	struct rgm_map b[RGM_BATCH_MAX + 1];
	struct raw *r = &self->r;
	struct nl_msg *msg;
	struct nlattr *n;

	for (int i = 0; i <= RGM_BATCH_MAX; i++) {
		b[i] = mk(i % 2 ? IPPROTO_TCP : IPPROTO_UDP, 41000 + i, 1000 + i);
		b[i].owner = 77;
	}
	/* a bad entry in the middle: all or none */
	b[3].global_port = 39000;
	EXPECT_EQ(-ERANGE, rgm_nl_map_add(self->nl, b, 5));
	EXPECT_EQ(0, n_mappings(self->nl, NULL));
	b[3].global_port = 41003;
	b[4].lease = 0;
	EXPECT_EQ(-EINVAL, rgm_nl_map_add(self->nl, b, 5));
	EXPECT_EQ(0, n_mappings(self->nl, NULL));
	b[4].lease = 60;

	/* more than RGM_BATCH_MAX in one message is refused, nothing goes in */
	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	n = nla_nest_start(msg, RGM_A_MAPPINGS | NLA_F_NESTED);
	for (int i = 0; i <= RGM_BATCH_MAX; i++)
		put_map(msg, &b[i], 0, NULL);
	nla_nest_end(msg, n);
	EXPECT_NE(0, raw_xfer(r, msg, NULL, NULL));
	EXPECT_EQ(0, n_mappings(self->nl, NULL));

	/* RGM_BATCH_MAX goes in, ids in request order */
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, RGM_BATCH_MAX)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_EQ(RGM_BATCH_MAX, n_mappings(self->nl, NULL));
	for (int i = 0; i < RGM_BATCH_MAX; i++) {
		struct rgm_sel s = sel_id(b[i].id);
		struct rgm_map g;

		ASSERT_NE(0, b[i].id);
		for (int j = 0; j < i; j++)
			ASSERT_NE(b[j].id, b[i].id);
		ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
		EXPECT_EQ(41000 + i, g.global_port);
		EXPECT_EQ(1000 + i, g.local_port);
		EXPECT_EQ(b[i].proto, g.proto);
	}
}

/* The reply of MAP_ADD carries the installed mappings in order. */
struct addreply { unsigned int n; uint32_t id[8]; uint16_t port[8]; };

static void addreply_cb(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct addreply *a = arg;
	struct nlattr *nest;
	int rem;

	if (!tb[RGM_A_MAPPINGS])
		return;
	nla_for_each_nested(nest, tb[RGM_A_MAPPINGS], rem) {
		struct nlattr *mt[RGM_MAP_A_MAX + 1];

		if (a->n >= 8 || nla_parse_nested(mt, RGM_MAP_A_MAX, nest, NULL))
			continue;
		a->id[a->n] = mt[RGM_MAP_A_ID] ? nla_get_u32(mt[RGM_MAP_A_ID]) : 0;
		a->port[a->n] = mt[RGM_MAP_A_GLOBAL_PORT] ?
			nla_get_u16(mt[RGM_MAP_A_GLOBAL_PORT]) : 0;
		a->n++;
	}
}

TEST_F(rgm, add_reply)
{
	struct rgm_map b[3] = { mk(IPPROTO_UDP, 40003, 1), mk(IPPROTO_UDP, 40001, 2),
				    mk(IPPROTO_UDP, 40002, 3) };
	struct raw *r = &self->r;
	struct addreply a = {};
	struct nl_msg *msg;
	struct nlattr *n;

	msg = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	n = nla_nest_start(msg, RGM_A_MAPPINGS | NLA_F_NESTED);
	for (int i = 0; i < 3; i++)
		put_map(msg, &b[i], 0, NULL);
	nla_nest_end(msg, n);
	ASSERT_EQ(0, raw_xfer(r, msg, addreply_cb, &a)) TH_LOG("extack '%s'", r->ext);
	ASSERT_EQ(3, a.n);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(b[i].global_port, a.port[i]);
		EXPECT_NE(0, a.id[i]);
	}
	EXPECT_NE(a.id[0], a.id[1]);
	EXPECT_NE(a.id[1], a.id[2]);
	EXPECT_NE(a.id[0], a.id[2]);
}

TEST_F(rgm, add_enospc)
{
	struct rgm_config c = { .set = RGM_CFG_SET_MAX_MAPPINGS, .max_mappings = 3 };
	struct rgm_map b[3];
	struct rgm_sel s;

	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c));
	for (int i = 0; i < 3; i++)
		b[i] = mk(IPPROTO_UDP, 40000 + i, 5000);
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 2));
	b[0] = mk(IPPROTO_UDP, 40010, 5000);
	b[1] = mk(IPPROTO_UDP, 40011, 5000);
	/* two more would make four */
	EXPECT_EQ(-ENOSPC, rgm_nl_map_add(self->nl, b, 2));
	EXPECT_EQ(2, n_mappings(self->nl, NULL));
	EXPECT_EQ(0, rgm_nl_map_add(self->nl, b, 1));
	EXPECT_EQ(-ENOSPC, rgm_nl_map_add(self->nl, &b[1], 1));
	EXPECT_EQ(3, n_mappings(self->nl, NULL));
	/* a slot freed is a slot usable */
	s = sel_id(b[0].id);
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	EXPECT_EQ(0, rgm_nl_map_add(self->nl, &b[1], 1));
}

/* ------------------------------------------------------------ del */

TEST_F(rgm, del_selectors)
{
	struct rgm_map b[6];
	struct rgm_sel s;
	uint32_t count = 99;
	uint64_t o = 5;

	for (int i = 0; i < 6; i++) {
		b[i] = mk(IPPROTO_UDP, 40000 + i, 5000 + i);
		b[i].owner = i < 3 ? 5 : 6;
	}
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 6));

	s = sel_id(b[0].id);
	EXPECT_EQ(0, rgm_nl_map_del(self->nl, &s, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(-ENOENT, rgm_nl_map_del(self->nl, &s, &count));

	s = sel_key(IPPROTO_UDP, 40001);
	EXPECT_EQ(0, rgm_nl_map_del(self->nl, &s, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(-ENOENT, rgm_nl_map_del(self->nl, &s, &count));
	s = sel_key(IPPROTO_TCP, 40002);	/* right port, wrong proto */
	EXPECT_EQ(-ENOENT, rgm_nl_map_del(self->nl, &s, &count));
	EXPECT_EQ(4, n_mappings(self->nl, NULL));

	/* owner 5 has one left, owner 6 three */
	EXPECT_EQ(1, n_mappings(self->nl, &o));
	s = sel_owner(5);
	EXPECT_EQ(0, rgm_nl_map_del(self->nl, &s, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(0, rgm_nl_map_del(self->nl, &s, &count)) TH_LOG("owner matching nothing is not an error");
	EXPECT_EQ(0, count);
	EXPECT_EQ(3, n_mappings(self->nl, NULL));

	b[0] = mk(IPPROTO_TCP, 40000, 5000);
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 1));
	s.kind = RGM_SEL_ALL;
	EXPECT_EQ(0, rgm_nl_map_del(self->nl, &s, &count));
	EXPECT_EQ(4, count);
	EXPECT_EQ(0, n_mappings(self->nl, NULL));
	EXPECT_EQ(0, rgm_nl_map_del(self->nl, &s, &count));
	EXPECT_EQ(0, count);
}

static void count_reply_cb(struct nlattr **tb, uint8_t cmd, void *arg)
{
	if (tb[RGM_A_COUNT])
		*(int64_t *)arg = nla_get_u32(tb[RGM_A_COUNT]);
}

TEST_F(rgm, del_bad)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct raw *r = &self->r;
	struct nl_msg *msg;
	struct nlattr *k;
	int64_t count = -1;
	int ret;

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));

	/* no selector */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_DEL, 0, 0, 0, 0));
	EXPECT_NE(0, r->ext[0]);
	/* two selectors */
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, m.id);
	nla_put_u64(msg, RGM_A_OWNER, 0);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_NE(0, r->ext[0]);
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	nla_put_flag(msg, RGM_A_ALL);
	put_key(msg, IPPROTO_UDP, GA1, 40000);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, m.id);
	put_key(msg, IPPROTO_UDP, GA1, 40000);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	/* wrong lengths */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_DEL, 0, RGM_A_MAP_ID, 2, m.id));
	EXPECT_TRUE(ext_names(r, "id")) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_DEL, 0, RGM_A_OWNER, 4, 0));
	/* a flag with a payload: the kernel's own NLA_FLAG check says ERANGE */
	ret = raw_cmd1(r, RGM_CMD_MAP_DEL, 0, RGM_A_ALL, 4, 1);
	EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE) TH_LOG("flag with payload: %d", ret);
	/* unknown attribute next to a good selector */
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, m.id);
	nla_put_u32(msg, RGM_A_MAX + 1, 0);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	/* incomplete key */
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	k = nla_nest_start(msg, RGM_A_KEY | NLA_F_NESTED);
	nla_put_u8(msg, RGM_MAP_A_PROTO, IPPROTO_UDP);
	nla_put_u32(msg, RGM_MAP_A_GLOBAL_ADDR, ip(GA1).s_addr);
	nla_nest_end(msg, k);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "global_port|port|key")) TH_LOG("extack '%s'", r->ext);
	/* key with an attribute that is not part of a key */
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	k = nla_nest_start(msg, RGM_A_KEY | NLA_F_NESTED);
	nla_put_u8(msg, RGM_MAP_A_PROTO, IPPROTO_UDP);
	nla_put_u32(msg, RGM_MAP_A_GLOBAL_ADDR, ip(GA1).s_addr);
	nla_put_u16(msg, RGM_MAP_A_GLOBAL_PORT, 40000);
	nla_put_u16(msg, RGM_MAP_A_MAX + 1, 1);
	nla_nest_end(msg, k);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));

	/* still there; and raw deletion by key works and says 1 */
	EXPECT_EQ(1, n_mappings(self->nl, NULL));
	msg = raw_msg(r, RGM_CMD_MAP_DEL, 0);
	put_key(msg, IPPROTO_UDP, GA1, 40000);
	EXPECT_EQ(0, raw_xfer(r, msg, count_reply_cb, &count)) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(1, count);
	EXPECT_EQ(0, n_mappings(self->nl, NULL));
}

/* ------------------------------------------------------------ renew, get */

TEST_F(rgm, renew)
{
	struct rgm_map b[3], g;
	struct raw *r = &self->r;
	struct rgm_sel s;
	uint32_t count = 0;
	struct nl_msg *msg;

	for (int i = 0; i < 3; i++) {
		b[i] = mk(IPPROTO_UDP, 40000 + i, 5000);
		b[i].owner = i ? 9 : 8;
		b[i].lease = 30;
	}
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 3));

	s = sel_id(b[0].id);
	ASSERT_EQ(0, rgm_nl_map_renew(self->nl, &s, 1000, &count)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_EQ(1, count);
	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_EQ(1000, g.lease);
	EXPECT_GE(g.expires, 995);
	EXPECT_LE(g.expires, 1000);

	s = sel_owner(9);
	ASSERT_EQ(0, rgm_nl_map_renew(self->nl, &s, 500, &count));
	EXPECT_EQ(2, count);
	s = sel_key(IPPROTO_UDP, 40002);
	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_GE(g.expires, 495);
	EXPECT_LE(g.expires, 500);
	ASSERT_EQ(0, rgm_nl_map_renew(self->nl, &s, 2, &count));
	EXPECT_EQ(1, count);
	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_LE(g.expires, 2);

	s = sel_id(b[0].id + 100);
	EXPECT_EQ(-ENOENT, rgm_nl_map_renew(self->nl, &s, 10, &count));

	/* lease 0, above lease_max, missing, wrong length, no selector */
	msg = raw_msg(r, RGM_CMD_MAP_RENEW, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, b[0].id);
	nla_put_u32(msg, RGM_A_LEASE, 0);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack '%s'", r->ext);
	msg = raw_msg(r, RGM_CMD_MAP_RENEW, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, b[0].id);
	nla_put_u32(msg, RGM_A_LEASE, RGM_DEFAULT_LEASE_MAX + 1);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack '%s'", r->ext);
	msg = raw_msg(r, RGM_CMD_MAP_RENEW, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, b[0].id);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "lease")) TH_LOG("extack '%s'", r->ext);
	msg = raw_msg(r, RGM_CMD_MAP_RENEW, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, b[0].id);
	nla_put_u16(msg, RGM_A_LEASE, 10);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_RENEW, 0, RGM_A_LEASE, 4, 10));
	EXPECT_NE(0, r->ext[0]);
	msg = raw_msg(r, RGM_CMD_MAP_RENEW, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, b[0].id);
	nla_put_u64(msg, RGM_A_OWNER, 8);
	nla_put_u32(msg, RGM_A_LEASE, 10);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));

	/* none of that changed the lease of b[0] */
	s = sel_id(b[0].id);
	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_EQ(1000, g.lease);
}

TEST_F(rgm, get_bad)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct raw *r = &self->r;
	struct nl_msg *msg;
	int got = 0;

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	/* doit without selector */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_GET, 0, 0, 0, 0));
	EXPECT_NE(0, r->ext[0]);
	/* wrong length id */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_GET, 0, RGM_A_MAP_ID, 8, m.id));
	EXPECT_TRUE(ext_names(r, "id")) TH_LOG("extack '%s'", r->ext);
	/* id and key */
	msg = raw_msg(r, RGM_CMD_MAP_GET, 0);
	nla_put_u32(msg, RGM_A_MAP_ID, m.id);
	put_key(msg, IPPROTO_UDP, GA1, 40000);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	/* ENOENT */
	EXPECT_EQ(-ENOENT, raw_cmd1(r, RGM_CMD_MAP_GET, 0, RGM_A_MAP_ID, 4, m.id + 1));
	/* the raw doit answers with exactly one message */
	EXPECT_EQ(0, raw_cmd1(r, RGM_CMD_MAP_GET, 0, RGM_A_MAP_ID, 4, m.id));
	EXPECT_EQ(1, r->n_replies);
	/* dump with a wrong-length owner filter */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_GET, NLM_F_DUMP, RGM_A_OWNER, 4, 0));
	/* a dump with a selector: refused, and the reason reaches userspace */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_MAP_GET, NLM_F_DUMP, RGM_A_MAP_ID, 4, m.id));
	EXPECT_TRUE(strstr(r->ext, "a dump takes only") != NULL) TH_LOG("extack '%s'", r->ext);
	(void)got;
}

/* ------------------------------------------------------------ dump */

struct collect {
	unsigned int n, restarts;
	uint32_t ids[2048];
	uint16_t ports[2048];
};

static int collect_cb(const struct rgm_map *m, void *arg)
{
	struct collect *c = arg;

	if (c->n < 2048) {
		c->ids[c->n] = m->id;
		c->ports[c->n] = m->global_port;
	}
	c->n++;
	return 0;
}

static void collect_reset(void *arg)
{
	struct collect *c = arg;

	c->n = 0;
	c->restarts++;
}

static int stop_cb(const struct rgm_map *m, void *arg)
{
	return ++*(int *)arg == 5 ? 42 : 0;
}

TEST_F(rgm, dump_many)
{
	static struct rgm_map b[RGM_BATCH_MAX];
	static struct collect c;
	static uint8_t seen[10000];
	uint64_t owner;
	int stops = 0;
	const int total = 1500;

	for (int done = 0; done < total; done += RGM_BATCH_MAX) {
		int n = total - done < RGM_BATCH_MAX ? total - done : RGM_BATCH_MAX;

		for (int i = 0; i < n; i++) {
			b[i] = mk(IPPROTO_UDP, 40000 + done + i, 5000);
			b[i].owner = (done + i) % 3;
		}
		ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, n)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	}
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, rgm_nl_map_dump(self->nl, NULL, collect_cb, collect_reset, &c));
	ASSERT_EQ(total, c.n);
	/* every mapping exactly once (ports are unique here) */
	for (unsigned int i = 0; i < c.n; i++) {
		ASSERT_GE(c.ports[i], 40000);
		ASSERT_LT(c.ports[i], 40000 + total);
		ASSERT_EQ(0, seen[c.ports[i] - 40000]) TH_LOG("port %u twice", c.ports[i]);
		seen[c.ports[i] - 40000] = 1;
	}
	owner = 1;
	EXPECT_EQ(total / 3, n_mappings(self->nl, &owner));
	owner = 12345;
	EXPECT_EQ(0, n_mappings(self->nl, &owner));

	/* a callback can stop the dump and its value comes back */
	EXPECT_EQ(42, rgm_nl_map_dump(self->nl, NULL, stop_cb, NULL, &stops));

	/* the raw dump has one message per mapping */
	EXPECT_EQ(0, raw_cmd1(&self->r, RGM_CMD_MAP_GET, NLM_F_DUMP, 0, 0, 0));
	EXPECT_EQ(total, self->r.n_replies);
	EXPECT_EQ(0, raw_cmd1(&self->r, RGM_CMD_MAP_GET, NLM_F_DUMP, RGM_A_OWNER, 8, 2));
	EXPECT_EQ(total / 3, self->r.n_replies);
}

/* A dump racing with adds and deletes: each pass of the client reports a
 * consistent table (restart on NLM_F_DUMP_INTR), never a duplicate. */
TEST_F_TIMEOUT(rgm, dump_concurrent, 120)
{
	static struct rgm_map b[RGM_BATCH_MAX];
	static struct collect c;
	struct rgm_nl *nl2;
	pid_t pid;
	int status;

	for (int done = 0; done < 1024; done += RGM_BATCH_MAX) {
		for (int i = 0; i < RGM_BATCH_MAX; i++)
			b[i] = mk(IPPROTO_UDP, 40000 + done + i, 5000);
		ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, RGM_BATCH_MAX));
	}
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* churn on TCP keys, which the check below ignores */
		struct rgm_sel s = { .kind = RGM_SEL_KEY, .proto = IPPROTO_TCP,
				     .global_addr = ip(GA1) };
		struct rgm_map m;

		if (rgm_nl_open(&nl2))
			_exit(1);
		for (int i = 0; i < 3000; i++) {
			m = mk(IPPROTO_TCP, 45000 + i % 50, 5000);
			rgm_nl_map_add(nl2, &m, 1);
			s.global_port = 45000 + (i + 25) % 50;
			rgm_nl_map_del(nl2, &s, NULL);
		}
		_exit(0);
	}
	for (int pass = 0; pass < 10; pass++) {
		static uint8_t seen[1024];
		unsigned int udp = 0;
		int ret;

		memset(&c, 0, sizeof(c));
		memset(seen, 0, sizeof(seen));
		ret = rgm_nl_map_dump(self->nl, NULL, collect_cb, collect_reset, &c);
		if (ret == -EINTR || ret == -EAGAIN)
			continue;	/* gave up restarting: allowed, no data claimed */
		ASSERT_EQ(0, ret) TH_LOG("%s", rgm_nl_errmsg(self->nl));
		ASSERT_LE(c.n, 2048);
		for (unsigned int i = 0; i < c.n; i++) {
			if (c.ports[i] >= 45000)
				continue;
			ASSERT_EQ(0, seen[c.ports[i] - 40000]) TH_LOG("port %u twice", c.ports[i]);
			seen[c.ports[i] - 40000] = 1;
			udp++;
		}
		ASSERT_EQ(1024, udp);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* A raw dump that sees the table change between two of its parts is
 * flagged NLM_F_DUMP_INTR (the client library relies on it to restart). */
TEST_F(rgm, dump_intr_flag)
{
	static struct rgm_map b[RGM_BATCH_MAX];
	static char buf[1 << 17];
	struct raw *r = &self->r;
	int fd = nl_socket_get_fd(r->sk);
	struct rgm_map extra = mk(IPPROTO_TCP, 49000, 5000);
	int parts = 0, msgs = 0, intr = 0, done = 0;
	struct nl_msg *msg;

	for (int done_n = 0; done_n < 512; done_n += RGM_BATCH_MAX) {
		for (int i = 0; i < RGM_BATCH_MAX; i++)
			b[i] = mk(IPPROTO_UDP, 40000 + done_n + i, 5000);
		ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, RGM_BATCH_MAX));
	}
	msg = raw_msg(r, RGM_CMD_MAP_GET, NLM_F_DUMP);
	ASSERT_LT(0, nl_send_auto(r->sk, msg));
	nlmsg_free(msg);
	while (!done) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;

		ASSERT_EQ(1, poll(&pfd, 1, 10000));
		n = recv(fd, buf, sizeof(buf), 0);	/* one part per recv */
		ASSERT_LT(0, n);
		parts++;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr++;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				done = 1;
			else
				msgs++;
		}
		/* change the table after the first part */
		if (parts == 1)
			ASSERT_EQ(0, rgm_nl_map_add(self->nl, &extra, 1));
	}
	ASSERT_LT(1, parts) TH_LOG("the dump came in one part: cannot test");
	EXPECT_LT(0, intr) TH_LOG("%d parts, %d mappings, no NLM_F_DUMP_INTR", parts, msgs);
}

/* ------------------------------------------------------------ ports */

static int ports_free_raw(struct raw *r, uint8_t proto, uint32_t count, uint32_t flags)
{
	struct nl_msg *msg = raw_msg(r, RGM_CMD_PORTS_FREE, 0);

	nla_put_u8(msg, RGM_A_PROTO, proto);
	nla_put_u32(msg, RGM_A_COUNT, count);
	nla_put_u32(msg, RGM_A_FLAGS, flags);
	return raw_xfer(r, msg, NULL, NULL);
}

TEST_F(rgm, ports_free)
{
	struct rgm_map b[4] = { mk(IPPROTO_UDP, 40000, 1), mk(IPPROTO_UDP, 40001, 1),
				    mk(IPPROTO_UDP, 40003, 1), mk(IPPROTO_UDP, 40004, 1) };
	uint16_t p[RGM_PORTS_MAX];
	struct in_addr ga2 = ip(GA2);

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 4));

	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_UDP, NULL, 8, 0, p))
		TH_LOG("%s", rgm_nl_errmsg(self->nl));
	for (int i = 0; i < 8; i++) {
		EXPECT_GE(p[i], RGM_DEFAULT_PORT_MIN);
		EXPECT_LE(p[i], RGM_DEFAULT_PORT_MAX);
		EXPECT_NE(40000, p[i]);
		EXPECT_NE(40001, p[i]);
		EXPECT_NE(40003, p[i]);
		EXPECT_NE(40004, p[i]);
		if (i)
			EXPECT_LT(p[i - 1], p[i]);
	}
	/* per protocol: all of them are free for TCP */
	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_TCP, NULL, 4, 0, p));
	for (int i = 1; i < 4; i++)
		EXPECT_LT(p[i - 1], p[i]);
	/* per address: GA2 has all of them */
	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_UDP, &ga2, 4, 0, p));

	/* pairs: even and its odd neighbour free: not 40000 (40001 taken),
	 * not 40002 (40003 taken), not 40004 */
	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_UDP, NULL, 16, RGM_PORTS_F_PAIRS, p));
	for (int i = 0; i < 16; i++) {
		EXPECT_EQ(0, p[i] % 2) TH_LOG("odd port %u", p[i]);
		EXPECT_GE(p[i], 40006);
		EXPECT_LT(p[i], RGM_DEFAULT_PORT_MAX);
		if (i)
			EXPECT_LT(p[i - 1], p[i]);
	}
	/* RGM_PORTS_MAX at once */
	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_TCP, NULL, RGM_PORTS_MAX, 0, p));
	EXPECT_EQ(RGM_DEFAULT_PORT_MIN, p[0]);
	EXPECT_EQ(RGM_DEFAULT_PORT_MIN + RGM_PORTS_MAX - 1, p[RGM_PORTS_MAX - 1]);
}

TEST_F(rgm, ports_free_enospc)
{
	struct rgm_config c = { .set = RGM_CFG_SET_PORT_MIN | RGM_CFG_SET_PORT_MAX,
				.port_min = 40001, .port_max = 40006 };
	struct rgm_map m = mk(IPPROTO_UDP, 40003, 1);
	uint16_t p[8];

	ASSERT_EQ(0, rgm_nl_config_set(self->nl, &c));
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	/* 40001 40002 40004 40005 40006 */
	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_UDP, NULL, 5, 0, p));
	EXPECT_EQ(40001, p[0]);
	EXPECT_EQ(40002, p[1]);
	EXPECT_EQ(40004, p[2]);
	EXPECT_EQ(40005, p[3]);
	EXPECT_EQ(40006, p[4]);
	EXPECT_EQ(-ENOSPC, rgm_nl_ports_free(self->nl, IPPROTO_UDP, NULL, 6, 0, p));
	/* pairs: 40002 has 40003 taken, 40006's neighbour is outside: only 40004 */
	ASSERT_EQ(0, rgm_nl_ports_free(self->nl, IPPROTO_UDP, NULL, 1, RGM_PORTS_F_PAIRS, p));
	EXPECT_EQ(40004, p[0]);
	EXPECT_EQ(-ENOSPC, rgm_nl_ports_free(self->nl, IPPROTO_UDP, NULL, 2,
					     RGM_PORTS_F_PAIRS, p));
}

TEST_F(rgm, ports_free_bad)
{
	struct raw *r = &self->r;
	struct nl_msg *msg;

	EXPECT_EQ(0, ports_free_raw(r, IPPROTO_UDP, 1, 0)) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_UDP, 0, 0));
	EXPECT_TRUE(ext_names(r, "count")) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_UDP, RGM_PORTS_MAX + 1, 0));
	EXPECT_TRUE(ext_names(r, "count")) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_UDP, 1, 1U << 1));
	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_UDP, 1, 1U << 31));
	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_ICMP, 1, 0));
	EXPECT_TRUE(ext_names(r, "proto")) TH_LOG("extack '%s'", r->ext);
	/* missing proto, missing count */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_PORTS_FREE, 0, RGM_A_COUNT, 4, 1));
	EXPECT_TRUE(ext_names(r, "proto")) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_PORTS_FREE, 0, RGM_A_PROTO, 1, IPPROTO_UDP));
	EXPECT_TRUE(ext_names(r, "count")) TH_LOG("extack '%s'", r->ext);
	/* wrong length count */
	msg = raw_msg(r, RGM_CMD_PORTS_FREE, 0);
	nla_put_u8(msg, RGM_A_PROTO, IPPROTO_UDP);
	nla_put_u16(msg, RGM_A_COUNT, 1);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	/* an address that is not configured */
	msg = raw_msg(r, RGM_CMD_PORTS_FREE, 0);
	nla_put_u8(msg, RGM_A_PROTO, IPPROTO_UDP);
	nla_put_u32(msg, RGM_A_COUNT, 1);
	nla_put_u32(msg, RGM_A_GLOBAL_ADDR, ip("198.51.100.77").s_addr);
	EXPECT_EQ(-EADDRNOTAVAIL, raw_xfer(r, msg, NULL, NULL));
}

/* ------------------------------------------------------------ stats */

TEST_F_TIMEOUT(rgm, stats_and_expiry, 60)
{
	struct rgm_map b[4];
	struct rgm_stats st;
	struct rgm_sel s;
	double t0;
	int n;

	ASSERT_EQ(0, rgm_nl_stats_get(self->nl, &st));
	for (unsigned int i = 1; i <= RGM_STATS_A_DROP_UNTRACKED; i++) {
		EXPECT_EQ(0, st.v[i]) TH_LOG("stat %u (%s) not 0 in a new netns", i,
					     rgm_stats_name(i) ?: "?");
	}
	for (int i = 0; i < 4; i++)
		b[i] = mk(IPPROTO_UDP, 40000 + i, 5000);
	b[3].lease = 1;
	t0 = now_s();
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 4));
	s = sel_id(b[0].id);
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	ASSERT_EQ(0, rgm_nl_stats_get(self->nl, &st));
	EXPECT_EQ(4, st.v[RGM_STATS_A_ADDED]);
	EXPECT_EQ(1, st.v[RGM_STATS_A_DELETED]);

	/* the 1 s lease is gone within ~3 s */
	do {
		n = n_mappings(self->nl, NULL);
		if (n == 2)
			break;
		usleep(100000);
	} while (now_s() - t0 < 4.0);
	EXPECT_EQ(2, n);
	EXPECT_LT(now_s() - t0, 4.0);
	s = sel_id(b[3].id);
	do {
		struct rgm_map g;

		EXPECT_EQ(-ENOENT, rgm_nl_map_get(self->nl, &s, &g));
	} while (0);
	ASSERT_EQ(0, rgm_nl_stats_get(self->nl, &st));
	EXPECT_EQ(2, st.v[RGM_STATS_A_MAPPINGS]);
	EXPECT_EQ(4, st.v[RGM_STATS_A_ADDED]);
	EXPECT_EQ(1, st.v[RGM_STATS_A_DELETED]);
	EXPECT_EQ(1, st.v[RGM_STATS_A_EXPIRED]);

	s.kind = RGM_SEL_ALL;
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	ASSERT_EQ(0, rgm_nl_stats_get(self->nl, &st));
	EXPECT_EQ(0, st.v[RGM_STATS_A_MAPPINGS]);
	EXPECT_EQ(3, st.v[RGM_STATS_A_DELETED]);

	/* stats take no attributes */
	EXPECT_EQ(-EINVAL, raw_cmd1(&self->r, RGM_CMD_STATS_GET, 0, RGM_A_MAX + 1, 4, 0));
}

/* A renewed lease does not expire on the old schedule. */
TEST_F_TIMEOUT(rgm, renew_keeps_alive, 60)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000), g;
	struct rgm_sel s;

	m.lease = 2;
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	s = sel_id(m.id);
	usleep(1200000);
	ASSERT_EQ(0, rgm_nl_map_renew(self->nl, &s, 30, NULL));
	sleep(3);
	EXPECT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_GE(g.expires, 25);
}

/* ------------------------------------------------------------ extack text */

/*
 * The header: "unknown attributes, wrong lengths, values out of range and
 * unknown flag bits are rejected with EINVAL and an extack message naming
 * the attribute". The tests above check the errors (and the text for values
 * out of range and missing attributes); these two check the text for wrong
 * lengths and unknown flag bits, which the netlink core's policy check
 * reports as "invalid attribute length" / "reserved bit set" unless the
 * family says more.
 */
TEST_F(rgm, extack_names_bad_length)
{
	static const struct { uint8_t cmd; uint16_t nest, type, len; const char *name; } c[] = {
		{ RGM_CMD_MAP_ADD, RGM_A_MAPPING, RGM_MAP_A_PROTO, 4, "proto" },
		{ RGM_CMD_MAP_ADD, RGM_A_MAPPING, RGM_MAP_A_GLOBAL_PORT, 4, "global_port|global port" },
		{ RGM_CMD_MAP_ADD, RGM_A_MAPPING, RGM_MAP_A_LOCAL_ADDR, 8, "local_addr|local address" },
		{ RGM_CMD_MAP_ADD, RGM_A_MAPPING, RGM_MAP_A_LEASE, 2, "lease" },
		{ RGM_CMD_MAP_ADD, RGM_A_MAPPING, RGM_MAP_A_OWNER, 4, "owner" },
		{ RGM_CMD_CONFIG_SET, RGM_A_CONFIG, RGM_CFG_A_PORT_MIN, 4, "port_min|min port|minimum port" },
		{ RGM_CMD_CONFIG_SET, RGM_A_CONFIG, RGM_CFG_A_MAX_MAPPINGS, 2, "max_mappings" },
		{ RGM_CMD_MAP_DEL, 0, RGM_A_OWNER, 4, "owner" },
		{ RGM_CMD_MAP_DEL, 0, RGM_A_MAP_ID, 2, "id" },
		{ RGM_CMD_MAP_RENEW, 0, RGM_A_LEASE, 2, "lease" },
		{ RGM_CMD_PORTS_FREE, 0, RGM_A_COUNT, 2, "count" },
	};
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct raw *r = &self->r;
	int bad = 0;

	for (unsigned int i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct nl_msg *msg;
		int ret;

		if (c[i].nest == RGM_A_MAPPING) {
			struct xattr x[2] = { { c[i].type, c[i].len, 1 }, {} };

			ret = raw_add1(r, &m, OMIT(c[i].type), x);
		} else {
			uint64_t one = 1;

			msg = raw_msg(r, c[i].cmd, 0);
			if (c[i].nest) {
				struct nlattr *n = nla_nest_start(msg, c[i].nest | NLA_F_NESTED);

				nla_put(msg, c[i].type, c[i].len, &one);
				nla_nest_end(msg, n);
			} else {
				nla_put(msg, c[i].type, c[i].len, &one);
			}
			ret = raw_xfer(r, msg, NULL, NULL);
		}
		EXPECT_EQ(-EINVAL, ret) TH_LOG("cmd %u attr %u len %u", c[i].cmd, c[i].type, c[i].len);
		if (!ext_names(r, c[i].name)) {
			TH_LOG("cmd %u attr %u len %u: extack '%s' does not name %s",
			       c[i].cmd, c[i].type, c[i].len, r->ext, c[i].name);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
}

TEST_F(rgm, extack_names_bad_flags)
{
	struct raw *r = &self->r;
	int ret;

	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_UDP, 1, 1U << 1));
	EXPECT_TRUE(ext_names(r, "flags")) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(-EINVAL, ports_free_raw(r, IPPROTO_UDP, 1, 1U << 31));
	EXPECT_TRUE(ext_names(r, "flags")) TH_LOG("extack '%s'", r->ext);
	/* RGM_A_ALL is a flag: a payload is a wrong length (netlink's NLA_FLAG
	 * check answers ERANGE, as the header says) */
	ret = raw_cmd1(r, RGM_CMD_MAP_DEL, 0, RGM_A_ALL, 4, 1);
	EXPECT_EQ(-ERANGE, ret);
	EXPECT_TRUE(ext_names(r, "all|flush")) TH_LOG("extack '%s'", r->ext);
}

/* ------------------------------------------------------------ events */

TEST_F_TIMEOUT(rgm, events, 60)
{
	struct rgm_map b[5];
	struct rgm_nl *ev;
	static struct evlog l;
	const struct ev *e;
	struct rgm_sel s;

	ASSERT_EQ(0, rgm_nl_events_open(&ev));
	memset(&l, 0, sizeof(l));
	for (int i = 0; i < 5; i++) {
		b[i] = mk(IPPROTO_UDP, 40000 + i, 5000);
		b[i].owner = 100 + (i >= 2);
	}
	b[4].owner = 0;
	b[4].lease = 1;
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, b, 5));
	ev_wait(ev, &l, 5, 2000);
	ASSERT_EQ(5, l.n);
	for (int i = 0; i < 5; i++) {
		e = ev_find(&l, RGM_CMD_MAP_NEW, b[i].id);
		ASSERT_NE(NULL, e) TH_LOG("no MAP_NEW for mapping %d", i);
		EXPECT_EQ(40000 + i, e->gport);
		EXPECT_EQ(b[i].owner, e->owner);
	}

	l.n = 0;
	s = sel_id(b[0].id);
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	s = sel_owner(101);	/* b[2], b[3] */
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	ev_wait(ev, &l, 3, 2000);
	e = ev_find(&l, RGM_CMD_MAP_GONE, b[0].id);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(RGM_REASON_DELETED, e->reason);
	for (int i = 2; i < 4; i++) {
		e = ev_find(&l, RGM_CMD_MAP_GONE, b[i].id);
		ASSERT_NE(NULL, e);
		EXPECT_EQ(RGM_REASON_FLUSHED, e->reason);
	}
	EXPECT_EQ(NULL, ev_find(&l, RGM_CMD_MAP_GONE, b[1].id));

	/* b[4] expires */
	l.n = 0;
	ev_wait(ev, &l, 1, 4000);
	e = ev_find(&l, RGM_CMD_MAP_GONE, b[4].id);
	ASSERT_NE(NULL, e) TH_LOG("no MAP_GONE for the expired mapping");
	EXPECT_EQ(RGM_REASON_EXPIRED, e->reason);

	/* flush: b[1] */
	l.n = 0;
	s.kind = RGM_SEL_ALL;
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	ev_wait(ev, &l, 1, 2000);
	e = ev_find(&l, RGM_CMD_MAP_GONE, b[1].id);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(RGM_REASON_FLUSHED, e->reason);
	EXPECT_EQ(1, l.n);

	/* failed commands send nothing */
	l.n = 0;
	b[0].global_port = 1;
	EXPECT_EQ(-ERANGE, rgm_nl_map_add(self->nl, b, 1));
	s = sel_id(12345);
	EXPECT_EQ(-ENOENT, rgm_nl_map_del(self->nl, &s, NULL));
	ev_wait(ev, &l, 1, 500);
	EXPECT_EQ(0, l.n);
	rgm_nl_close(ev);
}

/* Notification commands and unknown commands are not requests. */
TEST_F(rgm, bad_commands)
{
	struct raw *r = &self->r;

	EXPECT_NE(0, raw_cmd1(r, RGM_CMD_MAP_NEW, 0, 0, 0, 0));
	EXPECT_NE(0, raw_cmd1(r, RGM_CMD_MAP_GONE, 0, 0, 0, 0));
	EXPECT_NE(0, raw_cmd1(r, RGM_CMD_UNSPEC, 0, 0, 0, 0));
	EXPECT_NE(0, raw_cmd1(r, RGM_CMD_MAX + 1, 0, 0, 0, 0));
	EXPECT_EQ(0, raw_cmd1(r, RGM_CMD_CONFIG_GET, 0, 0, 0, 0));
	/* CONFIG_GET is not given a configuration */
	EXPECT_EQ(-EINVAL, raw_cmd1(r, RGM_CMD_CONFIG_GET, 0, RGM_A_MAX + 1, 4, 0));
}

/* ------------------------------------------------------------ permissions */

/* Every command, dump included, as "nobody": EPERM. Run in a child. */
static int eperm_all(void)
{
	struct raw r;
	struct nl_msg *m;
	struct nlattr *n;
	struct rgm_map mp = mk(IPPROTO_UDP, 40020, 5000);
	struct rgm_config cfg;
	struct rgm_nl *nl;
	int fails = 0, ret;

#define EXPECT_EPERM(expr, what) do {					\
		ret = (expr);						\
		if (ret != -EPERM) {					\
			fprintf(stderr, "# %s as nobody: %d (%s), not EPERM\n", \
				what, ret, strerror(-ret));		\
			fails++;					\
		}							\
	} while (0)

	if (raw_open(&r))
		return 100;
	m = raw_msg(&r, RGM_CMD_MAP_ADD, 0);
	n = nla_nest_start(m, RGM_A_MAPPINGS | NLA_F_NESTED);
	put_map(m, &mp, 0, NULL);
	nla_nest_end(m, n);
	EXPECT_EPERM(raw_xfer(&r, m, NULL, NULL), "MAP_ADD");
	EXPECT_EPERM(raw_cmd1(&r, RGM_CMD_MAP_DEL, 0, RGM_A_ALL, 0, 0), "MAP_DEL all");
	EXPECT_EPERM(raw_cmd1(&r, RGM_CMD_MAP_DEL, 0, RGM_A_MAP_ID, 4, 1), "MAP_DEL id");
	EXPECT_EPERM(raw_cmd1(&r, RGM_CMD_MAP_GET, 0, RGM_A_MAP_ID, 4, 1), "MAP_GET");
	EXPECT_EPERM(raw_cmd1(&r, RGM_CMD_MAP_GET, NLM_F_DUMP, 0, 0, 0), "MAP_GET dump");
	m = raw_msg(&r, RGM_CMD_MAP_RENEW, 0);
	nla_put_u32(m, RGM_A_MAP_ID, 1);
	nla_put_u32(m, RGM_A_LEASE, 10);
	EXPECT_EPERM(raw_xfer(&r, m, NULL, NULL), "MAP_RENEW");
	EXPECT_EPERM(ports_free_raw(&r, IPPROTO_UDP, 1, 0), "PORTS_FREE");
	EXPECT_EPERM(raw_cmd1(&r, RGM_CMD_CONFIG_GET, 0, 0, 0, 0), "CONFIG_GET");
	EXPECT_EPERM(raw_cfg1(&r, RGM_CFG_A_LEASE_MAX, 4, 10), "CONFIG_SET");
	EXPECT_EPERM(raw_cmd1(&r, RGM_CMD_STATS_GET, 0, 0, 0, 0), "STATS_GET");
	raw_close(&r);

	/* the client library reports it too */
	if (rgm_nl_open(&nl))
		return 101;
	EXPECT_EPERM(rgm_nl_config_get(nl, &cfg), "rgm_nl_config_get");
	EXPECT_EPERM(n_mappings(nl, NULL), "rgm_nl_map_dump");
	rgm_nl_close(nl);
	return fails;
#undef EXPECT_EPERM
}

TEST_F(rgm, eperm)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000), g;
	struct rgm_config c;
	struct rgm_sel s;
	int status;
	pid_t pid;

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &c));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(102);
		_exit(eperm_all());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%d command(s) allowed without CAP_NET_ADMIN",
						 WEXITSTATUS(status));
	/* and nothing changed */
	s = sel_id(m.id);
	EXPECT_EQ(0, rgm_nl_map_get(self->nl, &s, &g));
	EXPECT_EQ(1, n_mappings(self->nl, NULL));
	do {
		struct rgm_config c2;

		ASSERT_EQ(0, rgm_nl_config_get(self->nl, &c2));
		EXPECT_EQ(c.lease_max, c2.lease_max);
	} while (0);
}

/* ------------------------------------------------------------ netns */

TEST_F(rgm, netns_isolation)
{
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000), g;
	struct rgm_nl *nl2, *ev2;
	struct rgm_config c;
	struct rgm_stats st;
	struct rgm_sel s;
	static struct evlog l;

	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	/* self->nl stays bound to the first namespace */
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, rgm_nl_open(&nl2));
	ASSERT_EQ(0, rgm_nl_events_open(&ev2));
	EXPECT_EQ(0, n_mappings(nl2, NULL));
	s = sel_id(m.id);
	EXPECT_EQ(-ENOENT, rgm_nl_map_get(nl2, &s, &g));
	s = sel_key(IPPROTO_UDP, 40000);
	EXPECT_EQ(-ENOENT, rgm_nl_map_get(nl2, &s, &g));
	ASSERT_EQ(0, rgm_nl_stats_get(nl2, &st));
	EXPECT_EQ(0, st.v[RGM_STATS_A_MAPPINGS]);
	EXPECT_EQ(0, st.v[RGM_STATS_A_ADDED]);
	ASSERT_EQ(0, rgm_nl_config_get(nl2, &c));
	EXPECT_EQ(0, c.n_addrs);
	/* flush here does not touch the other namespace */
	s.kind = RGM_SEL_ALL;
	EXPECT_EQ(0, rgm_nl_map_del(nl2, &s, NULL));
	EXPECT_EQ(1, n_mappings(self->nl, NULL));

	/* events of the first namespace are not seen here */
	memset(&l, 0, sizeof(l));
	m.global_port = 40001;
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1));
	s = sel_id(m.id);
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &s, NULL));
	ev_wait(ev2, &l, 1, 500);
	EXPECT_EQ(0, l.n);
	rgm_nl_close(ev2);
	rgm_nl_close(nl2);
}

/* ------------------------------------------------------------ IPv6 pinholes */

#define LAN6	"2001:db8:1::2"
#define SRV6	"2001:db8:2::7"

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

static int set_lan6(struct rgm_nl *nl, const char *prefix, uint8_t len)
{
	struct rgm_config c = { .set = RGM_CFG_SET_PREFIXES6, .n_prefixes6 = 1 };

	c.prefixes6[0].addr = ip6(prefix);
	c.prefixes6[0].len = len;
	return rgm_nl_config_set(nl, &c);
}

static struct rgm_map mk6(uint8_t proto, uint16_t port)
{
	struct rgm_map m = {
		.family = AF_INET6,
		.proto = proto,
		.local_addr6 = ip6(LAN6),
		.local_port = port,
		.lease = 60,
	};
	return m;
}

/* MAP_ADD of one AF_INET6 mapping: proto udp, lease 60, then x. */
static int raw_add6(struct raw *r, const struct xattr *x, const struct in6_addr *local)
{
	struct nl_msg *m = raw_msg(r, RGM_CMD_MAP_ADD, 0);
	struct nlattr *n = nla_nest_start(m, RGM_A_MAPPINGS | NLA_F_NESTED);
	struct nlattr *mp = nla_nest_start(m, RGM_A_MAPPING | NLA_F_NESTED);

	nla_put_u8(m, RGM_MAP_A_PROTO, IPPROTO_UDP);
	nla_put_u32(m, RGM_MAP_A_LEASE, 60);
	if (local)
		nla_put(m, RGM_MAP_A_LOCAL_ADDR6, 16, local);
	for (; x && x->type; x++)
		nla_put(m, x->type, x->len, &x->val);
	nla_nest_end(m, mp);
	nla_nest_end(m, n);
	return raw_xfer(r, m, NULL, NULL);
}

TEST_F(rgm, ipv6_config)
{
	struct rgm_config c;
	struct raw *r = &self->r;
	struct nl_msg *m;
	struct nlattr *n, *p, *one;
	struct in6_addr a = ip6("2001:db8:1::");

	ASSERT_EQ(0, set_lan6(self->nl, "2001:db8:1::", 64)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &c));
	ASSERT_EQ(1, c.n_prefixes6);
	EXPECT_EQ(64, c.prefixes6[0].len);
	EXPECT_EQ(0, memcmp(&a, &c.prefixes6[0].addr, 16));
	EXPECT_EQ(2, c.n_addrs) TH_LOG("the IPv4 configuration is left alone");

	/* prefix length 0 and 129, a missing address, a 15 byte address */
	for (unsigned int i = 0; i < 4; i++) {
		m = raw_msg(r, RGM_CMD_CONFIG_SET, 0);
		n = nla_nest_start(m, RGM_A_CONFIG | NLA_F_NESTED);
		p = nla_nest_start(m, RGM_CFG_A_LAN6_PREFIXES | NLA_F_NESTED);
		one = nla_nest_start(m, RGM_CFG_A_PREFIX6 | NLA_F_NESTED);

		if (i != 2)
			nla_put(m, RGM_CFG_A_ADDR6, i == 3 ? 15 : 16, &a);
		nla_put_u8(m, RGM_CFG_A_PREFIX_LEN, i == 0 ? 0 : i == 1 ? 129 : 64);
		nla_nest_end(m, one);
		nla_nest_end(m, p);
		nla_nest_end(m, n);
		/* a 16 byte attribute of another length: the core's ERANGE */
		EXPECT_EQ(i == 3 ? -ERANGE : -EINVAL, raw_xfer(r, m, NULL, NULL)) TH_LOG("case %u", i);
		if (i < 2) {
			EXPECT_TRUE(ext_names(r, "PREFIX_LEN")) TH_LOG("extack '%s'", r->ext);
		} else if (i == 2) {
			EXPECT_TRUE(ext_names(r, "RGM_CFG_A_ADDR6 is required")) TH_LOG("extack '%s'", r->ext);
		} else {
			EXPECT_NE(0, r->ext[0]);
		}
	}
	ASSERT_EQ(0, rgm_nl_config_get(self->nl, &c));
	EXPECT_EQ(1, c.n_prefixes6) TH_LOG("a refused CONFIG_SET changes nothing");
}

TEST_F(rgm, ipv6_add_bad)
{
	static const struct {
		struct xattr x[4];
		bool local6;		/* with a good RGM_MAP_A_LOCAL_ADDR6 */
		const char *ext;	/* the extack, NULL: any */
	} bad[] = {
		{ { { RGM_MAP_A_FAMILY, 1, 7 }, { RGM_MAP_A_LOCAL_PORT, 2, 45000 } }, true,
		  "RGM_MAP_A_FAMILY must be AF_INET or AF_INET6" },
		{ { { RGM_MAP_A_FAMILY, 1, AF_INET6 }, { RGM_MAP_A_LOCAL_PORT, 2, 45000 },
		    { RGM_MAP_A_SERVER_ADDR6, 15, 1 } }, true, NULL },
		{ { { RGM_MAP_A_FAMILY, 1, AF_INET6 }, { RGM_MAP_A_LOCAL_PORT, 2, 45000 },
		    { RGM_MAP_A_LOCAL_ADDR, 4, 0x0200000a } }, false,
		  "an AF_INET6 mapping takes RGM_MAP_A_*_ADDR6" },
		{ { { RGM_MAP_A_FAMILY, 1, AF_INET6 }, { RGM_MAP_A_LOCAL_PORT, 2, 45000 } }, false,
		  "RGM_MAP_A_LOCAL_ADDR6 is required" },
		{ { { RGM_MAP_A_FAMILY, 1, AF_INET6 }, { RGM_MAP_A_LOCAL_ADDR6, 16, 0 } }, false,
		  "RGM_MAP_A_LOCAL_PORT is required" },
	};
	struct in6_addr lan = ip6(LAN6);
	struct rgm_map m = mk(IPPROTO_UDP, 40000, 5000);
	struct xattr x4[] = { { RGM_MAP_A_SERVER_ADDR6, 16, 0 }, {} };
	struct raw *r = &self->r;

	ASSERT_EQ(0, set_lan6(self->nl, "2001:db8:1::", 64));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(bad[i].ext ? -EINVAL : -ERANGE,
			  raw_add6(r, bad[i].x, bad[i].local6 ? &lan : NULL))
			TH_LOG("case %u", i);
		if (bad[i].ext) {
			EXPECT_TRUE(ext_names(r, bad[i].ext)) TH_LOG("case %u: extack '%s'", i, r->ext);
		} else {
			EXPECT_NE(0, r->ext[0]) TH_LOG("case %u: no extack", i);
		}
	}
	/* no family: an IPv4 mapping, which takes no IPv6 address */
	EXPECT_EQ(-EINVAL, raw_add1(r, &m, 0, x4));
	EXPECT_TRUE(ext_names(r, "needs RGM_MAP_A_FAMILY AF_INET6")) TH_LOG("extack '%s'", r->ext);
	EXPECT_EQ(0, n_mappings(self->nl, NULL));
}

TEST_F(rgm, ipv6_add_get_del)
{
	struct rgm_map m = mk6(IPPROTO_UDP, 45000), got, v4 = mk(IPPROTO_UDP, 45000, 5000);
	struct rgm_sel sel = { .kind = RGM_SEL_KEY, .family = AF_INET6, .proto = IPPROTO_UDP,
			       .global_addr6 = ip6(LAN6), .global_port = 45000 };
	struct in6_addr lan = ip6(LAN6), srv = ip6(SRV6);
	struct rgm_config no_prefixes = { .set = RGM_CFG_SET_PREFIXES6 };
	struct raw *r = &self->r;
	struct nl_msg *msg;
	struct nlattr *k;
	uint32_t count = 0;

	m.server_addr6 = srv;
	m.server_port = 6000;
	EXPECT_EQ(-EADDRNOTAVAIL, rgm_nl_map_add(self->nl, &m, 1)) TH_LOG("no LAN prefix yet");
	ASSERT_EQ(0, set_lan6(self->nl, "2001:db8:1::", 64));
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &m, 1)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_NE(0, m.id);
	EXPECT_EQ(AF_INET6, m.family);
	EXPECT_EQ(0, memcmp(&lan, &m.global_addr6, 16)) TH_LOG("global is local");
	EXPECT_EQ(45000, m.global_port);

	/* an IPv4 mapping on the same port number is another key */
	ASSERT_EQ(0, rgm_nl_map_add(self->nl, &v4, 1)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_EQ(2, n_mappings(self->nl, NULL));

	ASSERT_EQ(0, rgm_nl_map_get(self->nl, &sel, &got)) TH_LOG("%s", rgm_nl_errmsg(self->nl));
	EXPECT_EQ(m.id, got.id);
	EXPECT_EQ(AF_INET6, got.family);
	EXPECT_EQ(0, memcmp(&srv, &got.server_addr6, 16));
	EXPECT_EQ(0, memcmp(&lan, &got.local_addr6, 16));
	EXPECT_EQ(6000, got.server_port);

	EXPECT_EQ(-EEXIST, rgm_nl_map_add(self->nl, &m, 1));

	/* a key with an IPv4 address for AF_INET6 */
	msg = raw_msg(r, RGM_CMD_MAP_GET, 0);
	k = nla_nest_start(msg, RGM_A_KEY | NLA_F_NESTED);
	nla_put_u8(msg, RGM_MAP_A_FAMILY, AF_INET6);
	nla_put_u8(msg, RGM_MAP_A_PROTO, IPPROTO_UDP);
	nla_put_u32(msg, RGM_MAP_A_GLOBAL_ADDR, ip(GA1).s_addr);
	nla_put_u16(msg, RGM_MAP_A_GLOBAL_PORT, 45000);
	nla_nest_end(msg, k);
	EXPECT_EQ(-EINVAL, raw_xfer(r, msg, NULL, NULL));
	EXPECT_TRUE(ext_names(r, "an AF_INET6 key takes RGM_MAP_A_GLOBAL_ADDR6")) TH_LOG("extack '%s'", r->ext);

	/* the prefix cannot go while the pinhole uses it */
	EXPECT_EQ(-EBUSY, rgm_nl_config_set(self->nl, &no_prefixes));
	ASSERT_EQ(0, rgm_nl_map_del(self->nl, &sel, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(-ENOENT, rgm_nl_map_get(self->nl, &sel, &got));
	EXPECT_EQ(1, n_mappings(self->nl, NULL)) TH_LOG("the IPv4 mapping is left");
}

TEST_HARNESS_MAIN
