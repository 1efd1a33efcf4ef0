/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * rgm: remotely programmed stream mappings on a NAT gateway.
 *
 * Documentation
 * =============
 *
 * The rgm module keeps, per network namespace, a table of mappings. A
 * mapping lets one stream from one media server reach one LAN host:
 *
 *   server addr:port  ->  global addr:port  ==DNAT==>  local addr:port
 *
 * Packets to a global address on a port of the managed range are translated
 * when a mapping matches them (including its server filter) and dropped
 * otherwise. Ports outside the managed range are never touched. Replies and
 * ICMP errors follow the conntrack NAT binding the module sets up.
 *
 * IPv6 (version 2): an AF_INET6 mapping is a *pinhole*, nothing is
 * translated:
 *
 *   server addr:port  ->  local addr:port   (global addr:port == local)
 *
 * New IPv6 flows forwarded to a LAN prefix (RGM_CFG_A_LAN6_PREFIXES) on a
 * port of the managed range are accepted when a pinhole matches them
 * (server filter, stream type) and dropped otherwise. An accepted flow's
 * conntrack entry gets conntrack label bit RGM_CT_LABEL_PINHOLE, which the
 * operator's IPv6 forward chain accepts ("ct label 127 accept"), as it
 * accepts "ct status dnat" for IPv4. Replies and ICMPv6 errors follow the
 * conntrack entry ("ct state established,related accept").
 *
 * The configuration interface is the generic netlink family "rgm", version
 * RGM_GENL_VERSION. Every command requires CAP_NET_ADMIN (GENL_ADMIN_PERM:
 * in the initial user namespace), dumps included; so does listening to
 * RGM_MCGRP_EVENTS. Every command acts on the caller's network namespace.
 *
 * Byte order: IPv4 addresses are 4 bytes in network order (NLA_BE32, as
 * struct in_addr); IPv6 addresses are 16 bytes in network order (binary,
 * exactly 16 bytes, as struct in6_addr). Ports, counts, leases and ids are
 * host order.
 *
 * Versions: version 2 adds the IPv6 attributes (RGM_MAP_A_FAMILY,
 * RGM_MAP_A_*_ADDR6, RGM_CFG_A_LAN6_PREFIXES). Every version 1 request is
 * valid and means the same; a mapping without RGM_MAP_A_FAMILY is IPv4.
 * Replies and events carry RGM_MAP_A_FAMILY for every mapping (a version 1
 * client skips it as an attribute it does not know).
 *
 * Attribute validation is strict: unknown attributes, wrong lengths or
 * types, values out of range and unknown flag bits are rejected with EINVAL
 * (a flag attribute with a payload, or a 16-byte IPv6 address attribute of
 * another length: ERANGE, netlink's own answer). Values
 * out of range and semantic errors carry an extack message naming the
 * attribute; errors of the attribute policy (length, type, flag mask) carry
 * netlink's generic message and the attribute's offset in the request
 * (NLMSGERR_ATTR_OFFS), which clients turn into its name as rgmctl does.
 *
 * RGM_CMD_MAP_ADD
 * ---------------
 *   Installs a batch of mappings, all or none. Takes:
 *
 *    RGM_A_MAPPINGS: NLA_NESTED, array of
 *        RGM_A_MAPPING: NLA_NESTED, with
 *            RGM_MAP_A_PROTO:        u8, IPPROTO_TCP or IPPROTO_UDP (required)
 *            RGM_MAP_A_STREAM:       u8, enum rgm_stream; default: the
 *                                    protocol's plain type. RGM_STREAM_TCP
 *                                    needs TCP, UDP and RTP need UDP.
 *            RGM_MAP_A_SERVER_ADDR:  be32, absent or 0.0.0.0: any server
 *                                    address
 *            RGM_MAP_A_SERVER_PORT:  u16, 1..65535, absent: any port
 *            RGM_MAP_A_GLOBAL_ADDR:  be32, one of the configured global
 *                                    addresses (required)
 *            RGM_MAP_A_GLOBAL_PORT:  u16, within the managed range (required)
 *            RGM_MAP_A_LOCAL_ADDR:   be32, unicast, not a global address
 *                                    (required)
 *            RGM_MAP_A_LOCAL_PORT:   u16, 1..65535 (required)
 *            RGM_MAP_A_LEASE:        u32 seconds, 1..lease_max (required)
 *            RGM_MAP_A_OWNER:        u64 cookie chosen by the caller, used
 *                                    to delete or renew what one session
 *                                    installed (default 0)
 *            RGM_MAP_A_FAMILY:       u8, AF_INET (default) or AF_INET6
 *
 *   An AF_INET6 mapping (a pinhole) takes the *_ADDR6 attributes instead of
 *   the IPv4 ones (which it refuses, as an IPv4 mapping refuses *_ADDR6):
 *            RGM_MAP_A_SERVER_ADDR6: 16 bytes, absent or ::: any server;
 *                                    else not multicast, link-local,
 *                                    loopback or v4-mapped
 *            RGM_MAP_A_LOCAL_ADDR6:  16 bytes (required), a unicast address
 *                                    inside a configured LAN prefix
 *                                    (EADDRNOTAVAIL otherwise); never
 *                                    unspecified, loopback, link-local,
 *                                    multicast or v4-mapped (EINVAL)
 *            RGM_MAP_A_LOCAL_PORT:   u16, within the managed range (ERANGE)
 *                                    (required)
 *            RGM_MAP_A_GLOBAL_ADDR6: 16 bytes, optional, must equal
 *                                    RGM_MAP_A_LOCAL_ADDR6 (EINVAL)
 *            RGM_MAP_A_GLOBAL_PORT:  u16, optional, must equal
 *                                    RGM_MAP_A_LOCAL_PORT (EINVAL)
 *   PROTO, STREAM, SERVER_PORT, LEASE and OWNER are as for IPv4. The key of
 *   a pinhole is (proto, local addr, local port); replies and dumps carry
 *   GLOBAL_ADDR6/PORT equal to LOCAL_ADDR6/PORT.
 *
 *   RGM_MAP_A_ID and the counters are output only and rejected here.
 *   Errors: EEXIST if (proto, global addr, global port) is taken, also
 *   within the batch; ENOSPC if the table would exceed max_mappings;
 *   ERANGE if a port is outside the managed range; EADDRNOTAVAIL if the
 *   global address is not configured. The reply carries RGM_A_MAPPINGS with
 *   every installed mapping, ids assigned, in request order.
 *
 * RGM_CMD_MAP_DEL
 * ---------------
 *   Deletes by exactly one selector:
 *    RGM_A_MAP_ID: u32
 *    RGM_A_KEY: NLA_NESTED with RGM_MAP_A_PROTO, RGM_MAP_A_GLOBAL_ADDR,
 *               RGM_MAP_A_GLOBAL_PORT; for a pinhole RGM_MAP_A_FAMILY
 *               (AF_INET6), RGM_MAP_A_PROTO, RGM_MAP_A_GLOBAL_ADDR6,
 *               RGM_MAP_A_GLOBAL_PORT (the pinhole's local address and
 *               port)
 *    RGM_A_OWNER: u64, deletes every mapping with that owner cookie
 *    RGM_A_ALL: flag, deletes every mapping (flush)
 *   Conntrack entries created through a deleted mapping are removed before
 *   the command returns, so its streams stop at once. ENOENT if nothing
 *   matched an id or key; deleting by owner that matches nothing is not an
 *   error. The reply carries RGM_A_COUNT (u32), the number deleted.
 *
 * RGM_CMD_MAP_GET
 * ---------------
 *   doit: by RGM_A_MAP_ID or RGM_A_KEY, replies with one RGM_A_MAPPING.
 *   dumpit (NLM_F_DUMP): one message per mapping, each with RGM_A_MAPPING,
 *   optionally filtered by RGM_A_OWNER. Dumps are flagged NLM_F_DUMP_INTR
 *   when the table changed while they ran. A dumped mapping carries all the
 *   attributes of MAP_ADD plus:
 *            RGM_MAP_A_ID:           u32, unique in the netns, never 0
 *            RGM_MAP_A_EXPIRES:      u32, seconds of lease left
 *            RGM_MAP_A_PACKETS_IN:   u64, WAN to LAN packets translated
 *                                    (or let through a pinhole)
 *            RGM_MAP_A_BYTES_IN:     u64
 *            RGM_MAP_A_PACKETS_OUT:  u64, LAN to WAN replies
 *            RGM_MAP_A_BYTES_OUT:    u64
 *            RGM_MAP_A_DROPS:        u64, packets dropped for this mapping
 *                                    (wrong server, not RTP)
 *
 * RGM_CMD_MAP_RENEW
 * -----------------
 *   Sets a new lease (RGM_A_LEASE, u32, 1..lease_max) from now, for
 *   RGM_A_MAP_ID, RGM_A_KEY or RGM_A_OWNER. Replies with RGM_A_COUNT.
 *
 * RGM_CMD_PORTS_FREE
 * ------------------
 *   Finds free global ports. Takes RGM_A_PROTO (required), RGM_A_COUNT
 *   (u32, 1..RGM_PORTS_MAX, required), RGM_A_GLOBAL_ADDR (default: the first
 *   global address), RGM_A_FLAGS (u32, RGM_PORTS_F_*). With
 *   RGM_PORTS_F_PAIRS, COUNT pairs are returned: an even port whose odd
 *   neighbour is free too (RTP and RTCP). Replies with RGM_A_PORTS, a nest of
 *   RGM_A_PORT (u16) in ascending order, or ENOSPC if not enough are free.
 *   Ports are not held: a later MAP_ADD may still find one taken (EEXIST).
 *   IPv4 global addresses only.
 *
 * RGM_CMD_CONFIG_GET, RGM_CMD_CONFIG_SET
 * --------------------------------------
 *   RGM_A_CONFIG: NLA_NESTED, with
 *            RGM_CFG_A_GLOBAL_ADDRS: NLA_NESTED of RGM_CFG_A_ADDR (be32),
 *                                    at most RGM_GLOBAL_ADDRS_MAX
 *            RGM_CFG_A_PORT_MIN:     u16, 1..65535 (default 40000)
 *            RGM_CFG_A_PORT_MAX:     u16, >= PORT_MIN (default 49999)
 *            RGM_CFG_A_MAX_MAPPINGS: u32, 1..RGM_MAX_MAPPINGS_LIMIT
 *                                    (default 65536)
 *            RGM_CFG_A_LEASE_MAX:    u32, 1..RGM_LEASE_LIMIT (default 86400)
 *            RGM_CFG_A_LAN6_PREFIXES: NLA_NESTED of RGM_CFG_A_PREFIX6, at
 *                                    most RGM_LAN6_PREFIXES_MAX, each
 *                                    NLA_NESTED with
 *                RGM_CFG_A_ADDR6:        16 bytes, the prefix; no bit set
 *                                        past the length; not multicast,
 *                                        link-local, loopback, v4-mapped
 *                                        or unspecified (required)
 *                RGM_CFG_A_PREFIX_LEN:   u8, 1..128 (required)
 *                                    The IPv6 LAN: pinholes open to
 *                                    addresses inside these prefixes, and
 *                                    new IPv6 flows forwarded to them on a
 *                                    managed port are rgm's to judge.
 *                                    An empty nest removes them all.
 *   SET changes only the attributes present. It fails with EBUSY when an
 *   installed mapping would fall outside the new configuration (a removed
 *   global address or LAN prefix, a port outside the new range, more
 *   mappings than the new maximum). GET replies with the whole
 *   configuration.
 *
 * RGM_CMD_STATS_GET
 * -----------------
 *   Replies with RGM_A_STATS: NLA_NESTED of RGM_STATS_A_* (u64 each).
 *
 * Notifications
 * -------------
 *   The multicast group RGM_MCGRP_EVENTS receives RGM_CMD_MAP_NEW for every
 *   installed mapping and RGM_CMD_MAP_GONE for every removed one, each with
 *   RGM_A_MAPPING and, for GONE, RGM_A_REASON (enum rgm_reason).
 */

#ifndef _UAPI_LINUX_RGM_H
#define _UAPI_LINUX_RGM_H

#define RGM_GENL_NAME		"rgm"
#define RGM_GENL_VERSION	2
#define RGM_MCGRP_EVENTS	"events"

#define RGM_GLOBAL_ADDRS_MAX	16
#define RGM_MAX_MAPPINGS_LIMIT	(1U << 20)
#define RGM_LEASE_LIMIT		(7U * 24 * 3600)
#define RGM_PORTS_MAX		1024
#define RGM_BATCH_MAX		64
#define RGM_LAN6_PREFIXES_MAX	16

/*
 * The conntrack label bit rgm sets on every IPv6 flow it lets through a
 * pinhole: the operator's forward chain accepts "ct label 127".
 */
#define RGM_CT_LABEL_PINHOLE	127

#define RGM_DEFAULT_PORT_MIN	40000
#define RGM_DEFAULT_PORT_MAX	49999
#define RGM_DEFAULT_MAX_MAPPINGS 65536
#define RGM_DEFAULT_LEASE_MAX	86400

enum rgm_cmd {
	RGM_CMD_UNSPEC,
	RGM_CMD_MAP_ADD,
	RGM_CMD_MAP_DEL,
	RGM_CMD_MAP_GET,
	RGM_CMD_MAP_RENEW,
	RGM_CMD_PORTS_FREE,
	RGM_CMD_CONFIG_GET,
	RGM_CMD_CONFIG_SET,
	RGM_CMD_STATS_GET,
	RGM_CMD_MAP_NEW,	/* notification only */
	RGM_CMD_MAP_GONE,	/* notification only */
	__RGM_CMD_MAX
};
#define RGM_CMD_MAX (__RGM_CMD_MAX - 1)

enum rgm_attr {
	RGM_A_UNSPEC,
	RGM_A_MAPPINGS,		/* nest of RGM_A_MAPPING */
	RGM_A_MAPPING,		/* nest of RGM_MAP_A_* */
	RGM_A_MAP_ID,		/* u32 */
	RGM_A_KEY,		/* nest: RGM_MAP_A_PROTO, _GLOBAL_ADDR, _GLOBAL_PORT
				 * (IPv6: _FAMILY, _PROTO, _GLOBAL_ADDR6, _GLOBAL_PORT) */
	RGM_A_OWNER,		/* u64 */
	RGM_A_ALL,		/* flag */
	RGM_A_LEASE,		/* u32 */
	RGM_A_PROTO,		/* u8 */
	RGM_A_COUNT,		/* u32 */
	RGM_A_FLAGS,		/* u32, RGM_PORTS_F_* */
	RGM_A_GLOBAL_ADDR,	/* be32 */
	RGM_A_PORTS,		/* nest of RGM_A_PORT */
	RGM_A_PORT,		/* u16 */
	RGM_A_CONFIG,		/* nest of RGM_CFG_A_* */
	RGM_A_STATS,		/* nest of RGM_STATS_A_* */
	RGM_A_REASON,		/* u8, enum rgm_reason */
	RGM_A_PAD,
	__RGM_A_MAX
};
#define RGM_A_MAX (__RGM_A_MAX - 1)

enum rgm_map_attr {
	RGM_MAP_A_UNSPEC,
	RGM_MAP_A_ID,		/* u32, output only */
	RGM_MAP_A_PROTO,	/* u8 */
	RGM_MAP_A_STREAM,	/* u8, enum rgm_stream */
	RGM_MAP_A_SERVER_ADDR,	/* be32 */
	RGM_MAP_A_SERVER_PORT,	/* u16 */
	RGM_MAP_A_GLOBAL_ADDR,	/* be32 */
	RGM_MAP_A_GLOBAL_PORT,	/* u16 */
	RGM_MAP_A_LOCAL_ADDR,	/* be32 */
	RGM_MAP_A_LOCAL_PORT,	/* u16 */
	RGM_MAP_A_LEASE,	/* u32 seconds */
	RGM_MAP_A_OWNER,	/* u64 */
	RGM_MAP_A_EXPIRES,	/* u32 seconds left, output only */
	RGM_MAP_A_PACKETS_IN,	/* u64, output only */
	RGM_MAP_A_BYTES_IN,	/* u64, output only */
	RGM_MAP_A_PACKETS_OUT,	/* u64, output only */
	RGM_MAP_A_BYTES_OUT,	/* u64, output only */
	RGM_MAP_A_DROPS,	/* u64, output only */
	RGM_MAP_A_PAD,
	RGM_MAP_A_FAMILY,	/* u8, AF_INET or AF_INET6 (version 2) */
	RGM_MAP_A_SERVER_ADDR6,	/* 16 bytes, in6_addr */
	RGM_MAP_A_GLOBAL_ADDR6,	/* 16 bytes, in6_addr */
	RGM_MAP_A_LOCAL_ADDR6,	/* 16 bytes, in6_addr */
	__RGM_MAP_A_MAX
};
#define RGM_MAP_A_MAX (__RGM_MAP_A_MAX - 1)

enum rgm_cfg_attr {
	RGM_CFG_A_UNSPEC,
	RGM_CFG_A_GLOBAL_ADDRS,	/* nest of RGM_CFG_A_ADDR */
	RGM_CFG_A_ADDR,		/* be32 */
	RGM_CFG_A_PORT_MIN,	/* u16 */
	RGM_CFG_A_PORT_MAX,	/* u16 */
	RGM_CFG_A_MAX_MAPPINGS,	/* u32 */
	RGM_CFG_A_LEASE_MAX,	/* u32 */
	RGM_CFG_A_LAN6_PREFIXES, /* nest of RGM_CFG_A_PREFIX6 (version 2) */
	RGM_CFG_A_PREFIX6,	/* nest: RGM_CFG_A_ADDR6, RGM_CFG_A_PREFIX_LEN */
	RGM_CFG_A_ADDR6,	/* 16 bytes, in6_addr */
	RGM_CFG_A_PREFIX_LEN,	/* u8, 1..128 */
	__RGM_CFG_A_MAX
};
#define RGM_CFG_A_MAX (__RGM_CFG_A_MAX - 1)

enum rgm_stats_attr {
	RGM_STATS_A_UNSPEC,
	RGM_STATS_A_MAPPINGS,		/* installed now */
	RGM_STATS_A_ADDED,		/* installed since the netns began */
	RGM_STATS_A_DELETED,		/* removed by command or flush */
	RGM_STATS_A_EXPIRED,		/* removed by lease expiry */
	RGM_STATS_A_TRANSLATED,		/* new flows bound to a mapping or
					 * let through a pinhole */
	RGM_STATS_A_DROP_NO_MAPPING,	/* managed port, no mapping */
	RGM_STATS_A_DROP_WRONG_SERVER,	/* mapping found, server filter failed */
	RGM_STATS_A_DROP_NOT_RTP,	/* rtp mapping, datagram not RTP/RTCP v2 */
	RGM_STATS_A_DROP_UNTRACKED,	/* managed port, no usable conntrack */
	RGM_STATS_A_PAD,
	__RGM_STATS_A_MAX
};
#define RGM_STATS_A_MAX (__RGM_STATS_A_MAX - 1)

enum rgm_stream {
	RGM_STREAM_UNSPEC,
	RGM_STREAM_TCP,
	RGM_STREAM_UDP,
	RGM_STREAM_RTP,		/* UDP datagrams must be RTP or RTCP version 2 */
	__RGM_STREAM_MAX
};
#define RGM_STREAM_MAX (__RGM_STREAM_MAX - 1)

enum rgm_reason {
	RGM_REASON_UNSPEC,
	RGM_REASON_DELETED,	/* by id or key */
	RGM_REASON_FLUSHED,	/* by owner or all */
	RGM_REASON_EXPIRED,	/* lease ran out */
	__RGM_REASON_MAX
};
#define RGM_REASON_MAX (__RGM_REASON_MAX - 1)

enum rgm_ports_flags {
	RGM_PORTS_F_PAIRS = 1U << 0,	/* even port + odd neighbour, both free */
	__RGM_PORTS_F_ALL = RGM_PORTS_F_PAIRS
};

#endif /* _UAPI_LINUX_RGM_H */
