// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool.c - offloads of the detour devices, through the SIOCETHTOOL ioctl
 * with the named feature set (ETHTOOL_GSTRINGS/GFEATURES/SFEATURES).
 *
 * The end that tiu_tc_egress redirects to must segment and checksum in
 * software (docs/DESIGN.md "The segmentation detour"): every TX checksum feature and every
 * segmentation feature off, by name, so that features newer than this code
 * (6.18 added tx-tcp-accecn-segmentation, which the old ETHTOOL_STSO does not
 * cover) are caught too. GRO is off on both ends so that nothing merges the
 * segments again before the detour program converts them. The result is
 * read back: a detour that still offloads would send bad packets.
 *
 * UDP GRO off on a real interface and the devices under it (`tiu up`):
 * see ethtool_no_udp_gro().
 *
 * Also: the UDP receive flow hash of a real interface, for `tiu status`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>

#include "sys.h"

struct features {
	__u32 n, words;
	char *names;                       /* n * ETH_GSTRING_LEN */
	struct ethtool_gfeatures *get;
	struct ethtool_sfeatures *set;
};

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = {};
	int ret;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	/* ETHTOOL_SFEATURES returns ETHTOOL_F_* flags (> 0) on success: only
	 * -1 is an error, and only then is errno meaningful. */
	ret = ioctl(fd, SIOCETHTOOL, &ifr);
	return ret < 0 ? -errno : ret;
}

static bool wanted_off(const char *name, bool tx_side)
{
	size_t len = strlen(name);

	if (!strncmp(name, "rx-gro", 6) || !strcmp(name, "rx-udp-gro-forwarding"))
		return true;
	if (!tx_side)
		return false;
	return !strncmp(name, "tx-checksum", 11) || !strncmp(name, "tx-gso", 6) ||
	       (len > 12 && !strcmp(name + len - 12, "segmentation"));
}

static int features_read(int fd, const char *ifname, struct features *f)
{
	struct { struct ethtool_sset_info hdr; __u32 len; } info = {
		.hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES },
	};
	struct ethtool_gstrings *strs;
	int err = ethtool(fd, ifname, &info);

	if (err)
		return err;
	f->n = info.hdr.sset_mask ? info.len : 0;
	f->words = (f->n + 31) / 32;
	strs = calloc(1, sizeof(*strs) + (size_t)f->n * ETH_GSTRING_LEN);
	f->get = calloc(1, sizeof(*f->get) + f->words * sizeof(f->get->features[0]));
	f->set = calloc(1, sizeof(*f->set) + f->words * sizeof(f->set->features[0]));
	if (!strs || !f->get || !f->set) {
		free(strs);
		return -ENOMEM;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_FEATURES;
	strs->len = f->n;
	f->get->cmd = ETHTOOL_GFEATURES;
	f->get->size = f->words;
	err = ethtool(fd, ifname, strs);
	if (!err)
		err = ethtool(fd, ifname, f->get);
	f->names = (char *)strs;
	return err;
}

static const char *feature_name(const struct features *f, __u32 i)
{
	return (const char *)((struct ethtool_gstrings *)f->names)->data + i * ETH_GSTRING_LEN;
}

/* Names of wanted-off features still active, into buf; 0 if none. */
static int still_on(const struct features *f, bool tx_side, char *buf, size_t len)
{
	int n = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (__u32 i = 0; i < f->n; i++) {
		if (!(f->get->features[i / 32].active & (1U << (i % 32))) ||
		    !wanted_off(feature_name(f, i), tx_side))
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s", n ? " " : "",
				 feature_name(f, i));
		n++;
	}
	return n;
}

static int features_off(int fd, const char *ifname, bool tx_side, struct features *f)
{
	int err;

	f->set->cmd = ETHTOOL_SFEATURES;
	f->set->size = f->words;
	for (__u32 i = 0; i < f->n; i++)
		if (wanted_off(feature_name(f, i), tx_side))
			f->set->features[i / 32].valid |= 1U << (i % 32);
	err = ethtool(fd, ifname, f->set);
	if (err < 0)
		return err;
	/* a positive return (ETHTOOL_F_WISH...) is judged by the read-back */
	return ethtool(fd, ifname, f->get);
}

int ethtool_detour_offloads(const char *ifname, bool tx_side)
{
	struct features f = {};
	char on[256];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return tiu_fail("socket for ethtool: %s", strerror(errno));
	err = features_read(fd, ifname, &f);
	if (!err)
		err = features_off(fd, ifname, tx_side, &f);
	close(fd);
	if (err)
		err = tiu_fail("%s: cannot turn offloads off (ethtool features): %s", ifname,
			       strerror(-err));
	else if (still_on(&f, tx_side, on, sizeof(on)))
		err = tiu_fail("%s: offloads still on after turning them off (%s): the detour would send bad packets",
			       ifname, on);
	free(f.names);
	free(f.get);
	free(f.set);
	return err;
}

/* The receive features that merge UDP datagrams of one flow without a
 * socket into one skb (docs/DESIGN.md "UDP GRO before decap"). */
static bool udp_gro_feature(const char *name)
{
	return !strcmp(name, "rx-gro-list") || !strcmp(name, "rx-udp-gro-forwarding");
}

/* Turn the UDP GRO features of ifname off; their names into off[] (what was
 * on), one warning line if any. upper: the interface tiu is up on. */
static int no_udp_gro_one(int fd, const char *ifname, const char *upper, char *off, size_t len)
{
	struct features f = {};
	size_t used = 0;
	int err, n = 0;

	off[0] = '\0';
	err = features_read(fd, ifname, &f);
	if (err == -EOPNOTSUPP || (!err && !f.n)) { /* no features to speak of */
		err = 0;
	} else if (err) {
		err = tiu_fail("%s: cannot read its features (ethtool): %s: tiu's decap on %s needs UDP GRO (rx-gro-list, rx-udp-gro-forwarding) off there",
			       ifname, strerror(-err), upper);
	} else {
		f.set->cmd = ETHTOOL_SFEATURES;
		f.set->size = f.words;
		for (__u32 i = 0; i < f.n; i++) {
			if (!udp_gro_feature(feature_name(&f, i)) ||
			    !(f.get->features[i / 32].active & (1U << (i % 32))))
				continue;
			f.set->features[i / 32].valid |= 1U << (i % 32);
			used += snprintf(off + used, used < len ? len - used : 0, "%s%s", n ? " " : "",
					 feature_name(&f, i));
			n++;
		}
		if (n)
			err = ethtool(fd, ifname, f.set);
		if (n && err >= 0)
			err = ethtool(fd, ifname, f.get);
	}
	if (err < 0 && n) {
		err = tiu_fail("%s: cannot turn %s off (ethtool features): %s: tiu's decap on %s cannot convert the datagrams GRO merges; turn it off yourself (`ethtool -K %s %s off`)",
			       ifname, off, strerror(-err), upper, ifname, off);
	} else if (n && err >= 0) {
		err = 0;
		for (__u32 i = 0; i < f.n; i++)
			if (udp_gro_feature(feature_name(&f, i)) &&
			    (f.get->features[i / 32].active & (1U << (i % 32))))
				err = -1;
		if (err)
			err = tiu_fail("%s: %s still on after turning it off (a fixed feature?): tiu's decap on %s cannot convert the datagrams GRO merges",
				       ifname, off, upper);
		else
			tiu_warn("%s: turned %s off: UDP GRO merges the tunnelled datagrams of a connection into one skb, which tiu's decap on %s cannot convert; `tiu down` leaves it off (`ethtool -K %s %s on` to restore)",
				 ifname, off, upper, ifname, off);
	}
	free(f.names);
	free(f.get);
	free(f.set);
	return err;
}

/*
 * UDP GRO that merges datagrams without a socket (fraglist GRO,
 * rx-gro-list; UDP GRO forwarding, rx-udp-gro-forwarding) off on ifindex
 * and on the devices under it (VLAN, macvlan, ipvlan: their GRO runs on the
 * lower device, with its features, before the skb reaches the upper one).
 * One warning line per device changed. A lower device in another network
 * namespace, and the Ethernet device under a PPP interface (PPPoE), cannot
 * be reached from here: a warning line says what to do.
 */
int ethtool_no_udp_gro(__u32 ifindex, const char *ifname)
{
	char name[IF_NAMESIZE], off[128];
	unsigned short type = 0;
	__u32 dev = ifindex;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return tiu_fail("socket for ethtool: %s", strerror(errno));
	for (int depth = 0; dev && depth < 4 && !err; depth++) {
		if (!if_indextoname(dev, name)) {
			err = tiu_fail("%s: cannot name the device (ifindex %u) under it: %s", ifname, dev,
				       strerror(errno));
			break;
		}
		err = no_udp_gro_one(fd, name, ifname, off, sizeof(off));
		if (!err && nl_link_lower(dev, &dev) == 1)
			tiu_warn("%s: the device under %s is in another network namespace: turn UDP GRO off there yourself (`ethtool -K DEV rx-gro-list off rx-udp-gro-forwarding off`), or the decap on %s may get datagrams it cannot convert",
				 ifname, name, ifname);
	}
	close(fd);
	if (!err && !nl_link_type(ifindex, &type) && type == ARPHRD_PPP)
		tiu_warn("%s: a PPP interface: if it is PPPoE, turn UDP GRO off on the Ethernet device under it (`ethtool -K ETH rx-gro-list off rx-udp-gro-forwarding off`): a PPP device does not name it, and its GRO would merge tunnelled datagrams that the decap on %s cannot convert",
			 ifname, ifname);
	return err;
}

/*
 * RSS of the interface for UDP over IPv4 and IPv6 (see rss.h): the verdict
 * for both, and in which[] the flow types ("udp4", "udp6") whose hash
 * leaves out the ports. veth and most virtual devices answer EOPNOTSUPP.
 */
enum rss_verdict ethtool_udp_rss(const char *ifname, const char *which[2], int *n_which)
{
	static const struct { __u32 flow; const char *name; } types[] = {
		{ UDP_V4_FLOW, "udp4" }, { UDP_V6_FLOW, "udp6" },
	};
	struct ethtool_rxnfc rings = { .cmd = ETHTOOL_GRXRINGS };
	enum rss_verdict worst = RSS_SILENT, v;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*n_which = 0;
	if (fd < 0)
		return RSS_SILENT;
	if (ethtool(fd, ifname, &rings))
		rings.data = 0;
	for (int i = 0; i < 2; i++) {
		struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXFH, .flow_type = types[i].flow };
		int err = ethtool(fd, ifname, &nfc);

		v = rss_verdict(err, nfc.data, rings.data);
		if (v == RSS_NO_PORTS)
			which[(*n_which)++] = types[i].name;
		if (v > worst)
			worst = v;
	}
	close(fd);
	return worst;
}
