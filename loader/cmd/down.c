// SPDX-License-Identifier: GPL-2.0
/*
 * down.c - `tiu down IFACE [--purge]`, `down --stale`: the command line
 * around teardown() (state/teardown.c), which finds everything of tiu on an
 * interface from kernel state, so `down` also cleans up after a `tiu up`
 * that was killed at any point.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* Interfaces in the interface table that no longer exist. */
static int vanished_ifaces(const struct pins *p, __u32 *out, int max)
{
	__u32 ifs[TIU_MAX_IFACES];
	char name[IF_NAMESIZE];
	struct tiu_maps m;
	int n, found = 0;

	if (maps_open(p, &m))
		return 0;
	n = maps_real_ifaces(&m, ifs, TIU_MAX_IFACES);
	for (int i = 0; i < n && found < max; i++)
		if (!if_indextoname(ifs[i], name))
			out[found++] = ifs[i];
	maps_close(&m);
	return found;
}

/*
 * `down IFACE` of an interface that was deleted while tiu was up on it: the
 * detour pair (found by its alias) and the map entries of interfaces that are
 * gone remain; remove them, then purge as asked.
 */
static int down_vanished(const char *ifname, const char *pin_dir, const struct pins *p,
			 bool purge)
{
	__u32 idx[TIU_MAX_IFACES * 2];
	char done[256], all[512] = "";
	int n = detour_of_alias(ifname, idx, TIU_MAX_IFACES), n_alias = n;
	int err = 0;

	n += vanished_ifaces(p, idx + n, TIU_MAX_IFACES);
	for (int i = 0; i < n; i++) {
		struct pins own;

		/* a detour found by alias: the pins recorded for its interface */
		if (i >= n_alias || pins_of_iface(pin_dir, idx[i], false, &own))
			own = *p;
		err |= teardown(idx[i], ifname, &own, purge && strcmp(own.dir, p->dir), done,
				sizeof(done)) < 0;
		if (done[0])
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s (ifindex %u)",
				 all[0] ? ", " : "", done, idx[i]);
	}
	if (purge)
		err |= teardown(0, ifname, p, true, done, sizeof(done)) < 0;
	if (!n && !(purge && done[0]))
		return tiu_fail("%s: no such interface in this network namespace, and nothing of tiu left for it",
				ifname);
	printf("%s: no such interface any more; removed what tiu had for it: %s%s%s\n", ifname,
	       all[0] ? all : "nothing", purge && done[0] ? ", " : "", purge ? done : "");
	return err ? -1 : 0;
}

static void down_usage(FILE *f)
{
	fprintf(f,
"usage: tiu down IFACE [--purge] [--config FILE] [--pin-dir DIR]\n"
"       tiu down --stale\n"
"\n"
"Detach tiu from IFACE: its XDP program (from libxdp's dispatcher or alone),\n"
"its TC filters (pref %u handle 0x%x), its detour pair tiuNd/tiuNp, its\n"
"endpoints (and their port-table bits), mark selector and statistics, and frees\n"
"its slot. Other programs and filters are left alone. Works after a crash or\n"
"kill of an earlier tiu command: it looks at what is attached.\n"
"If IFACE was deleted while tiu was up, removes its detour pair (found by its\n"
"alias) and the entries of interfaces that no longer exist.\n"
"\n"
"  --purge         also remove the pinned maps (when no other interface using\n"
"                  them is up); needed after \"stale pins\" errors.\n"
"  --config FILE   the configuration file of `tiu up --config`: its pin-dir\n"
"                  (a mistake in any other line is a warning, not an error).\n"
"  --pin-dir DIR   the pin directory; without it, the one `tiu up` recorded\n"
"                  for IFACE (see `tiu status`).\n"
"  --stale         instead: remove the pins and run state of network\n"
"                  namespaces that no longer exist (`tiu status` lists them).\n",
		TIU_TC_PRIO, TIU_TC_HANDLE);
}

struct down_opts {
	bool purge, stale;
	struct up_opts config;  /* --config FILE: its pin-dir */
};

static int down_config(void *ctx, const char *name, const char *arg)
{
	struct down_opts *o = ctx;

	(void)name;
	return read_config_down(&o->config, arg);
}

int cmd_down(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_FLAG("purge", struct down_opts, purge),
		CLI_FLAG("stale", struct down_opts, stale),
		CLI_FN("config", required_argument, down_config),
		{}
	};
	static const struct cli_cmd cmd = {
		.name = "down", .common = CLI_F_PIN_DIR, .opts = opts, .usage = down_usage, .max_args = 1,
	};
	struct down_opts o = {};
	const char *ifname, *pin_dir;
	char done[512];
	struct pins p;
	struct cli c;
	__u32 ifindex;
	int r = cli_parse(&cmd, &o, argc, argv, &c);

	if (r)
		return r > 0 ? 0 : r;
	if (o.stale) {
		if (c.argc)
			return tiu_fail("down --stale takes no interface: it removes the state of namespaces that no longer exist (see tiu down --help)");
		return tiu_need_root() || tiu_lock() ? -1 : stale_remove();
	}
	if (!c.argc)
		return tiu_usage_fail("which interface? usage: tiu down IFACE [--purge] (see tiu down --help)");
	ifname = c.argv[0];
	pin_dir = c.pin_dir ? c.pin_dir : o.config.pin_dir;
	if (tiu_need_root() || tiu_lock())
		return -1;
	if (strlen(ifname) >= IFNAMSIZ)
		return iface_index(ifname, &ifindex);
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		if (pins_resolve(pin_dir, false, &p) < 0)
			return -1;
		return down_vanished(ifname, pin_dir, &p, o.purge);
	}
	if (pins_of_iface_down(pin_dir, ifindex, ifname, &p) < 0)
		return -1;
	if (teardown(ifindex, ifname, &p, o.purge, done, sizeof(done)))
		return -1;
	if (done[0])
		printf("%s: down (removed: %s)\n", ifname, done);
	else
		printf("%s: down (nothing of tiu was there)\n", ifname);
	return 0;
}
