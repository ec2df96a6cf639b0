// SPDX-License-Identifier: GPL-2.0
/*
 * tiu_tc.bpf.c - the TC programs, three of them.
 *
 *  tiu_tc_egress  clsact egress of the real interface: TCP -> UDP in place
 *                 when the checksum is complete; CHECKSUM_PARTIAL or GSO TCP
 *                 is redirected once to the segmentation detour.
 *  tiu_tc_detour  clsact ingress of the detour peer: each segment, now with a
 *                 complete checksum, -> UDP, then redirected to the real
 *                 interface's egress. Anything else is dropped, never looped.
 *  tiu_tc_decap   clsact ingress of the real interface: UDP -> TCP, for
 *                 devices or users that cannot use XDP (loaded only with
 *                 `tiu up --decap tc`).
 *
 * Each parses and checks once in its code (tiu_tc_check(): the check, and
 * after a pull the check again), the packet described by struct tiu_ctx
 * (docs/DESIGN.md "Verifier cost"). Egress and TC decap first try the
 * short way of a packet they pass (tiu_passes(), as XDP decap does), which
 * most of their packets take.
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

#define TIU_OFF_MASK 0x3ff /* offsets are <= TIU_ICMP_MAX_OFF (512) */

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

/*
 * The headers are parsed where they are: in the skb's linear part. Pulling
 * (bpf_skb_pull_data()) copies bytes out of the fragments into it, and on a
 * cloned skb first copies the whole head (pskb_expand_head()): every TCP
 * skb leaving a host is a clone (TCP keeps the original for retransmission)
 * and a GSO skb holds nothing but its headers in the linear part. So the
 * programs pull only when a header that decides lies beyond the linear part
 * (the checks return TIU_V_SHORT): the check runs once, and a second time
 * after the pull if it asked for it (tiu_tc_check()); the rest of the
 * program follows once.
 */

/* 1: more of the frame could be pulled into the linear part. */
static __always_inline int tiu_tc_can_pull(struct __sk_buff *skb)
{
	__u32 want = skb->len < TIU_TC_PULL_LEN ? skb->len : TIU_TC_PULL_LEN;

	return (long)skb->data + want > (long)skb->data_end;
}

static __always_inline void tiu_tc_pull(struct __sk_buff *skb)
{
	__u32 want = skb->len < TIU_TC_PULL_LEN ? skb->len : TIU_TC_PULL_LEN;

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

/* One option of the MSS clamp's walk (tiu_mss_step()); a global
 * subprogram: verified once, whatever the options before it. */
__attribute__((noinline)) int tiu_tc_mss_step(struct tiu_mss_walk *w)
{
	if (!w)
		return -1;
	return tiu_mss_step(w);
}

/*
 * The MSS clamp of tunnelled SYNs (struct tiu_mss_walk), for egress and the
 * detour, of the TCP header at l4_off, whose checksum is complete: the
 * options read with bpf_skb_load_bytes(), the two words written with
 * bpf_skb_store_bytes(). A static subprogram, not a global one: a global
 * one's struct __sk_buff * argument is the context only with the kernel's
 * BTF (btf_get_prog_ctx_type()); without it the verifier takes it for a
 * possibly-NULL memory pointer and refuses the context's fields. The
 * option walk stays in a global subprogram of its own (tiu_tc_mss_step(),
 * a stack pointer, which needs no kernel BTF). The callers call it for SYNs
 * on interfaces with a clamp only. 0 (clamped or nothing to do), or -1: the
 * skb could not be made writable, nothing or only the MSS value written
 * (the caller drops it).
 */
static __attribute__((noinline)) int tiu_tc_clamp_mss(struct __sk_buff *skb, __u64 l4_off,
						      __u32 slot, __u32 mss)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct tiu_mss_walk w = {};
	struct tiu_tcp20 *t;
	__u16 check, new;
	__u32 optlen;
	int found = 0;

	if (l4_off > TIU_ICMP_MAX_OFF || !mss || mss > 0xffff)
		return 0;
	/* the bound again after the check, on the register itself: kept by
	 * the verifier even where the compiler spilled l4_off before it (6.1) */
	barrier_var(l4_off);
	l4_off &= TIU_OFF_MASK;
	t = data + l4_off;
	if ((void *)(t + 1) > data_end || !(t->flags & TIU_TCP_FLAG_SYN))
		return 0;
	check = t->check;
	optlen = tiu_doff_bytes(t->doff_rsv);
	if (optlen <= TIU_L4_HDR_LEN)
		return 0;
	optlen -= TIU_L4_HDR_LEN;
	if (optlen > TIU_TCP_MAX_OPT) /* never: doff is 4 bits */
		return 0;
	w.optlen = optlen;
	if (bpf_skb_load_bytes(skb, l4_off + TIU_L4_HDR_LEN, w.opt, optlen))
		return 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < TIU_TCP_OPT_WALK && !found; i++) {
		found = tiu_tc_mss_step(&w);
		if (found < 0)
			return 0;
	}
	if (found != 1 || tiu_htons(w.mss) <= mss)
		return 0;
	new = tiu_htons(mss);
	check = tiu_mss_check(check, w.off, w.mss, new);
	if (bpf_skb_store_bytes(skb, l4_off + TIU_L4_HDR_LEN + w.off + 2, &new, sizeof(new), 0) ||
	    bpf_skb_store_bytes(skb, l4_off + offsetof(struct tiu_tcp20, check), &check,
				sizeof(check), 0))
		return -1;
	tiu_count(slot, TIU_STAT_ENC_MSS_CLAMPED);
	return 0;
}

/*
 * TCP -> UDP in place for egress: the bytes read through packet pointers,
 * written back through bpf_skb_store_bytes(). A program that writes packet
 * data directly gets the verifier's unclone prologue
 * (tc_cls_act_prologue() in net/core/filter.c: bpf_skb_pull_data(skb, 0) on
 * every cloned skb), which in tiu_tc_egress would cost a helper call for
 * every TCP skb leaving the interface - TCP's are clones, it keeps the
 * originals for retransmission - tunnelled or not (+40 ns each,
 * bench/clonecost.sh; docs/DESIGN.md "Matching, and what it costs"). No tail
 * call to a writing program either: a program that tail-calls and has
 * BPF-to-BPF calls (the MSS clamp) is refused by the interpreter and by
 * JITs without bpf_jit_supports_subprog_tailcalls() (docs/DESIGN.md "The VM
 * lanes of other CPUs").
 *
 * Every byte that changes lies between the protocol byte and the end of
 * the 20 L4 bytes. Where nothing else lies there but the addresses (IPv4
 * without options: protocol, header checksum, addresses, 31 bytes; IPv6
 * without extension headers: next header, hop limit, addresses, 54 bytes)
 * the span is written back whole, one helper call; otherwise the 20 L4
 * bytes, then the protocol byte (IPv4: with the header checksum after it,
 * 3 contiguous bytes). 0, or -1 (the caller drops it: enc_drop_no_memory).
 */
#define TIU_SPAN_V4 (sizeof(struct iphdr) - offsetof(struct iphdr, protocol) + TIU_L4_HDR_LEN)
#define TIU_SPAN_V6 (sizeof(struct ipv6hdr) - offsetof(struct ipv6hdr, nexthdr) + TIU_L4_HDR_LEN)

static __always_inline int tiu_tc_encap_store(struct __sk_buff *skb, const struct tiu_ctx *c,
					      __u32 slot)
{
	__u32 l3_off = c->l3_off, l4_off = c->l4_off, proto_off = c->proto_off;
	__u32 l4_len = c->l4_len, family = c->family;
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	__u8 span[TIU_SPAN_V6]; /* from the protocol byte on */
	struct tiu_pkt p = {};
	struct tiu_udp20 u;
	__u32 n = 1, span_len = 0;
	__u16 check;

	/* read in place (reading is not writing: no unclone prologue); the
	 * clamp's stores may have moved the data, so the pointers are made
	 * again from the offsets */
	if (tiu_ctx_pkt(c, data, data_end, &p))
		return -1;
	__builtin_memcpy(&u, p.l4, TIU_L4_HDR_LEN);
	tiu_wire_encode(&u, l4_len);
	span[0] = IPPROTO_UDP;
	if (family == 4) {
		check = tiu_ipv4_proto_csum(((struct iphdr *)p.l3)->check, IPPROTO_TCP, IPPROTO_UDP);
		__builtin_memcpy(span + 1, &check, sizeof(check));
		proto_off = l3_off + offsetof(struct iphdr, protocol);
		n = 3;
		if (l4_off == l3_off + sizeof(struct iphdr)) {
			/* addresses: within the header tiu_ctx_pkt() bounded */
			__builtin_memcpy(span + 3, p.l3 + TIU_V4_SADDR_OFF, 8);
			__builtin_memcpy(span + 11, &u, TIU_L4_HDR_LEN);
			span_len = TIU_SPAN_V4;
		}
	} else if (proto_off == l3_off + offsetof(struct ipv6hdr, nexthdr) &&
		   l4_off == l3_off + sizeof(struct ipv6hdr) &&
		   p.l3 + sizeof(struct ipv6hdr) <= data_end) {
		/* hop limit and addresses */
		__builtin_memcpy(span + 1, p.l3 + offsetof(struct ipv6hdr, hop_limit), 33);
		__builtin_memcpy(span + 34, &u, TIU_L4_HDR_LEN);
		span_len = TIU_SPAN_V6;
	}
	if (span_len) {
		if (bpf_skb_store_bytes(skb, proto_off, span, span_len, 0))
			return -1;
	} else if (bpf_skb_store_bytes(skb, l4_off, &u, TIU_L4_HDR_LEN, 0) ||
		   bpf_skb_store_bytes(skb, proto_off, span, n, 0)) {
		return -1;
	}
	tiu_count_bytes(slot, TIU_STAT_ENC_CONVERTED, TIU_STAT_ENC_BYTES, l4_off - l3_off + l4_len);
	return 0;
}

/*
 * The checks of the three programs: tiu_encap_check() or tiu_decap_check()
 * on the skb's linear part, c (struct tiu_ctx) filled for TIU_V_CONVERT and
 * TIU_V_ICMP, the verdict returned. Inlined, not global subprograms: a call
 * costs ~10 ns per packet here (docs/DESIGN.md "Verifier cost").
 */
/* The encapsulation check of egress (detour = 0) or the detour (1): a
 * constant in each caller, so each check below holds one. */
static __always_inline int tiu_tc_encap_check(struct __sk_buff *skb, struct tiu_ctx *c,
					      int detour)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct tiu_pkt p = {};
	enum tiu_verdict v;
	int parsed;

	/* the detour's frames are Ethernet whatever the interface's framing */
	parsed = tiu_ctx_parse(data, data_end, c, detour);
	if (parsed == TIU_PARSE_OK && tiu_ctx_parsed(c, data, &p))
		parsed = TIU_PARSE_BAD; /* never */
	v = tiu_encap_check(data_end, parsed, detour ? TIU_DETOUR_STATS : TIU_EGRESS_STATS, c,
			    detour ? NULL : skb, &p);
	if (v == TIU_V_CONVERT) {
		if (p.l4 + TIU_L4_HDR_LEN > data_end) /* checked by tiu_encap_check() */
			return detour ? TIU_V_DROP : TIU_V_PASS;
		c->tcp_flags = ((struct tiu_tcp20 *)p.l4)->flags;
	}
	return v;
}

static __always_inline int tiu_tc_egress_check(struct __sk_buff *skb, struct tiu_ctx *c)
{
	return tiu_tc_encap_check(skb, c, 0);
}

static __always_inline int tiu_tc_detour_check(struct __sk_buff *skb, struct tiu_ctx *c)
{
	return tiu_tc_encap_check(skb, c, 1);
}

static __always_inline int tiu_tc_decap_check(struct __sk_buff *skb, struct tiu_ctx *c)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct tiu_pkt p = {};
	int parsed = tiu_ctx_parse(data, data_end, c, 0);

	if (parsed == TIU_PARSE_OK && tiu_ctx_parsed(c, data, &p))
		parsed = TIU_PARSE_BAD; /* never */
	return tiu_decap_check(skb, data_end, parsed, c, &p);
}

/*
 * A program's check, with the pull of TIU_V_SHORT (and of an ICMP error
 * whose quote may lie beyond the linear part, decap): the skb's framing,
 * slot and lengths into c, check, and if asked pull and check again, with
 * nothing more to pull (c->can_pull = 0). What follows in the program is
 * written once, over c's offsets: its paths do not fork on the header
 * layout the check found, nor on whether it pulled.
 */
#define TIU_TC_EGRESS 0
#define TIU_TC_DETOUR 1
#define TIU_TC_DECAP 2

static __always_inline int tiu_tc_check(struct __sk_buff *skb, int prog, struct tiu_ctx *c)
{
	int v;

	c->frame_len = skb->len;
	c->l3_proto = skb->protocol;
	c->mark = skb->mark;
	c->is_gso = skb->gso_segs > 1;
	c->can_pull = tiu_tc_can_pull(skb);
	v = prog == TIU_TC_EGRESS ? tiu_tc_egress_check(skb, c)
	    : prog == TIU_TC_DETOUR ? tiu_tc_detour_check(skb, c)
	    : tiu_tc_decap_check(skb, c);
	if (v != TIU_V_SHORT && !(prog == TIU_TC_DECAP && v == TIU_V_ICMP && c->can_pull))
		return v;
	tiu_tc_pull(skb);
	c->can_pull = 0;
	return prog == TIU_TC_EGRESS ? tiu_tc_egress_check(skb, c)
	       : prog == TIU_TC_DETOUR ? tiu_tc_detour_check(skb, c)
	       : tiu_tc_decap_check(skb, c);
}

/*
 * The start of egress and TC decap on a real interface: its slot and
 * framing (w), then the check's verdict with c filled. TIU_V_PASS on a
 * device that is not tiu's (w not filled), and for a packet passed by the
 * short way (tiu_passes(), c not filled).
 */
static __always_inline int tiu_tc_begin(struct __sk_buff *skb, int prog, struct tiu_ctx *c,
					struct tiu_where *w)
{
	if (tiu_where(skb->ifindex, TIU_LINK_F_REAL, w) ||
	    tiu_passes((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len,
		       skb->protocol, skb->mark, w, prog == TIU_TC_EGRESS))
		return TIU_V_PASS;
	c->slot = w->slot;
	c->l3 = w->l3;
	return tiu_tc_check(skb, prog, c);
}

SEC("tc")
int tiu_tc_egress(struct __sk_buff *skb)
{
	struct tiu_iface *iface;
	struct tiu_ctx c = {};
	struct tiu_where w;
	__u32 mss = 0;
	int v;

	v = tiu_tc_begin(skb, TIU_TC_EGRESS, &c, &w);
	if (v == TIU_V_DROP)
		return TC_ACT_SHOT;
	if (v != TIU_V_CONVERT)
		return TC_ACT_OK;
	/* The interface's data (detour, MSS clamp): an array element, looked
	 * up once here (inlined by the verifier). */
	iface = bpf_map_lookup_elem(&tiu_ifaces, &w.slot);

	if (TIU_EGRESS_CSUM_UNKNOWN || skb->gso_segs > 1 || tiu_csum_partial(skb)) {
		/* Kernel segments and checksums it first (docs/DESIGN.md "The segmentation detour"). */
		if (!iface || !iface->detour_ifindex) {
			tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_DETOUR);
			return TC_ACT_SHOT;
		}
		if (w.l3 && tiu_push_eth(skb, c.family)) {
			tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_HEADROOM);
			return TC_ACT_SHOT;
		}
		tiu_count(w.slot, TIU_STAT_ENC_DETOURED);
		return bpf_redirect(iface->detour_ifindex, 0);
	}
	if (c.tcp_flags & TIU_TCP_FLAG_SYN && iface && iface->mss <= 0xffff)
		mss = iface->mss;
	if ((mss && tiu_tc_clamp_mss(skb, c.l4_off, w.slot, mss)) ||
	    tiu_tc_encap_store(skb, &c, w.slot)) {
		tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_MEMORY);
		return TC_ACT_SHOT;
	}
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
	void *data, *data_end;
	struct tiu_iface *iface;
	struct tiu_ctx c = {};
	struct tiu_pkt p = {};
	struct tiu_where w;
	__u32 out;
	int v;

	if (tiu_where(skb->ifindex, TIU_LINK_F_DETOUR, &w))
		return TC_ACT_SHOT; /* no slot, nothing to count in; tiu's loader sets it */
	iface = bpf_map_lookup_elem(&tiu_ifaces, &w.slot);
	if (!iface || !iface->ifindex) {
		tiu_count(w.slot, TIU_STAT_DET_DROP_UNEXPECTED);
		return TC_ACT_SHOT;
	}
	out = iface->ifindex;
	c.slot = w.slot;
	v = tiu_tc_check(skb, TIU_TC_DETOUR, &c);
	if (v != TIU_V_CONVERT) /* only tunnelled TCP is sent here; nothing else may leave */
		return TC_ACT_SHOT;
	if (skb->gso_segs > 1 || tiu_csum_partial(skb)) {
		tiu_count(w.slot, TIU_STAT_DET_DROP_NOT_SEGMENTED);
		return TC_ACT_SHOT;
	}
	if (c.tcp_flags & TIU_TCP_FLAG_SYN && iface->mss &&
	    tiu_tc_clamp_mss(skb, c.l4_off, w.slot, iface->mss)) {
		tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_MEMORY);
		return TC_ACT_SHOT;
	}
	/* The packet's pointers, after the clamp's helper calls too (they
	 * write in place: the offsets hold). */
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (tiu_ctx_pkt(&c, data, data_end, &p)) {
		tiu_count(w.slot, TIU_STAT_ENC_DROP_NO_MEMORY);
		return TC_ACT_SHOT;
	}
	/* Segments are the detour's own skbs (skb_segment()), not clones:
	 * direct writes, whose unclone prologue costs one test here. */
	tiu_encap_apply(&p, data_end, w.slot, TIU_DETOUR_STATS);
	/* To a raw-IP interface the kernel strips the Ethernet header on the
	 * way (__bpf_redirect_no_mac()): nothing to do here. */
	return bpf_redirect(out, 0);
}

/* ICMP errors about tunnelled packets (tiu_decap_icmp()); a static
 * subprogram (a global one needs the kernel's BTF to take the context, see
 * tiu_tc_clamp_mss()). The translation leaves the sum of
 * the bytes after the IP header as it was (tiu_icmp.h), so a CHECKSUM_COMPLETE
 * skb->csum needs no update. */
static __attribute__((noinline)) int tiu_tc_icmp(struct __sk_buff *skb, __u64 l4_off,
						 __u32 l4_len, __u32 family, __u32 slot)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	return tiu_decap_icmp(data, data_end, slot, l4_off, l4_len, family);
}

SEC("tc")
int tiu_tc_decap(struct __sk_buff *skb)
{
	struct tiu_decap_info info;
	void *data, *data_end;
	struct tiu_ctx c = {};
	struct tiu_pkt p = {};
	struct tiu_where w;
	int v;

	v = tiu_tc_begin(skb, TIU_TC_DECAP, &c, &w);
	if (v == TIU_V_DROP)
		return TC_ACT_SHOT;
	if (v == TIU_V_CONVERT) {
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		if (tiu_ctx_pkt(&c, data, data_end, &p)) {
			tiu_count(w.slot, TIU_STAT_DEC_SKIP_UNPARSED); /* never */
			return TC_ACT_OK;
		}
		tiu_decap_apply(&p, data_end, w.slot, &info);
		/* A CHECKSUM_COMPLETE sum must follow every byte that changed:
		 * the two L4 words and, for IPv6, the next-header byte, which
		 * no header checksum balances (the IPv4 header's two changes
		 * cancel out); a no-op otherwise. */
		if (tiu_csum_complete(skb))
			bpf_csum_update(skb, tiu_words_diff(info.old_words, info.new_words) +
						     info.l3_diff);
	} else if (v == TIU_V_ICMP) {
		tiu_count(w.slot, tiu_tc_icmp(skb, c.l4_off, c.l4_len, c.family, w.slot));
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
