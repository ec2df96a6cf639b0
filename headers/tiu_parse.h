/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_parse.h - frame parsing shared by the XDP and TC programs.
 *
 * Ethernet, up to two 802.1Q/802.1ad tags, or raw IP (layer-3 devices: the
 * frame starts at the IP header); IPv4 with options, IPv6 with extension
 * headers; fragments recognised, never followed. Lengths come from the IP
 * header, checked against the frame (trailing padding is allowed, a frame
 * shorter than its IP length is not ours). Plain C on packet pointers.
 */
#ifndef TIU_PARSE_H
#define TIU_PARSE_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include "tiu_wire.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define TIU_MAX_VLANS 2
#define TIU_MAX_EXTHDRS 6  /* IPv6 extension headers followed before giving up */
#define TIU_IP_MF 0x2000
#define TIU_IP_OFFSET 0x1fff

struct tiu_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct tiu_ipv6_opt_hdr { /* hop-by-hop, routing, destination options, AH */
	__u8 nexthdr;
	__u8 hdrlen;
};

struct tiu_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

struct tiu_pkt {
	void *l3;           /* IPv4 or IPv6 header */
	void *l4;           /* first byte after the IP header(s); not bounds-checked */
	__u8 *proto_byte;   /* IPv4 protocol, or the next-header byte naming L4 */
	__u32 l3_off;       /* offset of l3 in the frame */
	__u32 l4_off;       /* offset of l4 in the frame */
	__u16 l4_len;       /* L4 length from the IP header */
	__u8 family;        /* 4 or 6 */
	__u8 proto;         /* L4 protocol */
	__u8 frag;          /* IPv4 MF/offset, or an IPv6 fragment header */
	__u8 pad[3];
	/* The addresses are read where they are (tiu_pkt_saddr(), ..._daddr()):
	 * only packets that pass the port table need them. */
};

enum tiu_parse_res {
	TIU_PARSE_OK = 0,
	TIU_PARSE_NOT_IP = -1, /* not IP by its link layer (ARP, ...), or too short
				* for an Ethernet header: no candidate, not counted */
	TIU_PARSE_BAD = -2,    /* IP by its link layer (or with more VLAN tags than
				* tiu follows) that cannot be parsed: truncated or
				* inconsistent lengths, a longer extension header
				* chain than tiu follows, a jumbogram. It may be the
				* TCP or UDP tiu is there for: the callers count it
				* (enc_skip_unparsed, dec_skip_unparsed) */
};

static __always_inline int tiu_parse_ipv4(void *l3, void *data_end, __u32 room, struct tiu_pkt *p)
{
	struct iphdr *iph = l3;
	__u32 ihl, tot;

	if ((void *)(iph + 1) > data_end)
		return TIU_PARSE_BAD;
	if (tiu_ip_version(iph) != 4)
		return TIU_PARSE_BAD;
	ihl = tiu_ipv4_ihl(iph) * 4;
	tot = tiu_htons(iph->tot_len);
	if (ihl < sizeof(*iph) || tot < ihl || tot > room)
		return TIU_PARSE_BAD;
	if (l3 + ihl > data_end)
		return TIU_PARSE_BAD;
	p->family = 4;
	p->proto = iph->protocol;
	p->proto_byte = &iph->protocol;
	p->frag = !!(iph->frag_off & tiu_htons(TIU_IP_MF | TIU_IP_OFFSET));
	p->l4 = l3 + ihl;
	p->l4_len = tot - ihl;
	return TIU_PARSE_OK;
}

static __always_inline int tiu_parse_ipv6(void *l3, void *data_end, __u32 room, struct tiu_pkt *p)
{
	struct ipv6hdr *ip6h = l3;
	__u8 *proto_byte = &ip6h->nexthdr;
	void *cur = ip6h + 1;
	__u32 payload, ext = 0;
	__u8 nh;

	if ((void *)(ip6h + 1) > data_end)
		return TIU_PARSE_BAD;
	if (tiu_ip_version(ip6h) != 6)
		return TIU_PARSE_BAD;
	payload = tiu_htons(ip6h->payload_len);
	if (payload == 0 || payload + sizeof(*ip6h) > room) /* jumbogram or truncated */
		return TIU_PARSE_BAD;
	nh = ip6h->nexthdr;
	p->frag = 0;
#pragma unroll
	for (int i = 0; i < TIU_MAX_EXTHDRS; i++) {
		struct tiu_ipv6_opt_hdr *oh = cur;
		__u32 len;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT && nh != IPPROTO_AH)
			break;
		if ((void *)(oh + 1) > data_end)
			return TIU_PARSE_BAD;
		if (nh == IPPROTO_FRAGMENT) {
			p->frag = 1;
			len = sizeof(struct tiu_ipv6_frag_hdr);
		} else if (nh == IPPROTO_AH) {
			len = ((__u32)oh->hdrlen + 2) * 4;
		} else {
			len = ((__u32)oh->hdrlen + 1) * 8;
		}
		proto_byte = &oh->nexthdr;
		nh = oh->nexthdr;
		cur += len;
		ext += len;
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	    nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH)
		return TIU_PARSE_BAD; /* longer chain than we follow */
	if (ext > payload)
		return TIU_PARSE_BAD;
	p->family = 6;
	p->proto = nh;
	p->proto_byte = proto_byte;
	p->l4 = cur;
	p->l4_len = payload - ext;
	return TIU_PARSE_OK;
}

/* The Ethernet header and up to two VLAN tags: *l3 and *proto name what follows. */
static __always_inline int tiu_parse_eth(void *data, void *data_end, void **l3, __be16 *proto)
{
	struct ethhdr *eth = data;
	void *cur = eth + 1;

	if ((void *)(eth + 1) > data_end)
		return TIU_PARSE_NOT_IP;
	*proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < TIU_MAX_VLANS; i++) {
		struct tiu_vlan_hdr *vh = cur;

		if (*proto != tiu_htons(ETH_P_8021Q) && *proto != tiu_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return TIU_PARSE_BAD;
		*proto = vh->proto;
		cur = vh + 1;
	}
	if (*proto == tiu_htons(ETH_P_8021Q) || *proto == tiu_htons(ETH_P_8021AD))
		return TIU_PARSE_BAD; /* more tags than tiu follows: whatever they carry */
	*l3 = cur;
	return TIU_PARSE_OK;
}

/* Raw IP without a protocol from the kernel (XDP): the version nibble says. */
static __always_inline __be16 tiu_ip_version_proto(void *data, void *data_end)
{
	__u8 *v = data;

	if ((void *)(v + 1) > data_end)
		return 0;
	if (*v >> 4 == 4)
		return tiu_htons(ETH_P_IP);
	if (*v >> 4 == 6)
		return tiu_htons(ETH_P_IPV6);
	return 0;
}

/*
 * Parse a frame. l3 = 0: it starts at an Ethernet header. l3 = 1: raw IP,
 * it starts at the IP header, whose family is l3_proto (ETH_P_IP or
 * ETH_P_IPV6 in network byte order, TC's skb->protocol) or, for l3_proto 0
 * (XDP), the IP version nibble. frame_len is the whole frame's length (for
 * TC it may exceed data_end - data: non-linear data). On TIU_PARSE_OK, p
 * describes L3 and L4; nothing past L3 is bounds-checked. Otherwise
 * TIU_PARSE_NOT_IP (not IP: no candidate) or TIU_PARSE_BAD (IP that cannot
 * be parsed; in TC, perhaps only because it lies beyond the linear part).
 */
static __always_inline int tiu_parse(void *data, void *data_end, __u32 frame_len, int l3,
				     __be16 l3_proto, struct tiu_pkt *p)
{
	void *cur = data;
	__be16 proto = l3_proto;
	__u32 l3_off;
	int ret;

	if (!l3) {
		ret = tiu_parse_eth(data, data_end, &cur, &proto);
		if (ret != TIU_PARSE_OK)
			return ret;
	} else if (!proto) {
		proto = tiu_ip_version_proto(data, data_end);
	}
	l3_off = cur - data;
	if (frame_len < l3_off)
		return TIU_PARSE_BAD;
	p->l3 = cur;
	p->l3_off = l3_off;
	if (proto == tiu_htons(ETH_P_IP))
		ret = tiu_parse_ipv4(cur, data_end, frame_len - l3_off, p);
	else if (proto == tiu_htons(ETH_P_IPV6))
		ret = tiu_parse_ipv6(cur, data_end, frame_len - l3_off, p);
	else
		ret = TIU_PARSE_NOT_IP;
	if (ret == TIU_PARSE_OK)
		p->l4_off = p->l4 - data;
	return ret;
}

/* Where the addresses sit in the IP header (tiu_datapath.h reads them from
 * there, only for packets that pass the port table). */
#define TIU_V4_SADDR_OFF 12
#define TIU_V4_DADDR_OFF 16
#define TIU_V6_SADDR_OFF 8
#define TIU_V6_DADDR_OFF 24

#endif /* TIU_PARSE_H */
