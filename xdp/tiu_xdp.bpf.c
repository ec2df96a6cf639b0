// SPDX-License-Identifier: GPL-2.0
/*
 * tiu_xdp.bpf.c - decapsulation (UDP -> TCP) on the XDP hook.
 *
 * The only program of this object: libxdp's single-program fallback loads
 * every program of an object as XDP, and `xdp-loader load -p DIR IFACE
 * tiu_xdp.bpf.o` must attach exactly this one, sharing tiu's pinned maps.
 */
#include "tiu_datapath.h"
#include "tiu_gro.h"
#include <xdp/xdp_helpers.h>

/* libxdp dispatcher: our slot, and continue to the next program on XDP_PASS
 * (everything that is not a tunnelled packet, and every restored one). */
struct {
	__uint(priority, TIU_XDP_PRIORITY);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(tiu_xdp_decap);

/* ICMP errors about tunnelled packets (tiu_decap_icmp()); a static
 * subprogram, not a global one: a global one's struct xdp_md * argument is
 * the context only with the kernel's BTF (btf_get_prog_ctx_type()); without
 * it the verifier takes it for a possibly-NULL memory pointer and refuses
 * ctx->data. */
static __attribute__((noinline)) int tiu_xdp_icmp(struct xdp_md *ctx, __u64 l4_off,
						  __u32 l4_len, __u32 family, __u32 slot)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return tiu_decap_icmp(data, data_end, slot, l4_off, l4_len, family);
}

/* tiu_ctx_parse() and tiu_decap_check() of the frame, c filled for
 * TIU_V_CONVERT and TIU_V_ICMP (struct tiu_ctx). Inlined: as a global
 * subprogram it was verified alone, ~10 ns per packet dearer here
 * (docs/DESIGN.md "Verifier cost"). */
static __always_inline int tiu_xdp_check(struct xdp_md *ctx, struct tiu_ctx *c)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct tiu_pkt p = {};
	int parsed = tiu_ctx_parse(data, data_end, c, 0);

	if (parsed == TIU_PARSE_OK && tiu_ctx_parsed(c, data, &p))
		parsed = TIU_PARSE_BAD; /* never */
	return tiu_decap_check(ctx, data_end, parsed, c, &p);
}

SEC("xdp")
int tiu_xdp_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct tiu_decap_info info;
	struct tiu_ctx c = {};
	struct tiu_pkt p = {};
	struct tiu_where w;
	int v;

	/* tiu_slot set: a constant. Attached by xdp-loader alone: the slot of
	 * ctx->ingress_ifindex, or not an interface of tiu's (pass, uncounted). */
	if (tiu_where(ctx->ingress_ifindex, TIU_LINK_F_REAL, &w))
		return XDP_PASS;
	/* Most of what arrives is no tunnel's: the short way (tiu_passes();
	 * the frame is all in data..data_end, no fragments in this program). */
	if (tiu_passes(data, data_end, data_end - data, 0, 0, &w, 0))
		return XDP_PASS;
	/* Native XDP runs before GRO; generic XDP after it, where an
	 * aggregate longer than the MTU is caught below (tiu_gro.h). A
	 * restored packet needs no more: XDP has no skb checksum state (a NIC's
	 * COMPLETE sum goes stale: docs/DESIGN.md "Receive checksums after an
	 * XDP rewrite", which says what that costs on which NICs). On a
	 * raw-IP interface (generic XDP, or tun's own hook) the frame starts at
	 * the IP header and its version nibble gives the family (l3_proto 0). */
	c.slot = w.slot;
	c.l3 = w.l3;
	c.frame_len = data_end - data;
	v = tiu_xdp_check(ctx, &c);
	if (v == TIU_V_DROP)
		return XDP_DROP;
	if (v == TIU_V_CONVERT) {
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		if (tiu_ctx_pkt(&c, data, data_end, &p)) {
			tiu_count(w.slot, TIU_STAT_DEC_SKIP_UNPARSED); /* never */
			return XDP_PASS;
		}
		if (tiu_xdp_aggregate(ctx, &p)) { /* generic XDP, after GRO */
			tiu_count(w.slot, TIU_STAT_DEC_SKIP_GSO);
			return XDP_PASS;
		}
		tiu_decap_apply(&p, data_end, w.slot, &info);
	} else if (v == TIU_V_ICMP) {
		tiu_count(w.slot, tiu_xdp_icmp(ctx, c.l4_off, c.l4_len, c.family, w.slot));
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
