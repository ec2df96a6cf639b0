// SPDX-License-Identifier: GPL-2.0
/*
 * pktcost.c - per-packet cost of tiu's BPF programs under BPF_PROG_TEST_RUN.
 *
 * Programs: XDP decap, TC ingress decap, TC in-place encap (the kfunc build:
 * test-run skbs are CHECKSUM_NONE, so it converts in place), and an empty XDP
 * and an empty TC program as the floor of each hook. Packets: IPv4 and IPv6,
 * 64 B and 1400 B of TCP payload (12 bytes of TCP options), the same frame
 * length for every program. Map: 1 endpoint, or 65,536 (the map's capacity:
 * the matching one plus 65,535 others on the same interface).
 *
 * Method (noisy 2-core VMs):
 * - each program's output is first checked against the reference bytes
 *   (pkt_ref_encap, or the original TCP frame for decap), by the independent
 *   checksum routine, and by its counter; then every timed run's output is
 *   compared again with the same bytes, so a sample is never of a wrong path;
 * - timing is repeat = 1 per BPF_PROG_TEST_RUN (a rewriting program must not
 *   run twice on its own output), reading the kernel-reported duration;
 * - all combinations of one phase run round-robin, the starting point rotating
 *   each iteration, so that noise hits every program alike; the map contents
 *   (1 or 65,536 endpoints) alternate phase by phase for several rounds;
 * - the process is pinned to one CPU.
 * The kernel's duration of a repeat = 1 run includes the timer's own cost:
 * that is what the empty program measures. Report the ratio to it and the
 * difference (net ns).
 *
 * Output: one "pktcost key=value..." line per row on stdout; with -m FILE a
 * Markdown table too.
 *
 * usage: pktcost [-n ITER] [-r ROUNDS] [-c CPU] [-m FILE] [-f eth|auto]
 *   ITER   timed runs per row (default 20000), split over ROUNDS (default 4)
 *   -f     the objects' tiu_framing: eth (default, as tiu up loads them on
 *          an Ethernet device: a constant) or auto (as built, as xdp-loader
 *          loads them: one tiu_links lookup per packet; same frames)
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "pkt.h"

#define IFX 1             /* BPF_PROG_TEST_RUN runs on the loopback device */
#define SLOT HARNESS_SLOT
#define PORT_SRV 5201
#define PORT_CLI 40000
#define BIG_MAP TIU_MAX_ENDPOINTS

static const uint8_t CLI4[4] = { 10, 77, 1, 1 }, SRV4[4] = { 10, 77, 2, 1 };
static const uint8_t CLI6[16] = { 0xfd, 0x77, 0, 1, [15] = 1 };
static const uint8_t SRV6[16] = { 0xfd, 0x77, 0, 2, [15] = 1 };

static const int families[] = { 4, 6 };
static const int payloads[] = { 64, 1400 };
static const int scales[] = { 1, BIG_MAP };
#define NFAM 2
#define NPAY 2
#define NSCALE 2

/* ------------------------------------------------------------ programs -- */
enum prog { XDP_EMPTY, XDP_DECAP, TC_EMPTY, TC_DECAP, TC_ENCAP, NPROG };

struct progdef {
	const char *hook;      /* xdp | tc */
	const char *name;
	enum prog floor;       /* the empty program of the same hook */
	int to_udp;            /* input TCP, expected the reference UDP */
	int converts;          /* 0: output must equal the input */
	enum tiu_stat stat;    /* counter that must move by 1 per run */
	uint32_t retval;
};

static const struct progdef progdefs[NPROG] = {
	[XDP_EMPTY] = { "xdp", "empty", XDP_EMPTY, 0, 0, TIU_STAT__MAX, XDP_PASS },
	[XDP_DECAP] = { "xdp", "decap", XDP_EMPTY, 0, 1, TIU_STAT_DEC_CONVERTED, XDP_PASS },
	[TC_EMPTY] = { "tc", "empty", TC_EMPTY, 0, 0, TIU_STAT__MAX, TC_ACT_OK },
	[TC_DECAP] = { "tc", "decap", TC_EMPTY, 0, 1, TIU_STAT_DEC_CONVERTED, TC_ACT_OK },
	[TC_ENCAP] = { "tc", "encap", TC_EMPTY, 1, 1, TIU_STAT_ENC_CONVERTED, TC_ACT_OK },
};

/* A program that returns imm: the floor of its hook. */
static int load_empty(enum bpf_prog_type type, int imm)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = imm },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, type == BPF_PROG_TYPE_XDP ? "tiub_xdp_empty" : "tiub_tc_empty",
			     "GPL", insns, 2, NULL);
}

/* -------------------------------------------------------------- packets -- */
struct frames {
	struct pkt tcp_c2s, udp_c2s;  /* encap input, expected output */
	struct pkt tcp_s2c, udp_s2c;  /* decap expected output, input */
};

static struct pkt_spec spec(int family, int payload, int c2s)
{
	struct pkt_spec s = {
		.family = family, .seq = 0x11223344, .ack = 0x55667788, .flags = 0x18,
		.win = 501, .tcp_opt_len = 12, .payload_len = payload, .fill = 7,
	};
	const uint8_t *c = family == 4 ? CLI4 : CLI6, *v = family == 4 ? SRV4 : SRV6;
	int n = family == 4 ? 4 : 16;

	memcpy(c2s ? s.saddr : s.daddr, c, n);
	memcpy(c2s ? s.daddr : s.saddr, v, n);
	s.sport = c2s ? PORT_CLI : PORT_SRV;
	s.dport = c2s ? PORT_SRV : PORT_CLI;
	return s;
}

static void build_frames(struct frames *f, int family, int payload)
{
	struct pkt_spec c2s = spec(family, payload, 1), s2c = spec(family, payload, 0);

	pkt_build_tcp(&c2s, &f->tcp_c2s);
	pkt_ref_encap(&f->tcp_c2s, &f->udp_c2s);
	pkt_build_tcp(&s2c, &f->tcp_s2c);
	pkt_ref_encap(&f->tcp_s2c, &f->udp_s2c);
}

static void io_of(const struct frames *f, enum prog p, const struct pkt **in,
		  const struct pkt **want)
{
	if (progdefs[p].to_udp) {
		*in = &f->tcp_c2s;
		*want = &f->udp_c2s;
	} else {
		*in = &f->udp_s2c;
		*want = progdefs[p].converts ? &f->tcp_s2c : &f->udp_s2c;
	}
}

/* ------------------------------------------------------------ endpoints -- */
/* The port table as the loader keeps it for the endpoints keys[0..n) and
 * the one that set_endpoints() added through the harness (remote=SERVER:5201,
 * exact): each port's exact bits of SLOT. */
static int fill_ports(struct harness *h, const struct tiu_endpoint_key *keys, uint32_t n)
{
	static struct tiu_port bits[TIU_PORTS];

	memset(bits, 0, sizeof(bits));
	bits[PORT_SRV].remote = 1ULL << SLOT;
	for (uint32_t i = 0; i < n; i++) {
		struct tiu_port *tp = &bits[ntohs(keys[i].port)];

		if (keys[i].role == TIU_ROLE_LOCAL)
			tp->local |= 1ULL << SLOT;
		else
			tp->remote |= 1ULL << SLOT;
	}
	for (uint32_t port = 0; port < TIU_PORTS; port++)
		if ((bits[port].local || bits[port].remote) && harness_port_bits(h, port, &bits[port]))
			return -1;
	return 0;
}

/* The client's view: remote=SERVER:5201; with 65,536 endpoints the others
 * are exact addresses on ports 1024.., the packets' ports among them (each
 * port's exact bits set, so a packet pays a tiu_endpoints lookup on each
 * port with a bit: the map's size is what such a lookup meets). */
static int set_endpoints(struct harness *h, int family, int n)
{
	static struct tiu_endpoint_key keys[BIG_MAP];
	static struct tiu_endpoint_val vals[BIG_MAP];
	static uint32_t filled; /* keys[0..filled) are in the map */
	uint32_t st = 12345;
	uint32_t count = 0;

	/* Delete what we added by key: emptying a big hash map with
	 * get_next_key(NULL) rescans the emptied buckets every time. */
	if (filled) {
		uint32_t n = filled;

		if (bpf_map_delete_batch(h->fd_endpoints, keys, &n, NULL))
			for (uint32_t i = 0; i < filled; i++)
				bpf_map_delete_elem(h->fd_endpoints, &keys[i]);
		filled = 0;
	}
	if (harness_clear_endpoints(h) ||
	    harness_endpoint(h, SLOT, family, family == 4 ? SRV4 : SRV6, PORT_SRV, TIU_ROLE_REMOTE, 1))
		return -1;
	for (int i = 1; i < n; i++) {
		struct tiu_endpoint_key *k = &keys[count++];

		memset(k, 0, sizeof(*k));
		k->slot = SLOT;
		k->role = i & 1 ? TIU_ROLE_REMOTE : TIU_ROLE_LOCAL;
		k->port = htons(1024 + i % 60000);
		if (i & 2) { /* v4-mapped 10.x.y.z, never the server */
			k->addr[10] = k->addr[11] = 0xff;
			k->addr[12] = 10;
			k->addr[13] = 100 + (pkt_rand(&st) & 0x7f);
			k->addr[14] = pkt_rand(&st);
			k->addr[15] = pkt_rand(&st);
		} else {
			k->addr[0] = 0xfd;
			k->addr[1] = 0x99;
			for (int b = 2; b < 16; b++)
				k->addr[b] = pkt_rand(&st);
		}
	}
	if (!count)
		return 0;
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = 0, .flags = 0);
	filled = count;
	if (bpf_map_update_batch(h->fd_endpoints, keys, vals, &count, &o))
		for (uint32_t i = 0; i < filled; i++) /* kernels without batch ops on hash */
			if (bpf_map_update_elem(h->fd_endpoints, &keys[i], &vals[i], BPF_ANY))
				return -1;
	return fill_ports(h, keys, filled);
}

static uint32_t count_endpoints(struct harness *h)
{
	struct tiu_endpoint_key k, next;
	uint32_t n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(h->fd_endpoints, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* ----------------------------------------------------------- validation -- */
static int fds[NPROG];
static struct harness H;

static int out_matches(const struct run_result *r, const uint8_t *out, const struct pkt *want,
		       uint32_t retval)
{
	return r->retval == retval && r->out_len == want->len && !memcmp(out, want->b, want->len);
}

/* Verdict, bytes, checksums and counters of one run. */
static int validate(enum prog p, const struct frames *f, int family, int payload)
{
	const struct progdef *pd = &progdefs[p];
	uint64_t before[TIU_STAT__MAX], after[TIU_STAT__MAX];
	static struct pkt out;
	const struct pkt *in, *want;
	struct run_result r;
	char why[160] = "";

	io_of(f, p, &in, &want);
	harness_stats(&H, SLOT, before);
	if (harness_run(fds[p], in->b, in->len, out.b, sizeof(out.b), 0, &r)) {
		snprintf(why, sizeof(why), "BPF_PROG_TEST_RUN: %s", strerror(errno));
		goto bad;
	}
	harness_stats(&H, SLOT, after);
	if (!out_matches(&r, out.b, want, pd->retval)) {
		snprintf(why, sizeof(why), "verdict %u (want %u), %zu bytes (want %zu) or content differs",
			 r.retval, pd->retval, r.out_len, want->len);
		goto bad;
	}
	out.len = r.out_len;
	out.l3_off = want->l3_off, out.l4_off = want->l4_off, out.l4_len = want->l4_len;
	out.proto_off = want->proto_off, out.family = want->family;
	if (!pkt_checksums_ok(&out, why, sizeof(why)))
		goto bad;
	for (int i = 0; i < TIU_STAT__MAX; i++) {
		uint64_t d = after[i] - before[i], w = (int)pd->stat == i;

		if ((pd->stat == TIU_STAT_DEC_CONVERTED && i == TIU_STAT_DEC_BYTES) ||
		    (pd->stat == TIU_STAT_ENC_CONVERTED && i == TIU_STAT_ENC_BYTES))
			w = in->l4_off - in->l3_off + in->l4_len; /* IP bytes */
		if (d != w) {
			snprintf(why, sizeof(why), "counter %s moved by %llu, want %llu",
				 tiu_stat_names[i], (unsigned long long)d, (unsigned long long)w);
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "pktcost: %s %s IPv%d %d B: output not valid: %s\n", pd->hook, pd->name,
		family, payload, why);
	return -1;
}

/* -------------------------------------------------------------- samples -- */
struct series {
	uint32_t *v;
	size_t n;
};

/* [scale][family][payload][prog] */
static struct series S[NSCALE][NFAM][NPAY][NPROG];

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Mean of the sorted samples between p5 and p95: finer than the timer's
 * 10 ns steps seen here, and blind to the rare preempted run. */
static double mean(const struct series *s)
{
	size_t lo = s->n * 5 / 100, hi = s->n - s->n * 5 / 100;
	double sum = 0;

	for (size_t i = lo; i < hi; i++)
		sum += s->v[i];
	return hi > lo ? sum / (hi - lo) : 0;
}

static double pct(const struct series *s, int p)
{
	size_t i = (s->n - 1) * p / 100;

	return s->n ? s->v[i] : 0;
}

/* One phase: map holds `scale` endpoints, family fixed; `iters` round-robin
 * passes over (payload x program). */
static int phase(int si, int fi, unsigned iters)
{
	struct combo {
		int pi;
		enum prog p;
		const struct pkt *in, *want;
	} combos[NPAY * NPROG];
	static struct frames fr[NPAY];
	static uint8_t out[PKT_MAX];
	int nc = 0, family = families[fi];

	if (set_endpoints(&H, family, scales[si])) {
		fprintf(stderr, "pktcost: filling the endpoint map (%d): %s\n", scales[si],
			strerror(errno));
		return -1;
	}
	if (count_endpoints(&H) != (uint32_t)scales[si]) {
		fprintf(stderr, "pktcost: endpoint map holds %u entries, want %d\n",
			count_endpoints(&H), scales[si]);
		return -1;
	}
	for (int pi = 0; pi < NPAY; pi++) {
		build_frames(&fr[pi], family, payloads[pi]);
		for (int p = 0; p < NPROG; p++) {
			if (fds[p] < 0)
				continue;
			if (validate(p, &fr[pi], family, payloads[pi]))
				return -1;
			combos[nc].pi = pi;
			combos[nc].p = p;
			io_of(&fr[pi], p, &combos[nc].in, &combos[nc].want);
			nc++;
		}
	}
	for (unsigned it = 0; it < iters; it++)
		for (int j = 0; j < nc; j++) {
			struct combo *c = &combos[(j + it) % nc];
			struct series *s = &S[si][fi][c->pi][c->p];
			struct run_result r;

			if (harness_run(fds[c->p], c->in->b, c->in->len, out, sizeof(out), 0, &r) ||
			    !out_matches(&r, out, c->want, progdefs[c->p].retval)) {
				fprintf(stderr, "pktcost: a timed run of %s %s gave a different output\n",
					progdefs[c->p].hook, progdefs[c->p].name);
				return -1;
			}
			s->v[s->n++] = r.duration;
		}
	return 0;
}

/* --------------------------------------------------------------- report -- */
static void report(FILE *md, unsigned iters, int cpu)
{
	if (md) {
		fprintf(md, "| hook | program | family | payload B | endpoints | median ns | p10 ns | p90 ns | trimmed mean ns | floor median ns | ratio to floor | net ns |\n");
		fprintf(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	}
	for (int si = 0; si < NSCALE; si++)
		for (int fi = 0; fi < NFAM; fi++)
			for (int pi = 0; pi < NPAY; pi++)
				for (int p = 0; p < NPROG; p++) {
					struct series *s = &S[si][fi][pi][p], *fl;
					double med, floor_med;

					if (fds[p] < 0 || !s->n)
						continue;
					fl = &S[si][fi][pi][progdefs[p].floor];
					med = pct(s, 50);
					floor_med = pct(fl, 50);
					printf("pktcost hook=%s prog=%s family=ipv%d payload=%d endpoints=%d n=%zu "
					       "median_ns=%.0f p10_ns=%.0f p90_ns=%.0f tmean_ns=%.1f floor_median_ns=%.0f "
					       "ratio=%.2f net_ns=%.0f cpu=%d\n",
					       progdefs[p].hook, progdefs[p].name, families[fi], payloads[pi],
					       scales[si], s->n, med, pct(s, 10), pct(s, 90), mean(s), floor_med,
					       floor_med ? med / floor_med : 0, med - floor_med, cpu);
					if (md)
						fprintf(md, "| %s | %s | IPv%d | %d | %d | %.0f | %.0f | %.0f | %.1f | %.0f | %.2f | %.0f |\n",
							progdefs[p].hook, progdefs[p].name, families[fi],
							payloads[pi], scales[si], med, pct(s, 10), pct(s, 90),
							mean(s), floor_med, floor_med ? med / floor_med : 0,
							med - floor_med);
				}
	(void)iters;
}

int main(int argc, char **argv)
{
	unsigned iters = 20000, rounds = 4;
	const char *md_path = NULL;
	int cpu = -1, opt, rc = 1;
	enum tiu_framing framing = TIU_FRAMING_ETH;
	char err[256];
	FILE *md = NULL;

	while ((opt = getopt(argc, argv, "n:r:c:m:f:h")) != -1) {
		switch (opt) {
		case 'n': iters = strtoul(optarg, NULL, 0); break;
		case 'r': rounds = strtoul(optarg, NULL, 0); break;
		case 'c': cpu = atoi(optarg); break;
		case 'm': md_path = optarg; break;
		case 'f':
			if (strcmp(optarg, "eth") && strcmp(optarg, "auto")) {
				fprintf(stderr, "pktcost: -f eth or -f auto\n");
				return 2;
			}
			framing = strcmp(optarg, "eth") ? TIU_FRAMING_AUTO : TIU_FRAMING_ETH;
			break;
		default:
			fprintf(stderr, "usage: %s [-n ITER] [-r ROUNDS] [-c CPU] [-m FILE] [-f eth|auto]\n", argv[0]);
			return 2;
		}
	}
	if (!rounds || iters < rounds) {
		fprintf(stderr, "pktcost: need ITER >= ROUNDS >= 1\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "pktcost: needs root (BPF_PROG_TEST_RUN)\n");
		return 2;
	}
	if (cpu < 0)
		cpu = sched_getcpu();
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "pktcost: cannot pin to CPU %d: %s (continuing)\n", cpu,
				strerror(errno));
	}
	if (harness_open_framing(&H, framing, err, sizeof(err))) {
		fprintf(stderr, "pktcost: %s\n", err);
		return 1;
	}
	fds[XDP_EMPTY] = load_empty(BPF_PROG_TYPE_XDP, XDP_PASS);
	fds[TC_EMPTY] = load_empty(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK);
	fds[XDP_DECAP] = H.xdp_decap;
	fds[TC_DECAP] = H.has_kfunc ? H.tc_decap : H.compat_decap;
	fds[TC_ENCAP] = H.has_kfunc ? H.tc_egress : -1;
	if (fds[XDP_EMPTY] < 0 || fds[TC_EMPTY] < 0) {
		fprintf(stderr, "pktcost: loading the empty programs: %s\n", strerror(errno));
		goto out;
	}
	if (!H.has_kfunc)
		fprintf(stderr, "pktcost: kernel lacks bpf_cast_to_kern_ctx: no in-place encap row "
				"(every tunnelled packet takes the detour); tc decap is the compat build\n");
	if (harness_link(&H, IFX, SLOT, TIU_LINK_F_REAL | TIU_LINK_F_DETOUR) ||
	    harness_iface(&H, SLOT, &(struct tiu_iface){ .ifindex = IFX, .detour_ifindex = IFX })) {
		fprintf(stderr, "pktcost: link table: %s\n", strerror(errno));
		goto out;
	}
	for (int si = 0; si < NSCALE; si++)
		for (int fi = 0; fi < NFAM; fi++)
			for (int pi = 0; pi < NPAY; pi++)
				for (int p = 0; p < NPROG; p++) {
					S[si][fi][pi][p].v = calloc(iters, sizeof(uint32_t));
					if (!S[si][fi][pi][p].v)
						goto out;
				}
	for (unsigned r = 0; r < rounds; r++) {
		unsigned n = iters / rounds + (r < iters % rounds);

		for (int fi = 0; fi < NFAM; fi++)
			for (int si = 0; si < NSCALE; si++)
				if (phase(si, fi, n))
					goto out;
	}
	for (int si = 0; si < NSCALE; si++)
		for (int fi = 0; fi < NFAM; fi++)
			for (int pi = 0; pi < NPAY; pi++)
				for (int p = 0; p < NPROG; p++)
					qsort(S[si][fi][pi][p].v, S[si][fi][pi][p].n, sizeof(uint32_t),
					      cmp_u32);
	if (md_path && !(md = fopen(md_path, "w"))) {
		fprintf(stderr, "pktcost: %s: %s\n", md_path, strerror(errno));
		goto out;
	}
	report(md, iters, cpu);
	rc = 0;
out:
	if (md)
		fclose(md);
	harness_clear_endpoints(&H);
	harness_close(&H);
	return rc;
}
