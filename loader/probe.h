/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe.h - what this kernel allows, probed once per question (probe.c).
 * Self-contained (libbpf only) so that the tests link the same probes.
 */
#ifndef TIU_PROBE_H
#define TIU_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* bpf_cast_to_kern_ctx in vmlinux BTF: tiu_tc can read skb->ip_summed. */
bool kernel_reads_ip_summed(void);
/* freplace (BPF_PROG_TYPE_EXT) allowed: libxdp's dispatcher can load.
 * 1 or 0; why gets one line for status. */
int freplace_probe(char *why, size_t len);

#endif /* TIU_PROBE_H */
