// SPDX-License-Identifier: GPL-2.0
/*
 * framing.c - where the IP header starts on an interface, decided from its
 * device type (ARPHRD_*, dev->type, the ifi_type of RTM_GETLINK).
 *
 * Ethernet (ARPHRD_ETHER: physical NICs, veth, tap, bridges, bonds, VLAN and
 * macvlan devices) as ever, and lo (ARPHRD_LOOPBACK: loopback_setup() gives
 * it eth_header_ops and a 14-byte header of zeros, and its transmit runs
 * eth_type_trans()). Raw IP, where the packet starts at the IP header
 * on XDP (generic), TC ingress and TC egress alike: ARPHRD_NONE (tun in TUN
 * mode, WireGuard), ARPHRD_RAWIP (qmi_wwan in raw-IP mode, rmnet, qmimux,
 * mhi_net), ARPHRD_PPP (ppp_generic adds its header after TC egress and
 * removes it before the receive path). Every other type is refused: tiu
 * would attach where its programs can match nothing (GRE with a header_ops
 * of its own, ipip and sit, InfiniBand, CAN, ...).
 *
 * The loader puts the framing into each program it loads (tiu_framing in
 * .rodata, see headers/tiu_common.h) and into the interface's tiu_links
 * entry (TIU_LINK_F_L3) for objects loaded by other tools.
 */
#include <stdio.h>
#include <string.h>
#include <net/if_arp.h>

#include "sys.h"

#ifndef ARPHRD_RAWIP
#define ARPHRD_RAWIP 519  /* linux/if_arp.h; glibc's net/if_arp.h lags */
#endif
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

enum tiu_framing framing_of_type(unsigned short type)
{
	switch (type) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		return TIU_FRAMING_ETH;
	case ARPHRD_NONE:
	case ARPHRD_RAWIP:
	case ARPHRD_PPP:
		return TIU_FRAMING_L3;
	default:
		return TIU_FRAMING_AUTO; /* not one tiu can handle */
	}
}

const char *framing_name(enum tiu_framing f)
{
	return f == TIU_FRAMING_ETH ? "Ethernet" : f == TIU_FRAMING_L3 ? "raw IP" : "unsupported";
}

/* The names `ip link` prints after "link/", for the types one meets. */
const char *arphrd_name(unsigned short type, char *buf, size_t len)
{
	static const struct {
		unsigned short type;
		const char *name;
	} names[] = {
		{ ARPHRD_ETHER, "ether" },       { ARPHRD_NONE, "none" },
		{ ARPHRD_RAWIP, "rawip" },       { ARPHRD_PPP, "ppp" },
		{ ARPHRD_LOOPBACK, "loopback" }, { ARPHRD_TUNNEL, "ipip" },
		{ ARPHRD_TUNNEL6, "tunnel6" },   { ARPHRD_SIT, "sit" },
		{ ARPHRD_IPGRE, "gre" },         { ARPHRD_IP6GRE, "gre6" },
		{ ARPHRD_INFINIBAND, "infiniband" }, { ARPHRD_VOID, "void" },
		{ ARPHRD_IEEE802154, "ieee802.15.4" }, { ARPHRD_IEEE80211_RADIOTAP, "ieee802.11/radiotap" },
		{ ARPHRD_CAN, "can" },           { ARPHRD_SLIP, "slip" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	snprintf(buf, len, "[%u]", type);
	return buf;
}

int iface_framing(__u32 ifindex, const char *ifname, enum tiu_framing *f)
{
	unsigned short type;
	char buf[16];
	int err = nl_link_type(ifindex, &type);

	if (err)
		return tiu_fail("%s: cannot read the device type: %s", ifname, strerror(-err));
	*f = framing_of_type(type);
	if (*f == TIU_FRAMING_AUTO)
		return tiu_fail("%s: device type link/%s (ARPHRD %u) is not supported: tiu handles Ethernet and raw-IP devices (tun, WireGuard, wwan/rmnet/qmimux, PPP); nothing was attached",
				ifname, arphrd_name(type, buf, sizeof(buf)), type);
	return 0;
}
