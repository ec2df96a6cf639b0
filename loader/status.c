// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - `tiu status [IFACE] [--json]`: what is in force, read from the
 * kernel (attached programs, detour devices) and the pinned maps. The text
 * and the JSON come from the same gathered struct, so they always agree.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "tiu.h"

struct iface_status {
	char name[IF_NAMESIZE];
	__u32 ifindex;
	bool up;                  /* has an interface table entry */
	__u32 mss;                /* its MSS clamp (`up --mss`), 0: none */
	struct xdp_info xdp;
	struct tc_info egress, ingress, detour_prog;
	bool has_egress, has_ingress, has_detour;
	struct detour detour;
	int n_eps;
	char eps[64][80];
	struct ka_state ka;
};

struct status {
	struct pins pins;
	bool have_maps;
	__u32 abi;
	bool ip_summed;
	bool freplace;
	char freplace_why[128];
};

/* Per-flow order through the detour (see detour.c). */
static const char *rps_text(int rps)
{
	return rps > 0 ? "on" : rps == 0 ? "off (tunnelled TCP may be reordered)" : "unknown (sysfs unreadable)";
}

static void gather_iface(const struct tiu_maps *m, __u32 ifindex, struct iface_status *s)
{
	static struct tiu_endpoint_key keys[64];
	struct tiu_link link;

	memset(s, 0, sizeof(*s));
	s->ifindex = ifindex;
	if (!if_indextoname(ifindex, s->name))
		snprintf(s->name, sizeof(s->name), "?");
	s->up = m && !bpf_map_lookup_elem(m->links, &ifindex, &link);
	s->mss = s->up ? link.mss : 0;
	xdp_query(ifindex, &s->xdp);
	s->has_egress = tc_query(ifindex, true, &s->egress) && s->egress.ours;
	s->has_ingress = tc_query(ifindex, false, &s->ingress) && s->ingress.ours;
	s->has_detour = detour_find(ifindex, &s->detour) > 0;
	if (s->has_detour && s->detour.peer_ifindex)
		tc_query(s->detour.peer_ifindex, false, &s->detour_prog);
	s->n_eps = m ? maps_endpoints(m, ifindex, keys, 64) : 0;
	for (int i = 0; i < s->n_eps; i++)
		format_endpoint(&keys[i], s->eps[i], sizeof(s->eps[i]));
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
	char kind[200];

	printf("%s (ifindex %u)%s\n", s->name, s->ifindex, s->up ? "" : ": not up");
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
	printf("  endpoints:");
	for (int i = 0; i < s->n_eps; i++)
		printf(" %s", s->eps[i]);
	printf("%s\n", s->n_eps ? "" : " none");
	ka_print_text(&s->ka);
}

static void text_status(const struct status *st, const struct iface_status *ifs, int n)
{
	printf("pins: %s", st->pins.dir[0] ? st->pins.dir : "(no bpffs mounted)");
	if (st->have_maps)
		printf(" (ABI %u; %s)\n", st->abi, st->pins.note);
	else
		printf(" (none)\n");
	printf("kernel: ip_summed %s; XDP dispatcher %s\n",
	       st->ip_summed ? "readable (bpf_cast_to_kern_ctx): only PARTIAL/GSO TCP takes the detour"
			     : "not readable (no bpf_cast_to_kern_ctx): all tunnelled TCP takes the detour",
	       st->freplace ? "possible" : "impossible: freplace refused (EPERM)");
	if (!n)
		printf("no interface is up in this network namespace\n");
	for (int i = 0; i < n; i++)
		text_iface(st, &ifs[i]);
}

static void json_tc(const char *key, bool has, const struct tc_info *t)
{
	printf("\"%s\":", key);
	if (has)
		printf("{\"prog\":\"%s\",\"prog_id\":%u,\"pref\":%u,\"handle\":%u}", t->name,
		       t->prog_id, TIU_TC_PRIO, TIU_TC_HANDLE);
	else
		printf("null");
}

static void json_iface(const struct status *st, const struct iface_status *s)
{
	char kind[200];

	printf("{\"name\":");
	json_str(stdout, s->name);
	printf(",\"ifindex\":%u,\"up\":%s,\"xdp\":", s->ifindex, s->up ? "true" : "false");
	if (s->xdp.prog_id) {
		printf("{\"prog\":\"%s\",\"prog_id\":%u,\"mode\":\"%s\",\"dispatcher\":%s,\"programs\":%d,\"kind\":",
		       TIU_PROG_XDP_DECAP, s->xdp.prog_id, xdp_mode_name(s->xdp.mode),
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
		printf("{\"name\":\"%s\",\"ifindex\":%u,\"peer\":\"%s\",\"peer_ifindex\":%u,\"prog\":\"%s\",\"prog_id\":%u,\"rps\":\"%s\"}",
		       s->detour.name, s->detour.ifindex, s->detour.peer, s->detour.peer_ifindex,
		       s->detour_prog.prog_id ? s->detour_prog.name : "", s->detour_prog.prog_id,
		       rps_text(detour_rps(&s->detour)));
	else
		printf("null");
	printf(",\"mss\":");
	if (s->mss)
		printf("%u", s->mss);
	else
		printf("null");
	printf(",\"endpoints\":[");
	for (int i = 0; i < s->n_eps; i++)
		printf("%s\"%s\"", i ? "," : "", s->eps[i]);
	printf("],\"keepalive\":");
	ka_print_json(stdout, &s->ka);
	printf("}");
}

static void json_status(const struct status *st, const struct iface_status *ifs, int n)
{
	printf("{\"pin_dir\":");
	json_str(stdout, st->pins.dir);
	printf(",\"pins\":%s,\"pin_note\":", st->have_maps ? "true" : "false");
	json_str(stdout, st->pins.note);
	printf(",\"abi_version\":%u,\"ip_summed_readable\":%s,\"dispatcher_possible\":%s,\"dispatcher_note\":",
	       st->abi, st->ip_summed ? "true" : "false", st->freplace ? "true" : "false");
	json_str(stdout, st->freplace_why);
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
"usage: tiu status [IFACE] [--json] [--pin-dir DIR]\n"
"\n"
"Show, for IFACE or every interface that is up in this network namespace: the\n"
"XDP program and the mode in force (native/skb; libxdp dispatcher or single\n"
"program, and why), the TC filters, the detour pair, the endpoints; and the\n"
"pin directory with its ABI version, and whether this kernel lets the TC\n"
"program read ip_summed. --json prints the same as one JSON object.\n");
}

static int open_status(struct status *st, const char *pin_dir, struct tiu_maps *m)
{
	int r;

	memset(st, 0, sizeof(*st));
	r = maps_open_up(NULL, pin_dir, true, &st->pins, m, NULL);
	if (r < 0)
		return -1;
	st->have_maps = !r && !maps_abi(m, &st->abi);
	st->ip_summed = kernel_reads_ip_summed();
	st->freplace = freplace_probe(st->freplace_why, sizeof(st->freplace_why));
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "status", .common = CLI_F_PIN_DIR | CLI_F_JSON, .usage = status_usage,
		.max_args = 1,
	};
	static struct iface_status ifs[TIU_MAX_IFACES];
	const char *ifname;
	__u32 list[TIU_MAX_IFACES], one;
	struct tiu_maps m = { -1, -1, -1, -1 };
	struct status st;
	struct cli c;
	int n = 0, r = cli_parse(&cmd, NULL, argc, argv, &c);

	if (r)
		return r > 0 ? 0 : -1;
	ifname = c.argc ? c.argv[0] : NULL;
	if (ifname && iface_index(ifname, &one))
		return -1;
	if (open_status(&st, c.pin_dir, &m))
		return -1;
	if (ifname) {
		list[0] = one;
		n = 1;
	} else if (st.have_maps) {
		n = maps_real_ifaces(&m, list, TIU_MAX_IFACES);
	}
	for (int i = 0; i < n; i++) {
		gather_iface(st.have_maps ? &m : NULL, list[i], &ifs[i]);
		ka_state(&st.pins, list[i], &ifs[i].ka);
	}
	if (c.json)
		json_status(&st, ifs, n);
	else
		text_status(&st, ifs, n);
	if (st.have_maps)
		maps_close(&m);
	return 0;
}
