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

bool kernel_reads_ip_summed(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (libbpf_get_error(btf))
		return false;
	found = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}
