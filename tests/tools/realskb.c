// SPDX-License-Identifier: GPL-2.0
/*
 * realskb.c - real skbs for the tests that BPF_PROG_TEST_RUN cannot serve
 * (tests/realskb.t): BPF_PROG_TEST_RUN builds its skb from a flat buffer
 * and copies no checksum state from __sk_buff (convert___skb_to_skb() in
 * net/bpf/test_run.c takes mark, priority, ifindex, cb, tstamp, wire_len,
 * gso_segs, gso_size and hwtstamp only), so CHECKSUM_COMPLETE receive sums,
 * non-linear skbs and the like need packets that the kernel received.
 *
 *   realskb probe IFACE OBJ
 *       Packet sockets bound to ETH_P_IP and ETH_P_IPV6 on IFACE, each with
 *       the socket filter of OBJ (tests/bpf/csumprobe.bpf.c), which sees
 *       every received IP packet after the device's TC ingress programs,
 *       with its checksum state. For each packet: a CHECKSUM_COMPLETE
 *       skb->csum must equal the one's complement sum of the bytes from the
 *       network header to the end, recomputed here. Prints "ready" once
 *       attached; at SIGTERM or SIGINT one line per family (v4, v6) and
 *       protocol (tcp, udp, icmp, other) seen:
 *         v6 tcp packets=N none=N unnecessary=N complete=N partial=N sw=N ok=N bad=N unchecked=N
 *       (ok/bad: COMPLETE sums that match / do not; unchecked: longer than
 *       the probe copies) after at most 5 lines about bad sums:
 *         bad v6 tcp len=N off_by=0xHHHH   (skb->csum minus the bytes' sum,
 *                                          16 bits, network byte order)
 *
 *   realskb send IFACE --family 4|6 --src ADDR --dst ADDR --sport N --dport N
 *                [--ext N] [--corrupt HEX] [--icmp]
 *       One tunnelled TCP SYN in its UDP form (tests/lib/pkt.c builds the
 *       TCP frame and its reference encapsulation, every checksum from
 *       scratch), sent as an Ethernet frame 02:00:00:00:00:01 ->
 *       02:00:00:00:00:02 through an AF_PACKET socket on IFACE. --ext N:
 *       IPv6 with N extension headers (hop-by-hop, then destination
 *       options). --corrupt HEX: after the checksum was computed, the upper
 *       half of the sequence number is lowered by HEX (one's complement
 *       arithmetic), i.e. the segment's sum falls short by exactly HEX: a
 *       corruption the UDP (and then TCP) checksum must catch. --icmp:
 *       instead, the ICMP error a router on the way would send to DST about
 *       the tunnelled SYN that DST sent to SRC (ports DPORT -> SPORT),
 *       quoting it whole: IPv4 "fragmentation needed", IPv6 "packet too
 *       big", MTU 1280 (tests/lib/pkt.c, every checksum from scratch).
 *       --tcp: the TCP SYN itself, not its UDP form.
 *       --tap: write the frame into IFACE, a tap made by "realskb tap",
 *       instead; --split N,N,...: as that many iovecs of N bytes (the rest
 *       in one more), which the tap turns into the skb's linear part (the
 *       first) and one page fragment each (the others).
 *
 *   realskb tap IFACE
 *       Creates IFACE, a persistent tap device with IFF_NAPI and
 *       IFF_NAPI_FRAGS: tun_get_user() puts a written frame into page
 *       fragments (tun_napi_alloc_frags(): the first iovec becomes the
 *       linear part, each further iovec one fragment) and hands it to
 *       napi_gro_frags(), as a driver's receive path does. Only the
 *       Ethernet header is pulled into the linear part (pskb_may_pull() in
 *       tun_get_user(), eth_type_trans()); with GRO off on IFACE
 *       (netif_elide_gro()), nothing else is, so the IP, UDP and TCP
 *       headers reach TC ingress where the split put them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pkt.h"

#define PROBE_SNAP 2048

struct probe_rec { /* tests/bpf/csumprobe.bpf.c */
	uint32_t len, caplen, csum;
	uint8_t ip_summed, complete_sw, pad[2];
	uint8_t data[PROBE_SNAP];
};

enum { CS_NONE, CS_UNNECESSARY, CS_COMPLETE, CS_PARTIAL };

struct klass {
	unsigned long long packets, state[4], sw, ok, bad, unchecked;
};

static struct klass cls[2][4]; /* [v4, v6][tcp, udp, icmp, other] */
static int bad_lines;
static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = 1; }

static const char *fam_name[2] = { "v4", "v6" };
static const char *proto_name[4] = { "tcp", "udp", "icmp", "other" };

/* The L4 protocol of an IP packet (IPv6: after hop-by-hop, routing and
 * destination options headers), for the report only. */
static int proto_class(const uint8_t *b, size_t n, int *fam)
{
	unsigned nh, off;

	if (n < 1)
		return 3;
	if (b[0] >> 4 == 4) {
		*fam = 0;
		nh = n >= 20 ? b[9] : 255;
	} else {
		*fam = 1;
		if (n < 40)
			return 3;
		nh = b[6];
		off = 40;
		while ((nh == 0 || nh == 43 || nh == 60) && off + 2 <= n) {
			nh = b[off];
			off += (b[off + 1] + 1) * 8;
		}
	}
	return nh == 6 ? 0 : nh == 17 ? 1 : nh == 1 || nh == 58 ? 2 : 3;
}

/* The sum as the kernel keeps skb->csum: 16-bit words as they sit in
 * memory on this (little-endian) host, a lone last byte as the first byte
 * of a word; reduced mod 0xffff (0 and 0xffff are the same sum). */
static uint32_t host_sum_mod(const uint8_t *b, size_t n, uint64_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] | (uint32_t)b[i + 1] << 8;
	if (n & 1)
		sum += b[n - 1];
	return sum % 0xffff;
}

static int on_rec(void *ctx, void *data, size_t size)
{
	const struct probe_rec *r = data;
	int fam = 0, pc = proto_class(r->data, r->caplen, &fam);
	struct klass *k = &cls[fam][pc];

	k->packets++;
	k->state[r->ip_summed & 3]++;
	if (r->ip_summed != CS_COMPLETE)
		return 0;
	k->sw += r->complete_sw;
	if (r->caplen < r->len || r->caplen == 0) {
		k->unchecked++;
		return 0;
	}
	uint32_t want = host_sum_mod(r->data, r->caplen, 0);
	uint32_t have = r->csum % 0xffff;

	if (want == have) {
		k->ok++;
		return 0;
	}
	k->bad++;
	if (bad_lines++ < 5) {
		uint16_t off = (uint16_t)((have + 0xffff - want) % 0xffff);

		printf("bad %s %s len=%u off_by=0x%04x\n", fam_name[fam], proto_name[pc], r->len,
		       (uint16_t)(off << 8 | off >> 8));
	}
	return 0;
}

static int probe(const char *ifname, const char *obj_path)
{
	unsigned ifindex = if_nametoindex(ifname);
	static const int protos[2] = { ETH_P_IP, ETH_P_IPV6 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct ring_buffer *rb;
	int fds[2], prog_fd;

	if (!ifindex) {
		fprintf(stderr, "realskb: %s: no such interface\n", ifname);
		return 1;
	}
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "realskb: %s: cannot load: %s\n", obj_path, strerror(errno));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "csumprobe");
	prog_fd = prog ? bpf_program__fd(prog) : -1;
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "probe_rb"), on_rec, NULL, NULL);
	if (prog_fd < 0 || !rb) {
		fprintf(stderr, "realskb: %s: no program csumprobe or ring buffer probe_rb\n", obj_path);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(protos[i]),
					   .sll_ifindex = ifindex };

		fds[i] = socket(AF_PACKET, SOCK_DGRAM, htons(protos[i]));
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sll, sizeof(sll)) ||
		    setsockopt(fds[i], SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd))) {
			fprintf(stderr, "realskb: %s: packet socket with the probe: %s\n", ifname,
				strerror(errno));
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
	ring_buffer__consume(rb);
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 4; p++) {
			struct klass *k = &cls[f][p];

			if (!k->packets)
				continue;
			printf("%s %s packets=%llu none=%llu unnecessary=%llu complete=%llu "
			       "partial=%llu sw=%llu ok=%llu bad=%llu unchecked=%llu\n",
			       fam_name[f], proto_name[p], k->packets, k->state[CS_NONE],
			       k->state[CS_UNNECESSARY], k->state[CS_COMPLETE], k->state[CS_PARTIAL],
			       k->sw, k->ok, k->bad, k->unchecked);
		}
	fflush(stdout);
	return 0;
}

static int tap_open(const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_NAPI_FRAGS };
	int fd = open("/dev/net/tun", O_RDWR);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, "realskb: %s: cannot open a tap with IFF_NAPI_FRAGS: %s (needs "
				"CONFIG_TUN and CAP_NET_ADMIN)\n", ifname, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int tap_create(const char *ifname)
{
	int fd = tap_open(ifname);

	if (fd < 0)
		return 1;
	if (ioctl(fd, TUNSETPERSIST, 1)) {
		fprintf(stderr, "realskb: %s: cannot make the tap persistent: %s\n", ifname,
			strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

/* Write the frame into the tap as iovecs of the lengths in split ("N,N,..."),
 * the rest in a last one. */
static int tap_write(const char *ifname, const uint8_t *b, size_t len, const char *split)
{
	struct iovec iov[16];
	size_t off = 0;
	int n = 0, fd;
	const char *s = split;

	while (s && *s && n < 15 && off < len) {
		char *end;
		unsigned long l = strtoul(s, &end, 10);

		if (end == s || !l || off + l > len) {
			fprintf(stderr, "realskb send: --split %s: lengths must be 1.. and leave "
					"bytes for the last fragment (frame: %zu bytes)\n", split, len);
			return 2;
		}
		iov[n].iov_base = (void *)(b + off);
		iov[n++].iov_len = l;
		off += l;
		s = *end == ',' ? end + 1 : end;
	}
	if (off < len) {
		iov[n].iov_base = (void *)(b + off);
		iov[n++].iov_len = len - off;
	}
	fd = tap_open(ifname);
	if (fd < 0)
		return 1;
	if (writev(fd, iov, n) != (ssize_t)len) {
		fprintf(stderr, "realskb send: %s: writev of %d iovecs: %s\n", ifname, n,
			strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

static int send_syn(int argc, char **argv)
{
	struct pkt_spec s = { .flags = 0x02, .seq = 0x12345678, .win = 64240, .family = 0 };
	const char *ifname = argv[0], *src = NULL, *dst = NULL;
	unsigned corrupt = 0;
	int icmp = 0, tap = 0, plain = 0;
	const char *split = NULL;
	struct pkt tcp, udp, err;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd;

	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(o, "--icmp")) {
			icmp = 1;
			i--;
		} else if (!strcmp(o, "--tcp")) {
			plain = 1;
			i--;
		} else if (!strcmp(o, "--tap")) {
			tap = 1;
			i--;
		} else if (!strcmp(o, "--split"))
			split = v;
		else if (!strcmp(o, "--family"))
			s.family = atoi(v);
		else if (!strcmp(o, "--src"))
			src = v;
		else if (!strcmp(o, "--dst"))
			dst = v;
		else if (!strcmp(o, "--sport"))
			s.sport = atoi(v);
		else if (!strcmp(o, "--dport"))
			s.dport = atoi(v);
		else if (!strcmp(o, "--ext"))
			s.ext_hdrs = atoi(v);
		else if (!strcmp(o, "--corrupt"))
			corrupt = strtoul(v, NULL, 16) & 0xffff;
		else {
			fprintf(stderr, "realskb send: unknown option %s\n", o);
			return 2;
		}
	}
	if ((s.family != 4 && s.family != 6) || !src || !dst || !s.sport || !s.dport ||
	    inet_pton(s.family == 4 ? AF_INET : AF_INET6, src, s.saddr) != 1 ||
	    inet_pton(s.family == 4 ? AF_INET : AF_INET6, dst, s.daddr) != 1) {
		fprintf(stderr, "realskb send: needs --family 4|6, --src, --dst (addresses of that "
				"family), --sport, --dport\n");
		return 2;
	}
	if (icmp) { /* the SYN the other way, DST -> SRC, as the tunnel sent it */
		uint8_t a[16];
		uint16_t port = s.sport;

		memcpy(a, s.saddr, 16);
		memcpy(s.saddr, s.daddr, 16);
		memcpy(s.daddr, a, 16);
		s.sport = s.dport;
		s.dport = port;
	}
	pkt_build_tcp(&s, &tcp);
	pkt_ref_encap(&tcp, &udp);
	if (icmp) {
		pkt_build_icmp_err(&udp, s.family == 4 ? 3 : 2, s.family == 4 ? 4 : 0, 1280, 0, &err);
		udp = err;
	}
	if (corrupt) { /* wire bytes 12-13: the upper half of the sequence number */
		uint8_t *w = udp.b + udp.l4_off + 12;
		uint32_t v = pkt_get16(w) + (uint16_t)~corrupt;

		pkt_put16(w, (uint16_t)((v & 0xffff) + (v >> 16)));
	}
	if (plain)
		udp = tcp;
	if (tap)
		return tap_write(ifname, udp.b, udp.len, split);
	sll.sll_ifindex = if_nametoindex(ifname);
	sll.sll_protocol = htons(s.family == 4 ? ETH_P_IP : ETH_P_IPV6);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (!sll.sll_ifindex || fd < 0 ||
	    sendto(fd, udp.b, udp.len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)udp.len) {
		fprintf(stderr, "realskb send: %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "probe"))
		return probe(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "tap"))
		return tap_create(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "send"))
		return send_syn(argc - 2, argv + 2);
	fprintf(stderr, "usage: realskb probe IFACE OBJ\n"
			"       realskb send IFACE --family 4|6 --src ADDR --dst ADDR --sport N "
			"--dport N [--ext N] [--corrupt HEX] [--icmp]\n"
			"            [--tcp] [--tap [--split N,N,...]]\n"
			"       realskb tap IFACE\n");
	return 2;
}
