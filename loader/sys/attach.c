// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - putting tiu's programs on an interface and finding them again.
 *
 * TC: libbpf's bpf_tc_* on clsact, always at (TIU_TC_HANDLE, TIU_TC_PRIO).
 * A filter at tiu's handle/priority whose program is not tiu's is never
 * replaced or deleted. An existing clsact qdisc is used as it is and never
 * removed. The one thing the kernel cannot tell is who created a clsact
 * qdisc: when tiu creates one, tc_attach leaves a note in the run-state
 * directory of the namespace (/run/tiu/netns-ID/IFINDEX.clsact), and
 * tc_clsact_release removes the qdisc only with that note and only when no
 * filter is left on it.
 * XDP: libxdp, so that tiu_xdp_decap joins the multiprog dispatcher where
 * the kernel allows freplace, and otherwise is attached alone (libxdp's
 * legacy mode). Everything is found again from kernel state (program names
 * on the interface), so `down` works after a crash of `up`.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pkt_sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "sys.h"

static bool is_tiu_prog(const char *name)
{
	return !strcmp(name, TIU_PROG_XDP_DECAP) || !strcmp(name, TIU_PROG_TC_EGRESS) ||
	       !strcmp(name, TIU_PROG_TC_DETOUR) || !strcmp(name, TIU_PROG_TC_DECAP);
}

static void prog_name_by_id(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(name, len, "?");
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(name, len, "%s", info.name);
	close(fd);
}

/* ---- TC ---- */

static void tc_hook(__u32 ifindex, bool egress, struct bpf_tc_hook *hook)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = (int)ifindex;
	hook->attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

static void clsact_note_path(const char *run_dir, __u32 ifindex, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.clsact", run_dir, ifindex);
}

/* Remember that tiu created the clsact qdisc of ifindex. */
static void clsact_note(const char *run_dir, __u32 ifindex)
{
	char path[PATH_MAX], *slash;
	int fd;

	clsact_note_path(run_dir, ifindex, path, sizeof(path));
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(TIU_RUN_DIR, 0755);
	mkdir(path, 0755);
	*slash = '/';
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		tiu_warn("%s: %s: `tiu down` will leave the clsact qdisc in place", path, strerror(errno));
	else
		close(fd);
}

/* Attach prog at tiu's handle/priority. note: where to note a clsact qdisc
 * that tiu creates (NULL: no note, for the detour, which goes as a whole). */
int tc_attach(__u32 ifindex, bool egress, const struct bpf_program *prog,
	      const char *ifname, const char *run_dir)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TIU_TC_HANDLE, .priority = TIU_TC_PRIO,
		    .prog_fd = bpf_program__fd(prog));
	const char *dir = egress ? "egress" : "ingress";
	struct bpf_tc_hook hook;
	int err;

	tc_hook(ifindex, egress, &hook);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return tiu_fail("%s: cannot add a clsact qdisc: %s", ifname, strerror(-err));
	if (!err && run_dir)
		clsact_note(run_dir, ifindex);
	err = bpf_tc_attach(&hook, &opts);
	if (err == -EEXIST)
		return tiu_fail("%s: a TC %s filter already sits at tiu's pref %u handle 0x%x: remove it (`tc filter del dev %s %s pref %u`)",
				ifname, dir, TIU_TC_PRIO, TIU_TC_HANDLE, ifname, dir, TIU_TC_PRIO);
	if (err)
		return tiu_fail("%s: cannot attach %s to TC %s: %s", ifname,
				bpf_program__name(prog), dir, strerror(-err));
	return 0;
}

/* 1 and info filled if a filter sits at tiu's handle/priority, 0 if none. */
int tc_query(__u32 ifindex, bool egress, struct tc_info *info)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TIU_TC_HANDLE, .priority = TIU_TC_PRIO);
	struct bpf_tc_hook hook;

	memset(info, 0, sizeof(*info));
	tc_hook(ifindex, egress, &hook);
	if (bpf_tc_query(&hook, &opts) || !opts.prog_id)
		return 0;
	info->prog_id = opts.prog_id;
	prog_name_by_id(opts.prog_id, info->name, sizeof(info->name));
	info->ours = is_tiu_prog(info->name);
	return 1;
}

/* Remove tiu's filter, if there is one. 1: removed, 0: none. */
int tc_detach(__u32 ifindex, bool egress)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TIU_TC_HANDLE, .priority = TIU_TC_PRIO);
	struct bpf_tc_hook hook;
	struct tc_info info;
	int err;

	if (!tc_query(ifindex, egress, &info))
		return 0;
	if (!info.ours) {
		tiu_warn("ifindex %u: the TC filter at tiu's pref %u is %s (id %u), not tiu's: left alone",
			 ifindex, TIU_TC_PRIO, info.name, info.prog_id);
		return 0;
	}
	tc_hook(ifindex, egress, &hook);
	err = bpf_tc_detach(&hook, &opts);
	if (err && err != -ENOENT)
		return tiu_fail("ifindex %u: cannot remove TC filter %s: %s", ifindex, info.name,
				strerror(-err));
	return 1;
}

static bool tc_hook_empty(__u32 ifindex)
{
	return nl_count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)) == 0 &&
	       nl_count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)) == 0;
}

/* The clsact qdisc of ifindex, if tiu's note says tiu created it and no
 * filter is left: remove it, and the note. 1: removed, 0: not. */
int tc_clsact_release(const char *run_dir, __u32 ifindex)
{
	struct bpf_tc_hook hook;
	char note[PATH_MAX];
	int removed = 0;

	clsact_note_path(run_dir, ifindex, note, sizeof(note));
	if (access(note, F_OK))
		return 0;
	if (tc_hook_empty(ifindex)) {
		tc_hook(ifindex, true, &hook);
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		removed = !bpf_tc_hook_destroy(&hook);
	}
	unlink(note);
	*strrchr(note, '/') = '\0';
	rmdir(note); /* the namespace's note directory, if now empty */
	return removed;
}

/* ---- XDP ---- */

const char *xdp_mode_name(int mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE: return "native";
	case XDP_MODE_SKB: return "skb";
	case XDP_MODE_HW: return "hw";
	default: return "unknown";
	}
}

static void xdp_note_prog(struct xdp_program *prog, struct xdp_info *info)
{
	const char *name = xdp_program__name(prog);

	if (!strcmp(name, TIU_PROG_XDP_DECAP)) {
		info->prog_id = xdp_program__id(prog);
	} else if (!info->other_id) {
		info->other_id = xdp_program__id(prog);
		snprintf(info->other_name, sizeof(info->other_name), "%s", name);
	}
}

/* What is attached to the interface's XDP hook. 0, or -errno. */
int xdp_query(__u32 ifindex, struct xdp_info *info)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	struct xdp_program *prog;
	long err = libxdp_get_error(mp);

	memset(info, 0, sizeof(*info));
	if (err)
		return err == -ENOENT ? 0 : (int)err;
	info->mode = xdp_multiprog__attach_mode(mp);
	info->dispatcher = !xdp_multiprog__is_legacy(mp);
	if (info->dispatcher) {
		info->n_progs = xdp_multiprog__program_count(mp);
		for (prog = xdp_multiprog__next_prog(NULL, mp); prog;
		     prog = xdp_multiprog__next_prog(prog, mp))
			if (!strcmp(xdp_program__name(prog), TIU_PROG_XDP_DECAP))
				info->prog_id = xdp_program__id(prog);
	} else if ((prog = xdp_multiprog__main_prog(mp))) {
		info->n_progs = 1;
		xdp_note_prog(prog, info);
	}
	xdp_multiprog__close(mp);
	return 0;
}

static int xdp_attach_mode(struct xdp_program *prog, __u32 ifindex, const char *ifname,
			   enum xdp_attach_mode mode)
{
	char msg[256];
	int err = xdp_program__attach(prog, (int)ifindex, mode, 0);

	if (!err)
		return 0;
	libxdp_strerror(err, msg, sizeof(msg));
	if (mode == XDP_MODE_NATIVE)
		return tiu_fail("%s: native XDP attach failed: %s (%s): try --xdp-mode skb",
				ifname, msg, tiu_libbpf_last());
	return tiu_fail("%s: XDP attach in skb mode failed: %s (%s)", ifname, msg, tiu_libbpf_last());
}

/* Load (through libxdp) and attach tiu_xdp_decap of obj. */
int xdp_attach(struct bpf_object *obj, __u32 ifindex, const char *ifname, enum xdp_mode_opt mode)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = obj, .prog_name = TIU_PROG_XDP_DECAP);
	struct xdp_program *prog = xdp_program__create(&opts);
	int err;

	if (libxdp_get_error(prog))
		return tiu_fail("%s: cannot prepare %s: %s", ifname, TIU_PROG_XDP_DECAP,
				strerror(-(int)libxdp_get_error(prog)));
	if (mode == XDPM_SKB) {
		err = xdp_attach_mode(prog, ifindex, ifname, XDP_MODE_SKB);
	} else if (mode == XDPM_NATIVE) {
		err = xdp_attach_mode(prog, ifindex, ifname, XDP_MODE_NATIVE);
	} else {
		err = xdp_program__attach(prog, (int)ifindex, XDP_MODE_NATIVE, 0);
		if (err) {
			tiu_warn("%s: native XDP not available (%s): using skb (generic) mode",
				 ifname, tiu_libbpf_last());
			err = xdp_attach_mode(prog, ifindex, ifname, XDP_MODE_SKB);
		}
	}
	xdp_program__close(prog);
	return err;
}

/* Remove tiu_xdp_decap from the interface (from the dispatcher, or the
 * single program). 1: removed, 0: not there. */
int xdp_detach(__u32 ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	struct xdp_program *prog = NULL, *p;
	int err;

	if (libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), TIU_PROG_XDP_DECAP))
			prog = p;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), TIU_PROG_XDP_DECAP))
				prog = p;
	}
	err = prog ? xdp_program__detach(prog, (int)ifindex, xdp_multiprog__attach_mode(mp), 0) : 0;
	xdp_multiprog__close(mp);
	if (err)
		return tiu_fail("ifindex %u: cannot detach %s: %s", ifindex, TIU_PROG_XDP_DECAP,
				strerror(-err));
	return prog ? 1 : 0;
}
