/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_csum.h - Internet checksum arithmetic, plain C.
 *
 * Compiled into the BPF programs and, unchanged, on the host (fuzzers,
 * benchmarks). Values are 16-bit words exactly as they sit in the packet
 * (network byte order): one's complement sums do not depend on byte order as
 * long as every operand is taken the same way.
 *
 * Canonical form: a checksum computed from scratch is ~fold(sum), and since
 * every sum tiu meets is non-zero (the pseudo-header holds a protocol number),
 * fold(sum) lies in [1, 0xffff] and the checksum in [0, 0xfffe]. The
 * incremental update below keeps that form: ~HC, ~m and m' are added with
 * end-around carry, the fold of a non-zero total is in [1, 0xffff] and is
 * congruent (mod 0xffff) to the from-scratch sum, hence equal to it. So an
 * updated checksum is byte-for-byte what a full recomputation gives, which
 * is what the tests check.
 */
#ifndef TIU_CSUM_H
#define TIU_CSUM_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* 0 in a UDP checksum means "none" (IPv4): a computed 0 is sent as 0xffff. */
#define TIU_CSUM_MANGLED_0 ((__u16)0xffff)

static __always_inline __u16 tiu_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * Two bytes read as one 16-bit value from an odd offset: each of them sits
 * in another word of the sum, at the other half, so they enter the sum
 * swapped (RFC 1071, "byte order independence"). A swap of what memory
 * holds, right in either byte order: not a host <-> network conversion.
 */
#define tiu_csum_swab16(x) ((__u16)__builtin_bswap16((__u16)(x)))

/* RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word m -> m'. */
static __always_inline __u16 tiu_csum_replace16(__u16 check, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~from;
	sum += to;
	return (__u16)~tiu_csum_fold(sum);
}

#endif /* TIU_CSUM_H */
