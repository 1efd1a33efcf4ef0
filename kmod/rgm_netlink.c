// SPDX-License-Identifier: GPL-2.0
/*
 * rgm_netlink.c - the "rgm" generic netlink family (include/uapi/linux/rgm.h).
 *
 * Every operation needs CAP_NET_ADMIN (GENL_ADMIN_PERM), dumps included,
 * and acts on the caller's namespace. Attribute validation is strict and
 * per operation: each op has its own policy, so an attribute another op
 * takes is rejected as unknown, and the policies fix every attribute's type
 * and length, the nesting, and the flag bits (NLA_POLICY_MASK).
 *
 * Value ranges are checked in plain C right after the policy, by
 * rgm_nl_check_top(), rgm_nl_check_mapping() and rgm_nl_check_config(),
 * not by the policy itself:
 * - the UAPI promises EINVAL for a value out of range, but the policy's
 *   NLA_POLICY_RANGE fails with ERANGE, which the UAPI keeps for a global
 *   port outside the managed range;
 * - NLA_POLICY_VALIDATE_FN on an integer attribute makes 6.1 WARN when the
 *   attribute has a bad length: the extack policy report then reads the
 *   function pointer as a range (nla_get_range_unsigned()).
 *
 * Removals reach the events group through the notifier this file sets in
 * rgm_mapping.c, which sits below it and does not call up.
 *
 * Writers take rgm_net.lock; the family runs with parallel_ops, so the
 * genl mutex does not serialise rgm with every other family, and a slow
 * rgm command (a conntrack walk) only waits for its own namespace.
 */
#include <linux/in.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include "rgm_compat.h"
#include "rgm_expiry.h"
#include "rgm_mapping.h"
#include "rgm_netlink.h"
#include "rgm_pernet.h"
#include "rgm_table.h"

static struct genl_family rgm_genl_family;

/* Sets the "missing attribute" extack and names the attribute. */
#define RGM_NL_REQUIRE(extack, nest, tb, type) ({			\
	int __miss = NL_REQ_ATTR_CHECK(extack, nest, tb, type);		\
	if (__miss)							\
		NL_SET_ERR_MSG(extack, #type " is required");		\
	__miss;								\
})

/*
 * Value checks the policies leave out (see the top of the file for why).
 * Each names the attribute and fails with EINVAL, as the UAPI says.
 */
#define RGM_NL_BAD_VALUE(extack, attr, msg) ({				\
	NL_SET_ERR_MSG_ATTR(extack, attr, msg);				\
	-EINVAL;							\
})

static bool rgm_nl_is_l4(const struct nlattr *attr)
{
	u8 proto = nla_get_u8(attr);

	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static bool rgm_nl_u32_in(const struct nlattr *attr, u32 min, u32 max)
{
	u32 v = nla_get_u32(attr);

	return v >= min && v <= max;
}

/* A mapping's attributes, in MAP_ADD and in RGM_A_KEY. */
static int rgm_nl_check_mapping(struct nlattr **tb,
				struct netlink_ext_ack *extack)
{
	struct nlattr *a;

	a = tb[RGM_MAP_A_PROTO];
	if (a && !rgm_nl_is_l4(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_PROTO must be IPPROTO_TCP or IPPROTO_UDP");
	a = tb[RGM_MAP_A_FAMILY];
	if (a && nla_get_u8(a) != AF_INET && nla_get_u8(a) != AF_INET6)
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_FAMILY must be AF_INET or AF_INET6");
	a = tb[RGM_MAP_A_STREAM];
	if (a && nla_get_u8(a) > RGM_STREAM_MAX)
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_STREAM is not a known stream type");
	a = tb[RGM_MAP_A_SERVER_PORT];
	if (a && !nla_get_u16(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_SERVER_PORT must be 1..65535");
	a = tb[RGM_MAP_A_GLOBAL_PORT];
	if (a && !nla_get_u16(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_GLOBAL_PORT must be 1..65535");
	a = tb[RGM_MAP_A_LOCAL_PORT];
	if (a && !nla_get_u16(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_LOCAL_PORT must be 1..65535");
	a = tb[RGM_MAP_A_LEASE];
	if (a && !rgm_nl_u32_in(a, 1, RGM_LEASE_LIMIT))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_MAP_A_LEASE must be 1..RGM_LEASE_LIMIT");
	return 0;
}

/* The top level attributes of every command. */
static int rgm_nl_check_top(struct nlattr **tb, struct netlink_ext_ack *extack)
{
	struct nlattr *a;

	a = tb[RGM_A_MAP_ID];
	if (a && !rgm_nl_u32_in(a, 1, INT_MAX))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_A_MAP_ID is not a valid mapping id");
	a = tb[RGM_A_LEASE];
	if (a && !rgm_nl_u32_in(a, 1, RGM_LEASE_LIMIT))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_A_LEASE must be 1..RGM_LEASE_LIMIT");
	a = tb[RGM_A_PROTO];
	if (a && !rgm_nl_is_l4(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_A_PROTO must be IPPROTO_TCP or IPPROTO_UDP");
	a = tb[RGM_A_COUNT];
	if (a && !rgm_nl_u32_in(a, 1, RGM_PORTS_MAX))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_A_COUNT must be 1..RGM_PORTS_MAX");
	return 0;
}

static int rgm_nl_check_config(struct nlattr **tb,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *a;

	a = tb[RGM_CFG_A_PORT_MIN];
	if (a && !nla_get_u16(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_CFG_A_PORT_MIN must be 1..65535");
	a = tb[RGM_CFG_A_PORT_MAX];
	if (a && !nla_get_u16(a))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_CFG_A_PORT_MAX must be 1..65535");
	a = tb[RGM_CFG_A_MAX_MAPPINGS];
	if (a && !rgm_nl_u32_in(a, 1, RGM_MAX_MAPPINGS_LIMIT))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_CFG_A_MAX_MAPPINGS must be 1..RGM_MAX_MAPPINGS_LIMIT");
	a = tb[RGM_CFG_A_LEASE_MAX];
	if (a && !rgm_nl_u32_in(a, 1, RGM_LEASE_LIMIT))
		return RGM_NL_BAD_VALUE(extack, a,
					"RGM_CFG_A_LEASE_MAX must be 1..RGM_LEASE_LIMIT");
	return 0;
}

#define RGM_NL_ADDR6 NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr))

#define RGM_NL_OUTPUT_ONLY(attr) \
	[attr] = { .type = NLA_REJECT, .reject_message = #attr " is output only" }

/* A mapping as MAP_ADD takes it. */
static const struct nla_policy rgm_map_policy[RGM_MAP_A_MAX + 1] = {
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_ID),
	[RGM_MAP_A_PROTO] = { .type = NLA_U8 },
	[RGM_MAP_A_STREAM] = { .type = NLA_U8 },
	[RGM_MAP_A_SERVER_ADDR] = { .type = NLA_BE32 },
	[RGM_MAP_A_SERVER_PORT] = { .type = NLA_U16 },
	[RGM_MAP_A_GLOBAL_ADDR] = { .type = NLA_BE32 },
	[RGM_MAP_A_GLOBAL_PORT] = { .type = NLA_U16 },
	[RGM_MAP_A_LOCAL_ADDR] = { .type = NLA_BE32 },
	[RGM_MAP_A_LOCAL_PORT] = { .type = NLA_U16 },
	[RGM_MAP_A_LEASE] = { .type = NLA_U32 },
	[RGM_MAP_A_OWNER] = { .type = NLA_U64 },
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_EXPIRES),
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_PACKETS_IN),
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_BYTES_IN),
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_PACKETS_OUT),
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_BYTES_OUT),
	RGM_NL_OUTPUT_ONLY(RGM_MAP_A_DROPS),
	[RGM_MAP_A_FAMILY] = { .type = NLA_U8 },
	[RGM_MAP_A_SERVER_ADDR6] = RGM_NL_ADDR6,
	[RGM_MAP_A_GLOBAL_ADDR6] = RGM_NL_ADDR6,
	[RGM_MAP_A_LOCAL_ADDR6] = RGM_NL_ADDR6,
};

/* RGM_A_KEY: exactly what the table is keyed by. */
static const struct nla_policy rgm_key_policy[RGM_MAP_A_MAX + 1] = {
	[RGM_MAP_A_PROTO] = { .type = NLA_U8 },
	[RGM_MAP_A_GLOBAL_ADDR] = { .type = NLA_BE32 },
	[RGM_MAP_A_GLOBAL_PORT] = { .type = NLA_U16 },
	[RGM_MAP_A_FAMILY] = { .type = NLA_U8 },
	[RGM_MAP_A_GLOBAL_ADDR6] = RGM_NL_ADDR6,
};

static const struct nla_policy rgm_cfg_addrs_policy[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_ADDR] = { .type = NLA_BE32 },
};

static const struct nla_policy rgm_cfg_prefix6_policy[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_ADDR6] = RGM_NL_ADDR6,
	[RGM_CFG_A_PREFIX_LEN] = { .type = NLA_U8 },
};

static const struct nla_policy rgm_cfg_prefixes6_policy[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_PREFIX6] = NLA_POLICY_NESTED(rgm_cfg_prefix6_policy),
};

static const struct nla_policy rgm_cfg_policy[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_GLOBAL_ADDRS] = NLA_POLICY_NESTED(rgm_cfg_addrs_policy),
	[RGM_CFG_A_PORT_MIN] = { .type = NLA_U16 },
	[RGM_CFG_A_PORT_MAX] = { .type = NLA_U16 },
	[RGM_CFG_A_MAX_MAPPINGS] = { .type = NLA_U32 },
	[RGM_CFG_A_LEASE_MAX] = { .type = NLA_U32 },
	[RGM_CFG_A_LAN6_PREFIXES] = NLA_POLICY_NESTED(rgm_cfg_prefixes6_policy),
};

/* Top level policies, one per operation. */
static const struct nla_policy rgm_add_policy[RGM_A_MAX + 1] = {
	/* Each element of the array is a mapping (its type is checked). */
	[RGM_A_MAPPINGS] = NLA_POLICY_NESTED_ARRAY(rgm_map_policy),
};

static const struct nla_policy rgm_del_policy[RGM_A_MAX + 1] = {
	[RGM_A_MAP_ID] = { .type = NLA_U32 },
	[RGM_A_KEY] = NLA_POLICY_NESTED(rgm_key_policy),
	[RGM_A_OWNER] = { .type = NLA_U64 },
	[RGM_A_ALL] = { .type = NLA_FLAG },
};

static const struct nla_policy rgm_get_policy[RGM_A_MAX + 1] = {
	[RGM_A_MAP_ID] = { .type = NLA_U32 },
	[RGM_A_KEY] = NLA_POLICY_NESTED(rgm_key_policy),
	[RGM_A_OWNER] = { .type = NLA_U64 },
};

static const struct nla_policy rgm_renew_policy[RGM_A_MAX + 1] = {
	[RGM_A_MAP_ID] = { .type = NLA_U32 },
	[RGM_A_KEY] = NLA_POLICY_NESTED(rgm_key_policy),
	[RGM_A_OWNER] = { .type = NLA_U64 },
	[RGM_A_LEASE] = { .type = NLA_U32 },
};

static const struct nla_policy rgm_ports_policy[RGM_A_MAX + 1] = {
	[RGM_A_PROTO] = { .type = NLA_U8 },
	[RGM_A_COUNT] = { .type = NLA_U32 },
	[RGM_A_GLOBAL_ADDR] = { .type = NLA_BE32 },
	[RGM_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __RGM_PORTS_F_ALL),
};

/* CONFIG_GET, STATS_GET: no attribute at all. */
static const struct nla_policy rgm_none_policy[RGM_A_MAX + 1] = {
};

static const struct nla_policy rgm_cfg_set_policy[RGM_A_MAX + 1] = {
	[RGM_A_CONFIG] = NLA_POLICY_NESTED(rgm_cfg_policy),
};

/* A usable host address: not 0/8, multicast, broadcast or loopback. */
static bool rgm_nl_unicast(__be32 addr)
{
	return !ipv4_is_zeronet(addr) && !ipv4_is_multicast(addr) &&
	       !ipv4_is_lbcast(addr) && !ipv4_is_loopback(addr);
}

/* What an IPv6 address is, for the checks of pinholes and prefixes. */
enum rgm_nl_addr6_class {
	RGM_NL_A6_OK,
	RGM_NL_A6_ANY,
	RGM_NL_A6_LOOPBACK,
	RGM_NL_A6_MULTICAST,
	RGM_NL_A6_LINKLOCAL,
	RGM_NL_A6_MAPPED,
};

static enum rgm_nl_addr6_class rgm_nl_addr6_class(const struct in6_addr *a)
{
	int type = ipv6_addr_type(a);

	if (type == IPV6_ADDR_ANY)
		return RGM_NL_A6_ANY;
	if (type & IPV6_ADDR_LOOPBACK)
		return RGM_NL_A6_LOOPBACK;
	if (type & IPV6_ADDR_MULTICAST)
		return RGM_NL_A6_MULTICAST;
	if (type & IPV6_ADDR_LINKLOCAL)
		return RGM_NL_A6_LINKLOCAL;
	if (type & IPV6_ADDR_MAPPED)
		return RGM_NL_A6_MAPPED;
	return RGM_NL_A6_OK;
}

/*
 * EINVAL with a message naming the attribute @name and what is wrong with
 * its address; 0 for a usable unicast address (or ::, if @any_ok). 6.1's
 * extack takes string literals only, hence a macro.
 */
#define RGM_NL_CHECK_ADDR6(extack, nla, name, any_ok) ({		\
	struct in6_addr __a = nla_get_in6_addr(nla);			\
	int __err = -EINVAL;						\
									\
	switch (rgm_nl_addr6_class(&__a)) {				\
	case RGM_NL_A6_OK:						\
		__err = 0;						\
		break;							\
	case RGM_NL_A6_ANY:						\
		if (any_ok)						\
			__err = 0;					\
		else							\
			NL_SET_ERR_MSG_ATTR(extack, nla, name		\
				" must not be the unspecified address"); \
		break;							\
	case RGM_NL_A6_LOOPBACK:					\
		NL_SET_ERR_MSG_ATTR(extack, nla, name			\
				    " must not be a loopback address");	\
		break;							\
	case RGM_NL_A6_MULTICAST:					\
		NL_SET_ERR_MSG_ATTR(extack, nla, name			\
				    " must not be a multicast address"); \
		break;							\
	case RGM_NL_A6_LINKLOCAL:					\
		NL_SET_ERR_MSG_ATTR(extack, nla, name			\
				    " must not be a link-local address"); \
		break;							\
	case RGM_NL_A6_MAPPED:						\
		NL_SET_ERR_MSG_ATTR(extack, nla, name			\
				    " must not be a v4-mapped address"); \
		break;							\
	}								\
	__err;								\
})

static size_t rgm_nl_mapping_size(void)
{
	return nla_total_size(0) +		/* RGM_A_MAPPING */
	       nla_total_size(4) +		/* ID */
	       3 * nla_total_size(1) +		/* PROTO, STREAM, FAMILY */
	       3 * nla_total_size(16) +		/* SERVER, GLOBAL, LOCAL ADDR */
	       3 * nla_total_size(2) +		/* SERVER, GLOBAL, LOCAL PORT */
	       2 * nla_total_size(4) +		/* LEASE, EXPIRES */
	       6 * nla_total_size_64bit(8);	/* OWNER, counters */
}

/* The server (if any), global and local addresses of either family. */
static int rgm_nl_put_addrs(struct sk_buff *skb, const struct rgm_mapping *m)
{
	if (m->key.family == AF_INET6)
		return (!ipv6_addr_any(&m->saddr.in6) &&
			nla_put_in6_addr(skb, RGM_MAP_A_SERVER_ADDR6,
					 &m->saddr.in6)) ||
		       nla_put_in6_addr(skb, RGM_MAP_A_GLOBAL_ADDR6,
					&m->key.gaddr.in6) ||
		       nla_put_in6_addr(skb, RGM_MAP_A_LOCAL_ADDR6,
					&m->laddr.in6);
	return (m->saddr.ip &&
		nla_put_in_addr(skb, RGM_MAP_A_SERVER_ADDR, m->saddr.ip)) ||
	       nla_put_in_addr(skb, RGM_MAP_A_GLOBAL_ADDR, m->key.gaddr.ip) ||
	       nla_put_in_addr(skb, RGM_MAP_A_LOCAL_ADDR, m->laddr.ip);
}

/* Caller holds rgm_net.lock (lease and expiry are read). */
static int rgm_nl_put_mapping(struct sk_buff *skb, int attrtype,
			      const struct rgm_mapping *m)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, RGM_MAP_A_ID, m->id) ||
	    nla_put_u8(skb, RGM_MAP_A_FAMILY, m->key.family) ||
	    nla_put_u8(skb, RGM_MAP_A_PROTO, m->key.proto) ||
	    nla_put_u8(skb, RGM_MAP_A_STREAM, m->stream) ||
	    rgm_nl_put_addrs(skb, m) ||
	    (m->sport &&
	     nla_put_u16(skb, RGM_MAP_A_SERVER_PORT, ntohs(m->sport))) ||
	    nla_put_u16(skb, RGM_MAP_A_GLOBAL_PORT, ntohs(m->key.gport)) ||
	    nla_put_u16(skb, RGM_MAP_A_LOCAL_PORT, ntohs(m->lport)) ||
	    nla_put_u32(skb, RGM_MAP_A_LEASE, m->lease) ||
	    nla_put_u64_64bit(skb, RGM_MAP_A_OWNER, m->owner, RGM_MAP_A_PAD) ||
	    nla_put_u32(skb, RGM_MAP_A_EXPIRES, rgm_mapping_expires_in(m)) ||
	    nla_put_u64_64bit(skb, RGM_MAP_A_PACKETS_IN,
			      atomic64_read(&m->packets_in), RGM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, RGM_MAP_A_BYTES_IN,
			      atomic64_read(&m->bytes_in), RGM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, RGM_MAP_A_PACKETS_OUT,
			      atomic64_read(&m->packets_out), RGM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, RGM_MAP_A_BYTES_OUT,
			      atomic64_read(&m->bytes_out), RGM_MAP_A_PAD) ||
	    nla_put_u64_64bit(skb, RGM_MAP_A_DROPS,
			      atomic64_read(&m->drops), RGM_MAP_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * MAP_NEW / MAP_GONE to RGM_MCGRP_EVENTS of the mapping's namespace. Best
 * effort: a listener that loses one (ENOMEM, full socket) learns it from
 * the socket's ENOBUFS and can dump the table.
 */
static void rgm_nl_notify(struct rgm_net *rn, const struct rgm_mapping *m,
			  u8 cmd, u8 reason, gfp_t gfp)
{
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&rn->lock);

	if (!genl_has_listeners(&rgm_genl_family, rn->net, 0))
		return;
	skb = genlmsg_new(rgm_nl_mapping_size() + nla_total_size(1), gfp);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &rgm_genl_family, 0, cmd);
	if (!hdr)
		goto err;
	if (rgm_nl_put_mapping(skb, RGM_A_MAPPING, m))
		goto err;
	if (cmd == RGM_CMD_MAP_GONE && nla_put_u8(skb, RGM_A_REASON, reason))
		goto err;
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&rgm_genl_family, rn->net, skb, 0, 0, gfp);
	return;
err:
	nlmsg_free(skb);
}

/* rgm_mapping.c calls this inside an RCU read section: no sleeping. */
static void rgm_nl_mapping_gone(struct rgm_net *rn,
				const struct rgm_mapping *m, u8 reason)
{
	rgm_nl_notify(rn, m, RGM_CMD_MAP_GONE, reason, GFP_ATOMIC);
}

static const struct rgm_mapping_notifier rgm_nl_notifier = {
	.gone = rgm_nl_mapping_gone,
};

/* The addresses and ports of an IPv4 mapping. */
static int rgm_nl_parse_map4(const struct rgm_config *cfg, struct nlattr *nla,
			     struct nlattr **tb, struct rgm_mapping *m,
			     struct netlink_ext_ack *extack)
{
	__be32 addr;

	if (RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_GLOBAL_ADDR) ||
	    RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_GLOBAL_PORT) ||
	    RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_LOCAL_ADDR) ||
	    RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_LOCAL_PORT))
		return -EINVAL;
	if (tb[RGM_MAP_A_SERVER_ADDR6] || tb[RGM_MAP_A_GLOBAL_ADDR6] ||
	    tb[RGM_MAP_A_LOCAL_ADDR6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_SERVER_ADDR6] ?:
				    tb[RGM_MAP_A_GLOBAL_ADDR6] ?:
				    tb[RGM_MAP_A_LOCAL_ADDR6],
				    "RGM_MAP_A_*_ADDR6 needs RGM_MAP_A_FAMILY AF_INET6");
		return -EINVAL;
	}

	if (tb[RGM_MAP_A_SERVER_ADDR]) {
		m->saddr.ip = nla_get_in_addr(tb[RGM_MAP_A_SERVER_ADDR]);
		/* 0.0.0.0 is "any", as an absent attribute. */
		if (m->saddr.ip && !rgm_nl_unicast(m->saddr.ip)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_SERVER_ADDR],
					    "RGM_MAP_A_SERVER_ADDR must be a unicast address");
			return -EINVAL;
		}
	}

	addr = nla_get_in_addr(tb[RGM_MAP_A_GLOBAL_ADDR]);
	if (!rgm_config_has_addr(cfg, addr)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_GLOBAL_ADDR],
				    "RGM_MAP_A_GLOBAL_ADDR is not a configured global address");
		return -EADDRNOTAVAIL;
	}
	m->key.gaddr.ip = addr;
	m->key.gport = htons(nla_get_u16(tb[RGM_MAP_A_GLOBAL_PORT]));
	if (!rgm_config_port_managed(cfg, ntohs(m->key.gport))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_GLOBAL_PORT],
				    "RGM_MAP_A_GLOBAL_PORT is outside the managed port range");
		return -ERANGE;
	}

	m->laddr.ip = nla_get_in_addr(tb[RGM_MAP_A_LOCAL_ADDR]);
	if (!rgm_nl_unicast(m->laddr.ip) ||
	    rgm_config_has_addr(cfg, m->laddr.ip)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_LOCAL_ADDR],
				    "RGM_MAP_A_LOCAL_ADDR must be a unicast address, not a global one");
		return -EINVAL;
	}
	m->lport = htons(nla_get_u16(tb[RGM_MAP_A_LOCAL_PORT]));
	return 0;
}

/*
 * The addresses and ports of an IPv6 pinhole: nothing is translated, so a
 * global address or port, if given, must be the local one.
 */
static int rgm_nl_parse_map6(const struct rgm_config *cfg, struct nlattr *nla,
			     struct nlattr **tb, struct rgm_mapping *m,
			     struct netlink_ext_ack *extack)
{
	struct in6_addr gaddr;
	struct nlattr *a;
	int err;

	a = tb[RGM_MAP_A_SERVER_ADDR] ?: tb[RGM_MAP_A_GLOBAL_ADDR] ?:
	    tb[RGM_MAP_A_LOCAL_ADDR];
	if (a) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "an AF_INET6 mapping takes RGM_MAP_A_*_ADDR6, not IPv4 addresses");
		return -EINVAL;
	}
	if (RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_LOCAL_ADDR6) ||
	    RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_LOCAL_PORT))
		return -EINVAL;

	a = tb[RGM_MAP_A_SERVER_ADDR6];
	if (a) {
		err = RGM_NL_CHECK_ADDR6(extack, a, "RGM_MAP_A_SERVER_ADDR6",
					 true);
		if (err)
			return err;
		m->saddr.in6 = nla_get_in6_addr(a);
	}

	a = tb[RGM_MAP_A_LOCAL_ADDR6];
	err = RGM_NL_CHECK_ADDR6(extack, a, "RGM_MAP_A_LOCAL_ADDR6", false);
	if (err)
		return err;
	m->laddr.in6 = nla_get_in6_addr(a);
	if (!rgm_config_in_lan6(cfg, &m->laddr.in6)) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "RGM_MAP_A_LOCAL_ADDR6 is not inside a configured LAN prefix");
		return -EADDRNOTAVAIL;
	}
	m->lport = htons(nla_get_u16(tb[RGM_MAP_A_LOCAL_PORT]));

	a = tb[RGM_MAP_A_GLOBAL_ADDR6];
	if (a)
		gaddr = nla_get_in6_addr(a);	/* nla_data() is only 4-aligned */
	if (a && !ipv6_addr_equal(&m->laddr.in6, &gaddr)) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "RGM_MAP_A_GLOBAL_ADDR6 must equal RGM_MAP_A_LOCAL_ADDR6: a pinhole translates nothing");
		return -EINVAL;
	}
	a = tb[RGM_MAP_A_GLOBAL_PORT];
	if (a && htons(nla_get_u16(a)) != m->lport) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "RGM_MAP_A_GLOBAL_PORT must equal RGM_MAP_A_LOCAL_PORT: a pinhole translates nothing");
		return -EINVAL;
	}
	if (!rgm_config_port_managed(cfg, ntohs(m->lport))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_LOCAL_PORT],
				    "RGM_MAP_A_LOCAL_PORT is outside the managed port range");
		return -ERANGE;
	}
	m->key.gaddr.in6 = m->laddr.in6;
	m->key.gport = m->lport;
	return 0;
}

/* Fills @m from one RGM_A_MAPPING of MAP_ADD, checked against the config. */
static int rgm_nl_parse_mapping(struct rgm_net *rn, struct nlattr *nla,
				struct rgm_mapping *m,
				struct netlink_ext_ack *extack)
{
	const struct rgm_config *cfg = rgm_config_locked(rn);
	struct nlattr *tb[RGM_MAP_A_MAX + 1];
	u8 stream = RGM_STREAM_UNSPEC;
	u32 lease;
	int err;

	err = nla_parse_nested(tb, RGM_MAP_A_MAX, nla, rgm_map_policy, extack);
	if (!err)
		err = rgm_nl_check_mapping(tb, extack);
	if (err)
		return err;
	if (RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_PROTO) ||
	    RGM_NL_REQUIRE(extack, nla, tb, RGM_MAP_A_LEASE))
		return -EINVAL;

	/* Zeroed by kzalloc(): the key's unused address bytes stay 0. */
	m->key.family = AF_INET;
	if (tb[RGM_MAP_A_FAMILY])
		m->key.family = nla_get_u8(tb[RGM_MAP_A_FAMILY]);
	m->key.proto = nla_get_u8(tb[RGM_MAP_A_PROTO]);
	if (tb[RGM_MAP_A_STREAM])
		stream = nla_get_u8(tb[RGM_MAP_A_STREAM]);
	if (stream == RGM_STREAM_UNSPEC)
		stream = m->key.proto == IPPROTO_TCP ? RGM_STREAM_TCP :
						       RGM_STREAM_UDP;
	if ((stream == RGM_STREAM_TCP) != (m->key.proto == IPPROTO_TCP)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_STREAM],
				    "RGM_MAP_A_STREAM does not fit RGM_MAP_A_PROTO");
		return -EINVAL;
	}
	m->stream = stream;
	if (tb[RGM_MAP_A_SERVER_PORT])
		m->sport = htons(nla_get_u16(tb[RGM_MAP_A_SERVER_PORT]));

	if (m->key.family == AF_INET6)
		err = rgm_nl_parse_map6(cfg, nla, tb, m, extack);
	else
		err = rgm_nl_parse_map4(cfg, nla, tb, m, extack);
	if (err)
		return err;

	lease = nla_get_u32(tb[RGM_MAP_A_LEASE]);
	if (lease > cfg->lease_max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_LEASE],
				    "RGM_MAP_A_LEASE exceeds the configured lease maximum");
		return -EINVAL;
	}
	rgm_mapping_set_lease(m, lease);

	if (tb[RGM_MAP_A_OWNER])
		m->owner = nla_get_u64(tb[RGM_MAP_A_OWNER]);
	return 0;
}

static int rgm_nl_map_add(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *list = info->attrs[RGM_A_MAPPINGS];
	struct rgm_mapping **maps;
	unsigned int n = 0, i, j;
	struct sk_buff *reply;
	struct nlattr *nla, *nest;
	LIST_HEAD(rollback);
	int rem, err;
	void *hdr;

	if (RGM_NL_REQUIRE(extack, NULL, info->attrs, RGM_A_MAPPINGS))
		return -EINVAL;
	nla_for_each_nested(nla, list, rem) {
		if (nla_type(nla) != RGM_A_MAPPING) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "RGM_A_MAPPINGS may only hold RGM_A_MAPPING");
			return -EINVAL;
		}
		if (++n > RGM_BATCH_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, list,
					    "RGM_A_MAPPINGS holds more than RGM_BATCH_MAX mappings");
			return -EINVAL;
		}
	}
	if (!n) {
		NL_SET_ERR_MSG_ATTR(extack, list, "RGM_A_MAPPINGS is empty");
		return -EINVAL;
	}

	/* Allocate everything first: past validation, only insertion fails. */
	maps = kcalloc(n, sizeof(*maps), GFP_KERNEL);
	if (!maps)
		return -ENOMEM;
	reply = genlmsg_new(nla_total_size(0) + n * rgm_nl_mapping_size(),
			    GFP_KERNEL);
	if (!reply) {
		err = -ENOMEM;
		goto out_maps;
	}
	hdr = genlmsg_put_reply(reply, info, &rgm_genl_family, 0,
				RGM_CMD_MAP_ADD);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out_reply;
	}
	for (i = 0; i < n; i++) {
		maps[i] = rgm_mapping_alloc();
		if (!maps[i]) {
			err = -ENOMEM;
			goto out_reply;
		}
	}

	mutex_lock(&rn->lock);
	i = 0;
	nla_for_each_nested(nla, list, rem) {
		struct rgm_mapping *m = maps[i];

		err = rgm_nl_parse_mapping(rn, nla, m, extack);
		if (err)
			goto out_unlock;
		for (j = 0; j < i; j++) {
			if (!memcmp(&maps[j]->key, &m->key, sizeof(m->key))) {
				NL_SET_ERR_MSG_ATTR(extack, nla,
						    "RGM_A_MAPPING repeats the key of an earlier one in the batch");
				err = -EEXIST;
				goto out_unlock;
			}
		}
		if (rgm_table_lookup_locked(rn, &m->key)) {
			NL_SET_ERR_MSG_ATTR(extack, nla,
					    "RGM_A_MAPPING: proto, global address and port are already mapped");
			err = -EEXIST;
			goto out_unlock;
		}
		i++;
	}
	if (rn->count + n > rgm_config_locked(rn)->max_mappings) {
		NL_SET_ERR_MSG_ATTR(extack, list,
				    "RGM_A_MAPPINGS would exceed the mapping limit");
		err = -ENOSPC;
		goto out_unlock;
	}

	for (i = 0; i < n; i++) {
		err = rgm_table_insert(rn, maps[i]);
		if (err)
			goto out_rollback;
		list_add_tail(&maps[i]->gone, &rollback);
	}
	rn->added += n;

	nest = nla_nest_start(reply, RGM_A_MAPPINGS);
	for (i = 0; nest && i < n; i++)
		if (WARN_ON_ONCE(rgm_nl_put_mapping(reply, RGM_A_MAPPING,
						    maps[i])))
			break;
	if (nest)
		nla_nest_end(reply, nest);
	genlmsg_end(reply, hdr);

	for (i = 0; i < n; i++) {
		list_del_init(&maps[i]->gone);
		rgm_nl_notify(rn, maps[i], RGM_CMD_MAP_NEW, 0, GFP_KERNEL);
	}
	rgm_expiry_arm(rn);
	mutex_unlock(&rn->lock);
	kfree(maps);
	return genlmsg_reply(reply, info);

out_rollback:
	/* The inserted ones were visible: remove them as any removal. */
	for (j = 0; j < i; j++)
		maps[j] = NULL;
	rgm_mapping_remove(rn, &rollback, RGM_REASON_UNSPEC);
	NL_SET_ERR_MSG(extack, "RGM_A_MAPPINGS could not be inserted");
out_unlock:
	mutex_unlock(&rn->lock);
out_reply:
	nlmsg_free(reply);
out_maps:
	for (i = 0; i < n; i++)
		if (maps[i])
			rgm_mapping_free(maps[i]);
	kfree(maps);
	return err;
}

/* RGM_A_KEY to a mapping; ENOENT if there is none. */
static int rgm_nl_key_lookup(struct rgm_net *rn, struct nlattr *key,
			     struct rgm_mapping **out,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[RGM_MAP_A_MAX + 1];
	union nf_inet_addr addr = {};
	u8 family = AF_INET;
	struct rgm_key k;
	int err;

	err = nla_parse_nested(tb, RGM_MAP_A_MAX, key, rgm_key_policy, extack);
	if (!err)
		err = rgm_nl_check_mapping(tb, extack);
	if (err)
		return err;
	if (tb[RGM_MAP_A_FAMILY])
		family = nla_get_u8(tb[RGM_MAP_A_FAMILY]);
	if (family == AF_INET6) {
		if (tb[RGM_MAP_A_GLOBAL_ADDR]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_GLOBAL_ADDR],
					    "an AF_INET6 key takes RGM_MAP_A_GLOBAL_ADDR6");
			return -EINVAL;
		}
		if (RGM_NL_REQUIRE(extack, key, tb, RGM_MAP_A_GLOBAL_ADDR6))
			return -EINVAL;
		addr.in6 = nla_get_in6_addr(tb[RGM_MAP_A_GLOBAL_ADDR6]);
	} else {
		if (tb[RGM_MAP_A_GLOBAL_ADDR6]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_MAP_A_GLOBAL_ADDR6],
					    "RGM_MAP_A_GLOBAL_ADDR6 needs RGM_MAP_A_FAMILY AF_INET6");
			return -EINVAL;
		}
		if (RGM_NL_REQUIRE(extack, key, tb, RGM_MAP_A_GLOBAL_ADDR))
			return -EINVAL;
		addr.ip = nla_get_in_addr(tb[RGM_MAP_A_GLOBAL_ADDR]);
	}
	if (RGM_NL_REQUIRE(extack, key, tb, RGM_MAP_A_PROTO) ||
	    RGM_NL_REQUIRE(extack, key, tb, RGM_MAP_A_GLOBAL_PORT))
		return -EINVAL;
	rgm_key_init(&k, family, nla_get_u8(tb[RGM_MAP_A_PROTO]), &addr,
		     htons(nla_get_u16(tb[RGM_MAP_A_GLOBAL_PORT])));
	*out = rgm_table_lookup_locked(rn, &k);
	if (!*out) {
		NL_SET_ERR_MSG_ATTR(extack, key, "RGM_A_KEY: no such mapping");
		return -ENOENT;
	}
	return 0;
}

/*
 * Collects on @out (through rgm_mapping.gone) the mappings that exactly one
 * selector of @attrs names. Selectors the op does not take are already
 * rejected by its policy. Sets *@by_key_or_id to tell deletes from flushes.
 */
static int rgm_nl_select(struct rgm_net *rn, struct nlattr **attrs,
			 struct list_head *out, bool *by_key_or_id,
			 struct netlink_ext_ack *extack)
{
	static const int sel[] = {
		RGM_A_MAP_ID, RGM_A_KEY, RGM_A_OWNER, RGM_A_ALL,
	};
	struct nlattr *first = NULL;
	struct rgm_mapping *m;
	unsigned int i;
	int id, err;

	lockdep_assert_held(&rn->lock);

	for (i = 0; i < ARRAY_SIZE(sel); i++) {
		if (!attrs[sel[i]])
			continue;
		if (first) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[sel[i]],
					    "exactly one selector (RGM_A_MAP_ID, RGM_A_KEY, RGM_A_OWNER, RGM_A_ALL) is allowed");
			return -EINVAL;
		}
		first = attrs[sel[i]];
	}
	if (!first) {
		NL_SET_ERR_MSG(extack,
			       "a selector (RGM_A_MAP_ID, RGM_A_KEY, RGM_A_OWNER or RGM_A_ALL) is required");
		return -EINVAL;
	}

	*by_key_or_id = false;
	if (attrs[RGM_A_MAP_ID]) {
		*by_key_or_id = true;
		m = rgm_table_find_id(rn, nla_get_u32(attrs[RGM_A_MAP_ID]));
		if (!m) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[RGM_A_MAP_ID],
					    "RGM_A_MAP_ID: no such mapping");
			return -ENOENT;
		}
		list_add_tail(&m->gone, out);
	} else if (attrs[RGM_A_KEY]) {
		*by_key_or_id = true;
		err = rgm_nl_key_lookup(rn, attrs[RGM_A_KEY], &m, extack);
		if (err)
			return err;
		list_add_tail(&m->gone, out);
	} else if (attrs[RGM_A_OWNER]) {
		u64 owner = nla_get_u64(attrs[RGM_A_OWNER]);

		rgm_table_for_each(rn, m, id)
			if (m->owner == owner)
				list_add_tail(&m->gone, out);
	} else {
		rgm_table_for_each(rn, m, id)
			list_add_tail(&m->gone, out);
	}
	return 0;
}

/* Replies with RGM_A_COUNT: allocated before the command acts, sent after. */
static struct sk_buff *rgm_nl_count_alloc(struct genl_info *info, u8 cmd,
					  void **hdr)
{
	struct sk_buff *reply;

	reply = genlmsg_new(nla_total_size(4), GFP_KERNEL);
	if (!reply)
		return NULL;
	*hdr = genlmsg_put_reply(reply, info, &rgm_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(reply);
		return NULL;
	}
	return reply;
}

static int rgm_nl_count_send(struct sk_buff *reply, void *hdr,
			     struct genl_info *info, u32 count)
{
	/* Cannot fail: the message was sized for it. */
	if (WARN_ON_ONCE(nla_put_u32(reply, RGM_A_COUNT, count))) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
}

static int rgm_nl_map_del(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct rgm_mapping *m;
	struct sk_buff *reply;
	LIST_HEAD(doomed);
	bool by_key_or_id;
	u32 count = 0;
	void *hdr;
	int err;

	reply = rgm_nl_count_alloc(info, RGM_CMD_MAP_DEL, &hdr);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&rn->lock);
	err = rgm_nl_select(rn, info->attrs, &doomed, &by_key_or_id,
			    info->extack);
	if (err) {
		mutex_unlock(&rn->lock);
		nlmsg_free(reply);
		return err;
	}
	list_for_each_entry(m, &doomed, gone)
		count++;
	rgm_mapping_remove(rn, &doomed, by_key_or_id ? RGM_REASON_DELETED :
						     RGM_REASON_FLUSHED);
	mutex_unlock(&rn->lock);

	return rgm_nl_count_send(reply, hdr, info, count);
}

static int rgm_nl_map_renew(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct rgm_mapping *m, *tmp;
	struct sk_buff *reply;
	LIST_HEAD(renew);
	bool by_key_or_id;
	u32 lease, count = 0;
	void *hdr;
	int err;

	if (RGM_NL_REQUIRE(extack, NULL, info->attrs, RGM_A_LEASE))
		return -EINVAL;
	lease = nla_get_u32(info->attrs[RGM_A_LEASE]);

	reply = rgm_nl_count_alloc(info, RGM_CMD_MAP_RENEW, &hdr);
	if (!reply)
		return -ENOMEM;

	mutex_lock(&rn->lock);
	if (lease > rgm_config_locked(rn)->lease_max) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[RGM_A_LEASE],
				    "RGM_A_LEASE exceeds the configured lease maximum");
		err = -EINVAL;
		goto out;
	}
	err = rgm_nl_select(rn, info->attrs, &renew, &by_key_or_id, extack);
	list_for_each_entry_safe(m, tmp, &renew, gone) {
		list_del_init(&m->gone);
		if (!err) {
			rgm_mapping_set_lease(m, lease);
			count++;
		}
	}
	if (count)
		rn->gen++;
out:
	mutex_unlock(&rn->lock);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	return rgm_nl_count_send(reply, hdr, info, count);
}

static int rgm_nl_map_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct rgm_mapping *m;
	struct sk_buff *reply;
	LIST_HEAD(sel);
	bool by_key_or_id;
	void *hdr;
	int err;

	if (info->attrs[RGM_A_OWNER]) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[RGM_A_OWNER],
				    "RGM_A_OWNER only filters a dump");
		return -EINVAL;
	}

	reply = genlmsg_new(rgm_nl_mapping_size(), GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &rgm_genl_family, 0,
				RGM_CMD_MAP_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}

	mutex_lock(&rn->lock);
	err = rgm_nl_select(rn, info->attrs, &sel, &by_key_or_id, extack);
	if (err) {
		mutex_unlock(&rn->lock);
		goto err_free;
	}
	m = list_first_entry(&sel, struct rgm_mapping, gone);
	list_del_init(&m->gone);
	err = rgm_nl_put_mapping(reply, RGM_A_MAPPING, m);
	mutex_unlock(&rn->lock);
	if (err)
		goto err_free;

	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_free:
	nlmsg_free(reply);
	return err;
}

/* Dump cursor: cb->args[0] is the next id to visit. */
static int rgm_nl_map_dump_start(struct netlink_callback *cb)
{
	cb->args[0] = 1;
	return 0;
}

/*
 * Dumps in id order, resuming from the id after the last one sent, so the
 * cursor stays valid whatever is added or removed between two calls: a
 * mapping present for the whole dump is sent exactly once. Changes during
 * the dump are flagged with NLM_F_DUMP_INTR through the table generation.
 */
static int rgm_nl_map_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct rgm_net *rn = rgm_pernet(sock_net(skb->sk));
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;
	struct nlattr *owner_attr = attrs[RGM_A_OWNER];
	u64 owner = owner_attr ? nla_get_u64(owner_attr) : 0;
	struct rgm_mapping *m;
	int id = cb->args[0];
	void *hdr;

	/*
	 * Checked here, not in .start: genetlink gives .start no extack
	 * (cb->extack is NULL there), the dump itself has one, sent back
	 * with NLMSG_DONE's errno.
	 */
	if (attrs[RGM_A_MAP_ID] || attrs[RGM_A_KEY]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[RGM_A_MAP_ID] ?: attrs[RGM_A_KEY],
				    "a dump takes only RGM_A_OWNER");
		return -EINVAL;
	}

	mutex_lock(&rn->lock);
	cb->seq = rn->gen;
	if (cb->args[0] > INT_MAX) {
		mutex_unlock(&rn->lock);
		return 0;
	}
	for (; (m = rgm_table_next(rn, &id)); id++) {
		if (owner_attr && m->owner != owner)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &rgm_genl_family,
				  NLM_F_MULTI, RGM_CMD_MAP_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (rgm_nl_put_mapping(skb, RGM_A_MAPPING, m)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&rn->lock);

	/* id is where to resume; past the last one if the loop ran out. */
	cb->args[0] = m ? id : (long)INT_MAX + 1;
	return skb->len;
}

static bool rgm_nl_port_used(struct rgm_net *rn, u8 proto, __be32 gaddr,
			     u32 port)
{
	union nf_inet_addr addr = { .ip = gaddr };
	struct rgm_key key;

	rgm_key_init(&key, AF_INET, proto, &addr, htons(port));
	return rgm_table_lookup_locked(rn, &key);
}

static int rgm_nl_ports_free(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	const struct rgm_config *cfg;
	u32 count, flags = 0, found = 0, i, p;
	struct sk_buff *reply;
	struct nlattr *nest;
	__be32 gaddr;
	u16 *ports;
	void *hdr;
	int err = 0;
	u8 proto;

	if (RGM_NL_REQUIRE(extack, NULL, attrs, RGM_A_PROTO) ||
	    RGM_NL_REQUIRE(extack, NULL, attrs, RGM_A_COUNT))
		return -EINVAL;
	proto = nla_get_u8(attrs[RGM_A_PROTO]);
	count = nla_get_u32(attrs[RGM_A_COUNT]);
	if (attrs[RGM_A_FLAGS])
		flags = nla_get_u32(attrs[RGM_A_FLAGS]);

	ports = kmalloc_array(count, sizeof(*ports), GFP_KERNEL);
	if (!ports)
		return -ENOMEM;

	mutex_lock(&rn->lock);
	cfg = rgm_config_locked(rn);
	if (attrs[RGM_A_GLOBAL_ADDR]) {
		gaddr = nla_get_in_addr(attrs[RGM_A_GLOBAL_ADDR]);
		if (!rgm_config_has_addr(cfg, gaddr)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[RGM_A_GLOBAL_ADDR],
					    "RGM_A_GLOBAL_ADDR is not a configured global address");
			err = -EADDRNOTAVAIL;
		}
	} else if (cfg->n_addrs) {
		gaddr = cfg->addrs[0];
	} else {
		NL_SET_ERR_MSG(extack, "no global address is configured");
		err = -EADDRNOTAVAIL;
	}

	if (!err && (flags & RGM_PORTS_F_PAIRS)) {
		for (p = ALIGN(cfg->port_min, 2);
		     p + 1 <= cfg->port_max && found < count; p += 2)
			if (!rgm_nl_port_used(rn, proto, gaddr, p) &&
			    !rgm_nl_port_used(rn, proto, gaddr, p + 1))
				ports[found++] = p;
	} else if (!err) {
		for (p = cfg->port_min; p <= cfg->port_max && found < count; p++)
			if (!rgm_nl_port_used(rn, proto, gaddr, p))
				ports[found++] = p;
	}
	mutex_unlock(&rn->lock);
	if (err)
		goto out;
	if (found < count) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[RGM_A_COUNT],
				    "RGM_A_COUNT: not enough free ports in the managed range");
		err = -ENOSPC;
		goto out;
	}

	reply = genlmsg_new(nla_total_size(0) + count * nla_total_size(2),
			    GFP_KERNEL);
	if (!reply) {
		err = -ENOMEM;
		goto out;
	}
	hdr = genlmsg_put_reply(reply, info, &rgm_genl_family, 0,
				RGM_CMD_PORTS_FREE);
	nest = hdr ? nla_nest_start(reply, RGM_A_PORTS) : NULL;
	if (!nest) {
		nlmsg_free(reply);
		err = -EMSGSIZE;
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (nla_put_u16(reply, RGM_A_PORT, ports[i])) {
			nlmsg_free(reply);
			err = -EMSGSIZE;
			goto out;
		}
	}
	nla_nest_end(reply, nest);
	genlmsg_end(reply, hdr);
	err = genlmsg_reply(reply, info);
out:
	kfree(ports);
	return err;
}

static int rgm_nl_put_config(struct sk_buff *skb, const struct rgm_config *cfg)
{
	struct nlattr *nest, *addrs;
	u32 i;

	nest = nla_nest_start(skb, RGM_A_CONFIG);
	if (!nest)
		return -EMSGSIZE;
	addrs = nla_nest_start(skb, RGM_CFG_A_GLOBAL_ADDRS);
	if (!addrs)
		return -EMSGSIZE;
	for (i = 0; i < cfg->n_addrs; i++)
		if (nla_put_in_addr(skb, RGM_CFG_A_ADDR, cfg->addrs[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, addrs);
	addrs = nla_nest_start(skb, RGM_CFG_A_LAN6_PREFIXES);
	if (!addrs)
		return -EMSGSIZE;
	for (i = 0; i < cfg->n_prefixes6; i++) {
		struct nlattr *pfx = nla_nest_start(skb, RGM_CFG_A_PREFIX6);

		if (!pfx ||
		    nla_put_in6_addr(skb, RGM_CFG_A_ADDR6,
				     &cfg->prefixes6[i].addr) ||
		    nla_put_u8(skb, RGM_CFG_A_PREFIX_LEN, cfg->prefixes6[i].len))
			return -EMSGSIZE;
		nla_nest_end(skb, pfx);
	}
	nla_nest_end(skb, addrs);
	if (nla_put_u16(skb, RGM_CFG_A_PORT_MIN, cfg->port_min) ||
	    nla_put_u16(skb, RGM_CFG_A_PORT_MAX, cfg->port_max) ||
	    nla_put_u32(skb, RGM_CFG_A_MAX_MAPPINGS, cfg->max_mappings) ||
	    nla_put_u32(skb, RGM_CFG_A_LEASE_MAX, cfg->lease_max))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int rgm_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct sk_buff *reply;
	void *hdr;
	int err;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &rgm_genl_family, 0,
				RGM_CMD_CONFIG_GET);
	if (!hdr) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	mutex_lock(&rn->lock);
	err = rgm_nl_put_config(reply, rgm_config_locked(rn));
	mutex_unlock(&rn->lock);
	if (err) {
		nlmsg_free(reply);
		return err;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
}

/* Applies RGM_CFG_A_GLOBAL_ADDRS to @cfg. */
static int rgm_nl_parse_addrs(struct rgm_config *cfg, struct nlattr *addrs,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int rem;

	cfg->n_addrs = 0;
	nla_for_each_nested(a, addrs, rem) {
		__be32 addr = nla_get_in_addr(a);

		if (cfg->n_addrs == RGM_GLOBAL_ADDRS_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, addrs,
					    "RGM_CFG_A_GLOBAL_ADDRS holds more than RGM_GLOBAL_ADDRS_MAX addresses");
			return -EINVAL;
		}
		if (!rgm_nl_unicast(addr)) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "RGM_CFG_A_ADDR must be a unicast address");
			return -EINVAL;
		}
		if (rgm_config_has_addr(cfg, addr)) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "RGM_CFG_A_ADDR is listed twice");
			return -EINVAL;
		}
		cfg->addrs[cfg->n_addrs++] = addr;
	}
	return 0;
}

/* Applies RGM_CFG_A_LAN6_PREFIXES to @cfg. */
static int rgm_nl_parse_prefixes6(struct rgm_config *cfg, struct nlattr *list,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[RGM_CFG_A_MAX + 1];
	struct rgm_prefix6 *p;
	struct in6_addr masked;
	struct nlattr *a;
	int rem, err;
	u32 i;

	cfg->n_prefixes6 = 0;
	nla_for_each_nested(a, list, rem) {
		if (cfg->n_prefixes6 == RGM_LAN6_PREFIXES_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, list,
					    "RGM_CFG_A_LAN6_PREFIXES holds more than RGM_LAN6_PREFIXES_MAX prefixes");
			return -EINVAL;
		}
		/* Nested policy already checked by the outer parse. */
		err = nla_parse_nested(tb, RGM_CFG_A_MAX, a,
				       rgm_cfg_prefix6_policy, extack);
		if (err)
			return err;
		if (RGM_NL_REQUIRE(extack, a, tb, RGM_CFG_A_ADDR6) ||
		    RGM_NL_REQUIRE(extack, a, tb, RGM_CFG_A_PREFIX_LEN))
			return -EINVAL;
		p = &cfg->prefixes6[cfg->n_prefixes6];
		p->len = nla_get_u8(tb[RGM_CFG_A_PREFIX_LEN]);
		if (!p->len || p->len > 128) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_PREFIX_LEN],
					    "RGM_CFG_A_PREFIX_LEN must be 1..128");
			return -EINVAL;
		}
		err = RGM_NL_CHECK_ADDR6(extack, tb[RGM_CFG_A_ADDR6],
					 "RGM_CFG_A_ADDR6", false);
		if (err)
			return err;
		p->addr = nla_get_in6_addr(tb[RGM_CFG_A_ADDR6]);
		ipv6_addr_prefix(&masked, &p->addr, p->len);
		if (!ipv6_addr_equal(&masked, &p->addr)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_ADDR6],
					    "RGM_CFG_A_ADDR6 has bits set past RGM_CFG_A_PREFIX_LEN");
			return -EINVAL;
		}
		for (i = 0; i < cfg->n_prefixes6; i++) {
			if (cfg->prefixes6[i].len == p->len &&
			    ipv6_addr_equal(&cfg->prefixes6[i].addr, &p->addr)) {
				NL_SET_ERR_MSG_ATTR(extack, a,
						    "RGM_CFG_A_PREFIX6 is listed twice");
				return -EINVAL;
			}
		}
		cfg->n_prefixes6++;
	}
	return 0;
}

/* EBUSY if an installed mapping would not fit @cfg. */
static int rgm_nl_config_fits(struct rgm_net *rn, const struct rgm_config *cfg,
			      struct nlattr **tb, struct nlattr *top,
			      struct netlink_ext_ack *extack)
{
	struct rgm_mapping *m;
	int id;

	if (rn->count > cfg->max_mappings) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_MAX_MAPPINGS],
				    "RGM_CFG_A_MAX_MAPPINGS is below the number of installed mappings");
		return -EBUSY;
	}
	rgm_table_for_each(rn, m, id) {
		if (!rgm_config_port_managed(cfg, ntohs(m->key.gport))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_PORT_MIN] ?:
						    tb[RGM_CFG_A_PORT_MAX] ?: top,
					    "RGM_CFG_A_PORT_MIN/MAX leave an installed mapping's port outside the range");
			return -EBUSY;
		}
		if (m->key.family == AF_INET6) {
			if (!rgm_config_in_lan6(cfg, &m->laddr.in6)) {
				NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_LAN6_PREFIXES],
						    "RGM_CFG_A_LAN6_PREFIXES drops the prefix of an installed pinhole");
				return -EBUSY;
			}
			continue;
		}
		if (!rgm_config_has_addr(cfg, m->key.gaddr.ip)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_GLOBAL_ADDRS],
					    "RGM_CFG_A_GLOBAL_ADDRS drops an address an installed mapping uses");
			return -EBUSY;
		}
		if (rgm_config_has_addr(cfg, m->laddr.ip)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_GLOBAL_ADDRS],
					    "RGM_CFG_A_GLOBAL_ADDRS holds the local address of an installed mapping");
			return -EBUSY;
		}
	}
	return 0;
}

static int rgm_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[RGM_CFG_A_MAX + 1];
	struct rgm_config *old, *cfg;
	struct nlattr *top;
	int err;

	if (RGM_NL_REQUIRE(extack, NULL, info->attrs, RGM_A_CONFIG))
		return -EINVAL;
	top = info->attrs[RGM_A_CONFIG];
	err = nla_parse_nested(tb, RGM_CFG_A_MAX, top, rgm_cfg_policy, extack);
	if (!err)
		err = rgm_nl_check_config(tb, extack);
	if (err)
		return err;

	mutex_lock(&rn->lock);
	old = rgm_config_locked(rn);
	cfg = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (!cfg) {
		err = -ENOMEM;
		goto out_unlock;
	}
	if (tb[RGM_CFG_A_GLOBAL_ADDRS]) {
		err = rgm_nl_parse_addrs(cfg, tb[RGM_CFG_A_GLOBAL_ADDRS],
					 extack);
		if (err)
			goto out_free;
	}
	if (tb[RGM_CFG_A_LAN6_PREFIXES]) {
		err = rgm_nl_parse_prefixes6(cfg, tb[RGM_CFG_A_LAN6_PREFIXES],
					     extack);
		if (err)
			goto out_free;
	}
	if (tb[RGM_CFG_A_PORT_MIN])
		cfg->port_min = nla_get_u16(tb[RGM_CFG_A_PORT_MIN]);
	if (tb[RGM_CFG_A_PORT_MAX])
		cfg->port_max = nla_get_u16(tb[RGM_CFG_A_PORT_MAX]);
	if (tb[RGM_CFG_A_MAX_MAPPINGS])
		cfg->max_mappings = nla_get_u32(tb[RGM_CFG_A_MAX_MAPPINGS]);
	if (tb[RGM_CFG_A_LEASE_MAX])
		cfg->lease_max = nla_get_u32(tb[RGM_CFG_A_LEASE_MAX]);
	if (cfg->port_min > cfg->port_max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[RGM_CFG_A_PORT_MAX] ?:
					    tb[RGM_CFG_A_PORT_MIN],
				    "RGM_CFG_A_PORT_MAX must not be below RGM_CFG_A_PORT_MIN");
		err = -EINVAL;
		goto out_free;
	}
	err = rgm_nl_config_fits(rn, cfg, tb, top, extack);
	if (err)
		goto out_free;

	/* The first global address turns conntrack and the hooks on. */
	if (cfg->n_addrs) {
		err = rgm_pernet_activate(rn);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot enable conntrack NAT in this namespace");
			goto out_free;
		}
	}
	/* The first LAN prefix turns IPv6 conntrack and the pinhole hook on. */
	if (cfg->n_prefixes6) {
		err = rgm_pernet_activate6(rn);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot enable IPv6 conntrack and labels in this namespace");
			goto out_free;
		}
	}

	rcu_assign_pointer(rn->cfg, cfg);
	kfree_rcu(old, rcu);
	mutex_unlock(&rn->lock);
	return 0;

out_free:
	kfree(cfg);
out_unlock:
	mutex_unlock(&rn->lock);
	return err;
}

static int rgm_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rgm_net *rn = rgm_pernet(genl_info_net(info));
	struct rgm_pcpu_stats sum = {};
	u64 mappings, added, deleted, expired;
	struct sk_buff *reply;
	struct nlattr *nest;
	void *hdr;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct rgm_pcpu_stats *s = per_cpu_ptr(rn->stats, cpu);

		sum.translated += READ_ONCE(s->translated);
		sum.drop_no_mapping += READ_ONCE(s->drop_no_mapping);
		sum.drop_wrong_server += READ_ONCE(s->drop_wrong_server);
		sum.drop_not_rtp += READ_ONCE(s->drop_not_rtp);
		sum.drop_untracked += READ_ONCE(s->drop_untracked);
	}
	mutex_lock(&rn->lock);
	mappings = rn->count;
	added = rn->added;
	deleted = rn->deleted;
	expired = rn->expired;
	mutex_unlock(&rn->lock);

	reply = genlmsg_new(nla_total_size(0) +
			    RGM_STATS_A_MAX * nla_total_size_64bit(8),
			    GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put_reply(reply, info, &rgm_genl_family, 0,
				RGM_CMD_STATS_GET);
	if (!hdr)
		goto err;
	nest = nla_nest_start(reply, RGM_A_STATS);
	if (!nest ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_MAPPINGS, mappings,
			      RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_ADDED, added,
			      RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_DELETED, deleted,
			      RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_EXPIRED, expired,
			      RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_TRANSLATED, sum.translated,
			      RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_DROP_NO_MAPPING,
			      sum.drop_no_mapping, RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_DROP_WRONG_SERVER,
			      sum.drop_wrong_server, RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_DROP_NOT_RTP,
			      sum.drop_not_rtp, RGM_STATS_A_PAD) ||
	    nla_put_u64_64bit(reply, RGM_STATS_A_DROP_UNTRACKED,
			      sum.drop_untracked, RGM_STATS_A_PAD))
		goto err;
	nla_nest_end(reply, nest);
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);
err:
	nlmsg_free(reply);
	return -EMSGSIZE;
}

/* Range checks of the top level attributes, for every doit. */
static int rgm_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			   struct genl_info *info)
{
	/* Every op has a policy sized RGM_A_MAX, so attrs is that large. */
	if (WARN_ON_ONCE(ops->maxattr != RGM_A_MAX || !info->attrs))
		return -EINVAL;
	return rgm_nl_check_top(info->attrs, info->extack);
}

static const struct genl_ops rgm_nl_ops[] = {
	{
		.cmd = RGM_CMD_MAP_ADD,
		.doit = rgm_nl_map_add,
		.policy = rgm_add_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_MAP_DEL,
		.doit = rgm_nl_map_del,
		.policy = rgm_del_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_MAP_GET,
		.doit = rgm_nl_map_get,
		.start = rgm_nl_map_dump_start,
		.dumpit = rgm_nl_map_dump,
		.policy = rgm_get_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_MAP_RENEW,
		.doit = rgm_nl_map_renew,
		.policy = rgm_renew_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_PORTS_FREE,
		.doit = rgm_nl_ports_free,
		.policy = rgm_ports_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_CONFIG_GET,
		.doit = rgm_nl_config_get,
		.policy = rgm_none_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_CONFIG_SET,
		.doit = rgm_nl_config_set,
		.policy = rgm_cfg_set_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = RGM_CMD_STATS_GET,
		.doit = rgm_nl_stats_get,
		.policy = rgm_none_policy,
		.maxattr = RGM_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group rgm_nl_mcgrps[] = {
	{ .name = RGM_MCGRP_EVENTS, .flags = RGM_MCGRP_FLAGS },
};

static struct genl_family rgm_genl_family __ro_after_init = {
	.name = RGM_GENL_NAME,
	.version = RGM_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	/*
	 * A new family: every op validates the genl header's reserved field
	 * and rejects attributes it has no policy for (see design.rst).
	 */
	.resv_start_op = 0,
	.pre_doit = rgm_nl_pre_doit,
	.module = THIS_MODULE,
	.ops = rgm_nl_ops,
	.n_ops = ARRAY_SIZE(rgm_nl_ops),
	.mcgrps = rgm_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(rgm_nl_mcgrps),
};

int __init rgm_nl_setup(void)
{
	int err;

	err = genl_register_family(&rgm_genl_family);
	if (err)
		return err;
	rgm_mapping_notifier_set(&rgm_nl_notifier);
	return 0;
}

void rgm_nl_teardown(void)
{
	/* No removal may reach the family once it is gone. */
	rgm_mapping_notifier_set(NULL);
	genl_unregister_family(&rgm_genl_family);
}
