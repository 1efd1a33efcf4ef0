// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl stats: the per-netns counters of the module.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rgmctl.h"

#define OBJ	"stats"

void stats_usage(FILE *f)
{
	fprintf(f, "Usage: rgmctl stats [ show ]\n");
}

static int stats_show(void)
{
	struct rgm_stats st;
	struct rgm_dp *nl;
	const char *name;
	unsigned int i;
	int ret;

	ret = rgmctl_nl_open(&nl);
	if (ret)
		return ret;
	ret = rgm_dp_stats_get(nl, &st);
	if (ret) {
		ret = rgmctl_nl_error(nl, ret);
		goto out;
	}
	rgm_print_open_object(NULL);
	for (i = 1; i <= RGM_STATS_A_MAX; i++) {
		name = rgm_stats_name(i);
		if (!name)	/* padding */
			continue;
		rgm_print_string(RGM_PRINT_FP, NULL, "%s ", name);
		rgm_print_u64(RGM_PRINT_ANY, name, "%" PRIu64, st.v[i]);
		rgm_print_nl();
	}
	rgm_print_close_object();
	ret = RGMCTL_OK;
out:
	rgm_dp_close(nl);
	return ret;
}

int do_stats(int argc, char **argv)
{
	if (argc < 1 || (argc == 1 && rgm_matches(argv[0], "show")))
		return stats_show();
	if (argc == 1 && rgmctl_is_help(argv[0])) {
		stats_usage(stdout);
		return RGMCTL_OK;
	}
	return rgmctl_usage_error(OBJ, "stats: unexpected \"%s\"", argv[0]);
}
