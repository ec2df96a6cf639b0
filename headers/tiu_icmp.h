/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_icmp.h - ICMP and ICMPv6 errors about tunnelled packets, used ONLY by
 * BPF programs. The packet work, plain C on packet pointers; matching and
 * counting are tiu_decap_icmp()'s in tiu_datapath.h.
 *
 * A router that cannot forward one of our packets (too big for the next hop,
 * TTL exceeded, ...) quotes it in an ICMP error - in its UDP form, as it was
 * on the wire. The host's stack would look for a UDP socket, find none and
 * drop the error (IcmpInErrors): TCP never hears that the path MTU is
 * smaller and keeps sending into the hole. So on ingress the quote is turned
 * back into the TCP form the stack sent, as far as it was quoted, and the
 * ICMP checksum follows incrementally. The stack then handles the error as
 * for plain TCP (tcp_v4_err(), tcp_v6_err(): lower the MSS on "fragmentation
 * needed" / "packet too big", report the others to the socket).
 *
 * How much must be quoted (docs/DESIGN.md "ICMP errors"): the stack reads the
 * ports and the sequence number, the first 8 bytes of the quoted TCP header
 * (icmp_socket_deliver() and icmpv6_notify() pull IP header + 8 bytes;
 * tcp_v4_err()/tcp_v6_err() drop an error whose sequence number is not in
 * flight). On the wire the sequence number sits at L4 bytes 12..15, so
 * TIU_ICMP_MIN_QUOTE = 16 quoted L4 bytes are needed; with 20 the whole
 * fixed header is restored. RFC 792 routers that quote only 8 bytes cannot
 * be helped: such errors pass untouched (dec_icmp_skip_short).
 *
 * Checksums: the quoted IPv4 header checksum follows the protocol byte, and
 * the ICMP/ICMPv6 checksum follows every 16-bit word that changed (RFC 1624,
 * as everywhere in tiu). The ICMPv6 pseudo-header (outer addresses, length,
 * next header 58) does not change. Each update leaves the one's complement
 * sum of the message unchanged, so the sum of every byte after the outer IP
 * header is the same: a CHECKSUM_COMPLETE skb->csum (TC) stays right without
 * a bpf_csum_update().
 */
#ifndef TIU_ICMP_H
#define TIU_ICMP_H

#include "tiu_parse.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

#define TIU_ICMP_HDR_LEN 8     /* type, code, checksum, 4 bytes of type data */
#define TIU_ICMP_MIN_QUOTE 16  /* quoted L4 bytes that hold the wire's sequence number */

/* The errors that quote a packet we sent and that TCP acts on. */
static __always_inline int tiu_icmp_is_error(__u8 family, __u8 type)
{
	if (family == 4) /* destination unreachable, time exceeded, parameter problem */
		return type == 3 || type == 11 || type == 12;
	/* destination unreachable, packet too big, time exceeded, parameter problem */
	return type >= 1 && type <= 4;
}

/*
 * Parse the quoted packet: an IP header (IPv4 with options, IPv6 with
 * extension headers) and what follows of L4. qlen: quoted bytes per the
 * outer IP length. Fills q (l4_len = quoted L4 bytes). Returns 0 for a
 * complete, unfragmented quoted header, -1 otherwise (not ours).
 */
static __always_inline int tiu_icmp_parse_quote(void *qip, void *data_end, __u32 qlen, __u8 family,
						struct tiu_pkt *q)
{
	__u32 hlen;

	if (family == 4) {
		struct iphdr *iph = qip;

		if ((void *)(iph + 1) > data_end || qlen < sizeof(*iph) || tiu_ip_version(iph) != 4)
			return -1;
		hlen = tiu_ipv4_ihl(iph) * 4;
		if (hlen < sizeof(*iph) || hlen > qlen || qip + hlen > data_end)
			return -1;
		if (iph->frag_off & tiu_htons(TIU_IP_MF | TIU_IP_OFFSET))
			return -1;
		q->proto = iph->protocol;
		q->proto_byte = &iph->protocol;
	} else {
		struct ipv6hdr *ip6h = qip;
		__u8 *proto_byte = &ip6h->nexthdr;
		__u8 nh;

		if ((void *)(ip6h + 1) > data_end || qlen < sizeof(*ip6h) || tiu_ip_version(ip6h) != 6)
			return -1;
		hlen = sizeof(*ip6h);
		nh = ip6h->nexthdr;
#pragma unroll
		for (int i = 0; i < TIU_MAX_EXTHDRS; i++) {
			struct tiu_ipv6_opt_hdr *oh = qip + hlen;
			__u32 len;

			if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
			    nh != IPPROTO_DSTOPTS && nh != IPPROTO_AH)
				break; /* a fragment header ends it too: not ours */
			if (hlen > qlen || (void *)(oh + 1) > data_end)
				return -1;
			len = nh == IPPROTO_AH ? ((__u32)oh->hdrlen + 2) * 4
					       : ((__u32)oh->hdrlen + 1) * 8;
			proto_byte = &oh->nexthdr;
			nh = oh->nexthdr;
			hlen += len;
		}
		if (hlen > qlen)
			return -1;
		q->proto = nh;
		q->proto_byte = proto_byte;
	}
	q->family = family;
	q->l3 = qip;
	q->l4 = qip + hlen;
	q->l4_len = qlen - hlen;
	return 0;
}

/* Replace the 16-bit word at w (as it sits in memory) and follow it in *check. */
static __always_inline void tiu_icmp_put16(__u16 *check, void *w, __u16 to)
{
	*check = tiu_csum_replace16(*check, *(__u16 *)w, to);
	*(__u16 *)w = to;
}

/*
 * Restore the first n (16..20) quoted L4 bytes at l4 from UDP to TCP form:
 * the words move back (tiu_wire_decode() on a copy, the bytes past n taken
 * as 0: an ack number not quoted stays unknown) and only n bytes are written.
 * n is even from the message start (it ends the message: an odd n means a
 * last lone byte, summed as the high byte of a word, RFC 1071).
 */
static __always_inline int tiu_icmp_restore_l4(void *l4, void *data_end, __u32 n, __u16 *check)
{
	union {
		struct tiu_udp20 u;
		__u16 w[TIU_L4_HDR_LEN / 2];
		__u8 b[TIU_L4_HDR_LEN];
	} buf = {};
	__u32 old_words, new_words;
	__u8 *src = l4;

	if (l4 + TIU_ICMP_MIN_QUOTE > data_end || n < TIU_ICMP_MIN_QUOTE)
		return -1;
	__builtin_memcpy(buf.b, l4, TIU_ICMP_MIN_QUOTE);
#pragma unroll
	for (int i = TIU_ICMP_MIN_QUOTE; i < TIU_L4_HDR_LEN; i++)
		if (i < n && (void *)(src + i + 1) <= data_end)
			buf.b[i] = src[i];
	tiu_wire_decode(&buf, &old_words, &new_words);
#pragma unroll
	for (int i = 0; i < TIU_L4_HDR_LEN / 2; i++) {
		__u8 *w = l4 + 2 * i;

		if (2 * i + 2 <= n) {
			if ((void *)(w + 2) > data_end)
				return -1;
			tiu_icmp_put16(check, w, buf.w[i]);
		} else if (2 * i + 1 == n) {
			/* the lone byte as the first byte of a word in memory:
			 * the low half of the u16 on little endian, the high
			 * half on big endian */
			union {
				__u16 v;
				__u8 b[2];
			} o = {}, t = {};

			if ((void *)(w + 1) > data_end)
				return -1;
			o.b[0] = w[0];
			t.b[0] = buf.b[2 * i];
			*check = tiu_csum_replace16(*check, o.v, t.v);
			w[0] = buf.b[2 * i];
		}
	}
	return 0;
}

/*
 * Translate the quote of an ICMP message at icmp whose quoted packet q was
 * parsed by tiu_icmp_parse_quote(), is UDP and has at least
 * TIU_ICMP_MIN_QUOTE L4 bytes in the frame: quoted L4 words, protocol 17 -> 6
 * (with the quoted IPv4 header checksum), the message checksum. Returns 0,
 * or -1 (nothing written) if a byte is out of reach.
 */
static __always_inline int tiu_icmp_translate(__u8 *icmp, void *data_end, struct tiu_pkt *q)
{
	__u32 n = q->l4_len < TIU_L4_HDR_LEN ? q->l4_len : TIU_L4_HDR_LEN;
	__u16 check, w;

	if ((void *)(icmp + TIU_ICMP_HDR_LEN) > data_end)
		return -1;
	if (q->family == 6 && (void *)(q->proto_byte + 2) > data_end)
		return -1;
	check = *(__u16 *)(icmp + 2);
	if (tiu_icmp_restore_l4(q->l4, data_end, n, &check))
		return -1;
	if (q->family == 4) {
		struct iphdr *iph = q->l3;
		__u16 *ttl_proto = (__u16 *)&iph->ttl; /* the word that holds the protocol */

		w = *ttl_proto;
		iph->protocol = IPPROTO_TCP;
		check = tiu_csum_replace16(check, w, *ttl_proto);
		tiu_icmp_put16(&check, &iph->check,
			       tiu_ipv4_proto_csum(iph->check, IPPROTO_UDP, IPPROTO_TCP));
	} else {
		/* The next-header byte starts a 16-bit word of the message:
		 * IPv6 header offset 6, extension headers offset 0. */
		__u8 *nh = q->proto_byte;

		w = *(__u16 *)nh;
		*nh = IPPROTO_TCP;
		check = tiu_csum_replace16(check, w, *(__u16 *)nh);
	}
	*(__u16 *)(icmp + 2) = check;
	return 0;
}

#endif /* TIU_ICMP_H */
