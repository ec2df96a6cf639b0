/* SPDX-License-Identifier: GPL-2.0 */
/*
 * state.h - the middle layer of the `tiu` loader: what tiu keeps (pin
 * directories and run state, the pinned maps, endpoints, detour pairs, the
 * keepalive program, state left by vanished devices and namespaces) and the
 * operations on it that several commands share (teardown). It calls down
 * into sys/sys.h only; the commands (cmd/cmd.h) call into it.
 */
#ifndef TIU_LOADER_STATE_H
#define TIU_LOADER_STATE_H

#include "tiu_map_list.h"
#include "../sys/sys.h"

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
	bool follow;          /* EP_PORTS, TIU_ROLE_LOCAL: written follow=ADDR:PORT
			       * (TIU_EP_F_FOLLOW) */
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
	bool absent;          /* user_dir: no such directory (yet) */
};

/* Directories tiu can trust (pins.c): what is wrong with one, for the
 * message of tiu_trust_fail. */
struct trust_err {
	char path[PATH_MAX];
	char why[80];         /* "is owned by uid 65534, not root" */
	int err;              /* an errno instead (could not create or read) */
	bool looked;          /* err came from looking the path up, not from mkdir */
};

int tiu_dir_check(const char *dir, struct trust_err *e);     /* 0, 1 absent, -1 */
int tiu_mkdir_private(const char *dir, struct trust_err *e); /* 0, -1 */
int tiu_trust_fail(const struct trust_err *e);                /* one line, -1 */
int pins_resolve(const char *pin_dir_opt, bool mount_ok, struct pins *p);
int pins_of_iface(const char *pin_dir_opt, __u32 ifindex, bool mount_ok, struct pins *p);
int pins_record(const struct pins *p, __u32 ifindex);
void pins_unrecord(const struct pins *p, __u32 ifindex);
int pins_in_use(struct pins *out, int max);
int pins_taken_over(struct pins *out, int max);
int pins_mkdir(const struct pins *p);
bool pins_exist(const struct pins *p);
int pins_map(const struct pins *p, const char *name);
int pins_purge(const struct pins *p);
void run_state_dir(const struct pins *p, char *buf, size_t len);
/* Which network namespace a pin directory serves (its maps are keyed by
 * ifindex, and ifindexes are per namespace): the owner record in it. */
unsigned long long pins_owner_of(const char *dir);           /* 0: none */
int pins_owner(const struct pins *p, unsigned long long *owner); /* 1: another's */
int pins_claim(const struct pins *p);
int pins_foreign_fail(const struct pins *p, unsigned long long owner, bool up);
int pins_absent_fail(const struct pins *p);
int pins_recorded(__u32 ifindex, struct pins *p);
int pins_of_iface_down(const char *pin_dir_opt, __u32 ifindex, const char *ifname,
		       struct pins *p);

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

/* ---- maps.c: the pinned maps seen from user space ---- */
/* The fds of the pinned maps, one per line of tiu_map_list.h, in its order;
 * map i of that list is pinned as maps_name(i). */
struct tiu_maps {
#define TIU_MAP_FD(name_, ...) int name_;
	TIU_MAP_LIST(TIU_MAP_FD)
#undef TIU_MAP_FD
};

enum {
#define TIU_MAP_IDX(name_, ...) TIU_MAP_IDX_##name_,
	TIU_MAP_LIST(TIU_MAP_IDX)
#undef TIU_MAP_IDX
	TIU_N_MAPS
};

/* pin name of map i, 0 <= i < TIU_N_MAPS */
static inline const char *maps_name(int i)
{
	static const char *const names[TIU_N_MAPS] = {
#define TIU_MAP_NAME(name_, ...) "tiu_" #name_,
		TIU_MAP_LIST(TIU_MAP_NAME)
#undef TIU_MAP_NAME
	};

	return names[i];
}

int maps_check_pins(const struct pins *p, const struct bpf_object *obj, const char *ifname);
int maps_open(const struct pins *p, struct tiu_maps *m);
int maps_open_up(const char *ifname, const char *pin_dir, bool none_ok, struct pins *p,
		 struct tiu_maps *m, __u32 *ifindex);
void maps_close(struct tiu_maps *m);
int maps_abi(const struct tiu_maps *m, __u32 *abi);
/* tiu_config whole (its abi_version, and ep_gen: odd while the programs'
 * memo of exact endpoints is off, loader/sys/epgen.c). 0, or -errno. */
int maps_config(const struct tiu_maps *m, struct tiu_config *cfg);
int maps_set_abi(const struct tiu_maps *m);
void maps_ep_gen_begin(const struct tiu_maps *m);
void maps_ep_gen_end(const struct tiu_maps *m);
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

/* ---- teardown.c: take one interface down (down, apply, vanished devices) ---- */
int teardown(__u32 ifindex, const char *ifname, const struct pins *p, bool purge,
	     char *done, size_t len);

/* ---- endpoints.c: the endpoints of a slot written to the maps ---- */
void warn_local_port(const char *ifname, const struct ep *ep);
int eps_apply(const struct tiu_maps *m, __u32 slot, const char *ifname, bool add,
	      const struct ep *eps, int n);
int eps_check_room(const struct tiu_maps *m, const char *ifname, const struct ep *eps,
		   int n);

#endif /* TIU_LOADER_STATE_H */
