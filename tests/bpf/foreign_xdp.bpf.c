// SPDX-License-Identifier: GPL-2.0
/* foreign_xdp.bpf.c - an XDP program that is not tiu's, for the tests that
 * tiu leaves other programs alone (tests/loader.t): passes everything. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int foreign_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
