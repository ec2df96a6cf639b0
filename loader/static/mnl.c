// SPDX-License-Identifier: GPL-2.0
/*
 * mnl.c - the part of the libmnl API that loader/netlink.c uses, for the
 * static builds only (`make static`): Debian's libmnl-dev ships the shared
 * library alone, no libmnl.a. Written here against the API of
 * <libmnl/libmnl.h> (the header of that package, which this file includes
 * so that every signature is checked): one rtnetlink socket, messages built
 * in a caller's buffer, attributes parsed with their length checked. The
 * dynamic build links the real libmnl and never compiles this file.
 *
 * Only what tiu calls: a new call to libmnl in loader/ fails the static link
 * with an undefined reference until it is added here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

struct mnl_socket {
	int fd;
	struct sockaddr_nl addr; /* after bind: the kernel's portid for us */
};

struct mnl_socket *mnl_socket_open(int bus)
{
	struct mnl_socket *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
	if (nl->fd < 0) {
		int e = errno;

		free(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid)
{
	socklen_t len = sizeof(nl->addr);

	nl->addr.nl_family = AF_NETLINK;
	nl->addr.nl_groups = groups;
	nl->addr.nl_pid = (__u32)pid;
	if (bind(nl->fd, (struct sockaddr *)&nl->addr, sizeof(nl->addr)) < 0)
		return -1;
	/* MNL_SOCKET_AUTOPID (0): the kernel picked one; read it back */
	if (getsockname(nl->fd, (struct sockaddr *)&nl->addr, &len) < 0)
		return -1;
	if (len != sizeof(nl->addr) || nl->addr.nl_family != AF_NETLINK) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

unsigned int mnl_socket_get_portid(const struct mnl_socket *nl)
{
	return nl->addr.nl_pid;
}

ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	return sendto(nl->fd, req, siz, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
}

/* One datagram; only the kernel (portid 0) is believed; a truncated one is
 * an error (ENOSPC), not half a message. */
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = siz };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	ssize_t n = recvmsg(nl->fd, &msg, 0);

	if (n < 0)
		return n;
	if (msg.msg_flags & MSG_TRUNC) {
		errno = ENOSPC;
		return -1;
	}
	if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0) {
		errno = EINVAL;
		return -1;
	}
	return n;
}

int mnl_socket_close(struct mnl_socket *nl)
{
	int ret = close(nl->fd);

	free(nl);
	return ret;
}

/* ---- messages ---- */

struct nlmsghdr *mnl_nlmsg_put_header(void *buf)
{
	struct nlmsghdr *nlh = buf;

	memset(buf, 0, MNL_NLMSG_HDRLEN);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;
	return nlh;
}

void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size)
{
	char *p = (char *)nlh + nlh->nlmsg_len;

	nlh->nlmsg_len += MNL_ALIGN(size);
	memset(p, 0, MNL_ALIGN(size));
	return p;
}

void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + MNL_NLMSG_HDRLEN;
}

size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
}

static int nlmsg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= len;
}

/*
 * Every message of one datagram: the data callback for each, until DONE
 * (MNL_CB_STOP), an ERROR (its code in errno, MNL_CB_ERROR; an error of 0
 * is the ACK: MNL_CB_STOP) or a callback that stops. Answers to another
 * sequence number or port are refused (ESRCH, EPROTO).
 */
int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq, unsigned int portid,
	       mnl_cb_t cb_data, void *data)
{
	const struct nlmsghdr *nlh = buf;
	size_t left = numbytes;
	int ret = MNL_CB_OK;

	while (nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_pid && portid && nlh->nlmsg_pid != portid) {
			errno = ESRCH;
			return MNL_CB_ERROR;
		}
		if (nlh->nlmsg_seq && seq && nlh->nlmsg_seq != seq) {
			errno = EPROTO;
			return MNL_CB_ERROR;
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			errno = EINTR;
			return MNL_CB_ERROR;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
				errno = EBADMSG;
				return MNL_CB_ERROR;
			}
			if (err->error == 0)
				return MNL_CB_STOP;
			errno = err->error < 0 ? -err->error : err->error;
			return MNL_CB_ERROR;
		}
		if (nlh->nlmsg_type == NLMSG_DONE)
			return MNL_CB_STOP;
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && cb_data) {
			ret = cb_data(nlh, data);
			if (ret <= MNL_CB_STOP)
				return ret;
		}
		left -= NLMSG_ALIGN(nlh->nlmsg_len) < left ? NLMSG_ALIGN(nlh->nlmsg_len) : left;
		nlh = (const struct nlmsghdr *)((const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	}
	return ret;
}

/* ---- attributes ---- */

static void attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	struct nlattr *attr = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	size_t payload = MNL_ATTR_HDRLEN + len;

	attr->nla_type = type;
	attr->nla_len = (uint16_t)payload;
	memcpy((char *)attr + MNL_ATTR_HDRLEN, data, len);
	memset((char *)attr + payload, 0, MNL_ALIGN(payload) - payload);
	nlh->nlmsg_len += MNL_ALIGN(payload);
}

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	attr_put(nlh, type, len, data);
}

void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data)
{
	attr_put(nlh, type, sizeof(data), &data);
}

void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data)
{
	attr_put(nlh, type, strlen(data) + 1, data);
}

struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *start = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);

	start->nla_type = NLA_F_NESTED | type;
	nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	return start;
}

void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start)
{
	start->nla_len = (uint16_t)((char *)nlh + nlh->nlmsg_len - (char *)start);
}

uint16_t mnl_attr_get_type(const struct nlattr *attr)
{
	return attr->nla_type & NLA_TYPE_MASK;
}

static const void *attr_payload(const struct nlattr *attr)
{
	return (const char *)attr + MNL_ATTR_HDRLEN;
}

void *mnl_attr_get_payload(const struct nlattr *attr)
{
	return (void *)attr_payload(attr);
}

/* Its length as the attribute says; mnl_attr_parse() only hands on
 * attributes that lie whole inside the message. */
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr)
{
	return attr->nla_len - MNL_ATTR_HDRLEN;
}

uint32_t mnl_attr_get_u32(const struct nlattr *attr)
{
	uint32_t v;

	memcpy(&v, attr_payload(attr), sizeof(v));
	return v;
}

const char *mnl_attr_get_str(const struct nlattr *attr)
{
	return attr_payload(attr);
}

/* The types tiu asks for: U32 (exactly 4 bytes) and STRING (a NUL within the
 * payload, so that get_str reads no further). Others: EOPNOTSUPP. */
int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type)
{
	size_t len;

	if (attr->nla_len < MNL_ATTR_HDRLEN) {
		errno = ERANGE;
		return -1;
	}
	len = attr->nla_len - MNL_ATTR_HDRLEN;
	switch (type) {
	case MNL_TYPE_U32:
		if (len == sizeof(uint32_t))
			return 0;
		break;
	case MNL_TYPE_STRING:
		if (len > 0 && memchr(attr_payload(attr), 0, len))
			return 0;
		break;
	default:
		errno = EOPNOTSUPP;
		return -1;
	}
	errno = ERANGE;
	return -1;
}

/* The attributes in the bytes [pos, end) of base, each whole inside them,
 * until the callback stops; a truncated one ends the walk, as in libmnl. */
static int attr_walk(const void *base, size_t pos, size_t end, mnl_attr_cb_t cb, void *data)
{
	int ret = MNL_CB_OK;

	while (pos + sizeof(struct nlattr) <= end) {
		const struct nlattr *attr = (const struct nlattr *)((const char *)base + pos);

		if (attr->nla_len < sizeof(*attr) || pos + attr->nla_len > end)
			break;
		ret = cb(attr, data);
		if (ret <= MNL_CB_STOP)
			return ret;
		pos += MNL_ALIGN(attr->nla_len);
	}
	return ret;
}

/* Every attribute after offset bytes of payload. */
int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data)
{
	return attr_walk(nlh, MNL_NLMSG_HDRLEN + MNL_ALIGN(offset), nlh->nlmsg_len, cb, data);
}

/* The attributes nested in attr. */
int mnl_attr_parse_nested(const struct nlattr *nested, mnl_attr_cb_t cb, void *data)
{
	return attr_walk(nested, MNL_ATTR_HDRLEN, nested->nla_len, cb, data);
}
