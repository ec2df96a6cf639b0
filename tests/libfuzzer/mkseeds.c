// SPDX-License-Identifier: GPL-2.0
/*
 * mkseeds.c - writes the seed corpus of fuzz_hdrs (valid TCP and tunnelled
 * UDP frames in every shape tests/lib/pkt.c builds), one file per frame.
 * usage: mkseeds DIR. The output is committed under tests/libfuzzer/corpus/hdrs.
 */
#include <stdio.h>
#include <string.h>
#include "pkt.h"

static void put(const char *dir, int n, uint8_t mode, const struct pkt *p)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%03d", dir, n);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return;
	}
	fputc(mode, f);
	fwrite(p->b, 1, p->len, f);
	fclose(f);
}

int main(int argc, char **argv)
{
	static struct pkt tcp, udp;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (int fam = 4; fam <= 6; fam += 2)
		for (int shape = 0; shape < 10; shape++) {
			struct pkt_spec s = {
				.family = fam, .sport = 40000, .dport = 5201, .seq = 0x11223344,
				.ack = shape & 1 ? 0x1234 : 0xabcd0000, .flags = 0x18, .win = 501,
				.fill = 7 + shape,
			};

			memset(s.saddr, 0x0a + shape, fam == 4 ? 4 : 16);
			memset(s.daddr, 0x20 + shape, fam == 4 ? 4 : 16);
			s.vlans = shape % 3;
			s.ip_opt_len = fam == 4 ? (shape * 4) % 44 : 0;
			s.ext_hdrs = fam == 6 ? shape % 5 : 0;
			s.tcp_opt_len = (shape * 8) % 44;
			s.payload_len = shape * 37 % 200;
			s.eth_pad = shape == 3 ? 6 : 0;
			s.urg = shape == 4 ? 0x55 : 0;
			s.frag = shape == 9;
			pkt_build_tcp(&s, &tcp);
			pkt_ref_encap(&tcp, &udp);
			put(argv[1], n++, 0, &tcp);       /* encap, checksums as built */
			put(argv[1], n++, 2, &udp);       /* decap */
			put(argv[1], n++, 1, &tcp);       /* encap, checksums refixed */
		}
	printf("%d seeds in %s\n", n, argv[1]);
	return 0;
}
