/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_gro.h - is a tunnelled datagram at XDP a GRO aggregate? (XDP only)
 *
 * Generic XDP runs after GRO (docs/DESIGN.md "UDP GRO before decap"): a
 * device stacked on the one that ran GRO (macvlan, VLAN, PPP over PPPoE) or
 * a veth fed by a router's forwarding hands its program the aggregate of
 * several datagrams, linearised into one frame whose IP and UDP lengths
 * were rewritten to fit it (udp4_gro_complete()), so tiu_decap_check()'s
 * length check passes it. The program cannot read the skb's GSO state; what
 * it can see is an IP packet longer than the device's MTU, which no single
 * datagram received on that device is. An aggregate of small datagrams that
 * fits the MTU passes this test: `tiu up` turns the GRO features off for
 * that (loader/ethtool.c).
 */
#ifndef TIU_GRO_H
#define TIU_GRO_H

#include "tiu_datapath.h"

/* 1: p (accepted by tiu_decap_check()) is longer than ctx's device's MTU. */
static __always_inline int tiu_xdp_aggregate(struct xdp_md *ctx, const struct tiu_pkt *p)
{
	__u32 mtu = 0;

	/* *mtu_len 0 in: the device's MTU out (bpf_xdp_check_mtu()) */
	if (bpf_check_mtu(ctx, 0, &mtu, 0, 0) < 0 || !mtu)
		return 0;
	return tiu_l3_bytes(p) > mtu;
}

#endif /* TIU_GRO_H */
