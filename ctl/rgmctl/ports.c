// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl ports free: which global ports no mapping holds (nothing reserved).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgmctl.h"

#define OBJ	"ports"

void ports_usage(FILE *f)
{
	fprintf(f,
		"Usage: rgmctl ports free { udp | tcp } COUNT [ pairs ] [ global ADDR ]\n");
}

enum { PK_PAIRS, PK_GLOBAL };
static const char *const ports_keywords[] = {
	[PK_PAIRS] = "pairs", [PK_GLOBAL] = "global", NULL
};

static int ports_free(int argc, char **argv)
{
	struct in_addr addr, *gaddr = NULL;
	uint32_t count, flags = 0, i;
	struct rgm_dp *nl;
	uint16_t *ports;
	int proto, k, ret;

	if (argc < 2)
		return rgmctl_usage_error(OBJ, "ports free: needs PROTO and COUNT");
	proto = rgm_proto_parse(argv[0]);
	if (proto < 0)
		return rgmctl_usage_error(OBJ, "ports free: bad proto \"%s\" (udp or tcp)",
					  argv[0]);
	/* The real range check is the kernel's (1..RGM_PORTS_MAX); this one
	 * only bounds our buffer. */
	if (rgm_parse_u32(argv[1], 0, 65535, &count))
		return rgmctl_usage_error(OBJ, "ports free: bad count \"%s\"", argv[1]);
	argc -= 2, argv += 2;
	while (argc > 0) {
		k = rgm_keyword(argv[0], ports_keywords);
		if (k < 0)
			return rgmctl_usage_error(OBJ, "ports free: %s keyword \"%s\"",
						  k == -EINVAL ? "ambiguous" : "unknown", argv[0]);
		if (k == PK_PAIRS) {
			flags |= RGM_PORTS_F_PAIRS;
			argc--, argv++;
			continue;
		}
		if (gaddr)
			return rgmctl_usage_error(OBJ, "ports free: \"global\" given twice");
		if (argc < 2)
			return rgmctl_usage_error(OBJ, "ports free: \"global\" needs an address");
		if (rgm_parse_addr(argv[1], false, &addr))
			return rgmctl_usage_error(OBJ, "ports free: bad global \"%s\"", argv[1]);
		gaddr = &addr;
		argc -= 2, argv += 2;
	}
	ports = calloc(count ? count : 1, sizeof(*ports));
	if (!ports)
		return rgmctl_error("%s", strerror(ENOMEM));

	ret = rgmctl_nl_open(&nl);
	if (ret)
		goto out;
	ret = rgm_dp_ports_free(nl, proto, gaddr, count, flags, ports);
	if (ret) {
		ret = rgmctl_nl_error(nl, ret);
		goto out_close;
	}
	rgm_print_open_object(NULL);
	rgm_print_string(RGM_PRINT_JSON, "proto", NULL, rgm_proto_name(proto));
	if (gaddr)
		rgm_print_addr(RGM_PRINT_JSON, "global_addr", NULL, *gaddr);
	rgm_print_bool(RGM_PRINT_JSON, "pairs", NULL, flags & RGM_PORTS_F_PAIRS);
	rgm_print_open_array("ports");
	for (i = 0; i < count; i++)
		rgm_print_uint(RGM_PRINT_ANY, NULL, i ? " %u" : "%u", ports[i]);
	rgm_print_close_array();
	rgm_print_close_object();
	rgm_print_nl();
	ret = RGMCTL_OK;
out_close:
	rgm_dp_close(nl);
out:
	free(ports);
	return ret;
}

enum { CMD_FREE, CMD_HELP };
static const char *const ports_cmds[] = { [CMD_FREE] = "free", [CMD_HELP] = "help", NULL };

int do_ports(int argc, char **argv)
{
	int k;

	if (argc < 1)
		return rgmctl_usage_error(OBJ, "ports: missing command");
	k = !strcmp(argv[0], "-h") ? CMD_HELP : rgmctl_subcmd(OBJ, argv[0], ports_cmds);
	if (k < 0)
		return -k;
	if (argc == 2 && !strcmp(argv[1], "help"))
		k = CMD_HELP;
	if (k == CMD_FREE)
		return ports_free(argc - 1, argv + 1);
	ports_usage(stdout);
	return RGMCTL_OK;
}
