// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - `tiu status [IFACE] [--json]`: what is in force, read from the
 * kernel (attached programs, detour devices) and the pinned maps. The text
 * and the JSON come from the same gathered struct, so they always agree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cmd.h"

struct iface_status {
	char name[IF_NAMESIZE];
	__u32 ifindex;
	bool up;                  /* holds a slot in the maps */
	__u32 slot;               /* which, if up */
	__u32 mss;                /* its MSS clamp (`up --mss`), 0: none */
	unsigned short type;      /* device type (ARPHRD_*), from the kernel */
	enum tiu_framing framing; /* what tiu makes of it (framing.c) */
	struct xdp_info xdp;
	struct tc_info egress, ingress, detour_prog;
	bool has_egress, has_ingress, has_detour;
	struct detour detour;
	int n_eps;                /* port endpoints and mark selector */
	struct ep *eps;           /* as `endpoint list` (allocated) */
	const struct ep *mark;    /* the mark selector in eps, or NULL */
	struct ka_state ka;
	int dir;                  /* index in status.dirs of its pins, -1: none */
	int n_warn;
	char warn[4][400];        /* warnings (also on stderr) */
};

#define MAX_DIRS 16
#define MAX_STALE 32

struct pin_dir_status {
	struct pins pins;
	struct tiu_maps maps;
	bool have_maps;
	__u32 abi;
	__u32 ep_gen;             /* tiu_config.ep_gen: odd, the memo is off */
};

struct status {
	struct pins pins;         /* the namespace's default pin directory */
	bool have_maps;
	__u32 abi;
	bool ip_summed;
	enum ip_summed_probe ips;
	bool freplace;
	char freplace_why[128];
	int n_dirs;               /* every pin directory in use, default first */
	struct pin_dir_status dirs[MAX_DIRS];
	int n_stale;              /* state of namespaces that no longer exist */
	struct stale_dir stale[MAX_STALE];
};

/* Per-flow order through the detour (see detour.c). */
static const char *rps_text(int rps)
{
	return rps > 0 ? "on" : rps == 0 ? "off (tunnelled TCP may be reordered)" : "unknown (sysfs unreadable)";
}

static void add_warn(struct iface_status *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_warn(struct iface_status *s, const char *fmt, ...)
{
	va_list ap;

	if (s->n_warn >= (int)(sizeof(s->warn) / sizeof(s->warn[0])))
		return;
	va_start(ap, fmt);
	vsnprintf(s->warn[s->n_warn++], sizeof(s->warn[0]), fmt, ap);
	va_end(ap);
}

/* What an operator must hear about an interface that is up. */
static void check_iface(struct iface_status *s)
{
	char mark[TIU_EP_STRLEN];
	const char *which[2];
	int n;

	if (!s->up)
		return;
	if (s->mark && s->n_eps == 1) {
		format_endpoint(s->mark, mark, sizeof(mark));
		add_warn(s, "%s: %s selects egress TCP by its mark, but there is no port endpoint: incoming UDP is matched by address and port only (ingress cannot see the sender's mark), so the peer's tunnelled replies stay UDP; add one for them (`tiu endpoint add %s remote=PEER:PORT`)",
			 s->name, mark, s->name);
	}
	if (!s->xdp.prog_id && !s->has_ingress)
		add_warn(s, "%s: no decapsulation program attached (XDP %s and TC ingress both gone): tunnelled UDP arriving here is not turned back into TCP; run `tiu down %s` and `tiu up %s ...` again",
			 s->name, TIU_PROG_XDP_DECAP, s->name, s->name);
	if (ethtool_udp_rss(s->name, which, &n) == RSS_NO_PORTS)
		add_warn(s, "%s: the NIC hashes %s%s%s without the UDP ports: every tunnelled connection between two hosts lands on one receive queue and CPU; run `ethtool -N %s rx-flow-hash %s sdfn`%s%s%s",
			 s->name, which[0], n > 1 ? " and " : "", n > 1 ? which[1] : "", s->name,
			 which[0], n > 1 ? " and `ethtool -N " : "", n > 1 ? s->name : "",
			 n > 1 ? " rx-flow-hash udp6 sdfn`" : "");
}

static void gather_iface(const struct tiu_maps *m, __u32 ifindex, int dir, struct iface_status *s)
{
	struct tiu_iface ifc;

	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->ifindex = ifindex;
	if (!if_indextoname(ifindex, s->name))
		snprintf(s->name, sizeof(s->name), "?");
	s->up = m && !maps_slot_of(m, ifindex, &s->slot);
	s->mss = s->up && !maps_iface(m, s->slot, &ifc) ? ifc.mss : 0;
	s->framing = nl_link_type(ifindex, &s->type) ? TIU_FRAMING_AUTO : framing_of_type(s->type);
	xdp_query(ifindex, &s->xdp);
	s->has_egress = tc_query(ifindex, true, &s->egress) && s->egress.ours;
	s->has_ingress = tc_query(ifindex, false, &s->ingress) && s->ingress.ours;
	s->has_detour = detour_find(ifindex, &s->detour) > 0;
	if (s->has_detour && s->detour.peer_ifindex)
		tc_query(s->detour.peer_ifindex, false, &s->detour_prog);
	s->n_eps = s->up ? maps_endpoints(m, s->slot, &s->eps) : 0;
	if (s->n_eps < 0) {
		add_warn(s, "%s: cannot read %s: %s", s->name, TIU_MAP_ENDPOINTS, strerror(-s->n_eps));
		s->n_eps = 0;
	}
	if (s->n_eps && s->eps[s->n_eps - 1].kind == EP_MARK)
		s->mark = &s->eps[s->n_eps - 1];
	check_iface(s);
}

static const char *xdp_kind(const struct status *st, const struct xdp_info *x, char *buf, size_t len)
{
	if (x->dispatcher)
		snprintf(buf, len, "libxdp dispatcher (%d program%s)", x->n_progs,
			 x->n_progs == 1 ? "" : "s");
	else if (!st->freplace)
		snprintf(buf, len, "single-program (dispatcher refused by the kernel: %s)",
			 st->freplace_why);
	else
		snprintf(buf, len, "single-program (libxdp legacy mode)");
	return buf;
}

static void text_tc(const char *what, bool has, const struct tc_info *t, const char *none)
{
	if (has)
		printf("  %s: %s id %u (pref %u handle 0x%x)\n", what, t->name, t->prog_id,
		       TIU_TC_PRIO, TIU_TC_HANDLE);
	else
		printf("  %s: %s\n", what, none);
}

static void text_iface(const struct status *st, const struct iface_status *s)
{
	char kind[200], ep[TIU_EP_STRLEN];
	char type[16];

	printf("%s (ifindex %u)%s\n", s->name, s->ifindex, s->up ? "" : ": not up");
	printf("  framing: %s (link/%s)\n", framing_name(s->framing),
	       arphrd_name(s->type, type, sizeof(type)));
	if (s->dir >= 0)
		printf("  pins: %s\n", st->dirs[s->dir].pins.dir);
	if (s->xdp.prog_id)
		printf("  xdp: %s id %u, %s, %s\n", TIU_PROG_XDP_DECAP, s->xdp.prog_id,
		       xdp_mode_name(s->xdp.mode), xdp_kind(st, &s->xdp, kind, sizeof(kind)));
	else
		printf("  xdp: none%s\n", s->has_ingress ? " (decap in TC ingress)" : "");
	text_tc("tc egress", s->has_egress, &s->egress, "none");
	text_tc("tc ingress", s->has_ingress, &s->ingress,
		s->xdp.prog_id ? "none (decap in XDP)" : "none");
	if (s->has_detour)
		printf("  detour: %s (ifindex %u) -> %s (ifindex %u), %s id %u, RPS %s\n",
		       s->detour.name, s->detour.ifindex, s->detour.peer, s->detour.peer_ifindex,
		       s->detour_prog.prog_id ? s->detour_prog.name : "no program",
		       s->detour_prog.prog_id, rps_text(detour_rps(&s->detour)));
	else
		printf("  detour: none\n");
	if (s->mss)
		printf("  mss clamp: %u (tunnelled SYN and SYN-ACK)\n", s->mss);
	else if (s->up)
		printf("  mss clamp: none\n");
	if (s->up)
		printf("  slot: %u\n", s->slot);
	printf("  endpoints:");
	for (int i = 0; i < s->n_eps; i++) {
		format_endpoint(&s->eps[i], ep, sizeof(ep));
		printf(" %s", ep);
	}
	printf("%s\n", s->n_eps ? "" : " none");
	if (s->mark) {
		format_endpoint(s->mark, ep, sizeof(ep));
		printf("  mark: %s: egress TCP with this fwmark is tunnelled whatever its ports; incoming UDP is matched by the port endpoints only (the sender's mark does not travel)\n",
		       ep + 5);
	}
	ka_print_text(&s->ka);
}

static void text_status(const struct status *st, const struct iface_status *ifs, int n)
{
	printf("pins: %s", st->pins.dir[0] ? st->pins.dir : "(no bpffs mounted)");
	if (st->have_maps)
		printf(" (ABI %u; %s)\n", st->abi, st->pins.note);
	else
		printf(" (none)\n");
	for (int i = 1; i < st->n_dirs; i++)
		printf("pins: %s (%s%u; %s)\n", st->dirs[i].pins.dir,
		       st->dirs[i].have_maps ? "ABI " : "none, ABI ", st->dirs[i].abi,
		       st->dirs[i].pins.note);
	for (int i = 0; i < st->n_dirs; i++)
		if (st->dirs[i].have_maps && (st->dirs[i].ep_gen & 1))
			printf("memo: %s: the programs' memo of exact endpoints is off (endpoint generation %u is odd: a deletion did not finish, or the kernel gave no RCU grace period): each packet of an exact endpoint pays its hash lookup; the next `tiu endpoint del` that finishes turns it on\n",
			       st->dirs[i].pins.dir, st->dirs[i].ep_gen);
	for (int i = 0; i < st->n_stale; i++)
		printf("stale: %s (network namespace %llu no longer exists; `tiu down --stale` removes it)\n",
		       st->stale[i].path, st->stale[i].id);
	apply_status_text(); /* what `tiu apply` brought up, by pattern */
	printf("kernel: ip_summed %s (%s): %s; XDP dispatcher %s\n",
	       st->ip_summed ? "readable" : "not readable", ip_summed_reason(st->ips),
	       st->ip_summed ? "only PARTIAL/GSO TCP takes the detour"
			     : "all tunnelled TCP takes the detour, control packets too",
	       st->freplace ? "possible" : "impossible: freplace refused (EPERM)");
	if (!n)
		printf("no interface is up in this network namespace\n");
	for (int i = 0; i < n; i++)
		text_iface(st, &ifs[i]);
}

/* The instructions the verifier walked to load program id (bpf_prog_info,
 * Linux >= 5.16): what it cost `tiu up`. 0 when the kernel does not say. */
static __u32 prog_verified_insns(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.verified_insns = 0;
	close(fd);
	return info.verified_insns;
}

static void json_tc(const char *key, bool has, const struct tc_info *t)
{
	printf("\"%s\":", key);
	if (has)
		printf("{\"prog\":\"%s\",\"prog_id\":%u,\"verified_insns\":%u,\"pref\":%u,\"handle\":%u}",
		       t->name, t->prog_id, prog_verified_insns(t->prog_id), TIU_TC_PRIO,
		       TIU_TC_HANDLE);
	else
		printf("null");
}

static void json_iface(const struct status *st, const struct iface_status *s)
{
	char kind[200], type[16], ep[TIU_EP_STRLEN];

	printf("{\"name\":");
	json_str(stdout, s->name);
	printf(",\"ifindex\":%u,\"up\":%s,\"framing\":\"%s\",\"device_type\":\"%s\",\"arphrd\":%u,\"pins\":",
	       s->ifindex, s->up ? "true" : "false", framing_name(s->framing),
	       arphrd_name(s->type, type, sizeof(type)), s->type);
	if (s->dir >= 0)
		json_str(stdout, st->dirs[s->dir].pins.dir);
	else
		printf("null");
	printf(",\"warnings\":[");
	for (int i = 0; i < s->n_warn; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, s->warn[i]);
	}
	printf("],\"xdp\":");
	if (s->xdp.prog_id) {
		printf("{\"prog\":\"%s\",\"prog_id\":%u,\"verified_insns\":%u,\"mode\":\"%s\",\"dispatcher\":%s,\"programs\":%d,\"kind\":",
		       TIU_PROG_XDP_DECAP, s->xdp.prog_id, prog_verified_insns(s->xdp.prog_id),
		       xdp_mode_name(s->xdp.mode),
		       s->xdp.dispatcher ? "true" : "false", s->xdp.n_progs);
		json_str(stdout, xdp_kind(st, &s->xdp, kind, sizeof(kind)));
		printf("}");
	} else {
		printf("null");
	}
	printf(",");
	json_tc("tc_egress", s->has_egress, &s->egress);
	printf(",");
	json_tc("tc_ingress", s->has_ingress, &s->ingress);
	printf(",\"detour\":");
	if (s->has_detour)
		printf("{\"name\":\"%s\",\"ifindex\":%u,\"peer\":\"%s\",\"peer_ifindex\":%u,\"prog\":\"%s\",\"prog_id\":%u,\"verified_insns\":%u,\"rps\":\"%s\"}",
		       s->detour.name, s->detour.ifindex, s->detour.peer, s->detour.peer_ifindex,
		       s->detour_prog.prog_id ? s->detour_prog.name : "", s->detour_prog.prog_id,
		       s->detour_prog.prog_id ? prog_verified_insns(s->detour_prog.prog_id) : 0,
		       rps_text(detour_rps(&s->detour)));
	else
		printf("null");
	printf(",\"mss\":");
	if (s->mss)
		printf("%u", s->mss);
	else
		printf("null");
	printf(",\"slot\":");
	if (s->up)
		printf("%u", s->slot);
	else
		printf("null");
	printf(",\"endpoints\":[");
	for (int i = 0; i < s->n_eps; i++) {
		format_endpoint(&s->eps[i], ep, sizeof(ep));
		printf("%s\"%s\"", i ? "," : "", ep);
	}
	printf("],\"mark\":");
	if (s->mark)
		printf("{\"value\":%u,\"mask\":%u}", s->mark->mark, s->mark->mask);
	else
		printf("null");
	printf(",\"keepalive\":");
	ka_print_json(stdout, &s->ka);
	printf("}");
}

static void json_status(const struct status *st, const struct iface_status *ifs, int n)
{
	printf("{\"pin_dir\":");
	json_str(stdout, st->pins.dir);
	printf(",\"pins\":%s,\"pin_note\":", st->have_maps ? "true" : "false");
	json_str(stdout, st->pins.note);
	printf(",\"abi_version\":%u,\"ip_summed_readable\":%s,\"kernel_btf\":%s,\"dispatcher_possible\":%s,\"dispatcher_note\":",
	       st->abi, st->ip_summed ? "true" : "false", st->ips == IPS_NO_BTF ? "false" : "true",
	       st->freplace ? "true" : "false");
	json_str(stdout, st->freplace_why);
	printf(",\"pin_dirs\":[");
	for (int i = 0; i < st->n_dirs; i++) {
		printf("%s{\"dir\":", i ? "," : "");
		json_str(stdout, st->dirs[i].pins.dir);
		printf(",\"note\":");
		json_str(stdout, st->dirs[i].pins.note);
		printf(",\"pins\":%s,\"abi_version\":%u,\"ep_gen\":%u,\"ep_memo\":%s}",
		       st->dirs[i].have_maps ? "true" : "false", st->dirs[i].abi, st->dirs[i].ep_gen,
		       st->dirs[i].have_maps && !(st->dirs[i].ep_gen & 1) ? "true" : "false");
	}
	printf("],\"stale\":[");
	for (int i = 0; i < st->n_stale; i++) {
		printf("%s{\"path\":", i ? "," : "");
		json_str(stdout, st->stale[i].path);
		printf(",\"netns\":%llu}", st->stale[i].id);
	}
	printf("],\"apply\":");
	apply_status_json();
	printf(",\"interfaces\":[");
	for (int i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		json_iface(st, &ifs[i]);
	}
	printf("]}\n");
}

static void status_usage(FILE *f)
{
	fprintf(f,
"usage: tiu status [IFACE] [-j|--json] [--pin-dir DIR]\n"
"\n"
"Show, for IFACE or every interface that is up in this network namespace: the\n"
"framing (Ethernet, or raw IP on tun, WireGuard, wwan and PPP devices), the\n"
"XDP program and the mode in force (native/skb; libxdp dispatcher or single\n"
"program, and why), the TC filters, the detour pair, its slot, the endpoints\n"
"(as `tiu endpoint list` prints them) and the mark selector, where its pins\n"
"are; every pin directory in use with its ABI version, and whether the\n"
"programs' memo of exact endpoints is on there (\"memo:\" line when off;\n"
"JSON ep_gen, ep_memo); whether this\n"
"kernel lets the TC program read ip_summed; state left by network namespaces\n"
"that no longer exist (`tiu down --stale`). Warnings (stderr, and \"warnings\"\n"
"in JSON): no decapsulation program attached; the NIC's UDP receive hash\n"
"leaves out the ports; a mark selector without a port endpoint (incoming UDP\n"
"is matched by address and port only: the sender's mark does not travel).\n"
"--json prints the same as one JSON object; its \"endpoints\" are the strings\n"
"of `tiu endpoint list` (a range as \"local=*:7000-7999\"), \"mark\" is\n"
"{\"value\":N,\"mask\":N} or null, \"slot\" the interface's slot.\n");
}

/* Open the maps of one pin directory; 0, or -1 (stale: error printed). */
static int open_dir(struct pin_dir_status *d)
{
	int r = maps_open(&d->pins, &d->maps);
	struct tiu_config cfg = {};

	if (r == -ESTALE)
		return maps_check_pins(&d->pins, NULL, NULL);
	d->have_maps = !r && !maps_config(&d->maps, &cfg);
	d->abi = cfg.abi_version;
	d->ep_gen = cfg.ep_gen;
	return 0;
}

/* Every pin directory in use (or only that of ifindex), the kernel's
 * features, stale state. */
static int open_status(struct status *st, const char *pin_dir, __u32 ifindex)
{
	struct pins all[MAX_DIRS];
	int n, err = 0;

	memset(st, 0, sizeof(*st));
	if (tiu_need_root() || pins_resolve(pin_dir, false, &st->pins) < 0)
		return -1;
	if (pin_dir && st->pins.absent)
		return pins_absent_fail(&st->pins);
	if (pin_dir) {
		all[0] = st->pins;
		n = 1;
	} else if (ifindex) {
		all[0] = st->pins;
		n = 1;
		if (pins_of_iface(NULL, ifindex, false, &all[1]) < 0)
			return -1; /* e.g. another namespace's pins now: said */
		if (strcmp(all[1].dir, all[0].dir))
			n = 2;
	} else {
		n = pins_taken_over(all, MAX_DIRS);
		for (int i = 0; i < n; i++) /* not read: say so */
			tiu_warn("%s (%s) serves another network namespace now (netns-%llu): not read; `tiu down IFACE` of that interface drops the record",
				 all[i].dir, all[i].note, pins_owner_of(all[i].dir));
		n = pins_in_use(all, MAX_DIRS);
		if (!n || strcmp(all[0].dir, st->pins.dir)) /* no bpffs */
			all[0] = st->pins, n = n ? n : 1;
	}
	for (int i = 0; i < n; i++) {
		st->dirs[i].pins = all[i];
		err |= all[i].dir[0] ? open_dir(&st->dirs[i]) : 0;
		st->n_dirs++;
	}
	if (err)
		return -1;
	st->have_maps = st->dirs[0].have_maps;
	st->abi = st->dirs[0].abi;
	st->ips = ip_summed_probe();
	st->ip_summed = st->ips == IPS_READABLE;
	st->freplace = freplace_probe(st->freplace_why, sizeof(st->freplace_why));
	st->n_stale = stale_find(st->stale, MAX_STALE);
	if (st->n_stale < 0)
		st->n_stale = 0;
	return 0;
}

static void close_status(struct status *st)
{
	for (int i = 0; i < st->n_dirs; i++)
		if (st->dirs[i].have_maps)
			maps_close(&st->dirs[i].maps);
}

/* The pin directory (index) where ifindex holds a slot, -1. */
static int dir_of(const struct status *st, __u32 ifindex)
{
	__u32 slot;

	for (int i = st->n_dirs - 1; i >= 0; i--)
		if (st->dirs[i].have_maps && !maps_slot_of(&st->dirs[i].maps, ifindex, &slot))
			return i;
	return -1;
}

int cmd_status(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "status", .common = CLI_F_PIN_DIR | CLI_F_JSON, .usage = status_usage,
		.max_args = 1,
	};
	static struct iface_status ifs[TIU_MAX_IFACES];
	static struct status st;
	__u32 list[TIU_MAX_IFACES], one = 0;
	const char *ifname;
	struct cli c;
	int n = 0, r = cli_parse(&cmd, NULL, argc, argv, &c);

	if (r)
		return r > 0 ? 0 : r;
	ifname = c.argc ? c.argv[0] : NULL;
	if (ifname && iface_index(ifname, &one))
		return -1;
	if (open_status(&st, c.pin_dir, one))
		return -1;
	if (ifname) {
		list[0] = one;
		n = 1;
	} else {
		for (int d = 0; d < st.n_dirs; d++) {
			__u32 got[TIU_MAX_IFACES];
			int k = st.dirs[d].have_maps ?
				maps_real_ifaces(&st.dirs[d].maps, got, TIU_MAX_IFACES) : 0;

			for (int i = 0; i < k && n < TIU_MAX_IFACES; i++) {
				bool seen = false;

				for (int j = 0; j < n; j++)
					seen |= list[j] == got[i];
				if (!seen)
					list[n++] = got[i];
			}
		}
	}
	for (int i = 1; i < n; i++) /* by ifindex, as `ip link` lists them */
		for (int j = i; j > 0 && list[j - 1] > list[j]; j--) {
			__u32 t = list[j];

			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		int d = dir_of(&st, list[i]);

		gather_iface(d >= 0 ? &st.dirs[d].maps : NULL, list[i], d, &ifs[i]);
		ka_state(d >= 0 ? &st.dirs[d].pins : &st.pins, list[i], &ifs[i].ka);
	}
	if (c.json)
		json_status(&st, ifs, n);
	else
		text_status(&st, ifs, n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		for (int w = 0; w < ifs[i].n_warn; w++)
			tiu_warn("%s", ifs[i].warn[w]);
		free(ifs[i].eps);
	}
	close_status(&st);
	return 0;
}
