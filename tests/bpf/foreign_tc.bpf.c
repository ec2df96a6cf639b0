// SPDX-License-Identifier: GPL-2.0
/* foreign_tc.bpf.c - a TC program that is not tiu's, for the tests that tiu
 * leaves other filters alone (tests/loader.t): TC_ACT_UNSPEC, the next
 * filter decides. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int foreign_tc(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
