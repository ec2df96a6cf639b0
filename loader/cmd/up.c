// SPDX-License-Identifier: GPL-2.0
/*
 * up.c - `tiu up IFACE`: check everything that can be checked without
 * changing the system (a free slot among them: it is a constant of the
 * programs, so it is chosen before they load, under the lock), then load,
 * pin, create the detour, fill the maps (the slot's entries, then the
 * endpoints and their port bits) and attach, in the order that makes the
 * datapath consistent at every moment (decap and detour before egress). If
 * a step fails, teardown() (state/teardown.c) undoes every earlier step from kernel
 * state.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cmd.h"

static void up_usage(FILE *f)
{
	fprintf(f,
"usage: tiu up IFACE [--endpoint local=ADDR:PORT|remote=ADDR:PORT|mark=VALUE[/MASK]]...\n"
"                    [--xdp-mode native|skb|auto] [--decap xdp|tc] [--mss N]\n"
"                    [--keepalive SECONDS] [--pin-dir DIR] [--config FILE]\n"
"\n"
"Attach tiu to IFACE: TCP from a local endpoint or to a remote endpoint leaves\n"
"as UDP, UDP to a local endpoint or from a remote endpoint is turned back into\n"
"TCP. A server names local=*:PORT, a client remote=SERVER:PORT.\n"
"\n"
"IFACE is an Ethernet device, or a raw-IP one (tun, WireGuard, wwan/rmnet/\n"
"qmimux, PPP: packets start at the IP header); other device types are refused.\n"
"Raw-IP drivers have no native XDP: XDP runs there in skb mode.\n"
"\n"
"  --endpoint EP     local=ADDR:PORT or remote=ADDR:PORT; ADDR is IPv4, [IPv6]\n"
"                    or * (any); PORT is 1-65535 or a range FIRST-LAST\n"
"                    (local=*:7000-7999); or mark=VALUE[/MASK]: egress TCP\n"
"                    whose fwmark matches ((mark & MASK) == VALUE; decimal or\n"
"                    0x hex, MASK 0xffffffff if left out; one per interface)\n"
"                    is tunnelled whatever its ports. Incoming UDP is matched\n"
"                    by address and port only (the sender's mark does not\n"
"                    travel): give a port endpoint for the peer's replies too\n"
"                    (remote=PEER:PORT). Repeat for more; overlapping ranges of\n"
"                    one role and address are refused. Change later with\n"
"                    `tiu endpoint add|del` (see tiu endpoint --help).\n"
"  --xdp-mode MODE   native: driver XDP, fails if the driver lacks it;\n"
"                    skb: generic XDP; auto (default): native, else skb with a\n"
"                    warning.\n"
"  --decap WHERE     xdp (default): decapsulate in XDP (libxdp, shares the\n"
"                    interface with other libxdp programs where the kernel\n"
"                    allows the dispatcher); tc: in TC ingress instead.\n"
"  --keepalive SECONDS\n"
"                    TCP keepalive for tunnelled connections, so that a NAT\n"
"                    on the way keeps their UDP mapping while they are idle:\n"
"                    a sock_ops program on the cgroup v2 root turns it on for\n"
"                    each connection (and MPTCP subflow) of these endpoints\n"
"                    (every port of a range; not those selected by a mark\n"
"                    alone) with this idle time and probe interval. 0: off.\n"
"                    Default:\n"
"                    %d s for remote= endpoints (clients, the side behind the\n"
"                    NAT), below the 30 s after which the shortest-lived UDP\n"
"                    NAT mappings expire; none for local= endpoints. Choose\n"
"                    less than the UDP timeout of the NAT in the path.\n"
"  --mss N           clamp the MSS option of tunnelled SYN and SYN-ACK leaving\n"
"                    IFACE to N bytes: for paths that drop the ICMP errors of\n"
"                    path-MTU discovery (path MTU - 40 for IPv4, - 60 for\n"
"                    IPv6, e.g. 1360 and 1220 for 1400 and 1280).\n"
"  --pin-dir DIR     pin the maps in DIR instead of /sys/fs/bpf/tiu (or\n"
"                    /sys/fs/bpf/tiu/netns-ID outside the initial netns);\n"
"                    recorded for IFACE: the other commands find it. One\n"
"                    DIR serves one network namespace.\n"
"  --config FILE     read options from FILE, one per line, e.g.\n"
"                    \"endpoint remote=192.0.2.1:5201\", \"xdp-mode skb\", \"mss 1360\",\n"
"                    \"pin-dir DIR\"; '#' comments. Usually /etc/tiu/IFACE.conf\n"
"                    (tiu@IFACE.service).\n"
"\n"
"Creates the detour veth pair tiuNd/tiuNp (N = ifindex of IFACE) and TC\n"
"filters at pref %u handle 0x%x, and gives IFACE one of the %d slots of its pin\n"
"directory (`tiu status` shows it). `tiu down IFACE` removes everything.\n",
		TIU_KA_DEFAULT_REMOTE, TIU_TC_PRIO, TIU_TC_HANDLE, TIU_MAX_SLOTS);
}

/* up's options have the names of the configuration file's lines, so
 * up_opt() handles both; --pin-dir is up's own too, so that it and a
 * --config file's pin-dir take effect in the order given. */
static int up_cli_opt(void *ctx, const char *name, const char *arg)
{
	struct up_opts *o = ctx;

	if (!strcmp(name, "config"))
		return read_config(o, arg);
	return up_opt(o, name, arg);
}

static const struct cli_opt up_longopts[] = {
	CLI_FN("endpoint", required_argument, up_cli_opt),
	CLI_FN("xdp-mode", required_argument, up_cli_opt),
	CLI_FN("decap", required_argument, up_cli_opt),
	CLI_FN("keepalive", required_argument, up_cli_opt),
	CLI_FN("mss", required_argument, up_cli_opt),
	CLI_FN("config", required_argument, up_cli_opt),
	CLI_FN("pin-dir", required_argument, up_cli_opt),
	{}
};

static int parse_up(int argc, char **argv, struct up_opts *o)
{
	static const struct cli_cmd cmd = {
		.name = "up", .opts = up_longopts, .usage = up_usage, .max_args = 1,
	};
	struct cli c;
	int r = cli_parse(&cmd, o, argc, argv, &c);

	if (r)
		return r;
	if (!c.argc)
		return tiu_usage_fail("which interface? usage: tiu up IFACE [options] (see tiu up --help)");
	o->ifname = c.argv[0];
	return 0;
}

/* The endpoints of up: each parsed, none given twice or overlapping, one
 * mark selector at most (the same checks as `endpoint add`). */
static int parse_eps(const struct up_opts *o, struct ep *eps)
{
	for (int i = 0; i < o->n_eps; i++)
		if (parse_endpoint(o->eps[i], &eps[i]))
			return -1;
	return eps_check_add(o->ifname, NULL, 0, eps, o->n_eps);
}

/* Anything of tiu on the interface already? Refuse before changing a thing. */
static int check_not_up(const struct pins *p, __u32 ifindex, const char *ifname)
{
	struct tiu_maps m;
	struct tiu_link link;
	struct xdp_info xi = {};
	struct tc_info ti;
	struct detour d;
	char found[400] = "";
	unsigned long long owner;
	struct pins rec;
	__u32 slot;
	int n = 0, det;

	if (!maps_open(p, &m)) {
		if (!bpf_map_lookup_elem(m.links, &ifindex, &link) || !maps_slot_of(&m, ifindex, &slot))
			n += snprintf(found + n, sizeof(found) - n, " map entries,");
		maps_close(&m);
	}
	/* entries in the pin directory recorded by an earlier `up --pin-dir`
	 * (unless another namespace took it over: its ifindexes are not ours) */
	if (!pins_recorded(ifindex, &rec) && strcmp(rec.dir, p->dir) && !pins_owner(&rec, &owner) &&
	    !maps_open(&rec, &m)) {
		if (!bpf_map_lookup_elem(m.links, &ifindex, &link) || !maps_slot_of(&m, ifindex, &slot))
			n += snprintf(found + n, sizeof(found) - n, " map entries in %s,", rec.dir);
		maps_close(&m);
	}
	if (tc_query(ifindex, true, &ti)) {
		if (!ti.ours)
			return tiu_fail("%s: TC egress pref %u handle 0x%x holds %s (id %u), not tiu's: remove it (`tc filter del dev %s egress pref %u`)",
					ifname, TIU_TC_PRIO, TIU_TC_HANDLE, ti.name, ti.prog_id, ifname, TIU_TC_PRIO);
		n += snprintf(found + n, sizeof(found) - n, " TC egress filter,");
	}
	if (tc_query(ifindex, false, &ti) && ti.ours)
		n += snprintf(found + n, sizeof(found) - n, " TC ingress filter,");
	if (!xdp_query(ifindex, &xi) && xi.prog_id)
		n += snprintf(found + n, sizeof(found) - n, " XDP program,");
	det = detour_find(ifindex, &d);
	if (det < 0)
		return -1;
	if (det)
		n += snprintf(found + n, sizeof(found) - n, " detour %s,", d.name);
	if (!n)
		return 0;
	found[n - 1] = '\0';
	return tiu_fail("%s: already up, or left over from an interrupted `tiu up` (found:%s): add endpoints with `tiu endpoint add %s ...`, or run `tiu down %s` first",
			ifname, found, ifname, ifname);
}

static int check_xdp_free(__u32 ifindex, const char *ifname)
{
	struct xdp_info xi;
	int err = xdp_query(ifindex, &xi);

	if (err)
		return tiu_fail("%s: cannot query XDP: %s", ifname, strerror(-err));
	if (xi.other_id && !xi.dispatcher)
		return tiu_fail("%s: another XDP program (%s, id %u) is attached without libxdp's dispatcher: detach it (`xdp-loader unload %s --all` or `ip link set dev %s xdp off`) or use --decap tc",
				ifname, xi.other_name, xi.other_id, ifname, ifname);
	return 0;
}

/*
 * The pins serve another network namespace (pins_owner)? Refuse while an
 * interface of that namespace is up there: its slots and endpoints are
 * keyed by ifindexes of its own, which ours would collide with. With none
 * up (all taken down, or never more than a killed `up`), this namespace
 * takes the directory over (pins_claim); that one's records of it then
 * find pins that are not theirs, and say so.
 */
static int check_owner(const struct pins *p)
{
	__u32 ifs[TIU_MAX_SLOTS + TIU_MAX_IFACES];
	unsigned long long owner;
	struct tiu_maps m;
	struct pins rec;
	int k = 0;

	if (maps_open(p, &m))
		return 0; /* no pins (or stale ones: maps_check_pins says so) */
	k = maps_real_ifaces(&m, ifs, TIU_MAX_SLOTS + TIU_MAX_IFACES);
	maps_close(&m);
	if (pins_owner(p, &owner))
		return k ? pins_foreign_fail(p, owner, true) : 0;
	if (owner || !p->user_dir)
		return 0; /* ours; or our default directory, ours by its name */
	/* pins without an owner record (an older tiu made them): ours only if
	 * every interface up there is one this namespace recorded there */
	for (int i = 0; i < k; i++)
		if (pins_recorded(ifs[i], &rec) || strcmp(rec.dir, p->dir))
			return tiu_fail("%s: holds pins without the record of their network namespace (an older tiu made them), with ifindex %u up there that this namespace did not record: if it is this namespace's, run `tiu down` and `tiu up` for it; else give this namespace its own --pin-dir",
					p->dir, ifs[i]);
	return 0;
}

/* The slot IFACE gets: the lowest free one in the pins (0 before the first
 * `up`), and room in the endpoint table for its endpoints. */
static int pick_slot(const struct pins *p, const char *ifname, const struct ep *eps, int n,
		     __u32 *slot)
{
	__u32 ifs[TIU_MAX_SLOTS + TIU_MAX_IFACES];
	char name[IF_NAMESIZE];
	struct tiu_maps m;
	int err, gone = 0, k;

	*slot = 0;
	if (maps_open(p, &m))
		return 0; /* nothing pinned yet: libbpf makes the maps at load */
	err = maps_slot_free(&m, slot);
	if (err) {
		k = maps_real_ifaces(&m, ifs, TIU_MAX_SLOTS + TIU_MAX_IFACES);
		for (int i = 0; i < k; i++)
			gone += !if_indextoname(ifs[i], name);
		err = tiu_fail("%s: no free slot: %d interfaces have tiu up with the pins in %s (at most %d)%s: take one down (`tiu down IFACE`), or give this one its own --pin-dir",
			       ifname, TIU_MAX_SLOTS, p->dir, TIU_MAX_SLOTS,
			       gone ? "; some of them no longer exist: `tiu status` lists them as \"?\", `tiu down NAME` with a deleted interface's name frees theirs" : "");
	} else {
		err = eps_check_room(&m, ifname, eps, n);
	}
	maps_close(&m);
	return err;
}

/* The interface being brought up: what `up` was told and what it found,
 * step by step (up_prepare fills it, the later steps read it). */
struct up_iface {
	struct up_opts o;
	struct ep *eps;                 /* o.n_eps parsed endpoints */
	__u32 ifindex, slot;
	enum tiu_framing framing;
	struct pins p;
	char run_dir[PATH_MAX - 32];    /* run_state_dir(&p): clsact notes */
	struct tc_obj t;
	struct detour d;
};

/* Read-only checks: the interface and its framing, endpoints, pins, what is
 * attached, a free slot. */
static int up_prepare(struct up_iface *u)
{
	const struct up_opts *o = &u->o;

	if (tiu_need_root() || tiu_lock() || iface_index(o->ifname, &u->ifindex))
		return -1;
	if (detour_is_name(o->ifname))
		return tiu_fail("%s: is a tiu detour device: give the real interface", o->ifname);
	if (iface_framing(u->ifindex, o->ifname, &u->framing))
		return -1;
	if (u->ifindex == 1 || !strcmp(o->ifname, "lo"))
		tiu_warn("%s: the loopback interface: both ends of every tunnelled connection are this host, so each packet is converted on the way out and back on the way in; useful for tests only",
			 o->ifname);
	if (parse_eps(o, u->eps) || pins_resolve(o->pin_dir, true, &u->p))
		return -1;
	run_state_dir(&u->p, u->run_dir, sizeof(u->run_dir));
	if (tc_obj_open(&u->t, u->p.dir, o->ifname, u->framing))
		return -1;
	/* Load only what is attached: the verifier's time and memory are the
	 * cost of `tiu up` on a small CPU. The TC decap program with --decap tc
	 * only (the XDP object decapsulates otherwise). */
	bpf_program__set_autoload(u->t.decap, o->decap == DECAP_TC);
	if (check_owner(&u->p) || maps_check_pins(&u->p, u->t.obj, o->ifname) ||
	    check_not_up(&u->p, u->ifindex, o->ifname) ||
	    (o->decap == DECAP_XDP && check_xdp_free(u->ifindex, o->ifname)) ||
	    pick_slot(&u->p, o->ifname, u->eps, o->n_eps, &u->slot)) {
		tc_obj_close(&u->t);
		return -1;
	}
	tc_obj_set_slot(&u->t, u->slot);
	return 0;
}

/*
 * The slot (its statistics zeroed, its tiu_ifaces entry), the tiu_links
 * entries of the interface and its detour peer, then the endpoints and
 * their port bits. The programs are not attached yet.
 */
static int fill_maps(const struct up_iface *u)
{
	const char *ifname = u->o.ifname;
	__u32 l3 = u->framing == TIU_FRAMING_L3, slot = u->slot;
	struct tiu_iface ifc = { .ifindex = u->ifindex, .detour_ifindex = u->d.ifindex,
				 .flags = l3 ? TIU_IFACE_F_L3 : 0, .mss = u->o.mss };
	/* TIU_LINK_F_L3: for XDP objects loaded by others (tiu_framing AUTO) */
	struct tiu_link real = { .slot = slot,
				 .flags = TIU_LINK_F_REAL | (l3 ? TIU_LINK_F_L3 : 0) };
	struct tiu_link peer = { .slot = slot, .flags = TIU_LINK_F_DETOUR };
	struct tiu_iface was;
	struct tiu_maps m;
	__u32 abi;
	int err;

	if (maps_open(&u->p, &m))
		return tiu_fail("%s: cannot open the maps pinned in %s", ifname, u->p.dir);
	if (!maps_iface(&m, slot, &was) && was.ifindex) { /* cannot happen: under the lock */
		maps_close(&m);
		return tiu_fail("%s: slot %u was taken by ifindex %u meanwhile: run `tiu up` again",
				ifname, slot, was.ifindex);
	}
	err = maps_abi(&m, &abi) || (!abi && maps_set_abi(&m)) || maps_stats_reset(&m, slot) ||
	      maps_set_iface(&m, slot, &ifc);
	if (!err)
		err = bpf_map_update_elem(m.links, &u->d.peer_ifindex, &peer, BPF_NOEXIST) ||
		      bpf_map_update_elem(m.links, &u->ifindex, &real, BPF_NOEXIST);
	if (err) {
		maps_close(&m);
		return tiu_fail("%s: cannot write the maps in %s: %s", ifname, u->p.dir,
				strerror(errno));
	}
	tiu_crash_point("links");
	err = u->o.n_eps ? eps_apply(&m, slot, ifname, true, u->eps, u->o.n_eps) : 0;
	maps_close(&m);
	return err;
}

static int attach_all(const struct up_iface *u)
{
	const struct up_opts *o = &u->o;
	struct tiu_xdp *xskel;
	struct bpf_object *xobj;
	int err;

	err = tc_attach(u->d.peer_ifindex, false, u->t.detour, u->d.peer, NULL);
	if (err)
		return err;
	tiu_crash_point("detour-prog");
	if (o->decap == DECAP_TC) {
		err = tc_attach(u->ifindex, false, u->t.decap, o->ifname, u->run_dir);
	} else {
		xobj = xdp_obj_open(&xskel, u->p.dir, o->ifname, u->framing, u->slot);
		err = xobj ? xdp_attach(xobj, u->ifindex, o->ifname, o->xdp_mode) : -1;
		if (xobj)
			xdp_obj_close(xskel);
	}
	if (err)
		return err;
	tiu_crash_point("decap");
	err = tc_attach(u->ifindex, true, u->t.egress, o->ifname, u->run_dir);
	tiu_crash_point("egress");
	return err;
}

static void up_summary(const struct up_iface *u)
{
	static struct ka_state ka;
	const struct up_opts *o = &u->o;
	const struct tc_obj *t = &u->t;
	struct xdp_info xi = {};
	char mss[32] = "", kas[64], mark[TIU_EP_STRLEN + 2] = "";
	int n = 0;

	for (int i = 0; i < o->n_eps; i++) {
		if (u->eps[i].kind == EP_MARK) {
			mark[0] = ',';
			mark[1] = ' ';
			format_endpoint(&u->eps[i], mark + 2, sizeof(mark) - 2);
		} else {
			n++;
		}
	}

	if (o->decap == DECAP_XDP)
		xdp_query(u->ifindex, &xi);
	if (o->mss)
		snprintf(mss, sizeof(mss), ", MSS clamp %u", o->mss);
	ka_state(&u->p, u->ifindex, &ka);
	if (ka.on)
		snprintf(kas, sizeof(kas), ", keepalive %u s%s", ka.v.seconds,
			 (ka.v.flags & TIU_KA_F_DEFAULT) ? " (remote=)" : "");
	else
		snprintf(kas, sizeof(kas), ", keepalive off");
	printf("%s: up: %s framing, decap %s%s%s, TC egress (%s%s), detour %s -> %s, %d endpoint%s%s%s%s, slot %u\n",
	       o->ifname, framing_name(u->framing), o->decap == DECAP_XDP ? "XDP " : "TC ingress",
	       o->decap == DECAP_XDP ? xdp_mode_name(xi.mode) : "",
	       o->decap == DECAP_XDP ? (xi.dispatcher ? " (dispatcher)" : " (single program)") : "",
	       t->kfunc ? "reads ip_summed" : "compat: all tunnelled TCP via detour, ",
	       t->kfunc ? "" : ip_summed_reason(t->why),
	       u->d.name, u->d.peer, n, n == 1 ? "" : "s", mark, mss, kas, u->slot);
}

int cmd_up(int argc, char **argv)
{
	static struct ep eps[TIU_MAX_CLI_ENDPOINTS];
	static struct up_iface u;
	const char *ifname;
	bool had_pins;
	int err;

	u = (struct up_iface){ .o = { .xdp_mode = XDPM_AUTO, .decap = DECAP_XDP, .keepalive = -1 },
			       .eps = eps };
	err = parse_up(argc, argv, &u.o);
	if (err)
		return err > 0 ? 0 : err;
	ifname = u.o.ifname;
	if (up_prepare(&u))
		return -1;
	had_pins = pins_exist(&u.p);
	err = pins_record(&u.p, u.ifindex) || pins_mkdir(&u.p) || pins_claim(&u.p) ||
	      tc_obj_load(&u.t, ifname);
	if (!err) {
		tiu_crash_point("pins");
		err = detour_create(u.ifindex, ifname, &u.d);
	}
	if (!err) {
		tiu_crash_point("detour");
		err = fill_maps(&u);
	}
	if (!err) {
		tiu_crash_point("endpoints");
		err = attach_all(&u);
	}
	if (!err)
		err = ka_up(ifname, u.ifindex, u.o.keepalive, &u.p);
	if (!err) /* last: it is not undone (docs/DESIGN.md "UDP GRO before decap") */
		err = ethtool_no_udp_gro(u.ifindex, ifname);
	if (err) {
		teardown(u.ifindex, ifname, &u.p, !had_pins, NULL, 0);
		tiu_fail("%s: nothing changed (everything `up` did was undone)", ifname);
	} else {
		up_summary(&u);
	}
	tc_obj_close(&u.t);
	return err ? -1 : 0;
}
