// SPDX-License-Identifier: GPL-2.0
/*
 * test_pktfuzz.c - the packet fuzzer: hostile and broken frames through every
 * program (BPF_PROG_TEST_RUN), seeded and reproducible. TAP output.
 *
 * The frames come from tests/pktfuzz/gen.c. Every frame goes through every
 * program (XDP decap, TC decap, TC egress, the detour; kfunc and compat
 * builds), with random gso_segs for TC and the interface table (detour or
 * not) and the endpoint table (full or empty) changing by batch. The model
 * (tests/pktfuzz/model.c, written without headers/) predicts each outcome:
 * verdict, the one counter that moves, and whether the frame is converted.
 * Checked for every frame and program:
 *  - the test run succeeds; verdict allowed (never XDP_ABORTED; TC only
 *    OK/SHOT/REDIRECT) and as the model says;
 *  - output length == input length;
 *  - a frame that is not converted leaves byte-identical;
 *  - a converted frame has exactly the wire-format layout of its input, and
 *    its IPv4 header and L4 checksums are valid exactly when the input's
 *    were (valid in -> valid out, invalid in -> never made valid); UDP
 *    checksum never 0 (tests/pktfuzz/check.c);
 *  - the counters moved by exactly the model's reason (+ bytes): every
 *    candidate counted once, nothing else; never on another interface;
 *  - apart from the model's ladders, the counters' promise
 *    (docs/OPERATIONS.md, "Reading the counters"): the packet
 *    counters (all but the *_bytes ones and enc_mss_clamped, which count
 *    along with a conversion) move by exactly 1 for every TCP frame on
 *    egress, every UDP frame and ICMP error of the translated types on
 *    decap, every IP frame that cannot be parsed, every frame at the
 *    detour; by 0 for anything else (model_must_count()).
 *
 * Then a quarter as many frames again as a raw-IP (layer-3) device has them:
 * without the link layer, through objects with raw-IP framing (TC egress and
 * decap as LWT_XMIT, see tests/lib/harness.c); the detour gets them behind the
 * Ethernet header that egress pushes, and egress's redirect to the detour
 * must carry exactly that header.
 *
 * usage: test_pktfuzz [FRAMES [SEED]]          (default: enough frames for 1,000,000 program runs; seed 1)
 *        test_pktfuzz --replay SEED:INDEX [--raw]  one frame, verbose (--raw: the raw-IP pass)
 * A failure prints the program, seed, frame index and the frame in hex.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "pktfuzz/pktfuzz.h"
#include "tap.h"

static int verbose;

struct prog {
	const char *name;
	int fd;
	enum kind kind;
	int compat;
	/* results */
	uint64_t runs, fails, out_of_set, errs, converted, valid_in, invalid_in, v4mapped;
	uint64_t uncounted, refused;
	uint64_t outcome[TIU_STAT__MAX];
	unsigned shown;
};

/* ------------------------------------------------- the tables into the maps -- */
static int eps_install(struct harness *h, int on)
{
	int err = harness_clear_endpoints(h);

	for (size_t i = 0; on && i < NEPS; i++)
		err |= harness_endpoint_range(h, EPS[i].slot, EPS[i].family ? EPS[i].family : 6,
					      EPS[i].addr, EPS[i].port, EPS[i].last, EPS[i].role, 1);
	world.eps_on = on;
	return err;
}

/* tiu_ifaces[SLOT] as the link mode says (the objects know their slot:
 * tiu_links is not read). IFX is its own detour. */
static int link_install(struct harness *h, enum link_mode m, uint32_t mss, int mark_sel)
{
	struct tiu_iface ifc = { .ifindex = IFX, .detour_ifindex = IFX, .mss = mss };

	world.link = m;
	world.mss = m == LM_NONE ? 0 : mss;
	world.mark_sel = m == LM_NONE ? 0 : mark_sel;
	if (h->framing == TIU_FRAMING_L3)
		ifc.flags |= TIU_IFACE_F_L3;
	if (mark_sel) {
		ifc.flags |= TIU_IFACE_F_MARK;
		ifc.mark = MARK_VAL;
		ifc.mark_mask = MARK_MASK;
	}
	switch (m) {
	case LM_BOTH:
		break;
	case LM_NONE:
		return harness_iface(h, SLOT, NULL);
	case LM_REAL_NO_DETOUR:
		ifc.detour_ifindex = 0;
		break;
	default: /* LM_DETOUR_NO_OUT: a detour, but no interface to send to */
		ifc.ifindex = 0;
		break;
	}
	return harness_iface(h, SLOT, &ifc);
}

/*
 * Write mss at off (an MSS option's value in the TCP header of p) and move
 * the TCP checksum by the difference of the big-endian word sums, so that
 * the segment is exactly as valid as before: the frame the clamp is
 * expected to have converted.
 */
static void mss_lower(struct pkt *p, const struct mparse *m, size_t off, uint32_t mss)
{
	uint8_t *t = p->b + m->l4_off;
	uint64_t before = 0, after = 0, c;

	for (int i = 0; i < 2; i++) /* each byte's weight: its position in a 16-bit word */
		before += (uint64_t)p->b[off + i] << (((off + i - m->l4_off) & 1) ? 0 : 8);
	pkt_put16(p->b + off, mss);
	for (int i = 0; i < 2; i++)
		after += (uint64_t)p->b[off + i] << (((off + i - m->l4_off) & 1) ? 0 : 8);
	/* check = ~S (S: the sum of the other words); check' = ~(S + after - before) */
	c = (uint64_t)(uint16_t)~pkt_get16(t + 16) + 0xffff + after - before;
	while (c > 0xffff)
		c = (c >> 16) + (c & 0xffff);
	pkt_put16(t + 16, (uint16_t)~c);
}

/* ------------------------------------------------------------------ runner -- */
static void hexdump(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i += 32) {
		printf("#   ");
		for (size_t j = i; j < len && j < i + 32; j++)
			printf("%02x", b[j]);
		printf("\n");
	}
}

static const char *stat_name(int s)
{
	return s == ST_NONE ? "(none)" : tiu_stat_names[s];
}

static int stats_now(struct harness *h, uint64_t out[TIU_STAT__MAX])
{
	return harness_stats(h, SLOT, out);
}

/* Run one frame through one program; 1 if every invariant holds. */
static int run_one(struct harness *h, struct prog *pg, const struct pkt *in, uint32_t gso,
		   uint32_t mark, uint64_t prev[TIU_STAT__MAX], uint32_t seed, uint64_t idx)
{
	static struct pkt out;
	uint64_t now[TIU_STAT__MAX];
	struct run_result r;
	struct expect e;
	char why[200] = "";
	int ok = 1, valid_in = 0;
	uint32_t g = pg->kind == K_XDP_DECAP ? 0 : gso;
	int raw = world.raw && pg->kind != K_DETOUR; /* the frame starts at IP */
	/* skb->mark: TC programs run on Ethernet frames (XDP has none; the
	 * raw-IP runs go through harness_run_l3(), which sets none) */
	uint32_t mk = pg->kind == K_XDP_DECAP || raw ? 0 : mark;

	model_predict(pg->kind, pg->compat, in->b, in->len, g, mk, &e);
	pg->runs++;
	memset(out.b, 0xa5, in->len + 16 + 14);
	if (raw ? harness_run_l3(pg->fd, pg->kind != K_XDP_DECAP, in->b, in->len, out.b,
				 sizeof(out.b), g, &r)
		: harness_run_mark(pg->fd, in->b, in->len, out.b, sizeof(out.b), g, mk, &r)) {
		uint16_t et = raw ? (in->len && in->b[0] >> 4 == 4 ? 0x0800 :
				     in->len && in->b[0] >> 4 == 6 ? 0x86dd : 0)
				  : pkt_get16(in->b + 12);
		size_t l2 = raw ? 0 : 14;

		/* The kernel's skb test run refuses (EINVAL) a frame whose
		 * Ethernet type is IPv4/IPv6 but that is too short for the
		 * IP header: such frames never reach the program. (Raw IP:
		 * the type that harness_run_l3() gives it, from the nibble.) */
		if (errno == EINVAL && pg->kind != K_XDP_DECAP &&
		    ((et == 0x0800 && in->len < l2 + 20) || (et == 0x86dd && in->len < l2 + 40))) {
			pg->refused++;
			stats_now(h, prev);
			return 1;
		}
		/* ... and an XDP test run any frame under 14 bytes (bpf_test_init()
		 * wants an Ethernet header's worth): raw IP can be that short. */
		if (errno == EINVAL && pg->kind == K_XDP_DECAP && in->len < 14) {
			pg->refused++;
			stats_now(h, prev);
			return 1;
		}
		pg->errs++;
		snprintf(why, sizeof(why), "BPF_PROG_TEST_RUN failed: %m");
		stats_now(h, prev);
		ok = 0;
		goto report;
	}
	stats_now(h, now);
	if (!model_verdict_allowed(pg->kind, r.retval)) {
		pg->out_of_set++;
		snprintf(why, sizeof(why), "verdict %u is not allowed", r.retval);
		ok = 0;
	} else if (r.retval != model_retval(pg->kind, e.v)) {
		snprintf(why, sizeof(why), "verdict %u, model says %u (%s)", r.retval,
			 model_retval(pg->kind, e.v), stat_name(e.stat));
		ok = 0;
	} else if (r.out_len != in->len + (e.pushed_eth ? 14 : 0)) {
		snprintf(why, sizeof(why), "output length %zu, input %zu%s", r.out_len, in->len,
			 e.pushed_eth ? " + 14 (Ethernet header for the detour)" : "");
		ok = 0;
	} else if (e.pushed_eth) { /* zero MACs, the family's type, then the frame */
		static const uint8_t zero[12];

		if (memcmp(out.b, zero, 12) ||
		    pkt_get16(out.b + 12) != (e.m.family == 4 ? 0x0800 : 0x86dd)) {
			snprintf(why, sizeof(why), "Ethernet header for the detour is not 12 zero bytes and the type of IPv%d",
				 e.m.family);
			ok = 0;
		}
		memmove(out.b, out.b + 14, in->len);
	}
	if (ok) { /* the counters' promise (docs/OPERATIONS.md), whatever the ladders say: one counter, or none */
		uint64_t moved = 0;
		int must = model_must_count(pg->kind, in->b, in->len);

		for (int i = 0; i < TIU_STAT__MAX; i++)
			if (model_is_packet_counter(i))
				moved += now[i] - prev[i];
		if (moved != (uint64_t)must) {
			snprintf(why, sizeof(why), "%llu packet counters moved, want %d (%s)",
				 (unsigned long long)moved, must,
				 must ? "a candidate lands in exactly one" : "not a candidate: none");
			ok = 0;
		}
	}
	for (int i = 0; ok && i < TIU_STAT__MAX; i++) {
		uint64_t want = i == e.stat || i == e.extra_stat ? 1 : 0, d = now[i] - prev[i];

		if (i == e.bytes_stat)
			want = e.m.l4_off - e.m.l3_off + e.m.l4_len;
		if (d != want) {
			snprintf(why, sizeof(why), "counter %s moved by %llu, want %llu (model: %s)",
				 tiu_stat_names[i], (unsigned long long)d, (unsigned long long)want,
				 stat_name(e.stat));
			ok = 0;
		}
	}
	memcpy(prev, now, sizeof(now));
	if (ok && !e.convert && memcmp(out.b, in->b, in->len)) {
		for (size_t i = 0; i < in->len; i++)
			if (out.b[i] != in->b[i]) {
				snprintf(why, sizeof(why), "not converted (%s) but byte %zu changed %02x -> %02x",
					 stat_name(e.stat), i, in->b[i], out.b[i]);
				break;
			}
		ok = 0;
	}
	if (ok && e.convert) {
		const struct pkt *base = in;
		static struct pkt clamped;

		if (e.mss_off) { /* the input as clamped: MSS lowered, the TCP sum as valid as before */
			clamped = *in;
			mss_lower(&clamped, &e.m, e.mss_off, world.mss);
			base = &clamped;
		}
		ok = e.icmp ? check_icmp_translated(in->b, out.b, in->len, &e.m, &e.q, &valid_in, why,
						    sizeof(why))
			    : check_converted(pg->kind, base->b, out.b, in->len, &e.m, &valid_in, why,
					      sizeof(why));
		pg->converted++;
		if (valid_in)
			pg->valid_in++;
		else
			pg->invalid_in++;
		if (e.m.family == 6 && e.m.saddr[10] == 0xff && !memcmp(e.m.saddr, MAPPED_SRV4, 10))
			pg->v4mapped++;
	}
	if (e.stat == ST_NONE)
		pg->uncounted++;
	else
		pg->outcome[e.stat]++;
	if (e.extra_stat != ST_NONE)
		pg->outcome[e.extra_stat]++;
report:
	if (!ok) {
		pg->fails++;
		if (pg->shown++ < 4 || verbose) {
			printf("# FAIL %s%s: seed %u frame %llu (gso_segs %u, mark %#x, links %s, mark selector %s, endpoints %s): %s\n",
			       pg->name, world.raw ? " (raw IP)" : "", seed, (unsigned long long)idx, g,
			       mk, link_names[world.link], world.mark_sel ? "on" : "off",
			       world.eps_on ? "on" : "off", why);
			printf("#   replay: %s --replay %u:%llu%s\n", "build/tests/test_pktfuzz",
			       seed, (unsigned long long)idx, world.raw ? " --raw" : "");
			hexdump(in->b, in->len);
		}
	} else if (verbose) {
		printf("# %s: verdict %u, %s%s\n", pg->name, r.retval, stat_name(e.stat),
		       e.convert ? (valid_in ? ", converted (checksums valid in and out)"
					     : ", converted (checksums invalid in and out)") : "");
	}
	return ok;
}

struct pass_totals {
	uint64_t total;
	struct gen_stats gs;
	double secs;
};

/*
 * One pass: frames through every program of h. raw: h has raw-IP framing;
 * each generated frame loses its link layer (gen_raw()), the detour gets it
 * behind the Ethernet header that egress pushes (gen_eth_wrap()).
 */
static int run_pass(struct harness *h, struct prog *progs, size_t nprogs, uint64_t first,
		    uint64_t end, uint32_t seed, int replay, int raw, struct pass_totals *pt)
{
	uint64_t prev[TIU_STAT__MAX];
	unsigned cur_batch = ~0u;
	struct timespec t0, t1;
	static struct pkt gen, in, wrapped;

	world.raw = raw;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	stats_now(h, prev);
	for (uint64_t i = first; i < end; i++) {
		uint32_t gso, mark;
		unsigned batch = i / BATCH;

		if (batch != cur_batch) {
			enum link_mode lm;
			int on;

			gen_batch_state(seed, batch, &lm, &on);
			if ((on != world.eps_on || cur_batch == ~0u) && eps_install(h, on)) {
				tap(0, "install endpoints");
				return -1;
			}
			/* every third batch with an MSS clamp, every other one with
			 * the mark selector: pure functions of the batch */
			if (link_install(h, lm, batch % 3 == 1 ? 1000 + batch % 7 * 100 : 0,
					 batch % 2 == 1)) {
				tap(0, "install the interface table");
				return -1;
			}
			cur_batch = batch;
		}
		gen_frame(seed, i, raw ? &gen : &in, &gso, &mark, &pt->gs);
		if (raw) {
			gen_raw(&gen, &in);
			gen_eth_wrap(&in, &wrapped);
		}
		if (replay) {
			printf("# frame %llu%s: %zu bytes, gso_segs %u, mark %#x, links %s, mark selector %s, endpoints %s\n",
			       (unsigned long long)i, raw ? " (raw IP)" : "", in.len, gso, mark,
			       link_names[world.link], world.mark_sel ? "on" : "off",
			       world.eps_on ? "on" : "off");
			hexdump(in.b, in.len);
		}
		for (size_t p = 0; p < nprogs; p++) {
			if (progs[p].fd < 0)
				continue;
			run_one(h, &progs[p], raw && progs[p].kind == K_DETOUR ? &wrapped : &in, gso,
				mark, prev, seed, i);
			pt->total++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pt->secs += (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
}

static void report(struct prog *progs, size_t nprogs, int replay, int raw)
{
	const char *fr = raw ? " (raw IP)" : "";

	for (size_t p = 0; p < nprogs; p++) {
		struct prog *pg = &progs[p];
		char line[2048], name[80];
		int n;

		snprintf(name, sizeof(name), "%s%s", pg->name, fr);
		if (pg->fd < 0) {
			tap_skip(name, "kernel lacks the bpf_cast_to_kern_ctx kfunc");
			continue;
		}
		n = snprintf(line, sizeof(line), "# %s outcomes: not a candidate %llu", name,
			     (unsigned long long)pg->uncounted);
		for (int i = 0; i < TIU_STAT__MAX; i++)
			if (pg->outcome[i])
				n += snprintf(line + n, sizeof(line) - n, ", %s %llu", tiu_stat_names[i],
					      (unsigned long long)pg->outcome[i]);
		printf("%s\n", line);
		printf("# %s converted %llu: %llu with valid checksums in (valid out), %llu invalid in (invalid out); %llu from v4-mapped IPv6 sources\n",
		       name, (unsigned long long)pg->converted, (unsigned long long)pg->valid_in,
		       (unsigned long long)pg->invalid_in, (unsigned long long)pg->v4mapped);
		tap(pg->errs == 0 && pg->out_of_set == 0,
		    "%s: %llu frames, every test run succeeded with an allowed verdict (%llu errors, %llu out of set; %llu refused by the kernel's test run: truncated IP header, or under 14 bytes for XDP)",
		    name, (unsigned long long)pg->runs, (unsigned long long)pg->errs,
		    (unsigned long long)pg->out_of_set, (unsigned long long)pg->refused);
		tap(pg->fails == 0,
		    "%s: verdict, length, counters, untouched bytes and converted frames as specified for every frame (%llu failures)",
		    name, (unsigned long long)pg->fails);
		if (pg->kind == K_EGRESS && pg->compat) /* every tunnelled packet takes the detour */
			tap(replay || pg->outcome[TIU_STAT_ENC_DETOURED] > 0,
			    "%s: the fuzzer reached the detour redirect (%llu frames)", name,
			    (unsigned long long)pg->outcome[TIU_STAT_ENC_DETOURED]);
		else
			tap(replay || pg->converted > 0, "%s: the fuzzer reached the conversion (%llu frames)",
			    name, (unsigned long long)pg->converted);
	}
}

static int other_clean(struct harness *h)
{
	uint64_t other[TIU_STAT__MAX];
	int clean = 1;

	harness_stats(h, SLOT_OTHER, other);
	for (int i = 0; i < TIU_STAT__MAX; i++)
		clean &= other[i] == 0;
	return clean;
}

#define PROGS(h) {                                                              \
	{ "xdp_decap", (h).xdp_decap, K_XDP_DECAP, 0 },                         \
	{ "tc_decap", (h).tc_decap, K_TC_DECAP, 0 },                            \
	{ "compat tc_decap", (h).compat_decap, K_TC_DECAP, 1 },                 \
	{ "tc_egress", (h).tc_egress, K_EGRESS, 0 },                            \
	{ "compat tc_egress", (h).compat_egress, K_EGRESS, 1 },                 \
	{ "tc_detour", (h).tc_detour, K_DETOUR, 0 },                            \
	{ "compat tc_detour", (h).compat_detour, K_DETOUR, 1 },                 \
}

/* The connections the model knows (tests/pktfuzz/model.c, ours()), in a
 * namespace of the fuzzer's own: BPF_PROG_TEST_RUN looks sockets up in the
 * caller's. Kept open for the whole run. */
static int fuzz_sockets(void)
{
	static const uint16_t srv4_ports[] = { 5201, 6100, 6199 };

	if (harness_netns()) {
		tap(0, "a network namespace of its own, with the addresses: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(srv4_ports) / sizeof(srv4_ports[0]); i++)
		if (harness_syn_sent(4, CLI4, 40000, SRV4, srv4_ports[i]) < 0)
			return -1;
	return harness_syn_sent(6, CLI6, 40000, SRV6, 5201) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t frames = 0, replay_idx = 0; /* 0: enough for 1,000,000 program runs */
	uint32_t seed = 1;
	int replay = 0, raw_only = 0;
	struct harness h, h3;
	struct pass_totals pt = { 0 };
	char err[256];
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--replay")) {
		char *colon;

		if (argc < 3 || !(colon = strchr(argv[2], ':'))) {
			fprintf(stderr, "usage: %s --replay SEED:INDEX [--raw]\n", argv[0]);
			return 2;
		}
		seed = strtoul(argv[2], NULL, 0);
		replay_idx = strtoull(colon + 1, NULL, 0);
		replay = verbose = 1;
		raw_only = argc > 3 && !strcmp(argv[3], "--raw");
	} else {
		if (argc > 1)
			frames = strtoull(argv[1], NULL, 0);
		if (argc > 2)
			seed = strtoul(argv[2], NULL, 0);
	}
	if (harness_open_tap(&h, &rc))
		return rc;
	if (fuzz_sockets())
		return tap_done();
	struct prog progs[] = PROGS(h);
	const size_t nprogs = sizeof(progs) / sizeof(progs[0]);
	unsigned running = 0;
	int default_run = frames == 0;

	for (size_t p = 0; p < nprogs; p++)
		running += progs[p].fd >= 0;
	if (default_run) /* 7 programs here, 4 where the kfunc build cannot load */
		frames = (1000000 + running - 1) / running;

	printf("# kernel has bpf_cast_to_kern_ctx: %s; seed %u, %llu frames x every program, then %llu as raw IP\n",
	       h.has_kfunc ? "yes" : "no", seed, (unsigned long long)(replay ? 1 : frames),
	       (unsigned long long)(replay ? 1 : frames / 4));
	checker_selftest();
	if (!raw_only) {
		if (run_pass(&h, progs, nprogs, replay ? replay_idx : 0,
			     replay ? replay_idx + 1 : frames, seed, replay, 0, &pt))
			return tap_done();
		report(progs, nprogs, replay, 0);
		tap(other_clean(&h), "no counter moved in the other interface's slot (%d)", SLOT_OTHER);
	}
	harness_close(&h);

	/* Raw IP (layer-3 devices): a quarter as many frames, same generator. */
	if (harness_open_framing(&h3, TIU_FRAMING_L3, err, sizeof(err))) {
		tap(0, "load the BPF objects with raw-IP framing: %s", err);
		return tap_done();
	}
	{
		struct prog rprogs[] = PROGS(h3);

		world.eps_on = -1; /* install on the first batch */
		if (!run_pass(&h3, rprogs, nprogs, replay ? replay_idx : 0,
			      replay ? replay_idx + 1 : frames / 4, seed, replay, 1, &pt)) {
			report(rprogs, nprogs, replay, 1);
			tap(other_clean(&h3), "raw IP: no counter moved in the other interface's slot (%d)",
			    SLOT_OTHER);
		}
	}
	harness_close(&h3);

	printf("# generated: %llu random-byte frames, %llu TCP-based, %llu UDP-based, %llu ICMP errors (and others), %llu mutations, %llu with checksums refixed\n",
	       (unsigned long long)pt.gs.random, (unsigned long long)pt.gs.tcp,
	       (unsigned long long)pt.gs.udp, (unsigned long long)pt.gs.icmp,
	       (unsigned long long)pt.gs.mutations,
	       (unsigned long long)pt.gs.fixed);
	printf("# %llu frames run in %.1f s (%.0f per second), seed %u\n",
	       (unsigned long long)pt.total, pt.secs, pt.total / pt.secs, seed);
	printf("# %llu valid frames steered to a checksum that needs the fold's second carry\n",
	       (unsigned long long)pt.gs.carried);
	if (!replay)
		tap(pt.gs.carried > 0, "frames at a checksum that needs the fold's second carry: %llu",
		    (unsigned long long)pt.gs.carried);
	if (default_run && !replay)
		tap(pt.total >= 1000000, "at least 1,000,000 frames in a default run (%llu)",
		    (unsigned long long)pt.total);
	return tap_done();
}
