/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_conn.h - the decision made once per connection, used ONLY by BPF
 * programs (docs/DESIGN.md "Choosing per connection").
 *
 * A TCP connection is tunnelled or plain from its first packet to its end,
 * whatever happens to the endpoints meanwhile:
 * - egress (TC, where skb->sk is the sending socket) keeps the decision in
 *   the socket's storage (tiu_conn_sk): made once, at the first packet of
 *   the connection that egress sees with its full socket, then read for
 *   every packet that an endpoint, a lingering port or the mark selector
 *   brings here;
 * - a follow= endpoint (a server port for plain and tunnelled clients)
 *   tunnels a connection's replies only if its SYN arrived tunnelled:
 *   decapsulation remembers such SYNs by 4-tuple (tiu_conn_syn), for the
 *   SYN-ACK (sent from a request sock, which has no storage) and for the
 *   first packet of the accepted socket, whose storage it then fills;
 * - an endpoint deleted leaves its port lingering (tiu_port.linger):
 *   egress keeps tunnelling the connections whose storage says so, and
 *   decapsulation restores UDP of that port for which a TCP connection
 *   lives (tiu_decap_ours(), the socket lookup of remote= endpoints).
 * Packets with no socket of their connection here (forwarded traffic, the
 * kernel's own RSTs and TIME_WAIT ACKs, sent from a per-CPU control socket)
 * follow the rules as before, and for a follow= port the SYN memo.
 */
#ifndef TIU_CONN_H
#define TIU_CONN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tiu_match.h"

/* Uses tiu_count(), tiu_decap_ours() and the TCP flag and state constants
 * of tiu_match.h; tiu_datapath.h includes this. tiu_match_ports() answers
 * TIU_MATCH_LINGER when only a lingering port matches. */

/* struct tiu_conn_key, struct tiu_conn_state: tiu_common.h; the maps
 * tiu_conn_syn (filled by decapsulation, XDP or TC, read by egress; an LRU:
 * old entries make room, never an error) and tiu_conn_sk: tiu_map_list.h,
 * pinned with the others (the loader checks their layout). */

/* The 4-tuple of a packet, its local end first: ingress = 1, the
 * destination; 0, the source. 0, or -1 if the addresses are out of sight. */
static __always_inline int tiu_conn_key_of(const struct tiu_pkt *p, void *data_end, __be16 sport,
					   __be16 dport, int ingress, struct tiu_conn_key *k)
{
	__u8 *src, *dst;

	__builtin_memset(k, 0, sizeof(*k));
	if (p->family == 4) {
		src = p->l3 + TIU_V4_SADDR_OFF;
		if ((void *)(src + 8) > data_end)
			return -1;
		dst = src + 4;
		k->local[10] = k->local[11] = k->remote[10] = k->remote[11] = 0xff;
		__builtin_memcpy(k->local + 12, ingress ? dst : src, 4);
		__builtin_memcpy(k->remote + 12, ingress ? src : dst, 4);
	} else {
		src = p->l3 + TIU_V6_SADDR_OFF;
		if ((void *)(src + 32) > data_end)
			return -1;
		dst = src + 16;
		__builtin_memcpy(k->local, ingress ? dst : src, 16);
		__builtin_memcpy(k->remote, ingress ? src : dst, 16);
	}
	k->lport = ingress ? dport : sport;
	k->rport = ingress ? sport : dport;
	return 0;
}

/* The word of tiu_ports for a port in network byte order. */
static __always_inline struct tiu_port *tiu_conn_port(__be16 port)
{
	__u32 key = tiu_htons(port);

	return bpf_map_lookup_elem(&tiu_ports, &key);
}

/*
 * Decapsulation accepted u (m: what matched, TIU_MATCH_*): count a lingering
 * port's packet, and remember a bare SYN to a follow= endpoint, so that
 * egress tunnels its connection's replies. Costs a flags test on other
 * packets.
 */
static __always_inline void tiu_conn_decap(__u32 slot, const struct tiu_pkt *p, void *data_end,
					   const struct tiu_udp20 *u, int m)
{
	__u64 bit = 1ULL << (slot & (TIU_MAX_SLOTS - 1));
	struct tiu_conn_key k;
	struct tiu_port *pd;
	__u32 one = 1;

	if (m == TIU_MATCH_LINGER) {
		tiu_count(slot, TIU_STAT_DEC_CONN_KEPT);
		return;
	}
	if ((u->flags & TIU_TCP_FLAG_SYN_ACK_MASK) != TIU_TCP_FLAG_SYN_ONLY || m != TIU_MATCH_LOCAL)
		return;
	pd = tiu_conn_port(u->dest);
	if (!pd || !(pd->follow & bit) || tiu_conn_key_of(p, data_end, u->source, u->dest, 1, &k))
		return;
	bpf_map_update_elem(&tiu_conn_syn, &k, &one, BPF_ANY);
	tiu_count(slot, TIU_STAT_DEC_CONN_SYN);
}

/* 1: the socket's storage st holds no choice for the connection whose
 * packet this is: none yet, or the packet is a bare SYN (syn) with another
 * sequence number (seq) than the one that made it, the first packet of
 * the socket's next connection. A new connection whose initial sequence
 * number equals the old one (1 in 2^32) keeps the old choice. */
static __always_inline int tiu_conn_fresh(const struct tiu_conn_state *st, __u32 syn, __be32 seq)
{
	return !st->choice || (syn && st->syn_seq != seq);
}

/*
 * The decision of egress TCP t (p parsed, the ports within data_end) from
 * skb, which tiu_match_ports() matched as m (TIU_MATCH_*, LINGER included)
 * or the mark selector (marked). Returns 1 to tunnel it, 0 to pass it.
 * Inlined: not a global subprogram (a global subprogram's struct
 * __sk_buff * argument is the context only with the kernel's BTF, see
 * tiu_tc_clamp_mss()), and a static one costs the same verifier
 * instructions (it is checked at each call with the caller's registers)
 * plus a call per packet (docs/DESIGN.md "Choosing per connection"). None
 * of the helpers it calls moves packet data, so p and t stay valid.
 */
static __always_inline int tiu_conn_egress(struct __sk_buff *skb, __u32 slot,
					   const struct tiu_pkt *p, void *data_end, int m, int marked)
{
	__u64 bit = 1ULL << (slot & (TIU_MAX_SLOTS - 1));
	const struct tiu_tcp20 *t = p->l4;
	struct bpf_sock *sk = skb->sk;
	struct tiu_conn_state *st;
	struct tiu_conn_key k;
	struct tiu_port *ps;
	__u32 choice, syn;
	__be32 seq;
	int own;

	/* tiu_no_sk_lookup: loaded as a type without socket helpers (the
	 * tests' LWT_XMIT copies): the rules alone */
	if (tiu_no_sk_lookup || (void *)(t + 1) > data_end) /* short: tiu_encap_check() drops it */
		return m != TIU_MATCH_NONE || marked;
	/* The socket is the connection's: not a listener answering with a
	 * syncookie, nor a control socket (port 0), nor a test run's dummy.
	 * Its struct sock_common is enough to tell (src_port, state), and
	 * bpf_sk_storage_get() answers NULL itself for a socket that is not a
	 * full one (a request or TIME_WAIT sock: bpf_sk_storage_get(),
	 * net/core/bpf_sk_storage.c, tests sk_fullsock()): no
	 * bpf_sk_fullsock() call first, one helper call less per packet. */
	own = sk && sk->src_port && sk->src_port == tiu_htons(t->source) &&
	      sk->state != TIU_TCP_STATE_LISTEN;
	/* A socket outlives its connection: connect(AF_UNSPEC)
	 * (tcp_disconnect()) and a new connect() make another one, whose bare
	 * SYN must choose afresh. A SYN with the sequence number that made the
	 * choice is the same SYN sent again (tiu_conn_fresh()). */
	syn = (t->flags & TIU_TCP_FLAG_SYN_ACK_MASK) == TIU_TCP_FLAG_SYN_ONLY;
	seq = syn ? t->seq : 0;
	if (m == TIU_MATCH_NONE && !marked) {
		/* A connection this host opens that no endpoint matches: plain
		 * for its life, so that an endpoint added later leaves it so. */
		if (own) {
			st = bpf_sk_storage_get(&tiu_conn_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
			if (st && !tiu_conn_fresh(st, syn, seq))
				return st->choice == TIU_CONN_TUNNELLED;
			if (st) {
				st->choice = TIU_CONN_PLAIN;
				st->syn_seq = seq;
				tiu_count(slot, TIU_STAT_ENC_CONN_PLAIN);
			}
		}
		return 0;
	}
	/* only the connection's own socket is ever given a choice (here and
	 * below): asking another is a helper call for nothing */
	if (own) {
		st = bpf_sk_storage_get(&tiu_conn_sk, sk, 0, 0);
		if (st && !tiu_conn_fresh(st, syn, seq)) {
			if (st->choice == TIU_CONN_TUNNELLED && m == TIU_MATCH_LINGER && !marked)
				tiu_count(slot, TIU_STAT_ENC_CONN_KEPT);
			return st->choice == TIU_CONN_TUNNELLED;
		}
	}
	/* The first packet of this connection seen with its socket, or one
	 * without a socket of its own (a request sock's SYN-ACK, the kernel's
	 * RSTs): the rules decide, and for a follow= port the SYN memo. */
	if (m == TIU_MATCH_LINGER && !marked) {
		choice = TIU_CONN_PLAIN;
	} else if (m == TIU_MATCH_LOCAL && !marked && (ps = tiu_conn_port(t->source)) &&
		   (ps->follow & bit)) {
		choice = TIU_CONN_PLAIN;
		if (!tiu_conn_key_of(p, data_end, t->source, t->dest, 0, &k) &&
		    bpf_map_lookup_elem(&tiu_conn_syn, &k))
			choice = TIU_CONN_TUNNELLED;
	} else {
		choice = TIU_CONN_TUNNELLED;
	}
	/* Keep it in the socket if the socket is the connection's. */
	if (own) {
		st = bpf_sk_storage_get(&tiu_conn_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (st && tiu_conn_fresh(st, syn, seq)) {
			st->choice = choice;
			st->syn_seq = seq;
			tiu_count(slot, choice == TIU_CONN_TUNNELLED ? TIU_STAT_ENC_CONN_TUNNELLED
								   : TIU_STAT_ENC_CONN_PLAIN);
		}
	}
	return choice == TIU_CONN_TUNNELLED;
}

/*
 * Egress TCP t (p parsed) that tiu_match_ports() matched as m, marked: the
 * mark selector matched. skb: the program's context, or NULL at the
 * detour, which converts what egress sent it (only the segments of
 * connections egress chose to tunnel). Returns 1 to tunnel the packet, 0
 * to pass it. Packets that match nothing cost a flags test (bare SYNs go
 * on to be marked plain).
 */
static __always_inline int tiu_conn_encap(struct __sk_buff *skb, __u32 slot,
					  const struct tiu_pkt *p, void *data_end, int m, int marked)
{
	const struct tiu_tcp20 *t = p->l4;

	if (!skb)
		return m != TIU_MATCH_NONE || marked;
	if (m == TIU_MATCH_NONE && !marked &&
	    ((void *)(t + 1) > data_end ||
	     (t->flags & TIU_TCP_FLAG_SYN_ACK_MASK) != TIU_TCP_FLAG_SYN_ONLY || !skb->sk))
		return 0;
	return tiu_conn_egress(skb, slot, p, data_end, m, marked);
}

#endif /* TIU_CONN_H */
