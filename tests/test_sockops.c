// SPDX-License-Identifier: GPL-2.0
/*
 * test_sockops.c - the keepalive sock_ops program (cgroup/tiu_sockops.bpf.c) on
 * live sockets.
 *
 * sock_ops has no BPF_PROG_TEST_RUN (sock_ops_prog_ops in net/core/filter.c
 * has no .test_run; the first line below shows what the kernel answers), so
 * the program runs where it runs in production: attached to a cgroup, here a
 * private child of the cgroup v2 mount that only this process joins, in a
 * private network namespace, over loopback. One row per decision: which
 * endpoint entry a connection matches (exact or wildcard address, remote or
 * local role, IPv4 or IPv6, another namespace's entry, none), and what
 * getsockopt() then reads on both ends of the connection; then the
 * per-interface counters.
 *
 * The application's own choice: rows where the client (before connect())
 * or the server (on its listener, inherited by the accepted socket) sets
 * SO_KEEPALIVE on or off or a keepalive timer itself. The cgroup
 * setsockopt program tiu_ka_setsockopt sees those calls; the expected
 * values are those the application set, and the system's (the namespace's
 * net.ipv4.tcp_keepalive_* sysctls) for a timer that nobody set.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tiu_common.h"
#include "harness.h"
#include "tap.h"
#include "tiu_sockops.skel.h"

#define NS_OTHER_DELTA 1000 /* an entry for a netns cookie that is not ours */

/* What the application sets itself before the connection is established
 * (client: before connect(); server: on the listener). */
enum app {
	APP_NONE,
	APP_ON,        /* SO_KEEPALIVE 1 and TCP_KEEPIDLE APP_IDLE */
	APP_OFF,       /* SO_KEEPALIVE 0 */
	APP_IDLE_ONLY, /* TCP_KEEPIDLE APP_IDLE, no SO_KEEPALIVE */
	APP_LARGE,     /* an unrelated option larger than a page (SO_BINDTODEVICE) */
};
#define APP_IDLE 3600

struct row {
	const char *name;
	int family;          /* 4 or 6: the connection */
	uint16_t port;       /* server port */
	/* the entry published for it (role 0: none) */
	uint8_t role;
	int wildcard;
	int other_netns;
	uint32_t ifindex, idle, intvl, cnt;
	/* expected: the entry matches the client (active) / server (passive) end */
	int want_client, want_server;
	enum app app_client, app_server;
};

static const struct row rows[] = {
	{ "remote exact IPv4: the client end only", 4, 7101, TIU_ROLE_REMOTE, 0, 0, 11, 7, 3, 5, 1, 0 },
	{ "remote wildcard, IPv6 connection", 6, 7102, TIU_ROLE_REMOTE, 1, 0, 12, 9, 2, 4, 1, 0 },
	{ "remote exact IPv6", 6, 7103, TIU_ROLE_REMOTE, 0, 0, 12, 13, 4, 6, 1, 0 },
	{ "local exact IPv4: the server end only", 4, 7104, TIU_ROLE_LOCAL, 0, 0, 13, 11, 5, 7, 0, 1 },
	{ "local wildcard, IPv6 connection", 6, 7105, TIU_ROLE_LOCAL, 1, 0, 13, 15, 6, 8, 0, 1 },
	{ "entry of another network namespace: untouched", 4, 7106, TIU_ROLE_REMOTE, 0, 1, 11, 7, 3, 5, 0, 0 },
	{ "no entry: untouched", 4, 7107, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "no entry, IPv6: untouched", 6, 7108, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "client set SO_KEEPALIVE and TCP_KEEPIDLE 3600 itself: kept", 4, 7109, TIU_ROLE_REMOTE, 0, 0, 11, 7, 3, 5, 1, 0, APP_ON },
	{ "client set SO_KEEPALIVE 0 itself: stays off", 4, 7110, TIU_ROLE_REMOTE, 0, 0, 11, 7, 3, 5, 1, 0, APP_OFF },
	{ "client set SO_KEEPALIVE 0 itself, IPv6: stays off", 6, 7111, TIU_ROLE_REMOTE, 1, 0, 12, 9, 2, 4, 1, 0, APP_OFF },
	{ "client set TCP_KEEPIDLE 3600 only: keepalive on, its idle kept", 4, 7112, TIU_ROLE_REMOTE, 0, 0, 11, 7, 3, 5, 1, 0, APP_IDLE_ONLY },
	{ "server's listener set SO_KEEPALIVE 0: the accepted socket stays off", 4, 7113, TIU_ROLE_LOCAL, 0, 0, 13, 11, 5, 7, 0, 1, APP_NONE, APP_OFF },
	{ "server's listener set SO_KEEPALIVE and TCP_KEEPIDLE 3600: kept", 6, 7114, TIU_ROLE_LOCAL, 1, 0, 13, 15, 6, 8, 0, 1, APP_NONE, APP_ON },
	{ "client set an option larger than a page first: tiu's keepalive", 4, 7115, TIU_ROLE_REMOTE, 0, 0, 11, 7, 3, 5, 1, 0, APP_LARGE },
	{ "no entry, client set SO_KEEPALIVE 3600 itself: untouched", 4, 7116, 0, 0, 0, 0, 0, 0, 0, 0, 0, APP_ON },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void addr_of(int family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (family == 4) {
		addr[10] = addr[11] = 0xff;
		addr[12] = 127;
		addr[15] = 1;
	} else {
		addr[15] = 1; /* ::1 */
	}
}

static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return err;
}

/* The cgroup v2 mount, from /proc/self/mounts. */
static int cgroup2_mount(char *buf, size_t len)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Our cgroup v2 path relative to the mount ("0::/PATH" in /proc/self/cgroup). */
static int own_cgroup(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 3);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

static int write_pid(const char *dir)
{
	char path[600], pid[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	ok = write(fd, pid, n) == n;
	close(fd);
	return ok ? 0 : -1;
}

struct ka { int on, idle, intvl, cnt; };

static void ka_read(int fd, struct ka *k)
{
	socklen_t l = sizeof(int);

	memset(k, 0xff, sizeof(*k));
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &k->on, &l);
	l = sizeof(int);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &k->idle, &l);
	l = sizeof(int);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &k->intvl, &l);
	l = sizeof(int);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &k->cnt, &l);
}

/* The application's own settings; 0, or -1 with errno where one is refused. */
static int app_set(int fd, enum app app)
{
	int on = 1, off = 0, idle = APP_IDLE;

	switch (app) {
	case APP_NONE:
		return 0;
	case APP_ON:
		if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)))
			return -1;
		return setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	case APP_OFF:
		return setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &off, sizeof(off));
	case APP_IDLE_ONLY:
		return setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	case APP_LARGE: {
		/* SO_BINDTODEVICE reads at most IFNAMSIZ - 1 bytes of what it is
		 * given (sock_setbindtodevice()): "lo" in two pages */
		static char dev[8192] = "lo";

		return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, sizeof(dev));
	}
	}
	return 0;
}

/* Connect over loopback, each end with the application's own settings;
 * returns 0 and both ends' keepalive state. */
static int connect_pair(int family, uint16_t port, enum app app_cli, enum app app_srv,
			struct ka *cli, struct ka *srv)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	struct sockaddr_storage ss;
	socklen_t sl = harness_sockaddr(family, family == 4 ? lo4 : in6addr_loopback.s6_addr, port, &ss);
	int af = family == 4 ? AF_INET : AF_INET6, one = 1;
	int l = -1, c = -1, a = -1, rc = -1;
	l = socket(af, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    app_set(l, app_srv) || bind(l, (void *)&ss, sl) || listen(l, 4))
		goto out;
	c = socket(af, SOCK_STREAM, 0);
	if (c < 0 || app_set(c, app_cli) || connect(c, (void *)&ss, sl))
		goto out;
	a = accept(l, NULL, NULL);
	if (a < 0)
		goto out;
	ka_read(c, cli);
	ka_read(a, srv);
	rc = 0;
out:
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return rc;
}

static int sys_intvl, sys_cnt; /* the namespace's net.ipv4.tcp_keepalive_{intvl,probes} */

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* What one end must read: the entry's values where it matches and the
 * application chose nothing, the application's where it did. *decided:
 * what the program counts (0 nothing, 1 given, 2 kept). */
static void ka_want(const struct row *r, int match, enum app app, struct ka *w, int *decided)
{
	memset(w, 0, sizeof(*w));
	*decided = 0;
	switch (app) {
	case APP_ON:
		*w = (struct ka){ 1, APP_IDLE, sys_intvl, sys_cnt };
		*decided = match ? 2 : 0;
		return;
	case APP_OFF:
		*decided = match ? 2 : 0;
		return;
	case APP_IDLE_ONLY:
		if (match)
			*w = (struct ka){ 1, APP_IDLE, (int)r->intvl, (int)r->cnt };
		*decided = match;
		return;
	case APP_NONE:
	case APP_LARGE:
		if (match)
			*w = (struct ka){ 1, (int)r->idle, (int)r->intvl, (int)r->cnt };
		*decided = match;
		return;
	}
}

static int ka_ok(const struct ka *k, const struct ka *w)
{
	if (!w->on)
		return k->on == 0;
	return k->on == 1 && k->idle == w->idle && k->intvl == w->intvl && k->cnt == w->cnt;
}

int main(void)
{
	char mnt[256], own[512], cg[600], home[800];
	struct tiu_sockops *skel = NULL;
	struct bpf_link *link = NULL, *optlink = NULL;
	struct bpf_program *optprog;
	unsigned long long netns = 0;
	socklen_t sl = sizeof(netns);
	int cgfd = -1, fd, eps, ifs, prog, err, joined = 0;
	uint64_t want_given[3] = {}, want_kept[3] = {};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root: loads a sock_ops program, joins a cgroup, unshares a netns\n");
		return 0;
	}
	if (cgroup2_mount(mnt, sizeof(mnt)) || own_cgroup(own, sizeof(own))) {
		printf("1..0 # SKIP no cgroup v2 mount in /proc/self/mounts\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) || lo_up()) {
		printf("1..0 # SKIP cannot unshare a network namespace: %s\n", strerror(errno));
		return 0;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &netns, &sl) || !netns) {
		printf("1..0 # SKIP no SO_NETNS_COOKIE (Linux >= 5.14)\n");
		return 0;
	}
	close(fd);

	if (!getenv("V"))
		libbpf_set_print(NULL);
	skel = tiu_sockops__open_and_load();
	if (!skel) {
		printf("Bail out! tiu_sockops.bpf.o does not load: %s\n", strerror(errno));
		return 1;
	}
	prog = bpf_program__fd(skel->progs.tiu_sockops);
	eps = bpf_map__fd(skel->maps.tiu_ka_eps);
	ifs = bpf_map__fd(skel->maps.tiu_ka_ifaces);

	{
		/* What the kernel says to BPF_PROG_TEST_RUN of sock_ops. */
		struct bpf_sock_ops ctx = {};
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

		err = bpf_prog_test_run_opts(prog, &o);
		printf("# BPF_PROG_TEST_RUN of sock_ops: %s (%d): tested on live sockets instead\n",
		       err == -524 ? "ENOTSUPP" : err ? strerror(-err) : "accepted", err);
	}

	snprintf(cg, sizeof(cg), "%s/tiu-test-sockops-%d", mnt, getpid());
	snprintf(home, sizeof(home), "%s%s", mnt, own);
	if (mkdir(cg, 0755) || (cgfd = open(cg, O_RDONLY | O_DIRECTORY)) < 0) {
		printf("Bail out! cannot create cgroup %s: %s\n", cg, strerror(errno));
		goto out;
	}
	link = bpf_program__attach_cgroup(skel->progs.tiu_sockops, cgfd);
	if (!link) {
		printf("Bail out! cannot attach sock_ops to %s: %s\n", cg, strerror(errno));
		goto out;
	}
	if (write_pid(cg)) {
		printf("Bail out! cannot join cgroup %s: %s\n", cg, strerror(errno));
		goto out;
	}
	joined = 1;
	/* by name: the object of a tiu without it still builds this test, and
	 * fails here */
	optprog = bpf_object__find_program_by_name(skel->obj, "tiu_ka_setsockopt");
	tap(optprog != NULL, "the object has the cgroup setsockopt program tiu_ka_setsockopt");
	if (optprog) {
		optlink = bpf_program__attach_cgroup(optprog, cgfd);
		if (!optlink) {
			printf("Bail out! cannot attach tiu_ka_setsockopt to %s: %s\n", cg,
			       strerror(errno));
			goto out;
		}
	}
	sys_intvl = read_int("/proc/sys/net/ipv4/tcp_keepalive_intvl");
	sys_cnt = read_int("/proc/sys/net/ipv4/tcp_keepalive_probes");

	for (i = 0; i < 3; i++) {
		struct tiu_ka_iface_key ik = { .netns = netns, .ifindex = 11 + i };
		struct tiu_ka_iface iv = { .seconds = 1 };

		bpf_map_update_elem(ifs, &ik, &iv, BPF_ANY);
	}
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		struct tiu_ka_key k = {};
		struct tiu_ka_val v = { r->ifindex, r->idle, r->intvl, r->cnt };

		if (!r->role)
			continue;
		k.netns = netns + (r->other_netns ? NS_OTHER_DELTA : 0);
		if (!r->wildcard)
			addr_of(r->family, k.addr);
		k.port = htons(r->port);
		k.role = r->role;
		if (bpf_map_update_elem(eps, &k, &v, BPF_ANY))
			printf("# cannot add the entry of \"%s\": %s\n", r->name, strerror(errno));
	}

	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		struct ka c, s, wc, ws;
		int ok, dc, ds;

		if (connect_pair(r->family, r->port, r->app_client, r->app_server, &c, &s)) {
			tap(0, "%s: loopback connection failed: %s", r->name, strerror(errno));
			continue;
		}
		ka_want(r, r->want_client, r->app_client, &wc, &dc);
		ka_want(r, r->want_server, r->app_server, &ws, &ds);
		ok = ka_ok(&c, &wc) && ka_ok(&s, &ws);
		tap(ok, "%s (client on=%d idle=%d intvl=%d cnt=%d; server on=%d idle=%d intvl=%d cnt=%d)",
		    r->name, c.on, c.idle, c.intvl, c.cnt, s.on, s.idle, s.intvl, s.cnt);
		if (!ok)
			printf("#   want client on=%d idle=%d intvl=%d cnt=%d; server on=%d idle=%d intvl=%d cnt=%d\n",
			       wc.on, wc.idle, wc.intvl, wc.cnt, ws.on, ws.idle, ws.intvl, ws.cnt);
		if (r->ifindex >= 11) {
			want_given[r->ifindex - 11] += (dc == 1) + (ds == 1);
			want_kept[r->ifindex - 11] += (dc == 2) + (ds == 2);
		}
	}

	for (i = 0; i < 3; i++) {
		struct tiu_ka_iface_key ik = { .netns = netns, .ifindex = 11 + i };
		struct tiu_ka_iface iv = {};

		err = bpf_map_lookup_elem(ifs, &ik, &iv);
		tap(!err && iv.given == want_given[i] && iv.failed == 0 && iv.kept == want_kept[i],
		    "counters of ifindex %zu: given %llu (want %llu), failed %llu, kept %llu (want %llu)",
		    11 + i, (unsigned long long)iv.given, (unsigned long long)want_given[i],
		    (unsigned long long)iv.failed, (unsigned long long)iv.kept,
		    (unsigned long long)want_kept[i]);
	}

out:
	if (joined && write_pid(home))
		printf("# cannot return to cgroup %s: %s\n", home, strerror(errno));
	bpf_link__destroy(optlink);
	bpf_link__destroy(link);
	if (cgfd >= 0)
		close(cgfd);
	if (cgfd >= 0 && rmdir(cg))
		printf("# cannot remove cgroup %s: %s\n", cg, strerror(errno));
	tiu_sockops__destroy(skel);
	return tap_done();
}
