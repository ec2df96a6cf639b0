// SPDX-License-Identifier: GPL-2.0
/* harness.c - see harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "sys/align.h"
#include "sys/elem.h"
#include "sys/epgen.h"
#include "sys/probe.h"
#include "tiu_xdp.skel.h"
#include "tiu_tc.skel.h"
#include "tiu_tc_compat.skel.h"

#define TIU_STAT_NAME_(name, label, ...) [TIU_STAT_##name] = label,
const char *const tiu_stat_names[TIU_STAT__MAX] = { TIU_STATS(TIU_STAT_NAME_) };
#undef TIU_STAT_NAME_

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* No pins: the tests must not touch /sys/fs/bpf. */
static void unpin_all(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
}

/* Make obj use the maps that the XDP object created. */
static int share_maps(struct harness *h, struct bpf_object *obj)
{
	const char *names[] = { TIU_MAP_ENDPOINTS, TIU_MAP_STATS, TIU_MAP_LINKS, TIU_MAP_CONFIG,
				TIU_MAP_PORTS, TIU_MAP_IFACES };
	int fds[] = { h->fd_endpoints, h->fd_stats, h->fd_links, h->fd_config, h->fd_ports,
		      h->fd_ifaces };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, names[i]);

		if (!m || bpf_map__reuse_fd(m, fds[i]))
			return -1;
	}
	return 0;
}

/*
 * BPF_PROG_TEST_RUN hands a TC (SCHED_CLS) program a frame that starts at an
 * Ethernet header, always (net/bpf/test_run.c, bpf_prog_test_run_skb():
 * is_l2). On a raw-IP device the program sees the IP header at skb->data;
 * test runs of the LWT types are the ones that start there (the 14 bytes of
 * input go to eth_type_trans() for skb->protocol, 14 zero bytes are put in
 * front of the output). For raw-IP framing, the egress and decap programs
 * are therefore loaded as LWT_XMIT: the same instructions, verified with
 * the same helpers and direct packet writes, with LWT_XMIT's return codes
 * equal to TC's (BPF_OK 0, BPF_DROP 2, BPF_REDIRECT 7). The detour program
 * stays SCHED_CLS: its frames come from a veth, always Ethernet. LWT_XMIT has
 * no socket lookup helper: those TC objects get tiu_no_sk_lookup, so their
 * decap refuses every remote=-only match (dec_skip_not_ours).
 */
static void l3_types(struct bpf_program *egress, struct bpf_program *decap)
{
	bpf_program__set_type(egress, BPF_PROG_TYPE_LWT_XMIT);
	bpf_program__set_type(decap, BPF_PROG_TYPE_LWT_XMIT);
}

/* A TC object before its load: the framing's program types, no pins, the
 * XDP object's maps. */
static int tc_prepare(struct harness *h, struct bpf_object *obj)
{
	tiu_obj_any_alignment(obj);
	if (h->framing == TIU_FRAMING_L3)
		l3_types(bpf_object__find_program_by_name(obj, "tiu_tc_egress"),
			 bpf_object__find_program_by_name(obj, "tiu_tc_decap"));
	unpin_all(obj);
	return share_maps(h, obj);
}

/* Open the TC skeleton NAME (tiu_tc or tiu_tc_compat) into h->FIELD, with
 * the harness's framing, prepared and loaded; true on success. */
#define OPEN_TC(h, FIELD, NAME)                                                  \
	(((h)->FIELD = NAME##__open()) &&                                         \
	 ((h)->FIELD->rodata->tiu_framing = (h)->framing, 1) &&                   \
	 ((h)->FIELD->rodata->tiu_slot = (h)->slot, 1) &&                         \
	 ((h)->FIELD->rodata->tiu_no_sk_lookup = (h)->framing == TIU_FRAMING_L3, 1) && \
	 !tc_prepare(h, (h)->FIELD->obj) && !NAME##__load((h)->FIELD))

static void tc_fds(struct bpf_object *obj, int *egress, int *detour, int *decap)
{
	*egress = bpf_program__fd(bpf_object__find_program_by_name(obj, "tiu_tc_egress"));
	*detour = bpf_program__fd(bpf_object__find_program_by_name(obj, "tiu_tc_detour"));
	*decap = bpf_program__fd(bpf_object__find_program_by_name(obj, "tiu_tc_decap"));
}

static int load_failed(char *err, size_t errlen, const char *file)
{
	snprintf(err, errlen, "opening or loading %s failed: %s", file, strerror(errno));
	return -1;
}

int harness_open(struct harness *h, char *err, size_t errlen)
{
	return harness_open_framing(h, TIU_FRAMING_ETH, err, errlen);
}

int harness_open_framing(struct harness *h, enum tiu_framing framing, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->tc_egress = h->tc_detour = h->tc_decap = -1;
	h->framing = framing;
	h->slot = framing == TIU_FRAMING_AUTO ? TIU_SLOT_AUTO : HARNESS_SLOT;
	libbpf_set_print(quiet_print);
	h->ports_set = calloc(TIU_PORTS, 1);
	if (!h->ports_set) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}

	h->xdp = tiu_xdp__open();
	if (!h->xdp)
		return load_failed(err, errlen, "tiu_xdp.bpf.o");
	h->xdp->rodata->tiu_framing = framing;
	h->xdp->rodata->tiu_slot = h->slot;
	unpin_all(h->xdp->obj);
	tiu_obj_any_alignment(h->xdp->obj);
	if (tiu_xdp__load(h->xdp))
		return load_failed(err, errlen, "tiu_xdp.bpf.o");
	h->fd_endpoints = bpf_map__fd(h->xdp->maps.tiu_endpoints);
	h->fd_stats = bpf_map__fd(h->xdp->maps.tiu_stats);
	h->fd_links = bpf_map__fd(h->xdp->maps.tiu_links);
	h->fd_config = bpf_map__fd(h->xdp->maps.tiu_config);
	h->fd_ports = bpf_map__fd(h->xdp->maps.tiu_ports);
	h->fd_ifaces = bpf_map__fd(h->xdp->maps.tiu_ifaces);
	h->xdp_decap = bpf_program__fd(h->xdp->progs.tiu_xdp_decap);

	if (!OPEN_TC(h, compat, tiu_tc_compat))
		return load_failed(err, errlen, "tiu_tc_compat.bpf.o");
	tc_fds(h->compat->obj, &h->compat_egress, &h->compat_detour, &h->compat_decap);

	h->has_kfunc = kernel_reads_ip_summed();
	if (!h->has_kfunc)
		return 0;
	if (!OPEN_TC(h, tc, tiu_tc))
		return load_failed(err, errlen, "tiu_tc.bpf.o");
	tc_fds(h->tc->obj, &h->tc_egress, &h->tc_detour, &h->tc_decap);
	return 0;
}

int harness_open_tap(struct harness *h, int *rc)
{
	char err[256];

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root: BPF_PROG_TEST_RUN loads BPF programs\n");
		*rc = 0;
		return -1;
	}
	if (harness_open(h, err, sizeof(err))) {
		printf("1..1\nnot ok 1 - load the BPF objects: %s\n", err);
		*rc = 1;
		return -1;
	}
	return 0;
}

void harness_close(struct harness *h)
{
	tiu_tc__destroy(h->tc);
	tiu_tc_compat__destroy(h->compat);
	tiu_xdp__destroy(h->xdp);
	free(h->ports_set);
	memset(h, 0, sizeof(*h));
}

static void endpoint_key(struct tiu_endpoint_key *k, uint32_t slot, int family,
			 const uint8_t *addr, uint16_t port, uint8_t role)
{
	memset(k, 0, sizeof(*k));
	k->port = htons(port);
	k->role = role;
	k->slot = slot;
	if (addr && family == 4) {
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, addr, 4);
	} else if (addr) {
		memcpy(k->addr, addr, 16);
	}
}

static int is_wildcard(const uint8_t addr[16])
{
	static const uint8_t zero[16];

	return !memcmp(addr, zero, 16);
}

/* The word of tiu_port for this role and kind. */
static __u64 *port_word(struct tiu_port *tp, uint8_t role, int wild)
{
	if (role == TIU_ROLE_LOCAL)
		return wild ? &tp->local_any : &tp->local;
	return wild ? &tp->remote_any : &tp->remote;
}

/* Is an endpoint of (slot, port, role, kind) left in tiu_endpoints? */
static int others_left(struct harness *h, const struct tiu_endpoint_key *gone)
{
	struct tiu_endpoint_key k, next;
	void *prev = NULL;

	while (bpf_map_get_next_key(h->fd_endpoints, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (k.slot == gone->slot && k.port == gone->port && k.role == gone->role &&
		    is_wildcard(k.addr) == is_wildcard(gone->addr))
			return 1;
	}
	return 0;
}

int harness_port_bits(struct harness *h, uint16_t port, const struct tiu_port *bits)
{
	uint32_t key = port;

	h->ports_set[port] = 1;
	return bpf_map_update_elem(h->fd_ports, &key, bits, BPF_ANY);
}

/* After deletions from tiu_endpoints: the generation stepped as the loader
 * steps it (loader/sys/epgen.c), without the grace period: the programs run
 * here only in this process's own test runs, one at a time. */
static int step_ep_gen(struct harness *h)
{
	return epgen_begin(h->fd_config) || epgen_end(h->fd_config, false) ? -1 : 0;
}

int harness_endpoint_range(struct harness *h, uint32_t slot, int family, const uint8_t *addr,
			   uint16_t first, uint16_t last, uint8_t role, int add)
{
	struct tiu_endpoint_val v = { .first = first, .last = last };
	struct tiu_endpoint_key k;

	for (uint32_t port = first; port <= last; port++) {
		uint32_t key = port;
		struct tiu_port tp;
		__u64 *w;

		endpoint_key(&k, slot, family, addr, port, role);
		if (add ? elem_update(h->fd_endpoints, &k, &v, BPF_ANY)
			: bpf_map_delete_elem(h->fd_endpoints, &k))
			return -1;
		if (bpf_map_lookup_elem(h->fd_ports, &key, &tp))
			return -1;
		w = port_word(&tp, role, is_wildcard(k.addr));
		if (add)
			*w |= 1ULL << slot;
		else if (!others_left(h, &k))
			*w &= ~(1ULL << slot);
		if (harness_port_bits(h, port, &tp))
			return -1;
	}
	return add ? 0 : step_ep_gen(h);
}

int harness_endpoint(struct harness *h, uint32_t slot, int family, const uint8_t *addr,
		     uint16_t port, uint8_t role, int add)
{
	return harness_endpoint_range(h, slot, family, addr, port, port, role, add);
}

int harness_clear_endpoints(struct harness *h)
{
	static const struct tiu_port zero;
	struct tiu_endpoint_key k;

	while (bpf_map_get_next_key(h->fd_endpoints, NULL, &k) == 0)
		if (bpf_map_delete_elem(h->fd_endpoints, &k))
			return -1;
	if (step_ep_gen(h))
		return -1;
	for (uint32_t port = 0; port < TIU_PORTS; port++)
		if (h->ports_set[port]) {
			if (bpf_map_update_elem(h->fd_ports, &port, &zero, BPF_ANY))
				return -1;
			h->ports_set[port] = 0;
		}
	return 0;
}

int harness_link(struct harness *h, uint32_t ifindex, uint32_t slot, uint32_t flags)
{
	struct tiu_link l = { .slot = slot, .flags = flags };

	return bpf_map_update_elem(h->fd_links, &ifindex, &l, BPF_ANY);
}

int harness_unlink(struct harness *h, uint32_t ifindex)
{
	int err = bpf_map_delete_elem(h->fd_links, &ifindex);

	return err && errno != ENOENT ? err : 0;
}

int harness_iface(struct harness *h, uint32_t slot, const struct tiu_iface *iface)
{
	static const struct tiu_iface zero;

	return bpf_map_update_elem(h->fd_ifaces, &slot, iface ? iface : &zero, BPF_ANY);
}

int harness_stats(struct harness *h, uint32_t slot, uint64_t out[TIU_STAT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct tiu_stats per[ncpu > 0 ? ncpu : 1];

	memset(out, 0, sizeof(uint64_t) * TIU_STAT__MAX);
	if (ncpu <= 0 || slot >= TIU_MAX_SLOTS)
		return -1;
	if (bpf_map_lookup_elem(h->fd_stats, &slot, per))
		return -1;
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < TIU_STAT__MAX; i++)
			out[i] += per[c].v[i];
	return 0;
}

int harness_run_l3(int prog_fd, int tc, const uint8_t *in, size_t len, uint8_t *out,
		   size_t out_cap, uint32_t gso_segs, struct run_result *r)
{
	uint8_t fin[HARNESS_FRAME_MAX + HARNESS_L3_PAD], fout[HARNESS_FRAME_MAX + 2 * HARNESS_L3_PAD];
	int err;

	if (!tc)
		return harness_run(prog_fd, in, len, out, out_cap, gso_segs, r);
	if (len > HARNESS_FRAME_MAX || out_cap > HARNESS_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* eth_type_trans() of this header gives skb->protocol: the family the
	 * first nibble says (anything else: 0x0000, no IP) */
	memset(fin, 0, HARNESS_L3_PAD);
	fin[12] = len && in[0] >> 4 == 4 ? 0x08 : len && in[0] >> 4 == 6 ? 0x86 : 0;
	fin[13] = len && in[0] >> 4 == 4 ? 0x00 : len && in[0] >> 4 == 6 ? 0xdd : 0;
	memcpy(fin + HARNESS_L3_PAD, in, len);
	err = harness_run(prog_fd, fin, len + HARNESS_L3_PAD, fout, sizeof(fout), gso_segs, r);
	if (err)
		return err;
	if (r->out_len < HARNESS_L3_PAD || r->out_len - HARNESS_L3_PAD > out_cap) {
		errno = EMSGSIZE;
		return -1;
	}
	for (int i = 0; i < HARNESS_L3_PAD; i++)
		if (fout[i]) { /* the test run's own header: zeros, always */
			errno = EPROTO;
			return -1;
		}
	r->out_len -= HARNESS_L3_PAD;
	memcpy(out, fout + HARNESS_L3_PAD, r->out_len);
	return 0;
}

int harness_run_proto(int prog_fd, uint16_t ethertype, const uint8_t *in, size_t len,
		      uint8_t *out, size_t out_cap, struct run_result *r)
{
	uint8_t fin[HARNESS_FRAME_MAX + HARNESS_L3_PAD];

	if (len > HARNESS_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(fin, 0, HARNESS_L3_PAD);
	fin[12] = ethertype >> 8;
	fin[13] = ethertype & 0xff;
	memcpy(fin + HARNESS_L3_PAD, in, len);
	return harness_run(prog_fd, fin, len + HARNESS_L3_PAD, out, out_cap, 0, r);
}

int harness_run(int prog_fd, const uint8_t *in, size_t len, uint8_t *out, size_t out_cap,
		uint32_t gso_segs, struct run_result *r)
{
	return harness_run_mark(prog_fd, in, len, out, out_cap, gso_segs, 0, r);
}

int harness_run_mark(int prog_fd, const uint8_t *in, size_t len, uint8_t *out, size_t out_cap,
		     uint32_t gso_segs, uint32_t mark, struct run_result *r)
{
	struct __sk_buff skb = { .gso_segs = gso_segs, .gso_size = gso_segs ? 1000 : 0,
				 .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = out_cap, .repeat = 1);
	int err;

	if (gso_segs || mark) {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	err = bpf_prog_test_run_opts(prog_fd, &o);
	if (err)
		return err;
	r->retval = o.retval;
	r->duration = o.duration;
	r->out_len = o.data_size_out;
	return 0;
}

/* ------------------------------------------------------------- sockets -- */

int harness_netns(void)
{
	if (unshare(CLONE_NEWNET))
		return -1;
	if (system("ip link set lo up && ip link add tv0 type veth peer name tv1 && "
		   "ip link set tv1 up && ip link set tv0 up && "
		   "ip addr add 10.77.1.1/16 dev tv0 && ip addr add 10.77.3.1/32 dev tv0 && "
		   "ip addr add 10.77.3.2/32 dev tv0 && ip addr add fd77:1::1/16 dev tv0 nodad && "
		   "ip neigh add 10.77.2.1 lladdr 02:77:00:00:00:01 dev tv0 nud permanent && "
		   "ip neigh add fd77:2::1 lladdr 02:77:00:00:00:01 dev tv0 nud permanent && "
		   "sysctl -qw net.ipv4.tcp_syn_retries=20")) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Both socket addresses keep the family and the port in the same place:
 * only the address and the length differ. */
_Static_assert(offsetof(struct sockaddr_in, sin_port) == offsetof(struct sockaddr_in6, sin6_port),
	       "sin_port and sin6_port at one offset");

socklen_t harness_sockaddr(int family, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	bool v4 = family == 4;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = v4 ? AF_INET : AF_INET6;
	a4->sin_port = htons(port); /* also a6->sin6_port */
	if (addr)
		memcpy(v4 ? (void *)&a4->sin_addr : (void *)&a6->sin6_addr, addr, v4 ? 4 : 16);
	return v4 ? sizeof(*a4) : sizeof(*a6);
}

/* A TCP socket bound to addr:port (SO_REUSEADDR: several connections from
 * one local port); -1 on failure, with the reason printed. */
int harness_bound(int family, const uint8_t *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = harness_sockaddr(family, addr, port, &ss);
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))) ||
	    bind(fd, (struct sockaddr *)&ss, sl)) {
		printf("# socket bound to port %u (IPv%d): %s\n", port, family, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* connect fd to addr:port; nonblock: do not wait (SYN_SENT for an address
 * that never answers) */
int harness_connect(int fd, int family, const uint8_t *addr, uint16_t port, int nonblock)
{
	struct sockaddr_storage ss;
	socklen_t sl = harness_sockaddr(family, addr, port, &ss);

	if (fd < 0)
		return -1;
	if (nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, sl) && !(nonblock && errno == EINPROGRESS)) {
		printf("# connect to port %u (IPv%d): %s\n", port, family, strerror(errno));
		return -1;
	}
	return 0;
}

int harness_syn_sent(int family, const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
		     uint16_t rport)
{
	int fd = harness_bound(family, laddr, lport);

	if (harness_connect(fd, family, raddr, rport, 1)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
