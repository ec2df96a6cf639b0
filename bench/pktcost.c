// SPDX-License-Identifier: GPL-2.0
/*
 * pktcost.c - per-packet cost of tiu's BPF programs under BPF_PROG_TEST_RUN.
 *
 * Programs: XDP decap, TC ingress decap, TC in-place encap (the kfunc build:
 * test-run skbs are CHECKSUM_NONE, so it converts in place), and an empty XDP
 * and an empty TC program as the floor of each hook. Rows per program:
 * - tunnelled packets: decap of the reference UDP, encap of the TCP; decap
 *   twice: matched by the remote= endpoint (prog=decap), which restores only
 *   a packet of this host's own connection and so pays a socket lookup (the
 *   benchmark holds a SYN_SENT socket for each tunnelled 4-tuple, in a
 *   network namespace of its own), and matched by local=*:7000
 *   (prog=decap-local: UDP from SERVER:40001 to CLIENT:7000), which does not;
 * - packets that are not tunnelled, on ports without any endpoint (what the
 *   neighbours of a tunnel pay): UDP through both decap programs, TCP
 *   through egress, each passed untouched;
 * - TCP to a port without an endpoint, tunnelled by the interface's mark
 *   selector (mark=0x100, skb->mark 0x100 through an __sk_buff context).
 * - packets that are not candidates at all: TCP through both decap
 *   programs, UDP through egress (a host's other traffic, and on egress
 *   every segment the detour sends back, already UDP), passed, no counter.
 * Packets: IPv4 and IPv6, 64 B and 1400 B of TCP payload (12 bytes of TCP
 * options), the same frame length for every program. Endpoint maps, one per
 * phase, each with local=*:7000 too: 1 endpoint (remote=SERVER:5201); a
 * 1,000-port range (remote=SERVER:6000-6999: 1,000 elements, the tunnelled
 * packets to and from port 6500); 65,536 (the map's capacity:
 * remote=SERVER:5201, local=*:7000 and 65,534 others with exact addresses on ports 1024-61023, half local, half
 * remote, each port's bits set in the port table - among them the client's
 * port 40000, so a tunnelled packet pays an exact lookup on both of its
 * ports there); and 65,536 the same way but none of the others on the
 * packets' two ports (one lookup, as with 1: the map's size alone).
 *
 * Method (noisy 2-core VMs):
 * - each program's output is first checked against the reference bytes
 *   (pkt_ref_encap, or the original TCP frame for decap, or the input for a
 *   packet that passes), by the independent checksum routine, and by its
 *   counter; then every timed run's output is compared again with the same
 *   bytes, so a sample is never of a wrong path;
 * - timing is repeat = 1 per BPF_PROG_TEST_RUN (a rewriting program must not
 *   run twice on its own output), reading the kernel-reported duration;
 * - all combinations of one phase run round-robin, the starting point rotating
 *   each iteration, so that noise hits every program alike; the map contents
 *   alternate phase by phase for several rounds;
 * - the process is pinned to one CPU.
 * The kernel's duration of a repeat = 1 run includes the timer's own cost:
 * that is what the empty program measures. Report the ratio to it and the
 * difference (net ns).
 *
 * Output: one "pktcost key=value..." line per row on stdout; with -m FILE a
 * Markdown table too.
 *
 * usage: pktcost [-n ITER] [-r ROUNDS] [-c CPU] [-m FILE] [-f eth|auto] [-P HOOK:PROG[:SCALE]]
 *   ITER   timed runs per row (default 20000), split over ROUNDS (default 4)
 *   -P     profile one row instead (for perf record, bpftool prog profile):
 *          after validation, run it ITER times (IPv4, 1400 B) with nothing
 *          else in between; PROG as in prog= of the output, SCALE 1 (default),
 *          range, big or apart; prints the mean kernel-reported ns
 *   -f     the objects' tiu_framing and tiu_slot: eth (default, as tiu up
 *          loads them on an Ethernet device: constants) or auto (as built,
 *          as xdp-loader loads them: one tiu_links lookup per packet; same
 *          frames)
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
#define RANGE_FIRST 6000  /* remote=SERVER:6000-6999 */
#define RANGE_LAST 6999
#define PORT_IN_RANGE 6500
#define PORT_OTHER_SRV 443    /* ports of no endpoint, in no phase */
#define PORT_OTHER_CLI 62443
#define PORT_MARK_SRV 444
#define PORT_LOCAL 7000       /* local=*:7000 in every phase: decap by a local= match */
#define PORT_LOCAL_PEER 40001 /* the source port of those packets */
#define MARK 0x100            /* the interface's mark selector, and the marked packets' */
#define BIG_MAP TIU_MAX_ENDPOINTS

static const uint8_t CLI4[4] = { 10, 77, 1, 1 }, SRV4[4] = { 10, 77, 2, 1 };
static const uint8_t CLI6[16] = { 0xfd, 0x77, 0, 1, [15] = 1 };
static const uint8_t SRV6[16] = { 0xfd, 0x77, 0, 2, [15] = 1 };

static const int families[] = { 4, 6 };
static const int payloads[] = { 64, 1400 };
/* the phases' endpoint maps */
enum scale { SC_ONE, SC_RANGE, SC_BIG, SC_BIG_APART, NSCALE };
static const char *const scale_names[NSCALE] = { "1", "1000-port range", "65536",
						 "65536, none on the packets' ports" };
static const char *const scale_keys[NSCALE] = { "1", "range1000", "65536", "65536apart" };
#define NFAM 2
#define NPAY 2

/* ------------------------------------------------------------ programs -- */
enum prog_fd { FD_XDP_EMPTY, FD_XDP_DECAP, FD_TC_EMPTY, FD_TC_DECAP, FD_TC_ENCAP, NFD };

/* The rows' packets (struct frames). */
enum frame { FR_TCP_C2S, FR_UDP_C2S, FR_UDP_S2C, FR_TCP_S2C, FR_TCP_OTHER, FR_UDP_OTHER,
	     FR_TCP_MARK, FR_UDP_MARK, FR_UDP_LOCAL, FR_TCP_LOCAL, NFRAME };

enum prog { XDP_EMPTY, XDP_DECAP, XDP_DECAP_LOCAL, XDP_DECAP_PASS, TC_EMPTY, TC_DECAP, TC_DECAP_LOCAL,
	    TC_DECAP_PASS, TC_ENCAP, TC_EGRESS_PASS, TC_ENCAP_MARK, XDP_DECAP_TCP, TC_DECAP_TCP,
	    TC_EGRESS_UDP, NPROG };

struct progdef {
	const char *hook;      /* xdp | tc */
	const char *key;       /* prog= of the key=value lines */
	const char *name;      /* the Markdown table's */
	enum prog floor;       /* the empty program of the same hook */
	enum prog_fd fd;
	enum frame in, want;   /* input, expected output */
	enum tiu_stat stat;    /* counter that must move by 1 per run */
	uint32_t retval;
	uint32_t mark;         /* skb->mark (TC), 0: no context passed */
};

#define NO_STAT TIU_STAT__MAX
static const struct progdef progdefs[NPROG] = {
	[XDP_EMPTY] = { "xdp", "empty", "empty", XDP_EMPTY, FD_XDP_EMPTY, FR_UDP_S2C, FR_UDP_S2C, NO_STAT, XDP_PASS },
	[XDP_DECAP] = { "xdp", "decap", "decap, remote= match (socket lookup)", XDP_EMPTY, FD_XDP_DECAP, FR_UDP_S2C, FR_TCP_S2C, TIU_STAT_DEC_CONVERTED, XDP_PASS },
	[XDP_DECAP_LOCAL] = { "xdp", "decap-local", "decap, local= match", XDP_EMPTY, FD_XDP_DECAP, FR_UDP_LOCAL, FR_TCP_LOCAL, TIU_STAT_DEC_CONVERTED, XDP_PASS },
	[XDP_DECAP_PASS] = { "xdp", "decap-pass", "decap, UDP to another port (passed)", XDP_EMPTY, FD_XDP_DECAP, FR_UDP_OTHER, FR_UDP_OTHER, TIU_STAT_DEC_PASS, XDP_PASS },
	[TC_EMPTY] = { "tc", "empty", "empty", TC_EMPTY, FD_TC_EMPTY, FR_TCP_C2S, FR_TCP_C2S, NO_STAT, TC_ACT_OK },
	[TC_DECAP] = { "tc", "decap", "decap, remote= match (socket lookup)", TC_EMPTY, FD_TC_DECAP, FR_UDP_S2C, FR_TCP_S2C, TIU_STAT_DEC_CONVERTED, TC_ACT_OK },
	[TC_DECAP_LOCAL] = { "tc", "decap-local", "decap, local= match", TC_EMPTY, FD_TC_DECAP, FR_UDP_LOCAL, FR_TCP_LOCAL, TIU_STAT_DEC_CONVERTED, TC_ACT_OK },
	[TC_DECAP_PASS] = { "tc", "decap-pass", "decap, UDP to another port (passed)", TC_EMPTY, FD_TC_DECAP, FR_UDP_OTHER, FR_UDP_OTHER, TIU_STAT_DEC_PASS, TC_ACT_OK },
	[TC_ENCAP] = { "tc", "encap", "encap", TC_EMPTY, FD_TC_ENCAP, FR_TCP_C2S, FR_UDP_C2S, TIU_STAT_ENC_CONVERTED, TC_ACT_OK },
	[TC_EGRESS_PASS] = { "tc", "egress-pass", "egress, TCP to another port (passed)", TC_EMPTY, FD_TC_ENCAP, FR_TCP_OTHER, FR_TCP_OTHER, TIU_STAT_ENC_PASS, TC_ACT_OK },
	[TC_ENCAP_MARK] = { "tc", "encap-mark", "encap, selected by mark", TC_EMPTY, FD_TC_ENCAP, FR_TCP_MARK, FR_UDP_MARK, TIU_STAT_ENC_CONVERTED, TC_ACT_OK, MARK },
	[XDP_DECAP_TCP] = { "xdp", "decap-tcp", "decap, TCP (not a candidate: passed, not counted)", XDP_EMPTY, FD_XDP_DECAP, FR_TCP_OTHER, FR_TCP_OTHER, NO_STAT, XDP_PASS },
	[TC_DECAP_TCP] = { "tc", "decap-tcp", "decap, TCP (not a candidate: passed, not counted)", TC_EMPTY, FD_TC_DECAP, FR_TCP_OTHER, FR_TCP_OTHER, NO_STAT, TC_ACT_OK },
	[TC_EGRESS_UDP] = { "tc", "egress-udp", "egress, UDP (not a candidate: passed, not counted)", TC_EMPTY, FD_TC_ENCAP, FR_UDP_OTHER, FR_UDP_OTHER, NO_STAT, TC_ACT_OK },
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
	struct pkt f[NFRAME];
};

static struct pkt_spec spec(int family, int payload, int c2s, uint16_t srv_port, uint16_t cli_port)
{
	struct pkt_spec s = {
		.family = family, .seq = 0x11223344, .ack = 0x55667788, .flags = 0x18,
		.win = 501, .tcp_opt_len = 12, .payload_len = payload, .fill = 7,
	};
	const uint8_t *c = family == 4 ? CLI4 : CLI6, *v = family == 4 ? SRV4 : SRV6;
	int n = family == 4 ? 4 : 16;

	memcpy(c2s ? s.saddr : s.daddr, c, n);
	memcpy(c2s ? s.daddr : s.saddr, v, n);
	s.sport = c2s ? cli_port : srv_port;
	s.dport = c2s ? srv_port : cli_port;
	return s;
}

/* The tunnelled packets go to and come from srv_port (the endpoint's). */
static void build_frames(struct frames *fr, int family, int payload, uint16_t srv_port)
{
	struct pkt_spec c2s = spec(family, payload, 1, srv_port, PORT_CLI);
	struct pkt_spec s2c = spec(family, payload, 0, srv_port, PORT_CLI);
	struct pkt_spec other_c2s = spec(family, payload, 1, PORT_OTHER_SRV, PORT_OTHER_CLI);
	struct pkt_spec other_s2c = spec(family, payload, 0, PORT_OTHER_SRV, PORT_OTHER_CLI);
	struct pkt_spec mark = spec(family, payload, 1, PORT_MARK_SRV, PORT_OTHER_CLI);
	struct pkt_spec local = spec(family, payload, 0, PORT_LOCAL_PEER, PORT_LOCAL);
	static struct pkt tmp;

	pkt_build_tcp(&c2s, &fr->f[FR_TCP_C2S]);
	pkt_ref_encap(&fr->f[FR_TCP_C2S], &fr->f[FR_UDP_C2S]);
	pkt_build_tcp(&s2c, &fr->f[FR_TCP_S2C]);
	pkt_ref_encap(&fr->f[FR_TCP_S2C], &fr->f[FR_UDP_S2C]);
	pkt_build_tcp(&other_c2s, &fr->f[FR_TCP_OTHER]);
	pkt_build_tcp(&other_s2c, &tmp);
	pkt_ref_encap(&tmp, &fr->f[FR_UDP_OTHER]);
	pkt_build_tcp(&mark, &fr->f[FR_TCP_MARK]);
	pkt_ref_encap(&fr->f[FR_TCP_MARK], &fr->f[FR_UDP_MARK]);
	pkt_build_tcp(&local, &fr->f[FR_TCP_LOCAL]);
	pkt_ref_encap(&fr->f[FR_TCP_LOCAL], &fr->f[FR_UDP_LOCAL]);
}

static void io_of(const struct frames *fr, enum prog p, const struct pkt **in,
		  const struct pkt **want)
{
	*in = &fr->f[progdefs[p].in];
	*want = &fr->f[progdefs[p].want];
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
	bits[PORT_LOCAL].local_any = 1ULL << SLOT;
	for (uint32_t i = 0; i < n; i++) {
		struct tiu_port *tp = &bits[ntohs(keys[i].port)];

		if (keys[i].role == TIU_ROLE_LOCAL)
			tp->local |= 1ULL << SLOT;
		else
			tp->remote |= 1ULL << SLOT;
	}
	for (uint32_t port = 0; port < TIU_PORTS; port++)
		if ((bits[port].local || bits[port].local_any || bits[port].remote) &&
		    harness_port_bits(h, port, &bits[port]))
			return -1;
	return 0;
}

/* The client's view (module comment): remote=SERVER:5201, the range
 * remote=SERVER:6000-6999, or remote=SERVER:5201 and 65,535 others. */
static int set_endpoints(struct harness *h, int family, enum scale sc)
{
	static struct tiu_endpoint_key keys[BIG_MAP];
	static struct tiu_endpoint_val vals[BIG_MAP];
	static uint32_t filled; /* keys[0..filled) are in the map */
	const uint8_t *srv = family == 4 ? SRV4 : SRV6;
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
	    harness_endpoint(h, SLOT, family, NULL, PORT_LOCAL, TIU_ROLE_LOCAL, 1))
		return -1;
	if (sc == SC_RANGE)
		return harness_endpoint_range(h, SLOT, family, srv, RANGE_FIRST, RANGE_LAST,
					      TIU_ROLE_REMOTE, 1);
	if (harness_endpoint(h, SLOT, family, srv, PORT_SRV, TIU_ROLE_REMOTE, 1))
		return -1;
	for (int i = 2; (sc == SC_BIG || sc == SC_BIG_APART) && i < BIG_MAP; i++) {
		struct tiu_endpoint_key *k = &keys[count];
		uint16_t port = 1024 + i % 60000;

		if (sc == SC_BIG_APART && (port == PORT_CLI || port == PORT_SRV ||
					   port == PORT_LOCAL || port == PORT_LOCAL_PEER))
			port = 1024 + (i + 1) % 60000; /* a neighbour's */
		memset(k, 0, sizeof(*k));
		k->slot = SLOT;
		k->role = i & 1 ? TIU_ROLE_REMOTE : TIU_ROLE_LOCAL;
		k->port = htons(port);
		vals[count].first = vals[count].last = port;
		count++;
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
static int prog_fds[NFD];
static struct harness H;

/* The program of a row, -1 when the kernel cannot load it. */
static int fd_of(enum prog p)
{
	return prog_fds[progdefs[p].fd];
}

/* One run of a row's program on in; the rows with a mark pass it in an
 * __sk_buff context. */
static int run_row(enum prog p, const struct pkt *in, uint8_t *out, size_t cap,
		   struct run_result *r)
{
	if (progdefs[p].mark)
		return harness_run_mark(fd_of(p), in->b, in->len, out, cap, 0, progdefs[p].mark, r);
	return harness_run(fd_of(p), in->b, in->len, out, cap, 0, r);
}

static int out_matches(const struct run_result *r, const uint8_t *out, const struct pkt *want,
		       uint32_t retval)
{
	return r->retval == retval && r->out_len == want->len && !memcmp(out, want->b, want->len);
}

/* Verdict, bytes, checksums and counters of one run. */
static int validate(enum prog p, const struct frames *f, int family, int payload, enum scale sc)
{
	const struct progdef *pd = &progdefs[p];
	uint64_t before[TIU_STAT__MAX], after[TIU_STAT__MAX];
	static struct pkt out;
	const struct pkt *in, *want;
	struct run_result r;
	char why[160] = "";

	io_of(f, p, &in, &want);
	harness_stats(&H, SLOT, before);
	if (run_row(p, in, out.b, sizeof(out.b), &r)) {
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
	if (want != in && !pkt_checksums_ok(&out, why, sizeof(why)))
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
	fprintf(stderr, "pktcost: %s %s IPv%d %d B, %s endpoints: output not valid: %s\n", pd->hook,
		pd->name, family, payload, scale_names[sc], why);
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

/* One phase: the map of scale si, family fixed; `iters` round-robin passes
 * over (payload x program). */
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

	/* local=*:7000 in every phase, and the phase's remote= endpoints */
	uint32_t want_n = si == SC_ONE ? 2 : si == SC_RANGE ? RANGE_LAST - RANGE_FIRST + 2 : BIG_MAP;


	if (set_endpoints(&H, family, si)) {
		fprintf(stderr, "pktcost: filling the endpoint map (%s): %s\n", scale_names[si],
			strerror(errno));
		return -1;
	}
	if (count_endpoints(&H) != want_n) {
		fprintf(stderr, "pktcost: endpoint map holds %u entries, want %u\n",
			count_endpoints(&H), want_n);
		return -1;
	}
	for (int pi = 0; pi < NPAY; pi++) {
		build_frames(&fr[pi], family, payloads[pi], si == SC_RANGE ? PORT_IN_RANGE : PORT_SRV);
		for (int p = 0; p < NPROG; p++) {
			if (fd_of(p) < 0)
				continue;
			if (validate(p, &fr[pi], family, payloads[pi], si))
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

			if (run_row(c->p, c->in, out, sizeof(out), &r) ||
			    !out_matches(&r, out, c->want, progdefs[c->p].retval)) {
				fprintf(stderr, "pktcost: a timed run of %s %s gave a different output\n",
					progdefs[c->p].hook, progdefs[c->p].name);
				return -1;
			}
			s->v[s->n++] = r.duration;
		}
	return 0;
}

/* The -P mode: one row, iters runs, nothing else. */
static int profile(const char *what, unsigned iters)
{
	char hook[16], key[32], scale[16] = "1";
	static struct frames fr;
	static uint8_t out[PKT_MAX];
	const struct pkt *in, *want;
	enum scale sc;
	double sum = 0;
	int p;

	if (sscanf(what, "%15[^:]:%31[^:]:%15s", hook, key, scale) < 2) {
		fprintf(stderr, "pktcost: -P HOOK:PROG[:SCALE], e.g. -P tc:encap:big\n");
		return -1;
	}
	sc = !strcmp(scale, "range") ? SC_RANGE : !strcmp(scale, "big") ? SC_BIG :
	     !strcmp(scale, "apart") ? SC_BIG_APART : SC_ONE;
	for (p = 0; p < NPROG; p++)
		if (!strcmp(progdefs[p].hook, hook) && !strcmp(progdefs[p].key, key))
			break;
	if (p == NPROG || fd_of(p) < 0) {
		fprintf(stderr, "pktcost: no row %s:%s here\n", hook, key);
		return -1;
	}
	if (set_endpoints(&H, 4, sc))
		return -1;
	build_frames(&fr, 4, 1400, sc == SC_RANGE ? PORT_IN_RANGE : PORT_SRV);
	if (validate(p, &fr, 4, 1400, sc))
		return -1;
	io_of(&fr, p, &in, &want);
	for (unsigned i = 0; i < iters; i++) {
		struct run_result r;

		if (run_row(p, in, out, sizeof(out), &r) ||
		    !out_matches(&r, out, want, progdefs[p].retval)) {
			fprintf(stderr, "pktcost: a run of %s:%s gave a different output\n", hook, key);
			return -1;
		}
		sum += r.duration;
	}
	printf("pktcost profile hook=%s prog=%s endpoints=%s runs=%u mean_ns=%.1f\n", hook, key,
	       scale_names[sc], iters, sum / iters);
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

					if (fd_of(p) < 0 || !s->n)
						continue;
					fl = &S[si][fi][pi][progdefs[p].floor];
					med = pct(s, 50);
					floor_med = pct(fl, 50);
					printf("pktcost hook=%s prog=%s family=ipv%d payload=%d endpoints=%s n=%zu "
					       "median_ns=%.0f p10_ns=%.0f p90_ns=%.0f tmean_ns=%.1f floor_median_ns=%.0f "
					       "ratio=%.2f net_ns=%.0f cpu=%d\n",
					       progdefs[p].hook, progdefs[p].key, families[fi], payloads[pi],
					       scale_keys[si], s->n, med,
					       pct(s, 10), pct(s, 90), mean(s), floor_med,
					       floor_med ? med / floor_med : 0, med - floor_med, cpu);
					if (md)
						fprintf(md, "| %s | %s | IPv%d | %d | %s | %.0f | %.0f | %.0f | %.1f | %.0f | %.2f | %.0f |\n",
							progdefs[p].hook, progdefs[p].name, families[fi],
							payloads[pi], scale_names[si], med, pct(s, 10), pct(s, 90),
							mean(s), floor_med, floor_med ? med / floor_med : 0,
							med - floor_med);
				}
	(void)iters;
}

int main(int argc, char **argv)
{
	unsigned iters = 20000, rounds = 4;
	const char *md_path = NULL, *prof = NULL;
	int cpu = -1, opt, rc = 1;
	enum tiu_framing framing = TIU_FRAMING_ETH;
	char err[256];
	FILE *md = NULL;

	while ((opt = getopt(argc, argv, "n:r:c:m:f:P:h")) != -1) {
		switch (opt) {
		case 'P': prof = optarg; break;
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
			fprintf(stderr, "usage: %s [-n ITER] [-r ROUNDS] [-c CPU] [-m FILE] [-f eth|auto] [-P HOOK:PROG[:SCALE]]\n", argv[0]);
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
	/* The decap rows of remote= matches restore only packets of this
	 * host's own connections: a socket in SYN_SENT for each tunnelled
	 * 4-tuple (CLI:40000 -> SRV:5201 and SRV:6500, both families), in a
	 * namespace of its own. */
	if (harness_netns()) {
		fprintf(stderr, "pktcost: a network namespace of its own: %s\n", strerror(errno));
		return 1;
	}
	for (int fi = 0; fi < NFAM; fi++) {
		int f = families[fi];

		if (harness_syn_sent(f, f == 4 ? CLI4 : CLI6, PORT_CLI, f == 4 ? SRV4 : SRV6, PORT_SRV) < 0 ||
		    harness_syn_sent(f, f == 4 ? CLI4 : CLI6, PORT_CLI, f == 4 ? SRV4 : SRV6,
				     PORT_IN_RANGE) < 0) {
			fprintf(stderr, "pktcost: the SYN_SENT sockets of the tunnelled packets\n");
			return 1;
		}
	}
	if (harness_open_framing(&H, framing, err, sizeof(err))) {
		fprintf(stderr, "pktcost: %s\n", err);
		return 1;
	}
	prog_fds[FD_XDP_EMPTY] = load_empty(BPF_PROG_TYPE_XDP, XDP_PASS);
	prog_fds[FD_TC_EMPTY] = load_empty(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_OK);
	prog_fds[FD_XDP_DECAP] = H.xdp_decap;
	prog_fds[FD_TC_DECAP] = H.has_kfunc ? H.tc_decap : H.compat_decap;
	prog_fds[FD_TC_ENCAP] = H.has_kfunc ? H.tc_egress : -1;
	if (prog_fds[FD_XDP_EMPTY] < 0 || prog_fds[FD_TC_EMPTY] < 0) {
		fprintf(stderr, "pktcost: loading the empty programs: %s\n", strerror(errno));
		goto out;
	}
	if (!H.has_kfunc)
		fprintf(stderr, "pktcost: kernel lacks bpf_cast_to_kern_ctx: no in-place encap row "
				"(every tunnelled packet takes the detour); tc decap is the compat build\n");
	/* the interface, with the mark selector mark=0x100 (every egress
	 * packet that no port matches then pays the mark test too) */
	if (harness_link(&H, IFX, SLOT, TIU_LINK_F_REAL | TIU_LINK_F_DETOUR) ||
	    harness_iface(&H, SLOT, &(struct tiu_iface){ .ifindex = IFX, .detour_ifindex = IFX,
							   .flags = TIU_IFACE_F_MARK, .mark = MARK,
							   .mark_mask = 0xffffffff })) {
		fprintf(stderr, "pktcost: link table: %s\n", strerror(errno));
		goto out;
	}
	if (prof) {
		rc = profile(prof, iters) ? 1 : 0;
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
