// SPDX-License-Identifier: GPL-2.0
/*
 * epgen.c - the endpoint table's generation (tiu_config.ep_gen). The
 * programs remember exact endpoints they found, per CPU, with the
 * generation they were found under (headers/tiu_match.h,
 * tiu_endpoint_exact()). A deletion must end every such memory of the
 * deleted element, and one made by a program run that is still going on:
 * the generation is made odd first (no entry is made or used under an odd
 * one), the elements are deleted, an RCU grace period passes (the programs
 * run within RCU read-side sections: XDP and TC with BH disabled), then the
 * generation becomes the next even value. A run that reads that value began
 * after the grace period began, so after the deletions: it cannot find, nor
 * remember, a deleted element. membarrier(MEMBARRIER_CMD_GLOBAL) is the
 * grace period user space can ask for (kernel/sched/membarrier.c:
 * synchronize_rcu() when more than one CPU is online); it fails with EINVAL
 * on nohz_full kernels and ENOSYS without CONFIG_MEMBARRIER, and then the
 * generation stays odd: the memo stays off (correct, each exact match
 * pays its hash lookup), and the caller is told. Additions need nothing:
 * only elements found are remembered.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <bpf/bpf.h>

#include "tiu_common.h"
#include "epgen.h"

static int epgen_set(int config_fd, bool odd)
{
	struct tiu_config cfg = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(config_fd, &key, &cfg))
		return -1;
	/* odd: the same odd value if it is odd already (an earlier run that
	 * ended early); even: the one after the odd value */
	cfg.ep_gen = odd ? cfg.ep_gen | 1 : (cfg.ep_gen | 1) + 1;
	return bpf_map_update_elem(config_fd, &key, &cfg, BPF_ANY) ? -1 : 0;
}

int epgen_begin(int config_fd)
{
	return epgen_set(config_fd, true);
}

int epgen_end(int config_fd, bool grace)
{
	if (grace && syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
		return 1;
	return epgen_set(config_fd, false);
}
