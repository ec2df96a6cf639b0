// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the `tiu` command: global options and subcommand dispatch. The
 * messages, the lock and the root check live in msg.c, the command line of
 * each subcommand in its own file through cli_parse() (cli.c).
 */
#include <getopt.h>
#include <string.h>

#include "tiu.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: tiu [-v] COMMAND [ARGS]   (tiu COMMAND --help for each command)\n"
"\n"
"TCP-in-UDP tunnel: TCP to or from chosen endpoints travels as UDP of the same\n"
"length (draft-cheshire-tcp-over-udp), converted by XDP/TC programs.\n"
"\n"
"  up IFACE [--endpoint local=|remote=ADDR:PORT]... [--xdp-mode native|skb|auto]\n"
"           [--decap xdp|tc] [--pin-dir DIR] [--config FILE]\n"
"  down IFACE [--purge]\n"
"  endpoint add|del IFACE local=ADDR:PORT|remote=ADDR:PORT\n"
"  endpoint list IFACE\n"
"  status [IFACE] [--json]\n"
"  stats [IFACE] [--json] [--watch SECONDS]\n"
"\n"
"  -v, --verbose   show libbpf and libxdp messages (verifier logs)\n"
"\n"
"Pins: the maps are pinned under /sys/fs/bpf/tiu in the initial network\n"
"namespace and under /sys/fs/bpf/tiu/netns-ID in any other one (ID: the\n"
"namespace's cookie, never reused; `tiu status` shows the directory).\n"
"`ip netns exec` hides the host's bpffs: tiu then uses it through\n"
"/proc/1/root/sys/fs/bpf (/proc/2/root/... where PID 1 cannot be inspected).\n"
"`nsenter --net=/run/netns/NAME tiu ...` needs nothing special.\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "up", cmd_up }, { "down", cmd_down }, { "endpoint", cmd_endpoint },
		{ "status", cmd_status }, { "stats", cmd_stats },
	};
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		if (c == 'v') {
			tiu_verbose = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			tiu_fail("unknown option '%s' (see tiu --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	tiu_log_init();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			return cmds[i].fn(argc - optind, argv + optind) ? 1 : 0;
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return 0;
	}
	tiu_fail("unknown command '%s' (see tiu --help)", argv[optind]);
	return 2;
}
