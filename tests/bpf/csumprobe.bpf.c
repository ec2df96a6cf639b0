// SPDX-License-Identifier: GPL-2.0
/*
 * csumprobe.bpf.c - what the stack will believe about a received packet's
 * checksum, seen after every TC ingress program (tests/realskb.t, through
 * tests/tools/realskb.c).
 *
 * A socket filter on a packet socket bound to one protocol (ETH_P_IP or
 * ETH_P_IPV6) of a device: __netif_receive_skb_core() hands such sockets
 * the skb after the ingress hook (sch_handle_ingress()) ran, in the same
 * pass over ptype_base that reaches ip_rcv()/ipv6_rcv(), and packet_rcv()
 * runs the filter (run_filter()) with skb->data at the network header (a
 * SOCK_DGRAM socket pushes nothing back), which is where a
 * CHECKSUM_COMPLETE skb->csum starts. The program copies the checksum state
 * (ip_summed, csum, csum_complete_sw, read through bpf_cast_to_kern_ctx)
 * and the first PROBE_SNAP bytes into a ring buffer, and returns 0: the
 * socket queues nothing. User space recomputes the sum from the bytes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define PROBE_SNAP 2048

/* The record; tests/tools/realskb.c has the same layout. */
struct probe_rec {
	__u32 len;      /* skb->len */
	__u32 caplen;   /* bytes in data (0: could not be read) */
	__u32 csum;     /* skb->csum (meaningful for CHECKSUM_COMPLETE) */
	__u8 ip_summed; /* CHECKSUM_NONE 0, UNNECESSARY 1, COMPLETE 2, PARTIAL 3 */
	__u8 complete_sw; /* csum_complete_sw: the sum was computed in software */
	__u8 pad[2];
	__u8 data[PROBE_SNAP];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} probe_rb SEC(".maps");

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct sk_buff___probe {
	__u8 ip_summed : 2;
	__u8 csum_complete_sw : 1;
	union {
		__wsum csum;
		struct {
			__u16 csum_start;
			__u16 csum_offset;
		};
	};
} __attribute__((preserve_access_index));

SEC("socket")
int csumprobe(struct __sk_buff *skb)
{
	struct sk_buff___probe *k = bpf_cast_to_kern_ctx(skb);
	struct probe_rec *r;
	__u32 n = skb->len;

	r = bpf_ringbuf_reserve(&probe_rb, sizeof(*r), 0);
	if (!r)
		return 0;
	r->len = skb->len;
	r->csum = k->csum;
	r->ip_summed = BPF_CORE_READ_BITFIELD(k, ip_summed);
	r->complete_sw = BPF_CORE_READ_BITFIELD(k, csum_complete_sw);
	r->caplen = 0;
	if (n > PROBE_SNAP)
		n = PROBE_SNAP;
	if (n >= 1) {
		/* 1..PROBE_SNAP in a form the verifier follows (PROBE_SNAP is a
		 * power of two) */
		__u32 m = (n - 1) & (PROBE_SNAP - 1);

		if (!bpf_skb_load_bytes(skb, 0, r->data, m + 1))
			r->caplen = m + 1;
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
