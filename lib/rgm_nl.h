/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace client of the "rgm" generic netlink family (libnl-genl).
 * Shared by rgmctl, rgmd and the selftests. Every call returns 0 or a
 * negative errno; after an error rgm_nl_errmsg() gives the kernel's extack
 * text when it sent one, else strerror().
 */
#ifndef RGM_NL_H
#define RGM_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/rgm.h>

/*
 * family 0 or AF_INET: an IPv4 mapping (the in_addr fields). AF_INET6: a
 * pinhole (the in6_addr fields; global_addr6/global_port may be left
 * zero, the kernel fills them with the local ones).
 */
struct rgm_map {
	uint32_t id;			/* assigned by the kernel */
	uint8_t family;			/* 0/AF_INET or AF_INET6 */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t stream;			/* enum rgm_stream, 0: the proto's plain type */
	struct in_addr server_addr;	/* INADDR_ANY: any server */
	uint16_t server_port;		/* 0: any port */
	struct in_addr global_addr;
	uint16_t global_port;
	struct in_addr local_addr;
	uint16_t local_port;
	struct in6_addr server_addr6;	/* :: any server */
	struct in6_addr global_addr6;	/* == local_addr6 */
	struct in6_addr local_addr6;
	uint32_t lease;			/* seconds */
	uint64_t owner;
	/* output only */
	uint32_t expires;
	uint64_t packets_in, bytes_in, packets_out, bytes_out, drops;
};

struct rgm_prefix6 {
	struct in6_addr addr;
	uint8_t len;
};

struct rgm_config {
	struct in_addr addrs[RGM_GLOBAL_ADDRS_MAX];
	unsigned int n_addrs;
	struct rgm_prefix6 prefixes6[RGM_LAN6_PREFIXES_MAX];
	unsigned int n_prefixes6;
	uint16_t port_min, port_max;
	uint32_t max_mappings;
	uint32_t lease_max;
	uint32_t set;			/* for config_set: RGM_CFG_SET_* present */
};
#define RGM_CFG_SET_ADDRS	(1U << 0)
#define RGM_CFG_SET_PORT_MIN	(1U << 1)
#define RGM_CFG_SET_PORT_MAX	(1U << 2)
#define RGM_CFG_SET_MAX_MAPPINGS (1U << 3)
#define RGM_CFG_SET_LEASE_MAX	(1U << 4)
#define RGM_CFG_SET_PREFIXES6	(1U << 5)

struct rgm_stats {
	uint64_t v[RGM_STATS_A_MAX + 1];	/* indexed by RGM_STATS_A_* */
};

/* Which mappings a delete or renew acts on. */
enum rgm_sel_kind { RGM_SEL_ID, RGM_SEL_KEY, RGM_SEL_OWNER, RGM_SEL_ALL };
struct rgm_sel {
	enum rgm_sel_kind kind;
	uint32_t id;
	uint8_t family;			/* 0/AF_INET: global_addr, AF_INET6: global_addr6 */
	uint8_t proto;
	struct in_addr global_addr;
	struct in6_addr global_addr6;
	uint16_t global_port;
	uint64_t owner;
};

struct rgm_nl;

/* Opens a generic netlink socket and resolves the family. -ENOENT when the
 * module is not loaded (the message then says so). */
int rgm_nl_open(struct rgm_nl **out);
void rgm_nl_close(struct rgm_nl *nl);
const char *rgm_nl_errmsg(const struct rgm_nl *nl);

/* All or none; fills each mapping's id (and the kernel's view) on success. */
int rgm_nl_map_add(struct rgm_nl *nl, struct rgm_map *maps, unsigned int n);
int rgm_nl_map_del(struct rgm_nl *nl, const struct rgm_sel *sel, uint32_t *count);
int rgm_nl_map_renew(struct rgm_nl *nl, const struct rgm_sel *sel, uint32_t lease,
		     uint32_t *count);
/* sel must be RGM_SEL_ID or RGM_SEL_KEY. */
int rgm_nl_map_get(struct rgm_nl *nl, const struct rgm_sel *sel, struct rgm_map *out);

/* Calls cb once per mapping; a non-zero return from cb stops the dump and is
 * returned. owner may be NULL (all). A dump interrupted by a concurrent change
 * is restarted internally (a few times) so cb sees one consistent table;
 * cb may then be called again for the same mappings: callers that collect
 * must reset on rgm_nl_map_dump's restart callback (restart may be NULL). */
typedef int (*rgm_map_cb)(const struct rgm_map *m, void *arg);
int rgm_nl_map_dump(struct rgm_nl *nl, const uint64_t *owner, rgm_map_cb cb,
		    void (*restart)(void *arg), void *arg);

/* Fills ports[0..count-1] (count pairs' even ports with RGM_PORTS_F_PAIRS).
 * global_addr may be NULL for the first configured address. */
int rgm_nl_ports_free(struct rgm_nl *nl, uint8_t proto, const struct in_addr *global_addr,
		      uint32_t count, uint32_t flags, uint16_t *ports);

int rgm_nl_config_get(struct rgm_nl *nl, struct rgm_config *cfg);
int rgm_nl_config_set(struct rgm_nl *nl, const struct rgm_config *cfg);
int rgm_nl_stats_get(struct rgm_nl *nl, struct rgm_stats *st);

/* Events: a separate handle subscribed to RGM_MCGRP_EVENTS. The fd is for
 * poll(); rgm_nl_events_recv() handles what is pending without blocking. */
int rgm_nl_events_open(struct rgm_nl **out);
int rgm_nl_events_fd(const struct rgm_nl *nl);
typedef void (*rgm_event_cb)(uint8_t cmd, const struct rgm_map *m, uint8_t reason,
			     void *arg);
int rgm_nl_events_recv(struct rgm_nl *nl, rgm_event_cb cb, void *arg);

/* The name of the attribute at byte offset off of a request message (the
 * whole nlmsghdr, as the kernel echoes it): how a policy error's
 * NLMSGERR_ATTR_OFFS is told to a person. NULL if off is not an attribute. */
const char *rgm_nl_attr_name(const void *req, size_t req_len, unsigned int off);

/* Names for printing and parsing: "tcp", "udp", "rtp"; NULL/-1 if unknown. */
const char *rgm_stream_name(uint8_t stream);
int rgm_stream_parse(const char *s);
const char *rgm_proto_name(uint8_t proto);
int rgm_proto_parse(const char *s);
const char *rgm_reason_name(uint8_t reason);
const char *rgm_stats_name(unsigned int attr);

#endif /* RGM_NL_H */
