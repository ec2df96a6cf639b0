/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu.h - declarations shared by the files of the `tiu` loader.
 *
 * One section per file, in the order a command uses them: command line,
 * pins, netlink, ethtool, detour, attach, maps, then the subcommands.
 */
#ifndef TIU_LOADER_H
#define TIU_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <net/if.h>
#include <linux/types.h>

#include "tiu_common.h"
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

#define TIU_MAX_CLI_ENDPOINTS 256
/* --mss: Linux's smallest MSS (TCP_MIN_MSS), the largest an IPv4 packet holds */
#define TIU_MSS_MIN 88
#define TIU_MSS_MAX 65495

/* ---- msg.c: messages, logging, root check, lock ---- */
extern bool tiu_verbose;
int tiu_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tiu_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tiu_libbpf_last(void);
void tiu_log_init(void);
int tiu_need_root(void);
int tiu_lock(void);
void tiu_crash_point(const char *step);
void tiu_msg_capture(char *buf, size_t len); /* next messages into buf; NULL: stderr again */

/* ---- cli.c: endpoints, interface names, config files ---- */
enum xdp_mode_opt { XDPM_AUTO, XDPM_NATIVE, XDPM_SKB };
enum decap_opt { DECAP_XDP, DECAP_TC };

struct up_opts {
	const char *ifname;
	const char *pin_dir;
	enum xdp_mode_opt xdp_mode;
	enum decap_opt decap;
	int n_eps;
	char *eps[TIU_MAX_CLI_ENDPOINTS]; /* "local=ADDR:PORT" as given */
	int keepalive;        /* seconds; 0: off; -1: the default (keepalive.c) */
	__u32 mss;            /* --mss: clamp tunnelled SYN/SYN-ACK MSS; 0: off */
};

int iface_index(const char *ifname, __u32 *ifindex);
int up_opt(struct up_opts *o, const char *name, const char *val);
int ka_parse(const char *val, int *seconds);
int read_config(struct up_opts *o, const char *path);
int read_config_down(struct up_opts *o, const char *path); /* pin-dir only; others warn */

/* Keys of the options every command may take (besides 'v' and 'h');
 * a command's own options use keys from CLI_OWN on, or a letter. */
enum { CLI_PIN_DIR = 0x100, CLI_OWN = 0x200 };
#define CLI_F_PIN_DIR (1u << 0) /* takes --pin-dir DIR */
#define CLI_F_JSON    (1u << 1) /* takes -j/--json */
extern bool tiu_json;           /* tiu -j COMMAND */

struct option;

struct cli_cmd {
	const char *name;                /* "up": in "see tiu up --help" */
	unsigned int common;             /* CLI_F_*: the common options it takes */
	const struct option *opts;       /* its own options, {} ended, or NULL */
	int (*opt)(void *ctx, int key, const char *arg); /* every option it takes */
	void (*usage)(FILE *f);          /* for --help */
	int max_args;                    /* positional arguments, -1: any number */
};

struct cli {
	const char *pin_dir;             /* --pin-dir, or NULL */
	bool json;
	int argc;                        /* positional arguments, in order */
	char **argv;
};

/* 0: parsed; 1: --help printed (exit 0); -1: error printed. */
int cli_parse(const struct cli_cmd *cmd, void *ctx, int argc, char **argv, struct cli *out);

/* ---- epspec.c: endpoints as written, and the rules between them ---- */
enum ep_kind { EP_PORTS, EP_MARK };

/* One endpoint: a port endpoint (role, address, port range: one element of
 * tiu_endpoints per port) or the interface's mark selector (in tiu_ifaces). */
struct ep {
	__u8 kind;            /* enum ep_kind */
	__u8 role;            /* EP_PORTS: enum tiu_role */
	__u16 first, last;    /* EP_PORTS: host byte order, 1 <= first <= last */
	__u8 addr[16];        /* EP_PORTS: as tiu_endpoint_key (v4-mapped; 0: any) */
	__u32 mark, mask;     /* EP_MARK: (skb->mark & mask) == mark */
};

#define TIU_EP_STRLEN 80      /* "remote=[IPv6]:65535-65535" and the NUL fit */

int parse_endpoint(const char *arg, struct ep *ep);
void format_endpoint(const struct ep *ep, char *buf, size_t len);
bool ep_same(const struct ep *a, const struct ep *b);
bool ep_overlap(const struct ep *a, const struct ep *b);
unsigned int ep_size(const struct ep *ep);
int ep_cmp(const void *a, const void *b);
int eps_check_add(const char *ifname, const struct ep *have, int n_have, const struct ep *eps,
		  int n);
int eps_check_del(const char *ifname, const struct ep *have, int n_have, const struct ep *eps,
		  int n);

/* ---- pins.c ---- */
struct pins {
	char dir[256];        /* where the maps are pinned */
	char note[160];       /* how dir was found, for status */
	unsigned long long netns; /* cookie (or inode) of our netns */
	bool initial_netns;
	bool user_dir;        /* given with --pin-dir */
};

/* Directories tiu can trust (pins.c): what is wrong with one, for the
 * message of tiu_trust_fail. */
struct trust_err {
	char path[PATH_MAX];
	char why[80];         /* "is owned by uid 65534, not root" */
	int err;              /* an errno instead (could not create or read) */
};

int tiu_dir_check(const char *dir, struct trust_err *e);     /* 0, 1 absent, -1 */
int tiu_mkdir_private(const char *dir, struct trust_err *e); /* 0, -1 */
int tiu_trust_fail(const struct trust_err *e);                /* one line, -1 */
int pins_resolve(const char *pin_dir_opt, bool mount_ok, struct pins *p);
int pins_of_iface(const char *pin_dir_opt, __u32 ifindex, bool mount_ok, struct pins *p);
int pins_record(const struct pins *p, __u32 ifindex);
void pins_unrecord(const struct pins *p, __u32 ifindex);
int pins_in_use(struct pins *out, int max);
int pins_mkdir(const struct pins *p);
bool pins_exist(const struct pins *p);
int pins_map(const struct pins *p, const char *name);
int pins_purge(const struct pins *p);
void run_state_dir(const struct pins *p, char *buf, size_t len);

/* ---- netlink.c (libmnl, rtnetlink) ---- */
int nl_veth_create(const char *name, const char *peer, unsigned int mtu);
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

/* ---- detour.c ---- */
struct detour {
	__u32 ifindex, peer_ifindex;
	char name[IFNAMSIZ], peer[IFNAMSIZ];
};

void detour_names(__u32 ifindex, struct detour *d);
bool detour_is_name(const char *ifname);
int detour_of_alias(const char *ifname, __u32 *out, int max);
int detour_create(__u32 ifindex, const char *ifname, struct detour *d);
int detour_find(__u32 ifindex, struct detour *d);
int detour_destroy(__u32 ifindex, const char *ifname);
/* RPS on the peer: 1 on, 0 off, -1 unknown (/sys shows another netns). */
int detour_rps(const struct detour *d);

/* ---- attach.c: TC through libbpf, XDP through libxdp ---- */
struct tc_info {
	__u32 prog_id;
	char name[16];
	bool ours;
};

int tc_attach(__u32 ifindex, bool egress, const struct bpf_program *prog,
	      const char *ifname, const struct pins *note);
int tc_query(__u32 ifindex, bool egress, struct tc_info *info);
int tc_detach(__u32 ifindex, bool egress);
int tc_clsact_release(const struct pins *p, __u32 ifindex);

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

/* ---- maps.c: the pinned maps seen from user space ---- */
struct tiu_maps {
	int endpoints, stats, links, config, ports, ifaces;
};

#define TIU_N_MAPS 6
const char *maps_name(int i);     /* pin name of map i, 0 <= i < TIU_N_MAPS */
int maps_check_pins(const struct pins *p, const struct bpf_object *obj, const char *ifname);
int maps_open(const struct pins *p, struct tiu_maps *m);
int maps_open_up(const char *ifname, const char *pin_dir, bool none_ok, struct pins *p,
		 struct tiu_maps *m, __u32 *ifindex);
void maps_close(struct tiu_maps *m);
int maps_abi(const struct tiu_maps *m, __u32 *abi);
int maps_set_abi(const struct tiu_maps *m);
int maps_iface(const struct tiu_maps *m, __u32 slot, struct tiu_iface *out);
int maps_set_iface(const struct tiu_maps *m, __u32 slot, const struct tiu_iface *v);
int maps_slot_of(const struct tiu_maps *m, __u32 ifindex, __u32 *slot);
int maps_slot_free(const struct tiu_maps *m, __u32 *slot);
int maps_real_ifaces(const struct tiu_maps *m, __u32 *out, int max);
int maps_stats_sum(const struct tiu_maps *m, __u32 slot, struct tiu_stats *out);
int maps_stats_reset(const struct tiu_maps *m, __u32 slot);
int maps_ep_elems(const struct tiu_maps *m, struct tiu_endpoint_key **keys,
		  struct tiu_endpoint_val **vals);
int maps_ep_count(const struct tiu_maps *m);
int maps_endpoints(const struct tiu_maps *m, __u32 slot, struct ep **out);
int maps_ports_sync(const struct tiu_maps *m, __u32 slot, unsigned int lo, unsigned int hi);
int maps_ports_sync_except(const struct tiu_maps *m, __u32 slot, unsigned int lo,
			   unsigned int hi, const struct ep *drop, int n_drop);
int maps_forget_iface(const struct tiu_maps *m, __u32 ifindex);

/* ---- keepalive.c: sock_ops keepalive on the cgroup v2 root ---- */
struct ka_state {
	bool on;                  /* this interface has a setting */
	struct tiu_ka_iface v;    /* the setting and counters */
	__u32 link_id, prog_id;   /* the pinned cgroup link, 0 if none */
	int users;                /* interfaces using it, all namespaces */
	int n_eps;                /* endpoint entries published by this interface */
	char dir[128];            /* its pin directory */
};

int ka_up(const char *ifname, __u32 ifindex, int seconds, const struct pins *p);
int ka_down(__u32 ifindex, const struct pins *p, char *done, size_t len);
int ka_sync(const struct pins *p);
void ka_state(const struct pins *p, __u32 ifindex, struct ka_state *s);
int ka_forget_netns(unsigned long long netns);
int ka_list(struct tiu_ka_iface_key *out, int max);
void ka_print_text(const struct ka_state *s);
void ka_print_json(FILE *f, const struct ka_state *s);

/* ---- stale.c: state of namespaces that no longer exist ---- */
struct stale_dir {
	char path[PATH_MAX];
	unsigned long long id;  /* the namespace's cookie (or inode) */
	bool pins;              /* a pin directory (else run state) */
};

int stale_find(struct stale_dir *out, int max);
int stale_remove(void);

/* devices of this namespace that are gone while tiu had state for them */
struct vanished {
	__u32 ifindex;
	char name[IFNAMSIZ];    /* from its detour's alias or apply's record; "?" */
};

int vanished_find(struct vanished *v, int max);
int vanished_release(const struct vanished *v, char *done, size_t len);
int vanished_release_all(bool print);

/* ---- down.c ---- */
int teardown(__u32 ifindex, const char *ifname, const struct pins *p, bool purge,
	     char *done, size_t len);

/* ---- subcommands ---- */
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_endpoint(int argc, char **argv);
void warn_local_port(const char *ifname, const struct ep *ep);   /* endpoint.c */
int eps_apply(const struct tiu_maps *m, __u32 slot, const char *ifname, bool add,
	      const struct ep *eps, int n);                        /* endpoint.c */
int eps_check_room(const struct tiu_maps *m, const char *ifname, const struct ep *eps,
		   int n);                                         /* endpoint.c */
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_apply(int argc, char **argv);                              /* apply.c */
int cmd_probe(int argc, char **argv);                              /* pathprobe.c */
void apply_status_text(void);                                      /* apply.c */
void apply_status_json(void);                                      /* apply.c */
void apply_prometheus(void);                                       /* apply.c */

/* ---- json.c ---- */
void json_str(FILE *f, const char *s);

#endif /* TIU_LOADER_H */
