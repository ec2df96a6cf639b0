// SPDX-License-Identifier: GPL-2.0
/*
 * test_fuzz_packets.c - hostile and broken frames through every program
 * (BPF_PROG_TEST_RUN), seeded and reproducible. TAP output.
 *
 * Frames: random bytes, and valid TCP and tunnelled UDP frames (built by
 * tests/lib/pkt.c) with 0-4 mutations: truncation at every header boundary,
 * truncation with the IP length fixed up, bad IHL, IPv4 total length and
 * IPv6 payload length lies, extension-header chains (long, looping kinds,
 * bad lengths), VLAN stacks of up to 5 tags, UDP length lies, checksums
 * 0/0xffff/random, fragments, URG, data offset 0..15, oversized options,
 * protocol swaps, byte flips, Ethernet padding; checksums often fixed up
 * afterwards so that mutated frames also reach the conversion.
 *
 * Every frame goes through every program (XDP decap, TC decap, TC egress,
 * the detour; kfunc and compat builds), with random gso_segs for TC and the
 * interface table (detour or not) and the endpoint table (full or empty)
 * changing by batch. A model written here from DESIGN.md (not from
 * headers/) predicts each outcome: verdict, the one counter that moves, and
 * whether the frame is converted. Checked for every frame and program:
 *  - the test run succeeds; verdict allowed (never XDP_ABORTED; TC only
 *    OK/SHOT/REDIRECT) and as the model says;
 *  - output length == input length;
 *  - a frame that is not converted leaves byte-identical;
 *  - a converted frame has exactly the wire-format layout of its input, and
 *    its IPv4 header and L4 checksums are valid exactly when the input's
 *    were (valid in -> valid out, invalid in -> never made valid); UDP
 *    checksum never 0;
 *  - the counters moved by exactly the model's reason (+ bytes): every
 *    candidate counted once, nothing else; never on another interface.
 *
 * usage: test_fuzz_packets [FRAMES [SEED]]          (default: enough frames for 1,000,000 program runs; seed 1)
 *        test_fuzz_packets --replay SEED:INDEX       one frame, verbose
 * A failure prints the program, seed, frame index and the frame in hex.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include "harness.h"
#include "pkt.h"
#include "tap.h"

#define IFX 1          /* BPF_PROG_TEST_RUN runs on the loopback device */
#define IFX_OTHER 101  /* endpoints of another interface: must never match */
#define BATCH 512      /* frames between changes of the link/endpoint tables */

static int verbose;


/* ------------------------------------------------------------ randomness -- */
static uint32_t mix32(uint32_t a, uint32_t b)
{
	uint64_t z = ((uint64_t)a << 32 | b) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint32_t)z ? (uint32_t)z : 1;
}

static uint32_t rnd(uint32_t *st) { return pkt_rand(st); }
static uint32_t below(uint32_t *st, uint32_t n) { return n ? rnd(st) % n : 0; }
static int chance(uint32_t *st, unsigned pct) { return below(st, 100) < pct; }

/* ------------------------------------------------------------- endpoints -- */
static const uint8_t CLI4[4] = { 10, 77, 1, 1 }, SRV4[4] = { 10, 77, 2, 1 };
static const uint8_t NEAR4[4] = { 10, 77, 2, 2 };
static const uint8_t CLI6[16] = { 0xfd, 0x77, 0, 1, [15] = 1 };
static const uint8_t SRV6[16] = { 0xfd, 0x77, 0, 2, [15] = 1 };
static const uint8_t MAPPED_SRV4[16] = { [10] = 0xff, [11] = 0xff, 10, 77, 2, 1 };
static const uint8_t MAPPED_CLI4[16] = { [10] = 0xff, [11] = 0xff, 10, 77, 1, 1 };
static const uint16_t PORTS[] = { 5201, 7000, 8000, 9, 40000, 443 };

struct ep {
	uint32_t ifindex;
	int family;            /* 0: wildcard */
	const uint8_t *addr;
	uint16_t port;
	uint8_t role;
};

static const struct ep EPS[] = {
	{ IFX, 4, SRV4, 5201, TIU_ROLE_REMOTE },
	{ IFX, 6, SRV6, 5201, TIU_ROLE_REMOTE },
	{ IFX, 0, NULL, 7000, TIU_ROLE_LOCAL },
	{ IFX, 4, CLI4, 8000, TIU_ROLE_LOCAL },
	{ IFX, 6, CLI6, 8000, TIU_ROLE_LOCAL },
	{ IFX_OTHER, 0, NULL, 9, TIU_ROLE_REMOTE },
	{ IFX_OTHER, 0, NULL, 5201, TIU_ROLE_LOCAL },
	{ IFX_OTHER, 4, CLI4, 40000, TIU_ROLE_LOCAL },
};
#define NEPS (sizeof(EPS) / sizeof(EPS[0]))

/* The model's view of an endpoint key: 16 bytes, IPv4 v4-mapped. */
static void key_addr(const struct ep *e, uint8_t out[16])
{
	memset(out, 0, 16);
	if (e->family == 4) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, e->addr, 4);
	} else if (e->family == 6) {
		memcpy(out, e->addr, 16);
	}
}

static int model_eps_on = 1; /* the endpoint table is full (1) or empty (0) */

static int model_match(const uint8_t addr[16], uint16_t port, uint8_t role)
{
	static const uint8_t zero[16];

	if (!model_eps_on)
		return 0;
	for (size_t i = 0; i < NEPS; i++) {
		uint8_t k[16];

		if (EPS[i].ifindex != IFX || EPS[i].port != port || EPS[i].role != role)
			continue;
		key_addr(&EPS[i], k);
		if (!memcmp(k, addr, 16) || !memcmp(k, zero, 16))
			return 1;
	}
	return 0;
}

static int eps_install(struct harness *h, int on)
{
	int err = harness_clear_endpoints(h);

	for (size_t i = 0; on && i < NEPS; i++)
		err |= harness_endpoint(h, EPS[i].ifindex, EPS[i].family ? EPS[i].family : 6,
					EPS[i].addr, EPS[i].port, EPS[i].role, 1);
	model_eps_on = on;
	return err;
}

/* Interface table states, by batch. */
enum link_mode { LM_BOTH, LM_NONE, LM_REAL_NO_DETOUR, LM_DETOUR_NO_OUT, LM__N };
static const char *const link_names[] = { "real+detour", "none", "real without detour",
					  "detour without out" };
static enum link_mode model_link;

static int link_install(struct harness *h, enum link_mode m)
{
	model_link = m;
	switch (m) {
	case LM_BOTH:
		return harness_link(h, IFX, IFX, IFX, TIU_LINK_F_REAL | TIU_LINK_F_DETOUR);
	case LM_NONE:
		return harness_unlink(h, IFX);
	case LM_REAL_NO_DETOUR:
		return harness_link(h, IFX, 0, IFX, TIU_LINK_F_REAL | TIU_LINK_F_DETOUR);
	default:
		return harness_link(h, IFX, IFX, 0, TIU_LINK_F_REAL | TIU_LINK_F_DETOUR);
	}
}

static void batch_state(uint32_t seed, unsigned batch, enum link_mode *lm, int *eps_on)
{
	uint32_t r = mix32(seed ^ 0x5a5a5a5a, batch) % 20;

	*eps_on = r != 19;
	*lm = r < 13 ? LM_BOTH : r < 15 ? LM_NONE : r < 17 ? LM_REAL_NO_DETOUR :
	      r < 19 ? LM_DETOUR_NO_OUT : LM_BOTH;
}

/* ------------------------------------------------------------------ model -- */
/*
 * Frame parsing as DESIGN.md 1 states it, written without headers/:
 * Ethernet, up to two 802.1Q/802.1ad tags, IPv4 (IHL >= 5, total length
 * within the frame), IPv6 (payload length non-zero and within the frame,
 * up to 6 extension headers of the kinds hop-by-hop, routing, fragment,
 * destination options, AH, whose total fits in the payload). Lengths come
 * from the IP header; bytes after it are Ethernet padding.
 */
struct mparse {
	int ok, family, frag;
	size_t l3_off, l4_off, proto_off;
	uint32_t l4_len;
	uint8_t proto;
	uint8_t saddr[16], daddr[16];
};

static int is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static void model_parse(const uint8_t *b, size_t len, struct mparse *m)
{
	size_t off = 14, room;
	uint16_t et;

	memset(m, 0, sizeof(*m));
	if (len < 14)
		return;
	et = pkt_get16(b + 12);
	for (int v = 0; v < 2 && (et == 0x8100 || et == 0x88a8); v++) {
		if (off + 4 > len)
			return;
		et = pkt_get16(b + off + 2);
		off += 4;
	}
	m->l3_off = off;
	room = len - off;
	if (et == 0x0800) {
		const uint8_t *ip = b + off;
		uint32_t ihl, tot;

		if (room < 20 || ip[0] >> 4 != 4)
			return;
		ihl = (ip[0] & 15) * 4;
		tot = pkt_get16(ip + 2);
		if (ihl < 20 || tot < ihl || tot > room)
			return;
		m->family = 4;
		m->frag = (pkt_get16(ip + 6) & 0x3fff) != 0;
		m->proto = ip[9];
		m->proto_off = off + 9;
		m->l4_off = off + ihl;
		m->l4_len = tot - ihl;
		m->saddr[10] = m->saddr[11] = m->daddr[10] = m->daddr[11] = 0xff;
		memcpy(m->saddr + 12, ip + 12, 4);
		memcpy(m->daddr + 12, ip + 16, 4);
	} else if (et == 0x86dd) {
		const uint8_t *ip = b + off;
		uint32_t payload, ext = 0;
		size_t cur = off + 40, nh_off = off + 6;
		uint8_t nh;

		if (room < 40 || ip[0] >> 4 != 6)
			return;
		payload = pkt_get16(ip + 4);
		if (payload == 0 || payload + 40 > room)
			return;
		nh = ip[6];
		for (int n = 0; is_ext(nh); n++) {
			uint32_t hl;

			if (n == 6 || cur + 2 > len)
				return;
			if (nh == 44) {
				m->frag = 1;
				hl = 8;
			} else if (nh == 51) {
				hl = (b[cur + 1] + 2) * 4;
			} else {
				hl = (b[cur + 1] + 1) * 8;
			}
			nh_off = cur;
			nh = b[cur];
			cur += hl;
			ext += hl;
		}
		if (ext > payload)
			return;
		m->family = 6;
		m->proto = nh;
		m->proto_off = nh_off;
		m->l4_off = cur;
		m->l4_len = payload - ext;
		memcpy(m->saddr, ip + 8, 16);
		memcpy(m->daddr, ip + 24, 16);
	} else {
		return;
	}
	m->ok = 1;
}

enum kind { K_XDP_DECAP, K_TC_DECAP, K_EGRESS, K_DETOUR };
enum mverdict { MV_PASS, MV_DROP, MV_REDIRECT };
#define ST_NONE (-1)

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

struct expect {
	enum mverdict v;
	int stat;           /* the one packet counter that moves, or ST_NONE */
	int bytes_stat;     /* with a *_CONVERTED: its bytes counter */
	int convert;        /* 1: the output is the converted frame */
	struct mparse m;
};

/* What DESIGN.md 1-3 say happens to this frame in this program. */
static void model(const struct prog *pg, const uint8_t *b, size_t len, uint32_t gso,
		  struct expect *e)
{
	struct mparse *m = &e->m;
	const uint8_t *l4;
	int detour = pg->kind == K_DETOUR;

	memset(e, 0, sizeof(*e));
	e->v = MV_PASS;
	e->stat = e->bytes_stat = ST_NONE;
	model_parse(b, len, m);
	l4 = b + m->l4_off;

	if (pg->kind == K_XDP_DECAP || pg->kind == K_TC_DECAP) {
		if (!m->ok || m->proto != 17)
			return;
		if (m->frag) {
			e->stat = TIU_STAT_DEC_SKIP_FRAGMENT;
			return;
		}
		if (m->l4_off + 8 > len) /* ports not in the frame */
			return;
		if (!model_match(m->daddr, pkt_get16(l4 + 2), TIU_ROLE_LOCAL) &&
		    !model_match(m->saddr, pkt_get16(l4), TIU_ROLE_REMOTE)) {
			e->stat = TIU_STAT_DEC_PASS;
			return;
		}
		if (pkt_get16(l4 + 4) != m->l4_len) {
			e->stat = TIU_STAT_DEC_SKIP_LENGTH;
			return;
		}
		if (pg->kind == K_TC_DECAP && gso > 1) {
			e->stat = TIU_STAT_DEC_SKIP_GSO;
			return;
		}
		if ((l4[8] >> 4) * 4u < 20 || (l4[8] >> 4) * 4u > m->l4_len) {
			e->stat = TIU_STAT_DEC_SKIP_SHORT;
			return;
		}
		if (pkt_get16(l4 + 6) == 0) {
			e->stat = m->family == 4 ? TIU_STAT_DEC_DROP_CSUM0_V4 : TIU_STAT_DEC_DROP_CSUM0_V6;
			e->v = MV_DROP;
			return;
		}
		e->stat = TIU_STAT_DEC_CONVERTED;
		e->bytes_stat = TIU_STAT_DEC_BYTES;
		e->convert = 1;
		return;
	}

	/* egress and detour: TCP */
	if (detour && model_link != LM_BOTH && model_link != LM_REAL_NO_DETOUR) {
		e->v = MV_DROP; /* the device is no detour: nothing may leave */
		e->stat = TIU_STAT_DET_DROP_UNEXPECTED;
		return;
	}
	if (!m->ok || m->proto != 6) {
		if (detour) {
			e->v = MV_DROP;
			e->stat = TIU_STAT_DET_DROP_UNEXPECTED;
		}
		return;
	}
	if (m->frag || m->l4_off + 4 > len ||
	    (!model_match(m->saddr, pkt_get16(l4), TIU_ROLE_LOCAL) &&
	     !model_match(m->daddr, pkt_get16(l4 + 2), TIU_ROLE_REMOTE))) {
		if (detour) {
			e->v = MV_DROP;
			e->stat = TIU_STAT_DET_DROP_UNEXPECTED;
		} else {
			e->stat = m->frag ? TIU_STAT_ENC_SKIP_FRAGMENT : TIU_STAT_ENC_PASS;
		}
		return;
	}
	if (m->l4_off + 20 > len || (l4[12] >> 4) * 4u < 20 || (l4[12] >> 4) * 4u > m->l4_len) {
		e->v = MV_DROP;
		e->stat = detour ? TIU_STAT_DET_DROP_MALFORMED : TIU_STAT_ENC_DROP_MALFORMED;
		return;
	}
	if (l4[13] & 0x20) {
		e->v = MV_DROP;
		e->stat = detour ? TIU_STAT_DET_DROP_URG : TIU_STAT_ENC_DROP_URG;
		return;
	}
	if (detour) {
		if (gso > 1) {
			e->v = MV_DROP;
			e->stat = TIU_STAT_DET_DROP_NOT_SEGMENTED;
			return;
		}
		e->v = MV_REDIRECT;
		e->stat = TIU_STAT_DET_CONVERTED;
		e->bytes_stat = TIU_STAT_DET_BYTES;
		e->convert = 1;
		return;
	}
	/* egress: test-run skbs are CHECKSUM_NONE; compat cannot tell */
	if (pg->compat || gso > 1) {
		if (model_link == LM_BOTH || model_link == LM_DETOUR_NO_OUT) {
			e->v = MV_REDIRECT;
			e->stat = TIU_STAT_ENC_DETOURED;
		} else {
			e->v = MV_DROP;
			e->stat = TIU_STAT_ENC_DROP_NO_DETOUR;
		}
		return;
	}
	e->stat = TIU_STAT_ENC_CONVERTED;
	e->bytes_stat = TIU_STAT_ENC_BYTES;
	e->convert = 1;
}

static uint32_t retval_of(const struct prog *pg, enum mverdict v)
{
	if (pg->kind == K_XDP_DECAP)
		return v == MV_DROP ? XDP_DROP : XDP_PASS;
	return v == MV_DROP ? TC_ACT_SHOT : v == MV_REDIRECT ? TC_ACT_REDIRECT : TC_ACT_OK;
}

static int verdict_allowed(const struct prog *pg, uint32_t r)
{
	if (pg->kind == K_XDP_DECAP)
		return r == XDP_PASS || r == XDP_DROP;
	return r == TC_ACT_OK || r == TC_ACT_SHOT || r == TC_ACT_REDIRECT;
}

/* --------------------------------------------------- converted-frame check -- */
static void as_pkt(struct pkt *p, const uint8_t *b, size_t len, const struct mparse *m)
{
	memcpy(p->b, b, len);
	p->len = len;
	p->l3_off = m->l3_off;
	p->l4_off = m->l4_off;
	p->l4_len = m->l4_len;
	p->proto_off = m->proto_off;
	p->family = m->family;
}

static int ipv4_hdr_ok(const uint8_t *b, const struct mparse *m)
{
	const uint8_t *ip = b + m->l3_off;

	return m->family != 4 || pkt_inet_csum(ip, (ip[0] & 15) * 4, 0) == 0;
}

static int l4_ok(const struct pkt *p, uint8_t proto)
{
	return pkt_inet_csum(p->b + p->l4_off, p->l4_len, pkt_pseudo_sum(p, proto)) == 0;
}

/* The output must be the input with the 20 bytes moved as the wire format
 * says, the protocol changed, and only the two checksums otherwise free;
 * their validity must be the input's. Returns 1, or 0 with a reason. */
static int check_converted(const struct prog *pg, const uint8_t *in, const uint8_t *out,
			   size_t len, const struct mparse *m, int *valid_in, char *why,
			   size_t whylen)
{
	static struct pkt pin, pout, want;
	int to_udp = pg->kind == K_EGRESS || pg->kind == K_DETOUR;
	uint8_t *w, *ip;
	const uint8_t *s;
	int in_ok, out_ok;

	as_pkt(&pin, in, len, m);
	as_pkt(&want, in, len, m);
	as_pkt(&pout, out, len, m);
	w = want.b + m->l4_off;
	s = in + m->l4_off;
	if (to_udp) {
		pkt_put16(w + 4, m->l4_len);
		memcpy(w + 8, s + 12, 4);
		memcpy(w + 12, s + 4, 4);
		memcpy(w + 16, s + 8, 4);
		pkt_put16(w + 6, pkt_get16(out + m->l4_off + 6)); /* checked below */
	} else {
		memcpy(w + 4, s + 12, 4);
		memcpy(w + 8, s + 16, 4);
		memcpy(w + 12, s + 8, 4);
		pkt_put16(w + 16, pkt_get16(out + m->l4_off + 16));
		pkt_put16(w + 18, 0);
	}
	want.b[m->proto_off] = to_udp ? 17 : 6;
	ip = want.b + m->l3_off;
	if (m->family == 4)
		pkt_put16(ip + 10, pkt_get16(out + m->l3_off + 10));
	for (size_t i = 0; i < len; i++)
		if (want.b[i] != out[i]) {
			snprintf(why, whylen, "converted frame: byte %zu is %02x, want %02x", i, out[i],
				 want.b[i]);
			return 0;
		}
	if (ipv4_hdr_ok(in, m) != ipv4_hdr_ok(out, m)) {
		snprintf(why, whylen, "IPv4 header checksum was %svalid, is %svalid",
			 ipv4_hdr_ok(in, m) ? "" : "in", ipv4_hdr_ok(out, m) ? "" : "in");
		return 0;
	}
	in_ok = l4_ok(&pin, to_udp ? 6 : 17);
	out_ok = l4_ok(&pout, to_udp ? 17 : 6);
	*valid_in = in_ok && ipv4_hdr_ok(in, m);
	if (in_ok != out_ok) {
		snprintf(why, whylen, "%s checksum was %svalid, %s checksum is %svalid (%04x)",
			 to_udp ? "TCP" : "UDP", in_ok ? "" : "in", to_udp ? "UDP" : "TCP",
			 out_ok ? "" : "in", pkt_get16(out + m->l4_off + (to_udp ? 6 : 16)));
		return 0;
	}
	if (to_udp && pkt_get16(out + m->l4_off + 6) == 0) {
		snprintf(why, whylen, "UDP checksum 0 emitted");
		return 0;
	}
	return 1;
}

/* The checker must reject what it is there to catch. */
static void checker_selftest(void)
{
	static struct pkt tcp, udp, bad;
	struct prog eg = { "selftest", -1, K_EGRESS, 0 };
	struct pkt_spec s = { .family = 4, .saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
			      .sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = 0x18,
			      .payload_len = 33, .fill = 5 };
	struct mparse m;
	char why[200];
	int v, ok = 1;

	pkt_build_tcp(&s, &tcp);
	pkt_ref_encap(&tcp, &udp);
	model_parse(tcp.b, tcp.len, &m);
	ok &= check_converted(&eg, tcp.b, udp.b, tcp.len, &m, &v, why, sizeof(why)) && v;
	bad = udp; /* a wrong UDP checksum */
	bad.b[bad.l4_off + 7] ^= 1;
	ok &= !check_converted(&eg, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	bad = udp; /* a payload byte changed */
	bad.b[bad.len - 1] ^= 0x80;
	ok &= !check_converted(&eg, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	bad = udp; /* seq and ack not swapped */
	memcpy(bad.b + bad.l4_off + 12, tcp.b + tcp.l4_off + 8, 4);
	ok &= !check_converted(&eg, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	bad = tcp; /* invalid TCP in, valid UDP out: silently made valid */
	bad.b[bad.l4_off + 17] ^= 4;
	ok &= !check_converted(&eg, bad.b, udp.b, tcp.len, &m, &v, why, sizeof(why));
	bad = udp; /* IPv4 header checksum broken */
	bad.b[bad.l3_off + 11] ^= 2;
	ok &= !check_converted(&eg, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	tap(ok, "checker self-test: accepts the reference conversion, rejects wrong checksum, changed payload, unswapped words, invalid-made-valid, broken IPv4 header");
}

/* -------------------------------------------------------------- generator -- */
struct gen_stats {
	uint64_t random, tcp, udp, mutations, fixed;
};

static void pick_addr(uint32_t *st, int fam, uint8_t *a)
{
	uint32_t r = below(st, 10);

	memset(a, 0, 16);
	if (fam == 4) {
		const uint8_t *c = r < 3 ? SRV4 : r < 6 ? CLI4 : r < 7 ? NEAR4 : NULL;

		if (c)
			memcpy(a, c, 4);
		else
			for (int i = 0; i < 4; i++)
				a[i] = rnd(st);
	} else {
		const uint8_t *c = r < 3 ? SRV6 : r < 6 ? CLI6 : r < 7 ? MAPPED_SRV4 :
				   r < 8 ? MAPPED_CLI4 : NULL;

		if (c)
			memcpy(a, c, 16);
		else
			for (int i = 0; i < 16; i++)
				a[i] = rnd(st);
	}
}

static uint16_t pick_port(uint32_t *st)
{
	return chance(st, 70) ? PORTS[below(st, sizeof(PORTS) / sizeof(PORTS[0]))]
			      : (uint16_t)(rnd(st) | 1);
}

static void random_spec(uint32_t *st, struct pkt_spec *s)
{
	uint32_t r;

	memset(s, 0, sizeof(*s));
	s->family = chance(st, 50) ? 4 : 6;
	s->vlans = below(st, 3);
	if (s->family == 4)
		s->ip_opt_len = chance(st, 30) ? below(st, 11) * 4 : 0;
	else
		s->ext_hdrs = chance(st, 30) ? below(st, 8) : 0; /* 7 + a fragment is too long */
	s->frag = chance(st, 5);
	pick_addr(st, s->family, s->saddr);
	pick_addr(st, s->family, s->daddr);
	s->sport = pick_port(st);
	s->dport = pick_port(st);
	s->seq = rnd(st);
	s->ack = rnd(st) & (chance(st, 50) ? 0xffff : 0xffffffff);
	s->flags = rnd(st) & (chance(st, 90) ? ~0x20 : 0xff);
	s->win = rnd(st);
	s->urg = chance(st, 10) ? rnd(st) : 0;
	s->tcp_opt_len = chance(st, 40) ? below(st, 11) * 4 : 0;
	r = below(st, 10);
	s->payload_len = r < 6 ? below(st, 41) : r < 9 ? below(st, 301) : below(st, 1461);
	s->eth_pad = chance(st, 10) ? below(st, 24) : 0;
	s->fill = rnd(st);
	if (chance(st, 50)) { /* aim at an endpoint of IFX, in one of the four ways */
		const struct ep *e = &EPS[below(st, 5)];
		int src = chance(st, 50);
		uint8_t *a = src ? s->saddr : s->daddr;

		if (e->family && e->family != s->family)
			e = &EPS[2];
		if (e->family)
			memcpy(a, e->addr, e->family == 4 ? 4 : 16);
		*(src ? &s->sport : &s->dport) = e->port;
	}
}

/* Recompute the IPv4 header and L4 checksums of whatever the frame now
 * says, if it parses (UDP 0 sent as 0xffff). */
static void fix_checksums(struct pkt *p)
{
	struct mparse m;
	static struct pkt tmp;
	uint8_t *ip, *l4;

	model_parse(p->b, p->len, &m);
	if (!m.ok)
		return;
	ip = p->b + m.l3_off;
	if (m.family == 4) {
		pkt_put16(ip + 10, 0);
		pkt_put16(ip + 10, pkt_inet_csum(ip, (ip[0] & 15) * 4, 0));
	}
	if ((m.proto != 6 && m.proto != 17) || m.l4_off + m.l4_len > p->len)
		return;
	l4 = p->b + m.l4_off;
	if (m.proto == 6 && m.l4_len < 18)
		return;
	if (m.proto == 17 && m.l4_len < 8)
		return;
	pkt_put16(l4 + (m.proto == 6 ? 16 : 6), 0);
	as_pkt(&tmp, p->b, p->len, &m);
	{
		uint16_t c = pkt_inet_csum(l4, m.l4_len, pkt_pseudo_sum(&tmp, m.proto));

		pkt_put16(l4 + (m.proto == 6 ? 16 : 6), m.proto == 17 && c == 0 ? 0xffff : c);
	}
}

/* Offsets of the header in the frame as built, kept up to date by the
 * structural mutations; field mutations use them, the model never does. */
static void set_ip_len(struct pkt *p, size_t l4_len)
{
	uint8_t *ip = p->b + p->l3_off;

	if (p->family == 4)
		pkt_put16(ip + 2, p->l4_off - p->l3_off + l4_len);
	else
		pkt_put16(ip + 4, p->l4_off - p->l3_off - 40 + l4_len);
	p->l4_len = l4_len;
}

static size_t cap_len(size_t n) { return n > PKT_MAX ? PKT_MAX : n; }

static void mutate(uint32_t *st, struct pkt *p, int is_udp)
{
	uint8_t *ip = p->b + p->l3_off, *l4 = p->b + p->l4_off;
	size_t doff_at = is_udp ? 8 : 12, flags_at = is_udp ? 9 : 13;
	size_t csum_at = is_udp ? 6 : 16;

	switch (below(st, 19)) {
	case 0: { /* truncation at a header boundary, +-1 */
		size_t o = p->l4_off, b[] = { 14, 18, 22, 26, p->l3_off, p->l3_off + 20,
			p->l3_off + 40, o - 1, o, o + 2, o + 4, o + 8, o + 12, o + 16, o + 20,
			o + ((size_t)(l4[doff_at] >> 4) * 4), p->len - 1 };
		size_t n = b[below(st, sizeof(b) / sizeof(b[0]))] + below(st, 3) - 1;

		if (n >= 14 && n < p->len)
			p->len = n;
		break;
	}
	case 1: { /* truncation of L4 with the IP length made to agree */
		size_t want[] = { 0, 4, 7, 8, 12, 19, 20, 21,
			(size_t)(l4[doff_at] >> 4) * 4, (size_t)(l4[doff_at] >> 4) * 4 - 1 };
		size_t n = want[below(st, sizeof(want) / sizeof(want[0]))];

		if (n <= p->l4_len) {
			set_ip_len(p, n);
			if (is_udp && n >= 8)
				pkt_put16(l4 + 4, n);
			p->len = p->l4_off + n;
		}
		break;
	}
	case 2: /* bad IHL */
		if (p->family == 4)
			ip[0] = 0x40 | below(st, 16);
		else
			ip[0] = (uint8_t)(below(st, 16) << 4) | (ip[0] & 15); /* bad version */
		break;
	case 3: { /* IP length lies */
		uint16_t cur = pkt_get16(ip + (p->family == 4 ? 2 : 4));
		uint16_t v[] = { 0, (uint16_t)rnd(st), cur + 1, cur - 1, cur + below(st, 64),
				 cur - below(st, 64), 0xffff };

		pkt_put16(ip + (p->family == 4 ? 2 : 4), v[below(st, 7)]);
		break;
	}
	case 4: /* extension-header chain / IPv4 protocol */
		if (p->family == 6) {
			static const uint8_t kinds[] = { 0, 43, 44, 51, 60, 6, 17, 59, 135 };
			/* a next-header byte of the chain: IPv6 header or one ext header */
			size_t nh = p->l3_off + 6, hops = below(st, 4);

			for (size_t i = 0, cur = p->l3_off + 40; i < hops && cur + 8 <= p->l4_off;
			     i++, cur += 8)
				nh = cur;
			if (chance(st, 70))
				p->b[nh] = chance(st, 90) ? kinds[below(st, sizeof(kinds))] : rnd(st);
			else if (nh != p->l3_off + 6)
				p->b[nh + 1] = chance(st, 50) ? below(st, 4) : rnd(st); /* hdrlen */
		} else {
			ip[9] = chance(st, 50) ? (is_udp ? 6 : 17) : rnd(st);
		}
		break;
	case 5: { /* VLAN stack: 1-3 more tags in front */
		static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100, 0x0800, 0x86dd };
		size_t k = 1 + below(st, 3), add = 4 * k;

		if (p->len + add > PKT_MAX)
			break;
		memmove(p->b + 12 + add, p->b + 12, p->len - 12);
		for (size_t i = 0; i < k; i++) {
			pkt_put16(p->b + 12 + 4 * i, chance(st, 85) ? tpids[below(st, 2)]
								 : tpids[below(st, 5)]);
			pkt_put16(p->b + 14 + 4 * i, rnd(st) & 0xfff);
		}
		p->len += add;
		p->l3_off += add;
		p->l4_off += add;
		p->proto_off += add;
		break;
	}
	case 6: { /* UDP length lies */
		uint16_t v[] = { 0, 8, 20, (uint16_t)(p->l4_len + 1), (uint16_t)(p->l4_len - 1),
				 (uint16_t)(p->l4_len + 8), (uint16_t)rnd(st) };

		pkt_put16(l4 + 4, v[below(st, 7)]);
		break;
	}
	case 7: { /* L4 checksum 0 / 0xffff / random */
		uint16_t v[] = { 0, 0xffff, (uint16_t)rnd(st) };

		pkt_put16(l4 + csum_at, v[below(st, 3)]);
		break;
	}
	case 8: /* IPv4 header checksum 0 / 0xffff / random */
		if (p->family == 4)
			pkt_put16(ip + 10, chance(st, 33) ? 0 : chance(st, 50) ? 0xffff : rnd(st));
		break;
	case 9: /* fragments */
		if (p->family == 4) {
			uint16_t v[] = { 0x2000, 0x0001, 0x2001, 0x1fff, 0x4000, 0x8000, 0x0000,
					 (uint16_t)rnd(st) };

			pkt_put16(ip + 6, v[below(st, 8)]);
		} else if (p->l4_off >= p->l3_off + 48) {
			p->b[p->l3_off + 6] = 44; /* first ext header becomes a fragment header */
		}
		break;
	case 10: /* URG */
		l4[flags_at] |= 0x20;
		if (!is_udp)
			pkt_put16(l4 + 18, rnd(st));
		break;
	case 11: /* data offset 0..15, reserved bits */
		l4[doff_at] = (uint8_t)(below(st, 16) << 4) | (chance(st, 20) ? rnd(st) & 15 : 0);
		break;
	case 12: /* oversized options */
		if (p->family == 4 && chance(st, 50))
			ip[0] = 0x4f;
		else
			l4[doff_at] = 0xf0;
		break;
	case 13: { /* byte flips in the headers */
		size_t lim = p->l4_off + 24 < p->len ? p->l4_off + 24 : p->len;

		for (uint32_t n = 1 + below(st, 4); n--;)
			p->b[below(st, lim)] ^= 1u << below(st, 8);
		break;
	}
	case 14: /* byte flips anywhere */
		for (uint32_t n = 1 + below(st, 4); n--;)
			p->b[below(st, p->len)] = rnd(st);
		break;
	case 15: { /* Ethernet padding */
		size_t n = 1 + below(st, 40);

		n = cap_len(p->len + n) - p->len;
		for (size_t i = 0; i < n; i++)
			p->b[p->len + i] = chance(st, 50) ? 0 : rnd(st);
		p->len += n;
		break;
	}
	case 16: /* ports onto endpoint ports */
		pkt_put16(l4 + below(st, 2) * 2, PORTS[below(st, 3)]);
		break;
	case 17: /* ethertype */
		pkt_put16(p->b + p->l3_off - 2, chance(st, 50) ? (p->family == 4 ? 0x86dd : 0x0800)
							       : rnd(st));
		break;
	default: /* IPv6 jumbo / tiny payload length */
		if (p->family == 6)
			pkt_put16(ip + 4, chance(st, 50) ? 0 : below(st, 48));
		else
			pkt_put16(ip + 2, below(st, 48));
		break;
	}
}

static void random_frame(uint32_t *st, struct pkt *p)
{
	static const uint16_t ets[] = { 0x0800, 0x86dd, 0x8100, 0x88a8 };
	size_t len = 14 + below(st, chance(st, 80) ? 120 : 600);

	memset(p, 0, sizeof(*p));
	p->len = len;
	for (size_t i = 0; i < len; i++)
		p->b[i] = rnd(st);
	if (chance(st, 70)) { /* plausible enough to get past the first checks */
		size_t off = 14;
		uint16_t et = ets[below(st, 4)];

		pkt_put16(p->b + 12, et);
		while ((et == 0x8100 || et == 0x88a8) && off + 4 <= len) {
			et = chance(st, 30) ? ets[below(st, 4)] : ets[below(st, 2)];
			pkt_put16(p->b + off + 2, et);
			off += 4;
		}
		if (et == 0x0800 && off + 20 <= len) {
			p->b[off] = 0x40 | (chance(st, 70) ? 5 : below(st, 16));
			pkt_put16(p->b + off + 2, len - off - (chance(st, 70) ? 0 : below(st, 10)));
			p->b[off + 6] &= chance(st, 80) ? 0x40 : 0xff;
			p->b[off + 7] = chance(st, 80) ? 0 : p->b[off + 7];
			p->b[off + 9] = chance(st, 45) ? 17 : chance(st, 80) ? 6 : p->b[off + 9];
		} else if (et == 0x86dd && off + 40 <= len) {
			p->b[off] = 0x60;
			pkt_put16(p->b + off + 4, len - off - 40 - (chance(st, 70) ? 0 : below(st, 10)));
			p->b[off + 6] = chance(st, 40) ? 17 : chance(st, 60) ? 6 :
					chance(st, 50) ? (uint8_t[]){ 0, 43, 44, 51, 60 }[below(st, 5)]
						       : p->b[off + 6];
		}
	}
}

/* Frame number idx of a run with this seed: a pure function of both. */
static int make_frame(uint32_t seed, uint64_t idx, struct pkt *p, uint32_t *gso,
		      struct gen_stats *gs)
{
	uint32_t st = mix32(seed, (uint32_t)idx ^ (uint32_t)(idx >> 32) * 0x85ebca6bu);
	uint32_t kind = below(&st, 100), g = below(&st, 100);
	int is_udp = 0;

	*gso = g < 65 ? 0 : g < 75 ? 1 : 2 + below(&st, 63);
	if (kind < 12) {
		gs->random++;
		random_frame(&st, p);
	} else {
		struct pkt_spec s;
		static struct pkt tcp;

		random_spec(&st, &s);
		is_udp = kind >= 56;
		if (is_udp) {
			pkt_build_tcp(&s, &tcp);
			pkt_ref_encap(&tcp, p);
			gs->udp++;
		} else {
			pkt_build_tcp(&s, p);
			gs->tcp++;
		}
		if (chance(&st, 78)) {
			uint32_t n = 1 + below(&st, 4);

			gs->mutations += n;
			while (n--)
				mutate(&st, p, is_udp);
		}
	}
	if (chance(&st, 45)) {
		fix_checksums(p);
		gs->fixed++;
	}
	return is_udp;
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
	return harness_stats(h, IFX, out);
}

/* Run one frame through one program; 1 if every invariant holds. */
static int run_one(struct harness *h, struct prog *pg, const struct pkt *in, uint32_t gso,
		   uint64_t prev[TIU_STAT__MAX], uint32_t seed, uint64_t idx)
{
	static struct pkt out;
	uint64_t now[TIU_STAT__MAX];
	struct run_result r;
	struct expect e;
	char why[200] = "";
	int ok = 1, valid_in = 0;
	uint32_t g = pg->kind == K_XDP_DECAP ? 0 : gso;

	model(pg, in->b, in->len, g, &e);
	pg->runs++;
	memset(out.b, 0xa5, in->len + 16);
	if (harness_run(pg->fd, in->b, in->len, out.b, sizeof(out.b), g, &r)) {
		uint16_t et = pkt_get16(in->b + 12);

		/* The kernel's skb test run refuses (EINVAL) a frame whose
		 * Ethernet type is IPv4/IPv6 but that is too short for the
		 * IP header: such frames never reach the program. */
		if (errno == EINVAL && pg->kind != K_XDP_DECAP &&
		    ((et == 0x0800 && in->len < 14 + 20) || (et == 0x86dd && in->len < 14 + 40))) {
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
	if (!verdict_allowed(pg, r.retval)) {
		pg->out_of_set++;
		snprintf(why, sizeof(why), "verdict %u is not allowed", r.retval);
		ok = 0;
	} else if (r.retval != retval_of(pg, e.v)) {
		snprintf(why, sizeof(why), "verdict %u, model says %u (%s)", r.retval,
			 retval_of(pg, e.v), stat_name(e.stat));
		ok = 0;
	} else if (r.out_len != in->len) {
		snprintf(why, sizeof(why), "output length %zu, input %zu", r.out_len, in->len);
		ok = 0;
	}
	for (int i = 0; ok && i < TIU_STAT__MAX; i++) {
		uint64_t want = i == e.stat ? 1 : 0, d = now[i] - prev[i];

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
		ok = check_converted(pg, in->b, out.b, in->len, &e.m, &valid_in, why, sizeof(why));
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
report:
	if (!ok) {
		pg->fails++;
		if (pg->shown++ < 4 || verbose) {
			printf("# FAIL %s: seed %u frame %llu (gso_segs %u, links %s, endpoints %s): %s\n",
			       pg->name, seed, (unsigned long long)idx, g, link_names[model_link],
			       model_eps_on ? "on" : "off", why);
			printf("#   replay: %s --replay %u:%llu\n", "build/tests/test_fuzz_packets",
			       seed, (unsigned long long)idx);
			hexdump(in->b, in->len);
		}
	} else if (verbose) {
		printf("# %s: verdict %u, %s%s\n", pg->name, r.retval, stat_name(e.stat),
		       e.convert ? (valid_in ? ", converted (checksums valid in and out)"
					     : ", converted (checksums invalid in and out)") : "");
	}
	return ok;
}

int main(int argc, char **argv)
{
	uint64_t frames = 0, replay_idx = 0; /* 0: enough for 1,000,000 program runs */
	uint32_t seed = 1;
	int replay = 0;
	struct harness h;
	struct gen_stats gs = { 0 };
	uint64_t prev[TIU_STAT__MAX], other[TIU_STAT__MAX], total = 0;
	char err[256];
	struct timespec t0, t1;
	static struct pkt in;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--replay")) {
		char *colon;

		if (argc < 3 || !(colon = strchr(argv[2], ':'))) {
			fprintf(stderr, "usage: %s --replay SEED:INDEX\n", argv[0]);
			return 2;
		}
		seed = strtoul(argv[2], NULL, 0);
		replay_idx = strtoull(colon + 1, NULL, 0);
		replay = verbose = 1;
	} else {
		if (argc > 1)
			frames = strtoull(argv[1], NULL, 0);
		if (argc > 2)
			seed = strtoul(argv[2], NULL, 0);
	}
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root: BPF_PROG_TEST_RUN loads BPF programs\n");
		return 0;
	}
	if (harness_open(&h, err, sizeof(err))) {
		printf("1..1\nnot ok 1 - load the BPF objects: %s\n", err);
		return 1;
	}
	struct prog progs[] = {
		{ "xdp_decap", h.xdp_decap, K_XDP_DECAP, 0 },
		{ "tc_decap", h.tc_decap, K_TC_DECAP, 0 },
		{ "compat tc_decap", h.compat_decap, K_TC_DECAP, 1 },
		{ "tc_egress", h.tc_egress, K_EGRESS, 0 },
		{ "compat tc_egress", h.compat_egress, K_EGRESS, 1 },
		{ "tc_detour", h.tc_detour, K_DETOUR, 0 },
		{ "compat tc_detour", h.compat_detour, K_DETOUR, 1 },
	};
	const size_t nprogs = sizeof(progs) / sizeof(progs[0]);
	unsigned cur_batch = ~0u, running = 0;
	int default_run = frames == 0;

	for (size_t p = 0; p < nprogs; p++)
		running += progs[p].fd >= 0;
	if (default_run) /* 7 programs here, 4 where the kfunc build cannot load */
		frames = (1000000 + running - 1) / running;

	printf("# kernel has bpf_cast_to_kern_ctx: %s; seed %u, %llu frames x every program\n",
	       h.has_kfunc ? "yes" : "no", seed, (unsigned long long)(replay ? 1 : frames));
	checker_selftest();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	stats_now(&h, prev);
	for (uint64_t i = replay ? replay_idx : 0; i < (replay ? replay_idx + 1 : frames); i++) {
		uint32_t gso;
		unsigned batch = i / BATCH;

		if (batch != cur_batch) {
			enum link_mode lm;
			int on;

			batch_state(seed, batch, &lm, &on);
			if ((on != model_eps_on || cur_batch == ~0u) && eps_install(&h, on)) {
				printf("1..1\nnot ok 1 - install endpoints\n");
				return 1;
			}
			if (link_install(&h, lm)) {
				printf("1..1\nnot ok 1 - install the interface table\n");
				return 1;
			}
			cur_batch = batch;
		}
		make_frame(seed, i, &in, &gso, &gs);
		if (replay) {
			printf("# frame %llu: %zu bytes, gso_segs %u, links %s, endpoints %s\n",
			       (unsigned long long)i, in.len, gso, link_names[model_link],
			       model_eps_on ? "on" : "off");
			hexdump(in.b, in.len);
		}
		for (size_t p = 0; p < nprogs; p++) {
			if (progs[p].fd < 0)
				continue;
			run_one(&h, &progs[p], &in, gso, prev, seed, i);
			total++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	harness_stats(&h, IFX_OTHER, other);

	printf("# generated: %llu random-byte frames, %llu TCP-based, %llu UDP-based, %llu mutations, %llu with checksums refixed\n",
	       (unsigned long long)gs.random, (unsigned long long)gs.tcp, (unsigned long long)gs.udp,
	       (unsigned long long)gs.mutations, (unsigned long long)gs.fixed);
	for (size_t p = 0; p < nprogs; p++) {
		struct prog *pg = &progs[p];
		char line[2048];
		int n;

		if (pg->fd < 0) {
			tap_skip(pg->name, "kernel lacks the bpf_cast_to_kern_ctx kfunc");
			continue;
		}
		n = snprintf(line, sizeof(line), "# %s outcomes: not a candidate %llu", pg->name,
			     (unsigned long long)pg->uncounted);
		for (int i = 0; i < TIU_STAT__MAX; i++)
			if (pg->outcome[i])
				n += snprintf(line + n, sizeof(line) - n, ", %s %llu", tiu_stat_names[i],
					      (unsigned long long)pg->outcome[i]);
		printf("%s\n", line);
		printf("# %s converted %llu: %llu with valid checksums in (valid out), %llu invalid in (invalid out); %llu from v4-mapped IPv6 sources\n",
		       pg->name, (unsigned long long)pg->converted, (unsigned long long)pg->valid_in,
		       (unsigned long long)pg->invalid_in, (unsigned long long)pg->v4mapped);
		tap(pg->errs == 0 && pg->out_of_set == 0,
		    "%s: %llu frames, every test run succeeded with an allowed verdict (%llu errors, %llu out of set; %llu with a truncated IP header refused by the kernel's test run)",
		    pg->name, (unsigned long long)pg->runs, (unsigned long long)pg->errs,
		    (unsigned long long)pg->out_of_set, (unsigned long long)pg->refused);
		tap(pg->fails == 0,
		    "%s: verdict, length, counters, untouched bytes and converted frames as specified for every frame (%llu failures)",
		    pg->name, (unsigned long long)pg->fails);
		if (pg->kind == K_EGRESS && pg->compat) /* every tunnelled packet takes the detour */
			tap(replay || pg->outcome[TIU_STAT_ENC_DETOURED] > 0,
			    "%s: the fuzzer reached the detour redirect (%llu frames)", pg->name,
			    (unsigned long long)pg->outcome[TIU_STAT_ENC_DETOURED]);
		else
			tap(replay || pg->converted > 0, "%s: the fuzzer reached the conversion (%llu frames)",
			    pg->name, (unsigned long long)pg->converted);
	}
	{
		int clean = 1;

		for (int i = 0; i < TIU_STAT__MAX; i++)
			clean &= other[i] == 0;
		tap(clean, "no counter moved on the other interface (ifindex %d)", IFX_OTHER);
	}
	{
		double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

		printf("# %llu frames run in %.1f s (%.0f per second), seed %u\n",
		       (unsigned long long)total, secs, total / secs, seed);
		if (default_run && !replay)
			tap(total >= 1000000,
			    "at least 1,000,000 frames in a default run (%llu)", (unsigned long long)total);
	}
	harness_close(&h);
	return tap_done();
}
