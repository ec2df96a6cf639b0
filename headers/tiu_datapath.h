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
#include "tiu_match.h"
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

/*
 * The short way's answer for a well-formed IP header (as tiu_passes()
 * checks it) whose protocol is not the candidate's: 1 when the full check
 * would pass it without a counter, 0 when it must look (ICMP on decap: an
 * error may quote a tunnelled packet; after an IPv6 header, an extension
 * header may lead to the candidate). Such packets are a host's other
 * traffic, and on egress every segment the detour sends back, already UDP.
 */
static __always_inline int tiu_other(int egress, __u8 l4proto, int family)
{
	if (family == 6) /* only headers that end the chain */
		return egress ? l4proto == IPPROTO_UDP || l4proto == IPPROTO_ICMPV6
			      : l4proto == IPPROTO_TCP;
	return egress || l4proto != IPPROTO_ICMP;
}

/*
 * The short way of a packet that egress or decap (XDP and TC) passes
 * (docs/DESIGN.md "Matching, and what it costs"): most TCP leaving an
 * interface, and most of what arrives, belongs to no tunnel, and the full
 * check (context, parse, port table, mark, connection) cost such a packet
 * 40-50 ns on egress, 20-30 on decap. This answers for the common layouts
 * alone: an IPv4 header without options and not a fragment, or an IPv6
 * header followed by the candidate protocol (egress: TCP, decap: UDP),
 * within data_end, whose lengths tiu_parse() would take, on a port pair
 * without any bit of the slot in the port table (no endpoint, no lingering
 * port: follow bits come with local ones). Egress also wants the ports and
 * flags in sight, no mark selector that the packet's mark matches, and not
 * a bare SYN (which may store a plain choice, tiu_conn_encap()); decap the
 * 8 bytes of the UDP header (tiu_decap_check() looks at nothing else
 * before the ports). Such a packet is counted enc_pass or dec_pass and
 * passed, as the full check would; 1. A packet of another protocol that
 * the full check would pass without a counter (tiu_other()) is passed here
 * the same way; 1. Anything else: 0, and the full check decides.
 *
 * The frame is data..data_end, len bytes long in all (TC: skb->len, with
 * the bytes beyond the linear part; XDP: data_end - data). w: the
 * interface's slot and framing (tiu_where()); on a raw-IP interface the
 * frame starts at the IP header, whose family is l3_proto (TC:
 * skb->protocol) or, with l3_proto 0 (XDP), its version nibble. mark:
 * egress's skb->mark. egress: 1 for TC egress, 0 for decap, a constant in
 * each caller.
 */
static __always_inline int tiu_passes(void *data, void *data_end, __u32 len, __be16 l3_proto,
				      __u32 mark, const struct tiu_where *w, int egress)
{
	__u8 l4proto = egress ? IPPROTO_TCP : IPPROTO_UDP;
	__u64 bit = 1ULL << (w->slot & (TIU_MAX_SLOTS - 1)), any;
	__u32 slot = w->slot, l3_off = 0, tot;
	__be16 proto = l3_proto;
	struct tiu_port *ps, *pd;
	struct tiu_iface *iface;
	struct tiu_tcp20 *t;
	__u8 *l3 = data;

	if (!w->l3) {
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end)
			return 0;
		proto = eth->h_proto;
		l3_off = sizeof(*eth);
		l3 = data + sizeof(*eth);
	} else if (!proto) { /* XDP on a raw-IP interface */
		proto = tiu_ip_version_proto(data, data_end);
	}
	if (proto == tiu_htons(ETH_P_IP)) {
		struct iphdr *iph = (struct iphdr *)l3;

		if ((void *)(iph + 1) > data_end || *l3 != 0x45)
			return 0;
		tot = tiu_htons(iph->tot_len);
		if (tot < sizeof(*iph) || tot > len - l3_off)
			return 0;
		if (iph->protocol != l4proto)
			return tiu_other(egress, iph->protocol, 4);
		if (iph->frag_off & tiu_htons(TIU_IP_MF | TIU_IP_OFFSET))
			return 0;
		t = (struct tiu_tcp20 *)(iph + 1);
	} else if (proto == tiu_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)l3;

		if ((void *)(ip6h + 1) > data_end || (*l3 >> 4) != 6)
			return 0;
		tot = tiu_htons(ip6h->payload_len) + sizeof(*ip6h);
		if (tot == sizeof(*ip6h) || tot > len - l3_off)
			return 0;
		if (ip6h->nexthdr != l4proto)
			return tiu_other(egress, ip6h->nexthdr, 6);
		t = (struct tiu_tcp20 *)(ip6h + 1);
	} else {
		return 0;
	}
	if (egress) {
		if ((void *)&t->window > data_end || /* ports and flags */
		    (t->flags & TIU_TCP_FLAG_SYN_ACK_MASK) == TIU_TCP_FLAG_SYN_ONLY)
			return 0;
	} else if ((void *)t + 8 > data_end) { /* the UDP header */
		return 0;
	}
	ps = tiu_conn_port(t->source);
	pd = tiu_conn_port(t->dest);
	if (!ps || !pd)
		return 0;
	any = ps->local | ps->local_any | ps->remote | ps->remote_any | ps->linger | pd->local |
	      pd->local_any | pd->remote | pd->remote_any | pd->linger;
	if (any & bit)
		return 0;
	if (egress) {
		iface = bpf_map_lookup_elem(&tiu_ifaces, &slot);
		if (!iface || tiu_match_mark(iface, mark))
			return 0;
	}
	tiu_count(slot, egress ? TIU_STAT_ENC_PASS : TIU_STAT_DEC_PASS);
	return 1;
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
 * c->mark: the packet's skb->mark, for the slot's mark selector; can_pull as for tiu_decap_check(); skb: egress's context, for
 * the connection's own choice (tiu_conn_encap()), NULL at the detour. Returns
 * TIU_V_CONVERT (p filled) for a tunnelled TCP packet that can be encoded,
 * TIU_V_DROP for one that cannot (URG, bad header), TIU_V_SHORT (with
 * can_pull) when a header that decides is beyond the linear part,
 * TIU_V_PASS for anything else.
 */
static __always_inline enum tiu_verdict tiu_encap_check(void *data_end, int parsed,
							const struct tiu_encap_stats st,
							const struct tiu_ctx *c, struct __sk_buff *skb,
							struct tiu_pkt *p)
{
	__u32 slot = tiu_ctx_slot(c), mark = c->mark;
	int can_pull = c->can_pull;
	struct tiu_iface *iface;
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
	/* the interface's mark selector: an array element (inlined by the
	 * verifier) */
	iface = bpf_map_lookup_elem(&tiu_ifaces, &slot);
	if (!tiu_conn_encap(skb, slot, p, data_end,
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
