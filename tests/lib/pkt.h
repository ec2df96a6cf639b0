/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - test packets, built field by field, and an independent checker.
 *
 * Nothing here includes the project's headers/: the checksum routine, the
 * reference TCP->UDP conversion and the parser of built frames are written
 * separately so that a bug in headers/ cannot hide in the tests.
 */
#ifndef TIU_TEST_PKT_H
#define TIU_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 2048

struct pkt_spec {
	int family;            /* 4 or 6 */
	int l3;                /* raw IP: the frame starts at the IP header (vlans unused) */
	int vlans;             /* 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) */
	int ip_opt_len;        /* IPv4 options, bytes, multiple of 4, <= 40 */
	int ext_hdrs;          /* IPv6: hop-by-hop / destination options headers, 8 bytes each */
	int frag;              /* IPv4 MF set, or an IPv6 fragment header */
	uint8_t saddr[16];     /* IPv4: first 4 bytes */
	uint8_t daddr[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff_words;    /* 0: 5 + tcp_opt_len / 4 */
	uint8_t flags;         /* TCP flags byte */
	uint16_t win, urg;
	int tcp_opt_len;       /* multiple of 4, <= 40 */
	int payload_len;
	int eth_pad;           /* bytes after the IP packet (Ethernet padding, or trailing bytes) */
	uint32_t fill;         /* seed for option and payload bytes */
};

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;            /* frame length */
	size_t l3_off, l4_off;
	size_t l4_len;         /* from the IP header */
	size_t proto_off;      /* the byte naming the L4 protocol */
	int family;
};

/* A valid TCP/IP frame (all checksums right) as described by s. */
void pkt_build_tcp(const struct pkt_spec *s, struct pkt *p);

/* Reference encapsulation: the UDP frame tiu must produce from a TCP frame,
 * with every checksum computed from scratch (UDP 0 sent as 0xffff). */
void pkt_ref_encap(const struct pkt *tcp, struct pkt *udp);

/*
 * An ICMP error (IPv4: ICMP; IPv6: ICMPv6, the family of the quoted frame)
 * from a router to the quoted frame's source, quoting the first quote_len
 * bytes of its IP packet (0: all of it; never more than it has). info is the
 * 32-bit word after the checksum (the next-hop MTU of "fragmentation needed"
 * in its low 16 bits, the MTU of "packet too big"). Every checksum computed
 * from scratch. p->l4_off is the ICMP header, p->l4_len the message length.
 */
void pkt_build_icmp_err(const struct pkt *quoted, uint8_t type, uint8_t code, uint32_t info,
			size_t quote_len, struct pkt *p);

/* 1 if the frame's IPv4 header checksum (if any) and L4 checksum (for its
 * current protocol: TCP, UDP, ICMP or ICMPv6) are valid, and a UDP checksum
 * is not 0. For an ICMP error: the message checksum (ICMPv6 with its
 * pseudo-header) and, where quoted in full, the quoted IPv4 header checksum
 * and the quoted TCP/UDP checksum. */
int pkt_checksums_ok(const struct pkt *p, char *why, size_t whylen);

/* Read/write helpers in network byte order. */
uint16_t pkt_get16(const uint8_t *b);
void pkt_put16(uint8_t *b, uint16_t v);

/* The independent Internet checksum: 16-bit big-endian words, 64-bit sum. */
uint16_t pkt_inet_csum(const uint8_t *b, size_t len, uint64_t sum);
uint64_t pkt_pseudo_sum(const struct pkt *p, uint8_t proto);

/* Deterministic generator for tests (xorshift32). */
uint32_t pkt_rand(uint32_t *state);

#endif
