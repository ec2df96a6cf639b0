/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_wire.h - the TCP-in-UDP wire format (draft-cheshire-tcp-over-udp-00,
 * the same layout as multipath-tcp/tcp-in-udp), plain C.
 *
 *   TCP on the host                       UDP on the wire
 *    0: src port | dst port                0: src port | dst port
 *    4: sequence number                    4: length (L4) | checksum
 *    8: acknowledgment number              8: doff/rsv/flags | window
 *   12: doff/rsv/flags | window           12: sequence number
 *   16: checksum | urgent pointer         16: acknowledgment number
 *   20: options, payload                  20: options, payload
 *
 * Only the first 20 bytes of L4 change. The 32-bit words move as whole
 * words, at even offsets, so the one's complement sum of the segment is the
 * same; the checksum follows two 16-bit changes: the pseudo-header protocol
 * (6 <-> 17, the low byte of a 16-bit word for IPv4 and IPv6 alike) and the
 * word at offset 18 (urgent pointer 0 <-> L4 length). See docs/DESIGN.md "Wire format".
 */
#ifndef TIU_WIRE_H
#define TIU_WIRE_H

#include <linux/types.h>
#include <linux/in.h>
#include "tiu_csum.h"

/*
 * Host <-> network byte order, from the compiler's own __BYTE_ORDER__
 * (clang -target bpfel or bpfeb for the programs, gcc or clang of the
 * target for the loader and the tests): never assumed. A swap of two or four
 * bytes is its own inverse, so tiu_htons also serves as ntohs (as the
 * kernel's __swab16 does for both). docs/DESIGN.md, "Byte order".
 */
#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__) || !defined(__ORDER_BIG_ENDIAN__)
#error "tiu_wire.h: the compiler does not say its byte order (__BYTE_ORDER__)"
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define tiu_htons(x) ((__be16)__builtin_bswap16((__u16)(x)))
#define tiu_htonl(x) ((__be32)__builtin_bswap32((__u32)(x)))
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define tiu_htons(x) ((__be16)(__u16)(x))
#define tiu_htonl(x) ((__be32)(__u32)(x))
#else
#error "tiu_wire.h: neither little nor big endian (__BYTE_ORDER__)"
#endif
#define tiu_ntohs(x) ((__u16)tiu_htons(x))
#define tiu_ntohl(x) ((__u32)tiu_htonl(x))

/*
 * The first byte of an IPv4 or IPv6 header: version << 4 | (IPv4) header
 * length in 32-bit words. Read as a byte, not through the bitfields of
 * <linux/ip.h> and <linux/ipv6.h>, whose order comes from the build host's
 * <asm/byteorder.h> and would be wrong for a target of the other byte order.
 */
#define tiu_ip_version(l3) (*(const __u8 *)(l3) >> 4)
#define tiu_ipv4_ihl(l3)   (*(const __u8 *)(l3) & 0x0f)

#define TIU_L4_HDR_LEN 20 /* bytes of L4 that the conversion rewrites */

/* The 20 bytes as TCP ... */
struct tiu_tcp20 {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_rsv;  /* data offset << 4 | reserved */
	__u8 flags;     /* CWR ECE URG ACK PSH RST SYN FIN */
	__be16 window;
	__u16 check;
	__be16 urg_ptr;
};

/* ... and as UDP on the wire. */
struct tiu_udp20 {
	__be16 source;
	__be16 dest;
	__be16 len;     /* L4 length */
	__u16 check;
	__u8 doff_rsv;
	__u8 flags;
	__be16 window;
	__be32 seq;
	__be32 ack_seq;
};
_Static_assert(sizeof(struct tiu_tcp20) == TIU_L4_HDR_LEN, "tiu_tcp20");
_Static_assert(sizeof(struct tiu_udp20) == TIU_L4_HDR_LEN, "tiu_udp20");

#define TIU_TCP_FLAG_URG 0x20

/* Data offset in bytes, from either layout's doff_rsv byte. */
static __always_inline __u32 tiu_doff_bytes(__u8 doff_rsv)
{
	return (__u32)(doff_rsv >> 4) * 4;
}

/*
 * A TCP header that tiu can carry: data offset within [20, l4_len].
 * (URG is checked separately: it is a drop reason of its own.)
 */
static __always_inline int tiu_wire_doff_ok(__u8 doff_rsv, __u32 l4_len)
{
	__u32 doff = tiu_doff_bytes(doff_rsv);

	return doff >= TIU_L4_HDR_LEN && doff <= l4_len;
}

/*
 * TCP -> UDP in place. l4 points at 20 writable bytes holding a TCP header
 * with a complete, valid checksum; l4_len is the L4 length from the IP
 * header. Never produces UDP checksum 0.
 */
static __always_inline void tiu_wire_encode(void *l4, __u16 l4_len)
{
	struct tiu_tcp20 t = *(struct tiu_tcp20 *)l4;
	struct tiu_udp20 *u = l4;
	__u16 check;

	u->len = tiu_htons(l4_len);
	check = tiu_csum_replace16(t.check, tiu_htons(IPPROTO_TCP), tiu_htons(IPPROTO_UDP));
	check = tiu_csum_replace16(check, t.urg_ptr, u->len);
	u->check = check ? check : TIU_CSUM_MANGLED_0;
	u->doff_rsv = t.doff_rsv;
	u->flags = t.flags;
	u->window = t.window;
	u->seq = t.seq;
	u->ack_seq = t.ack_seq;
}

/*
 * UDP -> TCP in place, the exact inverse; urgent pointer := 0. The UDP
 * checksum must be non-zero (0 means "none": the caller drops such packets).
 * *old_words and *new_words receive the only two 16-bit words whose sum
 * changed, (length, checksum) -> (checksum', 0), as they sit in memory: a
 * caller that must keep a CHECKSUM_COMPLETE sum right (TC ingress) feeds
 * their difference to bpf_csum_update() (with, for IPv6, the next-header
 * byte: tiu_ipv6_proto_sum_diff()). The words that moved contribute nothing.
 */
static __always_inline void tiu_wire_decode(void *l4, __u32 *old_words, __u32 *new_words)
{
	struct tiu_udp20 u = *(struct tiu_udp20 *)l4;
	struct tiu_tcp20 *t = l4;
	__u16 check;

	check = tiu_csum_replace16(u.check, tiu_htons(IPPROTO_UDP), tiu_htons(IPPROTO_TCP));
	check = tiu_csum_replace16(check, u.len, 0);
	t->seq = u.seq;
	t->ack_seq = u.ack_seq;
	t->doff_rsv = u.doff_rsv;
	t->flags = u.flags;
	t->window = u.window;
	t->check = check;
	t->urg_ptr = 0;
	/* The only 16-bit words whose sum changed: (len, check) -> (check', 0). */
	*old_words = (__u32)u.len | ((__u32)u.check << 16);
	*new_words = (__u32)check;
}

/*
 * What an IPv6 next-header byte changing from -> to adds to a one's
 * complement sum of the packet, in the form of tiu_words_diff() (tc/): the
 * byte opens a 16-bit word (offset 6 of the IPv6 header, 0 of an extension
 * header: always even from the IPv6 header, where a receive sum starts), so
 * it counts as the high byte of a word in network order. IPv4 needs no such
 * term: its header checksum follows the protocol byte, and the two changes
 * cancel in the sum. docs/DESIGN.md "Receive checksums after an XDP rewrite".
 */
static __always_inline __u32 tiu_ipv6_proto_sum_diff(__u8 from, __u8 to)
{
	return (__u16)~tiu_htons((__u16)from << 8) + (__u32)tiu_htons((__u16)to << 8);
}

/* IPv4 header checksum after the protocol byte changes from -> to. */
static __always_inline __u16 tiu_ipv4_proto_csum(__u16 check, __u8 from, __u8 to)
{
	return tiu_csum_replace16(check, tiu_htons(from), tiu_htons(to));
}

#endif /* TIU_WIRE_H */
