// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_count.bpf.c - the "other" XDP program of the stock-kernel lane.
 *
 * It stands for whatever XDP program a user already runs on an interface
 * when tiu arrives: it counts every packet it sees and passes it on. Under
 * libxdp's dispatcher it runs before tiu (priority 10 < TIU_XDP_PRIORITY)
 * and lets the dispatcher continue on XDP_PASS, so one packet moves both its
 * counter and tiu's statistics.
 *
 * The counter is a one-entry array pinned by name: `xdp-loader load -p DIR`
 * pins it as DIR/vm_xdp_count, where the tests read it with bpftool.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vm_xdp_count SEC(".maps");

struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_count);

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *packets = bpf_map_lookup_elem(&vm_xdp_count, &key);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
