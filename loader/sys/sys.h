/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sys.h - the bottom layer of the `tiu` loader: adapters to the kernel and
 * to the libraries (messages and logging, rtnetlink, ethtool, TC and XDP
 * attachment, the embedded BPF objects, kernel probes, device framing, JSON).
 * Nothing here knows tiu's state (pins, maps, endpoints): that is
 * state/state.h, which calls down into this layer, never the other way.
 */
#ifndef TIU_LOADER_SYS_H
#define TIU_LOADER_SYS_H

#include <limits.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include "tiu_common.h"
#include "align.h"
#include "elem.h"
#include "probe.h"
#include "rss.h"

struct bpf_object;
struct bpf_program;

/* TC filter identity on the real interface (clsact egress, and ingress with
 * --decap tc) and on the detour peer (clsact ingress). `tc filter show dev
 * IFACE egress` lists it as "pref 29801 handle 0x7469 bpf ... tiu_tc_egress".
 * tiu only ever queries, replaces or deletes the filter at this (handle,
 * priority) and only when its program name is one of tiu's. */
#define TIU_TC_HANDLE 0x7469 /* "ti" */
#define TIU_TC_PRIO   0x7469

/* Runtime notes that the kernel cannot hold (whether tiu created a clsact
 * qdisc: attach.c), one directory per network namespace (run_state_dir). */
#define TIU_RUN_DIR "/run/tiu"

/* ---- msg.c: messages, logging, root check, lock ---- */
extern bool tiu_verbose;
int tiu_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As tiu_fail, for a bad command line: returns TIU_EUSAGE, which `tiu`
 * turns into exit status 2 (1 is any other failure). */
#define TIU_EUSAGE (-2)
int tiu_usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tiu_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tiu_libbpf_last(void);
void tiu_log_init(void);
int tiu_need_root(void);
int tiu_lock(void);
/* Test hook (msg.c): only in the test build (-DTIU_TEST_HOOKS, build/test/tiu). */
#ifdef TIU_TEST_HOOKS
void tiu_crash_point(const char *step);
#else
#define tiu_crash_point(step) ((void)(step))
#endif
void tiu_msg_capture(char *buf, size_t len); /* next messages into buf; NULL: stderr again */

/* ---- netlink.c (libmnl, rtnetlink; if_nametoindex) ---- */
/* ifindex of ifname in this network namespace, or -1 after one line. */
int iface_index(const char *ifname, __u32 *ifindex);
int nl_veth_create(const char *name, const char *peer, unsigned int mtu,
		   const unsigned char *mac, const unsigned char *peer_mac);
int nl_link_kind_addr(__u32 ifindex, char *kind, size_t kind_len, unsigned char *addr);
int nl_link_set(__u32 ifindex, bool up, const char *alias);
int nl_link_del(__u32 ifindex);
int nl_link_alias(__u32 ifindex, char *buf, size_t len);
int nl_count_filters(__u32 ifindex, __u32 parent);
int nl_link_mtu(__u32 ifindex, unsigned int *mtu);
int nl_link_type(__u32 ifindex, unsigned short *type);
int nl_link_lower(__u32 ifindex, __u32 *lower);

/* ---- framing.c ---- */
/* The framing tiu uses on a device type (ARPHRD_*): TIU_FRAMING_ETH or
 * TIU_FRAMING_L3, TIU_FRAMING_AUTO for a type tiu cannot handle. */
enum tiu_framing framing_of_type(unsigned short type);
const char *framing_name(enum tiu_framing f);      /* "Ethernet", "raw IP" */
const char *arphrd_name(unsigned short type, char *buf, size_t len); /* as `ip link`: "ether", "none" */
/* The framing of ifname, or -1 after one line naming the device and its
 * type when tiu cannot handle it. */
int iface_framing(__u32 ifindex, const char *ifname, enum tiu_framing *f);

/* ---- ethtool.c ---- */
int ethtool_detour_offloads(const char *ifname, bool tx_side);
int ethtool_no_udp_gro(__u32 ifindex, const char *ifname);
enum rss_verdict ethtool_udp_rss(const char *ifname, const char *which[2], int *n_which);

/* ---- attach.c: TC through libbpf, XDP through libxdp ---- */
enum xdp_mode_opt { XDPM_AUTO, XDPM_NATIVE, XDPM_SKB };

struct tc_info {
	__u32 prog_id;
	char name[16];
	bool ours;
};

/* run_dir: the namespace's run-state directory (state.h: run_state_dir),
 * where tc_attach notes a clsact qdisc it creates; NULL: no note. */
int tc_attach(__u32 ifindex, bool egress, const struct bpf_program *prog,
	      const char *ifname, const char *run_dir);
int tc_query(__u32 ifindex, bool egress, struct tc_info *info);
int tc_detach(__u32 ifindex, bool egress);
int tc_clsact_release(const char *run_dir, __u32 ifindex);

struct xdp_info {
	__u32 prog_id;        /* tiu's program, 0 if not attached */
	int mode;             /* enum xdp_attach_mode */
	bool dispatcher;      /* libxdp multiprog dispatcher in use */
	int n_progs;          /* programs on the interface (dispatcher) */
	__u32 other_id;       /* a non-tiu, non-dispatcher program, if any */
	char other_name[16];
};

int xdp_query(__u32 ifindex, struct xdp_info *info);
int xdp_attach(struct bpf_object *obj, __u32 ifindex, const char *ifname,
	       enum xdp_mode_opt mode);
int xdp_detach(__u32 ifindex);
const char *xdp_mode_name(int mode);

/* ---- netns.c: the network namespaces this host can see ---- */
#define NETNS_MAX 4096
struct netns_set {
	int n;
	int unknown;          /* namespaces whose cookie could not be read */
	int err;              /* why (errno of setns) */
	struct { dev_t dev; ino_t ino; unsigned long long id; } ns[NETNS_MAX];
};
int netns_live(struct netns_set *s);
bool netns_in(const struct netns_set *s, unsigned long long id);
int netns_alive(unsigned long long id); /* 1, 0 gone, -1 cannot tell */

/* ---- json.c ---- */
void json_str(FILE *f, const char *s);

/* ---- objects.c: the embedded BPF objects ---- */
struct tiu_tc;
struct tiu_tc_compat;
struct tiu_xdp;

struct tc_obj {
	struct tiu_tc *full;          /* with the kfunc, or */
	struct tiu_tc_compat *compat; /* without it */
	struct bpf_object *obj;
	struct bpf_program *egress, *detour, *decap;
	bool kfunc;
	enum ip_summed_probe why; /* probe.h: why kfunc is what it is */
};

/* framing: the interface's (framing.c), a constant in the programs. */
int tc_obj_open(struct tc_obj *t, const char *pin_dir, const char *ifname,
		enum tiu_framing framing);
/* slot: the interface's (up.c), a constant in the programs. */
void tc_obj_set_slot(struct tc_obj *t, __u32 slot);
int tc_obj_load(struct tc_obj *t, const char *ifname);
void tc_obj_close(struct tc_obj *t);

struct bpf_object *xdp_obj_open(struct tiu_xdp **skel, const char *pin_dir, const char *ifname,
				enum tiu_framing framing, __u32 slot);
void xdp_obj_close(struct tiu_xdp *skel);

#endif /* TIU_LOADER_SYS_H */
