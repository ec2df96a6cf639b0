// SPDX-License-Identifier: GPL-2.0
/*
 * tunfwd.c - two network namespaces joined by tun devices, and the
 * middlebox between them (tests/l3.t).
 *
 * Creates a tun device (IFF_TUN, no packet information: every read and
 * write is one IP packet, as on a raw-IP link) in each of two namespaces,
 * optionally with another device type (TUNSETLINK, while the device is
 * down: ARPHRD_RAWIP and ARPHRD_PPP framing without wwan or ppp drivers),
 * and copies packets between them: TCP is dropped, UDP and everything
 * else is carried. It counts what it carried per direction and checks the
 * IPv4 header and UDP checksums of every UDP packet with the independent
 * routine of tests/lib/pkt.c. The devices go away with the process.
 *
 * usage: tunfwd NETNS_A NETNS_B --ready FILE --stats FILE [--name IFNAME] [--type N]
 *   NETNS_*   a name under /run/netns or a path to a namespace file
 *   --ready   created (empty) once both devices exist
 *   --stats   rewritten (atomically) on SIGUSR1 and at the end (SIGTERM,
 *             SIGINT): one JSON object, keys DIR_WHAT with DIR a2b or b2a:
 *             udp (packets), udp_bytes (IP packet bytes), udp_bad (an IPv4
 *             header or UDP checksum wrong, or UDP checksum 0 in IPv6),
 *             tcp_dropped, other (carried, neither TCP nor UDP), and seq
 *             (how many times the file was written)
 *   --name    the devices' name (default tunf0)
 *   --type    the devices' ARPHRD_* type (default: tun's own, ARPHRD_NONE)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include "pkt.h"

struct dir_stats {
	unsigned long long udp, udp_bytes, udp_bad, tcp_dropped, other;
};

static volatile sig_atomic_t want_dump, want_exit;
static struct dir_stats st[2]; /* 0: a2b, 1: b2a */
static unsigned long long seq;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_dump = 1;
	else
		want_exit = 1;
}

static int open_ns(const char *ns)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), strchr(ns, '/') ? "%s" : "/run/netns/%s", ns);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* A tun device named name in the namespace behind nsfd, of type type (-1:
 * leave it). Returns its fd, or -1 with a message. */
static int make_tun(int nsfd, const char *ns, const char *name, int type)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd;

	if (setns(nsfd, CLONE_NEWNET)) {
		fprintf(stderr, "tunfwd: %s: setns: %s\n", ns, strerror(errno));
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tunfwd: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, "tunfwd: %s in %s: TUNSETIFF: %s\n", name, ns, strerror(errno));
		close(fd);
		return -1;
	}
	if (type >= 0 && ioctl(fd, TUNSETLINK, (unsigned long)type)) {
		fprintf(stderr, "tunfwd: %s in %s: TUNSETLINK %d: %s\n", name, ns, type, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* IPv4 header and UDP checksum of a UDP packet; 1 if both are right. */
static int udp_ok(const uint8_t *b, size_t len, size_t l3, size_t l4, int family, size_t l4_len)
{
	static struct pkt p;

	if (l4 + l4_len > len || l4_len < 8 || len > sizeof(p.b))
		return 0;
	if (family == 4 && pkt_inet_csum(b, l4, 0) != 0)
		return 0;
	if (family == 6 && pkt_get16(b + l4 + 6) == 0)
		return 0;
	if (family == 4 && pkt_get16(b + l4 + 6) == 0)
		return 1; /* "no checksum": allowed in IPv4 (tiu never sends it) */
	memcpy(p.b, b, len);
	p.len = len;
	p.l3_off = l3;
	p.l4_off = l4;
	p.l4_len = l4_len;
	p.family = family;
	return pkt_inet_csum(b + l4, l4_len, pkt_pseudo_sum(&p, 17)) == 0;
}

/* The L4 protocol, its offset and length (IPv6: through the extension
 * headers a middlebox would follow); proto 0 and *l4 0 when not IP. */
static int classify(const uint8_t *b, size_t len, size_t *l4, size_t *l4_len, int *family)
{
	*l4 = 0;
	*family = len ? b[0] >> 4 : 0;
	if (*family == 4 && len >= 20) {
		size_t ihl = (b[0] & 15) * 4, tot = pkt_get16(b + 2);

		if (ihl < 20 || tot < ihl || tot > len)
			return 0;
		*l4 = ihl;
		*l4_len = tot - ihl;
		return b[9];
	}
	if (*family == 6 && len >= 40) {
		size_t off = 40, end = 40 + pkt_get16(b + 4);
		uint8_t nh = b[6];

		if (end > len)
			return 0;
		while ((nh == 0 || nh == 43 || nh == 60) && off + 8 <= end) {
			nh = b[off];
			off += (b[off + 1] + 1) * 8;
		}
		if (off > end)
			return 0;
		*l4 = off;
		*l4_len = end - off;
		return nh;
	}
	return 0;
}

static int dump(const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	seq++;
	fprintf(f, "{\"seq\":%llu", seq);
	for (int d = 0; d < 2; d++) {
		const char *n = d ? "b2a" : "a2b";

		fprintf(f, ",\"%s_udp\":%llu,\"%s_udp_bytes\":%llu,\"%s_udp_bad\":%llu,\"%s_tcp_dropped\":%llu,\"%s_other\":%llu",
			n, st[d].udp, n, st[d].udp_bytes, n, st[d].udp_bad, n, st[d].tcp_dropped, n,
			st[d].other);
	}
	fprintf(f, "}\n");
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

/* One packet from fds[d] to fds[!d]. */
static void forward(const int fds[2], int d)
{
	static uint8_t buf[65536];
	ssize_t n = read(fds[d], buf, sizeof(buf));
	size_t l4, l4_len;
	int family, proto;

	if (n <= 0)
		return;
	proto = classify(buf, n, &l4, &l4_len, &family);
	if (proto == 6 && l4) {
		st[d].tcp_dropped++;
		return;
	}
	if (proto == 17 && l4) {
		st[d].udp++;
		st[d].udp_bytes += n;
		if (!udp_ok(buf, n, 0, l4, family, l4_len))
			st[d].udp_bad++;
	} else {
		st[d].other++;
	}
	if (write(fds[!d], buf, n) != n && errno != EIO) /* EIO: the other side is down */
		fprintf(stderr, "tunfwd: write: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	const char *name = "tunf0", *ready = NULL, *stats = NULL, *ns[2] = { NULL, NULL };
	int type = -1, nsfd[2], fds[2], self;
	struct sigaction sa = { .sa_handler = on_signal };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
			stats = argv[++i];
		else if (argv[i][0] != '-' && !ns[0])
			ns[0] = argv[i];
		else if (argv[i][0] != '-' && !ns[1])
			ns[1] = argv[i];
		else
			ns[1] = NULL, argc = 0;
	}
	if (!ns[0] || !ns[1] || !ready || !stats) {
		fprintf(stderr, "usage: tunfwd NETNS_A NETNS_B --ready FILE --stats FILE [--name IFNAME] [--type N]\n");
		return 2;
	}
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < 2; i++) {
		nsfd[i] = open_ns(ns[i]);
		if (nsfd[i] < 0) {
			fprintf(stderr, "tunfwd: %s: %s\n", ns[i], strerror(errno));
			return 1;
		}
		fds[i] = make_tun(nsfd[i], ns[i], name, type);
		if (fds[i] < 0)
			return 1;
	}
	if (self >= 0)
		setns(self, CLONE_NEWNET);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (dump(stats) || close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644))) {
		fprintf(stderr, "tunfwd: %s: %s\n", stats, strerror(errno));
		return 1;
	}
	while (!want_exit) {
		struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };

		if (want_dump) {
			want_dump = 0;
			dump(stats);
		}
		if (poll(p, 2, 200) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tunfwd: poll: %s\n", strerror(errno));
			break;
		}
		for (int d = 0; d < 2; d++)
			if (p[d].revents & POLLIN)
				forward(fds, d);
	}
	return dump(stats) ? 1 : 0;
}
