/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_common.h - the contract between the BPF programs and user space.
 *
 * Included by the XDP and TC programs, the `tiu` loader, the tests and the
 * benchmarks. Everything that crosses the kernel/user boundary (map keys and
 * values, statistics indexes, pin names, the ABI version) is declared here
 * and only here. Layouts are explicit: every struct has named padding and a
 * _Static_assert on its size, because these bytes are map keys.
 */
#ifndef TIU_COMMON_H
#define TIU_COMMON_H

#include <linux/types.h>

/*
 * ABI version of the pinned maps. Bump it whenever a key, value or map
 * definition below changes: the loader refuses pins of another version
 * ("stale pins: run `tiu down IFACE --purge`").
 */
#define TIU_ABI_VERSION 9 /* 2: dec_icmp_*; 3: enc_drop_no_headroom, TIU_LINK_F_L3;
			    4: tiu_link.mss, enc_mss_clamped;
			    5: matching v2: slots, tiu_ports, tiu_ifaces, ranges, marks;
			    6: enc_skip_unparsed, dec_skip_unparsed, dec_skip_not_ours;
			    7: per connection: tiu_port.follow/linger, TIU_EP_F_FOLLOW,
			       tiu_conn_syn, tiu_conn_sk, enc_conn_*, dec_conn_*;
			    8: tiu_config.ep_gen (was reserved);
			    9: tiu_conn_state.syn_seq */

/* Default pin directory. The loader adds one subdirectory per network
 * namespace that is not the initial one (see loader/). */
#define TIU_PIN_ROOT "/sys/fs/bpf/tiu"

/* Map names: the pin file names under the pin directory. */
#define TIU_MAP_ENDPOINTS "tiu_endpoints"
#define TIU_MAP_STATS     "tiu_stats"
#define TIU_MAP_LINKS     "tiu_links"
#define TIU_MAP_CONFIG    "tiu_config"
#define TIU_MAP_PORTS     "tiu_ports"
#define TIU_MAP_IFACES    "tiu_ifaces"
#define TIU_MAP_CONN_SYN  "tiu_conn_syn" /* tunnelled SYNs to follow= ports (headers/tiu_conn.h) */
#define TIU_MAP_CONN_SK   "tiu_conn_sk"  /* socket storage: each connection's decision */

/* Program names (function names in the objects). */
#define TIU_PROG_XDP_DECAP "tiu_xdp_decap"  /* tiu_xdp.bpf.o */
#define TIU_PROG_TC_EGRESS "tiu_tc_egress"  /* tiu_tc*.bpf.o, clsact egress */
#define TIU_PROG_TC_DETOUR "tiu_tc_detour"  /* tiu_tc*.bpf.o, detour peer ingress */
#define TIU_PROG_TC_DECAP  "tiu_tc_decap"   /* tiu_tc*.bpf.o, clsact ingress */

/* Map sizes. Each is a limit an operator may hit; keep them generous. */
#ifndef TIU_MAX_ENDPOINTS
#define TIU_MAX_ENDPOINTS 65536 /* endpoints over all interfaces */
#endif
#ifndef TIU_MAX_SLOTS
#define TIU_MAX_SLOTS 64        /* interfaces with tiu up per netns (one bit each
				 * in struct tiu_port: do not raise above 64) */
#endif
#define TIU_MAX_IFACES (TIU_MAX_SLOTS * 2) /* tiu_links: interfaces and detour peers */
#define TIU_PORTS 65536         /* tiu_ports entries: one per port number */

/* libxdp run config of the XDP program: where it sits in the dispatcher. */
#define TIU_XDP_PRIORITY 20

/* Endpoint roles (see docs/DESIGN.md "Endpoints"). */
enum tiu_role {
	TIU_ROLE_LOCAL  = 1, /* our address:port: encap if src, decap if dst */
	TIU_ROLE_REMOTE = 2, /* peer's address:port: encap if dst, decap if src */
};

/*
 * Slots. Each interface with tiu up in a network namespace holds one slot,
 * 0 .. TIU_MAX_SLOTS-1, given by the loader at `up` and freed at `down`. A
 * slot indexes the arrays (tiu_ifaces, tiu_stats) and is a bit in the port
 * table (tiu_ports), so no per-packet lookup is keyed by ifindex. The loader
 * sets each loaded object's constant tiu_slot (.rodata, like tiu_framing);
 * objects loaded without it (xdp-loader) hold TIU_SLOT_AUTO and find their
 * slot per packet in tiu_links (ifindex -> slot): no entry, not ours.
 */
#define TIU_SLOT_AUTO 0xffffffffU

/*
 * Endpoint key: one element per (slot, address, port, role). A port range is
 * stored as one element per port, each carrying the range in its value (for
 * `endpoint list` and `del`); the datapath looks up single ports only. addr
 * holds an IPv6 address, or an IPv4 address v4-mapped (::ffff:a.b.c.d); all
 * zero bytes is the wildcard and matches both families. port is in network
 * byte order and never 0. Wildcard elements are never looked up by the
 * datapath (the port table answers for them) but are kept here so that this
 * map alone lists every endpoint.
 */
struct tiu_endpoint_key {
	__u8 addr[16];
	__be16 port;
	__u8 role;      /* enum tiu_role */
	__u8 slot;      /* the interface's slot */
};
_Static_assert(sizeof(struct tiu_endpoint_key) == 20, "tiu_endpoint_key layout");

struct tiu_endpoint_val {
	__u16 first;    /* the range this port belongs to, HOST byte order: */
	__u16 last;     /* first <= port <= last; first == last: a single port */
	__u32 flags;    /* TIU_EP_F_* */
};
_Static_assert(sizeof(struct tiu_endpoint_val) == 8, "tiu_endpoint_val layout");

/* A local= endpoint written follow=ADDR:PORT: replies are tunnelled only for
 * the connections that arrived tunnelled (docs/DESIGN.md "Choosing per
 * connection"). Role TIU_ROLE_LOCAL; the port table's follow bit says it. */
#define TIU_EP_F_FOLLOW (1U << 0)

/*
 * The port table (tiu_ports, an array indexed by the port number in HOST
 * byte order): the first test of every candidate packet, two array lookups
 * (source and destination port), no hashing. Bit s of a word: slot s has an
 * endpoint of that role and kind on this port. A *_any bit decides alone
 * (the wildcard address matches everything); an exact bit sends the packet
 * to one tiu_endpoints lookup for its address. The loader keeps the bits
 * equal to what tiu_endpoints holds.
 */
struct tiu_port {
	__u64 local;      /* local=ADDR:port, ADDR not the wildcard */
	__u64 local_any;  /* local=*:port */
	__u64 remote;     /* remote=ADDR:port */
	__u64 remote_any; /* remote=*:port */
	__u64 follow;     /* the local= endpoint on this port is follow= (with a
			   * local or local_any bit of the same slot) */
	__u64 linger;     /* an endpoint of this port was deleted: its live
			   * connections keep their choice (tiu_conn.h); cleared
			   * when the interface goes down */
};
_Static_assert(sizeof(struct tiu_port) == 48, "tiu_port layout");

/*
 * Per slot (tiu_ifaces, an array of TIU_MAX_SLOTS): the interface holding it
 * and what the programs need of it per packet.
 */
struct tiu_iface {
	__u32 ifindex;        /* the real interface; 0: the slot is free */
	__u32 detour_ifindex; /* the detour end egress redirects PARTIAL/GSO TCP
			       * to; 0: no detour (such packets are dropped) */
	__u32 flags;          /* TIU_IFACE_F_* */
	__u32 mss;            /* clamp the MSS option of tunnelled SYN and SYN-ACK
			       * leaving it to this (`tiu up --mss`); 0: off */
	__u32 mark;           /* with TIU_IFACE_F_MARK: egress TCP whose */
	__u32 mark_mask;      /* (skb->mark & mark_mask) == mark is tunnelled */
};
_Static_assert(sizeof(struct tiu_iface) == 24, "tiu_iface layout");

#define TIU_IFACE_F_L3   (1U << 0) /* raw IP (no MAC header) */
#define TIU_IFACE_F_MARK (1U << 1) /* mark selector set (`mark=VALUE[/MASK]`) */

/*
 * Interface table (tiu_links), keyed by ifindex (__u32): which slot an
 * ifindex belongs to. Two kinds of entries: the real interface, and its
 * detour peer (where tiu_tc_detour runs on ingress; the slot is its real
 * interface's). Read per packet only by objects without tiu_slot.
 */
struct tiu_link {
	__u32 slot;
	__u32 flags;    /* TIU_LINK_F_* */
};
_Static_assert(sizeof(struct tiu_link) == 8, "tiu_link layout");

#define TIU_LINK_F_REAL   (1U << 0) /* entry of a real interface */
#define TIU_LINK_F_DETOUR (1U << 1) /* entry of a detour peer */
#define TIU_LINK_F_L3     (1U << 2) /* the real interface is raw IP (no MAC header) */

/*
 * Framing of an interface: where the IP header of its packets starts.
 * Each program reads it from the constant tiu_framing (.rodata), which the
 * loader sets before it loads the objects for an interface (one loaded copy
 * per interface): the verifier then prunes the other branch, no cost per
 * packet. The objects are built with TIU_FRAMING_AUTO, for loaders that do
 * not set it (xdp-loader): the program then reads TIU_LINK_F_L3 of the
 * interface's tiu_links entry (the same lookup that finds its slot). The detour program always sees Ethernet (the detour is a veth).
 */
enum tiu_framing {
	TIU_FRAMING_AUTO = 0, /* per packet from tiu_links (TIU_LINK_F_L3) */
	TIU_FRAMING_ETH  = 1, /* Ethernet header, then up to two VLAN tags */
	TIU_FRAMING_L3   = 2, /* raw IP: tun, WireGuard, wwan/rmnet/qmimux, PPP */
};

/*
 * Per connection (headers/tiu_conn.h, docs/DESIGN.md "Choosing per
 * connection"): tiu_conn_syn (LRU hash: tunnelled SYNs to follow= ports, by
 * 4-tuple) and tiu_conn_sk (socket storage: each connection's choice).
 */
#ifndef TIU_CONN_SYNS
#define TIU_CONN_SYNS 16384 /* tunnelled SYNs remembered (LRU): connections being
			     * accepted at once on follow= ports, with margin */
#endif

/* A connection as its local end sees it: IPv4 v4-mapped. */
struct tiu_conn_key {
	__u8 local[16];
	__u8 remote[16];
	__be16 lport;
	__be16 rport;
	__u32 pad;      /* 0 */
};
_Static_assert(sizeof(struct tiu_conn_key) == 40, "tiu_conn_key layout");

#define TIU_CONN_PLAIN 1
#define TIU_CONN_TUNNELLED 2

struct tiu_conn_state {
	__u32 choice;   /* TIU_CONN_PLAIN or TIU_CONN_TUNNELLED */
	__be32 syn_seq; /* the sequence number of the bare SYN that made the
			 * choice; 0 when a later packet made it */
};
_Static_assert(sizeof(struct tiu_conn_state) == 8, "tiu_conn_state layout");

/* Configuration: a one-entry array. Written by the loader when it creates
 * the pins; read back to detect pins of another ABI version. */
struct tiu_config {
	__u32 abi_version; /* TIU_ABI_VERSION of whoever created the pins */
	__u32 ep_gen;      /* the generation of tiu_endpoints: odd while the
			    * loader deletes elements, the next even value
			    * after (the programs' memo, headers/tiu_match.h
			    * tiu_endpoint_exact(); loader/sys/epgen.c) */
};
_Static_assert(sizeof(struct tiu_config) == 8, "tiu_config layout");

/*
 * Statistics: one per-CPU record per slot (tiu_stats is a per-CPU array
 * indexed by the slot: no hashing per packet), summed over possible CPUs in
 * user space. The loader zeroes a slot's record when it gives the slot out. Every packet that tiu looks at as a candidate (TCP on egress, UDP
 * and ICMP/ICMPv6 errors on ingress) lands in exactly one of the packet
 * counters of its direction; *_BYTES counters go with *_CONVERTED. Adding a
 * counter changes the map's value size: bump TIU_ABI_VERSION.
 *
 * X(name, "label", FAMILY, "direction", "reason or event", "what it means"):
 * FAMILY, direction and reason/event say where `tiu stats --prometheus` puts
 * the counter, stated here and not guessed from the label: CONVERTED
 * (tiu_converted_packets_total), BYTES (tiu_converted_bytes_total), PASSED
 * (tiu_passed_packets_total{reason}), DROPPED (tiu_dropped_packets_total
 * {reason}), EVENT (tiu_events_total{event}); "" for the families without
 * a reason or event. tests/test_counters.c checks every line.
 */
#define TIU_STATS(X)                                                                   \
	X(ENC_CONVERTED, "enc_converted", CONVERTED, "encap", "", \
	  "TCP converted to UDP in place on egress") \
	X(ENC_BYTES, "enc_bytes", BYTES, "encap", "", \
	  "bytes (L3 and up) of enc_converted") \
	X(ENC_DETOURED, "enc_detoured", EVENT, "encap", "detoured", \
	  "PARTIAL or GSO TCP sent through the segmentation detour") \
	X(ENC_PASS, "enc_pass", PASSED, "encap", "no_endpoint", \
	  "TCP matching no endpoint, passed untouched") \
	X(ENC_SKIP_FRAGMENT, "enc_skip_fragment", PASSED, "encap", "fragment", \
	  "IP fragment of TCP, passed untouched") \
	X(ENC_DROP_URG, "enc_drop_urg", DROPPED, "encap", "urg", \
	  "tunnelled TCP with URG set: cannot be encoded, dropped") \
	X(ENC_DROP_MALFORMED, "enc_drop_malformed", DROPPED, "encap", "malformed", \
	  "tunnelled TCP with a bad header or length, dropped") \
	X(ENC_DROP_NO_DETOUR, "enc_drop_no_detour", DROPPED, "encap", "no_detour", \
	  "needed the detour but the interface has none, dropped") \
	X(ENC_DROP_NO_HEADROOM, "enc_drop_no_headroom", DROPPED, "encap", "no_headroom", \
	  "raw-IP TCP for the detour: no room for the Ethernet header it needs there, dropped") \
	X(DET_CONVERTED, "detour_converted", CONVERTED, "detour", "", \
	  "segment converted to UDP at the detour and sent to the interface") \
	X(DET_BYTES, "detour_bytes", BYTES, "detour", "", \
	  "bytes (L3 and up) of detour_converted") \
	X(DET_DROP_UNEXPECTED, "detour_drop_unexpected", DROPPED, "detour", "unexpected", \
	  "packet at the detour that is not a tunnelled TCP segment, dropped") \
	X(DET_DROP_NOT_SEGMENTED, "detour_drop_not_segmented", DROPPED, "detour", "not_segmented", \
	  "still GSO or CHECKSUM_PARTIAL after the detour, dropped (never looped)") \
	X(DET_DROP_URG, "detour_drop_urg", DROPPED, "detour", "urg", \
	  "segment with URG set at the detour, dropped") \
	X(DET_DROP_MALFORMED, "detour_drop_malformed", DROPPED, "detour", "malformed", \
	  "segment with a bad header or length at the detour, dropped") \
	X(DEC_CONVERTED, "dec_converted", CONVERTED, "decap", "", \
	  "UDP converted back to TCP on ingress") \
	X(DEC_BYTES, "dec_bytes", BYTES, "decap", "", \
	  "bytes (L3 and up) of dec_converted") \
	X(DEC_PASS, "dec_pass", PASSED, "decap", "no_endpoint", \
	  "UDP matching no endpoint, passed untouched") \
	X(DEC_SKIP_FRAGMENT, "dec_skip_fragment", PASSED, "decap", "fragment", \
	  "IP fragment of UDP, passed untouched") \
	X(DEC_SKIP_LENGTH, "dec_skip_length", PASSED, "decap", "length", \
	  "UDP length differs from the IP payload length, passed untouched") \
	X(DEC_SKIP_SHORT, "dec_skip_short", PASSED, "decap", "short", \
	  "tunnelled UDP too short for a TCP header or with a bad data offset, passed untouched") \
	X(DEC_SKIP_GSO, "dec_skip_gso", PASSED, "decap", "gso", \
	  "tunnelled UDP aggregated by GRO (TC: gso_segs > 1; XDP: longer than the MTU), passed untouched") \
	X(DEC_DROP_CSUM0_V4, "dec_drop_csum0_v4", DROPPED, "decap", "csum0_v4", \
	  "tunnelled IPv4 UDP without checksum (0), dropped") \
	X(DEC_DROP_CSUM0_V6, "dec_drop_csum0_v6", DROPPED, "decap", "csum0_v6", \
	  "tunnelled IPv6 UDP with checksum 0 (invalid), dropped") \
	X(DEC_ICMP_TRANSLATED, "dec_icmp_translated", EVENT, "decap", "icmp_translated", \
	  "ICMP/ICMPv6 error about a tunnelled packet: its quote restored to TCP") \
	X(DEC_ICMP_SKIP_SHORT, "dec_icmp_skip_short", PASSED, "decap", "icmp_short", \
	  "ICMP/ICMPv6 error about a tunnelled packet quoting < 16 L4 bytes, passed untouched") \
	X(DEC_ICMP_PASS, "dec_icmp_pass", PASSED, "decap", "icmp_not_tunnelled", \
	  "ICMP/ICMPv6 error about a packet that is not tunnelled UDP, passed untouched") \
	X(ENC_MSS_CLAMPED, "enc_mss_clamped", EVENT, "encap", "mss_clamped", \
	  "tunnelled SYN or SYN-ACK whose MSS option was lowered to --mss (also counted as converted)") \
	X(ENC_DROP_NO_MEMORY, "enc_drop_no_memory", DROPPED, "encap", "no_memory", \
	  "tunnelled TCP that could not be made writable in place (no memory to unshare a cloned skb), dropped") \
	X(ENC_SKIP_UNPARSED, "enc_skip_unparsed", PASSED, "encap", "unparsed", \
	  "IP the parser cannot follow (more VLAN tags or IPv6 extension headers than it follows, a jumbogram, inconsistent lengths, TCP without ports), passed untouched: perhaps TCP to an endpoint") \
	X(DEC_SKIP_UNPARSED, "dec_skip_unparsed", PASSED, "decap", "unparsed", \
	  "IP the parser cannot follow (as enc_skip_unparsed; UDP without a whole header), passed untouched: perhaps tunnelled UDP") \
	X(DEC_SKIP_NOT_OURS, "dec_skip_not_ours", PASSED, "decap", "not_ours", \
	  "UDP matching only a remote= endpoint, of no connection this host opened, passed untouched") \
	X(ENC_CONN_TUNNELLED, "enc_conn_tunnelled", EVENT, "encap", "conn_tunnelled", \
	  "connections whose socket was marked tunnelled at their first packet on egress: tunnelled until they close (a decision, not a packet count)") \
	X(ENC_CONN_PLAIN, "enc_conn_plain", EVENT, "encap", "conn_plain", \
	  "connections whose socket was marked plain at their first packet on egress (a SYN matching no endpoint, a follow= port's connection that arrived as TCP): plain until they close") \
	X(ENC_CONN_KEPT, "enc_conn_kept", EVENT, "encap", "conn_kept", \
	  "TCP whose endpoint was deleted, tunnelled because its connection is (also counted as converted, or as detoured)") \
	X(DEC_CONN_SYN, "dec_conn_syn", EVENT, "decap", "conn_syn", \
	  "tunnelled SYN to a follow= endpoint, remembered so that its connection's replies are tunnelled (also counted as converted)") \
	X(DEC_CONN_KEPT, "dec_conn_kept", EVENT, "decap", "conn_kept", \
	  "UDP whose endpoint was deleted, restored because its TCP connection lives (also counted as converted)")

#define TIU_STAT_ENUM_(name, ...) TIU_STAT_##name,
enum tiu_stat {
	TIU_STATS(TIU_STAT_ENUM_)
	TIU_STAT__MAX
};
#undef TIU_STAT_ENUM_

struct tiu_stats {
	__u64 v[TIU_STAT__MAX];
};

/*
 * Keepalive for tunnelled connections (cgroup/tiu_sockops.bpf.c, a sock_ops
 * program on the cgroup v2 root). One attachment serves every network
 * namespace, so its maps are global: pinned once in the host's bpffs under
 * TIU_PIN_ROOT/TIU_KA_DIR, every entry keyed by the network namespace's
 * cookie (bpf_get_netns_cookie() in the program, SO_NETNS_COOKIE in the
 * loader). sock_ops sees no egress interface, so the endpoints are matched
 * by (netns, address, port, role) and each entry names the interface whose
 * `tiu up` published it (its counters and its `down`).
 */
#define TIU_KA_DIR          "keepalive"      /* TIU_PIN_ROOT/keepalive, host bpffs */
#define TIU_MAP_KA_EPS      "tiu_ka_eps"
#define TIU_MAP_KA_IFACES   "tiu_ka_ifaces"
#define TIU_KA_LINK         "tiu_ka_link"    /* the pinned cgroup link */
#define TIU_MAP_KA_OWN      "tiu_ka_own"     /* socket storage: the application's own choices */
#define TIU_KA_OPT_LINK     "tiu_ka_opt_link" /* the pinned cgroup setsockopt link */
#define TIU_PROG_KA_OPT     "tiu_ka_setsockopt" /* tiu_sockops.bpf.o */
#define TIU_PROG_SOCKOPS    "tiu_sockops"    /* tiu_sockops.bpf.o */

/* Idle time (seconds) given to connections of `remote=` endpoints when `tiu
 * up` has no --keepalive: below the 30 s that the shortest-lived UDP NAT
 * mappings last, the value other UDP tunnels use. `local=` endpoints (the
 * server side) get none unless asked for. */
#ifndef TIU_KA_DEFAULT_REMOTE
#define TIU_KA_DEFAULT_REMOTE 25
#endif
#define TIU_KA_MAX       32767 /* MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (include/net/tcp.h) */
#define TIU_KA_MAX_CNT   127   /* MAX_TCP_KEEPCNT */
/* Probes are sent every idle seconds; the connection is declared dead only
 * after this many seconds without an answer (TCP_KEEPCNT is chosen so), not
 * after the kernel's default 9 probes, which would be 9 s at --keepalive 1. */
#define TIU_KA_DEAD_AFTER 300
#ifndef TIU_KA_MAX_EPS
#define TIU_KA_MAX_EPS   16384 /* endpoint entries over all namespaces */
#endif

struct tiu_ka_key {
	__u64 netns;    /* network namespace cookie */
	__u8 addr[16];  /* as tiu_endpoint_key: v4-mapped, all zero = wildcard */
	__be16 port;    /* network byte order, never 0 */
	__u8 role;      /* enum tiu_role */
	__u8 pad;       /* must be 0 */
	__u32 pad2;     /* must be 0 */
};
_Static_assert(sizeof(struct tiu_ka_key) == 32, "tiu_ka_key layout");

struct tiu_ka_val {
	__u32 ifindex;  /* the interface that published it (in that netns) */
	__u32 idle;     /* TCP_KEEPIDLE, seconds */
	__u32 intvl;    /* TCP_KEEPINTVL, seconds */
	__u32 cnt;      /* TCP_KEEPCNT */
};
_Static_assert(sizeof(struct tiu_ka_val) == 16, "tiu_ka_val layout");

/* Per interface: its setting (for status and for endpoints added later) and
 * its counters. */
struct tiu_ka_iface_key {
	__u64 netns;
	__u32 ifindex;
	__u32 pad;      /* must be 0 */
};
_Static_assert(sizeof(struct tiu_ka_iface_key) == 16, "tiu_ka_iface_key layout");

#define TIU_KA_F_DEFAULT (1U << 0) /* seconds is the default: remote= endpoints only */

struct tiu_ka_iface {
	__u32 seconds;  /* idle time; 0: off */
	__u32 flags;    /* TIU_KA_F_* */
	__u64 given;    /* connections given a keepalive */
	__u64 failed;   /* matching connections where bpf_setsockopt failed */
	__u64 kept;     /* matching connections left with the application's own SO_KEEPALIVE */
};
_Static_assert(sizeof(struct tiu_ka_iface) == 32, "tiu_ka_iface layout");

/* What an application set itself on a socket (cgroup setsockopt program
 * tiu_ka_setsockopt, kept in the socket storage map tiu_ka_own): the
 * keepalive program leaves these options alone. SO_KEEPALIVE set, on or
 * off, leaves the whole socket alone. */
#define TIU_KA_OWN_KEEPALIVE (1U << 0) /* SO_KEEPALIVE */
#define TIU_KA_OWN_IDLE      (1U << 1) /* TCP_KEEPIDLE */
#define TIU_KA_OWN_INTVL     (1U << 2) /* TCP_KEEPINTVL */
#define TIU_KA_OWN_CNT       (1U << 3) /* TCP_KEEPCNT */

#endif /* TIU_COMMON_H */
