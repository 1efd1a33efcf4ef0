// SPDX-License-Identifier: GPL-2.0
/*
 * rgmctl - control the rgm stream mappings of a gateway.
 *
 *   rgmctl [OPTIONS] OBJECT { COMMAND | help }
 *
 * Global options, object dispatch and the top-level help. One file per
 * object: mapping.c, config.c, ports.c, stats.c, monitor.c (remote.c when
 * the remote client is built).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rgm_version.h"
#include "rgmctl.h"

struct rgmctl_opts rgmctl;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rgmctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
		"       rgmctl help\n"
		"where  OBJECT := { mapping | config | ports | stats | monitor | remote }\n"
		"       OPTIONS := { -j[son] | -p[retty] | -n[etns] NAME | -D[ataplane] { kmod | nftables | auto } |\n"
		"                    -h[elp] | -V[ersion] }\n"
		"\n");
	mapping_usage(f);
	fputc('\n', f);
	config_usage(f);
	fputc('\n', f);
	ports_usage(f);
	fputc('\n', f);
	stats_usage(f);
	fputc('\n', f);
	monitor_usage(f);
	fputc('\n', f);
	fprintf(f, "Usage: rgmctl remote help\n");
}

/* Used when ctl/rgmctl/remote.c is not part of the build. */
__attribute__((weak)) int do_remote(int argc, char **argv)
{
	fprintf(stderr, "remote: not built\n");
	return RGMCTL_USAGE;
}

static int do_help(int argc, char **argv)
{
	usage(stdout);
	return RGMCTL_OK;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} rgmctl_objects[] = {
	{ "mapping", do_mapping },
	{ "config", do_config },
	{ "ports", do_ports },
	{ "stats", do_stats },
	{ "monitor", do_monitor },
	{ "remote", do_remote },
	{ "help", do_help },
};
#define N_OBJECTS (sizeof(rgmctl_objects) / sizeof(rgmctl_objects[0]))

static int do_object(int argc, char **argv)
{
	const char *names[N_OBJECTS + 1];
	unsigned int i;
	int k;

	for (i = 0; i < N_OBJECTS; i++)
		names[i] = rgmctl_objects[i].name;
	names[N_OBJECTS] = NULL;
	k = rgm_keyword(argv[0], names);
	if (k == -EINVAL)
		return rgmctl_usage_error(NULL, "ambiguous object \"%s\"", argv[0]);
	if (k < 0)
		return rgmctl_usage_error(NULL, "unknown object \"%s\"", argv[0]);
	return rgmctl_objects[k].fn(argc - 1, argv + 1);
}

enum { OPT_JSON, OPT_PRETTY, OPT_NETNS, OPT_DATAPLANE, OPT_HELP, OPT_VERSION,
       OPT_VERSION_GNU };
static const char *const rgmctl_options[] = {
	[OPT_JSON] = "json", [OPT_PRETTY] = "pretty", [OPT_NETNS] = "netns",
	[OPT_DATAPLANE] = "Dataplane", [OPT_HELP] = "help", [OPT_VERSION] = "Version",
	[OPT_VERSION_GNU] = "version",	/* --version, as every rgm program */
	NULL
};

/*
 * Global options after the object ("rgmctl mapping list -j", as a new
 * user types it): -j and -p only change the output and are taken wherever
 * they stand; -n and -V change what runs and must come first, so they are
 * refused by name rather than passed on as an argument the command ignores.
 * Options of the object's own (-h, --raw-frame) and "-" are left alone;
 * "--" stops the scan. Compacts argv[1..] in place.
 */
static int rgmctl_late_options(int *argc, char **argv)
{
	int i, n = 1, k;

	for (i = 1; i < *argc; i++) {
		const char *opt = argv[i] + 1;

		if (argv[i][0] != '-' || !*opt) {
			argv[n++] = argv[i];
			continue;
		}
		if (*opt == '-')
			opt++;
		if (!*opt) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		k = rgm_keyword(opt, rgmctl_options);
		if (k == OPT_JSON) {
			rgmctl.json = true;
		} else if (k == OPT_PRETTY) {
			rgmctl.pretty = true;
		} else if (k == OPT_NETNS || k == OPT_DATAPLANE || k == OPT_VERSION ||
			   k == OPT_VERSION_GNU) {
			return rgmctl_usage_error(NULL, "option \"%s\" goes before the object: "
						  "rgmctl %s ... %s ...", argv[i], argv[i],
						  argv[0]);
		} else {
			argv[n++] = argv[i];
		}
	}
	*argc = n;
	return 0;
}

int main(int argc, char **argv)
{
	const char *opt;
	int k, ret;

	argc--, argv++;
	while (argc > 0 && argv[0][0] == '-') {
		opt = argv[0] + 1;
		if (*opt == '-')	/* --json as -json */
			opt++;
		if (!*opt) {		/* "--" ends the options */
			argc--, argv++;
			break;
		}
		k = rgm_keyword(opt, rgmctl_options);
		switch (k) {
		case OPT_JSON:
			rgmctl.json = true;
			break;
		case OPT_PRETTY:
			rgmctl.pretty = true;
			break;
		case OPT_NETNS:
			if (argc < 2)
				return rgmctl_usage_error(NULL, "option \"%s\" needs a name",
							  argv[0]);
			argc--, argv++;
			rgmctl.netns = argv[0];
			break;
		case OPT_DATAPLANE:
			if (argc < 2)
				return rgmctl_usage_error(NULL, "option \"%s\" needs a dataplane",
							  argv[0]);
			argc--, argv++;
			k = rgm_dp_parse(argv[0]);
			if (k < 0)
				return rgmctl_usage_error(NULL, "unknown dataplane \"%s\"", argv[0]);
			rgmctl.dataplane = k;
			break;
		case OPT_HELP:
			usage(stdout);
			return RGMCTL_OK;
		case OPT_VERSION:
		case OPT_VERSION_GNU:
			printf("rgmctl %s, rgm generic netlink version %d\n", rgm_version,
			       RGM_GENL_VERSION);
			return RGMCTL_OK;
		default:
			return rgmctl_usage_error(NULL, "%s option \"%s\"",
						  k == -EINVAL ? "ambiguous" : "unknown",
						  argv[0]);
		}
		argc--, argv++;
	}
	if (argc < 1) {
		usage(stderr);
		return RGMCTL_USAGE;
	}
	ret = rgmctl_late_options(&argc, argv);
	if (ret)
		return ret;
	if (rgmctl.netns) {
		ret = rgmctl_netns_enter(rgmctl.netns);
		if (ret)
			return ret;
	}
	rgm_print_setup(rgmctl.json, rgmctl.pretty);
	ret = do_object(argc, argv);
	if (ret == RGMCTL_OK)
		rgm_print_flush();
	else
		rgm_print_teardown();
	return ret;
}
