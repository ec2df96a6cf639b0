// SPDX-License-Identifier: GPL-2.0
/*
 * up.c - `tiu up IFACE`: check everything that can be checked without
 * changing the system, then load, pin, create the detour, fill the maps and
 * attach, in the order that makes the datapath consistent at every moment
 * (decap and detour before egress). If a step fails, teardown() (down.c)
 * undoes every earlier step from kernel state.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tiu.h"
#include "objects.h"

static void up_usage(FILE *f)
{
	fprintf(f,
"usage: tiu up IFACE [--endpoint local=ADDR:PORT|remote=ADDR:PORT]...\n"
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
"                    or * (any); repeat for more. Change later with\n"
"                    `tiu endpoint add|del`.\n"
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
"                    with this idle time and probe interval. 0: off. Default:\n"
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
"                    recorded for IFACE: the other commands find it.\n"
"  --config FILE     read options from FILE, one per line, e.g.\n"
"                    \"endpoint remote=192.0.2.1:5201\", \"xdp-mode skb\", \"mss 1360\",\n"
"                    \"pin-dir DIR\"; '#' comments. Usually /etc/tiu/IFACE.conf\n"
"                    (tiu@IFACE.service).\n"
"\n"
"Creates the detour veth pair tiuNd/tiuNp (N = ifindex of IFACE) and TC\n"
"filters at pref %u handle 0x%x. `tiu down IFACE` removes everything.\n",
		TIU_KA_DEFAULT_REMOTE, TIU_TC_PRIO, TIU_TC_HANDLE);
}

/* up's own options (key CLI_OWN + index): the names are those of the
 * configuration file too, so up_opt() handles both. */
static const struct option up_longopts[] = {
	{ "endpoint", required_argument, NULL, CLI_OWN + 0 },
	{ "xdp-mode", required_argument, NULL, CLI_OWN + 1 },
	{ "decap", required_argument, NULL, CLI_OWN + 2 },
	{ "keepalive", required_argument, NULL, CLI_OWN + 3 },
	{ "mss", required_argument, NULL, CLI_OWN + 4 },
	{ "config", required_argument, NULL, 'c' },
	{}
};

static int up_cli_opt(void *ctx, int key, const char *arg)
{
	struct up_opts *o = ctx;

	if (key == 'c')
		return read_config(o, arg);
	if (key == CLI_PIN_DIR)
		return up_opt(o, "pin-dir", arg);
	return up_opt(o, up_longopts[key - CLI_OWN].name, arg);
}

static int parse_up(int argc, char **argv, struct up_opts *o)
{
	static const struct cli_cmd cmd = {
		.name = "up", .common = CLI_F_PIN_DIR, .opts = up_longopts,
		.opt = up_cli_opt, .usage = up_usage, .max_args = 1,
	};
	struct cli c;
	int r = cli_parse(&cmd, o, argc, argv, &c);

	if (r)
		return r;
	if (!c.argc)
		return tiu_fail("which interface? usage: tiu up IFACE [options] (see tiu up --help)");
	o->ifname = c.argv[0];
	return 0;
}

static int parse_keys(const struct up_opts *o, __u32 ifindex, struct tiu_endpoint_key *keys)
{
	char a[80];

	for (int i = 0; i < o->n_eps; i++) {
		if (parse_endpoint(o->eps[i], ifindex, &keys[i]))
			return -1;
		warn_local_port(o->ifname, &keys[i]);
		for (int j = 0; j < i; j++) {
			if (memcmp(&keys[i], &keys[j], sizeof(keys[i])))
				continue;
			format_endpoint(&keys[i], a, sizeof(a));
			return tiu_fail("%s: duplicate endpoint %s (given twice)", o->ifname, a);
		}
	}
	return 0;
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
	struct pins rec;
	int n = 0, det;

	if (!maps_open(p, &m)) {
		if (!bpf_map_lookup_elem(m.links, &ifindex, &link))
			n += snprintf(found + n, sizeof(found) - n, " map entries,");
		maps_close(&m);
	}
	/* entries in the pin directory recorded by an earlier `up --pin-dir` */
	if (!pins_of_iface(NULL, ifindex, false, &rec) && strcmp(rec.dir, p->dir) &&
	    !maps_open(&rec, &m)) {
		if (!bpf_map_lookup_elem(m.links, &ifindex, &link))
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

/* Read-only checks: the interface and its framing, endpoints, pins, what is
 * attached. */
static int up_prepare(struct up_opts *o, __u32 *ifindex, struct tiu_endpoint_key *keys,
		      struct pins *p, struct tc_obj *t, enum tiu_framing *framing)
{
	if (tiu_need_root() || tiu_lock() || iface_index(o->ifname, ifindex))
		return -1;
	if (detour_is_name(o->ifname))
		return tiu_fail("%s: is a tiu detour device: give the real interface", o->ifname);
	if (iface_framing(*ifindex, o->ifname, framing))
		return -1;
	if (*ifindex == 1 || !strcmp(o->ifname, "lo"))
		tiu_warn("%s: the loopback interface: both ends of every tunnelled connection are this host, so each packet is converted on the way out and back on the way in; useful for tests only",
			 o->ifname);
	if (parse_keys(o, *ifindex, keys) || pins_resolve(o->pin_dir, true, p))
		return -1;
	if (tc_obj_open(t, p->dir, o->ifname, *framing))
		return -1;
	if (maps_check_pins(p, t->obj, o->ifname) || check_not_up(p, *ifindex, o->ifname) ||
	    (o->decap == DECAP_XDP && check_xdp_free(*ifindex, o->ifname))) {
		tc_obj_close(t);
		return -1;
	}
	return 0;
}

static int fill_maps(const struct pins *p, __u32 ifindex, const struct detour *d,
		     const struct tiu_endpoint_key *keys, int n_keys, const char *ifname, __u32 mss,
		     enum tiu_framing framing)
{
	/* TIU_LINK_F_L3: for XDP objects loaded by others (tiu_framing AUTO) */
	struct tiu_link real = { .detour_ifindex = d->ifindex,
				 .flags = TIU_LINK_F_REAL |
					  (framing == TIU_FRAMING_L3 ? TIU_LINK_F_L3 : 0),
				 .mss = mss };
	struct tiu_link peer = { .out_ifindex = ifindex, .flags = TIU_LINK_F_DETOUR };
	struct tiu_endpoint_val val = {};
	struct tiu_maps m;
	char a[80];
	__u32 abi;
	int err;

	if (maps_open(p, &m))
		return tiu_fail("%s: cannot open the maps pinned in %s", ifname, p->dir);
	err = maps_abi(&m, &abi) || (!abi && maps_set_abi(&m)) || maps_stats_reset(&m, ifindex);
	if (!err)
		err = bpf_map_update_elem(m.links, &d->peer_ifindex, &peer, BPF_NOEXIST) ||
		      bpf_map_update_elem(m.links, &ifindex, &real, BPF_NOEXIST);
	if (err) {
		maps_close(&m);
		return tiu_fail("%s: cannot write the maps in %s: %s", ifname, p->dir, strerror(errno));
	}
	tiu_crash_point("links");
	for (int i = 0; i < n_keys && !err; i++) {
		if (!bpf_map_update_elem(m.endpoints, &keys[i], &val, BPF_NOEXIST))
			continue;
		format_endpoint(&keys[i], a, sizeof(a));
		err = tiu_fail("%s: cannot add endpoint %s: %s", ifname, a,
			       errno == E2BIG ? "the endpoint table is full" : strerror(errno));
	}
	maps_close(&m);
	return err;
}

static int attach_all(const struct up_opts *o, __u32 ifindex, const struct pins *p,
		      struct tc_obj *t, const struct detour *d, enum tiu_framing framing)
{
	struct tiu_xdp *xskel;
	struct bpf_object *xobj;
	int err;

	err = tc_attach(d->peer_ifindex, false, t->detour, d->peer, NULL);
	if (err)
		return err;
	tiu_crash_point("detour-prog");
	if (o->decap == DECAP_TC) {
		err = tc_attach(ifindex, false, t->decap, o->ifname, p);
	} else {
		xobj = xdp_obj_open(&xskel, p->dir, o->ifname, framing);
		err = xobj ? xdp_attach(xobj, ifindex, o->ifname, o->xdp_mode) : -1;
		if (xobj)
			xdp_obj_close(xskel);
	}
	if (err)
		return err;
	tiu_crash_point("decap");
	err = tc_attach(ifindex, true, t->egress, o->ifname, p);
	tiu_crash_point("egress");
	return err;
}

static void up_summary(const struct up_opts *o, __u32 ifindex, const struct detour *d,
		       const struct tc_obj *t, const struct pins *p, enum tiu_framing framing)
{
	static struct ka_state ka;
	struct xdp_info xi = {};
	char mss[32] = "", kas[64];

	if (o->decap == DECAP_XDP)
		xdp_query(ifindex, &xi);
	if (o->mss)
		snprintf(mss, sizeof(mss), ", MSS clamp %u", o->mss);
	ka_state(p, ifindex, &ka);
	if (ka.on)
		snprintf(kas, sizeof(kas), ", keepalive %u s%s", ka.v.seconds,
			 (ka.v.flags & TIU_KA_F_DEFAULT) ? " (remote=)" : "");
	else
		snprintf(kas, sizeof(kas), ", keepalive off");
	printf("%s: up: %s framing, decap %s%s%s, TC egress (%s), detour %s -> %s, %d endpoint%s%s%s\n",
	       o->ifname, framing_name(framing), o->decap == DECAP_XDP ? "XDP " : "TC ingress",
	       o->decap == DECAP_XDP ? xdp_mode_name(xi.mode) : "",
	       o->decap == DECAP_XDP ? (xi.dispatcher ? " (dispatcher)" : " (single program)") : "",
	       t->kfunc ? "reads ip_summed" : "compat: all tunnelled TCP via detour",
	       d->name, d->peer, o->n_eps, o->n_eps == 1 ? "" : "s", mss, kas);
}

int cmd_up(int argc, char **argv)
{
	static struct tiu_endpoint_key keys[TIU_MAX_CLI_ENDPOINTS];
	struct up_opts o = { .xdp_mode = XDPM_AUTO, .decap = DECAP_XDP, .keepalive = -1 };
	struct tc_obj t;
	struct detour d = {};
	enum tiu_framing framing;
	struct pins p;
	__u32 ifindex;
	bool had_pins;
	int err;

	err = parse_up(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : -1;
	if (up_prepare(&o, &ifindex, keys, &p, &t, &framing))
		return -1;
	had_pins = pins_exist(&p);
	err = pins_record(&p, ifindex) || pins_mkdir(&p) || tc_obj_load(&t, o.ifname);
	if (!err) {
		tiu_crash_point("pins");
		err = detour_create(ifindex, o.ifname, &d);
	}
	if (!err) {
		tiu_crash_point("detour");
		err = fill_maps(&p, ifindex, &d, keys, o.n_eps, o.ifname, o.mss, framing);
	}
	if (!err) {
		tiu_crash_point("endpoints");
		err = attach_all(&o, ifindex, &p, &t, &d, framing);
	}
	if (!err)
		err = ka_up(o.ifname, ifindex, o.keepalive, &p);
	if (err) {
		teardown(ifindex, o.ifname, &p, !had_pins, NULL, 0);
		tiu_fail("%s: nothing changed (everything `up` did was undone)", o.ifname);
	} else {
		up_summary(&o, ifindex, &d, &t, &p, framing);
	}
	tc_obj_close(&t);
	return err ? -1 : 0;
}
