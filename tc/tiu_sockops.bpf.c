// SPDX-License-Identifier: GPL-2.0
/*
 * tiu_sockops.bpf.c - TCP keepalive for tunnelled connections.
 *
 *  tiu_sockops  sock_ops on the cgroup v2 root: when a TCP connection (an
 *               MPTCP subflow is one too) becomes established, actively or
 *               passively, and it matches an endpoint that `tiu up` published
 *               for its network namespace, turn TCP keepalive on with that
 *               interface's idle time. Nothing else is touched.
 *
 * Why: a tunnelled connection is UDP on the wire, so a NAT keeps its mapping
 * only as long as its UDP timer (often 30-180 s), not the days it gives TCP.
 * A keepalive probe every `idle` seconds is a tunnelled UDP packet like any
 * other and refreshes the mapping; the peer's ACK refreshes it again.
 *
 * One attachment serves every network namespace, and sock_ops knows no
 * egress interface: the match is on (netns cookie, address, port, role) in
 * tiu_ka_eps, the same rule as the datapath's (local: our address:port,
 * remote: the peer's; the all-zero address is the wildcard). The maps are
 * global (headers/tiu_common.h, "Keepalive").
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tiu_common.h"

/* Socket constants (include/uapi/linux/socket.h, asm-generic/socket.h,
 * uapi/linux/tcp.h): the BPF target has no libc headers. */
#define TIU_AF_INET       2
#define TIU_AF_INET6      10
#define TIU_SOL_SOCKET    1
#define TIU_SO_KEEPALIVE  9
#define TIU_SOL_TCP       6
#define TIU_TCP_KEEPIDLE  4
#define TIU_TCP_KEEPINTVL 5
#define TIU_TCP_KEEPCNT   6

/* Pinned by the loader (bpf_map__set_pin_path) in the keepalive directory,
 * not by name: this object is the only user and the directory is not a
 * namespace's pin directory. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TIU_KA_MAX_EPS);
	__type(key, struct tiu_ka_key);
	__type(value, struct tiu_ka_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} tiu_ka_eps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* interfaces with a setting, all namespaces */
	__type(key, struct tiu_ka_iface_key);
	__type(value, struct tiu_ka_iface);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} tiu_ka_ifaces SEC(".maps");

/* The v4-mapped form for IPv4 (::ffff:a.b.c.d), as the endpoint map. An
 * IPv4 connection of a dual-stack socket is AF_INET6 with a v4-mapped
 * address already. Each context field is read in its own branch: the
 * verifier refuses a load through a ctx pointer that the compiler chose
 * between two fields ("dereference of modified ctx ptr"). */
static __always_inline void tiu_ka_v4(__u8 *addr, __u32 ip4)
{
	__u32 *w = (__u32 *)addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = ip4;
}

/* The exact address first, then the wildcard. key->addr holds the address. */
static __always_inline struct tiu_ka_val *tiu_ka_lookup(struct tiu_ka_key *key)
{
	struct tiu_ka_val *v = bpf_map_lookup_elem(&tiu_ka_eps, key);

	if (v)
		return v;
	__builtin_memset(key->addr, 0, sizeof(key->addr));
	return bpf_map_lookup_elem(&tiu_ka_eps, key);
}

static __always_inline struct tiu_ka_val *tiu_ka_match(struct bpf_sock_ops *skops, __u64 netns)
{
	struct tiu_ka_key key = {};
	struct tiu_ka_val *v;
	__u32 *w = (__u32 *)key.addr;

	key.netns = netns;
	/* remote=: the peer's address and port (remote_port: the
	 * network-order port in the upper 16 bits on little endian, in the
	 * lower 16 on big endian, so ntohl and a 16-bit cast give the port
	 * in both; sock_ops_convert_ctx_access() in net/core/filter.c) */
	if (skops->family == TIU_AF_INET) {
		tiu_ka_v4(key.addr, skops->remote_ip4);
	} else {
		w[0] = skops->remote_ip6[0];
		w[1] = skops->remote_ip6[1];
		w[2] = skops->remote_ip6[2];
		w[3] = skops->remote_ip6[3];
	}
	key.port = bpf_htons((__u16)bpf_ntohl(skops->remote_port));
	key.role = TIU_ROLE_REMOTE;
	v = tiu_ka_lookup(&key);
	if (v)
		return v;
	/* local=: our address and port (local_port: host byte order) */
	if (skops->family == TIU_AF_INET) {
		tiu_ka_v4(key.addr, skops->local_ip4);
	} else {
		w[0] = skops->local_ip6[0];
		w[1] = skops->local_ip6[1];
		w[2] = skops->local_ip6[2];
		w[3] = skops->local_ip6[3];
	}
	key.port = bpf_htons((__u16)skops->local_port);
	key.role = TIU_ROLE_LOCAL;
	return tiu_ka_lookup(&key);
}

SEC("sockops")
int tiu_sockops(struct bpf_sock_ops *skops)
{
	struct tiu_ka_iface_key ik = {};
	struct tiu_ka_iface *ifc;
	struct tiu_ka_val *v;
	int idle, intvl, cnt, on = 1, err;
	__u64 netns;

	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB &&
	    skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	if (skops->family != TIU_AF_INET && skops->family != TIU_AF_INET6)
		return 1;
	netns = bpf_get_netns_cookie(skops);
	v = tiu_ka_match(skops, netns);
	if (!v)
		return 1;
	idle = v->idle;
	intvl = v->intvl;
	cnt = v->cnt;
	ik.netns = netns;
	ik.ifindex = v->ifindex;
	ifc = bpf_map_lookup_elem(&tiu_ka_ifaces, &ik);

	/* Timer values first, so that SO_KEEPALIVE arms the timer with them
	 * (sk_setsockopt() -> tcp_set_keepalive() uses keepalive_time_when()). */
	err = bpf_setsockopt(skops, TIU_SOL_TCP, TIU_TCP_KEEPIDLE, &idle, sizeof(idle));
	if (!err)
		err = bpf_setsockopt(skops, TIU_SOL_TCP, TIU_TCP_KEEPINTVL, &intvl, sizeof(intvl));
	if (!err)
		err = bpf_setsockopt(skops, TIU_SOL_TCP, TIU_TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (!err)
		err = bpf_setsockopt(skops, TIU_SOL_SOCKET, TIU_SO_KEEPALIVE, &on, sizeof(on));
	if (ifc) {
		if (err)
			__sync_fetch_and_add(&ifc->failed, 1);
		else
			__sync_fetch_and_add(&ifc->given, 1);
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
