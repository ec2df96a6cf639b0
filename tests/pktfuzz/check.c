// SPDX-License-Identifier: GPL-2.0
/*
 * check.c - what a frame the model says is converted must look like: the
 * input with the 20 bytes moved as the wire format says, the protocol
 * changed, and only the checksums otherwise free, each exactly as valid as
 * the input's. Checksums through tests/lib/pkt.c, not headers/.
 */
#include <stdio.h>
#include <string.h>
#include "pktfuzz.h"
#include "tap.h"

void as_pkt(struct pkt *p, const uint8_t *b, size_t len, const struct mparse *m)
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
int check_converted(enum kind kind, const uint8_t *in, const uint8_t *out, size_t len,
		    const struct mparse *m, int *valid_in, char *why, size_t whylen)
{
	static struct pkt pin, pout, want;
	int to_udp = kind == K_EGRESS || kind == K_DETOUR;
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

/* The ICMP/ICMPv6 message checksum (ICMPv6: with its pseudo-header). */
static int icmp_sum_ok(const struct pkt *p)
{
	return pkt_inet_csum(p->b + p->l4_off, p->l4_len,
			     p->family == 6 ? pkt_pseudo_sum(p, 58) : 0) == 0;
}

static int quoted_ipv4_ok(const uint8_t *b, const struct mquote *q)
{
	return pkt_inet_csum(b + q->off, q->l4_off - q->off, 0) == 0;
}

/*
 * The quote back in TCP form as far as quoted (wire UDP: ports | length,
 * checksum | doff, flags, window | seq | ack; TCP: ports | seq | ack |
 * doff, flags, window | checksum, urgent pointer = 0); ack bytes that were
 * not quoted are 0; the quoted TCP checksum, the quoted IPv4 header
 * checksum and the message checksum are free, the last two exactly as valid
 * as before.
 */
int check_icmp_translated(const uint8_t *in, const uint8_t *out, size_t len,
			  const struct mparse *m, const struct mquote *q, int *valid_in,
			  char *why, size_t whylen)
{
	static struct pkt want, pin, pout;
	const uint8_t *u = in + q->l4_off;
	uint32_t n = q->l4_len < 20 ? q->l4_len : 20;
	uint8_t tcp[20] = { 0 };

	as_pkt(&want, in, len, m);
	as_pkt(&pin, in, len, m);
	as_pkt(&pout, out, len, m);
	memcpy(tcp, u, 4);
	memcpy(tcp + 4, u + 12, 4);
	for (int j = 0; j < 4; j++)
		tcp[8 + j] = 16u + j < q->l4_len ? u[16 + j] : 0;
	memcpy(tcp + 12, u + 8, 4);
	tcp[16] = out[q->l4_off + 16 < len ? q->l4_off + 16 : 0]; /* free (used only if quoted) */
	tcp[17] = out[q->l4_off + 17 < len ? q->l4_off + 17 : 0];
	memcpy(want.b + q->l4_off, tcp, n);
	want.b[q->proto_off] = 6;
	if (m->family == 4)
		memcpy(want.b + q->off + 10, out + q->off + 10, 2);
	memcpy(want.b + m->l4_off + 2, out + m->l4_off + 2, 2);
	for (size_t i = 0; i < len; i++)
		if (want.b[i] != out[i]) {
			snprintf(why, whylen, "translated ICMP error: byte %zu is %02x, want %02x", i,
				 out[i], want.b[i]);
			return 0;
		}
	*valid_in = icmp_sum_ok(&pin);
	if (*valid_in != icmp_sum_ok(&pout)) {
		snprintf(why, whylen, "%s checksum was %svalid, is %svalid", m->family == 4 ? "ICMP" : "ICMPv6",
			 *valid_in ? "" : "in", *valid_in ? "in" : "");
		return 0;
	}
	if (m->family == 4 && quoted_ipv4_ok(in, q) != quoted_ipv4_ok(out, q)) {
		snprintf(why, whylen, "quoted IPv4 header checksum was %svalid, is %svalid",
			 quoted_ipv4_ok(in, q) ? "" : "in", quoted_ipv4_ok(out, q) ? "" : "in");
		return 0;
	}
	return 1;
}

/* The checker must reject what it is there to catch. */
void checker_selftest(void)
{
	static struct pkt tcp, udp, bad;
	struct pkt_spec s = { .family = 4, .saddr = { 10, 0, 0, 1 }, .daddr = { 10, 0, 0, 2 },
			      .sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = 0x18,
			      .payload_len = 33, .fill = 5 };
	struct mparse m;
	char why[200];
	int v, ok = 1;

	pkt_build_tcp(&s, &tcp);
	pkt_ref_encap(&tcp, &udp);
	model_parse(tcp.b, tcp.len, &m);
	ok &= check_converted(K_EGRESS, tcp.b, udp.b, tcp.len, &m, &v, why, sizeof(why)) && v;
	bad = udp; /* a wrong UDP checksum */
	bad.b[bad.l4_off + 7] ^= 1;
	ok &= !check_converted(K_EGRESS, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	bad = udp; /* a payload byte changed */
	bad.b[bad.len - 1] ^= 0x80;
	ok &= !check_converted(K_EGRESS, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	bad = udp; /* seq and ack not swapped */
	memcpy(bad.b + bad.l4_off + 12, tcp.b + tcp.l4_off + 8, 4);
	ok &= !check_converted(K_EGRESS, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	bad = tcp; /* invalid TCP in, valid UDP out: silently made valid */
	bad.b[bad.l4_off + 17] ^= 4;
	ok &= !check_converted(K_EGRESS, bad.b, udp.b, tcp.len, &m, &v, why, sizeof(why));
	bad = udp; /* IPv4 header checksum broken */
	bad.b[bad.l3_off + 11] ^= 2;
	ok &= !check_converted(K_EGRESS, tcp.b, bad.b, tcp.len, &m, &v, why, sizeof(why));
	{ /* an ICMP error about the UDP packet, and the same about the TCP one */
		static struct pkt ierr, iwant;
		struct mquote q;

		pkt_build_icmp_err(&udp, 3, 4, 1400, 0, &ierr);
		pkt_build_icmp_err(&tcp, 3, 4, 1400, 0, &iwant);
		model_parse(ierr.b, ierr.len, &m);
		model_parse_quote(ierr.b, &m, &q);
		ok &= q.ok && check_icmp_translated(ierr.b, iwant.b, ierr.len, &m, &q, &v, why,
						    sizeof(why)) && v;
		ok &= !check_icmp_translated(ierr.b, ierr.b, ierr.len, &m, &q, &v, why, sizeof(why));
		bad = iwant; /* the ICMP checksum not updated */
		memcpy(bad.b + bad.l4_off + 2, ierr.b + ierr.l4_off + 2, 2);
		ok &= !check_icmp_translated(ierr.b, bad.b, ierr.len, &m, &q, &v, why, sizeof(why));
		bad = iwant; /* the quoted IPv4 header checksum not updated */
		memcpy(bad.b + q.off + 10, ierr.b + q.off + 10, 2);
		pkt_put16(bad.b + bad.l4_off + 2, 0);
		pkt_put16(bad.b + bad.l4_off + 2, pkt_inet_csum(bad.b + bad.l4_off, bad.l4_len, 0));
		ok &= !check_icmp_translated(ierr.b, bad.b, ierr.len, &m, &q, &v, why, sizeof(why));
	}
	tap(ok, "checker self-test: accepts the reference conversion, rejects wrong checksum, changed payload, unswapped words, invalid-made-valid, broken IPv4 header; ICMP: accepts the reference translation, rejects an untranslated quote, a stale ICMP checksum, a stale quoted IPv4 checksum");
}
