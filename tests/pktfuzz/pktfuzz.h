/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pktfuzz.h - the packet fuzzer (tests/test_pktfuzz.c) in parts:
 *
 *   model.c  the tables (endpoints, interface table) and what the datapath
 *            does with a frame: parse, then one decision ladder per program
 *            kind (decap: ICMP errors first), each step one line naming the
 *            counter it moves
 *   check.c  what a converted frame must look like, byte for byte, and its
 *            checksums (through the independent routines of tests/lib/pkt.c)
 *   gen.c    seeded frames (random bytes, valid frames, mutations) and the
 *            table states by batch
 *
 * The model is written from the wire format and the endpoint semantics, not
 * from headers/: it includes tiu_common.h only for the counter and role
 * numbers. To teach it a new decision, add one line to the ladder of the
 * program kind it belongs to (model.c) and, when the output is not the plain
 * conversion, a check in check.c.
 *
 * Not related to tests/libfuzzer/ (coverage-guided libFuzzer targets of the
 * header parsers and the loader's command line).
 */
#ifndef TIU_TEST_PKTFUZZ_H
#define TIU_TEST_PKTFUZZ_H

#include <stddef.h>
#include <stdint.h>
#include "pkt.h"
#include "tiu_common.h"

#define IFX 1          /* BPF_PROG_TEST_RUN runs on the loopback device */
#define SLOT 5         /* the interface's slot (tests/lib/harness.h HARNESS_SLOT) */
#define SLOT_OTHER 6   /* endpoints of another interface: must never match */
#define MARK_VAL 0x100 /* the mark selector of batches with one: mark=0x100/0xff00 */
#define MARK_MASK 0xff00
#define BATCH 512      /* frames between changes of the link/endpoint tables */

/* ------------------------------------------------------------- the tables -- */
extern const uint8_t CLI4[4], SRV4[4], NEAR4[4];
extern const uint8_t CLI6[16], SRV6[16], MAPPED_SRV4[16], MAPPED_CLI4[16];
extern const uint16_t PORTS[];
extern const size_t NPORTS;

struct ep {
	uint32_t slot;
	int family;            /* 0: wildcard */
	const uint8_t *addr;
	uint16_t port, last;   /* the port range port..last */
	uint8_t role;
};

/* The endpoint table; the first NAIM entries are SLOT's (gen.c aims at them). */
extern const struct ep EPS[];
extern const size_t NEPS;
#define NAIM 7

/* Interface table states, by batch. */
enum link_mode { LM_BOTH, LM_NONE, LM_REAL_NO_DETOUR, LM_DETOUR_NO_OUT, LM__N };
extern const char *const link_names[LM__N];

/* What the runner installed: the model predicts against this. */
struct model_world {
	int eps_on;            /* the endpoint table is full (1) or empty (0) */
	enum link_mode link;
	int raw;               /* objects with raw-IP framing: frames start at the
	                        * IP header, except at the detour (a veth) */
	uint32_t mss;          /* the interface's MSS clamp (`tiu up --mss`), 0: none */
	int mark_sel;          /* the interface has the mark selector MARK_VAL/MARK_MASK */
};
extern struct model_world world;

/* ------------------------------------------------------------------ model -- */
struct mparse {
	int ok, family, frag;
	int ipish;             /* the link layer says IP (IPv4/IPv6 type, or the
	                        * version nibble of raw IP), or it holds more or
	                        * shorter VLAN tags than tiu follows: what tiu
	                        * counts when it cannot parse it (ok = 0) */
	size_t l3_off, l4_off, proto_off;
	uint32_t l4_len;
	uint8_t proto;
	uint8_t saddr[16], daddr[16];
};

/* Ethernet, up to two VLAN tags, IPv4 or IPv6 with extension headers. */
void model_parse(const uint8_t *b, size_t len, struct mparse *m);
/* Raw IP (layer-3 devices): the IP header at 0, the family from its version
 * nibble (the runner's skb->protocol follows the nibble too). */
void model_parse_raw(const uint8_t *b, size_t len, struct mparse *m);

/* The packet an ICMP/ICMPv6 error quotes: its IP header parsed within the
 * quote (the outer IP length), IPv4 options and IPv6 extension headers
 * walked. ok: a whole, unfragmented IP header of the outer family. */
struct mquote {
	int ok;
	size_t off, l4_off, proto_off; /* in the frame */
	uint32_t len, l4_len;          /* bytes quoted: all, and of L4 */
	uint8_t proto;
	uint8_t saddr[16], daddr[16];
};
void model_parse_quote(const uint8_t *b, const struct mparse *m, struct mquote *q);

enum kind { K_XDP_DECAP, K_TC_DECAP, K_EGRESS, K_DETOUR };
enum mverdict { MV_PASS, MV_DROP, MV_REDIRECT };
#define ST_NONE (-1)

struct expect {
	enum mverdict v;
	int stat;           /* the one packet counter that moves, or ST_NONE */
	int bytes_stat;     /* with a *_CONVERTED: its bytes counter */
	int convert;        /* 1: the output is the converted frame */
	int extra_stat;     /* a second counter that moves (enc_mss_clamped), or ST_NONE */
	size_t mss_off;     /* with convert: the MSS value (2 bytes) the clamp
	                     * lowers to world.mss, or 0 */
	int icmp;           /* with convert: an ICMP error whose quote (q) is
	                     * translated, not a converted segment */
	struct mquote q;
	int pushed_eth;     /* 1: raw-IP egress to the detour: the output is an
	                     * Ethernet header (zero MACs, the family's type),
	                     * then the frame */
	struct mparse m;
};

/* What happens to this frame in a program of this kind (compat: the TC
 * build without the kfunc), with this gso_segs and skb->mark, in the
 * current world. */
void model_predict(enum kind kind, int compat, const uint8_t *b, size_t len, uint32_t gso,
		   uint32_t mark, struct expect *e);
uint32_t model_retval(enum kind kind, enum mverdict v);

/* The counters' promise (docs/OPERATIONS.md, "Reading the counters"),
 * apart from the ladders: 1 if a program of this kind
 * must count the frame in exactly one packet counter (every TCP frame on
 * egress, every UDP frame and ICMP/ICMPv6 error of the translated types on
 * decap, every IP frame either cannot parse, everything at the detour), 0
 * if it must count it in none. */
int model_must_count(enum kind kind, const uint8_t *b, size_t len);

/* 1 for the counters that count packets (one per candidate), 0 for the
 * bytes counters and the secondary enc_mss_clamped, which count along. */
int model_is_packet_counter(int stat);
int model_verdict_allowed(enum kind kind, uint32_t r);

/* ------------------------------------------------------------------ check -- */
/* A frame as struct pkt with the offsets the model parsed. */
void as_pkt(struct pkt *p, const uint8_t *b, size_t len, const struct mparse *m);

/* 1 if out is in converted as the wire format says with checksums exactly as
 * valid as in's (valid_in set), else 0 with a reason. */
int check_converted(enum kind kind, const uint8_t *in, const uint8_t *out, size_t len,
		    const struct mparse *m, int *valid_in, char *why, size_t whylen);

/* 1 if out is in with the quote of its ICMP error (e->q) in TCP form as far
 * as quoted, the quoted protocol 6, and the message checksum and the quoted
 * IPv4 header checksum exactly as valid as in's; else 0 with a reason. */
int check_icmp_translated(const uint8_t *in, const uint8_t *out, size_t len,
			  const struct mparse *m, const struct mquote *q, int *valid_in,
			  char *why, size_t whylen);

/* One TAP line: the checker rejects what it is there to catch. */
void checker_selftest(void);

/* -------------------------------------------------------------- generator -- */
struct gen_stats {
	uint64_t random, tcp, udp, icmp, mutations, fixed;
	uint64_t carried; /* valid frames steered to a checksum needing the second carry */
};

/* The table state of a batch: a pure function of seed and batch. */
void gen_batch_state(uint32_t seed, unsigned batch, enum link_mode *lm, int *eps_on);

/* Frame number idx of a run with this seed: a pure function of both, with
 * the gso_segs and skb->mark it is run with (TC programs).
 * Returns 1 if the frame was built as tunnelled UDP. */
int gen_frame(uint32_t seed, uint64_t idx, struct pkt *p, uint32_t *gso, uint32_t *mark,
	      struct gen_stats *gs);

/* The same frame as a raw-IP device has it: without its link layer (the
 * built offset, or Ethernet and the tags that fit for random bytes). */
void gen_raw(const struct pkt *eth, struct pkt *raw);

/* What raw-IP egress hands to the detour: a 14-byte Ethernet header of zero
 * MACs and the type the version nibble says (0 if neither), then raw. */
void gen_eth_wrap(const struct pkt *raw, struct pkt *out);

#endif
