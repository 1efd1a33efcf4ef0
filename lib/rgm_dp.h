/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dataplane: where mappings live and packets are judged. rgmd and rgmctl
 * talk to it through this interface; two implementations sit behind it:
 *
 *   RGM_DP_KMOD  rgm.ko through its generic netlink family (rgm_nl.c)
 *   RGM_DP_NFT   an nftables table "ip rgm" through libnftables
 *                (rgm_dp_nft.c), for kernels that cannot load rgm.ko
 *
 * The calls mirror rgm_nl.h one for one, with the same structs, return
 * values (0 or a negative errno) and error semantics; rgm_dp_errmsg() says
 * why the last call failed. Both keep their state in the kernel, so another
 * process (rgmctl) sees what rgmd installed and a restarted rgmd adopts it.
 * Documentation/dataplanes.rst says where the two differ.
 */
#ifndef RGM_DP_H
#define RGM_DP_H

#include "rgm_nl.h"

enum rgm_dp_kind {
	RGM_DP_AUTO,	/* rgm.ko if loaded, else an existing table ip rgm */
	RGM_DP_KMOD,
	RGM_DP_NFT,	/* creates table ip rgm if it is not there */
};

struct rgm_dp;

/* On failure *out is kept (unless NULL: no memory) so that rgm_dp_errmsg()
 * can say why; rgm_dp_close() frees it. RGM_DP_AUTO fails with -ENOENT when
 * neither dataplane is present. */
int rgm_dp_open(struct rgm_dp **out, enum rgm_dp_kind kind);
void rgm_dp_close(struct rgm_dp *dp);
const char *rgm_dp_errmsg(const struct rgm_dp *dp);
/* Which implementation an open handle uses (never RGM_DP_AUTO). */
enum rgm_dp_kind rgm_dp_kind(const struct rgm_dp *dp);

/* "kmod", "nftables" (or "nft"), "auto"; -1 if unknown. */
int rgm_dp_parse(const char *s);
const char *rgm_dp_name(enum rgm_dp_kind kind);

int rgm_dp_map_add(struct rgm_dp *dp, struct rgm_map *maps, unsigned int n);
int rgm_dp_map_del(struct rgm_dp *dp, const struct rgm_sel *sel, uint32_t *count);
int rgm_dp_map_renew(struct rgm_dp *dp, const struct rgm_sel *sel, uint32_t lease,
		     uint32_t *count);
int rgm_dp_map_get(struct rgm_dp *dp, const struct rgm_sel *sel, struct rgm_map *out);
int rgm_dp_map_dump(struct rgm_dp *dp, const uint64_t *owner, rgm_map_cb cb,
		    void (*restart)(void *arg), void *arg);
int rgm_dp_ports_free(struct rgm_dp *dp, uint8_t proto, const struct in_addr *global_addr,
		      uint32_t count, uint32_t flags, uint16_t *ports);
int rgm_dp_config_get(struct rgm_dp *dp, struct rgm_config *cfg);
int rgm_dp_config_set(struct rgm_dp *dp, const struct rgm_config *cfg);
int rgm_dp_stats_get(struct rgm_dp *dp, struct rgm_stats *st);

/* Events: MAP_NEW and MAP_GONE as rgm_nl.h describes. The fd is for poll();
 * rgm_dp_events_recv() handles what is pending without blocking. The
 * nftables dataplane gets no notification when an element times out: its
 * events handle re-reads the table when the ruleset changes and when the
 * next lease runs out, and reports the differences (see dataplanes.rst). */
int rgm_dp_events_open(struct rgm_dp **out, enum rgm_dp_kind kind);
int rgm_dp_events_fd(const struct rgm_dp *dp);
int rgm_dp_events_recv(struct rgm_dp *dp, rgm_event_cb cb, void *arg);

/* The implementations: one table of calls each, chosen at open time. */
struct rgm_dp_ops {
	enum rgm_dp_kind kind;
	/* fill *priv even on failure when there is a message to keep */
	int (*open)(void **priv, bool events);
	void (*close)(void *priv);
	const char *(*errmsg)(const void *priv);
	int (*map_add)(void *priv, struct rgm_map *maps, unsigned int n);
	int (*map_del)(void *priv, const struct rgm_sel *sel, uint32_t *count);
	int (*map_renew)(void *priv, const struct rgm_sel *sel, uint32_t lease, uint32_t *count);
	int (*map_get)(void *priv, const struct rgm_sel *sel, struct rgm_map *out);
	int (*map_dump)(void *priv, const uint64_t *owner, rgm_map_cb cb,
			void (*restart)(void *arg), void *arg);
	int (*ports_free)(void *priv, uint8_t proto, const struct in_addr *global_addr,
			  uint32_t count, uint32_t flags, uint16_t *ports);
	int (*config_get)(void *priv, struct rgm_config *cfg);
	int (*config_set)(void *priv, const struct rgm_config *cfg);
	int (*stats_get)(void *priv, struct rgm_stats *st);
	int (*events_fd)(const void *priv);
	int (*events_recv)(void *priv, rgm_event_cb cb, void *arg);
	/* RGM_DP_AUTO: is this dataplane present (without creating it)? */
	bool (*present)(void);
};

extern const struct rgm_dp_ops rgm_dp_kmod_ops;
extern const struct rgm_dp_ops rgm_dp_nft_ops;

#endif /* RGM_DP_H */
