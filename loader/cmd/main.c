// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the `tiu` command: global options and subcommand dispatch. The
 * messages, the lock and the root check live in msg.c, the command line of
 * each subcommand in its own file through cli_parse() (cli.c).
 */
#include <getopt.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "cmd.h"

#ifndef TIU_VERSION
#define TIU_VERSION "unknown"
#endif


static void usage(FILE *f)
{
	fprintf(f,
"usage: tiu [-v] [-j] COMMAND [ARGS]   (tiu COMMAND --help for each command)\n"
"       tiu --version\n"
"\n"
"TCP-in-UDP tunnel: TCP to or from chosen endpoints travels as UDP of the same\n"
"length (draft-cheshire-tcp-over-udp), converted by XDP/TC programs.\n"
"\n"
"  up IFACE [--endpoint EP]... [--xdp-mode native|skb|auto]\n"
"           [--decap xdp|tc] [--pin-dir DIR] [--config FILE]\n"
"  down IFACE [--purge] [--config FILE]\n"
"  down --stale      remove the state of network namespaces that are gone\n"
"  apply [--config FILE] [--dry-run]   one configuration for every interface\n"
"  endpoint add|del IFACE EP...\n"
"  endpoint list IFACE\n"
"  status [IFACE] [-j|--json]\n"
"  stats [IFACE] [-j|--json|--prometheus] [--watch [SECONDS]] [--nonzero]\n"
"  probe IFACE SERVER:PORT[/TUNNEL_PORT]... [--timeout MS] [-j]\n"
"           what one path lets through: plain TCP, MPTCP, the tunnel, MTU\n"
"\n"
"  EP: local=ADDR:PORT[-LAST] | remote=ADDR:PORT[-LAST] | mark=VALUE[/MASK]\n"
"      | follow=ADDR:PORT[-LAST] (a local= serving plain and tunnelled clients)\n"
"      (tiu endpoint --help)\n"
"\n"
"  -v, --verbose   show libbpf and libxdp messages (verifier logs)\n"
"  -j, --json      JSON output (status, stats)\n"
"  --version       version, ABI and the kernel features tiu found\n"
"\n"
"Pins: the maps are pinned under /sys/fs/bpf/tiu in the initial network\n"
"namespace and under /sys/fs/bpf/tiu/netns-ID in any other one (ID: the\n"
"namespace's cookie, never reused; `tiu status` shows the directory), or in\n"
"the directory given to `up --pin-dir`, which tiu records for the interface:\n"
"the other commands find it without --pin-dir.\n"
"`ip netns exec` hides the host's bpffs: tiu then uses it through\n"
"/proc/1/root/sys/fs/bpf (/proc/2/root/... where PID 1 cannot be inspected).\n"
"`nsenter --net=/run/netns/NAME tiu ...` needs nothing special.\n"
"\n"
"Exit status: 0 success, 1 failure (the reason is on stderr), 2 a bad\n"
"command line; tiu probe has its own (tiu probe --help).\n");
}

/* tiu --version: what this build is and what the kernel allows it. */
static int version(void)
{
	enum ip_summed_probe ips = ip_summed_probe();
	struct utsname u = {};
	char why[128];
	int fr;

	uname(&u);
	printf("tiu %s (ABI %u)\n", TIU_VERSION, TIU_ABI_VERSION);
	printf("kernel %s: ip_summed %s (%s%s); XDP dispatcher ", u.release,
	       ips == IPS_READABLE ? "readable" : "not readable", ip_summed_reason(ips),
	       ips == IPS_READABLE ? "" : ": all tunnelled TCP takes the detour, control packets too");
	if (geteuid()) {
		printf("unknown (probing needs root)\n");
		return 0;
	}
	fr = freplace_probe(why, sizeof(why));
	printf("%s (%s)\n", fr ? "possible" : "impossible", why);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "up", cmd_up }, { "down", cmd_down }, { "endpoint", cmd_endpoint },
		{ "status", cmd_status }, { "stats", cmd_stats }, { "apply", cmd_apply },
	};
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vhjV", opts, NULL)) != -1) {
		if (c == 'v') {
			tiu_verbose = true;
		} else if (c == 'j') {
			tiu_json = true;
		} else if (c == 'h') {
			usage(stdout);
			return 0;
		} else if (c == 'V') {
			tiu_log_init();
			return version();
		} else {
			tiu_fail("unknown option '%s' (see tiu --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		tiu_fail("which command? up, down, apply, endpoint, status, stats or probe (see tiu --help)");
		return 2;
	}
	tiu_log_init();
	if (!strcmp(argv[optind], "probe")) /* its own exit status (tiu probe --help) */
		return cmd_probe(argc - optind, argv + optind);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
		{
			int r = cmds[i].fn(argc - optind, argv + optind);

			return r == TIU_EUSAGE ? 2 : r ? 1 : 0;
		}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return 0;
	}
	tiu_fail("unknown command '%s': use up, down, apply, endpoint, status, stats or probe (see tiu --help)",
		 argv[optind]);
	return 2;
}
