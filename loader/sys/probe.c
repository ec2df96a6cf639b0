// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - the kernel features tiu adapts to, asked of the kernel itself.
 * Used by the loader (object choice, status, --version) and linked by the
 * tests (tests/lib/harness.c), so both decide the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "probe.h"

/* the kernel's ENOTSUPP (524), which add_kfunc_call() returns; not in libc */
#define ENOTSUPP_KERNEL 524

/*
 * Can libxdp's dispatcher work here? It needs freplace (BPF_PROG_TYPE_EXT).
 * A minimal EXT load without a target fails with EINVAL where the type is
 * allowed, and with EPERM where the kernel refuses it outright.
 */
int freplace_probe(char *why, size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_EXT, "tiu_probe", "GPL", insns, 2, NULL);
	int err = fd < 0 ? errno : 0;

	if (fd >= 0)
		close(fd);
	if (err == EPERM) {
		snprintf(why, len, "kernel refuses freplace (EPERM): dispatcher cannot load");
		return 0;
	}
	snprintf(why, len, "freplace allowed");
	return 1;
}

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"

/*
 * A kfunc in the kernel's BTF is not yet a kfunc a program may call: the
 * verifier (add_kfunc_call() in kernel/bpf/verifier.c) refuses every kfunc
 * call without the JIT ("JIT is required for calling kernel function"), and
 * with a JIT that cannot emit them ("JIT does not support calling kernel
 * function"). Debian's s390x kernel, built for z10, has no eBPF JIT at all
 * (the s390 JIT needs z196 instructions). So: load the smallest program that
 * calls it. Only a refusal of the call itself counts (EPERM, not root, and
 * other errors leave the answer to the BTF).
 */
static bool kfunc_call_loads(int btf_id)
{
	struct bpf_insn insns[] = {
		/* r0 = bpf_cast_to_kern_ctx(r1 = ctx); r0 = 0; exit */
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = btf_id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "tiu_kfunc_probe", "GPL", insns, 3, NULL);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return errno != ENOTSUPP_KERNEL;
}

/*
 * The kernel's own BTF is what resolves a kfunc call at load time: a vmlinux
 * file with BTF elsewhere (which btf__load_vmlinux_btf() would also accept)
 * does not give the kernel one. So no KERNEL_BTF is "no BTF", whatever else
 * lies on disk.
 */
enum ip_summed_probe ip_summed_probe(void)
{
	struct btf *btf;
	int id;

	if (access(KERNEL_BTF, R_OK))
		return IPS_NO_BTF;
	btf = btf__parse(KERNEL_BTF, NULL);
	if (libbpf_get_error(btf))
		return IPS_NO_BTF;
	id = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC);
	btf__free(btf);
	if (id <= 0)
		return IPS_NO_KFUNC;
	return kfunc_call_loads(id) ? IPS_READABLE : IPS_NO_KFUNC_CALL;
}

const char *ip_summed_reason(enum ip_summed_probe p)
{
	switch (p) {
	case IPS_READABLE:
		return "bpf_cast_to_kern_ctx";
	case IPS_NO_BTF:
		return "no kernel BTF: " KERNEL_BTF " missing";
	case IPS_NO_KFUNC:
		return "no bpf_cast_to_kern_ctx";
	case IPS_NO_KFUNC_CALL:
		return "bpf_cast_to_kern_ctx not callable: no BPF JIT with kfunc calls";
	}
	return "?";
}

bool kernel_reads_ip_summed(void)
{
	return ip_summed_probe() == IPS_READABLE;
}
