/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgmd's authorization policy: what any configuration server may ask of this
 * gateway, whatever it says. Filled from rgmd.conf (see rgm_policy_set) and
 * checked for every stream of every map request.
 */
#ifndef RGM_POLICY_H
#define RGM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/rgm.h>

#define RGM_POLICY_PREFIXES_MAX 32

struct rgm_prefix {
	struct in_addr addr;
	uint8_t len;
};

struct rgm_policy {
	struct rgm_prefix lan[RGM_POLICY_PREFIXES_MAX];	/* where mappings may point */
	unsigned int n_lan;
	uint16_t port_min, port_max;		/* global ports rgmd may hand out */
	uint32_t lease_max;			/* seconds */
	uint32_t max_per_host;			/* mappings per LAN address */
	uint32_t max_total;			/* mappings installed by rgmd */
	uint32_t streams;			/* bit (1 << enum rgm_stream) allowed */
};

/* Defaults: no LAN prefix (so nothing is allowed until one is configured),
 * ports 40000-49999, lease_max 3600, 16 per host, 1024 in all, every type. */
void rgm_policy_init(struct rgm_policy *p);

/*
 * Applies one "key = value" line of rgmd.conf. Returns 0, -ENOENT when the
 * key is not a policy key (so the caller can try its own keys), or -EINVAL
 * with a message naming the key and the bad value in err.
 * Keys: lan-prefix (repeatable, A.B.C.D/N), ports (MIN-MAX), lease-max,
 * max-per-host, max-mappings, streams (comma list of tcp,udp,rtp).
 */
int rgm_policy_set(struct rgm_policy *p, const char *key, const char *value,
		   char *err, size_t errlen);

/* Whole-policy consistency once the file is read (e.g. at least one LAN
 * prefix). 0 or -EINVAL with a message. */
int rgm_policy_validate(const struct rgm_policy *p, char *err, size_t errlen);

/*
 * Per-request checks (added with rgm_policy.c). Each returns 0 or
 * -EPERM with a message for the configuration server in err.
 */
/* Inside a lan-prefix, not its network/broadcast address, and none of the
 * gateway's own addresses (self[0..n_self-1]). */
int rgm_policy_check_local(const struct rgm_policy *p, struct in_addr local,
			   const struct in_addr *self, unsigned int n_self,
			   char *err, size_t errlen);
/* Global port within ports MIN-MAX. */
int rgm_policy_check_port(const struct rgm_policy *p, uint16_t port, char *err,
			  size_t errlen);
/* 1..lease-max */
int rgm_policy_check_lease(const struct rgm_policy *p, uint32_t lease, char *err,
			   size_t errlen);
/* enum rgm_stream in streams */
int rgm_policy_check_stream(const struct rgm_policy *p, uint8_t stream, char *err,
			    size_t errlen);
/* Counts as they would be after the request: host_count mappings for LAN
 * address host, total_count for everything rgmd holds. */
int rgm_policy_check_counts(const struct rgm_policy *p, struct in_addr host,
			    uint32_t host_count, uint32_t total_count, char *err, size_t errlen);
/* "tcp", "udp", "rtp", or NULL */
const char *rgm_policy_stream_name(uint8_t stream);

#endif /* RGM_POLICY_H */
