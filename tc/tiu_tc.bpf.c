// SPDX-License-Identifier: GPL-2.0
/*
 * tiu_tc.bpf.c - the TC programs.
 *
 *  tiu_tc_egress  clsact egress of the real interface: TCP -> UDP in place
 *                 when the checksum is complete; CHECKSUM_PARTIAL or GSO TCP
 *                 is redirected once to the segmentation detour.
 *  tiu_tc_detour  clsact ingress of the detour peer: each segment, now with a
 *                 complete checksum, -> UDP, then redirected to the real
 *                 interface's egress. Anything else is dropped, never looped.
 *  tiu_tc_decap   clsact ingress of the real interface: UDP -> TCP, for
 *                 devices or users that cannot use XDP.
 *
 * On a raw-IP interface (tiu_framing, see tiu_common.h) skb->data is the IP
 * header and skb->protocol its family. Egress then pushes an Ethernet header
 * before redirecting into the detour (a veth carries Ethernet frames); the
 * detour's redirect back to the interface has it stripped by the kernel
 * (docs/DESIGN.md, "Layer-3 interfaces").
 *
 * Built twice (see Makefile): normally with the bpf_cast_to_kern_ctx kfunc,
 * which lets egress read skb->ip_summed; with -DTIU_NO_KFUNC for kernels
 * that lack it (6.1), where every tunnelled TCP packet takes the detour.
 * The loader picks the object from the kernel's BTF.
 */
#include "tiu_datapath.h"
#include <linux/pkt_cls.h>
#include <bpf/bpf_core_read.h>

/* Enough linear bytes for Ethernet, two VLAN tags, IPv4 with options or
 * IPv6 with extension headers, and the 20 bytes of L4 that change. */
#define TIU_TC_PULL_LEN 192

#ifndef TIU_NO_KFUNC
#define TIU_CHECKSUM_PARTIAL 3 /* include/linux/skbuff.h */

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* The one field tiu reads from the kernel's sk_buff, relocated by CO-RE. */
struct sk_buff___tiu {
	__u8 ip_summed : 2;
} __attribute__((preserve_access_index));

/* 1: the TCP checksum is CHECKSUM_PARTIAL (only a seed), 0: it is complete. */
static __always_inline int tiu_csum_partial(struct __sk_buff *skb)
{
	struct sk_buff___tiu *kskb = bpf_cast_to_kern_ctx(skb);

	return BPF_CORE_READ_BITFIELD(kskb, ip_summed) == TIU_CHECKSUM_PARTIAL;
}
#define TIU_EGRESS_CSUM_UNKNOWN 0
#else
/* ip_summed cannot be read: egress assumes PARTIAL (always take the detour,
 * always correct); at the detour, segments were just checksummed by the
 * kernel (the detour end has TX checksum offload off). */
static __always_inline int tiu_csum_partial(struct __sk_buff *skb)
{
	return 0;
}
#define TIU_EGRESS_CSUM_UNKNOWN 1
#endif

/*
 * Make the headers readable by direct packet access; l3, l3_proto as for
 * tiu_parse(). The stack builds every header of a TCP packet in the linear
 * part and leaves the payload in page fragments, and skb_segment() copies
 * only the headers into each segment's linear part: those headers are
 * enough. Pulling payload after them would cost a copy, a new head for a
 * TCP clone (skb_ensure_writable() -> pskb_expand_head(): the headroom
 * ends at the clone's hdr_len) or for a segment without the tailroom, and
 * the receiving TCP could no longer add the segment's fragments to the one
 * before (skb_try_coalesce() refuses a head that holds payload and is not
 * a page fragment): a third of the CPU per GB through the detour
 * (docs/DESIGN.md "The cost of the detour"). So
 * TIU_TC_PULL_LEN bytes are pulled only when the headers are not all
 * linear: not L2 + L3 + the 20 bytes of L4 of an unfragmented TCP or UDP
 * packet, or a TCP SYN whose options the MSS clamp reads, or anything else
 * (an ICMP error and its quote).
 */
static __always_inline void tiu_tc_pull(struct __sk_buff *skb, int l3, __be16 l3_proto)
{
	__u32 want = skb->len < TIU_TC_PULL_LEN ? skb->len : TIU_TC_PULL_LEN;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct tiu_pkt p = {};

	if (data + want <= data_end)
		return;
	if (tiu_parse(data, data_end, skb->len, l3, l3_proto, &p) == TIU_PARSE_OK && !p.frag &&
	    (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP) &&
	    p.l4 + TIU_L4_HDR_LEN <= data_end &&
	    (p.proto != IPPROTO_TCP || !(((struct tiu_tcp20 *)p.l4)->flags & TIU_TCP_FLAG_SYN)))
		return;
	bpf_skb_pull_data(skb, want);
}

/*
 * A raw-IP packet on its way into the detour gets an Ethernet header: the
 * veth at the other end takes the first 14 bytes as one (eth_type_trans),
 * and its segmentation follows skb->protocol past mac_len. The helper
 * zeroes the new bytes (no MAC addresses are needed: the detour program
 * redirects every frame) and resets the MAC header; the EtherType is ours
 * to write. 0, or -1 when the headroom cannot be had.
 */
static __always_inline int tiu_push_eth(struct __sk_buff *skb, __u8 family)
{
	__be16 proto = tiu_htons(family == 4 ? ETH_P_IP : ETH_P_IPV6);

	if (bpf_skb_change_head(skb, sizeof(struct ethhdr), 0))
		return -1;
	return bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto),
				   0) ? -1 : 0;
}

/* The MSS clamp of tunnelled SYNs (tiu_encap_clamp_mss()), for egress and
 * the detour; a global subprogram: verified once, and the callers' paths
 * do not fork on its outcome. The callers call it for SYNs only (one test
 * of the flags byte, ~10 ns less per packet than a call for each). */
__attribute__((noinline)) int tiu_tc_clamp_mss(struct __sk_buff *skb, __u64 l4_off, __u32 ifindex)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return tiu_encap_clamp_mss(data, data_end, l4_off, ifindex);
}

SEC("tc")
int tiu_tc_egress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct tiu_pkt p = {};
	struct tiu_link *link;
	void *data, *data_end;
	enum tiu_verdict v;

	tiu_tc_pull(skb, tiu_is_l3(ifindex), skb->protocol);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = tiu_encap_check(data, data_end, skb->len, tiu_is_l3(ifindex), skb->protocol, ifindex,
			    TIU_EGRESS_STATS, &p);
	if (v == TIU_V_PASS)
		return TC_ACT_OK;
	if (v == TIU_V_DROP)
		return TC_ACT_SHOT;

	if (TIU_EGRESS_CSUM_UNKNOWN || skb->gso_segs > 1 || tiu_csum_partial(skb)) {
		/* Kernel segments and checksums it first (docs/DESIGN.md "The segmentation detour"). */
		link = bpf_map_lookup_elem(&tiu_links, &ifindex);
		if (!link || !(link->flags & TIU_LINK_F_REAL) || !link->detour_ifindex) {
			tiu_count(ifindex, TIU_STAT_ENC_DROP_NO_DETOUR);
			return TC_ACT_SHOT;
		}
		if (tiu_is_l3(ifindex) && tiu_push_eth(skb, p.family)) {
			tiu_count(ifindex, TIU_STAT_ENC_DROP_NO_HEADROOM);
			return TC_ACT_SHOT;
		}
		tiu_count(ifindex, TIU_STAT_ENC_DETOURED);
		return bpf_redirect(link->detour_ifindex, 0);
	}
	if (((struct tiu_tcp20 *)p.l4)->flags & TIU_TCP_FLAG_SYN)
		tiu_tc_clamp_mss(skb, p.l4_off, ifindex);
	tiu_encap_apply(&p, data_end, ifindex, TIU_EGRESS_STATS);
	return TC_ACT_OK;
}

SEC("tc")
int tiu_tc_detour(struct __sk_buff *skb)
{
	__u32 self = skb->ifindex, out;
	struct tiu_pkt p = {};
	struct tiu_link *link;
	void *data, *data_end;
	enum tiu_verdict v;

	link = bpf_map_lookup_elem(&tiu_links, &self);
	if (!link || !(link->flags & TIU_LINK_F_DETOUR) || !link->out_ifindex) {
		tiu_count(self, TIU_STAT_DET_DROP_UNEXPECTED);
		return TC_ACT_SHOT;
	}
	out = link->out_ifindex;

	tiu_tc_pull(skb, 0, 0);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = tiu_encap_check(data, data_end, skb->len, 0, 0, out, TIU_DETOUR_STATS, &p);
	if (v != TIU_V_CONVERT) /* only tunnelled TCP is sent here; nothing else may leave */
		return TC_ACT_SHOT;
	if (skb->gso_segs > 1 || tiu_csum_partial(skb)) {
		tiu_count(out, TIU_STAT_DET_DROP_NOT_SEGMENTED);
		return TC_ACT_SHOT;
	}
	if (((struct tiu_tcp20 *)p.l4)->flags & TIU_TCP_FLAG_SYN)
		tiu_tc_clamp_mss(skb, p.l4_off, out);
	tiu_encap_apply(&p, data_end, out, TIU_DETOUR_STATS);
	/* To a raw-IP interface the kernel strips the Ethernet header on the
	 * way (__bpf_redirect_no_mac()): nothing to do here. */
	return bpf_redirect(out, 0);
}

/* ICMP errors about tunnelled packets (tiu_decap_icmp()); a global
 * subprogram: verified once, on its own. The translation leaves the sum of
 * the bytes after the IP header as it was (tiu_icmp.h), so a CHECKSUM_COMPLETE
 * skb->csum needs no update. */
__attribute__((noinline)) int tiu_tc_icmp(struct __sk_buff *skb, __u64 l4_off, __u32 l4_len,
					  __u32 family)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return tiu_decap_icmp(data, data_end, skb->ifindex, l4_off, l4_len, family);
}

SEC("tc")
int tiu_tc_decap(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct tiu_decap_info info;
	struct tiu_pkt p = {};
	void *data, *data_end;
	enum tiu_verdict v;

	tiu_tc_pull(skb, tiu_is_l3(ifindex), skb->protocol);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = tiu_decap_check(data, data_end, skb->len, tiu_is_l3(ifindex), skb->protocol, ifindex,
			    skb->gso_segs > 1, &p);
	if (v == TIU_V_DROP)
		return TC_ACT_SHOT;
	if (v == TIU_V_CONVERT) {
		tiu_decap_apply(&p, data_end, ifindex, &info);
		/* A CHECKSUM_COMPLETE sum must follow the bytes that changed
		 * (the IPv4 header's changes cancel out); a no-op otherwise. */
		__s64 diff = bpf_csum_diff(&info.old_words, sizeof(info.old_words),
					   &info.new_words, sizeof(info.new_words), 0);

		if (diff >= 0)
			bpf_csum_update(skb, (__wsum)diff);
	} else if (v == TIU_V_ICMP) {
		tiu_count(ifindex, tiu_tc_icmp(skb, p.l4_off, p.l4_len, p.family));
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
