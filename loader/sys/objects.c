// SPDX-License-Identifier: GPL-2.0
/*
 * objects.c - the BPF objects embedded in `tiu` (skeletons), opened with the
 * pin directory so that their maps are pinned and shared by name.
 *
 * The TC object exists in two builds: tiu_tc reads skb->ip_summed through
 * the bpf_cast_to_kern_ctx kfunc; tiu_tc_compat does without and sends all
 * tunnelled TCP through the detour. The kernel's BTF decides: without any
 * (kernels built without CONFIG_DEBUG_INFO_BTF, as on many routers) the
 * compat object is what loads, and it needs none.
 */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "sys.h"
#include "tiu_xdp.skel.h"
#include "tiu_tc.skel.h"
#include "tiu_tc_compat.skel.h"

static int open_failed(const char *what, const char *ifname)
{
	return tiu_fail("%s: cannot open the embedded %s object: %s", ifname, what,
			tiu_libbpf_last());
}

int tc_obj_open(struct tc_obj *t, const char *pin_dir, const char *ifname,
		enum tiu_framing framing)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);

	memset(t, 0, sizeof(*t));
	t->why = ip_summed_probe();
	t->kfunc = t->why == IPS_READABLE;
	if (t->kfunc) {
		t->full = tiu_tc__open_opts(&opts);
		t->obj = t->full ? t->full->obj : NULL;
	} else {
		t->compat = tiu_tc_compat__open_opts(&opts);
		t->obj = t->compat ? t->compat->obj : NULL;
	}
	if (!t->obj)
		return open_failed(t->kfunc ? "tiu_tc" : "tiu_tc_compat", ifname);
	/* Where the IP header starts (enum tiu_framing): a constant for the
	 * verifier, so the programs spend nothing per packet on it. */
	if (t->full)
		t->full->rodata->tiu_framing = framing;
	else
		t->compat->rodata->tiu_framing = framing;
	tiu_obj_any_alignment(t->obj);
	t->egress = bpf_object__find_program_by_name(t->obj, TIU_PROG_TC_EGRESS);
	t->detour = bpf_object__find_program_by_name(t->obj, TIU_PROG_TC_DETOUR);
	t->decap = bpf_object__find_program_by_name(t->obj, TIU_PROG_TC_DECAP);
	if (!t->egress || !t->detour || !t->decap) {
		tc_obj_close(t);
		return tiu_fail("%s: the embedded TC object lacks one of %s, %s, %s: rebuild tiu",
				ifname, TIU_PROG_TC_EGRESS, TIU_PROG_TC_DETOUR, TIU_PROG_TC_DECAP);
	}
	return 0;
}

/* The interface's slot (tiu_common.h), a constant like the framing: the
 * programs index tiu_ifaces, tiu_stats and the port bits with it. */
void tc_obj_set_slot(struct tc_obj *t, __u32 slot)
{
	if (t->full)
		t->full->rodata->tiu_slot = slot;
	else
		t->compat->rodata->tiu_slot = slot;
}

int tc_obj_load(struct tc_obj *t, const char *ifname)
{
	int err = bpf_object__load(t->obj);

	if (err)
		return tiu_fail("%s: cannot load the TC programs: %s (%s; run with -v for the verifier log)",
				ifname, strerror(-err), tiu_libbpf_last());
	return 0;
}

void tc_obj_close(struct tc_obj *t)
{
	if (t->full)
		tiu_tc__destroy(t->full);
	if (t->compat)
		tiu_tc_compat__destroy(t->compat);
	memset(t, 0, sizeof(*t));
}

struct bpf_object *xdp_obj_open(struct tiu_xdp **skel, const char *pin_dir, const char *ifname,
				enum tiu_framing framing, __u32 slot)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);

	*skel = tiu_xdp__open_opts(&opts);
	if (!*skel) {
		open_failed("tiu_xdp", ifname);
		return NULL;
	}
	(*skel)->rodata->tiu_framing = framing;
	(*skel)->rodata->tiu_slot = slot;
	tiu_obj_any_alignment((*skel)->obj);
	return (*skel)->obj;
}

void xdp_obj_close(struct tiu_xdp *skel)
{
	tiu_xdp__destroy(skel);
}
