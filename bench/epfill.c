// SPDX-License-Identifier: GPL-2.0
/*
 * epfill.c - fill a pinned tiu endpoint map with endpoints no packet matches,
 * for the scale case of throughput.sh (65,536 endpoints in the map).
 *
 * usage: epfill PINNED_ENDPOINT_MAP IFINDEX TOTAL
 *   adds entries in the slot of IFINDEX (from tiu_links, pinned next to the
 *   map; addresses in fd99::/16 and 10.100.0.0/15, so never the
 *   benchmark's) until the map holds TOTAL entries, and sets their ports'
 *   bits in tiu_ports (pinned there too) as the loader does for endpoints,
 *   so that packets on those ports meet the full map.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "tiu_common.h"
#include "pkt.h"

static uint32_t count(int fd)
{
	struct tiu_endpoint_key k, next;
	void *prev = NULL;
	uint32_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct tiu_endpoint_key keys[TIU_MAX_ENDPOINTS];
	static struct tiu_endpoint_val vals[TIU_MAX_ENDPOINTS];
	uint32_t st = 4242, have, want, n = 0, ifindex, slot;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct tiu_link link;
	int fd, fd_links, fd_ports;

	if (argc != 4) {
		fprintf(stderr, "usage: epfill PINNED_ENDPOINT_MAP IFINDEX TOTAL\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "epfill: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	snprintf(path, sizeof(path), "%s/%s", dirname(dir), TIU_MAP_LINKS);
	fd_links = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/%s", dir, TIU_MAP_PORTS);
	fd_ports = bpf_obj_get(path);
	if (fd_links < 0 || fd_ports < 0) {
		fprintf(stderr, "epfill: %s/%s or %s: %s (tiu up first)\n", dir, TIU_MAP_LINKS,
			TIU_MAP_PORTS, strerror(errno));
		return 1;
	}
	ifindex = strtoul(argv[2], NULL, 0);
	if (bpf_map_lookup_elem(fd_links, &ifindex, &link) || !(link.flags & TIU_LINK_F_REAL)) {
		fprintf(stderr, "epfill: ifindex %u has no slot in %s/%s: is tiu up on it?\n",
			ifindex, dir, TIU_MAP_LINKS);
		return 1;
	}
	slot = link.slot;
	have = count(fd);
	want = strtoul(argv[3], NULL, 0);
	if (want > TIU_MAX_ENDPOINTS)
		want = TIU_MAX_ENDPOINTS;
	for (uint32_t i = 0; have + n < want; i++) {
		struct tiu_endpoint_key *k = &keys[n++];

		memset(k, 0, sizeof(*k));
		k->slot = slot;
		k->role = i & 1 ? TIU_ROLE_REMOTE : TIU_ROLE_LOCAL;
		k->port = htons(1024 + i % 60000);
		vals[n - 1].first = vals[n - 1].last = 1024 + i % 60000; /* a single port */
		if (i & 2) { /* unique by i: 10.100.0.0/15 */
			k->addr[10] = k->addr[11] = 0xff;
			k->addr[12] = 10;
			k->addr[13] = 100 + ((i >> 16) & 1);
			k->addr[14] = i >> 8;
			k->addr[15] = i;
		} else {     /* fd99::/16, unique by i in the last 4 bytes */
			k->addr[0] = 0xfd;
			k->addr[1] = 0x99;
			for (int b = 2; b < 12; b++)
				k->addr[b] = pkt_rand(&st);
			k->addr[12] = i >> 24;
			k->addr[13] = i >> 16;
			k->addr[14] = i >> 8;
			k->addr[15] = i;
		}
	}
	for (uint32_t i = 0; i < n; i++) { /* the ports' exact bits of the slot */
		uint32_t port = ntohs(keys[i].port);
		struct tiu_port tp;

		if (bpf_map_lookup_elem(fd_ports, &port, &tp)) {
			fprintf(stderr, "epfill: reading %s port %u: %s\n", TIU_MAP_PORTS, port,
				strerror(errno));
			return 1;
		}
		*(keys[i].role == TIU_ROLE_LOCAL ? &tp.local : &tp.remote) |= 1ULL << slot;
		if (bpf_map_update_elem(fd_ports, &port, &tp, BPF_ANY)) {
			fprintf(stderr, "epfill: writing %s port %u: %s\n", TIU_MAP_PORTS, port,
				strerror(errno));
			return 1;
		}
	}
	if (n) {
		uint32_t done = n;

		if (bpf_map_update_batch(fd, keys, vals, &done, NULL))
			for (uint32_t i = 0; i < n; i++)
				if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_NOEXIST) && errno != EEXIST) {
					fprintf(stderr, "epfill: adding entry %u: %s\n", i, strerror(errno));
					return 1;
				}
	}
	have = count(fd);
	printf("epfill: %s holds %u endpoints\n", argv[1], have);
	return have == want ? 0 : 1;
}
