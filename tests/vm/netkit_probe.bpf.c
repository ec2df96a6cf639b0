// SPDX-License-Identifier: GPL-2.0
/*
 * netkit_probe.bpf.c - the VM lane's netkit probe (tests/vm/netkit_probe.c
 * attaches it, guest-tests.sh reads its counters).
 *
 * Runs as a netkit program (BPF_NETKIT_PRIMARY): netkit_xmit() runs it from
 * the device's ndo_start_xmit, i.e. after validate_xmit_skb() has segmented
 * and checksummed what the device's features do not cover. It records, for
 * every IPv4 TCP skb the device transmits, what a segmentation detour would
 * care about: GSO or not, ip_summed (bpf_cast_to_kern_ctx, 6.2+), the
 * largest length; then passes the skb on to the peer unchanged.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define NETKIT_PASS 0 /* enum netkit_action, include/uapi/linux/if_link.h */

/* One record; the order is what guest-tests.sh reads (u64 each). */
struct netkit_probe_stats {
	__u64 tcp;         /* IPv4 TCP skbs transmitted */
	__u64 gso;         /* ... of them with gso_segs > 1 */
	__u64 summed[4];   /* ... by ip_summed: NONE, UNNECESSARY, COMPLETE, PARTIAL */
	__u64 max_len;     /* the longest (skb->len, Ethernet header included) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct netkit_probe_stats);
} netkit_probe_stats SEC(".maps");

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct sk_buff___probe {
	__u8 ip_summed : 2;
} __attribute__((preserve_access_index));

SEC("tc")
int netkit_probe(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct netkit_probe_stats *st;
	struct sk_buff___probe *kskb;
	__u32 key = 0, summed;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_TCP)
		return NETKIT_PASS;
	st = bpf_map_lookup_elem(&netkit_probe_stats, &key);
	if (!st)
		return NETKIT_PASS;
	kskb = bpf_cast_to_kern_ctx(skb);
	summed = BPF_CORE_READ_BITFIELD(kskb, ip_summed) & 3;
	__sync_fetch_and_add(&st->tcp, 1);
	if (skb->gso_segs > 1)
		__sync_fetch_and_add(&st->gso, 1);
	__sync_fetch_and_add(&st->summed[summed], 1);
	if (skb->len > st->max_len)
		st->max_len = skb->len; /* racy across CPUs; a maximum, good enough */
	return NETKIT_PASS;
}

char LICENSE[] SEC("license") = "GPL";
