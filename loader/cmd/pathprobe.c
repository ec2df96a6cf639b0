// SPDX-License-Identifier: GPL-2.0
/*
 * pathprobe.c - `tiu probe IFACE SERVER:PORT[/TUNNEL_PORT]...`: what one
 * path (one interface, its source address) lets through to a server: plain
 * TCP, MPTCP options, tunnelled TCP (tiu's wire format, sent from a plain
 * UDP socket: tiu need not be up here), the path MTU, and from these a
 * verdict. Every socket is bound to the device (SO_BINDTODEVICE) and to the
 * device's address. docs/DESIGN.md "Choosing per path: tiu probe".
 * (Not the kernel feature probe: that is probe.c.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/mptcp.h>

#include "cmd.h"
#include "tiu_wire.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

#define PP_MAX_SERVERS 32
#define PP_TIMEOUT_MS 1000
#define PP_TIMEOUT_MAX 60000

/* Exit status of `tiu probe` (also in its --help). */
enum { PP_EXIT_PLAIN = 0, PP_EXIT_ERROR = 1, PP_EXIT_USAGE = 2, PP_EXIT_TUNNEL = 3,
       PP_EXIT_BLOCKED = 4 };

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10
#define TCPOPT_MSS_KIND 2

struct pp_server {
	char label[TIU_EP_STRLEN];   /* "10.0.0.1:443", "[2001:db8::1]:443" */
	int family;
	struct sockaddr_storage addr; /* with the plain port */
	socklen_t alen;
	__u16 port, tport;           /* host order */
};

/* What one check found: a word for the line and JSON, and a detail. */
struct pp_check {
	const char *state;           /* "ok", "refused", "blocked", ... */
	char why[96];                /* "timeout 1000ms", "" */
};

struct pp_result {
	struct pp_check tcp, mptcp, tunnel;
	unsigned int mtu, mss;       /* 0: unknown */
	unsigned int syn_ack_mss;    /* MSS option of the tunnelled SYN-ACK, 0: none */
	const char *mtu_how;         /* "icmp", "route" */
	const char *verdict;
};

struct pp_opts {
	int timeout_ms;
};

static void probe_usage(FILE *f)
{
	fprintf(f,
"usage: tiu probe IFACE SERVER:PORT[/TUNNEL_PORT]... [--timeout MS] [-j|--json]\n"
"\n"
"Find out what the path through IFACE lets through to each server, from\n"
"IFACE's own address with every socket bound to IFACE (SO_BINDTODEVICE);\n"
"IFACE need not have tiu up (and should not tunnel PORT there, or the plain\n"
"checks are tunnelled too). One line per finding:\n"
"  IFACE SERVER:PORT plain-tcp ok|refused|blocked REASON\n"
"        connect to PORT: SYN-ACK (ok), RST (refused: TCP reaches the\n"
"        server, nothing listens), no answer (blocked timeout) or an ICMP\n"
"        error (blocked unreachable)\n"
"  IFACE SERVER:PORT mptcp ok|stripped|blocked|unknown REASON\n"
"        an MPTCP connect to PORT: ok when the server's SYN-ACK carried\n"
"        MP_CAPABLE, stripped when the connection fell back to TCP (the\n"
"        option was removed on the way, or the server does not do MPTCP)\n"
"  IFACE SERVER:PORT tunnel ok|refused|closed|blocked|bad port TUNNEL_PORT\n"
"        a SYN in tiu's UDP form to TUNNEL_PORT (default: PORT) from a UDP\n"
"        socket; ok: the tunnelled SYN-ACK came back and acknowledges the SYN\n"
"        (a tunnelled RST is sent after it); refused: a tunnelled RST (tiu\n"
"        is there, nothing listens); closed: ICMP port unreachable (UDP\n"
"        reaches the server, tiu has no local= endpoint there); bad: an\n"
"        answer that is not the SYN-ACK\n"
"  IFACE SERVER:PORT mtu MTU mss MSS from link|path\n"
"        the MTU after full-size datagrams with DF set (path: below IFACE's\n"
"        MTU, as a router's \"too big\" now or before, or the route, said;\n"
"        link: IFACE's MTU, nothing said smaller); MSS: what fits it, no\n"
"        larger than the tunnelled SYN-ACK's MSS\n"
"  IFACE SERVER:PORT verdict plain|tunnel|both-blocked\n"
"        plain: plain TCP reaches the server and MPTCP options survive, or\n"
"        the tunnel does not work but plain TCP does; tunnel: plain TCP or\n"
"        MPTCP options do not get through but the tunnel does;\n"
"        both-blocked: neither reaches the server\n"
"\n"
"A server is a numeric address (names are not resolved): 192.0.2.1:443,\n"
"[2001:db8::1]:443/7443. A server that answers both ways needs TCP\n"
"listeners on PORT and TUNNEL_PORT and tiu up with local=*:TUNNEL_PORT (a\n"
"port of its own: tiu tunnels every TCP connection of a local= port).\n"
"\n"
"  --timeout MS   the wait of each check (default %d, at most %d)\n"
"  -j, --json     one JSON array, an object per server\n"
"\n"
"Exit status: %d every verdict is plain; %d a verdict is tunnel (none\n"
"both-blocked); %d a verdict is both-blocked; %d an error (interface,\n"
"address, socket); %d bad usage.\n",
		PP_TIMEOUT_MS, PP_TIMEOUT_MAX, PP_EXIT_PLAIN, PP_EXIT_TUNNEL, PP_EXIT_BLOCKED,
		PP_EXIT_ERROR, PP_EXIT_USAGE);
}

static int probe_timeout(void *ctx, const char *name, const char *arg)
{
	struct pp_opts *o = ctx;
	char *end;
	long v;

	(void)name;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > PP_TIMEOUT_MAX)
		return tiu_fail("bad --timeout '%s': give milliseconds, 1..%d", arg, PP_TIMEOUT_MAX);
	o->timeout_ms = (int)v;
	return 0;
}

/* The address field of an AF_INET or AF_INET6 socket address. */
static void *sa_addr(struct sockaddr_storage *ss, int family)
{
	return family == AF_INET ? (void *)&((struct sockaddr_in *)ss)->sin_addr
				 : (void *)&((struct sockaddr_in6 *)ss)->sin6_addr;
}

/* Sets the port of an AF_INET or AF_INET6 socket address (by its
 * ss_family); returns the address's length, for connect(2). */
static socklen_t sa_set_port(struct sockaddr_storage *ss, __u16 port)
{
	if (ss->ss_family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_port = htons(port);
		return sizeof(struct sockaddr_in);
	}
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return sizeof(struct sockaddr_in6);
}

static int parse_port(const char *s, __u16 *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v < 1 || v > 65535)
		return -1;
	*port = (__u16)v;
	return 0;
}

/* "ADDR:PORT[/TUNNEL_PORT]", ADDR IPv4 or [IPv6], numeric. */
static int parse_server(const char *arg, struct pp_server *s)
{
	char buf[128], txt[INET6_ADDRSTRLEN], *host, *port, *tport, *p;

	memset(s, 0, sizeof(*s));
	if (strlen(arg) >= sizeof(buf))
		return tiu_fail("bad server '%.40s...': too long; give ADDR:PORT[/TUNNEL_PORT]", arg);
	strcpy(buf, arg);
	if ((tport = strchr(buf, '/')))
		*tport++ = '\0';
	if (buf[0] == '[') {
		host = buf + 1;
		if (!(p = strchr(host, ']')) || p[1] != ':')
			return tiu_fail("bad server '%s': an IPv6 address goes in brackets, [ADDR]:PORT", arg);
		*p = '\0';
		port = p + 2;
	} else {
		host = buf;
		if (!(p = strrchr(buf, ':')))
			return tiu_fail("bad server '%s': no port; give ADDR:PORT[/TUNNEL_PORT]", arg);
		*p = '\0';
		port = p + 1;
	}
	if (parse_port(port, &s->port))
		return tiu_fail("bad server '%s': port '%s' is not 1..65535", arg, port);
	s->tport = s->port;
	if (tport && parse_port(tport, &s->tport))
		return tiu_fail("bad server '%s': tunnel port '%s' is not 1..65535", arg, tport);
	if (inet_pton(AF_INET, host, sa_addr(&s->addr, AF_INET)) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, host, sa_addr(&s->addr, AF_INET6)) == 1)
		s->family = AF_INET6;
	else
		return tiu_fail("bad server '%s': '%s' is not a numeric IPv4 or IPv6 address (names are not resolved)",
				arg, host);
	s->addr.ss_family = s->family;
	s->alen = sa_set_port(&s->addr, s->port);
	inet_ntop(s->family, sa_addr(&s->addr, s->family), txt, sizeof(txt));
	snprintf(s->label, sizeof(s->label), s->family == AF_INET ? "%s:%u" : "[%s]:%u", txt, s->port);
	return 0;
}

/* The interface's address of the family (IPv6: a global one first), for
 * bind(2). 0, or -1 after one line. */
static int iface_source(const char *ifname, int family, struct sockaddr_storage *out)
{
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa))
		return tiu_fail("%s: cannot list its addresses: %s", ifname, strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family || strcmp(i->ifa_name, ifname))
			continue;
		if (family == AF_INET6) {
			const struct in6_addr *a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			bool link = IN6_IS_ADDR_LINKLOCAL(a);

			if (found == 2 || (found && link))
				continue;
			memcpy(out, i->ifa_addr, sizeof(struct sockaddr_in6));
			found = link ? 1 : 2;
		} else if (!found) {
			memcpy(out, i->ifa_addr, sizeof(struct sockaddr_in));
			found = 2;
		}
	}
	freeifaddrs(ifa);
	if (!found)
		return tiu_fail("%s: no %s address (tiu probe sends from it): add one, or probe an %s server",
				ifname, family == AF_INET ? "IPv4" : "IPv6",
				family == AF_INET ? "IPv6" : "IPv4");
	sa_set_port(out, 0);
	return 0;
}

/* A socket of the type, bound to the device and its address; -1 after one
 * line. */
static int pp_socket(const char *ifname, const struct sockaddr_storage *src, int type, int proto)
{
	socklen_t slen = src->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						     : sizeof(struct sockaddr_in6);
	int fd = socket(src->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -1; /* the caller words it: MPTCP may be off */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname))) {
		tiu_fail("%s: cannot bind a socket to it (SO_BINDTODEVICE): %s", ifname, strerror(errno));
		close(fd);
		return -2;
	}
	if (bind(fd, (const struct sockaddr *)src, slen)) {
		char a[INET6_ADDRSTRLEN] = "?";

		inet_ntop(src->ss_family, src->ss_family == AF_INET
				  ? (const void *)&((const struct sockaddr_in *)src)->sin_addr
				  : (const void *)&((const struct sockaddr_in6 *)src)->sin6_addr, a, sizeof(a));
		tiu_fail("%s: cannot bind a socket to its address %s: %s", ifname, a, strerror(errno));
		close(fd);
		return -2;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A non-blocking connect to s's plain port within the timeout: 0 connected,
 * else the errno (ETIMEDOUT for no answer). */
static int pp_connect(int fd, const struct pp_server *s, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0, n;

	if (!connect(fd, (const struct sockaddr *)&s->addr, s->alen))
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

/* Close with a RST (SO_LINGER 0): the server keeps no state of the probe. */
static void pp_abort(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void connect_state(struct pp_check *c, int err, int timeout_ms)
{
	if (!err) {
		c->state = "ok";
	} else if (err == ECONNREFUSED) {
		c->state = "refused";
		snprintf(c->why, sizeof(c->why), "reset by the server");
	} else if (err == ETIMEDOUT) {
		c->state = "blocked";
		snprintf(c->why, sizeof(c->why), "timeout %dms", timeout_ms);
	} else if (err == EHOSTUNREACH || err == ENETUNREACH || err == EACCES || err == EPERM) {
		c->state = "blocked";
		snprintf(c->why, sizeof(c->why), "unreachable (%s)", strerror(err));
	} else {
		c->state = "blocked";
		snprintf(c->why, sizeof(c->why), "%s", strerror(err));
	}
}

static int check_tcp(const char *ifname, const struct sockaddr_storage *src,
		     const struct pp_server *s, int timeout_ms, struct pp_check *c)
{
	int fd = pp_socket(ifname, src, SOCK_STREAM, IPPROTO_TCP);

	if (fd == -1)
		return tiu_fail("%s: cannot open a TCP socket: %s", ifname, strerror(errno));
	if (fd < 0)
		return -1;
	connect_state(c, pp_connect(fd, s, timeout_ms), timeout_ms);
	pp_abort(fd);
	return 0;
}

/*
 * MPTCP: connect with IPPROTO_MPTCP. When the SYN-ACK lacks MP_CAPABLE the
 * kernel falls the connection back to TCP (subflow_finish_connect(),
 * mptcp_do_fallback()) before connect completes; mptcp_getsockopt() then
 * hands every option to the one TCP subflow (__mptcp_tcp_fallback() ->
 * tcp_getsockopt() -> ip_getsockopt()), which knows no SOL_MPTCP and says
 * EOPNOTSUPP. Without fallback MPTCP_INFO answers (flags without
 * MPTCP_INFO_FLAG_FALLBACK, checked too).
 */
static int check_mptcp(const char *ifname, const struct sockaddr_storage *src,
		       const struct pp_server *s, int timeout_ms, struct pp_check *c)
{
	struct mptcp_info mi;
	socklen_t len = sizeof(mi);
	int fd = pp_socket(ifname, src, SOCK_STREAM, IPPROTO_MPTCP), err;

	if (fd == -1) {
		c->state = "unknown";
		snprintf(c->why, sizeof(c->why), "no MPTCP socket here (%s; net.mptcp.enabled?)",
			 strerror(errno));
		return 0;
	}
	if (fd < 0)
		return -1;
	err = pp_connect(fd, s, timeout_ms);
	if (err == ECONNREFUSED) {
		c->state = "unknown";
		snprintf(c->why, sizeof(c->why), "reset by the server");
	} else if (err) {
		connect_state(c, err, timeout_ms);
	} else {
		memset(&mi, 0, sizeof(mi));
		if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &mi, &len)) {
			if (errno == EOPNOTSUPP) {
				c->state = "stripped";
				snprintf(c->why, sizeof(c->why), "fell back to TCP");
			} else {
				c->state = "unknown";
				snprintf(c->why, sizeof(c->why), "MPTCP_INFO: %s", strerror(errno));
			}
		} else if (mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK) {
			c->state = "stripped";
			snprintf(c->why, sizeof(c->why), "fell back to TCP");
		} else {
			c->state = "ok";
		}
	}
	pp_abort(fd);
	return 0;
}

/* A segment in tiu's UDP form without the UDP header (the kernel writes
 * it): the bytes 8.. of struct tiu_udp20, then the options. */
static size_t tunnel_segment(__u8 *buf, __u8 flags, __u32 seq, __u32 ack, __u16 mss)
{
	struct tiu_udp20 u = {};
	size_t olen = mss ? 4 : 0;

	u.doff_rsv = (__u8)(((TIU_L4_HDR_LEN + olen) / 4) << 4);
	u.flags = flags;
	u.window = htons(flags & TCPF_RST ? 0 : 64240);
	u.seq = htonl(seq);
	u.ack_seq = htonl(ack);
	memcpy(buf, (__u8 *)&u + 8, TIU_L4_HDR_LEN - 8);
	if (mss) {
		buf[12] = TCPOPT_MSS_KIND;
		buf[13] = 4;
		buf[14] = mss >> 8;
		buf[15] = mss & 0xff;
	}
	return TIU_L4_HDR_LEN - 8 + olen;
}

/* The MSS option of a received segment (UDP payload form), 0 if none. */
static unsigned int segment_mss(const __u8 *b, size_t n)
{
	size_t end = tiu_doff_bytes(b[0]) - 8, i = TIU_L4_HDR_LEN - 8;

	if (end > n)
		return 0;
	while (i < end) {
		if (b[i] == 0)
			break;
		if (b[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= end || b[i + 1] < 2 || i + b[i + 1] > end)
			break;
		if (b[i] == TCPOPT_MSS_KIND && b[i + 1] == 4)
			return (unsigned int)b[i + 2] << 8 | b[i + 3];
		i += b[i + 1];
	}
	return 0;
}

static unsigned int hdr_len(int family)
{
	return family == AF_INET ? 20 + 20 : 40 + 20; /* IP + TCP (or tiu's UDP form) */
}

static unsigned int sock_mtu(int fd, int family)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);

	if (family == AF_INET ? getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len)
			      : getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len))
		return 0;
	return mtu > 0 ? (unsigned int)mtu : 0;
}

/*
 * The path MTU, on the tunnel socket once its check is over: DF on
 * (IP_PMTUDISC_DO), a datagram of the socket's MTU (the route's, or what the
 * kernel learned), which is a tunnelled RST of the probe connection padded
 * to size: the server's TCP ignores it (a RST for a connection it no longer
 * has). A router that cannot forward it answers "fragmentation needed" /
 * "packet too big"; the kernel lowers the MTU of the route (ip_rt_update_pmtu)
 * and the socket's IP_MTU shows it. Again, until it stays (at most 4 rounds).
 * "path" when the result is below the device's MTU (learnt now, or earlier
 * and cached with the route, or the route's own mtu), else "link".
 */
static void check_mtu(int fd, const char *ifname, const struct pp_server *s, __u32 seq,
		      int timeout_ms, struct pp_result *r)
{
	struct ifreq ifr = {};
	static __u8 buf[65536];
	int on = s->family == AF_INET ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO;
	unsigned int mtu, prev = 0, udp_hdr = s->family == AF_INET ? 28 : 48;
	int wait_ms = timeout_ms < 300 ? timeout_ms : 300;

	if (s->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &on, sizeof(on));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &on, sizeof(on));
	mtu = sock_mtu(fd, s->family);
	for (int round = 0; round < 4 && mtu > udp_hdr + 20 && mtu != prev; round++) {
		long long end = now_ms() + wait_ms, t;
		size_t n = mtu - udp_hdr;

		prev = mtu;
		memset(buf, 0, n);
		tunnel_segment(buf, TCPF_RST, seq, 0, 0);
		if (send(fd, buf, n, 0) < 0 && errno != EMSGSIZE)
			break;
		/* the ICMP error wakes poll (POLLERR); a late datagram (a
		 * retransmitted SYN-ACK) is read and the wait goes on */
		while (mtu == prev && (t = now_ms()) < end) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, (int)(end - t)) > 0)
				recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			mtu = sock_mtu(fd, s->family);
		}
	}
	r->mtu = mtu;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r->mtu_how = !ioctl(fd, SIOCGIFMTU, &ifr) && mtu && mtu < (unsigned int)ifr.ifr_mtu
		     ? "path" : "link";
}

/*
 * Tunnelled TCP: a SYN in tiu's UDP form from a UDP socket to the tunnel
 * port (again at half the timeout), the SYN-ACK back as a UDP datagram:
 * checked for SYN+ACK and the acknowledgment of our sequence number; then a
 * tunnelled RST so that the server drops its half-open connection.
 */
static int check_tunnel(const char *ifname, const struct sockaddr_storage *src,
			const struct pp_server *s, int timeout_ms, struct pp_result *r)
{
	struct pp_check *c = &r->tunnel;
	struct sockaddr_storage dst = s->addr;
	__u8 syn[64], rx[2048];
	unsigned int route_mtu;
	long long t0, end;
	bool resent = false;
	__u32 isn;
	size_t n;
	int fd;

	if (getrandom(&isn, sizeof(isn), 0) != sizeof(isn))
		isn = (__u32)now_ms() * 2654435761u;
	fd = pp_socket(ifname, src, SOCK_DGRAM, IPPROTO_UDP);
	if (fd == -1)
		return tiu_fail("%s: cannot open a UDP socket: %s", ifname, strerror(errno));
	if (fd < 0)
		return -1;
	sa_set_port(&dst, s->tport);
	if (connect(fd, (struct sockaddr *)&dst, s->alen)) {
		connect_state(c, errno, timeout_ms);
		close(fd);
		return 0;
	}
	route_mtu = sock_mtu(fd, s->family);
	n = tunnel_segment(syn, TCPF_SYN, isn, 0,
			   route_mtu > hdr_len(s->family) ? route_mtu - hdr_len(s->family) : 536);
	c->state = "blocked";
	snprintf(c->why, sizeof(c->why), "timeout %dms", timeout_ms);
	t0 = now_ms();
	end = t0 + timeout_ms;
	if (send(fd, syn, n, 0) < 0) {
		connect_state(c, errno, timeout_ms);
		close(fd);
		return 0;
	}
	for (long long t = t0; t < end; t = now_ms()) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long until = resent ? end : t0 + timeout_ms / 2;
		ssize_t got;

		if (poll(&p, 1, (int)(until > t ? until - t : 0)) == 0) {
			if (!resent) {
				resent = true;
				send(fd, syn, n, 0);
			}
			continue;
		}
		got = recv(fd, rx, sizeof(rx), 0);
		if (got < 0) {
			if (errno == ECONNREFUSED) {
				c->state = "closed";
				snprintf(c->why, sizeof(c->why),
					 "ICMP port unreachable: UDP reaches the server, no tiu local= endpoint on port %u",
					 s->tport);
				break;
			}
			continue; /* another ICMP error: wait on */
		}
		if ((size_t)got < TIU_L4_HDR_LEN - 8 || !tiu_wire_doff_ok(rx[0], (__u32)got + 8))
			continue; /* not a segment in tiu's form */
		{
			__u8 flags = rx[1];
			__u32 ack = ntohl(*(__be32 *)(rx + 8));

			if ((flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == (TCPF_SYN | TCPF_ACK) &&
			    ack == isn + 1) {
				c->state = "ok";
				c->why[0] = '\0';
				r->syn_ack_mss = segment_mss(rx, (size_t)got);
				n = tunnel_segment(syn, TCPF_RST, isn + 1, 0, 0);
				send(fd, syn, n, 0);
				break;
			}
			if ((flags & TCPF_RST) && (!(flags & TCPF_ACK) || ack == isn + 1)) {
				c->state = "refused";
				snprintf(c->why, sizeof(c->why), "tunnelled reset: tiu is there, nothing listens on port %u",
					 s->tport);
				break;
			}
			c->state = "bad";
			snprintf(c->why, sizeof(c->why), "an answer that is not our SYN-ACK (flags 0x%02x ack %u, sent seq %u)",
				 flags, ack, isn);
		}
	}
	check_mtu(fd, ifname, s, isn + 1, timeout_ms, r);
	close(fd);
	return 0;
}

static bool reaches(const struct pp_check *c)
{
	return !strcmp(c->state, "ok") || !strcmp(c->state, "refused");
}

static const char *verdict(const struct pp_result *r)
{
	bool tcp = reaches(&r->tcp);
	bool mptcp = strcmp(r->mptcp.state, "stripped") && strcmp(r->mptcp.state, "blocked");

	if (tcp && mptcp)
		return "plain";
	if (reaches(&r->tunnel))
		return "tunnel";
	return tcp ? "plain" : "both-blocked";
}

static void print_text(const char *ifname, const struct pp_server *s, const struct pp_result *r)
{
	const char *l = s->label;

	printf("%s %s plain-tcp %s%s%s\n", ifname, l, r->tcp.state, r->tcp.why[0] ? " " : "",
	       r->tcp.why);
	printf("%s %s mptcp %s%s%s\n", ifname, l, r->mptcp.state, r->mptcp.why[0] ? " " : "",
	       r->mptcp.why);
	printf("%s %s tunnel %s port %u%s%s\n", ifname, l, r->tunnel.state, s->tport,
	       r->tunnel.why[0] ? " " : "", r->tunnel.why);
	if (r->mtu)
		printf("%s %s mtu %u mss %u from %s\n", ifname, l, r->mtu, r->mss, r->mtu_how);
	else
		printf("%s %s mtu unknown\n", ifname, l);
	printf("%s %s verdict %s\n", ifname, l, r->verdict);
}

static void json_check(const char *name, const struct pp_check *c)
{
	printf("\"%s\":", name);
	json_str(stdout, c->state);
	printf(",\"%s_why\":", name);
	json_str(stdout, c->why);
	printf(",");
}

static void print_json(const char *ifname, const struct pp_server *s, const struct pp_result *r,
		       bool first)
{
	printf("%s{\"iface\":", first ? "" : ",");
	json_str(stdout, ifname);
	printf(",\"server\":");
	json_str(stdout, s->label);
	printf(",\"port\":%u,\"tunnel_port\":%u,", s->port, s->tport);
	json_check("plain_tcp", &r->tcp);
	json_check("mptcp", &r->mptcp);
	json_check("tunnel", &r->tunnel);
	printf("\"mtu\":%u,\"mss\":%u,\"mtu_from\":", r->mtu, r->mss);
	json_str(stdout, r->mtu_how ? r->mtu_how : "");
	printf(",\"syn_ack_mss\":%u,\"verdict\":", r->syn_ack_mss);
	json_str(stdout, r->verdict);
	printf("}");
}

int cmd_probe(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_FN("timeout", required_argument, probe_timeout),
		{}
	};
	static const struct cli_cmd cmd = {
		.name = "probe", .common = CLI_F_JSON, .opts = opts, .usage = probe_usage, .max_args = -1,
	};
	static struct pp_server srv[PP_MAX_SERVERS];
	struct pp_opts o = { .timeout_ms = PP_TIMEOUT_MS };
	const char *ifname;
	struct cli c;
	int rc, n, worst = PP_EXIT_PLAIN;
	__u32 ifindex;

	rc = cli_parse(&cmd, &o, argc, argv, &c);
	if (rc)
		return rc > 0 ? 0 : PP_EXIT_USAGE;
	if (c.argc < 1) {
		tiu_fail("which interface? tiu probe IFACE SERVER:PORT[/TUNNEL_PORT]... (see tiu probe --help)");
		return PP_EXIT_USAGE;
	}
	ifname = c.argv[0];
	n = c.argc - 1;
	if (n < 1) {
		tiu_fail("%s: which server? give SERVER:PORT[/TUNNEL_PORT] (see tiu probe --help)", ifname);
		return PP_EXIT_USAGE;
	}
	if (n > PP_MAX_SERVERS) {
		tiu_fail("too many servers (%d): at most %d per run", n, PP_MAX_SERVERS);
		return PP_EXIT_USAGE;
	}
	for (int i = 0; i < n; i++)
		if (parse_server(c.argv[i + 1], &srv[i]))
			return PP_EXIT_USAGE;
	if (iface_index(ifname, &ifindex))
		return PP_EXIT_ERROR;
	if (c.json)
		printf("[");
	for (int i = 0; i < n; i++) {
		struct pp_result r = {};
		struct sockaddr_storage src = {};
		int code;

		if (iface_source(ifname, srv[i].family, &src) ||
		    check_tcp(ifname, &src, &srv[i], o.timeout_ms, &r.tcp) ||
		    check_mptcp(ifname, &src, &srv[i], o.timeout_ms, &r.mptcp) ||
		    check_tunnel(ifname, &src, &srv[i], o.timeout_ms, &r)) {
			if (c.json)
				printf("]\n");
			return PP_EXIT_ERROR;
		}
		if (r.mtu > hdr_len(srv[i].family)) {
			r.mss = r.mtu - hdr_len(srv[i].family);
			if (r.syn_ack_mss && r.syn_ack_mss < r.mss)
				r.mss = r.syn_ack_mss;
		}
		r.verdict = verdict(&r);
		if (c.json)
			print_json(ifname, &srv[i], &r, i == 0);
		else
			print_text(ifname, &srv[i], &r);
		fflush(stdout);
		code = !strcmp(r.verdict, "plain") ? PP_EXIT_PLAIN
		       : !strcmp(r.verdict, "tunnel") ? PP_EXIT_TUNNEL : PP_EXIT_BLOCKED;
		if (code > worst)
			worst = code;
	}
	if (c.json)
		printf("]\n");
	return worst;
}
