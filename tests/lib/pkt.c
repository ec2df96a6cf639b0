// SPDX-License-Identifier: GPL-2.0
/* pkt.c - see pkt.h. Written without the project's headers on purpose. */
#include <string.h>
#include <stdio.h>
#include "pkt.h"

uint16_t pkt_get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

void pkt_put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void put32(uint8_t *b, uint32_t v)
{
	pkt_put16(b, v >> 16);
	pkt_put16(b + 2, v & 0xffff);
}

uint32_t pkt_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Sum as a plain integer, then fold: a different shape from headers/. */
uint16_t pkt_inet_csum(const uint8_t *b, size_t len, uint64_t sum)
{
	for (size_t i = 0; i < len; i++)
		sum += (i & 1) ? b[i] : (uint64_t)b[i] << 8;
	while (sum > 0xffff)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)~sum;
}

static uint64_t words(const uint8_t *b, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += pkt_get16(b + i);
	return s;
}

uint64_t pkt_pseudo_sum(const struct pkt *p, uint8_t proto)
{
	const uint8_t *ip = p->b + p->l3_off;

	if (p->family == 4) /* saddr, daddr, zero|proto, length */
		return words(ip + 12, 8) + proto + p->l4_len;
	return words(ip + 8, 32) + (p->l4_len >> 16) + (p->l4_len & 0xffff) + proto;
}

static size_t put_eth(const struct pkt_spec *s, uint8_t *b)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	size_t off = 12;

	memcpy(b, macs, 12);
	if (s->vlans >= 2) {
		pkt_put16(b + off, 0x88a8);
		pkt_put16(b + off + 2, 100);
		off += 4;
	}
	if (s->vlans >= 1) {
		pkt_put16(b + off, 0x8100);
		pkt_put16(b + off + 2, 200);
		off += 4;
	}
	pkt_put16(b + off, s->family == 4 ? 0x0800 : 0x86dd);
	return off + 2;
}

static void fill_bytes(uint8_t *b, size_t n, uint32_t *st)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pkt_rand(st) & 0xff;
}

void pkt_build_tcp(const struct pkt_spec *s, struct pkt *p)
{
	uint32_t st = s->fill ? s->fill : 1;
	size_t tcp_hl = 20 + s->tcp_opt_len, l4_len = tcp_hl + s->payload_len;
	uint8_t *ip, *th, *nh_byte;
	size_t ip_hl;

	memset(p, 0, sizeof(*p));
	p->family = s->family;
	p->l3_off = s->l3 ? 0 : put_eth(s, p->b);
	ip = p->b + p->l3_off;
	if (s->family == 4) {
		ip_hl = 20 + s->ip_opt_len;
		ip[0] = 0x40 | (ip_hl / 4);
		pkt_put16(ip + 2, ip_hl + l4_len);
		pkt_put16(ip + 4, 0x1234);
		pkt_put16(ip + 6, s->frag ? 0x2000 : 0x4000); /* MF, or DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, s->saddr, 4);
		memcpy(ip + 16, s->daddr, 4);
		for (int i = 0; i < s->ip_opt_len; i++) /* NOPs then end of list */
			ip[20 + i] = i == s->ip_opt_len - 1 ? 0 : 1;
		p->proto_off = p->l3_off + 9;
	} else {
		size_t ext = s->ext_hdrs * 8 + (s->frag ? 8 : 0);

		ip_hl = 40 + ext;
		ip[0] = 0x60;
		pkt_put16(ip + 4, ext + l4_len);
		ip[7] = 64;
		memcpy(ip + 8, s->saddr, 16);
		memcpy(ip + 24, s->daddr, 16);
		nh_byte = ip + 6;
		for (int i = 0; i < s->ext_hdrs; i++) { /* hop-by-hop first, then dest opts */
			uint8_t *eh = ip + 40 + i * 8;

			*nh_byte = i == 0 ? 0 : 60;
			eh[1] = 0;     /* 8 bytes */
			eh[2] = 1;     /* PadN */
			eh[3] = 4;
			nh_byte = eh;
		}
		if (s->frag) {
			uint8_t *fh = ip + 40 + s->ext_hdrs * 8;

			*nh_byte = 44;
			pkt_put16(fh + 2, 1); /* offset 0, M=1 */
			put32(fh + 4, 0xabcd);
			nh_byte = fh;
		}
		*nh_byte = 6;
		p->proto_off = nh_byte - p->b;
	}
	p->l4_off = p->l3_off + ip_hl;
	p->l4_len = l4_len;
	th = p->b + p->l4_off;
	pkt_put16(th, s->sport);
	pkt_put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (s->doff_words ? s->doff_words : tcp_hl / 4) << 4;
	th[13] = s->flags;
	pkt_put16(th + 14, s->win);
	pkt_put16(th + 18, s->urg);
	fill_bytes(th + 20, s->tcp_opt_len + s->payload_len, &st);
	p->len = p->l4_off + l4_len + s->eth_pad;
	if (s->family == 4)
		pkt_put16(ip + 10, pkt_inet_csum(ip, ip_hl, 0));
	pkt_put16(th + 16, pkt_inet_csum(th, l4_len, pkt_pseudo_sum(p, 6)));
}

void pkt_ref_encap(const struct pkt *tcp, struct pkt *udp)
{
	const uint8_t *t = tcp->b + tcp->l4_off;
	uint8_t *u, *ip;
	uint16_t c;

	*udp = *tcp;
	u = udp->b + udp->l4_off;
	ip = udp->b + udp->l3_off;
	/* UDP: ports | length, checksum | doff, flags, window | seq | ack */
	pkt_put16(u + 4, tcp->l4_len);
	pkt_put16(u + 6, 0);
	memcpy(u + 8, t + 12, 4);
	memcpy(u + 12, t + 4, 4);
	memcpy(u + 16, t + 8, 4);
	udp->b[udp->proto_off] = 17;
	if (udp->family == 4) {
		pkt_put16(ip + 10, 0);
		pkt_put16(ip + 10, pkt_inet_csum(ip, (ip[0] & 0xf) * 4, 0));
	}
	c = pkt_inet_csum(u, udp->l4_len, pkt_pseudo_sum(udp, 17));
	pkt_put16(u + 6, c ? c : 0xffff);
}

void pkt_build_icmp_err(const struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info,
			size_t quote_len, struct pkt *p)
{
	static const uint8_t router4[4] = { 10, 77, 9, 1 };
	static const uint8_t router6[16] = { 0xfd, 0x77, 0, 9, [15] = 1 };
	const uint8_t *qip = quoted->b + quoted->l3_off;
	size_t qtot = quoted->l4_off - quoted->l3_off + quoted->l4_len, ip_hl;
	struct pkt_spec s = { .family = quoted->family };
	uint8_t *ip, *icmp;

	if (!quote_len || quote_len > qtot)
		quote_len = qtot;
	memset(p, 0, sizeof(*p));
	p->family = quoted->family;
	p->l3_off = quoted->l3_off ? put_eth(&s, p->b) : 0; /* raw IP quotes raw IP */
	ip = p->b + p->l3_off;
	if (p->family == 4) {
		ip_hl = 20;
		ip[0] = 0x45;
		ip[1] = 0xc0; /* what Linux routers send errors with */
		pkt_put16(ip + 2, ip_hl + 8 + quote_len);
		ip[8] = 64;
		ip[9] = 1;
		memcpy(ip + 12, router4, 4);
		memcpy(ip + 16, qip + 12, 4); /* to the quoted packet's source */
		p->proto_off = p->l3_off + 9;
	} else {
		ip_hl = 40;
		ip[0] = 0x60;
		pkt_put16(ip + 4, 8 + quote_len);
		ip[6] = 58;
		ip[7] = 64;
		memcpy(ip + 8, router6, 16);
		memcpy(ip + 24, qip + 8, 16);
		p->proto_off = p->l3_off + 6;
	}
	p->l4_off = p->l3_off + ip_hl;
	p->l4_len = 8 + quote_len;
	p->len = p->l4_off + p->l4_len;
	icmp = p->b + p->l4_off;
	icmp[0] = type;
	icmp[1] = code;
	put32(icmp + 4, info);
	memcpy(icmp + 8, qip, quote_len);
	if (p->family == 4) {
		pkt_put16(ip + 10, pkt_inet_csum(ip, ip_hl, 0));
		pkt_put16(icmp + 2, pkt_inet_csum(icmp, p->l4_len, 0));
	} else {
		pkt_put16(icmp + 2, pkt_inet_csum(icmp, p->l4_len, pkt_pseudo_sum(p, 58)));
	}
}

/* An ICMP error's message checksum and, where quoted in full, the quoted
 * IPv4 header's and the quoted segment's. */
static int icmp_checksums_ok(const struct pkt *p, uint8_t proto, char *why, size_t whylen)
{
	const uint8_t *icmp = p->b + p->l4_off, *q = icmp + 8;
	size_t qlen = p->l4_len - 8;
	struct pkt inner = { .family = p->family };

	if (pkt_inet_csum(icmp, p->l4_len, proto == 58 ? pkt_pseudo_sum(p, 58) : 0) != 0) {
		snprintf(why, whylen, "bad %s checksum %04x", proto == 58 ? "ICMPv6" : "ICMP",
			 pkt_get16(icmp + 2));
		return 0;
	}
	if (p->l4_len < 8 || qlen < (p->family == 4 ? 20u : 40u))
		return 1;
	/* The quoted packet as a frame of its own (no link layer). */
	memcpy(inner.b, q, qlen);
	if (p->family == 4) {
		size_t ihl = (q[0] & 0xf) * 4;

		if (qlen < ihl)
			return 1;
		if (pkt_inet_csum(q, ihl, 0) != 0) {
			snprintf(why, whylen, "bad quoted IPv4 header checksum %04x", pkt_get16(q + 10));
			return 0;
		}
		inner.proto_off = 9;
		inner.l4_off = ihl;
		inner.l4_len = pkt_get16(q + 2) - ihl;
	} else {
		/* only quotes without extension headers are checked this deep */
		if (q[6] != 6 && q[6] != 17)
			return 1;
		inner.proto_off = 6;
		inner.l4_off = 40;
		inner.l4_len = pkt_get16(q + 4);
	}
	if (inner.l4_off + inner.l4_len != qlen) /* not quoted in full */
		return 1;
	inner.len = qlen;
	if (!pkt_checksums_ok(&inner, why, whylen)) {
		size_t n = strlen(why);

		snprintf(why + n, whylen - n, " (quoted)");
		return 0;
	}
	return 1;
}

int pkt_checksums_ok(const struct pkt *p, char *why, size_t whylen)
{
	const uint8_t *ip = p->b + p->l3_off, *l4 = p->b + p->l4_off;
	uint8_t proto = p->b[p->proto_off];

	if (p->family == 4 && pkt_inet_csum(ip, (ip[0] & 0xf) * 4, 0) != 0) {
		snprintf(why, whylen, "bad IPv4 header checksum %04x", pkt_get16(ip + 10));
		return 0;
	}
	if ((p->family == 4 && proto == 1) || (p->family == 6 && proto == 58))
		return icmp_checksums_ok(p, proto, why, whylen);
	if (proto != 6 && proto != 17) {
		snprintf(why, whylen, "L4 protocol %u", proto);
		return 0;
	}
	if (proto == 17 && pkt_get16(l4 + 6) == 0) {
		snprintf(why, whylen, "UDP checksum 0");
		return 0;
	}
	if (pkt_inet_csum(l4, p->l4_len, pkt_pseudo_sum(p, proto)) != 0) {
		snprintf(why, whylen, "bad %s checksum %04x", proto == 6 ? "TCP" : "UDP",
			 pkt_get16(l4 + (proto == 6 ? 16 : 6)));
		return 0;
	}
	return 1;
}
