// SPDX-License-Identifier: GPL-2.0
/*
 * archlane.c - the small tools of the other-CPU lanes (tests/vm/arch-guest.sh),
 * built statically for the lane's CPU: the guest's userland is busybox and
 * a few Debian packages of that CPU, no python, no bpftool.
 *
 *   archlane recv PORT FILE          accept one TCP connection (IPv4 or
 *                                    IPv6), write what it sends to FILE
 *   archlane send ADDR PORT FILE     connect, send FILE, wait for the close
 *   archlane pcapcheck FILE PORT     every IPv4/IPv6 frame of a capture
 *                                    (tcpdump -w, either byte order): UDP to or
 *                                    from PORT with its checksum recomputed
 *                                    here (RFC 1071 over pseudo-header and
 *                                    datagram); TCP to or from PORT counted.
 *                                    Exit 0 only if there is UDP, every
 *                                    checksum is right and there is no TCP.
 *   archlane seed PINNED-MAP         tiu's statistics map: key 0, the first
 *                                    u64 of every possible CPU's value set
 *                                    to 2^32 + 1 (raw bpf(2): no libbpf);
 *                                    prints the number of possible CPUs.
 *
 * Nothing here comes from tiu's own code: the checksum is computed again,
 * the map is written with the kernel's own interface.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "archlane: %s: %s\n", what, strerror(errno));
	return 2;
}

static int recv_file(const char *port, const char *path)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(port)) };
	int one = 1, zero = 0, s, c, out;
	char buf[65536];
	ssize_t n;
	long long total = 0;

	s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0)
		return die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		return die("bind/listen");
	c = accept(s, NULL, NULL);
	if (c < 0)
		return die("accept");
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return die(path);
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n)
			return die("write");
		total += n;
	}
	if (n < 0)
		return die("read");
	close(out);
	close(c);
	fprintf(stderr, "archlane: received %lld bytes\n", total);
	return 0;
}

static int send_file(const char *addr, const char *port, const char *path)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(port)) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	struct sockaddr *sa;
	socklen_t salen;
	char buf[65536];
	ssize_t n;
	int s, in;

	if (inet_pton(AF_INET, addr, &a4.sin_addr) == 1) {
		sa = (struct sockaddr *)&a4;
		salen = sizeof(a4);
	} else if (inet_pton(AF_INET6, addr, &a6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&a6;
		salen = sizeof(a6);
	} else {
		fprintf(stderr, "archlane: bad address %s (IPv4 or IPv6 numbers)\n", addr);
		return 2;
	}
	in = open(path, O_RDONLY);
	if (in < 0)
		return die(path);
	s = socket(sa->sa_family, SOCK_STREAM, 0);
	if (s < 0 || connect(s, sa, salen))
		return die("connect");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(s, buf + off, n - off);

			if (w < 0)
				return die("send");
			off += w;
		}
	shutdown(s, SHUT_WR);
	while ((n = read(s, buf, sizeof(buf))) > 0)
		;
	close(s);
	return 0;
}

/* RFC 1071: the one's complement sum of big-endian 16-bit words. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* The first frame with a wrong checksum, on stderr: the value it has, the
 * one it should have, and its bytes, to tell a wrong sum from wrong data. */
static void dumpbad(const uint8_t *pkt, uint32_t cap, const uint8_t *l4, unsigned l4len,
		    uint32_t sum)
{
	uint8_t c[2] = { l4[6], l4[7] };
	uint16_t want;

	want = fold(sum16(l4, 6, sum) + sum16(l4 + 8, l4len - 8, 0));
	fprintf(stderr, "archlane: first wrong checksum: 0x%02x%02x, want 0x%04x, frame:", c[0], c[1],
		want ? want : 0xffff);
	for (uint32_t i = 0; i < cap && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", pkt[i]);
	fprintf(stderr, "\n");
}

static int pcapcheck(const char *path, const char *portstr)
{
	unsigned port = atoi(portstr);
	long udp = 0, bad = 0, tcp = 0, zero = 0, frames = 0;
	uint8_t hdr[24], rec[16], pkt[262144];
	int swap;
	FILE *f = fopen(path, "rb");

	if (!f || fread(hdr, 1, 24, f) != 24)
		return die(path);
	if (rd32(hdr, 0) == 0xa1b2c3d4 || rd32(hdr, 0) == 0xa1b23c4d)
		swap = 0;
	else if (rd32(hdr, 1) == 0xa1b2c3d4 || rd32(hdr, 1) == 0xa1b23c4d)
		swap = 1;
	else {
		fprintf(stderr, "archlane: %s: not a pcap file\n", path);
		return 2;
	}
	if (rd32(hdr + 20, swap) != 1) {
		fprintf(stderr, "archlane: %s: link type %u, not Ethernet\n", path, rd32(hdr + 20, swap));
		return 2;
	}
	while (fread(rec, 1, 16, f) == 16) {
		uint32_t cap = rd32(rec + 8, swap), wire = rd32(rec + 12, swap), sum;
		const uint8_t *ip, *l4;
		unsigned proto, l4len, sport, dport, et;

		if (cap > sizeof(pkt) || fread(pkt, 1, cap, f) != cap) {
			fprintf(stderr, "archlane: %s: truncated record\n", path);
			return 2;
		}
		frames++;
		if (cap < 14 || cap != wire)
			continue; /* snap length cut: tcpdump -s 0 takes all */
		et = pkt[12] << 8 | pkt[13];
		ip = pkt + 14;
		if (et == 0x0800 && cap >= 34 && (ip[0] >> 4) == 4) {
			unsigned ihl = (ip[0] & 15) * 4, tot = ip[2] << 8 | ip[3];

			if (tot < ihl || 14 + tot > cap || (ip[6] & 0x3f) || ip[7])
				continue;
			proto = ip[9];
			l4 = ip + ihl;
			l4len = tot - ihl;
			sum = sum16(ip + 12, 8, 0) + proto + l4len;
		} else if (et == 0x86dd && cap >= 54 && (ip[0] >> 4) == 6) {
			unsigned plen = ip[4] << 8 | ip[5];

			if (14 + 40 + plen > cap)
				continue;
			proto = ip[6];
			l4 = ip + 40;
			l4len = plen;
			sum = sum16(ip + 8, 32, 0) + proto + l4len;
		} else {
			continue;
		}
		if (l4len < 8)
			continue;
		sport = l4[0] << 8 | l4[1];
		dport = l4[2] << 8 | l4[3];
		if (sport != port && dport != port)
			continue;
		if (proto == 6) {
			tcp++;
		} else if (proto == 17) {
			udp++;
			if (!(l4[6] | l4[7])) {
				zero++; /* "no checksum": tiu must never send it */
				bad++;
			} else if (fold(sum16(l4, l4len, sum)) != 0) {
				if (!bad++)
					dumpbad(pkt, cap, l4, l4len, sum);
			}
		}
	}
	fclose(f);
	printf("%ld frames: %ld UDP of port %u, %ld with a wrong checksum (%ld zero), %ld TCP\n",
	       frames, udp, port, bad, zero, tcp);
	return udp > 0 && !bad && !tcp ? 0 : 1;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int possible_cpus(void)
{
	char buf[256], *p;
	int n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		return -1;
	fclose(f);
	for (p = strtok(buf, ",\n"); p; p = strtok(NULL, ",\n")) {
		int a, b;

		if (sscanf(p, "%d-%d", &a, &b) == 2)
			n += b - a + 1;
		else
			n++;
	}
	return n;
}

static int seed(const char *pin)
{
	union bpf_attr a;
	struct bpf_map_info info;
	uint32_t key = 0;
	uint64_t v = (1ULL << 32) + 1;
	size_t stride;
	uint8_t *val;
	int fd, ncpu = possible_cpus();

	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)pin;
	fd = bpf(BPF_OBJ_GET, &a);
	if (fd < 0)
		return die(pin);
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &a))
		return die("BPF_OBJ_GET_INFO_BY_FD");
	if (info.key_size != 4 || info.value_size < 8 || ncpu < 1) {
		fprintf(stderr, "archlane: %s: key %u bytes, value %u bytes, %d CPUs: not tiu's statistics\n",
			pin, info.key_size, info.value_size, ncpu);
		return 2;
	}
	stride = (info.value_size + 7) & ~7u;
	val = calloc(ncpu, stride);
	if (!val)
		return die("calloc");
	for (int i = 0; i < ncpu; i++)
		memcpy(val + i * stride, &v, 8); /* this CPU's byte order, as the kernel keeps it */
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)val;
	if (bpf(BPF_MAP_UPDATE_ELEM, &a))
		return die("BPF_MAP_UPDATE_ELEM");
	printf("%d\n", ncpu);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return recv_file(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_file(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "pcapcheck"))
		return pcapcheck(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "seed"))
		return seed(argv[2]);
	fprintf(stderr, "usage: archlane recv PORT FILE | send ADDR PORT FILE | pcapcheck FILE PORT | seed PINNED-MAP\n");
	return 2;
}
