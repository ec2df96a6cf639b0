/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_match.h - the first half of the datapath, used ONLY by BPF programs:
 * the constants the loader sets before load, the verdicts, where the IP
 * header starts (tiu_where()), the packet context (struct tiu_ctx), the
 * counters, the endpoint and port-table matching, and whether a local socket
 * makes a packet ours (tiu_decap_ours()). tiu_conn.h builds on it, and
 * tiu_datapath.h on both: no header here includes one above it.
 */
#ifndef TIU_MATCH_H
#define TIU_MATCH_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tiu_common.h"
#include "tiu_maps.h"
#include "tiu_parse.h"
#include "tiu_icmp.h"

/* Where the IP header starts on this program's interface (enum tiu_framing)
 * and which slot the interface holds (tiu_common.h "Slots"): both set by the
 * loader before load, so both are constants to the verifier, which prunes
 * the branches that ask; AUTO in the object file (xdp-loader). */
const volatile __u32 tiu_framing = TIU_FRAMING_AUTO;
const volatile __u32 tiu_slot = TIU_SLOT_AUTO;
/* 1: the program is loaded as a type without bpf_skc_lookup_tcp(), so a
 * remote=-only match on ingress can never be proved ours and is refused
 * (tiu_decap_ours()). Never set by the loader; only the tests set it, for the
 * TC programs they load as LWT_XMIT to test-run raw-IP frames
 * (tests/lib/harness.c). It can only refuse more, never accept more. */
const volatile __u32 tiu_no_sk_lookup = 0;

enum tiu_verdict {
	TIU_V_PASS,      /* leave the packet as it is */
	TIU_V_DROP,      /* drop it (counted) */
	TIU_V_CONVERT,   /* it is ours and may be converted */
	TIU_V_ICMP,      /* decap: an ICMP message, for tiu_decap_icmp() */
	TIU_V_SHORT,     /* TC: the headers are not all in the linear part; pull
			  * and check again (nothing counted yet) */
};

/* ----------------------------------------------------------------- where -- */

/* Where a packet is: the interface's slot and its framing. */
struct tiu_where {
	__u32 slot;
	__u32 l3;   /* 1: frames start at the IP header (raw IP), 0: Ethernet */
};

/*
 * The slot and framing of the interface a packet is on. With tiu_slot set
 * (tiu's loader) a constant, no lookup. Objects loaded without it
 * (xdp-loader) look up tiu_links[ifindex] once per packet, for the slot and
 * TIU_LINK_F_L3 together; an entry of another kind than link_kind
 * (TIU_LINK_F_REAL or TIU_LINK_F_DETOUR), or none: not an interface of
 * tiu's, -1 (the caller passes the packet and counts nothing: there is no
 * slot to count in). The detour's frames are Ethernet whatever its
 * interface (a veth): its program does not use w->l3.
 */
static __always_inline int tiu_where(__u32 ifindex, __u32 link_kind, struct tiu_where *w)
{
	__u32 slot = tiu_slot, framing = tiu_framing; /* each volatile read is a load */
	struct tiu_iface *iface;
	struct tiu_link *link;

	if (slot != TIU_SLOT_AUTO) {
		if (slot >= TIU_MAX_SLOTS)
			return -1;
		w->slot = slot;
		if (framing != TIU_FRAMING_AUTO) {
			w->l3 = framing == TIU_FRAMING_L3;
			return 0;
		}
		iface = bpf_map_lookup_elem(&tiu_ifaces, &w->slot);
		w->l3 = iface && (iface->flags & TIU_IFACE_F_L3);
		return 0;
	}
	link = bpf_map_lookup_elem(&tiu_links, &ifindex);
	if (!link || !(link->flags & link_kind) || link->slot >= TIU_MAX_SLOTS)
		return -1;
	w->slot = link->slot;
	if (framing != TIU_FRAMING_AUTO)
		w->l3 = framing == TIU_FRAMING_L3;
	else
		w->l3 = !!(link->flags & TIU_LINK_F_L3);
	return 0;
}

/* ------------------------------------------------------- packet context -- */

/*
 * One packet's description, carried from the program through the checks and
 * back: what the program knows going in, what the check found coming out.
 * Scalars only - offsets, not pointers: what follows the check re-derives
 * its packet pointers from them (tiu_ctx_pkt()), bounded, so that it is one
 * path for the verifier whatever header layout (VLAN tags, IPv6 extension
 * headers: each a different packet offset) and whichever pull led there;
 * and the struct can be handed to a global subprogram (its pointer
 * arguments point to plain memory), where a check would be verified once
 * (docs/DESIGN.md "Verifier cost" says why the programs inline it).
 */
struct tiu_ctx {
	/* in: set by the program */
	__u32 slot;       /* the interface's slot (tiu_where()) */
	__u32 frame_len;  /* the whole frame (TC: skb->len, non-linear bytes too) */
	__u32 mark;       /* egress: skb->mark, for the mark selector */
	__be16 l3_proto;  /* raw IP: the family as for tiu_parse() (TC: skb->protocol, XDP 0) */
	__u8 l3;          /* 1: the frame starts at the IP header (tiu_where()) */
	__u8 is_gso;      /* decap: the TC skb is a GRO aggregate (XDP: never) */
	__u8 can_pull;    /* TC: more of the frame could be pulled into the linear part */
	/* out: set by the parse (tiu_ctx_parse()) and the check */
	__u8 family;      /* 4 or 6 */
	__u8 tcp_flags;   /* encap: the TCP flags of the packet */
	__u8 proto;       /* the L4 protocol (tiu_parse()) */
	__u8 frag;        /* an IP fragment (tiu_parse()) */
	__u8 pad[3];
	__u32 l3_off;     /* the IP header */
	__u32 l4_off;     /* the first byte after the IP header(s) */
	__u32 proto_off;  /* the protocol or next-header byte naming L4 */
	__u32 l4_len;     /* L4 length from the IP header */
};
_Static_assert(sizeof(struct tiu_ctx) == 40, "tiu_ctx layout");

/* Packet offsets a program re-derives pointers from: below the verifier's
 * limit for a variable offset into the packet (MAX_PACKET_OFF). */
#define TIU_PKT_MAX_OFF 0x7fff

/*
 * The slot and framing a check works with: the loader's constants when it
 * set them (tiu_where() gave the program the same), which the verifier then
 * knows even where c is plain memory to it (a global subprogram), its
 * branches on them pruned; otherwise what the program found (c).
 */
static __always_inline __u32 tiu_ctx_slot(const struct tiu_ctx *c)
{
	__u32 slot = tiu_slot;

	return slot != TIU_SLOT_AUTO ? slot : c->slot;
}

static __always_inline int tiu_ctx_l3(const struct tiu_ctx *c)
{
	__u32 framing = tiu_framing;

	return framing != TIU_FRAMING_AUTO ? framing == TIU_FRAMING_L3 : c->l3;
}

/* What tiu_parse() found in p, as offsets from data, into c. */
static __always_inline void tiu_ctx_set(struct tiu_ctx *c, const struct tiu_pkt *p, void *data)
{
	__u32 proto_off = (__u8 *)p->proto_byte - (__u8 *)data;

	barrier_var(proto_off);
	c->l3_off = p->l3_off;
	c->l4_off = p->l4_off;
	c->proto_off = proto_off;
	c->l4_len = p->l4_len;
	c->family = p->family;
	c->proto = p->proto;
	c->frag = p->frag;
}

/*
 * tiu_parse() of the frame at data that c describes (framing: c's, or
 * Ethernet with ethernet = 1), its findings into c, as offsets. The checks
 * take the pointers back from tiu_ctx_parsed().
 */
static __always_inline int tiu_ctx_parse(void *data, void *data_end, struct tiu_ctx *c,
					 int ethernet)
{
	struct tiu_pkt p = {};
	int parsed = tiu_parse(data, data_end, c->frame_len, ethernet ? 0 : tiu_ctx_l3(c),
			       c->l3_proto, &p);

	if (parsed == TIU_PARSE_OK)
		tiu_ctx_set(c, &p, data);
	return parsed;
}

/*
 * The parse's pointers from c's offsets, for a check: l3 and l4 as
 * tiu_parse() gives them (nothing past the IP header bounds-checked; the
 * checks check what they read). 0, or -1 for an offset past the verifier's
 * limit (never: a linear part holds less).
 */
static __always_inline int tiu_ctx_parsed(const struct tiu_ctx *c, void *data, struct tiu_pkt *p)
{
	__u32 l3_off = c->l3_off, l4_off = c->l4_off, proto_off = c->proto_off;

	if (l3_off > TIU_PKT_MAX_OFF || l4_off > TIU_PKT_MAX_OFF || proto_off > TIU_PKT_MAX_OFF)
		return -1;
	barrier_var(l3_off);
	barrier_var(l4_off);
	barrier_var(proto_off);
	p->l3 = data + (l3_off & TIU_PKT_MAX_OFF);
	p->l4 = data + (l4_off & TIU_PKT_MAX_OFF);
	p->proto_byte = data + (proto_off & TIU_PKT_MAX_OFF);
	p->l3_off = l3_off;
	p->l4_off = l4_off;
	p->l4_len = c->l4_len;
	p->family = c->family;
	p->proto = c->proto;
	p->frag = c->frag;
	return 0;
}

/*
 * Packet pointers again, in p, from the offsets in c (after the check, in
 * the program, or after a helper that may have moved the data): those of
 * tiu_ctx_parsed(), then checked against data_end for what the apply steps
 * touch (the IPv4 header, the 20 L4 bytes, the protocol byte). 0, or -1 if
 * they do not lie in the linear part (not after a TIU_V_CONVERT of the same
 * data).
 */
static __always_inline int tiu_ctx_pkt(const struct tiu_ctx *c, void *data, void *data_end,
				       struct tiu_pkt *p)
{
	if (tiu_ctx_parsed(c, data, p) || p->l3 + sizeof(struct iphdr) > data_end ||
	    p->l4 + TIU_L4_HDR_LEN > data_end || (void *)(p->proto_byte + 1) > data_end)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- stats -- */

/* A counter that counts nothing (tiu_count() ignores it). */
#define TIU_STAT_NONE TIU_STAT__MAX

/* tiu_stats is a per-CPU array indexed by the slot: the verifier inlines
 * the lookup (no helper call, no hashing), and every slot's record exists. */
static __always_inline void tiu_count(__u32 slot, enum tiu_stat idx)
{
	__u64 i = idx; /* one 64-bit register for the check and the index */
	struct tiu_stats *s;

	barrier_var(i);
	if (i >= TIU_STAT__MAX) /* TIU_STAT_NONE; keeps the verifier sure */
		return;
	s = bpf_map_lookup_elem(&tiu_stats, &slot);
	if (s)
		s->v[i]++;
}

static __always_inline void tiu_count_bytes(__u32 slot, enum tiu_stat pkts, enum tiu_stat bytes,
					    __u32 len)
{
	struct tiu_stats *s = bpf_map_lookup_elem(&tiu_stats, &slot);

	if (s) {
		s->v[pkts]++;
		s->v[bytes] += len;
	}
}

/* ------------------------------------------------------------ endpoints -- */

/*
 * Matching (docs/DESIGN.md "Endpoints"). Egress TCP is tunnelled when its
 * source is a local endpoint or its destination a remote one; ingress UDP
 * when its destination is a local endpoint or its source a remote one (the
 * mirror). First the port table: two array lookups (source and destination
 * port), which the verifier inlines; a *_any bit of the slot decides alone,
 * and a packet with no bit of its slot on either port - every packet of
 * another service - is rejected there, without hashing. Only an exact bit
 * costs a tiu_endpoints lookup, for that one address.
 */

/*
 * The memo of tiu_endpoint_exact(). A tiu_endpoints lookup costs 35-45 ns
 * here (bench/pktcost, docs/DESIGN.md "Matching, and what it costs"): three
 * function returns, each through this CPU's return thunk; an array lookup
 * the verifier inlines costs none. Keys found are therefore remembered per
 * CPU in tiu_ep_memo, direct-mapped by a fold of the key (a collision only
 * evicts), each with the generation of the endpoint table it was found
 * under, tiu_config.ep_gen. The loader makes the generation odd before it
 * deletes elements, waits for an RCU grace period after (every program run
 * that began before the deletions has ended), then makes it the next even
 * value (loader/sys/epgen.c). An entry is used only under the generation it
 * was made in, and none is made or used under an odd one: a run that reads
 * the new even value began after the deletions, so no entry outlives the
 * element it remembers. Additions need nothing: only keys found are
 * remembered, never a miss. Per CPU and never shared, as tiu_ours (below):
 * one CPU never runs two of these programs at once. Private to each loaded
 * object (not pinned).
 */
#define TIU_EP_MEMO_SLOTS 64 /* per CPU; a power of 2 */

/* Words that may alias any object: the memos' keys are built field by
 * field and compared (or zeroed) a word at a time, which the C aliasing
 * rules allow only through a type like these (clang's may_alias). */
typedef __u64 __attribute__((__may_alias__)) tiu_any_u64;
typedef __u32 __attribute__((__may_alias__)) tiu_any_u32;
typedef __u16 __attribute__((__may_alias__)) tiu_any_u16;

struct tiu_ep_memo {
	struct tiu_endpoint_key k; /* role 1 or 2: an unused entry (zeros) never matches */
	__u32 gen;                 /* tiu_config.ep_gen it was found under */
} __attribute__((aligned(8)));     /* compared as three 64-bit words */
_Static_assert(sizeof(struct tiu_ep_memo) == 24, "tiu_ep_memo layout");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TIU_EP_MEMO_SLOTS);
	__type(key, __u32);
	__type(value, struct tiu_ep_memo);
} tiu_ep_memo SEC(".maps");

/* Is (the packet's source or destination address, port) an exact endpoint
 * of this role on slot? The address is read from the IP header, bounds
 * checked here: the verifier need not follow the family through the
 * caller's paths. */
static __always_inline int tiu_endpoint_exact(__u32 slot, const struct tiu_pkt *p, void *data_end,
					      int src, __be16 port, __u8 role)
{
	struct tiu_ep_memo want;
	struct tiu_endpoint_key *k = &want.k;
	const tiu_any_u64 *x = (const tiu_any_u64 *)&want, *y;
	const tiu_any_u32 *w = (const tiu_any_u32 *)&want;
	struct tiu_config *cfg;
	struct tiu_ep_memo *e;
	__u32 zero = 0, i, h;
	__u8 *a;

	if (p->family == 4) {
		a = p->l3 + (src ? TIU_V4_SADDR_OFF : TIU_V4_DADDR_OFF);
		if ((void *)(a + 4) > data_end)
			return 0;
		*(tiu_any_u64 *)k->addr = 0;
		*(tiu_any_u16 *)(k->addr + 8) = 0;
		*(tiu_any_u16 *)(k->addr + 10) = 0xffff;
		__builtin_memcpy(k->addr + 12, a, 4);
	} else {
		a = p->l3 + (src ? TIU_V6_SADDR_OFF : TIU_V6_DADDR_OFF);
		if ((void *)(a + 16) > data_end)
			return 0;
		__builtin_memcpy(k->addr, a, 16);
	}
	k->port = port;
	k->role = role;
	k->slot = slot;
	cfg = bpf_map_lookup_elem(&tiu_config, &zero);
	want.gen = cfg ? *(volatile __u32 *)&cfg->ep_gen : 1;
	/* the index: of the key alone, so that a generation's entry is found
	 * (and refused) where the next one would be made */
	h = w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4];
	i = (h ^ (h >> 16) ^ (h >> 8)) & (TIU_EP_MEMO_SLOTS - 1);
	e = bpf_map_lookup_elem(&tiu_ep_memo, &i);
	if (!e || (want.gen & 1))
		return bpf_map_lookup_elem(&tiu_endpoints, k) != NULL;
	y = (const tiu_any_u64 *)e;
	if (((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2])) == 0)
		return 1;
	if (!bpf_map_lookup_elem(&tiu_endpoints, k))
		return 0;
	*e = want;
	return 1;
}

/* What tiu_match_ports() found: no endpoint, a local= endpoint (the local
 * end's port, or address and port), or a remote= endpoint only. Ingress
 * trusts the two differently (tiu_decap_ours()). */
enum tiu_match {
	TIU_MATCH_NONE = 0,
	TIU_MATCH_LOCAL = 1,
	TIU_MATCH_REMOTE = 2,
	TIU_MATCH_LINGER = 3, /* only a port whose endpoint was deleted (tiu_conn.h) */
};

/*
 * The port rule of one direction. ingress = 0: the local end is the source
 * (egress TCP, and the packet an ICMP error quotes); 1: the destination.
 * A local= match is reported before a remote= one: a packet matching both
 * is a local= match.
 */
static __always_inline enum tiu_match tiu_match_ports(__u32 slot, const struct tiu_pkt *p,
						      void *data_end, __be16 sport, __be16 dport,
						      int ingress)
{
	__u32 ks = tiu_htons(sport), kd = tiu_htons(dport);
	struct tiu_port *ps, *pd, *pl, *pr;
	__u64 bit = 1ULL << (slot & (TIU_MAX_SLOTS - 1));

	ps = bpf_map_lookup_elem(&tiu_ports, &ks);
	pd = bpf_map_lookup_elem(&tiu_ports, &kd);
	if (!ps || !pd)
		return TIU_MATCH_NONE;
	pl = ingress ? pd : ps; /* the local end's port */
	pr = ingress ? ps : pd; /* the remote end's port */
	if (pl->local_any & bit)
		return TIU_MATCH_LOCAL;
	if ((pl->local & bit) &&
	    tiu_endpoint_exact(slot, p, data_end, !ingress, ingress ? dport : sport, TIU_ROLE_LOCAL))
		return TIU_MATCH_LOCAL;
	if (pr->remote_any & bit)
		return TIU_MATCH_REMOTE;
	if ((pr->remote & bit) &&
	    tiu_endpoint_exact(slot, p, data_end, ingress, ingress ? sport : dport, TIU_ROLE_REMOTE))
		return TIU_MATCH_REMOTE;
	return ((ps->linger | pd->linger) & bit) ? TIU_MATCH_LINGER : TIU_MATCH_NONE; /* tiu_conn.h */
}

/*
 * The memo of tiu_decap_ours(). The socket lookup costs 150-250 ns here
 * (bench/pktcost, prog=decap without the memo), several times the rest of the decapsulation. Its "ours"
 * verdicts are therefore remembered for TIU_OURS_TTL_JIFFIES in tiu_ours, a
 * direct-mapped memo per CPU (a flow's packets arrive on one CPU, and one
 * CPU never runs two of these programs at once: softirq, or BH disabled):
 * TIU_OURS_SLOTS entries, each the whole 4-tuple and an expiry, picked by a
 * hash of the ports; a collision only evicts. An array lookup is an address
 * computation and the compare five words, where a hash map's lookup of the
 * same key measured about 100 ns; the clock is jiffies, as
 * bpf_ktime_get_coarse_ns() measured 30 ns here. Only positive verdicts of
 * sockets not in TIME_WAIT are remembered, written only after the lookup,
 * and a bare SYN
 * never takes the memo: what it lets through for at most the TTL after a
 * connection ends is a segment with the exact 4-tuple of a connection this
 * host opened, to a port whose socket just closed. Private to each loaded
 * object (not pinned): nothing to share or keep.
 */
#define TIU_OURS_TTL_JIFFIES 4 /* 4 ms at HZ=1000, 16 ms at 250, 40 ms at 100 */
#define TIU_OURS_SLOTS 256     /* per CPU; a power of 2 */

struct tiu_ours_key {
	struct bpf_sock_tuple t; /* as looked up; IPv4: the rest zero */
	__u32 family;
} __attribute__((aligned(8))); /* compared as 64-bit words */

struct tiu_ours_ent {
	struct tiu_ours_key k;
	__u64 until;             /* bpf_jiffies64() until which it is ours */
};
_Static_assert(sizeof(struct tiu_ours_key) == 40, "tiu_ours_key layout");
_Static_assert(sizeof(struct tiu_ours_ent) == 48, "tiu_ours_ent layout");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TIU_OURS_SLOTS);
	__type(key, __u32);
	__type(value, struct tiu_ours_ent);
} tiu_ours SEC(".maps");

/* The memo's key compared as five 64-bit words. */
static __always_inline int tiu_ours_same(const struct tiu_ours_key *a, const struct tiu_ours_key *b)
{
	const tiu_any_u64 *x = (const tiu_any_u64 *)a, *y = (const tiu_any_u64 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/*
 * Ingress UDP that matched only a remote= endpoint: is it of a TCP
 * connection this host opened? A remote= endpoint names the peer, so without
 * this anyone sending UDP *from* its port (or, for remote=ADDR:PORT, with
 * that source address forged) would have it turned into TCP to *any* local
 * port - a listener included - and the replies tunnelled back by the egress
 * rule (docs/DESIGN.md "Ingress trust of remote= endpoints").
 *
 * One socket lookup for the packet's 4-tuple as TCP, in the network
 * namespace of the interface (BPF_F_CURRENT_NETNS; bpf_skc_lookup_tcp():
 * __bpf_skc_lookup() -> sk_lookup() -> __inet_lookup() / __inet6_lookup():
 * established sockets first, then listeners). Ours: a socket of a connection
 * in any state but these, which are not:
 * - TCP_LISTEN: a listener answers any peer (the attack itself);
 * - TCP_NEW_SYN_RECV: a request socket, made by a listener for a peer's SYN;
 * - TCP_TIME_WAIT with SYN set and ACK clear: a SYN that a TIME_WAIT socket
 *   may turn into a new connection to the listener (tcp_timewait_state_process()
 *   TCP_TW_SYN); no connection this host opened receives one.
 * A TIME_WAIT socket is otherwise ours (it must still ACK a retransmitted
 * FIN), and a SYN_SENT one is (the SYN-ACK of this host's own SYN). The
 * reference is released at once: only the state is read.
 *
 * ctx: the program's context (struct xdp_md or struct __sk_buff): the helper
 * is the same for both (bpf_xdp_skc_lookup_tcp(), bpf_skc_lookup_tcp()).
 * Returns 1 if ours (from the lookup, or from the memo above), else 0.
 */
#define TIU_TCP_STATE_TIME_WAIT 6     /* include/net/tcp_states.h */
#define TIU_TCP_STATE_LISTEN 10
#define TIU_TCP_STATE_NEW_SYN_RECV 12
#define TIU_TCP_FLAG_SYN_ACK_MASK 0x12 /* SYN | ACK */
#define TIU_TCP_FLAG_SYN_ONLY 0x02

static __always_inline int tiu_decap_ours(void *ctx, const struct tiu_pkt *p, void *data_end,
					  const struct tiu_udp20 *u)
{
	struct tiu_ours_ent *e;
	struct tiu_ours_key k;
	struct bpf_sock *sk;
	__u32 len, state, slot;
	int bare_syn;
	__u64 now;

	if (tiu_no_sk_lookup || (void *)(u + 1) > data_end)
		return 0;
	bare_syn = (u->flags & TIU_TCP_FLAG_SYN_ACK_MASK) == TIU_TCP_FLAG_SYN_ONLY;
	__builtin_memset(&k, 0, sizeof(k));
	if (p->family == 4) {
		__u8 *a = p->l3 + TIU_V4_SADDR_OFF;

		if ((void *)(a + 8) > data_end)
			return 0;
		__builtin_memcpy(&k.t.ipv4.saddr, a, 4);
		__builtin_memcpy(&k.t.ipv4.daddr, a + 4, 4);
		k.t.ipv4.sport = u->source;
		k.t.ipv4.dport = u->dest;
		len = sizeof(k.t.ipv4);
	} else {
		__u8 *a = p->l3 + TIU_V6_SADDR_OFF;

		if ((void *)(a + 32) > data_end)
			return 0;
		__builtin_memcpy(k.t.ipv6.saddr, a, 16);
		__builtin_memcpy(k.t.ipv6.daddr, a + 16, 16);
		k.t.ipv6.sport = u->source;
		k.t.ipv6.dport = u->dest;
		len = sizeof(k.t.ipv6);
	}
	k.family = p->family;
	slot = (tiu_htons(u->source) ^ tiu_htons(u->dest) ^ (tiu_htons(u->dest) >> 8)) &
	       (TIU_OURS_SLOTS - 1);
	e = bpf_map_lookup_elem(&tiu_ours, &slot);
	now = bpf_jiffies64();
	if (!bare_syn && e && now < e->until && tiu_ours_same(&e->k, &k))
		return 1;
	sk = bpf_skc_lookup_tcp(ctx, &k.t, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	state = sk->state;
	bpf_sk_release(sk);
	if (state == TIU_TCP_STATE_LISTEN || state == TIU_TCP_STATE_NEW_SYN_RECV)
		return 0;
	if (state == TIU_TCP_STATE_TIME_WAIT)
		return !bare_syn;
	if (e) {
		e->k = k;
		e->until = now + TIU_OURS_TTL_JIFFIES;
	}
	return 1;
}

#endif /* TIU_MATCH_H */
