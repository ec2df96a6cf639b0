// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the rtnetlink requests tiu needs, through libmnl: create and
 * delete the detour veth pair, set a link up and its alias, read a link's
 * alias, MTU and device type, the device under a stacked one, count the TC
 * filters under a clsact parent.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "sys.h"

/* Send one request and run cb on every answer until the ACK or DONE.
 * Returns 0 or -errno from the kernel. */
static int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq;
	int ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret <= 0)
			break;
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data);
	} while (ret > 0);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static struct nlmsghdr *link_msg(char *buf, int type, int flags, __u32 ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nlh;
}

/* The pair's MAC addresses are given (mac and peer_mac, ETH_ALEN bytes): they
 * are set in the same request as the names, unlike the alias. */
int nl_veth_create(const char *name, const char *peer, unsigned int mtu,
		   const unsigned char *mac, const unsigned char *peer_mac)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *linkinfo, *data, *peer_nest;
	struct ifinfomsg *peer_ifi;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, mac);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	peer_ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifi));
	peer_ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, peer_mac);
	mnl_attr_nest_end(nlh, peer_nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nl_talk(nlh, NULL, NULL);
}

int nl_link_set(__u32 ifindex, bool up, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_talk(nlh, NULL, NULL);
}

int nl_link_del(__u32 ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_talk(link_msg(buf, RTM_DELLINK, 0, ifindex), NULL, NULL);
}

struct link_attrs {
	char *alias;
	size_t alias_len;
	unsigned int mtu;
	int type; /* ifi_type (ARPHRD_*), -1 until an answer came */
	__u32 link;     /* IFLA_LINK, 0 if none */
	bool link_netns; /* IFLA_LINK_NETNSID: IFLA_LINK is in another netns */
	char kind[16];  /* IFLA_LINKINFO/IFLA_INFO_KIND, "" if none */
	unsigned char addr[ETH_ALEN]; /* IFLA_ADDRESS if it is ETH_ALEN long */
	bool has_addr;
};

static int linkinfo_cb(const struct nlattr *attr, void *data)
{
	struct link_attrs *la = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND && !mnl_attr_validate(attr, MNL_TYPE_STRING))
		snprintf(la->kind, sizeof(la->kind), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_attrs *la = data;

	if (mnl_attr_get_type(attr) == IFLA_IFALIAS && la->alias &&
	    !mnl_attr_validate(attr, MNL_TYPE_STRING))
		snprintf(la->alias, la->alias_len, "%s", mnl_attr_get_str(attr));
	if (mnl_attr_get_type(attr) == IFLA_MTU && !mnl_attr_validate(attr, MNL_TYPE_U32))
		la->mtu = mnl_attr_get_u32(attr);
	if (mnl_attr_get_type(attr) == IFLA_LINK && !mnl_attr_validate(attr, MNL_TYPE_U32))
		la->link = mnl_attr_get_u32(attr);
	if (mnl_attr_get_type(attr) == IFLA_ADDRESS && mnl_attr_get_payload_len(attr) == ETH_ALEN) {
		memcpy(la->addr, mnl_attr_get_payload(attr), ETH_ALEN);
		la->has_addr = true;
	}
	if (mnl_attr_get_type(attr) == IFLA_LINK_NETNSID)
		la->link_netns = true;
	if (mnl_attr_get_type(attr) == IFLA_LINKINFO && !mnl_attr_validate(attr, MNL_TYPE_NESTED))
		mnl_attr_parse_nested(attr, linkinfo_cb, la);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_attrs *la = data;

	if (nlh->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifi))
		la->type = ifi->ifi_type;
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
	return MNL_CB_OK;
}

static int link_get(__u32 ifindex, struct link_attrs *la)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, ifindex);

	return nl_talk(nlh, link_cb, la);
}

/* The link's alias, "" if it has none. */
int nl_link_alias(__u32 ifindex, char *buf, size_t len)
{
	struct link_attrs la = { .alias = buf, .alias_len = len };

	buf[0] = '\0';
	return link_get(ifindex, &la);
}

/* The link's kind ("veth", "" if none) and its Ethernet address (-ENODATA if
 * it has none of ETH_ALEN bytes). */
int nl_link_kind_addr(__u32 ifindex, char *kind, size_t kind_len, unsigned char *addr)
{
	struct link_attrs la = {};
	int err = link_get(ifindex, &la);

	snprintf(kind, kind_len, "%s", la.kind);
	memcpy(addr, la.addr, ETH_ALEN);
	return err ? err : (la.has_addr ? 0 : -ENODATA);
}

/* The link's device type (ARPHRD_*, dev->type in the kernel). */
int nl_link_type(__u32 ifindex, unsigned short *type)
{
	struct link_attrs la = { .type = -1 };
	int err = link_get(ifindex, &la);

	*type = la.type < 0 ? 0 : (unsigned short)la.type;
	return err ? err : (la.type < 0 ? -ENODATA : 0);
}

int nl_link_mtu(__u32 ifindex, unsigned int *mtu)
{
	struct link_attrs la = {};
	int err = link_get(ifindex, &la);

	*mtu = la.mtu;
	return err ? err : (la.mtu ? 0 : -ENODATA);
}

/*
 * The device whose receive path hands packets up to ifindex: the lower
 * device of a VLAN, macvlan or ipvlan device (their rx_handler, or
 * vlan_do_receive(), passes it the skb that the lower device's GRO made).
 * *lower = 0 for anything else: a veth's IFLA_LINK is its peer, not a
 * device under it. Returns 1 (*lower 0) when there is a lower device but
 * in another network namespace, 0, or -errno.
 */
int nl_link_lower(__u32 ifindex, __u32 *lower)
{
	static const char *const stacked[] = { "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap" };
	struct link_attrs la = { .type = -1 };
	int err = link_get(ifindex, &la), is_stacked = 0;

	*lower = 0;
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(stacked) / sizeof(stacked[0]); i++)
		is_stacked |= !strcmp(la.kind, stacked[i]);
	if (!is_stacked || !la.link || la.link == ifindex)
		return 0;
	if (la.link_netns)
		return 1;
	*lower = la.link;
	return 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(*(int *)data)++;
	return MNL_CB_OK;
}

/* Number of TC filter entries under parent (e.g. clsact ingress), or -errno
 * (there is no such qdisc, for instance). */
int nl_count_filters(__u32 ifindex, __u32 parent)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;
	int n = 0, err;

	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = (int)ifindex;
	tcm->tcm_parent = parent;
	err = nl_talk(nlh, count_cb, &n);
	return err ? err : n;
}

int iface_index(const char *ifname, __u32 *ifindex)
{
	if (strlen(ifname) >= IFNAMSIZ)
		return tiu_fail("%s: interface name too long (at most %d characters)",
				ifname, IFNAMSIZ - 1);
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex)
		return tiu_fail("%s: no such interface in this network namespace (see `ip link`)",
				ifname);
	return 0;
}
