/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe.h - what this kernel allows, probed once per question (probe.c).
 * Self-contained (libbpf only) so that the tests link the same probes.
 */
#ifndef TIU_PROBE_H
#define TIU_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Can tiu_tc read skb->ip_summed? It needs the bpf_cast_to_kern_ctx kfunc,
 * which the kernel resolves through its own BTF. Without it the compat TC
 * object sends every tunnelled TCP packet, control packets too, through the
 * detour.
 */
enum ip_summed_probe {
	IPS_READABLE, /* kernel BTF with bpf_cast_to_kern_ctx */
	IPS_NO_BTF,   /* no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF off) */
	IPS_NO_KFUNC, /* kernel BTF without the kfunc (before 6.2) */
	IPS_NO_KFUNC_CALL, /* the kfunc, but no JIT that calls kfuncs (s390x Debian) */
};
enum ip_summed_probe ip_summed_probe(void);
/* The reason in a few words, e.g. "no kernel BTF (/sys/kernel/btf/vmlinux)" */
const char *ip_summed_reason(enum ip_summed_probe p);
/* ip_summed_probe() == IPS_READABLE */
bool kernel_reads_ip_summed(void);
/* freplace (BPF_PROG_TYPE_EXT) allowed: libxdp's dispatcher can load.
 * 1 or 0; why gets one line for status. */
int freplace_probe(char *why, size_t len);

#endif /* TIU_PROBE_H */
