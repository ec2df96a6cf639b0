// SPDX-License-Identifier: GPL-2.0
/*
 * tiu_sockops.bpf.c - TCP keepalive for tunnelled connections.
 *
 *  tiu_sockops  sock_ops on the cgroup v2 root: when a TCP connection (an
 *               MPTCP subflow is one too) becomes established, actively or
 *               passively, and it matches an endpoint that `tiu up` published
 *               for its network namespace, turn TCP keepalive on with that
 *               interface's idle time, unless the application chose
 *               its own keepalive. Nothing else is touched.
 *  tiu_ka_setsockopt  cgroup setsockopt on the cgroup v2 root: notes in
 *               tiu_ka_own which keepalive options an application sets on
 *               a socket itself, so that tiu_sockops leaves them alone.
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
#include <bpf/bpf_core_read.h>
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
/* The most the kernel shows a cgroup sockopt program (PAGE_SIZE; 4 KiB is
 * the smallest): a larger option must be handed back with optlen 0. */
#define TIU_OPT_SHOWN     4096

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

/* The keepalive options an application set itself (TIU_KA_OWN_*), per
 * socket. BPF_F_CLONE: a connection accepted from a listener inherits the
 * listener's (bpf_sk_storage_clone() from sk_clone_lock()), as it inherits
 * the options themselves. Pinned with the others: both programs must see
 * the same map, also when one of them is attached by an older `tiu up`. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, __u32);
} tiu_ka_own SEC(".maps");

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

/*
 * An application's setsockopt() (__sys_setsockopt() runs this before the
 * kernel applies the option: __cgroup_bpf_run_filter_setsockopt()). Only
 * notes that the option was set; the value is the kernel's to apply. The
 * keepalive program's own bpf_setsockopt() calls do not come here.
 */
SEC("cgroup/setsockopt")
int tiu_ka_setsockopt(struct bpf_sockopt *ctx)
{
	__u32 bit = 0, *own;

	/* Larger than the kernel shows us: hand it back untouched (optlen
	 * 0: the caller's own buffer), or 6.1 fails the call with EFAULT. */
	if (ctx->optlen > TIU_OPT_SHOWN)
		ctx->optlen = 0;
	if (ctx->level == TIU_SOL_SOCKET && ctx->optname == TIU_SO_KEEPALIVE)
		bit = TIU_KA_OWN_KEEPALIVE;
	else if (ctx->level == TIU_SOL_TCP && ctx->optname == TIU_TCP_KEEPIDLE)
		bit = TIU_KA_OWN_IDLE;
	else if (ctx->level == TIU_SOL_TCP && ctx->optname == TIU_TCP_KEEPINTVL)
		bit = TIU_KA_OWN_INTVL;
	else if (ctx->level == TIU_SOL_TCP && ctx->optname == TIU_TCP_KEEPCNT)
		bit = TIU_KA_OWN_CNT;
	if (!bit || !ctx->sk)
		return 1;
	own = bpf_sk_storage_get(&tiu_ka_own, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (own)
		*own |= bit; /* two threads setting options of one socket at once may lose a bit */
	return 1;
}

/* Only its name matters: bpf_core_type_exists() asks whether the running
 * kernel has MPTCP (CONFIG_MPTCP; its BTF has the type). */
struct mptcp_sock {
	int tiu_name_only;
} __attribute__((preserve_access_index));

/* What the application chose on this socket (TIU_KA_OWN_*). SO_KEEPALIVE
 * that is on already counts as chosen too: set before tiu_ka_setsockopt
 * was attached, inherited from such a listener, or by a kernel user
 * (sock_set_keepalive()). bpf_getsockopt(SOL_SOCKET, SO_KEEPALIVE) exists
 * since 6.1 (sol_socket_sockopt() -> sk_getsockopt()).
 * An MPTCP subflow: the application set its options on the MPTCP socket,
 * which is where the setsockopt program saw them; bpf_skc_to_mptcp_sock()
 * (5.19) finds it from the subflow (bpf_mptcp_sock_from_subflow()). A
 * kernel without MPTCP has no such type, and the verifier would refuse the
 * call: bpf_core_type_exists() leaves it out there. */
static __always_inline __u32 tiu_ka_chosen(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	__u32 chosen = 0, *own;
	int on = 0;

	if (sk) {
		own = bpf_sk_storage_get(&tiu_ka_own, sk, 0, 0);
		if (own)
			chosen = *own;
		if (bpf_core_type_exists(struct mptcp_sock)) {
			struct mptcp_sock *msk = bpf_skc_to_mptcp_sock(sk);

			if (msk) {
				own = bpf_sk_storage_get(&tiu_ka_own, msk, 0, 0);
				if (own)
					chosen |= *own;
			}
		}
	}
	if (!bpf_getsockopt(skops, TIU_SOL_SOCKET, TIU_SO_KEEPALIVE, &on, sizeof(on)) && on)
		chosen |= TIU_KA_OWN_KEEPALIVE;
	return chosen;
}

SEC("sockops")
int tiu_sockops(struct bpf_sock_ops *skops)
{
	struct tiu_ka_iface_key ik = {};
	struct tiu_ka_iface *ifc;
	struct tiu_ka_val *v;
	int idle, intvl, cnt, on = 1, err = 0;
	__u32 chosen;
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

	/* The application decided about keepalive itself (on or off): its
	 * decision stands, timers and all. */
	chosen = tiu_ka_chosen(skops);
	if (chosen & TIU_KA_OWN_KEEPALIVE) {
		if (ifc)
			__sync_fetch_and_add(&ifc->kept, 1);
		return 1;
	}
	/* Timer values first, so that SO_KEEPALIVE arms the timer with them
	 * (sk_setsockopt() -> tcp_set_keepalive() uses keepalive_time_when()).
	 * A timer the application set itself keeps its value. */
	if (!(chosen & TIU_KA_OWN_IDLE))
		err = bpf_setsockopt(skops, TIU_SOL_TCP, TIU_TCP_KEEPIDLE, &idle, sizeof(idle));
	if (!err && !(chosen & TIU_KA_OWN_INTVL))
		err = bpf_setsockopt(skops, TIU_SOL_TCP, TIU_TCP_KEEPINTVL, &intvl, sizeof(intvl));
	if (!err && !(chosen & TIU_KA_OWN_CNT))
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
