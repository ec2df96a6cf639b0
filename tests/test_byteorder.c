// SPDX-License-Identifier: GPL-2.0
/*
 * test_byteorder.c - the byte-order rules of the shared headers
 * (headers/tiu_wire.h, tiu_csum.h, tiu_parse.h), compiled for the machine
 * that runs this test: host <-> network conversions, the IP version and
 * header-length nibbles, the IPv4 parser's lengths and fragment bits, the
 * MSS checksum at an odd offset and one whole TCP -> UDP -> TCP conversion,
 * each against bytes written out here in network order and checksums
 * computed here byte by byte, whatever this machine's byte order.
 *
 * On the x86 build host this shows little endian only. tests/cross.t builds
 * the same file, static, for big-endian s390x and MIPS and runs it under
 * qemu's user-mode emulation: the macros on a big-endian CPU. It says
 * nothing about the BPF programs on a big-endian kernel (that needs a
 * big-endian machine or VM).
 *
 * Self-contained (tap.c only, no libbpf) so that a cross compiler with its
 * own libc builds it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
/* gcc does not know clang's loop pragmas of the BPF build */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "tiu_parse.h"

static const char *order(void)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return "big endian";
#else
	return "little endian";
#endif
}

static int bytes_are(const void *p, const uint8_t *want, size_t n)
{
	return memcmp(p, want, n) == 0;
}

/* The Internet checksum of buf (even length) plus a pseudo-header sum, one
 * byte at a time in network order: as a number, not as memory. */
static uint16_t csum_bytes(const uint8_t *buf, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 pseudo-header sum: 192.0.2.1 -> 192.0.2.2, protocol, length. */
static uint32_t pseudo4(uint8_t proto, uint16_t len)
{
	return 0xc000 + 0x0201 + 0xc000 + 0x0202 + proto + len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void test_conversions(void)
{
	const uint8_t be16[2] = { 0x12, 0x34 }, be32[4] = { 0x01, 0x02, 0x03, 0x04 };
	uint8_t wire[4] = { 0xab, 0xcd, 0x00, 0x00 };
	__be16 s = tiu_htons(0x1234);
	__be32 l = tiu_htonl(0x01020304);
	__u16 ws;
	__u32 wl;

	tap(bytes_are(&s, be16, 2), "%s: tiu_htons(0x1234) is the bytes 12 34 in memory", order());
	tap(bytes_are(&l, be32, 4), "%s: tiu_htonl(0x01020304) is the bytes 01 02 03 04", order());
	memcpy(&ws, wire, 2);
	tap(tiu_ntohs(ws) == 0xabcd, "%s: tiu_ntohs of the bytes ab cd is 0xabcd (got 0x%04x)",
	    order(), tiu_ntohs(ws));
	memcpy(&wl, be32, 4);
	tap(tiu_ntohl(wl) == 0x01020304, "%s: tiu_ntohl of 01 02 03 04 is 0x01020304 (got 0x%08x)",
	    order(), tiu_ntohl(wl));
	tap(tiu_ntohs(tiu_htons(0xfe01)) == 0xfe01 && tiu_ntohl(tiu_htonl(0x80000001u)) == 0x80000001u,
	    "%s: ntoh(hton(x)) == x", order());
	/* The IPv4 protocol byte sits at the low (second) byte of its 16-bit
	 * word: tiu_htons(17) must put 17 in the second byte. */
	s = tiu_htons(IPPROTO_UDP);
	tap(((uint8_t *)&s)[0] == 0 && ((uint8_t *)&s)[1] == 17,
	    "%s: tiu_htons(IPPROTO_UDP) is 00 11 (the protocol byte's place in its word)", order());
}

static void test_ip_nibbles(void)
{
	const uint8_t v4[1] = { 0x46 }, v6[1] = { 0x60 };

	tap(tiu_ip_version(v4) == 4 && tiu_ipv4_ihl(v4) == 6,
	    "%s: first byte 0x46 is version 4, header length 6 words (got %u, %u)", order(),
	    tiu_ip_version(v4), tiu_ipv4_ihl(v4));
	tap(tiu_ip_version(v6) == 6, "%s: first byte 0x60 is version 6", order());
}

static void test_parse_ipv4(void)
{
	/* IPv4, ihl 6 (4 bytes of options), total length 0x0040 = 64, MF set,
	 * protocol TCP; 40 bytes of L4 follow. */
	uint8_t pkt[64] = {
		0x46, 0x00, 0x00, 0x40, 0x00, 0x01, 0x20, 0x00, 64, IPPROTO_TCP, 0, 0,
		192, 0, 2, 1, 192, 0, 2, 2, 0x01, 0x01, 0x01, 0x00,
	};
	struct tiu_pkt p = {};
	int r = tiu_parse_ipv4(pkt, pkt + sizeof(pkt), sizeof(pkt), &p);

	tap(r == TIU_PARSE_OK && p.l4 == (void *)(pkt + 24) && p.l4_len == 40,
	    "%s: parse_ipv4 reads ihl 6 and total length 64: L4 at 24, 40 bytes (got %d, %ld, %u)",
	    order(), r, (long)((uint8_t *)p.l4 - pkt), p.l4_len);
	tap(r == TIU_PARSE_OK && p.frag == 1, "%s: parse_ipv4 sees MF in the bytes 20 00", order());
	pkt[6] = 0x00;
	pkt[7] = 0x20; /* 00 20: offset 32, MF clear */
	r = tiu_parse_ipv4(pkt, pkt + sizeof(pkt), sizeof(pkt), &p);
	tap(r == TIU_PARSE_OK && p.frag == 1, "%s: parse_ipv4 sees fragment offset in 00 20", order());
	pkt[7] = 0x00;
	pkt[6] = 0x40; /* DF only: not a fragment */
	r = tiu_parse_ipv4(pkt, pkt + sizeof(pkt), sizeof(pkt), &p);
	tap(r == TIU_PARSE_OK && p.frag == 0, "%s: parse_ipv4: DF alone (40 00) is no fragment", order());
}

/* A TCP header with options NOP, MSS 1460 (at offset 21: odd), NOP, NOP,
 * NOP and 4 bytes of payload; its checksum from scratch. */
static void tcp_seg(uint8_t *t, uint16_t mss)
{
	static const uint8_t hdr[32] = {
		0x1b, 0x59, 0x00, 0x50,             /* ports 7001 -> 80 */
		0x11, 0x22, 0x33, 0x44,             /* seq */
		0x55, 0x66, 0x77, 0x88,             /* ack */
		0x80, 0x18, 0xfa, 0xf0,             /* doff 8, ACK|PSH, window */
		0x00, 0x00, 0x00, 0x00,             /* checksum, urgent pointer */
		0x01, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x01, /* NOP, MSS 1460, NOPs */
		0x01, 0x01, 0x01, 0x00,
	};

	memcpy(t, hdr, sizeof(hdr));
	put16(t + 23, mss);
	memcpy(t + 32, "data", 4);
	put16(t + 16, csum_bytes(t, 36, pseudo4(IPPROTO_TCP, 36)));
}

static void test_mss_odd_offset(void)
{
	uint8_t seg[36], want[36];
	__u16 old, new, check;

	tcp_seg(seg, 1460);
	tcp_seg(want, 1200);
	memcpy(&old, seg + 23, 2);
	memcpy(&new, want + 23, 2);
	memcpy(&check, seg + 16, 2);
	check = tiu_csum_replace16(check, tiu_csum_swab16(old), tiu_csum_swab16(new));
	tap(memcmp(&check, want + 16, 2) == 0,
	    "%s: MSS 1460 -> 1200 at an odd offset: incremental checksum %02x %02x, from scratch %02x %02x",
	    order(), ((uint8_t *)&check)[0], ((uint8_t *)&check)[1], want[16], want[17]);
}

static void test_wire_roundtrip(void)
{
	uint8_t seg[36], udp[36], orig[36];
	__u32 ow, nw;
	uint16_t c;

	tcp_seg(seg, 1460);
	memcpy(orig, seg, sizeof(seg));
	/* The UDP bytes written out: ports, length 36, checksum (below), then
	 * doff/flags/window, seq, ack, options and payload unchanged. */
	memcpy(udp, seg, 4);
	put16(udp + 4, 36);
	put16(udp + 6, 0);
	memcpy(udp + 8, seg + 12, 4);
	memcpy(udp + 12, seg + 4, 8);
	memcpy(udp + 20, seg + 20, 16);
	c = csum_bytes(udp, 36, pseudo4(IPPROTO_UDP, 36));
	put16(udp + 6, c ? c : 0xffff);

	tiu_wire_encode(seg, 36);
	tap(memcmp(seg, udp, 36) == 0, "%s: tiu_wire_encode gives the UDP bytes, checksum %02x %02x",
	    order(), udp[6], udp[7]);
	tiu_wire_decode(seg, &ow, &nw);
	tap(memcmp(seg, orig, 36) == 0, "%s: tiu_wire_decode restores the TCP bytes", order());
}

int main(void)
{
	test_conversions();
	test_ip_nibbles();
	test_parse_ipv4();
	test_mss_odd_offset();
	test_wire_roundtrip();
	return tap_done();
}
