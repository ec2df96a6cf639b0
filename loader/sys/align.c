// SPDX-License-Identifier: GPL-2.0
/*
 * align.c - tiu_obj_any_alignment(), for the loader (objects.c) and the
 * tests' harness alike: every program of obj loads with
 * BPF_F_ANY_ALIGNMENT. A kernel without CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS
 * (mips before R6, 32-bit ARM before v6, ...) verifies with strict alignment (bpf_check(): strict_alignment),
 * and check_pkt_ptr_alignment() then refuses any packet access of 2 bytes
 * or more at an offset whose low bits it cannot prove, counting
 * NET_IP_ALIGN as 2: every header after a VLAN tag, IP options or an IPv6
 * extension header. The accesses are aligned on the wire's own layout
 * (NET_IP_ALIGN puts an Ethernet frame's IP header on 4 bytes; VLAN tags,
 * IPv4 and IPv6 header lengths are multiples of 4), and such a CPU's kernel
 * emulates the rare one that is not. A no-op where unaligned access is
 * efficient. See docs/DESIGN.md "The VM lanes of other CPUs".
 */
#include <bpf/libbpf.h>

#include "align.h"

void tiu_obj_any_alignment(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_flags(p, bpf_program__flags(p) | BPF_F_ANY_ALIGNMENT);
}
