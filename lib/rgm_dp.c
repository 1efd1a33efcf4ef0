// SPDX-License-Identifier: GPL-2.0
/*
 * The dataplane dispatcher (rgm_dp.h) and the rgm.ko implementation's call
 * table, which only adapts rgm_nl.c's calls to the table's types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_dp.h"

struct rgm_dp {
	const struct rgm_dp_ops *ops;
	void *priv;
	char errmsg[256];	/* when there is no priv to ask */
};

/* ---- rgm.ko: generic netlink ---- */

static int rgm_dp_kmod_open(void **priv, bool events)
{
	struct rgm_nl *nl = NULL;
	int ret = events ? rgm_nl_events_open(&nl) : rgm_nl_open(&nl);

	*priv = nl;
	return ret;
}

static void rgm_dp_kmod_close(void *priv)
{
	rgm_nl_close(priv);
}

static const char *rgm_dp_kmod_errmsg(const void *priv)
{
	return rgm_nl_errmsg(priv);
}

static int rgm_dp_kmod_map_add(void *priv, struct rgm_map *maps, unsigned int n)
{
	return rgm_nl_map_add(priv, maps, n);
}

static int rgm_dp_kmod_map_del(void *priv, const struct rgm_sel *sel, uint32_t *count)
{
	return rgm_nl_map_del(priv, sel, count);
}

static int rgm_dp_kmod_map_renew(void *priv, const struct rgm_sel *sel, uint32_t lease,
				 uint32_t *count)
{
	return rgm_nl_map_renew(priv, sel, lease, count);
}

static int rgm_dp_kmod_map_get(void *priv, const struct rgm_sel *sel, struct rgm_map *out)
{
	return rgm_nl_map_get(priv, sel, out);
}

static int rgm_dp_kmod_map_dump(void *priv, const uint64_t *owner, rgm_map_cb cb,
				void (*restart)(void *arg), void *arg)
{
	return rgm_nl_map_dump(priv, owner, cb, restart, arg);
}

static int rgm_dp_kmod_ports_free(void *priv, uint8_t proto, const struct in_addr *global_addr,
				  uint32_t count, uint32_t flags, uint16_t *ports)
{
	return rgm_nl_ports_free(priv, proto, global_addr, count, flags, ports);
}

static int rgm_dp_kmod_config_get(void *priv, struct rgm_config *cfg)
{
	return rgm_nl_config_get(priv, cfg);
}

static int rgm_dp_kmod_config_set(void *priv, const struct rgm_config *cfg)
{
	return rgm_nl_config_set(priv, cfg);
}

static int rgm_dp_kmod_stats_get(void *priv, struct rgm_stats *st)
{
	return rgm_nl_stats_get(priv, st);
}

static int rgm_dp_kmod_events_fd(const void *priv)
{
	return rgm_nl_events_fd(priv);
}

static int rgm_dp_kmod_events_recv(void *priv, rgm_event_cb cb, void *arg)
{
	return rgm_nl_events_recv(priv, cb, arg);
}

static bool rgm_dp_kmod_present(void)
{
	struct rgm_nl *nl = NULL;
	int ret = rgm_nl_open(&nl);

	rgm_nl_close(nl);
	return ret == 0;
}

const struct rgm_dp_ops rgm_dp_kmod_ops = {
	.kind = RGM_DP_KMOD,
	.open = rgm_dp_kmod_open,
	.close = rgm_dp_kmod_close,
	.errmsg = rgm_dp_kmod_errmsg,
	.map_add = rgm_dp_kmod_map_add,
	.map_del = rgm_dp_kmod_map_del,
	.map_renew = rgm_dp_kmod_map_renew,
	.map_get = rgm_dp_kmod_map_get,
	.map_dump = rgm_dp_kmod_map_dump,
	.ports_free = rgm_dp_kmod_ports_free,
	.config_get = rgm_dp_kmod_config_get,
	.config_set = rgm_dp_kmod_config_set,
	.stats_get = rgm_dp_kmod_stats_get,
	.events_fd = rgm_dp_kmod_events_fd,
	.events_recv = rgm_dp_kmod_events_recv,
	.present = rgm_dp_kmod_present,
};

/* ---- dispatch ---- */

static const char *const rgm_dp_names[] = {
	[RGM_DP_AUTO] = "auto",
	[RGM_DP_KMOD] = "kmod",
	[RGM_DP_NFT] = "nftables",
};

int rgm_dp_parse(const char *s)
{
	if (!strcmp(s, "nft"))
		return RGM_DP_NFT;
	for (unsigned int i = 0; i < sizeof(rgm_dp_names) / sizeof(rgm_dp_names[0]); i++)
		if (!strcmp(s, rgm_dp_names[i]))
			return i;
	return -1;
}

const char *rgm_dp_name(enum rgm_dp_kind kind)
{
	return (unsigned int)kind < sizeof(rgm_dp_names) / sizeof(rgm_dp_names[0]) ?
		rgm_dp_names[kind] : "?";
}

static int rgm_dp_do_open(struct rgm_dp **out, enum rgm_dp_kind kind, bool events)
{
	struct rgm_dp *dp = calloc(1, sizeof(*dp));
	int ret;

	*out = dp;
	if (!dp)
		return -ENOMEM;
	if (kind == RGM_DP_AUTO) {
		/* the module wins: it is what the administrator loaded */
		if (rgm_dp_kmod_ops.present())
			kind = RGM_DP_KMOD;
		else if (rgm_dp_nft_ops.present())
			kind = RGM_DP_NFT;
		else {
			snprintf(dp->errmsg, sizeof(dp->errmsg),
				 "no dataplane: the rgm module is not loaded and there is no nftables table ip rgm (choose the nftables dataplane to create it)");
			return -ENOENT;
		}
	}
	switch (kind) {
	case RGM_DP_KMOD:
		dp->ops = &rgm_dp_kmod_ops;
		break;
	case RGM_DP_NFT:
		dp->ops = &rgm_dp_nft_ops;
		break;
	default:
		snprintf(dp->errmsg, sizeof(dp->errmsg), "unknown dataplane %d", (int)kind);
		return -EINVAL;
	}
	ret = dp->ops->open(&dp->priv, events);
	if (ret && !dp->priv)
		snprintf(dp->errmsg, sizeof(dp->errmsg), "%s", strerror(-ret));
	return ret;
}

int rgm_dp_open(struct rgm_dp **out, enum rgm_dp_kind kind)
{
	return rgm_dp_do_open(out, kind, false);
}

int rgm_dp_events_open(struct rgm_dp **out, enum rgm_dp_kind kind)
{
	return rgm_dp_do_open(out, kind, true);
}

void rgm_dp_close(struct rgm_dp *dp)
{
	if (!dp)
		return;
	if (dp->ops && dp->priv)
		dp->ops->close(dp->priv);
	free(dp);
}

const char *rgm_dp_errmsg(const struct rgm_dp *dp)
{
	if (!dp)
		return strerror(ENOMEM);
	if (dp->ops && dp->priv)
		return dp->ops->errmsg(dp->priv);
	return dp->errmsg;
}

enum rgm_dp_kind rgm_dp_kind(const struct rgm_dp *dp)
{
	return dp->ops->kind;
}

int rgm_dp_map_add(struct rgm_dp *dp, struct rgm_map *maps, unsigned int n)
{
	return dp->ops->map_add(dp->priv, maps, n);
}

int rgm_dp_map_del(struct rgm_dp *dp, const struct rgm_sel *sel, uint32_t *count)
{
	return dp->ops->map_del(dp->priv, sel, count);
}

int rgm_dp_map_renew(struct rgm_dp *dp, const struct rgm_sel *sel, uint32_t lease,
		     uint32_t *count)
{
	return dp->ops->map_renew(dp->priv, sel, lease, count);
}

int rgm_dp_map_get(struct rgm_dp *dp, const struct rgm_sel *sel, struct rgm_map *out)
{
	return dp->ops->map_get(dp->priv, sel, out);
}

int rgm_dp_map_dump(struct rgm_dp *dp, const uint64_t *owner, rgm_map_cb cb,
		    void (*restart)(void *arg), void *arg)
{
	return dp->ops->map_dump(dp->priv, owner, cb, restart, arg);
}

int rgm_dp_ports_free(struct rgm_dp *dp, uint8_t proto, const struct in_addr *global_addr,
		      uint32_t count, uint32_t flags, uint16_t *ports)
{
	return dp->ops->ports_free(dp->priv, proto, global_addr, count, flags, ports);
}

int rgm_dp_config_get(struct rgm_dp *dp, struct rgm_config *cfg)
{
	return dp->ops->config_get(dp->priv, cfg);
}

int rgm_dp_config_set(struct rgm_dp *dp, const struct rgm_config *cfg)
{
	return dp->ops->config_set(dp->priv, cfg);
}

int rgm_dp_stats_get(struct rgm_dp *dp, struct rgm_stats *st)
{
	return dp->ops->stats_get(dp->priv, st);
}

int rgm_dp_events_fd(const struct rgm_dp *dp)
{
	if (!dp || !dp->priv)
		return -EBADF;
	return dp->ops->events_fd(dp->priv);
}

int rgm_dp_events_recv(struct rgm_dp *dp, rgm_event_cb cb, void *arg)
{
	return dp->ops->events_recv(dp->priv, cb, arg);
}
