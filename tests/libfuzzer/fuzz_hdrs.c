// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_hdrs.c - libFuzzer target for headers/tiu_parse.h, tiu_wire.h and
 * tiu_csum.h on the host, checked against the independent routines of
 * tests/lib/pkt.c.
 *
 * Input: one mode byte, then a frame. Mode bit 0: make the IPv4
 * header and L4 checksums right (from scratch) before the checks, so the
 * canonical-form claims are exercised; bit 1: take L4 as UDP (decap first)
 * rather than TCP (encap first); bit 2: force the L4 protocol byte; bit 3:
 * the frame is raw IP (a layer-3 device, family from the version nibble),
 * otherwise Ethernet.
 *
 * Invariants:
 *  - tiu_parse never reads outside the frame (ASan: the frame is an exact
 *    heap allocation) and, when it accepts, its offsets are consistent:
 *    l3 after Ethernet and at most 2 tags (raw IP: at 0), l4 after the IP header, L4 within
 *    the frame, *proto_byte == proto and lies inside the IP header(s);
 *  - encode then decode gives back the segment (urgent pointer := 0);
 *    decode then encode gives back a UDP datagram whose length was right;
 *  - a checksum valid before a conversion is valid after it, an invalid one
 *    stays invalid (IPv4 header and L4); encode never emits UDP checksum 0;
 *  - from a from-scratch (canonical) checksum, the incremental result is
 *    byte-for-byte the from-scratch one (the claim of tiu_csum.h);
 *  - tiu_wire_decode's (old, new) words account for the whole change of
 *    the L4 one's complement sum (what TC feeds to bpf_csum_diff).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tiu_parse.h"
#include "pkt.h"
#include "fuzz_check.h"

static uint64_t words_sum(const uint8_t *b, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += (i & 1) ? b[i] : (uint64_t)b[i] << 8;
	return s;
}

static int ip_ok(const struct pkt *p)
{
	const uint8_t *ip = p->b + p->l3_off;

	return p->family != 4 || pkt_inet_csum(ip, (ip[0] & 15) * 4, 0) == 0;
}

static uint16_t ip_scratch(const struct pkt *p)
{
	uint8_t ip[60];
	size_t ihl = (p->b[p->l3_off] & 15) * 4;

	memcpy(ip, p->b + p->l3_off, ihl);
	ip[10] = ip[11] = 0;
	return pkt_inet_csum(ip, ihl, 0);
}

static int l4_ok(const struct pkt *p, uint8_t proto)
{
	return pkt_inet_csum(p->b + p->l4_off, p->l4_len, pkt_pseudo_sum(p, proto)) == 0;
}

/* From-scratch L4 checksum with the field at csum_at taken as 0. */
static uint16_t l4_scratch(struct pkt *p, uint8_t proto, size_t csum_at)
{
	uint8_t *c = p->b + p->l4_off + csum_at, save[2] = { c[0], c[1] };
	uint16_t v;

	c[0] = c[1] = 0;
	v = pkt_inet_csum(p->b + p->l4_off, p->l4_len, pkt_pseudo_sum(p, proto));
	c[0] = save[0];
	c[1] = save[1];
	return v;
}

/* One's complement values: 0 and 0xffff are the same number. */
static int congruent(uint16_t a, uint16_t b)
{
	return a % 0xffff == b % 0xffff;
}

/* Frames a and b are the same but for the IPv4 header checksum, which must
 * be the same number (byte-identical if exact). */
static int same_but_ipcsum(const struct pkt *a, const struct pkt *b, size_t upto, int exact)
{
	size_t c = a->l3_off + 10;

	if (a->family != 4)
		return !memcmp(a->b, b->b, upto);
	if (memcmp(a->b, b->b, c) || memcmp(a->b + c + 2, b->b + c + 2, upto - c - 2))
		return 0;
	return exact ? pkt_get16(a->b + c) == pkt_get16(b->b + c)
		     : congruent(pkt_get16(a->b + c), pkt_get16(b->b + c));
}

static void set_proto(struct pkt *p, struct tiu_pkt *tp, uint8_t proto)
{
	uint8_t from = p->b[p->proto_off];

	p->b[p->proto_off] = proto;
	if (p->family == 4) {
		uint8_t *ip = p->b + p->l3_off;
		uint16_t c = tiu_ipv4_proto_csum(*(uint16_t *)(ip + 10), from, proto);

		memcpy(ip + 10, &c, 2);
	}
	(void)tp;
}

/* UDP -> TCP in place; the (old, new) words that tiu_wire_decode returns
 * must account for the whole change of the L4 one's complement sum. */
static void decode_checked(struct pkt *p, struct tiu_pkt *tp)
{
	uint8_t *l4 = p->b + p->l4_off;
	uint32_t oldw, neww;
	uint64_t before, after;

	before = words_sum(l4, p->l4_len);
	tiu_wire_decode(l4, &oldw, &neww);
	set_proto(p, tp, 6);
	after = words_sum(l4, p->l4_len);
	CHECK((after + words_sum((uint8_t *)&oldw, 4)) % 0xffff ==
	      (before + words_sum((uint8_t *)&neww, 4)) % 0xffff);
}

static void encode_checks(struct pkt *p, struct tiu_pkt *tp)
{
	static struct pkt orig;
	uint8_t *l4 = p->b + p->l4_off;
	const uint8_t *o;
	int ip_valid = ip_ok(p), tcp_valid = l4_ok(p, 6);
	int ip_canon = p->family != 4 || pkt_get16(p->b + p->l3_off + 10) == ip_scratch(p);
	int tcp_canon = pkt_get16(l4 + 16) == l4_scratch(p, 6, 16);

	orig = *p;
	o = orig.b + p->l4_off;
	tiu_wire_encode(l4, p->l4_len);
	set_proto(p, tp, 17);
	CHECK(pkt_get16(l4 + 4) == p->l4_len);
	CHECK(!memcmp(l4, o, 4));
	CHECK(!memcmp(l4 + 8, o + 12, 4) && !memcmp(l4 + 12, o + 4, 4) && !memcmp(l4 + 16, o + 8, 4));
	CHECK(!memcmp(l4 + 20, o + 20, p->l4_len - 20));
	CHECK(pkt_get16(l4 + 6) != 0);
	CHECK(ip_ok(p) == ip_valid);
	CHECK(l4_ok(p, 17) == tcp_valid);
	if (p->family == 4 && ip_canon)
		CHECK(pkt_get16(p->b + p->l3_off + 10) == ip_scratch(p));
	if (tcp_canon) {
		uint16_t want = l4_scratch(p, 17, 6);

		CHECK(pkt_get16(l4 + 6) == (want ? want : 0xffff));
	}
	decode_checked(p, tp);
	/* back to the original, urgent pointer 0 */
	CHECK(same_but_ipcsum(p, &orig, p->l4_off + 16, ip_canon));
	if (pkt_get16(o + 18) == 0)
		CHECK(congruent(pkt_get16(l4 + 16), pkt_get16(o + 16)));
	CHECK(pkt_get16(l4 + 18) == 0);
	CHECK(!memcmp(l4 + 20, o + 20, p->l4_len - 20));
	CHECK(p->len == orig.len && !memcmp(p->b + p->l4_off + p->l4_len,
					    orig.b + p->l4_off + p->l4_len,
					    p->len - p->l4_off - p->l4_len));
	CHECK(l4_ok(p, 6) == tcp_valid);
	if (tcp_canon && pkt_get16(o + 18) == 0)
		CHECK(pkt_get16(l4 + 16) == pkt_get16(o + 16));
	if (tcp_canon)
		CHECK(pkt_get16(l4 + 16) == l4_scratch(p, 6, 16));
}

static void decode_checks(struct pkt *p, struct tiu_pkt *tp)
{
	static struct pkt orig;
	uint8_t *l4 = p->b + p->l4_off;
	const uint8_t *o;
	int udp_valid = l4_ok(p, 17), ip_valid = ip_ok(p);
	int udp_canon;
	uint16_t want;

	if (pkt_get16(l4 + 6) == 0)
		return; /* callers drop checksum 0 */
	want = l4_scratch(p, 17, 6);
	udp_canon = pkt_get16(l4 + 6) == (want ? want : 0xffff);
	orig = *p;
	o = orig.b + p->l4_off;
	decode_checked(p, tp);
	CHECK(!memcmp(l4, o, 4));
	CHECK(!memcmp(l4 + 4, o + 12, 4) && !memcmp(l4 + 8, o + 16, 4) && !memcmp(l4 + 12, o + 8, 4));
	CHECK(pkt_get16(l4 + 18) == 0);
	CHECK(ip_ok(p) == ip_valid);
	CHECK(l4_ok(p, 6) == udp_valid);
	if (udp_canon)
		CHECK(pkt_get16(l4 + 16) == l4_scratch(p, 6, 16));
	tiu_wire_encode(l4, p->l4_len);
	set_proto(p, tp, 17);
	CHECK(l4_ok(p, 17) == udp_valid);
	if (pkt_get16(o + 4) == p->l4_len) { /* round trip: the same frame */
		int ip_canon = p->family != 4 ||
			       pkt_get16(orig.b + p->l3_off + 10) == ip_scratch(&orig);

		CHECK(p->len == orig.len);
		CHECK(same_but_ipcsum(p, &orig, p->l4_off + 6, ip_canon));
		CHECK(!memcmp(l4 + 8, o + 8, p->len - p->l4_off - 8));
		CHECK(udp_canon ? pkt_get16(l4 + 6) == pkt_get16(o + 6)
				: congruent(pkt_get16(l4 + 6), pkt_get16(o + 6)));
	}
}

static void fix_checksums(struct pkt *p, uint8_t proto)
{
	uint8_t *ip = p->b + p->l3_off, *l4 = p->b + p->l4_off;
	size_t at = proto == 17 ? 6 : 16;
	uint16_t c;

	if (p->family == 4)
		pkt_put16(ip + 10, ip_scratch(p));
	if (proto == 17)
		pkt_put16(l4 + 4, p->l4_len);
	c = l4_scratch(p, proto, at);
	pkt_put16(l4 + at, proto == 17 && !c ? 0xffff : c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pkt p;
	struct tiu_pkt tp;
	uint8_t mode, *f;

	if (size < 1 || size - 1 > PKT_MAX)
		return 0;
	mode = data[0];
	size--;
	f = malloc(size ? size : 1);
	memcpy(f, data + 1, size);
	memset(&tp, 0, sizeof(tp));
	if (tiu_parse(f, f + size, size, !!(mode & 8), 0, &tp) != TIU_PARSE_OK) {
		free(f);
		return 0;
	}
	CHECK(tp.family == 4 || tp.family == 6);
	if (mode & 8)
		CHECK(tp.l3_off == 0 && f[0] >> 4 == tp.family);
	else
		CHECK(tp.l3_off >= 14 && tp.l3_off <= 22 && (tp.l3_off - 14) % 4 == 0);
	CHECK((uint8_t *)tp.l3 == f + tp.l3_off && (uint8_t *)tp.l4 == f + tp.l4_off);
	CHECK(tp.l4_off >= tp.l3_off + (tp.family == 4 ? 20 : 40));
	CHECK((size_t)tp.l4_off + tp.l4_len <= size);
	CHECK(tp.proto_byte >= f + tp.l3_off && tp.proto_byte < f + tp.l4_off);
	CHECK(*tp.proto_byte == tp.proto);
	if (tp.family == 4) {
		CHECK(tp.l4_off - tp.l3_off == (f[tp.l3_off] & 15) * 4u);
		CHECK(tp.l4_off - tp.l3_off + tp.l4_len == pkt_get16(f + tp.l3_off + 2));
	} else {
		CHECK(tp.l4_off - tp.l3_off - 40 + tp.l4_len == pkt_get16(f + tp.l3_off + 4));
	}

	if (tp.l4_len >= TIU_L4_HDR_LEN && !tp.frag) {
		uint8_t proto = mode & 2 ? 17 : 6;

		memset(&p, 0, sizeof(p));
		memcpy(p.b, f, size);
		p.len = size;
		p.l3_off = tp.l3_off;
		p.l4_off = tp.l4_off;
		p.l4_len = tp.l4_len;
		p.proto_off = tp.proto_byte - f;
		p.family = tp.family;
		if (mode & 4 || mode & 1) { /* the protocol the checks expect */
			uint8_t *ip = p.b + p.l3_off;

			p.b[p.proto_off] = proto;
			if (p.family == 4)
				pkt_put16(ip + 10, ip_scratch(&p) ^ (mode & 1 ? 0 : 1));
		}
		if (mode & 1)
			fix_checksums(&p, proto);
		if (p.b[p.proto_off] == proto) {
			if (proto == 6)
				encode_checks(&p, &tp);
			else
				decode_checks(&p, &tp);
		}
	}
	free(f);
	return 0;
}
