/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - load tiu's BPF objects for BPF_PROG_TEST_RUN, without pins.
 *
 * All three objects (XDP, TC with the kfunc, TC without it) are loaded into
 * one set of maps, as the loader does through the pins. Used by the unit tests
 * and the per-packet benchmark.
 */
#ifndef TIU_TEST_HARNESS_H
#define TIU_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "tiu_common.h"

struct tiu_xdp;
struct tiu_tc;
struct tiu_tc_compat;

/* The slot the harness's objects hold (tiu_slot), unless loaded as AUTO: not
 * 0, so that a program that ignored its slot would count in the wrong record. */
#define HARNESS_SLOT 5

struct harness {
	enum tiu_framing framing;      /* tiu_framing of every object */
	uint32_t slot;                 /* tiu_slot of every object (TIU_SLOT_AUTO: none) */
	struct tiu_xdp *xdp;
	struct tiu_tc *tc;             /* NULL where the kernel lacks bpf_cast_to_kern_ctx */
	struct tiu_tc_compat *compat;
	int has_kfunc;
	int fd_endpoints, fd_stats, fd_links, fd_config, fd_ports, fd_ifaces;
	uint8_t *ports_set;            /* ports whose tiu_ports entry may be non-zero */
	int xdp_decap;                 /* program fds; -1 when absent */
	int tc_egress, tc_detour, tc_decap;
	int compat_egress, compat_detour, compat_decap;
};

/* Returns 0, or -1 with a reason in err. Loads the objects as the loader
 * does for an Ethernet interface (tiu_framing = TIU_FRAMING_ETH, tiu_slot =
 * HARNESS_SLOT). */
int harness_open(struct harness *h, char *err, size_t errlen);
/* The same with another tiu_framing. TIU_FRAMING_L3: the TC egress and
 * decap programs are loaded as LWT_XMIT so that test runs start at the IP
 * header, as on a raw-IP device (see harness.c); run them with
 * harness_run_l3(). TIU_FRAMING_AUTO: the objects as built (tiu_slot too is
 * TIU_SLOT_AUTO), as xdp-loader loads them. Every harness has its own maps. */
int harness_open_framing(struct harness *h, enum tiu_framing framing, char *err, size_t errlen);
void harness_close(struct harness *h);
/* For a TAP program's main(): 0 with h open, or -1 after printing the plan
 * (skip with the reason when not root, a failed test when the load fails)
 * with the exit code in *rc. */
int harness_open_tap(struct harness *h, int *rc);

/*
 * Endpoints as the loader keeps them: one tiu_endpoints element per port of
 * the range first..last (each carrying the range), and the slot's bit in
 * tiu_ports (local/remote, or *_any for the wildcard). addr: 16 bytes (IPv6)
 * or 4 (IPv4, family 4); NULL for the wildcard. Deleting clears a port's bit
 * when no other endpoint of that slot, role and kind is left on the port.
 */
int harness_endpoint_range(struct harness *h, uint32_t slot, int family, const uint8_t *addr,
			   uint16_t first, uint16_t last, uint8_t role, int add);
int harness_endpoint(struct harness *h, uint32_t slot, int family, const uint8_t *addr,
		     uint16_t port, uint8_t role, int add);
/* Empty tiu_endpoints and the port table. */
int harness_clear_endpoints(struct harness *h);
/* Set the port table's bits of one port directly (pktcost: many endpoints
 * added by batch). */
int harness_port_bits(struct harness *h, uint16_t port, const struct tiu_port *bits);
/* tiu_links[ifindex] = { slot, flags }, or delete it. */
int harness_link(struct harness *h, uint32_t ifindex, uint32_t slot, uint32_t flags);
int harness_unlink(struct harness *h, uint32_t ifindex);
/* tiu_ifaces[slot] = *iface (NULL: zeros, the slot free). */
int harness_iface(struct harness *h, uint32_t slot, const struct tiu_iface *iface);
/* Counters of slot summed over possible CPUs. */
int harness_stats(struct harness *h, uint32_t slot, uint64_t out[TIU_STAT__MAX]);

struct run_result {
	uint32_t retval;
	uint32_t duration;   /* ns, kernel-reported, per run */
	size_t out_len;
};

/* One BPF_PROG_TEST_RUN. gso_segs > 0 passes an __sk_buff context (TC only). */
int harness_run(int prog_fd, const uint8_t *in, size_t len, uint8_t *out, size_t out_cap,
		uint32_t gso_segs, struct run_result *r);
/* The same with skb->mark (TC only; an __sk_buff context is passed). */
int harness_run_mark(int prog_fd, const uint8_t *in, size_t len, uint8_t *out, size_t out_cap,
		     uint32_t gso_segs, uint32_t mark, struct run_result *r);

/* A raw-IP frame (starting at the IP header) through a program of an
 * L3 harness. tc: the program is one of the TC programs loaded as LWT_XMIT;
 * the kernel's 14 bytes in front of input and output are added and removed
 * here, and skb->protocol follows the IP version nibble of in. */
#define HARNESS_FRAME_MAX 4096
#define HARNESS_L3_PAD 14
int harness_run_l3(int prog_fd, int tc, const uint8_t *in, size_t len, uint8_t *out,
		   size_t out_cap, uint32_t gso_segs, struct run_result *r);
/* The same for a TC program of an L3 harness, with skb->protocol given
 * (ethertype) rather than taken from the frame; output as harness_run() (with
 * the kernel's 14 zero bytes in front). */
int harness_run_proto(int prog_fd, uint16_t ethertype, const uint8_t *in, size_t len,
		      uint8_t *out, size_t out_cap, struct run_result *r);

extern const char *const tiu_stat_names[TIU_STAT__MAX];

/*
 * Sockets for the socket lookup of remote=-only matches (tiu_decap_ours()),
 * which BPF_PROG_TEST_RUN makes in the caller's network namespace.
 * harness_netns(): move the process to a namespace of its own (gone with
 * it) with a veth tv0 (its peer up, without addresses: nothing answers)
 * holding 10.77.1.1/16, fd77:1::1/16 (the tests' client), 10.77.3.1 and
 * 10.77.3.2, and permanent neighbour entries for 10.77.2.1 and fd77:2::1
 * (the server; an unresolved neighbour would end a SYN_SENT socket within
 * seconds: host unreachable). 0, or -1 with errno.
 * harness_bound(): a TCP socket bound to addr:port (NULL: any; SO_REUSEADDR,
 * IPv6 sockets dual-stack); harness_connect(): connect it, nonblock: without
 * waiting (0 or -1); harness_syn_sent(): both, to an address that never
 * answers: a socket in SYN_SENT, its fd or -1. Failures print a "#" line.
 * harness_sockaddr(): addr:port (family 4 or 6; addr NULL: any) as a socket
 * address in ss, and its length.
 */
int harness_netns(void);
socklen_t harness_sockaddr(int family, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss);
int harness_bound(int family, const uint8_t *addr, uint16_t port);
int harness_connect(int fd, int family, const uint8_t *addr, uint16_t port, int nonblock);
int harness_syn_sent(int family, const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
		     uint16_t rport);

#endif
