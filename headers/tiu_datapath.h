/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_datapath.h - the datapath logic, used ONLY by BPF programs.
 *
 * One body for every program: tiu_decap_check() and tiu_decap_apply() serve
 * the XDP program and the TC ingress program, tiu_encap_check() and
 * tiu_encap_apply() serve TC egress and the detour. The checks return a
 * verdict that the program maps to its own return codes; the program-specific
 * parts (ip_summed, GSO, redirects, skb->csum) stay in the programs.
 */
#ifndef TIU_DATAPATH_H
#define TIU_DATAPATH_H

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
 * the program, or after a helper that may have moved the data): each bounded
 * and checked against data_end for what the apply steps touch (the IPv4
 * header, the 20 L4 bytes, the protocol byte). 0, or -1 if they do not lie
 * in the linear part (not after a TIU_V_CONVERT of the same data).
 */
static __always_inline int tiu_ctx_pkt(const struct tiu_ctx *c, void *data, void *data_end,
				       struct tiu_pkt *p)
{
	__u32 l3_off = c->l3_off, l4_off = c->l4_off, proto_off = c->proto_off;

	if (l3_off > TIU_PKT_MAX_OFF || l4_off > TIU_PKT_MAX_OFF || proto_off > TIU_PKT_MAX_OFF)
		return -1;
	/* the bounds again on the registers themselves (6.1 does not carry a
	 * check over to a copy the compiler spilled before it); no-ops here */
	barrier_var(l3_off);
	barrier_var(l4_off);
	barrier_var(proto_off);
	l3_off &= TIU_PKT_MAX_OFF;
	l4_off &= TIU_PKT_MAX_OFF;
	proto_off &= TIU_PKT_MAX_OFF;
	p->l3 = data + l3_off;
	p->l4 = data + l4_off;
	p->proto_byte = data + proto_off;
	if (p->l3 + sizeof(struct iphdr) > data_end || p->l4 + TIU_L4_HDR_LEN > data_end ||
	    (void *)(p->proto_byte + 1) > data_end)
		return -1;
	p->l3_off = l3_off;
	p->l4_off = l4_off;
	p->l4_len = c->l4_len;
	p->family = c->family;
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

/* Is (the packet's source or destination address, port) an exact endpoint
 * of this role on slot? The address is read from the IP header, bounds
 * checked here: the verifier need not follow the family through the
 * caller's paths. */
static __always_inline int tiu_endpoint_exact(__u32 slot, const struct tiu_pkt *p, void *data_end,
					      int src, __be16 port, __u8 role)
{
	struct tiu_endpoint_key k;
	__u8 *a;

	if (p->family == 4) {
		a = p->l3 + (src ? TIU_V4_SADDR_OFF : TIU_V4_DADDR_OFF);
		if ((void *)(a + 4) > data_end)
			return 0;
		*(__u64 *)k.addr = 0;
		*(__u16 *)(k.addr + 8) = 0;
		*(__u16 *)(k.addr + 10) = 0xffff;
		__builtin_memcpy(k.addr + 12, a, 4);
	} else {
		a = p->l3 + (src ? TIU_V6_SADDR_OFF : TIU_V6_DADDR_OFF);
		if ((void *)(a + 16) > data_end)
			return 0;
		__builtin_memcpy(k.addr, a, 16);
	}
	k.port = port;
	k.role = role;
	k.slot = slot;
	return bpf_map_lookup_elem(&tiu_endpoints, &k) != NULL;
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
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

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

#include "tiu_conn.h"

/*
 * The mark selector of an interface (`mark=VALUE[/MASK]`, egress only):
 * TCP leaving with (skb->mark & mask) == value is tunnelled whatever its
 * ports. Ingress has no mark of the sender's to see.
 */
static __always_inline int tiu_match_mark(const struct tiu_iface *iface, __u32 mark)
{
	return iface && (iface->flags & TIU_IFACE_F_MARK) &&
	       (mark & iface->mark_mask) == iface->mark;
}

/* Bytes a converted packet counts for: IP header(s) and L4. */
static __always_inline __u32 tiu_l3_bytes(const struct tiu_pkt *p)
{
	__u32 l3_off = p->l3_off, l4_off = p->l4_off;

	/* Keep clang from rebuilding the offsets out of packet pointers: the
	 * verifier refuses that arithmetic ("scalar - pointer"). */
	barrier_var(l3_off);
	barrier_var(l4_off);
	return l4_off - l3_off + p->l4_len;
}

/* ------------------------------------------------------------- counters -- */

/*
 * The counters one caller of the encapsulation counts under: TC egress passes
 * what is not tunnelled, the detour drops it (only tunnelled TCP is sent
 * there), and each counts under its own names. Passed by value to always-
 * inline functions, so every field is a constant in the compiled program.
 */
struct tiu_encap_stats {
	enum tiu_stat not_tcp;   /* not TCP, or not IP at all */
	enum tiu_stat unparsed;  /* IP the parser cannot follow, or TCP whose ports
				  * are not in the frame: maybe ours, cannot tell */
	enum tiu_stat pass;      /* TCP matching no endpoint */
	enum tiu_stat fragment;  /* IP fragment of TCP */
	enum tiu_stat malformed; /* tunnelled, bad data offset or length */
	enum tiu_stat urg;       /* tunnelled, URG set */
	enum tiu_stat converted; /* converted to UDP ... */
	enum tiu_stat bytes;     /* ... and its bytes (L3 and up) */
};

#define TIU_EGRESS_STATS ((struct tiu_encap_stats){                              \
	.not_tcp = TIU_STAT_NONE,                .pass = TIU_STAT_ENC_PASS,        \
	.unparsed = TIU_STAT_ENC_SKIP_UNPARSED,                                    \
	.fragment = TIU_STAT_ENC_SKIP_FRAGMENT,  .malformed = TIU_STAT_ENC_DROP_MALFORMED, \
	.urg = TIU_STAT_ENC_DROP_URG,            .converted = TIU_STAT_ENC_CONVERTED, \
	.bytes = TIU_STAT_ENC_BYTES })

#define TIU_DETOUR_STATS ((struct tiu_encap_stats){                              \
	.not_tcp = TIU_STAT_DET_DROP_UNEXPECTED, .pass = TIU_STAT_DET_DROP_UNEXPECTED, \
	.unparsed = TIU_STAT_DET_DROP_UNEXPECTED,                                  \
	.fragment = TIU_STAT_DET_DROP_UNEXPECTED, .malformed = TIU_STAT_DET_DROP_MALFORMED, \
	.urg = TIU_STAT_DET_DROP_URG,            .converted = TIU_STAT_DET_CONVERTED, \
	.bytes = TIU_STAT_DET_BYTES })

/*
 * Both directions have the same shape: a check (parse, match, decide) that
 * counts every packet it does not accept, then - after the program's own
 * decision (skb state, redirects) - an apply that rewrites the packet and
 * counts the conversion. So a packet is counted once, by the step that
 * decided its fate: tiu_*_check() for the reasons, tiu_*_apply() for the
 * conversion, the program for what only it knows (detour, GSO after the
 * detour, no detour).
 */

/* -------------------------------------------------------- decapsulation -- */

/* What tiu_decap_apply() changed, for the caller's checksum bookkeeping. */
struct tiu_decap_info {
	__u32 old_words; /* see tiu_wire_decode() */
	__u32 new_words;
	__u32 l3_diff;   /* what the IP header(s) add to the packet's sum after
			  * the rewrite minus before (IPv6: the next-header byte,
			  * tiu_ipv6_proto_sum_diff(); IPv4: 0, its checksum
			  * follows), in the form of old/new_words' difference */
};

/* Where tiu_decap_icmp() looks: the ICMP message may start this far in. */
#define TIU_ICMP_MAX_OFF 512

/*
 * An ICMP or ICMPv6 message on ingress that tiu_decap_check() handed back
 * (TIU_V_ICMP): its offset and length (from the IP header) in the frame and
 * the family. An error that quotes a packet this host sent through the
 * tunnel - UDP matching the egress rule - gets its quote restored to TCP
 * (tiu_icmp.h). Returns the counter the program counts it in: every error of
 * the translated types lands in exactly one of dec_icmp_translated,
 * dec_icmp_skip_short and dec_icmp_pass (not ours: not UDP, not matching, a
 * quoted fragment, a quote too short to hold the ports); other ICMP in none
 * (TIU_STAT_NONE). Nothing is dropped.
 *
 * The programs call it from a global subprogram of their own, which the
 * verifier checks once, not once per path through the outer headers (the
 * two header walks, inlined one after the other, exceed its budget). The
 * caller counts, so that the subprogram's stack holds no tiu_stats.
 */
static __always_inline enum tiu_stat tiu_decap_icmp(void *data, void *data_end, __u32 slot,
						    __u64 l4_off, __u32 l4_len, __u32 family)
{
	struct tiu_pkt q = {};
	struct tiu_udp20 *u;
	__u8 *icmp;

	if (l4_off > TIU_ICMP_MAX_OFF || (family != 4 && family != 6))
		return TIU_STAT_NONE;
	icmp = data + l4_off;
	if ((void *)(icmp + TIU_ICMP_HDR_LEN) > data_end || l4_len < TIU_ICMP_HDR_LEN ||
	    !tiu_icmp_is_error(family, icmp[0]))
		return TIU_STAT_NONE;
	if (tiu_icmp_parse_quote(icmp + TIU_ICMP_HDR_LEN, data_end, l4_len - TIU_ICMP_HDR_LEN,
				 family, &q) ||
	    q.proto != IPPROTO_UDP)
		return TIU_STAT_DEC_ICMP_PASS;
	u = q.l4;
	/* The egress rule without the mark selector: a quote carries no mark.
	 * Errors about a connection selected by mark are translated all the
	 * same when it works at all: its return traffic is decapsulated only
	 * through a port endpoint (local=its source, or remote=its
	 * destination), and the same endpoint matches the quote, which is the
	 * mirror of that return traffic. Nothing else could tell the quote of
	 * a mark-selected segment from a UDP datagram of the same ports. */
	/* A remote=-only match is translated without tiu_decap_ours(): the
	 * result is an ICMP error quoting TCP, which anyone could have sent as
	 * such, and tcp_v4_err()/tcp_v6_err() judge it as they judge every
	 * other (a socket, a sequence number in the window). */
	if (q.l4_len < 4 || (void *)u + 4 > data_end ||
	    tiu_match_ports(slot, &q, data_end, u->source, u->dest, 0) == TIU_MATCH_NONE)
		return TIU_STAT_DEC_ICMP_PASS;
	if (q.l4_len < TIU_ICMP_MIN_QUOTE || q.l4 + TIU_ICMP_MIN_QUOTE > data_end ||
	    tiu_icmp_translate(icmp, data_end, &q))
		return TIU_STAT_DEC_ICMP_SKIP_SHORT;
	return TIU_STAT_DEC_ICMP_TRANSLATED;
}

/*
 * First half of UDP -> TCP: match and check a frame on ingress, described
 * by c (struct tiu_ctx: slot, frame_len, is_gso, can_pull; XDP: is_gso and
 * can_pull 0), parsed by tiu_ctx_parse() (parsed: its result; p: its
 * pointers, tiu_ctx_parsed()). Returns TIU_V_CONVERT (p filled) for a tunnelled
 * packet that can be restored, TIU_V_ICMP (p filled) for an unfragmented
 * ICMP/ICMPv6 message, TIU_V_SHORT (with can_pull) when a header that
 * decides is beyond the linear part, otherwise PASS or DROP; every UDP
 * packet that is not accepted is counted in exactly one reason. ctx: the
 * program's context, for the socket lookup of a remote=-only match
 * (tiu_decap_ours(): dec_skip_not_ours when it is not this host's).
 */
static __always_inline enum tiu_verdict tiu_decap_check(void *ctx, void *data_end, int parsed,
							const struct tiu_ctx *c,
							struct tiu_pkt *p)
{
	__u32 slot = tiu_ctx_slot(c);
	int can_pull = c->can_pull, is_gso = c->is_gso;
	enum tiu_match m;
	struct tiu_udp20 *u;

	if (parsed != TIU_PARSE_OK) {
		if (can_pull)
			return TIU_V_SHORT;
		/* IP that cannot be parsed may be tunnelled UDP: counted, passed */
		if (parsed == TIU_PARSE_BAD)
			tiu_count(slot, TIU_STAT_DEC_SKIP_UNPARSED);
		return TIU_V_PASS;
	}
	if (p->proto != IPPROTO_UDP) {
		if (!p->frag && p->proto == (p->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6))
			return TIU_V_ICMP;
		return TIU_V_PASS;
	}
	if (p->frag) {
		tiu_count(slot, TIU_STAT_DEC_SKIP_FRAGMENT);
		return TIU_V_PASS;
	}
	u = p->l4;
	if ((void *)u + 8 > data_end) { /* not even a UDP header in sight: cannot match */
		if (can_pull)
			return TIU_V_SHORT;
		tiu_count(slot, TIU_STAT_DEC_SKIP_UNPARSED);
		return TIU_V_PASS;
	}
	m = tiu_match_ports(slot, p, data_end, u->source, u->dest, 1);
	if (m == TIU_MATCH_NONE) {
		tiu_count(slot, TIU_STAT_DEC_PASS);
		return TIU_V_PASS;
	}
	if (tiu_htons(u->len) != p->l4_len) {
		tiu_count(slot, TIU_STAT_DEC_SKIP_LENGTH);
		return TIU_V_PASS;
	}
	if (is_gso) {
		tiu_count(slot, TIU_STAT_DEC_SKIP_GSO);
		return TIU_V_PASS;
	}
	if ((void *)(u + 1) > data_end && can_pull)
		return TIU_V_SHORT;
	if ((void *)(u + 1) > data_end || !tiu_wire_doff_ok(u->doff_rsv, p->l4_len)) {
		tiu_count(slot, TIU_STAT_DEC_SKIP_SHORT);
		return TIU_V_PASS;
	}
	/* Last of the reasons to pass, as it is the dearest (a socket lookup):
	 * a remote=-only match must be of a connection this host opened. */
	if ((m == TIU_MATCH_REMOTE || m == TIU_MATCH_LINGER) && !tiu_decap_ours(ctx, p, data_end, u)) {
		tiu_count(slot, TIU_STAT_DEC_SKIP_NOT_OURS);
		return TIU_V_PASS;
	}
	/*
	 * Checksum 0: no checksum (IPv4) or invalid (IPv6). Our encapsulation
	 * never sends it. Computing a fresh TCP checksum would certify bytes
	 * that nothing protected on the way, so such packets are dropped.
	 */
	if (u->check == 0) {
		tiu_count(slot, p->family == 4 ? TIU_STAT_DEC_DROP_CSUM0_V4
						  : TIU_STAT_DEC_DROP_CSUM0_V6);
		return TIU_V_DROP;
	}
	tiu_conn_decap(slot, p, data_end, u, m);
	return TIU_V_CONVERT;
}

/* Second half: restore a packet that tiu_decap_check() accepted and count
 * it; info receives what the caller needs for a CHECKSUM_COMPLETE sum. */
static __always_inline void tiu_decap_apply(struct tiu_pkt *p, void *data_end, __u32 slot,
					    struct tiu_decap_info *info)
{
	void *l4 = p->l4;

	if (l4 + TIU_L4_HDR_LEN > data_end) /* checked by tiu_decap_check() */
		return;
	tiu_wire_decode(l4, &info->old_words, &info->new_words);
	*p->proto_byte = IPPROTO_TCP;
	if (p->family == 4) {
		struct iphdr *iph = p->l3;

		iph->check = tiu_ipv4_proto_csum(iph->check, IPPROTO_UDP, IPPROTO_TCP);
		info->l3_diff = 0;
	} else {
		info->l3_diff = tiu_ipv6_proto_sum_diff(IPPROTO_UDP, IPPROTO_TCP);
	}
	tiu_count_bytes(slot, TIU_STAT_DEC_CONVERTED, TIU_STAT_DEC_BYTES, tiu_l3_bytes(p));
}

/* -------------------------------------------------------- encapsulation -- */

/*
 * First half of TCP -> UDP: match and check a frame on egress, described
 * by c and parsed as for tiu_decap_check(), counting under st
 * (TIU_EGRESS_STATS or TIU_DETOUR_STATS) in the slot, the real interface's;
 * iface and c->mark: the interface's mark selector and the packet's
 * skb->mark; can_pull as for tiu_decap_check(); skb: egress's context, for
 * the connection's own choice (tiu_conn_encap()), NULL at the detour. Returns
 * TIU_V_CONVERT (p filled) for a tunnelled TCP packet that can be encoded,
 * TIU_V_DROP for one that cannot (URG, bad header), TIU_V_SHORT (with
 * can_pull) when a header that decides is beyond the linear part,
 * TIU_V_PASS for anything else.
 */
static __always_inline enum tiu_verdict tiu_encap_check(void *data_end, int parsed,
							const struct tiu_iface *iface,
							const struct tiu_encap_stats st,
							const struct tiu_ctx *c, struct __sk_buff *skb,
							struct tiu_pkt *p)
{
	__u32 slot = tiu_ctx_slot(c), mark = c->mark;
	int can_pull = c->can_pull;
	struct tiu_tcp20 *t;

	if (parsed != TIU_PARSE_OK && can_pull)
		return TIU_V_SHORT;
	if (parsed == TIU_PARSE_BAD) {
		/* IP that cannot be parsed may be TCP to an endpoint: egress
		 * passes it as it is (docs/OPERATIONS.md, "Decisions at the edges"), counted */
		tiu_count(slot, st.unparsed);
		return TIU_V_PASS;
	}
	if (parsed != TIU_PARSE_OK || p->proto != IPPROTO_TCP) {
		tiu_count(slot, st.not_tcp);
		return TIU_V_PASS;
	}
	if (p->frag) {
		tiu_count(slot, st.fragment);
		return TIU_V_PASS;
	}
	t = p->l4;
	if ((void *)(t + 1) > data_end && can_pull)
		return TIU_V_SHORT;
	if ((void *)t + 4 > data_end) { /* ports out of sight: cannot match */
		tiu_count(slot, st.unparsed);
		return TIU_V_PASS;
	}
	if (!tiu_conn_encap(skb, slot, p, data_end, t,
			    tiu_match_ports(slot, p, data_end, t->source, t->dest, 0),
			    tiu_match_mark(iface, mark))) {
		tiu_count(slot, st.pass);
		return TIU_V_PASS;
	}
	if ((void *)(t + 1) > data_end || !tiu_wire_doff_ok(t->doff_rsv, p->l4_len)) {
		tiu_count(slot, st.malformed);
		return TIU_V_DROP;
	}
	if (t->flags & TIU_TCP_FLAG_URG) {
		/* The urgent pointer has no place on the wire (docs/DESIGN.md "Wire format"). */
		tiu_count(slot, st.urg);
		return TIU_V_DROP;
	}
	return TIU_V_CONVERT;
}

/* ------------------------------------------------------------ MSS clamp -- */

#define TIU_TCP_FLAG_SYN 0x02
#define TIU_TCPOPT_EOL 0
#define TIU_TCPOPT_NOP 1
#define TIU_TCPOPT_MSS 2    /* kind 2, length 4, 16-bit value */
#define TIU_TCP_MAX_OPT 40  /* bytes of options after the 20-byte header */
#define TIU_TCP_OPT_WALK 20 /* options (NOPs included) looked at, at most */

/*
 * The MSS clamp of a tunnelled SYN or SYN-ACK (the interface's `tiu up
 * --mss N`): its MSS option is lowered to N if larger, the TCP checksum
 * following (RFC 1624). The options are copied out of the packet into
 * struct tiu_mss_walk and walked one option per call of tiu_mss_step(),
 * which the programs run as a global subprogram: the verifier checks one
 * step once, not every path through up to TIU_TCP_OPT_WALK options (each a
 * different offset), which cost it ~170,000 instructions per program. The
 * value may sit at an odd offset, where its two bytes belong to two 16-bit
 * words of the sum: their contribution is then the byte-swapped value
 * (tiu_mss_check()). A SYN without an MSS option is left alone (the peer
 * assumes 536 / 1220). See tc/ (tiu_tc_clamp_mss()) for the writes.
 */
struct tiu_mss_walk {
	__u8 opt[TIU_TCP_MAX_OPT]; /* the option bytes (optlen of them) */
	__u32 optlen;              /* bytes of options after the 20-byte header */
	__u32 off;                 /* the option the walk is at; found: the MSS option */
	__u16 mss;                 /* found: its value, as in the packet */
	__u16 pad;
};

/* One option of the walk: 0 and w->off moved past it, 1 if it is the MSS
 * option (w->off at it, w->mss its value), -1 at the end of the list or at
 * a malformed option (nothing to clamp). */
static __always_inline int tiu_mss_step(struct tiu_mss_walk *w)
{
	__u32 off = w->off, optlen = w->optlen;
	__u8 kind, len;

	if (off >= optlen || off >= TIU_TCP_MAX_OPT || optlen > TIU_TCP_MAX_OPT)
		return -1;
	kind = w->opt[off];
	if (kind == TIU_TCPOPT_EOL)
		return -1;
	if (kind == TIU_TCPOPT_NOP) {
		w->off = off + 1;
		return 0;
	}
	if (off + 1 >= optlen || off + 1 >= TIU_TCP_MAX_OPT) /* no length byte */
		return -1;
	len = w->opt[off + 1];
	if (len < 2)
		return -1; /* malformed: stop */
	if (kind != TIU_TCPOPT_MSS) {
		w->off = off + len;
		return 0;
	}
	if (len != 4 || off + 4 > optlen || off + 4 > TIU_TCP_MAX_OPT)
		return -1;
	__builtin_memcpy(&w->mss, &w->opt[off + 2], sizeof(w->mss));
	return 1;
}

/* The TCP checksum after the MSS value old (at option offset off) becomes
 * new, both as in the packet. */
static __always_inline __u16 tiu_mss_check(__u16 check, __u32 off, __u16 old, __u16 new)
{
	if (off & 1) /* odd offset from the header: each byte in another word */
		return tiu_csum_replace16(check, tiu_csum_swab16(old), tiu_csum_swab16(new));
	return tiu_csum_replace16(check, old, new);
}

/* Second half: rewrite a packet that tiu_encap_check() accepted and count it
 * under st. The TCP checksum must be complete (not CHECKSUM_PARTIAL). */
static __always_inline void tiu_encap_apply(struct tiu_pkt *p, void *data_end, __u32 slot,
					    const struct tiu_encap_stats st)
{
	void *l4 = p->l4;

	if (l4 + TIU_L4_HDR_LEN > data_end) /* checked by tiu_encap_check() */
		return;
	tiu_wire_encode(l4, p->l4_len);
	*p->proto_byte = IPPROTO_UDP;
	if (p->family == 4) {
		struct iphdr *iph = p->l3;

		iph->check = tiu_ipv4_proto_csum(iph->check, IPPROTO_TCP, IPPROTO_UDP);
	}
	tiu_count_bytes(slot, st.converted, st.bytes, tiu_l3_bytes(p));
}

#endif /* TIU_DATAPATH_H */
