// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - the pinned maps seen from user space: open them (the one
 * stale-pin check: layout and ABI stamp), the ABI stamp, the interface table,
 * endpoints, and the per-CPU statistics summed over possible CPUs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tiu.h"

/* tiu's pinned maps and the layout this build expects (tiu_common.h). The
 * order is the order of the fds in struct tiu_maps. */
static const struct {
	const char *name;
	__u32 key_size, value_size;
} map_defs[TIU_N_MAPS] = {
	{ TIU_MAP_ENDPOINTS, sizeof(struct tiu_endpoint_key), sizeof(struct tiu_endpoint_val) },
	{ TIU_MAP_STATS, sizeof(__u32), sizeof(struct tiu_stats) },
	{ TIU_MAP_LINKS, sizeof(__u32), sizeof(struct tiu_link) },
	{ TIU_MAP_CONFIG, sizeof(__u32), sizeof(struct tiu_config) },
};

const char *maps_name(int i)
{
	return map_defs[i].name;
}

static int config_abi(int fd, __u32 *abi)
{
	struct tiu_config cfg = {};
	__u32 key = 0;

	*abi = 0;
	if (bpf_map_lookup_elem(fd, &key, &cfg))
		return -errno;
	*abi = cfg.abi_version;
	return 0;
}

/* Is the map pinned as name usable: same layout as want (obj's definition)
 * or as map_defs? 0 yes or not pinned, 1 no (why filled). */
static int pin_stale(const struct pins *p, const char *name, const struct bpf_map *want,
		     __u32 key_size, __u32 value_size, char *why, size_t len)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), abi;
	int fd = pins_map(p, name), bad;

	if (fd == -ENOENT)
		return 0;
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
		bad = info.type != bpf_map__type(want) || info.key_size != bpf_map__key_size(want) ||
		      info.value_size != bpf_map__value_size(want) ||
		      info.max_entries != bpf_map__max_entries(want) ||
		      info.map_flags != bpf_map__map_flags(want);
		if (bad)
			snprintf(why, len, "%s is type %u key %u value %u entries %u, expected %u/%u/%u/%u",
				 name, info.type, info.key_size, info.value_size, info.max_entries,
				 bpf_map__type(want), bpf_map__key_size(want),
				 bpf_map__value_size(want), bpf_map__max_entries(want));
	} else {
		bad = info.key_size != key_size || info.value_size != value_size;
		if (bad)
			snprintf(why, len, "%s has key %u value %u, expected %u/%u", name,
				 info.key_size, info.value_size, key_size, value_size);
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
 * the layout in tiu_common.h. 1 and why filled, or 0.
 */
static int maps_stale(const struct pins *p, const struct bpf_object *obj, char *why, size_t len)
{
	const struct bpf_map *map;
	int i;

	if (obj) {
		bpf_object__for_each_map(map, obj) /* .rodata (tiu_framing) is never pinned */
			if (!strncmp(bpf_map__name(map), "tiu_", 4) && !bpf_map__is_internal(map) &&
			    pin_stale(p, bpf_map__name(map), map, 0, 0, why, len))
				return 1;
	}
	for (i = 0; i < TIU_N_MAPS; i++)
		if (pin_stale(p, map_defs[i].name, NULL, map_defs[i].key_size,
			      map_defs[i].value_size, why, len))
			return 1;
	return 0;
}

static int stale_fail(const char *ifname, const struct pins *p, const char *why)
{
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

	return maps_stale(p, obj, why, sizeof(why)) ? stale_fail(ifname, p, why) : 0;
}

/* 0, -ENOENT (no pins: nothing is up), -ESTALE (see maps_stale), -errno. */
int maps_open(const struct pins *p, struct tiu_maps *m)
{
	int *fds[TIU_N_MAPS] = { &m->endpoints, &m->stats, &m->links, &m->config };
	char why[200];
	int err = 0;

	for (int i = 0; i < TIU_N_MAPS; i++)
		*fds[i] = -1;
	if (maps_stale(p, NULL, why, sizeof(why)))
		return -ESTALE;
	for (int i = 0; i < TIU_N_MAPS && !err; i++) {
		*fds[i] = pins_map(p, map_defs[i].name);
		if (*fds[i] < 0)
			err = *fds[i];
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
	struct tiu_link link;
	char why[200];
	int err;

	m->endpoints = m->stats = m->links = m->config = -1;
	if (tiu_need_root() || (ifname && iface_index(ifname, ifindex)))
		return -1;
	err = ifname ? pins_of_iface(pin_dir, *ifindex, false, p) : pins_resolve(pin_dir, false, p);
	if (err < 0)
		return -1;
	if (!err && maps_stale(p, NULL, why, sizeof(why)))
		return stale_fail(ifname, p, why);
	err = err ? -ENOENT : maps_open(p, m);
	if (!err && ifname && bpf_map_lookup_elem(m->links, ifindex, &link)) {
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
	int *fds[TIU_N_MAPS] = { &m->endpoints, &m->stats, &m->links, &m->config };

	for (int i = 0; i < TIU_N_MAPS; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int maps_abi(const struct tiu_maps *m, __u32 *abi)
{
	return config_abi(m->config, abi);
}

int maps_set_abi(const struct tiu_maps *m)
{
	struct tiu_config cfg = { .abi_version = TIU_ABI_VERSION };
	__u32 key = 0;

	return bpf_map_update_elem(m->config, &key, &cfg, BPF_ANY) ? -errno : 0;
}

/* Real interfaces in the interface table (those that are up), sorted. */
int maps_real_ifaces(const struct tiu_maps *m, __u32 *out, int max)
{
	struct tiu_link link;
	__u32 key, prev;
	bool first = true;
	int n = 0;

	while (n < max && !bpf_map_get_next_key(m->links, first ? NULL : &prev, &key)) {
		first = false;
		prev = key;
		if (!bpf_map_lookup_elem(m->links, &key, &link) && (link.flags & TIU_LINK_F_REAL))
			out[n++] = key;
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
			__u32 t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

int maps_stats_sum(const struct tiu_maps *m, __u32 ifindex, struct tiu_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct tiu_stats *percpu;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->stats, &ifindex, percpu))
		err = -errno;
	for (int c = 0; !err && c < ncpu; c++)
		for (int i = 0; i < TIU_STAT__MAX; i++)
			out->v[i] += percpu[c].v[i];
	free(percpu);
	return err;
}

int maps_stats_reset(const struct tiu_maps *m, __u32 ifindex)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct tiu_stats *percpu;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_update_elem(m->stats, &ifindex, percpu, BPF_ANY))
		err = -errno;
	free(percpu);
	return err;
}

/* Endpoints in a stable order: by interface, locals first, then by address
 * (IPv4 before IPv6, as the bytes sort) and port. */
static int ep_cmp(const void *a, const void *b)
{
	const struct tiu_endpoint_key *x = a, *y = b;
	int d;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->role != y->role)
		return x->role == TIU_ROLE_LOCAL ? -1 : 1;
	d = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (d)
		return d;
	return (int)ntohs(x->port) - (int)ntohs(y->port);
}

/* Endpoints of ifindex (all interfaces if 0), at most max, sorted. */
int maps_endpoints(const struct tiu_maps *m, __u32 ifindex, struct tiu_endpoint_key *out, int max)
{
	struct tiu_endpoint_key key, prev;
	bool first = true;
	int n = 0;

	while (n < max && !bpf_map_get_next_key(m->endpoints, first ? NULL : &prev, &key)) {
		first = false;
		prev = key;
		if (!ifindex || key.ifindex == ifindex)
			out[n++] = key;
	}
	qsort(out, n, sizeof(out[0]), ep_cmp);
	return n;
}

/* Forget everything the maps hold about ifindex: its interface table entry,
 * its detour peer's entry, its endpoints and statistics. */
int maps_forget_iface(const struct tiu_maps *m, __u32 ifindex)
{
	static struct tiu_endpoint_key eps[TIU_MAX_ENDPOINTS];
	__u32 key, prev, drop[TIU_MAX_IFACES * 2];
	struct tiu_link link;
	bool first = true;
	int n = 0, n_eps;

	while (n < TIU_MAX_IFACES * 2 &&
	       !bpf_map_get_next_key(m->links, first ? NULL : &prev, &key)) {
		first = false;
		prev = key;
		if (bpf_map_lookup_elem(m->links, &key, &link))
			continue;
		if (key == ifindex || ((link.flags & TIU_LINK_F_DETOUR) && link.out_ifindex == ifindex))
			drop[n++] = key;
	}
	for (int i = 0; i < n; i++)
		bpf_map_delete_elem(m->links, &drop[i]);
	n_eps = maps_endpoints(m, ifindex, eps, TIU_MAX_ENDPOINTS);
	for (int i = 0; i < n_eps; i++)
		bpf_map_delete_elem(m->endpoints, &eps[i]);
	bpf_map_delete_elem(m->stats, &ifindex);
	return 0;
}
