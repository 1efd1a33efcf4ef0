// SPDX-License-Identifier: GPL-2.0
/*
 * rgmd's authorization policy: rgmd.conf keys and the checks every map
 * request goes through. No I/O here, so the host unit tests cover it all
 * (tests/policy_test.c). The checks return -EPERM with a message that names
 * what was refused: it goes to the configuration server verbatim.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rgm.h>

#include "rgm_parse.h"
#include "rgm_policy.h"


static const char *const rgm_policy_stream_names[] = {
	[RGM_STREAM_TCP] = "tcp",
	[RGM_STREAM_UDP] = "udp",
	[RGM_STREAM_RTP] = "rtp",
};

#define RGM_POLICY_STREAMS_ALL \
	((1U << RGM_STREAM_TCP) | (1U << RGM_STREAM_UDP) | (1U << RGM_STREAM_RTP))

void rgm_policy_init(struct rgm_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->port_min = RGM_DEFAULT_PORT_MIN;
	p->port_max = RGM_DEFAULT_PORT_MAX;
	p->lease_max = 3600;
	p->max_per_host = 16;
	p->max_total = 1024;
	p->streams = RGM_POLICY_STREAMS_ALL;
}

static uint32_t rgm_prefix_mask(uint8_t len)
{
	return len ? htonl(~0U << (32 - len)) : 0;
}

static int rgm_policy_set_prefix(struct rgm_policy *p, const char *value, char *err,
				 size_t errlen)
{
	char buf[INET_ADDRSTRLEN + 4];
	struct in_addr a;
	uint32_t len;
	char *slash;
	unsigned int i;

	if (strlen(value) >= sizeof(buf))
		return rgm_parse_err(err, errlen, -EINVAL,
				      "lan-prefix: '%s' is not A.B.C.D/N", value);
	strcpy(buf, value);
	slash = strchr(buf, '/');
	if (!slash)
		return rgm_parse_err(err, errlen, -EINVAL,
				      "lan-prefix: '%s' has no /N prefix length", value);
	*slash = '\0';
	if (rgm_parse_addr(buf, false, &a))
		return rgm_parse_err(err, errlen, -EINVAL,
				      "lan-prefix: '%s' is not an IPv4 address", buf);
	/* /0 would let a server point mappings anywhere, the Internet included */
	if (rgm_parse_u32(slash + 1, 1, 32, &len))
		return rgm_parse_err(err, errlen, -EINVAL,
				      "lan-prefix: prefix length '%s' is not 1..32", slash + 1);
	if (a.s_addr & ~rgm_prefix_mask(len))
		return rgm_parse_err(err, errlen, -EINVAL,
				      "lan-prefix: '%s' has host bits set", value);
	for (i = 0; i < p->n_lan; i++)
		if (p->lan[i].addr.s_addr == a.s_addr && p->lan[i].len == len)
			return rgm_parse_err(err, errlen, -EINVAL,
					      "lan-prefix: '%s' given twice", value);
	if (p->n_lan >= RGM_POLICY_PREFIXES_MAX)
		return rgm_parse_err(err, errlen, -EINVAL,
				      "lan-prefix: more than %d prefixes",
				      RGM_POLICY_PREFIXES_MAX);
	p->lan[p->n_lan].addr = a;
	p->lan[p->n_lan].len = len;
	p->n_lan++;
	return 0;
}

static int rgm_policy_set_streams(struct rgm_policy *p, const char *value, char *err,
				  size_t errlen)
{
	char buf[64], *tok, *save = NULL;
	uint32_t mask = 0;
	unsigned int t;

	if (strlen(value) >= sizeof(buf))
		return rgm_parse_err(err, errlen, -EINVAL, "streams: '%s' is too long", value);
	strcpy(buf, value);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (t = RGM_STREAM_TCP; t <= RGM_STREAM_MAX; t++)
			if (!strcmp(tok, rgm_policy_stream_names[t]))
				break;
		if (t > RGM_STREAM_MAX)
			return rgm_parse_err(err, errlen, -EINVAL,
					      "streams: unknown type '%s' (tcp, udp, rtp)", tok);
		if (mask & (1U << t))
			return rgm_parse_err(err, errlen, -EINVAL,
					      "streams: '%s' given twice", tok);
		mask |= 1U << t;
	}
	if (!mask)
		return rgm_parse_err(err, errlen, -EINVAL,
				      "streams: empty list (give tcp, udp and/or rtp)");
	p->streams = mask;
	return 0;
}

static int rgm_policy_set_u32(const char *key, const char *value, uint32_t min,
			      uint32_t max, uint32_t *out, char *err, size_t errlen)
{
	if (rgm_parse_u32(value, min, max, out))
		return rgm_parse_err(err, errlen, -EINVAL, "%s: '%s' is not a number %u..%u",
				      key, value, min, max);
	return 0;
}

int rgm_policy_set(struct rgm_policy *p, const char *key, const char *value,
		   char *err, size_t errlen)
{
	uint16_t lo, hi;

	if (!value)
		value = "";
	if (!strcmp(key, "lan-prefix"))
		return rgm_policy_set_prefix(p, value, err, errlen);
	if (!strcmp(key, "ports")) {
		if (rgm_parse_port_range(value, &lo, &hi))
			return rgm_parse_err(err, errlen, -EINVAL,
					      "ports: '%s' is not MIN-MAX with 1 <= MIN <= MAX <= 65535",
					      value);
		p->port_min = lo;
		p->port_max = hi;
		return 0;
	}
	if (!strcmp(key, "lease-max"))
		return rgm_policy_set_u32(key, value, 1, RGM_LEASE_LIMIT, &p->lease_max,
					  err, errlen);
	if (!strcmp(key, "max-per-host"))
		return rgm_policy_set_u32(key, value, 1, RGM_MAX_MAPPINGS_LIMIT,
					  &p->max_per_host, err, errlen);
	if (!strcmp(key, "max-mappings"))
		return rgm_policy_set_u32(key, value, 1, RGM_MAX_MAPPINGS_LIMIT,
					  &p->max_total, err, errlen);
	if (!strcmp(key, "streams"))
		return rgm_policy_set_streams(p, value, err, errlen);
	return -ENOENT;
}

int rgm_policy_validate(const struct rgm_policy *p, char *err, size_t errlen)
{
	if (!p->n_lan)
		return rgm_parse_err(err, errlen, -EINVAL,
				      "no lan-prefix configured: no mapping could ever be allowed");
	if (p->port_min < 1 || p->port_min > p->port_max)
		return rgm_parse_err(err, errlen, -EINVAL, "ports: %u-%u is not a range",
				      p->port_min, p->port_max);
	if (!p->lease_max || p->lease_max > RGM_LEASE_LIMIT)
		return rgm_parse_err(err, errlen, -EINVAL, "lease-max: %u is not 1..%u",
				      p->lease_max, RGM_LEASE_LIMIT);
	if (!p->max_per_host || !p->max_total)
		return rgm_parse_err(err, errlen, -EINVAL,
				      "max-per-host and max-mappings must be at least 1");
	if (!(p->streams & RGM_POLICY_STREAMS_ALL))
		return rgm_parse_err(err, errlen, -EINVAL, "streams: no type allowed");
	return 0;
}

int rgm_policy_check_local(const struct rgm_policy *p, struct in_addr local,
			   const struct in_addr *self, unsigned int n_self,
			   char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN];
	unsigned int i;
	uint32_t mask;

	inet_ntop(AF_INET, &local, a, sizeof(a));
	for (i = 0; i < n_self; i++)
		if (self[i].s_addr == local.s_addr)
			return rgm_parse_err(err, errlen, -EPERM,
					      "local address %s is the gateway itself", a);
	for (i = 0; i < p->n_lan; i++) {
		mask = rgm_prefix_mask(p->lan[i].len);
		if ((local.s_addr & mask) != p->lan[i].addr.s_addr)
			continue;
		/* a prefix's network and broadcast addresses are no host */
		if (p->lan[i].len <= 30 &&
		    ((local.s_addr & ~mask) == 0 || (local.s_addr & ~mask) == ~mask))
			return rgm_parse_err(err, errlen, -EPERM,
					      "local address %s is not a host address of lan-prefix %s/%u",
					      a, inet_ntoa(p->lan[i].addr), p->lan[i].len);
		return 0;
	}
	return rgm_parse_err(err, errlen, -EPERM,
			      "local address %s is outside every lan-prefix", a);
}

int rgm_policy_check_port(const struct rgm_policy *p, uint16_t port, char *err,
			  size_t errlen)
{
	if (port < p->port_min || port > p->port_max)
		return rgm_parse_err(err, errlen, -EPERM,
				      "global port %u is outside the policy range %u-%u",
				      port, p->port_min, p->port_max);
	return 0;
}

int rgm_policy_check_lease(const struct rgm_policy *p, uint32_t lease, char *err,
			   size_t errlen)
{
	if (!lease || lease > p->lease_max)
		return rgm_parse_err(err, errlen, -EPERM,
				      "lease %u is not 1..%u (lease-max)", lease, p->lease_max);
	return 0;
}

int rgm_policy_check_stream(const struct rgm_policy *p, uint8_t stream, char *err,
			    size_t errlen)
{
	if (stream < RGM_STREAM_TCP || stream > RGM_STREAM_MAX ||
	    !(p->streams & (1U << stream)))
		return rgm_parse_err(err, errlen, -EPERM, "stream type %s is not allowed",
				      stream >= RGM_STREAM_TCP && stream <= RGM_STREAM_MAX ?
				      rgm_policy_stream_names[stream] : "?");
	return 0;
}

int rgm_policy_check_counts(const struct rgm_policy *p, struct in_addr host,
			    uint32_t host_count, uint32_t total_count, char *err, size_t errlen)
{
	if (host_count > p->max_per_host)
		return rgm_parse_err(err, errlen, -EPERM,
				      "%s would have %u mappings, more than max-per-host %u",
				      inet_ntoa(host), host_count, p->max_per_host);
	if (total_count > p->max_total)
		return rgm_parse_err(err, errlen, -EPERM,
				      "%u mappings and reservations in all, more than max-mappings %u",
				      total_count, p->max_total);
	return 0;
}

const char *rgm_policy_stream_name(uint8_t stream)
{
	if (stream < RGM_STREAM_TCP || stream > RGM_STREAM_MAX)
		return NULL;
	return rgm_policy_stream_names[stream];
}
