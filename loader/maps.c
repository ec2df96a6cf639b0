// SPDX-License-Identifier: GPL-2.0
/*
 * maps.c - the pinned maps seen from user space: open them (checking their
 * layout against tiu_common.h), the ABI stamp, the interface table,
 * endpoints, and the per-CPU statistics summed over possible CPUs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tiu.h"

static int open_checked(const struct pins *p, const char *name, __u32 key_size,
			__u32 value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = pins_map(p, name);

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size != key_size ||
	    info.value_size != value_size) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* 0, -ENOENT (no pins: nothing is up), -ESTALE (another layout), -errno. */
int maps_open(const struct pins *p, struct tiu_maps *m)
{
	m->endpoints = open_checked(p, TIU_MAP_ENDPOINTS, sizeof(struct tiu_endpoint_key),
				    sizeof(struct tiu_endpoint_val));
	m->stats = open_checked(p, TIU_MAP_STATS, sizeof(__u32), sizeof(struct tiu_stats));
	m->links = open_checked(p, TIU_MAP_LINKS, sizeof(__u32), sizeof(struct tiu_link));
	m->config = open_checked(p, TIU_MAP_CONFIG, sizeof(__u32), sizeof(struct tiu_config));
	if (m->endpoints >= 0 && m->stats >= 0 && m->links >= 0 && m->config >= 0)
		return 0;
	int err = m->endpoints < 0 ? m->endpoints : m->stats < 0 ? m->stats :
		  m->links < 0 ? m->links : m->config;
	maps_close(m);
	return err;
}

void maps_close(struct tiu_maps *m)
{
	int *fds[] = { &m->endpoints, &m->stats, &m->links, &m->config };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int maps_abi(const struct tiu_maps *m, __u32 *abi)
{
	struct tiu_config cfg = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->config, &key, &cfg))
		return -errno;
	*abi = cfg.abi_version;
	return 0;
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

/* Endpoints of ifindex (all interfaces if 0), at most max. */
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
