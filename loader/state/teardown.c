// SPDX-License-Identifier: GPL-2.0
/*
 * teardown.c - teardown(): remove everything of tiu from one interface.
 * `down` uses it, `up` to undo a failed attempt, `apply` and the release of
 * vanished devices (stale.c) for what is no longer configured or there.
 *
 * Everything is found from kernel state, never from a record of what `up`
 * did: tiu's XDP program by name on the interface, its TC filters at tiu's
 * handle/priority whose program name is tiu's, the detour pair by its name
 * and alias, map entries by ifindex and its slot. So it also cleans up
 * after a `tiu up` that was killed at any point. A clsact qdisc goes only if
 * tiu created it (see attach.c).
 */
#include <string.h>

#include "state.h"

static void add_done(char *done, size_t len, const char *what)
{
	size_t n;

	if (!done)
		return;
	n = strlen(done);
	snprintf(done + n, len - n, "%s%s", n ? ", " : "", what);
}

/* Other interfaces still up in this pin directory (those that exist). */
static int others_up(const struct tiu_maps *m, __u32 ifindex, char *names, size_t len)
{
	__u32 ifs[TIU_MAX_IFACES];
	char name[IF_NAMESIZE];
	int n = maps_real_ifaces(m, ifs, TIU_MAX_IFACES), found = 0;

	names[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (ifs[i] == ifindex || !if_indextoname(ifs[i], name))
			continue;
		add_done(names, len, name);
		found++;
	}
	return found;
}

static int forget_and_purge(__u32 ifindex, const char *ifname, const struct pins *p,
			    bool purge, char *done, size_t len)
{
	char others[256];
	struct tiu_maps m;
	int err = maps_open(p, &m);

	if (!err) {
		if (ifindex)
			maps_forget_iface(&m, ifindex);
		if (purge && others_up(&m, ifindex, others, sizeof(others))) {
			maps_close(&m);
			return tiu_fail("%s: down, but pins kept in %s: still used by %s (run `tiu down` for those first)",
					ifname, p->dir, others);
		}
		maps_close(&m);
	}
	if (purge) {
		bool had = pins_exist(p);

		char what[sizeof(p->dir) + 16];

		/* also an empty directory left by an `up` killed before pinning */
		if (p->dir[0] && pins_purge(p))
			return -1;
		if (ifindex)
			pins_unrecord(p, ifindex);
		snprintf(what, sizeof(what), "pins in %s", p->dir);
		if (had)
			add_done(done, len, what);
	}
	return 0;
}

/*
 * Remove everything of tiu from ifindex: XDP program, TC filters, detour,
 * the clsact qdisc if tiu created it, map entries; with purge also the pins.
 * ifindex 0: only the pins.
 * done (may be NULL) receives a list of what was removed.
 */
int teardown(__u32 ifindex, const char *ifname, const struct pins *p, bool purge,
	     char *done, size_t len)
{
	char rs[PATH_MAX - 32];
	struct detour d;
	int err = 0, r;

	if (done)
		done[0] = '\0';
	if (!ifindex) /* only the pins */
		return forget_and_purge(0, ifname, p, purge, done, len);
	if ((r = xdp_detach(ifindex)) > 0)
		add_done(done, len, "XDP " TIU_PROG_XDP_DECAP);
	err |= r < 0;
	if ((r = tc_detach(ifindex, true)) > 0)
		add_done(done, len, "TC egress");
	err |= r < 0;
	if ((r = tc_detach(ifindex, false)) > 0)
		add_done(done, len, "TC ingress");
	err |= r < 0;
	if (detour_find(ifindex, &d) > 0 && !detour_destroy(ifindex, ifname))
		add_done(done, len, d.name);
	run_state_dir(p, rs, sizeof(rs));
	if (tc_clsact_release(rs, ifindex))
		add_done(done, len, "clsact qdisc");
	err |= ka_down(ifindex, p, done, len) < 0;
	err |= forget_and_purge(ifindex, ifname, p, purge, done, len) < 0;
	return err ? -1 : 0;
}
