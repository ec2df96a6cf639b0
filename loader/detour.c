// SPDX-License-Identifier: GPL-2.0
/*
 * detour.c - the segmentation detour of one interface (DESIGN.md section 3):
 * a veth pair "tiuNd" / "tiuNp" (N = ifindex of the interface) in the same
 * network namespace. tiu_tc_egress redirects PARTIAL/GSO TCP to tiuNd, whose
 * offloads are off so the kernel segments and checksums there; tiu_tc_detour
 * on tiuNp's ingress converts each segment and redirects it to the interface.
 * IPv6 is disabled on both ends so the kernel sends nothing of its own
 * through them. Both ends carry the alias "tiu detour of IFACE": `down` finds
 * the pair by name and only deletes it if the alias says it is tiu's.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tiu.h"

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

static int setup_ends(const char *ifname, struct detour *d)
{
	char alias[64];
	int err;

	snprintf(alias, sizeof(alias), TIU_DETOUR_ALIAS "%s", ifname);
	d->ifindex = if_nametoindex(d->name);
	d->peer_ifindex = if_nametoindex(d->peer);
	if (!d->ifindex || !d->peer_ifindex)
		return tiu_fail("%s: detour %s/%s vanished right after creation", ifname, d->name, d->peer);
	if (disable_ipv6(d->name) || disable_ipv6(d->peer) ||
	    ethtool_detour_offloads(d->name, true) || ethtool_detour_offloads(d->peer, false))
		return -1;
	err = nl_link_set(d->ifindex, true, alias);
	if (!err)
		err = nl_link_set(d->peer_ifindex, true, alias);
	if (err)
		return tiu_fail("%s: cannot set detour %s/%s up: %s", ifname, d->name, d->peer,
				strerror(-err));
	return 0;
}

int detour_create(__u32 ifindex, const char *ifname, struct detour *d)
{
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
	err = nl_veth_create(d->name, d->peer, mtu);
	if (err == -EEXIST)
		return tiu_fail("%s: detour device %s or %s already exists: run `tiu down %s` first",
				ifname, d->name, d->peer, ifname);
	if (err)
		return tiu_fail("%s: cannot create the detour veth pair %s/%s: %s (is veth available?)",
				ifname, d->name, d->peer, strerror(-err));
	if (setup_ends(ifname, d)) {
		if (d->ifindex)
			nl_link_del(d->ifindex);
		return -1;
	}
	return 0;
}

/* 1: tiu's detour of ifindex exists (d filled), 0: none, -1: a device of
 * that name exists but is not tiu's (error printed). */
int detour_find(__u32 ifindex, struct detour *d)
{
	char alias[256];

	detour_names(ifindex, d);
	d->ifindex = if_nametoindex(d->name);
	d->peer_ifindex = if_nametoindex(d->peer);
	if (!d->ifindex)
		return 0;
	if (nl_link_alias(d->ifindex, alias, sizeof(alias)) ||
	    strncmp(alias, TIU_DETOUR_ALIAS, strlen(TIU_DETOUR_ALIAS)))
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
