// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - the pinned maps seen from user space: open them (the one
 * stale-pin check: layout and ABI stamp), the ABI stamp, slots (tiu_ifaces,
 * tiu_links), endpoints (tiu_endpoints) and the port table that must always
 * say what they hold (tiu_ports), and the per-CPU statistics of a slot summed
 * over possible CPUs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "state.h"
#include "../sys/epgen.h"

/* tiu's pinned maps and the layout this build expects: the lines of
 * tiu_map_list.h, which also define the maps of the BPF objects. The order
 * is the order of the fds in struct tiu_maps. */
static const struct {
	const char *name;
	__u32 type, key_size, value_size, max_entries, flags;
} map_defs[TIU_N_MAPS] = {
#define MAP_DEF(name_, type_, key_, value_, max_, flags_) \
	{ "tiu_" #name_, type_, sizeof(key_), sizeof(value_), max_, flags_ },
	TIU_MAP_LIST(MAP_DEF)
#undef MAP_DEF
};

static int *map_fds(struct tiu_maps *m, int i)
{
	int *fds[TIU_N_MAPS] = {
#define MAP_FD(name_, ...) &m->name_,
		TIU_MAP_LIST(MAP_FD)
#undef MAP_FD
	};

	return fds[i];
}

/* tiu_config's one element into *cfg (zeros if unreadable); 0, or -errno. */
static int config_read(int fd, struct tiu_config *cfg)
{
	__u32 key = 0;

	memset(cfg, 0, sizeof(*cfg));
	return bpf_map_lookup_elem(fd, &key, cfg) ? -errno : 0;
}

static int config_abi(int fd, __u32 *abi)
{
	struct tiu_config cfg;
	int err = config_read(fd, &cfg);

	*abi = cfg.abi_version;
	return err;
}

/*
 * Was the pin made by root (or the user tiu runs as)? Where unprivileged
 * BPF is allowed (kernel.unprivileged_bpf_disabled=0), any user can create
 * a map of tiu's layout and pin it where tiu would, in a pin directory that
 * is a bpffs' root (mode 1777): tiu would then share its endpoints with
 * that user. bpffs gives a pin its creator's uid and mode 0600 less the
 * umask (kernel/bpf/inode.c, bpf_obj_do_pin). 0 yes, 2 no (why filled).
 */
static int pin_foreign(const struct pins *p, const char *name, char *why, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	if (lstat(path, &st))
		return 0; /* bpf_obj_get said what is wrong */
	if (st.st_uid && st.st_uid != geteuid()) {
		snprintf(why, len, "%s is pinned by uid %u, not root", name, st.st_uid);
		return 2;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "%s is writable by group or others (mode %04o)", name,
			 st.st_mode & 07777);
		return 2;
	}
	return 0;
}

/* Is the map pinned as name usable: same layout as want (obj's definition)
 * or as map_defs[def], pinned by root? 0 yes or not pinned, 1 no (why
 * filled), 2 not pinned by root (pin_foreign). */
static int pin_stale(const struct pins *p, const char *name, const struct bpf_map *want,
		     int def, char *why, size_t len)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), abi, type, key, value, entries, flags;
	int fd = pins_map(p, name), bad;

	if (fd == -ENOENT)
		return 0;
	if (fd >= 0 && pin_foreign(p, name, why, len)) {
		close(fd);
		return 2;
	}
	if (fd < 0) {
		snprintf(why, len, "%s: %s", name, strerror(-fd));
		return 1;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		snprintf(why, len, "%s: %s", name, strerror(errno));
		close(fd);
		return 1;
	}
	if (want) {
		type = bpf_map__type(want);
		key = bpf_map__key_size(want);
		value = bpf_map__value_size(want);
		entries = bpf_map__max_entries(want);
		flags = bpf_map__map_flags(want);
	} else {
		type = map_defs[def].type;
		key = map_defs[def].key_size;
		value = map_defs[def].value_size;
		entries = map_defs[def].max_entries;
		flags = map_defs[def].flags;
	}
	bad = info.type != type || info.key_size != key || info.value_size != value ||
	      info.max_entries != entries || info.map_flags != flags;
	if (bad) {
		int n = snprintf(why, len, "%s is type %u key %u value %u entries %u, expected %u/%u/%u/%u",
				 name, info.type, info.key_size, info.value_size, info.max_entries,
				 type, key, value, entries);

		if (info.map_flags != flags && n > 0 && (size_t)n < len)
			snprintf(why + n, len - n, "; map flags 0x%x, expected 0x%x", info.map_flags,
				 flags);
	}
	if (!bad && !strcmp(name, TIU_MAP_CONFIG)) {
		if (config_abi(fd, &abi))
			bad = snprintf(why, len, "%s: unreadable: %s", name, strerror(errno));
		else if (abi && abi != TIU_ABI_VERSION)
			bad = snprintf(why, len, "ABI %u", abi);
	}
	close(fd);
	return !!bad;
}

/*
 * The one stale-pin check: are there pins in p that this tiu cannot use
 * (another layout, or another ABI stamped in the config map)? With obj, its
 * map definitions are the reference (what libbpf is about to reuse), else
 * the layout in tiu_common.h. 1 (or 2: a pin not made by root) and why
 * filled, or 0.
 */
static int maps_stale(const struct pins *p, const struct bpf_object *obj, char *why, size_t len)
{
	const struct bpf_map *map;
	int i, r;

	if (obj) {
		bpf_object__for_each_map(map, obj) /* .rodata (tiu_framing) is never pinned */
			if (!strncmp(bpf_map__name(map), "tiu_", 4) && !bpf_map__is_internal(map) &&
			    (r = pin_stale(p, bpf_map__name(map), map, 0, why, len)))
				return r;
	}
	for (i = 0; i < TIU_N_MAPS; i++)
		if ((r = pin_stale(p, map_defs[i].name, NULL, i, why, len)))
			return r;
	return 0;
}

static int stale_fail(const char *ifname, const struct pins *p, const char *why, int kind)
{
	if (kind == 2)
		return tiu_fail("%s%sforeign pins (%s in %s): tiu does not share maps with another user: run `tiu down %s --purge` to remove them, and see who made them",
				ifname ? ifname : "", ifname ? ": " : "", why, p->dir,
				ifname ? ifname : "IFACE");
	if (!ifname)
		return tiu_fail("stale pins from another version (%s in %s; this tiu has ABI %u): run `tiu down IFACE --purge`",
				why, p->dir, TIU_ABI_VERSION);
	return tiu_fail("%s: stale pins from another version (%s in %s; this tiu has ABI %u): run `tiu down %s --purge`",
			ifname, why, p->dir, TIU_ABI_VERSION, ifname);
}

/* Before `up`: refuse pins that libbpf would not reuse or that carry
 * another ABI, before anything is changed. */
int maps_check_pins(const struct pins *p, const struct bpf_object *obj, const char *ifname)
{
	char why[200];
	int r = maps_stale(p, obj, why, sizeof(why));

	return r ? stale_fail(ifname, p, why, r) : 0;
}

/* 0, -ENOENT (no pins: nothing is up), -ESTALE (see maps_stale), -errno. */
int maps_open(const struct pins *p, struct tiu_maps *m)
{
	char why[200];
	int err = 0;

	for (int i = 0; i < TIU_N_MAPS; i++)
		*map_fds(m, i) = -1;
	if (maps_stale(p, NULL, why, sizeof(why)))
		return -ESTALE;
	for (int i = 0; i < TIU_N_MAPS && !err; i++) {
		*map_fds(m, i) = pins_map(p, map_defs[i].name);
		if (*map_fds(m, i) < 0)
			err = *map_fds(m, i);
	}
	if (err)
		maps_close(m);
	return err;
}

/*
 * The maps of an interface that is up (ifname), or of this namespace
 * (ifname NULL), for the commands that read or edit what `up` set up. The
 * messages for "stale" and "not up" live here and only here. none_ok:
 * nothing up is not an error (returns 1, m closed). Returns 0 (m open,
 * *ifindex set when ifname is given), 1, or -1 after printing an error.
 */
int maps_open_up(const char *ifname, const char *pin_dir, bool none_ok, struct pins *p,
		 struct tiu_maps *m, __u32 *ifindex)
{
	char why[200];
	__u32 slot;
	int err;

	for (int i = 0; i < TIU_N_MAPS; i++)
		*map_fds(m, i) = -1;
	if (tiu_need_root() || (ifname && iface_index(ifname, ifindex)))
		return -1;
	err = ifname ? pins_of_iface(pin_dir, *ifindex, false, p) : pins_resolve(pin_dir, false, p);
	if (err < 0)
		return -1;
	if (pin_dir && p->absent)
		return pins_absent_fail(p);
	if (!err && (err = maps_stale(p, NULL, why, sizeof(why))))
		return stale_fail(ifname, p, why, err);
	err = err ? -ENOENT : maps_open(p, m);
	if (!err && ifname && maps_slot_of(m, *ifindex, &slot)) {
		maps_close(m);
		err = -ENOENT;
	}
	if (!err)
		return 0;
	if (none_ok)
		return 1;
	if (ifname)
		return tiu_fail("%s: not up (no tiu maps for it in %s): run `tiu up %s` first",
				ifname, p->dir[0] ? p->dir : "/sys/fs/bpf/tiu", ifname);
	return tiu_fail("nothing is up (no tiu maps in %s): run `tiu up IFACE` first",
			p->dir[0] ? p->dir : "/sys/fs/bpf/tiu");
}

void maps_close(struct tiu_maps *m)
{
	for (int i = 0; i < TIU_N_MAPS; i++) {
		if (*map_fds(m, i) >= 0)
			close(*map_fds(m, i));
		*map_fds(m, i) = -1;
	}
}

int maps_abi(const struct tiu_maps *m, __u32 *abi)
{
	return config_abi(m->config, abi);
}

int maps_config(const struct tiu_maps *m, struct tiu_config *cfg)
{
	return config_read(m->config, cfg);
}

int maps_set_abi(const struct tiu_maps *m)
{
	struct tiu_config cfg;
	__u32 key = 0;
	int err;

	/* the endpoint generation stays: a value the programs' memo has seen
	 * must not come back (epgen.c) */
	if ((err = config_read(m->config, &cfg)))
		return err;
	cfg.abi_version = TIU_ABI_VERSION;
	return bpf_map_update_elem(m->config, &key, &cfg, BPF_ANY) ? -errno : 0;
}

/* Around deletions from tiu_endpoints: the generation that makes the
 * programs forget what was deleted (loader/sys/epgen.c). A failure of
 * either only slows matching (the memo stays off) and is said once. */
void maps_ep_gen_begin(const struct tiu_maps *m)
{
	if (epgen_begin(m->config))
		tiu_warn("cannot update %s: %s: exact endpoints that were deleted may still match until the next change (run `tiu endpoint` again)",
			 TIU_MAP_CONFIG, strerror(errno));
}

void maps_ep_gen_end(const struct tiu_maps *m)
{
	int rc = epgen_end(m->config, true);

	if (rc > 0)
		tiu_warn("the kernel gives no RCU grace period to user space (membarrier: %s): the programs' memo of exact endpoints stays off, each packet of an exact endpoint pays its hash lookup",
			 strerror(errno));
	else if (rc < 0)
		tiu_warn("cannot update %s: %s: the programs' memo of exact endpoints stays off until the next change",
			 TIU_MAP_CONFIG, strerror(errno));
}


/* ---- slots ---- */

int maps_iface(const struct tiu_maps *m, __u32 slot, struct tiu_iface *out)
{
	memset(out, 0, sizeof(*out));
	if (slot >= TIU_MAX_SLOTS)
		return -EINVAL;
	return bpf_map_lookup_elem(m->ifaces, &slot, out) ? -errno : 0;
}

int maps_set_iface(const struct tiu_maps *m, __u32 slot, const struct tiu_iface *v)
{
	return bpf_map_update_elem(m->ifaces, &slot, v, BPF_ANY) ? -errno : 0;
}

/* The slot of a real interface: its tiu_links entry, else (an `up` killed
 * between the two writes) the tiu_ifaces entry naming it. 0 or -ENOENT. */
int maps_slot_of(const struct tiu_maps *m, __u32 ifindex, __u32 *slot)
{
	struct tiu_iface ifc;
	struct tiu_link link;

	if (!bpf_map_lookup_elem(m->links, &ifindex, &link) && (link.flags & TIU_LINK_F_REAL) &&
	    link.slot < TIU_MAX_SLOTS) {
		*slot = link.slot;
		return 0;
	}
	for (__u32 s = 0; s < TIU_MAX_SLOTS; s++)
		if (!maps_iface(m, s, &ifc) && ifc.ifindex == ifindex) {
			*slot = s;
			return 0;
		}
	return -ENOENT;
}

/* The lowest slot that no interface holds (in tiu_ifaces or tiu_links):
 * 0, or -ENOSPC when all TIU_MAX_SLOTS are taken. */
int maps_slot_free(const struct tiu_maps *m, __u32 *slot)
{
	bool used[TIU_MAX_SLOTS] = {};
	struct tiu_iface ifc;
	struct tiu_link link;
	__u32 key, prev;
	bool first = true;

	while (!bpf_map_get_next_key(m->links, first ? NULL : &prev, &key)) {
		first = false;
		prev = key;
		if (!bpf_map_lookup_elem(m->links, &key, &link) && link.slot < TIU_MAX_SLOTS)
			used[link.slot] = true;
	}
	for (__u32 s = 0; s < TIU_MAX_SLOTS; s++) {
		if (used[s] || (!maps_iface(m, s, &ifc) && ifc.ifindex))
			continue;
		*slot = s;
		return 0;
	}
	return -ENOSPC;
}

static void sort_u32(__u32 *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			__u32 t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* Real interfaces that hold a slot (those that are up), sorted. */
int maps_real_ifaces(const struct tiu_maps *m, __u32 *out, int max)
{
	struct tiu_iface ifc;
	struct tiu_link link;
	__u32 key, prev;
	bool first = true;
	int n = 0;

	for (__u32 s = 0; s < TIU_MAX_SLOTS && n < max; s++)
		if (!maps_iface(m, s, &ifc) && ifc.ifindex)
			out[n++] = ifc.ifindex;
	while (n < max && !bpf_map_get_next_key(m->links, first ? NULL : &prev, &key)) {
		bool seen = false;

		first = false;
		prev = key;
		if (bpf_map_lookup_elem(m->links, &key, &link) || !(link.flags & TIU_LINK_F_REAL))
			continue;
		for (int i = 0; i < n; i++)
			seen |= out[i] == key;
		if (!seen)
			out[n++] = key;
	}
	sort_u32(out, n);
	return n;
}

/* ---- statistics: one per-CPU record per slot ---- */

int maps_stats_sum(const struct tiu_maps *m, __u32 slot, struct tiu_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct tiu_stats *percpu;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->stats, &slot, percpu))
		err = -errno;
	for (int c = 0; !err && c < ncpu; c++)
		for (int i = 0; i < TIU_STAT__MAX; i++)
			out->v[i] += percpu[c].v[i];
	free(percpu);
	return err;
}

int maps_stats_reset(const struct tiu_maps *m, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct tiu_stats *percpu;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_update_elem(m->stats, &slot, percpu, BPF_ANY))
		err = -errno;
	free(percpu);
	return err;
}

/* ---- endpoints ---- */

/*
 * Every element of tiu_endpoints into *keys and *vals (allocated, the
 * caller frees both); how many, or -errno. One batch lookup where the
 * kernel has it, else a key walk.
 */
int maps_ep_elems(const struct tiu_maps *m, struct tiu_endpoint_key **keys,
		  struct tiu_endpoint_val **vals)
{
	struct tiu_endpoint_key *k = calloc(TIU_MAX_ENDPOINTS, sizeof(*k)), key, prev;
	struct tiu_endpoint_val *v = calloc(TIU_MAX_ENDPOINTS, sizeof(*v));
	__u32 batch, count;
	void *in = NULL;
	bool first = true;
	int n = 0, err = 0;

	*keys = k;
	*vals = v;
	if (!k || !v)
		return -ENOMEM;
	for (;;) {
		count = TIU_MAX_ENDPOINTS - n;
		if (!count)
			break;
		err = bpf_map_lookup_batch(m->endpoints, in, &batch, k + n, v + n, &count, NULL);
		if (err)
			err = -errno;
		if (!err || err == -ENOENT) /* count is what was copied, also at the end */
			n += (int)count;
		if (err == -ENOENT || (err && err != -EINVAL && err != -ENOTSUP && err != -EOPNOTSUPP))
			break;
		if (err) { /* no batch operations: walk the keys */
			n = 0;
			while (n < TIU_MAX_ENDPOINTS &&
			       !bpf_map_get_next_key(m->endpoints, first ? NULL : &prev, &key)) {
				first = false;
				prev = key;
				if (!bpf_map_lookup_elem(m->endpoints, &key, &v[n]))
					k[n++] = key;
			}
			return n;
		}
		in = &batch;
	}
	return err == -ENOENT || !err ? n : err;
}

/* An element's endpoint: its port range as its value says. */
static void ep_of_elem(const struct tiu_endpoint_key *k, const struct tiu_endpoint_val *v,
		       struct ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->kind = EP_PORTS;
	ep->role = k->role;
	memcpy(ep->addr, k->addr, 16);
	ep->first = v->first;
	ep->last = v->last;
	ep->follow = k->role == TIU_ROLE_LOCAL && (v->flags & TIU_EP_F_FOLLOW);
	if (!v->first || v->first > v->last) /* not written by this tiu: the port alone */
		ep->first = ep->last = ntohs(k->port);
}

/*
 * The endpoints of a slot as they were added: the elements grouped by the
 * range in their values, sorted (ep_cmp), with the slot's mark selector
 * last if it has one. *out is allocated (the caller frees it); how many, or
 * -errno.
 */
int maps_endpoints(const struct tiu_maps *m, __u32 slot, struct ep **out)
{
	struct tiu_endpoint_key *keys;
	struct tiu_endpoint_val *vals;
	struct tiu_iface ifc;
	struct ep *eps;
	int n = maps_ep_elems(m, &keys, &vals), k = 0;

	*out = NULL;
	if (n < 0) {
		free(keys);
		free(vals);
		return n;
	}
	eps = calloc((size_t)n + 1, sizeof(*eps));
	if (!eps) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		if (keys[i].slot == slot)
			ep_of_elem(&keys[i], &vals[i], &eps[k++]);
	free(keys);
	free(vals);
	qsort(eps, k, sizeof(*eps), ep_cmp);
	n = 0;
	for (int i = 0; i < k; i++) /* one per range */
		if (!n || !ep_same(&eps[n - 1], &eps[i]))
			eps[n++] = eps[i];
	if (!maps_iface(m, slot, &ifc) && (ifc.flags & TIU_IFACE_F_MARK)) {
		memset(&eps[n], 0, sizeof(eps[n]));
		eps[n].kind = EP_MARK;
		eps[n].mark = ifc.mark;
		eps[n].mask = ifc.mark_mask;
		n++;
	}
	*out = eps;
	return n;
}

/* Elements of the endpoint table in use, over all slots; or -errno. */
int maps_ep_count(const struct tiu_maps *m)
{
	struct tiu_endpoint_key *keys;
	struct tiu_endpoint_val *vals;
	int n = maps_ep_elems(m, &keys, &vals);

	free(keys);
	free(vals);
	return n;
}

/* Is the element (k) one of the ports of a port endpoint of drop[0..n)?
 * n < 0: every element is. */
static bool elem_dropped(const struct tiu_endpoint_key *k, const struct ep *drop, int n)
{
	__u16 port = ntohs(k->port);

	if (n < 0)
		return true;
	for (int i = 0; i < n; i++)
		if (drop[i].kind == EP_PORTS && drop[i].role == k->role &&
		    !memcmp(drop[i].addr, k->addr, 16) && port >= drop[i].first &&
		    port <= drop[i].last)
			return true;
	return false;
}

/*
 * All of tiu_ports, read with BPF_MAP_LOOKUP_BATCH (generic_map_lookup_batch()
 * walks the array in the kernel: one syscall instead of 65,536, which cost
 * 100-300 ms each time a device's slot was cleared, on the way of a WAN's
 * reconnect). Allocated, indexed by port; NULL where the kernel has no batch
 * operations for arrays (before 5.7) or on any error: the caller then reads
 * port by port. A snapshot is enough: only tiu writes tiu_ports, under the
 * lock.
 */
#define PORTS_BATCH_MIN 1024 /* ranges shorter than this: port by port */
static struct tiu_port *ports_read_all(const struct tiu_maps *m)
{
	struct tiu_port *vals = calloc(TIU_PORTS, sizeof(*vals)), *out = calloc(TIU_PORTS, sizeof(*out));
	__u32 *keys = calloc(TIU_PORTS, sizeof(*keys)), batch, n = 0, count;
	void *in = NULL;
	int err = 0;

	while (vals && out && keys && n < TIU_PORTS) {
		count = TIU_PORTS - n;
		err = bpf_map_lookup_batch(m->ports, in, &batch, keys + n, vals + n, &count, NULL) ?
			-errno : 0;
		if (!err || err == -ENOENT) /* count is what was copied, also at the end */
			n += count;
		if (err)
			break;
		in = &batch;
	}
	for (__u32 i = 0; out && i < n; i++)
		if (keys[i] < TIU_PORTS)
			out[keys[i]] = vals[i];
	free(keys);
	free(vals);
	if (!out || n != TIU_PORTS || (err && err != -ENOENT)) {
		free(out);
		return NULL;
	}
	return out;
}

int maps_ports_sync(const struct tiu_maps *m, __u32 slot, unsigned int lo, unsigned int hi)
{
	return maps_ports_sync_except(m, slot, lo, hi, NULL, 0);
}

/*
 * Make bit `slot` of tiu_ports[lo..hi] say what tiu_endpoints holds for the
 * slot, leaving out the elements of drop[0..n_drop) (endpoints about to be
 * deleted: their bits go before their elements, see eps_apply; n_drop < 0:
 * all of them):
 * local/remote for an exact address, local_any/remote_any for the
 * wildcard. Ports whose words do not change are not written. 0 or -errno.
 */
int maps_ports_sync_except(const struct tiu_maps *m, __u32 slot, unsigned int lo,
			   unsigned int hi, const struct ep *drop, int n_drop)
{
	enum { W_LOCAL = 1, W_LOCAL_ANY = 2, W_REMOTE = 4, W_REMOTE_ANY = 8, W_FOLLOW = 16,
	       W_LOST = 32 };
	static const __u8 zero[16];
	struct tiu_endpoint_key *keys;
	struct tiu_endpoint_val *vals;
	__u64 bit = 1ULL << slot;
	__u8 *want = calloc(TIU_PORTS, 1);
	struct tiu_port *all = NULL;
	int n = maps_ep_elems(m, &keys, &vals), err = 0;

	if (n >= 0 && !want)
		n = -ENOMEM;
	for (int i = 0; i < n; i++) {
		const struct tiu_endpoint_key *k = &keys[i];
		bool any = !memcmp(k->addr, zero, 16);

		if (k->slot != slot)
			continue;
		if (elem_dropped(k, drop, n_drop)) {
			want[ntohs(k->port)] |= W_LOST;
			continue;
		}
		if (k->role == TIU_ROLE_LOCAL)
			want[ntohs(k->port)] |= (any ? W_LOCAL_ANY : W_LOCAL) |
						(vals[i].flags & TIU_EP_F_FOLLOW ? W_FOLLOW : 0);
		else if (k->role == TIU_ROLE_REMOTE)
			want[ntohs(k->port)] |= any ? W_REMOTE_ANY : W_REMOTE;
	}
	free(keys);
	free(vals);
	if (n < 0) {
		free(want);
		return n;
	}
	if (hi - lo >= PORTS_BATCH_MIN)
		all = ports_read_all(m);
	for (__u32 p = lo; p <= hi && p < TIU_PORTS && !err; p++) {
		struct tiu_port cur, nw;

		if (all) {
			cur = all[p];
		} else if (bpf_map_lookup_elem(m->ports, &p, &cur)) {
			err = -errno;
			break;
		}
		nw = cur;
		nw.local = (cur.local & ~bit) | (want[p] & W_LOCAL ? bit : 0);
		nw.local_any = (cur.local_any & ~bit) | (want[p] & W_LOCAL_ANY ? bit : 0);
		nw.remote = (cur.remote & ~bit) | (want[p] & W_REMOTE ? bit : 0);
		nw.remote_any = (cur.remote_any & ~bit) | (want[p] & W_REMOTE_ANY ? bit : 0);
		nw.follow = (cur.follow & ~bit) | (want[p] & W_FOLLOW ? bit : 0);
		/* A port that loses an endpoint of the slot lingers, its last
		 * one or one of several (a packet of the deleted endpoint's
		 * connections then matches nothing else on the port): its live
		 * connections keep their choice (headers/tiu_conn.h); the
		 * interface going down (n_drop < 0) clears it. */
		if (n_drop < 0)
			nw.linger = cur.linger & ~bit;
		else if (((cur.local | cur.local_any | cur.remote | cur.remote_any) & bit) &&
			 (!want[p] || (want[p] & W_LOST)))
			nw.linger = cur.linger | bit;
		if (memcmp(&cur, &nw, sizeof(cur)) && bpf_map_update_elem(m->ports, &p, &nw, BPF_ANY))
			err = -errno;
	}
	free(all);
	free(want);
	return err;
}

/*
 * Forget everything the maps hold about ifindex: its slot's endpoints and
 * port bits, its tiu_links entries and its detour peer's, its tiu_ifaces
 * entry (the slot is free again) and statistics.
 */
int maps_forget_iface(const struct tiu_maps *m, __u32 ifindex)
{
	struct tiu_endpoint_key *keys;
	struct tiu_endpoint_val *vals;
	__u32 key, prev, drop[TIU_MAX_IFACES], slot;
	struct tiu_iface none = {};
	struct tiu_link link;
	bool first = true, has_slot = !maps_slot_of(m, ifindex, &slot), gen = false;
	int n = 0, n_eps;

	while (n < TIU_MAX_IFACES && !bpf_map_get_next_key(m->links, first ? NULL : &prev, &key)) {
		first = false;
		prev = key;
		if (bpf_map_lookup_elem(m->links, &key, &link))
			continue;
		if (key == ifindex ||
		    (has_slot && (link.flags & TIU_LINK_F_DETOUR) && link.slot == slot))
			drop[n++] = key;
	}
	for (int i = 0; i < n; i++)
		bpf_map_delete_elem(m->links, &drop[i]);
	if (!has_slot)
		return 0;
	/* the port bits first (as all of the slot's endpoints were deleted), so
	 * that a crash leaves no bit without its element (see eps_apply) */
	maps_ports_sync_except(m, slot, 0, TIU_PORTS - 1, NULL, -1);
	n_eps = maps_ep_elems(m, &keys, &vals);
	for (int i = 0; i < n_eps; i++) {
		if (keys[i].slot != slot)
			continue;
		if (!gen) { /* the generation steps (a grace period) only if one goes */
			maps_ep_gen_begin(m);
			gen = true;
		}
		bpf_map_delete_elem(m->endpoints, &keys[i]);
	}
	if (gen)
		maps_ep_gen_end(m);
	free(keys);
	free(vals);
	maps_ports_sync(m, slot, 0, TIU_PORTS - 1);
	maps_stats_reset(m, slot);
	maps_set_iface(m, slot, &none);
	return 0;
}
