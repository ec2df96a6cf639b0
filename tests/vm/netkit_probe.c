// SPDX-License-Identifier: GPL-2.0
/*
 * netkit_probe - the VM lane's netkit helper (iproute2 6.1 does not know
 * netkit, libbpf 1.1 cannot attach to it).
 *
 *   netkit_probe create NAME PEER [PEER_NETNS_PATH]
 *       an L2 netkit pair through rtnetlink (RTM_NEWLINK, kind "netkit"),
 *       default policy "pass" on both ends; the peer optionally moved into
 *       the network namespace at PEER_NETNS_PATH (e.g. /run/netns/x);
 *   netkit_probe attach NAME OBJECT PIN_DIR
 *       load OBJECT (netkit_probe.bpf.o), attach its program to NAME as
 *       the primary's netkit program (BPF_LINK_CREATE, BPF_NETKIT_PRIMARY)
 *       and pin the link (PIN_DIR/link) and its map (PIN_DIR/stats), so
 *       both outlive this process; removing PIN_DIR/link detaches it.
 *
 * Exit status 0 on success, 1 with one line on stderr otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* From include/uapi/linux/if_link.h and bpf.h of 6.7+; the build machine's
 * headers (6.1) predate netkit. */
#define NK_IFLA_NETKIT_PEER_INFO 1
#define NK_IFLA_NETKIT_POLICY 3
#define NK_IFLA_NETKIT_PEER_POLICY 4
#define NK_IFLA_NETKIT_MODE 5
#define NK_NETKIT_L2 0
#define NK_NETKIT_PASS 0
#define NK_BPF_NETKIT_PRIMARY 54

static int fail(const char *what, const char *name, int err)
{
	fprintf(stderr, "netkit_probe: %s %s: %s\n", what, name, strerror(err));
	return 1;
}

/* An ACK carries nothing but its status (mnl_cb_run turns errors into -1). */
static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static int create(const char *name, const char *peer, const char *netns)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *peer_info;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int seq = time(NULL), portid;
	int nsfd = -1, ret;

	if (netns) {
		nsfd = open(netns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			return fail("cannot open network namespace", netns, errno);
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "netkit");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, NK_IFLA_NETKIT_MODE, NK_NETKIT_L2);
	mnl_attr_put_u32(nlh, NK_IFLA_NETKIT_POLICY, NK_NETKIT_PASS);
	mnl_attr_put_u32(nlh, NK_IFLA_NETKIT_PEER_POLICY, NK_NETKIT_PASS);
	/* The peer: an ifinfomsg, then its own attributes (as for veth). */
	peer_info = mnl_attr_nest_start(nlh, NK_IFLA_NETKIT_PEER_INFO);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, nsfd);
	mnl_attr_nest_end(nlh, peer_info);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return fail("cannot open rtnetlink for", name, errno);
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return fail("cannot send RTM_NEWLINK for", name, errno);
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret > 0)
		ret = mnl_cb_run(buf, ret, seq, portid, ack_cb, NULL);
	if (ret < 0)
		return fail("cannot create the netkit pair", name, errno);
	mnl_socket_close(nl);
	if (nsfd >= 0)
		close(nsfd);
	return 0;
}

static int attach(const char *name, const char *path, const char *pin_dir)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	char pin[4096];
	int ifindex, link_fd, err;

	ifindex = if_nametoindex(name);
	if (!ifindex)
		return fail("no interface", name, errno);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return fail("cannot open", path, errno);
	err = bpf_object__load(obj);
	if (err)
		return fail("cannot load", path, -err);
	prog = bpf_object__find_program_by_name(obj, "netkit_probe");
	map = bpf_object__find_map_by_name(obj, "netkit_probe_stats");
	if (!prog || !map)
		return fail("no program netkit_probe or map netkit_probe_stats in", path, ENOENT);
	link_fd = bpf_link_create(bpf_program__fd(prog), ifindex, NK_BPF_NETKIT_PRIMARY, NULL);
	if (link_fd < 0)
		return fail("cannot attach netkit_probe (BPF_NETKIT_PRIMARY) to", name, errno);
	snprintf(pin, sizeof(pin), "%s/link", pin_dir);
	if (bpf_obj_pin(link_fd, pin))
		return fail("cannot pin the link at", pin, errno);
	snprintf(pin, sizeof(pin), "%s/stats", pin_dir);
	err = bpf_map__pin(map, pin);
	if (err)
		return fail("cannot pin the map at", pin, -err);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "create"))
		return create(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc == 5 && !strcmp(argv[1], "attach"))
		return attach(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: netkit_probe create NAME PEER [PEER_NETNS_PATH]\n"
			"       netkit_probe attach NAME OBJECT PIN_DIR\n");
	return 2;
}
