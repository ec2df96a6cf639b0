/* SPDX-License-Identifier: GPL-2.0 */
/* objects.h - the embedded BPF objects (see objects.c). */
#ifndef TIU_OBJECTS_H
#define TIU_OBJECTS_H

#include <stdbool.h>
#include "tiu_common.h"
#include "probe.h"

struct tiu_tc;
struct tiu_tc_compat;
struct tiu_xdp;

struct tc_obj {
	struct tiu_tc *full;          /* with the kfunc, or */
	struct tiu_tc_compat *compat; /* without it */
	struct bpf_object *obj;
	struct bpf_program *egress, *detour, *decap;
	bool kfunc;
	enum ip_summed_probe why; /* probe.h: why kfunc is what it is */
};

/* framing: the interface's (framing.c), a constant in the programs. */
int tc_obj_open(struct tc_obj *t, const char *pin_dir, const char *ifname,
		enum tiu_framing framing);
/* slot: the interface's (up.c), a constant in the programs. */
void tc_obj_set_slot(struct tc_obj *t, __u32 slot);
int tc_obj_load(struct tc_obj *t, const char *ifname);
void tc_obj_close(struct tc_obj *t);

struct bpf_object *xdp_obj_open(struct tiu_xdp **skel, const char *pin_dir, const char *ifname,
				enum tiu_framing framing, __u32 slot);
void xdp_obj_close(struct tiu_xdp *skel);

#endif /* TIU_OBJECTS_H */
