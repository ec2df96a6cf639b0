/* SPDX-License-Identifier: GPL-2.0 */
/*
 * align.h - loading tiu's BPF objects on CPUs that check packet alignment
 * strictly (align.c). Self-contained (libbpf only) so that the tests load
 * the objects the same way.
 */
#ifndef TIU_ALIGN_H
#define TIU_ALIGN_H

struct bpf_object;

/* Every program of obj loads with BPF_F_ANY_ALIGNMENT (align.c says why). */
void tiu_obj_any_alignment(struct bpf_object *obj);

#endif /* TIU_ALIGN_H */
