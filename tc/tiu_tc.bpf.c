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
#define TIU_CHECKSUM_COMPLETE 2 /* include/linux/skbuff.h */
#define TIU_CHECKSUM_PARTIAL 3

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

/* 1: skb->csum holds the sum of the packet (CHECKSUM_COMPLETE), which the
 * decapsulation must follow; otherwise bpf_csum_update() would be a no-op
 * and its call is saved. */
static __always_inline int tiu_csum_complete(struct __sk_buff *skb)
{
	struct sk_buff___tiu *kskb = bpf_cast_to_kern_ctx(skb);

	return BPF_CORE_READ_BITFIELD(kskb, ip_summed) == TIU_CHECKSUM_COMPLETE;
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

/* Cannot tell: bpf_csum_update() itself does nothing unless it is COMPLETE. */
static __always_inline int tiu_csum_complete(struct __sk_buff *skb)
{
	return 1;
}
#define TIU_EGRESS_CSUM_UNKNOWN 1
#endif

/* The change of a one's complement sum when the two 16-bit words in old
 * become those in new (as tiu_wire_decode() gives them): congruent mod
 * 0xffff to what bpf_csum_diff() would return, without its helper call. */
static __always_inline __wsum tiu_words_diff(__u32 old, __u32 new)
{
	return (__wsum)((__u16)~old + (__u16)~(old >> 16) + (new & 0xffff) + (new >> 16));
}

static __always_inline void tiu_tc_pull(struct __sk_buff *skb)
{
	__u32 want = skb->len < TIU_TC_PULL_LEN ? skb->len : TIU_TC_PULL_LEN;

	if ((long)skb->data + want > (long)skb->data_end)
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
__attribute__((noinline)) int tiu_tc_clamp_mss(struct __sk_buff *skb, __u64 l4_off, __u32 slot,
					       __u32 mss)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return tiu_encap_clamp_mss(data, data_end, l4_off, slot, mss);
}

SEC("tc")
int tiu_tc_egress(struct __sk_buff *skb)
{
	struct tiu_iface *iface;
	struct tiu_pkt p = {};
	void *data, *data_end;
	enum tiu_verdict v;
	struct tiu_where w;

	if (tiu_where(skb->ifindex, TIU_LINK_F_REAL, &w))
		return TC_ACT_OK;
	/* The interface's data (mark selector, detour, MSS clamp): an array
	 * element, looked up once (inlined by the verifier). */
	iface = bpf_map_lookup_elem(&tiu_ifaces, &w.slot);
	tiu_tc_pull(skb);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = tiu_encap_check(data, data_end, skb->len, w.l3, skb->protocol, w.slot, iface, skb->mark,
			    TIU_EGRESS_STATS, &p);
	if (v == TIU_V_PASS)
		return TC_ACT_OK;
	if (v == TIU_V_DROP)
		return TC_ACT_SHOT;

	if (TIU_EGRESS_CSUM_UNKNOWN || skb->gso_segs > 1 || tiu_csum_partial(skb)) {
		/* Kernel segments and checksums it first (docs/DESIGN.md "The segmentation detour"). */
		if (!iface || !iface->detour_ifindex) {
			tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_DETOUR);
			return TC_ACT_SHOT;
		}
		if (w.l3 && tiu_push_eth(skb, p.family)) {
			tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_HEADROOM);
			return TC_ACT_SHOT;
		}
		tiu_count(w.slot, TIU_STAT_ENC_DETOURED);
		return bpf_redirect(iface->detour_ifindex, 0);
	}
	if (((struct tiu_tcp20 *)p.l4)->flags & TIU_TCP_FLAG_SYN && iface && iface->mss)
		tiu_tc_clamp_mss(skb, p.l4_off, w.slot, iface->mss);
	tiu_encap_apply(&p, data_end, w.slot, TIU_EGRESS_STATS);
	return TC_ACT_OK;
}

/*
 * The detour runs in the object of its real interface (the same load, the
 * same tiu_slot) and sends segments to that interface, tiu_ifaces[slot].
 * A segment selected by mark still carries it here: skb->mark survives
 * bpf_redirect() into the veth (__bpf_redirect_common() and
 * dev_queue_xmit() keep it), the veth's forward to its peer in the same
 * network namespace (veth_xmit() -> __dev_forward_skb() ->
 * skb_scrub_packet(skb, xnet = false), which clears the mark only across
 * namespaces), and the segmentation in between (skb_segment() gives every
 * segment the GSO skb's header fields through __copy_skb_header(), mark
 * included). See docs/DESIGN.md "Endpoints".
 */
SEC("tc")
int tiu_tc_detour(struct __sk_buff *skb)
{
	struct tiu_iface *iface;
	struct tiu_pkt p = {};
	void *data, *data_end;
	enum tiu_verdict v;
	struct tiu_where w;
	__u32 out;

	if (tiu_where(skb->ifindex, TIU_LINK_F_DETOUR, &w))
		return TC_ACT_SHOT; /* no slot, nothing to count in; tiu's loader sets it */
	iface = bpf_map_lookup_elem(&tiu_ifaces, &w.slot);
	if (!iface || !iface->ifindex) {
		tiu_count(w.slot, TIU_STAT_DET_DROP_UNEXPECTED);
		return TC_ACT_SHOT;
	}
	out = iface->ifindex;

	tiu_tc_pull(skb);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = tiu_encap_check(data, data_end, skb->len, 0, 0, w.slot, iface, skb->mark,
			    TIU_DETOUR_STATS, &p);
	if (v != TIU_V_CONVERT) /* only tunnelled TCP is sent here; nothing else may leave */
		return TC_ACT_SHOT;
	if (skb->gso_segs > 1 || tiu_csum_partial(skb)) {
		tiu_count(w.slot, TIU_STAT_DET_DROP_NOT_SEGMENTED);
		return TC_ACT_SHOT;
	}
	if (((struct tiu_tcp20 *)p.l4)->flags & TIU_TCP_FLAG_SYN && iface->mss)
		tiu_tc_clamp_mss(skb, p.l4_off, w.slot, iface->mss);
	tiu_encap_apply(&p, data_end, w.slot, TIU_DETOUR_STATS);
	/* To a raw-IP interface the kernel strips the Ethernet header on the
	 * way (__bpf_redirect_no_mac()): nothing to do here. */
	return bpf_redirect(out, 0);
}

/* ICMP errors about tunnelled packets (tiu_decap_icmp()); a global
 * subprogram: verified once, on its own. The translation leaves the sum of
 * the bytes after the IP header as it was (tiu_icmp.h), so a CHECKSUM_COMPLETE
 * skb->csum needs no update. */
__attribute__((noinline)) int tiu_tc_icmp(struct __sk_buff *skb, __u64 l4_off, __u32 l4_len,
					  __u32 family, __u32 slot)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return tiu_decap_icmp(data, data_end, slot, l4_off, l4_len, family);
}

SEC("tc")
int tiu_tc_decap(struct __sk_buff *skb)
{
	struct tiu_decap_info info;
	struct tiu_pkt p = {};
	void *data, *data_end;
	enum tiu_verdict v;
	struct tiu_where w;

	if (tiu_where(skb->ifindex, TIU_LINK_F_REAL, &w))
		return TC_ACT_OK;
	tiu_tc_pull(skb);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	v = tiu_decap_check(data, data_end, skb->len, w.l3, skb->protocol, w.slot,
			    skb->gso_segs > 1, &p);
	if (v == TIU_V_DROP)
		return TC_ACT_SHOT;
	if (v == TIU_V_CONVERT) {
		tiu_decap_apply(&p, data_end, w.slot, &info);
		/* A CHECKSUM_COMPLETE sum must follow the bytes that changed
		 * (the IPv4 header's changes cancel out); a no-op otherwise. */
		if (tiu_csum_complete(skb))
			bpf_csum_update(skb, tiu_words_diff(info.old_words, info.new_words));
	} else if (v == TIU_V_ICMP) {
		tiu_count(w.slot, tiu_tc_icmp(skb, p.l4_off, p.l4_len, p.family, w.slot));
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
