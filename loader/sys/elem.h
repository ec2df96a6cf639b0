/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elem.h - adding an element to a hash map that allocates as it goes
 * (BPF_F_NO_PREALLOC: tiu_endpoints), on every kernel (elem.c).
 * Self-contained (libbpf only) so that the tests add elements the same way.
 */
#ifndef TIU_ELEM_H
#define TIU_ELEM_H

#include <linux/types.h>

/* bpf_map_update_elem(), tried again while the kernel answers ENOMEM for a
 * moment (elem.c says why), at most about a second. 0, or -1 with errno. */
int elem_update(int fd, const void *key, const void *value, __u64 flags);

#endif /* TIU_ELEM_H */
