// SPDX-License-Identifier: GPL-2.0
/*
 * detour.c - the segmentation detour of one interface (docs/DESIGN.md "The segmentation detour"):
 * a veth pair "tiuNd" / "tiuNp" (N = ifindex of the interface) in the same
 * network namespace. tiu_tc_egress redirects PARTIAL/GSO TCP to tiuNd, whose
 * offloads are off so the kernel segments and checksums there; tiu_tc_detour
 * on tiuNp's ingress converts each segment and redirects it to the interface.
 * IPv6 is disabled on both ends so the kernel sends nothing of its own
 * through them. Both ends carry the alias "tiu detour of IFACE": `down` finds
 * the pair by name and only deletes it if the alias says it is tiu's. The
 * alias takes a second request after the one that creates the pair, so the
 * pair is also born with tiu's MAC addresses (detour_mac()): a pair of the
 * right name and address without an alias is one whose `tiu up` was killed
 * in between, and `down` removes it too.
 *
 * RPS on the peer keeps each flow in order. veth hands every segment to the
 * receive backlog of the CPU that transmits, and TCP transmits one flow
 * from process context on one CPU and from ACK-driven softirq on another:
 * two backlogs drained in parallel interleave the segments. Measured here
 * (one flow, 6 runs each): 839-7833 retransmissions per 5 s, nearly all
 * spurious (DSACKs), without RPS; 0-6 with RPS over all CPUs, which hashes
 * a flow to one backlog.
 *
 * The peer stays on the backlog, not on veth's own NAPI (GRO on tiuNp with
 * gro_max_size 0 would give it one: veth_gro_requested(), veth_xdp_rx()
 * into a 256-entry ring, __veth_xdp_flush() on the transmitting CPU).
 * Measured (docs/DESIGN.md "The cost of the detour"): less CPU with one
 * flow, but the ring overflows with four (tiuNd has no queue to push back
 * into) and the CPU that polls it changes, so the next per-CPU backlog
 * reorders what RPS keeps on one CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "state.h"

/* Detour veth pair of interface with index N: "tiuNd" is the end TC egress
 * redirects to (offloads off), "tiuNp" the peer where tiu_tc_detour runs.
 * "tiu" + 10 digits + 1 letter = 14 characters < IFNAMSIZ. The alias of both
 * ends reads "tiu detour of IFACE" so that `ip link` tells whose they are.
 * The names are written and read here only. */
#define TIU_DETOUR_FMT      "tiu%ud"
#define TIU_DETOUR_PEER_FMT "tiu%up"
#define TIU_DETOUR_ALIAS    "tiu detour of "

/* The Ethernet address of end 'd' or 'p' of a detour: locally administered
 * (0x02), then "tiu" and the end letter in ASCII. Nothing reads it on the
 * wire (the detour carries frames with the interface's own header, IPv6 is
 * off on both ends); it marks the pair as tiu's from its creation on, before
 * the alias can be set. Set explicitly, it is also left alone by udev's
 * MACAddressPolicy (which only replaces random addresses). */
static void detour_mac(char end, unsigned char mac[ETH_ALEN])
{
	const unsigned char m[ETH_ALEN] = { 0x02, 't', 'i', 'u', 0x00, (unsigned char)end };

	memcpy(mac, m, ETH_ALEN);
}

/* A veth of tiu's MAC address for that end: made by tiu, perhaps not named yet. */
static bool born_ours(__u32 ifindex, char end)
{
	unsigned char mac[ETH_ALEN], want[ETH_ALEN];
	char kind[16];

	detour_mac(end, want);
	return !nl_link_kind_addr(ifindex, kind, sizeof(kind), mac) && !strcmp(kind, "veth") &&
	       !memcmp(mac, want, ETH_ALEN);
}

/* "tiuNd" or "tiuNp": N into *n, the end letter into *end. */
static bool parse_name(const char *name, unsigned int *n, char *end)
{
	char extra;

	return sscanf(name, "tiu%u%c%c", n, end, &extra) == 2 && (*end == 'd' || *end == 'p');
}

bool detour_is_name(const char *ifname)
{
	unsigned int n;
	char end;

	return parse_name(ifname, &n, &end);
}

/* Detour pairs whose alias names ifname (which may no longer exist): their
 * index N (from "tiuNd"), at most max. */
int detour_of_alias(const char *ifname, __u32 *out, int max)
{
	struct if_nameindex *all = if_nameindex(), *i;
	char alias[256], want[64];
	unsigned int n;
	char end;
	int found = 0;

	snprintf(want, sizeof(want), TIU_DETOUR_ALIAS "%s", ifname);
	for (i = all; i && i->if_index && found < max; i++) {
		if (!parse_name(i->if_name, &n, &end) || end != 'd')
			continue;
		if (!nl_link_alias(i->if_index, alias, sizeof(alias)) && !strcmp(alias, want))
			out[found++] = n;
	}
	if (all)
		if_freenameindex(all);
	return found;
}

void detour_names(__u32 ifindex, struct detour *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), TIU_DETOUR_FMT, ifindex);
	snprintf(d->peer, sizeof(d->peer), TIU_DETOUR_PEER_FMT, ifindex);
}

static int disable_ipv6(const char *ifname)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : tiu_fail("%s: %s", path, strerror(errno));
	if (write(fd, "1\n", 2) != 2)
		err = tiu_fail("%s: cannot disable IPv6: %s", path, strerror(errno));
	close(fd);
	return err;
}

#define RPS_FILE "queues/rx-0/rps_cpus"

/*
 * Run fn(sysfs_root, d) in a child with a sysfs of *this* network namespace.
 * /sys may show another one (`nsenter --net` keeps the caller's mounts, and
 * a device of the same name there is somebody else's), so the child
 * unshares its mount namespace and mounts a fresh sysfs, which follows the
 * mounting task's network namespace, on a temporary directory. The
 * caller's mounts (bpffs under /sys/fs/bpf among them) are never touched.
 * Returns fn's result (0..254), or -1.
 */
static int with_netns_sysfs(int (*fn)(const char *root, const struct detour *d),
			    const struct detour *d)
{
	char dir[] = "/tmp/tiu-sysfs.XXXXXX";
	int status = 0;
	pid_t pid;

	if (!mkdtemp(dir))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("sysfs", dir, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			_exit(255);
		_exit(fn(dir, d) & 0xff);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	rmdir(dir);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) == 255)
		return -1;
	return WEXITSTATUS(status);
}

static void rps_path(const char *root, const struct detour *d, char *path, size_t len)
{
	snprintf(path, len, "%s/class/net/%s/" RPS_FILE, root, d->peer);
}

/* The mask of every configured CPU, as sysfs writes it: 32-bit hex groups,
 * most significant first, separated by commas. */
static void all_cpus_mask(char *buf, size_t len)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int groups = ncpu > 0 ? (int)((ncpu + 31) / 32) : 1;
	size_t off = 0;

	buf[0] = 0;
	for (int g = groups - 1; g >= 0 && off < len; g--) {
		long bits = ncpu - g * 32L;
		unsigned int word = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;

		off += snprintf(buf + off, len - off, "%s%08x", g == groups - 1 ? "" : ",", word);
	}
}

/* child: 1 if any CPU is set, 0 if none, 254 if unreadable */
static int rps_read(const char *root, const struct detour *d)
{
	char path[160], buf[160];
	ssize_t n;
	int fd;

	rps_path(root, d, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 254;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 254;
	buf[n] = 0;
	return strspn(buf, "0,\n") != (size_t)n;
}

/* child: 0 on success, else errno */
static int rps_write(const char *root, const struct detour *d)
{
	char path[160], mask[160];
	size_t len;
	int fd, err = 0;

	rps_path(root, d, path, sizeof(path));
	all_cpus_mask(mask, sizeof(mask));
	len = strlen(mask);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, mask, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	return err;
}

int detour_rps(const struct detour *d)
{
	int r = with_netns_sysfs(rps_read, d);

	return r == 0 || r == 1 ? r : -1;
}

/* Not fatal: without RPS the detour is correct, only reordered. Says so. */
static void set_rps(const char *ifname, const struct detour *d)
{
	int err;

	if (sysconf(_SC_NPROCESSORS_CONF) <= 1)
		return;
	err = with_netns_sysfs(rps_write, d);
	if (err)
		tiu_warn("%s: cannot set RPS on detour %s (%s): tunnelled TCP may be reordered",
			 ifname, d->peer, err > 0 ? strerror(err) : "no private sysfs");
}

/* Both ends of the pair: up or not, with alias (NULL: unchanged). */
static int pair_set(const struct detour *d, bool up, const char *alias)
{
	int err = nl_link_set(d->ifindex, up, alias);

	return err ? err : nl_link_set(d->peer_ifindex, up, alias);
}

static int setup_ends(const char *ifname, struct detour *d)
{
	char alias[64];
	int err;

	snprintf(alias, sizeof(alias), TIU_DETOUR_ALIAS "%s", ifname);
	d->ifindex = if_nametoindex(d->name);
	d->peer_ifindex = if_nametoindex(d->peer);
	if (!d->ifindex || !d->peer_ifindex)
		return tiu_fail("%s: detour %s/%s vanished right after creation", ifname, d->name, d->peer);
	/* The alias first (RTM_NEWLINK ignores IFLA_IFALIAS at creation): it is
	 * what lets `down` recognise and delete the pair, so a `tiu up` killed
	 * during the slower steps below leaves nothing `down` cannot remove. */
	err = pair_set(d, false, alias);
	if (err)
		return tiu_fail("%s: cannot name detour %s/%s: %s", ifname, d->name, d->peer,
				strerror(-err));
	if (disable_ipv6(d->name) || disable_ipv6(d->peer) ||
	    ethtool_detour_offloads(d->name, true) || ethtool_detour_offloads(d->peer, false))
		return -1;
	err = pair_set(d, true, NULL);
	if (err)
		return tiu_fail("%s: cannot set detour %s/%s up: %s", ifname, d->name, d->peer,
				strerror(-err));
	set_rps(ifname, d);
	return 0;
}

int detour_create(__u32 ifindex, const char *ifname, struct detour *d)
{
	unsigned char mac[ETH_ALEN], peer_mac[ETH_ALEN];
	unsigned int mtu;
	int err;

	detour_names(ifindex, d);
	err = nl_link_mtu(ifindex, &mtu);
	if (err)
		return tiu_fail("%s: cannot read the MTU: %s", ifname, strerror(-err));
	/* veth's maximum; no IPv4/IPv6 packet (without BIG TCP) is larger, so
	 * this still carries every segment of an interface such as lo (65536) */
	if (mtu > 65535)
		mtu = 65535;
	detour_mac('d', mac);
	detour_mac('p', peer_mac);
	err = nl_veth_create(d->name, d->peer, mtu, mac, peer_mac);
	if (err == -EEXIST)
		return tiu_fail("%s: detour device %s or %s already exists: run `tiu down %s` first",
				ifname, d->name, d->peer, ifname);
	if (err)
		return tiu_fail("%s: cannot create the detour veth pair %s/%s: %s (is veth available?)",
				ifname, d->name, d->peer, strerror(-err));
	tiu_crash_point("detour-created"); /* before the alias: see detour_find() */
	if (setup_ends(ifname, d)) {
		if (d->ifindex)
			nl_link_del(d->ifindex);
		return -1;
	}
	return 0;
}

/* 1: tiu's detour of ifindex exists (d filled), 0: none, -1: a device of
 * that name exists but is not tiu's (error printed). tiu's: the alias says
 * so, or there is none yet and the device was born with tiu's address (a
 * `tiu up` killed between creating the pair and naming it). */
int detour_find(__u32 ifindex, struct detour *d)
{
	char alias[256];

	detour_names(ifindex, d);
	d->ifindex = if_nametoindex(d->name);
	d->peer_ifindex = if_nametoindex(d->peer);
	if (!d->ifindex)
		return 0;
	if (nl_link_alias(d->ifindex, alias, sizeof(alias)))
		return tiu_fail("%s: cannot read its alias: rename or delete it", d->name);
	if (!alias[0] && born_ours(d->ifindex, 'd'))
		return 1;
	if (strncmp(alias, TIU_DETOUR_ALIAS, strlen(TIU_DETOUR_ALIAS)))
		return tiu_fail("%s: exists but is not a tiu detour (alias '%s'): rename or delete it",
				d->name, alias);
	return 1;
}

int detour_destroy(__u32 ifindex, const char *ifname)
{
	struct detour d;
	int found = detour_find(ifindex, &d), err;

	if (found <= 0)
		return found;
	err = nl_link_del(d.ifindex);
	if (err && err != -ENODEV)
		return tiu_fail("%s: cannot delete detour %s: %s", ifname, d.name, strerror(-err));
	return 0;
}
