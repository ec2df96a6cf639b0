// SPDX-License-Identifier: GPL-2.0
/*
 * gen.c - the packet fuzzer's frames, seeded and reproducible: random bytes,
 * ICMP/ICMPv6 messages quoting TCP or tunnelled UDP (icmp_frame()), and
 * valid TCP and tunnelled UDP frames (built by tests/lib/pkt.c) with 0-4
 * mutations: truncation at every header boundary, truncation with the IP
 * length fixed up, bad IHL, IPv4 total length and IPv6 payload length lies,
 * extension-header chains (long, looping kinds, bad lengths), VLAN stacks of
 * up to 5 tags, UDP length lies, checksums 0/0xffff/random, fragments, URG,
 * data offset 0..15, oversized options, protocol swaps, byte flips, Ethernet
 * padding; checksums often fixed up afterwards so that mutated frames also
 * reach the conversion. Also the table states by batch.
 */
#include <string.h>
#include "pktfuzz.h"

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

/* --------------------------------------------------------- table states -- */
void gen_batch_state(uint32_t seed, unsigned batch, enum link_mode *lm, int *eps_on)
{
	uint32_t r = mix32(seed ^ 0x5a5a5a5a, batch) % 20;

	*eps_on = r != 19;
	*lm = r < 13 ? LM_BOTH : r < 15 ? LM_NONE : r < 17 ? LM_REAL_NO_DETOUR :
	      r < 19 ? LM_DETOUR_NO_OUT : LM_BOTH;
}

/* ----------------------------------------------------------------- frames -- */
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
	return chance(st, 70) ? PORTS[below(st, NPORTS)]
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
	if (chance(st, 50)) { /* aim at an endpoint of SLOT, in one of the four ways */
		const struct ep *e = &EPS[below(st, NAIM)];
		int src = chance(st, 50);
		uint8_t *a = src ? s->saddr : s->daddr;
		uint16_t port;

		if (e->family && e->family != s->family)
			e = &EPS[2];
		if (e->family)
			memcpy(a, e->addr, e->family == 4 ? 4 : 16);
		/* a range: its ends, inside, or just outside either end */
		port = e->port + below(st, e->last - e->port + 1);
		if (e->last != e->port)
			switch (below(st, 6)) {
			case 0: port = e->port; break;
			case 1: port = e->last; break;
			case 2: port = e->port - 1; break;
			case 3: port = e->last + 1; break;
			}
		*(src ? &s->sport : &s->dport) = port;
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
	if (m.l4_off + m.l4_len > p->len)
		return;
	if (m.proto == (m.family == 4 ? 1 : 58) && m.l4_len >= 4) { /* ICMP / ICMPv6 */
		l4 = p->b + m.l4_off;
		pkt_put16(l4 + 2, 0);
		as_pkt(&tmp, p->b, p->len, &m);
		pkt_put16(l4 + 2, pkt_inet_csum(l4, m.l4_len, m.family == 6 ? pkt_pseudo_sum(&tmp, 58) : 0));
		return;
	}
	if (m.proto != 6 && m.proto != 17)
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

/*
 * An ICMP/ICMPv6 message from a router about a TCP packet or (mostly) its
 * tunnelled UDP form: error types and others, quotes of every length that
 * matters (whole, the IP header + 0..23 L4 bytes, 16..19 L4 bytes, shorter
 * than the IP header), then mutations of the quote: its protocol, fragment
 * bits, version, ports, the quoted IPv4 header checksum.
 */
static void icmp_frame(uint32_t *st, struct pkt *p)
{
	static const uint8_t types4[] = { 3, 3, 3, 11, 12, 0, 8, 4, 5 };
	static const uint8_t types6[] = { 1, 2, 2, 3, 4, 128, 129, 135 };
	static struct pkt tcp, udp;
	struct pkt_spec s;
	const struct pkt *q = &tcp;
	size_t hl, ql;
	uint32_t r = below(st, 10);
	uint8_t type, *qip;

	random_spec(st, &s);
	s.payload_len = below(st, 200);
	pkt_build_tcp(&s, &tcp);
	if (chance(st, 85)) {
		pkt_ref_encap(&tcp, &udp);
		q = &udp;
	}
	hl = tcp.l4_off - tcp.l3_off;
	ql = r < 4 ? 0 : r < 7 ? hl + below(st, 24) : r < 9 ? hl + 16 + below(st, 4) : below(st, hl + 8);
	type = s.family == 4 ? types4[below(st, sizeof(types4))] : types6[below(st, sizeof(types6))];
	pkt_build_icmp_err(q, type, below(st, 6), rnd(st), ql, p);
	qip = p->b + p->l4_off + 8;
	if (p->l4_len < 8 + (s.family == 4 ? 20u : 40u) || !chance(st, 30))
		return;
	switch (below(st, 5)) {
	case 0: /* the quoted protocol */
		if (s.family == 4)
			qip[9] = chance(st, 50) ? 6 : rnd(st);
		else
			qip[6] = chance(st, 50) ? 44 : rnd(st);
		break;
	case 1: /* quoted fragment bits */
		if (s.family == 4)
			pkt_put16(qip + 6, rnd(st) & 0x3fff);
		break;
	case 2: /* the quoted version */
		qip[0] = (uint8_t)(below(st, 16) << 4) | (qip[0] & 15);
		break;
	case 3: /* the quoted ports onto endpoint ports */
		if (p->l4_len >= 8 + hl + 4)
			pkt_put16(qip + hl + below(st, 2) * 2, PORTS[below(st, 3)]);
		break;
	default: /* the quoted IPv4 header checksum */
		if (s.family == 4)
			pkt_put16(qip + 10, rnd(st));
		break;
	}
}

/*
 * For the MSS clamp: a SYN or SYN-ACK (mostly) whose options hold an MSS
 * (mostly larger than any clamp), after 0-3 NOPs (odd offsets) or another
 * option, sometimes malformed; the TCP checksum made valid again.
 */
static void syn_options(uint32_t *st, struct pkt *p, int opt_len)
{
	uint8_t *t = p->b + p->l4_off, *o = t + 20;
	int at = 0;

	if (chance(st, 80))
		t[13] = (t[13] & ~0x20) | 0x02 | (chance(st, 50) ? 0x10 : 0);
	if (chance(st, 20)) { /* a timestamp option first */
		o[at] = 8, o[at + 1] = 10;
		at += opt_len >= 18 ? 10 : 0;
	}
	for (uint32_t n = below(st, 4); n-- && at < opt_len - 4;)
		o[at++] = 1;
	if (at + 4 <= opt_len) {
		o[at] = 2;
		o[at + 1] = chance(st, 90) ? 4 : below(st, 6);
		pkt_put16(o + at + 2, chance(st, 80) ? 1300 + below(st, 8000) : below(st, 1500));
		at += 4;
	}
	while (at < opt_len)
		o[at++] = chance(st, 70) ? 1 : 0;
	pkt_put16(t + 16, 0);
	pkt_put16(t + 16, pkt_inet_csum(t, p->l4_len, pkt_pseudo_sum(p, 6)));
}

/*
 * The fold's second carry: tiu updates a checksum with RFC 1624 eqn. 3 on
 * 16-bit words loaded in little-endian order, and for the protocol word
 * (6 -> 17 and back) the sum reaches 0x1ffff - where only a second fold gives
 * the right answer - for one checksum value each, as it sits in the frame:
 * 0xff0a for TCP -> UDP (the TCP or IPv4 header checksum), 0xfff4 for
 * UDP -> TCP (the UDP or IPv4 header checksum). Random frames meet them once
 * in 65,536; steer_carry() puts a valid frame there on purpose, through a
 * word the checksum covers (the low half of the sequence number, or the IPv4
 * identification). Returns 1 if the frame now has the value.
 */
static uint16_t oc_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

static int steer_carry(uint32_t *st, struct pkt *p, int is_udp)
{
	uint16_t want = is_udp ? 0xfff4 : 0xff0a;
	uint8_t *ip = p->b + p->l3_off, *l4 = p->b + p->l4_off;
	uint8_t *w, *check;

	if (p->family == 4 && chance(st, 40)) {
		w = ip + 4;
		check = ip + 10;
	} else {
		w = l4 + (is_udp ? 14 : 6);
		check = l4 + (is_udp ? 6 : 16);
	}
	/* the word that moves the checksum from x to want: w + ~want + x */
	pkt_put16(w, oc_add(oc_add((uint16_t)~want, pkt_get16(check)), pkt_get16(w)));
	if (check == ip + 10) {
		pkt_put16(check, 0);
		pkt_put16(check, pkt_inet_csum(ip, (ip[0] & 15) * 4, 0));
	} else {
		pkt_put16(check, 0);
		pkt_put16(check, pkt_inet_csum(l4, p->l4_len, pkt_pseudo_sum(p, is_udp ? 17 : 6)));
	}
	return pkt_get16(check) == want;
}

/* Frame number idx of a run with this seed: a pure function of both. */
int gen_frame(uint32_t seed, uint64_t idx, struct pkt *p, uint32_t *gso, uint32_t *mark,
	      struct gen_stats *gs)
{
	uint32_t st = mix32(seed, (uint32_t)idx ^ (uint32_t)(idx >> 32) * 0x85ebca6bu);
	uint32_t kind = below(&st, 100), g = below(&st, 100), mk = below(&st, 10);
	static const uint32_t marks[] = { MARK_VAL, MARK_VAL | 0xff, MARK_VAL | 0x10000, 0x200,
					  MARK_MASK, 1 };
	int is_udp = 0;

	*gso = g < 65 ? 0 : g < 75 ? 1 : 2 + below(&st, 63);
	/* skb->mark: none, one that the selector takes, or one it must not */
	*mark = mk < 4 ? 0 : mk < 9 ? marks[below(&st, 6)] : rnd(&st);
	if (kind < 12) {
		gs->random++;
		random_frame(&st, p);
	} else if (kind < 24) {
		gs->icmp++;
		icmp_frame(&st, p);
		if (chance(&st, 30)) {
			gs->mutations++;
			mutate(&st, p, 0);
		}
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
			if (s.tcp_opt_len >= 8 && chance(&st, 30))
				syn_options(&st, p, s.tcp_opt_len);
			gs->tcp++;
		}
		if (chance(&st, 78)) {
			uint32_t n = 1 + below(&st, 4);

			gs->mutations += n;
			while (n--)
				mutate(&st, p, is_udp);
		} else if (chance(&st, 40)) {
			gs->carried += steer_carry(&st, p, is_udp);
		}
	}
	if (chance(&st, 45)) {
		fix_checksums(p);
		gs->fixed++;
	}
	return is_udp;
}

void gen_raw(const struct pkt *eth, struct pkt *raw)
{
	size_t off = eth->l3_off;

	if (!off && eth->len >= 14) { /* random bytes: what the tags say */
		uint16_t et = pkt_get16(eth->b + 12);

		off = 14;
		for (int v = 0; v < 2 && (et == 0x8100 || et == 0x88a8) && off + 4 <= eth->len; v++) {
			et = pkt_get16(eth->b + off + 2);
			off += 4;
		}
	}
	if (off > eth->len)
		off = eth->len;
	memset(raw, 0, sizeof(*raw));
	memcpy(raw->b, eth->b + off, eth->len - off);
	raw->len = eth->len - off;
	raw->family = eth->family;
	if (eth->l3_off) {
		raw->l4_off = eth->l4_off - off;
		raw->proto_off = eth->proto_off - off;
		raw->l4_len = eth->l4_len;
	}
}

void gen_eth_wrap(const struct pkt *raw, struct pkt *out)
{
	uint8_t v = raw->len ? raw->b[0] >> 4 : 0;

	memset(out, 0, sizeof(*out));
	pkt_put16(out->b + 12, v == 4 ? 0x0800 : v == 6 ? 0x86dd : 0);
	memcpy(out->b + 14, raw->b, raw->len);
	out->len = raw->len + 14;
}
