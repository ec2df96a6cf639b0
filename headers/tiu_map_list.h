/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tiu_map_list.h - tiu's shared maps, one line each: the single statement
 * of their layout. tiu_maps.h expands it into the BPF map definitions of
 * the XDP and TC objects; the loader expands it into its table of the maps
 * it opens from the pins and checks (type, key and value size, entries,
 * flags) and into the fds of struct tiu_maps, in this order.
 *
 * X(NAME, TYPE, KEY, VALUE, MAX_ENTRIES, MAP_FLAGS): the map is tiu_NAME,
 * pinned by that name (LIBBPF_PIN_BY_NAME, the TIU_MAP_* names of
 * tiu_common.h). Keys of the arrays are a slot (tiu_stats, tiu_ifaces), a
 * port in host byte order (tiu_ports) or 0 (tiu_config); of tiu_links, an
 * ifindex; of tiu_conn_syn, a connection's 4-tuple (headers/tiu_conn.h);
 * tiu_conn_sk is socket storage (a socket's, no entries of its own).
 * Changing a line changes a layout: bump TIU_ABI_VERSION.
 */
#ifndef TIU_MAP_LIST_H
#define TIU_MAP_LIST_H

#include "tiu_common.h"

#define TIU_MAP_LIST(X)                                                              \
	X(endpoints, BPF_MAP_TYPE_HASH, struct tiu_endpoint_key, struct tiu_endpoint_val, \
	  TIU_MAX_ENDPOINTS, BPF_F_NO_PREALLOC)                                          \
	X(stats, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct tiu_stats, TIU_MAX_SLOTS, 0)   \
	X(links, BPF_MAP_TYPE_HASH, __u32, struct tiu_link, TIU_MAX_IFACES, 0)           \
	X(config, BPF_MAP_TYPE_ARRAY, __u32, struct tiu_config, 1, 0)                    \
	X(ports, BPF_MAP_TYPE_ARRAY, __u32, struct tiu_port, TIU_PORTS, 0)               \
	X(ifaces, BPF_MAP_TYPE_ARRAY, __u32, struct tiu_iface, TIU_MAX_SLOTS, 0)         \
	X(conn_syn, BPF_MAP_TYPE_LRU_HASH, struct tiu_conn_key, __u32, TIU_CONN_SYNS, 0)  \
	X(conn_sk, BPF_MAP_TYPE_SK_STORAGE, int, struct tiu_conn_state, 0, BPF_F_NO_PREALLOC)

#endif /* TIU_MAP_LIST_H */
