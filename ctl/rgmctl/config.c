// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl config { show | set }
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rgmctl.h"

#define OBJ	"config"

void config_usage(FILE *f)
{
	fprintf(f,
		"Usage: rgmctl config show\n"
		"       rgmctl config set [ global { ADDR[,ADDR...] | none } ] [ ports MIN-MAX ]\n"
		"                         [ max-mappings N ] [ lease-max SECONDS ]\n"
		"                         [ lan6 { ADDR6/LEN[,ADDR6/LEN...] | none } ]\n");
}

/* JSON: an array of "ADDR6/LEN" strings; text: what "config set" takes. */
static void config_print_lan6(const struct rgm_config *cfg)
{
	char buf[RGM_LAN6_PREFIXES_MAX * (INET6_ADDRSTRLEN + 6)] = "";
	char a[INET6_ADDRSTRLEN], one[INET6_ADDRSTRLEN + 6];
	size_t off = 0;
	unsigned int i;

	rgm_print_open_array("lan6_prefixes");
	for (i = 0; i < cfg->n_prefixes6; i++) {
		if (!inet_ntop(AF_INET6, &cfg->prefixes6[i].addr, a, sizeof(a)))
			continue;
		snprintf(one, sizeof(one), "%s/%u", a, cfg->prefixes6[i].len);
		rgm_print_string(RGM_PRINT_JSON, NULL, NULL, one);
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? "," : "", one);
	}
	rgm_print_close_array();
	rgm_print_string(RGM_PRINT_FP, NULL, " lan6 %s", buf);
}

static void config_print(const struct rgm_config *cfg)
{
	char buf[RGM_GLOBAL_ADDRS_MAX * (INET_ADDRSTRLEN + 1)] = "";
	char a[INET_ADDRSTRLEN];
	size_t off = 0;
	unsigned int i;

	rgm_print_open_object(NULL);
	rgm_print_open_array("global_addrs");
	for (i = 0; i < cfg->n_addrs; i++) {
		rgm_print_addr(RGM_PRINT_JSON, NULL, NULL, cfg->addrs[i]);
		if (!inet_ntop(AF_INET, &cfg->addrs[i], a, sizeof(a)))
			continue;
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "", a);
	}
	rgm_print_close_array();
	/* The text is what "config set" takes back. */
	rgm_print_string(RGM_PRINT_FP, NULL, "global %s ", cfg->n_addrs ? buf : "none");
	rgm_print_uint(RGM_PRINT_FP, NULL, "ports %u", cfg->port_min);
	rgm_print_uint(RGM_PRINT_FP, NULL, "-%u ", cfg->port_max);
	rgm_print_uint(RGM_PRINT_JSON, "port_min", NULL, cfg->port_min);
	rgm_print_uint(RGM_PRINT_JSON, "port_max", NULL, cfg->port_max);
	rgm_print_uint(RGM_PRINT_ANY, "max_mappings", "max-mappings %u ", cfg->max_mappings);
	rgm_print_uint(RGM_PRINT_ANY, "lease_max", "lease-max %u", cfg->lease_max);
	/* Shown once set, so that an IPv4-only configuration prints as it did. */
	if (cfg->n_prefixes6)
		config_print_lan6(cfg);
	rgm_print_close_object();
	rgm_print_nl();
}

static int config_show(int argc, char **argv)
{
	struct rgm_config cfg;
	struct rgm_dp *nl;
	int ret;

	if (argc)
		return rgmctl_usage_error(OBJ, "config show: unexpected \"%s\"", argv[0]);
	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	ret = rgm_dp_config_get(nl, &cfg);
	if (ret) {
		ret = rgmctl_nl_error(nl, ret);
	} else {
		config_print(&cfg);
		ret = RGMCTL_OK;
	}
	rgm_dp_close(nl);
	return ret;
}

enum { CK_GLOBAL, CK_PORTS, CK_MAX_MAPPINGS, CK_LEASE_MAX, CK_LAN6 };
static const char *const config_keywords[] = {
	[CK_GLOBAL] = "global", [CK_PORTS] = "ports",
	[CK_MAX_MAPPINGS] = "max-mappings", [CK_LEASE_MAX] = "lease-max",
	[CK_LAN6] = "lan6", NULL
};

static int config_set(int argc, char **argv)
{
	struct rgm_config cfg;
	struct rgm_dp *nl;
	const char *val;
	int i, k, ret;

	memset(&cfg, 0, sizeof(cfg));
	if (!argc)
		return rgmctl_usage_error(OBJ, "config set: nothing to set");
	for (i = 0; i < argc; i += 2) {
		k = rgm_keyword(argv[i], config_keywords);
		if (k < 0)
			return rgmctl_usage_error(OBJ, "config set: %s keyword \"%s\"",
						  k == -EINVAL ? "ambiguous" : "unknown", argv[i]);
		if (i + 1 >= argc)
			return rgmctl_usage_error(OBJ, "config set: \"%s\" needs an argument",
						  config_keywords[k]);
		val = argv[i + 1];
		switch (k) {
		case CK_GLOBAL:
			if (cfg.set & RGM_CFG_SET_ADDRS)
				goto twice;
			ret = rgm_parse_addr_list(val, cfg.addrs, RGM_GLOBAL_ADDRS_MAX,
						  &cfg.n_addrs);
			if (ret == -E2BIG)
				return rgmctl_usage_error(OBJ, "config set: more than %d global addresses",
							  RGM_GLOBAL_ADDRS_MAX);
			if (ret == -EEXIST)
				return rgmctl_usage_error(OBJ, "config set: duplicate address in \"%s\"",
							  val);
			if (ret)
				return rgmctl_usage_error(OBJ, "config set: bad global \"%s\" (ADDR[,ADDR...] or none)",
							  val);
			cfg.set |= RGM_CFG_SET_ADDRS;
			break;
		case CK_PORTS:
			if (cfg.set & RGM_CFG_SET_PORT_MIN)
				goto twice;
			if (rgm_parse_port_range(val, &cfg.port_min, &cfg.port_max))
				return rgmctl_usage_error(OBJ, "config set: bad ports \"%s\" (MIN-MAX, 1..65535, MIN <= MAX)",
							  val);
			cfg.set |= RGM_CFG_SET_PORT_MIN | RGM_CFG_SET_PORT_MAX;
			break;
		case CK_MAX_MAPPINGS:
			if (cfg.set & RGM_CFG_SET_MAX_MAPPINGS)
				goto twice;
			if (rgm_parse_u32(val, 0, UINT32_MAX, &cfg.max_mappings))
				return rgmctl_usage_error(OBJ, "config set: bad max-mappings \"%s\"",
							  val);
			cfg.set |= RGM_CFG_SET_MAX_MAPPINGS;
			break;
		case CK_LAN6:
			if (cfg.set & RGM_CFG_SET_PREFIXES6)
				goto twice;
			ret = rgm_parse_prefix6_list(val, cfg.prefixes6, RGM_LAN6_PREFIXES_MAX,
						     &cfg.n_prefixes6);
			if (ret == -E2BIG)
				return rgmctl_usage_error(OBJ, "config set: more than %d LAN prefixes",
							  RGM_LAN6_PREFIXES_MAX);
			if (ret == -EEXIST)
				return rgmctl_usage_error(OBJ, "config set: duplicate prefix in \"%s\"",
							  val);
			if (ret)
				return rgmctl_usage_error(OBJ, "config set: bad lan6 \"%s\" (ADDR6/LEN[,ADDR6/LEN...] or none)",
							  val);
			cfg.set |= RGM_CFG_SET_PREFIXES6;
			break;
		case CK_LEASE_MAX:
			if (cfg.set & RGM_CFG_SET_LEASE_MAX)
				goto twice;
			if (rgm_parse_u32(val, 0, UINT32_MAX, &cfg.lease_max))
				return rgmctl_usage_error(OBJ, "config set: bad lease-max \"%s\"", val);
			cfg.set |= RGM_CFG_SET_LEASE_MAX;
			break;
		}
	}

	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	ret = rgm_dp_config_set(nl, &cfg);
	if (ret)
		ret = rgmctl_nl_error(nl, ret);
	rgm_dp_close(nl);
	return ret;
twice:
	return rgmctl_usage_error(OBJ, "config set: \"%s\" given twice", config_keywords[k]);
}

enum { CMD_SHOW, CMD_SET, CMD_HELP };
static const char *const config_cmds[] = {
	[CMD_SHOW] = "show", [CMD_SET] = "set", [CMD_HELP] = "help", NULL
};

int do_config(int argc, char **argv)
{
	int k;

	if (argc < 1)
		return config_show(0, NULL);
	k = !strcmp(argv[0], "-h") ? CMD_HELP : rgmctl_subcmd(OBJ, argv[0], config_cmds);
	if (k < 0)
		return -k;
	if (argc == 2 && !strcmp(argv[1], "help"))
		k = CMD_HELP;
	switch (k) {
	case CMD_SHOW:
		return config_show(argc - 1, argv + 1);
	case CMD_SET:
		return config_set(argc - 1, argv + 1);
	}
	config_usage(stdout);
	return RGMCTL_OK;
}
